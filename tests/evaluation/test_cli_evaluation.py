"""The evaluation, value-for-money, evidence, export and alerts-surveillance commands are thin
faces: each gives what its one task gives (same JSON), takes the documented options, and refuses
bad ones clearly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from vrkit import Warehouse
from vrkit.catalog.approaches import builtin_approaches
from vrkit.cli import app
from vrkit.tasks._result import ResultView
from vrkit.tasks.costs import cost_of_violence
from vrkit.tasks.impact import evaluate_did, evaluate_staggered
from vrkit.tasks.prioritise import prioritise_programmes
from vrkit.tasks.vfm import value_for_money

runner = CliRunner()


@pytest.fixture(scope="module")
def store(borough_wh: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the evaluation warehouse that the CLI opens by itself."""
    borough_wh.con.execute("CHECKPOINT")
    path = tmp_path_factory.mktemp("cli-eval") / "w.duckdb"
    shutil.copyfile(borough_wh.path, path)
    return path


def _json(args: list[str]) -> object:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def _same(task_result: object) -> object:
    return json.loads(ResultView(task_result).render("json"))


def test_evaluate_did_is_the_task(store: Path) -> None:
    got = _json(
        [
            "evaluate",
            "did",
            "--measure",
            "violence_with_injury",
            "--treated",
            "Lambeth,Southwark",
            "--start",
            "2018-01",
            "--period",
            "2016-01:2019-12",
            "--window",
            "-6:6",
            "--store",
            str(store),
            "--format",
            "json",
        ]
    )
    with Warehouse(store, read_only=True) as wh:
        want = evaluate_did(
            wh,
            "violence_with_injury",
            ["Lambeth", "Southwark"],
            "2018-01",
            period=("2016-01", "2019-12"),
            window=(-6, 6),
        )
    assert got == _same(want)
    assert want.params["treated"] == ["E09000022", "E09000028"]


def test_evaluate_staggered_is_the_task(store: Path) -> None:
    args = [
        "evaluate",
        "staggered",
        "--measure",
        "robbery",
        "--adoption",
        "Lambeth=2018-01,Brent=2018-07",
        "--control",
        "not-yet",
        "--period",
        "2016-01:2019-12",
        "--store",
        str(store),
    ]
    got = _json(args)
    with Warehouse(store, read_only=True) as wh:
        want = evaluate_staggered(
            wh,
            "robbery",
            {"Lambeth": "2018-01", "Brent": "2018-07"},
            period=("2016-01", "2019-12"),
            control_group="not_yet_treated",
        )
    assert got == _same(want)
    res = runner.invoke(app, [*args[:-2], "--control", "sometimes", "--store", str(store)])
    assert res.exit_code == 2 and "unknown --control 'sometimes'" in res.output
    res = runner.invoke(
        app,
        [
            "evaluate",
            "staggered",
            "--measure",
            "robbery",
            "--adoption",
            "Lambeth",
            "--store",
            str(store),
        ],
    )
    assert res.exit_code == 2 and "Area=YYYY-MM" in res.output


def test_bad_period_and_window_are_clear_errors(store: Path) -> None:
    base = ["evaluate", "did", "--measure", "robbery", "--treated", "Lambeth"]
    base += ["--start", "2018-01", "--store", str(store)]
    res = runner.invoke(app, [*base, "--period", "2016-01"])
    assert res.exit_code == 2 and "FROM:TO" in res.output
    res = runner.invoke(app, [*base, "--window", "twelve"])
    assert res.exit_code == 2 and "-12:12" in res.output


def test_cost_of_violence_is_the_task(store: Path, tmp_path: Path) -> None:
    got = _json(["cost-of-violence", "--year", "2019", "--area", "Lambeth", "--store", str(store)])
    with Warehouse(store, read_only=True) as wh:
        want = cost_of_violence(wh, 2019, "Lambeth")
    assert got == _same(want)
    out = tmp_path / "cov.xlsx"
    res = runner.invoke(
        app,
        [
            "cost-of-violence",
            "--year",
            "2019",
            "-f",
            "xlsx",
            "--out",
            str(out),
            "--store",
            str(store),
        ],
    )
    assert res.exit_code == 0, res.output
    sheet = pd.read_excel(out)
    assert len(sheet) == len(want.to_frame())


def test_vfm_example_json_and_workbook(tmp_path: Path) -> None:
    xlsx = tmp_path / "vfm.xlsx"
    got = _json(["vfm", "stepping-stones-illustrative", "--xlsx", str(xlsx)])
    assert got == _same(value_for_money("stepping-stones-illustrative"))
    assert xlsx.is_file()
    res = runner.invoke(app, ["vfm", "stepping-stones-illustrative", "--xlsx", str(xlsx)])
    assert res.exit_code == 2 and "--force" in res.output  # never replaced silently
    res = runner.invoke(app, ["vfm", str(tmp_path / "missing.toml")])
    assert res.exit_code != 0 and "Traceback" not in res.output


def test_evidence_list(tmp_path: Path) -> None:
    rows = _json(["evidence", "list", "--format", "json"])
    assert isinstance(rows, list) and len(rows) == len(builtin_approaches())
    yef = _json(["evidence", "list", "--toolkit", "yef", "-f", "json"])
    assert isinstance(yef, list) and yef and {r["toolkit"] for r in yef} == {"yef"}
    res = runner.invoke(app, ["evidence", "list", "--toolkit", "nice"])
    assert res.exit_code == 2 and "unknown toolkit 'nice'" in res.output
    res = runner.invoke(app, ["evidence", "list"], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "yef:mentoring" in res.stdout


def test_prioritise_is_the_task(tmp_path: Path) -> None:
    table = pd.DataFrame(
        {
            "programme_id": ["a", "b", "c"],
            "name": ["A", "B", "C"],
            "accountability": [5, 3, 1],
            "learning": [4, 2, 3],
            "stakeholder_evidence": [5, 3, 2],
            "funding_gbp": [6_600_000, 200_000, 40_000],
            "innovation": [2, 5, 3],
            "capacity": [3, 4, 1],
            "participants": [1169, 200, 40],
            "data_available": ["yes", "partial", "no"],
            "comparison_possible": ["yes", "unknown", "no"],
            "evidence_approach": ["yef:mentoring", None, None],
        }
    )
    path = tmp_path / "programmes.csv"
    table.to_csv(path, index=False)
    got = _json(
        [
            "evaluate",
            "prioritise",
            str(path),
            "--weights",
            "learning=2",
            "--draws",
            "200",
            "--seed",
            "3",
            "--top",
            "2",
        ]
    )
    want = prioritise_programmes(
        path, weights={"learning": 2.0}, n_draws=200, seed=3, top_n=2, missing="error"
    )
    assert got == _same(want)
    res = runner.invoke(app, ["evaluate", "prioritise", str(path), "--weights", "learning"])
    assert res.exit_code == 2 and "crit=weight" in res.output


def test_export_parquet_table_option(store: Path, tmp_path: Path) -> None:
    """--table is repeatable (and takes comma lists); the lake holds the warehouse's rows."""
    out = tmp_path / "lake"
    doc = _json(
        [
            "export",
            "parquet",
            "--out",
            str(out),
            "--table",
            "crime_count",
            "--table",
            "dataset,area",
            "--format",
            "json",
            "--store",
            str(store),
        ]
    )
    assert isinstance(doc, dict)
    assert sorted(t["table"] for t in doc["tables"]) == ["area", "crime_count", "dataset"]
    assert (out / "manifest.json").is_file() and not (out / "crime_record").exists()
    con = duckdb.connect()
    lake = con.execute(
        f"SELECT count(*) FROM read_parquet('{out}/crime_count/**/*.parquet', hive_partitioning=1)"
    ).fetchone()
    with Warehouse(store, read_only=True) as wh:
        want = wh.query("SELECT count(*) AS n FROM crime_count")["n"].iloc[0]
    assert lake is not None and lake[0] == want
    res = runner.invoke(
        app, ["export", "parquet", "--out", str(out), "--table", "nope", "--store", str(store)]
    )
    assert res.exit_code == 2 and "nope" in res.output


def test_alerts_surveillance_options(store: Path) -> None:
    """--method surveillance with --threshold-method/--trend-time/--min-recent reach the
    analysis (the same as calling detect_exceedances with them) and bad values are refused
    clearly. (Here for the long borough series that surveillance needs.)"""
    from vrkit.analysis.early_warning import detect_exceedances
    from vrkit.store.queries import monthly_by_geography

    args = ["alerts", "--measure", "robbery", "--month", "2020-12", "--store", str(store)]
    rows = _json(
        [
            *args,
            "--method",
            "surveillance",
            "--threshold-method",
            "delta",
            "--trend-time",
            "days",
            "--min-recent",
            "off",
            "-f",
            "json",
        ]
    )
    with Warehouse(store, read_only=True) as wh:
        counts, _ = monthly_by_geography(wh, "robbery", "borough")
    ref = detect_exceedances(
        counts,
        "2020-12",
        method="surveillance",
        threshold_method="delta",
        trend_time="days",
        min_recent=None,
    ).table.set_index("area_code")
    got = pd.DataFrame(rows["areas"] if isinstance(rows, dict) else rows).set_index("area_code")
    assert len(got) == len(ref) > 0
    assert (got["method"] == "surveillance").all()
    pd.testing.assert_series_equal(
        got["threshold"].sort_index(), ref["threshold"].sort_index(), check_names=False
    )
    for extra, msg in (
        (["--method", "surveillance", "--threshold-method", "predictive"], "not available"),
        (["--trend-time", "days"], "applies only to method='surveillance'"),
        (["--min-recent", "5"], "--min-recent '5'"),
        (["--threshold-method", "bogus"], "not available"),
    ):
        res = runner.invoke(app, [*args, *extra])
        assert res.exit_code == 2 and msg in " ".join(res.output.split()), (extra, res.output)

"""Machine-readable outputs promised by the issues keep their stable names (CLI end to end)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vrkit import Warehouse, get_settings
from vrkit.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = get_settings().data_dir
    assert data.is_dir(), f"shared data not found at {data}"
    path = tmp_path_factory.mktemp("outputs") / "w.duckdb"
    files = [
        data
        / "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv",
        data / "mps_crime_lsoa_annual_derived/london-2011-2021-major-violence.csv",
        data / "boundaries/statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp",
    ]
    with Warehouse(path) as wh:
        results = wh.ingest_many(files)
    assert not [r for r in results if isinstance(r, Exception)], results
    return path


def _run(store: Path, *args: str) -> str:
    res = runner.invoke(app, ["--store", str(store), *args])
    assert res.exit_code == 0, res.output
    return res.stdout


def test_alerts_json(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "alerts.json"
    _run(
        store,
        "alerts",
        "--measure",
        "violence_with_injury",
        "--geography",
        "borough",
        "--month",
        "2021-06",
        "--all",
        "--format",
        "json",
        "--out",
        str(out),
    )
    rows = json.loads(out.read_text())
    assert len(rows) == 32  # every borough with enough history (pseudo-areas are not tested)
    keys = {"area_code", "month", "observed", "expected", "threshold", "p_value", "alert"}
    assert all(keys <= set(r) for r in rows)
    lambeth = next(r for r in rows if r["area_code"] == "E09000022")
    assert lambeth["month"].startswith("2021-06")
    assert lambeth["observed"] > lambeth["threshold"] and lambeth["alert"] is True
    assert all(0.0 <= r["p_value"] <= 1.0 for r in rows)


def test_forecast_json_intervals_are_ordered(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.json"
    _run(
        store,
        "forecast",
        "--measure",
        "violence_with_injury",
        "--area",
        "Lambeth",
        "--horizon",
        "6",
        "--origin",
        "2019-12",
        "--seed",
        "1",
        "--format",
        "json",
        "--out",
        str(out),
    )
    doc = json.loads(out.read_text())
    assert isinstance(doc, list)  # one record per month ahead
    rows = doc
    assert [r["month"][:7] for r in rows] == [f"2020-{m:02d}" for m in range(1, 7)]
    for r in rows:
        lo95, lo80, mean, hi80, hi95 = (
            r[k] for k in ("lower_95", "lower_80", "mean", "upper_80", "upper_95")
        )
        assert lo95 <= lo80 <= mean <= hi80 <= hi95


def test_backtest_json_keys(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    _run(
        store,
        "backtest",
        "--measure",
        "violence_with_injury",
        "--first-origin",
        "2017-12",
        "--until",
        "2019-12",
        "--every",
        "6",
        "--format",
        "json",
        "--out",
        str(out),
    )
    doc = json.loads(out.read_text())
    for k in (
        "mae",
        "mase",
        "coverage_80",
        "coverage_95",
        "hit_rate",
        "pai",
        "pei",
        "rri",
        "definitions",
    ):
        assert k in doc, k
    # origins every 6 months from 2017-12, the last before --until (by hand)
    assert [o[:7] for o in map(str, doc["origins"])] == ["2017-12", "2018-06", "2018-12", "2019-06"]
    assert 0 < doc["mae"] < float("inf") and 0 < doc["coverage_95"] <= 1
    assert doc["coverage_80"] <= doc["coverage_95"]  # nested intervals
    assert {"pai", "pei", "rri"} <= set(doc["definitions"])


def test_concentration_json_keys_and_values(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    _run(
        store,
        "concentration",
        "--measure",
        "violence_against_the_person",
        "--geography",
        "lsoa",
        "--year",
        "2019",
        "--format",
        "json",
        "--out",
        str(out),
    )
    doc = json.loads(out.read_text())
    for k in (
        "places",
        "crimes",
        "top_5pct_share",
        "places_for_50pct",
        "gini",
        "gini_adjusted",
        "gini_ci",
    ):
        assert k in doc, k
    assert doc["places"] == 4829 and doc["crimes"] == 217874
    assert 0 < doc["top_5pct_share"] < 1 and doc["gini_ci"][0] <= doc["gini"] <= doc["gini_ci"][1]


def test_hotspots_csv_columns(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "h.csv"
    _run(
        store,
        "hotspots",
        "--measure",
        "violence_against_the_person",
        "--geography",
        "lsoa",
        "--year",
        "2019",
        "--perms",
        "99",
        "--seed",
        "1",
        "--adjust",
        "fdr",
        "--out",
        str(out),
    )
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4829
    need = {
        "area_code",
        "count",
        "gi_z",
        "p_value",
        "p_adjusted",
        "hotspot_class",
        "lisa_i",
        "lisa_quadrant",
    }
    assert need <= set(rows[0])
    assert sum(float(r["count"]) for r in rows) == 217874


def test_synth_istv_then_ingest_and_quality(tmp_path: Path) -> None:
    d = tmp_path / "istv"
    res = runner.invoke(
        app,
        ["synth", "istv", "--departments", "3", "--months", "6", "--seed", "1", "--out", str(d)],
    )
    assert res.exit_code == 0, res.output
    written = res.stdout
    store = tmp_path / "h.duckdb"
    res = runner.invoke(app, ["--store", str(store), "ingest", str(d)])
    # exit 4 exactly when the generator wrote malformed files (it says how many), refused by ingest
    malformed = int(re.search(r"(\d+)\s+malformed", written).group(1))  # Rich may wrap
    assert res.exit_code == (4 if malformed else 0), res.output
    doc = json.loads(_run(store, "quality", "--source", "istv", "--format", "json"))
    assert doc, "no completeness rows"
    keys = {"department", "month", "received", "expected", "missing", "pct_location_usable", "flag"}
    assert all(keys <= set(r) for r in doc)
    assert {r["department"] for r in doc} and len({r["department"] for r in doc}) == 3

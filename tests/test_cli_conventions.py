"""One CLI convention everywhere: --store before or after, --format, --out/--force, exit codes,
safe terminal output, "did you mean", and the fixes of issues #10 and #13."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vrkit import get_settings
from vrkit.cli import app, output
from vrkit.outputs import is_duckdb_file

runner = CliRunner()

BOROUGH_FILE = (
    "mps_crime_borough/2019-01_to_2020-12/MPS Borough Level Crime (most recent 24 months).csv"
)
BOUNDARY_FILE = "boundaries/statistical-gis-boundaries-london/ESRI/London_Borough_Excluding_MHW.shp"


def _data() -> Path:
    d = get_settings().data_dir
    assert d.is_dir(), f"shared data not found at {d}; set VRKIT_DATA_DIR"
    return d


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with 24 months of MPS borough counts and the borough boundaries, loaded
    with --store after the command."""
    path = tmp_path_factory.mktemp("conv") / "w.duckdb"
    res = runner.invoke(
        app,
        ["ingest", str(_data() / BOROUGH_FILE), str(_data() / BOUNDARY_FILE), "--store", str(path)],
    )
    assert res.exit_code == 0, res.output
    return path


def _ok(args: list[str], *, width: int = 80) -> str:
    res = runner.invoke(app, args, env={"COLUMNS": str(width)})
    assert res.exit_code == 0, res.output
    return res.stdout


def _words(text: str) -> str:
    """Text with the terminal's line wrapping undone."""
    return " ".join(text.split())


# -- --store -----------------------------------------------------------------------------------


def test_store_before_and_after_the_command_are_the_same(store: Path) -> None:
    before = _ok(["--store", str(store), "datasets", "--format", "json"])
    after = _ok(["datasets", "--format", "json", "--store", str(store)])
    assert json.loads(before) == json.loads(after) and len(json.loads(after)) == 2


def test_store_after_the_command_wins(store: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    out = _ok(["--store", str(other), "datasets", "--format", "json", "--store", str(store)])
    assert len(json.loads(out)) == 2 and not other.exists()


def test_health_commands_honour_store_before_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VRKIT_STORE", raising=False)
    _ok(["synth", "istv", "--departments", "2", "--months", "3", "--seed", "2", "--out", "istv"])
    wh = tmp_path / "h" / "health.duckdb"
    (tmp_path / "h").mkdir()
    gaz = tmp_path / "gaz.csv"
    gaz.write_text("name,easting,northing\nWalworth Road,532000,178000\n", encoding="utf-8")
    res = runner.invoke(
        app, ["--store", str(wh), "health", "ingest-istv", "istv", "--gazetteer", str(gaz)]
    )
    assert res.exit_code in (0, 4), res.output
    assert wh.exists() and not (tmp_path / "vrkit.duckdb").exists()
    doc = json.loads(_ok(["--store", str(wh), "health", "quality-istv", "--format", "json"]))
    assert {r["department"] for r in doc} == {"SYN01", "SYN02"}
    assert not (tmp_path / "vrkit.duckdb").exists()
    out = _ok(
        ["--store", str(wh), "health", "match-locations", "--gazetteer", str(gaz), "-f", "json"]
    )
    assert {r["department"] for r in json.loads(out)} == {"SYN01", "SYN02"}
    assert not (tmp_path / "vrkit.duckdb").exists()


@pytest.mark.parametrize("name", ["data.csv", "data.csv.gz", "data.parquet", "data.json"])
def test_store_refuses_an_existing_file_that_is_not_a_warehouse(tmp_path: Path, name: str) -> None:
    f = tmp_path / name
    f.write_bytes(b"area_code,value\nE05000026,1\n")
    before = f.read_bytes()
    res = runner.invoke(app, ["--store", str(f), "ingest", str(_data() / BOROUGH_FILE)])
    assert res.exit_code == 5, res.output
    assert "not a DuckDB database" in res.output and "Traceback" not in res.output
    assert f.read_bytes() == before


def test_store_refuses_a_new_file_named_like_data(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["ingest", str(_data() / BOROUGH_FILE), "--store", str(tmp_path / "x.csv")]
    )
    assert res.exit_code == 5 and "looks like a data file" in res.output
    assert not (tmp_path / "x.csv").exists()


def test_store_under_a_file_or_a_read_only_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    res = runner.invoke(app, ["--store", str(blocker / "w.duckdb"), "ingest", "--all"])
    assert res.exit_code == 5 and "is a file, not a folder" in res.output
    assert "Traceback" not in res.output
    ro = tmp_path / "ro"
    ro.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p) == ro else real_access(p, mode)
    )
    res = runner.invoke(app, ["--store", str(ro / "w.duckdb"), "ingest", "--all"])
    assert res.exit_code == 5 and "read-only" in res.output


def test_reading_a_missing_warehouse_is_a_storage_error(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["trend", "--measure", "robbery", "--store", str(tmp_path / "n.duckdb")]
    )
    assert res.exit_code == 5 and "no warehouse at" in res.output
    assert not (tmp_path / "n.duckdb").exists()


# -- --format ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["datasets"],
        ["trend", "--measure", "robbery"],
        ["alerts", "--measure", "robbery", "--month", "2020-06"],
        ["report", "violent-crime", "--year", "2020", "--out", "x"],
        ["report", "needs-assessment", "--out", "x"],
        ["rank", "--profile", "sports", "--out", "x"],
        ["concentration", "--year", "2019"],
        ["backtest"],
        ["measures"],
        ["health", "quality-istv"],
    ],
)
def test_unknown_format_is_refused_with_the_allowed_values(store: Path, args: list[str]) -> None:
    res = runner.invoke(app, ["--store", str(store), *args, "--format", "pdf"])
    assert res.exit_code == 2, res.output
    assert "unknown --format value 'pdf'" in res.output and "Allowed:" in res.output


def test_every_advertised_format_of_trend_works(store: Path, tmp_path: Path) -> None:
    base = ["trend", "--measure", "robbery", "--area", "Lambeth", "--store", str(store)]
    assert "Lambeth" in _ok([*base, "--format", "table"])
    rows = json.loads(_ok([*base, "--format", "json"]))  # was a table (issue #13)
    assert rows[0]["area_code"] == "E09000022" and {"period", "total"} <= set(rows[0])
    assert _ok([*base, "-f", "csv"]).startswith("area_code,period,total")
    res = runner.invoke(app, [*base, "-f", "xlsx"])
    assert res.exit_code == 2 and "needs --out" in res.output
    _ok([*base, "-f", "xlsx", "--out", str(tmp_path / "t.xlsx")])
    assert (tmp_path / "t.xlsx").stat().st_size > 0


@pytest.mark.parametrize("cmd", [["formats"], ["measures"], ["rank", "profiles"], ["version"]])
def test_listings_give_json_and_csv(cmd: list[str]) -> None:
    rows = json.loads(_ok([*cmd, "--format", "json"]))
    assert isinstance(rows, list) and rows
    assert len(_ok([*cmd, "-f", "csv"]).splitlines()) == len(rows) + 1


def test_report_formats_comma_list_or_repeated(store: Path, tmp_path: Path) -> None:
    base = ["report", "violent-crime", "--year", "2020", "--area", "Lambeth", "--store", str(store)]
    _ok([*base, "--format", "json,html", "--out", str(tmp_path / "a")])
    _ok([*base, "-f", "json", "-f", "html", "--out", str(tmp_path / "b")])
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert names == ["violent-crime-lambeth-2020.html", "violent-crime-lambeth-2020.json"]


def test_one_output_commands_take_one_format(store: Path) -> None:
    res = runner.invoke(app, ["datasets", "-f", "json,csv", "--store", str(store)])
    assert res.exit_code == 2 and "one format at a time" in res.output


# -- --out and --force -------------------------------------------------------------------------


def test_out_refuses_to_overwrite_without_force(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "t.csv"
    out.write_text("keep me\n")
    args = ["trend", "--measure", "robbery", "-f", "csv", "--out", str(out), "--store", str(store)]
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "already exists" in res.output and "--force" in res.output
    assert "Traceback" not in res.output and out.read_text() == "keep me\n"
    assert "wrote" in _ok([*args, "--force"]) and out.read_text().startswith("area_code")


@pytest.mark.parametrize(
    "cmd",
    [
        ["alerts", "--measure", "violence_with_injury", "--month", "2020-12", "-f", "json"],
        ["trend", "--measure", "robbery", "-f", "csv"],
        ["forecast", "--measure", "robbery", "--horizon", "2", "-f", "json"],
    ],
)
def test_out_never_writes_onto_the_warehouse(store: Path, tmp_path: Path, cmd: list[str]) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(store, copy)
    before = copy.read_bytes()
    res = runner.invoke(app, [*cmd, "--store", str(copy), "--out", str(copy), "--force"])
    assert res.exit_code == 2, res.output
    assert "never writes over" in res.output
    assert copy.read_bytes() == before and is_duckdb_file(copy)


def test_out_needs_an_existing_folder_but_reports_create_theirs(
    store: Path, tmp_path: Path
) -> None:
    res = runner.invoke(
        app,
        [
            "trend",
            "--measure",
            "robbery",
            "-f",
            "csv",
            "--out",
            str(tmp_path / "no/t.csv"),
            "--store",
            str(store),
        ],
    )
    assert res.exit_code == 2 and "does not exist" in res.output
    assert not (tmp_path / "no").exists()
    out = tmp_path / "new" / "deep"
    _ok(
        [
            "report",
            "violent-crime",
            "--year",
            "2020",
            "-f",
            "json",
            "--out",
            str(out),
            "--store",
            str(store),
        ]
    )
    assert (out / "violent-crime-london-2020.json").exists()
    res = runner.invoke(
        app,
        [
            "report",
            "violent-crime",
            "--year",
            "2020",
            "-f",
            "json",
            "--out",
            str(out),
            "--store",
            str(store),
        ],
    )
    assert res.exit_code == 2 and "already exists" in res.output
    _ok(
        [
            "report",
            "violent-crime",
            "--year",
            "2020",
            "-f",
            "json",
            "--out",
            str(out),
            "--store",
            str(store),
            "--force",
        ]
    )


def test_synth_does_not_overwrite_a_folder_with_files(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("my notes\n")
    args = ["synth", "istv", "--departments", "1", "--months", "1", "--out", str(tmp_path)]
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "already holds files" in res.output
    assert readme.read_text() == "my notes\n" and len(list(tmp_path.iterdir())) == 1
    _ok([*args, "--force"])
    assert "SYNTHETIC" in readme.read_text()


# -- messages and exit codes ---------------------------------------------------------------------


def test_markup_and_escape_sequences_in_file_names_are_printed_safely(
    store: Path, tmp_path: Path
) -> None:
    weird = tmp_path / "bad[red]x[bold]\x1b[31mred\x07.csv"
    weird.write_text("a,b,c\n1,2,3\n")
    res = runner.invoke(app, ["ingest", str(weird), "--store", str(store)])
    assert res.exit_code == 4, res.output
    assert "Traceback" not in res.output and "MarkupError" not in res.output
    out = _words(res.output)
    assert "\x1b" not in out and "\x07" not in out
    assert "bad[red]x[bold]red.csv" in out  # markup shown as typed, escape sequence removed


def test_messages_with_markup_closing_tags_print_as_text(capsys: pytest.CaptureFixture) -> None:
    from vrkit.cli import output

    output.error("value '[/]' in column [b]x[/b]", hint="fix [/] \x1b]0;title\x07 it")
    err = capsys.readouterr().err
    assert "value '[/]' in column [b]x[/b]" in err and "fix [/]  it" in err
    assert output.clean("a\x1b[2Jb\x9bc\td\n") == "abc\td\n"


def test_did_you_mean(store: Path) -> None:
    res = runner.invoke(
        app, ["trend", "--measure", "robbery", "--area", "Lambth", "--store", str(store)]
    )
    assert res.exit_code == 2 and "Did you mean 'Lambeth'" in res.output
    res = runner.invoke(app, ["trend", "--measure", "roberry", "--store", str(store)])
    assert res.exit_code == 2 and "Did you mean 'robbery'" in res.output
    res = runner.invoke(app, ["rank", "--profile", "sport", "--out", "x", "--store", str(store)])
    assert res.exit_code == 2 and "Did you mean 'sports'" in res.output


def test_one_area_vocabulary(store: Path) -> None:
    for args in (
        ["trend", "--measure", "robbery"],
        ["report", "violent-crime", "--year", "2020", "--out", "x"],
        ["forecast", "--measure", "robbery"],
        ["concentration", "--year", "2019"],
    ):
        res = runner.invoke(app, [*args, "--area", "City of London", "--store", str(store)])
        assert res.exit_code == 2, res.output
        assert "has its own police force" in res.output, args
    rows = json.loads(_ok(["trend", "--measure", "robbery", "-f", "json", "--store", str(store)]))
    assert rows[0]["area_code"] == "E61000001"


def test_same_mistake_same_exit_code(store: Path) -> None:
    codes = {
        runner.invoke(app, [*args, "--store", str(store)]).exit_code
        for args in (
            ["trend", "--measure", "robbery", "--area", "Atlantis"],
            ["trend", "--measure", "robbery", "--format", "pdf"],
            ["report", "violent-crime", "--year", "2020", "--area", "Atlantis", "--out", "x"],
            ["report", "violent-crime", "--year", "2020", "-f", "pdf", "--out", "x"],
            ["alerts", "--measure", "nope", "--month", "2020-06"],
            ["trend"],  # a missing required option (Typer's own usage error)
        )
    }
    assert codes == {2}


def test_datasets_coverage_never_prints_nat(store: Path) -> None:
    out = _ok(["datasets", "--store", str(store)], width=200)
    assert "NaT" not in out and "boundary" in out and "2019-01 … 2020-12" in out


def test_forecast_chart_type_and_backtest_every_are_clear_errors(
    store: Path, tmp_path: Path
) -> None:
    res = runner.invoke(
        app,
        [
            "forecast",
            "--measure",
            "robbery",
            "--chart",
            str(tmp_path / "x.gif"),
            "--store",
            str(store),
        ],
    )
    assert res.exit_code == 2 and "cannot write a chart as 'x.gif'" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["backtest", "--every", "0", "--store", str(store)])
    assert res.exit_code == 2 and "--every must be at least 1 month" in res.output


def test_alerts_footer_gives_one_chance_number(store: Path) -> None:
    out = _words(
        _ok(
            [
                "alerts",
                "--measure",
                "violence_with_injury",
                "--month",
                "2019-09",
                "--store",
                str(store),
            ]
        )
    )
    assert out.count("expected by chance") == 1 and "n × (1 − level)" not in out


def test_alerts_short_history_is_explained_in_plain_english(store: Path) -> None:
    """Every area skipped: a clear error (exit 2, no traceback, no empty table) that says why."""
    res = runner.invoke(
        app,
        [
            "alerts",
            "--measure",
            "violence_with_injury",
            "--month",
            "2019-03",
            "--store",
            str(store),
        ],
        env={"COLUMNS": "80"},
    )
    out = _words(res.output)
    assert res.exit_code == 2 and "Traceback" not in out, out
    assert "no borough could be tested for March 2019" in out
    assert "of the 12 months before it, only 2 can be used" in out
    assert "the mps_borough_monthly data start in January 2019" in out
    assert "fallback needs" not in out and "observed" not in out


@pytest.mark.parametrize("month", ["0000-01", "2021-13", "June", "9999-01"])
def test_alerts_invalid_month_is_a_clear_error(store: Path, month: str) -> None:
    res = runner.invoke(
        app, ["alerts", "--measure", "robbery", "--month", month, "--store", str(store)]
    )
    assert res.exit_code == 2, res.output
    assert ("Traceback" not in res.output and res.exception is None) or isinstance(
        res.exception, SystemExit
    )
    assert f"cannot read month {month!r}" in res.output or "outside the data" in res.output


def test_trend_rolling12_and_bad_period(store: Path) -> None:
    rows = json.loads(
        _ok(
            [
                "trend",
                "--measure",
                "robbery",
                "--period",
                "rolling12",
                "-f",
                "json",
                "--store",
                str(store),
            ]
        )
    )
    assert len(rows) == 24 and rows[-1]["months"] == 12
    res = runner.invoke(
        app, ["trend", "--measure", "robbery", "--period", "weekly", "--store", str(store)]
    )
    assert res.exit_code == 2 and "unknown period 'weekly'" in res.output


def test_history_explanation_counts_restriction_months_as_unusable() -> None:
    import pandas as pd

    from vrkit.analysis.early_warning import excluded_months
    from vrkit.reports.build.sections import history_explanation

    months = pd.date_range("2020-01-01", "2020-11-01", freq="MS")
    counts = pd.DataFrame({"area_code": "E05000001", "month": months, "count": 5})
    skipped = pd.DataFrame(
        {"area_code": ["E05000001"], "reason": ["too little history: 3 usable month(s) …"]}
    )
    text = history_explanation(counts, skipped, pd.Timestamp("2020-12-01"), "mps_ward_monthly")
    lockdown = [m for m in months if m in set(excluded_months())]
    assert len(lockdown) >= 3  # the 2020 restrictions are catalogued
    usable = len(months) - len(lockdown)
    assert text is not None and f"of the 12 months before it, only {usable} can be used" in text
    assert "the mps_ward_monthly data start in January 2020" in text
    assert f"{len(lockdown)} months of COVID-19 restrictions are left out as unusual" in text
    assert "fallback needs" not in text and "≥" not in text
    assert history_explanation(counts, skipped.iloc[0:0], pd.Timestamp("2020-12-01"), "x") is None


def test_output_follows_the_terminal_width_at_each_print(monkeypatch: pytest.MonkeyPatch) -> None:
    """The consoles are created at import; a later COLUMNS (another command run in the same
    process, as the portal's jobs and these tests do) must still decide the width."""
    monkeypatch.setenv("COLUMNS", "50")
    assert (output.out.width, output.err.width) == (50, 50)
    monkeypatch.setenv("COLUMNS", "200")
    assert (output.out.width, output.err.width) == (200, 200)


def test_programmes_commands_print_data_as_text(tmp_path: Path) -> None:
    """`vrkit programmes` prints through the one CLI output module: a file name holding a Rich
    closing tag is shown as typed (it was a MarkupError traceback on its own markup console)."""
    missing = tmp_path / "return[/]Q1[bold].xlsx"
    url = f"sqlite:///{tmp_path / 'ops.sqlite3'}"
    res = runner.invoke(
        app, ["programmes", "returns", "submit", str(missing), "--database-url", url]
    )
    assert res.exit_code == 4, res.output
    assert "Traceback" not in res.output and "MarkupError" not in res.output
    out = _words(res.output)
    assert "return[/]Q1[bold].xlsx is not a file" in out and "1 of 1 return(s) refused" in out

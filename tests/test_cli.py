"""The CLI is thin: it loads, lists and reviews through the core and maps errors to exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vrkit import get_settings
from vrkit.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir() -> Path:
    d = get_settings().data_dir
    assert d.is_dir(), f"shared data not found at {d}; set VRKIT_DATA_DIR"
    return d


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    path = tmp_path_factory.mktemp("cli") / "w.duckdb"
    f = (
        data_dir
        / "mps_crime_borough/2019-01_to_2020-12/MPS Borough Level Crime (most recent 24 months).csv"
    )
    res = runner.invoke(app, ["--store", str(path), "ingest", str(f)])
    assert res.exit_code == 0, res.output
    assert "1,556" in res.output and "loaded" in res.output
    return path


def test_ingest_again_is_unchanged(store: Path, data_dir: Path) -> None:
    f = (
        data_dir
        / "mps_crime_borough/2019-01_to_2020-12/MPS Borough Level Crime (most recent 24 months).csv"
    )
    res = runner.invoke(app, ["--store", str(store), "ingest", str(f)])
    assert res.exit_code == 0 and "unchanged" in res.output


def test_datasets_json(store: Path) -> None:
    res = runner.invoke(app, ["--store", str(store), "datasets", "--format", "json"])
    assert res.exit_code == 0
    rows = json.loads(res.stdout)
    assert len(rows) == 1 and rows[0]["rows_loaded"] == 1556 and len(rows[0]["sha256"]) == 64


def test_quality_json(store: Path) -> None:
    res = runner.invoke(app, ["--store", str(store), "quality", "--format", "json"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    q = doc["datasets"][0]
    assert q["months_present"] == 24 and q["months_missing"] == []
    assert q["covers_from"] == "2019-01-01" and q["covers_to"] == "2020-12-01"


def test_trend_csv_matches_source(store: Path, data_dir: Path) -> None:
    res = runner.invoke(
        app,
        [
            "--store",
            str(store),
            "trend",
            "--measure",
            "violence_against_the_person",
            "--format",
            "csv",
        ],
    )
    assert res.exit_code == 0, res.output
    lines = res.stdout.strip().splitlines()
    row_2020 = next(line for line in lines if line.split(",")[1] == "2020")
    assert float(row_2020.split(",")[2]) == _file_total(data_dir, "2020")


def _file_total(data_dir: Path, year: str) -> int:
    """VAP total of one year computed straight from the CSV, independently of vrkit."""
    import csv

    f = (
        data_dir
        / "mps_crime_borough/2019-01_to_2020-12/MPS Borough Level Crime (most recent 24 months).csv"
    )
    with f.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return sum(
            int(v)
            for row in reader
            if row["MajorText"].upper() == "VIOLENCE AGAINST THE PERSON"
            for k, v in row.items()
            if k.startswith(year)
        )


def test_unknown_file_lists_known_formats(tmp_path: Path, store: Path) -> None:
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    res = runner.invoke(app, ["--store", str(store), "ingest", str(bad)])
    assert res.exit_code == 4
    assert "unrecognised format" in res.output and "mps_borough_monthly" in res.output
    assert "Traceback" not in res.output


def test_unknown_measure_exit_code(store: Path) -> None:
    res = runner.invoke(app, ["--store", str(store), "trend", "--measure", "nope"])
    assert res.exit_code == 2 and "unknown measure 'nope'" in res.output


def test_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["--store", str(tmp_path / "none.duckdb"), "datasets"])
    assert res.exit_code == 5 and "no warehouse" in res.output  # StorageError


def test_formats_and_measures_list() -> None:
    assert "mps_ward_monthly" in runner.invoke(app, ["formats"]).output
    assert "violence_with_injury" in runner.invoke(app, ["measures"]).output


def test_measures_list_geographies_and_series_breaks() -> None:
    """The break and the geographies come from the catalogue (breaks.toml, measures.toml)."""
    from vrkit.catalog.breaks import series_breaks
    from vrkit.catalog.measures import geographies_of

    res = runner.invoke(app, ["measures", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["id"]: r for r in json.loads(res.stdout)}
    vap = rows["violence_against_the_person"]
    assert vap["geographies"] == ", ".join(geographies_of("violence_against_the_person"))
    assert "lsoa" in vap["geographies"] and "borough" in vap["geographies"]
    (brk,) = series_breaks("violence_against_the_person")
    assert vap["series_breaks"] == f"{brk.start:%Y-%m} {brk.label}"
    assert rows["violence_with_injury"]["series_breaks"] == ""


def test_version_all_lists_the_libraries() -> None:
    import duckdb

    res = runner.invoke(app, ["version", "--all"])
    assert res.exit_code == 0
    assert (
        "vrkit" in res.output and f"duckdb                     {duckdb.__version__}" in res.output
    )

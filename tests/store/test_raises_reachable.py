"""The warehouse's reachable ``raise`` statements not run elsewhere (issue #21; verdicts in
docs/testing-raises.md): each a StorageError or SourceError naming the file and the reason, with
the warehouse file left as it was.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from vrkit.cli import app
from vrkit.errors import InputError, SourceError, StorageError
from vrkit.sources.registry import detect_adapter
from vrkit.store import core_data, queries
from vrkit.store.places import PlaceData, load_places
from vrkit.store.schema import SCHEMA_VERSION
from vrkit.store.warehouse import Warehouse

runner = CliRunner()


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _ambulance(tmp: Path) -> Path:
    p = tmp / "ambulance.csv"
    p.write_text("lsoa_code,month,callouts\nE01000001,2023-01,3\n", encoding="utf-8")
    return p


def test_store_that_is_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "w.duckdb"
    folder.mkdir()
    with pytest.raises(StorageError, match=r"is a folder, not a warehouse file") as info:
        Warehouse(folder)
    assert str(folder) in str(info.value)
    res = runner.invoke(app, ["ingest", str(_ambulance(tmp_path)), "--store", str(folder)])
    assert res.exit_code == 5 and "is a folder, not a warehouse file" in res.output
    assert "Traceback" not in res.output and not any(folder.iterdir())


def test_duckdb_file_that_is_not_a_vrkit_warehouse_read_only(tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE notes (x INTEGER)")
    before = _digest(other)
    with pytest.raises(StorageError) as info:
        Warehouse(other, read_only=True)
    assert f"{other} is not a vrkit warehouse" in str(info.value)
    assert _digest(other) == before


def test_duckdb_file_that_is_not_a_vrkit_warehouse_read_write(tmp_path: Path) -> None:
    """A read-write open (what `vrkit ingest --store other.duckdb` does) refuses someone else's
    database before writing to it: vrkit's tables were created in it first, then refused."""
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("CREATE TABLE notes (x INTEGER)")
        con.execute("INSERT INTO notes VALUES (1)")
    with pytest.raises(StorageError) as info:
        Warehouse(other)
    assert f"{other} is not a vrkit warehouse" in str(info.value)
    res = runner.invoke(app, ["ingest", str(_ambulance(tmp_path)), "--store", str(other)])
    assert res.exit_code == 5 and "is not a vrkit warehouse" in res.output, res.output
    with duckdb.connect(str(other), read_only=True) as con:
        tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        assert tables == [("notes",)]
        assert con.execute("SELECT x FROM notes").fetchall() == [(1,)]


def test_older_warehouse_opened_read_write_gets_no_new_tables(tmp_path: Path) -> None:
    store = tmp_path / "w.duckdb"
    with Warehouse(store) as wh:
        wh.con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        wh.con.execute("DROP TABLE crime_count")  # as if crime_count came with a later version
    with pytest.raises(StorageError, match="has schema version 1"):
        Warehouse(store)
    with duckdb.connect(str(store), read_only=True) as con:
        names = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        }
    assert "crime_count" not in names and "dataset" in names


def test_warehouse_of_another_schema_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    store = tmp_path / "w.duckdb"
    with Warehouse(store) as wh:
        wh.ingest(_ambulance(tmp_path))
        wh.con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    # twice in one process: the refused open must close its connection (it was left open, and
    # DuckDB then refused the second open with a raw ConnectionException)
    for read_only in (True, False):
        with pytest.raises(StorageError) as info:
            Warehouse(store, read_only=read_only)
        msg = str(info.value)
        assert f"{store} has schema version 1; this vrkit expects {SCHEMA_VERSION}" in msg
        assert "Re-create it" in msg
    with duckdb.connect(str(store), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM dataset").fetchone() == (1,)
        assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("1",)


def test_damaged_warehouse_file_cannot_be_opened(tmp_path: Path) -> None:
    store = tmp_path / "w.duckdb"
    with Warehouse(store) as wh:
        wh.ingest(_ambulance(tmp_path))
    data = bytearray(store.read_bytes())
    data[4096:] = b"\x5a" * (len(data) - 4096)  # keep the DuckDB magic, ruin everything after
    store.write_bytes(bytes(data))
    before = _digest(store)
    with pytest.raises(StorageError) as info:
        Warehouse(store, read_only=True)
    assert f"cannot open warehouse {store}:" in str(info.value)
    assert info.value.hint
    assert _digest(store) == before


def test_ingest_of_a_missing_file_loads_nothing(tmp_path: Path) -> None:
    gone = tmp_path / "gone.csv"
    adapter = detect_adapter(_ambulance(tmp_path))
    with Warehouse(tmp_path / "w.duckdb") as wh:
        with pytest.raises(SourceError) as info:
            wh.ingest(gone)
        assert str(info.value) == f"{gone}: no such file"
        with pytest.raises(SourceError) as info:
            wh.ingest(gone, adapter=adapter)  # an adapter option skips detection
        assert str(info.value) == f"{gone}: no such file"
        assert wh.datasets().empty


# --- places and monthly series: what an analysis asks of a warehouse that lacks it -------------


def _wards14(p: Path) -> Path:
    """A GeoJSON layer of one 2014 ward (Abbey, in Barking and Dagenham)."""
    square = [[0.07, 51.53], [0.08, 51.53], [0.08, 51.54], [0.07, 51.54], [0.07, 51.53]]
    feature = {
        "type": "Feature",
        "properties": {
            "NAME": "Abbey",
            "GSS_CODE": "E05000026",
            "LB_GSS_CD": "E09000002",
            "BOROUGH": "Barking and Dagenham",
        },
        "geometry": {"type": "Polygon", "coordinates": [square]},
    }
    p.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return p


def test_places_refusals_name_what_is_missing(tmp_path: Path) -> None:
    def places(wh: Warehouse, **kw: object) -> PlaceData:
        args: dict[str, object] = {"measure": "total_crime", "geography": "ward", "years": [2011]}
        return load_places(wh, **{**args, **kw})  # type: ignore[arg-type]

    with Warehouse(tmp_path / "w.duckdb") as wh:
        with pytest.raises(InputError, match=r"unknown geography 'postcode'"):
            places(wh, geography="postcode")
        with pytest.raises(InputError, match=r"\(violence_with_injury\) is not available for lsoa"):
            places(wh, measure="violence_with_injury", geography="lsoa")
        with pytest.raises(InputError, match=r"^no ward14 boundaries in the warehouse"):
            places(wh)
        wh.ingest(_wards14(tmp_path / "wards.geojson"))
        with pytest.raises(InputError, match=r"^no ward14 areas found in E09000003$"):
            places(wh, area_code="E09000003")
        with pytest.raises(
            InputError, match=r"^no mps_ward_annual_derived counts of total_crime in the warehouse"
        ):
            places(wh, area_code="E09000002")
        counts = tmp_path / "London.Crime.ByWard_2011-2022.csv"
        counts.write_text("WardCode,Year2011_Arson,Total2011\nE05000026,3,3\n")
        wh.ingest(counts)
        with pytest.raises(InputError, match=r"^none of the years \[2015\] has counts"):
            places(wh, area_code="E09000002", years=[2015])
        data = places(wh, area_code="E09000002")  # the year that has counts
        assert data.years == [2011] and data.counts.loc["E05000026", 2011] == 3


def test_monthly_series_refusals(tmp_path: Path) -> None:
    with Warehouse(tmp_path / "w.duckdb") as wh:
        with pytest.raises(InputError, match=r"^no monthly LSOA source: the LSOA figures"):
            queries.monthly_by_geography(wh, "robbery", "lsoa")
        with pytest.raises(InputError, match=r"^unknown geography 'postcode'"):
            queries.monthly_by_geography(wh, "robbery", "postcode")
        with pytest.raises(InputError, match=r"^no mps_ward_monthly data for measure 'robbery'"):
            queries.monthly_by_geography(wh, "robbery", "ward")


def test_query_guards_for_callers(tmp_path: Path) -> None:
    """Arguments only code passes (constants of the callers): a ValueError naming the value."""
    with Warehouse(tmp_path / "w.duckdb") as wh:
        with pytest.raises(ValueError, match=r"unknown level 'msoa'"):
            queries.population(wh, year=2019, level="msoa")
        with pytest.raises(ValueError, match=r"unknown table 'crimes'"):
            queries.table_rows(wh, "crimes")
        with pytest.raises(ValueError, match=r"not a LAS indicator: 'robbery'"):
            core_data.las_monthly(wh, "robbery")
        with pytest.raises(ValueError, match=r"bad age band 30-20"):
            core_data.population_band(wh, lo=30, hi=20)


def test_an_interrupted_load_is_rolled_back_and_re_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A non-DuckDB exception inside a load's transaction (Ctrl-C while writing) rolls the load
    back and is raised unchanged: nothing half-loaded."""
    store = tmp_path / "w.duckdb"

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    with Warehouse(store) as wh:
        monkeypatch.setattr(wh, "_write_table", interrupted)
        with pytest.raises(KeyboardInterrupt):
            wh.ingest(_ambulance(tmp_path))
        monkeypatch.undo()
        assert wh.datasets().empty
        assert wh.query("SELECT count(*) AS n FROM indicator_value")["n"][0] == 0
        assert wh.ingest(_ambulance(tmp_path)).status == "loaded"  # the connection still works
        assert wh.query("SELECT count(*) AS n FROM indicator_value")["n"][0] == 1

"""The native street write path (scan → staging table → ``crime_record`` in the warehouse's own
DuckDB) gives exactly the warehouse rows, registry rows, rejections and reports of the Python
reader path, on the real shared street files and on broken copies of them, and keeps re-runs
idempotent (issue #18)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import vrkit
from vrkit.errors import VrkitError
from vrkit.store.warehouse import IngestResult, Warehouse

REPO_ROOT = Path(__file__).resolve().parents[2]
_d = vrkit.get_settings().data_dir
DATA = _d if _d.is_absolute() else (REPO_ROOT / _d).resolve()
STREET = DATA / "police_uk_street"

pytestmark = pytest.mark.skipif(not STREET.is_dir(), reason="shared data not available")


def _files(tmp: Path) -> list[Path]:
    """Every shared street file (plain and gzip), plus broken copies of three plain files."""
    files = sorted(p for p in STREET.rglob("*") if p.is_file() and "street" in p.name)
    plain = [p for p in files if p.suffix == ".csv"]
    assert len(plain) >= 6 and len(files) > len(plain)
    broken = tmp / "broken"
    broken.mkdir()

    def copy(src: Path, edit: object) -> Path:
        lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
        assert callable(edit)
        dest = broken / src.name.replace("street", "x-street")
        dest.write_text("".join(edit(lines)), encoding="utf-8")
        return dest

    # a row with an impossible longitude, a blank line, an exact repeat of a row, a lone
    # Crime ID repeated with different content, and a malformed line: each must be handled
    # exactly as the Python reader handles it
    def bad_lon(lines: list[str]) -> list[str]:
        f = lines[3].split(",")
        f[4] = "45.0"
        return [*lines[:3], ",".join(f), *lines[4:]]

    def blank_and_repeat(lines: list[str]) -> list[str]:
        with_id = next(x for x in lines[1:] if not x.startswith(","))
        return [*lines[:2], "\n", with_id, *lines[2:]]

    def malformed(lines: list[str]) -> list[str]:
        return [*lines[:5], "a,b,c\n", *lines[5:]]

    same = tmp / "same"
    same.mkdir()
    shutil.copy(plain[4], same / plain[4].name)  # the same bytes under another path
    return [
        *files,
        plain[3],  # listed twice
        same / plain[4].name,
        copy(plain[0], bad_lon),
        copy(plain[1], blank_and_repeat),
        copy(plain[2], malformed),
    ]


def _ingest(store: Path, files: list[Path], native: bool, *, force: bool = False) -> list[object]:
    with Warehouse(store) as wh:
        wh.native_street = native
        wh.batch_rows = 40_000  # several groups, so files of both kinds share a group
        return list(wh.ingest_many(files, force=force))


def _contents(store: Path) -> dict[str, pd.DataFrame]:
    with Warehouse(store, read_only=True) as wh:
        return {
            "crime_record": wh.query(
                """SELECT d.file_name, r.* EXCLUDE (dataset_id) FROM crime_record r
                   JOIN dataset d USING (dataset_id) ORDER BY ALL"""
            ),
            "dataset": wh.query(
                "SELECT * EXCLUDE (loaded_at, file_path) FROM dataset ORDER BY dataset_id"
            ),
            "rejection": wh.query(
                """SELECT d.file_name, r.* EXCLUDE (dataset_id) FROM rejection r
                   JOIN dataset d USING (dataset_id) ORDER BY ALL"""
            ),
        }


def _same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for table in a:
        pd.testing.assert_frame_equal(a[table], b[table], check_exact=True, obj=table)


def _reports(results: list[object]) -> list[object]:
    return [
        (r.path, r.status, r.dataset_id, r.report) if isinstance(r, IngestResult) else str(r)
        for r in results
    ]


def test_native_path_gives_the_python_paths_warehouse(tmp_path: Path) -> None:
    files = _files(tmp_path)
    native, python = tmp_path / "native.duckdb", tmp_path / "python.duckdb"
    got = _ingest(native, files, True)
    want = _ingest(python, files, False)
    assert _reports(got) == _reports(want)
    assert not any(isinstance(r, VrkitError) for r in got)
    contents = _contents(native)
    _same(contents, _contents(python))
    records = contents["crime_record"]
    assert len(records) > 100_000
    # EPSG:27700 on every located row, none on the others
    located = records["longitude"].notna()
    assert records.loc[located, "easting"].between(0, 700_000).all()
    assert records.loc[~located, "easting"].isna().all()
    # the broken copies were rejected row by row, with physical line numbers
    rej = contents["rejection"]
    assert set(rej["reason"]) >= {
        "Longitude outside England and Wales (-8..2)",
        "duplicate row (same Crime ID, identical content)",
        "wrong number of fields",
    }
    mine = rej[rej["file_name"].str.contains("-x-street")]
    assert sorted(mine["row_number"]) == [4, 4, 6]


def test_native_reruns_are_idempotent(tmp_path: Path) -> None:
    files = _files(tmp_path)
    files = [*[p for p in files if p.suffix == ".csv"][:12], *files[-3:]]
    store = tmp_path / "w.duckdb"
    _ingest(store, files, True)
    first = _contents(store)
    again = _ingest(store, files, True)
    assert all(isinstance(r, IngestResult) and r.status == "unchanged" for r in again)
    _same(first, _contents(store))
    # forced: every file replaced by itself (replace-by-key), nothing doubled
    forced = _ingest(store, files, True, force=True)
    assert all(isinstance(r, IngestResult) and r.status == "loaded" for r in forced)
    after = _contents(store)
    _same(
        {k: v for k, v in first.items() if k != "dataset"},
        {k: v for k, v in after.items() if k != "dataset"},
    )
    cols = ["source_kind", "file_name", "rows_read", "rows_loaded", "rows_rejected", "notes"]
    pd.testing.assert_frame_equal(first["dataset"][cols], after["dataset"][cols])


def test_a_later_file_for_the_same_force_and_month_replaces_the_earlier(tmp_path: Path) -> None:
    plain = sorted(p for p in STREET.rglob("*-street.csv"))
    a = tmp_path / "a" / plain[0].name
    b = tmp_path / "b" / plain[0].name
    a.parent.mkdir()
    b.parent.mkdir()
    shutil.copy(plain[0], a)
    lines = plain[0].read_text(encoding="utf-8").splitlines(keepends=True)
    b.write_text("".join(lines[:-3]), encoding="utf-8")  # a "corrected" shorter release
    for native in (True, False):
        store = tmp_path / f"{native}.duckdb"
        _ingest(store, [a, b], native)
        with Warehouse(store, read_only=True) as wh:
            (n,) = wh.con.execute("SELECT count(*) FROM crime_record").fetchone() or (0,)
        assert n == len(lines) - 3 - 1

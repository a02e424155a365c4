"""Tests of the data.police.uk adapters on the real shared data and on generated bad inputs.

Expected figures are those verified in ``shared/data/PROVENANCE.md`` §11–14.
"""

from __future__ import annotations

import gzip
import zipfile
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import vrkit
from vrkit.errors import DataValidationError, SourceError
from vrkit.sources.police_uk import (
    OUTCOME_COLUMNS,
    STOP_SEARCH_COLUMNS,
    STREET_COLUMNS,
    read_police_uk,
)
from vrkit.sources.registry import detect_adapter, expand_paths
from vrkit.store.warehouse import Warehouse

REPO_ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    d = vrkit.get_settings().data_dir
    return d if d.is_absolute() else (REPO_ROOT / d).resolve()


DATA = _data_dir()
CITY_STREET = DATA / "police_uk_street" / "city-of-london"
LEICS_STREET = DATA / "police_uk_street" / "leicestershire"
CITY_OUTCOMES = DATA / "police_uk_outcomes" / "city-of-london"
CITY_STOPS = DATA / "police_uk_stop_and_search" / "city-of-london"
VSO = "Violence and sexual offences"

# PROVENANCE.md §11: rows / "Violence and sexual offences" rows per month (a sample of months)
CITY_MONTHS = {
    "2016-01": (446, 63),
    "2016-12": (646, 117),
    "2017-09": (575, 98),
    "2018-03": (707, 113),
    "2019-06": (922, 115),
    "2019-09": (853, 127),
    "2020-04": (236, 23),
    "2021-01": (247, 43),
    "2021-12": (628, 150),
}
CITY_VSO_YEARS = {2016: 948, 2017: 965, 2018: 1307, 2019: 1375, 2020: 710, 2021: 1084}
# PROVENANCE.md §13 and §14: rows per month (sample)
OUTCOME_MONTHS = {"2016-01": 574, "2016-12": 376, "2017-06": 424}
STOP_MONTHS = {"2015-03": 114, "2018-09": 148, "2020-07": 518}


@pytest.fixture(scope="module", autouse=True)
def _require_data() -> None:
    for folder in (CITY_STREET, LEICS_STREET, CITY_OUTCOMES, CITY_STOPS):
        if not folder.is_dir():
            pytest.fail(f"shared data missing: {folder} (set VRKIT_DATA_DIR)")


def _files(folder: Path) -> list[Path]:
    return expand_paths([folder])


@pytest.fixture(scope="module")
def city_street() -> dict[str, vrkit.SourceFrames]:
    files = _files(CITY_STREET)
    assert len(files) == 72
    return {f.parent.name: read_police_uk(f) for f in files}


def _table(frames: vrkit.SourceFrames) -> pa.Table:
    (table,) = frames.tables.values()
    assert isinstance(table, pa.Table)
    return table


def _count(table: pa.Table, column: str, value: str) -> int:
    return int(pc.sum(pc.equal(table[column], value)).as_py() or 0)


# ----------------------------------------------------------------------------------------------
# Real data


def test_city_street_monthly_rows_and_violence(city_street: dict[str, vrkit.SourceFrames]) -> None:
    for month, (rows, vso) in CITY_MONTHS.items():
        frames = city_street[month]
        rep = frames.report
        assert rep.rows_read == rows, month
        assert rep.rows_loaded + rep.rows_rejected == rows
        table = _table(frames)
        assert _count(table, "crime_type", VSO) == vso, month
        assert rep.covers_from == rep.covers_to == date.fromisoformat(month + "-01")
        assert frames.replace_key == ("falls_within", "month")
        assert set(table["month"].to_pylist()) == {date.fromisoformat(month + "-01")}


def test_city_street_totals(city_street: dict[str, vrkit.SourceFrames]) -> None:
    assert sum(f.report.rows_read for f in city_street.values()) == 44_801
    for year, vso in CITY_VSO_YEARS.items():
        got = sum(
            _count(_table(f), "crime_type", VSO)
            for m, f in city_street.items()
            if m.startswith(str(year))
        )
        assert got == vso, year
    # 93.35 % of rows have coordinates, the same rows as have an LSOA (rows read, incl. the
    # five rejected exact repeats, which all have coordinates)
    located = sum(
        len(_table(f))
        - int(pc.sum(pc.is_null(_table(f)["longitude"])).as_py() or 0)
        + f.report.rows_rejected
        for f in city_street.values()
    )
    assert round(100 * located / 44_801, 2) == 93.35
    for f in city_street.values():
        t = _table(f)
        assert pc.equal(pc.is_null(t["longitude"]), pc.is_null(t["lsoa_code"])).to_pylist() == [
            True
        ] * len(t)
        # easting/northing exist exactly where coordinates do, in British National Grid
        assert t["easting"].null_count == t["longitude"].null_count
        e = t["easting"].drop_null()
        assert pc.min(e).as_py() > 0 and pc.max(e).as_py() < 700_000


def test_city_street_rejects_only_exact_repeats(
    city_street: dict[str, vrkit.SourceFrames],
) -> None:
    rejected = {m: f.report.rejections for m, f in city_street.items() if f.report.rejections}
    assert {m: len(r) for m, r in rejected.items()} == {"2018-03": 1, "2019-06": 3, "2019-09": 1}
    june = CITY_STREET / "2019-06" / "2019-06-city-of-london-street.csv"
    lines = june.read_text().splitlines()
    for rej in rejected["2019-06"]:
        assert rej.reason == "duplicate row (same Crime ID, identical content)"
        assert rej.raw == lines[rej.row_number - 1]
        # the same line appears earlier in the file
        assert lines.index(rej.raw) < rej.row_number - 1


def test_city_street_keeps_asb_and_no_location(
    city_street: dict[str, vrkit.SourceFrames],
) -> None:
    frames = city_street["2016-01"]
    t = _table(frames)
    asb = _count(t, "crime_type", "Anti-social behaviour")
    assert asb > 0
    no_id = int(pc.sum(pc.is_null(t["crime_id"])).as_py() or 0)
    assert no_id == asb
    no_loc = _count(t, "location", "No Location")
    assert no_loc > 0
    notes = " | ".join(frames.report.notes)
    assert f"{no_loc:,} rows have no location (kept)" in notes
    assert f"{asb:,} anti-social behaviour rows without Crime ID (kept)" in notes


def test_leicestershire_gzip_2020_violence() -> None:
    files = [f for f in _files(LEICS_STREET) if f.name.startswith("2020-")]
    assert len(files) == 12 and all(f.name.endswith(".csv.gz") for f in files)
    frames = [read_police_uk(f) for f in files]
    assert sum(_count(_table(f), "crime_type", VSO) for f in frames) == 34_227
    jan = next(f for f in frames if f.report.covers_from == date(2020, 1, 1))
    assert jan.report.rows_read == jan.report.rows_loaded == 8_852
    assert {a.kind for a in map(detect_adapter, files)} == {"police_uk_street"}


def test_outcomes() -> None:
    files = _files(CITY_OUTCOMES)
    frames = {f.parent.name: read_police_uk(f) for f in files}
    assert {detect_adapter(f).kind for f in files} == {"police_uk_outcomes"}
    assert sum(f.report.rows_loaded for f in frames.values()) == 9_136
    assert sum(f.report.rows_rejected for f in frames.values()) == 0
    for month, rows in OUTCOME_MONTHS.items():
        assert frames[month].report.rows_loaded == rows
    t = _table(frames["2016-01"])
    assert t.column_names == [
        "crime_id", "month", "reported_by", "falls_within", "longitude", "latitude",
        "location", "lsoa_code", "lsoa_name", "outcome_type",
    ]  # fmt: skip


def test_stop_and_search() -> None:
    files = _files(CITY_STOPS)
    assert {detect_adapter(f).kind for f in files} == {"police_uk_stop_search"}
    frames = {f.parent.name: read_police_uk(f) for f in files}
    total = sum(f.report.rows_loaded for f in frames.values())
    assert total == 9_740
    assert sum(f.report.rows_rejected for f in frames.values()) == 0
    located = sum(len(_table(f)) - _table(f)["latitude"].null_count for f in frames.values())
    assert round(100 * located / total, 1) == 49.7
    for month, rows in STOP_MONTHS.items():
        assert frames[month].report.rows_loaded == rows
    sep = frames["2018-09"]
    t = _table(sep)
    assert sep.replace_key == ("force", "month")
    assert set(t["force"].to_pylist()) == {"city-of-london"}
    # 2018-08-31T23:13:35Z is 00:13 on 1 September in London: it belongs to September
    assert set(t["month"].to_pylist()) == {date(2018, 9, 1)}
    first = t.slice(0, 1).to_pylist()[0]
    assert first["searched_at"].isoformat() == "2018-08-31T23:13:35+00:00"
    assert first["outcome_linked_to_object"] is False


def test_zip_in_download_layout_loads_same_rows(tmp_path: Path) -> None:
    months = ["2020-01", "2020-02"]
    archive = tmp_path / "police-uk-download.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for m in months:
            for folder, kind in ((CITY_STREET, "street"), (CITY_STOPS, "stop-and-search")):
                name = f"{m}/{m}-city-of-london-{kind}.csv"
                zf.write(folder / m / Path(name).name, name)
    assert detect_adapter(archive).kind == "police_uk_street"
    zipped = read_police_uk(archive)
    plain = [read_police_uk(CITY_STREET / m / f"{m}-city-of-london-street.csv") for m in months]
    assert zipped.report.rows_loaded == sum(p.report.rows_loaded for p in plain) == 797 + 763
    assert _table(zipped).equals(pa.concat_tables([_table(p) for p in plain]))
    assert (zipped.report.covers_from, zipped.report.covers_to) == (
        date(2020, 1, 1),
        date(2020, 2, 1),
    )
    stops = read_police_uk(archive, kind="police_uk_stop_search")
    assert stops.report.rows_loaded == 351 + 236


# ----------------------------------------------------------------------------------------------
# Generated bad input

HEADER = ",".join(STREET_COLUMNS)
CITY = "City of London Police"


def _row(crime_id: str, month: str = "2020-01", lon: str = "-0.09", lat: str = "51.51") -> str:
    return (
        f"{crime_id},{month},{CITY},{CITY},{lon},{lat},On or near X Street,E01000001,"
        "City of London 001A,Burglary,Under investigation,"
    )


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_bad_rows_are_rejected_with_line_numbers(tmp_path: Path) -> None:
    good = _row("a1")
    lines = [
        HEADER,
        good,  # 2
        _row("a2", month="2020-13"),  # 3 bad month
        _row("a3", month="2020-02"),  # 4 month differs from file name
        _row("a4", lat="fifty-one"),  # 5 non-numeric latitude
        good + ",extra",  # 6 extra field
        "",  # 7 blank line (skipped, still counted as a line)
        _row("a5"),  # 8
        good,  # 9 exact repeat of line 2
        _row("a6", lon="-0.09", lat="48.0"),  # 10 outside England and Wales
        f",2020-01,{CITY},{CITY},,,No Location,,,Anti-social behaviour,,",  # 11 kept
        _row("a7").replace("Burglary", ""),  # 12 missing crime type
    ]
    path = _write(tmp_path / "2020-01-city-of-london-street.csv", lines)
    frames = read_police_uk(path)
    rep = frames.report
    got = [(r.row_number, r.reason) for r in rep.rejections]
    assert got == [
        (3, "Month is not YYYY-MM"),
        (4, "Month differs from the file name's month"),
        (5, "Latitude is not a number"),
        (6, "wrong number of fields"),
        (9, "duplicate row (same Crime ID, identical content)"),
        (10, "Latitude outside England and Wales (49..61)"),
        (12, "Crime type is missing"),
    ]
    assert rep.rejections[0].raw == lines[2]
    assert rep.rejections[2].column == "Latitude"
    assert rep.rows_read == 10 and rep.rows_loaded == 3 and rep.rows_rejected == 7
    assert rep.rejected_by_reason()["wrong number of fields"] == 1
    assert _table(frames)["crime_id"].to_pylist() == ["a1", "a5", None]
    assert "1 rows have no location (kept)" in rep.notes


def test_rows_with_only_one_coordinate_are_rejected(tmp_path: Path) -> None:
    # police.uk gives both coordinates or neither ("No Location"); half a point is not a place
    lines = [
        HEADER,
        _row("b1"),  # 2
        _row("b2", lat=""),  # 3 longitude only
        _row("b3", lon=""),  # 4 latitude only
        _row("b4", lon="", lat=""),  # 5 neither: kept as "no location"
    ]
    frames = read_police_uk(_write(tmp_path / "2020-01-city-of-london-street.csv", lines))
    rep = frames.report
    assert [(r.row_number, r.column, r.reason) for r in rep.rejections] == [
        (3, "Latitude", "only one of Longitude/Latitude given"),
        (4, "Latitude", "only one of Longitude/Latitude given"),
    ]
    assert _table(frames)["crime_id"].to_pylist() == ["b1", "b4"]
    assert rep.rows_read == 4 and rep.rows_loaded == 2 and rep.rows_rejected == 2


OUTCOME_HEADER = ",".join(OUTCOME_COLUMNS)


def _outcome(
    crime_id: str, month: str = "2016-01", lon: str = "-0.08", lat: str = "51.52", falls: str = CITY
) -> str:
    return (
        f"{crime_id},{month},{CITY},{falls},{lon},{lat},On or near Y Street,E01000005,"
        "City of London 001E,Offender given a caution"
    )


def test_outcomes_bad_rows_are_rejected_with_line_numbers(tmp_path: Path) -> None:
    lines = [
        OUTCOME_HEADER,
        _outcome("o1"),  # 2
        _outcome("o2", month="2016-1"),  # 3 bad month
        _outcome("o3", month="2016-02"),  # 4 not the file's month
        _outcome("o4", lon="west"),  # 5 non-numeric longitude
        _outcome("o5", lat=""),  # 6 half a point
        _outcome("o6", lon="3.5"),  # 7 longitude outside England and Wales
        _outcome("o7", falls=""),  # 8 Falls within missing
        _outcome("o8") + ",extra",  # 9 extra field
        _outcome("o1"),  # 10 exact repeat: kept (several suspects, one outcome each)
        _outcome("o9", lon="", lat=""),  # 11 no location: kept
    ]
    frames = read_police_uk(_write(tmp_path / "2016-01-city-of-london-outcomes.csv", lines))
    rep = frames.report
    assert [(r.row_number, r.column, r.reason) for r in rep.rejections] == [
        (3, "Month", "Month is not YYYY-MM"),
        (4, "Month", "Month differs from the file name's month"),
        (5, "Longitude", "Longitude is not a number"),
        (6, "Latitude", "only one of Longitude/Latitude given"),
        (7, "Longitude", "Longitude outside England and Wales (-8..2)"),
        (8, "Falls within", "Falls within is missing"),
        (9, None, "wrong number of fields"),
    ]
    assert _table(frames)["crime_id"].to_pylist() == ["o1", "o1", "o9"]
    assert rep.rows_read == 10 and rep.rows_loaded == 3 and rep.rows_rejected == 7


STOP_HEADER = ",".join(STOP_SEARCH_COLUMNS)


def _stop(
    date_: str = "2018-09-10T12:00:00+00:00",
    lat: str = "51.51",
    lon: str = "-0.10",
    operation: str = "False",
    linked: str = "False",
) -> str:
    return (
        f"Person search,{date_},{operation},,{lat},{lon},Male,25-34,White - English,White,"
        f"Misuse of Drugs Act 1971 (section 23),Controlled drugs,Arrest,{linked},False"
    )


def test_stop_and_search_bad_rows_are_rejected_with_line_numbers(tmp_path: Path) -> None:
    lines = [
        STOP_HEADER,
        _stop(),  # 2
        _stop(date_="10/09/2018 12:00"),  # 3 not ISO
        _stop(date_=""),  # 4 no date
        _stop(date_="2018-09-30T23:30:00+00:00"),  # 5 00:30 on 1 October in London
        _stop(date_="2018-08-31T23:30:00+00:00"),  # 6 00:30 on 1 September in London: kept
        _stop(lon=""),  # 7 latitude only
        _stop(lat="62.0"),  # 8 latitude outside England and Wales
        _stop(operation="yes"),  # 9 not True/False
        _stop(linked="maybe"),  # 10 not True/False
        _stop(lat="", lon=""),  # 11 no location: kept
        _stop() + ",extra",  # 12 extra field
    ]
    path = _write(tmp_path / "2018-09-city-of-london-stop-and-search.csv", lines)
    frames = read_police_uk(path)
    rep = frames.report
    assert [(r.row_number, r.column, r.reason) for r in rep.rejections] == [
        (3, "Date", "Date is not an ISO timestamp"),
        (4, "Date", "Date is not an ISO timestamp"),
        (5, "Date", "Date is outside the file name's month (UK time)"),
        (7, "Latitude", "only one of Longitude/Latitude given"),
        (8, "Latitude", "Latitude outside England and Wales (49..61)"),
        (9, "Part of a policing operation", "not True/False"),
        (10, "Outcome linked to object of search", "not True/False"),
        (12, None, "wrong number of fields"),
    ]
    t = _table(frames)
    assert rep.rows_read == 11 and rep.rows_loaded == 3 and rep.rows_rejected == 8
    assert set(t["month"].to_pylist()) == {date(2018, 9, 1)}
    assert t["latitude"].null_count == 1


def test_unreadable_files_are_source_errors(tmp_path: Path) -> None:
    empty = tmp_path / "2020-01-x-street.csv"
    empty.write_bytes(b"")
    with pytest.raises(SourceError, match="empty"):
        read_police_uk(empty)
    header_only = _write(tmp_path / "2020-02-x-street.csv", [HEADER])
    with pytest.raises(SourceError, match="header but no data rows"):
        read_police_uk(header_only)
    data = gzip.compress(("\n".join([HEADER] + [_row(f"id{i}") for i in range(5000)])).encode())
    truncated = tmp_path / "2020-01-x-street.csv.gz"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="truncated"):
        read_police_uk(truncated)
    garbage = tmp_path / "2020-01-y-street.csv"
    garbage.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(SourceError, match="not a CSV"):
        read_police_uk(garbage)


def test_renamed_column_is_named(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "2020-01-x-street.csv", [HEADER.replace("Crime type", "Offence"), _row("a")]
    )
    assert detect_adapter(path).kind == "police_uk_street"
    with pytest.raises(DataValidationError, match="'Crime type'") as err:
        Warehouse(":memory:").ingest(path)
    assert err.value.column == "Crime type"


def test_warehouse_idempotent_and_replaces_same_force_month(tmp_path: Path) -> None:
    src = CITY_STREET / "2020-01" / "2020-01-city-of-london-street.csv"
    with Warehouse(tmp_path / "w.duckdb") as wh:
        first = wh.ingest(src)
        assert first.status == "loaded"
        count = "SELECT count(*) FROM crime_record"
        assert wh.con.execute(count).fetchone() == (797,)
        assert wh.ingest(src).status == "unchanged"
        assert wh.con.execute(count).fetchone() == (797,)
        # another month stays; a newer file for the same force+month replaces the first
        wh.ingest(CITY_STREET / "2020-02" / "2020-02-city-of-london-street.csv")
        newer = tmp_path / "2020-01" / "2020-01-city-of-london-street.csv"
        newer.parent.mkdir()
        _write(newer, [HEADER, _row("n1"), _row("n2")])
        res = wh.ingest(newer)
        assert res.status == "loaded" and res.dataset_id != first.dataset_id
        rows = wh.query(
            "SELECT month, count(*) AS n, min(dataset_id) AS d FROM crime_record "
            "GROUP BY month ORDER BY month"
        )
        assert rows["n"].tolist() == [2, 763]
        assert int(rows["d"].iloc[0]) == res.dataset_id
        e = wh.con.execute("SELECT easting, northing FROM crime_record LIMIT 1").fetchone()
        assert e is not None and 500_000 < e[0] < 560_000 and 150_000 < e[1] < 200_000


def test_download_zip_with_every_kind_loads_each_kind(tmp_path: Path) -> None:
    """A police.uk download zip holds street, outcomes and stop-and-search files together:
    `vrkit ingest` loads every kind (each its own dataset), none silently left out."""
    import zipfile

    from vrkit import Warehouse, get_settings

    data = get_settings().data_dir
    z = tmp_path / "download.zip"
    folders = ["police_uk_street", "police_uk_outcomes", "police_uk_stop_and_search"]
    with zipfile.ZipFile(z, "w") as zf:
        for folder in folders:
            for month in ("2016-01", "2016-02"):
                for f in sorted((data / folder / "city-of-london" / month).glob("*.csv")):
                    zf.write(f, arcname=f"{month}/{f.name}")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        results = wh.ingest_many([z])
        kinds = {r.source_kind: r.report.rows_loaded for r in results if r.report}
        # PROVENANCE.md: street 446 + 509, outcomes 574 + 479, stop and search 150 + 102
        assert kinds == {
            "police_uk_street": 955,
            "police_uk_outcomes": 1053,
            "police_uk_stop_search": 252,
        }
        again = wh.ingest_many([z])
        assert [r.status for r in again] == ["unchanged"] * 3

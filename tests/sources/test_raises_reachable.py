"""Every reachable ``raise`` of the source adapters, fed a small hostile file (issue #21).

Each case writes a synthetic file in ``tmp_path`` with the header and shape of the real format
(no extract of the shared data) and reads it through the public entry point: the registry's
``read_file`` (format detection, then the adapter's ``read``), a named reader such as
``read_police_uk``, or ``Warehouse.ingest``. Each asserts the error class and that the message
names the file and, where the code passes them, the line, the column and the reason. The
verdict for every ``raise`` of ``sources/`` is in docs/testing-raises.md.
"""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from vrkit.errors import DataValidationError, InputError, SourceError, VrkitError
from vrkit.sources.indicators import WardProfilesAdapter, read_user_indicator
from vrkit.sources.istv import read_istv
from vrkit.sources.london_vru_plans import read_plan_facts, read_sna
from vrkit.sources.mps import read_mps
from vrkit.sources.police_uk import STREET_COLUMNS, read_police_uk, read_police_uk_many
from vrkit.sources.registry import read_file
from vrkit.store.warehouse import Warehouse

STREET_HEADER = ",".join(STREET_COLUMNS)
STREET_ROW = (
    "abc123,2020-01,City of London Police,City of London Police,-0.0977,51.5186,"
    "On or near Foo Street,E01000001,City of London 001A,Burglary,Under investigation,"
)
WARD_HEAD = "MajorText,MinorText,WardName,WardCode,LookUp_BoroughName"
BOROUGH_HEAD = "MajorText,MinorText,LookUp_BoroughName"
LSOA_HEAD = "LSOA11CD,LSOA11NM,MSOA11CD,MSOA11NM,LAD11CD,LAD11NM,2011,2012"
LSOA_ROW = "E01000001,City of London 001A,E02000001,City of London 001,E09000001,City,1.0,2.0"
LAS_HEAD = "0,Code,Borough,Jun 2009,Jul 2009"
PAS_HEAD = "Date,Survey,Borough,Measure,Proportion,MPS,,,,"


@dataclass(frozen=True)
class Case:
    """One hostile file: its name and text, the error expected and what the message names."""

    id: str
    name: str
    text: str | bytes | Callable[[Path], None]  # or a function writing the file at that path
    error: type[VrkitError]
    reason: str  # a fragment of the reason, matched literally
    row: int | None = None
    column: str | None = None
    reader: Callable[[Path], object] = read_file


def _lines(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def _census_header() -> str:
    from vrkit.sources.population import CENSUS_HEADER

    return ",".join(CENSUS_HEADER)


def _census_row(date: str) -> str:
    from vrkit.sources.population import CENSUS_HEADER

    return ",".join([date, "City of London 001A", "E01000001"] + ["1"] * (len(CENSUS_HEADER) - 3))


# --- builders for formats that are not plain text --------------------------------------------

_SQUARE = [[-0.10, 51.50], [-0.09, 51.50], [-0.09, 51.51], [-0.10, 51.51], [-0.10, 51.50]]


def _polygon(*ring: tuple[float, float]) -> dict[str, object]:
    return {"type": "Polygon", "coordinates": [[list(xy) for xy in ring]]}


def _borough(code: str, name: str, geometry: object) -> dict[str, object]:
    props = {"NAME": name, "GSS_CODE": code, "HECTARES": 1.0, "NONLD_AREA": 0.0, "ONS_INNER": "T"}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _boroughs(*second: dict[str, object]) -> Callable[[Path], None]:
    """A GeoJSON layer of London boroughs: one good polygon, then ``second``."""

    def write(p: Path) -> None:
        good = _borough(
            "E09000001", "City of London", {"type": "Polygon", "coordinates": [_SQUARE]}
        )
        doc = {"type": "FeatureCollection", "features": [good, *second]}
        p.write_text(json.dumps(doc), encoding="utf-8")

    return write


def _empty_borough_layer(p: Path) -> None:
    import geopandas as gpd

    cols = {"NAME": [], "GSS_CODE": [], "HECTARES": [], "NONLD_AREA": [], "ONS_INNER": []}
    gpd.GeoDataFrame(cols, geometry=[], crs="EPSG:27700").to_file(p, driver="GPKG")


def _istv_rows(count: int, *, records: bool) -> list[list[str]]:
    head = [
        ["ISTV submission", "ISB 1594"],
        ["site_code", "RJ122"],
        ["department", "Test ED"],
        ["reporting_period_start", "2023-01-01"],
        ["reporting_period_end", "2023-01-31"],
        ["record_count", str(count)],
    ]
    return head + ([[], ["arrival_datetime", "assault_datetime"]] if records else [])


def _istv_csv(rows: list[list[str]], tail: str = "") -> Callable[[Path], None]:
    def write(p: Path) -> None:
        p.write_text(_lines(*(",".join(r) for r in rows)) + tail, encoding="utf-8")

    return write


def _workbook(sheet: str, rows: list[list[str]]) -> Callable[[Path], None]:
    def write(p: Path) -> None:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = sheet
        for r in rows:
            ws.append(r)
        wb.save(p)

    return write


def _dfe_row(level: str) -> str:
    return (
        f"Academic year,201617,{level},E92000001,England,E13000001,Inner London,205,E09000013,"
        "Hammersmith and Fulham,4003,2054003,16-19 free school,01/09/2016,State-funded secondary,"
        "1,14,0,0,7,50,5,35.71"
    )


def _dfe_zip(members: int) -> Callable[[Path], None]:
    def write(p: Path) -> None:
        from vrkit.sources.dfe_exclusions import COLUMNS

        with zipfile.ZipFile(p, "w") as zf:
            for k in range(members):
                zf.writestr(f"data/part{k}.csv", _lines(",".join(COLUMNS), _dfe_row("School")))

    return write


def _dfe_csv(*rows: str) -> Callable[[Path], None]:
    def write(p: Path) -> None:
        from vrkit.sources.dfe_exclusions import COLUMNS

        p.write_text(_lines(",".join(COLUMNS), *rows), encoding="utf-8")

    return write


def _sheets(sheets: dict[str, list[list[object]]]) -> Callable[[Path], None]:
    def write(p: Path) -> None:
        from openpyxl import Workbook

        wb = Workbook()
        first = wb.active
        assert first is not None
        wb.remove(first)
        for name, rows in sheets.items():
            ws = wb.create_sheet(name)
            for r in rows:
                ws.append(r)
        wb.save(p)

    return write


def _state_of_london(tno: list[list[object]]) -> Callable[[Path], None]:
    knife = [["Month_Year", "Count"], [datetime(2020, 1, 1), 5]]
    return _sheets({"TNO": tno, "AWL_Knife_U25": knife})


def _knife_header_only(p: Path) -> None:
    from vrkit.sources.mps_knife import AREA_COL, COLUMN_GROUPS, MONTH_COL, SHEET

    _sheets({SHEET: [[AREA_COL, MONTH_COL, *COLUMN_GROUPS]]})(p)


def _adapter(module: str, kind: str) -> Callable[[Path], object]:
    """The ``read`` of one registered adapter, called directly (no format detection first)."""
    import importlib

    adapters = importlib.import_module(f"vrkit.sources.{module}").ADAPTERS
    return next(a for a in adapters if a.kind == kind).read


CASES = [
    # --- police.uk --------------------------------------------------------------------------
    Case(
        "police_uk_not_csv",
        "2020-01-city-of-london-street.csv",
        _lines("no commas in this note", "second line"),
        SourceError,
        "not a CSV file (no comma-separated header line)",
        reader=lambda p: read_police_uk(p, "police_uk_street"),
    ),
    Case(
        "police_uk_column_order",
        "2020-01-city-of-london-street.csv",
        _lines(
            ",".join([STREET_COLUMNS[1], STREET_COLUMNS[0], *STREET_COLUMNS[2:]]),
            STREET_ROW,
        ),
        DataValidationError,
        "unexpected column or column order",
        row=1,
        column=STREET_COLUMNS[1],
        reader=read_police_uk,
    ),
    Case(
        "police_uk_unknown_csv",
        "notes.csv",
        _lines("a,b,c", "1,2,3"),
        SourceError,
        "not a data.police.uk street, outcomes or stop-and-search file",
        reader=read_police_uk,
    ),
    # --- MPS aggregates ---------------------------------------------------------------------
    Case(
        "mps_ward_no_month_columns",
        "MPS Ward Level Crime.csv",
        _lines(WARD_HEAD, "Burglary,Domestic,Bunhill,E05000367,Islington"),
        DataValidationError,
        "no month columns (YYYYMM) after the category columns",
        row=1,
    ),
    Case(
        "mps_month_twice",
        "MPS Borough Level Crime.csv",
        _lines(BOROUGH_HEAD + ",201901,201901", "Burglary,Domestic,Camden,1,2"),
        DataValidationError,
        "a month column appears twice",
        row=1,
        column="201901",
    ),
    Case(
        "mps_empty_category",
        "MPS Borough Level Crime.csv",
        _lines(BOROUGH_HEAD + ",201901", "Burglary,Domestic,Camden,1", " ,Domestic,Camden,2"),
        DataValidationError,
        "offence category is empty",
        row=3,
        column="MajorText",
    ),
    Case(
        "mps_ward_annual_bad_code",
        "London.Crime.ByWard_2011-2022.csv",
        _lines("WardCode,Year2011_Arson,Total2011", "E05000367,1,1", "X05000368,2,2"),
        DataValidationError,
        "ward code must be E05 + 6 digits",
        row=3,
        column="WardCode",
    ),
    Case(
        "mps_ward_annual_unknown_column",
        "London.Crime.ByWard_2011-2022.csv",
        _lines("WardCode,Year2011_Arson,Extra", "E05000367,1,1"),
        DataValidationError,
        "unexpected column (expected YearYYYY_<minor> or TotalYYYY)",
        row=1,
        column="Extra",
    ),
    Case(
        "mps_ward_annual_unknown_minor_category",  # was a KeyError traceback
        "London.Crime.ByWard_2011-2022.csv",
        _lines("WardCode,Year2011_Arson,Year2011_Jaywalking", "E05000367,1,1"),
        DataValidationError,
        "unknown MPS minor offence category in the column name",
        row=1,
        column="Year2011_Jaywalking",
    ),
    Case(
        "mps_lsoa_unknown_name",
        "lsoa-counts.csv",
        _lines(LSOA_HEAD, LSOA_ROW),
        DataValidationError,
        "cannot tell the offence category from the file name",
    ),
    Case(
        "mps_lsoa_bad_code",
        "london-2011-2021-major-violence.csv",
        _lines(LSOA_HEAD, LSOA_ROW, LSOA_ROW.replace("E01000001", "E0100001", 1)),
        DataValidationError,
        "LSOA code must be E01 + 6 digits",
        row=3,
        column="LSOA11CD",
    ),
    Case(
        "mps_reader_given_another_format",
        "2020-01-city-of-london-street.csv",
        _lines(STREET_HEADER, STREET_ROW),
        DataValidationError,
        "not an MPS aggregate file (looks like police_uk_street)",
        reader=read_mps,
    ),
    # --- LAS ambulance ----------------------------------------------------------------------
    Case(
        "las_second_total_row",
        "assaults-women.csv",
        _lines(
            LAS_HEAD,
            "1,E09000002,Barking and Dagenham,3,4",
            "2,Total,3,4",
            "3,Total,3,4",
        ),
        DataValidationError,
        "a second Total row (the first is on line 3)",
        row=4,
    ),
    Case(
        "las_total_row_misfit",
        "assaults-women.csv",
        _lines(LAS_HEAD, "1,E09000002,Barking and Dagenham,3,4", "2,Total,3"),
        DataValidationError,
        "a Total row that fits neither layout",
        row=3,
    ),
    Case(
        "las_no_borough_rows",
        "injuries-knife.csv",
        _lines(LAS_HEAD, "1,Total,,3,4"),
        DataValidationError,
        "the file has a header but no borough rows",
    ),
    # --- MOPAC PAS --------------------------------------------------------------------------
    Case(
        "pas_no_data_rows",
        "PAS_Dashboard_Borough.csv",
        _lines(PAS_HEAD, ",,,,,,,,,"),
        DataValidationError,
        "the file has a header but no data rows",
    ),
    # --- population -------------------------------------------------------------------------
    Case(
        "census_wrong_date",
        "census2021-ts007a-lsoa.csv",
        lambda p: p.write_text(
            _lines(_census_header(), _census_row("2021"), _census_row("2011")), encoding="utf-8"
        ),
        DataValidationError,
        "Census 2021 rows must have date 2021",
        row=3,
        column="date",
    ),
    # --- boundaries (GeoJSON in longitude/latitude, GeoPackage) -----------------------------
    Case(
        "boundary_empty_name",
        "boroughs.geojson",
        _boroughs(_borough("E09000002", " ", {"type": "Polygon", "coordinates": [_SQUARE]})),
        DataValidationError,
        "feature 2: area name is empty",
        column="NAME",
    ),
    Case(
        "boundary_missing_geometry",
        "boroughs.geojson",
        _boroughs(_borough("E09000002", "Barking and Dagenham", None)),
        DataValidationError,
        "feature 2: the geometry is missing or empty",
        column="GSS_CODE",
    ),
    Case(
        "boundary_points",
        "boroughs.geojson",
        _boroughs(
            _borough("E09000002", "Barking and Dagenham", {"type": "Point", "coordinates": [0, 51]})
        ),
        DataValidationError,
        "boundary layers must hold polygons only",
    ),
    Case(
        "boundary_zero_area",
        "boroughs.geojson",
        _boroughs(
            _borough(
                "E09000002",
                "Barking and Dagenham",
                _polygon((0.1, 51.5), (0.1, 51.5), (0.1, 51.5), (0.1, 51.5)),
            )
        ),
        DataValidationError,
        "feature 2: the polygon has zero area",
    ),
    Case(
        "boundary_outside_great_britain",
        "boroughs.geojson",
        _boroughs(
            _borough(
                "E09000002",
                "Barking and Dagenham",
                _polygon((151.0, -33.0), (151.1, -33.0), (151.1, -33.1), (151.0, -33.0)),
            )
        ),
        DataValidationError,
        "the layer does not fall in Great",
    ),
    Case(
        "boundary_no_features",
        "boroughs.gpkg",
        _empty_borough_layer,
        DataValidationError,
        "the layer has no features",
    ),
    # --- ISTV (A&E) submissions: errors name the submission by its label, never its path -----
    Case(
        "istv_declared_records_missing",
        "RJ122_2023-01.csv",
        _istv_csv(_istv_rows(2, records=False)),
        DataValidationError,
        "record_count says 2 but the file has no records",
    ),
    Case(
        "istv_field_over_the_csv_limit",
        "RJ122_2023-01.csv",
        _istv_csv(_istv_rows(1, records=True), '"' + "x" * 200_000 + '",2023-01-03\n'),
        DataValidationError,
        "cannot be parsed as CSV (",
        row=9,
    ),
    Case(
        "istv_workbook_without_the_sheet",
        "RJ122_2023-01.xlsx",
        _workbook("Sheet1", _istv_rows(0, records=False)),
        SourceError,
        "no sheet named 'ISTV submission'",
        reader=lambda p: read_istv(p),
    ),
    # --- DfE exclusions ---------------------------------------------------------------------
    Case(
        "dfe_zip_with_two_data_csvs",
        "exclusions_by_geographic_level.zip",
        _dfe_zip(2),
        SourceError,
        "the zip must hold exactly one DfE exclusions CSV (found 2)",
    ),
    Case(
        "dfe_header_only",
        "exclusions_by_geographic_level.csv",
        _dfe_csv(),
        SourceError,
        "the file has a header but no data rows",
    ),
    Case(
        "dfe_school_rows_only",
        "exclusions_by_geographic_level.csv",
        _dfe_csv(_dfe_row("School")),
        DataValidationError,
        "no national, regional or LA rows",
    ),
    # --- ambulance call-outs (lsoa_code, month, callouts) -----------------------------------
    Case(
        "ambulance_bad_lsoa_code",
        "ambulance.csv",
        _lines("lsoa_code,month,callouts", "E01000001,2023-01,3", "E0100002,2023-01,1"),
        DataValidationError,
        "lsoa_code must be an ONS LSOA code",
        row=3,
        column="lsoa_code",
    ),
    Case(
        "ambulance_bad_month",
        "ambulance.csv",
        _lines("lsoa_code,month,callouts", "E01000001,2023-01,3", "E01000002,Jan 2023,1"),
        DataValidationError,
        "month must be YYYY-MM",
        row=3,
        column="month",
    ),
    Case(
        "ambulance_bad_count",
        "ambulance.csv",
        _lines("lsoa_code,month,callouts", "E01000001,2023-01,3", "E01000002,2023-01,-1"),
        DataValidationError,
        "callouts must be a whole number",
        row=3,
        column="callouts",
    ),
    Case(
        "ambulance_twice",
        "ambulance.csv",
        _lines("lsoa_code,month,callouts", "E01000001,2023-01,3", "E01000001,2023-01,1"),
        DataValidationError,
        "the same lsoa_code and month appear twice",
        row=3,
    ),
    # --- GLA State of London workbook (the sheet TNO is read first) -------------------------
    Case(
        "state_of_london_first_header",
        "State_Of_London_Crime.xlsx",
        _state_of_london([["Date", "Count"], [datetime(2020, 1, 1), 5]]),
        DataValidationError,
        "sheet 'TNO': the first header must be Month_Year (or Parsed_Dates)",
        row=1,
        column="Date",
    ),
    Case(
        "state_of_london_no_count_column",
        "State_Of_London_Crime.xlsx",
        _state_of_london([["Month_Year"], [datetime(2020, 1, 1)]]),
        DataValidationError,
        "sheet 'TNO': no count column after the date",
        row=1,
    ),
    Case(
        "state_of_london_count_without_month",
        "State_Of_London_Crime.xlsx",
        _state_of_london([["Month_Year", "Count"], [datetime(2020, 1, 1), 5], [None, 7]]),
        DataValidationError,
        "sheet 'TNO': a count without a month",
        row=3,
        column="Month_Year",
    ),
    Case(
        "state_of_london_no_rows",
        "State_Of_London_Crime.xlsx",
        _state_of_london([["Month_Year", "Count"]]),
        DataValidationError,
        "sheet 'TNO': no data rows",
    ),
    # --- MPS knife crime workbook -----------------------------------------------------------
    Case(
        "knife_header_only",
        "Borough Monthly 2018-20.xlsx",
        _knife_header_only,
        DataValidationError,
        "sheet 'Sheet1' has no data rows",
    ),
    # --- guards of the shared readers, reached by calling an adapter's read directly -----------
    # (format detection refuses these files first, naming them as not any known format)
    Case(
        "csv_reader_empty_file",
        "MPS Borough Level Crime.csv",
        " \n",
        SourceError,
        "the file is empty",
        reader=_adapter("mps", "mps_borough_monthly"),
    ),
    Case(
        "csv_reader_one_column",
        "MPS Borough Level Crime.csv",
        _lines("MajorText", "Burglary"),
        SourceError,
        "line 1: not a CSV header (fewer than two columns)",
        reader=_adapter("mps", "mps_borough_monthly"),
    ),
    Case(
        "raw_rows_reader_empty_file",
        "assaults-women.csv",
        "\n\n",
        SourceError,
        "the file is empty",
        reader=_adapter("las_ambulance", "las_ambulance_borough_monthly"),
    ),
    Case(
        "ward_lookup_blank_name",
        "WD23_LAD23_EW_LU.csv",
        _lines(
            "WD23CD,WardName,WD23NMW,LAD23CD,LAD23NM,LAD23NMW,ObjectId",
            "E05000026,Abbey,,E09000002,Barking and Dagenham,,1",
            "E05000027, ,,E09000002,Barking and Dagenham,,2",
        ),
        DataValidationError,
        "area name is empty",
        row=3,
        column="WardName",
    ),
]


def _write(tmp: Path, case: Case) -> Path:
    p = tmp / case.name
    text = case.text
    if callable(text):
        text(p)
    else:
        p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def _check(exc: VrkitError, path: Path, case: Case) -> None:
    msg = str(exc)
    if exc.file_label is None:
        assert str(path) in msg, msg
    else:  # a health submission is named by its label (its file name may identify a person)
        sha = exc.file_label.split("sha256:")[1]
        assert f"sha256:{sha}" in msg and path.name not in msg, msg
    assert case.reason in msg, msg
    if case.row is not None:
        assert isinstance(exc, DataValidationError) and exc.row == case.row, msg
        assert f"line {case.row}" in msg
    if case.column is not None:
        assert isinstance(exc, DataValidationError) and exc.column == case.column, msg
        assert repr(case.column) in msg


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_file_is_refused_naming_file_line_column_and_reason(
    tmp_path: Path, case: Case
) -> None:
    p = _write(tmp_path, case)
    with pytest.raises(case.error) as info:
        case.reader(p)
    assert type(info.value) is case.error
    _check(info.value, p, case)


def test_refused_files_leave_the_warehouse_unchanged(tmp_path: Path) -> None:
    """Through ``Warehouse.ingest`` the same files give the same errors and load nothing."""
    detected = [c for c in CASES if c.reader is read_file]
    with Warehouse(tmp_path / "w.duckdb") as wh:
        before = len(wh.datasets())
        for case in detected:
            (tmp_path / case.id).mkdir()
            p = _write(tmp_path / case.id, case)
            with pytest.raises(case.error) as info:
                wh.ingest(p)
            _check(info.value, p, case)
        assert len(wh.datasets()) == before == 0


# --- police.uk zips and the kind argument -------------------------------------------------------


def _zip(tmp: Path, members: dict[str, str]) -> Path:
    zp = tmp / "download.zip"
    with zipfile.ZipFile(zp, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return zp


def test_police_uk_zip_without_members_of_the_kind_asked(tmp_path: Path) -> None:
    zp = _zip(tmp_path, {"2020-01/2020-01-city-of-london-street.csv": _lines(STREET_HEADER)})
    with pytest.raises(SourceError) as info:
        read_police_uk(zp, "police_uk_outcomes")
    assert str(zp) in str(info.value)
    assert "the zip has no outcomes CSV members" in str(info.value)


def test_police_uk_zip_without_any_police_uk_member(tmp_path: Path) -> None:
    zp = _zip(tmp_path, {"readme.csv": _lines("a,b", "1,2")})
    with pytest.raises(SourceError) as info:
        read_police_uk(zp)
    assert str(zp) in str(info.value)
    assert "the zip has no data.police.uk CSV members" in str(info.value)


def test_police_uk_unknown_kind_is_a_programming_error(tmp_path: Path) -> None:
    p = tmp_path / "2020-01-city-of-london-street.csv"
    p.write_text(_lines(STREET_HEADER, STREET_ROW), encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown police\.uk kind 'street'"):
        read_police_uk(p, "street")
    with pytest.raises(ValueError, match=r"unknown police\.uk kind 'street'"):
        read_police_uk_many([p], "street")


# --- files that are not files, not zips, not workbooks --------------------------------------------


def test_paths_that_are_not_readable_files(tmp_path: Path) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    for path, reason in (
        (tmp_path / "gone.csv", "no such file"),
        (tmp_path, "is a folder, not a file"),
        (blocker / "inside.csv", "cannot read file: Not a directory"),
    ):
        with pytest.raises(SourceError) as info:
            read_file(path)
        assert str(info.value).startswith(f"{path}: {reason}"), str(info.value)


def test_damaged_zip_and_workbooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    garbage = tmp_path / "Borough Monthly 2018-20.xlsx"
    garbage.write_bytes(b"PK\x03\x04 this is not a zip archive at all" * 10)
    with pytest.raises(SourceError) as info:
        read_file(garbage)
    assert str(info.value).startswith(f"{garbage}: not a valid zip archive:"), str(info.value)

    no_book = tmp_path / "State_Of_London_Crime.xlsx"
    with zipfile.ZipFile(no_book, "w") as zf:
        zf.writestr("readme.txt", "a zip, but no workbook parts inside")
    with pytest.raises(SourceError) as info:
        read_file(no_book)
    assert str(info.value).startswith(f"{no_book}: not a readable Excel workbook:"), str(info.value)

    big = tmp_path / "big.xlsx"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", b" " * 4096)
    monkeypatch.setenv("VRKIT_MAX_DECOMPRESSED_SIZE", "1KiB")
    with pytest.raises(SourceError) as info:
        read_file(big)
    assert str(info.value).startswith(f"{big}: ") and "decompresses to more than 1.0 KiB" in str(
        info.value
    )


# --- user indicators (`vrkit rank add-indicator`) and ward profiles ----------------------------

USER = {"indicator_id": "youth_places", "name": "Youth club places", "unit": "places"}


def test_user_indicator_refusals(tmp_path: Path) -> None:
    good = tmp_path / "places.csv"
    good.write_text("area_code,value,period\nE05000026,3,2019\nE05000027,4,last year\n")
    with pytest.raises(DataValidationError) as info:
        read_user_indicator(good, polarity="higher_is_better", **USER)
    _check_where(info.value, good, "period must be a year (2019)", 3, "period")
    with pytest.raises(InputError, match=r"^name and unit must not be empty$"):
        read_user_indicator(good, polarity="neutral", **{**USER, "unit": " "})
    gone = tmp_path / "gone.csv"
    with pytest.raises(SourceError) as src:
        read_user_indicator(gone, polarity="neutral", **USER)
    assert str(src.value) == f"{gone}: no such file"

    book = tmp_path / "places.xlsx"
    _sheets({"Data": [["area_code", "value", "period"], ["E05000026", 3, "2019"]]})(book)
    with pytest.raises(SourceError) as src:
        read_user_indicator(book, polarity="neutral", sheet="Nope", **USER)
    assert str(src.value).startswith(f"{book}: cannot read sheet: Worksheet named 'Nope'")
    hollow = tmp_path / "hollow.xlsx"
    with zipfile.ZipFile(hollow, "w") as zf:
        zf.writestr("readme.txt", "a zip, but no workbook parts inside")
    with pytest.raises(SourceError) as src:
        read_user_indicator(hollow, polarity="neutral", **USER)
    assert str(src.value).startswith(f"{hollow}: not a readable Excel workbook:")


def test_ward_profile_value_that_is_not_finite(tmp_path: Path) -> None:
    from vrkit.catalog.indicators import ward_profile_columns

    header = ["Ward name", "Old code", "New code"] + [c.header for c in ward_profile_columns()]
    rows = [
        ["Abbey", "00ABFX", "E05000026"] + ["1.5"] * (len(header) - 3),
        ["Barking", "00AB", "E09000002"] + ["2"] * (len(header) - 3),
    ]
    rows[1][10] = "inf"
    p = tmp_path / "ward-profiles.csv"
    with p.open("w", encoding="cp1252", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    with pytest.raises(DataValidationError) as info:
        WardProfilesAdapter().read(p)
    _check_where(info.value, p, "not a finite number", 3, "Mean Age - 2013")


def _check_where(exc: VrkitError, path: Path, reason: str, row: int, column: str) -> None:
    assert isinstance(exc, DataValidationError)
    assert (exc.row, exc.column) == (row, column)
    assert str(exc).startswith(f"{path}, line {row}, column {column!r}: ") and reason in str(exc)


def test_london_vru_plan_files_missing_or_renamed_columns(tmp_path: Path) -> None:
    """`vrkit tracker import` / `plans seed` read these from a folder (the shared data)."""
    with pytest.raises(SourceError) as info:
        read_sna(tmp_path)
    assert str(info.value).startswith(f"{tmp_path / 'sna_recommendations.csv'}: not found")
    plans = tmp_path / "action_plans.csv"
    plans.write_text("aspect,label,value,unit,note\nfocus,Knife crime,1,count,\n")
    with pytest.raises(DataValidationError) as dv:
        read_plan_facts(tmp_path)
    assert str(dv.value).startswith(f"{plans}, line 1: column 'source_line' is missing or renamed")

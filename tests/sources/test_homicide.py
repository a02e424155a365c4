"""Tests of the MPS homicide victims adapter (``mps_homicide_victims``) on real and tiny files."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import vrkit
from vrkit.errors import DataValidationError, SourceError
from vrkit.sources.homicide import (
    OUTPUT_COLUMNS,
    REASON_BOROUGH,
    REASON_DOMESTIC,
    REASON_FIELDS,
    REASON_MONTH,
    REASON_VICTIMS,
    REASON_YEAR,
    parse_month,
    read_homicide_victims,
)
from vrkit.sources.registry import detect_adapter
from vrkit.store.warehouse import Warehouse

REPO_ROOT = Path(__file__).resolve().parents[2]
HEADER = (
    "Count of Victims,Age Group,Sex,MethodofKilling,Domestic Abuse,Recorded Year,Recorded Month,"
    "Homicide Offence Type,Solved Status,Borough,Officer Observed Ethnicity"
)


def _data_dir() -> Path:
    d = vrkit.get_settings().data_dir
    return d if d.is_absolute() else (REPO_ROOT / d).resolve()


REAL = _data_dir() / "mps_homicide" / "original_homicide.xlsx - dataset.csv"
needs_data = pytest.mark.skipif(not REAL.exists(), reason=f"shared data not found at {REAL}")


def _row(
    victims: str = "1",
    age: str = "20 to 24",
    sex: str = "Male",
    method: str = "Knife or Sharp Implement",
    domestic: str = "Not Domestic Abuse",
    year: str = "2019",
    month: str = "Jan",
    borough: str = "Lambeth",
) -> str:
    return f"{victims},{age},{sex},{method},{domestic},{year},{month},Murder,Solved,{borough},Black"


def _write(tmp_path: Path, lines: list[str], name: str = "homicide.csv") -> Path:
    p = tmp_path / name
    p.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return p


# -- the real file -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_frames() -> vrkit.SourceFrames:
    if not REAL.exists():
        pytest.skip(f"shared data not found at {REAL}")
    return read_homicide_victims(REAL)


@needs_data
def test_real_file_is_detected() -> None:
    assert detect_adapter(REAL).kind == "mps_homicide_victims"


@needs_data
def test_real_file_loads_every_row(real_frames: vrkit.SourceFrames) -> None:
    with REAL.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rep = real_frames.report
    assert rep.rows_read == len(rows) == 2936
    assert rep.rows_loaded == 2936 and rep.rows_rejected == 0
    v = real_frames.tables["homicide_victim"]
    assert list(v.columns) == list(OUTPUT_COLUMNS)
    assert int(v["victims"].sum()) == sum(int(r["Count of Victims"]) for r in rows)
    assert rep.covers_from == date(2003, 1, 1) and rep.covers_to == date(2024, 3, 1)
    assert any("2024 is partial" in n for n in rep.notes)
    assert real_frames.replace_key == ("recorded_year",)


@needs_data
def test_real_file_verified_figures(real_frames: vrkit.SourceFrames) -> None:
    v = real_frames.tables["homicide_victim"]
    by_year = v.groupby("recorded_year")["victims"].sum()
    knives = v[v["method"] == "Knife or Sharp Implement"].groupby("recorded_year")["victims"].sum()
    assert (by_year[2019], knives[2019]) == (153, 94)  # PROVENANCE §5
    assert (by_year[2020], knives[2020]) == (133, 77)
    assert by_year[2024] == 24


@needs_data
def test_real_file_areas_months_and_flags(real_frames: vrkit.SourceFrames) -> None:
    v = real_frames.tables["homicide_victim"]
    bd = v[v["borough_name"] == "Barking & Dagenham"]
    assert len(bd) == 85 and set(bd["area_code"]) == {"E09000002"}
    unmapped = v[v["borough_name"] == "Unmapped"]
    assert len(unmapped) == 64 and set(unmapped["area_code"]) == {"MPS-UNMAPPED"}
    assert v["area_code"].notna().all()
    assert set(v["area_code"].str[:3]) == {"E09", "MPS"}
    assert v["area_code"].nunique() == 33  # 32 boroughs + Unmapped
    assert int(v["domestic_abuse"].sum()) == 499
    assert int((~v["domestic_abuse"]).sum()) == 2437
    first = v.iloc[0]
    assert first["row_number"] == 2 and first["recorded_month"] == 1
    assert pd.Timestamp(first["month"]) == pd.Timestamp("2003-01-01")
    assert (pd.to_datetime(v["month"]).dt.day == 1).all()
    areas = real_frames.tables["area"]
    assert areas[["area_code", "area_name", "area_type"]].values.tolist() == [
        ["MPS-UNMAPPED", "Unmapped", "pseudo"]
    ]


@needs_data
def test_real_file_into_warehouse_is_idempotent() -> None:
    with Warehouse(":memory:") as wh:
        first = wh.ingest(REAL)
        assert first.status == "loaded"
        again = wh.ingest(REAL)
        assert again.status == "unchanged" and again.dataset_id == first.dataset_id
        n, total = wh.query("SELECT count(*) n, sum(victims) t FROM homicide_victim").iloc[0]
        assert (n, total) == (2936, 2936)
        assert len(wh.datasets()) == 1


# -- bad rows are rejected one by one ------------------------------------------------------------


def test_bad_rows_are_rejected_and_counted(tmp_path: Path) -> None:
    lines = [
        _row(),  # line 2: good
        _row(year="20x9"),  # 3
        _row(month="Smarch"),  # 4
        _row(month="13"),  # 5
        _row(borough="Gotham"),  # 6
        _row(victims="0"),  # 7
        _row(victims="two"),  # 8
        _row() + ",extra",  # 9
        _row(domestic="Maybe"),  # 10
        _row(victims="2", month="3", borough="Barking & Dagenham"),  # 11: good, numeric month
        "",  # 12: blank line, skipped
        _row(month="December", domestic="Domestic Abuse"),  # 13: good
        "1,20 to 24,Male",  # 14: too few fields
    ]
    frames = read_homicide_victims(_write(tmp_path, lines))
    rep = frames.report
    assert rep.rows_read == 12 and rep.rows_loaded == 3 and rep.rows_rejected == 9
    got = [(r.row_number, r.column, r.reason) for r in rep.rejections]
    assert got == [
        (3, "Recorded Year", REASON_YEAR),
        (4, "Recorded Month", REASON_MONTH),
        (5, "Recorded Month", REASON_MONTH),
        (6, "Borough", REASON_BOROUGH),
        (7, "Count of Victims", REASON_VICTIMS),
        (8, "Count of Victims", REASON_VICTIMS),
        (9, None, REASON_FIELDS),
        (10, "Domestic Abuse", REASON_DOMESTIC),
        (14, None, REASON_FIELDS),
    ]
    assert rep.rejections[3].raw == _row(borough="Gotham")
    assert rep.rejected_by_reason() == {
        REASON_MONTH: 2,
        REASON_VICTIMS: 2,
        REASON_FIELDS: 2,
        REASON_YEAR: 1,
        REASON_BOROUGH: 1,
        REASON_DOMESTIC: 1,
    }
    v = frames.tables["homicide_victim"]
    assert v["row_number"].tolist() == [2, 11, 13]
    assert v["victims"].tolist() == [1, 2, 1]
    assert v["recorded_month"].tolist() == [1, 3, 12]
    assert v["area_code"].tolist() == ["E09000022", "E09000002", "E09000022"]
    assert v["borough_name"].tolist() == ["Lambeth", "Barking & Dagenham", "Lambeth"]
    assert v["domestic_abuse"].tolist() == [False, False, True]
    assert "rejected 9" in rep.summary()


def test_rejections_are_stored_in_the_warehouse(tmp_path: Path) -> None:
    p = _write(tmp_path, [_row(), _row(borough="Gotham"), _row(year="")])
    with Warehouse(":memory:") as wh:
        res = wh.ingest(p)
        rej = wh.query('SELECT row_number, "column", reason, raw FROM rejection ORDER BY 1')
        assert rej.values.tolist() == [
            [3, "Borough", REASON_BOROUGH, _row(borough="Gotham")],
            [4, "Recorded Year", REASON_YEAR, _row(year="")],
        ]
        ds = wh.datasets().iloc[0]
        assert (ds["rows_read"], ds["rows_loaded"], ds["rows_rejected"]) == (3, 1, 2)
        assert res.report is not None and res.report.rows_rejected == 2


def test_quoted_field_and_crlf_keep_physical_line_numbers(tmp_path: Path) -> None:
    p = tmp_path / "crlf.csv"
    body = [
        HEADER,
        _row(method='"Physical Assault, no weapon"'),
        _row(borough="Nowhere"),
    ]
    p.write_bytes("\r\n".join(body).encode())  # no final newline, like the real file
    frames = read_homicide_victims(p)
    assert frames.tables["homicide_victim"]["method"].tolist() == ["Physical Assault, no weapon"]
    assert [(r.row_number, r.raw) for r in frames.report.rejections] == [
        (3, _row(borough="Nowhere"))
    ]


@pytest.mark.parametrize(
    ("value", "month"),
    [
        ("Jan", 1),
        ("sep", 9),
        ("Sept", 9),
        ("December", 12),
        ("3", 3),
        ("03", 3),
        ("0", None),
        ("13", None),
        ("", None),
        ("Jan 2019", None),
    ],
)
def test_parse_month(value: str, month: int | None) -> None:
    assert parse_month(value) == month


# -- whole-file errors ----------------------------------------------------------------------------


def test_empty_file_is_a_source_error(tmp_path: Path) -> None:
    p = tmp_path / "empty.csv"
    p.write_bytes(b"")
    with pytest.raises(SourceError, match=r"empty\.csv: the file is empty"):
        read_homicide_victims(p)
    with pytest.raises(SourceError, match="the file is empty"):
        Warehouse(":memory:").ingest(p)


def test_header_only_is_a_source_error(tmp_path: Path) -> None:
    p = _write(tmp_path, [])
    with pytest.raises(SourceError, match="header but no data rows"):
        read_homicide_victims(p)


def test_not_csv_is_a_source_error(tmp_path: Path) -> None:
    p = tmp_path / "picture.csv"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(SourceError, match=r"picture\.csv: not a text/CSV file"):
        read_homicide_victims(p)
    with pytest.raises(SourceError, match="unrecognised format"):
        detect_adapter(p)


def test_renamed_column_names_it(tmp_path: Path) -> None:
    p = tmp_path / "renamed.csv"
    p.write_text(HEADER.replace("MethodofKilling", "Method of Killing") + "\n" + _row() + "\n")
    assert detect_adapter(p).kind == "mps_homicide_victims"
    with pytest.raises(
        DataValidationError, match=r"renamed\.csv, line 1, column 'MethodofKilling': a required"
    ):
        Warehouse(":memory:").ingest(p)


def test_wrong_encoding_is_a_source_error(tmp_path: Path) -> None:
    p = tmp_path / "cp1252.csv"
    p.write_bytes((HEADER + "\n" + _row() + "\n" + _row(sex="M£le") + "\n").encode("cp1252"))
    with pytest.raises(SourceError, match=r"cp1252\.csv: line 3: not valid utf-8"):
        read_homicide_victims(p)


# -- releases ------------------------------------------------------------------------------------


def test_newer_release_replaces_the_years_it_covers(tmp_path: Path) -> None:
    old = _write(
        tmp_path,
        [_row(year="2019"), _row(year="2019"), _row(year="2020"), _row(year="2020")],
        "old.csv",
    )
    new = _write(tmp_path, [_row(year="2020"), _row(year="2021", victims="3")], "new.csv")
    with Warehouse(":memory:") as wh:
        a = wh.ingest(old).dataset_id
        b = wh.ingest(new).dataset_id
        got = wh.query(
            "SELECT recorded_year, dataset_id, sum(victims) v FROM homicide_victim "
            "GROUP BY ALL ORDER BY 1"
        ).values.tolist()
        assert got == [[2019, a, 2], [2020, b, 1], [2021, b, 3]]
        before = wh.query("SELECT count(*) FROM homicide_victim").iloc[0, 0]
        assert wh.ingest(new).status == "unchanged"
        assert wh.query("SELECT count(*) FROM homicide_victim").iloc[0, 0] == before

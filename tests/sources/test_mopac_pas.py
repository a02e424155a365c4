"""MOPAC PAS by borough and quarter: each quirk of the shared copy handled explicitly."""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import vrkit
from vrkit.errors import DataValidationError
from vrkit.sources.mopac_pas import (
    MEASURES,
    MPS_AREA,
    parse_day_first,
    parse_decimal,
    read_mopac_pas,
)
from vrkit.sources.registry import detect_adapter
from vrkit.store.warehouse import Warehouse

REPO_ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    d = vrkit.get_settings().data_dir
    return d if d.is_absolute() else (REPO_ROOT / d).resolve()


REAL = _data_dir() / "mopac_pas" / "PAS_Dashboard_Borough.csv"
needs_data = pytest.mark.skipif(not REAL.exists(), reason=f"shared data not found at {REAL}")


def _rows() -> list[list[str]]:
    with REAL.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    p = tmp_path / "PAS_Dashboard_Borough.csv"
    with p.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return p


@pytest.fixture(scope="module")
def real() -> vrkit.SourceFrames:
    if not REAL.exists():
        pytest.skip(f"shared data not found at {REAL}")
    return read_mopac_pas(REAL)


# -- parsing rules ---------------------------------------------------------------------------------


def test_day_first_dates_and_decimal_commas() -> None:
    assert parse_day_first("31/3/2015") == date(2015, 3, 31)
    assert parse_day_first("30/06/2016") == date(2016, 6, 30)
    assert parse_day_first("12/31/2014") is None  # month-first is not guessed
    assert parse_decimal("0,56") == 0.56
    assert parse_decimal("0.56") == 0.56
    assert parse_decimal("1,234,5") is None
    assert parse_decimal("") is None


# -- the real file ---------------------------------------------------------------------------------


@needs_data
def test_real_file_loads_every_row(real: vrkit.SourceFrames) -> None:
    assert detect_adapter(REAL).kind == "mopac_pas_borough"
    rows = _rows()[1:]
    rep = real.report
    assert rep.rows_read == rep.rows_loaded == len(rows) == 9312
    v = real.tables["indicator_value"]
    boroughs = v[v["area_code"] != MPS_AREA]
    assert len(boroughs) == 9312
    assert boroughs["area_code"].nunique() == 32
    assert set(v["indicator_id"]) == set(MEASURES.values())
    # the first data line: 31/12/2014, Barking and Dagenham, "Good Job" local, "0,56", "0,67"
    first = v[
        (v["area_code"] == "E09000002")
        & (v["indicator_id"] == "pas_good_job_local")
        & (v["period_start"] == pd.Timestamp(2014, 12, 31))
    ]
    assert first["value"].tolist() == [0.56]
    # independent: every Proportion cell, decimal comma replaced, sums to the stored total
    want = sum(float(r[4].replace(",", ".")) for r in rows)
    assert boroughs["value"].sum() == pytest.approx(want, abs=1e-9)
    assert (rep.covers_from, rep.covers_to) == (date(2014, 12, 1), date(2023, 12, 1))


@needs_data
def test_london_value_stored_once_per_date_and_measure(real: vrkit.SourceFrames) -> None:
    v = real.tables["indicator_value"]
    mps = v[v["area_code"] == MPS_AREA]
    assert len(mps) == 37 * 7 + 32  # Trust MPS only from 2016
    lon = mps[
        (mps["indicator_id"] == "pas_good_job_local")
        & (mps["period_start"] == pd.Timestamp(2014, 12, 31))
    ]
    assert lon["value"].tolist() == [0.67]
    trust = mps[mps["indicator_id"] == "pas_trust_mps"]
    assert trust["period_start"].min() == pd.Timestamp(2016, 3, 31)


@needs_data
def test_richmond_spellings_and_the_stray_value_are_reported(real: vrkit.SourceFrames) -> None:
    rows = _rows()
    upper = [k + 1 for k, r in enumerate(rows) if r[2] == "Richmond Upon Thames"]
    notes = " | ".join(real.report.notes)
    assert len(upper) == 24
    assert (
        f"'Richmond Upon Thames' → Richmond upon Thames (E09000027): 24 rows "
        f"(lines {upper[0]}–{upper[-1]})" in notes
    )
    assert "'City of Westminster' → Westminster (E09000033)" in notes
    v = real.tables["indicator_value"]
    rich = v[v["area_code"] == "E09000027"]
    assert len(rich) == 291 and rich.duplicated(["indicator_id", "period_start"]).sum() == 0
    stray_line = next(k + 1 for k, r in enumerate(rows) if any(r[6:]))
    assert real.report.exclusions == [
        f"line {stray_line}: unexpected value(s) in the unnamed trailing column(s) 9 ('Trust'), "
        "10 ('0,71'); not loaded (the row's own Proportion and MPS are used)"
    ]
    assert "measure 'Trust MPS' covers 32 of 37 quarters (from 31 Mar 2016)" in notes


@needs_data
def test_real_file_into_warehouse_with_the_stray_value_visible_in_quality() -> None:
    from vrkit.store.quality import dataset_quality

    with Warehouse(":memory:") as wh:
        res = wh.ingest(REAL)
        q = next(x for x in dataset_quality(wh) if x.dataset_id == res.dataset_id)
        assert any("'Trust'" in e for e in q.exclusions)
        assert any(
            n.startswith(
                "coverage: pas_trust_mps: 33 areas × 32 quarters (2016-03-31 … 2023-12-31), no gaps"
            )
            for n in q.notes
        )
        assert wh.ingest(REAL).status == "unchanged"


# -- broken copies --------------------------------------------------------------------------------

Edit = Callable[[list[list[str]]], None]


def _set(line: int, col: int, value: str) -> Edit:
    return lambda rows: rows[line - 1].__setitem__(col, value)


@needs_data
@pytest.mark.parametrize(
    ("edit", "line", "column", "reason"),
    [
        (_set(2, 0, "12/31/2014"), 2, "Date", "quarter-end date written day/month/year"),
        (_set(2, 0, "15/12/2014"), 2, "Date", "quarter-end"),
        (_set(3, 4, "abc"), 3, "Proportion", "proportion between 0 and 1"),
        (_set(3, 4, "56"), 3, "Proportion", "proportion between 0 and 1"),
        (_set(4, 5, "0,99"), 4, "MPS", "MPS \\(London\\) value differs from line 2"),
        (_set(5, 3, "Feel safe"), 5, "Measure", "unknown PAS measure"),
        (_set(6, 2, "Gotham"), 6, "Borough", "unknown London borough"),
        (_set(7, 1, "UNS"), 7, "Survey", "Survey must be PAS"),
        (_set(8, 2, "Barking and Dagenham"), 8, "Measure", "appear again \\(first on line 2\\)"),
        (_set(1, 7, "Notes"), 1, "Notes", "unexpected named column"),
        (lambda rows: rows[9].pop(), 10, None, "expected 10 fields"),
    ],
)
def test_broken_copy_is_refused_naming_line_and_column(
    tmp_path: Path, edit: Edit, line: int, column: str | None, reason: str
) -> None:
    rows = _rows()
    edit(rows)
    p = _write(tmp_path, rows)
    with pytest.raises(DataValidationError, match=reason) as e:
        read_mopac_pas(p)
    assert (e.value.row, e.value.column) == (line, column)
    assert str(p) in str(e.value)

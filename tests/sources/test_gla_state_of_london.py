"""GLA State of London crime workbook: London monthly series to Jan 2024, cross-checked against
the MPS borough knife-crime file, and broken copies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import vrkit
from vrkit.errors import DataValidationError
from vrkit.sources.gla_state_of_london import SHEETS, read_state_of_london
from vrkit.sources.registry import detect_adapter
from vrkit.store.warehouse import Warehouse
from vrkit.tasks.trends import area_monthly

REPO_ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    d = vrkit.get_settings().data_dir
    return d if d.is_absolute() else (REPO_ROOT / d).resolve()


SOL = _data_dir() / "mps_knife_crime" / "State_Of_London_Crime.xlsx"
KNIFE = _data_dir() / "mps_knife_crime" / "Borough Monthly 2018-20.xlsx"
needs_data = pytest.mark.skipif(not SOL.exists(), reason=f"shared data not found at {SOL}")


def _raw_sheets() -> dict[str, list[tuple[Any, ...]]]:
    """Every sheet's rows, read independently (the stored dimensions say one row)."""
    from openpyxl import load_workbook

    wb = load_workbook(SOL, read_only=True, data_only=True)
    try:
        out = {}
        for name in wb.sheetnames:
            ws = wb[name]
            ws.reset_dimensions()
            out[name] = list(ws.iter_rows(values_only=True))
        return out
    finally:
        wb.close()


@pytest.fixture(scope="module")
def raw() -> dict[str, list[tuple[Any, ...]]]:
    if not SOL.exists():
        pytest.skip(f"shared data not found at {SOL}")
    return _raw_sheets()


@needs_data
def test_real_workbook_loads_every_series(raw: dict[str, list[tuple[Any, ...]]]) -> None:
    assert detect_adapter(SOL).kind == "gla_state_of_london_monthly"
    fr = read_state_of_london(SOL)
    c = fr.tables["crime_count_release"]
    assert set(c["area_code"]) == {"E12000007"}
    assert fr.report.rows_loaded == 82
    assert (fr.report.covers_from, fr.report.covers_to) == (
        dt.date(2017, 4, 1),
        dt.date(2024, 1, 1),
    )
    for sheet in SHEETS:
        rows = [r for r in raw[sheet][1:] if r and r[0] is not None]
        n_cols = 2 if sheet in ("Sexual_Offences", "Burglary_Offences") else 1
        want = sum(int(r[k]) for r in rows for k in range(1, 1 + n_cols))
        got = c[c["offence_major"].str.split(":").str[0] == sheet]["count"].sum()
        assert got == want, sheet
    knife = c[c["offence_major"] == "AWL_Knife_U25"]
    by_year = knife.groupby(knife["month"].dt.year)["count"].sum()
    assert (by_year[2019], by_year[2020], by_year[2023]) == (1661, 1209, 1343)
    assert "Non-Domestic Knife Crime with Injury Offences – Victim U25" in set(
        knife["offence_minor"]
    )


@needs_data
@pytest.mark.skipif(not KNIFE.exists(), reason="knife workbook not found")
def test_the_two_sources_of_the_vru_headline_agree_in_the_warehouse() -> None:
    with Warehouse(":memory:") as wh:
        wh.ingest(SOL)
        wh.ingest(KNIFE)
        gla = area_monthly(
            wh, "knife_injury_victims_u25", source_kind="gla_state_of_london_monthly"
        )
        mps = area_monthly(wh, "knife_injury_victims_u25")  # default: the MPS borough file
        both = gla.merge(mps, on="month", suffixes=("_gla", "_mps")).dropna()
        assert len(both) == 36
        assert (both["count_gla"] - both["count_mps"]).abs().max() <= 3
        assert pd.Timestamp(gla["month"].max()) == pd.Timestamp("2024-01-01")


# -- broken copies --------------------------------------------------------------------------------

Edit = Callable[[dict[str, list[list[Any]]]], None]


def _rebuilt(tmp_path: Path, raw: dict[str, list[tuple[Any, ...]]], edit: Edit) -> Path:
    """The real series written to a new workbook (the stored one cannot be re-saved by
    openpyxl: a drawing part is missing), after ``edit``."""
    from openpyxl import Workbook

    sheets = {n: [list(r) for r in rows] for n, rows in raw.items()}
    edit(sheets)
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    p = tmp_path / "State_Of_London_Crime.xlsx"
    wb.save(p)
    return p


@needs_data
def test_rebuilt_copy_loads_the_same(tmp_path: Path, raw: dict[str, list[tuple[Any, ...]]]) -> None:
    p = _rebuilt(tmp_path, raw, lambda s: None)
    assert (
        read_state_of_london(p)
        .tables["crime_count_release"]
        .equals(read_state_of_london(SOL).tables["crime_count_release"])
    )


@needs_data
@pytest.mark.parametrize(
    ("edit", "line", "column", "reason"),
    [
        (
            lambda s: s["Homicide"][5].__setitem__(1, -2),
            6,
            "count",
            "sheet 'Homicide': counts must be whole numbers",
        ),
        (
            lambda s: s["AWL_Knife_U25"][3].__setitem__(1, None),
            4,
            "count",
            "whole numbers ≥ 0 \\(a blank is missing",
        ),
        (
            lambda s: s["TNO"][2].__setitem__(0, dt.datetime(2017, 5, 15)),
            3,
            "Parsed_Dates",
            "first of a month",
        ),
        (
            lambda s: s["Robbery_Offences"][4].__setitem__(0, dt.datetime(2018, 1, 1)),
            5,
            "Month_Year",
            "months must follow one another",
        ),
    ],
)
def test_broken_copy_is_refused_naming_row_and_column(
    tmp_path: Path,
    raw: dict[str, list[tuple[Any, ...]]],
    edit: Edit,
    line: int,
    column: str,
    reason: str,
) -> None:
    p = _rebuilt(tmp_path, raw, edit)
    with pytest.raises(DataValidationError, match=reason) as e:
        read_state_of_london(p)
    assert (e.value.row, e.value.column) == (line, column)


@needs_data
def test_a_missing_or_shorter_sheet_is_refused(
    tmp_path: Path, raw: dict[str, list[tuple[Any, ...]]]
) -> None:
    p = _rebuilt(tmp_path, raw, lambda s: s.pop("Hate_Crime"))
    with pytest.raises(DataValidationError, match="no sheet 'Hate_Crime'"):
        read_state_of_london(p)
    p = _rebuilt(tmp_path, raw, lambda s: s["Homicide"].pop())
    with pytest.raises(DataValidationError, match="sheet 'Homicide' covers Apr 2017 – Dec 2023"):
        read_state_of_london(p)

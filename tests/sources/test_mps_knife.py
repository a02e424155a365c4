"""MPS knife crime and flagged measures by borough: the real workbook, the GLA State of London
cross-check, the measure machinery, broken copies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import vrkit
from vrkit.errors import DataValidationError
from vrkit.sources.mps_knife import COLUMN_GROUPS, read_mps_knife
from vrkit.sources.registry import detect_adapter
from vrkit.store.queries import measure_counts
from vrkit.store.warehouse import Warehouse
from vrkit.tasks.trends import trend as _trend

REPO_ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    d = vrkit.get_settings().data_dir
    return d if d.is_absolute() else (REPO_ROOT / d).resolve()


KNIFE = _data_dir() / "mps_knife_crime" / "Borough Monthly 2018-20.xlsx"
SOL = _data_dir() / "mps_knife_crime" / "State_Of_London_Crime.xlsx"
needs_data = pytest.mark.skipif(not KNIFE.exists(), reason=f"shared data not found at {KNIFE}")


@pytest.fixture(scope="module")
def real() -> vrkit.SourceFrames:
    if not KNIFE.exists():
        pytest.skip(f"shared data not found at {KNIFE}")
    return read_mps_knife(KNIFE)


@pytest.fixture(scope="module")
def wh(real: vrkit.SourceFrames) -> Warehouse:
    w = Warehouse(":memory:")
    w.load(real)
    return w


def _london(frames: vrkit.SourceFrames, column: str) -> dict[tuple[int, int], int]:
    c = frames.tables["crime_count_release"]
    c = c[c["offence_major"] == column]
    g = c.groupby(c["month"].dt.to_period("M"))["count"].sum()
    return {(p.year, p.month): int(v) for p, v in g.items()}


def _state_of_london(sheet: str) -> dict[tuple[int, int], int]:
    """The GLA State of London series of one sheet, read independently with openpyxl."""
    from openpyxl import load_workbook

    wb = load_workbook(SOL, read_only=True, data_only=True)
    try:
        ws = wb[sheet]
        ws.reset_dimensions()  # the workbook's stored dimensions say one row
        out = {}
        for row in ws.iter_rows(min_row=2, max_col=2, values_only=True):
            when, count = row
            if isinstance(when, dt.datetime) and isinstance(count, int | float):
                out[(when.year, when.month)] = int(count)
        return out
    finally:
        wb.close()


# -- the real workbook -------------------------------------------------------------------------------


@needs_data
def test_real_workbook_loads_whole(real: vrkit.SourceFrames) -> None:
    assert detect_adapter(KNIFE).kind == "mps_knife_borough_monthly"
    rep = real.report
    assert rep.rows_read == rep.rows_loaded == 1188  # 33 OCUs × 36 months
    assert (rep.covers_from, rep.covers_to) == (dt.date(2018, 1, 1), dt.date(2020, 12, 1))
    c = real.tables["crime_count_release"]
    assert len(c) == 1188 * len(COLUMN_GROUPS)
    assert c["area_code"].nunique() == 33
    assert set(c.loc[c["area_type"] == "pseudo", "area_code"]) == {"MPS-HEATHROW"}
    assert real.tables["area"][["area_code", "area_name"]].values.tolist() == [
        ["MPS-HEATHROW", "Heathrow Airport"]
    ]
    bd = c[(c["area_code"] == "E09000002") & (c["offence_major"] == "Knife Crime Offs")]
    assert int(bd.loc[bd["month"] == "2018-01-01", "count"].iloc[0]) == 24  # row 2, col AL
    assert any("'Barking & Dagenham' → Barking and Dagenham" in n for n in rep.notes)


@needs_data
def test_london_changes_match_the_london_vru(real: vrkit.SourceFrames) -> None:
    """London VRU: 2019→2020 knife crime −25 %, knife injury victims under 25 −28 %."""

    def year(series: dict[tuple[int, int], int], y: int) -> int:
        return sum(v for (yy, _), v in series.items() if yy == y)

    knife = _london(real, "Knife Crime Offs")
    victims = _london(real, "Knife Crime Injury Victims Not DA 1-24")
    assert (year(knife, 2019), year(knife, 2020)) == (15_571, 11_719)
    assert (year(victims, 2019), year(victims, 2020)) == (1_659, 1_200)
    assert round(100 * (year(knife, 2020) / year(knife, 2019) - 1)) == -25
    assert round(100 * (year(victims, 2020) / year(victims, 2019) - 1)) == -28


@needs_data
@pytest.mark.skipif(not SOL.exists(), reason="State of London workbook not found")
def test_cross_check_with_the_gla_state_of_london_workbook(real: vrkit.SourceFrames) -> None:
    """The GLA series (non-domestic knife crime with injury, victims under 25) is an independent
    extract of the same MPS data: within 3 of the borough file in every month, and the same
    2019→2020 change to the nearest per cent."""
    sol = _state_of_london("AWL_Knife_U25")
    ours = _london(real, "Knife Crime Injury Victims Not DA 1-24")
    assert set(ours) <= set(sol)
    diffs = {k: sol[k] - ours[k] for k in ours}
    assert max(abs(d) for d in diffs.values()) <= 3
    assert sum(1 for d in diffs.values() if d) <= 12  # most months agree exactly
    y19 = sum(v for (y, _), v in sol.items() if y == 2019)
    y20 = sum(v for (y, _), v in sol.items() if y == 2020)
    assert round(100 * (y20 / y19 - 1)) == -27  # GLA extract: 1,661 → 1,209
    homicide = _state_of_london("Homicide")
    ours_h = _london(real, "Homicide Offs")
    assert sum(abs(homicide[k] - ours_h[k]) for k in ours_h) <= 12


@needs_data
def test_measures_served_by_the_measure_machinery(wh: Warehouse) -> None:
    c = measure_counts(wh, "knife_crime", source_kind="mps_knife_borough_monthly")
    assert int(c["count"].sum()) == 14_685 + 15_571 + 11_719
    t = _trend(wh, "knife_injury_victims_u25").table.set_index("period")
    assert t.loc["2020", "total"] == 1200 and round(t.loc["2020", "pct_change"], 1) == -27.7
    lam = _trend(wh, "serious_youth_violence", area="Lambeth").table.set_index("period")
    assert lam["complete"].all() and len(lam) == 3
    vap = measure_counts(wh, "violence_against_the_person", source_kind="mps_knife_borough_monthly")
    in_2019 = vap[vap["month"].dt.year == 2019]
    assert int(in_2019["count"].sum()) == 222_072  # MPS historical file: 222,064 (another release)


@needs_data
def test_possession_of_weapons_column_is_not_a_measure() -> None:
    from vrkit.catalog.measures import measures

    mapped = {r.major for m in measures().values() for r in m.rules.get("mps_flags", ())}
    assert "19 Possession of Weapons Offs" not in mapped
    assert mapped <= set(COLUMN_GROUPS)


# -- broken copies --------------------------------------------------------------------------------

Edit = Callable[[Any], None]


@pytest.fixture(scope="module")
def small_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real workbook cut to its first 40 data rows (Barking & Dagenham and Barnet), made
    once: editing and saving the whole workbook per case would be slow."""
    from openpyxl import Workbook, load_workbook

    if not KNIFE.exists():
        pytest.skip(f"shared data not found at {KNIFE}")
    src = load_workbook(KNIFE, read_only=True)
    out = Workbook()
    ws = out.active
    assert ws is not None
    ws.title = "Sheet1"
    for row in src["Sheet1"].iter_rows(max_row=41, values_only=True):
        ws.append(row)
    src.close()
    p = tmp_path_factory.mktemp("knife") / "small.xlsx"
    out.save(p)
    assert read_mps_knife(p).report.rows_loaded == 40  # the cut copy itself is valid
    return p


def _broken(tmp_path: Path, small: Path, edit: Edit) -> Path:
    from openpyxl import load_workbook

    wb = load_workbook(small)
    edit(wb["Sheet1"])
    p = tmp_path / "Borough Monthly 2018-20.xlsx"
    wb.save(p)
    return p


def _col(ws: Any, name: str) -> int:
    return next(c.column for c in ws[1] if c.value == name)


@needs_data
@pytest.mark.parametrize(
    ("edit", "line", "column", "reason"),
    [
        (
            lambda ws: ws.cell(5, _col(ws, "Knife Crime Offs"), "n/a"),
            5,
            "Knife Crime Offs",
            "whole numbers",
        ),
        (
            lambda ws: ws.cell(6, _col(ws, "Youth Violence"), -1),
            6,
            "Youth Violence",
            "whole numbers",
        ),
        (lambda ws: ws.cell(7, 1, "Gotham"), 7, "OCU Name", "unknown London borough"),
        (
            lambda ws: ws.cell(8, 2, dt.datetime(2018, 7, 15)),
            8,
            "Month-Year",
            "first of a month",
        ),
        (
            lambda ws: ws.cell(9, _col(ws, "Knife Crime With Injury Offs"), 10_000),
            9,
            "Knife Crime Offs",
            "must be ≥ Knife Crime With Injury Offs",
        ),
        (
            lambda ws: ws.cell(10, _col(ws, "Homicide Offs"), 500),
            10,
            "11 Violence Against the Person Offs",
            "must be = Homicide Offs",
        ),
        (lambda ws: ws.cell(11, 2, ws.cell(2, 2).value), 11, "Month-Year", "appear twice"),
        (lambda ws: ws.cell(1, 44, "Gun Crime Offs"), 1, "Gun Crime Offs", "unknown column"),
        (
            lambda ws: ws.cell(1, _col(ws, "Serious Youth Violence"), "SYV"),
            1,
            "Serious Youth Violence",
            "missing or renamed",
        ),
    ],
)
def test_broken_copy_is_refused_naming_row_and_column(
    tmp_path: Path, small_copy: Path, edit: Edit, line: int, column: str, reason: str
) -> None:
    p = _broken(tmp_path, small_copy, edit)
    with pytest.raises(DataValidationError, match=reason) as e:
        read_mps_knife(p)
    assert (e.value.row, e.value.column) == (line, column)
    assert str(p) in str(e.value)

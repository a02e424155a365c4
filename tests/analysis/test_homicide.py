"""Tests of :func:`vrkit.analysis.homicide.homicide_table` (real figures and hand-computed frames)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import vrkit
from vrkit.analysis.homicide import TABLE_COLUMNS, age_bounds, homicide_table
from vrkit.errors import InputError
from vrkit.sources.homicide import read_homicide_victims

REPO_ROOT = Path(__file__).resolve().parents[2]
COLUMNS = [
    "year",
    "total",
    "firearms",
    "knives",
    "teenagers",
    "under_25",
    "domestic",
    "non_domestic",
    "partial",
]


def _data_dir() -> Path:
    d = vrkit.get_settings().data_dir
    return d if d.is_absolute() else (REPO_ROOT / d).resolve()


REAL = _data_dir() / "mps_homicide" / "original_homicide.xlsx - dataset.csv"


@pytest.fixture(scope="module")
def real_victims() -> pd.DataFrame:
    if not REAL.exists():
        pytest.skip(f"shared data not found at {REAL}")
    return read_homicide_victims(REAL).tables["homicide_victim"]


def _victims(rows: list[tuple[int, int, int, str, str, bool | None, str]]) -> pd.DataFrame:
    """(year, month, victims, age_group, method, domestic, area_code) → victim frame."""
    return pd.DataFrame(
        rows,
        columns=[
            "recorded_year",
            "recorded_month",
            "victims",
            "age_group",
            "method",
            "domestic_abuse",
            "area_code",
        ],
    ).astype({"domestic_abuse": "boolean"})


TINY = _victims(
    [
        (2019, 1, 2, "13 to 19", "Shooting", False, "E09000022"),
        (2019, 5, 1, "20 to 24", "Knife or Sharp Implement", True, "E09000022"),
        (2019, 12, 3, "25 to 34", "Knife or Sharp Implement", False, "E09000002"),
        (2019, 7, 1, "0 to 12", "Other Methods of Killing", True, "MPS-UNMAPPED"),
        (2020, 2, 4, "65 and over", "Blunt Implement", None, "E09000002"),
        (2020, 3, 1, "Unknown", "Shooting", False, "E09000022"),
    ]
)


def test_columns_are_exact(real_victims: pd.DataFrame) -> None:
    assert list(TABLE_COLUMNS) == COLUMNS
    assert list(homicide_table(real_victims).columns) == COLUMNS


def test_verified_london_figures(real_victims: pd.DataFrame) -> None:
    t = homicide_table(real_victims, years=range(2019, 2021)).set_index("year")
    # PROVENANCE §5 (MPS Homicide Dashboard): 2019 153 (94 knife), 2020 133 (77 knife)
    assert (t.loc[2019, "total"], t.loc[2019, "knives"]) == (153, 94)
    assert (t.loc[2020, "total"], t.loc[2020, "knives"]) == (133, 77)
    assert not t["partial"].any()


def test_real_table_is_consistent(real_victims: pd.DataFrame) -> None:
    t = homicide_table(real_victims)
    assert t["year"].tolist() == list(range(2003, 2025))
    assert int(t["total"].sum()) == int(real_victims["victims"].sum()) == 2936
    assert (t["domestic"] + t["non_domestic"] == t["total"]).all()
    assert (t["teenagers"] <= t["under_25"]).all()
    assert (t["firearms"] + t["knives"] <= t["total"]).all()
    assert t.loc[t["year"] == 2024, "partial"].tolist() == [True]
    assert t.loc[t["year"] == 2024, "total"].tolist() == [24]
    assert not t.loc[t["year"] < 2024, "partial"].any()
    # independent count of teenage (13 to 19) victims in 2021
    v = real_victims
    teen_2021 = v[(v["recorded_year"] == 2021) & (v["age_group"] == "13 to 19")]["victims"].sum()
    assert t.loc[t["year"] == 2021, "teenagers"].item() == teen_2021


def test_borough_totals_add_up_to_london(real_victims: pd.DataFrame) -> None:
    london = homicide_table(real_victims).set_index("year")
    codes = sorted(real_victims["area_code"].unique())
    summed = sum(homicide_table(real_victims, area_code=c).set_index("year") for c in codes)
    cols = COLUMNS[1:-1]
    assert (summed[cols] == london[cols]).all().all()


def test_hand_computed_tiny_frame() -> None:
    t = homicide_table(TINY)
    assert t.drop(columns="partial").values.tolist() == [
        # year total firearms knives teenagers under_25 domestic non_domestic
        [2019, 7, 2, 4, 2, 4, 2, 5],
        [2020, 5, 1, 0, 0, 0, 0, 1],  # missing domestic flag counts in neither
    ]
    assert t["partial"].tolist() == [False, True]
    assert t.attrs["area_code"] is None and t.attrs["years"] == [2019, 2020]


def test_sums_victims_not_rows() -> None:
    t = homicide_table(TINY[TINY["recorded_year"] == 2020])
    assert t["total"].tolist() == [5]  # two rows, five victims


def test_area_filter_by_code_or_name() -> None:
    lambeth = homicide_table(TINY, area_code="E09000022")
    assert lambeth.drop(columns="partial").values.tolist() == [
        [2019, 3, 2, 1, 2, 3, 1, 2],
        [2020, 1, 1, 0, 0, 0, 0, 1],
    ]
    by_name = homicide_table(TINY, area_code="Lambeth")
    pd.testing.assert_frame_equal(lambeth, by_name)
    assert by_name.attrs["area_code"] == "E09000022"
    # a covered year with no victims in the borough is a true zero, and partial is London's
    bd = homicide_table(TINY, area_code="Barking & Dagenham")
    assert bd["total"].tolist() == [3, 4]
    assert bd["partial"].tolist() == [False, True]
    city = homicide_table(TINY, area_code="E09000001")
    assert city["total"].tolist() == [0, 0]
    unmapped = homicide_table(TINY, area_code="MPS-UNMAPPED")
    assert unmapped["total"].tolist() == [1, 0]


def test_unknown_area_code_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"unknown area_code 'E09999999'"):
        homicide_table(TINY, area_code="E09999999")
    with pytest.raises(InputError, match=r"unknown area_code 'Gotham'"):
        homicide_table(TINY, area_code="Gotham")


def test_missing_column_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"needs column.*method"):
        homicide_table(TINY.drop(columns="method"))
    with pytest.raises(InputError, match=r"needs column.*area_code"):
        homicide_table(TINY.drop(columns="area_code"), area_code="E09000022")


def test_years_selects_and_keeps_uncovered_years_missing() -> None:
    t = homicide_table(TINY, years=range(2018, 2021))
    assert t["year"].tolist() == [2018, 2019, 2020]
    first = t.iloc[0]
    assert all(pd.isna(first[c]) for c in COLUMNS[1:])  # missing, not zero
    assert t["total"].tolist()[1:] == [7, 5]
    assert str(t["total"].dtype) == "Int64"


def test_empty_frame_gives_empty_table() -> None:
    t = homicide_table(TINY.iloc[0:0])
    assert list(t.columns) == COLUMNS and t.empty


def test_input_is_not_mutated() -> None:
    before = TINY.copy(deep=True)
    homicide_table(TINY, area_code="E09000022", years=[2019])
    pd.testing.assert_frame_equal(TINY, before)


def test_domestic_flag_as_file_labels() -> None:
    raw = TINY.assign(
        domestic_abuse=TINY["domestic_abuse"].map(
            {True: "Domestic Abuse", False: "Not Domestic Abuse"}
        )
    )
    pd.testing.assert_frame_equal(homicide_table(raw), homicide_table(TINY))


@pytest.mark.parametrize(
    ("label", "bounds"),
    [
        ("0 to 12", (0, 12)),
        ("13 to 19", (13, 19)),
        ("16 to 17", (16, 17)),
        ("20 to 24", (20, 24)),
        ("65 and over", (65, None)),
        ("Unknown", None),
        (None, None),
    ],
)
def test_age_bounds(label: object, bounds: tuple[int, int | None] | None) -> None:
    assert age_bounds(label) == bounds


def test_finer_age_bands_are_mapped_by_range() -> None:
    finer = _victims(
        [
            (2019, 12, 1, "10 to 14", "Shooting", False, "E09000022"),  # straddles 13: not teen
            (2019, 12, 1, "16 to 17", "Shooting", False, "E09000022"),
            (2019, 12, 1, "18 to 19", "Shooting", False, "E09000022"),
            (2019, 12, 1, "18 to 24", "Shooting", False, "E09000022"),  # under 25, not teen
            (2019, 12, 1, "20 to 29", "Shooting", False, "E09000022"),  # straddles 25
        ]
    )
    t = homicide_table(finer).iloc[0]
    assert (t["teenagers"], t["under_25"], t["total"]) == (2, 4, 5)

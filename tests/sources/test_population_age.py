"""ONS single-year-of-age population by local authority: real file, '-' cells, broken copies."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import vrkit
from vrkit.errors import DataValidationError
from vrkit.sources.population_age import AGE_IDS, read_population_single_year
from vrkit.sources.registry import detect_adapter

REPO_ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    d = vrkit.get_settings().data_dir
    return d if d.is_absolute() else (REPO_ROOT / d).resolve()


REAL = _data_dir() / "population" / "la_pop_estimates.csv"
LSOA_2019 = _data_dir() / "population" / "london-mid2019-pop.csv"
needs_data = pytest.mark.skipif(not REAL.exists(), reason=f"shared data not found at {REAL}")


def _rows() -> list[list[str]]:
    with REAL.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def real() -> vrkit.SourceFrames:
    if not REAL.exists():
        pytest.skip(f"shared data not found at {REAL}")
    return read_population_single_year(REAL)


@needs_data
def test_real_file_loads_and_london_equals_the_lsoa_file(real: vrkit.SourceFrames) -> None:
    assert detect_adapter(REAL).kind == "population_lad_single_year"
    assert real.report.rows_read == real.report.rows_loaded == 8976
    v = real.tables["indicator_value"]
    ages = v[v["indicator_id"].isin(AGE_IDS)]
    lon19 = ages[
        ages["area_code"].str.startswith("E09")
        & (ages["period_start"] == pd.Timestamp(2019, 6, 30))
    ]
    with LSOA_2019.open(encoding="utf-8-sig", newline="") as fh:
        lsoa_total = sum(int(r["Persons_All-Ages"]) for r in csv.DictReader(fh))
    assert lon19["value"].sum() == lsoa_total == 8_961_989  # PROVENANCE §8 and §20
    assert "London boroughs' total population: 2019 8,961,989, 2020 9,002,488" in real.report.notes


@needs_data
def test_young_band_is_the_exact_sum_of_single_years(real: vrkit.SourceFrames) -> None:
    rows = _rows()
    header = rows[0]
    lam = next(r for r in rows if r[1] == "E09000022" and r[2] == "2019")
    want = sum(int(lam[header.index(f"Age {a}")]) for a in range(10, 25))
    v = real.tables["indicator_value"]
    got = v[
        (v["area_code"] == "E09000022")
        & (v["indicator_id"] == "pop_age_10_24")
        & (v["period_start"] == pd.Timestamp(2019, 6, 30))
    ]["value"]
    assert got.tolist() == [want]


@needs_data
def test_dash_cells_are_missing_not_zero(real: vrkit.SourceFrames) -> None:
    v = real.tables["indicator_value"]
    city97 = v[(v["area_code"] == "E09000001") & (v["period_start"] == pd.Timestamp(1997, 6, 30))]
    assert "pop_age_84" in set(city97["indicator_id"])
    assert not {"pop_age_85", "pop_age_90_plus"} & set(city97["indicator_id"])
    assert v[
        v["area_code"].str.startswith("N09") & (v["period_start"] == pd.Timestamp(1997, 6, 30))
    ].empty
    assert (v["value"] >= 0).all() and v["value"].notna().all()
    assert any(
        n.startswith("1997: not given ('-'), not stored: 331 areas") for n in real.report.notes
    )


# -- broken copies --------------------------------------------------------------------------------

Edit = Callable[[list[list[str]]], None]


def _write(tmp_path: Path, rows: list[list[str]]) -> Path:
    p = tmp_path / "la_pop_estimates.csv"
    with p.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return p


@needs_data
@pytest.mark.parametrize(
    ("edit", "line", "column", "reason"),
    [
        (lambda r: r[1].__setitem__(15, "12a"), 2, "Age 12", "whole number"),
        (lambda r: r[1].__setitem__(15, ""), 2, "Age 12", "whole number"),
        (lambda r: r[2].__setitem__(1, "E0600005"), 3, "code", "not a valid LAD code"),
        (lambda r: r[3].__setitem__(2, "97"), 4, "year", "year like 2019"),
        (lambda r: r.__setitem__(4, [*r[2][:3], *r[4][3:]]), 5, "year", "appear twice"),
        (lambda r: r[0].__setitem__(5, "Age two"), 1, "Age 2", "the header must be"),
    ],
)
def test_broken_copy_is_refused_naming_line_and_column(
    tmp_path: Path, edit: Edit, line: int, column: str, reason: str
) -> None:
    rows = _rows()[:50]
    edit(rows)
    p = _write(tmp_path, rows)
    with pytest.raises(DataValidationError, match=reason) as e:
        read_population_single_year(p)
    assert (e.value.row, e.value.column) == (line, column)

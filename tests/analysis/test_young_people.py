"""Young people's denominators and rates, against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vrkit.analysis.young_people import (
    BAND_METHOD,
    KNIFE_RATE_METHOD,
    annual_rates,
    estimate_age_band,
    knife_victim_rates,
)
from vrkit.errors import InputError

Z95 = 1.959963984540054


def _sya(parent: str, year: int, pops: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {"area_code": parent, "year": year, "age": list(pops), "population": list(pops.values())}
    )


def _small(rows: list[tuple[str, str, int, int, float]], year: int = 2019) -> pd.DataFrame:
    return pd.DataFrame(
        [(a, p, year, lo, hi, v) for a, p, lo, hi, v in rows],
        columns=["area_code", "parent_code", "year", "band_lo", "band_hi", "population"],
    )


# -- small-area age bands ------------------------------------------------------------------------


def test_band_estimate_by_hand() -> None:
    # parent P: ages 0-9 have 10 each, 10-15 have 20 each, 16-24 have 30 each, 25-29 have 5 each
    pops = {a: 10.0 for a in range(10)} | {a: 20.0 for a in range(10, 16)}
    pops |= {a: 30.0 for a in range(16, 25)} | {a: 5.0 for a in range(25, 30)}
    sya = _sya("P", 2019, pops)
    small = _small(
        [
            ("A", "P", 0, 15, 110.0),
            ("A", "P", 16, 29, 200.0),
            ("A", "P", 30, 44, 999.0),  # no overlap with 10-24: contributes nothing
            ("B", "P", 0, 15, 110.0),
            ("B", "P", 16, 29, 95.0),
            ("B", "P", 30, 44, 1.0),
        ]
    )
    res = estimate_age_band(small, sya, lo=10, hi=24)
    # share of 10-15 within 0-15 = 120 / (100 + 120); of 16-24 within 16-29 = 270 / (270 + 25)
    s1, s2 = 120 / 220, 270 / 295
    v = res.values.set_index("area_code")
    assert v.loc["A", "estimate"] == pytest.approx(110 * s1 + 200 * s2)
    assert v.loc["B", "estimate"] == pytest.approx(110 * s1 + 95 * s2)
    assert v.loc["A", "from_0_15"] == pytest.approx(110 * s1)
    assert list(res.params["bands"]) == ["from_0_15", "from_16_29"]
    assert res.method == BAND_METHOD and res.warnings == ()
    assert res.to_frame() is not res.values


def test_children_adding_up_to_the_parent_reproduce_its_exact_band() -> None:
    rng = np.random.default_rng(7)
    pops = {a: float(rng.integers(50, 500)) for a in range(91)}
    sya = _sya("P", 2020, pops)
    bands = [(0, 15), (16, 29), (30, 44), (45, 64), (65, 90)]
    parent_band = {b: sum(pops[a] for a in range(b[0], b[1] + 1)) for b in bands}
    # split each parent band at random between three children
    rows = []
    for b in bands:
        w = rng.dirichlet(np.ones(3))
        rows += [(f"C{k}", "P", b[0], b[1], parent_band[b] * w[k]) for k in range(3)]
    small = _small(rows, 2020)
    for lo, hi in [(10, 24), (10, 17), (18, 24), (0, 90), (60, 95), (16, 29)]:
        est = estimate_age_band(small, sya, lo=lo, hi=hi)
        want = sum(pops[a] for a in range(lo, min(hi, 90) + 1))
        assert est.values["estimate"].sum() == pytest.approx(want, rel=1e-12)


def test_missing_parent_or_single_year_gives_nan_and_a_warning() -> None:
    pops = {a: 10.0 for a in range(30)}
    del pops[12]
    sya = pd.concat([_sya("P", 2019, pops), _sya("Q", 2019, dict.fromkeys(range(30), 10.0))])
    small = _small(
        [
            ("A", "P", 0, 15, 100.0),
            ("A", "P", 16, 29, 100.0),
            ("B", "Q", 0, 15, 100.0),
            ("B", "Q", 16, 29, 100.0),
            ("C", None, 0, 15, 100.0),
            ("C", None, 16, 29, 100.0),
        ]
    )
    res = estimate_age_band(small, sya, lo=10, hi=24)
    v = res.values.set_index("area_code")["estimate"]
    assert math.isnan(v["A"]) and math.isnan(v["C"])
    assert v["B"] == pytest.approx(100 * 6 / 16 + 100 * 9 / 14)
    assert any("no parent local authority" in w for w in res.warnings)
    assert any("parents P" in w for w in res.warnings)


def test_band_input_errors() -> None:
    sya = _sya("P", 2019, dict.fromkeys(range(30), 1.0))
    with pytest.raises(InputError, match="bad age band"):
        estimate_age_band(_small([("A", "P", 0, 15, 1.0)]), sya, lo=24, hi=10)
    dup = _small([("A", "P", 0, 15, 1.0), ("A", "P", 0, 15, 2.0)])
    with pytest.raises(InputError, match="twice"):
        estimate_age_band(dup, sya, lo=10, hi=24)
    with pytest.raises(InputError, match="population"):
        estimate_age_band(
            _small([("A", "P", 0, 15, 1.0)]).drop(columns="population"), sya, lo=1, hi=2
        )


# -- rates -----------------------------------------------------------------------------------------


def _byar(o: float) -> tuple[float, float]:
    lo = o * (1 - 1 / (9 * o) - Z95 / (3 * math.sqrt(o))) ** 3
    o1 = o + 1
    hi = o1 * (1 - 1 / (9 * o1) + Z95 / (3 * math.sqrt(o1))) ** 3
    return lo, hi


def test_knife_victim_rate_by_hand() -> None:
    victims = pd.DataFrame(
        {"area_code": ["L", "L", "W"], "year": [2019, 2020, 2019], "count": [99, 66, 0]}
    )
    pop = pd.DataFrame(
        {
            "area_code": ["L", "L", "W"],
            "year": [2019, 2020, 2019],
            "population": [54267, 53067, 44370],
        }
    )
    res = knife_victim_rates(victims, pop)
    t = res.table.set_index(["area_code", "year"])
    assert t.loc[("L", 2019), "rate"] == pytest.approx(99 / 54267 * 100_000)  # 182.43
    lo, hi = _byar(99)
    assert t.loc[("L", 2019), "rate_lower"] == pytest.approx(lo / 54267 * 100_000)
    assert t.loc[("L", 2019), "rate_upper"] == pytest.approx(hi / 54267 * 100_000)
    assert t.loc[("L", 2020), "rate"] == pytest.approx(124.371078, abs=1e-6)
    assert t.loc[("W", 2019), "rate"] == 0.0 and t.loc[("W", 2019), "rate_lower"] == 0.0
    assert t.loc[("W", 2019), "rate_upper"] == pytest.approx(
        (1 * (1 - 1 / 9 + Z95 / 3) ** 3) / 44370 * 100_000
    )
    assert res.method == KNIFE_RATE_METHOD and res.params["per"] == 100_000.0
    assert "1-24" in res.method and "10-24" in res.method


def test_rates_without_population_are_missing_not_zero() -> None:
    counts = pd.DataFrame({"area_code": ["A", "B"], "year": [2019, 2019], "count": [5, 7]})
    pop = pd.DataFrame({"area_code": ["A"], "year": [2019], "population": [1000.0]})
    res = annual_rates(counts, pop, per=1000)
    t = res.table.set_index("area_code")
    assert t.loc["A", "rate"] == 5.0
    assert math.isnan(t.loc["B", "rate"])
    assert res.warnings == ("1 area-year(s) have no population: no rate (B 2019)",)
    with pytest.raises(InputError, match="twice"):
        annual_rates(pd.concat([counts, counts]), pop)


# -- against an independent reference: Census 2021 ---------------------------------------------


def test_lsoa_estimates_against_census_2021() -> None:
    """Mid-2020 estimates of ages 10-24 per LSOA against the Census 2021 count (exact bands
    10-14, 15-19, 20-24) for LSOAs whose code did not change: the stated method removes the
    bias of spreading each broad band evenly over its ages (+13 %) and narrows the tail of
    errors. Census day is nine months later and on another population base, so the individual
    errors stay large; this checks the method, not the data."""
    import csv
    import gzip
    from pathlib import Path

    import vrkit

    data = vrkit.get_settings().data_dir
    if not data.is_absolute():
        data = (Path(__file__).resolve().parents[2] / data).resolve()
    files = [
        data / "population/london-mid2020-pop.csv",
        data / "population/la_pop_estimates.csv",
        data / "population/census2021-ts007a-lsoa.csv.gz",
    ]
    if not all(f.exists() for f in files):
        pytest.skip("shared population files not found")
    bands = {"0-15": (0, 15), "16-29": (16, 29), "30-44": (30, 44), "45-64": (45, 64)}
    rows = []
    with files[0].open(encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            for b, (lo, hi) in bands.items():
                rows.append((r["LSOA11CD"], r["LAD11CD"], 2020, lo, hi, float(r[f"Persons_{b}"])))
            rows.append((r["LSOA11CD"], r["LAD11CD"], 2020, 65, 90, float(r["Persons_65+"])))
    small = pd.DataFrame(
        rows, columns=["area_code", "parent_code", "year", "band_lo", "band_hi", "population"]
    )
    sya_rows = []
    with files[1].open(encoding="utf-8-sig") as fh:
        for r in csv.reader(fh):
            if r[1].startswith("E09") and r[2] == "2020":
                sya_rows += [(r[1], 2020, a, float(v)) for a, v in enumerate(r[3:])]
    sya = pd.DataFrame(sya_rows, columns=["area_code", "year", "age", "population"])
    with gzip.open(files[2], "rt", encoding="utf-8-sig") as fh:
        census = {
            r["geography code"]: sum(
                int(r[f"Age: Aged {a} to {a + 4} years"]) for a in (10, 15, 20)
            )
            for r in csv.DictReader(fh)
        }
    est = estimate_age_band(small, sya, lo=10, hi=24).values
    assert est["estimate"].notna().all()
    est = est[est["area_code"].isin(census.keys())]
    truth = est["area_code"].map(census).astype(float)
    wide = small.pivot_table(index="area_code", columns="band_lo", values="population")
    uniform = (wide[0] * 6 / 16 + wide[16] * 9 / 14).reindex(est["area_code"]).to_numpy()
    err_est = (est["estimate"].to_numpy() - truth.to_numpy()) / truth.to_numpy()
    err_uni = (uniform - truth.to_numpy()) / truth.to_numpy()
    assert len(est) > 4500  # most 2011 LSOA codes are unchanged in 2021
    assert abs(np.mean(err_est)) < 0.03 < 0.10 < np.mean(err_uni)
    assert np.quantile(np.abs(err_est), 0.9) < np.quantile(np.abs(err_uni), 0.9)

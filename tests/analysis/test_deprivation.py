"""Deprivation: rates by decile, rate ratio with CI, trend of the gap."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vrkit.analysis import deprivation as dep
from vrkit.errors import InputError


def _frames(scale: float = 1.0, seed: int = 0):
    rng = np.random.default_rng(seed)
    codes = [f"E01{i:06d}" for i in range(200)]
    deciles = pd.DataFrame({"area_code": codes, "imd2019_decile": np.repeat(np.arange(1, 11), 20)})
    pop = pd.DataFrame({"area_code": codes, "population": 1500.0})
    lam = 30 * scale * (11 - deciles["imd2019_decile"].to_numpy()) / 10 + 3
    counts = pd.DataFrame({"area_code": codes, "count": rng.poisson(lam)})
    return counts, deciles, pop


def test_rate_ratio_hand_computed() -> None:
    rr, lo, hi = dep.rate_ratio(200, 10000, 100, 20000)
    assert rr == pytest.approx(4.0)
    se = math.sqrt(1 / 200 + 1 / 100)
    assert lo == pytest.approx(4 * math.exp(-1.959964 * se), rel=1e-6)
    assert hi == pytest.approx(4 * math.exp(1.959964 * se), rel=1e-6)
    with pytest.raises(InputError, match="positive count"):
        dep.rate_ratio(0, 1, 5, 1)


def test_by_decile_rates_and_unmatched_reported() -> None:
    counts, deciles, pop = _frames()
    extra = pd.concat([counts, pd.DataFrame({"area_code": ["E01999999"], "count": [7]})])
    prof = dep.by_decile(extra, deciles, pop)
    t = prof.table
    assert list(t["decile"]) == list(range(1, 11)) and (t["places"] == 20).all()
    assert t["count"].sum() == counts["count"].sum()
    d1 = counts["count"][:20].sum()
    assert t.loc[0, "rate"] == pytest.approx(d1 / 30000 * 1000)
    assert (
        prof.unmatched["crimes_without_decile"] == 7
        and prof.unmatched["places_without_decile"] == 1
    )
    d10 = counts["count"][180:].sum()
    assert prof.rate_ratio == pytest.approx(d1 / d10)
    assert prof.rr_lower < prof.rate_ratio < prof.rr_upper


def test_missing_counts_and_columns_are_errors() -> None:
    counts, deciles, pop = _frames()
    bad = counts.assign(count=counts["count"].astype(float))
    bad.loc[3, "count"] = np.nan
    with pytest.raises(InputError, match="1 count\\(s\\) are missing"):
        dep.by_decile(bad, deciles, pop)
    with pytest.raises(InputError, match="lacks column"):
        dep.by_decile(counts, deciles.rename(columns={"imd2019_decile": "x"}), pop)


def test_gap_trend_detects_widening_gap() -> None:
    frames = []
    for k, year in enumerate(range(2015, 2021)):
        c, d, p = _frames(scale=1 + 0.3 * k, seed=year)
        frames.append(c.assign(year=year))
    counts = pd.concat(frames)
    tr = dep.gap_trend(counts, d, p)
    assert len(tr.by_period) == 6
    assert tr.by_period["rate_ratio"].iloc[-1] > tr.by_period["rate_ratio"].iloc[0]
    assert tr.annual_change > 1 and tr.change_lower < tr.annual_change < tr.change_upper
    with pytest.raises(InputError, match="at least 3 periods"):
        dep.gap_trend(counts[counts.year < 2017], d, p)


def test_gap_trend_needs_both_extreme_deciles() -> None:
    frames = []
    for year in range(2015, 2019):
        c, d, p = _frames(seed=year)
        frames.append(c.assign(year=year))
    d = d.assign(imd2019_decile=d["imd2019_decile"].clip(2, 9))  # no decile 1 or 10 (a borough)
    with pytest.raises(InputError, match="decile 1 or 10 has no residents"):
        dep.gap_trend(pd.concat(frames), d, p)
    prof = dep.by_decile(frames[0], d, p)
    assert math.isnan(prof.rate_ratio) and any(
        "no places in decile(s) 1, 10" in w for w in prof.warnings
    )

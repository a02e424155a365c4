"""Forecasts: interval coverage on synthetic negative-binomial series, reproducibility, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vrkit.analysis import forecast as fc
from vrkit.errors import InputError

MONTHS = pd.date_range("2014-01-01", periods=72, freq="MS")


def _series(n: int, mean: float, *, alpha: float = 0.02, seed: int = 0) -> pd.DataFrame:
    """n NB2 series (Var = μ + αμ²) with ±15 % seasonality and a 3 %/year trend."""
    rng = np.random.default_rng(seed)
    t = np.arange(len(MONTHS))
    mu = (
        mean * (1 + 0.15 * np.sin(2 * np.pi * MONTHS.month.to_numpy() / 12)) * np.exp(0.03 * t / 12)
    )
    Y = rng.poisson(rng.gamma(1 / alpha, mu * alpha, size=(n, len(MONTHS))))
    return pd.DataFrame(
        {
            "area_code": np.repeat([f"A{i:03d}" for i in range(n)], len(MONTHS)),
            "month": np.tile(MONTHS, n),
            "count": Y.ravel().astype(float),
        }
    )


# ---- CHECK INPUTS -------------------------------------------------------------------------


def test_bad_horizon_origin_and_counts() -> None:
    df = _series(1, 50)
    with pytest.raises(InputError, match="horizon must be"):
        fc.forecast_counts(df, horizon=13)
    with pytest.raises(InputError, match="outside the data"):
        fc.forecast_counts(df, origin="2030-01")
    bad = df.copy()
    bad.loc[0, "count"] = -3
    with pytest.raises(InputError, match="negative count"):
        fc.forecast_counts(bad)


def test_too_little_history_is_skipped_or_error() -> None:
    df = _series(2, 50)
    short = df[(df["area_code"] == "A000") | (df["month"] >= "2019-06-01")]
    r = fc.forecast_counts(short, horizon=3, n_sims=500)
    assert list(r.skipped["area_code"]) == ["A001"]
    assert "too little history" in r.skipped["reason"].iloc[0]
    with pytest.raises(InputError, match="no area could be forecast"):
        fc.forecast_counts(df[df["month"] >= "2019-06-01"], n_sims=500)


def test_gaps_are_left_out_not_zero() -> None:
    df = _series(1, 50, seed=3)
    gap = df["month"].between("2017-01-01", "2017-06-01")
    full = fc.forecast_counts(df, horizon=3, n_sims=2000)
    holed = fc.forecast_counts(df[~gap], horizon=3, n_sims=2000)
    assert holed.fits["n_fit"].iloc[0] == full.fits["n_fit"].iloc[0] - 6
    ratio = holed.table["mean"] / full.table["mean"]
    assert np.all(np.abs(ratio - 1) < 0.08)  # zeros would drag the level down ~10 %
    assert holed.history["count"].isna().sum() == 6  # missing kept as missing


# ---- CHECK OUTPUTS ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("mean", "seed"), [(80, 5), (20, 6)])
def test_interval_coverage_on_synthetic_series(mean: float, seed: int) -> None:
    # 150 series × 12 horizons = 1,800 outcomes; nominal 95 % intervals must cover 93–97 %
    # and 80 % intervals 76–84 % (measured: 95.9 / 81.1 % at mean 80, 95.8 / 82.2 % at mean 20).
    df = _series(150, mean, seed=seed)
    r = fc.forecast_counts(
        df, origin="2018-12", fit_months=60, exclude_kinds=(), n_sims=2000, seed=1
    )
    assert r.skipped.empty
    truth = df[df["month"] > pd.Timestamp("2018-12-01")]
    m = r.table.merge(truth, on=["area_code", "month"], validate="one_to_one")
    assert len(m) == 150 * 12
    cov95 = ((m["count"] >= m["lower_95"]) & (m["count"] <= m["upper_95"])).mean()
    cov80 = ((m["count"] >= m["lower_80"]) & (m["count"] <= m["upper_80"])).mean()
    assert 0.93 <= cov95 <= 0.97, cov95
    assert 0.76 <= cov80 <= 0.84, cov80
    assert (r.fits["alpha"].median() - 0.02) / 0.02 < 0.25


def test_reproducible_with_seed_and_ordered_limits() -> None:
    df = _series(3, 40, seed=9)
    a = fc.forecast_counts(df, horizon=6, n_sims=1000, seed=42)
    b = fc.forecast_counts(df, horizon=6, n_sims=1000, seed=42)
    c = fc.forecast_counts(df, horizon=6, n_sims=1000, seed=43)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not a.table["mean"].equals(c.table["mean"])
    t = a.table
    assert (t["lower_95"] <= t["lower_80"]).all() and (t["lower_80"] <= t["median"]).all()
    assert (t["median"] <= t["upper_80"]).all() and (t["upper_80"] <= t["upper_95"]).all()
    assert list(t["horizon"].unique()) == [1, 2, 3, 4, 5, 6]
    assert a.params.seed == 42 and a.params.method == fc.METHOD
    assert t["month"].min() == pd.Timestamp("2020-01-01")


def test_input_not_mutated() -> None:
    df = _series(2, 40)
    before = df.copy()
    fc.forecast_counts(df, horizon=2, n_sims=500)
    pd.testing.assert_frame_equal(df, before)

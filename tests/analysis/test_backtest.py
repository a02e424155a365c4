"""Backtests: hand-computed PAI/PEI/RRI, MASE against a hand computation, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vrkit.analysis import backtest as bt
from vrkit.errors import InputError

# Wheeler's ptools example: obs = 6,7,3,2,1,0; pred = 8,4,4,2,1,0; equal areas.
OBS = np.array([6, 7, 3, 2, 1, 0], dtype=float)
PRED = np.array([8, 4, 4, 2, 1, 0], dtype=float)


def test_place_accuracy_hand_computed_k1() -> None:
    # top 1 by prediction: the unit with 6 crimes. N = 19, A = 6 units.
    a = bt.place_accuracy(PRED, OBS, 1)
    assert a.hit_rate == pytest.approx(6 / 19)
    assert a.pai == pytest.approx((6 / 19) / (1 / 6))  # 1.8947
    assert a.pei == pytest.approx(6 / 7)  # oracle takes the unit with 7
    assert a.rri == pytest.approx((6 / 8) / (19 / 19))  # baseline defaults to predicted
    assert a.rri_ptools == pytest.approx(8 / 6)


def test_place_accuracy_hand_computed_k2_tie_broken_conservatively() -> None:
    # predictions 4 and 4 tie: the unit with fewer crimes (3) is taken first, as in ptools
    a = bt.place_accuracy(PRED, OBS, 2)
    assert a.crimes_in_top_k == 9
    assert a.pai == pytest.approx((9 / 19) / (2 / 6))  # 1.4211
    assert a.pei == pytest.approx(9 / 13)
    assert a.rri_ptools == pytest.approx(12 / 9)


def test_place_accuracy_unequal_areas_and_baseline() -> None:
    obs = np.array([10, 5, 5, 0], dtype=float)
    pred = np.array([4, 6, 1, 1], dtype=float)
    area = np.array([1, 4, 2, 3], dtype=float)
    base = np.array([8, 6, 2, 4], dtype=float)
    # densities pred/area: 4, 1.5, 0.5, 0.33 → top 2 = units 0, 1: n = 15, a = 5 of 10
    a = bt.place_accuracy(pred, obs, 2, area=area, baseline=base)
    assert a.hit_rate == pytest.approx(15 / 20)
    assert a.pai == pytest.approx((15 / 20) / (5 / 10))  # 1.5
    # oracle by observed density: 10/1, 5/2 → units 0, 2: (15/20)/(3/10) = 2.5
    assert a.pei == pytest.approx(1.5 / 2.5)
    # RRI = (n / n0) / (N / N0) = (15 / 14) / (20 / 20)
    assert a.rri == pytest.approx(15 / 14)
    assert not a.equal_areas


def test_place_accuracy_bad_input() -> None:
    with pytest.raises(InputError, match="k must be between"):
        bt.place_accuracy(PRED, OBS, 7)
    with pytest.raises(InputError, match="has missing values"):
        bt.place_accuracy(np.array([1.0, np.nan]), np.array([1.0, 2.0]), 1)
    with pytest.raises(InputError, match="≥ 0"):
        bt.place_accuracy(np.array([1.0, 2.0]), np.array([-1.0, 2.0]), 1)
    with pytest.raises(InputError, match="no crimes observed"):
        bt.place_accuracy(np.array([1.0, 2.0]), np.array([0.0, 0.0]), 1)
    with pytest.raises(InputError, match="area must be > 0"):
        bt.place_accuracy(PRED, OBS, 1, area=np.zeros(6))


def test_place_backtest_last_year_predictor() -> None:
    rows = []
    for y, vals in {2019: [5, 1, 3, 0], 2020: [6, 0, 2, 1], 2021: [1, 9, 2, 0]}.items():
        rows += [{"area_code": f"L{i}", "year": y, "count": v} for i, v in enumerate(vals)]
    df = pd.DataFrame(rows)
    out = bt.place_backtest(df, period="year", k=1)
    assert list(out["period"]) == [2020, 2021]
    # 2020 predicted by 2019: top unit L0 has 6 of 9 crimes; 1 of 4 units
    assert out.loc[0, "hit_rate"] == pytest.approx(6 / 9)
    assert out.loc[0, "pai"] == pytest.approx((6 / 9) / (1 / 4))
    # 2021 predicted by 2020: L0 has 1 of 12; oracle L1 has 9
    assert out.loc[1, "pei"] == pytest.approx(1 / 9)
    with pytest.raises(InputError, match="unknown predictor"):
        bt.place_backtest(df, period="year", k=1, predictor="best")


def _nb(n: int, months: pd.DatetimeIndex, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    mu = 60 * (1 + 0.15 * np.sin(2 * np.pi * months.month.to_numpy() / 12))
    Y = rng.poisson(rng.gamma(50, mu / 50, size=(n, len(months))))
    return pd.DataFrame(
        {
            "area_code": np.repeat([f"A{i}" for i in range(n)], len(months)),
            "month": np.tile(months, n),
            "count": Y.ravel().astype(float),
        }
    )


def test_rolling_origin_metrics_match_hand_computation() -> None:
    months = pd.date_range("2012-01-01", periods=96, freq="MS")
    df = _nb(3, months, seed=1)
    r = bt.rolling_origin(df, ["2017-12", "2018-06"], horizon=6, n_sims=1000, seed=3)
    f = r.forecasts
    assert len(f) == 3 * 2 * 6
    # MASE scale: in-sample seasonal-naive MAE over the 60-month training window
    a0 = df[(df["area_code"] == "A0")].set_index("month")["count"]
    train = a0["2013-01-01":"2017-12-01"].to_numpy()
    scale = np.mean(np.abs(train[12:] - train[:-12]))
    row = f[(f["area_code"] == "A0") & (f["origin"] == pd.Timestamp("2017-12-01"))]
    assert row["scale"].iloc[0] == pytest.approx(scale)
    assert row["naive"].iloc[0] == a0[pd.Timestamp("2017-01-01")]
    m = r.metrics
    assert m["mae"] == pytest.approx((f["observed"] - f["forecast"]).abs().mean())
    assert m["mase"] == pytest.approx(((f["observed"] - f["forecast"]).abs() / f["scale"]).mean())
    assert 0 <= m["coverage_80"] <= m["coverage_95"] <= 1
    assert m["mase"] < 1.2  # a correct model is about as good as or better than naive
    assert set(bt.DEFINITIONS) >= {"mae", "mase", "coverage_80", "coverage_95", "hit_rate"}


def test_rolling_origin_leaves_out_restriction_months_from_headline() -> None:
    months = pd.date_range("2014-01-01", periods=96, freq="MS")  # to 2021-12
    df = _nb(2, months, seed=2)
    r = bt.rolling_origin(df, ["2019-12"], horizon=12, n_sims=500)
    f = r.forecasts
    # 2020-03…07 (lockdown 1) and 2020-09…12 (rule of six, tiers, lockdown 2, tier 4)
    assert f["in_excluded_period"].sum() == 2 * 9
    assert r.metrics["n_forecasts"] == 2 * 3  # Jan, Feb, Aug 2020
    assert r.metrics_all_months["n_forecasts"] == 24
    with pytest.raises(InputError, match="no forecast has an observed outcome"):
        bt.rolling_origin(df, ["2021-12"], horizon=3, n_sims=500)

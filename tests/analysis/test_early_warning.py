"""Early warning: batched GLM against statsmodels, false-alarm rate and detection on synthetic
negative-binomial series, catalogued exclusions, gaps, fallback, FDR and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from scipy.special import gammaln
from statsmodels.stats import multitest

from vrkit.analysis import early_warning as ew
from vrkit.errors import InputError

MONTHS = pd.date_range("2012-01-01", periods=120, freq="MS")  # 2012-01 … 2021-12


def _nb_series(
    n: int, mean: float, *, phi: float = 1.5, amp: float = 0.15, seed: int = 0
) -> np.ndarray:
    """n independent NB series (variance φμ) with a sinusoidal seasonality of amplitude amp."""
    rng = np.random.default_rng(seed)
    mu = mean * (1 + amp * np.sin(2 * np.pi * MONTHS.month.to_numpy() / 12))
    lam = rng.gamma(mu / (phi - 1), phi - 1, size=(n, len(MONTHS)))
    return rng.poisson(lam).astype(float)


def _long(Y: np.ndarray, months: pd.DatetimeIndex = MONTHS) -> pd.DataFrame:
    s, t = Y.shape
    return pd.DataFrame(
        {
            "area_code": np.repeat([f"A{i:04d}" for i in range(s)], t),
            "month": np.tile(months, s),
            "count": Y.ravel(),
        }
    )


# ---- CHECK INPUTS -------------------------------------------------------------------------


def test_negative_count_is_input_error() -> None:
    df = _long(_nb_series(2, 20))
    df.loc[5, "count"] = -1
    with pytest.raises(InputError, match="negative count"):
        ew.detect_exceedances(df, "2019-06")


def test_non_integer_count_is_input_error() -> None:
    df = _long(_nb_series(1, 20))
    df.loc[3, "count"] = 2.5
    with pytest.raises(InputError, match="non-integer count"):
        ew.detect_exceedances(df, "2019-06")


def test_month_outside_data_is_input_error() -> None:
    df = _long(_nb_series(1, 20))
    with pytest.raises(InputError, match="outside the data"):
        ew.detect_exceedances(df, "2030-01")
    with pytest.raises(InputError, match="cannot read month"):
        ew.detect_exceedances(df, "June")


def test_month_absent_everywhere_is_input_error() -> None:
    df = _long(_nb_series(2, 20))
    df = df[df["month"] != pd.Timestamp("2019-06-01")]
    with pytest.raises(InputError, match="missing, not zero"):
        ew.detect_exceedances(df, "2019-06")


def test_bad_settings_are_input_errors() -> None:
    df = _long(_nb_series(1, 20))
    with pytest.raises(InputError, match="level must be"):
        ew.detect_exceedances(df, "2019-06", level=1.5)
    with pytest.raises(InputError, match="unknown method"):
        ew.detect_exceedances(df, "2019-06", method="shewhart")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="lacks column"):
        ew.detect_exceedances(df.drop(columns="count"), "2019-06")


def test_input_frame_not_mutated() -> None:
    df = _long(_nb_series(3, 20))
    before = df.copy()
    ew.detect_exceedances(df, "2019-06")
    pd.testing.assert_frame_equal(df, before)


# ---- the GLM ------------------------------------------------------------------------------


def test_batched_irls_matches_statsmodels_weighted_quasi_poisson() -> None:
    Y = _nb_series(3, 15, seed=3)
    offsets = np.arange(-61, -6, dtype=float)
    X = ew._design(offsets, 1, 10, trend=True)
    y = Y[:, 120 - 61 : 120 - 6]
    rng = np.random.default_rng(1)
    w = rng.uniform(0.3, 1.5, size=y.shape)
    w[:, 4] = 0.0  # a left-out month
    fit = ew._irls(X, y, w)
    for i in range(3):
        keep = w[i] > 0
        ref = sm.GLM(y[i, keep], X[keep], family=sm.families.Poisson(), var_weights=w[i, keep])
        res = ref.fit(scale="X2")
        np.testing.assert_allclose(fit.beta[i], res.params, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(fit.phi[i], res.scale, rtol=1e-6)
        np.testing.assert_allclose(fit.phi[i] * fit.inv[i], res.cov_params(), rtol=1e-5)


def test_ten_level_factor_for_monthly_data() -> None:
    # w = 1: the 3 months around the target's calendar month are the reference level and the
    # other 9 calendar months are one level each (surveillance's blocks for freq = 12).
    X = ew._design(np.arange(-12, 0, dtype=float), 1, 10, trend=False)
    assert X.shape == (12, 10)
    window = X[:, 1:].sum(axis=1) == 0
    assert window.sum() == 3
    assert (X[:, 1:].sum(axis=0) == 1).all()


# ---- CHECK OUTPUTS: truth on synthetic series ---------------------------------------------


@pytest.mark.slow
def test_false_alarm_rate_near_nominal() -> None:
    # 1,200 independent NB series (mean 30/month, φ = 1.5, ±15 % seasonality) tested in 6
    # months spread over the year: 7,200 tests, Monte Carlo SE ≈ 0.12 percentage points.
    # Tolerance: within 0.5 percentage points of the nominal 1 %.
    df = _long(_nb_series(1200, 30, seed=11))
    rates = [
        ew.detect_exceedances(df, f"2019-{m:02d}", exclude_kinds=(), min_recent=None)
        for m in (1, 3, 5, 7, 9, 11)
    ]
    rate = np.mean([r.n_alerts / r.n_tested for r in rates])
    assert abs(rate - 0.01) <= 0.005, rate  # measured 1.31 % (nb_plugin 1.64 %, muan 0.26 %)
    # the expected number by chance is reported and close to n·(1 − level)
    r = rates[0]
    assert r.expected_by_chance <= r.expected_by_chance_nominal + 1e-9
    assert r.expected_by_chance > 0.5 * r.expected_by_chance_nominal


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mean", "months", "power"),
    [(100, 2, 0.95), (30, 3, 0.70)],
)
def test_injected_rise_detected(mean: float, months: int, power: float) -> None:
    # The mean rises by 50 % (still NB, φ = 1.5) for 3 months from 2019-04. Stated power:
    # borough-like series (100/month) alert within 2 months in ≥ 95 % of 400 series (measured
    # 99 %); ward-like series (30/month) within 3 months in ≥ 70 % (measured 78 %). The
    # baseline leaves out the last 6 months, so the rise cannot raise its own threshold.
    Y = _nb_series(400, mean, seed=5)
    rng = np.random.default_rng(6)
    t0 = MONTHS.get_loc(pd.Timestamp("2019-04-01"))
    mu = mean * 1.5 * (1 + 0.15 * np.sin(2 * np.pi * np.array([4, 5, 6]) / 12))
    Y[:, t0 : t0 + 3] = rng.poisson(rng.gamma(mu / 0.5, 0.5, size=(400, 3)))
    df = _long(Y)
    hit = np.zeros(400, dtype=bool)
    for m in ("2019-04", "2019-05", "2019-06")[:months]:
        r = ew.detect_exceedances(df, m, exclude_kinds=())
        t = r.table.set_index("area_code").loc[[f"A{i:04d}" for i in range(400)]]
        hit |= t["alert"].to_numpy()
    assert hit.mean() >= power, hit.mean()


def test_past_outbreak_is_down_weighted() -> None:
    Y = _nb_series(200, 30, seed=8)
    t0 = MONTHS.get_loc(pd.Timestamp("2017-06-01"))
    Y[:, t0 : t0 + 2] *= 3  # a past outbreak inside the baseline of 2019-06
    df = _long(Y)
    truth = 30 * (1 + 0.15 * np.sin(2 * np.pi * 6 / 12))
    kw = {"exclude_kinds": (), "min_recent": None}
    rew = ew.detect_exceedances(df, "2019-06", **kw).table["expected"].mean()
    raw = ew.detect_exceedances(df, "2019-06", reweight_threshold=np.inf, **kw)
    assert abs(rew - truth) < abs(raw.table["expected"].mean() - truth)
    # one reweighting step removes most, not all, of the outbreak's pull (≈ 25 % → ≈ 6 %)
    assert abs(rew - truth) / truth < 0.10


def test_catalogued_restriction_months_left_out_of_baseline() -> None:
    months = ew.excluded_months()
    assert pd.Timestamp("2020-04-01") in months
    assert pd.Timestamp("2021-02-01") in months
    assert pd.Timestamp("2020-08-01") not in months  # between lockdowns, no restriction
    Y = _nb_series(50, 30, seed=9)
    locked = MONTHS.isin(pd.DatetimeIndex(months))
    Y[:, locked] = 0  # lockdown months far below normal
    df = _long(Y)
    r = ew.detect_exceedances(df, "2021-10", min_recent=None)
    naive = ew.detect_exceedances(df, "2021-10", exclude_kinds=(), min_recent=None)
    assert (r.table["n_baseline"] < naive.table["n_baseline"]).all()
    truth = 30 * (1 + 0.15 * np.sin(2 * np.pi * 10 / 12))
    assert abs(r.table["expected"].mean() - truth) / truth < 0.05
    assert naive.table["expected"].mean() < r.table["expected"].mean()
    assert "2020-04" in r.params.excluded_months


def test_gaps_are_missing_not_zero() -> None:
    Y = _nb_series(2, 30, seed=4)
    df = _long(Y)
    gap = df["month"].between("2016-01-01", "2016-06-01") & (df["area_code"] == "A0000")
    r_full = ew.detect_exceedances(df, "2019-06", exclude_kinds=())
    r_gap = ew.detect_exceedances(df[~gap], "2019-06", exclude_kinds=())
    a_full = r_full.table.set_index("area_code").loc["A0000"]
    a_gap = r_gap.table.set_index("area_code").loc["A0000"]
    assert a_gap["n_baseline"] == a_full["n_baseline"] - 6
    # zeros instead of missing would pull the expected count down by ~10 %; gaps do not
    assert abs(a_gap["expected"] - a_full["expected"]) / a_full["expected"] < 0.06
    # target month missing for one area: skipped with the reason, not "no alert"
    hole = (df["month"] == pd.Timestamp("2019-06-01")) & (df["area_code"] == "A0001")
    r = ew.detect_exceedances(df[~hole], "2019-06", exclude_kinds=())
    assert list(r.skipped["area_code"]) == ["A0001"]
    assert "missing, not zero" in r.skipped["reason"].iloc[0]
    assert "A0001" not in set(r.table["area_code"])


def test_short_history_uses_stated_fallback_or_is_skipped() -> None:
    Y = _nb_series(3, 30, seed=2)
    Y[0, :-30] = np.nan  # 29 months of history before 2021-12
    Y[1, :-5] = np.nan  # 4 months: too little even for the fallback
    r = ew.detect_exceedances(_long(Y), "2021-12", exclude_kinds=())
    t = r.table.set_index("area_code")
    assert t.loc["A0000", "method"] == "fallback"
    assert t.loc["A0002", "method"] == "farrington"
    assert t.loc["A0000", "years_back"] == 0
    assert list(r.skipped["area_code"]) == ["A0001"]
    assert "too little history" in r.skipped["reason"].iloc[0]
    assert r.params.min_history_months == 37


def test_fallback_mean_threshold_and_p_value_by_hand() -> None:
    """The fallback (documented in the module): μ̂ = mean of the last 12 usable months, φ =
    max(1, sample variance / μ̂), a negative binomial with mean μ̂·exp(z √(φ / (n μ̂))) for the
    threshold and the p-value P(Y ≥ observed), here from the hand pmf (z = Φ⁻¹(0.99))."""
    Y = _nb_series(12, 20, seed=8)
    Y[:, :-21] = np.nan  # 20 months before the target: too few for the full method
    Y[:4, -1] = np.round(Y[:4, -1] * 1.7)
    t = ew.detect_exceedances(_long(Y), "2021-12", exclude_kinds=()).table
    assert (t["method"] == "fallback").all() and len(t) == 12
    assert (t["p_value"] < 0.05).sum() >= 2
    k = np.arange(0, 400)
    for row in t.itertuples():
        i = int(row.area_code[1:])
        base = Y[i, -13:-1]
        mean, n = base.mean(), base.size
        phi = max(1.0, base.var(ddof=1) / mean)
        assert row.expected == pytest.approx(mean, rel=1e-12)
        assert row.dispersion == pytest.approx(phi, rel=1e-12)
        mu_u = mean * np.exp(2.3263478740408408 * np.sqrt(phi / (n * mean)))
        cdf = np.cumsum(_nb_pmf(k, mu_u, phi))
        p_ref = 1.0 - cdf[int(row.observed) - 1] if row.observed > 0 else 1.0
        assert row.p_value == pytest.approx(p_ref, rel=1e-7, abs=1e-12), row.area_code
        assert row.threshold == int(np.argmax(cdf >= 0.99 - 1e-12)), row.area_code


def test_score_p_value_and_alert_are_consistent() -> None:
    Y = _nb_series(300, 30, seed=12)
    Y[:20, -1] *= 2
    r = ew.detect_exceedances(_long(Y), "2021-12", exclude_kinds=())
    t = r.table
    assert (t["alert"] == ((t["observed"] > t["threshold"]) & (t["recent_total"] >= 5))).all()
    assert ((t["score"] > 1) == (t["observed"] > t["threshold"])).all()
    assert (t.loc[t["alert"], "p_value"] <= 0.01 + 1e-12).all()
    assert t["alert"].iloc[: r.n_alerts].all()  # alerts first
    assert r.n_alerts >= 15
    assert r.n_alerts_fdr <= r.n_alerts
    rec = r.records()[0]
    assert {"area_code", "month", "observed", "expected", "threshold", "p_value", "alert"} <= set(
        rec
    )
    assert rec["month"] == "2021-12"


def _nb_pmf(k: np.ndarray, mean: float, phi: float) -> np.ndarray:
    """Negative binomial with mean μ and variance φμ, by hand: r = μ/(φ − 1), p = 1/φ,
    P(k) = Γ(k + r) / (k! Γ(r)) p^r (1 − p)^k; Poisson(μ) where φ = 1."""
    if phi <= 1 + 1e-9:
        return np.exp(k * np.log(mean) - mean - gammaln(k + 1))
    r, p = mean / (phi - 1), 1 / phi
    return np.exp(gammaln(k + r) - gammaln(k + 1) - gammaln(r) + r * np.log(p) + k * np.log1p(-p))


def test_p_value_threshold_and_chance_are_the_negative_binomial_tail_by_hand() -> None:
    """With Noufaily's nbPlugin threshold (μ₀ and φ as reported) the p-value is P(Y ≥ observed),
    the threshold the smallest u with P(Y ≤ u) ≥ level and the chance of an alert P(Y > u),
    summed here from a hand-written pmf (Poisson series give φ = 1 and the Poisson tail)."""
    Y = np.vstack([_nb_series(30, 25, seed=21), np.random.default_rng(3).poisson(8.0, (10, 120))])
    Y[:6, -1] = np.round(Y[:6, -1] * 1.8)  # some large observations: small p-values
    r = ew.detect_exceedances(_long(Y), "2021-12", threshold_method="nb_plugin", exclude_kinds=())
    t = r.table
    assert (t["method"] == "farrington").all() and len(t) == 40
    assert (t["dispersion"] == 1.0).sum() >= 5 and (t["dispersion"] > 1.2).sum() >= 20
    assert (t["p_value"] < 0.01).sum() >= 3
    k = np.arange(0, 400)
    for row in t.itertuples():
        pmf = _nb_pmf(k, row.expected, row.dispersion)
        cdf = np.cumsum(pmf)
        assert cdf[-1] == pytest.approx(1.0, abs=1e-12)
        p_ref = 1.0 - cdf[row.observed - 1] if row.observed > 0 else 1.0
        assert row.p_value == pytest.approx(p_ref, rel=1e-7, abs=1e-12), row.area_code
        u = int(np.argmax(cdf >= 0.99 - 1e-12))
        assert row.threshold == u, row.area_code
        assert row.chance_alert_prob == pytest.approx(1.0 - cdf[u], rel=1e-7, abs=1e-12)
        # and scipy's parameterisation agrees with the hand pmf
        if row.dispersion > 1:
            n_, p_ = row.expected / (row.dispersion - 1), 1 / row.dispersion
            assert stats.nbinom.sf(row.observed - 1, n_, p_) == pytest.approx(p_ref, rel=1e-7)
    # the default predictive threshold adds the variance of the estimated mean (μ₀² Var η̂) to
    # φμ₀: same expectation, a threshold never below nbPlugin's and above it for most areas
    d = ew.detect_exceedances(_long(Y), "2021-12", exclude_kinds=()).table.set_index("area_code")
    p = t.set_index("area_code").loc[d.index]
    np.testing.assert_allclose(d["expected"], p["expected"], rtol=1e-12)
    assert (d["threshold"] >= p["threshold"]).all()
    assert (d["threshold"] > p["threshold"]).mean() > 0.5


def test_benjamini_hochberg_matches_statsmodels() -> None:
    p = np.random.default_rng(0).uniform(size=200) ** 3
    p[[3, 7]] = np.nan
    q = ew.benjamini_hochberg(p)
    ok = ~np.isnan(p)
    ref = multitest.multipletests(p[ok], method="fdr_bh")[1]
    np.testing.assert_allclose(q[ok], ref)
    assert np.isnan(q[3]) and np.isnan(q[7])


@pytest.mark.parametrize("method", ["cusum", "ewma"])
def test_control_charts_reproducible_and_detect(method: str) -> None:
    Y = _nb_series(300, 30, seed=13)
    Y[:150, -3:] = np.round(Y[:150, -3:] * 1.5)  # a 3-month rise in half of the series
    df = _long(Y)
    a = ew.detect_exceedances(df, "2021-12", method=method, seed=1, n_sim=500)  # type: ignore[arg-type]
    b = ew.detect_exceedances(df, "2021-12", method=method, seed=1, n_sim=500)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table.set_index("area_code")
    risen = t.index.isin([f"A{i:04d}" for i in range(150)])
    # after 3 months of +50 % (mean 30/month) at least half of the risen series alert; the
    # thresholds allow for estimation error in the expectation, which costs power
    assert t.loc[risen, "alert"].mean() >= 0.5
    # false alarms: stated tolerance for these comparison methods is ≤ 3 % at nominal 1 %
    assert t.loc[~risen, "alert"].mean() <= 0.03
    assert a.params.method == method
    assert ("Page" if method == "cusum" else "Roberts") in a.params.reference
    c = ew.detect_exceedances(df, "2021-12", method=method, seed=2, n_sim=500)  # type: ignore[arg-type]
    assert not np.array_equal(c.table["p_value"], a.table["p_value"])

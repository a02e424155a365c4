"""Honest changes, series breaks, stable rates and complete geography (issue #12), against
independent references: scipy, statsmodels, esda, hand computations."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import sparse, stats

from vrkit.analysis.breaks import SeriesBreak, fit_start, mark_breaks, series_breaks
from vrkit.analysis.changes import (
    NO_DATA,
    NO_SIG,
    SIG_FALL,
    SIG_RISE,
    change_sentence,
    compare_count_frame,
    compare_counts,
)
from vrkit.analysis.harmonise import reallocate_counts
from vrkit.analysis.need_index import IndicatorSpec, need_index
from vrkit.analysis.smoothing import denominator_flags, smooth_rates
from vrkit.catalog.measures import availability_message, geographies_of
from vrkit.errors import InputError

# -- honest changes ---------------------------------------------------------------------------


@pytest.mark.parametrize("cur,prev", [(8, 7), (134, 153), (69252, 77500), (3, 0), (0, 9), (40, 20)])
def test_exact_test_equals_statsmodels_and_scipy(cur: int, prev: int) -> None:
    from statsmodels.stats.rates import test_poisson_2indep

    r = compare_counts(cur, prev)
    sm = test_poisson_2indep(cur, 1.0, prev, 1.0, method="exact-cond")
    assert r.p_value == pytest.approx(sm.pvalue, rel=1e-9, abs=1e-12)
    assert r.p_value == pytest.approx(stats.binomtest(cur, cur + prev, 0.5).pvalue, abs=1e-12)


def test_ratio_interval_is_clopper_pearson_mapped() -> None:
    from statsmodels.stats.proportion import proportion_confint

    r = compare_counts(134, 153)
    lo, hi = proportion_confint(134, 287, alpha=0.05, method="beta")
    assert r.ratio_lower == pytest.approx(lo / (1 - lo))
    assert r.ratio_upper == pytest.approx(hi / (1 - hi))
    # interval and test agree: 1 inside the interval exactly when not significant
    for cur, prev in [(8, 7), (134, 153), (69252, 77500), (40, 20), (28, 15)]:
        c = compare_counts(cur, prev)
        assert (c.ratio_lower <= 1 <= c.ratio_upper) == (not c.significant)


def test_unequal_exposure_hand_computed() -> None:
    # 30 offences in 2 years against 10 in 1 year: p0 = 2/3 under equal rates
    r = compare_counts(30, 10, exposure_current=2, exposure_previous=1)
    lower = stats.binom.cdf(30, 40, 2 / 3)
    upper = stats.binom.sf(29, 40, 2 / 3)
    assert r.p_value == pytest.approx(min(1, 2 * min(lower, upper)))
    assert r.ratio == pytest.approx(15 / 10)


def test_tiny_counts_are_never_headlined() -> None:
    r = compare_counts(8, 7)  # Lambeth homicide 2020 vs 2019
    assert not r.significant and r.change_class == NO_SIG
    s = change_sentence("Homicide", r, 2020, 2019)
    assert "no significant change" in s and "rose" not in s
    big = compare_counts(69252, 77500)
    assert big.change_class == SIG_FALL
    assert change_sentence("VWI", big, 2020, 2019).startswith("VWI fell by 11 % (8,248 fewer")
    assert compare_counts(40, 15).change_class == SIG_RISE
    assert compare_counts(float("nan"), 3).change_class == NO_DATA
    z = compare_counts(0, 0)
    assert z.p_value == 1.0 and not z.significant
    with pytest.raises(InputError):
        compare_counts(2.5, 3)


def test_compare_frame_does_not_mutate() -> None:
    f = pd.DataFrame({"current": [8.0, 69252.0], "previous": [7.0, 77500.0]})
    before = f.copy()
    out = compare_count_frame(f)
    pd.testing.assert_frame_equal(f, before)
    assert out["change_class"].tolist() == [NO_SIG, SIG_FALL]


# -- series breaks ----------------------------------------------------------------------------


def test_vap_has_the_2024_break_and_trend_blanks_change_across_it() -> None:
    b = series_breaks("violence_against_the_person", "mps_borough_monthly")
    assert [x.start for x in b] == [date(2024, 1, 1)]
    assert series_breaks("violence_with_injury") == []
    t = pd.DataFrame(
        {
            "period": ["2022", "2023", "2024", "2025"],
            "total": [240858.0, 251516.0, 235843.0, 242930.0],
        }
    )
    t["change"] = t["total"].diff()
    t["pct_change"] = 100 * t["change"] / t["total"].shift()
    m = mark_breaks(t, b)
    assert m["comparable"].tolist() == [True, True, False, True]
    assert np.isnan(m.loc[2, "pct_change"]) and m.loc[3, "pct_change"] == pytest.approx(3.005, 1e-3)
    assert "CONNECT" in m.loc[2, "break_label"]
    kept = mark_breaks(t, b, across_breaks=True)
    assert kept.loc[2, "pct_change"] == pytest.approx(-6.23, abs=0.01)
    fy = mark_breaks(
        pd.DataFrame({"period": ["2022/23", "2023/24", "2024/25", "2025/26"]}),
        b,
        period="financial",
    )
    assert fy["comparable"].tolist() == [True, False, False, True]
    assert fy["mixes_bases"].tolist() == [False, True, False, False]


def test_forecast_fits_after_the_break() -> None:
    from vrkit.analysis.forecast import forecast_counts

    months = pd.date_range("2018-01-01", "2025-12-01", freq="MS")
    rng = np.random.default_rng(3)
    level = np.where(months >= "2024-01-01", 400.0, 1000.0)
    counts = pd.DataFrame({"area_code": "X", "month": months, "count": rng.poisson(level)})
    brk = SeriesBreak("b", date(2024, 1, 1), ("m",), ("s",), "test break", "r", "s")
    assert fit_start([brk], date(2025, 12, 1)) == pd.Timestamp("2024-01-01")
    res = forecast_counts(counts, horizon=3, breaks=[brk], n_sims=400)
    assert res.params.fit_from == "2024-01" and res.fits["n_fit"].iloc[0] == 24
    assert 300 < res.table["mean"].mean() < 500  # the old level is not fitted through
    naive = forecast_counts(counts, horizon=3, n_sims=400)
    assert naive.params.fit_from is None


# -- stable rates -----------------------------------------------------------------------------


def _lattice(k: int) -> sparse.csr_matrix:
    n = k * k
    rows, cols = [], []
    for i in range(k):
        for j in range(k):
            for di, dj in ((0, 1), (1, 0)):
                if i + di < k and j + dj < k:
                    a, b = i * k + j, (i + di) * k + j + dj
                    rows += [a, b]
                    cols += [b, a]
    return sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def test_smoothing_equals_esda() -> None:
    from esda.smoothing import Empirical_Bayes, Spatial_Empirical_Bayes
    from libpysal.weights import lat2W

    rng = np.random.default_rng(0)
    b = rng.integers(200, 20000, 49).astype(float)
    e = rng.poisson(b * rng.gamma(4, 0.005 / 4, 49)).astype(float)
    ids = [f"A{i:02d}" for i in range(49)]
    res = smooth_rates(
        pd.Series(e, index=ids), pd.Series(b, index=ids), neighbours=_lattice(7), multiplier=1.0
    )
    g = Empirical_Bayes(e.reshape(-1, 1), b.reshape(-1, 1)).r.ravel()
    w = lat2W(7, 7, rook=True)
    sp = Spatial_Empirical_Bayes(e.reshape(-1, 1), b.reshape(-1, 1), w).r.ravel()
    np.testing.assert_allclose(res.table["rate_eb_global"], g, rtol=1e-12)
    np.testing.assert_allclose(res.table["rate_eb_spatial"], sp, rtol=1e-12)
    np.testing.assert_allclose(res.table["rate_raw"], e / b)
    assert (res.table["rate"] == res.table["rate_eb_spatial"]).all()
    # small areas are shrunk most
    small = res.table["population"].idxmin()
    big = res.table["population"].idxmax()
    assert res.table.loc[small, "shrinkage"] < res.table.loc[big, "shrinkage"]


def test_smoothing_missing_population_is_never_zero() -> None:
    ids = list("abcde")
    res = smooth_rates(
        pd.Series([5, 10, 0, 7, np.nan], index=ids),
        pd.Series([1000, 2000, 0, 1500, 900], index=ids),
        smoothing="global",
    )
    assert res.table.loc[["c", "e"], "rate"].isna().all()
    assert res.params["no_population"] == ["c", "e"]
    with pytest.raises(InputError):
        smooth_rates(pd.Series([1, 2, 3], index=ids[:3]), pd.Series([1, 2, 3], index=ids[:3]))


def test_denominator_flags() -> None:
    pop = pd.Series(np.arange(1, 101, dtype=float) * 100, index=[f"w{i}" for i in range(100)])
    f = denominator_flags(pop)
    assert f["small_population"].sum() == 5 and f["non_resident"].isna().all()
    wd = pop.copy()
    wd["w50"] = pop["w50"] * 10
    f2 = denominator_flags(pop, workday_population=wd)
    assert f2.loc["w50", "flag"] == "crime dominated by non-residents"
    assert f2.loc["w0", "flag"].startswith("resident population in the bottom 5 %")


# -- complete geography -----------------------------------------------------------------------


def test_reallocate_counts_by_hand() -> None:
    source = pd.DataFrame({"area_code": ["S1", "S2", "T9"], "value": [100.0, 40.0, 7.0]})
    # S1 has LSOAs a, b (ancillary 3:1); S2 has c (ancillary 0 -> fallback population)
    cs = pd.DataFrame({"child_code": ["a", "b", "c"], "parent_code": ["S1", "S1", "S2"]})
    ct = pd.DataFrame({"child_code": ["a", "b", "c"], "parent_code": ["T1", "T2", "T2"]})
    res = reallocate_counts(
        source,
        ["T1", "T2", "T9", "T3"],
        child_target=ct,
        child_source=cs,
        ancillary=pd.Series({"a": 3.0, "b": 1.0, "c": 0.0}),
        fallback=pd.Series({"c": 500.0}),
    )
    v = res.values.set_index("area_code")
    assert v.loc["T1", "value"] == pytest.approx(75.0)
    assert v.loc["T2", "value"] == pytest.approx(25.0 + 40.0)
    assert v.loc["T9", "how"] == "as published" and v.loc["T9", "value"] == 7.0
    assert v.loc["T3", "how"] == "no data" and np.isnan(v.loc["T3", "value"])
    assert res.params["fallback"] == ["S2"]
    whole = reallocate_counts(
        source,
        ["T1", "T2"],
        child_target=ct,
        child_counts=pd.Series({"a": 5.0, "b": 6.0, "c": 1.0}),
    )
    assert whole.values["value"].tolist() == [5.0, 7.0]
    assert set(whole.values["how"]) == {"sum of LSOA counts"}


def test_measures_say_where_they_exist() -> None:
    assert "lsoa" not in geographies_of("violence_with_injury")
    assert geographies_of("violence_against_the_person")[:3] == ["lsoa", "ward", "borough"]
    msg = availability_message("violence_with_injury", "lsoa")
    assert msg and "major categories" in msg and "ward, borough" in msg
    assert availability_message("violence_against_the_person", "lsoa") is None


# -- missing data: auto policy ----------------------------------------------------------------


def test_auto_imputes_heavy_domains_and_lists_partial_data() -> None:
    v = pd.DataFrame(
        {"crime": [1.0, np.nan, 3.0, np.nan, 2.0], "light": [1.0, 2.0, np.nan, 1.0, 0.5]},
        index=["w1", "w2", "w3", "w4", "w5"],
    )
    specs = [IndicatorSpec("crime", 3, domain="violence"), IndicatorSpec("light", 1, domain="pop")]
    dw = {"violence": 0.8, "pop": 0.2}
    parent_of = pd.Series({"w1": "B1", "w2": "B1", "w3": "B2", "w4": "B3", "w5": "B2"})
    parent_values = pd.DataFrame({"crime": [2.5, 1.0], "light": [1.0, 1.0]}, index=["B1", "B2"])
    r = need_index(
        v,
        specs,
        domain_weights=dw,
        missing="auto",
        parent_of=parent_of,
        parent_values=parent_values,
    )
    assert r.params["heavy_indicators"] == ["crime"]
    assert r.imputed[["area_code", "indicator_id", "value"]].values.tolist() == [
        ["w2", "crime", 2.5]
    ]
    # w4's borough has no value: not ranked, with the reason (never reweighted silently)
    assert (
        r.excluded["area_code"].tolist() == ["w4"]
        and "heavily weighted" in r.excluded["reason"].iloc[0]
    )
    part = r.partial.set_index("area_code")
    assert part.loc["w2", "imputed_from_parent"] == "crime"
    assert part.loc["w3", "missing_reweighted"] == "light"
    with pytest.raises(InputError, match="heavily weighted"):
        need_index(v, specs, domain_weights=dw, missing="auto")

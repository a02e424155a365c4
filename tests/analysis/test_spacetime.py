"""Space-time classes: Mann-Kendall, sfhotspot's scheme, Emerging Hot Spot Analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import lat2W
from scipy import stats

from vrkit.analysis import spacetime
from vrkit.errors import InputError

HOT, COLD, NONE = (3.0, 0.001), (-3.0, 0.001), (0.5, 0.6)


def _seq(*cells: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    z = np.array([[c[0] for c in cells]])
    p = np.array([[c[1] for c in cells]])
    return z, p


# ---- inputs -------------------------------------------------------------------------------


def test_too_few_time_steps_names_the_minimum() -> None:
    with pytest.raises(InputError, match="at least 3 time steps"):
        spacetime.mann_kendall([1.0, 2.0])
    with pytest.raises(InputError, match="at least 3 time steps"):
        spacetime.emerging_hotspots(*_seq(HOT, HOT))
    with pytest.raises(InputError, match="at least 2 time steps"):
        spacetime.classify_sfhotspot(*_seq(HOT))


def test_nan_is_refused() -> None:
    with pytest.raises(InputError, match="missing"):
        spacetime.mann_kendall([1.0, np.nan, 3.0])


def test_missing_place_period_is_not_zero() -> None:
    counts = pd.DataFrame(
        {"area_code": [0, 1, 2, 3, 4, 0], "period": [1, 1, 1, 1, 1, 2], "count": [1, 2, 3, 4, 5, 6]}
    )
    with pytest.raises(InputError, match="missing; first: 1 in 2"):
        spacetime.gi_star_by_period(counts, np.eye(5), ids=[0, 1, 2, 3, 4])


# ---- Mann-Kendall -------------------------------------------------------------------------


def test_mann_kendall_textbook_values() -> None:
    r = spacetime.mann_kendall([1, 2, 3, 4, 5])
    # S = 10, Var(S) = 5·4·15/18 = 16.667, Z = (10 − 1)/√16.667 = 2.2045, p = 0.0275
    assert r.s[0] == 10 and r.var_s[0] == pytest.approx(50 / 3)
    assert r.z[0] == pytest.approx(2.20454, abs=1e-5)
    assert r.p_value[0] == pytest.approx(0.027486, abs=1e-5)
    assert r.tau[0] == 1.0


def test_mann_kendall_with_ties_equals_scipy_kendalltau() -> None:
    rng = np.random.default_rng(5)
    for _ in range(20):
        x = rng.integers(0, 4, size=12).astype(float)  # many ties
        ours = spacetime.mann_kendall(x, continuity=False)
        ref = stats.kendalltau(np.arange(12), x, method="asymptotic")
        assert ours.tau[0] == pytest.approx(ref.statistic, abs=1e-12)
        assert ours.p_value[0] == pytest.approx(ref.pvalue, abs=1e-12)


def test_mann_kendall_vectorised_over_rows() -> None:
    x = np.array([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [1, 1, 1, 1, 1]], dtype=float)
    r = spacetime.mann_kendall(x)
    assert list(r.s) == [10, -10, 0] and r.p_value[2] == 1.0


# ---- Emerging Hot Spot Analysis -----------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ([NONE] * 9 + [HOT], "new hot spot"),
        ([NONE] * 7 + [HOT] * 3, "consecutive hot spot"),
        ([HOT] * 10, "persistent hot spot"),
        ([(1.0 + i, 0.001) for i in range(10)], "intensifying hot spot"),
        ([(12.0 - i, 0.001) for i in range(10)], "diminishing hot spot"),
        ([HOT, NONE, HOT, NONE, NONE, HOT, NONE, NONE, NONE, HOT], "sporadic hot spot"),
        ([COLD, NONE, NONE, NONE, HOT, NONE, NONE, NONE, NONE, HOT], "oscillating hot spot"),
        ([HOT] * 9 + [NONE], "historical hot spot"),
        ([NONE] * 9 + [COLD], "new cold spot"),
        ([COLD] * 10, "persistent cold spot"),
        ([(-1.0 - i, 0.001) for i in range(10)], "intensifying cold spot"),
        ([NONE] * 10, "no pattern detected"),
    ],
)
def test_ehsa_patterns_follow_esri_rules(cells, expected) -> None:
    res = spacetime.emerging_hotspots(*_seq(*cells))
    assert res.category[0] == expected


def test_ehsa_detail_and_short_series_warning() -> None:
    res = spacetime.emerging_hotspots(*_seq(HOT, HOT, HOT, HOT))
    assert res.category[0] == "persistent hot spot"
    assert "only 4 time steps" in res.warnings[0]
    f = res.to_frame()
    assert {"area_code", "ehsa_category", "trend_z", "trend_p", "trend_tau"} <= set(f.columns)


# ---- sfhotspot ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        ([HOT] * 10, "persistent hotspot"),
        ([NONE] * 8 + [HOT] * 2, "emerging hotspot"),
        ([HOT] * 3 + [NONE] * 7, "former hotspot"),
        ([NONE, HOT, NONE, NONE, NONE, NONE, NONE, NONE, HOT, NONE], "intermittent hotspot"),
        ([COLD] * 9 + [NONE], "persistent coldspot"),
        ([HOT] * 3 + [NONE] * 5 + [COLD] * 2, "mixed hot/coldspot"),
        ([NONE] * 10, "no pattern"),
    ],
)
def test_sfhotspot_classes_with_default_thresholds(cells, expected) -> None:
    res = spacetime.classify_sfhotspot(*_seq(*cells))
    assert res.category[0] == expected
    assert res.params["hotspot_prop"] == 0.1 and res.params["persistent_prop"] == 0.8
    assert res.params["recent_prop"] == 0.2 and res.params["critical_p"] == 0.05
    assert res.params["p_adjust"] == "holm"


def test_sfhotspot_holm_across_periods_can_remove_significance() -> None:
    z, p = _seq(*([(2.2, 0.03)] * 10))
    assert spacetime.classify_sfhotspot(z, p).category[0] == "no pattern"
    assert spacetime.classify_sfhotspot(z, p, p_adjust="none").category[0] == "persistent hotspot"


def test_gi_star_by_period_feeds_both_schemes() -> None:
    w = lat2W(6, 6, rook=False)
    rng = np.random.default_rng(0)
    rows = []
    for year in range(2011, 2021):
        y = rng.poisson(2, 36)
        y[[0, 1, 6, 7]] += 5 * (year - 2010)  # a growing cluster in the corner
        rows += [{"area_code": i, "year": year, "count": int(v)} for i, v in enumerate(y)]
    st = spacetime.gi_star_by_period(pd.DataFrame(rows), w, ids=np.arange(36), period="year")
    assert st.z.shape == (36, 10)
    e = spacetime.emerging_hotspots(st.z, st.p_adjusted, ids=st.ids)
    assert any(c.endswith("hot spot") for c in e.category[[0, 1, 6, 7]])
    c = spacetime.classify_sfhotspot(st.z, st.p_value, ids=st.ids)
    assert any(c.endswith("hotspot") for c in c.category[[0, 1, 6, 7]])

"""Trends: series completion, period totals, change, Poisson intervals, rates and ranks."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from vrkit.analysis import trends
from vrkit.errors import InputError


def _counts(months: list[str], values: list[float], area: str = "A") -> pd.DataFrame:
    return pd.DataFrame({"area_code": area, "month": pd.to_datetime(months), "count": values})


# ---- inputs -------------------------------------------------------------------------------


def test_monthly_series_requires_columns() -> None:
    with pytest.raises(InputError, match="lacks column"):
        trends.monthly_series(pd.DataFrame({"area_code": ["A"], "count": [1]}))


def test_poisson_ci_rejects_negative_and_unknown_method() -> None:
    with pytest.raises(InputError, match="≥ 0"):
        trends.poisson_ci(np.array([-1.0]))
    with pytest.raises(InputError, match="unknown CI method"):
        trends.poisson_ci(3.0, method="wald")


def test_period_label_rejects_unknown_period() -> None:
    with pytest.raises(InputError, match="unknown period"):
        trends.period_label(pd.Series(pd.to_datetime(["2020-01-01"])), "weekly")  # type: ignore[arg-type]


# ---- outputs ------------------------------------------------------------------------------


def test_missing_month_is_missing_not_zero() -> None:
    c = _counts(["2020-01-01", "2020-03-01"], [5, 7])
    s = trends.monthly_series(c)
    assert list(s["month"].dt.month) == [1, 2, 3]
    assert s["count"].isna().tolist() == [False, True, False]


def test_series_sums_duplicates_and_keeps_zero() -> None:
    c = pd.concat([_counts(["2020-01-01"], [2]), _counts(["2020-01-01", "2020-02-01"], [3, 0])])
    s = trends.monthly_series(c)
    assert s["count"].tolist() == [5.0, 0.0]


def test_calendar_and_financial_totals() -> None:
    months = pd.date_range("2019-01-01", "2020-12-01", freq="MS")
    c = _counts([str(m.date()) for m in months], list(range(1, 25)))
    s = trends.monthly_series(c)
    cal = trends.period_totals(s, "calendar").set_index("period")
    assert cal.loc["2019", "total"] == sum(range(1, 13))
    assert cal.loc["2020", "total"] == sum(range(13, 25))
    fin = trends.period_totals(s, "financial").set_index("period")
    # 2019/20 = Apr 2019 (4) … Mar 2020 (15)
    assert fin.loc["2019/20", "total"] == sum(range(4, 16))
    assert fin.loc["2019/20", "complete"]
    # 2018/19 has only Jan–Mar 2019: incomplete, so no total
    assert not fin.loc["2018/19", "complete"] and np.isnan(fin.loc["2018/19", "total"])


def test_period_with_missing_month_has_no_total() -> None:
    months = [str(m.date()) for m in pd.date_range("2019-01-01", "2019-12-01", freq="MS")]
    c = _counts(months[:5] + months[6:], [1.0] * 11)
    s = trends.monthly_series(c, start=date(2019, 1, 1), end=date(2019, 12, 1))
    cal = trends.period_totals(s)
    assert cal["months"].item() == 11 and np.isnan(cal["total"].item())


def test_rolling12() -> None:
    months = [str(m.date()) for m in pd.date_range("2019-01-01", "2020-02-01", freq="MS")]
    s = trends.monthly_series(_counts(months, [1.0] * 14))
    r = trends.period_totals(s, "rolling12")
    assert r["total"].isna().sum() == 11
    assert r["total"].dropna().tolist() == [12.0, 12.0, 12.0]


def test_change() -> None:
    assert trends.change(220134, 222064) == (-1930, pytest.approx(-0.8691, abs=1e-4))
    diff, pct = trends.change(5, 0)
    assert diff == 5 and np.isnan(pct)


@pytest.mark.parametrize(
    ("o", "lo", "hi"),
    [
        # exact (Garwood) 95 % limits, standard table values
        (0, 0.0, 3.6889),
        (1, 0.0253, 5.5716),
        (10, 4.7954, 18.3904),
        (100, 81.36, 121.63),  # tables give 2 decimals
    ],
)
def test_exact_poisson_ci_known_values(o: int, lo: float, hi: float) -> None:
    lower, upper = trends.poisson_ci(float(o), method="exact")
    tol = 5e-3 if o == 100 else 5e-4
    assert float(lower) == pytest.approx(lo, abs=tol)
    assert float(upper) == pytest.approx(hi, abs=tol)


def test_byar_matches_hand_computation_and_converges_to_exact() -> None:
    z = 1.959963984540054
    o = 10.0
    lo = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    blo, bhi = trends.poisson_ci(o)
    assert float(blo) == pytest.approx(lo, rel=1e-12) and float(bhi) == pytest.approx(hi, rel=1e-12)
    big = np.array([500.0, 5000.0])
    b = trends.poisson_ci(big)
    e = trends.poisson_ci(big, method="exact")
    np.testing.assert_allclose(b[0], e[0], rtol=1e-3)
    np.testing.assert_allclose(b[1], e[1], rtol=1e-3)


def test_rates_per_1000_and_missing_population() -> None:
    f = pd.DataFrame(
        {"area_code": ["A", "B", "C"], "count": [50, 10, 5], "population": [10000, 0, np.nan]}
    )
    r = trends.rates_per_1000(f)
    assert r.loc[0, "rate"] == pytest.approx(5.0)
    lo, hi = trends.poisson_ci(50.0)
    assert r.loc[0, "rate_lower"] == pytest.approx(float(lo) / 10)
    assert r.loc[0, "rate_upper"] == pytest.approx(float(hi) / 10)
    assert r.loc[1:, ["rate", "rate_lower", "rate_upper"]].isna().all().all()
    assert "rate" not in f.columns  # input not mutated


def test_add_rank_highest_first_ties_and_nan() -> None:
    f = pd.DataFrame({"v": [3.0, 5.0, 5.0, np.nan]})
    r = trends.add_rank(f, "v")
    assert r["rank"].tolist()[:3] == [3, 1, 1] and pd.isna(r["rank"].iloc[3])

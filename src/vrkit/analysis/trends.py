"""Trends: monthly series, period totals, year-on-year change, rates with exact Poisson CIs, ranks.

All functions are pure: frames in, new frames out; inputs are never mutated. Missing is not zero:
a month absent from the data stays missing (NaN) and makes any period total containing it missing,
unless the caller asks otherwise.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from vrkit.analysis._validate import require_columns
from vrkit.errors import InputError

Period = Literal["calendar", "financial", "rolling12"]


def monthly_series(
    counts: pd.DataFrame, *, start: date | None = None, end: date | None = None
) -> pd.DataFrame:
    """Complete monthly series per area from long counts.

    Parameters
    ----------
    counts : DataFrame
        Columns ``area_code``, ``month`` (first of month), ``count``; several rows per
        area-month are summed.
    start, end : date, optional
        Range of months to cover; default the range present in ``counts``.

    Returns
    -------
    DataFrame
        ``area_code, month, count`` with one row per area and month of the range. Months with
        no row in ``counts`` have ``count`` NaN (missing, not zero).
    """
    require_columns(counts, ["area_code", "month", "count"], "counts")
    if counts.empty:
        return pd.DataFrame(columns=["area_code", "month", "count"])
    c = counts.assign(month=pd.to_datetime(counts["month"]))
    agg = c.groupby(["area_code", "month"], as_index=False)["count"].sum()
    first = pd.Timestamp(start) if start else agg["month"].min()
    last = pd.Timestamp(end) if end else agg["month"].max()
    months = pd.date_range(first, last, freq="MS")
    full = pd.MultiIndex.from_product(
        [sorted(agg["area_code"].unique()), months], names=["area_code", "month"]
    )
    out = agg.set_index(["area_code", "month"]).reindex(full).reset_index()
    out["count"] = out["count"].astype("float64")
    return out


def period_label(month: pd.Series, period: Period) -> pd.Series:
    """The period each month falls in: ``2019`` (calendar) or ``2019/20`` (financial, Apr–Mar)."""
    m = pd.to_datetime(month)
    if period == "calendar":
        return m.dt.year.astype(str)
    if period == "financial":
        start = m.dt.year - (m.dt.month < 4).astype(int)
        return start.astype(str) + "/" + ((start + 1) % 100).astype(str).str.zfill(2)
    raise InputError(f"unknown period {period!r}", hint="Use calendar or financial.")


def period_totals(series: pd.DataFrame, period: Period = "calendar") -> pd.DataFrame:
    """Totals per area and period from a complete monthly series.

    Calendar years run January–December; financial years April–March (ONS convention for
    police recorded crime); ``rolling12`` gives, for each month, the sum of the 12 months ending
    with it. A period with any missing month, or fewer than 12 months, has total NaN and
    ``complete`` False.

    Returns
    -------
    DataFrame
        ``area_code, period, total, months, complete`` (``rolling12``: ``period`` is the
        end month).
    """
    require_columns(series, ["area_code", "month", "count"], "series")
    s = series.assign(month=pd.to_datetime(series["month"])).sort_values(["area_code", "month"])
    if period == "rolling12":
        g = s.groupby("area_code")["count"]
        total = g.transform(lambda x: x.rolling(12, min_periods=12).sum())
        months = g.transform(lambda x: x.notna().rolling(12, min_periods=1).sum())
        out = pd.DataFrame(
            {
                "area_code": s["area_code"],
                "period": s["month"],
                "total": total,
                "months": months.astype(int),
            }
        )
        out["complete"] = out["total"].notna()
        return out.reset_index(drop=True)
    s = s.assign(period=period_label(s["month"], period))
    grouped = s.groupby(["area_code", "period"])["count"]
    out = grouped.agg(total=lambda x: x.sum(min_count=1), months=lambda x: int(x.notna().sum()))
    out = out.reset_index()
    out["complete"] = out["months"] == 12
    out.loc[~out["complete"], "total"] = np.nan
    return out


def change(current: float, previous: float) -> tuple[float, float]:
    """(absolute change, % change) from ``previous`` to ``current``; % is NaN if previous is 0."""
    diff = current - previous
    pct = np.nan if previous == 0 or np.isnan(previous) else 100.0 * diff / previous
    return diff, pct


def poisson_ci(
    observed: np.ndarray | pd.Series | float, *, level: float = 0.95, method: str = "byar"
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence interval for a Poisson count.

    ``method="exact"`` is the exact (Garwood 1936) interval from the chi-square distribution:
    lower = χ²(α/2; 2O)/2, upper = χ²(1-α/2; 2O+2)/2. ``method="byar"`` is Byar's approximation
    to it (Breslow & Day 1987, vol. II p. 69), used by OHID/PHE Fingertips for rates (PHE,
    *Technical Guide: Confidence Intervals*, 2018): lower = O(1 − 1/(9O) − z/(3√O))³,
    upper = (O+1)(1 − 1/(9(O+1)) + z/(3√(O+1)))³. For O = 0 the lower limit is 0.

    Returns
    -------
    (lower, upper) : arrays of counts.
    """
    o = np.asarray(observed, dtype=float)
    if np.any(o[~np.isnan(o)] < 0):
        raise InputError("observed counts must be ≥ 0")
    alpha = 1.0 - level
    if method == "exact":
        with np.errstate(invalid="ignore"):
            lower = np.where(o > 0, stats.chi2.ppf(alpha / 2, 2 * o) / 2, 0.0)
            upper = stats.chi2.ppf(1 - alpha / 2, 2 * o + 2) / 2
    elif method == "byar":
        z = stats.norm.ppf(1 - alpha / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            lower = np.where(o > 0, o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3, 0.0)
        o1 = o + 1
        upper = o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3
    else:
        raise InputError(f"unknown CI method {method!r}", hint="Use 'byar' or 'exact'.")
    lower = np.where(np.isnan(o), np.nan, lower)
    upper = np.where(np.isnan(o), np.nan, upper)
    return lower, upper


def rates_per_1000(
    frame: pd.DataFrame,
    *,
    count: str = "count",
    population: str = "population",
    level: float = 0.95,
    method: str = "byar",
) -> pd.DataFrame:
    """Add ``rate``, ``rate_lower``, ``rate_upper`` (per 1,000 residents) to a copy of ``frame``.

    Crude rate = count / population × 1,000 with a Poisson interval on the count
    (:func:`poisson_ci`), as in PHE's Technical Guide. Rows with missing or non-positive
    population get NaN rates (never a silent zero).
    """
    return rates_per(
        frame, per=1000.0, count=count, population=population, level=level, method=method
    )


def rates_per(
    frame: pd.DataFrame,
    *,
    per: float,
    count: str = "count",
    population: str = "population",
    level: float = 0.95,
    method: str = "byar",
) -> pd.DataFrame:
    """Add ``rate``, ``rate_lower``, ``rate_upper`` (per ``per`` population, e.g. 100,000) to a
    copy of ``frame``: crude rate with a Poisson interval on the count (:func:`poisson_ci`).

    Rows with missing or non-positive population, or a missing count, get NaN rates (never a
    silent zero).
    """
    require_columns(frame, [count, population], "frame")
    if not per > 0:
        raise InputError(f"per must be positive (got {per!r})")
    out = frame.copy()
    pop = out[population].astype(float)
    valid = pop > 0
    lo, hi = poisson_ci(out[count].astype(float).to_numpy(), level=level, method=method)
    scale = np.where(valid, per / pop.where(valid), np.nan)
    out["rate"] = out[count].astype(float) * scale
    out["rate_lower"] = lo * scale
    out["rate_upper"] = hi * scale
    return out


def add_rank(
    frame: pd.DataFrame, column: str, *, name: str = "rank", ascending: bool = False
) -> pd.DataFrame:
    """Add a 1-based rank (highest first by default; ties share the lowest rank; NaN unranked)."""
    out = frame.copy()
    out[name] = out[column].rank(method="min", ascending=ascending).astype("Int64")
    return out

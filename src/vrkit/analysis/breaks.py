"""Series breaks (``catalog/breaks.toml``, read by :mod:`vrkit.catalog.breaks`): where a
measure's series stops being comparable.

A break at month ``B`` means months from ``B`` on are recorded on a new basis (a recording
system or category change). Two periods are **comparable** only if no break falls inside the
span from the start of the earlier period to the end of the later one, i.e. no break ``B`` with
``start(previous) < B ≤ end(current)``. A period that itself contains months on both sides
(a financial year or a rolling 12 months over the break) **mixes** both bases.

Trend tables mark every break, give no change or % change across one unless asked
(:func:`mark_breaks`), and forecasts fit on the months after the latest break only
(:func:`fit_start`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from vrkit.catalog.breaks import SeriesBreak, all_breaks, series_breaks
from vrkit.errors import InputError

__all__ = [
    "SeriesBreak",
    "all_breaks",
    "breaks_between",
    "fit_start",
    "mark_breaks",
    "period_bounds",
    "series_breaks",
]


def period_bounds(period: object, kind: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month of a period label: ``"2019"`` (calendar), ``"2019/20"``
    (financial, April–March) or a month (rolling 12 months ending then)."""
    if kind == "calendar":
        y = int(str(period))
        return pd.Timestamp(y, 1, 1), pd.Timestamp(y, 12, 1)
    if kind == "financial":
        y = int(str(period).split("/")[0])
        return pd.Timestamp(y, 4, 1), pd.Timestamp(y + 1, 3, 1)
    if kind == "rolling12":
        end = pd.Timestamp(period).to_period("M").to_timestamp()
        return end - pd.DateOffset(months=11), end
    raise InputError(f"unknown period kind {kind!r}", hint="Use calendar, financial or rolling12.")


def breaks_between(
    breaks: Sequence[SeriesBreak], first: pd.Timestamp, last: pd.Timestamp
) -> list[SeriesBreak]:
    """Breaks ``B`` with ``first < B ≤ last`` (the span ``first``..``last`` crosses them)."""
    return [b for b in breaks if first < pd.Timestamp(b.start) <= last]


def mark_breaks(
    totals: pd.DataFrame,
    breaks: Sequence[SeriesBreak],
    *,
    period: str = "calendar",
    across_breaks: bool = False,
) -> pd.DataFrame:
    """Mark series breaks in a table of period totals (one area, periods in order).

    Parameters
    ----------
    totals : DataFrame
        ``period`` and, optionally, ``change`` and ``pct_change`` against the previous row.
    breaks : sequence of SeriesBreak
    period : {"calendar", "financial", "rolling12"}
    across_breaks : bool, default False
        Keep ``change`` / ``pct_change`` across a break (they are then flagged, not blanked).

    Returns
    -------
    DataFrame
        A copy with ``comparable`` (False when a break lies between this period and the
        previous one), ``break_label`` (the break(s) crossed, else ""), ``mixes_bases`` (the
        period holds months on both sides of a break); ``change``/``pct_change`` are NaN where
        not comparable unless ``across_breaks``.
    """
    if "period" not in totals.columns:
        raise InputError("totals lacks column 'period'")
    out = totals.copy()
    bounds = [period_bounds(p, period) for p in out["period"]]
    comparable = []
    labels = []
    mixes = []
    for i, (first, last) in enumerate(bounds):
        inside = breaks_between(breaks, first, last)
        mixes.append(bool(inside))
        if i == 0:
            comparable.append(True)
            labels.append("")
            continue
        crossed = breaks_between(breaks, bounds[i - 1][0], last)
        comparable.append(not crossed)
        labels.append("; ".join(b.label for b in crossed))
    out["comparable"] = comparable
    out["break_label"] = labels
    out["mixes_bases"] = mixes
    if not across_breaks:
        for col in ("change", "pct_change"):
            if col in out.columns:
                out[col] = out[col].where(out["comparable"], np.nan)
    return out


def fit_start(breaks: Sequence[SeriesBreak], origin: date | pd.Timestamp) -> pd.Timestamp | None:
    """First month a model fitted up to ``origin`` may use: the latest break at or before
    ``origin`` (None if there is none)."""
    o = pd.Timestamp(origin)
    starts = [pd.Timestamp(b.start) for b in breaks if pd.Timestamp(b.start) <= o]
    return max(starts) if starts else None

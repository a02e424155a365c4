"""Trends of a measure for London or a borough: monthly series and period totals."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vrkit.analysis import trends
from vrkit.analysis.breaks import mark_breaks
from vrkit.catalog.areas import Area, resolve_area
from vrkit.catalog.breaks import SeriesBreak, series_breaks
from vrkit.catalog.measures import get_measure
from vrkit.errors import InputError
from vrkit.store import queries
from vrkit.store.warehouse import Warehouse
from vrkit.tasks._result import TaskResult


def area_monthly(
    wh: Warehouse,
    measure_id: str,
    *,
    area: str = "London",
    source_kind: str = "mps_borough_monthly",
) -> pd.DataFrame:
    """Complete monthly series (``area_code, month, count``) for London or one borough.

    London is the sum of every row of the current releases, pseudo-areas included, so it
    equals the source files' totals. Months with no data are NaN (missing, not zero).

    Raises
    ------
    InputError
        Unknown area or measure, or no data loaded for them.
    """
    a = resolve_area(area)
    get_measure(measure_id)
    counts = queries.measure_counts(wh, measure_id, source_kind=source_kind)
    if not a.is_london:
        counts = counts[counts["area_code"] == a.code]
    if counts.empty:
        raise InputError(
            f"no {source_kind} data for {a.name!r} and measure {measure_id!r}",
            hint="Run `vrkit ingest --all` (or ingest the MPS borough files) first.",
        )
    per_area = trends.monthly_series(counts[["area_code", "month", "count"]])
    total = (
        per_area.groupby("month", as_index=False)["count"].sum(min_count=1).assign(area_code=a.code)
    )
    return total[["area_code", "month", "count"]]


@dataclass
class TrendResult(TaskResult):
    """Period totals of a measure with change on the previous period (``vrkit trend``).

    Attributes
    ----------
    measure : measure id.
    area : the area (:class:`~vrkit.catalog.areas.Area`).
    period : ``calendar`` or ``financial``.
    table : ``period, months, total, change, pct_change, comparable, break_label,
        mixes_bases`` (a period with a missing month has no total: missing, not zero; no change
        is given across a series break unless ``across_breaks``).
    breaks : the catalogued series breaks of the measure in the MPS borough data.
    """

    measure: str
    area: Area
    period: str
    table: pd.DataFrame
    breaks: list[SeriesBreak] = field(default_factory=list)
    across_breaks: bool = False

    FORMATS = ("json", "csv", "xlsx")

    def to_frame(self) -> pd.DataFrame:
        """The period table."""
        return self.table


def trend(
    wh: Warehouse,
    measure_id: str,
    *,
    area: str = "London",
    period: trends.Period = "calendar",
    across_breaks: bool = False,
) -> TrendResult:
    """Period totals with change and % change on the previous period (``vrkit trend``).

    Catalogued series breaks (``catalog/breaks.toml``) are marked: ``comparable`` is False and
    ``break_label`` names the break where one lies between a period and the previous one, whose
    change and % change are then left blank unless ``across_breaks``; ``mixes_bases`` marks a
    period holding months on both sides of a break.

    Parameters
    ----------
    wh : Warehouse
    measure_id : str
        Headline measure (``vrkit measures``).
    area : str
        London or a borough (:func:`vrkit.catalog.areas.resolve_area`).
    period : {"calendar", "financial", "rolling12"}
        Calendar years, financial years (April–March) or, for each month, the 12 months
        ending with it.
    across_breaks : bool
        Give the change across a series break too (flagged, not blank).

    Returns
    -------
    TrendResult
    """
    if period not in ("calendar", "financial", "rolling12"):
        raise InputError(f"unknown period {period!r}", hint="Use calendar, financial or rolling12.")
    series = area_monthly(wh, measure_id, area=area)
    totals = trends.period_totals(series, period)
    prev = totals["total"].shift(1)
    totals["change"] = totals["total"] - prev
    totals["pct_change"] = np.where(prev > 0, 100.0 * totals["change"] / prev, np.nan)
    breaks = series_breaks(measure_id, "mps_borough_monthly")
    marked = mark_breaks(totals, breaks, period=period, across_breaks=across_breaks)
    return TrendResult(measure_id, resolve_area(area), period, marked, breaks, across_breaks)

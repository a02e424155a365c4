"""Task-level functions that combine a warehouse query with pure analysis.

These are what the CLI (and later the web layer) call; each is usable from a notebook.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vrkit.analysis import trends
from vrkit.catalog.areas import borough_names, resolve_borough
from vrkit.errors import InputError
from vrkit.store import queries
from vrkit.store.warehouse import Warehouse


def resolve_area(area: str) -> tuple[str, str]:
    """``"London"`` or a borough name/code → (area_code, name); InputError if unknown."""
    if area.strip().lower() == "london":
        return "E12000007", "London"
    hit = resolve_borough(area)
    if hit is None or hit[2] != "lad":
        names = ", ".join(n for c, n in borough_names().items() if not c.startswith("MPS-"))
        raise InputError(f"unknown area {area!r}", hint=f"Use London or one of: {names}.")
    return hit[0], hit[1]


#: borough monthly sources, in the order a measure is looked for (the first whose taxonomy
#: defines the measure serves it: knife crime and youth violence exist only in the MPS flags file)
BOROUGH_SOURCES = ("mps_borough_monthly", "mps_knife_borough_monthly")


def borough_source_for(measure_id: str) -> str:
    """The borough monthly source kind that serves a measure (see :data:`BOROUGH_SOURCES`)."""
    from vrkit.analysis.measures import get_measure, taxonomy_of

    m = get_measure(measure_id)
    for kind in BOROUGH_SOURCES:
        if m.supports(taxonomy_of(kind)):
            return kind
    raise InputError(
        f"measure {measure_id!r} has no borough monthly source",
        hint=f"It is defined for: {', '.join(m.rules)}.",
    )


def area_monthly(
    wh: Warehouse,
    measure_id: str,
    *,
    area: str = "London",
    source_kind: str | None = None,
) -> pd.DataFrame:
    """Complete monthly series (``area_code, month, count``) for London or one borough.

    London is the sum of every row of the current releases, pseudo-areas included, so it
    equals the source files' totals. Months with no data are NaN (missing, not zero).
    ``source_kind`` defaults to the first borough source defining the measure
    (:func:`borough_source_for`): the MPS borough files, else the MPS flags file.
    """
    code, _ = resolve_area(area)
    source_kind = source_kind or borough_source_for(measure_id)
    counts = queries.measure_counts(wh, measure_id, source_kind=source_kind)
    if code != "E12000007":
        counts = counts[counts["area_code"] == code]
    if counts.empty:
        raise InputError(
            f"no {source_kind} data for {area!r} and measure {measure_id!r}",
            hint="Run `vrkit ingest --all` (or ingest the MPS borough files) first.",
        )
    per_area = trends.monthly_series(counts[["area_code", "month", "count"]])
    total = (
        per_area.groupby("month", as_index=False)["count"].sum(min_count=1).assign(area_code=code)
    )
    return total[["area_code", "month", "count"]]


def area_period_totals(
    wh: Warehouse,
    measure_id: str,
    *,
    area: str = "London",
    period: trends.Period = "calendar",
    across_breaks: bool = False,
) -> pd.DataFrame:
    """Period totals with change and % change on the previous period (``trend`` command).

    Catalogued series breaks (``catalog/breaks.toml``) are marked: ``comparable`` is False and
    ``break_label`` names the break where one lies between a period and the previous one, whose
    change and % change are then left blank unless ``across_breaks``; ``mixes_bases`` marks a
    period holding months on both sides of a break.
    """
    from vrkit.analysis.breaks import mark_breaks, series_breaks

    kind = borough_source_for(measure_id)
    series = area_monthly(wh, measure_id, area=area, source_kind=kind)
    totals = trends.period_totals(series, period)
    prev = totals["total"].shift(1)
    totals["change"] = totals["total"] - prev
    totals["pct_change"] = np.where(prev > 0, 100.0 * totals["change"] / prev, np.nan)
    return mark_breaks(
        totals,
        series_breaks(measure_id, kind),
        period=period,
        across_breaks=across_breaks,
    )


#: geography → monthly MPS source used by early warning (``vrkit alerts`` and the reports)
MONTHLY_SOURCES = {"borough": "mps_borough_monthly", "ward": "mps_ward_monthly"}


def monthly_by_geography(
    wh: Warehouse, measure_id: str, geography: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly counts of every area of a geography, as early warning reads them.

    Parameters
    ----------
    wh : Warehouse
    measure_id : str
        Catalogue measure (``violence_with_injury``...).
    geography : {"borough", "ward"}
        ``borough``: MPS borough monthly files; ``ward``: MPS ward monthly files.

    Returns
    -------
    counts : DataFrame
        ``area_code, month, count`` without pseudo-areas (airports, "Unknown").
    names : DataFrame
        ``area_code, area_name`` of the areas the warehouse knows, boroughs included.

    Raises
    ------
    InputError
        ``lsoa`` (no monthly LSOA source), an unknown geography, or no data for the measure.
    """
    if geography == "lsoa":
        raise InputError(
            "no monthly LSOA source: the LSOA figures available are annual "
            "(mps_lsoa_annual_derived, 2011–2021), which cannot be tested month by month",
            hint="Use --geography borough or ward, or load monthly LSOA data first.",
        )
    if geography not in MONTHLY_SOURCES:
        raise InputError(f"unknown geography {geography!r}", hint="Use borough, ward or lsoa.")
    counts = queries.measure_counts(wh, measure_id, source_kind=MONTHLY_SOURCES[geography])
    if counts.empty:
        raise InputError(
            f"no {MONTHLY_SOURCES[geography]} data for measure {measure_id!r}",
            hint="Run `vrkit ingest --all` first.",
        )
    counts = counts[counts["area_type"] != "pseudo"]
    names = queries.area_names(wh)[["area_code", "area_name"]]
    boroughs = pd.DataFrame(list(borough_names().items()), columns=["area_code", "area_name"])
    names = pd.concat([names, boroughs]).drop_duplicates("area_code").dropna()
    return counts[["area_code", "month", "count"]], names

"""The portal's one door to the task layer.

Every page and API route that needs analytics calls a function here, and every function here
calls the task the ``vrkit`` command line calls (:mod:`vrkit.tasks`): nothing is re-implemented
for the web. This module only adapts task results to what the pages need.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit.catalog.measures import get_measure
from vrkit.catalog.measures import measures as all_measures
from vrkit.disclosure.series import protect_series
from vrkit.errors import InputError, VrkitError
from vrkit.store.queries import data_version
from vrkit.store.warehouse import IngestResult, Warehouse
from vrkit.tasks import anticipate, data, health, places, ranking, reports, trends
from vrkit.tasks.health import IstvCheck, istv_header

__all__ = [
    "REPORT_FORMATS",
    "IstvCheck",
    "Trend",
    "alerts",
    "data_version",
    "datasets",
    "hotspots",
    "istv_completeness",
    "istv_header",
    "istv_ingest",
    "measures",
    "needs_assessment_report",
    "profiles",
    "protect_series",
    "quality",
    "rank",
    "trend",
    "violent_crime_report",
    "warehouse_empty",
]

#: the report formats the portal offers for download
REPORT_FORMATS = ("html", "xlsx", "json")


def warehouse_empty(path: Path) -> bool:
    """True when there is no warehouse at ``path`` or nothing is loaded in it."""
    if not path.exists():
        return True
    with Warehouse(path, read_only=True) as wh:
        return data_version(wh) == "0-0"


# -- reports -----------------------------------------------------------------------------------
def violent_crime_report(
    wh: Warehouse, out: Path, *, area: str, year: int, public: bool
) -> dict[str, Path]:
    """``vrkit report violent-crime --year Y --area A [--public] --format html,xlsx,json``
    (into the portal's cache folder ``out``, replacing what is there)."""
    res = reports.violent_crime_report(wh, year=year, area=area, public=public, sdc_rule="lt10")
    paths = res.write(out, REPORT_FORMATS, force=True)
    return {p.suffix.lstrip("."): p for p in paths}


def needs_assessment_report(
    wh: Warehouse, out: Path, *, area: str, years: str, public: bool
) -> dict[str, Path]:
    """``vrkit report needs-assessment --area A --years Y1-Y2 [--public]`` (HTML, XLSX, GPKG)."""
    res = reports.needs_assessment(wh, area=area, years=years, public=public, sdc_rule="lt10")
    paths = res.write(out, ("html", "xlsx", "gpkg"), force=True)
    return {p.suffix.lstrip("."): p for p in paths}


# -- trend explorer ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Trend:
    measure: str
    label: str
    area: str
    period: str
    totals: pd.DataFrame  # period, months, total, change, pct_change (+ series breaks)
    monthly: pd.DataFrame  # month, count
    public: bool
    rule: str | None


def measures() -> list[tuple[str, str]]:
    """(id, label) of the headline measures."""
    return [(m.id, m.label) for m in all_measures().values()]


def trend(wh: Warehouse, *, measure: str, area: str, period: str, public: bool) -> Trend:
    """``vrkit trend --measure M --area A --period P`` plus the monthly series behind it; the
    public edition applies the portal's small-count rule to the monthly counts
    (:func:`vrkit.disclosure.series.protect_series`)."""
    if period not in ("calendar", "financial"):
        raise InputError(f"unknown period {period!r}", hint="Use calendar or financial.")
    try:
        m = get_measure(measure)
    except (KeyError, VrkitError) as exc:
        raise InputError(f"unknown measure {measure!r}", hint="See the list of measures.") from exc
    totals = trends.trend(wh, measure, area=area, period=period).table  # type: ignore[arg-type]
    monthly = trends.area_monthly(wh, measure, area=area)[["month", "count"]]
    rule = None
    if public:
        monthly, totals, rule = protect_series(monthly, totals)
    return Trend(measure, m.label, area, period, totals, monthly, public, rule)


# -- the data tool ---------------------------------------------------------------------------
def rank(
    wh: Warehouse, *, profile: str, geography: str, weights: dict[str, float], public: bool
) -> ranking.RankResult:
    """``vrkit rank --profile P --geography G [--weights id=w,...] [--public]`` with the
    command's defaults (top 20, 1,000 draws, seed 0, spatial smoothing; the public edition
    smooths globally, as the command does)."""
    return ranking.rank(wh, profile, geography=geography, weights=weights or None, public=public)


def profiles() -> list[tuple[str, str]]:
    """(id, name) of the built-in intervention profiles (``vrkit rank profiles``)."""
    frame = ranking.profiles().frame
    return [(str(r.profile), str(r.name)) for r in frame.itertuples()]


# -- hot spots ---------------------------------------------------------------------------------
def hotspots(wh: Warehouse, *, measure: str, year: int | None, area: str) -> places.HotspotsResult:
    """``vrkit hotspots --measure M --geography lsoa --area A [--year Y] --statistic gi`` with
    the project's one default inference (analytic Gi*, FDR at 5 %)."""
    return places.hotspots(
        wh, measure=measure, geography="lsoa", year=year, area=area, statistic="gi"
    )


# -- alerts ------------------------------------------------------------------------------------
def alerts(wh: Warehouse, *, measure: str, month: str, geography: str = "borough") -> Any:
    """``vrkit alerts --measure M --month YYYY-MM --geography G --all --format json``:
    (the AlertResult, its records with ``area_name``)."""
    res = anticipate.alerts(wh, measure=measure, month=month, geography=geography)
    return res.result, res.to_dict()


# -- datasets and quality ----------------------------------------------------------------------
def datasets(wh: Warehouse) -> pd.DataFrame:
    """``vrkit datasets``."""
    return data.datasets(wh).frame


def quality(wh: Warehouse) -> list[dict[str, Any]]:
    """``vrkit quality --format json`` (datasets part)."""
    return data.quality(wh).to_dict()["datasets"]


def istv_completeness(wh: Warehouse, departments: frozenset[str] | None) -> list[dict[str, Any]]:
    """``vrkit quality --source istv``, for the given departments (None: all)."""
    records = health.istv_quality(wh).to_dict()
    if departments is not None:
        records = [
            r for r in records if str(r.get("site_code", r.get("department"))) in departments
        ]
    return records


# -- ISTV uploads ------------------------------------------------------------------------------
def istv_ingest(wh: Warehouse, path: Path) -> IngestResult | VrkitError:
    """``vrkit health ingest-istv PATH``: validate and load one submission (a revision replaces
    the same department-month). Returns the IngestResult or the VrkitError."""
    return health.ingest_istv(wh, [path]).files[0].result

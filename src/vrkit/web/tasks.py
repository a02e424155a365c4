"""The portal's one door to the task layer.

Every page and API route that needs analytics calls a function here, and every function here
calls the same code the ``vrkit`` command line calls (today :mod:`vrkit.api`, :mod:`vrkit.reports`
and :mod:`vrkit.analysis`; once the task layer of issue #11 lands, ``vrkit.tasks``): nothing is
re-implemented for the web. When the task layer moves, this file is the one to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit.errors import InputError, VrkitError
from vrkit.store.warehouse import Warehouse

#: the report formats the portal offers for download
REPORT_FORMATS = ("html", "xlsx", "json")


def data_version(wh: Warehouse) -> str:
    """Changes whenever a file is loaded (cache key of rendered outputs)."""
    row = wh.con.execute("SELECT coalesce(max(dataset_id), 0), count(*) FROM dataset").fetchone()
    return f"{row[0]}-{row[1]}" if row else "0-0"


def warehouse_empty(path: Path) -> bool:
    if not path.exists():
        return True
    with Warehouse(path, read_only=True) as wh:
        return data_version(wh) == "0-0"


# -- reports -----------------------------------------------------------------------------------
def violent_crime_report(
    wh: Warehouse, out: Path, *, area: str, year: int, public: bool
) -> dict[str, Path]:
    """``vrkit report violent-crime --year Y --area A [--public] --format html,xlsx,json``."""
    from vrkit.reports.violent_crime import build_violent_crime_report, write_report

    rep = build_violent_crime_report(wh, year=year, area=area, public=public, sdc_rule="lt10")
    paths = write_report(rep, out, list(REPORT_FORMATS))
    return {p.suffix.lstrip("."): p for p in paths}


def needs_assessment_report(
    wh: Warehouse, out: Path, *, area: str, years: str, public: bool
) -> dict[str, Path]:
    """``vrkit report needs-assessment --area A --years Y1-Y2 [--public]`` (HTML, XLSX, GPKG)."""
    from vrkit.reports.needs_assessment import build_needs_assessment, write_needs_assessment

    rep = build_needs_assessment(wh, area=area, years=years, public=public, sdc_rule="lt10")
    paths = write_needs_assessment(rep, out, formats=("html", "xlsx", "gpkg"))
    return {p.suffix.lstrip("."): p for p in paths}


# -- trend explorer ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Trend:
    measure: str
    label: str
    area: str
    period: str
    totals: pd.DataFrame  # period, months, total, change, pct_change
    monthly: pd.DataFrame  # month, count
    public: bool
    rule: str | None


def measures() -> list[tuple[str, str]]:
    from vrkit.analysis.measures import measures as all_measures

    return [(m.id, m.label) for m in all_measures().values()]


def trend(wh: Warehouse, *, measure: str, area: str, period: str, public: bool) -> Trend:
    """``vrkit trend --measure M --area A --period P`` plus the monthly series behind it; the
    public edition applies the portal's small-count rule to the monthly counts (see
    :func:`protect_series`)."""
    from vrkit.analysis.measures import get_measure
    from vrkit.api import area_monthly, area_period_totals

    if period not in ("calendar", "financial"):
        raise InputError(f"unknown period {period!r}", hint="Use calendar or financial.")
    try:
        m = get_measure(measure)
    except (KeyError, VrkitError) as exc:
        raise InputError(f"unknown measure {measure!r}", hint="See the list of measures.") from exc
    totals = area_period_totals(wh, measure, area=area, period=period)  # type: ignore[arg-type]
    monthly = area_monthly(wh, measure, area=area)[["month", "count"]]
    rule = None
    if public:
        monthly, totals, rule = protect_series(monthly, totals)
    return Trend(measure, m.label, area, period, totals, monthly, public, rule)


def protect_series(
    monthly: pd.DataFrame, totals: pd.DataFrame, rule: str = "lt10"
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Public edition of a monthly series and its period totals: months × year as a linked
    table through :func:`vrkit.sdc.protect` (primary and secondary suppression with year totals;
    ``lt10``); suppressed counts become missing and the change of a suppressed total is blanked."""
    from vrkit.sdc import RULE_TEXT, protect

    m = monthly.copy()
    m["month"] = pd.to_datetime(m["month"])
    known = m.dropna(subset=["count"])
    if known.empty:
        return monthly, totals, RULE_TEXT[rule]
    grid = known.assign(y=known["month"].dt.year, mo=known["month"].dt.month).pivot_table(
        index="y", columns="mo", values="count", aggfunc="sum"
    )
    complete = grid.dropna()
    suppressed: set[tuple[int, int]] = set()
    year_suppressed: set[int] = set()
    if not complete.empty:
        res = protect(complete.astype(int), rule=rule)  # type: ignore[arg-type]
        pub = res.published
        for y in complete.index:
            for mo in complete.columns:
                if str(pub.loc[y, mo]) == "*":
                    suppressed.add((int(y), int(mo)))
            if str(pub.loc[y, "Total"]) == "*":
                year_suppressed.add(int(y))
    # months of incomplete years: primary suppression only (no published totals for them)
    for (y, mo), v in known.set_index([known["month"].dt.year, known["month"].dt.month])[
        "count"
    ].items():
        if int(y) not in complete.index and 0 < v < 10:
            suppressed.add((int(y), int(mo)))
    keys = list(zip(m["month"].dt.year, m["month"].dt.month, strict=True))
    m.loc[[k in suppressed for k in keys], "count"] = float("nan")
    m["suppressed"] = [k in suppressed for k in keys]
    t = totals.copy()
    t["suppressed"] = False
    if "period" in t.columns:
        for i, p in enumerate(t["period"].astype(str)):
            y = int(p[:4])
            months = [k for k in suppressed if k[0] == y] if p.isdigit() else []
            if y in year_suppressed or months:
                t.loc[t.index[i], ["total", "change", "pct_change"]] = float("nan")
                t.loc[t.index[i], "suppressed"] = True
        # a change next to a suppressed total could reveal it
        prev_sup = t["suppressed"].shift(1, fill_value=False)
        t.loc[prev_sup.astype(bool), ["change", "pct_change"]] = float("nan")
    m["month"] = m["month"].dt.date
    return m, t, RULE_TEXT[rule]


# -- alerts ------------------------------------------------------------------------------------
def alerts(wh: Warehouse, *, measure: str, month: str, geography: str = "borough") -> Any:
    """``vrkit alerts --measure M --month YYYY-MM --geography G --all --format json``."""
    from vrkit.analysis.early_warning import detect_exceedances
    from vrkit.api import monthly_by_geography

    counts, names = monthly_by_geography(wh, measure, geography)
    res = detect_exceedances(counts, month)
    records = res.records()
    lookup = dict(zip(names["area_code"], names["area_name"], strict=False))
    for r in records:
        r["area_name"] = lookup.get(r["area_code"])
    return res, records


# -- datasets and quality ----------------------------------------------------------------------
def datasets(wh: Warehouse) -> pd.DataFrame:
    """``vrkit datasets``."""
    return wh.datasets()


def quality(wh: Warehouse) -> list[dict[str, Any]]:
    """``vrkit quality --format json`` (datasets part)."""
    from vrkit.store.quality import dataset_quality

    return [q.as_dict() for q in dataset_quality(wh)]


def istv_completeness(wh: Warehouse, departments: frozenset[str] | None) -> list[dict[str, Any]]:
    """``vrkit quality --source istv``, for the given departments (None: all)."""
    from vrkit.analysis.health import completeness_records
    from vrkit.store.health import istv_quality

    records = completeness_records(istv_quality(wh))
    if departments is not None:
        records = [
            r for r in records if str(r.get("site_code", r.get("department"))) in departments
        ]
    return records


# -- ISTV uploads ------------------------------------------------------------------------------
@dataclass(frozen=True)
class IstvCheck:
    """The header facts of an uploaded ISTV file, read before it is queued."""

    site_code: str
    month: date
    department: str | None


def istv_header(path: Path) -> IstvCheck:
    """Validate an ISTV file with the adapter (the whole-file rules) without loading it."""
    from vrkit.sources.istv import read_istv

    frames = read_istv(path)
    sub = frames.tables["istv_submission"]
    row = sub.to_pylist()[0] if hasattr(sub, "to_pylist") else sub.iloc[0].to_dict()
    month = row["month"]
    if isinstance(month, pd.Timestamp):
        month = month.date()
    return IstvCheck(str(row["site_code"]), month, row.get("department"))


def istv_ingest(wh: Warehouse, path: Path) -> Any:
    """``vrkit health ingest-istv PATH``: validate and load one submission (a revision replaces
    the same department-month). Returns an IngestResult or the VrkitError."""
    from vrkit.store.health import ingest_istv

    return ingest_istv(wh, [path])[0]

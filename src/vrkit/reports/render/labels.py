"""The label catalogue of every report table and workbook: column id → human label and kind.

One home for how a column is named and how its values are shown. HTML tables
(:func:`vrkit.reports.render.html.table_html`) and workbooks
(:mod:`vrkit.reports.render.workbook`) both look columns up here, so a column reads the same in
the page and in the spreadsheet.

Kinds and how they are shown
----------------------------
========== =================================== ================================= ==============
kind       stored as                           HTML                              Excel format
========== =================================== ================================= ==============
count      whole number                        ``12,345``                        ``#,##0``
rate       number (per 1,000, per year …)      ``12.35``                         ``#,##0.00``
share      fraction 0–1                        ``19.8 %``                        ``0.0%``
pct        percent points (−0.87 = −0.87 %)    ``−0.9 %``                        ``0.0%`` (÷100)
p_value    probability                         ``< 0.001`` / ``0.032``           ``0.000``
stat       any other statistic                 3 significant decimals            ``0.000``
date       date or timestamp                   ``1 January 2011`` (no time)      ``d mmm yyyy``
month      a month (date or ``YYYY-MM``)       ``January 2011``                  ``mmm yyyy``
label      a year, rank, decile (no ``,``)     ``2011``                          ``0``
text       text; lists joined as prose         ``a, b and c``                    text
========== =================================== ================================= ==============

A column not in the catalogue gets a label made from its id (``top_10pct_share`` → "Top 10 %
share") and a kind guessed from its dtype, so no report ever shows a raw id; the tests check that
every column of every built report is catalogued.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

Kind = Literal["count", "rate", "share", "pct", "p_value", "stat", "date", "month", "label", "text"]


@dataclass(frozen=True)
class Column:
    """How one column is named and shown."""

    label: str
    kind: Kind
    #: units for a workbook's units row ("" when the label says it)
    unit: str = ""


def _c(label: str, kind: Kind, unit: str = "") -> Column:
    return Column(label, kind, unit)


#: column id → label and kind (alphabetical within groups)
CATALOGUE: dict[str, Column] = {
    # areas and identifiers
    "area_code": _c("Area code", "text"),
    "area_name": _c("Area", "text"),
    "area_type": _c("Area type", "text"),
    "borough": _c("Borough", "text"),
    "borough_code": _c("Borough code", "text"),
    "borough_name": _c("Borough", "text"),
    "parent_code": _c("Borough code", "text"),
    "kind": _c("Kind of area", "text"),
    "level": _c("Level", "text"),
    "cell_id": _c("Grid cell", "text"),
    "indicator_id": _c("Indicator id", "text"),
    "indicator": _c("Indicator", "text"),
    "topic": _c("Topic", "text"),
    "name": _c("Name", "text"),
    "domain": _c("Domain", "text"),
    "measure": _c("Measure id", "text"),
    "label": _c("Measure", "text"),
    "offence": _c("Offence", "text"),
    "item": _c("Item", "text"),
    "value": _c("Value", "text"),
    "type": _c("Type", "text"),
    "text": _c("Text", "text"),
    "note": _c("Note", "text"),
    "warning": _c("Warning", "text"),
    "reason": _c("Reason", "text"),
    "data_note": _c("Data note", "text"),
    "change_class": _c("Change (exact test, 5 %)", "text"),
    "denominator_flag": _c("Denominator flag", "text"),
    "description": _c("Description", "text"),
    "method": _c("Method", "text"),
    "commentary": _c("Commentary", "text"),
    "how": _c("How it was assembled", "text"),
    "why": _c("Why it is in the profile", "text"),
    "polarity": _c("Direction", "text"),
    "unit": _c("Unit", "text"),
    "source": _c("Source", "text"),
    "suppressed": _c("Suppressed cells", "text"),
    "blanked": _c("Blanked cells", "text"),
    # time
    "year": _c("Year", "label"),
    "year_a": _c("Year", "label"),
    "year_b": _c("Compared with", "label"),
    "recorded_year": _c("Year recorded", "label"),
    "month": _c("Month", "month"),
    "month_num": _c("Month number", "label"),
    "period": _c("Period", "label"),
    "period_from": _c("From", "label"),
    "period_to": _c("To", "label"),
    "period_start": _c("Period start", "date"),
    "period_end": _c("Period end", "date"),
    "covers_from": _c("Covers from", "month"),
    "covers_to": _c("Covers to", "month"),
    "months_covered": _c("Months covered", "text"),
    "generated_at": _c("Generated (UTC)", "date"),
    "release": _c("Release", "text"),
    "partial": _c("Partial year", "text"),
    # counts
    "count": _c("Offences", "count", "offences"),
    "crimes": _c("Offences", "count", "offences"),
    "current": _c("Offences, report year", "count", "offences"),
    "previous": _c("Offences, comparison year", "count", "offences"),
    "change": _c("Change", "count", "offences"),
    "places": _c("Places", "count", "places"),
    "n_places": _c("Places", "count", "places"),
    "population": _c("Population", "count", "residents"),
    "population_all_ages": _c("Population", "count", "residents"),
    "total": _c("Total", "count", "victims"),
    "firearms": _c("Firearms", "count", "victims"),
    "knives": _c("Knives", "count", "victims"),
    "teenagers": _c("Teenagers (13–19)", "count", "victims"),
    "under_25": _c("Under 25", "count", "victims"),
    "domestic": _c("Domestic abuse", "count", "victims"),
    "non_domestic": _c("Non-domestic", "count", "victims"),
    "police": _c("Police: violence with injury", "count", "offences"),
    "ae": _c("A&E assault attendances", "count", "attendances"),
    "ambulance": _c("Ambulance assault call-outs", "count", "call-outs"),
    "observed": _c("Observed", "count", "offences"),
    "threshold": _c("Threshold", "count", "offences"),
    "top_5pct_places": _c("Places in the top 5 %", "count", "places"),
    "top_n_overlap": _c("Places in both top 5 %", "count", "places"),
    "areas_with_value": _c("Areas with a value", "count", "areas"),
    "indicators_used": _c("Indicators used", "count", "indicators"),
    "indicators_imputed": _c("Indicators imputed", "count", "indicators"),
    "count_most": _c("Offences, most deprived", "count", "offences"),
    "count_least": _c("Offences, least deprived", "count", "offences"),
    "pop_most": _c("Population, most deprived", "count", "residents"),
    "pop_least": _c("Population, least deprived", "count", "residents"),
    "rows_loaded": _c("Rows loaded", "count", "rows"),
    "n_baseline": _c("Baseline months", "count", "months"),
    "n_tested": _c("Areas tested", "count", "areas"),
    "n_alerts": _c("Alerts", "count", "areas"),
    "rank": _c("Rank", "label"),
    "rank_low": _c("Rank, low", "label"),
    "rank_high": _c("Rank, high", "label"),
    "rank_median": _c("Rank, median", "label"),
    "decile": _c("Decile", "label"),
    "imd2019_decile": _c("IMD 2019 decile", "label"),
    "gi_bin": _c("Gi* bin", "label"),
    # rates and other quantities
    "rate": _c("Rate per 1,000", "rate", "per 1,000 residents"),
    "area_value": _c("Area", "rate"),
    "london_value": _c("London", "rate"),
    "england_value": _c("England", "rate"),
    "rate_lower": _c("Rate, lower 95 %", "rate", "per 1,000 residents"),
    "rate_upper": _c("Rate, upper 95 %", "rate", "per 1,000 residents"),
    "rate_per_1000": _c("Rate per 1,000", "rate", "per 1,000 residents"),
    "rate_most": _c("Rate, most deprived", "rate", "per 1,000 residents"),
    "rate_least": _c("Rate, least deprived", "rate", "per 1,000 residents"),
    "rate_most_deprived": _c("Rate, most deprived", "rate", "per 1,000 residents"),
    "rate_least_deprived": _c("Rate, least deprived", "rate", "per 1,000 residents"),
    "rate_difference": _c("Rate difference", "rate", "per 1,000 residents"),
    "rate_ratio": _c("Rate ratio", "stat", "ratio"),
    "rr_lower": _c("Rate ratio, lower 95 %", "stat", "ratio"),
    "rr_upper": _c("Rate ratio, upper 95 %", "stat", "ratio"),
    "annual_change": _c("Change in ratio a year", "stat", "factor a year"),
    "change_lower": _c("Change a year, lower 95 %", "stat", "factor a year"),
    "change_upper": _c("Change a year, upper 95 %", "stat", "factor a year"),
    "expected": _c("Expected", "rate", "offences"),
    "mean": _c("Forecast", "rate", "offences"),
    "lower_80": _c("Lower 80 %", "rate", "offences"),
    "upper_80": _c("Upper 80 %", "rate", "offences"),
    "lower_95": _c("Lower 95 %", "rate", "offences"),
    "upper_95": _c("Upper 95 %", "rate", "offences"),
    "ae_per_police": _c("A&E per police offence", "stat", "ratio"),
    "ambulance_per_police": _c("Ambulance per police offence", "stat", "ratio"),
    "score": _c("Score", "stat", "index"),
    "weight": _c("Weight", "stat"),
    "effective_weight": _c("Effective weight", "share"),
    "contribution": _c("Contribution", "stat"),
    "gini": _c("Gini coefficient", "stat"),
    "gini_adjusted": _c("Gini (generalised)", "stat"),
    "gini_ci_lower": _c("Gini, lower 95 %", "stat"),
    "gini_ci_upper": _c("Gini, upper 95 %", "stat"),
    "gi_z": _c("Gi* z-score", "stat"),
    "gi_star": _c("Gi* z-score", "stat"),
    "lisa_i": _c("Local Moran's I", "stat"),
    "lisa_z": _c("Local Moran z-score", "stat"),
    "spearman": _c("Spearman's rank correlation", "stat"),
    "spearman_rho": _c("Spearman's rank correlation", "stat"),
    "trend_tau": _c("Trend (Kendall's tau)", "stat"),
    "trend_z": _c("Trend z-score", "stat"),
    "value_most": _c("Value, most deprived", "stat"),
    # shares (fractions 0–1)
    "share": _c("Share", "share"),
    "cumulative_share": _c("Cumulative share", "share"),
    "share_places": _c("Share of places", "share"),
    "share_crimes": _c("Share of offences", "share"),
    "share_of_count": _c("Share of offences", "share"),
    "share_of_population": _c("Share of population", "share"),
    "top_1pct_share": _c("Share in top 1 % of places", "share"),
    "top_5pct_share": _c("Share in top 5 % of places", "share"),
    "top_10pct_share": _c("Share in top 10 % of places", "share"),
    "top_20pct_share": _c("Share in top 20 % of places", "share"),
    "places_for_25pct": _c("Places holding 25 %", "share"),
    "places_for_50pct": _c("Places holding 50 %", "share"),
    "places_for_80pct": _c("Places holding 80 %", "share"),
    "overlap": _c("Top 5 % overlap", "share"),
    "top_n_overlap_share": _c("Top 5 % overlap", "share"),
    "jaccard": _c("Jaccard similarity", "share"),
    "p_top_n": _c("P(stays in top)", "share"),
    # percent points
    "pct_change": _c("% change", "pct", "%"),
    "pct_lower": _c("% change, lower 95 %", "pct", "%"),
    "pct_upper": _c("% change, upper 95 %", "pct", "%"),
    "significant": _c("Significant (5 %)", "text"),
    "ratio": _c("Ratio to the compared year", "stat"),
    "ratio_lower": _c("Rate ratio, lower 95 %", "stat"),
    "ratio_upper": _c("Rate ratio, upper 95 %", "stat"),
    # p-values
    "p_value": _c("p-value", "p_value"),
    "p_adjusted": _c("p-value (adjusted)", "p_value"),
    "p_sim": _c("p-value (permutation)", "p_value"),
    "p_norm": _c("p-value (normal)", "p_value"),
    "q_value": _c("q-value (FDR)", "p_value"),
    "lisa_p": _c("Local Moran p-value", "p_value"),
    "lisa_p_adjusted": _c("Local Moran p-value (adjusted)", "p_value"),
    "spearman_p": _c("Spearman p-value", "p_value"),
    "trend_p": _c("Trend p-value", "p_value"),
    # categories
    "gi_class": _c("Gi* class", "text"),
    "hotspot_class": _c("Hot spot class", "text"),
    "hotspot_category": _c("sfhotspot category", "text"),
    "ehsa_category": _c("Emerging hot spot category", "text"),
    "lisa_quadrant": _c("Local Moran quadrant", "text"),
    "lisa_class": _c("Local Moran class", "text"),
    "alert": _c("Alert", "text"),
    "alert_fdr": _c("Alert after FDR control", "text"),
    # early warning by month, concentration and sensitivity extras
    "tested": _c("Areas tested", "count", "areas"),
    "alerts": _c("Alerts", "count", "areas"),
    "alerts_fdr": _c("Alerts after FDR control", "count", "areas"),
    "expected_by_chance": _c("Alerts expected by chance", "rate", "areas"),
    "fallback": _c("Areas on the fallback method", "count", "areas"),
    "skipped": _c("Areas not tested", "count", "areas"),
    "top_1pct_places": _c("Places in the top 1 %", "count", "places"),
    "top_10pct_places": _c("Places in the top 10 %", "count", "places"),
    "top_20pct_places": _c("Places in the top 20 %", "count", "places"),
    "places_for_25pct_n": _c("Places holding 25 % (number)", "count", "places"),
    "places_for_50pct_n": _c("Places holding 50 % (number)", "count", "places"),
    "places_for_80pct_n": _c("Places holding 80 % (number)", "count", "places"),
    "top_places": _c("Places in the top 5 %", "count", "places"),
    "n_bootstrap": _c("Bootstrap replicates", "count", "replicates"),
    "seed": _c("Random seed", "label"),
    "warnings": _c("Warnings", "text"),
    "equality_generalised": _c("Equality line (generalised)", "share"),
    "decile_column": _c("Deprivation domain", "text"),
    "steps": _c("Years as a hot or cold spot", "count", "years"),
    "steps_hot": _c("Years as a hot spot", "count", "years"),
    "steps_cold": _c("Years as a cold spot", "count", "years"),
    "max_abs_rank_shift": _c("Largest rank shift", "count", "ranks"),
    "median_abs_rank_shift": _c("Median rank shift", "rate", "ranks"),
    # data sets
    "exclusions": _c("Rows excluded", "text"),
    "notes": _c("Notes", "text"),
    "file_name": _c("File", "text"),
    "source_kind": _c("Source kind", "text"),
    "sha256": _c("SHA-256", "text"),
    "used_for": _c("Used for", "text"),
    "dataset_id": _c("Data set", "text"),
}

_EXCEL = {
    "count": "#,##0",
    "rate": "#,##0.00",
    "share": "0.0%",
    "pct": "0.0%",
    "p_value": "0.000",
    "stat": "0.000",
    "date": "d mmm yyyy",
    "month": "mmm yyyy",
    "label": "0",
}
_WORDS = {"pct": "%", "ci": "CI", "imd2019": "IMD 2019", "fdr": "FDR", "n": "number of"}


def humanise(col: str) -> str:
    """A readable label from a column id: ``top_10pct_share`` → "Top 10 % share"."""
    s = re.sub(r"(\d+)pct", r"\1 %", str(col))
    words = [_WORDS.get(w, w) for w in s.split("_") if w]
    text = " ".join(words).strip() or str(col)
    return text[0].upper() + text[1:]


def column(col: str, series: pd.Series | None = None) -> Column:
    """The catalogue entry of ``col``; for an unknown id, a label from the id and a kind from
    ``series``'s dtype (``contrib_<indicator>`` is a contribution)."""
    c = str(col)
    if c in CATALOGUE:
        return CATALOGUE[c]
    if c.startswith("contrib_"):
        return Column(f"Contribution: {humanise(c.removeprefix('contrib_'))}", "stat")
    if c.startswith("raw_rate_"):
        return Column(f"Crude rate: {humanise(c.removeprefix('raw_rate_'))}", "rate")
    if c.startswith("rate_"):
        return Column(f"Rate used: {humanise(c.removeprefix('rate_'))}", "rate")
    if c.endswith("_share"):
        return Column(humanise(c), "share")
    if c.endswith(("_p", "_pvalue", "_p_value")):
        return Column(humanise(c), "p_value")
    return Column(humanise(c), _guess_kind(series))


def is_catalogued(col: str) -> bool:
    """True when ``col`` has its own catalogue entry (or is a ``contrib_``, ``rate_`` or
    ``raw_rate_`` column of an indicator)."""
    return str(col) in CATALOGUE or str(col).startswith(("contrib_", "rate_", "raw_rate_"))


def _guess_kind(series: pd.Series | None) -> Kind:
    if series is None:
        return "text"
    if pd.api.types.is_bool_dtype(series.dtype):
        return "text"
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "date"
    if pd.api.types.is_integer_dtype(series.dtype):
        return "count"
    if pd.api.types.is_float_dtype(series.dtype):
        vals = series.dropna()
        if len(vals) and bool(((vals % 1) == 0).all()):
            return "count"
        return "stat"
    return "text"


def label(col: str) -> str:
    """The human label of column ``col``."""
    return column(col).label


def excel_format(kind: Kind) -> str | None:
    """The Excel number format of a kind (``None``: text)."""
    return _EXCEL.get(kind)


# -- values ---------------------------------------------------------------------------------------


def is_missing(v: Any) -> bool:
    """True for None, NaN, NA and NaT."""
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float | np.floating) and math.isnan(float(v))


def prose_list(items: Iterable[Any]) -> str:
    """Items joined as prose: ``a``, ``a and b``, ``a, b and c``."""
    xs = [str(x) for x in items if not is_missing(x) and str(x) != ""]
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]


def format_p(p: Any) -> str:
    """A p-value: ``< 0.001`` below one in a thousand, else three decimals."""
    if is_missing(p):
        return ""
    v = float(p)
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def _stat(v: float, digits: int | None) -> str:
    if digits is not None:
        return f"{v:,.{digits}f}"
    if v == 0 or abs(v) >= 100:
        return f"{v:,.1f}" if not float(v).is_integer() else f"{v:,.0f}"
    # three significant figures, at least two decimals
    d = max(2, 2 - math.floor(math.log10(abs(v))))
    return f"{v:,.{min(d, 6)}f}"


def _minus(text: str) -> str:
    return text.replace("-", "−", 1) if text.startswith("-") else text


def _as_date(v: Any) -> date | None:
    if isinstance(v, pd.Timestamp):
        return v.date()
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, np.datetime64):
        return pd.Timestamp(v).date()
    if isinstance(v, str):
        m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?(?:[ T]00:00(?::00)?)?", v.strip())
        if m:
            return date(int(m[1]), int(m[2]), int(m[3] or 1))
    return None


def format_value(v: Any, kind: Kind, *, digits: int | None = None) -> str:
    """``v`` as text for a table cell of ``kind`` (missing → ``""``)."""
    if isinstance(v, list | tuple | np.ndarray | set | frozenset):
        return prose_list(v)
    if is_missing(v):
        return ""
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if kind in ("date", "month"):
        d = _as_date(v)
        if d is None:
            return str(v)
        return f"{d:%B %Y}" if kind == "month" else f"{d.day} {d:%B %Y}"
    if isinstance(v, pd.Timestamp | datetime | date):
        return format_value(v, "date")
    if not isinstance(v, int | float | np.integer | np.floating):
        return str(v)
    x = float(v)
    if kind == "label":
        return str(int(x)) if x.is_integer() else str(v)
    if kind == "count":
        return _minus(f"{x:,.0f}" if x.is_integer() else f"{x:,.1f}")
    if kind == "share":
        return _minus(f"{100 * x:.{1 if digits is None else digits}f} %")
    if kind == "pct":
        return _minus(f"{x:+.1f} %" if round(x, 1) else "0.0 %")
    if kind == "p_value":
        return format_p(x)
    if kind == "rate":
        return _minus(f"{x:,.{2 if digits is None else digits}f}")
    return _minus(_stat(x, digits))

"""Extra sections of the Violent Crime Report: early warning and "hidden violence" linkage.

- :func:`alerts_section`: the alerts ``vrkit alerts`` gives for violence with injury in the
  last month of the report year (and a month-by-month summary of the year), for the boroughs of
  London or the wards of a borough. Same data path as the command
  (:func:`vrkit.store.queries.monthly_by_geography`) and the same test
  (:func:`vrkit.analysis.early_warning.detect_exceedances`, run over *every* area of the
  geography, so p- and q-values equal the command's); a borough report then keeps its wards.
- :func:`linkage_section`: police violence with injury against A&E assaults (ISTV) and
  ambulance assault call-outs for the report area and the two report years
  (:func:`vrkit.analysis.health.hidden_violence`), marked SYNTHETIC when the health data are.
  Where the real London Ambulance Service file (June 2009 – June 2013) covers a report year, its
  assaults involving women by borough and month are the ambulance figures, and synthetic data
  are left out (never mixed with real).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from vrkit.analysis.early_warning import (
    FALLBACK_MIN_MONTHS,
    FALLBACK_WINDOW,
    MIN_YEARS,
    REFERENCE,
    REFERENCE_FDR,
    detect_exceedances,
    excluded_months,
)
from vrkit.analysis.health import LinkageResult, hidden_violence
from vrkit.errors import InputError
from vrkit.store import health as health_queries
from vrkit.store import queries
from vrkit.store.core_data import las_in_area, las_monthly
from vrkit.store.queries import MONTHLY_SOURCES, monthly_by_geography
from vrkit.store.warehouse import Warehouse

ALERT_MEASURE = "violence_with_injury"
ALERT_LEVEL = 0.99
ALERT_FDR = 0.05
NO_HEALTH = "No A&E or ambulance data loaded."
#: the real LAS indicator used as the ambulance figures of the report (issue #20)
LAS_INDICATOR = "las_assaults_women"
LAS_LABEL = "LAS incidents: assaults involving women"


def las_notes(indicator: str, *, london: bool) -> list[str]:
    """The caveats stated wherever real LAS incidents are set against police figures."""
    what = "assaults involving women" if indicator == "las_assaults_women" else "knife injuries"
    notes = [
        "LAS incidents and police recorded violence with injury count different things (an "
        f"ambulance incident is not a recorded offence; the LAS file counts {what}, as its name "
        "says, by borough and month): the ratio is context, not a reporting rate."
    ]
    if london:
        notes.append(
            "London = the MPS area: all MPS rows against the LAS figures of the 32 boroughs (the "
            "City of London is policed by its own force and left out of both)."
        )
    return notes


@dataclass
class AlertsSection:
    """Early-warning results for the report.

    Attributes
    ----------
    geography : ``"borough"`` or ``"ward"``.
    month : the month tested (December of the report year), or None if it could not be.
    table : areas exceeding: ``area_code, area_name, month, observed, expected, threshold,
        score, p_value, q_value, alert_fdr, method``.
    by_month : per month of the report year: ``month, tested, alerts, alerts_fdr,
        expected_by_chance, skipped, fallback``.
    n_tested, n_alerts, n_alerts_fdr : counts for ``month`` within the report area.
    expected_by_chance : alerts expected in the report area if no area had a real rise.
    message : why nothing (or only a fallback) could be computed; None when all went well.
    method, reference : the method and its citation.
    """

    geography: str
    month: pd.Timestamp | None
    table: pd.DataFrame
    by_month: pd.DataFrame
    n_tested: int = 0
    n_alerts: int = 0
    n_alerts_fdr: int = 0
    n_skipped: int = 0
    expected_by_chance: float = 0.0
    message: str | None = None
    method: str = ""
    reference: str = ""
    params: dict[str, Any] = field(default_factory=dict)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def history_explanation(
    counts: pd.DataFrame, skipped: pd.DataFrame, target: pd.Timestamp, source: str
) -> str | None:
    """Why areas could not be tested for ``target``, in plain English (None if all were).

    Areas skipped for too little history are summarised by when their data start and how many
    of the months before ``target`` the test can use (COVID-19 restriction months are left out
    of every baseline, :func:`vrkit.analysis.early_warning.excluded_months`); other reasons are
    quoted.
    """
    if skipped.empty:
        return None
    target = pd.Timestamp(target)
    short = skipped[skipped["reason"].str.startswith("too little history")]
    parts = []
    if len(short):
        months = pd.to_datetime(counts["month"])
        start = months[counts["area_code"].isin(short["area_code"])].min()
        window = pd.date_range(
            end=target - pd.offsets.MonthBegin(1), periods=FALLBACK_WINDOW, freq="MS"
        )
        excluded = set(excluded_months())
        present = [m for m in window if pd.notna(start) and m >= start]
        usable = [m for m in present if m not in excluded]
        why = []
        if len(present) < len(window) and pd.notna(start):
            why.append(f"the {source} data start in {start:%B %Y}")
        if len(usable) < len(present):
            why.append(
                f"{_plural(len(present) - len(usable), 'month')} of COVID-19 restrictions "
                "are left out as unusual"
            )
        parts.append(
            f"{_plural(len(short), 'area')} could not be tested for {target:%B %Y}: of the "
            f"{FALLBACK_WINDOW} months before it, only {len(usable)} can be used"
            + (f" ({'; '.join(why)})" if why else "")
            + f". A test needs at least {FALLBACK_MIN_MONTHS} usable months (it then compares "
            f"the month with the recent average), and about {12 * MIN_YEARS + 1} months "
            f"({MIN_YEARS} years) for the full method, which allows for the time of year."
        )
    other = skipped[~skipped["reason"].str.startswith("too little history")]
    if len(other):
        parts.append(
            f"{_plural(len(other), 'other area')} not tested, e.g. "
            f"{other['area_code'].iloc[0]}: {other['reason'].iloc[0]}."
        )
    return " ".join(parts)


def _ward_boroughs(wh: Warehouse) -> pd.DataFrame:
    return queries.ward_boroughs(wh)


def alerts_section(wh: Warehouse, *, area_kind: str, area_code: str, year: int) -> AlertsSection:
    """Alerts for violence with injury in December of ``year`` (see the module docstring).

    Parameters
    ----------
    wh : Warehouse
    area_kind : ``"london"`` (boroughs are tested) or ``"borough"`` (its wards are tested).
    area_code : GSS code of the borough (ignored for London).
    year : report year.

    Returns
    -------
    AlertsSection
        With a ``message`` instead of results when the data cannot support the test.
    """

    geography = "borough" if area_kind == "london" else "ward"
    method = (
        "Improved Farrington algorithm (quasi-Poisson GLM on the previous 5 years with a "
        "10-level seasonal factor, down-weighting of past exceedances, COVID-19 restriction "
        f"months left out of the baseline; threshold = {ALERT_LEVEL:.0%} quantile of a negative "
        "binomial), p-values adjusted across all areas tested with Benjamini–Hochberg "
        f"(FDR {ALERT_FDR:.0%}); the same test as `vrkit alerts --measure {ALERT_MEASURE} "
        f"--geography {geography} --month {year}-12`."
    )
    reference = f"{REFERENCE}; {REFERENCE_FDR}"
    empty = pd.DataFrame(
        columns=[
            "area_code",
            "area_name",
            "month",
            "observed",
            "expected",
            "threshold",
            "score",
            "p_value",
            "q_value",
            "alert_fdr",
            "method",
        ]
    )
    base = AlertsSection(geography, None, empty, pd.DataFrame(), method=method, reference=reference)
    try:
        counts, names = monthly_by_geography(wh, ALERT_MEASURE, geography)
    except InputError as exc:
        base.message = f"Early warning not computed: {exc.message}"
        return base
    keep: set[str] | None = None
    if geography == "ward":
        wb = _ward_boroughs(wh)
        keep = set(wb.loc[wb["borough_code"] == area_code, "area_code"])
    months = pd.to_datetime(counts["month"])
    first, last = months.min(), months.max()
    target = pd.Timestamp(date(year, 12, 1))
    src = MONTHLY_SOURCES[geography]
    if target > last or target < first:
        base.message = (
            f"Early warning not computed: the {src} data cover {first:%b %Y} to {last:%b %Y}, "
            f"not December {year}."
        )
        return base
    rows = []
    final = None
    for m in pd.date_range(date(year, 1, 1), target, freq="MS"):
        if m < first:
            continue
        try:
            res = detect_exceedances(counts, m, level=ALERT_LEVEL, fdr=ALERT_FDR)
        except InputError as exc:
            rows.append({"month": m, "error": exc.message})
            continue
        t = res.table if keep is None else res.table[res.table["area_code"].isin(keep)]
        sk = res.skipped if keep is None else res.skipped[res.skipped["area_code"].isin(keep)]
        n = len(t)
        rows.append(
            {
                "month": m,
                "tested": n,
                "alerts": int(t["alert"].sum()) if n else 0,
                "alerts_fdr": int(t["alert_fdr"].sum()) if n else 0,
                "expected_by_chance": float(t["chance_alert_prob"].sum()) if n else 0.0,
                "skipped": len(sk),
                "fallback": int((t["method"] == "fallback").sum()) if n else 0,
            }
        )
        if m == target:
            final = (res, t, sk)
    by_month = pd.DataFrame(rows)
    base.by_month = by_month
    base.month = target
    base.params = {
        "measure": ALERT_MEASURE,
        "geography": geography,
        "level": ALERT_LEVEL,
        "fdr": ALERT_FDR,
        "source_kind": src,
    }
    if final is None:
        base.message = f"Early warning not computed for {target:%B %Y}: no area has a count."
        return base
    res, t, sk = final
    if len(t):
        alerts = t[t["alert"]].merge(names, on="area_code", how="left")
        alerts["area_name"] = alerts["area_name"].fillna(alerts["area_code"])
        base.table = alerts[list(empty.columns)].reset_index(drop=True)
    base.n_tested = len(t)
    base.n_alerts = int(t["alert"].sum()) if len(t) else 0
    base.n_alerts_fdr = int(t["alert_fdr"].sum()) if len(t) else 0
    base.n_skipped = len(sk)
    base.expected_by_chance = float(t["chance_alert_prob"].sum()) if len(t) else 0.0
    fb = int((t["method"] == "fallback").sum()) if len(t) else 0
    why = history_explanation(counts, sk, target, src)
    if len(t) == 0:
        base.message = (
            f"Early warning not computed: no {geography} of the report area could be tested. "
            + (why or "No series.")
        )
    elif fb or len(sk):
        base.message = (
            f"History short for some areas: {fb} of {len(t)} tested were compared with the "
            "average of their last 12 usable months instead of the full method (no allowance "
            "for the time of year)." + (f" {why}" if why else "")
        )
    return base


@dataclass
class LinkageSection:
    """Police violence with injury vs A&E assaults vs ambulance call-outs for the report area.

    Attributes
    ----------
    loaded : whether any A&E or ambulance data are loaded (else only ``message`` is shown).
    synthetic : whether any of the health data used are SYNTHETIC (written by ``vrkit synth``).
    monthly : ``month, year, police, ae, ambulance, ae_per_police, ambulance_per_police``.
    yearly : per year: ``year, police, ae, ambulance, ae_per_police, ambulance_per_police``.
    totals : each source's total over the two years (equal to the sum of that source's rows).
    trend : change of the A&E/police ratio, report year against comparison year.
    notes : what was counted and what is missing.
    """

    loaded: bool
    synthetic: bool = False
    monthly: pd.DataFrame = field(default_factory=pd.DataFrame)
    yearly: pd.DataFrame = field(default_factory=pd.DataFrame)
    totals: dict[str, int | None] = field(default_factory=dict)
    trend: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    message: str | None = None
    method: str = ""
    reference: str = ""
    ambulance_label: str = "Ambulance call-outs"
    ambulance_short: str = "Ambulance call-outs"
    dataset_ids: list[int] = field(default_factory=list)


def _las(
    wh: Warehouse, area_kind: str, area_code: str, start: date, end: date
) -> tuple[pd.DataFrame, list[int]]:
    """Real LAS incidents of the report area by month within ``start``–``end`` (``month,
    count``; London: the 32 boroughs) and the datasets they come from; empty if none."""
    las = las_in_area(
        las_monthly(wh, LAS_INDICATOR, start=start, end=end),
        None if area_kind == "london" else area_code,
    )
    ids = sorted({int(i) for i in las["dataset_id"]})
    g = las.assign(month=pd.to_datetime(las["month"])).groupby("month", as_index=False)["count"]
    return g.sum(), ids


def linkage_section(
    wh: Warehouse,
    *,
    area_kind: str,
    area_code: str,
    area_name: str,
    year: int,
    compare: int,
    police: pd.DataFrame,
) -> LinkageSection:
    """Hidden violence for the report area (see the module docstring).

    Parameters
    ----------
    wh : Warehouse
    area_kind, area_code, area_name : the report area.
    year, compare : report and comparison years.
    police : ``month, count``: monthly police violence with injury of the report area (the
        report's own monthly figures).

    Returns
    -------
    LinkageSection
        ``loaded=False`` and the message "No A&E or ambulance data loaded." when neither source
        is in the warehouse.
    """
    n_istv = queries.table_rows(wh, "istv_submission")
    n_amb = health_queries.ambulance_values(wh)
    start, end = date(min(year, compare), 1, 1), date(max(year, compare), 12, 1)
    las, las_ids = _las(wh, area_kind, area_code, start, end)
    no_las = None
    if las.empty:
        every = pd.to_datetime(las_monthly(wh, LAS_INDICATOR)["month"])
        if len(every):
            no_las = (
                f"The real London Ambulance Service data loaded cover {every.min():%b %Y} – "
                f"{every.max():%b %Y}, not {compare} or {year}."
            )
    if las.empty and not n_istv and not n_amb:
        return LinkageSection(loaded=False, message=NO_HEALTH + (f" {no_las}" if no_las else ""))
    if not las.empty:
        return _las_section(
            wh, area_kind, area_code, area_name, year, compare, police, las, las_ids, n_amb
        )
    notes: list[str] = [no_las] if no_las else []
    syn = False
    ae = None
    if n_istv:
        if area_kind == "london":
            a, s, dm = health_queries.ae_monthly(wh, start, end)
            syn |= s
            ae = a.assign(area_code=area_code)
            notes.append(
                f"A&E assaults: every current ISTV attendance record of the loaded departments "
                f"({dm:,} department-months submitted in {compare}–{year}); months with "
                "missing submissions are under-counted, see `vrkit quality --source istv`."
            )
        else:
            notes.append(
                "A&E assaults are recorded by emergency department, not by where the assault "
                f"happened, so they are not attributed to {area_name}."
            )
    else:
        notes.append("No A&E (ISTV) data loaded.")
    amb = None
    if n_amb:
        a, s, unlinked = health_queries.ambulance_monthly(
            wh, start, end, None if area_kind == "london" else area_code
        )
        syn |= s
        amb = a.assign(area_code=area_code)
        if area_kind == "london":
            notes.append(
                "Ambulance call-outs: every row of the loaded files"
                + (
                    f" ({unlinked:,} call-outs are on LSOA codes not linked to a London borough)."
                    if unlinked
                    else "."
                )
            )
        else:
            notes.append(
                f"Ambulance call-outs: LSOAs linked to {area_name} (lsoa11_lad links)"
                + (
                    f"; {unlinked:,} call-outs in these years are on LSOAs linked to no borough "
                    "and are not counted here."
                    if unlinked
                    else "."
                )
            )
    else:
        notes.append("No ambulance data loaded.")
    pol = police.assign(area_code=area_code)[["area_code", "month", "count"]]
    for frame in (ae, amb):
        if frame is not None and frame.empty:
            notes.append("A source has no rows for this area and these years.")
    ae_in = None if ae is None or ae.empty else ae[["area_code", "month", "count"]]
    amb_in = None if amb is None or amb.empty else amb[["area_code", "month", "count"]]
    res: LinkageResult = hidden_violence(pol, ae_in, amb_in, window=12)
    absent = {"ae": ae_in is None, "ambulance": amb_in is None, "police": False}
    t = res.table.drop(columns=["area_code"])
    t["year"] = t["month"].dt.year
    t = t[t["year"].isin([year, compare])].reset_index(drop=True)
    y = t.groupby("year", as_index=False)[["police", "ae", "ambulance"]].sum(min_count=1)
    for src in ("police", "ae", "ambulance"):
        y[src] = y[src].astype("Int64")
    pol_f = y["police"].astype("Float64")
    y["ae_per_police"] = (y["ae"].astype("Float64") / pol_f.where(pol_f > 0)).round(3)
    y["ambulance_per_police"] = (y["ambulance"].astype("Float64") / pol_f.where(pol_f > 0)).round(3)
    tr = res.trend.iloc[0].to_dict() if len(res.trend) else {}
    trend = {
        "ratio_year": tr.get("ratio_last"),
        "ratio_compare": tr.get("ratio_prev"),
        "ratio_change": tr.get("ratio_change"),
    }
    return LinkageSection(
        loaded=True,
        synthetic=syn,
        monthly=t[
            [
                "month",
                "year",
                "police",
                "ae",
                "ambulance",
                "ae_per_police",
                "ambulance_per_police",
            ]
        ],
        yearly=y,
        totals={k: None if absent[k] else int(v) for k, v in res.totals.items()},
        trend=trend,
        notes=notes,
        method=res.method,
        reference=res.reference,
    )


def _las_section(
    wh: Warehouse,
    area_kind: str,
    area_code: str,
    area_name: str,
    year: int,
    compare: int,
    police: pd.DataFrame,
    las: pd.DataFrame,
    las_ids: list[int],
    n_synthetic_amb: int,
) -> LinkageSection:
    """Police violence with injury against the real LAS incidents (and real A&E data, if any;
    synthetic data are left out and the notes say so)."""
    start, end = date(min(year, compare), 1, 1), date(max(year, compare), 12, 1)
    notes = las_notes(LAS_INDICATOR, london=area_kind == "london")
    ae_in = None
    if not queries.table_rows(wh, "istv_submission"):
        notes.append("No A&E (ISTV) data loaded.")
    else:
        a, syn, _ = health_queries.ae_monthly(wh, start, end)
        if syn:
            notes.append(
                "SYNTHETIC A&E (ISTV) data are loaded but not shown here: they are never set "
                "beside the real ambulance figures."
            )
        elif area_kind == "london" and not a.empty:
            ae_in = a.assign(area_code=area_code)[["area_code", "month", "count"]]
            notes.append("A&E assaults: every current ISTV attendance record loaded.")
        elif area_kind != "london":
            notes.append(
                "A&E assaults are recorded by emergency department, not by where the assault "
                f"happened, so they are not attributed to {area_name}."
            )
    if n_synthetic_amb:
        notes.append(
            "Ambulance call-outs written by `vrkit synth` are also loaded: they are not used; "
            "the ambulance figures here are the real LAS incidents only."
        )
    covered = set(pd.to_datetime(las["month"]))
    partial = []
    for y in sorted({year, compare}):
        months = {pd.Timestamp(date(y, m, 1)) for m in range(1, 13)}
        have = months & covered
        if have and have != months:
            partial.append(y)
            notes.append(
                f"The LAS file covers {min(have):%b}–{max(have):%b %Y} only ({len(have)} of 12 "
                f"months): no {y} annual ambulance figure or ratio is given; its months are in "
                "the XLSX and JSON."
            )
        elif not have:
            partial.append(y)
            notes.append(f"The LAS file does not cover {y}: no ambulance figure for {y}.")
    pol = police.assign(area_code=area_code)[["area_code", "month", "count"]]
    amb_in = las.assign(area_code=area_code)[["area_code", "month", "count"]]
    res: LinkageResult = hidden_violence(pol, ae_in, amb_in, window=12)
    t = res.table.drop(columns=["area_code"])
    t["year"] = t["month"].dt.year
    t = t[t["year"].isin([year, compare])].reset_index(drop=True)
    t.loc[~t["month"].isin(covered), "ambulance"] = pd.NA
    y = t.groupby("year", as_index=False)[["police", "ae", "ambulance"]].sum(min_count=1)
    y.loc[y["year"].isin(partial), "ambulance"] = pd.NA
    for src in ("police", "ae", "ambulance"):
        y[src] = y[src].astype("Int64")
    pol_f = y["police"].astype("Float64")
    y["ae_per_police"] = (y["ae"].astype("Float64") / pol_f.where(pol_f > 0)).round(3)
    y["ambulance_per_police"] = (y["ambulance"].astype("Float64") / pol_f.where(pol_f > 0)).round(3)
    t["ambulance_per_police"] = (
        t["ambulance"].astype("Float64") / t["police"].astype("Float64").where(t["police"] > 0)
    ).round(3)
    tr = res.trend.iloc[0].to_dict() if len(res.trend) and ae_in is not None else {}
    totals = {
        "police": int(y["police"].sum()),
        "ae": None if ae_in is None else int(y["ae"].sum()),
        "ambulance": None if partial else int(y["ambulance"].sum()),
    }
    return LinkageSection(
        loaded=True,
        synthetic=False,
        monthly=t[
            ["month", "year", "police", "ae", "ambulance", "ae_per_police", "ambulance_per_police"]
        ],
        yearly=y,
        totals=totals,
        trend={
            "ratio_year": tr.get("ratio_last"),
            "ratio_compare": tr.get("ratio_prev"),
            "ratio_change": tr.get("ratio_change"),
        },
        notes=notes,
        method=res.method,
        reference=res.reference,
        ambulance_label=LAS_LABEL,
        ambulance_short="LAS incidents",
        dataset_ids=las_ids,
    )

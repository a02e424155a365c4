"""Health data analyses: ISTV completeness, "hidden violence" linkage and location matching.

Pure functions on frames (the store hands them in through :mod:`vrkit.store.health`).
Missing is not zero throughout: a department-month with no submission is ``missing`` with
``received`` ``<NA>``; an area-month absent from a source is ``<NA>`` for that source.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vrkit.catalog.gazetteer import (
    UNUSABLE_TEXT,
    Gazetteer,
    match_locations,
    normalise_place,
    place_text_usable,
)
from vrkit.errors import InputError

__all__ = [
    "COMPLETENESS_COLUMNS",
    "UNUSABLE_TEXT",
    "Gazetteer",
    "LinkageResult",
    "ae_only_hotspots",
    "completeness_records",
    "hidden_violence",
    "istv_completeness",
    "location_usable",
    "match_locations",
    "match_summary",
    "normalise_place",
    "place_text_usable",
]

#: unusable code of ASSAULT METHOD and ASSAULT LOCATION TYPE (``catalog/istv_codes.csv``)
NOT_KNOWN = "99"

COMPLETENESS_COLUMNS = [
    "department",
    "month",
    "received",
    "expected",
    "missing",
    "pct_location_usable",
    "pct_method_usable",
    "flag",
]


def location_usable(
    location_type: pd.Series, description: pd.Series, sector: pd.Series | None = None
) -> pd.Series:
    """True where a record's location can be used: a known type *and* a place (text or sector).

    ``description`` is either the free text (usable when, lower-cased and stripped, it is not in
    :data:`UNUSABLE_TEXT` and holds at least three letters) or, as stored in the warehouse, the
    boolean result of that test made at ingest (``location_text_usable``).
    """
    if pd.api.types.is_bool_dtype(description):
        has_text = description.fillna(False).astype(bool)
    else:
        text = description.fillna("").astype(str).str.strip().str.lower()
        has_text = ~text.isin(UNUSABLE_TEXT) & (text.str.count(r"[a-z]") >= 3)
    if sector is not None:
        has_text = has_text | sector.notna()
    return (location_type.astype(str) != NOT_KNOWN) & has_text


def istv_completeness(
    submissions: pd.DataFrame,
    records: pd.DataFrame,
    *,
    until: pd.Timestamp | str | None = None,
    window: int = 12,
    min_history: int = 3,
    low_share: float = 0.5,
    quality_drop_points: float = 20.0,
) -> pd.DataFrame:
    """Completeness of ISTV data per department and month: received vs expected, and quality.

    Parameters
    ----------
    submissions : DataFrame
        Current submissions: ``site_code, month, records_loaded`` (one row per
        department-month that has a submission).
    records : DataFrame
        Current attendances: ``site_code, month, assault_method, location_type,
        location_text_usable`` (as stored) or ``location_description`` (free text);
        ``postcode_sector`` used when present.
    until : month, optional
        Last month to review (default: the latest month with any submission). Each department
        is reviewed from its first submission to ``until``.
    window : int, default 12
        Months of the department's own history used for the expectation.
    min_history : int, default 3
        Fewer months received than this before a month: no expectation (``<NA>``).
    low_share : float, default 0.5
        ``received < low_share × expected`` is flagged ``low_volume``.
    quality_drop_points : float, default 20
        ``pct_location_usable`` this many percentage points below the department's median over
        the same window is flagged ``quality_drop``.

    Returns
    -------
    DataFrame
        :data:`COMPLETENESS_COLUMNS`: ``received`` (``Int64``, ``<NA>`` when missing),
        ``expected`` (median of the department's previous ``window`` received months — months
        with data only, so a gap does not lower it), ``missing`` (bool), the two quality shares
        (percent, ``<NA>`` when nothing was received) and ``flag``: ``missing``, ``low_volume``,
        ``quality_drop``, ``no_history`` or ``ok`` (several joined by ``;``).

    Notes
    -----
    The expectation is a robust baseline (a rolling median, as in exception reporting for
    routine surveillance data, e.g. UKHSA/PHE syndromic surveillance methods) computed from the
    department's own history because departments differ tenfold in size.
    """
    need_s = {"site_code", "month", "records_loaded"}
    need_r = {"site_code", "month", "assault_method", "location_type"}
    for name, frame, need in (("submissions", submissions, need_s), ("records", records, need_r)):
        missing_cols = need - set(frame.columns)
        if missing_cols:
            raise InputError(f"`{name}` lacks column(s) {sorted(missing_cols)}")
    place = "location_text_usable" if "location_text_usable" in records.columns else None
    place = place or ("location_description" if "location_description" in records.columns else None)
    if place is None:
        raise InputError("`records` lacks column location_text_usable (or location_description)")
    if submissions.empty:
        return pd.DataFrame(columns=COMPLETENESS_COLUMNS)
    subs = submissions.assign(month=pd.to_datetime(submissions["month"]))
    recs = records.assign(month=pd.to_datetime(records["month"]))
    last = pd.Timestamp(until) if until is not None else subs["month"].max()
    sector = recs["postcode_sector"] if "postcode_sector" in recs.columns else None
    q = recs.assign(
        _loc=location_usable(recs["location_type"], recs[place], sector),
        _met=recs["assault_method"].astype(str) != NOT_KNOWN,
    )
    shares = q.groupby(["site_code", "month"])[["_loc", "_met"]].mean() * 100.0
    out: list[pd.DataFrame] = []
    for site, g in subs.groupby("site_code", sort=True):
        months = pd.date_range(g["month"].min(), max(last, g["month"].max()), freq="MS")
        got = g.set_index("month")["records_loaded"].reindex(months)
        frame = pd.DataFrame({"department": site, "month": months})
        frame["received"] = got.to_numpy()
        frame["missing"] = got.isna().to_numpy()
        sh = shares.loc[site] if site in shares.index.get_level_values(0) else None
        loc = sh["_loc"].reindex(months) if sh is not None else pd.Series(np.nan, index=months)
        met = sh["_met"].reindex(months) if sh is not None else pd.Series(np.nan, index=months)
        # a month received with zero records has no shares: leave NA
        frame["pct_location_usable"] = loc.to_numpy()
        frame["pct_method_usable"] = met.to_numpy()
        # baselines from previous months only (shift 1), months with data only
        prev_n = got.shift(1).rolling(window, min_periods=1).count()
        expected = got.shift(1).rolling(window, min_periods=1).median()
        expected[prev_n < min_history] = np.nan
        frame["expected"] = expected.to_numpy()
        base_loc = loc.shift(1).rolling(window, min_periods=1).median()
        base_loc[loc.shift(1).rolling(window, min_periods=1).count() < min_history] = np.nan
        flags: list[str] = []
        for r, e, lq, bl in zip(
            frame["received"],
            frame["expected"],
            frame["pct_location_usable"],
            base_loc,
            strict=True,
        ):
            f = []
            if pd.isna(r):
                f.append("missing")
            else:
                if pd.isna(e):
                    f.append("no_history")
                elif r < low_share * e:
                    f.append("low_volume")
                if pd.notna(lq) and pd.notna(bl) and lq < bl - quality_drop_points:
                    f.append("quality_drop")
            flags.append(";".join(f) or "ok")
        frame["flag"] = flags
        out.append(frame)
    res = pd.concat(out, ignore_index=True)[COMPLETENESS_COLUMNS]
    res["received"] = res["received"].astype("Int64")
    res["expected"] = res["expected"].round(1)
    res["pct_location_usable"] = res["pct_location_usable"].round(1)
    res["pct_method_usable"] = res["pct_method_usable"].round(1)
    return res


def completeness_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """JSON-ready rows of :func:`istv_completeness` (``month`` as ``YYYY-MM``, NA as None)."""
    f = frame.assign(month=pd.to_datetime(frame["month"]).dt.strftime("%Y-%m"))
    rows = []
    for rec in f.to_dict(orient="records"):
        rows.append(
            {
                k: (None if v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v)
                for k, v in rec.items()
            }
        )
    for r in rows:
        received = r["received"]
        r["received"] = None if received is None else int(str(received))
        r["missing"] = bool(r["missing"])
    return rows


# ----------------------------------------------------------------------------------------------
# Linkage: police violence with injury vs A&E assaults vs ambulance call-outs


LINKAGE_SOURCES = ("police", "ae", "ambulance")


@dataclass(frozen=True)
class LinkageResult:
    """Area × month counts from each source, their ratios, and per-area trends.

    Attributes
    ----------
    table : DataFrame
        ``area_code, month, police, ae, ambulance`` (``Int64``; ``<NA>`` where a source has no
        figure for that area-month — missing, not zero), ``ae_per_police``,
        ``ambulance_per_police`` (``<NA>`` where either side is missing or police is 0),
        ``hidden`` (A&E assaults not matched by police records, ``max(ae − police, 0)``, an
        upper-bound style indicator, not a count of people).
    trend : DataFrame
        Per area: totals of the last ``window`` months and the previous ``window`` months of
        each source, the two A&E/police ratios and their change.
    totals : dict
        Sum of each source over the table; equal to the sum of that source's input.
    """

    table: pd.DataFrame
    trend: pd.DataFrame
    totals: dict[str, int]
    method: str = (
        "outer join of area-month counts; ratios only where both counts exist; trend = last "
        "12 months vs the 12 before"
    )
    reference: str = (
        "Sutherland, Sivarajasingam & Shepherd (2002), Recording of community violence by "
        "medical and police services, Injury Prevention 8:246–247; Cardiff Model toolkit (CDC 2015)"
    )
    params: dict[str, object] = field(default_factory=dict)


def _counts(frame: pd.DataFrame | None, name: str) -> pd.DataFrame:
    cols = ["area_code", "month", "count"]
    if frame is None:
        return pd.DataFrame(columns=["area_code", "month", name])
    missing = set(cols) - set(frame.columns)
    if missing:
        raise InputError(
            f"`{name}` counts need columns area_code, month, count (lacks {sorted(missing)})"
        )
    if frame["count"].isna().any():
        raise InputError(
            f"`{name}` counts hold missing values: drop the rows (missing is not zero)"
        )
    f = frame.assign(month=pd.to_datetime(frame["month"]).dt.to_period("M").dt.to_timestamp())
    return (
        f.groupby(["area_code", "month"], as_index=False)["count"]
        .sum()
        .rename(columns={"count": name})
    )


def hidden_violence(
    police: pd.DataFrame | None,
    ae: pd.DataFrame | None,
    ambulance: pd.DataFrame | None,
    *,
    window: int = 12,
) -> LinkageResult:
    """Link police violence with injury, A&E assaults and ambulance call-outs by area and month.

    Parameters
    ----------
    police, ae, ambulance : DataFrame or None
        ``area_code, month, count`` each (several rows per area-month are summed). ``None`` when
        a source is not available.
    window : int, default 12
        Months in each half of the trend comparison.

    Returns
    -------
    LinkageResult

    Notes
    -----
    No row of any source is dropped: the join is outer, so each source's total in the result
    equals its input total (checked here; a mismatch raises). Ratios are not computed where a
    source is missing for that area-month, or police is zero.
    """
    parts = [_counts(police, "police"), _counts(ae, "ae"), _counts(ambulance, "ambulance")]
    table = parts[0]
    for p in parts[1:]:
        table = table.merge(p, on=["area_code", "month"], how="outer")
    for s in LINKAGE_SOURCES:
        table[s] = table[s].astype("Int64")
    table = table.sort_values(["area_code", "month"], ignore_index=True)
    pol = table["police"].astype("Float64")
    table["ae_per_police"] = (table["ae"].astype("Float64") / pol.where(pol > 0)).round(3)
    table["ambulance_per_police"] = (
        table["ambulance"].astype("Float64") / pol.where(pol > 0)
    ).round(3)
    table["hidden"] = (table["ae"] - table["police"]).clip(lower=0)
    totals = {s: int(table[s].sum()) for s in LINKAGE_SOURCES}
    for s, p in zip(LINKAGE_SOURCES, parts, strict=True):
        expect = int(p[s].sum()) if len(p) else 0
        if totals[s] != expect:  # pragma: no cover - a bug, not user input
            raise AssertionError(f"linkage lost {s} counts: {totals[s]} vs {expect}")
    trend = _trend(table, window)
    return LinkageResult(table=table, trend=trend, totals=totals, params={"window": window})


def _trend(table: pd.DataFrame, window: int) -> pd.DataFrame:
    cols = [
        "area_code",
        "police_last",
        "ae_last",
        "ambulance_last",
        "police_prev",
        "ae_prev",
        "ambulance_prev",
        "ratio_last",
        "ratio_prev",
        "ratio_change",
    ]
    if table.empty:
        return pd.DataFrame(columns=cols)
    end = table["month"].max()
    last_lo = end - pd.DateOffset(months=window - 1)
    prev_lo = end - pd.DateOffset(months=2 * window - 1)
    rows = []
    for area, g in table.groupby("area_code", sort=True):
        last = g[g["month"] >= last_lo]
        prev = g[(g["month"] >= prev_lo) & (g["month"] < last_lo)]

        def tot(frame: pd.DataFrame, s: str) -> object:
            v = frame[s]
            return pd.NA if v.isna().all() else int(v.sum())

        r = {"area_code": area}
        for s in LINKAGE_SOURCES:
            r[f"{s}_last"] = tot(last, s)
            r[f"{s}_prev"] = tot(prev, s)
        for half in ("last", "prev"):
            a, p = r[f"ae_{half}"], r[f"police_{half}"]
            r[f"ratio_{half}"] = (
                round(a / p, 3) if a is not pd.NA and p is not pd.NA and p else pd.NA
            )
        rl, rp = r["ratio_last"], r["ratio_prev"]
        r["ratio_change"] = round(rl - rp, 3) if rl is not pd.NA and rp is not pd.NA else pd.NA
        rows.append(r)
    return pd.DataFrame(rows, columns=cols)


def ae_only_hotspots(
    result: LinkageResult, *, min_ae: int = 10, min_ratio: float = 2.0
) -> pd.DataFrame:
    """Areas where A&E sees much more assault than police record (places police data misses).

    Areas with at least ``min_ae`` A&E assaults over the table and an A&E/police ratio of at
    least ``min_ratio`` (police 0 counts as infinite ratio), largest gap first.
    """
    t = result.table
    g = t.groupby("area_code").agg(ae=("ae", "sum"), police=("police", "sum"))
    g["gap"] = g["ae"] - g["police"]
    ratio = g["ae"].astype("Float64") / g["police"].astype("Float64").where(g["police"] > 0)
    g["ratio"] = ratio.round(2)
    keep = (g["ae"] >= min_ae) & ((g["police"] == 0) | (ratio >= min_ratio))
    return g[keep.fillna(False)].sort_values("gap", ascending=False).reset_index()


# ----------------------------------------------------------------------------------------------
# Location matching: the matching itself runs at ingest (vrkit.catalog.gazetteer), on the free
# text in memory; only the match is stored


def match_summary(departments: pd.Series, matches: pd.DataFrame) -> pd.DataFrame:
    """Matched and unmatched records per department (``department, records, matched,
    unmatched, pct_matched``)."""
    f = pd.DataFrame({"department": departments.to_numpy(), "m": matches["matched"].to_numpy()})
    g = f.groupby("department")["m"].agg(records="size", matched="sum").reset_index()
    g["unmatched"] = g["records"] - g["matched"]
    g["pct_matched"] = (100.0 * g["matched"] / g["records"]).round(1)
    return g

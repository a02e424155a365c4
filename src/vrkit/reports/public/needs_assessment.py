"""Public (disclosure-controlled) edition of a needs assessment.

See :data:`PUBLIC_METHOD` and :func:`make_public`: place × year counts, the printed deprivation
decile counts and the yearly totals form linked tables (:mod:`vrkit.disclosure.linked`) protected
together; local statistics of suppressed places and their neighbours are blanked, aggregate
statistics rounded.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

from vrkit.analysis import hotspots as hs
from vrkit.disclosure import sdc
from vrkit.disclosure.linked import (
    LinkedResult,
    LinkedTable,
    check_rule,
    column_table,
    disclosure_record,
    protect_linked,
    rule_description,
)
from vrkit.disclosure.tables import BLANKED_COL, SUPPRESSED_COL, add_blanked, mark_protected
from vrkit.reports.build.needs_assessment import NeedsAssessment

#: continuous local statistics: functions of a place's count *and its neighbours' counts*
LOCAL_VALUES = (
    "gi_star",
    "gi_z",
    "p_norm",
    "p_sim",
    "p_value",
    "p_adjusted",
    "lisa_i",
    "lisa_z",
    "lisa_p",
    "lisa_p_adjusted",
)
#: decimals of statistics computed from all places, in the public edition
PUBLIC_DECIMALS = {
    "gini": 2,
    "gini_adjusted": 2,
    "gini_ci_lower": 2,
    "gini_ci_upper": 2,
    "spearman": 3,
    "spearman_p": 3,
    "gi_star": 2,
    "gi_z": 2,
    "lisa_i": 2,
    "lisa_z": 2,
    "trend_z": 2,
    "trend_tau": 3,
    "trend_p": 3,
    "p_norm": 3,
    "p_sim": 3,
    "p_value": 3,
    "p_adjusted": 3,
    "lisa_p": 3,
    "lisa_p_adjusted": 3,
}
#: the public Lorenz curve: steps of the share of places, and decimals of the shares
LORENZ_STEP = 0.05
LORENZ_DECIMALS = 2
#: what the public edition does beyond the rule itself (printed under Methods)
PUBLIC_METHOD = (
    "Place counts (every year), IMD-decile counts and yearly totals are protected together "
    "(vrkit.disclosure.linked.protect_linked): a place's count is one figure in the list of "
    "places and in the total of its decile, so it is suppressed in both, and no suppressed "
    "figure can be worked out from totals. The rates of a deprivation domain's most and least "
    "deprived deciles are left blank when a place of that decile has a suppressed count (those "
    "deciles group places differently, so their totals could give a suppressed count away). A "
    "place whose count is suppressed has no published count, share or rank (in the top-places "
    "table it is listed last, unranked), and the continuous Gi* and Local Moran values (z, I, "
    "p-values), which are computed from its count, are blank for it and for its neighbours; "
    "hot/cold spot and LISA classes are kept (a class bounds a count, it never gives one). "
    "Rates and confidence intervals of suppressed decile counts are blank. Statistics "
    "computed from all places (concentration shares, Gini, persistence, the trend of the "
    "deprivation gap) are kept, rounded (Gini and correlations to 2–3 decimals, z-scores to 2; "
    "the Lorenz curve at 5 % steps of places, shares to whole percentage points), a precision "
    "at which they do not give any single place's count."
)


def _linked_tables(
    counts: pd.DataFrame,
    partitions: dict[str, pd.Series],
    shown: dict[str, set[tuple[int, int]]],
) -> list[LinkedTable]:
    """Linked count tables of a needs assessment (keys: see :func:`make_public`).

    Each table is one additive relation a reader can use: for every year, *the yearly total is
    the sum of the places' counts*; and for every partition (deprivation deciles of a domain)
    with printed group counts in that year (``shown[partition]``: ``(decile, year)``), *the
    yearly total is the sum of the printed deciles and the rest* (the rest: all other places,
    derivable by subtraction, so treated as published) and *each decile's (and the rest's)
    count is the sum of its places' counts*. Sums a report prints nowhere (a place over years)
    are no relation at all and are left out.
    """
    years = [int(y) for y in counts.columns]
    c = counts.round().astype("int64")
    c.columns = pd.Index(years)

    out: list[LinkedTable] = []
    for y in years:
        printed = {part: {d for d, yy in shown.get(part, set()) if yy == y} for part in partitions}
        printed = {k: v for k, v in printed.items() if v}
        if not printed:
            out.append(column_table(f"places/{y}", c[y], y, lambda p, y=y: ("c", p, y), ("yt", y)))
            continue
        for part, groups in printed.items():
            dec = partitions[part].reindex(c.index)
            labels = np.array(
                [int(v) if pd.notna(v) and int(v) in groups else "_rest" for v in dec],
                dtype=object,
            )
            grp = c[y].groupby(labels).sum()

            def gkey(d: Any, part: str = part, y: int = y) -> Any:
                return ("rest", part, y) if d == "_rest" else ("g", part, int(d), y)

            out.append(column_table(f"{part}/{y}", grp, y, gkey, ("yt", y)))
            for d in grp.index:
                out.append(
                    column_table(
                        f"{part}/{d}/{y}",
                        c.loc[labels == d, y],
                        y,
                        lambda p, y=y: ("c", p, y),
                        gkey(d),
                    )
                )
    return out


def _round(frame: pd.DataFrame, decimals: dict[str, int]) -> pd.DataFrame:
    if frame is None or frame.empty:
        return frame
    use = {c: d for c, d in decimals.items() if c in frame.columns}
    return frame.round(use)


def make_public(
    report: NeedsAssessment,
    rule: str = "lt10",
    *,
    weights: Any = None,
    partitions: dict[str, pd.Series] | None = None,
) -> NeedsAssessment:
    """The disclosure-controlled edition of a needs assessment (see :data:`PUBLIC_METHOD`).

    Parameters
    ----------
    report : NeedsAssessment
        As built (:func:`vrkit.reports.build.needs_assessment.build_needs_assessment`); not
        modified.
    rule : {"lt10", "nhs"}
        Small-count rule (:data:`vrkit.disclosure.sdc.RULES`).
    weights : sparse matrix, optional
        The contiguity weights the hot spots were computed with (rows in the order of
        ``report.data.places``); default the report's own (``spatial_weights``), recomputed
        when it has none.
    partitions : dict, optional
        Decile column → decile of each place (indexed by ``area_code``): the groups whose
        counts the report publishes (deprivation tables); default the report's own. Only used
        when the report has a deprivation profile.

    Returns
    -------
    NeedsAssessment
        With ``public=True``: suppressed counts and the figures derived from them are missing
        values, listed per row in ``suppressed``/``blanked``; ``published_counts`` holds the
        place × year table with ``"*"``; ``disclosure`` the ``disclosure_control`` record;
        ``sdc_result`` the linked protection (for audits).

    Notes
    -----
    Keys of the linked figures: ``("c", place, year)`` a place's count, ``("yt", year)`` the
    yearly total, ``("g", decile_column, decile, year)`` a decile's count; ``("pt", place)``,
    ``("gt", decile_column, decile)`` and ``("all",)`` sums over years (printed nowhere).
    """
    check_rule(rule)
    if weights is None:
        weights = report.spatial_weights
    if partitions is None:
        partitions = report.partitions
    rep = copy.copy(report)
    counts = report.data.counts
    latest = report.latest_year
    imd = "imd2019_decile"
    allparts = dict(partitions or {}) if not report.deprivation.empty else {}
    # Only the IMD deciles enter the protection: places within deciles within the yearly total
    # is a hierarchy, which table-by-table protection with linked margins keeps safe. The
    # domains group the same places differently; overlapping groupings can give a suppressed
    # count away by combining relations, so a domain's decile rate is published only when no
    # place of that decile is suppressed (below).
    parts = {imd: allparts[imd]} if imd in allparts else {}
    years = [int(y) for y in counts.columns]
    # printed IMD decile counts: all deciles in the latest year (profile), deciles 1 and 10
    # every year (gap trend)
    shown = {imd: {(d, latest) for d in range(1, 11)} | {(d, y) for d in (1, 10) for y in years}}
    result = protect_linked(_linked_tables(counts, parts, shown), rule)
    published: set[Any] = set()

    # place × year counts
    mask = pd.DataFrame(False, index=counts.index, columns=counts.columns)
    for key in result.status:
        if isinstance(key, tuple) and key[0] == "c" and key[1] in mask.index:
            mask.at[key[1], key[2]] = True
    published.update(("c", p, int(y)) for p in counts.index for y in counts.columns)
    pub = counts.round().astype("int64").astype(object).where(~mask, sdc.SUPPRESSED)
    rep.published_counts = pub.reset_index()

    # hot spots: counts of the latest year; local statistics of suppressed places and of
    # their neighbours are blank (they are computed from the suppressed count)
    if weights is None:
        weights = hs.contiguity_weights(report.data.places)
    codes = report.data.places["area_code"].to_numpy()
    supp_latest = mask[latest].reindex(codes).fillna(False).to_numpy(dtype=bool)
    near = supp_latest.copy()
    if supp_latest.any():
        w = weights.tocsr()
        near |= np.asarray(w[supp_latest].sum(axis=0)).ravel() != 0
        near |= np.asarray(w[:, supp_latest].sum(axis=1)).ravel() != 0
    near_codes = set(codes[near])

    def ck(rec: dict[str, Any]) -> Any:
        return ("c", rec["area_code"], latest)

    hot = mark_protected(report.hotspots, result, {"count": ck}, {}, published)
    hot = add_blanked(hot, hot["area_code"].isin(near_codes).to_numpy(), LOCAL_VALUES)
    rep.hotspots = _round(hot, PUBLIC_DECIMALS)

    sp = report.spacetime
    if not sp.empty:
        sp = sp.assign(**{SUPPRESSED_COL: "", BLANKED_COL: ""})
    rep.spacetime = _round(sp, PUBLIC_DECIMALS)

    # top places: suppressed places listed last, unranked; cumulative shares stop there
    top = mark_protected(
        report.top_places,
        result,
        {"count": ck},
        {"rank": ("count",), "share": ("count",), "cumulative_share": ("count",)},
        published,
    )
    if not top.empty:
        top = add_blanked(top, top["area_code"].isin(near_codes).to_numpy(), LOCAL_VALUES)
        hidden = top[SUPPRESSED_COL] != ""
        top = pd.concat([top[~hidden], top[hidden].sort_values("area_code")], ignore_index=True)
        after = (top[SUPPRESSED_COL] != "").cummax().to_numpy()
        top = add_blanked(top, after, ("cumulative_share",))
    rep.top_places = _round(top, PUBLIC_DECIMALS)

    # concentration: the yearly total is a protected figure; the rest is computed from all
    # places and published rounded (a total that is suppressed blanks the whole year)
    fixed = ("year", "places", "crimes", "n_bootstrap", "seed", "warnings")
    conc_stats = [c for c in report.concentration.columns if c not in fixed]
    con = mark_protected(
        report.concentration,
        result,
        {"crimes": lambda rec: ("yt", int(rec["year"]))},
        {c: ("crimes",) for c in conc_stats},
        published,
    )
    shares = {c: 3 for c in conc_stats if c.endswith(("share", "pct"))}
    rep.concentration = _round(con, {**PUBLIC_DECIMALS, **shares})
    lz = report.lorenz
    grid = np.round(np.arange(0, 1 + 1e-9, LORENZ_STEP), 2)
    rep.lorenz = pd.DataFrame(
        {
            "share_places": grid,
            **{
                c: np.round(np.interp(grid, lz["share_places"], lz[c]), LORENZ_DECIMALS)
                for c in lz.columns
                if c != "share_places"
            },
        }
    )
    if result.suppressed(("yt", latest)):
        rep.lorenz = rep.lorenz.iloc[0:0]
    rep.persistence = _round(report.persistence, PUBLIC_DECIMALS)

    # deprivation: decile counts of the latest year (and deciles 1 and 10 of every year)

    def gk(part: str, decile: int, year: int) -> Any:
        return ("g", part, decile, year) if part in parts else None

    hidden_latest = set(mask.index[mask[latest].to_numpy()])

    def domain_key(part: str, decile: int) -> Any:
        """A domain decile holding a suppressed place: its rate is not published."""
        if part in parts:
            return gk(part, decile, latest)
        groups = allparts.get(part)
        if groups is None:
            return None
        members = set(groups.index[groups == decile])
        return ("dom", part, decile) if members & hidden_latest else None

    class _Result:  # the domain keys above are "suppressed" by construction
        def suppressed(self, k: Any) -> bool:
            return k is not None and (k[0] == "dom" or result.suppressed(k))

    rep.deprivation = mark_protected(
        report.deprivation,
        result,
        {"count": lambda rec: gk(imd, int(rec["decile"]), latest)},
        {c: ("count",) for c in ("rate", "rate_lower", "rate_upper", "share_of_count")},
        published,
    )
    dom = report.deprivation_domains
    if not dom.empty:
        most = lambda rec: domain_key(rec["decile_column"], 1)  # noqa: E731
        least = lambda rec: domain_key(rec["decile_column"], 10)  # noqa: E731
        rep.deprivation_domains = mark_protected(
            dom,
            _Result(),  # type: ignore[arg-type]
            {},
            {
                "rate_most_deprived": (most,),
                "rate_least_deprived": (least,),
                "rate_ratio": (most, least),
                "rr_lower": (most, least),
                "rr_upper": (most, least),
            },
            published,
        )
    gap = report.gap_trend
    if not gap.empty:
        cm = lambda rec: gk(imd, 1, int(rec["period"]))  # noqa: E731
        cl = lambda rec: gk(imd, 10, int(rec["period"]))  # noqa: E731
        der: dict[str, tuple[Any, ...]] = {}
        for c in gap.columns:
            if c in ("period", "count_most", "count_least") or c.startswith("pop_"):
                continue
            der[c] = (
                ("count_most",)
                if "most" in c
                else ("count_least",)
                if "least" in c
                else ("count_most", "count_least")
            )
        rep.gap_trend = mark_protected(
            gap, result, {"count_most": cm, "count_least": cl}, der, published
        )
    gs = dict(report.gap_summary)
    if gs and (result.suppressed(gk(imd, 1, latest)) or result.suppressed(gk(imd, 10, latest))):
        for k in ("rate_ratio", "rr_lower", "rr_upper"):
            gs.pop(k, None)
    for k in ("annual_change", "change_lower", "change_upper", "trend_p", "dispersion"):
        if k in gs and gs[k] is not None:
            gs[k] = round(float(gs[k]), 3)
    rep.gap_summary = gs

    status = {k: v for k, v in result.status.items() if k in published}
    rep.public = True
    rep.sdc_rule = rule
    rep.sdc_result = result
    rep.disclosure = {
        **disclosure_record(rule, LinkedResult(result.tables, status, result.passes)),
        "method": PUBLIC_METHOD,
        "places_with_local_statistics_blanked": int(near.sum()),
    }
    rep.methods = [
        ("Disclosure control", rule_description(rule)),
        ("Public edition", PUBLIC_METHOD),
        *report.methods,
    ]
    return rep

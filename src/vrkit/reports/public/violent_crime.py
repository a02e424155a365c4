"""Public (disclosure-controlled) version of a Violent Crime Report.

:func:`make_public` takes a built :class:`~vrkit.reports.build.violent_crime.ViolentCrimeReport` and
returns a copy in which every count that could identify a small number of offences or victims is
suppressed, with the rule stated. The counts of the report form *linked* tables
(:mod:`vrkit.disclosure.linked`), protected together with :func:`vrkit.disclosure.sdc.protect`:

- for each year and for each breakdown (months of the report area; boroughs of London with the
  London total; wards of each borough with the borough total and a hidden "not located in a
  ward" row; years of the homicide table), two tables with margins:

  * homicide, violence with injury, violence without injury (+ any other VAP offences) whose
    row totals are **violence against the person** (in MPS data VAP is exactly their sum, so
    suppressing homicide alone would leak it), and
  * VAP, robbery, sexual offences, possession of weapons (+ all other crime) whose row totals
    are **total crime**;

- the homicide victims table as domestic/non-domestic, method and age splits of each year's
  total;
- the A&E and ambulance figures of the linkage section by month with their annual totals.

A figure is keyed by what it is (area, measure, year, month), so the same figure suppressed in
one table is suppressed in all. Rates, confidence intervals, changes, % changes, ranks, ratios
and p-values computed from a suppressed count are blanked; commentary never quotes one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable
from typing import Any

import pandas as pd

from vrkit.catalog.areas import LONDON_CODE
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
from vrkit.disclosure.tables import BLANKED_COL, SUPPRESSED_COL, mark_protected
from vrkit.reports.build.violent_crime import (
    KNIFE_KIND,
    KNIFE_RATE_MEASURE,
    ViolentCrimeReport,
    change_sentence,
    noun_of,
)
from vrkit.reports.public.cost_section import make_public_cost

H, VWI, W, V = (
    "homicide",
    "violence_with_injury",
    "violence_without_injury",
    ("violence_against_the_person"),
)
R, S, P, T = "robbery", "sexual_offences", "possession_of_weapons", "total_crime"
VAP_PARTS = (H, VWI, W)
CRIME_PARTS = (V, R, S, P)
#: derived columns blanked when the current-year count is suppressed
FROM_CURRENT = ("rate", "rate_lower", "rate_upper", "rank")
#: derived columns blanked when either year's count is suppressed
FROM_BOTH = (
    "change",
    "pct_change",
    "ratio",
    "ratio_lower",
    "ratio_upper",
    "pct_lower",
    "pct_upper",
    "p_value",
    "significant",
    "change_class",
)
NOT_LOCATED = "_not_located"

KeyFn = Callable[[Hashable, str], Hashable | None]
#: publication priority (higher = suppressed last) of each measure as a secondary suppression:
#: unpublished residuals first, then violence without injury, keeping violence with injury (the
#: measure mapped and alerted on) and VAP whenever the rules allow.
KEEP = {
    "_other_vap": 0.0,
    "_other_crime": 0.0,
    W: 1.0,
    R: 2.0,
    S: 2.0,
    P: 2.0,
    V: 3.0,
    T: 3.0,
    VWI: 4.0,
}


def _pair_tables(
    name: str,
    values: pd.DataFrame,
    key: KeyFn,
    total_key: Callable[[str], Hashable | None],
) -> list[LinkedTable]:
    """The VAP and total-crime tables of one breakdown (rows) and one year.

    ``values``: rows × measures (NaN = missing in the source). ``key(row, measure)`` and
    ``total_key(measure)`` give the keys of cells and of the Total row.
    """
    out = []
    for tag, parts, parent, resid in (
        ("vap", VAP_PARTS, V, "_other_vap"),
        ("crime", CRIME_PARTS, T, "_other_crime"),
    ):
        cols = [c for c in parts if c in values.columns]
        if parent not in values.columns or not cols:
            continue
        # rows with no figure at all this year (e.g. wards of a later vintage) are not part of
        # the table; a single missing cell is unknown to readers and kept as such
        values = values[values[[*cols, parent]].notna().any(axis=1)]
        if values.empty:
            continue
        # A cell missing in the source is counted as 0 and, in the model only, as published:
        # the unknown value then sits in the hidden residual row or column, which is never
        # published either. Treating more cells as known than readers know is conservative.
        raw = values[cols]
        tab = raw.fillna(0.0).astype(float)
        par = values[parent]
        tab[resid] = (par.fillna(tab.sum(axis=1)) - tab.sum(axis=1)).clip(lower=0).round()
        # the hidden "not located in a ward" row is never published and readers cannot
        # deduce it (it is the part of the borough total without a ward): unknown to them
        # (its zero cells are left as if known: a hidden zero needs no protection, and
        # forcing it would only cost published cells)
        unknown: set[tuple[Hashable, Hashable]] = set()
        if NOT_LOCATED in tab.index:
            row = tab.loc[NOT_LOCATED]
            unknown = {(NOT_LOCATED, c) for c in tab.columns if row[c] > 0}
            if row.sum() > 0:
                unknown.add((NOT_LOCATED, sdc.TOTAL))
        keys: dict[tuple[Hashable, Hashable], Hashable] = {}
        for r in tab.index:
            for c in cols:
                k = key(r, c)
                if k is not None:
                    keys[(r, c)] = k
            k = key(r, parent)
            if k is not None:
                keys[(r, sdc.TOTAL)] = k
        for c in cols:
            k = total_key(c)
            if k is not None:
                keys[(sdc.TOTAL, c)] = k
        k = total_key(parent)
        if k is not None:
            keys[(sdc.TOTAL, sdc.TOTAL)] = k
        keep = pd.DataFrame(
            [[KEEP.get(c, 2.0) for c in [*tab.columns, parent]]] * (len(tab) + 1),
            index=[*tab.index, sdc.TOTAL],
            columns=[*tab.columns, sdc.TOTAL],
        )
        out.append(LinkedTable(f"{name}/{tag}", tab.astype("int64"), keys, True, unknown, keep))
    return out


def _wide(frame: pd.DataFrame, index: str, year_col: str, measures: list[str]) -> pd.DataFrame:
    wide = frame.pivot(index=index, columns="measure", values=year_col)
    return wide.reindex(columns=measures).astype(float)


def _derived_map(current: str = "current", previous: str = "previous") -> dict[str, tuple]:
    d: dict[str, tuple[str, ...]] = {c: (current,) for c in FROM_CURRENT}
    d.update({c: (current, previous) for c in FROM_BOTH})
    return d


def make_public(report: ViolentCrimeReport, rule: str = "lt10") -> ViolentCrimeReport:
    """A disclosure-controlled copy of a Violent Crime Report.

    Parameters
    ----------
    report : ViolentCrimeReport
        As built (:func:`vrkit.reports.build.violent_crime.build_violent_crime_report`); not
        modified.
    rule : {"lt10", "nhs"}
        Small-count rule (:data:`vrkit.disclosure.sdc.RULES`).

    Returns
    -------
    ViolentCrimeReport
        With ``public=True``, suppressed counts as missing values listed in each row's
        ``suppressed`` column (derived figures in ``blanked``), the rule in ``notes`` and
        ``disclosure`` (the ``disclosure_control`` JSON object) and the audit in
        ``sdc_result``.
    """
    check_rule(rule)
    rep = copy.copy(report)
    X = report.area_code
    years = [report.year, report.compare_year]
    measures = list(report.measures)
    tables: list[LinkedTable] = []

    # months of the report area
    mon = report.monthly
    for y in years:
        v = _wide(mon[mon["year"] == y], "month_num", "count", measures)
        tables += _pair_tables(
            f"monthly/{y}",
            v,
            lambda r, m, y=y: ("m", X, m, y, int(r)),  # type: ignore[misc]
            lambda m, y=y: ("y", X, m, y),  # type: ignore[misc]
        )
    # boroughs of London
    if report.area_kind == "london" and not report.boroughs.empty:
        for y, col in ((report.year, "current"), (report.compare_year, "previous")):
            v = _wide(report.boroughs, "area_code", col, measures)
            tables += _pair_tables(
                f"boroughs/{y}",
                v,
                lambda r, m, y=y: ("y", r, m, y),  # type: ignore[misc]
                lambda m, y=y: ("y", LONDON_CODE, m, y),  # type: ignore[misc]
            )
    # wards of each borough, with the borough total and a hidden "not located" row
    if not report.wards.empty:
        btot: dict[tuple[str, str, int], float] = {}
        if report.area_kind == "london" and not report.boroughs.empty:
            for r in report.boroughs.itertuples():
                btot[(r.area_code, r.measure, report.year)] = r.current
                btot[(r.area_code, r.measure, report.compare_year)] = r.previous
        else:
            for r in report.headline.itertuples():
                btot[(X, r.measure, report.year)] = r.current
                btot[(X, r.measure, report.compare_year)] = r.previous
        wards = report.wards.assign(borough_code=report.wards["borough_code"].fillna("_none"))
        for b, g in wards.groupby("borough_code", sort=True):
            for y, col in ((report.year, "current"), (report.compare_year, "previous")):
                v = _wide(g, "area_code", col, measures)
                known = all((b, m, y) in btot for m in measures)
                if known:
                    tot = pd.Series({m: btot[(b, m, y)] for m in measures}, dtype=float)
                    row = (tot - v.sum(axis=0, min_count=1).fillna(0)).clip(lower=0)
                    v.loc[NOT_LOCATED] = row.round()
                tables += _pair_tables(
                    f"wards/{b}/{y}",
                    v,
                    lambda r, m, y=y, b=b: (  # type: ignore[misc]
                        ("u", b, m, y) if r == NOT_LOCATED else ("y", r, m, y)
                    ),
                    lambda m, y=y, b=b, known=known: (  # type: ignore[misc]
                        ("y", b, m, y) if known else None
                    ),
                )
    # homicide victims
    hom = report.homicide
    hom_splits = (
        ("dom", ["domestic", "non_domestic"], "total"),
        ("method", ["firearms", "knives"], "total"),
        ("age", ["under_25"], "total"),
        ("teen", ["teenagers"], "under_25"),
    )
    if not hom.empty:
        hv = hom.set_index("year")
        for tag, cols, parent in hom_splits:
            tab = hv[cols].astype(float).copy()
            tab["_rest"] = (hv[parent] - tab.sum(axis=1)).clip(lower=0)
            keys: dict[tuple[Hashable, Hashable], Hashable] = {}
            for yr in tab.index:
                for c in cols:
                    keys[(yr, c)] = ("h", X, c, int(yr))
                keys[(yr, sdc.TOTAL)] = ("h", X, parent, int(yr))
            tables.append(LinkedTable(f"homicide/{tag}", tab.astype("int64"), keys, True))
    # linkage: A&E and ambulance by month with annual totals
    lk = report.linkage
    if lk is not None and lk.loaded and not lk.monthly.empty:
        srcs = [s for s in ("ae", "ambulance") if lk.monthly[s].notna().any()]
        for y in years:
            g = lk.monthly[lk.monthly["year"] == y]
            g = g.set_index(g["month"].dt.month)
            if g.empty or not srcs:
                continue
            tab = g[srcs].astype("Float64")
            unknown: set[tuple[Hashable, Hashable]] = (
                set()
            )  # a month a source lacks is 0 in the model (see _pair_tables)
            keys = {(r, c): ("lm", X, c, y, int(r)) for r in tab.index for c in srcs}
            keys.update({(sdc.TOTAL, c): ("ly", X, c, y) for c in srcs})
            tables.append(
                LinkedTable(
                    f"linkage/{y}",
                    tab.fillna(0).astype("int64"),
                    keys,
                    True,
                    unknown,
                )
            )
    tables += _knife_tables(report)
    # alerts: observed counts of one month (no totals published)
    al = report.alerts
    if al is not None and not al.table.empty:
        tab = al.table.set_index("area_code")[["observed"]].astype("int64")
        mo = int(pd.Timestamp(al.month).month)
        tables.append(
            LinkedTable(
                "alerts",
                tab,
                {(a, "observed"): ("m", a, VWI, report.year, mo) for a in tab.index},
                False,
            )
        )

    result = protect_linked(tables, rule)
    published: set[Hashable] = set()
    dm = _derived_map()

    def yk(area: str | Callable[[dict[str, Any]], str], y: int) -> Callable[..., Hashable]:
        def f(rec: dict[str, Any]) -> Hashable:
            a = area(rec) if callable(area) else area
            return ("y", a, rec["measure"], y)

        return f

    rep.headline = mark_protected(
        report.headline,
        result,
        {"current": yk(X, report.year), "previous": yk(X, report.compare_year)},
        dm,
        published,
    )
    sents = []
    for r in rep.headline.to_dict("records"):
        if r[SUPPRESSED_COL]:
            sents.append(
                f"{r['label']}: {_years_of(r[SUPPRESSED_COL], report)} suppressed under the "
                "disclosure rule (a small count, or one that would reveal a small count), so no "
                "change is given."
            )
        else:
            sents.append(
                change_sentence(
                    r["label"],
                    r["current"],
                    r["previous"],
                    report.year,
                    report.compare_year,
                    noun=noun_of(r["measure"]),
                )
            )
    rep.headline["commentary"] = sents
    rep.monthly = mark_protected(
        report.monthly,
        result,
        {"count": lambda rec: ("m", X, rec["measure"], int(rec["year"]), int(rec["month_num"]))},
        {},
        published,
    )
    area = lambda rec: rec["area_code"]  # noqa: E731
    rep.boroughs = mark_protected(
        report.boroughs,
        result,
        {"current": yk(area, report.year), "previous": yk(area, report.compare_year)},
        dm,
        published,
    )
    rep.wards = mark_protected(
        report.wards,
        result,
        {"current": yk(area, report.year), "previous": yk(area, report.compare_year)},
        dm,
        published,
    )
    if not hom.empty:
        hcols = ["total", "firearms", "knives", "teenagers", "under_25", "domestic", "non_domestic"]
        rep.homicide = mark_protected(
            hom.astype({c: "float64" for c in hcols}),
            result,
            {c: _hkey(X, c) for c in hcols},
            {},
            published,
        )
    if lk is not None and lk.loaded and not lk.monthly.empty:
        lk2 = copy.copy(lk)
        mon2 = lk.monthly.copy()
        for c in ("police", "ae", "ambulance"):
            mon2[c] = mon2[c].astype("Float64")
        fields_m: dict[str, Callable[[dict[str, Any]], Hashable | None]] = {
            "police": lambda rec: ("m", X, VWI, int(rec["year"]), int(rec["month"].month)),
            "ae": lambda rec: ("lm", X, "ae", int(rec["year"]), int(rec["month"].month)),
            "ambulance": lambda rec: (
                "lm",
                X,
                "ambulance",
                int(rec["year"]),
                int(rec["month"].month),
            ),
        }
        der = {
            "ae_per_police": ("ae", "police"),
            "ambulance_per_police": ("ambulance", "police"),
        }
        lk2.monthly = mark_protected(mon2, result, fields_m, der, published)
        yr2 = lk.yearly.copy()
        for c in ("police", "ae", "ambulance"):
            yr2[c] = yr2[c].astype("Float64")
        lk2.yearly = mark_protected(
            yr2,
            result,
            {
                "police": lambda rec: ("y", X, VWI, int(rec["year"])),
                "ae": lambda rec: ("ly", X, "ae", int(rec["year"])),
                "ambulance": lambda rec: ("ly", X, "ambulance", int(rec["year"])),
            },
            der,
            published,
        )
        blanked = lk2.yearly[BLANKED_COL].str.contains("ae_per_police").any()
        if blanked:
            lk2.trend = {k: None for k in lk.trend}
        # a two-year total would give back a suppressed year from the other year
        lk2.totals = {
            s: (None if any(s in str(x).split(",") for x in lk2.yearly[SUPPRESSED_COL]) else v)
            for s, v in lk.totals.items()
        }
        rep.linkage = lk2
    if not report.knife_rates.empty:
        rep.knife_rates = mark_protected(
            report.knife_rates,
            result,
            {"count": lambda rec: ("y", _knife_area(rec), rec["measure"], int(rec["year"]))},
            {c: ("count",) for c in FROM_CURRENT},
            published,
        )
    if al is not None and not al.table.empty:
        al2 = copy.copy(al)
        mo = int(pd.Timestamp(al.month).month)
        al2.table = mark_protected(
            al.table.astype({"observed": "float64"}),
            result,
            {"observed": lambda rec: ("m", rec["area_code"], VWI, report.year, mo)},
            {"score": ("observed",), "p_value": ("observed",), "q_value": ("observed",)},
            published,
        )
        rep.alerts = al2

    status = {k: v for k, v in result.status.items() if k in published}
    result_pub = LinkedResult(result.tables, status, result.passes)
    rep.cost = make_public_cost(report.cost, rule, rep.headline)
    rep.public = True
    rep.sdc_rule = rule
    rep.sdc_result = result
    rep.disclosure = disclosure_record(rule, result_pub)
    rep.notes = [rule_description(rule), *report.notes]
    rep.caveats = [*report.caveats]
    return rep


def _knife_area(rec: dict[str, Any]) -> str:
    """Key area of a knife-rate row: London's row is the report's London figure."""
    return LONDON_CODE if rec["kind"] == "london" else str(rec["area_code"])


def _knife_tables(report: ViolentCrimeReport) -> list[LinkedTable]:
    """The knife crime figures (their own file, no additive link with the police measures):
    each headline figure of the report area on its own; in a London report the knife injury
    victims under 25 of every borough and Heathrow with London as their total (the rate
    table publishes them); in a borough report the London figure of the rate table."""
    out: list[LinkedTable] = []
    X = report.area_code
    hl = report.headline
    if "source_kind" not in hl.columns:
        return out
    k = report.knife_rates
    by_area = report.area_kind == "london" and not k.empty
    for r in hl[hl["source_kind"] == KNIFE_KIND].itertuples():
        for y, v in ((report.year, r.current), (report.compare_year, r.previous)):
            key = ("y", X, r.measure, y)
            if by_area and r.measure == KNIFE_RATE_MEASURE:
                parts = k[(k["year"] == y) & (k["kind"] != "london")].set_index("area_code")
                out.append(
                    column_table(
                        f"knife/{r.measure}/{y}",
                        parts["count"].astype("int64"),
                        r.measure,
                        lambda a, y=y, m=r.measure: ("y", a, m, y),
                        key,
                    )
                )
            else:
                cell = pd.DataFrame({r.measure: [int(v)]}, index=[X])
                out.append(
                    LinkedTable(f"knife/{r.measure}/{y}", cell, {(X, r.measure): key}, False)
                )
    if report.area_kind == "borough" and not k.empty:
        for rec in k[k["kind"] == "london"].to_dict("records"):
            cell = pd.DataFrame({rec["measure"]: [int(rec["count"])]}, index=[LONDON_CODE])
            key = ("y", LONDON_CODE, rec["measure"], int(rec["year"]))
            out.append(
                LinkedTable(
                    f"knife/london/{rec['year']}", cell, {(LONDON_CODE, rec["measure"]): key}, False
                )
            )
    return out


def _hkey(area: str, col: str) -> Callable[[dict[str, Any]], Hashable]:
    def f(rec: dict[str, Any]) -> Hashable:
        return ("h", area, col, int(rec["year"]))

    return f


def _years_of(fields: str, report: Any) -> str:
    ys = [str(report.year if f == "current" else report.compare_year) for f in fields.split(",")]
    return f"the {ys[0]} figure is" if len(ys) == 1 else f"the {' and '.join(ys)} figures are"

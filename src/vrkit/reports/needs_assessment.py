"""Strategic Needs Assessment analytics report: concentration, hotspots, persistence, deprivation.

``vrkit report needs-assessment --area London --years 2015-2021 --out DIR`` writes
``needs-assessment.html`` (one self-contained file: inline SVG charts and maps, no scripts, no
network), ``needs-assessment.xlsx`` (every table) and ``needs-assessment.gpkg`` (layers
``hotspots``, ``spacetime``, ``top_places`` for QGIS).

Everything is computed by the pure functions of :mod:`vrkit.analysis` (concentration, hotspots,
spacetime, deprivation) on frames read through named warehouse queries (:mod:`vrkit.store.queries`);
this module only assembles and renders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrkit import sdc
from vrkit.analysis import concentration as conc
from vrkit.analysis import deprivation as dep
from vrkit.analysis import hotspots as hs
from vrkit.analysis import spacetime as st
from vrkit.analysis.measures import availability_message, get_measure
from vrkit.errors import InputError
from vrkit.reports.protected_tables import BLANKED_COL, SUPPRESSED_COL, mark_protected
from vrkit.reports.public import (
    LinkedResult,
    LinkedTable,
    check_rule,
    disclosure_record,
    protect_linked,
    rule_description,
)
from vrkit.reports.tabular import write_xlsx as write_tables
from vrkit.store import queries
from vrkit.store.warehouse import Warehouse

LONDON_CODE = "E61000001"
#: geography -> (area_type of boundaries, annual source kind)
GEOGRAPHIES = {
    "lsoa": ("lsoa11", "mps_lsoa_annual_derived"),
    "ward": ("ward14", "mps_ward_annual_derived"),
}
DOMAINS = {
    "imd2019_decile": "Index of Multiple Deprivation",
    "imd2019_income_decile": "Income",
    "imd2019_employment_decile": "Employment",
    "imd2019_education_decile": "Education, skills and training",
    "imd2019_health_decile": "Health deprivation and disability",
    "imd2019_crime_decile": "Crime",
    "imd2019_barriers_decile": "Barriers to housing and services",
    "imd2019_living_environment_decile": "Living environment",
}
FORMATS = ("html", "xlsx", "gpkg")
HOT_CLASSES = {
    3: "Hot spot, 99 %",
    2: "Hot spot, 95 %",
    1: "Hot spot, 90 %",
    0: "Not significant",
    -1: "Cold spot, 90 %",
    -2: "Cold spot, 95 %",
    -3: "Cold spot, 99 %",
}


def parse_years(text: str) -> list[int]:
    """``"2015-2021"`` → [2015, …, 2021]; ``"2019"`` → [2019]; ``"2015,2017"`` → both."""
    try:
        out: list[int] = []
        for part in str(text).split(","):
            part = part.strip()
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                out += list(range(a, b + 1))
            elif part:
                out.append(int(part))
    except ValueError:
        raise InputError(
            f"cannot read years {text!r}", hint="Use e.g. 2015-2021 or 2019."
        ) from None
    if not out:
        raise InputError(f"no years in {text!r}")
    return sorted(set(out))


@dataclass(frozen=True)
class PlaceData:
    """Places (with geometry, EPSG:27700) and their annual counts for one area and geography."""

    places: Any  # GeoDataFrame: area_code, area_name, parent_code, geometry
    counts: pd.DataFrame  # index area_code, columns years (complete: no NaN)
    years: list[int]
    excluded_years: dict[int, str]
    dropped: dict[str, Any]
    dataset_ids: list[int]


def resolve_area(area: str) -> tuple[str, str]:
    """(area code, name): London or an MPS borough (name or GSS code)."""
    from vrkit.catalog.areas import resolve_borough

    if area.strip().lower() in {"london", "mps", LONDON_CODE.lower()}:
        return LONDON_CODE, "London"
    hit = resolve_borough(area)
    if hit is None or hit[2] != "lad":
        raise InputError(
            f"unknown area {area!r}", hint="Use London or an MPS borough name or E09 code."
        )
    if hit[0] == "E09000001":
        raise InputError("the City of London is not in MPS data (it has its own police force)")
    return hit[0], hit[1]


def load_places(
    wh: Warehouse, *, measure: str, geography: str, years: list[int], area_code: str = LONDON_CODE
) -> PlaceData:
    """Boundaries and annual counts of a measure; places or years with missing counts are left
    out and reported (``dropped``, ``excluded_years``), never treated as zero."""
    import geopandas as gpd
    import shapely

    if geography not in GEOGRAPHIES:
        raise InputError(
            f"unknown geography {geography!r}",
            hint="Use lsoa or ward (or grid for `vrkit hotspots`).",
        )
    area_type, kind = GEOGRAPHIES[geography]
    get_measure(measure)
    why_not = availability_message(measure, geography)
    if why_not:
        raise InputError(
            why_not,
            hint="Pick one of those geographies (--geography), or a whole-group measure "
            "such as violence_against_the_person (`vrkit measures` lists them).",
        )
    geo = queries.area_geometries(wh, area_type)
    if geo.empty:
        raise InputError(
            f"no {area_type} boundaries in the warehouse",
            hint="Ingest the boundary file first (vrkit ingest …/LSOA_2011_London_gen_MHW.shp).",
        )
    if area_code != LONDON_CODE:
        geo = geo[geo["parent_code"] == area_code]
        if geo.empty:
            raise InputError(f"no {area_type} areas found in {area_code}")
    counts = queries.annual_counts(wh, measure, source_kind=kind)
    if counts.empty:
        raise InputError(
            f"no {kind} counts of {measure} in the warehouse",
            hint=f"Ingest the {kind} files (vrkit ingest --all).",
        )
    wide = counts.groupby(["area_code", "year"])["count"].sum(min_count=1).unstack("year")
    reasons = counts.dropna(subset=["exclusion_reason"]).groupby("year")["exclusion_reason"].first()
    excluded: dict[int, str] = {}
    keep_years = []
    for y in years:
        if y not in wide.columns:
            excluded[y] = "not in the data"
        elif wide.loc[wide.index.isin(geo["area_code"]), y].isna().all():
            excluded[y] = str(reasons.get(y, "all counts missing"))
        else:
            keep_years.append(y)
    if not keep_years:
        raise InputError(f"none of the years {years} has counts", hint=f"Excluded: {excluded}")
    wide = wide.reindex(columns=keep_years)
    in_area = geo["area_code"].isin(wide.index)
    no_data = geo.loc[~in_area, "area_code"].tolist()
    sub = wide.reindex(geo.loc[in_area, "area_code"])
    partial = sub.index[sub.isna().any(axis=1)].tolist()
    sub = sub.dropna()
    geo = geo[geo["area_code"].isin(sub.index)].reset_index(drop=True)
    sub = sub.reindex(geo["area_code"])
    places = gpd.GeoDataFrame(
        geo[["area_code", "area_name", "parent_code"]],
        geometry=shapely.from_wkb(geo["geometry"].map(bytes).to_numpy()),
        crs="EPSG:27700",
    )
    dropped = {
        "places_without_counts": len(no_data),
        "places_without_counts_examples": no_data[:6],
        "places_with_missing_years": len(partial),
        "places_with_missing_years_examples": partial[:6],
    }
    ids = sorted({int(i) for i in counts["dataset_id"].dropna().unique()})
    return PlaceData(places, sub.astype(float), keep_years, excluded, dropped, ids)


@dataclass
class NeedsAssessment:
    """Everything the needs-assessment report shows, as frames (all downloadable)."""

    area_code: str
    area_name: str
    measure_id: str
    measure_label: str
    geography: str
    data: PlaceData
    concentration: pd.DataFrame
    lorenz: pd.DataFrame
    persistence: pd.DataFrame
    hotspots: pd.DataFrame
    spacetime: pd.DataFrame
    top_places: pd.DataFrame
    deprivation: pd.DataFrame
    deprivation_domains: pd.DataFrame
    gap_trend: pd.DataFrame
    gap_summary: dict[str, Any]
    methods: list[tuple[str, str]]
    warnings: list[str] = field(default_factory=list)
    datasets: pd.DataFrame | None = None
    #: public (disclosure-controlled) edition: see :func:`make_public`
    public: bool = False
    sdc_rule: str | None = None
    #: the ``disclosure_control`` record (rule, description, cells suppressed)
    disclosure: dict[str, Any] | None = None
    #: place × year counts as published (``"*"`` where suppressed); public edition only
    published_counts: pd.DataFrame | None = None
    #: the linked protection (for audits: :func:`vrkit.sdc.feasible_intervals`)
    sdc_result: Any = field(default=None, repr=False)

    @property
    def latest_year(self) -> int:
        return self.data.years[-1]


def _deciles(wh: Warehouse, codes: list[str]) -> pd.DataFrame:
    ids = list(DOMAINS)
    marks = ", ".join("?" for _ in ids)
    long = wh.query(
        f"""SELECT area_code, indicator_id, value FROM indicator_value
            WHERE indicator_id IN ({marks})""",
        ids,
    )
    if long.empty:
        return pd.DataFrame({"area_code": codes})
    wide = long.pivot_table(index="area_code", columns="indicator_id", values="value").reset_index()
    return wide[wide["area_code"].isin(codes)]


def _population_for(
    wh: Warehouse, years: list[int]
) -> tuple[dict[int, pd.DataFrame], dict[int, int]]:
    avail = (
        wh.query(
            """SELECT DISTINCT year(period_start) AS y FROM indicator_value
           WHERE indicator_id = 'population_all_ages' AND area_code LIKE 'E01%' ORDER BY 1"""
        )["y"]
        .astype(int)
        .tolist()
    )
    if not avail:
        return {}, {}
    used = {y: min(avail, key=lambda a: (abs(a - y), -a)) for y in years}
    pops = {
        a: queries.population(wh, year=a, level="lsoa")[["area_code", "population"]]
        for a in set(used.values())
    }
    return {y: pops[used[y]] for y in years}, used


def build_needs_assessment(
    wh: Warehouse,
    *,
    area: str = "London",
    years: list[int] | str = "2015-2021",
    measure: str = "violence_against_the_person",
    geography: str = "lsoa",
    permutations: int = hs.DEFAULT_PERMUTATIONS,
    seed: int = 1,
    adjust: str = "fdr",
    alpha: float = 0.05,
    n_bootstrap: int = 1000,
    public: bool = False,
    sdc_rule: str = "lt10",
) -> NeedsAssessment:
    """Compute the needs-assessment analytics for an area (London or a borough) and years.

    With ``public=True`` the report is the disclosure-controlled edition (:func:`make_public`,
    small-count rule ``sdc_rule``: ``lt10`` suppresses 1–9, ``nhs`` 1–7).

    Hot spot inference is the one default of every hot spot path
    (:data:`vrkit.analysis.hotspots.DEFAULT_INFERENCE`): analytic z-scores with FDR control;
    ``permutations > 0`` uses conditional permutations instead (with a warning when their
    p-value floor makes FDR flagging impossible).
    """
    if public:
        check_rule(sdc_rule)
    yrs = parse_years(years) if isinstance(years, str) else sorted(years)
    code, name = resolve_area(area)
    m = get_measure(measure)
    data = load_places(wh, measure=measure, geography=geography, years=yrs, area_code=code)
    warns: list[str] = []
    for y, why in data.excluded_years.items():
        warns.append(f"{y} left out: {why}")
    if data.dropped["places_without_counts"]:
        warns.append(
            f"{data.dropped['places_without_counts']} {geography.upper()}s have no counts in the "
            f"source and are left out (e.g. {', '.join(data.dropped['places_without_counts_examples'])})"
        )
    if data.dropped["places_with_missing_years"]:
        warns.append(
            f"{data.dropped['places_with_missing_years']} places miss a year's count and are left out"
        )
    counts = data.counts
    latest = data.years[-1]
    places = data.places

    # concentration by year
    rows = []
    for y in data.years:
        r = conc.concentration(counts[y].to_numpy(), n_bootstrap=n_bootstrap, seed=seed)
        d = r.to_frame().drop(columns=["method", "reference"])
        d.insert(0, "year", y)
        rows.append(d)
        warns += [f"{y}: {w}" for w in r.warnings]
    concentration = pd.concat(rows, ignore_index=True)
    lorenz = conc.lorenz_curve(counts[latest].to_numpy())
    long = counts.reset_index().melt(id_vars="area_code", var_name="year", value_name="count")
    persistence = conc.persistence(long, top=0.05) if len(data.years) >= 2 else pd.DataFrame()

    # hotspots (latest year)
    w = hs.contiguity_weights(places)
    gi = hs.gi_star(
        counts[latest].to_numpy(),
        w,
        ids=places["area_code"].to_numpy(),
        permutations=permutations,
        seed=seed,
        adjust=adjust,
        alpha=alpha,
    )
    lisa = hs.moran_local(
        counts[latest].to_numpy(),
        w,
        ids=places["area_code"].to_numpy(),
        permutations=permutations,
        seed=seed,
        adjust=adjust,
        alpha=alpha,
    )
    warns += list(gi.warnings)
    hot = gi.to_frame().merge(
        lisa.to_frame()[
            ["area_code", "lisa_i", "lisa_quadrant", "lisa_class", "p_adjusted"]
        ].rename(columns={"p_adjusted": "lisa_p_adjusted"}),
        on="area_code",
    )
    hot.insert(1, "area_name", places["area_name"].to_numpy())
    hot["gi_class"] = [HOT_CLASSES[int(b)] for b in hot["gi_bin"]]

    # space-time (all years kept)
    space = pd.DataFrame({"area_code": places["area_code"]})
    if len(data.years) >= st.MIN_STEPS_MK:
        per = long.rename(columns={"year": "period"})
        stg = st.gi_star_by_period(
            per, w, ids=places["area_code"].to_numpy(), adjust=adjust, alpha=alpha
        )
        ehsa = st.emerging_hotspots(stg.z, stg.p_adjusted, ids=stg.ids, alpha=alpha)
        sfh = st.classify_sfhotspot(stg.z, stg.p_value, ids=stg.ids)
        space = ehsa.to_frame().merge(
            sfh.to_frame()[["area_code", "hotspot_category"]], on="area_code"
        )
        warns += list(ehsa.warnings) + list(sfh.warnings)
    else:
        warns.append(
            f"space-time classes need at least {st.MIN_STEPS_MK} years; {len(data.years)} available"
        )
    space.insert(1, "area_name", places["area_name"].to_numpy())

    # deprivation
    codes = places["area_code"].tolist()
    dec = _deciles(wh, codes)
    pops, pop_used = _population_for(wh, data.years)
    deprivation = pd.DataFrame()
    domains = pd.DataFrame()
    gap = pd.DataFrame()
    gap_summary: dict[str, Any] = {}
    if geography == "lsoa" and "imd2019_decile" in dec.columns and pops:
        cl = counts[latest].rename("count").reset_index()
        prof = dep.by_decile(cl, dec, pops[latest])
        deprivation = prof.to_frame()
        gap_summary = {
            "rate_ratio": prof.rate_ratio,
            "rr_lower": prof.rr_lower,
            "rr_upper": prof.rr_upper,
            "year": latest,
            "population_year": pop_used[latest],
        }
        warns += list(prof.warnings)
        drows = []
        for col, label in DOMAINS.items():
            if col in dec.columns:
                p = dep.by_decile(cl, dec, pops[latest], decile_column=col)
                drows.append(
                    {
                        "domain": label,
                        "decile_column": col,
                        "rate_most_deprived": p.table.loc[0, "rate"],
                        "rate_least_deprived": p.table.loc[9, "rate"],
                        "rate_ratio": p.rate_ratio,
                        "rr_lower": p.rr_lower,
                        "rr_upper": p.rr_upper,
                    }
                )
        domains = pd.DataFrame(drows)
        if len(data.years) >= 3:
            pl = pd.concat([pops[y].assign(year=y) for y in data.years])
            try:
                tr = dep.gap_trend(long, dec, pl)
            except InputError as exc:
                warns.append(f"deprivation gap trend not computed: {exc.message}")
                tr = None
            if tr is not None:
                gap = tr.to_frame()
                gap_summary.update(
                    {
                        "annual_change": tr.annual_change,
                        "change_lower": tr.change_lower,
                        "change_upper": tr.change_upper,
                        "trend_p": tr.p_value,
                        "dispersion": tr.dispersion,
                    }
                )
    else:
        warns.append(
            "deprivation profile needs LSOAs with IMD 2019 deciles and population in the warehouse"
        )

    # top places
    k = math.ceil(0.05 * len(places))
    top = hot[["area_code", "area_name", "count", "gi_z", "p_adjusted", "hotspot_class"]].copy()
    top["borough"] = (
        places["parent_code"].map(_borough_names(wh)).fillna(places["parent_code"]).to_numpy()
    )
    top = top.sort_values(["count", "area_code"], ascending=[False, True]).head(k)
    total = counts[latest].sum()
    top.insert(0, "rank", np.arange(1, len(top) + 1))
    top["share"] = top["count"] / total
    top["cumulative_share"] = top["share"].cumsum()
    if not space.empty and "ehsa_category" in space.columns:
        top = top.merge(
            space[["area_code", "ehsa_category", "hotspot_category"]], on="area_code", how="left"
        )
    if "imd2019_decile" in dec.columns:
        top = top.merge(dec[["area_code", "imd2019_decile"]], on="area_code", how="left")

    methods = [
        ("Area", f"{name} ({code})"),
        ("Measure", f"{m.label} ({m.id})"),
        ("Geography", f"{geography} ({GEOGRAPHIES[geography][0]}), {len(places):,} places"),
        ("Years analysed", ", ".join(map(str, data.years))),
        (
            "Years left out",
            "; ".join(f"{y}: {r}" for y, r in data.excluded_years.items()) or "none",
        ),
        (
            "Concentration",
            "top x % = the ceil(x·n) places with most crime; Gini (standard) and generalised Gini (Bernasco & Steenbeek 2017)",
        ),
        ("Gini interval", f"percentile bootstrap, {n_bootstrap} replicates, seed {seed}"),
        (
            "Persistence",
            "overlap and Jaccard index of the top 5 % of places, Spearman rank correlation",
        ),
        (
            "Neighbours",
            "queen contiguity with a 1 m tolerance (generalised boundaries share no vertices)",
        ),
        (
            "Gi*",
            "binary weights, self-weight 1 (Getis & Ord 1992; Ord & Getis 1995); "
            + (
                f"{permutations} conditional permutations, seed {seed}, two-sided"
                if permutations
                else "analytic z-scores (moments under randomisation), two-sided"
            ),
        ),
        (
            "Local Moran's I",
            "row-standardised weights (Anselin 1995); "
            + ("same permutations" if permutations else "analytic z (Sokal et al. 1998)"),
        ),
        (
            "Multiple testing",
            f"{adjust} over the {len(places):,} places; alpha {alpha}"
            + (
                f"; permutation p-value floor {gi.params['p_value_floor']:.4g}"
                if permutations
                else ""
            ),
        ),
        ("Inference default", hs.DEFAULT_INFERENCE),
        ("Hot spot classes", "ArcGIS Gi_Bin: ±3 adjusted p ≤ 0.01, ±2 ≤ 0.05, ±1 ≤ 0.10"),
        (
            "Space-time",
            "Gi* (analytic) per year with the same neighbours, FDR within each year; Emerging Hot Spot Analysis rules (Esri) with Mann-Kendall on z; sfhotspot classes (defaults hotspot_prop 0.1, persistent_prop 0.8, recent_prop 0.2, critical_p 0.05, Holm across years)",
        ),
        (
            "Deprivation",
            "IMD 2019 deciles (1 = most deprived in England); crude rate per 1,000 residents with Byar CI; rate ratio decile 1 vs 10 with log-normal CI; trend: Poisson GLM with population offset, quasi-Poisson scale",
        ),
        (
            "Population",
            ", ".join(f"{y}→mid-{u}" for y, u in pop_used.items()) if pop_used else "not loaded",
        ),
    ]
    ds = queries.datasets_used(wh, data.dataset_ids)
    report = NeedsAssessment(
        code,
        name,
        m.id,
        m.label,
        geography,
        data,
        concentration,
        lorenz,
        persistence,
        hot,
        space,
        top.reset_index(drop=True),
        deprivation,
        domains,
        gap,
        gap_summary,
        methods,
        warns,
        ds,
    )
    if public:
        partitions: dict[str, pd.Series] = {}
        if geography == "lsoa" and not deprivation.empty:
            d = dec.set_index("area_code")
            partitions = {c: d[c] for c in DOMAINS if c in d.columns}
        return make_public(report, sdc_rule, weights=w, partitions=partitions)
    return report


def _borough_names(wh: Warehouse) -> dict[str, str]:
    n = queries.area_names(wh, ("lad",))
    return dict(zip(n["area_code"], n["area_name"], strict=True))


# ---------------------------------------------------------------------------------------------
# public edition (disclosure control)
# ---------------------------------------------------------------------------------------------

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
    "(vrkit.reports.public.protect_linked): a place's count is one figure in the list of "
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


def column_table(name: str, values: pd.Series, column: Any, key: Any, total: Any) -> LinkedTable:
    """One additive relation as a linked table: ``total`` = the sum of ``values``.

    ``key(label)`` is the key of each part, ``total`` the key of the sum. The table has one
    column; its row totals repeat the cells (same keys), so :func:`vrkit.sdc.protect` applies
    the relation only. Complementary suppressions are taken among the parts, not the total.
    """
    t = values.to_frame(name=column)
    keys: dict[tuple[Any, Any], Any] = {}
    for r in t.index:
        keys[(r, column)] = keys[(r, sdc.TOTAL)] = key(r)
    keys[(sdc.TOTAL, column)] = keys[(sdc.TOTAL, sdc.TOTAL)] = total
    keep = pd.DataFrame(1.0, index=[*t.index, sdc.TOTAL], columns=[column, sdc.TOTAL])
    keep.loc[sdc.TOTAL, :] = 3.0
    return LinkedTable(name, t, keys, True, set(), keep)


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


def _add_blanked(frame: pd.DataFrame, rows: np.ndarray, cols: tuple[str, ...]) -> pd.DataFrame:
    """Blank ``cols`` in the rows ``rows`` (bool) and list them in ``blanked``."""
    cols = tuple(c for c in cols if c in frame.columns)
    if not rows.any() or not cols:
        return frame
    out = frame.copy()
    for c in cols:
        out[c] = out[c].astype("float64").where(~rows, np.nan)
    out[BLANKED_COL] = [
        ",".join(dict.fromkeys([*(b.split(",") if b else []), *cols])) if r else b
        for b, r in zip(out[BLANKED_COL], rows, strict=True)
    ]
    return out


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
        Built with ``public=False``; not modified.
    rule : {"lt10", "nhs"}
        Small-count rule (:data:`vrkit.sdc.RULES`).
    weights : sparse matrix, optional
        The contiguity weights the hot spots were computed with (rows in the order of
        ``report.data.places``); recomputed when not given.
    partitions : dict, optional
        Decile column → decile of each place (indexed by ``area_code``): the groups whose
        counts the report publishes (deprivation tables). Only used when the report has a
        deprivation profile.

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
    import copy

    check_rule(rule)
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
    hot = _add_blanked(hot, hot["area_code"].isin(near_codes).to_numpy(), LOCAL_VALUES)
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
        top = _add_blanked(top, top["area_code"].isin(near_codes).to_numpy(), LOCAL_VALUES)
        hidden = top[SUPPRESSED_COL] != ""
        top = pd.concat([top[~hidden], top[hidden].sort_values("area_code")], ignore_index=True)
        after = (top[SUPPRESSED_COL] != "").cummax().to_numpy()
        top = _add_blanked(top, after, ("cumulative_share",))
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


# ---------------------------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------------------------


def write_needs_assessment(
    report: NeedsAssessment, out_dir: Path, *, formats: tuple[str, ...] | list[str] = FORMATS
) -> list[Path]:
    """Write the report files to ``out_dir``; returns their paths."""
    bad = set(formats) - set(FORMATS)
    if bad:
        raise InputError(f"unknown format(s) {sorted(bad)}", hint=f"Use {', '.join(FORMATS)}.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    if "gpkg" in formats:
        paths.append(write_gpkg(report, out_dir / "needs-assessment.gpkg"))
    if "xlsx" in formats:
        paths.append(write_xlsx(report, out_dir / "needs-assessment.xlsx"))
    if "html" in formats:
        p = out_dir / "needs-assessment.html"
        p.write_text(render_html(report), encoding="utf-8")
        paths.append(p)
    return paths


def tables(report: NeedsAssessment) -> dict[str, pd.DataFrame]:
    """Every table of the report by sheet name."""
    about = pd.DataFrame(report.methods, columns=["item", "value"])
    warn = pd.DataFrame({"warning": report.warnings})
    out = {
        "methods": about,
        "concentration": report.concentration,
        "lorenz": report.lorenz,
        "persistence": report.persistence,
        "hotspots": report.hotspots,
        "spacetime": report.spacetime,
        "top_places": report.top_places,
        "deprivation": report.deprivation,
        "deprivation_domains": report.deprivation_domains,
        "deprivation_gap_trend": report.gap_trend,
        "counts": (
            report.published_counts
            if report.public and report.published_counts is not None
            else report.data.counts.reset_index()
        ),
        "warnings": warn,
    }
    if report.datasets is not None:
        out["datasets"] = report.datasets
    if report.public:
        out = {"disclosure_control": disclosure_table(report), **out}
    return out


def disclosure_table(report: NeedsAssessment) -> pd.DataFrame:
    """The ``disclosure_control`` record as ``item, value`` rows (XLSX sheet, GPKG table)."""
    d = report.disclosure or {}
    return pd.DataFrame({"item": list(d), "value": [str(v) for v in d.values()]})


def _starred(frame: pd.DataFrame) -> pd.DataFrame:
    """A public table for files: suppressed counts as ``"*"``."""
    if SUPPRESSED_COL not in frame.columns or not (frame[SUPPRESSED_COL] != "").any():
        return frame
    f = frame.astype({c: object for c in frame.columns if c != SUPPRESSED_COL})
    for i, sup in zip(f.index, frame[SUPPRESSED_COL], strict=True):
        for col in filter(None, str(sup).split(",")):
            f.at[i, col] = sdc.SUPPRESSED
    return f


def write_xlsx(report: NeedsAssessment, path: Path) -> Path:
    """All tables, one sheet each; missing values are blank cells."""
    sheets = {
        name: (_starred(frame) if report.public else frame)
        for name, frame in tables(report).items()
    }
    write_tables(path, sheets, empty_note=None)
    return path


def write_gpkg(report: NeedsAssessment, path: Path) -> Path:
    """Layers ``hotspots`` (count, gi_z, p_value, p_adjusted, hotspot_class, lisa_i,
    lisa_quadrant, …), ``spacetime`` and ``top_places``, EPSG:27700.

    Public edition: suppressed counts and blanked figures are NULL, named in each feature's
    ``suppressed`` and ``blanked`` fields, and a table ``disclosure_control`` states the rule."""
    import geopandas as gpd

    if path.exists():
        path.unlink()
    geo = report.data.places[["area_code", "geometry"]]
    for layer, frame in (
        ("hotspots", report.hotspots),
        ("spacetime", report.spacetime),
        ("top_places", report.top_places),
    ):
        g = gpd.GeoDataFrame(
            geo.merge(frame, on="area_code"), geometry="geometry", crs="EPSG:27700"
        )
        g.to_file(path, layer=layer, driver="GPKG")
    if report.public:
        import pyogrio

        pyogrio.write_dataframe(
            disclosure_table(report), path, layer="disclosure_control", driver="GPKG"
        )
    return path


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

GI_COLOURS = {
    "Hot spot, 99 %": "#b2182b",
    "Hot spot, 95 %": "#ef8a62",
    "Hot spot, 90 %": "#fddbc7",
    "Not significant": "#f0f0f0",
    "Cold spot, 90 %": "#d1e5f0",
    "Cold spot, 95 %": "#67a9cf",
    "Cold spot, 99 %": "#2166ac",
}


def _features(
    report: NeedsAssessment, values: pd.DataFrame, fields: tuple[str, ...]
) -> list[dict[str, Any]]:
    import geopandas as gpd
    import shapely

    g = report.data.places
    geoms = shapely.simplify(g.geometry.to_numpy(), 20.0, preserve_topology=True)
    gs = gpd.GeoSeries(geoms, crs="EPSG:27700").to_crs("EPSG:4326")
    gs = gpd.GeoSeries(shapely.transform(gs.to_numpy(), lambda c: np.round(c, 5)), crs="EPSG:4326")
    merged = g[["area_code", "area_name"]].merge(
        values[["area_code", *fields]], on="area_code", how="left"
    )
    feats = []
    for (_, row), geom in zip(merged.iterrows(), gs, strict=True):
        props = {"area_code": row["area_code"], "area_name": row["area_name"]}
        props.update({f: (None if pd.isna(row[f]) else str(row[f])) for f in fields})
        feats.append(
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}
        )
    return feats


def _category_map(
    features: list[dict[str, Any]],
    field: str,
    colours: dict[str, str],
    title: str,
    subtitle: str,
    description: str,
) -> str:
    import altair as alt

    from vrkit.reports.charts import base_config
    from vrkit.reports.maps import GEO_DATASET, map_svg

    data = alt.NamedData(name=GEO_DATASET)
    chart = (
        alt.Chart(data)
        .mark_geoshape(stroke="#ffffff", strokeWidth=0.2)
        .encode(
            color=alt.Color(
                f"properties.{field}:N",
                title=None,
                scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                legend=alt.Legend(orient="right"),
            ),
        )
        .properties(
            width=620,
            height=470,
            title=alt.Title(title, subtitle=subtitle),
            projection=alt.Projection(type="mercator"),
        )
        .configure(**base_config())
    )
    return map_svg(chart, features, description=description)


EHSA_COLOURS = {
    "new hot spot": "#fee0d2",
    "consecutive hot spot": "#fcbba1",
    "intensifying hot spot": "#a50f15",
    "persistent hot spot": "#de2d26",
    "diminishing hot spot": "#fb6a4a",
    "sporadic hot spot": "#fc9272",
    "oscillating hot spot": "#f768a1",
    "historical hot spot": "#bcbddc",
    "new cold spot": "#deebf7",
    "consecutive cold spot": "#c6dbef",
    "intensifying cold spot": "#08519c",
    "persistent cold spot": "#3182bd",
    "diminishing cold spot": "#6baed6",
    "sporadic cold spot": "#9ecae1",
    "oscillating cold spot": "#74c476",
    "historical cold spot": "#d9d9d9",
    "no pattern detected": "#f7f7f7",
}


def _charts(report: NeedsAssessment) -> dict[str, str]:
    import altair as alt

    from vrkit.reports.charts import base_config, to_svg

    out: dict[str, str] = {}
    grid = np.linspace(0, 1, 201)  # the curve at 0.5 % steps keeps the SVG small
    lz = pd.DataFrame(
        {
            "share_places": grid,
            "share_crimes": np.interp(
                grid, report.lorenz["share_places"], report.lorenz["share_crimes"]
            ),
        }
    )
    lz_long = pd.concat(
        [
            lz.assign(line="Lorenz curve", y=lz["share_crimes"]),
            lz.assign(line="Equality", y=lz["share_places"]),
        ]
    )
    ch = (
        alt.Chart(lz_long)
        .mark_line()
        .encode(
            x=alt.X(
                "share_places:Q",
                title="Share of places (most crime first)",
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y(
                "y:Q", title=f"Share of {report.measure_label.lower()}", axis=alt.Axis(format="%")
            ),
            color=alt.Color(
                "line:N",
                title=None,
                scale=alt.Scale(domain=["Lorenz curve", "Equality"], range=["#1d70b8", "#b1b4b6"]),
            ),
        )
        .properties(
            width=520,
            height=340,
            title=f"Concentration of {report.measure_label.lower()}, {report.latest_year}",
        )
        .configure(**base_config())
    )
    out["lorenz"] = to_svg(ch, description="Lorenz curve of crime across places")
    c = report.concentration
    ch2 = (
        alt.Chart(c)
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title=None),
            y=alt.Y(
                "top_5pct_share:Q",
                title="Share in top 5 % of places",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(zero=True),
            ),
        )
        .properties(width=520, height=240, title="Share of crime in the top 5 % of places, by year")
        .configure(**base_config())
    )
    out["top5"] = to_svg(ch2, description="Share of crime in the top 5 % of places by year")
    if not report.deprivation.empty:
        d = report.deprivation
        bars = (
            alt.Chart(d)
            .mark_bar(color="#1d70b8")
            .encode(
                x=alt.X("decile:O", title="IMD 2019 decile (1 = most deprived)"),
                y=alt.Y("rate:Q", title="Rate per 1,000 residents"),
            )
        )
        err = (
            alt.Chart(d)
            .mark_rule(color="#0b0c0c")
            .encode(x="decile:O", y="rate_lower:Q", y2="rate_upper:Q")
        )
        ch3 = (
            alt.layer(bars, err)
            .properties(
                width=520,
                height=300,
                title=f"{report.measure_label} per 1,000 residents by deprivation, {report.latest_year}",
            )
            .configure(**base_config())
        )
        out["deprivation"] = to_svg(ch3, description="Rate by IMD decile with 95% intervals")
    feats = _features(report, report.hotspots, ("gi_class",))
    out["gi_map"] = _category_map(
        feats,
        "gi_class",
        GI_COLOURS,
        f"Gi* hot and cold spots, {report.latest_year}",
        f"classes on adjusted p-values, {len(report.hotspots):,} places",
        "Map of Gi* hot and cold spot classes",
    )
    if "ehsa_category" in report.spacetime.columns:
        feats2 = _features(report, report.spacetime, ("ehsa_category",))
        present = {
            k: v for k, v in EHSA_COLOURS.items() if k in set(report.spacetime["ehsa_category"])
        }
        out["ehsa_map"] = _category_map(
            feats2,
            "ehsa_category",
            present,
            "Persistent and emerging hot spots",
            f"Emerging Hot Spot Analysis, {report.data.years[0]}–{report.latest_year}",
            "Map of emerging hot spot categories",
        )
    return out


def _table_html(frame: pd.DataFrame, *, pct: tuple[str, ...] = (), digits: int = 3) -> str:
    if frame is None or frame.empty:
        return "<p>No data.</p>"
    sup_col = frame[SUPPRESSED_COL] if SUPPRESSED_COL in frame.columns else None
    frame = frame.drop(columns=[c for c in (SUPPRESSED_COL, BLANKED_COL) if c in frame.columns])
    head = "".join(f"<th scope='col'>{c}</th>" for c in frame.columns)
    body = []
    for i, row in frame.iterrows():
        cells = []
        starred = set(str(sup_col[i]).split(",")) if sup_col is not None else set()
        for c in frame.columns:
            v = row[c]
            if c in starred:
                txt, cls = sdc.SUPPRESSED, "n"
            elif c in ("year", "period", "period_from", "period_to", "rank", "decile") and not (
                isinstance(v, float | np.floating) and np.isnan(v)
            ):
                # labels, not quantities: no thousands separator (iterrows upcasts to float)
                txt, cls = str(int(v)) if isinstance(v, int | np.integer | float) else str(v), "n"
            elif isinstance(v, float | np.floating):
                if np.isnan(v):
                    txt, cls = "", "n"
                elif c in pct:
                    txt, cls = f"{100 * v:.1f} %", "n"
                elif float(v).is_integer() and abs(float(v)) > 10:
                    txt, cls = f"{v:,.0f}", "n"
                else:
                    txt, cls = f"{v:,.{digits}f}", "n"
            elif isinstance(v, int | np.integer):
                txt, cls = f"{v:,}", "n"
            else:
                txt, cls = ("" if v is None else str(v)), ""
            cells.append(f"<td class='{cls}'>{_esc(txt)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_html(report: NeedsAssessment) -> str:
    """The self-contained HTML report (inline SVG, no scripts, no external references)."""
    import jinja2

    from vrkit._version import __version__

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vrkit.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    tpl = env.get_template("needs_assessment.html.j2")
    charts = _charts(report)
    c = report.concentration
    conc_cols = [
        "year",
        "places",
        "crimes",
        "top_5pct_share",
        "top_10pct_share",
        "places_for_25pct",
        "places_for_50pct",
        "gini",
        "gini_adjusted",
        "gini_ci_lower",
        "gini_ci_upper",
    ]
    top = report.top_places.copy()
    return tpl.render(
        r=report,
        version=__version__,
        charts=charts,
        latest=c.iloc[-1].to_dict(),
        gd=2 if report.public else 3,
        conc_table=_table_html(
            c[[x for x in [*conc_cols, SUPPRESSED_COL] if x in c.columns]],
            pct=(
                "top_1pct_share",
                "top_5pct_share",
                "top_10pct_share",
                "places_for_25pct",
                "places_for_50pct",
            ),
        ),
        persistence_table=_table_html(report.persistence, pct=("overlap", "jaccard")),
        top_table=_table_html(top, pct=("share", "cumulative_share")),
        hot_counts=report.hotspots["gi_class"]
        .value_counts()
        .reindex(list(GI_COLOURS))
        .fillna(0)
        .astype(int)
        .to_dict(),
        ehsa_counts=(
            report.spacetime["ehsa_category"].value_counts().to_dict()
            if "ehsa_category" in report.spacetime
            else {}
        ),
        sfh_counts=(
            report.spacetime["hotspot_category"].value_counts().to_dict()
            if "hotspot_category" in report.spacetime
            else {}
        ),
        dep_table=_table_html(report.deprivation, pct=("share_of_count", "share_of_population")),
        domain_table=_table_html(report.deprivation_domains),
        gap_table=_table_html(report.gap_trend),
        gap=report.gap_summary,
        datasets_table=_table_html(
            report.datasets if report.datasets is not None else pd.DataFrame()
        ),
    )

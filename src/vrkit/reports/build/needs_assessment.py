"""Strategic Needs Assessment analytics report: concentration, hotspots, persistence, deprivation.

``vrkit report needs-assessment --area London --years 2015-2021 --out DIR`` writes
``needs-assessment.html`` (one self-contained file: inline SVG charts and maps, no scripts, no
network), ``needs-assessment.xlsx`` (every table) and ``needs-assessment.gpkg`` (layers
``hotspots``, ``spacetime``, ``top_places`` for QGIS).

Everything is computed by the pure functions of :mod:`vrkit.analysis` (concentration, hotspots,
spacetime, deprivation) on frames read through named warehouse queries (:mod:`vrkit.store.queries`,
:mod:`vrkit.store.places`); this module assembles them. The public edition is in
:mod:`vrkit.reports.public.needs_assessment`, the HTML, XLSX and GeoPackage in
:mod:`vrkit.reports.render.needs_assessment`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vrkit.analysis import concentration as conc
from vrkit.analysis import deprivation as dep
from vrkit.analysis import hotspots as hs
from vrkit.analysis import spacetime as st
from vrkit.catalog.areas import resolve_area
from vrkit.catalog.measures import get_measure
from vrkit.errors import InputError
from vrkit.store import queries
from vrkit.store.places import GEOGRAPHIES, PlaceData, load_places
from vrkit.store.warehouse import Warehouse

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
    #: public (disclosure-controlled) edition: see
    #: :func:`vrkit.reports.public.needs_assessment.make_public`
    public: bool = False
    sdc_rule: str | None = None
    #: the ``disclosure_control`` record (rule, description, cells suppressed)
    disclosure: dict[str, Any] | None = None
    #: place × year counts as published (``"*"`` where suppressed); public edition only
    published_counts: pd.DataFrame | None = None
    #: the linked protection (for audits: :func:`vrkit.disclosure.sdc.feasible_intervals`)
    sdc_result: Any = field(default=None, repr=False)
    #: spatial weights of the hot-spot statistics (the public edition blanks neighbours)
    spatial_weights: Any = field(default=None, repr=False)
    #: deprivation decile of each place per IMD domain (partitions the public edition protects)
    partitions: dict[str, pd.Series] = field(default_factory=dict, repr=False)
    #: the borough profile beyond crime (:func:`borough_profile`): PAS trust and confidence,
    #: school exclusion rates, with London (and England) alongside
    borough_profile: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: sources and periods of the borough profile, and what is not loaded
    borough_profile_notes: list[str] = field(default_factory=list)

    @property
    def latest_year(self) -> int:
        return self.data.years[-1]


def _deciles(wh: Warehouse, codes: list[str]) -> pd.DataFrame:
    wide = queries.indicator_values_wide(wh, list(DOMAINS))
    if len(wide.columns) == 1:
        return pd.DataFrame({"area_code": codes})
    return wide[wide["area_code"].isin(codes)]


def _population_for(
    wh: Warehouse, years: list[int]
) -> tuple[dict[int, pd.DataFrame], dict[int, int]]:
    avail = queries.population_years(wh)
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
) -> NeedsAssessment:
    """Compute the needs-assessment analytics for an area (London or a borough) and years.

    The public edition is :func:`vrkit.reports.public.needs_assessment.make_public` of the
    result (the task :func:`vrkit.tasks.needs_assessment` with ``public=True``).

    Hot spot inference is the one default of every hot spot path
    (:data:`vrkit.analysis.hotspots.DEFAULT_INFERENCE`): analytic z-scores with FDR control;
    ``permutations > 0`` uses conditional permutations instead (with a warning when their
    p-value floor makes FDR flagging impossible).
    """
    yrs = parse_years(years) if isinstance(years, str) else sorted(years)
    a = resolve_area(area)
    code, name = a.code, a.name
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
    report.borough_profile, report.borough_profile_notes = borough_profile(
        wh, code, report_year=latest
    )
    report.spatial_weights = w
    if geography == "lsoa" and not deprivation.empty:
        d = dec.set_index("area_code")
        report.partitions = {c: d[c] for c in DOMAINS if c in d.columns}
    return report


def _borough_names(wh: Warehouse) -> dict[str, str]:
    n = queries.area_names(wh, ("lad",))
    return dict(zip(n["area_code"], n["area_name"], strict=True))


#: the profile's school-exclusion rates (all state-funded schools)
EXCLUSION_RATES = ("perm_excl_rate", "fixed_excl_rate")
ENGLAND = "E92000001"
LONDON = "E12000007"


def borough_profile(
    wh: Warehouse, area_code: str, *, report_year: int | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Perceptions of the police and school exclusions for a borough (or every borough, for
    London), with London (and England) alongside, and notes giving sources and periods.

    Rows: ``topic, indicator, indicator_id, area_code, area_name, period, area_value,
    london_value, england_value, unit``. PAS: each of the eight MOPAC measures in its latest quarter, as a
    percentage of respondents; ``london_value`` is the MPS-wide value of the same quarter. Exclusions:
    the DfE permanent and fixed-period exclusion rates (all state-funded schools of the local
    authority) of the latest academic year; ``london_value`` is Inner + Outer London (rate from the
    summed counts), ``england_value`` the national rate. A source not loaded gives no rows and a note
    saying so (never an empty section without a reason).
    """
    from vrkit.catalog.areas import borough_names
    from vrkit.catalog.indicators import builtin_indicators
    from vrkit.store import core_data as q

    names = {**borough_names(), LONDON: "London"}
    is_london = area_code == LONDON
    areas = None if is_london else [area_code]
    cat = builtin_indicators().set_index("indicator_id")
    cols = [
        "topic",
        "indicator",
        "indicator_id",
        "area_code",
        "area_name",
        "period",
        "area_value",
        "london_value",
        "england_value",
        "unit",
    ]
    frames: list[pd.DataFrame] = []
    notes: list[str] = []

    pas = q.pas_measures(wh, area_codes=areas)
    pas = pas[pas["area_code"].str.startswith("E09")]
    if pas.empty and not is_london and not q.pas_measures(wh).empty:
        notes.append(
            f"Perceptions (MOPAC Public Attitude Survey): no values for "
            f"{names.get(area_code, area_code)}; the survey covers the Metropolitan Police "
            "area (the City of London has its own police force)."
        )
    elif pas.empty:
        notes.append(
            "Perceptions (MOPAC Public Attitude Survey): not loaded in this warehouse"
            + ("" if is_london else f" for {names.get(area_code, area_code)}")
            + ", so no trust and confidence measures here. Ingest "
            "mopac_pas/PAS_Dashboard_Borough.csv (`vrkit ingest --all`)."
        )
    else:
        pas = pas.assign(date=pd.to_datetime(pas["date"]))
        latest = pas.groupby("indicator_id")["date"].transform("max")
        last = pas[pas["date"] == latest]
        quarters = sorted({d.date().isoformat() for d in last["date"]})
        frames.append(
            pd.DataFrame(
                {
                    "topic": "Perceptions of the police (PAS)",
                    "indicator": last["indicator_id"].map(cat["name"]).str.removeprefix("PAS: "),
                    "indicator_id": last["indicator_id"],
                    "area_code": last["area_code"],
                    "area_name": last["area_code"].map(names),
                    "period": "quarter ending " + last["date"].dt.strftime("%d %b %Y"),
                    "area_value": 100 * last["value"],
                    "london_value": 100 * last["london"],
                    "england_value": np.nan,
                    "unit": "% of respondents",
                }
            )
        )
        notes.append(
            "Perceptions: MOPAC Public Attitude Survey, trust and confidence dashboard (London "
            f"Datastore), latest quarter ending {', '.join(quarters)}; the share of respondents "
            "giving the positive answer to each measure (the City of London is not surveyed: "
            "it has its own police force). London is the Metropolitan Police area value the "
            "file gives for the same quarter. Survey estimates: differences of a "
            "few points are within sampling error."
        )
    ex = q.exclusions(wh, area_codes=None if is_london else [area_code, LONDON, ENGLAND])
    if ex.empty or not (ex["area_code"].str.startswith("E09")).any():
        notes.append(
            "School exclusions (DfE): not loaded in this warehouse"
            + ("" if is_london or ex.empty else f" for {names.get(area_code, area_code)}")
            + ", so no exclusion rates here. Ingest "
            "dfe_exclusions/exclusions_by_geographic_level.zip (`vrkit ingest --all`)."
        )
    else:
        year = int(ex.loc[ex["area_code"].str.startswith("E09"), "year"].max())
        ey = ex[ex["year"] == year].set_index("area_code")
        la = ey[ey.index.str.startswith("E09")]
        if not is_london:
            la = la.loc[[c for c in [area_code] if c in la.index]]
        academic = f"{year}/{(year + 1) % 100:02d}"
        for col in EXCLUSION_RATES:
            iid = f"dfe_{col}"
            frames.append(
                pd.DataFrame(
                    {
                        "topic": "School exclusions (DfE)",
                        "indicator": cat.loc[iid, "name"],
                        "indicator_id": iid,
                        "area_code": la.index,
                        "area_name": la.index.map(names),
                        "period": f"academic year {academic}",
                        "area_value": la[col].to_numpy(),
                        "london_value": ey[col].get(LONDON, np.nan),
                        "england_value": ey[col].get(ENGLAND, np.nan),
                        "unit": "% of pupils",
                    }
                )
            )
        age = (
            f" It is the latest year in the file, {report_year - (year + 1)} years before "
            f"the latest year of this report ({report_year})."
            if report_year is not None and report_year > year + 1
            else ""
        )
        notes.append(
            "School exclusions: DfE, Permanent and fixed-period exclusions in England by "
            f"geographic level, academic year {academic} (1 Sep {year} to 31 Aug {year + 1}); "
            "exclusions as a percentage of pupils on roll in the local authority's state-funded "
            "schools (where pupils go to school, not where they live; a pupil may have several "
            "fixed-period exclusions). London is Inner + Outer London, its rate recomputed from "
            "the summed counts; England alongside." + age
        )
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    out = out[cols].sort_values(["topic", "indicator_id", "area_name"], kind="stable")
    return out.reset_index(drop=True), notes

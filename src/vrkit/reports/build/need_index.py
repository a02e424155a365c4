"""Need index report: rank areas for an intervention profile, explain and qualify the ranking.

:func:`assemble_indicators` reads a profile's indicators from the warehouse at one geography
(converting through the area links where needed, with the method recorded per indicator);
:func:`build_need_index_report` computes the index, its Monte Carlo rank intervals and the
normalisation sensitivity; :func:`vrkit.reports.render.need_index.write_need_index` writes the
ranked table (CSV/XLSX), a self-contained HTML report (choropleth and contribution chart as
inline SVG; no JavaScript, no CDN) and a GeoPackage for QGIS.

The public edition is built here (``public=True``), not applied afterwards: the index of a
public ranking is computed with the protected rates (:func:`protect_rates`, the method in
:mod:`vrkit.disclosure.rates`), so no score, rank or interval depends on a suppressed count.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vrkit.analysis.harmonise import aggregate_up, aggregation_kind
from vrkit.analysis.need_index import (
    NeedIndexResult,
    RankUncertaintyResult,
    SensitivityResult,
    effective_weights,
    heavy_indicators,
    need_index,
    normalisation_sensitivity,
    rank_uncertainty,
)
from vrkit.analysis.smoothing import SMOOTHINGS, smooth_rates
from vrkit.catalog.areas import borough_names
from vrkit.catalog.indicators import DERIVED, builtin_indicators
from vrkit.catalog.profiles import Profile
from vrkit.disclosure.linked import LinkedResult, check_rule, disclosure_record
from vrkit.disclosure.rates import protect_rates as protect_rates_of_counts
from vrkit.disclosure.tables import BLANKED_COL
from vrkit.errors import InputError
from vrkit.store import indicator_queries as iq
from vrkit.store.warehouse import Warehouse

#: geography name → area types tried in order (the first present in the warehouse is used)
GEOGRAPHIES: dict[str, tuple[str, ...]] = {
    "lsoa": ("lsoa11",),
    "ward": ("ward14_citymerged", "ward14", "ward18_citymerged", "ward18"),
    "borough": ("lad",),
}
#: crime sources by geography, in order of preference
CRIME_SOURCES: dict[str, tuple[str, ...]] = {
    "lsoa": ("mps_lsoa_annual_derived",),
    "ward": ("mps_ward_monthly", "mps_ward_annual_derived"),
    "borough": ("mps_borough_monthly", "mps_ward_monthly"),
}
FORMATS = ("csv", "xlsx", "html", "gpkg", "json")


@dataclass(frozen=True)
class IndicatorInputs:
    """A profile's indicators at one geography.

    Attributes
    ----------
    values : DataFrame
        Wide, indexed by ``area_code`` of the target areas; NaN where an area has no value.
    standard_errors : DataFrame
        Poisson standard errors of derived crime rates (bootstrap input); may have no columns.
    areas : DataFrame
        ``area_code, area_name, parent_code`` of the target areas.
    area_type : str
    how : dict
        indicator id → how its values were obtained (native, aggregated by which method,
        derived from which counts and population, period).
    meta : DataFrame
        ``indicator_id, name, unit, polarity, source, description`` of the indicators.
    """

    values: pd.DataFrame
    standard_errors: pd.DataFrame
    areas: pd.DataFrame
    area_type: str
    how: dict[str, str]
    meta: pd.DataFrame
    #: crime counts behind each derived crime rate (indicator id → counts by area_code)
    counts: dict[str, pd.Series] = field(default_factory=dict)
    #: population of the target areas used for the crime rates
    population: pd.Series | None = None
    #: crude (unsmoothed) crime rates, shown beside the smoothed ones used in the index
    raw_rates: dict[str, pd.Series] = field(default_factory=dict)
    #: per crime indicator and area: how the count was obtained (as published, from LSOAs...)
    count_how: dict[str, pd.Series] = field(default_factory=dict)
    #: smoothing of crime rates: spatial, global or none
    smoothing: str = "none"
    #: warnings from building the inputs (smoothing, geography)
    notes: list[str] = field(default_factory=list)
    #: crime indicator id → calendar year of its counts
    crime_years: dict[str, int] = field(default_factory=dict)
    #: indicators published for the target areas' parents only (e.g. DfE exclusion rates by
    #: local authority in a ward ranking): indicator id → the period of the values, as text.
    #: Their column in ``values`` is NaN; every area takes its parent's value in the index,
    #: flagged as imputed from the borough (``need_index(parent_level=...)``).
    parent_level: dict[str, str] = field(default_factory=dict)


def _target_type(wh: Warehouse, geography: str) -> str:
    if geography not in GEOGRAPHIES:
        raise InputError(f"unknown geography {geography!r}; use one of {', '.join(GEOGRAPHIES)}")
    present = set(iq.area_types(wh))
    for t in GEOGRAPHIES[geography]:
        if t in present:
            return t
    raise InputError(
        f"no {geography} areas in the warehouse (looked for area types "
        f"{', '.join(GEOGRAPHIES[geography])})",
        hint="Ingest the boundary files, e.g. London_Ward_CityMerged.shp for wards.",
    )


def _to_target(
    wh: Warehouse,
    vals: pd.DataFrame,
    target: pd.Index,
    *,
    kind: str,
    iid: str,
    geography: str,
) -> tuple[pd.Series, str]:
    """Values (``area_code, value``) moved to the target codes: native or via links."""
    codes = vals["area_code"].astype(str)
    native = codes.isin(target)
    if native.sum() >= 0.5 * len(target):
        s = vals.loc[native.to_numpy()].set_index("area_code")["value"].reindex(target)
        return s.astype(float), "as published for these areas"
    links = iq.links_between(wh, codes.tolist(), target.tolist())
    if links.empty:
        raise InputError(
            f"indicator {iid!r} is published for areas ({codes.iloc[0]}, …) that cannot be "
            f"converted to {geography} areas: no lookup links them",
            hint="Load the boundaries/lookups that link the two geographies, or rank at the "
            "indicator's own geography. Values are never spread down to smaller areas.",
        )
    pop = None
    if kind == "rate":
        pop = _population(wh, codes.tolist())
    agg = aggregate_up(
        vals[["area_code", "value"]],
        links,
        kind=kind,  # type: ignore[arg-type]
        population=pop,
        label=codes.iloc[0][:3] + " area",
    )
    s = agg.values.set_index("area_code")["value"].reindex(target)
    return s.astype(float), agg.method


def _population(wh: Warehouse, codes: list[str]) -> pd.DataFrame:
    """``area_code, population`` for ``codes`` from mid-year estimates, else ward profiles."""
    for iid in ("population_all_ages", "wp_population_2015"):
        p = iq.latest_values(wh, iid)
        p = p[p["area_code"].isin(codes)]
        if len(p) >= 0.9 * len(set(codes)):
            return p.rename(columns={"value": "population"})[["area_code", "population"]]
    raise InputError(
        "no population estimates for the areas being aggregated",
        hint="Ingest population/london-mid2019-pop.csv (or the ward profiles).",
    )


def _target_population(wh: Warehouse, target: pd.Index, geography: str) -> tuple[pd.Series, str]:
    for iid in ("population_all_ages", "wp_population_2015"):
        vals = iq.latest_values(wh, iid)
        if vals.empty:
            continue
        try:
            s, how = _to_target(wh, vals, target, kind="count", iid=iid, geography=geography)
        except InputError:
            continue
        if s.notna().mean() >= 0.9:
            period = pd.Timestamp(vals["period_start"].iloc[0]).year
            return s, f"{iid} ({period}; {how})"
    raise InputError(
        f"no population for the {geography} areas, so crime rates cannot be computed",
        hint="Ingest population/london-mid2019-pop.csv and the area links, or the ward profiles.",
    )


@dataclass(frozen=True)
class CrimeCounts:
    """Offence counts of one measure for every target area, with how each was obtained."""

    counts: pd.Series  # index area_code (target areas); NaN = no data
    how: pd.Series  # per area: "as published", "sum of LSOA counts", "apportioned ...", "no data"
    year: int
    source: str
    method: str


def _complete_year_counts(wh: Warehouse, measure: str, kind: str) -> dict[int, pd.Series]:
    """Year → counts per area for the years a source covers completely.

    Monthly sources: an area-year counts only with all 12 months present for that area (ward
    codes change mid-year when MPS re-codes to new boundaries, so a year can be complete for
    London and yet hold 8 months for some codes). A year is complete when at least 95 % of the
    areas present that year have all 12 months. Annual derived sources: cells flagged as
    excluded are NaN; a year whose cells are all excluded is left out.
    """
    from vrkit.store import queries

    out: dict[int, pd.Series] = {}
    if kind.endswith("annual_derived"):
        c = queries.annual_counts(wh, measure, source_kind=kind)
        for y, g in c.groupby("year"):
            if g["count"].notna().any():
                out[int(y)] = g.set_index("area_code")["count"].astype(float)
        return out
    c = queries.measure_counts(wh, measure, source_kind=kind)
    if c.empty:
        return out
    c = c[c["area_type"] != "pseudo"]
    c = c.assign(year=pd.to_datetime(c["month"]).dt.year)
    per = c.groupby(["year", "area_code"]).agg(n=("month", "nunique"), count=("count", "sum"))
    for y, g in per.groupby(level="year"):
        full = g["n"] == 12
        if full.mean() >= 0.95:
            out[int(y)] = g.loc[full.to_numpy(), "count"].droplevel("year").astype(float)
    return out


def _lsoa_year_counts(wh: Warehouse, majors: list[str]) -> dict[int, pd.Series]:
    """Year → LSOA counts of whole offence groups, for the years without excluded cells."""
    from vrkit.store import queries

    c = queries.annual_major_counts(wh, majors, source_kind="mps_lsoa_annual_derived")
    out: dict[int, pd.Series] = {}
    for y, g in c.groupby("year"):
        if g["count"].notna().all() and len(g):
            out[int(y)] = g.set_index("area_code")["count"].astype(float)
    return out


def _link_type_for(wh: Warehouse, codes: set[str], *, min_share: float = 0.0) -> str | None:
    """The ``lsoa11_ward…`` best-fit link type whose wards cover most of ``codes`` (None if
    none covers at least ``min_share`` of them)."""
    from vrkit.analysis.geography import WARD_TYPES
    from vrkit.store import queries

    best, n_best = None, 0
    for t in WARD_TYPES:
        links = queries.best_fit_links(wh, f"lsoa11_{t}")
        n = len(codes & set(links["parent_code"]))
        if n > n_best:
            best, n_best = f"lsoa11_{t}", n
    if not codes or n_best / len(codes) < max(min_share, 1e-12):
        return None
    return best


def crime_counts_for(
    wh: Warehouse,
    measure: str,
    geography: str,
    area_type: str,
    target: pd.Index,
    *,
    year: int | None = None,
) -> CrimeCounts:
    """Counts of a measure for every ``target`` area, from the finest data available.

    The source is the first of :data:`CRIME_SOURCES` with complete years; the year is ``year``
    or the latest complete one. Target areas with the source's own code take the published
    count. For ward vintages the source does not use (e.g. the 2014 wards of boroughs whose
    wards changed in 2018), counts come from the LSOA annual counts: summed to the target wards
    through the LSOA best fit where the measure is whole offence groups and that year's LSOA
    counts are valid, otherwise each published ward count is shared out over its LSOAs in
    proportion to the LSOA counts of the measure's offence group (the nearest valid year) and
    summed to the target wards (:func:`vrkit.analysis.harmonise.reallocate_counts`).
    """
    from vrkit.analysis.harmonise import reallocate_counts
    from vrkit.catalog.measures import get_measure
    from vrkit.store import queries

    m = get_measure(measure)
    if geography == "lsoa" and not m.whole_groups("mps"):
        raise InputError(
            f"{m.label} is not available for LSOAs: the LSOA files carry whole offence groups "
            f"(major categories) only, and {m.label.lower()} is part of "
            f"{', '.join(m.majors('mps'))}",
            hint="Rank at ward or borough level, or use a whole-group measure such as "
            "violence_against_the_person.",
        )
    for kind in CRIME_SOURCES[geography]:
        years = _complete_year_counts(wh, measure, kind)
        if kind == "mps_lsoa_annual_derived":
            years.pop(2020, None)  # the derived LSOA 2020 column is wrong (PROVENANCE)
        if not years:
            continue
        if year is not None and year not in years:
            continue
        if geography == "ward":
            # a year is usable when its ward codes are the target's or can be linked to
            # LSOAs (the 2022 ward codes have no boundaries here, so no link)
            usable = [
                yy
                for yy in sorted(years, reverse=True)
                if years[yy].index.isin(target).mean() >= 0.95
                or _link_type_for(wh, set(years[yy].index.astype(str)), min_share=0.9)
            ]
            if year is None and usable:
                years = {yy: years[yy] for yy in usable}
            elif year is not None and year not in usable:
                continue
        y = year if year is not None else max(years)
        src = years[y]
        source = f"{kind} calendar year {y}"
        source_df = pd.DataFrame({"area_code": src.index.astype(str), "value": src.to_numpy()})
        if geography != "ward":
            res = reallocate_counts(
                source_df, target, child_target=pd.DataFrame(columns=["child_code", "parent_code"])
            )
        else:
            child_target = queries.best_fit_links(wh, f"lsoa11_{area_type}")
            lsoa = _lsoa_year_counts(wh, m.majors("mps"))
            if child_target.empty or not lsoa:
                res = reallocate_counts(
                    source_df,
                    target,
                    child_target=pd.DataFrame(columns=["child_code", "parent_code"]),
                )
            elif m.whole_groups("mps") and y in lsoa:
                res = reallocate_counts(
                    source_df, target, child_target=child_target, child_counts=lsoa[y]
                )
            else:
                near = min(lsoa, key=lambda a: (abs(a - y), -a))
                lt = _link_type_for(wh, set(src.index.astype(str)))
                pop = queries.population(wh, year=near, level="lsoa")
                res = reallocate_counts(
                    source_df,
                    target,
                    child_target=child_target,
                    child_source=queries.best_fit_links(wh, lt) if lt else None,
                    ancillary=lsoa[near],
                    fallback=pop.set_index("area_code")["population"] if not pop.empty else None,
                )
                source += f"; LSOA shares from {', '.join(m.majors('mps'))} {near}"
        v = res.values.set_index("area_code")
        return CrimeCounts(
            counts=v["value"].reindex(target).astype(float),
            how=v["how"].reindex(target),
            year=y,
            source=source,
            method=res.method,
        )
    if year is not None:
        raise InputError(
            f"no complete {year} counts of {m.label.lower()} for {geography} areas",
            hint="Choose another year (--crime-year) or ingest the files covering it.",
        )
    raise InputError(
        f"no crime counts for {geography} areas in the warehouse",
        hint=f"Ingest one of: {', '.join(CRIME_SOURCES[geography])}.",
    )


def _neighbours(wh: Warehouse, area_type: str, target: pd.Index) -> Any:
    """Contiguity of the target areas (1 m tolerance), rows in ``target`` order; areas without
    a boundary have no neighbours."""
    import geopandas as gpd
    import shapely
    from scipy import sparse

    from vrkit.analysis.hotspots import contiguity_weights

    g = iq.area_geometries(wh, area_type)
    g = g[g["area_code"].isin(target)]
    if len(g) < 3:
        return sparse.csr_matrix((len(target), len(target)))
    places = gpd.GeoDataFrame(
        {"area_code": g["area_code"].to_numpy()},
        geometry=shapely.from_wkb(g["geometry"].map(bytes).to_numpy()),
        crs="EPSG:27700",
    )
    w = contiguity_weights(places).tocoo()
    pos = pd.Series(np.arange(len(target)), index=target)
    rows = pos.reindex(places["area_code"].to_numpy()).to_numpy()
    return sparse.csr_matrix((w.data, (rows[w.row], rows[w.col])), shape=(len(target), len(target)))


def assemble_indicators(
    wh: Warehouse,
    indicator_ids: Sequence[str],
    geography: str,
    *,
    crime_year: int | None = None,
    smoothing: str = "spatial",
    denominator: str = "residents",
) -> IndicatorInputs:
    """Read indicators from the warehouse at ``geography`` (``lsoa``, ``ward``, ``borough``).

    Loaded indicators are used as published when most target areas have a value, else
    aggregated up through the best-covering area links (:func:`aggregate_up`: summed for counts,
    population-weighted for rates and scores). Derived crime rates are recorded offences of the
    latest complete calendar year per 1,000 residents, with Poisson standard errors
    ``sqrt(count) / population × 1000``.

    Raises
    ------
    InputError
        Unknown geography, an indicator with no values, or one that cannot be converted.
    """
    area_type = _target_type(wh, geography)
    areas = iq.areas_of_type(wh, area_type)[["area_code", "area_name", "parent_code"]]
    target = pd.Index(areas["area_code"].astype(str), name="area_code")
    loaded = iq.indicator_catalogue(wh).set_index("indicator_id")
    builtin = builtin_indicators().set_index("indicator_id")
    cols: dict[str, pd.Series] = {}
    ses: dict[str, pd.Series] = {}
    how: dict[str, str] = {}
    meta_rows = []
    pop_cache: tuple[pd.Series, str] | None = None
    counts_used: dict[str, pd.Series] = {}
    raw_rates: dict[str, pd.Series] = {}
    count_how: dict[str, pd.Series] = {}
    crime_years: dict[str, int] = {}
    parent_level: dict[str, str] = {}
    smoothing_notes: list[str] = []
    neighbours = None
    if smoothing not in SMOOTHINGS:
        raise InputError(f"unknown smoothing {smoothing!r}; use {', '.join(SMOOTHINGS)}")
    if denominator not in ("residents", "workday"):
        raise InputError(f"unknown denominator {denominator!r}; use residents or workday")
    for iid in indicator_ids:
        if iid in DERIVED:
            d = DERIVED[iid]
            meta_rows.append((iid, d.name, d.unit, d.polarity, "vrkit (derived)", d.description))
            if d.recipe == "crime_rate":
                assert d.measure is not None
                cc = crime_counts_for(wh, d.measure, geography, area_type, target, year=crime_year)
                c = cc.counts
                if pop_cache is None:
                    pop_cache = _target_population(wh, target, geography)
                    if denominator == "workday":
                        wd = _workday_population(wh, target, pop_cache[0])
                        if wd is None:
                            raise InputError(
                                "--denominator workday needs the ward profiles' jobs (2013) "
                                "and residents in employment (2011) for these areas",
                                hint="Ingest other_london/ward-profiles-excel-version.csv, or "
                                "use the resident denominator (areas it misleads are flagged).",
                            )
                        pop_cache = (
                            wd,
                            "workday population ≈ residents − residents in employment (2011) "
                            "+ jobs (2013), ward profiles; " + pop_cache[1],
                        )
                pop, phow = pop_cache
                if neighbours is None and smoothing == "spatial":
                    neighbours = _neighbours(wh, area_type, target)
                sm = smooth_rates(
                    c,
                    pop,
                    neighbours=neighbours if smoothing == "spatial" else None,
                    smoothing=smoothing,  # type: ignore[arg-type]
                )
                t = sm.table
                cols[iid] = t["rate"].reindex(target)
                raw_rates[iid] = t["rate_raw"].reindex(target)
                counts_used[iid] = c
                count_how[iid] = cc.how
                crime_years[iid] = cc.year
                se_raw = 1000.0 * np.sqrt(c) / pop.where(pop > 0)
                shrink = t["shrinkage"].reindex(target) if smoothing != "none" else 1.0
                ses[iid] = se_raw * np.sqrt(shrink)
                how[iid] = (
                    f"offences ({cc.source}; {cc.method}) per 1,000 residents ({phow}); {sm.method}"
                )
                smoothing_notes += list(sm.warnings)
            else:
                assert d.numerator is not None and d.denominator is not None
                parts = []
                for sub in (d.numerator, d.denominator):
                    v = iq.latest_values(wh, sub)
                    if v.empty:
                        raise InputError(
                            f"indicator {iid!r} needs {sub!r}, which is not loaded",
                            hint="Ingest the population files.",
                        )
                    parts.append(
                        _to_target(wh, v, target, kind="count", iid=sub, geography=geography)
                    )
                cols[iid] = d.multiplier * parts[0][0] / parts[1][0].where(parts[1][0] > 0)
                how[iid] = f"{d.numerator} / {d.denominator} × {d.multiplier:g} ({parts[0][1]})"
            continue
        if iid not in loaded.index:
            hint = (
                f"It is a built-in indicator from {builtin.loc[iid, 'source']}; ingest that file."
                if iid in builtin.index
                else "Load it with `vrkit rank add-indicator` or check the id."
            )
            raise InputError(f"indicator {iid!r} has no values in the warehouse", hint=hint)
        row = loaded.loc[iid]
        meta_rows.append(
            (iid, row["name"], row["unit"], row["polarity"], row["source"], row["description"])
        )
        vals = iq.latest_values(wh, iid)
        p0 = pd.Timestamp(row["period_start"]).date()
        p1 = pd.Timestamp(row["period_end"]).date()
        if _published_for_parents(vals, areas, target):
            period = _period_label(p0, p1)
            cols[iid] = pd.Series(np.nan, index=target)
            parent_level[iid] = period
            how[iid] = (
                f"published for boroughs (local authorities) only, {period}: every "
                f"{_AREA_WORD.get(geography, geography)} takes its borough's value, flagged as "
                "imputed from the borough"
            )
            continue
        s, vhow = _to_target(
            wh, vals, target, kind=aggregation_kind(row["unit"]), iid=iid, geography=geography
        )
        cols[iid] = s
        how[iid] = f"{vhow}; period {p0} to {p1}"
    values = pd.DataFrame(cols, index=target)
    se = pd.DataFrame(ses, index=target)
    meta = pd.DataFrame(
        meta_rows, columns=["indicator_id", "name", "unit", "polarity", "source", "description"]
    )
    return IndicatorInputs(
        values,
        se,
        areas,
        area_type,
        how,
        meta,
        counts_used,
        pop_cache[0] if pop_cache is not None else None,
        raw_rates=raw_rates,
        count_how=count_how,
        smoothing=smoothing,
        notes=list(dict.fromkeys(smoothing_notes)),
        crime_years=crime_years,
        parent_level=parent_level,
    )


#: geography → how a sentence names one of its areas
_AREA_WORD = {"ward": "ward", "lsoa": "LSOA", "borough": "borough"}


def _published_for_parents(vals: pd.DataFrame, areas: pd.DataFrame, target: pd.Index) -> bool:
    """True when an indicator's values are for the target areas' parents (boroughs), not for
    the target areas: fewer than half the targets have a value of their own and the values
    cover at least half of the parents."""
    codes = set(vals["area_code"].astype(str))
    parents = set(areas["parent_code"].dropna().astype(str))
    if not parents or len(codes & set(target)) >= 0.5 * len(target):
        return False
    return len(codes & parents) >= 0.5 * len(parents)


def _period_label(start: object, end: object) -> str:
    """``academic year 2016/17 (2016-09-01 to 2017-08-31)`` for a September–August period,
    else ``period <start> to <end>``."""
    a, b = pd.Timestamp(start), pd.Timestamp(end)
    if a.month == 9 and a.day == 1 and b.month == 8 and b.year == a.year + 1:
        return f"academic year {a.year}/{(a.year + 1) % 100:02d} ({a.date()} to {b.date()})"
    return f"period {a.date()} to {b.date()}"


@dataclass(frozen=True)
class NeedIndexReport:
    """Everything the need-index outputs show (all tables are DataFrames)."""

    profile: Profile
    geography: str
    inputs: IndicatorInputs
    index: NeedIndexResult
    uncertainty: RankUncertaintyResult
    sensitivity: SensitivityResult
    table: pd.DataFrame
    top_n: int
    params: dict[str, Any] = field(default_factory=dict)
    #: public (disclosure-controlled) edition: see :func:`protect_rates`
    public: bool = False
    sdc_rule: str | None = None
    disclosure: dict[str, Any] | None = None
    #: area × indicator: True where a crime rate came from a suppressed count
    blanked: pd.DataFrame | None = None
    sdc_result: Any = field(default=None, repr=False)
    #: ``area_code, area_name, geometry`` (WKB, EPSG:27700) of the ranked area type, for maps
    #: and the GeoPackage (empty when no boundaries are loaded)
    geometry: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    #: what the ranking is built on that a reader must see first: an optional indicator left
    #: out because its source is not loaded; an indicator published for boroughs only (its
    #: period and age). Also in ``inputs.notes``; shown as key points and by ``vrkit rank``.
    statements: tuple[str, ...] = ()


def build_need_index_report(
    wh: Warehouse,
    profile: Profile,
    *,
    geography: str = "ward",
    top_n: int = 20,
    normalisation: str | None = None,
    aggregation: str | None = None,
    missing: str = "auto",
    n_draws: int = 1000,
    perturbation: str = "uniform",
    spread: float = 0.25,
    bootstrap: bool = True,
    seed: int = 0,
    public: bool = False,
    sdc_rule: str = "lt10",
    crime_year: int | None = None,
    smoothing: str = "spatial",
    denominator: str = "residents",
) -> NeedIndexReport:
    """Rank the areas of ``geography`` for ``profile`` (see module docstring).

    ``normalisation`` and ``aggregation`` default to the profile's; ``missing`` defaults to
    ``"auto"``: a missing value of a heavily weighted indicator is imputed from the borough
    with a flag (an area whose borough has none is not ranked), other gaps reweighted with a
    flag; every area ranked on partial data is listed (``index.partial``, the ``data_note``
    column). Crime rates are empirical Bayes smoothed (``smoothing``: ``spatial``, ``global`` or
    ``none``) with the crude rate alongside; ``crime_year`` picks the year of the crime counts
    (default: the latest complete year).
    ``public=True`` builds the disclosure-controlled edition (:func:`protect_rates`, rule
    ``sdc_rule``: ``lt10`` or ``nhs``).
    """
    if public:
        check_rule(sdc_rule)
    norm = normalisation or profile.normalisation
    agg = aggregation or profile.aggregation
    profile, left_out = _drop_unloaded_optional(wh, profile)
    if public and smoothing == "spatial":
        # a spatially smoothed rate mixes the neighbours' counts, so it could reveal a
        # suppressed neighbour; the global estimator uses only the area's own count and
        # London-wide moments
        smoothing = "global"
    inputs = assemble_indicators(
        wh,
        profile.indicator_ids,
        geography,
        crime_year=crime_year,
        smoothing=smoothing,
        denominator=denominator,
    )
    statements = [*left_out, *_parent_level_notes(inputs, geography)]
    if statements:
        inputs = dataclasses.replace(inputs, notes=[*statements, *inputs.notes])
    blanked: pd.DataFrame | None = None
    sdc_result = None
    if public:
        inputs, blanked, sdc_result = protect_rates(inputs, sdc_rule)
    values = inputs.values
    all_missing = values.isna().all(axis=0) & ~values.columns.isin(list(inputs.parent_level))
    if all_missing.any():
        bad = values.columns[all_missing.to_numpy()][0]
        raise InputError(
            f"indicator {bad!r} has no value for any {geography} area ({inputs.how[bad]})",
            hint="Check that its source covers these areas and vintage.",
        )
    kwargs: dict[str, Any] = {
        "normalisation": norm,
        "aggregation": agg,
        "domain_weights": profile.domain_weights,
        "missing": missing,
    }
    if inputs.parent_level:
        kwargs["parent_level"] = list(inputs.parent_level)
    need_parent = missing == "impute_parent" or bool(inputs.parent_level)
    if missing == "auto" and not need_parent:
        heavy = heavy_indicators(
            profile.indicators, effective_weights(profile.indicators, profile.domain_weights)
        )
        need_parent = bool(heavy) and bool(values[heavy].isna().to_numpy().any())
    if need_parent and geography != "borough":
        crime_years = sorted({int(y) for y in _crime_years(inputs)})
        try:
            parent_inputs = assemble_indicators(
                wh,
                profile.indicator_ids,
                "borough",
                crime_year=crime_years[0] if crime_years else None,
                smoothing="none",
            )
        except InputError:  # the boroughs lack that year: their latest complete one
            try:
                parent_inputs = assemble_indicators(
                    wh, profile.indicator_ids, "borough", smoothing="none"
                )
            except InputError:
                parent_inputs = None
        kwargs["parent_of"] = inputs.areas.set_index("area_code")["parent_code"]
        if parent_inputs is None and missing == "auto":
            # no borough values at all: areas missing a heavily weighted indicator are not
            # ranked (listed with the reason), never reweighted silently
            kwargs["parent_values"] = pd.DataFrame(
                np.nan, index=pd.Index([], name="area_code"), columns=values.columns
            )
        elif parent_inputs is None:
            what = (
                f"indicators published for boroughs only ({', '.join(inputs.parent_level)})"
                if inputs.parent_level
                else "missing='impute_parent'"
            )
            raise InputError(
                f"{what} need(s) borough values, and none could be assembled",
                hint="Ingest the borough files, or choose another missing-data policy.",
            )
        else:
            kwargs["parent_values"] = parent_inputs.values
    index = need_index(values, profile.indicators, **kwargs)
    se = inputs.standard_errors if bootstrap and not inputs.standard_errors.empty else None
    if se is not None:
        # a value imputed from the borough has no sampling error of its own: held fixed
        se = se.where(values.reindex(columns=se.columns).notna(), 0.0)
    unc = rank_uncertainty(
        values,
        profile.indicators,
        **kwargs,
        n_draws=n_draws,
        perturbation=perturbation,  # type: ignore[arg-type]
        spread=spread,
        top_n=top_n,
        seed=seed,
        standard_errors=se.reindex(index.scores.index) if se is not None else None,
    )
    sens_kwargs = {k: v for k, v in kwargs.items() if k != "normalisation"}
    sens = normalisation_sensitivity(
        values, profile.indicators, baseline=norm, top_n=top_n, **sens_kwargs
    )
    names = inputs.areas.set_index("area_code")["area_name"]
    parents = inputs.areas.set_index("area_code")["parent_code"]
    bnames = borough_names()
    t = index.scores.join(unc.table.drop(columns="rank"))
    table = pd.DataFrame(
        {
            "area_code": t.index,
            "area_name": names.reindex(t.index).to_numpy(),
            "rank": t["rank"].to_numpy(),
            "score": t["score"].to_numpy(),
            "rank_low": t["rank_low"].to_numpy(),
            "rank_high": t["rank_high"].to_numpy(),
            "p_top_n": t["p_top_n"].to_numpy(),
            "borough_code": parents.reindex(t.index).to_numpy(),
            "borough_name": parents.reindex(t.index).map(bnames).to_numpy(),
            "indicators_used": t["indicators_used"].to_numpy(),
            "indicators_imputed": t["indicators_imputed"].to_numpy(),
            "data_note": _data_notes(index, t.index, inputs),
        }
    )
    for iid, raw in inputs.raw_rates.items():
        table[f"rate_{iid}"] = inputs.values[iid].reindex(t.index).to_numpy()
        table[f"raw_rate_{iid}"] = raw.reindex(t.index).to_numpy()
    flags = _denominator_flags(wh, inputs)
    table["denominator_flag"] = flags.reindex(t.index).fillna("").to_numpy()
    contrib = index.contributions.reindex(t.index)
    disclosure = None
    if public:
        assert blanked is not None
        b = blanked.reindex(index=t.index, columns=contrib.columns, fill_value=False)
        contrib = contrib.mask(b)
        for iid in inputs.raw_rates:
            if iid in b.columns:
                for col in (f"rate_{iid}", f"raw_rate_{iid}"):
                    table[col] = table[col].mask(b[iid].to_numpy())
        n_blank = int(b.to_numpy().sum())
        disclosure = {
            **disclosure_record(sdc_rule, sdc_result),
            "method": PUBLIC_METHOD,
            "values_blanked": n_blank,
        }
    contrib = contrib.add_prefix("contrib_")
    table = pd.concat([table, contrib.reset_index(drop=True)], axis=1)
    if public:
        assert blanked is not None
        b = blanked.reindex(index=t.index, fill_value=False)
        table[BLANKED_COL] = [
            ",".join(
                f"{pre}{c}"
                for c in b.columns[row]
                for pre in (
                    ("contrib_", "rate_", "raw_rate_") if c in inputs.raw_rates else ("contrib_",)
                )
            )
            for row in b.to_numpy(dtype=bool)
        ]
    return NeedIndexReport(
        profile=profile,
        geography=geography,
        inputs=inputs,
        index=index,
        uncertainty=unc,
        sensitivity=sens,
        table=table,
        top_n=top_n,
        params={
            **unc.params,
            "n_draws": n_draws,
            "seed": seed,
            "bootstrap": se is not None,
            "area_type": inputs.area_type,
            "profile_version": profile.version,
        },
        public=public,
        sdc_rule=sdc_rule if public else None,
        disclosure=disclosure,
        blanked=blanked,
        sdc_result=sdc_result,
        geometry=iq.area_geometries(wh, inputs.area_type),
        statements=tuple(statements),
    )


def _drop_unloaded_optional(wh: Warehouse, profile: Profile) -> tuple[Profile, list[str]]:
    """The profile without its optional indicators that have no values in the warehouse, and a
    note for each one left out (what it is, which file to ingest, what carries its domain)."""
    if not profile.optional:
        return profile, []
    loaded = set(iq.indicator_catalogue(wh)["indicator_id"])
    absent = sorted(i for i in profile.optional if i not in loaded)
    if not absent:
        return profile, []
    builtin = builtin_indicators().set_index("indicator_id")
    notes = []
    for iid in absent:
        spec = next(s for s in profile.indicators if s.indicator_id == iid)
        name = builtin.loc[iid, "name"] if iid in builtin.index else iid
        src = builtin.loc[iid, "source"] if iid in builtin.index else "its source"
        others = [
            s.indicator_id
            for s in profile.indicators
            if s.domain == spec.domain and s.indicator_id not in absent
        ]
        notes.append(
            f"NOT IN THIS RANKING: {name} ({iid}) — its source is not loaded in this warehouse "
            f"({src}). The profile uses it when loaded; here the {spec.domain} domain keeps "
            f"its weight, carried by {', '.join(others)} only. Ingest the file (`vrkit ingest "
            "--all`) to rank on it."
        )
    return profile.without(absent), notes


def _parent_level_notes(inputs: IndicatorInputs, geography: str) -> list[str]:
    """A note per indicator published for boroughs only: the period and its age relative to
    the year of the crime counts."""
    if not inputs.parent_level:
        return []
    meta = inputs.meta.set_index("indicator_id")
    crime_year = max(inputs.crime_years.values()) if inputs.crime_years else None
    notes = []
    for iid, period in inputs.parent_level.items():
        start = period.split("(")[-1][:4] if "(" in period else ""
        age = ""
        if crime_year is not None and start.isdigit():
            gap = crime_year - (int(start) + 1)
            age = (
                f" It is {gap} year{'s' if gap != 1 else ''} older than the crime counts of "
                f"this ranking (calendar year {crime_year})."
                if gap > 0
                else f" The crime counts of this ranking are of calendar year {crime_year}."
            )
        notes.append(
            f"{meta.loc[iid, 'name']} ({iid}) is published for boroughs (local authorities) "
            f"only, latest {period}: every {_AREA_WORD.get(geography, geography)} takes its "
            "borough's value, flagged "
            f"'imputed from borough' in the data note (the missing-data policy of issue #12: "
            f"impute from the parent area with a flag): it separates boroughs, not areas within "
            f"a borough.{age}"
        )
    return notes


def _crime_years(inputs: IndicatorInputs) -> list[int]:
    return list(inputs.crime_years.values())


def _data_notes(index: NeedIndexResult, codes: pd.Index, inputs: IndicatorInputs) -> list[str]:
    """Per ranked area: what is not as published (imputed, reweighted, counts from LSOAs)."""
    part = index.partial.set_index("area_code") if not index.partial.empty else None
    out = []
    for code in codes:
        bits = []
        if part is not None and code in part.index:
            imp, miss = part.loc[code, "imputed_from_parent"], part.loc[code, "missing_reweighted"]
            if imp:
                bits.append(f"imputed from borough: {imp}")
            if miss:
                bits.append(f"missing, weights re-normalised: {miss}")
        moved = sorted(
            {
                str(h.get(code))
                for h in inputs.count_how.values()
                if str(h.get(code)) not in ("as published", "None", "nan", "no data")
            }
        )
        if moved:
            bits.append("crime counts " + "; ".join(moved))
        out.append("; ".join(bits))
    return out


def _denominator_flags(wh: Warehouse, inputs: IndicatorInputs) -> pd.Series:
    """Flags of areas whose resident denominator misleads (bottom 5 % of residents; workday
    population > 2 × residents where the ward profiles' jobs and employment are loaded)."""
    from vrkit.analysis.smoothing import denominator_flags

    if inputs.population is None or not inputs.raw_rates:
        return pd.Series("", index=inputs.values.index)
    target = inputs.values.index
    workday = _workday_population(wh, target, inputs.population)
    counts = sum(inputs.counts.values()) if inputs.counts else None
    f = denominator_flags(
        inputs.population.reindex(target), workday_population=workday, counts=counts
    )
    return f["flag"]


def _workday_population(wh: Warehouse, target: pd.Index, population: pd.Series) -> pd.Series | None:
    """Workday population ≈ residents − residents in employment + jobs in the area (the ONS
    workday-population definition, from the ward profiles' jobs 2013 and employment 2011);
    None when those are not loaded for these areas."""
    parts = []
    for iid in ("wp_jobs_2013", "wp_in_employment_2011"):
        v = iq.latest_values(wh, iid)
        if v.empty:
            return None
        s = v.set_index("area_code")["value"].reindex(target)
        if s.notna().mean() < 0.5:
            return None
        parts.append(s)
    return population.reindex(target) - parts[1] + parts[0]


#: what the public edition of a ranking does (printed in the report and the spreadsheet)
PUBLIC_METHOD = (
    "Crime rates are derived from recorded offence counts. In this public edition each area's "
    "count is protected with the counts of the other areas of its borough and the borough "
    "totals (vrkit.disclosure.linked.protect_linked: small counts suppressed, and further counts "
    "so that none can be worked out from a borough total). A crime rate from a suppressed "
    "count is not published: its contribution is blank (listed in the 'blanked' column). So "
    "that no score, rank or interval depends on it, the index is computed with that rate "
    "replaced by the pooled rate of the suppressed areas of the same borough (borough total "
    "less the published areas, per resident of the suppressed areas; an area whose borough "
    "total is suppressed too is treated as missing). Scores and ranks are not counts and are "
    "published; they can differ slightly from the internal (non-public) ranking for these "
    "areas."
)


def protect_rates(
    inputs: IndicatorInputs, rule: str
) -> tuple[IndicatorInputs, pd.DataFrame, LinkedResult]:
    """Disclosure control of the derived crime rates of a ranking (see :data:`PUBLIC_METHOD`
    and :func:`vrkit.disclosure.rates.protect_rates`).

    Returns the inputs with each crime rate from a suppressed count replaced (pooled rate of
    the suppressed areas of its borough, or missing), the area × indicator mask of those
    values, and the linked protection (for audits). Other indicators are left as they are.
    """
    parents = inputs.areas.set_index("area_code")["parent_code"]
    res = protect_rates_of_counts(
        inputs.values, inputs.standard_errors, parents, inputs.counts, inputs.population, rule
    )
    new = dataclasses.replace(inputs, values=res.values, standard_errors=res.standard_errors)
    return new, res.mask, res.result

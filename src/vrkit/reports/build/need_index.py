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

import html
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrkit.analysis.harmonise import aggregate_up, aggregation_kind
from vrkit.analysis.need_index import (
    NeedIndexResult,
    RankUncertaintyResult,
    SensitivityResult,
    need_index,
    normalisation_sensitivity,
    rank_uncertainty,
)
from vrkit.catalog.indicators import DERIVED, builtin_indicators
from vrkit.catalog.profiles import Profile
from vrkit.errors import InputError
from vrkit.disclosure.linked import LinkedResult, check_rule, disclosure_record
from vrkit.disclosure.rates import protect_rates as protect_rates_of_counts
from vrkit.disclosure.tables import BLANKED_COL
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
FORMATS = ("csv", "xlsx", "html", "gpkg")


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


def _crime_counts(
    wh: Warehouse, measure: str, geography: str, target: pd.Index | None = None
) -> tuple[pd.DataFrame, str]:
    """Counts per area for the latest complete calendar year that fits the target areas.

    Sources are tried in :data:`CRIME_SOURCES` order. Ward codes change with boundary reviews
    (MPS ward files switch to the May 2022 wards), so the year chosen is the latest complete
    year whose area codes cover at least 80 % of ``target`` (else the best-covered year):
    counts are never silently matched to a different boundary vintage.
    """
    from vrkit.store import queries

    def pick(yearly: pd.DataFrame, years: list[int]) -> int:
        if target is None or target.empty:
            return max(years)
        wanted = set(target)
        cover = {
            y: len(wanted & set(yearly.loc[yearly["year"] == y, "area_code"].astype(str)))
            / len(wanted)
            for y in years
        }
        good = [y for y in years if cover[y] >= 0.8]
        return max(good) if good else max(years, key=lambda y: (cover[y], y))

    for kind in CRIME_SOURCES[geography]:
        if kind.endswith("annual_derived"):
            c = queries.annual_counts(wh, measure, source_kind=kind)
            c = c[c["year"] != 2020] if kind == "mps_lsoa_annual_derived" else c
            c = c[c["count"].notna()]
            if c.empty:
                continue
            year = pick(c, sorted(int(y) for y in c["year"].unique()))
            c = c[c["year"] == year]
            return (
                c.rename(columns={"count": "value"})[["area_code", "value"]],
                f"{kind} calendar year {year}",
            )
        c = queries.measure_counts(wh, measure, source_kind=kind)
        if c.empty:
            continue
        c = c.assign(year=pd.to_datetime(c["month"]).dt.year)
        months = c.groupby("year")["month"].nunique()
        full = [int(y) for y in months[months == 12].index]
        if not full:
            continue
        year = pick(c, full)
        c = c[c["year"] == year].groupby("area_code", as_index=False)["count"].sum()
        return c.rename(columns={"count": "value"}), f"{kind} calendar year {year}"
    raise InputError(
        f"no crime counts for {geography} areas in the warehouse",
        hint=f"Ingest one of: {', '.join(CRIME_SOURCES[geography])}.",
    )


def assemble_indicators(
    wh: Warehouse, indicator_ids: Sequence[str], geography: str
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
    for iid in indicator_ids:
        if iid in DERIVED:
            d = DERIVED[iid]
            meta_rows.append((iid, d.name, d.unit, d.polarity, "vrkit (derived)", d.description))
            if d.recipe == "crime_rate":
                assert d.measure is not None
                counts, src = _crime_counts(wh, d.measure, geography, target)
                c, chow = _to_target(wh, counts, target, kind="count", iid=iid, geography=geography)
                if pop_cache is None:
                    pop_cache = _target_population(wh, target, geography)
                pop, phow = pop_cache
                rate = 1000.0 * c / pop.where(pop > 0)
                cols[iid] = rate
                counts_used[iid] = c
                ses[iid] = 1000.0 * np.sqrt(c) / pop.where(pop > 0)
                how[iid] = f"offences ({src}; {chow}) per 1,000 residents ({phow})"
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
        s, vhow = _to_target(
            wh, vals, target, kind=aggregation_kind(row["unit"]), iid=iid, geography=geography
        )
        p0 = pd.Timestamp(row["period_start"]).date()
        p1 = pd.Timestamp(row["period_end"]).date()
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
    )


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


def build_need_index_report(
    wh: Warehouse,
    profile: Profile,
    *,
    geography: str = "ward",
    top_n: int = 20,
    normalisation: str | None = None,
    aggregation: str | None = None,
    missing: str = "reweight",
    n_draws: int = 1000,
    perturbation: str = "uniform",
    spread: float = 0.25,
    bootstrap: bool = True,
    seed: int = 0,
    public: bool = False,
    sdc_rule: str = "lt10",
) -> NeedIndexReport:
    """Rank the areas of ``geography`` for ``profile`` (see module docstring).

    ``normalisation`` and ``aggregation`` default to the profile's; ``missing`` defaults to
    ``"reweight"`` (each area scored on the indicators it has; the count is in the table).
    ``public=True`` builds the disclosure-controlled edition (:func:`protect_rates`, rule
    ``sdc_rule``: ``lt10`` or ``nhs``).
    """
    if public:
        check_rule(sdc_rule)
    norm = normalisation or profile.normalisation
    agg = aggregation or profile.aggregation
    inputs = assemble_indicators(wh, profile.indicator_ids, geography)
    blanked: pd.DataFrame | None = None
    sdc_result = None
    if public:
        inputs, blanked, sdc_result = protect_rates(inputs, sdc_rule)
    values = inputs.values
    all_missing = values.isna().all(axis=0)
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
    if missing == "impute_parent":
        parent_inputs = assemble_indicators(wh, profile.indicator_ids, "borough")
        kwargs["parent_of"] = inputs.areas.set_index("area_code")["parent_code"]
        kwargs["parent_values"] = parent_inputs.values
    index = need_index(values, profile.indicators, **kwargs)
    se = inputs.standard_errors if bootstrap and not inputs.standard_errors.empty else None
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
            "indicators_used": t["indicators_used"].to_numpy(),
        }
    )
    contrib = index.contributions.reindex(t.index)
    disclosure = None
    if public:
        assert blanked is not None
        b = blanked.reindex(index=t.index, columns=contrib.columns, fill_value=False)
        contrib = contrib.mask(b)
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
            ",".join(f"contrib_{c}" for c in b.columns[row]) for row in b.to_numpy(dtype=bool)
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
    )


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
    new = IndicatorInputs(
        res.values,
        res.standard_errors,
        inputs.areas,
        inputs.area_type,
        inputs.how,
        inputs.meta,
        inputs.counts,
        inputs.population,
    )
    return new, res.mask, res.result

"""Need index report: rank areas for an intervention profile, explain and qualify the ranking.

:func:`assemble_indicators` reads a profile's indicators from the warehouse at one geography
(converting through the area links where needed, with the method recorded per indicator);
:func:`build_need_index_report` computes the index, its Monte Carlo rank intervals and the
normalisation sensitivity; :func:`write_need_index` writes the ranked table (CSV/XLSX), a
self-contained HTML report (choropleth and contribution chart as inline SVG; no JavaScript, no
CDN) and a GeoPackage for QGIS.
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
from vrkit.reports.protected_tables import BLANKED_COL
from vrkit.reports.public import (
    LinkedResult,
    LinkedTable,
    check_rule,
    disclosure_record,
    protect_linked,
    rule_description,
)
from vrkit.reports.tabular import write_csv, write_xlsx
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
    )


#: what the public edition of a ranking does (printed in the report and the spreadsheet)
PUBLIC_METHOD = (
    "Crime rates are derived from recorded offence counts. In this public edition each area's "
    "count is protected with the counts of the other areas of its borough and the borough "
    "totals (vrkit.reports.public.protect_linked: small counts suppressed, and further counts "
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
    """Disclosure control of the derived crime rates of a ranking (see :data:`PUBLIC_METHOD`).

    Returns the inputs with each crime rate from a suppressed count replaced (pooled rate of
    the suppressed areas of its borough, or missing), the area × indicator mask of those
    values, and the linked protection (for audits). Other indicators are left as they are.
    """
    from vrkit.reports.needs_assessment import column_table

    check_rule(rule)
    values = inputs.values.copy()
    se = inputs.standard_errors.copy()
    mask = pd.DataFrame(False, index=values.index, columns=values.columns)
    parent = (
        inputs.areas.set_index("area_code")["parent_code"]
        .reindex(values.index)
        .fillna("_none")
        .astype(str)
    )
    tables: list[LinkedTable] = []
    clean: dict[str, pd.Series] = {}
    for iid, cnt in inputs.counts.items():
        c = cnt.dropna().round().astype("int64")
        clean[iid] = c
        par = parent.reindex(c.index).to_numpy()
        for b in sorted(set(par)):
            tables.append(
                column_table(
                    f"{iid}/{b}",
                    c[par == b],
                    "count",
                    lambda a, iid=iid: ("c", iid, a),
                    ("p", iid, b),
                )
            )
        tables.append(
            column_table(
                iid,
                c.groupby(par).sum(),
                "count",
                lambda b, iid=iid: ("p", iid, b),
                ("all", iid),
            )
        )
    if not tables:
        return inputs, mask, LinkedResult({})
    result = protect_linked(tables, rule)
    pop = inputs.population
    for iid, c in clean.items():
        sup = pd.Series([result.suppressed(("c", iid, a)) for a in c.index], index=c.index)
        if not sup.any():
            continue
        mask.loc[sup[sup].index, iid] = True
        par = parent.reindex(c.index)
        for b in sorted(set(par[sup])):
            members = par.index[(par == b).to_numpy()]
            hid = members[sup.reindex(members).to_numpy()]
            rate = np.nan
            if pop is not None and not result.suppressed(("p", iid, b)):
                rest = float(c.loc[members].sum() - c.loc[members.difference(hid)].sum())
                p_hid = float(pop.reindex(hid).sum())
                rate = 1000.0 * rest / p_hid if p_hid > 0 else np.nan
            values.loc[hid, iid] = rate
            if iid in se.columns:
                p_h = pop.reindex(hid) if pop is not None else pd.Series(np.nan, index=hid)
                se.loc[hid, iid] = (1000.0 * np.sqrt(rate * p_h / 1000.0) / p_h).to_numpy()
    new = IndicatorInputs(
        values,
        se,
        inputs.areas,
        inputs.area_type,
        inputs.how,
        inputs.meta,
        inputs.counts,
        inputs.population,
    )
    status_pub: dict[Hashable, str] = {
        k: v for k, v in result.status.items() if isinstance(k, tuple) and k[0] == "c"
    }
    return new, mask, LinkedResult(result.tables, status_pub, result.passes)


# ----------------------------------------------------------------------------------------------
# Writers


def write_need_index(
    report: NeedIndexReport,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
    wh: Warehouse | None = None,
) -> list[Path]:
    """Write the ranked table and report files to ``out_dir``; return the paths written.

    ``csv``: ``need_index_<profile>_<geography>.csv`` (stable columns ``area_code, area_name,
    rank, score, rank_low, rank_high, p_top_n, contrib_<indicator_id>…``); ``xlsx``: ranking,
    sensitivity, indicators, excluded and imputed areas, method; ``html``: self-contained
    report; ``gpkg``: the ranking joined to the area polygons (needs ``wh``).
    """
    for f in formats:
        if f not in FORMATS:
            raise InputError(f"unknown format {f!r}; use {', '.join(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"need_index_{report.profile.profile_id}_{report.geography}"
    paths = []
    if "csv" in formats:
        p = out / f"{stem}.csv"
        write_csv(report.table, p)
        paths.append(p)
    if "xlsx" in formats:
        p = out / f"{stem}.xlsx"
        sheets = {
            "ranking": report.table,
            "sensitivity": report.sensitivity.table,
            "indicators": _indicator_table(report),
            "excluded": report.index.excluded,
            "imputed": report.index.imputed,
            "method": pd.DataFrame(
                {
                    "item": [
                        "method",
                        "uncertainty",
                        "reference",
                        *list(report.params),
                        *(["disclosure_control"] if report.public else []),
                    ],
                    "value": [
                        report.index.method,
                        report.uncertainty.method,
                        report.index.reference,
                    ]
                    + [str(v) for v in report.params.values()]
                    + (
                        [f"{rule_description(report.sdc_rule or 'lt10')} {PUBLIC_METHOD}"]
                        if report.public
                        else []
                    ),
                }
            ),
        }
        if report.public and report.disclosure:
            d = report.disclosure
            sheets["disclosure_control"] = pd.DataFrame(
                {"item": list(d), "value": [str(v) for v in d.values()]}
            )
        write_xlsx(p, sheets, empty_note=None)
        paths.append(p)
    geoms = iq.area_geometries(wh, report.inputs.area_type) if wh is not None else None
    if "gpkg" in formats:
        if geoms is None or geoms.empty:
            raise InputError("a GeoPackage needs the area boundaries (pass the warehouse)")
        import geopandas as gpd
        import shapely

        g = geoms.merge(report.table.drop(columns="area_name"), on="area_code", how="left")
        gdf = gpd.GeoDataFrame(
            g.drop(columns="geometry"),
            geometry=shapely.from_wkb(g["geometry"].map(bytes).to_numpy()),
            crs="EPSG:27700",
        )
        p = out / f"{stem}.gpkg"
        gdf.to_file(p, layer="need_index", driver="GPKG")
        paths.append(p)
    if "html" in formats:
        p = out / f"{stem}.html"
        p.write_text(render_html(report, geoms), encoding="utf-8")
        paths.append(p)
    return paths


def _indicator_table(report: NeedIndexReport) -> pd.DataFrame:
    w = report.index.weights
    m = report.inputs.meta.set_index("indicator_id")
    rows = []
    for s in report.profile.indicators:
        rows.append(
            {
                "indicator_id": s.indicator_id,
                "name": m.loc[s.indicator_id, "name"],
                "domain": s.domain or "",
                "weight": s.weight,
                "effective_weight": round(float(w[s.indicator_id]), 4),
                "polarity": s.polarity,
                "unit": m.loc[s.indicator_id, "unit"],
                "source": m.loc[s.indicator_id, "source"],
                "how": report.inputs.how[s.indicator_id],
                "areas_with_value": int(report.inputs.values[s.indicator_id].notna().sum()),
                "why": report.profile.why.get(s.indicator_id, ""),
            }
        )
    return pd.DataFrame(rows)


def _charts(report: NeedIndexReport, geoms: pd.DataFrame | None) -> tuple[str, str]:
    import altair as alt

    from vrkit.reports.charts import base_config, to_svg
    from vrkit.reports.maps import choropleth, geojson_features, map_svg

    map_html = "<p>No boundaries loaded for these areas, so no map.</p>"
    if geoms is not None and not geoms.empty:
        vals = report.table[["area_code", "rank", "score"]].assign(
            need_rank=lambda d: d["rank"].astype(float)
        )
        feats = geojson_features(geoms, vals, fields=("score",))
        chart = choropleth(
            feats,
            field="score",
            title=f"Need index: {report.profile.name}",
            subtitle=f"{report.geography} areas; darker = more need",
            legend_title="Score",
            value_format=",.2f",
            source="Sources: see the indicator table",
        )
        map_html = map_svg(
            chart,
            feats,
            description=f"Map of need index scores for {report.profile.name} by {report.geography}",
        )
    top = report.table.head(report.top_n)
    contrib_cols = [c for c in top.columns if c.startswith("contrib_")]
    names = report.inputs.meta.set_index("indicator_id")["name"]
    long = top.melt(
        id_vars=["area_name", "rank"],
        value_vars=contrib_cols,
        var_name="indicator",
        value_name="contribution",
    )
    long["indicator"] = long["indicator"].str.removeprefix("contrib_").map(names)
    long["label"] = long["rank"].astype(str) + ". " + long["area_name"].fillna("")
    bar = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=alt.SortField("rank"), title=None),
            x=alt.X("contribution:Q", title="Contribution to score"),
            color=alt.Color(
                "indicator:N",
                title="Indicator",
                scale=alt.Scale(scheme="tableau10"),
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=400),
            ),
            tooltip=["label", "indicator", alt.Tooltip("contribution:Q", format=".3f")],
        )
        .properties(
            width=520, height=max(200, 18 * len(top)), title=f"Why the top {report.top_n} rank high"
        )
        .configure(**base_config())
    )
    return map_html, to_svg(
        bar,
        description=f"Contribution of each indicator to the score of the top {report.top_n} areas",
    )


def _table_html(frame: pd.DataFrame, floatfmt: str = "{:,.3f}") -> str:
    def cell(v: object) -> str:
        if isinstance(v, float):
            return "—" if np.isnan(v) else floatfmt.format(v)
        return html.escape(str(v))

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _public_note(report: NeedIndexReport) -> str:
    if not report.public or not report.disclosure:
        return ""
    d = report.disclosure
    return (
        '<div class="notice" id="disclosure-note" style="border:4px solid #d4351c;'
        'padding:.5em 1em"><p><b>Public edition.</b> '
        f"{html.escape(str(d['description']))} {html.escape(PUBLIC_METHOD)} "
        f"{d['cells_suppressed_primary']} area counts are suppressed as small counts and "
        f"{d['cells_suppressed_secondary']} more to protect them; {d['values_blanked']} "
        "indicator values are blank.</p></div>"
    )


def render_html(report: NeedIndexReport, geoms: pd.DataFrame | None = None) -> str:
    """The self-contained HTML report (inline CSS and SVG; opens offline)."""
    p = report.profile
    prm = report.params
    map_svg_html, bar_svg = _charts(report, geoms)
    top = report.table.head(report.top_n)[
        [
            "rank",
            "area_name",
            "area_code",
            "score",
            "rank_low",
            "rank_high",
            "p_top_n",
            "indicators_used",
        ]
    ]
    norm_text = {
        "zscore": "each indicator is turned into a z-score: how many standard deviations an "
        "area is above or below the average area",
        "minmax": "each indicator is rescaled so the lowest area scores 0 and the highest 1",
        "percentile": "each indicator is turned into a percentile: the share of areas with a "
        "lower value",
        "top_share": f"an area earns a point on an indicator when it is in the top "
        f"{prm['top_share']:.0%} of areas (the London VRU Area Prioritisation Tool's scheme)",
    }[prm["normalisation"]]
    agg_text = (
        "the score is the weighted sum of these values, so a high value on one indicator can "
        "make up for a low value on another"
        if prm["aggregation"] == "additive"
        else "the score is the weighted geometric mean (after shifting every indicator so its "
        f"lowest value is {prm['geometric_floor']}), so a low value on one indicator is only "
        "partly made up for by high values on others"
    )
    miss_text = {
        "reweight": "where an area lacks an indicator, its score uses the indicators it has, "
        "with their weights scaled up; the table shows how many each area has",
        "exclude": "areas missing any indicator are left out (listed below)",
        "impute_parent": "a missing value is replaced by the borough's value (listed in the "
        "spreadsheet)",
        "error": "every area had every indicator",
    }[prm["missing"]]
    boot = (
        " Crime rates also vary by chance from year to year: each draw also redraws them "
        "with their Poisson sampling error."
        if prm["bootstrap"]
        else ""
    )
    excluded = report.index.excluded
    css = (
        "body{font-family:system-ui,-apple-system,'Segoe UI',Arial,sans-serif;max-width:980px;"
        "margin:2em auto;padding:0 1em;color:#0b0c0c;line-height:1.45}"
        "table{border-collapse:collapse;font-size:.85em;margin:1em 0}"
        "th,td{border-bottom:1px solid #b1b4b6;padding:.3em .6em;text-align:left}"
        "th{background:#f3f2f1}.note{color:#505a5f;font-size:.9em}svg{max-width:100%;height:auto}"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Need index: {html.escape(p.name)} by {report.geography}</title>
<style>{css}</style></head><body>
<h1>Where would {html.escape(p.name.lower())} help most?</h1>
{_public_note(report)}
<p>{html.escape(p.description)} Ranking of {prm["n_areas"]:,} {report.geography} areas
({html.escape(report.inputs.area_type)}) on {len(p.indicators)} indicators, profile
<code>{html.escape(p.profile_id)}</code> version {p.version}.</p>
<h2>Map</h2>{map_svg_html}
<h2>Top {report.top_n}</h2>
<p class="note">Rank 1 = most need. The rank interval holds {report.uncertainty.interval:.0%} of
the ranks seen when the weights are varied; "P(top {report.top_n})" is the share of those
variations in which the area stays in the top {report.top_n}. Areas whose intervals overlap
cannot be told apart with confidence.</p>
{_table_html(top)}
<h2>Why these areas rank high</h2>{bar_svg}
<h2>How the index is made</h2>
<ol>
<li><b>Indicators.</b> The profile picks the indicators below and says why. Each is turned round
where needed so that a higher value always means more need (for example, lower life expectancy
counts as more need).</li>
<li><b>Making indicators comparable.</b> Indicators have different units, so {norm_text}.</li>
<li><b>Weights.</b> Each indicator has a weight, and indicators are grouped into domains with their
own weights; the effective weights are in the indicator table.</li>
<li><b>Combining.</b> {agg_text}.</li>
<li><b>Missing data.</b> {miss_text}. A missing value is never counted as zero.</li>
<li><b>How sure is the ranking?</b> Weights are a judgement. The index was recomputed
{prm["n_draws"]:,} times with every weight randomly changed by up to
±{prm["spread"]:.0%} (seed {prm["seed"]}, so the figures can be reproduced).{boot}</li>
<li><b>Does the method matter?</b> The table below recomputes the ranking with each way of making
indicators comparable and compares it with the one used.</li>
</ol>
<p class="note">Method: {html.escape(report.index.method)} {html.escape(report.uncertainty.method)}
Reference: {html.escape(report.index.reference)}</p>
<h3>Sensitivity to the normalisation method</h3>
{_table_html(report.sensitivity.table)}
<h3>Indicators</h3>
{_table_html(_indicator_table(report).drop(columns=["unit"]), floatfmt="{:,.4g}")}
<h3>Why this profile</h3><p>{html.escape(p.rationale)}</p>
<ul>{"".join(f"<li>{html.escape(s)}</li>" for s in p.sources)}</ul>
<h3>Areas not ranked</h3>
{_table_html(excluded) if not excluded.empty else "<p>None.</p>"}
<h3>Caveats</h3><ul>
<li>Indicators come from different years (see the periods); ward profile indicators date from
2009 to 2015.</li>
<li>Recorded crime counts offences where they were recorded, not where victims or offenders live;
busy centres have high rates per resident.</li>
<li>A ranking shows relative need among these areas only; it is a starting point for local
knowledge, not a decision.</li></ul>
</body></html>
"""

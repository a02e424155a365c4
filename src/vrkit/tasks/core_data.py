"""Tasks on the core data set beyond police crime (issue #20): knife injury victims per
100,000 young people, young people's denominators for boroughs, LSOAs and wards, LAS incident
rates, police against LAS linkage, and loading the school-level exclusion rows.

Each function takes a :class:`~vrkit.store.warehouse.Warehouse` and plain arguments and returns
a result object from :mod:`vrkit.analysis` (``to_frame()``); faces (CLI, web, notebooks) call
these and format the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from vrkit.analysis import trends
from vrkit.analysis.health import LinkageResult, hidden_violence
from vrkit.analysis.young_people import (
    BandEstimate,
    RateResult,
    annual_rates,
    estimate_age_band,
)
from vrkit.analysis.young_people import (
    knife_victim_rates as knife_rate_table,
)
from vrkit.catalog.areas import CITY_OF_LONDON, borough_names, resolve_area
from vrkit.errors import InputError
from vrkit.reports.build.sections import las_notes
from vrkit.store import core_data as q
from vrkit.store.queries import measure_counts
from vrkit.store.warehouse import IngestResult, Warehouse

LONDON = "E12000007"
YOUNG = (10, 24)


def _names() -> dict[str, str]:
    return {**borough_names(), LONDON: "London"}


def _complete_years(monthly: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Calendar-year totals per area of complete years only (``area_code, year, count``), and a
    warning per area-year left out because a month is missing."""
    series = trends.monthly_series(monthly[["area_code", "month", "count"]])
    totals = trends.period_totals(series, "calendar")
    partial = totals[~totals["complete"]]
    warnings = []
    if len(partial):
        years = sorted(partial["period"].unique())
        warnings.append(
            f"calendar year(s) {', '.join(years)} are not complete in the source and are left "
            "out (no rate from part of a year)"
        )
    full = totals[totals["complete"]].rename(columns={"total": "count"})
    full["year"] = full["period"].astype(int)
    full["count"] = full["count"].astype("int64")
    return full[["area_code", "year", "count"]], warnings


def _with_london(
    annual: pd.DataFrame, areas: pd.DataFrame, pop: pd.DataFrame, *, with_city: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Counts of ``areas`` plus a London row (the sum of every row of ``annual``), and the
    population with London = the sum of the London boroughs (with or without the City of
    London); a year missing any borough's population has no London population."""
    london = annual.groupby("year", as_index=False)["count"].sum().assign(area_code=LONDON)
    lon = pop[
        pop["area_code"].str.startswith("E09") & (with_city | (pop["area_code"] != CITY_OF_LONDON))
    ]
    need = 33 if with_city else 32
    pop_london = (
        lon.groupby("year", as_index=False)
        .agg(population=("population", lambda s: s.sum(min_count=len(s))), n=("area_code", "size"))
        .assign(area_code=LONDON)
    )
    pop_london.loc[pop_london["n"] < need, "population"] = float("nan")
    counts = pd.concat([areas, london[["area_code", "year", "count"]]], ignore_index=True)
    population = pd.concat([pop, pop_london[["area_code", "year", "population"]]])
    return counts, population


def _with_names(result: RateResult, extra_warnings: Sequence[str] = ()) -> RateResult:
    t = result.table.copy()
    t.insert(1, "area_name", t["area_code"].map(_names()))
    return RateResult(
        table=t,
        method=result.method,
        reference=result.reference,
        params=result.params,
        warnings=(*extra_warnings, *result.warnings),
    )


def knife_victim_rates(
    wh: Warehouse, *, years: Sequence[int] | None = None, level: float = 0.95
) -> RateResult:
    """Knife crime with injury victims under 25 (non-domestic) per 100,000 residents aged
    10–24, for every borough and London, per calendar year.

    Parameters
    ----------
    wh : Warehouse
        Holding the MPS knife-crime file (``mps_knife_borough_monthly``) and the ONS
        single-year population (``population_lad_single_year``).
    years : sequence of int, optional
        Calendar years to keep (default every complete year of the knife file).
    level : float, default 0.95

    Returns
    -------
    RateResult
        ``area_code, area_name, year, count, population, rate, rate_lower, rate_upper``.
        London (``E12000007``) is the Metropolitan Police area: the 32 boroughs plus the
        victims recorded at Heathrow, over the 32 boroughs' residents aged 10–24 (the City of
        London has its own police force and is in neither). Heathrow has no residents and no
        rate of its own.

    Raises
    ------
    InputError
        When either source is not loaded, or no year has both.
    """
    monthly = q.knife_counts(wh, "knife_injury_victims_u25")
    if monthly.empty:
        raise InputError(
            "no knife crime data loaded",
            hint="Ingest mps_knife_crime/Borough Monthly 2018-20.xlsx (`vrkit ingest --all`).",
        )
    annual, warnings = _complete_years(monthly)
    if years is not None:
        annual = annual[annual["year"].isin(list(years))]
    boroughs = annual[annual["area_code"].str.startswith("E09")]
    heathrow = annual[~annual["area_code"].str.startswith("E09")]
    pop = q.population_band(wh, *YOUNG, years=sorted(annual["year"].unique().tolist()))
    if pop.empty:
        raise InputError(
            "no single-year-of-age population loaded (the denominator aged 10-24)",
            hint="Ingest population/la_pop_estimates.csv (`vrkit ingest --all`).",
        )
    counts, population = _with_london(annual, boroughs, pop, with_city=False)
    if len(heathrow) and heathrow["count"].sum() > 0:
        warnings.append(
            f"{int(heathrow['count'].sum()):,} victims recorded at Heathrow are in the London "
            "figure only (no resident population of their own)"
        )
    result = knife_rate_table(counts, population, level=level)
    if result.table["rate"].notna().sum() == 0:
        raise InputError(
            "no year has both knife crime victims and the population aged 10-24",
            hint="The knife file covers 2018-2020; the population file must cover those years.",
        )
    return _with_names(result, warnings)


def las_rates(
    wh: Warehouse,
    *,
    indicator: str = "las_assaults_women",
    years: Sequence[int] | None = None,
    level: float = 0.95,
) -> RateResult:
    """LAS incidents per 100,000 residents (all ages) per borough, London and calendar year
    (complete years only: 2010–2012 for the June 2009 – June 2013 files).

    London is the 33 areas (32 boroughs and the City of London) over their residents.
    """
    monthly = q.las_monthly(wh, indicator)
    if monthly.empty:
        raise InputError(
            f"no LAS data loaded for {indicator!r}",
            hint="Ingest las_ambulance/*.csv (`vrkit ingest --all`).",
        )
    annual, warnings = _complete_years(monthly)
    if years is not None:
        annual = annual[annual["year"].isin(list(years))]
    pop = q.population_band(wh, 0, q.OPEN_AGE, years=sorted(annual["year"].unique().tolist()))
    if pop.empty:
        raise InputError(
            "no single-year-of-age population loaded",
            hint="Ingest population/la_pop_estimates.csv (`vrkit ingest --all`).",
        )
    counts, population = _with_london(annual, annual, pop, with_city=True)
    what = "assaults involving women" if indicator == "las_assaults_women" else "knife injuries"
    result = annual_rates(
        counts,
        population,
        per=100_000.0,
        level=level,
        method=(
            f"London Ambulance Service incidents ({what}, as the source names them), calendar "
            "year, per 100,000 usual residents of all ages (ONS mid-year estimate of the same "
            f"year); Byar {level:.0%} interval. London = the 32 boroughs and the City of London."
        ),
    )
    return _with_names(result, warnings)


def young_people(
    wh: Warehouse,
    *,
    year: int,
    geography: str = "lsoa",
    lo: int = YOUNG[0],
    hi: int = YOUNG[1],
    ward_type: str = "ward18",
) -> BandEstimate:
    """Residents aged ``lo``–``hi`` per borough (exact), LSOA or ward (estimated).

    Parameters
    ----------
    wh : Warehouse
    year : int
        Mid-year of the estimates (LSOA and ward: a year of the LSOA broad-age files, 2019 or
        2020 in the shared data).
    geography : {"borough", "lsoa", "ward"}
        ``borough``: the exact sum of the ONS single years. ``lsoa``: the LSOA broad bands split
        in the borough's single-year proportions (:func:`vrkit.analysis.young_people.
        estimate_age_band`). ``ward``: those LSOA estimates summed to wards of ``ward_type``
        through the best-fit LSOA→ward links (an LSOA split by a ward boundary counts whole in
        its best-fit ward).
    lo, hi : int
        Ages, default 10–24.

    Returns
    -------
    BandEstimate
        ``values``: ``area_code, parent_code, year, estimate`` (+ the band contributions for
        LSOAs).
    """
    if geography == "borough":
        band = q.population_band(wh, lo, hi, years=[year])
        if band.empty:
            raise InputError(
                f"no single-year-of-age population for {year}",
                hint="Ingest population/la_pop_estimates.csv (1997-2020).",
            )
        vals = band.rename(columns={"population": "estimate"}).assign(parent_code=None)
        missing = vals["estimate"].isna()
        return BandEstimate(
            values=vals[["area_code", "parent_code", "year", "estimate"]],
            lo=lo,
            hi=hi,
            method=f"exact sum of the ONS single years {lo}–{hi} (local authority mid-year "
            "estimates)",
            params={"lo": lo, "hi": hi, "geography": "borough", "year": year},
            warnings=(
                (f"{int(missing.sum())} area(s) lack an age of the band in {year}: no value",)
                if missing.any()
                else ()
            ),
        )
    if geography not in ("lsoa", "ward"):
        raise InputError(f"unknown geography {geography!r}", hint="Use borough, lsoa or ward.")
    small = q.lsoa_broad_population(wh, year=year)
    if small.empty:
        raise InputError(
            f"no LSOA broad-age population for mid-{year}",
            hint="Ingest population/london-mid2019-pop.csv or london-mid2020-pop.csv.",
        )
    parents = sorted(small["parent_code"].dropna().unique().tolist())
    sya = q.population_single_year(wh, area_codes=parents, years=[year])
    if sya.empty:
        raise InputError(
            f"no single-year-of-age population of the boroughs for {year}",
            hint="Ingest population/la_pop_estimates.csv (1997-2020).",
        )
    est = estimate_age_band(small, sya, lo=lo, hi=hi, open_age=q.OPEN_AGE)
    if geography == "lsoa":
        return est
    links = q.lsoa_ward_links(wh, ward_type)
    if links.empty:
        raise InputError(
            f"no LSOA→{ward_type} best-fit links in the warehouse",
            hint="Ingest the LSOA 2011 and ward boundary layers (`vrkit ingest --all`).",
        )
    v = est.values.merge(links, left_on="area_code", right_on="child_code", how="left")
    unlinked = v["child_code"].isna()
    wards = (
        v[~unlinked]
        .groupby(["parent_code_y", "year"], as_index=False)
        .agg(estimate=("estimate", lambda s: s.sum(min_count=len(s))), lsoas=("area_code", "size"))
        .rename(columns={"parent_code_y": "area_code"})
    )
    warnings = list(est.warnings)
    if unlinked.any():
        warnings.append(
            f"{int(unlinked.sum())} LSOA(s) have no best-fit {ward_type}: their estimated "
            f"{int(v.loc[unlinked, 'estimate'].sum()):,} residents are in no ward"
        )
    wards["parent_code"] = None
    return BandEstimate(
        values=wards[["area_code", "parent_code", "year", "estimate", "lsoas"]],
        lo=lo,
        hi=hi,
        method=est.method + f" Then summed to {ward_type} wards by the best-fit LSOA→ward links "
        "(each LSOA whole in one ward).",
        params={**est.params, "geography": "ward", "ward_type": ward_type, "year": year},
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class LasPoliceLinkage:
    """Police violence with injury against real LAS incidents for one area, month by month.

    Attributes
    ----------
    result : LinkageResult
        ``police`` and ``ambulance`` (the LAS indicator) by month; ``ae`` is empty.
    area_code, area_name, indicator : what was linked.
    notes : caveats stated with the figures (the two count different things; what London is).
    synthetic : always False: only the real LAS indicators are used here.
    """

    result: LinkageResult
    area_code: str
    area_name: str
    indicator: str
    notes: tuple[str, ...] = ()
    synthetic: bool = False
    params: dict[str, object] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Month by month: ``month, police, ambulance, ambulance_per_police``."""
        t = self.result.table
        return t[["month", "police", "ambulance", "ambulance_per_police"]].copy()


def las_police_linkage(
    wh: Warehouse,
    *,
    area: str = "London",
    indicator: str = "las_assaults_women",
    start: date | None = None,
    end: date | None = None,
) -> LasPoliceLinkage:
    """Police violence with injury (MPS borough files) against LAS incidents, by month, for
    London or a borough, over the months both cover (April 2010 – June 2013 in the shared data).

    London is the MPS area on both sides: every police row (airports and "Unknown" included) and
    the LAS figures of the 32 boroughs (the City of London, policed by its own force, left out).
    """
    resolved = resolve_area(area)
    code, name = (LONDON if resolved.is_london else resolved.code), resolved.name
    las = q.las_monthly(wh, indicator, start=start, end=end)
    if las.empty:
        raise InputError(
            f"no LAS data loaded for {indicator!r}",
            hint="Ingest las_ambulance/*.csv (`vrkit ingest --all`).",
        )
    police = measure_counts(wh, "violence_with_injury", start=start, end=end)
    if police.empty:
        raise InputError(
            "no MPS borough violence with injury for these months",
            hint="Ingest the MPS historical borough file (from April 2010).",
        )
    notes = las_notes(indicator, london=code == LONDON)
    las = q.las_in_area(las, None if code == LONDON else code)
    if code != LONDON:
        police = police[police["area_code"] == code]
    first = max(pd.Timestamp(las["month"].min()), pd.Timestamp(police["month"].min()))
    last = min(pd.Timestamp(las["month"].max()), pd.Timestamp(police["month"].max()))
    if first > last:
        raise InputError(
            "the LAS and police data loaded do not overlap in time",
            hint="LAS covers Jun 2009 – Jun 2013; police borough files from Apr 2010.",
        )

    def window(frame: pd.DataFrame) -> pd.DataFrame:
        m = pd.to_datetime(frame["month"])
        f = frame[(m >= first) & (m <= last)]
        return (
            f.assign(area_code=code).groupby(["area_code", "month"], as_index=False)["count"].sum()
        )

    notes.append(f"months linked: {first:%b %Y} – {last:%b %Y} (both sources present)")
    res = hidden_violence(window(police), None, window(las), window=12)
    return LasPoliceLinkage(
        result=res,
        area_code=code,
        area_name=name,
        indicator=indicator,
        notes=tuple(notes),
        params={
            "start": first.date(),
            "end": last.date(),
            "police_measure": "violence_with_injury",
        },
    )


def ingest_exclusion_schools(
    wh: Warehouse, path: str | Path, *, force: bool = False
) -> IngestResult:
    """Load the school-level rows of the DfE exclusions file (kind ``dfe_exclusions_schools``;
    ``vrkit ingest`` keeps them out of the warehouse)."""
    from vrkit.sources.dfe_exclusions import DfeExclusionsSchoolsAdapter

    return wh.ingest(path, force=force, adapter=DfeExclusionsSchoolsAdapter())

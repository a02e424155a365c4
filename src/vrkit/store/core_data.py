"""Named queries for the core data set beyond police crime (issue #20): LAS ambulance incidents,
MOPAC PAS perceptions, DfE exclusions, single-year-of-age population and the MPS knife-crime
measures.

Every function returns a pandas frame for the pure functions in :mod:`vrkit.analysis`; missing is
never zero (an area-period without a stored value is absent, or NaN where a band needs it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from vrkit.catalog.areas import CITY_OF_LONDON
from vrkit.sources.dfe_exclusions import NUMBERS as EXCLUSION_NUMBERS
from vrkit.store.queries import measure_counts
from vrkit.store.warehouse import Warehouse

#: LAS indicator ids (real London Ambulance Service data; never the synthetic
#: ``ambulance_assault_callouts``)
LAS_INDICATORS = ("las_assaults_women", "las_knife_injuries")
#: source kind of the MPS knife-crime / flagged-measures file
KNIFE_KIND = "mps_knife_borough_monthly"
#: the MPS knife-crime and youth-violence measures of ``catalog/measures.toml``
KNIFE_MEASURES = (
    "knife_crime",
    "knife_crime_with_injury",
    "knife_injury_victims_u25",
    "knife_injury_victims_u25_all",
    "knife_crime_with_injury_personal_robbery",
    "knife_possession",
    "serious_youth_violence",
    "youth_violence",
    "youth_homicide",
)
#: broad age bands of the ONS LSOA mid-year files: indicator suffix → (lowest, highest age)
LSOA_BANDS: dict[str, tuple[int, int]] = {
    "0_15": (0, 15),
    "16_29": (16, 29),
    "30_44": (30, 44),
    "45_64": (45, 64),
    "65_plus": (65, 90),
}
#: the single-year population file's open-ended last age (``pop_age_90_plus``)
OPEN_AGE = 90


def _in(column: str, values: Sequence[object] | None, params: list[object]) -> str:
    if values is None:
        return "TRUE"
    params.extend(values)
    return f"{column} IN ({', '.join('?' for _ in values)})" if values else "FALSE"


def indicator_series(
    wh: Warehouse,
    indicator_ids: Sequence[str],
    *,
    area_codes: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> pd.DataFrame:
    """Stored values of some indicators: ``area_code, indicator_id, period_start, period_end,
    value, dataset_id``, ordered by indicator, area and period (``start``/``end`` bound
    ``period_start``)."""
    params: list[object] = []
    where = [_in("indicator_id", list(indicator_ids), params)]
    where.append(_in("area_code", None if area_codes is None else list(area_codes), params))
    if start is not None:
        where.append("period_start >= ?")
        params.append(start)
    if end is not None:
        where.append("period_start <= ?")
        params.append(end)
    return wh.query(
        f"""SELECT area_code, indicator_id, period_start, period_end, value, dataset_id
            FROM indicator_value WHERE {" AND ".join(where)}
            ORDER BY indicator_id, area_code, period_start""",
        params,
    )


def las_monthly(
    wh: Warehouse,
    indicator_id: str = "las_assaults_women",
    *,
    area_codes: Sequence[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> pd.DataFrame:
    """LAS incidents by borough and month: ``area_code, month, count, dataset_id``.

    London is the sum of the 33 areas (32 boroughs and the City), which the adapter checked
    against the file's Total row. Empty when the LAS file is not loaded.
    """
    if indicator_id not in LAS_INDICATORS:
        raise ValueError(f"not a LAS indicator: {indicator_id!r} (use one of {LAS_INDICATORS})")
    df = indicator_series(wh, [indicator_id], area_codes=area_codes, start=start, end=end)
    out = df.rename(columns={"period_start": "month", "value": "count"})
    out["count"] = out["count"].round().astype("int64")
    return out[["area_code", "month", "count", "dataset_id"]]


def las_in_area(las: pd.DataFrame, area_code: str | None) -> pd.DataFrame:
    """The rows of :func:`las_monthly` for one report area: a borough's own (``area_code``), or
    for London (``None``) the 32 boroughs without the City of London, which is policed by its own
    force, so that London's LAS figures cover the MPS area of the police figures."""
    if area_code is None:
        return las[las["area_code"] != CITY_OF_LONDON]
    return las[las["area_code"] == area_code]


def pas_measures(
    wh: Warehouse, *, area_codes: Sequence[str] | None = None, measures: Sequence[str] | None = None
) -> pd.DataFrame:
    """PAS proportions with the London (MPS) value alongside: ``area_code, indicator_id, date,
    value, london, dataset_id`` (``date`` = the quarter end the file gives)."""
    ids = list(measures) if measures is not None else None
    params: list[object] = []
    where_ids = (
        _in("v.indicator_id", ids, params) if ids is not None else "v.indicator_id LIKE 'pas_%'"
    )
    where_area = _in("v.area_code", None if area_codes is None else list(area_codes), params)
    return wh.query(
        f"""SELECT v.area_code, v.indicator_id, v.period_end AS date, v.value,
                   m.value AS london, v.dataset_id
            FROM indicator_value v
            LEFT JOIN indicator_value m ON m.area_code = 'E23000001'
                 AND m.indicator_id = v.indicator_id AND m.period_start = v.period_start
            WHERE {where_ids} AND {where_area} AND v.area_code <> 'E23000001'
            ORDER BY v.indicator_id, v.area_code, v.period_end""",
        params,
    )


def exclusions(
    wh: Warehouse,
    *,
    school_type: str = "",
    area_codes: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
) -> pd.DataFrame:
    """DfE exclusions per area and academic year, wide: ``area_code, year`` (the autumn year:
    2016 = 2016/17), ``academic_year`` (``'2016/17'``), ``headcount, perm_excl,
    perm_excl_rate, fixed_excl, fixed_excl_rate, one_plus_fixed, one_plus_fixed_rate`` (rates in
    % of pupils; NaN where DfE suppressed the figure).

    ``school_type``: ``''`` (all state-funded schools), ``'_primary'``, ``'_secondary'`` or
    ``'_special'``.
    """
    cols = tuple(c for c, _, _ in EXCLUSION_NUMBERS)
    ids = [f"dfe_{c}{school_type}" for c in cols]
    df = indicator_series(wh, ids, area_codes=area_codes)
    if df.empty:
        return pd.DataFrame(columns=["area_code", "year", "academic_year", *cols])
    df["year"] = pd.to_datetime(df["period_start"]).dt.year
    if years is not None:
        df = df[df["year"].isin(list(years))]
    df["col"] = df["indicator_id"].str.slice(4, None if not school_type else -len(school_type))
    wide = df.pivot_table(
        index=["area_code", "year"], columns="col", values="value", aggfunc="first"
    ).reset_index()
    for c in cols:
        if c not in wide.columns:
            wide[c] = float("nan")
    wide["academic_year"] = (
        wide["year"].astype(str) + "/" + ((wide["year"] + 1) % 100).astype(str).str.zfill(2)
    )
    wide.columns.name = None
    return wide[["area_code", "year", "academic_year", *cols]]


def population_single_year(
    wh: Warehouse, *, area_codes: Sequence[str] | None = None, years: Sequence[int] | None = None
) -> pd.DataFrame:
    """ONS single-year-of-age population: ``area_code, year, age, population`` (age 90 = 90
    and over). Ages not given in the file (``-``) are absent."""
    params: list[object] = []
    where = [_in("area_code", None if area_codes is None else list(area_codes), params)]
    where.append(_in("year(period_start)", None if years is None else list(years), params))
    df = wh.query(
        f"""SELECT area_code, year(period_start) AS year, indicator_id, value AS population
            FROM indicator_value
            WHERE starts_with(indicator_id, 'pop_age_') AND indicator_id <> 'pop_age_10_24'
              AND {" AND ".join(where)}
            ORDER BY area_code, year""",
        params,
    )
    age = df["indicator_id"].str.removeprefix("pop_age_").str.replace("_plus", "", regex=False)
    df["age"] = age.astype(int)
    return df[["area_code", "year", "age", "population"]].sort_values(
        ["area_code", "year", "age"], ignore_index=True
    )


def population_band(
    wh: Warehouse,
    lo: int,
    hi: int,
    *,
    area_codes: Sequence[str] | None = None,
    years: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Population aged ``lo``–``hi`` (``hi`` ≥ 90 means "and over") per local authority and
    year from the single-year estimates: ``area_code, year, population, ages``.

    ``population`` is NaN when any age of the band is not in the file (e.g. 85+ in 1997–2000):
    a band is never summed from part of its ages.
    """
    if not 0 <= lo <= hi:
        raise ValueError(f"bad age band {lo}-{hi}")
    sya = population_single_year(wh, area_codes=area_codes, years=years)
    top = min(hi, OPEN_AGE)
    band = sya[(sya["age"] >= lo) & (sya["age"] <= top)]
    need = top - lo + 1
    g = band.groupby(["area_code", "year"]).agg(
        population=("population", "sum"), ages=("age", "nunique")
    )
    # every area-year in the file, including those with none of the band's ages
    keys = pd.MultiIndex.from_frame(sya[["area_code", "year"]].drop_duplicates())
    g = g.reindex(keys).reset_index()
    g["ages"] = g["ages"].fillna(0).astype(int)
    g.loc[g["ages"] < need, "population"] = float("nan")
    return g.sort_values(["area_code", "year"], ignore_index=True)


def lsoa_broad_population(wh: Warehouse, *, year: int) -> pd.DataFrame:
    """ONS LSOA (2011) mid-year estimates in broad bands, with the borough of each LSOA:
    ``area_code, parent_code, year, band, band_lo, band_hi, population`` (bands 0–15, 16–29,
    30–44, 45–64, 65+; 65+ has ``band_hi`` 90). ``parent_code`` is NaN for an LSOA with no
    LSOA→borough link."""
    ids = [f"population_{b}" for b in LSOA_BANDS]
    params: list[object] = [*ids, year]
    df = wh.query(
        f"""SELECT v.area_code, l.parent_code, v.indicator_id, v.value AS population
            FROM indicator_value v
            LEFT JOIN (SELECT child_code, any_value(parent_code) AS parent_code FROM area_link
                       WHERE link_type = 'lsoa11_lad' GROUP BY 1) l ON l.child_code = v.area_code
            WHERE v.indicator_id IN ({", ".join("?" for _ in ids)})
              AND year(v.period_start) = ? AND v.area_code LIKE 'E01%'
            ORDER BY v.area_code""",
        params,
    )
    df["band"] = df["indicator_id"].str.removeprefix("population_")
    df["band_lo"] = df["band"].map(lambda b: LSOA_BANDS[b][0])
    df["band_hi"] = df["band"].map(lambda b: LSOA_BANDS[b][1])
    df["year"] = year
    return df[["area_code", "parent_code", "year", "band", "band_lo", "band_hi", "population"]]


def lsoa_ward_links(wh: Warehouse, ward_type: str = "ward18") -> pd.DataFrame:
    """Best-fit LSOA (2011) → ward links of one ward vintage: ``child_code, parent_code``."""
    return wh.query(
        """SELECT child_code, parent_code FROM area_link WHERE link_type = ?
           ORDER BY child_code""",
        [f"lsoa11_{ward_type}"],
    )


def knife_counts(
    wh: Warehouse,
    measure_id: str = "knife_injury_victims_u25",
    *,
    start: date | None = None,
    end: date | None = None,
) -> pd.DataFrame:
    """Monthly counts of an MPS knife-crime or youth-violence measure per area (boroughs and
    the Heathrow pseudo-area): ``area_code, area_type, scope_code, month, count, dataset_id``."""
    return measure_counts(wh, measure_id, source_kind=KNIFE_KIND, start=start, end=end)


def indicator_coverage(wh: Warehouse) -> pd.DataFrame:
    """Per dataset, indicator and period, the number of areas with a value:
    ``dataset_id, indicator_id, period_start, period_end, areas`` (for ``vrkit quality``)."""
    return wh.query(
        """SELECT dataset_id, indicator_id, period_start, max(period_end) AS period_end,
                  count(DISTINCT area_code) AS areas
           FROM indicator_value GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""
    )

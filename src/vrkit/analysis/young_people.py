"""Young people's denominators and rates: small-area estimates of an age band, and knife injury
victims under 25 per 100,000 residents aged 10–24.

Pure functions: frames in, result objects out; inputs are never mutated.

Small-area age bands
--------------------
ONS publishes LSOA population estimates in broad bands (0–15, 16–29, 30–44, 45–64, 65+) but the
age groups violence-reduction work needs (10–24, 10–17, 18–24) cut across them. ONS publishes
single years of age for local authorities. :func:`estimate_age_band` splits each small area's
broad bands in the proportions of its local authority's single years (proportional allocation
within band: each small area is assumed to have its parent's age profile *within* a broad band,
while keeping its own broad-band counts). Summed over the small areas of a parent whose broad
bands add up to the parent's estimate, it reproduces the parent's single-year band exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vrkit.analysis._validate import require_columns
from vrkit.analysis.trends import rates_per
from vrkit.errors import InputError

#: method text shared by the band estimate's result and its outputs
BAND_METHOD = (
    "proportional allocation within band: for each small area and each broad band [a, b] that "
    "overlaps the target ages [lo, hi], the small area's band count × the share of its local "
    "authority's single-year population aged max(a, lo)…min(b, hi) among those aged a…b (same "
    "year); summed over bands. Assumes the small area's age profile within a broad band equals "
    "its local authority's."
)
RATE_REFERENCE = (
    "Crude rate with Byar's approximation to the exact Poisson interval (Breslow & Day 1987; "
    "PHE Technical Guide: Confidence Intervals, 2018)"
)


@dataclass(frozen=True)
class BandEstimate:
    """Estimated population of an age band per small area.

    Attributes
    ----------
    values : DataFrame
        ``area_code, parent_code, year, estimate`` (``NaN`` where the parent's single years or
        a needed broad band are missing), plus one column per broad band used
        (``from_<band>``: that band's contribution).
    lo, hi : the target ages (``hi`` ≥ the open age means "and over").
    method, params, warnings : as everywhere in :mod:`vrkit.analysis`.
    """

    values: pd.DataFrame
    lo: int
    hi: int
    method: str = BAND_METHOD
    params: dict[str, object] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The estimates (a copy)."""
        return self.values.copy()


def estimate_age_band(
    small: pd.DataFrame,
    parent_single_year: pd.DataFrame,
    *,
    lo: int,
    hi: int,
    open_age: int = 90,
) -> BandEstimate:
    """Estimate the population aged ``lo``–``hi`` of small areas from broad bands.

    Parameters
    ----------
    small : DataFrame
        ``area_code, parent_code, year, band_lo, band_hi, population``: one row per small area,
        year and broad band (``band_hi`` = ``open_age`` for an open band such as 65+).
    parent_single_year : DataFrame
        ``area_code, year, age, population`` of the parents (``age`` = ``open_age`` holds that
        age and over).
    lo, hi : int
        Target ages, inclusive; ``hi`` ≥ ``open_age`` means "and over".
    open_age : int, default 90
        The parents' open-ended last age.

    Returns
    -------
    BandEstimate
        See the class. An area whose parent is unknown, or lacks a single year the split needs,
        gets ``NaN`` and is named in ``warnings`` (never a silent zero or partial sum).

    Notes
    -----
    See :data:`BAND_METHOD`. Bands entirely inside ``[lo, hi]`` contribute their whole count
    (share 1); bands outside contribute nothing.

    Examples
    --------
    >>> small = pd.DataFrame({"area_code": ["A", "A"], "parent_code": ["P", "P"],
    ...     "year": [2020, 2020], "band_lo": [0, 16], "band_hi": [15, 29],
    ...     "population": [160.0, 140.0]})
    >>> sya = pd.DataFrame({"area_code": "P", "year": 2020, "age": range(30),
    ...     "population": [10.0] * 30})
    >>> float(estimate_age_band(small, sya, lo=10, hi=24).values["estimate"].iloc[0])
    150.0
    """
    require_columns(
        small, ["area_code", "parent_code", "year", "band_lo", "band_hi", "population"], "small"
    )
    require_columns(parent_single_year, ["area_code", "year", "age", "population"], "parents")
    if not 0 <= lo <= hi:
        raise InputError(f"bad age band {lo}-{hi}: need 0 ≤ lo ≤ hi")
    top = min(hi, open_age)
    s = small.copy()
    s["band_hi"] = s["band_hi"].clip(upper=open_age)
    s["ov_lo"] = np.maximum(s["band_lo"], lo)
    s["ov_hi"] = np.minimum(s["band_hi"], top)
    s = s[s["ov_lo"] <= s["ov_hi"]]
    sya = parent_single_year.rename(columns={"area_code": "parent_code"})
    bands = s[["parent_code", "year", "band_lo", "band_hi", "ov_lo", "ov_hi"]].drop_duplicates()
    shares = []
    for b in bands.itertuples(index=False):
        p = sya[(sya["parent_code"] == b.parent_code) & (sya["year"] == b.year)]
        in_band = p[(p["age"] >= b.band_lo) & (p["age"] <= b.band_hi)]
        complete = in_band["age"].nunique() == b.band_hi - b.band_lo + 1
        den = float(in_band["population"].sum())
        num = float(in_band.loc[in_band["age"].between(b.ov_lo, b.ov_hi), "population"].sum())
        share = num / den if complete and den > 0 else np.nan
        shares.append((b.parent_code, b.year, b.band_lo, share))
    share = pd.DataFrame(shares, columns=["parent_code", "year", "band_lo", "share"])
    s = s.merge(share, on=["parent_code", "year", "band_lo"], how="left")
    s["part"] = s["population"].astype(float) * s["share"]
    s["band"] = (
        "from_"
        + s["band_lo"].astype(int).astype(str)
        + "_"
        + np.where(s["band_hi"] >= open_age, "plus", s["band_hi"].astype(int).astype(str))
    )
    if s.duplicated(["area_code", "year", "band"]).any():
        raise InputError("small holds the same area, year and band twice")
    wide = s.set_index(["area_code", "parent_code", "year", "band"])["part"].unstack("band")
    keys = small[["area_code", "parent_code", "year"]].drop_duplicates()
    out = keys.merge(wide.reset_index(), on=["area_code", "parent_code", "year"], how="left")
    band_cols = sorted(c for c in out.columns if str(c).startswith("from_"))
    out["estimate"] = out[band_cols].sum(axis=1, min_count=len(band_cols)) if band_cols else 0.0
    # an area missing a needed band row, or whose share is missing, is NaN, not partial
    needed = s.groupby(["area_code", "year"])["band"].nunique()
    full = needed.reindex(pd.MultiIndex.from_frame(out[["area_code", "year"]])).to_numpy()
    out.loc[pd.isna(full) | (full < len(band_cols)), "estimate"] = np.nan
    out.loc[out["parent_code"].isna(), "estimate"] = np.nan
    warnings: list[str] = []
    no_parent = out["parent_code"].isna()
    if no_parent.any():
        warnings.append(
            f"{int(no_parent.sum())} area(s) have no parent local authority: no estimate "
            f"({', '.join(out.loc[no_parent, 'area_code'].astype(str).head(5))}…)"
        )
    bad = out["estimate"].isna() & ~no_parent
    if bad.any():
        parents = sorted(out.loc[bad, "parent_code"].astype(str).unique())
        warnings.append(
            f"{int(bad.sum())} area(s) have no estimate: their parent's single-year population "
            f"or a broad band is missing (parents {', '.join(parents[:5])})"
        )
    out.columns.name = None
    cols = ["area_code", "parent_code", "year", "estimate", *band_cols]
    return BandEstimate(
        values=out[cols].sort_values(["area_code", "year"], ignore_index=True),
        lo=lo,
        hi=hi,
        params={"lo": lo, "hi": hi, "open_age": open_age, "bands": band_cols},
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class RateResult:
    """Counts per area and year divided by a population, with Poisson intervals.

    Attributes
    ----------
    table : DataFrame
        ``area_code, year, count, population, rate, rate_lower, rate_upper``; the rate is per
        ``params['per']`` population; ``NaN`` where the count or the population is missing.
    method, reference, params, warnings : as everywhere in :mod:`vrkit.analysis`.
    """

    table: pd.DataFrame
    method: str
    reference: str = RATE_REFERENCE
    params: dict[str, object] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The rate table (a copy)."""
        return self.table.copy()


def annual_rates(
    counts: pd.DataFrame,
    population: pd.DataFrame,
    *,
    per: float = 100_000.0,
    level: float = 0.95,
    method: str = "",
) -> RateResult:
    """Rates per ``per`` population of annual counts, matched by area and year.

    Parameters
    ----------
    counts : DataFrame
        ``area_code, year, count`` (one row per area and year; a missing year is absent, never
        zero).
    population : DataFrame
        ``area_code, year, population``.
    per : float, default 100,000
    level : float, default 0.95
        Confidence level of the Byar interval.
    method : str
        What the rate is, for the result (a default is written when empty).

    Returns
    -------
    RateResult
        One row per row of ``counts``; a count with no population of its area and year gets
        NaN rates and a warning.
    """
    require_columns(counts, ["area_code", "year", "count"], "counts")
    require_columns(population, ["area_code", "year", "population"], "population")
    if counts.duplicated(["area_code", "year"]).any():
        raise InputError("counts hold an area and year twice: aggregate them first")
    pop = population.drop_duplicates(["area_code", "year"])
    t = counts[["area_code", "year", "count"]].merge(
        pop[["area_code", "year", "population"]], on=["area_code", "year"], how="left"
    )
    t = rates_per(t, per=per, level=level, method="byar")
    warnings: list[str] = []
    no_pop = t["population"].isna() | (t["population"] <= 0)
    if no_pop.any():
        which = t.loc[no_pop, ["area_code", "year"]].astype(str).agg(" ".join, axis=1)
        warnings.append(
            f"{int(no_pop.sum())} area-year(s) have no population: no rate ({', '.join(which[:5])})"
        )
    text = method or f"count per {per:,.0f} population, Byar {level:.0%} interval"
    return RateResult(
        table=t.sort_values(["area_code", "year"], ignore_index=True),
        method=text,
        params={"per": per, "level": level},
        warnings=tuple(warnings),
    )


KNIFE_RATE_METHOD = (
    "Knife crime with injury victims aged 1-24, non-domestic (MPS 'Knife Crime Injury Victims "
    "Not DA 1-24'), calendar year, per 100,000 residents aged 10-24 (ONS mid-year estimate of "
    "the same year); Byar 95% interval. The numerator's ages (1-24) are wider than the "
    "denominator's (10-24), where nearly all such victims are; victims are counted where the "
    "offence was recorded, residents where they live."
)


def knife_victim_rates(
    victims: pd.DataFrame, population_10_24: pd.DataFrame, *, level: float = 0.95
) -> RateResult:
    """Knife injury victims under 25 per 100,000 residents aged 10–24, per area and year.

    Parameters
    ----------
    victims : DataFrame
        ``area_code, year, count``: calendar-year victims (complete years only).
    population_10_24 : DataFrame
        ``area_code, year, population``: residents aged 10–24.
    level : float, default 0.95

    Returns
    -------
    RateResult
        Method :data:`KNIFE_RATE_METHOD`.

    Examples
    --------
    >>> v = pd.DataFrame({"area_code": ["E09000022"], "year": [2019], "count": [81]})
    >>> p = pd.DataFrame({"area_code": ["E09000022"], "year": [2019], "population": [54267]})
    >>> round(float(knife_victim_rates(v, p).table["rate"].iloc[0]), 1)
    149.3
    """
    return annual_rates(
        victims, population_10_24, per=100_000.0, level=level, method=KNIFE_RATE_METHOD
    )

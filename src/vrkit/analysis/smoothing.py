"""Stable small-area rates: empirical Bayes smoothing, and flags for misleading denominators.

A crude rate ``r_i = e_i / b_i`` (offences per resident) of an area with few residents is noisy
and, for a place most of whose crime involves visitors, it is not a risk to residents at all.
Two remedies, both on by default in rankings and maps (the crude rate is always shown beside):

**Empirical Bayes (EB) smoothing** (Marshall 1991; Bailey & Gatrell 1995 pp. 303-308; Anselin,
Lozano & Koschinsky 2006), computed with PySAL's :mod:`esda.smoothing`:

- *global* (:class:`esda.smoothing.Empirical_Bayes`): each rate is shrunk towards the overall
  rate ``m = Σe / Σb`` by ``w_i = a / (a + m / b_i)``, where ``a = s² − m / b̄`` is the
  method-of-moments between-area variance (``s²`` the population-weighted variance of the
  crude rates, ``b̄`` the mean population); ``EB_i = w_i r_i + (1 − w_i) m``. Small areas are
  shrunk most; large ones keep their crude rate.
- *spatial* (:class:`esda.smoothing.Spatial_Empirical_Bayes`): the same, towards the local rate
  of the area and its neighbours (Marshall's local estimator), so a small area is pulled to its
  surroundings rather than to the city mean.

**Denominator flags** where residents mislead (:func:`denominator_flags`): an area whose resident
population is in the bottom 5 % of the areas ranked, or whose crime is dominated by
non-residents (when a workday or ambient population is loaded, crime per resident more than
twice crime per workday person means most of the population at risk does not live there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse

from vrkit.errors import InputError

Smoothing = Literal["spatial", "global", "none"]
SMOOTHINGS: tuple[str, ...] = ("spatial", "global", "none")
REFERENCE = (
    "Marshall RM (1991) Mapping disease and mortality rates using empirical Bayes estimators. "
    "Applied Statistics 40:283-294; Bailey TC, Gatrell AC (1995) Interactive Spatial Data "
    "Analysis, pp. 303-308; computed with PySAL esda.smoothing (Empirical_Bayes, "
    "Spatial_Empirical_Bayes)."
)


@dataclass(frozen=True)
class SmoothedRates:
    """Crude and EB-smoothed rates of a set of areas.

    Attributes
    ----------
    table : DataFrame
        Indexed by ``area_code``: ``count``, ``population``, ``rate_raw`` (per ``multiplier``
        people), ``rate_eb_global``, ``rate_eb_spatial`` (NaN without neighbours given),
        ``rate`` (the chosen one), ``shrinkage`` (share of the crude rate kept by the global
        estimator, ``w_i``; 1 = not shrunk). Areas without a positive population have NaN
        rates and are listed in ``params["no_population"]``.
    method : str
        Plain-language method.
    params : dict
        ``smoothing``, ``multiplier``, ``global_rate``, ``between_area_variance``,
        ``no_population``, ``isolated`` (areas without neighbours: spatial EB uses the area
        alone, i.e. is its own local mean).
    warnings : list of str
    """

    table: pd.DataFrame
    method: str
    reference: str = REFERENCE
    params: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.table.reset_index()


def _weights(neighbours: sparse.spmatrix, ids: list[str]) -> Any:
    """A libpysal ``W`` from a binary sparse neighbour matrix (rows in ``ids`` order)."""
    from libpysal.weights import WSP

    m = sparse.csr_matrix(neighbours, dtype=float)
    if m.shape != (len(ids), len(ids)):
        raise InputError(
            f"neighbours is {m.shape[0]}×{m.shape[1]} but there are {len(ids)} areas",
        )
    m.setdiag(0)
    m.eliminate_zeros()
    m.data[:] = 1.0
    return WSP(m, id_order=ids).to_W(silence_warnings=True)


def smooth_rates(
    counts: pd.Series,
    population: pd.Series,
    *,
    neighbours: sparse.spmatrix | None = None,
    smoothing: Smoothing = "spatial",
    multiplier: float = 1000.0,
) -> SmoothedRates:
    """Empirical Bayes smoothed rates (global and, with ``neighbours``, spatial).

    Parameters
    ----------
    counts : Series
        Offences per area (index: area code). NaN = missing (the area gets NaN rates).
    population : Series
        Population at risk per area (same index); areas without a positive population get NaN
        rates and are reported, never a zero rate.
    neighbours : sparse matrix, optional
        Binary contiguity (rows/columns in the order of ``counts.index``), needed for
        ``smoothing="spatial"``. The area itself is always part of its neighbourhood.
    smoothing : {"spatial", "global", "none"}
        Which estimate becomes ``rate``.
    multiplier : float, default 1000
        Rates per this many people.

    Returns
    -------
    SmoothedRates

    Notes
    -----
    The estimates are those of :class:`esda.smoothing.Empirical_Bayes` and
    :class:`esda.smoothing.Spatial_Empirical_Bayes` (tested equal to them); areas with a missing
    count or no population are left out of the estimation and get NaN. Inputs are not modified.
    """
    from esda.smoothing import Empirical_Bayes, Spatial_Empirical_Bayes

    if smoothing not in SMOOTHINGS:
        raise InputError(f"unknown smoothing {smoothing!r}; use {', '.join(SMOOTHINGS)}")
    if not counts.index.equals(population.index):
        population = population.reindex(counts.index)
    if counts.index.has_duplicates:
        raise InputError("counts has duplicate areas")
    e_all = pd.to_numeric(counts, errors="raise").astype(float)
    b_all = pd.to_numeric(population, errors="raise").astype(float)
    if (e_all < 0).any():
        raise InputError(f"counts must be ≥ 0 (area {e_all.index[(e_all < 0).to_numpy()][0]!r})")
    ok = e_all.notna() & b_all.notna() & (b_all > 0)
    ids = [str(i) for i in counts.index]
    sub = [i for i, k in zip(ids, ok.to_numpy(), strict=True) if k]
    e = e_all[ok.to_numpy()].to_numpy()
    b = b_all[ok.to_numpy()].to_numpy()
    warnings: list[str] = []
    if len(sub) < 3:
        raise InputError("empirical Bayes smoothing needs at least 3 areas with counts and people")
    raw = e / b
    eb = Empirical_Bayes(e.reshape(-1, 1), b.reshape(-1, 1))
    eb_global = np.asarray(eb.r, dtype=float).ravel()
    m = e.sum() / b.sum()
    s2 = float(np.sum(b * (raw - m) ** 2) / b.sum())
    a = s2 - m / b.mean()
    a_used = max(a, 0.0)
    shrink = np.where(a_used > 0, a_used / (a_used + m / b), 0.0)
    if a <= 0:
        # esda leaves a negative variance as it is (weights < 0); Marshall sets it to 0,
        # which gives every area the overall rate
        eb_global = np.full(len(sub), m)
        warnings.append(
            "the crude rates vary no more than chance would make them (method-of-moments "
            "variance ≤ 0): global EB gives every area the overall rate"
        )
    eb_spatial = np.full(len(sub), np.nan)
    isolated: list[str] = []
    if neighbours is not None:
        full = sparse.csr_matrix(neighbours)
        if full.shape != (len(ids), len(ids)):
            raise InputError(
                f"neighbours is {full.shape[0]}×{full.shape[1]} but there are {len(ids)} areas"
            )
        keep = np.flatnonzero(ok.to_numpy())
        w = _weights(full[keep][:, keep], sub)
        isolated = [str(i) for i in w.islands]
        sp = Spatial_Empirical_Bayes(e.reshape(-1, 1), b.reshape(-1, 1), w)
        eb_spatial = np.asarray(sp.r, dtype=float).ravel()
        if isolated:
            warnings.append(
                f"{len(isolated)} area(s) have no neighbour; their spatial EB rate uses the "
                f"area alone (e.g. {', '.join(isolated[:5])})"
            )
    elif smoothing == "spatial":
        raise InputError(
            "spatial smoothing needs the areas' neighbours",
            hint="Load the boundaries, or use smoothing='global'.",
        )
    table = pd.DataFrame(
        {
            "count": e_all.to_numpy(),
            "population": b_all.to_numpy(),
        },
        index=pd.Index(ids, name="area_code"),
    )
    for col, vals in (
        ("rate_raw", raw),
        ("rate_eb_global", eb_global),
        ("rate_eb_spatial", eb_spatial),
        ("shrinkage", shrink),
    ):
        s = pd.Series(np.nan, index=table.index)
        s.loc[sub] = vals * (multiplier if col != "shrinkage" else 1.0)
        table[col] = s
    table["rate"] = {
        "spatial": table["rate_eb_spatial"],
        "global": table["rate_eb_global"],
        "none": table["rate_raw"],
    }[smoothing]
    no_pop = [i for i, k in zip(ids, ok.to_numpy(), strict=True) if not k]
    if no_pop:
        warnings.append(
            f"{len(no_pop)} area(s) have no count or no resident population and get no rate "
            f"(e.g. {', '.join(no_pop[:5])})"
        )
    how = {
        "spatial": "empirical Bayes rates shrunk towards the rate of each area and its "
        "neighbours (spatial EB, Marshall 1991), with the crude rate alongside",
        "global": "empirical Bayes rates shrunk towards the overall rate (global EB, Marshall "
        "1991), with the crude rate alongside",
        "none": "crude rates (count / population), not smoothed",
    }[smoothing]
    return SmoothedRates(
        table=table,
        method=f"Rates per {multiplier:,.0f} people: {how}.",
        params={
            "smoothing": smoothing,
            "multiplier": multiplier,
            "global_rate": float(m * multiplier),
            "between_area_variance": float(a * multiplier**2),
            "no_population": no_pop,
            "isolated": isolated,
        },
        warnings=tuple(warnings),
    )


#: flag texts (also the legend of the flag column)
FLAG_SMALL_POPULATION = "resident population in the bottom 5 %"
FLAG_NON_RESIDENT = "crime dominated by non-residents"


def denominator_flags(
    population: pd.Series,
    *,
    workday_population: pd.Series | None = None,
    counts: pd.Series | None = None,
    bottom_share: float = 0.05,
    ratio_threshold: float = 2.0,
) -> pd.DataFrame:
    """Flag areas whose resident population makes a per-resident rate mislead.

    Parameters
    ----------
    population : Series
        Resident population per area.
    workday_population : Series, optional
        Workday or ambient population (people present in the daytime) per area, when loaded.
    counts : Series, optional
        Offences per area (with ``workday_population``).
    bottom_share : float, default 0.05
        Share of areas with the smallest resident population flagged.
    ratio_threshold : float, default 2
        With a workday population: flag where the rate per resident is more than this times the
        rate per workday person (i.e. workday population > ``ratio_threshold`` × residents: most
        people at risk there are not residents).

    Returns
    -------
    DataFrame
        Indexed like ``population``: ``small_population`` (bool), ``non_resident`` (bool or NA
        without a workday population), ``resident_to_workday`` (ratio or NaN), ``flag`` (text,
        "" when none), ``population_threshold``.
    """
    if not 0 < bottom_share < 1:
        raise InputError(f"bottom_share must be between 0 and 1 (got {bottom_share})")
    pop = pd.to_numeric(population, errors="raise").astype(float)
    valid = pop[pop.notna()]
    threshold = float(np.quantile(valid, bottom_share)) if len(valid) else np.nan
    small = pop.le(threshold) & pop.notna()
    out = pd.DataFrame({"small_population": small.to_numpy()}, index=pop.index.rename("area_code"))
    out["population_threshold"] = threshold
    if workday_population is not None:
        wd = pd.to_numeric(workday_population.reindex(pop.index), errors="raise").astype(float)
        ratio = wd / pop.where(pop > 0)
        out["resident_to_workday"] = ratio.to_numpy()
        nonres = ratio.gt(ratio_threshold)
        if counts is not None:
            nonres &= pd.to_numeric(counts.reindex(pop.index)).fillna(0).gt(0)
        out["non_resident"] = nonres.to_numpy()
    else:
        out["resident_to_workday"] = np.nan
        out["non_resident"] = pd.array([pd.NA] * len(out), dtype="boolean")
    flags = []
    for s, n in zip(out["small_population"], out["non_resident"], strict=True):
        parts = [FLAG_SMALL_POPULATION] if s else []
        if n is True or (n is not pd.NA and bool(n)):
            parts.append(FLAG_NON_RESIDENT)
        flags.append("; ".join(parts))
    out["flag"] = flags
    return out

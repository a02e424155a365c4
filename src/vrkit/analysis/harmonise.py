"""Harmonised geography: move an indicator from small areas to larger ones, recording how.

Rules (issue #5, "Harmonised geography"):

- a **count** (offences, residents) is **summed** over the child areas;
- a **rate, share or score** (crime per 1,000, % obese, IMD score) is the **population-weighted
  mean** of the child values, ``Σ p_c x_c / Σ p_c``. For a rate whose numerator and
  denominator are both additive this equals the rate of the summed counts; for a score it is
  the convention the GLA and MHCLG use for ward and local-authority IMD summaries ("population-
  weighted average score", MHCLG *English Indices of Deprivation 2019: Technical report*);
- across **boundary vintages** a link may carry an apportioning ``weight`` (the share of the
  child going to the parent, e.g. an area or population share): counts are apportioned as
  ``Σ w x`` and rates weighted by ``w p``;
- a parent is **missing** unless every child linked to it has a value (missing is not zero);
  ``allow_partial=True`` computes it from the children present and reports the coverage.

Going *down* (ward → LSOA) is not aggregation; :func:`aggregate_up` never does it.
All functions are pure: frames in, new frames out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from vrkit.errors import InputError

AggregationKind = Literal["count", "rate"]

#: Units whose values add up over areas.
COUNT_UNITS = frozenset({"count", "persons", "number", "offences", "people", "households"})


def aggregation_kind(unit: str | None) -> AggregationKind:
    """``"count"`` for additive units (``persons``, ``count``…), else ``"rate"``.

    Rates, shares, proportions, percentages, scores, ranks and means are averaged with
    population weights; ranks and deciles should normally not be aggregated at all (use the
    score), which callers decide.
    """
    return "count" if (unit or "").strip().lower() in COUNT_UNITS else "rate"


@dataclass(frozen=True)
class AggregatedIndicator:
    """An indicator moved to a larger geography.

    Attributes
    ----------
    values : DataFrame
        ``area_code, value, children, children_with_value, population`` (population ``NaN``
        for counts). ``value`` is NaN where a child value is missing and ``allow_partial`` is
        False.
    method : str
        One sentence, e.g. "population-weighted mean of LSOA values (lsoa11_ward18 links)".
    params : dict
        ``kind``, ``apportion``, ``allow_partial``, ``link_types``, ``unlinked`` (child codes
        with a value but no link: their values are not in any parent) and
        ``parents_missing`` (parents with a missing child).
    """

    values: pd.DataFrame
    method: str
    params: dict[str, Any] = field(default_factory=dict)


def aggregate_up(
    values: pd.DataFrame,
    links: pd.DataFrame,
    *,
    kind: AggregationKind,
    population: pd.DataFrame | None = None,
    apportion: bool = False,
    allow_partial: bool = False,
    label: str = "child",
) -> AggregatedIndicator:
    """Aggregate child-area values to parent areas through a lookup.

    Parameters
    ----------
    values : DataFrame
        ``area_code, value`` for child areas (one row per child; NaN = missing).
    links : DataFrame
        ``child_code, parent_code`` and, if ``apportion``, ``weight`` (share of the child in
        that parent, in (0, 1]). Best-fit lookups have one parent per child.
    kind : {"count", "rate"}
        ``count`` sums; ``rate`` (also shares and scores) takes the population-weighted mean.
    population : DataFrame, optional
        ``area_code, population`` of the child areas; required for ``rate``.
    apportion : bool, default False
        Use the links' ``weight`` column to split children between parents.
    allow_partial : bool, default False
        Compute a parent from the children that have values (else it is missing).
    label : str
        Name of the child geography in the method text (e.g. ``"LSOA"``).

    Returns
    -------
    AggregatedIndicator

    Raises
    ------
    InputError
        Unknown kind, missing columns, duplicate child rows, a child linked twice without
        ``apportion``, bad weights, or a child without population for a rate.
    """
    if kind not in ("count", "rate"):
        raise InputError(f"unknown aggregation kind {kind!r}; use 'count' or 'rate'")
    _cols(values, ["area_code", "value"], "values")
    _cols(links, ["child_code", "parent_code"] + (["weight"] if apportion else []), "links")
    if values["area_code"].duplicated().any():
        dup = values.loc[values["area_code"].duplicated(), "area_code"].iloc[0]
        raise InputError(f"values has duplicate area rows (first: {dup!r})")
    lk = links[["child_code", "parent_code"] + (["weight"] if apportion else [])].copy()
    if not apportion:
        if lk["child_code"].duplicated().any():
            dup = lk.loc[lk["child_code"].duplicated(), "child_code"].iloc[0]
            raise InputError(
                f"child {dup!r} is linked to more than one parent",
                hint="Use a best-fit lookup, or apportion=True with link weights.",
            )
        lk["weight"] = 1.0
    else:
        w = pd.to_numeric(lk["weight"], errors="coerce")
        if w.isna().any() or (w <= 0).any() or (w > 1 + 1e-9).any():
            raise InputError("apportioning weights must be numbers in (0, 1]")
        lk["weight"] = w
    v = values[["area_code", "value"]].rename(columns={"area_code": "child_code"})
    v = v.assign(value=pd.to_numeric(v["value"], errors="raise").astype(float))
    linked = set(lk["child_code"])
    unlinked = sorted(set(v.loc[v["value"].notna(), "child_code"]) - linked)
    m = lk.merge(v, on="child_code", how="left")
    if kind == "rate":
        if population is None:
            raise InputError("a rate or score needs child populations to be aggregated")
        _cols(population, ["area_code", "population"], "population")
        pop = population.set_index("area_code")["population"].astype(float)
        if pop.index.duplicated().any():
            raise InputError("population has duplicate area rows")
        m["population"] = m["child_code"].map(pop)
        need = m["value"].notna() & m["population"].isna()
        if need.any():
            raise InputError(
                f"no population for {label} {m.loc[need, 'child_code'].iloc[0]!r} "
                f"({int(need.sum())} linked {label}s without one)",
                hint="Load the population estimates for the same geography vintage.",
            )
        m["w"] = m["weight"] * m["population"]
    else:
        m["population"] = np.nan
        m["w"] = m["weight"]
    has = m["value"].notna()
    m["wx"] = np.where(has, m["w"] * m["value"].fillna(0.0), 0.0)
    m["w_has"] = np.where(has, m["w"], 0.0)
    g = m.groupby("parent_code", sort=True)
    out = pd.DataFrame(
        {
            "children": g["child_code"].count(),
            "children_with_value": g["value"].count(),
            "num": g["wx"].sum(),
            "den": g["w_has"].sum(),
            "population": g["population"].sum(min_count=1) if kind == "rate" else np.nan,
        }
    )
    value = out["num"] if kind == "count" else out["num"] / out["den"].where(out["den"] > 0)
    complete = out["children"] == out["children_with_value"]
    value = value.where(complete | (allow_partial & (out["children_with_value"] > 0)))
    result = pd.DataFrame(
        {
            "area_code": out.index.astype(str),
            "value": value.to_numpy(dtype=float),
            "children": out["children"].to_numpy(),
            "children_with_value": out["children_with_value"].to_numpy(),
            "population": out["population"].to_numpy(dtype=float),
        }
    )
    how = (
        f"sum of {label} values"
        if kind == "count"
        else f"population-weighted mean of {label} values"
    )
    if apportion:
        how += " apportioned by link weight"
    link_types = sorted(links["link_type"].unique().tolist()) if "link_type" in links else []
    if link_types:
        how += f" ({', '.join(link_types)} links)"
    if allow_partial:
        how += "; parents with some children missing use the children present"
    else:
        how += "; a parent with any child missing is missing"
    return AggregatedIndicator(
        values=result,
        method=how,
        params={
            "kind": kind,
            "apportion": apportion,
            "allow_partial": allow_partial,
            "link_types": link_types,
            "unlinked": unlinked,
            "parents_missing": result.loc[result["value"].isna(), "area_code"].tolist(),
        },
    )


def _cols(frame: pd.DataFrame, cols: list[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what} needs column(s) {', '.join(missing)}",
            hint=f"It has: {', '.join(map(str, frame.columns))}.",
        )

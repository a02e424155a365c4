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


@dataclass(frozen=True)
class ReallocatedCounts:
    """Counts moved to another boundary vintage (see :func:`reallocate_counts`).

    Attributes
    ----------
    values : DataFrame
        ``area_code, value, how`` for every target area: ``how`` is ``"as published"`` (the
        source has the same area code, so the same boundaries), ``"sum of LSOA counts"``,
        ``"apportioned through LSOAs"`` or ``"no data"`` (value NaN).
    method : str
        The method in one paragraph, for reports.
    params : dict
        Counts of each ``how``, source areas whose count could not be placed on any child
        (``unallocated``) and those shared out by the fallback weights (``fallback``).
    """

    values: pd.DataFrame
    method: str
    params: dict[str, Any] = field(default_factory=dict)


def reallocate_counts(
    source: pd.DataFrame,
    target: list[str] | pd.Index,
    *,
    child_target: pd.DataFrame,
    child_source: pd.DataFrame | None = None,
    child_counts: pd.Series | None = None,
    ancillary: pd.Series | None = None,
    fallback: pd.Series | None = None,
    child_label: str = "LSOA",
) -> ReallocatedCounts:
    """Counts for every ``target`` area from the finest data available.

    1. A target area whose code is in ``source`` takes the published count (GSS codes change
       whenever boundaries do, so the same code means the same area).
    2. Otherwise, if ``child_counts`` (the same measure counted on small building-block areas,
       e.g. LSOAs) are given, the target gets the sum over its children (best fit
       ``child_target``).
    3. Otherwise each source area's count is shared out over its children (best fit
       ``child_source``) in proportion to ``ancillary`` (e.g. LSOA counts of the offence group
       the measure belongs to: a dasymetric apportionment), or to ``fallback`` (e.g. resident
       population) where the ancillary weights of a source area sum to 0, and the children's
       shares are summed to the target (Goodchild & Lam 1980 areal interpolation, with counts
       rather than areas as weights).

    A target with no child, or whose children's counts are missing, is ``"no data"``: never a
    silent zero. Inputs are not modified.

    Parameters
    ----------
    source : DataFrame
        ``area_code, value``: counts of the source vintage (NaN = missing).
    target : list of str
        Target area codes.
    child_target : DataFrame
        ``child_code, parent_code``: best-fit children → target areas.
    child_source : DataFrame, optional
        ``child_code, parent_code``: best-fit children → source areas (for step 3).
    child_counts : Series, optional
        Counts of the measure itself per child (index child code).
    ancillary, fallback : Series, optional
        Apportioning weights per child (index child code), ≥ 0.
    child_label : str
        Name of the child geography in the method text.

    Returns
    -------
    ReallocatedCounts
    """
    _cols(source, ["area_code", "value"], "source")
    _cols(child_target, ["child_code", "parent_code"], "child_target")
    if child_target["child_code"].duplicated().any():
        raise InputError("child_target must be a best fit: a child is linked to two targets")
    tgt = pd.Index([str(t) for t in target], name="area_code")
    src = source.assign(area_code=source["area_code"].astype(str)).set_index("area_code")["value"]
    src = pd.to_numeric(src, errors="raise").astype(float)
    native = tgt.isin(src.dropna().index)
    value = pd.Series(np.nan, index=tgt)
    how = pd.Series("no data", index=tgt, dtype=object)
    value[native] = src.reindex(tgt[native]).to_numpy()
    how[native & value.notna().to_numpy()] = "as published"
    rest = tgt[~native]
    params: dict[str, Any] = {"unallocated": [], "fallback": []}
    ct = child_target.assign(
        child_code=child_target["child_code"].astype(str),
        parent_code=child_target["parent_code"].astype(str),
    )
    ct = ct[ct["parent_code"].isin(rest)]
    step = ""
    if len(rest) and child_counts is not None:
        cc = pd.to_numeric(child_counts, errors="raise").astype(float)
        cc.index = cc.index.astype(str)
        m = ct.assign(v=ct["child_code"].map(cc))
        g = m.groupby("parent_code")["v"]
        summed = g.sum(min_count=1).where(g.count() == g.size())
        value[rest] = summed.reindex(rest).to_numpy()
        how[rest[value[rest].notna().to_numpy()]] = f"sum of {child_label} counts"
        step = f"the sum of the {child_label} counts of the measure (best fit)"
    elif len(rest) and not ct.empty:
        if child_source is None or ancillary is None:
            raise InputError(
                "reallocating counts needs child_counts, or child_source and ancillary weights"
            )
        cs = child_source.assign(
            child_code=child_source["child_code"].astype(str),
            parent_code=child_source["parent_code"].astype(str),
        )
        if cs["child_code"].duplicated().any():
            raise InputError("child_source must be a best fit: a child is linked to two sources")
        anc = pd.to_numeric(ancillary, errors="raise").astype(float)
        anc.index = anc.index.astype(str)
        fb = None
        if fallback is not None:
            fb = pd.to_numeric(fallback, errors="raise").astype(float)
            fb.index = fb.index.astype(str)
        if (anc < 0).any() or (fb is not None and (fb < 0).any()):
            raise InputError("apportioning weights must be ≥ 0")
        cs = cs.assign(a=cs["child_code"].map(anc).fillna(0.0))
        tot = cs.groupby("parent_code")["a"].transform("sum")
        use_fb = tot <= 0
        if use_fb.any():
            params["fallback"] = sorted(cs.loc[use_fb, "parent_code"].unique().tolist())
            w_fb = cs["child_code"].map(fb).fillna(0.0) if fb is not None else 1.0
            cs["a"] = np.where(use_fb, w_fb, cs["a"])
            tot = cs.groupby("parent_code")["a"].transform("sum")
        cs["share"] = np.where(tot > 0, cs["a"] / tot.where(tot > 0), np.nan)
        cs["est"] = cs["parent_code"].map(src) * cs["share"]
        placed = set(cs["parent_code"])
        params["unallocated"] = sorted(set(src.dropna().index) - placed)
        est = cs.set_index("child_code")["est"]
        m = ct.assign(v=ct["child_code"].map(est))
        g = m.groupby("parent_code")["v"]
        summed = g.sum(min_count=1).where(g.count() == g.size())
        value[rest] = summed.reindex(rest).to_numpy()
        how[rest[value[rest].notna().to_numpy()]] = f"apportioned through {child_label}s"
        step = (
            f"each published area's count shared out over its {child_label}s (best fit) in "
            f"proportion to the {child_label} counts of the offence group the measure belongs "
            f"to, then summed to the target areas"
        )
    out = pd.DataFrame(
        {"area_code": tgt.to_numpy(), "value": value.to_numpy(), "how": how.to_numpy()}
    )
    counts = out["how"].value_counts().to_dict()
    params.update({"how_counts": {str(k): int(v) for k, v in counts.items()}})
    parts = [f"{counts.get('as published', 0)} areas as published (same area code)"]
    if step:
        n_other = len(out) - counts.get("as published", 0) - counts.get("no data", 0)
        parts.append(f"{n_other} areas from {step}")
    if counts.get("no data"):
        parts.append(f"{counts['no data']} areas without data")
    return ReallocatedCounts(out, "; ".join(parts) + ".", params)

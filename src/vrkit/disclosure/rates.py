"""Disclosure control of rates derived from small-area counts (the public need-index ranking).

A crime rate per 1,000 residents reveals its count to anyone who knows the population. Each
area's count is therefore protected with the counts of the other areas of its parent (borough)
and the parent totals (:func:`vrkit.disclosure.linked.protect_linked`: small counts suppressed,
and further counts so that none can be worked out from a parent total). A rate from a suppressed
count is not published; so that nothing computed from the rates depends on it, it is replaced by
the pooled rate of the suppressed areas of the same parent (parent total less the published
areas, per resident of the suppressed areas), or missing where the parent total is suppressed
too. The Poisson standard error of a replaced rate follows the pooled rate.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vrkit.disclosure.linked import (
    LinkedResult,
    LinkedTable,
    check_rule,
    column_table,
    protect_linked,
)


@dataclass(frozen=True)
class ProtectedRates:
    """Rates after disclosure control.

    Attributes
    ----------
    values, standard_errors : DataFrame
        Area × indicator, with each rate from a suppressed count replaced (see the module).
    mask : DataFrame of bool
        Area × indicator: True where the published rate was replaced (its count suppressed).
    result : LinkedResult
        The linked protection of the area counts (keys ``("c", indicator, area)``), for audits.
    """

    values: pd.DataFrame
    standard_errors: pd.DataFrame
    mask: pd.DataFrame
    result: LinkedResult


def protect_rates(
    values: pd.DataFrame,
    standard_errors: pd.DataFrame,
    parents: pd.Series,
    counts: Mapping[str, pd.Series],
    population: pd.Series | None,
    rule: str,
) -> ProtectedRates:
    """Protect the counts behind rate indicators and replace the rates of suppressed counts.

    Parameters
    ----------
    values, standard_errors : DataFrame
        Area × indicator rates (per 1,000) and their standard errors; not modified.
    parents : Series
        Parent code (borough) of each area, indexed like ``values``.
    counts : mapping
        Indicator id → counts per area behind the rate (NaN: no count).
    population : Series, optional
        Residents per area (denominator of the rates); without it replaced rates are missing.
    rule : {"lt10", "nhs"}
        Small-count rule (:data:`vrkit.disclosure.sdc.RULES`).

    Returns
    -------
    ProtectedRates
    """
    check_rule(rule)
    values = values.copy()
    se = standard_errors.copy()
    mask = pd.DataFrame(False, index=values.index, columns=values.columns)
    parent = parents.reindex(values.index).fillna("_none").astype(str)
    tables: list[LinkedTable] = []
    clean: dict[str, pd.Series] = {}
    for iid, cnt in counts.items():
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
        return ProtectedRates(values, se, mask, LinkedResult({}))
    result = protect_linked(tables, rule)
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
            if population is not None and not result.suppressed(("p", iid, b)):
                rest = float(c.loc[members].sum() - c.loc[members.difference(hid)].sum())
                p_hid = float(population.reindex(hid).sum())
                rate = 1000.0 * rest / p_hid if p_hid > 0 else np.nan
            values.loc[hid, iid] = rate
            if iid in se.columns:
                p_h = (
                    population.reindex(hid)
                    if population is not None
                    else pd.Series(np.nan, index=hid)
                )
                se.loc[hid, iid] = (1000.0 * np.sqrt(rate * p_h / 1000.0) / p_h).to_numpy()
    status_pub: dict[Hashable, str] = {
        k: v for k, v in result.status.items() if isinstance(k, tuple) and k[0] == "c"
    }
    return ProtectedRates(values, se, mask, LinkedResult(result.tables, status_pub, result.passes))

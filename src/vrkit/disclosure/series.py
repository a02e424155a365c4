"""Disclosure control of a monthly series and its period totals (the portal's trend page)."""

from __future__ import annotations

import pandas as pd

from vrkit.disclosure.sdc import RULE_TEXT, protect


def protect_series(
    monthly: pd.DataFrame, totals: pd.DataFrame, rule: str = "lt10"
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Public edition of a monthly series and its period totals: months × year as a table
    with year totals through :func:`vrkit.disclosure.sdc.protect` (primary and secondary
    suppression; default ``lt10``); suppressed counts become missing and the change of a
    suppressed total, or next to one, is blanked. Months of incomplete years get primary
    suppression only (no totals of them are published).

    Returns
    -------
    (monthly, totals, rule text)
        Copies with a ``suppressed`` column; the inputs are not modified.
    """
    m = monthly.copy()
    m["month"] = pd.to_datetime(m["month"])
    known = m.dropna(subset=["count"])
    if known.empty:
        return monthly, totals, RULE_TEXT[rule]
    grid = known.assign(y=known["month"].dt.year, mo=known["month"].dt.month).pivot_table(
        index="y", columns="mo", values="count", aggfunc="sum"
    )
    complete = grid.dropna()
    suppressed: set[tuple[int, int]] = set()
    year_suppressed: set[int] = set()
    if not complete.empty:
        res = protect(complete.astype(int), rule=rule)  # type: ignore[arg-type]
        pub = res.published
        for y in complete.index:
            for mo in complete.columns:
                if str(pub.loc[y, mo]) == "*":
                    suppressed.add((int(y), int(mo)))
            if str(pub.loc[y, "Total"]) == "*":
                year_suppressed.add(int(y))
    # months of incomplete years: primary suppression only (no published totals for them)
    for (y, mo), v in known.set_index([known["month"].dt.year, known["month"].dt.month])[
        "count"
    ].items():
        if int(y) not in complete.index and 0 < v < 10:
            suppressed.add((int(y), int(mo)))
    keys = list(zip(m["month"].dt.year, m["month"].dt.month, strict=True))
    m.loc[[k in suppressed for k in keys], "count"] = float("nan")
    m["suppressed"] = [k in suppressed for k in keys]
    t = totals.copy()
    t["suppressed"] = False
    if "period" in t.columns:
        for i, p in enumerate(t["period"].astype(str)):
            y = int(p[:4])
            months = [k for k in suppressed if k[0] == y] if p.isdigit() else []
            if y in year_suppressed or months:
                t.loc[t.index[i], ["total", "change", "pct_change"]] = float("nan")
                t.loc[t.index[i], "suppressed"] = True
        # a change next to a suppressed total could reveal it
        prev_sup = t["suppressed"].shift(1, fill_value=False)
        t.loc[prev_sup.astype(bool), ["change", "pct_change"]] = float("nan")
    m["month"] = m["month"].dt.date
    return m, t, RULE_TEXT[rule]

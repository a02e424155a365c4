"""Tasks: impact estimates of place-based programmes on a warehouse measure (``vrkit evaluate``).

Each task reads the monthly panel of a headline measure for boroughs or wards from the warehouse
(pseudo-areas such as airports dropped), resolves area names, and calls the pure estimator in
:mod:`vrkit.analysis.impact`. :func:`event_study_chart` draws the event study (or the synthetic
control's gap with its placebo band) in the house chart style.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd

from vrkit.analysis import impact as I
from vrkit.analysis.impact import ImpactResult
from vrkit.catalog.areas import resolve_borough
from vrkit.catalog.measures import get_measure, taxonomy_of
from vrkit.errors import InputError
from vrkit.store import evaluation_queries as q
from vrkit.store.sql import measure_condition
from vrkit.store.warehouse import Warehouse

SOURCES = {"borough": "mps_borough_monthly", "ward": "mps_ward_monthly"}
AREA_TYPES = {"borough": ("lad",), "ward": ("ward",)}


def measure_panel(
    wh: Warehouse,
    measure_id: str,
    geography: str = "borough",
    *,
    start: str | None = None,
    end: str | None = None,
) -> pd.DataFrame:
    """``area_code, month, count`` for every borough (or ward) and month of a measure.

    Pseudo-areas (airports, 'Unknown') are dropped; the panel is restricted to ``start``–``end``
    when given. Raises InputError when the source is not loaded.
    """
    if geography not in SOURCES:
        raise InputError(f"unknown geography {geography!r}; use borough or ward")
    kind = SOURCES[geography]
    m = get_measure(measure_id)
    df = q.monthly_panel(wh, kind, measure_condition(m, taxonomy_of(kind)))
    df = df[df["area_type"].isin(AREA_TYPES[geography])]
    if df.empty:
        raise InputError(
            f"no {kind} data for measure {measure_id!r}", hint="Run `vrkit ingest --all` first."
        )
    df["month"] = pd.to_datetime(df["month"])
    if start:
        df = df[df["month"] >= pd.Timestamp(start)]
    if end:
        df = df[df["month"] <= pd.Timestamp(end)]
    return df[["area_code", "month", "count"]].reset_index(drop=True)


def resolve_areas(wh: Warehouse, names: Sequence[str], geography: str) -> list[str]:
    """Codes of boroughs (names or GSS codes) or wards (codes or names)."""
    out = []
    for n in names:
        if geography == "borough":
            hit = resolve_borough(n)
            if hit is None or hit[2] != "lad":
                raise InputError(f"unknown borough {n!r}")
            out.append(hit[0])
        else:
            rows = q.area_lookup(wh, n)
            rows = rows[rows["area_type"].astype(str).str.startswith("ward")]
            if rows.empty:
                raise InputError(f"unknown ward {n!r}", hint="Give a ward code (E05…) or name.")
            out.append(str(rows["area_code"].iloc[0]))
    return out


def evaluate_did(
    wh: Warehouse,
    measure_id: str,
    treated: Sequence[str],
    start: str,
    *,
    geography: str = "borough",
    comparison: Sequence[str] | None = None,
    period: tuple[str, str] | None = None,
    **kwargs: Any,
) -> ImpactResult:
    """DiD with event study of ``measure_id`` for ``treated`` areas from ``start``."""
    panel = measure_panel(wh, measure_id, geography)
    tr = resolve_areas(wh, treated, geography)
    comp = resolve_areas(wh, comparison, geography) if comparison else None
    res = I.difference_in_differences(panel, tr, start, comparison=comp, period=period, **kwargs)
    res.params.update({"measure": measure_id, "geography": geography})
    return res


def evaluate_staggered(
    wh: Warehouse,
    measure_id: str,
    adoption: Mapping[str, str],
    *,
    geography: str = "borough",
    period: tuple[str, str] | None = None,
    **kwargs: Any,
) -> ImpactResult:
    """Callaway–Sant'Anna staggered DiD; ``adoption`` maps area (name or code) → start month."""
    panel = measure_panel(wh, measure_id, geography)
    codes = resolve_areas(wh, list(adoption), geography)
    adopt = dict(zip(codes, adoption.values(), strict=True))
    res = I.staggered_did(panel, adopt, period=period, **kwargs)
    res.params.update({"measure": measure_id, "geography": geography})
    return res


def evaluate_scm(
    wh: Warehouse,
    measure_id: str,
    treated: str,
    start: str,
    *,
    geography: str = "borough",
    donors: Sequence[str] | None = None,
    period: tuple[str, str] | None = None,
    **kwargs: Any,
) -> ImpactResult:
    """Synthetic control with placebo-in-space inference for one treated area."""
    panel = measure_panel(wh, measure_id, geography)
    (tr,) = resolve_areas(wh, [treated], geography)
    dn = resolve_areas(wh, donors, geography) if donors else None
    res = I.synthetic_control(panel, tr, start, donors=dn, period=period, **kwargs)
    res.params.update({"measure": measure_id, "geography": geography})
    return res


def event_study_chart(result: ImpactResult, *, title: str | None = None) -> alt.LayerChart:
    """Event-study plot: estimate by month relative to the start with its interval band.

    For the synthetic control the y value is the treated-minus-synthetic gap and the band is the
    placebo range. A dashed rule marks zero; a vertical rule the start (month 0).
    """
    es = result.event_study.copy()
    if es.empty:
        raise InputError("this result has no event study (event_study=False)")
    y_title = "Effect (log points)" if result.transform == "log" else "Effect (offences)"
    if result.design == "scm":
        y_title = "Gap, treated − synthetic" + (
            " (log points)" if result.transform == "log" else ""
        )
    base = alt.Chart(es).encode(x=alt.X("rel_time:Q", title="Months from the start"))
    band = base.mark_area(opacity=0.25, color="#0072B2").encode(
        y=alt.Y("ci_low:Q", title=y_title), y2="ci_high:Q"
    )
    line = base.mark_line(point=True, color="#0072B2").encode(
        y="estimate:Q",
        tooltip=[
            alt.Tooltip("label:N", title="Month"),
            alt.Tooltip("estimate:Q", format=".3f", title="Estimate"),
            alt.Tooltip("ci_low:Q", format=".3f", title="Lower"),
            alt.Tooltip("ci_high:Q", format=".3f", title="Upper"),
        ],
    )
    zero = (
        alt.Chart(pd.DataFrame({"y": [0.0]}))
        .mark_rule(strokeDash=[4, 4], color="#505a5f")
        .encode(y="y:Q")
    )
    start = alt.Chart(pd.DataFrame({"x": [-0.5]})).mark_rule(color="#D55E00").encode(x="x:Q")
    design = {
        "did": "Event study (difference-in-differences)",
        "staggered": "Event study (Callaway–Sant'Anna)",
        "scm": "Synthetic control gap with placebo band",
    }[result.design]
    return (band + line + zero + start).properties(
        title=alt.TitleParams(
            title or design, subtitle=[f"{1 - result.alpha:.0%} intervals; {result.method[:120]}…"]
        ),
        width=560,
        height=260,
    )

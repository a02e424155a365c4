"""Charts for reports, rendered to static SVG with altair + vl-convert (no browser, no CDN).

Style: Okabe–Ito colour-blind-safe colours, the compare year dashed as well as coloured (so the
chart reads in greyscale), 13 px sans-serif text, a title, axis titles and a source line.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from typing import Any

import altair as alt
import pandas as pd

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
FONT = "Arial, Helvetica, sans-serif"
TEXT = "#0b0c0c"
GREY = "#505a5f"
_DUMMY_YEAR = 2000  # a leap year: every day of any year has a place on the Jan–Dec axis
_ids = itertools.count(1)


def base_config() -> dict[str, Any]:
    """Vega-Lite config shared by every chart and map."""
    return {
        "font": FONT,
        "background": "#ffffff",
        "view": {"stroke": None},
        "title": {
            "fontSize": 16,
            "fontWeight": "bold",
            "color": TEXT,
            "anchor": "start",
            "subtitleFontSize": 13,
            "subtitleColor": GREY,
            "offset": 10,
        },
        "axis": {
            "labelFontSize": 12,
            "titleFontSize": 13,
            "labelColor": TEXT,
            "titleColor": TEXT,
            "gridColor": "#e6e6e6",
            "domainColor": GREY,
            "tickColor": GREY,
            "titleFontWeight": "normal",
        },
        "legend": {
            "labelFontSize": 12,
            "titleFontSize": 13,
            "titleFontWeight": "normal",
            "labelColor": TEXT,
            "titleColor": TEXT,
        },
    }


def to_svg(chart: alt.TopLevelMixin, *, description: str) -> str:
    """Render a chart to an SVG string fit for inlining in HTML.

    Element ids are made unique per chart (Vega numbers clip paths and gradients from 1 in every
    SVG, so two inlined charts would otherwise share ids), the XML prolog is dropped, and the
    root gets ``role="img"`` and an ``aria-label``.
    """
    return spec_to_svg(chart.to_dict(validate=False), description=description)


def spec_to_svg(spec: dict[str, Any], *, description: str) -> str:
    """Render a Vega-Lite spec (dict) to inline-ready SVG; see :func:`to_svg`."""
    import vl_convert as vlc

    spec = {**spec, "description": description}
    svg = vlc.vegalite_to_svg(spec)
    return _finish_svg(svg, description)


def _finish_svg(svg: str, description: str) -> str:
    prefix = f"c{next(_ids)}-"
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    for i in sorted(ids, key=len, reverse=True):
        svg = svg.replace(f'id="{i}"', f'id="{prefix}{i}"')
        svg = svg.replace(f"url(#{i})", f"url(#{prefix}{i})")
        svg = svg.replace(f'href="#{i}"', f'href="#{prefix}{i}"')
    label = description.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    svg = re.sub(r"<svg\b", f'<svg role="img" aria-label="{label}" focusable="false"', svg, count=1)
    # drop any aria-label Vega put on the root so there is exactly one
    head, sep, rest = svg.partition(">")
    if head.count("aria-label=") > 1:
        head = re.sub(r'\saria-label="[^"]*"', "", head)
        head = head.replace("<svg", f'<svg aria-label="{label}"', 1)
    return head + sep + rest


def _dummy(d: date | pd.Timestamp) -> pd.Timestamp:
    d = pd.Timestamp(d)
    return pd.Timestamp(_DUMMY_YEAR, d.month, d.day)


def _event_layers(
    events: pd.DataFrame, year: int, compare: int, width: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Bands, rules and labels for events that fall in either year, on the Jan–Dec axis.

    Labels are placed in rows above the plot so they never overlap: each label goes into the
    first row where it does not collide with the labels already there.
    """
    bands, rules, labels = [], [], []
    rows_end: list[float] = []
    days = 366.0
    char_px = 6.2
    for y in sorted({year, compare}, key=lambda v: (v != year, v)):
        lo, hi = pd.Timestamp(y, 1, 1), pd.Timestamp(y, 12, 31)
        for e in events.itertuples():
            s = pd.Timestamp(e.start)
            en = pd.Timestamp(e.end) if pd.notna(e.end) else None
            if (en or s) < lo or s > hi:
                continue
            suffix = "" if y == year else f" ({y})"
            s_c = max(s, lo)
            text = f"{e.label}{suffix}"
            if en is not None:
                e_c = min(en, hi)
                bands.append(
                    {
                        "start": _dummy(s_c),
                        "end": _dummy(e_c) + pd.Timedelta(days=1),
                        "label": text,
                        "kind": e.kind,
                        "current": y == year,
                    }
                )
            else:
                rules.append(
                    {"date": _dummy(s_c), "label": text, "kind": e.kind, "current": y == year}
                )
            if y != year:
                continue  # compare-year events: lighter shading, no label (see subtitle)
            x0 = (_dummy(s_c) - pd.Timestamp(_DUMMY_YEAR, 1, 1)).days / days * width
            w = len(text) * char_px + 6
            align = "left"
            x_text = x0 + 2
            if x0 + w > width:
                align, x_text = "right", min(width, x0 + 2)
                left_edge = x_text - w
            else:
                left_edge = x0
            right_edge = left_edge + w
            row = next((i for i, end in enumerate(rows_end) if left_edge > end), len(rows_end))
            if row == len(rows_end):
                rows_end.append(right_edge)
            else:
                rows_end[row] = right_edge
            labels.append(
                {
                    "x": x_text,
                    "row": row,
                    "label": text,
                    "align": align,
                    "current": y == year,
                    "x0": x0,
                }
            )
    return pd.DataFrame(bands), pd.DataFrame(rules), pd.DataFrame(labels)


def monthly_chart(
    monthly: pd.DataFrame,
    *,
    label: str,
    year: int,
    compare: int,
    events: pd.DataFrame | None = None,
    area: str = "London",
    source: str = "Source: Metropolitan Police Service recorded crime (London Datastore).",
    width: int = 660,
    height: int = 260,
) -> alt.LayerChart:
    """Monthly counts of one measure, the two years side by side (Jan–Dec lines).

    Parameters
    ----------
    monthly : DataFrame
        ``year, month_num, count`` for the measure (missing months NaN: a gap in the line).
    label : str
        Measure label for the title.
    year, compare : int
        Report and comparison years; the report year is solid blue, the comparison dashed orange.
    events : DataFrame, optional
        :func:`vrkit.catalog.events.events_frame` rows; periods are shaded, single dates are
        drawn as rules, each labelled above the plot.
    """
    d = monthly[monthly["year"].isin([year, compare])].copy()
    d["date"] = [pd.Timestamp(_DUMMY_YEAR, int(m), 15) for m in d["month_num"]]
    d["Year"] = d["year"].astype(int).astype(str)
    d["count"] = d["count"].astype(float)
    order = [str(compare), str(year)]
    colour = alt.Color(
        "Year:N",
        scale=alt.Scale(domain=order, range=[OKABE_ITO["orange"], OKABE_ITO["blue"]]),
        legend=alt.Legend(
            title=None,
            orient="top",
            direction="horizontal",
            symbolType="stroke",
            symbolStrokeWidth=3,
            symbolSize=400,
            labelFontSize=13,
        ),
    )
    dash = alt.StrokeDash(
        "Year:N", scale=alt.Scale(domain=order, range=[[6, 4], [1, 0]]), legend=None
    )
    x_scale = alt.Scale(
        domain=[
            pd.Timestamp(_DUMMY_YEAR, 1, 1).isoformat(),
            pd.Timestamp(_DUMMY_YEAR, 12, 31).isoformat(),
        ]
    )
    x = alt.X(
        "date:T",
        scale=x_scale,
        axis=alt.Axis(
            format="%b",
            tickCount={"interval": "month", "step": 1},
            title=None,
            grid=False,
            labelAlign="left",
            labelOffset=4,
        ),
    )
    y = alt.Y(
        "count:Q",
        title="Offences per month",
        scale=alt.Scale(zero=True),
        axis=alt.Axis(format=",d", tickCount=5),
    )
    layers: list[Any] = []
    bands, rules, labels = _event_layers(
        events if events is not None else pd.DataFrame(columns=["label", "start", "end", "kind"]),
        year,
        compare,
        width,
    )
    n_rows = int(labels["row"].max()) + 1 if not labels.empty else 0
    has_compare_events = any(
        not f.empty and (~f["current"].astype(bool)).any() for f in (bands, rules)
    )
    if not bands.empty:
        layers.append(
            alt.Chart(bands)
            .mark_rect(opacity=0.55)
            .encode(
                x="start:T",
                x2="end:T",
                color=alt.Color(
                    "current:N",
                    scale=alt.Scale(domain=[True, False], range=["#dcdcdc", "#eeeeee"]),
                    legend=None,
                ),
            )
        )
    if not rules.empty:
        layers.append(
            alt.Chart(rules)
            .mark_rule(strokeDash=[3, 3], color=GREY)
            .encode(
                x="date:T",
                strokeWidth=alt.StrokeWidth(
                    "current:N",
                    scale=alt.Scale(domain=[True, False], range=[1.3, 0.6]),
                    legend=None,
                ),
            )
        )
    tooltip = [
        alt.Tooltip("Year:N"),
        alt.Tooltip("date:T", format="%B", title="Month"),
        alt.Tooltip("count:Q", format=",d", title="Offences"),
    ]
    layers.append(
        alt.Chart(d)
        .mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=40, filled=True))
        .encode(x=x, y=y, color=colour, strokeDash=dash, tooltip=tooltip)
    )
    if not labels.empty:
        # label rows above the plot area, with a tick down to the event
        lab = labels.assign(ty=[-8 - 15 * (n_rows - 1 - r) for r in labels["row"]])
        for align in ("left", "right"):
            part = lab[lab["align"] == align]
            if part.empty:
                continue
            layers.append(
                alt.Chart(part)
                .mark_text(align=align, baseline="bottom", fontSize=11, color=TEXT, dx=0)
                .encode(x=alt.X("x:Q", scale=None), y=alt.value(0), text="label:N")
                .transform_calculate(dummy="0")
                .encode(y=alt.Y("ty:Q", scale=None))
            )
    layers.append(
        alt.Chart(pd.DataFrame({"t": [source]}))
        .mark_text(align="left", baseline="top", fontSize=11, color=GREY)
        .encode(x=alt.value(0), y=alt.value(height + 28), text="t:N")
    )
    title = alt.Title(
        f"{label}, {area}: {compare} and {year}",
        subtitle=["Offences recorded per month, January to December"]
        + (
            [
                f"Events in {year}: shaded = periods, dashed lines = single dates"
                + (f"; lighter = events in {compare}" if has_compare_events else "")
            ]
            if n_rows or has_compare_events
            else []
        ),
    )
    chart = (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .properties(
            width=width,
            height=height,
            title=title,
            padding={"left": 10, "right": 20, "top": 6, "bottom": 10},
        )
        .configure(**base_config())
    )
    return chart


def forecast_chart(res: Any, *, label: str, measure_label: str) -> alt.LayerChart:
    """History (last five years), forecast mean and 80 %/95 % intervals of one area.

    ``res`` is a :class:`vrkit.analysis.forecast.ForecastResult`; the title names the measure
    by its label and the area.
    """
    hist = res.history.dropna().tail(60).assign(kind="observed")
    fc = res.table
    base = alt.Chart(fc)
    band95 = base.mark_area(opacity=0.2, color="#1d70b8").encode(
        x=alt.X("month:T", title=None), y="lower_95:Q", y2="upper_95:Q"
    )
    band80 = base.mark_area(opacity=0.35, color="#1d70b8").encode(
        x="month:T", y="lower_80:Q", y2="upper_80:Q"
    )
    line = base.mark_line(color="#1d70b8", strokeDash=[4, 2]).encode(x="month:T", y="mean:Q")
    obs = (
        alt.Chart(hist)
        .mark_line(color="#0b0c0c")
        .encode(x="month:T", y=alt.Y("count:Q", title="offences per month"))
    )
    return (obs + band95 + band80 + line).properties(
        title=f"{measure_label} — {label}: history and forecast (80 % and 95 % intervals)",
        width=640,
        height=280,
    )

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


_ITEM = re.compile(r'<(path|text|line|circle|rect)\b([^>]*?\baria-label="([^"]*)"[^>]*?)(/?)>')


def _add_titles(svg: str) -> str:
    """A ``<title>`` (the browser's tooltip) inside every data item Vega labelled.

    Vega writes each item's ``description`` encoding (or its encoded fields) as an
    ``aria-label``; a static SVG has no tooltip handler, so the same text becomes the item's
    ``<title>``. Axes, legends and titles are groups and are left alone.
    """

    def sub(m: re.Match[str]) -> str:
        tag, attrs, text, closed = m.group(1), m.group(2), m.group(3), m.group(4)
        if 'role="graphics-symbol"' not in attrs:
            return m.group(0)
        attrs = attrs.rstrip()
        if closed:
            return f"<{tag}{attrs}><title>{text}</title></{tag}>"
        return f"<{tag}{attrs}><title>{text}</title>"

    return _ITEM.sub(sub, svg)


def _finish_svg(svg: str, description: str) -> str:
    prefix = f"c{next(_ids)}-"
    svg = _add_titles(svg)
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


#: marker geometry: diameter of a numbered event marker and the vertical step between lanes
MARKER_PX = 16
LANE_PX = 19


def _event_layers(
    events: pd.DataFrame, year: int, compare: int, width: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Bands, rules and numbered markers for events that fall in either year, on the Jan–Dec
    axis.

    Each report-year event gets a numbered marker above the plot at its start (the numbers are
    keyed in :func:`event_key`); markers go into stacked lanes, each in the lowest lane where it
    does not touch a marker already there, so no two markers ever overlap whatever the events.
    Compare-year events are shaded lighter and not numbered.
    """
    bands, rules, labels = [], [], []
    lanes_end: list[float] = []
    days = 366.0
    n = 0
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
            if y == year:
                n += 1
            number = str(n) if y == year else ""
            if en is not None:
                e_c = min(en, hi)
                bands.append(
                    {
                        "start": _dummy(s_c),
                        # to the start of the last day: adjacent periods keep a visible gap
                        "end": _dummy(e_c) + pd.Timedelta(hours=2 if e_c == s_c else 0),
                        "label": text,
                        "number": number,
                        "kind": e.kind,
                        "current": y == year,
                    }
                )
            else:
                rules.append(
                    {
                        "date": _dummy(s_c),
                        "label": text,
                        "number": number,
                        "kind": e.kind,
                        "current": y == year,
                    }
                )
            if y != year:
                continue  # compare-year events: lighter shading, no marker (see subtitle)
            x0 = (_dummy(s_c) - pd.Timestamp(_DUMMY_YEAR, 1, 1)).days / days * width
            x = min(max(x0, MARKER_PX / 2), width - MARKER_PX / 2)
            left = x - MARKER_PX / 2
            lane = next((i for i, end in enumerate(lanes_end) if left > end + 2), len(lanes_end))
            if lane == len(lanes_end):
                lanes_end.append(left + MARKER_PX)
            else:
                lanes_end[lane] = left + MARKER_PX
            labels.append(
                {
                    "x": x,
                    "row": lane,
                    "n": n,
                    "number": number,
                    "label": text,
                    "x0": x0,
                    "start": s_c.date(),
                    "end": min(en, hi).date() if en is not None else None,
                    "current": True,
                }
            )
    return pd.DataFrame(bands), pd.DataFrame(rules), pd.DataFrame(labels)


def event_key(events: pd.DataFrame | None, year: int, compare: int) -> list[dict[str, Any]]:
    """The key of the numbered event markers of :func:`monthly_chart`: ``n`` and ``text``
    ("Rule of six, 14 September" or "Second national lockdown, 5 November to 2 December")."""
    if events is None or events.empty:
        return []
    _, _, labels = _event_layers(events, year, compare, 660)
    out = []
    for r in labels.itertuples():
        when = f"{r.start.day} {r.start:%B}"
        if r.end is not None and r.end != r.start:
            when += f" to {r.end.day} {r.end:%B}"
        out.append({"n": int(r.n), "text": f"{r.label}, {when}"})
    return out


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
    d["desc"] = [
        f"{pd.Timestamp(_DUMMY_YEAR, int(m), 1):%B} {int(y)}: "
        + ("no data" if pd.isna(c) else f"{c:,.0f} offences")
        for m, y, c in zip(d["month_num"], d["year"], d["count"], strict=True)
    ]
    order = [str(compare), str(year)]
    colour = alt.Color(
        "Year:N",
        scale=alt.Scale(domain=order, range=[OKABE_ITO["orange"], OKABE_ITO["blue"]]),
        legend=alt.Legend(
            title=None,
            orient="bottom",
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
                description=alt.Description("label:N"),
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
                description=alt.Description("label:N"),
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
        .encode(
            x=x,
            y=y,
            color=colour,
            strokeDash=dash,
            tooltip=tooltip,
            description=alt.Description("desc:N"),
        )
    )
    if not labels.empty:
        # numbered markers in lanes above the plot, with a tick down to the event
        lab = labels.drop(columns=["start", "end"]).assign(
            ty=[-MARKER_PX / 2 - 4 - LANE_PX * r for r in labels["row"]],
            tip=[
                f"{k['n']}. {k['text']}"
                for k in event_key(events, year, compare)  # same order as labels
            ],
        )
        pos = {"x": alt.X("x:Q", scale=None), "y": alt.Y("ty:Q", scale=None)}
        layers.append(
            alt.Chart(lab, name="event_marker_circles")
            .mark_circle(size=MARKER_PX**2 * 0.9, color="#ffffff", stroke=TEXT, strokeWidth=1.2)
            .encode(**pos, description=alt.Description("tip:N"))
        )
        layers.append(
            alt.Chart(lab, name="event_markers")
            .mark_text(
                align="center", baseline="middle", fontSize=10, fontWeight="bold", color=TEXT
            )
            .encode(**pos, text="number:N", description=alt.Description("tip:N"))
        )
    layers.append(
        alt.Chart(pd.DataFrame({"t": [source]}), name="source_note")
        .mark_text(align="left", baseline="top", fontSize=11, color=GREY)
        .encode(x=alt.value(0), y=alt.value(height + 58), text="t:N")
    )
    title = alt.Title(
        f"{label}, {area}: {compare} and {year}",
        subtitle=["Offences recorded per month, January to December"]
        + (
            [
                f"Events in {year} (numbered, see the key): shaded = periods, dashed = single dates"
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

    ``res`` is a :class:`vrkit.analysis.forecast.ForecastResult`; ``label`` names the area and
    ``measure_label`` the measure (its catalogue label, never its id). Every axis is titled.
    """
    hist = res.history.dropna().tail(60).assign(kind="observed")
    fc = res.table
    x = alt.X("month:T", title=None, axis=alt.Axis(format="%b %Y"))
    y_title = "Offences per month"
    base = alt.Chart(fc)
    band95 = base.mark_area(opacity=0.2, color="#1d70b8").encode(
        x=x, y=alt.Y("lower_95:Q", title=y_title), y2="upper_95:Q"
    )
    band80 = base.mark_area(opacity=0.35, color="#1d70b8").encode(
        x=x, y=alt.Y("lower_80:Q", title=y_title), y2="upper_80:Q"
    )
    line = base.mark_line(color="#1d70b8", strokeDash=[4, 2]).encode(
        x=x, y=alt.Y("mean:Q", title=y_title)
    )
    obs = (
        alt.Chart(hist)
        .mark_line(color=TEXT)
        .encode(x=x, y=alt.Y("count:Q", title=y_title, axis=alt.Axis(format=",d")))
    )
    return (
        alt.layer(obs, band95, band80, line)
        .properties(
            title=alt.Title(
                f"{measure_label}, {label}: history and forecast",
                subtitle="Black: offences recorded; dashed blue: forecast, with 80 % and 95 % "
                "intervals shaded",
            ),
            width=640,
            height=280,
        )
        .configure(**base_config())
    )

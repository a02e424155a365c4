"""A small server-side SVG line chart for the trend explorer: no script, no inline style (the
portal's CSP), a text alternative, and suppressed months drawn as gaps and named."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from html import escape


def line_chart(
    months: Sequence[date],
    values: Sequence[float | None],
    *,
    title: str,
    width: int = 900,
    height: int = 320,
) -> str:
    pts = [(m, v) for m, v in zip(months, values, strict=True)]
    known = [v for _, v in pts if v is not None and not math.isnan(v)]
    if not known:
        return f'<p class="govuk-body">No figures to chart for {escape(title)}.</p>'
    left, right, top, bottom = 70, 20, 20, 40
    w, h = width - left - right, height - top - bottom
    vmax = max(known) * 1.1 or 1.0
    n = max(len(pts) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + w * i / n, top + h * (1 - v / vmax)

    segments: list[list[str]] = [[]]
    for i, (_, v) in enumerate(pts):
        if v is None or math.isnan(v):
            if segments[-1]:
                segments.append([])
            continue
        x, y = xy(i, v)
        segments[-1].append(f"{x:.1f},{y:.1f}")
    lines = "".join(
        f'<polyline class="vrkit-line" points="{" ".join(s)}" fill="none" stroke="#1d70b8" stroke-width="2"/>'
        for s in segments
        if s
    )
    ticks = []
    for k in range(5):
        v = vmax * k / 4
        _, y = xy(0, v)
        ticks.append(
            f'<line x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#b1b4b6" stroke-width="1"/>'
            f'<text class="vrkit-svg-text" x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{v:,.0f}</text>'
        )
    years = []
    for i, (m, _) in enumerate(pts):
        if m.month == 1 or i == 0:
            x, _ = xy(i, 0)
            years.append(
                f'<text class="vrkit-svg-text" x="{x:.1f}" y="{top + h + 24}" text-anchor="middle">{m.year}</text>'
            )
    first, last = pts[0][0], pts[-1][0]
    desc = (
        f"Monthly counts from {first:%B %Y} to {last:%B %Y}; highest {max(known):,.0f}, "
        f"lowest {min(known):,.0f}. The table below gives every figure."
    )
    return (
        f'<svg class="vrkit-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(desc)}</desc>'
        f"{''.join(ticks)}{lines}{''.join(years)}</svg>"
    )

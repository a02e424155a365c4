"""The directory's map, drawn on the server as SVG (no script, no inline style: the portal's
CSP), so that the search works without JavaScript; with JavaScript the vendored Leaflet map
(``static/directory-map.mjs``) replaces it with the same points. No tiles: the borough
boundaries come from the warehouse."""

from __future__ import annotations

from html import escape
from typing import Any

from vrkit.analysis.gazetteer import Gazetteer


def svg_map(
    gz: Gazetteer,
    points: list[tuple[int, float, float, str]],
    *,
    origin: tuple[float, float, str] | None = None,
    highlight: str | None = None,
    width: int = 640,
) -> str:
    """Borough outlines with numbered service points (the numbers of the results list)."""
    outlines = gz.outlines()
    if not outlines:
        return ""
    xs, ys = [], []
    for _, _, g in outlines:
        minx, miny, maxx, maxy = g.bounds
        xs += [minx, maxx]
        ys += [miny, maxy]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    scale = width / (x1 - x0)
    height = int((y1 - y0) * scale) + 1

    def xy(x: float, y: float) -> tuple[float, float]:
        return (x - x0) * scale, (y1 - y) * scale

    def ring(coords: Any) -> str:
        return "M" + "L".join(f"{a:.1f},{b:.1f}" for a, b in (xy(x, y) for x, y in coords)) + "Z"

    paths = []
    for code, name, g in outlines:
        polys = list(g.geoms) if hasattr(g, "geoms") else [g]
        d = "".join(ring(p.exterior.coords) for p in polys)
        cls = "vrkit-map-borough" + (" vrkit-map-borough--on" if code == highlight else "")
        paths.append(f'<path class="{cls}" d="{d}"><title>{escape(name)}</title></path>')
    marks = []
    for n, lat, lon, label in points:
        x, y = xy(*gz.to_bng(lat, lon))
        marks.append(
            f'<g class="vrkit-map-point"><circle cx="{x:.1f}" cy="{y:.1f}" r="7"/>'
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle">{n}</text>'
            f"<title>{n}. {escape(label)}</title></g>"
        )
    if origin is not None:
        x, y = xy(*gz.to_bng(origin[0], origin[1]))
        marks.append(
            f'<g class="vrkit-map-origin"><path d="M{x - 8:.1f},{y:.1f}L{x:.1f},{y - 8:.1f}'
            f'L{x + 8:.1f},{y:.1f}L{x:.1f},{y + 8:.1f}Z"/><title>Search point: '
            f"{escape(origin[2])}</title></g>"
        )
    desc = (
        f"Map of the London boroughs with {len(points)} numbered service location(s); the "
        "numbers match the list of results."
    )
    return (
        f'<svg class="vrkit-map" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="map-title map-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="map-title">Where the services are</title><desc id="map-desc">{desc}</desc>'
        f"{''.join(paths)}{''.join(marks)}</svg>"
    )

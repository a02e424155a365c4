"""The hot spot map: Getis-Ord Gi* of LSOA counts for a measure and year (``vrkit hotspots
--geography lsoa --statistic gi``, the project's one default inference: analytic z-scores, FDR at
5 %), drawn on the server as SVG (no script needed) with the same places in a table.

Editions (decided by :func:`vrkit.web.authz.authorize`, family ``police``):

- **full** (VRU analyst, police partner, a CSP analyst for its own borough): each LSOA's count,
  Gi* z-score, adjusted p-value and class;
- **public** (everyone else, a CSP analyst for London or another borough): each LSOA's class
  only (hot spot, cold spot, not significant). LSOA counts stay inside the scope (issue #14);
  z-scores are not published because with the neighbour structure they are a linear system
  from which the counts could be solved. The public table is ordered by class and name, not by
  z-score, for the same reason.
"""

from __future__ import annotations

import math
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from vrkit.ops.roles import POLICE, PUBLIC_VIEW
from vrkit.web import tasks
from vrkit.web.authz import Access, access, guard
from vrkit.web.render import render
from vrkit.web.routes.common import area_choices, memo
from vrkit.web.routes.reports import _check_area

router = APIRouter(include_in_schema=False)

CLASSES = {"hot": "Hot spot", "cold": "Cold spot", "not significant": "Not significant"}
_ORDER = {"hot": 0, "cold": 1, "not significant": 2}


def svg_choropleth(layer: Any, *, title: str, width: int = 640) -> str:
    """Polygons of ``layer`` (EPSG:27700) filled by ``hotspot_class`` (CSS classes, no inline
    style: the portal's CSP), each with its name as a tooltip."""
    if layer.empty:
        return ""
    x0, y0, x1, y1 = layer.total_bounds
    scale = width / max(x1 - x0, 1.0)
    height = int((y1 - y0) * scale) + 1
    tol = 0.75 / scale  # simplify to under a pixel

    def ring(coords: Any) -> str:
        pts = [f"{(x - x0) * scale:.1f},{(y1 - y) * scale:.1f}" for x, y in coords]
        return "M" + "L".join(pts) + "Z"

    paths = []
    for geom, cls, name, code in zip(
        layer.geometry.simplify(tol),
        layer["hotspot_class"],
        layer.get("area_name", layer["area_code"]),
        layer["area_code"],
        strict=True,
    ):
        if geom is None or geom.is_empty:
            continue
        polys = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
        d = "".join(ring(p.exterior.coords) for p in polys)
        css = "vrkit-hs-" + str(cls).replace(" ", "-")
        label = f"{name} ({code}): {CLASSES.get(str(cls), cls)}"
        paths.append(f'<path class="{css}" d="{d}"><title>{escape(label)}</title></path>')
    n_hot = int((layer["hotspot_class"] == "hot").sum())
    n_cold = int((layer["hotspot_class"] == "cold").sum())
    desc = (
        f"Map of {len(paths)} LSOAs: {n_hot} hot spot(s) in red, {n_cold} cold spot(s) in blue, "
        "the others grey. The table below lists every LSOA."
    )
    return (
        f'<svg class="vrkit-map" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="hs-title hs-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="hs-title">{escape(title)}</title><desc id="hs-desc">{desc}</desc>'
        f"{''.join(paths)}</svg>"
    )


def _num(v: Any, digits: int) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{float(v):,.{digits}f}"


@router.get("/hotspots", response_class=HTMLResponse, name="hotspots")
@guard(PUBLIC_VIEW, family=POLICE, param="area")
def hotspots_page(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    measure: Annotated[str, Query(max_length=60)] = "violence_against_the_person",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    area: Annotated[str, Query(max_length=80)] = "London",
) -> Response:
    area = _check_area(area)
    res = memo(
        request,
        "hotspots",
        (measure, year, area),
        lambda wh: tasks.hotspots(wh, measure=measure, year=year, area=area),
    )
    layer = res.layer
    used = int(res.summary["year"])
    label = dict(tasks.measures()).get(measure, measure)
    frame = layer.drop(columns="geometry")
    if acc.full:
        frame = frame.sort_values(["gi_z", "area_code"], ascending=[False, True])
    else:
        frame = frame.assign(_o=frame["hotspot_class"].map(_ORDER)).sort_values(
            ["_o", "area_name" if "area_name" in frame else "area_code", "area_code"]
        )
    rows = [
        {
            "code": r["area_code"],
            "name": r.get("area_name", ""),
            "cls": CLASSES.get(str(r["hotspot_class"]), str(r["hotspot_class"])),
            "count": _num(r["count"], 0) if acc.full else "",
            "z": _num(r["gi_z"], 2) if acc.full else "",
            "p": _num(r["p_adjusted"], 3) if acc.full else "",
        }
        for _, r in frame.iterrows()
    ]
    title = f"Hot spots of {label.lower()}, {area}, {used}"
    params = res.summary.get("gi_params", {})
    return render(
        request,
        "hotspots.html",
        {
            "title": "Hot spots",
            "measures": tasks.measures(),
            "measure": measure,
            "years": [("", "Latest")] + [(str(y), str(y)) for y in range(2021, 2010, -1)],
            "year": "" if year is None else str(year),
            "used": used,
            "areas": area_choices(acc),
            "area": area,
            "label": label,
            "map": svg_choropleth(layer, title=title),
            "rows": rows,
            "n_hot": sum(r["cls"] == "Hot spot" for r in rows),
            "n_cold": sum(r["cls"] == "Cold spot" for r in rows),
            "edition": acc.edition,
            "summary": res.summary,
            "alpha": res.summary.get("alpha"),
            "adjust": res.summary.get("adjust"),
            "method": "conditional permutations"
            if params.get("inference") == "permutation"
            else "analytic z-scores",
            "warnings": res.warnings,
            "heading": title,
        },
    )

"""Choropleth maps as static SVG (altair ``mark_geoshape`` + vl-convert; no basemap, no JS).

Geometries come from the warehouse as WKB in British National Grid (EPSG:27700); they are
simplified there (in metres) and reprojected to WGS84 (EPSG:4326) for GeoJSON, the only CRS
Vega-Lite projects.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from vrkit.reports.render.charts import GREY, base_config

#: fill for areas with no value (not in the data, or missing)
NO_DATA = "#d9d9d9"
#: fill for areas whose value is suppressed by disclosure control (not a colour of any scale)
SUPPRESSED_FILL = "#3b3b3b"
#: name of the top-level dataset holding the GeoJSON features
GEO_DATASET = "areas"
#: datasets of the parent-area outlines and their label points (ward maps)
OUTLINE_DATASET = "outlines"
LABEL_DATASET = "outline_labels"
TEXT_DARK = "#0b0c0c"


def geojson_features(
    geometry: pd.DataFrame,
    values: pd.DataFrame,
    *,
    fields: tuple[str, ...],
    tolerance: float = 15.0,
    numeric: bool = True,
) -> list[dict[str, Any]]:
    """GeoJSON features (EPSG:4326) of ``geometry`` rows with ``values`` joined on area_code.

    The one GeoJSON helper of the reports (choropleths and category maps).

    Parameters
    ----------
    geometry : DataFrame
        ``area_code, area_name, geometry``: WKB bytes (as the warehouse stores them) or shapely
        geometries (a GeoDataFrame), in EPSG:27700.
    values : DataFrame
        ``area_code`` plus the ``fields`` to attach as properties (NaN → null).
    tolerance : float
        Douglas–Peucker simplification tolerance in metres, applied in EPSG:27700 with topology
        preserved.
    numeric : bool
        Properties as numbers (a value scale) or, if False, as text (categories).
    """
    import geopandas as gpd
    import shapely

    if geometry.empty:
        return []
    raw = geometry["geometry"].to_numpy()
    if isinstance(raw[0], bytes | bytearray | memoryview):
        geoms = shapely.from_wkb([bytes(g) for g in raw])
    else:
        geoms = raw
    geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    gs = gpd.GeoSeries(geoms, crs="EPSG:27700").to_crs("EPSG:4326")
    # 5 decimal places of a degree ≈ 1 m: plenty for a map, and a much smaller SVG
    gs = gpd.GeoSeries(shapely.transform(gs.to_numpy(), lambda c: np.round(c, 5)), crs="EPSG:4326")
    merged = geometry[["area_code", "area_name"]].merge(
        values[["area_code", *fields]], on="area_code", how="left"
    )
    feats = []
    for (_, row), geom in zip(merged.iterrows(), gs, strict=True):
        props: dict[str, Any] = {"area_code": row["area_code"], "area_name": row["area_name"]}
        for f in fields:
            v = row[f]
            if numeric:
                missing = v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                props[f] = None if missing else (v if isinstance(v, str) else float(v))
            else:
                props[f] = None if pd.isna(v) else str(v)
        feats.append(
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}
        )
    return feats


def choropleth(
    features: list[dict[str, Any]],
    *,
    field: str,
    title: str,
    subtitle: str | list[str],
    legend_title: str,
    diverging: bool = False,
    value_format: str = ",.1f",
    source: str = "",
    width: int = 420,
    height: int = 330,
    suppressed_field: str | None = None,
    classes: int | None = None,
    outlines: bool = False,
    categories: Sequence[tuple[str, str]] | None = None,
) -> alt.LayerChart:
    """A choropleth of ``properties[field]``; areas without a value are light grey.

    Sequential values use the single-hue ``blues`` scheme; diverging values (a % change) use
    ``blueorange`` centred on 0 (falls blue, rises orange). Both are colour-blind safe.
    With ``suppressed_field``, features whose property is truthy are drawn dark grey with a
    white diagonal hatch and the tooltip "suppressed" (never 0, never a colour of the scale).

    With ``classes``, a sequential map uses that many quantile classes (equal numbers of areas
    in each) with the class breaks in the legend, so one extreme area (the West End) does not
    wash out every other: see :func:`quantile_breaks`. Every area carries an SVG ``<title>``
    tooltip ("Area: value"). With ``outlines``, the parent areas (boroughs) attached by
    :func:`map_svg` as ``outlines`` are drawn over the map and labelled at a point inside each.
    With ``categories`` (``(value, colour)`` pairs, e.g. counts-aware change classes), the
    field is categorical and each value has its fixed colour.
    """
    # The features are attached as a named top-level dataset by :func:`map_svg`, so altair
    # never walks (or validates) thousands of coordinates.
    data = alt.NamedData(name=GEO_DATASET)
    prop = f"properties.{field}"
    # the no-data fill under every area: decorative (each valued area has its own <title>)
    base = alt.Chart(data).mark_geoshape(
        fill=NO_DATA, stroke="#ffffff", strokeWidth=0.4, aria=False
    )
    vals = [f["properties"][field] for f in features if f["properties"][field] is not None]
    color: Any = None
    if categories:
        # categorical classes (e.g. counts-aware change classes) with fixed colours
        color = alt.Color(
            f"{prop}:N",
            scale=alt.Scale(domain=[c for c, _ in categories], range=[h for _, h in categories]),
            legend=alt.Legend(title=legend_title, orient="right", direction="vertical"),
        )
    if categories:
        scale = None
    elif diverging:
        # symmetric about 0; a few extreme small-area changes must not wash out the rest
        a = np.abs(np.asarray(vals, dtype=float))
        m = float(np.quantile(a, 0.95)) if a.size else 1.0
        m = max(5.0, 5.0 * np.ceil(m / 5.0))
        scale = alt.Scale(scheme="blueorange", domainMid=0, domain=[-m, m], clamp=True)
    elif classes and len(set(vals)) > classes:
        breaks = quantile_breaks(vals, classes)
        scale = alt.Scale(type="threshold", domain=breaks, range=list(BLUES[len(breaks) + 1]))
    else:
        scale = alt.Scale(scheme="blues", zero=False)
    fill = (
        alt.Chart(data)
        .mark_geoshape(stroke="#ffffff", strokeWidth=0.4)
        .encode(
            color=color
            if categories
            else alt.Color(
                f"{prop}:Q",
                scale=scale,
                legend=alt.Legend(
                    title=legend_title,
                    format=value_format,
                    orient="right",
                    gradientLength=180,
                    direction="vertical",
                ),
            ),
            description=alt.Description("desc:N"),
            tooltip=[
                alt.Tooltip("properties.area_name:N", title="Area"),
                alt.Tooltip(f"{prop}:N", title=legend_title)
                if categories
                else alt.Tooltip(f"{prop}:Q", title=legend_title, format=value_format),
            ],
        )
        .transform_filter(f"isValid(datum.properties.{field})")
        .transform_calculate(
            desc=f"datum.properties.area_name + ': ' + datum.properties.{field}"
            if categories
            else f"datum.properties.area_name + ': ' + format(datum.properties.{field}, "
            f"'{value_format}')"
        )
    )
    layers: list[Any] = [base, fill]
    if suppressed_field:
        layers.append(
            alt.Chart(data)
            .mark_geoshape(fill=SUPPRESSED_FILL, stroke="#ffffff", strokeWidth=0.4)
            .encode(
                tooltip=[
                    alt.Tooltip("properties.area_name:N", title="Area"),
                    alt.Tooltip("status:N", title=legend_title),
                ],
                description=alt.Description("desc:N"),
            )
            .transform_filter(f"datum.properties.{suppressed_field} == 1")
            .transform_calculate(
                status="'suppressed'", desc="datum.properties.area_name + ': suppressed'"
            )
        )
    if outlines:
        lines = alt.NamedData(name=OUTLINE_DATASET)
        layers.append(
            alt.Chart(lines).mark_geoshape(
                filled=False, stroke=TEXT_DARK, strokeWidth=0.9, aria=False
            )
        )
        layers.append(
            alt.Chart(alt.NamedData(name=LABEL_DATASET), name="area_labels")
            .mark_text(fontSize=7, color=TEXT_DARK, fontWeight="bold", aria=False)
            .encode(longitude="lon:Q", latitude="lat:Q", text="short:N")
        )
    if source:
        layers.append(
            alt.Chart(pd.DataFrame({"t": [source]}))
            .mark_text(align="left", baseline="top", fontSize=11, color=GREY)
            .encode(x=alt.value(0), y=alt.value(height + 6), text="t:N")
        )
    return (
        alt.layer(*layers)
        .properties(
            width=width,
            height=height,
            title=alt.Title(title, subtitle=subtitle),
            projection=alt.Projection(type="mercator"),
        )
        .configure(**base_config())
    )


#: ColorBrewer "Blues" sequential classes (Brewer 2002), by number of classes
BLUES = {
    3: ("#deebf7", "#9ecae1", "#3182bd"),
    4: ("#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"),
    5: ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"),
    6: ("#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"),
}


def quantile_breaks(values: list[float], classes: int = 5) -> list[float]:
    """Inner class breaks putting (about) equal numbers of ``values`` in each of ``classes``
    classes (quantiles, rounded to 3 significant figures, duplicates dropped)."""
    a = np.asarray(values, dtype=float)
    a = a[~np.isnan(a)]
    qs = np.quantile(a, np.linspace(0, 1, classes + 1)[1:-1])
    out: list[float] = []
    for q in qs:
        v = float(f"{q:.3g}")
        if not out or v > out[-1]:
            out.append(v)
    return out


def is_skewed(values: list[float]) -> bool:
    """True when a few high values would wash out a linear colour scale: the mean exceeds the
    median by more than 20 %, or the maximum is more than 3 × the 90th percentile (10 or more
    values)."""
    a = np.asarray([v for v in values if v is not None], dtype=float)
    if a.size < 10:
        return False
    med, p90 = float(np.median(a)), float(np.quantile(a, 0.9))
    return bool(a.mean() > 1.2 * med or a.max() > 3 * p90)


def outline_data(
    geometry: pd.DataFrame,
    *,
    tolerance: float = 60.0,
    width: int = 420,
    height: int = 330,
    font_px: float = 7.0,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Outline features (EPSG:4326) and label points of ``geometry`` (``area_code, area_name,
    geometry`` in EPSG:27700) for a map ``width`` × ``height`` px.

    Each label sits at a point inside its area. Labels are placed largest area first and a
    label whose box (text width ≈ 0.7 × font size per character) would overlap one already
    placed is left out, so the names never print over each other (small central areas go
    unlabelled; their names are in the tooltips and tables).
    """
    import geopandas as gpd
    import shapely

    if geometry.empty:
        return [], []
    feats = geojson_features(
        geometry, geometry[["area_code"]], fields=(), tolerance=tolerance, numeric=False
    )
    raw = geometry["geometry"].to_numpy()
    geoms = np.asarray(
        shapely.from_wkb([bytes(g) for g in raw])
        if isinstance(raw[0], bytes | bytearray | memoryview)
        else raw
    )
    x0, y0, x1, y1 = shapely.total_bounds(geoms)
    px_per_m = min(width / max(x1 - x0, 1.0), height / max(y1 - y0, 1.0))
    pts = shapely.point_on_surface(geoms)
    order = np.argsort(-shapely.area(geoms))
    placed: list[tuple[float, float, float, float]] = []
    keep: list[int] = []
    for i in order:
        name = short_name(str(geometry["area_name"].iloc[i]))
        w = len(name) * 0.7 * font_px / px_per_m / 2 + 2 / px_per_m
        h = (font_px + 2) / px_per_m / 2
        x, y = shapely.get_x(pts[i]), shapely.get_y(pts[i])
        box = (x - w, y - h, x + w, y + h)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed):
            continue
        placed.append(box)
        keep.append(int(i))
    wgs = gpd.GeoSeries(pts[keep], crs="EPSG:27700").to_crs("EPSG:4326")
    labels = [
        {
            "lon": round(p.x, 5),
            "lat": round(p.y, 5),
            "short": short_name(str(geometry["area_name"].iloc[i])),
        }
        for p, i in zip(wgs, keep, strict=True)
    ]
    return feats, labels


def short_name(name: str) -> str:
    """A borough name short enough to label a small map ("Richmond upon Thames" → "Richmond",
    "Barking and Dagenham" → "Barking")."""
    s = name.replace(" upon Thames", "").replace(" and ", " & ").replace("City of London", "City")
    if len(s) <= 14:
        return s
    out = ""
    for word in s.split():
        if len(f"{out} {word}".strip()) > 14:
            break
        out = f"{out} {word}".strip()
    return out.rstrip(" &") or s[:14]


def map_svg(
    chart: alt.TopLevelMixin,
    features: list[dict[str, Any]],
    *,
    description: str,
    outlines: tuple[list, list] | None = None,
) -> str:
    """Render a :func:`choropleth` to SVG with ``features`` attached as its dataset (and, with
    ``outlines``, the parent areas' outline features and label points)."""
    from vrkit.reports.render.charts import spec_to_svg

    spec = chart.to_dict(validate=False)
    spec.setdefault("datasets", {})[GEO_DATASET] = features
    if outlines is not None:
        spec["datasets"][OUTLINE_DATASET] = outlines[0]
        spec["datasets"][LABEL_DATASET] = outlines[1]
    return spec_to_svg(spec, description=description)

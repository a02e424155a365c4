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

from vrkit.reports.charts import GREY, base_config

#: fill for areas with no value (not in the data, or missing)
NO_DATA = "#d9d9d9"
#: fill for areas whose value is suppressed by disclosure control (not a colour of any scale)
SUPPRESSED_FILL = "#3b3b3b"
#: name of the top-level dataset holding the GeoJSON features
GEO_DATASET = "areas"


def geojson_features(
    geometry: pd.DataFrame,
    values: pd.DataFrame,
    *,
    fields: tuple[str, ...],
    tolerance: float = 15.0,
) -> list[dict[str, Any]]:
    """GeoJSON features (EPSG:4326) of ``geometry`` rows with ``values`` joined on area_code.

    Parameters
    ----------
    geometry : DataFrame
        ``area_code, area_name, geometry`` (WKB bytes in EPSG:27700).
    values : DataFrame
        ``area_code`` plus the ``fields`` to attach as properties (NaN → null).
    tolerance : float
        Douglas–Peucker simplification tolerance in metres, applied in EPSG:27700 with topology
        preserved.
    """
    import geopandas as gpd
    import shapely

    if geometry.empty:
        return []
    geoms = shapely.from_wkb(geometry["geometry"].map(bytes).to_numpy())
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
            if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
                props[f] = None
            else:
                props[f] = v if isinstance(v, str) else float(v)
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
    classes: Sequence[tuple[str, str]] | None = None,
) -> alt.LayerChart:
    """A choropleth of ``properties[field]``; areas without a value are light grey.

    Sequential values use the single-hue ``blues`` scheme; diverging values (a % change) use
    ``blueorange`` centred on 0 (falls blue, rises orange). Both are colour-blind safe.
    With ``suppressed_field``, features whose property is truthy are drawn dark grey with a
    white diagonal hatch and the tooltip "suppressed" (never 0, never a colour of the scale).
    """
    # The features are attached as a named top-level dataset by :func:`map_svg`, so altair
    # never walks (or validates) thousands of coordinates.
    data = alt.NamedData(name=GEO_DATASET)
    prop = f"properties.{field}"
    base = alt.Chart(data).mark_geoshape(fill=NO_DATA, stroke="#ffffff", strokeWidth=0.4)
    vals = [f["properties"][field] for f in features if f["properties"][field] is not None]
    color: Any
    if classes:
        # categorical classes (e.g. counts-aware change classes) with fixed colours
        color = alt.Color(
            f"{prop}:N",
            scale=alt.Scale(domain=[c for c, _ in classes], range=[h for _, h in classes]),
            legend=alt.Legend(title=legend_title, orient="right"),
        )
    if classes:
        scale = None
    elif diverging:
        # symmetric about 0; a few extreme small-area changes must not wash out the rest
        a = np.abs(np.asarray(vals, dtype=float))
        m = float(np.quantile(a, 0.95)) if a.size else 1.0
        m = max(5.0, 5.0 * np.ceil(m / 5.0))
        scale = alt.Scale(scheme="blueorange", domainMid=0, domain=[-m, m], clamp=True)
    else:
        scale = alt.Scale(scheme="blues", zero=False)
    fill = (
        alt.Chart(data)
        .mark_geoshape(stroke="#ffffff", strokeWidth=0.4)
        .encode(
            color=color
            if classes
            else alt.Color(
                f"{prop}:Q",
                scale=scale,
                legend=alt.Legend(
                    title=legend_title, format=value_format, orient="right", gradientLength=180
                ),
            ),
            tooltip=[
                alt.Tooltip("properties.area_name:N", title="Area"),
                alt.Tooltip(f"{prop}:N", title=legend_title)
                if classes
                else alt.Tooltip(f"{prop}:Q", title=legend_title, format=value_format),
            ],
        )
        .transform_filter(f"isValid(datum.properties.{field})")
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
                ]
            )
            .transform_filter(f"datum.properties.{suppressed_field} == 1")
            .transform_calculate(status="'suppressed'")
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


def map_svg(chart: alt.TopLevelMixin, features: list[dict[str, Any]], *, description: str) -> str:
    """Render a :func:`choropleth` to SVG with ``features`` attached as its dataset."""
    from vrkit.reports.charts import spec_to_svg

    spec = chart.to_dict(validate=False)
    spec.setdefault("datasets", {})[GEO_DATASET] = features
    return spec_to_svg(spec, description=description)

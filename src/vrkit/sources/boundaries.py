"""Boundary layers (shapefile, GeoJSON, GeoPackage) → ``area`` and ``area_link`` rows.

Format ``boundary``
    One polygon layer whose fields identify it (the GLA "Statistical GIS Boundary Files for
    London" and the 2018 London wards):

    ================  ===========================================  ===================  ========
    layout            fields (at least)                            area_type            parent
    ================  ===========================================  ===================  ========
    LSOA 2011         LSOA11CD, LSOA11NM, MSOA11CD, LAD11CD        ``lsoa11``           LAD11CD
    MSOA 2011         MSOA11CD, MSOA11NM, LAD11CD                  ``msoa11``           LAD11CD
    London boroughs   NAME, GSS_CODE, HECTARES, NONLD_AREA,        ``lad``              —
                      ONS_INNER
    wards 2014        NAME, GSS_CODE, LB_GSS_CD, BOROUGH           ``ward14``           LB_GSS_CD
    wards 2018        NAME, GSS_CODE, DISTRICT, LAGSSCODE          ``ward18``           LAGSSCODE
    ================  ===========================================  ===================  ========

    The *CityMerged* ward files (the 25 City of London wards merged into one polygon) have the
    same fields as the full ward files; they are told apart by the file name containing
    ``citymerged`` and stored as ``ward14_citymerged`` / ``ward18_citymerged`` so that they never
    replace the full layers (in the 2018 file the merged City keeps a ward code, E05009297, that
    is also a real single ward).

Geometry
    Reprojected to British National Grid (EPSG:27700) and stored as WKB in ``area.geometry``.
    A layer whose CRS is recognised as EPSG:27700 (the GLA files carry an ESRI WKT without an
    EPSG code) is relabelled, not transformed, so coordinates stay bit-identical. A GeoJSON file
    without a ``crs`` member is longitude/latitude WGS84 by RFC 7946 §4; that is accepted only
    when its coordinates are plausible longitudes/latitudes. ``area.area_ha`` is always
    **computed from the geometry** in EPSG:27700 (planar area / 10,000); where the layer has a
    ``HECTARES`` field the two are compared in the report notes (the GLA ``HECTARES`` includes
    non-land area, so it differs by up to ~9 % for riverside boroughs). Invalid geometries are
    repaired with :func:`shapely.make_valid` and counted in the notes.

Links
    The hierarchy the layer carries becomes ``area_link`` rows with weight 1.0 (exact nesting):
    ``lsoa11_msoa11`` and ``lsoa11_lad`` from the LSOA layer, ``msoa11_lad``, ``ward14_lad``,
    ``ward18_lad`` (and ``ward14_citymerged_lad`` / ``ward18_citymerged_lad``). LSOA→ward links
    have no published lookup and are derived by :func:`vrkit.analysis.geography.best_fit_links`.

Aggregate rule: a missing CRS, a bad or duplicated code, or an empty geometry refuses the whole
file (:class:`~vrkit.errors.DataValidationError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vrkit.errors import DataValidationError, SourceError
from vrkit.sources.base import VECTOR_SUFFIXES, LoadReport, Probe, SourceAdapter, SourceFrames
from vrkit.sources.geography import (
    AREA_COLUMNS,
    AREA_LINK_COLUMNS,
    GSS_PATTERNS,
    check_codes,
)

#: British National Grid.
BNG_EPSG = 27700
#: Generous extent of Great Britain in EPSG:27700 (metres): anything outside is a wrong CRS.
GB_EXTENT = (-100_000.0, -100_000.0, 800_000.0, 1_400_000.0)


@dataclass(frozen=True)
class Layout:
    """How one kind of boundary layer maps onto ``area`` / ``area_link``."""

    label: str
    area_type: str
    required: frozenset[str]
    forbidden: frozenset[str]
    code_field: str
    name_field: str
    entity: str
    parent_field: str | None
    #: (parent field, parent entity, link-type suffix) for each hierarchy link
    links: tuple[tuple[str, str, str], ...]


LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "LSOA 2011",
        "lsoa11",
        frozenset({"LSOA11CD", "LSOA11NM", "MSOA11CD", "LAD11CD"}),
        frozenset(),
        "LSOA11CD",
        "LSOA11NM",
        "lsoa",
        "LAD11CD",
        (("MSOA11CD", "msoa", "msoa11"), ("LAD11CD", "lad", "lad")),
    ),
    Layout(
        "MSOA 2011",
        "msoa11",
        frozenset({"MSOA11CD", "MSOA11NM", "LAD11CD"}),
        frozenset({"LSOA11CD"}),
        "MSOA11CD",
        "MSOA11NM",
        "msoa",
        "LAD11CD",
        (("LAD11CD", "lad", "lad"),),
    ),
    Layout(
        "wards 2014",
        "ward14",
        frozenset({"NAME", "GSS_CODE", "LB_GSS_CD", "BOROUGH"}),
        frozenset(),
        "GSS_CODE",
        "NAME",
        "ward",
        "LB_GSS_CD",
        (("LB_GSS_CD", "lad", "lad"),),
    ),
    Layout(
        "wards 2018",
        "ward18",
        frozenset({"NAME", "GSS_CODE", "DISTRICT", "LAGSSCODE"}),
        frozenset(),
        "GSS_CODE",
        "NAME",
        "ward",
        "LAGSSCODE",
        (("LAGSSCODE", "lad", "lad"),),
    ),
    Layout(
        "London boroughs",
        "lad",
        frozenset({"NAME", "GSS_CODE", "HECTARES", "NONLD_AREA", "ONS_INNER"}),
        frozenset({"LB_GSS_CD", "LAGSSCODE"}),
        "GSS_CODE",
        "NAME",
        "lad",
        None,
        (),
    ),
)


def match_layout(fields: tuple[str, ...] | list[str]) -> Layout | None:
    """The first layout whose required fields are all present (and forbidden ones absent)."""
    have = {f.strip() for f in fields}
    for layout in LAYOUTS:
        if layout.required <= have and not (layout.forbidden & have):
            return layout
    return None


def _known_layouts() -> str:
    return "; ".join(f"{lay.label}: {', '.join(sorted(lay.required))}" for lay in LAYOUTS)


def _declares_crs(path: Path) -> bool:
    """Whether a GeoJSON file has a top-level ``crs`` member (checked in its first 64 KB)."""
    with path.open("rb") as fh:
        head = fh.read(65536)
    return b'"crs"' in head


class BoundaryAdapter(SourceAdapter):
    """Polygon boundary layers (LSOA/MSOA 2011, boroughs, wards 2014/2018) in any CRS."""

    kind = "boundary"
    description = (
        "Boundary layer (.shp/.geojson/.gpkg): LSOA 2011, MSOA 2011, London boroughs, wards "
        "2014/2018 (and CityMerged variants), reprojected to EPSG:27700"
    )

    def sniff(self, probe: Probe) -> bool:
        return probe.fields is not None and match_layout(probe.fields) is not None

    def read(self, path: Path) -> SourceFrames:
        import geopandas as gpd
        import pyogrio
        import shapely

        if not path.name.lower().endswith(VECTOR_SUFFIXES):
            raise SourceError(path, "not a boundary layer file (.shp, .geojson, .gpkg)")
        try:
            gdf = pyogrio.read_dataframe(path)
        except Exception as exc:  # pyogrio raises DataSourceError and friends
            raise SourceError(path, f"not a readable vector layer: {exc}") from exc
        if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf:
            raise DataValidationError(path, "the layer has no geometry column")
        fields = [str(c) for c in gdf.columns if c != gdf.geometry.name]
        layout = match_layout(fields)
        if layout is None:
            raise DataValidationError(
                path,
                f"unknown boundary layout (fields: {', '.join(fields[:10])})",
                hint=f"Known layouts: {_known_layouts()}",
            )
        if len(gdf) == 0:
            raise DataValidationError(path, "the layer has no features")
        notes: list[str] = [f"layout: {layout.label}"]
        citymerged = "citymerged" in path.name.lower()
        area_type = layout.area_type
        if citymerged and layout.entity == "ward":
            area_type += "_citymerged"
            notes.append(
                "CityMerged variant (from the file name): the City of London wards are one "
                f"polygon; stored as area_type {area_type!r}"
            )
        gdf = gdf.reset_index(drop=True)
        feature_no = pd.RangeIndex(1, len(gdf) + 1)

        # -- codes -----------------------------------------------------------------------------
        codes = pd.Series(gdf[layout.code_field].to_numpy(), index=feature_no, dtype=object)
        codes = codes.where(codes.notna(), "")
        pattern = GSS_PATTERNS[layout.entity]
        if area_type == "ward14_citymerged":
            # the merged City polygon carries the City's LAD code, E09000001
            pattern = re.compile(r"^(?:[EW]05\d{6}|E09000001)$")
        check_codes(path, codes, layout.entity, layout.code_field, where="feature", pattern=pattern)
        codes = codes.astype(str).str.strip()
        parents: dict[str, pd.Series] = {}
        for field, entity, _ in layout.links:
            vals = pd.Series(gdf[field].to_numpy(), index=feature_no, dtype=object)
            vals = vals.where(vals.notna(), "")
            check_codes(path, vals, entity, field, unique=False, where="feature")
            parents[field] = vals.astype(str).str.strip()
        names = pd.Series(gdf[layout.name_field].to_numpy(), index=feature_no, dtype=object)
        if names.isna().any() or (names.astype(str).str.strip() == "").any():
            pos = int((names.isna() | (names.astype(str).str.strip() == "")).to_numpy().argmax())
            raise DataValidationError(
                path, f"feature {pos + 1}: area name is empty", column=layout.name_field
            )
        names = names.astype(str).str.strip()

        # -- geometry --------------------------------------------------------------------------
        geoms = gdf.geometry.to_numpy()
        empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        if empty.any():
            pos = int(empty.argmax())
            raise DataValidationError(
                path,
                f"feature {pos + 1}: the geometry is missing or empty",
                column=layout.code_field,
                value=codes.iloc[pos],
                hint="Every area needs a polygon; use the unmodified boundary file.",
            )
        kinds = set(shapely.get_type_id(geoms).tolist())
        if not kinds <= {3, 6}:  # Polygon, MultiPolygon
            raise DataValidationError(
                path,
                "boundary layers must hold polygons only",
                value=sorted({str(t) for t in gdf.geom_type.unique()}),
            )
        geoms = self._to_bng(path, gdf, notes)
        geoms = shapely.force_2d(geoms)
        invalid = ~shapely.is_valid(geoms)
        n_invalid = int(invalid.sum())
        if n_invalid:
            fixed = shapely.make_valid(geoms[invalid])
            fixed = np.array([_polygonal(g) for g in fixed], dtype=object)
            geoms = geoms.copy()
            geoms[invalid] = fixed
            bad_codes = ", ".join(codes[invalid].tolist()[:5])
            notes.append(
                f"{n_invalid} invalid geometries repaired with shapely.make_valid "
                f"({bad_codes}{', …' if n_invalid > 5 else ''})"
            )
        else:
            notes.append("all geometries valid")
        area_ha = shapely.area(geoms) / 10_000.0
        if (area_ha <= 0).any():
            pos = int((area_ha <= 0).argmax())
            raise DataValidationError(
                path, f"feature {pos + 1}: the polygon has zero area", value=codes.iloc[pos]
            )
        notes.append("area_ha computed from the geometry in EPSG:27700 (planar area / 10,000)")
        if "HECTARES" in gdf.columns:
            hect = pd.to_numeric(gdf["HECTARES"], errors="coerce").to_numpy(dtype=np.float64)
            ok = np.isfinite(hect) & (hect > 0)
            if ok.any():
                rel = np.abs(area_ha[ok] - hect[ok]) / hect[ok]
                notes.append(
                    "HECTARES field (not used) vs geometry area: median difference "
                    f"{np.median(rel):.2%}, max {rel.max():.2%} (HECTARES includes non-land area)"
                )

        area = pd.DataFrame(
            {
                "area_code": codes.to_numpy(dtype=object),
                "area_name": names.to_numpy(dtype=object),
                "area_type": area_type,
                "parent_code": (
                    parents[layout.parent_field].to_numpy(dtype=object)
                    if layout.parent_field
                    else None
                ),
                "geometry": shapely.to_wkb(geoms),
                "area_ha": area_ha,
            }
        )[AREA_COLUMNS]
        tables: dict[str, pd.DataFrame] = {"area": area}
        link_parts = []
        for field, _, suffix in layout.links:
            link_parts.append(
                pd.DataFrame(
                    {
                        "child_code": codes.to_numpy(dtype=object),
                        "parent_code": parents[field].to_numpy(dtype=object),
                        "link_type": f"{area_type}_{suffix}",
                        "weight": 1.0,
                    }
                )
            )
        if link_parts:
            tables["area_link"] = pd.concat(link_parts, ignore_index=True)[AREA_LINK_COLUMNS]
            notes.append(
                "hierarchy links (exact nesting, weight 1.0): "
                + ", ".join(f"{area_type}_{s}" for _, _, s in layout.links)
            )
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=len(gdf),
            rows_loaded=len(area),
            notes=notes,
        )
        return SourceFrames(report=report, tables=tables)

    @staticmethod
    def _to_bng(path: Path, gdf: object, notes: list[str]) -> np.ndarray:
        """Geometries of ``gdf`` in EPSG:27700, refusing a missing or implausible CRS."""
        import geopandas as gpd
        from pyproj import CRS

        assert isinstance(gdf, gpd.GeoDataFrame)
        crs = gdf.crs
        is_geojson = path.name.lower().endswith((".geojson", ".json"))
        if crs is None:
            raise DataValidationError(
                path,
                "the layer has no coordinate reference system (CRS)",
                hint="A shapefile needs its .prj file beside it; re-export the layer with its "
                "CRS (British National Grid is EPSG:27700).",
            )
        minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
        if is_geojson and not _declares_crs(path):
            notes.append("GeoJSON without a 'crs' member: longitude/latitude WGS84 (RFC 7946 §4)")
        if crs.is_geographic and not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise DataValidationError(
                path,
                f"the layer says its CRS is geographic ({crs.name}) but its coordinates are not "
                f"longitudes/latitudes (x {minx:,.0f} to {maxx:,.0f}, y {miny:,.0f} to "
                f"{maxy:,.0f})",
                hint="A GeoJSON without a 'crs' member must be in longitude/latitude (RFC 7946). "
                "If these are British National Grid metres, re-export declaring EPSG:27700.",
            )
        if crs.to_epsg(min_confidence=70) == BNG_EPSG:
            out = gdf.set_crs(BNG_EPSG, allow_override=True)
            notes.append("CRS recognised as British National Grid (EPSG:27700); not transformed")
        else:
            out = gdf.to_crs(BNG_EPSG)
            notes.append(f"reprojected from {crs.name!r} to EPSG:27700")
        bx0, by0, bx1, by1 = (float(v) for v in out.total_bounds)
        gx0, gy0, gx1, gy1 = GB_EXTENT
        if not (gx0 <= bx0 and gy0 <= by0 and bx1 <= gx1 and by1 <= gy1):
            raise DataValidationError(
                path,
                f"after reprojection from {CRS(crs).name} the layer does not fall in Great "
                f"Britain (easting {bx0:,.0f} to {bx1:,.0f}, northing {by0:,.0f} to {by1:,.0f})",
                hint="The declared CRS is probably wrong for these coordinates.",
            )
        return np.asarray(out.geometry.to_numpy(), dtype=object)


def _polygonal(geom: object) -> object:
    """The polygonal part of a repaired geometry (make_valid may add lines or points)."""
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon | MultiPolygon)]
    polys: list[Polygon] = []
    for p in parts:
        polys.extend(p.geoms if isinstance(p, MultiPolygon) else [p])
    return MultiPolygon(polys) if len(polys) != 1 else polys[0]


ADAPTERS: list[SourceAdapter] = [BoundaryAdapter()]

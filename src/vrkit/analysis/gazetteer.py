"""Where places are: boroughs and wards from their boundaries, postcodes from known addresses,
and great-circle distances. Pure: frames of boundaries in, lookups out (no store, no files).

- :meth:`Gazetteer.locate` puts a WGS84 point in its borough and ward (point in polygon, in
  EPSG:27700; pyproj's Helmert transformation, accurate to a few metres without the OSTN15 grid).
- :meth:`Gazetteer.resolve` turns what a person types ("Lambeth", "E05000425", "Brixton Hill",
  "SW2 1RW", "51.46,-0.11") into a point and a label, and says how it was found; a postcode is
  found only if it is one of the known postcodes given to the gazetteer (exactly, or by its
  outward code as the mean of the known points sharing it, said so in the label): there is no
  national postcode directory offline.
- :func:`haversine_km`: distance on a sphere of radius 6,371.0088 km (the IUGG mean radius).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088
_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})$")
_OUTWARD = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?$")
_LATLON = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (haversine formula)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def normalise_postcode(text: str) -> str | None:
    """``sw21rw`` → ``SW2 1RW``; None if it is not a full UK postcode."""
    t = re.sub(r"\s+", "", text.upper())
    m = _POSTCODE.match(t)
    return f"{m.group(1)} {m.group(2)}" if m else None


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    kind: str  # borough | ward
    parent_code: str | None
    lat: float
    lon: float


@dataclass(frozen=True)
class Point:
    """A resolved search location."""

    lat: float
    lon: float
    label: str
    how: str  # coordinates | borough | ward | postcode | outward code
    area_code: str | None = None


class Gazetteer:
    """Boroughs and wards (WKB polygons in EPSG:27700, as the warehouse stores them) and the
    postcodes of known addresses."""

    def __init__(
        self,
        boroughs: pd.DataFrame,
        wards: pd.DataFrame | None = None,
        postcodes: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        import shapely
        from pyproj import Transformer

        self._to_wgs = Transformer.from_crs(27700, 4326, always_xy=True)
        self._to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
        self.places: dict[str, Place] = {}
        self._geoms: dict[str, list[Any]] = {"borough": [], "ward": []}
        self._codes: dict[str, list[str]] = {"borough": [], "ward": []}
        for kind, frame in (("borough", boroughs), ("ward", wards)):
            if frame is None or frame.empty:
                continue
            for r in frame.itertuples(index=False):
                g = shapely.from_wkb(bytes(r.geometry))
                c = g.representative_point() if not g.centroid.within(g) else g.centroid
                lon, lat = self._to_wgs.transform(c.x, c.y)
                parent = getattr(r, "parent_code", None)
                self.places[str(r.area_code)] = Place(
                    str(r.area_code),
                    str(r.area_name),
                    kind,
                    None if parent is None or pd.isna(parent) else str(parent),
                    float(lat),
                    float(lon),
                )
                self._geoms[kind].append(g)
                self._codes[kind].append(str(r.area_code))
        self._trees = {k: shapely.STRtree(v) for k, v in self._geoms.items() if v}
        self._postcodes: dict[str, tuple[float, float]] = {}
        self._outward: dict[str, tuple[float, float, int]] = {}
        if postcodes:
            self.add_postcodes(postcodes)

    @property
    def has_wards(self) -> bool:
        return "ward" in self._trees

    def add_postcodes(self, postcodes: Mapping[str, tuple[float, float]]) -> None:
        groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for pc, (lat, lon) in postcodes.items():
            n = normalise_postcode(pc)
            if n is None:
                continue
            self._postcodes[n] = (lat, lon)
        for n, (lat, lon) in self._postcodes.items():
            groups[n.split()[0]].append((lat, lon))
        self._outward = {
            k: (float(np.mean([a for a, _ in v])), float(np.mean([b for _, b in v])), len(v))
            for k, v in groups.items()
        }

    def with_postcodes(self, postcodes: Mapping[str, tuple[float, float]]) -> Gazetteer:
        """A copy that also knows ``postcodes`` (this one is left unchanged)."""
        import copy

        other = copy.copy(self)
        other._postcodes = dict(self._postcodes)
        other._outward = dict(self._outward)
        other.add_postcodes(postcodes)
        return other

    def to_bng(self, lat: float, lon: float) -> tuple[float, float]:
        """(easting, northing) of a WGS84 point."""
        x, y = self._to_bng.transform(lon, lat)
        return float(x), float(y)

    def outlines(self, tolerance: float = 60.0) -> list[tuple[str, str, Any]]:
        """(code, name, simplified polygon in EPSG:27700) of every borough."""
        return [
            (code, self.places[code].name, g.simplify(tolerance, preserve_topology=True))
            for code, g in zip(self._codes["borough"], self._geoms["borough"], strict=True)
        ]

    def outlines_geojson(self, tolerance: float = 60.0) -> dict[str, Any]:
        """The boroughs as a GeoJSON FeatureCollection in WGS84 (for a web map)."""
        import shapely
        from shapely.ops import transform

        feats = []
        for code, name, g in self.outlines(tolerance):
            wgs = transform(lambda x, y, z=None: self._to_wgs.transform(x, y), g)
            wgs = shapely.set_precision(wgs, 1e-5)
            feats.append(
                {
                    "type": "Feature",
                    "properties": {"code": code, "name": name},
                    "geometry": shapely.geometry.mapping(wgs),
                }
            )
        return {"type": "FeatureCollection", "features": feats}

    def locate(self, lat: float, lon: float) -> tuple[str | None, str | None]:
        """(borough code, ward code) containing the point; None where it lies in none."""
        import shapely

        x, y = self._to_bng.transform(lon, lat)
        pt = shapely.Point(x, y)
        out: list[str | None] = []
        for kind in ("borough", "ward"):
            tree = self._trees.get(kind)
            hit = None
            if tree is not None:
                for i in tree.query(pt, predicate="within"):
                    hit = self._codes[kind][int(i)]
                    break
            out.append(hit)
        return out[0], out[1]

    def find(self, text: str, kind: str | None = None) -> Place | None:
        """A borough or ward by GSS code or name (case-insensitive; wards may be written
        "Ward, Borough" when a name is not unique)."""
        t = text.strip()
        if not t:
            return None
        if t.upper() in self.places:
            p = self.places[t.upper()]
            return p if kind in (None, p.kind) else None
        low = t.lower()
        ward_part, _, borough_part = low.partition(",")
        hits = [
            p
            for p in self.places.values()
            if (kind in (None, p.kind))
            and (
                p.name.lower() == low
                or (
                    borough_part
                    and p.kind == "ward"
                    and p.name.lower() == ward_part.strip()
                    and p.parent_code in self.places
                    and self.places[p.parent_code].name.lower() == borough_part.strip()
                )
            )
        ]
        boroughs = [p for p in hits if p.kind == "borough"]
        if boroughs:
            return boroughs[0]
        return hits[0] if len(hits) == 1 else None

    def resolve(self, text: str) -> Point | None:
        """A point for what a person typed (coordinates, borough, ward or known postcode)."""
        t = text.strip()
        m = _LATLON.match(t)
        if m:
            lat, lon = float(m.group(1)), float(m.group(2))
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                return Point(lat, lon, f"{lat:.5f}, {lon:.5f}", "coordinates")
            return None
        place = self.find(t)
        if place is not None:
            label = place.name
            if place.kind == "ward" and place.parent_code in self.places:
                label += f", {self.places[place.parent_code].name}"
            return Point(place.lat, place.lon, label, place.kind, place.code)
        pc = normalise_postcode(t)
        if pc and pc in self._postcodes:
            lat, lon = self._postcodes[pc]
            return Point(lat, lon, pc, "postcode")
        out = re.sub(r"\s+", "", t.upper())
        key = pc.split()[0] if pc else out if _OUTWARD.match(out) else None
        if key and key in self._outward:
            lat, lon, n = self._outward[key]
            return Point(
                lat,
                lon,
                f"{key} (centre of {n} known address{'es' if n != 1 else ''} in {key})",
                "outward code",
            )
        return None

    def boroughs(self) -> list[Place]:
        return sorted(
            (p for p in self.places.values() if p.kind == "borough"), key=lambda p: p.name
        )

    def wards(self, borough_code: str | None = None) -> list[Place]:
        return sorted(
            (
                p
                for p in self.places.values()
                if p.kind == "ward" and (borough_code is None or p.parent_code == borough_code)
            ),
            key=lambda p: p.name,
        )


def nearest(
    origin: tuple[float, float], points: Iterable[tuple[Any, float, float]]
) -> list[tuple[Any, float]]:
    """``(key, km)`` for each ``(key, lat, lon)``, nearest first (ties by input order)."""
    lat0, lon0 = origin
    out = [(k, haversine_km(lat0, lon0, lat, lon)) for k, lat, lon in points]
    return sorted(out, key=lambda kv: kv[1])

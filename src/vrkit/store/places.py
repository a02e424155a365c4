"""Places of a geography with their boundaries and annual counts (hot spots, concentration,
needs assessment).

Places or years with missing counts are left out and reported, never treated as zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from vrkit.catalog.areas import LONDON_CODE
from vrkit.catalog.measures import availability_message, get_measure
from vrkit.errors import InputError
from vrkit.store import queries
from vrkit.store.warehouse import Warehouse

#: geography -> (area_type of boundaries, annual source kind)
GEOGRAPHIES = {
    "lsoa": ("lsoa11", "mps_lsoa_annual_derived"),
    "ward": ("ward14", "mps_ward_annual_derived"),
}


@dataclass(frozen=True)
class PlaceData:
    """Places (with geometry, EPSG:27700) and their annual counts for one area and geography."""

    places: Any  # GeoDataFrame: area_code, area_name, parent_code, geometry
    counts: pd.DataFrame  # index area_code, columns years (complete: no NaN)
    years: list[int]
    excluded_years: dict[int, str]
    dropped: dict[str, Any]
    dataset_ids: list[int]


def load_places(
    wh: Warehouse, *, measure: str, geography: str, years: list[int], area_code: str = LONDON_CODE
) -> PlaceData:
    """Boundaries and annual counts of a measure; places or years with missing counts are left
    out and reported (``dropped``, ``excluded_years``), never treated as zero."""
    import geopandas as gpd
    import shapely

    if geography not in GEOGRAPHIES:
        raise InputError(
            f"unknown geography {geography!r}",
            hint="Use lsoa or ward (or grid for `vrkit hotspots`).",
        )
    area_type, kind = GEOGRAPHIES[geography]
    get_measure(measure)
    why_not = availability_message(measure, geography)
    if why_not:
        raise InputError(
            why_not,
            hint="Pick one of those geographies (--geography), or a whole-group measure "
            "such as violence_against_the_person (`vrkit measures` lists them).",
        )
    geo = queries.area_geometries(wh, area_type)
    if geo.empty:
        raise InputError(
            f"no {area_type} boundaries in the warehouse",
            hint="Ingest the boundary file first (vrkit ingest …/LSOA_2011_London_gen_MHW.shp).",
        )
    if area_code != LONDON_CODE:
        geo = geo[geo["parent_code"] == area_code]
        if geo.empty:
            raise InputError(f"no {area_type} areas found in {area_code}")
    counts = queries.annual_counts(wh, measure, source_kind=kind)
    if counts.empty:
        raise InputError(
            f"no {kind} counts of {measure} in the warehouse",
            hint=f"Ingest the {kind} files (vrkit ingest --all).",
        )
    wide = counts.groupby(["area_code", "year"])["count"].sum(min_count=1).unstack("year")
    reasons = counts.dropna(subset=["exclusion_reason"]).groupby("year")["exclusion_reason"].first()
    excluded: dict[int, str] = {}
    keep_years = []
    for y in years:
        if y not in wide.columns:
            excluded[y] = "not in the data"
        elif wide.loc[wide.index.isin(geo["area_code"]), y].isna().all():
            excluded[y] = str(reasons.get(y, "all counts missing"))
        else:
            keep_years.append(y)
    if not keep_years:
        raise InputError(f"none of the years {years} has counts", hint=f"Excluded: {excluded}")
    wide = wide.reindex(columns=keep_years)
    in_area = geo["area_code"].isin(wide.index)
    no_data = geo.loc[~in_area, "area_code"].tolist()
    sub = wide.reindex(geo.loc[in_area, "area_code"])
    partial = sub.index[sub.isna().any(axis=1)].tolist()
    sub = sub.dropna()
    geo = geo[geo["area_code"].isin(sub.index)].reset_index(drop=True)
    sub = sub.reindex(geo["area_code"])
    places = gpd.GeoDataFrame(
        geo[["area_code", "area_name", "parent_code"]],
        geometry=shapely.from_wkb(geo["geometry"].map(bytes).to_numpy()),
        crs="EPSG:27700",
    )
    dropped = {
        "places_without_counts": len(no_data),
        "places_without_counts_examples": no_data[:6],
        "places_with_missing_years": len(partial),
        "places_with_missing_years_examples": partial[:6],
    }
    ids = sorted({int(i) for i in counts["dataset_id"].dropna().unique()})
    return PlaceData(places, sub.astype(float), keep_years, excluded, dropped, ids)

"""Best-fit links between geographies where no published lookup exists (LSOA 2011 → ward).

Method
------
ONS "best-fit" lookups assign each small building-block area wholly to the one larger area that
contains its **population-weighted centroid** (ONS Open Geography Portal, best-fit lookup
methodology; Geography Policy for National Statistics). No population-weighted centroids are in
the shared data, only polygons, so :func:`best_fit_links` uses the **point on surface** of each
child polygon (:func:`shapely.point_on_surface`: a point guaranteed inside the polygon, close to
its centre for compact shapes) as a stand-in. This can pick a different parent than ONS would
for an LSOA whose population sits away from its geometric centre (e.g. a large park on one
side). To make that visible, every link also carries ``weight`` = the share of the child's area
inside the chosen parent; ``method="area"`` instead picks the parent with the largest overlap.

:func:`vrkit.store.derived.derive_lsoa_ward_links` reads the two boundary layers from the
warehouse, calls the pure :func:`best_fit_links` and loads the links as a pseudo-dataset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from vrkit.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

#: Ward vintages that LSOA 2011 can be linked to.
WARD_TYPES = ("ward14", "ward18", "ward14_citymerged", "ward18_citymerged")


def best_fit_links(
    children: gpd.GeoDataFrame,
    parents: gpd.GeoDataFrame,
    *,
    method: Literal["centroid", "area"] = "centroid",
    child_col: str = "area_code",
    parent_col: str = "area_code",
    link_type: str = "best_fit",
) -> pd.DataFrame:
    """Assign each child polygon to exactly one parent polygon (best fit).

    Parameters
    ----------
    children, parents : GeoDataFrame
        Polygon layers in the same *projected* CRS (areas are planar, e.g. EPSG:27700).
        Not modified.
    method : {"centroid", "area"}
        ``"centroid"`` (default): the parent containing the child's point on surface, the
        polygon-only stand-in for ONS's population-weighted centroid (see module docstring).
        If that point lies in no parent (slivers, generalised coastlines), the parent with the
        largest overlap is used instead and counted in ``attrs["fallback_area"]``.
        ``"area"``: the parent holding the largest share of the child's area.
    child_col, parent_col : str
        Code columns of ``children`` and ``parents``.
    link_type : str
        Value of the ``link_type`` column (e.g. ``"lsoa11_ward18"``).

    Returns
    -------
    DataFrame
        ``child_code, parent_code, link_type, weight``, one row per child that overlaps any
        parent, in the children's order. ``weight`` is the share of the child's area inside the
        chosen parent, in (0, 1]. ``attrs`` records ``method``, ``n_children``,
        ``fallback_area`` (children assigned by overlap because their point fell in no parent),
        ``unmatched`` (codes of children overlapping no parent: no row, never a silent guess)
        and ``differs_from_area`` (children whose chosen parent is not the largest-overlap one).

    Raises
    ------
    InputError
        Different or geographic CRSs, unknown method, missing or duplicated codes.
    """
    import shapely

    if method not in ("centroid", "area"):
        raise InputError(f"unknown best-fit method {method!r}; use 'centroid' or 'area'")
    if children.crs is None or parents.crs is None or not children.crs.equals(parents.crs):
        raise InputError(
            "children and parents must share one CRS "
            f"(got {children.crs and children.crs.name} and {parents.crs and parents.crs.name})"
        )
    if children.crs.is_geographic:
        raise InputError("best-fit needs a projected CRS (areas in m²), e.g. EPSG:27700")
    for frame, col, what in ((children, child_col, "child"), (parents, parent_col, "parent")):
        if col not in frame.columns:
            raise InputError(f"{what} layer has no column {col!r}")
        if frame[col].isna().any() or frame[col].duplicated().any():
            raise InputError(f"{what} codes in {col!r} must be present and unique")

    cgeom = np.asarray(children.geometry.to_numpy(), dtype=object)
    pgeom = np.asarray(parents.geometry.to_numpy(), dtype=object)
    ccode = children[child_col].astype(str).to_numpy(dtype=object)
    pcode = parents[parent_col].astype(str).to_numpy(dtype=object)
    tree = shapely.STRtree(pgeom)

    # every (child, parent) pair that overlaps, with the shared area
    ci, pj = tree.query(cgeom, predicate="intersects")
    shared = shapely.area(shapely.intersection(cgeom[ci], pgeom[pj]))
    child_area = shapely.area(cgeom)
    share = np.clip(shared / child_area[ci], 0.0, 1.0)
    pairs = pd.DataFrame({"ci": ci, "pj": pj, "share": share})
    pairs = pairs[pairs["share"] > 0]
    best_area = pairs.sort_values(["ci", "share"], ascending=[True, False]).drop_duplicates("ci")
    by_area = pd.Series(best_area["pj"].to_numpy(), index=best_area["ci"].to_numpy())

    chosen = pd.Series(np.full(len(cgeom), -1, dtype=np.int64))
    fallback = 0
    if method == "area":
        chosen[by_area.index] = by_area.to_numpy()
    else:
        points = shapely.point_on_surface(cgeom)
        pi, pp = tree.query(points, predicate="within")
        hits = pd.DataFrame({"ci": pi, "pj": pp}).merge(pairs, on=["ci", "pj"], how="left")
        hits["share"] = hits["share"].fillna(0.0)
        # a point on a shared edge is 'within' neither; in overlapping parents, keep the larger
        hits = hits[hits["share"] > 0].sort_values(["ci", "share"], ascending=[True, False])
        hits = hits.drop_duplicates("ci")
        chosen[hits["ci"].to_numpy()] = hits["pj"].to_numpy()
        missing = chosen.index[(chosen < 0).to_numpy()].intersection(by_area.index)
        fallback = len(missing)
        chosen[missing] = by_area[missing].to_numpy()

    matched = chosen[chosen >= 0]
    weight = (
        pairs.set_index(["ci", "pj"])["share"]
        .reindex(pd.MultiIndex.from_arrays([matched.index, matched.to_numpy()]))
        .to_numpy()
    )
    out = pd.DataFrame(
        {
            "child_code": ccode[matched.index.to_numpy()],
            "parent_code": pcode[matched.to_numpy()],
            "link_type": link_type,
            "weight": weight,
        }
    )
    if out["weight"].isna().any() or not (out["weight"] > 0).all():
        raise AssertionError("internal error: a best-fit weight is missing or zero")
    differs = int((by_area.reindex(matched.index).to_numpy() != matched.to_numpy()).sum())
    out.attrs = {
        "method": method,
        "n_children": len(cgeom),
        "fallback_area": fallback,
        "unmatched": ccode[(chosen < 0).to_numpy()].tolist(),
        "differs_from_area": differs,
    }
    return out

"""Queries behind links derived from several loaded sources (LSOA 2011 → ward best fit).

The method lives in :func:`vrkit.analysis.geography.best_fit_links` (pure); the task
:func:`vrkit.tasks.ingestion.derive_lsoa_ward_links` reads its inputs through these queries and
loads the result as a pseudo-dataset (:meth:`Warehouse.load`), atomically and idempotently.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd

    from vrkit.store.warehouse import Warehouse

#: ``dataset.source_kind`` of derived LSOA 2011 → ward best-fit links.
DERIVED_KIND = "derived_lsoa11_ward_bestfit"


def layer_dataset(wh: Warehouse, area_type: str) -> int | None:
    """The dataset most rows of a loaded boundary layer come from, or None if not loaded."""
    row = wh.query(
        "SELECT mode(dataset_id) AS d FROM area WHERE area_type = ? AND geometry IS NOT NULL",
        [area_type],
    )["d"].iloc[0]
    return None if pd.isna(row) else int(row)


def boundary_layer(wh: Warehouse, area_type: str) -> gpd.GeoDataFrame:
    """One boundary layer from ``area`` as a GeoDataFrame in EPSG:27700."""
    import geopandas as gpd
    import shapely

    rows = wh.query(
        "SELECT area_code, geometry FROM area "
        "WHERE area_type = ? AND geometry IS NOT NULL ORDER BY area_code",
        [area_type],
    )
    geoms = shapely.from_wkb([bytes(g) for g in rows["geometry"]])
    return gpd.GeoDataFrame({"area_code": rows["area_code"]}, geometry=geoms, crs=27700)


def dataset_files(wh: Warehouse, dataset_ids: list[int]) -> pd.DataFrame:
    """``file_path, sha256`` of datasets, indexed by ``dataset_id``."""
    marks = ", ".join("?" for _ in dataset_ids)
    return wh.query(
        f"SELECT dataset_id, file_path, sha256 FROM dataset WHERE dataset_id IN ({marks})",
        [int(i) for i in dataset_ids],
    ).set_index("dataset_id")


def derived_dataset(wh: Warehouse, sha: str, link_type: str) -> int | None:
    """The derived-links dataset with these inputs (``sha``) or holding ``link_type`` links."""
    existing = wh.query(
        "SELECT max(dataset_id) AS d FROM dataset WHERE source_kind = ? AND (sha256 = ? OR "
        "dataset_id IN (SELECT dataset_id FROM area_link WHERE link_type = ?))",
        [DERIVED_KIND, sha, link_type],
    )["d"].iloc[0]
    return None if pd.isna(existing) else int(existing)


def derived_links_unchanged(wh: Warehouse, dataset_id: int, sha: str, link_type: str) -> int:
    """Links of ``link_type`` in dataset ``dataset_id`` if it was derived from inputs ``sha``
    (nothing to recompute), else 0."""
    return int(
        wh.query(
            "SELECT count(*) AS n FROM area_link l JOIN dataset d USING (dataset_id) "
            "WHERE d.dataset_id = ? AND d.sha256 = ? AND l.link_type = ?",
            [dataset_id, sha, link_type],
        )["n"].iloc[0]
    )

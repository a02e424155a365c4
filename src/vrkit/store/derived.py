"""Links derived from several loaded sources (LSOA 2011 → ward best fit).

The method lives in :func:`vrkit.analysis.geography.best_fit_links` (pure); this module reads
its inputs from the warehouse and loads the result as a pseudo-dataset, atomically and
idempotently.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from vrkit.analysis.geography import WARD_TYPES, best_fit_links
from vrkit.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

    from vrkit.store.warehouse import Warehouse

#: ``dataset.source_kind`` of derived LSOA 2011 → ward best-fit links.
DERIVED_KIND = "derived_lsoa11_ward_bestfit"


def _layer_dataset(wh: Warehouse, area_type: str) -> int | None:
    """The dataset most rows of a loaded boundary layer come from, or None if not loaded."""
    row = wh.query(
        "SELECT mode(dataset_id) AS d FROM area WHERE area_type = ? AND geometry IS NOT NULL",
        [area_type],
    )["d"].iloc[0]
    return None if pd.isna(row) else int(row)


def _layer(wh: Warehouse, area_type: str) -> gpd.GeoDataFrame:
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


def derive_lsoa_ward_links(
    wh: Warehouse,
    ward_type: str = "ward18",
    *,
    method: Literal["centroid", "area"] = "centroid",
    require_layers: bool = False,
    force: bool = False,
) -> int:
    """Derive LSOA 2011 → ward best-fit links from loaded boundaries and load them.

    Reads the ``lsoa11`` and ``ward_type`` layers from ``area`` (WKB in EPSG:27700), applies
    :func:`best_fit_links` and loads the links (``link_type`` ``lsoa11_<ward_type>``) through
    :meth:`Warehouse.load` as a pseudo-dataset of kind :data:`DERIVED_KIND` whose path is the
    ward boundary file. One transaction; re-running replaces the same links and the same
    dataset row (idempotent). The pseudo-dataset's ``sha256`` hashes both layers' file hashes
    and the method, so when neither layer nor the method changed nothing is recomputed (as for
    a file loaded twice) unless ``force``.

    Parameters
    ----------
    wh : Warehouse
        A writable warehouse.
    ward_type : str
        ``ward14``, ``ward18`` or a ``*_citymerged`` variant.
    method : {"centroid", "area"}
        Passed to :func:`best_fit_links`.
    require_layers : bool
        If False (default; ``vrkit ingest`` calls this after every load), return 0 when either
        layer is not loaded yet; if True, raise :class:`~vrkit.errors.InputError`.
    force : bool
        Recompute and replace even when the inputs are unchanged.

    Returns
    -------
    int
        Number of ``lsoa11_<ward_type>`` links in the warehouse (0 if not derived).
    """
    from vrkit.sources.base import LoadReport, SourceFrames

    if ward_type not in WARD_TYPES:
        raise InputError(f"unknown ward type {ward_type!r}; use one of {', '.join(WARD_TYPES)}")
    link_type = f"lsoa11_{ward_type}"
    lsoa_ds, ward_ds = _layer_dataset(wh, "lsoa11"), _layer_dataset(wh, ward_type)
    if lsoa_ds is None or ward_ds is None:
        if not require_layers:
            return 0
        missing = "lsoa11" if lsoa_ds is None else ward_type
        raise InputError(
            f"no {missing} boundaries in the warehouse",
            hint="Ingest the boundary files first, e.g. `vrkit ingest "
            "boundaries/statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp` "
            "and the 2018 London_Ward.shp.",
        )
    info = wh.query(
        "SELECT dataset_id, file_path, sha256 FROM dataset WHERE dataset_id IN (?, ?)",
        [lsoa_ds, ward_ds],
    ).set_index("dataset_id")
    parts = [DERIVED_KIND, link_type, method, info.loc[lsoa_ds, "sha256"]]
    sha = hashlib.sha256("|".join([*parts, info.loc[ward_ds, "sha256"]]).encode()).hexdigest()
    existing = wh.query(
        "SELECT max(dataset_id) AS d FROM dataset WHERE source_kind = ? AND (sha256 = ? OR "
        "dataset_id IN (SELECT dataset_id FROM area_link WHERE link_type = ?))",
        [DERIVED_KIND, sha, link_type],
    )["d"].iloc[0]
    replace = None if pd.isna(existing) else int(existing)
    if replace is not None and not force:
        same = wh.query(
            "SELECT count(*) AS n FROM area_link l JOIN dataset d USING (dataset_id) "
            "WHERE d.dataset_id = ? AND d.sha256 = ? AND l.link_type = ?",
            [replace, sha, link_type],
        )["n"].iloc[0]
        if same:
            return int(same)
    links = best_fit_links(
        _layer(wh, "lsoa11"), _layer(wh, ward_type), method=method, link_type=link_type
    )
    attrs = links.attrs
    if attrs["unmatched"]:
        raise InputError(
            f"{len(attrs['unmatched'])} LSOAs overlap no {ward_type} polygon "
            f"(e.g. {', '.join(attrs['unmatched'][:3])})",
            hint="Are both layers for the same region? Links are all or nothing.",
        )
    w = links["weight"]
    notes = [
        f"best-fit LSOA 2011 → {ward_type}, method {method!r}: "
        + (
            "ward containing the LSOA's point on surface (stand-in for the ONS "
            "population-weighted centroid)"
            if method == "centroid"
            else "ward with the largest share of the LSOA's area"
        ),
        f"weight = share of the LSOA's area inside its ward: median {w.median():.3f}, "
        f"{(w >= 0.9).mean():.1%} of LSOAs ≥ 0.9, minimum {w.min():.3f}",
        f"{attrs['fallback_area']} LSOAs assigned by largest overlap (point in no ward); "
        f"{attrs['differs_from_area']} differ from the largest-overlap ward",
        f"inputs: {Path(info.loc[lsoa_ds, 'file_path']).name} (dataset {lsoa_ds}), "
        f"{Path(info.loc[ward_ds, 'file_path']).name} (dataset {ward_ds})",
    ]
    report = LoadReport(
        path=Path(info.loc[ward_ds, "file_path"]),
        source_kind=DERIVED_KIND,
        rows_read=int(attrs["n_children"]),
        rows_loaded=len(links),
        notes=notes,
    )
    wh.load(
        SourceFrames(report=report, tables={"area_link": links}),
        sha256=sha,
        replace_dataset=replace,
    )
    return len(links)


def derive_all_lsoa_ward_links(wh: Warehouse) -> dict[str, int]:
    """:func:`derive_lsoa_ward_links` for every ward vintage whose boundaries are loaded.

    Every ward vintage gets its own LSOA 2011 best fit, so crime counts can be built for any
    vintage from LSOA counts (the need index's "complete geography"). Returns ward type →
    number of links (0 where a layer is not loaded).
    """
    return {t: derive_lsoa_ward_links(wh, t) for t in WARD_TYPES}

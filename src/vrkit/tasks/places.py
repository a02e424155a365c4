"""Where crime concentrates: hot spots (Gi*, Local Moran's I) and concentration statistics."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit._json import jsonable
from vrkit.analysis import concentration as conc
from vrkit.analysis import hotspots as hs
from vrkit.catalog.areas import Area, resolve_area
from vrkit.errors import InputError
from vrkit.outputs import output_file
from vrkit.reports.tabular import write_csv
from vrkit.store import queries
from vrkit.store.places import load_places
from vrkit.store.warehouse import Warehouse
from vrkit.tasks._result import TaskResult, check_formats

GEOGRAPHIES = ("lsoa", "ward", "grid")
STATISTICS = ("gi", "lisa", "both")
ADJUSTMENTS = ("fdr", "holm", "none")
GRID_TYPES = ("square", "hex")
LAYER_FORMATS = ("gpkg", "geojson", "csv")
_SUFFIXES = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".csv": "csv"}


def layer_format(path: str | Path, fmt: str | None = None) -> str:
    """The layer format of an output: ``fmt`` if given, else from the file's suffix."""
    if fmt:
        return check_formats([fmt], LAYER_FORMATS)[0]
    got = _SUFFIXES.get(Path(path).suffix.lower())
    if got is None:
        raise InputError(
            f"cannot tell the output format from {Path(path).name!r}",
            hint="Use a .gpkg (QGIS), .geojson or .csv file name, or give --format.",
        )
    return got


@dataclass
class HotspotsResult(TaskResult):
    """Local Gi* and/or Local Moran's I per place (``vrkit hotspots``).

    Attributes
    ----------
    layer : GeoDataFrame (EPSG:27700) with the stable columns of
        :meth:`vrkit.analysis.hotspots.LocalStatResult.to_frame` per place.
    summary : area, measure, geography, year, parameters, neighbours and warnings.
    """

    layer: Any
    summary: dict[str, Any] = field(default_factory=dict)

    FORMATS = LAYER_FORMATS

    @property
    def warnings(self) -> list[str]:
        """Warnings of the statistics (e.g. the permutation p-value floor)."""
        return list(self.summary.get("warnings", []))

    def to_frame(self) -> pd.DataFrame:
        """The layer without geometry."""
        return pd.DataFrame(self.layer.drop(columns="geometry"))

    def to_dict(self) -> dict[str, Any]:
        """The summary (parameters, counts, warnings)."""
        return jsonable(self.summary, whole_floats_as_int=False)

    def write(self, path: str | Path, fmt: str | None = None, *, force: bool = False) -> Path:
        """GPKG (layer ``hotspots``, EPSG:27700), GeoJSON (EPSG:4326, RFC 7946) or CSV."""
        p = Path(path)
        fmt = layer_format(p, fmt)
        output_file(p, force=force)
        if fmt == "gpkg":
            if p.exists():
                p.unlink()
            self.layer.to_file(p, layer="hotspots", driver="GPKG")
        elif fmt == "geojson":
            self.layer.to_crs("EPSG:4326").to_file(p, driver="GeoJSON")
        else:
            write_csv(self.to_frame(), p)
        return p


def _choice(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise InputError(f"unknown {what} {value!r}", hint=f"Use {', '.join(allowed)}.")
    return value


def _boundary(wh: Warehouse, area: Area) -> Any:
    import geopandas as gpd
    import shapely

    lads = queries.area_geometries(wh, "lad")
    if lads.empty:
        return None
    if not area.is_london:
        lads = lads[lads["area_code"] == area.code]
    geoms = shapely.from_wkb(lads["geometry"].map(bytes).to_numpy())
    return gpd.GeoDataFrame(geometry=geoms, crs="EPSG:27700")


def hotspots(
    wh: Warehouse,
    *,
    measure: str = "violence_against_the_person",
    geography: str = "lsoa",
    year: int | None = None,
    area: str = "London",
    cell_size: float | None = None,
    grid_type: str = "square",
    perms: int = hs.DEFAULT_PERMUTATIONS,
    seed: int = 1,
    adjust: str = "fdr",
    alpha: float = 0.05,
    statistic: str = "both",
) -> HotspotsResult:
    """Counts → neighbours → Gi* and/or Local Moran's I for the places of an area.

    Parameters
    ----------
    wh : Warehouse
    measure : str
        Headline measure (``vrkit measures``).
    geography : {"lsoa", "ward", "grid"}
        ``lsoa``/``ward``: annual counts on the boundaries (queen contiguity, 1 m tolerance);
        ``grid``: data.police.uk street records counted on square or hex cells.
    year : int, optional
        Year of the counts (default the latest usable; required for ``grid``).
    area : str
        London or a borough (:func:`vrkit.catalog.areas.resolve_area`).
    cell_size : float, optional
        Grid cell size in metres (default: sfhotspot's rule, recorded in the summary).
    grid_type : {"square", "hex"}
    perms : int
        Conditional permutations; 0 (default, :data:`vrkit.analysis.hotspots.DEFAULT_INFERENCE`):
        analytic z-scores with the multiple-comparison adjustment.
    seed : int
        Random seed of the permutations.
    adjust : {"fdr", "holm", "none"}
        Multiple-comparison adjustment.
    alpha : float
        Significance level.
    statistic : {"gi", "lisa", "both"}

    Returns
    -------
    HotspotsResult
    """
    _choice(statistic, STATISTICS, "statistic")
    _choice(geography, GEOGRAPHIES, "geography")
    _choice(adjust, ADJUSTMENTS, "adjustment")
    _choice(grid_type, GRID_TYPES, "grid type")
    if perms < 0:
        raise InputError(f"--perms must be ≥ 0, got {perms}")
    if not 0 < alpha < 1:
        raise InputError(f"--alpha must be between 0 and 1, got {alpha}")
    if cell_size is not None and cell_size <= 0:
        raise InputError(f"--cell-size must be > 0 metres, got {cell_size}")
    import geopandas as gpd

    a = resolve_area(area)
    summary: dict[str, Any] = {"area": a.name, "measure": measure, "geography": geography}
    if geography == "grid":
        if year is None:
            raise InputError("--year is required for --geography grid")
        pts = queries.record_points(wh, measure, year)
        if pts.empty:
            raise InputError(
                f"no police.uk street records of {measure!r} in {year}",
                hint="Ingest data.police.uk street files (vrkit ingest …/police_uk_street) "
                "or pick another year.",
            )
        counted = hs.count_points(
            x=pts["easting"].to_numpy(float),
            y=pts["northing"].to_numpy(float),
            cell_size=cell_size,
            grid_type=grid_type,  # type: ignore[arg-type]
            boundary=_boundary(wh, a),
        )
        w, nb = hs.neighbours_for(counted)
        places = counted.places
        ids = places["cell_id"].to_numpy()
        values = places["count"].to_numpy(float)
        id_name = "cell_id"
        summary.update(
            {
                "year": year,
                "points": counted.n_points,
                "points_counted": counted.n_counted,
                "points_without_coordinates": counted.n_no_coordinates,
                "points_outside_area": counted.n_outside,
                **counted.params,
                **nb,
            }
        )
    else:
        yrs = [year] if year is not None else list(range(2000, 2031))
        data = load_places(wh, measure=measure, geography=geography, years=yrs, area_code=a.code)
        use = data.years[-1]
        w = hs.contiguity_weights(data.places)
        places = data.places
        ids = places["area_code"].to_numpy()
        values = data.counts[use].to_numpy(float)
        id_name = "area_code"
        summary.update(
            {
                "year": use,
                "places_left_out": data.dropped["places_without_counts"],
                "neighbours": "queen contiguity, 1 m tolerance",
            }
        )
    out = pd.DataFrame({id_name: ids})
    if "area_name" in places.columns:
        out["area_name"] = places["area_name"].to_numpy()
    warns: list[str] = []
    if statistic in {"gi", "both"}:
        gi = hs.gi_star(
            values, w, ids=ids, permutations=perms, seed=seed, adjust=adjust, alpha=alpha
        )
        out = out.merge(gi.to_frame(id_name=id_name), on=id_name)
        warns += list(gi.warnings)
        summary["gi_params"] = gi.params
    if statistic in {"lisa", "both"}:
        lm = hs.moran_local(
            values, w, ids=ids, permutations=perms, seed=seed, adjust=adjust, alpha=alpha
        )
        lf = lm.to_frame(id_name=id_name)
        if statistic == "both":
            lf = lf[
                [id_name, "lisa_i", "lisa_z", "lisa_quadrant", "lisa_class", "p_adjusted"]
            ].rename(columns={"p_adjusted": "lisa_p_adjusted"})
        out = out.merge(lf, on=id_name)
        warns += [m for m in lm.warnings if m not in warns]
    summary["warnings"] = warns
    summary.update({"permutations": perms, "seed": seed, "adjust": adjust, "alpha": alpha})
    layer = gpd.GeoDataFrame(
        out.merge(places[[id_name, "geometry"]], on=id_name), geometry="geometry", crs="EPSG:27700"
    )
    return HotspotsResult(layer, summary)


@dataclass
class ConcentrationResult(TaskResult):
    """Concentration of a measure across places in one year (``vrkit concentration``).

    ``values``: the statistics of :meth:`vrkit.analysis.concentration.ConcentrationResult.to_dict`
    (top-5 % share, places holding 25/50 %, Gini and generalised Gini with bootstrap CIs,
    method, reference) with ``area, area_code, measure, geography, year, places_left_out``.
    """

    values: dict[str, Any]

    FORMATS = ("json", "csv")

    def to_dict(self) -> dict[str, Any]:
        """The statistics (NaN as null)."""
        return jsonable(self.values, whole_floats_as_int=False)

    def to_frame(self) -> pd.DataFrame:
        """One row; nested values as JSON text."""
        flat = {
            k: (json.dumps(v) if isinstance(v, dict | list) else v)
            for k, v in self.to_dict().items()
        }
        return pd.DataFrame([flat])

    def render(self, fmt: str) -> str:
        """``json`` or one-row ``csv``."""
        if fmt == "json":
            return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        return super().render(fmt)


def concentration(
    wh: Warehouse,
    *,
    year: int,
    measure: str = "violence_against_the_person",
    geography: str = "lsoa",
    area: str = "London",
    n_bootstrap: int = 1000,
    seed: int = 1,
) -> ConcentrationResult:
    """Concentration of crime across places: top-5 % share, places for 50 %, (generalised) Gini.

    Parameters
    ----------
    year : int
    measure : str
    geography : {"lsoa", "ward"}
    area : str
        London or a borough.
    n_bootstrap : int
        Bootstrap replicates of the Gini confidence interval.
    seed : int
    """
    if n_bootstrap < 0:
        raise InputError(f"--boot must be ≥ 0, got {n_bootstrap}")
    a = resolve_area(area)
    data = load_places(wh, measure=measure, geography=geography, years=[year], area_code=a.code)
    if year not in data.years:
        raise InputError(f"no usable counts for {year}: {data.excluded_years.get(year, 'missing')}")
    res = conc.concentration(data.counts[year].to_numpy(), n_bootstrap=n_bootstrap, seed=seed)
    out = res.to_dict()
    out.update(
        {
            "area": a.name,
            "area_code": a.code,
            "measure": measure,
            "geography": geography,
            "year": year,
            "places_left_out": data.dropped["places_without_counts"],
        }
    )
    return ConcentrationResult(out)

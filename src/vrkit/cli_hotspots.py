"""``vrkit hotspots``, ``vrkit concentration`` and ``vrkit report needs-assessment`` (issue 4).

Registered in :mod:`vrkit.cli` with one line::

    from vrkit.cli_hotspots import register as _register_hotspots; _register_hotspots(app, report_app)

Each command parses its options, calls one core function and writes the result; errors
(:class:`~vrkit.errors.VrkitError`) are turned into messages and exit codes by
:func:`vrkit.cli._user_errors`, the one place that happens.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer

from vrkit.errors import InputError
from vrkit.reports.tabular import csv_text, write_csv

GEOGRAPHY_HELP = "lsoa, ward or grid (grid: police.uk street records on square/hex cells)."


def _output_format(path: Path) -> str:
    ext = path.suffix.lower()
    fmt = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".csv": "csv"}.get(ext)
    if fmt is None:
        raise InputError(
            f"cannot tell the output format from {path.name!r}",
            hint="Use a .gpkg (QGIS), .geojson or .csv file name.",
        )
    return fmt


def _grid_points(wh: Any, measure: str, year: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Eastings/northings of police.uk street records of a measure in a year (NaN: no location)."""
    from vrkit.analysis.measures import get_measure

    cond = get_measure(measure).sql_condition(
        "police_uk", major_col="crime_type", minor_col="crime_type"
    )
    pts = wh.query(
        f"""SELECT easting, northing FROM crime_record
            WHERE year(month) = ? AND {cond}""",
        [year],
    )
    if pts.empty:
        raise InputError(
            f"no police.uk street records of {measure!r} in {year}",
            hint="Ingest data.police.uk street files (vrkit ingest …/police_uk_street) or pick another year.",
        )
    return pts["easting"].to_numpy(float), pts["northing"].to_numpy(float), len(pts)


def _boundary(wh: Any, area_code: str) -> Any:
    import geopandas as gpd
    import shapely

    from vrkit.reports.needs_assessment import LONDON_CODE
    from vrkit.store import queries

    lads = queries.area_geometries(wh, "lad")
    if lads.empty:
        return None
    if area_code != LONDON_CODE:
        lads = lads[lads["area_code"] == area_code]
    geoms = shapely.from_wkb(lads["geometry"].map(bytes).to_numpy())
    return gpd.GeoDataFrame(geometry=geoms, crs="EPSG:27700")


def run_hotspots(
    wh: Any,
    *,
    measure: str,
    geography: str,
    year: int | None,
    area: str,
    cell_size: float | None,
    grid_type: str,
    perms: int,
    seed: int,
    adjust: str,
    alpha: float,
    statistic: str,
) -> tuple[Any, dict[str, Any]]:
    """Counts → neighbours → Gi* (and/or Local Moran). Returns (GeoDataFrame, summary)."""
    import geopandas as gpd

    from vrkit.analysis import hotspots as hs
    from vrkit.reports.needs_assessment import load_places, resolve_area

    code, name = resolve_area(area)
    summary: dict[str, Any] = {"area": name, "measure": measure, "geography": geography}
    if statistic not in {"gi", "lisa", "both"}:
        raise InputError(f"unknown statistic {statistic!r}", hint="Use gi, lisa or both.")
    if geography == "grid":
        if year is None:
            raise InputError("--year is required for --geography grid")
        x, y, _n = _grid_points(wh, measure, year)
        boundary = _boundary(wh, code)
        counted = hs.count_points(
            x=x,
            y=y,
            cell_size=cell_size,
            grid_type=grid_type,  # type: ignore[arg-type]
            boundary=boundary,
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
        data = load_places(wh, measure=measure, geography=geography, years=yrs, area_code=code)
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
    gdf = gpd.GeoDataFrame(
        out.merge(places[[id_name, "geometry"]], on=id_name), geometry="geometry", crs="EPSG:27700"
    )
    return gdf, summary


def write_layer(gdf: Any, path: Path, summary: dict[str, Any]) -> Path:
    """GPKG (layer ``hotspots``, EPSG:27700), GeoJSON (EPSG:4326, RFC 7946) or CSV."""
    fmt = _output_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "gpkg":
        if path.exists():
            path.unlink()
        gdf.to_file(path, layer="hotspots", driver="GPKG")
    elif fmt == "geojson":
        gdf.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    else:
        write_csv(pd.DataFrame(gdf.drop(columns="geometry")), path)
    return path


def _concentration(
    wh: Any, *, measure: str, geography: str, year: int, area: str, n_bootstrap: int, seed: int
) -> dict[str, Any]:
    from vrkit.analysis import concentration as conc
    from vrkit.reports.needs_assessment import load_places, resolve_area

    code, name = resolve_area(area)
    data = load_places(wh, measure=measure, geography=geography, years=[year], area_code=code)
    if year not in data.years:
        raise InputError(f"no usable counts for {year}: {data.excluded_years.get(year, 'missing')}")
    res = conc.concentration(data.counts[year].to_numpy(), n_bootstrap=n_bootstrap, seed=seed)
    out = res.to_dict()
    out.update(
        {
            "area": name,
            "area_code": code,
            "measure": measure,
            "geography": geography,
            "year": year,
            "places_left_out": data.dropped["places_without_counts"],
        }
    )
    return out


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj


def register(app: typer.Typer, report_app: typer.Typer) -> None:
    """Add ``hotspots`` and ``concentration`` to ``app`` and ``needs-assessment`` to ``report_app``."""

    @app.command("hotspots")
    def hotspots_cmd(
        measure: Annotated[
            str, typer.Option(help="Headline measure id (vrkit measures).")
        ] = "violence_against_the_person",
        geography: Annotated[str, typer.Option(help=GEOGRAPHY_HELP)] = "lsoa",
        year: Annotated[int | None, typer.Option(help="Year (default: latest usable).")] = None,
        area: Annotated[str, typer.Option(help="London or a borough.")] = "London",
        cell_size: Annotated[
            float | None,
            typer.Option("--cell-size", help="Grid cell size in metres (default: sfhotspot rule)."),
        ] = None,
        grid_type: Annotated[str, typer.Option("--grid-type", help="square or hex.")] = "square",
        perms: Annotated[
            int,
            typer.Option(
                "--perms",
                help="Conditional permutations; 0 (default): analytic z with FDR, the default "
                "of every hot spot path (FDR over n places needs about n/alpha permutations).",
            ),
        ] = 0,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
        adjust: Annotated[str, typer.Option(help="fdr, holm or none.")] = "fdr",
        alpha: Annotated[float, typer.Option(help="Significance level.")] = 0.05,
        statistic: Annotated[str, typer.Option(help="gi, lisa or both.")] = "both",
        out_path: Annotated[
            Path, typer.Option("--out", help="Output .gpkg, .geojson or .csv.")
        ] = Path("hotspots.gpkg"),
    ) -> None:
        """Local Gi* and Local Moran's I hot spots, written as a QGIS-ready layer."""
        from vrkit.cli import _user_errors, _warehouse, out

        with _user_errors():
            _output_format(out_path)
            with _warehouse(read_only=True) as wh:
                gdf, summary = run_hotspots(
                    wh,
                    measure=measure,
                    geography=geography,
                    year=year,
                    area=area,
                    cell_size=cell_size,
                    grid_type=grid_type,
                    perms=perms,
                    seed=seed,
                    adjust=adjust,
                    alpha=alpha,
                    statistic=statistic,
                )
            path = write_layer(gdf, out_path, summary)
            if "hotspot_class" in gdf.columns:
                counts = gdf["hotspot_class"].value_counts().to_dict()
                out.print(
                    f"{summary['geography']} {summary['year']}: {len(gdf):,} places; "
                    + ", ".join(f"{k}: {v:,}" for k, v in counts.items())
                )
            if "points" in summary:
                out.print(
                    f"points: {summary['points']:,} read, {summary['points_counted']:,} counted, "
                    f"{summary['points_without_coordinates']:,} without coordinates, "
                    f"{summary['points_outside_area']:,} outside the area; cell size "
                    f"{summary['cell_size']:g} m ({summary['cell_size_rule']})"
                )
            for w in summary["warnings"]:
                out.print(f"[yellow]warning:[/] {w}")
            out.print(f"wrote {path}")

    @app.command("concentration")
    def concentration_cmd(
        year: Annotated[int, typer.Option(help="Year (YYYY).")],
        measure: Annotated[
            str, typer.Option(help="Headline measure id.")
        ] = "violence_against_the_person",
        geography: Annotated[str, typer.Option(help="lsoa or ward.")] = "lsoa",
        area: Annotated[str, typer.Option(help="London or a borough.")] = "London",
        fmt: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
        boot: Annotated[int, typer.Option(help="Bootstrap replicates for gini_ci.")] = 1000,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
        out_path: Annotated[
            Path | None, typer.Option("--out", help="Output file (default: stdout).")
        ] = None,
    ) -> None:
        """Concentration of crime across places: top-5 % share, places for 50 %, (generalised) Gini."""
        from vrkit.cli import _user_errors, _warehouse

        with _user_errors():
            if fmt not in {"json", "csv"}:
                raise InputError(f"unknown format {fmt!r}", hint="Use json or csv.")
            with _warehouse(read_only=True) as wh:
                res = _clean(
                    _concentration(
                        wh,
                        measure=measure,
                        geography=geography,
                        year=year,
                        area=area,
                        n_bootstrap=boot,
                        seed=seed,
                    )
                )
            if fmt == "json":
                text = json.dumps(res, indent=2, ensure_ascii=False)
            else:
                flat = {
                    k: (json.dumps(v) if isinstance(v, dict | list) else v) for k, v in res.items()
                }
                text = csv_text(pd.DataFrame([flat]))
            if out_path is None:
                typer.echo(text)
            else:
                out_path.parent.mkdir(parents=True, exist_ok=True)
                out_path.write_text(
                    text + ("\n" if not text.endswith("\n") else ""), encoding="utf-8"
                )

    @report_app.command("needs-assessment")
    def needs_assessment_cmd(
        out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")],
        area: Annotated[str, typer.Option(help="London or a borough.")] = "London",
        years: Annotated[str, typer.Option(help="Years, e.g. 2015-2021.")] = "2015-2021",
        measure: Annotated[
            str, typer.Option(help="Headline measure id.")
        ] = "violence_against_the_person",
        geography: Annotated[str, typer.Option(help="lsoa or ward.")] = "lsoa",
        perms: Annotated[
            int,
            typer.Option("--perms", help="Gi*/LISA permutations (0, default: analytic z + FDR)."),
        ] = 0,
        seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
        adjust: Annotated[str, typer.Option(help="fdr, holm or none.")] = "fdr",
        fmt: Annotated[
            list[str] | None,
            typer.Option("--format", "-f", help="html, xlsx, gpkg (repeatable; default all)."),
        ] = None,
        public: Annotated[
            bool, typer.Option("--public", help="Disclosure-controlled edition for publication.")
        ] = False,
        sdc_rule: Annotated[
            str, typer.Option("--sdc-rule", help="Small-count rule with --public: lt10 or nhs.")
        ] = "lt10",
    ) -> None:
        """Needs-assessment analytics: concentration, hot spots, persistence, deprivation."""
        from vrkit.cli import _user_errors, _warehouse, out
        from vrkit.reports.needs_assessment import (
            FORMATS,
            build_needs_assessment,
            write_needs_assessment,
        )

        with _user_errors():
            with _warehouse(read_only=True) as wh:
                rep = build_needs_assessment(
                    wh,
                    area=area,
                    years=years,
                    measure=measure,
                    geography=geography,
                    permutations=perms,
                    seed=seed,
                    adjust=adjust,
                    public=public,
                    sdc_rule=sdc_rule,
                )
            paths = write_needs_assessment(rep, out_dir, formats=tuple(fmt or FORMATS))
            c = rep.concentration
            for _, row in c.iterrows():
                out.print(
                    f"{int(row['year'])}: top 5 % of places hold {100 * row['top_5pct_share']:.1f} % "
                    f"(gini {row['gini']:.3f})"
                )
            for w in rep.warnings:
                out.print(f"[yellow]warning:[/] {w}")
            if rep.public and rep.disclosure:
                d = rep.disclosure
                out.print(
                    f"public edition ({d['rule']}): {d['cells_suppressed_primary']} figures "
                    f"suppressed as small counts, {d['cells_suppressed_secondary']} more to "
                    "protect them"
                )
            for p in paths:
                out.print(f"wrote {p}")

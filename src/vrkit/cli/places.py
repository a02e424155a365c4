"""``vrkit hotspots | concentration``: where crime concentrates (and the shared ``--out``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vrkit.cli import output as o
from vrkit.cli.errors import user_errors
from vrkit.cli.options import ForceOpt, StoreOpt, format_option, one_format, open_warehouse
from vrkit.errors import InputError

app = typer.Typer()

#: ``--out FILE`` of a command writing one file (stdout when not given, where possible)
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", help="Output file (default: standard output).", metavar="FILE"),
]

GEOGRAPHY_HELP = "lsoa, ward or grid (grid: police.uk street records on square/hex cells)."
LAYER_FORMATS = ("gpkg", "geojson", "csv")
CONC_FORMATS = ("json", "csv")


def write_result(res: Any, fmt: str, path: Path | None, force: bool) -> None:
    """Write a task result to ``path`` (``wrote …``) or, for text formats, to standard output."""
    if path is not None:
        p = res.write(path, fmt, force=force)
        o.say(f"wrote {p}")
        return
    if fmt == "xlsx":
        raise InputError("--format xlsx needs --out FILE.xlsx")
    o.write_text(res.render(fmt))


@app.command("hotspots")
def hotspots(
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
        Path, typer.Option("--out", help="Output .gpkg, .geojson or .csv.", metavar="FILE")
    ] = Path("hotspots.gpkg"),
    fmt: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help="One of gpkg, geojson, csv (default: from the --out file name).",
            metavar="FORMAT",
        ),
    ] = None,
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """Local Gi* and Local Moran's I hot spots, written as a QGIS-ready layer."""
    from vrkit.outputs import output_file
    from vrkit.tasks.places import hotspots as hotspots_task
    from vrkit.tasks.places import layer_format

    with user_errors():
        f = layer_format(out_path, one_format(fmt, LAYER_FORMATS, "gpkg") if fmt else None)
        output_file(out_path, force=force)  # refuse before the (long) computation
        with open_warehouse(store, read_only=True) as wh:
            res = hotspots_task(
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
        path = res.write(out_path, f, force=force)
        s = res.summary
        if "hotspot_class" in res.layer.columns:
            counts = res.layer["hotspot_class"].value_counts().to_dict()
            o.say(
                f"{s['geography']} {s['year']}: {len(res.layer):,} places; "
                + ", ".join(f"{k}: {v:,}" for k, v in counts.items())
            )
        if "points" in s:
            o.say(
                f"points: {s['points']:,} read, {s['points_counted']:,} counted, "
                f"{s['points_without_coordinates']:,} without coordinates, "
                f"{s['points_outside_area']:,} outside the area; cell size "
                f"{s['cell_size']:g} m ({s['cell_size_rule']})"
            )
        for w in res.warnings:
            o.warn(w)
        o.say(f"wrote {path}")


@app.command("concentration")
def concentration(
    year: Annotated[int, typer.Option(help="Year (YYYY).")],
    measure: Annotated[
        str, typer.Option(help="Headline measure id.")
    ] = "violence_against_the_person",
    geography: Annotated[str, typer.Option(help="lsoa or ward.")] = "lsoa",
    area: Annotated[str, typer.Option(help="London or a borough.")] = "London",
    fmt: Annotated[list[str] | None, format_option(CONC_FORMATS, "json")] = None,
    boot: Annotated[int, typer.Option(help="Bootstrap replicates for gini_ci.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    out_path: OutOpt = None,
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """Concentration of crime across places: top-5 % share, places for 50 %, (generalised) Gini."""
    from vrkit.outputs import output_file
    from vrkit.tasks.places import concentration as concentration_task

    with user_errors():
        f = one_format(fmt, CONC_FORMATS, "json")
        if out_path is not None:
            output_file(out_path, force=force)
        with open_warehouse(store, read_only=True) as wh:
            res = concentration_task(
                wh,
                measure=measure,
                geography=geography,
                year=year,
                area=area,
                n_bootstrap=boot,
                seed=seed,
            )
        if out_path is None:
            o.write_text(res.render(f))
        else:
            res.write(out_path, f, force=force)

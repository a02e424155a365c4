"""``vrkit health …``: A&E (ISTV) bulk ingest, completeness and location matching."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vrkit.cli import output as o
from vrkit.cli.errors import report, user_errors
from vrkit.cli.options import ForceOpt, StoreOpt, format_option, one_format, open_warehouse
from vrkit.cli.places import OutOpt, write_result

app = typer.Typer(
    help="A&E (ISTV) and ambulance data: bulk ingest, completeness, location matching.",
    no_args_is_help=True,
)

TABLE_FORMATS = ("table", "json", "csv", "xlsx")


@app.command("ingest-istv")
def ingest_istv(
    paths: Annotated[list[Path], typer.Argument(help="ISTV files or folders.")],
    gazetteer: Annotated[
        Path | None,
        typer.Option(
            help="CSV of places (name, easting, northing) to match location texts against, "
            "in memory (default VRKIT_GAZETTEER); only the match is stored."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Re-read submissions already loaded (e.g. a new gazetteer).")
    ] = False,
    store: StoreOpt = None,
) -> None:
    """Load many ISTV submissions in one transaction (fast path; same rules as `vrkit ingest`)."""
    from vrkit.errors import DataValidationError
    from vrkit.tasks.health import ingest_istv as ingest_task

    with user_errors():
        with open_warehouse(store) as wh:
            summary = ingest_task(wh, paths, gazetteer=gazetteer, force=force)
        for fo in summary.failed:
            report(fo.result)  # type: ignore[arg-type]
        n_loaded = len(summary.loaded)
        n_failed = len(summary.failed)
        o.say(
            f"{n_loaded:,} loaded, {len(summary.files) - n_loaded - n_failed:,} unchanged, "
            f"{n_failed:,} refused"
        )
        if n_failed:
            raise typer.Exit(DataValidationError.exit_code)


def show_istv_quality(
    store: Path | None, fmt: str, path: Path | None = None, force: bool = False
) -> None:
    """Completeness per department and month (also ``vrkit quality --source istv``)."""
    from vrkit.tasks.health import istv_quality

    with open_warehouse(store, read_only=True) as wh:
        res = istv_quality(wh)
    if fmt != "table":
        write_result(res, fmt, path, force)
        return
    rows = [
        (
            str(r.department),
            f"{r.month:%Y-%m}",
            "—" if r.missing else f"{r.received:,}",
            "" if r.expected != r.expected else f"{r.expected:,.0f}",
            "yes" if r.missing else "",
            "" if r.pct_location_usable != r.pct_location_usable else f"{r.pct_location_usable}",
            "" if r.flag == "ok" else str(r.flag),
        )
        for r in res.table.itertuples()
    ]
    cols = ["department", "month", "received", "expected", "missing", "% location usable", "flag"]
    o.show(o.table("ISTV completeness (A&E assault attendances)", cols, rows))


@app.command("quality-istv")
def quality_istv(
    fmt: Annotated[list[str] | None, format_option(TABLE_FORMATS, "table")] = None,
    path: OutOpt = None,
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """Completeness per department and month: received vs expected, missing, usable location."""
    with user_errors():
        show_istv_quality(store, one_format(fmt, TABLE_FORMATS, "table"), path, force)


@app.command("match-locations")
def match_locations(
    gazetteer: Annotated[Path, typer.Option(help="CSV with name, easting, northing.")],
    threshold: Annotated[float, typer.Option(help="Minimum confidence of a match (0–1).")] = 0.85,
    fmt: Annotated[list[str] | None, format_option(TABLE_FORMATS, "table")] = None,
    path: OutOpt = None,
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """Matched and unmatched ISTV locations per department (matched at ingest against the
    VRKIT_GAZETTEER gazetteer; the free text itself is never stored)."""
    from vrkit.tasks.health import match_locations as match_task

    with user_errors():
        f = one_format(fmt, TABLE_FORMATS, "table")
        with open_warehouse(store, read_only=True) as wh:
            res = match_task(wh, gazetteer, threshold=threshold)
        if f != "table":
            write_result(res, f, path, force)
            return
        rows = [
            (
                str(r.department),
                f"{r.records:,}",
                f"{r.matched:,}",
                f"{r.unmatched:,}",
                f"{r.pct_matched}",
            )
            for r in res.summary.itertuples()
        ]
        cols = ["department", "records", "matched", "unmatched", "% matched"]
        o.show(o.table("ISTV locations matched to the gazetteer", cols, rows))

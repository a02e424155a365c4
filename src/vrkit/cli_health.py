"""Health commands (Typer sub-apps): synthetic data, ISTV ingest and completeness, location match.

Thin like :mod:`vrkit.cli`: parse input, call one core function, format the result. Mounted in
the main app as ``vrkit synth …`` (``synth_app``) and ``vrkit health …`` (``health_app``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from vrkit.errors import InputError, VrkitError

synth_app = typer.Typer(
    help="Write SYNTHETIC data (not real) for tests, demos and benchmarks.", no_args_is_help=True
)
health_app = typer.Typer(
    help="A&E (ISTV) and ambulance data: bulk ingest, completeness, location matching.",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)


def _fail(exc: VrkitError) -> typer.Exit:
    err.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
    if exc.hint:
        err.print(f"[yellow]hint:[/] {exc.hint}", highlight=False, soft_wrap=True)
    return typer.Exit(exc.exit_code)


def _store(store: Path | None) -> Path:
    from vrkit.config import get_settings

    return store or get_settings().store


@synth_app.command("istv")
def synth_istv_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write submissions to.")],
    departments: Annotated[int, typer.Option(help="Number of emergency departments.")] = 29,
    months: Annotated[int, typer.Option(help="Number of months.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 1,
    start: Annotated[str, typer.Option(help="First month, YYYY-MM.")] = "2023-01",
    gazetteer: Annotated[
        Path | None, typer.Option(help="Also write the synthetic gazetteer CSV here.")
    ] = None,
) -> None:
    """Write SYNTHETIC ISTV submissions that `vrkit ingest DIR` loads."""
    from vrkit.sources.base import parse_year_month
    from vrkit.synth import SYNTHETIC_NOTE, synth_istv

    try:
        first = parse_year_month(start)
        if first is None:
            raise InputError(f"--start must be YYYY-MM, got {start!r}")
        man = synth_istv(
            out_dir,
            departments=departments,
            months=months,
            seed=seed,
            start=first,
            gazetteer=gazetteer,
        )
    except VrkitError as exc:
        raise _fail(exc) from None
    err.print(f"[yellow]{SYNTHETIC_NOTE}[/]", highlight=False)
    out.print(
        f"wrote {len(man.files):,} files ({man.records_written:,} records) to {out_dir}: "
        f"{len(man.malformed)} malformed, {len(man.late)} late, {len(man.resubmitted)} "
        f"re-submitted, {len(man.missing)} department-months missing"
    )


@synth_app.command("ambulance")
def synth_ambulance_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the file to.")],
    lsoas: Annotated[int, typer.Option(help="Number of (synthetic) LSOAs.")] = 200,
    months: Annotated[int, typer.Option(help="Number of months.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
) -> None:
    """Write a SYNTHETIC ambulance assault call-outs file (lsoa_code, month, callouts)."""
    from vrkit.synth import SYNTHETIC_NOTE, synth_ambulance

    p = synth_ambulance(out_dir, lsoas=lsoas, months=months, seed=seed)
    err.print(f"[yellow]{SYNTHETIC_NOTE}[/]", highlight=False)
    out.print(f"wrote {p}")


@health_app.command("ingest-istv")
def ingest_istv_cmd(
    paths: Annotated[list[Path], typer.Argument(help="ISTV files or folders.")],
    store: Annotated[Path | None, typer.Option(help="Warehouse file.")] = None,
) -> None:
    """Load many ISTV submissions in one transaction (fast path; same rules as `vrkit ingest`)."""
    from vrkit.sources.registry import expand_paths
    from vrkit.store.health import ingest_istv
    from vrkit.store.warehouse import Warehouse

    try:
        with Warehouse(_store(store)) as wh:
            results = ingest_istv(wh, expand_paths(paths))
    except VrkitError as exc:
        raise _fail(exc) from None
    failed = [r for r in results if isinstance(r, VrkitError)]
    loaded = [r for r in results if not isinstance(r, VrkitError) and r.status == "loaded"]
    for e in failed:
        err.print(f"[bold red]error:[/] {e.message}", highlight=False, soft_wrap=True)
    out.print(
        f"{len(loaded):,} loaded, {len(results) - len(loaded) - len(failed):,} unchanged, "
        f"{len(failed):,} refused"
    )
    if failed:
        raise typer.Exit(4)


def quality_istv_json(store: Path | None = None) -> str:
    """The ``quality --source istv --format json`` document (core call + formatting)."""
    from vrkit.analysis.health import completeness_records
    from vrkit.store.health import istv_quality
    from vrkit.store.warehouse import Warehouse

    with Warehouse(_store(store), read_only=True) as wh:
        frame = istv_quality(wh)
    return json.dumps(completeness_records(frame), indent=2)


@health_app.command("quality-istv")
def quality_istv_cmd(
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    store: Annotated[Path | None, typer.Option(help="Warehouse file.")] = None,
) -> None:
    """Completeness per department and month: received vs expected, missing, usable location."""
    from vrkit.store.health import istv_quality
    from vrkit.store.warehouse import Warehouse

    try:
        if not _store(store).exists():
            raise VrkitError(f"no warehouse at {_store(store)}", hint="Ingest ISTV files first.")
        if fmt == "json":
            sys.stdout.write(quality_istv_json(store) + "\n")
            return
        if fmt != "table":
            raise InputError(f"unknown format {fmt!r}", hint="Use table or json.")
        with Warehouse(_store(store), read_only=True) as wh:
            frame = istv_quality(wh)
    except VrkitError as exc:
        raise _fail(exc) from None
    t = Table("department", "month", "received", "expected", "% location usable", "flag")
    for r in frame.itertuples():
        t.add_row(
            str(r.department),
            f"{r.month:%Y-%m}",
            "—" if r.missing else f"{r.received:,}",
            "" if r.expected != r.expected else f"{r.expected:,.0f}",
            "" if r.pct_location_usable != r.pct_location_usable else f"{r.pct_location_usable}",
            "" if r.flag == "ok" else f"[yellow]{r.flag}",
        )
    out.print(t)


@health_app.command("match-locations")
def match_locations_cmd(
    gazetteer: Annotated[Path, typer.Option(help="CSV with name, easting, northing.")],
    threshold: Annotated[float, typer.Option(help="Minimum confidence of a match.")] = 0.85,
    store: Annotated[Path | None, typer.Option(help="Warehouse file.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Matched and unmatched ISTV locations per department (matched at ingest against the
    VRKIT_GAZETTEER gazetteer; the free text itself is never stored)."""
    from vrkit.store.warehouse import Warehouse
    from vrkit.tasks.health import location_match_summary

    try:
        with Warehouse(_store(store), read_only=True) as wh:
            summary = location_match_summary(wh, threshold=threshold, gazetteer=gazetteer)
    except VrkitError as exc:
        raise _fail(exc) from None
    if fmt == "json":
        sys.stdout.write(summary.to_json(orient="records", indent=2) + "\n")
        return
    t = Table("department", "records", "matched", "unmatched", "% matched")
    for r in summary.itertuples():
        t.add_row(
            str(r.department),
            f"{r.records:,}",
            f"{r.matched:,}",
            f"{r.unmatched:,}",
            f"{r.pct_matched}",
        )
    out.print(t)

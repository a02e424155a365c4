"""``vrkit synth istv | ambulance``: SYNTHETIC data (not real) for tests, demos, benchmarks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vrkit.cli import output as o
from vrkit.cli.errors import user_errors
from vrkit.cli.options import ForceOpt

app = typer.Typer(
    help="Write SYNTHETIC data (not real) for tests, demos and benchmarks.", no_args_is_help=True
)


@app.command("istv")
def istv(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder to write submissions to (created).")
    ],
    departments: Annotated[int, typer.Option(help="Number of emergency departments.")] = 29,
    months: Annotated[int, typer.Option(help="Number of months.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 1,
    start: Annotated[str, typer.Option(help="First month, YYYY-MM.")] = "2023-01",
    gazetteer: Annotated[
        Path | None, typer.Option(help="Also write the synthetic gazetteer CSV here.")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Write SYNTHETIC ISTV submissions that `vrkit ingest DIR` loads."""
    from vrkit.errors import InputError
    from vrkit.sources.base import parse_year_month
    from vrkit.tasks.synth import SYNTHETIC_NOTE, synth_istv

    with user_errors():
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
            force=force,
        )
    o.note(SYNTHETIC_NOTE, style="yellow")
    o.say(
        f"wrote {len(man.files):,} files ({man.records_written:,} records) to {out_dir}: "
        f"{len(man.malformed)} malformed, {len(man.late)} late, {len(man.resubmitted)} "
        f"re-submitted, {len(man.missing)} department-months missing"
    )


@app.command("ambulance")
def ambulance(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the file to (created).")],
    lsoas: Annotated[int, typer.Option(help="Number of (synthetic) LSOAs.")] = 200,
    months: Annotated[int, typer.Option(help="Number of months.")] = 12,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    force: ForceOpt = False,
) -> None:
    """Write a SYNTHETIC ambulance assault call-outs file (lsoa_code, month, callouts)."""
    from vrkit.tasks.synth import SYNTHETIC_NOTE, synth_ambulance

    with user_errors():
        p = synth_ambulance(out_dir, lsoas=lsoas, months=months, seed=seed, force=force)
    o.note(SYNTHETIC_NOTE, style="yellow")
    o.say(f"wrote {p}")

"""The ``vrkit`` Typer application: the root options and the command groups.

Every command parses its options, calls one task of :mod:`vrkit.tasks` and formats the
result; errors become messages and exit codes in :mod:`vrkit.cli.errors` only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vrkit.cli import (
    anticipate,
    data,
    evaluate,
    export,
    health,
    places,
    rank,
    reports,
    serve,
    synth,
    trends,
)
from vrkit.cli.options import ROOT, ROOT_STORE_HELP
from vrkit.errors import EXIT_LABELS

HELP = "vrkit: the core data set, trends and reports for Violence Reduction Units."

app = typer.Typer(
    name="vrkit",
    help=HELP,
    epilog="Exit codes: "
    + ", ".join(f"{code} {label}" for code, label in EXIT_LABELS.items())
    + " (docs/cli.md).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    store: Annotated[
        Path | None,
        typer.Option("--store", help=ROOT_STORE_HELP, metavar="PATH"),
    ] = None,
) -> None:
    """Root options (read by :func:`vrkit.cli.options.store_path`)."""
    ROOT["store"] = store


app.add_typer(data.app)  # version, formats, ingest, datasets, quality, measures
app.add_typer(trends.app)  # trend
app.add_typer(places.app)  # hotspots, concentration
app.add_typer(reports.app, name="report")
app.add_typer(anticipate.app)  # alerts, forecast, backtest
app.add_typer(synth.app, name="synth")
app.add_typer(health.app, name="health")
app.add_typer(rank.app, name="rank")
app.add_typer(evaluate.app, name="evaluate")
app.add_typer(evaluate.top)  # cost-of-violence, vfm
app.add_typer(evaluate.evidence_app, name="evidence")
app.add_typer(export.app, name="export")
app.add_typer(serve.app)  # serve: the partner portal


def main() -> None:
    """Console-script entry point."""
    app()

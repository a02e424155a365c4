"""``vrkit serve``: the partner portal (web pages and /api/v1), run by :func:`vrkit.web.serve.run`."""

from __future__ import annotations

from typing import Annotated

import typer

from vrkit.cli.errors import user_errors
from vrkit.cli.options import StoreOpt, store_path

app = typer.Typer()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    store: StoreOpt = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="Operational database URL (default VRKIT_DATABASE_URL)."
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option("--demo", help="Seed one DEMO user per role and print their sign-in details."),
    ] = False,
    ingest_empty: Annotated[
        bool,
        typer.Option("--ingest-if-empty", help="Load the shared data if the warehouse is empty."),
    ] = False,
    workers_threads: Annotated[int, typer.Option("--threads", help="Request worker threads.")] = 40,
) -> None:
    """Run the partner portal (web pages and /api/v1)."""
    from vrkit.web.serve import run

    with user_errors():
        run(
            host=host,
            port=port,
            store=store_path(store),
            database_url=database_url,
            demo=demo,
            ingest_empty=ingest_empty,
            workers_threads=workers_threads,
        )

"""``vrkit export parquet``: the warehouse as a hive-partitioned Parquet lake."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vrkit.cli import output as o
from vrkit.cli.errors import user_errors
from vrkit.cli.options import StoreOpt, format_option, one_format, open_warehouse

app = typer.Typer(help="Export the warehouse for other engines.", no_args_is_help=True)


@app.command("parquet")
def parquet(
    out: Annotated[Path, typer.Option("--out", help="Export folder (created).", metavar="FOLDER")],
    tables: Annotated[
        list[str] | None,
        typer.Option(
            "--table",
            help="Only this lake table (repeatable, or a comma list; default all).",
            metavar="TABLE",
        ),
    ] = None,
    full: Annotated[bool, typer.Option("--full", help="Rewrite every partition.")] = False,
    store: StoreOpt = None,
    fmt: Annotated[list[str] | None, format_option(("table", "json", "csv"), "table")] = None,
) -> None:
    """Write the record and count tables as hive-partitioned Parquet (Spark, Trino, DuckDB)."""
    from vrkit.tasks.export import export_parquet

    with user_errors():
        f = one_format(fmt, ("table", "json", "csv"), "table")
        names = [t.strip() for item in tables or [] for t in item.split(",") if t.strip()] or None
        with open_warehouse(store, read_only=True) as wh:
            res = export_parquet(wh, out, tables=names, full=full)
        if f != "table":
            from vrkit.tasks._result import ResultView

            o.write_text(ResultView(res).render(f))
            return
        frame = res.to_frame()
        o.show(o.table(f"Parquet lake {out}", list(frame.columns), frame.itertuples(index=False)))

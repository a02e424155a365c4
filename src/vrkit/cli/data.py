"""``vrkit version | formats | ingest | datasets | quality | measures``: loading and reviewing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer

if TYPE_CHECKING:
    from vrkit.tasks._result import Listing
    from vrkit.tasks.ingestion import IngestSummary

from vrkit.cli import output as o
from vrkit.cli.errors import report, user_errors
from vrkit.cli.options import StoreOpt, format_option, one_format, open_warehouse, store_path

app = typer.Typer()

LIST_FORMATS = ("table", "json", "csv")


def _listing(res: Listing, fmt: str, *, no_wrap: tuple[str, ...] = ()) -> None:
    """Print a :class:`~vrkit.tasks.Listing` as a table or as JSON/CSV."""
    if fmt != "table":
        o.write_text(res.render(fmt))
        return
    f = res.frame
    o.show(o.table(res.title, list(f.columns), f.itertuples(index=False), no_wrap=no_wrap))


@app.command()
def version(
    full: Annotated[
        bool, typer.Option("--all", help="Also Python, platform and key libraries (bug reports).")
    ] = False,
    fmt: Annotated[list[str] | None, format_option(LIST_FORMATS, "table")] = None,
) -> None:
    """Print the vrkit version."""
    from vrkit.tasks.data import version as version_task

    with user_errors():
        f = one_format(fmt, LIST_FORMATS, "table")
        res = version_task(full=full)
        if f != "table":
            _listing(res, f)
        elif not full:
            o.say(res.frame["version"].iloc[0])
        else:
            for name, v in zip(res.frame["name"], res.frame["version"], strict=True):
                o.say(f"{name:26s} {v}")


@app.command()
def formats(
    fmt: Annotated[list[str] | None, format_option(LIST_FORMATS, "table")] = None,
) -> None:
    """List the file formats vrkit recognises."""
    from vrkit.tasks.data import formats as formats_task

    with user_errors():
        _listing(formats_task(), one_format(fmt, LIST_FORMATS, "table"))


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders to load.")] = None,
    all_: Annotated[
        bool,
        typer.Option("--all", help="Load everything under the data directory (VRKIT_DATA_DIR)."),
    ] = False,
    force: Annotated[bool, typer.Option(help="Re-read files already loaded.")] = False,
    store: StoreOpt = None,
    fmt: Annotated[list[str] | None, format_option(LIST_FORMATS, "table")] = None,
) -> None:
    """Load files into the warehouse; each file atomically, re-runs change nothing.

    The format is detected from each file's header. With --all, files in formats vrkit does not
    know are listed and skipped; with explicit paths they are an error. A file that fails is
    reported and the others still load (exit code 4 if any failed).
    """
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from vrkit.errors import DataValidationError, VrkitError
    from vrkit.store.warehouse import IngestResult, result_label
    from vrkit.tasks.ingestion import check_request
    from vrkit.tasks.ingestion import ingest as ingest_task

    with user_errors():
        f = one_format(fmt, LIST_FORMATS, "table")
        check_request(paths or [], all_=all_)  # before a warehouse file is created
        with (
            open_warehouse(store) as wh,
            Progress(
                TextColumn("ingest", style="bold"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[name]}", markup=False),
                console=o.err,
                transient=False,
            ) as progress,
        ):
            bar = progress.add_task("ingest", total=None, name="")

            def start(n: int) -> None:
                progress.update(bar, total=n)

            def done(p: Path, res: IngestResult | VrkitError) -> None:
                progress.update(bar, advance=1, name=o.clean(result_label(p, res)))

            summary: IngestSummary = ingest_task(
                wh, paths or [], all_=all_, force=force, on_file=done, on_start=start
            )
        _ingest_report(summary, store_path(store), f)
        if summary.failed:
            raise typer.Exit(DataValidationError.exit_code)


def _ingest_report(summary: IngestSummary, store: Path, fmt: str) -> None:
    """The per-file table, skipped files, errors and the summary line."""
    from vrkit.errors import VrkitError

    if fmt != "table":
        o.write_text(summary.render(fmt))
    else:

        def n(v: object) -> str:
            return "" if v is None or v != v else f"{int(v):,}"  # type: ignore[call-overload]

        rows = [
            (
                r.file,
                r.kind,
                r.status,
                n(r.rows_read),
                n(r.rows_loaded),
                n(r.rows_rejected),
                f"{r.seconds:.1f}",
            )
            for r in summary.to_frame().itertuples()
        ]
        cols = ["file", "kind", "status", "read", "loaded", "rejected", "s"]
        o.show(o.table(f"Ingested into {store}", cols, rows))
    for p, reason in summary.skipped:
        o.note(f"skipped {p}: {reason}", style=None)
    for fo in summary.files:
        res = fo.result
        if isinstance(res, VrkitError):
            report(res)
        elif res.report and res.report.rejections:
            o.note(f"{fo.label}: {res.report.summary()}")
    if fmt == "table":
        o.say(
            f"{len(summary.files) - len(summary.failed)} file(s) ok, {len(summary.failed)} "
            f"failed, {len(summary.skipped)} skipped in {summary.seconds:.1f} s"
        )


@app.command()
def datasets(
    store: StoreOpt = None,
    fmt: Annotated[list[str] | None, format_option(LIST_FORMATS, "table")] = None,
) -> None:
    """List the datasets loaded, with their release coverage and sha256."""
    from vrkit.tasks.data import datasets as datasets_task

    with user_errors():
        f = one_format(fmt, LIST_FORMATS, "table")
        with open_warehouse(store, read_only=True) as wh:
            res = datasets_task(wh)
        if f != "table":
            o.write_text(res.render(f))
            return
        rows = []
        for r in res.frame.itertuples():
            cov = (
                f"{pd.Timestamp(r.covers_from):%Y-%m} … {pd.Timestamp(r.covers_to):%Y-%m}"
                if pd.notna(r.covers_from) and pd.notna(r.covers_to)
                else "—"
            )
            rows.append(
                (
                    r.dataset_id,
                    r.source_kind,
                    r.file_name,
                    cov,
                    f"{r.rows_read:,}",
                    f"{r.rows_loaded:,}",
                    f"{r.rows_rejected:,}",
                    r.sha256[:12],
                )
            )
        cols = ["id", "kind", "file", "covers", "read", "loaded", "rejected", "sha256"]
        o.show(o.table(f"Datasets in {store_path(store)}", cols, rows))


def _has_coverage(q: object) -> bool:
    return any(str(n).startswith("coverage: ") for n in getattr(q, "notes", []))


@app.command()
def quality(
    dataset: Annotated[int | None, typer.Option(help="Only this dataset id.")] = None,
    source: Annotated[
        str | None, typer.Option(help="istv: completeness per department × month instead.")
    ] = None,
    store: StoreOpt = None,
    fmt: Annotated[list[str] | None, format_option(LIST_FORMATS, "table")] = None,
) -> None:
    """Data-quality review per dataset, and revisions between releases of the same source."""
    from vrkit.errors import InputError
    from vrkit.tasks.data import quality as quality_task

    with user_errors():
        f = one_format(fmt, LIST_FORMATS, "table")
        if source is not None:
            if source != "istv":
                raise InputError(f"unknown --source {source!r}", hint="Known: istv.")
            from vrkit.cli.health import show_istv_quality

            show_istv_quality(store, f)
            return
        with open_warehouse(store, read_only=True) as wh:
            res = quality_task(wh, dataset=dataset)
        if f != "table":
            o.write_text(res.render(f))
            return
        for q in res.datasets:
            rows: list[tuple[str, str]] = [
                (
                    "rows",
                    f"read {q.rows_read:,} · loaded {q.rows_loaded:,} · "
                    f"rejected {q.rows_rejected:,}",
                )
            ]
            if q.covers_from and q.months_present:
                rows.append(
                    (
                        "covers",
                        f"{q.covers_from:%Y-%m} … {q.covers_to:%Y-%m}: "
                        f"{q.months_present} months present",
                    )
                )
                rows.append(
                    (
                        "missing months",
                        ", ".join(f"{m:%Y-%m}" for m in q.months_missing) or "none",
                    )
                )
            elif q.covers_from:
                # quarterly, annual or academic-year values: no month count; the coverage
                # rows give the periods and gaps
                rows.append(
                    (
                        "covers",
                        f"{q.covers_from:%Y-%m} … {q.covers_to:%Y-%m} (not monthly"
                        + ("; periods and gaps under coverage)" if _has_coverage(q) else ")"),
                    )
                )
            if q.pct_with_location is not None:
                rows.append(("with location", f"{q.pct_with_location:.2f} %"))
            if q.rejected_by_reason:
                rows.append(
                    (
                        "rejected by reason",
                        "; ".join(f"{k}: {v:,}" for k, v in q.rejected_by_reason.items()),
                    )
                )
            if q.superseded_months:
                rows.append(
                    (
                        "superseded",
                        f"{q.superseded_months:,} area-months replaced by a newer release",
                    )
                )
            rows += [("exclusion", e) for e in q.exclusions]
            rows += [
                ("coverage", n.removeprefix("coverage: "))
                if n.startswith("coverage: ")
                else ("note", n)
                for n in q.notes
            ]
            title = f"{q.dataset_id}. {q.file_name} ({q.source_kind})"
            o.show(o.table(title, ["item", "value"], rows, show_header=False, title_justify="left"))
        for kind, rv in res.revisions.items():
            if rv.empty:
                continue
            summary = (
                rv.groupby(["older_dataset", "newer_dataset", "measure"], sort=False)
                .agg(
                    months=("revision", "size"),
                    net=("revision", "sum"),
                    largest=("revision", lambda s: s.abs().max()),
                )
                .reset_index()
            )
            rev_rows = [
                (
                    f"{r.older_dataset} → {r.newer_dataset}",
                    r.measure,
                    str(r.months),
                    f"{r.net:+,.0f}",
                    f"{r.largest:,.0f}",
                )
                for r in summary.itertuples()
            ]
            cols = ["releases", "measure", "months revised", "net", "largest |rev|"]
            o.show(o.table(f"Revisions between releases (dataset ids): {kind}", cols, rev_rows))
            o.note(
                "Category changes between codings (e.g. CONNECT in 2024) show up as "
                "revisions too; see `vrkit measures` for comparability notes."
            )


@app.command()
def measures(
    fmt: Annotated[list[str] | None, format_option(LIST_FORMATS, "table")] = None,
) -> None:
    """List the headline measures and the taxonomies they are defined on."""
    from vrkit.tasks.data import measures as measures_task

    with user_errors():
        _listing(measures_task(), one_format(fmt, LIST_FORMATS, "table"), no_wrap=("id",))

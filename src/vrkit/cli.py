"""The ``vrkit`` command line: a thin layer that parses input, calls one core function and
formats the result. Every :class:`~vrkit.errors.VrkitError` becomes a one-line message and a
non-zero exit code here, in one place; no tracebacks for user error.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from vrkit._version import __version__
from vrkit.config import get_settings
from vrkit.errors import SourceError, VrkitError

app = typer.Typer(
    name="vrkit",
    help="vrkit: the core data set, trends and reports for Violence Reduction Units.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
report_app = typer.Typer(help="Build reports (HTML, XLSX, JSON).", no_args_is_help=True)
app.add_typer(report_app, name="report")

out = Console()
err = Console(stderr=True)
_state: dict[str, Path | None] = {"store": None}


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn VrkitError into a clear message and exit code (the one place this happens)."""
    try:
        yield
    except VrkitError as exc:
        err.print(
            f"[bold red]error:[/] {exc.message}", highlight=False, markup=True, soft_wrap=True
        )
        if exc.hint:
            err.print(f"[yellow]hint:[/] {exc.hint}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None


def _store_path() -> Path:
    return _state["store"] or get_settings().store


def _warehouse(read_only: bool = False):
    from vrkit.store.warehouse import Warehouse

    path = _store_path()
    if read_only and not Path(path).exists():
        raise VrkitError(
            f"no warehouse at {path}", hint="Run `vrkit ingest --all` first, or pass --store."
        )
    return Warehouse(path, read_only=read_only)


@app.callback()
def _main(
    store: Annotated[
        Path | None,
        typer.Option("--store", help="Warehouse file (default: VRKIT_STORE or ./vrkit.duckdb)."),
    ] = None,
) -> None:
    _state["store"] = store


@app.command()
def version(
    full: Annotated[
        bool, typer.Option("--all", help="Also Python, platform and key libraries (bug reports).")
    ] = False,
) -> None:
    """Print the vrkit version."""
    if not full:
        out.print(__version__)
        return
    from vrkit._versions import versions

    for name, v in versions().items():
        out.print(f"{name:26s} {v}", highlight=False)


@app.command()
def formats() -> None:
    """List the file formats vrkit recognises."""
    from vrkit.sources.registry import known_formats

    t = Table("kind", "description", title="Known formats")
    for kind, desc in known_formats():
        t.add_row(kind, desc)
    out.print(t)


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders to load.")] = None,
    all_: Annotated[
        bool,
        typer.Option("--all", help="Load everything under the data directory (VRKIT_DATA_DIR)."),
    ] = False,
    force: Annotated[bool, typer.Option(help="Re-read files already loaded.")] = False,
) -> None:
    """Load files into the warehouse; each file atomically, re-runs change nothing.

    The format is detected from each file's header. With --all, files in formats vrkit does not
    know are listed and skipped; with explicit paths they are an error.
    """
    from vrkit.sources.registry import detect_adapter, expand_paths
    from vrkit.store.warehouse import IngestResult, result_label

    with _user_errors():
        targets: list[Path] = []
        if all_:
            data_dir = get_settings().data_dir
            if not data_dir.is_dir():
                raise VrkitError(
                    f"data directory {data_dir} does not exist",
                    hint="Set VRKIT_DATA_DIR to the folder holding the shared data.",
                )
            targets += expand_paths([data_dir])
        targets += expand_paths(paths or [])
        if not targets:
            raise VrkitError("nothing to ingest", hint="Give file or folder paths, or --all.")
        skipped: list[tuple[Path, str]] = []
        if all_:
            kept = []
            for p in targets:
                try:
                    detect_adapter(p)
                    kept.append(p)
                except SourceError as exc:
                    skipped.append((p, exc.message.split(". Known formats")[0]))
            targets = kept
        wh = _warehouse()
        results: list[tuple[Path, IngestResult | VrkitError, float]] = []
        t0 = time.perf_counter()
        with Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[name]}"),
            console=err,
            transient=False,
        ) as progress:
            task = progress.add_task("ingest", total=len(targets), name="")
            clock = [time.perf_counter()]

            def done(p: Path, res: IngestResult | VrkitError) -> None:
                now = time.perf_counter()
                results.append((p, res, now - clock[0]))
                clock[0] = now
                progress.update(task, advance=1, name=result_label(p, res))

            wh.ingest_many(targets, force=force, on_file=done)
        _post_ingest(wh)
        wh.close()
        table = Table(
            "file",
            "kind",
            "status",
            "read",
            "loaded",
            "rejected",
            "s",
            title=f"Ingested into {_store_path()}",
        )
        failed = 0
        for p, res, secs in results:
            if isinstance(res, VrkitError):
                failed += 1
                table.add_row(result_label(p, res), "", "[red]error", "", "", "", f"{secs:.1f}")
            else:
                rep = res.report
                table.add_row(
                    result_label(p, res),
                    res.source_kind,
                    "[green]loaded" if res.status == "loaded" else "unchanged",
                    f"{rep.rows_read:,}" if rep else "",
                    f"{rep.rows_loaded:,}" if rep else "",
                    f"{rep.rows_rejected:,}" if rep else "",
                    f"{secs:.1f}",
                )
        out.print(table)
        for p, reason in skipped:
            err.print(f"[yellow]skipped[/] {p}: {reason}", highlight=False, soft_wrap=True)
        for p, res, _ in results:
            if isinstance(res, VrkitError):
                err.print(f"[bold red]error:[/] {res.message}", highlight=False, soft_wrap=True)
                if res.hint:
                    err.print(f"[yellow]hint:[/] {res.hint}", highlight=False, soft_wrap=True)
            elif res.report and res.report.rejections:
                err.print(
                    f"[yellow]{result_label(p, res)}[/]: {res.report.summary()}", highlight=False
                )
        out.print(
            f"{len(results) - failed} file(s) ok, {failed} failed, {len(skipped)} skipped "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        if failed:
            raise typer.Exit(4)


def _post_ingest(wh) -> None:
    """Derived links that need several sources (LSOA→ward best fit) once both are loaded."""
    from vrkit.store.derived import derive_all_lsoa_ward_links

    derive_all_lsoa_ward_links(wh)  # 0 links for a vintage until both layers are loaded


@app.command()
def datasets(
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv")] = "table",
) -> None:
    """List the datasets loaded, with their release coverage and sha256."""
    with _user_errors():
        wh = _warehouse(read_only=True)
        df = wh.datasets()
        wh.close()
        if fmt == "json":
            sys.stdout.write(df.to_json(orient="records", date_format="iso", indent=2) + "\n")
            return
        if fmt == "csv":
            from vrkit.reports.tabular import csv_text

            sys.stdout.write(csv_text(df))
            return
        t = Table(
            "id",
            "kind",
            "file",
            "covers",
            "read",
            "loaded",
            "rejected",
            "sha256",
            title=f"Datasets in {_store_path()}",
        )
        for r in df.itertuples():
            cov = (
                f"{str(r.covers_from)[:7]} … {str(r.covers_to)[:7]}"
                if r.covers_from is not None
                else ""
            )
            t.add_row(
                str(r.dataset_id),
                r.source_kind,
                r.file_name,
                cov,
                f"{r.rows_read:,}",
                f"{r.rows_loaded:,}",
                f"{r.rows_rejected:,}",
                r.sha256[:12],
            )
        out.print(t)


@app.command()
def quality(
    dataset: Annotated[int | None, typer.Option(help="Only this dataset id.")] = None,
    source: Annotated[
        str | None, typer.Option(help="istv: completeness per department × month instead.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
) -> None:
    """Data-quality review per dataset, and revisions between releases of the same source."""
    from vrkit.store.quality import dataset_quality, revisions

    with _user_errors():
        if source is not None:
            _quality_source(source, fmt)
            return
        wh = _warehouse(read_only=True)
        qs = [q for q in dataset_quality(wh) if dataset is None or q.dataset_id == dataset]
        kinds = sorted({q.source_kind for q in qs})
        revs = {k: revisions(wh, k) for k in kinds if k.startswith("mps_") and "monthly" in k}
        wh.close()
        if fmt == "json":
            doc = {
                "datasets": [q.as_dict() for q in qs],
                "revisions": {
                    k: json.loads(v.to_json(orient="records", date_format="iso"))
                    for k, v in revs.items()
                },
            }
            sys.stdout.write(json.dumps(doc, indent=2) + "\n")
            return
        for q in qs:
            t = Table(
                show_header=False,
                title=f"[bold]{q.dataset_id}. {q.file_name}[/] ({q.source_kind})",
                title_justify="left",
            )
            t.add_row(
                "rows",
                f"read {q.rows_read:,} · loaded {q.rows_loaded:,} · rejected {q.rows_rejected:,}",
            )
            if q.covers_from:
                t.add_row(
                    "covers",
                    f"{q.covers_from:%Y-%m} … {q.covers_to:%Y-%m}: "
                    f"{q.months_present} months present",
                )
                t.add_row(
                    "missing months", ", ".join(f"{m:%Y-%m}" for m in q.months_missing) or "none"
                )
            if q.pct_with_location is not None:
                t.add_row("with location", f"{q.pct_with_location:.2f} %")
            if q.rejected_by_reason:
                t.add_row(
                    "rejected by reason",
                    "; ".join(f"{k}: {v:,}" for k, v in q.rejected_by_reason.items()),
                )
            if q.superseded_months:
                t.add_row(
                    "superseded", f"{q.superseded_months:,} area-months replaced by a newer release"
                )
            for e in q.exclusions:
                t.add_row("[yellow]exclusion", e)
            for n in q.notes:
                t.add_row("note", n)
            out.print(t)
        for kind, rv in revs.items():
            if dataset is not None:
                rv = rv[(rv["older_dataset"] == dataset) | (rv["newer_dataset"] == dataset)]
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
            t = Table(
                "releases",
                "measure",
                "months revised",
                "net",
                "largest |rev|",
                title=f"Revisions between releases (dataset ids): {kind}",
            )
            for r in summary.itertuples():
                t.add_row(
                    f"{r.older_dataset} → {r.newer_dataset}",
                    r.measure,
                    str(r.months),
                    f"{r.net:+,.0f}",
                    f"{r.largest:,.0f}",
                )
            out.print(t)
            err.print(
                "Category changes between codings (e.g. CONNECT in 2024) show up as "
                "revisions too; see `vrkit measures` for comparability notes."
            )


def _quality_source(source: str, fmt: str) -> None:
    """Source-specific quality review (``--source``)."""
    if source != "istv":
        raise VrkitError(f"unknown --source {source!r}", hint="Known: istv.")
    from vrkit.analysis.health import completeness_records
    from vrkit.store.health import istv_quality

    wh = _warehouse(read_only=True)
    frame = istv_quality(wh)
    wh.close()
    records = completeness_records(frame)
    if fmt == "json":
        sys.stdout.write(json.dumps(records, indent=2, default=str) + "\n")
        return
    t = Table(
        "department",
        "month",
        "received",
        "expected",
        "missing",
        "% location",
        "flag",
        title="ISTV completeness (A&E assault attendances)",
    )
    for r in records:
        t.add_row(
            *(
                str(r.get(k, ""))
                for k in (
                    "department",
                    "month",
                    "received",
                    "expected",
                    "missing",
                    "pct_location_usable",
                    "flag",
                )
            )
        )
    out.print(t)


@app.command()
def measures() -> None:
    """List the headline measures and the taxonomies they are defined on."""
    from vrkit.analysis.measures import measures as all_measures

    t = Table(title="Headline measures")
    t.add_column("id", no_wrap=True)
    for col in ("label", "taxonomies", "notes"):
        t.add_column(col)
    from vrkit.analysis.breaks import series_breaks
    from vrkit.analysis.measures import geographies_of

    t.add_column("geographies")
    t.add_column("series breaks")
    for m in all_measures().values():
        t.add_row(
            m.id,
            m.label,
            ", ".join(m.rules),
            m.notes,
            ", ".join(geographies_of(m.id)),
            "; ".join(f"{b.start:%Y-%m} {b.label}" for b in series_breaks(m.id)),
        )
    out.print(t)


@app.command()
def trend(
    measure: Annotated[str, typer.Option(help="Measure id (see `vrkit measures`).")],
    area: Annotated[str, typer.Option(help="London, or a borough name or code.")] = "London",
    period: Annotated[str, typer.Option(help="calendar or financial")] = "calendar",
    fmt: Annotated[str, typer.Option("--format", help="table or csv")] = "table",
    across_breaks: Annotated[
        bool,
        typer.Option(
            "--across-breaks", help="Show change across a series break (flagged, not blank)."
        ),
    ] = False,
) -> None:
    """Yearly totals and year-on-year change of a measure for London or a borough.

    Series breaks (recording or category changes, `vrkit measures`) are marked; no change is
    given across one unless --across-breaks."""
    from vrkit.api import area_period_totals

    with _user_errors():
        wh = _warehouse(read_only=True)
        df = area_period_totals(
            wh,
            measure,
            area=area,
            period=period,  # type: ignore[arg-type]
            across_breaks=across_breaks,
        )
        wh.close()
        if fmt == "csv":
            from vrkit.reports.tabular import csv_text

            sys.stdout.write(csv_text(df))
            return
        t = Table(
            "period", "months", "total", "change", "% change", "", title=f"{measure} — {area}"
        )
        for r in df.itertuples():
            if not r.comparable:
                t.add_section()
            mark = (
                f"‖ series break: {r.break_label}"
                + ("" if across_breaks else " (no change across it)")
                if not r.comparable
                else ""
            )
            if r.mixes_bases:
                mark = (mark + "; " if mark else "") + "mixes both sides of a break"
            t.add_row(
                str(r.period),
                str(r.months),
                "—" if r.total != r.total else f"{r.total:,.0f}",
                "" if r.change != r.change else f"{r.change:+,.0f}",
                "" if r.pct_change != r.pct_change else f"{r.pct_change:+.1f} %",
                mark,
            )
        out.print(t)
        from vrkit.analysis.breaks import series_breaks

        for b in series_breaks(measure, "mps_borough_monthly"):
            out.print(f"‖ {b.label}, from {b.start:%B %Y}: {b.reason}")


@report_app.command("violent-crime")
def report_violent_crime(
    year: Annotated[int, typer.Option(help="Calendar year of the report.")],
    compare: Annotated[
        int | None, typer.Option(help="Year to compare with (default year-1).")
    ] = None,
    area: Annotated[str, typer.Option(help="London, or a borough name or GSS code.")] = "London",
    fmt: Annotated[
        str, typer.Option("--format", help="Comma list of html, xlsx, json.")
    ] = "html,xlsx,json",
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    public: Annotated[
        bool, typer.Option("--public", help="Disclosure-controlled edition for publication.")
    ] = False,
    sdc_rule: Annotated[
        str, typer.Option("--sdc-rule", help="Small-count rule with --public: lt10 or nhs.")
    ] = "lt10",
) -> None:
    """The calendar-year Violent Crime Report (HTML, XLSX, JSON)."""
    from vrkit.reports.violent_crime import build_violent_crime_report, write_report

    with _user_errors():
        formats_ = [f.strip().lower() for f in fmt.split(",") if f.strip()]
        bad = [f for f in formats_ if f not in ("html", "xlsx", "json")]
        if bad:
            raise VrkitError(f"unknown format(s) {', '.join(bad)}", hint="Use html, xlsx, json.")
        wh = _warehouse(read_only=True)
        with err.status(f"Building the {area} report for {year}…"):
            rep = build_violent_crime_report(
                wh, year=year, compare=compare, area=area, public=public, sdc_rule=sdc_rule
            )
            paths = write_report(rep, out_dir, formats_)
        wh.close()
        for p in paths:
            out.print(f"wrote {p}")


def _register_subcommands() -> None:
    """Feature sub-apps, each a thin Typer module over its core library."""
    from vrkit.cli_anticipate import app as anticipate_app
    from vrkit.cli_health import health_app, synth_app
    from vrkit.cli_hotspots import register as register_hotspots
    from vrkit.cli_programmes import register as register_programmes
    from vrkit.cli_rank import rank_app

    register_hotspots(app, report_app)  # hotspots, concentration, report needs-assessment
    app.add_typer(anticipate_app)  # alerts, forecast, backtest at the top level
    app.add_typer(synth_app, name="synth")
    app.add_typer(health_app, name="health")
    app.add_typer(rank_app, name="rank")
    register_programmes(app, synth_app)  # programmes …, synth programmes (issue #15)
    __import__("vrkit.cli_directory").cli_directory.register(app)  # directory, plans, tracker (#17)
    from vrkit.web.serve import serve  # the partner portal (issue #14)

    app.command("serve")(serve)


_register_subcommands()


def main() -> None:
    """Console-script entry point."""
    app()

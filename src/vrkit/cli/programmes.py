"""``vrkit programmes …`` and ``vrkit synth programmes``: the delivery side (issue #15).

Thin like :mod:`vrkit.cli`: each command parses its options, calls one task of
:mod:`vrkit.tasks.delivery` and formats the result. Registered on the main app by
:func:`register` (one line in :mod:`vrkit.cli.app`). The operational database is
``--database-url`` (default ``VRKIT_DATABASE_URL``), migrated on first use; work done here is
audited as ``cli:<user>`` with the commissioner role.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

# Every print goes through vrkit.cli.output: data text is never read as Rich markup.
from vrkit.cli.output import clean, out, write_text
from vrkit.cli.output import error as _error
from vrkit.cli.output import note as _note
from vrkit.cli.output import say as _say
from vrkit.errors import InputError, VrkitError

app = typer.Typer(
    help="Programmes, money, monitoring returns and the logic model (the delivery side).",
    no_args_is_help=True,
)
spend_app = typer.Typer(help="Actual spend, forecasts and the finance dashboard.")
reprofile_app = typer.Typer(
    help="Move budget between quarters, years or programmes (recorded, approved, reversible).",
    no_args_is_help=True,
)
returns_app = typer.Typer(help="Quarterly monitoring returns: templates, submissions, progress.")
logic_app = typer.Typer(help="The logic model (versioned) with live progress.")
app.add_typer(spend_app, name="spend")
app.add_typer(reprofile_app, name="reprofile")
app.add_typer(returns_app, name="returns")
app.add_typer(logic_app, name="logic-model")


DbOpt = Annotated[
    str | None,
    typer.Option("--database-url", help="Operational database (default VRKIT_DATABASE_URL)."),
]
YearOpt = Annotated[str, typer.Option("--year", help="Financial year, e.g. 2020/21.")]
FmtOpt = Annotated[str, typer.Option("--format", help="table, csv or json.")]


@contextmanager
def _errors() -> Iterator[None]:
    """The CLI's one error mapping (:func:`vrkit.cli.errors.user_errors`), with every problem of a
    refused return listed first."""
    from vrkit.cli.errors import user_errors as _user_errors
    from vrkit.sources.delivery.returns_xlsx import ReturnRejected

    with _user_errors():
        try:
            yield
        except ReturnRejected as exc:
            for issue in exc.issues:
                _note(f"  - {issue.text()}")
            raise


def _year(text: str) -> int:
    from vrkit.catalog.money import parse_fy

    return parse_fy(text)


def _show(
    result: Any, fmt: str, columns: list[str] | None = None, out_path: Path | None = None
) -> None:
    """Print (or write) a task result as a table, CSV or JSON."""
    if fmt not in ("table", "csv", "json"):
        raise InputError(f"unknown --format {fmt!r}", hint="Use table, csv or json.")
    if out_path is not None:
        result.write(out_path, None if fmt == "table" else fmt)
        _say(f"wrote {out_path}")
        return
    if fmt == "json":
        write_text(result.render("json"))
        return
    if fmt == "csv":
        write_text(result.render("csv"))
        return
    frame = result.to_frame()
    table = Table(title=result.title, show_lines=False)
    cols = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    for c in cols:
        table.add_column(c.replace("_", " "), overflow="fold")
    for row in frame[cols].itertuples(index=False):
        table.add_row(*["" if v is None or v != v else clean(v) for v in row])
    out.print(table)
    for n in result.notes:
        _say(n, style="dim")


def _session(url: str | None) -> Any:
    from vrkit.tasks.delivery import database_session

    return database_session(url)


# -- import, register, export, show ----------------------------------------------------------
@app.command("import")
def import_cmd(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="The London VRU example folder, a folder of vrkit delivery tables, or 360Giving .json/.csv files."
        ),
    ],
    fmt: Annotated[
        str, typer.Option("--format", help="auto, london-vru, tables or 360giving.")
    ] = "auto",
    database_url: DbOpt = None,
) -> None:
    """Import programmes, organisations, grants, budgets, profiles, spend, targets and returns
    (all files in one transaction: nothing is stored if any record breaks a rule)."""
    from vrkit.tasks.delivery import cli_actor, import_delivery

    with _errors(), _session(database_url) as s:
        results = import_delivery(s, cli_actor(), paths, fmt)
    for r in results:
        counts = ", ".join(f"{k} {v:,}" for k, v in sorted(r.counts.items()))
        label = f" {r.data_label}" if r.data_label else ""
        _say(f"imported {r.kind}{label}: {counts}")
        if r.logic_model:
            _say(f"logic model: {r.logic_model}")
        for n in r.notes:
            _say(f"note: {n}", style="dim")


@app.command("register")
def register_cmd(
    theme: Annotated[str | None, typer.Option(help="Only this theme.")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    portfolio: Annotated[
        bool, typer.Option("--portfolio", help="Delivery items only (no context rows).")
    ] = False,
    fmt: FmtOpt = "table",
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (.csv, .json or .xlsx).")
    ] = None,
    database_url: DbOpt = None,
) -> None:
    """The programme register."""
    from vrkit.tasks.delivery import programme_register

    with _errors(), _session(database_url) as s:
        r = programme_register(s, theme=theme, status=status, portfolio_only=portfolio)
        _show(
            r,
            fmt,
            ["ref", "name", "theme", "objectives", "lead_organisations", "status", "data_label"],
            out_path,
        )


@app.command("show")
def show_cmd(
    ref: Annotated[str, typer.Argument(help="Programme reference, e.g. LVRU-001.")],
    year: YearOpt,
    fmt: Annotated[str, typer.Option("--format", help="json or html.")] = "json",
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for the HTML page.")] = None,
    database_url: DbOpt = None,
) -> None:
    """A programme page: details, money, returns, outputs, reach and progress."""
    from vrkit.tasks.delivery import programme_page

    with _errors(), _session(database_url) as s:
        pg = programme_page(s, ref, _year(year))
        if fmt == "html":
            path = pg.write_html(out_dir or Path("out"))
            _say(f"wrote {path}")
            for name in pg.vfm_file_names:  # the linked value-for-money appraisals (XLSX)
                _say(f"wrote {path.parent / name}")
        elif fmt == "json":
            sys.stdout.write(json.dumps(pg.to_dict(), indent=2, ensure_ascii=False) + "\n")
        else:
            raise InputError(f"unknown --format {fmt!r}", hint="Use json or html.")


@app.command("export")
def export_cmd(
    out_path: Annotated[Path, typer.Option("--out", help="File to write (.json, .csv or .xlsx).")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="json, csv or xlsx (default from --out).")
    ] = None,
    prefix: Annotated[str, typer.Option(help="Your 360Giving prefix (360G-…).")] = "360G-vrkit",
    funder_name: Annotated[
        str | None, typer.Option(help="Funding organisation name (default: the VRU organisation).")
    ] = None,
    funder_id: Annotated[str | None, typer.Option(help="Funding organisation identifier.")] = None,
    validate: Annotated[
        bool, typer.Option("--validate/--no-validate", help="Check against the 360Giving schema.")
    ] = True,
    database_url: DbOpt = None,
) -> None:
    """Export grants as 360Giving data (JSON package, CSV or XLSX), validated against the standard."""
    from vrkit.tasks.delivery import cli_actor, export_360giving

    with _errors(), _session(database_url) as s:
        r = export_360giving(
            s,
            cli_actor(),
            prefix=prefix,
            funder_name=funder_name,
            funder_id=funder_id,
            validate=validate,
        )
        r.write(out_path, fmt)
    _say(f"wrote {out_path}")
    for n in r.notes:
        _say(n)


# -- money -------------------------------------------------------------------------------------
@app.command("budget")
def budget_cmd(
    year: Annotated[
        str | None, typer.Option("--year", help="Financial year (default: every year).")
    ] = None,
    fmt: FmtOpt = "table",
    database_url: DbOpt = None,
) -> None:
    """Budgets by funding source and financial year (with the funder rules)."""
    from vrkit.tasks.delivery import budgets

    with _errors(), _session(database_url) as s:
        r = budgets(s, _year(year) if year else None)
        _show(r, fmt, ["financial_year", "source", "amount_gbp", "basis", "must_spend_in_year"])


@spend_app.callback(invoke_without_command=True)
def spend_cmd(
    ctx: typer.Context,
    year: Annotated[str | None, typer.Option("--year", help="Financial year.")] = None,
    as_of: Annotated[
        int | None,
        typer.Option(
            "--as-of", help="Quarter up to which spend is reported (default: the latest with any)."
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option("--format", help="table, or a comma list of html, xlsx, json (with --out)."),
    ] = "table",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for html/xlsx/json.")] = Path(
        "out"
    ),
    database_url: DbOpt = None,
) -> None:
    """The finance dashboard: budget vs forecast vs actual by source, theme and quarter, with
    underspend risk."""
    if ctx.invoked_subcommand is not None:
        return
    from vrkit.catalog.money import fmt_gbp
    from vrkit.tasks.delivery import finance_dashboard

    if year is None:
        with _errors():
            raise InputError("--year is needed (e.g. --year 2020/21)")
    with _errors(), _session(database_url) as s:
        d = finance_dashboard(s, _year(str(year)), as_of=as_of, chart=fmt != "table")
        if fmt == "table":
            t = Table(title=d.title)
            for c in (
                "source",
                "budget",
                "committed",
                "actual to date",
                "outturn",
                "unspent",
                "risk",
            ):
                t.add_column(c, justify="right" if c not in ("source", "risk") else "left")
            for r in d.by_source.to_dict("records"):
                t.add_row(
                    clean(r["source"]), fmt_gbp(r["budget"], whole=True), fmt_gbp(r["committed"], whole=True),
                    fmt_gbp(r["actual_to_date"], whole=True), fmt_gbp(r["outturn"], whole=True),
                    fmt_gbp(r["forecast_unspent"], whole=True), clean(r["risk"]),
                )  # fmt: skip
            out.print(t)
            high = (
                d.programmes[d.programmes["risk"] == "high"]
                if not d.programmes.empty
                else d.programmes
            )
            for r in high.head(20).to_dict("records"):
                out.print(
                    Text.assemble(
                        ("high risk", "red"),
                        clean(f" {r['programme_ref']} {r['source']}: {r['risk_reason']}"),
                    )
                )
            for n in d.notes:
                _say(n, style="dim")
        else:
            for p in d.write_all(out_dir, [f.strip() for f in fmt.split(",") if f.strip()]):
                _say(f"wrote {p}")


def _record(
    kind: str,
    programme: str,
    source: str,
    year: str,
    quarter: int,
    amount: str,
    database_url: str | None,
) -> None:
    from vrkit.tasks.delivery import cli_actor, record_amount

    with _errors(), _session(database_url) as s:
        record_amount(
            s, cli_actor(), kind=kind, programme_ref=programme, source=source,
            financial_year=_year(year), quarter=quarter, amount=amount,
        )  # fmt: skip
    _say(f"recorded {kind} of £{amount} for {programme} ({source}) {year} Q{quarter}")


@spend_app.command("record")
def spend_record(
    programme: Annotated[str, typer.Option(help="Programme reference.")],
    source: Annotated[str, typer.Option(help="Funding source code or name.")],
    year: YearOpt,
    quarter: Annotated[int, typer.Option(min=1, max=4, help="Quarter 1-4 (April-June is 1).")],
    amount: Annotated[str, typer.Option(help="Pounds and pence, e.g. 12500.00.")],
    database_url: DbOpt = None,
) -> None:
    """Record actual spend for a quarter (refused beyond the programme's budget unless an
    approved reprofile covers it)."""
    _record("spend", programme, source, year, quarter, amount, database_url)


@spend_app.command("forecast")
def spend_forecast(
    programme: Annotated[str, typer.Option(help="Programme reference.")],
    source: Annotated[str, typer.Option(help="Funding source code or name.")],
    year: YearOpt,
    quarter: Annotated[int, typer.Option(min=1, max=4, help="Quarter 1-4.")],
    amount: Annotated[str, typer.Option(help="Pounds and pence.")],
    database_url: DbOpt = None,
) -> None:
    """Record the expected spend of a quarter not yet reported."""
    _record("forecast", programme, source, year, quarter, amount, database_url)


@reprofile_app.command("propose")
def reprofile_propose(
    reason: Annotated[str, typer.Option(help="Why the money moves (recorded and audited).")],
    line: Annotated[
        list[str],
        typer.Option(
            "--line",
            help="PROGRAMME:SOURCE:YEAR:QUARTER:CHANGE, e.g. LVRU-001:home_office:2020/21:Q2:-1500.00 (repeat; the changes add up to zero).",
        ),
    ],
    database_url: DbOpt = None,
) -> None:
    """Propose a reprofile (a second commissioner approves it)."""
    from vrkit.tasks.delivery import cli_actor, propose_reprofile

    with _errors(), _session(database_url) as s:
        rp = propose_reprofile(s, cli_actor(), reason=reason, lines=line)
    _say(
        f"reprofile {rp['id']} proposed ({len(rp['lines'])} lines); it changes nothing until approved"
    )


@reprofile_app.command("approve")
def reprofile_approve(
    reprofile_id: Annotated[int, typer.Argument(help="Reprofile id.")],
    note: Annotated[str, typer.Option(help="Decision note.")] = "",
    as_user: Annotated[
        str | None, typer.Option("--as", help="Who approves (recorded; must not be the proposer).")
    ] = None,
    database_url: DbOpt = None,
) -> None:
    """Approve a proposed reprofile (applies it)."""
    _decide(reprofile_id, True, note, as_user, database_url)


@reprofile_app.command("reject")
def reprofile_reject(
    reprofile_id: Annotated[int, typer.Argument(help="Reprofile id.")],
    note: Annotated[str, typer.Option(help="Decision note.")] = "",
    as_user: Annotated[str | None, typer.Option("--as", help="Who rejects (recorded).")] = None,
    database_url: DbOpt = None,
) -> None:
    """Reject a proposed reprofile."""
    _decide(reprofile_id, False, note, as_user, database_url)


def _actor(as_user: str | None) -> Any:
    from dataclasses import replace

    from vrkit.tasks.delivery import cli_actor

    a = cli_actor()
    return replace(a, email=f"cli:{as_user}", name=as_user) if as_user else a


def _decide(
    reprofile_id: int, approve: bool, note: str, as_user: str | None, database_url: str | None
) -> None:
    from vrkit.tasks.delivery import decide_reprofile

    with _errors(), _session(database_url) as s:
        rp = decide_reprofile(s, _actor(as_user), reprofile_id, approve=approve, note=note)
    _say(f"reprofile {rp['id']} {rp['status']} by {rp['decided_by']}")


@reprofile_app.command("reverse")
def reprofile_reverse(
    reprofile_id: Annotated[int, typer.Argument(help="Reprofile id.")],
    reason: Annotated[str, typer.Option(help="Why it is reversed (recorded).")],
    as_user: Annotated[str | None, typer.Option("--as", help="Who reverses (recorded).")] = None,
    database_url: DbOpt = None,
) -> None:
    """Reverse an approved reprofile: the profile returns to what it was without it."""
    from vrkit.tasks.delivery import reverse_reprofile

    with _errors(), _session(database_url) as s:
        rp = reverse_reprofile(s, _actor(as_user), reprofile_id, reason=reason)
    _say(f"reprofile {rp['id']} reversed by {rp['reversed_by']}")


@reprofile_app.command("list")
def reprofile_list_cmd(
    year: Annotated[
        str | None, typer.Option("--year", help="Only reprofiles touching this year.")
    ] = None,
    database_url: DbOpt = None,
) -> None:
    """Every reprofile with its lines, status, approver and reasons (the audit trail)."""
    from vrkit.tasks.delivery import reprofile_list

    with _errors(), _session(database_url) as s:
        rows = reprofile_list(s, _year(year) if year else None)
    sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")


# -- returns -----------------------------------------------------------------------------------
@returns_app.callback(invoke_without_command=True)
def returns_cmd(
    ctx: typer.Context,
    programme: Annotated[str | None, typer.Option(help="Only this programme.")] = None,
    year: Annotated[str | None, typer.Option("--year", help="Only this financial year.")] = None,
    fmt: FmtOpt = "table",
    database_url: DbOpt = None,
) -> None:
    """The monitoring returns received (every revision)."""
    if ctx.invoked_subcommand is not None:
        return
    from vrkit.tasks.delivery import list_returns

    with _errors(), _session(database_url) as s:
        r = list_returns(s, ref=programme, financial_year=_year(year) if year else None)
        _show(
            r,
            fmt,
            [
                "return_id",
                "programme_ref",
                "financial_year",
                "quarter",
                "revision",
                "status",
                "people_reached_new",
                "submitted_by",
            ],
        )


@returns_app.command("template")
def returns_template(
    programme: Annotated[str, typer.Option(help="Programme reference.")],
    year: YearOpt,
    quarter: Annotated[int, typer.Option(min=1, max=4, help="Quarter 1-4.")],
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out", help="File to write (default: a name from the programme and quarter)."
        ),
    ] = None,
    database_url: DbOpt = None,
) -> None:
    """Write the XLSX return template of a programme's quarter."""
    from vrkit.tasks.delivery import return_template

    with _errors(), _session(database_url) as s:
        data, name = return_template(s, programme, _year(year), quarter)
    path = out_path or Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    _say(f"wrote {path}")


@returns_app.command("submit")
def returns_submit(
    files: Annotated[list[Path], typer.Argument(help="Filled return(s) (.xlsx).")],
    programme: Annotated[
        str | None, typer.Option(help="Refuse a return for any other programme.")
    ] = None,
    database_url: DbOpt = None,
) -> None:
    """Check and store filled returns. Each is all-or-nothing; problems are named by sheet, row
    and column. A corrected return replaces the earlier one as a new revision."""
    from vrkit.sources.delivery.returns_xlsx import ReturnRejected
    from vrkit.tasks.delivery import cli_actor, submit_return
    from vrkit.tasks.delivery.returns import record_rejection

    failed = 0
    for f in files:
        if not f.is_file():
            _error(f"{f} is not a file")
            failed += 1
            continue
        data = f.read_bytes()
        try:
            with _session(database_url) as s:
                res = submit_return(s, cli_actor(), data, f.name, for_programme=programme)
            _say(f"{f}: {res.message()}")
        except ReturnRejected as rej:
            failed += 1
            with _session(database_url) as s:
                record_rejection(s, cli_actor(), f.name, data, rej)
            _error(f"{f}: refused ({len(rej.issues)} problem(s)); nothing was stored:")
            for issue in rej.issues:
                _note(f"  - {issue.text()}")
        except VrkitError as exc:
            failed += 1
            _error(f"{f}: {exc.message}")
    if failed:
        _note(f"{failed} of {len(files)} return(s) refused")
        raise typer.Exit(4)


@returns_app.command("progress")
def returns_progress(year: YearOpt, fmt: FmtOpt = "table", database_url: DbOpt = None) -> None:
    """Progress against the year's targets (e.g. 3,884 of 5,100), with the counting rules."""
    from vrkit.tasks.delivery import progress

    with _errors(), _session(database_url) as s:
        r = progress(s, _year(year))
        _show(r, fmt, ["label", "scope", "progress", "pct_of_target", "basis"])


# -- logic model -------------------------------------------------------------------------------
@logic_app.callback(invoke_without_command=True)
def logic_cmd(
    ctx: typer.Context,
    year: Annotated[
        str | None, typer.Option("--year", help="Financial year of the programme outputs.")
    ] = None,
    version: Annotated[int | None, typer.Option(help="A version (default the newest).")] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="Warehouse for the live outcome and impact indicators (default VRKIT_STORE).",
        ),
    ] = None,
    fmt: FmtOpt = "table",
    database_url: DbOpt = None,
) -> None:
    """The logic model with live progress: outputs rolled up to objectives, outcome and impact
    indicators from the warehouse (changes tested before they are called a fall or rise)."""
    if ctx.invoked_subcommand is not None:
        return
    from vrkit.config import get_settings
    from vrkit.tasks.delivery import logic_model_view

    if year is None:
        with _errors():
            raise InputError("--year is needed (e.g. --year 2020/21)")
    wh_path = store or get_settings().store
    with _errors(), _session(database_url) as s:
        wh = None
        if Path(wh_path).exists():
            from vrkit.store.warehouse import Warehouse

            wh = Warehouse(wh_path, read_only=True)
        try:
            v = logic_model_view(s, wh, _year(str(year)), version=version)
        finally:
            if wh is not None:
                wh.close()
        if wh is None:
            _note(
                f"note: no warehouse at {wh_path}: outcome and impact indicators are not live",
                style="yellow",
            )
        _show(v, fmt, ["level", "code", "node", "indicator", "progress"])


@logic_app.command("import")
def logic_import(
    file: Annotated[
        Path, typer.Argument(help="logic_model.json (London example) or a vrkit export.")
    ],
    database_url: DbOpt = None,
) -> None:
    """Store a logic model as its next version (nothing if identical to the newest)."""
    from vrkit.tasks.delivery import cli_actor, import_logic_model

    with _errors(), _session(database_url) as s:
        name, version, created, changes = import_logic_model(s, cli_actor(), file)
    _say(
        f"logic model {name} version {version} "
        + ("created" if created else "unchanged (identical to the newest)")
    )
    for c in changes[:30]:
        _say(f"  {c}")


@logic_app.command("export")
def logic_export(
    out_path: Annotated[Path, typer.Option("--out", help="JSON file to write.")],
    version: Annotated[int | None, typer.Option(help="A version (default the newest).")] = None,
    database_url: DbOpt = None,
) -> None:
    """Write a version of the logic model as JSON (edit it and import it as the next version)."""
    from vrkit.tasks.delivery import export_logic_model

    with _errors(), _session(database_url) as s:
        data = export_logic_model(s, version=version)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _say(f"wrote {out_path}")


# -- reports -------------------------------------------------------------------------------------
@app.command("report")
def report_cmd(
    year: YearOpt,
    fmt: Annotated[
        str, typer.Option("--format", help="Comma list of html, xlsx, json.")
    ] = "html,xlsx,json",
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("out"),
    database_url: DbOpt = None,
) -> None:
    """The annual-report delivery tables (funding by source, expenditure by theme, programmes by
    theme and objective, reach against targets, the year's snapshot, the multi-year view)."""
    from vrkit.tasks.delivery import delivery_tables

    with _errors(), _session(database_url) as s:
        t = delivery_tables(s, _year(year))
        paths = t.write_all(out_dir, [f.strip() for f in fmt.split(",") if f.strip()])
    for p in paths:
        _say(f"wrote {p}")
    for n in t.notes:
        _say(f"note: {n}", style="dim")


def synth_programmes_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write to (created).")],
    programmes: Annotated[int, typer.Option(help="Number of programmes.")] = 126,
    year: Annotated[str, typer.Option("--year", help="Financial year.")] = "2021/22",
    quarters: Annotated[int, typer.Option(help="Quarters of returns (0-4).")] = 4,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same files).")] = 1,
    force: Annotated[bool, typer.Option("--force", help="Write into a non-empty folder.")] = False,
) -> None:
    """Write a SYNTHETIC delivery portfolio (programmes, budgets, profiles, targets and filled
    returns) that `vrkit programmes import DIR` loads."""
    from vrkit.tasks.delivery import synth_programmes
    from vrkit.tasks.delivery.synth import SYNTHETIC_NOTE

    with _errors():
        man = synth_programmes(
            out_dir,
            programmes=programmes,
            financial_year=_year(year),
            quarters=quarters,
            seed=seed,
            force=force,
        )
    _note(SYNTHETIC_NOTE, style="yellow")
    _say(
        f"wrote {man.programmes} programmes, {len(man.returns)} returns and {len(man.files)} tables to {out_dir} "
        f"({len(man.underspending)} programmes set to underspend)"
    )


def register(root: typer.Typer, synth: typer.Typer) -> None:
    """Mount ``programmes`` on the root app and ``programmes`` on the ``synth`` group."""
    root.add_typer(app, name="programmes")
    synth.command("programmes")(synth_programmes_cmd)

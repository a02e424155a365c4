"""``vrkit directory …``, ``vrkit plans …`` and ``vrkit tracker …`` (issue #17).

Thin like :mod:`vrkit.cli`: each command parses its options, calls one task of
:mod:`vrkit.tasks.directory`, :mod:`vrkit.tasks.action_plans` or :mod:`vrkit.tasks.sna_tracker`
and formats the result. Registered on the main app by :func:`register` (one line in
:mod:`vrkit.cli.app`). The operational database is ``--database-url`` (default
``VRKIT_DATABASE_URL``), migrated on first use; the warehouse (places, profiles) is the main
``--store``. Work done here is audited as ``cli:<user>`` (a commissioner; submitting a plan is
done as the borough's partnership).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table

from vrkit.errors import InputError, VrkitError

directory_app = typer.Typer(
    help="The diversion directory (Open Referral UK): import, export, search, referrals.",
    no_args_is_help=True,
)
plans_app = typer.Typer(
    help="Local violence reduction action plans: create, profile, workflow, progress, export.",
    no_args_is_help=True,
)
tracker_app = typer.Typer(
    help="The Strategic Needs Assessment tracker: import, list, update, evidence, review page.",
    no_args_is_help=True,
)

out = Console()
err = Console(stderr=True)

DbOpt = Annotated[
    str | None,
    typer.Option("--database-url", help="Operational database (default VRKIT_DATABASE_URL)."),
]
FmtOpt = Annotated[str, typer.Option("--format", help="table, csv or json.")]
AreaOpt = Annotated[str, typer.Option("--area", help="Borough name or GSS code.")]
YearOpt = Annotated[int, typer.Option("--year", help="Plan year: 2021 = financial year 2021/22.")]


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except VrkitError as exc:
        err.print(f"error: {exc.message}", highlight=False, markup=False, soft_wrap=True)
        if exc.hint:
            err.print(f"hint: {exc.hint}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None


@contextmanager
def _session(url: str | None) -> Iterator[Any]:
    from vrkit.tasks._opsdb import database_session

    with database_session(url) as s:
        yield s


def _actor() -> Any:
    from vrkit.tasks._opsdb import cli_actor

    return cli_actor()


def _gazetteer(s: Any, required: bool) -> Any:
    """Places from the warehouse (``--store``); None (with a note) when it has no boundaries."""
    from vrkit.cli.options import open_warehouse, store_path
    from vrkit.tasks.directory import gazetteer

    if not Path(store_path(None)).exists():
        if required:
            raise InputError(
                f"no warehouse at {store_path(None)}: places need the borough boundaries",
                hint="Run `vrkit ingest --all` first, or pass --store.",
            )
        err.print("note: no warehouse, so places (boroughs, wards, distances) are not used")
        return None
    with open_warehouse(None, read_only=True) as wh:
        try:
            return gazetteer(wh, s)
        except InputError:
            if required:
                raise
            err.print("note: the warehouse has no borough boundaries; places are not used")
            return None


def _print_rows(rows: list[dict[str, Any]], fmt: str, title: str = "") -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(rows, indent=2, default=str, ensure_ascii=False) + "\n")
        return
    if fmt == "csv":
        import pandas as pd

        from vrkit.reports.tabular import safe_frame

        sys.stdout.write(safe_frame(pd.DataFrame(rows)).to_csv(index=False))
        return
    if fmt != "table":
        raise InputError(f"unknown format {fmt!r}", hint="table, csv or json")
    t = Table(title=title or None)
    cols = list(rows[0]) if rows else []
    for c in cols:
        t.add_column(c)
    for r in rows:
        t.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in cols))
    out.print(t)


# -- directory ---------------------------------------------------------------------------------
@directory_app.command("import")
def directory_import(
    paths: Annotated[list[Path], typer.Argument(help="ORUK .json files or CSV folders/.zip.")],
    database_url: DbOpt = None,
    organisation: Annotated[
        str | None,
        typer.Option(help="Portal organisation whose provider users may edit these services."),
    ] = None,
) -> None:
    """Import Open Referral UK JSON or CSV (validated against the standard; all or nothing)."""
    from vrkit.tasks.directory import import_directory

    with _errors(), _session(database_url) as s:
        gz = _gazetteer(s, required=False)
        for p in paths:
            r = import_directory(s, _actor(), p, gz=gz, portal_organisation=organisation)
            out.print(
                f"{p}: {r.created} new, {r.updated} changed, {r.unchanged} unchanged "
                f"({r.form}, {r.organisations} organisations)"
            )
            for w in r.warnings:
                err.print(f"note: {w}")


@directory_app.command("export")
def directory_export(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write.")],
    database_url: DbOpt = None,
    edition: Annotated[
        str, typer.Option(help="public or full (with referral details).")
    ] = "public",
    formats: Annotated[str, typer.Option("--formats", help="json,csv")] = "json,csv",
) -> None:
    """Export in Open Referral UK form (services.json and csv/), validated before writing."""
    from vrkit.tasks.directory import export_directory

    if edition not in ("public", "full"):
        raise typer.BadParameter("public or full")
    ed: Literal["public", "full"] = "full" if edition == "full" else "public"
    with _errors(), _session(database_url) as s:
        res = export_directory(
            s,
            out_dir,
            formats=tuple(x.strip() for x in formats.split(",")),
            edition=ed,
            who=_actor(),
        )
        out.print(f"{len(res.services)} services ({edition} edition)")
        for p in res.files:
            out.print(f"wrote {p}")


@directory_app.command("search")
def directory_search(
    text: Annotated[str, typer.Argument(help="Words to find (optional).")] = "",
    need: Annotated[
        str | None, typer.Option(help="A need (taxonomy code), e.g. mentoring.")
    ] = None,
    age: Annotated[float | None, typer.Option(help="The person's age.")] = None,
    area: Annotated[str | None, typer.Option(help="Borough or ward (name or code).")] = None,
    near: Annotated[
        str | None, typer.Option(help="A place: borough, ward, known postcode or 'lat,lon'.")
    ] = None,
    within_km: Annotated[float | None, typer.Option("--within-km")] = None,
    database_url: DbOpt = None,
    fmt: FmtOpt = "table",
) -> None:
    """Find published services by words, need, age and place (nearest first with --near)."""
    from vrkit.tasks.directory import search_directory

    with _errors(), _session(database_url) as s:
        gz = _gazetteer(s, required=bool(near))
        res = search_directory(
            s, text=text, need=need, age=age, area=area, near=near, within_km=within_km, gz=gz
        )
        rows = res.records()
        if fmt == "table":
            rows = [
                {k: r[k] for k in ("name", "organisation", "needs", "distance_km", "data_label")}
                for r in rows
            ]
        _print_rows(rows, fmt, f"{len(rows)} service(s)")
        for n in res.notes:
            err.print(f"note: {n}")


@directory_app.command("show")
def directory_show(
    service_id: Annotated[str, typer.Argument(help="Service id (UUID).")],
    database_url: DbOpt = None,
    full: Annotated[bool, typer.Option(help="Include the referral details.")] = False,
) -> None:
    """One service as Open Referral UK JSON."""
    from vrkit.tasks.directory import service_detail

    with _errors(), _session(database_url) as s:
        d = service_detail(s, service_id, full=full)
        sys.stdout.write(json.dumps(d, indent=2, ensure_ascii=False, default=str) + "\n")


@directory_app.command("seed")
def directory_seed(
    database_url: DbOpt = None,
    synthetic: Annotated[int, typer.Option(help="SYNTHETIC organisations to generate.")] = 40,
    seed: Annotated[int, typer.Option(help="Random seed of the synthetic set.")] = 17,
) -> None:
    """The services named in the London VRU example data plus a SYNTHETIC set (labelled)."""
    from vrkit.config import get_settings
    from vrkit.tasks.directory import seed_example_services, synth_directory

    with _errors(), _session(database_url) as s:
        gz = _gazetteer(s, required=synthetic > 0)
        r1 = seed_example_services(s, _actor(), get_settings().data_dir, gz=gz)
        out.print(f"{r1['services']} services named in the example data")
        if synthetic:
            r2 = synth_directory(s, _actor(), gz=gz, organisations=synthetic, seed=seed)
            out.print(
                f"{r2['services']} SYNTHETIC services of {r2['organisations']} organisations, "
                f"{r2['referral_counts']} monthly referral counts"
            )


@directory_app.command("referrals")
def directory_referrals(
    service_id: Annotated[str | None, typer.Option("--service", help="Service id.")] = None,
    month: Annotated[str | None, typer.Option(help="YYYY-MM (with --count: record)")] = None,
    count: Annotated[int | None, typer.Option(help="Referrals in the month (a count).")] = None,
    by_programme: Annotated[
        bool, typer.Option("--by-programme", help="Totals per programme and quarter.")
    ] = False,
    year: Annotated[int | None, typer.Option(help="Financial year (with --by-programme).")] = None,
    database_url: DbOpt = None,
    fmt: FmtOpt = "table",
) -> None:
    """Record a monthly referral count (--service --month --count), or list them."""
    from vrkit.tasks import directory as T

    with _errors(), _session(database_url) as s:
        if count is not None:
            if not (service_id and month):
                raise InputError("recording needs --service, --month and --count")
            r = T.record_referrals(s, _actor(), service_id, month, count)
            out.print(f"recorded {r.referrals} referrals for {month} (revision {r.revision})")
            return
        if by_programme:
            res = T.programme_referral_outputs(s, year)
        else:
            res = T.referral_summary(s, frozenset({service_id}) if service_id else None)
        _print_rows(res.rows, fmt, res.title)
        for n in res.notes:
            err.print(f"note: {n}")


# -- plans -------------------------------------------------------------------------------------
@plans_app.command("create")
def plans_create(
    year: YearOpt,
    database_url: DbOpt = None,
    area: Annotated[list[str] | None, typer.Option(help="Only these boroughs.")] = None,
) -> None:
    """A draft plan for each of the 32 boroughs (or --area) that has none for the year."""
    from vrkit.tasks.action_plans import create_plans

    with _errors(), _session(database_url) as s:
        made = create_plans(s, _actor(), year, areas=area)
        out.print(f"{len(made)} draft plan(s) created")


@plans_app.command("profile")
def plans_profile(
    area: AreaOpt,
    year: YearOpt,
    database_url: DbOpt = None,
    public: Annotated[bool, typer.Option(help="Show the public edition.")] = False,
    save: Annotated[bool, typer.Option(help="Store it on the plan (both editions).")] = True,
) -> None:
    """Compute a borough's local violence profile from the warehouse (and refresh the plan)."""
    from vrkit.cli.options import open_warehouse
    from vrkit.tasks import action_plans as P

    with _errors(), _session(database_url) as s, open_warehouse(None, read_only=True) as wh:
        if save:
            plan = P.get_plan(s, area, year)
            with err.status(f"Computing the {plan.borough_name} profile…"):
                P.refresh_profile(s, _actor(), wh, plan)
            prof = plan.profile_public if public else plan.profile_full
        else:
            prof = P.local_profile(wh, area, year, public=public)
        sys.stdout.write(json.dumps(prof, indent=2, ensure_ascii=False) + "\n")


@plans_app.command("move")
def plans_move(
    step: Annotated[
        str, typer.Argument(help="submit, start_review, request_changes, resubmit, publish")
    ],
    area: AreaOpt,
    year: YearOpt,
    comment: Annotated[
        str, typer.Option(help="Review comment (required to request changes).")
    ] = "",
    database_url: DbOpt = None,
) -> None:
    """Take one workflow step (audited). Submitting is done as the borough's partnership."""
    from vrkit.ops.plans import workflow as wf
    from vrkit.ops.roles import Principal
    from vrkit.tasks import action_plans as P

    with _errors(), _session(database_url) as s:
        plan = P.get_plan(s, area, year)
        who = _actor()
        if step in ("submit", "resubmit"):
            who = Principal(
                role="csp_analyst",
                email=who.email,
                name=who.name,
                scopes=frozenset({("borough", plan.borough_code)}),
            )
        elif step in wf.MOVES:
            who = Principal(role="vru_analyst", email=who.email, name=who.name)
        wf.move(s, who, plan, step, comment=comment)
        out.print(f"{plan.borough_name} {wf.fy_label(year)}: {wf.STATUSES[plan.status]}")


@plans_app.command("show")
def plans_show(
    area: AreaOpt,
    year: YearOpt,
    database_url: DbOpt = None,
    public: Annotated[bool, typer.Option(help="The public edition (published plans).")] = False,
) -> None:
    """The plan as JSON (full edition unless --public)."""
    from vrkit.tasks import action_plans as P

    with _errors(), _session(database_url) as s:
        doc = P.plan_document(s, P.get_plan(s, area, year), public=public)
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


@plans_app.command("export")
def plans_export(
    area: AreaOpt,
    year: YearOpt,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write.")],
    database_url: DbOpt = None,
    public: Annotated[bool, typer.Option(help="The public edition.")] = False,
) -> None:
    """The plan as printable HTML, XLSX and JSON."""
    from vrkit.tasks import action_plans as P

    with _errors(), _session(database_url) as s:
        for p in P.write_plan(s, P.get_plan(s, area, year), out_dir, public=public):
            out.print(f"wrote {p}")


@plans_app.command("progress")
def plans_progress(
    year: YearOpt,
    database_url: DbOpt = None,
    xlsx: Annotated[Path | None, typer.Option(help="Also write the progress workbook.")] = None,
    fmt: FmtOpt = "table",
) -> None:
    """Progress across the 32 plans: state, actions by status, overdue."""
    from vrkit.reports.plans import progress_xlsx
    from vrkit.tasks import action_plans as P

    with _errors(), _session(database_url) as s:
        pr = P.progress(s, year)
        rows = pr.plans.to_dict("records")
        if fmt == "json":
            sys.stdout.write(json.dumps(pr.to_dict(), indent=2, ensure_ascii=False) + "\n")
        else:
            _print_rows(rows, fmt, f"Action plans {year}")
        if xlsx:
            out.print(f"wrote {progress_xlsx(pr.tables(), pr.notes, xlsx)}")


@plans_app.command("seed")
def plans_seed(
    year: YearOpt = 2021,
    database_url: DbOpt = None,
    profiles: Annotated[bool, typer.Option(help="Compute profiles (slow: ~40 s a plan).")] = True,
) -> None:
    """DEMO plans for the 32 boroughs across every workflow state."""
    from vrkit.cli.options import open_warehouse, store_path
    from vrkit.tasks.action_plans import seed_demo_plans

    with _errors(), _session(database_url) as s:
        if profiles and Path(store_path(None)).exists():
            with open_warehouse(None, read_only=True) as wh:
                r = seed_demo_plans(s, _actor(), year, wh=wh)
        else:
            r = seed_demo_plans(s, _actor(), year, wh=None, profiles=False)
        out.print(json.dumps(r))


# -- tracker -----------------------------------------------------------------------------------
@tracker_app.command("import")
def tracker_import(
    data_dir: Annotated[
        Path | None, typer.Argument(help="Folder holding london_vru_2020_21/ (VRKIT_DATA_DIR).")
    ] = None,
    database_url: DbOpt = None,
) -> None:
    """Import the Strategic Needs Assessment review (idempotent)."""
    from vrkit.config import get_settings
    from vrkit.tasks.sna_tracker import import_tracker

    with _errors(), _session(database_url) as s:
        r = import_tracker(s, _actor(), data_dir or get_settings().data_dir)
        out.print(f"{r['created']} new, {r['updated']} updated")


@tracker_app.command("list")
def tracker_list(database_url: DbOpt = None, fmt: FmtOpt = "table") -> None:
    """Every item with its owner, status and due date."""
    from vrkit.tasks.sna_tracker import tracker_document

    with _errors(), _session(database_url) as s:
        doc = tracker_document(s, public=False)
        if fmt == "json":
            sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
            return
        rows = [
            {k: x[k] for k in ("ref", "type_label", "label", "owner", "status_label", "due")}
            | {"flags": "; ".join(x["flags"])}
            for x in doc["items"]
        ]
        _print_rows(rows, fmt, "Strategic Needs Assessment tracker")


def _tracker_item(s: Any, ref: str) -> Any:
    from vrkit.ops.plans import tracker as tr

    item = tr.get_item(s, ref)
    if item is None:
        raise InputError(f"no tracker item {ref!r}", hint="vrkit tracker list shows them.")
    return item


@tracker_app.command("update")
def tracker_update(
    ref: Annotated[str, typer.Argument(help="Item ref, e.g. SNA-13.")],
    owner: Annotated[str | None, typer.Option()] = None,
    status: Annotated[str | None, typer.Option()] = None,
    due: Annotated[str | None, typer.Option(help="YYYY-MM-DD ('' clears)")] = None,
    programme: Annotated[list[str] | None, typer.Option(help="Programme ref(s).")] = None,
    link_action: Annotated[int | None, typer.Option(help="Link a plan action (id).")] = None,
    database_url: DbOpt = None,
) -> None:
    """Change an item's owner, status, due date, programmes or linked actions (audited)."""
    from vrkit.ops.plans import tracker as tr

    with _errors(), _session(database_url) as s:
        item = _tracker_item(s, ref)
        tr.update_item(
            s, _actor(), item, owner=owner, status=status, due_date=due, programme_refs=programme
        )
        if link_action is not None:
            tr.link_action(s, _actor(), item, link_action)
        out.print(f"{item.ref}: {tr.STATUSES[item.status]}")


@tracker_app.command("evidence")
def tracker_evidence(
    ref: Annotated[str, typer.Argument(help="Item ref.")],
    text: Annotated[str, typer.Argument(help="What happened.")],
    status: Annotated[str | None, typer.Option(help="Move the item to this status.")] = None,
    link: Annotated[str | None, typer.Option()] = None,
    database_url: DbOpt = None,
) -> None:
    """Record evidence of progress on an item."""
    from datetime import date

    from vrkit.ops.plans import tracker as tr

    with _errors(), _session(database_url) as s:
        item = _tracker_item(s, ref)
        tr.add_evidence(s, _actor(), item, text, on=date.today(), link=link, status=status)
        out.print(f"{item.ref}: evidence recorded")


@tracker_app.command("review")
def tracker_review(
    out_file: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    database_url: DbOpt = None,
) -> None:
    """The review page (house style, one self-contained HTML file)."""
    from vrkit.tasks.sna_tracker import write_review

    with _errors(), _session(database_url) as s:
        out.print(f"wrote {write_review(s, out_file)}")


def register(app: typer.Typer) -> None:
    """Add ``directory``, ``plans`` and ``tracker`` to the main app."""
    app.add_typer(directory_app, name="directory")
    app.add_typer(plans_app, name="plans")
    app.add_typer(tracker_app, name="tracker")

"""``vrkit trend``: yearly totals and change of a measure."""

from __future__ import annotations

from typing import Annotated

import typer

from vrkit.cli import output as o
from vrkit.cli.errors import user_errors
from vrkit.cli.options import ForceOpt, StoreOpt, format_option, one_format, open_warehouse
from vrkit.cli.places import OutOpt, write_result

app = typer.Typer()

TREND_FORMATS = ("table", "json", "csv", "xlsx")


@app.command()
def trend(
    measure: Annotated[str, typer.Option(help="Measure id (see `vrkit measures`).")],
    area: Annotated[str, typer.Option(help="London, or a borough name or code.")] = "London",
    period: Annotated[
        str, typer.Option(help="calendar, financial (April–March) or rolling12.")
    ] = "calendar",
    across_breaks: Annotated[
        bool,
        typer.Option(
            "--across-breaks", help="Show change across a series break (flagged, not blank)."
        ),
    ] = False,
    store: StoreOpt = None,
    fmt: Annotated[list[str] | None, format_option(TREND_FORMATS, "table")] = None,
    out_path: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Yearly totals and year-on-year change of a measure for London or a borough.

    Series breaks (recording or category changes, `vrkit measures`) are marked; no change is
    given across one unless --across-breaks."""
    from vrkit.tasks.trends import trend as trend_task

    with user_errors():
        f = one_format(fmt, TREND_FORMATS, "table")
        with open_warehouse(store, read_only=True) as wh:
            res = trend_task(
                wh,
                measure,
                area=area,
                period=period,  # type: ignore[arg-type]
                across_breaks=across_breaks,
            )
        if f != "table":
            write_result(res, f, out_path, force)
            return
        t = o.table(
            f"{measure} — {res.area.name}",
            ["period", "months", "total", "change", "% change", ""],
            [],
        )
        for r in res.table.itertuples():
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
            o.add_row(
                t,
                str(r.period),
                str(r.months),
                "—" if r.total != r.total else f"{r.total:,.0f}",
                "" if r.change != r.change else f"{r.change:+,.0f}",
                "" if r.pct_change != r.pct_change else f"{r.pct_change:+.1f} %",
                mark,
            )
        o.show(t)
        for b in res.breaks:
            o.say(f"‖ {b.label}, from {b.start:%B %Y}: {b.reason}")

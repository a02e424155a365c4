"""``vrkit evaluate …``, ``vrkit cost-of-violence``, ``vrkit vfm``, ``vrkit evidence``:
learning what works (impact estimates, prioritisation, cost of violence, value for money)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from vrkit.cli import output as o
from vrkit.cli.errors import user_errors
from vrkit.cli.options import ForceOpt, StoreOpt, format_option, one_format, open_warehouse
from vrkit.cli.places import OutOpt, write_result
from vrkit.errors import InputError

app = typer.Typer(
    help="Impact of a programme: difference-in-differences, staggered DiD, synthetic control; "
    "programme prioritisation.",
    no_args_is_help=True,
)
top = typer.Typer()
evidence_app = typer.Typer(
    help="The evidence catalogue of approaches (YEF and College of Policing toolkits).",
    no_args_is_help=True,
)

FORMATS = ("json", "csv", "xlsx")


def _list(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def _period(text: str | None) -> tuple[str, str] | None:
    if not text:
        return None
    a, sep, b = text.partition(":")
    if not sep or not a or not b:
        raise InputError(f"--period {text!r}", hint="Use FROM:TO, e.g. 2016-01:2023-12.")
    return a.strip(), b.strip()


def _window(text: str) -> tuple[int, int]:
    try:
        a, b = (int(x) for x in text.split(":"))
    except ValueError:
        raise InputError(f"--window {text!r}", hint="Use e.g. -12:12 (months).") from None
    return a, b


def _emit(res: Any, fmt: str, out: Path | None, force: bool) -> None:
    from vrkit.tasks._result import ResultView

    write_result(ResultView(res), fmt, out, force)


Fmt = Annotated[list[str] | None, format_option(FORMATS, "json")]
Measure = Annotated[str, typer.Option(help="Measure id (see `vrkit measures`).")]
Geography = Annotated[str, typer.Option(help="borough or ward.")]
Period = Annotated[str | None, typer.Option(help="Months compared, FROM:TO (YYYY-MM:YYYY-MM).")]
Covid = Annotated[
    bool, typer.Option("--exclude-covid", help="Leave out COVID-19 restriction months.")
]
Alpha = Annotated[float, typer.Option(help="Significance level of the intervals.")]


@app.command("did")
def did(
    measure: Measure,
    treated: Annotated[str, typer.Option(help="Treated areas, comma list (names or codes).")],
    start: Annotated[str, typer.Option(help="First month of delivery, YYYY-MM.")],
    geography: Geography = "borough",
    comparison: Annotated[str | None, typer.Option(help="Comparison areas, comma list.")] = None,
    period: Period = None,
    window: Annotated[
        str, typer.Option(help="Event-study window in months, e.g. -12:12.")
    ] = "-12:12",
    exclude_covid: Covid = False,
    alpha: Alpha = 0.05,
    fmt: Fmt = None,
    out: OutOpt = None,
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """Difference-in-differences with an event study for areas that started a programme."""
    from vrkit.tasks.impact import evaluate_did

    with user_errors():
        f = one_format(fmt, FORMATS, "json")
        with open_warehouse(store, read_only=True) as wh:
            res = evaluate_did(
                wh,
                measure,
                _list(treated),
                start,
                geography=geography,
                comparison=_list(comparison) or None,
                period=_period(period),
                window=_window(window),
                exclude_covid=exclude_covid,
                alpha=alpha,
            )
        _emit(res, f, out, force)


@app.command("staggered")
def staggered(
    measure: Measure,
    adoption: Annotated[
        str, typer.Option(help="Area=YYYY-MM pairs, comma list (first month per area).")
    ],
    geography: Geography = "borough",
    control: Annotated[str, typer.Option(help="never or not-yet (treated).")] = "never",
    period: Period = None,
    exclude_covid: Covid = False,
    alpha: Alpha = 0.05,
    fmt: Fmt = None,
    out: OutOpt = None,
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """Staggered difference-in-differences (Callaway & Sant'Anna) for areas starting at
    different months."""
    from vrkit.tasks.impact import evaluate_staggered

    with user_errors():
        f = one_format(fmt, FORMATS, "json")
        pairs = {}
        for item in _list(adoption):
            area, sep, month = item.partition("=")
            if not sep:
                raise InputError(
                    f"--adoption {item!r}", hint="Use Area=YYYY-MM, e.g. Lambeth=2019-04."
                )
            pairs[area.strip()] = month.strip()
        groups = {"never": "never_treated", "not-yet": "not_yet_treated"}
        if control not in groups:
            raise InputError(f"unknown --control {control!r}", hint="Use never or not-yet.")
        with open_warehouse(store, read_only=True) as wh:
            res = evaluate_staggered(
                wh,
                measure,
                pairs,
                geography=geography,
                period=_period(period),
                control_group=groups[control],
                exclude_covid=exclude_covid,
                alpha=alpha,
            )
        _emit(res, f, out, force)


@app.command("scm")
def scm(
    measure: Measure,
    treated: Annotated[str, typer.Option(help="The treated area (name or code).")],
    start: Annotated[str, typer.Option(help="First month of delivery, YYYY-MM.")],
    geography: Geography = "borough",
    donors: Annotated[str | None, typer.Option(help="Donor areas, comma list.")] = None,
    period: Period = None,
    exclude_covid: Covid = False,
    alpha: Alpha = 0.05,
    fmt: Fmt = None,
    out: OutOpt = None,
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """Synthetic control with placebo-in-space inference for one treated area."""
    from vrkit.tasks.impact import evaluate_scm

    with user_errors():
        f = one_format(fmt, FORMATS, "json")
        with open_warehouse(store, read_only=True) as wh:
            res = evaluate_scm(
                wh,
                measure,
                treated,
                start,
                geography=geography,
                donors=_list(donors) or None,
                period=_period(period),
                exclude_covid=exclude_covid,
                alpha=alpha,
            )
        _emit(res, f, out, force)


@app.command("prioritise")
def prioritise(
    table: Annotated[Path, typer.Argument(help="Programme table (CSV or XLSX).")],
    weights: Annotated[
        str | None, typer.Option(help="Criterion weights, crit=w comma list (others weight 1).")
    ] = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws of the weights.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    top: Annotated[int, typer.Option(help="N for 'top N'.")] = 5,
    missing: Annotated[str, typer.Option(help="error or reweight.")] = "error",
    evidence: Annotated[
        Path | None,
        typer.Option(help="A local evidence file merged over the shipped toolkits."),
    ] = None,
    fmt: Fmt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Score and rank programmes with the London VRU's criteria, with rank intervals."""
    from vrkit.tasks.prioritise import prioritise_programmes

    with user_errors():
        f = one_format(fmt, FORMATS, "json")
        w: dict[str, float] = {}
        for item in _list(weights):
            k, sep, v = item.partition("=")
            try:
                w[k.strip()] = float(v)
            except ValueError:
                raise InputError(
                    f"--weights {item!r}", hint="Use crit=weight, e.g. reach=2."
                ) from None
            if not sep:
                raise InputError(f"--weights {item!r}", hint="Use crit=weight, e.g. reach=2.")
        res = prioritise_programmes(
            table,
            weights=w or None,
            evidence_file=evidence,
            n_draws=draws,
            seed=seed,
            top_n=top,
            missing=missing,
        )
        _emit(res, f, out, force)


@top.command("cost-of-violence")
def cost_of_violence(
    year: Annotated[int, typer.Option(help="Calendar year.")],
    area: Annotated[str, typer.Option(help="London, a borough, or a ward code.")] = "London",
    price_year: Annotated[
        str | None, typer.Option(help="Price base: a year (2019) or financial year (2019/20).")
    ] = None,
    unit_costs: Annotated[Path | None, typer.Option(help="Replace the shipped unit costs.")] = None,
    deflator: Annotated[Path | None, typer.Option(help="Replace the shipped GDP deflator.")] = None,
    fmt: Fmt = None,
    out: OutOpt = None,
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """The cost of recorded violence (Home Office unit costs), in a price year."""
    from vrkit.tasks.costs import cost_of_violence as cost_task

    with user_errors():
        f = one_format(fmt, FORMATS, "json")
        with open_warehouse(store, read_only=True) as wh:
            res = cost_task(
                wh,
                year,
                area,
                price_year,
                unit_cost_file=unit_costs,
                deflator_file=deflator,
            )
        _emit(res, f, out, force)


@top.command("vfm")
def vfm(
    inputs: Annotated[
        str, typer.Argument(help="Input TOML, or stepping-stones-illustrative (the example).")
    ],
    xlsx: Annotated[
        Path | None, typer.Option(help="Also write the appraisal workbook here.")
    ] = None,
    fmt: Fmt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Value for money of a programme (HM Treasury Green Book cost–benefit appraisal)."""
    from vrkit.outputs import output_file
    from vrkit.tasks.vfm import value_for_money, write_vfm_xlsx

    with user_errors():
        f = one_format(fmt, FORMATS, "json")
        if xlsx is not None:
            output_file(xlsx, force=force)
        res = value_for_money(inputs)
        if xlsx is not None:
            o.note(f"wrote {write_vfm_xlsx(res, xlsx)}", style=None)
        _emit(res, f, out, force)


EVIDENCE_COLUMNS = (
    "approach_id",
    "name",
    "impact_band",
    "impact_pct",
    "evidence_security",
    "cost_rating",
    "checked",
)


@evidence_app.command("list")
def evidence_list(
    toolkit: Annotated[
        str | None,
        typer.Option(help="Only one toolkit: yef (YEF Toolkit), crt (Crime Reduction Toolkit)."),
    ] = None,
    local: Annotated[
        Path | None, typer.Option(help="Also a local evidence file (same columns).")
    ] = None,
    fmt: Annotated[list[str] | None, format_option(("table", "json", "csv"), "table")] = None,
) -> None:
    """The evidence catalogue of approaches (YEF and College of Policing toolkits).

    The table shows the headline columns; --format json or csv gives every column (summary,
    source page and date checked)."""
    from vrkit.tasks._result import Listing
    from vrkit.tasks.prioritise import evidence_catalogue

    with user_errors():
        f = one_format(fmt, ("table", "json", "csv"), "table")
        cat = evidence_catalogue(toolkit=toolkit, local=local)
        res = Listing("Evidence catalogue", cat)
        if f != "table":
            o.write_text(res.render(f))
            return
        shown = cat[[c for c in EVIDENCE_COLUMNS if c in cat.columns]].astype(object)
        shown = shown.where(shown.notna(), "")
        o.show(o.table(res.title, list(shown.columns), shown.itertuples(index=False)))

"""``vrkit rank``: rank areas for an intervention (need index); profiles and indicators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vrkit.cli import output as o
from vrkit.cli.errors import user_errors
from vrkit.cli.options import (
    ForceOpt,
    StoreOpt,
    format_option,
    formats,
    one_format,
    open_warehouse,
    store_path,
)

app = typer.Typer(
    help="Rank areas for an intervention (need index), with reasons and uncertainty.",
    invoke_without_command=True,
)

RANK_FORMATS = ("csv", "xlsx", "html", "gpkg", "json")
LIST_FORMATS = ("table", "json", "csv")


@app.callback()
def rank(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option("--profile", "-p", help="Built-in profile name or path to a profile TOML."),
    ] = None,
    geography: Annotated[str, typer.Option(help="lsoa, ward or borough.")] = "ward",
    top: Annotated[int, typer.Option("--top", help="N for 'top N' (table and P(top N)).")] = 20,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Output folder (created).", metavar="FOLDER")
    ] = None,
    fmt: Annotated[
        list[str] | None, format_option(RANK_FORMATS, "csv,xlsx,html,gpkg,json", many=True)
    ] = None,
    normalisation: Annotated[
        str | None,
        typer.Option(help="zscore, minmax, percentile or top_share (default: profile's)."),
    ] = None,
    aggregation: Annotated[
        str | None, typer.Option(help="additive or geometric (default: profile's).")
    ] = None,
    missing: Annotated[
        str,
        typer.Option(
            help="Missing data: auto (impute heavily weighted indicators from the borough, "
            "flagged), reweight, exclude, impute_parent or error."
        ),
    ] = "auto",
    smoothing: Annotated[
        str,
        typer.Option(help="Crime rates: spatial or global empirical Bayes, or none (crude)."),
    ] = "spatial",
    denominator: Annotated[
        str,
        typer.Option(
            help="Crime rates per 1,000 residents, or per 1,000 workday population "
            "(residents − residents in work + jobs; ward profiles) where residents mislead."
        ),
    ] = "residents",
    crime_year: Annotated[
        int | None,
        typer.Option("--crime-year", help="Year of the crime counts (default latest complete)."),
    ] = None,
    draws: Annotated[int, typer.Option(help="Monte Carlo draws.")] = 1000,
    spread: Annotated[float, typer.Option(help="Weight perturbation, ± share.")] = 0.25,
    bootstrap: Annotated[
        bool, typer.Option(help="Also redraw crime rates with their Poisson error.")
    ] = True,
    seed: Annotated[int, typer.Option(help="Random seed (results are reproducible).")] = 0,
    public: Annotated[
        bool, typer.Option("--public", help="Disclosure-controlled edition for publication.")
    ] = False,
    sdc_rule: Annotated[
        str, typer.Option("--sdc-rule", help="Small-count rule with --public: lt10 or nhs.")
    ] = "lt10",
    weights: Annotated[
        str | None,
        typer.Option(
            "--weights",
            help="Replace some indicator weights of the profile: id=w comma list "
            "(e.g. crime_robbery_rate=3,imd2019_score=0.5).",
        ),
    ] = None,
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """Rank areas for a profile and write the ranked table and report."""
    if ctx.invoked_subcommand is not None:
        return
    from vrkit.errors import InputError
    from vrkit.tasks.ranking import parse_weights
    from vrkit.tasks.ranking import rank as rank_task

    with user_errors():
        if profile is None or out_dir is None:
            raise InputError(
                "--profile and --out are required",
                hint="e.g. vrkit rank --profile sports --geography ward --top 20 --out out/",
            )
        fmts = formats(fmt, RANK_FORMATS, "csv,xlsx,html,gpkg,json")
        with open_warehouse(store, read_only=True) as wh:
            res = rank_task(
                wh,
                profile,
                geography=geography,
                top=top,
                normalisation=normalisation,
                aggregation=aggregation,
                missing=missing,
                draws=draws,
                spread=spread,
                bootstrap=bootstrap,
                seed=seed,
                public=public,
                sdc_rule=sdc_rule,
                smoothing=smoothing,
                crime_year=crime_year,
                denominator=denominator,
                weights=parse_weights(weights),
            )
        paths = res.write(out_dir, fmts, force=force)
        shown = res.table.head(top)
        rows = [
            (
                str(r.rank),
                str(r.area_name),
                f"{r.score:.3f}",
                f"{r.rank_low}–{r.rank_high}",
                f"{r.p_top_n:.2f}",
            )
            for r in shown.itertuples()
        ]
        title = f"{res.report.profile.name} — top {len(shown)} {geography} areas"
        o.show(o.table(title, ["rank", "area", "score", "interval", f"P(top {top})"], rows))
        for st in res.report.statements:
            (o.warn if st.startswith("NOT IN THIS RANKING") else o.say)(st)
        if res.report.public and res.report.disclosure:
            d = res.report.disclosure
            o.say(
                f"public edition ({d['rule']}): {d['cells_suppressed_primary']} area counts "
                f"suppressed as small counts, {d['cells_suppressed_secondary']} more to protect "
                f"them; {d['values_blanked']} crime-rate values blanked"
            )
        for p in paths:
            o.say(f"wrote {p}")


@app.command("profiles")
def profiles(
    fmt: Annotated[list[str] | None, format_option(LIST_FORMATS, "table")] = None,
) -> None:
    """List the built-in intervention profiles."""
    from vrkit.tasks.ranking import profiles as profiles_task

    with user_errors():
        f = one_format(fmt, LIST_FORMATS, "table")
        res = profiles_task()
        if f != "table":
            o.write_text(res.render(f))
            return
        fr = res.frame
        o.show(o.table(res.title, list(fr.columns), fr.itertuples(index=False)))


@app.command("indicators")
def indicators(
    store: StoreOpt = None,
    fmt: Annotated[list[str] | None, format_option(LIST_FORMATS, "table")] = None,
) -> None:
    """List built-in indicators and those loaded in the warehouse (if there is one)."""
    from vrkit.tasks.ranking import indicators as indicators_task

    with user_errors():
        f = one_format(fmt, LIST_FORMATS, "table")
        if store_path(store).exists():
            with open_warehouse(store, read_only=True) as wh:
                res = indicators_task(wh)
        else:
            res = indicators_task(None)
        if f != "table":
            o.write_text(res.render(f))
            return
        rows = [
            (
                r.indicator_id,
                r.name,
                r.unit,
                r.polarity,
                r.origin,
                "derived" if r.origin == "derived" else f"{int(r.areas_loaded):,}",
            )
            for r in res.frame.itertuples()
        ]
        cols = ["indicator", "name", "unit", "polarity", "origin", "areas loaded"]
        o.show(o.table(res.title, cols, rows))


@app.command("add-indicator")
def add_indicator(
    path: Annotated[Path, typer.Argument(help="CSV or XLSX with area_code, value[, period].")],
    indicator_id: Annotated[str, typer.Option("--id", help="New indicator id (snake_case).")],
    name: Annotated[str, typer.Option(help="Label shown in reports.")],
    polarity: Annotated[str, typer.Option(help="higher_is_worse, higher_is_better or neutral.")],
    unit: Annotated[str, typer.Option(help="Unit; 'count'/'persons' are summed when aggregated.")],
    year: Annotated[int | None, typer.Option(help="Calendar year, if no period column.")] = None,
    source: Annotated[str | None, typer.Option(help="Source shown in reports.")] = None,
    store: StoreOpt = None,
) -> None:
    """Validate and load a user's indicator file (all or nothing)."""
    from vrkit.tasks.ranking import add_indicator as add_task

    with user_errors():
        with open_warehouse(store) as wh:
            res = add_task(
                wh,
                path,
                indicator_id=indicator_id,
                name=name,
                polarity=polarity,
                unit=unit,
                year=year,
                source=source,
            )
        o.say(
            f"{res.status}: {path} → indicator {indicator_id} (dataset {res.dataset_id})"
            + (f"; {res.report.summary()}" if res.report else "")
        )

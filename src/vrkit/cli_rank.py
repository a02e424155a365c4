"""``vrkit rank``: rank areas for an intervention profile (issue #5).

A Typer sub-app registered in :mod:`vrkit.cli`. Without a sub-command it ranks::

    vrkit rank --profile sports --geography ward --top 20 --out DIR [--format csv]

Sub-commands list profiles and indicators and load a user's indicator file. Error handling
(:class:`~vrkit.errors.VrkitError` → message and exit code) is the one in :mod:`vrkit.cli`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

rank_app = typer.Typer(
    help="Rank areas for an intervention (need index), with reasons and uncertainty.",
    invoke_without_command=True,
)


@rank_app.callback()
def rank(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option("--profile", "-p", help="Built-in profile name or path to a profile TOML."),
    ] = None,
    geography: Annotated[str, typer.Option(help="lsoa, ward or borough.")] = "ward",
    top: Annotated[int, typer.Option("--top", help="N for 'top N' (table and P(top N)).")] = 20,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder.")] = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option(
            "--format", "-f", help="csv, xlsx, html, gpkg, json (repeatable; default all)."
        ),
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
) -> None:
    """Rank areas for a profile and write the ranked table and report."""
    if ctx.invoked_subcommand is not None:
        return
    from vrkit.cli import _user_errors, _warehouse, out
    from vrkit.errors import InputError

    with _user_errors():
        if profile is None or out_dir is None:
            raise InputError(
                "--profile and --out are required",
                hint="e.g. vrkit rank --profile sports --geography ward --top 20 --out out/",
            )
        from vrkit.catalog.profiles import load_profile
        from vrkit.reports.need_index import FORMATS, build_need_index_report, write_need_index
        from vrkit.store.indicator_queries import indicator_catalogue

        with _warehouse(read_only=True) as wh:
            loaded = indicator_catalogue(wh)
            prof = load_profile(
                profile, extra=dict(zip(loaded["indicator_id"], loaded["polarity"], strict=True))
            )
            report = build_need_index_report(
                wh,
                prof,
                geography=geography,
                top_n=top,
                normalisation=normalisation,
                aggregation=aggregation,
                missing=missing,
                n_draws=draws,
                spread=spread,
                bootstrap=bootstrap,
                seed=seed,
                public=public,
                sdc_rule=sdc_rule,
                smoothing=smoothing,
                crime_year=crime_year,
                denominator=denominator,
            )
            paths = write_need_index(report, out_dir, formats=fmt or FORMATS, wh=wh)
        t = Table(
            "rank",
            "area",
            "score",
            "interval",
            f"P(top {top})",
            title=f"{prof.name} — top {min(top, 10)} {geography} areas",
        )
        for row in report.table.head(min(top, 10)).itertuples():
            t.add_row(
                str(row.rank),
                str(row.area_name),
                f"{row.score:.3f}",
                f"{row.rank_low}–{row.rank_high}",
                f"{row.p_top_n:.2f}",
            )
        out.print(t)
        if report.public and report.disclosure:
            d = report.disclosure
            out.print(
                f"public edition ({d['rule']}): {d['cells_suppressed_primary']} area counts "
                f"suppressed as small counts, {d['cells_suppressed_secondary']} more to protect "
                f"them; {d['values_blanked']} crime-rate values blanked"
            )
        for p in paths:
            out.print(f"wrote {p}")


@rank_app.command("profiles")
def profiles() -> None:
    """List the built-in intervention profiles."""
    from vrkit.catalog.profiles import load_profile, profile_names
    from vrkit.cli import _user_errors, out

    with _user_errors():
        t = Table("profile", "version", "name", "indicators")
        for n in profile_names():
            p = load_profile(n)
            t.add_row(n, str(p.version), p.name, ", ".join(p.indicator_ids))
        out.print(t)


@rank_app.command("indicators")
def indicators() -> None:
    """List built-in indicators and those loaded in the warehouse."""
    from vrkit.catalog.indicators import builtin_indicators
    from vrkit.cli import _store_path, _user_errors, _warehouse, out

    with _user_errors():
        cat = builtin_indicators()
        loaded: dict[str, int] = {}
        if Path(_store_path()).exists():
            from vrkit.store.indicator_queries import indicator_catalogue

            with _warehouse(read_only=True) as wh:
                lc = indicator_catalogue(wh)
                loaded = dict(zip(lc["indicator_id"], lc["areas"], strict=True))
        t = Table("indicator", "name", "unit", "polarity", "origin", "areas loaded")
        for r in cat.itertuples():
            t.add_row(
                r.indicator_id,
                r.name,
                r.unit,
                r.polarity,
                r.origin,
                f"{loaded.get(r.indicator_id, 0):,}" if r.origin != "derived" else "derived",
            )
        for iid, n in loaded.items():
            if iid not in set(cat["indicator_id"]):
                t.add_row(iid, "", "", "", "user", f"{n:,}")
        out.print(t)


@rank_app.command("add-indicator")
def add_indicator(
    path: Annotated[Path, typer.Argument(help="CSV or XLSX with area_code, value[, period].")],
    indicator_id: Annotated[str, typer.Option("--id", help="New indicator id (snake_case).")],
    name: Annotated[str, typer.Option(help="Label shown in reports.")],
    polarity: Annotated[str, typer.Option(help="higher_is_worse, higher_is_better or neutral.")],
    unit: Annotated[str, typer.Option(help="Unit; 'count'/'persons' are summed when aggregated.")],
    year: Annotated[int | None, typer.Option(help="Calendar year, if no period column.")] = None,
    source: Annotated[str | None, typer.Option(help="Source shown in reports.")] = None,
) -> None:
    """Validate and load a user's indicator file (all or nothing)."""
    from vrkit.cli import _user_errors, _warehouse, out
    from vrkit.sources.indicators import ingest_user_indicator

    with _user_errors(), _warehouse() as wh:
        period = (date(year, 1, 1), date(year, 12, 31)) if year else None
        res = ingest_user_indicator(
            wh,
            path,
            indicator_id=indicator_id,
            name=name,
            polarity=polarity,
            unit=unit,
            source=source,
            period=period,
        )
        out.print(
            f"{res.status}: {path} → indicator {indicator_id} (dataset {res.dataset_id})"
            + (f"; {res.report.summary()}" if res.report else "")
        )

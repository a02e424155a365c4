"""``vrkit report violent-crime | needs-assessment``: the reports (folders of HTML, XLSX, …)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vrkit.cli import output as o
from vrkit.cli.errors import user_errors
from vrkit.cli.options import ForceOpt, StoreOpt, format_option, formats, open_warehouse

app = typer.Typer(help="Build reports (HTML, XLSX, JSON, GeoPackage).", no_args_is_help=True)

VC_FORMATS = ("html", "xlsx", "json")
NA_FORMATS = ("html", "xlsx", "gpkg")

PublicOpt = Annotated[
    bool, typer.Option("--public", help="Disclosure-controlled edition for publication.")
]
RuleOpt = Annotated[
    str, typer.Option("--sdc-rule", help="Small-count rule with --public: lt10 or nhs.")
]


@app.command("violent-crime")
def violent_crime(
    year: Annotated[int, typer.Option(help="Calendar year of the report.")],
    compare: Annotated[
        int | None, typer.Option(help="Year to compare with (default year-1).")
    ] = None,
    area: Annotated[str, typer.Option(help="London, or a borough name or GSS code.")] = "London",
    fmt: Annotated[list[str] | None, format_option(VC_FORMATS, "html,xlsx,json", many=True)] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Output folder (created).", metavar="FOLDER")
    ] = Path("out"),
    public: PublicOpt = False,
    sdc_rule: RuleOpt = "lt10",
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """The calendar-year Violent Crime Report (HTML, XLSX, JSON)."""
    from vrkit.outputs import output_folder
    from vrkit.tasks.reports import violent_crime_file_names, violent_crime_report

    with user_errors():
        fmts = formats(fmt, VC_FORMATS, "html,xlsx,json")
        names = violent_crime_file_names(area, year, fmts)
        output_folder(out_dir, names, force=force, create=False)  # before the build
        building = o.err.status(o.clean(f"Building the {area} report for {year}…"))
        with open_warehouse(store, read_only=True) as wh, building:
            res = violent_crime_report(
                wh, year=year, compare=compare, area=area, public=public, sdc_rule=sdc_rule
            )
            paths = res.write(out_dir, fmts, force=force)
        for p in paths:
            o.say(f"wrote {p}")


@app.command("needs-assessment")
def needs_assessment(
    out_dir: Annotated[
        Path, typer.Option("--out", help="Output folder (created).", metavar="FOLDER")
    ],
    area: Annotated[str, typer.Option(help="London or a borough.")] = "London",
    years: Annotated[str, typer.Option(help="Years, e.g. 2015-2021.")] = "2015-2021",
    measure: Annotated[
        str, typer.Option(help="Headline measure id.")
    ] = "violence_against_the_person",
    geography: Annotated[str, typer.Option(help="lsoa or ward.")] = "lsoa",
    perms: Annotated[
        int,
        typer.Option("--perms", help="Gi*/LISA permutations (0, default: analytic z + FDR)."),
    ] = 0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    adjust: Annotated[str, typer.Option(help="fdr, holm or none.")] = "fdr",
    fmt: Annotated[list[str] | None, format_option(NA_FORMATS, "html,xlsx,gpkg", many=True)] = None,
    public: PublicOpt = False,
    sdc_rule: RuleOpt = "lt10",
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """Needs-assessment analytics: concentration, hot spots, persistence, deprivation."""
    from vrkit.outputs import output_folder
    from vrkit.tasks.reports import needs_assessment as needs_assessment_task

    with user_errors():
        fmts = formats(fmt, NA_FORMATS, "html,xlsx,gpkg")
        names = [f"needs-assessment.{f}" for f in fmts]
        output_folder(out_dir, names, force=force, create=False)  # before the build
        with open_warehouse(store, read_only=True) as wh:
            res = needs_assessment_task(
                wh,
                area=area,
                years=years,
                measure=measure,
                geography=geography,
                permutations=perms,
                seed=seed,
                adjust=adjust,
                public=public,
                sdc_rule=sdc_rule,
            )
        paths = res.write(out_dir, fmts, force=force)
        rep = res.report
        for _, row in rep.concentration.iterrows():
            o.say(
                f"{int(row['year'])}: top 5 % of places hold {100 * row['top_5pct_share']:.1f} % "
                f"(gini {row['gini']:.3f})"
            )
        for w in rep.warnings:
            o.warn(w)
        if rep.public and rep.disclosure:
            d = rep.disclosure
            o.say(
                f"public edition ({d['rule']}): {d['cells_suppressed_primary']} figures "
                f"suppressed as small counts, {d['cells_suppressed_secondary']} more to "
                "protect them"
            )
        for p in paths:
            o.say(f"wrote {p}")

"""XLSX export of the Violent Crime Report, in the house workbook style
(:mod:`vrkit.reports.render.workbook`): Contents, headline, a month × year grid, monthly data
(long), areas, homicide, early warning, linkage, data sets and Notes."""

from __future__ import annotations

import calendar
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from vrkit.reports.render.cost_section import workbook_tables as cost_tables
from vrkit.reports.render.workbook import Table, write_workbook

if TYPE_CHECKING:
    from vrkit.reports.build.violent_crime import ViolentCrimeReport

SOURCE = "Metropolitan Police Service recorded crime (London Datastore), Open Government Licence"
POP_SOURCE = "; ONS mid-year population estimates"


def monthly_grid(monthly: pd.DataFrame) -> pd.DataFrame:
    """Monthly counts as a grid: one row per measure and year, one column per month and the
    year's total (blank where a month is missing; a missing month is never counted as 0)."""
    if monthly is None or monthly.empty:
        return pd.DataFrame()
    months = [calendar.month_abbr[m] for m in range(1, 13)]
    g = monthly.pivot_table(
        index=["label", "year"], columns="month_num", values="count", aggfunc="sum", dropna=False
    ).reindex(columns=range(1, 13))
    g.columns = months
    full = g.notna().all(axis=1)
    g["total"] = g[months].sum(axis=1, min_count=12).where(full)
    return g.reset_index()


def write_xlsx(report: ViolentCrimeReport, path: Path) -> Path:
    """Write every table of ``report`` to ``path``. Missing values are blank cells, never
    zero; empty tables are named in the Notes sheet instead of a sheet of their own."""
    area = report.area_name
    period = f"{report.year} compared with {report.compare_year}"
    src = SOURCE + (POP_SOURCE if report.population_year else "")
    about = [
        ("Report", "Violent Crime Report"),
        ("Area", f"{report.area_name} ({report.area_code})"),
        ("Year", report.year),
        ("Compared with", report.compare_year),
        ("Generated (UTC)", report.generated_at.strftime("%d %B %Y %H:%M")),
        ("Population year", report.population_year or "not loaded"),
        ("Ward source", report.ward_source or "not loaded"),
        ("Ward boundary layer", report.ward_layer or "not loaded"),
        (
            "Disclosure control",
            report.disclosure["description"]
            if report.public and report.disclosure
            else "none (not a public edition)",
        ),
        ("Licence", "Open Government Licence v3.0; contains OS data © Crown copyright"),
    ]
    al, lk = report.alerts, report.linkage
    alert_reason = (al.message if al is not None else "") or "no area exceeded its threshold"
    grid_labels = {"label": "Measure", "total": "Year total"}
    tables = [
        Table("headline", f"Headline figures, {area}, {period}", report.headline, src),
        Table(
            "knife_rates",
            f"Knife injury victims under 25 per 100,000 residents aged 10-24, {area}, {period}",
            report.knife_rates,
            "MPS/MOPAC knife crime by borough and month (2018-2020); ONS mid-year population "
            "estimates by single year of age (local authorities)",
            empty_reason=report.missing.get("knife_rates")
            or report.missing.get("knife", "knife crime data not loaded"),
            # victims per 100,000 residents aged 10-24, not the catalogue's offences per 1,000
            units="Units: victims; residents aged 10-24; per 100,000 residents aged 10-24",
            labels={
                "count": "Victims under 25",
                "population": "Residents aged 10-24",
                "rate": "Rate per 100,000 aged 10-24",
                "rate_lower": "Rate, lower 95 %",
                "rate_upper": "Rate, upper 95 %",
            },
        ),
        Table(
            "monthly_grid",
            f"Offences recorded each month, {area}",
            monthly_grid(report.monthly),
            SOURCE,
            units="Units: offences recorded in the month; total blank unless all 12 months loaded",
            kinds={m: "count" for m in [*calendar.month_abbr[1:], "total"]},
            labels=grid_labels,
        ),
        Table(
            "monthly", f"Offences recorded each month (long format), {area}", report.monthly, SOURCE
        ),
        Table(
            "boroughs",
            f"Boroughs of London, {period}",
            report.boroughs,
            src,
            empty_reason="a borough report has no borough table (see the wards sheet)",
        ),
        Table(
            "wards",
            f"Wards{'' if report.area_kind == 'london' else ' of ' + area}, {period}",
            report.wards,
            src,
            empty_reason=report.missing.get("wards", "no ward data loaded"),
        ),
        Table(
            "homicide",
            f"Homicide victims, {area}, by year recorded",
            report.homicide,
            "Metropolitan Police Service homicide dashboard data",
            empty_reason=report.missing.get("homicide", "no homicide data loaded"),
        ),
        Table(
            "alerts",
            "Early warning: areas exceeding their threshold",
            al.table if al is not None else None,
            SOURCE,
            empty_reason=alert_reason,
        ),
        Table(
            "alerts_by_month",
            "Early warning: alerts by month",
            al.by_month if al is not None else None,
            SOURCE,
            empty_reason=alert_reason,
        ),
        Table(
            "linkage",
            "Police, A&E and ambulance: violence by month",
            lk.monthly if lk is not None and lk.loaded else None,
            "Police recorded crime; ISTV A&E returns; London Ambulance Service",
            empty_reason=(lk.message if lk is not None else "") or "no A&E or ambulance data",
        ),
        *cost_tables(report.cost),
        Table("datasets", "Files behind this report", report.datasets, "vrkit warehouse registry"),
    ]
    notes = (
        [("caveat", c) for c in report.caveats]
        + [("method", n) for n in report.notes]
        + [(f"missing: {k}", v) for k, v in report.missing.items()]
    )
    return write_workbook(
        path,
        title=f"Violent crime in {area}: {period}",
        about=about,
        tables=tables,
        notes=notes,
    )

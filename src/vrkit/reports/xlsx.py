"""XLSX export of a report: one sheet per table, frozen header, widths, numbers as numbers.

Written by :func:`vrkit.reports.tabular.write_xlsx`, so text from data is never a formula.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from vrkit.reports.tabular import Sheet
from vrkit.reports.tabular import write_xlsx as write_tables

if TYPE_CHECKING:
    from vrkit.reports.violent_crime import ViolentCrimeReport


def write_xlsx(report: ViolentCrimeReport, path: Path) -> Path:
    """Write every table of ``report`` to ``path`` (sheets: about, headline, monthly, boroughs,
    wards, homicide, datasets, caveats). Missing values are blank cells, never zero."""
    about = pd.DataFrame(
        [
            ("Report", "Violent Crime Report"),
            ("Area", f"{report.area_name} ({report.area_code})"),
            ("Year", report.year),
            ("Compared with", report.compare_year),
            ("Generated (UTC)", report.generated_at.isoformat(sep=" ")),
            ("Population year", report.population_year or "not loaded"),
            ("Ward source", report.ward_source or "not loaded"),
            ("Ward boundary layer", report.ward_layer or "not loaded"),
            (
                "Disclosure control",
                report.disclosure["description"]
                if report.public and report.disclosure
                else "none (not a public edition)",
            ),
        ],
        columns=["item", "value"],
    )
    caveats = pd.DataFrame(
        [("caveat", c) for c in report.caveats]
        + [("note", n) for n in report.notes]
        + [(f"missing: {k}", v) for k, v in report.missing.items()],
        columns=["type", "text"],
    )
    tables: dict[str, pd.DataFrame] = {
        "about": about,
        "headline": report.headline,
        "monthly": report.monthly,
        "boroughs": report.boroughs,
        "wards": report.wards,
        "homicide": report.homicide,
        "alerts": report.alerts.table if report.alerts is not None else pd.DataFrame(),
        "alerts_by_month": report.alerts.by_month if report.alerts is not None else pd.DataFrame(),
        "linkage": report.linkage.monthly
        if report.linkage is not None and report.linkage.loaded
        else pd.DataFrame(),
        "datasets": report.datasets,
        "caveats": caveats,
    }
    sheets: dict[str, Sheet] = {}
    for name, frame in tables.items():
        if frame is None or frame.empty:
            msg = report.missing.get(
                {"wards": "wards", "homicide": "homicide"}.get(name, ""),
                "Not applicable to this report." if name == "boroughs" else "No data.",
            )
            if name.startswith("alerts") and report.alerts is not None:
                msg = report.alerts.message or "No area exceeded its threshold."
            if name == "linkage" and report.linkage is not None:
                msg = report.linkage.message or "No data."
            sheets[name] = msg
        else:
            sheets[name] = frame
    return write_tables(path, sheets, number_format=_number_format, starred_column="suppressed")


def _number_format(column: str, values: pd.Series) -> str | None:
    """Counts with thousands separators; rates and percentages with two decimals."""
    if not pd.api.types.is_float_dtype(values):
        return None
    return "#,##0.00" if column.startswith(("rate", "pct")) else "#,##0"

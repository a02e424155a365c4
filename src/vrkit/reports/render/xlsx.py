"""XLSX export of a report: one sheet per table, frozen header, widths, numbers as numbers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from vrkit.reports.build.violent_crime import ViolentCrimeReport


def _prepare(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.date
        elif out[c].dtype == object:
            out[c] = [
                "; ".join(map(str, v)) if isinstance(v, list | tuple | np.ndarray) else v
                for v in out[c]
            ]
    return out


def write_xlsx(report: ViolentCrimeReport, path: Path) -> Path:
    """Write every table of ``report`` to ``path`` (sheets: about, headline, monthly, boroughs,
    wards, homicide, datasets, caveats). Missing values are blank cells, never zero."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

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
    sheets: dict[str, pd.DataFrame] = {
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
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F3F2F1")
    for name, frame in sheets.items():
        ws = wb.create_sheet(name)
        ws.freeze_panes = "A2"
        if frame is None or frame.empty:
            msg = report.missing.get(
                {"wards": "wards", "homicide": "homicide"}.get(name, ""),
                "Not applicable to this report." if name == "boroughs" else "No data.",
            )
            if name.startswith("alerts") and report.alerts is not None:
                msg = report.alerts.message or "No area exceeded its threshold."
            if name == "linkage" and report.linkage is not None:
                msg = report.linkage.message or "No data."
            ws.column_dimensions["A"].width = 100
            head = WriteOnlyCell(ws, value="note")
            head.font = bold
            ws.append([head])
            ws.append([msg])
            continue
        f = _prepare(frame)
        formats: list[str | None] = []
        for i, col in enumerate(f.columns, start=1):
            values = [str(col)] + [str(v) for v in f[col].head(200) if v is not None]
            width = min(max(len(v) for v in values) + 2, 80)
            ws.column_dimensions[get_column_letter(i)].width = max(width, 8)
            if pd.api.types.is_float_dtype(f[col]):
                formats.append("#,##0.00" if str(col).startswith(("rate", "pct")) else "#,##0")
            else:
                formats.append(None)
        header = []
        for col in f.columns:
            c = WriteOnlyCell(ws, value=str(col))
            c.font = bold
            c.fill = fill
            c.alignment = Alignment(vertical="top", wrap_text=True)
            header.append(c)
        ws.append(header)
        cols = list(f.columns)
        sup_at = cols.index("suppressed") if "suppressed" in cols else None
        for row in f.itertuples(index=False):
            out: list[Any] = []
            sup = set(str(row[sup_at]).split(",")) if sup_at is not None else set()
            for col, v, fmt in zip(cols, row, formats, strict=True):
                if col in sup:
                    out.append("*")
                    continue
                v = _cell(v)
                if fmt is not None and v is not None:
                    c = WriteOnlyCell(ws, value=v)
                    c.number_format = fmt
                    out.append(c)
                else:
                    out.append(v)
            ws.append(out)
        ws.auto_filter.ref = f"A1:{get_column_letter(len(f.columns))}{len(f) + 1}"
    wb.save(path)
    return path


def _cell(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float | np.floating):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v

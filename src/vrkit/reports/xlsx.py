"""XLSX export of a report: one sheet per table, frozen header, widths, numbers as numbers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from vrkit.reports.violent_crime import ViolentCrimeReport


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
        "datasets": report.datasets,
        "caveats": caveats,
    }
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F3F2F1")
    for name, frame in sheets.items():
        ws = wb.create_sheet(name)
        if frame is None or frame.empty:
            msg = report.missing.get(
                {"wards": "wards", "homicide": "homicide"}.get(name, ""),
                "Not applicable to this report." if name == "boroughs" else "No data.",
            )
            ws.append(["note"])
            ws.append([msg])
            ws["A1"].font = bold
            ws.column_dimensions["A"].width = 100
            continue
        f = _prepare(frame)
        ws.append([str(c) for c in f.columns])
        for row in f.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        for cell in ws[1]:
            cell.font = bold
            cell.fill = fill
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        ws.freeze_panes = "A2"
        for i, col in enumerate(f.columns, start=1):
            values = [str(col)] + [str(v) for v in f[col].head(200) if v is not None]
            width = min(max(len(v) for v in values) + 2, 80)
            ws.column_dimensions[get_column_letter(i)].width = max(width, 8)
            if pd.api.types.is_float_dtype(f[col]):
                fmt = "#,##0.00" if col.startswith(("rate", "pct")) else "#,##0"
                for (c,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                    c.number_format = fmt
        ws.auto_filter.ref = ws.dimensions
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

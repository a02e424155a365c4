"""Write grants as 360Giving data: a JSON package or a one-row-per-grant CSV with the
standard's column titles (the same titles :mod:`vrkit.sources.delivery.giving360` reads)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from vrkit.sources.delivery.giving360 import CSV_COLUMNS


def _get(g: dict[str, Any], keys: tuple[str | int, ...]) -> Any:
    node: Any = g
    for k in keys:
        if isinstance(k, int):
            if not isinstance(node, list) or len(node) <= k:
                return None
            node = node[k]
        else:
            if not isinstance(node, dict) or k not in node:
                return None
            node = node[k]
    return node


def package_csv(package: dict[str, Any]) -> str:
    """The grants of ``package`` as 360Giving CSV text (text cells never start a formula)."""
    from vrkit.reports.delivery import _safe

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = list(CSV_COLUMNS)
    w.writerow(cols)
    for g in package["grants"]:
        row = []
        for c in cols:
            v = _get(g, CSV_COLUMNS[c])
            row.append("" if v is None else (v if isinstance(v, int | float) else _safe(str(v))))
        w.writerow(row)
    return buf.getvalue()


def package_xlsx(package: dict[str, Any]) -> bytes:
    """The grants as a 360Giving spreadsheet (one sheet, the CSV's columns; strings as text)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "grants"
    cols = list(CSV_COLUMNS)
    for j, c in enumerate(cols, start=1):
        ws.cell(row=1, column=j, value=c).font = Font(bold=True)
    for i, g in enumerate(package["grants"], start=2):
        for j, c in enumerate(cols, start=1):
            v = _get(g, CSV_COLUMNS[c])
            if v is None:
                continue
            cell = ws.cell(row=i, column=j, value=v)
            if isinstance(v, str):
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_package(package: dict[str, Any], path: Path, fmt: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        path.write_bytes(package_xlsx(package))
    elif fmt == "csv":
        path.write_text(package_csv(package), encoding="utf-8")
    else:
        path.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path

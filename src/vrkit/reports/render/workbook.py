"""The one workbook writer of every report (Violent Crime Report, needs assessment, ranking).

Layout of every workbook:

- a **Contents** sheet first: what the workbook is (report, area, period, generated …) and one
  row per sheet with its title and number of rows;
- one sheet per table, each with its **title** (row 1), **units** (row 2) and **source** (row 3)
  above a **frozen header** row of human labels from the label catalogue
  (:mod:`vrkit.reports.render.labels`), then the data, with an auto-filter;
- numbers stored as numbers with a **number format by kind**: counts ``#,##0``, rates
  ``#,##0.00``, shares and % changes **stored as fractions** with a ``0.0%`` format (a 19.8 %
  share is 0.198, a −0.87 % change is −0.0087), p-values ``0.000``, dates as dates;
- **column widths** from the labels and values; area names beside area codes;
- a **Notes** sheet with the caveats, method notes and any table left out (an empty table is
  never written as a "Not applicable" sheet: it is named in Notes with the reason).

Every cell goes through :func:`vrkit.reports.tabular.xlsx_cell`, so text from data is a string
cell, never a formula.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit.disclosure.tables import BLANKED_COL, SUPPRESSED_COL
from vrkit.reports.render.labels import Kind, column, excel_format, is_missing
from vrkit.reports.tabular import xlsx_cell

#: rows above the header of a data sheet: title, units, source, blank
HEADER_ROW = 5
_MAX_WIDTH = 60


@dataclass
class Table:
    """One sheet of a workbook.

    Attributes
    ----------
    name : sheet name (cut to Excel's 31 characters).
    title : what the table shows (row 1).
    frame : the data; its column ids are looked up in the label catalogue.
    source : where the figures come from (row 3).
    units : row 2; by default the units of the catalogued columns.
    empty_reason : why the table is empty, for the Notes sheet.
    kinds : column id → kind, overriding the catalogue for this table.
    labels : column id → label, overriding the catalogue for this table.
    """

    name: str
    title: str
    frame: pd.DataFrame | None
    source: str = ""
    units: str = ""
    empty_reason: str = "no data"
    kinds: Mapping[str, Kind] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)


def with_area_names(
    frame: pd.DataFrame,
    names: Mapping[str, str],
    *,
    parents: Mapping[str, str] | None = None,
    parent_names: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """``frame`` with ``area_name`` beside ``area_code`` (and ``borough`` after it when
    ``parents`` maps an area to its borough code and ``parent_names`` names the borough)."""
    if "area_code" not in frame.columns:
        return frame
    out = frame.copy()
    pos = list(out.columns).index("area_code") + 1
    if "area_name" not in out.columns:
        out.insert(pos, "area_name", out["area_code"].map(dict(names)))
    pos = list(out.columns).index("area_name") + 1
    has_borough = "borough" in out.columns or "borough_name" in out.columns
    if parents is not None and parent_names is not None and not has_borough:
        codes = out["area_code"].map(dict(parents))
        out.insert(pos, "borough", codes.map(dict(parent_names)))
    return out


def _units(frame: pd.DataFrame, kinds: Mapping[str, Kind]) -> str:
    seen: list[str] = []
    for c in frame.columns:
        spec = column(c, frame[c])
        kind = kinds.get(str(c), spec.kind)
        unit = {"share": "shares as %", "pct": "% change", "p_value": "p-values"}.get(
            kind, spec.unit
        )
        if unit and unit not in seen:
            seen.append(unit)
    return "Units: " + ("; ".join(seen) if seen else "as labelled")


def _value(v: Any, kind: Kind) -> Any:
    """A cell value of ``kind``: % changes as fractions, dates as dates."""
    if isinstance(v, list | tuple):
        return "; ".join(str(x) for x in v)
    if is_missing(v):
        return None
    if kind == "pct" and isinstance(v, int | float):
        return float(v) / 100.0
    if kind in ("date", "month"):
        if isinstance(v, str):
            try:
                return pd.Timestamp(v).date()
            except ValueError:
                return v
        if isinstance(v, pd.Timestamp):
            return v.date()
    return v


def write_workbook(
    path: str | Path,
    *,
    title: str,
    about: Sequence[tuple[str, Any]],
    tables: Sequence[Table],
    notes: Sequence[tuple[str, str]] = (),
) -> Path:
    """Write the house-style workbook to ``path``; returns it.

    Parameters
    ----------
    title : the report's title (the Contents sheet's heading).
    about : (item, value) rows describing the report (area, period, generated, edition …).
    tables : the data sheets, in order; empty ones are left out and named in Notes.
    notes : (type, text) rows of the Notes sheet: caveats, method notes, warnings.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    heading = Font(bold=True, size=14)
    grey = Font(color="505A5F")
    fill = PatternFill("solid", fgColor="F3F2F1")
    wrap = Alignment(vertical="top", wrap_text=True)

    written = [t for t in tables if t.frame is not None and not t.frame.empty]
    left_out = [t for t in tables if t.frame is None or t.frame.empty]
    all_notes = list(notes) + [
        ("table left out", f"{t.title}: {t.empty_reason}.") for t in left_out
    ]

    wb = Workbook(write_only=True)

    # -- Contents
    ws = wb.create_sheet("Contents")
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 90
    ws.column_dimensions["C"].width = 10
    c = xlsx_cell(ws, title)
    c.font = heading
    ws.append([c])
    ws.append([])
    for item, value in about:
        k = xlsx_cell(ws, item)
        k.font = bold
        ws.append([k, xlsx_cell(ws, "" if value is None else str(value))])
    ws.append([])
    head = [xlsx_cell(ws, h) for h in ("Sheet", "What it shows", "Rows")]
    for h in head:
        h.font, h.fill = bold, fill
    ws.append(head)
    for t in written:
        assert t.frame is not None
        ws.append([xlsx_cell(ws, t.name[:31]), xlsx_cell(ws, t.title), len(t.frame)])
    ws.append([xlsx_cell(ws, "Notes"), xlsx_cell(ws, "Caveats, method notes and tables left out")])

    # -- data sheets
    for t in written:
        assert t.frame is not None
        frame = t.frame
        sup = frame[SUPPRESSED_COL] if SUPPRESSED_COL in frame.columns else None
        frame = frame.drop(columns=[c for c in (SUPPRESSED_COL, BLANKED_COL) if c in frame.columns])
        cols = list(frame.columns)
        if not cols:
            continue
        specs = {c: column(c, frame[c]) for c in cols}
        kinds = {c: t.kinds.get(str(c), specs[c].kind) for c in cols}
        labels = {c: t.labels.get(str(c), specs[c].label) for c in cols}
        ws = wb.create_sheet(t.name[:31])
        ws.freeze_panes = f"A{HEADER_ROW + 1}"
        for i, col in enumerate(cols, start=1):
            sample = [str(v) for v in frame[col].head(200) if not is_missing(v)]
            width = max([len(labels[col]) * 0.9] + [len(v) for v in sample]) + 2
            ws.column_dimensions[get_column_letter(i)].width = min(max(width, 9), _MAX_WIDTH)
        c = xlsx_cell(ws, t.title)
        c.font = heading
        ws.append([c])
        for text in (t.units or _units(frame, kinds), t.source and f"Source: {t.source}"):
            c = xlsx_cell(ws, text or "")
            c.font = grey
            ws.append([c])
        ws.append([])
        header = []
        for col in cols:
            c = xlsx_cell(ws, labels[col])
            c.font, c.fill, c.alignment = bold, fill, wrap
            header.append(c)
        ws.append(header)
        formats = {c: excel_format(kinds[c]) for c in cols}
        for idx, row in zip(frame.index, frame.itertuples(index=False), strict=True):
            starred = set(str(sup[idx]).split(",")) if sup is not None else set()
            out = []
            for col, v in zip(cols, row, strict=True):
                if col in starred:
                    out.append(xlsx_cell(ws, "*"))
                else:
                    out.append(xlsx_cell(ws, _value(v, kinds[col]), number_format=formats[col]))
            ws.append(out)
        last = HEADER_ROW + len(frame)
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(cols))}{last}"

    # -- Notes
    ws = wb.create_sheet("Notes")
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 120
    c = xlsx_cell(ws, "Notes and caveats")
    c.font = heading
    ws.append([c])
    ws.append([])
    head = [xlsx_cell(ws, "Type"), xlsx_cell(ws, "Note")]
    for h in head:
        h.font, h.fill = bold, fill
    ws.append(head)
    for kind, text in all_notes or [("note", "None.")]:
        k, v = xlsx_cell(ws, kind), xlsx_cell(ws, text)
        v.alignment = wrap
        ws.append([k, v])
    wb.save(path)
    return Path(path)


def read_rows(path: str | Path, sheet: str) -> list[tuple[Any, ...]]:
    """The table of ``sheet`` in a workbook this module wrote: its header row (labels) and
    data rows, as value tuples (for checks and for reading a workbook back)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        rows = list(wb[sheet].iter_rows(min_row=HEADER_ROW, values_only=True))
    finally:
        wb.close()
    return [tuple(r) for r in rows]

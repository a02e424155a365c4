"""Safe CSV and XLSX writing: text from data is written as text, never as a formula.

Every CSV and XLSX file vrkit writes goes through this module (reports, ``alerts``, ``rank``,
``hotspots``, ``datasets --format csv``, synthetic data). Area names, file names, indicator
names and other strings come from files a user loads, and a spreadsheet would run a cell such as
``=HYPERLINK("http://x","y")`` as a formula.

Rules
-----
- **CSV** (OWASP, *CSV Injection*): a text cell that begins with ``=``, ``+``, ``-``, ``@``, tab
  or carriage return is written with a leading apostrophe (``'=HYPERLINK(…)``), which
  spreadsheets show as text. Numbers stay numbers: numeric columns are never touched, and a text
  cell that is a plain decimal number (``-12``, ``+3.5``, ``-1e-3``) is left as it is, since a
  spreadsheet reads it as that number and nothing else. Column names are treated like cells.
- **XLSX**: every string cell is written with the string data type, so openpyxl never turns a
  string that starts with ``=`` into a formula (or one such as ``#N/A`` into an error value).
  Characters XML cannot hold (control characters) become U+FFFD, and text longer than Excel's
  32,767-character cell limit is cut with a visible ``… [truncated]`` marker rather than making
  a file Excel refuses to open.

References
----------
OWASP, *CSV Injection* (https://owasp.org/www-community/attacks/CSV_Injection).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeAlias

import numpy as np
import pandas as pd

#: first characters that make a spreadsheet treat a CSV cell as a formula (OWASP)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Excel's limit on the characters of one cell
XLSX_MAX_CELL = 32_767
_TRUNCATED = "… [truncated]"
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# ----------------------------------------------------------------------------------------------
# CSV


def neutralise(value: str) -> str:
    """``value`` safe for a CSV cell: a leading apostrophe if a spreadsheet would run it.

    >>> neutralise('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> neutralise("-12.5"), neutralise("Lambeth")
    ('-12.5', 'Lambeth')
    """
    if value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _safe_value(v: Any) -> Any:
    return neutralise(v) if isinstance(v, str) else v


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are safe for CSV.

    Numeric, boolean and date columns are returned unchanged (numbers stay numbers).
    """
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.map(_safe_value, na_action="ignore")
    out.columns = [_safe_value(c) for c in out.columns]
    return out


def csv_text(frame: pd.DataFrame, **to_csv: Any) -> str:
    """``frame`` as CSV text (no index unless asked), text cells neutralised."""
    to_csv.setdefault("index", False)
    return str(safe_frame(frame).to_csv(**to_csv))


def write_csv(frame: pd.DataFrame, path: str | Path, **to_csv: Any) -> Path:
    """Write ``frame`` to ``path`` as CSV (no index unless asked), text cells neutralised."""
    to_csv.setdefault("index", False)
    safe_frame(frame).to_csv(path, **to_csv)
    return Path(path)


def write_csv_rows(
    rows: Iterable[Sequence[Any]], target: str | Path | TextIO, *, lineterminator: str = "\n"
) -> None:
    """Write rows (lists of cells) as CSV to a path or an open text stream, cells neutralised."""
    if isinstance(target, str | Path):
        buf = io.StringIO()
        write_csv_rows(rows, buf, lineterminator=lineterminator)
        Path(target).write_text(buf.getvalue(), encoding="utf-8")
        return
    w = csv.writer(target, lineterminator=lineterminator)
    for row in rows:
        w.writerow([_safe_value(v) for v in row])


# ----------------------------------------------------------------------------------------------
# XLSX


def xlsx_text(value: str) -> str:
    """``value`` as XLSX cell text: XML-illegal characters replaced, overlong text cut."""
    value = _XML_ILLEGAL.sub("\ufffd", value)
    if len(value) > XLSX_MAX_CELL:
        value = value[: XLSX_MAX_CELL - len(_TRUNCATED)] + _TRUNCATED
    return value


def _plain(v: Any) -> Any:
    """A Python value openpyxl can write: NA → None, numpy scalars → Python, lists joined."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, list | tuple | np.ndarray):
        return "; ".join(map(str, v))
    if isinstance(v, float | np.floating):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    return v


def xlsx_cell(ws: Any, value: Any, *, number_format: str | None = None) -> Any:
    """A write-only openpyxl cell for ``value``; a string is always a string cell.

    openpyxl guesses a cell's type from its value and makes any string starting with ``=`` a
    formula; the data type is set back to string here, after that guess.
    """
    from openpyxl.cell import WriteOnlyCell

    v = _plain(value)
    if isinstance(v, str):
        v = xlsx_text(v)
    cell = WriteOnlyCell(ws, value=v)
    if isinstance(v, str):
        cell.data_type = "s"
    if number_format is not None and v is not None and not isinstance(v, str):
        cell.number_format = number_format
    return cell


#: a sheet: a frame, or a note (one-cell sheet, e.g. "No data.") when there is nothing to show
Sheet: TypeAlias = pd.DataFrame | str


def write_xlsx(
    path: str | Path,
    sheets: Mapping[str, Sheet],
    *,
    number_format: Callable[[str, pd.Series], str | None] | None = None,
    starred_column: str | None = None,
    empty_note: str | None = "No data.",
) -> Path:
    """Write one sheet per table in the house style; every data string is a string cell.

    Parameters
    ----------
    path : output file.
    sheets : sheet name (cut to Excel's 31 characters) → frame, or a note for a sheet with no
        table. An empty frame becomes ``empty_note`` (``None``: its header row alone).
    number_format : optional ``(column name, column) → Excel number format`` for numeric columns.
    starred_column : a column listing, comma-separated, the columns of its row that are
        suppressed (public editions); those cells are written as ``*``.

    The header row is bold, shaded and frozen, with an auto-filter; columns are sized to their
    content (at most 80 characters). Missing values are blank cells, never zero.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="F3F2F1")
    for name, sheet in sheets.items():
        ws = wb.create_sheet(name[:31])
        ws.freeze_panes = "A2"
        if isinstance(sheet, str) or (sheet.empty and empty_note is not None):
            note = sheet if isinstance(sheet, str) else str(empty_note)
            ws.column_dimensions["A"].width = 100
            head = xlsx_cell(ws, "note")
            head.font = bold
            ws.append([head])
            ws.append([xlsx_cell(ws, note)])
            continue
        frame = sheet
        cols = list(frame.columns)
        if not cols:  # a table with no columns: an empty sheet
            continue
        formats: list[str | None] = []
        for i, col in enumerate(cols, start=1):
            shown = [str(col)] + [str(_plain(v)) for v in frame[col].head(200) if v is not None]
            width = min(max(len(v) for v in shown) + 2, 80)
            ws.column_dimensions[get_column_letter(i)].width = max(width, 8)
            numeric = pd.api.types.is_numeric_dtype(frame[col]) and not (
                pd.api.types.is_bool_dtype(frame[col])
            )
            formats.append(
                number_format(str(col), frame[col]) if number_format and numeric else None
            )
        header = []
        for col in cols:
            c = xlsx_cell(ws, str(col))
            c.font = bold
            c.fill = fill
            c.alignment = Alignment(vertical="top", wrap_text=True)
            header.append(c)
        ws.append(header)
        sup_at = cols.index(starred_column) if starred_column in cols else None
        dates = [pd.api.types.is_datetime64_any_dtype(frame[c]) for c in cols]
        for row in frame.itertuples(index=False):
            sup = set(str(row[sup_at]).split(",")) if sup_at is not None else set()
            out = []
            for col, v, fmt, is_date in zip(cols, row, formats, dates, strict=True):
                if col in sup:
                    out.append(xlsx_cell(ws, "*"))
                    continue
                if is_date and isinstance(v, pd.Timestamp):
                    v = v.date()
                out.append(xlsx_cell(ws, v, number_format=fmt))
            ws.append(out)
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(frame) + 1}"
    wb.save(path)
    return Path(path)


def write_xlsx_rows(path: str | Path, sheet: str, rows: Iterable[Sequence[Any]]) -> Path:
    """Write plain rows (no header styling) to one sheet from cell A1; strings stay strings."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    for row in rows:
        ws.append([xlsx_cell(ws, v) for v in row])
    wb.save(path)
    return Path(path)

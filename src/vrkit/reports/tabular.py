"""Safe CSV and XLSX writing: text from data is written as text, never as a formula.

(The same interface as the "harden" branch's one safe writer; when that lands on main it
replaces this file.) CSV: a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return gets a leading apostrophe (OWASP, *CSV Injection*), unless it is a plain number. XLSX:
strings are always string cells; XML-illegal characters become U+FFFD; overlong text is cut
visibly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_CELL = 32_767
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(value: str) -> str:
    """``value`` safe for a CSV cell: a leading apostrophe if a spreadsheet would run it."""
    if value.startswith(FORMULA_PREFIXES) and not _NUMBER.match(value.strip()):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names are safe for CSV."""
    out = frame.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = [neutralise(v) if isinstance(v, str) else v for v in out[c]]
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, **to_csv: Any) -> Path:
    """Write ``frame`` to ``path`` as CSV (no index unless asked), text cells neutralised."""
    p = Path(path)
    to_csv.setdefault("index", False)
    safe_frame(frame).to_csv(p, **to_csv)
    return p


def xlsx_text(value: str) -> str:
    text = _ILLEGAL.sub("\ufffd", value)
    if len(text) > XLSX_MAX_CELL:
        marker = "… [truncated]"
        text = text[: XLSX_MAX_CELL - len(marker)] + marker
    return text


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, list | tuple | np.ndarray):
        return "; ".join(map(str, v))
    return v


def xlsx_cell(ws: Any, value: Any, *, number_format: str | None = None) -> Any:
    """A write-only openpyxl cell for ``value``; a string is always a string cell."""
    from openpyxl.cell import WriteOnlyCell

    v = _plain(value)
    cell = WriteOnlyCell(ws)
    if isinstance(v, str):
        cell.value = xlsx_text(v)
        cell.data_type = "s"
    else:
        cell.value = v
    if number_format:
        cell.number_format = number_format
    return cell

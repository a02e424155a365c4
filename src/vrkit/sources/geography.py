"""Shared helpers of the geography and context adapters (issue #3).

The adapters themselves live in :mod:`vrkit.sources.boundaries` (boundary layers),
:mod:`vrkit.sources.imd` (English Indices of Deprivation 2019), :mod:`vrkit.sources.population`
(ONS mid-year estimates, Census 2021 TS007A) and :mod:`vrkit.sources.lookups` (ONS Open Geography
Portal lookups). This module holds what they share: GSS code rules, all-or-nothing numeric
parsing that names the offending cell, and the builders of ``indicator`` / ``indicator_value``
frames with the exact warehouse columns (:mod:`vrkit.store.schema`).

All of these files are *aggregate* files: the first bad cell raises
:class:`~vrkit.errors.DataValidationError` and nothing is returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrkit.catalog.indicators import IndicatorDef
from vrkit.errors import DataValidationError, SourceError
from vrkit.sources.files import open_workbook

#: ONS GSS code patterns by entity (England, Wales, Scotland, Northern Ireland where relevant).
GSS_PATTERNS: dict[str, re.Pattern[str]] = {
    "lsoa": re.compile(r"^[EW]01\d{6}$"),
    "msoa": re.compile(r"^[EW]02\d{6}$"),
    "ward": re.compile(r"^(?:[EW]05|S13|N08)\d{6}$"),
    "lad": re.compile(r"^(?:E0[6-9]|W06|S12|N09)\d{6}$"),
}

#: Columns of the warehouse tables these adapters feed (without ``dataset_id``).
AREA_COLUMNS = ["area_code", "area_name", "area_type", "parent_code", "geometry", "area_ha"]
AREA_LINK_COLUMNS = ["child_code", "parent_code", "link_type", "weight"]
INDICATOR_COLUMNS = ["indicator_id", "name", "unit", "polarity", "source", "description"]
INDICATOR_VALUE_COLUMNS = ["area_code", "indicator_id", "period_start", "period_end", "value"]


def indicator_frame(defs: Iterable[IndicatorDef]) -> pd.DataFrame:
    """``indicator`` rows for ``defs`` (one per indicator id, in order)."""
    rows = [(d.indicator_id, d.name, d.unit, d.polarity, d.source, d.description) for d in defs]
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def indicator_values(
    codes: Sequence[str] | np.ndarray,
    values: dict[str, np.ndarray],
    period_start: date,
    period_end: date,
) -> pd.DataFrame:
    """Long ``indicator_value`` rows: one per (area, indicator) from wide arrays.

    ``values`` maps indicator id to a float array aligned with ``codes``. A NaN is a bug in the
    caller (values are validated first), so it raises ``ValueError`` rather than load silently.
    """
    code_arr = np.asarray(codes, dtype=object)
    parts = []
    for ind, arr in values.items():
        a = np.asarray(arr, dtype=np.float64)
        if np.isnan(a).any():
            raise ValueError(f"internal error: NaN values for indicator {ind}")
        parts.append(
            pd.DataFrame(
                {
                    "area_code": code_arr,
                    "indicator_id": ind,
                    "period_start": period_start,
                    "period_end": period_end,
                    "value": a,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["period_start"] = pd.to_datetime(out["period_start"]).dt.date
    out["period_end"] = pd.to_datetime(out["period_end"]).dt.date
    return out[INDICATOR_VALUE_COLUMNS]


def check_codes(
    path: Path,
    codes: pd.Series,
    entity: str,
    column: str,
    *,
    unique: bool = True,
    where: str = "line",
    pattern: re.Pattern[str] | None = None,
) -> None:
    """Refuse the file at the first code that is not a GSS code of ``entity``, or is repeated.

    ``codes`` is indexed by the physical line (CSV/sheet row) or feature number; ``where`` says
    which, for the message ("line" puts it in ``row=``, anything else in the reason).
    """
    pat = pattern or GSS_PATTERNS[entity]
    s = codes.astype(str).str.strip()
    bad = ~s.str.fullmatch(pat.pattern)
    if bad.any():
        pos = int(bad.to_numpy().argmax())
        _raise_at(
            path,
            f"not a valid {entity.upper()} code (ONS GSS code, e.g. "
            f"{_EXAMPLES.get(entity, 'E05000026')}); an aggregate file is refused whole",
            codes.index[pos],
            column,
            codes.iloc[pos],
            where,
            hint="Use the unmodified ONS/GLA file; codes must not be blank or truncated.",
        )
    if unique:
        dup = s.duplicated(keep="first")
        if dup.any():
            pos = int(dup.to_numpy().argmax())
            first = s.index[(s == s.iloc[pos]).to_numpy().argmax()]
            _raise_at(
                path,
                f"duplicated {entity.upper()} code (first seen at {where} {first}); each area "
                "must appear once",
                codes.index[pos],
                column,
                s.iloc[pos],
                where,
                hint="A duplicated code would double count; use the original file.",
            )


_EXAMPLES = {"lsoa": "E01000001", "msoa": "E02000001", "ward": "E05000026", "lad": "E09000001"}


def _raise_at(
    path: Path,
    reason: str,
    index: Any,
    column: str,
    value: object,
    where: str,
    *,
    hint: str | None = None,
) -> None:
    if where == "line":
        raise DataValidationError(
            path, reason, row=int(index), column=column, value=value, hint=hint
        )
    raise DataValidationError(
        path, f"{where} {index}: {reason}", column=column, value=value, hint=hint
    )


def numeric_column(
    path: Path,
    raw: pd.Series,
    column: str,
    *,
    integer: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
) -> np.ndarray:
    """Parse one column to float64, all or nothing, naming the first bad line and cell.

    ``raw`` holds strings (CSV) or Python values (workbook cells) indexed by physical line.
    Blank cells are refused: missing is not zero, and these files have no missing values.
    """
    s = raw
    if s.dtype == object or pd.api.types.is_string_dtype(s):
        txt = s.astype(str).str.strip().str.replace(",", "", regex=False)
        num = pd.to_numeric(
            txt.where(txt.str.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")), errors="coerce"
        )
    else:
        num = pd.to_numeric(s, errors="coerce")
    arr = num.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(arr)
    what = "a number"
    if integer:
        bad |= np.isfinite(arr) & (np.round(arr) != arr)
        what = "a whole number"
    if minimum is not None:
        bad |= arr < minimum
    if maximum is not None:
        bad |= arr > maximum
    if bad.any():
        pos = int(bad.argmax())
        rng = ""
        if minimum is not None or maximum is not None:
            rng = f" between {minimum if minimum is not None else '-∞'} and "
            rng += f"{maximum if maximum is not None else '∞'}"
        raise DataValidationError(
            path,
            f"value must be {what}{rng}; an aggregate file is refused whole when one cell is bad",
            row=int(raw.index[pos]),
            column=column,
            value=raw.iloc[pos],
            hint="Use the unmodified published file (no blanks, footnote marks or text).",
        )
    return arr


def read_sheet(path: Path, sheet: str, *, header_row: int = 1) -> pd.DataFrame:
    """Read one worksheet with openpyxl (read-only, values only) into a frame of raw cells.

    Column names are the stripped header cells of ``header_row``; the index is the 1-based
    Excel row number, so errors can name the row an analyst sees in Excel. Trailing fully
    empty rows are dropped.
    """
    with open_workbook(path) as wb:
        if sheet not in wb.sheetnames:
            raise DataValidationError(
                path,
                f"the workbook has no sheet {sheet!r}",
                hint=f"Sheets found: {', '.join(wb.sheetnames)}",
            )
        ws = wb[sheet]
        rows = list(ws.iter_rows(min_row=header_row, values_only=True))
    if not rows:
        raise DataValidationError(path, f"sheet {sheet!r} is empty")
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    body = rows[1:]
    while body and all(v is None or (isinstance(v, str) and not v.strip()) for v in body[-1]):
        body.pop()
    frame = pd.DataFrame(body, columns=header, dtype=object)
    frame.index = pd.RangeIndex(header_row + 1, header_row + 1 + len(frame))
    return frame


def sheet_header(path: Path, sheet: str, *, header_row: int = 1) -> tuple[str, ...]:
    """The stripped header cells of one sheet (cheap: reads one row in read-only mode)."""
    try:
        with open_workbook(path) as wb:
            if sheet not in wb.sheetnames:
                return ()
            for row in wb[sheet].iter_rows(
                min_row=header_row, max_row=header_row, values_only=True
            ):
                return tuple(str(h).strip() if h is not None else "" for h in row)
            return ()
    except SourceError:  # not a readable workbook: no header
        return ()


def require_header(path: Path, have: Sequence[str], need: Iterable[str], *, row: int = 1) -> None:
    """Raise naming the first column of ``need`` missing from ``have``."""
    got = set(have)
    for col in need:
        if col not in got:
            raise DataValidationError(
                path,
                "a required column is missing or renamed",
                row=row,
                column=col,
                hint=f"The header has: {', '.join(list(have)[:8])}…",
            )

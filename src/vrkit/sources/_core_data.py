"""Helpers shared by the core-data adapters (LAS, PAS, DfE exclusions, single-year population).

Their indicator metadata comes from :mod:`vrkit.catalog.core_data`, so the ``indicator`` table
always equals the catalogue.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import pandas as pd

from vrkit.catalog.core_data import core_data_indicator
from vrkit.errors import DataValidationError, SourceError
from vrkit.sources.base import decode_text, read_bytes
from vrkit.sources.geography import INDICATOR_COLUMNS, INDICATOR_VALUE_COLUMNS


def catalogue_indicator_frame(ids: Iterable[str]) -> pd.DataFrame:
    """``indicator`` rows for catalogue ids (each once, in the order given)."""
    seen: dict[str, None] = dict.fromkeys(ids)
    rows = []
    for iid in seen:
        d = core_data_indicator(iid)
        rows.append((d.indicator_id, d.name, d.unit, d.polarity, d.source, d.description))
    return pd.DataFrame(rows, columns=INDICATOR_COLUMNS)


def value_frame(
    area_code: Iterable[str],
    indicator_id: Iterable[str],
    period_start: Iterable[date],
    period_end: Iterable[date],
    value: Iterable[float],
) -> pd.DataFrame:
    """``indicator_value`` rows (without ``dataset_id``) from aligned columns."""
    out = pd.DataFrame(
        {
            "area_code": list(area_code),
            "indicator_id": list(indicator_id),
            "period_start": pd.to_datetime(list(period_start)).astype("datetime64[s]"),
            "period_end": pd.to_datetime(list(period_end)).astype("datetime64[s]"),
            "value": pd.Series(list(value), dtype="float64"),
        }
    )
    if out["value"].isna().any():
        raise ValueError("internal error: NaN indicator value (missing cells must be left out)")
    return out[INDICATOR_VALUE_COLUMNS]


def read_rows(path: Path, *, encodings: tuple[str, ...] = ("utf-8-sig",)) -> list[list[str]]:
    """Every row of a delimited text file as raw fields (ragged rows kept, for layouts with a
    shifted or truncated row); a :class:`SourceError` for an empty or unreadable file."""
    raw = read_bytes(path)
    if not raw.strip():
        raise SourceError(path, "the file is empty", hint="Download it again.")
    text = decode_text(path, raw, encodings)
    reader = csv.reader(io.StringIO(text))
    try:
        return list(reader)
    except csv.Error as exc:  # e.g. an unclosed quote running into a field over the limit
        raise DataValidationError(
            path,
            f"not a readable CSV: {exc}",
            row=reader.line_num,
            hint="A quote is probably not closed; use the published file.",
        ) from exc


def month_end(d: date) -> date:
    """Last day of the month of ``d``."""
    return (pd.Timestamp(d) + pd.offsets.MonthEnd(0)).date()


def iter_data_lines(rows: list[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of every non-blank row after the header (line 1), cells stripped."""
    for line, raw in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in raw]
        if any(cells):
            yield line, cells


def check_width(path: Path, line: int, cells: list[str], width: int) -> None:
    """Refuse a row whose number of fields differs from the header's, naming its line."""
    if len(cells) != width:
        raise DataValidationError(
            path,
            f"expected {width} fields as in the header, found {len(cells)}",
            row=line,
            hint="The file may be truncated or have a stray comma; download it again.",
        )


def refuse_duplicates(path: Path, keys: pd.DataFrame, what: str, column: str) -> None:
    """Refuse a file where two rows share ``keys`` (indexed by physical line): ``what`` names
    the key in the message ("code and year"), ``column`` is the column reported."""
    dup = keys.duplicated()
    if not dup.any():
        return
    line = int(keys.index[dup.to_numpy().argmax()])
    same = keys.eq(keys.loc[line]).all(axis=1).to_numpy()
    first = int(keys.index[same.argmax()])
    raise DataValidationError(
        path,
        f"the same {what} appear twice (first on line {first}); it would be double counted",
        row=line,
        column=column,
        value=" | ".join(str(v) for v in keys.loc[line]),
    )

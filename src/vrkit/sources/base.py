"""The adapter contract shared by every source.

An adapter recognises its format from a :class:`Probe` (file name, header fields, workbook sheet
names or vector-layer fields) and turns the file into :class:`SourceFrames`: one pandas frame per
warehouse table it feeds, plus a :class:`LoadReport`. It never touches the store.

Two rules for bad input (issue #3, section 6):

- *aggregate* files (counts, lookups, boundaries, IMD, population) are all or nothing: the first
  bad cell raises :class:`~vrkit.errors.DataValidationError` naming file, line, column and reason;
- *record-level* files (data.police.uk, homicide victims) keep their good rows; each bad row is a
  :class:`Rejection` counted by reason in the report.
"""

from __future__ import annotations

import csv
import hashlib
import io
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import ClassVar

import pandas as pd

from vrkit.errors import DataValidationError, SourceError, VrkitError
from vrkit.sources.files import decode_text, nul_error, nul_line, open_data, read_bytes

#: Suffixes of vector boundary files the boundary adapter understands.
VECTOR_SUFFIXES = (".shp", ".geojson", ".json", ".gpkg")
#: Suffixes of workbook files.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class Rejection:
    """One rejected row of a record-level file.

    ``row_number`` is the 1-based physical line in the file (the header is line 1).
    """

    row_number: int
    column: str | None
    reason: str
    raw: str | None = None


@dataclass
class LoadReport:
    """What an adapter read from one file, and what it refused or flagged.

    Attributes
    ----------
    path, source_kind : the file and the adapter kind that read it.
    rows_read : data rows in the file (header excluded).
    rows_loaded : rows that became warehouse rows' sources (kept rows).
    rejections : rejected rows (record-level files only).
    covers_from, covers_to : first and last month (first-of-month dates) the file covers.
    exclusions : data-quality exclusions applied on purpose (e.g. "LSOA 2020 column is known to be
        wrong"), shown in ``vrkit quality`` and in reports.
    notes : other facts worth showing (e.g. "412 rows have no location; kept").
    """

    path: Path
    source_kind: str
    rows_read: int = 0
    rows_loaded: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    covers_from: date | None = None
    covers_to: date | None = None
    exclusions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: what the dataset registry stores and listings show instead of the file's name and path,
    #: for files whose names may identify people (health submissions; see
    #: :attr:`SourceAdapter.sensitive_names`)
    label: str | None = None

    @property
    def file_name(self) -> str:
        """The name stored in the dataset registry (the label for health files)."""
        return self.label or self.path.name

    @property
    def file_path(self) -> str:
        """The path stored in the dataset registry (the label for health files)."""
        return self.label or str(self.path.resolve())

    @property
    def rows_rejected(self) -> int:
        """Number of rejected rows."""
        return len(self.rejections)

    def rejected_by_reason(self) -> dict[str, int]:
        """Rejected rows counted by reason, most frequent first."""
        return dict(Counter(r.reason for r in self.rejections).most_common())

    def summary(self) -> str:
        """One line for humans: ``read 1,556 · loaded 1,556 · rejected 0``."""
        text = f"read {self.rows_read:,} · loaded {self.rows_loaded:,} · rejected {self.rows_rejected:,}"
        if self.rejections:
            reasons = ", ".join(f"{k}: {v:,}" for k, v in self.rejected_by_reason().items())
            text += f" ({reasons})"
        return text


@dataclass
class SourceFrames:
    """The frames one file contributes, keyed by warehouse table name, and its report.

    ``tables`` maps a table name (``crime_count``, ``crime_record``, ``area``, ``area_link``,
    ``indicator``, ``indicator_value``, ``homicide_victim``, ``stop_search``, ``crime_outcome``,
    ``crime_count_annual``) to a frame whose columns are that table's columns without
    ``dataset_id`` (the warehouse adds it).

    ``replace_key`` names the columns that identify what a *newer release* of the same source
    replaces (e.g. ``("scope_code", "month")`` for MPS counts). ``None`` means the file's rows
    simply belong to its dataset.
    """

    report: LoadReport
    tables: dict[str, pd.DataFrame]
    replace_key: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Probe:
    """What format detection may look at without reading the whole file."""

    path: Path
    #: lower-case name with compression suffix removed, e.g. ``2020-01-city-of-london-street.csv``
    name: str
    #: header fields of a delimited text file (BOM and surrounding spaces stripped), else ``None``
    header: tuple[str, ...] | None = None
    #: sheet names of a workbook, else ``None``
    sheets: tuple[str, ...] | None = None
    #: field names of a vector layer, else ``None``
    fields: tuple[str, ...] | None = None
    #: line of the first NUL byte of a file that should be text (binary or UTF-16), else ``None``
    nul_line: int | None = None


class SourceAdapter(ABC):
    """Base class of every source adapter. Subclasses register in :mod:`vrkit.sources.registry`."""

    #: stable identifier stored in ``dataset.source_kind``; releases of one kind replace each other
    kind: ClassVar[str]
    #: one line shown when listing known formats
    description: ClassVar[str]
    #: record-level files reject bad rows; aggregate files refuse the whole file
    record_level: ClassVar[bool] = False
    #: header columns a file of this kind always has ("A|B" = either name); used to explain
    #: a near miss (a renamed or missing column) instead of "unrecognised format"
    signature: ClassVar[tuple[str, ...]] = ()
    #: files of this kind may be named after people (health submissions): their names and
    #: folders are never stored, shown or put in messages; :meth:`label` stands in for them
    sensitive_names: ClassVar[bool] = False

    def label(self, path: Path, sha256: str) -> str:
        """How results and messages name ``path`` (its name, unless names are sensitive)."""
        return path.name

    @abstractmethod
    def sniff(self, probe: Probe) -> bool:
        """Return True when ``probe`` is this adapter's format."""

    @abstractmethod
    def read(self, path: Path) -> SourceFrames:
        """Read and validate ``path``; raise for unreadable or (aggregate) invalid files."""

    def read_many(self, paths: Sequence[Path]) -> list[SourceFrames | VrkitError]:
        """Read several files of this format: per path, what :meth:`read` returns or the
        :class:`~vrkit.errors.VrkitError` it raises, in order.

        Optional hook: the default calls :meth:`read` for each path. Adapters that can parse a
        batch faster (one query for many files) override it; results must equal :meth:`read`'s.
        """
        out: list[SourceFrames | VrkitError] = []
        for path in paths:
            try:
                out.append(self.read(path))
            except VrkitError as exc:
                out.append(exc)
        return out

    def missing_columns(self, probe: Probe) -> list[str] | None:
        """Signature columns absent from a header that has at least half of them, else None.

        Lets detection say "looks like <kind> but column X is missing or renamed" for a file
        that is almost this format.
        """
        if not probe.header or not self.signature:
            return None
        have = set(probe.header)
        missing = [s for s in self.signature if not any(a in have for a in s.split("|"))]
        if not missing or len(missing) * 2 > len(self.signature):
            return None
        return missing


# ----------------------------------------------------------------------------------------------
# Helpers shared by adapters


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (as stored, i.e. of the .gz if compressed); a file that
    cannot be read is a :class:`SourceError`."""
    h = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError as exc:
        raise SourceError(path, f"cannot read file: {exc.strerror or exc}") from exc
    return h.hexdigest()


def logical_name(path: Path) -> str:
    """Lower-case file name without a trailing ``.gz``."""
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def read_header(path: Path) -> tuple[str, ...] | None:
    """First line of a delimited text file (plain or .gz) as fields, or None if it is not a
    comma-separated header.

    Raises :class:`SourceError` for a file that cannot be read (permissions, corrupt gzip) and for
    a NUL byte in the first 64 KiB (naming its line), so neither is reported as "not a CSV".
    """
    with open_data(path) as fh:
        raw = fh.read(65536)
    line = nul_line(raw)
    if line is not None:
        raise nul_error(path, line)
    text = raw.decode("utf-8-sig", errors="replace")
    first = text.splitlines()[0] if text.splitlines() else ""
    if "," not in first:
        return None
    return tuple(f.strip() for f in next(csv.reader(io.StringIO(first))))


def parse_yyyymm(value: str) -> date | None:
    """``'201901'`` → ``date(2019, 1, 1)``; anything else → None."""
    v = value.strip()
    if len(v) != 6 or not v.isdigit():
        return None
    year, month = int(v[:4]), int(v[4:])
    if not (1900 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def parse_year_month(value: str) -> date | None:
    """``'2019-01'`` → ``date(2019, 1, 1)``; anything else → None."""
    v = value.strip()
    if len(v) != 7 or v[4] != "-" or not (v[:4].isdigit() and v[5:].isdigit()):
        return None
    year, month = int(v[:4]), int(v[5:])
    if not (1900 <= year <= 2100 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def read_csv_strict(
    path: Path, *, encodings: tuple[str, ...] = ("utf-8-sig",), data: bytes | None = None
) -> pd.DataFrame:
    """Read a whole CSV as strings, all or nothing.

    Every cell stays a string (``''`` for empty); the header is stripped of spaces and BOM.
    Raises :class:`SourceError` for empty, truncated or non-CSV files and for rows with the
    wrong number of fields (naming the line).
    """
    raw = read_bytes(path) if data is None else data
    if not raw.strip():
        raise SourceError(path, "the file is empty", hint="Download it again.")
    text = decode_text(path, raw, encodings)
    reader = csv.reader(io.StringIO(text))
    rows: list[list[str]] = []
    try:
        header = next(reader)
        if len(header) < 2:
            raise SourceError(path, "line 1: not a CSV header (fewer than two columns)")
        width = len(header)
        for row in reader:
            if not row:
                continue
            if len(row) != width:
                raise DataValidationError(
                    path,
                    f"expected {width} fields as in the header, found {len(row)}",
                    row=reader.line_num,
                    hint="The file may be truncated or have a stray comma; download it again.",
                )
            rows.append(row)
    except csv.Error as exc:
        raise DataValidationError(
            path,
            f"cannot be parsed as CSV ({csv_error_reason(exc)})",
            row=reader.line_num,
            hint="The file may be damaged or not a CSV; download or export it again.",
        ) from exc
    if not rows:
        raise SourceError(path, "the file has a header but no data rows")
    frame = pd.DataFrame(rows, columns=[h.strip() for h in header], dtype=str)
    # physical line numbers of data rows (header is line 1); exact when there are no blank
    # lines or embedded newlines, which MPS and police.uk files do not have
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    return frame


def csv_error_reason(exc: Exception) -> str:
    """Python's csv error in words (without any of the file's content)."""
    text = str(exc)
    if "field larger than field limit" in text:
        return f"a field is longer than {csv.field_size_limit():,} characters"
    return text


def require_columns(path: Path, frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """Raise a :class:`DataValidationError` naming the first missing column."""
    have = set(frame.columns)
    for col in columns:
        if col not in have:
            raise DataValidationError(
                path,
                "a required column is missing or renamed",
                row=1,
                column=col,
                hint=f"The header has: {', '.join(frame.columns[:8])}…",
            )

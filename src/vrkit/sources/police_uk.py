"""data.police.uk record-level files: street-level crime, outcomes and stop and search.

Formats
-------
``police_uk_street``
    ``Crime ID, Month, Reported by, Falls within, Longitude, Latitude, Location, LSOA code,
    LSOA name, Crime type, Last outcome category, Context`` → table ``crime_record``.
``police_uk_outcomes``
    ``Crime ID, Month, Reported by, Falls within, Longitude, Latitude, Location, LSOA code,
    LSOA name, Outcome type`` → table ``crime_outcome``.
``police_uk_stop_search``
    ``Type, Date, Part of a policing operation, Policing operation, Latitude, Longitude, Gender,
    Age range, Self-defined ethnicity, Officer-defined ethnicity, Legislation, Object of search,
    Outcome, Outcome linked to object of search, Removal of more than just outer clothing``
    → table ``stop_search``.

Each adapter reads one ``.csv``, ``.csv.gz`` or ``.zip`` in the data.police.uk download layout
(``YYYY-MM/YYYY-MM-<force>-street.csv`` members; a zip may mix the three kinds, and each adapter
reads the members of its own kind).

These are record-level files: good rows load and each bad row becomes a
:class:`~vrkit.sources.base.Rejection` (physical line, header = line 1), counted by reason.
Rows are never dropped silently: "No Location" rows (blank coordinates and LSOA) and
anti-social behaviour rows (no Crime ID) are kept and counted in the report's notes.

Rules
-----
- wrong number of fields, bad quoting or invalid UTF-8 (found by DuckDB's CSV reader);
- ``Month`` not ``YYYY-MM``, or not the month in the file name (when the name has one);
- ``Longitude``/``Latitude`` not a number, only one of the two given, or outside England and
  Wales (longitude −8…2, latitude 49…61);
- missing ``Crime type`` (street) or ``Falls within`` (street, outcomes);
- street only: an exact repeat of an earlier row with the same non-empty ``Crime ID``. Outcomes
  files legitimately repeat a row (one crime, the same outcome for several suspects), so there
  repeats are kept and counted in the notes;
- stop and search: ``Date`` not an ISO timestamp, its UK-local (Europe/London) month not the
  file's month, or a True/False column holding anything else.

Stop-and-search files have no force column: ``stop_search.force`` is the force *slug* from the
file name (``2019-01-city-of-london-stop-and-search.csv`` → ``"city-of-london"``), and
``stop_search.month`` is the UK-local month of ``Date`` (one City of London search in the 2018-09
file is dated ``2018-08-31T23:13:35+00:00``, i.e. 00:13 on 1 September in London).

Speed
-----
Rows are never handled in Python loops. Files are parsed by DuckDB's CSV reader on a private
in-memory connection (explicit VARCHAR columns, ``store_rejects`` for malformed lines) and every
rule is a SQL expression; the result is a :class:`pyarrow.Table`. :func:`read_police_uk_many`
(the adapters' ``read_many``, used by ``Warehouse.ingest_many``) parses a whole batch of files
with ONE ``read_csv`` of the list (parallel across files; each row carries the reader's
``file_index``, and per-file values such as the file name's month are a list indexed by it) and
splits the
result per file, so reports, rejections and line numbers are exactly those of reading the files
one by one. A file whose line count does not match rows + rejections + header (blank lines, a
rejected row spanning lines, or an open quote that DuckDB 1.5's multi-file scan sometimes fails
to record) is parsed again on its own. Easting/northing (EPSG:27700)
are computed with pyproj on the distinct coordinate pairs only (police.uk snaps records to a
limited set of anonymised map points), using the 7-parameter Helmert transformation that pyproj
ships (metre-level accuracy; the OSTN15 grid is not bundled). See ``docs/performance.md``.

``Warehouse.ingest_many`` does not hand street files to this reader first: it runs the scan
planned by :func:`plan_street_scan` (the same rules as SQL) in the warehouse's own DuckDB and
writes every file that passes whole straight from the scan (:mod:`vrkit.store.street_native`);
only the files that fail a rule, gzip files and zips come here.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import threading
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from vrkit.config import get_settings
from vrkit.errors import DataValidationError, SourceError, VrkitError
from vrkit.sources.base import (
    LoadReport,
    Probe,
    Rejection,
    SourceAdapter,
    SourceFrames,
    logical_name,
)
from vrkit.sources.files import (
    check_regular_file,
    check_zip,
    nul_error,
    open_data,
    open_member,
    open_zip,
)

STREET_COLUMNS: tuple[str, ...] = (
    "Crime ID",
    "Month",
    "Reported by",
    "Falls within",
    "Longitude",
    "Latitude",
    "Location",
    "LSOA code",
    "LSOA name",
    "Crime type",
    "Last outcome category",
    "Context",
)
OUTCOME_COLUMNS: tuple[str, ...] = (*STREET_COLUMNS[:9], "Outcome type")
STOP_SEARCH_COLUMNS: tuple[str, ...] = (
    "Type",
    "Date",
    "Part of a policing operation",
    "Policing operation",
    "Latitude",
    "Longitude",
    "Gender",
    "Age range",
    "Self-defined ethnicity",
    "Officer-defined ethnicity",
    "Legislation",
    "Object of search",
    "Outcome",
    "Outcome linked to object of search",
    "Removal of more than just outer clothing",
)

#: England and Wales bounds used to reject impossible coordinates.
LON_RANGE = (-8.0, 2.0)
LAT_RANGE = (49.0, 61.0)

#: ``YYYY-MM-<force>-<kind>.csv`` (month optional), as in the police.uk download.
_NAME = re.compile(r"^(?:(\d{4}-\d{2})-)?(.+?)-(street|outcomes|stop-and-search)\.csv$")

#: DuckDB's reader is told this maximum line size (its default); longer lines are rejected
MAX_LINE_BYTES = 2_097_152
#: rejection reasons vrkit adds to DuckDB's own
REASON_LONG = "line too long"
REASON_NUL = "holds a NUL byte"
#: rejected lines are kept in the warehouse up to this many characters
RAW_MAX_CHARS = 2_000

_DUCKDB_REASONS = {
    "MISSING COLUMNS": "wrong number of fields",
    "TOO MANY COLUMNS": "wrong number of fields",
    "UNQUOTED VALUE": "malformed quoting",
    "LINE SIZE OVER MAXIMUM": "line too long",
    "INVALID ENCODING": "not valid UTF-8",
    "INVALID UNICODE": "not valid UTF-8",
}


@dataclass(frozen=True)
class _Spec:
    kind: str
    table: str
    columns: tuple[str, ...]
    suffix: str  # file-name kind: street | outcomes | stop-and-search
    markers: tuple[str, ...]  # columns only this format has
    description: str


_SPECS: dict[str, _Spec] = {
    s.kind: s
    for s in (
        _Spec(
            "police_uk_street",
            "crime_record",
            STREET_COLUMNS,
            "street",
            ("Crime type", "Last outcome category", "Context"),
            "data.police.uk street-level crime (Crime ID, Month, …, Crime type, Last outcome "
            "category, Context); .csv, .csv.gz or the download .zip",
        ),
        _Spec(
            "police_uk_outcomes",
            "crime_outcome",
            OUTCOME_COLUMNS,
            "outcomes",
            ("Outcome type",),
            "data.police.uk outcomes (Crime ID, Month, …, Outcome type); .csv, .csv.gz or .zip",
        ),
        _Spec(
            "police_uk_stop_search",
            "stop_search",
            STOP_SEARCH_COLUMNS,
            "stop-and-search",
            ("Object of search", "Officer-defined ethnicity", "Legislation"),
            "data.police.uk stop and search (Type, Date, …, Removal of more than just outer "
            "clothing); .csv, .csv.gz or .zip",
        ),
    )
}


# ----------------------------------------------------------------------------------------------
# File handling


@dataclass(frozen=True)
class _Member:
    """One CSV to parse: a file on disk (possibly extracted from a zip)."""

    disk: Path  # what DuckDB reads
    label: str  # shown in errors and rejections ("" for a plain file)
    name: str  # logical lower-case file name
    gz: bool
    duplicate_of: str | None = None  # a zip member byte-identical to this earlier member


def _name_parts(name: str) -> tuple[str | None, str | None, str | None]:
    """(``YYYY-MM`` or None, force slug or None, kind suffix or None) of a file name."""
    m = _NAME.match(Path(name).name.lower())
    if not m:
        return None, None, None
    return m.group(1), m.group(2), m.group(3)


def _first_line(raw: bytes) -> tuple[str, ...] | None:
    if not raw.strip() or b"\x00" in raw:
        return None
    text = raw.decode("utf-8-sig", errors="replace")
    first = text.splitlines()[0] if text.splitlines() else ""
    if "," not in first:
        return None
    return tuple(f.strip().strip('"').strip() for f in first.split(","))


def _header_of(path: Path, where: str | Path | None = None) -> tuple[str, ...] | None:
    """Header fields of a CSV (plain or gzip); SourceError for an unreadable file or a NUL."""
    with open_data(path, where) as fh:
        raw = fh.readline(65536)
    if b"\x00" in raw:
        raise nul_error(where or path, 1)
    return _first_line(raw)


@dataclass(frozen=True)
class _Lines:
    """What one pass over a file's bytes tells: physical lines and where the first NUL is."""

    count: int  # physical lines, header included (a last line without a line break counts)
    nul_line: int | None  # line of the first NUL byte, if any


def _count_lines(fh: Any) -> _Lines:
    """Physical lines of a binary stream, and the line of its first NUL byte."""
    lines, last, nul = 0, b"\n", None
    while chunk := fh.read(1 << 22):
        if nul is None and b"\x00" in chunk:
            nul = lines + chunk.count(b"\n", 0, chunk.index(b"\x00")) + 1
        lines += chunk.count(b"\n")
        last = chunk[-1:]
    return _Lines(lines + (last != b"\n"), nul)


def _check_gzip(path: Path, where: str | Path) -> _Lines:
    """Decompress a gzip fully so a truncated file is refused, not cut short; its lines.

    DuckDB's reader stops quietly at the end of a truncated gzip stream; this check catches it
    (and applies the decompression limits before DuckDB reads anything).
    """
    with open_data(path, where) as fh:
        return _count_lines(fh)


def _zip_members(path: Path, spec: _Spec | None) -> list[zipfile.ZipInfo]:
    """CSV members of a zip belonging to ``spec`` (by name, else by header); all if ``spec`` None."""
    with open_zip(path) as zf:
        infos = sorted(
            (i for i in zf.infolist() if not i.is_dir() and i.filename.lower().endswith(".csv")),
            key=lambda i: i.filename,
        )
        if spec is None:
            return infos
        chosen = []
        for info in infos:
            _, _, kind = _name_parts(info.filename)
            if kind is not None:
                if kind == spec.suffix:
                    chosen.append(info)
                continue
            with open_member(zf, info, f"{path} [{info.filename}]") as fh:
                header = _first_line(fh.readline(65536))
            if header is not None and _header_matches(header, spec):
                chosen.append(info)
        return chosen


def _header_matches(header: tuple[str, ...], spec: _Spec) -> bool:
    """Lenient test used for detection: a renamed column is still this format (and then refused
    by :func:`_validate_header` with the column named)."""
    have = set(header)
    overlap = len(have & set(spec.columns))
    return overlap >= len(spec.columns) - 2 and any(m in have for m in spec.markers)


@contextmanager
def _members(path: Path, spec: _Spec) -> Iterator[list[_Member]]:
    """The CSVs to read from ``path``; zip members are extracted to a private temp folder.

    Byte-identical members (the same file twice in one zip) are extracted once (the copy is a
    member with ``duplicate_of`` set and no file).
    """
    lower = path.name.lower()
    if not lower.endswith(".zip"):
        yield [_Member(path, "", logical_name(path), lower.endswith(".gz"))]
        return
    infos = _zip_members(path, spec)
    if not infos:
        raise SourceError(
            path,
            f"the zip has no {spec.suffix} CSV members",
            hint="Expected members named like 2020-01/2020-01-<force>-"
            f"{spec.suffix}.csv (the data.police.uk download layout).",
        )
    check_zip(path, infos)
    with tempfile.TemporaryDirectory(prefix="vrkit-police-uk-") as tmp, open_zip(path) as zf:
        out: list[_Member] = []
        seen: dict[str, str] = {}  # sha256 of a member -> its name
        for k, info in enumerate(infos):
            disk = Path(tmp) / f"{k:05d}.csv"
            where = f"{path} [{info.filename}]"
            digest = hashlib.sha256()
            with open_member(zf, info, where) as src:
                try:
                    dst = disk.open("wb")
                except OSError as exc:
                    raise _temp_error(where, exc) from exc
                with dst:
                    while chunk := src.read(1 << 22):
                        digest.update(chunk)
                        try:
                            dst.write(chunk)
                        except OSError as exc:
                            raise _temp_error(where, exc) from exc
            sha = digest.hexdigest()
            if sha in seen:
                disk.unlink()
                out.append(_Member(Path(), info.filename, "", False, duplicate_of=seen[sha]))
                continue
            seen[sha] = info.filename
            out.append(_Member(disk, info.filename, Path(info.filename).name.lower(), False))
        yield out


def _temp_error(where: str, exc: OSError) -> SourceError:
    return SourceError(
        where,
        f"cannot extract to the temporary folder ({exc.strerror or exc})",
        hint="Free disk space in the temporary folder (TMPDIR) and try again.",
    )


#: characters DuckDB's file reader treats as a glob pattern
_GLOB = re.compile(r"[*?\[\]{}]")


@contextmanager
def _literal_paths(paths: Sequence[Path]) -> Iterator[list[Path]]:
    """Paths DuckDB reads as exactly that file: any path with a glob character is replaced by a
    symbolic link with a plain name in a private temporary folder (removed afterwards)."""
    if not any(_GLOB.search(str(p)) for p in paths):
        yield list(paths)
        return
    with tempfile.TemporaryDirectory(prefix="vrkit-literal-") as tmp:
        out = []
        for k, p in enumerate(paths):
            if not _GLOB.search(str(p)):
                out.append(p)
                continue
            link = Path(tmp) / f"{k:05d}{'.csv.gz' if p.name.lower().endswith('.gz') else '.csv'}"
            link.symlink_to(p.resolve())
            out.append(link)
        yield out


def _validate_header(where: str, header: tuple[str, ...] | None, spec: _Spec) -> None:
    if header is None:
        raise SourceError(
            where,
            "not a CSV file (no comma-separated header line)",
            hint=f"Expected the data.police.uk header: {', '.join(spec.columns[:4])}, …",
        )
    if header == spec.columns:
        return
    have = set(header)
    for col in spec.columns:
        if col not in have:
            raise DataValidationError(
                where,
                "a required column is missing or renamed",
                row=1,
                column=col,
                hint=f"The header has: {', '.join(header)}",
            )
    extra = [h for h in header if h not in spec.columns]
    first_bad = (
        extra[0] if extra else next(h for h, c in zip(header, spec.columns, strict=False) if h != c)
    )
    raise DataValidationError(
        where,
        "unexpected column or column order; data.police.uk files have exactly "
        + ", ".join(spec.columns),
        row=1,
        column=first_bad,
    )


# ----------------------------------------------------------------------------------------------
# SQL


def _shown(raw: str) -> str:
    """A rejected line as kept in the warehouse: at most :data:`RAW_MAX_CHARS` characters."""
    return (
        raw if len(raw) <= RAW_MAX_CHARS else raw[:RAW_MAX_CHARS] + f"… [{len(raw):,} characters]"
    )


def _q(col: str) -> str:
    return '"' + col.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _coordinate_checks(lon: str, lat: str) -> list[tuple[str, str, str]]:
    """(condition, column, reason) for a lon/lat pair given as VARCHAR columns."""
    lon_d, lat_d = "_lon", "_lat"  # TRY_CAST(... AS DOUBLE), computed once in the inner query
    return [
        (f"{_q(lon)} IS NOT NULL AND {lon_d} IS NULL", lon, "Longitude is not a number"),
        (f"{_q(lat)} IS NOT NULL AND {lat_d} IS NULL", lat, "Latitude is not a number"),
        (
            f"({_q(lon)} IS NULL) <> ({_q(lat)} IS NULL)",
            lat,
            "only one of Longitude/Latitude given",
        ),
        (
            f"NOT ({lon_d} BETWEEN {LON_RANGE[0]} AND {LON_RANGE[1]})",
            lon,
            f"Longitude outside England and Wales ({LON_RANGE[0]:g}..{LON_RANGE[1]:g})",
        ),
        (
            f"NOT ({lat_d} BETWEEN {LAT_RANGE[0]} AND {LAT_RANGE[1]})",
            lat,
            f"Latitude outside England and Wales ({LAT_RANGE[0]:g}..{LAT_RANGE[1]:g})",
        ),
    ]


def _month_checks() -> list[tuple[str, str, str]]:
    """Month rules; ``_fm`` is the file name's month (NULL when the name has none)."""
    pattern = "NOT coalesce(regexp_full_match(\"Month\", '[0-9]{4}-(0[1-9]|1[0-2])'), false)"
    # the cheap equality decides almost every row; the pattern runs only on the others
    differs = '"Month" IS DISTINCT FROM _fm'
    return [
        (f"(_fm IS NULL OR {differs}) AND {pattern}", "Month", "Month is not YYYY-MM"),
        (f"_fm IS NOT NULL AND {differs}", "Month", "Month differs from the file name's month"),
    ]


def _bool_sql(col: str) -> str:
    return f"CASE {_q(col)} WHEN 'True' THEN true WHEN 'False' THEN false END"


def _rules(spec: _Spec) -> list[tuple[str, str, str]]:
    """Ordered (SQL condition, column, reason); the first that holds is a row's reason.

    Per-file values are columns of the scan: ``_fm`` the file name's month (NULL when the name
    has none), ``_lon``/``_lat`` the coordinates as DOUBLE.
    """
    if spec.kind == "police_uk_stop_search":
        ts = 'TRY_CAST("Date" AS TIMESTAMPTZ)'
        rules = [
            ('"Date" IS NULL OR ' + ts + " IS NULL", "Date", "Date is not an ISO timestamp"),
            (
                # NULL (never true) when the file name has no month
                f"strftime(timezone('Europe/London', {ts}), '%Y-%m') <> _fm",
                "Date",
                "Date is outside the file name's month (UK time)",
            ),
        ]
        rules += _coordinate_checks("Longitude", "Latitude")
        for col in (
            "Part of a policing operation",
            "Outcome linked to object of search",
            "Removal of more than just outer clothing",
        ):
            rules.append(
                (f"{_q(col)} IS NOT NULL AND {_bool_sql(col)} IS NULL", col, "not True/False")
            )
        return rules
    rules = _month_checks()
    rules += _coordinate_checks("Longitude", "Latitude")
    rules.append(('"Falls within" IS NULL', "Falls within", "Falls within is missing"))
    if spec.kind == "police_uk_street":
        rules.append(('"Crime type" IS NULL', "Crime type", "Crime type is missing"))
    return rules


def _select_sql(spec: _Spec) -> str:
    """Output columns (warehouse names, without easting/northing) from the raw VARCHAR table
    (``_slug``: the force slug of the file name, used by stop and search)."""
    month = "TRY_CAST(\"Month\" || '-01' AS DATE)"
    lonlat = "_lon AS longitude, _lat AS latitude"
    common = (
        f'"Crime ID" AS crime_id, {month} AS month, "Reported by" AS reported_by, '
        f'"Falls within" AS falls_within, {lonlat}'
    )
    loc = '"Location" AS location, "LSOA code" AS lsoa_code, "LSOA name" AS lsoa_name'
    if spec.kind == "police_uk_street":
        return (
            f'{common}, {loc}, "Crime type" AS crime_type, '
            '"Last outcome category" AS last_outcome, "Context" AS context'
        )
    if spec.kind == "police_uk_outcomes":
        return f'{common}, {loc}, "Outcome type" AS outcome_type'
    ts = 'TRY_CAST("Date" AS TIMESTAMPTZ)'
    return (
        "_slug AS force, "
        f"CAST(date_trunc('month', timezone('Europe/London', {ts})) AS DATE) AS month, "
        f'"Type" AS search_type, {ts} AS searched_at, '
        f"{_bool_sql('Part of a policing operation')} AS part_of_operation, "
        '"Policing operation" AS operation, '
        "_lat AS latitude, _lon AS longitude, "
        '"Gender" AS gender, "Age range" AS age_range, '
        '"Self-defined ethnicity" AS self_defined_ethnicity, '
        '"Officer-defined ethnicity" AS officer_defined_ethnicity, "Legislation" AS legislation, '
        '"Object of search" AS object_of_search, "Outcome" AS outcome, '
        f"{_bool_sql('Outcome linked to object of search')} AS outcome_linked_to_object, "
        f"{_bool_sql('Removal of more than just outer clothing')} AS outer_clothing_removed"
    )


_LOCAL = threading.local()


def _connect() -> duckdb.DuckDBPyConnection:
    """This thread's private in-memory DuckDB connection (reused: connecting costs ~10 ms)."""
    settings = get_settings()
    key = (settings.threads, settings.memory_limit)
    cached: tuple[tuple[int, str], duckdb.DuckDBPyConnection] | None = getattr(_LOCAL, "con", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": settings.threads,
            "memory_limit": settings.memory_limit,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        },
    )
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # never drawn on stdout
    _LOCAL.con = (key, con)
    return con


@cache
def _to_bng() -> Any:
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)


def to_british_national_grid(
    longitude: np.ndarray, latitude: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude (WGS 84) → easting/northing (EPSG:27700), NaN where input is NaN.

    Each distinct (longitude, latitude) pair is transformed once (police.uk points are snapped
    to a limited set of map points, so this is several times faster than transforming every row).

    Parameters
    ----------
    longitude, latitude : numpy.ndarray
        float64 arrays of equal length; NaN marks a missing point.

    Returns
    -------
    tuple of numpy.ndarray
        Easting and northing in metres (float64), NaN where the input point is missing.
    """
    lon = np.asarray(longitude, dtype=np.float64)
    lat = np.asarray(latitude, dtype=np.float64)
    east = np.full(lon.shape, np.nan)
    north = np.full(lon.shape, np.nan)
    ok = ~(np.isnan(lon) | np.isnan(lat))
    if not ok.any():
        return east, north
    pairs = np.empty(int(ok.sum()), dtype=[("x", "f8"), ("y", "f8")])
    pairs["x"], pairs["y"] = lon[ok], lat[ok]
    codes, uniques = pd.factorize(pairs.view(np.complex128))
    ux, uy = _to_bng().transform(uniques.real, uniques.imag)
    east[ok] = np.asarray(ux)[codes]
    north[ok] = np.asarray(uy)[codes]
    return east, north


# ----------------------------------------------------------------------------------------------
# Reading one CSV


@dataclass
class _Part:
    table: pa.Table
    rows_read: int
    rejections: list[Rejection]
    no_location: int
    asb_without_id: int
    other_without_id: int
    repeated_kept: int


def _physical_lines(member: _Member, skipped: set[int]) -> tuple[list[int], dict[int, str]]:
    """Physical line numbers of the data rows DuckDB returned, in order, and their raw text.

    DuckDB skips blank lines and removes the lines it rejected; the remaining data lines map to
    its output rows one to one (police.uk files have no line breaks inside fields). Only called
    when a row is rejected by a rule, so the Python pass over the file is off the fast path.
    """
    lines: list[int] = []
    text: dict[int, str] = {}
    with open_data(member.disk, member.label or member.disk) as fh:
        for number, raw in enumerate(fh, start=1):
            if number == 1 or number in skipped:
                continue
            line = raw.rstrip(b"\r\n")
            if not line.strip():
                continue
            lines.append(number)
            text[number] = line.decode("utf-8", errors="replace")
    return lines, text


@dataclass(frozen=True)
class _Item:
    """A member that passed :func:`_preflight`, ready for the batch query."""

    member: _Member
    where: str
    file_month: str | None
    slug: str
    lines: _Lines | None  # physical lines, header included (None: not counted yet)


def _preflight(spec: _Spec, member: _Member, where: str) -> _Item:
    """Checks made before parsing (empty file, header, gzip integrity)."""
    check_regular_file(member.disk, where)
    header = _header_of(member.disk, where)
    _validate_header(where, header, spec)
    lines = _check_gzip(member.disk, where) if member.gz else None
    file_month, slug, _ = _name_parts(member.name)
    if slug is None:
        slug = re.sub(r"[^a-z0-9]+", "-", Path(member.name).stem.lower()).strip("-") or "unknown"
    return _Item(member, where, file_month, slug, lines)


def _read_members(
    con: duckdb.DuckDBPyConnection, spec: _Spec, members: Sequence[tuple[_Member, str]]
) -> list[_Part | VrkitError]:
    """Parse CSVs (each with the name used in its errors); one result per member, in order.

    All members of one compression are parsed by ONE DuckDB query (``read_csv`` of the list,
    parallel across files); each row carries its file's index, so reports, rejections and line
    numbers are exactly those of reading the files one by one.
    """
    out: list[_Part | VrkitError | None] = [None] * len(members)
    groups: dict[bool, list[tuple[int, _Item]]] = {}
    first: dict[str, int] = {}  # a file listed twice is parsed once
    for k, (member, where) in enumerate(members):
        if str(member.disk) in first:
            continue
        try:
            item = _preflight(spec, member, where)
        except VrkitError as exc:
            out[k] = exc
            continue
        first[str(member.disk)] = k
        groups.setdefault(member.gz, []).append((k, item))
    for group in groups.values():
        for (k, _), res in zip(group, _scan(con, spec, [it for _, it in group]), strict=True):
            out[k] = res
    for k, (member, _) in enumerate(members):
        if out[k] is None:
            out[k] = out[first[str(member.disk)]]
    return [r for r in out if r is not None]


_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vrkit-police-uk-lines")


def _plain_line_counts(items: Sequence[_Item]) -> list[_Lines | None]:
    """Physical line counts (header included) and first NUL line of the items; gzip ones are
    already counted by :func:`_preflight`."""
    out: list[_Lines | None] = []
    for it in items:
        if it.lines is not None:
            out.append(it.lines)
            continue
        try:
            with it.member.disk.open("rb", buffering=0) as fh:
                out.append(_count_lines(fh))
        except OSError:
            out.append(None)  # unreadable now: DuckDB's own error names it
    return out


def _per_file(values: Sequence[str | None]) -> str:
    """SQL giving each row its file's value: a list literal indexed by the scan's
    ``file_index`` (the file's position in the ``read_csv`` list). O(1) a row, where a
    ``CASE filename WHEN …`` over every file costs a string comparison per file and row."""
    items = ", ".join("NULL::VARCHAR" if v is None else _lit(v) for v in values)
    return f"[{items}][file_index::BIGINT + 1]"


def _overlong_lines(member: _Member, reported: set[int]) -> list[int]:
    """Data lines longer than DuckDB's maximum line size that its reader did not report.

    DuckDB rejects (and reports) lines from :data:`MAX_LINE_BYTES` to about its 32 MiB buffer,
    but skips a longer unquoted line without a trace; this pass finds those lines so they are
    rejected and counted like the others.
    """
    found = []
    with open_data(member.disk, member.label or member.disk) as fh:
        for number, raw in enumerate(fh, start=1):
            if number > 1 and number not in reported and len(raw.rstrip(b"\r\n")) > MAX_LINE_BYTES:
                found.append(number)
    return found


def _scan(
    con: duckdb.DuckDBPyConnection, spec: _Spec, items: list[_Item], *, nul_rule: bool = False
) -> list[_Part | VrkitError]:
    """One ``read_csv`` over ``items`` (all plain or all gzip): rules, conversions, rejections.

    Every file's physical lines are counted (while DuckDB parses) and must match the rows read
    plus the header: a batch file that does not is parsed again on its own, and a lone file's
    lines that DuckDB skipped without a trace (over about 32 MiB) are found and rejected. A file
    holding a NUL byte is parsed again with ``nul_rule``, which rejects each row holding one.
    """
    cols = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in spec.columns) + "}"
    rules = _rules(spec)
    if nul_rule:
        rules = [(f"contains({_q(c)}, chr(0))", c, REASON_NUL) for c in spec.columns] + rules
    reason_sql = "CASE " + " ".join(f"WHEN {c} THEN {k}" for k, (c, _, _) in enumerate(rules))
    reason_sql += " END"
    gz = items[0].member.gz
    # line counts of plain files, counted while DuckDB parses
    counting = _POOL.submit(_plain_line_counts, items)
    # a hash of the Crime ID finds candidate repeats without hashing the strings in Python
    hash_sql = ', hash("Crime ID") AS _h' if spec.kind != "police_uk_stop_search" else ""
    con.execute("DROP TABLE IF EXISTS rej")
    con.execute("DROP TABLE IF EXISTS rej_scan")
    with _literal_paths([it.member.disk for it in items]) as disks:
        names = [str(d) for d in disks]
        files = "[" + ", ".join(_lit(n) for n in names) + "]"
        month_sql = _per_file([it.file_month for it in items])
        slug_sql = _per_file([it.slug for it in items])
        try:
            # one pass: parse, apply every rule, convert; rows come back in file order
            table = con.execute(
                f"""SELECT {_select_sql(spec)}, {reason_sql} AS _reason, _f{hash_sql} FROM (
                        SELECT *, TRY_CAST("Longitude" AS DOUBLE) AS _lon,
                            TRY_CAST("Latitude" AS DOUBLE) AS _lat,
                            file_index::INTEGER AS _f, {month_sql} AS _fm, {slug_sql} AS _slug
                        FROM read_csv(
                            {files}, columns={cols}, header=true, auto_detect=false,
                            delim=',', quote='"', escape='"', strict_mode=true,
                            max_line_size={MAX_LINE_BYTES},
                            compression={"'gzip'" if gz else "'none'"},
                            store_rejects=true, rejects_table='rej', rejects_scan='rej_scan'))"""
            ).to_arrow_table()
            dd = con.execute(
                "SELECT s.file_path, r.line, any_value(r.error_type::VARCHAR), "
                "any_value(r.csv_line) FROM rej r JOIN rej_scan s USING (scan_id, file_id) "
                "GROUP BY s.file_path, r.line ORDER BY s.file_path, r.line"
            ).fetchall()
        except duckdb.Error as exc:
            counting.result()
            if len(items) > 1:  # find the file: parse each on its own
                return [_scan(con, spec, [it], nul_rule=nul_rule)[0] for it in items]
            raise_as = SourceError(
                items[0].where,
                f"cannot parse as CSV: {exc}",
                hint="Is this an unmodified police.uk file?",
            )
            return [raise_as]
    line_info = counting.result()

    n_items = len(items)
    position = {name: k for k, name in enumerate(names)}
    parse_rej: list[list[Rejection]] = [[] for _ in items]
    for file_path, line, etype, raw in dd:
        k = position[str(file_path)]
        label = items[k].member.label
        parse_rej[k].append(
            Rejection(
                int(line),
                None,
                _DUCKDB_REASONS.get(str(etype), str(etype).lower()),
                _shown((f"{label}: " if label else "") + str(raw)),
            )
        )
    returned = np.bincount(
        table["_f"].to_numpy(zero_copy_only=False).astype(np.int64), minlength=n_items
    )
    redo: set[int] = set()  # files to parse again on their own
    for k, info in enumerate(line_info):
        if info is None:
            continue
        if info.nul_line is not None and not nul_rule:
            redo.add(k)
        elif int(returned[k]) + len(parse_rej[k]) + 1 != info.count:
            # Blank lines, a rejected row spanning lines, a rejection DuckDB did not record (in
            # a multi-file scan it can miss a quote left open to the end of a file) or a line it
            # skipped without a trace (over about 32 MiB).
            if n_items > 1:
                redo.add(k)
            else:
                reported = {r.row_number for r in parse_rej[k]}
                for line in _overlong_lines(items[k].member, reported):
                    parse_rej[k].append(Rejection(line, None, REASON_LONG, None))
                parse_rej[k].sort(key=lambda r: r.row_number)
    if n_items == 1 and redo:
        return _scan(con, spec, items, nul_rule=True)

    fidx = table["_f"].to_numpy(zero_copy_only=False).astype(np.int64)
    if len(fidx) > 1 and bool(np.any(fidx[1:] < fidx[:-1])):  # not expected: keep file order
        order = np.argsort(fidx, kind="stable")
        table, fidx = table.take(pa.array(order)), fidx[order]
    counts = np.bincount(fidx, minlength=n_items)
    starts = np.concatenate([[0], np.cumsum(counts)])
    reason = table["_reason"]
    hashes = table["_h"] if hash_sql else None
    table = table.drop_columns(["_reason", "_f", "_h"] if hash_sql else ["_reason", "_f"])

    flagged: dict[int, tuple[str, str]] = {}
    if reason.null_count < len(reason):
        codes = reason.to_numpy(zero_copy_only=False).astype(np.float64)
        for pos in np.flatnonzero(~np.isnan(codes)):
            flagged[int(pos)] = rules[int(codes[pos])][1:]

    repeated = np.zeros(n_items, dtype=np.int64)
    if hashes is not None:
        for k in _files_with_repeated_ids(table["crime_id"], hashes, fidx):
            dups = _exact_repeats(con, table.slice(int(starts[k]), int(counts[k])))
            if spec.kind == "police_uk_street":
                for j in dups:
                    flagged.setdefault(
                        int(starts[k]) + j,
                        ("Crime ID", "duplicate row (same Crime ID, identical content)"),
                    )
            else:
                repeated[k] = len(dups)

    if spec.kind == "police_uk_street":
        lon = table["longitude"].to_numpy(zero_copy_only=False)
        lat = table["latitude"].to_numpy(zero_copy_only=False)
        east, north = to_british_national_grid(lon, lat)
        at = table.schema.get_field_index("latitude") + 1
        table = table.add_column(at, "easting", pa.array(east, from_pandas=True))
        table = table.add_column(at + 1, "northing", pa.array(north, from_pandas=True))

    parse_errors = [len(r) for r in parse_rej]
    rejections = parse_rej  # rule rejections are added below
    if flagged:
        bad = np.fromiter(sorted(flagged), dtype=np.int64)
        keep = np.ones(table.num_rows, dtype=bool)
        keep[bad] = False
        table = table.filter(pa.array(keep))
        bad_of = np.searchsorted(starts, bad, side="right") - 1
        for k in np.unique(bad_of):
            item = items[int(k)]
            lines, text = _physical_lines(item.member, {r.row_number for r in rejections[k]})
            prefix = f"{item.member.label}: " if item.member.label else ""
            for g in bad[bad_of == k]:
                j = int(g - starts[k])
                column, why = flagged[int(g)]
                line = lines[j] if j < len(lines) else j + 2
                rejections[k].append(
                    Rejection(line, column, why, _shown(prefix + text.get(line, "")))
                )
            rejections[k].sort(key=lambda r: r.row_number)
        fidx = fidx[keep]
    kept = np.bincount(fidx, minlength=n_items)
    kept_starts = np.concatenate([[0], np.cumsum(kept)])

    def per_file(mask: pa.ChunkedArray | pa.Array) -> np.ndarray:
        values = np.asarray(mask.to_numpy(zero_copy_only=False), dtype=np.float64)
        return np.bincount(fidx, weights=values, minlength=n_items).astype(np.int64)

    no_loc = per_file(pc.and_(pc.is_null(table["longitude"]), pc.is_null(table["latitude"])))
    asb = other = np.zeros(n_items, dtype=np.int64)
    if spec.kind != "police_uk_stop_search":
        no_id = pc.is_null(table["crime_id"])
        other = per_file(no_id)
        if spec.kind == "police_uk_street":
            is_asb = pc.fill_null(pc.equal(table["crime_type"], "Anti-social behaviour"), False)
            asb = per_file(pc.and_(no_id, is_asb))
            other = other - asb

    out: list[_Part | VrkitError] = []
    for k, item in enumerate(items):
        rows_read = int(counts[k]) + parse_errors[k]
        if k in redo:  # parse this file on its own, exactly as before batching
            info = line_info[k]
            out.append(
                _scan(con, spec, [item], nul_rule=info is not None and info.nul_line is not None)[0]
            )
            continue
        if rows_read == 0:
            out.append(
                SourceError(
                    item.where, "the file has a header but no data rows", hint="Download it again."
                )
            )
            continue
        out.append(
            _Part(
                table.slice(int(kept_starts[k]), int(kept[k])),
                rows_read,
                rejections[k],
                int(no_loc[k]),
                int(asb[k]),
                int(other[k]),
                int(repeated[k]),
            )
        )
    return out


def _files_with_repeated_ids(
    ids: pa.ChunkedArray, hashes: pa.ChunkedArray, fidx: np.ndarray
) -> list[int]:
    """Files (indexes) in which two rows may share a non-empty Crime ID: same file and same
    hash (a hash collision only costs an exact check of that file)."""
    present = ~np.asarray(ids.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if present.sum() < 2:
        return []
    h = np.asarray(hashes.to_numpy(zero_copy_only=False), dtype=np.uint64)[present]
    f = fidx[present]
    key = h + f.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # wraps around: fine
    dup = pd.Series(key).duplicated(keep=False).to_numpy()
    return [int(k) for k in np.unique(f[dup])]


def _may_repeat(ids: pa.ChunkedArray) -> bool:
    """False when no non-empty Crime ID occurs twice (one hash pass; the usual case)."""
    present = len(ids) - ids.null_count
    return present >= 2 and len(pc.unique(ids)) - (1 if ids.null_count else 0) != present


def _exact_repeats(con: duckdb.DuckDBPyConnection, table: pa.Table) -> list[int]:
    """Row positions that repeat an earlier row exactly and have a non-empty ``crime_id``.

    A cheap aggregate on hashed Crime IDs finds candidates (usually none); only those rows are
    compared on every column.
    """
    if not _may_repeat(table["crime_id"]):
        return []
    n = table.num_rows
    view = table.append_column("_j", pa.array(np.arange(n, dtype=np.int64)))
    cols = ", ".join(_q(c) for c in table.column_names)
    con.register("_police_uk_rows", view)
    try:
        rows = con.execute(
            f"""WITH cand AS (
                    SELECT hash(crime_id) AS h FROM _police_uk_rows WHERE crime_id IS NOT NULL
                    GROUP BY h HAVING count(*) > 1
                )
                SELECT _j FROM (
                    SELECT _j, row_number() OVER (PARTITION BY {cols} ORDER BY _j) AS rn
                    FROM _police_uk_rows
                    WHERE crime_id IS NOT NULL AND hash(crime_id) IN (SELECT h FROM cand)
                ) WHERE rn > 1 ORDER BY _j"""
        ).fetchall()
    finally:
        con.unregister("_police_uk_rows")
    return [int(j) for (j,) in rows]


# ----------------------------------------------------------------------------------------------
# Public API


def _kind_for(path: Path) -> _Spec:
    """The format of ``path`` (used by :func:`read_police_uk` when no kind is given)."""
    if path.name.lower().endswith(".zip"):
        for spec in _SPECS.values():
            if _zip_members(path, spec):
                return spec
        raise SourceError(path, "the zip has no data.police.uk CSV members")
    _, _, suffix = _name_parts(logical_name(path))
    for spec in _SPECS.values():
        if suffix == spec.suffix:
            return spec
    header = _header_of(path) if path.exists() else None
    for spec in _SPECS.values():
        if header is not None and _header_matches(header, spec):
            return spec
    raise SourceError(
        path,
        "not a data.police.uk street, outcomes or stop-and-search file",
        hint="Expected a police.uk header such as: " + ", ".join(STREET_COLUMNS[:5]) + ", …",
    )


def read_police_uk(path: str | Path, kind: str | None = None) -> SourceFrames:
    """Read a data.police.uk street, outcomes or stop-and-search file.

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.csv.gz`` or ``.zip`` in the data.police.uk download layout.
    kind : str, optional
        ``"police_uk_street"``, ``"police_uk_outcomes"`` or ``"police_uk_stop_search"``; by
        default detected from the file name or header (for a zip mixing kinds: the first of
        street, outcomes, stop and search that it contains).

    Returns
    -------
    SourceFrames
        One table (``crime_record``, ``crime_outcome`` or ``stop_search``) as a
        :class:`pyarrow.Table` with the warehouse columns (without ``dataset_id``), the
        :class:`~vrkit.sources.base.LoadReport`, and ``replace_key`` ``("falls_within",
        "month")`` (street, outcomes) or ``("force", "month")`` (stop and search).

    Raises
    ------
    SourceError
        Empty, header-only, not CSV, truncated gzip or a zip with no member of this kind.
    DataValidationError
        A column is missing or renamed (the column is named).

    Examples
    --------
    >>> frames = read_police_uk("2020-01-city-of-london-street.csv")  # doctest: +SKIP
    >>> frames.report.summary()  # doctest: +SKIP
    'read 797 · loaded 797 · rejected 0'
    """
    p = Path(path)
    if not p.exists():
        raise SourceError(p, "no such file")
    if kind is not None and kind not in _SPECS:
        raise ValueError(f"unknown police.uk kind {kind!r}; expected one of {sorted(_SPECS)}")
    spec = _SPECS[kind] if kind else _kind_for(p)
    con = _connect()
    with _members(p, spec) as members:
        read = [m for m in members if m.duplicate_of is None]
        results = _read_members(
            con, spec, [(m, f"{p} [{m.label}]" if m.label else str(p)) for m in read]
        )
    parts: list[_Part] = []
    for res in results:
        if isinstance(res, VrkitError):
            raise res
        parts.append(res)
    if len(parts) > 1:
        _check_one_file_per_key(p, spec, [m.label for m in read], parts)
    frames = _frames(p, spec, parts)
    for m in members:
        if m.duplicate_of is not None:
            frames.report.notes.append(
                f"zip member {m.label} is an exact copy of {m.duplicate_of}: read once"
            )
    return frames


def _check_one_file_per_key(path: Path, spec: _Spec, labels: list[str], parts: list[_Part]) -> None:
    """Refuse a zip in which two different members hold the same force and month.

    A download zip has one file per force and month; two versions of one (say an old and a
    corrected file) would otherwise both be loaded and every crime counted twice. Passed as
    separate files, the one loaded last replaces the other, which is the way to choose.
    """
    key = ["force", "month"] if spec.kind == "police_uk_stop_search" else ["falls_within", "month"]
    owner: dict[tuple[object, ...], str] = {}
    for label, part in zip(labels, parts, strict=True):
        distinct = part.table.select(key).group_by(key).aggregate([])
        for k in zip(*(distinct.column(c).to_pylist() for c in key), strict=True):
            if k in owner:
                month = k[1].strftime("%Y-%m") if isinstance(k[1], date) else k[1]
                raise DataValidationError(
                    path,
                    f"members {owner[k]} and {label} both hold {k[0]} {month}; a police.uk "
                    "download has one file per force and month, so loading both would count "
                    "those records twice",
                    hint="Load the version you want as its own file (of two versions of the same "
                    "force and month, the one loaded last replaces the other).",
                )
            owner[k] = label


def read_police_uk_many(paths: Sequence[str | Path], kind: str) -> list[SourceFrames | VrkitError]:
    """Read several files of one police.uk kind; per path, what :func:`read_police_uk` gives.

    Plain ``.csv`` files (and, separately, ``.csv.gz`` files) are parsed by one DuckDB query for
    the whole list, which runs in parallel across files; a zip is read on its own. Each result
    is the :class:`SourceFrames` that ``read_police_uk(path, kind)`` returns, or the error it
    would raise (:class:`~vrkit.errors.VrkitError`), so one bad file never affects the others.
    """
    if kind not in _SPECS:
        raise ValueError(f"unknown police.uk kind {kind!r}; expected one of {sorted(_SPECS)}")
    spec = _SPECS[kind]
    out: list[SourceFrames | VrkitError | None] = [None] * len(paths)
    batch: list[tuple[int, Path, _Member]] = []
    for k, path in enumerate(paths):
        p = Path(path)
        lower = p.name.lower()
        if lower.endswith(".zip") or not p.exists():
            try:
                out[k] = read_police_uk(p, kind)
            except VrkitError as exc:
                out[k] = exc
            continue
        batch.append((k, p, _Member(p, "", logical_name(p), lower.endswith(".gz"))))
    if batch:
        results = _read_members(_connect(), spec, [(m, str(p)) for _, p, m in batch])
        for (k, p, _), res in zip(batch, results, strict=True):
            out[k] = res if isinstance(res, VrkitError) else _frames(p, spec, [res])
    return [r for r in out if r is not None]


def _frames(path: Path, spec: _Spec, parts: list[_Part]) -> SourceFrames:
    table = parts[0].table if len(parts) == 1 else pa.concat_tables([x.table for x in parts])
    report = LoadReport(path=path, source_kind=spec.kind)
    report.rows_read = sum(x.rows_read for x in parts)
    report.rows_loaded = table.num_rows
    report.rejections = [r for x in parts for r in x.rejections]
    if table.num_rows:
        lo, hi = pc.min_max(table["month"]).values()
        report.covers_from, report.covers_to = lo.as_py(), hi.as_py()
        assert isinstance(report.covers_from, date)
    _add_notes(
        report,
        spec,
        no_loc=sum(x.no_location for x in parts),
        asb=sum(x.asb_without_id for x in parts),
        other=sum(x.other_without_id for x in parts),
        repeated=sum(x.repeated_kept for x in parts),
        members=len(parts),
    )
    key = ("force", "month") if spec.kind == "police_uk_stop_search" else ("falls_within", "month")
    tables: dict[str, Any] = {spec.table: table}
    return SourceFrames(report=report, tables=tables, replace_key=key)


def _add_notes(
    report: LoadReport,
    spec: _Spec,
    *,
    no_loc: int,
    asb: int,
    other: int,
    repeated: int,
    members: int,
) -> None:
    """The report's notes (kept rows worth knowing about, rejection reasons), in one order for
    every path that reads these files."""
    if no_loc:
        what = "searches have" if spec.kind == "police_uk_stop_search" else "rows have"
        report.notes.append(f"{no_loc:,} {what} no location (kept)")
    if asb:
        report.notes.append(f"{asb:,} anti-social behaviour rows without Crime ID (kept)")
    if other:
        report.notes.append(f"{other:,} rows without Crime ID (kept)")
    if repeated:
        report.notes.append(
            f"{repeated:,} rows repeat an earlier row exactly (kept: one crime can have the same "
            "outcome more than once, e.g. for several suspects)"
        )
    if spec.kind == "police_uk_stop_search":
        report.notes.append("force is the slug in the file name (no force column in the file)")
    if members > 1:
        report.notes.append(f"{members} {spec.suffix} files read from the zip")
    reasons = Counter(r.reason for r in report.rejections)
    if reasons:
        report.notes.append(
            "rejected: " + ", ".join(f"{k} {v:,}" for k, v in reasons.most_common())
        )


# ----------------------------------------------------------------------------------------------
# The warehouse's native street path: planned here, run by the store in its own DuckDB


@dataclass(frozen=True)
class StreetScan:
    """A validated scan of plain street CSVs, as SQL the warehouse runs in its own connection.

    ``sql`` is one ``SELECT`` over ``read_csv`` of ``paths`` (a row's file is ``_f``, its
    position in ``paths``): the ``crime_record`` columns without ``dataset_id``, ``easting``
    and ``northing``, plus ``_reason``, the index of the first rule the row breaks (NULL for a
    valid row), computed by exactly the rules and conversions of :func:`read_police_uk`.
    Malformed lines go to the reader's temporary tables ``rejects_table`` and
    ``rejects_scan``. Nothing here touches a warehouse (sources never do): the store runs the
    SQL, and reads with :func:`read_police_uk_many` every file the scan cannot take whole.
    """

    paths: tuple[Path, ...]
    sql: str
    rejects_table: str
    rejects_scan: str


_STREET_REJ, _STREET_REJ_SCAN = "_street_rej", "_street_rej_scan"


def plan_street_scan(paths: Sequence[Path]) -> tuple[StreetScan | None, list[int]]:
    """The native scan of ``paths`` and the positions it leaves to :func:`read_police_uk_many`.

    Plain ``.csv`` files whose header is exactly the street header are scanned; a zip, a gzip,
    a path with glob characters, a missing or irregular file or a wrong header is left to the
    Python reader (which gives its error, or reads it). Only the first line of each file is read.
    """
    spec = _SPECS["police_uk_street"]
    scanned: list[Path] = []
    months: list[str | None] = []
    left: list[int] = []
    for k, path in enumerate(paths):
        p = Path(path)
        if not p.name.lower().endswith(".csv") or _GLOB.search(str(p)):
            left.append(k)
            continue
        try:
            item = _preflight(spec, _Member(p, "", logical_name(p), False), str(p))
        except VrkitError:
            left.append(k)
            continue
        scanned.append(p)
        months.append(item.file_month)
    if not scanned:
        return None, left
    cols = "{" + ", ".join(f"{_lit(c)}: 'VARCHAR'" for c in spec.columns) + "}"
    rules = _rules(spec)
    reason_sql = "CASE " + " ".join(f"WHEN {c} THEN {k}" for k, (c, _, _) in enumerate(rules))
    files = "[" + ", ".join(_lit(str(p)) for p in scanned) + "]"
    sql = f"""SELECT {_select_sql(spec)}, {reason_sql} END AS _reason, _f FROM (
            SELECT *, TRY_CAST("Longitude" AS DOUBLE) AS _lon,
                TRY_CAST("Latitude" AS DOUBLE) AS _lat,
                file_index::INTEGER AS _f, {_per_file(months)} AS _fm
            FROM read_csv(
                {files}, columns={cols}, header=true, auto_detect=false,
                delim=',', quote='"', escape='"', strict_mode=true,
                max_line_size={MAX_LINE_BYTES}, compression='none',
                store_rejects=true, rejects_table='{_STREET_REJ}',
                rejects_scan='{_STREET_REJ_SCAN}'))"""
    return StreetScan(tuple(scanned), sql, _STREET_REJ, _STREET_REJ_SCAN), left


def count_physical_lines(paths: Sequence[Path]) -> list[tuple[int, bool] | None]:
    """Per file: physical lines (header included) and whether it holds a NUL byte; None when
    it cannot be read. The native path takes a file only when lines = rows + 1."""
    out: list[tuple[int, bool] | None] = []
    for p in paths:
        try:
            with Path(p).open("rb", buffering=0) as fh:
                info = _count_lines(fh)
        except OSError:
            out.append(None)
            continue
        out.append((info.count, info.nul_line is not None))
    return out


def street_report(
    path: Path,
    *,
    rows: int,
    covers: tuple[date, date],
    no_location: int,
    asb_without_id: int,
    other_without_id: int,
) -> LoadReport:
    """The report :func:`read_police_uk` gives for a street file whose every row is valid."""
    spec = _SPECS["police_uk_street"]
    report = LoadReport(path=path, source_kind=spec.kind, rows_read=rows, rows_loaded=rows)
    report.covers_from, report.covers_to = covers
    _add_notes(
        report,
        spec,
        no_loc=no_location,
        asb=asb_without_id,
        other=other_without_id,
        repeated=0,
        members=1,
    )
    return report


class _PoliceUkAdapter(SourceAdapter):
    """Shared sniff/read of the three police.uk formats."""

    record_level: ClassVar[bool] = True
    spec: ClassVar[_Spec]

    def sniff(self, probe: Probe) -> bool:
        """Recognise the header (lenient: one or two renamed columns still match) or a zip member."""
        if probe.name.endswith(".zip"):
            try:
                return bool(_zip_members(probe.path, self.spec))
            except SourceError:
                return False
        if probe.header is None:
            return False
        return _header_matches(probe.header, self.spec)

    def read(self, path: Path) -> SourceFrames:
        """Read ``path`` (see :func:`read_police_uk`)."""
        return read_police_uk(path, kind=self.kind)

    def read_many(self, paths: Sequence[Path]) -> list[SourceFrames | VrkitError]:
        """Read a batch in one DuckDB query (see :func:`read_police_uk_many`)."""
        return read_police_uk_many(paths, self.kind)


class PoliceUkStreetAdapter(_PoliceUkAdapter):
    """data.police.uk street-level crime → ``crime_record``."""

    kind = "police_uk_street"
    description = _SPECS[kind].description
    spec = _SPECS[kind]


class PoliceUkOutcomesAdapter(_PoliceUkAdapter):
    """data.police.uk outcomes → ``crime_outcome``."""

    kind = "police_uk_outcomes"
    description = _SPECS[kind].description
    spec = _SPECS[kind]


class PoliceUkStopSearchAdapter(_PoliceUkAdapter):
    """data.police.uk stop and search → ``stop_search``."""

    kind = "police_uk_stop_search"
    description = _SPECS[kind].description
    spec = _SPECS[kind]


ADAPTERS: list[SourceAdapter] = [
    PoliceUkStreetAdapter(),
    PoliceUkOutcomesAdapter(),
    PoliceUkStopSearchAdapter(),
]

"""A&E assault attendances: the Information Sharing to Tackle Violence (ISTV) minimum data set.

The standard (ISB 1594, NHS Data Dictionary *Information Sharing to Tackle Violence Minimum Data
Set*) has a **submission header** — REPORTING PERIOD START DATE, REPORTING PERIOD END DATE, SITE
CODE (OF TREATMENT) — and per **assault** attendance: ARRIVAL DATE AND TIME AT ACCIDENT AND
EMERGENCY DEPARTMENT (required), ASSAULT DATE AND TIME (mandatory), ASSAULT METHOD (mandatory,
coded), ASSAULT METHOD OTHER DESCRIPTION (required, free text), ASSAULT LOCATION TYPE
(mandatory, coded) and ASSAULT LOCATION DESCRIPTION (required, free text). It carries no personal
identifiers. The standard's XML schema is distributed through TRUD only; departments in practice
send spreadsheets, so vrkit reads this CSV/XLSX layout (kind ``istv``)::

    ISTV submission,ISB 1594
    site_code,RJ122
    department,King's College Hospital ED
    reporting_period_start,2023-01-01
    reporting_period_end,2023-01-31
    record_count,2
    submitted_on,2023-02-06
    synthetic,yes
    <blank line>
    arrival_datetime,assault_datetime,assault_method,assault_method_other_description,assault_location_type,assault_location_description
    2023-01-03 22:15,2023-01-03 21:40,01,,03,outside the Red Lion Coldharbour Lane
    2023-01-04 02:05,2023-01-04 01:30,04,,02,bus stop walworth rd

An ``.xlsx`` workbook with a sheet named ``ISTV submission`` holds the same rows from cell A1.
The ``department`` line is accepted and not stored (free text).
The data dictionary's element names (``ASSAULT DATE AND TIME`` …) are accepted as column names,
in any case. Optional record columns: ``postcode_sector`` (e.g. ``SE5 9``), ``easting`` and
``northing`` (British National Grid metres) of the assault location. ``submitted_on`` (optional)
marks late files; ``synthetic`` marks files written by ``vrkit synth``.

Codes
-----
The code lists live in ``catalog/istv_codes.csv`` (``assault_method`` 01 body part, 02 blunt
object, 03 glass or bottle, 04 knife or other sharp object, 05 firearm, 06 other, 99 not known;
``assault_location_type`` 01 home, 02 street/public open space, 03 licensed premises, 04 other
commercial premises, 05 public transport, 06 workplace, 07 school/college/university, 08 park or
open land, 09 prison or custody, 10 other, 99 not known). The national code values are published
with the TRUD schema, which could not be consulted here: the catalogue follows the data set's
categories and is the one place to change if a partnership uses other values. ``1`` is read as
``01``.

Validation
----------
Whole-file rules (the file is refused, so it can never replace a good earlier submission of the
same department and month): header keys present; a valid site code; the reporting period is one
calendar month; ``record_count`` equals the records in the file; the record columns are present;
at least one record, or ``record_count`` 0; no more than half of the records rejected.

Record rules (the record is rejected, the others load): the right number of fields; assault
date/time present and valid; arrival date/time valid when given; assault method and location type
are codes of the list; arrival within the reporting period (or, without arrival, the assault
within it); the assault not after arrival and at most :data:`MAX_DAYS_ASSAULT_TO_ARRIVAL` days
before it; easting/northing, when given, numbers inside Great Britain.

Personal identifiers
--------------------
Pattern-stripping cannot catch every name, so nothing written by vrkit holds a value a person
typed freely (issue #10). In memory, before any frame, rejection or message exists:

- the free-text fields (assault method other description, location description) are reduced to
  what the analysis needs: whether the location text names a place at all
  (``location_text_usable``) and its best match in the partnership's gazetteer (``place_name``,
  ``place_easting``, ``place_northing``, ``place_area_code``, ``place_confidence``; the
  ``gazetteer`` setting, ``VRKIT_GAZETTEER``). The text itself is never stored. Without a
  gazetteer the match columns are empty and the report says so;
- the department name (free text) is not stored: departments are their ODS site code;
- only parsed values are kept from the other fields (dates, codes, numbers, a postcode *sector*);
- rejections and errors give the line, the column and the reason, never a value or a raw line;
- the file's name and folders are never stored or shown: the dataset registry, listings, results
  and messages name the file "ISTV <site> <month> sha256:<first 12 hex digits of its bytes>" (or
  "ISTV file sha256:…" before its header is read), which ``sha256sum`` finds again;
- columns and header lines that look like identifiers (:mod:`vrkit.sources.pii`, by name or
  value pattern) are reported in the ``exclusions`` by position and kind, never by value, so a
  department can stop sending them.

Revisions
---------
A re-submission for the same site and month replaces the earlier one (warehouse replace key
``site_code, month`` on ``istv_submission`` and ``istv_attendance``); the file loaded last wins.
A re-submission with no records replaces the submission row only, so analyses read attendances
through :func:`vrkit.analysis.health.istv_records`, which keeps only those of the current
submission.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa

from vrkit.catalog import load_csv
from vrkit.catalog.gazetteer import Gazetteer, match_locations, place_text_usable
from vrkit.errors import DataValidationError, SourceError, VrkitError
from vrkit.sources import pii
from vrkit.sources.base import (
    LoadReport,
    Probe,
    Rejection,
    SourceAdapter,
    SourceFrames,
    csv_error_reason,
    decode_text,
    logical_name,
    read_bytes,
    sha256_file,
)
from vrkit.sources.files import open_workbook

KIND = "istv"
#: first cell of a submission (CSV line 1, or A1 of the workbook sheet)
MARKER = "istv submission"
SHEET = "ISTV submission"
#: an assault this long before arrival is treated as a keying error
MAX_DAYS_ASSAULT_TO_ARRIVAL = 31
#: a file with a larger share of rejected records is refused whole
MAX_REJECTED_SHARE = 0.5
#: British National Grid extent of Great Britain (metres)
BNG_BOUNDS = (0.0, 700_000.0, 0.0, 1_300_000.0)

# record column → accepted names (normalised: lower case, non-alphanumerics → "_")
_ALIASES: dict[str, tuple[str, ...]] = {
    "arrival_datetime": (
        "arrival_datetime",
        "arrival_date_and_time",
        "arrival_date_and_time_at_accident_and_emergency_department",
        "arrival_date_time",
    ),
    "assault_datetime": ("assault_datetime", "assault_date_and_time", "assault_date_time"),
    "assault_method": ("assault_method", "assault_method_code"),
    "assault_method_other": (
        "assault_method_other_description",
        "assault_method_other",
        "assault_method_description",
    ),
    "location_type": ("assault_location_type", "location_type", "assault_location_type_code"),
    "location_description": (
        "assault_location_description",
        "location_description",
        "assault_location",
    ),
    "postcode_sector": ("postcode_sector",),
    "easting": ("easting",),
    "northing": ("northing",),
}
_REQUIRED = ("assault_datetime", "assault_method", "location_type")

_HEADER_KEYS: dict[str, tuple[str, ...]] = {
    "site_code": ("site_code", "site_code_of_treatment", "site"),
    "department": ("department", "department_name", "site_name"),
    "period_start": ("reporting_period_start", "reporting_period_start_date", "period_start"),
    "period_end": ("reporting_period_end", "reporting_period_end_date", "period_end"),
    "record_count": ("record_count", "records", "number_of_records"),
    "submitted_on": ("submitted_on", "submission_date", "date_submitted"),
    "synthetic": ("synthetic",),
}
_SITE_CODE = re.compile(r"^[A-Z0-9]{3,6}$")
_SECTOR = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9]$")

REASON_FIELDS = "wrong number of fields"
REASON_ASSAULT_DT = "assault date/time missing or not a date and time"
REASON_ARRIVAL_DT = "arrival date/time is not a date and time"
REASON_METHOD = "assault method is not a code of the list"
REASON_LOCATION = "assault location type is not a code of the list"
REASON_PERIOD = "arrival (or assault) is outside the reporting period"
REASON_ORDER = "assault is after arrival"
REASON_GAP = f"assault more than {MAX_DAYS_ASSAULT_TO_ARRIVAL} days before arrival"
REASON_COORDS = "easting/northing are not numbers inside Great Britain"
REASON_SECTOR = "postcode sector is not a sector (e.g. SE5 9)"
REASON_PII = "a coded field holds a personal identifier (record rejected, value not kept)"

#: columns of the ``istv_attendance`` frame (no free text: see the module docstring)
ATTENDANCE_COLUMNS: tuple[str, ...] = (
    "site_code",
    "month",
    "row_number",
    "arrival_at",
    "assault_at",
    "assault_method",
    "location_type",
    "location_text_usable",
    "postcode_sector",
    "easting",
    "northing",
    "place_name",
    "place_easting",
    "place_northing",
    "place_area_code",
    "place_confidence",
)


def codes(element: str) -> dict[str, str]:
    """Code → label for ``assault_method`` or ``assault_location_type`` (catalogue)."""
    return {r["code"]: r["label"] for r in load_csv("istv_codes.csv") if r["element"] == element}


def unusable_codes(element: str) -> frozenset[str]:
    """Codes that carry no information (``99`` not known)."""
    return frozenset(
        r["code"]
        for r in load_csv("istv_codes.csv")
        if r["element"] == element and r["usable"] != "true"
    )


def _norm_code(value: str) -> str:
    v = value.strip()
    return v.zfill(2) if v.isdigit() and len(v) < 2 else v


def parse_datetime(value: str) -> datetime | None:
    """``2023-01-03 22:15`` (ISO, ``T`` allowed, seconds optional) or ``03/01/2023 22:15``."""
    v = value.strip()
    if not v:
        return None
    try:
        return datetime.fromisoformat(v)
    except ValueError:
        pass
    for fmt in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"):
        try:
            return datetime.strptime(v, fmt)
        except ValueError:
            continue
    return None


def _parse_date(value: str) -> date | None:
    dt = parse_datetime(value)
    if dt is not None:
        return dt.date()
    v = value.strip()
    try:
        return datetime.strptime(v, "%d/%m/%Y").date()
    except ValueError:
        return None


def file_label(sha256: str, site: str | None = None, month: date | None = None) -> str:
    """How an ISTV file is named everywhere vrkit names it (never by its own name)."""
    where = f"ISTV {site} {month:%Y-%m}" if site and month else "ISTV file"
    return f"{where} sha256:{sha256[:12]}"


_GAZETTEERS: dict[tuple[str, int, int], Gazetteer] = {}


def configured_gazetteer() -> Gazetteer | None:
    """The gazetteer named by the ``gazetteer`` setting (``VRKIT_GAZETTEER``), or None.

    Read once per file version (path, size, modification time).
    """
    from vrkit.config import get_settings

    path = get_settings().gazetteer
    if path is None:
        return None
    try:
        st = Path(path).stat()
    except OSError:
        return Gazetteer.from_csv(path)  # raises the clear "does not exist" error
    key = (str(Path(path).resolve()), st.st_size, st.st_mtime_ns)
    if key not in _GAZETTEERS:
        _GAZETTEERS.clear()
        _GAZETTEERS[key] = Gazetteer.from_csv(path)
    return _GAZETTEERS[key]


class IstvAdapter(SourceAdapter):
    """ISTV submissions (CSV or XLSX), one department and month per file (record-level).

    Parameters
    ----------
    gazetteer : Gazetteer, optional
        Places to match location descriptions against; default the ``gazetteer`` setting.
    """

    kind = KIND
    description = (
        "ISTV (ISB 1594) A&E assault submission: header lines (site_code, reporting period, "
        "record_count) then one row per attendance; CSV or XLSX sheet 'ISTV submission'"
    )
    record_level = True
    sensitive_names = True

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer

    def label(self, path: Path, sha256: str) -> str:
        return file_label(sha256)

    def sniff(self, probe: Probe) -> bool:
        if probe.header:
            return probe.header[0].strip().lower() == MARKER
        if probe.sheets:
            return any(s.strip().lower() == MARKER for s in probe.sheets)
        return False

    def read(self, path: Path) -> SourceFrames:
        sha = sha256_file(path)
        where = file_label(sha)
        try:
            rows = _read_rows(path, where)
            gazetteer = self.gazetteer if self.gazetteer is not None else configured_gazetteer()
            return parse_submission(path, rows, gazetteer=gazetteer, sha256=sha)
        except VrkitError as exc:
            exc.file_label = where
            raise


def _read_rows(path: Path, where: str) -> list[list[str]]:
    """All rows of the file as lists of strings (CSV or the workbook sheet); errors name
    ``where``, never the file."""
    name = logical_name(path)
    if name.endswith((".xlsx", ".xlsm")):
        return _read_workbook(path, where)
    text = decode_text(where, read_bytes(path, where), ("utf-8-sig", "cp1252"))
    reader = csv.reader(io.StringIO(text))
    try:
        return list(reader)
    except csv.Error as exc:
        raise DataValidationError(
            where, f"cannot be parsed as CSV ({csv_error_reason(exc)})", row=reader.line_num
        ) from None


def _cell_text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M") if (v.hour or v.minute) else v.strftime("%Y-%m-%d")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_workbook(path: Path, where: str) -> list[list[str]]:
    with open_workbook(path, where) as wb:
        sheet = next((wb[s] for s in wb.sheetnames if s.strip().lower() == MARKER), None)
        if sheet is None:
            raise SourceError(where, f"no sheet named {SHEET!r}")
        rows = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    # trailing empty cells of openpyxl rows
    out = []
    for r in rows:
        while r and r[-1] == "":
            r.pop()
        out.append(r)
    return out


def _find_column(names: list[str]) -> dict[str, int]:
    pos: dict[str, int] = {}
    for i, raw in enumerate(names):
        n = pii.normalise_name(raw)
        for col, aliases in _ALIASES.items():
            if n in aliases and col not in pos:
                pos[col] = i
    return pos


@dataclass
class _Header:
    """The submission header (key,value lines up to the first blank line), validated."""

    site: str
    month: date
    last: date
    start: date
    end: date
    declared: int
    submitted: date | None
    synthetic: bool
    #: index of the first row after the header
    end_line: int
    #: identifier kind → header lines dropped unread
    dropped: Counter[str]
    #: how errors name the file (its label, with the site and month once they are checked)
    where: str


@dataclass
class _Records:
    """What parsing the record lines gave: rows kept, rejections and identifier counts."""

    records: list[tuple[object, ...]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    redacted: Counter[str] = field(default_factory=Counter)
    coded_pii: int = 0
    #: the free-text columns present (read in memory only, never stored)
    free_text: list[str] = field(default_factory=list)


def parse_submission(
    path: Path,
    rows: list[list[str]],
    *,
    gazetteer: Gazetteer | None = None,
    sha256: str | None = None,
) -> SourceFrames:
    """Validate one submission given as rows of strings; see the module docstring for the rules.

    Nothing but parsed values, codes, flags and gazetteer matches leaves this function: errors
    and rejections carry positions and reasons only, and name the file by its label
    (:func:`file_label`), never by its path. ``sha256`` is the file's (computed if not given).

    The steps: the submission header (:func:`_parse_header`), the record header and count
    (:func:`_record_lines`), identifying columns (:func:`_strip_identifier_columns`), the records
    (:func:`_parse_records`), the whole-file checks (:func:`_check_rejections`) and the frames
    (:func:`_frames`).
    """
    sha = sha256 or sha256_file(path)
    if not rows or not rows[0] or rows[0][0].strip().lower() != MARKER:
        raise SourceError(file_label(sha), f"line 1 must start with {SHEET!r}")
    exclusions: list[str] = []
    notes: list[str] = []
    head = _parse_header(rows, sha, notes)
    if head.dropped:
        exclusions.append(
            "personal identifiers: "
            + ", ".join(f"{n} header line(s) with {k}" for k, n in head.dropped.items())
            + " dropped before storage (values not kept)"
        )
    names, data, pos = _record_lines(rows, head)
    stripped = _strip_identifier_columns(names, data, pos, notes)
    if stripped:
        exclusions.append(
            "personal identifiers: "
            + "; ".join(stripped)
            + " stripped before storage (values not read into vrkit)"
        )
    parsed = _parse_records(head, names, data, pos, gazetteer)
    if parsed.free_text:
        exclusions.append(
            f"free text ({' and '.join(parsed.free_text)}) not stored: reduced before storage to "
            + (
                "whether the location names a place and its gazetteer match"
                if gazetteer is not None
                else "whether the location names a place (no gazetteer set, so locations are "
                "not matched; set VRKIT_GAZETTEER and ingest again with --force to match them)"
            )
        )
    if parsed.redacted:
        exclusions.append(
            "personal identifiers seen in free text (not stored): "
            + ", ".join(f"{n} {k}" for k, n in sorted(parsed.redacted.items()))
        )
    if parsed.coded_pii:
        exclusions.append(
            f"{parsed.coded_pii} record(s) rejected because a coded field held a personal "
            "identifier (values not kept)"
        )
    _check_rejections(head.where, data, parsed)
    return _frames(path, head, data, parsed, stripped, gazetteer, exclusions, notes)


def _parse_header(rows: list[list[str]], sha: str, notes: list[str]) -> _Header:
    """The key,value lines up to the first blank line, checked; identifying lines dropped
    unread. Notes about the header are appended to ``notes``."""
    where = file_label(sha)
    header: dict[str, str] = {}
    header_line: dict[str, int] = {}  # canonical key -> its 1-based line
    i = 1
    dropped_header: Counter[str] = Counter()
    while i < len(rows) and any(c.strip() for c in rows[i]):
        key_raw = rows[i][0]
        value = rows[i][1].strip() if len(rows[i]) > 1 else ""
        key = pii.normalise_name(key_raw)
        kind = pii.identifier_kind_of_name(key_raw)
        if kind is None and (
            pii.may_contain(value) or any(pii.may_contain(c) for c in rows[i][2:])
        ):
            kind = (pii.identifier_kinds(value) or ["identifier"])[0]
        if kind is not None:
            dropped_header[kind] += 1
        else:
            for canon, aliases in _HEADER_KEYS.items():
                if key in aliases:
                    header[canon] = value
                    header_line[canon] = i + 1
        i += 1
    header_end = i
    for key in ("site_code", "period_start", "period_end", "record_count"):
        if not header.get(key):
            raise DataValidationError(
                where,
                f"the submission header has no {key!r} line",
                row=header_end,
                hint="Lines 2 onwards are key,value pairs: site_code, reporting_period_start, "
                "reporting_period_end, record_count; then a blank line and the records.",
            )
    site = header["site_code"].strip().upper()
    if not _SITE_CODE.match(site):
        raise DataValidationError(
            where,
            "site code (of treatment) must be an ODS site code (3–6 letters/digits, e.g. RJ122)",
            row=header_line["site_code"],
            column="site_code",
        )
    start, end = _parse_date(header["period_start"]), _parse_date(header["period_end"])
    if start is None or end is None:
        bad = "period_start" if start is None else "period_end"
        raise DataValidationError(
            where,
            "reporting period start and end must be dates (YYYY-MM-DD)",
            row=header_line[bad],
            column=f"reporting_{bad}",
        )
    month = start.replace(day=1)
    last = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
    if start != month or end != last:
        raise DataValidationError(
            where,
            "the reporting period must be one calendar month (first to last day)",
            row=header_line["period_start" if start != month else "period_end"],
            column="reporting_period_start" if start != month else "reporting_period_end",
            hint="Send one file per department and month.",
        )
    if not header["record_count"].strip().isdigit():
        raise DataValidationError(
            where,
            "record_count must be a whole number",
            row=header_line["record_count"],
            column="record_count",
        )
    declared = int(header["record_count"].strip())
    where = file_label(sha, site, month)  # the site and month are known (and checked) now
    submitted = _parse_date(header.get("submitted_on", "")) if header.get("submitted_on") else None
    if header.get("submitted_on") and (submitted is None or submitted < start):
        notes.append(
            f"submitted_on (line {header_line['submitted_on']}) is not a date on or after the "
            "start of the reporting period: ignored"
        )
        submitted = None
    synthetic = header.get("synthetic", "").strip().lower() in ("yes", "true", "1", "y")
    if header.get("department"):
        notes.append(
            "department name not stored (free text); the department is its site code " + site
        )
    return _Header(
        site=site,
        month=month,
        last=last,
        start=start,
        end=end,
        declared=declared,
        submitted=submitted,
        synthetic=synthetic,
        end_line=header_end,
        dropped=dropped_header,
        where=where,
    )


def _record_lines(
    rows: list[list[str]], head: _Header
) -> tuple[list[str], list[tuple[int, list[str]]], dict[str, int]]:
    """The record header (column names and the positions of the ISB 1594 columns) and the
    non-blank record lines with their 1-based line numbers; the declared count checked."""
    where, declared = head.where, head.declared
    j = head.end_line
    while j < len(rows) and not any(c.strip() for c in rows[j]):
        j += 1
    if j >= len(rows):
        if declared == 0:
            names: list[str] = []
            data: list[tuple[int, list[str]]] = []
        else:
            raise DataValidationError(
                where,
                f"record_count says {declared} but the file has no records",
                column="record_count",
                hint="The file may be truncated; export it again.",
            )
    else:
        names = [c.strip() for c in rows[j]]
        data = [(j + 2 + k, r) for k, r in enumerate(rows[j + 1 :]) if any(c.strip() for c in r)]
    if names:
        pos = _find_column(names)
        for col in _REQUIRED:
            if col not in pos:
                raise DataValidationError(
                    where,
                    "a required ISTV column is missing or renamed",
                    row=j + 1,
                    column=_ALIASES[col][0],
                    hint="Record columns: arrival_datetime, assault_datetime, assault_method, "
                    "assault_method_other_description, assault_location_type, "
                    "assault_location_description.",
                )
    else:
        pos = {}
    if len(data) != declared:
        raise DataValidationError(
            where,
            f"record_count in the header is {declared} but the file holds {len(data)} records",
            column="record_count",
            hint="A partial or truncated export; send the complete file again.",
        )
    return names, data, pos


def _strip_identifier_columns(
    names: list[str],
    data: list[tuple[int, list[str]]],
    pos: dict[str, int],
    notes: list[str],
) -> list[str]:
    """Columns outside ISB 1594 that identify people (by name, then by value): never read.

    Returns their descriptions (``column 7 (nhs_number)``); other extra columns are noted and
    ignored.
    """
    known = set(pos.values())
    stripped: list[str] = []
    for k, name in enumerate(names):
        if k in known:
            continue
        kind = pii.identifier_kind_of_name(name)
        if kind is None:
            kind = pii.column_looks_identifying(r[k] for _, r in data if k < len(r))
        if kind is not None:
            stripped.append(f"column {k + 1} ({kind})")
        else:
            notes.append(f"column {k + 1} is not part of ISB 1594: ignored")
    return stripped


def _parse_records(
    head: _Header,
    names: list[str],
    data: list[tuple[int, list[str]]],
    pos: dict[str, int],
    gazetteer: Gazetteer | None,
) -> _Records:
    """Validate each record line; keep the valid ones (with their gazetteer match) and count
    the rest as rejections (position and reason only)."""
    out = _Records()
    site, month = head.site, head.month
    methods = codes("assault_method")
    locations = codes("assault_location_type")
    width = len(names)
    keep = sorted(pos.items(), key=lambda kv: kv[1])
    period_lo = datetime.combine(month, datetime.min.time())
    period_hi = datetime.combine(head.last, datetime.max.time())
    gap = timedelta(days=MAX_DAYS_ASSAULT_TO_ARRIVAL)
    ix = {col: k for col, k in keep}
    # (the three required columns are present whenever there are records)
    i_ass, i_arr = ix.get("assault_datetime", 0), ix.get("arrival_datetime")
    i_met, i_loc = ix.get("assault_method", 0), ix.get("location_type", 0)
    i_oth, i_desc = ix.get("assault_method_other"), ix.get("location_description")
    i_sec, i_e, i_n = ix.get("postcode_sector"), ix.get("easting"), ix.get("northing")
    x0, x1, y0, y1 = BNG_BOUNDS

    def cell(row: list[str], k: int | None) -> str:
        return row[k] if k is not None and k < len(row) else ""

    records = out.records
    descriptions: list[str] = []  # free text of the kept records, matched below, then dropped
    for line, row in data:
        # Free text is only read here, in memory: counted for identifiers (kinds, for the
        # report), then reduced below to a usable-text flag and a gazetteer match. A full postcode
        # in the sector column becomes its sector. Rejections keep no value and no raw line.
        other, desc, sector_text = cell(row, i_oth), cell(row, i_desc), cell(row, i_sec)
        for text in (other, desc):
            if text and pii.may_contain(text):
                out.redacted.update(pii.identifier_kinds(text))
        if sector_text and pii.may_contain(sector_text):
            sector_text, found = pii.scrub(sector_text)
            out.redacted.update(found)

        def reject(column: str | None, reason: str, value: str = "", line: int = line) -> None:
            if value and pii.may_contain(value):
                out.coded_pii += 1
                reason = REASON_PII
            out.rejections.append(Rejection(line, column, reason, None))

        if len(row) > width and any(c.strip() for c in row[width:]):
            reject(None, REASON_FIELDS)
            continue
        ass_text = cell(row, i_ass)
        assault = parse_datetime(ass_text)
        if assault is None:
            reject("assault_datetime", REASON_ASSAULT_DT, ass_text)
            continue
        arrival_text = cell(row, i_arr).strip()
        arrival = parse_datetime(arrival_text) if arrival_text else None
        if arrival_text and arrival is None:
            reject("arrival_datetime", REASON_ARRIVAL_DT, arrival_text)
            continue
        method = _norm_code(cell(row, i_met))
        if method not in methods:
            reject("assault_method", REASON_METHOD, method)
            continue
        loc = _norm_code(cell(row, i_loc))
        if loc not in locations:
            reject("assault_location_type", REASON_LOCATION, loc)
            continue
        anchor = arrival if arrival is not None else assault
        if not (period_lo <= anchor <= period_hi):
            reject("arrival_datetime" if arrival is not None else "assault_datetime", REASON_PERIOD)
            continue
        if arrival is not None:
            if assault > arrival:
                reject("assault_datetime", REASON_ORDER)
                continue
            if arrival - assault > gap:
                reject("assault_datetime", REASON_GAP)
                continue
        sector = sector_text.strip().upper() or None
        if sector is not None:
            if not _SECTOR.match(sector):
                reject("postcode_sector", REASON_SECTOR)
                continue
            if " " not in sector:
                sector = f"{sector[:-1]} {sector[-1]}"
        e_text, n_text = cell(row, i_e).strip(), cell(row, i_n).strip()
        easting = northing = None
        if e_text or n_text:
            try:
                easting, northing = float(e_text), float(n_text)
            except ValueError:
                easting = northing = float("nan")
            if not (x0 <= easting <= x1 and y0 <= northing <= y1):  # NaN fails too
                reject("easting", REASON_COORDS, e_text + " " + n_text)
                continue
        records.append(
            (
                site,
                month,
                line,
                arrival,
                assault,
                method,
                loc,
                place_text_usable(desc),
                sector,
                easting,
                northing,
            )
        )
        descriptions.append(desc)
    places = _match_places(descriptions, gazetteer)
    out.records = [r + p for r, p in zip(records, places, strict=True)]
    out.free_text = [
        name
        for name, k in (("assault method description", i_oth), ("location description", i_desc))
        if k is not None
    ]
    return out


def _check_rejections(where: str, data: list[tuple[int, list[str]]], parsed: _Records) -> None:
    """Refuse a file whose records are all, or too many of them, invalid (so that it cannot
    replace an earlier submission)."""
    if data and not parsed.records:
        raise DataValidationError(
            where,
            f"none of the {len(data)} records is valid; the file is refused so that it cannot "
            "replace an earlier submission for this department and month",
            hint=_reasons_hint(parsed.rejections),
        )
    if data and len(parsed.rejections) / len(data) > MAX_REJECTED_SHARE:
        raise DataValidationError(
            where,
            f"{len(parsed.rejections)} of {len(data)} records are invalid (more than "
            f"{MAX_REJECTED_SHARE:.0%}); the file is refused so that it cannot replace an earlier "
            "submission for this department and month",
            hint=_reasons_hint(parsed.rejections),
        )


def _frames(
    path: Path,
    head: _Header,
    data: list[tuple[int, list[str]]],
    parsed: _Records,
    stripped: list[str],
    gazetteer: Gazetteer | None,
    exclusions: list[str],
    notes: list[str],
) -> SourceFrames:
    """The submission and attendance tables and the load report."""
    site, month, submitted = head.site, head.month, head.submitted
    records, rejections = parsed.records, parsed.rejections
    late = submitted is not None and submitted > head.last + timedelta(days=30)
    if late:
        notes.append(f"late submission: sent {submitted} for {month:%Y-%m}")
    if head.synthetic:
        notes.insert(0, "SYNTHETIC data written by `vrkit synth istv`; not real attendances")
    notes.append(
        f"site {site}, {month:%Y-%m}: {len(records):,} of {head.declared:,} records loaded"
    )
    attendance = _attendance_frame(records)
    pii_values = sum(parsed.redacted.values()) + parsed.coded_pii + sum(head.dropped.values())
    submission = pa.table(
        {
            "site_code": pa.array([site], pa.string()),
            "month": pa.array([month], pa.date32()),
            "period_start": pa.array([head.start], pa.date32()),
            "period_end": pa.array([head.end], pa.date32()),
            "submitted_on": pa.array([submitted], pa.date32()),
            "late": pa.array([late], pa.bool_()),
            "declared_records": pa.array([head.declared], pa.int64()),
            "records_loaded": pa.array([len(records)], pa.int64()),
            "records_rejected": pa.array([len(rejections)], pa.int64()),
            "pii_columns_stripped": pa.array([len(stripped)], pa.int32()),
            "pii_values_removed": pa.array([pii_values], pa.int32()),
            "synthetic": pa.array([head.synthetic], pa.bool_()),
            "file_format": pa.array(
                ["xlsx" if logical_name(path).endswith((".xlsx", ".xlsm")) else "csv"], pa.string()
            ),
            "gazetteer_sha256": pa.array(
                [gazetteer.sha256 if gazetteer is not None else None], pa.string()
            ),
        }
    )
    report = LoadReport(
        path=path,
        source_kind=KIND,
        rows_read=len(data),
        rows_loaded=len(records),
        rejections=rejections,
        covers_from=month,
        covers_to=month,
        exclusions=exclusions,
        notes=notes,
        label=head.where,
    )
    return SourceFrames(
        report=report,
        tables={"istv_submission": submission, "istv_attendance": attendance},
        replace_key=("site_code", "month"),
    )


def _reasons_hint(rejections: list[Rejection]) -> str:
    c = Counter(r.reason for r in rejections).most_common(3)
    first = rejections[0] if rejections else None
    where = f" First: line {first.row_number}, {first.column or 'row'}." if first else ""
    return "Most common problems: " + "; ".join(f"{k} ({n})" for k, n in c) + "." + where


_ATTENDANCE_SCHEMA = pa.schema(
    [
        ("site_code", pa.string()),
        ("month", pa.date32()),
        ("row_number", pa.int64()),
        ("arrival_at", pa.timestamp("s")),
        ("assault_at", pa.timestamp("s")),
        ("assault_method", pa.string()),
        ("location_type", pa.string()),
        ("location_text_usable", pa.bool_()),
        ("postcode_sector", pa.string()),
        ("easting", pa.float64()),
        ("northing", pa.float64()),
        ("place_name", pa.string()),
        ("place_easting", pa.float64()),
        ("place_northing", pa.float64()),
        ("place_area_code", pa.string()),
        ("place_confidence", pa.float64()),
    ]
)
assert tuple(_ATTENDANCE_SCHEMA.names) == ATTENDANCE_COLUMNS


def _match_places(descriptions: list[str], gazetteer: Gazetteer | None) -> list[tuple[object, ...]]:
    """Per description: (place name, easting, northing, area code, confidence) of its best
    gazetteer candidate, all None without a gazetteer.

    Every candidate is kept with its confidence (``threshold=0``), so an analysis can choose its
    own minimum confidence; a text with no candidate has confidence 0.
    """
    if gazetteer is None or not descriptions:
        return [(None, None, None, None, None)] * len(descriptions)
    m = match_locations(pd.Series(descriptions, dtype=object), gazetteer, threshold=0.0)
    area = m["area_code"] if "area_code" in m.columns else pd.Series(None, index=m.index)
    out: list[tuple[object, ...]] = []
    for matched, place, e, n, a, conf in zip(
        m["matched"], m["place"], m["easting"], m["northing"], area, m["confidence"], strict=True
    ):
        if matched:
            out.append(
                (str(place), float(e), float(n), None if pd.isna(a) else str(a), float(conf))
            )
        else:
            out.append((None, None, None, None, float(conf)))
    return out


def _attendance_frame(records: list[tuple[object, ...]]) -> pa.Table:
    """``istv_attendance`` rows as a typed Arrow table (DuckDB registers it without copying)."""
    columns = list(zip(*records, strict=True)) if records else [()] * len(ATTENDANCE_COLUMNS)
    return pa.Table.from_arrays(
        [pa.array(list(c), type=f.type) for c, f in zip(columns, _ATTENDANCE_SCHEMA, strict=True)],
        schema=_ATTENDANCE_SCHEMA,
    )


def read_istv(path: str | Path) -> SourceFrames:
    """Read and validate one ISTV submission (no store involved)."""
    return IstvAdapter().read(Path(path))


ADAPTERS: list[SourceAdapter] = [IstvAdapter()]

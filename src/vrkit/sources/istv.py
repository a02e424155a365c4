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
Checked on the raw cells in memory, before any frame, rejection or message exists
(:mod:`vrkit.sources.pii`): identifier columns (by name or by value pattern) are dropped unread;
identifiers in free text are removed (full postcodes reduced to their sector); a coded field
holding one rejects the record without keeping the value; identifier header lines are dropped. The
report's ``exclusions`` say what was stripped, never the values.

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
from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa

from vrkit.catalog import load_csv
from vrkit.errors import DataValidationError, SourceError
from vrkit.sources import pii
from vrkit.sources.base import (
    LoadReport,
    Probe,
    Rejection,
    SourceAdapter,
    SourceFrames,
    decode_text,
    logical_name,
    read_bytes,
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
_FREE_TEXT = ("assault_method_other", "location_description")

_HEADER_KEYS: dict[str, tuple[str, ...]] = {
    "site_code": ("site_code", "site_code_of_treatment", "site"),
    "department": ("department", "department_name", "site_name"),
    "period_start": ("reporting_period_start", "reporting_period_start_date", "period_start"),
    "period_end": ("reporting_period_end", "reporting_period_end_date", "period_end"),
    "record_count": ("record_count", "records", "number_of_records"),
    "submitted_on": ("submitted_on", "submission_date", "date_submitted"),
    "synthetic": ("synthetic",),
}
_SITE_CODE = re.compile(r"^[A-Z0-9]{3,9}$")
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

#: columns of the ``istv_attendance`` frame
ATTENDANCE_COLUMNS: tuple[str, ...] = (
    "site_code",
    "month",
    "row_number",
    "arrival_at",
    "assault_at",
    "assault_method",
    "assault_method_other",
    "location_type",
    "location_description",
    "postcode_sector",
    "easting",
    "northing",
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


def _safe(value: str) -> str:
    """A cell value safe to echo in a message (short, no identifier), else a placeholder."""
    v = value.strip()
    if len(v) <= 20 and not pii.may_contain(v) and not re.search(r"\d{5,}|@", v):
        return v
    return "[value withheld]"


class IstvAdapter(SourceAdapter):
    """ISTV submissions (CSV or XLSX), one department and month per file (record-level)."""

    kind = KIND
    description = (
        "ISTV (ISB 1594) A&E assault submission: header lines (site_code, reporting period, "
        "record_count) then one row per attendance; CSV or XLSX sheet 'ISTV submission'"
    )
    record_level = True

    def sniff(self, probe: Probe) -> bool:
        if probe.header:
            return probe.header[0].strip().lower() == MARKER
        if probe.sheets:
            return any(s.strip().lower() == MARKER for s in probe.sheets)
        return False

    def read(self, path: Path) -> SourceFrames:
        rows = _read_rows(path)
        return parse_submission(path, rows)


def _read_rows(path: Path) -> list[list[str]]:
    """All rows of the file as lists of strings (CSV or the workbook sheet)."""
    name = logical_name(path)
    if name.endswith((".xlsx", ".xlsm")):
        return _read_workbook(path)
    text = decode_text(path, read_bytes(path), ("utf-8-sig", "cp1252"))
    return list(csv.reader(io.StringIO(text)))


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


def _read_workbook(path: Path) -> list[list[str]]:
    with open_workbook(path) as wb:
        sheet = next((wb[s] for s in wb.sheetnames if s.strip().lower() == MARKER), None)
        if sheet is None:
            raise SourceError(path, f"no sheet named {SHEET!r}")
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


def parse_submission(path: Path, rows: list[list[str]]) -> SourceFrames:
    """Validate one submission given as rows of strings; see the module docstring for the rules.

    Personal identifiers are removed here, first, before anything else is built from the rows.
    """
    if not rows or not rows[0] or rows[0][0].strip().lower() != MARKER:
        raise SourceError(path, f"line 1 must start with {SHEET!r}")
    exclusions: list[str] = []
    notes: list[str] = []

    # -- submission header: key,value lines up to the first blank line ------------------------
    header: dict[str, str] = {}
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
        i += 1
    header_end = i
    if dropped_header:
        exclusions.append(
            "personal identifiers: "
            + ", ".join(f"{n} header line(s) with {k}" for k, n in dropped_header.items())
            + " dropped before storage (values not kept)"
        )
    for key in ("site_code", "period_start", "period_end", "record_count"):
        if not header.get(key):
            raise DataValidationError(
                path,
                f"the submission header has no {key!r} line",
                row=header_end,
                hint="Lines 2 onwards are key,value pairs: site_code, reporting_period_start, "
                "reporting_period_end, record_count; then a blank line and the records.",
            )
    site = header["site_code"].strip().upper()
    if not _SITE_CODE.match(site):
        raise DataValidationError(
            path,
            "site code (of treatment) must be an ODS site code (3–9 letters/digits, e.g. RJ122)",
            column="site_code",
            value=_safe(header["site_code"]),
        )
    start, end = _parse_date(header["period_start"]), _parse_date(header["period_end"])
    if start is None or end is None:
        raise DataValidationError(
            path,
            "reporting period start and end must be dates (YYYY-MM-DD)",
            column="reporting_period_start" if start is None else "reporting_period_end",
            value=_safe(header["period_start"] if start is None else header["period_end"]),
        )
    month = start.replace(day=1)
    last = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
    if start != month or end != last:
        raise DataValidationError(
            path,
            "the reporting period must be one calendar month (first to last day)",
            column="reporting_period_end",
            value=f"{start.isoformat()} to {end.isoformat()}",
            hint="Send one file per department and month.",
        )
    if not header["record_count"].strip().isdigit():
        raise DataValidationError(
            path,
            "record_count must be a whole number",
            column="record_count",
            value=_safe(header["record_count"]),
        )
    declared = int(header["record_count"].strip())
    submitted = _parse_date(header.get("submitted_on", "")) if header.get("submitted_on") else None
    synthetic = header.get("synthetic", "").strip().lower() in ("yes", "true", "1", "y")
    department = header.get("department") or None

    # -- record header --------------------------------------------------------------------------
    j = header_end
    while j < len(rows) and not any(c.strip() for c in rows[j]):
        j += 1
    if j >= len(rows):
        if declared == 0:
            names: list[str] = []
            data: list[tuple[int, list[str]]] = []
        else:
            raise DataValidationError(
                path,
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
                    path,
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
            path,
            f"record_count in the header is {declared} but the file holds {len(data)} records",
            column="record_count",
            hint="A partial or truncated export; send the complete file again.",
        )

    # -- personal identifiers: whole columns, by name, then by value --------------------------
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
    if stripped:
        exclusions.append(
            "personal identifiers: "
            + "; ".join(stripped)
            + " stripped before storage (values not read into vrkit)"
        )

    # -- records --------------------------------------------------------------------------------
    methods = codes("assault_method")
    locations = codes("assault_location_type")
    width = len(names)
    keep = sorted(pos.items(), key=lambda kv: kv[1])
    rejections: list[Rejection] = []
    records: list[tuple[object, ...]] = []
    redacted: Counter[str] = Counter()
    coded_pii = 0
    period_lo = datetime.combine(month, datetime.min.time())
    period_hi = datetime.combine(last, datetime.max.time())
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

    for line, row in data:
        # identifiers first. Free text is cleaned; a coded or date field is checked only when it
        # fails validation (a valid code or date cannot hold an identifier).
        other, desc, sector_text = cell(row, i_oth), cell(row, i_desc), cell(row, i_sec)
        if other and pii.may_contain(other):
            other, found = pii.scrub(other)
            redacted.update(found)
        if desc and pii.may_contain(desc):
            desc, found = pii.scrub(desc)
            redacted.update(found)
        if sector_text and pii.may_contain(sector_text):
            sector_text, found = pii.scrub(sector_text)
            redacted.update(found)

        def raw(row: list[str] = row, other: str = other, desc: str = desc) -> str:
            shown = []
            for col, k in keep:
                v = other if k == i_oth else desc if k == i_desc else cell(row, k)
                shown.append(v if col in _FREE_TEXT else _safe(v) if v else "")
            return ",".join(shown)

        def reject(column: str | None, reason: str, value: str = "", line: int = line) -> None:
            nonlocal coded_pii
            if value and pii.may_contain(value):
                coded_pii += 1
                rejections.append(Rejection(line, column, REASON_PII, None))
            else:
                rejections.append(Rejection(line, column, reason, raw()))

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
                other.strip() or None,
                loc,
                desc.strip() or None,
                sector,
                easting,
                northing,
            )
        )
    if redacted:
        exclusions.append(
            "personal identifiers removed from free text before storage: "
            + ", ".join(f"{n} {k}" for k, n in sorted(redacted.items()))
        )
    if coded_pii:
        exclusions.append(
            f"{coded_pii} record(s) rejected because a coded field held a personal identifier "
            "(values not kept)"
        )
    if data and not records:
        raise DataValidationError(
            path,
            f"none of the {len(data)} records is valid; the file is refused so that it cannot "
            "replace an earlier submission for this department and month",
            hint=_reasons_hint(rejections),
        )
    if data and len(rejections) / len(data) > MAX_REJECTED_SHARE:
        raise DataValidationError(
            path,
            f"{len(rejections)} of {len(data)} records are invalid (more than "
            f"{MAX_REJECTED_SHARE:.0%}); the file is refused so that it cannot replace an earlier "
            "submission for this department and month",
            hint=_reasons_hint(rejections),
        )
    late = submitted is not None and submitted > last + timedelta(days=30)
    if late:
        notes.append(f"late submission: sent {submitted} for {month:%Y-%m}")
    if synthetic:
        notes.insert(0, "SYNTHETIC data written by `vrkit synth istv`; not real attendances")
    notes.append(f"site {site}, {month:%Y-%m}: {len(records):,} of {declared:,} records loaded")
    attendance = _attendance_frame(records)
    submission = pa.table(
        {
            "site_code": pa.array([site], pa.string()),
            "month": pa.array([month], pa.date32()),
            "department_name": pa.array([department], pa.string()),
            "period_start": pa.array([start], pa.date32()),
            "period_end": pa.array([end], pa.date32()),
            "submitted_on": pa.array([submitted], pa.date32()),
            "late": pa.array([late], pa.bool_()),
            "declared_records": pa.array([declared], pa.int64()),
            "records_loaded": pa.array([len(records)], pa.int64()),
            "records_rejected": pa.array([len(rejections)], pa.int64()),
            "pii_columns_stripped": pa.array([len(stripped)], pa.int32()),
            "pii_values_removed": pa.array(
                [sum(redacted.values()) + coded_pii + sum(dropped_header.values())], pa.int32()
            ),
            "synthetic": pa.array([synthetic], pa.bool_()),
            "file_format": pa.array(
                ["xlsx" if logical_name(path).endswith((".xlsx", ".xlsm")) else "csv"], pa.string()
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
        ("assault_method_other", pa.string()),
        ("location_type", pa.string()),
        ("location_description", pa.string()),
        ("postcode_sector", pa.string()),
        ("easting", pa.float64()),
        ("northing", pa.float64()),
    ]
)


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

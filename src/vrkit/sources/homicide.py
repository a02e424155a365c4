"""MPS homicide victims (London Datastore "MPS Homicide Dashboard Data").

Format
------
``mps_homicide_victims``
    One row per homicide victim (a record-level file)::

        Count of Victims, Age Group, Sex, MethodofKilling, Domestic Abuse, Recorded Year,
        Recorded Month, Homicide Offence Type, Solved Status, Borough, Officer Observed Ethnicity

    ``Recorded Month`` is a month name (``Jan`` … ``Dec``); month numbers 1–12 and full month
    names are also accepted. ``Borough`` uses "&" (``Barking & Dagenham``) and the pseudo-area
    ``Unmapped`` (kept as area ``MPS-UNMAPPED``). ``Domestic Abuse`` is ``Domestic Abuse`` or
    ``Not Domestic Abuse``.

Bad rows are rejected one by one (record-level rule, issue #3 §6): a year that is not a
four-digit number, a month that is not a month, an unknown borough, a victims count that is not a
positive whole number, an unrecognised domestic-abuse flag, or a row with the wrong number of
fields. Each rejection keeps its physical line number (header = line 1) and the raw line; good rows
load. The file has no homicide ID, so identical rows are two victims, not a duplicate.

A newer release replaces the *recorded years* it covers (warehouse replace key
``recorded_year``).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit.catalog.areas import borough_names, is_pseudo, resolve_borough
from vrkit.errors import DataValidationError, SourceError
from vrkit.sources.base import (
    LoadReport,
    Probe,
    Rejection,
    SourceAdapter,
    SourceFrames,
    csv_error_reason,
    decode_text,
    read_bytes,
)

#: file column → warehouse column of ``homicide_victim``
COLUMNS: dict[str, str] = {
    "Count of Victims": "victims",
    "Age Group": "age_group",
    "Sex": "sex",
    "MethodofKilling": "method",
    "Domestic Abuse": "domestic_abuse",
    "Recorded Year": "recorded_year",
    "Recorded Month": "recorded_month",
    "Homicide Offence Type": "offence_type",
    "Solved Status": "solved_status",
    "Borough": "borough_name",
    "Officer Observed Ethnicity": "ethnicity",
}

#: columns of the ``homicide_victim`` frame, in order (``dataset_id`` is added by the warehouse)
OUTPUT_COLUMNS: tuple[str, ...] = (
    "row_number",
    "recorded_year",
    "recorded_month",
    "month",
    "victims",
    "age_group",
    "sex",
    "method",
    "domestic_abuse",
    "offence_type",
    "solved_status",
    "borough_name",
    "area_code",
    "ethnicity",
)

#: header fields that identify the format even when another column has been renamed
_SIGNATURE = ("Count of Victims", "Recorded Year", "Homicide Offence Type", "MethodofKilling")

_MONTHS: dict[str, int] = {}
for _i, _name in enumerate(
    (
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ),
    start=1,
):
    _MONTHS[_name] = _i
    _MONTHS[_name[:3]] = _i
_MONTHS["sept"] = 9

_DOMESTIC = {"domestic abuse": True, "not domestic abuse": False}

#: rejection reasons (stable strings: they are counted and stored in ``rejection.reason``)
REASON_FIELDS = "wrong number of fields"
REASON_VICTIMS = "victims count is not a positive whole number"
REASON_YEAR = "recorded year is not a four-digit year"
REASON_MONTH = "recorded month is not a month (Jan–Dec or 1–12)"
REASON_BOROUGH = "unknown London borough"
REASON_DOMESTIC = "domestic abuse flag is not 'Domestic Abuse' or 'Not Domestic Abuse'"


def parse_month(value: str) -> int | None:
    """``'Mar'``, ``'March'``, ``'3'`` or ``'03'`` → ``3``; anything else → None."""
    v = value.strip().lower()
    if v.isdigit():
        m = int(v)
        return m if 1 <= m <= 12 else None
    return _MONTHS.get(v)


class MpsHomicideVictimsAdapter(SourceAdapter):
    """MPS homicide victims, one row per victim (record level: bad rows are rejected)."""

    kind = "mps_homicide_victims"
    description = (
        "MPS homicide victims: Count of Victims, Age Group, Sex, MethodofKilling, Domestic Abuse, "
        "Recorded Year, Recorded Month, Homicide Offence Type, Solved Status, Borough, "
        "Officer Observed Ethnicity"
    )
    record_level = True

    def sniff(self, probe: Probe) -> bool:
        """Recognise the header by at least two of its distinctive column names."""
        h = probe.header
        if not h:
            return False
        return sum(c in h for c in _SIGNATURE) >= 2

    def read(self, path: Path) -> SourceFrames:
        """Read the victims file, rejecting bad rows one by one.

        Parameters
        ----------
        path : Path
            The CSV file (plain or ``.gz``).

        Returns
        -------
        SourceFrames
            ``homicide_victim`` (one row per loaded victim row, see :data:`OUTPUT_COLUMNS`) and
            ``area`` (the ``Unmapped`` pseudo-area when present), replace key ``recorded_year``.

        Raises
        ------
        SourceError
            Empty, unreadable, not text, or header without data rows.
        DataValidationError
            A required column is missing or renamed (names the column, line 1).
        """
        raw_bytes = read_bytes(path)
        if not raw_bytes.strip():
            raise SourceError(path, "the file is empty", hint="Download it again.")
        if b"\x00" in raw_bytes[:4096]:
            raise SourceError(path, "not a text/CSV file (binary content)")
        text = decode_text(path, raw_bytes)
        lines = text.split("\n")
        reader = csv.reader(io.StringIO(text))
        try:
            return self._parse(path, lines, reader)
        except csv.Error as exc:
            raise DataValidationError(
                path,
                f"cannot be parsed as CSV ({csv_error_reason(exc)})",
                row=reader.line_num,
                hint="The file may be damaged; download it again.",
            ) from exc

    def _parse(self, path: Path, lines: list[str], reader: Any) -> SourceFrames:
        """The rows of the file, read from ``reader`` (the CSV reader over ``lines``)."""
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:  # pragma: no cover - guarded by the emptiness check above
            raise SourceError(path, "the file is empty") from None
        for col in COLUMNS:
            if col not in header:
                raise DataValidationError(
                    path,
                    "a required column is missing or renamed",
                    row=1,
                    column=col,
                    hint=f"The header has: {', '.join(header)}",
                )
        width = len(header)
        pos = {col: header.index(col) for col in COLUMNS}

        records: list[dict[str, object]] = []
        rejections: list[Rejection] = []
        rows_read = 0
        prev_line = reader.line_num
        for fields in reader:
            start, prev_line = prev_line + 1, reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue  # blank line
            rows_read += 1
            raw = "\n".join(ln.rstrip("\r") for ln in lines[start - 1 : prev_line])

            if len(fields) != width:
                rejections.append(Rejection(start, None, REASON_FIELDS, raw))
                continue
            cell = {col: fields[i].strip() for col, i in pos.items()}
            problem = _check_row(cell)
            if problem is not None:
                rejections.append(Rejection(start, problem[0], problem[1], raw))
                continue
            year, month = int(cell["Recorded Year"]), parse_month(cell["Recorded Month"]) or 0
            area = resolve_borough(cell["Borough"])
            assert area is not None  # checked by _check_row
            victims = cell["Count of Victims"]
            domestic = _DOMESTIC.get(cell["Domestic Abuse"].lower())
            records.append(
                {
                    "row_number": start,
                    "recorded_year": year,
                    "recorded_month": month,
                    "month": date(year, month, 1),
                    "victims": int(victims),
                    "age_group": cell["Age Group"] or None,
                    "sex": cell["Sex"] or None,
                    "method": cell["MethodofKilling"] or None,
                    "domestic_abuse": domestic,
                    "offence_type": cell["Homicide Offence Type"] or None,
                    "solved_status": cell["Solved Status"] or None,
                    "borough_name": cell["Borough"],
                    "area_code": area[0],
                    "ethnicity": cell["Officer Observed Ethnicity"] or None,
                }
            )
        if rows_read == 0:
            raise SourceError(path, "the file has a header but no data rows")

        victims_frame = _frame(records)
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=rows_read,
            rows_loaded=len(victims_frame),
            rejections=rejections,
            notes=[
                f"{int(victims_frame['victims'].sum()):,} victims in {len(victims_frame):,} rows"
            ],
        )
        if len(victims_frame):
            months = pd.to_datetime(victims_frame["month"])
            report.covers_from = months.min().date()
            report.covers_to = months.max().date()
            last_month = victims_frame.groupby("recorded_year")["recorded_month"].max()
            for partial_year, m in last_month[last_month < 12].items():
                report.notes.append(
                    f"recorded year {partial_year} is partial: Jan–{date(2000, int(m), 1):%b} only"
                )
        pseudo = sorted(c for c in set(victims_frame["area_code"]) if is_pseudo(c))
        areas = pd.DataFrame(
            {
                "area_code": pseudo,
                "area_name": [borough_names().get(c, c) for c in pseudo],
                "area_type": "pseudo",
                "parent_code": None,
                "geometry": None,
                "area_ha": None,
            }
        )
        return SourceFrames(
            report=report,
            tables={"homicide_victim": victims_frame, "area": areas},
            replace_key=("recorded_year",),
        )


def _check_row(cell: dict[str, str]) -> tuple[str, str] | None:
    """(column, reason) of the first problem in a row's stripped cells, or None if it is good."""
    victims = cell["Count of Victims"]
    if not re.fullmatch(r"\d+", victims) or int(victims) < 1:
        return "Count of Victims", REASON_VICTIMS
    year = cell["Recorded Year"]
    if not re.fullmatch(r"\d{4}", year) or not 1900 <= int(year) <= 2100:
        return "Recorded Year", REASON_YEAR
    if parse_month(cell["Recorded Month"]) is None:
        return "Recorded Month", REASON_MONTH
    if not cell["Borough"] or resolve_borough(cell["Borough"]) is None:
        return "Borough", REASON_BOROUGH
    flag = cell["Domestic Abuse"]
    if flag and flag.lower() not in _DOMESTIC:
        return "Domestic Abuse", REASON_DOMESTIC
    return None


def _frame(records: list[dict[str, object]]) -> pd.DataFrame:
    """Typed ``homicide_victim`` frame (also correct when there are no records)."""
    frame = pd.DataFrame.from_records(records, columns=list(OUTPUT_COLUMNS))
    return frame.astype(
        {
            "row_number": "int64",
            "recorded_year": "int64",
            "recorded_month": "int64",
            "victims": "int64",
            "domestic_abuse": "boolean",
        }
    ).assign(
        month=lambda f: pd.to_datetime(f["month"]).astype("datetime64[s]"),
        borough_name=lambda f: f["borough_name"].astype(object),
        area_code=lambda f: f["area_code"].astype(str),
    )


ADAPTERS: list[SourceAdapter] = [MpsHomicideVictimsAdapter()]


def read_homicide_victims(path: str | Path) -> SourceFrames:
    """Read an MPS homicide victims file (no store involved)."""
    return MpsHomicideVictimsAdapter().read(Path(path))

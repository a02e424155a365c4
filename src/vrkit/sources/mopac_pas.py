'''MOPAC Public Attitude Survey, trust and confidence by borough and quarter (kind
``mopac_pas_borough``).

Format
------
The ``Borough`` sheet of MOPAC's PAS trust and confidence dashboard workbook (London Datastore
"mopac-surveys") saved as CSV::

    Date,Survey,Borough,Measure,Proportion,MPS
    31/12/2014,PAS,Barking and Dagenham,"""Good Job"" local","0,56","0,67"

The shared copy (PROVENANCE §18) was re-saved from a European-locale spreadsheet, and each quirk
is handled explicitly, never guessed:

- **decimal commas**: ``"0,56"`` is 0.56 (a decimal point is accepted too); proportions must lie
  in 0–1;
- **day-first dates**: ``31/12/2014`` is read as day/month/year and must be a quarter end
  (31 Mar, 30 Jun, 30 Sep, 31 Dec); a date that only makes sense month-first is refused;
- **empty trailing columns**: unnamed columns after ``MPS`` are allowed when empty; a value in
  one (the shared copy has ``Trust,0,71`` on one row) is **reported** in the load report's
  exclusions with its line, and not loaded (the row's own ``Proportion`` and ``MPS`` are used);
- **two spellings of Richmond** (``Richmond upon Thames`` and ``Richmond Upon Thames``), and
  ``City of Westminster``, map to one GSS code through ``catalog/london_areas.csv``; each
  non-canonical spelling is listed in the notes with its rows.

Stored as ``indicator_value`` rows: each borough's proportion under ``pas_<measure>``
(:data:`MEASURES`) at the quarter-end date (``period_start = period_end``; the file gives only
that date), and the ``MPS`` column, the London (Metropolitan Police area) value for that date and
measure, once per date and measure under area ``E23000001``. It is refused if two rows of one
date and measure disagree on it. Aggregate file: the first bad cell refuses the whole file.
'''

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

from vrkit.catalog.areas import resolve_borough
from vrkit.errors import DataValidationError
from vrkit.sources._core_data import (
    catalogue_indicator_frame,
    check_width,
    iter_data_lines,
    read_rows,
    value_frame,
)
from vrkit.sources.base import LoadReport, Probe, SourceAdapter, SourceFrames

KIND = "mopac_pas_borough"
COLUMNS = ("Date", "Survey", "Borough", "Measure", "Proportion", "MPS")
#: the file's measure label → indicator id (catalogue: ``catalog/core_data_indicators.csv``)
MEASURES: dict[str, str] = {
    '"Good Job" local': "pas_good_job_local",
    "Contact ward officer": "pas_contact_ward_officer",
    "Informed local": "pas_informed_local",
    "Listen to concerns": "pas_listen_to_concerns",
    "Relied on to be there": "pas_relied_on_to_be_there",
    "Treat everyone fairly": "pas_treat_everyone_fairly",
    "Understand issues": "pas_understand_issues",
    "Trust MPS": "pas_trust_mps",
}
#: GSS code of the Metropolitan Police force area, where the file's ``MPS`` values are stored
MPS_AREA = "E23000001"
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DECIMAL = re.compile(r"^\d+([.,]\d+)?$")
_QUARTER_ENDS = {(31, 3), (30, 6), (30, 9), (31, 12)}


def parse_day_first(value: str) -> date | None:
    """``'31/12/2014'`` → ``date(2014, 12, 31)`` (day/month/year); None if not a valid date."""
    m = _DATE.fullmatch(value.strip())
    if not m:
        return None
    day, month, year = (int(g) for g in m.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_decimal(value: str) -> float | None:
    """``'0,56'`` or ``'0.56'`` → 0.56; None for anything else (blank, text, thousands marks)."""
    v = value.strip()
    if not _DECIMAL.fullmatch(v):
        return None
    return float(v.replace(",", "."))


def _proportion(path: Path, line: int, column: str, raw: str) -> float:
    v = parse_decimal(raw)
    if v is None or not 0.0 <= v <= 1.0:
        raise DataValidationError(
            path,
            "must be a proportion between 0 and 1 (decimal comma or point); an aggregate file "
            "is refused whole when one cell is bad",
            row=line,
            column=column,
            value=raw,
        )
    return v


class MopacPasAdapter(SourceAdapter):
    """MOPAC PAS trust and confidence by borough × quarter (aggregate: all or nothing)."""

    kind = KIND
    description = (
        "MOPAC Public Attitude Survey by borough and quarter (csv): Date, Survey, Borough, "
        "Measure, Proportion, MPS (decimal commas and d/m/yyyy dates accepted)"
    )
    record_level = False
    signature = COLUMNS

    def sniff(self, probe: Probe) -> bool:
        return probe.header is not None and tuple(probe.header[:6]) == COLUMNS

    def read(self, path: Path) -> SourceFrames:
        rows = read_rows(path)
        header = [c.strip() for c in rows[0]]
        if tuple(header[:6]) != COLUMNS:
            raise DataValidationError(
                path,
                f"the header must start {', '.join(COLUMNS)}",
                row=1,
                column=next((c for c, h in zip(COLUMNS, header, strict=False) if c != h), None),
            )
        named_extra = [h for h in header[6:] if h]
        if named_extra:
            raise DataValidationError(
                path,
                "unexpected named column after MPS (only empty trailing columns are allowed)",
                row=1,
                column=named_extra[0],
            )
        width = len(header)
        seen: dict[tuple[date, str, str], int] = {}
        mps: dict[tuple[date, str], tuple[float, int, str]] = {}
        spellings: dict[str, list[int]] = {}
        stray: list[str] = []
        codes: list[str] = []
        iids: list[str] = []
        dates: list[date] = []
        vals: list[float] = []
        data_lines = 0
        for line, cells in iter_data_lines(rows):
            data_lines += 1
            check_width(path, line, cells, width)
            d_raw, survey, borough, measure, prop_raw, mps_raw = cells[:6]
            d = parse_day_first(d_raw)
            if d is None or (d.day, d.month) not in _QUARTER_ENDS:
                raise DataValidationError(
                    path,
                    "Date must be a quarter-end date written day/month/year (e.g. 31/12/2014)",
                    row=line,
                    column="Date",
                    value=d_raw,
                )
            if survey != "PAS":
                raise DataValidationError(
                    path,
                    "Survey must be PAS (the measures of other surveys have other meanings)",
                    row=line,
                    column="Survey",
                    value=survey,
                )
            hit = resolve_borough(borough)
            if hit is None or hit[2] != "lad":
                raise DataValidationError(
                    path,
                    "unknown London borough name",
                    row=line,
                    column="Borough",
                    value=borough,
                    hint="Known names and spellings are in vrkit/catalog/london_areas.csv.",
                )
            if borough != hit[1]:
                spellings.setdefault(f"{borough!r} → {hit[1]} ({hit[0]})", []).append(line)
            if measure not in MEASURES:
                raise DataValidationError(
                    path,
                    "unknown PAS measure",
                    row=line,
                    column="Measure",
                    value=measure,
                    hint=f"Known measures: {', '.join(MEASURES)}.",
                )
            iid = MEASURES[measure]
            key = (d, hit[0], iid)
            if key in seen:
                raise DataValidationError(
                    path,
                    f"the same date, borough and measure appear again (first on line {seen[key]})",
                    row=line,
                    column="Measure",
                    value=f"{d_raw} | {borough} | {measure}",
                )
            seen[key] = line
            prop = _proportion(path, line, "Proportion", prop_raw)
            london = _proportion(path, line, "MPS", mps_raw)
            first = mps.get((d, iid))
            if first is None:
                mps[(d, iid)] = (london, line, mps_raw)
            elif first[0] != london:
                raise DataValidationError(
                    path,
                    f"the MPS (London) value differs from line {first[1]} ({first[2]}) for the "
                    "same date and measure",
                    row=line,
                    column="MPS",
                    value=mps_raw,
                )
            extra = [(k, c) for k, c in enumerate(cells[6:], start=7) if c]
            if extra:
                stray.append(
                    f"line {line}: unexpected value(s) in the unnamed trailing column(s) "
                    + ", ".join(f"{k} ({c!r})" for k, c in extra)
                    + "; not loaded (the row's own Proportion and MPS are used)"
                )
            codes.append(hit[0])
            iids.append(iid)
            dates.append(d)
            vals.append(prop)
        if not codes:
            raise DataValidationError(path, "the file has a header but no data rows")
        mps_keys = sorted(mps)
        values = value_frame(
            area_code=[*codes, *([MPS_AREA] * len(mps_keys))],
            indicator_id=[*iids, *(k[1] for k in mps_keys)],
            period_start=[*dates, *(k[0] for k in mps_keys)],
            period_end=[*dates, *(k[0] for k in mps_keys)],
            value=[*vals, *(mps[k][0] for k in mps_keys)],
        )
        quarters = sorted(set(dates))
        per_measure = Counter(iids)
        by_id = {v: k for k, v in MEASURES.items()}
        notes = [
            f"{len(set(codes))} boroughs × {len(quarters)} quarter ends "
            f"({quarters[0]:%d %b %Y} – {quarters[-1]:%d %b %Y}), {len(per_measure)} measures; "
            f"MPS (London) values stored for area {MPS_AREA}",
            "decimal commas read as decimal points; dates read day/month/year",
        ]
        for iid in MEASURES.values():
            q = sorted({d for d, i in zip(dates, iids, strict=True) if i == iid})
            if q and (q[0] != quarters[0] or len(q) != len(quarters)):
                notes.append(
                    f"measure {by_id[iid]!r} covers {len(q)} of {len(quarters)} quarters "
                    f"(from {q[0]:%d %b %Y})"
                )
        for what, lines in spellings.items():
            notes.append(f"borough spelt {what}: {len(lines)} rows (lines {lines[0]}–{lines[-1]})")
        report = LoadReport(
            path=path,
            source_kind=KIND,
            rows_read=data_lines,
            rows_loaded=len(codes),
            covers_from=date(quarters[0].year, quarters[0].month, 1),
            covers_to=date(quarters[-1].year, quarters[-1].month, 1),
            exclusions=stray,
            notes=notes,
        )
        return SourceFrames(
            report=report,
            tables={
                "indicator": catalogue_indicator_frame(sorted(set(iids), key=iids.index)),
                "indicator_value": values,
            },
        )


def read_mopac_pas(path: str | Path) -> SourceFrames:
    """Read and validate a MOPAC PAS borough file (no store involved)."""
    return MopacPasAdapter().read(Path(path))


ADAPTERS: list[SourceAdapter] = [MopacPasAdapter()]

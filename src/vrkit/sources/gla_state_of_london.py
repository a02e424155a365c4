"""GLA State of London crime series: London totals by month (kind
``gla_state_of_london_monthly``).

Format
------
The workbook built by GLA analysts for the State of London report from the London Datastore "MPS
Monthly Crime Dashboard Data" (PROVENANCE §15, ``State_Of_London_Crime.xlsx``): one sheet per
series (``TNO``, ``ND-VWI``, ``Domestic Abuse``, ``Sexual_Offences``, ``AWL_Knife_U25``,
``Homicide``, ``Robbery_Offences``, ``Burglary_Offences``, ``TfMV_Offences``, ``Theft_Person``,
``Hate_Crime``), each a date column (``Month_Year`` or ``Parsed_Dates``, first of month) and one
or two count columns, with a title block to the right (``Title``, ``Subtitle``). London only, no
boroughs, April 2017 – January 2024.

What is stored
--------------
``crime_count_release`` rows for area ``E12000007`` (London, area type ``region``): one per
series and month, ``offence_major`` = the sheet name (``Sexual_Offences: Rape`` for a sheet with
two count columns), ``offence_minor`` = the sheet's own title. ``measures.toml`` (taxonomy
``gla_sol``) maps the series that equal a headline measure: non-domestic knife crime with injury
victims under 25 (the London VRU headline), homicide, robbery, sexual offences, domestic abuse
offences and total notifiable offences. ``ND-VWI`` (non-domestic violence with injury) is not
violence with injury and is not mapped.

The stored workbook's sheet dimensions say one row; the reader ignores them and reads every row.
Checks (all or nothing): every series sheet present with its header, first-of-month dates one
month apart, whole numbers ≥ 0, the same months on every sheet.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrkit.errors import DataValidationError, SourceError
from vrkit.sources.base import LoadReport, Probe, SourceAdapter, SourceFrames

KIND = "gla_state_of_london_monthly"
LONDON = "E12000007"
SHEETS = (
    "TNO",
    "ND-VWI",
    "Domestic Abuse",
    "Sexual_Offences",
    "AWL_Knife_U25",
    "Homicide",
    "Robbery_Offences",
    "Burglary_Offences",
    "TfMV_Offences",
    "Theft_Person",
    "Hate_Crime",
)
DATE_HEADERS = ("Month_Year", "Parsed_Dates")


def _sheet_rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for non-workbooks
        raise SourceError(path, f"not a readable Excel workbook: {exc}") from exc
    try:
        if sheet not in wb.sheetnames:
            raise DataValidationError(
                path, f"the workbook has no sheet {sheet!r}", hint=f"Sheets: {wb.sheetnames}"
            )
        ws = wb[sheet]
        ws.reset_dimensions()  # the stored dimensions say one row
        return list(ws.iter_rows(values_only=True))
    finally:
        wb.close()


def _series(path: Path, sheet: str) -> tuple[list[date], dict[str, list[int]], str]:
    """Months, count column(s) → values, and the sheet's title, of one series sheet."""
    rows = _sheet_rows(path, sheet)
    where = f"sheet {sheet!r}"
    if not rows or rows[0][0] not in DATE_HEADERS:
        raise DataValidationError(
            path,
            f"{where}: the first header must be Month_Year (or Parsed_Dates)",
            row=1,
            column=str(rows[0][0]) if rows else None,
        )
    header = rows[0]
    names: list[str] = []
    for h in header[1:]:
        if h is None or not str(h).strip():
            break
        names.append(str(h).strip())
    if not names:
        raise DataValidationError(path, f"{where}: no count column after the date", row=1)
    title = sheet
    for r in rows:
        for k in range(len(r) - 1):
            if r[k] == "Title" and isinstance(r[k + 1], str):
                title = r[k + 1].strip()
    months: list[date] = []
    values: dict[str, list[int]] = {n: [] for n in names}
    for line, r in enumerate(rows[1:], start=2):
        when = r[0] if r else None
        if when is None:
            if any(v is not None for v in r[1 : 1 + len(names)]):
                raise DataValidationError(
                    path, f"{where}: a count without a month", row=line, column=str(header[0])
                )
            continue
        if not isinstance(when, datetime) or when.day != 1:
            raise DataValidationError(
                path,
                f"{where}: the month must be a date on the first of a month",
                row=line,
                column=str(header[0]),
                value=when,
            )
        m = date(when.year, when.month, 1)
        if months:
            prev = months[-1]
            expect = date(prev.year + prev.month // 12, prev.month % 12 + 1, 1)
            if m != expect:
                raise DataValidationError(
                    path,
                    f"{where}: months must follow one another (expected {expect:%b %Y})",
                    row=line,
                    column=str(header[0]),
                    value=when,
                )
        months.append(m)
        for k, n in enumerate(names, start=1):
            v = r[k] if k < len(r) else None
            ok = (isinstance(v, int) and not isinstance(v, bool)) or (
                isinstance(v, float) and v.is_integer()
            )
            if not ok or v < 0:  # type: ignore[operator]
                raise DataValidationError(
                    path,
                    f"{where}: counts must be whole numbers ≥ 0 (a blank is missing, not zero)",
                    row=line,
                    column=n,
                    value=v,
                )
            values[n].append(int(v))  # type: ignore[arg-type]
    if not months:
        raise DataValidationError(path, f"{where}: no data rows")
    return months, values, title


class StateOfLondonAdapter(SourceAdapter):
    """GLA State of London workbook: London monthly series (xlsx)."""

    kind = KIND
    description = (
        "GLA State of London crime workbook (xlsx): London monthly series, sheets TNO, "
        "AWL_Knife_U25, Homicide, … (Month_Year, count)"
    )
    record_level = False

    def sniff(self, probe: Probe) -> bool:
        return probe.sheets is not None and {"TNO", "AWL_Knife_U25"} <= set(probe.sheets)

    def read(self, path: Path) -> SourceFrames:
        parts = []
        first: list[date] | None = None
        titles = []
        for sheet in SHEETS:
            months, values, title = _series(path, sheet)
            if first is None:
                first = months
            elif months != first:
                raise DataValidationError(
                    path,
                    f"sheet {sheet!r} covers {months[0]:%b %Y} – {months[-1]:%b %Y}, not the "
                    f"months of sheet {SHEETS[0]!r} ({first[0]:%b %Y} – {first[-1]:%b %Y})",
                )
            for col, counts in values.items():
                major = sheet if len(values) == 1 else f"{sheet}: {col}"
                parts.append(
                    pd.DataFrame(
                        {
                            "month": np.array(months, dtype="datetime64[D]"),
                            "offence_major": major,
                            "offence_minor": title if len(values) == 1 else col,
                            "count": np.array(counts, dtype=np.int64),
                        }
                    )
                )
                titles.append(f"{major} ({title})" if len(values) == 1 else major)
        assert first is not None
        long = pd.concat(parts, ignore_index=True)
        long.insert(0, "source_kind", KIND)
        long.insert(1, "scope_code", LONDON)
        long.insert(2, "area_code", LONDON)
        long.insert(3, "area_type", "region")
        long = long[
            [
                "source_kind",
                "scope_code",
                "area_code",
                "area_type",
                "month",
                "offence_major",
                "offence_minor",
                "count",
            ]
        ]
        knife = long[long["offence_major"] == "AWL_Knife_U25"]
        years = knife.groupby(knife["month"].dt.year)["count"].agg(["sum", "size"])
        by_year = years.loc[years["size"] == 12, "sum"]
        report = LoadReport(
            path=path,
            source_kind=KIND,
            rows_read=len(first),
            rows_loaded=len(first),
            covers_from=first[0],
            covers_to=first[-1],
            notes=[
                f"London only (no boroughs), {len(first)} months {first[0]:%b %Y} – "
                f"{first[-1]:%b %Y}, {len(parts)} series: " + "; ".join(titles),
                "a GLA extract of the MPS Monthly Crime Dashboard: it differs from the MPS "
                "borough files by small revisions (extracted on another date)",
                "non-domestic knife crime with injury, victims under 25, complete years: "
                + ", ".join(f"{y} {v:,}" for y, v in by_year.items()),
            ],
        )
        return SourceFrames(
            report=report,
            tables={"crime_count_release": long},
            replace_key=("scope_code", "month"),
        )


def read_state_of_london(path: str | Path) -> SourceFrames:
    """Read and validate the GLA State of London crime workbook (no store involved)."""
    return StateOfLondonAdapter().read(Path(path))


ADAPTERS: list[SourceAdapter] = [StateOfLondonAdapter()]

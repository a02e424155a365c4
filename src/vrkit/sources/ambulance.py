"""Ambulance assault call-outs by LSOA and month (kind ``ambulance_assaults``).

Format
------
A vrkit-defined CSV (ambulance services share these figures in many layouts; convert to this)::

    lsoa_code,month,callouts[,synthetic]
    E01000001,2023-01,4
    E01000002,2023-01,0

- ``lsoa_code``: ONS LSOA code (``E01``/``W01`` + 6 digits);
- ``month``: ``YYYY-MM``;
- ``callouts``: whole number ≥ 0 of ambulance incidents coded as assault in that LSOA and month
  (a zero is a real zero; an LSOA-month not in the file is *missing*);
- ``synthetic`` (optional): ``yes`` on every row marks data written by ``vrkit synth``.

It is an aggregate file: the first bad cell refuses the whole file (issue #3 §6), naming line,
column and reason, because totals in the warehouse must equal the file's totals. A (LSOA, month)
twice is refused (it would double count).

Stored as the area indicator ``ambulance_assault_callouts`` (``indicator_value``, DESIGN.md §3);
a newer file replaces the LSOA-months it covers (warehouse replace key
``area_code, indicator_id, period_start``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from vrkit.errors import DataValidationError
from vrkit.sources.base import (
    LoadReport,
    Probe,
    SourceAdapter,
    SourceFrames,
    parse_year_month,
    read_csv_strict,
)

KIND = "ambulance_assaults"
INDICATOR_ID = "ambulance_assault_callouts"
COLUMNS = ("lsoa_code", "month", "callouts")
_LSOA = re.compile(r"^[EW]01\d{6}$")


class AmbulanceAssaultsAdapter(SourceAdapter):
    """Ambulance assault call-outs by LSOA × month (aggregate: all or nothing)."""

    kind = KIND
    description = "Ambulance assault call-outs by LSOA and month: lsoa_code, month, callouts"
    record_level = False

    def sniff(self, probe: Probe) -> bool:
        h = probe.header
        return h is not None and tuple(c.strip().lower() for c in h[:3]) == COLUMNS

    def read(self, path: Path) -> SourceFrames:
        frame = read_csv_strict(path)
        frame.columns = [c.strip().lower() for c in frame.columns]
        extra = [c for c in frame.columns if c not in (*COLUMNS, "synthetic")]
        if extra:
            raise DataValidationError(
                path,
                "unexpected column (expected lsoa_code, month, callouts and optionally synthetic)",
                row=1,
                column=extra[0],
            )
        codes = frame["lsoa_code"].str.strip()
        bad = ~codes.str.match(_LSOA)
        if bad.any():
            line = int(frame.index[bad.to_numpy().argmax()])
            raise DataValidationError(
                path,
                "lsoa_code must be an ONS LSOA code (E01 or W01 + 6 digits); an aggregate file is "
                "refused whole when one cell is bad",
                row=line,
                column="lsoa_code",
                value=codes[line],
            )
        months = frame["month"].map(parse_year_month)
        if months.isna().any():
            line = int(frame.index[months.isna().to_numpy().argmax()])
            raise DataValidationError(
                path, "month must be YYYY-MM", row=line, column="month", value=frame["month"][line]
            )
        counts = frame["callouts"].str.strip()
        ok = counts.str.fullmatch(r"\d+")
        if not ok.all():
            line = int(frame.index[(~ok).to_numpy().argmax()])
            raise DataValidationError(
                path,
                "callouts must be a whole number ≥ 0 (missing months are left out, not blank)",
                row=line,
                column="callouts",
                value=frame["callouts"][line],
            )
        dup = pd.DataFrame({"a": codes, "m": months}).duplicated()
        if dup.any():
            line = int(frame.index[dup.to_numpy().argmax()])
            raise DataValidationError(
                path,
                "the same lsoa_code and month appear twice (would be double counted)",
                row=line,
                value=f"{codes[line]} {frame['month'][line]}",
            )
        synthetic = "synthetic" in frame.columns and bool(
            frame["synthetic"].str.strip().str.lower().isin(["yes", "true", "1"]).any()
        )
        start = pd.to_datetime(months.to_numpy()).astype("datetime64[s]")
        end = (pd.DatetimeIndex(start) + pd.offsets.MonthEnd(0)).astype("datetime64[s]")
        values = pd.DataFrame(
            {
                "area_code": codes.to_numpy(),
                "indicator_id": INDICATOR_ID,
                "period_start": start,
                "period_end": end,
                "value": counts.astype(np.int64).astype(np.float64).to_numpy(),
            }
        )
        indicator = pd.DataFrame(
            {
                "indicator_id": [INDICATOR_ID],
                "name": ["Ambulance call-outs to assaults"],
                "unit": ["count"],
                "polarity": ["lower_is_better"],
                "source": ["ambulance service (synthetic)" if synthetic else "ambulance service"],
                "description": [
                    "Ambulance incidents coded as assault, by LSOA of the incident and month"
                ],
            }
        )
        notes = [f"{len(frame):,} LSOA-months; total {int(values['value'].sum()):,} call-outs"]
        if synthetic:
            notes.insert(0, "SYNTHETIC data written by `vrkit synth ambulance`; not real call-outs")
        report = LoadReport(
            path=path,
            source_kind=KIND,
            rows_read=len(frame),
            rows_loaded=len(frame),
            covers_from=min(months),
            covers_to=max(months),
            notes=notes,
        )
        return SourceFrames(
            report=report,
            tables={"indicator": indicator, "indicator_value": values},
            replace_key=("area_code", "month"),
        )


def read_ambulance_assaults(path: str | Path) -> SourceFrames:
    """Read and validate an ambulance call-outs file (no store involved)."""
    return AmbulanceAssaultsAdapter().read(Path(path))


ADAPTERS: list[SourceAdapter] = [AmbulanceAssaultsAdapter()]

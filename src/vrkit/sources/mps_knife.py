"""MPS knife crime, youth violence and flagged measures by borough and month (kind
``mps_knife_borough_monthly``).

Format
------
The MPS/MOPAC workbook ``Borough Monthly 2018-20.xlsx`` (PROVENANCE §15): one sheet, one row per
OCU (a London borough, named with ``&`` as in ``Barking & Dagenham``, or ``Heathrow Airport``) and
month (``Month-Year``, an Excel date), and one column per measure: the MPS major groups
(``11 Violence Against the Person Offs`` …), minor groups (``Homicide Offs``, ``Violence with
Injury Offs`` …) and the flagged measures (``Knife Crime Offs``, ``Knife Crime With Injury Offs``,
``Knife Crime Injury Victims Not DA 1-24``, ``Serious Youth Violence``, ``Youth Violence``,
``Knife Possession Offs``, ``Domestic Abuse Incidents`` …), all whole numbers.

What is stored
--------------
``crime_count_release`` rows (so the headline-measure machinery serves them: ``measures.toml``
taxonomy ``mps_flags``, :func:`vrkit.store.queries.measure_counts`, trends): one per OCU, month
and column, with ``offence_major`` = the column name exactly as published and ``offence_minor``
= the column's group (:data:`COLUMN_GROUPS`). Borough names map to GSS codes through
``catalog/london_areas.csv``; Heathrow is kept as the pseudo-area ``MPS-HEATHROW``, so London
equals the sum of every row.

Checks (aggregate file, all or nothing): the sheet and every known column present (an unknown
column is refused: its meaning would be a guess), known OCU names, first-of-month dates, whole
numbers ≥ 0, one row per OCU and month, and the file's own arithmetic on every row: VAP = homicide
+ violence with and without injury, sexual offences = rape + other, robbery = business +
personal, knife crime with injury ≤ knife crime, non-domestic victims ≤ all victims, knife
injury robbery ≤ knife crime with injury, serious youth violence ≤ youth violence.

The column ``19 Possession of Weapons Offs`` is stored as published but is **not** Possession of
Weapons offences (it is ~14 times the MPS category) and no measure uses it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from vrkit.catalog.areas import resolve_borough
from vrkit.errors import DataValidationError
from vrkit.sources._core_data import refuse_duplicates
from vrkit.sources.base import LoadReport, Probe, SourceAdapter, SourceFrames
from vrkit.sources.geography import read_sheet

KIND = "mps_knife_borough_monthly"
SHEET = "Sheet1"
AREA_COL = "OCU Name"
MONTH_COL = "Month-Year"
MAJOR = "MPS major group"
MINOR = "MPS minor group"
TOTAL = "total notifiable offences"
FLAG = "flagged measure"
#: every measure column of the file → its group (stored as ``offence_minor``)
COLUMN_GROUPS: dict[str, str] = {
    "11 Violence Against the Person Offs": MAJOR,
    "12 Sexual Offences Offs": MAJOR,
    "13 Robbery Offs": MAJOR,
    "14 Burglary Offs": MAJOR,
    "15 Vehicle Offs": MAJOR,
    "16 Theft Offs": MAJOR,
    "17 Arson and Criminal Damage Offs": MAJOR,
    "18 Drug Offs": MAJOR,
    "19 Possession of Weapons Offs": MAJOR,
    "TNO Offs": TOTAL,
    "Homicide Offs": MINOR,
    "Violence with Injury Offs": MINOR,
    "Violence without Injury Offs": MINOR,
    "Rape Offs": MINOR,
    "Other Sexual Offences Offs": MINOR,
    "Robbery of Business Property Offs": MINOR,
    "Robbery of Personal Property Offs": MINOR,
    "Burglary - Residential Offs": MINOR,
    "Burglary - Business and Community Offs": MINOR,
    "Aggravated Vehicle Taking Offs": MINOR,
    "Theft from MV Offs": MINOR,
    "Theft or Taking of MV Offs": MINOR,
    "Theft from Person Offs": MINOR,
    "Bicycle Theft Offs": MINOR,
    "Shoplifting Offs": MINOR,
    "Other Theft Offs": MINOR,
    "Drug Trafficking Offs": MINOR,
    "Poss Drugs Offs": MINOR,
    "Poss Article Blade or Point Offs": MINOR,
    "Domestic Abuse Hate Crime Offs": FLAG,
    "Domestic Abuse Homicide Offs": FLAG,
    "Domestic Abuse Incidents": FLAG,
    "Youth Homicide Offs": FLAG,
    "Serious Youth Violence": FLAG,
    "Youth Violence": FLAG,
    "Knife Crime Offs": FLAG,
    "Knife Crime With Injury Offs": FLAG,
    "Knife Crime with Injury Pers Robb Offs": FLAG,
    "Knife Crime Injury Victims 1-24": FLAG,
    "Knife Crime Injury Victims Not DA 1-24": FLAG,
    "Knife Possession Offs": FLAG,
}
#: (total, parts, relation): each row must satisfy ``total == sum(parts)`` or ``<=``
RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "11 Violence Against the Person Offs",
        ("Homicide Offs", "Violence with Injury Offs", "Violence without Injury Offs"),
        "==",
    ),
    ("12 Sexual Offences Offs", ("Rape Offs", "Other Sexual Offences Offs"), "=="),
    (
        "13 Robbery Offs",
        ("Robbery of Business Property Offs", "Robbery of Personal Property Offs"),
        "==",
    ),
    ("Knife Crime Offs", ("Knife Crime With Injury Offs",), ">="),
    ("Knife Crime With Injury Offs", ("Knife Crime with Injury Pers Robb Offs",), ">="),
    ("Knife Crime Injury Victims 1-24", ("Knife Crime Injury Victims Not DA 1-24",), ">="),
    ("Youth Violence", ("Serious Youth Violence",), ">="),
)
_EXCEL_EPOCH = datetime(1899, 12, 30)


def _month(value: object) -> date | None:
    """An Excel date cell (datetime or serial number) → first of month; None otherwise."""
    if isinstance(value, datetime):
        d = value
    elif isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        if value != int(value):
            return None
        d = _EXCEL_EPOCH + timedelta(days=int(value))
    else:
        return None
    if d.day != 1 or (d.hour, d.minute, d.second) != (0, 0, 0):
        return None
    return date(d.year, d.month, 1)


def _is_count(v: object) -> bool:
    """A workbook cell holding a whole number ≥ 0 (int, or a float with no fraction)."""
    if isinstance(v, bool):
        return False
    if isinstance(v, int | np.integer):
        return int(v) >= 0
    return isinstance(v, float) and v.is_integer() and v >= 0


class MpsKnifeAdapter(SourceAdapter):
    """MPS/MOPAC borough monthly file with knife crime and youth violence flags (xlsx)."""

    kind = KIND
    description = (
        "MPS knife crime, youth violence and flagged measures by borough and month (xlsx, "
        "sheet Sheet1): OCU Name, Month-Year, …, Knife Crime Offs, Serious Youth Violence"
    )
    record_level = False

    def sniff(self, probe: Probe) -> bool:
        if probe.sheets is None or SHEET not in probe.sheets:
            return False
        from vrkit.sources.geography import sheet_header

        header = sheet_header(probe.path, SHEET)
        return header[:2] == (AREA_COL, MONTH_COL) and "Knife Crime Offs" in header

    def read(self, path: Path) -> SourceFrames:
        frame = read_sheet(path, SHEET)
        cols = list(frame.columns)
        for col in (AREA_COL, MONTH_COL, *COLUMN_GROUPS):
            if col not in cols:
                raise DataValidationError(
                    path, "a required column is missing or renamed", row=1, column=col
                )
        unknown = [c for c in cols if c not in (AREA_COL, MONTH_COL, *COLUMN_GROUPS)]
        if unknown:
            raise DataValidationError(
                path,
                "unknown column: its meaning would be a guess, so the file is refused",
                row=1,
                column=unknown[0],
                hint="A newer release may have added a measure; vrkit must learn it first "
                "(sources/mps_knife.py COLUMN_GROUPS).",
            )
        if frame.empty:
            raise DataValidationError(path, f"sheet {SHEET!r} has no data rows")
        codes: list[str] = []
        types: list[str] = []
        names: dict[str, str] = {}
        spelt: dict[str, str] = {}
        for line, raw in frame[AREA_COL].items():
            name = str(raw).strip() if raw is not None else ""
            hit = resolve_borough(name) if name else None
            if hit is None:
                raise DataValidationError(
                    path,
                    "unknown London borough or MPS area name",
                    row=int(line),
                    column=AREA_COL,
                    value=raw,
                    hint="Known names are in vrkit/catalog/london_areas.csv.",
                )
            codes.append(hit[0])
            types.append("pseudo" if hit[2] == "pseudo" else "lad")
            names[hit[0]] = hit[1]
            if name != hit[1]:
                spelt[name] = hit[1]
        months: list[date] = []
        for line, raw in frame[MONTH_COL].items():
            m = _month(raw)
            if m is None:
                raise DataValidationError(
                    path,
                    "Month-Year must be an Excel date on the first of a month",
                    row=int(line),
                    column=MONTH_COL,
                    value=raw,
                )
            months.append(m)
        key = pd.DataFrame({"a": codes, "m": months}, index=frame.index)
        refuse_duplicates(path, key, "OCU and month", MONTH_COL)
        measure_cols = list(COLUMN_GROUPS)
        block = frame[measure_cols]
        ok = block.map(_is_count).to_numpy(dtype=bool)
        if not ok.all():
            r, c = np.argwhere(~ok)[0]
            line = int(frame.index[r])
            raise DataValidationError(
                path,
                "counts must be whole numbers ≥ 0 (a blank is missing, not zero); an aggregate "
                "file is refused whole when one cell is bad",
                row=line,
                column=measure_cols[c],
                value=block.iat[r, c],
            )
        counts = block.to_numpy(dtype=np.float64).astype(np.int64)
        pos = {c: k for k, c in enumerate(measure_cols)}
        for total, parts, rel in RULES:
            lhs = counts[:, pos[total]]
            rhs = counts[:, [pos[p] for p in parts]].sum(axis=1)
            bad = lhs != rhs if rel == "==" else lhs < rhs
            if bad.any():
                r = int(bad.argmax())
                line = int(frame.index[r])
                sign = "=" if rel == "==" else "≥"
                raise DataValidationError(
                    path,
                    f"{total} ({lhs[r]:,}) must be {sign} {' + '.join(parts)} ({rhs[r]:,}); "
                    "the columns may be shifted or edited",
                    row=line,
                    column=total,
                )
        n_rows, n_cols = counts.shape
        long = pd.DataFrame(
            {
                "source_kind": KIND,
                "scope_code": np.repeat(np.array(codes, dtype=object), n_cols),
                "area_code": np.repeat(np.array(codes, dtype=object), n_cols),
                "area_type": np.repeat(np.array(types, dtype=object), n_cols),
                "month": np.repeat(np.array(months, dtype="datetime64[D]"), n_cols),
                "offence_major": np.tile(np.array(measure_cols, dtype=object), n_rows),
                "offence_minor": np.tile(
                    np.array([COLUMN_GROUPS[c] for c in measure_cols], dtype=object), n_rows
                ),
                "count": counts.reshape(-1),
            }
        )
        pseudo = sorted({c for c, t in zip(codes, types, strict=True) if t == "pseudo"})
        areas = pd.DataFrame(
            {
                "area_code": pseudo,
                "area_name": [names[c] for c in pseudo],
                "area_type": "pseudo",
                "parent_code": None,
                "geometry": None,
                "area_ha": None,
            }
        )
        all_months = pd.date_range(min(months), max(months), freq="MS").date
        per_area = key.groupby("a")["m"].nunique()
        incomplete = per_area[per_area < len(all_months)]
        notes = [
            f"{len(set(codes))} areas ({len(set(codes)) - len(pseudo)} boroughs"
            + (
                f" and {', '.join(names[c] for c in pseudo)} kept as a pseudo-area"
                if pseudo
                else ""
            )
            + f") × {len(all_months)} months, {min(months):%b %Y} – {max(months):%b %Y}; "
            f"{n_cols} measures",
            "every row passed the file's own arithmetic (VAP, sexual offences and robbery parts; "
            "knife with injury ≤ knife crime; non-domestic ≤ all victims; SYV ≤ youth violence)",
            "'19 Possession of Weapons Offs' is stored as published but does not hold Possession "
            "of Weapons offences; no measure uses it",
        ]
        if incomplete.empty:
            notes.append("every area has every month")
        else:
            notes.append(
                "areas missing months (London totals for those months are partial): "
                + ", ".join(f"{names[a]} {n} of {len(all_months)}" for a, n in incomplete.items())
            )
        if spelt:
            notes.append(
                "names mapped: " + "; ".join(f"{k!r} → {v}" for k, v in sorted(spelt.items()))
            )
        totals = {
            c: int(counts[:, pos[c]].sum())
            for c in ("Knife Crime Offs", "Knife Crime Injury Victims Not DA 1-24")
        }
        notes.append("file totals: " + ", ".join(f"{c} {v:,}" for c, v in totals.items()))
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
            tables={"crime_count_release": long, "area": areas},
            replace_key=("scope_code", "month"),
        )


def read_mps_knife(path: str | Path) -> SourceFrames:
    """Read and validate the MPS knife crime / flagged measures workbook (no store involved)."""
    return MpsKnifeAdapter().read(Path(path))


ADAPTERS: list[SourceAdapter] = [MpsKnifeAdapter()]

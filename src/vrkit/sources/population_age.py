"""ONS mid-year population by single year of age, local authorities (kind
``population_lad_single_year``).

Format
------
A compiled Nomis extract of the ONS mid-year estimates ("local authority based by single year of
age"; PROVENANCE §20)::

    name,code,year,Age 0,Age 1,…,Age 89,Aged 90+
    Darlington,E06000005,1997,1218,1191,…

one row per local authority (England, Wales, Scotland, Northern Ireland) and year. ``-`` marks an
age the extract does not give: ages 85 and over in 1997–2000 (they were not split), and every
age of the Northern Ireland districts in 1997–2000.

What is stored
--------------
``indicator_value`` rows at 30 June of each year: ``pop_age_0`` … ``pop_age_89``,
``pop_age_90_plus``, and ``pop_age_10_24``, the exact sum of the single years 10–24 (the
denominator of youth-violence rates). ``-`` cells are **not stored** (missing, not zero), so a
band that needs one of them is missing rather than too small; the notes count them by year.
Any band is available from the store (:func:`vrkit.store.core_data.population_band`).

Checks (aggregate file, all or nothing): the header (ages 0–89 and 90+ in order), local authority
GSS codes, a year 1900–2100, one row per code and year, whole numbers ≥ 0 or ``-``.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from vrkit.errors import DataValidationError
from vrkit.sources._core_data import catalogue_indicator_frame, refuse_duplicates
from vrkit.sources.base import LoadReport, Probe, SourceAdapter, SourceFrames, read_csv_strict
from vrkit.sources.geography import INDICATOR_VALUE_COLUMNS, check_codes

KIND = "population_lad_single_year"
AGE_COLUMNS: tuple[str, ...] = (*(f"Age {a}" for a in range(90)), "Aged 90+")
HEADER: tuple[str, ...] = ("name", "code", "year", *AGE_COLUMNS)
#: indicator id of each age column, in order (age 90 means 90 and over)
AGE_IDS: tuple[str, ...] = (*(f"pop_age_{a}" for a in range(90)), "pop_age_90_plus")
YOUNG = (10, 24)
YOUNG_ID = "pop_age_10_24"
MISSING = "-"
_WHOLE = re.compile(r"^\d+$")


def _missing_summary(years: np.ndarray, missing: np.ndarray, codes: np.ndarray) -> list[str]:
    """One note per year that has ``-`` cells: how many areas, which ages."""
    out = []
    for y in sorted(set(years[missing.any(axis=1)].tolist())):
        rows = (years == y) & missing.any(axis=1)
        patterns = Counter(tuple(np.flatnonzero(missing[i]).tolist()) for i in np.flatnonzero(rows))
        by_pattern: dict[tuple[int, ...], set[str]] = {}
        for i in np.flatnonzero(rows):
            by_pattern.setdefault(tuple(np.flatnonzero(missing[i]).tolist()), set()).add(
                str(codes[i])[:3]
            )
        parts = []
        for ages, n in patterns.most_common():
            lo, hi = ages[0], ages[-1]
            span = "every age" if len(ages) == len(AGE_IDS) else _age_span(lo, hi, len(ages))
            kinds = "/".join(sorted(by_pattern[ages]))
            parts.append(f"{n} areas (codes {kinds}…): {span}")
        out.append(f"{y}: not given ('-'), not stored: " + "; ".join(parts))
    return out


def _age_span(lo: int, hi: int, n: int) -> str:
    label = "90+" if hi == 90 else str(hi)
    if n == hi - lo + 1:
        return f"ages {lo}–{label}"
    return f"{n} ages between {lo} and {label}"


class PopulationSingleYearAdapter(SourceAdapter):
    """ONS mid-year estimates by single year of age for local authorities (Nomis extract)."""

    kind = KIND
    description = (
        "ONS mid-year population by single year of age, local authorities (csv): name, code, "
        "year, Age 0 … Age 89, Aged 90+"
    )
    record_level = False
    signature = ("name", "code", "year", "Age 0", "Age 10", "Age 24", "Aged 90+")

    def sniff(self, probe: Probe) -> bool:
        return probe.header == HEADER

    def read(self, path: Path) -> SourceFrames:
        frame = read_csv_strict(path)
        if tuple(frame.columns) != HEADER:
            wrong = next(
                (h for h, c in zip(HEADER, frame.columns, strict=False) if h != c), HEADER[-1]
            )
            raise DataValidationError(
                path,
                "the header must be name, code, year, Age 0 … Age 89, Aged 90+ in that order",
                row=1,
                column=wrong,
            )
        check_codes(path, frame["code"], "lad", "code", unique=False)
        year_raw = frame["year"].str.strip()
        ok = year_raw.str.fullmatch(r"\d{4}")
        years = pd.to_numeric(year_raw.where(ok), errors="coerce")
        bad = ~ok | (years < 1900) | (years > 2100)
        if bad.any():
            line = int(frame.index[bad.to_numpy().argmax()])
            raise DataValidationError(
                path, "year must be a year like 2019", row=line, column="year", value=year_raw[line]
            )
        codes = frame["code"].str.strip()
        refuse_duplicates(path, pd.DataFrame({"c": codes, "y": years}), "code and year", "year")
        cells = frame[list(AGE_COLUMNS)].to_numpy(dtype=object)
        flat = pd.Series(cells.ravel(), dtype="string").str.strip()
        missing = (flat == MISSING).to_numpy(dtype=bool).reshape(cells.shape)
        good = flat.str.fullmatch(_WHOLE.pattern).to_numpy(dtype=bool).reshape(cells.shape)
        bad_cells = ~(good | missing)
        if bad_cells.any():
            r, c = np.argwhere(bad_cells)[0]
            line = int(frame.index[r])
            raise DataValidationError(
                path,
                f"population must be a whole number ≥ 0 (or '{MISSING}' where not given); an "
                "aggregate file is refused whole when one cell is bad",
                row=line,
                column=AGE_COLUMNS[c],
                value=cells[r, c],
            )
        counts = (
            pd.to_numeric(flat.where(~flat.eq(MISSING)), errors="coerce")
            .to_numpy(dtype=np.float64, na_value=np.nan)
            .reshape(cells.shape)
        )
        year_arr = years.to_numpy(dtype=int)
        ref = {int(y): date(int(y), 6, 30) for y in np.unique(year_arr)}
        n_rows, n_ages = counts.shape
        long = pd.DataFrame(
            {
                "area_code": np.repeat(codes.to_numpy(dtype=object), n_ages),
                "indicator_id": np.tile(np.array(AGE_IDS, dtype=object), n_rows),
                "year": np.repeat(year_arr, n_ages),
                "value": counts.reshape(-1),
            }
        )
        lo, hi = YOUNG
        young = counts[:, lo : hi + 1]
        young_ok = ~np.isnan(young).any(axis=1)
        band = pd.DataFrame(
            {
                "area_code": codes.to_numpy(dtype=object)[young_ok],
                "indicator_id": YOUNG_ID,
                "year": year_arr[young_ok],
                "value": young[young_ok].sum(axis=1),
            }
        )
        long = pd.concat([long[long["value"].notna()], band], ignore_index=True)
        long["period_start"] = pd.to_datetime(long["year"].map(ref)).astype("datetime64[s]")
        long["period_end"] = long["period_start"]
        london = codes.str.startswith("E09").to_numpy()
        totals = {
            y: counts[london & (year_arr == y)].sum()
            for y in (2019, 2020)
            if (london & (year_arr == y)).any() and not missing[london & (year_arr == y)].any()
        }
        notes = [
            f"{len(frame):,} rows: {codes.nunique():,} local authorities × "
            f"{len(ref)} years ({min(ref)}–{max(ref)}), mid-year (30 June) estimates",
            f"{YOUNG_ID}: exact sum of the single years {lo}–{hi} "
            f"({int(young_ok.sum()):,} area-years; missing where an age in the band is '-')",
            *_missing_summary(year_arr, missing, codes.to_numpy()),
        ]
        if totals:
            notes.append(
                "London boroughs' total population: "
                + ", ".join(f"{y} {v:,.0f}" for y, v in totals.items())
            )
        report = LoadReport(
            path=path,
            source_kind=KIND,
            rows_read=len(frame),
            rows_loaded=len(frame),
            covers_from=date(min(ref), 6, 1),
            covers_to=date(max(ref), 6, 1),
            notes=notes,
        )
        return SourceFrames(
            report=report,
            tables={
                "indicator": catalogue_indicator_frame([*AGE_IDS, YOUNG_ID]),
                "indicator_value": long[INDICATOR_VALUE_COLUMNS],
            },
        )


def read_population_single_year(path: str | Path) -> SourceFrames:
    """Read and validate the ONS single-year-of-age LA population file (no store involved)."""
    return PopulationSingleYearAdapter().read(Path(path))


ADAPTERS: list[SourceAdapter] = [PopulationSingleYearAdapter()]

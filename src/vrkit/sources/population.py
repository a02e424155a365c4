"""Population estimates → ``indicator`` and ``indicator_value`` rows.

Formats
-------
``population_lsoa_mid_year``
    ONS "Lower layer Super Output Area population estimates" (SAPE22DT13 mid-2019, SAPE23DT13
    mid-2020; broad ages) as subset to London: ``LSOA11CD, LSOA11NM, MSOA11CD, MSOA11NM,
    LAD11CD, LAD11NM`` then ``Persons|Males|Females`` × ``All-Ages, 0-15, 16-29, 30-44, 45-64,
    65+`` (e.g. ``Persons_0-15``). The header has no year, so the year comes from the file name
    (``…mid2019…``). Values are stored at the reference date, 30 June of that year, as both
    ``period_start`` and ``period_end``.
``population_census2021_ts007a``
    ONS Census 2021 table TS007A (age by five-year bands), Nomis bulk file: ``date, geography,
    geography code, Age: Total, Age: Aged 4 years and under, …, Age: Aged 85 years and over``,
    one row per 2021 LSOA in England and Wales. Stored at Census day, 21 March 2021. The 2021
    LSOA codes are not the 2011 codes of the crime data (see :mod:`vrkit.sources.lookups`).

Checks (all or nothing): LSOA codes valid and unique, every cell a whole number ≥ 0, the age
bands of each row sum to its total (and for mid-year files, males + females = persons).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from vrkit.catalog.indicators import IndicatorDef, indicator_def
from vrkit.errors import DataValidationError
from vrkit.sources.base import LoadReport, Probe, SourceAdapter, SourceFrames, read_csv_strict
from vrkit.sources.geography import (
    check_codes,
    indicator_frame,
    indicator_values,
    numeric_column,
    require_header,
)

_LOOKUP_COLS = ("LSOA11CD", "LSOA11NM", "MSOA11CD", "MSOA11NM", "LAD11CD", "LAD11NM")
_SEXES = (("Persons", ""), ("Males", "males_"), ("Females", "females_"))
_BANDS = (
    ("All-Ages", "all_ages", "all ages"),
    ("0-15", "0_15", "aged 0-15"),
    ("16-29", "16_29", "aged 16-29"),
    ("30-44", "30_44", "aged 30-44"),
    ("45-64", "45_64", "aged 45-64"),
    ("65+", "65_plus", "aged 65 and over"),
)
MID_YEAR_HEADER: tuple[str, ...] = _LOOKUP_COLS + tuple(
    f"{sex}_{band}" for sex, _ in _SEXES for band, _, _ in _BANDS
)
_MID_YEAR = re.compile(r"mid[-_ ]?(\d{4})")


def _mid_year_defs() -> dict[str, tuple[str, IndicatorDef]]:
    """indicator id → (file header, definition from ``catalog/indicators.csv``)."""
    out: dict[str, tuple[str, IndicatorDef]] = {}
    for sex, prefix in _SEXES:
        for band, key, _label in _BANDS:
            iid = f"population_{prefix}{key}"
            out[iid] = (f"{sex}_{band}", indicator_def(iid))
    return out


MID_YEAR_INDICATORS = _mid_year_defs()

#: Census 2021 TS007A five-year bands: (header suffix, id suffix, lower age)
_CENSUS_BANDS: tuple[tuple[str, str, int], ...] = (
    ("Aged 4 years and under", "0_4", 0),
    ("Aged 5 to 9 years", "5_9", 5),
    ("Aged 10 to 14 years", "10_14", 10),
    ("Aged 15 to 19 years", "15_19", 15),
    ("Aged 20 to 24 years", "20_24", 20),
    ("Aged 25 to 29 years", "25_29", 25),
    ("Aged 30 to 34 years", "30_34", 30),
    ("Aged 35 to 39 years", "35_39", 35),
    ("Aged 40 to 44 years", "40_44", 40),
    ("Aged 45 to 49 years", "45_49", 45),
    ("Aged 50 to 54 years", "50_54", 50),
    ("Aged 55 to 59 years", "55_59", 55),
    ("Aged 60 to 64 years", "60_64", 60),
    ("Aged 65 to 69 years", "65_69", 65),
    ("Aged 70 to 74 years", "70_74", 70),
    ("Aged 75 to 79 years", "75_79", 75),
    ("Aged 80 to 84 years", "80_84", 80),
    ("Aged 85 years and over", "85_plus", 85),
)
CENSUS_HEADER: tuple[str, ...] = (
    "date",
    "geography",
    "geography code",
    "Age: Total",
    *(f"Age: {h}" for h, _, _ in _CENSUS_BANDS),
)
CENSUS_DAY = date(2021, 3, 21)
#: bands summed into the violence-relevant "young people" group 10-24
YOUNG_BANDS = ("10_14", "15_19", "20_24")


def _census_defs() -> dict[str, IndicatorDef]:
    """The Census 2021 indicators (definitions in ``catalog/indicators.csv``)."""
    ids = [
        "census2021_population_total",
        *(f"census2021_age_{key}" for _, key, _ in _CENSUS_BANDS),
        "census2021_age_10_24",
    ]
    return {iid: indicator_def(iid) for iid in ids}


CENSUS_INDICATORS = _census_defs()


def _check_sum(
    path: Path,
    frame: pd.DataFrame,
    parts: dict[str, np.ndarray],
    total_col: str,
    total: np.ndarray,
    what: str,
) -> None:
    """Refuse the file at the first row whose ``parts`` do not add up to ``total``."""
    summed = np.sum(np.vstack(list(parts.values())), axis=0)
    bad = summed != total
    if bad.any():
        pos = int(bad.argmax())
        raise DataValidationError(
            path,
            f"{what} sum to {summed[pos]:,.0f}, not the total {total[pos]:,.0f}",
            row=int(frame.index[pos]),
            column=total_col,
            value=frame[total_col].iloc[pos],
            hint="The file may have been edited; use the unmodified ONS file.",
        )


class MidYearPopulationAdapter(SourceAdapter):
    """ONS LSOA (2011) mid-year population estimates by sex and broad age, London subset."""

    kind = "population_lsoa_mid_year"
    description = (
        "ONS LSOA mid-year population (csv): LSOA11CD…LAD11NM, Persons/Males/Females "
        "× All-Ages, 0-15, 16-29, 30-44, 45-64, 65+ (year from file name 'midYYYY')"
    )

    def sniff(self, probe: Probe) -> bool:
        return probe.header == MID_YEAR_HEADER

    def read(self, path: Path) -> SourceFrames:
        m = _MID_YEAR.search(path.name.lower())
        if not m or not 1990 <= int(m.group(1)) <= 2100:
            raise DataValidationError(
                path,
                "cannot tell the mid-year from the file name (the header has no year)",
                hint="Keep a name like london-mid2019-pop.csv (…midYYYY…).",
            )
        year = int(m.group(1))
        frame = read_csv_strict(path)
        require_header(path, list(frame.columns), MID_YEAR_HEADER)
        check_codes(path, frame["LSOA11CD"], "lsoa", "LSOA11CD")
        check_codes(path, frame["LAD11CD"], "lad", "LAD11CD", unique=False)
        values: dict[str, np.ndarray] = {
            iid: numeric_column(path, frame[col], col, integer=True, minimum=0)
            for iid, (col, _) in MID_YEAR_INDICATORS.items()
        }
        for sex, prefix in _SEXES:
            bands = {k: values[f"population_{prefix}{k}"] for _, k, _ in _BANDS[1:]}
            _check_sum(
                path,
                frame,
                bands,
                f"{sex}_All-Ages",
                values[f"population_{prefix}all_ages"],
                f"{sex} age bands",
            )
        _check_sum(
            path,
            frame,
            {"m": values["population_males_all_ages"], "f": values["population_females_all_ages"]},
            "Persons_All-Ages",
            values["population_all_ages"],
            "males + females",
        )
        ref = date(year, 6, 30)
        vals = indicator_values(frame["LSOA11CD"].str.strip().to_numpy(), values, ref, ref)
        total = int(values["population_all_ages"].sum())
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=len(frame),
            rows_loaded=len(frame),
            covers_from=date(year, 6, 1),
            covers_to=date(year, 6, 1),
            notes=[
                f"mid-{year} estimates (30 June {year}) for {len(frame):,} LSOAs (2011); "
                f"total population {total:,}",
                "age bands sum to All-Ages and males + females = persons in every row",
            ],
        )
        return SourceFrames(
            report=report,
            tables={
                "indicator": indicator_frame(d for _, d in MID_YEAR_INDICATORS.values()),
                "indicator_value": vals,
            },
        )


class Census2021AgeAdapter(SourceAdapter):
    """ONS Census 2021 TS007A, usual residents by five-year age band, 2021 LSOAs."""

    kind = "population_census2021_ts007a"
    description = (
        "Census 2021 TS007A (csv/csv.gz): date, geography, geography code, Age: "
        "Total, Age: Aged 4 years and under … 85 years and over"
    )

    def sniff(self, probe: Probe) -> bool:
        return probe.header == CENSUS_HEADER

    def read(self, path: Path) -> SourceFrames:
        frame = read_csv_strict(path)
        require_header(path, list(frame.columns), CENSUS_HEADER)
        dates = frame["date"].str.strip()
        if (dates != "2021").any():
            line = int(frame.index[(dates != "2021").to_numpy().argmax()])
            raise DataValidationError(
                path,
                "Census 2021 rows must have date 2021",
                row=line,
                column="date",
                value=frame.loc[line, "date"],
            )
        codes = frame["geography code"]
        check_codes(path, codes, "lsoa", "geography code")
        total = numeric_column(path, frame["Age: Total"], "Age: Total", integer=True, minimum=0)
        bands = {
            key: numeric_column(path, frame[f"Age: {h}"], f"Age: {h}", integer=True, minimum=0)
            for h, key, _ in _CENSUS_BANDS
        }
        _check_sum(path, frame, bands, "Age: Total", total, "five-year age bands")
        values = {"census2021_population_total": total}
        values.update({f"census2021_age_{k}": v for k, v in bands.items()})
        values["census2021_age_10_24"] = sum((bands[k] for k in YOUNG_BANDS), np.zeros(len(frame)))
        vals = indicator_values(codes.str.strip().to_numpy(), values, CENSUS_DAY, CENSUS_DAY)
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=len(frame),
            rows_loaded=len(frame),
            covers_from=date(2021, 3, 1),
            covers_to=date(2021, 3, 1),
            notes=[
                f"Census day 21 March 2021, {len(frame):,} LSOAs (2021 codes); total "
                f"{int(total.sum()):,} usual residents",
                "age 10-24 = sum of the published bands 10-14, 15-19, 20-24",
                "2021 LSOA codes: link to 2011-based data through a lookup, not by code",
            ],
        )
        return SourceFrames(
            report=report,
            tables={
                "indicator": indicator_frame(CENSUS_INDICATORS.values()),
                "indicator_value": vals,
            },
        )


ADAPTERS: list[SourceAdapter] = [MidYearPopulationAdapter(), Census2021AgeAdapter()]

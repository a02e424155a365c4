"""English Indices of Deprivation 2019 (MHCLG) → ``indicator`` and ``indicator_value`` rows.

Formats
-------
``imd2019_london``
    GLA's London extract "ID 2019 for London.xlsx", sheet ``IMD 2019``: 4,835 LSOAs (2011) ×
    score, rank and decile of the IMD and of each of its seven domains.
``imd2019_file1``
    MHCLG "File 1: Index of Multiple Deprivation", sheet ``IMD2019``: all 32,844 English LSOAs ×
    IMD rank and decile (no scores).
``imd2019_london_wards``
    GLA "London wards id2019 summary measures.xlsx", sheet ``wards_id_summary``: 633 wards
    (2018 boundaries, City of London as one ward) × GLA ward summaries of the IoD.

Conventions (MHCLG, *The English Indices of Deprivation 2019: Technical report*, 2019):
rank 1 is the **most** deprived of 32,844 LSOAs and decile 1 the most deprived 10 %, so ranks and
deciles are "higher is better" while scores are "higher is worse". Ranks and deciles are
national (England), also in the London extract.

Period: IoD2019 was published on 26 September 2019; its indicators mostly relate to 2015/16
(e.g. income and employment benefits data for the 2015/16 tax year). Values are stored with the
release year, ``period_start`` 2019-01-01 and ``period_end`` 2019-12-31, and the reference years
are stated in each indicator's description. File 1 and the London extract share indicator ids
(``imd2019_rank``, ``imd2019_decile``): their values are identical for London LSOAs, so whichever
loads last changes nothing.

All three are aggregate files: a bad code or cell refuses the whole workbook.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

import numpy as np

from vrkit.catalog.indicators import IndicatorDef, indicator_def
from vrkit.errors import DataValidationError
from vrkit.sources.base import LoadReport, Probe, SourceAdapter, SourceFrames
from vrkit.sources.geography import (
    check_codes,
    indicator_frame,
    indicator_values,
    numeric_column,
    read_sheet,
    require_header,
    sheet_header,
)

PERIOD_START = date(2019, 1, 1)
PERIOD_END = date(2019, 12, 31)
N_LSOA_ENGLAND = 32_844

#: (id stem, label in the workbook headers, score header suffix); the indicators' names, units
#: and descriptions are catalogue data (``catalog/indicators.csv``)
_DOMAINS: tuple[tuple[str, str, str], ...] = (
    ("", "Index of Multiple Deprivation (IMD)", "Score"),
    ("income", "Income", "Score (rate)"),
    ("employment", "Employment", "Score (rate)"),
    ("education", "Education, Skills and Training", "Score"),
    ("health", "Health Deprivation and Disability", "Score"),
    ("crime", "Crime", "Score"),
    ("barriers", "Barriers to Housing and Services", "Score"),
    ("living_environment", "Living Environment", "Score"),
)


def _stem(key: str) -> str:
    return f"imd2019_{key}_" if key else "imd2019_"


def _lsoa_defs() -> dict[str, tuple[str, IndicatorDef]]:
    """indicator id → (London workbook header, definition) for the 24 LSOA indicators."""
    out: dict[str, tuple[str, IndicatorDef]] = {}
    for key, label, score_suffix in _DOMAINS:
        for what, header in (
            ("score", f"{label} {score_suffix}"),
            ("rank", f"{label} Rank (where 1 is most deprived)"),
            ("decile", f"{label} Decile (where 1 is most deprived 10% of LSOAs)"),
        ):
            out[_stem(key) + what] = (header, indicator_def(_stem(key) + what))
    return out


LSOA_INDICATORS = _lsoa_defs()
_CODE_COL = "LSOA code (2011)"
_FILE1_COLS = {
    "imd2019_rank": "Index of Multiple Deprivation (IMD) Rank",
    "imd2019_decile": "Index of Multiple Deprivation (IMD) Decile",
}


@dataclass(frozen=True)
class _WardCol:
    header: str
    indicator: IndicatorDef
    integer: bool = False
    minimum: float | None = None
    maximum: float | None = None


def _ward(
    iid: str,
    header: str,
    *,
    integer: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
) -> _WardCol:
    return _WardCol(header, indicator_def(iid), integer, minimum, maximum)


WARD_COLUMNS: tuple[_WardCol, ...] = (
    _ward("imd2019_ward_extent", "IMD Extent %", minimum=0, maximum=1),
    _ward("imd2019_ward_average_rank", "IMD Average rank", minimum=1, maximum=N_LSOA_ENGLAND),
    _ward("imd2019_ward_average_score", "IMD average score", minimum=0),
    _ward(
        "imd2019_ward_worst_lsoa_rank",
        "Rank of worst LSOA",
        integer=True,
        minimum=1,
        maximum=N_LSOA_ENGLAND,
    ),
    _ward("imd2019_ward_lsoa_count", "Number of LSOAs", minimum=0),
    _ward("imd2019_ward_lsoas_worst_5pct", "# LSOAs in worst 5%", minimum=0),
    _ward("imd2019_ward_lsoas_worst_10pct", "# LSOAs in worst 10%", minimum=0),
    _ward("imd2019_ward_lsoas_worst_20pct", "# LSOAs in worst 20%", minimum=0),
    _ward("imd2019_ward_lsoas_worst_50pct", "# LSOAs in worst 50%", minimum=0),
    _ward("imd2019_ward_income_score", "Income score", minimum=0, maximum=1),
    _ward("imd2019_ward_employment_score", "Employment score", minimum=0, maximum=1),
    _ward("imd2019_ward_idaci_score", "IDACI score", minimum=0, maximum=1),
    _ward("imd2019_ward_idaopi_score", "IDAOPI score", minimum=0, maximum=1),
)


def _header_ok(probe: Probe, sheet: str, needed: tuple[str, ...]) -> bool:
    if not probe.sheets or sheet not in probe.sheets:
        return False
    header = set(sheet_header(probe.path, sheet))
    return all(n in header for n in needed)


def _score_bounds(iid: str) -> tuple[float | None, float | None, bool]:
    """(minimum, maximum, integer) allowed for an LSOA indicator."""
    if iid.endswith("_rank"):
        return 1, N_LSOA_ENGLAND, True
    if iid.endswith("_decile"):
        return 1, 10, True
    if iid in ("imd2019_income_score", "imd2019_employment_score"):
        return 0, 1, False
    return None, None, False


class _ImdLsoaAdapter(SourceAdapter):
    sheet: ClassVar[str]
    #: indicator id -> workbook header
    columns: ClassVar[dict[str, str]]

    def sniff(self, probe: Probe) -> bool:
        return _header_ok(probe, self.sheet, (_CODE_COL, *list(self.columns.values())[:2]))

    def read(self, path: Path) -> SourceFrames:
        frame = read_sheet(path, self.sheet)
        require_header(path, list(frame.columns), [_CODE_COL, *self.columns.values()])
        codes = frame[_CODE_COL]
        check_codes(path, codes.where(codes.notna(), ""), "lsoa", _CODE_COL)
        values: dict[str, np.ndarray] = {}
        for iid, header in self.columns.items():
            lo, hi, integer = _score_bounds(iid)
            values[iid] = numeric_column(
                path, frame[header], header, integer=integer, minimum=lo, maximum=hi
            )
        vals = indicator_values(
            codes.astype(str).str.strip().to_numpy(), values, PERIOD_START, PERIOD_END
        )
        defs = [LSOA_INDICATORS[i][1] for i in self.columns]
        notes = [f"{len(frame):,} LSOAs × {len(self.columns)} indicators = {len(vals):,} values"]
        if "imd2019_rank" in values:
            ranks = values["imd2019_rank"]
            tied = len(ranks) - len(np.unique(ranks))
            if tied:
                notes.append(
                    f"{tied} ranks are shared by two LSOAs (ties in the published "
                    "IMD ranks; kept as published)"
                )
        if "imd2019_decile" in values:
            dist = np.bincount(values["imd2019_decile"].astype(np.int64), minlength=11)[1:]
            notes.append(
                "IMD decile distribution (1 = most deprived): "
                + ", ".join(f"{i + 1}: {n:,}" for i, n in enumerate(dist))
            )
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=len(frame),
            rows_loaded=len(frame),
            covers_from=PERIOD_START,
            covers_to=date(2019, 12, 1),
            notes=notes,
        )
        return SourceFrames(
            report=report, tables={"indicator": indicator_frame(defs), "indicator_value": vals}
        )


class ImdLondonAdapter(_ImdLsoaAdapter):
    """GLA London extract of IoD2019: scores, ranks and deciles of the IMD and its domains."""

    kind = "imd2019_london"
    description = (
        "IoD2019 London extract (xlsx, sheet 'IMD 2019'): LSOA IMD and domain scores/ranks/deciles"
    )
    sheet = "IMD 2019"
    columns: ClassVar[dict[str, str]] = {
        iid: header for iid, (header, _) in LSOA_INDICATORS.items()
    }


class ImdFile1Adapter(_ImdLsoaAdapter):
    """MHCLG IoD2019 File 1: IMD rank and decile of every LSOA in England."""

    kind = "imd2019_file1"
    description = "IoD2019 File 1 (xlsx, sheet 'IMD2019'): IMD rank and decile, all English LSOAs"
    sheet = "IMD2019"
    columns: ClassVar[dict[str, str]] = _FILE1_COLS


class ImdLondonWardsAdapter(SourceAdapter):
    """GLA London ward summaries of IoD2019 (sheet ``wards_id_summary``)."""

    kind = "imd2019_london_wards"
    description = (
        "IoD2019 London ward summary measures (xlsx, sheet 'wards_id_summary'): "
        "extent, average rank/score, income/employment/IDACI/IDAOPI"
    )
    sheet = "wards_id_summary"

    def sniff(self, probe: Probe) -> bool:
        return _header_ok(probe, self.sheet, ("Ward Code", "IMD average score"))

    def read(self, path: Path) -> SourceFrames:
        frame = read_sheet(path, self.sheet)
        require_header(
            path, list(frame.columns), ["Ward Code", "Ward Name", *(c.header for c in WARD_COLUMNS)]
        )
        codes = frame["Ward Code"]
        check_codes(path, codes.where(codes.notna(), ""), "ward", "Ward Code")
        names = frame["Ward Name"]
        blank = names.isna() | (names.astype(str).str.strip() == "")
        if blank.any():
            line = int(frame.index[blank.to_numpy().argmax()])
            raise DataValidationError(path, "ward name is empty", row=line, column="Ward Name")
        values = {
            c.indicator.indicator_id: numeric_column(
                path,
                frame[c.header],
                c.header,
                integer=c.integer,
                minimum=c.minimum,
                maximum=c.maximum,
            )
            for c in WARD_COLUMNS
        }
        vals = indicator_values(
            codes.astype(str).str.strip().to_numpy(), values, PERIOD_START, PERIOD_END
        )
        used = {"Ward Code", "Ward Name", "Borough", *(c.header for c in WARD_COLUMNS)}
        skipped = [c for c in frame.columns if c not in used]
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=len(frame),
            rows_loaded=len(frame),
            covers_from=PERIOD_START,
            covers_to=date(2019, 12, 1),
            notes=[
                f"{len(frame):,} wards (2018 boundaries, City of London as one ward) × "
                f"{len(WARD_COLUMNS)} indicators = {len(vals):,} values",
                "columns not loaded (populations are IoD denominators; London-only ranks of "
                "ranks): " + ", ".join(skipped),
            ],
        )
        return SourceFrames(
            report=report,
            tables={
                "indicator": indicator_frame(c.indicator for c in WARD_COLUMNS),
                "indicator_value": vals,
            },
        )


ADAPTERS: list[SourceAdapter] = [ImdLondonAdapter(), ImdFile1Adapter(), ImdLondonWardsAdapter()]

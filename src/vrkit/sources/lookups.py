"""ONS Open Geography Portal lookups → ``area`` (names, no geometry) and ``area_link`` rows.

Formats
-------
``lookup_lsoa21_ward25_lad25``
    "LSOA (2021) to Electoral Ward (2025) to LAD (2025) Best Fit Lookup in EW": ``LSOA21CD,
    LSOA21NM, LSOA21NMW, WD25CD, WD25NM, WD25NMW, LAD25CD, LAD25NM, LAD25NMW, ObjectId``.
    Gives areas ``lsoa21``, ``ward25``, ``lad25`` and links ``lsoa21_ward25`` (an ONS best fit:
    the share of the LSOA inside the ward is not published, so ``weight`` is NULL) and
    ``ward25_lad25`` (wards nest exactly in districts: weight 1.0).
``lookup_ward23_lad23``
    "Ward to Local Authority District (December 2023) Lookup in the United Kingdom": ``WD23CD,
    WardName, WD23NMW, LAD23CD, LAD23NM, LAD23NMW, ObjectId`` (the published file has a UTF-8
    BOM and a leading space in " WardName"; both are tolerated). Gives areas ``ward23``,
    ``lad23`` and links ``ward23_lad23`` (weight 1.0).

``lookup_lsoa11_lsoa21_lad22``
    "LSOA (2011) to LSOA (2021) to Local Authority District (2022) Best Fit Lookup for EW":
    ``LSOA11CD, LSOA11NM, LSOA21CD, LSOA21NM, LAD22CD, LAD22NM, LAD22NMW`` and ``ObjectId``
    (in any order; ONS downloads differ). Each 2011 LSOA appears once and is assigned to the one
    2021 LSOA that best fits it (ONS: population-weighted centroid in polygon), so a split 2011
    LSOA goes whole to one of its 2021 parts and the other parts receive no 2011 LSOA. Gives
    links ``lsoa11_lsoa21`` (best fit: weight NULL) and ``lsoa21_lad22`` (weight 1.0) and the
    ``lad22`` areas. No ``lsoa11``/``lsoa21`` area rows: those come with their boundaries or
    the LSOA21 → ward lookup and would otherwise be replaced by rows without geometry.

Aggregate rule: a bad or duplicated child code, a ward mapped to two districts, or an area code
with two different names refuses the whole file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vrkit.errors import DataValidationError
from vrkit.sources.base import LoadReport, Probe, SourceAdapter, SourceFrames, read_csv_strict
from vrkit.sources.geography import AREA_COLUMNS, AREA_LINK_COLUMNS, check_codes, require_header

LSOA21_HEADER = (
    "LSOA21CD",
    "LSOA21NM",
    "LSOA21NMW",
    "WD25CD",
    "WD25NM",
    "WD25NMW",
    "LAD25CD",
    "LAD25NM",
    "LAD25NMW",
    "ObjectId",
)
LSOA11_LSOA21_COLUMNS = (
    "LSOA11CD",
    "LSOA11NM",
    "LSOA21CD",
    "LSOA21NM",
    "LAD22CD",
    "LAD22NM",
    "LAD22NMW",
)
WARD23_HEADER = ("WD23CD", "WardName", "WD23NMW", "LAD23CD", "LAD23NM", "LAD23NMW", "ObjectId")


def _areas(
    path: Path,
    frame: pd.DataFrame,
    code_col: str,
    name_col: str,
    area_type: str,
    parent_col: str | None,
) -> pd.DataFrame:
    """Distinct areas of one level, refusing a code that appears with two names or parents."""
    cols = [code_col, name_col] + ([parent_col] if parent_col else [])
    sub = frame[cols].apply(lambda s: s.str.strip())
    blank = sub[name_col] == ""
    if blank.any():
        line = int(sub.index[blank.to_numpy().argmax()])
        raise DataValidationError(path, "area name is empty", row=line, column=name_col)
    distinct = sub.drop_duplicates()
    clash = distinct[code_col].duplicated(keep=False)
    if clash.any():
        code = distinct.loc[clash, code_col].iloc[0]
        lines = sub.index[(sub[code_col] == code).to_numpy()]
        rows = distinct[distinct[code_col] == code]
        second = next(i for i in lines if tuple(sub.loc[i]) != tuple(rows.iloc[0]))
        what = "district" if parent_col and rows[parent_col].nunique() > 1 else "name"
        raise DataValidationError(
            path,
            f"{code_col} {code} appears with two different {what}s (first at line {lines[0]})",
            row=int(second),
            column=parent_col if what == "district" else name_col,
            value=str(sub.loc[second, parent_col if what == "district" else name_col]),
            hint="A lookup must map each area to one parent under one name; use the ONS file.",
        )
    return pd.DataFrame(
        {
            "area_code": distinct[code_col].to_numpy(dtype=object),
            "area_name": distinct[name_col].to_numpy(dtype=object),
            "area_type": area_type,
            "parent_code": distinct[parent_col].to_numpy(dtype=object) if parent_col else None,
            "geometry": None,
            "area_ha": None,
        }
    )[AREA_COLUMNS]


def _links(areas: pd.DataFrame, link_type: str, weight: float | None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "child_code": areas["area_code"].to_numpy(dtype=object),
            "parent_code": areas["parent_code"].to_numpy(dtype=object),
            "link_type": link_type,
            "weight": weight,
        }
    )[AREA_LINK_COLUMNS]


class Lsoa21Ward25LookupAdapter(SourceAdapter):
    """ONS LSOA (2021) → electoral ward (2025) → LAD (2025) best-fit lookup, England and Wales."""

    kind = "lookup_lsoa21_ward25_lad25"
    description = (
        "ONS LSOA21 → ward 2025 → LAD 2025 best-fit lookup (csv/csv.gz): LSOA21CD, "
        "LSOA21NM, LSOA21NMW, WD25CD, …, LAD25NMW, ObjectId"
    )

    def sniff(self, probe: Probe) -> bool:
        return probe.header == LSOA21_HEADER

    def read(self, path: Path) -> SourceFrames:
        frame = read_csv_strict(path)
        require_header(path, list(frame.columns), LSOA21_HEADER)
        check_codes(path, frame["LSOA21CD"], "lsoa", "LSOA21CD")
        check_codes(path, frame["WD25CD"], "ward", "WD25CD", unique=False)
        check_codes(path, frame["LAD25CD"], "lad", "LAD25CD", unique=False)
        lsoa = _areas(path, frame, "LSOA21CD", "LSOA21NM", "lsoa21", "WD25CD")
        ward = _areas(path, frame, "WD25CD", "WD25NM", "ward25", "LAD25CD")
        lad = _areas(path, frame, "LAD25CD", "LAD25NM", "lad25", None)
        links = pd.concat(
            [_links(lsoa, "lsoa21_ward25", None), _links(ward, "ward25_lad25", 1.0)],
            ignore_index=True,
        )
        london = int(frame["LAD25CD"].str.strip().str.startswith("E09").sum())
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=len(frame),
            rows_loaded=len(frame),
            notes=[
                f"{len(lsoa):,} LSOAs (2021; {london:,} in London boroughs E09), "
                f"{len(ward):,} wards (2025), {len(lad):,} districts (2025)",
                "lsoa21_ward25 is an ONS best fit: weight NULL (share not published); "
                "ward25_lad25 nests exactly: weight 1.0",
            ],
        )
        return SourceFrames(
            report=report,
            tables={"area": pd.concat([lsoa, ward, lad], ignore_index=True), "area_link": links},
        )


class Ward23Lad23LookupAdapter(SourceAdapter):
    """ONS ward (December 2023) → local authority district lookup, United Kingdom."""

    kind = "lookup_ward23_lad23"
    description = (
        "ONS ward (Dec 2023) → LAD lookup (csv): WD23CD, WardName, WD23NMW, LAD23CD, "
        "LAD23NM, LAD23NMW, ObjectId"
    )

    def sniff(self, probe: Probe) -> bool:
        return probe.header == WARD23_HEADER

    def read(self, path: Path) -> SourceFrames:
        frame = read_csv_strict(path)  # strips the BOM and the space of " WardName"
        require_header(path, list(frame.columns), WARD23_HEADER)
        check_codes(path, frame["WD23CD"], "ward", "WD23CD")
        check_codes(path, frame["LAD23CD"], "lad", "LAD23CD", unique=False)
        ward = _areas(path, frame, "WD23CD", "WardName", "ward23", "LAD23CD")
        lad = _areas(path, frame, "LAD23CD", "LAD23NM", "lad23", None)
        london = int(frame["LAD23CD"].str.strip().str.startswith("E09").sum())
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=len(frame),
            rows_loaded=len(frame),
            notes=[
                f"{len(ward):,} wards (December 2023; {london:,} in London boroughs E09) in "
                f"{len(lad):,} districts",
                "header ' WardName' read as 'WardName' (leading space in the published file)",
            ],
        )
        return SourceFrames(
            report=report,
            tables={
                "area": pd.concat([ward, lad], ignore_index=True),
                "area_link": _links(ward, "ward23_lad23", 1.0),
            },
        )


class Lsoa11Lsoa21LookupAdapter(SourceAdapter):
    """ONS LSOA (2011) → LSOA (2021) → LAD (2022) best-fit lookup, England and Wales."""

    kind = "lookup_lsoa11_lsoa21_lad22"
    description = (
        "ONS LSOA11 → LSOA21 → LAD 2022 best-fit lookup (csv/csv.gz): LSOA11CD, LSOA11NM, "
        "LSOA21CD, LSOA21NM, LAD22CD, LAD22NM, LAD22NMW, ObjectId"
    )

    def sniff(self, probe: Probe) -> bool:
        # the exact-fit lookup (with CHGIND) is recognised too, to be refused with a clear reason
        return set(LSOA11_LSOA21_COLUMNS) <= set(probe.header or ())

    def read(self, path: Path) -> SourceFrames:
        frame = read_csv_strict(path)
        require_header(path, list(frame.columns), LSOA11_LSOA21_COLUMNS)
        if "CHGIND" in frame.columns:
            raise DataValidationError(
                path,
                "this is the exact-fit lookup (CHGIND column); vrkit needs the best-fit one",
                row=1,
                column="CHGIND",
                hint="Download 'LSOA (2011) to LSOA (2021) to LAD (2022) Best Fit Lookup for EW'.",
            )
        check_codes(path, frame["LSOA11CD"], "lsoa", "LSOA11CD")
        check_codes(path, frame["LSOA21CD"], "lsoa", "LSOA21CD", unique=False)
        check_codes(path, frame["LAD22CD"], "lad", "LAD22CD", unique=False)
        lsoa21 = _areas(path, frame, "LSOA21CD", "LSOA21NM", "lsoa21", "LAD22CD")
        lad = _areas(path, frame, "LAD22CD", "LAD22NM", "lad22", None)
        codes11 = frame["LSOA11CD"].str.strip().to_numpy(dtype=object)
        codes21 = frame["LSOA21CD"].str.strip().to_numpy(dtype=object)
        best = pd.DataFrame(
            {
                "child_code": codes11,
                "parent_code": codes21,
                "link_type": "lsoa11_lsoa21",
                "weight": None,
            }
        )[AREA_LINK_COLUMNS]
        same = int((codes11 == codes21).sum())
        parents = pd.Series(codes21).value_counts()
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=len(frame),
            rows_loaded=len(frame),
            notes=[
                f"{len(frame):,} LSOAs (2011) → {len(lsoa21):,} LSOAs (2021) in "
                f"{len(lad):,} districts (2022)",
                f"{same:,} 2011 LSOAs keep their code; {int((parents > 1).sum()):,} 2021 LSOAs "
                "receive several 2011 LSOAs (merged)",
                "best fit: a split 2011 LSOA goes whole to one 2021 part; the other parts get "
                "no 2011 LSOA, so their months before the change are missing, not zero",
            ],
        )
        return SourceFrames(
            report=report,
            tables={
                "area": lad,
                "area_link": pd.concat(
                    [best, _links(lsoa21, "lsoa21_lad22", 1.0)], ignore_index=True
                ),
            },
        )


ADAPTERS: list[SourceAdapter] = [
    Lsoa21Ward25LookupAdapter(),
    Ward23Lad23LookupAdapter(),
    Lsoa11Lsoa21LookupAdapter(),
]

"""Metropolitan Police Service aggregate crime files (London Datastore).

Formats
-------
``mps_borough_monthly``
    ``MajorText, MinorText, LookUp_BoroughName|BoroughName, YYYYMM…`` (Home Office-style
    categories; title case before 2023, upper case in the 2023+ coding).
``mps_borough_monthly_old``
    ``Borough, Major Category, Minor Category, YYYYMM…`` (the pre-2019 MPS categories; not
    comparable with the newer ones, see ``catalog/measures.toml``).
``mps_ward_monthly``
    ``MajorText, MinorText, WardName, WardCode, LookUp_BoroughName|BoroughName, YYYYMM…``.
``mps_ward_annual_derived`` / ``mps_lsoa_annual_derived``
    Annual sums derived by third parties, with known faults kept as flagged exclusions.

All of these are aggregate files: one bad cell refuses the whole file, because the warehouse
totals must equal the file's totals. Pseudo-areas (airports, "Unknown", "Aviation Security
(SO18)") are kept as areas of their own.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from vrkit.catalog.areas import resolve_borough
from vrkit.catalog.taxonomy import major_for_minor
from vrkit.errors import DataValidationError
from vrkit.sources.base import (
    LoadReport,
    Probe,
    SourceAdapter,
    SourceFrames,
    parse_yyyymm,
    read_csv_strict,
    require_columns,
)

_WARD_CODE = re.compile(r"^[EW]05\d{6}$")
_LSOA_CODE = re.compile(r"^[EW]01\d{6}$")
_BOROUGH_COLS = ("LookUp_BoroughName", "BoroughName")


def _month_columns(path: Path, columns: list[str], first: int) -> list[tuple[str, date]]:
    months: list[tuple[str, date]] = []
    for col in columns[first:]:
        m = parse_yyyymm(col)
        if m is None:
            raise DataValidationError(
                path,
                "month columns must be YYYYMM (e.g. 201901)",
                row=1,
                column=col,
                hint="Was the file re-saved by Excel, which can rename columns?",
            )
        months.append((col, m))
    if not months:
        raise DataValidationError(
            path, "no month columns (YYYYMM) after the category columns", row=1
        )
    seen = [m for _, m in months]
    if len(set(seen)) != len(seen):
        dup = next(c for c, m in months if seen.count(m) > 1)
        raise DataValidationError(path, "a month column appears twice", row=1, column=dup)
    return months


def _counts(
    path: Path, frame: pd.DataFrame, month_cols: list[str], pattern: str = r"\d+"
) -> np.ndarray:
    """The count block as int64, refusing any cell not matching ``pattern`` (all or nothing)."""
    block = frame[month_cols]
    stripped = block.apply(lambda s: s.str.strip())
    ok = stripped.apply(lambda s: s.str.fullmatch(pattern)).to_numpy(dtype=bool)
    if not ok.all():
        r, c = np.argwhere(~ok)[0]
        raise DataValidationError(
            path,
            "counts must be whole numbers ≥ 0; an aggregate file is refused whole when one cell "
            "is bad",
            row=int(frame.index[r]),
            column=month_cols[c],
            value=block.iat[r, c],
        )
    return stripped.to_numpy(dtype=np.float64).astype(np.int64)


def _resolve_scopes(path: Path, frame: pd.DataFrame, col: str) -> pd.DataFrame:
    """Borough name column → (scope_code, scope_name, scope_type), refusing unknown names."""
    names = frame[col].str.strip()
    mapping: dict[str, tuple[str, str, str]] = {}
    for name in names.unique():
        hit = resolve_borough(name)
        if hit is None:
            line = int(names.index[names == name][0])
            raise DataValidationError(
                path,
                "unknown London borough or MPS area name",
                row=line,
                column=col,
                value=name,
                hint="Known names are in vrkit/catalog/london_areas.csv (e.g. 'Barking and "
                "Dagenham', 'London Heathrow and London City Airports', 'Unknown').",
            )
        mapping[name] = hit
    out = pd.DataFrame([mapping[n] for n in names], columns=["code", "name", "type"])
    out.index = frame.index
    return out


def _check_duplicates(
    path: Path, frame: pd.DataFrame, key: list[str], labels: list[str] | None = None
) -> None:
    """Refuse a file where two rows share ``key``; ``labels`` name the file's own columns."""
    dup = frame.duplicated(subset=key, keep="first")
    if dup.any():
        line = int(frame.index[dup.to_numpy().argmax()])
        first = int(
            frame.index[frame[key].eq(frame.loc[line, key]).all(axis=1).to_numpy().argmax()]
        )
        names = labels or key
        raise DataValidationError(
            path,
            f"duplicated row: the same {' + '.join(names)} appears again (first on line {first})",
            row=line,
            column=names[-1],
            value=" | ".join(str(frame.loc[line, k]) for k in key),
            hint="Totals would be double counted; use the original MPS file.",
        )


def _long(
    base: pd.DataFrame, counts: np.ndarray, months: list[date], extra: dict[str, object]
) -> pd.DataFrame:
    """Wide months → one row per (row, month), keeping zero counts (zero is a real count)."""
    n_rows, n_months = counts.shape
    out = pd.DataFrame({col: np.repeat(base[col].to_numpy(), n_months) for col in base.columns})
    out["month"] = np.tile(np.array(months, dtype="datetime64[D]"), n_rows)
    out["count"] = counts.reshape(-1)
    for k, v in extra.items():
        out[k] = v
    return out


def _pseudo_areas(scopes: pd.DataFrame) -> pd.DataFrame:
    p = scopes[scopes["type"] == "pseudo"].drop_duplicates("code")
    return pd.DataFrame(
        {
            "area_code": p["code"].to_numpy(),
            "area_name": p["name"].to_numpy(),
            "area_type": "pseudo",
            "parent_code": None,
            "geometry": None,
            "area_ha": None,
        }
    )


class MpsMonthlyAdapter(SourceAdapter):
    """MPS borough or ward monthly counts, new or old categories, gzip or not."""

    record_level = False

    def __init__(self, kind: str, description: str) -> None:
        self.kind = kind  # type: ignore[misc]
        self.description = description  # type: ignore[misc]
        self.signature = {  # type: ignore[misc]
            "mps_borough_monthly_old": ("Borough", "Major Category", "Minor Category"),
            "mps_ward_monthly": (
                "MajorText",
                "MinorText",
                "WardName",
                "WardCode",
                "LookUp_BoroughName|BoroughName",
            ),
        }.get(kind, ("MajorText", "MinorText", "LookUp_BoroughName|BoroughName"))

    def sniff(self, probe: Probe) -> bool:
        h = probe.header
        if not h or len(h) < 4:
            return False
        if self.kind == "mps_borough_monthly_old":
            return h[:3] == ("Borough", "Major Category", "Minor Category")
        if self.kind == "mps_ward_monthly":
            return h[:4] == ("MajorText", "MinorText", "WardName", "WardCode") and (
                h[4] in _BOROUGH_COLS
            )
        return h[:2] == ("MajorText", "MinorText") and h[2] in _BOROUGH_COLS

    def read(self, path: Path) -> SourceFrames:
        frame = read_csv_strict(path)
        cols = list(frame.columns)
        if self.kind == "mps_borough_monthly_old":
            major_col, minor_col, borough_col, first = (
                "Major Category",
                "Minor Category",
                "Borough",
                3,
            )
            ward = False
        elif self.kind == "mps_ward_monthly":
            require_columns(path, frame, ["MajorText", "MinorText", "WardName", "WardCode"])
            borough_col = next((c for c in _BOROUGH_COLS if c in cols), "LookUp_BoroughName")
            major_col, minor_col, first, ward = "MajorText", "MinorText", 5, True
        else:
            borough_col = next((c for c in _BOROUGH_COLS if c in cols), "LookUp_BoroughName")
            major_col, minor_col, first, ward = "MajorText", "MinorText", 3, False
        require_columns(path, frame, [major_col, minor_col, borough_col])
        months = _month_columns(path, cols, first)
        month_cols = [c for c, _ in months]
        for col in (major_col, minor_col):
            blank = frame[col].str.strip() == ""
            if blank.any():
                raise DataValidationError(
                    path,
                    "offence category is empty",
                    row=int(frame.index[blank.argmax()]),
                    column=col,
                )
        scopes = _resolve_scopes(path, frame, borough_col)
        base = pd.DataFrame(index=frame.index)
        base["offence_major"] = frame[major_col].str.strip()
        base["offence_minor"] = frame[minor_col].str.strip()
        base["scope_code"] = scopes["code"]
        notes: list[str] = []
        if ward:
            codes = frame["WardCode"].str.strip()
            pseudo = scopes["type"] == "pseudo"
            bad = ~codes.str.match(_WARD_CODE) & ~pseudo
            if bad.any():
                line = int(frame.index[bad.to_numpy().argmax()])
                raise DataValidationError(
                    path,
                    "ward code must be an ONS ward code (E05 + 6 digits)",
                    row=line,
                    column="WardCode",
                    value=codes[line],
                )
            base["area_code"] = codes.where(~pseudo, scopes["code"])
            base["area_type"] = np.where(pseudo, "pseudo", "ward")
            _check_duplicates(
                path,
                frame.assign(_a=base["area_code"], _s=base["scope_code"]),
                ["_s", "_a", major_col, minor_col],
                labels=[borough_col, "WardCode", major_col, minor_col],
            )
            if pseudo.any():
                notes.append(
                    f"{int(pseudo.sum())} rows under pseudo-borough(s) "
                    f"{', '.join(sorted(scopes.loc[pseudo, 'name'].unique()))} kept as their own "
                    "area(s)"
                )
        else:
            base["area_code"] = scopes["code"]
            base["area_type"] = np.where(scopes["type"] == "pseudo", "pseudo", "lad")
            _check_duplicates(
                path,
                frame.assign(_a=base["area_code"]),
                ["_a", major_col, minor_col],
                labels=[borough_col, major_col, minor_col],
            )
        counts = _counts(path, frame, month_cols)
        long = _long(base, counts, [m for _, m in months], {"source_kind": self.kind})
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
        tables = {"crime_count_release": long, "area": _pseudo_areas(scopes)}
        if ward:
            wards = pd.DataFrame(
                {
                    "area_code": frame["WardCode"].str.strip(),
                    "area_name": frame["WardName"].str.strip(),
                    "area_type": "ward_mps",
                    "parent_code": scopes["code"],
                    "geometry": None,
                    "area_ha": None,
                }
            ).drop_duplicates("area_code")
            tables["area"] = pd.concat(
                [tables["area"], wards[wards["parent_code"].str[:4] != "MPS-"]]
            )
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=len(frame),
            rows_loaded=len(frame),
            covers_from=min(m for _, m in months),
            covers_to=max(m for _, m in months),
            notes=[
                *notes,
                f"{len(frame):,} rows × {len(months)} months = {len(long):,} counts; total "
                f"{int(counts.sum()):,} offences",
            ],
        )
        return SourceFrames(report=report, tables=tables, replace_key=("scope_code", "month"))


_YEAR_COL = re.compile(r"^Year(\d{4})_(.+)$")


class MpsWardAnnualDerivedAdapter(SourceAdapter):
    """Derived ward annual counts (``WardCode, YearYYYY_<minor>…, TotalYYYY``)."""

    kind = "mps_ward_annual_derived"
    description = "Derived MPS ward annual counts: WardCode, YearYYYY_<minor category>…, TotalYYYY"

    def sniff(self, probe: Probe) -> bool:
        h = probe.header
        return h is not None and h[0] == "WardCode" and any(_YEAR_COL.match(c) for c in h[1:4])

    def read(self, path: Path) -> SourceFrames:
        frame = read_csv_strict(path)
        require_columns(path, frame, ["WardCode"])
        codes = frame["WardCode"].str.strip()
        bad = ~codes.str.match(_WARD_CODE)
        if bad.any():
            line = int(frame.index[bad.to_numpy().argmax()])
            raise DataValidationError(
                path,
                "ward code must be E05 + 6 digits",
                row=line,
                column="WardCode",
                value=codes[line],
            )
        _check_duplicates(path, frame, ["WardCode"])
        parts: list[pd.DataFrame] = []
        na_cells = 0
        totals_checked = 0
        years_seen: set[int] = set()
        for col in frame.columns[1:]:
            m = _YEAR_COL.match(col)
            if not m:
                if re.fullmatch(r"Total\d{4}", col):
                    totals_checked += 1
                    continue
                raise DataValidationError(
                    path,
                    "unexpected column (expected YearYYYY_<minor> or TotalYYYY)",
                    row=1,
                    column=col,
                )
            year, minor = int(m.group(1)), m.group(2).strip()
            years_seen.add(year)
            raw = frame[col].str.strip()
            is_na = raw.isin(["NA", ""])
            ok = raw.str.fullmatch(r"\d+(\.0+)?") | is_na
            if not ok.all():
                line = int(frame.index[(~ok).to_numpy().argmax()])
                raise DataValidationError(
                    path,
                    "counts must be whole numbers ≥ 0 or NA",
                    row=line,
                    column=col,
                    value=raw[line],
                )
            na_cells += int(is_na.sum())
            counts = pd.to_numeric(raw.where(~is_na), errors="raise").astype("Int64")
            try:
                major = major_for_minor(minor)
            except KeyError:
                raise DataValidationError(
                    path,
                    "unknown MPS minor offence category in the column name",
                    row=1,
                    column=col,
                    value=minor,
                    hint="Use the derived file as published; its categories are the MPS ones.",
                ) from None
            excluded = is_na | (year == 2022)
            partial = "2022 covers only Jan–Mar in the derived file" if year == 2022 else None
            reason = [
                "NA in the derived source: missing, not zero" if na else partial
                for na in is_na.to_numpy()
            ]
            parts.append(
                pd.DataFrame(
                    {
                        "source_kind": self.kind,
                        "area_code": codes.to_numpy(),
                        "area_type": "ward",
                        "year": year,
                        "offence_major": major,
                        "offence_minor": minor,
                        "count": counts.to_numpy(),
                        "excluded": excluded.to_numpy(),
                        "exclusion_reason": reason,
                    }
                )
            )
        long = pd.concat(parts, ignore_index=True)
        exclusions = [
            "2022 is a partial year (Jan–Mar) in this derived file: flagged, never used as a year "
            "total",
        ]
        if na_cells:
            exclusions.append(f"{na_cells:,} cells are NA in the source: kept as missing, not zero")
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=len(frame),
            rows_loaded=len(frame),
            covers_from=date(min(years_seen), 1, 1),
            covers_to=date(max(years_seen), 3, 1),
            exclusions=exclusions,
            notes=[
                "DERIVED by a third party from MPS ward files; wards exclude airports and "
                "unknown-location offences"
            ],
        )
        return SourceFrames(report=report, tables={"crime_count_annual": long})


#: file stem (after "london-2011-2021-") → (major, minor) of the derived LSOA files
LSOA_FILE_CATEGORIES: dict[str, tuple[str, str]] = {
    "major-arson": ("Arson and Criminal Damage", "(all)"),
    "major-burglary": ("Burglary", "(all)"),
    "major-drugs": ("Drug Offences", "(all)"),
    "major-misc": ("Miscellaneous Crimes Against Society", "(all)"),
    "major-public-order": ("Public Order Offences", "(all)"),
    "major-robbery": ("Robbery", "(all)"),
    "major-sexual": ("Sexual Offences", "(all)"),
    "major-theft-all": ("Theft", "(all)"),
    "major-vehicle-offences": ("Vehicle Offences", "(all)"),
    "major-violence": ("Violence Against the Person", "(all)"),
    "major-weapons": ("Possession of Weapons", "(all)"),
    "minor-theft-bicycle": ("Theft", "Bicycle Theft"),
    "minor-theft-vehicle": ("Vehicle Offences", "theft-vehicle (as named by the derived file)"),
}
_LSOA_NAME = re.compile(r"^london-(\d{4})-(\d{4})-(.+)\.csv$")


class MpsLsoaAnnualDerivedAdapter(SourceAdapter):
    """Derived LSOA annual counts, one file per category (``LSOA11CD, …, 2011 … 2021``)."""

    kind = "mps_lsoa_annual_derived"
    description = (
        "Derived MPS LSOA annual counts: LSOA11CD, LSOA11NM, MSOA11CD, MSOA11NM, "
        "LAD11CD, LAD11NM, 2011…2021 (file london-2011-2021-<category>.csv)"
    )

    def sniff(self, probe: Probe) -> bool:
        h = probe.header
        return (
            h is not None
            and h[:6] == ("LSOA11CD", "LSOA11NM", "MSOA11CD", "MSOA11NM", "LAD11CD", "LAD11NM")
            and len(h) > 6
            and all(c.isdigit() and len(c) == 4 for c in h[6:])
        )

    def read(self, path: Path) -> SourceFrames:
        m = _LSOA_NAME.match(path.name.lower().removesuffix(".gz"))
        if not m or m.group(3) not in LSOA_FILE_CATEGORIES:
            raise DataValidationError(
                path,
                "cannot tell the offence category from the file name",
                hint="Keep the original names, e.g. london-2011-2021-major-violence.csv; known: "
                + ", ".join(LSOA_FILE_CATEGORIES),
            )
        major, minor = LSOA_FILE_CATEGORIES[m.group(3)]
        frame = read_csv_strict(path)
        require_columns(path, frame, ["LSOA11CD"])
        codes = frame["LSOA11CD"].str.strip()
        bad = ~codes.str.match(_LSOA_CODE)
        if bad.any():
            line = int(frame.index[bad.to_numpy().argmax()])
            raise DataValidationError(
                path,
                "LSOA code must be E01 + 6 digits",
                row=line,
                column="LSOA11CD",
                value=codes[line],
            )
        _check_duplicates(path, frame, ["LSOA11CD"])
        year_cols = list(frame.columns[6:])
        # the deriving code wrote whole numbers as floats ("4.0"); anything else is refused
        counts = _counts(path, frame, year_cols, pattern=r"\d+(\.0+)?")
        years = [int(c) for c in year_cols]
        n = len(frame)
        year_arr = np.tile(np.array(years), n)
        bad_2020 = year_arr == 2020
        reason_2020 = "2020 column is wrong in the derived source (2 × Jan–Jul 2020); never used"
        exclusions = [
            "The 2020 column is known to be wrong (computed as 2 × Jan–Jul 2020 by the "
            "deriving code): kept, flagged excluded, never used as a true figure"
        ]
        # a category file whose every cell is 0 (the shared major-sexual file: London records
        # ~18k sexual offences a year) means the deriving code matched no offences: missing, not 0
        all_zero = not counts.any()
        reason_all = "every cell is 0 in this derived file (no offences matched): missing, not 0"
        if all_zero:
            exclusions.append(f"{reason_all}; all cells flagged excluded")
        long = pd.DataFrame(
            {
                "source_kind": self.kind,
                "area_code": np.repeat(codes.to_numpy(), len(years)),
                "area_type": "lsoa11",
                "year": year_arr,
                "offence_major": major,
                "offence_minor": minor,
                "count": counts.reshape(-1),
                "excluded": bad_2020 | all_zero,
                "exclusion_reason": [
                    reason_all if all_zero else reason_2020 if bad else None for bad in bad_2020
                ],
            }
        )
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=n,
            rows_loaded=n,
            covers_from=date(min(years), 1, 1),
            covers_to=date(max(years), 12, 1),
            exclusions=exclusions,
            notes=[
                "DERIVED by a third party from MPS LSOA files; LSOA totals leave out offences "
                "without a usable location"
            ],
        )
        return SourceFrames(report=report, tables={"crime_count_annual": long})


ADAPTERS: list[SourceAdapter] = [
    MpsMonthlyAdapter(
        "mps_ward_monthly",
        "MPS ward monthly counts: MajorText, MinorText, WardName, WardCode, "
        "LookUp_BoroughName|BoroughName, YYYYMM…",
    ),
    MpsMonthlyAdapter(
        "mps_borough_monthly",
        "MPS borough monthly counts: MajorText, MinorText, LookUp_BoroughName|BoroughName, YYYYMM…",
    ),
    MpsMonthlyAdapter(
        "mps_borough_monthly_old",
        "MPS borough monthly counts, old categories: Borough, Major Category, Minor Category, "
        "YYYYMM…",
    ),
    MpsWardAnnualDerivedAdapter(),
    MpsLsoaAnnualDerivedAdapter(),
]


def read_mps(path: str | Path) -> SourceFrames:
    """Read any MPS aggregate file (format detected from the header)."""
    from vrkit.sources.registry import detect_adapter

    p = Path(path)
    adapter = detect_adapter(p)
    if adapter not in ADAPTERS:
        raise DataValidationError(p, f"not an MPS aggregate file (looks like {adapter.kind})")
    return adapter.read(p)

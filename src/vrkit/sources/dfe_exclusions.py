"""DfE permanent and fixed-period exclusions by geographic level (kinds ``dfe_exclusions`` and,
on request, ``dfe_exclusions_schools``).

Format
------
The DfE "explore education statistics" file ``exclusions_by_geographic_level.csv`` (optionally
with its ``.meta.csv`` in a ``.zip``, which is read directly, without unpacking to disk)::

    time_identifier,time_period,geographic_level,country_code,country_name,region_code,
    region_name,old_la_code,new_la_code,la_name,estab,laestab,academy_type,academy_open_date,
    school_type,num_schools,headcount,perm_excl,perm_excl_rate,fixed_excl,fixed_excl_rate,
    one_plus_fixed,one_plus_fixed_rate

one row per academic year (``time_period`` ``201617`` = 2016/17) × geographic level (National,
Regional, Local authority, School) × area × school type (Total, State-funded primary, State-funded
secondary, Special). Rates are **percentages of the number of pupils** as DfE publishes them
(``perm_excl_rate`` 0.10 = 1 in 1,000 pupils); "fixed period" exclusions are now called
suspensions.

What is stored
--------------
``indicator_value`` rows ``dfe_<column>[_primary|_secondary|_special]`` (catalogue:
``catalog/core_data_indicators.csv``) for England (``E92000001``), the regions (``E12…``, and
Inner/Outer London ``E13000001``/``E13000002``), **London** (``E12000007``: the Inner + Outer
London rows summed, rates recomputed from the summed counts, as stated in the notes) and every
local authority (``new_la_code``), for the academic year 1 September – 31 August.

- ``x`` (suppressed by DfE) and ``.`` (not applicable: no pupils) are not stored and are counted
  in the notes: missing, never zero;
- the 2006/07–2008/09 rows of the pre-2009 counties (Bedfordshire, Cheshire) have no GSS code and
  are not stored (listed in the exclusions);
- **school-level rows are kept out of the warehouse** unless asked for:
  :class:`DfeExclusionsSchoolsAdapter` (kind ``dfe_exclusions_schools``, never chosen by format
  detection; ``read_dfe_exclusions(path, schools=True)``, or
  ``Warehouse.ingest(path, adapter=DfeExclusionsSchoolsAdapter())``) stores them as areas of type
  ``school`` (code ``laestab``, parent the local authority) with the same indicators.

Checks (aggregate file, all or nothing, on the rows that are stored): the header, the time
period, the level, GSS codes, every number (``x``/``.`` where DfE uses them), one row per level,
area, year and school type, and each published rate against its count ÷ pupils × 100 within the
rounding of the published figure (which catches shifted columns).
"""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from vrkit.errors import DataValidationError, SourceError
from vrkit.sources._core_data import catalogue_indicator_frame, refuse_duplicates
from vrkit.sources.base import LoadReport, Probe, SourceAdapter, SourceFrames, read_bytes
from vrkit.sources.geography import AREA_COLUMNS, INDICATOR_VALUE_COLUMNS

KIND = "dfe_exclusions"
KIND_SCHOOLS = "dfe_exclusions_schools"
COLUMNS: tuple[str, ...] = (
    "time_identifier",
    "time_period",
    "geographic_level",
    "country_code",
    "country_name",
    "region_code",
    "region_name",
    "old_la_code",
    "new_la_code",
    "la_name",
    "estab",
    "laestab",
    "academy_type",
    "academy_open_date",
    "school_type",
    "num_schools",
    "headcount",
    "perm_excl",
    "perm_excl_rate",
    "fixed_excl",
    "fixed_excl_rate",
    "one_plus_fixed",
    "one_plus_fixed_rate",
)
#: school type → indicator id suffix
SCHOOL_TYPES: dict[str, str] = {
    "Total": "",
    "State-funded primary": "_primary",
    "State-funded secondary": "_secondary",
    "Special": "_special",
}
#: numeric columns: (column, integer?, rate of (count column) or None). Exclusion counts may be
#: fractional as published (e.g. Brent 2009/10 perm_excl 45.9412), so only num_schools is integer.
NUMBERS: tuple[tuple[str, bool, str | None], ...] = (
    ("num_schools", True, None),
    ("headcount", False, None),
    ("perm_excl", False, None),
    ("perm_excl_rate", False, "perm_excl"),
    ("fixed_excl", False, None),
    ("fixed_excl_rate", False, "fixed_excl"),
    ("one_plus_fixed", False, None),
    ("one_plus_fixed_rate", False, "one_plus_fixed"),
)
COUNT_COLUMNS = ("num_schools", "headcount", "perm_excl", "fixed_excl", "one_plus_fixed")
LEVELS = ("National", "Regional", "Local authority", "School")
ENGLAND = "E92000001"
LONDON = "E12000007"
INNER_OUTER_LONDON = ("E13000001", "E13000002")
_LA_CODE = re.compile(r"^E(0[6-9]|10)\d{6}$")
_REGION_CODE = re.compile(r"^E1[23]\d{6}$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def _is_data_member(name: str) -> bool:
    n = name.lower()
    return n.endswith(".csv") and not n.endswith(".meta.csv")


def _zip_header(path: Path) -> tuple[str, ...] | None:
    """Header of the first data CSV in a zip (cheap), or None."""
    try:
        with zipfile.ZipFile(path) as zf:
            for info in sorted(zf.infolist(), key=lambda i: i.filename):
                if info.is_dir() or not _is_data_member(info.filename):
                    continue
                with zf.open(info) as fh:
                    first = fh.readline(65536).decode("utf-8-sig", errors="replace")
                return tuple(f.strip() for f in first.strip().split(","))
    except (zipfile.BadZipFile, OSError):
        return None
    return None


def _open_csv(path: Path) -> tuple[bytes, str]:
    """The data CSV's bytes and a label naming it (``file.zip!member.csv`` for a zip member)."""
    if not path.name.lower().endswith(".zip"):
        return read_bytes(path), str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            members = [
                i
                for i in zf.infolist()
                if not i.is_dir() and _is_data_member(i.filename) and _header_ok(zf, i)
            ]
            if len(members) != 1:
                raise SourceError(
                    path,
                    f"the zip must hold exactly one DfE exclusions CSV (found {len(members)})",
                )
            return zf.read(members[0]), f"{path}!{members[0].filename}"
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise SourceError(path, f"not a readable zip archive: {exc}") from exc


def _header_ok(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    with zf.open(info) as fh:
        first = fh.readline(65536).decode("utf-8-sig", errors="replace")
    return tuple(f.strip() for f in first.strip().split(",")) == COLUMNS


def _frame(path: Path, data: bytes, *, schools: bool) -> tuple[pd.DataFrame, int, int]:
    """The rows of one kind (school rows, or all the others) as strings indexed by physical
    line, with the number of data rows and of school rows; all or nothing on ragged rows.

    Parsed with pyarrow (all columns as text) and filtered before pandas sees the rows: the
    school rows are 97 % of the file.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(block_size=1 << 24),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(COLUMNS, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        m = re.search(r"[Rr]ow #?(\d+)", str(exc))
        raise DataValidationError(
            path,
            f"the CSV cannot be parsed ({str(exc).splitlines()[0]})",
            row=int(m.group(1)) if m else None,
            hint="The file may be truncated or edited (a row with the wrong number of fields?); "
            "download it again.",
        ) from exc
    names = [n.strip().lstrip("\ufeff") for n in table.column_names]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise DataValidationError(
            path, "a required column is missing or renamed", row=1, column=missing[0]
        )
    table = table.rename_columns(names)
    if table.num_rows == 0:
        raise SourceError(path, "the file has a header but no data rows")
    level = pc.utf8_trim_whitespace(table.column("geographic_level"))
    is_school = pc.equal(level, "School")
    n_school = int(pc.sum(is_school).as_py() or 0)
    lines = pa.array(np.arange(2, 2 + table.num_rows))
    keep = is_school if schools else pc.invert(is_school)
    sub = table.filter(keep)
    frame = sub.select(list(COLUMNS)).to_pandas()
    frame.index = pd.Index(lines.filter(keep).to_numpy(), name=None)
    return frame, table.num_rows, n_school


def _refuse_at(path: Path, frame: pd.DataFrame, bad: pd.Series, column: str, reason: str) -> None:
    if bad.any():
        line = int(frame.index[bad.to_numpy().argmax()])
        raise DataValidationError(
            path, reason, row=line, column=column, value=frame.at[line, column]
        )


def _academic_year(path: Path, frame: pd.DataFrame) -> pd.Series:
    tp = frame["time_period"].str.strip()
    ok = tp.str.fullmatch(r"\d{6}")
    first = pd.to_numeric(tp.str[:4].where(ok), errors="coerce")
    second = pd.to_numeric(tp.str[4:].where(ok), errors="coerce")
    bad = ~ok | ((first + 1) % 100 != second)
    _refuse_at(path, frame, bad, "time_period", "time_period must be an academic year like 201617")
    ident = frame["time_identifier"].str.strip() != "Academic year"
    _refuse_at(path, frame, ident, "time_identifier", "time_identifier must be 'Academic year'")
    return first.astype(int)


def _numbers(path: Path, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Parse the numeric columns (NaN where DfE wrote ``x`` or, for rates, ``.``)."""
    out: dict[str, np.ndarray] = {}
    for col, integer, _ in NUMBERS:
        raw = frame[col].str.strip()
        allowed = {"x", "."} if col.endswith("_rate") else {"x"}
        ok = raw.str.fullmatch(_NUMBER.pattern) | raw.isin(allowed)
        if integer:
            ok &= ~raw.str.contains(".", regex=False) | raw.isin(allowed)
        reason = (
            f"{col} must be a {'whole ' if integer else ''}number ≥ 0, or "
            + " or ".join(repr(a) for a in sorted(allowed))
            + " where DfE suppressed it; an aggregate file is refused whole when one cell is bad"
        )
        _refuse_at(path, frame, ~ok, col, reason)
        out[col] = pd.to_numeric(raw.where(~raw.isin(allowed)), errors="coerce").to_numpy(
            dtype=np.float64
        )
    return out


def _check_rates(path: Path, frame: pd.DataFrame, nums: dict[str, np.ndarray]) -> None:
    """Each published rate equals count ÷ pupils × 100 within its published rounding (and the
    rounding of national and regional counts to the nearest 5)."""
    head = nums["headcount"]
    for col, _, count in NUMBERS:
        if count is None:
            continue
        raw = frame[col].str.strip()
        dot = raw.str.find(".").to_numpy(dtype=float)
        decimals = np.where(dot >= 0, raw.str.len().to_numpy(dtype=float) - dot - 1, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            expect = 100.0 * nums[count] / head
            # published rounding of the rate, plus DfE's rounding of national and regional
            # counts to the nearest 5 (rates are computed before that rounding)
            tol = 0.5 * 10.0 ** (-decimals) + 100.0 * 2.5 / head + 1e-9
        check = np.isfinite(expect) & np.isfinite(nums[col]) & (head > 0)
        bad = check & (np.abs(expect - nums[col]) > tol)
        if bad.any():
            pos = int(bad.argmax())
            line = int(frame.index[pos])
            raise DataValidationError(
                path,
                f"{col} is not {count} ÷ headcount × 100 ({nums[count][pos]:g} ÷ "
                f"{head[pos]:g} × 100 = {expect[pos]:.3f}); the columns may be shifted",
                row=line,
                column=col,
                value=frame.at[line, col],
            )


class DfeExclusionsAdapter(SourceAdapter):
    """DfE exclusions by geographic level: national, regional and local-authority rows."""

    kind = KIND
    description = (
        "DfE permanent and fixed-period exclusions by geographic level (csv or the .zip): "
        "time_period, geographic_level, …, perm_excl_rate, fixed_excl_rate (school rows on request)"
    )
    record_level = False
    signature = (
        "time_period",
        "geographic_level",
        "new_la_code",
        "perm_excl",
        "fixed_excl",
    )
    #: store the school-level rows (and only those) instead of the area rows
    schools = False

    def sniff(self, probe: Probe) -> bool:
        if probe.name.endswith(".zip"):
            return _zip_header(probe.path) == COLUMNS
        return probe.header == COLUMNS

    def read(self, path: Path) -> SourceFrames:
        data, label = _open_csv(path)
        frame, rows_read, school_rows = _frame(path, data, schools=self.schools)
        level = frame["geographic_level"].str.strip()
        _refuse_at(
            path,
            frame,
            ~level.isin(LEVELS),
            "geographic_level",
            f"geographic_level must be one of {', '.join(LEVELS)}",
        )
        if frame.empty:
            raise DataValidationError(
                path, f"no {'school' if self.schools else 'national, regional or LA'} rows"
            )
        year = _academic_year(path, frame)
        stype = frame["school_type"].str.strip()
        _refuse_at(
            path,
            frame,
            ~stype.isin(SCHOOL_TYPES),
            "school_type",
            f"school_type must be one of {', '.join(SCHOOL_TYPES)}",
        )
        codes, exclusions, areas = self._codes(path, frame, level)
        nums = _numbers(path, frame)
        _check_rates(path, frame, nums)
        stored = codes.notna().to_numpy()
        key = pd.DataFrame({"l": level, "c": codes, "y": year, "t": stype}, index=frame.index)
        refuse_duplicates(path, key[stored], "level, area, year and school type", "school_type")
        suffix = stype.map(SCHOOL_TYPES).to_numpy(dtype=object)
        years = {int(y): (date(int(y), 9, 1), date(int(y) + 1, 8, 31)) for y in year.unique()}
        starts = year.map(lambda y: years[int(y)][0]).to_numpy(dtype=object)
        ends = year.map(lambda y: years[int(y)][1]).to_numpy(dtype=object)
        code_arr = codes.to_numpy(dtype=object)
        parts = []
        suppressed: dict[str, int] = {}
        for col, _, _ in NUMBERS:
            v = nums[col]
            have = stored & np.isfinite(v)
            n_missing = int((stored & ~np.isfinite(v)).sum())
            if n_missing:
                suppressed[col] = n_missing
            parts.append(
                pd.DataFrame(
                    {
                        "area_code": code_arr[have],
                        "indicator_id": f"dfe_{col}" + suffix[have],
                        "period_start": starts[have],
                        "period_end": ends[have],
                        "value": v[have],
                    }
                )
            )
        values = pd.concat(parts, ignore_index=True)
        notes = [
            f"{int(stored.sum()):,} rows stored ("
            + ", ".join(
                f"{lv}: {int(((level == lv).to_numpy() & stored).sum()):,}" for lv in LEVELS
            )
            + f"); academic years {int(year.min())}/{(int(year.min()) + 1) % 100:02d} – "
            f"{int(year.max())}/{(int(year.max()) + 1) % 100:02d}; read from {Path(label).name}",
            "rates are percentages of the number of pupils, as DfE publishes them; each was "
            "checked against count ÷ pupils × 100",
        ]
        fractional = int(
            sum(
                (stored & np.isfinite(nums[c]) & (np.round(nums[c]) != nums[c])).sum()
                for c in ("perm_excl", "fixed_excl", "one_plus_fixed")
            )
        )
        if fractional:
            notes.append(
                f"{fractional:,} stored exclusion counts are fractional as published "
                "(kept as they are)"
            )
        if suppressed:
            notes.append(
                "not stored (DfE 'x' suppressed, or '.' not applicable): "
                + ", ".join(f"{c} {n:,}" for c, n in suppressed.items())
                + " cells; missing, not zero"
            )
        if not self.schools:
            notes.append(
                f"{school_rows:,} school-level rows not stored (read them with "
                "DfeExclusionsSchoolsAdapter / read_dfe_exclusions(path, schools=True))"
            )
            london = _london(values, frame, codes, year, stype, nums)
            if not london.empty:
                values = pd.concat([values, london], ignore_index=True)
                notes.append(
                    f"London ({LONDON}) = Inner London + Outer London rows summed; its rates are "
                    "recomputed from the summed counts and pupils"
                )
                notes.append(_london_check(frame, level, codes, year, stype, nums))
        for col in ("period_start", "period_end"):
            values[col] = pd.to_datetime(values[col]).astype("datetime64[s]")
        ids = sorted(set(values["indicator_id"]))
        tables = {
            "indicator": catalogue_indicator_frame(ids),
            "indicator_value": values[INDICATOR_VALUE_COLUMNS],
        }
        if areas is not None:
            tables["area"] = areas
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=rows_read,
            rows_loaded=int(stored.sum()),
            covers_from=date(int(year.min()), 9, 1),
            covers_to=date(int(year.max()) + 1, 8, 1),
            exclusions=exclusions,
            notes=notes,
        )
        return SourceFrames(report=report, tables=tables)

    def _codes(
        self, path: Path, frame: pd.DataFrame, level: pd.Series
    ) -> tuple[pd.Series, list[str], pd.DataFrame | None]:
        """Area code of each row (NaN where it cannot be stored), exclusions, school areas."""
        exclusions: list[str] = []
        if self.schools:
            est = frame["laestab"].str.strip()
            _refuse_at(
                path, frame, ~est.str.fullmatch(r"\d{7}"), "laestab", "laestab must be 7 digits"
            )
            la = frame["new_la_code"].str.strip()
            areas = pd.DataFrame(
                {
                    "area_code": est,
                    "area_name": "School " + est + " (" + frame["school_type"].str.strip() + ")",
                    "area_type": "school",
                    "parent_code": la.where(la.str.fullmatch(_LA_CODE.pattern)),
                    "geometry": None,
                    "area_ha": None,
                }
            ).drop_duplicates("area_code")
            return est, exclusions, areas[AREA_COLUMNS]
        country = frame["country_code"].str.strip()
        region = frame["region_code"].str.strip()
        la = frame["new_la_code"].str.strip()
        nat = level == "National"
        _refuse_at(path, frame, nat & (country != ENGLAND), "country_code", f"must be {ENGLAND}")
        reg = level == "Regional"
        _refuse_at(
            path,
            frame,
            reg & ~region.str.fullmatch(_REGION_CODE.pattern),
            "region_code",
            "region_code must be a region GSS code (E12… or E13…)",
        )
        lad = level == "Local authority"
        no_code = lad & (la == "")
        _refuse_at(
            path,
            frame,
            lad & (la != "") & ~la.str.fullmatch(_LA_CODE.pattern),
            "new_la_code",
            "new_la_code must be a local authority GSS code (E06–E10)",
        )
        if no_code.any():
            old = frame.loc[no_code.to_numpy(), ["old_la_code", "la_name", "time_period"]]
            groups = old.groupby(["old_la_code", "la_name"])["time_period"].agg(
                ["min", "max", "size"]
            )
            for (code, name), g in groups.iterrows():
                exclusions.append(
                    f"{g['size']} local-authority rows of {name!r} (old LA code {code}, "
                    f"{g['min']}–{g['max']}) have no GSS code (new_la_code) and are not stored"
                )
        codes = pd.Series(np.nan, index=frame.index, dtype=object)
        codes[nat.to_numpy()] = ENGLAND
        codes[reg.to_numpy()] = region[reg.to_numpy()]
        has_la = (lad & ~no_code).to_numpy()
        codes[has_la] = la[has_la]
        return codes, exclusions, None


class DfeExclusionsSchoolsAdapter(DfeExclusionsAdapter):
    """The school-level rows of the DfE exclusions file (only on request; never detected)."""

    kind = KIND_SCHOOLS
    description = (
        "DfE exclusions, school-level rows (on request: read_dfe_exclusions(schools=True))"
    )
    schools = True

    def sniff(self, probe: Probe) -> bool:
        return False


def _london(
    values: pd.DataFrame,
    frame: pd.DataFrame,
    codes: pd.Series,
    year: pd.Series,
    stype: pd.Series,
    nums: dict[str, np.ndarray],
) -> pd.DataFrame:
    """London = Inner + Outer London regional rows; counts summed, rates recomputed."""
    sel = codes.isin(INNER_OUTER_LONDON).to_numpy()
    if not sel.any():
        return values.iloc[0:0]
    df = pd.DataFrame({c: nums[c][sel] for c in COUNT_COLUMNS})
    df["year"] = year.to_numpy()[sel]
    df["suffix"] = stype.map(SCHOOL_TYPES).to_numpy()[sel]
    df["n"] = 1
    g = df.groupby(["year", "suffix"]).sum(min_count=1).reset_index()
    g = g[g["n"] == 2]  # both halves of London present
    out = []
    for r in g.itertuples(index=False):
        y, suf = int(r.year), str(r.suffix)
        vals = {c: getattr(r, c) for c in COUNT_COLUMNS}
        for col, _, count in NUMBERS:
            v = (
                vals[col]
                if count is None
                else (100.0 * vals[count] / vals["headcount"] if vals["headcount"] else np.nan)
            )
            if np.isfinite(v):
                out.append((LONDON, f"dfe_{col}{suf}", date(y, 9, 1), date(y + 1, 8, 31), float(v)))
    return pd.DataFrame(out, columns=INDICATOR_VALUE_COLUMNS)


def _london_check(
    frame: pd.DataFrame,
    level: pd.Series,
    codes: pd.Series,
    year: pd.Series,
    stype: pd.Series,
    nums: dict[str, np.ndarray],
) -> str:
    """How far the London boroughs' rows are from the Inner + Outer London rows (all schools)."""
    total = (stype == "Total").to_numpy()
    is_lon_la = (
        (level == "Local authority").to_numpy()
        & frame["region_code"].str.strip().isin(INNER_OUTER_LONDON).to_numpy()
        & total
    )
    is_reg = codes.isin(INNER_OUTER_LONDON).to_numpy() & total
    worst: dict[str, float] = {}
    for col in ("perm_excl", "fixed_excl"):
        la = pd.Series(nums[col][is_lon_la]).groupby(year.to_numpy()[is_lon_la]).sum()
        reg = pd.Series(nums[col][is_reg]).groupby(year.to_numpy()[is_reg]).sum()
        diff = (la - reg).abs().dropna()
        worst[col] = float(diff.max()) if len(diff) else float("nan")
    return (
        "London boroughs' rows (suppressed cells left out) against the Inner + Outer London rows, "
        "all schools, largest yearly difference: "
        + ", ".join(f"{c} {v:,.0f}" for c, v in worst.items())
        + " (DfE rounds published counts)"
    )


def read_dfe_exclusions(path: str | Path, *, schools: bool = False) -> SourceFrames:
    """Read and validate the DfE exclusions file or zip (no store involved).

    ``schools=True`` reads the school-level rows (kind ``dfe_exclusions_schools``) instead of the
    national, regional and local-authority rows.
    """
    adapter = DfeExclusionsSchoolsAdapter() if schools else DfeExclusionsAdapter()
    return adapter.read(Path(path))


ADAPTERS: list[SourceAdapter] = [DfeExclusionsAdapter()]

"""Area indicators for the need index (issue #5): GLA ward profiles and user-supplied indicators.

Formats
-------
``ward_profiles``
    GLA "Ward Profiles and Atlas" (London Datastore), ``ward-profiles-excel-version.csv``:
    Windows-1252 text (it contains "£"), 660 rows × 67 columns: 624 wards on 2014 boundaries
    (``E05…``), the City of London as one area (``E09000001``, listed twice with identical
    values), the 33 boroughs (``E09…``), London (``E12000007``) and England (``E92000001``).
    Each numeric column becomes one indicator (``catalog/ward_profile_columns.csv``: header,
    indicator id and period; name, unit and polarity in ``catalog/indicators.csv``). ``n/a`` cells are missing and get no row (missing, not zero); they are
    counted per indicator in the report. Borough, London and England rows are kept: they are
    the parent values used by ``missing="impute_parent"``.
User indicator files (not auto-detected)
    Any CSV/XLSX with columns ``area_code, value[, period]``. Such a file has no distinctive
    header, so it is read with :func:`read_user_indicator` (naming the indicator) and loaded
    with :func:`vrkit.tasks.indicators.add_indicator`.

Both are aggregate files: the first bad cell refuses the whole file and nothing is stored.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from vrkit.catalog.indicators import POLARITIES, indicator_def, ward_profile_columns
from vrkit.errors import DataValidationError, InputError, SourceError
from vrkit.sources.base import (
    LoadReport,
    Probe,
    SourceAdapter,
    SourceFrames,
    read_csv_strict,
    require_columns,
)
from vrkit.sources.files import check_workbook
from vrkit.sources.geography import INDICATOR_COLUMNS
from vrkit.sources.geography import INDICATOR_VALUE_COLUMNS as VALUE_COLUMNS

#: GSS code of any area vrkit knows by pattern (LSOA/MSOA/ward/LAD/region/country, E&W).
GSS_CODE = re.compile(r"^(?:[EW]0[1-9]|E1[0-2]|E92|W92|K0[2-4])\d{6}$")


_WP_ID_COLS = ("Ward name", "Old code", "New code")
_MISSING_TOKENS = frozenset({"n/a", ""})


def _norm_header(h: str) -> str:
    return " ".join(h.split())


def ward_profile_definitions() -> pd.DataFrame:
    """``indicator`` rows (plus ``period_start, period_end``) of the ward-profile indicators."""
    rows = []
    for c in ward_profile_columns():
        d = indicator_def(c.indicator_id)
        rows.append(
            (
                d.indicator_id,
                d.name,
                d.unit,
                d.polarity,
                d.source,
                d.description,
                c.period_start,
                c.period_end,
            )
        )
    return pd.DataFrame(rows, columns=[*INDICATOR_COLUMNS, "period_start", "period_end"])


class WardProfilesAdapter(SourceAdapter):
    """GLA ward profiles CSV (cp1252) → ``indicator`` and ``indicator_value`` rows."""

    kind = "ward_profiles"
    description = (
        "GLA Ward Profiles and Atlas CSV (cp1252; Ward name, Old code, New code, …): 64 ward "
        "indicators 2009-2015 for London wards (2014), boroughs and London"
    )

    def sniff(self, probe: Probe) -> bool:
        if not probe.header:
            return False
        have = {_norm_header(h) for h in probe.header}
        return set(_WP_ID_COLS) <= have and "Population - 2015" in have

    def read(self, path: Path) -> SourceFrames:
        frame = read_csv_strict(path, encodings=("utf-8-sig", "cp1252"))
        frame.columns = [_norm_header(c) for c in frame.columns]
        require_columns(path, frame, [*_WP_ID_COLS, *(c.header for c in ward_profile_columns())])
        codes = frame["New code"].str.strip()
        bad = ~codes.str.fullmatch(GSS_CODE.pattern)
        if bad.any():
            line = int(codes.index[bad.to_numpy().argmax()])
            raise DataValidationError(
                path,
                "not an ONS GSS area code; the file is refused whole",
                row=line,
                column="New code",
                value=codes[line],
            )
        notes: list[str] = []
        dup = codes.duplicated(keep="first")
        if dup.any():
            used = ["New code", *(c.header for c in ward_profile_columns())]
            for line in codes.index[dup.to_numpy()]:
                first = codes.index[(codes == codes[line]).to_numpy()][0]
                if not frame.loc[line, used].equals(frame.loc[first, used]):
                    raise DataValidationError(
                        path,
                        f"area listed twice with different values (first at line {first})",
                        row=int(line),
                        column="New code",
                        value=codes[line],
                    )
                notes.append(
                    f"line {line}: {codes[line]} ({frame.loc[line, 'Ward name']}) repeats line "
                    f"{first} with identical values; read once"
                )
            frame, codes = frame[~dup.to_numpy()], codes[~dup.to_numpy()]
        parts = []
        missing_counts: dict[str, int] = {}
        for c in ward_profile_columns():
            raw = frame[c.header].str.strip()
            is_missing = raw.str.lower().isin(_MISSING_TOKENS)
            num = pd.to_numeric(raw.where(~is_missing), errors="coerce")
            bad = num.isna() & ~is_missing
            if bad.any():
                line = int(raw.index[bad.to_numpy().argmax()])
                raise DataValidationError(
                    path,
                    "not a number (use 'n/a' or leave empty for missing)",
                    row=line,
                    column=c.header,
                    value=raw[line],
                )
            if not np.isfinite(num[~is_missing]).all():
                line = int(raw.index[(~np.isfinite(num) & ~is_missing).to_numpy().argmax()])
                raise DataValidationError(
                    path, "not a finite number", row=line, column=c.header, value=raw[line]
                )
            if is_missing.any():
                missing_counts[c.indicator_id] = int(is_missing.sum())
            keep = ~is_missing.to_numpy()
            parts.append(
                pd.DataFrame(
                    {
                        "area_code": codes.to_numpy()[keep],
                        "indicator_id": c.indicator_id,
                        "period_start": c.period_start,
                        "period_end": c.period_end,
                        "value": num.to_numpy(dtype=float)[keep],
                    }
                )
            )
        values = pd.concat(parts, ignore_index=True)[VALUE_COLUMNS]
        kinds = codes.str[:3].value_counts().to_dict()
        notes.insert(
            0,
            f"{len(frame):,} areas ({', '.join(f'{k}: {v}' for k, v in sorted(kinds.items()))}) "
            f"× {len(ward_profile_columns())} indicators = {len(values):,} values",
        )
        if missing_counts:
            notes.append(
                "n/a cells (missing, no row stored): "
                + ", ".join(f"{k}: {v}" for k, v in missing_counts.items())
            )
        notes.append("wards are on 2014 boundaries (GSS codes E05…); City of London is one area")
        report = LoadReport(
            path=path,
            source_kind=self.kind,
            rows_read=len(frame) + int(dup.sum()),
            rows_loaded=len(frame),
            covers_from=date(2009, 1, 1),
            covers_to=date(2015, 12, 1),
            notes=notes,
        )
        indicators = ward_profile_definitions()[INDICATOR_COLUMNS]
        return SourceFrames(
            report=report, tables={"indicator": indicators, "indicator_value": values}
        )


ADAPTERS: list[SourceAdapter] = [WardProfilesAdapter()]


# ----------------------------------------------------------------------------------------------
# User indicators


def _slug_ok(iid: str) -> bool:
    return bool(re.fullmatch(r"[a-z][a-z0-9_]{1,63}", iid))


def read_user_indicator(
    path: str | Path,
    *,
    indicator_id: str,
    name: str,
    polarity: str,
    unit: str,
    source: str | None = None,
    description: str = "",
    period: tuple[date, date] | None = None,
    known_areas: set[str] | None = None,
    sheet: str | None = None,
) -> SourceFrames:
    """Read a user's indicator file (``area_code, value[, period]``) without touching the store.

    Parameters
    ----------
    path : str or Path
        CSV (UTF-8 or Windows-1252) or XLSX (first sheet, or ``sheet``).
    indicator_id : str
        New indicator id: lower case letters, digits and ``_``, e.g. ``"youth_club_places"``.
    name, unit : str
        Label and unit (``"count"``/``"persons"`` are summed when aggregated, others averaged
        with population weights).
    polarity : {"higher_is_worse", "higher_is_better", "neutral"}
    source, description : str, optional
        Shown in the catalogue; ``source`` defaults to the file name.
    period : (date, date), optional
        Period of every value when the file has no ``period`` column. The ``period`` column,
        if present, holds a year (``2019``), a financial year (``2019/20``) or a date
        (``2019-06-30``); default: the year of the file's modification time is **not** guessed —
        one of the two must be given.
    known_areas : set of str, optional
        Area codes that exist (e.g. from the warehouse ``area`` table). Without it, codes are
        checked against the ONS GSS code pattern only.

    Returns
    -------
    SourceFrames
        ``indicator`` (one row) and ``indicator_value``; report kind ``user_indicator``.

    Raises
    ------
    InputError
        Bad id, polarity or period arguments.
    DataValidationError
        Missing columns, an unknown or malformed area code, a duplicate area (and period), or a
        non-numeric value, naming the file, row and column. Nothing is returned half-way.
    """
    p = Path(path)
    if not _slug_ok(indicator_id):
        raise InputError(
            f"indicator id {indicator_id!r} must be 2-64 lower-case letters, digits or '_', "
            "starting with a letter"
        )
    if polarity not in POLARITIES:
        raise InputError(f"polarity must be one of {', '.join(POLARITIES)} (got {polarity!r})")
    if not name.strip() or not unit.strip():
        raise InputError("name and unit must not be empty")
    frame = _read_table(p, sheet)
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    require_columns(p, frame, ["area_code", "value"])
    has_period = "period" in frame.columns
    if not has_period and period is None:
        raise InputError(
            f"{p.name} has no 'period' column and no period was given",
            hint="Add a period column (e.g. 2019 or 2019/20) or pass period=(start, end).",
        )
    codes = frame["area_code"].astype(str).str.strip()
    for line, code in codes.items():
        if not GSS_CODE.fullmatch(code):
            raise DataValidationError(
                p,
                "not an ONS GSS area code (e.g. E05000026)",
                row=int(line),
                column="area_code",
                value=code,
            )
        if known_areas is not None and code not in known_areas:
            raise DataValidationError(
                p,
                "unknown area code (not in the warehouse's area table)",
                row=int(line),
                column="area_code",
                value=code,
                hint="Load the boundaries for that geography first, or fix the code.",
            )
    raw = frame["value"].astype(str).str.strip()
    num = pd.to_numeric(raw, errors="coerce")
    for line in raw.index[(num.isna() | ~np.isfinite(num.fillna(0))).to_numpy()]:
        raise DataValidationError(
            p,
            "value is not a number (missing values: leave the area out of the file)",
            row=int(line),
            column="value",
            value=frame.loc[line, "value"],
        )
    starts: list[date] = []
    ends: list[date] = []
    for line in frame.index:
        if has_period:
            try:
                s, e = parse_period(str(frame.loc[line, "period"]).strip())
            except ValueError as exc:
                raise DataValidationError(
                    p, str(exc), row=int(line), column="period", value=frame.loc[line, "period"]
                ) from None
        else:
            assert period is not None
            s, e = period
        starts.append(s)
        ends.append(e)
    values = pd.DataFrame(
        {
            "area_code": codes.to_numpy(),
            "indicator_id": indicator_id,
            "period_start": starts,
            "period_end": ends,
            "value": num.to_numpy(dtype=float),
        }
    )
    dup = values.duplicated(["area_code", "period_start"], keep="first")
    if dup.any():
        line = int(frame.index[dup.to_numpy().argmax()])
        raise DataValidationError(
            p,
            "duplicate row for the same area and period",
            row=line,
            column="area_code",
            value=codes[line],
        )
    indicator = pd.DataFrame(
        [
            (
                indicator_id,
                name.strip(),
                unit.strip(),
                polarity,
                source or f"user file {p.name}",
                description,
            )
        ],
        columns=INDICATOR_COLUMNS,
    )
    report = LoadReport(
        path=p,
        source_kind="user_indicator",
        rows_read=len(frame),
        rows_loaded=len(frame),
        covers_from=min(starts).replace(day=1),
        covers_to=max(ends).replace(day=1),
        notes=[
            f"user indicator {indicator_id!r}: {len(values):,} values, "
            f"{values['area_code'].nunique():,} areas"
        ],
    )
    return SourceFrames(report=report, tables={"indicator": indicator, "indicator_value": values})


def parse_period(text: str) -> tuple[date, date]:
    """``2019`` → calendar year; ``2019/20`` → financial year (Apr–Mar); ``2019-06-30`` → day."""
    if re.fullmatch(r"\d{4}", text):
        y = int(text)
        return date(y, 1, 1), date(y, 12, 31)
    m = re.fullmatch(r"(\d{4})/(\d{2})", text)
    if m and (int(m.group(1)) + 1) % 100 == int(m.group(2)):
        y = int(m.group(1))
        return date(y, 4, 1), date(y + 1, 3, 31)
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise ValueError(
            "period must be a year (2019), a financial year (2019/20) or a date (2019-06-30)"
        ) from None
    return d, d


def _read_table(path: Path, sheet: str | None) -> pd.DataFrame:
    """A CSV or XLSX as a frame of strings indexed by the physical row (header = 1)."""
    if not path.exists():
        raise SourceError(path, "no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        check_workbook(path)
        try:
            frame = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, engine="openpyxl")
        except ValueError as exc:
            raise SourceError(path, f"cannot read sheet: {exc}") from exc
        except Exception as exc:  # openpyxl raises many types for non-workbooks
            raise SourceError(path, f"not a readable Excel workbook: {exc}") from exc
        frame = frame.dropna(how="all")
        frame.index = frame.index + 2
        return frame.fillna("")
    return read_csv_strict(path, encodings=("utf-8-sig", "cp1252"))

"""Homicide table by year from the MPS homicide victims file.

Definitions follow the MPS Homicide Dashboard (London Datastore, "MPS Homicide Dashboard Data"),
whose victim-level export is the ``mps_homicide_victims`` source:

- a victim is counted in the year the homicide was *recorded* (``Recorded Year``), not the year of
  death or of the offence; every figure sums ``Count of Victims`` (the ``victims`` column), never
  rows;
- *firearms* is the dashboard method of killing ``Shooting``; *knives* is ``Knife or Sharp
  Implement``;
- *teenagers* are victims whose age group lies entirely within 13–19 years (the dashboard's own
  band is ``13 to 19``; finer bands such as ``16 to 17`` would also count); *under 25* are victims
  whose age group lies entirely below 25 (``0 to 12``, ``13 to 19``, ``20 to 24``). Age groups
  that cannot be read as a range (e.g. ``Unknown``) count only in the total;
- *domestic* and *non-domestic* come from the dashboard's ``Domestic Abuse`` flag
  (``Domestic Abuse`` / ``Not Domestic Abuse``); a missing flag counts in neither.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from vrkit.catalog.areas import resolve_borough
from vrkit.errors import InputError

#: columns of the table returned by :func:`homicide_table`, in order
TABLE_COLUMNS: tuple[str, ...] = (
    "year",
    "total",
    "firearms",
    "knives",
    "teenagers",
    "under_25",
    "domestic",
    "non_domestic",
    "partial",
)
#: MPS Homicide Dashboard method-of-killing labels
FIREARMS_METHOD = "Shooting"
KNIVES_METHOD = "Knife or Sharp Implement"

_RANGE = re.compile(r"^\s*(\d+)\s*(?:to|-|–)\s*(\d+)\s*$", re.IGNORECASE)
_OPEN = re.compile(r"^\s*(\d+)\s*(?:and over|\+|or over|and above)\s*$", re.IGNORECASE)
_REQUIRED = ("recorded_year", "recorded_month", "victims", "age_group", "method", "domestic_abuse")


def age_bounds(label: object) -> tuple[int, int | None] | None:
    """Inclusive age range of an MPS age-group label.

    Parameters
    ----------
    label : object
        ``"13 to 19"`` → ``(13, 19)``; ``"65 and over"`` → ``(65, None)``.

    Returns
    -------
    tuple or None
        ``(lowest, highest)`` with ``highest`` None when open-ended; None when not a range.
    """
    if not isinstance(label, str):
        return None
    m = _RANGE.match(label)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        return (lo, hi) if lo <= hi else None
    m = _OPEN.match(label)
    if m:
        return int(m.group(1)), None
    return None


def is_teenage(label: object) -> bool:
    """True when the age group lies entirely within 13–19."""
    b = age_bounds(label)
    return b is not None and b[0] >= 13 and b[1] is not None and b[1] <= 19


def is_under_25(label: object) -> bool:
    """True when the age group lies entirely below 25."""
    b = age_bounds(label)
    return b is not None and b[1] is not None and b[1] <= 24


def _domestic_flag(values: pd.Series) -> pd.Series:
    """Domestic-abuse flag as nullable boolean, from booleans or the file's labels."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("boolean")
    labels = {"domestic abuse": True, "not domestic abuse": False, "true": True, "false": False}

    def one(v: object) -> object:
        if isinstance(v, bool):
            return v
        if isinstance(v, str):
            return labels.get(v.strip().lower(), pd.NA)
        return pd.NA

    return values.map(one).astype("boolean")


def homicide_table(
    victims: pd.DataFrame, *, area_code: str | None = None, years: Iterable[int] | None = None
) -> pd.DataFrame:
    """Homicide victims by recorded year: total, firearms, knives, teenagers, under 25, domestic.

    Definitions are those of the MPS Homicide Dashboard (see the module docstring): victims are
    counted by recorded year and every figure is a sum of ``victims`` (Count of Victims), not a
    count of rows.

    Parameters
    ----------
    victims : DataFrame
        Rows of the ``homicide_victim`` table (or the ``mps_homicide_victims`` adapter's frame):
        at least ``recorded_year, recorded_month, victims, age_group, method, domestic_abuse``,
        plus ``area_code`` when ``area_code`` is given. Not modified.
    area_code : str, optional
        A London borough GSS code (``E09…``), borough name, or MPS pseudo-area (``MPS-UNMAPPED``);
        default all of London (every row, including ``Unmapped``).
    years : iterable of int, optional
        Years to report, in the order given. Default: every year present in ``victims``. A
        requested year the data do not cover is returned with missing (``<NA>``) figures, not
        zeros.

    Returns
    -------
    DataFrame
        Columns ``year, total, firearms, knives, teenagers, under_25, domestic, non_domestic,
        partial`` (counts as nullable ``Int64``). ``partial`` is True for a year whose recorded
        months stop before December in the whole file (e.g. 2024: Jan–Mar only), so its figures
        are not a full-year total. Years are judged covered, and ``partial`` decided, from all of
        London: a borough with no victims in a covered year has a true zero. The parameters
        used are in ``result.attrs``.

    Raises
    ------
    InputError
        A required column is missing, or ``area_code`` is not a known London area.

    Examples
    --------
    >>> table = homicide_table(victims_frame, years=range(2019, 2021))  # doctest: +SKIP
    >>> table[["year", "total", "knives"]].values.tolist()  # doctest: +SKIP
    [[2019, 153, 94], [2020, 133, 77]]
    """
    missing = [c for c in _REQUIRED if c not in victims.columns]
    if area_code is not None and "area_code" not in victims.columns:
        missing.append("area_code")
    if missing:
        raise InputError(
            f"homicide_table needs column(s) {', '.join(missing)}; "
            f"got {', '.join(map(str, victims.columns))}",
            hint="Pass rows of the homicide_victim table (vrkit.store.queries.homicide_victims).",
        )
    code: str | None = None
    if area_code is not None:
        hit = resolve_borough(str(area_code))
        if hit is None:
            raise InputError(
                f"unknown area_code {area_code!r} for the homicide table",
                hint="Use a London borough code (E09000001…E09000033), a borough name, or "
                "MPS-UNMAPPED.",
            )
        code = hit[0]

    data = victims.loc[:, [c for c in (*_REQUIRED, "area_code") if c in victims.columns]].copy()
    data["recorded_year"] = pd.to_numeric(data["recorded_year"], errors="coerce").astype("Int64")
    data["recorded_month"] = pd.to_numeric(data["recorded_month"], errors="coerce").astype("Int64")
    data["victims"] = pd.to_numeric(data["victims"], errors="coerce").fillna(0).astype("int64")
    data = data[data["recorded_year"].notna()]

    covered = data.groupby("recorded_year")["recorded_month"].max()
    year_list = sorted(int(y) for y in covered.index) if years is None else [int(y) for y in years]

    if code is not None:
        data = data[data["area_code"] == code]
    domestic = _domestic_flag(data["domestic_abuse"])
    method = data["method"].astype("string").str.strip().str.lower()
    v = data["victims"]
    parts = pd.DataFrame(
        {
            "year": data["recorded_year"].astype("int64"),
            "total": v,
            "firearms": v.where(method == FIREARMS_METHOD.lower(), 0),
            "knives": v.where(method == KNIVES_METHOD.lower(), 0),
            "teenagers": v.where(data["age_group"].map(is_teenage).astype(bool), 0),
            "under_25": v.where(data["age_group"].map(is_under_25).astype(bool), 0),
            "domestic": v.where(domestic.fillna(False).astype(bool), 0),
            "non_domestic": v.where((~domestic).fillna(False).astype(bool), 0),
        }
    )
    sums = parts.groupby("year").sum()
    counts = TABLE_COLUMNS[1:-1]
    out = pd.DataFrame({"year": pd.Series(year_list, dtype="int64")})
    is_covered = out["year"].isin([int(y) for y in covered.index])
    for col in counts:
        values = out["year"].map(sums[col]) if len(sums) else pd.Series(pd.NA, index=out.index)
        out[col] = values.where(~is_covered, values.fillna(0)).where(is_covered).astype("Int64")
    last_month = {int(str(y)): m for y, m in covered.items()}
    last = out["year"].map(last_month).astype("Int64")
    out["partial"] = pd.Series(
        [pd.NA if pd.isna(m) else bool(m < 12) for m in last], index=out.index, dtype="boolean"
    )
    out.attrs = {
        "area_code": code,
        "years": year_list,
        "method": "MPS Homicide Dashboard definitions; sums of Count of Victims by recorded year",
    }
    return out.loc[:, list(TABLE_COLUMNS)]

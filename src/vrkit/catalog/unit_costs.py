"""Unit costs of crime, a GDP deflator and the offence mapping (``catalog/costs/``), as data.

- :func:`unit_costs`: Home Office Research Report 99, *The economic and social costs of crime*,
  second edition (2018), 2015/16 prices, by offence type and cost category (anticipation,
  consequence, response; ``total`` is their sum). Empty cells are values that could not be
  verified; they stay missing (never zero) and every consumer must say which offence types were
  left uncosted. A user file with the same columns replaces or completes the built-in table.
- :func:`gdp_deflator`: HM Treasury GDP deflator series (calendar years), source and vintage in
  the file's ``#`` header lines; a user file of the same shape replaces it.
- :func:`offence_map`: source taxonomy category → unit-cost offence type, with comparability.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from vrkit.catalog import catalog_text
from vrkit.errors import DataValidationError, InputError

COST_CATEGORIES: tuple[str, ...] = ("anticipation", "consequence", "response", "total")
UNIT_COST_COLUMNS: tuple[str, ...] = (
    "offence_type",
    "label",
    "cost_category",
    "unit_cost_gbp",
    "price_basis",
    "source_table",
    "verified_from",
    "note",
)
_FY = re.compile(r"^(\d{4})/(\d{2})$")


def _read(text: str, origin: str, columns: tuple[str, ...]) -> pd.DataFrame:
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    try:
        frame = pd.read_csv(io.StringIO("\n".join(lines)), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataValidationError(origin, f"not a readable CSV: {exc}") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(origin, f"column {missing[0]!r} is missing", row=1)
    return frame


def unit_costs(path: str | Path | None = None) -> pd.DataFrame:
    """Unit costs (built-in, or a user's CSV of the same columns), validated.

    Returns ``offence_type, label, cost_category, unit_cost_gbp`` (float, NaN = not available),
    ``price_basis, source_table, verified_from, note, origin``.
    """
    if path is None:
        origin, text = (
            "catalog/costs/unit_costs_ho2018.csv",
            catalog_text("costs/unit_costs_ho2018.csv"),
        )
    else:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"unit-cost file {p} does not exist")
        origin, text = str(p), p.read_text(encoding="utf-8-sig")
    frame = _read(text, origin, UNIT_COST_COLUMNS)
    values = []
    seen: set[tuple[str, str]] = set()
    for i, row in frame.iterrows():
        line = int(str(i)) + 2
        key = (row["offence_type"].strip(), row["cost_category"].strip())
        if not key[0]:
            raise DataValidationError(
                origin, "offence_type is empty", row=line, column="offence_type"
            )
        if key[1] not in COST_CATEGORIES:
            raise DataValidationError(
                origin,
                f"unknown cost category; use one of {', '.join(COST_CATEGORIES)}",
                row=line,
                column="cost_category",
                value=key[1],
            )
        if key in seen:
            raise DataValidationError(origin, "offence type and category listed twice", row=line)
        seen.add(key)
        cell = row["unit_cost_gbp"].strip().replace(",", "")
        if cell:
            try:
                v = float(cell)
            except ValueError:
                raise DataValidationError(
                    origin, "not a number", row=line, column="unit_cost_gbp", value=cell
                ) from None
            if not v >= 0:
                raise DataValidationError(
                    origin, "must be ≥ 0", row=line, column="unit_cost_gbp", value=cell
                )
        else:
            v = float("nan")
        if not _FY.match(row["price_basis"].strip()) and not row["price_basis"].strip().isdigit():
            raise DataValidationError(
                origin,
                "price_basis must be a year (2019) or a financial year (2015/16)",
                row=line,
                column="price_basis",
                value=row["price_basis"],
            )
        values.append(v)
    out = frame[list(UNIT_COST_COLUMNS)].copy()
    out["unit_cost_gbp"] = values
    out["origin"] = origin
    return out


@dataclass(frozen=True)
class Deflator:
    """A GDP deflator series: calendar year → index, with its provenance lines."""

    index: pd.Series
    source: str
    vintage: str
    origin: str
    header: dict[str, str] = field(default_factory=dict)

    def value(self, price_year: str | int) -> tuple[float, str]:
        """Index for a calendar year (``2019``) or a financial year (``"2015/16"``).

        A financial year April Y – March Y+1 is approximated as ``0.75·I(Y) + 0.25·I(Y+1)``
        from the calendar-year series (nine months fall in Y); the returned text says so.
        """
        text = str(price_year).strip()
        m = _FY.match(text)
        if m:
            y = int(m.group(1))
            if (y + 1) % 100 != int(m.group(2)):
                raise InputError(f"financial year {text!r} is not of the form 2015/16")
            a, b = self._year(y), self._year(y + 1)
            return 0.75 * a + 0.25 * b, (
                f"financial year {text} approximated as 0.75 × {y} + 0.25 × {y + 1} "
                "of the calendar-year deflator"
            )
        if not text.isdigit():
            raise InputError(
                f"price year {price_year!r} is neither a year (2019) nor a financial year (2019/20)"
            )
        return self._year(int(text)), f"calendar year {text}"

    def _year(self, y: int) -> float:
        if y not in self.index.index:
            lo, hi = int(self.index.index.min()), int(self.index.index.max())
            raise InputError(
                f"the GDP deflator ({self.source}, vintage {self.vintage}) has no value for {y}",
                hint=f"It covers {lo}–{hi}; supply a newer deflator file for later years.",
            )
        return float(self.index.loc[y])

    def factor(self, from_year: str | int, to_year: str | int) -> tuple[float, str]:
        """Multiplier from ``from_year`` prices to ``to_year`` prices, and how it was formed."""
        a, how_a = self.value(from_year)
        b, how_b = self.value(to_year)
        return b / a, f"GDP deflator {b:.4f} ({how_b}) / {a:.4f} ({how_a})"


def gdp_deflator(path: str | Path | None = None) -> Deflator:
    """The shipped HM Treasury GDP deflator, or a user's file (``year,index`` + ``# key: value``)."""
    if path is None:
        origin, text = "catalog/costs/gdp_deflator.csv", catalog_text("costs/gdp_deflator.csv")
    else:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"deflator file {p} does not exist")
        origin, text = str(p), p.read_text(encoding="utf-8-sig")
    header = {}
    for ln in text.splitlines():
        if ln.startswith("#") and ":" in ln:
            k, v = ln[1:].split(":", 1)
            header[k.strip()] = v.strip()
    for k in ("source", "vintage"):
        if k not in header:
            raise DataValidationError(
                origin,
                f"header line '# {k}: …' is missing",
                row=1,
                hint="A deflator file states its source and vintage in '# source:' and '# vintage:' lines.",
            )
    frame = _read(text, origin, ("year", "index"))
    years: list[int] = []
    vals: list[float] = []
    for i, row in frame.iterrows():
        try:
            y, idx = int(row["year"]), float(row["index"])
        except ValueError:
            raise DataValidationError(
                origin, "year and index must be numbers", row=int(str(i)) + 2
            ) from None
        if not idx > 0:
            raise DataValidationError(
                origin, "index must be > 0", row=int(str(i)) + 2, column="index"
            )
        years.append(y)
        vals.append(idx)
    s = pd.Series(vals, index=years, name="index")
    if s.index.has_duplicates:
        raise DataValidationError(origin, "a year is listed twice", column="year")
    return Deflator(s.sort_index(), header["source"], header["vintage"], origin, header)


def offence_map() -> pd.DataFrame:
    """``taxonomy, major, minor, offence_type, comparability`` (empty offence_type = not costable)."""
    return _read(
        catalog_text("costs/offence_map.csv"),
        "catalog/costs/offence_map.csv",
        ("taxonomy", "major", "minor", "offence_type", "comparability"),
    )

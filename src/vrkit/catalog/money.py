"""Money and the financial calendar: exact pence, financial years (April–March) and quarters.

Money is held as an integer number of pence and computed with :class:`decimal.Decimal`, never
with floats. Published tables are in £ millions rounded half up (the convention of the tables
vrkit reproduces), and :func:`rounded_table` states when the rounded parts do not add up to the
rounded total.

Financial years are named by their first calendar year: ``2020`` is 2020/21 (1 April 2020 to
31 March 2021). Quarter 1 is April–June, quarter 4 January–March.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from vrkit.errors import InputError

PENCE_PER_POUND = 100
PENCE_PER_MILLION = 100_000_000
_FY = re.compile(r"^\s*(?:FY\s*)?(\d{4})\s*(?:[/-]\s*(\d{2}|\d{4}))?\s*$", re.IGNORECASE)
_MONEY = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


# -- financial years and quarters --------------------------------------------------------------
def parse_fy(text: str | int) -> int:
    """``"2020/21"``, ``"2020-21"``, ``"2020/2021"`` or ``2020`` → 2020 (the year it starts).

    Raises
    ------
    InputError
        Not a financial year, or the two halves are not consecutive years.
    """
    if isinstance(text, int):
        year = text
    else:
        m = _FY.match(str(text))
        if not m:
            raise InputError(
                f"{text!r} is not a financial year", hint="Write it like 2020/21 (April to March)."
            )
        year = int(m.group(1))
        if m.group(2):
            end = int(m.group(2))
            end_full = end if end >= 1000 else (year // 100) * 100 + end
            if end_full != year + 1:
                raise InputError(
                    f"{text!r} is not a financial year: {year} is followed by {year + 1}",
                    hint="Write it like 2020/21 (April to March).",
                )
    if not 1990 <= year <= 2099:
        raise InputError(f"financial year {year} is out of range (1990/91 to 2099/00)")
    return year


def fy_label(year: int) -> str:
    """2020 → ``"2020/21"``."""
    return f"{year}/{(year + 1) % 100:02d}"


def fy_slug(year: int) -> str:
    """2020 → ``"2020-21"`` (file names)."""
    return f"{year}-{(year + 1) % 100:02d}"


def fy_bounds(year: int) -> tuple[date, date]:
    """First and last day of the financial year."""
    return date(year, 4, 1), date(year + 1, 3, 31)


def fy_of(day: date) -> int:
    """The financial year a date falls in."""
    return day.year if day.month >= 4 else day.year - 1


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of ``quarter`` (1–4) of financial year ``year``."""
    check_quarter(quarter)
    first_month = (4, 7, 10, 1)[quarter - 1]
    y = year if quarter < 4 else year + 1
    last_month = first_month + 2
    return date(y, first_month, 1), date(y, last_month, calendar.monthrange(y, last_month)[1])


def quarter_of(day: date) -> tuple[int, int]:
    """(financial year, quarter) of a date."""
    fy = fy_of(day)
    q = ((day.month - 4) % 12) // 3 + 1
    return fy, q


def check_quarter(quarter: int) -> int:
    if quarter not in (1, 2, 3, 4):
        raise InputError(f"quarter must be 1, 2, 3 or 4 (got {quarter!r})")
    return quarter


def quarter_label(year: int, quarter: int) -> str:
    """``"2020/21 Q1 (Apr–Jun 2020)"``."""
    start, end = quarter_bounds(year, quarter)
    return f"{fy_label(year)} Q{quarter} ({start:%b}–{end:%b %Y})"


# -- pence ---------------------------------------------------------------------------------------
def pence(amount: Decimal | int | str, *, unit: str = "GBP") -> int:
    """An exact amount in pence from pounds (``unit="GBP"``) or £ millions (``"GBP m"``).

    Accepts Decimal, int or text such as ``"£1,234.56"``, ``"7.6"``; refuses floats (whose
    binary value is not the decimal written) and fractions of a penny.
    """
    if isinstance(amount, float):  # pragma: no cover - a programming error, not user input
        raise TypeError("money is never a float: pass Decimal, int or text")
    if isinstance(amount, str):
        text = amount.strip().replace(",", "").replace("£", "").replace(" ", "")
        if not _MONEY.match(text):
            raise InputError(f"{amount!r} is not an amount of money", hint="Write it like 1234.56.")
        value = Decimal(text)
    else:
        try:
            value = Decimal(amount)
        except InvalidOperation as exc:  # pragma: no cover - Decimal(int) cannot fail
            raise InputError(f"{amount!r} is not an amount of money") from exc
    factor = {"GBP": PENCE_PER_POUND, "GBP m": PENCE_PER_MILLION}.get(unit)
    if factor is None:
        raise InputError(f"unknown money unit {unit!r}", hint="Use GBP or GBP m.")
    p = value * factor
    if p != p.to_integral_value():
        raise InputError(f"{amount!r} {unit} is not a whole number of pence")
    return int(p)


def pounds(p: int) -> Decimal:
    """Pence → pounds as an exact Decimal with two places."""
    return (Decimal(p) / PENCE_PER_POUND).quantize(Decimal("0.01"))


def millions(p: int, dp: int = 1) -> Decimal:
    """Pence → £ millions rounded half up to ``dp`` places (the published convention)."""
    q = Decimal(1).scaleb(-dp)
    return (Decimal(p) / PENCE_PER_MILLION).quantize(q, rounding=ROUND_HALF_UP)


def fmt_gbp(p: int | None, *, whole: bool = False) -> str:
    """``£1,234.56`` (or ``£1,235`` with ``whole``); ``–`` for a missing amount."""
    if p is None:
        return "–"
    sign = "-" if p < 0 else ""
    v = pounds(abs(p))
    if whole:
        return f"{sign}£{v.quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    return f"{sign}£{v:,}"


def fmt_m(p: int | None, dp: int = 1) -> str:
    """``7.6`` (£ millions, rounded half up); ``–`` for a missing amount."""
    return "–" if p is None else f"{millions(p, dp):,}"


@dataclass(frozen=True)
class RoundedRow:
    label: str
    pence: int | None
    rounded: Decimal | None


@dataclass(frozen=True)
class RoundedTable:
    """A table of parts and a total in £ millions, with the rounding check made explicit.

    ``total_pence`` is the exact total when known (the sum of the parts, or a separately stated
    total); ``parts_sum_rounded`` is what the printed parts add up to; ``adds_up`` is whether that
    equals the printed total. ``note`` says so in words when it does not.
    """

    rows: tuple[RoundedRow, ...]
    total_pence: int | None
    total_rounded: Decimal | None
    parts_sum_pence: int | None
    parts_sum_rounded: Decimal
    adds_up: bool
    unattributed_pence: int | None
    note: str | None
    dp: int


def rounded_table(
    parts: list[tuple[str, int | None]],
    *,
    total: int | None = None,
    dp: int = 1,
    what: str = "parts",
) -> RoundedTable:
    """Round ``parts`` (label, pence) and their total to £m with ``dp`` places, half up.

    ``total`` is a separately known exact total (e.g. the year's budget when the parts are
    themes); by default it is the exact sum of the parts. When the printed parts do not add to
    the printed total, ``note`` says by how much and why: independent rounding of n parts can
    move their sum by up to n × half a unit; a larger gap means money not attributed to any part.
    """
    rows = tuple(RoundedRow(label, p, None if p is None else millions(p, dp)) for label, p in parts)
    known = [r.pence for r in rows if r.pence is not None]
    missing = [r.label for r in rows if r.pence is None]
    parts_sum = sum(known) if not missing else None
    parts_sum_rounded = sum((r.rounded for r in rows if r.rounded is not None), Decimal(0))
    exact_total = total if total is not None else parts_sum
    total_rounded = None if exact_total is None else millions(exact_total, dp)
    adds_up = total_rounded is not None and parts_sum_rounded == total_rounded
    unattributed = None if exact_total is None or parts_sum is None else exact_total - parts_sum
    note = None
    unit = Decimal(1).scaleb(-dp)
    if missing:
        note = (
            f"No amount is recorded for {', '.join(missing)}, so the {what} cannot be added up "
            "and no total is computed from them."
        )
    elif not adds_up and total_rounded is not None:
        gap = total_rounded - parts_sum_rounded
        bound = unit / 2 * len(known)
        words = (
            f"The {what} as printed add up to {parts_sum_rounded:,} but the total is "
            f"{total_rounded:,} (£m, each figure rounded to {unit} independently; "
        )
        if unattributed and abs(Decimal(unattributed) / PENCE_PER_MILLION) >= unit / 2:
            words += (
                f"£{Decimal(unattributed) / PENCE_PER_MILLION:,}m of the total is not attributed "
                f"to any of the {what} in the data; "
            )
        if abs(gap) <= bound:
            words += f"a difference of {gap:+} is within what rounding of {len(known)} figures can produce)."
        else:
            words += f"a difference of {gap:+} is larger than rounding can explain)."
        note = words
    return RoundedTable(
        rows=rows,
        total_pence=exact_total,
        total_rounded=total_rounded,
        parts_sum_pence=parts_sum,
        parts_sum_rounded=parts_sum_rounded,
        adds_up=adds_up,
        unattributed_pence=unattributed,
        note=note,
        dp=dp,
    )

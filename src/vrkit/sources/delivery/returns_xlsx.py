"""Read a filled quarterly monitoring return (the XLSX template vrkit generates per programme).

The whole workbook is checked and every problem is collected, named by sheet, row and column;
a return with any problem is refused whole (:class:`ReturnRejected`), so nothing of it is stored.
Checks here need nothing but the file: template version, the About details (financial year,
quarter, reporting period inside the quarter), counts that are whole numbers and not negative,
reach breakdowns that add up to the participants total, spend amounts in whole pence and dates
inside the quarter. Checks that need the register (the programme exists, measures and funding
sources are the programme's, spend within budget) are made by :mod:`vrkit.ops.delivery.returns`
and reported the same way.

The layout (sheet names, labels and headers) is defined here once and used by the template
writer (:mod:`vrkit.reports.returns_template`).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from vrkit.catalog.delivery import (
    REACH_LABELS,
    reach_categories,
    reach_total_measure,
    return_sheets,
    template_version,
)
from vrkit.catalog.money import fy_bounds, parse_fy, pence, quarter_bounds
from vrkit.errors import DataValidationError, InputError, VrkitError

ABOUT, OUTPUTS, REACH, SPEND = return_sheets()
#: About sheet: label in column A → field; the value is in column B
ABOUT_FIELDS: dict[str, str] = {
    "Template version": "template_version",
    "Programme reference": "programme_ref",
    "Programme": "programme_name",
    "Organisation": "organisation",
    "Financial year": "financial_year",
    "Quarter": "quarter",
    "Period start": "period_start",
    "Period end": "period_end",
    "Contact name": "contact",
    "Comments": "comments",
}
OUTPUT_HEADERS = ("Code", "Measure", "Value")
REACH_HEADERS = ("Dimension", "Category", "Count")
SPEND_HEADERS = ("Source code", "Funding source", "Amount (£)", "Date paid (optional)")
#: the largest count accepted in one cell (a typo guard, not a policy)
MAX_COUNT = 10_000_000
MAX_ISSUES = 200


@dataclass(frozen=True)
class ReturnIssue:
    sheet: str | None
    row: int | None
    column: str | None
    reason: str

    def text(self) -> str:
        where = []
        if self.sheet:
            where.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return (", ".join(where) + ": " if where else "") + self.reason


class ReturnRejected(DataValidationError):
    """A return refused whole, with every problem found (``issues``)."""

    def __init__(self, path: str, issues: list[ReturnIssue]) -> None:
        self.issues = issues
        first = issues[0]
        more = (
            f" (and {len(issues) - 1} more problem{'s' if len(issues) > 2 else ''})"
            if len(issues) > 1
            else ""
        )
        self.path = str(path)
        self.row, self.column, self.value = first.row, first.column, None
        self.reason = first.reason
        VrkitError.__init__(
            self,
            f"{self.path}: {first.text()}{more}",
            hint="Nothing from this return was stored. Correct the cells named and submit the "
            "whole return again.",
        )


@dataclass(frozen=True)
class SpendLine:
    source_code: str
    amount_pence: int
    paid: date | None
    row: int


@dataclass
class ReturnData:
    """A return that passed the file-level checks."""

    file_name: str
    template_version: str
    programme_ref: str
    financial_year: int
    quarter: int
    period_start: date
    period_end: date
    contact: str = ""
    comments: str = ""
    values: dict[str, int] = field(default_factory=dict)
    value_rows: dict[str, int] = field(default_factory=dict)
    reach: dict[tuple[str, str], int] = field(default_factory=dict)
    spend: list[SpendLine] = field(default_factory=list)


class _Issues:
    def __init__(self) -> None:
        self.items: list[ReturnIssue] = []

    def add(self, sheet: str | None, row: int | None, column: str | None, reason: str) -> None:
        if len(self.items) < MAX_ISSUES:
            self.items.append(ReturnIssue(sheet, row, column, reason))


def is_xlsx(data: bytes) -> bool:
    """Whether ``data`` is an XLSX workbook (by its content, never its name)."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "xl/workbook.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


def outside_period(d: date, fy: int, quarter: int) -> str | None:
    """Why ``d`` is outside quarter ``quarter`` of financial year ``fy`` (None: inside)."""
    fs, fe = fy_bounds(fy)
    if not fs <= d <= fe:
        return (
            f"{d.isoformat()} is outside the financial year {fy}/{(fy + 1) % 100:02d} "
            f"({fs.isoformat()} to {fe.isoformat()})"
        )
    qs, qe = quarter_bounds(fy, quarter)
    if not qs <= d <= qe:
        return (
            f"{d.isoformat()} is outside quarter {quarter} ({qs.isoformat()} to {qe.isoformat()})"
        )
    return None


def _text(v: Any) -> str:
    return "" if v is None else str(v).strip()


def _count(v: Any) -> tuple[int | None, str | None]:
    """(value, problem) of a count cell."""
    if v is None or (isinstance(v, str) and not v.strip()):
        return None, "is empty: enter a whole number (0 if none)"
    if isinstance(v, bool):
        return None, "is not a number"
    if isinstance(v, int):
        n = v
    elif isinstance(v, float):
        if not v.is_integer():
            return None, f"is not a whole number ({v:g})"
        n = int(v)
    else:
        t = str(v).strip().replace(",", "")
        try:
            d = Decimal(t)
        except InvalidOperation:
            return None, f"is not a number ({str(v)[:40]!r})"
        if d != d.to_integral_value():
            return None, f"is not a whole number ({t})"
        n = int(d)
    if n < 0:
        return None, f"is negative ({n}): counts cannot be below zero"
    if n > MAX_COUNT:
        return None, f"is implausibly large ({n:,})"
    return n, None


def _day(v: Any) -> tuple[date | None, str | None]:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None, None
    if isinstance(v, datetime):
        return v.date(), None
    if isinstance(v, date):
        return v, None
    try:
        return date.fromisoformat(str(v).strip()[:10]), None
    except ValueError:
        return None, f"is not a date ({str(v)[:40]!r}); write it as YYYY-MM-DD"


def _money(v: Any) -> tuple[int | None, str | None]:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None, "is empty: enter the amount spent (0 if none)"
    if isinstance(v, bool):
        return None, "is not an amount of money"
    try:
        # a spreadsheet number is a binary float: its shortest decimal form is what was typed
        p = pence(repr(v) if isinstance(v, float) else str(v))
    except InputError as exc:
        why = "is not a whole number of pence" if "pence" in exc.message else "is not an amount"
        return None, f"{why} ({str(v)[:40]!r})"
    if p < 0:
        return None, "is negative: spend cannot be below zero"
    return p, None


def _sheet_rows(wb: Any, name: str) -> list[tuple[int, tuple[Any, ...]]]:
    ws = wb[name]
    return [(i, tuple(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)]


def read_return(data: bytes, file_name: str = "return.xlsx") -> ReturnData:
    """Parse and check a filled return; :class:`ReturnRejected` lists every problem."""
    from openpyxl import load_workbook

    issues = _Issues()
    if not is_xlsx(data):
        raise ReturnRejected(
            file_name,
            [
                ReturnIssue(
                    None,
                    None,
                    None,
                    "the file is not an XLSX workbook (a monitoring return made from the vrkit template)",
                )
            ],
        )
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise ReturnRejected(
            file_name,
            [ReturnIssue(None, None, None, f"the workbook cannot be read ({type(exc).__name__})")],
        ) from None
    try:
        missing = [s for s in (ABOUT, OUTPUTS, REACH, SPEND) if s not in wb.sheetnames]
        if missing:
            raise ReturnRejected(
                file_name,
                [
                    ReturnIssue(
                        None,
                        None,
                        None,
                        f"sheet(s) {', '.join(missing)} missing: this is not a vrkit monitoring "
                        "return, or its sheets were renamed",
                    )
                ],
            )
        about = _read_about(wb, issues)
        version = about.get("template_version")
        if version != template_version():
            issues.add(
                ABOUT,
                about.get("_row_template_version"),
                "B",
                f"template version {version!r} is not the current one ({template_version()}): "
                "download a new template for this quarter and copy the figures into it",
            )
            raise ReturnRejected(file_name, issues.items)
        fy = quarter = None
        try:
            fy = parse_fy(str(about.get("financial_year") or ""))
        except InputError as exc:
            issues.add(ABOUT, about.get("_row_financial_year"), "B", exc.message)
        qv, qerr = _count(about.get("quarter"))
        if qerr or qv not in (1, 2, 3, 4):
            issues.add(ABOUT, about.get("_row_quarter"), "B", "the quarter must be 1, 2, 3 or 4")
        else:
            quarter = qv
        ref = _text(about.get("programme_ref"))
        if not ref:
            issues.add(
                ABOUT, about.get("_row_programme_ref"), "B", "the programme reference is empty"
            )
        start, serr = _day(about.get("period_start"))
        end, eerr = _day(about.get("period_end"))
        for key, d, err in (("period_start", start, serr), ("period_end", end, eerr)):
            if err or d is None:
                issues.add(ABOUT, about.get(f"_row_{key}"), "B", err or "the date is empty")
        if fy is not None and quarter is not None and start and end:
            for key, d in (("period_start", start), ("period_end", end)):
                why = outside_period(d, fy, quarter)
                if why:
                    issues.add(ABOUT, about.get(f"_row_{key}"), "B", why)
            if start > end:
                issues.add(
                    ABOUT, about.get("_row_period_end"), "B", "the period ends before it starts"
                )
        values, value_rows = _read_outputs(wb, issues)
        reach, reach_rows = _read_reach(wb, issues)
        total_code = reach_total_measure()
        total = values.get(total_code)
        if total is not None:
            for dim, cats in reach_categories().items():
                got = [reach.get((dim, c)) for c in cats]
                if any(g is None for g in got):
                    continue  # already reported cell by cell
                s = sum(g for g in got if g is not None)
                if s != total:
                    rows = reach_rows.get(dim, (None, None))
                    issues.add(
                        REACH,
                        rows[0],
                        "Count",
                        f"the {REACH_LABELS[dim].lower()} counts (rows {rows[0]}–{rows[1]}) add up "
                        f"to {s:,}, but sheet {OUTPUTS!r} row {value_rows.get(total_code)} "
                        f"({total_code}) says {total:,}: each breakdown must add up to the "
                        "participants total",
                    )
        if (
            "young_people_supported" in values
            and total is not None
            and values["young_people_supported"] > total
        ):
            issues.add(
                OUTPUTS,
                value_rows.get("young_people_supported"),
                "Value",
                f"young people supported ({values['young_people_supported']:,}) is more than the "
                f"new participants ({total:,}) they are part of",
            )
        spend = _read_spend(wb, issues, fy, quarter)
    finally:
        wb.close()
    if issues.items:
        raise ReturnRejected(file_name, issues.items)
    assert fy is not None and quarter is not None and start is not None and end is not None
    return ReturnData(
        file_name=file_name,
        template_version=str(version),
        programme_ref=ref,
        financial_year=fy,
        quarter=quarter,
        period_start=start,
        period_end=end,
        contact=_text(about.get("contact"))[:200],
        comments=_text(about.get("comments"))[:5000],
        values=values,
        value_rows=value_rows,
        reach=reach,
        spend=spend,
    )


def _read_about(wb: Any, issues: _Issues) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, row in _sheet_rows(wb, ABOUT):
        if not row:
            continue
        label = _text(row[0])
        if label in ABOUT_FIELDS:
            key = ABOUT_FIELDS[label]
            out[key] = row[1] if len(row) > 1 else None
            out[f"_row_{key}"] = i
    for label, key in ABOUT_FIELDS.items():
        if f"_row_{key}" not in out and key not in (
            "contact",
            "comments",
            "organisation",
            "programme_name",
        ):
            issues.add(ABOUT, None, "A", f"the row {label!r} is missing")
    if "template_version" in out:
        out["template_version"] = _text(out["template_version"])
    return out


def _header(
    rows: list[tuple[int, tuple[Any, ...]]], want: tuple[str, ...], sheet: str, issues: _Issues
) -> int | None:
    for i, row in rows[:10]:
        if tuple(_text(c) for c in row[: len(want)]) == want:
            return i
    issues.add(sheet, None, None, f"the header row ({', '.join(want)}) is missing or changed")
    return None


def _read_outputs(wb: Any, issues: _Issues) -> tuple[dict[str, int], dict[str, int]]:
    rows = _sheet_rows(wb, OUTPUTS)
    head = _header(rows, OUTPUT_HEADERS, OUTPUTS, issues)
    values: dict[str, int] = {}
    where: dict[str, int] = {}
    if head is None:
        return values, where
    for i, row in rows:
        if i <= head or not row or all(c is None for c in row):
            continue
        code = _text(row[0])
        if not code:
            issues.add(OUTPUTS, i, "Code", "a value without a measure code")
            continue
        if code in where:
            issues.add(
                OUTPUTS, i, "Code", f"measure {code!r} appears twice (also row {where[code]})"
            )
            continue
        n, err = _count(row[2] if len(row) > 2 else None)
        where[code] = i
        if err:
            issues.add(OUTPUTS, i, "Value", f"{code}: the value {err}")
            continue
        assert n is not None
        values[code] = n
    if reach_total_measure() not in where:
        issues.add(OUTPUTS, None, "Code", f"the row for {reach_total_measure()} is missing")
    return values, where


def _read_reach(
    wb: Any, issues: _Issues
) -> tuple[dict[tuple[str, str], int], dict[str, tuple[int, int]]]:
    rows = _sheet_rows(wb, REACH)
    head = _header(rows, REACH_HEADERS, REACH, issues)
    out: dict[tuple[str, str], int] = {}
    span: dict[str, tuple[int, int]] = {}
    if head is None:
        return out, span
    cats = reach_categories()
    by_label = {v.lower(): k for k, v in REACH_LABELS.items()}
    seen: dict[tuple[str, str], int] = {}
    for i, row in rows:
        if i <= head or not row or all(c is None for c in row):
            continue
        dim = by_label.get(_text(row[0]).lower())
        cat = _text(row[1]) if len(row) > 1 else ""
        if dim is None:
            issues.add(REACH, i, "Dimension", f"unknown dimension {_text(row[0])[:40]!r}")
            continue
        if cat not in cats[dim]:
            issues.add(
                REACH, i, "Category", f"unknown {REACH_LABELS[dim].lower()} category {cat[:60]!r}"
            )
            continue
        if (dim, cat) in seen:
            issues.add(REACH, i, "Category", f"{cat!r} appears twice (also row {seen[(dim, cat)]})")
            continue
        seen[(dim, cat)] = i
        lo, hi = span.get(dim, (i, i))
        span[dim] = (min(lo, i), max(hi, i))
        n, err = _count(row[2] if len(row) > 2 else None)
        if err:
            issues.add(REACH, i, "Count", f"{REACH_LABELS[dim]} {cat}: the count {err}")
            continue
        assert n is not None
        out[(dim, cat)] = n
    for dim, cs in cats.items():
        lost = [c for c in cs if (dim, c) not in seen]
        if lost:
            issues.add(
                REACH,
                None,
                "Category",
                f"{REACH_LABELS[dim].lower()} rows missing: {', '.join(lost[:5])}"
                + (" …" if len(lost) > 5 else ""),
            )
    return out, span


def _read_spend(wb: Any, issues: _Issues, fy: int | None, quarter: int | None) -> list[SpendLine]:
    rows = _sheet_rows(wb, SPEND)
    head = _header(rows, SPEND_HEADERS, SPEND, issues)
    out: list[SpendLine] = []
    if head is None:
        return out
    seen: dict[str, int] = {}
    for i, row in rows:
        if i <= head or not row or all(c is None for c in row):
            continue
        code = _text(row[0])
        if not code:
            issues.add(SPEND, i, "Source code", "an amount without a funding source code")
            continue
        if code in seen:
            issues.add(
                SPEND,
                i,
                "Source code",
                f"funding source {code!r} appears twice (also row {seen[code]})",
            )
            continue
        seen[code] = i
        p, err = _money(row[2] if len(row) > 2 else None)
        if err:
            issues.add(SPEND, i, "Amount (£)", f"{code}: the amount {err}")
            continue
        d, derr = _day(row[3] if len(row) > 3 else None)
        if derr:
            issues.add(SPEND, i, "Date paid (optional)", derr)
            continue
        why = outside_period(d, fy, quarter) if d and fy is not None and quarter else None
        if why:
            issues.add(SPEND, i, "Date paid (optional)", why)
            continue
        assert p is not None
        out.append(SpendLine(code, p, d, i))
    return out

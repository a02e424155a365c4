"""The quarterly monitoring-return template (XLSX), generated per programme and quarter.

Four sheets (About, Outputs, Reach, Spend) in the layout :mod:`vrkit.sources.delivery.returns_xlsx`
reads back. Only the cells a provider fills are unlocked (shaded); the sheets are protected
against accidental edits (no password: protection is a guide, the reader checks everything).
Whole-number validation is set on count cells so Excel warns as the provider types. No formula
is used anywhere: every figure is typed by the provider and checked on import.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from vrkit.catalog.delivery import (
    REACH_LABELS,
    deduplication_rules,
    reach_categories,
    template_version,
)
from vrkit.catalog.money import fy_label, pounds, quarter_bounds
from vrkit.reports.tabular import xlsx_text
from vrkit.sources.delivery.returns_xlsx import (
    ABOUT,
    OUTPUT_HEADERS,
    OUTPUTS,
    REACH,
    REACH_HEADERS,
    SPEND,
    SPEND_HEADERS,
)

INPUT_FILL = "FFF7BF"
HEAD_FILL = "F3F2F1"


@dataclass
class TemplateSpec:
    """What a template is for, and (optionally) figures to fill it with (tests, SYNTHETIC data)."""

    programme_ref: str
    programme_name: str
    organisation: str
    financial_year: int
    quarter: int
    measures: list[tuple[str, str]]
    sources: list[tuple[str, str]]
    values: dict[str, int] = field(default_factory=dict)
    reach: dict[tuple[str, str], int] = field(default_factory=dict)
    spend: dict[str, Decimal | int] = field(default_factory=dict)  # source code → pounds
    contact: str = ""
    comments: str = ""
    synthetic: bool = False


def build_template(spec: TemplateSpec) -> bytes:
    """The template (filled with ``spec``'s figures, if any) as XLSX bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor=HEAD_FILL)
    input_fill = PatternFill("solid", fgColor=INPUT_FILL)
    unlocked = Protection(locked=False)
    wrap = Alignment(wrap_text=True, vertical="top")

    def put(
        ws: Any, row: int, col: int, value: Any, *, editable: bool = False, b: bool = False
    ) -> Any:
        c = ws.cell(row=row, column=col)
        c.value = xlsx_text(value) if isinstance(value, str) else value
        if isinstance(value, str):
            c.data_type = "s"  # never a formula, whatever the text begins with
        if editable:
            c.fill = input_fill
            c.protection = unlocked
        if b:
            c.font = bold
        return c

    start, end = quarter_bounds(spec.financial_year, spec.quarter)
    about = wb.active
    about.title = ABOUT
    title = "vrkit quarterly monitoring return" + (
        " — SYNTHETIC (not real data)" if spec.synthetic else ""
    )
    put(about, 1, 1, title, b=True).font = Font(bold=True, size=14)
    rows: list[tuple[str, Any, bool]] = [
        ("Template version", template_version(), False),
        ("Programme reference", spec.programme_ref, False),
        ("Programme", spec.programme_name, False),
        ("Organisation", spec.organisation, False),
        ("Financial year", fy_label(spec.financial_year), False),
        ("Quarter", spec.quarter, False),
        ("Period start", start, False),
        ("Period end", end, False),
        ("Contact name", spec.contact, True),
        ("Comments", spec.comments, True),
    ]
    for i, (label, value, editable) in enumerate(rows, start=3):
        put(about, i, 1, label, b=True)
        c = put(about, i, 2, value, editable=editable)
        if isinstance(value, date):
            c.number_format = "yyyy-mm-dd"
    r = 3 + len(rows) + 1
    notes = [
        "How to fill this return",
        "Fill the shaded cells only, on the Outputs, Reach and Spend sheets, and your contact name above.",
        "Counts are whole numbers; enter 0 where there is nothing to report (a blank cell is refused).",
        "Each breakdown on the Reach sheet (age band, sex, ethnicity, borough) must add up to the "
        "new participants figure on the Outputs sheet.",
        "Spend is what you spent in this quarter from each funding source, in pounds and pence.",
        "A corrected return for the same quarter replaces the earlier one; both are kept.",
        "Counting rules",
        *deduplication_rules().values(),
    ]
    for text in notes:
        c = put(about, r, 1, text, b=text in ("How to fill this return", "Counting rules"))
        about.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
        c.alignment = wrap
        about.row_dimensions[r].height = 15 if len(text) < 90 else 30 * (len(text) // 90 + 1) / 2
        r += 1
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 60
    about.column_dimensions["C"].width = 20
    about.column_dimensions["D"].width = 20

    whole = DataValidation(
        type="whole",
        operator="between",
        formula1="0",
        formula2="10000000",
        showErrorMessage=True,
        errorTitle="Whole number",
        error="Enter a whole number of 0 or more.",
    )
    outs = wb.create_sheet(OUTPUTS)
    outs.add_data_validation(whole)
    for j, h in enumerate(OUTPUT_HEADERS, start=1):
        put(outs, 1, j, h, b=True).fill = head_fill
    for i, (code, label) in enumerate(spec.measures, start=2):
        put(outs, i, 1, code)
        put(outs, i, 2, label).alignment = wrap
        c = put(outs, i, 3, spec.values.get(code), editable=True)
        whole.add(c.coordinate)
    outs.column_dimensions["A"].width = 28
    outs.column_dimensions["B"].width = 70
    outs.column_dimensions["C"].width = 14

    reach = wb.create_sheet(REACH)
    whole2 = DataValidation(
        type="whole", operator="between", formula1="0", formula2="10000000", showErrorMessage=True
    )
    reach.add_data_validation(whole2)
    for j, h in enumerate(REACH_HEADERS, start=1):
        put(reach, 1, j, h, b=True).fill = head_fill
    i = 2
    for dim, cats in reach_categories().items():
        for cat in cats:
            put(reach, i, 1, REACH_LABELS[dim])
            put(reach, i, 2, cat)
            c = put(reach, i, 3, spec.reach.get((dim, cat)), editable=True)
            whole2.add(c.coordinate)
            i += 1
    reach.column_dimensions["A"].width = 14
    reach.column_dimensions["B"].width = 48
    reach.column_dimensions["C"].width = 12

    spend = wb.create_sheet(SPEND)
    for j, h in enumerate(SPEND_HEADERS, start=1):
        put(spend, 1, j, h, b=True).fill = head_fill
    for i, (code, name) in enumerate(spec.sources, start=2):
        put(spend, i, 1, code)
        put(spend, i, 2, name)
        v = spec.spend.get(code)
        c = put(spend, i, 3, None if v is None else pounds(int(Decimal(v) * 100)), editable=True)
        c.number_format = "#,##0.00"
        d = put(spend, i, 4, None, editable=True)
        d.number_format = "yyyy-mm-dd"
    spend.column_dimensions["A"].width = 16
    spend.column_dimensions["B"].width = 48
    spend.column_dimensions["C"].width = 16
    spend.column_dimensions["D"].width = 20

    for ws in (about, outs, reach, spend):
        ws.protection.sheet = True
        ws.freeze_panes = "A2" if ws is not about else None
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_file_name(spec: TemplateSpec) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in spec.programme_ref)
    return f"return-{safe}-{fy_label(spec.financial_year).replace('/', '-')}-Q{spec.quarter}.xlsx"

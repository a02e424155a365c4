"""The monitoring-return template and its reader (file-level checks; the register-level checks
are in tests/web/test_delivery_returns.py). Each bad input is refused whole, named by sheet, row
and column."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from vrkit.catalog.delivery import reach_categories, standard_measures, template_version
from vrkit.reports.returns_template import TemplateSpec, build_template
from vrkit.sources.delivery.returns_xlsx import ReturnRejected, read_return

MEASURES = [(m.code, m.label) for m in standard_measures()]


def spec(**kw: Any) -> TemplateSpec:
    values = {code: 0 for code, _ in MEASURES} | {
        "people_reached_new": 12,
        "young_people_supported": 9,
    }
    reach = {}
    for dim, cats in reach_categories().items():
        for c in cats:
            reach[(dim, c)] = 0
        reach[(dim, cats[0])] = 7
        reach[(dim, cats[1])] = 5
    base = {
        "programme_ref": "T-001",
        "programme_name": "Test programme",
        "organisation": "Test org",
        "financial_year": 2020,
        "quarter": 2,
        "measures": MEASURES,
        "sources": [("home_office", "Home Office")],
        "values": values,
        "reach": reach,
        "spend": {"home_office": Decimal("2500.50")},
    }
    return TemplateSpec(**(base | kw))


def edit(data: bytes, sheet: str, cell: str, value: Any) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    wb[sheet][cell] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def issues(data: bytes) -> list[str]:
    with pytest.raises(ReturnRejected) as e:
        read_return(data, "r.xlsx")
    return [i.text() for i in e.value.issues]


# -- the round trip ------------------------------------------------------------------------------


def test_a_filled_template_reads_back_exactly() -> None:
    r = read_return(build_template(spec()), "r.xlsx")
    assert (r.programme_ref, r.financial_year, r.quarter) == ("T-001", 2020, 2)
    assert (r.period_start, r.period_end) == (date(2020, 7, 1), date(2020, 9, 30))
    assert r.values["people_reached_new"] == 12 and r.values["young_people_supported"] == 9
    assert r.reach[("sex", "Female")] == 7 and r.reach[("borough", "Barking and Dagenham")] == 7
    assert [(x.source_code, x.amount_pence) for x in r.spend] == [("home_office", 250050)]
    assert r.template_version == template_version()


def test_the_template_is_protected_and_formula_free() -> None:
    wb = load_workbook(io.BytesIO(build_template(spec(programme_name='=HYPERLINK("x")'))))
    assert all(wb[s].protection.sheet for s in wb.sheetnames)
    assert wb["About"]["B5"].data_type == "s"  # the name is text, not a formula
    # only the cells a provider fills are unlocked
    assert wb["Outputs"]["C2"].protection.locked is False
    assert wb["Outputs"]["A2"].protection.locked is True


def test_an_empty_template_lists_every_missing_figure() -> None:
    blank = spec(values={}, reach={}, spend={})
    found = issues(build_template(blank))
    assert (
        "sheet 'Outputs', row 2, column 'Value': people_reached_new: the value is empty: enter a whole number (0 if none)"
        in found
    )
    assert any(x.startswith("sheet 'Reach', row 2, column 'Count'") for x in found)
    assert any(x.startswith("sheet 'Spend', row 2, column 'Amount (£)'") for x in found)


# -- bad input -----------------------------------------------------------------------------------


def test_wrong_template_version() -> None:
    found = issues(edit(build_template(spec()), "About", "B3", "vrkit-returns-0"))
    assert found == [
        "sheet 'About', row 3, column 'B': template version 'vrkit-returns-0' is not the current one "
        f"({template_version()}): download a new template for this quarter and copy the figures into it"
    ]


def test_totals_that_disagree_with_the_rows() -> None:
    data = edit(build_template(spec()), "Reach", "C3", 6)  # age band 10-13: 5 -> 6
    (msg,) = [x for x in issues(data) if "add up" in x]
    assert msg.startswith(
        "sheet 'Reach', row 2, column 'Count': the age band counts (rows 2–8) add up to 13"
    )
    assert "sheet 'Outputs' row 2 (people_reached_new) says 12" in msg


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (-3, "is negative (-3)"),
        (2.5, "is not a whole number (2.5)"),
        ("ten", "is not a number ('ten')"),
    ],
)
def test_counts_must_be_whole_and_not_negative(value: Any, reason: str) -> None:
    found = issues(edit(build_template(spec()), "Outputs", "C5", value))
    assert (
        f"sheet 'Outputs', row 5, column 'Value': sessions_delivered: the value {reason}"
        in found[0]
    )


def test_dates_outside_the_financial_year_or_quarter() -> None:
    data = edit(build_template(spec()), "About", "B9", date(2021, 4, 1))
    assert any(
        "row 9, column 'B': 2021-04-01 is outside the financial year 2020/21" in x
        for x in issues(data)
    )
    data = edit(build_template(spec()), "Spend", "D2", date(2020, 5, 1))
    assert any(
        "sheet 'Spend', row 2, column 'Date paid (optional)': 2020-05-01 is outside quarter 2" in x
        for x in issues(data)
    )


def test_spend_in_fractions_of_a_penny() -> None:
    data = edit(build_template(spec()), "Spend", "C2", 10.005)
    assert any("is not a whole number of pence" in x for x in issues(data))


def test_young_people_cannot_exceed_participants() -> None:
    data = edit(build_template(spec()), "Outputs", "C3", 13)
    assert any(
        "young people supported (13) is more than the new participants (12)" in x
        for x in issues(data)
    )


def test_not_a_workbook() -> None:
    assert issues(b"programme,quarter\nT-001,2\n") == [
        "the file is not an XLSX workbook (a monitoring return made from the vrkit template)"
    ]


def test_renamed_sheets() -> None:
    wb = load_workbook(io.BytesIO(build_template(spec())))
    wb["Reach"].title = "People"
    buf = io.BytesIO()
    wb.save(buf)
    assert "sheet(s) Reach missing" in issues(buf.getvalue())[0]

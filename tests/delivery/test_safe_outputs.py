"""Delivery CSV/XLSX go through the one safe writer (reports/tabular.py): text from data that
a spreadsheet would run as a formula stays text, and numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from vrkit.reports.delivery import csv_text, write_sheets
from vrkit.reports.giving360 import package_csv, package_xlsx

HOSTILE = '=HYPERLINK("http://x.invalid","click")'


def _grant() -> dict[str, object]:
    return {
        "id": "360G-T-1",
        "title": HOSTILE,
        "currency": "GBP",
        "amountAwarded": 12500,
        "awardDate": "2020-06-01",
        "recipientOrganization": [{"id": "GB-CHC-1", "name": "@Youth Trust"}],
        "fundingOrganization": [{"id": "GB-GOR-1", "name": "VRU"}],
    }


def test_delivery_csv_neutralises_text_and_keeps_numbers() -> None:
    frame = pd.DataFrame(
        {
            "name": [HOSTILE, "Lambeth"],
            "amount_gbp_m": [Decimal("7.6"), Decimal("-0.1")],
            "amount_pence": [760_000_000, -10_000_000],
            "places": [["Brent", "-Ealing"], []],
        }
    )
    rows = list(csv.reader(io.StringIO(csv_text(frame))))
    assert rows[1] == ["'" + HOSTILE, "7.6", "760000000", "Brent; -Ealing"]
    assert rows[2] == ["Lambeth", "-0.1", "-10000000", ""]


def test_delivery_xlsx_strings_are_text_and_money_is_numeric(tmp_path: Path) -> None:
    frame = pd.DataFrame({"name": [HOSTILE], "amount_gbp_m": [Decimal("19.7")], "n": [3884]})
    p = write_sheets({"t": frame}, tmp_path / "t.xlsx", about=[("Title", HOSTILE)], notes=[HOSTILE])
    wb = load_workbook(p)
    assert wb.sheetnames == ["about", "t", "notes"]
    name, amount, n = (c for c in wb["t"][2])
    assert (name.value, name.data_type) == (HOSTILE, "s")
    assert (amount.value, amount.number_format) == (19.7, "#,##0.0")
    assert (n.value, n.number_format) == (3884, "#,##0")
    assert wb["about"]["B2"].data_type == "s" and wb["notes"]["A2"].value == HOSTILE


def test_360giving_csv_and_xlsx_keep_formulas_out() -> None:
    package = {"grants": [_grant()]}
    rows = list(csv.DictReader(io.StringIO(package_csv(package))))
    assert rows[0]["Title"] == "'" + HOSTILE
    assert rows[0]["Recipient Org:Name"] == "'@Youth Trust"
    assert rows[0]["Amount Awarded"] == "12500"
    ws = load_workbook(io.BytesIO(package_xlsx(package)))["grants"]
    head = [c.value for c in ws[1]]
    cells = dict(zip(head, ws[2], strict=True))
    assert (cells["Title"].value, cells["Title"].data_type) == (HOSTILE, "s")
    assert cells["Amount Awarded"].value == 12500
    assert cells["Description"].value is None

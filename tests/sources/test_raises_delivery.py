"""Every reachable ``raise`` of the delivery readers (vrkit delivery tables, 360Giving), fed a
small hostile file (issue #21; verdicts in docs/testing-raises.md).

Files are written in ``tmp_path`` with the columns the readers document; each case asserts the
error class and that the message names the file, the line, the column and the reason. The
readers only build a bundle in memory (the database is written by ``load_bundle`` afterwards,
and ``tests/web/test_delivery.py`` checks that a refused import leaves it empty).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from vrkit.errors import DataValidationError, SourceError, VrkitError
from vrkit.sources.delivery.giving360 import read_360giving, schema_dir
from vrkit.sources.delivery.returns_xlsx import ReturnRejected, read_return
from vrkit.sources.delivery.tables import read_tables

SPEND = "programme_ref,source,financial_year,amount_gbp,quarter,date"


def _check(exc: VrkitError, path: Path, reason: str, row: int | None, column: str | None) -> None:
    msg = str(exc)
    assert str(path) in msg, msg
    assert reason in msg, msg
    if row is not None:
        assert isinstance(exc, DataValidationError) and exc.row == row, msg
        assert f"line {row}" in msg, msg
    if column is not None:
        assert isinstance(exc, DataValidationError) and exc.column == column, msg
        assert repr(column) in msg, msg


# (id, file, content, error, reason, row, column)
TABLES: list[tuple[str, str, str | bytes, type[VrkitError], str, int | None, str | None]] = [
    ("missing_column", "budgets.csv", "source,amount_gbp\nS1,5\n", DataValidationError,
     "column 'financial_year' is missing or renamed", 1, "financial_year"),
    ("unknown_column", "budgets.csv", "source,financial_year,amount_gbp,colour\nS1,2023-24,5,red\n",
     DataValidationError, "unknown column 'colour'", 1, "colour"),
    ("more_cells", "budgets.csv", "source,financial_year,amount_gbp\nS1,2023-24,5\nS1,2024-25,5,9\n",
     DataValidationError, "more cells than columns", 3, None),
    ("not_utf8", "budgets.csv", b"source,financial_year,amount_gbp\n\xff\xfeS1,2023-24,5\n",
     SourceError, "is not UTF-8 text", None, None),
    ("amount_needed", "spend.csv", SPEND + "\nP1,S1,2023-24,,1,\n", DataValidationError,
     "an amount is needed", 2, "amount_gbp"),
    ("amount_not_money", "spend.csv", SPEND + "\nP1,S1,2023-24,lots,1,\n", DataValidationError,
     "'lots' is not an amount of money", 2, "amount_gbp"),
    ("amount_negative", "spend.csv", SPEND + "\nP1,S1,2023-24,-5,1,\n", DataValidationError,
     "an amount cannot be negative", 2, "amount_gbp"),
    ("financial_year", "spend.csv", SPEND + "\nP1,S1,2023-25,5,1,\n", DataValidationError,
     "2023-25", 2, "financial_year"),
    ("quarter_not_whole", "spend.csv", SPEND + "\nP1,S1,2023-24,5,one,\n", DataValidationError,
     "not a whole number", 2, "quarter"),
    ("quarter_zero", "spend.csv", SPEND + "\nP1,S1,2023-24,5,0,\n", DataValidationError,
     "must be at least 1", 2, "quarter"),
    ("quarter_five", "forecast.csv", SPEND + "\nP1,S1,2023-24,5,5,\n", DataValidationError,
     "must be at most 4", 2, "quarter"),
    ("date_format", "profile.csv", SPEND + "\nP1,S1,2023-24,5,,31/12/2023\n", DataValidationError,
     "not a date (YYYY-MM-DD)", 2, "date"),
    ("date_outside_year", "spend.csv", SPEND + "\nP1,S1,2023-24,5,,2022-05-01\n",
     DataValidationError, "2022-05-01 is outside the financial year", 2, "date"),
    ("date_outside_quarter", "spend.csv", SPEND + "\nP1,S1,2023-24,5,1,2023-10-01\n",
     DataValidationError, "2023-10-01 is outside quarter 1 (it is in quarter 3)", 2, "date"),
    ("no_quarter_or_date", "spend.csv", SPEND + "\nP1,S1,2023-24,5,,\n", DataValidationError,
     "a quarter (1-4) or a date is needed", 2, "quarter"),
    ("must_spend_flag", "funding_sources.csv", "code,name,must_spend_in_year\nS1,Home Office,maybe\n",
     DataValidationError, "write yes or no", 2, "must_spend_in_year"),
    ("allocation_theme", "allocations.csv", "financial_year,theme,amount_gbp\n2023-24,astrology,5\n",
     DataValidationError, "unknown theme 'astrology'", 2, "theme"),
    ("target_needed", "targets.csv", "measure,financial_year,target\nreach,2023-24,\n",
     DataValidationError, "a target is needed", 2, "target"),
    ("target_negative", "targets.csv", "measure,financial_year,target\nreach,2023-24,-3\n",
     DataValidationError, "cannot be negative", 2, "target"),
    ("programme_theme", "programmes.csv", "ref,name,theme\nP1,Mentoring,astrology\n",
     DataValidationError, "unknown theme 'astrology'", 2, "theme"),
    ("programme_borough", "programmes.csv", "ref,name,theme,boroughs\nP1,Mentoring,other,Atlantis\n",
     DataValidationError, "not a London borough", 2, "boroughs"),
    ("programme_measure", "programmes.csv",
     "ref,name,theme,measures\nP1,Mentoring,other,young people!=Young people\n",
     DataValidationError, "a measure code is letters, digits and _", 2, "measures"),
]  # fmt: skip


def test_a_folder_without_delivery_tables_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SourceError) as info:
        read_tables(tmp_path)
    assert str(tmp_path) in str(info.value)
    assert "holds none of the vrkit delivery tables" in str(info.value)


# --- 360Giving ------------------------------------------------------------------------------------


def _grant(**change: Any) -> dict[str, Any]:
    """A grant that passes the 360Giving schema, with ``change`` applied."""
    g: dict[str, Any] = {
        "id": "360G-test-1",
        "title": "Mentoring",
        "description": "One year of mentoring",
        "currency": "GBP",
        "amountAwarded": 12500,
        "awardDate": "2023-06-01",
        "recipientOrganization": [{"id": "GB-CHC-1", "name": "Youth Trust"}],
        "fundingOrganization": [{"id": "GB-GOR-1", "name": "VRU"}],
    }
    g.update(change)
    return g


GRANTS: list[tuple[str, dict[str, Any], str, str]] = [
    ("blank_identifier", _grant(id="  "), "a grant without an identifier", "Identifier"),
    ("currency", _grant(currency="EUR"), "grant 360G-test-1 is in EUR: vrkit holds money in pounds",
     "Currency"),
    ("fraction_of_a_penny", _grant(amountAwarded=10.005),
     "grant 360G-test-1: the amount is not a whole number of pence", "Amount Awarded"),
    ("negative", _grant(amountAwarded=-5), "grant 360G-test-1: the amount is negative",
     "Amount Awarded"),
    ("theme", _grant(vrkit={"theme": "astrology"}), "unknown theme 'astrology'", "vrkit:Theme"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("grant", "reason", "column"), [g[1:] for g in GRANTS], ids=[g[0] for g in GRANTS]
)
def test_360giving_grant_refused_naming_file_grant_column_and_reason(
    tmp_path: Path, grant: dict[str, Any], reason: str, column: str
) -> None:
    """Each passes the standard's schema (checked first), then breaks one of vrkit's rules."""
    p = tmp_path / "grants.json"
    p.write_text(json.dumps({"grants": [_grant(id="360G-test-0"), grant]}), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        read_360giving(p)
    _check(info.value, p, reason, 2, column)


CSV_HEAD = "Identifier,Title,Description,Currency,Amount Awarded,Award Date"
CSV_ROW = "360G-test-1,Mentoring,One year,GBP,12500,2023-06-01"
FILES: list[tuple[str, str, str | bytes, type[VrkitError], str, int | None, str | None]] = [
    ("csv_without_identifier", "grants.csv", b"Title,Amount Awarded\nMentoring,5\n",
     DataValidationError, "column 'Identifier' is missing: not a 360Giving CSV file", 1,
     "Identifier"),
    ("csv_more_cells", "grants.csv", f"{CSV_HEAD}\n{CSV_ROW}\n{CSV_ROW},extra\n".encode(),
     DataValidationError, "more cells than columns", 3, None),
    ("csv_amount_not_a_number", "grants.csv",
     f"{CSV_HEAD}\n{CSV_ROW.replace('12500', 'lots')}\n".encode(), DataValidationError,
     "not a number", 2, "Amount Awarded"),
    ("xlsx_damaged", "grants.xlsx", b"PK\x03\x04 not really a workbook", SourceError,
     "is not a readable XLSX workbook", None, None),
    ("json_not_utf8", "grants.json", b'{"grants": ["\xff\xfe"]}', SourceError,
     "is not UTF-8 text", None, None),
    ("json_syntax", "grants.json", b'{"grants": [', SourceError, "is not valid JSON (line 1:",
     None, None),
    ("json_not_a_package", "grants.json", b'{"funds": []}', DataValidationError,
     "not a 360Giving package (no 'grants' list)", None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "error", "reason", "row", "column"),
    [c[1:] for c in [*TABLES, *FILES]],
    ids=[c[0] for c in [*TABLES, *FILES]],
)
def test_delivery_file_refused_naming_file_line_column_and_reason(
    tmp_path: Path,
    name: str,
    content: str | bytes,
    error: type[VrkitError],
    reason: str,
    row: int | None,
    column: str | None,
) -> None:
    """A vrkit delivery table (read with its folder) or a 360Giving file, one fault each."""
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(error) as info:
        if any(name == t[1] for t in TABLES):
            read_tables(tmp_path)
        else:
            read_360giving(p)
    assert type(info.value) is error
    _check(info.value, p, reason, row, column)


def test_360giving_schema_folder_missing_is_named(tmp_path: Path) -> None:
    """A wrong VRKIT_STANDARDS_DIR names the folder and the missing schema files."""
    p = tmp_path / "grants.json"
    p.write_text(json.dumps({"grants": [_grant()]}), encoding="utf-8")
    with pytest.raises(SourceError) as info:
        read_360giving(p, schema=tmp_path / "nowhere")
    msg = str(info.value)
    assert str(tmp_path / "nowhere") in msg
    assert "the 360Giving schema is not there (360-giving-package-schema.json" in msg
    assert schema_dir().exists()  # the configured one is there: only the given folder is wrong


def test_monitoring_return_that_looks_like_a_workbook_but_cannot_be_read() -> None:
    """A zip with a workbook part name passes the content check and then fails to open."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", "<not a workbook")
    with pytest.raises(ReturnRejected) as info:
        read_return(buf.getvalue(), "Q1 return.xlsx")
    assert len(info.value.issues) == 1
    assert info.value.issues[0].reason.startswith("the workbook cannot be read (")
    assert str(info.value).startswith("Q1 return.xlsx")

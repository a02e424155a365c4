"""Text from data is text in every CSV and XLSX vrkit writes, never a formula (issue #10, 1).

Unit tests of :mod:`vrkit.reports.tabular`, then the case of the review end to end: an MPS ward
file whose ward name is ``=HYPERLINK("http://x","y")`` and whose file name starts with ``=``
goes through ingest into the Violent Crime Report XLSX (``wards`` and ``datasets`` sheets) and
``vrkit alerts --format csv|xlsx``. The ward file is an extract of the shared data made at test
time (never committed).
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import vrkit
from vrkit.cli import app
from vrkit.reports import build_violent_crime_report, write_report
from vrkit.reports.render.labels import label
from vrkit.reports.render.workbook import read_rows
from vrkit.reports.tabular import (
    XLSX_MAX_CELL,
    csv_text,
    neutralise,
    write_csv,
    write_csv_rows,
    write_xlsx,
)

EVIL = '=HYPERLINK("http://x","y")'
DATA = vrkit.get_settings().data_dir
WARDS = DATA / "mps_crime_ward/2020-01_to_2021-12/MPS Ward Level_Crime_2020-2021.csv.gz"
BOROUGHS = (
    DATA
    / "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv"
)


def _formula_cells(path: Path) -> list[str]:
    """Every cell of a workbook stored as a formula (checked in the XML itself, too)."""
    with zipfile.ZipFile(path) as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml and b"<f " not in xml
    wb = openpyxl.load_workbook(path)
    return [
        f"{ws.title}!{c.coordinate}"
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f"
    ]


def _csv_cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


# ---------------------------------------------------------------------------------------------
# the writer


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (EVIL, "'" + EVIL),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        ("-1+2", "'-1+2"),  # a formula a spreadsheet would evaluate, not a number
        ("-12", "-12"),
        ("+3.5", "+3.5"),
        ("-1e-3", "-1e-3"),
        ("Lambeth", "Lambeth"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise_follows_owasp(value: str, written: str) -> None:
    assert neutralise(value) == written


def test_csv_numbers_stay_numbers_and_text_is_neutralised(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "area_name": [EVIL, "@x", "Camden", None],
            "change": [-5, 3, -1, 0],
            "rate": [-0.5, 1.25, float("nan"), 2.0],
            "label": pd.Series(["-1", "+x", "ok", "=a"], dtype="string"),
            EVIL: [1, 2, 3, 4],  # a column named from data (e.g. a user indicator)
        }
    )
    text = csv_text(frame)
    back = pd.read_csv(io.StringIO(text))
    assert back["area_name"].fillna("").tolist() == ["'" + EVIL, "'@x", "Camden", ""]
    assert back["change"].tolist() == [-5, 3, -1, 0]  # still numbers
    assert back["rate"].iloc[0] == -0.5
    assert back["label"].tolist() == ["-1", "'+x", "ok", "'=a"]  # "-1" is a plain number
    assert back.columns[-1] == "'" + EVIL
    assert not [c for c in _csv_cells(text) if c.startswith(("=", "+", "@", "\t", "\r"))]
    assert frame["area_name"].iloc[0] == EVIL  # the input is not modified
    p = write_csv(frame, tmp_path / "x.csv")
    assert p.read_text() == text
    write_csv_rows([["name", "n"], [EVIL, -3]], tmp_path / "rows.csv")
    assert (tmp_path / "rows.csv").read_text().splitlines()[
        1
    ] == '"\'=HYPERLINK(""http://x"",""y"")",-3'


def test_xlsx_strings_are_strings_numbers_numbers(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "name": [EVIL, "#N/A", "bad\x01char", "x" * (XLSX_MAX_CELL + 10)],
            "n": [1, -2, 3, 4],
            "when": pd.to_datetime(["2020-01-01", None, "2020-03-01", "2020-04-01"]),
            "ids": [[1, 2], [], ["a"], None],
        }
    )
    p = write_xlsx(tmp_path / "x.xlsx", {"t": frame, "empty": frame.iloc[:0], "note": "No data."})
    assert _formula_cells(p) == []
    wb = openpyxl.load_workbook(p)
    ws = wb["t"]
    assert [c.value for c in ws["A"]][:3] == ["name", EVIL, "#N/A"]
    assert ws["A3"].data_type == "s"  # not an error value
    assert ws["A4"].value == "bad\ufffdchar"
    assert len(ws["A5"].value) == XLSX_MAX_CELL and ws["A5"].value.endswith("[truncated]")
    assert [c.value for c in ws["B"]][1:] == [1, -2, 3, 4]
    assert ws["C3"].value is None  # missing is blank, never zero
    assert ws["D2"].value == "1; 2"
    assert wb["empty"]["A2"].value == "No data."
    assert wb["note"]["A2"].value == "No data."


# ---------------------------------------------------------------------------------------------
# end to end: a hostile ward name and file name


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A warehouse holding the shared borough file and a ward file whose 'Abbey' ward is
    renamed to a formula, loaded from a file whose name is a formula too."""
    tmp = tmp_path_factory.mktemp("formula")
    rows = list(csv.reader(io.StringIO(gzip.decompress(WARDS.read_bytes()).decode("utf-8-sig"))))
    renamed = 0
    for r in rows[1:]:
        if r[3] == "E05000026":
            r[2] = EVIL
            renamed += 1
    assert renamed
    ward_file = tmp / '=HYPERLINK("x","y") wards.csv'
    with ward_file.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    store = tmp / "w.duckdb"
    with vrkit.Warehouse(store) as wh:
        for f in (BOROUGHS, ward_file):
            assert wh.ingest(f).status == "loaded"
    return store, tmp


def test_report_xlsx_has_no_formula(hostile: tuple[Path, Path]) -> None:
    store, tmp = hostile
    with vrkit.Warehouse(store, read_only=True) as wh:
        rep = build_violent_crime_report(wh, year=2021, compare=2020, area="London")
    assert EVIL in set(rep.wards["area_name"])
    assert any(str(n).startswith("=") for n in rep.datasets["file_name"])
    (xlsx,) = write_report(rep, tmp / "report", ["xlsx"])
    assert _formula_cells(xlsx) == []
    # the house workbook layout: title, units and source rows above a labelled header
    head, *rows = read_rows(xlsx, "wards")
    names = {r[head.index(label("area_name"))] for r in rows}
    assert EVIL in names  # kept as the text it is
    head, *rows = read_rows(xlsx, "datasets")
    files = {r[head.index(label("file_name"))] for r in rows}
    assert '=HYPERLINK("x","y") wards.csv' in files


def test_alerts_csv_and_xlsx_have_no_formula(hostile: tuple[Path, Path]) -> None:
    store, tmp = hostile
    runner = CliRunner()
    args = ["--store", str(store), "alerts", "--measure", "violence_with_injury"]
    args += ["--geography", "ward", "--month", "2021-12", "--all"]
    res = runner.invoke(app, [*args, "--format", "csv"])
    assert res.exit_code == 0, res.output
    cells = _csv_cells(res.stdout)
    assert "'" + EVIL in cells
    assert not [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]
    assert not [
        c for c in cells if c.startswith("-") and not c.lstrip("-").replace(".", "").isdigit()
    ]
    out = tmp / "alerts.xlsx"
    res = runner.invoke(app, [*args, "--format", "xlsx", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert _formula_cells(out) == []
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert EVIL in {c.value for row in ws.iter_rows() for c in row}

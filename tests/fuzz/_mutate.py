"""Seeds and mutations for fuzzing the source adapters (issue #10, "Also build").

Seeds are real files of the shared data, cut to a few rows at test time (never committed), or
synthetic ISTV/ambulance files. Mutations work on three levels: the file's bytes (compressed or
not), its rows (lines) and its cells (CSV fields, or workbook cells).
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

#: cell values that broke or could break a parser, a validator or a spreadsheet
HOSTILE_CELLS = [
    "",
    " ",
    "-1",
    "0",
    "1e308",
    "-0.0",
    "NaN",
    "inf",
    "9" * 40,
    '=HYPERLINK("http://x","y")',
    "@SUM(1)",
    "+1",
    "\x00",
    "a\x00b",
    "\r",
    "\n",
    '"',
    "'",
    ",",
    "\ufeff",
    "é",
    "💥",
    "\u202e",
    "[/]",
    "\x1b[31m",
    "2020-13",
    "2020-02-30",
    "13/13/2020",
    "E01000001",
    "E05000026",
    "Zebedee Quixote",
    "x" * 5000,
    "x" * 140_000,
]
#: byte strings inserted by the byte-level mutations
HOSTILE_BYTES = [
    b"\x00",
    b"\r",
    b"\n",
    b"\r\n",
    b'"',
    b",",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\x80",
    b"x" * 300,
]


@dataclass(frozen=True)
class Seed:
    """A seed file: its adapter kind, its (decompressed) content and how it is stored."""

    kind: str
    name: str  # file name to write (keeps the pattern detection relies on)
    content: bytes  # CSV text, or a workbook's bytes
    gz: bool = False  # stored gzip-compressed
    workbook_sheet: str | None = None  # a workbook: the sheet the adapter reads


@st.composite
def mutated(draw: st.DrawFn, seed: Seed) -> bytes:
    """The bytes of a file made from ``seed`` by a few random mutations."""
    if seed.workbook_sheet is not None:
        return draw(_workbook_mutation(seed))
    data = seed.content
    for _ in range(draw(st.integers(1, 3))):
        level = draw(st.sampled_from(["cell", "cell", "row", "bytes"]))
        if level == "cell":
            data = _mutate_cell(draw, data)
        elif level == "row":
            data = _mutate_row(draw, data)
        else:
            data = _mutate_bytes(draw, data)
    if seed.gz:
        packed = gzip.compress(data, mtime=0)
        if draw(st.booleans()) and draw(st.integers(0, 9)) == 0:  # damage the gzip itself
            return _mutate_bytes(draw, packed)
        return packed
    return data


def _mutate_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    if not data:
        return draw(st.sampled_from(HOSTILE_BYTES))
    op = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate"]))
    i = draw(st.integers(0, len(data) - 1))
    if op == "flip":
        return data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
    if op == "insert":
        return data[:i] + draw(st.sampled_from(HOSTILE_BYTES)) + data[i:]
    if op == "delete":
        j = draw(st.integers(i, min(len(data), i + 64)))
        return data[:i] + data[j:]
    if op == "truncate":
        return data[:i]
    j = draw(st.integers(i, min(len(data), i + 400)))
    return data[:j] + data[i:j] + data[j:]


def _mutate_row(draw: st.DrawFn, data: bytes) -> bytes:
    lines = data.split(b"\n")
    if len(lines) < 2:
        return data
    op = draw(st.sampled_from(["drop", "duplicate", "swap", "insert", "blank"]))
    i = draw(st.integers(0, len(lines) - 1))
    if op == "drop":
        del lines[i]
    elif op == "duplicate":
        lines.insert(i, lines[i])
    elif op == "swap":
        j = draw(st.integers(0, len(lines) - 1))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "insert":
        lines.insert(i, draw(st.sampled_from(HOSTILE_CELLS)).encode("utf-8"))
    else:
        lines.insert(i, b"")
    return b"\n".join(lines)


def _cell_value(draw: st.DrawFn) -> str:
    return draw(
        st.one_of(
            st.sampled_from(HOSTILE_CELLS),
            st.text(max_size=20),
            st.integers(-(10**12), 10**12).map(str),
            st.floats(allow_nan=True).map(str),
        )
    )


def _mutate_cell(draw: st.DrawFn, data: bytes) -> bytes:
    text = data.decode("utf-8-sig", errors="replace")
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:  # e.g. a field over the csv module's limit from an earlier mutation
        return _mutate_row(draw, data)
    if not rows:
        return data
    r = draw(st.integers(0, len(rows) - 1))
    if not rows[r]:
        return data
    c = draw(st.integers(0, len(rows[r]) - 1))
    op = draw(st.sampled_from(["replace", "replace", "add", "remove"]))
    if op == "replace":
        rows[r][c] = _cell_value(draw)
    elif op == "add":
        rows[r].insert(c, _cell_value(draw))
    else:
        del rows[r][c]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


@st.composite
def _workbook_mutation(draw: st.DrawFn, seed: Seed) -> bytes:
    """Change a few cells of the seed workbook's sheet (or, rarely, its zip bytes)."""
    from openpyxl import load_workbook

    if draw(st.integers(0, 9)) == 0:
        return _mutate_bytes(draw, seed.content)
    wb = load_workbook(io.BytesIO(seed.content))
    ws = wb[seed.workbook_sheet]
    for _ in range(draw(st.integers(1, 3))):
        row = draw(st.integers(1, max(1, ws.max_row)))
        col = draw(st.integers(1, max(1, ws.max_column)))
        value: object = _cell_value(draw)
        if draw(st.booleans()):
            value = draw(st.one_of(st.none(), st.integers(-(10**6), 10**6), st.floats()))
        if isinstance(value, str):
            value = value.replace("\x00", "")  # openpyxl cannot write it (a reader never sees it)
            value = "".join(ch for ch in value if ch >= " " or ch in "\t\n\r")
        ws.cell(row=row, column=col, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def cut_workbook(path: Path, rows: int) -> bytes:
    """A copy of a workbook keeping the first ``rows`` rows of every sheet (values only)."""
    from openpyxl import Workbook, load_workbook

    src = load_workbook(path, read_only=True, data_only=True)
    out = Workbook(write_only=True)
    for name in src.sheetnames:
        ws = out.create_sheet(name)
        sheet = src[name]
        sheet.reset_dimensions()  # stored dimensions can be wrong (GLA State of London says 1 row)
        for k, row in enumerate(sheet.iter_rows(values_only=True)):
            if k >= rows:
                break
            ws.append(list(row))
    src.close()
    buf = io.BytesIO()
    out.save(buf)
    return buf.getvalue()


def is_zip(data: bytes) -> bool:
    return zipfile.is_zipfile(io.BytesIO(data))

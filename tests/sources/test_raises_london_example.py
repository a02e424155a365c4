"""Every reachable ``raise`` of the London VRU example reader (`vrkit programmes import`), fed
the shared example folder with one fault injected (issue #21; verdicts in
docs/testing-raises.md). The folder is copied to ``tmp_path`` at test time (never committed);
each case asserts the error class and that the message names the file, line, column and reason.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

import vrkit
from vrkit.errors import DataValidationError, SourceError, VrkitError
from vrkit.sources.delivery.london_example import FILES, read_london_example

EXAMPLE = vrkit.get_settings().data_dir / "london_vru_2020_21"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    assert EXAMPLE.is_dir(), f"the shared example folder is missing: {EXAMPLE} (VRKIT_DATA_DIR)"
    out = tmp_path / "london"
    out.mkdir()
    for f in FILES:
        shutil.copy(EXAMPLE / f, out / f)
    return out


def _cell(name: str, column: str, value: str) -> Callable[[Path], tuple[Path, int]]:
    """Set ``column`` of the first data row (not a published total) of ``name``; its line."""

    def edit(folder: Path) -> tuple[Path, int]:
        p = folder / name
        # csv.reader, not DictReader: two rows of the shared funding_history.csv have a note
        # with an unquoted comma (one cell more than the header)
        header, *rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8-sig"))))
        total = header.index("is_total") if "is_total" in header else None
        k = next(k for k, r in enumerate(rows) if total is None or r[total] != "true")
        rows[k][header.index(column)] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([header, *rows])
        p.write_text(buf.getvalue(), encoding="utf-8")
        return p, k + 2

    return edit


def _header(name: str) -> Callable[[Path], tuple[Path, int]]:
    def edit(folder: Path) -> tuple[Path, int]:
        p = folder / name
        lines = p.read_text(encoding="utf-8-sig").split("\n")
        lines[0] = "renamed" + lines[0][lines[0].index(",") :]
        p.write_text("\n".join(lines), encoding="utf-8")
        return p, 1

    return edit


CASES = [
    ("missing_column", _header("funding_2020_21.csv"), "column 'source' is missing or renamed",
     "source"),
    ("amount_gbp_m", _cell("funding_2020_21.csv", "amount_gbp_m", "lots"),
     "'lots' is not an amount of money", "amount_gbp_m"),
    ("history_amount", _cell("funding_history.csv", "amount_gbp_m", "lots"),
     "'lots' is not an amount of money", "amount_gbp_m"),
    ("amount_gbp", _cell("programmes.csv", "amount_gbp", "lots"),
     "'lots' is not an amount of money", "amount_gbp"),
    ("funding_source", _cell("funding_2020_21.csv", "source", "Lottery of Atlantis"),
     "unknown funding source", "source"),
    ("expenditure_theme", _cell("expenditure_by_theme_2020_21.csv", "theme", "astrology"),
     "unknown theme 'astrology'", "theme"),
    ("programme_theme", _cell("programmes.csv", "theme", "astrology"),
     "unknown theme 'astrology'", "theme"),
    ("snapshot_value", _cell("snapshot_2020_21.csv", "value", "lots"), "not a number", "value"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "reason", "column"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_example_file_refused_naming_file_line_column_and_reason(
    folder: Path, edit: Callable[[Path], tuple[Path, int]], reason: str, column: str
) -> None:
    path, line = edit(folder)
    with pytest.raises(DataValidationError) as info:
        read_london_example(folder)
    e = info.value
    assert (e.path, e.row, e.column) == (str(path), line, column), str(e)
    assert str(e).startswith(f"{path}, line {line}, column {column!r}: ") and reason in str(e)


def test_the_unedited_copy_reads(folder: Path) -> None:
    assert read_london_example(folder).programmes


def _check(folder: Path, error: type[VrkitError], named: Path, reason: str) -> None:
    with pytest.raises(error) as info:
        read_london_example(folder)
    assert type(info.value) is error
    assert str(info.value).startswith(f"{named}: ") and reason in str(info.value), str(info.value)


def test_folder_and_file_level_refusals(folder: Path) -> None:
    model = folder / "logic_model.json"
    text = model.read_text(encoding="utf-8")
    model.write_text("{}", encoding="utf-8")
    _check(folder, DataValidationError, model, "unexpected logic model structure (")
    model.write_text(text[: len(text) // 2], encoding="utf-8")
    _check(folder, SourceError, model, "is not valid JSON (")
    model.unlink()
    _check(
        folder, SourceError, folder, "not the London VRU example folder: logic_model.json missing"
    )


def test_a_table_that_is_not_utf8(folder: Path) -> None:
    p = folder / "snapshot_2020_21.csv"
    p.write_bytes(p.read_bytes() + b"x,\xff\xfe,1,,,,,\n")
    _check(folder, SourceError, p, "is not UTF-8 text")


def test_a_note_with_unquoted_commas_is_read_whole_and_said_so(folder: Path) -> None:
    """Lines 4 and 20 of the shared funding_history.csv write a note with unquoted commas; the
    reader kept only the text before the first comma, silently. Every table's last column is
    the free-text note, so the extra cells can only be the rest of it: joined back, with a note
    naming the line."""
    with (EXAMPLE / "funding_history.csv").open(encoding="utf-8-sig", newline="") as f:
        raw = list(csv.reader(f))
    header = raw[0]
    assert header[-1] == "note"
    cut = {i: row for i, row in enumerate(raw[1:], start=2) if len(row) > len(header)}
    assert sorted(cut) == [4, 20], "the shared file changed: this test reads its two cut notes"
    bundle = read_london_example(folder)
    whole = ",".join(cut[4][len(header) - 1 :])
    assert "its wording could be read as £7m in total over the two years" in whole
    assert whole in {r.note for r in bundle.budgets}
    for line in (4, 20):
        assert any(
            n.startswith(f"funding_history.csv line {line}: the note holds unquoted commas")
            for n in bundle.notes
        ), bundle.notes

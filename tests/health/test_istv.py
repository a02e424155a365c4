"""ISTV adapter: validation rules one by one, personal identifiers, revisions and bad files."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest

from vrkit.errors import DataValidationError, SourceError
from vrkit.sources import istv
from vrkit.sources.istv import read_istv
from vrkit.sources.registry import detect_adapter
from vrkit.store.health import ingest_istv, istv_records
from vrkit.store.warehouse import Warehouse
from vrkit.tasks.synth import write_submission

COLS = [
    "arrival_datetime",
    "assault_datetime",
    "assault_method",
    "assault_method_other_description",
    "assault_location_type",
    "assault_location_description",
]
GOOD = ["2023-01-03 22:15", "2023-01-03 21:40", "01", "", "03", "outside the Red Lion"]
FEB = ["2023-02-03 22:15", "2023-02-03 21:40", "04", "", "02", "Walworth Road"]
NHS_NUMBER = "943 476 5919"  # a valid Modulus 11 test number


def _rows(
    records: list[list[str]],
    *,
    site: str = "RJ122",
    start: str = "2023-01-01",
    end: str = "2023-01-31",
    count: int | None = None,
    extra_header: list[list[str]] | None = None,
    cols: list[str] | None = None,
) -> list[list[str]]:
    return [
        ["ISTV submission", "ISB 1594"],
        ["site_code", site],
        ["department", "Test ED"],
        ["reporting_period_start", start],
        ["reporting_period_end", end],
        ["record_count", str(len(records) if count is None else count)],
        *(extra_header or []),
        [],
        cols or COLS,
        *records,
    ]


def _write(tmp_path: Path, rows: list[list[str]], name: str = "RJ122_2023-01.csv") -> Path:
    return write_submission(tmp_path / name, rows)


def _one(tmp_path: Path, record: list[str]) -> istv.LoadReport:
    """Read a file with one good record and ``record``; return the report."""
    return read_istv(_write(tmp_path, _rows([GOOD, record]))).report


# ---------------------------------------------------------------------------------------------
# detection and whole-file rules


def test_detected_from_first_line_csv_and_xlsx(tmp_path: Path) -> None:
    assert detect_adapter(_write(tmp_path, _rows([GOOD]))).kind == "istv"
    x = _write(tmp_path, _rows([GOOD]), "RJ122_2023-01.xlsx")
    assert detect_adapter(x).kind == "istv"
    frames = read_istv(x)
    assert frames.report.rows_loaded == 1
    assert frames.tables["istv_submission"].column("file_format")[0].as_py() == "xlsx"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"count": 3}, "record_count in the header is 3 but the file holds 1"),
        ({"end": "2023-02-28"}, "one calendar month"),
        ({"start": "2023-01-02"}, "one calendar month"),
        ({"site": "R!"}, "ODS site code"),
        ({"start": "yesterday"}, "must be dates"),
    ],
)
def test_whole_file_rules(tmp_path: Path, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(DataValidationError, match=match):
        read_istv(_write(tmp_path, _rows([GOOD], **kwargs)))  # type: ignore[arg-type]


def test_missing_header_key_and_column(tmp_path: Path) -> None:
    rows = _rows([GOOD])
    del rows[5]  # record_count line
    with pytest.raises(DataValidationError, match="no 'record_count' line"):
        read_istv(_write(tmp_path, rows))
    cols = [*COLS[:2], "method", *COLS[3:]]
    with pytest.raises(DataValidationError, match="required ISTV column"):
        read_istv(_write(tmp_path, _rows([GOOD], cols=cols)))


def test_first_line_must_be_the_marker(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("something,else\n")
    with pytest.raises(SourceError, match="line 1 must start"):
        istv.parse_submission(p, [["something", "else"]])


def test_mostly_invalid_file_is_refused(tmp_path: Path) -> None:
    bad = [*GOOD[:2], "ZZ", *GOOD[3:]]
    with pytest.raises(DataValidationError, match="more than 50%"):
        read_istv(_write(tmp_path, _rows([GOOD, bad, bad])))
    with pytest.raises(DataValidationError, match="none of the 2 records"):
        read_istv(_write(tmp_path, _rows([bad, bad])))


def test_empty_month_is_a_valid_submission(tmp_path: Path) -> None:
    rows = _rows([], count=0)
    frames = read_istv(_write(tmp_path, rows[:-1]))  # no record header either
    assert frames.report.rows_loaded == 0
    assert frames.tables["istv_submission"].column("declared_records")[0].as_py() == 0


# ---------------------------------------------------------------------------------------------
# record rules, one by one


@pytest.mark.parametrize(
    ("record", "reason", "column"),
    [
        (["2023-01-03 22:15", "", "01", "", "03", "x"], istv.REASON_ASSAULT_DT, "assault_datetime"),
        (["2023-01-03 22:15", "3rd Jan", "01", "", "03", "x"], istv.REASON_ASSAULT_DT, None),
        (["soon", "2023-01-03 21:40", "01", "", "03", "x"], istv.REASON_ARRIVAL_DT, None),
        (["2023-01-03 22:15", "2023-01-03 21:40", "X7", "", "03", "x"], istv.REASON_METHOD, None),
        (["2023-01-03 22:15", "2023-01-03 21:40", "01", "", "42", "x"], istv.REASON_LOCATION, None),
        (["2023-02-03 22:15", "2023-02-03 21:40", "01", "", "03", "x"], istv.REASON_PERIOD, None),
        (["2023-01-03 22:15", "2023-01-03 23:40", "01", "", "03", "x"], istv.REASON_ORDER, None),
        (["2023-01-30 22:15", "2022-12-01 21:40", "01", "", "03", "x"], istv.REASON_GAP, None),
        (["", "2022-12-30 21:40", "01", "", "03", "x"], istv.REASON_PERIOD, "assault_datetime"),
        ([*GOOD, "surplus"], istv.REASON_FIELDS, None),
    ],
)
def test_record_rules(tmp_path: Path, record: list[str], reason: str, column: str | None) -> None:
    rep = _one(tmp_path, record)
    assert rep.rows_read == 2 and rep.rows_loaded == 1
    assert [r.reason for r in rep.rejections] == [reason]
    assert rep.rejections[0].row_number == 10  # header lines 1–6, blank 7, columns 8, rows 9–10
    if column:
        assert rep.rejections[0].column == column


def test_codes_are_normalised_and_arrival_is_optional(tmp_path: Path) -> None:
    rec = ["", "2023-01-05 01:00", "4", "", "2", "Walworth Road"]
    frames = read_istv(_write(tmp_path, _rows([GOOD, rec])))
    t = frames.tables["istv_attendance"].to_pandas()
    assert list(t["assault_method"]) == ["01", "04"]
    assert list(t["location_type"]) == ["03", "02"]
    assert t["arrival_at"].isna().tolist() == [False, True]


def test_coordinates_and_sector_are_checked(tmp_path: Path) -> None:
    cols = [*COLS, "postcode_sector", "easting", "northing"]
    ok = [*GOOD, "SE59", "531000", "177000"]
    bad_xy = [*GOOD, "", "abc", "177000"]
    bad_sector = [*GOOD, "SE", "", ""]
    frames = read_istv(_write(tmp_path, _rows([ok, ok, bad_xy, bad_sector], cols=cols)))
    reasons = [r.reason for r in frames.report.rejections]
    assert reasons == [istv.REASON_COORDS, istv.REASON_SECTOR]
    t = frames.tables["istv_attendance"].to_pandas()
    assert list(t["postcode_sector"]) == ["SE5 9", "SE5 9"]
    assert t["easting"].tolist() == [531000.0, 531000.0]


# ---------------------------------------------------------------------------------------------
# personal identifiers


def _pii_file(tmp_path: Path) -> Path:
    cols = [*COLS, "NHS Number", "Patient Surname", "notes"]
    recs = [
        [*GOOD[:5], "outside Red Lion SE5 9RS", NHS_NUMBER, "Smith", "x"],
        [*GOOD[:5], "bus stop, call 07700 900123", NHS_NUMBER, "Jones", "y"],
        [GOOD[0], GOOD[1], NHS_NUMBER, "", "03", "z", NHS_NUMBER, "Brown", "z"],
        [*GOOD[:5], "met Mr Hughes there, jo@example.org", "", "", ""],
    ]
    extra = [["contact", "jane.doe@nhs.net"]]
    return _write(tmp_path, _rows(recs, cols=cols, extra_header=extra))


def test_identifiers_are_stripped_and_reported_without_values(tmp_path: Path) -> None:
    frames = read_istv(_pii_file(tmp_path))
    rep = frames.report
    text = " ".join([*rep.exclusions, *rep.notes, rep.summary()])
    for secret in (NHS_NUMBER, "Smith", "jane.doe", "900123", "9RS", "Hughes", "jo@example"):
        assert secret not in text
        assert all(secret not in (r.raw or "") for r in rep.rejections)
    assert "column 7 (NHS number)" in text and "column 8 (name)" in text
    assert "header line" in text and "full postcode" in text and "phone" in text
    assert [r.reason for r in rep.rejections] == [istv.REASON_PII]
    assert rep.rejections[0].raw is None
    t = frames.tables["istv_attendance"].to_pandas()
    # no free text at all: the location is reduced to "names a place" (and a gazetteer match)
    assert tuple(t.columns) == istv.ATTENDANCE_COLUMNS
    assert not {"location_description", "assault_method_other"} & set(t.columns)
    assert t["location_text_usable"].tolist() == [True, True, True]
    assert "free text (assault method description and location description) not stored" in text
    assert "column 9 is not part of ISB 1594" in " ".join(rep.notes)  # harmless, ignored


def test_identifiers_never_reach_the_warehouse_file(tmp_path: Path) -> None:
    store = tmp_path / "w.duckdb"
    with Warehouse(store) as wh:
        wh.ingest(_pii_file(tmp_path))
        assert len(istv_records(wh)) == 3
        assert wh.query("SELECT count(*) AS n FROM rejection")["n"][0] == 1
    data = b"".join(p.read_bytes() for p in tmp_path.glob("w.duckdb*"))
    for secret in (NHS_NUMBER, "9434765919", "Smith", "jane.doe", "900123", "Hughes"):
        assert secret.encode() not in data


def test_identifier_in_message_is_withheld(tmp_path: Path) -> None:
    # a header line holding an identifier is dropped unread, so the site code is "missing"
    with pytest.raises(DataValidationError, match="no 'site_code' line") as exc:
        read_istv(_write(tmp_path, _rows([GOOD], site="9434765919")))
    assert "9434765919" not in str(exc.value)
    with pytest.raises(
        DataValidationError, match=r"line 2, column 'site_code': .*ODS site code"
    ) as exc:
        read_istv(_write(tmp_path, _rows([GOOD], site="ABC12345678901")))
    assert "ABC12345678901" not in str(exc.value) and "got" not in str(exc.value)


# ---------------------------------------------------------------------------------------------
# revisions in the warehouse


def test_resubmission_replaces_and_bad_resubmission_keeps_the_good_one(tmp_path: Path) -> None:
    first = _write(tmp_path, _rows([GOOD, GOOD, GOOD]), "a.csv")
    second = _write(tmp_path, _rows([GOOD, GOOD]), "b.csv")
    bad = _write(tmp_path, _rows([GOOD], count=5), "c.csv")  # truncated re-submission
    with Warehouse(":memory:") as wh:
        wh.ingest(first)
        feb = _rows([FEB] * 4, start="2023-02-01", end="2023-02-28")
        wh.ingest(_write(tmp_path, feb, "d.csv"))  # another month: untouched by January's
        assert len(istv_records(wh)) == 7
        wh.ingest(second)
        assert len(istv_records(wh)) == 6  # January now has 2, February 4
        with pytest.raises(DataValidationError, match="record_count"):
            wh.ingest(bad)
        got = wh.query("SELECT month, count(*) AS n FROM istv_attendance GROUP BY 1 ORDER BY 1")
        assert got["n"].tolist() == [2, 4]
        sub = wh.query("SELECT records_loaded FROM istv_submission ORDER BY month")
        assert sub["records_loaded"].tolist() == [2, 4]
        assert wh.ingest(second).status == "unchanged"


def test_empty_resubmission_leaves_no_stale_records(tmp_path: Path) -> None:
    with Warehouse(":memory:") as wh:
        wh.ingest(_write(tmp_path, _rows([GOOD, GOOD]), "a.csv"))
        wh.ingest(_write(tmp_path, _rows([], count=0)[:-1], "b.csv"))
        assert istv_records(wh).empty


def test_bulk_loader_matches_sequential_ingest(tmp_path: Path) -> None:
    files = [
        _write(tmp_path, _rows([GOOD, GOOD, GOOD]), "a.csv"),
        _write(tmp_path, _rows([FEB] * 4, start="2023-02-01", end="2023-02-28"), "b.csv"),
        _write(tmp_path, _rows([GOOD, GOOD]), "c.csv"),  # re-submits January
        _write(tmp_path, _rows([GOOD], count=5), "d.csv"),  # bad: must not replace January
    ]
    with Warehouse(":memory:") as seq, Warehouse(":memory:") as bulk:
        for f in files:
            with contextlib.suppress(DataValidationError):
                seq.ingest(f)
        res = ingest_istv(bulk, files)
        assert isinstance(res[3], DataValidationError)
        q = "SELECT site_code, month, count(*) AS n FROM istv_attendance GROUP BY 1, 2 ORDER BY 2"
        assert seq.query(q).equals(bulk.query(q))
        assert len(istv_records(bulk)) == 6
        assert bulk.query("SELECT count(*) AS n FROM dataset")["n"][0] == 3
        again = ingest_istv(bulk, files[:3])
        assert {r.status for r in again} == {"unchanged"}  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------
# issue #10: no free text, values or file names are kept from A&E files

IDENTIFIERS = {
    "untitled name": "Zebedee Quixote",
    "dotted NHS number": "401.023.2137",
    "date of birth (words)": "born 12 March 1985",
    "date of birth (ISO)": "dob 1985-03-12",
    "hospital number": "H1234567",
    "hospital number (trust prefix)": "RJ1-000777",
}


@pytest.mark.parametrize(("kind", "text"), list(IDENTIFIERS.items()))
def test_free_text_identifiers_never_reach_the_tables(tmp_path: Path, kind: str, text: str) -> None:
    recs = [
        [*GOOD[:3], f"bottle; {text}", "03", f"outside the Red Lion, {text}"],
        [*GOOD[:3], "", "03", text],
    ]
    frames = read_istv(_write(tmp_path, _rows(recs)))
    for table in frames.tables.values():
        cells = {str(v) for col in table.to_pydict().values() for v in col}
        assert not any(text in c or text.split()[-1] in c for c in cells), kind
    t = frames.tables["istv_attendance"].to_pandas()
    letters = len(re.findall("[a-z]", text.lower())) >= 3  # the usable-text rule
    assert t["location_text_usable"].tolist() == [True, letters]
    shown = " ".join([*frames.report.exclusions, *frames.report.notes])
    assert text not in shown


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("NHS 401.023.2137", "NHS number"),
        ("nhs no 401-023-2137", "NHS number"),
        ("born 12 March 1985", "date of birth"),
        ("DOB: 1985-03-12", "date of birth"),
        ("hosp no H1234567", "hospital number"),
        ("ref RJ1-000777", "hospital number"),
    ],
)
def test_identifier_kinds_are_reported_without_values(text: str, kind: str) -> None:
    from vrkit.sources import pii

    assert kind in pii.identifier_kinds(text)
    assert pii.may_contain(text)


def test_rejections_and_errors_keep_position_and_reason_only(tmp_path: Path) -> None:
    name_in_code = [GOOD[0], GOOD[1], "Zebedee Quixote", "", "03", "x"]
    rep = read_istv(_write(tmp_path, _rows([GOOD, GOOD, name_in_code]))).report
    assert [(r.row_number, r.column, r.raw) for r in rep.rejections] == [
        (11, "assault_method", None)
    ]
    for bad, match in (
        ({"start": "Zebedee Quixote"}, "must be dates"),
        ({"count": "Zebedee"}, "whole number"),
        ({"end": "1985-03-12"}, "one calendar month"),
    ):
        with pytest.raises(DataValidationError, match=match) as exc:
            read_istv(_write(tmp_path, _rows([GOOD], **bad)))  # type: ignore[arg-type]
        msg = str(exc.value)
        assert "Zebedee" not in msg and "1985" not in msg and "got" not in msg
        assert "RJ122_2023-01.csv" not in msg and msg.startswith("ISTV file sha256:")


def test_file_name_and_folder_are_never_stored_or_shown(tmp_path: Path) -> None:
    folder = tmp_path / "Zebedee Quixote"
    folder.mkdir()
    p = _write(folder, _rows([GOOD]), "Zebedee Quixote 401.023.2137.csv")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        (res,) = wh.ingest_many([p])
        assert not isinstance(res, Exception)
        assert re.fullmatch(r"ISTV RJ122 2023-01 sha256:[0-9a-f]{12}", res.name)
        listing = wh.datasets()
        assert listing["file_name"].tolist() == [res.name]
        assert listing["file_path"].tolist() == [res.name]
        assert res.name[-12:] == listing["sha256"].iloc[0][:12]  # finds the file: sha256sum
        again = wh.ingest_many([p])[0]
        assert not isinstance(again, Exception) and again.name.startswith("ISTV file sha256:")
        bad = _write(folder, _rows([GOOD], count=3), "Zebedee Quixote 2.csv")
        (err,) = wh.ingest_many([bad])
        assert isinstance(err, DataValidationError)
        assert "Zebedee" not in str(err) and err.file_label and "Zebedee" not in err.file_label
    data = b"".join(q.read_bytes() for q in tmp_path.glob("w.duckdb*"))
    assert b"Zebedee" not in data and b"401.023" not in data

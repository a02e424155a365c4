"""``read_police_uk_many`` (one DuckDB query for a batch of files) gives exactly what reading each
file with ``read_police_uk`` gives, and ``Warehouse.ingest_many`` keeps every per-file behaviour
when it loads groups of files."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest

import vrkit
from vrkit.errors import VrkitError
from vrkit.sources.police_uk import STREET_COLUMNS, read_police_uk, read_police_uk_many
from vrkit.sources.registry import expand_paths
from vrkit.store.warehouse import IngestResult, Warehouse

REPO_ROOT = Path(__file__).resolve().parents[2]
_d = vrkit.get_settings().data_dir
DATA = _d if _d.is_absolute() else (REPO_ROOT / _d).resolve()

HEADER = ",".join(STREET_COLUMNS)
CITY = "City of London Police"


def _row(crime_id: str, month: str = "2020-01", lon: str = "-0.09", lat: str = "51.51") -> str:
    return (
        f"{crime_id},{month},{CITY},{CITY},{lon},{lat},On or near X Street,E01000001,"
        "City of London 001A,Burglary,Under investigation,"
    )


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _one_by_one(paths: list[Path], kind: str) -> list[vrkit.SourceFrames | VrkitError]:
    out: list[vrkit.SourceFrames | VrkitError] = []
    for p in paths:
        try:
            out.append(read_police_uk(p, kind))
        except VrkitError as exc:
            out.append(exc)
    return out


def _assert_same(
    many: list[vrkit.SourceFrames | VrkitError], single: list[vrkit.SourceFrames | VrkitError]
) -> None:
    assert len(many) == len(single)
    for a, b in zip(many, single, strict=True):
        if isinstance(b, VrkitError):
            assert type(a) is type(b) and str(a) == str(b)
            continue
        assert not isinstance(a, VrkitError), str(a)
        assert a.report == b.report, b.report.path
        assert a.replace_key == b.replace_key
        (ta,) = a.tables.values()
        (tb,) = b.tables.values()
        assert isinstance(ta, pa.Table) and isinstance(tb, pa.Table)
        assert ta.schema == tb.schema and ta.equals(tb), b.report.path


@pytest.mark.parametrize(
    ("folder", "kind"),
    [
        ("police_uk_street", "police_uk_street"),  # City .csv and Leicestershire .csv.gz
        ("police_uk_outcomes", "police_uk_outcomes"),
        ("police_uk_stop_and_search", "police_uk_stop_search"),
    ],
)
def test_batch_equals_file_by_file_on_real_data(folder: str, kind: str) -> None:
    if not (DATA / folder).is_dir():
        pytest.fail(f"shared data missing: {DATA / folder} (set VRKIT_DATA_DIR)")
    paths = expand_paths([DATA / folder])
    assert len(paths) > 10
    many = read_police_uk_many(paths, kind)
    # real files are all readable: equal errors on both sides would hide a broken scan
    assert not [r for r in many if isinstance(r, VrkitError)]
    _assert_same(many, _one_by_one(paths, kind))


def _bad_files(tmp: Path) -> list[Path]:
    good = _row("a1")
    rules = [
        HEADER,
        good,
        _row("a2", month="2020-13"),
        _row("a3", month="2020-02"),
        _row("a4", lat="fifty-one"),
        good + ",extra",
        "",
        _row("a5"),
        good,
        _row("a6", lat="48.0"),
        f",2020-01,{CITY},{CITY},,,No Location,,,Anti-social behaviour,,",
        _row("a7").replace("Burglary", ""),
    ]
    files = [
        _write(tmp / "2020-01-city-of-london-street.csv", rules),
        # a quote left open to the end of the file (DuckDB may not record it in a batch scan)
        _write(
            tmp / "2020-02-x-street.csv",
            [
                HEADER,
                _row("b1", month="2020-02"),
                _row("b1", month="2020-02"),
                _row("b2", month="2020-01"),
                '"open,' + _row("z")[1:],
                _row("b3", month="2020-02"),
            ],
        ),
        _write(
            tmp / "nomonth-street.csv",
            [HEADER, _row("c1"), _row("c2", month="2019-12"), _row("c3", month="bad")],
        ),
        _write(tmp / "2020-04-header-only-street.csv", [HEADER]),
        _write(tmp / "2020-01-renamed-street.csv", [HEADER.replace("Crime type", "Offence")]),
        _write(tmp / "2020-01-bom-street.csv", ["\ufeff" + HEADER, _row("d1"), _row("d2")]),
    ]
    empty = tmp / "2020-03-empty-street.csv"
    empty.write_bytes(b"")
    data = gzip.compress(("\n".join([HEADER] + [_row(f"id{i}") for i in range(5000)])).encode())
    truncated = tmp / "2020-01-t-street.csv.gz"
    truncated.write_bytes(data[: len(data) // 2])
    gz = tmp / "2020-01-g-street.csv.gz"
    gz.write_bytes(gzip.compress(("\n".join(rules) + "\n").encode()))
    utf8 = tmp / "2020-01-utf8-street.csv"
    utf8.write_bytes(
        f"{HEADER}\n{_row('e1')}\n".encode() + b"e2,\xff\xfe" + _row("e2").encode()[3:] + b"\n"
    )
    zipped = tmp / "2020-01.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(files[0], "2020-01/2020-01-city-of-london-street.csv")
        zf.write(files[1], "2020-02/2020-02-x-street.csv")
    return [*files, empty, truncated, gz, utf8, zipped, files[0], tmp / "missing-street.csv"]


def test_batch_equals_file_by_file_on_bad_files(tmp_path: Path) -> None:
    paths = _bad_files(tmp_path)
    many = read_police_uk_many(paths, "police_uk_street")
    _assert_same(many, _one_by_one(paths, "police_uk_street"))
    open_quote = many[1]
    assert not isinstance(open_quote, VrkitError)
    assert [(r.row_number, r.reason) for r in open_quote.report.rejections] == [
        (3, "duplicate row (same Crime ID, identical content)"),
        (4, "Month differs from the file name's month"),
        (5, "malformed quoting"),
    ]
    assert open_quote.report.rows_read == 4
    errors = [type(r).__name__ for r in many if isinstance(r, VrkitError)]
    # header only, renamed column, empty, truncated gzip, missing file
    source, data = "SourceError", "DataValidationError"
    assert errors == [source, data, source, source, source]


def test_ingest_many_groups_keep_per_file_behaviour(tmp_path: Path) -> None:
    city = sorted((DATA / "police_uk_street" / "city-of-london").glob("2020-*/*.csv"))[:6]
    bad = tmp_path / "bad"
    bad.mkdir()
    renamed = _write(
        bad / "2020-05-renamed-street.csv", [HEADER.replace("Crime type", "Offence"), _row("r")]
    )
    rejects = _write(
        bad / "2019-01-x-street.csv", [HEADER, _row("x1", "2019-01"), _row("x2", "2019-02")]
    )
    paths = [*city[:3], renamed, rejects, city[0], *city[3:]]
    store = tmp_path / "w.duckdb"
    with Warehouse(store) as wh:
        wh.batch_rows = 2_000  # several groups
        seen: list[Path] = []
        results = wh.ingest_many(paths, on_file=lambda p, _r: seen.append(p))
        assert seen == paths
        assert isinstance(results[3], VrkitError) and "Crime type" in str(results[3])
        loaded = [r for r in results if isinstance(r, IngestResult) and r.status == "loaded"]
        assert len(loaded) == 7  # six City files and the file with a rejected row
        again = results[5]
        assert isinstance(again, IngestResult) and again.status == "unchanged"
        assert isinstance(results[0], IngestResult)
        assert again.dataset_id == results[0].dataset_id
        reg = wh.query("SELECT file_name, rows_read, rows_loaded, rows_rejected FROM dataset")
        assert len(reg) == 7
        x = reg[reg.file_name == "2019-01-x-street.csv"].iloc[0]
        assert (x.rows_read, x.rows_loaded, x.rows_rejected) == (2, 1, 1)
        (line,) = wh.con.execute("SELECT row_number FROM rejection").fetchone() or (0,)
        assert line == 3
        total = sum(r.report.rows_loaded for r in loaded if r.report)
        assert wh.con.execute("SELECT count(*) FROM crime_record").fetchone() == (total,)
        # a re-run changes nothing
        rerun = wh.ingest_many(paths)
        assert all(isinstance(r, IngestResult) and r.status == "unchanged" for r in rerun[:3])
        assert wh.con.execute("SELECT count(*) FROM crime_record").fetchone() == (total,)
    # the same files without read-ahead give the same warehouse
    with Warehouse(tmp_path / "seq.duckdb") as seq:
        seq.read_ahead = False
        seq.ingest_many(paths)
        assert seq.con.execute("SELECT count(*) FROM crime_record").fetchone() == (total,)


def test_ingest_many_stop_on_error_writes_nothing_after_the_error(tmp_path: Path) -> None:
    city = sorted((DATA / "police_uk_street" / "city-of-london").glob("2021-*/*.csv"))[:4]
    empty = tmp_path / "2021-01-empty-street.csv"
    empty.write_bytes(b"")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        results = wh.ingest_many([city[0], city[1], empty, city[2]], stop_on_error=True)
        assert [type(r).__name__ for r in results] == [
            "IngestResult",
            "IngestResult",
            "SourceError",
        ]
        assert wh.con.execute("SELECT count(*) FROM dataset").fetchone() == (2,)

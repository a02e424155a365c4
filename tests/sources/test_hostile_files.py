"""Hostile and damaged files (issue #10, medium and low): each a clear error naming the file and
the reason, or a load whose counts add up, and never a traceback that stops the other files.

Inputs are extracts of the shared data made at test time (never committed) with one fault
injected each.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import vrkit
from vrkit.errors import DataValidationError, SourceError, VrkitError
from vrkit.sources.police_uk import read_police_uk, read_police_uk_many
from vrkit.sources.registry import detect_adapter, read_file
from vrkit.store.warehouse import IngestResult, Warehouse
from vrkit.tasks.synth import write_submission

DATA = vrkit.get_settings().data_dir
CITY = DATA / "police_uk_street/city-of-london/2016-01/2016-01-city-of-london-street.csv"
CITY_ROWS = 446
BOROUGH = (
    DATA
    / "mps_crime_borough/2019-01_to_2020-12/MPS Borough Level Crime (most recent 24 months).csv"
)
POPULATION = DATA / "population/london-mid2019-pop.csv"


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def _street(tmp: Path, lines: list[bytes], folder: str = "x") -> Path:
    p = tmp / folder / CITY.name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(b"\n".join(lines))
    return p


def _adds_up(frames: vrkit.SourceFrames) -> None:
    rep = frames.report
    assert rep.rows_read == rep.rows_loaded + rep.rows_rejected


def _ingest(tmp: Path, files: list[Path]) -> list[IngestResult | VrkitError]:
    with Warehouse(tmp / "w.duckdb") as wh:
        return wh.ingest_many(files)


# ---------------------------------------------------------------------------------------------
# medium: errors that used to be tracebacks and stop the rest of a multi-file ingest


def _corrupt_zip(tmp: Path) -> Path:
    zp = tmp / "police.zip"
    with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("2016-01/2016-01-city-of-london-street.csv", CITY.read_bytes())
    data = bytearray(zp.read_bytes())
    data[200:260] = b"\xff" * 60  # inside the member's deflate stream
    zp.write_bytes(bytes(data))
    return zp


def test_corrupt_deflate_stream_in_a_zip(tmp_path: Path) -> None:
    zp = _corrupt_zip(tmp_path)
    with pytest.raises(SourceError, match=r"police\.zip \[2016-01/.*truncated or corrupt"):
        read_police_uk(zp)
    res = _ingest(tmp_path, [zp, BOROUGH])
    assert isinstance(res[0], SourceError) and "police.zip" in str(res[0])
    assert isinstance(res[1], IngestResult) and res[1].status == "loaded"


def test_corrupt_gzip_is_named_not_a_traceback(tmp_path: Path) -> None:
    gz = tmp_path / "2016-01-city-of-london-street.csv.gz"
    data = bytearray(gzip.compress(CITY.read_bytes()))
    data[100:140] = b"\x00" * 40
    gz.write_bytes(bytes(data))
    with pytest.raises(SourceError, match="truncated or corrupt"):
        read_police_uk(gz)


def test_cell_over_the_csv_field_limit(tmp_path: Path) -> None:
    lines = _lines(BOROUGH)
    cells = lines[4].split(b",")
    cells[1] = b"x" * 131_073
    lines[4] = b",".join(cells)
    p = tmp_path / BOROUGH.name
    p.write_bytes(b"\n".join(lines))
    with pytest.raises(DataValidationError, match=r"line 5: .*longer than 131,072 characters"):
        read_file(p)
    res = _ingest(tmp_path, [p, POPULATION])
    assert isinstance(res[0], DataValidationError) and "line 5" in str(res[0])
    assert isinstance(res[1], IngestResult) and res[1].status == "loaded"


def test_malformed_xlsx_xml(tmp_path: Path) -> None:
    good = write_submission(
        tmp_path / "src.xlsx",
        [
            ["ISTV submission", "ISB 1594"],
            ["site_code", "RJ122"],
            ["reporting_period_start", "2023-01-01"],
            ["reporting_period_end", "2023-01-31"],
            ["record_count", "0"],
        ],
    )
    bad = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data[:-20]  # the end cut off: not well-formed XML
            dst.writestr(info, data)
    assert detect_adapter(bad).kind == "istv"  # the sheet names are still readable
    # an A&E file: named by its label, never by its file name
    with pytest.raises(SourceError, match=r"ISTV file sha256:\w+: not a readable Excel workbook"):
        read_file(bad)
    res = _ingest(tmp_path, [bad, BOROUGH])
    assert isinstance(res[0], SourceError)
    assert isinstance(res[1], IngestResult) and res[1].status == "loaded"


@pytest.mark.parametrize("pattern", ["2016-0*", "2016-0?", "2016-0[12]"])
def test_glob_characters_in_a_name_read_only_that_file(tmp_path: Path, pattern: str) -> None:
    d = tmp_path / "g"
    d.mkdir()
    shutil.copy(CITY, d / CITY.name)
    feb = d / "2016-02-city-of-london-street.csv"
    feb.write_bytes(CITY.read_bytes().replace(b",2016-01,", b",2016-02,"))
    odd = d / f"{pattern}-city-of-london-street.csv"
    shutil.copy(CITY, odd)
    frames = read_police_uk(odd)
    assert frames.report.rows_read == CITY_ROWS and frames.report.rows_loaded == CITY_ROWS
    many = read_police_uk_many([odd, feb], "police_uk_street")
    assert [f.report.rows_loaded for f in many] == [CITY_ROWS, CITY_ROWS]  # type: ignore[union-attr]


def test_row_over_32_mib_is_rejected_and_counted(tmp_path: Path) -> None:
    lines = _lines(CITY)
    cells = lines[5].split(b",")
    cells[6] = b"x" * (40 << 20)  # unquoted: DuckDB used to skip it without a trace
    lines[5] = b",".join(cells)
    lines[9] = lines[9].replace(b",2016-01,", b",2016-13,")  # a later rejection keeps its line
    p = _street(tmp_path, lines)
    for frames in (read_police_uk(p), read_police_uk_many([p, CITY], "police_uk_street")[0]):
        assert isinstance(frames, vrkit.SourceFrames)
        rep = frames.report
        assert rep.rows_read == CITY_ROWS
        _adds_up(frames)
        assert [(r.row_number, r.reason) for r in rep.rejections] == [
            (6, "line too long"),
            (10, "Month is not YYYY-MM"),
        ]


def test_zip_with_the_same_force_and_month_twice(tmp_path: Path) -> None:
    same = tmp_path / "same.zip"
    with zipfile.ZipFile(same, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"2016-01/{CITY.name}", CITY.read_bytes())
        zf.writestr(f"copy/2016-01/{CITY.name}", CITY.read_bytes())
    frames = read_police_uk(same)
    assert frames.report.rows_loaded == CITY_ROWS  # read once, not twice
    _adds_up(frames)
    assert any("exact copy" in n for n in frames.report.notes)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        wh.ingest(same)
        assert wh.query("SELECT count(*) AS n FROM crime_record")["n"][0] == CITY_ROWS
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"2016-01/{CITY.name}", CITY.read_bytes())
        zf.writestr(f"old/2016-01/{CITY.name}", b"\n".join(_lines(CITY)[:-10]))
    with pytest.raises(DataValidationError, match="both hold City of London Police 2016-01"):
        read_police_uk(other)


# ---------------------------------------------------------------------------------------------
# low


def test_decompressed_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zp = tmp_path / "police.zip"
    with zipfile.ZipFile(zp, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"2016-01/{CITY.name}", CITY.read_bytes())
    gz = tmp_path / f"{CITY.name}.gz"
    gz.write_bytes(gzip.compress(CITY.read_bytes()))
    monkeypatch.setenv("VRKIT_MAX_DECOMPRESSED_SIZE", "64KiB")
    for p in (zp, gz):
        with pytest.raises(SourceError, match=r"decompresses to more than 64\.0 KiB") as exc:
            read_police_uk(p)
        assert "VRKIT_MAX_DECOMPRESSED_SIZE" in str(exc.value)
    big = tmp_path / "borough.csv.gz"
    big.write_bytes(gzip.compress(BOROUGH.read_bytes()))
    with pytest.raises(SourceError, match="decompresses to more than"):
        read_file(big)
    assert not list(Path(os.environ.get("TMPDIR", "/tmp")).glob("vrkit-police-uk-*/00000.csv"))


def test_decompression_bomb_ratio(tmp_path: Path) -> None:
    header = b"\n".join(_lines(CITY)[:2]) + b"\n"
    body = _lines(CITY)[2] + b"\n"
    bomb = tmp_path / f"{CITY.name}.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as fh:
        fh.write(header)
        for _ in range((70 << 20) // len(body)):
            fh.write(body)
    assert bomb.stat().st_size * 100 < 70 << 20
    with pytest.raises(SourceError, match="likely decompression bomb"):
        read_police_uk(bomb)


def test_nul_byte_early_and_late_named_with_its_line(tmp_path: Path) -> None:
    lines = _lines(BOROUGH)
    early, late = list(lines), list(lines)
    early[0] = early[0].replace(b"Borough", b"Bor\x00ough", 1)
    late[-3] = late[-3].replace(b",", b",\x00", 1)
    n = len(lines) - 2
    for name, data, line in (("early.csv", early, 1), ("late.csv", late, n)):
        p = tmp_path / name
        p.write_bytes(b"\n".join(data))
        with pytest.raises(SourceError, match=rf"line {line} holds a NUL byte"):
            read_file(p)
    # record-level: the row holding it is rejected with its line, the rest load
    street = _lines(CITY)
    street[1] = street[1].replace(b"City of London", b"City of\x00London", 1)
    street[-3] = street[-3].replace(b"Police", b"Pol\x00ice", 1)
    frames = read_police_uk(_street(tmp_path, street))
    assert [(r.row_number, r.reason) for r in frames.report.rejections] == [
        (2, "holds a NUL byte"),
        (CITY_ROWS, "holds a NUL byte"),
    ]
    _adds_up(frames)


def test_fifo_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match=r"not a regular file \(a FIFO"):
        detect_adapter(fifo)
    res = _ingest(tmp_path, [fifo, BOROUGH])
    assert isinstance(res[0], SourceError) and isinstance(res[1], IngestResult)


def test_unreadable_file_is_reported_as_unreadable(tmp_path: Path) -> None:
    """Checked in a process without the right to read any file (root reads any file, so root
    runs it with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped)."""
    p = tmp_path / BOROUGH.name
    shutil.copy(BOROUGH, p)
    p.chmod(0)
    code = (
        "import sys\nfrom vrkit.sources.registry import detect_adapter\n"
        "from vrkit.errors import SourceError\n"
        "try:\n    detect_adapter(sys.argv[1])\nexcept SourceError as e:\n    print(e)\n"
    )
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        assert setpriv, "util-linux setpriv is needed to drop root's read-anything right"
        prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search"]
    out = subprocess.run(
        [*prefix, sys.executable, "-c", code, str(p)], capture_output=True, text=True, check=True
    )
    assert "cannot read file: permission denied" in out.stdout, out.stdout + out.stderr
    assert "not a CSV" not in out.stdout


def test_lock_hint_only_on_lock_errors(tmp_path: Path) -> None:
    store = tmp_path / "w.duckdb"
    Warehouse(store).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(store)!r}); print('ok', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        with pytest.raises(vrkit.StorageError, match="still in use") as exc:
            Warehouse(store, wait=0.3, on_wait=lambda _m: None)
        assert exc.value.hint and "VRKIT_LOCK_WAIT" in exc.value.hint
    finally:
        holder.kill()
        holder.wait()
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database, just text\n" * 1000)
    with pytest.raises(vrkit.StorageError) as exc:
        Warehouse(junk)
    assert "another process" not in str(exc.value).lower()
    assert "not a DuckDB" in str(exc.value)  # the store check refuses it before DuckDB opens it

"""The canary test for A&E (ISTV) data (issue #10, severe 2).

Synthetic submissions are seeded with personal identifiers — canaries — in every field and in
their file names: an untitled name, an NHS number written with dots and without, dates of birth
("born 12 March 1985", "1985-03-12"), hospital numbers (H1234567, RJ1-000777). They are then
taken through everything a user does with health data, as separate processes: ``vrkit ingest``
(with a gazetteer), ``health ingest-istv``, ``datasets`` in every format, ``quality`` (all formats,
``--source istv``), ``health quality-istv``, ``health match-locations`` and the Violent Crime
Report (HTML, XLSX, JSON) whose linkage section uses the A&E counts. Files that must be refused
(a canary as the site code, a truncated export, a two-month period) produce errors on the way.

No canary may appear in: the warehouse (every text cell of every table, and the file's bytes
after a checkpoint), any output file (XLSX members decompressed), or anything printed on stdout
or stderr. A control string from a non-health file is checked to be findable the same ways, so
the scans can find what they look for.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

import vrkit
from vrkit.tasks.synth import write_submission

#: what must never be found (case-insensitive); pieces, so a wrapped or cut cell still matches
CANARIES = (
    "Zebedee",
    "Quixote",
    "401.023.2137",
    "4010232137",
    "401 023 2137",
    "12 March 1985",
    "1985-03-12",
    "H1234567",
    "RJ1-000777",
    "zq@example.org",
)
DATA = vrkit.get_settings().data_dir
BOROUGHS = (
    DATA
    / "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv"
)
CONTROL = "MPS Borough Level Crime (Historical)"  # the name of a (non-health) file loaded with them

COLS = [
    "arrival_datetime",
    "assault_datetime",
    "assault_method",
    "assault_method_other_description",
    "assault_location_type",
    "assault_location_description",
    "postcode_sector",
    "easting",
    "northing",
    "Hospital No",  # identifier columns a department should not send
    "notes",
]
PLACES = ["Red Lion", "Walworth Road", "Peckham Rye Station", "Camberwell Green"]
GAZETTEER = "name,easting,northing,area_code\n" + "\n".join(
    f"{p},{532000 + 100 * k},{177000 + 100 * k},E0100{k:04d}" for k, p in enumerate(PLACES)
)


def _record(month: str, day: int, k: int) -> list[str]:
    """A good record whose free text carries canaries (in memory only, then reduced)."""
    place = PLACES[k % len(PLACES)]
    texts = [
        f"outside the {place}, victim Zebedee Quixote",
        f"{place} - NHS 401.023.2137, born 12 March 1985",
        f"nr {place}; hosp no H1234567 / RJ1-000777, dob 1985-03-12",
        f"{place} zq@example.org 4010232137",
    ]
    return [
        f"{month}-{day:02d} 22:15",
        f"{month}-{day:02d} 21:40",
        "06",
        f"Zebedee Quixote's bottle, 401 023 2137 ({k})",
        "02",
        texts[k % len(texts)],
        "SE5 9",
        "",
        "",
        "H1234567",
        "Zebedee Quixote, born 12 March 1985",
    ]


def _coded_canaries(month: str) -> list[list[str]]:
    """Records with a canary in each coded, date or numeric field: each must be rejected."""
    good = _record(month, 5, 0)
    out = []
    for col, value in (
        (0, "Zebedee Quixote"),
        (1, "1985-03-12"),
        (2, "H1234567"),
        (4, "RJ1-000777"),
        (6, "RJ1-000777"),
        (7, "4010232137"),
    ):
        row = list(good)
        row[col] = value
        if col == 7:
            row[8] = "177000"
        out.append(row)
    return out


def _submission(
    site: str, month: str, records: list[list[str]], *, count: int | None = None, end: str = ""
) -> list[list[str]]:
    last = {"2020-01": "31", "2020-02": "29"}[month]
    return [
        ["ISTV submission", "ISB 1594"],
        ["site_code", site],
        ["department", "Zebedee Quixote ED"],  # free text: never stored
        ["reporting_period_start", f"{month}-01"],
        ["reporting_period_end", end or f"{month}-{last}"],
        ["record_count", str(len(records) if count is None else count)],
        ["submitted_on", "born 12 March 1985"],
        ["patient", "Zebedee Quixote 401.023.2137"],  # an identifier header line
        ["synthetic", "yes"],
        [],
        COLS,
        *records,
    ]


def _files(folder: Path) -> list[Path]:
    folder.mkdir()
    jan = [_record("2020-01", 1 + k % 28, k) for k in range(16)] + _coded_canaries("2020-01")
    feb = [_record("2020-02", 1 + k % 28, k) for k in range(12)] + _coded_canaries("2020-02")[:3]
    return [
        write_submission(
            folder / "Zebedee Quixote 401.023.2137 RJ1-000777.csv",
            _submission("RJ122", "2020-01", jan),
        ),
        write_submission(
            folder / "H1234567 born 1985-03-12 Quixote.xlsx", _submission("RJ122", "2020-02", feb)
        ),
        write_submission(
            folder / "zq@example.org 4010232137.csv", _submission("RYJ01", "2020-01", jan)
        ),
        # refused: a hospital number as the site code; a truncated export; a two-month period
        write_submission(
            folder / "Zebedee Quixote H1234567.csv", _submission("H1234567", "2020-01", jan)
        ),
        write_submission(
            folder / "Quixote 12 March 1985.csv", _submission("RJ122", "2020-02", feb, count=40)
        ),
        write_submission(
            folder / "Zebedee RJ1-000777.xlsx",
            _submission("RYJ01", "2020-02", feb, end="2020-03-31"),
        ),
    ]


def _vrkit(store: Path, env: dict[str, str], *args: str) -> str:
    run = subprocess.run(
        [sys.executable, "-c", "from vrkit.cli import main; main()", "--store", str(store), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    return run.stdout + "\n" + run.stderr


def _found(text: str) -> list[str]:
    flat = re.sub(r"\s+", " ", text).lower()
    return [c for c in CANARIES if c.lower() in flat]


def _file_texts(folder: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as zf:
                for n in zf.namelist():
                    out[f"{p.name}:{n}"] = zf.read(n)
        else:
            out[p.name] = p.read_bytes()
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    tmp = tmp_path_factory.mktemp("canary")
    files = _files(tmp / "ae")
    gazetteer = tmp / "gazetteer.csv"
    gazetteer.write_text(GAZETTEER + "\n")
    store = tmp / "w.duckdb"
    env = {
        **os.environ,
        "VRKIT_GAZETTEER": str(gazetteer),
        "COLUMNS": "400",  # no wrapping in Rich tables
        "PYTHONWARNINGS": "ignore",
    }
    printed: list[str] = []
    printed.append(_vrkit(store, env, "ingest", str(BOROUGHS), str(tmp / "ae")))
    printed.append(
        _vrkit(store, env, "health", "ingest-istv", str(tmp / "ae"), "--store", str(store))
    )
    printed.append(_vrkit(store, env, "ingest", "--force", *map(str, files)))
    for fmt in ("table", "json", "csv"):
        printed.append(_vrkit(store, env, "datasets", "--format", fmt))
    for fmt in ("table", "json"):
        printed.append(_vrkit(store, env, "quality", "--format", fmt))
        printed.append(_vrkit(store, env, "quality", "--source", "istv", "--format", fmt))
        printed.append(
            _vrkit(store, env, "health", "quality-istv", "--format", fmt, "--store", str(store))
        )
        printed.append(
            _vrkit(
                store,
                env,
                "health",
                "match-locations",
                "--gazetteer",
                str(gazetteer),
                "--format",
                fmt,
                "--store",
                str(store),
            )
        )
    out = tmp / "out"
    printed.append(
        _vrkit(
            store,
            env,
            "report",
            "violent-crime",
            "--year",
            "2020",
            "--area",
            "London",
            "--format",
            "html,xlsx,json",
            "--out",
            str(out),
        )
    )
    return {"store": store, "out": out, "printed": printed, "files": files, "tmp": tmp}


def test_files_hold_canaries_and_some_are_refused(run: dict[str, object]) -> None:
    """The inputs really are seeded (in names and content), and errors were printed."""
    files = run["files"]
    assert isinstance(files, list)
    for f in files:
        assert _found(f.name)
    assert all(_found(f.read_bytes().decode("latin-1")) for f in files if f.suffix == ".csv")
    printed = "\n".join(run["printed"])  # type: ignore[arg-type]
    assert printed.count("error") >= 3 and "refused" in printed
    assert "ISTV RJ122 2020-01 sha256:" in printed  # files are named by their label
    assert CONTROL in printed  # other files are named as usual


def test_no_canary_in_anything_printed(run: dict[str, object]) -> None:
    for text in run["printed"]:  # type: ignore[attr-defined]
        assert _found(text) == [], text[:2000]


def test_no_canary_in_any_warehouse_text(run: dict[str, object]) -> None:
    store = run["store"]
    con = duckdb.connect(str(store), read_only=True)
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        hits = []
        control = 0
        for t in tables:
            cols = [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()]
            for c in cols:
                values = con.execute(f'SELECT DISTINCT CAST("{c}" AS VARCHAR) FROM {t}').fetchall()
                for (v,) in values:
                    if v is None:
                        continue
                    control += CONTROL in v
                    if _found(v):
                        hits.append((t, c))
        assert hits == []
        assert control  # the scan sees stored text
        assert con.execute("SELECT count(*) FROM istv_attendance").fetchone()[0] > 0
        assert con.execute(
            "SELECT count(*) FROM rejection r JOIN dataset d USING (dataset_id) "
            "WHERE d.source_kind = 'istv' AND r.raw IS NOT NULL"
        ).fetchone() == (0,)
        matched = con.execute(
            "SELECT count(*) FROM istv_attendance WHERE place_confidence >= 0.85"
        ).fetchone()[0]
        assert matched > 0  # the locations were matched, from text that was then dropped
    finally:
        con.close()


def test_no_canary_in_the_warehouse_bytes(run: dict[str, object]) -> None:
    store = run["store"]
    assert isinstance(store, Path)
    vrkit.Warehouse(store).close()  # checkpoint: everything is in the data file
    data = b"".join(p.read_bytes() for p in store.parent.glob(store.name + "*"))
    assert CONTROL.encode() in data  # the scan can find stored text
    text = data.decode("latin-1")
    assert _found(text) == []


def test_no_canary_in_outputs(run: dict[str, object]) -> None:
    out = run["out"]
    assert isinstance(out, Path)
    texts = _file_texts(out)
    assert any(n.endswith(".html") for n in texts) and any(".xlsx:" in n for n in texts)
    html = next(v for n, v in texts.items() if n.endswith(".html")).decode()
    assert "A&amp;E" in html or "A&E" in html  # the linkage section used the A&E data
    assert any(CONTROL in v.decode("utf-8", "replace") for v in texts.values())
    for name, data in texts.items():
        assert _found(data.decode("utf-8", "replace")) == [], name

"""Ingest benchmark for data.police.uk street-level files (issue #3).

Generates synthetic street-format CSV files in the data.police.uk download layout
(``YYYY-MM/YYYY-MM-<force>-street.csv``, one file per force and month, realistic sizes and values,
~2.5 % "No Location" rows, anti-social behaviour rows without Crime ID), then ingests them

- with vrkit: ``Warehouse.ingest_many`` (what ``vrkit ingest`` runs) into a fresh warehouse file
  (detection, SHA-256, validation with per-row rejections, coordinates → British National Grid,
  one registered dataset per file, atomic loads of groups of about 1 M rows, the next group
  parsed while one is written);
- with DuckDB alone: one ``CREATE TABLE AS SELECT * FROM read_csv([...all files...])`` with
  types auto-detected, into a DuckDB file (no validation, no registry, no coordinates): the
  engine's own speed, the ceiling vrkit is measured against (target: vrkit ≥ 0.7 × this);
- with a naive baseline: ``pandas.read_csv`` + ``INSERT INTO`` a DuckDB file table, per file
  (target: vrkit ≥ 3 × this),

in the same run, and prints rows/s for each, the ratios and the projected time for 65 M rows.

Run::

    .venv/bin/python bench/ingest_street.py                 # 5,000,000 rows
    .venv/bin/python bench/ingest_street.py --rows 1000000  # quicker
    .venv/bin/python bench/ingest_street.py --keep          # reuse files in bench/_work/street
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

WORK = Path(__file__).resolve().parent / "_work"
NATIONAL_ROWS = 65_000_000

#: (force slug, "Falls within" name, relative size, centre lon, centre lat) — 43 E&W forces,
#: sizes roughly proportional to their street-level volumes.
FORCES: list[tuple[str, str, float, float, float]] = [
    ("avon-and-somerset", "Avon and Somerset Constabulary", 2.5, -2.6, 51.4),
    ("bedfordshire", "Bedfordshire Police", 0.9, -0.45, 52.1),
    ("btp", "British Transport Police", 1.0, -0.13, 51.52),
    ("cambridgeshire", "Cambridgeshire Constabulary", 1.1, 0.1, 52.3),
    ("cheshire", "Cheshire Constabulary", 1.5, -2.6, 53.2),
    ("city-of-london", "City of London Police", 0.1, -0.09, 51.515),
    ("cleveland", "Cleveland Police", 1.2, -1.2, 54.55),
    ("cumbria", "Cumbria Constabulary", 0.6, -2.9, 54.6),
    ("derbyshire", "Derbyshire Constabulary", 1.5, -1.5, 53.0),
    ("devon-and-cornwall", "Devon & Cornwall Police", 2.0, -4.0, 50.6),
    ("dorset", "Dorset Police", 0.8, -2.2, 50.75),
    ("durham", "Durham Constabulary", 1.0, -1.6, 54.7),
    ("dyfed-powys", "Dyfed-Powys Police", 0.6, -4.0, 52.0),
    ("essex", "Essex Police", 2.5, 0.5, 51.75),
    ("gloucestershire", "Gloucestershire Constabulary", 0.7, -2.2, 51.85),
    ("greater-manchester", "Greater Manchester Police", 5.5, -2.25, 53.48),
    ("gwent", "Gwent Police", 0.8, -3.0, 51.65),
    ("hampshire", "Hampshire Constabulary", 2.5, -1.3, 51.0),
    ("hertfordshire", "Hertfordshire Constabulary", 1.5, -0.25, 51.8),
    ("humberside", "Humberside Police", 1.6, -0.4, 53.75),
    ("kent", "Kent Police", 2.8, 0.9, 51.25),
    ("lancashire", "Lancashire Constabulary", 2.3, -2.7, 53.8),
    ("leicestershire", "Leicestershire Police", 1.4, -1.13, 52.63),
    ("lincolnshire", "Lincolnshire Police", 0.9, -0.5, 53.1),
    ("merseyside", "Merseyside Police", 2.3, -2.95, 53.4),
    ("metropolitan", "Metropolitan Police Service", 13.0, -0.12, 51.5),
    ("norfolk", "Norfolk Constabulary", 1.0, 1.0, 52.65),
    ("north-wales", "North Wales Police", 0.9, -3.5, 53.1),
    ("north-yorkshire", "North Yorkshire Police", 0.9, -1.3, 54.1),
    ("northamptonshire", "Northamptonshire Police", 1.0, -0.9, 52.25),
    ("northumbria", "Northumbria Police", 2.3, -1.6, 55.0),
    ("nottinghamshire", "Nottinghamshire Police", 1.6, -1.15, 52.95),
    ("south-wales", "South Wales Police", 2.0, -3.4, 51.55),
    ("south-yorkshire", "South Yorkshire Police", 2.5, -1.4, 53.45),
    ("staffordshire", "Staffordshire Police", 1.4, -2.0, 52.85),
    ("suffolk", "Suffolk Constabulary", 0.8, 1.1, 52.2),
    ("surrey", "Surrey Police", 1.1, -0.4, 51.3),
    ("sussex", "Sussex Police", 1.9, -0.2, 50.9),
    ("thames-valley", "Thames Valley Police", 2.8, -1.0, 51.6),
    ("warwickshire", "Warwickshire Police", 0.6, -1.55, 52.3),
    ("west-mercia", "West Mercia Police", 1.5, -2.6, 52.3),
    ("west-midlands", "West Midlands Police", 4.5, -1.9, 52.48),
    ("west-yorkshire", "West Yorkshire Police", 4.5, -1.6, 53.8),
]

CRIME_TYPES = [
    ("Anti-social behaviour", 0.24),
    ("Violence and sexual offences", 0.32),
    ("Public order", 0.08),
    ("Criminal damage and arson", 0.08),
    ("Other theft", 0.06),
    ("Shoplifting", 0.06),
    ("Vehicle crime", 0.05),
    ("Burglary", 0.04),
    ("Drugs", 0.025),
    ("Other crime", 0.015),
    ("Theft from the person", 0.01),
    ("Robbery", 0.01),
    ("Bicycle theft", 0.01),
    ("Possession of weapons", 0.01),
]

OUTCOMES = [
    "Investigation complete; no suspect identified",
    "Unable to prosecute suspect",
    "Under investigation",
    "Status update unavailable",
    "Awaiting court outcome",
    "Offender given a caution",
    "Local resolution",
    "Action to be taken by another organisation",
    "Further investigation is not in the public interest",
    "Court result unavailable",
]

STREETS = [
    "High Street",
    "Station Road",
    "Church Lane",
    "Park Avenue",
    "Victoria Road",
    "Supermarket",
    "Parking Area",
    "Petrol Station",
    "Nightclub",
    "Shopping Area",
    "Sports/Recreation Area",
    "Conference/Exhibition Centre",
    "Hospital",
    "Theatre/Concert Hall",
]


def _sql_list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def generate(out: Path, rows: int, first_year: int = 2019) -> list[Path]:
    """Write synthetic street files under ``out``; return them in the order police.uk lists them.

    The number of months is chosen so that files have realistic sizes (a national year is about
    6.5 M rows over 43 forces), e.g. 5 M rows → 9 months × 43 forces.
    """
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    months = max(1, round(rows / 6_500_000 * 12))
    weights = [f[2] for f in FORCES]
    total_w = sum(weights)
    con = duckdb.connect(config={"threads": 2})
    con.execute(
        "CREATE TABLE force AS SELECT * FROM (VALUES "
        + ", ".join(
            f"({i}, '{slug}', '{name}', {w / total_w}, {lon}, {lat})"
            for i, (slug, name, w, lon, lat) in enumerate(FORCES)
        )
        + ") t(fid, slug, name, share, lon, lat)"
    )
    ct = _sql_list([c for c, _ in CRIME_TYPES])
    cw = [w for _, w in CRIME_TYPES]
    cum = [sum(cw[: i + 1]) / sum(cw) for i in range(len(cw))]
    case_ct = (
        "CASE "
        + " ".join(f"WHEN u < {c} THEN {i + 1}" for i, c in enumerate(cum[:-1]))
        + f" ELSE {len(cum)} END"
    )
    per_month = rows // months
    con.execute(
        f"""
        CREATE TABLE rec AS
        WITH base AS (
            SELECT i, (i % {months}) AS m, hash(i, 1) AS h1, hash(i, 2) AS h2, hash(i, 3) AS h3
            FROM range({per_month * months}) t(i)
        ), forced AS (
            SELECT b.*, f.* FROM base b
            ASOF JOIN (SELECT *, sum(share) OVER (ORDER BY fid) - share AS lo FROM force) f
              ON (b.h1 % 1000000) / 1e6 >= f.lo
        )
        SELECT
            m, slug,
            strftime(DATE '{first_year}-01-01' + to_months(m), '%Y-%m') AS "Month",
            (h2 % 1000) / 1000.0 AS u,
            (h3 % 3000)::BIGINT AS pt,
            h1, h3,
            name, lon AS clon, lat AS clat, fid
        FROM forced
        """
    )
    con.execute(
        f"""
        CREATE TABLE street AS SELECT
            m, slug,
            CASE WHEN ct = 1 THEN NULL ELSE md5(h1::VARCHAR) || md5(h3::VARCHAR) END AS "Crime ID",
            "Month",
            name AS "Reported by",
            name AS "Falls within",
            CASE WHEN noloc THEN NULL ELSE printf('%.6f', clon + ((hash(fid, pt, 7) % 20000)::BIGINT - 10000) / 40000.0) END AS "Longitude",
            CASE WHEN noloc THEN NULL ELSE printf('%.6f', clat + ((hash(fid, pt, 8) % 20000)::BIGINT - 10000) / 60000.0) END AS "Latitude",
            CASE WHEN noloc THEN 'No Location' ELSE 'On or near ' || {_sql_list(STREETS)}[1 + pt % {len(STREETS)}] END AS "Location",
            CASE WHEN noloc THEN NULL ELSE printf('E01%06d', 1000 + fid * 800 + pt % 800) END AS "LSOA code",
            CASE WHEN noloc THEN NULL ELSE printf('Area %02d %03d%s', fid, (pt % 800) // 4, chr(65 + (pt % 4)::INT)) END AS "LSOA name",
            {ct}[ct] AS "Crime type",
            CASE WHEN ct = 1 THEN NULL ELSE {_sql_list(OUTCOMES)}[(1 + (h3 // 7) % {len(OUTCOMES)})::BIGINT] END AS "Last outcome category",
            NULL::VARCHAR AS "Context"
        FROM (SELECT *, {case_ct.replace("u <", "u <")} AS ct, (h3 // 3) % 1000 < 25 AS noloc FROM rec)
        """
    )
    files: list[Path] = []
    parts = con.execute(
        'SELECT DISTINCT m, slug, "Month" FROM street ORDER BY "Month", slug'
    ).fetchall()
    con.execute(
        f"COPY (SELECT * FROM street ORDER BY m, slug) TO '{out / 'parts'}' "
        "(FORMAT CSV, HEADER, PARTITION_BY (m, slug), WRITE_PARTITION_COLUMNS false, "
        "OVERWRITE_OR_IGNORE)"
    )
    for m, slug, month in parts:
        src = list((out / "parts" / f"m={m}" / f"slug={slug}").glob("*.csv"))
        dest = out / month / f"{month}-{slug}-street.csv"
        dest.parent.mkdir(exist_ok=True)
        if len(src) == 1:
            src[0].rename(dest)
        else:  # several writer threads: concatenate, one header
            with dest.open("wb") as fh:
                for k, s in enumerate(sorted(src)):
                    data = s.read_bytes()
                    fh.write(data if k == 0 else data.split(b"\n", 1)[1])
        files.append(dest)
    shutil.rmtree(out / "parts")
    con.close()
    return files


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def run_vrkit(
    files: list[Path], store: Path, console: Console, *, native: bool = True
) -> tuple[float, int]:
    """Ingest every file with ``Warehouse.ingest_many`` (as ``vrkit ingest`` does: groups of
    files scanned by one query and written in one transaction each) into a fresh warehouse;
    (seconds, rows). ``native=False`` measures the Python reader path (Arrow hand-over)."""
    from vrkit import Warehouse

    for p in (store, Path(str(store) + ".wal")):
        p.unlink(missing_ok=True)
    with _progress(console) as prog:
        task = prog.add_task("vrkit ingest", total=len(files))
        t0 = time.perf_counter()
        with Warehouse(store) as wh:
            wh.native_street = native
            results = wh.ingest_many(files, on_file=lambda _p, _r: prog.advance(task))
            failed = [r for r in results if isinstance(r, Exception)]
            if failed:
                raise SystemExit(f"vrkit failed on {len(failed)} file(s): {failed[0]}")
            wh.con.execute("CHECKPOINT")
            elapsed = time.perf_counter() - t0
            (n,) = wh.con.execute("SELECT count(*) FROM crime_record").fetchone() or (0,)
    return elapsed, int(n)


def run_duckdb(files: list[Path], store: Path, console: Console) -> tuple[float, int]:
    """DuckDB alone: one typed ``CREATE TABLE AS … read_csv`` of every file into a file table."""
    for p in (store, Path(str(store) + ".wal")):
        p.unlink(missing_ok=True)
    with console.status("duckdb CREATE TABLE AS read_csv…"):
        t0 = time.perf_counter()
        con = duckdb.connect(str(store), config={"threads": 2})
        listing = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        con.execute(f"CREATE TABLE street AS SELECT * FROM read_csv([{listing}])")
        con.execute("CHECKPOINT")
        elapsed = time.perf_counter() - t0
        (n,) = con.execute("SELECT count(*) FROM street").fetchone() or (0,)
        con.close()
    return elapsed, int(n)


def run_naive(files: list[Path], store: Path, console: Console) -> tuple[float, int]:
    """The naive baseline: ``pandas.read_csv`` + ``INSERT`` into a DuckDB table, per file."""
    for p in (store, Path(str(store) + ".wal")):
        p.unlink(missing_ok=True)
    with _progress(console) as prog:
        task = prog.add_task("naive pandas", total=len(files))
        t0 = time.perf_counter()
        con = duckdb.connect(str(store), config={"threads": 2})
        first = True
        for f in files:
            frame = pd.read_csv(f)
            con.register("frame", frame)
            if first:
                con.execute("CREATE TABLE street AS SELECT * FROM frame")
                first = False
            else:
                con.execute("INSERT INTO street SELECT * FROM frame")
            con.unregister("frame")
            prog.advance(task)
        con.execute("CHECKPOINT")
        elapsed = time.perf_counter() - t0
        (n,) = con.execute("SELECT count(*) FROM street").fetchone() or (0,)
        con.close()
    return elapsed, int(n)


def main(argv: list[str] | None = None) -> int:
    """Generate, ingest both ways, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--rows", type=int, default=5_000_000, help="synthetic rows (default 5,000,000)"
    )
    ap.add_argument("--work", type=Path, default=WORK, help="scratch folder (default bench/_work)")
    ap.add_argument("--keep", action="store_true", help="reuse generated files if present")
    ap.add_argument("--skip-naive", action="store_true", help="skip the naive pandas baseline")
    ap.add_argument(
        "--python-path",
        action="store_true",
        help="also measure vrkit's Python reader path (the write path before the native one)",
    )
    args = ap.parse_args(argv)
    console = Console()
    console.print(f"load average at start: {_loadavg()}")
    src = args.work / "street"
    if args.keep and src.exists():
        files = sorted(src.glob("*/*-street.csv"))
    else:
        t0 = time.perf_counter()
        with console.status(f"generating {args.rows:,} synthetic rows…"):
            files = generate(src, args.rows)
        console.print(f"generated {len(files):,} files in {time.perf_counter() - t0:.1f} s")
    size = sum(f.stat().st_size for f in files)
    console.print(f"input: {len(files):,} files, {size / 1e6:,.0f} MB")

    t_v, n_v = run_vrkit(files, args.work / "vrkit.duckdb", console)
    rate_v = n_v / t_v
    console.print(f"vrkit   : {n_v:,} rows in {t_v:.2f} s = {rate_v / 1e6:.2f} M rows/s")
    t_d, n_d = run_duckdb(files, args.work / "duckdb.duckdb", console)
    rate_d = n_d / t_d
    console.print(f"duckdb  : {n_d:,} rows in {t_d:.2f} s = {rate_d / 1e6:.2f} M rows/s")
    console.print(
        f"ratio   : vrkit is {rate_v / rate_d:.2f}× DuckDB's own CREATE TABLE AS read_csv "
        "(target ≥ 0.7×)"
    )
    if not args.skip_naive:
        t_n, n_n = run_naive(files, args.work / "naive.duckdb", console)
        rate_n = n_n / t_n
        console.print(f"naive   : {n_n:,} rows in {t_n:.2f} s = {rate_n / 1e6:.2f} M rows/s")
        console.print(f"ratio   : vrkit is {rate_v / rate_n:.2f}× the naive baseline (target ≥ 3×)")
    if args.python_path:
        t_p, n_p = run_vrkit(files, args.work / "vrkit-python.duckdb", console, native=False)
        rate_p = n_p / t_p
        console.print(
            f"python  : {n_p:,} rows in {t_p:.2f} s = {rate_p / 1e6:.2f} M rows/s "
            f"(vrkit's Python reader path; native is {rate_v / rate_p:.2f}× it)"
        )
    console.print(
        f"projected: {NATIONAL_ROWS / 1e6:.0f} M rows (10 years, 43 forces) in "
        f"{NATIONAL_ROWS / rate_v:.0f} s with vrkit"
    )
    console.print(f"load average at end: {_loadavg()}")
    return 0


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())

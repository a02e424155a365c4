"""Trend-query benchmark: monthly series for one LSOA and one borough over 10 years (issue #3).

Builds a synthetic warehouse (a real vrkit ``Warehouse`` file) whose ``crime_record`` table is
filled directly with DuckDB SQL in the order ingest produces (month, then force), then times

- the monthly count of "Violence and sexual offences" for one LSOA, 10 years;
- the same for one borough (its LSOAs, from a synthetic LSOA → borough lookup in ``area_link``),

through ``vrkit.store.queries.record_monthly`` (which the warehouse's ART index on
``lsoa_code`` serves) and through a plain scan with every condition in WHERE (the baseline), and
prints the median of several runs.

Run::

    .venv/bin/python bench/query_trend.py                 # 60,000,000 rows
    .venv/bin/python bench/query_trend.py --rows 20000000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from rich.console import Console

WORK = Path(__file__).resolve().parent / "_work"
N_LSOA = 34_753  # LSOAs (2011) in England and Wales
N_BOROUGH = 331  # local authorities
MONTHS = 120

LSOA_SQL = """
    SELECT month, count(*) AS n FROM crime_record
    WHERE lsoa_code = $code AND crime_type = 'Violence and sexual offences'
      AND month BETWEEN DATE '2012-01-01' AND DATE '2021-12-01'
    GROUP BY month ORDER BY month
"""
BOROUGH_SQL = """
    SELECT month, count(*) AS n FROM crime_record
    WHERE lsoa_code IN (SELECT child_code FROM area_link
                        WHERE parent_code = $code AND link_type = 'lsoa_lad')
      AND crime_type = 'Violence and sexual offences'
      AND month BETWEEN DATE '2012-01-01' AND DATE '2021-12-01'
    GROUP BY month ORDER BY month
"""


def build(path: Path, rows: int, console: Console) -> None:
    """Create the warehouse file with ``rows`` synthetic street records over 120 months."""
    from vrkit import Warehouse

    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    with Warehouse(path) as wh, console.status(f"building {rows:,} crime_record rows…"):
        con = wh.con
        con.execute(
            f"""INSERT INTO area_link
                SELECT NULL, printf('E01%06d', i), printf('E09%06d', i * {N_BOROUGH} // {N_LSOA}),
                       'lsoa_lad', 1.0
                FROM range({N_LSOA}) t(i)"""
        )
        # ONS numbers LSOAs in blocks by local authority, so a borough's LSOA codes are
        # contiguous (as above). Rows arrive as ingest writes them: batches of 1 M rows in month
        # order, each batch sorted by LSOA code (Warehouse CLUSTER_KEYS).
        batch = 1_000_000
        for start in range(0, rows, batch):
            stop = min(rows, start + batch)
            con.execute(
                f"""INSERT INTO crime_record
                SELECT 1, CASE WHEN h % 4 = 0 THEN NULL ELSE md5(i::VARCHAR) END,
                       DATE '2012-01-01' + to_months((i * {MONTHS} // {rows})::INT),
                       'Force ' || (lsoa % 43), 'Force ' || (lsoa % 43),
                       -1.5 + (h % 1000) / 1000.0, 52.0 + (h % 997) / 1000.0,
                       400000 + (h % 1000) * 100.0, 300000 + (h % 997) * 100.0,
                       'On or near High Street', printf('E01%06d', lsoa), 'Area ' || lsoa,
                       CASE WHEN h % 3 = 0 THEN 'Violence and sexual offences'
                            WHEN h % 3 = 1 THEN 'Anti-social behaviour' ELSE 'Burglary' END,
                       NULL, NULL
                FROM (SELECT i, hash(i) AS h,
                             hash(i, 7) % {N_LSOA} AS lsoa
                      FROM range({start}, {stop}) t(i))
                ORDER BY 11"""
            )
        con.execute("CHECKPOINT")
    console.print(f"built {rows:,} rows in {time.perf_counter() - t0:.1f} s → {path}")


def timed(fn: Callable[[], pd.DataFrame], runs: int) -> tuple[float, int]:
    """Median milliseconds of ``runs`` calls (after one warm-up) and the series length."""
    times = []
    n = 0
    for k in range(runs + 1):
        t0 = time.perf_counter()
        out = fn()
        if k:
            times.append((time.perf_counter() - t0) * 1000)
        n = len(out)
    return statistics.median(times), n


def main(argv: list[str] | None = None) -> int:
    """Build (unless --keep), then time vrkit's series queries against a plain scan."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=60_000_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="reuse bench/_work/trend.duckdb")
    args = ap.parse_args(argv)
    console = Console()
    path = WORK / "trend.duckdb"
    WORK.mkdir(exist_ok=True)
    if not (args.keep and path.exists()):
        build(path, args.rows, console)

    from vrkit import Warehouse
    from vrkit.store import queries

    vso = "Violence and sexual offences"
    with Warehouse(path) as wh:
        con = wh.con
        (n,) = con.execute("SELECT count(*) FROM crime_record").fetchone() or (0,)
        console.print(f"crime_record rows: {n:,}; threads: {wh.settings.threads}")
        lsoa = "E01012345"
        borough = con.execute(
            "SELECT parent_code FROM area_link WHERE child_code = ?", [lsoa]
        ).fetchone()[0]  # type: ignore[index]
        rows = []
        ms, months = timed(lambda: wh.query(LSOA_SQL, {"code": lsoa}), args.runs)
        rows.append(("baseline: plain WHERE scan", f"LSOA {lsoa}", ms, months))
        ms, months = timed(lambda: queries.record_monthly(wh, vso, lsoa_code=lsoa), args.runs)
        rows.append(("vrkit queries.record_monthly", f"LSOA {lsoa}", ms, months))
        ms, months = timed(lambda: wh.query(BOROUGH_SQL, {"code": borough}), args.runs)
        rows.append(("baseline: plain WHERE scan", f"borough {borough}", ms, months))
        ms, months = timed(
            lambda: queries.record_monthly(wh, vso, lad_code=borough, link_type="lsoa_lad"),
            args.runs,
        )
        rows.append(("vrkit queries.record_monthly", f"borough {borough}", ms, months))
        for label, what, ms, months in rows:
            console.print(f"{label:30s} {what:20s} median {ms:7.1f} ms ({months} months)")
        console.print(
            f"ratio (baseline / vrkit): LSOA {rows[0][2] / rows[1][2]:.1f}x, "
            f"borough {rows[2][2] / rows[3][2]:.1f}x; target < 100 ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The native write path for data.police.uk street files (issue #18, "ingest at the engine's
speed").

The scan is planned by :func:`vrkit.sources.police_uk.plan_street_scan` (sources parse and
validate; they never touch the store) and run here, in the warehouse's own DuckDB connection:
one ``read_csv`` of a group's plain street files, every rule evaluated as SQL, into a
temporary staging table. A file whose rows all pass every rule, with no malformed line, no
possible exact repeat (no non-empty Crime ID twice), no NUL byte and as many physical lines as
rows plus the header, is written straight from the staging table into ``crime_record``;
easting/northing come from the distinct coordinate pairs, transformed once
(:func:`~vrkit.sources.police_uk.to_british_national_grid`) and joined back. Every other file
(zip, gzip, a failed rule, a parse rejection, a wrong header) is read by the Python reader,
:func:`~vrkit.sources.police_uk.read_police_uk_many`, which gives its rejections with
physical line numbers, exactly as before. The caller writes both in one transaction.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from vrkit.sources.base import LoadReport
from vrkit.sources.police_uk import (
    count_physical_lines,
    plan_street_scan,
    street_report,
    to_british_national_grid,
)

#: an in-memory database attached to the warehouse's DuckDB instance: the read-ahead worker
#: stages the next group there while the writer inserts the current one (never in the file)
STAGE_DB = "_vrkit_stage"
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vrkit-street-lines")

#: crime_record columns the scan gives, in order (easting/northing are joined in)
_COLUMNS = (
    "crime_id",
    "month",
    "reported_by",
    "falls_within",
    "longitude",
    "latitude",
    "location",
    "lsoa_code",
    "lsoa_name",
    "crime_type",
    "last_outcome",
    "context",
)


@dataclass
class StreetStage:
    """What the staged scan holds: per input position, a report (files written natively) and
    their (falls_within, month) keys; ``left`` are the positions for the Python reader."""

    table: str  # the staging table, qualified
    reports: dict[int, LoadReport] = field(default_factory=dict)
    keys: dict[int, set[tuple[Any, ...]]] = field(default_factory=dict)
    scan_position: dict[int, int] = field(default_factory=dict)  # input position -> _f
    left: list[int] = field(default_factory=list)


def attach_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Attach the in-memory staging database (idempotent)."""
    con.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {STAGE_DB}")


def drop_stage(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Remove a staging table (idempotent)."""
    con.execute(f"DROP TABLE IF EXISTS {table}")


def _drop_rejects(con: duckdb.DuckDBPyConnection) -> None:
    for name in ("_street_rej", "_street_rej_scan"):
        con.execute(f"DROP TABLE IF EXISTS {name}")


def stage_street(con: duckdb.DuckDBPyConnection, paths: list[Path], name: str) -> StreetStage:
    """Scan ``paths`` into the staging table ``name`` (in :data:`STAGE_DB`, which must be
    attached) and decide which files are written natively. ``con`` may be any connection to
    the warehouse's instance (the read-ahead worker's)."""
    scan, left = plan_street_scan(paths)
    table = f"{STAGE_DB}.{name}"
    out = StreetStage(table=table, left=list(left))
    drop_stage(con, table)
    _drop_rejects(con)
    if scan is None:
        return out
    position = [k for k in range(len(paths)) if k not in set(left)]
    counting = _POOL.submit(count_physical_lines, list(scan.paths))
    try:
        con.execute(f"CREATE TABLE {table} AS {scan.sql}")
    except duckdb.Error:
        counting.result()
        drop_stage(con, table)
        _drop_rejects(con)
        out.left = list(range(len(paths)))  # the Python reader names the failing file
        return out
    lines = counting.result()
    # one pass over the staged rows gives every per-file figure. A non-empty Crime ID twice in
    # a file may be an exact repeat (a rule): such files go to the Python reader, which decides
    # with the line numbers; Crime IDs are compared by hash (a collision only sends a file
    # there too). The keys (falls_within, month) are what a file replaces.
    stats = con.execute(
        f"""SELECT _f, count(*), count(_reason),
                count(*) FILTER (longitude IS NULL AND latitude IS NULL),
                count(*) FILTER (crime_id IS NULL AND crime_type = 'Anti-social behaviour'),
                count(*) FILTER (crime_id IS NULL), min(month), max(month),
                count(crime_id) - count(DISTINCT hash(crime_id)) FILTER (crime_id IS NOT NULL),
                list(DISTINCT {{'f': falls_within, 'm': month}})
            FROM {table} GROUP BY _f"""
    ).fetchall()
    parse_bad = {
        str(p)
        for (p,) in con.execute(
            f"SELECT DISTINCT s.file_path FROM {scan.rejects_table} r "
            f"JOIN {scan.rejects_scan} s USING (scan_id, file_id)"
        ).fetchall()
    }
    clean: dict[int, LoadReport] = {}
    keys: dict[int, set[tuple[Any, ...]]] = {}
    for f, rows, bad, no_loc, asb, no_id, lo, hi, repeats, pairs in stats:
        f = int(f)
        info = lines[f]
        if (
            bad
            or repeats
            or str(scan.paths[f]) in parse_bad
            or info is None
            or info[1]  # a NUL byte: rejected row by row by the Python reader
            or info[0] != rows + 1  # blank lines or a line DuckDB skipped
        ):
            continue
        assert isinstance(lo, date) and isinstance(hi, date)
        clean[f] = street_report(
            scan.paths[f],
            rows=int(rows),
            covers=(lo, hi),
            no_location=int(no_loc),
            asb_without_id=int(asb),
            other_without_id=int(no_id) - int(asb),
        )
        keys[f] = {(pair["f"], pair["m"]) for pair in pairs}
    for f, k in enumerate(position):
        if f in clean:
            out.reports[k] = clean[f]
            out.keys[k] = keys[f]
            out.scan_position[k] = f
        else:
            out.left.append(k)
    out.left.sort()
    _drop_rejects(con)
    return out


def insert_staged(
    con: duckdb.DuckDBPyConnection, stage: StreetStage, dataset_ids: dict[int, int]
) -> None:
    """Insert the natively written files' rows from the staging table into ``crime_record``
    (``dataset_ids``: input position -> dataset id), sorted by LSOA like every load."""
    by_f = {stage.scan_position[k]: d for k, d in dataset_ids.items()}
    if not by_f:
        return
    n = max(by_f) + 1
    ids = "[" + ", ".join(str(by_f[f]) if f in by_f else "NULL" for f in range(n)) + "]"
    keep = f"_f < {n} AND {ids}[_f + 1] IS NOT NULL"
    lon, lat = con.execute(
        f"""SELECT list(longitude), list(latitude) FROM (
                SELECT DISTINCT longitude, latitude FROM {stage.table}
                WHERE {keep} AND longitude IS NOT NULL AND latitude IS NOT NULL)"""
    ).fetchone() or ([], [])
    x = np.asarray(lon or [], dtype=np.float64)
    y = np.asarray(lat or [], dtype=np.float64)
    east, north = to_british_national_grid(x, y)
    points = pa.table({"lon": x, "lat": y, "easting": east, "northing": north})
    cols = ", ".join(f"s.{c}" for c in _COLUMNS)
    con.register("_street_points", points)
    try:
        con.execute(
            f"""INSERT INTO crime_record (dataset_id, {", ".join(_COLUMNS)}, easting, northing)
                SELECT {ids}[s._f + 1], {cols}, p.easting, p.northing
                FROM {stage.table} s LEFT JOIN _street_points p
                  ON s.longitude = p.lon AND s.latitude = p.lat
                WHERE {keep}
                ORDER BY s.lsoa_code"""
        )
    finally:
        con.unregister("_street_points")

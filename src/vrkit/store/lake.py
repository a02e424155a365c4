"""Warehouse → hive-partitioned Parquet: the queries behind ``vrkit export parquet``.

The lake layout (one folder per table under the export folder) is declared once in
:data:`LAKE_TABLES`. Record tables are partitioned by force, year and month, count tables by
source kind, year (and month); small reference tables are one file each::

    crime_record/force=leicestershire-police/year=2021/month=2021-03-01/part-0.parquet
    crime_count/source_kind=mps_borough_monthly/year=2020/month=2020-01-01/part-0.parquet
    area_link/part-0.parquet

The ``month`` partition value is the first day of the month in ISO form, so Spark, Trino,
Athena and DuckDB all read it back as the same DATE the warehouse holds. Partition columns that
are warehouse columns (``month``, ``year``, ``source_kind``, ``stop_search.force``) are not
repeated inside the files (hive convention); ``force`` of ``crime_record`` and
``crime_outcome`` is an added column, a slug of ``falls_within`` (which stays in the files).

Change detection works per partition with a *fingerprint*: the number of rows and an
order-independent sum of row hashes over every exported column (DuckDB ``hash``), so a
partition whose rows changed in any way gets a new fingerprint and one whose rows did not keeps
it. Only partitions whose fingerprint differs from the previous manifest are written again.

Health tables (ISTV submissions and attendances) and the ``rejection`` table (raw rows that may
come from health files) are never exported; the dataset registry is exported without the local
``file_path``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit.store.schema import TABLES
from vrkit.store.warehouse import Warehouse

#: SQL turning a police.uk ``falls_within`` force name into a path-safe slug
#: ("Devon & Cornwall Police" → "devon-cornwall-police").
FORCE_SLUG_SQL = "trim(regexp_replace(lower(trim(falls_within)), '[^a-z0-9]+', '-', 'g'), '-')"


@dataclass(frozen=True)
class LakeTable:
    """How one warehouse table is laid out in the lake.

    Attributes
    ----------
    name : str
        Warehouse table (and lake folder) name.
    partitions : tuple of (str, str)
        Partition columns in folder order, each ``(name, SQL expression)``. A partition named
        like a warehouse column replaces it in the files (its value comes from the path).
    kind : str
        ``"record"``, ``"count"`` or ``"reference"`` (shown in the manifest).
    exclude : tuple of str
        Warehouse columns left out of the lake.
    """

    name: str
    partitions: tuple[tuple[str, str], ...]
    kind: str
    exclude: tuple[str, ...] = ()

    @property
    def partition_names(self) -> list[str]:
        """Partition column names, in folder order."""
        return [p for p, _ in self.partitions]


_MONTHLY = (("year", "year(month)::INTEGER"), ("month", "month"))

#: The tables of the lake, in manifest order.
LAKE_TABLES: dict[str, LakeTable] = {
    t.name: t
    for t in (
        LakeTable("crime_record", (("force", FORCE_SLUG_SQL), *_MONTHLY), "record"),
        LakeTable("crime_outcome", (("force", FORCE_SLUG_SQL), *_MONTHLY), "record"),
        LakeTable("stop_search", (("force", "force"), *_MONTHLY), "record"),
        LakeTable("crime_count", (("source_kind", "source_kind"), *_MONTHLY), "count"),
        LakeTable("crime_count_release", (("source_kind", "source_kind"), *_MONTHLY), "count"),
        LakeTable(
            "crime_count_annual", (("source_kind", "source_kind"), ("year", "year")), "count"
        ),
        LakeTable("homicide_victim", (), "record"),
        LakeTable("dataset", (), "reference", exclude=("file_path",)),
        LakeTable("area", (), "reference"),
        LakeTable("area_link", (), "reference"),
        LakeTable("indicator", (), "reference"),
        LakeTable("indicator_value", (), "reference"),
    )
}

#: Warehouse tables deliberately left out of the lake, with the reason (shown in the manifest).
NOT_EXPORTED: dict[str, str] = {
    "istv_submission": "health data (ED returns): not public; share through the portal",
    "istv_attendance": "health data (ED attendances): not public; share through the portal",
    "rejection": "raw rejected rows may come from health files; counts are in the registry",
    "meta": "warehouse internals",
}


def _columns(wh: Warehouse, table: str) -> list[tuple[str, str]]:
    """``(name, DuckDB type)`` of a warehouse table's columns, in table order."""
    rows = wh.con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? AND table_schema = 'main' ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [(str(n), str(t)) for n, t in rows]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def file_columns(wh: Warehouse, spec: LakeTable) -> list[tuple[str, str]]:
    """Columns stored inside the lake files of ``spec`` (partition columns excluded)."""
    parts = set(spec.partition_names)
    return [(n, t) for n, t in _columns(wh, spec.name) if n not in parts and n not in spec.exclude]


def lake_schema(wh: Warehouse, spec: LakeTable) -> list[dict[str, Any]]:
    """The lake schema of one table: every column a reader sees, with its DuckDB type and
    whether it comes from the folder path (a partition column)."""
    types = dict(_columns(wh, spec.name))
    out = [{"name": n, "type": t, "partition": False} for n, t in file_columns(wh, spec)]
    for name, expr in spec.partitions:
        typ = types.get(name) or ("VARCHAR" if name == "force" else "INTEGER")
        out.append(
            {"name": name, "type": typ, "partition": True}
            | ({} if expr == name else {"derived_from": expr})
        )
    return out


def _fingerprint_sql(cols: Sequence[str]) -> str:
    """An order-independent fingerprint of a set of rows over ``cols`` (row count and the sum
    of 64-bit row hashes, as text)."""
    row_hash = "hash(" + ", ".join(_q(c) for c in cols) + ")"
    return f"count(*)::VARCHAR || ':' || sum({row_hash}::HUGEINT)::VARCHAR"


def partition_fingerprints(wh: Warehouse, spec: LakeTable) -> pd.DataFrame:
    """One row per partition of ``spec`` in the warehouse now.

    Returns
    -------
    DataFrame
        The partition columns (as text, as they appear in folder names), ``rows`` and
        ``fingerprint``. A table without partitions gives one row (if it has any rows).
    """
    cols = [n for n, _ in file_columns(wh, spec)]
    fp = _fingerprint_sql(cols)
    if not spec.partitions:
        return wh.query(
            f"SELECT count(*) AS rows, {fp} AS fingerprint FROM {spec.name} HAVING count(*) > 0"
        )
    inner = ", ".join(f"({expr})::VARCHAR AS {_q('_p_' + n)}" for n, expr in spec.partitions)
    outer = ", ".join(f"{_q('_p_' + n)} AS {_q(n)}" for n, _ in spec.partitions)
    sql = (
        f"SELECT {outer}, count(*) AS rows, {fp} AS fingerprint "
        f"FROM (SELECT *, {inner} FROM {spec.name}) GROUP BY ALL ORDER BY ALL"
    )
    return wh.query(sql)


def write_partitions(
    wh: Warehouse,
    spec: LakeTable,
    dest: Path,
    keys: Iterable[tuple[str, ...]],
) -> None:
    """Write the rows of ``spec`` whose partition values are in ``keys`` under ``dest`` as
    hive-partitioned Parquet (ZSTD) with DuckDB's ``COPY … PARTITION_BY``.

    Partitions are written one year at a time (one ``COPY`` each, its own staging folder, then
    moved under ``dest``), with DuckDB allowed to keep every partition of the year open, so
    each partition gets one file (``part-0.parquet``; several only for a very large partition)
    and memory stays bounded by a year of rows. Partition values are compared as text, as in
    folder names. A table without partitions is written as ``dest/part-0.parquet``.
    """
    con = wh.con
    cols = [n for n, _ in file_columns(wh, spec)]
    select = ", ".join(_q(c) for c in cols)
    options = "FORMAT PARQUET, COMPRESSION ZSTD"
    if not spec.partitions:
        dest.mkdir(parents=True, exist_ok=True)
        target = _sql_str(str(dest / "part-0.parquet"))
        con.execute(f"COPY (SELECT {select} FROM {spec.name}) TO '{target}' ({options})")
        return
    select += ", " + ", ".join(f"{expr} AS {_q(n)}" for n, expr in spec.partitions)
    names = spec.partition_names
    options += (
        f", FILENAME_PATTERN 'part-{{i}}', PARTITION_BY ({', '.join(_q(n) for n in names)}), "
        "WRITE_PARTITION_COLUMNS false"
    )
    by_year: dict[str, list[tuple[str, ...]]] = {}
    y = names.index("year") if "year" in names else None
    for key in keys:
        by_year.setdefault(key[y] if y is not None else "", []).append(tuple(key))
    # key columns get names no table column has, so the expressions bind to the table
    cond = " AND ".join(f"({expr})::VARCHAR = k.{_q('_k_' + n)}" for n, expr in spec.partitions)
    dest.mkdir(parents=True, exist_ok=True)
    for year, chunk in sorted(by_year.items()):
        frame = pd.DataFrame(chunk, columns=[f"_k_{n}" for n in names], dtype=object)
        tmp = dest.parent / f"{dest.name}.{year or 'all'}"
        year_cond = ""
        if y is not None:
            year_cond = f"({spec.partitions[y][1]}) = {int(year)} AND "
        con.register("_lake_keys", frame)
        try:
            con.execute(f"SET partitioned_write_max_open_files = {len(chunk) + 8}")
            con.execute(
                f"COPY (SELECT {select} FROM {spec.name} WHERE {year_cond}"
                f"EXISTS (SELECT 1 FROM _lake_keys k WHERE {cond})) "
                f"TO '{_sql_str(str(tmp))}' ({options})"
            )
        finally:
            con.execute("RESET partitioned_write_max_open_files")
            con.unregister("_lake_keys")
        for key in chunk:
            rel = Path(*(f"{n}={v}" for n, v in zip(names, key, strict=True)))
            if (tmp / rel).is_dir():
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                (tmp / rel).rename(dest / rel)
        shutil.rmtree(tmp, ignore_errors=True)


def _sql_str(text: str) -> str:
    return text.replace("'", "''")


def registry(wh: Warehouse) -> list[dict[str, Any]]:
    """The dataset registry as JSON-ready rows (without the local ``file_path``)."""
    frame = wh.query(
        """SELECT dataset_id, source_kind, file_name, sha256, rows_read, rows_loaded,
                  rows_rejected, covers_from::VARCHAR AS covers_from,
                  covers_to::VARCHAR AS covers_to, strftime(loaded_at, '%Y-%m-%dT%H:%M:%S')
                  AS loaded_at, vrkit_version, exclusions, notes
           FROM dataset ORDER BY dataset_id"""
    )
    out: list[dict[str, Any]] = []
    for rec in frame.to_dict(orient="records"):
        row: dict[str, Any] = {}
        for k, v in rec.items():
            if isinstance(v, float) and pd.isna(v):
                row[k] = None
            elif hasattr(v, "tolist"):
                row[k] = v.tolist()
            elif hasattr(v, "item"):
                row[k] = v.item()
            else:
                row[k] = v
        out.append(row)
    return out


def exported_tables(wh: Warehouse) -> list[LakeTable]:
    """The lake tables present in this warehouse (all of them, for the current schema)."""
    return [spec for name, spec in LAKE_TABLES.items() if name in TABLES]

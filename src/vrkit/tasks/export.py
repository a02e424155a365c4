"""``vrkit export parquet``: the warehouse as a hive-partitioned Parquet lake with a manifest.

The lake is how vrkit's data goes to a cluster (Spark, Trino, Athena, DuckDB elsewhere): one
folder per table, partitioned as :data:`vrkit.store.lake.LAKE_TABLES` declares, and a
``manifest.json`` that lists every file with its rows, bytes and SHA-256, the schema of every
table, the vrkit version and the dataset registry (what each row came from).

Exports are incremental: each partition's fingerprint (rows and a sum of row hashes, see
:mod:`vrkit.store.lake`) is compared with the previous manifest, and only partitions that are
new, changed, or whose files are missing or altered on disk are written again; partitions that
no longer exist are removed. The manifest is written last, atomically. New files are written to
a hidden staging folder inside the export folder and moved into place per partition.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from vrkit._version import __version__
from vrkit.errors import InputError, StorageError
from vrkit.sources.base import sha256_file
from vrkit.store.lake import (
    LAKE_TABLES,
    NOT_EXPORTED,
    LakeTable,
    exported_tables,
    lake_schema,
    partition_fingerprints,
    registry,
    write_partitions,
)
from vrkit.store.schema import SCHEMA_VERSION
from vrkit.store.warehouse import Warehouse

MANIFEST_NAME = "manifest.json"
#: Version of the lake layout; a manifest of another version is not reused (full rewrite).
LAKE_FORMAT_VERSION = 1


@dataclass(frozen=True)
class TableExport:
    """What an export did to one table."""

    table: str
    partitions: int
    written: int
    unchanged: int
    removed: int
    rows: int
    files: int
    bytes: int


@dataclass
class ExportResult:
    """Outcome of :func:`export_parquet`.

    Attributes
    ----------
    out : Path
        The export folder.
    manifest : dict
        The manifest as written to ``out/manifest.json``.
    tables : list of TableExport
        Per table: partitions in all, written, unchanged, removed; rows, files and bytes.
    written_paths : list of str
        Partition folders (relative to ``out``) written in this run.
    seconds : float
        Wall time.
    """

    out: Path
    manifest: dict[str, Any]
    tables: list[TableExport] = field(default_factory=list)
    written_paths: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_frame(self) -> pd.DataFrame:
        """One row per table."""
        return pd.DataFrame([t.__dict__ for t in self.tables])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the manifest itself is in ``out/manifest.json``)."""
        return {
            "out": str(self.out),
            "manifest": str(self.out / MANIFEST_NAME),
            "seconds": round(self.seconds, 3),
            "tables": [t.__dict__ for t in self.tables],
            "written": self.written_paths,
        }


def read_manifest(out: str | Path) -> dict[str, Any] | None:
    """The manifest of an export folder, or None if there is none."""
    path = Path(out) / MANIFEST_NAME
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StorageError(
            f"{path}: not a readable vrkit manifest ({exc})",
            hint="Remove the export folder (or choose another --out) and export again.",
        ) from exc
    return data if isinstance(data, dict) else None


def _part_path(spec: LakeTable, values: dict[str, str]) -> str:
    """Relative folder of one partition, e.g. ``crime_record/force=x/year=2020/month=…``."""
    return "/".join([spec.name, *(f"{n}={values[n]}" for n in spec.partition_names)])


def _files_intact(out: Path, part: dict[str, Any]) -> bool:
    """True if every file a manifest partition lists is on disk with its size, and nothing
    else is in its folder."""
    folder = out / part["path"]
    listed = {f["path"] for f in part["files"]}
    for f in part["files"]:
        p = out / f["path"]
        if not p.is_file() or p.stat().st_size != f["bytes"]:
            return False
    if folder.is_dir():
        present = {
            str(p.relative_to(out)).replace(os.sep, "/")
            for p in folder.iterdir()
            if p.is_file() and p.suffix == ".parquet"
        }
        if present != listed:
            return False
    return True


def _describe_files(out: Path, folder: Path) -> list[dict[str, Any]]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix == ".parquet")
    return [
        {
            "path": str(p.relative_to(out)).replace(os.sep, "/"),
            "rows": int(pq.ParquetFile(p).metadata.num_rows),
            "bytes": p.stat().st_size,
            "sha256": sha256_file(p),
        }
        for p in files
    ]


def _replace_dir(src: Path, dest: Path) -> None:
    """Put the folder ``src`` at ``dest`` (replacing whatever was there)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(src, dest)


def _prune_empty(folder: Path, stop: Path) -> None:
    """Remove empty folders from ``folder`` up to (not including) ``stop``."""
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent


def export_parquet(
    wh: Warehouse,
    out: str | Path,
    *,
    tables: list[str] | None = None,
    full: bool = False,
) -> ExportResult:
    """Export the warehouse's record and count tables as hive-partitioned Parquet.

    Parameters
    ----------
    wh : Warehouse
        The warehouse (read-only is enough).
    out : str or Path
        Export folder; created if missing. An existing folder must be empty or hold a previous
        export (its ``manifest.json``).
    tables : list of str, optional
        Only these lake tables (default: all of :data:`vrkit.store.lake.LAKE_TABLES`). The
        manifest keeps the entries of tables not exported this time.
    full : bool
        Rewrite every partition even if unchanged.

    Returns
    -------
    ExportResult
        Per-table counts of partitions written, unchanged and removed, and the manifest.

    Examples
    --------
    >>> from vrkit import Warehouse
    >>> from vrkit.tasks.export import export_parquet
    >>> with Warehouse(":memory:") as wh:
    ...     res = export_parquet(wh, tmp / "lake")  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    out = Path(out)
    specs = exported_tables(wh)
    if tables:
        unknown = sorted(set(tables) - set(LAKE_TABLES))
        if unknown:
            raise InputError(
                f"unknown lake table(s): {', '.join(unknown)}",
                hint=f"Use any of: {', '.join(LAKE_TABLES)}.",
            )
        specs = [s for s in specs if s.name in tables]
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file, not a folder", hint="Give a folder for --out.")
    previous = read_manifest(out)
    if previous is None and out.exists() and any(out.iterdir()):
        raise InputError(
            f"{out} is not empty and holds no vrkit manifest",
            hint="Export into an empty folder or into a previous export's folder.",
        )
    reuse = (
        previous is not None
        and previous.get("format_version") == LAKE_FORMAT_VERSION
        and previous.get("schema_version") == SCHEMA_VERSION
        and not full
    )
    old_tables: dict[str, Any] = (previous or {}).get("tables", {}) if previous else {}
    out.mkdir(parents=True, exist_ok=True)
    staging = out / f".staging-{uuid.uuid4().hex[:12]}"
    result = ExportResult(out=out, manifest={})
    new_tables: dict[str, Any] = {
        k: v for k, v in old_tables.items() if k in LAKE_TABLES and (tables and k not in tables)
    }
    try:
        for spec in specs:
            entry, summary, written = _export_table(
                wh, spec, out, staging, old_tables.get(spec.name) if reuse else None
            )
            new_tables[spec.name] = entry
            result.tables.append(summary)
            result.written_paths.extend(written)
        # tables of an older export that this warehouse no longer has
        for name in list(old_tables):
            if name not in new_tables and not (tables and name not in tables):
                shutil.rmtree(out / name, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    manifest = {
        "format": "vrkit-lake",
        "format_version": LAKE_FORMAT_VERSION,
        "vrkit_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "warehouse": Path(wh.path).name,
        "partitioning": "hive (name=value folders); partition columns are not inside the files",
        "tables": {name: new_tables[name] for name in LAKE_TABLES if name in new_tables},
        "not_exported": NOT_EXPORTED,
        "datasets": registry(wh),
    }
    tmp = out / f".{MANIFEST_NAME}.{uuid.uuid4().hex[:8]}"
    tmp.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, out / MANIFEST_NAME)
    result.manifest = manifest
    result.seconds = time.perf_counter() - t0
    return result


def _export_table(
    wh: Warehouse,
    spec: LakeTable,
    out: Path,
    staging: Path,
    old: dict[str, Any] | None,
) -> tuple[dict[str, Any], TableExport, list[str]]:
    """Write one table's changed partitions; return its manifest entry, summary and the
    partition folders written."""
    schema = lake_schema(wh, spec)
    if old is not None and old.get("schema") != schema:
        old = None  # columns changed: rewrite the whole table
    current = partition_fingerprints(wh, spec)
    names = spec.partition_names
    old_parts = {p["path"]: p for p in (old or {}).get("partitions", [])}
    parts: list[dict[str, Any]] = []
    todo: list[tuple[str, ...]] = []
    todo_paths: list[str] = []
    for rec in current.to_dict(orient="records"):
        values = {n: str(rec[n]) for n in names}
        path = _part_path(spec, values)
        prev = old_parts.get(path)
        part: dict[str, Any] = {
            "values": values,
            "path": path,
            "rows": int(rec["rows"]),
            "fingerprint": str(rec["fingerprint"]),
        }
        if (
            prev is not None
            and prev["fingerprint"] == part["fingerprint"]
            and _files_intact(out, prev)
        ):
            part["files"] = prev["files"]
        else:
            todo.append(tuple(values[n] for n in names))
            todo_paths.append(path)
        parts.append(part)
    if old is None and (out / spec.name).exists():
        shutil.rmtree(out / spec.name)  # no usable manifest entry: start the table afresh
    if todo:
        dest = staging / spec.name
        write_partitions(wh, spec, dest, todo)
        for path in todo_paths:
            _replace_dir(staging / path, out / path)
    current_paths = {p["path"] for p in parts}
    removed = [p for p in old_parts if p not in current_paths]
    for path in removed:
        shutil.rmtree(out / path, ignore_errors=True)
        _prune_empty((out / path).parent, out)
    for part in parts:
        if "files" not in part:
            part["files"] = _describe_files(out, out / part["path"])
            got = sum(f["rows"] for f in part["files"])
            if got != part["rows"]:
                raise StorageError(
                    f"export of {part['path']} wrote {got} rows, expected {part['rows']}",
                    hint="The warehouse changed during the export? Run it again.",
                )
    entry = {
        "kind": spec.kind,
        "partition_by": names,
        "schema": schema,
        "rows": sum(p["rows"] for p in parts),
        "partitions": parts,
    }
    summary = TableExport(
        table=spec.name,
        partitions=len(parts),
        written=len(todo),
        unchanged=len(parts) - len(todo),
        removed=len(removed),
        rows=entry["rows"],
        files=sum(len(p["files"]) for p in parts),
        bytes=sum(f["bytes"] for p in parts for f in p["files"]),
    )
    return entry, summary, todo_paths

"""The DuckDB warehouse: atomic, idempotent loads, a dataset registry and a quality review.

Every file loads in one transaction (``BEGIN`` … ``COMMIT``): a failure or a killed process
leaves the warehouse exactly as before. Loading a file whose bytes (SHA-256) are already
registered for the same source kind changes nothing. A newer release of a source replaces the
older one for the keys it covers (:data:`vrkit.store.schema.REPLACE_KEYS`; for MPS counts, the
newest release covering a (scope, month) wins, see :meth:`Warehouse._rebuild_crime_count`).
"""

from __future__ import annotations

import contextlib
import importlib.resources as ilr
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from vrkit._version import __version__
from vrkit.config import Settings, get_settings
from vrkit.errors import StorageError, VrkitError
from vrkit.sources.base import LoadReport, SourceAdapter, SourceFrames, sha256_file
from vrkit.sources.registry import detect_adapter
from vrkit.store.schema import INDEXES, REPLACE_KEYS, SCHEMA_VERSION, TABLES


@dataclass
class _Job:
    """A file ready to be read: its adapter, hash and the dataset it would replace."""

    path: Path
    adapter: SourceAdapter
    sha: str
    existing: int | None

    @property
    def kind(self) -> str:
        return self.adapter.kind

    def needs_read(self, force: bool) -> bool:
        return force or self.existing is None

    def adapter_read(self) -> SourceFrames:
        return self.adapter.read(self.path)


@dataclass(frozen=True)
class IngestResult:
    """Outcome of ingesting one file."""

    path: Path
    source_kind: str
    dataset_id: int
    status: str  # "loaded" | "unchanged"
    report: LoadReport | None


def spatial_extension_path() -> Path:
    """Path of the DuckDB spatial extension inside its PyPI wheel (no download, STACK.md §1)."""
    import duckdb_extension_spatial

    root = ilr.files(duckdb_extension_spatial) / "extensions" / f"v{duckdb.__version__}"
    return Path(str(root / "spatial.duckdb_extension"))


class Warehouse:
    """A DuckDB warehouse file (or ``":memory:"``).

    Parameters
    ----------
    path : str or Path, optional
        Database file; default the ``VRKIT_STORE`` setting. Created if missing.
    read_only : bool
        Open without write access (several readers may share a file).
    settings : Settings, optional
        Threads and memory limit; default from the environment.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.path = str(path if path is not None else self.settings.store)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(
                self.path,
                read_only=read_only,
                config={
                    "threads": self.settings.threads,
                    "memory_limit": self.settings.memory_limit,
                    "autoinstall_known_extensions": False,
                    "autoload_known_extensions": False,
                },
            )
        except duckdb.Error as exc:
            raise StorageError(
                f"cannot open warehouse {self.path}: {exc}",
                hint="Is another vrkit process writing to it? Use --store to pick another file.",
            ) from exc
        self._spatial = False
        self.read_only = read_only
        #: rows of record-level files written per transaction by :meth:`ingest_many`
        self.batch_rows = 1_000_000
        if not read_only:
            # Commits append to the write-ahead log; the data file is checkpointed on close or
            # when the log passes this size, not after every small file (DuckDB's default 16 MB
            # made each per-file commit rewrite table blocks). Durability is unchanged: a
            # committed load survives a crash through the log.
            self.con.execute("SET checkpoint_threshold = '1GB'")
            self._ensure_schema()
        self._check_version()

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Checkpoint (if writable) and close the connection."""
        if not self.read_only:
            # best effort: closing must not fail, and the log still holds every commit
            with contextlib.suppress(duckdb.Error):
                self.con.execute("CHECKPOINT")
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_schema(self) -> None:
        for name, cols in TABLES.items():
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
        for ddl in INDEXES:
            self.con.execute(ddl)
        self.con.execute(
            "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
            [str(SCHEMA_VERSION)],
        )

    def _check_version(self) -> None:
        try:
            row = self.con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except duckdb.CatalogException as exc:
            raise StorageError(f"{self.path} is not a vrkit warehouse") from exc
        if row is None or int(row[0]) != SCHEMA_VERSION:
            raise StorageError(
                f"{self.path} has schema version {row[0] if row else '?'}; "
                f"this vrkit expects {SCHEMA_VERSION}",
                hint="Re-create it: delete the file and run `vrkit ingest --all`.",
            )

    def load_spatial(self) -> None:
        """Load the DuckDB spatial extension from its wheel (idempotent)."""
        if not self._spatial:
            self.con.execute(f"LOAD '{spatial_extension_path()}'")
            self._spatial = True

    # -- reading -------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        """Run SQL and return a pandas frame."""
        return self.con.execute(sql, params).df()

    def datasets(self) -> pd.DataFrame:
        """The dataset registry, newest first."""
        return self.query(
            """SELECT dataset_id, source_kind, file_name, covers_from, covers_to, rows_read,
                      rows_loaded, rows_rejected, sha256, loaded_at, vrkit_version, exclusions,
                      notes, file_path
               FROM dataset ORDER BY dataset_id"""
        )

    # -- loading -------------------------------------------------------------------------------

    def ingest(self, path: str | Path, *, force: bool = False) -> IngestResult:
        """Detect, read and load one file in one transaction.

        Loading a file already registered (same source kind and SHA-256) changes nothing and
        returns status ``"unchanged"``, unless ``force`` (re-read and replace it).
        """
        job = self._prepare(Path(path), force)
        if not job.needs_read(force):
            return IngestResult(job.path, job.kind, int(job.existing or 0), "unchanged", None)
        return self._finish(job, job.adapter_read())

    def ingest_many(
        self,
        paths: Iterable[Path],
        *,
        force: bool = False,
        on_file: Callable[[Path, IngestResult | VrkitError], None] | None = None,
        stop_on_error: bool = False,
    ) -> list[IngestResult | VrkitError]:
        """Ingest files, reading ahead in a thread and batching record-level files.

        While one file is written to the warehouse, the next is parsed and validated in a worker
        thread (DuckDB and pyarrow release the GIL), so on two cores reading and loading
        overlap. Consecutive record-level files of one kind (e.g. monthly police.uk files) are
        written together, up to :attr:`batch_rows` rows per transaction; every file is always
        stored whole or not at all, and if a batch fails its files are loaded one by one so the
        error names the file. Aggregate files load one per transaction. Results and
        ``on_file`` calls come in input order; an error in one file never affects the others.
        """
        from concurrent.futures import Future, ThreadPoolExecutor

        results: list[IngestResult | VrkitError] = []
        todo = list(paths)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vrkit-read") as pool:
            pending: dict[int, Future[SourceFrames]] = {}
            jobs: dict[int, _Job | VrkitError] = {}

            def schedule(i: int) -> None:
                if i >= len(todo) or i in jobs:
                    return
                try:
                    job = self._prepare(todo[i], force)
                except VrkitError as exc:
                    jobs[i] = exc
                    return
                jobs[i] = job
                if job.needs_read(force):
                    pending[i] = pool.submit(job.adapter_read)

            batch: list[tuple[_Job, SourceFrames]] = []
            batch_rows = 0

            def emit(p: Path, res: IngestResult | VrkitError) -> None:
                results.append(res)
                if on_file:
                    on_file(p, res)

            def flush() -> None:
                nonlocal batch_rows
                if not batch:
                    return
                items = list(batch)
                batch.clear()
                batch_rows = 0
                try:
                    ids = self.load_many([(fr, job.sha, job.existing) for job, fr in items])
                except (VrkitError, duckdb.Error):
                    # isolate the failing file: load the batch's files one by one
                    for job, fr in items:
                        try:
                            emit(job.path, self._finish(job, fr))
                        except VrkitError as exc:
                            emit(job.path, exc)
                    return
                for (job, fr), did in zip(items, ids, strict=True):
                    emit(job.path, IngestResult(job.path, job.kind, did, "loaded", fr.report))

            for i, p in enumerate(todo):
                schedule(i)
                schedule(i + 1)  # read ahead while this one loads
                job = jobs.pop(i)
                if isinstance(job, VrkitError):
                    flush()
                    emit(p, job)
                elif i not in pending:
                    flush()
                    emit(p, IngestResult(p, job.kind, int(job.existing or 0), "unchanged", None))
                else:
                    try:
                        frames = pending.pop(i).result()
                    except VrkitError as exc:
                        flush()
                        emit(p, exc)
                    else:
                        if not job.adapter.record_level:
                            flush()
                            try:
                                emit(p, self._finish(job, frames))
                            except VrkitError as exc:
                                emit(p, exc)
                        else:
                            if batch and batch[0][0].kind != job.kind:
                                flush()
                            batch.append((job, frames))
                            batch_rows += frames.report.rows_loaded
                            if batch_rows >= self.batch_rows:
                                flush()
                if stop_on_error and results and isinstance(results[-1], VrkitError):
                    for f in pending.values():
                        f.cancel()
                    break
            flush()
        return results

    def _prepare(self, path: Path, force: bool) -> _Job:
        adapter = detect_adapter(path)
        sha = sha256_file(path)
        row = self.con.execute(
            "SELECT dataset_id FROM dataset WHERE source_kind=? AND sha256=?", [adapter.kind, sha]
        ).fetchone()
        return _Job(path, adapter, sha, int(row[0]) if row else None)

    def _finish(self, job: _Job, frames: SourceFrames) -> IngestResult:
        dataset_id = self.load(frames, sha256=job.sha, replace_dataset=job.existing)
        return IngestResult(job.path, job.kind, dataset_id, "loaded", frames.report)

    def load(
        self, frames: SourceFrames, *, sha256: str | None = None, replace_dataset: int | None = None
    ) -> int:
        """Write ``frames`` in one transaction and register the dataset; return its id."""
        return self.load_many([(frames, sha256, replace_dataset)])[0]

    def load_many(self, items: Sequence[tuple[SourceFrames, str | None, int | None]]) -> list[int]:
        """Write several files in ONE transaction; each file is registered as its own dataset.

        ``items`` are ``(frames, sha256, dataset id it replaces)``. Either every file of the
        batch is stored or none is, so no file is ever half-loaded. Record-level tables that
        arrive as Arrow are concatenated and inserted once per batch, which is several times
        faster than one small insert and commit per file; a later file in the batch still
        replaces an earlier one with the same key (the staged rows are flushed first).
        """
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            (next_id,) = con.execute(
                "SELECT coalesce(max(dataset_id), 0) + 1 FROM dataset"
            ).fetchone() or (1,)
            ids: list[int] = []
            staged: dict[str, list[pa.Table]] = {}
            staged_keys: dict[str, set[tuple[Any, ...]] | None] = {}
            rebuild: set[str] = set()
            for frames, sha, replace in items:
                rep = frames.report
                if replace is not None:
                    self._drop_dataset(replace)
                dataset_id = int(next_id)
                next_id += 1
                self._register_dataset(dataset_id, rep, sha or sha256_file(rep.path))
                for table, frame in frames.tables.items():
                    if table not in TABLES or table in (
                        "dataset",
                        "rejection",
                        "meta",
                        "crime_count",
                    ):
                        raise StorageError(
                            f"adapter {rep.source_kind} returned unknown table {table!r}"
                        )
                    keys = self._key_tuples(table, frame)
                    seen = staged_keys.get(table, set())
                    if table in staged and (keys is None or seen is None or keys & seen):
                        self._flush(table, staged.pop(table))
                        staged_keys.pop(table)
                    self._delete_replaced(table, frame, keys)
                    if isinstance(frame, pa.Table) and len(items) > 1:
                        staged.setdefault(table, []).append(
                            frame.add_column(
                                0,
                                "dataset_id",
                                pa.array(np.full(frame.num_rows, dataset_id, dtype=np.int32)),
                            )
                        )
                        prev = staged_keys.get(table, set())
                        staged_keys[table] = None if keys is None or prev is None else prev | keys
                    else:
                        self._insert(table, frame, dataset_id)
                if "crime_count_release" in frames.tables:
                    rebuild.add(rep.source_kind)
                ids.append(dataset_id)
            for table, parts in staged.items():
                self._flush(table, parts)
            for kind in sorted(rebuild):
                self._rebuild_crime_count(kind)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return ids

    def _register_dataset(self, dataset_id: int, rep: LoadReport, sha: str) -> None:
        self.con.execute(
            """INSERT INTO dataset VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                dataset_id,
                rep.source_kind,
                rep.path.name,
                str(rep.path.resolve()),
                sha,
                rep.rows_read,
                rep.rows_loaded,
                rep.rows_rejected,
                rep.covers_from,
                rep.covers_to,
                datetime.now(UTC).replace(tzinfo=None),
                __version__,
                list(rep.exclusions),
                list(rep.notes),
            ],
        )
        if rep.rejections:
            rej = pd.DataFrame(
                {
                    "dataset_id": dataset_id,
                    "row_number": [r.row_number for r in rep.rejections],
                    "column": [r.column for r in rep.rejections],
                    "reason": [r.reason for r in rep.rejections],
                    "raw": [r.raw for r in rep.rejections],
                }
            )
            self._insert("rejection", rej, None)

    def _flush(self, table: str, parts: list[pa.Table]) -> None:
        self._insert(table, pa.concat_tables(parts, promote_options="default"), None)

    def _drop_dataset(self, dataset_id: int) -> None:
        kinds = self.con.execute(
            "SELECT source_kind FROM dataset WHERE dataset_id=?", [dataset_id]
        ).fetchone()
        for table, cols in TABLES.items():
            if "dataset_id" in cols and table != "dataset":
                self.con.execute(f"DELETE FROM {table} WHERE dataset_id=?", [dataset_id])
        self.con.execute("DELETE FROM dataset WHERE dataset_id=?", [dataset_id])
        if kinds:
            self._rebuild_crime_count(kinds[0])

    def _insert(self, table: str, frame: pd.DataFrame | pa.Table, dataset_id: int | None) -> None:
        cols = list(frame.column_names if isinstance(frame, pa.Table) else frame.columns)
        self.con.register("_incoming", frame)
        try:
            col_sql = ", ".join(f'"{c}"' for c in cols)
            if dataset_id is None:
                self.con.execute(f"INSERT INTO {table} ({col_sql}) SELECT {col_sql} FROM _incoming")
            else:
                self.con.execute(
                    f"INSERT INTO {table} (dataset_id, {col_sql}) "
                    f"SELECT {dataset_id}, {col_sql} FROM _incoming"
                )
        finally:
            self.con.unregister("_incoming")

    def _key_tuples(
        self, table: str, frame: pd.DataFrame | pa.Table
    ) -> set[tuple[Any, ...]] | None:
        """Distinct replace-key values of an incoming frame (``None`` when there are many)."""
        key = REPLACE_KEYS.get(table)
        if not key:
            return set()
        self.con.register("_incoming", frame)
        try:
            cols = ", ".join(f'"{k}"' for k in key)
            rows = self.con.execute(f"SELECT DISTINCT {cols} FROM _incoming LIMIT 65").fetchall()
        finally:
            self.con.unregister("_incoming")
        return None if len(rows) > 64 else {tuple(r) for r in rows}

    def _delete_replaced(
        self, table: str, frame: pd.DataFrame | pa.Table, keys: set[tuple[Any, ...]] | None
    ) -> None:
        """Delete stored rows that the incoming frame replaces (same REPLACE_KEYS values).

        With few distinct keys (the usual case, e.g. one force and month) the condition is a
        list of constants, so DuckDB skips row groups by their min/max instead of joining the
        whole table; otherwise a semi-join on the incoming keys.
        """
        key = REPLACE_KEYS.get(table)
        if not key or keys == set():
            return
        if keys is not None:
            conds = []
            params: list[Any] = []
            for tup in keys:
                conds.append("(" + " AND ".join(f'"{k}" IS NOT DISTINCT FROM ?' for k in key) + ")")
                params.extend(tup)
            self.con.execute(f"DELETE FROM {table} WHERE {' OR '.join(conds)}", params)
            return
        self.con.register("_incoming", frame)
        try:
            cond = " AND ".join(f't."{k}" IS NOT DISTINCT FROM i."{k}"' for k in key)
            self.con.execute(
                f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM "
                f"(SELECT DISTINCT {', '.join(key)} FROM _incoming) i WHERE {cond})"
            )
        finally:
            self.con.unregister("_incoming")

    def _rebuild_crime_count(self, source_kind: str) -> None:
        """Refresh ``crime_count`` for one source kind: the newest release per (scope, month).

        Releases are ordered by the last month they cover, then by load time: a file that runs
        to a later month is a newer MPS release.
        """
        self.con.execute("DELETE FROM crime_count WHERE source_kind=?", [source_kind])
        self.con.execute(
            """
            INSERT INTO crime_count
            WITH cover AS (
                SELECT DISTINCT r.scope_code, r.month, r.dataset_id, d.covers_to, d.loaded_at
                FROM crime_count_release r JOIN dataset d USING (dataset_id)
                WHERE r.source_kind = $kind
            ), best AS (
                SELECT scope_code, month, arg_max(dataset_id, (covers_to, loaded_at, dataset_id))
                    AS dataset_id
                FROM cover GROUP BY scope_code, month
            )
            SELECT r.* FROM crime_count_release r
            JOIN best b USING (scope_code, month, dataset_id)
            WHERE r.source_kind = $kind
            """,
            {"kind": source_kind},
        )

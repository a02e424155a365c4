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
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
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
from vrkit.errors import SourceError, StorageError, VrkitError
from vrkit.sources.base import LoadReport, SourceAdapter, SourceFrames, sha256_file
from vrkit.sources.registry import detect_adapter, detect_adapters
from vrkit.store import street_native
from vrkit.store.schema import (
    CLUSTER_KEYS,
    INDEXES,
    REPLACE_KEYS,
    SCHEMA_CHANGES,
    SCHEMA_VERSION,
    TABLES,
)


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

    @property
    def label(self) -> str:
        """How results name this file ("" = by its name; see ``SourceAdapter.sensitive_names``)."""
        return self.adapter.label(self.path, self.sha) if self.adapter.sensitive_names else ""

    def result(self, dataset_id: int, status: str, report: LoadReport | None) -> IngestResult:
        label = report.label if report is not None and report.label else self.label
        return IngestResult(self.path, self.kind, dataset_id, status, report, label)

    def adapter_read(self) -> SourceFrames:
        return self.adapter.read(self.path)


@dataclass(frozen=True)
class IngestResult:
    """Outcome of ingesting one file.

    ``label`` is how to name the file when showing the result: its name, or for a health file
    (whose name may identify a person) the label the dataset registry stores.
    """

    path: Path
    source_kind: str
    dataset_id: int
    status: str  # "loaded" | "unchanged"
    report: LoadReport | None
    label: str = ""

    @property
    def name(self) -> str:
        """The file's name as it may be shown (see ``label``)."""
        return self.label or self.path.name


def result_label(path: Path, result: IngestResult | VrkitError) -> str:
    """How to name ``path`` when showing ``result`` (never a health file's own name)."""
    if isinstance(result, IngestResult):
        return result.name
    return result.file_label or path.name


def _open_hint(message: str) -> str:
    """A hint for a warehouse that cannot be opened, from DuckDB's message."""
    low = message.lower()
    if "could not set lock" in low or "conflicting lock" in low:
        return (
            "Another process (e.g. another vrkit command) is writing to it; wait for it to "
            "finish, or pick another file with --store."
        )
    if "not a valid duckdb database" in low:
        return "The file is not a DuckDB warehouse; pick another file with --store."
    if "permission" in low or "read-only" in low:
        return "Check the file's permissions, or pick another file with --store."
    return "Pick another file with --store."


#: suffixes of data files a user may pass to ``--store`` by mistake (never a warehouse)
DATA_SUFFIXES = (
    ".csv",
    ".csv.gz",
    ".gz",
    ".zip",
    ".parquet",
    ".json",
    ".geojson",
    ".xlsx",
    ".xls",
    ".gpkg",
    ".shp",
    ".txt",
    ".tsv",
)


def check_store_path(path: Path, *, read_only: bool = False) -> None:
    """Refuse a warehouse path that is not, and cannot become, a DuckDB database file.

    An existing file must be a DuckDB database (a CSV, Parquet, JSON... file passed as
    ``--store`` would otherwise be opened as an empty in-memory database and nothing would be
    saved); a new file must not have a data file's suffix; a read-only open needs the file to
    exist; a new file needs a folder that exists or can be created and written.

    Raises
    ------
    StorageError
        With the reason and what to do.
    """
    from vrkit.outputs import is_duckdb_file

    name = path.name.lower()
    if path.is_dir():
        raise StorageError(
            f"--store {path} is a folder, not a warehouse file",
            hint="Give a file name, e.g. --store out/vrkit.duckdb.",
        )
    if path.exists():
        if not is_duckdb_file(path):
            raise StorageError(
                f"--store {path} is not a DuckDB database (a vrkit warehouse): refusing to use it",
                hint="Give the warehouse file (e.g. out/vrkit.duckdb); to load a data file, "
                "pass it to `vrkit ingest`.",
            )
        return
    if read_only:
        raise StorageError(
            f"no warehouse at {path}",
            hint="Run `vrkit ingest --all` (or `vrkit ingest PATH`) first, or pass --store.",
        )
    if name.endswith(DATA_SUFFIXES):
        raise StorageError(
            f"--store {path} looks like a data file, not a warehouse",
            hint="Use a name ending .duckdb for the warehouse; load data files with "
            "`vrkit ingest`.",
        )
    parent = path.parent
    existing = parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise StorageError(
            f"cannot create the warehouse {path}: {existing} is a file, not a folder",
            hint="Pick a path in a folder.",
        )
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create the folder {parent} for the warehouse: {exc.strerror or exc}",
            hint="Pick a folder you can write to.",
        ) from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise StorageError(
            f"cannot create the warehouse {path}: the folder {parent} is read-only",
            hint="Pick a folder you can write to, e.g. --store ~/vrkit.duckdb.",
        )


def spatial_extension_path() -> Path:
    """Path of the DuckDB spatial extension inside its PyPI wheel (no download, STACK.md §1)."""
    import duckdb_extension_spatial

    root = ilr.files(duckdb_extension_spatial) / "extensions" / f"v{duckdb.__version__}"
    return Path(str(root / "spatial.duckdb_extension"))


@dataclass
class _Staged:
    """In place of frames for a group of street files on the native path: the scan staged by
    the read-ahead worker (:mod:`vrkit.store.street_native`) and the Python reader's result for
    each file the scan could not take whole (by position in the group)."""

    paths: list[Path]  # the group's files to read, in order (stage positions)
    stage: street_native.StreetStage
    frames: dict[int, SourceFrames | VrkitError]


#: the adapter kind the native write path serves
_NATIVE_KIND = "police_uk_street"

#: what the read-ahead worker hands back per file: path, job (or detection error), frames
#: (``None`` when the file is already loaded and not forced; a shared ``_Staged`` for the
#: native path) or the read error
_Read = tuple[Path, "_Job | VrkitError", "SourceFrames | VrkitError | _Staged | None"]


def _read_group(
    group: list[tuple[Path, SourceAdapter | VrkitError]],
    force: bool,
    reader: duckdb.DuckDBPyConnection,
    native: bool = False,
    name: str = "g",
) -> list[_Read]:
    """Worker thread: hash a group's files, look them up and read those to load, all at once
    with the adapter's ``read_many`` (with ``native``, street files are left to the writer)."""
    out: list[_Read] = []
    for path, adapter in group:
        if isinstance(adapter, VrkitError):
            out.append((path, adapter, None))
            continue
        try:
            sha = sha256_file(path)
        except VrkitError as exc:
            out.append((path, exc, None))
            continue
        row = reader.execute(
            "SELECT dataset_id FROM dataset WHERE source_kind=? AND sha256=?", [adapter.kind, sha]
        ).fetchone()
        out.append((path, _Job(path, adapter, sha, int(row[0]) if row else None), None))
    todo = [
        k for k, (_, job, _) in enumerate(out) if isinstance(job, _Job) and job.needs_read(force)
    ]
    if todo:
        first = out[todo[0]][1]
        assert isinstance(first, _Job)
        paths = [out[k][0] for k in todo]
        if native and first.kind == _NATIVE_KIND:
            staged = _stage_group(first.adapter, paths, reader, name)
            if staged is not None:
                for k in todo:
                    out[k] = (out[k][0], out[k][1], staged)
                return out
        frames = _read_many(first.adapter, paths)
        for k, fr in zip(todo, frames, strict=True):
            out[k] = (out[k][0], out[k][1], fr)
    return out


def _stage_group(
    adapter: SourceAdapter, paths: list[Path], reader: duckdb.DuckDBPyConnection, name: str
) -> _Staged | None:
    """Worker thread: stage a group of street files for the native path (None: read them as
    before)."""
    try:
        stage = street_native.stage_street(reader, paths, name)
    except (duckdb.Error, VrkitError):
        return None
    left = _read_many(adapter, [paths[k] for k in stage.left]) if stage.left else []
    return _Staged(paths, stage, dict(zip(stage.left, left, strict=True)))


def _read_many(adapter: SourceAdapter, paths: list[Path]) -> list[SourceFrames | VrkitError]:
    """``adapter.read_many(paths)``; a bug in a batch reader reads the files one by one to
    isolate it."""
    try:
        return adapter.read_many(paths)
    except Exception:
        return [_guarded_read(adapter, p) for p in paths]


def _guarded_read(adapter: SourceAdapter, path: Path) -> SourceFrames | VrkitError:
    """``adapter.read(path)``, or the error it raised as a per-file result.

    Adapters turn every problem of the input into a :class:`VrkitError`; anything else is a bug
    in vrkit, reported as such for this file instead of stopping the files after it.
    """
    try:
        return adapter.read(path)
    except VrkitError as exc:
        return exc
    except Exception as exc:
        return _bug(path, exc)


def _bug(path: Path, exc: Exception) -> SourceError:
    return SourceError(
        path,
        f"could not be read because of an unexpected {type(exc).__name__} (a bug in vrkit; "
        "please report it with this message)",
    )


def _estimated_rows(path: Path) -> int:
    """Rough data rows of a file from its size (about 200 bytes a police.uk row; compressed
    files about 5 times that), used only to size the groups written in one transaction."""
    try:
        size = path.stat().st_size
    except OSError:
        return 0
    return size // 200 * (5 if path.name.lower().endswith((".gz", ".zip")) else 1)


def _python_values(s: pd.Series) -> list[Any]:
    """A column as Python values (dates for timestamps, ``None`` for missing), vectorised: a
    per-cell ``pd.isna`` made loading 800,000 indicator values take tens of seconds."""
    missing = s.isna().to_numpy()
    values = s.dt.date.tolist() if pd.api.types.is_datetime64_any_dtype(s) else s.tolist()
    if s.dtype != object:  # numbers, strings and dates come out of tolist() as Python values
        return (
            [None if m else v for v, m in zip(values, missing, strict=True)]
            if (missing.any())
            else values
        )
    return [
        None
        if m
        else (
            v.to_pydatetime().date()
            if isinstance(v, pd.Timestamp)
            else v.item()
            if isinstance(v, np.generic)
            else v
        )
        for v, m in zip(values, missing, strict=True)
    ]


def _key_tuples(table: str, frame: pd.DataFrame | pa.Table) -> set[tuple[Any, ...]]:
    """Distinct values of the table's REPLACE_KEYS in an incoming frame (as Python values)."""
    key = REPLACE_KEYS.get(table)
    if not key:
        return set()
    if isinstance(frame, pa.Table):
        distinct = frame.select(list(key)).group_by(list(key)).aggregate([])
        cols = [distinct.column(k).to_pylist() for k in key]
    else:
        distinct_df = frame[list(key)].drop_duplicates()
        cols = [_python_values(distinct_df[k]) for k in key]
    return set(zip(*cols, strict=True))


def _with_dataset_id(frame: pd.DataFrame | pa.Table, dataset_id: int) -> pd.DataFrame | pa.Table:
    """A copy of ``frame`` with ``dataset_id`` as its first column."""
    if isinstance(frame, pa.Table):
        return frame.add_column(
            0, "dataset_id", pa.array(np.full(frame.num_rows, dataset_id, dtype=np.int32))
        )
    out = frame.copy()
    out.insert(0, "dataset_id", dataset_id)
    return out


#: DuckDB's messages when another process holds the file's lock
_LOCK_MARKERS = ("could not set lock", "conflicting lock")


def wait_marker(path: str | Path) -> Path:
    """The file a process waiting for the warehouse lock creates beside it (``<store>.wait``),
    so that a long-running reader (the portal) lets go of the file between requests."""
    return Path(f"{path}.wait")


def _stderr_notice(message: str) -> None:
    import sys

    print(message, file=sys.stderr, flush=True)


def connect_waiting(
    path: str,
    *,
    read_only: bool,
    config: dict[str, Any],
    wait: float,
    on_wait: Callable[[str], None] | None = None,
    poll: float = 0.2,
) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file, waiting while another process holds its lock.

    The sharing rule (docs/architecture.md, "Sharing the warehouse"): one writer at a time.
    DuckDB locks the file per process: a writer excludes every other process, readers exclude a
    writer. Instead of failing, this waits up to ``wait`` seconds (``VRKIT_LOCK_WAIT``),
    polling every ``poll`` seconds, and says so once through ``on_wait`` (default: a line on
    standard error naming the holder's pid when DuckDB gives it). While waiting it keeps a
    ``<store>.wait`` marker beside the file; the portal checks for the marker before each read
    and closes its read connection so the waiting process gets its turn. After ``wait`` seconds
    it raises :class:`StorageError` with what holds the lock.
    """
    import os
    import time

    deadline = time.monotonic() + max(wait, 0.0)
    marker: Path | None = None
    told = False
    try:
        while True:
            try:
                return duckdb.connect(path, read_only=read_only, config=config)
            except duckdb.Error as exc:
                text = str(exc)
                if not any(m in text.lower() for m in _LOCK_MARKERS):
                    raise StorageError(
                        f"cannot open warehouse {path}: {text}", hint=_open_hint(text)
                    ) from exc
                holder = re.search(r"PID (\d+)", text)
                who = f"process {holder.group(1)}" if holder else "another process"
                if time.monotonic() >= deadline:
                    raise StorageError(
                        f"the warehouse {path} is still in use by {who} after waiting {wait:.0f} s",
                        hint="A load (vrkit ingest, or the portal's job queue) is running; "
                        "try again when it ends, or raise VRKIT_LOCK_WAIT.",
                    ) from exc
                if marker is None and path != ":memory:":
                    marker = wait_marker(path)
                    with contextlib.suppress(OSError):
                        marker.write_text(f"{os.getpid()} {'read' if read_only else 'write'}\n")
                if not told:
                    (on_wait or _stderr_notice)(
                        f"vrkit: the warehouse {path} is in use by {who} (a load or the "
                        f"portal); waiting for it (up to {wait:.0f} s)…"
                    )
                    told = True
                time.sleep(poll)
    finally:
        if marker is not None:
            with contextlib.suppress(OSError):
                marker.unlink()


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
    wait : float, optional
        Seconds to wait while another process holds the file's lock (default
        ``VRKIT_LOCK_WAIT``); see :func:`connect_waiting`. Nobody sees a lock error before.
    on_wait : callable, optional
        Told once, with a sentence, that the open is waiting (default: standard error).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        settings: Settings | None = None,
        wait: float | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self.path = str(path if path is not None else self.settings.store)
        if self.path != ":memory:":
            check_store_path(Path(self.path), read_only=read_only)
        config = {
            "threads": self.settings.threads,
            "memory_limit": self.settings.memory_limit,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
        self.con = connect_waiting(
            self.path,
            read_only=read_only,
            config=config,
            wait=self.settings.lock_wait if wait is None else wait,
            on_wait=on_wait,
        )
        # DuckDB draws a progress bar on stdout for long queries; stdout carries CSV and JSON
        self.con.execute("SET enable_progress_bar = false")
        self._spatial = False
        self.read_only = read_only
        #: rows of record-level files written per transaction by :meth:`ingest_many`
        self.batch_rows = 1_000_000
        #: read the next group of files while one is written (see :meth:`ingest_many`)
        self.read_ahead = True
        #: write street files straight from a DuckDB scan in this connection, with the Python
        #: reader only for files that fail a rule (see :mod:`vrkit.store.street_native`)
        self.native_street = True
        try:
            if not read_only:
                # Commits append to the write-ahead log; the data file is checkpointed on close
                # or when the log passes this size, not after every small file (DuckDB's default
                # 16 MB made each per-file commit rewrite table blocks). Durability is
                # unchanged: a committed load survives a crash through the log.
                self.con.execute("SET checkpoint_threshold = '1GB'")
                if not self._is_empty():
                    # refuse someone else's database or an older warehouse BEFORE writing to
                    # it: creating the tables first would add vrkit's tables to a file that is
                    # then refused
                    self._check_version()
                self._ensure_schema()
            self._check_version()
        except BaseException:
            # a refused file (wrong schema version, not a vrkit warehouse) must not stay open:
            # DuckDB would refuse the next open of it in this process with another config
            self.con.close()
            raise

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

    def _is_empty(self) -> bool:
        """True when the database file holds no table or view at all (a new warehouse)."""
        row = self.con.execute(
            """SELECT count(*) FROM information_schema.tables
               WHERE table_catalog = current_database()"""
        ).fetchone()
        return row is None or int(row[0]) == 0

    def _ensure_schema(self) -> None:
        """Create every table, index and the schema version, in one transaction."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            for name, cols in TABLES.items():
                self.con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
            for ddl in INDEXES:
                self.con.execute(ddl)
            self.con.execute(
                "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                [str(SCHEMA_VERSION)],
            )
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def _check_version(self) -> None:
        try:
            row = self.con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except duckdb.CatalogException as exc:
            raise StorageError(f"{self.path} is not a vrkit warehouse") from exc
        if row is None or int(row[0]) != SCHEMA_VERSION:
            have = int(row[0]) if row and str(row[0]).isdigit() else None
            changes = [v for k, v in SCHEMA_CHANGES.items() if have is not None and have < k]
            raise StorageError(
                f"{self.path} has schema version {row[0] if row else '?'}; "
                f"this vrkit expects {SCHEMA_VERSION}"
                + (f" ({'; '.join(changes)})" if changes else ""),
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

    def dataset_with_sha(self, source_kind: str, sha256: str) -> int | None:
        """The dataset id registered for ``source_kind`` with these bytes (SHA-256), or None."""
        row = self.con.execute(
            "SELECT dataset_id FROM dataset WHERE source_kind = ? AND sha256 = ?",
            [source_kind, sha256],
        ).fetchone()
        return int(row[0]) if row else None

    # -- loading -------------------------------------------------------------------------------

    def ingest(
        self, path: str | Path, *, force: bool = False, adapter: SourceAdapter | None = None
    ) -> IngestResult:
        """Detect, read and load one file in one transaction.

        ``adapter`` reads the file with that adapter instead of the detected one (an adapter
        option, e.g. ``DfeExclusionsSchoolsAdapter()`` for the school-level exclusion rows).

        A data.police.uk download zip that holds several kinds (street, outcomes,
        stop-and-search) is loaded here as its first kind only; :meth:`ingest_many` (what
        ``vrkit ingest`` runs) loads every kind it holds.

        Loading a file already registered (same source kind and SHA-256) changes nothing and
        returns status ``"unchanged"``, unless ``force`` (re-read and replace it).
        """
        job = self._prepare(Path(path), force, adapter)
        if not job.needs_read(force):
            return job.result(int(job.existing or 0), "unchanged", None)
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

        Consecutive record-level files of one kind (e.g. monthly police.uk files) form groups
        of about :attr:`batch_rows` rows (estimated from file sizes). A worker thread hashes a
        group's files and parses those not yet loaded with the adapter's
        :meth:`~vrkit.sources.base.SourceAdapter.read_many` (police.uk: one DuckDB query for the
        whole group) while the previous group is written; each group is written in one
        transaction. Every file is still its own dataset and is stored whole or not at all; if
        a group fails to load, its files are loaded one by one so the error names the file.
        Plain street files take the native path (:mod:`vrkit.store.street_native`: scanned
        and validated in this connection, written from the scan, the Python reader only for
        files that fail a rule; :attr:`native_street`). Aggregate files are read and loaded one
        per transaction. Results and ``on_file`` calls
        come in input order; an error in one file never affects the others. A file listed
        twice is loaded once (the second is ``"unchanged"``).
        """
        from concurrent.futures import Future, ThreadPoolExecutor

        results: list[IngestResult | VrkitError] = []
        groups = self._groups([Path(p) for p in paths])
        seen: dict[tuple[str, str], int] = {}  # (kind, sha256) -> dataset id, this run
        reader = self.con.cursor()  # the worker's own connection: look-ups and native scans
        native = self.native_street and not stop_on_error
        if native:
            reader.execute("SET enable_progress_bar = false")
            street_native.attach_stage(self.con)
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vrkit-read") as pool:
                futures: list[Future[list[_Read]]] = []

                def submit(g: int) -> None:
                    if g < len(groups) and g == len(futures):
                        futures.append(
                            pool.submit(
                                _read_group,
                                groups[g],
                                force,
                                reader,
                                native,
                                f"g{g}",
                            )
                        )

                for g in range(len(groups)):
                    submit(g)
                    if self.read_ahead:
                        submit(g + 1)  # read the next group while this one is written
                    done = self._load_group(futures[g].result(), seen, stop_on_error)
                    for path, res in done:
                        results.append(res)
                        if on_file:
                            on_file(path, res)
                    if stop_on_error and any(isinstance(r, VrkitError) for _, r in done):
                        for f in futures[g + 1 :]:
                            f.cancel()
                        break
        finally:
            reader.close()
        return results

    def _groups(self, paths: list[Path]) -> list[list[tuple[Path, SourceAdapter | VrkitError]]]:
        """Detect each file's format (header only) and group consecutive record-level files of
        one kind up to about :attr:`batch_rows` rows; anything else is a group of one."""
        groups: list[list[tuple[Path, SourceAdapter | VrkitError]]] = []
        rows = 0
        open_kind: str | None = None  # kind of the last group if more files may join it
        entries: list[tuple[Path, SourceAdapter | VrkitError]] = []
        for path in paths:
            try:
                # a police.uk download zip yields one entry per kind it holds
                entries.extend((path, a) for a in detect_adapters(path))
            except VrkitError as exc:
                entries.append((path, exc))
            except Exception as exc:  # a bug in detection: this file fails, the others load
                entries.append((path, _bug(path, exc)))
        for path, adapter in entries:
            est = _estimated_rows(path)
            if (
                isinstance(adapter, SourceAdapter)
                and adapter.kind == open_kind
                and rows + est <= self.batch_rows
            ):
                groups[-1].append((path, adapter))
                rows += est
                continue
            groups.append([(path, adapter)])
            rows = est
            open_kind = (
                adapter.kind
                if isinstance(adapter, SourceAdapter) and adapter.record_level
                else None
            )
        return groups

    def _load_group(
        self,
        items: list[_Read],
        seen: dict[tuple[str, str], int],
        stop_on_error: bool,
    ) -> list[tuple[Path, IngestResult | VrkitError]]:
        """Write a group's files (record-level: one transaction); results in input order.

        With ``stop_on_error``, nothing after the first error is written or reported.
        """
        out: list[IngestResult | VrkitError | None] = [None] * len(items)
        todo: list[tuple[int, _Job, Any]] = []  # frames, or a _Staged group (native path)
        first: dict[tuple[str, str], int] = {}  # (kind, sha) -> position of its first file
        stop = len(items)
        for i, (_path, job, res) in enumerate(items):
            error = job if isinstance(job, VrkitError) else res
            if isinstance(error, VrkitError):
                out[i] = error
                if stop_on_error:
                    stop = i + 1
                    break
                continue
            assert isinstance(job, _Job) and not isinstance(res, VrkitError)
            key = (job.kind, job.sha)
            if key in seen:  # the same bytes earlier in this run: loaded once
                out[i] = job.result(seen[key], "unchanged", None)
            elif key in first:
                continue  # resolved below, once the first copy is written
            elif res is None:
                out[i] = job.result(int(job.existing or 0), "unchanged", None)
                seen[key] = int(job.existing or 0)
            else:
                todo.append((i, job, res))
                first[key] = i
        if todo and isinstance(todo[0][2], _Staged):
            native = self._load_native([(i, job) for i, job, _ in todo], todo[0][2])
            if native is not None:
                for i, done in native.items():
                    out[i] = done
                todo = []
            else:  # the native path could not take this group: read it as before
                jobs = [job for _, job, _ in todo]
                frames = _read_many(jobs[0].adapter, [job.path for job in jobs])
                todo_read: list[tuple[int, _Job, SourceFrames]] = []
                for (i, job, _), fr in zip(todo, frames, strict=True):
                    if isinstance(fr, VrkitError):
                        out[i] = fr
                    else:
                        todo_read.append((i, job, fr))
                todo = todo_read
        if todo and todo[0][1].adapter.record_level:
            try:
                ids = self.load_many([(fr, job.sha, job.existing) for _, job, fr in todo])
            except (VrkitError, duckdb.Error):
                pass  # isolate the failing file: write the group's files one by one
            else:
                for (i, job, fr), did in zip(todo, ids, strict=True):
                    out[i] = job.result(did, "loaded", fr.report)
                todo = []
        for i, job, fr in todo:
            try:
                out[i] = self._finish(job, fr)
            except VrkitError as exc:
                exc.file_label = exc.file_label or job.label or None
                out[i] = exc
                if stop_on_error:
                    stop = min(stop, i + 1)
                    break
        for i, (_, job, _) in enumerate(items[:stop]):
            if isinstance(job, _Job):
                key = (job.kind, job.sha)
                got = out[i]
                if isinstance(got, IngestResult) and got.status == "loaded":
                    seen[key] = got.dataset_id
                elif got is None and key in first:
                    earlier = out[first[key]]
                    out[i] = (
                        job.result(earlier.dataset_id, "unchanged", None)
                        if isinstance(earlier, IngestResult)
                        else earlier
                    )
        return [(items[i][0], r) for i, r in enumerate(out[:stop]) if r is not None]

    def _load_native(
        self, todo: list[tuple[int, _Job]], staged: _Staged
    ) -> dict[int, IngestResult | VrkitError] | None:
        """Write a group of street files staged for the native path (one transaction); results
        by position, or None when the group must be read and written as before.

        Files the staged scan takes whole are inserted from it; the others, already read by
        the Python reader, are written in the same transaction. When two files' keys (force,
        month) meet, the later file must replace the earlier: the group then goes the ordinary
        way, which orders such writes.
        """
        stage = staged.stage
        # stage position of each file to write (a file repeated in the group, or whose bytes
        # were loaded earlier in this run, is staged but not written)
        where: dict[Path, int] = {}
        for k, p in enumerate(staged.paths):
            where.setdefault(p, k)
        at = {where[job.path]: (i, job) for i, job in todo}
        if len(at) != len(todo):
            with contextlib.suppress(duckdb.Error):
                street_native.drop_stage(self.con, stage.table)
            return None
        jobs = {k: job for k, (_, job) in at.items()}
        try:
            results: dict[int, IngestResult | VrkitError] = {}
            frames: dict[int, SourceFrames] = {}
            for k, fr in staged.frames.items():
                if k not in at:
                    continue
                if isinstance(fr, VrkitError):
                    results[at[k][0]] = fr
                else:
                    frames[k] = fr
            native = {k: r for k, r in stage.reports.items() if k in at}
            native_keys = {k: stage.keys.get(k, set()) for k in native}
            seen: set[tuple[Any, ...]] = set()
            for keys in [
                *native_keys.values(),
                *(_key_tuples("crime_record", f.tables["crime_record"]) for f in frames.values()),
            ]:
                if keys & seen:
                    return None
                seen |= keys
            loaded = sorted([*native, *frames])
            what = "this file" if len(loaded) == 1 else f"these {len(loaded)} files"
            with self.transaction(what):
                next_id = self._next_dataset_id()
                ids = {k: next_id + n for n, k in enumerate(loaded)}
                for k in loaded:
                    if jobs[k].existing is not None:
                        self._drop_dataset(int(jobs[k].existing or 0))
                self._delete_keys("crime_record", set().union(*native_keys.values()))
                street_native.insert_staged(self.con, stage, {k: ids[k] for k in native})
                self._write_frames(
                    [(ids[k], frames[k], jobs[k].sha) for k in sorted(frames)],
                    [(ids[k], native[k], jobs[k].sha) for k in native],
                )
        except (duckdb.Error, VrkitError):
            return None
        finally:
            with contextlib.suppress(duckdb.Error):
                street_native.drop_stage(self.con, stage.table)
        for k in loaded:
            report = native[k] if k in native else frames[k].report
            results[at[k][0]] = jobs[k].result(ids[k], "loaded", report)
        return results

    def _prepare(self, path: Path, force: bool, adapter: SourceAdapter | None = None) -> _Job:
        if adapter is None:
            adapter = detect_adapter(path)
        elif not path.exists():
            raise SourceError(path, "no such file")
        sha = sha256_file(path)
        row = self.con.execute(
            "SELECT dataset_id FROM dataset WHERE source_kind=? AND sha256=?", [adapter.kind, sha]
        ).fetchone()
        return _Job(path, adapter, sha, int(row[0]) if row else None)

    def _finish(self, job: _Job, frames: SourceFrames) -> IngestResult:
        dataset_id = self.load(frames, sha256=job.sha, replace_dataset=job.existing)
        return job.result(dataset_id, "loaded", frames.report)

    def load(
        self, frames: SourceFrames, *, sha256: str | None = None, replace_dataset: int | None = None
    ) -> int:
        """Write ``frames`` in one transaction and register the dataset; return its id."""
        return self.load_many([(frames, sha256, replace_dataset)])[0]

    def load_many(self, items: Sequence[tuple[SourceFrames, str | None, int | None]]) -> list[int]:
        """Write several files in ONE transaction; each file is registered as its own dataset.

        ``items`` are ``(frames, sha256, dataset id it replaces)``. Either every file of the
        batch is stored or none is, so no file is ever half-loaded. Rows are staged per table
        and written with one delete (of the rows the batch replaces) and one insert per table,
        which is many times faster than a few statements and a commit per small file. A later
        file in the batch still replaces an earlier one with the same key: on overlap the
        staged rows are written first and then replaced.
        """
        what = "this file" if len(items) == 1 else f"these {len(items)} files"
        with self.transaction(what):
            next_id = self._next_dataset_id()
            for _, _, replace in items:
                if replace is not None:
                    self._drop_dataset(replace)
            ids = list(range(next_id, next_id + len(items)))
            self._write_frames([(d, fr, sha) for d, (fr, sha, _) in zip(ids, items, strict=True)])
        return ids

    def _next_dataset_id(self) -> int:
        row = self.con.execute("SELECT coalesce(max(dataset_id), 0) + 1 FROM dataset").fetchone()
        return int(row[0]) if row else 1

    def _write_frames(
        self,
        items: Sequence[tuple[int, SourceFrames, str | None]],
        extra_registry: Sequence[tuple[int, LoadReport, str]] = (),
    ) -> None:
        """Register and write ``(dataset id, frames, sha256)`` inside the caller's transaction
        (``extra_registry``: datasets whose rows the caller writes itself)."""
        registry: list[tuple[int, LoadReport, str]] = list(extra_registry)
        staged: dict[str, list[pd.DataFrame | pa.Table]] = {}
        pending: dict[str, set[tuple[Any, ...]]] = {}
        rebuild: set[str] = set()
        for dataset_id, frames, sha in items:
            rep = frames.report
            registry.append((dataset_id, rep, sha or sha256_file(rep.path)))
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
                keys = _key_tuples(table, frame)
                if keys & pending.get(table, set()):
                    # an earlier file of this batch has rows this file replaces
                    self._write_table(table, pending.pop(table), staged.pop(table, []))
                pending.setdefault(table, set()).update(keys)
                staged.setdefault(table, []).append(_with_dataset_id(frame, dataset_id))
            if "crime_count_release" in frames.tables:
                rebuild.add(rep.source_kind)
        registry.sort(key=lambda r: r[0])
        self._register_datasets(registry)
        for table in list(staged):
            self._write_table(table, pending.pop(table, set()), staged.pop(table))
        for kind in sorted(rebuild):
            self._rebuild_crime_count(kind)

    @contextlib.contextmanager
    def transaction(self, what: str = "this load") -> Iterator[None]:
        """Run the ``with`` block in one transaction: committed whole, or rolled back whole.

        A storage failure (disk full, a file size limit, an invalidated database) at any point,
        the commit included, becomes a :class:`StorageError` that says nothing of ``what`` was
        stored; the original DuckDB error is never masked by a failing rollback.
        """
        con = self.con
        try:
            con.execute("BEGIN TRANSACTION")
        except duckdb.Error as exc:
            raise self._write_error(exc, what) from exc
        try:
            yield
            con.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):  # DuckDB may have rolled back already
                con.execute("ROLLBACK")
            if isinstance(exc, duckdb.Error):
                raise self._write_error(exc, what) from exc
            raise

    def _write_error(self, exc: duckdb.Error, what: str) -> StorageError:
        text = str(exc)
        low = text.lower()
        if any(
            k in low for k in ("no space left", "file too large", "disk quota", "could not write")
        ):
            hint = "Free disk space (or choose another warehouse with --store) and run it again."
        elif "invalidated" in low:
            hint = (
                "An earlier write failed; the warehouse holds everything committed before it. "
                "Run the command again to load the rest."
            )
        elif "read-only" in low or "read only" in low:
            hint = "The warehouse was opened read-only."
        else:
            hint = None
        return StorageError(
            f"cannot write to warehouse {self.path}: {text.splitlines()[0] if text else type(exc).__name__}; "
            f"nothing from {what} was stored",
            hint=hint,
        )

    def _register_datasets(self, registry: list[tuple[int, LoadReport, str]]) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = pd.DataFrame(
            {
                "dataset_id": [d for d, _, _ in registry],
                "source_kind": [r.source_kind for _, r, _ in registry],
                "file_name": [r.file_name for _, r, _ in registry],
                "file_path": [r.file_path for _, r, _ in registry],
                "sha256": [sha for _, _, sha in registry],
                "rows_read": [r.rows_read for _, r, _ in registry],
                "rows_loaded": [r.rows_loaded for _, r, _ in registry],
                "rows_rejected": [r.rows_rejected for _, r, _ in registry],
                "covers_from": [r.covers_from for _, r, _ in registry],
                "covers_to": [r.covers_to for _, r, _ in registry],
                "loaded_at": [now] * len(registry),
                "vrkit_version": [__version__] * len(registry),
                "exclusions": [list(r.exclusions) for _, r, _ in registry],
                "notes": [list(r.notes) for _, r, _ in registry],
            }
        )
        self.con.register("_datasets", rows)
        try:
            self.con.execute(
                """INSERT INTO dataset SELECT dataset_id, source_kind, file_name, file_path, sha256,
                       rows_read, rows_loaded, rows_rejected, covers_from::DATE, covers_to::DATE,
                       loaded_at, vrkit_version, exclusions::VARCHAR[], notes::VARCHAR[]
                   FROM _datasets"""
            )
        finally:
            self.con.unregister("_datasets")
        rejected = [(d, r) for d, rep, _ in registry for r in rep.rejections]
        if rejected:
            rej = pd.DataFrame(
                {
                    "dataset_id": [d for d, _ in rejected],
                    "row_number": [r.row_number for _, r in rejected],
                    "column": [r.column for _, r in rejected],
                    "reason": [r.reason for _, r in rejected],
                    "raw": [r.raw for _, r in rejected],
                }
            )
            self._insert("rejection", rej, None)

    def _write_table(
        self, table: str, keys: set[tuple[Any, ...]], parts: list[pd.DataFrame | pa.Table]
    ) -> None:
        """Delete the stored rows these keys replace, then insert the staged parts."""
        self._delete_keys(table, keys)
        if not parts:
            return
        if all(isinstance(p, pa.Table) for p in parts):
            tables = [p for p in parts if isinstance(p, pa.Table)]
            self._insert(table, pa.concat_tables(tables, promote_options="default"), None)
        elif all(isinstance(p, pd.DataFrame) for p in parts):
            frames = [p for p in parts if isinstance(p, pd.DataFrame)]
            self._insert(table, frames[0] if len(frames) == 1 else pd.concat(frames), None)
        else:
            for p in parts:
                self._insert(table, p, None)

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
        order = ""
        if table in CLUSTER_KEYS:
            order = " ORDER BY " + ", ".join(f'"{c}"' for c in CLUSTER_KEYS[table])
        self.con.register("_incoming", frame)
        try:
            col_sql = ", ".join(f'"{c}"' for c in cols)
            if dataset_id is None:
                self.con.execute(
                    f"INSERT INTO {table} ({col_sql}) SELECT {col_sql} FROM _incoming{order}"
                )
            else:
                self.con.execute(
                    f"INSERT INTO {table} (dataset_id, {col_sql}) "
                    f"SELECT {dataset_id}, {col_sql} FROM _incoming{order}"
                )
        finally:
            self.con.unregister("_incoming")

    def _delete_keys(self, table: str, keys: set[tuple[Any, ...]]) -> None:
        """Delete stored rows whose REPLACE_KEYS values are in ``keys`` (a newer release wins).

        With few distinct keys (the usual case, e.g. one force and month per file) the condition
        is a list of constants, so DuckDB skips row groups by their min/max instead of joining
        the whole table; otherwise a semi-join on the keys.
        """
        key = REPLACE_KEYS.get(table)
        if not key or not keys:
            return
        if len(keys) <= 64:
            conds = []
            params: list[Any] = []
            for tup in keys:
                conds.append("(" + " AND ".join(f'"{k}" IS NOT DISTINCT FROM ?' for k in key) + ")")
                params.extend(tup)
            self.con.execute(f"DELETE FROM {table} WHERE {' OR '.join(conds)}", params)
            return
        frame = pd.DataFrame.from_records(list(keys), columns=list(key))
        self.con.register("_keys", frame)
        try:
            cond = " AND ".join(f't."{k}" IS NOT DISTINCT FROM i."{k}"' for k in key)
            self.con.execute(
                f"DELETE FROM {table} t WHERE EXISTS (SELECT 1 FROM _keys i WHERE {cond})"
            )
        finally:
            self.con.unregister("_keys")

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

"""The DuckDB warehouse: atomic, idempotent loads, a dataset registry and a quality review.

Every file loads in one transaction (``BEGIN`` … ``COMMIT``): a failure or a killed process
leaves the warehouse exactly as before. Loading a file whose bytes (SHA-256) are already
registered for the same source kind changes nothing. A newer release of a source replaces the
older one for the keys it covers (:data:`vrkit.store.schema.REPLACE_KEYS`; for MPS counts, the
newest release covering a (scope, month) wins, see :meth:`Warehouse._rebuild_crime_count`).
"""

from __future__ import annotations

import importlib.resources as ilr
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from vrkit._version import __version__
from vrkit.config import Settings, get_settings
from vrkit.errors import StorageError, VrkitError
from vrkit.sources.base import LoadReport, SourceFrames, sha256_file
from vrkit.sources.registry import detect_adapter
from vrkit.store.schema import REPLACE_KEYS, SCHEMA_VERSION, TABLES


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
        if not read_only:
            self._ensure_schema()
        self._check_version()

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_schema(self) -> None:
        for name, cols in TABLES.items():
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
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
        p = Path(path)
        adapter = detect_adapter(p)
        sha = sha256_file(p)
        existing = self.con.execute(
            "SELECT dataset_id FROM dataset WHERE source_kind=? AND sha256=?", [adapter.kind, sha]
        ).fetchone()
        if existing and not force:
            return IngestResult(p, adapter.kind, int(existing[0]), "unchanged", None)
        frames = adapter.read(p)
        dataset_id = self.load(
            frames, sha256=sha, replace_dataset=existing[0] if existing else None
        )
        return IngestResult(p, adapter.kind, dataset_id, "loaded", frames.report)

    def ingest_many(
        self,
        paths: Iterable[Path],
        *,
        force: bool = False,
        on_file: Callable[[Path, IngestResult | VrkitError], None] | None = None,
        stop_on_error: bool = True,
    ) -> list[IngestResult | VrkitError]:
        """Ingest files one by one (each atomic); call ``on_file`` after each."""
        results: list[IngestResult | VrkitError] = []
        for p in paths:
            try:
                res: IngestResult | VrkitError = self.ingest(p, force=force)
            except VrkitError as exc:
                res = exc
            results.append(res)
            if on_file:
                on_file(p, res)
            if isinstance(res, VrkitError) and stop_on_error:
                break
        return results

    def load(
        self, frames: SourceFrames, *, sha256: str | None = None, replace_dataset: int | None = None
    ) -> int:
        """Write ``frames`` in one transaction and register the dataset; return its id."""
        rep = frames.report
        sha = sha256 or sha256_file(rep.path)
        con = self.con
        con.execute("BEGIN TRANSACTION")
        try:
            if replace_dataset is not None:
                self._drop_dataset(replace_dataset)
            (next_id,) = con.execute(
                "SELECT coalesce(max(dataset_id), 0) + 1 FROM dataset"
            ).fetchone() or (1,)
            dataset_id = int(next_id)
            con.execute(
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
            for table, frame in frames.tables.items():
                if table not in TABLES or table in ("dataset", "rejection", "meta", "crime_count"):
                    raise StorageError(
                        f"adapter {rep.source_kind} returned unknown table {table!r}"
                    )
                self._replace_rows(table, frame, dataset_id)
            if "crime_count_release" in frames.tables:
                self._rebuild_crime_count(rep.source_kind)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return dataset_id

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

    def _replace_rows(self, table: str, frame: pd.DataFrame | pa.Table, dataset_id: int) -> None:
        key = REPLACE_KEYS.get(table)
        if key:
            self.con.register("_incoming", frame)
            try:
                cond = " AND ".join(f't."{k}" IS NOT DISTINCT FROM i."{k}"' for k in key)
                # Constant pre-filters on each key column (implied by the EXISTS below, so the
                # rows deleted are the same) let DuckDB skip row groups by their min/max
                # instead of joining the whole table: large tables load in near-constant time.
                pre: list[str] = []
                params: list[Any] = []
                for k in key:
                    rows = self.con.execute(f'SELECT DISTINCT "{k}" FROM _incoming').fetchall()
                    values = [r[0] for r in rows]
                    if not values:  # nothing incoming: nothing to replace
                        break
                    non_null = [v for v in values if v is not None]
                    if len(values) > 64:
                        continue
                    alts = []
                    if non_null:
                        alts.append(f'"{k}" IN ({", ".join("?" for _ in non_null)})')
                        params.extend(non_null)
                    if len(non_null) < len(values):
                        alts.append(f'"{k}" IS NULL')
                    pre.append("(" + " OR ".join(alts) + ")")
                where = " AND ".join([*pre, ""]) if pre else ""
                self.con.execute(
                    f"DELETE FROM {table} t WHERE {where}EXISTS "
                    f"(SELECT 1 FROM (SELECT DISTINCT {', '.join(key)} FROM _incoming) i WHERE {cond})",
                    params,
                )
            finally:
                self.con.unregister("_incoming")
        self._insert(table, frame, dataset_id)

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

"""Bulk loading of many small ISTV submissions, with the semantics of :meth:`Warehouse.ingest`.

Ten years of London ISTV data are ~3,500 files of ~50 records. :meth:`Warehouse.ingest` spends
most of its time per file on transaction overhead (a commit with a write costs ~6 ms on a local
disk, and each load runs a dozen statements), about 80 ms a file. :func:`ingest_istv` validates
every file first (in memory, no store), then writes all the good ones in **one** transaction:

- a file already registered with the same bytes (SHA-256) changes nothing (``"unchanged"``);
- a file that fails validation writes nothing and is returned as its error, so it can never
  replace an earlier good submission;
- each good file is registered as its own dataset (``dataset`` row, rejections kept), exactly as
  :meth:`Warehouse.load` does;
- a (site, month) present in several files of the batch takes the rows of the last one in the
  given order (as sequential ingests would), and replaces what the warehouse held for it;
- a storage failure rolls the whole batch back, leaving the warehouse as before.

Non-ISTV files are passed to :meth:`Warehouse.ingest` one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from vrkit._version import __version__
from vrkit.errors import VrkitError
from vrkit.sources.base import SourceFrames, sha256_file
from vrkit.sources.istv import KIND, MARKER, IstvAdapter
from vrkit.sources.registry import detect_adapter
from vrkit.store.warehouse import IngestResult, Warehouse

_TABLES = ("istv_submission", "istv_attendance")


def ingest_istv(
    wh: Warehouse,
    paths: Iterable[str | Path],
    *,
    on_file: Callable[[Path, IngestResult | VrkitError], None] | None = None,
) -> list[IngestResult | VrkitError]:
    """Ingest files, loading all ISTV submissions among them in one transaction.

    Parameters
    ----------
    wh : Warehouse
        Open for writing.
    paths : iterable of paths
        Files in the order they should be applied (re-submissions after the originals).
    on_file : callable, optional
        Called with each path and its result (an :class:`IngestResult` or the error), in order.

    Returns
    -------
    list
        One :class:`IngestResult` or :class:`~vrkit.errors.VrkitError` per path, in order.
    """
    ordered = [Path(p) for p in paths]
    results: dict[int, IngestResult | VrkitError] = {}
    known = {
        str(r.sha256): int(r.dataset_id)
        for r in wh.query(
            "SELECT sha256, dataset_id FROM dataset WHERE source_kind = ?", [KIND]
        ).itertuples()
    }
    good: list[tuple[int, Path, str, SourceFrames]] = []
    seen_sha: dict[str, int] = {}
    for k, p in enumerate(ordered):
        try:
            adapter = _ISTV if _looks_istv(p) else detect_adapter(p)
            if not isinstance(adapter, IstvAdapter):
                results[k] = wh.ingest(p)
                continue
            sha = sha256_file(p)
            if sha in known:
                results[k] = IngestResult(p, KIND, known[sha], "unchanged", None)
                continue
            if sha in seen_sha:  # the same bytes twice in one batch
                results[k] = IngestResult(p, KIND, -1, "unchanged", None)
                continue
            seen_sha[sha] = k
            good.append((k, p, sha, adapter.read(p)))
        except VrkitError as exc:
            results[k] = exc
    if good:
        ids = _write(wh, good)
        for (k, p, _, frames), did in zip(good, ids, strict=True):
            results[k] = IngestResult(p, KIND, did, "loaded", frames.report)
    out = [results[k] for k in range(len(ordered))]
    if on_file:
        for p, r in zip(ordered, out, strict=True):
            on_file(p, r)
    return out


_ISTV = IstvAdapter()


def _looks_istv(path: Path) -> bool:
    """A plain CSV whose first line starts with the ISTV marker (skips generic detection)."""
    if path.suffix.lower() != ".csv":
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(32)
    except OSError:
        return False
    return head.lstrip(b"\xef\xbb\xbf").lower().startswith(MARKER.encode())


def _write(wh: Warehouse, good: list[tuple[int, Path, str, SourceFrames]]) -> list[int]:
    con = wh.con
    con.execute("BEGIN TRANSACTION")
    try:
        (first,) = con.execute(
            "SELECT coalesce(max(dataset_id), 0) + 1 FROM dataset"
        ).fetchone() or (1,)
        ids = [int(first) + i for i in range(len(good))]
        now = datetime.now(UTC).replace(tzinfo=None)
        reps = [f.report for _, _, _, f in good]
        datasets = pd.DataFrame(
            {
                "dataset_id": ids,
                "source_kind": KIND,
                "file_name": [r.path.name for r in reps],
                "file_path": [str(r.path.resolve()) for r in reps],
                "sha256": [sha for _, _, sha, _ in good],
                "rows_read": [r.rows_read for r in reps],
                "rows_loaded": [r.rows_loaded for r in reps],
                "rows_rejected": [r.rows_rejected for r in reps],
                "covers_from": [r.covers_from for r in reps],
                "covers_to": [r.covers_to for r in reps],
                "loaded_at": now,
                "vrkit_version": __version__,
                "exclusions": [list(r.exclusions) for r in reps],
                "notes": [list(r.notes) for r in reps],
            }
        )
        _insert(wh, "dataset", pa.Table.from_pandas(datasets, preserve_index=False))
        rej = [
            (did, j.row_number, j.column, j.reason, j.raw)
            for did, r in zip(ids, reps, strict=True)
            for j in r.rejections
        ]
        if rej:
            cols = list(zip(*rej, strict=True))
            _insert(
                wh,
                "rejection",
                pa.table(
                    {
                        "dataset_id": pa.array(cols[0], pa.int32()),
                        "row_number": pa.array(cols[1], pa.int64()),
                        "column": pa.array(cols[2], pa.string()),
                        "reason": pa.array(cols[3], pa.string()),
                        "raw": pa.array(cols[4], pa.string()),
                    }
                ),
            )
        # the last file of the batch wins for each (site, month)
        winner: dict[tuple[object, object], int] = {}
        for n, (_, _, _, f) in enumerate(good):
            sub = f.tables["istv_submission"]
            key = (sub.column("site_code")[0].as_py(), sub.column("month")[0].as_py())
            winner[key] = n
        for table in _TABLES:
            parts = []
            for n in sorted(winner.values()):
                t = good[n][3].tables[table]
                if not isinstance(t, pa.Table):
                    t = pa.Table.from_pandas(t, preserve_index=False)
                parts.append(t.add_column(0, "dataset_id", pa.array([ids[n]] * len(t), pa.int32())))
            incoming = pa.concat_tables(parts)
            keys = pa.table(
                {
                    "site_code": pa.array([k[0] for k in winner], pa.string()),
                    "month": pa.array([k[1] for k in winner], pa.date32()),
                }
            )
            con.register("_keys", keys)
            try:
                con.execute(
                    f"DELETE FROM {table} t USING _keys k "
                    "WHERE t.site_code = k.site_code AND t.month = k.month"
                )
            finally:
                con.unregister("_keys")
            _insert(wh, table, incoming)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return ids


def _insert(wh: Warehouse, table: str, frame: pa.Table) -> None:
    cols = ", ".join(f'"{c}"' for c in frame.column_names)
    wh.con.register("_incoming_health", frame)
    try:
        wh.con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM _incoming_health")
    finally:
        wh.con.unregister("_incoming_health")


# ----------------------------------------------------------------------------------------------
# Named queries


def istv_submissions(wh: Warehouse) -> pd.DataFrame:
    """Current ISTV submissions (one row per site and month)."""
    return wh.query("SELECT * FROM istv_submission ORDER BY site_code, month")


def istv_records(wh: Warehouse) -> pd.DataFrame:
    """Current ISTV attendances: only rows of the submission that currently holds their month.

    (A re-submission with no records replaces the submission row but not old attendance rows;
    this join leaves those out.)
    """
    return wh.query(
        """SELECT a.* FROM istv_attendance a
           JOIN istv_submission s USING (dataset_id, site_code, month)
           ORDER BY a.site_code, a.month, a.row_number"""
    )


def istv_quality(wh: Warehouse, **kwargs: object) -> pd.DataFrame:
    """Completeness review per department and month (:func:`vrkit.analysis.health.istv_completeness`).

    Keyword arguments are passed on (``until``, ``window``, ``min_history``, ``low_share``,
    ``quality_drop_points``).
    """
    from vrkit.analysis.health import istv_completeness

    return istv_completeness(istv_submissions(wh), istv_records(wh), **kwargs)  # type: ignore[arg-type]

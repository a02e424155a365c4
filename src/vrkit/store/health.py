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
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa

from vrkit._version import __version__
from vrkit.errors import VrkitError
from vrkit.sources.ambulance import INDICATOR_ID
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


# -- A&E and ambulance figures for reports -----------------------------------------------------------


def ae_monthly(wh: Warehouse, start: date, end: date) -> tuple[pd.DataFrame, bool, int]:
    """Current ISTV attendances per month: (``month, count``, synthetic?, department-months)."""
    df = wh.query(
        """SELECT a.month, count(*) AS count, bool_or(s.synthetic) AS synthetic,
                  count(DISTINCT s.site_code) AS sites
           FROM istv_attendance a JOIN istv_submission s USING (dataset_id, site_code, month)
           WHERE a.month BETWEEN ? AND ? GROUP BY a.month ORDER BY a.month""",
        [start, end],
    )
    syn = bool(df["synthetic"].any()) if len(df) else False
    return df[["month", "count"]], syn, int(df["sites"].sum()) if len(df) else 0


def ambulance_monthly(
    wh: Warehouse, start: date, end: date, borough: str | None
) -> tuple[pd.DataFrame, bool, int]:
    """Ambulance call-outs per month for London (every row) or a borough's LSOAs.

    Returns (``month, count``, synthetic?, call-outs on LSOAs not linked to any borough).
    """
    rows = wh.query(
        """SELECT v.period_start AS month, v.value AS count, v.area_code, v.dataset_id,
                  l.parent_code
           FROM indicator_value v
           LEFT JOIN (SELECT child_code, any_value(parent_code) AS parent_code FROM area_link
                      WHERE link_type = 'lsoa11_lad' GROUP BY 1) l ON l.child_code = v.area_code
           WHERE v.indicator_id = ? AND v.period_start BETWEEN ? AND ?""",
        [INDICATOR_ID, start, end],
    )
    syn = False
    if len(rows):
        ds = wh.query(
            """SELECT bool_or(list_contains(list_transform(notes, x -> x LIKE 'SYNTHETIC%'), true))
                      AS syn
               FROM dataset WHERE dataset_id IN (SELECT unnest(?))""",
            [sorted(int(i) for i in rows["dataset_id"].unique())],
        )
        syn = bool(ds["syn"].iloc[0])
        src = wh.query("SELECT source FROM indicator WHERE indicator_id = ?", [INDICATOR_ID])
        syn = syn or any("synthetic" in str(s).lower() for s in src["source"])
    unlinked = int(rows.loc[rows["parent_code"].isna(), "count"].sum()) if len(rows) else 0
    if borough is not None:
        rows = rows[rows["parent_code"] == borough]
    g = rows.groupby("month", as_index=False)["count"].sum()
    g["count"] = g["count"].round().astype("int64")
    return g, syn, unlinked


def ambulance_values(wh: Warehouse) -> int:
    """Rows of ambulance assault call-outs loaded (0: none)."""
    return int(
        wh.query(
            "SELECT count(*) AS n FROM indicator_value WHERE indicator_id = ?", [INDICATOR_ID]
        )["n"].iloc[0]
    )

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
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa

from vrkit.catalog.gazetteer import Gazetteer
from vrkit.errors import VrkitError
from vrkit.sources.ambulance import INDICATOR_ID
from vrkit.sources.base import SourceFrames, sha256_file
from vrkit.sources.istv import KIND, MARKER, IstvAdapter, file_label
from vrkit.sources.registry import detect_adapter
from vrkit.store.warehouse import IngestResult, Warehouse

_TABLES = ("istv_submission", "istv_attendance")


def ingest_istv(
    wh: Warehouse,
    paths: Iterable[str | Path],
    *,
    on_file: Callable[[Path, IngestResult | VrkitError], None] | None = None,
    gazetteer: Gazetteer | None = None,
    force: bool = False,
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
    gazetteer : Gazetteer, optional
        Places to match location descriptions against; default the ``gazetteer`` setting.
    force : bool, default False
        Re-read submissions already loaded (e.g. to match them against a new gazetteer).

    Returns
    -------
    list
        One :class:`IngestResult` or :class:`~vrkit.errors.VrkitError` per path, in order.
        Results and errors name ISTV files by their label, never by their file names.
    """
    ordered = [Path(p) for p in paths]
    results: dict[int, IngestResult | VrkitError] = {}
    known = {
        str(r.sha256): int(r.dataset_id)
        for r in wh.query(
            "SELECT sha256, dataset_id FROM dataset WHERE source_kind = ?", [KIND]
        ).itertuples()
    }
    adapter = IstvAdapter(gazetteer) if gazetteer is not None else _ISTV
    good: list[tuple[int, Path, str, SourceFrames]] = []
    seen_sha: dict[str, int] = {}
    for k, p in enumerate(ordered):
        try:
            found = adapter if _looks_istv(p) else detect_adapter(p)
            if not isinstance(found, IstvAdapter):
                results[k] = wh.ingest(p, force=force)
                continue
            sha = sha256_file(p)
            label = file_label(sha)
            if sha in known and not force:
                results[k] = IngestResult(p, KIND, known[sha], "unchanged", None, label)
                continue
            if sha in seen_sha:  # the same bytes twice in one batch
                results[k] = IngestResult(p, KIND, -1, "unchanged", None, label)
                continue
            seen_sha[sha] = k
            good.append((k, p, sha, adapter.read(p)))
        except VrkitError as exc:
            results[k] = exc
    if good:
        try:
            ids = _write(wh, good, replace=[known.get(sha) for _, _, sha, _ in good])
        except VrkitError as exc:
            for k, _, sha, _ in good:
                results[k] = exc
                exc.file_label = exc.file_label or file_label(sha)
        else:
            for (k, p, _, frames), did in zip(good, ids, strict=True):
                results[k] = IngestResult(
                    p, KIND, did, "loaded", frames.report, frames.report.file_name
                )
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
        if not path.is_file():
            return False
        with path.open("rb") as fh:
            head = fh.read(32)
    except OSError:
        return False
    return head.lstrip(b"\xef\xbb\xbf").lower().startswith(MARKER.encode())


def _write(
    wh: Warehouse,
    good: list[tuple[int, Path, str, SourceFrames]],
    *,
    replace: list[int | None],
) -> list[int]:
    con = wh.con
    what = "this file" if len(good) == 1 else f"these {len(good)} files"
    with wh.transaction(what):
        for old in {r for r in replace if r is not None}:
            con.execute("DELETE FROM rejection WHERE dataset_id = ?", [old])
            con.execute("DELETE FROM dataset WHERE dataset_id = ?", [old])
        (first,) = con.execute(
            "SELECT coalesce(max(dataset_id), 0) + 1 FROM dataset"
        ).fetchone() or (1,)
        ids = [int(first) + i for i in range(len(good))]
        wh._register_datasets(
            [(did, f.report, sha) for did, (_, _, sha, f) in zip(ids, good, strict=True)]
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


def istv_place_matches(wh: Warehouse) -> pd.DataFrame:
    """Gazetteer matches of the current attendances (made at ingest), with the gazetteer used.

    Columns ``site_code, month, place_name, place_easting, place_northing, place_area_code,
    place_confidence, gazetteer_sha256`` (the last ``NULL`` for submissions ingested without a
    gazetteer).
    """
    return wh.query(
        """SELECT a.site_code, a.month, a.place_name, a.place_easting, a.place_northing,
                  a.place_area_code, a.place_confidence, s.gazetteer_sha256
           FROM istv_attendance a
           JOIN istv_submission s USING (dataset_id, site_code, month)
           ORDER BY a.site_code, a.month, a.row_number"""
    )

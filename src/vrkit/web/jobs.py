"""The server's job queue: the one writer to the warehouse.

Jobs are rows of the operational ``job`` table (so they survive a restart: a job left
``running`` by a crash is queued again at start-up). One worker thread takes them in order and
runs each inside :meth:`vrkit.web.warehouse.WarehouseGate.write`. Kinds:

``istv_upload``
    validate and load an uploaded ISTV file (a revision replaces the department-month); the
    upload's row gets the validation result (rows read/loaded/rejected, rejections by row and
    field, never a value from the file).
``ingest``
    load files or folders (``vrkit ingest`` semantics), e.g. an administrator's refresh.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from vrkit.errors import DataValidationError, SourceError, VrkitError
from vrkit.ops.db import Database
from vrkit.ops.models import Job, Submission, utcnow
from vrkit.web import tasks
from vrkit.web.warehouse import WarehouseGate

log = logging.getLogger("vrkit.web.jobs")


def enqueue(db: Database, kind: str, payload: dict[str, Any], *, user_id: int | None) -> int:
    with db.session() as s:
        job = Job(
            kind=kind, payload=payload, status="queued", created_at=utcnow(), created_by=user_id
        )
        s.add(job)
        s.flush()
        return job.id


def error_result(exc: VrkitError) -> dict[str, Any]:
    """A validation error as shown to the submitter: rule, line and column, never the value."""
    out: dict[str, Any] = {
        "error": exc.message.split(": ", 1)[-1] if isinstance(exc, SourceError) else exc.message
    }
    if isinstance(exc, DataValidationError):
        out = {"error": exc.reason, "row": exc.row, "column": exc.column}
    if exc.hint:
        out["hint"] = exc.hint
    return out


class JobRunner:
    """One worker thread over the job table."""

    def __init__(self, db: Database, gate: WarehouseGate, upload_dir: Path) -> None:
        self.db = db
        self.gate = gate
        self.upload_dir = upload_dir
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.handlers: dict[str, Callable[[Job], str]] = {
            "istv_upload": self._istv_upload,
            "ingest": self._ingest,
        }

    def start(self) -> None:
        with self.db.session() as s:  # a crash left these half done: the load was atomic
            s.execute(update(Job).where(Job.status == "running").values(status="queued"))
        self._thread = threading.Thread(target=self._loop, name="vrkit-jobs", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def run_pending(self) -> int:
        """Run every queued job now, in this thread (tests and the CLI); returns how many."""
        n = 0
        while self._run_one():
            n += 1
        return n

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                while self._run_one():
                    if self._stop.is_set():
                        return
            except Exception:  # never let the worker die; the job row says what happened
                log.exception("job worker error")
            self._wake.wait(timeout=2.0)
            self._wake.clear()

    def _run_one(self) -> bool:
        with self.db.session() as s:
            job = s.scalar(select(Job).where(Job.status == "queued").order_by(Job.id).limit(1))
            if job is None:
                return False
            job.status, job.started_at = "running", utcnow()
            job_id = job.id
        with self.db.session() as s:
            job = s.get(Job, job_id)
            assert job is not None
            handler = self.handlers.get(job.kind)
            try:
                if handler is None:
                    raise RuntimeError(f"unknown job kind {job.kind!r}")
                message = handler(job)
                job.status, job.message = "done", message
            except Exception as exc:
                log.error("job %s failed: %s", job_id, traceback.format_exc())
                job.status = "failed"
                job.message = exc.message if isinstance(exc, VrkitError) else "internal error"
            job.finished_at = utcnow()
        return True

    # -- handlers ------------------------------------------------------------------------------
    def _istv_upload(self, job: Job) -> str:
        with self.db.session() as s:
            sub = s.get(Submission, int(job.payload["upload_id"]))
            if sub is None:
                return "upload row gone"
            path = self.upload_dir / f"{sub.sha256}.{sub.file_type}"
            sub.status = "running"
        try:
            with self.gate.write() as wh:
                res = tasks.istv_ingest(wh, path)
        except VrkitError as exc:
            res = exc
        with self.db.session() as s:
            sub = s.get(Submission, int(job.payload["upload_id"]))
            assert sub is not None
            sub.finished_at = utcnow()
            if isinstance(res, VrkitError):
                sub.status = "rejected"
                sub.result = error_result(res)
                return "rejected"
            rep = res.report
            sub.status = res.status  # loaded | unchanged
            sub.dataset_id = res.dataset_id if res.dataset_id > 0 else None
            sub.result = {
                "rows_read": rep.rows_read if rep else None,
                "rows_loaded": rep.rows_loaded if rep else None,
                "rows_rejected": rep.rows_rejected if rep else 0,
                "rejections": [
                    {"row": r.row_number, "column": r.column, "reason": r.reason}
                    for r in (rep.rejections if rep else [])
                ][:500],
                "rejected_by_reason": rep.rejected_by_reason() if rep else {},
                "exclusions": rep.exclusions if rep else [],
                "notes": rep.notes if rep else [],
            }
            return sub.status

    def _ingest(self, job: Job) -> str:
        from vrkit.sources.registry import expand_paths

        paths = expand_paths([Path(p) for p in job.payload.get("paths", [])])
        done: list[str] = []
        with self.gate.write() as wh:
            for res in wh.ingest_many(paths):
                done.append(res.status if hasattr(res, "status") else "error")
        return f"{done.count('loaded')} loaded, {done.count('unchanged')} unchanged, {done.count('error')} failed"

"""How the portal shares the DuckDB warehouse with itself and with the command line.

The rule (docs/architecture.md, "Sharing the warehouse"): **one writer at a time**.

- Inside the server, page and API handlers *read* through one shared read-only connection (a
  cursor per request), and every *write* (ISTV uploads, ingests) goes through the job queue
  (:mod:`vrkit.web.jobs`), whose single worker takes the gate exclusively: it waits for current
  readers, closes the read connection, opens the file for writing, loads, closes, and readers
  carry on.
- Across processes, DuckDB's file lock lets one process write *or* many read. The portal holds
  its read connection while it is being used, closing it after :attr:`idle_close` seconds
  without a reader, and at once when a ``<store>.wait`` marker shows that another process
  (``vrkit ingest``) is waiting for the file (:func:`vrkit.store.warehouse.connect_waiting`
  writes it). That process then gets the lock, says it was waiting, and loads; meanwhile portal
  reads wait for it (``VRKIT_WEB_LOCK_WAIT``) and, if it takes longer, pages say "being
  updated, try again shortly" (HTTP 503 with Retry-After): nobody sees a lock error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from vrkit.config import Settings
from vrkit.errors import StorageError
from vrkit.store.queries import data_version
from vrkit.store.warehouse import Warehouse, wait_marker


class WarehouseBusy(Exception):
    """The warehouse stayed locked by another process for longer than the page may wait."""


class WarehouseGate:
    """Readers-writer access to one warehouse file for the server process."""

    def __init__(self, path: Path, settings: Settings, *, idle_close: float = 300.0) -> None:
        self.path = Path(path)
        self.settings = settings
        self.idle_close = idle_close
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0
        self._ro: Warehouse | None = None
        #: the data version of the open read connection (see :meth:`version`)
        self._version: str | None = None
        self._last_used = 0.0
        self._generation = 0
        self._stop = threading.Event()
        self._closer = threading.Thread(target=self._close_idle, name="warehouse-idle", daemon=True)
        self._closer.start()

    @property
    def generation(self) -> int:
        """Bumped after every write: caches keyed on it are invalidated by a load."""
        return self._generation

    def exists(self) -> bool:
        return self.path.exists()

    def version(self, wh: Warehouse) -> str:
        """The data version (:func:`vrkit.store.queries.data_version`) of the warehouse a reader
        holds, queried once per read connection rather than once per request: while the portal
        holds its read-only connection no process can write the file (DuckDB's lock), and the
        portal's own writes and another process's wait close that connection first, so the
        version cannot change under it. Call inside :meth:`read`, with its view."""
        with self._cond:
            v = self._version
        if v is None:
            v = data_version(wh)
            with self._cond:
                if self._ro is not None and self._ro.con is getattr(wh, "_base_con", None):
                    self._version = v
        return v

    # -- readers -------------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Warehouse]:
        """A read-only warehouse view for one request (a cursor on the shared connection)."""
        if not self.path.exists():
            raise StorageError(
                f"no warehouse at {self.path}", hint="Run `make serve` or `vrkit ingest --all`."
            )
        with self._cond:
            while self._writer or self._writers_waiting:
                if not self._cond.wait(timeout=self.settings.web_lock_wait):
                    raise WarehouseBusy()
            if self._ro is not None and wait_marker(self.path).exists():
                self._ro.close()  # another process waits for the file: let it in
                self._ro = None
            if self._ro is None:
                self._ro = self._open_read()
                self._version = None
            self._readers += 1
            base = self._ro
        view = Warehouse.__new__(Warehouse)
        view.__dict__.update(base.__dict__)
        view._base_con = base.con  # type: ignore[attr-defined]
        view.con = base.con.cursor()
        try:
            yield view
        finally:
            view.con.close()
            with self._cond:
                self._readers -= 1
                self._last_used = time.monotonic()
                self._cond.notify_all()

    def _open_read(self) -> Warehouse:
        try:
            wh = Warehouse(
                self.path, read_only=True, settings=self.settings, wait=self.settings.web_lock_wait
            )
        except StorageError as exc:
            if "still in use" in exc.message:
                raise WarehouseBusy() from exc
            raise
        return wh

    # -- the one writer ------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Warehouse]:
        """Exclusive write access (the job queue's worker only)."""
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
            if self._ro is not None:
                self._ro.close()
                self._ro = None
        try:
            wh = Warehouse(self.path, settings=self.settings)
            try:
                yield wh
            finally:
                wh.close()
        finally:
            with self._cond:
                self._writer = False
                self._generation += 1
                self._cond.notify_all()

    # -- housekeeping --------------------------------------------------------------------------
    def _close_idle(self) -> None:
        while not self._stop.wait(0.25):
            with self._cond:
                if self._ro is None or self._readers:
                    continue
                idle = time.monotonic() - self._last_used > self.idle_close
                if idle or wait_marker(self.path).exists():
                    self._ro.close()
                    self._ro = None

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            if self._ro is not None:
                self._ro.close()
                self._ro = None

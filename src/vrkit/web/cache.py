"""Rendered reports on disk, per (report, parameters, edition, warehouse data version).

A report is built once per data version by the task layer and then served from here; a load
changes the data version, so the next request builds a fresh copy. Builds of one key are
serialised (a second request waits for the first build instead of repeating it); files are
written into a temporary folder and renamed, so a reader never sees half a report.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


class ReportCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        #: key → its files, once built or read (a cached read is a dictionary look-up and a
        #: stat, not a JSON file read)
        self._known: dict[str, dict[str, Path]] = {}

    @staticmethod
    def key(kind: str, params: dict[str, Any], edition: str, version: str) -> str:
        text = json.dumps([kind, params, edition, version], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, kind: str, key: str, build: Callable[[Path], dict[str, Path]]) -> dict[str, Path]:
        """Paths of the cached files (format → path), building them with ``build(dir)`` once."""
        final = self.root / kind / key
        known = self._known.get(key)
        if known is not None and final.is_dir():
            return known
        index = final / "index.json"
        if index.exists():
            return self._remember(key, final, json.loads(index.read_text()))
        with self._lock(key):
            if index.exists():
                return self._remember(key, final, json.loads(index.read_text()))
            tmp = self.root / kind / f".{key}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            try:
                paths = build(tmp)
                names = {fmt: p.name for fmt, p in paths.items()}
                (tmp / "index.json").write_text(json.dumps(names))
                shutil.rmtree(final, ignore_errors=True)
                tmp.rename(final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            return self._remember(key, final, names)

    def _remember(self, key: str, final: Path, names: dict[str, str]) -> dict[str, Path]:
        paths = {k: final / v for k, v in names.items()}
        with self._guard:
            self._known[key] = paths
        return paths

    def extra(self, kind: str, key: str, name: str) -> Path:
        """A derived file kept beside a cached report (e.g. its extracted stylesheet)."""
        return self.root / kind / key / name


class Memo:
    """A small thread-safe LRU of task results in memory, keyed with the warehouse's data
    version so that a load invalidates them (trend series, alerts, the years on offer)."""

    def __init__(self, size: int = 512) -> None:
        from collections import OrderedDict

        self.size = size
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = compute()
        self.put(key, value)
        return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)

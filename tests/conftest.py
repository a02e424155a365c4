"""Suite-wide settings.

``make test`` runs the suite on two processes (pytest-xdist). Each test module stays on one
process, so its module-scoped fixtures (most build a warehouse from the shared data once) are
built once; the portal's tests (``tests/web``) are one group, so the session-scoped PostgreSQL
cluster and portal warehouse are built once too.

The grouping is done here, by the scheduler this file gives xdist (``pytest_xdist_make_scheduler``),
not by ``xdist_group`` marks: with pytest 9.2, xdist 3.8's ``--dist loadgroup`` ignores the marks
(it appends the group to ``item._nodeid``, which pytest 9.2 no longer reads; pytest-xdist issue
#1386), so every test was scheduled on its own and each module's fixtures were built on both
processes, sometimes more than once. The scheduler also hands out the costliest groups first
(:data:`GROUP_SECONDS`), so that neither process is left alone with a long module at the end.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

#: approximate seconds of each slow group on the 2-core reference machine (set-up + calls, from
#: ``--durations``); groups not listed count one second per test. Only the order in which groups
#: are handed out depends on these figures (costliest first), never what runs.
GROUP_SECONDS = {
    "web": 900,
    "tests/health/test_canary.py": 130,
    "tests/reports/test_report_browser.py": 150,
    # a module whose warehouse is a prefix of another's comes first (see WarehouseCache)
    "tests/reports/test_public_and_sections.py": 125,
    "tests/reports/test_public_joint_audit.py": 120,
    "tests/reports/test_violent_crime.py": 90,
    "tests/reports/test_figures_real.py": 80,
    "tests/tasks/test_core_data.py": 60,
    "tests/fuzz/test_fuzz_adapters.py": 60,
    "tests/reports/test_public_needs_rank.py": 55,
    "tests/reports/test_needs_assessment.py": 50,
}


def group_of(nodeid: str) -> str:
    """The group a test runs in: ``web`` for the portal's tests, else its module's path."""
    if nodeid.rfind("@") > nodeid.rfind("]"):  # a group suffix from a future xdist: not ours
        nodeid = nodeid.rsplit("@", 1)[0]
    path = nodeid.split("::", 1)[0]
    return "web" if path.startswith("tests/web/") else path


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Costliest groups first (each group's tests keep their order)."""
    first: dict[str, int] = {}
    count: dict[str, int] = {}
    for i, item in enumerate(items):
        g = group_of(item.nodeid)
        first.setdefault(g, i)
        count[g] = count.get(g, 0) + 1

    def cost(g: str) -> float:
        return GROUP_SECONDS.get(g, float(count[g]))

    order = {g: n for n, g in enumerate(sorted(first, key=lambda g: (-cost(g), first[g])))}
    items.sort(key=lambda item: order[group_of(item.nodeid)])  # stable: in-group order kept


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Whole groups to one process each, in the order of :func:`pytest_collection_modifyitems`."""
    if config.getvalue("dist") not in ("loadgroup", "loadscope", "loadfile"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    config.option.loadscopereorder = False  # keep our order (xdist's is by number of tests)
    return GroupScheduling(config, log)


# -- built warehouses, shared by every module and process of a session -------------------------


class WarehouseCache:
    """Warehouses built from the shared files, each once per session, copied to each user.

    :meth:`copy` returns a private copy of a warehouse into which ``files`` were ingested in
    that order (``Warehouse.ingest``, one by one, as the modules' own fixtures did), so a test
    that writes never touches another module's warehouse. A build starts from the longest
    cached prefix of its file list (e.g. the joint-audit warehouse from the public-edition one)
    and waits for a prefix another process is building. Builds run under a file lock, so across
    xdist processes each list is built once.

    Entries are keyed on content: the ordered files with their sizes and modification times
    (shapefiles with their side files), the SHA-256 of every file of the imported ``vrkit``
    package and the installed distributions' versions (DuckDB's among them). The cache lives in
    the session's temporary folder (shared by the xdist processes; a new one each session), or
    in ``$VRKIT_TEST_WAREHOUSE_CACHE`` to keep it between sessions: a change to the code, the
    packages or the data is a new key, never a stale warehouse.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self._code = _code_digest()

    def key(self, files: Sequence[Path]) -> str:
        h = hashlib.sha256(self._code.encode())
        for f in files:
            for part in _with_side_files(f):
                st = part.stat()
                h.update(f"{part}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        return h.hexdigest()[:32]

    def copy(self, files: Sequence[Path], dest: Path, *, shared_prefix: int = 0) -> Path:
        """A private copy at ``dest`` of the warehouse of ``files`` (ingested in this order).

        ``shared_prefix=n``: the first ``n`` files are another module's list; build (or wait
        for) that warehouse first, so this one starts from it whichever module runs first.
        """
        missing = [str(f) for f in files if not f.exists()]
        assert not missing, f"shared data missing (set VRKIT_DATA_DIR): {missing}"
        if 0 < shared_prefix < len(files):
            self._ensure(list(files[:shared_prefix]))
        built = self._ensure(list(files))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, dest)
        return dest

    def _ensure(self, files: list[Path]) -> Path:
        from vrkit.store.warehouse import Warehouse

        key = self.key(files)
        target = self.root / f"{key}.duckdb"
        with _locked(self.root / f"{key}.lock"):
            if target.exists():
                return target
            start, base = 0, None
            for n in range(len(files) - 1, 0, -1):
                prefix = self.root / f"{self.key(files[:n])}"
                if not prefix.with_suffix(".lock").exists():
                    continue  # never requested: nobody builds it
                with _locked(prefix.with_suffix(".lock")):  # wait for a build in progress
                    if prefix.with_suffix(".duckdb").exists():
                        start, base = n, prefix.with_suffix(".duckdb")
                        break
            work = self.root / f"{key}.building.duckdb"
            work.unlink(missing_ok=True)
            if base is not None:
                shutil.copyfile(base, work)
            with Warehouse(work) as wh:
                for f in files[start:]:
                    wh.ingest(f)
            assert not Path(f"{work}.wal").exists(), "the warehouse was not checkpointed"
            work.replace(target)  # atomic: a finished warehouse or none
            return target


def _with_side_files(path: Path) -> list[Path]:
    if path.suffix.lower() == ".shp":
        return sorted(p for p in path.parent.glob(glob.escape(path.stem) + ".*") if p.is_file())
    return [path]


def _code_digest() -> str:
    """SHA-256 of the vrkit package imported (every file, e.g. a mutant's copy of ``src``) and
    of the installed distributions' names and versions."""
    from importlib.metadata import distributions

    import vrkit

    src = Path(vrkit.__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(src.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(p.relative_to(src).as_posix().encode() + b"\0" + p.read_bytes())
    installed = sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions())
    h.update("\n".join(installed).encode())
    return h.hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    import fcntl

    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> WarehouseCache:
    """The session's :class:`WarehouseCache` (one folder for all xdist processes)."""
    given = os.environ.get("VRKIT_TEST_WAREHOUSE_CACHE")
    if given:
        return WarehouseCache(Path(given))
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's folder, above each process's own
    return WarehouseCache(base / "warehouse-cache")

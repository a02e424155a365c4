"""Sharing the DuckDB warehouse: a second process waits for the lock and says so (never a lock
error), the portal's reader lets a waiting writer in, and the portal's reads wait for a load."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from vrkit.config import Settings
from vrkit.errors import StorageError
from vrkit.store.warehouse import Warehouse, wait_marker
from vrkit.web.warehouse import WarehouseGate


def _hold(path: Path, seconds: float, read_only: bool = False) -> subprocess.Popen[bytes]:
    """Another process holding the warehouse open for ``seconds``."""
    code = textwrap.dedent(
        f"""
        import time, sys
        from vrkit.store.warehouse import Warehouse
        w = Warehouse({str(path)!r}, read_only={read_only})
        print("held", flush=True)
        time.sleep({seconds})
        w.close()
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"held"
    return proc


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "wh.duckdb"
    Warehouse(path).close()
    return path


def test_a_second_writer_waits_and_says_so(store: Path) -> None:
    holder = _hold(store, 2.0)
    told: list[str] = []
    t0 = time.monotonic()
    with Warehouse(store, wait=60, on_wait=told.append) as wh:
        waited = time.monotonic() - t0
        assert wh.query("SELECT 1 AS x")["x"].iloc[0] == 1
    holder.wait(timeout=30)
    assert waited > 0.5, "it had to wait for the other process"
    assert len(told) == 1 and "waiting" in told[0] and "in use by process" in told[0]
    assert not wait_marker(store).exists(), "the marker is removed once the lock is had"


def test_waiting_has_a_limit_with_a_clear_message(store: Path) -> None:
    holder = _hold(store, 5.0)
    with pytest.raises(StorageError, match="still in use") as err:
        Warehouse(store, wait=0.5, on_wait=lambda _m: None)
    assert err.value.hint and "VRKIT_LOCK_WAIT" in err.value.hint
    holder.kill()
    holder.wait()


def test_the_portal_reader_lets_a_waiting_cli_load_in(store: Path) -> None:
    gate = WarehouseGate(store, Settings(web_lock_wait=30))
    with gate.read() as wh:  # the portal has the file open (read-only) ...
        wh.query("SELECT 1")
    # ... and keeps it open between requests; a CLI load waits, the portal lets go
    code = textwrap.dedent(
        f"""
        from vrkit.store.warehouse import Warehouse
        msgs = []
        with Warehouse({str(store)!r}, wait=60, on_wait=msgs.append) as w:
            w.con.execute("CREATE TABLE loaded_by_cli AS SELECT 42 AS v")
        print(len(msgs))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1", "the CLI said it was waiting"
    with gate.read() as wh:  # and the portal reads the new data afterwards
        assert wh.query("SELECT v FROM loaded_by_cli")["v"].iloc[0] == 42
    gate.close()


def test_portal_reads_wait_for_a_load(store: Path) -> None:
    gate = WarehouseGate(store, Settings(web_lock_wait=30))
    holder = _hold(store, 2.0)  # a CLI ingest holds the write lock
    t0 = time.monotonic()
    with gate.read() as wh:
        assert wh.query("SELECT 1 AS x")["x"].iloc[0] == 1
    assert time.monotonic() - t0 > 0.5
    holder.wait(timeout=30)
    gate.close()

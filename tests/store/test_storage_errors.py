"""A full disk while loading (issue #10, medium): a StorageError per file, nothing half-written.

The disk is "filled" with a real operating-system limit: the loads run in a child process whose
largest writable file size (RLIMIT_FSIZE) is just above the empty warehouse, so DuckDB's writes
fail with EFBIG the way they fail with ENOSPC on a full disk, at an insert or at the commit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import vrkit
from vrkit.store.warehouse import Warehouse

DATA = vrkit.get_settings().data_dir
FILES = [
    DATA / "mps_crime_ward/2020-01_to_2021-12/MPS Ward Level_Crime_2020-2021.csv.gz",
    DATA / "population/london-mid2019-pop.csv",
]

CHILD = """
import json, resource, signal, sys
from pathlib import Path
import vrkit
store, files = Path(sys.argv[1]), [Path(f) for f in sys.argv[2:]]
limit = store.stat().st_size + (1 << 20)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
wh = vrkit.Warehouse(store)
results = wh.ingest_many(files)
wh.close()
print(json.dumps([[type(r).__name__, str(r)] for r in results]))
"""


def test_full_disk_is_a_storage_error_and_nothing_is_half_written(tmp_path: Path) -> None:
    store = tmp_path / "w.duckdb"
    Warehouse(store).close()
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(store), *map(str, FILES)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-3000:]  # no traceback
    results = json.loads(run.stdout.splitlines()[-1])
    assert [kind for kind, _ in results] == ["StorageError", "StorageError"]
    for _, message in results:
        assert (
            "cannot write to warehouse" in message
            and "nothing from this file was stored" in message
        )
        assert "Free disk space" in message
    with Warehouse(store) as wh:
        assert wh.datasets().empty
        for table in ("crime_count_release", "crime_count", "indicator_value", "area", "rejection"):
            assert wh.query(f"SELECT count(*) AS n FROM {table}")["n"][0] == 0
        # with room again, the same files load
        assert [r.status for r in wh.ingest_many(FILES)] == ["loaded", "loaded"]  # type: ignore[union-attr]

"""Benchmark: ingest and validate ten years of London-scale ISTV submissions (SYNTHETIC data).

29 departments × 120 months ≈ 170,000 attendance records in ~3,480 files. Target (issue #7):
< 10 s for ingest + validate. Prints the figures; run with ``python bench/istv.py``.

The files are generated once into ``bench/_work/istv-synth`` (seeded; reused on later runs).
"""

from __future__ import annotations

import contextlib
import platform
import shutil
import sys
import time
from datetime import date
from pathlib import Path

from vrkit.errors import VrkitError
from vrkit.sources.istv import read_istv
from vrkit.sources.registry import expand_paths
from vrkit.store.health import ingest_istv, istv_records
from vrkit.store.warehouse import Warehouse
from vrkit.tasks.synth import synth_istv

ROOT = Path(__file__).resolve().parent / "_work"
DATA = ROOT / "istv-synth"
TARGET_S = 10.0


def main() -> int:
    """Generate (once), then time validation alone and the bulk ingest into a fresh store."""
    if not (DATA / "README.md").exists():
        shutil.rmtree(DATA, ignore_errors=True)
        t = time.perf_counter()
        man = synth_istv(
            DATA,
            departments=29,
            months=120,
            seed=1,
            start=date(2014, 1, 1),
            monthly_total=1480.0,
            xlsx_share=0.0,
        )
        print(
            f"generated {len(man.files):,} SYNTHETIC files, {man.records_written:,} records in "
            f"{time.perf_counter() - t:.1f} s"
        )
    files = expand_paths([DATA])
    files = [f for f in files if f.suffix == ".csv"]

    t = time.perf_counter()
    n_ok = n_rec = 0
    for f in files:
        try:
            n_rec += read_istv(f).report.rows_read
            n_ok += 1
        except VrkitError:
            pass
    validate_s = time.perf_counter() - t

    store = ROOT / "istv-bench.duckdb"
    for p in ROOT.glob("istv-bench.duckdb*"):
        p.unlink()
    with Warehouse(store) as wh:
        t = time.perf_counter()
        res = ingest_istv(wh, files)
        ingest_s = time.perf_counter() - t
        loaded = len(istv_records(wh))
        t = time.perf_counter()
        again = ingest_istv(wh, files)
        again_s = time.perf_counter() - t
    refused = sum(isinstance(r, VrkitError) for r in res)
    unchanged = sum(getattr(r, "status", "") == "unchanged" for r in again)

    # the generic per-file path (Warehouse.ingest, one transaction per file), on a sample
    sample = files[:100]
    sample_store = ROOT / "istv-bench-perfile.duckdb"
    for p in ROOT.glob("istv-bench-perfile.duckdb*"):
        p.unlink()
    with Warehouse(sample_store) as wh:
        t = time.perf_counter()
        for f in sample:
            with contextlib.suppress(VrkitError):
                wh.ingest(f)
        per_file_ms = (time.perf_counter() - t) / len(sample) * 1000

    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print(f"files: {len(files):,} (refused as malformed: {refused})")
    print(f"records read: {n_rec:,}; loaded: {loaded:,}")
    print(
        f"validate only (adapter, no store): {validate_s:.2f} s ({n_rec / validate_s:,.0f} rec/s)"
    )
    print(f"ingest + validate (bulk, one transaction): {ingest_s:.2f} s  target < {TARGET_S:.0f} s")
    print(f"re-ingest of the same files: {again_s:.2f} s ({unchanged:,} unchanged)")
    print(
        f"generic per-file Warehouse.ingest: {per_file_ms:.0f} ms/file on a 100-file sample "
        f"(≈ {per_file_ms * len(files) / 1000:.0f} s for all files)"
    )
    ok = ingest_s < TARGET_S
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

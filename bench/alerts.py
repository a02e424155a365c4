"""Benchmark: alerts for ~4,800 synthetic LSOA series × 10 years monthly for one month.

Run: ``.venv/bin/python bench/alerts.py`` (options: ``--series``, ``--years``, ``--repeat``,
``--method``). The series are negative-binomial (φ = 1.3) with ±20 % seasonality and LSOA-like
means (gamma-distributed, about 2 violent crimes a month on average), so many baselines have
zero counts in some months, as real LSOA series do. Prints the best of ``--repeat`` wall times
for :func:`vrkit.analysis.early_warning.detect_exceedances`, the per-series cost, and the alert
count against the number expected by chance. Target: < 30 s on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

from vrkit.analysis.early_warning import detect_exceedances


def synthetic(series: int, years: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = pd.date_range("2016-01-01", periods=12 * years, freq="MS")
    mean = rng.gamma(1.5, 1.5, size=series)[:, None]
    mu = mean * (1 + 0.2 * np.sin(2 * np.pi * months.month.to_numpy() / 12))
    phi = 1.3
    y = rng.poisson(rng.gamma(mu / (phi - 1), phi - 1))
    return pd.DataFrame(
        {
            "area_code": np.repeat([f"E01{i:06d}" for i in range(series)], len(months)),
            "month": np.tile(months, series),
            "count": y.ravel(),
        }
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--series", type=int, default=4800)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--method", default="farrington", choices=["farrington", "surveillance", "cusum", "ewma"]
    )
    args = ap.parse_args()
    counts = synthetic(args.series, args.years)
    month = counts["month"].max().strftime("%Y-%m")
    times = []
    result = None
    for _ in range(args.repeat):
        t = time.perf_counter()
        result = detect_exceedances(counts, month, method=args.method)
        times.append(time.perf_counter() - t)
    assert result is not None
    best = min(times)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(
        f"alerts ({args.method}) for {args.series:,} series × {args.years} years monthly, "
        f"month {month}: best of {args.repeat} = {best:.2f} s "
        f"({1000 * best / args.series:.2f} ms per series); all runs: "
        + ", ".join(f"{t:.2f}" for t in times)
        + " s"
    )
    print(
        f"tested {result.n_tested:,}, skipped {len(result.skipped)}, alerts {result.n_alerts} "
        f"({result.n_alerts_fdr} after FDR 5 %), expected by chance "
        f"{result.expected_by_chance:.1f} (nominal {result.expected_by_chance_nominal:.1f}); "
        f"methods: {result.table['method'].value_counts().to_dict()}"
    )
    print(f"target < 30 s: {'PASS' if best < 30 else 'FAIL'}")


if __name__ == "__main__":
    main()

"""Benchmark: rank 35,000 LSOAs on 20 indicators with 1,000 Monte Carlo draws (target < 10 s).

Synthetic data of the shape of all England & Wales LSOAs (2021: 35,672); prints the timings and
their ratio to the 10-second target. Run: ``python bench/rank.py``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from vrkit.analysis.need_index import IndicatorSpec, need_index, rank_uncertainty

TARGET_S = 10.0


def main(n_areas: int = 35_000, n_ind: int = 20, n_draws: int = 1_000, seed: int = 1) -> None:
    """Time the point index and the Monte Carlo ranking; print the figures."""
    rng = np.random.default_rng(seed)
    codes = [f"E01{i:06d}" for i in range(n_areas)]
    data = rng.lognormal(size=(n_areas, n_ind))
    ids = [f"ind{j:02d}" for j in range(n_ind)]
    values = pd.DataFrame(data, index=codes, columns=ids)
    specs = [
        IndicatorSpec(i, weight=float(rng.integers(1, 4)), polarity="higher_is_worse") for i in ids
    ]
    t0 = time.perf_counter()
    need_index(values, specs)
    t1 = time.perf_counter()
    c1 = time.process_time()
    res = rank_uncertainty(values, specs, n_draws=n_draws, top_n=100, seed=seed)
    t2 = time.perf_counter()
    c2 = time.process_time()
    se = pd.DataFrame(0.1 * data[:, :2], index=codes, columns=ids[:2])
    rank_uncertainty(values, specs, n_draws=200, top_n=100, seed=seed, standard_errors=se)
    t3 = time.perf_counter()
    total = t2 - t0
    print(f"areas={n_areas:,} indicators={n_ind} draws={n_draws:,}")
    print(f"point index (z-score, additive): {t1 - t0:.2f} s")
    print(
        f"Monte Carlo ranks ({n_draws:,} weight draws, ±25 % uniform): {t2 - t1:.2f} s wall, "
        f"{c2 - c1:.2f} s CPU"
    )
    print(f"total {total:.2f} s = {total / TARGET_S:.2f} × the {TARGET_S:.0f} s target")
    print(f"bootstrap of 2 indicators + weights, 200 draws: {t3 - t2:.2f} s")
    width = (res.table["rank_high"] - res.table["rank_low"]).median()
    print(f"median 90 % rank-interval width: {width:.0f} ranks")


if __name__ == "__main__":
    main()

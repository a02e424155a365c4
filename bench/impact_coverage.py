"""Coverage of the impact estimators on REAL series with effects injected at known sizes.

Builds a warehouse from the MPS borough monthly file (``VRKIT_DATA_DIR``), takes violence with
injury for the 32 boroughs, 2014-01 … 2019-12 (no COVID months), and repeats: choose treated
boroughs and a start month at random, thin their post-start counts binomially by the effect
(−15 %, or 0 for the null), estimate, and record whether the interval covers the true effect
``log(1 + effect)`` and whether the null is rejected at 5 %. Prints coverage and rejection rates
with their Monte Carlo standard errors.

Run: ``python bench/impact_coverage.py [--did 300] [--cs 40] [--scm 40]``.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from vrkit import Warehouse, get_settings
from vrkit.analysis import impact as I
from vrkit.tasks.impact import measure_panel

FILE = "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv"
STARTS = pd.date_range("2016-07-01", "2018-01-01", freq="MS")


def real_panel(store: Path) -> pd.DataFrame:
    """Violence with injury, 32 boroughs, monthly 2014-01 … 2019-12, from a fresh warehouse."""
    wh = Warehouse(store)
    wh.ingest_many([get_settings().data_dir / FILE])
    return measure_panel(
        wh, "violence_with_injury", "borough", start="2014-01-01", end="2019-12-01"
    )


def run(design: str, panel: pd.DataFrame, reps: int, effect: float, seed: int) -> dict[str, float]:
    """Coverage / rejection over ``reps`` replications of one design."""
    rng = np.random.default_rng(seed)
    units = sorted(panel["area_code"].unique())
    truth = math.log1p(effect)
    cover = reject = 0
    t0 = time.perf_counter()
    for _ in range(reps):
        start = STARTS[rng.integers(len(STARTS))]
        if design == "scm":
            tr = [str(rng.choice(units))]
        else:
            tr = [str(u) for u in rng.choice(units, 8, replace=False)]
        data = (
            I.inject_effect(panel, tr, start, effect, seed=int(rng.integers(1 << 31)))
            if effect
            else panel
        )
        if design == "did":
            res = I.difference_in_differences(data, tr, start, event_study=False)
        elif design == "cs":
            window = data[
                (data["month"] >= start - pd.DateOffset(months=18))
                & (data["month"] <= start + pd.DateOffset(months=11))
            ]
            res = I.staggered_did(window, {u: start for u in tr})
        else:
            donors = [u for u in units if u != tr[0]]
            window = data[
                (data["month"] >= start - pd.DateOffset(months=24))
                & (data["month"] <= start + pd.DateOffset(months=11))
            ]
            res = I.synthetic_control(window, tr[0], start, donors=donors)
        cover += res.covers(truth)
        reject += res.p_value < 0.05
    n = reps
    cov, rej = cover / n, reject / n
    return {
        "reps": n,
        "coverage": cov,
        "coverage_mcse": math.sqrt(cov * (1 - cov) / n),
        "rejection": rej,
        "rejection_mcse": math.sqrt(rej * (1 - rej) / n),
        "seconds_per_rep": (time.perf_counter() - t0) / n,
    }


def main() -> None:
    """Print coverage (effect −15 %) and false-rejection (no effect) for each estimator."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--did", type=int, default=300)
    ap.add_argument("--cs", type=int, default=40)
    ap.add_argument("--scm", type=int, default=40)
    ap.add_argument("--seed", type=int, default=20261201)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        panel = real_panel(Path(d) / "w.duckdb")
    print(f"panel: {panel['area_code'].nunique()} boroughs × {panel['month'].nunique()} months")
    for design, reps in (("did", a.did), ("cs", a.cs), ("scm", a.scm)):
        if reps <= 0:
            continue
        for effect in (-0.15, 0.0):
            s = run(design, panel, reps, effect, a.seed)
            print(
                f"{design:4s} effect {effect:+.2f}: coverage {s['coverage']:.3f} ± {s['coverage_mcse']:.3f}, "
                f"rejected at 5 % {s['rejection']:.3f} ± {s['rejection_mcse']:.3f} "
                f"({s['reps']} reps, {s['seconds_per_rep']:.2f} s each)",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Benchmark: vrkit Gi* vs esda G_Local on the same input in the same run.

Run: ``.venv/bin/python bench/hotspots.py`` (add ``--repeat N``). Prints times and ratios for

1. Gi* with 999 permutations on London's LSOAs (2019 violence, queen contiguity with a 1 m
   tolerance; the 6 City of London LSOAs have no MPS figure, leaving 4,829),
2. the same on a synthetic 36,000-area queen lattice (200 × 180, England & Wales LSOA scale),
3. analytic Gi* on a 100,000-cell square grid (adjacent-cell neighbours).

esda runs with its defaults (``n_jobs=-1``: joblib over all cores) and single-threaded
(``n_jobs=1``); vrkit is single-process numpy. Best of ``--repeat`` runs each.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _compare(name: str, y: np.ndarray, graph: object, repeat: int) -> tuple:
    """Times of vrkit and esda Gi* on one input (warm-up calls excluded)."""
    import esda

    from vrkit.analysis import hotspots

    def gi(perms: int) -> object:
        return hotspots.gi_star(y, graph, permutations=perms, seed=1)

    def esda_gi(perms: int, n_jobs: int = -1) -> object:
        return esda.G_Local(
            y, graph, transform="B", star=True, permutations=perms, seed=1, n_jobs=n_jobs
        )

    gi(9)
    esda_gi(9)
    t_v = best(lambda: gi(999), repeat)
    t_e = best(lambda: esda_gi(999), repeat)
    t_e1 = best(lambda: esda_gi(999, 1), repeat)
    t_va = best(lambda: gi(0), repeat)
    t_ea = best(lambda: esda_gi(0), repeat)
    return name, y.size, t_v, t_e, t_e1, t_va, t_ea


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    import esda
    import geopandas as gpd
    import libpysal
    import pandas as pd
    from libpysal.graph import Graph

    from vrkit import get_settings
    from vrkit.analysis import hotspots

    print(
        f"python {platform.python_version()}, esda {esda.__version__}, libpysal {libpysal.__version__}"
    )
    data = get_settings().data_dir
    g = gpd.read_file(
        data / "boundaries/statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp"
    )
    v = pd.read_csv(
        data / "mps_crime_lsoa_annual_derived/london-2011-2021-major-violence.csv",
        usecols=["LSOA11CD", "2019"],
    )
    g = g.merge(v, on="LSOA11CD", how="inner")
    t = time.perf_counter()
    m = hotspots.contiguity_weights(g)
    t_w = time.perf_counter() - t
    london = ("London LSOAs", g["2019"].to_numpy(float), Graph.from_sparse(m))
    print(f"London weights (queen, 1 m tolerance): {len(g)} LSOAs, {t_w:.2f} s")

    rng = np.random.default_rng(0)
    lat_w = libpysal.weights.lat2W(200, 180, rook=False)
    lattice = ("synthetic lattice", rng.poisson(4, 36000).astype(float), Graph.from_W(lat_w))

    rows = [_compare(name, y, graph, args.repeat) for name, y, graph in (london, lattice)]

    print()
    print(
        f"{'input':<20} {'n':>7} {'vrkit 999':>10} {'esda 999':>9} {'ratio':>6} {'esda n_jobs=1':>14} {'ratio':>6} {'vrkit analytic':>15} {'esda analytic':>14}"
    )
    for name, n, t_v, t_e, t_e1, t_va, t_ea in rows:
        print(
            f"{name:<20} {n:>7,} {t_v:>9.3f}s {t_e:>8.3f}s {t_e / t_v:>5.1f}x {t_e1:>13.3f}s {t_e1 / t_v:>5.1f}x {t_va:>14.3f}s {t_ea:>13.3f}s"
        )

    # analytic Gi* on a 100,000-cell grid
    side = 1000.0
    nx, ny = 400, 250
    xs, ys = np.meshgrid(np.arange(nx) * side, np.arange(ny) * side)
    xy = np.column_stack([xs.ravel(), ys.ravel()])
    t = time.perf_counter()
    w_grid = hotspots.distance_band_weights(xy, side * np.sqrt(2))
    t_wg = time.perf_counter() - t
    y_grid = rng.poisson(2, nx * ny).astype(float)
    t_g = best(lambda: hotspots.gi_star(y_grid, w_grid, permutations=0), args.repeat)
    print()
    print(
        f"analytic Gi* on a {nx * ny:,}-cell grid: {t_g:.3f} s (neighbour build {t_wg:.3f} s; target < 1 s)"
    )


if __name__ == "__main__":
    main()

"""National benchmark (issue #18) on SYNTHETIC data: 43 forces × 120 months, the national LSOAs.

Everything here is synthetic and marked as such: data.police.uk street files in the download
layout (``YYYY-MM/YYYY-MM-<force>-street.csv``, realistic per-force sizes, ~2.5 % "No Location"
rows, anti-social behaviour without Crime ID), a lattice of 35,672 synthetic 2021 LSOAs with
34,753 synthetic 2011 LSOAs (unchanged, merged and split as in the 2021 revision's proportions)
and an ONS-format LSOA11 → LSOA21 best-fit lookup CSV. Records before 2022 carry 2011 codes,
from 2022 on 2021 codes, so every LSOA figure crosses the boundary change through the real
code path (the lookup adapter and :func:`vrkit.store.queries.lsoa21_counts`).

Steps, each timed with its peak resident memory (Linux ``VmHWM``, reset before each step):

1. ingest every file and the lookup (``Warehouse.ingest_many``, what ``vrkit ingest`` runs);
2. the national monthly series of violence (``queries.national_monthly``, completed);
3. one force's trend (monthly series, calendar-year totals, last year's change);
4. LSOA hot spots on the national LSOA set: 2023 violence per 2021 LSOA, Gi* analytic and
   with 999 conditional permutations (queen lattice neighbours);
5. concentration of 2023 violence across LSOAs (Gini with 1,000 bootstrap replicates);
6. a national need-index ranking of the LSOAs (crime rates + synthetic context indicators,
   point index and 1,000 Monte Carlo weight draws);
7. the Parquet lake export (full, then an unchanged re-export);
8. crime_record as a DuckDB table or as Parquet: one LSOA's and the national series on both.

Run (the default writes ~13 GB of CSV for 65 M rows; ``--scale`` shrinks every file)::

    .venv/bin/python bench/national.py                  # realistic sizes, ~65 M rows
    .venv/bin/python bench/national.py --scale 0.25     # quarter-size files, ~16 M rows
    .venv/bin/python bench/national.py --keep           # reuse generated files
    .venv/bin/python bench/national.py --generate-only  # write the files and stop
    .venv/bin/python bench/national.py --no-lake        # skip steps 7-8 (Parquet lake)

Files are generated fast: DuckDB synthesises two template months per force (before and after
the LSOA change) and each monthly file is a byte prefix of its template with the month
rewritten (see ``generate``).

Results are printed and written to ``bench/_work/national.json``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_street import CRIME_TYPES, FORCES, OUTCOMES, STREETS, _sql_list

WORK = Path(__file__).resolve().parent / "_work" / "national"
NATIONAL_ROWS = 65_000_000
MONTHS = 120
FIRST = date(2014, 1, 1)
SWITCH = date(2022, 1, 1)  # synthetic: files from this month on use 2021 LSOAs
N11, N21, MERGES = 34_753, 35_672, 200
SPLITS = N21 - N11 + MERGES  # one 2011 LSOA → two 2021 LSOAs
UNCHANGED = N11 - 2 * MERGES - SPLITS
WIDTH = 190  # lattice columns
VSO = "Violence and sexual offences"


# ----------------------------------------------------------------------------------------------
# Peak memory per step


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_gb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


RESULTS: list[dict[str, Any]] = []


def step(name: str, fn: Callable[[], Any], *, row_bound: bool) -> Any:
    """Run one step, print and record its time and peak memory."""
    exact = _reset_peak()
    t0 = time.perf_counter()
    out = fn()
    sec = time.perf_counter() - t0
    peak = _peak_gb()
    RESULTS.append(
        {"step": name, "seconds": round(sec, 2), "peak_gb": round(peak, 2), "row_bound": row_bound}
    )
    note = "" if exact else " (process peak)"
    print(f"{name:<48} {sec:>8.2f} s   peak {peak:5.2f} GB{note}", flush=True)
    return out


# ----------------------------------------------------------------------------------------------
# Synthetic geography


def synthetic_geography(seed: int = 18) -> pd.DataFrame:
    """One row per synthetic 2021 LSOA: lattice position, force, intensity and codes.

    ``code11`` is the 2011 LSOA a record in that place carried before the change (one of two
    for a merged LSOA: ``code11b``); ``best`` is True where the best fit sends ``code11`` here.
    """
    rng = np.random.default_rng(seed)
    cell = np.arange(N21)
    code21 = np.empty(N21, dtype=object)
    code11 = np.empty(N21, dtype=object)
    code11b = np.empty(N21, dtype=object)
    best = np.ones(N21, dtype=bool)
    u = UNCHANGED
    for c in range(u):
        code21[c] = code11[c] = f"E01{c + 1:06d}"
    for k in range(MERGES):
        c = u + k
        code21[c] = f"E01{40_000 + k:06d}"
        code11[c] = f"E01{u + 1 + 2 * k:06d}"
        code11b[c] = f"E01{u + 2 + 2 * k:06d}"
    for j in range(SPLITS):
        parent = f"E01{u + 2 * MERGES + 1 + j:06d}"
        for piece in (0, 1):
            c = u + MERGES + 2 * j + piece
            code21[c] = f"E01{41_000 + 2 * j + piece:06d}"
            code11[c] = parent
            best[c] = piece == 0
    pos = rng.permutation(N21)  # where each LSOA sits on the lattice
    x, y = pos % WIDTH, pos // WIDTH
    # forces hold bands of lattice rows, in proportion to their size
    shares = np.array([f[2] for f in FORCES])
    bounds = np.cumsum(shares) / shares.sum() * N21
    fid = np.searchsorted(bounds, pos, side="right")
    # intensity: lognormal place effect × a few hot clusters
    w = rng.lognormal(0.0, 0.8, N21)
    centres = rng.integers(0, [WIDTH, N21 // WIDTH], size=(60, 2))
    for cx, cy in centres:
        w *= 1 + 4 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 18.0)
    return pd.DataFrame(
        {
            "cell": cell,
            "x": x,
            "y": y,
            "fid": np.minimum(fid, len(FORCES) - 1),
            "w": w,
            "code21": code21,
            "code11": code11,
            "code11b": code11b,
            "best": best,
        }
    )


def write_lookup(geo: pd.DataFrame, path: Path) -> None:
    """The synthetic best-fit lookup in the ONS CSV layout (one row per 2011 LSOA)."""
    b = geo[geo["best"]]
    rows = pd.concat(
        [
            pd.DataFrame({"LSOA11CD": b["code11"], "LSOA21CD": b["code21"]}),
            pd.DataFrame({"LSOA11CD": b["code11b"], "LSOA21CD": b["code21"]}).dropna(),
        ]
    ).sort_values("LSOA11CD")
    assert len(rows) == N11 and rows["LSOA11CD"].is_unique
    lad = {c: f"E06{1 + i // 300:06d}" for i, c in enumerate(sorted(geo["code21"]))}
    out = pd.DataFrame(
        {
            "LSOA11CD": rows["LSOA11CD"],
            "LSOA11NM": "Synthetic " + rows["LSOA11CD"],
            "LSOA21CD": rows["LSOA21CD"],
            "LSOA21NM": "Synthetic " + rows["LSOA21CD"],
            "LAD22CD": rows["LSOA21CD"].map(lad),
        }
    )
    out["LAD22NM"] = "Synthetic district " + out["LAD22CD"].str[-3:]
    out["LAD22NMW"] = ""
    out["ObjectId"] = range(1, len(out) + 1)
    out.to_csv(path, index=False)


def write_ward_lookup(geo: pd.DataFrame, path: Path) -> None:
    """A synthetic LSOA21 → ward → LAD lookup in the ONS CSV layout: the complete 2021 LSOA
    set, as the real "LSOA (2021) to Electoral Ward (2025) to LAD (2025)" file gives it."""
    codes = sorted(geo["code21"])
    ward = [f"E05{1 + i // 6:06d}" for i in range(len(codes))]
    lad = [f"E06{1 + i // 300:06d}" for i in range(len(codes))]
    out = pd.DataFrame(
        {
            "LSOA21CD": codes,
            "LSOA21NM": ["Synthetic " + c for c in codes],
            "LSOA21NMW": "",
            "WD25CD": ward,
            "WD25NM": ["Synthetic ward " + w[-4:] for w in ward],
            "WD25NMW": "",
            "LAD25CD": lad,
            "LAD25NM": ["Synthetic district " + x[-3:] for x in lad],
            "LAD25NMW": "",
            "ObjectId": range(1, len(codes) + 1),
        }
    )
    out.to_csv(path, index=False)


def generate(out: Path, geo: pd.DataFrame, scale: float) -> list[Path]:
    """Write the synthetic street files, one year at a time; return them in download order."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    con = duckdb.connect(config={"threads": 2, "memory_limit": "4GB"})
    shares = np.array([f[2] for f in FORCES])
    con.execute(
        "CREATE TABLE force AS SELECT * FROM (VALUES "
        + ", ".join(
            f"({i}, '{slug}', '{name}', {w / shares.sum()})"
            for i, (slug, name, w, _lon, _lat) in enumerate(FORCES)
        )
        + ") t(fid, slug, name, share)"
    )
    g = geo.copy()
    g["lo"] = g.groupby("fid")["w"].cumsum() - g["w"]
    g["lo"] = g["lo"] / g.groupby("fid")["w"].transform("sum")
    con.register("geo_df", g)
    con.execute("CREATE TABLE geo AS SELECT * FROM geo_df ORDER BY fid, lo")
    cw = [w for _, w in CRIME_TYPES]
    cum = np.cumsum(cw) / sum(cw)
    case_ct = (
        "CASE "
        + " ".join(f"WHEN u < {c} THEN {i + 1}" for i, c in enumerate(cum[:-1]))
        + f" ELSE {len(cum)} END"
    )
    ct = _sql_list([c for c, _ in CRIME_TYPES])
    per_month = int(NATIONAL_ROWS * scale / MONTHS)
    top = int(per_month * max(_month_factor(m) for m in range(MONTHS))) + 1
    switch_m = (SWITCH.year - FIRST.year) * 12 + SWITCH.month - FIRST.month
    t0 = time.perf_counter()
    tmp = out / "templates"
    tmp.mkdir()
    # two template months per force (before and after the LSOA change), synthesised by DuckDB
    # and written by its COPY; every month's file is then a prefix of its template (the rows
    # are in random order, so a prefix is a random sample) with the month rewritten: bytes
    # copied, not rows generated, 120 times
    for m0 in (switch_m - 1, switch_m):
        con.execute(
            f"""
            CREATE OR REPLACE TABLE street AS
            WITH base AS (
                SELECT i, {m0} AS m, hash(i, {m0}, 1) AS h1, hash(i, {m0}, 2) AS h2,
                       hash(i, {m0}, 3) AS h3
                FROM range({top}) t(i)
            ), forced AS (
                SELECT b.*, f.fid, f.slug, f.name FROM base b
                ASOF JOIN (SELECT *, sum(share) OVER (ORDER BY fid) - share AS lo FROM force) f
                  ON (b.h1 % 1000000) / 1e6 >= f.lo
            ), placed AS (
                SELECT r.*, g.x, g.y, g.code21, g.code11, g.code11b
                FROM forced r ASOF JOIN geo g ON r.fid = g.fid AND (r.h2 % 1000003) / 1000003.0 >= g.lo
            ), typed AS (
                SELECT *, {case_ct} AS ct, (h3 // 3) % 1000 < 25 AS noloc,
                       DATE '{FIRST}' + to_months(m) AS month
                FROM (SELECT *, (h3 % 1000) / 1000.0 AS u FROM placed)
            )
            SELECT slug,
                CASE WHEN ct = 1 THEN NULL ELSE md5(h1::VARCHAR) || md5(h3::VARCHAR) END AS "Crime ID",
                strftime(month, '%Y-%m') AS "Month",
                name AS "Reported by", name AS "Falls within",
                CASE WHEN noloc THEN NULL ELSE printf('%.6f', -5.0 + x * 6.5 / {WIDTH}) END AS "Longitude",
                CASE WHEN noloc THEN NULL ELSE printf('%.6f', 50.0 + y * 5.5 / {N21 // WIDTH + 1}) END AS "Latitude",
                CASE WHEN noloc THEN 'No Location' ELSE 'On or near ' || {_sql_list(STREETS)}[(1 + h2 % {len(STREETS)})::BIGINT] END AS "Location",
                CASE WHEN noloc THEN NULL
                     WHEN month >= DATE '{SWITCH}' THEN code21
                     WHEN code11b IS NOT NULL AND h3 % 2 = 1 THEN code11b
                     ELSE code11 END AS "LSOA code",
                CASE WHEN noloc THEN NULL ELSE 'Synthetic LSOA' END AS "LSOA name",
                {ct}[ct] AS "Crime type",
                CASE WHEN ct = 1 THEN NULL ELSE {_sql_list(OUTCOMES)}[(1 + (h3 // 7) % {len(OUTCOMES)})::BIGINT] END AS "Last outcome category",
                NULL::VARCHAR AS "Context"
            FROM typed
            """
        )
        con.execute(
            f"COPY street TO '{tmp / str(m0)}' (FORMAT CSV, HEADER, PARTITION_BY (slug), "
            "WRITE_PARTITION_COLUMNS false, OVERWRITE_OR_IGNORE)"
        )
    con.close()
    print(f"  templates: {time.perf_counter() - t0:.0f} s", flush=True)
    templates: dict[tuple[int, str], tuple[bytes, bytes, np.ndarray]] = {}
    for m0 in (switch_m - 1, switch_m):
        for slug, *_ in FORCES:
            parts = [p.read_bytes() for p in sorted((tmp / str(m0) / f"slug={slug}").glob("*.csv"))]
            data = parts[0] + b"".join(x.split(b"\n", 1)[1] for x in parts[1:])
            header, body = data.split(b"\n", 1)
            ends = np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == ord("\n")) + 1
            templates[(m0, slug)] = (header + b"\n", body, ends)
    shutil.rmtree(tmp)
    files: list[Path] = []
    total = 0
    for m in range(MONTHS):
        month = f"{FIRST.year + m // 12:04d}-{m % 12 + 1:02d}"
        m0 = switch_m - 1 if m < switch_m else switch_m
        was = f",{FIRST.year + m0 // 12:04d}-{m0 % 12 + 1:02d},".encode()
        (out / month).mkdir()
        for slug, *_ in FORCES:
            header, body, ends = templates[(m0, slug)]
            n = min(len(ends), round(len(ends) * _month_factor(m) / _month_factor_max()))
            dest = out / month / f"{month}-{slug}-street.csv"
            cut = body[: ends[n - 1]] if n else b""
            dest.write_bytes(header + cut.replace(was, f",{month},".encode()))
            files.append(dest)
            total += n
        if m % 12 == 11:
            print(f"  generated {month[:4]}: {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"  {total:,} rows", flush=True)
    return files


def _month_factor(m: int) -> float:
    """Synthetic seasonality (summer peak) and a slow rise over the ten years."""
    return (1 + 0.12 * np.sin(2 * np.pi * (m % 12 - 3) / 12)) * (0.9 + 0.2 * m / MONTHS)


def _month_factor_max() -> float:
    return max(_month_factor(m) for m in range(MONTHS))


def lattice_weights(geo: pd.DataFrame) -> Any:
    """Queen-contiguity neighbours of the lattice cells (rows in ``geo`` order)."""
    from scipy import sparse

    idx = np.full((geo["y"].max() + 1, WIDTH), -1)
    idx[geo["y"].to_numpy(), geo["x"].to_numpy()] = geo["cell"].to_numpy()
    rows, cols = [], []
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dx == 0 and dy == 0:
                continue
            a = idx[max(0, -dy) : idx.shape[0] - max(0, dy), max(0, -dx) : WIDTH - max(0, dx)]
            b = idx[max(0, dy) : idx.shape[0] - max(0, -dy), max(0, dx) : WIDTH - max(0, -dx)]
            ok = (a >= 0) & (b >= 0)
            rows.append(a[ok])
            cols.append(b[ok])
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sparse.csr_matrix((np.ones(r.size), (r, c)), shape=(len(geo), len(geo)))


# ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Generate, ingest, analyse; print and record the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="file size factor (1 = ~65 M rows)")
    ap.add_argument("--work", type=Path, default=WORK, help="scratch folder")
    ap.add_argument("--keep", action="store_true", help="reuse generated files if present")
    ap.add_argument(
        "--generate-only", action="store_true", help="write the synthetic files and stop"
    )
    ap.add_argument(
        "--no-lake",
        action="store_true",
        help="skip steps 7-8 (Parquet lake export, table vs Parquet queries)",
    )
    args = ap.parse_args(argv)

    from vrkit import Warehouse
    from vrkit.analysis import hotspots, trends
    from vrkit.analysis.concentration import concentration
    from vrkit.analysis.need_index import IndicatorSpec, need_index, rank_uncertainty
    from vrkit.store import queries
    from vrkit.tasks.export import export_parquet

    print("SYNTHETIC data: 43 forces × 120 months, 35,672 synthetic LSOAs (2021)")
    geo = synthetic_geography()
    src = args.work / "street"
    lookup = args.work / "LSOA11_LSOA21_LAD22_EW_LU_synthetic.csv"
    wards = args.work / "LSOA21_WD25_LAD25_EW_LU_synthetic.csv"
    args.work.mkdir(parents=True, exist_ok=True)
    write_lookup(geo, lookup)
    write_ward_lookup(geo, wards)
    if args.keep and src.exists():
        files = sorted(src.glob("*/*-street.csv"))
    else:
        t0 = time.perf_counter()
        files = generate(src, geo, args.scale)
        print(f"generated {len(files):,} files in {time.perf_counter() - t0:.0f} s")
    size = sum(f.stat().st_size for f in files)
    print(f"input: {len(files):,} files, {size / 1e9:,.2f} GB")
    if args.generate_only:
        return 0
    store = args.work / "national.duckdb"
    for p in (store, Path(str(store) + ".wal")):
        p.unlink(missing_ok=True)

    wh = Warehouse(store)

    def ingest() -> int:
        res = wh.ingest_many([lookup, wards, *files])
        bad = [r for r in res if isinstance(r, Exception)]
        if bad:
            raise SystemExit(f"ingest failed: {bad[0]}")
        wh.con.execute("CHECKPOINT")
        (n,) = wh.con.execute("SELECT count(*) FROM crime_record").fetchone() or (0,)
        return int(n)

    rows = step("1 ingest (street files + 2 lookups)", ingest, row_bound=True)
    print(f"   {rows:,} records, {rows / RESULTS[-1]['seconds'] / 1e6:.2f} M rows/s")

    def national() -> pd.DataFrame:
        s = queries.national_monthly(wh, VSO)
        return trends.monthly_series(s.assign(area_code="national"))

    nat = step("2 national monthly series (violence)", national, row_bound=True)
    assert nat["count"].notna().all() and len(nat) == MONTHS

    force = FORCES[21][1]

    def force_trend() -> pd.DataFrame:
        s = queries.national_monthly(wh, VSO, force=force)
        series = trends.monthly_series(s.assign(area_code=force))
        totals = trends.period_totals(series, "calendar")
        last = totals.iloc[-1]["total"], totals.iloc[-2]["total"]
        trends.change(float(last[0]), float(last[1]))
        return totals

    step(f"3 one force's trend ({force})", force_trend, row_bound=True)

    def lsoa_counts() -> np.ndarray:
        c = queries.lsoa21_counts(
            wh, VSO, start=date(2023, 1, 1), end=date(2023, 12, 1), by_month=False
        )
        assert c.attrs["unmatched_records"] == 0
        return c.set_index("lsoa21_code")["count"].reindex(geo["code21"]).fillna(0).to_numpy(float)

    y = step("4a LSOA21 counts 2023 (crossing the change)", lsoa_counts, row_bound=True)
    w = step("4b lattice neighbours (35,672 LSOAs)", lambda: lattice_weights(geo), row_bound=False)
    step(
        "4c Gi* analytic",
        lambda: hotspots.gi_star(y, w, ids=geo["code21"].to_numpy(), permutations=0),
        row_bound=False,
    )
    gi = step(
        "4d Gi* 999 permutations",
        lambda: hotspots.gi_star(y, w, ids=geo["code21"].to_numpy(), permutations=999, seed=1),
        row_bound=False,
    )
    step(
        "5 concentration (Gini, 1,000 bootstrap)",
        lambda: concentration(y, n_bootstrap=1000, seed=1),
        row_bound=False,
    )

    def rank() -> Any:
        per_type = queries.lsoa21_counts(
            wh, start=date(2023, 1, 1), end=date(2023, 12, 1), by_month=False
        )
        total = per_type.set_index("lsoa21_code")["count"].reindex(geo["code21"]).fillna(0)
        rng = np.random.default_rng(5)
        values = pd.DataFrame(
            {
                "violence": y,
                "all_crime": total.to_numpy(float),
                "deprivation": rng.normal(20, 8, len(geo)).clip(0),  # SYNTHETIC context
                "youth_share": rng.beta(4, 20, len(geo)),  # SYNTHETIC context
            },
            index=geo["code21"].to_numpy(),
        )
        specs = [IndicatorSpec(c, weight=1.0) for c in values.columns]
        need_index(values, specs)
        return rank_uncertainty(values, specs, n_draws=1000, top_n=100, seed=1)

    step("6 need-index ranking (point + 1,000 draws)", rank, row_bound=False)
    storage: dict[str, Any] = {}
    if not args.no_lake:
        lake = args.work / "lake"
        shutil.rmtree(lake, ignore_errors=True)
        step("7a Parquet lake export (full)", lambda: export_parquet(wh, lake), row_bound=True)
        step("7b Parquet lake export (unchanged)", lambda: export_parquet(wh, lake), row_bound=True)

        # crime_record as a DuckDB table or as Parquet next to it: the same queries on both
        probe = str(geo.loc[geo["w"].idxmax(), "code21"])
        glob = f"read_parquet('{lake}/crime_record/*/*/*/*.parquet', hive_partitioning = true)"

        def median_ms(sql: str, params: list[Any]) -> float:
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                wh.con.execute(sql, params).fetchall()
                times.append(time.perf_counter() - t0)
            return round(sorted(times)[2] * 1000, 1)

        lsoa_sql = (
            "SELECT month, count(*) FILTER (WHERE crime_type = ?) FROM {src} "
            "WHERE lsoa_code = ? GROUP BY month ORDER BY month"
        )
        nat_sql = "SELECT month, count(*) FILTER (WHERE crime_type = ?) FROM {src} GROUP BY month ORDER BY month"
        storage = {
            "lsoa_series_ms": {
                "table": median_ms(lsoa_sql.format(src="crime_record"), [VSO, probe]),
                # every condition in WHERE: DuckDB then scans by zone maps, not the ART index
                "table_no_index": median_ms(
                    "SELECT month, count(*) FROM crime_record WHERE lsoa_code = ? AND "
                    "crime_type = ? GROUP BY month ORDER BY month",
                    [probe, VSO],
                ),
                "parquet": median_ms(lsoa_sql.format(src=glob), [VSO, probe]),
            },
            "national_series_ms": {
                "table": median_ms(nat_sql.format(src="crime_record"), [VSO]),
                "parquet": median_ms(nat_sql.format(src=glob), [VSO]),
            },
        }
        print(f"8 crime_record as table vs Parquet lake (median of 5): {storage}")
    wh.close()

    hot = int((gi.hotspot_class == "hot").sum())
    print(f"\nGi* (999 perms, FDR): {hot:,} hot LSOAs flagged; warnings: {list(gi.warnings)}")
    factor = NATIONAL_ROWS / rows
    print(f"\nprojection to {NATIONAL_ROWS / 1e6:.0f} M rows (row-bound steps × {factor:.2f}):")
    for r in RESULTS:
        proj = r["seconds"] * factor if r["row_bound"] else r["seconds"]
        r["projected_65m_s"] = round(proj, 1)
        print(f"  {r['step']:<48} {proj:>8.1f} s")
    peak = max(r["peak_gb"] for r in RESULTS)
    print(f"highest step peak: {peak:.2f} GB (target < 8 GB)")
    args.work.mkdir(parents=True, exist_ok=True)
    (args.work / "national.json").write_text(
        json.dumps(
            {
                "rows": rows,
                "files": len(files),
                "bytes": size,
                "steps": RESULTS,
                "storage": storage,
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

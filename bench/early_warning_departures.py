"""What each departure of vrkit's default early warning from surveillance's costs or buys.

Run: ``.venv/bin/python bench/early_warning_departures.py`` (about 20 minutes on a busy 2-core
machine; ``--quick`` runs a smaller synthetic set, ``--real-only`` only the real series,
``--json FILE`` also writes the figures).
Needs the shared data (``VRKIT_DATA_DIR``) for the real series. Figures are recorded in
``docs/early-warning.md``.

A ladder of settings of :func:`vrkit.analysis.early_warning.detect_exceedances`, each rung
adding one of vrkit's departures to the one before:

``S``  ``method="surveillance"``: R's ``farringtonFlexible`` (nbPlugin, limit54 = c(0, 4),
       no months excluded), the settings of issue #19;
``T``  ``method="farrington", threshold_method="nb_plugin", min_recent=None,
       exclude_kinds=()``: vrkit's trend test (φ ≥ 1, Pearson) instead of surveillance's;
``P``  + the predictive threshold (``threshold_method="predictive"``);
``C``  + COVID-19 restriction months left out of baselines (``exclude_kinds`` default);
``D``  + Farrington's ``min_recent = (5, 4)``: vrkit's default.

Real data: violence with injury in the 32 London boroughs and the airports (MPS historical
borough file, through the MPS adapter), every month of 2017–2019 as the target (baselines
before COVID-19) and of 2022-01 … 2023-09 (baselines holding the restriction months). There
is no truth on real data: the figures are alarm counts and how often a trend is kept.

Synthetic data with known truth: negative-binomial series (φ = 1.5, ±12 % seasonality) over
the same months as the real file, means 1, 3, 20, 60 and 200 a month, in three scenarios:
``flat`` (no trend), ``trend`` (+4 % a year, as London's violence with injury rose
2013–2019) and ``covid`` (flat, but 30 % lower in every catalogued restriction month; targets
in 2022). False alarms: alarms among series with no outbreak, 12 target months each.
Detection: the share of single-month outbreaks alarmed in their month, an outbreak adding
three in-control standard deviations (3√(φμ)) to the month's mean; each outbreak series has
one outbreak, in its own target month. Seeds are fixed.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrkit.analysis.early_warning import detect_exceedances, excluded_months

HIST = "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv"
MONTHS = pd.date_range("2010-04-01", "2023-09-01", freq="MS")
PHI = 1.5
MEANS = (1, 3, 20, 60, 200)

LADDER: dict[str, dict[str, Any]] = {
    "S": {"method": "surveillance", "threshold_method": "nb_plugin", "min_recent": (0, 4)},
    "T": {"threshold_method": "nb_plugin", "min_recent": None, "exclude_kinds": ()},
    "P": {"threshold_method": "predictive", "min_recent": None, "exclude_kinds": ()},
    "C": {"threshold_method": "predictive", "min_recent": None},
    "D": {},
}
STEP = {
    "S": "surveillance (issue #19 settings)",
    "T": "+ vrkit's trend test",
    "P": "+ predictive threshold",
    "C": "+ COVID-19 months left out",
    "D": "+ min_recent (5, 4) = vrkit default",
}


def _data_dir() -> Path:
    return Path(os.environ.get("VRKIT_DATA_DIR", "../shared/data"))


def real_series() -> pd.DataFrame:
    """Long counts of violence with injury by borough (and the airports) from the MPS file."""
    from vrkit.sources.mps import read_mps

    frames = read_mps(_data_dir() / HIST).tables["crime_count_release"]
    vwi = frames[
        (frames["offence_minor"] == "VIOLENCE WITH INJURY") & (frames["area_code"] != "MPS-UNKNOWN")
    ]
    return vwi.groupby(["area_code", "month"], as_index=False)["count"].sum()


def _run(counts: pd.DataFrame, months: pd.DatetimeIndex, rung: str) -> pd.DataFrame:
    out = []
    for m in months:
        r = detect_exceedances(counts, m, **LADDER[rung])
        out.append(r.table[["area_code", "month", "alert", "trend", "expected", "threshold"]])
    return pd.concat(out, ignore_index=True)


def real_figures() -> dict[str, Any]:
    counts = real_series()
    periods = {
        "2017-01…2019-12": pd.date_range("2017-01-01", "2019-12-01", freq="MS"),
        "2022-01…2023-09": pd.date_range("2022-01-01", "2023-09-01", freq="MS"),
    }
    res: dict[str, Any] = {}
    for label, months in periods.items():
        res[label] = {}
        tables = {}
        for rung in LADDER:
            t = tables[rung] = _run(counts, months, rung)
            res[label][rung] = {
                "tests": len(t),
                "alarms": int(t["alert"].sum()),
                "trend_kept": float(t["trend"].mean()),
            }
        # S → T where both make the same trend decision: only numerical details differ
        j = tables["S"].merge(tables["T"], on=["area_code", "month"], suffixes=("_s", "_t"))
        same = j[j["trend_s"] == j["trend_t"]]
        # the airports' series is all zero: both expected counts are ~1e-12 and the ratio
        # is noise, so relative differences are taken where an expected count is ≥ 0.5
        big = same[same["expected_s"] >= 0.5]
        rel = (big["expected_t"] / big["expected_s"] - 1).abs()
        res[label]["S_vs_T"] = {
            "trend_differs": int((j["trend_s"] != j["trend_t"]).sum()),
            "surveillance_keeps_vrkit_drops": int((j["trend_s"] & ~j["trend_t"]).sum()),
            "same_trend_max_rel_expected": float(rel.max()),
            "same_trend_max_abs_expected_below_half": float(
                (same["expected_t"] - same["expected_s"]).abs()[same["expected_s"] < 0.5].max()
            ),
            "same_trend_threshold_differs": int((same["threshold_s"] != same["threshold_t"]).sum()),
        }
        # surveillance with an sts built with epochAsDate = TRUE (time in days)
        days = []
        for m in months:
            r = detect_exceedances(counts, m, **LADDER["S"], trend_time="days")
            days.append(r.table[["area_code", "month", "expected", "threshold", "alert"]])
        k = tables["S"].merge(pd.concat(days), on=["area_code", "month"], suffixes=("", "_d"))
        k = k[k["expected"] >= 0.5]
        rel_d = (k["expected_d"] / k["expected"] - 1).abs()
        res[label]["S_days_vs_S"] = {
            "median_rel_expected": float(rel_d.median()),
            "max_rel_expected": float(rel_d.max()),
            "threshold_differs": int((k["threshold_d"] != k["threshold"]).sum()),
            "alarm_differs": int((k["alert_d"] != k["alert"]).sum()),
        }
    return res


def synthetic(scenario: str, n_null: int, n_out: int, seed: int) -> tuple[pd.DataFrame, dict]:
    """Null and outbreak series for one scenario; returns (long counts, truth)."""
    rng = np.random.default_rng(seed)
    year = 2022 if scenario == "covid" else 2019
    targets = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
    season = 1 + 0.12 * np.sin(2 * np.pi * (MONTHS.month.to_numpy() - 4) / 12)
    trend = 1.04 ** ((MONTHS - pd.Timestamp(f"{year}-01-01")).days.to_numpy() / 365.25)
    level = trend if scenario == "trend" else np.ones(len(MONTHS))
    if scenario == "covid":
        level = np.where(MONTHS.isin(pd.DatetimeIndex(excluded_months())), 0.7, 1.0)
    codes, rows, truth = [], [], {"null": [], "outbreak": {}}
    for mean in MEANS:
        mu = mean * season * level
        n = n_null + n_out * len(targets)
        lam = rng.gamma(mu / (PHI - 1), PHI - 1, size=(n, len(MONTHS)))
        y = rng.poisson(lam).astype(float)
        for i in range(n):
            code = f"m{mean}-{i:04d}"
            if i >= n_null:
                g = (i - n_null) // n_out
                j = MONTHS.get_loc(targets[g])
                mu_out = mu[j] + 3 * np.sqrt(PHI * mu[j])
                y[i, j] = rng.poisson(rng.gamma(mu_out / (PHI - 1), PHI - 1))
                truth["outbreak"][code] = targets[g]
            else:
                truth["null"].append(code)
            codes.append(code)
            rows.append(y[i])
    Y = np.vstack(rows)
    counts = pd.DataFrame(
        {
            "area_code": np.repeat(codes, len(MONTHS)),
            "month": np.tile(MONTHS, len(codes)),
            "count": Y.ravel(),
        }
    )
    truth["targets"] = targets
    return counts, truth


def synthetic_figures(n_null: int, n_out: int) -> dict[str, Any]:
    res: dict[str, Any] = {}
    for k, scenario in enumerate(("flat", "trend", "covid")):
        counts, truth = synthetic(scenario, n_null, n_out, seed=100 + k)
        null = set(truth["null"])
        outbreak = pd.Series(truth["outbreak"], name="outbreak_month")
        res[scenario] = {}
        for rung in LADDER:
            t = _run(counts, truth["targets"], rung)
            t["mean"] = t["area_code"].str.extract(r"^m(\d+)-")[0].astype(int)
            t0 = t[t["area_code"].isin(null)]
            hits = t.merge(outbreak, left_on="area_code", right_index=True)
            hits = hits[hits["month"] == hits["outbreak_month"]]
            res[scenario][rung] = {
                "false_alarm_rate": float(t0["alert"].mean()),
                "false_alarm_by_mean": {
                    int(m): float(g["alert"].mean()) for m, g in t0.groupby("mean")
                },
                "detection": float(hits["alert"].mean()),
                "detection_by_mean": {
                    int(m): float(g["alert"].mean()) for m, g in hits.groupby("mean")
                },
                "null_tests": len(t0),
                "outbreaks": len(hits),
                "trend_kept_null": float(t0["trend"].mean()),
            }
    return res


def _print(real: dict[str, Any], synth: dict[str, Any]) -> None:
    print("Real series (violence with injury, 33 areas): alarms and trend kept")
    for label, rungs in real.items():
        print(f"\n  targets {label}")
        print("  | rung | step | tests | alarms | trend kept |")
        print("  |---|---|---|---|---|")
        for rung, f in rungs.items():
            if rung not in LADDER:  # the comparisons printed below
                continue
            print(
                f"  | {rung} | {STEP[rung]} | {f['tests']:,} | {f['alarms']} | "
                f"{f['trend_kept']:.1%} |"
            )
        st = rungs["S_vs_T"]
        print(
            f"  S vs T: trend decision differs in {st['trend_differs']} area-months "
            f"({st['surveillance_keeps_vrkit_drops']} where surveillance keeps it); where it "
            f"agrees, expected counts differ by at most {st['same_trend_max_rel_expected']:.1e} "
            f"(relative; all-zero series: {st['same_trend_max_abs_expected_below_half']:.1e} "
            f"absolute) and {st['same_trend_threshold_differs']} thresholds differ"
        )
        sd = rungs["S_days_vs_S"]
        print(
            f"  S with trend_time='days' (epochAsDate = TRUE) vs S: expected counts differ by "
            f"{sd['median_rel_expected']:.1e} (median, relative), at most "
            f"{sd['max_rel_expected']:.1e}; {sd['threshold_differs']} thresholds and "
            f"{sd['alarm_differs']} alarms differ"
        )
    print("\nSynthetic series with known truth (nominal false-alarm rate 1 %)")
    for scenario, rungs in synth.items():
        first = next(iter(rungs.values()))
        print(
            f"\n  scenario {scenario}: {first['null_tests']:,} null tests, "
            f"{first['outbreaks']:,} outbreaks (+3 SD)"
        )
        means = " | ".join(f"FA μ={m}" for m in MEANS)
        dets = " | ".join(f"det μ={m}" for m in MEANS)
        print(f"  | rung | false alarms | {means} | detection | {dets} | trend kept |")
        print("  |---|---|" + "---|" * (2 * len(MEANS) + 2))
        for rung, f in rungs.items():
            fa = " | ".join(f"{f['false_alarm_by_mean'][m]:.2%}" for m in MEANS)
            de = " | ".join(f"{f['detection_by_mean'][m]:.1%}" for m in MEANS)
            print(
                f"  | {rung} | {f['false_alarm_rate']:.2%} | {fa} | {f['detection']:.1%} | "
                f"{de} | {f['trend_kept_null']:.0%} |"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller synthetic set")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    ap.add_argument("--real-only", action="store_true", help="skip the synthetic series")
    args = ap.parse_args()
    t0 = time.perf_counter()
    real = real_figures()
    n_null, n_out = (60, 3) if args.quick else (200, 8)
    synth = {} if args.real_only else synthetic_figures(n_null, n_out)
    _print(real, synth)
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"real": real, "synthetic": synth}, indent=2) + "\n")


if __name__ == "__main__":
    main()

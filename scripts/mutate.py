"""Mutation check of vrkit's statistics and source rules (issue #21): ``make mutate``.

Each mutant is one small, realistic bug (a dropped term, a flipped comparison, an off-by-one)
applied to a throw-away copy of ``src/`` — the working tree is never edited — and the test
files that guard that code are run against the copy (``PYTHONPATH`` puts the copy first). A
mutant is *killed* when a test fails, *survived* when they all pass. The list is curated, not
generated: every row of issue #21's table plus the rules the new tests target. The run prints
one line per mutant and the score, and exits 1 if any mutant survives.

    .venv/bin/python scripts/mutate.py            # all mutants
    .venv/bin/python scripts/mutate.py -k gi_star # mutants whose name contains "gi_star"
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str  # under src/vrkit/
    old: str  # must occur exactly once in the file
    new: str
    tests: tuple[str, ...]  # pytest arguments (files and -k selections)
    also: tuple[tuple[str, str], ...] = ()  # further (old, new) edits of the same file


EW = "tests/analysis/test_early_warning.py"
HS = "tests/analysis/test_hotspots.py"
NI = "tests/analysis/test_need_index.py"
PU = "tests/sources/test_police_uk.py"
SDC = "tests/health/test_sdc.py"

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "gi_star_s1_sum_w_not_sum_w2",
        "analysis/hotspots.py",
        "s1 = np.asarray(off.multiply(off).sum(axis=1)).ravel() + self_w**2",
        "s1 = np.asarray(off.sum(axis=1)).ravel() + self_w**2",
        (HS, "-k", "row_standardised or exact_permutation"),
    ),
    Mutant(
        "gi_star_s1_self_weight_not_squared",
        "analysis/hotspots.py",
        "s1 = np.asarray(off.multiply(off).sum(axis=1)).ravel() + self_w**2",
        "s1 = np.asarray(off.multiply(off).sum(axis=1)).ravel() + self_w",
        (HS, "-k", "row_standardised or exact_permutation"),
    ),
    Mutant(
        "gi_star_variance_divisor_n",
        "analysis/hotspots.py",
        "denom = s * np.sqrt((n * s1 - wi**2) / (n - 1))",
        "denom = s * np.sqrt((n * s1 - wi**2) / n)",
        (HS, "-k", "row_standardised or exact_permutation"),
    ),
    Mutant(
        "fdr_monotonicity_dropped",
        "analysis/_inference.py",
        "adj = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]",
        "adj = ranked * m / np.arange(1, m + 1)",
        (HS, "-k", "non_monotone or short_non"),
    ),
    Mutant(
        "holm_monotonicity_dropped",
        "analysis/_inference.py",
        "adj = np.maximum.accumulate(ranked * (m - np.arange(m)))",
        "adj = ranked * (m - np.arange(m))",
        (HS, "-k", "non_monotone"),
    ),
    Mutant(
        "early_warning_bh_m_counts_nan",
        "analysis/early_warning.py",
        "    m = int(ok.sum())\n    if m == 0:\n        return q\n",
        "    m = int(p.size)\n    if m == 0:\n        return q\n",
        (EW, "-k", "benjamini"),
    ),
    Mutant(
        "noufaily_p_value_strict_tail",
        "analysis/early_warning.py",
        "pval = np.clip(_nb_sf(obs - 1.0, mu_q, phi_q), 0.0, 1.0)",
        "pval = np.clip(_nb_sf(obs, mu_q, phi_q), 0.0, 1.0)",
        (EW, "-k", "tail_by_hand"),
    ),
    Mutant(
        "noufaily_predictive_plain_dispersion",
        "analysis/early_warning.py",
        "phi_q = phi + mu0 * var_eta",
        "phi_q = phi",
        (EW, "-k", "tail_by_hand"),
    ),
    Mutant(
        "fallback_p_value_strict_tail",
        "analysis/early_warning.py",
        "pval = np.clip(_nb_sf(Y[:, t] - 1.0, mu_u, phi), 0.0, 1.0)",
        "pval = np.clip(_nb_sf(Y[:, t], mu_u, phi), 0.0, 1.0)",
        (EW, "-k", "fallback_mean"),
    ),
    Mutant(
        "fallback_variance_divisor_n",
        "analysis/early_warning.py",
        ".sum(axis=1) / (n - 1)",
        ".sum(axis=1) / n",
        (EW, "-k", "fallback_mean"),
    ),
    Mutant(
        "fallback_mean_limit_without_dispersion",
        "analysis/early_warning.py",
        "np.exp(z * np.sqrt(phi / (np.maximum(n, 1) * mean_pos)))",
        "np.exp(z * np.sqrt(1 / (np.maximum(n, 1) * mean_pos)))",
        (EW, "-k", "fallback_mean"),
    ),
    Mutant(
        "byar_alpha_not_halved",
        "analysis/trends.py",
        "        z = stats.norm.ppf(1 - alpha / 2)\n",
        "        z = stats.norm.ppf(1 - alpha)\n",
        ("tests/analysis/test_trends.py",),
    ),
    Mutant(
        "need_index_z_sample_sd",
        "analysis/_composite.py",
        "out[ok, j] = (v - v.mean()) / v.std()",
        "out[ok, j] = (v - v.mean()) / v.std(ddof=1)",
        (NI,),
    ),
    Mutant(
        "rank_draws_not_reweighted_per_area",
        "analysis/_composite.py",
        "den = weight_draws @ a.T",
        "den = weight_draws @ np.ones_like(a).T",
        (NI, "-k", "missing_indicators"),
    ),
    Mutant(
        "police_uk_half_coordinate_rule_dropped",
        "sources/police_uk.py",
        'f"({_q(lon)} IS NULL) <> ({_q(lat)} IS NULL)"',
        'f"FALSE"',
        (PU, "-k", "one_coordinate or outcomes_bad or stop_and_search_bad"),
    ),
    Mutant(
        "stop_search_month_in_utc",
        "sources/police_uk.py",
        "f\"strftime(timezone('Europe/London', {ts}), '%Y-%m') <> _fm\"",
        "f\"strftime({ts}, '%Y-%m') <> _fm\"",
        (PU, "-k", "stop_and_search_bad"),
    ),
    Mutant(
        "latitude_range_widened",
        "sources/police_uk.py",
        "LAT_RANGE = (49.0, 61.0)",
        "LAT_RANGE = (49.0, 63.0)",
        (PU, "-k", "stop_and_search_bad"),
    ),
    Mutant(
        "outcomes_falls_within_rule_dropped",
        "sources/police_uk.py",
        'rules.append((\'"Falls within" IS NULL\', "Falls within", "Falls within is missing"))',
        "pass",
        (PU, "-k", "outcomes_bad"),
    ),
    Mutant(
        "sdc_zero_complement_first",
        "disclosure/sdc.py",
        "k = int(np.lexsort((np.arange(len(ij)), -s, v, kw, v <= 0))[0])",
        "k = int(np.lexsort((np.arange(len(ij)), -s, v, kw))[0])",
        (SDC, "-k", "enumeration"),
    ),
    Mutant(
        # the runtime guard at the end of secondary_mask raises on the bridge left open
        "sdc_bridge_step_removed",
        "disclosure/sdc.py",
        "        for i, j in _bridges(mask):\n            if not mask[i, j]:",
        "        for i, j in []:\n            if not mask[i, j]:",
        (SDC, "-k", "enumeration"),
    ),
    Mutant(
        "sdc_bridge_step_and_guard_removed",
        "disclosure/sdc.py",
        "        for i, j in _bridges(mask):\n            if not mask[i, j]:",
        "        for i, j in []:\n            if not mask[i, j]:",
        (SDC, "-k", "enumeration"),
        also=(("    if _bridges(mask):  # cannot happen", "    if False:  # cannot happen"),),
    ),
    Mutant(
        "mps_release_by_load_time",
        "store/warehouse.py",
        "arg_max(dataset_id, (covers_to, loaded_at, dataset_id))",
        "arg_max(dataset_id, (loaded_at, dataset_id))",
        ("tests/store/test_release_choice.py",),
    ),
)


def run(mutant: Mutant, python: str) -> tuple[bool, str, float]:
    with tempfile.TemporaryDirectory(prefix="vrkit-mutant-") as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(ROOT / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
        target = src / "vrkit" / mutant.path
        text = target.read_text(encoding="utf-8")
        for old, new in ((mutant.old, mutant.new), *mutant.also):
            if text.count(old) != 1:
                raise SystemExit(
                    f"{mutant.name}: the original text occurs {text.count(old)} times in "
                    f"{mutant.path} (expected once); update scripts/mutate.py"
                )
            text = text.replace(old, new)
        target.write_text(text, encoding="utf-8")
        env = dict(os.environ, PYTHONPATH=f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        start = time.perf_counter()
        proc = subprocess.run(
            [python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *mutant.tests],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        # a sanity check that the copy, not the working tree, was imported
        check = subprocess.run(
            [python, "-c", "import vrkit, sys; sys.stdout.write(vrkit.__file__)"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if not check.stdout.startswith(str(src)):
            raise SystemExit(f"the mutant copy was not imported (got {check.stdout!r})")
        lines = proc.stdout.strip().splitlines()
        return (
            proc.returncode != 0,
            lines[-1] if lines else proc.stderr[-200:],
            (time.perf_counter() - start),
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-k", default="", help="run only mutants whose name contains this")
    args = ap.parse_args()
    python = sys.executable
    chosen = [m for m in MUTANTS if args.k in m.name]
    killed = 0
    for m in chosen:
        dead, tail, secs = run(m, python)
        killed += dead
        print(f"{'KILLED  ' if dead else 'SURVIVED'} {m.name:42s} {secs:6.1f}s  {tail}", flush=True)
    print(f"mutation score: {killed}/{len(chosen)} killed")
    return 0 if killed == len(chosen) else 1


if __name__ == "__main__":
    raise SystemExit(main())

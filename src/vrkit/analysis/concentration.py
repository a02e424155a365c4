"""Crime concentration at place: top-x % shares, Lorenz curve, (generalised) Gini, persistence.

"Smaller is better": the law of crime concentration (Weisburd 2015) says a small share of
places holds a large share of crime. Which share, and how stable it is, are the questions here.

References
----------
Bernasco, W. & Steenbeek, W. (2017). More places than crimes: implications for evaluating the law
of crime concentration at place. *Journal of Quantitative Criminology* 33(3), 451–467.
doi:10.1007/s10940-016-9324-7 (and the authors' R package ``lorenzgini``).
Deltas, G. (2003). The small-sample bias of the Gini coefficient. *Review of Economics and
Statistics* 85(1), 226–234.
Weisburd, D. (2015). The law of crime concentration and the criminology of place. *Criminology*
53(2), 133–157.
Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*, ch. 13 (percentile
intervals).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vrkit.analysis._inference import make_rng
from vrkit.analysis._validate import require_columns
from vrkit.errors import InputError

#: fewest places for a concentration measure
MIN_PLACES = 2


def _counts(counts: Any) -> np.ndarray:
    arr = np.asarray(counts, dtype=float).ravel()
    if arr.size < MIN_PLACES:
        raise InputError(f"concentration needs at least {MIN_PLACES} places (got {arr.size})")
    bad = ~np.isfinite(arr)
    if bad.any():
        raise InputError(
            f"counts contain {int(bad.sum())} missing value(s); first at position "
            f"{int(np.flatnonzero(bad)[0])}",
            hint="Missing is not zero: drop or fill those places explicitly.",
        )
    if (arr < 0).any():
        raise InputError("counts must be ≥ 0")
    if arr.sum() <= 0:
        raise InputError("there are no crimes (all counts are 0): concentration is undefined")
    return arr


def gini(counts: Any, *, generalised: bool = True, unbiased: bool = False) -> float:
    """Gini coefficient of crime across places.

    Parameters
    ----------
    counts : array-like
        Crimes per place (zeros included: every place counts).
    generalised : bool, default True
        Bernasco & Steenbeek (2017) generalised Gini ``G' = max(1, n/C)·(G − 1) + 1``: when
        there are fewer crimes C than places n, compare with *maximal* equality (C places with one
        crime each) rather than perfect equality. Equals G when C ≥ n.
    unbiased : bool, default False
        Multiply by ``m/(m − 1)``, m = min(n, C) (Deltas 2003; ``lorenzgini`` ``unbiased``).

    Notes
    -----
    ``G = Σ_i (2i − n − 1) x_(i) / (n Σ x)`` with ``x`` sorted ascending (the "biased" Gini of
    ``DescTools::Gini(unbiased = FALSE)``). Checked against the ``lorenzgini`` examples:
    (10, 8, 2, 0×7) → 0.78 / 0.78; (5, 2, 1, 0×7) → 0.80 / 0.75.
    """
    x = np.sort(_counts(counts))
    return float(_gini_weighted(x[None, :], np.ones((1, x.size)), generalised, unbiased)[0])


def _gini_weighted(
    x_sorted: np.ndarray, f: np.ndarray, generalised: bool, unbiased: bool
) -> np.ndarray:
    """Gini of samples given as frequency weights ``f`` (rows) over ascending values ``x``.

    For the expanded sample of size n = Σf, a value repeated f_i times at ranks c_{i−1}+1..c_i
    contributes ``x_i f_i (c_{i−1} + c_i − n)`` to ``Σ_k (2k − n − 1) y_(k)``.
    """
    c = np.cumsum(f, axis=1)
    n = c[:, -1]
    prev = c - f
    total = (f * x_sorted).sum(axis=1)
    num = (x_sorted * f * (prev + c - n[:, None])).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = num / (n * total)
        if generalised:
            g = np.maximum(1.0, n / total) * (g - 1.0) + 1.0
        if unbiased:
            mm = np.minimum(n, total)
            g = g * mm / (mm - 1)
    return g


def lorenz_curve(counts: Any) -> pd.DataFrame:
    """Lorenz curve with places ranked from most to least crime (as ``lorenzgini::lorenz``).

    Returns
    -------
    DataFrame
        ``share_places, share_crimes`` from (0, 0) to (1, 1), one row per place plus the origin,
        and ``equality_generalised``: the line of maximal equality of Bernasco & Steenbeek (2017)
        (reaches 1 at C/n when there are fewer crimes C than places n).
    """
    x = np.sort(_counts(counts))[::-1]
    n = x.size
    sp = np.arange(n + 1) / n
    sc = np.concatenate([[0.0], np.cumsum(x) / x.sum()])
    reach = min(1.0, x.sum() / n)
    return pd.DataFrame(
        {
            "share_places": sp,
            "share_crimes": sc,
            "equality_generalised": np.minimum(1.0, sp / reach),
        }
    )


def top_share(counts: Any, fraction: float) -> tuple[float, int]:
    """Share of crime in the top ``fraction`` of places (e.g. 0.05): the ``ceil(fraction · n)``
    places with most crime. Returns ``(share, number of places)``."""
    if not 0 < fraction <= 1:
        raise InputError(f"fraction must be in (0, 1] (got {fraction})")
    x = np.sort(_counts(counts))[::-1]
    k = max(1, math.ceil(fraction * x.size - 1e-9))
    return float(x[:k].sum() / x.sum()), k


def places_for_share(counts: Any, share: float) -> tuple[float, int]:
    """Fewest places holding at least ``share`` (e.g. 0.5) of crime: ``(fraction of places,
    number of places)``."""
    if not 0 < share <= 1:
        raise InputError(f"share must be in (0, 1] (got {share})")
    x = np.sort(_counts(counts))[::-1]
    cum = np.cumsum(x) / x.sum()
    k = int(np.searchsorted(cum, share - 1e-12) + 1)
    return k / x.size, k


@dataclass(frozen=True, eq=False)
class ConcentrationResult:
    """Concentration of crime across places (one period).

    ``top_shares`` maps a fraction of places (0.05) to the share of crime they hold;
    ``places_for`` maps a share of crime (0.5) to the fraction of places needed.
    """

    places: int
    crimes: float
    top_shares: dict[float, float]
    top_counts: dict[float, int]
    places_for: dict[float, float]
    places_for_counts: dict[float, int]
    gini: float
    gini_adjusted: float
    gini_ci: tuple[float, float]
    lorenz: pd.DataFrame
    method: str
    reference: str
    params: dict[str, Any]
    n_bootstrap: int
    seed: int | None
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with the stable keys of issue 4 (``places``, ``crimes``,
        ``top_5pct_share``, ``places_for_50pct``, ``gini``, ``gini_adjusted``, ``gini_ci``)."""
        out: dict[str, Any] = {"places": self.places, "crimes": self.crimes}
        for f, s in self.top_shares.items():
            out[f"top_{_pct(f)}pct_share"] = s
            out[f"top_{_pct(f)}pct_places"] = self.top_counts[f]
        for s, f in self.places_for.items():
            out[f"places_for_{_pct(s)}pct"] = f
            out[f"places_for_{_pct(s)}pct_n"] = self.places_for_counts[s]
        out.update(
            {
                "gini": self.gini,
                "gini_adjusted": self.gini_adjusted,
                "gini_ci": list(self.gini_ci),
                "method": self.method,
                "reference": self.reference,
                "params": self.params,
                "n_bootstrap": self.n_bootstrap,
                "seed": self.seed,
                "warnings": list(self.warnings),
            }
        )
        return out

    def to_frame(self) -> pd.DataFrame:
        """The summary as a one-row frame (lists flattened)."""
        d = self.to_dict()
        d.pop("params")
        d["gini_ci_lower"], d["gini_ci_upper"] = d.pop("gini_ci")
        d["warnings"] = "; ".join(d["warnings"])
        return pd.DataFrame([d])


def _pct(f: float) -> str:
    v = f * 100
    return str(int(v)) if abs(v - round(v)) < 1e-9 else f"{v:g}".replace(".", "_")


def concentration(
    counts: Any,
    *,
    top: tuple[float, ...] = (0.01, 0.05, 0.10, 0.20),
    shares: tuple[float, ...] = (0.25, 0.50),
    n_bootstrap: int = 1000,
    seed: int | np.random.Generator | None = 1,
    level: float = 0.95,
    unbiased: bool = False,
) -> ConcentrationResult:
    """Concentration of crime across places, with a bootstrap CI for the adjusted Gini.

    Parameters
    ----------
    counts : array-like
        Crimes per place (zeros included). NaN refused.
    top : tuple of float
        Fractions of places for ``top_shares`` (default 1, 5, 10, 20 %).
    shares : tuple of float
        Shares of crime for ``places_for`` (default 25 %, 50 %).
    n_bootstrap : int, default 1000
        Percentile-bootstrap replicates for ``gini_ci`` (places resampled with replacement;
        Efron & Tibshirani 1993 ch. 13). 0: no interval (NaN, NaN).
    seed : int or Generator
        Bootstrap seed (required when ``n_bootstrap > 0``).
    level : float, default 0.95
    unbiased : bool, default False
        Apply the Deltas (2003) small-sample factor to ``gini_adjusted``.

    Returns
    -------
    ConcentrationResult
        ``gini`` is the standard Gini; ``gini_adjusted`` the generalised Gini of Bernasco &
        Steenbeek (2017) (equal to ``gini`` when crimes ≥ places), and ``gini_ci`` its interval.
    """
    x = _counts(counts)
    n = x.size
    c = float(x.sum())
    warns = []
    if c < n:
        warns.append(
            f"fewer crimes ({c:g}) than places ({n}): the standard Gini is biased upward; "
            "use gini_adjusted (Bernasco & Steenbeek 2017)"
        )
    xs = np.sort(x)
    g = float(_gini_weighted(xs[None, :], np.ones((1, n)), False, False)[0])
    ga = float(_gini_weighted(xs[None, :], np.ones((1, n)), True, unbiased)[0])
    ci = (math.nan, math.nan)
    seed_out = seed if isinstance(seed, int) else None
    if n_bootstrap:
        rng = make_rng(seed)
        reps = []
        step = max(1, 2_000_000 // n)
        done = 0
        while done < n_bootstrap:
            b = min(step, n_bootstrap - done)
            # resampling n places with replacement = multinomial frequencies per replicate
            picks = rng.integers(0, n, size=(b, n))
            flat = (np.arange(b)[:, None] * n + picks).ravel()
            f = np.bincount(flat, minlength=b * n).reshape(b, n).astype(float)
            ok = (f * xs).sum(axis=1) > 0
            reps.append(_gini_weighted(xs[None, :], f[ok], True, unbiased))
            done += b
        boot = np.concatenate(reps)
        a = (1 - level) / 2
        ci = (float(np.quantile(boot, a)), float(np.quantile(boot, 1 - a)))
    tops = {f: top_share(x, f) for f in top}
    fors = {s: places_for_share(x, s) for s in shares}
    return ConcentrationResult(
        places=n,
        crimes=c,
        top_shares={f: v[0] for f, v in tops.items()},
        top_counts={f: v[1] for f, v in tops.items()},
        places_for={s: v[0] for s, v in fors.items()},
        places_for_counts={s: v[1] for s, v in fors.items()},
        gini=g,
        gini_adjusted=ga,
        gini_ci=ci,
        lorenz=lorenz_curve(x),
        method="Lorenz curve, Gini and generalised Gini; top-x% = ceil(x·n) places with most crime",
        reference="Bernasco & Steenbeek (2017) J Quant Criminol 33:451-467; Deltas (2003); Efron & Tibshirani (1993)",
        params={
            "top": list(top),
            "shares": list(shares),
            "level": level,
            "unbiased": unbiased,
            "ci": "percentile bootstrap of the generalised Gini, places resampled",
        },
        n_bootstrap=int(n_bootstrap),
        seed=seed_out,
        warnings=tuple(warns),
    )


def persistence(
    counts: pd.DataFrame,
    *,
    id_column: str = "area_code",
    period: str = "year",
    count: str = "count",
    top: float = 0.05,
) -> pd.DataFrame:
    """Do the same places stay on top? Overlap and rank correlation between periods.

    Parameters
    ----------
    counts : DataFrame
        Long counts ``id_column, period, count``; each place must appear in every period
        (missing is not zero: gaps raise an error).
    top : float, default 0.05
        Fraction of places that count as "top" (``ceil(top · n)`` places, ties broken by id).

    Returns
    -------
    DataFrame
        One row per pair of periods (each period against the previous one and against the first):
        ``period_from, period_to, top_places, overlap`` (share of the earlier top places still on
        top), ``jaccard`` (|A∩B| / |A∪B|) and ``spearman`` (rank correlation of all counts, with
        its p-value).
    """
    require_columns(counts, [id_column, period, count], "counts")
    wide = counts.groupby([id_column, period])[count].sum(min_count=1).unstack(period)
    if wide.isna().any().any():
        raise InputError(
            f"{int(wide.isna().sum().sum())} place-period count(s) are missing",
            hint="Missing is not zero: every place needs a count in every period.",
        )
    periods = sorted(wide.columns.tolist())
    if len(periods) < 2:
        raise InputError(f"persistence needs at least 2 periods (got {len(periods)})")
    n = len(wide)
    k = max(1, math.ceil(top * n - 1e-9))

    def top_set(col: Any) -> set[Any]:
        s = wide[col].sort_index()
        order = np.lexsort((np.arange(n), -s.to_numpy()))
        return set(s.index[order[:k]])

    tops = {p: top_set(p) for p in periods}
    pairs = [(periods[i - 1], periods[i]) for i in range(1, len(periods))]
    pairs += [(periods[0], p) for p in periods[2:]]
    rows = []
    for a, b in pairs:
        inter = len(tops[a] & tops[b])
        rho = stats.spearmanr(wide[a], wide[b])
        rows.append(
            {
                "period_from": a,
                "period_to": b,
                "top_places": k,
                "overlap": inter / k,
                "jaccard": inter / len(tops[a] | tops[b]),
                "spearman": float(rho.statistic),
                "spearman_p": float(rho.pvalue),
            }
        )
    return pd.DataFrame(rows)

"""Space-time hotspot classes: sfhotspot's scheme and ESRI's Emerging Hot Spot Analysis.

Both start from a Gi* z-score and p-value per place and time step (:func:`gi_star_by_period`
runs :func:`vrkit.analysis.hotspots.gi_star` once per step on the same neighbours) and turn each
place's sequence into one class.

References
----------
Ashby, M. P. J. sfhotspot (R package), ``hotspot_classify()`` and ``hotspot_classify_params()``,
https://github.com/mpjashby/sfhotspot (R/hotspot_classify.R, R/hotspot_classify_params.R).
Esri. How Emerging Hot Spot Analysis works. ArcGIS Pro documentation,
https://pro.arcgis.com/en/pro-app/latest/tool-reference/space-time-pattern-mining/learnmoreemerging.htm
Mann, H. B. (1945). Nonparametric tests against trend. *Econometrica* 13(3), 245–259.
Kendall, M. G. (1975). *Rank Correlation Methods*, 4th ed. Griffin.
Hipel, K. W. & McLeod, A. I. (1994). *Time Series Modelling of Water Resources and Environmental
Systems*, §23.3 (tie correction and continuity correction of the Mann–Kendall test).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from vrkit.analysis._inference import adjust_pvalues, normalise_adjust
from vrkit.analysis._validate import require_columns
from vrkit.analysis.hotspots import gi_star, weights_matrix
from vrkit.errors import InputError

#: Mann–Kendall needs at least this many time steps
MIN_STEPS_MK = 3
#: sfhotspot needs one recent and one earlier period
MIN_STEPS_SFHOTSPOT = 2
#: ESRI's thresholds: "ninety percent of the time-step intervals"
EHSA_SHARE = 0.9


# ---------------------------------------------------------------------------------------------
# Mann–Kendall
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class MannKendallResult:
    """Mann–Kendall trend test per series (arrays, one entry per series).

    Attributes
    ----------
    s : ndarray
        ``S = Σ_{i<j} sign(x_j − x_i)``.
    var_s : ndarray
        Variance of S under no trend, with the tie correction
        ``[n(n−1)(2n+5) − Σ_t t(t−1)(2t+5)] / 18`` (Kendall 1975).
    z : ndarray
        ``(S − 1)/√var`` if S > 0, ``(S + 1)/√var`` if S < 0, else 0 (continuity-corrected;
        without correction ``S/√var``).
    p_value : ndarray
        Two-sided normal p-value of z.
    tau : ndarray
        Kendall's tau-b between the series and time.
    """

    s: np.ndarray
    var_s: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    tau: np.ndarray
    n: int
    continuity: bool
    method: str = "Mann-Kendall trend test (tie-corrected variance)"
    reference: str = "Mann (1945); Kendall (1975); Hipel & McLeod (1994) §23.3"


def mann_kendall(x: Any, *, continuity: bool = True) -> MannKendallResult:
    """Mann–Kendall test for a monotonic trend, for one series or many (rows of a 2-D array).

    Parameters
    ----------
    x : array-like, shape (T,) or (m, T)
        Equally or unequally spaced observations in time order. NaN refused.
    continuity : bool, default True
        Apply the ±1 continuity correction to z (as R ``Kendall::MannKendall``). With
        ``False`` the p-value equals ``scipy.stats.kendalltau(time, x)``'s asymptotic p-value.

    Returns
    -------
    MannKendallResult
    """
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise InputError(f"x must be 1-D or 2-D (got {arr.ndim}-D)")
    m, n = arr.shape
    if n < MIN_STEPS_MK:
        raise InputError(
            f"the Mann-Kendall test needs at least {MIN_STEPS_MK} time steps (got {n})",
            hint="Use more periods (e.g. quarters instead of years).",
        )
    if np.isnan(arr).any():
        raise InputError(f"x contains {int(np.isnan(arr).sum())} missing value(s)")
    s = np.zeros(m)
    for i in range(n - 1):
        s += np.sign(arr[:, i + 1 :] - arr[:, i : i + 1]).sum(axis=1)
    srt = np.sort(arr, axis=1)
    t_each = (srt[:, :, None] == srt[:, None, :]).sum(axis=2)  # size of each value's tie group
    tie_term = ((t_each - 1) * (2 * t_each + 5)).sum(axis=1)  # Σ_groups t(t−1)(2t+5)
    tie_pairs = ((t_each - 1).sum(axis=1)) / 2  # Σ_groups t(t−1)/2
    var = (n * (n - 1) * (2 * n + 5) - tie_term) / 18.0
    sd = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        if continuity:
            z = np.where(s > 0, (s - 1) / sd, np.where(s < 0, (s + 1) / sd, 0.0))
        else:
            z = np.where(sd > 0, s / sd, 0.0)
        z = np.where(sd > 0, z, 0.0)
        n0 = n * (n - 1) / 2
        tau = np.where(n0 - tie_pairs > 0, s / np.sqrt(n0 * (n0 - tie_pairs)), 0.0)
    p = 2 * stats.norm.sf(np.abs(z))
    return MannKendallResult(s=s, var_s=var, z=z, p_value=p, tau=tau, n=n, continuity=continuity)


# ---------------------------------------------------------------------------------------------
# Gi* per period
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SpaceTimeGi:
    """Gi* per place (rows) and period (columns)."""

    ids: np.ndarray
    periods: list[Any]
    counts: np.ndarray
    z: np.ndarray
    p_value: np.ndarray
    p_adjusted: np.ndarray
    params: dict[str, Any]


def gi_star_by_period(
    counts: pd.DataFrame,
    weights: Any,
    *,
    ids: Any,
    period: str = "period",
    id_column: str = "area_code",
    count: str = "count",
    permutations: int = 0,
    seed: int | None = None,
    adjust: str | None = "fdr",
    alpha: float = 0.05,
) -> SpaceTimeGi:
    """Run Gi* for each period on the same places and neighbours.

    Parameters
    ----------
    counts : DataFrame
        Long counts: ``id_column, period, count``. Every place in ``ids`` must have a count for
        every period (missing is not zero: absent rows raise an error naming them).
    weights : W, Graph or sparse matrix
        Neighbours, rows in the order of ``ids``.
    ids : array-like
        Place identifiers in the order of the weights.
    permutations, seed, adjust, alpha
        Passed to :func:`~vrkit.analysis.hotspots.gi_star` (default analytic inference, as
        sfhotspot and ArcGIS; ``adjust`` is applied within each period, as ArcGIS's FDR option).
    """
    require_columns(counts, [id_column, period, count], "counts")
    place_ids = np.asarray(ids)
    wide = counts.groupby([id_column, period])[count].sum(min_count=1).unstack(period)
    periods = sorted(wide.columns.tolist())
    wide = wide.reindex(index=place_ids, columns=periods)
    if wide.isna().any().any():
        bad = wide.isna().stack()
        first = bad[bad].index[0]
        raise InputError(
            f"{int(bad.sum())} place-period count(s) are missing; first: {first[0]} in {first[1]}",
            hint="Missing is not zero: supply every place for every period (0 where none).",
        )
    m, _ = weights_matrix(weights, len(place_ids))
    y = wide.to_numpy(float)
    zs, ps, pa = [], [], []
    for j in range(y.shape[1]):
        r = gi_star(
            y[:, j],
            m,
            ids=place_ids,
            permutations=permutations,
            seed=seed,
            adjust=adjust,
            alpha=alpha,
        )
        zs.append(r.z)
        ps.append(r.p_value)
        pa.append(r.p_adjusted)
    params = {
        "periods": periods,
        "permutations": permutations,
        "adjust": normalise_adjust(adjust),
        "alpha": alpha,
        "adjust_scope": "within each period",
    }
    return SpaceTimeGi(
        place_ids, periods, y, np.column_stack(zs), np.column_stack(ps), np.column_stack(pa), params
    )


# ---------------------------------------------------------------------------------------------
# sfhotspot classification
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SpaceTimeClasses:
    """One class per place from a space-time sequence of Gi* results."""

    ids: np.ndarray
    category: np.ndarray
    detail: pd.DataFrame
    method: str
    reference: str
    params: dict[str, Any]
    warnings: tuple[str, ...] = field(default=())

    def to_frame(self, id_name: str = "area_code") -> pd.DataFrame:
        out = self.detail.copy()
        out.insert(0, id_name, self.ids)
        return out


def _check_zp(z: Any, p: Any, min_steps: int, what: str) -> tuple[np.ndarray, np.ndarray]:
    za = np.asarray(z, dtype=float)
    pa = np.asarray(p, dtype=float)
    if za.ndim != 2 or za.shape != pa.shape:
        raise InputError(
            f"z and p must be 2-D arrays of the same shape (places × periods); got {za.shape} and {pa.shape}"
        )
    if za.shape[1] < min_steps:
        raise InputError(
            f"{what} needs at least {min_steps} time steps (got {za.shape[1]})",
            hint="Use more (shorter) periods.",
        )
    if np.isnan(za).any() or np.isnan(pa).any():
        raise InputError("z or p contains missing values")
    return za, pa


def classify_sfhotspot(
    z: Any,
    p: Any,
    *,
    ids: Any = None,
    hotspot_prop: float = 0.1,
    persistent_prop: float = 0.8,
    recent_prop: float = 0.2,
    critical_p: float = 0.05,
    p_adjust: str | None = "holm",
) -> SpaceTimeClasses:
    """sfhotspot's hot-spot classes: persistent, emerging, former, intermittent, no pattern.

    Parameters
    ----------
    z, p : array (places × periods)
        Gi* z-scores and (unadjusted) p-values per period, periods in time order.
    hotspot_prop : float, default 0.1
        Minimum share of periods significant for any hot/cold class (sfhotspot default).
    persistent_prop : float, default 0.8
        Minimum share of periods significant for a *persistent* class.
    recent_prop : float, default 0.2
        Share of periods counted as recent (``floor(recent_prop · T)``, at least 1); also the
        share of recent periods that must be significant for *emerging* (sfhotspot's code).
    critical_p : float, default 0.05
        Significance threshold on the adjusted p-value (strict ``<``, as sfhotspot).
    p_adjust : {"holm", "fdr", "none"}, default "holm"
        Adjustment across each place's periods. sfhotspot passes ``p_adjust_method = NULL`` to
        ``stats::p.adjust``, whose default is Holm.

    Returns
    -------
    SpaceTimeClasses
        ``category``: ``persistent/emerging/former/intermittent hotspot`` (or ``coldspot``),
        ``mixed hot/coldspot`` when both a hot and a cold class apply, else ``no pattern``.

    Notes
    -----
    Per place, with ``h_t`` = significant and z > 0: ``prop`` = share of all periods hot,
    ``recent`` = share of the last R periods hot, ``older`` = share of the earlier ones hot.
    Persistent: ``prop ≥ persistent_prop``; else emerging: ``older < hotspot_prop`` and
    ``recent ≥ recent_prop``; else former: ``older ≥ hotspot_prop`` and ``recent <
    hotspot_prop``; else intermittent: ``prop ≥ hotspot_prop``. Same for cold spots.
    sfhotspot's R code takes ``recent`` over the last R + 1 columns (``(ncol − R):ncol``) while
    dividing by R; vrkit uses exactly the last R periods, as its documentation describes.
    """
    za, pa = _check_zp(z, p, MIN_STEPS_SFHOTSPOT, "sfhotspot classification")
    for name, v in (
        ("hotspot_prop", hotspot_prop),
        ("persistent_prop", persistent_prop),
        ("recent_prop", recent_prop),
        ("critical_p", critical_p),
    ):
        if not 0 < v < 1:
            raise InputError(f"{name} must be between 0 and 1 (got {v})")
    method = normalise_adjust(p_adjust)
    n, t = za.shape
    padj = np.vstack([adjust_pvalues(row, method) for row in pa]) if method != "none" else pa
    sig = padj < critical_p
    hot = sig & (za > 0)
    cold = sig & (za < 0)
    warns: list[str] = []
    recent_n = math.floor(recent_prop * t)
    if recent_n < 1 or t - recent_n < 1:
        recent_n = 1
        warns.append(
            "zero periods were recent at recent_prop; the final period is treated as recent"
        )

    def classes(flag: np.ndarray, word: str) -> np.ndarray:
        prop = flag.mean(axis=1)
        recent = flag[:, t - recent_n :].mean(axis=1)
        older = flag[:, : t - recent_n].mean(axis=1)
        return np.select(
            [
                prop >= persistent_prop,
                (older < hotspot_prop) & (recent >= recent_prop),
                (older >= hotspot_prop) & (recent < hotspot_prop),
                prop >= hotspot_prop,
            ],
            [f"persistent {word}", f"emerging {word}", f"former {word}", f"intermittent {word}"],
            default="no pattern",
        )

    ch, cc = classes(hot, "hotspot"), classes(cold, "coldspot")
    cat = np.where(
        (ch != "no pattern") & (cc != "no pattern"),
        "mixed hot/coldspot",
        np.where(ch != "no pattern", ch, cc),
    )
    detail = pd.DataFrame(
        {
            "hotspot_category": cat,
            "periods_hot": hot.sum(axis=1),
            "periods_cold": cold.sum(axis=1),
            "periods": t,
        }
    )
    params = {
        "hotspot_prop": hotspot_prop,
        "persistent_prop": persistent_prop,
        "recent_prop": recent_prop,
        "recent_periods": recent_n,
        "critical_p": critical_p,
        "p_adjust": method,
        "p_adjust_scope": "across each place's periods (sfhotspot)",
    }
    place_ids = np.asarray(ids) if ids is not None else np.arange(n)
    return SpaceTimeClasses(
        place_ids,
        cat,
        detail,
        "sfhotspot hotspot_classify scheme",
        "Ashby, sfhotspot R/hotspot_classify.R and hotspot_classify_params.R",
        params,
        tuple(warns),
    )


# ---------------------------------------------------------------------------------------------
# Emerging Hot Spot Analysis
# ---------------------------------------------------------------------------------------------

EHSA_PATTERNS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)


def emerging_hotspots(
    z: Any,
    p: Any,
    *,
    ids: Any = None,
    alpha: float = 0.05,
    trend_alpha: float | None = None,
) -> SpaceTimeClasses:
    """ESRI Emerging Hot Spot Analysis categories from Gi* per time step + Mann–Kendall trend.

    Parameters
    ----------
    z, p : array (places × time steps)
        Gi* z-scores and p-values (already adjusted if desired, e.g. FDR per step as ArcGIS),
        time steps in order. At least 3 steps (Mann–Kendall); ESRI's shares assume ≥ 10.
    alpha : float, default 0.05
        Significance of a bin (p ≤ alpha).
    trend_alpha : float, optional
        Significance of the Mann–Kendall trend of the z-scores; default ``alpha``.

    Returns
    -------
    SpaceTimeClasses
        ``category`` is ``"<pattern> hot spot"``, ``"<pattern> cold spot"`` or
        ``"no pattern detected"``; ``detail`` holds the trend z, p, tau and the counts.

    Notes
    -----
    Rules as written in Esri's "How Emerging Hot Spot Analysis works" (h = significant hot
    bin, T = number of steps, share = hot bins / T; cold twins mirror them):

    - new: the final step is hot and no earlier step was.
    - consecutive: a single uninterrupted run of ≥ 2 hot bins ending at the final step, no hot
      bin before the run, share < 90 %.
    - intensifying: share ≥ 90 % including the final step, significant upward trend in z.
    - persistent: share ≥ 90 %, no significant trend.
    - diminishing: share ≥ 90 % including the final step, significant downward trend.
    - sporadic: final step hot, share < 90 %, earlier on-and-off hot bins, never a cold bin.
    - oscillating: final step hot, share < 90 %, at least one earlier cold bin.
    - historical: the final step is not hot, share ≥ 90 %.

    A persistent pattern whose final step is not hot is reported as historical (the more
    specific rule). The trend is Mann–Kendall on the Gi* z-scores with tie correction.
    """
    za, pa = _check_zp(z, p, MIN_STEPS_MK, "Emerging Hot Spot Analysis")
    ta = alpha if trend_alpha is None else trend_alpha
    n, t = za.shape
    mk = mann_kendall(za)
    warns = []
    if t < 10:
        warns.append(
            f"only {t} time steps: ESRI's 90 % rules mean 'all steps' below 10 steps, and the "
            "Mann-Kendall trend test has little power"
        )
    sig = pa <= alpha
    cats = np.full(n, "no pattern detected", dtype=object)
    for word, flag, other, up in (
        ("hot spot", sig & (za > 0), sig & (za < 0), 1),
        ("cold spot", sig & (za < 0), sig & (za > 0), -1),
    ):
        share = flag.mean(axis=1)
        final = flag[:, -1]
        before = flag[:, :-1].any(axis=1)
        # length of the run of flagged steps ending at the final step
        run = np.zeros(n, dtype=int)
        alive = np.ones(n, dtype=bool)
        for j in range(t - 1, -1, -1):
            alive &= flag[:, j]
            run += alive
        before_run = np.array([flag[i, : t - run[i]].any() for i in range(n)])
        trend_sig = mk.p_value <= ta
        trend_dir = np.sign(mk.s) * up  # +1: intensifying for this word
        high = share >= EHSA_SHARE
        rules = [
            (final & high & trend_sig & (trend_dir > 0), "intensifying"),
            (final & high & trend_sig & (trend_dir < 0), "diminishing"),
            (final & high & ~trend_sig, "persistent"),
            (~final & high, "historical"),
            (final & ~before, "new"),
            (final & (run >= 2) & ~before_run & ~high, "consecutive"),
            (final & ~high & other[:, :-1].any(axis=1), "oscillating"),
            (final & ~high & ~other.any(axis=1) & before, "sporadic"),
        ]
        for mask, name in rules:
            take = mask & (cats == "no pattern detected")
            cats[take] = f"{name} {word}"
    detail = pd.DataFrame(
        {
            "ehsa_category": cats.astype(str),
            "trend_z": mk.z,
            "trend_p": mk.p_value,
            "trend_tau": mk.tau,
            "steps_hot": (sig & (za > 0)).sum(axis=1),
            "steps_cold": (sig & (za < 0)).sum(axis=1),
            "steps": t,
        }
    )
    params = {
        "alpha": alpha,
        "trend_alpha": ta,
        "share_rule": EHSA_SHARE,
        "trend": "Mann-Kendall on Gi* z-scores, tie-corrected, continuity-corrected",
    }
    place_ids = np.asarray(ids) if ids is not None else np.arange(n)
    return SpaceTimeClasses(
        place_ids,
        cats.astype(str),
        detail,
        "Emerging Hot Spot Analysis (Esri rules)",
        "Esri, How Emerging Hot Spot Analysis works (ArcGIS Pro documentation); Mann (1945); Kendall (1975)",
        params,
        tuple(warns),
    )

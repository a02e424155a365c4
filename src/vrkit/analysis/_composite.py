"""Numeric kernels of the composite need index (private; see :mod:`vrkit.analysis.need_index`).

Everything here works on NumPy arrays of shape ``(n_areas, n_indicators)`` in which a missing
value is NaN and is carried as NaN (never replaced by zero); callers pass an explicit
availability mask wherever a missing value must be skipped.
"""

from __future__ import annotations

import math

import numpy as np


def top_k(n: int, share: float) -> int:
    """Number of areas in the top ``share`` of ``n``: ``ceil(share * n)``, at least 1.

    A tolerance of 1e-9 guards against floating-point noise (``0.15 * 20`` is
    ``3.0000000000000004`` in binary floating point, which must give 3, not 4).
    """
    return max(1, math.ceil(share * n - 1e-9))


def normalise_columns(x: np.ndarray, method: str, *, top_share: float = 0.15) -> np.ndarray:
    """Normalise each column of ``x`` over its non-missing values.

    ``x`` must already be oriented so that a higher value means more need. NaN stays NaN.
    Constant columns must be rejected by the caller for ``zscore`` and ``minmax`` (division
    by zero); see :func:`constant_columns`.
    """
    out = np.full(x.shape, np.nan)
    for j in range(x.shape[1]):
        col = x[:, j]
        ok = ~np.isnan(col)
        v = col[ok]
        if v.size == 0:
            continue
        if method == "zscore":
            out[ok, j] = (v - v.mean()) / v.std()
        elif method == "minmax":
            out[ok, j] = (v - v.min()) / (v.max() - v.min())
        elif method == "percentile":
            out[ok, j] = (_average_rank_ascending(v) - 0.5) / v.size
        elif method == "top_share":
            k = top_k(v.size, top_share)
            # min-rank descending: 1 + number of areas with a strictly higher value
            higher = v.size - np.searchsorted(np.sort(v), v, side="right")
            out[ok, j] = (higher + 1 <= k).astype(float)
        else:  # pragma: no cover - validated by the caller
            raise ValueError(method)
    return out


def constant_columns(x: np.ndarray) -> list[int]:
    """Indices of columns whose non-missing values are all equal (or that have fewer than 2)."""
    bad = []
    for j in range(x.shape[1]):
        v = x[:, j][~np.isnan(x[:, j])]
        if v.size < 2 or np.ptp(v) == 0:
            bad.append(j)
    return bad


def _average_rank_ascending(v: np.ndarray) -> np.ndarray:
    """1-based ascending ranks with ties given their average rank (as ``rankdata('average')``)."""
    order = np.argsort(v, kind="stable")
    s = v[order]
    new = np.r_[True, s[1:] != s[:-1]]
    starts = np.flatnonzero(new)
    ends = np.r_[starts[1:], s.size]
    avg = (starts + ends + 1) / 2.0  # mean of 1-based positions starts+1 .. ends
    run = np.cumsum(new) - 1
    ranks = np.empty(v.size)
    ranks[order] = avg[run]
    return ranks


def geometric_shift(y: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Shift each column so its minimum equals ``floor`` (> 0): ``y + (floor - min y)``.

    Returns the shifted array and the per-column shift constants.
    """
    mins = np.nanmin(y, axis=0)
    shift = floor - mins
    return y + shift, shift


def rank_descending(scores: np.ndarray) -> np.ndarray:
    """Rank along the last axis, 1 = highest score, ties share the best (lowest) rank.

    Works on a 1-D array or a 2-D array of shape ``(n_draws, n_areas)``; returns int32.
    Equivalent to ``scipy.stats.rankdata(-scores, method="min", axis=-1)``.
    """
    s = -np.atleast_2d(scores)
    d, n = s.shape
    order = np.argsort(s, axis=1)  # ties are resolved below, so a stable sort is not needed
    srt = np.take_along_axis(s, order, axis=1)
    first = np.broadcast_to(np.arange(1, n + 1, dtype=np.int32), (d, n))
    same = srt[:, 1:] == srt[:, :-1]
    if same.any():
        new = np.ones((d, n), dtype=bool)
        new[:, 1:] = ~same
        first = np.maximum.accumulate(np.where(new, first, 0), axis=1)
    ranks = np.empty((d, n), dtype=np.int32)
    np.put_along_axis(ranks, order, first, axis=1)
    return ranks[0] if scores.ndim == 1 else ranks


def aggregate(
    y: np.ndarray, avail: np.ndarray, weights: np.ndarray, aggregation: str
) -> tuple[np.ndarray, np.ndarray]:
    """Scores and per-indicator contributions for one weight vector.

    ``weights`` (k,) are effective indicator weights summing to 1. Per area they are
    re-normalised over the available indicators (a no-op when all are available). Additive:
    ``score = Σ w_i y_i``, contributions ``w_i y_i``. Geometric (``y`` already strictly
    positive): ``score = Π y_i^{w_i}``, contributions ``w_i ln y_i`` (they sum to ``ln score``).
    """
    w_area = np.where(avail, weights[None, :], 0.0)
    den = w_area.sum(axis=1, keepdims=True)
    w_area = np.divide(w_area, den, out=np.zeros_like(w_area), where=den > 0)
    term = (
        np.log(np.where(avail, y, 1.0)) if aggregation == "geometric" else np.where(avail, y, 0.0)
    )
    contrib = w_area * term
    total = contrib.sum(axis=1)
    score = np.exp(total) if aggregation == "geometric" else total
    score[den[:, 0] <= 0] = np.nan
    return score, contrib


def draw_scores(terms: np.ndarray, avail: np.ndarray, weight_draws: np.ndarray) -> np.ndarray:
    """Scores for many weight vectors at once: ``(D, k)`` weights → ``(D, n)`` scores.

    ``terms`` is ``y`` (additive) or ``ln y`` (geometric), with missing cells set to 0 and
    masked by ``avail``. Scores of geometric aggregation are returned on the log scale, which
    ranks identically.
    """
    a = avail.astype(np.float64)
    num = weight_draws @ np.where(avail, terms, 0.0).T
    den = weight_draws @ a.T
    return np.divide(num, den, out=np.full(num.shape, -np.inf), where=den > 0)


def weight_draws(
    w0: np.ndarray,
    n: int,
    rng: np.random.Generator,
    perturbation: str,
    spread: float,
    concentration: float | None,
) -> np.ndarray:
    """``(n, k)`` perturbed weights, each row summing to 1 (Monte Carlo weight uncertainty).

    ``"uniform"``: each weight × an independent ``U(1 - spread, 1 + spread)`` factor, then
    re-normalised; ``"dirichlet"``: ``Dirichlet(concentration · w0)`` (mean ``w0``; zero weights
    stay zero; ``None``/``inf`` concentration = no perturbation); ``"none"``: ``w0`` every draw.
    """
    k = w0.size
    if perturbation == "none" or (perturbation == "uniform" and spread == 0):
        return np.broadcast_to(w0, (n, k)).copy()
    if perturbation == "uniform":
        draws = w0[None, :] * rng.uniform(1 - spread, 1 + spread, size=(n, k))
    else:
        if concentration is None or np.isinf(concentration):
            return np.broadcast_to(w0, (n, k)).copy()
        pos = w0 > 0
        draws = np.zeros((n, k))
        draws[:, pos] = rng.dirichlet(concentration * w0[pos] / w0[pos].sum(), size=n)
    return draws / draws.sum(axis=1, keepdims=True)


def draw_ranks(
    terms: np.ndarray, avail: np.ndarray, weights: np.ndarray, *, chunk: int = 250
) -> np.ndarray:
    """``(D, n)`` ranks (1 = highest score) for ``D`` weight vectors, in chunks of draws."""
    d = weights.shape[0]
    ranks = np.empty((d, terms.shape[0]), dtype=np.int32)
    for lo in range(0, d, chunk):
        hi = min(lo + chunk, d)
        ranks[lo:hi] = rank_descending(draw_scores(terms, avail, weights[lo:hi]))
    return ranks


def rank_summary(ranks: np.ndarray, interval: float, top_n: int) -> dict[str, np.ndarray]:
    """Per-item rank interval, median and P(rank ≤ top_n) from ``(D, n)`` simulated ranks.

    Quantiles use the inverted-CDF definition (so they are simulated ranks, integers):
    ``low``/``high`` are the ``(1 - interval) / 2`` and ``(1 + interval) / 2`` quantiles.
    """
    d = ranks.shape[0]
    srt = np.sort(ranks.T, axis=1)
    alpha = (1 - interval) / 2
    i_lo = max(0, int(np.ceil(alpha * d - 1e-9)) - 1)
    i_hi = min(d - 1, int(np.ceil((1 - alpha) * d - 1e-9)) - 1)
    i_med = max(0, int(np.ceil(0.5 * d - 1e-9)) - 1)
    return {
        "low": srt[:, i_lo].astype(np.int64),
        "high": srt[:, i_hi].astype(np.int64),
        "median": srt[:, i_med].astype(np.int64),
        "p_top_n": (ranks <= top_n).mean(axis=0),
    }

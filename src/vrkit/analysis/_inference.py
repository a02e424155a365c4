"""Shared inference for local spatial statistics: conditional permutation and multiple testing.

One engine serves Local Gi* and Local Moran's I (:mod:`vrkit.analysis.hotspots`). It is plain,
vectorised numpy (no numba: STACK.md), takes an explicit seed or :class:`numpy.random.Generator`
and never touches the global random state.

Conditional permutation (Anselin 1995, §4): for each place *i* the value ``y_i`` is held fixed and
the values of its ``k_i`` neighbours are replaced by ``k_i`` values drawn without replacement from
the other ``n − 1`` places. As in esda's ``crand`` engine, one matrix of draws is shared by all
places (``P`` rows of ``k_max`` distinct indices into ``0 … n−2``); each place maps index ``j`` to
the ``j``-th *other* place. esda shifts indices ``≥ i`` up by one; here index ``i`` is instead
mapped to place ``n − 1`` (a different bijection onto the same set), which lets every place share
one gather ``y[draws]`` and one small matrix product per neighbour count, followed by a sparse
correction for the (at most one per draw) position where ``i`` itself was drawn. Each place's
reference distribution is therefore exactly a uniform random ``k_i``-subset of the other places,
the same null as esda's, but the random streams differ, so p-values agree in distribution, not
digit for digit.

References
----------
Anselin, L. (1995). Local indicators of spatial association — LISA. *Geographical Analysis*
27(2), 93–115.
Holm, S. (1979). A simple sequentially rejective multiple test procedure. *Scandinavian Journal
of Statistics* 6(2), 65–70.
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. *JRSS B* 57(1),
289–300.
Caldas de Castro, M. & Singer, B. H. (2006). Controlling the false discovery rate: a new
application to account for multiple and dependent tests in local statistics of spatial
association. *Geographical Analysis* 38(2), 180–208.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse

from vrkit.errors import InputError

Adjust = Literal["fdr", "holm", "none"]
Alternative = Literal["two-sided", "directed", "greater", "lesser"]

ADJUST_METHODS: dict[str, str] = {
    "fdr": "Benjamini–Hochberg false discovery rate (Benjamini & Hochberg 1995)",
    "holm": "Holm step-down family-wise error rate (Holm 1979)",
    "none": "no adjustment",
}
_ADJUST_ALIASES = {"bh": "fdr", "fdr_bh": "fdr", "benjamini-hochberg": "fdr", "none": "none"}

#: rows of the place × permutation matrix processed at once (bounds memory to ~16 MB at P=999)
_CHUNK_ROWS = 2048


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A :class:`numpy.random.Generator` from a seed (or the generator itself).

    ``None`` is refused: every random result in vrkit must be reproducible.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        raise InputError(
            "a seed is required for permutation inference (got None)",
            hint="Pass seed=1 (any integer) so the p-values can be reproduced.",
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise InputError(f"seed must be a non-negative integer (got {seed!r})")
    return np.random.default_rng(int(seed))


def normalise_adjust(method: str | None) -> Adjust:
    """Canonical name of a multiple-testing method (``fdr``, ``holm`` or ``none``)."""
    key = "none" if method is None else str(method).strip().lower()
    key = _ADJUST_ALIASES.get(key, key)
    if key not in ADJUST_METHODS:
        raise InputError(
            f"unknown p-value adjustment {method!r}",
            hint="Use one of: fdr (Benjamini–Hochberg), holm, none.",
        )
    return key  # type: ignore[return-value]


def adjust_pvalues(p: np.ndarray, method: str | None = "fdr") -> np.ndarray:
    """Adjust p-values for multiple testing (as R's ``p.adjust``).

    Parameters
    ----------
    p : array of float
        Raw p-values in [0, 1]. NaN is refused (no silent NaN).
    method : {"fdr", "holm", "none"}
        ``fdr``: Benjamini & Hochberg (1995) step-up, ``p_(i) · m / i`` made monotone;
        ``holm``: Holm (1979) step-down, ``p_(i) · (m − i + 1)`` made monotone; both capped at 1.

    Returns
    -------
    ndarray
        Adjusted p-values in the input order (a new array).
    """
    m_name = normalise_adjust(method)
    arr = np.asarray(p, dtype=float)
    if arr.ndim != 1:
        raise InputError(f"p-values must be one-dimensional (got shape {arr.shape})")
    if np.isnan(arr).any():
        raise InputError(f"p-values contain {int(np.isnan(arr).sum())} NaN value(s)")
    if ((arr < 0) | (arr > 1)).any():
        raise InputError("p-values must lie in [0, 1]")
    m = arr.size
    if m_name == "none" or m == 0:
        return arr.copy()
    order = np.argsort(arr, kind="mergesort")
    ranked = arr[order]
    if m_name == "holm":
        adj = np.maximum.accumulate(ranked * (m - np.arange(m)))
    else:
        adj = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def permutation_floor(n_permutations: int, alternative: Alternative = "two-sided") -> float:
    """Smallest attainable permutation p-value: 1/(P+1), or 2/(P+1) for a two-sided test."""
    base = 1.0 / (n_permutations + 1)
    return min(1.0, 2 * base) if alternative == "two-sided" else base


def floor_warning(
    n_tests: int,
    n_permutations: int,
    adjust: str | None,
    alpha: float,
    alternative: Alternative = "two-sided",
) -> str | None:
    """A warning when the permutation p-value floor keeps the adjustment from flagging anything.

    With ``P`` permutations no p-value can be below the floor ``f`` (:func:`permutation_floor`).
    Holm multiplies the smallest p-value by the number of tests ``m``, so nothing can be
    significant when ``m · f > α``. Benjamini–Hochberg can flag ``k`` places only if ``k`` of them
    have ``p ≤ α k / m``; at the floor this needs ``k ≥ m f / α`` places (and nothing at all if
    ``f > α``). Returns ``None`` when the adjustment can work.
    """
    method = normalise_adjust(adjust)
    floor = permutation_floor(n_permutations, alternative)
    need = math.ceil(n_tests / alpha * (2 if alternative == "two-sided" else 1)) - 1
    if floor > alpha:
        return (
            f"with {n_permutations} permutations the smallest possible p-value is {floor:.4g}, "
            f"above α = {alpha}: no place can be significant. Use at least "
            f"{math.ceil((2 if alternative == 'two-sided' else 1) / alpha) - 1} permutations."
        )
    if method == "holm" and n_tests * floor > alpha:
        return (
            f"Holm adjustment over {n_tests} places cannot flag anything with {n_permutations} "
            f"permutations: the smallest adjusted p-value is {n_tests} × {floor:.4g} = "
            f"{n_tests * floor:.4g} > α = {alpha}. Use at least {need} permutations, the "
            "analytic p-values, or adjust='fdr'."
        )
    if method == "fdr" and n_tests * floor > alpha:
        k = math.ceil(n_tests * floor / alpha)
        return (
            f"FDR adjustment over {n_tests} places with {n_permutations} permutations can flag "
            f"places only if at least {k} of them reach the p-value floor {floor:.4g}; fewer "
            f"strong clusters cannot be detected. Use at least {need} permutations to lift "
            "this limit."
        )
    return None


@dataclass(frozen=True, eq=False)
class PermutationOutcome:
    """Result of :func:`conditional_permutation` (one entry per place)."""

    p_value: np.ndarray
    n_greater_equal: np.ndarray
    n_less_equal: np.ndarray
    sim_mean: np.ndarray
    sim_std: np.ndarray


def draw_subsets(
    n_others: int, k: int, n_permutations: int, rng: np.random.Generator
) -> np.ndarray:
    """``(P, k)`` int array; each row is a uniform random ordered ``k``-subset of ``0 … n_others−1``.

    Rows are drawn with replacement and redrawn while they hold a repeat (rejection sampling,
    which leaves each accepted row uniform over distinct tuples); small populations use a full
    random permutation per row instead.
    """
    if k > n_others:
        raise InputError(
            f"a place has {k} neighbours but only {n_others} other places exist",
            hint="The weights do not match the data (too many neighbours).",
        )
    if k == 0:
        return np.empty((n_permutations, 0), dtype=np.int64)
    if k * k > n_others:  # repeats would be frequent: permute fully
        keys = rng.random((n_permutations, n_others))
        return np.argsort(keys, axis=1)[:, :k].astype(np.int64)
    out = rng.integers(0, n_others, size=(n_permutations, k), dtype=np.int64)
    while True:
        s = np.sort(out, axis=1)
        bad = np.flatnonzero((s[:, 1:] == s[:, :-1]).any(axis=1))
        if bad.size == 0:
            return out
        out[bad] = rng.integers(0, n_others, size=(bad.size, k), dtype=np.int64)


def conditional_permutation(
    values: np.ndarray,
    neighbours: sparse.csr_matrix,
    observed: np.ndarray,
    *,
    scale: np.ndarray,
    offset: np.ndarray,
    n_permutations: int,
    rng: np.random.Generator,
    alternative: Alternative = "two-sided",
) -> PermutationOutcome:
    """Conditional-permutation reference distributions of a local statistic of the form
    ``T_i = scale_i · (Σ_j w_ij v_π(j) + offset_i)``.

    ``neighbours`` holds the off-diagonal weights ``w_ij`` (no self-weight; the caller puts
    any self term, e.g. ``w_ii y_i`` for Gi*, into ``offset``). Gi*: ``v = y``, ``scale = 1/Σy``,
    ``offset = w_ii y_i``. Local Moran: ``v = z``, ``scale = (n−1) z_i / Σz²``, ``offset = 0``.

    Parameters
    ----------
    alternative : {"two-sided", "directed", "greater", "lesser"}
        ``two-sided``: ``p = min(1, 2 · (min(#≥, #≤) + 1)/(P + 1))``; ``directed``: esda's
        default ``(min(#≥, P − #≥) + 1)/(P + 1)`` (one tail chosen by the data); ``greater`` /
        ``lesser``: one-sided ``(#≥ + 1)/(P + 1)`` / ``(#≤ + 1)/(P + 1)``.

    Returns
    -------
    PermutationOutcome
        Pseudo p-values (Hope 1968; Davison & Hinkley 1997 §4.2), tail counts and the mean and
        standard deviation of each reference distribution.
    """
    v = np.ascontiguousarray(values, dtype=float)
    n = v.size
    w = sparse.csr_matrix(neighbours, dtype=float)
    w.sort_indices()
    card = np.diff(w.indptr)
    k_max = int(card.max()) if n else 0
    draws = draw_subsets(n - 1, k_max, n_permutations, rng)  # (P, k_max) into 0..n-2
    vd_t = np.ascontiguousarray(v[draws].T)  # (k_max, P); for place i, index i means place n-1
    csum_t = np.cumsum(vd_t, axis=0)  # neighbour sums for the first k draws
    # rows whose neighbour weights are all equal (binary, row-standardised) need no product
    nonempty = card > 0
    wmax = np.zeros(n)
    wmin = np.zeros(n)
    if w.nnz:
        starts_nz = w.indptr[:-1][nonempty]
        wmax[nonempty] = np.maximum.reduceat(w.data, starts_nz)
        wmin[nonempty] = np.minimum.reduceat(w.data, starts_nz)
    constant = nonempty & (wmax == wmin)
    general = nonempty & ~constant
    ge = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    s1 = np.zeros(n)
    s2 = np.zeros(n)
    # where each place index appears among the draws: (perm, position) pairs, sparse
    flat_perm = np.repeat(np.arange(n_permutations), k_max)
    flat_pos = np.tile(np.arange(k_max), n_permutations)
    flat_idx = draws.ravel()
    by_place = np.argsort(flat_idx, kind="stable")
    starts = np.searchsorted(flat_idx[by_place], np.arange(n + 1))
    for lo in range(0, n, _CHUNK_ROWS):
        hi = min(n, lo + _CHUNK_ROWS)
        lag = np.zeros((hi - lo, n_permutations))
        rows = lo + np.flatnonzero(constant[lo:hi])
        if rows.size:
            lag[rows - lo] = csum_t[card[rows] - 1] * wmax[rows, None]
        for k in np.unique(card[lo:hi][general[lo:hi]]):
            rows = lo + np.flatnonzero(general[lo:hi] & (card[lo:hi] == k))
            wk = w.data[w.indptr[rows][:, None] + np.arange(k)]  # (rows, k) neighbour weights
            lag[rows - lo] = wk @ vd_t[:k]
        # correction: place i drawn at position m < k_i contributes w_im (v[n-1] - v[i])
        seg = by_place[starts[lo] : starts[hi]]
        if seg.size:
            place = flat_idx[seg]
            pos = flat_pos[seg]
            keep = pos < card[place]
            place, pos, perm = place[keep], pos[keep], flat_perm[seg][keep]
            wv = w.data[w.indptr[place] + pos]
            np.add.at(lag, (place - lo, perm), wv * (v[n - 1] - v[place]))
        lag += offset[lo:hi, None]
        lag *= scale[lo:hi, None]  # lag now holds the simulated statistics
        obs = observed[lo:hi, None]
        ge[lo:hi] = np.count_nonzero(lag >= obs, axis=1)
        le[lo:hi] = np.count_nonzero(lag <= obs, axis=1)
        total = lag.sum(axis=1)
        s1[lo:hi] = total / n_permutations
        sq = np.einsum("ij,ij->i", lag, lag) / n_permutations
        s2[lo:hi] = np.sqrt(np.maximum(sq - s1[lo:hi] ** 2, 0.0))
    p = _pseudo_p(ge, le, n_permutations, alternative)
    return PermutationOutcome(p, ge, le, s1, s2)


def _pseudo_p(ge: np.ndarray, le: np.ndarray, perms: int, alternative: str) -> np.ndarray:
    if alternative == "two-sided":
        return np.minimum(1.0, 2.0 * (np.minimum(ge, le) + 1) / (perms + 1))
    if alternative == "directed":
        return (np.minimum(ge, perms - ge) + 1) / (perms + 1)
    if alternative == "greater":
        return (ge + 1) / (perms + 1)
    if alternative == "lesser":
        return (le + 1) / (perms + 1)
    raise InputError(
        f"unknown alternative {alternative!r}",
        hint="Use two-sided, directed (esda's default), greater or lesser.",
    )

"""Hotspots: counts on places, KDE surfaces, Local Gi* and Local Moran's I.

The functions form one family with the same argument shape (STYLE.md §2.2.2, after sfhotspot):
data first, then keyword-only options with units stated. Automatic choices (cell size, KDE
bandwidth, neighbour distance) are recorded in ``result.params`` together with the published
rule they follow. Inputs are never mutated; NaN is refused, never propagated.

Neighbours
----------
Polygons (LSOAs, wards): queen contiguity (shared edge or vertex). Grids: a distance band between
cell centres, by default ``cell_size · √2`` so that each cell's neighbours are exactly the cells
touching it (sfhotspot's default ``nb_dist``; 8 cells on a square grid, 6 on a hexagonal one).

Gi* self-weight
---------------
Gi* is computed on **binary weights with the place itself included at weight 1** (``w_ii = 1``),
the usual definition (Getis & Ord 1992; Ord & Getis 1995; ArcGIS Hot Spot Analysis; spdep
``include.self``; sfhotspot ``include_self = TRUE``). esda's ``G_Local(star=True)`` has to *infer*
the self-weight when the diagonal is empty: with its default ``transform="R"`` it warns and uses
the row maximum before row-standardising, and its analytic variance then treats the row-standardised
weights as if they were binary. vrkit therefore matches ``G_Local(star=True, transform="B")``
exactly and uses the general Ord & Getis (1995) moments, which are invariant to rescaling a row.

References
----------
Getis, A. & Ord, J. K. (1992). The analysis of spatial association by use of distance statistics.
*Geographical Analysis* 24(3), 189–206.
Ord, J. K. & Getis, A. (1995). Local spatial autocorrelation statistics: distributional issues and
an application. *Geographical Analysis* 27(4), 286–306.
Anselin, L. (1995). Local indicators of spatial association — LISA. *Geographical Analysis* 27(2).
Sokal, R. R., Oden, N. L. & Thomson, B. A. (1998). Local spatial autocorrelation in a biological
model. *Geographical Analysis* 30(4), 331–354.
Silverman, B. W. (1986). *Density Estimation for Statistics and Data Analysis*. Chapman & Hall.
Venables, W. N. & Ripley, B. D. (2002). *Modern Applied Statistics with S*, 4th ed. (MASS
``bandwidth.nrd``).
Ashby, M. P. J. (2021–). sfhotspot: hot-spot analysis with simple features (R package),
https://github.com/mpjashby/sfhotspot — ``set_cell_size()``, ``bandwidth_nrd()``,
``hotspot_classify_params()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import sparse, stats
from scipy.spatial import cKDTree

from vrkit.analysis._inference import (
    ADJUST_METHODS,
    Alternative,
    adjust_pvalues,
    conditional_permutation,
    floor_warning,
    make_rng,
    normalise_adjust,
    permutation_floor,
)
from vrkit.errors import InputError

GridType = Literal["square", "hex"]

BNG = "EPSG:27700"
#: fewest places for which a local statistic is computed at all
MIN_PLACES = 5
#: sfhotspot's automatic cell size: this many cells along the shorter side of the data's bbox
CELLS_ON_SHORT_SIDE = 50
#: ... rounded down to a multiple of this many metres (when that leaves a positive size)
CELL_ROUNDING_M = 100.0

#: The one default inference of every hot spot path (``vrkit hotspots``, the needs
#: assessment, the portal): analytic z-scores (Ord & Getis 1995 moments under randomisation;
#: Sokal et al. 1998 for Local Moran's I), Benjamini–Hochberg FDR over all places, alpha 0.05.
#: Why not permutations: a conditional-permutation p-value cannot be smaller than 1/(P + 1),
#: and Benjamini–Hochberg flags the smallest p-value only if it is ≤ alpha / n. Over London's
#: 4,829 LSOAs that needs P ≥ n / alpha − 1 ≈ 96,600 permutations per place — 999 can flag
#: nothing and 9,999 only the few places that are extreme in every draw — and over a
#: 100,000-cell grid 2 million. The analytic test has no floor, is exact to repeat, takes
#: milliseconds at any scale, and Gi* (a sum over a neighbourhood) is close to normal (Ord &
#: Getis 1995). Permutation inference stays available (``permutations > 0``), with a warning
#: when its floor makes FDR flagging impossible.
DEFAULT_PERMUTATIONS = 0
DEFAULT_ADJUST = "fdr"
DEFAULT_ALPHA = 0.05
DEFAULT_INFERENCE = (
    "analytic z-scores (no permutation floor) with Benjamini–Hochberg false discovery rate "
    "control over all places, alpha 0.05: the one default of vrkit hotspots, the needs "
    "assessment and the portal, because permutation p-values cannot go below 1/(P + 1) and FDR "
    "over thousands of places needs p-values below alpha / n"
)


def permutations_needed(n_places: int, alpha: float = DEFAULT_ALPHA) -> int:
    """Fewest permutations whose p-value floor lets Benjamini–Hochberg flag one of
    ``n_places`` (two-sided floor ``1/(P+1)`` ≤ ``alpha / n``)."""
    return max(0, int(np.ceil(n_places / alpha)) - 1)


GI_REFERENCE = (
    "Getis & Ord (1992) Geogr. Anal. 24(3):189-206; Ord & Getis (1995) Geogr. Anal. "
    "27(4):286-306; conditional permutation: Anselin (1995) Geogr. Anal. 27(2):93-115"
)
MORAN_REFERENCE = (
    "Anselin (1995) Geogr. Anal. 27(2):93-115; moments under total randomisation: Sokal, Oden "
    "& Thomson (1998) Geogr. Anal. 30(4):331-354, eqs A3-A4"
)
CELL_SIZE_RULE = (
    "sfhotspot set_cell_size(): 1/50 of the shorter side of the points' bounding box, rounded "
    "down to a multiple of 100 m when that is positive (Ashby, sfhotspot R/set_cell_size.R)"
)
BANDWIDTH_RULE = (
    "sfhotspot bandwidth_nrd(): MASS::bandwidth.nrd rule of thumb 4·1.06·min(sd, IQR/1.34)·n^(-1/5) "
    "on the x and y coordinates, averaged (Venables & Ripley 2002; Silverman 1986 eq. 3.31)"
)


# ---------------------------------------------------------------------------------------------
# result objects
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LocalStatResult:
    """Shared fields of local-statistic results (one entry per place, in input order).

    Attributes
    ----------
    ids : ndarray
        Place identifiers (area codes, cell ids, or 0..n-1).
    y : ndarray
        The analysed values (counts), as float.
    statistic : ndarray
        The local statistic (G*_i, or Local Moran I_i).
    z : ndarray
        Analytic z-score.
    p_norm : ndarray
        Two-sided p-value of ``z`` under the normal approximation.
    p_sim : ndarray or None
        Conditional-permutation pseudo p-value (``None`` when ``n_permutations == 0``).
    z_sim : ndarray or None
        ``(statistic − mean of permutations) / sd of permutations``.
    p_value : ndarray
        The p-value used for inference: ``p_sim`` if permutations were run, else ``p_norm``.
    p_adjusted : ndarray
        ``p_value`` adjusted for multiple testing (``params["adjust"]``).
    method, reference : str
        Method name and citations.
    params : dict
        Every parameter used (weights, self-weight, adjustment, alpha, alternative, ...).
    n_permutations : int
    seed : int or None
    warnings : tuple of str
        Conditions the analyst should know (p-value floor, islands, ...).
    """

    ids: np.ndarray
    y: np.ndarray
    statistic: np.ndarray
    z: np.ndarray
    p_norm: np.ndarray
    p_sim: np.ndarray | None
    z_sim: np.ndarray | None
    p_value: np.ndarray
    p_adjusted: np.ndarray
    method: str
    reference: str
    params: dict[str, Any]
    n_permutations: int
    seed: int | None
    warnings: tuple[str, ...] = field(default=())

    @property
    def significant(self) -> np.ndarray:
        """Adjusted p-value ≤ alpha."""
        return self.p_adjusted <= self.params["alpha"]


@dataclass(frozen=True, eq=False)
class GiStarResult(LocalStatResult):
    """Local Gi* result. ``hotspot_class`` is ``hot`` / ``cold`` / ``not significant`` at
    ``alpha`` on the adjusted p-value; ``gi_bin`` is ArcGIS's confidence bin (±3: adjusted
    p ≤ 0.01, ±2: ≤ 0.05, ±1: ≤ 0.10, 0 otherwise; sign of z)."""

    @property
    def hotspot_class(self) -> np.ndarray:
        sig = self.significant
        return np.where(
            sig & (self.z > 0), "hot", np.where(sig & (self.z < 0), "cold", "not significant")
        )

    @property
    def gi_bin(self) -> np.ndarray:
        p = self.p_adjusted
        level = np.where(p <= 0.01, 3, np.where(p <= 0.05, 2, np.where(p <= 0.10, 1, 0)))
        return (np.sign(self.z) * level).astype(int)

    def to_frame(self, id_name: str = "area_code") -> pd.DataFrame:
        """One row per place: ``<id_name>, count, gi_star, gi_z, p_norm, p_sim, p_value,
        p_adjusted, hotspot_class, gi_bin`` (stable names, issue 4)."""
        return pd.DataFrame(
            {
                id_name: self.ids,
                "count": self.y,
                "gi_star": self.statistic,
                "gi_z": self.z,
                "p_norm": self.p_norm,
                "p_sim": self.p_sim if self.p_sim is not None else np.full(self.y.size, np.nan),
                "p_value": self.p_value,
                "p_adjusted": self.p_adjusted,
                "hotspot_class": self.hotspot_class,
                "gi_bin": self.gi_bin,
            }
        )


@dataclass(frozen=True, eq=False)
class LocalMoranResult(LocalStatResult):
    """Local Moran's I result with LISA quadrants (HH, LH, LL, HL as esda's q = 1, 2, 3, 4)."""

    lag: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def quadrant(self) -> np.ndarray:
        zpos = (self.y - self.y.mean()) > 0
        lpos = self.lag > 0
        return np.where(zpos, np.where(lpos, "HH", "HL"), np.where(lpos, "LH", "LL"))

    @property
    def lisa_class(self) -> np.ndarray:
        """The quadrant where significant (adjusted p ≤ alpha), else ``not significant``."""
        return np.where(self.significant, self.quadrant, "not significant")

    def to_frame(self, id_name: str = "area_code") -> pd.DataFrame:
        """``<id_name>, count, lisa_i, lisa_z, p_norm, p_sim, p_value, p_adjusted,
        lisa_quadrant, lisa_class``."""
        return pd.DataFrame(
            {
                id_name: self.ids,
                "count": self.y,
                "lisa_i": self.statistic,
                "lisa_z": self.z,
                "p_norm": self.p_norm,
                "p_sim": self.p_sim if self.p_sim is not None else np.full(self.y.size, np.nan),
                "p_value": self.p_value,
                "p_adjusted": self.p_adjusted,
                "lisa_quadrant": self.quadrant,
                "lisa_class": self.lisa_class,
            }
        )


# ---------------------------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------------------------


def _values(y: Any, name: str = "y") -> np.ndarray:
    arr = np.asarray(y, dtype=float).ravel()
    if arr.size < MIN_PLACES:
        raise InputError(
            f"{name} has {arr.size} place(s); local statistics need at least {MIN_PLACES}",
            hint="Use a finer geography or a larger area.",
        )
    bad = ~np.isfinite(arr)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{name} contains {int(bad.sum())} missing or infinite value(s); first at position "
            f"{first}",
            hint="Missing is not zero: fill with a known count or drop the place explicitly.",
        )
    if np.all(arr == arr[0]):
        raise InputError(f"{name} is constant ({arr[0]:g} everywhere): no variation to test")
    return arr


def weights_matrix(
    weights: Any, n: int | None = None
) -> tuple[sparse.csr_matrix, np.ndarray | None]:
    """Copy of ``weights`` as a CSR float matrix, plus its ids if it has any.

    Accepts a libpysal ``W`` (rows in ``id_order``), a libpysal ``Graph`` (rows in
    ``unique_ids``) or any scipy sparse / dense square matrix. The input is not modified.
    """
    ids: np.ndarray | None = None
    if hasattr(weights, "id_order") and hasattr(weights, "sparse"):  # libpysal W
        m = sparse.csr_matrix(weights.sparse, dtype=float, copy=True)
        ids = np.asarray(weights.id_order)
    elif hasattr(weights, "unique_ids") and hasattr(weights, "sparse"):  # libpysal Graph
        m = sparse.csr_matrix(weights.sparse, dtype=float, copy=True)
        ids = np.asarray(weights.unique_ids)
    elif sparse.issparse(weights) or isinstance(weights, np.ndarray):
        m = sparse.csr_matrix(weights, dtype=float, copy=True)
    else:
        raise InputError(
            f"weights must be a libpysal W or Graph or a scipy sparse matrix (got {type(weights).__name__})"
        )
    if m.shape[0] != m.shape[1]:
        raise InputError(f"weights matrix must be square (got {m.shape})")
    if n is not None and m.shape[0] != n:
        raise InputError(
            f"weights cover {m.shape[0]} places but y has {n}",
            hint="Build the weights from the same places, in the same order, as y.",
        )
    if m.nnz and (np.isnan(m.data).any() or (m.data < 0).any()):
        raise InputError("weights must be non-negative numbers (found negative or NaN weights)")
    m.eliminate_zeros()
    m.sort_indices()
    return m, ids


def _ids(ids: Any, y: Any, w_ids: np.ndarray | None, n: int) -> np.ndarray:
    if isinstance(y, pd.Series) and w_ids is not None and len(y) == len(w_ids):
        idx = y.index.to_numpy()
        if not np.array_equal(idx, w_ids) and set(idx.tolist()) == set(w_ids.tolist()):
            raise InputError(
                "y is not in the order of the weights: its index holds the same places in a "
                "different order",
                hint="Reorder y first, e.g. y.loc[w.id_order] (W) or y.loc[graph.unique_ids].",
            )
    if ids is not None:
        out = np.asarray(ids)
    elif isinstance(y, pd.Series):
        out = y.index.to_numpy()
    elif w_ids is not None:
        out = w_ids
    else:
        out = np.arange(n)
    if out.size != n:
        raise InputError(f"ids has {out.size} entries but y has {n}")
    return out


def _inference_setup(
    n: int, permutations: int, adjust: str | None, alpha: float, alternative: Alternative
) -> tuple[str, list[str]]:
    if not 0 < alpha < 1:
        raise InputError(f"alpha must be between 0 and 1 (got {alpha})")
    if permutations < 0 or int(permutations) != permutations:
        raise InputError(f"permutations must be a non-negative integer (got {permutations})")
    method = normalise_adjust(adjust)
    warns: list[str] = []
    if permutations:
        msg = floor_warning(n, permutations, method, alpha, alternative)
        if msg:
            warns.append(msg)
    return method, warns


def _split_diagonal(m: sparse.csr_matrix) -> tuple[sparse.csr_matrix, np.ndarray]:
    diag = m.diagonal().copy()
    off = m - sparse.diags(diag)
    off = sparse.csr_matrix(off)
    off.eliminate_zeros()
    off.sort_indices()
    return off, diag


# ---------------------------------------------------------------------------------------------
# Local Gi*
# ---------------------------------------------------------------------------------------------


def _permutation_inference(
    values: np.ndarray,
    off: sparse.csr_matrix,
    stat: np.ndarray,
    scale: np.ndarray,
    offset: np.ndarray,
    permutations: int,
    seed: int | np.random.Generator | None,
    alternative: Alternative,
) -> tuple[np.ndarray | None, np.ndarray | None, int | None]:
    """(p_sim, z_sim, seed) of a local statistic by conditional permutation; Nones if none."""
    if not permutations:
        return None, None, None
    out = conditional_permutation(
        values,
        off,
        stat,
        scale=scale,
        offset=offset,
        n_permutations=int(permutations),
        rng=make_rng(seed),
        alternative=alternative,
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        z_sim = np.where(out.sim_std > 0, (stat - out.sim_mean) / out.sim_std, 0.0)
    return out.p_value, z_sim, seed if isinstance(seed, int) else None


def _inference_params(
    n: int,
    off: sparse.csr_matrix,
    islands: int,
    permutations: int,
    alternative: Alternative,
    method: str,
    alpha: float,
    analytic: str,
) -> dict[str, object]:
    """The inference part of a local statistic's ``params`` (shared by Gi* and Local Moran)."""
    return {
        "n_places": n,
        "n_neighbour_links": int(off.nnz),
        "islands": islands,
        "inference": "permutation" if permutations else analytic,
        "alternative": alternative if permutations else "two-sided",
        "adjust": method,
        "adjust_method": ADJUST_METHODS[method],
        "alpha": alpha,
        "p_value_floor": permutation_floor(int(permutations), alternative) if permutations else 0.0,
    }


def gi_star(
    y: Any,
    weights: Any,
    *,
    ids: Any = None,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | np.random.Generator | None = None,
    adjust: str | None = "fdr",
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    binary: bool = True,
    self_weight: float = 1.0,
) -> GiStarResult:
    """Local Getis–Ord Gi* with analytic z-scores and conditional-permutation inference.

    Parameters
    ----------
    y : array-like of float, length n
        Values per place (counts of crimes). NaN/inf refused; at least 5 places.
    weights : libpysal W or Graph, or scipy sparse (n × n)
        Neighbours of each place, rows in the same order as ``y``. A diagonal, if present, is
        replaced by ``self_weight``.
    ids : array-like, optional
        Place identifiers; default the index of ``y`` (Series), the weights' ids, or 0..n-1.
    permutations : int, default 999
        Conditional permutations (0: analytic inference only).
    seed : int or numpy Generator
        Required when ``permutations > 0``.
    adjust : {"fdr", "holm", "none"}, default "fdr"
        Multiple-testing adjustment over the n places.
    alpha : float, default 0.05
        Significance level for ``hotspot_class``.
    alternative : {"two-sided", "directed", "greater", "lesser"}
        Permutation alternative (see :func:`vrkit.analysis._inference.conditional_permutation`).
    binary : bool, default True
        Set every neighbour weight to 1 (esda ``transform="B"``, ArcGIS fixed distance /
        contiguity). ``False`` keeps the given weights (Ord & Getis 1995 general moments).
    self_weight : float, default 1
        ``w_ii``: the place's own weight in its neighbourhood sum (Gi*, not Gi).

    Returns
    -------
    GiStarResult

    Notes
    -----
    ``G*_i = Σ_j w_ij y_j / Σ_j y_j`` (Getis & Ord 1992) with ``w_ii = self_weight``. The z-score
    is Ord & Getis (1995) eq. 9: ``(Σ_j w_ij y_j − W_i ȳ) / (s √((n S1_i − W_i²)/(n − 1)))`` with
    ``W_i = Σ_j w_ij``, ``S1_i = Σ_j w_ij²`` and ``s²`` the population variance of ``y``. With
    binary weights this equals esda's ``G_Local(star=True, transform="B")`` ``Zs`` exactly;
    ``p_norm = 2·Φ(−|z|)`` is twice esda's one-sided ``p_norm``.
    """
    arr = _values(y)
    n = arr.size
    m, w_ids = weights_matrix(weights, n)
    if binary:
        m.data[:] = 1.0
    off, _ = _split_diagonal(m)
    if self_weight <= 0:
        raise InputError(f"self_weight must be > 0 for Gi* (got {self_weight})")
    method, warns = _inference_setup(n, permutations, adjust, alpha, alternative)
    place_ids = _ids(ids, y, w_ids, n)
    self_w = np.full(n, float(self_weight))
    islands = int((np.diff(off.indptr) == 0).sum())
    if islands:
        warns.append(f"{islands} place(s) have no neighbours; their Gi* uses the place alone")

    total = arr.sum()
    if total == 0:
        raise InputError("y sums to zero: Gi* is undefined")
    num = off @ arr + self_w * arr
    g = num / total
    wi = np.asarray(off.sum(axis=1)).ravel() + self_w
    s1 = np.asarray(off.multiply(off).sum(axis=1)).ravel() + self_w**2
    mean = arr.mean()
    s = math.sqrt((arr**2).mean() - mean**2)
    denom = s * np.sqrt((n * s1 - wi**2) / (n - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(denom > 0, (num - wi * mean) / denom, 0.0)
    p_norm = 2.0 * stats.norm.sf(np.abs(z))

    p_sim, z_sim, seed_out = _permutation_inference(
        arr, off, g, np.full(n, 1.0 / total), self_w * arr, permutations, seed, alternative
    )
    p_value = p_sim if p_sim is not None else p_norm
    params = {
        "weights": "binary" if binary else "as given",
        "self_weight": float(self_weight),
        "self_weight_note": "w_ii = self_weight on the diagonal; esda G_Local(star=True, transform='B') equivalent"
        if binary and self_weight == 1
        else "w_ii = self_weight",
        **_inference_params(n, off, islands, permutations, alternative, method, alpha, "analytic"),
    }
    return GiStarResult(
        ids=place_ids,
        y=arr,
        statistic=g,
        z=z,
        p_norm=p_norm,
        p_sim=p_sim,
        z_sim=z_sim,
        p_value=p_value,
        p_adjusted=adjust_pvalues(p_value, method),
        method="Local Getis-Ord Gi* (self included)",
        reference=GI_REFERENCE,
        params=params,
        n_permutations=int(permutations),
        seed=seed_out,
        warnings=tuple(warns),
    )


# ---------------------------------------------------------------------------------------------
# Local Moran's I
# ---------------------------------------------------------------------------------------------


def moran_local(
    y: Any,
    weights: Any,
    *,
    ids: Any = None,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int | np.random.Generator | None = None,
    adjust: str | None = "fdr",
    alpha: float = 0.05,
    alternative: Alternative = "two-sided",
    row_standardise: bool = True,
) -> LocalMoranResult:
    """Local Moran's I (LISA) with analytic and conditional-permutation inference.

    Parameters
    ----------
    y, weights, ids, permutations, seed, adjust, alpha, alternative
        As :func:`gi_star`. The diagonal of ``weights`` is dropped (no self-neighbour).
    row_standardise : bool, default True
        Divide each row of the weights by its sum (esda's default ``transformation="r"``).

    Returns
    -------
    LocalMoranResult

    Notes
    -----
    ``z_i = (y_i − ȳ)/s`` with the population standard deviation ``s``; ``I_i = (n − 1) z_i
    Σ_j w_ij z_j / Σ_k z_k²`` (Anselin 1995, as esda ``Moran_Local``). The analytic z-score uses
    the expectation and variance under total randomisation of Sokal et al. (1998, eqs A3–A4*),
    esda's ``EI`` and ``VI``: ``z = (I_i − EI_i)/√VI_i``, ``p_norm = 2·Φ(−|z|)``. Quadrants: HH
    (high value, high neighbours), LH, LL, HL as esda's ``q`` 1–4 (``z_i > 0`` counts as high).
    """
    arr = _values(y)
    n = arr.size
    m, w_ids = weights_matrix(weights, n)
    off, _ = _split_diagonal(m)
    rowsum = np.asarray(off.sum(axis=1)).ravel()
    if row_standardise:
        scale = np.divide(1.0, rowsum, out=np.zeros(n), where=rowsum > 0)
        off = sparse.csr_matrix(sparse.diags(scale) @ off)
        off.sort_indices()
    method, warns = _inference_setup(n, permutations, adjust, alpha, alternative)
    place_ids = _ids(ids, y, w_ids, n)
    islands = int((rowsum == 0).sum())
    if islands:
        warns.append(f"{islands} place(s) have no neighbours; their Local Moran's I is 0")

    zs = (arr - arr.mean()) / arr.std()
    den = (zs * zs).sum()
    lag = off @ zs
    stat = (n - 1) * zs * lag / den

    wi = np.asarray(off.sum(axis=1)).ravel()
    wi2 = np.asarray(off.multiply(off).sum(axis=1)).ravel()
    m2 = den / n
    b2 = ((zs**4).sum() / n) / m2**2
    n1 = n - 1
    ei = -wi / n1
    vi = wi2 * (n - b2) / n1 + (wi**2 - wi2) * (2 * b2 - n) / (n1 * (n - 2)) - ei**2
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(vi > 0, (stat - ei) / np.sqrt(vi), 0.0)
    p_norm = 2.0 * stats.norm.sf(np.abs(z))

    p_sim, z_sim, seed_out = _permutation_inference(
        zs, off, stat, (n - 1) * zs / den, np.zeros(n), permutations, seed, alternative
    )
    p_value = p_sim if p_sim is not None else p_norm
    params = {
        "weights": "row-standardised" if row_standardise else "as given",
        **_inference_params(
            n,
            off,
            islands,
            permutations,
            alternative,
            method,
            alpha,
            "analytic (total randomisation)",
        ),
    }
    return LocalMoranResult(
        ids=place_ids,
        y=arr,
        statistic=stat,
        z=z,
        p_norm=p_norm,
        p_sim=p_sim,
        z_sim=z_sim,
        p_value=p_value,
        p_adjusted=adjust_pvalues(p_value, method),
        method="Local Moran's I (LISA)",
        reference=MORAN_REFERENCE,
        params=params,
        n_permutations=int(permutations),
        seed=seed_out,
        warnings=tuple(warns),
        lag=lag,
    )


# ---------------------------------------------------------------------------------------------
# neighbours from geometry
# ---------------------------------------------------------------------------------------------


def distance_band_weights(xy: np.ndarray, distance: float) -> sparse.csr_matrix:
    """Binary weights linking points (e.g. cell centres) at most ``distance`` apart (metres).

    A relative tolerance of 1e-9 keeps pairs exactly at the band edge (e.g. diagonal cells at
    ``cell_size · √2``) despite floating-point rounding. No self-links.
    """
    pts = np.asarray(xy, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise InputError(f"xy must be an (n, 2) array of coordinates (got shape {pts.shape})")
    if distance <= 0:
        raise InputError(f"neighbour distance must be > 0 metres (got {distance})")
    tree = cKDTree(pts)
    pairs = tree.query_pairs(distance * (1 + 1e-9), output_type="ndarray")
    n = len(pts)
    i = np.concatenate([pairs[:, 0], pairs[:, 1]])
    j = np.concatenate([pairs[:, 1], pairs[:, 0]])
    m = sparse.csr_matrix((np.ones(i.size), (i, j)), shape=(n, n))
    m.sort_indices()
    return m


def contiguity_weights(places: Any, *, tolerance: float = 1.0) -> sparse.csr_matrix:
    """Binary queen-contiguity weights of a polygon layer, rows in the frame's order.

    Two polygons are neighbours when they share any point — or, with ``tolerance`` > 0, come
    within ``tolerance`` metres of each other ("fuzzy" contiguity, as libpysal
    ``Graph.build_fuzzy_contiguity``). The default of 1 m matters for *generalised* boundary
    files, whose neighbouring polygons were simplified separately and no longer share vertices:
    on London's ``LSOA_2011_London_gen_MHW`` vertex-based queen contiguity (libpysal
    ``Queen.from_dataframe``) finds no neighbours at all, exact intersection finds 5.5 per LSOA
    and a 1 m tolerance 5.9. Use ``tolerance=0`` for topologically clean layers.
    """
    import shapely

    if len(places) < MIN_PLACES:
        raise InputError(f"places has {len(places)} polygons; at least {MIN_PLACES} are needed")
    if tolerance < 0:
        raise InputError(f"tolerance must be ≥ 0 metres (got {tolerance})")
    geoms = np.asarray(places.geometry)
    n = geoms.size
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise InputError(
            f"places has {int(missing.sum())} polygon(s) without geometry (first at row "
            f"{int(np.flatnonzero(missing)[0])})",
            hint="Drop pseudo-areas without boundaries before building neighbours.",
        )
    tree = shapely.STRtree(geoms)
    if tolerance > 0:
        a, b = tree.query(geoms, predicate="dwithin", distance=tolerance)
    else:
        a, b = tree.query(geoms, predicate="intersects")
    keep = a != b
    a, b = a[keep], b[keep]
    m = sparse.csr_matrix((np.ones(a.size), (a, b)), shape=(n, n))
    m = sparse.csr_matrix(((m + m.T) > 0).astype(float))
    m.sort_indices()
    return m


# ---------------------------------------------------------------------------------------------
# counts on places
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CountResult:
    """Counts of points per place.

    Attributes
    ----------
    places : GeoDataFrame
        One row per place (zero counts kept): id column, ``count``, ``geometry``.
    id_name : str
        ``cell_id`` for grids, else the id column of the polygon layer.
    n_points, n_counted, n_no_coordinates, n_outside : int
        Every input point is in exactly one of the last three (never silently dropped).
    params : dict
        Cell size and the rule that chose it, grid type, CRS, boundary use.
    """

    places: Any
    id_name: str
    n_points: int
    n_counted: int
    n_no_coordinates: int
    n_outside: int
    params: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.places.drop(columns="geometry"))


def auto_cell_size(x: np.ndarray, y: np.ndarray) -> float:
    """sfhotspot's automatic cell size (metres): the shorter side of the bounding box / 50,
    rounded down to a multiple of 100 m when that is positive (``set_cell_size()``)."""
    side = min(float(np.ptp(x)), float(np.ptp(y)))
    if side <= 0:
        raise InputError("cannot choose a cell size: the points span zero width or height")
    rounded = math.floor(side / CELLS_ON_SHORT_SIDE / CELL_ROUNDING_M) * CELL_ROUNDING_M
    return rounded if rounded > 0 else side / CELLS_ON_SHORT_SIDE


def _point_xy(points: Any, x: Any, y: Any, crs: str | None) -> tuple[np.ndarray, np.ndarray, Any]:
    """Coordinates (NaN where missing) and the CRS of the points."""
    if points is not None:
        if not hasattr(points, "geometry"):
            raise InputError("points must be a GeoDataFrame (or pass x= and y= arrays)")
        if points.crs is None:
            raise InputError(
                "points have no CRS", hint="Set it, e.g. points.set_crs('EPSG:27700')."
            )
        geom = points.geometry
        empty = geom.isna().to_numpy() | geom.is_empty.to_numpy()
        px = np.full(len(points), np.nan)
        py = np.full(len(points), np.nan)
        ok = ~empty
        if ok.any():
            kinds = set(geom[ok].geom_type.unique())
            if kinds - {"Point"}:
                raise InputError(f"points must be Point geometries (got {sorted(kinds)})")
            px[ok] = geom[ok].x.to_numpy()
            py[ok] = geom[ok].y.to_numpy()
        return px, py, points.crs
    if x is None or y is None:
        raise InputError("give points (GeoDataFrame) or both x and y coordinate arrays")
    px = np.asarray(x, dtype=float).ravel()
    py = np.asarray(y, dtype=float).ravel()
    if px.size != py.size:
        raise InputError(f"x has {px.size} values but y has {py.size}")
    from pyproj import CRS

    return px, py, CRS.from_user_input(crs or BNG)


def _same_crs(a: Any, b: Any, what_a: str, what_b: str) -> None:
    """Refuse layers in different CRSs, naming both.

    Two definitions count as the same when they are equal, or when transforming sample points
    between them moves nothing by more than 1 cm (ESRI ``.prj`` files often spell British
    National Grid without its EPSG code).
    """
    from pyproj import CRS, Transformer

    ca, cb = CRS.from_user_input(a), CRS.from_user_input(b)
    if ca == cb:
        return
    same = False
    if ca.is_projected and cb.is_projected:
        try:
            tr = Transformer.from_crs(ca, cb, always_xy=True)
            xs = np.array([400000.0, 530000.0, 200000.0])
            ys = np.array([300000.0, 180000.0, 700000.0])
            tx, ty = tr.transform(xs, ys)
            same = bool(np.all(np.hypot(tx - xs, ty - ys) < 0.01))
        except Exception:  # pragma: no cover - pyproj failure means "not the same"
            same = False
    if not same:
        raise InputError(
            f"CRS mismatch: {what_a} are in {ca.to_string()} ({ca.name}) but {what_b} are in "
            f"{cb.to_string()} ({cb.name})",
            hint=f"Reproject one layer, e.g. {what_a}.to_crs('{cb.to_string()}').",
        )


def make_grid(
    bounds: tuple[float, float, float, float],
    *,
    cell_size: float,
    grid_type: GridType = "square",
    crs: Any = BNG,
) -> Any:
    """A GeoDataFrame of square or hexagonal cells covering ``bounds`` (xmin, ymin, xmax, ymax).

    Square cells are aligned to multiples of ``cell_size`` (so 100 m cells on the British
    National Grid fall on 100 m lines). Hexagons are pointy-topped with ``cell_size`` the distance
    between opposite edges (= centre spacing), as sf's ``st_make_grid(square = FALSE)``.
    Columns: ``cell_id`` (0..), ``x``, ``y`` (centre), ``geometry``.
    """
    import geopandas as gpd
    import shapely

    if cell_size <= 0:
        raise InputError(f"cell_size must be > 0 metres (got {cell_size})")
    xmin, ymin, xmax, ymax = bounds
    if grid_type == "square":
        x0 = math.floor(xmin / cell_size) * cell_size
        y0 = math.floor(ymin / cell_size) * cell_size
        nx = max(1, math.ceil((xmax - x0) / cell_size + 1e-12))
        ny = max(1, math.ceil((ymax - y0) / cell_size + 1e-12))
        _check_cell_count(nx * ny)
        cx, cy = np.meshgrid(x0 + cell_size * np.arange(nx), y0 + cell_size * np.arange(ny))
        lx, ly = cx.ravel(), cy.ravel()
        geoms = shapely.box(lx, ly, lx + cell_size, ly + cell_size)
        centres = (lx + cell_size / 2, ly + cell_size / 2)
        extra = {"nx": nx, "ny": ny, "x0": x0, "y0": y0}
    elif grid_type == "hex":
        r = cell_size / math.sqrt(3)  # circumradius
        dy = 1.5 * r
        ny = math.ceil((ymax - ymin) / dy) + 2
        nx = math.ceil((xmax - xmin) / cell_size) + 2
        _check_cell_count(nx * ny)
        jj, ii = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
        hx = xmin - cell_size / 2 + ii * cell_size + (jj % 2) * cell_size / 2
        hy = ymin - dy / 2 + jj * dy
        lx, ly = hx.ravel(), hy.ravel()
        ang = np.deg2rad(30 + 60 * np.arange(6))
        ring = np.stack([lx[:, None] + r * np.cos(ang), ly[:, None] + r * np.sin(ang)], axis=2)
        geoms = shapely.polygons(ring)
        keep = shapely.intersects(geoms, shapely.box(xmin, ymin, xmax, ymax))
        geoms, lx, ly = geoms[keep], lx[keep], ly[keep]
        centres = (lx, ly)
        extra = {}
    else:
        raise InputError(f"unknown grid_type {grid_type!r}", hint="Use 'square' or 'hex'.")
    grid = gpd.GeoDataFrame(
        {"cell_id": np.arange(len(geoms)), "x": centres[0], "y": centres[1]},
        geometry=geoms,
        crs=crs,
    )
    grid.attrs.update({"cell_size": cell_size, "grid_type": grid_type, **extra})
    return grid


def _check_cell_count(n: int) -> None:
    if n > 5_000_000:
        raise InputError(
            f"the grid would have {n:,} cells (limit 5,000,000)", hint="Use a larger cell_size."
        )


def count_points(
    points: Any = None,
    *,
    x: Any = None,
    y: Any = None,
    crs: str | None = None,
    places: Any = None,
    id_column: str = "area_code",
    cell_size: float | None = None,
    grid_type: GridType = "square",
    boundary: Any = None,
    clip: bool = False,
) -> CountResult:
    """Count points per place: on a square/hex grid, or on any polygon layer (LSOAs, wards, ...).

    Parameters
    ----------
    points : GeoDataFrame of points, optional
        With a CRS. Or pass ``x``, ``y`` arrays (metres, ``crs`` default EPSG:27700).
    places : GeoDataFrame of polygons, optional
        Count into these polygons (``id_column`` identifies them). Without it, a grid is built.
    cell_size : float, optional
        Grid cell size in metres; default sfhotspot's rule (:func:`auto_cell_size`) applied to
        the bounding box of the points, or of ``boundary`` when one is given (the grid then
        covers the whole study area).
    grid_type : {"square", "hex"}
    boundary : GeoDataFrame / GeoSeries / shapely geometry, optional
        Study area: the grid covers it and keeps only cells touching it; points outside it are
        counted as ``n_outside``.
    clip : bool, default False
        Cut edge cells to the boundary (their area shrinks; counts unchanged).

    Returns
    -------
    CountResult
        Zero-count places kept; points without coordinates and points outside every place are
        counted and reported, never silently dropped. A CRS mismatch between layers raises
        :class:`InputError` naming both CRSs.
    """
    import geopandas as gpd
    import shapely

    px, py, pcrs = _point_xy(points, x, y, crs)
    n_points = px.size
    has_xy = np.isfinite(px) & np.isfinite(py)
    n_missing = int((~has_xy).sum())
    params: dict[str, Any] = {"crs": pcrs.to_string() if hasattr(pcrs, "to_string") else str(pcrs)}

    boundary_geom = None
    if boundary is not None:
        if hasattr(boundary, "crs"):
            if boundary.crs is None:
                raise InputError("boundary has no CRS")
            _same_crs(pcrs, boundary.crs, "points", "boundary")
            boundary_geom = shapely.union_all(
                np.asarray(boundary.geometry if hasattr(boundary, "geometry") else boundary)
            )
        else:
            boundary_geom = boundary
        params["boundary"] = True

    if places is not None:
        if places.crs is None:
            raise InputError("places have no CRS")
        _same_crs(pcrs, places.crs, "points", "places")
        if id_column not in places.columns:
            raise InputError(
                f"places lacks the id column {id_column!r}",
                hint=f"It has: {', '.join(map(str, places.columns))}.",
            )
        layer = places[[id_column, "geometry"]].reset_index(drop=True).copy()
        id_name = id_column
        params["places"] = "polygon layer"
    else:
        if has_xy.sum() == 0 and boundary_geom is None:
            raise InputError("no point has coordinates, so no grid can be placed")
        if boundary_geom is not None:
            bx0, by0, bx1, by1 = shapely.bounds(boundary_geom)
            extent_x = np.array([bx0, bx1])
            extent_y = np.array([by0, by1])
        else:
            extent_x, extent_y = px[has_xy], py[has_xy]
        if cell_size is None:
            cell_size = auto_cell_size(extent_x, extent_y)
            params["cell_size_rule"] = CELL_SIZE_RULE
        else:
            params["cell_size_rule"] = "given"
        bounds = (
            float(extent_x.min()),
            float(extent_y.min()),
            float(extent_x.max()),
            float(extent_y.max()),
        )
        layer = make_grid(bounds, cell_size=cell_size, grid_type=grid_type, crs=pcrs)
        if boundary_geom is not None:
            cells_arr = layer.geometry.to_numpy()
            keep = shapely.intersects(cells_arr, boundary_geom) & ~shapely.touches(
                cells_arr, boundary_geom
            )
            layer = layer[keep].reset_index(drop=True)
            layer["cell_id"] = np.arange(len(layer))
        params.update({"cell_size": float(cell_size), "grid_type": grid_type})
        id_name = "cell_id"

    counts = np.zeros(len(layer), dtype=np.int64)
    idx_ok = np.flatnonzero(has_xy)
    inside = np.ones(idx_ok.size, dtype=bool)
    if boundary_geom is not None and idx_ok.size:
        shapely.prepare(boundary_geom)
        inside = shapely.contains_xy(boundary_geom, px[idx_ok], py[idx_ok]) | shapely.intersects(
            shapely.points(px[idx_ok], py[idx_ok]), boundary_geom
        )
    cand = idx_ok[inside]
    assigned = np.full(cand.size, -1, dtype=np.int64)
    if cand.size:
        pts = shapely.points(px[cand], py[cand])
        tree = shapely.STRtree(layer.geometry.to_numpy())
        pi, gi = tree.query(pts, predicate="intersects")
        # a point on a shared edge touches two places: give it to the first (lowest row)
        order = np.lexsort((gi, pi))
        pi, gi = pi[order], gi[order]
        first = np.ones(pi.size, dtype=bool)
        first[1:] = pi[1:] != pi[:-1]
        assigned[pi[first]] = gi[first]
        counts = np.bincount(assigned[assigned >= 0], minlength=len(layer)).astype(np.int64)
    n_counted = int((assigned >= 0).sum())
    n_outside = int(idx_ok.size - n_counted)
    if clip and boundary_geom is not None and places is None:
        layer["geometry"] = shapely.intersection(layer.geometry.to_numpy(), boundary_geom)
    layer = layer.assign(count=counts)
    cols = [id_name, "count", *[c for c in ("x", "y") if c in layer.columns], "geometry"]
    layer = gpd.GeoDataFrame(layer[cols], geometry="geometry", crs=layer.crs)
    return CountResult(
        places=layer,
        id_name=id_name,
        n_points=int(n_points),
        n_counted=n_counted,
        n_no_coordinates=n_missing,
        n_outside=n_outside,
        params=params,
    )


def neighbours_for(
    counts: CountResult, *, distance: float | None = None
) -> tuple[sparse.csr_matrix, dict[str, Any]]:
    """Default neighbours for counted places: a distance band between cell centres for grids
    (``cell_size · √2`` unless ``distance`` is given; sfhotspot's ``nb_dist``), queen contiguity
    for polygon layers."""
    if counts.id_name == "cell_id" and "cell_size" in counts.params:
        d = distance if distance is not None else counts.params["cell_size"] * math.sqrt(2)
        xy = np.column_stack([counts.places["x"], counts.places["y"]])
        return distance_band_weights(xy, d), {
            "neighbours": "distance band between cell centres",
            "neighbour_distance_m": d,
            "neighbour_rule": "cell_size·√2: the adjacent cells (sfhotspot hotspot_classify_params nb_dist default)"
            if distance is None
            else "given",
        }
    return contiguity_weights(counts.places), {
        "neighbours": "queen contiguity (shared edge or vertex)"
    }


# ---------------------------------------------------------------------------------------------
# KDE
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class KdeResult:
    """Kernel density per cell (events per km², quartic kernel); ``params`` records bandwidth
    and the rule that chose it."""

    cells: Any
    density: np.ndarray
    bandwidth: float
    params: dict[str, Any]
    method: str = "quartic (biweight) kernel density at cell centres"
    reference: str = "Silverman (1986) §4.2; ArcGIS 'How Kernel Density works'; bandwidth: MASS bandwidth.nrd via sfhotspot"

    def to_frame(self, id_name: str = "cell_id") -> pd.DataFrame:
        return pd.DataFrame({id_name: self.cells[id_name].to_numpy(), "kde": self.density})


def kde_bandwidth(x: np.ndarray, y: np.ndarray) -> float:
    """sfhotspot's automatic KDE bandwidth (metres): the mean over x and y of MASS's
    ``bandwidth.nrd`` = ``4 · 1.06 · min(sd, IQR/1.34) · n^(-1/5)``.

    sfhotspot writes ``mean(bandwidth_nrd(x), bandwidth_nrd(y))``, which in R passes the second
    value as ``mean()``'s ``trim`` argument and so returns the x value only; vrkit averages both,
    as its documentation states.
    """

    def nrd(v: np.ndarray) -> float:
        q1, q3 = np.quantile(v, [0.25, 0.75])
        h = (q3 - q1) / 1.34
        spread = min(float(np.std(v, ddof=1)), float(h))
        if spread <= 0:
            spread = float(np.std(v, ddof=1))
        return 4 * 1.06 * spread * v.size ** (-1 / 5)

    xv = np.asarray(x, dtype=float)
    yv = np.asarray(y, dtype=float)
    if xv.size < 2:
        raise InputError(f"a KDE bandwidth needs at least 2 points (got {xv.size})")
    bw = (nrd(xv) + nrd(yv)) / 2
    if not bw > 0:
        raise InputError("cannot choose a bandwidth: the points do not vary in position")
    return bw


def kde(
    points: Any = None,
    *,
    x: Any = None,
    y: Any = None,
    crs: str | None = None,
    cells: Any = None,
    cell_size: float | None = None,
    grid_type: GridType = "square",
    bandwidth: float | None = None,
    bandwidth_adjust: float = 1.0,
    weights: Any = None,
) -> KdeResult:
    """Kernel density of points at the centres of grid cells (or of any polygon layer).

    The quartic kernel ``K(d) = 3/(π h²) (1 − d²/h²)²`` for ``d < h`` (Silverman 1986 eq. 4.5;
    ArcGIS Kernel Density) is summed over points (optionally weighted), so the surface integrates
    to the number of points; values are reported per km². sfhotspot (via SpatialKDE) uses the same
    kernel unscaled (without ``3/(π h²)``): maps have the same shape.

    Parameters
    ----------
    cells : GeoDataFrame, optional
        Where to evaluate (cell centres / polygon centroids). Default: a grid as in
        :func:`count_points` (cell size by sfhotspot's rule).
    bandwidth : float, optional
        Kernel radius ``h`` in metres; default :func:`kde_bandwidth`, times ``bandwidth_adjust``.
    weights : array-like, optional
        A weight per point (e.g. residents at a population-weighted centroid).
    """
    px, py, pcrs = _point_xy(points, x, y, crs)
    ok = np.isfinite(px) & np.isfinite(py)
    n_missing = int((~ok).sum())
    w = np.ones(px.size) if weights is None else np.asarray(weights, dtype=float).ravel()
    if w.size != px.size:
        raise InputError(f"weights has {w.size} values but there are {px.size} points")
    if np.isnan(w[ok]).any() or (w[ok] < 0).any():
        raise InputError("point weights must be non-negative numbers (NaN or negative found)")
    px, py, w = px[ok], py[ok], w[ok]
    params: dict[str, Any] = {"points_without_coordinates": n_missing, "kernel": "quartic"}
    if cells is None:
        cs = cell_size if cell_size is not None else auto_cell_size(px, py)
        params["cell_size"] = cs
        params["cell_size_rule"] = CELL_SIZE_RULE if cell_size is None else "given"
        cells = make_grid(
            (px.min(), py.min(), px.max(), py.max()), cell_size=cs, grid_type=grid_type, crs=pcrs
        )
    else:
        if cells.crs is None:
            raise InputError("cells have no CRS")
        _same_crs(pcrs, cells.crs, "points", "cells")
    if bandwidth is None:
        bw = kde_bandwidth(px, py) * bandwidth_adjust
        params["bandwidth_rule"] = BANDWIDTH_RULE
    else:
        if bandwidth <= 0:
            raise InputError(f"bandwidth must be > 0 metres (got {bandwidth})")
        bw = float(bandwidth) * bandwidth_adjust
        params["bandwidth_rule"] = "given"
    params["bandwidth_m"] = bw
    params["bandwidth_adjust"] = bandwidth_adjust
    if "x" in cells.columns and "y" in cells.columns:
        cx, cy = cells["x"].to_numpy(float), cells["y"].to_numpy(float)
    else:
        cen = cells.geometry.centroid
        cx, cy = cen.x.to_numpy(), cen.y.to_numpy()
    density = _quartic_sum(np.column_stack([cx, cy]), np.column_stack([px, py]), w, bw)
    return KdeResult(cells=cells, density=density * 1e6, bandwidth=bw, params=params)


def _quartic_sum(targets: np.ndarray, pts: np.ndarray, w: np.ndarray, h: float) -> np.ndarray:
    out = np.zeros(len(targets))
    if len(pts) == 0:
        return out
    ptree = cKDTree(pts)
    step = 20_000
    for lo in range(0, len(targets), step):
        ttree = cKDTree(targets[lo : lo + step])
        d = ttree.sparse_distance_matrix(ptree, h, output_type="coo_matrix")
        u = (d.data / h) ** 2
        vals = 3.0 / (math.pi * h * h) * (1 - u) ** 2 * w[d.col]
        out[lo : lo + step] = np.bincount(d.row, weights=vals, minlength=ttree.n)
        # sparse_distance_matrix omits zero distances: add points exactly at a centre
        hits = ptree.query_ball_point(targets[lo : lo + step], r=0.0)
        for i, lst in enumerate(hits):
            if lst:
                out[lo + i] += 3.0 / (math.pi * h * h) * w[lst].sum()
    return out


@dataclass(frozen=True, eq=False)
class DualKdeResult:
    """Two KDE surfaces on the same cells and their relation (``ratio`` by default)."""

    first: KdeResult
    second: KdeResult
    value: np.ndarray
    how: str
    params: dict[str, Any]

    def to_frame(self, id_name: str = "cell_id") -> pd.DataFrame:
        return pd.DataFrame(
            {
                id_name: self.first.cells[id_name].to_numpy(),
                "kde_first": self.first.density,
                "kde_second": self.second.density,
                "dual_kde": self.value,
            }
        )


def dual_kde(
    first: Any,
    second: Any,
    *,
    how: Literal["ratio", "log", "diff", "sum"] = "ratio",
    cells: Any = None,
    cell_size: float | None = None,
    grid_type: GridType = "square",
    bandwidth: float | tuple[float | None, float | None] | None = None,
    first_weights: Any = None,
    second_weights: Any = None,
) -> DualKdeResult:
    """Dual KDE (sfhotspot ``hotspot_dual_kde``): e.g. violence density ÷ population density.

    Both surfaces use the same cells (the grid of ``first`` unless given). By default both use
    the bandwidth chosen from ``first`` (sfhotspot's default); pass a pair for separate ones
    (``(None, None)``: each chosen from its own layer). ``ratio``/``log`` are undefined where the
    second density is 0: those cells are NaN and counted in ``params["cells_undefined"]``.
    """
    k1 = kde(
        first,
        cells=cells,
        cell_size=cell_size,
        grid_type=grid_type,
        bandwidth=bandwidth if not isinstance(bandwidth, tuple) else bandwidth[0],
        weights=first_weights,
    )
    bw2 = (
        k1.bandwidth
        if bandwidth is None
        else (bandwidth[1] if isinstance(bandwidth, tuple) else bandwidth)
    )
    k2 = kde(second, cells=k1.cells, bandwidth=bw2, weights=second_weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        if how == "ratio":
            val = np.where(k2.density > 0, k1.density / k2.density, np.nan)
        elif how == "log":
            val = np.where(
                (k2.density > 0) & (k1.density > 0), np.log(k1.density / k2.density), np.nan
            )
        elif how == "diff":
            val = k1.density - k2.density
        elif how == "sum":
            val = k1.density + k2.density
        else:
            raise InputError(
                f"unknown dual KDE relation {how!r}", hint="Use ratio, log, diff or sum."
            )
    params = {
        "how": how,
        "cells_undefined": int(np.isnan(val).sum()),
        "bandwidth_first_m": k1.bandwidth,
        "bandwidth_second_m": k2.bandwidth,
    }
    return DualKdeResult(first=k1, second=k2, value=val, how=how, params=params)

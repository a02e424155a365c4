"""Composite need index: which areas would benefit most from an intervention, why, and how sure.

The construction follows the ten-step framework of the OECD/JRC *Handbook on Constructing
Composite Indicators: Methodology and User Guide* (Nardo, Saisana, Saltelli, Tarantola,
Hoffmann and Giovannini; OECD Publishing, Paris, 2008; ISBN 978-92-64-04345-9), referred to below
as "the Handbook":

1. **Polarity.** Every indicator is oriented so that a higher value means *more need*: an
   indicator whose higher values are better (life expectancy, GCSE scores) is negated before
   normalisation (Handbook, Part 1 step 5, "directionality").
2. **Normalisation** (Handbook, Part 2 "Normalisation"), over the areas being ranked:

   - ``zscore``: ``(x - mean) / sd`` with the population standard deviation (``ddof=0``);
   - ``minmax``: ``(x - min) / (max - min)``, in [0, 1];
   - ``percentile``: the mid-rank (Hazen) percentile ``(r - 0.5) / n`` where ``r`` is the
     ascending rank with ties averaged, in (0, 1) (the Handbook's "ranking" method rescaled);
   - ``top_share``: the London VRU Area Prioritisation Tool's points scheme, a categorical
     scale (Handbook, "categorical scales"): 1 point when the area is in the top
     ``top_share`` (default 15 %) of areas for the indicator, else 0. "In the top 15 %" means
     its descending minimum rank (1 + number of areas with a strictly higher value) is at most
     ``k = ceil(0.15 n)``; areas tied at the boundary all get the point.

3. **Weights** per indicator, optionally grouped into **domains** (violence, health, education,
   deprivation, population) with domain weights. Indicator weights are normalised to sum to 1
   within their domain, domain weights to sum to 1, and the effective weight of an indicator is
   the product (Handbook, Part 2 "Weighting methods"; the weights are the profile author's
   judgement, i.e. "participatory/expert" weights, made explicit and versioned in TOML).
4. **Aggregation** (Handbook, Part 2 "Aggregation methods"):

   - ``additive``: ``score = Σ w_i y_i`` (fully compensatory); contributions ``w_i y_i`` sum
     to the score;
   - ``geometric``: ``score = Π y_i^{w_i}`` (partially compensatory). The Handbook notes that
     geometric aggregation needs strictly positive values; each normalised indicator is
     therefore **shifted by a constant so that its minimum over the ranked areas is
     ``geometric_floor``** (default 1): ``y' = y + (floor - min y)``. The shift keeps the
     interval scale of z-scores and min-max values but, as the Handbook warns, the result
     depends on the floor, so it is recorded in ``params``. Contributions are ``w_i ln y'_i``
     and sum to ``ln score``.

5. **Missing data** (Handbook, Part 2 "Imputation of missing data"), chosen explicitly; a missing
   value is never read as zero:

   - ``"error"`` (default): refuse, naming the first missing cell;
   - ``"exclude"``: drop areas with any missing indicator (case deletion; listed in
     ``excluded``);
   - ``"reweight"``: score each area on its available indicators, their effective weights
     re-normalised to sum to 1 for that area (the missing indicator's weight is shared among the
     others in proportion to their weights);
   - ``"impute_parent"``: replace a missing value by the value of the area's parent (e.g. the
     borough for a ward), recorded cell by cell in ``imputed``;
   - ``"auto"`` (what the reports use): a missing value of an indicator in a domain the profile
     weights heavily (effective domain weight ≥ ``heavy_share``, default 25 %; without domains,
     the indicator's own weight) is imputed from the parent with a flag, and an area whose
     parent has no value either is not ranked (listed in ``excluded``) — never a silent
     reweight; a missing value of a lightly weighted indicator is reweighted as above. Every
     area ranked on imputed or reweighted data is listed in ``partial``.

6. **Uncertainty** (Handbook, Part 2 "Uncertainty and sensitivity analysis"): Monte Carlo
   perturbation of the weights, plus a parametric bootstrap of indicators that carry a standard
   error, giving each area's rank interval and probability of being in the top N
   (:func:`rank_uncertainty`); and the effect of the normalisation choice on the ranking
   (:func:`normalisation_sensitivity`).

All functions are pure: frames in, result objects out; inputs are never mutated. Randomness comes
only from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from vrkit.analysis import _composite as K
from vrkit.catalog.profiles import (
    AGGREGATIONS,
    NORMALISATIONS,
    POLARITIES,
    IndicatorSpec,
    effective_weights,
)
from vrkit.errors import InputError

__all__ = [
    "AGGREGATIONS",
    "MISSING_POLICIES",
    "NORMALISATIONS",
    "POLARITIES",
    "IndicatorSpec",
    "NeedIndexResult",
    "RankUncertaintyResult",
    "SensitivityResult",
    "effective_weights",
    "need_index",
    "normalisation_sensitivity",
    "rank_uncertainty",
]

Normalisation = Literal["zscore", "minmax", "percentile", "top_share"]
Aggregation = Literal["additive", "geometric"]
MissingPolicy = Literal["auto", "error", "exclude", "reweight", "impute_parent"]
Perturbation = Literal["uniform", "dirichlet", "none"]

MISSING_POLICIES: tuple[str, ...] = ("auto", "error", "exclude", "reweight", "impute_parent")
#: under ``missing="auto"``, a domain (or, without domains, an indicator) whose effective
#: weight is at least this share of the index is "heavily weighted"
HEAVY_SHARE = 0.25
REFERENCE = (
    "OECD/JRC (2008) Handbook on Constructing Composite Indicators: Methodology and User Guide. "
    "OECD Publishing, Paris."
)


@dataclass(frozen=True)
class NeedIndexResult:
    """A composite need index for a set of areas.

    Attributes
    ----------
    scores : DataFrame
        Indexed by ``area_code``: ``score`` (higher = more need), ``rank`` (1 = most need; ties
        share the best rank), ``indicators_used`` and ``indicators_imputed``; sorted by rank.
    contributions : DataFrame
        Area × indicator contribution to the score (additive: ``w_i y_i``, summing to the
        score; geometric: ``w_i ln y_i``, summing to ``ln score``). Missing indicators
        (``reweight``) contribute 0 and are counted in ``indicators_used``.
    normalised : DataFrame
        Area × indicator normalised, polarity-oriented values (before any geometric shift);
        NaN where the value was missing.
    weights : Series
        Effective weight of each indicator (sums to 1).
    excluded : DataFrame
        ``area_code, reason`` for areas that could not be scored.
    imputed : DataFrame
        ``area_code, indicator_id, parent_code, value`` for each imputed cell.
    method, reference : str
        Plain-language method and citation.
    params : dict
        Every parameter used (normalisation, aggregation, missing policy, top share, floor,
        geometric shifts, domain weights).
    """

    scores: pd.DataFrame
    contributions: pd.DataFrame
    normalised: pd.DataFrame
    weights: pd.Series
    excluded: pd.DataFrame
    imputed: pd.DataFrame
    method: str
    reference: str
    params: dict[str, Any] = field(default_factory=dict)
    #: ``area_code, imputed_from_parent, missing_reweighted``: areas ranked on partial data
    partial: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["area_code", "imputed_from_parent", "missing_reweighted"]
        )
    )

    def to_frame(self) -> pd.DataFrame:
        """``area_code, score, rank, contrib_<indicator_id>…`` sorted by rank."""
        contrib = self.contributions.add_prefix("contrib_")
        out = self.scores[["score", "rank"]].join(contrib)
        return out.reset_index()

    def top(self, n: int) -> list[str]:
        """Codes of the areas ranked ``<= n`` (ties at the boundary included)."""
        return self.scores.index[self.scores["rank"] <= n].tolist()


@dataclass(frozen=True)
class RankUncertaintyResult:
    """Monte Carlo rank uncertainty of a need index.

    Attributes
    ----------
    table : DataFrame
        Indexed by ``area_code``: ``rank`` (of the unperturbed index), ``rank_low`` and
        ``rank_high`` (the empirical ``(1 - interval) / 2`` and ``(1 + interval) / 2``
        quantiles of the simulated ranks, inverted-CDF definition, so integers), ``rank_median``
        and ``p_top_n`` (share of draws in which the area ranks ``<= top_n``); sorted by rank.
    n_draws, seed, top_n, interval : as passed.
    method, reference : str
    params : dict
    """

    table: pd.DataFrame
    n_draws: int
    seed: int
    top_n: int
    interval: float
    method: str
    reference: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SensitivityResult:
    """How the ranking changes with the normalisation method.

    Attributes
    ----------
    table : DataFrame
        One row per method: ``method``, ``spearman_rho`` (rank correlation of scores with the
        baseline), ``top_n_overlap`` (areas in both top-N lists), ``top_n_overlap_share``,
        ``median_abs_rank_shift`` and ``max_abs_rank_shift`` (against the baseline ranks).
    ranks : DataFrame
        Area × method ranks (areas scored under every method).
    baseline, top_n : as passed.
    method, reference : str
    params : dict
    """

    table: pd.DataFrame
    ranks: pd.DataFrame
    baseline: str
    top_n: int
    method: str
    reference: str
    params: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------
# Validation and preparation


def _choice(value: str, allowed: Sequence[str], what: str) -> None:
    if value not in allowed:
        raise InputError(f"unknown {what} {value!r}; use one of {', '.join(allowed)}")


def _numeric_frame(values: pd.DataFrame, ids: Sequence[str], what: str) -> pd.DataFrame:
    """The ``ids`` columns of a wide frame as float64, checking index and values."""
    if not isinstance(values, pd.DataFrame):
        raise InputError(f"{what} must be a DataFrame indexed by area_code (got {type(values)})")
    if values.index.has_duplicates:
        dup = values.index[values.index.duplicated()][0]
        raise InputError(f"{what} has duplicate area rows (first: {dup!r})")
    if values.index.hasnans:
        raise InputError(f"{what} has a row with no area code")
    missing = [i for i in ids if i not in values.columns]
    if missing:
        raise InputError(
            f"{what} has no column for indicator(s) {', '.join(missing)}",
            hint=f"Columns present: {', '.join(map(str, values.columns[:10]))}.",
        )
    out = {}
    for i in ids:
        col = values[i]
        if not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)):
            bad = pd.to_numeric(col, errors="coerce").isna() & col.notna()
            first = col[bad].index[0] if bad.any() else col.index[0]
            raise InputError(
                f"{what}: indicator {i!r} is not numeric (area {first!r}: {col.get(first)!r})"
            )
        arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
        if np.isinf(arr).any():
            first = col.index[np.isinf(arr)][0]
            raise InputError(f"{what}: indicator {i!r} is infinite for area {first!r}")
        out[i] = arr
    return pd.DataFrame(out, index=values.index.astype(str))


@dataclass(frozen=True)
class _Prepared:
    """Values oriented, imputed and filtered, ready for normalisation."""

    codes: pd.Index
    ids: list[str]
    x: np.ndarray  # oriented (higher = more need), NaN where missing
    avail: np.ndarray
    weights: np.ndarray
    excluded: pd.DataFrame
    imputed: pd.DataFrame
    imputed_count: np.ndarray


def _parent_cells(
    x: np.ndarray,
    ids: list[str],
    which: Sequence[str],
    codes: pd.Index,
    parent_of: pd.Series,
    parent_values: pd.DataFrame,
) -> Iterator[tuple[int, int, object, float]]:
    """``(row, column, parent code, parent's value)`` of every missing cell of the indicators
    ``which`` (the value NaN where the parent has none); the one lookup of every imputation
    from the parent area."""
    pv = _numeric_frame(parent_values, list(which), "parent_values")
    parents = parent_of.astype(str).reindex(codes)
    for iid in which:
        j = ids.index(iid)
        for r in np.flatnonzero(np.isnan(x[:, j])):
            p = parents.iloc[r]
            val = pv[iid].get(p, np.nan) if isinstance(p, str) else np.nan
            yield int(r), j, p, float(val)


def _prepare(
    values: pd.DataFrame,
    indicators: Sequence[IndicatorSpec],
    *,
    domain_weights: Mapping[str, float] | None,
    missing: str,
    parent_of: pd.Series | None,
    parent_values: pd.DataFrame | None,
    heavy_share: float = HEAVY_SHARE,
    parent_level: Sequence[str] = (),
) -> _Prepared:
    _choice(missing, MISSING_POLICIES, "missing-data policy")
    w = effective_weights(indicators, domain_weights)
    ids = [s.indicator_id for s in indicators]
    frame = _numeric_frame(values, ids, "values")
    x = frame.to_numpy(copy=True)
    codes = frame.index
    imputed_rows: list[tuple[str, str, str, float]] = []
    imputed_count = np.zeros(len(codes), dtype=np.int64)
    reasons: list[tuple[str, str]] = []
    keep = np.ones(len(codes), dtype=bool)
    unknown = [i for i in parent_level if i not in ids]
    if unknown:
        raise InputError(f"parent_level names indicators not in the index: {', '.join(unknown)}")
    if parent_level and (parent_of is None or parent_values is None):
        raise InputError(
            f"indicators {', '.join(parent_level)} are published for parent areas only and no "
            "parent values were given",
            hint="Pass parent_of and parent_values.",
        )
    if parent_level:
        assert parent_of is not None and parent_values is not None
        for row, col, p, val in _parent_cells(
            x, ids, parent_level, codes, parent_of, parent_values
        ):
            if np.isfinite(val):  # a parent without a value: the missing policy decides
                x[row, col] = val
                imputed_count[row] += 1
                imputed_rows.append((codes[row], ids[col], str(p), val))
    if missing == "auto":
        heavy = heavy_indicators(indicators, w, heavy_share)
        holes = np.isnan(x[:, [ids.index(h) for h in heavy]]) if heavy else np.zeros((0, 0))
        if heavy and holes.any():
            if parent_of is None or parent_values is None:
                r, j = np.argwhere(holes)[0]
                raise InputError(
                    f"indicator {heavy[j]!r} (heavily weighted) is missing for area "
                    f"{codes[r]!r} and no parent values were given to impute it from",
                    hint="Pass parent_of and parent_values, or choose a missing-data policy.",
                )
            for row, col, p, val in _parent_cells(x, ids, heavy, codes, parent_of, parent_values):
                if not np.isfinite(val):
                    if keep[row]:
                        reasons.append(
                            (
                                codes[row],
                                f"no value for {ids[col]} (a heavily weighted indicator) and no "
                                f"value for its parent area "
                                f"{p if isinstance(p, str) else '(none)'} to impute from",
                            )
                        )
                    keep[row] = False
                    continue
                x[row, col] = val
                imputed_count[row] += 1
                imputed_rows.append((codes[row], ids[col], str(p), val))
    if missing == "impute_parent" and np.isnan(x).any():
        if parent_of is None or parent_values is None:
            raise InputError(
                "missing='impute_parent' needs parent_of (area → parent code) and parent_values",
            )
        for row, col, p, val in _parent_cells(x, ids, ids, codes, parent_of, parent_values):
            if not np.isfinite(val):
                raise InputError(
                    f"cannot impute indicator {ids[col]!r} for area {codes[row]!r}: its parent "
                    f"{p if isinstance(p, str) else '(none)'} has no value either",
                    hint="Use missing='reweight' or 'exclude', or supply the parent's value.",
                )
            x[row, col] = val
            imputed_count[row] += 1
            imputed_rows.append((codes[row], ids[col], str(p), val))
    nan = np.isnan(x)
    if missing == "error" and nan.any():
        r, j = np.argwhere(nan)[0]
        raise InputError(
            f"indicator {ids[j]!r} is missing for area {codes[r]!r} "
            f"({int(nan.any(axis=1).sum())} areas have a missing value)",
            hint="Choose a missing-data policy: exclude, reweight or impute_parent.",
        )
    if missing == "exclude":
        keep = ~nan.any(axis=1)
        for r in np.flatnonzero(~keep):
            miss = [ids[j] for j in np.flatnonzero(nan[r])]
            reasons.append((codes[r], "missing " + ", ".join(miss)))
    else:
        usable = (~nan) & (w.to_numpy() > 0)[None, :]
        none = keep & ~usable.any(axis=1)
        for r in np.flatnonzero(none):
            reasons.append((codes[r], "no indicator with a weight > 0 has a value"))
        keep &= ~none
    for j, s in enumerate(indicators):
        if s.polarity == "higher_is_better":
            x[:, j] = -x[:, j]
    x = x[keep]
    if x.shape[0] == 0:
        raise InputError("no area has values to rank", hint="Check the indicators and areas.")
    return _Prepared(
        codes=codes[keep],
        ids=ids,
        x=x,
        avail=~np.isnan(x),
        weights=w.to_numpy(),
        excluded=pd.DataFrame(reasons, columns=["area_code", "reason"]),
        imputed=pd.DataFrame(
            imputed_rows, columns=["area_code", "indicator_id", "parent_code", "value"]
        ),
        imputed_count=imputed_count[keep],
    )


def heavy_indicators(
    indicators: Sequence[IndicatorSpec], weights: pd.Series, heavy_share: float = HEAVY_SHARE
) -> list[str]:
    """Indicators of the heavily weighted domains (effective domain weight ≥ ``heavy_share``;
    without domains, indicators whose own effective weight is)."""
    if not 0 < heavy_share <= 1:
        raise InputError(f"heavy_share must be in (0, 1] (got {heavy_share!r})")
    if all(s.domain is None for s in indicators):
        return [s.indicator_id for s in indicators if weights[s.indicator_id] >= heavy_share]
    dom = pd.Series({s.indicator_id: s.domain for s in indicators})
    share = weights.groupby(dom).sum()
    return [s.indicator_id for s in indicators if share[s.domain] >= heavy_share - 1e-12]


def _normalise(prep: _Prepared, x: np.ndarray, normalisation: str, top_share: float) -> np.ndarray:
    if normalisation in ("zscore", "minmax"):
        bad = K.constant_columns(x)
        if bad:
            raise InputError(
                f"indicator {prep.ids[bad[0]]!r} has the same value in every area (or fewer "
                f"than two values), so it cannot be {normalisation}-normalised",
                hint="Drop it from the profile; it cannot tell areas apart.",
            )
    return K.normalise_columns(x, normalisation, top_share=top_share)


def _terms(y: np.ndarray, aggregation: str, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """(values to aggregate, geometric shifts) — ``y`` or the shifted ``y`` for geometric."""
    if aggregation == "geometric":
        return K.geometric_shift(y, floor)
    return y, np.zeros(y.shape[1])


def _check_common(
    normalisation: str, aggregation: str, top_share: float, geometric_floor: float
) -> None:
    _choice(normalisation, NORMALISATIONS, "normalisation")
    _choice(aggregation, AGGREGATIONS, "aggregation")
    if not 0 < top_share < 1:
        raise InputError(f"top_share must be between 0 and 1 (got {top_share!r})")
    if not geometric_floor > 0:
        raise InputError(f"geometric_floor must be > 0 (got {geometric_floor!r})")


def _method_text(normalisation: str, aggregation: str, missing: str, top_share: float) -> str:
    norm = {
        "zscore": "z-scores (mean 0, standard deviation 1)",
        "minmax": "min–max rescaling to 0–1",
        "percentile": "percentile ranks",
        "top_share": f"points for being in the top {top_share:.0%} of areas "
        "(London VRU Area Prioritisation Tool)",
    }[normalisation]
    agg = {"additive": "weighted sum", "geometric": "weighted geometric mean"}[aggregation]
    miss = {
        "auto": "a missing value of a heavily weighted indicator replaced by the parent "
        "area's value (flagged; areas whose parent has none are not ranked), other missing "
        "values handled by re-normalising the weights over the area's available indicators "
        "(flagged)",
        "error": "no missing values allowed",
        "exclude": "areas with a missing value excluded",
        "reweight": "weights re-normalised over each area's available indicators",
        "impute_parent": "missing values replaced by the parent area's value",
    }[missing]
    return f"Indicators oriented so higher = more need, normalised as {norm}, combined as a {agg}; {miss}."


# ----------------------------------------------------------------------------------------------
# Public functions


def need_index(
    values: pd.DataFrame,
    indicators: Sequence[IndicatorSpec],
    *,
    normalisation: Normalisation = "zscore",
    aggregation: Aggregation = "additive",
    domain_weights: Mapping[str, float] | None = None,
    missing: MissingPolicy = "error",
    parent_of: pd.Series | None = None,
    parent_values: pd.DataFrame | None = None,
    top_share: float = 0.15,
    geometric_floor: float = 1.0,
    heavy_share: float = HEAVY_SHARE,
    parent_level: Sequence[str] = (),
) -> NeedIndexResult:
    """Score and rank areas on a weighted composite of indicators.

    Parameters
    ----------
    values : DataFrame
        Wide frame indexed by ``area_code`` (unique), one numeric column per indicator id; NaN
        is a missing value. Extra columns are ignored. Not modified.
    indicators : sequence of IndicatorSpec
        Indicators, weights, polarities and domains (e.g. ``Profile.indicators``).
    normalisation : {"zscore", "minmax", "percentile", "top_share"}
        See the module docstring.
    aggregation : {"additive", "geometric"}
        Weighted arithmetic or geometric mean of the normalised values.
    domain_weights : mapping, optional
        Domain → weight when indicators have domains (default equal domain weights).
    missing : {"error", "exclude", "reweight", "impute_parent"}
        Missing-data policy (module docstring). Default ``"error"``.
    parent_of : Series, optional
        ``area_code → parent area_code`` (e.g. ward → borough), for ``impute_parent``.
    parent_values : DataFrame, optional
        Wide frame of the parents' values (same columns), for ``impute_parent``.
    parent_level : sequence of str, optional
        Indicators published for the parent areas only (e.g. school exclusion rates by local
        authority in a ward ranking): under every missing-data policy each area takes its
        parent's value, recorded cell by cell in ``imputed`` like any value imputed from the
        parent; an area whose parent has no value is then handled by ``missing``. Needs
        ``parent_of`` and ``parent_values``.
    top_share : float, default 0.15
        Share of areas earning a point under ``top_share`` normalisation.
    geometric_floor : float, default 1.0
        Minimum of every normalised indicator after the shift for geometric aggregation.

    Returns
    -------
    NeedIndexResult

    Raises
    ------
    InputError
        Unknown method, bad weights or polarity, non-numeric or infinite values, duplicate
        areas, a missing value under ``missing="error"``, an indicator constant across areas
        (``zscore``/``minmax``), or a missing parent value under ``impute_parent``.

    Notes
    -----
    OECD/JRC (2008) Handbook on Constructing Composite Indicators; the steps and every choice
    are described in the module docstring.

    Examples
    --------
    >>> v = pd.DataFrame({"a": [1.0, 2.0, 3.0]}, index=["x", "y", "z"])
    >>> need_index(v, [IndicatorSpec("a")]).scores["rank"].tolist()
    [1, 2, 3]
    """
    _check_common(normalisation, aggregation, top_share, geometric_floor)
    prep = _prepare(
        values,
        indicators,
        domain_weights=domain_weights,
        missing=missing,
        parent_of=parent_of,
        parent_values=parent_values,
        heavy_share=heavy_share,
        parent_level=parent_level,
    )
    y = _normalise(prep, prep.x, normalisation, top_share)
    terms, shifts = _terms(y, aggregation, geometric_floor)
    score, contrib = K.aggregate(terms, prep.avail, prep.weights, aggregation)
    rank = K.rank_descending(score)
    scores = pd.DataFrame(
        {
            "score": score,
            "rank": rank.astype(np.int64),
            "indicators_used": prep.avail.sum(axis=1).astype(np.int64),
            "indicators_imputed": prep.imputed_count,
        },
        index=pd.Index(prep.codes, name="area_code"),
    )
    order = np.lexsort((prep.codes.to_numpy(dtype=str), rank))
    scores = scores.iloc[order]
    contributions = pd.DataFrame(
        contrib, index=pd.Index(prep.codes, name="area_code"), columns=prep.ids
    ).loc[scores.index]
    normalised = pd.DataFrame(y, index=pd.Index(prep.codes, name="area_code"), columns=prep.ids)
    imp = prep.imputed.groupby("area_code")["indicator_id"].agg(", ".join)
    partial_rows = []
    for r, code in enumerate(prep.codes):
        missing_ids = [prep.ids[j] for j in np.flatnonzero(~prep.avail[r])]
        imputed_ids = imp.get(code, "")
        if missing_ids or imputed_ids:
            partial_rows.append((code, imputed_ids, ", ".join(missing_ids)))
    partial = pd.DataFrame(
        partial_rows, columns=["area_code", "imputed_from_parent", "missing_reweighted"]
    )
    return NeedIndexResult(
        scores=scores,
        contributions=contributions,
        normalised=normalised.loc[scores.index],
        weights=pd.Series(prep.weights, index=prep.ids, name="weight"),
        excluded=prep.excluded,
        imputed=prep.imputed,
        partial=partial,
        method=_method_text(normalisation, aggregation, missing, top_share),
        reference=REFERENCE,
        params={
            "normalisation": normalisation,
            "aggregation": aggregation,
            "missing": missing,
            "top_share": top_share,
            "geometric_floor": geometric_floor,
            "geometric_shifts": dict(zip(prep.ids, shifts.tolist(), strict=True)),
            "domain_weights": dict(domain_weights) if domain_weights else None,
            "heavy_share": heavy_share,
            "parent_level": list(parent_level),
            "heavy_indicators": heavy_indicators(
                indicators, pd.Series(prep.weights, index=prep.ids), heavy_share
            )
            if missing == "auto"
            else [],
            "polarities": {s.indicator_id: s.polarity for s in indicators},
            "domains": {s.indicator_id: s.domain for s in indicators},
            "n_areas": len(prep.codes),
        },
    )


def rank_uncertainty(
    values: pd.DataFrame,
    indicators: Sequence[IndicatorSpec],
    *,
    normalisation: Normalisation = "zscore",
    aggregation: Aggregation = "additive",
    domain_weights: Mapping[str, float] | None = None,
    missing: MissingPolicy = "error",
    parent_of: pd.Series | None = None,
    parent_values: pd.DataFrame | None = None,
    top_share: float = 0.15,
    geometric_floor: float = 1.0,
    heavy_share: float = HEAVY_SHARE,
    parent_level: Sequence[str] = (),
    n_draws: int = 1000,
    perturbation: Perturbation = "uniform",
    spread: float = 0.25,
    concentration: float | None = 50.0,
    standard_errors: pd.DataFrame | None = None,
    top_n: int = 20,
    interval: float = 0.9,
    seed: int = 0,
    chunk: int = 250,
) -> RankUncertaintyResult:
    """Rank intervals and P(top N) by Monte Carlo perturbation of weights and values.

    Each draw (Handbook, Part 2 "Uncertainty and sensitivity analysis"):

    1. perturbs the effective indicator weights:

       - ``"uniform"`` (default): each weight is multiplied by an independent
         ``U(1 - spread, 1 + spread)`` factor (default ±25 %), then all are re-normalised to
         sum to 1;
       - ``"dirichlet"``: weights are drawn from ``Dirichlet(concentration · w)``, whose mean
         is ``w`` and whose spread shrinks as ``concentration`` grows (variance of weight i is
         ``w_i (1 - w_i) / (concentration + 1)``); zero weights stay zero;
       - ``"none"``: weights are not perturbed;

    2. if ``standard_errors`` is given, redraws each indicator value that has a standard error
       as ``x + se · N(0, 1)`` (parametric bootstrap of sampling error, e.g. the Poisson error
       of a crime rate, ``sqrt(count) / population · 1000``), then re-normalises;
    3. recomputes every area's score and rank.

    With ``spread=0`` (or ``perturbation="none"``) and no standard errors every draw equals
    the point estimate, so each interval is degenerate at the point rank.

    Parameters
    ----------
    values, indicators, normalisation, aggregation, domain_weights, missing, parent_of,
    parent_values, top_share, geometric_floor, heavy_share, parent_level
        As for :func:`need_index`.
    n_draws : int, default 1000
        Monte Carlo draws.
    perturbation : {"uniform", "dirichlet", "none"}
    spread : float, default 0.25
        Half-width of the uniform multiplicative perturbation, in [0, 1).
    concentration : float, optional
        Dirichlet concentration (default 50); ``None`` or ``inf`` means no perturbation.
    standard_errors : DataFrame, optional
        Wide frame (``area_code`` × indicator id) of standard errors ≥ 0, in the units of the
        values, for the indicators that have sampling error. Areas or indicators absent are
        treated as exact. A NaN standard error where the value exists is refused.
    top_n : int, default 20
    interval : float, default 0.9
        Coverage of the rank interval (0.9 → 5th and 95th percentiles).
    seed : int, default 0
        Seed of ``numpy.random.default_rng``; the same seed gives the same result.
    chunk : int, default 250
        Draws processed at once (memory: ``chunk × n_areas`` floats).

    Returns
    -------
    RankUncertaintyResult
    """
    _check_common(normalisation, aggregation, top_share, geometric_floor)
    _choice(perturbation, ("uniform", "dirichlet", "none"), "perturbation")
    if not (isinstance(n_draws, int) and n_draws >= 1):
        raise InputError(f"n_draws must be a positive integer (got {n_draws!r})")
    if not 0 <= spread < 1:
        raise InputError(f"spread must be in [0, 1) (got {spread!r})")
    if concentration is not None and not concentration > 0:
        raise InputError(f"concentration must be > 0 (got {concentration!r})")
    if not 0 < interval < 1:
        raise InputError(f"interval must be between 0 and 1 (got {interval!r})")
    if not (isinstance(top_n, int) and top_n >= 1):
        raise InputError(f"top_n must be a positive integer (got {top_n!r})")
    point = need_index(
        values,
        indicators,
        normalisation=normalisation,
        aggregation=aggregation,
        domain_weights=domain_weights,
        missing=missing,
        parent_of=parent_of,
        parent_values=parent_values,
        top_share=top_share,
        geometric_floor=geometric_floor,
        heavy_share=heavy_share,
        parent_level=parent_level,
    )
    prep = _prepare(
        values,
        indicators,
        domain_weights=domain_weights,
        missing=missing,
        parent_of=parent_of,
        parent_values=parent_values,
        heavy_share=heavy_share,
        parent_level=parent_level,
    )
    rng = np.random.default_rng(seed)
    weights = K.weight_draws(prep.weights, n_draws, rng, perturbation, spread, concentration)
    se = _standard_errors(standard_errors, prep) if standard_errors is not None else None
    n = len(prep.codes)
    ranks = np.empty((n_draws, n), dtype=np.int32)
    if se is None:
        y = _normalise(prep, prep.x, normalisation, top_share)
        terms, _ = _terms(y, aggregation, geometric_floor)
        if aggregation == "geometric":
            terms = np.log(np.where(prep.avail, terms, 1.0))
        ranks[:] = K.draw_ranks(terms, prep.avail, weights, chunk=chunk)
    else:
        noisy = np.flatnonzero((se > 0).any(axis=0))
        sign = np.array([-1.0 if s.polarity == "higher_is_better" else 1.0 for s in indicators])
        y_fixed = _normalise(prep, prep.x, normalisation, top_share)
        sub = _Prepared(
            codes=prep.codes,
            ids=[prep.ids[j] for j in noisy],
            x=prep.x[:, noisy],
            avail=prep.avail[:, noisy],
            weights=prep.weights[noisy],
            excluded=prep.excluded,
            imputed=prep.imputed,
            imputed_count=prep.imputed_count,
        )
        noise_scale = sign[noisy] * se[:, noisy]
        for d in range(n_draws):
            x = sub.x + noise_scale * rng.standard_normal((n, noisy.size))
            y = y_fixed.copy()
            y[:, noisy] = _normalise(sub, x, normalisation, top_share)
            terms, _ = _terms(y, aggregation, geometric_floor)
            if aggregation == "geometric":
                terms = np.log(np.where(prep.avail, terms, 1.0))
            ranks[d] = K.rank_descending(K.draw_scores(terms, prep.avail, weights[d : d + 1]))[0]
    summ = K.rank_summary(ranks, interval, top_n)
    alpha = (1 - interval) / 2
    table = pd.DataFrame(
        {
            "rank_low": summ["low"],
            "rank_high": summ["high"],
            "rank_median": summ["median"],
            "p_top_n": summ["p_top_n"],
        },
        index=pd.Index(prep.codes, name="area_code"),
    )
    table = point.scores[["rank"]].join(table)
    how = {
        "uniform": f"each weight multiplied by a uniform factor in ±{spread:.0%}",
        "dirichlet": f"weights drawn from a Dirichlet distribution (concentration {concentration})",
        "none": "weights fixed",
    }[perturbation]
    boot = "; values with a standard error redrawn as value + SE × N(0,1)" if se is not None else ""
    return RankUncertaintyResult(
        table=table,
        n_draws=n_draws,
        seed=seed,
        top_n=top_n,
        interval=interval,
        method=f"Monte Carlo, {n_draws} draws: {how}{boot}; ranks recomputed each draw; "
        f"interval = {alpha:.0%}–{1 - alpha:.0%} percentiles of the simulated ranks.",
        reference=REFERENCE + " Part 2, uncertainty and sensitivity analysis.",
        params={
            **point.params,
            "perturbation": perturbation,
            "spread": spread,
            "concentration": concentration,
            "bootstrap_indicators": []
            if se is None
            else [prep.ids[j] for j in np.flatnonzero((se > 0).any(axis=0))],
        },
    )


def _standard_errors(standard_errors: pd.DataFrame, prep: _Prepared) -> np.ndarray:
    """Standard errors aligned with ``prep`` (0 where none given); validated."""
    if standard_errors.index.has_duplicates:
        raise InputError("standard_errors has duplicate area rows")
    unknown = [c for c in standard_errors.columns if c not in prep.ids]
    if unknown:
        raise InputError(f"standard_errors has columns for unknown indicators: {unknown}")
    se_frame = _numeric_frame(standard_errors, list(standard_errors.columns), "standard_errors")
    out = np.zeros(prep.x.shape)
    for c in se_frame.columns:
        j = prep.ids.index(c)
        col = se_frame[c].reindex(prep.codes)
        arr = col.to_numpy(dtype=np.float64)
        present = prep.avail[:, j] & col.index.isin(se_frame.index)
        if np.isnan(arr[present]).any():
            r = np.flatnonzero(present & np.isnan(arr))[0]
            raise InputError(
                f"standard error of {c!r} is missing for area {prep.codes[r]!r}",
                hint="Give 0 for exact values; a missing error is not read as zero.",
            )
        if (arr[present] < 0).any():
            raise InputError(f"standard errors of {c!r} must be ≥ 0")
        out[:, j] = np.where(present, arr, 0.0)
    return out


def normalisation_sensitivity(
    values: pd.DataFrame,
    indicators: Sequence[IndicatorSpec],
    *,
    methods: Sequence[str] = NORMALISATIONS,
    baseline: str = "zscore",
    top_n: int = 20,
    **kwargs: Any,
) -> SensitivityResult:
    """Compare rankings across normalisation methods (Handbook: sensitivity analysis).

    For each method the index is recomputed with everything else fixed (``kwargs`` go to
    :func:`need_index`); each ranking is compared with the ``baseline`` method's by the
    Spearman rank correlation of scores (:func:`scipy.stats.spearmanr`), the overlap of the
    top-N lists and the absolute rank shifts.

    Returns
    -------
    SensitivityResult
    """
    for m in methods:
        _choice(m, NORMALISATIONS, "normalisation")
    if baseline not in methods:
        methods = [baseline, *methods]
    results = {m: need_index(values, indicators, normalisation=m, **kwargs) for m in methods}  # type: ignore[arg-type]
    common = results[baseline].scores.index
    for r in results.values():
        common = common.intersection(r.scores.index, sort=False)
    ranks = pd.DataFrame({m: r.scores["rank"].reindex(common) for m, r in results.items()})
    base = results[baseline]
    base_top = set(base.top(top_n)) & set(common)
    rows = []
    for m, r in results.items():
        s1 = base.scores["score"].reindex(common).to_numpy()
        s2 = r.scores["score"].reindex(common).to_numpy()
        rho = float(stats.spearmanr(s1, s2).statistic) if len(common) > 2 else np.nan
        top = set(r.top(top_n)) & set(common)
        shift = (ranks[m] - ranks[baseline]).abs()
        overlap = len(top & base_top)
        rows.append(
            {
                "method": m,
                "spearman_rho": rho,
                "top_n_overlap": overlap,
                "top_n_overlap_share": overlap / max(1, min(top_n, len(common))),
                "median_abs_rank_shift": float(shift.median()),
                "max_abs_rank_shift": int(shift.max()),
            }
        )
    return SensitivityResult(
        table=pd.DataFrame(rows),
        ranks=ranks,
        baseline=baseline,
        top_n=top_n,
        method="Index recomputed under each normalisation; Spearman correlation of scores "
        "and top-N overlap with the baseline.",
        reference=REFERENCE + " Part 2, uncertainty and sensitivity analysis.",
        params={
            "methods": list(methods),
            **{k: v for k, v in kwargs.items() if k not in ("parent_values", "parent_of")},
        },
    )

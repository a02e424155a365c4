"""Prioritising which funded interventions to evaluate: a weighted scoring frame.

The criteria are the London VRU's (report to the Home Office, March 2021; transcribed in
``shared/data/london_vru_2020_21/evaluation_prioritisation.csv``): the unit's needs for
**accountability**, **learning and decision-making**; the need to provide **evidence of what
works to stakeholders**; the **size of the intervention and funding amount**; how **innovative**
it is; and the **capacity**, within the intervention and the VRU, to carry out or commission an
evaluation. The report gives no weights or scales, so both are parameters, stated in every output.

Programme table (a DataFrame, one row per programme; the programme register of issue #15 feeds
it). Columns:

=====================  =====================================================================
``programme_id``       unique id (text), required
``name``               programme name (text), required
``<criterion id>``     score on the criterion's scale (default 1–5), for each scored criterion;
                       NaN = not scored (refused unless ``missing="reweight"``)
``funding_gbp``        award amount in pounds; used to score ``size_funding`` when that column
                       is absent, by the frame's funding bands
``participants``       people reached or expected (number), for the evaluability note
``data_available``     ``yes`` / ``partial`` / ``no``: outcome data for an impact evaluation
``comparison_possible`` ``yes`` / ``no`` / ``unknown``: a credible comparison group exists
``evidence_approach``  optional evidence-catalogue id (e.g. ``yef:mentoring``)
=====================  =====================================================================

Score (OECD/JRC 2008 Handbook, linear aggregation of rescaled criteria): each score is rescaled
on its **stated scale**, ``(x − min) / (max − min)`` (not relative to the other programmes, so a
score means the same whatever else is on the list), and the priority is the weighted mean × 100
(0–100). Ties share the best rank. Sensitivity of the ranking to the weights reuses the need
index's Monte Carlo machinery (:mod:`vrkit.analysis._composite`): each draw perturbs the weights
and re-ranks; the result gives every programme's rank interval and P(in the top N).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from vrkit.analysis import _composite as K
from vrkit.catalog.profiles import check_weight
from vrkit.errors import InputError

REFERENCE = (
    "London VRU (2021) report to the Home Office: criteria for prioritising interventions for "
    "evaluation; OECD/JRC (2008) Handbook on Constructing Composite Indicators (linear "
    "aggregation, Monte Carlo weight uncertainty); Bloom, H. S. (1995) Minimum detectable "
    "effects, Evaluation Review 19(5)."
)


@dataclass(frozen=True)
class Criterion:
    """One criterion of the frame: id (a column of the programme table), label, weight, scale."""

    criterion_id: str
    label: str
    weight: float = 1.0
    scale_min: float = 1.0
    scale_max: float = 5.0
    description: str = ""


#: (upper bound in £, score) bands for deriving ``size_funding`` from ``funding_gbp``;
#: the last band has no upper bound. A judgement, stated in the output; pass your own.
DEFAULT_FUNDING_BANDS: tuple[tuple[float, int], ...] = (
    (50_000, 1),
    (250_000, 2),
    (1_000_000, 3),
    (5_000_000, 4),
    (math.inf, 5),
)

VRU_CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "accountability",
        "Accountability",
        description="The unit's need to account for the money and results (1 = low, 5 = high).",
    ),
    Criterion(
        "learning",
        "Learning and decision-making needs",
        description="How much the VRU's next decisions depend on learning from it (1–5).",
    ),
    Criterion(
        "stakeholder_evidence",
        "Evidence stakeholders need",
        description="Need to provide evidence of 'what works' to key stakeholders (1–5).",
    ),
    Criterion(
        "size_funding",
        "Size and funding",
        description="Size of the intervention and funding amount (1–5; from funding bands if not scored).",
    ),
    Criterion(
        "innovation",
        "Innovation",
        description="How innovative the intervention is, i.e. how little is known (1–5).",
    ),
    Criterion(
        "capacity",
        "Capacity to evaluate",
        description="Capacity within the intervention and the VRU to carry out or commission an evaluation (1–5).",
    ),
)


@dataclass(frozen=True)
class PrioritisationResult:
    """Ranked programmes with reasons, weight sensitivity and evaluability notes.

    Attributes
    ----------
    table : DataFrame
        Sorted by rank: ``programme_id, name, priority_score`` (0–100), ``rank``, one
        ``score_<criterion>`` and ``contrib_<criterion>`` (points of the 0–100 score) per
        criterion, ``criteria_used``, ``reasons``, ``rank_low, rank_high, p_top_n``,
        ``evaluability`` (note), ``mde_sd`` (minimum detectable effect in SD units or NaN).
    criteria : DataFrame
        The frame as applied: ``criterion_id, label, weight`` (normalised), ``scale``,
        ``description``, ``derived_from``.
    method, reference : str
    warnings : list of str
    params : dict
    """

    table: pd.DataFrame
    criteria: pd.DataFrame
    method: str
    reference: str
    warnings: list[str]
    params: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The ranked table."""
        return self.table.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the frame (weights and scales) stated."""
        return {
            "criteria": self.criteria.to_dict("records"),
            "programmes": self.table.replace({np.nan: None}).to_dict("records"),
            "method": self.method,
            "reference": self.reference,
            "warnings": list(self.warnings),
            "params": self.params,
        }


def funding_score(
    amount: float, bands: Sequence[tuple[float, int]] = DEFAULT_FUNDING_BANDS
) -> float:
    """Score of a funding amount by ``bands`` ((upper bound, score), ascending); NaN if missing."""
    if amount is None or not np.isfinite(amount):
        return float("nan")
    if amount < 0:
        raise InputError(f"funding amount must be ≥ 0 (got {amount!r})")
    for upper, score in bands:
        if amount < upper:
            return float(score)
    return float(bands[-1][1])


def minimum_detectable_effect(
    n_treated: float, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Minimum detectable standardised effect for two equal groups of ``n_treated`` (Bloom 1995).

    ``MDES = (z_{1-α/2} + z_{power}) · sqrt(2 / n)`` for an individually assigned comparison of
    means with outcome variance 1; ≈ 2.8 · sqrt(2/n) at α = 5 % two-sided and 80 % power.
    """
    from scipy.stats import norm

    if not n_treated > 1:
        return float("nan")
    return float((norm.ppf(1 - alpha / 2) + norm.ppf(power)) * math.sqrt(2.0 / n_treated))


def _yes(v: object) -> str:
    s = (
        str(v).strip().lower()
        if v is not None and not (isinstance(v, float) and np.isnan(v))
        else ""
    )
    return {
        "y": "yes",
        "yes": "yes",
        "true": "yes",
        "partial": "partial",
        "n": "no",
        "no": "no",
        "false": "no",
    }.get(s, "unknown" if s in ("", "unknown", "nan") else s)


def evaluability_note(
    row: Mapping[str, Any], evidence_label: str | None = None
) -> tuple[str, float]:
    """Plain note on whether an impact evaluation is feasible (data, comparison group, size)."""
    data = _yes(row.get("data_available"))
    comp = _yes(row.get("comparison_possible"))
    n = row.get("participants")
    n = float(n) if n is not None and not (isinstance(n, float) and np.isnan(n)) else float("nan")
    mde = minimum_detectable_effect(n) if np.isfinite(n) else float("nan")
    parts = []
    parts.append(
        {
            "yes": "outcome data available",
            "partial": "outcome data partly available",
            "no": "no outcome data: an impact evaluation would need data collection first",
        }.get(data, "outcome data availability not recorded")
    )
    parts.append(
        {
            "yes": "a comparison group is possible",
            "no": "no credible comparison group: impact cannot be separated from trends (process or implementation evaluation instead)",
        }.get(comp, "comparison group not assessed")
    )
    if np.isfinite(mde):
        size = (
            "large enough to detect a small-to-moderate effect"
            if mde <= 0.2
            else "enough only for a moderate effect"
            if mde <= 0.4
            else "too small to detect any but a large effect"
        )
        parts.append(
            f"{int(n):,} participants: minimum detectable effect ≈ {mde:.2f} SD "
            f"(80 % power, 5 % two-sided, equal comparison group), {size}"
        )
    else:
        parts.append("number of participants not recorded")
    if evidence_label:
        parts.append(f"existing evidence: {evidence_label}")
    verdict = (
        "Impact evaluation feasible"
        if data == "yes" and comp == "yes" and np.isfinite(mde) and mde <= 0.4
        else "Impact evaluation doubtful"
        if data == "no" or comp == "no" or (np.isfinite(mde) and mde > 0.4)
        else "Feasibility unclear"
    )
    return f"{verdict}: " + "; ".join(parts) + ".", mde


def prioritise(
    programmes: pd.DataFrame,
    criteria: Sequence[Criterion] = VRU_CRITERIA,
    *,
    funding_bands: Sequence[tuple[float, int]] = DEFAULT_FUNDING_BANDS,
    missing: Literal["error", "reweight"] = "error",
    n_draws: int = 1000,
    spread: float = 0.25,
    perturbation: Literal["uniform", "dirichlet"] = "uniform",
    concentration: float | None = 50.0,
    top_n: int = 5,
    interval: float = 0.9,
    seed: int = 0,
    evidence: pd.DataFrame | None = None,
) -> PrioritisationResult:
    """Score, rank and explain programmes for evaluation (see the module docstring).

    Parameters
    ----------
    programmes : DataFrame
        The programme table (schema in the module docstring). Not modified.
    criteria : sequence of Criterion
        The frame: ids, labels, weights (≥ 0, normalised to sum 1) and scales.
    missing : {"error", "reweight"}
        ``error`` refuses a missing score naming programme and criterion; ``reweight`` scores a
        programme on its scored criteria with their weights re-normalised (the reason says so).
    n_draws, spread, perturbation, concentration, top_n, interval, seed
        Monte Carlo sensitivity of the ranking to the weights (``n_draws = 0`` skips it).
    evidence : DataFrame, optional
        Evidence catalogue (:func:`vrkit.catalog.approaches.builtin_approaches`) to name the
        existing evidence of each programme's ``evidence_approach``.
    """
    if not isinstance(programmes, pd.DataFrame) or programmes.empty:
        raise InputError("the programme table is empty")
    for col in ("programme_id", "name"):
        if col not in programmes.columns:
            raise InputError(f"the programme table has no {col!r} column")
    ids = programmes["programme_id"].astype(str)
    if ids.duplicated().any():
        raise InputError(f"programme {ids[ids.duplicated()].iloc[0]!r} is listed twice")
    if not criteria:
        raise InputError("the scoring frame has no criteria")
    seen: set[str] = set()
    for c in criteria:
        if c.criterion_id in seen:
            raise InputError(f"criterion {c.criterion_id!r} is listed twice")
        seen.add(c.criterion_id)
        check_weight(c.weight, f"weight of criterion {c.criterion_id!r}")
        if not c.scale_max > c.scale_min:
            raise InputError(f"scale of {c.criterion_id!r}: max must exceed min")
    w = np.array([c.weight for c in criteria], dtype=float)
    if w.sum() <= 0:
        raise InputError("criterion weights are all zero")
    w = w / w.sum()
    if missing not in ("error", "reweight"):
        raise InputError(f"unknown missing-score policy {missing!r}; use error or reweight")

    n = len(programmes)
    raw = np.full((n, len(criteria)), np.nan)
    derived: dict[str, str] = {}
    for j, c in enumerate(criteria):
        if c.criterion_id in programmes.columns:
            col = pd.to_numeric(programmes[c.criterion_id], errors="coerce")
            bad = col.isna() & programmes[c.criterion_id].notna()
            if bad.any():
                r = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(
                    f"score of {c.criterion_id!r} for programme {ids.iloc[r]!r} is not a number "
                    f"({programmes[c.criterion_id].iloc[r]!r})"
                )
            raw[:, j] = col.to_numpy(dtype=float)
        elif c.criterion_id == "size_funding" and "funding_gbp" in programmes.columns:
            amounts = pd.to_numeric(programmes["funding_gbp"], errors="coerce").to_numpy(
                dtype=float
            )
            raw[:, j] = [funding_score(a, funding_bands) for a in amounts]
            derived[c.criterion_id] = "funding_gbp by bands " + ", ".join(
                f"< £{u:,.0f} → {s}" if np.isfinite(u) else f"otherwise {s}"
                for u, s in funding_bands
            )
        else:
            raise InputError(
                f"the programme table has no column for criterion {c.criterion_id!r}",
                hint="Add a score column (or funding_gbp for size_funding), or drop the criterion.",
            )
        v = raw[:, j]
        out = ~np.isnan(v) & ((v < c.scale_min) | (v > c.scale_max))
        if out.any():
            r = int(np.flatnonzero(out)[0])
            raise InputError(
                f"score {v[r]:g} of {c.criterion_id!r} for programme {ids.iloc[r]!r} is outside "
                f"the scale {c.scale_min:g}–{c.scale_max:g}"
            )
    avail = ~np.isnan(raw)
    if missing == "error" and not avail.all():
        r, j = np.argwhere(~avail)[0]
        raise InputError(
            f"programme {ids.iloc[r]!r} has no score for {criteria[j].criterion_id!r}",
            hint="Score it, or use missing='reweight' to score on the criteria given (stated).",
        )
    none = ~avail.any(axis=1)
    if none.any():
        raise InputError(
            f"programme {ids.iloc[int(np.flatnonzero(none)[0])]!r} has no scores at all"
        )
    lo = np.array([c.scale_min for c in criteria])
    hi = np.array([c.scale_max for c in criteria])
    y = (raw - lo) / (hi - lo)
    score, contrib = K.aggregate(y, avail, w, "additive")
    rank = K.rank_descending(score)
    warnings: list[str] = []
    if n_draws and n > 1:
        rng = np.random.default_rng(seed)
        wd = K.weight_draws(w, n_draws, rng, perturbation, spread, concentration)
        ranks = K.draw_ranks(np.where(avail, y, 0.0), avail, wd)
        summ = K.rank_summary(ranks, interval, top_n)
    else:
        summ = {
            "low": rank.astype(np.int64),
            "high": rank.astype(np.int64),
            "median": rank.astype(np.int64),
            "p_top_n": (rank <= top_n).astype(float),
        }
    ev_labels: dict[str, str] = {}
    if evidence is not None and "evidence_approach" in programmes.columns:
        cat = evidence.set_index("approach_id")
        for a in programmes["evidence_approach"].dropna().astype(str).unique():
            if a not in cat.index:
                warnings.append(f"evidence approach {a!r} is not in the evidence catalogue")
                continue
            e = cat.loc[a]
            band = e["impact_band"] or "not rated"
            pct = "" if pd.isna(e["impact_pct"]) else f", {e['impact_pct']:g} % less violence"
            ev_labels[a] = f"{e['name']} ({e['toolkit'].upper()}): {band}{pct}"
    rows = []
    for i in range(n):
        rec = programmes.iloc[i]
        reasons = _reasons(criteria, raw[i], avail[i], contrib[i] * 100, derived)
        approach = rec.get("evidence_approach")
        note, mde = evaluability_note(
            rec.to_dict(), ev_labels.get(str(approach)) if isinstance(approach, str) else None
        )
        row: dict[str, Any] = {
            "programme_id": ids.iloc[i],
            "name": rec["name"],
            "priority_score": 100 * score[i],
            "rank": int(rank[i]),
        }
        for j, c in enumerate(criteria):
            row[f"score_{c.criterion_id}"] = raw[i, j]
        for j, c in enumerate(criteria):
            row[f"contrib_{c.criterion_id}"] = 100 * contrib[i, j]
        row.update(
            {
                "criteria_used": int(avail[i].sum()),
                "reasons": reasons,
                "rank_low": int(summ["low"][i]),
                "rank_high": int(summ["high"][i]),
                "p_top_n": float(summ["p_top_n"][i]),
                "evaluability": note,
                "mde_sd": mde,
            }
        )
        rows.append(row)
    table = pd.DataFrame(rows).sort_values(["rank", "programme_id"]).reset_index(drop=True)
    crit = pd.DataFrame(
        [
            {
                "criterion_id": c.criterion_id,
                "label": c.label,
                "weight": float(w[j]),
                "scale": f"{c.scale_min:g}–{c.scale_max:g}",
                "description": c.description,
                "derived_from": derived.get(c.criterion_id, "score column"),
            }
            for j, c in enumerate(criteria)
        ]
    )
    if missing == "reweight" and not avail.all():
        k = int((~avail.all(axis=1)).sum())
        warnings.append(
            f"{k} programme(s) scored on fewer criteria than the frame, weights re-normalised "
            "over the criteria scored (see criteria_used)."
        )
    if not n_draws:
        sens_txt = "not run."
    elif perturbation == "uniform":
        sens_txt = (
            f"{n_draws} Monte Carlo draws, each weight × U(1 ± {spread:.0%}) then re-normalised "
            f"(seed {seed}); rank interval {interval:.0%}; P(top {top_n})."
        )
    else:
        sens_txt = f"{n_draws} Dirichlet draws (concentration {concentration}, seed {seed})."
    weights_txt = ", ".join(f"{c.label} {w[j]:.0%}" for j, c in enumerate(criteria))
    return PrioritisationResult(
        table=table,
        criteria=crit,
        method=(
            "Each criterion rescaled on its stated scale to 0–1 and combined as a weighted mean "
            f"(× 100). Weights: {weights_txt}. Ties share the best rank. Weight sensitivity: "
            + sens_txt
        ),
        reference=REFERENCE,
        warnings=warnings,
        params={
            "weights": {c.criterion_id: float(w[j]) for j, c in enumerate(criteria)},
            "scales": {c.criterion_id: [c.scale_min, c.scale_max] for c in criteria},
            "funding_bands": [[u if np.isfinite(u) else None, s] for u, s in funding_bands],
            "missing": missing,
            "n_draws": n_draws,
            "spread": spread,
            "perturbation": perturbation,
            "seed": seed,
            "top_n": top_n,
            "interval": interval,
        },
    )


def _reasons(
    criteria: Sequence[Criterion],
    raw: np.ndarray,
    avail: np.ndarray,
    points: np.ndarray,
    derived: Mapping[str, str],
) -> str:
    """'High on X (5/5), Y (4/5); low on Z (1/5)' with the points each adds."""
    order = np.argsort(-points)
    hi, lo = [], []
    for j in order:
        c = criteria[j]
        if not avail[j]:
            continue
        mid = (c.scale_min + c.scale_max) / 2
        txt = f"{c.label} ({raw[j]:g}/{c.scale_max:g}, +{points[j]:.1f} pts)"
        if raw[j] > mid:
            hi.append(txt)
        elif raw[j] < mid:
            lo.append(txt)
    parts = []
    if hi:
        parts.append("high on " + ", ".join(hi))
    if lo:
        parts.append("low on " + ", ".join(lo))
    missing = [criteria[j].label for j in range(len(criteria)) if not avail[j]]
    if missing:
        parts.append("not scored: " + ", ".join(missing))
    text = "; ".join(parts) or "middling on every criterion"
    return text[:1].upper() + text[1:]

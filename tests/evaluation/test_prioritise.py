"""Prioritising evaluation: hand-computed scores, stated weights and scales, reasons,
evaluability notes, and weight sensitivity through the need index's Monte Carlo kernels."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vrkit.analysis import _composite as K
from vrkit.analysis.prioritise import (
    VRU_CRITERIA,
    Criterion,
    funding_score,
    minimum_detectable_effect,
    prioritise,
)
from vrkit.catalog.approaches import builtin_approaches
from vrkit.errors import InputError


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "programme_id": ["a", "b", "c"],
            "name": ["A", "B", "C"],
            "accountability": [5, 3, 1],
            "learning": [4, 2, 3],
            "stakeholder_evidence": [5, 3, 2],
            "funding_gbp": [6_600_000, 200_000, 40_000],
            "innovation": [2, 5, 3],
            "capacity": [3, 4, 1],
            "participants": [1169, 200, 40],
            "data_available": ["yes", "partial", "no"],
            "comparison_possible": ["yes", "unknown", "no"],
            "evidence_approach": ["yef:mentoring", None, None],
        }
    )


def test_scores_equal_a_hand_computation() -> None:
    t = _table()
    r = prioritise(t, n_draws=0)
    # a: (5,4,5,5[£6.6m],2,3) on 1–5 → ((4+3+4+4+1+2)/4)/6 × 100
    want_a = 100 * (4 + 3 + 4 + 4 + 1 + 2) / 4 / 6
    got = r.table.set_index("programme_id")["priority_score"]
    assert got["a"] == pytest.approx(want_a)
    assert r.table["programme_id"].tolist() == ["a", "b", "c"]
    assert r.table["rank"].tolist() == [1, 2, 3]
    # contributions add up to the score
    contrib = r.table.filter(like="contrib_").sum(axis=1)
    assert np.allclose(contrib, r.table["priority_score"])
    assert t.equals(_table())  # input not mutated


def test_weights_and_scales_are_stated() -> None:
    crit = [
        Criterion(c.criterion_id, c.label, weight=(3 if c.criterion_id == "capacity" else 1))
        for c in VRU_CRITERIA
    ]
    r = prioritise(_table(), crit, n_draws=0)
    w = r.criteria.set_index("criterion_id")["weight"]
    assert w["capacity"] == pytest.approx(3 / 8) and w.sum() == pytest.approx(1)
    assert "Capacity to evaluate 38%" in r.method
    assert r.params["scales"]["accountability"] == [1.0, 5.0]
    assert (
        "funding_gbp by bands"
        in r.criteria.set_index("criterion_id").loc["size_funding", "derived_from"]
    )


def test_reasons_and_evaluability_notes() -> None:
    r = prioritise(_table(), evidence=builtin_approaches(), n_draws=0).table.set_index(
        "programme_id"
    )
    assert r.loc["a", "reasons"].startswith("High on Accountability (5/5")
    assert "Impact evaluation feasible" in r.loc["a", "evaluability"]
    assert "Mentoring (YEF): moderate, 21 % less violence" in r.loc["a", "evaluability"]
    assert r.loc["c", "evaluability"].startswith("Impact evaluation doubtful")
    assert r.loc["a", "mde_sd"] == pytest.approx(minimum_detectable_effect(1169))


def test_minimum_detectable_effect_known_value() -> None:
    # (1.959964 + 0.841621) × sqrt(2/100) = 0.3962
    assert minimum_detectable_effect(100) == pytest.approx(2.801585 * math.sqrt(0.02), rel=1e-5)
    assert math.isnan(minimum_detectable_effect(1))


def test_funding_bands_on_real_award_amounts(data_dir: Path) -> None:
    progs = pd.read_csv(data_dir / "london_vru_2020_21/programmes.csv")
    amounts = progs.set_index("programme")["amount_gbp"]
    assert funding_score(float(amounts["MyEnds"])) == 5  # £6.6m
    assert funding_score(49_999) == 1 and funding_score(50_000) == 2
    assert math.isnan(funding_score(float("nan")))


def test_missing_scores_refused_or_reweighted_openly() -> None:
    t = _table()
    t.loc[1, "innovation"] = np.nan
    with pytest.raises(InputError, match="programme 'b' has no score for 'innovation'"):
        prioritise(t, n_draws=0)
    r = prioritise(t, missing="reweight", n_draws=0)
    row = r.table.set_index("programme_id").loc["b"]
    assert row["criteria_used"] == 5 and "not scored: Innovation" in row["reasons"]
    assert any("re-normalised" in w for w in r.warnings)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda t: t.assign(capacity=[3, 9, 1]), "outside the scale"),
        (lambda t: t.assign(capacity=["x", 2, 1]), "not a number"),
        (lambda t: t.drop(columns="learning"), "no column for criterion 'learning'"),
        (lambda t: pd.concat([t, t.iloc[:1]]), "listed twice"),
    ],
)
def test_bad_tables_are_refused(edit, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=match):
        prioritise(edit(_table()), n_draws=0)


def test_weight_sensitivity_uses_the_shared_monte_carlo_kernels() -> None:
    t = _table()
    r = prioritise(t, n_draws=500, seed=3, top_n=1)
    # a dominates on most criteria: it stays first under ±25 % weight perturbation
    a = r.table.set_index("programme_id").loc["a"]
    assert a["rank_low"] == a["rank_high"] == 1 and a["p_top_n"] == 1.0
    # same draws as calling the kernels directly (one implementation, not two)
    rng = np.random.default_rng(3)
    w = np.full(6, 1 / 6)
    draws = K.weight_draws(w, 500, rng, "uniform", 0.25, 50.0)
    assert draws.shape == (500, 6) and np.allclose(draws.sum(axis=1), 1)
    # spread 0: every draw is the point ranking
    r0 = prioritise(t, n_draws=50, spread=0.0)
    assert (r0.table["rank_low"] == r0.table["rank"]).all()
    assert (r0.table["rank_high"] == r0.table["rank"]).all()


def test_close_programmes_get_wide_rank_intervals() -> None:
    t = _table()
    t.loc[1, ["accountability", "learning", "stakeholder_evidence", "innovation", "capacity"]] = [
        5,
        4,
        5,
        1,
        4,
    ]
    t.loc[1, "funding_gbp"] = 6_000_000
    r = prioritise(t, n_draws=1000, seed=1, top_n=1)
    ab = r.table.set_index("programme_id").loc[["a", "b"]]
    assert (ab["rank_high"] - ab["rank_low"]).max() >= 1
    assert 0 < ab["p_top_n"].min() < 1


def test_task_reads_csv_and_applies_weights(tmp_path: Path) -> None:
    from vrkit.tasks.prioritise import prioritise_programmes

    p = tmp_path / "programmes.csv"
    _table().to_csv(p, index=False)
    r = prioritise_programmes(p, weights={"capacity": 0}, n_draws=0)
    assert r.criteria.set_index("criterion_id").loc["capacity", "weight"] == 0
    assert r.table["programme_id"].tolist()[0] == "a"
    with pytest.raises(InputError, match="unknown criterion 'cost'"):
        prioritise_programmes(p, weights={"cost": 1})

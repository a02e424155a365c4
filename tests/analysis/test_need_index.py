"""Need index: hand-computed normalisations and aggregations, policies, uncertainty, profiles."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from vrkit.analysis import _composite as K
from vrkit.analysis.harmonise import aggregate_up, aggregation_kind
from vrkit.analysis.need_index import (
    IndicatorSpec,
    effective_weights,
    need_index,
    normalisation_sensitivity,
    rank_uncertainty,
)
from vrkit.catalog.profiles import load_profile, parse_profile, profile_names
from vrkit.errors import InputError

R5 = math.sqrt(5)


@pytest.fixture
def four() -> pd.DataFrame:
    """x = 2, 4, 6, 8 and y = 10, 30, 20, 40 for areas A-D (hand-computed below)."""
    return pd.DataFrame({"x": [2.0, 4, 6, 8], "y": [10.0, 30, 20, 40]}, index=list("ABCD"))


W31 = [IndicatorSpec("x", 3), IndicatorSpec("y", 1)]


def scores(res) -> list[float]:
    return res.scores["score"].reindex(list("ABCD")).tolist()


# ---------------------------------------------------------------------------------------------
# CHECK OUTPUTS: hand-computed normalisations and aggregations


def test_zscore_additive_hand_computed(four):
    # z_x = (-3, -1, 1, 3)/√5, z_y = (-3, 1, -1, 3)/√5 (population sd); weights 3/4, 1/4
    res = need_index(four, W31, normalisation="zscore")
    assert scores(res) == pytest.approx([-3 / R5, -0.5 / R5, 0.5 / R5, 3 / R5])
    assert res.normalised.loc["B", "y"] == pytest.approx(1 / R5)
    assert res.scores["rank"].reindex(list("ABCD")).tolist() == [4, 3, 2, 1]


def test_equal_weights_give_tied_ranks(four):
    res = need_index(four, [IndicatorSpec("x"), IndicatorSpec("y")])
    assert scores(res) == pytest.approx([-3 / R5, 0, 0, 3 / R5])
    assert res.scores["rank"].reindex(list("ABCD")).tolist() == [4, 2, 2, 1]


def test_minmax_additive_hand_computed(four):
    # x → 0, 1/3, 2/3, 1; y → 0, 2/3, 1/3, 1
    res = need_index(four, W31, normalisation="minmax")
    assert scores(res) == pytest.approx([0, 5 / 12, 7 / 12, 1])


def test_percentile_additive_hand_computed(four):
    # mid-rank percentiles (r - 0.5)/n: x → .125 .375 .625 .875; y → .125 .625 .375 .875
    res = need_index(four, W31, normalisation="percentile")
    assert scores(res) == pytest.approx([0.125, 0.4375, 0.5625, 0.875])


def test_percentile_ties_get_average_rank():
    v = pd.DataFrame({"x": [1.0, 2, 2, 3]}, index=list("ABCD"))
    res = need_index(v, [IndicatorSpec("x")], normalisation="percentile")
    assert res.normalised["x"].reindex(list("ABCD")).tolist() == pytest.approx(
        [0.125, 0.5, 0.5, 0.875]
    )


def test_top_share_points_hand_computed(four):
    # top 50 % of 4 → k = 2: x gives C, D a point; y gives B, D a point; weights 3/4, 1/4
    res = need_index(four, W31, normalisation="top_share", top_share=0.5)
    assert scores(res) == pytest.approx([0, 0.25, 0.75, 1])


def test_geometric_minmax_hand_computed(four):
    # shift so min = 1: x' = 1, 4/3, 5/3, 2; y' = 1, 5/3, 4/3, 2
    res = need_index(four, W31, normalisation="minmax", aggregation="geometric")
    expect = [1, (4 / 3) ** 0.75 * (5 / 3) ** 0.25, (5 / 3) ** 0.75 * (4 / 3) ** 0.25, 2]
    assert scores(res) == pytest.approx(expect)
    assert res.params["geometric_shifts"] == pytest.approx({"x": 1.0, "y": 1.0})


def test_geometric_zscore_hand_computed(four):
    # z' = z - min z + 1: x' = 1, 1 + 2/√5, 1 + 4/√5, 1 + 6/√5; y' = 1, 1 + 4/√5, 1 + 2/√5, …
    res = need_index(four, [IndicatorSpec("x"), IndicatorSpec("y")], aggregation="geometric")
    b = math.sqrt((1 + 2 / R5) * (1 + 4 / R5))
    assert scores(res) == pytest.approx([1, b, b, 1 + 6 / R5])


def test_geometric_floor_is_a_parameter(four):
    res = need_index(
        four, W31, normalisation="minmax", aggregation="geometric", geometric_floor=0.5
    )
    assert res.scores["score"].min() == pytest.approx(0.5)
    assert res.params["geometric_floor"] == 0.5


def test_contributions_sum_to_score(four):
    add = need_index(four, W31)
    assert add.contributions.sum(axis=1).to_numpy() == pytest.approx(add.scores["score"].to_numpy())
    geo = need_index(four, W31, normalisation="minmax", aggregation="geometric")
    assert np.exp(geo.contributions.sum(axis=1)).to_numpy() == pytest.approx(
        geo.scores["score"].to_numpy()
    )
    frame = add.to_frame()
    assert list(frame.columns) == ["area_code", "score", "rank", "contrib_x", "contrib_y"]


def test_domain_weights_hand_computed():
    specs = [
        IndicatorSpec("a", 1, domain="d1"),
        IndicatorSpec("b", 3, domain="d1"),
        IndicatorSpec("c", 1, domain="d2"),
    ]
    w = effective_weights(specs, {"d1": 1, "d2": 3})
    assert w.tolist() == pytest.approx([0.0625, 0.1875, 0.75])
    assert effective_weights(specs).tolist() == pytest.approx([0.125, 0.375, 0.5])


def test_top15_ward_example_hand_computed():
    """London VRU Area Prioritisation Tool scheme on 20 wards: points for the top 15 % (k = 3).

    vap (weight 2): W18, W19, W20 highest. obesity (1): W01, W02, W03 highest.
    absence (1): W18 9, W06 8, W10 and W11 tied at 7 (rank 3, both in), others 0.
    Weighted points / 4: W18 = (2 + 1)/4; W19, W20 = 2/4; W01-W03, W06, W10, W11 = 1/4.
    """
    wards = [f"W{i:02d}" for i in range(1, 21)]
    absence = dict.fromkeys(wards, 0.0) | {"W18": 9.0, "W06": 8.0, "W10": 7.0, "W11": 7.0}
    v = pd.DataFrame(
        {"vap": np.arange(1.0, 21), "obesity": np.arange(20.0, 0, -1), "absence": absence},
        index=wards,
    )
    assert K.top_k(20, 0.15) == 3  # 0.15 * 20 = 3.0000000000000004 in floating point
    specs = [IndicatorSpec("vap", 2), IndicatorSpec("obesity", 1), IndicatorSpec("absence", 1)]
    res = need_index(v, specs, normalisation="top_share", top_share=0.15)
    s = res.scores["score"]
    assert s["W18"] == 0.75
    assert s[["W19", "W20"]].tolist() == [0.5, 0.5]
    assert s[["W01", "W02", "W03", "W06", "W10", "W11"]].tolist() == [0.25] * 6
    assert (s.drop(["W18", "W19", "W20", "W01", "W02", "W03", "W06", "W10", "W11"]) == 0).all()
    r = res.scores["rank"]
    assert r["W18"] == 1 and r["W19"] == r["W20"] == 2 and r["W10"] == 4 and r["W04"] == 10


def test_polarity_reversal_flips_ranks():
    rng = np.random.default_rng(3)
    v = pd.DataFrame(
        rng.normal(size=(30, 3)), columns=list("abc"), index=[f"E05{i:06d}" for i in range(30)]
    )
    worse = [IndicatorSpec(c, w) for c, w in zip("abc", (1, 2, 3), strict=True)]
    better = [
        IndicatorSpec(c, w, "higher_is_better") for c, w in zip("abc", (1, 2, 3), strict=True)
    ]
    for method in ("zscore", "minmax", "percentile"):
        r1 = need_index(v, worse, normalisation=method).scores["rank"]
        r2 = need_index(v, better, normalisation=method).scores["rank"].reindex(r1.index)
        assert (r1 + r2 == 31).all(), method


def test_one_indicator_profile_ranks_exactly_by_that_indicator():
    rng = np.random.default_rng(5)
    v = pd.DataFrame(
        {"wp_vap_rate_2014_15": rng.gamma(2, 10, size=50)}, index=[f"E05{i:06d}" for i in range(50)]
    )
    profile = parse_profile(
        {
            "name": "one",
            "version": 1,
            "description": "d",
            "rationale": "r",
            "sources": ["s"],
            "indicator": [{"id": "wp_vap_rate_2014_15", "weight": 2}],
        },
        known={"wp_vap_rate_2014_15": "higher_is_worse"},
        origin="test",
    )
    expect = rankdata(-v["wp_vap_rate_2014_15"], method="min")
    for method in ("zscore", "minmax", "percentile"):
        for agg in ("additive", "geometric"):
            res = need_index(v, profile.indicators, normalisation=method, aggregation=agg)
            got = res.scores["rank"].reindex(v.index).to_numpy()
            assert (got == expect).all(), (method, agg)


# ---------------------------------------------------------------------------------------------
# Missing data


@pytest.fixture
def holes() -> pd.DataFrame:
    return pd.DataFrame({"x": [1.0, 2, np.nan, 4], "y": [4.0, 3, 2, np.nan]}, index=list("ABCD"))


def test_missing_error_is_the_default(holes):
    with pytest.raises(InputError, match="'x' is missing for area 'C'"):
        need_index(holes, [IndicatorSpec("x"), IndicatorSpec("y")])


def test_missing_exclude(holes):
    res = need_index(
        holes, [IndicatorSpec("x"), IndicatorSpec("y")], normalisation="minmax", missing="exclude"
    )
    assert sorted(res.scores.index) == ["A", "B"]
    assert res.excluded.set_index("area_code")["reason"].to_dict() == {
        "C": "missing x",
        "D": "missing y",
    }


def test_missing_reweight_hand_computed(holes):
    # minmax over available: x (1, 2, -, 4) → 0, 1/3, -, 1; y (4, 3, 2, -) → 1, 1/2, 0, -
    # weights 3:1; C has only y (weight → 1), D only x (weight → 1)
    res = need_index(holes, W31, normalisation="minmax", missing="reweight")
    assert scores(res) == pytest.approx([0.25, 0.375, 0.0, 1.0])
    assert res.scores.loc["C", "indicators_used"] == 1
    assert res.contributions.loc["C", "x"] == 0.0


def test_missing_impute_parent_hand_computed(holes):
    parent_of = pd.Series({"A": "P", "B": "P", "C": "Q", "D": "Q"})
    parent_values = pd.DataFrame({"x": [1.5, 3.0], "y": [3.5, 1.0]}, index=["P", "Q"])
    res = need_index(
        holes,
        W31,
        normalisation="minmax",
        missing="impute_parent",
        parent_of=parent_of,
        parent_values=parent_values,
    )
    # x = 1, 2, 3, 4 → 0, 1/3, 2/3, 1; y = 4, 3, 2, 1 → 1, 2/3, 1/3, 0
    assert scores(res) == pytest.approx([0.25, 5 / 12, 7 / 12, 0.75])
    assert res.imputed[["area_code", "indicator_id", "parent_code", "value"]].values.tolist() == [
        ["C", "x", "Q", 3.0],
        ["D", "y", "Q", 1.0],
    ]
    with pytest.raises(InputError, match="cannot impute indicator 'y' for area 'D'"):
        need_index(
            holes,
            W31,
            missing="impute_parent",
            parent_of=parent_of,
            parent_values=parent_values.assign(y=[3.5, np.nan]),
        )


def test_parent_level_indicator_takes_the_parents_value_under_any_policy(holes):
    # x is published for the parents only (P, Q): every area takes its parent's value, flagged
    # like an imputation; y's own hole (D) is left to the policy (reweight here)
    parent_of = pd.Series({"A": "P", "B": "P", "C": "Q", "D": "Q"})
    parent_values = pd.DataFrame({"x": [1.0, 3.0], "y": [9.0, 9.0]}, index=["P", "Q"])
    only_parents = holes.assign(x=np.nan)
    res = need_index(
        only_parents,
        W31,
        normalisation="minmax",
        missing="reweight",
        parent_of=parent_of,
        parent_values=parent_values,
        parent_level=["x"],
    )
    # x = 1, 1, 3, 3 → 0, 0, 1, 1; y = 4, 3, 2, - → 1, 1/2, 0, -; weights 3:1 (D: x only)
    assert scores(res) == pytest.approx([0.25, 0.125, 0.75, 1.0])
    assert res.imputed[["area_code", "indicator_id", "parent_code", "value"]].values.tolist() == [
        ["A", "x", "P", 1.0],
        ["B", "x", "P", 1.0],
        ["C", "x", "Q", 3.0],
        ["D", "x", "Q", 3.0],
    ]
    part = res.partial.set_index("area_code")
    assert part.loc["A", "imputed_from_parent"] == "x"
    assert part.loc["D", "missing_reweighted"] == "y"  # not imputed: y is not parent-level
    assert res.params["parent_level"] == ["x"]
    # a parent without a value leaves the hole to the policy: error names it
    with pytest.raises(InputError, match="'x' is missing for area 'C'"):
        need_index(
            only_parents.assign(y=1.0),
            W31,
            parent_of=parent_of,
            parent_values=parent_values.assign(x=[1.0, np.nan]),
            parent_level=["x"],
        )
    with pytest.raises(InputError, match="no parent values were given"):
        need_index(only_parents, W31, missing="reweight", parent_level=["x"])


# ---------------------------------------------------------------------------------------------
# Uncertainty and sensitivity


@pytest.fixture
def many() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame(
        rng.lognormal(size=(60, 4)), columns=list("abcd"), index=[f"E01{i:06d}" for i in range(60)]
    )


SPECS4 = [
    IndicatorSpec("a", 1),
    IndicatorSpec("b", 2),
    IndicatorSpec("c", 1, "higher_is_better"),
    IndicatorSpec("d", 0.5),
]


@pytest.mark.parametrize(
    "kw",
    [
        {"spread": 0.0},
        {"perturbation": "none"},
        {"perturbation": "dirichlet", "concentration": None},
    ],
)
def test_zero_perturbation_gives_degenerate_intervals(many, kw):
    res = rank_uncertainty(many, SPECS4, n_draws=50, top_n=10, seed=1, **kw)
    t = res.table
    assert (t["rank_low"] == t["rank"]).all() and (t["rank_high"] == t["rank"]).all()
    assert set(t["p_top_n"]) <= {0.0, 1.0}
    assert (t["p_top_n"] == (t["rank"] <= 10)).all()


def test_seed_reproduces_and_differs(many):
    a = rank_uncertainty(many, SPECS4, n_draws=200, seed=7, spread=0.5)
    b = rank_uncertainty(many, SPECS4, n_draws=200, seed=7, spread=0.5)
    c = rank_uncertainty(many, SPECS4, n_draws=200, seed=8, spread=0.5)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not a.table["p_top_n"].equals(c.table["p_top_n"])
    assert (a.table["rank_low"] <= a.table["rank"]).all()
    assert (a.table["rank"] <= a.table["rank_high"]).all()
    assert a.seed == 7 and a.params["spread"] == 0.5


def test_dirichlet_and_bootstrap(many):
    d = rank_uncertainty(
        many, SPECS4, n_draws=200, perturbation="dirichlet", concentration=20, seed=2
    )
    assert (d.table["rank_high"] >= d.table["rank_low"]).all()
    # every draw puts exactly top_n = 20 areas in its top 20 (continuous scores, no ties), and
    # Dirichlet(20·w) weights move some areas across the cut
    p_top = d.table["p_top_n"]
    assert p_top.sum() == pytest.approx(20) and p_top.between(0, 1).all()
    assert ((p_top > 0) & (p_top < 1)).sum() >= 2
    se = pd.DataFrame({"a": 0.0 * many["a"]})
    exact = rank_uncertainty(many, SPECS4, n_draws=20, spread=0, standard_errors=se, seed=2)
    assert (exact.table["rank_low"] == exact.table["rank_high"]).all()
    noisy = rank_uncertainty(
        many, SPECS4, n_draws=100, spread=0, standard_errors=pd.DataFrame({"a": many["a"]}), seed=2
    )
    assert (noisy.table["rank_high"] > noisy.table["rank_low"]).any()
    assert noisy.params["bootstrap_indicators"] == ["a"]
    # p_top_n sums to top_n over areas when there are no ties
    assert noisy.table["p_top_n"].sum() == pytest.approx(20)


@pytest.fixture
def many_holes(many) -> pd.DataFrame:
    """``many`` with 40 of its 240 cells missing (no area without a value)."""
    rng = np.random.default_rng(5)
    arr = many.to_numpy(copy=True)
    arr.flat[rng.choice(arr.size, size=40, replace=False)] = np.nan
    v = pd.DataFrame(arr, index=many.index, columns=many.columns)
    assert v.notna().any(axis=1).all() and v.isna().any(axis=1).sum() >= 30
    return v


def _hand_reweighted_ranks(v: pd.DataFrame) -> pd.Series:
    """z-scores over the available values (population sd), polarity applied, the weights of
    the indicators an area has re-normalised to sum to 1; rank 1 = highest, ties share."""
    w = pd.Series({s.indicator_id: s.weight for s in SPECS4})
    sign = pd.Series(
        {s.indicator_id: -1.0 if s.polarity == "higher_is_better" else 1.0 for s in SPECS4}
    )
    x = v[w.index] * sign
    z = (x - x.mean()) / x.std(ddof=0)
    have = z.notna()
    score = (z.fillna(0) * w).sum(axis=1) / (have * w).sum(axis=1)
    return pd.Series(rankdata(-score.to_numpy(), method="min"), index=v.index)


@pytest.mark.parametrize("bootstrap", [False, True])
def test_rank_intervals_with_missing_indicators_reweight_per_area(many_holes, bootstrap):
    """Each draw re-weights over the indicators an area has: with no perturbation every
    interval is the hand-computed point rank, with or without the bootstrap path."""
    se = pd.DataFrame({"a": 0.0 * many_holes["a"].fillna(0)}) if bootstrap else None
    res = rank_uncertainty(
        many_holes, SPECS4, missing="reweight", n_draws=20, spread=0, standard_errors=se, seed=3
    )
    t = res.table
    expect = _hand_reweighted_ranks(many_holes).reindex(t.index)
    assert (t["rank"] == expect).all()
    assert (t["rank_low"] == expect).all() and (t["rank_high"] == expect).all()


def test_rank_intervals_contain_their_ranks_with_missing_indicators(many_holes):
    # ±10 % weight perturbation, 400 draws: the point rank lies inside every 90 % interval
    # (measured: it does for all 60 areas; dropping the per-area re-weighting in the draws puts
    # the point rank of areas with missing indicators outside their own interval)
    res = rank_uncertainty(many_holes, SPECS4, missing="reweight", n_draws=400, spread=0.1, seed=4)
    t = res.table
    assert ((t["rank_low"] <= t["rank"]) & (t["rank"] <= t["rank_high"])).all()
    assert (t["rank_high"] > t["rank_low"]).sum() >= 20  # the intervals are not degenerate


def test_standard_errors_missing_is_refused(many):
    se = pd.DataFrame({"a": many["a"].where(many.index != many.index[3])})
    with pytest.raises(InputError, match="standard error of 'a' is missing"):
        rank_uncertainty(many, SPECS4, n_draws=5, standard_errors=se)


def test_sensitivity_table(many):
    res = normalisation_sensitivity(many, SPECS4, top_n=10)
    t = res.table.set_index("method")
    assert list(t.index) == ["zscore", "minmax", "percentile", "top_share"]
    assert t.loc["zscore", "spearman_rho"] == pytest.approx(1.0)
    assert t.loc["zscore", "top_n_overlap"] == 10
    assert t.loc["zscore", "max_abs_rank_shift"] == 0
    assert 0 <= t.loc["percentile", "top_n_overlap_share"] <= 1
    assert res.ranks.shape == (60, 4)


def test_inputs_not_mutated(holes):
    before = holes.copy()
    need_index(holes, W31, missing="reweight")
    pd.testing.assert_frame_equal(holes, before)


# ---------------------------------------------------------------------------------------------
# CHECK INPUTS


@pytest.mark.parametrize(
    ("specs", "kw", "match"),
    [
        ([IndicatorSpec("x", -1)], {}, "weight of indicator 'x' must be a finite number ≥ 0"),
        ([IndicatorSpec("x", 0), IndicatorSpec("y", 0)], {}, "weights are all zero"),
        ([IndicatorSpec("x"), IndicatorSpec("x")], {}, "listed twice"),
        ([IndicatorSpec("x", polarity="neutral")], {}, "polarity of indicator 'x'"),  # type: ignore[arg-type]
        ([IndicatorSpec("z")], {}, "no column for indicator"),
        ([IndicatorSpec("x")], {"normalisation": "rank"}, "unknown normalisation 'rank'"),
        ([IndicatorSpec("x")], {"aggregation": "max"}, "unknown aggregation"),
        ([IndicatorSpec("x")], {"missing": "zero"}, "unknown missing-data policy"),
        ([IndicatorSpec("x", domain="a"), IndicatorSpec("y")], {}, "some indicators have a domain"),
        ([IndicatorSpec("x", domain="a")], {"domain_weights": {"b": 1}}, "domain weight for 'b'"),
        ([IndicatorSpec("x")], {"geometric_floor": 0}, "geometric_floor must be > 0"),
    ],
)
def test_bad_arguments(four, specs, kw, match):
    with pytest.raises(InputError, match=match):
        need_index(four, specs, **kw)


def test_bad_values(four):
    with pytest.raises(InputError, match="duplicate area rows"):
        need_index(pd.concat([four, four.iloc[:1]]), W31)
    with pytest.raises(InputError, match="'x' is not numeric"):
        need_index(four.astype({"x": object}).assign(x=["1", "2", "three", "4"]), W31)
    with pytest.raises(InputError, match="infinite"):
        need_index(four.assign(x=[1, 2, np.inf, 4]), W31)
    with pytest.raises(InputError, match="same value in every area"):
        need_index(four.assign(x=1.0), W31)
    with pytest.raises(InputError, match="n_draws"):
        rank_uncertainty(four, W31, n_draws=0)
    with pytest.raises(InputError, match="spread"):
        rank_uncertainty(four, W31, spread=1.5)


# ---------------------------------------------------------------------------------------------
# Profiles


def test_builtin_profiles_load():
    names = profile_names()
    for n in (
        "sports",
        "mentoring",
        "parenting",
        "ed_navigators",
        "school_exclusion",
        "detached_youth_work",
    ):
        assert n in names
        p = load_profile(n)
        assert p.profile_id == n and p.version >= 1 and p.sources and p.rationale
        assert effective_weights(p.indicators, p.domain_weights).sum() == pytest.approx(1)


def _profile(**over):
    base = {
        "name": "t",
        "version": 1,
        "description": "d",
        "rationale": "r",
        "sources": ["s"],
        "indicator": [{"id": "a", "weight": 1}, {"id": "b", "weight": 2}],
    }
    base.update(over)
    return base


KNOWN = {"a": "higher_is_worse", "b": "higher_is_better", "n": "neutral"}


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"indicator": [{"id": "zzz"}]}, r"'t'.*key indicator\[0\]\.id: unknown indicator 'zzz'"),
        ({"indicator": [{"id": "a", "weight": -1}]}, r"indicator\[0\]\.weight: must be a finite"),
        (
            {"indicator": [{"id": "a", "weight": 0}, {"id": "b", "weight": 0}]},
            "all weights are zero",
        ),
        ({"indicator": [{"id": "a", "weight": "2"}]}, r"indicator\[0\]\.weight: must be a number"),
        ({"indicator": [{"id": "n"}]}, r"indicator\[0\]\.polarity: indicator 'n' is neutral"),
        ({"indicator": [{"id": "a", "colour": 1}]}, r"indicator\[0\]\.colour: unknown key"),
        ({"domains": {"x": -1}}, r"domains\.x: must be a number ≥ 0"),
        ({"version": 0}, "key version"),
        ({"bogus": 1}, "key bogus: unknown key"),
        ({"normalisation": "rank"}, "key normalisation"),
    ],
)
def test_bad_profiles(over, match):
    with pytest.raises(InputError, match=match):
        parse_profile(_profile(id="t", **over), known=KNOWN, origin="test.toml")


def test_optional_indicators_of_a_profile():
    three = [
        {"id": "a", "domain": "d1"},
        {"id": "b", "domain": "d1", "optional": True},
        {"id": "c", "domain": "d2"},
    ]
    p = parse_profile(
        _profile(id="t", indicator=three, domains={"d1": 1, "d2": 1}),
        known={**KNOWN, "c": "higher_is_worse"},
    )
    assert p.optional == {"b"}
    q = p.without(["b"])
    assert q.indicator_ids == ["a", "c"] and q.optional == frozenset()
    assert effective_weights(q.indicators, q.domain_weights)["a"] == pytest.approx(0.5)
    with pytest.raises(InputError, match="only optional indicators"):
        p.without(["a"])
    # an optional indicator alone in its domain would leave the domain empty: refused
    with pytest.raises(InputError, match="'c' is the only weighted indicator of its domain"):
        parse_profile(
            _profile(
                id="t",
                indicator=[
                    {"id": "a", "domain": "d1"},
                    {"id": "c", "domain": "d2", "optional": True},
                ],
                domains={"d1": 1, "d2": 1},
            ),
            known={**KNOWN, "c": "higher_is_worse"},
        )
    with pytest.raises(InputError, match=r"indicator\[0\]\.optional: must be true or false"):
        parse_profile(_profile(id="t", indicator=[{"id": "a", "optional": "yes"}]), known=KNOWN)


def test_profile_from_file_and_unknown_name(tmp_path):
    with pytest.raises(InputError, match="unknown profile 'football'"):
        load_profile("football")
    f = tmp_path / "mine.toml"
    f.write_text(
        'name = "Mine"\nversion = 2\ndescription = "d"\nrationale = "r"\n'
        'sources = ["s"]\n[[indicator]]\nid = "a"\nweight = 1\n',
        encoding="utf-8",
    )
    p = load_profile(f, known=KNOWN)
    assert p.profile_id == "mine" and p.version == 2 and p.indicator_ids == ["a"]
    f.write_text('name = "Mine"\nversion = 1\n[[indicator]]\nid = ', encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_profile(f, known=KNOWN)


# ---------------------------------------------------------------------------------------------
# Harmonised geography


def test_aggregate_rates_population_weighted_and_counts_summed():
    values = pd.DataFrame({"area_code": ["l1", "l2", "l3", "l4"], "value": [10.0, 20, 30, np.nan]})
    links = pd.DataFrame(
        {
            "child_code": ["l1", "l2", "l3", "l4"],
            "parent_code": ["W1", "W1", "W2", "W2"],
            "link_type": "lsoa11_ward18",
        }
    )
    pop = pd.DataFrame({"area_code": ["l1", "l2", "l3", "l4"], "population": [100, 300, 50, 50]})
    rate = aggregate_up(values, links, kind="rate", population=pop, label="LSOA")
    v = rate.values.set_index("area_code")["value"]
    assert v["W1"] == pytest.approx((10 * 100 + 20 * 300) / 400)
    assert np.isnan(v["W2"])  # l4 missing: the ward is missing, not partial
    assert "population-weighted mean of LSOA values (lsoa11_ward18 links)" in rate.method
    partial = aggregate_up(values, links, kind="rate", population=pop, allow_partial=True)
    assert partial.values.set_index("area_code")["value"]["W2"] == pytest.approx(30)
    count = aggregate_up(values.fillna({"value": 5}), links, kind="count")
    assert count.values.set_index("area_code")["value"].tolist() == [30, 35]
    split = pd.DataFrame(
        {"child_code": ["l1", "l1"], "parent_code": ["A", "B"], "weight": [0.25, 0.75]}
    )
    app = aggregate_up(values.iloc[:1], split, kind="count", apportion=True)
    assert app.values["value"].tolist() == [2.5, 7.5]
    assert aggregation_kind("persons") == "count" and aggregation_kind("%") == "rate"
    with pytest.raises(InputError, match="linked to more than one parent"):
        aggregate_up(values.iloc[:1], split, kind="count")
    with pytest.raises(InputError, match="no population for LSOA 'l2'"):
        aggregate_up(values, links, kind="rate", population=pop.iloc[[0, 2, 3]], label="LSOA")

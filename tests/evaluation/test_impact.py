"""Impact estimators on REAL warehouse series (MPS violence with injury, 32 boroughs, monthly)
with effects injected at known sizes: each estimate recovers the injected effect within its
interval and finds nothing where nothing was injected; a DiD simulation shows coverage.
The long coverage runs for all three estimators are in bench/impact_coverage.py."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vrkit import Warehouse
from vrkit.analysis import impact as I
from vrkit.errors import InputError
from vrkit.tasks.impact import evaluate_did, evaluate_scm, event_study_chart, measure_panel

EFFECT = -0.15
TRUTH = math.log1p(EFFECT)


@pytest.fixture(scope="module")
def panel(borough_wh: Warehouse) -> pd.DataFrame:
    p = measure_panel(
        borough_wh, "violence_with_injury", "borough", start="2014-01-01", end="2019-12-01"
    )
    assert p["area_code"].nunique() == 32 and p["month"].nunique() == 72
    return p


@pytest.fixture(scope="module")
def units(panel: pd.DataFrame) -> list[str]:
    return sorted(panel["area_code"].unique())


def _treated(units: list[str], k: int, seed: int) -> list[str]:
    return [str(u) for u in np.random.default_rng(seed).choice(units, k, replace=False)]


def test_panel_equals_the_source_file(panel: pd.DataFrame, borough_file: pd.DataFrame) -> None:
    code = "E09000022"  # Lambeth
    got = panel[(panel["area_code"] == code) & (panel["month"].dt.year == 2019)]["count"].sum()
    src = borough_file[
        (borough_file["BoroughName"].str.upper() == "LAMBETH")
        & (borough_file["MinorText"].str.upper() == "VIOLENCE WITH INJURY")
    ]
    assert got == int(src[[c for c in src.columns if c.startswith("2019")]].to_numpy().sum())


def test_did_recovers_injected_effect_and_event_study(
    panel: pd.DataFrame, units: list[str]
) -> None:
    tr = _treated(units, 8, 11)
    data = I.inject_effect(panel, tr, "2017-01-01", EFFECT, seed=11)
    r = I.difference_in_differences(data, tr, "2017-01", window=(-12, 12))
    assert r.covers(TRUTH) and r.ci_high < 0 and r.p_value < 0.05
    assert r.pct_effect == pytest.approx(100 * (math.exp(r.estimate) - 1))
    es = r.event_study.set_index("rel_time")
    assert es.loc[-1, "estimate"] == 0.0  # reference month
    # relative to month −1 (a single noisy month) the level shifts; the drop from the pre-period
    # coefficients to the post-period ones is the injected effect
    shift = (
        es.loc[list(range(0, 12)), "estimate"].mean()
        - es.loc[list(range(-11, -1)), "estimate"].mean()
    )
    assert shift == pytest.approx(TRUTH, abs=0.06)
    assert 0 <= r.pretrend["p_value"] <= 1 and r.pretrend["df"][1] == 31
    assert set(r.comparison["role"]) == {"treated", "comparison"} and len(r.comparison) == 32
    assert any("Spill-over" in t for t in r.threats)
    assert any("Parallel trends" in a for a in r.assumptions)


def test_did_finds_nothing_where_nothing_was_injected(
    panel: pd.DataFrame, units: list[str]
) -> None:
    tr = _treated(units, 8, 12)
    r = I.difference_in_differences(panel, tr, "2017-01", event_study=False)
    assert r.covers(0.0) and r.p_value > 0.05


@pytest.mark.slow
def test_did_coverage_over_replications(panel: pd.DataFrame, units: list[str]) -> None:
    """40 replications: random treated boroughs and start month, −15 % injected. At the stated
    95 % coverage the chance of covering fewer than 34 of 40 is 0.8 %; of rejecting the null in
    more than 6 of 40 null runs, 1.3 %."""
    rng = np.random.default_rng(2026)
    starts = pd.date_range("2016-07-01", "2018-01-01", freq="MS")
    cover = reject_null = 0
    reps = 40
    for _ in range(reps):
        tr = [str(u) for u in rng.choice(units, 8, replace=False)]
        start = starts[rng.integers(len(starts))]
        data = I.inject_effect(panel, tr, start, EFFECT, seed=int(rng.integers(1 << 31)))
        cover += I.difference_in_differences(data, tr, start, event_study=False).covers(TRUTH)
        reject_null += (
            I.difference_in_differences(panel, tr, start, event_study=False).p_value < 0.05
        )
    assert cover >= 34, f"coverage {cover}/{reps}"
    assert reject_null <= 6, f"null rejected {reject_null}/{reps}"


def test_staggered_adoption_recovers_injected_effect(panel: pd.DataFrame, units: list[str]) -> None:
    tr = _treated(units, 10, 21)
    adoption = {u: ("2017-01-01" if i % 2 else "2017-07-01") for i, u in enumerate(tr)}
    data = panel
    for i, (u, s) in enumerate(adoption.items()):
        data = I.inject_effect(data, [u], s, EFFECT, seed=100 + i)
    window = data[(data["month"] >= "2015-07-01") & (data["month"] <= "2018-06-01")]
    r = I.staggered_did(window, adoption)
    assert r.covers(TRUTH) and r.ci_high < 0
    assert r.design == "staggered" and "Callaway" in r.reference
    assert (r.event_study["rel_time"] < 0).any() and (r.event_study["rel_time"] >= 0).any()
    null = I.staggered_did(
        panel[(panel["month"] >= "2015-07-01") & (panel["month"] <= "2018-06-01")], adoption
    )
    assert null.covers(0.0)


def test_synthetic_control_recovers_effect_with_placebo_inference(
    borough_wh: Warehouse, panel: pd.DataFrame, units: list[str]
) -> None:
    tr = "E09000022"  # Lambeth
    donors = [u for u in units if u != tr]
    window = panel[(panel["month"] >= "2015-01-01") & (panel["month"] <= "2017-12-01")]
    data = I.inject_effect(window, [tr], "2017-01-01", -0.3, seed=5)
    r = I.synthetic_control(data, tr, "2017-01", donors=donors)
    assert r.covers(math.log1p(-0.3)) and r.ci_high < 0
    assert r.p_value <= 2 / 32  # the treated area has the largest (or second) RMSPE ratio
    w = r.comparison[r.comparison["role"] == "donor"]["weight"]
    assert w.min() >= -1e-9 and w.sum() == pytest.approx(1, abs=1e-6)
    assert r.pre_fit["placebos"] == 31
    null = I.synthetic_control(window, tr, "2017-01", donors=donors)
    assert null.covers(0.0) and null.p_value > 0.05
    chart = event_study_chart(r).to_dict()
    assert chart["layer"] and "Synthetic control" in str(chart["title"])


def test_warehouse_tasks_resolve_names(borough_wh: Warehouse) -> None:
    r = evaluate_did(
        borough_wh,
        "violence_with_injury",
        ["Lambeth", "Southwark", "Lewisham", "Croydon", "Brent"],
        "2018-01",
        period=("2016-01", "2019-12"),
    )
    assert r.params["treated"][0] == "E09000022" and r.params["measure"] == "violence_with_injury"
    assert event_study_chart(r).to_dict()["layer"]
    with pytest.raises(InputError, match="unknown borough"):
        evaluate_scm(borough_wh, "violence_with_injury", "Atlantis", "2018-01")


def test_covid_months_are_flagged_or_excluded(
    panel: pd.DataFrame, borough_wh: Warehouse, units: list[str]
) -> None:
    full = measure_panel(
        borough_wh, "violence_with_injury", "borough", start="2018-01-01", end="2021-12-01"
    )
    tr = _treated(units, 8, 3)
    r = I.difference_in_differences(full, tr, "2020-01", event_study=False)
    assert any("COVID-19 restriction" in t for t in r.threats)
    x = I.difference_in_differences(full, tr, "2020-01", event_study=False, exclude_covid=True)
    assert any("were excluded" in t for t in x.threats)


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda p: p.drop(index=p.index[5]), "unbalanced"),
        (lambda p: p.assign(count=p["count"].where(p.index != 7)), "missing count"),
        (lambda p: pd.concat([p, p.iloc[:1]]), "two rows"),
        (lambda p: p.assign(count=-p["count"]), "≥ 0"),
    ],
)
def test_bad_panels_are_refused(panel: pd.DataFrame, units: list[str], mutate, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=match):
        I.difference_in_differences(mutate(panel), units[:3], "2017-01", event_study=False)


def test_bad_designs_are_refused(panel: pd.DataFrame, units: list[str]) -> None:
    with pytest.raises(InputError, match="not in the panel"):
        I.difference_in_differences(panel, ["E09999999"], "2017-01")
    with pytest.raises(InputError, match="both treated and comparison"):
        I.difference_in_differences(panel, units[:2], "2017-01", comparison=units[1:5])
    with pytest.raises(InputError, match="months before"):
        I.difference_in_differences(panel, units[:2], "2014-01")
    with pytest.raises(InputError, match="five donor"):
        I.synthetic_control(panel, units[0], "2017-01", donors=units[1:4])
    with pytest.raises(InputError, match="outside the panel"):
        I.staggered_did(panel, {units[0]: "2030-01"})

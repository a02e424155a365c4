"""Disclosure control: hand cases, and a brute-force audit that no suppressed cell is recoverable."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from vrkit.disclosure.linked import check_rule
from vrkit.disclosure.sdc import (
    SUPPRESSED,
    TOTAL,
    blank_derived,
    check_derived,
    feasible_intervals,
    protect,
)
from vrkit.errors import InputError

# ---------------------------------------------------------------------------------------------
# inputs


def test_missing_values_are_refused() -> None:
    t = pd.DataFrame({"a": [1.0, np.nan]})
    with pytest.raises(InputError, match="missing is not zero"):
        protect(t)


def test_negative_or_fractional_counts_are_refused() -> None:
    with pytest.raises(InputError, match="whole numbers"):
        protect(pd.DataFrame({"a": [1, -2]}))
    with pytest.raises(InputError, match="whole numbers"):
        protect(pd.DataFrame({"a": [1.5, 2]}))


def test_unknown_rule_and_existing_totals_are_refused() -> None:
    with pytest.raises(InputError, match="unknown SDC rule"):
        protect(pd.DataFrame({"a": [1, 2]}), rule="lt5")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="already has a 'Total'"):
        protect(pd.DataFrame({"a": [1, 2], TOTAL: [1, 2]}))


@pytest.mark.parametrize(
    ("table", "kwargs", "match"),
    [
        ([3, 40], {}, "must be a pandas DataFrame or Series, got list"),
        (pd.DataFrame(), {}, "is empty: nothing to protect"),
        (pd.DataFrame({"a": ["x", "y"]}), {}, r"must hold counts \(whole numbers"),
        (pd.DataFrame([[3, 40], [20, 30]], index=["x", "x"]), {}, "labels must be unique"),
        (pd.DataFrame({"a": [3, 40]}), {"round_to": 1}, "integer ≥ 2 or None, got 1"),
        (pd.DataFrame({"a": [3, 40]}), {"round_to": 2.5}, "integer ≥ 2 or None, got 2.5"),
    ],
    ids=["list", "empty", "text", "duplicate_labels", "round_to_1", "round_to_fraction"],
)
def test_bad_tables_are_refused_with_the_reason(table, kwargs: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        protect(table, **kwargs)


def test_audit_and_blanking_refuse_what_they_cannot_check() -> None:
    r = protect(pd.DataFrame({"a": [3, 40, 50], "b": [30, 40, 2]}, index=["A", "B", "C"]))
    with pytest.raises(InputError, match="carries no values to audit"):
        feasible_intervals(dataclasses.replace(r, _true=None))
    rates = pd.Series([1.0, 2.0, 3.0], index=["A", "B", "C"], name="per_1000")
    with pytest.raises(InputError, match="one-column suppression frame"):
        blank_derived(rates, r.suppressed)  # two count columns: which one is this rate of?
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "z": [1.0, 2.0, 3.0]}, index=["A", "B", "C"])
    with pytest.raises(InputError, match=r"derived column\(s\) \['z'\] have no suppression flag"):
        blank_derived(frame, r.suppressed)
    with pytest.raises(InputError, match="unknown SDC rule 'lt5'"):
        check_rule("lt5")
    assert check_rule("nhs") == "nhs"


# ---------------------------------------------------------------------------------------------
# hand cases


def test_primary_rules_nhs_and_lt10() -> None:
    t = pd.DataFrame({"a": [0, 1, 7, 8, 9, 10]})
    nhs = protect(t, rule="nhs", margins=False)
    assert list(nhs.published["a"]) == [0, "*", "*", 8, 9, 10]
    lt10 = protect(t, rule="lt10", margins=False)
    assert list(lt10.published["a"]) == [0, "*", "*", "*", "*", 10]
    assert nhs.secondary == [] and "1 to 7" in nhs.statement


def test_single_small_cell_needs_three_complements() -> None:
    # one small cell in a 2×2 table: row, column and the opposite cell go too (a 4-cycle)
    t = pd.DataFrame({"a": [3, 20], "b": [15, 12]}, index=["x", "y"])
    r = protect(t)
    assert r.primary == [("x", "a")]
    assert set(r.secondary) == {("x", "b"), ("y", "a"), ("y", "b")}
    assert r.published.loc[TOTAL, TOTAL] == 50
    assert r.published.loc["x", TOTAL] == 18


def test_smallest_complement_is_chosen() -> None:
    t = pd.DataFrame({"a": [2, 30, 40], "b": [50, 11, 60], "c": [70, 80, 13]})
    r = protect(t)
    # row 0 gets the smallest other positive cell of row 0 (b=50 < c=70), column a likewise
    assert (0, "b") in r.secondary and (1, "a") in r.secondary
    assert (0, "c") not in r.secondary


def test_small_margin_is_suppressed_primarily() -> None:
    t = pd.DataFrame({"a": [2, 3], "b": [40, 50]})
    r = protect(t)
    assert ("Total", "a") in r.primary  # column total 5 is itself small
    assert (feasible_intervals(r)["width"] > 0).all()


def test_two_protected_blocks_joined_by_one_cell_are_not_left_leaking() -> None:
    # the "two suppressions per line" rule alone would leave a bridge here
    t = pd.DataFrame(
        [[2, 2, 90, 90], [2, 2, 90, 90], [90, 90, 3, 3], [90, 90, 3, 3]],
        columns=list("abcd"),
    )
    r = protect(t)
    assert (feasible_intervals(r)["width"] > 0).all()


def test_zero_is_published_and_no_suppression_means_no_secondary() -> None:
    t = pd.DataFrame({"a": [0, 20], "b": [15, 0]})
    r = protect(t)
    assert r.primary == [] and r.secondary == []
    assert r.published.loc[0, "a"] == 0


def test_rounding_to_five_after_suppression() -> None:
    t = pd.DataFrame({"a": [3, 22], "b": [13, 18]})
    r = protect(t, round_to=5)
    assert r.published.loc[0, "a"] == SUPPRESSED
    shown = [v for v in r.published.to_numpy().ravel() if v != SUPPRESSED]
    assert all(v % 5 == 0 for v in shown)
    assert r.published.loc[TOTAL, TOTAL] == 55  # 56 → 55
    assert "nearest 5" in r.statement


def test_series_is_a_one_column_table() -> None:
    s = pd.Series([3, 40, 50], index=["E01", "E02", "E03"], name="n")
    r = protect(s)
    assert r.published.loc["E01", "n"] == SUPPRESSED
    assert sum(r.suppressed["n"]) >= 2  # a second area is suppressed so E01 ≠ total − rest
    assert (feasible_intervals(r)["width"] > 0).all()


def test_values_frame_is_int_with_na_and_long_form() -> None:
    r = protect(pd.DataFrame({"a": [3, 20], "b": [15, 12]}))
    assert str(r.values.dtypes.iloc[0]) == "Int64"
    assert r.values.isna().sum().sum() == 4
    long = r.to_frame()
    assert set(long["status"]) == {"primary", "secondary", ""}


def test_input_is_not_mutated() -> None:
    t = pd.DataFrame({"a": [3, 20], "b": [15, 12]})
    before = t.copy()
    protect(t, round_to=5)
    pd.testing.assert_frame_equal(t, before)


# ---------------------------------------------------------------------------------------------
# derived values (rates, maps)


def test_rates_with_suppressed_numerators_are_blanked() -> None:
    counts = pd.DataFrame({"jan": [3, 40, 50], "feb": [30, 40, 2]}, index=["A", "B", "C"])
    r = protect(counts)
    pop = pd.Series([1000, 2000, 1500], index=["A", "B", "C"])
    rates = counts.div(pop, axis=0) * 1000
    safe = blank_derived(rates, r.suppressed)
    assert safe.loc["A", "jan"] is pd.NA or np.isnan(safe.loc["A", "jan"])
    assert check_derived(rates, r.suppressed)  # the raw rates leak
    assert check_derived(safe, r.suppressed) == []
    assert not rates.isna().any().any()  # input untouched


def test_rates_without_flags_are_refused() -> None:
    r = protect(pd.Series([3, 40, 50], index=["A", "B", "C"], name="n"))
    rates = pd.Series([1.0, 2.0, 3.0, 4.0], index=["A", "B", "C", "D"])
    with pytest.raises(InputError, match="no suppression flag"):
        blank_derived(rates, r.suppressed)


# ---------------------------------------------------------------------------------------------
# brute force: an intruder solving the margin equations never pins a suppressed cell


def _random_tables(n: int, seed: int) -> list[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    values = np.array([0, 1, 2, 3, 5, 7, 8, 9, 12, 20, 45])
    p = np.array([0.14, 0.12, 0.1, 0.1, 0.08, 0.06, 0.06, 0.06, 0.1, 0.1, 0.08])
    out = []
    for _ in range(n):
        shape = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        out.append(pd.DataFrame(rng.choice(values, size=shape, p=p / p.sum())))
    return out


@pytest.mark.parametrize("rule", ["nhs", "lt10"])
def test_brute_force_no_suppressed_cell_is_recoverable(rule: str) -> None:
    checked = 0
    for k, table in enumerate(_random_tables(150, seed=7 if rule == "nhs" else 8)):
        r = protect(table, rule=rule)  # type: ignore[arg-type]
        fi = feasible_intervals(r)
        checked += len(fi)
        # the true value is inside the intruder's interval, and the interval is not a point
        assert ((fi["lower"] <= fi["true"] + 1e-6) & (fi["true"] <= fi["upper"] + 1e-6)).all()
        pinned = fi[fi["width"] <= 1e-9]
        assert pinned.empty, f"table {k}:\n{table}\n{r.published}\n{pinned}"
        # every line holding a suppressed cell holds at least two
        s = r.suppressed.to_numpy()
        assert not ((s.sum(axis=0) == 1).any() or (s.sum(axis=1) == 1).any())
    assert checked > 400


# ---------------------------------------------------------------------------------------------
# an intruder by enumeration: every non-negative integer table that agrees with the published
# cells and whose lines add up to the published totals (no linear programming, no code of sdc)


def _equations(published: pd.DataFrame, cap: int) -> tuple[list[tuple[dict, int]], dict]:
    """Line equations ``Σ coef·x = rhs`` over the suppressed cells, and their search bounds.

    Each row (totals row included) and each column (totals column included) says: its body cells
    add up to its last cell. Published cells are constants; ``cap`` bounds the search only.
    """
    a = published.to_numpy(dtype=object)
    n_r, n_c = a.shape
    lines = [[(i, j) for j in range(n_c)] for i in range(n_r)]
    lines += [[(i, j) for i in range(n_r)] for j in range(n_c)]
    eqs: list[tuple[dict, int]] = []
    for cells in lines:
        coefs: dict = {}
        rhs = 0
        for k, (i, j) in enumerate(cells):
            c = -1 if k == len(cells) - 1 else 1
            if a[i, j] == SUPPRESSED:
                coefs[(i, j)] = c
            else:
                rhs -= c * int(a[i, j])
        if coefs:
            eqs.append((coefs, rhs))
    return eqs, {u: cap for coefs, _ in eqs for u in coefs}


def _feasible(eqs: list[tuple[dict, int]], bounds: dict) -> bool:
    """Is there an integer assignment within ``bounds`` (cell → (lo, hi)) solving ``eqs``?"""
    bounds = dict(bounds)
    changed = True
    while changed:  # interval propagation
        changed = False
        for coefs, rhs in eqs:
            lo_sum = sum(c * bounds[u][0 if c > 0 else 1] for u, c in coefs.items())
            hi_sum = sum(c * bounds[u][1 if c > 0 else 0] for u, c in coefs.items())
            if not lo_sum <= rhs <= hi_sum:
                return False
            for u, c in coefs.items():
                lo, hi = bounds[u]
                # c·x_u = rhs − (the rest), the rest lies in [lo_sum − …, hi_sum − …]
                rest_lo = lo_sum - c * (lo if c > 0 else hi)
                rest_hi = hi_sum - c * (hi if c > 0 else lo)
                a, b = sorted(((rhs - rest_hi) * c, (rhs - rest_lo) * c))  # c is ±1
                new = (max(lo, a), min(hi, b))
                if new[0] > new[1]:
                    return False
                if new != (lo, hi):
                    bounds[u] = new
                    changed = True
    free = [u for u, (lo, hi) in bounds.items() if lo < hi]
    if not free:
        return True
    u = min(free, key=lambda x: bounds[x][1] - bounds[x][0])
    lo, hi = bounds[u]
    return any(_feasible(eqs, {**bounds, u: (v, v)}) for v in range(lo, hi + 1))


def _intruder_sides(r) -> dict:
    """For each suppressed cell: (a consistent table has it lower, … has it higher)."""
    full = r._true.to_numpy()
    # search up to twice the true grand total: enough to find a table on either side of a cell
    eqs, cap = _equations(r.published, 2 * int(full[-1, -1]))
    start = {u: (0, cap[u]) for u in cap}
    out = {}
    for u in cap:
        true = int(full[u])
        assert _feasible(eqs, {**start, u: (true, true)})  # the truth is one of the tables
        below = true > 0 and _feasible(eqs, {**start, u: (0, true - 1)})
        above = true < cap[u] and _feasible(eqs, {**start, u: (true + 1, cap[u])})
        out[(r.published.index[u[0]], r.published.columns[u[1]])] = (below, above)
    return out


def test_enumeration_complement_is_a_positive_cell_not_a_zero() -> None:
    # row x holds a zero: taking it as the complement would tell the intruder x,a ≤ 3 (moving
    # x,a up moves the zero down); a positive complement lets every cell move both ways
    t = pd.DataFrame({"a": [3, 25], "b": [0, 30], "c": [40, 35]}, index=["x", "y"])
    r = protect(t)
    assert ("x", "b") not in r.secondary
    sides = _intruder_sides(r)
    assert sides and all(b and a for b, a in sides.values()), sides


def test_enumeration_bridge_between_two_protected_blocks_is_closed() -> None:
    # every line holds two or more small cells (the "two per line" rule is met by the primary
    # cells alone), but x0,c joins the block {rows 0–1, columns a–b} to {rows 2–3, columns c–d}:
    # a bridge, worked out as (row 0 + row 1 totals) − (columns a + b inside rows 0–1)
    t = pd.DataFrame(
        [[2, 3, 4, 50], [3, 2, 50, 50], [50, 50, 2, 3], [50, 50, 3, 2]],
        columns=list("abcd"),
    )
    r = protect(t)
    assert (0, "c") in r.primary
    sides = _intruder_sides(r)
    assert len(sides) >= 10  # a complement closes the bridge
    assert all(b and a for b, a in sides.values()), sides


@pytest.mark.parametrize("rule", ["nhs", "lt10"])
def test_enumeration_of_small_tables_no_suppressed_cell_is_pinned(rule: str) -> None:
    rng = np.random.default_rng(21 if rule == "nhs" else 22)
    values = np.array([0, 1, 2, 3, 5, 8, 9, 11, 14])
    checked = both_ways = 0
    for _ in range(60):
        shape = (int(rng.integers(2, 4)), int(rng.integers(2, 4)))
        t = pd.DataFrame(rng.choice(values, size=shape))
        r = protect(t, rule=rule)  # type: ignore[arg-type]
        sides = _intruder_sides(r)
        for cell, (below, above) in sides.items():
            assert below or above, f"{cell} pinned in\n{t}\n{r.published}"
        if (t.to_numpy() > 0).all():
            # all positive: every cycle can move both ways (module notes), so the intruder
            # cannot even bound a cell by its own value
            assert all(b and a for b, a in sides.values()), f"\n{t}\n{r.published}\n{sides}"
            both_ways += len(sides)
        checked += len(sides)
    assert checked > 150 and both_ways > 10

"""The exact conditional test of two Poisson counts, against a hand computation."""

from __future__ import annotations

from math import comb

import pytest

from vrkit.analysis.count_change import compare_counts
from vrkit.errors import InputError


def _two_sided(k: int, n: int) -> float:
    """Binomial(n, 1/2) two-sided p: the probabilities no larger than P(k), summed."""
    probs = [comb(n, i) / 2**n for i in range(n + 1)]
    return min(1.0, sum(p for p in probs if p <= probs[k] * (1 + 1e-7)))


@pytest.mark.parametrize(("prev", "cur"), [(10, 3), (153, 134), (50, 50), (0, 6), (12, 20)])
def test_p_value_matches_the_hand_computation(prev: int, cur: int) -> None:
    c = compare_counts(prev, cur)
    assert c.p_value == pytest.approx(_two_sided(cur, prev + cur), rel=1e-9)


def test_verdicts() -> None:
    assert compare_counts(100, 60).verdict == "fell"
    assert compare_counts(60, 100).verdict == "rose"
    # London homicide 2019 → 2020 (153 → 134) is a 12 % fall but not significant at 5 %
    c = compare_counts(153, 134)
    assert c.verdict == "no significant change" and c.pct_change == pytest.approx(-12.418, abs=1e-3)
    assert compare_counts(0, 0).p_value == 1.0
    with pytest.raises(InputError, match="0 or more"):
        compare_counts(-1, 3)

"""Is a change between two counts more than chance? The exact conditional test for two Poisson
counts.

Under the null hypothesis that two periods of equal length share one Poisson rate, the count of
the later period given the total is Binomial(n = c₀ + c₁, p = ½) (Przyborowski & Wilenski 1940;
Lehmann & Romano, *Testing Statistical Hypotheses*, §4.6). The two-sided p-value is the binomial
test's (sum of the probabilities no more likely than the observed count). Used to say whether a
logic-model indicator "fell", "rose" or shows "no significant change": a change its own test
calls insignificant is never headlined as a fall or rise.
"""

from __future__ import annotations

from dataclasses import dataclass

from vrkit.errors import InputError

METHOD = "exact conditional test of two Poisson counts (binomial, p = 0.5)"
REFERENCE = "Przyborowski J, Wilenski H (1940) Biometrika 31:313-323"


@dataclass(frozen=True)
class CountChange:
    previous: int
    current: int
    change: int
    pct_change: float | None
    p_value: float
    alpha: float
    verdict: str  # fell | rose | no significant change
    method: str = METHOD
    reference: str = REFERENCE


def compare_counts(previous: int, current: int, *, alpha: float = 0.05) -> CountChange:
    """Compare two counts of equal-length periods (see the module docstring)."""
    from scipy.stats import binomtest

    if previous < 0 or current < 0:
        raise InputError("counts must be 0 or more")
    n = previous + current
    p = 1.0 if n == 0 else float(binomtest(current, n, 0.5).pvalue)
    change = current - previous
    pct = None if previous == 0 else 100.0 * change / previous
    if p < alpha and change < 0:
        verdict = "fell"
    elif p < alpha and change > 0:
        verdict = "rose"
    else:
        verdict = "no significant change"
    return CountChange(previous, current, change, pct, p, alpha, verdict)

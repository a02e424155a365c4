"""Honest changes: is the difference between two counts more than chance?

Recorded crime counts in two periods are modelled as independent Poisson counts ``X ~ Po(λ₁t₁)``
(current) and ``Y ~ Po(λ₀t₀)`` (previous), with exposures ``t`` (1 for two calendar years of the
same area; populations or months otherwise). Conditional on the total ``n = X + Y``, ``X`` is
binomial with ``p = λ₁t₁ / (λ₁t₁ + λ₀t₀)``, which turns the comparison of two rates into a
binomial problem with no nuisance parameter (Przyborowski & Wilenski 1940; Breslow & Day 1987,
*Statistical Methods in Cancer Research* vol. II §2.4; the "exact conditional" method of
:func:`statsmodels.stats.rates.test_poisson_2indep`):

- **test**: the exact two-sided binomial test of ``H₀: λ₁ = λ₀``, i.e. ``p₀ = t₁ / (t₁ + t₀)``,
  with the central p-value ``min(1, 2·min(P(X ≤ x), P(X ≥ x)))``. With equal exposures (the
  usual case: the same area in two years) the null distribution is symmetric and this equals the
  minimum-likelihood p-value of :func:`scipy.stats.binomtest` and of statsmodels'
  ``test_poisson_2indep(method="exact-cond")``;
- **interval** for the rate ratio ``λ₁/λ₀``: the Clopper–Pearson interval ``(p_L, p_U)`` of ``p``
  mapped through ``p/(1−p) · t₀/t₁`` (Ederer & Mantel 1974). Test and interval use the same
  exact conditional distribution and the same tails, so the interval excludes 1 exactly when
  the p-value is below ``1 − level``.

A change is called **significant** when the p-value is below ``alpha`` (default 0.05). Below that
the reports say "no significant change" and never colour it as a rise or a fall. With one or two
offences in each period no change can be significant: that is the point.

Large counts (tens of thousands) make even small changes significant under the Poisson model;
the model ignores over-dispersion (e.g. from seasonality or single incidents with many offences),
so a significant change on large counts still needs the analyst's judgement. The reports state
the method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from vrkit.errors import InputError

METHOD = (
    "Exact conditional test for two Poisson counts (binomial test of the current count given "
    "the total; Przyborowski & Wilenski 1940) with the exact (Clopper–Pearson) interval of the "
    "rate ratio; significant at the 5 % level"
)
REFERENCE = (
    "Przyborowski J, Wilenski H (1940) Homogeneity of results in testing samples from Poisson "
    "series. Biometrika 31:313-323; Breslow NE, Day NE (1987) Statistical Methods in Cancer "
    "Research vol. II, IARC, section 2.4."
)

#: change classes, as written in tables and map legends
SIG_RISE = "significant rise"
SIG_FALL = "significant fall"
NO_SIG = "no significant change"
NO_DATA = "not available"
CLASSES: tuple[str, ...] = (SIG_FALL, NO_SIG, SIG_RISE, NO_DATA)


@dataclass(frozen=True)
class CountChange:
    """The change between two counts with its exact test and rate-ratio interval."""

    current: float
    previous: float
    change: float
    pct_change: float
    ratio: float
    ratio_lower: float
    ratio_upper: float
    p_value: float
    significant: bool
    change_class: str
    level: float
    alpha: float

    @property
    def pct_lower(self) -> float:
        """Lower limit of the % change (from the rate-ratio interval)."""
        return 100.0 * (self.ratio_lower - 1.0)

    @property
    def pct_upper(self) -> float:
        """Upper limit of the % change (from the rate-ratio interval)."""
        return 100.0 * (self.ratio_upper - 1.0)


def _check_count(x: float, what: str) -> float:
    v = float(x)
    if np.isnan(v):
        return v
    if v < 0 or not np.isfinite(v) or abs(v - round(v)) > 1e-9:
        raise InputError(f"{what} must be a whole number ≥ 0 (got {x!r})")
    return float(round(v))


def compare_counts(
    current: float,
    previous: float,
    *,
    exposure_current: float = 1.0,
    exposure_previous: float = 1.0,
    level: float = 0.95,
    alpha: float = 0.05,
) -> CountChange:
    """Change from ``previous`` to ``current`` with an exact conditional test and interval.

    Parameters
    ----------
    current, previous : float
        Whole counts ≥ 0 (NaN: not available; the result is then all NaN, class
        ``"not available"``).
    exposure_current, exposure_previous : float, default 1
        Person-time or periods behind each count (e.g. population, months); equal exposures
        compare counts directly.
    level : float, default 0.95
        Coverage of the rate-ratio interval.
    alpha : float, default 0.05
        Significance level of the test.

    Returns
    -------
    CountChange

    Examples
    --------
    >>> r = compare_counts(8, 7)  # "Homicide rose by 14 % (1 more offence)"
    >>> r.significant, r.change_class, round(r.p_value, 3)
    (False, 'no significant change', 1.0)
    """
    c = _check_count(current, "current count")
    p = _check_count(previous, "previous count")
    if not (exposure_current > 0 and exposure_previous > 0):
        raise InputError("exposures must be > 0")
    if not 0 < level < 1 or not 0 < alpha < 1:
        raise InputError("level and alpha must be between 0 and 1")
    nan = float("nan")
    if np.isnan(c) or np.isnan(p):
        return CountChange(c, p, nan, nan, nan, nan, nan, nan, False, NO_DATA, level, alpha)
    diff = c - p
    pct = 100.0 * diff / p if p > 0 else nan
    t1, t0 = float(exposure_current), float(exposure_previous)
    ratio = (c / t1) / (p / t0) if p > 0 else (np.inf if c > 0 else nan)
    n = int(c + p)
    if n == 0:
        return CountChange(c, p, 0.0, nan, nan, 0.0, np.inf, 1.0, False, NO_SIG, level, alpha)
    p0 = t1 / (t1 + t0)
    lower_tail = float(stats.binom.cdf(c, n, p0))
    upper_tail = float(stats.binom.sf(c - 1, n, p0))
    pval = min(1.0, 2.0 * min(lower_tail, upper_tail))
    a = 1.0 - level
    # Clopper–Pearson limits of p = c / n via the beta distribution
    pl = 0.0 if c == 0 else float(stats.beta.ppf(a / 2, c, n - c + 1))
    pu = 1.0 if c == n else float(stats.beta.ppf(1 - a / 2, c + 1, n - c))
    k = t0 / t1
    lo = pl / (1 - pl) * k
    hi = pu / (1 - pu) * k if pu < 1 else np.inf
    sig = pval < alpha
    cls = NO_SIG if not sig else (SIG_RISE if c / t1 > p / t0 else SIG_FALL)
    return CountChange(c, p, diff, pct, ratio, lo, hi, pval, sig, cls, level, alpha)


def compare_count_frame(
    frame: pd.DataFrame,
    *,
    current: str = "current",
    previous: str = "previous",
    exposure_current: str | None = None,
    exposure_previous: str | None = None,
    level: float = 0.95,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """A copy of ``frame`` with the test of each row's change added.

    Adds ``ratio, ratio_lower, ratio_upper, pct_lower, pct_upper, p_value, significant,
    change_class`` (see :func:`compare_counts`); ``change`` and ``pct_change`` are (re)computed
    too. Rows with a missing count get class ``"not available"``. ``frame`` is not modified.
    """
    missing = [c for c in (current, previous) if c not in frame.columns]
    if missing:
        raise InputError(f"frame lacks column(s) {', '.join(missing)}")
    out = frame.copy()
    e1 = out[exposure_current] if exposure_current else pd.Series(1.0, index=out.index)
    e0 = out[exposure_previous] if exposure_previous else pd.Series(1.0, index=out.index)
    res = [
        compare_counts(c, p, exposure_current=x1, exposure_previous=x0, level=level, alpha=alpha)
        for c, p, x1, x0 in zip(out[current], out[previous], e1, e0, strict=True)
    ]
    out["change"] = [r.change for r in res]
    out["pct_change"] = [r.pct_change for r in res]
    out["ratio"] = [r.ratio for r in res]
    out["ratio_lower"] = [r.ratio_lower for r in res]
    out["ratio_upper"] = [r.ratio_upper for r in res]
    out["pct_lower"] = [r.pct_lower for r in res]
    out["pct_upper"] = [r.pct_upper for r in res]
    out["p_value"] = [r.p_value for r in res]
    out["significant"] = [bool(r.significant) for r in res]
    out["change_class"] = [r.change_class for r in res]
    return out


def _fmt_int(x: float) -> str:
    return f"{round(float(x)):,}"


def _fmt_pct(p: float) -> str:
    a = abs(p)
    if a >= 10:
        return f"{a:.0f} %"
    if a >= 0.05:
        return f"{a:.1f} %"
    return "less than 0.1 %"


def _fmt_p(p: float) -> str:
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def change_sentence(
    label: str,
    r: CountChange,
    year: int | str,
    compare: int | str,
    *,
    noun: tuple[str, str] = ("offence", "offences"),
) -> str:
    """One honest sentence about a change: a rise or fall only when its test says so.

    Examples
    --------
    >>> change_sentence("Homicide", compare_counts(8, 7), 2020, 2019)
    'Homicide: no significant change in 2020 compared with 2019 (8 offences against 7; p = 1.00).'
    >>> change_sentence("Violence with injury", compare_counts(69252, 77500), 2020, 2019)
    'Violence with injury fell by 11 % (8,248 fewer offences; 95 % CI of the change −12 % to −9.7 %) in 2020 compared with 2019.'
    """
    one, many = noun
    if r.change_class == NO_DATA:
        return f"{label}: figures for {year} or {compare} are not available."

    def n_of(x: float) -> str:
        return f"{_fmt_int(x)} {one if round(x) == 1 else many}"

    if r.change == 0:
        return (
            f"{label} was unchanged in {year} compared with {compare} "
            f"({n_of(r.current)} in both years)."
        )
    if not r.significant:
        return (
            f"{label}: no significant change in {year} compared with {compare} "
            f"({n_of(r.current)} against {_fmt_int(r.previous)}; {_fmt_p(r.p_value)})."
        )
    verb = "rose" if r.change > 0 else "fell"
    more = "more" if r.change > 0 else "fewer"
    diff = abs(r.change)
    what = f"{_fmt_int(diff)} {more} {one if round(diff) == 1 else many}"
    if r.previous == 0:
        return f"{label} {verb} from 0 to {n_of(r.current)} in {year} compared with {compare}."
    ci = f"{r.level * 100:.0f} % CI of the change {_signed_pct(r.pct_lower)} to {_signed_pct(r.pct_upper)}"
    return f"{label} {verb} by {_fmt_pct(r.pct_change)} ({what}; {ci}) in {year} compared with {compare}."


def _signed_pct(p: float) -> str:
    if not np.isfinite(p):
        return "∞" if p > 0 else "−∞"
    s = f"{abs(p):.0f} %" if abs(p) >= 10 else f"{abs(p):.1f} %"
    return ("−" if p < 0 else "+") + s if round(p, 1) != 0 else "0 %"


def change_classes(values: Sequence[str]) -> list[str]:
    """The change classes present in ``values``, in legend order."""
    return [c for c in CLASSES if c in set(values)]

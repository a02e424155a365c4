"""Early warning: is this month's count in an area higher than season and trend explain?

Default method: the improved Farrington algorithm of Noufaily et al. (2013), as implemented in
the R package *surveillance* (``farringtonFlexible``; Salmon, Schumacher & Höhle 2016), adapted
to monthly data and run for many areas at once (the GLMs are fitted by a batched IRLS that gives
the same estimates as a per-series ``glm``; a test checks this against statsmodels).

For the target month ``t`` of each series:

1. **Baseline.** The months from ``t − 12·b − w`` to ``t − 7``: all months of the previous ``b``
   years (default 5), except the most recent 6 months and the target month itself, which are
   left out so that an emerging rise does not raise its own baseline (Noufaily et al. leave out
   the most recent 26 weeks). Months in catalogued periods (by default every COVID-19
   restriction period in ``catalog/events.toml``, kind ``restriction``) and missing months are
   left out too: missing is not zero.
2. **Seasonality: a 10-level factor** (Noufaily et al., ``noPeriods = 10``), not the original
   Farrington 2w+1-week windows. With monthly data and ``w = 1``, level 1 is the 3-month window
   centred on the target's calendar month in each past year and the other 9 calendar months
   are one level each, which is exactly how ``surveillance`` splits a year into blocks.
   ``n_periods=1`` gives the original Farrington et al. (1996) design (windows only).
3. **Model.** Quasi-Poisson log-linear GLM; dispersion φ = max(1, Pearson χ² / (n − p)).
4. **Down-weighting past exceedances.** Anscombe residuals
   s = 3/2 (y^{2/3} μ^{-1/6} − μ^{1/2}) / √(φ(1 − h)); weights γ s^{-2} where s > 2.58, γ
   otherwise, with γ making the weights sum to n; refit with these weights.
5. **Trend** is kept only if its coefficient is significant (p < 0.05, t-test), at least 3
   years of baseline are used, and the trend prediction does not exceed the largest baseline
   count (Farrington et al. 1996); otherwise the model is refitted without it.
6. **Threshold.** The ``level`` quantile (default 0.99) of a negative binomial with mean μ₀.
   Default ``threshold_method="predictive"``: variance μ₀·τ with τ = φ + μ₀·Var(log μ̂₀), i.e.
   Farrington et al. (1996)'s allowance for the estimation error of μ̂₀ (their τ = φ +
   Var(μ̂₀)/μ₀) applied to Noufaily's negative-binomial threshold. **This is our one
   deliberate departure from Noufaily et al.**: their plug-in (``"nb_plugin"``, variance φμ₀,
   surveillance's ``thresholdMethod = "nbPlugin"``) ignores estimation error and in our
   simulations (monthly data, 5 baseline years) raised about 1.4 % false alarms at a nominal
   1 %, against about 1.1 % for ``"predictive"``. ``"muan"`` (surveillance's other option)
   plugs in the upper ``level`` confidence limit of μ₀ and is conservative (≈ 0.25 %).
   Poisson where the dispersion is 1.
7. **Exceedance score** (y − μ₀) / (U − μ₀) and **p-value** P(Y ≥ y) under that distribution.
   An alert needs y > U, y > 0 and at least 5 counts in the last 4 months including the target
   (Farrington's rule, ``min_recent=(5, 4)``).

**Surveillance-compatible mode** (``method="surveillance"``) reproduces R's
``surveillance::farringtonFlexible`` (1.20.3) exactly, as a reference and for analysts who must
match published R results; a test holds it to a fixture of R's own outputs. The parameters map
to ``control``: ``years_back`` → ``b``, ``half_window`` → ``w``, ``n_periods`` → ``noPeriods``,
``past_months_excluded`` → ``pastWeeksNotIncluded``, ``reweight_threshold`` →
``weightsThreshold``, ``trend_p`` → ``pThresholdTrend``, ``1 − level`` → ``alpha``,
``threshold_method`` → ``thresholdMethod`` (``"nb_plugin"`` default, ``"muan"``, ``"delta"``),
``min_recent`` → ``limit54`` (None = no condition), ``trend_time`` → an ``sts`` built with
``start``/``frequency`` (``"months"``) or ``epochAsDate = TRUE`` (``"days"``); no months are
excluded unless ``exclude_kinds`` says so (the same as setting them NA in R). Every step as
surveillance does it (details in :mod:`vrkit.analysis._farrington_surveillance`):
the reference months and ``blocks()`` factor, **pastWeeksNotIncluded**, missing months dropped;
the quasi-Poisson GLM fitted by R's IRLS (25 iterations, aliased columns dropped as R's QR
pivots); dispersion from ``summary.glm`` with the last iteration's working weights, floored at
1; **reweighting** by Anscombe residuals above **weightsThreshold** and a weighted refit (its
convergence unchecked); ``model$weights`` then overwritten by the reweighting weights, so the
**trend test** (``summary.glm`` t-test, p < **pThresholdTrend**) uses the dispersion
Σ ω ((y − μ)/μ)² / (n − p) of *working* residuals, about φ/μ (far below 1 for counts of tens
or hundreds: surveillance keeps a trend in 90 % of the 2017–2019 London borough months, vrkit
in 82 %); the trend also needs the **"three years" check on b** (the parameter, not the years
of data present) and the **"no extrapolation" check** (prediction ≤ the largest count in the
GLM's data); the **nbPlugin threshold** ``qnbinom(1 − α, μ₀/(φ − 1), 1/φ)`` (R's discrete
search), ``muan`` and ``delta`` (both with ``se(η₀)`` from that same small dispersion);
**limit54** (NA if a month in its window is missing) and the alarm ``(y − f)/(U − f) > 1``,
``y ≠ 0``, with ``f`` the prediction on the link scale for nbPlugin/muan. There is no fallback:
where surveillance returns NA (GLM not converged, no residual degrees of freedom) or stops
(fewer than ``12·b + w`` months before the target) the area is skipped with the reason, or an
``InputError`` is raised; where a baseline month alone determines a parameter (hat value 1)
surveillance's result depends on floating-point rounding (or it stops), and the area is
skipped with that reason. Unlike surveillance, ``threshold`` and ``expected`` are reported
even where limit54 fails (the alert is False either way), and ``score`` is vrkit's
count-scale score, not surveillance's link-scale ratio.

**Where the default departs from surveillance** (measured effects in ``docs/early-warning.md``):
the predictive threshold instead of nbPlugin; COVID-19 restriction months left out;
``min_recent = (5, 4)`` (surveillance's own default ``limit54``, not issue #19's ``c(0, 4)``);
vrkit's
trend test (φ = max(1, Pearson χ²/(n − p)) of the reweighted fit, the test Farrington et al.
describe) instead of the working-residual dispersion above; the "three years" check on the
years actually used and a shortened baseline or the fallback below for short series; φ and
the covariance at the final μ (expected counts within 1e-8, relative, on real data).

**Too little history.** The full method needs at least ``12·3 + w`` = 37 months of history
before the target (3 baseline years) and 20 usable baseline months. Shorter series use a stated
**fallback** (``method="fallback"``): the mean μ̂ of the last 12 usable months (≥ 6 needed;
no seasonality), φ = max(1, variance / mean), and a negative-binomial threshold whose mean is
the upper ``level`` confidence limit of μ̂, μ̂·exp(z √(φ / (n μ̂))) — wider than the full
method's. Series with fewer than 6 usable months are skipped and listed with the reason.

**Comparison methods** (``method="cusum"`` or ``"ewma"``) monitor the 7 months left out of the
baseline, starting from zero, against the in-control expectation of the same fitted model:

- CUSUM: the likelihood-ratio (Poisson, scaled by 1/φ) CUSUM for a multiplicative rise κ
  (default 1.5): S_t = max(0, S_{t−1} + (y_t ln κ − μ_t(κ − 1))/φ) (Page 1954; Lucas 1985 for
  counts; Rogerson & Yamada 2004 for time-varying expectations; ``surveillance::glrpois``
  with a fixed κ).
- EWMA of standardised residuals z_t = (y_t − μ_t)/√(φμ_t): E_t = λ z_t + (1 − λ) E_{t−1},
  λ = 0.3 (Roberts 1959; Borror, Champ & Rigdon 1998 for Poisson counts).

Their thresholds are not from tables of average run lengths: the statistic's in-control
distribution at the target month is simulated (seeded) from the fitted negative binomial, and
the threshold is its ``level`` quantile, so ``level`` means the same per-month false-alarm
probability for all three methods. ``threshold`` is reported on the count scale: the count that
would have taken the statistic over its threshold this month.

**Many areas.** p-values are adjusted across the areas tested in the month with the
Benjamini–Hochberg (1995) step-up procedure (``q_value``; ``alert_fdr`` = alert and q ≤
``fdr``), and the number of alerts expected by chance if no area had a real rise is reported:
Σ P(Y > U) over the areas (≤ n·(1 − level) because counts are discrete).

References
----------
Noufaily A, Enki DG, Farrington P, Garthwaite P, Andrews N, Charlett A (2013). An improved
algorithm for outbreak detection in multiple surveillance systems. *Statistics in Medicine*
32(7):1206–1222.
Farrington CP, Andrews NJ, Beale AD, Catchpole MA (1996). A statistical algorithm for the early
detection of outbreaks of infectious disease. *JRSS A* 159(3):547–563.
Salmon M, Schumacher D, Höhle M (2016). Monitoring count time series in R: aberration detection
in public health surveillance. *Journal of Statistical Software* 70(10).
Page ES (1954). Continuous inspection schemes. *Biometrika* 41:100–115.
Lucas JM (1985). Counted data CUSUM's. *Technometrics* 27(2):129–144.
Rogerson PA, Yamada I (2004). Approaches to syndromic surveillance when data consist of small
regional counts. *MMWR* 53(Suppl):79–85.
Borror CM, Champ CW, Rigdon SE (1998). Poisson EWMA control charts. *Journal of Quality
Technology* 30(4):352–361.
Benjamini Y, Hochberg Y (1995). Controlling the false discovery rate. *JRSS B* 57(1):289–300.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from vrkit.analysis import _farrington_surveillance as _fs
from vrkit.analysis._validate import require_columns
from vrkit.catalog.events import events
from vrkit.errors import InputError

Method = Literal["farrington", "surveillance", "cusum", "ewma"]
ThresholdMethod = Literal["nb_plugin", "muan", "predictive", "delta"]
TrendTime = Literal["months", "days"]

#: threshold methods each method accepts (the first is its default)
THRESHOLD_METHODS: dict[str, tuple[str, ...]] = {
    "farrington": ("predictive", "nb_plugin", "muan"),
    "cusum": ("predictive", "nb_plugin", "muan"),
    "ewma": ("predictive", "nb_plugin", "muan"),
    "surveillance": ("nb_plugin", "muan", "delta"),
}

REFERENCE = (
    "Noufaily et al. (2013) Statistics in Medicine 32:1206–1222 (improved Farrington); "
    "Farrington et al. (1996) JRSS A 159:547–563; surveillance::farringtonFlexible "
    "(Salmon, Schumacher & Höhle 2016, JSS 70(10))"
)
REFERENCE_SURVEILLANCE = (
    "surveillance::farringtonFlexible 1.20.3 reproduced step for step (Salmon, Schumacher & "
    "Höhle 2016, JSS 70(10)); Noufaily et al. (2013) Statistics in Medicine 32:1206–1222"
)
REFERENCE_CUSUM = (
    "Page (1954) Biometrika 41:100–115; Lucas (1985) Technometrics 27:129–144; "
    "Rogerson & Yamada (2004) MMWR 53(Suppl):79–85"
)
REFERENCE_EWMA = (
    "Roberts (1959) Technometrics 1:239–250; Borror, Champ & Rigdon (1998) J Quality "
    "Technology 30:352–361"
)
REFERENCE_FDR = "Benjamini & Hochberg (1995) JRSS B 57:289–300"

#: Minimum number of baseline years for the full method (Farrington et al. 1996 need 3 for a trend).
MIN_YEARS = 3
#: Minimum usable baseline months for the full method.
MIN_BASELINE_MONTHS = 20
#: Months looked at, and needed, by the fallback.
FALLBACK_WINDOW = 12
FALLBACK_MIN_MONTHS = 6


@dataclass(frozen=True)
class AlertParams:
    """Parameters an alert run used (stored with every result).

    ``min_history_months`` is the history before the target the full method needs
    (``12·MIN_YEARS + half_window``); shorter series use the fallback.
    """

    method: str
    level: float
    years_back: int
    half_window: int
    n_periods: int
    reweight_threshold: float
    trend_p: float
    past_months_excluded: int
    min_recent: tuple[int, int] | None
    threshold_method: str
    trend_time: str
    fdr: float
    exclude_kinds: tuple[str, ...]
    excluded_months: tuple[str, ...]
    min_history_months: int
    min_baseline_months: int
    fallback_window: int
    fallback_min_months: int
    cusum_shift: float
    ewma_lambda: float
    n_sim: int
    seed: int | None
    reference: str


@dataclass(frozen=True)
class AlertResult:
    """Exceedance results for one month across areas.

    Attributes
    ----------
    month : Timestamp
        The month tested.
    table : DataFrame
        One row per area tested, alerts first (highest score first): ``area_code, month,
        observed, expected, threshold, score, p_value, q_value, alert, alert_fdr, method,
        dispersion, trend, n_baseline, years_back, recent_total, chance_alert_prob``.
        ``score`` is NaN only where the threshold does not exceed the expected count
        (expected below 1 and threshold 0), where it is undefined.
    skipped : DataFrame
        ``area_code, reason`` for areas that could not be tested (target month missing, too
        little history): never reported as "no alert".
    n_tested, n_alerts, n_alerts_fdr : int
    expected_by_chance : float
        Alerts expected if no area had a real rise: Σ P(Y > threshold) under each area's
        fitted in-control model.
    expected_by_chance_nominal : float
        ``n_tested · (1 − level)``.
    params : AlertParams
    """

    month: pd.Timestamp
    table: pd.DataFrame
    skipped: pd.DataFrame
    n_tested: int
    n_alerts: int
    n_alerts_fdr: int
    expected_by_chance: float
    expected_by_chance_nominal: float
    params: AlertParams

    def records(self) -> list[dict[str, Any]]:
        """Rows as JSON-ready dicts with the stable keys ``area_code, month, observed,
        expected, threshold, p_value, alert`` (plus more)."""
        out = []
        for r in self.table.to_dict("records"):
            out.append(
                {
                    "area_code": str(r["area_code"]),
                    "month": pd.Timestamp(r["month"]).strftime("%Y-%m"),
                    "observed": int(r["observed"]),
                    "expected": round(float(r["expected"]), 3),
                    "threshold": round(float(r["threshold"]), 3),
                    "p_value": float(r["p_value"]),
                    "alert": bool(r["alert"]),
                    "score": None if pd.isna(r["score"]) else round(float(r["score"]), 3),
                    "q_value": float(r["q_value"]),
                    "alert_fdr": bool(r["alert_fdr"]),
                    "method": str(r["method"]),
                }
            )
        return out


# ---- inputs -------------------------------------------------------------------------------


def excluded_months(kinds: tuple[str, ...] = ("restriction",)) -> tuple[pd.Timestamp, ...]:
    """Months overlapping any catalogued event of the given kinds (COVID-19 restrictions).

    An event with no end date covers the month it starts in.
    """
    out: set[pd.Timestamp] = set()
    for e in events():
        if e.kind not in kinds:
            continue
        end = e.end or e.start
        out.update(
            pd.date_range(pd.Timestamp(e.start).to_period("M").to_timestamp(), end, freq="MS")
        )
    return tuple(sorted(out))


def parse_month(month: str | date | pd.Timestamp) -> pd.Timestamp:
    """``"2021-06"``, a date or a Timestamp → first of that month; InputError if unreadable."""
    if isinstance(month, str) and not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", month.strip()):
        raise InputError(f"cannot read month {month!r}", hint="Use YYYY-MM, e.g. 2021-06.")
    try:
        ts = pd.Timestamp(month.strip() if isinstance(month, str) else month)
    except (ValueError, TypeError):
        raise InputError(
            f"cannot read month {month!r}", hint="Use YYYY-MM, e.g. 2021-06."
        ) from None
    if pd.isna(ts) or not 1800 <= ts.year <= 2200:
        raise InputError(f"cannot read month {month!r}", hint="Use YYYY-MM, e.g. 2021-06.")
    return ts.to_period("M").to_timestamp()


def count_matrix(counts: pd.DataFrame) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray]:
    """Long counts → (area codes, complete monthly index, S × T matrix with NaN for missing).

    Several rows per area and month are summed; a month with no row, or only missing counts,
    stays NaN (missing, not zero). Raises InputError on missing columns, negative or
    non-integer counts.
    """
    need = ["area_code", "month", "count"]
    require_columns(counts, need, "counts")
    if counts.empty:
        raise InputError("counts is empty", hint="Load the monthly source first.")
    c = counts[need].copy()
    c["month"] = pd.to_datetime(c["month"]).dt.to_period("M").dt.to_timestamp()
    values = pd.to_numeric(c["count"], errors="coerce").astype("float64")
    bad_text = values.isna() & c["count"].notna()
    if bad_text.any():
        raise InputError(f"count is not numeric (got {c['count'][bad_text].iloc[0]!r})")
    if (values < 0).any():
        row = c[values < 0].iloc[0]
        raise InputError(
            f"negative count {row['count']} for {row['area_code']} in "
            f"{row['month']:%Y-%m}: counts must be ≥ 0",
            hint="Check the source file; a negative count is a data error, not a decrease.",
        )
    frac = values.notna() & (values != np.round(values))
    if frac.any():
        row = c[frac].iloc[0]
        raise InputError(
            f"non-integer count {row['count']} for {row['area_code']} in {row['month']:%Y-%m}",
            hint="These methods model counts of offences; pass whole numbers.",
        )
    c["count"] = values
    agg = c.groupby(["area_code", "month"])["count"].sum(min_count=1)
    wide = agg.unstack("month")
    months = pd.date_range(wide.columns.min(), wide.columns.max(), freq="MS")
    wide = wide.reindex(columns=months)
    return wide.index.to_numpy(dtype=object), months, wide.to_numpy(dtype="float64")


# ---- batched quasi-Poisson GLM -----------------------------------------------------------


@dataclass(frozen=True)
class _Fit:
    beta: np.ndarray  # S × p
    mu: np.ndarray  # S × n
    inv: np.ndarray  # S × p × p, (X'WX)^-1 with W = prior·μ
    phi: np.ndarray  # S
    df: np.ndarray  # S residual degrees of freedom
    converged: np.ndarray  # S


def _irls(X: np.ndarray, y: np.ndarray, prior: np.ndarray, max_iter: int = 50) -> _Fit:
    """Poisson log-link IRLS for S series sharing the design X (n × p); prior weights S × n.

    Zero prior weight removes an observation. Columns with no weighted observation get a tiny
    ridge (coefficient 0, not counted in p). Convergence as R's ``glm``: relative change in
    deviance below 1e-8; only series not yet converged are iterated. Dispersion is Pearson
    χ² / (n − p) with the prior weights (R's ``summary.glm`` for quasi-Poisson); the caller
    floors it at 1.
    """
    s = y.shape[0]
    p = X.shape[1]
    y0 = np.where(prior > 0, y, 0.0)
    col_used = (prior @ (X * X)) > 0  # S × p
    ridge = np.where(col_used, 1e-10, 1.0)
    diag = np.arange(p)

    def xtwx_of(w: np.ndarray, rows: np.ndarray) -> np.ndarray:
        m = (X.T[None, :, :] * w[:, None, :]) @ X
        m[:, diag, diag] += ridge[rows]
        return m

    beta = np.zeros((s, p))
    eta = np.log(y0 + 0.1)
    mu = np.exp(eta)
    dev_old = np.full(s, np.inf)
    converged = np.zeros(s, dtype=bool)
    active = np.arange(s)
    for _ in range(max_iter):
        ya, mua, etaa, pa = y0[active], mu[active], eta[active], prior[active]
        w = pa * mua
        z = etaa + (ya - mua) / mua
        rhs = ((w * z) @ X)[..., None]
        b = np.linalg.solve(xtwx_of(w, active), rhs)[..., 0]
        etaa = np.clip(b @ X.T, -30.0, 30.0)
        mua = np.exp(etaa)
        with np.errstate(divide="ignore", invalid="ignore"):
            term = np.where(ya > 0, ya * np.log(ya / mua), 0.0) - (ya - mua)
        dev = 2.0 * np.sum(pa * term, axis=1)
        done = np.abs(dev - dev_old[active]) <= 1e-8 * (np.abs(dev) + 0.1)
        beta[active], eta[active], mu[active], dev_old[active] = b, etaa, mua, dev
        converged[active[done]] = True
        active = active[~done]
        if active.size == 0:
            break
    inv = np.linalg.inv(xtwx_of(prior * mu, np.arange(s)))
    n_eff = (prior > 0).sum(axis=1)
    df = n_eff - col_used.sum(axis=1)
    pearson = np.sum(prior * (y0 - mu) ** 2 / mu, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(df > 0, pearson / df, np.nan)
    return _Fit(beta, mu, inv, phi, df, converged)


def _anscombe_weights(
    X: np.ndarray, y: np.ndarray, mask: np.ndarray, fit: _Fit, phi: np.ndarray, threshold: float
) -> np.ndarray:
    """Farrington/Noufaily weights from standardised Anscombe residuals (0 outside ``mask``)."""
    w = mask * fit.mu
    hat = w * np.einsum("ni,sij,nj->sn", X, fit.inv, X)
    y0 = np.where(mask, y, 0.0)
    mu = fit.mu
    with np.errstate(divide="ignore", invalid="ignore"):
        s = 1.5 * (y0 ** (2 / 3) * mu ** (-1 / 6) - mu**0.5)
        s = s / np.sqrt(phi[:, None] * np.clip(1.0 - hat, 1e-12, None))
    big = mask & (s > threshold)
    raw = np.where(big, 1.0 / np.where(big, s, 1.0) ** 2, 1.0)
    raw = np.where(mask, raw, 0.0)
    gamma = mask.sum(axis=1) / raw.sum(axis=1)
    return raw * gamma[:, None]


def _design(offsets: np.ndarray, w: int, n_periods: int, trend: bool) -> np.ndarray:
    """Design rows for months at ``offsets`` (months relative to the target, ≤ 0).

    Columns: intercept (the 2w+1 window around the target's calendar month is the reference
    level), n_periods − 1 block dummies, and the trend in years (0 at the target).
    """
    u = np.mod(offsets, 12)  # months after the target's calendar month
    in_window = (u <= w) | (u >= 12 - w)
    cols = [np.ones(len(offsets))]
    if n_periods > 1:
        length = 12 - 2 * w - 1
        if n_periods - 1 > length:
            raise InputError(
                f"n_periods={n_periods} is too many for half_window={w} with monthly data",
                hint=f"Use at most {length + 1} periods.",
            )
        base, rest = divmod(length, n_periods - 1)
        sizes = np.full(n_periods - 1, base)
        sizes[:rest] += 1
        edges = np.concatenate([[0], np.cumsum(sizes)])
        pos = u - w - 1
        block = np.searchsorted(edges, pos, side="right") - 1
        for j in range(n_periods - 1):
            cols.append(((~in_window) & (block == j)).astype(float))
    if trend:
        cols.append(offsets / 12.0)
    return np.column_stack(cols)


def _nb_quantile(q: float, mean: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Quantile of NB(mean, variance φ·mean); Poisson where φ ≤ 1."""
    over = phi > 1.0 + 1e-9
    size = np.where(over, mean / np.where(over, phi - 1.0, 1.0), 1.0)
    nb = stats.nbinom.ppf(q, size, 1.0 / np.where(over, phi, 2.0))
    po = stats.poisson.ppf(q, mean)
    return np.where(over, nb, po).astype(float)


def _nb_sf(x: np.ndarray, mean: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """P(Y > x) for NB(mean, variance φ·mean); Poisson where φ ≤ 1."""
    over = phi > 1.0 + 1e-9
    size = np.where(over, mean / np.where(over, phi - 1.0, 1.0), 1.0)
    nb = stats.nbinom.sf(x, size, 1.0 / np.where(over, phi, 2.0))
    po = stats.poisson.sf(x, mean)
    return np.where(over, nb, po).astype(float)


def _nb_draw(
    rng: np.random.Generator, mean: np.ndarray, phi: np.ndarray, size: tuple[int, ...]
) -> np.ndarray:
    """Draws from NB(mean, φ·mean) (gamma–Poisson mixture); Poisson where φ ≤ 1."""
    over = phi > 1.0 + 1e-9
    shape = np.where(over, mean / np.where(over, phi - 1.0, 1.0), 1.0)
    lam = np.where(over, rng.gamma(np.broadcast_to(shape, size), 1.0) * (phi - 1.0), mean)
    lam = np.broadcast_to(lam, size)
    return rng.poisson(lam).astype(float)


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg (1995) adjusted p-values (q-values); NaN p-values stay NaN."""
    p = np.asarray(p_values, dtype=float)
    q = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    m = int(ok.sum())
    if m == 0:
        return q
    pv = p[ok]
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    adj = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    q[ok] = out
    return q


# ---- the detector -------------------------------------------------------------------------


@dataclass
class _Rows:
    idx: list[np.ndarray] = field(default_factory=list)
    cols: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def add(self, idx: np.ndarray, **cols: np.ndarray) -> None:
        self.idx.append(idx)
        for k, v in cols.items():
            self.cols.setdefault(k, []).append(np.asarray(v))


def detect_exceedances(
    counts: pd.DataFrame,
    month: str | date | pd.Timestamp,
    *,
    method: Method = "farrington",
    level: float = 0.99,
    years_back: int = 5,
    half_window: int = 1,
    n_periods: int = 10,
    reweight_threshold: float = 2.58,
    trend_p: float = 0.05,
    past_months_excluded: int = 6,
    min_recent: tuple[int, int] | None = (5, 4),
    threshold_method: ThresholdMethod | None = None,
    fdr: float = 0.05,
    exclude_kinds: tuple[str, ...] | None = None,
    trend_time: TrendTime = "months",
    cusum_shift: float = 1.5,
    ewma_lambda: float = 0.3,
    n_sim: int = 2000,
    seed: int | None = 0,
) -> AlertResult:
    """Test one month of many monthly count series for exceedances.

    Parameters
    ----------
    counts : DataFrame
        Long counts ``area_code, month, count``; missing months may be absent rows or NaN
        (missing, not zero). Not modified.
    month : str, date or Timestamp
        The month to test (``"2021-06"``); must lie within the months of ``counts``.
    method : {"farrington", "surveillance", "cusum", "ewma"}
        See the module docstring. ``"surveillance"`` reproduces R's
        ``surveillance::farringtonFlexible`` exactly (no fallback, no COVID exclusion by
        default, its trend test and alarm rule); the CUSUM/EWMA options are for comparison.
    level : float
        Threshold quantile (0.99 → a 1 % per-month false-alarm probability per area).
    years_back, half_window, n_periods, reweight_threshold, trend_p, past_months_excluded
        Noufaily et al. (2013) settings ``b = 5``, ``w`` (1 month), ``noPeriods = 10``,
        2.58, 0.05, and the recent months left out of the baseline (6 ≈ 26 weeks).
    min_recent : (int, int) or None
        Farrington's rule: no alert unless the last ``min_recent[1]`` months (including the
        target) total at least ``min_recent[0]``. None switches it off. For
        ``"surveillance"`` this is ``limit54`` (None = ``c(0, 1)``, no condition).
    threshold_method : {"predictive", "nb_plugin", "muan", "delta"} or None
        See the module docstring; ``"nb_plugin"`` is Noufaily et al.'s exact choice. None
        means the method's default: ``"predictive"``, or ``"nb_plugin"`` for
        ``"surveillance"`` (which also accepts ``"muan"`` and ``"delta"``, surveillance's
        ``thresholdMethod`` options, and not ``"predictive"``).
    fdr : float
        False discovery rate for ``alert_fdr`` (Benjamini–Hochberg across areas).
    exclude_kinds : tuple of str or None
        Kinds of catalogued events whose months are left out of baselines. None means the
        method's default: ``("restriction",)`` (COVID-19 restrictions), or ``()`` for
        ``"surveillance"`` (leaving months out there is the same as setting them NA in R).
    trend_time : {"months", "days"}
        ``"surveillance"`` only: the time covariate of an ``sts`` built with
        ``start``/``frequency`` (month index, the default) or with ``epochAsDate = TRUE``
        (days, so months of different length are unequal steps; results differ slightly).
    cusum_shift, ewma_lambda, n_sim, seed
        CUSUM rise to detect (κ), EWMA smoothing λ, simulations for their thresholds, and
        the seed (only CUSUM/EWMA use randomness; Farrington results do not depend on it).

    Returns
    -------
    AlertResult

    Raises
    ------
    InputError
        Bad columns, negative or non-integer counts, a month outside the data, a month with no
        data in any area, or invalid settings.
    """
    if not 0.5 < level < 1:
        raise InputError(f"level must be between 0.5 and 1 (got {level})", hint="e.g. 0.99")
    if method not in THRESHOLD_METHODS:
        raise InputError(
            f"unknown method {method!r}", hint="Use farrington, surveillance, cusum or ewma."
        )
    allowed = THRESHOLD_METHODS[method]
    if threshold_method is None:
        threshold_method = allowed[0]  # type: ignore[assignment]
    if threshold_method not in allowed:
        raise InputError(
            f"threshold_method {threshold_method!r} is not available with method {method!r}",
            hint=f"Use {', '.join(allowed[:-1])} or {allowed[-1]}.",
        )
    if exclude_kinds is None:
        exclude_kinds = () if method == "surveillance" else ("restriction",)
    if trend_time not in ("months", "days"):
        raise InputError(f"unknown trend_time {trend_time!r}", hint="Use months or days.")
    if trend_time != "months" and method != "surveillance":
        raise InputError(
            f"trend_time={trend_time!r} applies only to method='surveillance'",
            hint="vrkit's own methods measure the trend in months.",
        )
    if not 0 < fdr < 1:
        raise InputError(f"fdr must be between 0 and 1 (got {fdr})")
    if years_back < (1 if method == "surveillance" else MIN_YEARS):
        raise InputError(
            f"years_back must be ≥ {1 if method == 'surveillance' else MIN_YEARS} "
            f"(got {years_back})"
        )
    if min_recent is not None and (min_recent[0] < 0 or min_recent[1] < 1):
        raise InputError(
            f"min_recent must be (count ≥ 0, months ≥ 1) (got {min_recent})",
            hint="e.g. (5, 4): at least 5 counts in the last 4 months.",
        )
    if half_window < 0 or half_window > 5:
        raise InputError(f"half_window must be 0–5 months (got {half_window})")
    codes, months, Y = count_matrix(counts)
    target = parse_month(month)
    if target < months[0] or target > months[-1]:
        raise InputError(
            f"month {target:%Y-%m} is outside the data ({months[0]:%Y-%m} to {months[-1]:%Y-%m})",
            hint="Choose a month the loaded source covers.",
        )
    t = int(months.get_loc(target))
    if np.isnan(Y[:, t]).all():
        raise InputError(
            f"no area has a count for {target:%Y-%m} (missing, not zero)",
            hint="The month is inside the data range but absent; check the loaded releases.",
        )
    excl_ts = excluded_months(exclude_kinds)
    excluded = months.isin(pd.DatetimeIndex(excl_ts))
    min_history = (years_back if method == "surveillance" else MIN_YEARS) * 12 + half_window
    params = AlertParams(
        method=method,
        level=level,
        years_back=years_back,
        half_window=half_window,
        n_periods=n_periods,
        reweight_threshold=reweight_threshold,
        trend_p=trend_p,
        past_months_excluded=past_months_excluded,
        min_recent=min_recent,
        threshold_method=str(threshold_method),
        trend_time=trend_time,
        fdr=fdr,
        exclude_kinds=tuple(exclude_kinds),
        excluded_months=tuple(f"{m:%Y-%m}" for m in excl_ts),
        min_history_months=min_history,
        min_baseline_months=MIN_BASELINE_MONTHS,
        fallback_window=FALLBACK_WINDOW,
        fallback_min_months=FALLBACK_MIN_MONTHS,
        cusum_shift=cusum_shift,
        ewma_lambda=ewma_lambda,
        n_sim=n_sim,
        seed=seed,
        reference={
            "farrington": REFERENCE,
            "surveillance": REFERENCE_SURVEILLANCE,
            "cusum": REFERENCE_CUSUM,
            "ewma": REFERENCE_EWMA,
        }[method]
        + "; "
        + REFERENCE_FDR,
    )
    if method == "surveillance":
        return _surveillance(
            codes, months, Y, t, target, excluded, params, min_recent=min_recent, fdr=fdr
        )

    observed = Y[:, t]
    has_obs = ~np.isnan(observed)
    present = ~np.isnan(Y)
    first = np.where(present.any(axis=1), present.argmax(axis=1), Y.shape[1])
    history = t - first  # months of history before the target
    b_eff = np.minimum(years_back, (history - half_window) // 12)

    last = Y.shape[1] - 1 - np.argmax(present[:, ::-1], axis=1)
    skipped: list[tuple[str, str]] = []
    for i in np.flatnonzero(~has_obs):
        why = f"no count for {target:%Y-%m} (missing, not zero)"
        if not present[i].any():
            why += "; no data at all"
        elif last[i] < t:
            why += f"; series ends {months[last[i]]:%Y-%m}"
        elif first[i] > t:
            why += f"; series starts {months[first[i]]:%Y-%m}"
        skipped.append((str(codes[i]), why))
    rows = _Rows()
    full = has_obs & (b_eff >= MIN_YEARS)
    fallback_idx: list[int] = list(np.flatnonzero(has_obs & ~full))
    rng = np.random.default_rng(seed)
    for b in sorted(set(b_eff[full].tolist())):
        idx = np.flatnonzero(full & (b_eff == b))
        ok, out = _farrington_group(
            Y[idx],
            excluded,
            t,
            int(b),
            half_window,
            n_periods,
            reweight_threshold,
            trend_p,
            past_months_excluded,
            level,
            threshold_method,
        )
        fallback_idx.extend(idx[~ok].tolist())
        idx_ok = idx[ok]
        if idx_ok.size == 0:
            continue
        sel = {k: v[ok] for k, v in out.items()}
        if method == "farrington":
            rows.add(
                idx_ok,
                expected=sel["mu0"],
                threshold=sel["upper"],
                p_value=sel["p_value"],
                dispersion=sel["phi"],
                trend=sel["trend"],
                n_baseline=sel["n_baseline"],
                years_back=np.full(idx_ok.size, b),
                chance=sel["chance"],
                method=np.full(idx_ok.size, "farrington"),
            )
        else:
            cs = _control_chart(
                Y[idx_ok],
                t,
                sel,
                method,
                half_window,
                n_periods,
                past_months_excluded,
                level,
                cusum_shift,
                ewma_lambda,
                n_sim,
                rng,
            )
            rows.add(
                idx_ok,
                expected=sel["mu0"],
                threshold=cs["threshold"],
                p_value=cs["p_value"],
                dispersion=sel["phi"],
                trend=sel["trend"],
                n_baseline=sel["n_baseline"],
                years_back=np.full(idx_ok.size, b),
                chance=np.full(idx_ok.size, 1.0 - level),
                method=np.full(idx_ok.size, method),
            )
    if fallback_idx:
        fb = np.array(sorted(fallback_idx))
        res = _fallback(Y[fb], excluded, t, level)
        enough = res["n"] >= FALLBACK_MIN_MONTHS
        for i, n_used in zip(fb[~enough], res["n"][~enough], strict=True):
            skipped.append(
                (
                    str(codes[i]),
                    f"too little history: {int(n_used)} usable month(s) in the "
                    f"{FALLBACK_WINDOW} before {target:%Y-%m} "
                    f"(fallback needs ≥ {FALLBACK_MIN_MONTHS}; full method ≥ {min_history})",
                )
            )
        fb_ok = fb[enough]
        if fb_ok.size:
            rows.add(
                fb_ok,
                expected=res["mu0"][enough],
                threshold=res["upper"][enough],
                p_value=res["p_value"][enough],
                dispersion=res["phi"][enough],
                trend=np.zeros(fb_ok.size, dtype=bool),
                n_baseline=res["n"][enough],
                years_back=np.zeros(fb_ok.size, dtype=int),
                chance=res["chance"][enough],
                method=np.full(fb_ok.size, "fallback"),
            )

    table = _assemble(codes, Y, t, target, rows, min_recent, fdr)
    return _result(target, table, skipped, params)


def _result(
    target: pd.Timestamp, table: pd.DataFrame, skipped: list[tuple[str, str]], params: AlertParams
) -> AlertResult:
    skipped_df = pd.DataFrame(skipped, columns=["area_code", "reason"])
    return AlertResult(
        month=target,
        table=table,
        skipped=skipped_df.sort_values("area_code").reset_index(drop=True),
        n_tested=len(table),
        n_alerts=int(table["alert"].sum()),
        n_alerts_fdr=int(table["alert_fdr"].sum()),
        expected_by_chance=float(table["chance_alert_prob"].sum()),
        expected_by_chance_nominal=float(len(table) * (1.0 - params.level)),
        params=params,
    )


def _surveillance(
    codes: np.ndarray,
    months: pd.DatetimeIndex,
    Y: np.ndarray,
    t: int,
    target: pd.Timestamp,
    excluded: np.ndarray,
    params: AlertParams,
    *,
    min_recent: tuple[int, int] | None,
    fdr: float,
) -> AlertResult:
    """``method="surveillance"``: R's farringtonFlexible, no fallback (see
    :mod:`vrkit.analysis._farrington_surveillance`)."""
    b, w = params.years_back, params.half_window
    if t - 12 * b - w < 0:
        raise InputError(
            f"method='surveillance' needs {12 * b + w} months of data before {target:%Y-%m} "
            f"(b = {b} years and w = {w}); the data start {months[0]:%Y-%m}",
            hint="Test a later month, lower years_back, or use method='farrington', which has "
            "a stated fallback for short series.",
        )
    if params.trend_time == "days":
        time = ((months - months[0]).days.to_numpy() / 30.4375).astype(float)
    else:
        time = np.arange(len(months), dtype=float)
    has_obs = ~np.isnan(Y[:, t])
    skipped = [
        (str(c), f"no count for {target:%Y-%m} (missing, not zero)") for c in codes[~has_obs]
    ]
    idx = np.flatnonzero(has_obs)
    out = _fs.farrington_flexible(
        Y[idx],
        excluded,
        t,
        time,
        b=b,
        w=w,
        n_periods=params.n_periods,
        past_excluded=params.past_months_excluded,
        weights_threshold=params.reweight_threshold,
        trend_p=params.trend_p,
        alpha=1.0 - params.level,
        threshold_method=params.threshold_method,
        limit54=min_recent if min_recent is not None else (0, 1),
    )
    bad = out["reason"] != ""
    skipped += [(str(codes[i]), str(r)) for i, r in zip(idx[bad], out["reason"][bad], strict=True)]
    ok = ~bad
    rows = _Rows()
    if ok.any():
        rows.add(
            idx[ok],
            expected=out["expected"][ok],
            threshold=out["upper"][ok],
            p_value=out["p_value"][ok],
            dispersion=out["phi"][ok],
            trend=out["trend"][ok],
            n_baseline=out["n_baseline"][ok],
            years_back=np.full(int(ok.sum()), b),
            chance=out["chance"][ok],
            method=np.full(int(ok.sum()), "surveillance"),
            alarm=out["alarm"][ok],
        )
    table = _assemble(codes, Y, t, target, rows, min_recent, fdr)
    return _result(target, table, skipped, params)


def _farrington_group(
    Y: np.ndarray,
    excluded: np.ndarray,
    t: int,
    b: int,
    w: int,
    n_periods: int,
    reweight_threshold: float,
    trend_p: float,
    past_excluded: int,
    level: float,
    threshold_method: str,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Noufaily/Farrington fit and threshold for series that share a baseline of b years."""
    start = t - 12 * b - w
    stop = t - past_excluded - 1
    js = np.arange(start, stop + 1)
    offsets = js - t
    if n_periods == 1:  # original Farrington: windows around the target month in past years
        u = np.mod(offsets, 12)
        keep = ((u <= w) | (u >= 12 - w)) & (offsets <= -12 + w)
        js, offsets = js[keep], offsets[keep]
    yb = Y[:, js]
    mask = ~np.isnan(yb) & ~excluded[js][None, :]
    yb = np.where(mask, yb, 0.0)
    n_base = mask.sum(axis=1)
    obs = Y[:, t]

    fits: dict[bool, tuple[_Fit, np.ndarray]] = {}
    for trend in (True, False):
        X = _design(offsets.astype(float), w, n_periods, trend)
        f0 = _irls(X, yb, mask.astype(float))
        phi0 = np.maximum(np.nan_to_num(f0.phi, nan=1.0), 1.0)
        omega = _anscombe_weights(X, yb, mask, f0, phi0, reweight_threshold)
        f1 = _irls(X, yb, omega)
        phi1 = np.maximum(np.nan_to_num(f1.phi, nan=1.0), 1.0)
        fits[trend] = (f1, phi1)
    ft, phit = fits[True]
    fn, phin = fits[False]
    k = ft.beta.shape[1] - 1
    se_tr = np.sqrt(phit * ft.inv[:, k, k])
    with np.errstate(divide="ignore", invalid="ignore"):
        tstat = ft.beta[:, k] / se_tr
    p_tr = 2 * stats.t.sf(np.abs(tstat), np.maximum(ft.df, 1))
    ymax = np.max(np.where(mask, yb, -np.inf), axis=1)
    do_trend = (b >= MIN_YEARS) & (p_tr < trend_p) & (np.exp(ft.beta[:, 0]) <= ymax)
    eta0 = np.where(do_trend, ft.beta[:, 0], fn.beta[:, 0])
    var_eta = np.where(do_trend, phit * ft.inv[:, 0, 0], phin * fn.inv[:, 0, 0])
    phi = np.where(do_trend, phit, phin)
    conv = np.where(do_trend, ft.converged, fn.converged)
    mu0 = np.exp(eta0)
    mu_q, phi_q = mu0, phi
    if threshold_method == "muan":
        mu_q = np.exp(eta0 + stats.norm.ppf(level) * np.sqrt(var_eta))
    elif threshold_method == "predictive":
        phi_q = phi + mu0 * var_eta
    upper = _nb_quantile(level, mu_q, phi_q)
    pval = np.clip(_nb_sf(obs - 1.0, mu_q, phi_q), 0.0, 1.0)
    chance = _nb_sf(upper, mu_q, phi_q)
    ok = (n_base >= MIN_BASELINE_MONTHS) & conv & np.isfinite(upper)
    beta = np.where(do_trend[:, None], ft.beta, np.column_stack([fn.beta, np.zeros(len(mu0))]))
    return ok, {
        "mu0": mu0,
        "upper": upper,
        "p_value": pval,
        "phi": phi,
        "trend": do_trend,
        "n_baseline": n_base,
        "chance": chance,
        "beta": beta,
        "cov": np.where(
            do_trend[:, None, None],
            phit[:, None, None] * ft.inv,
            _pad(phin[:, None, None] * fn.inv),
        ),
    }


def _pad(cov: np.ndarray) -> np.ndarray:
    """Covariance of the no-trend model padded with a zero row/column for the trend."""
    out = np.zeros((cov.shape[0], cov.shape[1] + 1, cov.shape[2] + 1))
    out[:, :-1, :-1] = cov
    return out


def _control_chart(
    Y: np.ndarray,
    t: int,
    fit: dict[str, np.ndarray],
    method: str,
    w: int,
    n_periods: int,
    past_excluded: int,
    level: float,
    kappa: float,
    lam: float,
    n_sim: int,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """CUSUM or EWMA over the months left out of the baseline, thresholds by simulation."""
    m = past_excluded + 1
    offsets = np.arange(-m + 1, 1, dtype=float)
    X = _design(offsets, w, n_periods, trend=True)
    mu = np.exp(fit["beta"] @ X.T)  # S × m, in-control expectation
    phi = fit["phi"][:, None]
    y = Y[:, t - m + 1 : t + 1]
    present = ~np.isnan(y)

    def run(
        values: np.ndarray, ok: np.ndarray, mu_: np.ndarray, phi_: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        stat = np.zeros(values.shape[:-1])
        prev = stat
        for j in range(m):
            muj, phij = mu_[:, j], phi_[:, 0]
            if values.ndim == 3:
                muj, phij = muj[:, None], phij[:, None]
            okj = ok[..., j]
            if method == "cusum":
                inc = (values[..., j] * np.log(kappa) - muj * (kappa - 1.0)) / phij
                new = np.maximum(0.0, stat + inc)
            else:
                z = (values[..., j] - muj) / np.sqrt(phij * muj)
                new = lam * z + (1.0 - lam) * stat
            prev = stat
            stat = np.where(okj, new, stat)
        return stat, prev

    s_obs, s_prev = run(np.where(present, y, 0.0), present, mu, phi)
    sims = np.empty((Y.shape[0], n_sim))
    for lo in range(0, Y.shape[0], 256):
        hi = min(lo + 256, Y.shape[0])
        # in-control data drawn around expectations that include estimation error in β
        chol = np.linalg.cholesky(fit["cov"][lo:hi] + 1e-12 * np.eye(X.shape[1]))
        eps = rng.standard_normal((hi - lo, n_sim, X.shape[1]))
        beta_star = fit["beta"][lo:hi, None, :] + np.einsum("sij,skj->ski", chol, eps)
        mu_star = np.exp(np.clip(beta_star @ X.T, -30.0, 30.0))
        draws = _nb_draw(rng, mu_star, phi[lo:hi, None, :], (hi - lo, n_sim, m))
        ok = np.broadcast_to(present[lo:hi, None, :], draws.shape)
        sims[lo:hi], _ = run(draws, ok, mu[lo:hi], phi[lo:hi])
    h = np.quantile(sims, level, axis=1)
    pval = (1.0 + (sims >= s_obs[:, None]).sum(axis=1)) / (n_sim + 1.0)
    mu_t, phi_t = mu[:, -1], phi[:, 0]
    if method == "cusum":
        thr = (phi_t * (h - s_prev) + mu_t * (kappa - 1.0)) / np.log(kappa)
    else:
        thr = mu_t + np.sqrt(phi_t * mu_t) * (h - (1.0 - lam) * s_prev) / lam
    return {"threshold": np.maximum(thr, 0.0), "p_value": pval}


def _fallback(Y: np.ndarray, excluded: np.ndarray, t: int, level: float) -> dict[str, np.ndarray]:
    """Non-seasonal fallback for short series: mean of the last 12 usable months."""
    lo = max(0, t - FALLBACK_WINDOW)
    yb = Y[:, lo:t]
    mask = ~np.isnan(yb) & ~excluded[lo:t][None, :]
    n = mask.sum(axis=1)
    vals = np.where(mask, yb, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = vals.sum(axis=1) / n
        var = np.where(mask, (yb - mean[:, None]) ** 2, 0.0).sum(axis=1) / (n - 1)
        mean_pos = np.where(mean > 0, mean, 0.5 / np.maximum(n, 1))  # rule-of-half for all-zero
        phi = np.maximum(1.0, np.nan_to_num(var / mean_pos, nan=1.0))
        z = stats.norm.ppf(level)
        mu_u = mean_pos * np.exp(z * np.sqrt(phi / (np.maximum(n, 1) * mean_pos)))
    mean = np.nan_to_num(mean, nan=0.0)
    upper = _nb_quantile(level, mu_u, phi)
    pval = np.clip(_nb_sf(Y[:, t] - 1.0, mu_u, phi), 0.0, 1.0)
    chance = _nb_sf(upper, mu_u, phi)
    return {"mu0": mean, "upper": upper, "p_value": pval, "phi": phi, "n": n, "chance": chance}


def _assemble(
    codes: np.ndarray,
    Y: np.ndarray,
    t: int,
    target: pd.Timestamp,
    rows: _Rows,
    min_recent: tuple[int, int] | None,
    fdr: float,
) -> pd.DataFrame:
    cols = [
        "area_code",
        "month",
        "observed",
        "expected",
        "threshold",
        "score",
        "p_value",
        "q_value",
        "alert",
        "alert_fdr",
        "method",
        "dispersion",
        "trend",
        "n_baseline",
        "years_back",
        "recent_total",
        "chance_alert_prob",
    ]
    if not rows.idx:
        return pd.DataFrame(columns=cols)
    idx = np.concatenate(rows.idx)
    c = {k: np.concatenate(v) for k, v in rows.cols.items()}
    obs = Y[idx, t]
    months_back = min_recent[1] if min_recent else 1
    recent = np.nansum(Y[idx, max(0, t - months_back + 1) : t + 1], axis=1)
    enough = recent >= min_recent[0] if min_recent else np.ones(idx.size, dtype=bool)
    exp_, thr = c["expected"], c["threshold"]
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(thr > exp_, (obs - exp_) / (thr - exp_), np.nan)
    # surveillance's own alarm rule where given (method="surveillance"), else vrkit's
    alert = c["alarm"].astype(bool) if "alarm" in c else (obs > thr) & (obs > 0) & enough
    q = benjamini_hochberg(c["p_value"])
    df = pd.DataFrame(
        {
            "area_code": codes[idx].astype(str),
            "month": target,
            "observed": obs.astype("int64"),
            "expected": exp_,
            "threshold": thr,
            "score": score,
            "p_value": c["p_value"],
            "q_value": q,
            "alert": alert,
            "alert_fdr": alert & (q <= fdr),
            "method": c["method"].astype(str),
            "dispersion": c["dispersion"],
            "trend": c["trend"].astype(bool),
            "n_baseline": c["n_baseline"].astype("int64"),
            "years_back": c["years_back"].astype("int64"),
            "recent_total": recent.astype("int64"),
            "chance_alert_prob": c["chance"],
        }
    )
    df = df.sort_values(
        ["alert", "score", "p_value", "area_code"],
        ascending=[False, False, True, True],
        na_position="last",
    )
    return df.reset_index(drop=True)[cols]

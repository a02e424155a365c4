"""``farringtonFlexible`` of the R package *surveillance*, step for step, for monthly series.

This is the engine of ``detect_exceedances(method="surveillance")``. It reproduces what
``surveillance::farringtonFlexible`` (version 1.20.3, as packaged by Debian bookworm) returns for
an ``sts`` object of monthly counts, including the behaviour of R's ``glm.fit``,
``summary.glm``, ``predict.glm`` and ``qnbinom`` that the result depends on. Each function
below names the R function it mirrors. vrkit's own default (``method="farrington"``) departs
from this on purpose; the departures and their measured effect are listed in
``docs/early-warning.md``.

The steps for a target month ``k`` (R names in brackets):

1. **Reference months and blocks** (``algo.farrington.referencetimepoints``, ``blocks``): the
   months ``k, k−12, …, k−12b``; the window ``k−w … k`` and each past ``r−w … r+w`` get the
   level ``noPeriods``; the ``12 − 2w − 1`` months between two windows are cut into
   ``noPeriods − 1`` blocks of (nearly) equal length, the first blocks taking the remainder.
   The baseline runs from ``k − 12b − w`` to ``k``.
2. **pastWeeksNotIncluded** (``algo.farrington.data.glm``): months ``k − past … k`` are set
   aside; missing months are dropped (vrkit also drops catalogued excluded months here, which
   is what setting them NA in the ``sts`` object does). The factor keeps every level present
   in the baseline, the first (lowest) being the reference of treatment contrasts.
3. **Model** (``formulaGLM``, ``algo.farrington.fitGLM.flexible``): ``response ~ 1 + wtime +
   seasgroups``, quasi-Poisson, log link. ``wtime`` is the month index of an ``sts`` built
   with ``start``/``frequency`` (``trend_time="months"``), or days divided by the length of
   the series' first interval with ``epochAsDate = TRUE`` (``trend_time="days"``). Aliased
   columns are dropped in order, as R's pivoting QR does. Fitted by R's IRLS (start
   ``μ = y + 0.1``, at most 25 iterations, stop when the relative change in deviance is below
   1e-8). If the trend model does not converge it is refitted without trend; if that does not
   converge either, surveillance returns NA (vrkit lists the area as skipped).
4. **Dispersion** (``summary.glm``): ``φ = max(1, Σ w (y − μ)² / μ² / (n − p))`` with ``w`` the
   working weights of the *last IRLS iteration* (prior weight × μ of the previous iteration),
   i.e. almost, but not exactly, Pearson χ² / (n − p).
5. **Reweighting** (``anscombe.residuals``, ``algo.farrington.assign.weights``): Anscombe
   residuals ``s = 3/2 (y^{2/3} μ^{-1/6} − μ^{1/2}) / √(φ(1 − h))`` with ``h`` the hat values of
   the last iteration's weighted QR; weights ``γ s⁻²`` where ``s > weightsThreshold``, ``γ``
   elsewhere, with ``γ`` making them sum to ``n``; refit with these prior weights (convergence
   of the refit is not checked; zero weights drop a month, as in R) and recompute ``φ`` as in
   step 4. Where a month alone determines a parameter its hat value is 1 and R's residual is
   a rounding residue over zero (+Inf, −Inf or NaN, and R stops on NaN): such areas are
   skipped with that reason rather than given an arbitrary result.
6. **Overwritten weights**: ``fitGLM.flexible`` then sets ``model$weights <- omega``. From
   here on ``summary.glm`` and ``predict.glm`` estimate the dispersion as
   ``Σ ω ((y − μ)/μ)² / (n − p)``: the reweighting weights times squared *working* residuals,
   about ``φ / μ``, far below 1 for counts of tens or hundreds.
7. **Trend test** (``algo.farrington.glm``): keep the trend if its ``summary.glm`` t-test
   (with the step-6 dispersion, ``n − p`` degrees of freedom) gives ``p < pThresholdTrend``,
   **and** ``b ≥ 3`` (the "three years" check looks at the parameter ``b``, not at the years
   of data present), **and** the trend model's prediction for ``k`` is at most the largest
   count in the GLM's data ("no extrapolation"); otherwise refit steps 3–5 without trend.
8. **Prediction** (``predict.glm``): ``η₀`` at ``wtime(k)`` and level ``noPeriods``, with
   ``se(η₀)`` from the last iteration's ``(X'WX)⁻¹`` and the step-6 dispersion.
9. **Threshold** (``algo.farrington.threshold.noufaily`` / ``.farrington``):
   ``nbPlugin``: ``U = qnbinom(1 − α, size = μ₀/(φ − 1), prob = 1/φ)`` with ``μ₀ = exp η₀``,
   Poisson if ``φ = 1``; ``muan``: the same with ``μ₀ = exp(η₀ + z₁₋α se(η₀))``; ``delta``
   (original Farrington): ``U = (μ₀^{2/3} + z₁₋α √(4/9 μ₀^{1/3} τ))^{3/2}``,
   ``τ = φ + μ₀ se(η₀)²``. p-value ``P(Y ≥ y)`` under the same distribution.
10. **Alarm** (``farringtonFlexible``): ``limit54 = (c, m)``: the last ``m`` months (target
    included) must total at least ``c`` (NA if any is missing); then alarm if
    ``(y − f)/(U − f) > 1`` and ``y ≠ 0``, where ``f`` is ``predict()``'s fit on the scale the
    threshold method asks for: the *link* scale (``η₀``) for ``nbPlugin`` and ``muan``, the
    response scale for ``delta``. (surveillance reports this ratio as the score; vrkit keeps
    its own count-scale score.)

Discrete quantiles follow R's search: the smallest ``y`` with ``F(y) ≥ p (1 − 64 ε)``.

Checked against R by ``tests/analysis/test_early_warning_reference.py`` (fixture written by
``scripts/farrington_reference.R``): expected counts agree to about 1e-13, thresholds, trend
decisions and alarms exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from vrkit.errors import InputError

#: R's glm.control() defaults
R_GLM_EPSILON = 1e-8
R_GLM_MAXIT = 25
_DBL_EPS = float(np.finfo(float).eps)
#: unweighted leverages this close to 1 are 1 (a month that alone determines a parameter)
HAT_ONE = 1e-8


@dataclass(frozen=True)
class RFit:
    """One batch of quasi-Poisson fits as R's ``glm`` leaves them (see module steps 3–6)."""

    beta: np.ndarray  # S × p (0 for aliased columns)
    mu: np.ndarray  # S × n fitted values (final iteration)
    inv: np.ndarray  # S × p × p, (X' W X)^-1 with the last iteration's working weights
    w_last: np.ndarray  # S × n working weights of the last iteration
    df: np.ndarray  # S residual degrees of freedom (n_obs − rank)
    converged: np.ndarray  # S
    keep: np.ndarray  # S × p, non-aliased columns

    def dispersion(self, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``summary.glm``'s estimate Σ weights·((y − μ)/μ)² / df (NaN if df ≤ 0)."""
        r = np.where(weights > 0, (y - self.mu) / self.mu, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.df > 0, np.sum(weights * r**2, axis=1) / self.df, np.nan)

    def hat(self, X: np.ndarray) -> np.ndarray:
        """Hat values of the weighted QR (``hatvalues``), forced to 1 above 1 − 10ε."""
        h = self.w_last * np.einsum("ni,sij,nj->sn", X, self.inv, X)
        return np.where(h > 1 - 10 * _DBL_EPS, 1.0, h)


def non_aliased(X: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Columns R's pivoting QR keeps, per series: each column in order is kept unless it is
    (numerically) a combination of the columns kept before it on the rows used."""
    out = np.zeros((mask.shape[0], X.shape[1]), dtype=bool)
    patterns, inverse = np.unique(mask, axis=0, return_inverse=True)
    for j, pat in enumerate(patterns):
        Xr = X[pat]
        basis: list[np.ndarray] = []
        kept = np.zeros(X.shape[1], dtype=bool)
        for c in range(X.shape[1]):
            v = Xr[:, c].astype(float)
            norm0 = float(np.linalg.norm(v))
            if norm0 == 0.0:
                continue
            for q in basis:  # modified Gram–Schmidt, twice for stability
                v = v - (q @ v) * q
            for q in basis:
                v = v - (q @ v) * q
            norm = float(np.linalg.norm(v))
            if norm > 1e-7 * norm0:
                basis.append(v / norm)
                kept[c] = True
        out[np.asarray(inverse).ravel() == j] = kept
    return out


def _deviance(y: np.ndarray, mu: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Poisson deviance Σ 2·prior·(y log(y/μ) − (y − μ)) (``poisson()$dev.resids``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)
    return 2.0 * np.sum(np.where(prior > 0, prior * term, 0.0), axis=1)


def leverage_one(X: np.ndarray, used: np.ndarray) -> np.ndarray:
    """Per series: does some month alone determine a parameter (leverage exactly 1)?

    Leverage 1 is a property of the design, not of the weights (``e_i`` lies in the column
    space of ``W^½X`` iff it lies in that of ``X`` for positive weights), so it is found on
    the unweighted, well-conditioned design: the diagonal of its hat matrix on the rows used.
    R's weighted hat value there is 1 up to rounding, which decides its result.
    """
    out = np.zeros(used.shape[0], dtype=bool)
    patterns, inverse = np.unique(used, axis=0, return_inverse=True)
    kept = non_aliased(X, patterns)
    for j, pat in enumerate(patterns):
        q, _ = np.linalg.qr(X[pat][:, kept[j]])
        out[np.asarray(inverse).ravel() == j] = bool(((q**2).sum(axis=1) > 1 - HAT_ONE).any())
    return out


def glm_fit(X: np.ndarray, y: np.ndarray, prior: np.ndarray) -> RFit:
    """R's ``glm.fit`` for ``quasipoisson(link = "log")``, batched over S series.

    ``X`` (n × p) is shared; ``prior`` (S × n) are the prior weights, 0 for rows R would not
    have (missing or left out) and for rows R ignores (zero weight). Columns aliased on the
    rows used are dropped as R's pivoting QR drops them (coefficient NA in R, 0 here). Like
    R, the covariance, hat values and dispersion use the working weights of the last
    iteration (computed from μ before its update), not weights recomputed at the final μ.
    """
    s, n = y.shape
    p = X.shape[1]
    used = prior > 0
    keep = non_aliased(X, used)
    y0 = np.where(used, y, 0.0)
    Xk = X[None, :, :] * keep[:, None, :]  # S × n × p, aliased columns zeroed
    fill = (~keep).astype(float)  # unit diagonal for aliased columns: coefficient 0
    diag = np.arange(p)
    mu = y0 + 0.1  # poisson()$initialize: mustart <- y + 0.1
    eta = np.log(mu)
    dev_old = _deviance(y0, mu, prior)
    beta = np.zeros((s, p))
    w_last = np.zeros((s, n))
    converged = np.zeros(s, dtype=bool)
    active = np.arange(s)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for _ in range(R_GLM_MAXIT):
            w = prior[active] * mu[active]  # mu.eta(η)² / variance(μ) for the log link
            z = eta[active] + (y0[active] - mu[active]) / mu[active]
            Xa = Xk[active]
            xtwx = np.einsum("sni,sn,snj->sij", Xa, w, Xa)
            xtwx[:, diag, diag] += fill[active]
            rhs = np.einsum("sni,sn->si", Xa, w * z)[..., None]
            b = _solve(xtwx, rhs)[..., 0]
            eta_a = np.einsum("sni,si->sn", Xa, b)
            mu_a = np.exp(eta_a)
            dev = _deviance(y0[active], mu_a, prior[active])
            done = np.abs(dev - dev_old[active]) / (np.abs(dev) + 0.1) < R_GLM_EPSILON
            beta[active], eta[active], mu[active] = b, eta_a, mu_a
            w_last[active], dev_old[active] = w, dev
            converged[active[done]] = True
            active = active[~done & np.isfinite(dev)]
            if active.size == 0:
                break
        xtwx = np.einsum("sni,sn,snj->sij", Xk, w_last, Xk)
        xtwx[:, diag, diag] += fill
        inv = _solve(xtwx, np.broadcast_to(np.eye(p), xtwx.shape))
        inv = inv * keep[:, :, None] * keep[:, None, :]
    df = used.sum(axis=1) - keep.sum(axis=1)
    return RFit(beta, mu, inv, w_last, df, converged, keep)


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched solve; a pseudo-inverse where a system is numerically singular (weights
    underflowing to 0), which R's pivoting QR would treat as aliasing."""
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a) @ b


def anscombe_weights(
    fit: RFit, X: np.ndarray, y: np.ndarray, used: np.ndarray, phi: np.ndarray, threshold: float
) -> np.ndarray:
    """``anscombe.residuals`` then ``algo.farrington.assign.weights`` (0 where not used)."""
    h = fit.hat(X)
    y0 = np.where(used, y, 0.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = 1.5 * (y0 ** (2 / 3) * fit.mu ** (-1 / 6) - fit.mu**0.5)
        s = s / np.sqrt(phi[:, None] * (1.0 - h))
        big = used & (s > threshold)
        raw = np.where(big, s**-2.0, 1.0)
        gamma = used.sum(axis=1) / np.sum(np.where(used, raw, 0.0), axis=1)
    return np.where(used, gamma[:, None] * raw, 0.0)


@dataclass(frozen=True)
class FlexibleFit:
    """``algo.farrington.fitGLM.flexible`` for one formula (reweight = TRUE)."""

    fit: RFit  # the reweighted fit
    phi: np.ndarray  # max(1, dispersion) of the reweighted fit; NaN where R fails
    omega: np.ndarray  # reweighting weights, which R then stores as model$weights
    first_converged: np.ndarray  # did the unweighted fit converge?
    #: an observation of the unweighted fit has hat value 1 (it alone determines a
    #: parameter): R's Anscombe residual there is ±Inf or NaN depending on rounding
    hat_one: np.ndarray

    def summary_dispersion(self, y: np.ndarray) -> np.ndarray:
        """What ``summary.glm`` / ``predict.glm`` use once ``model$weights`` is ω (step 6)."""
        return self.fit.dispersion(y, self.omega)


def fit_flexible(
    X: np.ndarray, y: np.ndarray, used: np.ndarray, weights_threshold: float
) -> FlexibleFit:
    """Unweighted fit, φ, Anscombe reweighting, weighted refit, φ again."""
    f0 = glm_fit(X, y, used.astype(float))
    hat_one = leverage_one(X, used)
    d0 = f0.dispersion(y, f0.w_last)
    phi0 = np.where(np.isnan(d0), np.nan, np.maximum(d0, 1.0))  # R: max(NaN, 1) is NaN
    omega = anscombe_weights(f0, X, y, used, phi0, weights_threshold)
    good = np.isfinite(phi0) & np.isfinite(omega).all(axis=1)
    f1 = glm_fit(X, y, np.where(good[:, None], omega, used.astype(float)))
    d1 = f1.dispersion(y, f1.w_last)
    phi1 = np.where(good & np.isfinite(d1), np.maximum(d1, 1.0), np.nan)
    return FlexibleFit(f1, phi1, omega, f0.converged, hat_one)


def r_qdiscrete(p: float, cdf: object, start: np.ndarray) -> np.ndarray:
    """Smallest y ≥ 0 with cdf(y) ≥ p·(1 − 64ε), searched from ``start`` (R's qnbinom/qpois)."""
    f = cdf  # a callable of y (array) → P(Y ≤ y)
    target = p * (1 - 64 * _DBL_EPS)
    y = np.maximum(np.nan_to_num(start, nan=0.0, posinf=0.0), 0.0)
    for _ in range(200):
        down = (y > 0) & (f(y - 1) >= target)  # type: ignore[operator]
        if not down.any():
            break
        y = np.where(down, y - 1, y)
    for _ in range(200):
        up = f(y) < target  # type: ignore[operator]
        if not up.any():
            break
        y = np.where(up, y + 1, y)
    return y


def nb_or_poisson_quantile(q: float, mean: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """``qnbinom(q, mean/(φ − 1), 1/φ)`` where φ > 1, ``qpois(q, mean)`` where φ = 1."""
    over = phi > 1.0
    size = np.where(over, mean / np.where(over, phi - 1.0, 1.0), 1.0)
    prob = 1.0 / np.where(over, phi, 2.0)

    def cdf(y: np.ndarray) -> np.ndarray:
        return np.where(over, stats.nbinom.cdf(y, size, prob), stats.poisson.cdf(y, mean))

    start = np.where(over, stats.nbinom.ppf(q, size, prob), stats.poisson.ppf(q, mean))
    return r_qdiscrete(q, cdf, start)


def nb_or_poisson_sf(x: np.ndarray, mean: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """``pnbinom(x, …, lower.tail = FALSE)`` where φ ≠ 1, else ``ppois(x, …, FALSE)``."""
    over = phi != 1.0
    size = np.where(over, mean / np.where(over, phi - 1.0, 1.0), 1.0)
    prob = 1.0 / np.where(over, phi, 2.0)
    return np.where(over, stats.nbinom.sf(x, size, prob), stats.poisson.sf(x, mean))


def blocks(t: int, b: int, w: int, n_periods: int) -> dict[int, int]:
    """``blocks()``: the factor level of every month of the baseline period, by position.

    Positions are indices into the monthly series, ``t`` the target. Raises ``InputError``
    where a block would be empty (surveillance then silently overlaps blocks).
    """
    level: dict[int, int] = {pos: n_periods for pos in range(t - w, t + 1)}
    refs = [t - 12 * i for i in range(b + 1)]
    for i in range(1, b + 1):
        ref = refs[i]
        for pos in range(ref - w, ref + w + 1):
            level[pos] = n_periods
        if n_periods != 1:
            period = refs[i - 1] - 2 * w - 1 - ref
            base, rest = divmod(period, n_periods - 1)
            if base == 0:
                raise InputError(
                    f"method='surveillance': noPeriods = {n_periods} needs "
                    f"{n_periods - 1} months between windows; w = {w} leaves {period}",
                    hint="Lower n_periods or half_window.",
                )
            start = ref + w + 1
            for j in range(1, n_periods):
                size = base + (1 if j <= rest else 0)
                for pos in range(start, start + size):
                    level[pos] = j
                start += size
    return level


@dataclass(frozen=True)
class Design:
    """Model matrices in R's column order: intercept, wtime (trend only), seasgroups dummies."""

    positions: np.ndarray  # baseline positions (months) used
    X_trend: np.ndarray
    x0_trend: np.ndarray  # prediction row for the target
    X_flat: np.ndarray
    x0_flat: np.ndarray
    trend_col: int


def design(t: int, b: int, w: int, n_periods: int, past_excluded: int, time: np.ndarray) -> Design:
    """``algo.farrington.data.glm`` and ``formulaGLM`` for the target position ``t``.

    ``time`` gives ``wtime`` for every position (any affine rescaling gives the same fit).
    """
    lev = blocks(t, b, w, n_periods)
    for pos in range(t - past_excluded, t + 1):  # pastWeeksNotIncluded
        lev.pop(pos, None)
    positions = np.array(sorted(lev))
    g = np.array([lev[int(p)] for p in positions])
    levels = sorted(set(g.tolist())) if n_periods != 1 else []
    wt = time[positions] - time[t]
    dummies = [(g == lv).astype(float) for lv in levels[1:]]
    d0 = [float(n_periods == lv) for lv in levels[1:]]
    if n_periods != 1 and n_periods not in levels:
        raise InputError(
            f"method='surveillance': no baseline month is in the target's window "
            f"(past_months_excluded = {past_excluded} leaves none)",
            hint="Lower past_months_excluded.",
        )
    one = np.ones(len(positions))
    return Design(
        positions=positions,
        X_trend=np.column_stack([one, wt, *dummies]),
        x0_trend=np.array([1.0, 0.0, *d0]),
        X_flat=np.column_stack([one, *dummies]),
        x0_flat=np.array([1.0, *d0]),
        trend_col=1,
    )


def farrington_flexible(
    Y: np.ndarray,
    excluded: np.ndarray,
    t: int,
    time: np.ndarray,
    *,
    b: int,
    w: int,
    n_periods: int,
    past_excluded: int,
    weights_threshold: float,
    trend_p: float,
    alpha: float,
    threshold_method: str,
    limit54: tuple[int, int],
) -> dict[str, np.ndarray]:
    """All steps for the target position ``t`` of the S series in ``Y`` (S × T, NaN missing).

    Returns arrays over the series: ``expected`` (exp η₀), ``upper``, ``p_value``, ``phi``,
    ``trend``, ``alarm``, ``score_r`` (surveillance's score), ``chance`` (P(Y > U)),
    ``n_baseline``, ``enough`` (the limit54 condition) and ``reason`` ("" where a result exists,
    else why surveillance would give NA or stop).
    """
    s = Y.shape[0]
    reason = np.full(s, "", dtype=object)
    d = design(t, b, w, n_periods, past_excluded, time)
    yb = Y[:, d.positions]
    used = ~np.isnan(yb) & ~excluded[d.positions][None, :]
    yb = np.where(used, yb, 0.0)
    n_obs = used.sum(axis=1)

    tr = fit_flexible(d.X_trend, yb, used, weights_threshold)
    fl = fit_flexible(d.X_flat, yb, used, weights_threshold)
    k = d.trend_col
    with_trend = tr.first_converged  # else fitGLM.flexible has already dropped the trend
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pred_tr = np.exp(tr.fit.beta @ d.x0_trend)
        se_tr = np.sqrt(tr.fit.inv[:, k, k] * tr.summary_dispersion(yb))
        p_tr = 2.0 * stats.t.sf(np.abs(tr.fit.beta[:, k] / se_tr), np.maximum(tr.fit.df, 1))
    ymax = np.max(np.where(used, yb, -np.inf), axis=1)
    do_trend = with_trend & (b >= 3) & (p_tr < trend_p) & (pred_tr <= ymax)
    undecided = with_trend & (np.isnan(p_tr) | ~tr.fit.keep[:, k] | ~np.isfinite(tr.phi))
    reason[undecided] = "the trend test is undefined (too few baseline months)"
    reason[~with_trend & ~fl.first_converged] = (
        "the GLM did not converge with or without trend (surveillance returns NA)"
    )
    reason[(reason == "") & (tr.hat_one | fl.hat_one)] = (
        "a seasonal level has one baseline month (hat value 1): surveillance's Anscombe "
        "residual there is +Inf, -Inf or NaN by floating-point rounding, so its result is "
        "arbitrary or an error; not reproduced"
    )

    beta = np.where(do_trend[:, None], tr.fit.beta, _pad(fl.fit.beta, k))
    x0 = d.x0_trend
    inv = np.where(do_trend[:, None, None], tr.fit.inv, _pad2(fl.fit.inv, k))
    disp = np.where(do_trend, tr.summary_dispersion(yb), fl.summary_dispersion(yb))
    phi = np.where(do_trend, tr.phi, fl.phi)
    reason[(reason == "") & ~np.isfinite(phi)] = (
        "too few baseline months for the GLM's dispersion (surveillance returns NA)"
    )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        eta0 = beta @ x0
        se_eta = np.sqrt(np.einsum("i,sij,j->s", x0, inv, x0) * disp)
        mu0 = np.exp(eta0)
        y = Y[:, t]
        z = stats.norm.ppf(1.0 - alpha)
        phi_ = np.where(np.isfinite(phi), phi, 1.0)
        if threshold_method == "delta":
            tau = phi_ + se_eta**2 * mu0  # φ + predSeFit²/μ₀, predSeFit = se(η₀)·μ₀
            se_t = np.sqrt(4.0 / 9.0 * mu0 ** (1.0 / 3.0) * tau)
            upper = (mu0 ** (2.0 / 3.0) + z * se_t) ** 1.5
            p_value = stats.norm.sf(y ** (2.0 / 3.0), mu0 ** (2.0 / 3.0), se_t)
            chance = stats.norm.sf((np.floor(upper) + 1.0) ** (2.0 / 3.0), mu0 ** (2.0 / 3.0), se_t)
            fit_scale = mu0
        else:
            mu_q = mu0 if threshold_method == "nb_plugin" else np.exp(eta0 + z * se_eta)
            ok_q = np.isfinite(mu_q)
            mu_q = np.where(ok_q, mu_q, 1.0)
            upper = np.where(ok_q, nb_or_poisson_quantile(1.0 - alpha, mu_q, phi_), np.nan)
            p_value = nb_or_poisson_sf(y - 1.0, mu_q, phi_)
            chance = nb_or_poisson_sf(upper, mu_q, phi_)
            fit_scale = eta0
        reason[(reason == "") & ~np.isfinite(upper)] = "the expected count overflows"
        score_r = (y - fit_scale) / (upper - fit_scale)
    c, m = limit54
    recent = Y[:, t - m + 1 : t + 1]
    enough = ~np.isnan(recent).any(axis=1) & (np.nansum(recent, axis=1) >= c)
    alarm = enough & (score_r > 1) & (y != 0)
    return {
        "expected": mu0,
        "upper": upper,
        "p_value": np.clip(p_value, 0.0, 1.0),
        "phi": phi,
        "trend": do_trend,
        "alarm": alarm,
        "score_r": score_r,
        "chance": chance,
        "n_baseline": n_obs,
        "enough": enough,
        "reason": reason,
    }


def _pad(beta: np.ndarray, k: int) -> np.ndarray:
    """No-trend coefficients in the trend model's layout (0 for the trend at column k)."""
    return np.insert(beta, k, 0.0, axis=1)


def _pad2(inv: np.ndarray, k: int) -> np.ndarray:
    return np.insert(np.insert(inv, k, 0.0, axis=1), k, 0.0, axis=2)

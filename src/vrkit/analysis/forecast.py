"""Forecasts of monthly counts 1–12 months ahead with 80 % and 95 % prediction intervals.

Model (per area): a **negative-binomial (NB2) regression** fitted by maximum likelihood
(statsmodels ``NegativeBinomial``), log μ_t = β₀ + β₁·t + γ_{month(t)}, with 11 month-of-year
effects and a linear trend on the log scale, Var(Y) = μ + αμ². It is fitted on the last
``fit_months`` months (default 60) of history; months in catalogued periods (by default the
COVID-19 restriction periods, kind ``restriction``) and missing months are left out of the fit
(missing is not zero).

Intervals are **simulated** and include parameter uncertainty: for each of ``n_sims`` draws,
(β, log α) is drawn from its asymptotic normal distribution (the ML estimate and the inverse
Hessian, log α by the delta method), the mean μ*_h of each future month is computed from the
drawn β, and a count is drawn from NB2(μ*_h, α*) as a gamma–Poisson mixture. The interval
limits are the empirical quantiles of the simulated counts (0.025/0.975 and 0.10/0.90); the
point forecast ``mean`` is the mean of the simulated counts. This is the "simulation from the
fitted model including parameter uncertainty" approach of Gelman & Hill (2007, ch. 7) and of
statsmodels' ``get_prediction`` for GLMs, extended to the predictive distribution of counts.
Everything is reproducible with ``seed``.

References
----------
Cameron AC, Trivedi PK (2013). *Regression Analysis of Count Data*, 2nd ed., ch. 3 (NB2).
Gelman A, Hill J (2007). *Data Analysis Using Regression and Multilevel/Hierarchical Models*,
ch. 7 (simulation of predictive uncertainty).
Hyndman RJ, Athanasopoulos G (2021). *Forecasting: Principles and Practice*, 3rd ed., §5.5
(prediction intervals).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from vrkit.analysis.breaks import SeriesBreak, fit_start
from vrkit.analysis.early_warning import count_matrix, excluded_months, parse_month
from vrkit.errors import InputError

REFERENCE = (
    "NB2 regression with month-of-year effects and log-linear trend (Cameron & Trivedi 2013); "
    "intervals by simulation including parameter uncertainty (Gelman & Hill 2007, ch. 7)"
)
METHOD = "nb2_glm_month_trend_simulated"
MIN_FIT_MONTHS = 24


@dataclass(frozen=True)
class ForecastParams:
    """Parameters a forecast used."""

    method: str
    horizon: int
    levels: tuple[float, float]
    fit_months: int
    min_fit_months: int
    origin: str
    exclude_kinds: tuple[str, ...]
    excluded_months: tuple[str, ...]
    n_sims: int
    seed: int | None
    reference: str
    #: first month the fit may use: the latest catalogued series break at or before the origin
    fit_from: str | None = None
    series_break: str | None = None


@dataclass(frozen=True)
class ForecastResult:
    """Forecasts per area.

    Attributes
    ----------
    table : DataFrame
        ``area_code, month, horizon, mean, median, lower_80, upper_80, lower_95, upper_95``.
    fits : DataFrame
        ``area_code, n_fit, alpha, trend_per_year, converged`` (trend as a yearly % change).
    history : DataFrame
        The observed series used (``area_code, month, count``; NaN = missing).
    skipped : DataFrame
        ``area_code, reason`` for areas that could not be forecast.
    params : ForecastParams
    """

    table: pd.DataFrame
    fits: pd.DataFrame
    history: pd.DataFrame
    skipped: pd.DataFrame
    params: ForecastParams


def _design(month_index: np.ndarray, month_of_year: np.ndarray) -> np.ndarray:
    """Intercept, trend (years), and 11 month-of-year dummies (January is the reference)."""
    cols = [np.ones(len(month_index)), month_index / 12.0]
    for m in range(2, 13):
        cols.append((month_of_year == m).astype(float))
    return np.column_stack(cols)


def _pearson_alpha(y: np.ndarray, mu: np.ndarray, df: int) -> float:
    """α solving Σ (y − μ)² / (μ + αμ²) = n − p (0 if the data are not over-dispersed)."""
    from scipy.optimize import brentq

    def f(a: float) -> float:
        return float(np.sum((y - mu) ** 2 / (mu + a * mu**2)) - df)

    if df <= 0 or f(0.0) <= 0:
        return 0.0
    return 100.0 if f(100.0) > 0 else float(brentq(f, 0.0, 100.0))


def _fit_nb(y: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """NB2 fit: β by IRLS given α, α by the df-corrected Pearson equation, alternated.

    The Pearson (moment) estimator of α (Breslow 1984; Cameron & Trivedi 2013 §3.2) is used
    instead of ML because ML α is biased low in 5-year monthly series: with it, 95 %
    intervals covered ≈ 91 % in our simulations. Returns (β and log α, their covariance,
    converged). The covariance is the inverse of the negative NB2 log-likelihood Hessian at
    the estimates (delta method for log α); where α is at its boundary (no over-dispersion)
    or the Hessian is not invertible, α is treated as known and only β varies.
    """
    import statsmodels.api as sm
    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    df = len(y) - X.shape[1]
    alpha = 0.0
    converged = False
    res = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(20):
            family = (
                sm.families.NegativeBinomial(alpha=alpha) if alpha > 0 else sm.families.Poisson()
            )
            res = sm.GLM(y, X, family=family).fit()
            new = _pearson_alpha(y, np.asarray(res.fittedvalues), df)
            if abs(new - alpha) <= 1e-6 * max(alpha, 1e-6):
                alpha = new
                converged = bool(res.converged)
                break
            alpha = new
        assert res is not None
        beta = np.asarray(res.params, dtype=float)
        cov_beta = np.asarray(res.cov_params(), dtype=float)
        cov = np.zeros((len(beta) + 1, len(beta) + 1))
        cov[:-1, :-1] = cov_beta
        if alpha > 1e-4:
            try:
                hess = NegativeBinomial(y, X, loglike_method="nb2").hessian(np.r_[beta, alpha])
                joint = np.linalg.inv(-hess)
                if np.all(np.isfinite(joint)) and np.all(np.linalg.eigvalsh(joint) > 0):
                    jac = np.ones(len(beta) + 1)
                    jac[-1] = 1.0 / alpha
                    cov = joint * np.outer(jac, jac)
            except np.linalg.LinAlgError:
                pass
    theta = np.r_[beta, np.log(max(alpha, 1e-10))]
    return theta, cov, converged


def forecast_counts(
    counts: pd.DataFrame,
    *,
    horizon: int = 12,
    origin: str | date | pd.Timestamp | None = None,
    fit_months: int = 60,
    exclude_kinds: tuple[str, ...] = ("restriction",),
    levels: tuple[float, float] = (0.80, 0.95),
    n_sims: int = 4000,
    seed: int | None = 0,
    breaks: Sequence[SeriesBreak] = (),
) -> ForecastResult:
    """Forecast each area's monthly counts 1–``horizon`` months after ``origin``.

    Parameters
    ----------
    counts : DataFrame
        Long counts ``area_code, month, count`` (NaN or absent = missing). Not modified.
    horizon : int
        Months ahead, 1–12.
    origin : month, optional
        Last month of history used (default: the last month in ``counts``); later data are
        ignored, which is how the backtest uses this function.
    fit_months : int
        Months of history (ending at ``origin``) the model is fitted on.
    exclude_kinds : tuple of str
        Kinds of catalogued events whose months are left out of the fit.
    levels : (float, float)
        Central prediction-interval levels; columns are named ``lower_80`` … ``upper_95``
        after them.
    n_sims, seed
        Simulations per area and the seed.
    breaks : sequence of SeriesBreak
        Catalogued series breaks of the measure (:func:`vrkit.analysis.breaks.series_breaks`):
        the model is fitted on the months after the latest break at or before ``origin`` only
        (never straight through a change of recording basis); an area with too few months
        since the break is skipped with that reason.

    Returns
    -------
    ForecastResult

    Raises
    ------
    InputError
        Bad columns or counts (see :func:`vrkit.analysis.early_warning.count_matrix`), a
        horizon outside 1–12, an origin outside the data, or no area with enough history.
    """
    if not 1 <= horizon <= 12:
        raise InputError(f"horizon must be 1–12 months (got {horizon})")
    if fit_months < MIN_FIT_MONTHS:
        raise InputError(f"fit_months must be ≥ {MIN_FIT_MONTHS} (got {fit_months})")
    if n_sims < 200:
        raise InputError(f"n_sims must be ≥ 200 for stable 95 % limits (got {n_sims})")
    if not all(0 < lv < 1 for lv in levels):
        raise InputError(f"levels must be between 0 and 1 (got {levels})")
    codes, months, Y = count_matrix(counts)
    end = parse_month(origin) if origin is not None else months[-1]
    if end < months[0] or end > months[-1]:
        raise InputError(
            f"origin {end:%Y-%m} is outside the data ({months[0]:%Y-%m} to {months[-1]:%Y-%m})"
        )
    t_end = int(months.get_loc(end))
    t0 = max(0, t_end - fit_months + 1)
    brk_from = fit_start(breaks, end)
    brk = None
    if brk_from is not None and brk_from > months[t0]:
        t0 = int(np.searchsorted(months, brk_from))
        brk = next(b for b in breaks if pd.Timestamp(b.start) == brk_from)
    fit_idx = np.arange(t0, t_end + 1)
    excl = pd.DatetimeIndex(excluded_months(exclude_kinds))
    usable_month = ~months[fit_idx].isin(excl)
    future = pd.date_range(end + pd.offsets.MonthBegin(1), periods=horizon, freq="MS")
    X_fit = _design(fit_idx - t_end, months[fit_idx].month.to_numpy())
    X_new = _design(np.arange(1, horizon + 1), future.month.to_numpy())
    names = [f"{round(100 * lv)}" for lv in levels]
    q = {n: ((1 - lv) / 2, 1 - (1 - lv) / 2) for n, lv in zip(names, levels, strict=True)}

    rows: list[pd.DataFrame] = []
    fits: list[dict[str, object]] = []
    skipped: list[tuple[str, str]] = []
    children = np.random.SeedSequence(seed).spawn(len(codes))
    for i, code in enumerate(codes):
        y = Y[i, fit_idx]
        ok = ~np.isnan(y) & usable_month
        if ok.sum() < MIN_FIT_MONTHS:
            since = f" since the series break ({brk.label}, {brk.start:%Y-%m})" if brk else ""
            skipped.append(
                (
                    str(code),
                    f"too little history{since}: {int(ok.sum())} usable months up to "
                    f"{end:%Y-%m} (need ≥ {MIN_FIT_MONTHS})",
                )
            )
            continue
        if np.nansum(y[ok]) == 0:
            skipped.append((str(code), "all usable months are zero: no model can be fitted"))
            continue
        try:
            theta, cov, conv = _fit_nb(y[ok], X_fit[ok])
        except np.linalg.LinAlgError:
            skipped.append((str(code), "negative-binomial fit failed"))
            continue
        rng = np.random.default_rng(children[i])
        cov = (cov + cov.T) / 2
        draws = rng.multivariate_normal(theta, cov, size=n_sims, method="eigh")
        beta, log_alpha = draws[:, :-1], np.clip(draws[:, -1], -20.0, 5.0)
        mu = np.exp(np.clip(beta @ X_new.T, -30.0, 30.0))  # n_sims × horizon
        if theta[-1] <= np.log(1e-9):  # no over-dispersion: Poisson
            sims = rng.poisson(mu).astype(float)
        else:
            alpha = np.exp(log_alpha)[:, None]
            sims = rng.poisson(rng.gamma(1.0 / alpha, mu * alpha)).astype(float)
        frame = {
            "area_code": str(code),
            "month": future,
            "horizon": np.arange(1, horizon + 1),
            "mean": sims.mean(axis=0),
            "median": np.quantile(sims, 0.5, axis=0),
        }
        for n, (lo, hi) in q.items():
            frame[f"lower_{n}"] = np.quantile(sims, lo, axis=0)
            frame[f"upper_{n}"] = np.quantile(sims, hi, axis=0)
        rows.append(pd.DataFrame(frame))
        fits.append(
            {
                "area_code": str(code),
                "n_fit": int(ok.sum()),
                "alpha": float(np.exp(theta[-1])),
                "trend_per_year": float(100 * (np.exp(theta[1]) - 1)),
                "converged": bool(conv),
            }
        )
    if not rows:
        reasons = "; ".join(f"{c}: {r}" for c, r in skipped[:3])
        raise InputError(f"no area could be forecast ({reasons})")
    hist_cols = pd.DataFrame(Y[:, : t_end + 1], index=codes, columns=months[: t_end + 1])
    history = (
        hist_cols.rename_axis(index="area_code", columns="month")
        .stack(future_stack=True)
        .rename("count")
        .reset_index()
    )
    params = ForecastParams(
        method=METHOD,
        horizon=horizon,
        levels=(float(levels[0]), float(levels[1])),
        fit_months=fit_months,
        min_fit_months=MIN_FIT_MONTHS,
        origin=f"{end:%Y-%m}",
        exclude_kinds=tuple(exclude_kinds),
        excluded_months=tuple(f"{m:%Y-%m}" for m in excl),
        n_sims=n_sims,
        seed=seed,
        reference=REFERENCE,
        fit_from=f"{brk_from:%Y-%m}" if brk is not None else None,
        series_break=brk.label if brk is not None else None,
    )
    return ForecastResult(
        table=pd.concat(rows, ignore_index=True),
        fits=pd.DataFrame(fits),
        history=history,
        skipped=pd.DataFrame(skipped, columns=["area_code", "reason"]),
        params=params,
    )

"""Honest accuracy figures: rolling-origin evaluation of count forecasts, and place forecasts.

Count forecasts (:func:`rolling_origin`)
    At each origin, :func:`vrkit.analysis.forecast.forecast_counts` sees only the data up to
    that month and forecasts 1–h months ahead; the forecasts are compared with what happened
    (Tashman 2000, "out-of-sample tests of forecasting accuracy"; Hyndman & Athanasopoulos
    2021 §5.10 "time series cross-validation").

    - **MAE** = mean |y − ŷ| over all forecasts (ŷ = mean of the predictive distribution).
    - **MASE** (Hyndman & Koehler 2006, seasonal version, m = 12): each error is scaled by the
      in-sample MAE of the seasonal-naive forecast on that area's training window at that
      origin, (1 / (n − 12)) Σ |y_t − y_{t−12}|; MASE is the mean of the scaled absolute
      errors. MASE < 1: better than the in-sample seasonal-naive method.
    - ``mae_naive``: MAE of the out-of-sample seasonal-naive forecast (the count 12 months
      before the target month, known at the origin since h ≤ 12), and ``relative_mae`` = the
      model's MAE / mae_naive on the same forecasts.
    - **Coverage**: share of outcomes inside the 80 % and 95 % prediction intervals.

    Months in catalogued restriction periods (COVID-19 lockdowns) are left out of the headline
    figures by default (no model built on the past forecasts a lockdown); figures including
    them are also returned. Missing outcomes are left out, never counted as zero.

Place forecasts (:func:`place_accuracy`, :func:`place_backtest`)
    Units (LSOAs, wards, grid cells) are ranked by predicted density (prediction / area;
    ties broken by observed count ascending, the conservative rule of Wheeler's ptools) and
    the top k are the predicted hot spots. With n the crimes in the top k in the evaluation
    period, N all crimes, a the area of the top k and A the total area:

    - **Hit rate** = n / N (Chainey, Tompson & Uhlig 2008).
    - **PAI** (predictive accuracy index) = (n / N) / (a / A) (Chainey, Tompson & Uhlig 2008).
    - **PEI** (predictive efficiency index) = PAI / PAI*, where PAI* is the PAI of the k units
      with the highest *observed* density (Hunt 2016, in the form of Wheeler's ptools ``pai``:
      the oracle has the same number of units; with equal-sized units this equals Hunt's
      "maximum PAI for the same area"). 1 = as good as a perfect oracle.
    - **RRI** (recapture rate index; Levine 2008) = (n / n₀) / (N / N₀), where n₀ and N₀
      are the crimes in the same top-k units and in all units in the period the prediction
      was based on (``baseline``; defaults to the prediction itself). RRI > 1: the hot spots
      recaptured more than their share of the change. Wheeler's ptools reports instead
      Σ predicted / Σ observed over the top k; it is returned as ``rri_ptools``.

References
----------
Hyndman RJ, Koehler AB (2006). Another look at measures of forecast accuracy. *International
Journal of Forecasting* 22(4):679–688.
Tashman LJ (2000). Out-of-sample tests of forecasting accuracy: an analysis and review.
*International Journal of Forecasting* 16(4):437–450.
Chainey S, Tompson L, Uhlig S (2008). The utility of hotspot mapping for predicting spatial
patterns of crime. *Security Journal* 21:4–28.
Hunt JM (2016). *Do crime hot spots move? Exploring the effects of the modifiable areal unit
problem and modifiable temporal unit problem on crime hot spot stability.* PhD thesis,
American University.
Levine N (2008). The "hottest" part of a hotspot: comments on "The utility of hotspot mapping
for predicting spatial patterns of crime". *Security Journal* 21:295–302.
Wheeler AP (2023). ptools: tools for poisson data (R package), ``pai()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from vrkit.analysis._validate import require_columns
from vrkit.analysis.early_warning import count_matrix, excluded_months, parse_month
from vrkit.analysis.forecast import forecast_counts
from vrkit.errors import InputError

DEFINITIONS: dict[str, str] = {
    "mae": "Mean absolute error |y − ŷ| over all forecasts (ŷ = predictive mean).",
    "mase": (
        "Mean absolute scaled error (Hyndman & Koehler 2006), seasonal m = 12: each error "
        "divided by the in-sample MAE of the seasonal-naive forecast on the training window."
    ),
    "coverage_80": "Share of outcomes inside the central 80 % prediction interval.",
    "coverage_95": "Share of outcomes inside the central 95 % prediction interval.",
    "hit_rate": "n / N: share of the evaluation period's crimes in the top-k predicted units "
    "(Chainey, Tompson & Uhlig 2008).",
    "pai": "(n / N) / (a / A): hit rate over the share of area (Chainey, Tompson & Uhlig 2008).",
    "pei": "PAI / PAI* where PAI* is the PAI of the k units with the highest observed density "
    "(Hunt 2016, as in Wheeler's ptools: oracle with the same number of units).",
    "rri": "(n / n0) / (N / N0): recapture rate index (Levine 2008); n0, N0 are crimes in the "
    "same units and in all units in the period the prediction was based on.",
    "rri_ptools": "Σ predicted / Σ observed over the top k (Wheeler's ptools 'RRI').",
}


@dataclass(frozen=True)
class BacktestParams:
    """Parameters of a rolling-origin evaluation."""

    method: str
    origins: tuple[str, ...]
    horizon: int
    fit_months: int
    season: int
    exclude_evaluation_kinds: tuple[str, ...]
    n_sims: int
    seed: int | None
    reference: str


@dataclass(frozen=True)
class BacktestResult:
    """Rolling-origin accuracy.

    Attributes
    ----------
    forecasts : DataFrame
        ``area_code, origin, month, horizon, observed, forecast, naive, lower_80, upper_80,
        lower_95, upper_95, scale, in_excluded_period``.
    metrics : dict
        ``mae, mase, coverage_80, coverage_95, mae_naive, relative_mae, n_forecasts`` over
        forecasts outside excluded periods.
    metrics_all_months : dict
        The same over every forecast.
    by_horizon : DataFrame
        The metrics per horizon (excluded periods left out).
    params : BacktestParams
    """

    forecasts: pd.DataFrame
    metrics: dict[str, float]
    metrics_all_months: dict[str, float]
    by_horizon: pd.DataFrame
    params: BacktestParams


@dataclass(frozen=True)
class PlaceAccuracy:
    """Accuracy of a top-k place forecast (definitions in :data:`DEFINITIONS`)."""

    k: int
    n_units: int
    hit_rate: float
    pai: float
    pei: float
    rri: float
    rri_ptools: float
    area_share: float
    crimes_in_top_k: float
    crimes_total: float
    equal_areas: bool


def _metrics(f: pd.DataFrame) -> dict[str, float]:
    if f.empty:
        return {
            k: float("nan")
            for k in ("mae", "mase", "coverage_80", "coverage_95", "mae_naive", "relative_mae")
        } | {"n_forecasts": 0.0}
    err = (f["observed"] - f["forecast"]).abs()
    naive_ok = f["naive"].notna()
    mae_naive = float((f.loc[naive_ok, "observed"] - f.loc[naive_ok, "naive"]).abs().mean())
    mae_model_same = float(err[naive_ok].mean())
    return {
        "mae": float(err.mean()),
        "mase": float((err / f["scale"]).mean()),
        "coverage_80": float(f["observed"].between(f["lower_80"], f["upper_80"]).mean()),
        "coverage_95": float(f["observed"].between(f["lower_95"], f["upper_95"]).mean()),
        "mae_naive": mae_naive,
        "relative_mae": mae_model_same / mae_naive if mae_naive > 0 else float("nan"),
        "n_forecasts": float(len(f)),
    }


def rolling_origin(
    counts: pd.DataFrame,
    origins: list[str | date | pd.Timestamp],
    *,
    horizon: int = 12,
    fit_months: int = 60,
    exclude_evaluation_kinds: tuple[str, ...] = ("restriction",),
    n_sims: int = 2000,
    seed: int | None = 0,
) -> BacktestResult:
    """Rolling-origin evaluation of :func:`~vrkit.analysis.forecast.forecast_counts`.

    Parameters
    ----------
    counts : DataFrame
        Long counts ``area_code, month, count`` (NaN or absent = missing). Not modified.
    origins : list of months
        Last month of data each forecast may use.
    horizon, fit_months, n_sims, seed
        Passed to ``forecast_counts`` (the seed is offset by the origin's position).
    exclude_evaluation_kinds : tuple of str
        Forecasts of months in catalogued periods of these kinds are left out of
        ``metrics`` (still in ``metrics_all_months``).

    Raises
    ------
    InputError
        No origins, an origin outside the data, or no forecast with an observed outcome.
    """
    if not origins:
        raise InputError("no forecast origins given")
    codes, months, Y = count_matrix(counts)
    excl = pd.DatetimeIndex(excluded_months(exclude_evaluation_kinds))
    rows: list[pd.DataFrame] = []
    used: list[str] = []
    for j, o in enumerate(origins):
        origin = parse_month(o)
        res = forecast_counts(
            counts,
            horizon=horizon,
            origin=origin,
            fit_months=fit_months,
            n_sims=n_sims,
            seed=None if seed is None else seed + j,
        )
        used.append(f"{origin:%Y-%m}")
        t_end = int(months.get_loc(origin))
        lo = max(0, t_end - fit_months + 1)
        train = Y[:, lo : t_end + 1]
        diffs = np.abs(train[:, 12:] - train[:, :-12])
        with np.errstate(invalid="ignore"):
            scale = np.nanmean(np.where(np.isnan(diffs), np.nan, diffs), axis=1)
        scale_map = dict(zip(codes.astype(str), scale, strict=True))
        tab = res.table.copy()
        tab["origin"] = origin
        row_of = {c: i for i, c in enumerate(codes.astype(str))}
        ri = tab["area_code"].map(row_of).to_numpy()
        ti = months.get_indexer(pd.DatetimeIndex(tab["month"]))
        inside = ti >= 0
        tab["observed"] = np.where(inside, Y[ri, np.where(inside, ti, 0)], np.nan)
        tn = ti - 12  # seasonal naive: same month a year earlier (known at the origin, h ≤ 12)
        ok_n = inside & (tn >= 0) & (tn <= t_end)
        tab["naive"] = np.where(ok_n, Y[ri, np.where(ok_n, tn, 0)], np.nan)
        tab["scale"] = tab["area_code"].map(scale_map)
        rows.append(tab)
    f = pd.concat(rows, ignore_index=True).rename(columns={"mean": "forecast"})
    f = f[f["observed"].notna() & f["scale"].gt(0)]
    if f.empty:
        raise InputError(
            "no forecast has an observed outcome to compare with",
            hint="Choose origins at least one month before the end of the data.",
        )
    f["in_excluded_period"] = f["month"].isin(excl)
    cols = [
        "area_code", "origin", "month", "horizon", "observed", "forecast", "naive",
        "lower_80", "upper_80", "lower_95", "upper_95", "scale", "in_excluded_period",
    ]  # fmt: skip
    f = f[cols].sort_values(["area_code", "origin", "horizon"]).reset_index(drop=True)
    kept = f[~f["in_excluded_period"]]
    by_h = pd.DataFrame([{"horizon": h} | _metrics(g) for h, g in kept.groupby("horizon")])
    return BacktestResult(
        forecasts=f,
        metrics=_metrics(kept),
        metrics_all_months=_metrics(f),
        by_horizon=by_h,
        params=BacktestParams(
            method="rolling_origin",
            origins=tuple(used),
            horizon=horizon,
            fit_months=fit_months,
            season=12,
            exclude_evaluation_kinds=tuple(exclude_evaluation_kinds),
            n_sims=n_sims,
            seed=seed,
            reference="Hyndman & Koehler (2006); Tashman (2000)",
        ),
    )


def place_accuracy(
    predicted: pd.Series | np.ndarray,
    observed: pd.Series | np.ndarray,
    k: int,
    *,
    area: pd.Series | np.ndarray | None = None,
    baseline: pd.Series | np.ndarray | None = None,
) -> PlaceAccuracy:
    """Hit rate, PAI, PEI and RRI of the top-``k`` predicted units.

    Parameters
    ----------
    predicted : array
        Predicted counts (or scores) per unit.
    observed : array
        Crimes per unit in the evaluation period.
    k : int
        Number of units flagged as hot spots (1 ≤ k ≤ number of units).
    area : array, optional
        Area of each unit (any unit); default equal areas (then a / A = k / n_units).
    baseline : array, optional
        Crimes per unit in the period the prediction was based on (for RRI); default
        ``predicted``.

    Returns
    -------
    PlaceAccuracy
        See the module docstring for the definitions and their sources.
    """
    pred = np.asarray(predicted, dtype=float)
    obs = np.asarray(observed, dtype=float)
    n = len(pred)
    if len(obs) != n:
        raise InputError(f"predicted has {n} units but observed has {len(obs)}")
    ar = np.ones(n) if area is None else np.asarray(area, dtype=float)
    base = pred if baseline is None else np.asarray(baseline, dtype=float)
    if len(ar) != n or len(base) != n:
        raise InputError("area and baseline must have one value per unit")
    for name, v in (("predicted", pred), ("observed", obs), ("area", ar), ("baseline", base)):
        if np.isnan(v).any():
            raise InputError(f"{name} has missing values", hint="Drop or fill units explicitly.")
    if (obs < 0).any() or (base < 0).any():
        raise InputError("observed and baseline counts must be ≥ 0")
    if (ar <= 0).any():
        raise InputError("every unit's area must be > 0")
    if not 1 <= k <= n:
        raise InputError(f"k must be between 1 and the number of units ({n}); got {k}")
    total = obs.sum()
    if total <= 0:
        raise InputError("no crimes observed in the evaluation period: accuracy is undefined")
    # rank by predicted density; ties: observed ascending (conservative, as ptools)
    order = np.lexsort((obs, -(pred / ar)))
    top = order[:k]
    hit = obs[top].sum() / total
    area_share = ar[top].sum() / ar.sum()
    pai = hit / area_share
    best = np.lexsort((-obs, -(obs / ar)))[:k]
    pai_star = (obs[best].sum() / total) / (ar[best].sum() / ar.sum())
    pei = pai / pai_star if pai_star > 0 else float("nan")
    n0, big_n0 = base[top].sum(), base.sum()
    rri = (obs[top].sum() / n0) / (total / big_n0) if n0 > 0 and big_n0 > 0 else float("nan")
    rri_ptools = pred[top].sum() / obs[top].sum() if obs[top].sum() > 0 else float("nan")
    return PlaceAccuracy(
        k=k,
        n_units=n,
        hit_rate=float(hit),
        pai=float(pai),
        pei=float(pei),
        rri=float(rri),
        rri_ptools=float(rri_ptools),
        area_share=float(area_share),
        crimes_in_top_k=float(obs[top].sum()),
        crimes_total=float(total),
        equal_areas=area is None,
    )


def place_backtest(
    counts: pd.DataFrame,
    *,
    period: str = "year",
    k: int = 100,
    predictor: str = "last",
    area: pd.Series | None = None,
    start: int | None = None,
) -> pd.DataFrame:
    """Evaluate "the top k units of the past predict the next period" over consecutive periods.

    Parameters
    ----------
    counts : DataFrame
        ``area_code, <period>, count`` with one row per unit and period (e.g. annual LSOA
        counts). Units missing in a period are left out of that comparison (never zero).
    period : str
        Name of the period column (integer-like, consecutive: years).
    k : int
        Number of units flagged.
    predictor : {"last", "mean3"}
        Prediction for period p: the count in p − 1, or the mean of p − 3 … p − 1.
    area : Series, optional
        Area per ``area_code``; default equal areas.
    start : int, optional
        First evaluated period (default the first with enough history).

    Returns
    -------
    DataFrame
        One row per evaluated period: ``period, k, n_units, hit_rate, pai, pei, rri,
        rri_ptools, area_share``.
    """
    require_columns(counts, ["area_code", period, "count"], "counts")
    if predictor not in ("last", "mean3"):
        raise InputError(f"unknown predictor {predictor!r}", hint="Use last or mean3.")
    known = counts.dropna(subset=["count"])  # missing stays missing (absent), never zero
    wide = known.pivot_table(index="area_code", columns=period, values="count", aggfunc="sum")
    wide = wide.reindex(columns=sorted(counts[period].unique()))
    periods = sorted(wide.columns)
    lag = 1 if predictor == "last" else 3
    rows: list[dict[str, Any]] = []
    for j in range(lag, len(periods)):
        p = periods[j]
        if start is not None and p < start:
            continue
        past = wide[periods[j - lag : j]]
        pred = past.mean(axis=1, skipna=False)
        base = past.iloc[:, -1]
        obs = wide[p]
        ok = pred.notna() & obs.notna() & base.notna()
        if area is not None:
            ar = area.reindex(wide.index)
            ok &= ar.notna()
        if ok.sum() < k:
            continue
        acc = place_accuracy(
            pred[ok].to_numpy(),
            obs[ok].to_numpy(),
            k,
            area=None if area is None else ar[ok].to_numpy(),
            baseline=base[ok].to_numpy(),
        )
        rows.append(
            {
                "period": p,
                "k": k,
                "n_units": acc.n_units,
                "hit_rate": acc.hit_rate,
                "pai": acc.pai,
                "pei": acc.pei,
                "rri": acc.rri,
                "rri_ptools": acc.rri_ptools,
                "area_share": acc.area_share,
            }
        )
    if not rows:
        raise InputError(
            f"no period has {k} units with both a prediction and an outcome",
            hint="Use a smaller k or more periods of data.",
        )
    return pd.DataFrame(rows)

"""Anticipate: alerts (exceedances this month), forecasts and their backtested accuracy."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrkit.analysis.backtest import DEFINITIONS, place_backtest, rolling_origin
from vrkit.analysis.early_warning import AlertResult, detect_exceedances, parse_month
from vrkit.analysis.forecast import ForecastResult, forecast_counts
from vrkit.catalog.areas import resolve_area
from vrkit.catalog.breaks import series_breaks
from vrkit.catalog.measures import get_measure
from vrkit.errors import InputError
from vrkit.outputs import output_file
from vrkit.reports.build.sections import history_explanation
from vrkit.store import queries
from vrkit.store.queries import MONTHLY_SOURCES, monthly_by_geography
from vrkit.store.warehouse import Warehouse
from vrkit.tasks._result import TaskResult

SPARK = "▁▂▃▄▅▆▇█"
METHODS = ("farrington", "surveillance", "cusum", "ewma")
CHART_SUFFIXES = (".svg", ".png", ".html")


def sparkline(values: np.ndarray) -> str:
    """A text sparkline of a series (a blank for a missing month)."""
    v = values[~np.isnan(values)]
    if v.size == 0:
        return ""
    lo, hi = float(v.min()), float(v.max())
    chars = []
    for x in values:
        if np.isnan(x):
            chars.append(" ")
        else:
            i = 0 if hi == lo else round((x - lo) / (hi - lo) * (len(SPARK) - 1))
            chars.append(SPARK[i])
    return "".join(chars)


@dataclass
class AlertsResult(TaskResult):
    """Areas whose count this month exceeds what season and trend explain (``vrkit alerts``).

    Attributes
    ----------
    measure, geography, level, fdr : the request.
    result : the :class:`~vrkit.analysis.early_warning.AlertResult` (every area tested).
    table : every area tested with ``area_name`` and a 12-month ``sparkline``, alerts first.
    explanation : why areas could not be tested, in plain English (None if all were).
    """

    SHEET = "alerts"

    measure: str
    geography: str
    level: float
    fdr: float
    result: AlertResult
    table: pd.DataFrame
    explanation: str | None = None

    FORMATS = ("json", "csv", "xlsx")

    @property
    def alerts(self) -> pd.DataFrame:
        """Only the areas that exceed their threshold."""
        return self.table[self.table["alert"]]

    @property
    def fallback(self) -> int:
        """Areas tested with the non-seasonal fallback (short history)."""
        return int((self.table["method"] == "fallback").sum())

    def chance_sentence(self) -> str:
        """How many alerts chance alone would give (one number, with its meaning)."""
        r = self.result
        return (
            f"{r.n_alerts} alert(s) among {r.n_tested} areas tested "
            f"({r.n_alerts_fdr} marked * survive the false-discovery control at "
            f"{self.fdr:.0%}); about {r.expected_by_chance:.1f} alert(s) would be expected by "
            "chance alone if no area had a real rise (the sum, over the areas, of the chance of "
            f"exceeding the threshold; counts are whole numbers, so this is at most "
            f"{1 - self.level:.0%} of the areas tested)."
        )

    def to_frame(self) -> pd.DataFrame:
        """Every area tested, ``month`` as ``YYYY-MM``."""
        return self.table.assign(month=pd.to_datetime(self.table["month"]).dt.strftime("%Y-%m"))

    def to_dict(self) -> list[dict[str, Any]]:
        """The stable records of :meth:`AlertResult.records` with ``area_name`` and
        ``sparkline``."""
        records = self.result.records()
        for rec, name, spark in zip(
            records, self.table["area_name"], self.table["sparkline"], strict=True
        ):
            rec["area_name"] = None if pd.isna(name) else str(name)
            rec["sparkline"] = spark
        return records

    def render(self, fmt: str) -> str:
        """``json`` (records) or ``csv``."""
        if fmt == "json":
            return json.dumps(self.to_dict(), indent=2) + "\n"
        return super().render(fmt)


def alerts(
    wh: Warehouse,
    *,
    measure: str,
    month: str,
    geography: str = "borough",
    level: float = 0.99,
    method: str = "farrington",
    fdr: float = 0.05,
    threshold_method: str | None = None,
    trend_time: str = "months",
    min_recent: tuple[int, int] | None = (5, 4),
) -> AlertsResult:
    """Exceedance test of every area of a geography for one month, with FDR across areas.

    Parameters
    ----------
    measure : str
        Headline measure (``vrkit measures``).
    month : str
        Month tested, ``YYYY-MM``.
    geography : {"borough", "ward"}
    level : float
        Threshold quantile (0.99: 1 % false alerts per area).
    method : {"farrington", "surveillance", "cusum", "ewma"}
        Improved Farrington (Noufaily et al. 2013); ``surveillance``, R's
        ``surveillance::farringtonFlexible`` exactly (docs/early-warning.md); CUSUM or EWMA.
    fdr : float
        False-discovery rate across areas (Benjamini–Hochberg).
    threshold_method : {"predictive", "nb_plugin", "muan", "delta"} or None
        How the threshold is computed (None: the method's default; see
        :func:`vrkit.analysis.early_warning.detect_exceedances`).
    trend_time : {"months", "days"}
        ``surveillance`` only: the trend's time covariate.
    min_recent : (int, int) or None
        No alert unless the last ``min_recent[1]`` months total at least ``min_recent[0]``
        (None: no such rule).
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}", hint=f"Use {', '.join(METHODS)}.")
    get_measure(measure)
    counts, names = monthly_by_geography(wh, measure, geography)
    res = detect_exceedances(
        counts,
        month,
        method=method,  # type: ignore[arg-type]
        level=level,
        fdr=fdr,
        threshold_method=threshold_method,  # type: ignore[arg-type]
        trend_time=trend_time,  # type: ignore[arg-type]
        min_recent=min_recent,
    )
    table = res.table.merge(names, on="area_code", how="left")
    wide = counts.assign(month=pd.to_datetime(counts["month"])).pivot_table(
        index="area_code", columns="month", values="count", aggfunc="sum"
    )
    last12 = wide.loc[:, : res.month].iloc[:, -12:]
    table["sparkline"] = [
        sparkline(last12.loc[c].to_numpy(dtype=float)) if c in last12.index else ""
        for c in table["area_code"]
    ]
    why = history_explanation(counts, res.skipped, res.month, MONTHLY_SOURCES[geography])
    if res.table.empty:
        raise InputError(
            f"no {geography} could be tested for {res.month:%B %Y}" + (f": {why}" if why else ""),
            hint="Choose a later month, or another --geography.",
        )
    return AlertsResult(measure, geography, level, fdr, res, table, why)


@dataclass
class ForecastOutcome(TaskResult):
    """A forecast of one area (``vrkit forecast``).

    Attributes
    ----------
    measure, area_code, label : what was forecast.
    result : the :class:`~vrkit.analysis.forecast.ForecastResult`.
    table : months ahead with the mean and the 80 %/95 % intervals, ``month`` as ``YYYY-MM``
        and ``area_name``.
    """

    measure: str
    area_code: str
    label: str
    result: ForecastResult
    table: pd.DataFrame

    FORMATS = ("json", "csv", "xlsx")

    def to_frame(self) -> pd.DataFrame:
        """The forecast table."""
        return self.table

    def to_dict(self) -> list[dict[str, Any]]:
        """The forecast rows."""
        return self.table.to_dict("records")

    def render(self, fmt: str) -> str:
        """``json`` or ``csv``."""
        if fmt == "json":
            return json.dumps(self.to_dict(), indent=2) + "\n"
        return super().render(fmt)

    def fit_sentence(self) -> str:
        """The model fitted, in one sentence."""
        f = self.result.fits.iloc[0]
        p = self.result.params
        return (
            f"NB2 regression on {f['n_fit']} months (COVID-19 restriction months left out"
            + (
                f"; fitted from {p.fit_from} only: series break {p.series_break}"
                if p.fit_from
                else ""
            )
            + "); "
            f"trend {f['trend_per_year']:+.1f} %/year; α = {f['alpha']:.4f}; "
            f"{self.result.params.n_sims} simulations, seed {self.result.params.seed}."
        )

    def write_chart(self, path: str | Path, *, force: bool = False) -> Path:
        """History, forecast and intervals as ``.svg``, ``.png`` or ``.html``."""
        from vrkit.reports.render.charts import forecast_chart

        p = check_chart_path(path)
        output_file(p, force=force)
        chart = forecast_chart(
            self.result, label=self.label, measure_label=get_measure(self.measure).label
        )
        chart.save(str(p))
        return p


def check_chart_path(path: str | Path) -> Path:
    """Refuse a chart file type vrkit cannot write (before any work is done)."""
    p = Path(path)
    if p.suffix.lower() not in CHART_SUFFIXES:
        raise InputError(
            f"cannot write a chart as {p.name!r}",
            hint=f"Use a file name ending {', '.join(CHART_SUFFIXES)}.",
        )
    return p


def forecast(
    wh: Warehouse,
    *,
    measure: str,
    area: str = "London",
    geography: str = "borough",
    horizon: int = 12,
    origin: str | None = None,
    seed: int = 0,
) -> ForecastOutcome:
    """Forecast one area 1–12 months ahead with 80 %/95 % intervals.

    NB2 regression with month-of-year effects and trend on the last five years (COVID-19
    restriction months left out; only the months after the measure's latest series break);
    intervals simulated with parameter uncertainty
    (:func:`vrkit.analysis.forecast.forecast_counts`).

    Parameters
    ----------
    area : str
        London or a borough (:func:`vrkit.catalog.areas.resolve_area`); with
        ``geography="ward"`` also a ward GSS code or name.
    geography : {"borough", "ward"}
        The monthly source: London is the sum of its areas.
    horizon : int
        Months ahead, 1–12.
    origin : str, optional
        Last month used, ``YYYY-MM`` (default the last month loaded).
    seed : int
        Seed of the simulated intervals.
    """
    if not 1 <= horizon <= 12:
        raise InputError(f"--horizon must be 1–12 months, got {horizon}")
    counts, names = monthly_by_geography(wh, measure, geography)
    if area.strip().lower() == "london" or geography == "borough":
        a = resolve_area(area)
        code, label = a.code, a.name
        if not a.is_london:
            counts = counts[counts["area_code"] == code]
        else:
            counts = (
                counts.groupby("month", as_index=False)["count"]
                .sum(min_count=1)
                .assign(area_code=code)
            )
    else:
        code = _ward_code(area, counts, names, geography)
        counts = counts[counts["area_code"] == code]
        hit = names[names["area_code"] == code]
        label = str(hit["area_name"].iloc[0]) if not hit.empty else code
    res = forecast_counts(
        counts,
        horizon=horizon,
        origin=origin,
        seed=seed,
        breaks=series_breaks(measure, MONTHLY_SOURCES[geography]),
    )
    if not res.skipped.empty:
        raise InputError(f"{label}: {res.skipped['reason'].iloc[0]}")
    tab = res.table.assign(area_name=label, month=res.table["month"].dt.strftime("%Y-%m"))
    return ForecastOutcome(measure, code, label, res, tab)


def _ward_code(area: str, counts: pd.DataFrame, names: pd.DataFrame, geography: str) -> str:
    """A ward GSS code of the series, from a code or an exact ward name."""
    from vrkit.catalog._suggest import did_you_mean

    codes = set(counts["area_code"])
    text = area.strip()
    if text.upper() in codes:
        return text.upper()
    named = names[names["area_code"].isin(codes)]
    hit = named[named["area_name"].str.lower() == text.lower()]
    if len(hit) == 1:
        return str(hit["area_code"].iloc[0])
    raise InputError(
        f"no {geography} series {area!r}",
        hint=did_you_mean(text, [*named["area_name"], *codes])
        + "Use a ward GSS code (E05…) or a ward name, or London.",
    )


@dataclass
class BacktestOutcome(TaskResult):
    """Rolling-origin accuracy of the forecasts and of top-k place forecasts (``vrkit backtest``).

    ``report``: the JSON document (MAE, MASE, coverage, hit rate, PAI, PEI, RRI, definitions,
    origins, notes); ``by_horizon``: accuracy per months ahead.
    """

    report: dict[str, Any]
    by_horizon: pd.DataFrame = field(default_factory=pd.DataFrame)

    FORMATS = ("json", "md")

    def to_dict(self) -> dict[str, Any]:
        """The backtest document."""
        return self.report

    def to_frame(self) -> pd.DataFrame:
        """Accuracy per horizon."""
        return self.by_horizon

    def render(self, fmt: str) -> str:
        """``json`` or a Markdown report (``md``)."""
        if fmt == "json":
            return json.dumps(self.report, indent=2, default=float) + "\n"
        if fmt == "md":
            return backtest_markdown(self.report, self.by_horizon) + "\n"
        return super().render(fmt)


def backtest(
    wh: Warehouse,
    *,
    measure: str = "violence_with_injury",
    geography: str = "borough",
    first_origin: str = "2015-12",
    until: str = "2024-01",
    every: int = 3,
    horizon: int = 12,
    k: int = 100,
    seed: int = 0,
) -> BacktestOutcome:
    """Rolling-origin accuracy (MAE, MASE, coverage) on the real monthly series, and hit rate /
    PAI / PEI / RRI of "last year's top-k LSOAs" place forecasts.

    The place forecast uses the derived LSOA annual files, which hold major offence groups
    only: for a measure they do not have, it uses violence against the person and says so in
    the notes (and the Markdown report).
    """
    if every < 1:
        raise InputError(f"--every must be at least 1 month, got {every}")
    if not 1 <= horizon <= 12:
        raise InputError(f"--horizon must be 1–12 months, got {horizon}")
    if k < 1:
        raise InputError(f"--k must be at least 1, got {k}")
    counts, _ = monthly_by_geography(wh, measure, geography)
    place_measure = measure
    lsoa = queries.annual_counts(wh, measure, source_kind="mps_lsoa_annual_derived")
    notes = [
        "Forecast months in COVID-19 restriction periods are left out of the headline "
        "figures (figures including them are given separately).",
        "Comparisons stop at the --until month: from Feb 2024 MPS data come from "
        "CONNECT and category counts (notably VAP) are not comparable with earlier "
        "years.",
    ]
    if lsoa.empty:  # the derived LSOA files hold major groups only
        place_measure = "violence_against_the_person"
        lsoa = queries.annual_counts(wh, place_measure, source_kind="mps_lsoa_annual_derived")
        notes.append(
            f"The place forecast (hit rate, PAI, PEI, RRI) uses {get_measure(place_measure).label} "
            f"instead of {get_measure(measure).label}: the LSOA annual counts hold major offence "
            "groups only."
        )
    end = parse_month(until)
    start = parse_month(first_origin)
    if start >= end:
        raise InputError(
            f"--first-origin {first_origin} must be before --until {until}",
            hint="Forecasts from an origin are compared with the months after it.",
        )
    counts = counts[pd.to_datetime(counts["month"]) <= end]
    origins = list(pd.date_range(start, end, freq=f"{every}MS")[:-1])
    if not origins:
        raise InputError(
            f"no forecast origin between {first_origin} and {until} every {every} months",
            hint="Use an earlier --first-origin, a later --until or a smaller --every.",
        )
    res = rolling_origin(counts, origins, horizon=horizon, seed=seed)
    place = None
    if not lsoa.empty:
        lsoa = lsoa[lsoa["area_code"].str.startswith("E01")]
        place = place_backtest(
            lsoa.rename(columns={"year": "period"})[["area_code", "period", "count"]],
            period="period",
            k=k,
        )
    m = res.metrics
    report: dict[str, Any] = {
        "measure": measure,
        "geography": geography,
        "mae": m["mae"],
        "mase": m["mase"],
        "coverage_80": m["coverage_80"],
        "coverage_95": m["coverage_95"],
        "hit_rate": None if place is None else float(place["hit_rate"].mean()),
        "pai": None if place is None else float(place["pai"].mean()),
        "pei": None if place is None else float(place["pei"].mean()),
        "rri": None if place is None else float(place["rri"].mean()),
        "definitions": DEFINITIONS,
        "mae_naive": m["mae_naive"],
        "relative_mae": m["relative_mae"],
        "n_forecasts": int(m["n_forecasts"]),
        "metrics_including_restriction_months": res.metrics_all_months,
        "origins": list(res.params.origins),
        "horizon": horizon,
        "until": f"{end:%Y-%m}",
        "place_forecast": {
            "units": "LSOA (2011), MPS derived annual counts 2011–2021",
            "measure": place_measure,
            "predictor": "previous year's count",
            "k": k,
            "areas": "equal (each LSOA counts as one unit of area)",
            "by_year": [] if place is None else place.to_dict("records"),
        },
        "notes": notes,
    }
    return BacktestOutcome(report, res.by_horizon)


def backtest_markdown(r: dict[str, Any], by_h: pd.DataFrame) -> str:
    """The backtest as a Markdown report."""

    def f(x: Any, d: int = 3) -> str:
        return "—" if x is None or x != x else f"{x:.{d}f}"

    lines = [
        f"# Backtest: {r['measure']} ({r['geography']})",
        "",
        f"Rolling origins {r['origins'][0]} … {r['origins'][-1]} (every few months), "
        f"{r['horizon']} months ahead, outcomes up to {r['until']}; "
        f"{r['n_forecasts']} forecasts compared.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| MAE | {f(r['mae'], 1)} |",
        f"| MASE (seasonal naive, m = 12) | {f(r['mase'])} |",
        f"| MAE of seasonal naive | {f(r['mae_naive'], 1)} |",
        f"| relative MAE (model / naive) | {f(r['relative_mae'])} |",
        f"| coverage of 80 % intervals | {f(r['coverage_80'])} |",
        f"| coverage of 95 % intervals | {f(r['coverage_95'])} |",
        f"| hit rate, top {r['place_forecast']['k']} LSOAs "
        f"({r['place_forecast']['measure']}) | {f(r['hit_rate'])} |",
        f"| PAI | {f(r['pai'], 2)} |",
        f"| PEI | {f(r['pei'])} |",
        f"| RRI | {f(r['rri'])} |",
        "",
        "## By horizon",
        "",
        "| horizon | MAE | MASE | cov. 80 % | cov. 95 % |",
        "|---|---|---|---|---|",
    ]
    for row in by_h.itertuples():
        lines.append(
            f"| {row.horizon} | {row.mae:.1f} | {row.mase:.3f} | {row.coverage_80:.3f} "
            f"| {row.coverage_95:.3f} |"
        )
    lines += [
        "",
        "## Place forecasts by year",
        "",
        "| year | hit rate | PAI | PEI | RRI |",
        "|---|---|---|---|---|",
    ]
    for y in r["place_forecast"]["by_year"]:
        lines.append(
            f"| {y['period']} | {y['hit_rate']:.3f} | {y['pai']:.2f} | {y['pei']:.3f} "
            f"| {y['rri']:.3f} |"
        )
    lines += ["", "## Definitions", ""]
    lines += [f"- **{k}**: {v}" for k, v in r["definitions"].items()]
    lines += ["", "## Notes", ""] + [f"- {n}" for n in r["notes"]]
    return "\n".join(lines)

"""``vrkit alerts | forecast | backtest``: early warning, forecasts and their accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from vrkit.cli import output as o
from vrkit.cli.errors import user_errors
from vrkit.cli.options import ForceOpt, StoreOpt, format_option, one_format, open_warehouse
from vrkit.cli.places import OutOpt, write_result

app = typer.Typer()

TABLE_FORMATS = ("table", "json", "csv", "xlsx")
BACKTEST_FORMATS = ("md", "json")


def _check_out(path: Path | None, force: bool) -> None:
    if path is not None:
        from vrkit.outputs import output_file

        output_file(path, force=force)


def _min_recent(text: str) -> tuple[int, int] | None:
    """``--min-recent``: ``N,M`` or ``off``."""
    from vrkit.errors import InputError

    if text.strip().lower() in ("off", "none", "0"):
        return None
    try:
        n, m = (int(x) for x in text.split(","))
    except ValueError:
        raise InputError(
            f"--min-recent {text!r}",
            hint="Use N,M (e.g. 5,4: at least 5 in the last 4 months) or off.",
        ) from None
    if n < 0 or m < 1:
        raise InputError(f"--min-recent {text!r}: N must be ≥ 0 and M ≥ 1")
    return n, m


@app.command()
def alerts(
    measure: Annotated[str, typer.Option(help="Measure id (see `vrkit measures`).")],
    month: Annotated[str, typer.Option(help="Month to test, YYYY-MM.")],
    geography: Annotated[str, typer.Option(help="borough or ward.")] = "borough",
    level: Annotated[float, typer.Option(help="Threshold quantile (0.99 = 1 % per area).")] = 0.99,
    method: Annotated[
        str,
        typer.Option(
            help="farrington (improved Farrington), surveillance (R's farringtonFlexible "
            "exactly, docs/early-warning.md), cusum or ewma."
        ),
    ] = "farrington",
    fdr: Annotated[float, typer.Option(help="False discovery rate across areas.")] = 0.05,
    threshold_method: Annotated[
        str | None,
        typer.Option(
            "--threshold-method",
            help="predictive, nb_plugin, muan or delta (default: the method's; surveillance "
            "takes nb_plugin, muan or delta).",
        ),
    ] = None,
    trend_time: Annotated[
        str,
        typer.Option("--trend-time", help="surveillance only: the trend in months or days."),
    ] = "months",
    min_recent: Annotated[
        str,
        typer.Option(
            "--min-recent",
            help="N,M: no alert unless the last M months total at least N; 'off' for none.",
        ),
    ] = "5,4",
    all_areas: Annotated[
        bool, typer.Option("--all", help="List every area, not only alerts (table).")
    ] = False,
    fmt: Annotated[list[str] | None, format_option(TABLE_FORMATS, "table")] = None,
    path: OutOpt = None,
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """Areas where this month's count exceeds what season and trend explain (improved
    Farrington, Noufaily et al. 2013), with false-discovery control across areas."""
    from vrkit.tasks.anticipate import alerts as alerts_task

    with user_errors():
        f = one_format(fmt, TABLE_FORMATS, "table")
        _check_out(path, force)
        with open_warehouse(store, read_only=True) as wh:
            res = alerts_task(
                wh,
                measure=measure,
                month=month,
                geography=geography,
                level=level,
                method=method,
                fdr=fdr,
                threshold_method=threshold_method,
                trend_time=trend_time,
                min_recent=_min_recent(min_recent),
            )
        if f != "table":
            write_result(res, f, path, force)
            return
        shown = res.table if all_areas else res.alerts
        rows = [
            (
                (r.area_code if pd.isna(r.area_name) else str(r.area_name))
                + (" *" if r.alert_fdr else ""),
                f"{r.observed:,}",
                f"{r.expected:,.1f}",
                f"{r.threshold:,.0f}",
                "—" if r.score != r.score else f"{r.score:.2f}",
                f"{r.p_value:.4f}",
                f"{r.q_value:.3f}",
                r.sparkline,
                r.method,
            )
            for r in shown.itertuples()
        ]
        cols = ["area", "observed", "expected", "threshold", "score", "p", "q"]
        title = f"{measure} — {geography} — {res.result.month:%Y-%m} — level {level}"
        o.show(o.table(title, [*cols, "last 12 months", "method"], rows))
        o.say(res.chance_sentence())
        if res.explanation:
            o.say(res.explanation)
        if res.fallback:
            o.say(
                f"{res.fallback} area(s) with a short history were tested against the average "
                "of their last 12 months instead (no allowance for the time of year)."
            )


@app.command()
def forecast(
    measure: Annotated[str, typer.Option(help="Measure id (see `vrkit measures`).")],
    area: Annotated[
        str,
        typer.Option(
            help="London, a borough name/code, or a ward code or name (--geography ward)."
        ),
    ] = "London",
    geography: Annotated[str, typer.Option(help="borough or ward.")] = "borough",
    horizon: Annotated[int, typer.Option(help="Months ahead, 1–12.")] = 12,
    origin: Annotated[str | None, typer.Option(help="Last month used, YYYY-MM.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the simulated intervals.")] = 0,
    fmt: Annotated[list[str] | None, format_option(TABLE_FORMATS, "table")] = None,
    path: OutOpt = None,
    chart: Annotated[
        Path | None,
        typer.Option(help="Chart of history, forecast and intervals (.svg, .png or .html)."),
    ] = None,
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """Forecast 1–12 months ahead with 80 %/95 % intervals (NB2 regression with month-of-year
    effects and trend; intervals simulated with parameter uncertainty)."""
    from vrkit.tasks.anticipate import check_chart_path
    from vrkit.tasks.anticipate import forecast as forecast_task

    with user_errors():
        f = one_format(fmt, TABLE_FORMATS, "table")
        _check_out(path, force)
        if chart is not None:
            _check_out(check_chart_path(chart), force)
        with open_warehouse(store, read_only=True) as wh:
            res = forecast_task(
                wh,
                measure=measure,
                area=area,
                geography=geography,
                horizon=horizon,
                origin=origin,
                seed=seed,
            )
        if chart is not None:
            o.say(f"wrote {res.write_chart(chart, force=force)}")
        if f != "table":
            write_result(res, f, path, force)
            return
        rows = [
            (
                r.month,
                f"{r.mean:,.0f}",
                f"{r.lower_80:,.0f}–{r.upper_80:,.0f}",
                f"{r.lower_95:,.0f}–{r.upper_95:,.0f}",
            )
            for r in res.table.itertuples()
        ]
        title = f"{measure} — {res.label} — forecast from {res.result.params.origin}"
        o.show(o.table(title, ["month", "mean", "80 % interval", "95 % interval"], rows))
        o.say(res.fit_sentence())


@app.command()
def backtest(
    measure: Annotated[str, typer.Option(help="Measure id.")] = "violence_with_injury",
    geography: Annotated[str, typer.Option(help="borough or ward.")] = "borough",
    first_origin: Annotated[str, typer.Option(help="First forecast origin, YYYY-MM.")] = "2015-12",
    until: Annotated[
        str,
        typer.Option(help="Last month compared (default 2024-01, before the MPS CONNECT change)."),
    ] = "2024-01",
    every: Annotated[int, typer.Option(help="Months between origins (≥ 1).")] = 3,
    horizon: Annotated[int, typer.Option(help="Months ahead, 1–12.")] = 12,
    k: Annotated[int, typer.Option(help="Top-k LSOAs for the place forecast.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    fmt: Annotated[list[str] | None, format_option(BACKTEST_FORMATS, "md")] = None,
    path: OutOpt = None,
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """Rolling-origin accuracy of the forecasts (MAE, MASE, coverage) on the real monthly
    series, and hit rate / PAI / PEI / RRI of "last year's top-k LSOAs" place forecasts."""
    from vrkit.tasks.anticipate import backtest as backtest_task

    with user_errors():
        f = one_format(fmt, BACKTEST_FORMATS, "md")
        _check_out(path, force)
        with open_warehouse(store, read_only=True) as wh, o.err.status("Backtesting…"):
            res = backtest_task(
                wh,
                measure=measure,
                geography=geography,
                first_origin=first_origin,
                until=until,
                every=every,
                horizon=horizon,
                k=k,
                seed=seed,
            )
        write_result(res, f, path, force)

"""``vrkit alerts | forecast | backtest``: early warning, forecasts and their accuracy.

A thin Typer sub-app: each command reads frames through :mod:`vrkit.store.queries`, calls one
function of :mod:`vrkit.analysis.early_warning`, :mod:`~vrkit.analysis.forecast` or
:mod:`~vrkit.analysis.backtest`, and formats the result. Register it in ``vrkit.cli`` with
``app.add_typer(anticipate_app)`` so the commands sit at the top level.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from vrkit.errors import InputError
from vrkit.reports.tabular import csv_text, write_csv, write_xlsx

app = typer.Typer(help="Early warning, forecasts and backtests.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)

SPARK = "▁▂▃▄▅▆▇█"


def _cli() -> Any:
    from vrkit import cli  # late import: vrkit.cli imports this module

    return cli


def _monthly(wh: Any, measure: str, geography: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(counts ``area_code, month, count`` without pseudo-areas, names) for a geography."""
    from vrkit.api import monthly_by_geography

    return monthly_by_geography(wh, measure, geography)


def _spark(values: np.ndarray) -> str:
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


def _write(frame: pd.DataFrame, fmt: str, path: Path | None, records: Any = None) -> None:
    if fmt == "json":
        text = json.dumps(records if records is not None else frame.to_dict("records"), indent=2)
        if path:
            path.write_text(text + "\n", encoding="utf-8")
            out.print(f"wrote {path}")
        else:
            sys.stdout.write(text + "\n")
    elif fmt == "csv":
        if path:
            write_csv(frame, path)
            out.print(f"wrote {path}")
        else:
            sys.stdout.write(csv_text(frame))
    elif fmt == "xlsx":
        if path is None:
            raise InputError("--format xlsx needs --out FILE.xlsx")
        write_xlsx(path, {"alerts": frame}, empty_note=None)
        out.print(f"wrote {path}")
    else:
        raise InputError(f"unknown format {fmt!r}", hint="Use table, csv, xlsx or json.")


@app.command()
def alerts(
    measure: Annotated[str, typer.Option(help="Measure id (see `vrkit measures`).")],
    month: Annotated[str, typer.Option(help="Month to test, YYYY-MM.")],
    geography: Annotated[str, typer.Option(help="borough, ward or lsoa")] = "borough",
    level: Annotated[float, typer.Option(help="Threshold quantile (0.99 = 1 % per area).")] = 0.99,
    method: Annotated[str, typer.Option(help="farrington, cusum or ewma")] = "farrington",
    fdr: Annotated[float, typer.Option(help="False discovery rate across areas.")] = 0.05,
    all_areas: Annotated[
        bool, typer.Option("--all", help="List every area, not only alerts.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, xlsx or json")] = "table",
    path: Annotated[Path | None, typer.Option("--out", help="Output file.")] = None,
) -> None:
    """Areas where this month's count exceeds what season and trend explain (improved
    Farrington, Noufaily et al. 2013), with false-discovery control across areas."""
    from vrkit.analysis.early_warning import detect_exceedances

    cli = _cli()
    with cli._user_errors():
        wh = cli._warehouse(read_only=True)
        counts, names = _monthly(wh, measure, geography)
        wh.close()
        res = detect_exceedances(counts, month, method=method, level=level, fdr=fdr)  # type: ignore[arg-type]
        table = res.table.merge(names, on="area_code", how="left")
        wide = counts.assign(month=pd.to_datetime(counts["month"])).pivot_table(
            index="area_code", columns="month", values="count", aggfunc="sum"
        )
        last12 = wide.loc[:, : res.month].iloc[:, -12:]
        table["sparkline"] = [
            _spark(last12.loc[c].to_numpy(dtype=float)) if c in last12.index else ""
            for c in table["area_code"]
        ]
        shown = table if all_areas or fmt != "table" else table[table["alert"]]
        if fmt == "table":
            t = Table(
                "area",
                "observed",
                "expected",
                "threshold",
                "score",
                "p",
                "q",
                "last 12 months",
                "method",
                title=f"{measure} — {geography} — {res.month:%Y-%m} — level {level}",
            )
            for r in shown.itertuples():
                t.add_row(
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
            out.print(t)
            out.print(
                f"{res.n_alerts} alert(s) among {res.n_tested} areas tested "
                f"({res.n_alerts_fdr} marked * survive FDR {fdr:.0%}); "
                f"{res.expected_by_chance:.1f} expected by chance at level {level} "
                f"(n × (1 − level) = {res.expected_by_chance_nominal:.1f})."
            )
            if not res.skipped.empty:
                out.print(
                    f"{len(res.skipped)} area(s) not tested, e.g. "
                    f"{res.skipped['area_code'].iloc[0]}: {res.skipped['reason'].iloc[0]}"
                )
            fb = int((res.table["method"] == "fallback").sum())
            if fb:
                out.print(f"{fb} area(s) with short history used the non-seasonal fallback.")
            return
        records = None
        if fmt == "json":
            records = res.records()
            for rec, name, spark in zip(
                records, table["area_name"], table["sparkline"], strict=True
            ):
                rec["area_name"] = None if pd.isna(name) else str(name)
                rec["sparkline"] = spark
        frame = shown.assign(month=shown["month"].dt.strftime("%Y-%m"))
        _write(frame, fmt, path, records)


@app.command()
def forecast(
    measure: Annotated[str, typer.Option(help="Measure id (see `vrkit measures`).")],
    area: Annotated[
        str, typer.Option(help="London, a borough name/code, or a ward code (--geography ward).")
    ] = "London",
    geography: Annotated[str, typer.Option(help="borough or ward")] = "borough",
    horizon: Annotated[int, typer.Option(help="Months ahead, 1–12.")] = 12,
    origin: Annotated[str | None, typer.Option(help="Last month used, YYYY-MM.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the simulated intervals.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, xlsx or json")] = "table",
    path: Annotated[Path | None, typer.Option("--out", help="Output file.")] = None,
    chart: Annotated[
        Path | None, typer.Option(help="Chart of history, forecast and intervals (.svg/.png).")
    ] = None,
) -> None:
    """Forecast 1–12 months ahead with 80 %/95 % intervals (NB2 regression with month-of-year
    effects and trend; intervals simulated with parameter uncertainty)."""
    from vrkit.analysis.forecast import forecast_counts
    from vrkit.api import resolve_area

    cli = _cli()
    with cli._user_errors():
        wh = cli._warehouse(read_only=True)
        counts, names = _monthly(wh, measure, geography)
        wh.close()
        if area.strip().lower() == "london" or geography == "borough":
            code, label = resolve_area(area)
            if code != "E12000007":
                counts = counts[counts["area_code"] == code]
            else:
                counts = (
                    counts.groupby("month", as_index=False)["count"]
                    .sum(min_count=1)
                    .assign(area_code=code)
                )
        else:
            code, label = area, area
            counts = counts[counts["area_code"] == code]
            hit = names[names["area_code"] == code]
            if counts.empty:
                raise InputError(f"no {geography} series {area!r}", hint="Use a ward GSS code.")
            label = str(hit["area_name"].iloc[0]) if not hit.empty else code
        from vrkit.analysis.breaks import series_breaks

        source = "mps_ward_monthly" if geography == "ward" else "mps_borough_monthly"
        res = forecast_counts(
            counts,
            horizon=horizon,
            origin=origin,
            seed=seed,
            breaks=series_breaks(measure, source),
        )
        if not res.skipped.empty:
            raise InputError(f"{label}: {res.skipped['reason'].iloc[0]}")
        tab = res.table.assign(area_name=label, month=res.table["month"].dt.strftime("%Y-%m"))
        if chart:
            _forecast_chart(res, label, measure, chart)
            out.print(f"wrote {chart}")
        if fmt == "table":
            t = Table(
                "month",
                "mean",
                "80 % interval",
                "95 % interval",
                title=f"{measure} — {label} — forecast from {res.params.origin}",
            )
            for r in tab.itertuples():
                t.add_row(
                    r.month,
                    f"{r.mean:,.0f}",
                    f"{r.lower_80:,.0f}–{r.upper_80:,.0f}",
                    f"{r.lower_95:,.0f}–{r.upper_95:,.0f}",
                )
            out.print(t)
            f = res.fits.iloc[0]
            out.print(
                f"NB2 regression on {f['n_fit']} months (COVID-19 restriction months left out"
                + (
                    f"; fitted from {res.params.fit_from} only: series break "
                    f"{res.params.series_break}"
                    if res.params.fit_from
                    else ""
                )
                + "); "
                f"trend {f['trend_per_year']:+.1f} %/year; α = {f['alpha']:.4f}; "
                f"{res.params.n_sims} simulations, seed {seed}."
            )
            return
        _write(tab, fmt, path, tab.to_dict("records") if fmt == "json" else None)


def _forecast_chart(res: Any, label: str, measure: str, path: Path) -> None:
    import altair as alt

    hist = res.history.dropna().tail(60).assign(kind="observed")
    fc = res.table
    base = alt.Chart(fc)
    band95 = base.mark_area(opacity=0.2, color="#1d70b8").encode(
        x=alt.X("month:T", title=None), y="lower_95:Q", y2="upper_95:Q"
    )
    band80 = base.mark_area(opacity=0.35, color="#1d70b8").encode(
        x="month:T", y="lower_80:Q", y2="upper_80:Q"
    )
    line = base.mark_line(color="#1d70b8", strokeDash=[4, 2]).encode(x="month:T", y="mean:Q")
    obs = (
        alt.Chart(hist)
        .mark_line(color="#0b0c0c")
        .encode(x="month:T", y=alt.Y("count:Q", title="offences per month"))
    )
    chart = (obs + band95 + band80 + line).properties(
        title=f"{measure} — {label}: history and forecast (80 % and 95 % intervals)",
        width=640,
        height=280,
    )
    chart.save(str(path))


@app.command()
def backtest(
    measure: Annotated[str, typer.Option(help="Measure id.")] = "violence_with_injury",
    geography: Annotated[str, typer.Option(help="borough or ward")] = "borough",
    first_origin: Annotated[str, typer.Option(help="First forecast origin, YYYY-MM.")] = "2015-12",
    until: Annotated[
        str,
        typer.Option(help="Last month compared (default 2024-01, before the MPS CONNECT change)."),
    ] = "2024-01",
    every: Annotated[int, typer.Option(help="Months between origins.")] = 3,
    horizon: Annotated[int, typer.Option(help="Months ahead, 1–12.")] = 12,
    k: Annotated[int, typer.Option(help="Top-k LSOAs for the place forecast.")] = 100,
    seed: Annotated[int, typer.Option(help="Seed.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="json or md")] = "md",
    path: Annotated[Path | None, typer.Option("--out", help="Output file.")] = None,
) -> None:
    """Rolling-origin accuracy of the forecasts (MAE, MASE, coverage) on the real monthly
    series, and hit rate / PAI / PEI / RRI of "last year's top-k LSOAs" place forecasts."""
    from vrkit.analysis.backtest import DEFINITIONS, place_backtest, rolling_origin
    from vrkit.analysis.early_warning import parse_month
    from vrkit.store import queries

    cli = _cli()
    with cli._user_errors():
        wh = cli._warehouse(read_only=True)
        counts, _ = _monthly(wh, measure, geography)
        place_measure = measure
        lsoa = queries.annual_counts(wh, measure, source_kind="mps_lsoa_annual_derived")
        if lsoa.empty:  # the derived LSOA files hold major groups only
            place_measure = "violence_against_the_person"
            lsoa = queries.annual_counts(wh, place_measure, source_kind="mps_lsoa_annual_derived")
        wh.close()
        end = parse_month(until)
        counts = counts[pd.to_datetime(counts["month"]) <= end]
        origins = list(pd.date_range(parse_month(first_origin), end, freq=f"{every}MS")[:-1])
        with err.status("Backtesting…"):
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
            "notes": [
                "Forecast months in COVID-19 restriction periods are left out of the headline "
                "figures (figures including them are given separately).",
                "Comparisons stop at the --until month: from Feb 2024 MPS data come from "
                "CONNECT and category counts (notably VAP) are not comparable with earlier "
                "years.",
            ],
        }
        if fmt == "json":
            text = json.dumps(report, indent=2, default=float)
        elif fmt == "md":
            text = _backtest_md(report, res.by_horizon)
        else:
            raise InputError(f"unknown format {fmt!r}", hint="Use json or md.")
        if path:
            path.write_text(text + "\n", encoding="utf-8")
            out.print(f"wrote {path}")
        else:
            sys.stdout.write(text + "\n")


def _backtest_md(r: dict[str, Any], by_h: pd.DataFrame) -> str:
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

"""The need-index ranking rendered: CSV, XLSX, a self-contained HTML report and a GeoPackage."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrkit.catalog.areas import borough_names
from vrkit.disclosure.linked import rule_description
from vrkit.errors import InputError
from vrkit.reports.build.need_index import FORMATS, PUBLIC_METHOD, NeedIndexReport
from vrkit.reports.render.html import table_html
from vrkit.reports.tabular import write_csv, write_xlsx


def write_need_index(
    report: NeedIndexReport,
    out_dir: str | Path,
    *,
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Write the ranked table and report files to ``out_dir``; return the paths written.

    ``csv``: ``need_index_<profile>_<geography>.csv`` (stable columns ``area_code, area_name,
    rank, score, rank_low, rank_high, p_top_n, contrib_<indicator_id>…``); ``xlsx``: ranking,
    sensitivity, indicators, excluded and imputed areas, method; ``html``: self-contained
    report; ``gpkg``: the ranking joined to the area polygons (``report.geometry``).
    """
    for f in formats:
        if f not in FORMATS:
            raise InputError(f"unknown format {f!r}; use {', '.join(FORMATS)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"need_index_{report.profile.profile_id}_{report.geography}"
    paths = []
    full = output_table(report)
    if "csv" in formats:
        p = out / f"{stem}.csv"
        write_csv(full, p)
        paths.append(p)
    if "json" in formats:
        p = out / f"{stem}.json"
        p.write_text(json.dumps(_json(report, full), indent=2, ensure_ascii=False), "utf-8")
        paths.append(p)
    if "xlsx" in formats:
        p = out / f"{stem}.xlsx"
        sheets = {
            "ranking": report.table,
            "sensitivity": report.sensitivity.table,
            "indicators": _indicator_table(report),
            "not_ranked": not_ranked(report),
            "partial_data": partial_data(report),
            "imputed": report.index.imputed,
            "method": pd.DataFrame(
                {
                    "item": [
                        "method",
                        "uncertainty",
                        "reference",
                        *list(report.params),
                        *(["disclosure_control"] if report.public else []),
                    ],
                    "value": [
                        report.index.method,
                        report.uncertainty.method,
                        report.index.reference,
                    ]
                    + [str(v) for v in report.params.values()]
                    + (
                        [f"{rule_description(report.sdc_rule or 'lt10')} {PUBLIC_METHOD}"]
                        if report.public
                        else []
                    ),
                }
            ),
        }
        if report.public and report.disclosure:
            d = report.disclosure
            sheets["disclosure_control"] = pd.DataFrame(
                {"item": list(d), "value": [str(v) for v in d.values()]}
            )
        write_xlsx(p, sheets, empty_note=None)
        paths.append(p)
    geoms = report.geometry if not report.geometry.empty else None
    if "gpkg" in formats:
        if geoms is None or geoms.empty:
            raise InputError(
                "a GeoPackage needs the area boundaries: none are loaded for this geography",
                hint="Ingest the boundary file of the areas ranked, or leave out gpkg.",
            )
        import geopandas as gpd
        import shapely

        g = geoms.merge(full.drop(columns="area_name"), on="area_code", how="left")
        gdf = gpd.GeoDataFrame(
            g.drop(columns="geometry"),
            geometry=shapely.from_wkb(g["geometry"].map(bytes).to_numpy()),
            crs="EPSG:27700",
        )
        p = out / f"{stem}.gpkg"
        gdf.to_file(p, layer="need_index", driver="GPKG")
        for layer, frame in (
            ("not_ranked", not_ranked(report)),
            ("partial_data", partial_data(report)),
        ):
            gpd.GeoDataFrame(frame.astype(str)).to_file(p, layer=layer, driver="GPKG")
        paths.append(p)
    if "html" in formats:
        p = out / f"{stem}.html"
        p.write_text(render_html(report, geoms), encoding="utf-8")
        paths.append(p)
    return paths


def not_ranked(report: NeedIndexReport) -> pd.DataFrame:
    """``area_code, area_name, borough_code, borough_name, reason`` of areas not ranked."""
    ex = report.index.excluded
    a = report.inputs.areas.set_index("area_code")
    bn = borough_names()
    return pd.DataFrame(
        {
            "area_code": ex["area_code"].to_numpy(),
            "area_name": a["area_name"].reindex(ex["area_code"]).to_numpy(),
            "borough_code": a["parent_code"].reindex(ex["area_code"]).to_numpy(),
            "borough_name": a["parent_code"].reindex(ex["area_code"]).map(bn).to_numpy(),
            "reason": ex["reason"].to_numpy(),
        }
    )


def partial_data(report: NeedIndexReport) -> pd.DataFrame:
    """Areas ranked on partial data: ``rank, area_code, area_name, borough_name, data_note``."""
    t = report.table
    sel = t[t["data_note"].astype(str).str.contains("imputed|missing", regex=True)]
    return sel[["rank", "area_code", "area_name", "borough_code", "borough_name", "data_note"]]


def output_table(report: NeedIndexReport) -> pd.DataFrame:
    """The ranking followed by the areas not ranked (rank blank, ``data_note`` says why)."""
    nr = not_ranked(report)
    if nr.empty:
        return report.table
    extra = nr.rename(columns={"reason": "data_note"})
    extra["data_note"] = "not ranked: " + extra["data_note"].astype(str)
    out = pd.concat([report.table, extra], ignore_index=True)
    out["rank"] = out["rank"].astype("Int64")
    return out


def _json(report: NeedIndexReport, full: pd.DataFrame) -> dict[str, Any]:
    def rec(frame: pd.DataFrame) -> list[dict[str, Any]]:
        f = frame.astype(object).where(frame.notna(), None)
        return [
            {k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()}
            for r in f.to_dict("records")
        ]

    return {
        "report": "need_index",
        "profile": report.profile.profile_id,
        "profile_version": report.profile.version,
        "geography": report.geography,
        "area_type": report.inputs.area_type,
        "method": report.index.method,
        "uncertainty": report.uncertainty.method,
        "smoothing": report.inputs.smoothing,
        "crime_years": report.inputs.crime_years,
        "indicators": rec(_indicator_table(report)),
        "areas_not_ranked": rec(not_ranked(report)),
        "ranked_on_partial_data": rec(partial_data(report)),
        "notes": list(report.inputs.notes),
        "ranking": rec(full),
    }


def _indicator_table(report: NeedIndexReport) -> pd.DataFrame:
    w = report.index.weights
    m = report.inputs.meta.set_index("indicator_id")
    rows = []
    for s in report.profile.indicators:
        rows.append(
            {
                "indicator_id": s.indicator_id,
                "name": m.loc[s.indicator_id, "name"],
                "domain": s.domain or "",
                "weight": s.weight,
                "effective_weight": round(float(w[s.indicator_id]), 4),
                "polarity": s.polarity,
                "unit": m.loc[s.indicator_id, "unit"],
                "source": m.loc[s.indicator_id, "source"],
                "how": report.inputs.how[s.indicator_id],
                "areas_with_value": int(report.inputs.values[s.indicator_id].notna().sum()),
                "why": report.profile.why.get(s.indicator_id, ""),
            }
        )
    return pd.DataFrame(rows)


def _charts(report: NeedIndexReport, geoms: pd.DataFrame | None) -> tuple[str, str]:
    import altair as alt

    from vrkit.reports.render.charts import base_config, to_svg
    from vrkit.reports.render.maps import choropleth, geojson_features, map_svg

    map_html = "<p>No boundaries loaded for these areas, so no map.</p>"
    if geoms is not None and not geoms.empty:
        vals = report.table[["area_code", "rank", "score"]].assign(
            need_rank=lambda d: d["rank"].astype(float)
        )
        feats = geojson_features(geoms, vals, fields=("score",))
        chart = choropleth(
            feats,
            field="score",
            title=f"Need index: {report.profile.name}",
            subtitle=f"{report.geography} areas; darker = more need",
            legend_title="Score",
            value_format=",.2f",
            source="Sources: see the indicator table",
        )
        map_html = map_svg(
            chart,
            feats,
            description=f"Map of need index scores for {report.profile.name} by {report.geography}",
        )
    top = report.table.head(report.top_n)
    contrib_cols = [c for c in top.columns if c.startswith("contrib_")]
    names = report.inputs.meta.set_index("indicator_id")["name"]
    long = top.melt(
        id_vars=["area_name", "rank"],
        value_vars=contrib_cols,
        var_name="indicator",
        value_name="contribution",
    )
    long["indicator"] = long["indicator"].str.removeprefix("contrib_").map(names)
    long["label"] = long["rank"].astype(str) + ". " + long["area_name"].fillna("")
    bar = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=alt.SortField("rank"), title=None),
            x=alt.X("contribution:Q", title="Contribution to score"),
            color=alt.Color(
                "indicator:N",
                title="Indicator",
                scale=alt.Scale(scheme="tableau10"),
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=400),
            ),
            tooltip=["label", "indicator", alt.Tooltip("contribution:Q", format=".3f")],
        )
        .properties(
            width=520, height=max(200, 18 * len(top)), title=f"Why the top {report.top_n} rank high"
        )
        .configure(**base_config())
    )
    return map_html, to_svg(
        bar,
        description=f"Contribution of each indicator to the score of the top {report.top_n} areas",
    )


def _public_note(report: NeedIndexReport) -> str:
    if not report.public or not report.disclosure:
        return ""
    d = report.disclosure
    return (
        '<div class="notice" id="disclosure-note" style="border:4px solid #d4351c;'
        'padding:.5em 1em"><p><b>Public edition.</b> '
        f"{html.escape(str(d['description']))} {html.escape(PUBLIC_METHOD)} "
        f"{d['cells_suppressed_primary']} area counts are suppressed as small counts and "
        f"{d['cells_suppressed_secondary']} more to protect them; {d['values_blanked']} "
        "indicator values are blank.</p></div>"
    )


def _partial_html(report: NeedIndexReport) -> str:
    part = partial_data(report)
    if part.empty:
        return "<p>None: every ranked area has every indicator.</p>"
    heavy = report.params.get("heavy_indicators") or []
    lead = (
        f"<p>{len(part):,} areas are ranked with one or more indicators not as published. "
        + (
            "A missing value of a heavily weighted indicator ("
            + html.escape(", ".join(heavy))
            + ") is replaced by the borough's value; other missing values are left out and "
            "the weights of the area's other indicators scaled up. "
            if heavy
            else ""
        )
        + "</p>"
    )
    return lead + table_html(part, float_format="{:,.3f}", missing="—")


def _rates_html(report: NeedIndexReport) -> str:
    inp = report.inputs
    if not inp.raw_rates:
        return "<p>This profile has no crime rate.</p>"
    how = {
        "spatial": "empirical Bayes smoothed towards the rate of the area and its neighbours "
        "(spatial EB; Marshall 1991, computed with PySAL esda)",
        "global": "empirical Bayes smoothed towards the overall rate (global EB; Marshall 1991, "
        "computed with PySAL esda)",
        "none": "crude (offences ÷ residents), not smoothed",
    }[inp.smoothing]
    flags = report.table[report.table["denominator_flag"].astype(str) != ""]
    years = ", ".join(f"{k}: {v}" for k, v in inp.crime_years.items())
    out = (
        f"<p>Crime rates in the index are {how}. A rate per resident of an area with few "
        "residents rests on few offences and swings by chance; smoothing pulls such rates "
        "towards their surroundings in proportion to how unreliable they are, and leaves "
        "rates of populous areas almost unchanged. The table and the spreadsheet show the "
        f"crude rate (raw_rate_…) beside the rate used (rate_…). Years of the counts: "
        f"{html.escape(years)}.</p>"
        "<p>Rates per resident also mislead where most people present are not residents "
        "(central London: workers and visitors). Areas whose resident population is in the "
        "bottom 5 %, or whose workday population (residents − residents in work + jobs, from "
        "the ward profiles where loaded) is more than twice the residents, are flagged in "
        "the denominator_flag column.</p>"
    )
    if not flags.empty:
        out += table_html(
            flags[["rank", "area_name", "borough_name", "denominator_flag"]].head(40),
            float_format="{:,.3f}",
            missing="—",
        )
    for n in inp.notes:
        out += f'<p class="note">{html.escape(n)}</p>'
    return out


def render_html(report: NeedIndexReport, geoms: pd.DataFrame | None = None) -> str:
    """The self-contained HTML report (inline CSS and SVG; opens offline)."""
    p = report.profile
    prm = report.params
    map_svg_html, bar_svg = _charts(report, geoms)
    top = report.table.head(report.top_n)[
        [
            "rank",
            "area_name",
            "borough_name",
            "area_code",
            "score",
            "rank_low",
            "rank_high",
            "p_top_n",
            "indicators_used",
            "data_note",
        ]
    ]
    norm_text = {
        "zscore": "each indicator is turned into a z-score: how many standard deviations an "
        "area is above or below the average area",
        "minmax": "each indicator is rescaled so the lowest area scores 0 and the highest 1",
        "percentile": "each indicator is turned into a percentile: the share of areas with a "
        "lower value",
        "top_share": f"an area earns a point on an indicator when it is in the top "
        f"{prm['top_share']:.0%} of areas (the London VRU Area Prioritisation Tool's scheme)",
    }[prm["normalisation"]]
    agg_text = (
        "the score is the weighted sum of these values, so a high value on one indicator can "
        "make up for a low value on another"
        if prm["aggregation"] == "additive"
        else "the score is the weighted geometric mean (after shifting every indicator so its "
        f"lowest value is {prm['geometric_floor']}), so a low value on one indicator is only "
        "partly made up for by high values on others"
    )
    miss_text = {
        "auto": "where an area lacks an indicator the profile weights heavily (a domain with at "
        "least a quarter of the weight), the borough's value is used and the area is listed "
        "under 'Ranked on partial data'; an area whose borough has no value either is not "
        "ranked; a missing lightly weighted indicator is left out and the others' weights "
        "scaled up (also listed)",
        "reweight": "where an area lacks an indicator, its score uses the indicators it has, "
        "with their weights scaled up; the table shows how many each area has",
        "exclude": "areas missing any indicator are left out (listed below)",
        "impute_parent": "a missing value is replaced by the borough's value (listed in the "
        "spreadsheet)",
        "error": "every area had every indicator",
    }[prm["missing"]]
    boot = (
        " Crime rates also vary by chance from year to year: each draw also redraws them "
        "with their Poisson sampling error."
        if prm["bootstrap"]
        else ""
    )
    excluded = report.index.excluded
    css = (
        "body{font-family:system-ui,-apple-system,'Segoe UI',Arial,sans-serif;max-width:980px;"
        "margin:2em auto;padding:0 1em;color:#0b0c0c;line-height:1.45}"
        "table{border-collapse:collapse;font-size:.85em;margin:1em 0}"
        "th,td{border-bottom:1px solid #b1b4b6;padding:.3em .6em;text-align:left}"
        "th{background:#f3f2f1}.note{color:#505a5f;font-size:.9em}svg{max-width:100%;height:auto}"
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Need index: {html.escape(p.name)} by {report.geography}</title>
<style>{css}</style></head><body>
<h1>Where would {html.escape(p.name.lower())} help most?</h1>
{_public_note(report)}
<p>{html.escape(p.description)} Ranking of {prm["n_areas"]:,} {report.geography} areas
({html.escape(report.inputs.area_type)}) on {len(p.indicators)} indicators, profile
<code>{html.escape(p.profile_id)}</code> version {p.version}.</p>
<h2>Map</h2>{map_svg_html}
<h2>Top {report.top_n}</h2>
<p class="note">Rank 1 = most need. The rank interval holds {report.uncertainty.interval:.0%} of
the ranks seen when the weights are varied; "P(top {report.top_n})" is the share of those
variations in which the area stays in the top {report.top_n}. Areas whose intervals overlap
cannot be told apart with confidence.</p>
{table_html(top, float_format="{:,.3f}", missing="—")}
<h2>Why these areas rank high</h2>{bar_svg}
<h2>How the index is made</h2>
<ol>
<li><b>Indicators.</b> The profile picks the indicators below and says why. Each is turned round
where needed so that a higher value always means more need (for example, lower life expectancy
counts as more need).</li>
<li><b>Making indicators comparable.</b> Indicators have different units, so {norm_text}.</li>
<li><b>Weights.</b> Each indicator has a weight, and indicators are grouped into domains with their
own weights; the effective weights are in the indicator table.</li>
<li><b>Combining.</b> {agg_text}.</li>
<li><b>Missing data.</b> {miss_text}. A missing value is never counted as zero.</li>
<li><b>How sure is the ranking?</b> Weights are a judgement. The index was recomputed
{prm["n_draws"]:,} times with every weight randomly changed by up to
±{prm["spread"]:.0%} (seed {prm["seed"]}, so the figures can be reproduced).{boot}</li>
<li><b>Does the method matter?</b> The table below recomputes the ranking with each way of making
indicators comparable and compares it with the one used.</li>
</ol>
<p class="note">Method: {html.escape(report.index.method)} {html.escape(report.uncertainty.method)}
Reference: {html.escape(report.index.reference)}</p>
<h3>Sensitivity to the normalisation method</h3>
{table_html(report.sensitivity.table, float_format="{:,.3f}", missing="—")}
<h3>Indicators</h3>
{table_html(_indicator_table(report).drop(columns=["unit"]), float_format="{:,.4g}", missing="—")}
<h3>Why this profile</h3><p>{html.escape(p.rationale)}</p>
<ul>{"".join(f"<li>{html.escape(s)}</li>" for s in p.sources)}</ul>
<h3 id="not-ranked">Areas not ranked</h3>
{table_html(not_ranked(report), float_format="{:,.3f}", missing="—") if not excluded.empty else "<p>None.</p>"}
<h3 id="partial-data">Ranked on partial data</h3>
{_partial_html(report)}
<h3 id="stable-rates">Crime rates: smoothing and denominators</h3>
{_rates_html(report)}
<h3>Caveats</h3><ul>
<li>Indicators come from different years (see the periods); ward profile indicators date from
2009 to 2015.</li>
<li>Recorded crime counts offences where they were recorded, not where victims or offenders live;
busy centres have high rates per resident.</li>
<li>A ranking shows relative need among these areas only; it is a starting point for local
knowledge, not a decision.</li></ul>
</body></html>
"""

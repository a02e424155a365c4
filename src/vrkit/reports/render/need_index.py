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
from vrkit.reports.render.page import Page, render
from vrkit.reports.tabular import write_csv


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
        write_xlsx(report, p)
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
        downloads = [f"{stem}.{f}" for f in formats if f != "html"]
        p.write_text(render_html(report, geoms, downloads=downloads), encoding="utf-8")
        paths.append(p)
    return paths


def _method_rows(report: NeedIndexReport) -> pd.DataFrame:
    items = ["method", "uncertainty", "reference", *list(report.params)]
    values = [report.index.method, report.uncertainty.method, report.index.reference] + [
        str(v) for v in report.params.values()
    ]
    if report.public:
        items.append("disclosure_control")
        values.append(f"{rule_description(report.sdc_rule or 'lt10')} {PUBLIC_METHOD}")
    return pd.DataFrame({"item": items, "value": values})


def _with_borough(report: NeedIndexReport, frame: pd.DataFrame) -> pd.DataFrame:
    from vrkit.catalog.areas import borough_names
    from vrkit.reports.render.workbook import with_area_names

    areas = report.inputs.areas
    names = dict(zip(areas["area_code"], areas["area_name"], strict=True))
    parents = dict(zip(areas["area_code"], areas["parent_code"], strict=True))
    has_parent = report.inputs.area_type not in ("lad", "borough")
    return with_area_names(
        frame,
        names,
        parents=parents if has_parent else None,
        parent_names=borough_names() if has_parent else None,
    )


def write_xlsx(report: NeedIndexReport, path: Path) -> Path:
    """The ranking workbook in the house style: ranking (with borough), sensitivity,
    indicators, areas not ranked, areas ranked on partial data, imputed values, method,
    disclosure control (public edition)."""
    from vrkit.reports.render.workbook import Table, write_workbook

    p = report.profile
    geo = report.geography
    src = "Indicators as listed on the indicators sheet"
    tables = [
        Table(
            "ranking",
            f"Need index: {p.name}, {geo} areas ranked",
            _with_borough(report, report.table),
            src,
        ),
        Table(
            "sensitivity", "Sensitivity to the normalisation method", report.sensitivity.table, src
        ),
        Table(
            "indicators",
            "Indicators, weights and sources",
            _indicator_table(report),
            "Profile " + p.profile_id,
        ),
        Table(
            "not_ranked",
            "Areas not ranked, and why",
            not_ranked(report),
            src,
            empty_reason="every area was ranked",
        ),
        Table(
            "partial_data",
            "Areas ranked on partial data",
            partial_data(report),
            src,
            empty_reason="every ranked area has every indicator",
        ),
        Table(
            "imputed",
            "Values imputed from the borough",
            _with_borough(report, report.index.imputed),
            src,
            empty_reason="no value was imputed",
        ),
        Table(
            "method",
            "Method and parameters",
            _method_rows(report),
            "vrkit",
            units="Units: as labelled",
        ),
    ]
    if report.public and report.disclosure:
        d = report.disclosure
        tables.append(
            Table(
                "disclosure_control",
                "Disclosure control applied to this public edition",
                pd.DataFrame({"item": list(d), "value": [str(v) for v in d.values()]}),
                "vrkit",
                units="Units: as labelled",
            )
        )
    about = [
        ("Report", "Need index ranking"),
        ("Profile", f"{p.name} ({p.profile_id}, version {p.version})"),
        ("Areas", f"{report.params.get('n_areas', len(report.table)):,} {geo} areas"),
        ("Edition", f"public (rule {report.sdc_rule})" if report.public else "full"),
        ("Licence", "Open Government Licence v3.0; contains OS data © Crown copyright"),
    ]
    return write_workbook(
        path,
        title=f"Need index: {p.name} by {geo}",
        about=about,
        tables=tables,
        notes=[*(("note", n) for n in report.inputs.notes), *(("caveat", c) for c in CAVEATS)],
    )


#: caveats of every ranking
CAVEATS = (
    "Indicators come from different years (see the periods); ward profile indicators date from "
    "2009 to 2015.",
    "Recorded crime counts offences where they were recorded, not where victims or offenders "
    "live; busy centres have high rates per resident.",
    "A ranking shows relative need among these areas only; it is a starting point for local "
    "knowledge, not a decision.",
)


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


def _partial_beyond_borough_level(report: NeedIndexReport) -> int:
    """Areas ranked on partial data for a reason other than the indicators published for
    boroughs only (another indicator imputed from the borough, or missing)."""
    own = set(report.inputs.parent_level)
    n = 0
    for r in report.index.partial.itertuples():
        imputed = {i.strip() for i in str(r.imputed_from_parent).split(",") if i.strip()}
        if imputed - own or str(r.missing_reweighted).strip():
            n += 1
    return n


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
        "statements": list(report.statements),
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


def _partial_html(report: NeedIndexReport) -> str:
    part = partial_data(report)
    if part.empty:
        return "<p>None: every ranked area has every indicator.</p>"
    heavy = report.params.get("heavy_indicators") or []
    by_borough = list(report.inputs.parent_level)
    lead = (
        f"<p>{len(part):,} areas are ranked with one or more indicators not as published. "
        + (
            "Indicators published for boroughs only ("
            + html.escape(", ".join(by_borough))
            + ") take the borough's value in every area of the borough. "
            if by_borough
            else ""
        )
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
    return lead + table_html(part, missing="—", caption="Areas ranked on partial data")


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
        f"crude rate (“Crude rate: …”) beside the rate used (“Rate used: …”). Years of the counts: "
        f"{html.escape(years)}.</p>"
        "<p>Rates per resident also mislead where most people present are not residents "
        "(central London: workers and visitors). Areas whose resident population is in the "
        "bottom 5 %, or whose workday population (residents − residents in work + jobs, from "
        "the ward profiles where loaded) is more than twice the residents, are flagged in "
        "the “Denominator flag” column.</p>"
    )
    if not flags.empty:
        out += table_html(
            flags[["rank", "area_name", "borough_name", "denominator_flag"]].head(40),
            missing="—",
            caption="Areas whose rates per resident may mislead",
        )
    for n in inp.notes:
        out += f'<p class="small">{html.escape(n)}</p>'
    return out


def render_html(
    report: NeedIndexReport,
    geoms: pd.DataFrame | None = None,
    *,
    downloads: Sequence[str] = (),
) -> str:
    """The self-contained HTML report (inline CSS and SVG; opens offline).

    ``downloads``: the report's other files written beside the page (linked).
    """
    from vrkit._version import __version__

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
    steps = [
        (
            "Indicators.",
            "The profile picks the indicators below and says why. Each is turned round where "
            "needed so that a higher value always means more need (for example, lower life "
            "expectancy counts as more need).",
        ),
        ("Making indicators comparable.", f"Indicators have different units, so {norm_text}."),
        (
            "Weights.",
            "Each indicator has a weight, and indicators are grouped into domains with their "
            "own weights; the effective weights are in the indicator table.",
        ),
        ("Combining.", f"{agg_text[0].upper()}{agg_text[1:]}."),
        (
            "Missing data.",
            f"{miss_text[0].upper()}{miss_text[1:]}. A missing value is never counted as zero.",
        ),
        (
            "How sure is the ranking?",
            f"Weights are a judgement. The index was recomputed {prm['n_draws']:,} times with "
            f"every weight randomly changed by up to ±{prm['spread']:.0%} (seed {prm['seed']}, "
            f"so the figures can be reproduced).{boot}",
        ),
        (
            "Does the method matter?",
            "The sensitivity table recomputes the ranking with each way of making indicators "
            "comparable and compares it with the one used.",
        ),
    ]
    n_areas = prm["n_areas"]
    leader = report.table.iloc[0] if not report.table.empty else None
    points = [
        f"{n_areas:,} {report.geography} areas ({report.inputs.area_type}) ranked on "
        f"{len(p.indicators)} indicators of the profile {p.name} (version {p.version}).",
    ]
    if leader is not None:
        points.append(
            f"{leader['area_name']} ranks first (score {leader['score']:.3f}; rank interval "
            f"{int(leader['rank_low'])} to {int(leader['rank_high'])})."
        )
    if not report.index.excluded.empty:
        points.append(
            f"{len(report.index.excluded):,} areas could not be ranked (listed under "
            "“Areas not ranked”)."
        )
    points += list(report.statements)
    n_partial = len(partial_data(report))
    if n_partial:
        n_other = _partial_beyond_borough_level(report)
        points.append(
            f"{n_partial:,} areas are ranked on partial data: one or more indicators not as "
            "published (listed under “Ranked on partial data”)."
            + (
                f" For {n_partial - n_other:,} of them the only such indicators are those "
                f"published for boroughs only; {n_other:,} have another indicator imputed or "
                "missing."
                if report.inputs.parent_level
                else ""
            )
        )
    page = Page(
        kind="Need index · Ranking",
        title=f"Where would {p.name.lower()} help most?",
        meta=[
            ("Profile", f"{p.name} ({p.profile_id}, version {p.version})"),
            ("Areas", f"{n_areas:,} {report.geography} areas"),
            ("Method", f"{prm['normalisation']}, {prm['aggregation']}"),
            ("Edition", f"Public (rule {report.sdc_rule})" if report.public else "Full"),
        ],
        sections=[
            ("map", "Map"),
            ("top", f"Top {report.top_n}"),
            ("why", "Why these areas rank high"),
            ("methods", "Methods"),
            ("sources", "Sources and caveats"),
        ],
        downloads=list(downloads),
        version=__version__,
    )
    ind = _indicator_table(report).drop(columns=["unit"])
    return render(
        "need_index.html.j2",
        page,
        r=report,
        points=[p.description, *points],
        public_method=PUBLIC_METHOD,
        map_svg=map_svg_html,
        map_caption=(
            f"Need index scores for {p.name} by {report.geography}; darker = more need."
            if geoms is not None and not geoms.empty
            else ""
        ),
        bar_svg=bar_svg,
        interval=f"{report.uncertainty.interval:.0%}",
        top_table=table_html(top, missing="—", caption=f"Top {report.top_n} areas by need"),
        steps=steps,
        sensitivity_table=table_html(
            report.sensitivity.table, missing="—", caption="Ranking by normalisation method"
        ),
        indicator_table=table_html(ind, missing="—", caption="Indicators of the profile"),
        excluded_table=table_html(
            not_ranked(report),
            missing="—",
            empty="<p>None: every area was ranked.</p>",
            caption="Areas not ranked",
        ),
        partial_html=_partial_html(report),
        rates_html=_rates_html(report),
        caveats=CAVEATS,
    )

"""The needs assessment rendered: ``needs-assessment.html`` (self-contained), ``.xlsx`` (every
table) and ``.gpkg`` (layers ``hotspots``, ``spacetime``, ``top_places`` for QGIS)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrkit.disclosure.tables import SUPPRESSED_COL
from vrkit.errors import InputError
from vrkit.reports.build.needs_assessment import FORMATS, NeedsAssessment
from vrkit.reports.render.html import table_html
from vrkit.reports.render.labels import Kind, format_value
from vrkit.reports.render.page import Page, render


def write_needs_assessment(
    report: NeedsAssessment, out_dir: Path, *, formats: tuple[str, ...] | list[str] = FORMATS
) -> list[Path]:
    """Write the report files to ``out_dir``; returns their paths."""
    bad = set(formats) - set(FORMATS)
    if bad:
        raise InputError(f"unknown format(s) {sorted(bad)}", hint=f"Use {', '.join(FORMATS)}.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    if "gpkg" in formats:
        paths.append(write_gpkg(report, out_dir / "needs-assessment.gpkg"))
    if "xlsx" in formats:
        paths.append(write_xlsx(report, out_dir / "needs-assessment.xlsx"))
    if "html" in formats:
        p = out_dir / "needs-assessment.html"
        downloads = [f"needs-assessment.{f}" for f in FORMATS if f in formats and f != "html"]
        p.write_text(render_html(report, downloads=downloads), encoding="utf-8")
        paths.append(p)
    return paths


def tables(report: NeedsAssessment) -> dict[str, pd.DataFrame]:
    """Every table of the report by sheet name."""
    about = pd.DataFrame(report.methods, columns=["item", "value"])
    warn = pd.DataFrame({"warning": report.warnings})
    out = {
        "methods": about,
        "concentration": report.concentration,
        "lorenz": report.lorenz,
        "persistence": report.persistence,
        "hotspots": report.hotspots,
        "spacetime": report.spacetime,
        "top_places": report.top_places,
        "deprivation": report.deprivation,
        "deprivation_domains": report.deprivation_domains,
        "deprivation_gap_trend": report.gap_trend,
        "borough_profile": report.borough_profile,
        "counts": (
            report.published_counts
            if report.public and report.published_counts is not None
            else report.data.counts.reset_index()
        ),
        "warnings": warn,
    }
    if report.datasets is not None:
        out["datasets"] = report.datasets
    if report.public:
        out = {"disclosure_control": disclosure_table(report), **out}
    return out


def disclosure_table(report: NeedsAssessment) -> pd.DataFrame:
    """The ``disclosure_control`` record as ``item, value`` rows (XLSX sheet, GPKG table)."""
    d = report.disclosure or {}
    return pd.DataFrame({"item": list(d), "value": [str(v) for v in d.values()]})


def write_xlsx(report: NeedsAssessment, path: Path) -> Path:
    """All tables in the house workbook style (Contents, titled sheets, Notes); area names and
    boroughs beside area codes; missing values are blank cells; suppressed counts ``*``."""
    from vrkit.catalog.areas import borough_names
    from vrkit.reports.render.workbook import Table, with_area_names, write_workbook

    places = report.data.places
    names = dict(zip(places["area_code"], places["area_name"], strict=True))
    parents = (
        dict(zip(places["area_code"], places["parent_code"], strict=True))
        if "parent_code" in places.columns
        else None
    )
    boroughs = borough_names()
    geo = report.geography.upper()
    span = f"{report.data.years[0]}–{report.latest_year}"
    src = (
        "Metropolitan Police Service recorded crime; ONS; MHCLG English Indices of Deprivation 2019"
    )
    titles = {
        "disclosure_control": "Disclosure control applied to this public edition",
        "methods": "Methods and parameters",
        "concentration": f"Concentration of {report.measure_label.lower()} by year",
        "lorenz": f"Lorenz curve, {report.latest_year}",
        "persistence": "Do the same places stay in the top 5 %?",
        "hotspots": f"Gi* and Local Moran hot spots by {geo}, {report.latest_year}",
        "spacetime": f"Persistent and emerging hot spots by {geo}, {span}",
        "top_places": f"Top 5 % of {geo}s, {report.latest_year}",
        "deprivation": f"{report.measure_label} by IMD 2019 decile, {report.latest_year}",
        "deprivation_domains": "By domain of deprivation (decile 1 vs decile 10)",
        "deprivation_gap_trend": "The deprivation gap over time",
        "borough_profile": "Borough profile: perceptions of the police and school exclusions",
        "counts": f"{report.measure_label}: counts by {geo} and year",
        "warnings": "Warnings",
        "datasets": "Files behind this report",
    }
    sheets = []
    for name, frame in tables(report).items():
        if name == "warnings":
            continue  # in Notes
        f = frame
        if name in ("hotspots", "spacetime", "top_places", "counts"):
            f = with_area_names(f, names, parents=parents, parent_names=boroughs)
        kinds: dict[str, Kind] = {}
        if name == "counts":
            kinds = {str(c): "count" for c in f.columns if str(c).isdigit()}
        sheets.append(
            Table(
                name,
                titles.get(name, name),
                f,
                "vrkit warehouse registry"
                if name == "datasets"
                else PROFILE_SOURCE
                if name == "borough_profile"
                else src,
                kinds=kinds,
                units={
                    "methods": "Units: as labelled",
                    "disclosure_control": "Units: as labelled",
                    "counts": "Units: offences recorded in the year",
                }.get(name, ""),
            )
        )
    about = [
        ("Report", "Needs assessment"),
        ("Area", f"{report.area_name} ({report.area_code})"),
        ("Measure", report.measure_label),
        ("Geography", f"{geo} ({len(places):,} places)"),
        ("Years", span),
        ("Edition", f"public (rule {report.sdc_rule})" if report.public else "full"),
        ("Licence", "Open Government Licence v3.0; contains OS data © Crown copyright"),
    ]
    notes = (
        [("warning", w) for w in report.warnings]
        + [("borough profile", n) for n in report.borough_profile_notes]
        + [
            (
                "caveat",
                "Recorded crime counts offences where they were recorded, not where victims "
                "or offenders live; busy centres have high rates per resident.",
            ),
        ]
    )
    return write_workbook(
        path,
        title=f"{report.measure_label} in {report.area_name}: needs assessment, {span}",
        about=about,
        tables=sheets,
        notes=notes,
    )


def write_gpkg(report: NeedsAssessment, path: Path) -> Path:
    """Layers ``hotspots`` (count, gi_z, p_value, p_adjusted, hotspot_class, lisa_i,
    lisa_quadrant, …), ``spacetime`` and ``top_places``, EPSG:27700.

    Public edition: suppressed counts and blanked figures are NULL, named in each feature's
    ``suppressed`` and ``blanked`` fields, and a table ``disclosure_control`` states the rule."""
    import geopandas as gpd

    if path.exists():
        path.unlink()
    geo = report.data.places[["area_code", "geometry"]]
    for layer, frame in (
        ("hotspots", report.hotspots),
        ("spacetime", report.spacetime),
        ("top_places", report.top_places),
    ):
        g = gpd.GeoDataFrame(
            geo.merge(frame, on="area_code"), geometry="geometry", crs="EPSG:27700"
        )
        g.to_file(path, layer=layer, driver="GPKG")
    if report.public:
        import pyogrio

        pyogrio.write_dataframe(
            disclosure_table(report), path, layer="disclosure_control", driver="GPKG"
        )
    return path


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

GI_COLOURS = {
    "Hot spot, 99 %": "#b2182b",
    "Hot spot, 95 %": "#ef8a62",
    "Hot spot, 90 %": "#fddbc7",
    "Not significant": "#f0f0f0",
    "Cold spot, 90 %": "#d1e5f0",
    "Cold spot, 95 %": "#67a9cf",
    "Cold spot, 99 %": "#2166ac",
}


def _features(
    report: NeedsAssessment, values: pd.DataFrame, fields: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Category features of the report's places (20 m simplification)."""
    from vrkit.reports.render.maps import geojson_features

    return geojson_features(
        report.data.places, values, fields=fields, tolerance=20.0, numeric=False
    )


def _category_map(
    features: list[dict[str, Any]],
    field: str,
    colours: dict[str, str],
    title: str,
    subtitle: str,
    description: str,
) -> str:
    import altair as alt

    from vrkit.reports.render.charts import base_config
    from vrkit.reports.render.maps import GEO_DATASET, map_svg

    data = alt.NamedData(name=GEO_DATASET)
    chart = (
        alt.Chart(data)
        .mark_geoshape(stroke="#ffffff", strokeWidth=0.2)
        .encode(
            color=alt.Color(
                f"properties.{field}:N",
                title=None,
                scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                legend=alt.Legend(orient="right"),
            ),
            description=alt.Description("desc:N"),
        )
        .transform_calculate(desc=f"datum.properties.area_name + ': ' + datum.properties.{field}")
        .properties(
            width=620,
            height=470,
            title=alt.Title(title, subtitle=subtitle),
            projection=alt.Projection(type="mercator"),
        )
        .configure(**base_config())
    )
    return map_svg(chart, features, description=description)


EHSA_COLOURS = {
    "new hot spot": "#fee0d2",
    "consecutive hot spot": "#fcbba1",
    "intensifying hot spot": "#a50f15",
    "persistent hot spot": "#de2d26",
    "diminishing hot spot": "#fb6a4a",
    "sporadic hot spot": "#fc9272",
    "oscillating hot spot": "#f768a1",
    "historical hot spot": "#bcbddc",
    "new cold spot": "#deebf7",
    "consecutive cold spot": "#c6dbef",
    "intensifying cold spot": "#08519c",
    "persistent cold spot": "#3182bd",
    "diminishing cold spot": "#6baed6",
    "sporadic cold spot": "#9ecae1",
    "oscillating cold spot": "#74c476",
    "historical cold spot": "#d9d9d9",
    "no pattern detected": "#f7f7f7",
}


def _charts(report: NeedsAssessment) -> dict[str, str]:
    import altair as alt

    from vrkit.reports.render.charts import base_config, to_svg

    out: dict[str, str] = {}
    grid = np.linspace(0, 1, 201)  # the curve at 0.5 % steps keeps the SVG small
    lz = pd.DataFrame(
        {
            "share_places": grid,
            "share_crimes": np.interp(
                grid, report.lorenz["share_places"], report.lorenz["share_crimes"]
            ),
        }
    )
    lz_long = pd.concat(
        [
            lz.assign(line="Lorenz curve", y=lz["share_crimes"]),
            lz.assign(line="Equality", y=lz["share_places"]),
        ]
    )
    ch = (
        alt.Chart(lz_long)
        .mark_line()
        .encode(
            x=alt.X(
                "share_places:Q",
                title="Share of places (most crime first)",
                axis=alt.Axis(format="%"),
            ),
            y=alt.Y(
                "y:Q", title=f"Share of {report.measure_label.lower()}", axis=alt.Axis(format="%")
            ),
            color=alt.Color(
                "line:N",
                title=None,
                scale=alt.Scale(domain=["Lorenz curve", "Equality"], range=["#1d70b8", "#b1b4b6"]),
            ),
        )
        .properties(
            width=520,
            height=340,
            title=f"Concentration of {report.measure_label.lower()}, {report.latest_year}",
        )
        .configure(**base_config())
    )
    out["lorenz"] = to_svg(ch, description="Lorenz curve of crime across places")
    c = report.concentration
    ch2 = (
        alt.Chart(c)
        .mark_line(point=True)
        .encode(
            x=alt.X("year:O", title=None),
            y=alt.Y(
                "top_5pct_share:Q",
                title="Share in top 5 % of places",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(zero=True),
            ),
        )
        .properties(width=520, height=240, title="Share of crime in the top 5 % of places, by year")
        .configure(**base_config())
    )
    out["top5"] = to_svg(ch2, description="Share of crime in the top 5 % of places by year")
    if not report.deprivation.empty:
        d = report.deprivation
        bars = (
            alt.Chart(d)
            .mark_bar(color="#1d70b8")
            .encode(
                x=alt.X("decile:O", title="IMD 2019 decile (1 = most deprived)"),
                y=alt.Y("rate:Q", title="Rate per 1,000 residents"),
            )
        )
        err = (
            alt.Chart(d)
            .mark_rule(color="#0b0c0c")
            .encode(x="decile:O", y="rate_lower:Q", y2="rate_upper:Q")
        )
        ch3 = (
            alt.layer(bars, err)
            .properties(
                width=520,
                height=300,
                title=f"{report.measure_label} per 1,000 residents by deprivation, {report.latest_year}",
            )
            .configure(**base_config())
        )
        out["deprivation"] = to_svg(ch3, description="Rate by IMD decile with 95% intervals")
    feats = _features(report, report.hotspots, ("gi_class",))
    out["gi_map"] = _category_map(
        feats,
        "gi_class",
        GI_COLOURS,
        f"Gi* hot and cold spots, {report.latest_year}",
        f"classes on adjusted p-values, {len(report.hotspots):,} places",
        "Map of Gi* hot and cold spot classes",
    )
    if "ehsa_category" in report.spacetime.columns:
        feats2 = _features(report, report.spacetime, ("ehsa_category",))
        present = {
            k: v for k, v in EHSA_COLOURS.items() if k in set(report.spacetime["ehsa_category"])
        }
        out["ehsa_map"] = _category_map(
            feats2,
            "ehsa_category",
            present,
            "Persistent and emerging hot spots",
            f"Emerging Hot Spot Analysis, {report.data.years[0]}–{report.latest_year}",
            "Map of emerging hot spot categories",
        )
    return out


def _counts_table(counts: dict[str, Any], caption: str, what: str) -> str:
    frame = pd.DataFrame({"category": list(counts), "places": list(counts.values())})
    return table_html(frame, caption=caption, labels={"category": what})


def _points(report: NeedsAssessment, hot_counts: dict[str, int]) -> list[str]:
    """The main points, in words, numbers formatted by kind."""
    latest = report.concentration.iloc[-1]
    gd = 2 if report.public else 3
    geo = report.geography.upper()
    pts = [
        f"In {report.latest_year}, the {format_value(latest['top_5pct_places'], 'count')} "
        f"{geo}s with most {report.measure_label.lower()} (the top 5 % of "
        f"{format_value(latest['places'], 'count')}) recorded "
        f"{format_value(latest['top_5pct_share'], 'share')} of it; half of it happened in "
        f"{format_value(latest['places_for_50pct'], 'share')} of places.",
        f"Gini coefficient {latest['gini']:.{gd}f} (generalised {latest['gini_adjusted']:.{gd}f}, "
        f"95 % interval {latest['gini_ci_lower']:.{gd}f} to {latest['gini_ci_upper']:.{gd}f}).",
        f"{hot_counts['Hot spot, 99 %'] + hot_counts['Hot spot, 95 %']:,} places are Gi* hot "
        "spots at 95 % confidence or more after adjustment for multiple testing.",
    ]
    gap = report.gap_summary
    if "rate_ratio" in gap:
        s = (
            f"The rate in the most deprived tenth of LSOAs was {gap['rate_ratio']:.2f} times that "
            f"in the least deprived (95 % CI {gap['rr_lower']:.2f} to {gap['rr_upper']:.2f})"
        )
        if "annual_change" in gap:
            s += (
                f"; the ratio changed by a factor {gap['annual_change']:.3f} a year "
                f"({gap['change_lower']:.3f} to {gap['change_upper']:.3f})"
            )
        pts.append(s + ".")
    return pts


#: sources of the borough profile sheet
PROFILE_SOURCE = (
    "MOPAC Public Attitude Survey (London Datastore); Department for Education, Permanent and "
    "fixed-period exclusions in England by geographic level"
)


def _profile_tables(report: NeedsAssessment) -> list[str]:
    """The borough profile as HTML tables: for a borough, one row per indicator with London
    (and England) alongside; for London, one table per topic, boroughs by indicator, London
    (and England) last."""
    bp = report.borough_profile
    out = []
    for topic, g in bp.groupby("topic", sort=True):
        unit = g["unit"].iloc[0]
        period = ", ".join(sorted(g["period"].unique()))
        caption = f"{topic}: {period} ({unit})"
        has_england = g["england_value"].notna().any()
        if g["area_code"].nunique() == 1:
            keep = ["indicator", "area_value", "london_value"]
            t = g[keep + (["england_value"] if has_england else [])]
            t = t.rename(columns={"area_value": str(g["area_name"].iloc[0])})
        else:
            wide = g.pivot_table(
                index="area_name", columns="indicator", values="area_value", aggfunc="first"
            )
            ref = g.groupby("indicator")[["london_value", "england_value"]].first()
            extra = [("London", "london_value")]
            extra += [("England", "england_value")] if has_england else []
            for label, col in extra:
                wide.loc[label] = ref[col].reindex(wide.columns)
            t = wide.reset_index().rename(columns={"area_name": "Borough"})
            t.columns.name = None
        # PAS proportions are published to 2 decimals (whole percentages); DfE rates to 2
        fmt = "{:,.0f}" if unit == "% of respondents" else "{:,.2f}"
        html_table = table_html(t, caption=caption, float_format=fmt, missing="—")
        out.append(html_table.replace('class="table-wrap', 'class="table-wrap scroll', 1))
    return out


def render_html(report: NeedsAssessment, *, downloads: list[str] | tuple[str, ...] = ()) -> str:
    """The self-contained HTML report (inline CSS and SVG, no scripts, no external references).

    ``downloads``: the report's other files written beside the page (linked).
    """
    from vrkit._version import __version__

    charts = _charts(report)
    c = report.concentration
    conc_cols = [
        "year",
        "places",
        "crimes",
        "top_5pct_share",
        "top_10pct_share",
        "places_for_25pct",
        "places_for_50pct",
        "gini",
        "gini_adjusted",
        "gini_ci_lower",
        "gini_ci_upper",
    ]
    hot_counts = (
        report.hotspots["gi_class"].value_counts().reindex(list(GI_COLOURS)).fillna(0).astype(int)
    ).to_dict()
    ehsa = (
        report.spacetime["ehsa_category"].value_counts().to_dict()
        if "ehsa_category" in report.spacetime
        else {}
    )
    sfh = (
        report.spacetime["hotspot_category"].value_counts().to_dict()
        if "hotspot_category" in report.spacetime
        else {}
    )
    geo = report.geography.upper()
    span = f"{report.data.years[0]}–{report.latest_year}"
    page = Page(
        kind="Strategic needs assessment analytics · Needs assessment",
        title=(
            f"{report.measure_label} in {report.area_name}: where it concentrates, persists and "
            f"who it affects, {span}"
        ),
        meta=[
            ("Area", f"{report.area_name} ({report.area_code})"),
            ("Years", span),
            ("Places", f"{len(report.data.places):,} {geo}s"),
            ("Edition", f"Public (rule {report.sdc_rule})" if report.public else "Full"),
        ],
        sections=[
            ("concentration", "Concentration"),
            ("hotspots", "Hot spots"),
            ("spacetime", "Persistent and emerging hot spots"),
            ("top", f"Top places, {report.latest_year}"),
            ("deprivation", "Deprivation"),
            ("profile", "Borough profile"),
            ("methods", "Methods"),
            ("sources", "Sources and caveats"),
        ],
        downloads=list(downloads),
        version=__version__,
    )
    top = report.top_places
    return render(
        "needs_assessment.html.j2",
        page,
        r=report,
        geo=geo,
        charts=charts,
        points=_points(report, hot_counts),
        conc_table=table_html(
            c[[x for x in [*conc_cols, SUPPRESSED_COL] if x in c.columns]],
            caption=f"Concentration of {report.measure_label.lower()} by year",
        ),
        persistence_table=table_html(
            report.persistence, caption="Persistence of the top 5 % between years"
        ),
        hot_table=_counts_table(hot_counts, "Places by Gi* class", "Gi* class"),
        ehsa_table=_counts_table(ehsa, "Emerging Hot Spot Analysis", "Category"),
        sfh_table=_counts_table(sfh, "sfhotspot classes", "Class"),
        top_table=table_html(top, caption=f"Top 5 % of {geo}s, {report.latest_year}").replace(
            'class="table-wrap', 'class="table-wrap scroll', 1
        ),
        dep_table=table_html(report.deprivation, caption="Rate by IMD 2019 decile"),
        domain_table=table_html(
            report.deprivation_domains, caption="Most vs least deprived decile by domain"
        ),
        gap_table=table_html(report.gap_trend, caption="The deprivation gap by year"),
        profile_tables=_profile_tables(report),
        datasets_table=table_html(
            report.datasets if report.datasets is not None else pd.DataFrame(),
            caption="Files behind this report",
        ),
    )

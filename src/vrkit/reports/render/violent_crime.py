"""The Violent Crime Report rendered: one self-contained HTML page, an XLSX workbook and JSON.

:func:`write_report` writes ``violent-crime-<area-slug>-<year>.<format>`` files from a built
(:mod:`vrkit.reports.build.violent_crime`) or public (:mod:`vrkit.reports.public.violent_crime`)
report; :func:`render_html` is the page (inline CSS and SVG, no external reference).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit._json import is_missing
from vrkit._version import __version__
from vrkit.catalog.measures import get_measure
from vrkit.errors import InputError
from vrkit.reports.build.violent_crime import (
    KNIFE_KIND,
    MAP_MEASURE,
    SOURCE_KIND,
    TABLE_MEASURES,
    WARD_ANNUAL,
    WARD_MONTHLY,
    ViolentCrimeReport,
)
from vrkit.reports.render.cost_section import html_context as cost_context
from vrkit.reports.render.labels import format_p
from vrkit.reports.render.page import Page, downloads_for, render

#: counts-aware change classes of the change maps: only a significant change has a colour
CHANGE_COLOURS: tuple[tuple[str, str], ...] = (
    ("significant fall", "#2166ac"),
    ("no significant change", "#f0f0f0"),
    ("significant rise", "#e66101"),
)


def write_report(
    report: ViolentCrimeReport,
    out_dir: Path,
    formats: Sequence[str] = ("html", "xlsx", "json"),
) -> list[Path]:
    """Write the report as ``violent-crime-<area-slug>-<year>.<format>`` files in ``out_dir``.

    Parameters
    ----------
    report : ViolentCrimeReport
    out_dir : Path
        Created if missing.
    formats : sequence of str
        Any of ``html``, ``xlsx``, ``json``.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.
    """
    known = ("html", "xlsx", "json")
    bad = [f for f in formats if f not in known]
    if bad:
        raise InputError(
            f"unknown report format(s) {', '.join(bad)}", hint=f"Use any of {', '.join(known)}."
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for fmt in formats:
        p = out_dir / f"{report.file_stem}.{fmt}"
        if fmt == "json":
            text = json.dumps(report.to_dict(), indent=2, allow_nan=False, ensure_ascii=False)
            p.write_text(text + "\n", encoding="utf-8")
        elif fmt == "xlsx":
            from vrkit.reports.render.xlsx import write_xlsx

            write_xlsx(report, p)
        else:
            downloads = downloads_for(report.file_stem, formats)
            p.write_text(render_html(report, downloads=downloads), encoding="utf-8")
        paths.append(p)
    return paths


# -- HTML -----------------------------------------------------------------------------------------


def _sup(r: dict[str, Any], field: str) -> bool:
    """True when ``field`` of a public row is suppressed."""
    return field in str(r.get("suppressed") or "").split(",")


def _star(r: dict[str, Any], field: str, text: str) -> str:
    """``"*"`` for a suppressed count, else ``text``."""
    return "*" if _sup(r, field) else text


def _num(x: Any, digits: int = 0) -> str:
    if is_missing(x):
        return "–"
    return f"{float(x):,.{digits}f}"


def _signed(x: Any, digits: int = 0, suffix: str = "") -> str:
    if is_missing(x):
        return "–"
    v = float(x)
    s = f"{abs(v):,.{digits}f}{suffix}"
    if round(v, digits) == 0:
        return f"0{suffix}" if digits == 0 else f"{0:.{digits}f}{suffix}"
    return ("+" if v > 0 else "−") + s


def _rate_digits(x: Any) -> int:
    """Decimals for a rate: 2, or enough for 2 significant figures below 0.1."""
    if is_missing(x) or float(x) == 0 or abs(float(x)) >= 0.1:
        return 2
    return min(4, 1 - math.floor(math.log10(abs(float(x)))))


def _rate(x: Any) -> str:
    return _num(x, _rate_digits(x))


def _ci(lo: Any, hi: Any, ref: Any = None) -> str:
    if is_missing(lo) or is_missing(hi):
        return "–"
    d = _rate_digits(ref if ref is not None else hi)
    return f"{float(lo):,.{d}f} to {float(hi):,.{d}f}"


def _charts(report: ViolentCrimeReport) -> list[dict[str, Any]]:
    from vrkit.reports.render.charts import event_key, monthly_chart, to_svg

    out = []
    src = _source_line(report)
    for m in report.measures:
        d = report.monthly[report.monthly["measure"] == m]
        label = d["label"].iloc[0]
        chart = monthly_chart(
            d,
            label=label,
            year=report.year,
            compare=report.compare_year,
            events=report.events,
            area=report.area_name,
            source=src,
        )
        h = report.headline.set_index("measure").loc[m]
        desc = (
            f"Line chart of {offences_phrase(label)} recorded each month in {report.area_name}, "
            f"{report.compare_year} and {report.year}. {h['commentary']}"
        )
        out.append(
            {
                "measure": m,
                "label": label,
                "svg": to_svg(chart, description=desc),
                "description": desc,
                "key": event_key(report.events, report.year, report.compare_year),
            }
        )
    return out


def _source_line(report: ViolentCrimeReport) -> str:
    rel = (
        report.datasets[report.datasets["source_kind"] == SOURCE_KIND]
        if not (report.datasets.empty)
        else pd.DataFrame()
    )
    tail = ""
    if not rel.empty:
        tail = " Release to " + ", ".join(sorted(set(rel["release"]))) + "."
    return "Source: Metropolitan Police Service recorded crime (London Datastore)." + tail


def _map_measure_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of the mapped measure with ``suppressed_map`` (1 where a count behind the value is
    suppressed: the map shows "suppressed", not a colour)."""
    if frame is None or frame.empty:
        return pd.DataFrame(
            columns=["area_code", "rate", "pct_change", "change_class", "suppressed_map"]
        )
    f = frame[frame["measure"] == MAP_MEASURE]
    sup = (
        f["suppressed"].astype(str).str.len().gt(0).astype(float)
        if "suppressed" in f.columns
        else pd.Series(0.0, index=f.index)
    )
    return f.assign(suppressed_map=sup)


def _maps(report: ViolentCrimeReport) -> list[dict[str, str]]:
    from vrkit.reports.render.maps import (
        choropleth,
        geojson_features,
        is_skewed,
        map_svg,
        outline_data,
    )

    label = get_measure(MAP_MEASURE).label
    out: list[dict[str, str]] = []
    layers: list[tuple[str, pd.DataFrame, pd.DataFrame, float]] = []
    if report.area_kind == "london" and not report.borough_geometry.empty:
        layers.append(
            ("borough", report.borough_geometry, _map_measure_rows(report.boroughs), 40.0)
        )
    if not report.ward_geometry.empty and not report.wards.empty:
        layers.append(
            (
                "ward",
                report.ward_geometry,
                _map_measure_rows(report.wards),
                20.0 if report.area_kind == "london" else 5.0,
            )
        )
    src = "Source: MPS recorded crime; ONS population; GLA boundaries (OGL)."
    for level, geom, vals, tol in layers:
        feats = geojson_features(
            geom,
            vals,
            fields=("rate", "pct_change", "change_class", "suppressed_map"),
            tolerance=tol,
        )
        n_sup = sum(1 for f in feats if f["properties"]["suppressed_map"])
        has_rate = any(f["properties"]["rate"] is not None for f in feats)
        specs = []
        if has_rate:
            specs.append(
                (
                    "rate",
                    f"{label}: rate per 1,000 residents, {report.year}",
                    "Rate per 1,000",
                    False,
                    ",.1f",
                )
            )
        specs.append(
            (
                "change_class",
                f"{label}: change, {report.compare_year} to {report.year}",
                "Change (exact test, 5 %)",
                True,
                "",
            )
        )
        rates = [f["properties"]["rate"] for f in feats if f["properties"]["rate"] is not None]
        # London ward maps: borough outlines and names over the wards
        outlines = (
            outline_data(report.borough_geometry)
            if level == "ward"
            and report.area_kind == "london"
            and not report.borough_geometry.empty
            else None
        )
        quantiles = 5 if is_skewed(rates) else None
        for fld, title, legend, div, fmt in specs:
            classes = quantiles if fld == "rate" else None
            src_txt = {
                WARD_MONTHLY: " (MPS ward monthly data)",
                WARD_ANNUAL: " (derived ward-annual file)",
            }
            sub = [
                f"By {level}, {report.area_name}"
                + (src_txt.get(report.ward_source or "", "") if level == "ward" else ""),
                "Grey: no data"
                + (
                    "; only changes that an exact test finds significant are coloured"
                    if div
                    else ""
                )
                + ("; 5 quantile classes (skewed rates)" if classes else "")
                + (f"; dark grey: suppressed ({n_sup})" if n_sup else ""),
            ]
            chart = choropleth(
                feats,
                field=fld,
                title=title,
                subtitle=sub,
                legend_title=legend,
                categories=CHANGE_COLOURS if fld == "change_class" else None,
                value_format=fmt or ",.1f",
                source=src,
                suppressed_field="suppressed_map" if n_sup else None,
                classes=classes,
                outlines=outlines is not None,
            )
            desc = f"Map of {title.lower()} by {level} in {report.area_name}." + (
                f" {n_sup} areas are marked suppressed (disclosure control)." if n_sup else ""
            )
            out.append(
                {
                    "level": level,
                    "field": fld,
                    "title": title,
                    "description": desc,
                    "svg": map_svg(chart, feats, description=desc, outlines=outlines),
                }
            )
        if not has_rate:
            out.append(
                {
                    "level": level,
                    "field": "rate",
                    "title": "",
                    "description": "",
                    "svg": "",
                    "message": report.missing.get("population")
                    or next(
                        (n for n in report.notes if "ward rates are not shown" in n),
                        "rates are not available for this layer.",
                    ),
                }
            )
    return out


def _sig(r: dict[str, Any]) -> str:
    """``rise``/``fall`` for a significant change (coloured), else ``""``."""
    cls = r.get("change_class")
    return {"significant rise": "rise", "significant fall": "fall"}.get(str(cls), "")


def _pct_cell(r: dict[str, Any]) -> str:
    """% change with "n.s." where its exact test is not significant."""
    txt = _signed(r["pct_change"], 1, " %")
    if r.get("change_class") == "no significant change" and txt not in ("", "–"):
        txt += " (n.s.)"
    return txt


def _table_rows(frame: pd.DataFrame, measure: str, kind_col: str | None = None) -> list[dict]:
    if frame is None or frame.empty:
        return []
    f = frame[frame["measure"] == measure]
    rows = []
    for r in f.to_dict("records"):
        rows.append(
            {
                "name": r["area_name"],
                "code": r["area_code"],
                "kind": r.get(kind_col) if kind_col else "",
                "borough": r.get("borough_name") or "",
                "current": _star(r, "current", _num(r["current"])),
                "previous": _star(r, "previous", _num(r["previous"])),
                "change": _signed(r["change"]),
                "pct": _pct_cell(r),
                "sig": _sig(r),
                "rate": _rate(r["rate"]),
                "ci": _ci(r["rate_lower"], r["rate_upper"], r["rate"]),
                "rank": "–" if is_missing(r["rank"]) else str(int(r["rank"])),
                "sort_rate": -1.0 if is_missing(r["rate"]) else float(r["rate"]),
            }
        )
    return rows


def offences_phrase(label: str) -> str:
    """``"sexual offences"`` for "Sexual offences", ``"robbery offences"`` for "Robbery": a
    measure label as a noun phrase that never says "offences offences"."""
    low = label.lower()
    return low if low.endswith(("offences", "offence", "crime", "crimes")) else f"{low} offences"


def _page(report: ViolentCrimeReport, downloads: Sequence[str], headline: list[dict]) -> Page:
    """The masthead, metadata strip and numbered sections of the report."""
    generated = report.generated_at.strftime("%d %B %Y %H:%M UTC")
    meta = [
        ("Area", f"{report.area_name} ({report.area_code})"),
        ("Period", f"Jan–Dec {report.year} vs Jan–Dec {report.compare_year}"),
        ("Generated", generated),
        (
            "Population",
            f"mid-{report.population_year} estimates" if report.population_year else "not loaded",
        ),
    ]
    if report.public:
        meta.append(("Edition", f"Public (disclosure controlled, rule {report.sdc_rule})"))
    al, lk = report.alerts, report.linkage
    homicide_years = (
        f", {int(report.homicide['year'].min())} to {int(report.homicide['year'].max())}"
        if not report.homicide.empty
        else ""
    )
    sections = [
        ("headline", "Headline figures"),
        ("monthly", "Month by month"),
        ("areas", "Boroughs" if report.area_kind == "london" else f"Wards of {report.area_name}"),
        ("maps", "Maps"),
        ("homicide", f"Homicide victims{homicide_years}"),
        (
            "alerts",
            "Early warning: violence with injury"
            + (f", {al.month.strftime('%B %Y')}" if al is not None and al.month else ""),
        ),
        (
            "linkage",
            "Hidden violence: police, A&E and ambulance"
            + (" — SYNTHETIC health data" if lk is not None and lk.synthetic else ""),
        ),
        ("cost", f"Cost of violence, {report.year}"),
        ("methods", "Methods"),
        ("sources", "Sources and caveats"),
    ]
    return Page(
        kind="Analysis of police recorded crime · Violent Crime Report",
        title=(
            f"Violent crime in {report.area_name}: {report.year} compared with "
            f"{report.compare_year}"
        ),
        meta=meta,
        sections=sections,
        downloads=list(downloads),
        generated=generated,
        version=__version__,
    )


def render_html(report: ViolentCrimeReport, *, downloads: Sequence[str] = ()) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no external reference).

    ``downloads``: names of the report's other files written beside the page (linked).
    """
    headline = []
    first_knife = True
    for r in report.headline.to_dict("records"):
        group = ""
        if r.get("source_kind") == KNIFE_KIND and first_knife:
            first_knife = False
            group = "Knife crime and youth violence (MPS/MOPAC flagged-measures file)"
        headline.append(
            {
                "group": group,
                "label": r["label"],
                "measure": r["measure"],
                "current": _star(r, "current", _num(r["current"])),
                "previous": _star(r, "previous", _num(r["previous"])),
                "change": _signed(r["change"]),
                "pct": _pct_cell(r),
                "sig": _sig(r),
                "rate": _rate(r["rate"]),
                "ci": _ci(r["rate_lower"], r["rate_upper"], r["rate"]),
                "commentary": r["commentary"],
            }
        )
    area_tables: list[dict[str, Any]] = []
    for m in TABLE_MEASURES:
        label = get_measure(m).label
        if report.area_kind == "london" and not report.boroughs.empty:
            rows = _table_rows(report.boroughs, m, "kind")
            main = sorted(
                (r for r in rows if r["kind"] == "borough"),
                key=lambda r: (-r["sort_rate"], r["name"]),
            )
            if all(r["rate"] == "–" for r in main):
                main = sorted(main, key=lambda r: r["name"])
            pseudo = [r for r in rows if r["kind"] == "pseudo"]
            h = report.headline.set_index("measure").loc[m]
            hd = h.to_dict()
            total = {
                "name": "London (all MPS rows)",
                "current": _star(hd, "current", _num(h["current"])),
                "previous": _star(hd, "previous", _num(h["previous"])),
                "change": _signed(h["change"]),
                "pct": _pct_cell(hd),
                "rate": _rate(h["rate"]),
                "ci": _ci(h["rate_lower"], h["rate_upper"], h["rate"]),
                "rank": "",
            }
            area_tables.append(
                {
                    "measure": m,
                    "label": label,
                    "level": "borough",
                    "rows": main,
                    "pseudo": pseudo,
                    "total": total,
                }
            )
        if report.area_kind == "borough" and not report.wards.empty:
            rows = sorted(_table_rows(report.wards, m), key=lambda r: (-r["sort_rate"], r["name"]))
            if all(r["rate"] == "–" for r in rows):
                rows = sorted(rows, key=lambda r: r["name"])
            area_tables.append(
                {
                    "measure": m,
                    "label": label,
                    "level": "ward",
                    "rows": rows,
                    "pseudo": [],
                    "total": None,
                }
            )
    homicide = []
    if not report.homicide.empty:
        for r in report.homicide.to_dict("records"):
            homicide.append(
                {
                    k: _star(r, k, "–" if is_missing(v) else f"{int(v):,}")
                    if k not in ("year", "partial", "suppressed", "blanked")
                    else v
                    for k, v in r.items()
                }
            )
    datasets = []
    for r in report.datasets.to_dict("records") if not report.datasets.empty else []:
        datasets.append({**r, "sha12": str(r["sha256"])[:12]})
    ward_source_txt = {
        WARD_MONTHLY: "MPS ward monthly files",
        WARD_ANNUAL: "the derived ward-annual file (third-party annual sums; see caveats)",
    }.get(report.ward_source or "", "")
    alerts_rows = []
    if report.alerts is not None:
        for a in report.alerts.table.to_dict("records"):
            alerts_rows.append(
                {
                    "name": a["area_name"],
                    "observed": _star(a, "observed", _num(a["observed"])),
                    "expected": _num(a["expected"], 1),
                    "threshold": _num(a["threshold"]),
                    "p": format_p(a["p_value"]),
                    "q": format_p(a["q_value"]),
                    "fdr": bool(a["alert_fdr"]) if not is_missing(a["q_value"]) else False,
                    "method": a["method"],
                }
            )
    link_rows = []
    lk = report.linkage
    if lk is not None and lk.loaded:
        for y in lk.yearly.to_dict("records"):
            link_rows.append(
                {
                    "year": int(y["year"]),
                    **{s: _star(y, s, _num(y[s])) for s in ("police", "ae", "ambulance")},
                    "ae_ratio": _num(y["ae_per_police"], 2),
                    "amb_ratio": _num(y["ambulance_per_police"], 2),
                }
            )
    return render(
        "violent_crime.html.j2",
        _page(report, downloads, headline),
        r=report,
        knife_rows=_knife_rate_rows(report),
        alerts_rows=alerts_rows,
        link_rows=link_rows,
        headline=headline,
        charts=_charts(report),
        maps=_maps(report),
        area_tables=area_tables,
        homicide=homicide,
        datasets=datasets,
        ward_source_txt=ward_source_txt,
        map_label=get_measure(MAP_MEASURE).label,
        cost=cost_context(report.cost),
    )


def _knife_rate_rows(report: ViolentCrimeReport) -> list[dict[str, Any]]:
    """Rows of the knife-victim rate table: the report year's figures with the comparison
    year's rate; London first, then boroughs by rate (highest first), then Heathrow."""
    k = report.knife_rates
    if k is None or k.empty:
        return []
    cur = k[k["year"] == report.year]
    prev = k[k["year"] == report.compare_year].set_index("area_code")
    rows = []
    for r in cur.to_dict("records"):
        p = prev.loc[r["area_code"]].to_dict() if r["area_code"] in prev.index else {}
        rows.append(
            {
                "name": r["area_name"],
                "kind": r["kind"],
                "count": _star(r, "count", _num(r["count"])),
                "previous": _star(p, "count", _num(p.get("count"))) if p else "–",
                "population": _num(r["population"]),
                "rate": _num(r["rate"], 1),
                "ci": "–"
                if is_missing(r["rate_lower"]) or is_missing(r["rate_upper"])
                else f"{float(r['rate_lower']):,.1f} to {float(r['rate_upper']):,.1f}",
                "rate_prev": _num(p.get("rate"), 1) if p else "–",
                "rank": "–" if is_missing(r["rank"]) else str(int(r["rank"])),
                "sort": -1.0 if is_missing(r["rate"]) else float(r["rate"]),
            }
        )
    order = {"london": 0, "borough": 1, "pseudo": 2}
    return sorted(rows, key=lambda x: (order.get(str(x["kind"]), 3), -x["sort"], x["name"]))

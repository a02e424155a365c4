"""Every report in a real browser (issue #13): Playwright driving Debian's Chromium
(``/usr/bin/chromium``; ``make test`` installs it when missing) on the pages written from a
small warehouse of the shared data.

Reports: the Violent Crime Report for London 2020 and Southwark 2021 (the two cases of the
issue's chart review), the needs assessment of Southwark 2017–2019 and a borough need-index
ranking. Each page is checked at 1,400 px, 390 px and 320 px wide (nothing wider than the
window), its charts for overlapping text (event markers, legend entries, titles, source lines:
bounding boxes measured in the browser), with axe-core (0 serious or critical violations;
vendored in ``tests/web/vendor``) and in print (every table whole: nothing scrolls or is
clipped, header rows repeat, wide tables on landscape pages; a PDF is written). Screenshots and
PDFs go to ``$VRKIT_SCREENSHOT_DIR`` when set (else a temporary folder).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import vrkit
from vrkit.catalog.profiles import parse_profile
from vrkit.reports import build_violent_crime_report, write_report
from vrkit.reports.build.need_index import build_need_index_report
from vrkit.reports.build.needs_assessment import build_needs_assessment
from vrkit.reports.render.need_index import write_need_index
from vrkit.reports.render.needs_assessment import write_needs_assessment
from vrkit.store.warehouse import Warehouse

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = Path(__file__).parents[1] / "web" / "vendor" / "axe.min.js"
DATA = vrkit.get_settings().data_dir
GLA = "boundaries/statistical-gis-boundaries-london/ESRI"
FILES = [
    "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv",
    "mps_crime_ward/2020-01_to_2021-12/MPS Ward Level_Crime_2020-2021.csv.gz",
    "mps_crime_ward_annual_derived/London.Crime.ByWard_2011-2022.csv.gz",
    f"{GLA}/LSOA_2011_London_gen_MHW.shp",
    f"{GLA}/London_Borough_Excluding_MHW.shp",
    "boundaries/London-wards-2018/London-wards-2018_ESRI/London_Ward.shp",
    "population/london-mid2020-pop.csv",
    "mps_crime_lsoa_annual_derived/london-2011-2021-major-violence.csv",
    "deprivation_iod2019/ID 2019 for London.xlsx",
]
PAGES = ("london", "southwark", "needs", "rank")
#: A4 content widths at 96 px/inch (12 mm margins): portrait 186 mm, landscape 273 mm
PORTRAIT_PX, LANDSCAPE_PX = 703, 1032


@pytest.fixture(scope="module")
def pages(built: tuple[dict[str, Path], dict[str, Any]]) -> dict[str, Path]:
    return built[0]


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, warehouses: Any
) -> tuple[dict[str, Path], dict[str, Any]]:
    """The report pages written (name → HTML path) and the report objects (name → report)."""
    root = tmp_path_factory.mktemp("pages")
    store = warehouses.copy([DATA / f for f in FILES], root / "wh.duckdb")
    out: dict[str, Path] = {}
    objects: dict[str, Any] = {}
    ids = ["imd2019_score", "imd2019_income_score", "imd2019_crime_score"]
    profile = parse_profile(
        {
            "id": "deprivation",
            "name": "Deprivation-led outreach",
            "version": 1,
            "description": "Outreach where deprivation and crime deprivation are highest.",
            "rationale": "Violence follows deprivation.",
            "sources": ["MHCLG English Indices of Deprivation 2019"],
            "indicator": [{"id": i, "weight": 1} for i in ids],
        },
        known={i: "higher_is_worse" for i in ids},
    )
    with Warehouse(store, read_only=True) as wh:
        for name, year, area in (("london", 2020, "London"), ("southwark", 2021, "Southwark")):
            rep = build_violent_crime_report(wh, year=year, area=area)
            (html,) = [p for p in write_report(rep, root / name) if p.suffix == ".html"]
            out[name], objects[name] = html, rep
        na = build_needs_assessment(
            wh, area="Southwark", years="2017-2019", permutations=99, n_bootstrap=50
        )
        write_needs_assessment(na, root / "needs")
        out["needs"], objects["needs"] = root / "needs" / "needs-assessment.html", na
        rank = build_need_index_report(wh, profile, geography="borough", top_n=20, n_draws=100)
        (html,) = [p for p in write_need_index(rank, root / "rank") if p.suffix == ".html"]
        out["rank"], objects["rank"] = html, rank
    return out, objects


def test_every_report_column_is_catalogued(built: tuple[dict[str, Path], Any]) -> None:
    """No report table or workbook shows a column without its own human label."""
    from vrkit.reports.render.labels import is_catalogued
    from vrkit.reports.render.need_index import _indicator_table, not_ranked, partial_data
    from vrkit.reports.render.needs_assessment import tables

    objects = built[1]
    frames: dict[str, pd.DataFrame] = {}
    for name in ("london", "southwark"):
        r = objects[name]
        frames |= {
            f"{name}.{k}": getattr(r, k) for k in ("headline", "monthly", "boroughs", "wards")
        }
        frames |= {f"{name}.homicide": r.homicide, f"{name}.datasets": r.datasets}
        if r.alerts is not None:
            frames |= {f"{name}.alerts": r.alerts.table, f"{name}.by_month": r.alerts.by_month}
    frames |= {f"needs.{k}": v for k, v in tables(objects["needs"]).items()}
    rank = objects["rank"]
    frames |= {"rank.table": rank.table, "rank.sensitivity": rank.sensitivity.table}
    frames |= {"rank.indicators": _indicator_table(rank), "rank.excluded": rank.index.excluded}
    frames |= {"rank.not_ranked": not_ranked(rank), "rank.partial_data": partial_data(rank)}
    raw = {
        (k, str(c))
        for k, f in frames.items()
        for c in f.columns
        if not is_catalogued(c) and not str(c).isdigit()
    }
    assert raw == set(), sorted(raw)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get("VRKIT_SCREENSHOT_DIR")
    d = Path(given) if given else tmp_path_factory.mktemp("screens")
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs Debian's chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def _open(browser: Any, path: Path, width: int) -> Any:
    page = browser.new_page(viewport={"width": width, "height": 900})
    outside: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(("file:", "data:")) else outside.append(r.url),
    )
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    assert not outside, f"the report loads files from elsewhere: {outside}"
    return page


def test_report_files_link_their_downloads(pages: dict[str, Path]) -> None:
    for name, html in pages.items():
        text = html.read_text(encoding="utf-8")
        links = [p.name for p in html.parent.iterdir() if p.suffix in (".xlsx", ".json", ".gpkg")]
        assert links, name
        for file_name in links:
            assert f'href="{file_name}"' in text, (name, file_name)
        for part in ("Main points", "Contents", "Methods", "Sources and caveats"):
            assert part in text, (name, part)
        assert "Open Government Licence v3.0" in text and "Contains OS data" in text
        assert "Map: Map of" not in text and "offences offences" not in text


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("width", [1400, 390, 320])
def test_no_horizontal_overflow(
    browser: Any, pages: dict[str, Path], shots: Path, name: str, width: int
) -> None:
    page = _open(browser, pages[name], width)
    try:
        sizes = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth,"
            " document.body.scrollWidth]"
        )
        assert sizes[0] <= sizes[1] and sizes[2] <= sizes[1], (name, width, sizes)
        # nothing but a table's own scroll region may be wider than the main column
        wide = page.evaluate(
            """() => { const w = document.querySelector('main').clientWidth;
                 return [...document.querySelectorAll('main *')]
                   .filter(e => !e.closest('.table-wrap') && !e.closest('svg'))
                   .filter(e => e.getBoundingClientRect().width > w + 1)
                   .map(e => e.tagName + '.' + e.className).slice(0, 5); }"""
        )
        assert wide == [], (name, width, wide)
        if width != 320:
            page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    finally:
        page.close()


_BOXES = """() => {
  const out = [];
  document.querySelectorAll('figure svg').forEach((svg, i) => {
    const pick = sel => [...svg.querySelectorAll(sel)].map(e => {
      const r = e.getBoundingClientRect();
      return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom,
              text: (e.textContent || '').trim()};
    }).filter(r => r.x1 > r.x0 && r.y1 > r.y0);
    out.push({
      figure: i,
      markers: pick('.event_markers_marks text'),
      circles: pick('.event_marker_circles_marks path'),
      legend: pick('.role-legend-label text, .role-legend-symbol path'),
      titles: pick('.role-title-text text, .role-title-subtitle text'),
      source: pick('.source_note_marks text'),
      areas: pick('.area_labels_marks text'),
    });
  });
  return out;
}"""


def _overlap(a: dict[str, float], b: dict[str, float], slack: float = 0.5) -> bool:
    return (
        min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > slack
        and min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > slack
    )


@pytest.mark.parametrize("name", ["london", "southwark"])
@pytest.mark.parametrize("width", [1400, 390])
def test_chart_text_never_overlaps(
    browser: Any, pages: dict[str, Path], name: str, width: int
) -> None:
    page = _open(browser, pages[name], width)
    try:
        figures = page.evaluate(_BOXES)
    finally:
        page.close()
    for f in figures:  # borough names on ward maps never print over each other
        for i, a in enumerate(f["areas"]):
            for b in f["areas"][i + 1 :]:
                assert not _overlap(a, b), (name, width, f["figure"], a["text"], b["text"])
    if name == "london":
        assert any(f["areas"] for f in figures), "no borough labels on the London ward maps"
    charts = [f for f in figures if f["markers"]]
    assert charts, "no chart with event markers"  # London 2020 and Southwark 2021 have events
    for f in charts:
        circles = f["circles"]
        for i, a in enumerate(circles):
            for b in circles[i + 1 :]:
                assert not _overlap(a, b), (name, width, f["figure"], "markers overlap")
        others = f["legend"] + f["titles"] + f["source"]
        for a in circles + f["markers"]:
            for b in others:
                assert not _overlap(a, b), (name, width, f["figure"], a["text"], b["text"])
        for a in f["legend"]:
            for b in f["source"] + f["titles"]:
                assert not _overlap(a, b), (name, width, f["figure"], a["text"], b["text"])
    # every numbered marker is keyed below its chart
    page = _open(browser, pages[name], 1400)
    try:
        keys = page.evaluate(
            "() => [...document.querySelectorAll('ol.key')].map(o => o.children.length)"
        )
    finally:
        page.close()
    assert [len({m["text"] for m in f["markers"]}) for f in charts] == keys


@pytest.mark.parametrize("name", PAGES)
def test_axe_no_serious_or_critical(browser: Any, pages: dict[str, Path], name: str) -> None:
    page = _open(browser, pages[name], 1400)
    try:
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
        result = page.evaluate(
            """async () => await axe.run(document, {resultTypes: ['violations'],
                 runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                                 'best-practice']}})"""
        )
    finally:
        page.close()
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], bad


_TABLES = """(landscape) => [...document.querySelectorAll('.table-wrap')]
  .filter(w => w.classList.contains('wide') === landscape)
  .map(w => ({label: w.getAttribute('aria-label') || w.getAttribute('aria-labelledby'),
              overflowX: w.scrollWidth - w.clientWidth,
              overflowY: w.scrollHeight - w.clientHeight,
              rows: w.querySelectorAll('tbody tr').length,
              theadDisplay: w.querySelector('thead') ?
                getComputedStyle(w.querySelector('thead')).display : 'table-header-group',
              page: getComputedStyle(w).page}))"""


@pytest.mark.parametrize("name", PAGES)
def test_print_keeps_whole_tables(
    browser: Any, pages: dict[str, Path], shots: Path, name: str
) -> None:
    page = _open(browser, pages[name], PORTRAIT_PX)
    try:
        page.emulate_media(media="print")
        checked = 0
        for landscape, width in ((False, PORTRAIT_PX), (True, LANDSCAPE_PX)):
            page.set_viewport_size({"width": width, "height": 1000})
            for t in page.evaluate(_TABLES, landscape):
                checked += 1
                assert t["overflowX"] <= 1, (name, t)  # no column cut off
                assert t["overflowY"] <= 1, (name, t)  # no row hidden behind a scroll box
                assert t["theadDisplay"] == "table-header-group", (name, t)
                assert t["page"] == ("wide" if landscape else "auto"), (name, t)
        assert checked > 0
        n_wide = len(page.evaluate(_TABLES, True))
        pdf = shots / f"{name}.pdf"
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        boxes = re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf.read_bytes())
        sizes = {tuple(round(float(v)) for v in b.split()[2:]) for b in boxes}
        assert (595, 842) in sizes  # A4 portrait pages …
        assert ((842, 595) in sizes) == (n_wide > 0)  # … and landscape ones for wide tables
    finally:
        page.close()

"""The Violent Crime Report's "Cost of violence" section on REAL MPS data: its total is the one
``vrkit cost-of-violence`` gives for the same area and year (the same task, not a recomputation),
in the HTML, the XLSX sheet and the JSON key; the public edition withholds it when a count it
uses is small."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import vrkit
from vrkit.cli import app
from vrkit.reports.build.cost_section import cost_section
from vrkit.reports.public.cost_section import make_public_cost
from vrkit.reports.render.workbook import read_rows
from vrkit.tasks import violent_crime_report
from vrkit.tasks.costs import cost_of_violence

DATA = vrkit.get_settings().data_dir
BOROUGH = (
    DATA
    / "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv"
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert BOROUGH.exists(), f"shared data missing: {BOROUGH}"
    path = tmp_path_factory.mktemp("cost") / "wh.duckdb"
    with vrkit.Warehouse(path) as w:
        w.ingest(BOROUGH)
    return path


@pytest.fixture(scope="module")
def wh(store: Path):
    w = vrkit.Warehouse(store, read_only=True)
    yield w
    w.close()


@pytest.fixture(scope="module")
def london(wh: vrkit.Warehouse, tmp_path_factory: pytest.TempPathFactory):
    res = violent_crime_report(wh, year=2019, area="London")
    out = tmp_path_factory.mktemp("vcr")
    res.write(out, ("html", "xlsx", "json"))
    return res.report, out


def test_section_total_equals_the_cost_of_violence_task(wh, london) -> None:
    rep, _ = london
    task = cost_of_violence(wh, 2019, area="London")
    assert rep.cost is not None and rep.cost.available
    assert rep.cost.total_cost == task.total_cost
    # London 2019 is a figure in the billions: the £2.57bn of the closing note, not a toy
    assert 2.0e9 < rep.cost.total_cost < 3.0e9
    assert rep.cost.price_year == "2019"
    # every costed type's row sums to the section total
    assert math.isclose(rep.cost.by_category["total"].sum(), task.total_cost, rel_tol=1e-12)
    # uncosted types are listed with their counts, never as a zero cost
    vwoi = rep.cost.by_category.set_index("offence_type").loc["violence_without_injury"]
    assert vwoi["offences"] > 50_000 and math.isnan(vwoi["total"])
    assert any(line.startswith("Not costed: ") for line in rep.cost.explanation)


def test_json_key_equals_the_command_output(store: Path, london, tmp_path: Path) -> None:
    _, out = london
    doc = json.loads((out / "violent-crime-london-2019.json").read_text())
    sec = doc["cost_of_violence"]
    cli = tmp_path / "cov.json"
    r = CliRunner().invoke(
        app,
        [
            "--store",
            str(store),
            "cost-of-violence",
            "--year",
            "2019",
            "--area",
            "London",
            "--format",
            "json",
            "--out",
            str(cli),
        ],
    )
    assert r.exit_code == 0, r.output
    cmd = json.loads(cli.read_text())
    assert sec["total_cost_gbp"] == pytest.approx(cmd["total_cost_gbp"], rel=1e-12)
    assert sec["price_year"] == cmd["price_year"] == "2019"
    # the explanation against the VRU's £3bn is in the report's notes
    assert any("£3.00bn" in line for line in sec["explanation"])

    # counts used: the same MPS categories and counts as the command
    def key(rows):
        return sorted((x["offence_minor"], x["offences"]) for x in rows)

    assert key(sec["counts_used"]) == key(cmd["counts_used"])
    assert {s["source_table"] for s in sec["unit_cost_sources"]} and all(
        "Research Report 99" in s["source_table"] for s in sec["unit_cost_sources"]
    )


def test_html_shows_the_section_with_price_year_and_source(london) -> None:
    rep, out = london
    html = (out / "violent-crime-london-2019.html").read_text()
    assert 'id="cost"' in html and "Cost of violence, 2019" in html
    assert f"£{rep.cost.total_cost / 1e9:,.2f}bn" in html
    assert "2019 prices" in html and "Research Report 99" in html
    assert "vrkit cost-of-violence --year 2019 --area London" in html
    assert "In anticipation" in html and "not costed" in html
    # the contents list numbers the section before Methods
    assert html.index('href="#cost"') < html.index('href="#methods"')


def test_xlsx_sheet_holds_the_same_figures(london) -> None:
    rep, out = london
    rows = read_rows(out / "violent-crime-london-2019.xlsx", "cost_of_violence")
    header = next(i for i, r in enumerate(rows) if r and r[0] == "Offence type id")
    head = rows[header]
    col = head.index("Total cost (£, 2019 prices)")
    total = sum(r[col] for r in rows[header + 1 :] if isinstance(r[col], int | float))
    assert total == pytest.approx(rep.cost.total_cost, rel=1e-9)
    assert "Recorded offences, 2019" in head


def test_public_edition_withholds_small_counts(wh) -> None:
    task = cost_of_violence(wh, 2019, area="Lambeth")
    sec = cost_section(task, year=2019)
    assert sec.available
    # Lambeth recorded 7 homicides in 2019 (MPS borough file): a small count under lt10
    small = sec.counts_used[sec.counts_used["offences"].between(1, 9)]
    assert small["offence_minor"].str.upper().tolist() == ["HOMICIDE"]
    clean = pd.DataFrame({"suppressed": [""]})
    pub = make_public_cost(sec, "lt10", clean)
    assert pub is not None and not pub.available and "Withheld" in str(pub.message)
    # with every count large and nothing suppressed in the headline it is published whole
    big = cost_section(cost_of_violence(wh, 2019, area="London"), year=2019)
    assert make_public_cost(big, "lt10", clean) is big
    # a headline with any suppression withholds the section too
    pub2 = make_public_cost(sec, "lt10", pd.DataFrame({"suppressed": ["current"]}))
    assert pub2 is not None and not pub2.available
    assert pub2.to_dict() == {
        "area": "Lambeth",
        "year": 2019,
        "available": False,
        "message": pub2.message,
    }


CHROMIUM = "/usr/bin/chromium"
AXE = Path(__file__).parents[1] / "web" / "vendor" / "axe.min.js"


@pytest.mark.slow
@pytest.mark.parametrize("width", [1400, 320])
def test_section_in_chromium_fits_and_passes_axe(london, width: int) -> None:
    from playwright.sync_api import sync_playwright

    _, out = london
    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs Debian's chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = b.new_page(viewport={"width": width, "height": 900})
            page.goto((out / "violent-crime-london-2019.html").as_uri())
            # the page never scrolls sideways: wide cost tables scroll in their own box
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            shown = page.locator("#t-cost").inner_text()
            assert "Cost of recorded violence by offence type and cost category" in shown
            page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
            result = page.evaluate(
                """async () => await axe.run(document, {resultTypes: ['violations'],
                     runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',
                                                     'wcag21aa', 'best-practice']}})"""
            )
        finally:
            b.close()
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], bad

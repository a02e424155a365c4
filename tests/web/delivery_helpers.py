"""Helpers of the delivery tests: a provider filling in a downloaded return template, a small
portfolio with money and targets, and reading the published example figures."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from vrkit.catalog.delivery import reach_categories
from vrkit.config import get_settings

EXAMPLE = get_settings().data_dir / "london_vru_2020_21"


def fill(
    template: bytes,
    values: dict[str, Any],
    *,
    spend: dict[str, Any] | None = None,
    reach: dict[tuple[str, str], int] | None = None,
) -> bytes:
    """What a provider does: type figures into the template's shaded cells and save it.

    ``values``: measure code → value (missing measures are typed as 0); ``reach``: (dimension,
    category) → count (by default the participants all fall in the first category of each
    breakdown); ``spend``: source code → amount in pounds (default 0 for each source)."""
    wb = load_workbook(io.BytesIO(template))
    ws = wb["Outputs"]
    for row in ws.iter_rows(min_row=2):
        if row[0].value:
            row[2].value = values.get(str(row[0].value), 0)
    total = int(values.get("people_reached_new", 0))
    labels = {"Age band": "age_band", "Sex": "sex", "Ethnicity": "ethnicity", "Borough": "borough"}
    firsts = {dim: cats[0] for dim, cats in reach_categories().items()}
    for row in wb["Reach"].iter_rows(min_row=2):
        dim = labels.get(str(row[0].value))
        if dim is None:
            continue
        key = (dim, str(row[1].value))
        if reach is not None:
            row[2].value = reach.get(key, 0)
        else:
            row[2].value = total if key[1] == firsts[dim] else 0
    for row in wb["Spend"].iter_rows(min_row=2):
        if row[0].value:
            row[2].value = (spend or {}).get(str(row[0].value), 0)
    wb["About"]["B11"] = "Test contact"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def published(name: str) -> list[dict[str, str]]:
    with (EXAMPLE / name).open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def check_published_tables(doc: dict[str, Any]) -> None:
    """The delivery tables JSON of 2020/21 against the published tables in the example data."""
    funding = {
        r["source"]: Decimal(r["amount_gbp_m"])
        for r in published("funding_2020_21.csv")
        if r["is_total"] == "false"
    }
    total = next(
        Decimal(r["amount_gbp_m"])
        for r in published("funding_2020_21.csv")
        if r["is_total"] == "true"
    )
    got = {r["source"]: Decimal(str(r["amount_gbp_m"])) for r in doc["funding_by_source"]["rows"]}
    assert got == funding
    assert Decimal(str(doc["funding_by_source"]["total_gbp_m"])) == total == Decimal("19.7")
    assert doc["funding_by_source"]["adds_up"] is True and doc["funding_by_source"]["note"] is None
    themes = {
        r["theme"].lower(): Decimal(r["amount_gbp_m"])
        for r in published("expenditure_by_theme_2020_21.csv")
        if r["is_total"] == "false"
    }
    theme_total = next(
        Decimal(r["amount_gbp_m"])
        for r in published("expenditure_by_theme_2020_21.csv")
        if r["is_total"] == "true"
    )
    got_t = {
        r["theme"].lower(): Decimal(str(r["amount_gbp_m"]))
        for r in doc["expenditure_by_theme"]["rows"]
    }
    assert got_t == themes
    e = doc["expenditure_by_theme"]
    assert Decimal(str(e["total_gbp_m"])) == theme_total
    assert Decimal(str(e["parts_sum_gbp_m"])) == sum(themes.values()) == Decimal("19.6")
    assert e["adds_up"] is False and "add up to 19.6 but the total is 19.7" in e["note"]
    snap = {r["metric"]: r for r in published("snapshot_2020_21.csv")}
    target = next(
        r for r in doc["reach_against_targets"] if r["measure_code"] == "young_people_supported"
    )
    anticipated = next(v for k, v in snap.items() if "(anticipated)" in k)
    achieved = next(
        v for k, v in snap.items() if k.startswith("Young people supported through a positive")
    )
    assert target["target"] == int(anticipated["value"]) == 5100
    assert target["achieved"] == int(achieved["value"]) == 3884
    assert target["progress"] == "3,884 of 5,100" and "as stated" in target["basis"]
    rows = {r["metric"]: r for r in doc["snapshot"]}
    for metric in (
        "Total VRU invested into interventions",
        "Programmes and projects commissioned",
        "People reached directly and indirectly",
    ):
        assert Decimal(str(rows[metric]["stated"])) == Decimal(snap[metric]["value"])
    assert rows["Total VRU invested into interventions"]["agrees"] is True


def write_tables(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


#: a small portfolio: two providers, two programmes, Home Office (in-year) and Mayoral core money
PORTFOLIO = {
    "organisations.csv": "name,identifier,kind\nTest VRU,GB-GOR-TEST,vru\nAlpha Youth Trust,GB-CHC-1000001,provider\nBeta Boxing Club,GB-CHC-1000002,provider\n",
    "programmes.csv": (
        "ref,name,theme,objectives,lead_organisation,lead_identifier,boroughs,start_date,end_date,measures\n"
        "T-001,Alpha mentoring,VCS/community,1;6,Alpha Youth Trust,GB-CHC-1000001,Lambeth;Southwark,2020-04-01,2022-03-31,mentoring_hours=Mentoring hours\n"
        "T-002,Beta boxing,VCS/community,4,Beta Boxing Club,GB-CHC-1000002,Hackney,2020-04-01,2021-03-31,\n"
    ),
    "budgets.csv": "source,financial_year,amount_gbp\nhome_office,2020/21,100000\nmayor_core,2020/21,50000\nmayor_core,2021/22,50000\n",
    "profile.csv": (
        "programme_ref,source,financial_year,quarter,amount_gbp\n"
        "T-001,home_office,2020/21,1,10000\nT-001,home_office,2020/21,2,10000\nT-001,home_office,2020/21,3,10000\nT-001,home_office,2020/21,4,10000\n"
        "T-001,mayor_core,2020/21,1,5000\nT-001,mayor_core,2020/21,2,5000\nT-001,mayor_core,2020/21,3,5000\nT-001,mayor_core,2020/21,4,5000\n"
        "T-002,home_office,2020/21,1,12500\nT-002,home_office,2020/21,2,12500\nT-002,home_office,2020/21,3,12500\nT-002,home_office,2020/21,4,12500\n"
    ),
    "targets.csv": (
        "programme_ref,source,measure,financial_year,target,label,due\n"
        "T-001,,people_reached_new,2020/21,200,New participants,31 March 2021\n"
        ",home_office,young_people_supported,2020/21,300,Young people supported by Home Office funded projects,31 March 2021\n"
    ),
}

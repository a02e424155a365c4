"""Violent Crime Report: knife crime in the headline (issue #12), the knife-victim rate per
100,000 aged 10-24 and the real LAS ambulance linkage (issue #20), on the real shared files.

Every figure is checked against the raw file read here independently (openpyxl / csv), and the
London 2020 knife changes against the London VRU's published 2019→2020 falls (−25 %, −28 %).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import vrkit
from vrkit.store.warehouse import Warehouse

DATA = vrkit.get_settings().data_dir
KNIFE = DATA / "mps_knife_crime/Borough Monthly 2018-20.xlsx"
LA_POP = DATA / "population/la_pop_estimates.csv"
LAS = DATA / "las_ambulance/assaults-women.csv"
HIST = (
    DATA
    / "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv"
)
LAMBETH = "E09000022"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    files = [KNIFE, LA_POP, LAS, HIST]
    missing = [str(f) for f in files if not f.exists()]
    assert not missing, f"shared data missing: {missing}"
    path = tmp_path_factory.mktemp("vcr_knife") / "w.duckdb"
    with Warehouse(path) as wh:
        errors = [r for r in wh.ingest_many(files) if isinstance(r, Exception)]
    assert not errors, errors
    return path


@pytest.fixture(scope="module")
def raw_knife() -> dict[tuple[str, int, str], int]:
    """(OCU name, year, column) → annual sum, straight from the workbook."""
    wb = openpyxl.load_workbook(KNIFE, read_only=True)
    rows = wb["Sheet1"].iter_rows(values_only=True)
    header = next(rows)
    out: dict[tuple[str, int, str], int] = {}
    for r in rows:
        if r[0] is None:
            continue
        rec = dict(zip(header, r, strict=False))
        for col in ("Knife Crime Offs", "Knife Crime Injury Victims Not DA 1-24"):
            key = (str(rec["OCU Name"]), rec["Month-Year"].year, col)
            out[key] = out.get(key, 0) + int(rec[col])
    wb.close()
    return out


def _london(raw: dict[tuple[str, int, str], int], year: int, col: str) -> int:
    return sum(v for (_, y, c), v in raw.items() if y == year and c == col)


def _report(store: Path, year: int, area: str, *, public: bool = False, compare: int | None = None):
    with Warehouse(store, read_only=True) as wh:
        return vrkit.violent_crime_report(
            wh, year=year, area=area, public=public, compare=compare
        ).report


@pytest.fixture(scope="module")
def london_2020(store: Path, tmp_path_factory: pytest.TempPathFactory):
    from vrkit.reports import write_report

    rep = _report(store, 2020, "London")
    out = tmp_path_factory.mktemp("london2020")
    paths = {p.suffix[1:]: p for p in write_report(rep, out)}
    return rep, paths


def _text(html: str, start: str, end: str) -> str:
    seg = html[html.index(start) : html.index(end)]
    seg = re.sub(r"<[^>]+>", " ", seg).replace("&amp;", "&")
    return re.sub(r"\s+", " ", seg)


def test_london_2020_headline_has_knife_crime_equal_to_the_raw_file(
    london_2020, raw_knife: dict[tuple[str, int, str], int]
) -> None:
    rep, paths = london_2020
    h = rep.headline.set_index("measure")
    for measure, col, published in (
        ("knife_crime", "Knife Crime Offs", -25.0),
        ("knife_injury_victims_u25", "Knife Crime Injury Victims Not DA 1-24", -28.0),
    ):
        cur, prev = _london(raw_knife, 2020, col), _london(raw_knife, 2019, col)
        assert (h.loc[measure, "current"], h.loc[measure, "previous"]) == (cur, prev)
        assert h.loc[measure, "pct_change"] == pytest.approx(100 * (cur - prev) / prev)
        # close to what the London VRU published (rounded to whole per cent)
        assert abs(h.loc[measure, "pct_change"] - published) < 1.0
        assert h.loc[measure, "change_class"] == "significant fall"
        assert h.loc[measure, "p_value"] < 0.001
        assert h.loc[measure, "source_kind"] == "mps_knife_borough_monthly"
    assert (cur, prev) == (1200, 1659)
    assert "serious_youth_violence" in h.index and "knife_crime_with_injury" in h.index
    assert "fell by 28 % (459 fewer victims" in h.loc["knife_injury_victims_u25", "commentary"]
    published = [n for n in rep.notes if "London VRU's published 2019→2020" in n]
    assert len(published) == 1 and "−25" not in published[0]
    # the published figures are catalogue data with their source, named in the note
    assert "-25 % published" in published[0] and "-28 % published" in published[0]
    assert "source: London VRU, headline measures 2019 to 2020" in published[0]
    assert "knife" not in rep.missing
    html = paths["html"].read_text(encoding="utf-8")
    main = _text(html, "Main points", "Contents")
    assert "Knife crime fell by 25 % (3,852 fewer offences" in main
    table = _text(html, 'id="headline"', 'id="monthly"')
    assert "Knife crime and youth violence" in table
    assert "Knife crime 11,719 15,571 −3,852 −24.7 %" in table
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    knife = next(m for m in doc["measures"] if m["measure"] == "knife_crime")
    assert knife["current"] == 11_719 and knife["change_test"]["significant"] is True
    wb = openpyxl.load_workbook(paths["xlsx"], read_only=True)
    cells = [c for row in wb["headline"].iter_rows(values_only=True) for c in row]
    assert "Knife crime" in cells and "knife_rates" in wb.sheetnames
    # the rate sheet says what its figures are: victims per 100,000 aged 10-24 (it carried the
    # catalogue's "Offences" and "per 1,000 residents")
    rows = list(wb["knife_rates"].iter_rows(max_row=6, values_only=True))
    assert rows[1][0] == "Units: victims; residents aged 10-24; per 100,000 residents aged 10-24"
    header = next(r for r in rows if r and r[0] == "Measure id")
    assert {"Victims under 25", "Residents aged 10-24", "Rate per 100,000 aged 10-24"} <= set(
        header
    )
    assert "Rate per 1,000" not in header and "Offences" not in header


def test_knife_victim_rate_per_100000_young_people(london_2020, store: Path) -> None:
    with LA_POP.open(encoding="utf-8-sig") as fh:
        pop = {(r[1], int(r[2])): r[3:] for r in list(csv.reader(fh))[1:]}
    young = sum(int(v) for v in pop[(LAMBETH, 2020)][10:25])
    rep, paths = london_2020
    k = rep.knife_rates.set_index(["area_code", "year"])
    assert k.loc[(LAMBETH, 2020), "count"] == 66
    assert k.loc[(LAMBETH, 2020), "population"] == young
    assert k.loc[(LAMBETH, 2020), "rate"] == pytest.approx(66 / young * 100_000)
    boroughs = rep.knife_rates[(rep.knife_rates["kind"] == "borough")]
    assert len(boroughs) == 64 and sorted(boroughs["rank"].dropna().unique()) == list(range(1, 33))
    # boroughs and Heathrow add up to London
    for y in (2019, 2020):
        parts = rep.knife_rates[
            (rep.knife_rates["year"] == y) & (rep.knife_rates["kind"] != "london")
        ]
        assert parts["count"].sum() == k.loc[("E12000007", y), "count"]
    assert "la_pop_estimates.csv" in rep.knife_rate_method and "mid-2020" in rep.knife_rate_method
    html = paths["html"].read_text(encoding="utf-8")
    sec = _text(html, 'id="knife-rates"', 'id="monthly"')
    assert "(mid-2020 estimate)" in sec and "per 100,000 residents aged 10–24" in sec
    assert f"Lambeth 66 99 {young:,} {66 / young * 100_000:.1f}" in sec
    # a borough report: the borough with its rank among the 32, and London
    lam = _report(store, 2020, "Lambeth").knife_rates
    assert set(lam["area_code"]) == {LAMBETH, "E12000007"}
    assert lam.set_index(["area_code", "year"]).loc[(LAMBETH, 2020), "rank"] == 2


def test_non_significant_knife_changes_are_not_headlined(store: Path, tmp_path: Path) -> None:
    from vrkit.reports import write_report

    rep = _report(store, 2020, "Lambeth")
    h = rep.headline.set_index("measure")
    # Lambeth knife crime with injury 178 against 206: p = 0.17
    assert h.loc["knife_crime_with_injury", "change_class"] == "no significant change"
    assert "no significant change" in h.loc["knife_crime_with_injury", "commentary"]
    (html_path,) = write_report(rep, tmp_path, formats=("html",))
    html = html_path.read_text(encoding="utf-8")
    row = re.search(r"Knife crime with injury</th>(.*?)</tr>", html, re.S)
    assert row is not None
    assert "(n.s.)" in row.group(1) and 'class="n rise"' not in row.group(1)
    assert 'class="n fall"' not in row.group(1)


def test_years_the_knife_file_does_not_cover_are_said(store: Path) -> None:
    rep = _report(store, 2021, "London")
    assert "knife_crime" not in set(rep.headline["measure"])
    msg = rep.missing["knife"]
    assert "not covered for 2020 and 2021" in msg and "Dec 2020" in msg
    assert rep.knife_rates.empty and "knife_rates" not in rep.missing


def test_lambeth_2012_linkage_uses_the_real_las_figures(store: Path, tmp_path: Path) -> None:
    from vrkit.reports import write_report

    with LAS.open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    lam = next(r for r in rows if len(r) > 2 and r[1] == LAMBETH)
    raw = {
        y: sum(int(lam[k]) for k, h in enumerate(header) if h.endswith(str(y)))
        for y in (2011, 2012)
    }
    rep = _report(store, 2012, "Lambeth")
    lk = rep.linkage
    assert lk is not None and lk.loaded and lk.synthetic is False
    y = lk.yearly.set_index("year")
    assert int(y.loc[2012, "ambulance"]) == raw[2012] and int(y.loc[2011, "ambulance"]) == raw[2011]
    vwi = rep.headline.set_index("measure").loc["violence_with_injury"]
    assert int(y.loc[2012, "police"]) == vwi["current"]
    assert y.loc[2012, "ambulance_per_police"] == pytest.approx(
        raw[2012] / vwi["current"], abs=1e-3
    )
    assert any("count different things" in n for n in lk.notes)
    assert "las_ambulance_borough_monthly" in set(rep.datasets["source_kind"])
    (html_path,) = write_report(rep, tmp_path, formats=("html",))
    sec = _text(html_path.read_text(encoding="utf-8"), 'id="linkage"', 'id="methods"')
    assert "LAS incidents: assaults involving women" in sec and "SYNTHETIC" not in sec
    assert f"2012 {int(vwi['current']):,} – {raw[2012]:,}" in sec


def test_a_partial_las_year_has_no_annual_figure(store: Path) -> None:
    rep = _report(store, 2013, "Lambeth")
    y = rep.linkage.yearly.set_index("year")
    assert pd.isna(y.loc[2013, "ambulance"]) and pd.notna(y.loc[2012, "ambulance"])
    assert any("Jan–Jun 2013 only (6 of 12 months)" in n for n in rep.linkage.notes)
    m = rep.linkage.monthly
    assert m.loc[m["year"] == 2013, "ambulance"].notna().sum() == 6


def test_outside_the_las_years_the_section_says_so(store: Path) -> None:
    lk = _report(store, 2020, "Lambeth").linkage
    assert not lk.loaded and "cover Jun 2009 – Jun 2013, not 2019 or 2020" in lk.message


def test_public_edition_protects_the_knife_counts(store: Path) -> None:
    from vrkit.reports.public.violent_crime import _knife_tables

    for area in ("London", "Lambeth"):
        private = _report(store, 2020, area)
        keys = {k for t in _knife_tables(private) for k in t.keys.values()}
        knife = private.headline[private.headline["source_kind"] == "mps_knife_borough_monthly"]
        for r in knife.itertuples():
            for y in (2019, 2020):
                assert ("y", private.area_code, r.measure, y) in keys
        for r in private.knife_rates.itertuples():
            a = "E61000001" if r.kind == "london" else r.area_code
            assert ("y", a, r.measure, r.year) in keys
        public = _report(store, 2020, area, public=True)
        assert "suppressed" in public.knife_rates.columns
        pub = public.headline.set_index("measure")
        assert (
            pub.loc["knife_injury_victims_u25", "current"]
            == knife.set_index("measure").loc["knife_injury_victims_u25", "current"]
        )


def test_london_linkage_equals_the_las_police_linkage_task(store: Path) -> None:
    from vrkit.tasks import core_data

    rep = _report(store, 2012, "London")
    y = rep.linkage.yearly.set_index("year")
    with Warehouse(store, read_only=True) as wh:
        t = core_data.las_police_linkage(wh).to_frame()
    for year in (2011, 2012):
        m = t[t["month"].dt.year == year]
        assert int(y.loc[year, "ambulance"]) == int(m["ambulance"].sum())
        assert int(y.loc[year, "police"]) == int(m["police"].sum())
    assert any("32 boroughs" in n for n in rep.linkage.notes)

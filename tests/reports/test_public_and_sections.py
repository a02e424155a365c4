"""Public (disclosure-controlled) Violent Crime Report, early warning and linkage sections.

Police parts use the real shared data (fail, never skip, when missing); the linkage part uses
synthetic A&E and ambulance data written by :mod:`vrkit.synth` into ``tmp_path``.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import vrkit
from vrkit.cli import app
from vrkit.disclosure import sdc
from vrkit.reports import build_violent_crime_report, write_report
from vrkit.reports.build.sections import NO_HEALTH
from vrkit.reports.render.workbook import read_rows
from vrkit.tasks import violent_crime_report

DATA = vrkit.get_settings().data_dir
FILES = [
    DATA
    / "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv",
    DATA
    / "mps_crime_borough/2019-01_to_2020-12/MPS Borough Level Crime (most recent 24 months).csv",
    DATA / "mps_crime_ward/2020-01_to_2021-12/MPS Ward Level_Crime_2020-2021.csv.gz",
    DATA / "mps_crime_ward_annual_derived/London.Crime.ByWard_2011-2022.csv.gz",
    DATA / "mps_homicide/original_homicide.xlsx - dataset.csv",
]
COUNT_FIELDS = ("current", "previous")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, warehouses) -> Path:
    return warehouses.copy(FILES, tmp_path_factory.mktemp("pub") / "wh.duckdb")


@pytest.fixture(scope="module")
def wh(store: Path):
    w = vrkit.Warehouse(store, read_only=True)
    yield w
    w.close()


@pytest.fixture(scope="module")
def lambeth(wh: vrkit.Warehouse):
    return violent_crime_report(wh, year=2020, area="Lambeth", public=True).report


def _suppressed(frame: pd.DataFrame, field: str) -> pd.Series:
    return frame["suppressed"].str.split(",").apply(lambda fs: field in fs)


def test_london_figures_unchanged_and_rule_stated(wh: vrkit.Warehouse, tmp_path: Path) -> None:
    private = build_violent_crime_report(wh, year=2021, area="London")
    public = violent_crime_report(wh, year=2021, area="London", public=True).report
    # large counts: nothing suppressed at London level, and the non-public edition has no marks
    assert "suppressed" not in private.headline.columns and not private.public
    assert (public.headline["suppressed"] == "").all()
    for c in ("current", "previous", "change", "pct_change", "commentary"):
        assert public.headline[c].tolist() == private.headline[c].tolist()
    main = public.boroughs["kind"] == "borough"
    vwi = public.boroughs["measure"] == "violence_with_injury"
    # report-year violence with injury is published for every borough, unchanged
    assert not _suppressed(public.boroughs[main & vwi], "current").any()
    pd.testing.assert_series_equal(
        public.boroughs.loc[main & vwi, "current"], private.boroughs.loc[main & vwi, "current"]
    )
    # whatever is published equals the private figure
    for c in COUNT_FIELDS:
        shown = public.boroughs[c].notna()
        assert (public.boroughs.loc[shown, c] == private.boroughs.loc[shown, c]).all()
    # borough homicides are small counts: suppressed, rates and ranks blanked
    hom = public.boroughs[public.boroughs["measure"] == "homicide"]
    small = private.boroughs.loc[hom.index, "current"].between(1, 9)
    assert small.any() and _suppressed(hom[small], "current").all()
    assert hom.loc[_suppressed(hom, "current"), ["rate", "rank"]].isna().all().all()
    paths = {p.suffix: p for p in write_report(public, tmp_path)}
    j = json.loads(paths[".json"].read_text(encoding="utf-8"))
    dc = j["disclosure_control"]
    assert dc["rule"] == "lt10" and "below 10" in dc["description"]
    assert dc["cells_suppressed_primary"] > 0 and dc["cells_suppressed_secondary"] > 0
    html = paths[".html"].read_text(encoding="utf-8")
    assert "Public edition" in html and dc["description"][:40] in html
    assert "disclosure_control" not in json.loads(
        write_report(private, tmp_path / "p", ["json"])[0].read_text(encoding="utf-8")
    )


def test_small_counts_suppressed_everywhere(lambeth, tmp_path: Path) -> None:
    rep = lambeth
    hw = rep.wards[rep.wards["measure"] == "homicide"]
    # ward homicides are 0–9: only zeros are published (zero is not a small count of people)
    assert len(hw) > 10 and hw["current"].isna().sum() >= 5
    assert (hw["current"].dropna() == 0).all()
    assert (rep.homicide["suppressed"] != "").all()
    # derived figures of suppressed counts are blank (sdc.check_derived finds no leak)
    for frame in (rep.headline, rep.wards):
        flags = _suppressed(frame, "current")
        assert sdc.check_derived(frame["rate"], flags) == []
        assert frame.loc[flags, ["rate_lower", "rate_upper", "pct_change"]].isna().all().all()
    h = rep.headline.set_index("measure")
    assert h.loc["homicide", "suppressed"] == "current,previous"
    assert "suppressed" in h.loc["homicide", "commentary"]
    assert not any(ch.isdigit() for ch in h.loc["homicide", "commentary"].split("figures")[1])
    assert h.loc["violence_with_injury", "suppressed"] == ""  # VWI kept; VWoI sacrificed
    paths = {p.suffix: p for p in write_report(rep, tmp_path)}
    j = json.loads(paths[".json"].read_text(encoding="utf-8"))
    m = next(x for x in j["measures"] if x["measure"] == "homicide")
    assert m["current"] is None and m["suppressed"] is True and "current" in m["suppressed_fields"]
    assert m["rate_per_1000"] is None and "rate_per_1000" in m["blanked_fields"]
    assert all(r["suppressed"] for r in j["homicide_table"])
    rows = read_rows(paths[".xlsx"], "headline")
    hrow = next(r for r in rows if r[0] == "homicide")
    cur, prev = rows[0].index("Offences, report year"), rows[0].index("Offences, comparison year")
    assert hrow[cur] == "*" and hrow[prev] == "*"
    wb = openpyxl.load_workbook(paths[".xlsx"], read_only=True)
    assert "Disclosure control" in [r[0] for r in wb["Contents"].iter_rows(values_only=True) if r]
    html = paths[".html"].read_text(encoding="utf-8")
    assert html.count('<td class="n">*</td>') > 20


def test_no_suppressed_cell_recoverable(lambeth) -> None:
    res = lambeth.sdc_result
    assert res.status
    for name, t in res.tables.items():
        if not t.margins or not t.suppressed.to_numpy().any():
            continue
        iv = sdc.feasible_intervals(t)
        assert (iv["width"] > 0).all(), f"{name}: {iv[iv['width'] <= 0]}"
    # a figure shared by several tables is suppressed in all of them: the homicide annual
    # total of Lambeth is the margin of the month tables and of the ward tables
    key = ("y", lambeth.area_code, "homicide", 2020)
    assert res.suppressed(key)
    assert res.tables["monthly/2020/vap"].published.loc[sdc.TOTAL, "homicide"] == "*"
    assert res.tables["wards/E09000022/2020/vap"].published.loc[sdc.TOTAL, "homicide"] == "*"


def test_nhs_rule_via_cli(store: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(
        app,
        [
            "--store",
            str(store),
            "report",
            "violent-crime",
            "--year",
            "2020",
            "--area",
            "Lambeth",
            "--format",
            "json",
            "--public",
            "--sdc-rule",
            "nhs",
            "--out",
            str(tmp_path),
        ],
    )
    assert r.exit_code == 0, r.output
    j = json.loads((tmp_path / "violent-crime-lambeth-2020.json").read_text(encoding="utf-8"))
    assert j["public"] is True and j["disclosure_control"]["rule"] == "nhs"
    assert "1 to 7" in j["disclosure_control"]["description"]
    bad = CliRunner().invoke(
        app,
        [
            *("--store", str(store), "report", "violent-crime", "--year", "2020", "--public"),
            *("--sdc-rule", "lt5", "--out", str(tmp_path)),
        ],
    )
    assert bad.exit_code != 0 and "lt5" in bad.output


def test_alerts_equal_vrkit_alerts(wh: vrkit.Warehouse, store: Path, tmp_path: Path) -> None:
    rep = build_violent_crime_report(wh, year=2021, area="London")
    a = rep.alerts
    assert a.month == pd.Timestamp("2021-12-01") and a.geography == "borough"
    out = tmp_path / "alerts.json"
    r = CliRunner().invoke(
        app,
        [
            *("--store", str(store), "alerts", "--measure", "violence_with_injury"),
            *("--geography", "borough", "--month", "2021-12", "--format", "json"),
            *("--out", str(out)),
        ],
    )
    assert r.exit_code == 0, r.output
    cli = [x for x in json.loads(out.read_text(encoding="utf-8")) if x["alert"]]
    assert len(cli) >= 1 and len(cli) == a.n_alerts == len(a.table)
    mine = a.table.set_index("area_code")
    for x in cli:
        row = mine.loc[x["area_code"]]
        assert int(row["observed"]) == x["observed"]
        assert round(float(row["expected"]), 3) == x["expected"]
        assert round(float(row["threshold"]), 3) == x["threshold"]
        assert float(row["p_value"]) == pytest.approx(x["p_value"])
    assert a.n_tested == 32 and 0 < a.expected_by_chance < 32 * 0.01 + 1e-9
    assert len(a.by_month) == 12
    j = rep.to_dict()
    assert {x["area_code"] for x in j["alerts"]} == {x["area_code"] for x in cli}
    assert "Noufaily" in j["alerts_summary"]["reference"]


def test_alerts_history_too_short_for_wards(lambeth) -> None:
    a = lambeth.alerts
    assert a.geography == "ward" and a.table.empty
    assert a.message and "no ward of the report area could be tested" in a.message
    assert (
        "37 months" in a.message and "the mps_ward_monthly data start in January 2020" in a.message
    )
    assert "COVID-19 restrictions are left out as unusual" in a.message


def test_linkage_synthetic_totals(store: Path, tmp_path: Path) -> None:
    from vrkit.store.health import ingest_istv
    from vrkit.tasks.synth import synth_ambulance, synth_istv

    path = tmp_path / "wh.duckdb"
    shutil.copy(store, path)
    with vrkit.Warehouse(path, read_only=True) as w:
        rep = build_violent_crime_report(w, year=2020, area="London")
    assert not rep.linkage.loaded and rep.linkage.message == NO_HEALTH
    html = write_report(rep, tmp_path / "none", ["html"])[0].read_text("utf-8")
    assert NO_HEALTH.replace("&", "&amp;") in html

    man = synth_istv(tmp_path / "istv", departments=4, months=24, seed=3, start=date(2019, 1, 1))
    amb = synth_ambulance(tmp_path / "amb", lsoas=40, months=24, seed=3, start=date(2019, 1, 1))
    with vrkit.Warehouse(path) as w:
        ingest_istv(w, sorted(man.files))
        w.ingest(amb)
        n_ae = int(
            w.query(
                """SELECT count(*) AS n FROM istv_attendance a
                   JOIN istv_submission s USING (dataset_id, site_code, month)"""
            )["n"].iloc[0]
        )
        rep = build_violent_crime_report(w, year=2020, area="London")
        pub = violent_crime_report(w, year=2020, area="London", public=True).report
    lk = rep.linkage
    assert lk.loaded and lk.synthetic
    amb_total = int(pd.read_csv(amb)["callouts"].sum())
    police = rep.headline.set_index("measure").loc["violence_with_injury"]
    assert lk.totals == {
        "police": int(police["current"] + police["previous"]),
        "ae": n_ae,
        "ambulance": amb_total,
    }
    y = lk.yearly.set_index("year")
    assert int(y.loc[2020, "police"]) == int(police["current"])
    assert int(y["ae"].sum()) == n_ae and int(y["ambulance"].sum()) == amb_total
    assert y.loc[2020, "ae_per_police"] == round(y.loc[2020, "ae"] / y.loc[2020, "police"], 3)
    assert lk.trend["ratio_change"] == pytest.approx(
        lk.trend["ratio_year"] - lk.trend["ratio_compare"], abs=1e-3
    )
    html = write_report(rep, tmp_path / "o", ["html"])[0].read_text("utf-8")
    assert "SYNTHETIC" in html and "Hidden violence" in html
    # public: the small synthetic monthly counts are suppressed and their ratios blanked
    pm = pub.linkage.monthly
    sup = _suppressed(pm, "ambulance")
    assert sup.any() == bool((rep.linkage.monthly["ambulance"].between(1, 9)).any())
    assert pm.loc[sup, "ambulance_per_police"].isna().all()
    assert np.isfinite(pub.to_dict()["linkage"]["yearly"][0]["police"])

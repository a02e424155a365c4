"""Issue #20 outside the Violent Crime Report, on the real shared files.

The school-exclusion and mentoring profiles rank on the real DfE exclusion rates: published by
local authority, so in a ward ranking every ward takes its borough's rate, flagged as imputed
from the borough (#12's parent-area policy); checked against the raw zip read here with the
standard library, and without the DfE file the ranking says so. The needs assessment's borough
profile shows the PAS measures (latest quarter, London alongside) and the exclusion rates.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from vrkit import get_settings
from vrkit.catalog.profiles import load_profile
from vrkit.reports.build.need_index import build_need_index_report
from vrkit.store.warehouse import Warehouse

GLA = "boundaries/statistical-gis-boundaries-london/ESRI/"
FILES = (
    GLA + "LSOA_2011_London_gen_MHW.shp",
    GLA + "London_Borough_Excluding_MHW.shp",
    GLA + "London_Ward_CityMerged.shp",
    "boundaries/London-wards-2018/London-wards-2018_ESRI/London_Ward.shp",
    "mps_crime_ward/2020-01_to_2021-12/MPS Ward Level_Crime_2020-2021.csv.gz",
    "mps_crime_lsoa_annual_derived/london-2011-2021-major-violence.csv",
    "population/london-mid2020-pop.csv",
    "other_london/ward-profiles-excel-version.csv",
    "deprivation_iod2019/ID 2019 for London.xlsx",
    "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv",
)
DFE = "dfe_exclusions/exclusions_by_geographic_level.zip"
PAS = "mopac_pas/PAS_Dashboard_Borough.csv"
RATES = ("dfe_perm_excl_rate", "dfe_fixed_excl_rate")


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with everything the two profiles need except the DfE file."""
    from vrkit.tasks.ingestion import derive_all_lsoa_ward_links

    data = get_settings().data_dir
    paths = [data / f for f in (*FILES, PAS, DFE)]
    missing = [str(p) for p in paths if not p.exists()]
    assert not missing, f"shared data missing: {missing}"
    path = tmp_path_factory.mktemp("excl") / "base.duckdb"
    with Warehouse(path) as wh:
        for p in paths[:-2]:
            wh.ingest(p)
        derive_all_lsoa_ward_links(wh)
    return path


@pytest.fixture(scope="module")
def dfe_store(base_store: Path) -> Path:
    """The same warehouse with the DfE exclusions zip and the PAS file loaded."""
    path = base_store.with_name("dfe.duckdb")
    shutil.copy(base_store, path)
    with Warehouse(path) as wh:
        wh.ingest(get_settings().data_dir / DFE)
        wh.ingest(get_settings().data_dir / PAS)
    return path


@pytest.fixture(scope="module")
def raw_rates() -> dict[str, dict[str, float]]:
    """London boroughs' 2016/17 rates for all state-funded schools, straight from the zip."""
    with zipfile.ZipFile(get_settings().data_dir / DFE) as z:
        name = next(n for n in z.namelist() if n.endswith("geographic_level.csv"))
        with z.open(name) as fh:
            rows = csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8-sig"))
            out: dict[str, dict[str, float]] = {"perm_excl_rate": {}, "fixed_excl_rate": {}}
            for r in rows:
                if (
                    r["geographic_level"] == "Local authority"
                    and r["time_period"] == "201617"
                    and r["school_type"] == "Total"
                    and r["new_la_code"].startswith("E09")
                ):
                    for k in out:
                        if r[k] not in ("x", ""):
                            out[k][r["new_la_code"]] = float(r[k])
    assert len(out["perm_excl_rate"]) >= 32
    return out


@pytest.mark.parametrize("profile", ["school_exclusion", "mentoring"])
def test_ward_ranking_uses_the_real_exclusion_rates_flagged_from_the_borough(
    dfe_store: Path, raw_rates: dict[str, dict[str, float]], profile: str
) -> None:
    with Warehouse(dfe_store, read_only=True) as wh:
        rep = build_need_index_report(wh, load_profile(profile), n_draws=20, top_n=20)
    assert set(RATES) <= set(rep.index.weights.index)
    assert (rep.index.weights[list(RATES)] > 0).all()
    imp = rep.index.imputed.set_index(["area_code", "indicator_id"])
    parent = rep.table.set_index("area_code")["borough_code"]
    n_checked = 0
    for code, borough in parent.items():
        for iid in RATES:
            raw = raw_rates[iid.removeprefix("dfe_")].get(borough)
            assert raw is not None, (code, borough)
            cell = imp.loc[(code, iid)]
            assert cell["parent_code"] == borough
            assert cell["value"] == pytest.approx(raw, abs=1e-9)
            n_checked += 1
    assert n_checked == 2 * len(rep.table) >= 2 * 600
    # every ward is flagged, in its data note, as taking the borough's exclusion rates
    notes = rep.table["data_note"].astype(str)
    assert notes.str.contains("imputed from borough: .*dfe_perm_excl_rate", regex=True).all()
    # the method, the academic year and its age relative to the crime counts are stated
    how = rep.inputs.how["dfe_perm_excl_rate"]
    assert "published for boroughs (local authorities) only" in how
    assert "academic year 2016/17" in how
    crime_year = max(rep.inputs.crime_years.values())
    st = [s for s in rep.statements if "dfe_perm_excl_rate" in s]
    assert len(st) == 1 and "academic year 2016/17" in st[0]
    assert f"{crime_year - 2017} years older than the crime counts" in st[0]
    # the main points separate the wards flagged only for the borough-level rates (counted
    # here from the data notes)
    from vrkit.reports.render.need_index import render_html

    only_rates = sum(
        "missing" not in n
        and any(
            seg.startswith("imputed from borough: ")
            and set(seg.removeprefix("imputed from borough: ").split(", ")) <= set(RATES)
            for seg in n.split("; ")
        )
        for n in notes
    )
    assert 0 < only_rates <= len(rep.table)
    page = render_html(rep)
    assert f"For {only_rates:,} of them the only such indicators are those published" in page
    # within a borough the exclusion rates add the same amount to every ward's score
    c = rep.index.contributions["dfe_perm_excl_rate"]
    by_borough = c.groupby(parent.reindex(c.index)).nunique()
    assert (by_borough == 1).all()


def test_ranking_without_the_dfe_file_says_so(base_store: Path, tmp_path: Path) -> None:
    from vrkit.cli import app

    with Warehouse(base_store, read_only=True) as wh:
        rep = build_need_index_report(wh, load_profile("school_exclusion"), n_draws=20)
    assert not set(RATES) & set(rep.index.weights.index)
    assert rep.inputs.parent_level == {}
    left = [s for s in rep.statements if s.startswith("NOT IN THIS RANKING")]
    assert len(left) == 2
    assert any("dfe_perm_excl_rate" in s and "not loaded" in s for s in left)
    # the education domain keeps its half of the weight on the other indicators
    edu = ["wp_unauthorised_absence_2013", "wp_gcse_capped_points_2014"]
    edu.append("wp_pct_no_qualifications_2011")
    assert float(rep.index.weights[edu].sum()) == pytest.approx(0.5)
    # and the command line prints it, as do the report files
    res = CliRunner().invoke(
        app,
        [
            "rank",
            "--profile",
            "school_exclusion",
            "--store",
            str(base_store),
            "--out",
            str(tmp_path),
            "--draws",
            "20",
            "--format",
            "json,html",
        ],
        env={"COLUMNS": "400"},
    )
    assert res.exit_code == 0, res.output
    assert "warning: NOT IN THIS RANKING: Permanent exclusion rate" in res.output
    html = (tmp_path / "need_index_school_exclusion_ward.html").read_text(encoding="utf-8")
    assert "NOT IN THIS RANKING: Permanent exclusion rate" in html
    js = (tmp_path / "need_index_school_exclusion_ward.json").read_text(encoding="utf-8")
    assert "NOT IN THIS RANKING" in js


def _raw_pas_latest(borough: str) -> dict[str, tuple[str, float, float]]:
    """measure → (date, borough %, MPS %) of the latest quarter, straight from the PAS csv
    (decimal commas, day-first dates)."""
    rows: dict[str, tuple[str, float, float]] = {}
    with (get_settings().data_dir / PAS).open(encoding="utf-8-sig", newline="") as fh:
        for r in csv.DictReader(fh):
            if r["Borough"] != borough:
                continue
            d, m, y = r["Date"].split("/")
            iso = f"{y}-{int(m):02d}-{int(d):02d}"
            if r["Measure"] not in rows or iso > rows[r["Measure"]][0]:
                pct = (100 * float(r["Proportion"].replace(",", ".")),)
                rows[r["Measure"]] = (iso, *pct, 100 * float(r["MPS"].replace(",", ".")))
    return rows


def test_needs_assessment_borough_profile_has_pas_and_exclusions(
    dfe_store: Path, base_store: Path, raw_rates: dict[str, dict[str, float]], tmp_path: Path
) -> None:
    from vrkit.reports.build.needs_assessment import build_needs_assessment
    from vrkit.reports.render.needs_assessment import write_needs_assessment

    kw = {"area": "Lambeth", "years": "2019-2021", "n_bootstrap": 50}
    with Warehouse(dfe_store, read_only=True) as wh:
        rep = build_needs_assessment(wh, **kw)
    bp = rep.borough_profile
    pas = bp[bp["indicator_id"].str.startswith("pas_")].set_index("indicator")
    raw = _raw_pas_latest("Lambeth")
    assert len(pas) == len(raw) == 8
    for measure, (iso, value, mps) in raw.items():
        row = pas.loc[measure]
        assert row["area_value"] == pytest.approx(value)
        assert row["london_value"] == pytest.approx(mps)
        assert row["period"] == "quarter ending " + pd.Timestamp(iso).strftime("%d %b %Y")
    ex = bp[bp["indicator_id"].str.startswith("dfe_")].set_index("indicator_id")
    for iid in RATES:
        col = iid.removeprefix("dfe_")
        assert ex.loc[iid, "area_value"] == raw_rates[col]["E09000022"]
        assert ex.loc[iid, "period"] == "academic year 2016/17"
        assert ex.loc[iid, "england_value"] == {"perm_excl_rate": 0.1, "fixed_excl_rate": 4.76}[col]
    notes = " ".join(rep.borough_profile_notes)
    assert "quarter ending 2023-12-31" in notes and "academic year 2016/17" in notes
    assert "4 years before the latest year of this report (2021)" in notes
    write_needs_assessment(rep, tmp_path, formats=("html", "xlsx"))
    html = (tmp_path / "needs-assessment.html").read_text(encoding="utf-8")
    assert 'id="profile"' in html and "Trust MPS" in html and "Permanent exclusion rate" in html
    # without the two files the section says so instead of staying empty
    with Warehouse(base_store, read_only=True) as wh:
        bare = build_needs_assessment(wh, **kw)
    assert bare.borough_profile.empty
    said = " ".join(bare.borough_profile_notes)
    assert "Public Attitude Survey): not loaded" in said and "(DfE): not loaded" in said


def test_quality_shows_the_coverage_of_quarterly_and_academic_year_sources(
    dfe_store: Path,
) -> None:
    from vrkit.cli import app

    res = CliRunner().invoke(app, ["quality", "--store", str(dfe_store)], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    out = res.output
    # no "0 months present" for sources that are not monthly; their periods are under coverage
    assert "0 months present" not in out
    assert "2014-12 … 2023-12 (not monthly; periods and gaps under coverage)" in out
    assert "2006-09 … 2017-08 (not monthly; periods and gaps under coverage)" in out
    assert (
        "│ coverage  │ pas_trust_mps: 33 areas × 32 quarters (2016-03-31 … 2023-12-31), no gaps"
        in out
    )
    assert "× 11 years (2006/07 … 2016/17), no gaps" in out

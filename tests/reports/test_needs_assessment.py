"""Needs-assessment report and the hotspots/concentration CLI on the real London data."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from vrkit import get_settings
from vrkit.store.warehouse import Warehouse

FILES = (
    "boundaries/statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp",
    "boundaries/statistical-gis-boundaries-london/ESRI/London_Borough_Excluding_MHW.shp",
    "mps_crime_lsoa_annual_derived/london-2011-2021-major-violence.csv",
    "deprivation_iod2019/ID 2019 for London.xlsx",
    "population/london-mid2019-pop.csv",
)


@pytest.fixture(scope="module")
def store(tmp_path_factory, warehouses):
    data = get_settings().data_dir
    paths = [data / f for f in FILES]
    missing = [str(p) for p in paths if not p.exists()]
    assert not missing, f"shared data not found (set VRKIT_DATA_DIR): {missing}"
    # the public needs-rank module's warehouse plus the City of London's 2019 street crimes
    street = sorted((data / "police_uk_street/city-of-london").glob("2019-*/*street.csv"))
    assert len(street) == 12, "police.uk City of London street files for 2019 not found"
    paths += street
    return warehouses.copy(
        paths, tmp_path_factory.mktemp("wh") / "vrkit.duckdb", shared_prefix=len(FILES)
    )


@pytest.fixture(scope="module")
def report(store):
    from vrkit.reports.build.needs_assessment import build_needs_assessment

    with Warehouse(store, read_only=True) as wh:
        return build_needs_assessment(
            wh, area="London", years="2015-2021", permutations=999, n_bootstrap=200
        )


def _direct_top5(store, year: int) -> float:
    with Warehouse(store, read_only=True) as wh:
        return float(
            wh.query(
                """WITH c AS (SELECT area_code, sum("count") AS n FROM crime_count_annual
                              WHERE source_kind = 'mps_lsoa_annual_derived' AND year = ?
                                AND NOT excluded
                                AND upper(offence_major) = 'VIOLENCE AGAINST THE PERSON'
                              GROUP BY 1),
                        r AS (SELECT n, row_number() OVER (ORDER BY n DESC) AS rk,
                                     count(*) OVER () AS places, sum(n) OVER () AS total FROM c)
                   SELECT sum(n) FILTER (WHERE rk <= ceil(0.05 * places)) / any_value(total) AS s
                   FROM r""",
                [year],
            )["s"].iloc[0]
        )


def test_top5_share_by_year_equals_direct_warehouse_computation(report, store) -> None:
    c = report.concentration
    assert list(c["year"]) == [2015, 2016, 2017, 2018, 2019, 2021]  # 2020 is faulty: left out
    assert any("2020 left out" in w for w in report.warnings)
    for _, row in c.iterrows():
        assert row["top_5pct_share"] == pytest.approx(
            _direct_top5(store, int(row["year"])), abs=1e-12
        )
    assert c.loc[c.year == 2019, "crimes"].item() == 217874


def test_report_tables_and_files(report, tmp_path) -> None:
    from vrkit.reports.render.needs_assessment import write_needs_assessment

    assert len(report.hotspots) == 4829
    assert {
        "count",
        "gi_z",
        "p_value",
        "p_adjusted",
        "hotspot_class",
        "lisa_i",
        "lisa_quadrant",
    } <= set(report.hotspots.columns)
    assert report.deprivation["decile"].tolist() == list(range(1, 11))
    assert report.gap_summary["rate_ratio"] > 1
    assert len(report.top_places) == math.ceil(0.05 * 4829)
    assert report.top_places["area_name"].notna().all()
    assert dict(report.methods)["Gi*"].startswith("binary weights, self-weight 1")
    paths = write_needs_assessment(report, tmp_path)
    html = (tmp_path / "needs-assessment.html").read_text(encoding="utf-8")
    assert "<script" not in html and "cdn" not in html.lower()
    assert html.count("<svg") >= 4 and "7. Methods" in html and "Sources and caveats" in html
    assert "6. Borough profile" in html
    import pyogrio

    layers = {name for name, _ in pyogrio.list_layers(tmp_path / "needs-assessment.gpkg")}
    assert {"hotspots", "spacetime", "top_places"} <= layers
    assert len(paths) == 3
    from openpyxl import load_workbook

    sheets = load_workbook(tmp_path / "needs-assessment.xlsx", read_only=True).sheetnames
    assert {
        "concentration",
        "hotspots",
        "spacetime",
        "top_places",
        "deprivation",
        "methods",
    } <= set(sheets)


def _cli(store, *args):
    from vrkit.cli import app

    return CliRunner().invoke(app, ["--store", str(store), *args])


def test_cli_concentration_json_keys(store, tmp_path) -> None:
    out = tmp_path / "c.json"
    r = _cli(
        store,
        "concentration",
        "--measure",
        "violence_against_the_person",
        "--geography",
        "lsoa",
        "--year",
        "2019",
        "--format",
        "json",
        "--out",
        str(out),
        "--boot",
        "100",
    )
    assert r.exit_code == 0, r.output
    d = json.loads(out.read_text())
    for key in (
        "places",
        "crimes",
        "top_5pct_share",
        "places_for_50pct",
        "gini",
        "gini_adjusted",
        "gini_ci",
    ):
        assert key in d
    assert d["places"] == 4829 and d["top_5pct_share"] == pytest.approx(_direct_top5(store, 2019))


def test_cli_refuses_faulty_2020(store) -> None:
    r = _cli(store, "concentration", "--year", "2020")
    assert r.exit_code == 2 and "none of the years [2020] has counts" in r.output


def test_cli_hotspots_gpkg_layer(store, tmp_path) -> None:
    import geopandas as gpd

    out = tmp_path / "h.gpkg"
    r = _cli(
        store,
        "hotspots",
        "--measure",
        "violence_against_the_person",
        "--geography",
        "lsoa",
        "--year",
        "2019",
        "--perms",
        "99",
        "--seed",
        "1",
        "--adjust",
        "fdr",
        "--out",
        str(out),
    )
    assert r.exit_code == 0, r.output
    g = gpd.read_file(out, layer="hotspots")
    for col in (
        "area_code",
        "count",
        "gi_z",
        "p_value",
        "p_adjusted",
        "hotspot_class",
        "lisa_i",
        "lisa_quadrant",
    ):
        assert col in g.columns
    assert len(g) == 4829 and g.crs.to_epsg() == 27700
    csv = tmp_path / "h.csv"
    r = _cli(store, "hotspots", "--year", "2019", "--perms", "0", "--out", str(csv))
    assert r.exit_code == 0 and csv.read_text().startswith("area_code,")
    r = _cli(store, "hotspots", "--out", str(tmp_path / "h.txt"))
    assert r.exit_code == 2 and "cannot tell the output format" in r.output
    assert np.isfinite(g["gi_z"]).all()


def test_cli_grid_hotspots_report_points_without_coordinates(store, tmp_path) -> None:
    out = tmp_path / "g.csv"
    r = _cli(
        store,
        "hotspots",
        "--geography",
        "grid",
        "--measure",
        "violence_and_sexual_offences",
        "--year",
        "2019",
        "--area",
        "City of Westminster",
        "--cell-size",
        "250",
        "--perms",
        "0",
        "--out",
        str(out),
    )
    assert r.exit_code == 0, r.output
    assert "without coordinates" in r.output and "outside the area" in r.output
    assert out.read_text().startswith("cell_id,count,")
    r = _cli(store, "hotspots", "--geography", "grid", "--year", "2019", "--out", str(out))
    assert r.exit_code == 2 and "already exists" in r.output  # --out never replaces silently
    r = _cli(
        store, "hotspots", "--geography", "grid", "--year", "2019", "--out", str(out), "--force"
    )
    assert r.exit_code == 2 and "not defined for taxonomy 'police_uk'" in r.output

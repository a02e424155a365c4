"""Need-index report and `vrkit rank` on a small synthetic warehouse (4 wards, 2 boroughs)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from vrkit.catalog.profiles import parse_profile
from vrkit.errors import InputError
from vrkit.reports.build.need_index import assemble_indicators, build_need_index_report
from vrkit.reports.render.need_index import write_need_index
from vrkit.sources.base import LoadReport, SourceFrames
from vrkit.store.warehouse import Warehouse

WARDS = ["E05000001", "E05000002", "E05000003", "E05000004"]
LSOAS = [f"E0100000{i}" for i in range(1, 9)]


@pytest.fixture
def store(tmp_path):
    path = tmp_path / "w.duckdb"
    wh = Warehouse(path)
    geoms = [shapely.to_wkb(shapely.box(i * 1000, 0, (i + 1) * 1000, 1000)) for i in range(4)]
    area = pd.DataFrame(
        {
            "area_code": WARDS,
            "area_name": ["North", "South", "East", "West"],
            "area_type": "ward14",
            "parent_code": ["E09000001", "E09000001", "E09000002", "E09000002"],
            "geometry": geoms,
            "area_ha": 100.0,
        }
    )
    lsoa = pd.DataFrame(
        {
            "area_code": LSOAS,
            "area_name": LSOAS,
            "area_type": "lsoa11",
            "parent_code": None,
            "geometry": None,
            "area_ha": None,
        }
    )
    links = pd.DataFrame(
        {
            "child_code": LSOAS,
            "parent_code": [w for w in WARDS for _ in (0, 1)],
            "link_type": "lsoa11_ward14",
            "weight": 1.0,
        }
    )
    ind = pd.DataFrame(
        [
            ("wp_vap_rate_2014_15", "VAP rate", "per 1,000 population", "higher_is_worse", "t", ""),
            ("imd2019_score", "IMD", "score", "higher_is_worse", "t", ""),
            ("population_all_ages", "Population", "persons", "neutral", "t", ""),
        ],
        columns=["indicator_id", "name", "unit", "polarity", "source", "description"],
    )
    p0, p1 = date(2019, 1, 1), date(2019, 12, 31)
    vals = pd.concat(
        [
            pd.DataFrame(
                {
                    "area_code": WARDS,
                    "indicator_id": "wp_vap_rate_2014_15",
                    "value": [40.0, 10, 30, 20],
                }
            ),
            pd.DataFrame(
                {
                    "area_code": LSOAS,
                    "indicator_id": "imd2019_score",
                    "value": [10.0, 20, 50, 50, 5, 5, 30, 10],
                }
            ),
            pd.DataFrame(
                {
                    "area_code": LSOAS,
                    "indicator_id": "population_all_ages",
                    "value": [1000.0, 3000, 1500, 1500, 2000, 2000, 1000, 1000],
                }
            ),
        ]
    ).assign(period_start=p0, period_end=p1)
    rep = LoadReport(path=path, source_kind="test")
    wh.load(
        SourceFrames(
            report=rep,
            tables={
                "area": pd.concat([area, lsoa]),
                "area_link": links,
                "indicator": ind,
                "indicator_value": vals,
            },
        ),
        sha256="x",
    )
    wh.close()
    return path


def _profile(*ids, weights=None):
    weights = weights or [1] * len(ids)
    return parse_profile(
        {
            "id": "t",
            "name": "Test",
            "version": 1,
            "description": "d",
            "rationale": "r",
            "sources": ["s"],
            "indicator": [{"id": i, "weight": w} for i, w in zip(ids, weights, strict=True)],
        },
        known={"wp_vap_rate_2014_15": "higher_is_worse", "imd2019_score": "higher_is_worse"},
    )


def test_assemble_aggregates_lsoa_scores_population_weighted(store):
    with Warehouse(store, read_only=True) as wh:
        inp = assemble_indicators(wh, ["imd2019_score", "wp_vap_rate_2014_15"], "ward")
    imd = inp.values["imd2019_score"]
    assert imd["E05000001"] == pytest.approx((10 * 1000 + 20 * 3000) / 4000)
    assert imd["E05000002"] == pytest.approx(50)
    assert "population-weighted" in inp.how["imd2019_score"]
    assert inp.how["wp_vap_rate_2014_15"].startswith("as published")


def test_one_indicator_report_ranks_by_it_and_writes_outputs(store, tmp_path):
    with Warehouse(store, read_only=True) as wh:
        rep = build_need_index_report(wh, _profile("wp_vap_rate_2014_15"), top_n=2, n_draws=50)
        paths = write_need_index(rep, tmp_path / "out")
    assert rep.table["area_code"].tolist() == ["E05000001", "E05000003", "E05000004", "E05000002"]
    assert (rep.table["rank_low"] == rep.table["rank_high"]).all()  # one indicator: weights moot
    csv = pd.read_csv(tmp_path / "out" / "need_index_t_ward.csv")
    assert list(csv.columns[:7]) == [
        "area_code",
        "area_name",
        "rank",
        "score",
        "rank_low",
        "rank_high",
        "p_top_n",
    ]
    assert "contrib_wp_vap_rate_2014_15" in csv.columns
    assert {p.suffix for p in paths} == {".csv", ".xlsx", ".html", ".gpkg", ".json"}
    html = (tmp_path / "out" / "need_index_t_ward.html").read_text(encoding="utf-8")
    assert "<svg" in html and "<script" not in html and "How the index is made" in html


def test_cannot_convert_and_unknown_geography(store):
    with Warehouse(store, read_only=True) as wh:
        with pytest.raises(InputError, match="cannot be converted to lsoa areas"):
            assemble_indicators(wh, ["wp_vap_rate_2014_15"], "lsoa")
        with pytest.raises(InputError, match="unknown geography 'msoa'"):
            assemble_indicators(wh, ["wp_vap_rate_2014_15"], "msoa")
        with pytest.raises(InputError, match="'wp_crime_rate_2014_15' has no values"):
            assemble_indicators(wh, ["wp_crime_rate_2014_15"], "ward")


def test_cli_rank(store, tmp_path):
    from vrkit.cli import app

    prof = tmp_path / "p.toml"
    prof.write_text(
        'name = "T"\nversion = 1\ndescription = "d"\nrationale = "r"\n'
        'sources = ["s"]\n[[indicator]]\nid = "imd2019_score"\nweight = 1\n'
        '[[indicator]]\nid = "wp_vap_rate_2014_15"\nweight = 1\n',
        encoding="utf-8",
    )
    r = CliRunner().invoke(
        app,
        [
            "--store",
            str(store),
            "rank",
            "--profile",
            str(prof),
            "--top",
            "2",
            "--out",
            str(tmp_path / "o"),
            "--format",
            "csv",
            "--draws",
            "20",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "top 2 ward areas" in r.output  # --top N shows N rows (it showed min(N, 10))
    out = pd.read_csv(tmp_path / "o" / "need_index_p_ward.csv")
    assert len(out) == 4 and out["p_top_n"].between(0, 1).all()
    bad = CliRunner().invoke(
        app, ["--store", str(store), "rank", "--profile", "sports", "--out", str(tmp_path / "o")]
    )
    assert bad.exit_code == 2 and "no crime counts for ward areas" in bad.output

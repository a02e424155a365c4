"""Issue #12 on the real shared data: complete rankings, one hot spot default, the VAP break."""

from __future__ import annotations

from pathlib import Path

import pytest

from vrkit import get_settings
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
    "mps_crime_borough/2023-03_to_2025-02/MPS Borough Level Crime (most recent 24 months).csv",
    "mps_crime_borough/2024-01_to_2025-12/MPS Borough Level Crime (most recent 24 months).csv",
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, warehouses) -> Path:
    from vrkit.tasks.ingestion import derive_all_lsoa_ward_links

    data = get_settings().data_dir
    paths = [data / f for f in FILES]
    path = warehouses.copy(paths, tmp_path_factory.mktemp("figures") / "vrkit.duckdb")
    with Warehouse(path) as wh:
        links = derive_all_lsoa_ward_links(wh)
    assert links["ward14_citymerged"] == links["ward18"] == 4835
    return path


def test_sports_ranking_is_complete_with_boroughs_and_smoothed_rates(
    store: Path, tmp_path: Path
) -> None:
    import pandas as pd

    from vrkit.catalog.profiles import load_profile
    from vrkit.reports.build.need_index import build_need_index_report
    from vrkit.reports.render.need_index import write_need_index

    with Warehouse(store, read_only=True) as wh:
        rep = build_need_index_report(wh, load_profile("sports"), n_draws=50, top_n=20)
        write_need_index(rep, tmp_path, formats=("csv", "json"))
    t = rep.table.set_index("area_name", append=True)
    # every MPS ward is ranked on all seven indicators (before: 142 wards on 4 of 7)
    assert len(rep.table) == 624 and (rep.table["indicators_used"] == 7).all()
    # the only ward not ranked is the City of London (its own police force: no MPS counts)
    assert rep.index.excluded["area_code"].tolist() == ["E09000001"]
    for name, borough in [
        ("Selhurst", "Croydon"),
        ("Camberwell Green", "Southwark"),
        ("East Walworth", "Southwark"),
        ("Loxford", "Redbridge"),
    ]:
        row = rep.table[rep.table["area_name"] == name].iloc[0]
        assert row["borough_name"] == borough
        assert "crime counts apportioned through LSOAs" in row["data_note"]
    assert rep.table["borough_name"].notna().all()
    # counts moved to the 2014 wards keep each borough's published total
    iid = "crime_violence_with_injury_rate"
    c = rep.inputs.counts[iid]
    par = rep.inputs.areas.set_index("area_code")["parent_code"]
    assert c.groupby(par.reindex(c.index)).sum()["E09000008"] == pytest.approx(
        _borough_ward_total(store, "E09000008", rep.inputs.crime_years[iid]), rel=1e-9
    )
    # smoothed rates used, crude rates alongside; the central wards are flagged
    iid = "crime_violence_with_injury_rate"
    assert {f"rate_{iid}", f"raw_rate_{iid}", "denominator_flag"} <= set(rep.table.columns)
    assert not (rep.table[f"rate_{iid}"] == rep.table[f"raw_rate_{iid}"]).all()
    sj = rep.table[rep.table["area_name"] == "St. James's"].iloc[0]
    assert "non-residents" in sj["denominator_flag"]
    csv = pd.read_csv(tmp_path / "need_index_sports_ward.csv")
    assert csv["data_note"].astype(str).str.startswith("not ranked").sum() == 1
    assert len(t) == 624


def _borough_ward_total(store: Path, borough: str, year: int) -> float:
    with Warehouse(store, read_only=True) as wh:
        return float(
            wh.query(
                """SELECT sum("count") AS n FROM crime_count c JOIN area a USING (area_code)
                   WHERE c.source_kind = 'mps_ward_monthly' AND year(month) = ?
                     AND upper(offence_minor) = 'VIOLENCE WITH INJURY' AND a.area_type = 'ward18'
                     AND a.parent_code = ?""",
                [year, borough],
            )["n"].iloc[0]
        )


def test_the_hot_spot_paths_agree_by_default(store: Path) -> None:
    from vrkit.reports.build.needs_assessment import build_needs_assessment
    from vrkit.tasks import hotspots

    with Warehouse(store, read_only=True) as wh:
        res = hotspots(
            wh,
            measure="violence_against_the_person",
            geography="lsoa",
            year=2021,
            area="London",
            cell_size=None,
            grid_type="square",
            perms=0,
            seed=1,
            adjust="fdr",
            alpha=0.05,
            statistic="gi",
        )
        na = build_needs_assessment(wh, years="2021", n_bootstrap=20)
    gdf, summary = res.layer, res.summary
    cli_hot = set(gdf.loc[gdf["hotspot_class"] == "hot", "area_code"])
    na_hot = set(na.hotspots.loc[na.hotspots["hotspot_class"] == "hot", "area_code"])
    assert len(cli_hot) > 100  # analytic z + FDR finds hot spots at London scale
    assert cli_hot == na_hot
    assert summary["warnings"] == [] or all("floor" not in w for w in summary["warnings"])


def test_trend_marks_the_vap_2024_break(store: Path) -> None:
    from vrkit.tasks import trend

    with Warehouse(store, read_only=True) as wh:
        t = trend(wh, "violence_against_the_person").table.set_index("period")
    assert not t.loc["2024", "comparable"] and "CONNECT" in t.loc["2024", "break_label"]
    assert (
        pytest.isna(t.loc["2024", "pct_change"])
        if hasattr(pytest, "isna")
        else (t.loc["2024", "pct_change"] != t.loc["2024", "pct_change"])
    )
    assert t.loc["2025", "comparable"] and t.loc["2023", "comparable"]

"""Tests of the geography and context adapters (issue #3) on the real shared data and bad inputs.

Figures come from ``shared/data/PROVENANCE.md`` §6–9 (counts, IMD decile distribution,
population totals, lookup rows). Expensive reads are cached in module-scoped fixtures. Missing
data fails the tests (it never skips them).
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon

import vrkit
from vrkit.analysis.geography import best_fit_links
from vrkit.errors import DataValidationError, InputError, SourceError
from vrkit.sources.base import SourceFrames
from vrkit.sources.boundaries import BoundaryAdapter
from vrkit.sources.imd import ImdFile1Adapter
from vrkit.sources.lookups import Ward23Lad23LookupAdapter
from vrkit.sources.population import MidYearPopulationAdapter
from vrkit.sources.registry import detect_adapter, read_file
from vrkit.store.derived import DERIVED_KIND
from vrkit.store.schema import TABLES
from vrkit.store.warehouse import Warehouse
from vrkit.tasks.ingestion import derive_lsoa_ward_links

REPO_ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    d = vrkit.get_settings().data_dir
    return d if d.is_absolute() else (REPO_ROOT / d).resolve()


DATA = _data_dir()
ESRI = DATA / "boundaries/statistical-gis-boundaries-london/ESRI"
W18 = DATA / "boundaries/London-wards-2018/London-wards-2018_ESRI"
GEOJSON = DATA / "boundaries/geojson/London_Borough_Excluding_MHW.geojson"
IOD = DATA / "deprivation_iod2019"
POP = DATA / "population"
LOOKUP_LSOA21 = (
    DATA / "lookups/LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2"
    ".csv.gz"
)
LOOKUP_WARD23 = (
    DATA / "lookups/Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom"
    ".csv"
)

#: file → (area_type, features) from PROVENANCE §6
LAYERS: dict[Path, tuple[str, int]] = {
    ESRI / "LSOA_2011_London_gen_MHW.shp": ("lsoa11", 4835),
    ESRI / "MSOA_2011_London_gen_MHW.shp": ("msoa11", 983),
    ESRI / "London_Borough_Excluding_MHW.shp": ("lad", 33),
    ESRI / "London_Ward.shp": ("ward14", 649),
    ESRI / "London_Ward_CityMerged.shp": ("ward14_citymerged", 625),
    W18 / "London_Ward.shp": ("ward18", 657),
    W18 / "London_Ward_CityMerged.shp": ("ward18_citymerged", 633),
    GEOJSON: ("lad", 33),
}
#: generous British National Grid box around Greater London (metres)
LONDON_BNG = (500_000.0, 150_000.0, 565_000.0, 205_000.0)
IMD_LONDON_DECILES = {
    1: 107,
    2: 688,
    3: 811,
    4: 661,
    5: 559,
    6: 532,
    7: 438,
    8: 413,
    9: 407,
    10: 219,
}


def _columns(table: str) -> list[str]:
    """Warehouse columns of ``table`` without dataset_id, in schema order."""
    cols = [c.strip().split()[0].strip('"') for c in TABLES[table].split(",")]
    return [c for c in cols if c and c != "dataset_id" and not c.startswith("UNIQUE")]


def _check_schema(frames: SourceFrames) -> None:
    for table, frame in frames.tables.items():
        assert list(frame.columns) == _columns(table), table
    for table in ("indicator_value",):
        if table in frames.tables:
            assert frames.tables[table]["value"].notna().all()


@pytest.fixture(scope="module", autouse=True)
def _data_present() -> None:
    if not DATA.is_dir():
        pytest.fail(f"shared data not found at {DATA}; set VRKIT_DATA_DIR")


@pytest.fixture(scope="module")
def layers() -> dict[Path, SourceFrames]:
    return {p: read_file(p) for p in LAYERS}


@pytest.fixture(scope="module")
def imd_london() -> SourceFrames:
    return read_file(IOD / "ID 2019 for London.xlsx")


@pytest.fixture(scope="module")
def imd_file1() -> SourceFrames:
    return read_file(IOD / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx")


@pytest.fixture(scope="module")
def imd_wards() -> SourceFrames:
    return read_file(IOD / "London wards id2019 summary measures.xlsx")


@pytest.fixture(scope="module")
def warehouse(
    tmp_path_factory: pytest.TempPathFactory, layers: dict[Path, SourceFrames]
) -> Iterator[Warehouse]:
    wh = Warehouse(tmp_path_factory.mktemp("geo") / "w.duckdb")
    for p in (
        ESRI / "LSOA_2011_London_gen_MHW.shp",
        W18 / "London_Ward.shp",
        ESRI / "London_Ward.shp",
    ):
        wh.load(layers[p])
    yield wh
    wh.close()


# -- boundaries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(LAYERS), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_layer_counts_types_and_schema(layers: dict[Path, SourceFrames], path: Path) -> None:
    area_type, n = LAYERS[path]
    frames = layers[path]
    area = frames.tables["area"]
    _check_schema(frames)
    assert len(area) == n and frames.report.rows_read == n
    assert set(area["area_type"]) == {area_type}
    assert area["area_code"].is_unique and area["area_name"].notna().all()
    assert (area["area_ha"] > 0).all()
    assert frames.report.source_kind == "boundary"
    assert any("computed from the geometry" in note for note in frames.report.notes)


@pytest.mark.parametrize("path", list(LAYERS), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_geometries_valid_and_in_london_bng(layers: dict[Path, SourceFrames], path: Path) -> None:
    geoms = shapely.from_wkb(layers[path].tables["area"]["geometry"].to_numpy())
    assert shapely.is_valid(geoms).all()
    assert set(shapely.get_type_id(geoms)) <= {3, 6}
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    x0, y0, x1, y1 = LONDON_BNG
    assert x0 <= minx < maxx <= x1 and y0 <= miny < maxy <= y1
    # computed area agrees with the stored geometry
    np.testing.assert_allclose(layers[path].tables["area"]["area_ha"], shapely.area(geoms) / 1e4)


def test_invalid_geometries_repaired_and_counted(layers: dict[Path, SourceFrames]) -> None:
    notes = layers[ESRI / "LSOA_2011_London_gen_MHW.shp"].report.notes
    assert any(n.startswith("8 invalid geometries repaired") for n in notes), notes


def test_geojson_crs84_matches_shapefile(layers: dict[Path, SourceFrames]) -> None:
    shp = layers[ESRI / "London_Borough_Excluding_MHW.shp"].tables["area"].set_index("area_code")
    gj = layers[GEOJSON].tables["area"].set_index("area_code")
    assert set(shp.index) == set(gj.index) and len(gj) == 33
    rel = (gj["area_ha"] / shp.loc[gj.index, "area_ha"] - 1).abs()
    assert rel.max() < 0.005
    assert (gj["area_name"] == shp.loc[gj.index, "area_name"]).all()
    assert any("reprojected from" in n for n in layers[GEOJSON].report.notes)


def test_hierarchy_links(layers: dict[Path, SourceFrames]) -> None:
    lsoa = layers[ESRI / "LSOA_2011_London_gen_MHW.shp"]
    links = lsoa.tables["area_link"]
    counts = links["link_type"].value_counts().to_dict()
    assert counts == {"lsoa11_msoa11": 4835, "lsoa11_lad": 4835}
    msoa_codes = set(layers[ESRI / "MSOA_2011_London_gen_MHW.shp"].tables["area"]["area_code"])
    assert set(links.loc[links["link_type"] == "lsoa11_msoa11", "parent_code"]) == msoa_codes
    borough_codes = set(
        layers[ESRI / "London_Borough_Excluding_MHW.shp"].tables["area"]["area_code"]
    )
    assert set(links.loc[links["link_type"] == "lsoa11_lad", "parent_code"]) == borough_codes
    assert (lsoa.tables["area"]["parent_code"].str[:3] == "E09").all()
    for path, link in (
        (ESRI / "London_Ward.shp", "ward14_lad"),
        (W18 / "London_Ward.shp", "ward18_lad"),
        (W18 / "London_Ward_CityMerged.shp", "ward18_citymerged_lad"),
    ):
        ward_links = layers[path].tables["area_link"]
        assert set(ward_links["link_type"]) == {link}
        assert set(ward_links["parent_code"]) == borough_codes
        assert (ward_links["weight"] == 1.0).all()


# -- best fit -----------------------------------------------------------------------------------


def test_best_fit_every_lsoa_one_ward18(warehouse: Warehouse) -> None:
    n = derive_lsoa_ward_links(warehouse, "ward18")
    assert n == 4835
    links = warehouse.query("SELECT * FROM area_link WHERE link_type = 'lsoa11_ward18'")
    assert len(links) == 4835 and links["child_code"].is_unique
    lsoa = warehouse.query("SELECT area_code FROM area WHERE area_type = 'lsoa11'")
    assert set(links["child_code"]) == set(lsoa["area_code"])
    wards = warehouse.query("SELECT area_code FROM area WHERE area_type = 'ward18'")
    assert set(links["parent_code"]) <= set(wards["area_code"])
    assert ((links["weight"] > 0) & (links["weight"] <= 1)).all()
    # measured: 94.6 % of London LSOAs lie ≥ 90 % inside their 2018 ward (99.8 % for the 2014
    # wards, which the 2011 LSOAs were built on); 2018 boundary reviews split some LSOAs
    assert (links["weight"] >= 0.9).mean() >= 0.90
    assert links["weight"].median() >= 0.99
    ds = warehouse.query("SELECT * FROM dataset WHERE source_kind = ?", [DERIVED_KIND])
    assert len(ds) == 1 and ds["file_name"].iloc[0] == "London_Ward.shp"
    assert "London-wards-2018" in ds["file_path"].iloc[0]
    assert any("point on surface" in n for n in ds["notes"].iloc[0])


def test_best_fit_is_idempotent(warehouse: Warehouse) -> None:
    def links() -> pd.DataFrame:
        return warehouse.query(
            "SELECT child_code, parent_code, weight, dataset_id FROM area_link "
            "WHERE link_type = 'lsoa11_ward18' ORDER BY child_code"
        )

    def n_datasets() -> int:
        q = "SELECT count(*) AS n FROM dataset WHERE source_kind = ?"
        return int(warehouse.query(q, [DERIVED_KIND])["n"].iloc[0])

    derive_lsoa_ward_links(warehouse, "ward18")
    first = links()
    # unchanged inputs: nothing recomputed, same dataset
    assert derive_lsoa_ward_links(warehouse, "ward18") == 4835
    pd.testing.assert_frame_equal(first, links())
    # forced: recomputed and replaced atomically, same links, still one dataset row
    assert derive_lsoa_ward_links(warehouse, "ward18", force=True) == 4835
    second = links()
    pd.testing.assert_frame_equal(
        first.drop(columns="dataset_id"), second.drop(columns="dataset_id")
    )
    assert n_datasets() == 1
    # another method replaces the links of the same type, not adds to them
    assert derive_lsoa_ward_links(warehouse, "ward18", method="area") == 4835
    assert len(links()) == 4835 and n_datasets() == 1
    derive_lsoa_ward_links(warehouse, "ward18")
    pd.testing.assert_frame_equal(
        first.drop(columns="dataset_id"), links().drop(columns="dataset_id")
    )
    # hierarchy links of other layers are untouched
    n_lsoa_lad = warehouse.query(
        "SELECT count(*) AS n FROM area_link WHERE link_type = 'lsoa11_lad'"
    )["n"].iloc[0]
    assert n_lsoa_lad == 4835


def test_best_fit_ward14_and_area_method(warehouse: Warehouse) -> None:
    derive_lsoa_ward_links(warehouse, "ward18")  # unchanged inputs: a no-op if already derived
    derive_lsoa_ward_links(warehouse, "ward14")
    w14 = warehouse.query("SELECT weight FROM area_link WHERE link_type = 'lsoa11_ward14'")
    assert len(w14) == 4835 and (w14["weight"] >= 0.9).mean() >= 0.99
    n_ds = warehouse.query(
        "SELECT count(*) AS n FROM dataset WHERE source_kind = ?", [DERIVED_KIND]
    )["n"].iloc[0]
    assert n_ds == 2


def test_best_fit_pure_on_toy_squares() -> None:
    # child A: 70 % in P1 but its point on surface... both methods agree for a rectangle
    parents = gpd.GeoDataFrame(
        {"area_code": ["P1", "P2"]},
        geometry=[
            Polygon([(0, 0), (10, 0), (10, 10), (0, 10)]),
            Polygon([(10, 0), (20, 0), (20, 10), (10, 10)]),
        ],
        crs=27700,
    )
    children = gpd.GeoDataFrame(
        {"area_code": ["A", "B", "C"]},
        geometry=[
            Polygon([(3, 0), (13, 0), (13, 1), (3, 1)]),  # 70 % in P1
            Polygon([(12, 2), (18, 2), (18, 8), (12, 8)]),  # all in P2
            Polygon([(30, 0), (31, 0), (31, 1), (30, 1)]),
        ],  # outside: unmatched
        crs=27700,
    )
    before = children.copy()
    out = best_fit_links(children, parents, method="area", link_type="t")
    assert out["child_code"].tolist() == ["A", "B"]
    assert out["parent_code"].tolist() == ["P1", "P2"]
    np.testing.assert_allclose(out["weight"], [0.7, 1.0])
    assert out.attrs["unmatched"] == ["C"]
    cen = best_fit_links(children, parents, method="centroid")
    assert cen["parent_code"].tolist() == ["P1", "P2"]
    pd.testing.assert_frame_equal(children, before)  # inputs not mutated
    with pytest.raises(InputError, match="projected CRS"):
        best_fit_links(children.to_crs(4326), parents.to_crs(4326))
    with pytest.raises(InputError, match="unknown best-fit method"):
        best_fit_links(children, parents, method="nearest")  # type: ignore[arg-type]


def test_derive_waits_for_both_layers(tmp_path: Path, layers: dict[Path, SourceFrames]) -> None:
    with Warehouse(tmp_path / "w.duckdb") as wh:
        assert derive_lsoa_ward_links(wh, "ward18") == 0  # as after each `vrkit ingest`
        with pytest.raises(InputError, match="no lsoa11 boundaries"):
            derive_lsoa_ward_links(wh, "ward18", require_layers=True)
        wh.load(layers[ESRI / "LSOA_2011_London_gen_MHW.shp"])
        with pytest.raises(InputError, match="no ward18 boundaries"):
            derive_lsoa_ward_links(wh, "ward18", require_layers=True)
        with pytest.raises(InputError, match="unknown ward type"):
            derive_lsoa_ward_links(wh, "ward99")
        assert (
            wh.query("SELECT count(*) AS n FROM area_link WHERE link_type LIKE 'lsoa11_ward%'")[
                "n"
            ].iloc[0]
            == 0
        )


# -- IMD ----------------------------------------------------------------------------------------


def test_imd_london(imd_london: SourceFrames) -> None:
    _check_schema(imd_london)
    ind = imd_london.tables["indicator"].set_index("indicator_id")
    assert len(ind) == 24
    for dom in (
        "",
        "income_",
        "employment_",
        "education_",
        "health_",
        "crime_",
        "barriers_",
        "living_environment_",
    ):
        for what in ("score", "rank", "decile"):
            assert f"imd2019_{dom}{what}" in ind.index
    assert ind.loc["imd2019_score", "polarity"] == "higher_is_worse"
    assert ind.loc["imd2019_rank", "polarity"] == "higher_is_better"
    assert "Decile 1 = the most deprived" in ind.loc["imd2019_decile", "description"]
    assert "Rank 1 = most deprived" in ind.loc["imd2019_rank", "description"]
    assert ind["source"].eq("MHCLG English Indices of Deprivation 2019").all()
    vals = imd_london.tables["indicator_value"]
    assert len(vals) == 4835 * 24
    dec = vals[vals["indicator_id"] == "imd2019_decile"]["value"].value_counts().to_dict()
    assert {int(k): v for k, v in dec.items()} == IMD_LONDON_DECILES
    first = vals[(vals["area_code"] == "E01000001")].set_index("indicator_id")["value"]
    assert first["imd2019_score"] == pytest.approx(6.208)
    assert first["imd2019_rank"] == 29199 and first["imd2019_living_environment_decile"] == 3
    assert (vals["period_start"].astype(str) == "2019-01-01").all()


def test_imd_file1(imd_file1: SourceFrames, imd_london: SourceFrames) -> None:
    _check_schema(imd_file1)
    vals = imd_file1.tables["indicator_value"]
    assert vals["area_code"].nunique() == 32_844
    assert set(vals["indicator_id"]) == {"imd2019_rank", "imd2019_decile"}
    ranks = vals[vals["indicator_id"] == "imd2019_rank"]["value"]
    # the published ranks have 26 ties (equal rounded scores share a rank, competition style)
    assert ranks.min() == 1 and ranks.max() == 32_844 and ranks.nunique() == 32_818
    assert any("26 ranks are shared" in n for n in imd_file1.report.notes)
    # same ids as the London extract: identical values for London LSOAs
    lon = imd_london.tables["indicator_value"]
    lon = lon[lon["indicator_id"].isin(["imd2019_rank", "imd2019_decile"])]
    merged = lon.merge(vals, on=["area_code", "indicator_id"])
    assert len(merged) == len(lon) and (merged["value_x"] == merged["value_y"]).all()


def test_imd_london_wards(imd_wards: SourceFrames, layers: dict[Path, SourceFrames]) -> None:
    _check_schema(imd_wards)
    vals = imd_wards.tables["indicator_value"]
    assert vals["area_code"].nunique() == 633
    w18cm = set(layers[W18 / "London_Ward_CityMerged.shp"].tables["area"]["area_code"])
    assert set(vals["area_code"]) == w18cm
    extent = vals[vals["indicator_id"] == "imd2019_ward_extent"]["value"]
    assert extent.between(0, 1).all()


# -- population ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "total"),
    [("london-mid2019-pop.csv", 8_961_989), ("london-mid2020-pop.csv", 9_002_488)],
)
def test_mid_year_population_totals(name: str, total: int) -> None:
    frames = read_file(POP / name)
    _check_schema(frames)
    assert frames.report.source_kind == "population_lsoa_mid_year"
    vals = frames.tables["indicator_value"]
    year = int(name[10:14])
    assert set(vals["period_start"].astype(str)) == {f"{year}-06-30"}
    assert set(vals["period_end"].astype(str)) == {f"{year}-06-30"}
    pivot = vals.pivot(index="area_code", columns="indicator_id", values="value")
    assert len(pivot) == 4835
    assert pivot["population_all_ages"].sum() == total
    bands = [
        "population_0_15",
        "population_16_29",
        "population_30_44",
        "population_45_64",
        "population_65_plus",
    ]
    assert (pivot[bands].sum(axis=1) == pivot["population_all_ages"]).all()


def test_census2021_ts007a() -> None:
    frames = read_file(POP / "census2021-ts007a-lsoa.csv.gz")
    _check_schema(frames)
    vals = frames.tables["indicator_value"]
    pivot = vals.pivot(index="area_code", columns="indicator_id", values="value")
    assert len(pivot) == 35_672 and pivot.shape[1] == 20
    assert (
        pivot["census2021_age_10_24"]
        == pivot[["census2021_age_10_14", "census2021_age_15_19", "census2021_age_20_24"]].sum(
            axis=1
        )
    ).all()
    five_year = [
        c for c in pivot.columns if c.startswith("census2021_age_") and c != "census2021_age_10_24"
    ]
    assert len(five_year) == 18
    assert (pivot[five_year].sum(axis=1) == pivot["census2021_population_total"]).all()
    # independent reading of the file with the csv module
    with gzip.open(POP / "census2021-ts007a-lsoa.csv.gz", "rt", encoding="utf-8") as fh:
        total = sum(int(r["Age: Total"]) for r in csv.DictReader(fh))
    assert pivot["census2021_population_total"].sum() == total
    assert set(vals["period_start"].astype(str)) == {"2021-03-21"}


# -- lookups ------------------------------------------------------------------------------------


def test_lookup_lsoa21_ward25() -> None:
    frames = read_file(LOOKUP_LSOA21)
    _check_schema(frames)
    area = frames.tables["area"]
    links = frames.tables["area_link"]
    lsoa = area[area["area_type"] == "lsoa21"]
    assert len(lsoa) == 35_672
    lw = links[links["link_type"] == "lsoa21_ward25"]
    assert len(lw) == 35_672 and lw["child_code"].is_unique and lw["weight"].isna().all()
    wl = links[links["link_type"] == "ward25_lad25"]
    assert (wl["parent_code"].str[:3] == "E09").sum() > 0
    london = lw.merge(wl, left_on="parent_code", right_on="child_code")
    assert (london["parent_code_y"].str.startswith("E09")).sum() == 4_994
    assert area["geometry"].isna().all()


def test_lookup_ward23_lad23() -> None:
    frames = read_file(LOOKUP_WARD23)
    _check_schema(frames)
    links = frames.tables["area_link"]
    assert len(links) == 8_441 and set(links["link_type"]) == {"ward23_lad23"}
    area = frames.tables["area"]
    assert (area["area_type"] == "ward23").sum() == 8_441
    assert (links["parent_code"].str.startswith("E09")).sum() == 704
    assert area["area_name"].str.strip().ne("").all()


# -- detection ----------------------------------------------------------------------------------


MY_KINDS = {
    "boundary",
    "imd2019_london",
    "imd2019_file1",
    "imd2019_london_wards",
    "population_lsoa_mid_year",
    "population_census2021_ts007a",
    "lookup_lsoa21_ward25_lad25",
    "lookup_ward23_lad23",
}


def test_detection_of_real_files() -> None:
    expected = {
        IOD / "ID 2019 for London.xlsx": "imd2019_london",
        IOD / "File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx": "imd2019_file1",
        IOD / "London wards id2019 summary measures.xlsx": "imd2019_london_wards",
        POP / "london-mid2019-pop.csv": "population_lsoa_mid_year",
        POP / "census2021-ts007a-lsoa.csv.gz": "population_census2021_ts007a",
        LOOKUP_LSOA21: "lookup_lsoa21_ward25_lad25",
        LOOKUP_WARD23: "lookup_ward23_lad23",
        **{p: "boundary" for p in LAYERS},
    }
    for path, kind in expected.items():
        assert detect_adapter(path).kind == kind, path


def test_detection_leaves_crime_files_alone() -> None:
    crime = [
        *sorted((DATA / "mps_crime_borough").rglob("*.csv"))[:3],
        *sorted((DATA / "mps_crime_ward").rglob("*.csv.gz"))[:2],
        *sorted((DATA / "mps_crime_lsoa_annual_derived").rglob("*.csv"))[:2],
        *sorted((DATA / "police_uk_street").rglob("*.csv*"))[:2],
        *sorted((DATA / "police_uk_outcomes").rglob("*.csv"))[:1],
        *sorted((DATA / "police_uk_stop_and_search").rglob("*.csv"))[:1],
    ]
    assert len(crime) >= 8
    # each is detected as the crime source it is (a file that raises is a failure, not a skip)
    want = {
        "mps_crime_borough": {"mps_borough_monthly", "mps_borough_monthly_old"},
        "mps_crime_ward": {"mps_ward_monthly"},
        "mps_crime_lsoa_annual_derived": {"mps_lsoa_annual_derived"},
        "police_uk_street": {"police_uk_street"},
        "police_uk_outcomes": {"police_uk_outcomes"},
        "police_uk_stop_and_search": {"police_uk_stop_search"},
    }
    for path in crime:
        folder = path.relative_to(DATA).parts[0]
        assert detect_adapter(path).kind in want[folder], path


# -- warehouse round trip -----------------------------------------------------------------------


def test_load_each_kind_into_a_real_warehouse(tmp_path: Path) -> None:
    files = [
        GEOJSON,
        IOD / "London wards id2019 summary measures.xlsx",
        POP / "london-mid2019-pop.csv",
        LOOKUP_WARD23,
    ]
    with Warehouse(tmp_path / "w.duckdb") as wh:
        for f in files:
            res = wh.ingest(f)
            assert res.status == "loaded"
            assert wh.ingest(f).status == "unchanged"
        counts = wh.query("SELECT source_kind, rows_loaded FROM dataset ORDER BY dataset_id")
        assert counts["rows_loaded"].tolist() == [33, 633, 4835, 8441]
        lad = wh.query("SELECT area_code, geometry, area_ha FROM area WHERE area_type = 'lad'")
        assert len(lad) == 33 and lad["geometry"].notna().all()
        assert shapely.from_wkb(lad["geometry"].map(bytes).to_numpy()).tolist()[0].is_valid
        pop = wh.query(
            "SELECT sum(value) AS s FROM indicator_value WHERE indicator_id = 'population_all_ages'"
        )["s"].iloc[0]
        assert pop == 8_961_989
        nulls = wh.query("SELECT count(*) AS n FROM indicator_value WHERE isnan(value)")
        assert nulls["n"].iloc[0] == 0
        assert wh.query("SELECT count(*) AS n FROM area_link")["n"].iloc[0] == 8441
        assert wh.query("SELECT count(*) AS n FROM indicator")["n"].iloc[0] == 13 + 18


# -- bad inputs (all or nothing) ----------------------------------------------------------------


def _square(x: float, y: float, size: float = 100.0) -> Polygon:
    return Polygon([(x, y), (x + size, y), (x + size, y + size), (x, y + size)])


def _geojson(path: Path, coords: list[list[float]], props: dict[str, object]) -> Path:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Polygon", "coordinates": [coords]},
            }
        ],
    }
    path.write_text(json.dumps(doc))
    return path


BOROUGH_PROPS = {
    "NAME": "Camden",
    "GSS_CODE": "E09000007",
    "HECTARES": 2178.9,
    "NONLD_AREA": 0.0,
    "ONS_INNER": "T",
}


def test_geojson_without_crs_in_metres_is_refused(tmp_path: Path) -> None:
    f = _geojson(
        tmp_path / "boroughs.geojson",
        [[528000, 184000], [529000, 184000], [529000, 185000], [528000, 184000]],
        BOROUGH_PROPS,
    )
    with pytest.raises(DataValidationError, match="not longitudes/latitudes"):
        BoundaryAdapter().read(f)


def test_geojson_without_crs_in_lonlat_is_rfc7946(tmp_path: Path) -> None:
    f = _geojson(
        tmp_path / "boroughs.geojson",
        [[-0.15, 51.53], [-0.13, 51.53], [-0.13, 51.55], [-0.15, 51.53]],
        BOROUGH_PROPS,
    )
    frames = BoundaryAdapter().read(f)
    assert any("RFC 7946" in n for n in frames.report.notes)
    x, y = shapely.from_wkb(frames.tables["area"]["geometry"].iloc[0]).centroid.coords[0]
    assert 525_000 < x < 531_000 and 180_000 < y < 190_000


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_shapefile_without_crs_is_refused(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {**{k: [v] for k, v in BOROUGH_PROPS.items()}},
        geometry=[_square(528_000, 184_000)],
        crs=None,
    )
    gdf.to_file(tmp_path / "boroughs.shp")
    with pytest.raises(DataValidationError, match="no coordinate reference system"):
        BoundaryAdapter().read(tmp_path / "boroughs.shp")


def test_shapefile_with_unknown_layout(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"FOO": ["a"], "BAR": [1]}, geometry=[_square(528_000, 184_000)], crs=27700
    )
    gdf.to_file(tmp_path / "mystery.shp")
    with pytest.raises(SourceError, match="unrecognised format"):
        detect_adapter(tmp_path / "mystery.shp")
    with pytest.raises(DataValidationError, match="unknown boundary layout"):
        BoundaryAdapter().read(tmp_path / "mystery.shp")


def test_boundary_with_duplicated_code_is_refused(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {k: [v, v] for k, v in BOROUGH_PROPS.items()},
        geometry=[_square(528_000, 184_000), _square(529_000, 184_000)],
        crs=27700,
    )
    gdf.to_file(tmp_path / "boroughs.gpkg")
    with pytest.raises(DataValidationError, match=r"feature 2: duplicated LAD code"):
        BoundaryAdapter().read(tmp_path / "boroughs.gpkg")


def _head(src: Path, dst: Path, n: int) -> list[str]:
    lines = src.read_text(encoding="utf-8-sig").splitlines()[: n + 1]
    dst.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def test_population_non_numeric_cell_names_line_and_column(tmp_path: Path) -> None:
    dst = tmp_path / "london-mid2019-pop.csv"
    lines = _head(POP / "london-mid2019-pop.csv", dst, 10)
    cells = lines[4].split(",")
    cells[7] = "12x"  # Persons_0-15 on line 5
    lines[4] = ",".join(cells)
    dst.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert detect_adapter(dst).kind == "population_lsoa_mid_year"
    with pytest.raises(DataValidationError, match=r"line 5, column 'Persons_0-15'.*whole number"):
        MidYearPopulationAdapter().read(dst)


def test_population_bands_not_summing_is_refused(tmp_path: Path) -> None:
    dst = tmp_path / "london-mid2019-pop.csv"
    lines = _head(POP / "london-mid2019-pop.csv", dst, 10)
    cells = lines[3].split(",")
    cells[8] = str(int(cells[8]) + 1)  # Persons_16-29 on line 4
    lines[3] = ",".join(cells)
    dst.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"line 4, column 'Persons_All-Ages'.*sum to"):
        MidYearPopulationAdapter().read(dst)


def test_population_year_must_be_in_file_name(tmp_path: Path) -> None:
    dst = tmp_path / "london-pop.csv"
    _head(POP / "london-mid2019-pop.csv", dst, 3)
    with pytest.raises(DataValidationError, match="mid-year from the file name"):
        MidYearPopulationAdapter().read(dst)


def test_lookup_duplicated_code_is_refused(tmp_path: Path) -> None:
    raw = LOOKUP_WARD23.read_bytes()  # keep the BOM, CRLF and " WardName" header
    lines = raw.split(b"\r\n")
    dst = tmp_path / "wards.csv"
    dst.write_bytes(b"\r\n".join([*lines[:6], lines[3], *lines[6:10]]) + b"\r\n")
    assert detect_adapter(dst).kind == "lookup_ward23_lad23"
    with pytest.raises(DataValidationError, match=r"line 7, column 'WD23CD'.*duplicated WARD"):
        Ward23Lad23LookupAdapter().read(dst)


def test_lookup_missing_column_is_refused(tmp_path: Path) -> None:
    dst = tmp_path / "wards.csv"
    lines = LOOKUP_WARD23.read_text(encoding="utf-8-sig").splitlines()[:5]
    dst.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n")
    with pytest.raises(DataValidationError, match="column 'ObjectId'"):
        Ward23Lad23LookupAdapter().read(dst)


def test_imd_workbook_with_text_cell_is_refused(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "IMD2019"
    ws.append(
        [
            "LSOA code (2011)",
            "LSOA name (2011)",
            "Local Authority District code (2019)",
            "Local Authority District name (2019)",
            "Index of Multiple Deprivation (IMD) Rank",
            "Index of Multiple Deprivation (IMD) Decile",
        ]
    )
    ws.append(["E01000001", "City of London 001A", "E09000001", "City of London", 29199, 9])
    ws.append(["E01000002", "City of London 001B", "E09000001", "City of London", "n/a", 10])
    f = tmp_path / "File_1.xlsx"
    wb.save(f)
    assert detect_adapter(f).kind == "imd2019_file1"
    with pytest.raises(
        DataValidationError, match=r"line 3, column 'Index of Multiple Deprivation \(IMD\) Rank'"
    ):
        ImdFile1Adapter().read(f)

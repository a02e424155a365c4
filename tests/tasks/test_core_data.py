"""Tasks and named queries on the core data set (issue #20), on a warehouse of the real files,
each figure checked against a computation straight from the raw files."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import vrkit
from vrkit.catalog.indicators import DERIVED, builtin_indicators
from vrkit.catalog.measures import measures
from vrkit.errors import InputError
from vrkit.store import core_data as q
from vrkit.store.quality import dataset_quality
from vrkit.store.warehouse import Warehouse
from vrkit.tasks import core_data as tasks
from vrkit.tasks.ingestion import derive_lsoa_ward_links
from vrkit.tasks.trends import trend as _trend

REPO_ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    d = vrkit.get_settings().data_dir
    return d if d.is_absolute() else (REPO_ROOT / d).resolve()


DATA = _data_dir()
FILES = (
    "las_ambulance/assaults-women.csv",
    "las_ambulance/injuries-knife.csv",
    "mopac_pas/PAS_Dashboard_Borough.csv",
    "dfe_exclusions/exclusions_by_geographic_level.zip",
    "population/la_pop_estimates.csv",
    "population/london-mid2019-pop.csv",
    "mps_knife_crime/Borough Monthly 2018-20.xlsx",
    "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv",
    "boundaries/statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp",
    "boundaries/London-wards-2018/London-wards-2018_ESRI/London_Ward.shp",
)


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    missing = [f for f in FILES if not (DATA / f).exists()]
    if missing:
        pytest.skip(f"shared data not found: {missing[0]}")
    w = Warehouse(tmp_path_factory.mktemp("core") / "w.duckdb")
    results = w.ingest_many([DATA / f for f in FILES])
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    assert derive_lsoa_ward_links(w) > 0
    return w


@pytest.fixture(scope="module")
def la_pop() -> dict[tuple[str, int], list[int]]:
    """(code, year) → single-year counts (ages 0..89, 90+) read straight from the ONS csv."""
    with (DATA / "population/la_pop_estimates.csv").open(encoding="utf-8-sig") as fh:
        return {
            (r[1], int(r[2])): [int(v) if v != "-" else -1 for v in r[3:]]
            for r in list(csv.reader(fh))[1:]
        }


def _band(pop: dict[tuple[str, int], list[int]], code: str, year: int, lo: int, hi: int) -> int:
    return sum(pop[(code, year)][lo : hi + 1])


# -- knife injury victims under 25 per 100,000 aged 10-24 ---------------------------------------


def test_knife_victim_rates_equal_the_raw_files(
    wh: Warehouse, la_pop: dict[tuple[str, int], list[int]]
) -> None:
    res = tasks.knife_victim_rates(wh)
    t = res.table.set_index(["area_code", "year"])
    # Lambeth 2020: 66 victims (knife workbook) / residents aged 10-24 (ONS) × 100,000
    lam = _band(la_pop, "E09000022", 2020, 10, 24)
    assert lam == 53_067
    assert t.loc[("E09000022", 2020), "count"] == 66
    assert t.loc[("E09000022", 2020), "rate"] == pytest.approx(66 / lam * 100_000)
    assert t.loc[("E09000022", 2020), "area_name"] == "Lambeth"
    # London = the MPS area: all victims over the 32 boroughs' residents (City excluded)
    boroughs = [c for c, y in la_pop if c.startswith("E09") and c != "E09000001" and y == 2019]
    assert len(boroughs) == 32
    lon = sum(_band(la_pop, c, 2019, 10, 24) for c in boroughs)
    assert t.loc[("E12000007", 2019), "count"] == 1659
    assert t.loc[("E12000007", 2019), "rate"] == pytest.approx(1659 / lon * 100_000)
    assert not {"E09000001", "MPS-HEATHROW"} & set(res.table["area_code"])
    assert sorted(res.table["year"].unique()) == [2018, 2019, 2020]
    assert (res.table["rate_lower"] < res.table["rate"]).all()
    assert "10-24" in res.method
    two = tasks.knife_victim_rates(wh, years=[2019])
    assert set(two.table["year"]) == {2019}


def test_knife_measures_through_the_trend_path(wh: Warehouse) -> None:
    t = _trend(wh, "knife_crime").table.set_index("period")
    assert round(t.loc["2020", "pct_change"]) == -25
    v = q.knife_counts(wh, "knife_injury_victims_u25")
    assert int(v["count"].sum()) == 1826 + 1659 + 1200
    assert set(q.KNIFE_MEASURES) <= set(measures())


# -- LAS -------------------------------------------------------------------------------------------


def test_las_rates_equal_the_raw_files(
    wh: Warehouse, la_pop: dict[tuple[str, int], list[int]]
) -> None:
    with (DATA / "las_ambulance/assaults-women.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    total = next(r for r in rows if len(r) > 1 and r[1] == "Total")[2:]
    in_2011 = [k for k, h in enumerate(header[3:]) if h.endswith("2011")]
    count_2011 = sum(int(total[k]) for k in in_2011)
    pop_2011 = sum(
        sum(v for v in la_pop[(c, 2011)]) for c, y in la_pop if c.startswith("E09") and y == 2011
    )
    res = tasks.las_rates(wh)
    t = res.table.set_index(["area_code", "year"])
    assert sorted(res.table["year"].unique()) == [2010, 2011, 2012]  # complete years only
    assert t.loc[("E12000007", 2011), "count"] == count_2011
    assert t.loc[("E12000007", 2011), "rate"] == pytest.approx(count_2011 / pop_2011 * 100_000)
    assert any("2009, 2013 are not complete" in w for w in res.warnings)


def test_las_monthly_query_and_police_linkage(wh: Warehouse) -> None:
    las = q.las_monthly(wh, "las_assaults_women")
    assert len(las) == 33 * 49 and int(las["count"].sum()) == 49_250
    with pytest.raises(ValueError, match="not a LAS indicator"):
        q.las_monthly(wh, "ambulance_assault_callouts")
    link = tasks.las_police_linkage(wh)
    frame = link.to_frame()
    assert len(frame) == 39  # Apr 2010 – Jun 2013: the months both sources cover
    assert frame["month"].min() == pd.Timestamp("2010-04-01")
    # independent: the raw MPS file's violence with injury, Apr 2010 - Jun 2013, all areas
    path = DATA / FILES[7]
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    months = [f"{y}{m:02d}" for y in range(2010, 2014) for m in range(1, 13)]
    months = [m for m in months if "201004" <= m <= "201306"]
    vwi = sum(
        int(r[m]) for r in rows if r["MinorText"].upper() == "VIOLENCE WITH INJURY" for m in months
    )
    assert link.result.totals["police"] == vwi
    city = las[(las["area_code"] == "E09000001")]
    city = city[(pd.to_datetime(city["month"]) >= "2010-04-01")]
    in_window = las[pd.to_datetime(las["month"]) >= "2010-04-01"]
    assert link.result.totals["ambulance"] == int(in_window["count"].sum() - city["count"].sum())
    assert any("count different things" in n for n in link.notes)
    assert link.synthetic is False
    lam = tasks.las_police_linkage(wh, area="Lambeth", indicator="las_knife_injuries")
    assert lam.area_code == "E09000022" and len(lam.to_frame()) == 39


# -- young people's denominators -----------------------------------------------------------------


def test_young_people_borough_lsoa_and_ward(
    wh: Warehouse, la_pop: dict[tuple[str, int], list[int]]
) -> None:
    b = tasks.young_people(wh, year=2019, geography="borough").values.set_index("area_code")
    assert b.loc["E09000022", "estimate"] == _band(la_pop, "E09000022", 2019, 10, 24)
    lsoa = tasks.young_people(wh, year=2019, geography="lsoa")
    assert lsoa.warnings == () and lsoa.values["estimate"].notna().all()
    assert len(lsoa.values) == 4835
    per_borough = lsoa.values.groupby("parent_code")["estimate"].sum()
    # the LSOA broad bands add up to the ONS borough totals, so the estimates do too
    for code, est in per_borough.items():
        assert est == pytest.approx(_band(la_pop, str(code), 2019, 10, 24), rel=1e-9)
    ward = tasks.young_people(wh, year=2019, geography="ward")
    assert ward.values["estimate"].sum() == pytest.approx(lsoa.values["estimate"].sum())
    assert "best-fit" in ward.method
    with pytest.raises(InputError, match="mid-2015"):
        tasks.young_people(wh, year=2015, geography="lsoa")


# -- PAS, exclusions, population queries --------------------------------------------------------------


def test_pas_and_exclusion_queries(wh: Warehouse) -> None:
    pas = q.pas_measures(wh, area_codes=["E09000002"], measures=["pas_good_job_local"])
    first = pas.iloc[0]
    assert (first["value"], first["london"]) == (0.56, 0.67)
    assert pd.Timestamp(first["date"]) == pd.Timestamp("2014-12-31")
    ex = q.exclusions(wh, area_codes=["E09000022"]).set_index("year")
    assert ex.loc[2016, "perm_excl_rate"] == 0.09 and ex.loc[2016, "academic_year"] == "2016/17"
    sec = q.exclusions(wh, school_type="_secondary", area_codes=["E12000007"], years=[2016])
    assert len(sec) == 1 and sec["perm_excl"].iloc[0] == 980
    band = q.population_band(wh, 85, 90, area_codes=["E09000022"], years=[1997, 2001])
    got = band.set_index("year")["population"]
    assert pd.isna(got[1997]) and got[2001] > 0  # ages 85+ not given in 1997: missing


def test_quality_shows_each_new_source_coverage(wh: Warehouse) -> None:
    qs = {x.source_kind: x for x in dataset_quality(wh)}
    assert qs["las_ambulance_borough_monthly"].months_present == 49
    assert qs["las_ambulance_borough_monthly"].months_missing == []
    cov = {k: [n for n in x.notes if n.startswith("coverage:")] for k, x in qs.items()}
    assert any(
        "33 areas × 49 months (2009-06 … 2013-06), no gaps" in n
        for n in cov["las_ambulance_borough_monthly"]
    )
    assert any(
        "× 37 quarters (2014-12-31 … 2023-12-31), no gaps" in n for n in cov["mopac_pas_borough"]
    )
    assert any("× 11 years (2006/07 … 2016/17), no gaps" in n for n in cov["dfe_exclusions"])
    assert any("× 24 years (1997 … 2020), no gaps" in n for n in cov["population_lad_single_year"])
    assert qs["mps_knife_borough_monthly"].months_present == 36


def test_catalogue_has_the_new_indicators() -> None:
    cat = builtin_indicators().set_index("indicator_id")
    for iid in ("pas_trust_mps", "dfe_perm_excl_rate", "las_knife_injuries", "pop_age_10_24"):
        assert iid in cat.index
    assert cat.loc["dfe_perm_excl_rate", "unit"] == "% of pupils"
    assert cat.loc["pas_trust_mps", "polarity"] == "higher_is_better"
    assert "knife_injury_victims_u25_rate" not in cat.index  # computed by a task, not stored
    assert not any("knife" in d for d in DERIVED)

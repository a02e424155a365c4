"""Named queries return what a direct computation on the stored rows gives."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from vrkit import Warehouse, get_settings
from vrkit.store import queries

VSO = "Violence and sexual offences"


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    data = get_settings().data_dir
    assert data.is_dir(), f"shared data not found at {data}"
    w = Warehouse(tmp_path_factory.mktemp("q") / "w.duckdb")
    lsoa = data / "boundaries/statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp"
    city = sorted((data / "police_uk_street/city-of-london").rglob("*.csv"))
    results = w.ingest_many([lsoa, *city])
    assert not [r for r in results if isinstance(r, Exception)]
    return w


def _direct(wh: Warehouse, codes: list[str], start: date, end: date) -> pd.Series:
    rows = wh.query("SELECT lsoa_code, month, crime_type FROM crime_record")
    sel = rows[rows["lsoa_code"].isin(codes)]
    months = pd.to_datetime(sel["month"])
    sel = sel[(months >= pd.Timestamp(start)) & (months <= pd.Timestamp(end))]
    return sel.assign(v=sel["crime_type"] == VSO).groupby("month")["v"].sum()


def test_lsoa_series_equals_direct_count(wh: Warehouse) -> None:
    got = queries.record_monthly(wh, VSO, lsoa_code="E01000005")
    want = _direct(wh, ["E01000005"], date(1900, 1, 1), date(2999, 12, 1))
    assert len(got) == 72  # every month 2016-01 … 2021-12 has records in this LSOA
    assert got["count"].tolist() == want.tolist()
    assert got["count"].sum() > 0


def test_borough_series_sums_its_lsoas_and_respects_the_period(wh: Warehouse) -> None:
    city_lsoas = wh.query(
        "SELECT child_code FROM area_link WHERE parent_code = 'E09000001' "
        "AND link_type = 'lsoa11_lad'"
    )["child_code"].tolist()
    assert len(city_lsoas) == 6
    got = queries.record_monthly(
        wh, VSO, lad_code="E09000001", start=date(2019, 1, 1), end=date(2019, 12, 1)
    )
    want = _direct(wh, city_lsoas, date(2019, 1, 1), date(2019, 12, 1))
    assert got["count"].tolist() == want.tolist()
    assert len(got) == 12


def test_unknown_borough_gives_an_empty_series(wh: Warehouse) -> None:
    assert queries.record_monthly(wh, VSO, lad_code="E09999999").empty


def test_exactly_one_area(wh: Warehouse) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        queries.record_monthly(wh, VSO)


def test_rows_are_stored_sorted_by_lsoa_within_a_load(wh: Warehouse) -> None:
    (first,) = wh.con.execute("SELECT min(dataset_id) FROM crime_record").fetchone() or (None,)
    df = wh.query(
        "SELECT lsoa_code FROM crime_record WHERE lsoa_code IS NOT NULL AND dataset_id = ? "
        "ORDER BY rowid",
        [first],
    )
    assert len(df) > 100
    assert df["lsoa_code"].is_monotonic_increasing

"""Ward profiles and user indicator sources: real file, bad inputs, atomic loading."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from vrkit.catalog.indicators import ward_profile_columns
from vrkit.config import get_settings
from vrkit.errors import DataValidationError, InputError
from vrkit.sources.indicators import WardProfilesAdapter, parse_period, read_user_indicator
from vrkit.sources.registry import detect_adapter
from vrkit.store.warehouse import Warehouse
from vrkit.tasks.ranking import add_indicator as ingest_user_indicator

WARD_PROFILES = Path(get_settings().data_dir) / "other_london" / "ward-profiles-excel-version.csv"


@pytest.mark.skipif(not WARD_PROFILES.exists(), reason="shared data not available")
def test_ward_profiles_real_file():
    assert detect_adapter(WARD_PROFILES).kind == "ward_profiles"
    frames = WardProfilesAdapter().read(WARD_PROFILES)
    vals = frames.tables["indicator_value"]
    assert frames.report.rows_read == 660 and frames.report.rows_loaded == 659
    assert len(frames.tables["indicator"]) == len(ward_profile_columns()) == 64
    assert vals["area_code"].str.startswith("E05").sum() // 64 >= 600
    # n/a is missing, not zero: 17 reception-obesity cells are absent
    obese = vals[vals["indicator_id"] == "wp_pct_obese_reception_2011_14"]
    assert len(obese) == 659 - 17
    city = vals[(vals["area_code"] == "E09000001") & (vals["indicator_id"] == "wp_population_2015")]
    assert city["value"].tolist() == [8100.0]
    london = vals[
        (vals["area_code"] == "E12000007") & (vals["indicator_id"] == "wp_vap_rate_2014_15")
    ]
    assert len(london) == 1
    assert any("repeats line 2" in n for n in frames.report.notes)


def _wp(tmp_path: Path, edit=None) -> Path:
    header = ["Ward name", "Old code", "New code"] + [c.header for c in ward_profile_columns()]
    rows = [
        ["Abbey", "00ABFX", "E05000026"] + ["1.5"] * 64,
        ["Barking", "00AB", "E09000002"] + ["2"] * 64,
    ]
    if edit:
        edit(rows)
    p = tmp_path / "ward-profiles.csv"
    frame = pd.DataFrame(rows, columns=header)
    frame.to_csv(p, index=False, encoding="cp1252")
    return p


def test_ward_profiles_bad_cells(tmp_path):
    def bad_number(rows):
        rows[1][10] = "lots"

    with pytest.raises(
        DataValidationError, match=r"line 3, column 'Mean Age - 2013'.*not a number"
    ):
        WardProfilesAdapter().read(_wp(tmp_path, bad_number))

    def bad_code(rows):
        rows[0][2] = "X123"

    with pytest.raises(DataValidationError, match="line 2, column 'New code'"):
        WardProfilesAdapter().read(_wp(tmp_path, bad_code))

    def dup(rows):
        rows.append(list(rows[0]))
        rows[-1][5] = "9"

    with pytest.raises(DataValidationError, match="listed twice with different values"):
        WardProfilesAdapter().read(_wp(tmp_path, dup))


@pytest.fixture
def wh(tmp_path):
    w = Warehouse(tmp_path / "w.duckdb")
    w.con.execute(
        "INSERT INTO area (area_code, area_name, area_type) VALUES "
        "('E05000026', 'Abbey', 'ward14'), ('E05000027', 'Alibon', 'ward14')"
    )
    yield w
    w.close()


def _csv(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "mine.csv"
    p.write_text(text, encoding="utf-8")
    return p


KW = {
    "indicator_id": "youth_places",
    "name": "Youth club places",
    "polarity": "higher_is_better",
    "unit": "per 1,000 population",
}


def test_user_indicator_loads_atomically(tmp_path, wh):
    p = _csv(tmp_path, "area_code,value,period\nE05000026,1.5,2019/20\nE05000027,2,2019/20\n")
    res = ingest_user_indicator(wh, p, **KW)
    assert res.status == "loaded"
    got = wh.query("SELECT area_code, value, period_start FROM indicator_value ORDER BY 1")
    assert got["value"].tolist() == [1.5, 2.0]
    assert got["period_start"].iloc[0] == pd.Timestamp(2019, 4, 1)
    assert ingest_user_indicator(wh, p, **KW).status == "unchanged"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "area_code,value\nE05000026,1\nE05099999,2\n",
            r"line 3, column 'area_code': unknown area",
        ),
        ("area_code,value\nE05000026,1\nE05000026,2\n", r"line 3, column 'area_code': duplicate"),
        (
            "area_code,value\nE05000026,1\nE05000027,n/a\n",
            r"line 3, column 'value': value is not a number",
        ),
        ("area_code,value\nE05000026,1\nBOGUS,2\n", r"line 3, column 'area_code': not an ONS GSS"),
        ("area_code,val\nE05000026,1\n", "column 'value'"),
    ],
)
def test_user_indicator_bad_files_store_nothing(tmp_path, wh, text, match):
    p = _csv(tmp_path, text)
    with pytest.raises(DataValidationError, match=match):
        ingest_user_indicator(wh, p, period=(date(2020, 1, 1), date(2020, 12, 31)), **KW)
    assert wh.query("SELECT count(*) AS n FROM indicator_value")["n"].iloc[0] == 0
    assert wh.query("SELECT count(*) AS n FROM dataset")["n"].iloc[0] == 0


def test_user_indicator_xlsx_and_arguments(tmp_path):
    p = tmp_path / "mine.xlsx"
    pd.DataFrame({"area_code": ["E01000001", "E01000002"], "value": [3, 4]}).to_excel(
        p, index=False
    )
    f = read_user_indicator(p, period=(date(2021, 1, 1), date(2021, 12, 31)), **KW)
    assert f.tables["indicator_value"]["value"].tolist() == [3.0, 4.0]
    with pytest.raises(InputError, match="no 'period' column"):
        read_user_indicator(p, **KW)
    with pytest.raises(InputError, match="indicator id 'Bad Id'"):
        read_user_indicator(p, **{**KW, "indicator_id": "Bad Id"})
    with pytest.raises(InputError, match="polarity must be one of"):
        read_user_indicator(p, **{**KW, "polarity": "up"})
    assert parse_period("2019") == (date(2019, 1, 1), date(2019, 12, 31))
    with pytest.raises(ValueError, match="period must be"):
        parse_period("2019/21")

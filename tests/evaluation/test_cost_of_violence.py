"""Cost of violence: hand computation on a small frame; on the REAL MPS borough file, the counts
used equal direct sums of the source file and London 2019 is explained against the VRU's £3bn."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from vrkit import Warehouse
from vrkit.analysis.cost_of_violence import cost_of_violence, explain_against_published
from vrkit.catalog.unit_costs import gdp_deflator, offence_map, unit_costs
from vrkit.errors import InputError
from vrkit.tasks.costs import cost_of_violence as task


def _counts(**kw: int) -> pd.DataFrame:
    rows = [
        ("Violence Against the Person", "Homicide", kw.get("hom", 2)),
        ("VIOLENCE AGAINST THE PERSON", "VIOLENCE WITH INJURY", kw.get("vwi", 100)),
        ("Violence Against the Person", "Violence without Injury", kw.get("vwoi", 300)),
        ("Burglary", "Burglary - Residential", 999),  # not violence: ignored
    ]
    return pd.DataFrame(rows, columns=["offence_major", "offence_minor", "offences"])


def test_hand_computed_cost_and_uncosted_stated() -> None:
    r = cost_of_violence(
        _counts(),
        unit_costs(),
        offence_map(),
        taxonomy="mps",
        deflator_factor=1.1,
        price_year="2019",
    )
    want = 1.1 * (2 * 3_200_000 + 100 * 14_050)
    assert r.total_cost == pytest.approx(want)
    byo = r.by_offence().set_index("offence_type")
    assert byo.loc["violence_with_injury", "offences"] == 100  # case-insensitive match
    assert math.isnan(byo.loc["violence_without_injury", "cost"])  # not zero
    assert r.uncosted["offences"].tolist() == [300]
    assert any("300 offences counted but NOT costed" in w for w in r.warnings)
    assert "Burglary" not in set(r.counts_used["offence_major"])


def test_user_unit_costs_with_category_breakdown(tmp_path) -> None:  # type: ignore[no-untyped-def]
    uc = unit_costs().drop(columns="origin")
    extra = pd.DataFrame(
        [
            ["violence_without_injury", "Violence without injury", c, v, "2015/16", "test", "", ""]
            for c, v in (("anticipation", 10.0), ("consequence", 100.0), ("response", 1000.0))
        ],
        columns=uc.columns,
    )
    p = tmp_path / "uc.csv"
    pd.concat([uc, extra]).to_csv(p, index=False)
    r = cost_of_violence(
        _counts(),
        unit_costs(p),
        offence_map(),
        taxonomy="mps",
        deflator_factor=1.0,
        price_year="2015/16",
    )
    t = r.table[r.table["offence_type"] == "violence_without_injury"].set_index("cost_category")
    assert t["cost"].to_dict() == {
        "anticipation": 3000.0,
        "consequence": 30000.0,
        "response": 300000.0,
    }
    assert r.uncosted.empty


def test_police_uk_merged_category_is_not_costable() -> None:
    c = pd.DataFrame(
        [("Violence and sexual offences", "", 50), ("Robbery", "", 5)],
        columns=["offence_major", "offence_minor", "offences"],
    )
    r = cost_of_violence(
        c,
        unit_costs(),
        offence_map(),
        taxonomy="police_uk",
        deflator_factor=1.0,
        price_year="2015/16",
    )
    assert r.total_cost == pytest.approx(5 * 11_320)
    assert "not costable" in r.uncosted["reason"].iloc[0]


def test_bad_counts_refused() -> None:
    with pytest.raises(InputError, match="≥ 0"):
        cost_of_violence(
            _counts(vwi=-1),
            unit_costs(),
            offence_map(),
            taxonomy="mps",
            deflator_factor=1.0,
            price_year="2019",
        )
    with pytest.raises(InputError, match="deflator"):
        cost_of_violence(
            _counts(),
            unit_costs(),
            offence_map(),
            taxonomy="mps",
            deflator_factor=0,
            price_year="2019",
        )


def _direct(borough_file: pd.DataFrame, minor: str, year: int, borough: str | None = None) -> int:
    df = borough_file
    if borough:
        df = df[df["BoroughName"].str.upper() == borough.upper()]
    cols = [c for c in df.columns if c.startswith(str(year))]
    return int(df.loc[df["MinorText"].str.upper() == minor.upper(), cols].to_numpy().sum())


def test_london_2019_on_real_data(borough_wh: Warehouse, borough_file: pd.DataFrame) -> None:
    r = task(borough_wh, 2019, "London")
    used = r.by_offence().set_index("offence_type")["offences"]
    assert (
        used["violence_with_injury"]
        == _direct(borough_file, "Violence with Injury", 2019)
        == 77_500
    )
    assert used["homicide"] == _direct(borough_file, "Homicide", 2019) == 153
    assert used["violence_without_injury"] == _direct(borough_file, "Violence without Injury", 2019)
    f, _ = gdp_deflator().factor("2015/16", 2019)
    uc = unit_costs().set_index(["offence_type", "cost_category"])["unit_cost_gbp"]
    want = sum(
        used[t] * uc[(t, "total")] * f
        for t in ("homicide", "violence_with_injury", "robbery", "rape", "other_sexual_offences")
    )
    assert r.total_cost == pytest.approx(want)
    assert 2.4e9 < r.total_cost < 2.8e9
    text = r.params["explanation"]
    assert "£3.00bn" in text and "Violence without injury" in text and "NOT" not in text
    assert "unit cost of about £" in text  # what the largest uncosted type would need
    assert r.params["source_kind"] == "mps_borough_monthly" and r.params["dataset_ids"]


def test_borough_and_ward_and_price_year(borough_wh: Warehouse, borough_file: pd.DataFrame) -> None:
    lam = task(borough_wh, 2019, "Lambeth", "2015/16")
    vwi = lam.by_offence().set_index("offence_type").loc["violence_with_injury"]
    assert vwi["offences"] == _direct(borough_file, "Violence with Injury", 2019, "Lambeth")
    assert vwi["cost"] == pytest.approx(
        vwi["offences"] * 14_050 * gdp_deflator().factor("2015/16", "2015/16")[0]
    )
    ward = task(borough_wh, 2020, "E05000026")  # Abbey (Barking and Dagenham), ward monthly file
    assert ward.params["level"] == "ward" and ward.total_cost > 0


def test_incomplete_year_and_unknown_area_refused(borough_wh: Warehouse) -> None:
    with pytest.raises(InputError, match="covers 9 of the 12 months of 2023"):
        task(borough_wh, 2023, "London")
    with pytest.raises(InputError, match="unknown area"):
        task(borough_wh, 2019, "Atlantis")


def test_explanation_with_one_uncosted_type() -> None:
    r = cost_of_violence(
        _counts(hom=0),
        unit_costs(),
        offence_map(),
        taxonomy="mps",
        deflator_factor=1.0,
        price_year="2019",
    )
    text = explain_against_published(r, 2_000_000.0, "A published figure")
    implied = (2_000_000 - 100 * 14_050) / 300
    assert f"£{implied:,.0f} per violence without injury offence" in text

"""Value for money: the worked example reproduces the published headline figures, every measure
matches a hand computation, bad inputs are refused naming the key, XLSX text stays text."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook

from vrkit.analysis.vfm import BenefitLine, CostLine, VfmInputs, appraise
from vrkit.errors import DataValidationError, InputError
from vrkit.tasks.vfm import example_path, value_for_money, write_vfm_xlsx
from vrkit.tasks.vfm_inputs import read_vfm_inputs


def test_worked_example_reproduces_212_percent_and_515836() -> None:
    r = value_for_money("stepping-stones-illustrative")
    assert round(r.summary["net_budget_impact"]) == 515_836
    assert round(100 * r.summary["roi"]) == 212
    assert r.inputs.label == "ILLUSTRATIVE"
    assert any("ILLUSTRATIVE" in w for w in r.warnings)
    d = r.params["derivation"]
    assert "= £515,836" in d and "= 212 %" in d
    assert d.startswith("[ILLUSTRATIVE]")


def test_example_file_says_it_is_illustrative() -> None:
    text = example_path().read_text()
    assert "ILLUSTRATIVE" in text and "CALIBRATED" in text


def _simple() -> VfmInputs:
    return VfmInputs(
        programme_id="t",
        name="t",
        price_base="2020/21",
        costs=(CostLine("a", 0, 1000.0), CostLine("b", 1, 500.0)),
        benefits=(
            BenefitLine(
                "f",
                "fiscal",
                10,
                100.0,
                start_year=0,
                duration_years=3,
                decay=0.5,
                deadweight=0.2,
                displacement=0.1,
                attribution=0.5,
                confidence_grade=2,
            ),
            BenefitLine("s", "social", 1, 1000.0, start_year=2, duration_years=1),
        ),
        optimism_bias={1: 0.0, 2: 0.1},
    )


def test_measures_equal_a_hand_computation() -> None:
    r = appraise(_simple())
    df = [1, 1 / 1.035, 1 / 1.035**2]
    costs = 1000 + 500 * df[1]
    adj = 0.8 * 0.9 * 0.5 * 0.9
    fiscal = sum(10 * 100 * 0.5**t * adj * df[t] for t in range(3))
    social = 1000 * df[2]
    s = r.summary
    assert s["pv_costs"] == pytest.approx(costs)
    assert s["pv_fiscal"] == pytest.approx(fiscal)
    assert s["pv_social"] == pytest.approx(social)
    assert s["net_budget_impact"] == pytest.approx(fiscal - costs)
    assert s["bcr"] == pytest.approx((fiscal + social) / costs)
    assert s["roi"] == pytest.approx((fiscal + social - costs) / costs)
    assert s["payback_years"] is None  # fiscal never repays the costs here


def test_payback_interpolates_within_the_year() -> None:
    inp = VfmInputs(
        "p",
        "p",
        "2020",
        costs=(CostLine("c", 0, 100.0),),
        benefits=(BenefitLine("f", "fiscal", 1, 40.0, duration_years=5),),
        optimism_bias={1: 0.0},
        discount_rate=0.0,
        horizon_years=5,
    )
    # cumulative fiscal 40, 80, 120 against costs 100: reached in year index 2 at 20/40
    assert appraise(inp).summary["payback_years"] == pytest.approx(2.5)


def test_sensitivity_moves_the_right_way() -> None:
    r = value_for_money("stepping-stones-illustrative")
    s = r.sensitivity.set_index("scenario")
    central = s.loc["Central case", "roi_pct"]
    assert s.loc["Costs +20 %", "roi_pct"] < central
    assert s.loc["Deadweight +10 points", "roi_pct"] < central
    assert s.loc["No optimism bias", "roi_pct"] > central
    assert (
        s.loc["Discount rate 1.5 %", "net_budget_impact"]
        > s.loc["Discount rate 5 %", "net_budget_impact"]
    )
    sv = r.sensitivity.attrs["switching_value"]
    assert sv == pytest.approx(r.summary["net_present_value"] / r.summary["pv_benefits"])


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda i: replace(i, discount_rate=1.5), "discount rate"),
        (lambda i: replace(i, costs=()), "at least one cost"),
        (lambda i: replace(i, benefits=(replace(i.benefits[0], deadweight=1.2),)), "deadweight"),
        (
            lambda i: replace(i, benefits=(replace(i.benefits[0], value_type="moral"),)),
            "value type",
        ),
        (lambda i: replace(i, benefits=(replace(i.benefits[0], confidence_grade=9),)), "grade 9"),
        (lambda i: replace(i, costs=(CostLine("late", 30, 1.0),)), "outside the appraisal"),
    ],
)
def test_bad_inputs_are_refused(edit, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=match):
        appraise(edit(_simple()))


def test_input_file_errors_name_the_key(tmp_path: Path) -> None:
    text = example_path().read_text()
    p = tmp_path / "x.toml"
    p.write_text(text.replace("deadweight = 0.3", "deadwait = 0.3", 1))
    with pytest.raises(DataValidationError, match="unknown key") as exc:
        read_vfm_inputs(p)
    assert exc.value.column == "benefit[0].deadwait"
    p.write_text(text.replace("attribution = 0.8", "attribution = 1.8", 1))
    with pytest.raises(DataValidationError, match="attribution must be a fraction"):
        read_vfm_inputs(p)
    p.write_text(text.replace('price_base = "2017/18"', "", 1))
    with pytest.raises(DataValidationError, match="required text") as exc:
        read_vfm_inputs(p)
    assert exc.value.column == "programme.price_base"
    p.write_text("[programme\n")
    with pytest.raises(DataValidationError, match="not valid TOML"):
        read_vfm_inputs(p)


def test_xlsx_holds_every_sheet_and_text_is_never_a_formula(tmp_path: Path) -> None:
    inp = read_vfm_inputs(example_path())
    inp = replace(inp, costs=(replace(inp.costs[0], name='=HYPERLINK("x")'), *inp.costs[1:]))
    r = value_for_money(inp)
    out = write_vfm_xlsx(r, tmp_path / "vfm.xlsx")
    wb = load_workbook(out)
    assert {"summary", "costs", "benefits", "flows", "by_year", "sensitivity", "derivation"} <= set(
        wb.sheetnames
    )
    cell = wb["costs"]["A2"]
    assert cell.value == '=HYPERLINK("x")' and cell.data_type == "s"
    values = [c.value for c in wb["summary"]["B"]]
    assert "ILLUSTRATIVE" in values

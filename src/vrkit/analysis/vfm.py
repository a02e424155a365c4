"""Value for money of a programme: cost–benefit analysis in UK public-sector conventions.

Conventions (each is a parameter, stated in the result):

- **HM Treasury Green Book** (2022): real prices in one price base year; discounting at the
  social time preference rate, 3.5 % a year for the first 30 years, with year 0 (the first year
  of the appraisal) undiscounted, ``DF_t = 1 / (1 + r)^t``; optimism bias as an uplift on costs.
- **GMCA / New Economy unit-cost approach** (Cost Benefit Analysis guidance and Unit Cost
  Database): each outcome is valued with a unit cost and classed as **fiscal** (savings to the
  public purse, by agency), **economic** (earnings, productivity) or **social** (wellbeing,
  health), then reduced for **deadweight** (what would have happened anyway), **displacement**
  (benefit moved elsewhere rather than created), **attribution** (share due to this programme
  rather than others) and an **optimism-bias correction by the confidence grade** of the
  evidence for the outcome::

      net_t = beneficiaries × unit value × (1 − decay)^(t − start)
              × (1 − deadweight) × (1 − displacement) × attribution × (1 − OB[grade])

Measures (``PV`` = present value over the appraisal period):

- net present budget impact = PV fiscal benefits − PV costs (what the public purse gains);
- net present (public) value = PV all benefits − PV costs;
- benefit–cost ratio (BCR) = PV all benefits / PV costs; fiscal BCR = PV fiscal / PV costs;
- return on investment (ROI) = (PV all benefits − PV costs) / PV costs, and fiscal ROI the same
  with fiscal benefits only (a ROI of 212 % is a BCR of 3.12);
- payback period: the first (fractional, by linear interpolation within the year) point at which
  cumulative discounted fiscal benefits reach cumulative discounted costs; ``None`` if never
  within the period.

Sensitivity: each assumption is moved on its own (discount rate 1.5 % / 5 %; deadweight ±10
points; attribution ×0.8 / ×1.2 capped at 1; optimism bias off / doubled; costs +20 %; benefit
persistence halved) and the switching value (the fall in all benefits that makes the net
present value zero) is reported.

All functions are pure; inputs are never mutated.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from vrkit.errors import InputError

REFERENCE = (
    "HM Treasury (2022) The Green Book: central government guidance on appraisal and evaluation; "
    "GMCA Research (formerly New Economy) Cost Benefit Analysis guidance and Unit Cost Database."
)
VALUE_TYPES: tuple[str, ...] = ("fiscal", "economic", "social")


@dataclass(frozen=True)
class CostLine:
    """A cost in real prices (price base of the appraisal) in appraisal year ``year`` (0 = first)."""

    name: str
    year: int
    amount: float


@dataclass(frozen=True)
class BenefitLine:
    """One valued outcome (GMCA style). Fractions are in [0, 1]; ``attribution`` 1 = all ours."""

    name: str
    value_type: str
    beneficiaries: float
    unit_value: float
    start_year: int = 0
    duration_years: int = 1
    decay: float = 0.0
    deadweight: float = 0.0
    displacement: float = 0.0
    attribution: float = 1.0
    confidence_grade: int = 1
    agency: str = ""
    source: str = ""


@dataclass(frozen=True)
class VfmInputs:
    """Everything a cost–benefit appraisal needs (see :mod:`vrkit.tasks.vfm_inputs`)."""

    programme_id: str
    name: str
    price_base: str
    costs: tuple[CostLine, ...]
    benefits: tuple[BenefitLine, ...]
    optimism_bias: dict[int, float]
    discount_rate: float = 0.035
    horizon_years: int = 10
    cost_optimism_bias: float = 0.0
    label: str = ""
    notes: str = ""
    origin: str = ""
    #: the programme register's reference this appraisal belongs to ("" = not linked)
    programme_ref: str = ""


@dataclass(frozen=True)
class VfmResult:
    """A cost–benefit appraisal.

    Attributes
    ----------
    summary : dict
        ``pv_costs, pv_fiscal, pv_economic, pv_social, pv_benefits, net_budget_impact,
        net_present_value, bcr, bcr_fiscal, roi, roi_fiscal, payback_years`` (floats; payback
        ``None`` when not reached).
    flows : DataFrame
        One row per line and year: ``line, kind`` (cost/benefit), ``value_type, agency, year,
        gross, net, discount_factor, present_value`` and the adjustments applied.
    by_year : DataFrame
        Per year: discounted costs, fiscal/economic/social benefits and cumulative positions.
    sensitivity : DataFrame
        Scenario × headline measures.
    inputs : VfmInputs
    warnings : list of str
    method, reference : str
    params : dict
    """

    summary: dict[str, Any]
    flows: pd.DataFrame
    by_year: pd.DataFrame
    sensitivity: pd.DataFrame
    inputs: VfmInputs
    warnings: list[str]
    method: str
    reference: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Headline measures as ``measure, value, unit, definition`` rows."""
        s = self.summary
        rows = [
            ("PV costs", s["pv_costs"], "£", "Σ cost_t × DF_t (with any cost optimism bias)"),
            ("PV fiscal benefits", s["pv_fiscal"], "£", "Σ net fiscal benefit_t × DF_t"),
            ("PV economic benefits", s["pv_economic"], "£", "Σ net economic benefit_t × DF_t"),
            ("PV social benefits", s["pv_social"], "£", "Σ net social benefit_t × DF_t"),
            ("PV all benefits", s["pv_benefits"], "£", "fiscal + economic + social"),
            ("Net present budget impact", s["net_budget_impact"], "£", "PV fiscal − PV costs"),
            ("Net present public value", s["net_present_value"], "£", "PV all benefits − PV costs"),
            ("Benefit–cost ratio", s["bcr"], "ratio", "PV all benefits / PV costs"),
            ("Fiscal benefit–cost ratio", s["bcr_fiscal"], "ratio", "PV fiscal / PV costs"),
            ("Return on investment", s["roi"], "%", "(PV all benefits − PV costs) / PV costs"),
            (
                "Fiscal return on investment",
                s["roi_fiscal"],
                "%",
                "(PV fiscal − PV costs) / PV costs",
            ),
            (
                "Payback period",
                s["payback_years"],
                "years",
                "when cumulative discounted fiscal benefits reach cumulative discounted costs",
            ),
        ]
        out = pd.DataFrame(rows, columns=["measure", "value", "unit", "definition"])
        pct = out["unit"] == "%"
        out.loc[pct, "value"] = out.loc[pct, "value"].astype(float) * 100
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (summary, flows, by-year, sensitivity, assumptions)."""
        return {
            "programme_id": self.inputs.programme_id,
            "name": self.inputs.name,
            "label": self.inputs.label,
            "price_base": self.inputs.price_base,
            "summary": self.summary,
            "flows": self.flows.replace({np.nan: None}).to_dict("records"),
            "by_year": self.by_year.to_dict("records"),
            "sensitivity": self.sensitivity.replace({np.nan: None}).to_dict("records"),
            "warnings": list(self.warnings),
            "method": self.method,
            "reference": self.reference,
            "params": self.params,
        }


def validate_inputs(inp: VfmInputs) -> None:
    """Refuse impossible inputs with a message naming the line and field."""
    if not 0 <= inp.discount_rate < 1:
        raise InputError(f"discount rate must be in [0, 1) (got {inp.discount_rate!r})")
    if not (isinstance(inp.horizon_years, int) and 1 <= inp.horizon_years <= 100):
        raise InputError(f"appraisal period must be 1–100 years (got {inp.horizon_years!r})")
    if not 0 <= inp.cost_optimism_bias <= 5:
        raise InputError(f"cost optimism bias must be in [0, 5] (got {inp.cost_optimism_bias!r})")
    if not inp.costs:
        raise InputError("at least one cost line is needed (a programme with no cost has no ROI)")
    for g, v in inp.optimism_bias.items():
        if not 0 <= v < 1:
            raise InputError(
                f"optimism bias for confidence grade {g} must be in [0, 1) (got {v!r})"
            )
    for c in inp.costs:
        if not 0 <= c.year < inp.horizon_years:
            raise InputError(f"cost {c.name!r}: year {c.year} is outside the appraisal period")
        if not np.isfinite(c.amount) or c.amount < 0:
            raise InputError(f"cost {c.name!r}: amount must be a finite number ≥ 0")
    for b in inp.benefits:
        where = f"benefit {b.name!r}"
        if b.value_type not in VALUE_TYPES:
            raise InputError(f"{where}: value type must be one of {', '.join(VALUE_TYPES)}")
        for attr in ("decay", "deadweight", "displacement", "attribution"):
            v = getattr(b, attr)
            if not 0 <= v <= 1:
                raise InputError(f"{where}: {attr} must be a fraction in [0, 1] (got {v!r})")
        if b.beneficiaries < 0 or not np.isfinite(b.beneficiaries):
            raise InputError(f"{where}: beneficiaries must be ≥ 0")
        if not np.isfinite(b.unit_value):
            raise InputError(f"{where}: unit value must be a finite number")
        if b.duration_years < 1 or b.start_year < 0:
            raise InputError(f"{where}: start year ≥ 0 and duration ≥ 1 year are required")
        if b.confidence_grade not in inp.optimism_bias:
            raise InputError(
                f"{where}: confidence grade {b.confidence_grade} has no optimism-bias value",
                hint=f"Grades defined: {sorted(inp.optimism_bias)}.",
            )


def _flows(inp: VfmInputs) -> pd.DataFrame:
    r = inp.discount_rate
    rows = []
    for c in inp.costs:
        gross = c.amount * (1 + inp.cost_optimism_bias)
        df = 1 / (1 + r) ** c.year
        rows.append(
            {
                "line": c.name,
                "kind": "cost",
                "value_type": "cost",
                "agency": "",
                "year": c.year,
                "gross": c.amount,
                "adjustment_factor": 1 + inp.cost_optimism_bias,
                "net": gross,
                "discount_factor": df,
                "present_value": gross * df,
            }
        )
    for b in inp.benefits:
        ob = inp.optimism_bias[b.confidence_grade]
        adj = (1 - b.deadweight) * (1 - b.displacement) * b.attribution * (1 - ob)
        for t in range(b.start_year, min(b.start_year + b.duration_years, inp.horizon_years)):
            gross = b.beneficiaries * b.unit_value * (1 - b.decay) ** (t - b.start_year)
            df = 1 / (1 + r) ** t
            rows.append(
                {
                    "line": b.name,
                    "kind": "benefit",
                    "value_type": b.value_type,
                    "agency": b.agency,
                    "year": t,
                    "gross": gross,
                    "adjustment_factor": adj,
                    "net": gross * adj,
                    "discount_factor": df,
                    "present_value": gross * adj * df,
                }
            )
    return pd.DataFrame(rows)


def _summary(flows: pd.DataFrame, horizon: int) -> tuple[dict[str, Any], pd.DataFrame]:
    pv = flows.groupby("value_type")["present_value"].sum()
    costs = float(pv.get("cost", 0.0))
    fiscal = float(pv.get("fiscal", 0.0))
    economic = float(pv.get("economic", 0.0))
    social = float(pv.get("social", 0.0))
    benefits = fiscal + economic + social
    by_year = (
        flows.pivot_table(
            index="year", columns="value_type", values="present_value", aggfunc="sum", fill_value=0
        )
        .reindex(range(horizon), fill_value=0.0)
        .reindex(columns=["cost", *VALUE_TYPES], fill_value=0.0)
    )
    by_year.columns = [f"pv_{c}" for c in by_year.columns]
    by_year["cumulative_costs"] = by_year["pv_cost"].cumsum()
    by_year["cumulative_fiscal"] = by_year["pv_fiscal"].cumsum()
    by_year["cumulative_net_budget"] = by_year["cumulative_fiscal"] - by_year["cumulative_costs"]
    payback: float | None = None
    gap = by_year["cumulative_net_budget"].to_numpy()
    for t in range(horizon):
        if gap[t] >= 0:
            # elapsed years: the end of year t is t + 1; interpolate linearly within year t
            payback = 1.0 if t == 0 else t + (-gap[t - 1]) / (gap[t] - gap[t - 1])
            break
    if costs <= 0:
        raise InputError("present value of costs is zero: ratios are undefined")
    summary = {
        "pv_costs": costs,
        "pv_fiscal": fiscal,
        "pv_economic": economic,
        "pv_social": social,
        "pv_benefits": benefits,
        "net_budget_impact": fiscal - costs,
        "net_present_value": benefits - costs,
        "bcr": benefits / costs,
        "bcr_fiscal": fiscal / costs,
        "roi": (benefits - costs) / costs,
        "roi_fiscal": (fiscal - costs) / costs,
        "payback_years": payback,
    }
    return summary, by_year.reset_index()


def appraise(inp: VfmInputs, *, with_sensitivity: bool = True) -> VfmResult:
    """Cost–benefit appraisal of ``inp`` (see the module docstring for every definition)."""
    validate_inputs(inp)
    flows = _flows(inp)
    summary, by_year = _summary(flows, inp.horizon_years)
    sens = sensitivity(inp, summary) if with_sensitivity else pd.DataFrame()
    warnings = []
    if inp.label:
        warnings.append(f"Inputs labelled {inp.label}: {inp.notes}".strip())
    late = [b.name for b in inp.benefits if b.start_year + b.duration_years > inp.horizon_years]
    if late:
        warnings.append(
            "Benefits beyond the appraisal period are not counted: " + ", ".join(late) + "."
        )
    return VfmResult(
        summary=summary,
        flows=flows,
        by_year=by_year,
        sensitivity=sens,
        inputs=inp,
        warnings=warnings,
        method=(
            f"Real {inp.price_base} prices; discounted at {inp.discount_rate:.1%} a year over "
            f"{inp.horizon_years} years (year 0 undiscounted); benefits valued by unit costs and "
            "reduced for deadweight, displacement, attribution and optimism bias by confidence "
            f"grade; cost optimism bias {inp.cost_optimism_bias:.0%}."
        ),
        reference=REFERENCE,
        params={
            "discount_rate": inp.discount_rate,
            "horizon_years": inp.horizon_years,
            "price_base": inp.price_base,
            "optimism_bias_by_grade": dict(inp.optimism_bias),
            "cost_optimism_bias": inp.cost_optimism_bias,
            "origin": inp.origin,
        },
    )


def _scenarios(inp: VfmInputs) -> list[tuple[str, VfmInputs]]:
    def each(**kw: Any) -> tuple[BenefitLine, ...]:
        out = []
        for b in inp.benefits:
            changes = {k: (f(b) if callable(f) else f) for k, f in kw.items()}
            out.append(replace(b, **changes))
        return tuple(out)

    ob2 = {g: min(0.95, 2 * v) for g, v in inp.optimism_bias.items()}
    return [
        ("Discount rate 1.5 %", replace(inp, discount_rate=0.015)),
        ("Discount rate 5 %", replace(inp, discount_rate=0.05)),
        (
            "Deadweight +10 points",
            replace(inp, benefits=each(deadweight=lambda b: min(1.0, b.deadweight + 0.1))),
        ),
        (
            "Deadweight −10 points",
            replace(inp, benefits=each(deadweight=lambda b: max(0.0, b.deadweight - 0.1))),
        ),
        (
            "Attribution × 0.8",
            replace(inp, benefits=each(attribution=lambda b: 0.8 * b.attribution)),
        ),
        (
            "Attribution × 1.2 (max 1)",
            replace(inp, benefits=each(attribution=lambda b: min(1.0, 1.2 * b.attribution))),
        ),
        ("No optimism bias", replace(inp, optimism_bias={g: 0.0 for g in inp.optimism_bias})),
        ("Optimism bias doubled", replace(inp, optimism_bias=ob2)),
        (
            "Costs +20 %",
            replace(inp, costs=tuple(replace(c, amount=1.2 * c.amount) for c in inp.costs)),
        ),
        (
            "Benefit persistence halved",
            replace(inp, benefits=each(duration_years=lambda b: max(1, b.duration_years // 2))),
        ),
    ]


def sensitivity(inp: VfmInputs, base: dict[str, Any] | None = None) -> pd.DataFrame:
    """Headline measures under one-at-a-time changes, plus the benefits switching value."""
    base = base if base is not None else _summary(_flows(inp), inp.horizon_years)[0]
    rows = [{"scenario": "Central case", **_headline(base)}]
    for label, alt in _scenarios(inp):
        validate_inputs(alt)
        s, _ = _summary(_flows(alt), alt.horizon_years)
        rows.append({"scenario": label, **_headline(s)})
    out = pd.DataFrame(rows)
    switching = base["net_present_value"] / base["pv_benefits"] if base["pv_benefits"] else np.nan
    out.attrs["switching_value"] = switching
    out.loc[len(out)] = {
        "scenario": f"Switching value: all benefits −{switching:.0%} makes the net present value zero"
        if np.isfinite(switching)
        else "Switching value: not defined (no benefits)",
        **dict.fromkeys(_headline(base), np.nan),
    }
    return out


def _headline(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "net_budget_impact": s["net_budget_impact"],
        "net_present_value": s["net_present_value"],
        "bcr": s["bcr"],
        "roi_pct": 100 * s["roi"],
        "roi_fiscal_pct": 100 * s["roi_fiscal"],
        "payback_years": s["payback_years"],
    }

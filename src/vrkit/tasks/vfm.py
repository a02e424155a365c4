"""Task: value for money of a programme (``vrkit vfm``), with an XLSX writer and a derivation."""

from __future__ import annotations

import importlib.resources as ilr
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from vrkit.analysis.vfm import VfmInputs, VfmResult, appraise
from vrkit.tasks.vfm_inputs import read_vfm_inputs

#: The worked example shipped with vrkit (ILLUSTRATIVE; see its header).
EXAMPLE = "stepping-stones-illustrative"


def example_path() -> Path:
    """Path of the shipped worked example input file."""
    res = ilr.files("vrkit.catalog") / "examples" / "vfm_stepping_stones_illustrative.toml"
    return Path(str(res))


def value_for_money(inputs: str | Path | VfmInputs) -> VfmResult:
    """Appraise a programme from its input file (or parsed inputs), with sensitivity analysis.

    ``inputs`` may be ``"stepping-stones-illustrative"`` for the shipped worked example.
    """
    if isinstance(inputs, VfmInputs):
        inp = inputs
    elif str(inputs) == EXAMPLE:
        inp = read_vfm_inputs(example_path())
    else:
        inp = read_vfm_inputs(inputs)
    result = appraise(inp)
    result.params["derivation"] = derivation(result)
    return result


def derivation(result: VfmResult) -> str:
    """How the headline figures follow from the inputs, step by step, in plain words."""
    s = result.summary
    inp = result.inputs
    r = inp.discount_rate
    lines = []
    if inp.label:
        lines.append(f"[{inp.label}] {inp.notes}")
    lines.append(
        f"1. Costs in {inp.price_base} prices, discounted at {r:.1%} a year (year 0 undiscounted): "
        + "; ".join(
            f"{c.name} £{c.amount:,.0f} in year {c.year} × {1 / (1 + r) ** c.year:.4f}"
            for c in inp.costs
        )
        + f" → PV costs £{s['pv_costs']:,.2f}."
    )
    lines.append("2. Each benefit: beneficiaries × unit value × persistence, then adjusted:")
    fl = result.flows[result.flows["kind"] == "benefit"]
    for b in inp.benefits:
        pv = fl.loc[fl["line"] == b.name, "present_value"].sum()
        ob = inp.optimism_bias[b.confidence_grade]
        lines.append(
            f"   - {b.name} ({b.value_type}): {b.beneficiaries:g} × £{b.unit_value:,.2f} a year, "
            f"years {b.start_year}–{min(b.start_year + b.duration_years, inp.horizon_years) - 1}"
            + (f", −{b.decay:.0%} a year" if b.decay else "")
            + f"; × (1 − deadweight {b.deadweight:.0%}) × (1 − displacement {b.displacement:.0%})"
            f" × attribution {b.attribution:.0%} × (1 − optimism bias {ob:.0%}, grade "
            f"{b.confidence_grade}); discounted → PV £{pv:,.2f}."
        )
    lines.append(
        f"3. PV fiscal £{s['pv_fiscal']:,.2f}; economic £{s['pv_economic']:,.2f}; social "
        f"£{s['pv_social']:,.2f}; all benefits £{s['pv_benefits']:,.2f}."
    )
    lines.append(
        f"4. Net present budget impact = PV fiscal − PV costs = £{s['pv_fiscal']:,.2f} − "
        f"£{s['pv_costs']:,.2f} = £{s['net_budget_impact']:,.0f}."
    )
    lines.append(
        f"5. Return on investment = (PV all benefits − PV costs) / PV costs = "
        f"(£{s['pv_benefits']:,.2f} − £{s['pv_costs']:,.2f}) / £{s['pv_costs']:,.2f} = "
        f"{100 * s['roi']:.0f} % (benefit–cost ratio {s['bcr']:.2f}); fiscal ROI "
        f"{100 * s['roi_fiscal']:.0f} %."
    )
    pb = s["payback_years"]
    lines.append(
        "6. Payback: "
        + (
            f"cumulative discounted fiscal benefits reach cumulative discounted costs after "
            f"{pb:.1f} years."
            if pb is not None
            else f"not reached within {inp.horizon_years} years."
        )
    )
    return "\n".join(lines)


def _safe(v: Any) -> Any:
    """Cell value: numbers as numbers, text as text (never a formula)."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    return v


def write_vfm_xlsx(result: VfmResult, path: str | Path) -> Path:
    """Write summary, assumptions, flows, by-year, sensitivity and the derivation to XLSX.

    Text cells are written as text (a leading ``=``, ``+``, ``-`` or ``@`` never becomes a
    formula).
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "summary"
    inp = result.inputs
    head = [
        ("Programme", inp.name),
        ("Label", inp.label or ""),
        ("Price base", inp.price_base),
        ("Method", result.method),
        ("Reference", result.reference),
    ]
    for w in result.warnings:
        head.append(("Warning", w))
    sheets: dict[str, pd.DataFrame] = {
        "summary": result.to_frame(),
        "costs": pd.DataFrame([c.__dict__ for c in inp.costs]),
        "benefits": pd.DataFrame([b.__dict__ for b in inp.benefits]),
        "optimism_bias": pd.DataFrame(
            sorted(inp.optimism_bias.items()), columns=["confidence_grade", "optimism_bias"]
        ),
        "flows": result.flows,
        "by_year": result.by_year,
        "sensitivity": result.sensitivity,
        "derivation": pd.DataFrame(
            {"step": str(result.params.get("derivation", derivation(result))).splitlines()}
        ),
    }
    for name, frame in sheets.items():
        sh = ws if name == "summary" else wb.create_sheet(name)
        row0 = 1
        if name == "summary":
            for k, v in head:
                _put(sh, row0, 1, k, bold=True)
                _put(sh, row0, 2, v)
                row0 += 1
            row0 += 1
        for j, col in enumerate(frame.columns, start=1):
            _put(sh, row0, j, str(col), bold=True)
            sh.column_dimensions[get_column_letter(j)].width = max(12, min(60, len(str(col)) + 4))
        for i, rec in enumerate(frame.itertuples(index=False), start=row0 + 1):
            for j, v in enumerate(rec, start=1):
                _put(sh, i, j, _safe(v))
    wb.save(p)
    return p


def _put(ws: Any, row: int, col: int, value: Any, *, bold: bool = False) -> None:
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # text stays text even when it starts with '='
    elif hasattr(value, "item"):
        cell.value = value.item()
    else:
        cell.value = value
    if bold:
        cell.font = Font(bold=True)

"""Task: value for money of a programme (``vrkit vfm``), with an XLSX writer and a derivation."""

from __future__ import annotations

import importlib.resources as ilr
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from vrkit._json import jsonable
from vrkit.analysis.vfm import VfmInputs, VfmResult, appraise
from vrkit.errors import DataValidationError, InputError
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


# -- programme pages: which appraisals belong to a programme ------------------------------------


def vfm_folders(extra: Sequence[str | Path] = ()) -> list[Path]:
    """Folders searched for VfM input files (``*.toml``): ``extra``, then the folder of the
    ``VRKIT_VFM_DIR`` setting when set, then the shipped worked examples (ILLUSTRATIVE)."""
    from vrkit.config import get_settings

    out = [Path(p) for p in extra]
    d = get_settings().vfm_dir
    if d is not None:
        out.append(Path(d))
    out.append(example_path().parent)
    return out


@dataclass
class ProgrammeVfm:
    """The value-for-money appraisals linked to one programme (``programme_ref`` in the file).

    ``results``: one per linked input file; ``notes``: files that could not be read (named,
    with the reason; never skipped silently) and how the link is made.
    """

    ref: str
    results: list[VfmResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_list(self) -> list[dict[str, Any]]:
        """JSON-ready summaries (headline figures, assumptions, sensitivity) per appraisal."""
        return [page_summary(r) for r in self.results]


def programme_vfm(ref: str, folders: Sequence[str | Path] | None = None) -> ProgrammeVfm:
    """The appraisals whose input file names ``programme_ref = ref`` (see :func:`vfm_folders`).

    A file that does not parse, or names the programme but fails validation, is reported in
    ``notes`` with its reason; the other files still count.
    """
    import tomllib

    out = ProgrammeVfm(ref)
    seen: set[Path] = set()
    for folder in vfm_folders() if folders is None else [Path(f) for f in folders]:
        if not folder.is_dir():
            out.notes.append(f"value-for-money folder {folder} does not exist (VRKIT_VFM_DIR)")
            continue
        for path in sorted(folder.glob("*.toml")):
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                out.notes.append(f"{path.name}: not read ({type(exc).__name__}: {exc})")
                continue
            prog = data.get("programme")
            if not isinstance(prog, dict) or str(prog.get("programme_ref", "")).strip() != ref:
                continue
            try:
                out.results.append(value_for_money(path))
            except (InputError, DataValidationError) as exc:
                out.notes.append(f"{path.name} names {ref} but is not valid: {exc}")
    return out


def page_summary(result: VfmResult) -> dict[str, Any]:
    """What a programme page shows of an appraisal, figures as the task gives them."""
    inp = result.inputs
    s = result.summary
    return jsonable(
        {
            "file": Path(inp.origin).name if inp.origin else "",
            "programme_id": inp.programme_id,
            "name": inp.name,
            "label": inp.label,
            "illustrative": inp.label.upper() == "ILLUSTRATIVE",
            "notes": inp.notes,
            "price_base": inp.price_base,
            "discount_rate": inp.discount_rate,
            "horizon_years": inp.horizon_years,
            "net_budget_impact": s["net_budget_impact"],
            "net_present_value": s["net_present_value"],
            "bcr": s["bcr"],
            "roi": s["roi"],
            "roi_fiscal": s["roi_fiscal"],
            "payback_years": s["payback_years"],
            "pv_costs": s["pv_costs"],
            "pv_benefits": s["pv_benefits"],
            "pv_fiscal": s["pv_fiscal"],
            "costs": [c.__dict__ for c in inp.costs],
            "benefits": [
                {**b.__dict__, "optimism_bias": inp.optimism_bias.get(b.confidence_grade)}
                for b in inp.benefits
            ],
            "sensitivity": result.sensitivity.to_dict("records"),
            "warnings": list(result.warnings),
            "method": result.method,
            "reference": result.reference,
            "derivation": str(result.params.get("derivation", "")).splitlines(),
        }
    )


def programme_vfm_workbook(
    ref: str, folders: Sequence[str | Path] | None = None
) -> tuple[bytes, str]:
    """XLSX bytes and a file name for the first appraisal linked to programme ``ref`` (the
    portal's download). With none linked, the workbook says so (one sheet, no figures)."""
    import tempfile

    found = programme_vfm(ref, folders)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in ref)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vfm.xlsx"
        if found.results:
            r = found.results[0]
            write_vfm_xlsx(r, path)
            name = f"programme-{safe}-vfm-{r.inputs.programme_id}.xlsx"
        else:
            wb = Workbook()
            ws = wb.active
            ws.title = "summary"
            _put(ws, 1, 1, "Programme", bold=True)
            _put(ws, 1, 2, ref)
            _put(ws, 2, 1, "Value for money", bold=True)
            _put(
                ws,
                2,
                2,
                "No value-for-money appraisal is linked to this programme (programme_ref in "
                "a VfM input file; docs/evaluation.md).",
            )
            for i, n in enumerate(found.notes, start=3):
                _put(ws, i, 1, "Note", bold=True)
                _put(ws, i, 2, n)
            wb.save(path)
            name = f"programme-{safe}-vfm-none.xlsx"
        return path.read_bytes(), name

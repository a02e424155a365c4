"""The "Cost of violence" section rendered: HTML context (template ``_cost_section.html.j2``)
and the workbook sheets, from a :class:`~vrkit.reports.build.cost_section.CostSection`."""

from __future__ import annotations

from typing import Any

import pandas as pd

from vrkit.analysis.cost_of_violence import CATEGORIES
from vrkit.reports.build.cost_section import CostSection
from vrkit.reports.render.labels import Kind, is_missing
from vrkit.reports.render.workbook import Table

SOURCE = (
    "Home Office Research Report 99, The economic and social costs of crime, 2nd ed. (2018); "
    "HM Treasury GDP deflators; MPS recorded crime (London Datastore)"
)
CATEGORY_LABELS = {
    "anticipation": "In anticipation",
    "consequence": "As a consequence",
    "response": "In response",
    "total": "Total",
}


def gbp(x: Any) -> str:
    """£ for a table cell: ``£3.21bn``, ``£512.3m``, ``£14,050``; ``–`` when missing."""
    if is_missing(x):
        return "–"
    v = float(x)
    if abs(v) >= 1e9:
        return f"£{v / 1e9:,.2f}bn"
    if abs(v) >= 1e6:
        return f"£{v / 1e6:,.1f}m"
    return f"£{v:,.0f}"


def html_context(section: CostSection | None) -> dict[str, Any] | None:
    """What the template shows (None when the report was built without the section)."""
    if section is None:
        return None
    if not section.available:
        return {"available": False, "message": section.message, "area": section.area}
    rows = []
    for r in section.by_category.to_dict("records"):
        broken = any(not is_missing(r[c]) for c in CATEGORIES)
        rows.append(
            {
                "label": r["label"],
                "offences": f"{int(r['offences']):,}",
                **{c: gbp(r[c]) if broken else "–" for c in CATEGORIES},
                "total": gbp(r["total"]) if not is_missing(r["total"]) else "not costed",
                "breakdown": broken,
                "costed": not is_missing(r["total"]),
            }
        )
    units = {
        (r["offence_type"], r["cost_category"]): r
        for r in section.table.to_dict("records")
        if not is_missing(r["cost"])
    }
    sources = [
        {
            "label": s["label"],
            "category": CATEGORY_LABELS.get(s["cost_category"], s["cost_category"]),
            "base": gbp(s["unit_cost_base"]),
            "uprated": gbp(units[(s["offence_type"], s["cost_category"])]["unit_cost"]),
            "table": s["source_table"],
            "verified": s["verified_from"],
        }
        for s in section.sources.to_dict("records")
        if (s["offence_type"], s["cost_category"]) in units
    ]
    names = dict(
        zip(section.by_category["offence_type"], section.by_category["label"], strict=True)
    )
    counts = [
        {
            "major": r["offence_major"],
            "minor": r["offence_minor"],
            "offences": f"{int(r['offences']):,}",
            "type": names.get(r["offence_type"], r["offence_type"]) or "not costable",
            "note": r["comparability"],
        }
        for r in section.counts_used.to_dict("records")
    ]
    return {
        "available": True,
        "area": section.area,
        "year": section.year,
        "price_year": section.price_year,
        "price_basis": section.price_basis,
        "total": gbp(section.total_cost),
        "total_exact": f"£{float(section.total_cost or 0):,.0f}",
        "rows": rows,
        "sources": sources,
        "counts": counts,
        "explanation": section.explanation,
        "notes_heading": (
            "Why this differs from the published figure"
            if section.explanation
            else "What is and is not costed"
        ),
        "notes": section.notes,
        "method": section.method,
        "reference": section.reference,
        "deflator": section.deflator,
        "command": f"vrkit cost-of-violence --year {section.year} --area {section.area}",
    }


def workbook_tables(section: CostSection | None) -> list[Table]:
    """The section's sheets (an empty section is named in Notes with its reason)."""
    if section is None:
        return []
    why = section.message or "no cost-of-violence figures"
    py = section.price_year or "price-year"
    kinds: dict[str, Kind] = {
        c: "count" for c in (*CATEGORIES, "total", "cost", "unit_cost", "unit_cost_base")
    }
    labels = {
        "label": "Offence type",
        "offences": f"Recorded offences, {section.year}",
        **{c: f"{CATEGORY_LABELS[c]} (£, {py} prices)" for c in CATEGORIES},
        "total": f"Total cost (£, {py} prices)",
        "cost": f"Cost (£, {py} prices)",
        "unit_cost": f"Unit cost (£, {py} prices)",
        "unit_cost_base": f"Unit cost (£, {section.price_basis or 'base'} prices)",
        "cost_category": "Cost category",
        "offence_type": "Offence type id",
        "source_table": "Unit-cost source table",
        "verified_from": "Verified from",
        "offence_major": "MPS major category",
        "offence_minor": "MPS minor category",
        "comparability": "Comparability with the unit-cost category",
        "reason": "Why not costed",
    }
    labels["line"] = "Note"
    ok = section.available
    notes = pd.DataFrame({"line": [*section.explanation, *section.notes]})
    units = f"£ in {py} prices (GDP deflator); offences recorded in the calendar year"
    sheets: list[tuple[str, str, pd.DataFrame, str]] = [
        (
            "cost_of_violence",
            f"Cost of violence, {section.area}, {section.year}, {py} prices",
            section.by_category,
            units,
        ),
        ("cost_unit_costs", "Unit costs used, with their source table", section.table, ""),
        (
            "cost_counts_used",
            f"Recorded offences counted for the cost, {section.area}, {section.year}",
            section.counts_used,
            "",
        ),
        ("cost_sources", "Source table of each unit cost", section.sources, ""),
        (
            "cost_notes",
            "What is and is not costed; comparison with the published figure",
            notes,
            "",
        ),
    ]
    return [
        Table(
            name,
            title,
            frame if ok else None,
            "MPS recorded crime (London Datastore)" if name == "cost_counts_used" else SOURCE,
            units=unit,
            empty_reason=why,
            kinds=kinds,
            labels=labels,
        )
        for name, title, frame, unit in sheets
    ]

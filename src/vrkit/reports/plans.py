"""Local action plans and the needs-assessment tracker as documents: a printable, self-contained
HTML plan (house style, print stylesheet, no script, no network), XLSX workbooks (the plan; the
progress across the 32 plans) and the tracker's review page. Every XLSX cell goes through the
safe tabular writer (text is text, never a formula)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit._version import __version__
from vrkit.reports.tabular import xlsx_cell


def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vrkit.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    env.globals.update(version=__version__, fmt=fmt, pct=pct, rate=rate, share=share)
    return env


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x == ""


def fmt(x: Any) -> str:
    """A count with thousands separators; ``*`` where suppressed (missing)."""
    if _missing(x):
        return "*"
    try:
        return f"{float(x):,.0f}"
    except (TypeError, ValueError):
        return str(x)


def pct(x: Any) -> str:
    return "" if _missing(x) else f"{float(x):+.1f} %"


def share(x: Any) -> str:
    return "" if _missing(x) else f"{100 * float(x):.1f} %"


def rate(r: dict[str, Any]) -> str:
    if _missing(r.get("rate")):
        return ""
    lo, hi = r.get("rate_lower"), r.get("rate_upper")
    ci = (
        ""
        if lo is None or hi is None or _missing(lo) or _missing(hi)
        else f" ({float(lo):.2f}–{float(hi):.2f})"
    )
    return f"{float(r['rate']):.2f}{ci}"


def plan_html(doc: dict[str, Any], template: Any) -> str:
    """The plan as one printable HTML file (edition as the document says)."""
    return str(
        _env()
        .get_template("action_plan.html.j2")
        .render(p=doc, prof=doc.get("profile"), t=template)
    )


def write_table_xlsx(
    sheets: dict[str, pd.DataFrame], path: Path, *, notes: list[str] | None = None
) -> Path:
    """Sheets of tables (header row bold and frozen), plus a ``notes`` sheet when given."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    all_sheets = dict(sheets)
    if notes:
        all_sheets["notes"] = pd.DataFrame({"note": notes})
    for name, frame in all_sheets.items():
        ws = wb.create_sheet(name[:31])
        ws.freeze_panes = "A2"
        header = []
        for c in frame.columns:
            cell = xlsx_cell(ws, str(c))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in frame.itertuples(index=False):
            ws.append([xlsx_cell(ws, v) for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def plan_xlsx(doc: dict[str, Any], path: Path) -> Path:
    """The plan's tables: about, sections, priorities, actions, the profile's tables."""
    about = pd.DataFrame(
        [
            ("Borough", f"{doc['borough_name']} ({doc['borough_code']})"),
            ("Financial year", doc["financial_year"]),
            ("Status", doc["status_label"]),
            ("Edition", doc["edition"]),
            ("Template version", doc["template"]["version"]),
            ("Label", doc.get("data_label") or ""),
        ],
        columns=["item", "value"],
    )
    fields = pd.DataFrame(
        [
            {"section": s["title"], "field": f["label"], "value": f["value"]}
            for s in doc["sections"]
            for f in s["fields"]
        ]
    )
    actions = pd.DataFrame(
        [
            {
                "action": a["title"],
                "priority": a["priority"],
                "theme": a["theme_label"],
                "owner": a["owner"],
                "partners": "; ".join(a["partners"]),
                "due_date": a["due_date"],
                "status": a["status_label"],
                "overdue": a["overdue"],
                "programmes": "; ".join(p["ref"] for p in a["programmes"]),
                "measures": "; ".join(a["measures"]),
            }
            for a in doc["actions"]
        ]
    )
    sheets = {
        "about": about,
        "sections": fields,
        "priorities": pd.DataFrame(doc["priorities"]),
        "actions": actions,
    }
    prof = doc.get("profile") or {}
    if prof.get("headline"):
        sheets["profile headline"] = pd.DataFrame(prof["headline"])
    if prof.get("trend"):
        sheets["profile trend"] = pd.DataFrame(prof["trend"])
    if prof.get("hotspots"):
        sheets["profile hot spots"] = pd.DataFrame(prof["hotspots"]["top_places"])
    if prof.get("imd"):
        sheets["profile IMD gradient"] = pd.DataFrame(prof["imd"]["by_decile"])
    if prof.get("alerts", {}).get("rows"):
        sheets["profile alerts"] = pd.DataFrame(prof["alerts"]["rows"])
    notes = list(prof.get("warnings", []))
    if doc["edition"] == "public" and prof.get("disclosure"):
        notes.insert(0, f"Public edition: {prof['disclosure']}")
    return write_table_xlsx(sheets, path, notes=notes)


def progress_xlsx(tables: dict[str, pd.DataFrame], notes: list[str], path: Path) -> Path:
    return write_table_xlsx(tables, path, notes=notes)


def tracker_html(doc: dict[str, Any]) -> str:
    """The needs-assessment tracker's review page as one self-contained HTML file."""
    return str(_env().get_template("sna_tracker.html.j2").render(d=doc))

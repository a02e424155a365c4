"""The logic model with live progress: programme outputs rolled up to the objectives they serve,
and outcome and impact nodes read from the warehouse (violence, homicide, the Home Office success
measures where data exist), each change tested before it is called a fall or a rise."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrkit.analysis.count_change import compare_counts
from vrkit.catalog.money import fy_label
from vrkit.errors import InputError, VrkitError
from vrkit.ops.delivery import logic
from vrkit.ops.delivery import returns as ops_returns
from vrkit.ops.delivery.models import LogicModel, Programme
from vrkit.ops.roles import Principal
from vrkit.tasks.delivery._common import DeliveryResult, jsonable

NO_SOURCE = {
    "hes": "hospital admissions (HES) are not loaded in vrkit",
    "pas": "the MOPAC Public Attitude Survey is not loaded in the warehouse",
}


def _fy_counts_measure(wh: Any, measure: str) -> pd.DataFrame:
    from vrkit.tasks.trends import trend

    t = trend(wh, measure, area="London", period="financial").table
    t = t[t["complete"]]
    return pd.DataFrame({"period": t["period"], "count": t["total"].astype(int)})


def _fy_counts_homicide_u25(wh: Any) -> pd.DataFrame:
    """Homicide victims aged under 25 by financial year of recording (complete years only)."""
    from vrkit.analysis.homicide import is_under_25
    from vrkit.store import queries

    v = queries.homicide_victims(wh)
    if v.empty:
        raise InputError("no homicide victims file is loaded")
    v = v[v["recorded_month"].notna()].copy()
    v["fy"] = v["recorded_year"].where(v["recorded_month"] >= 4, v["recorded_year"] - 1).astype(int)
    complete = sorted(int(y) for y, g in v.groupby("fy") if g["recorded_month"].nunique() == 12)
    young = v[v["age_group"].map(is_under_25).astype(bool)]
    counts = young.groupby("fy")["victims"].sum()
    rows = [(fy_label(y), int(counts.get(y, 0))) for y in complete]
    return pd.DataFrame(rows, columns=["period", "count"])


def warehouse_progress(wh: Any, ref: str) -> dict[str, Any]:
    """The latest complete financial year of a warehouse indicator against the year before and
    against 2018/19 (the VRU's first year), each change tested (:mod:`vrkit.analysis.count_change`)."""
    kind, _, name = ref.partition(":")
    if wh is None:
        return {"status": "no warehouse", "detail": "no warehouse was given, so no live figures"}
    if kind in NO_SOURCE:
        return {"status": "no data", "detail": NO_SOURCE[kind]}
    try:
        if kind == "measure":
            from vrkit.catalog.measures import get_measure

            try:
                get_measure(name)
            except InputError:
                return {
                    "status": "no data",
                    "detail": f"the warehouse has no measure {name!r} (no source for it is loaded)",
                }
            counts = _fy_counts_measure(wh, name)
        elif ref == "homicide_under_25":
            counts = _fy_counts_homicide_u25(wh)
        else:
            return {"status": "no data", "detail": f"unknown indicator {ref!r}"}
    except VrkitError as exc:
        return {"status": "no data", "detail": exc.message}
    if len(counts) < 2:
        return {
            "status": "no data",
            "detail": "fewer than two complete financial years in the warehouse",
        }
    latest = counts.iloc[-1]
    prev = counts.iloc[-2]
    out: dict[str, Any] = {
        "status": "live",
        "series": counts.to_dict("records"),
        "latest_period": latest["period"],
        "latest": int(latest["count"]),
        "previous_period": prev["period"],
        "previous": int(prev["count"]),
    }
    c = compare_counts(int(prev["count"]), int(latest["count"]))
    out["vs_previous"] = {"verdict": c.verdict, "p_value": c.p_value, "pct_change": c.pct_change}
    base = counts[counts["period"] == "2018/19"]
    if not base.empty and base.iloc[0]["period"] != latest["period"]:
        b = compare_counts(int(base.iloc[0]["count"]), int(latest["count"]))
        out["baseline_period"] = "2018/19"
        out["baseline"] = int(base.iloc[0]["count"])
        out["vs_baseline"] = {
            "verdict": b.verdict,
            "p_value": b.p_value,
            "pct_change": b.pct_change,
        }
    out["method"] = c.method
    return out


def _verdict_text(p: dict[str, Any], direction: str) -> str:
    if p.get("status") != "live":
        return p.get("detail", "no data")
    v = p["vs_previous"]
    pct = "" if v["pct_change"] is None else f" ({v['pct_change']:+.1f} %)"
    good = {"down": "fell", "up": "rose"}.get(direction)
    word = v["verdict"]
    mark = " — in the desired direction" if word == good else ""
    text = f"{p['latest']:,} in {p['latest_period']} against {p['previous']:,} in {p['previous_period']}{pct}: {word}{mark} (p = {v['p_value']:.3g})"
    if "vs_baseline" in p:
        b = p["vs_baseline"]
        bp = "" if b["pct_change"] is None else f" {b['pct_change']:+.1f} %"
        text += f"; since {p['baseline_period']}:{bp}, {b['verdict']}"
    return text


@dataclass
class LogicModelView(DeliveryResult):
    name: str = ""
    version: int = 0
    financial_year: int = 0
    versions: list[dict[str, Any]] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        rows = []
        for n in self.nodes:
            if not n["indicators"]:
                rows.append(
                    {
                        "level": n["level"],
                        "code": n["code"],
                        "node": n["label"],
                        "indicator": "",
                        "progress": "",
                    }
                )
            for i in n["indicators"]:
                rows.append(
                    {
                        "level": n["level"],
                        "code": n["code"],
                        "node": n["label"],
                        "indicator": i["label"],
                        "progress": i["progress_text"],
                    }
                )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "name": self.name,
                "version": self.version,
                "title": self.title,
                "financial_year": fy_label(self.financial_year),
                "versions": self.versions,
                "nodes": self.nodes,
                "links": self.links,
                "notes": self.notes,
            }
        )


def logic_model_view(
    s: Session,
    wh: Any,
    financial_year: int,
    *,
    name: str | None = None,
    version: int | None = None,
) -> LogicModelView:
    """A version of the logic model (default the newest) with live progress for ``financial_year``
    (programme outputs) and the warehouse (outcome and impact indicators). ``wh`` may be None:
    warehouse indicators then say so."""
    m: LogicModel | None
    if version is not None:
        if not name:
            latest = logic.latest(s)
            name = latest.name if latest else None
        if not name:
            raise InputError(
                "no logic model is recorded",
                hint="Import one (`vrkit programmes logic-model import`).",
            )
        m = logic.get_version(s, name, version)
    else:
        m = logic.latest(s, name)
    if m is None:
        raise InputError(
            "no logic model is recorded", hint="Import one (`vrkit programmes logic-model import`)."
        )
    progs = [p for p in s.scalars(select(Programme)) if p.in_portfolio]
    outputs = ops_returns.outputs_frame(s, financial_year)
    cache: dict[str, dict[str, Any]] = {}
    nodes = []
    for n in m.nodes:
        if n.level == "objective" and n.objective_number is not None:
            members = [p for p in progs if n.objective_number in p.objectives]
        elif n.programme_id is not None:
            members = [p for p in progs if p.id == n.programme_id]
        else:
            members = []
        ids = {p.id for p in members}
        inds = []
        for i in n.indicators:
            if i.kind == "outputs":
                sub = outputs[
                    (outputs["programme_id"].isin(ids)) & (outputs["measure_code"] == i.ref)
                ]
                with_returns = int(sub["programme_id"].nunique())
                total = int(sub["value"].sum()) if not sub.empty else None
                progress: dict[str, Any] = {
                    "status": "live" if total is not None else "no returns",
                    "programmes": len(members),
                    "programmes_with_returns": with_returns,
                    "total": total,
                }
                text = (
                    f"{total:,} from {with_returns} of {len(members)} programme(s) in {fy_label(financial_year)}"
                    if total is not None
                    else f"no returns yet from the {len(members)} programme(s) serving it in {fy_label(financial_year)}"
                )
            elif i.kind == "warehouse":
                if i.ref not in cache:
                    cache[i.ref] = warehouse_progress(wh, i.ref)
                progress = cache[i.ref]
                text = _verdict_text(progress, i.direction)
            else:
                progress = {"status": "not set"}
                text = "local indicator not yet set"
            inds.append(
                {
                    "kind": i.kind,
                    "ref": i.ref,
                    "label": i.label,
                    "direction": i.direction,
                    "progress": progress,
                    "progress_text": text,
                }
            )
        nodes.append(
            {
                "level": n.level,
                "code": n.code,
                "label": n.label,
                "timeframe": n.timeframe,
                "objective_number": n.objective_number,
                "note": n.note,
                "programmes": [p.ref for p in members],
                "indicators": inds,
            }
        )
    versions = [
        {
            "version": v.version,
            "created_by": v.created_by,
            "created_at": v.created_at,
            "title": v.title,
        }
        for v in logic.versions(s, m.name)
    ]
    notes = [
        "Programme outputs roll up to the objectives each programme serves (a programme serving "
        "two objectives counts under both).",
        "Warehouse indicators compare the latest complete financial year with the year before and "
        "with 2018/19 by the exact conditional test of two Poisson counts; a change that is not "
        "significant at 5 % is reported as 'no significant change'.",
    ]
    if m.note:
        notes.append(m.note)
    return LogicModelView(
        title=m.title,
        notes=notes,
        name=m.name,
        version=m.version,
        financial_year=financial_year,
        versions=versions,
        nodes=nodes,
        links=[
            {"from": x.from_code, "to": x.to_code, "basis": x.basis, "inferred": x.inferred}
            for x in m.links
        ],
    )


def import_logic_model(
    s: Session, actor: Principal, path: Path
) -> tuple[str, int, bool, list[str]]:
    """A logic model from the London example's ``logic_model.json`` or vrkit's own export
    format: the next version unless identical to the newest. (name, version, created, changes)."""
    from vrkit.sources.delivery.london_example import _logic_model
    from vrkit.sources.delivery.records import DeliveryBundle

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON file ({exc})") from None
    if isinstance(data, dict) and "nodes" in data:
        rec = logic.record_from_dict(data)
    else:
        rec = _logic_model(Path(path), DeliveryBundle(kind="logic model"))
    m, created, changes = logic.save_version(s, actor, rec)
    return m.name, m.version, created, changes


def export_logic_model(
    s: Session, *, name: str | None = None, version: int | None = None
) -> dict[str, Any]:
    """A version (default the newest) of the logic model in vrkit's JSON format."""
    latest = logic.latest(s, name)
    if latest is None:
        raise InputError("no logic model is recorded")
    m = latest if version is None else logic.get_version(s, latest.name, version)
    return {**logic.record_dict(logic.model_record(s, m)), "version": m.version}

"""The logic model as versioned data: interventions → objectives → outcomes → impacts (→ aims).

A version is never edited: importing a changed model (or changing one in the portal) creates the
next version, and every version stays readable, so a report can say which model it used and
what changed since. An import identical to the newest version creates nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from vrkit.catalog.delivery import LOGIC_LEVELS
from vrkit.errors import InputError
from vrkit.ops import audit
from vrkit.ops.delivery.models import LogicIndicator, LogicLink, LogicModel, LogicNode, Programme
from vrkit.ops.models import utcnow
from vrkit.ops.roles import Principal
from vrkit.sources.delivery.records import LinkRecord, LogicModelRecord, NodeRecord

INDICATOR_KINDS = ("warehouse", "outputs", "local")


def _check(rec: LogicModelRecord) -> None:
    codes = [n.code for n in rec.nodes]
    dup = {c for c in codes if codes.count(c) > 1}
    if dup:
        raise InputError(f"logic model: node code(s) {', '.join(sorted(dup))} used twice")
    for n in rec.nodes:
        if n.level not in LOGIC_LEVELS:
            raise InputError(
                f"logic model node {n.code}: unknown level {n.level!r}",
                hint="Levels: " + ", ".join(LOGIC_LEVELS),
            )
        for kind, *_ in n.indicators:
            if kind not in INDICATOR_KINDS:
                raise InputError(f"logic model node {n.code}: unknown indicator kind {kind!r}")
    for link in rec.links:
        for end in (link.from_code, link.to_code):
            if end.startswith("*"):
                if end[1:] not in LOGIC_LEVELS:
                    raise InputError(f"logic model link: unknown level {end!r}")
            elif end not in codes:
                raise InputError(
                    f"logic model link {link.from_code} → {link.to_code}: no node {end!r}"
                )


def record_dict(rec: LogicModelRecord) -> dict[str, Any]:
    """A comparable, JSON-ready form of a model (the export format)."""
    return {
        "name": rec.name,
        "title": rec.title,
        "note": rec.note,
        "nodes": [
            {
                "level": n.level,
                "code": n.code,
                "label": n.label,
                "timeframe": n.timeframe,
                "objective_number": n.objective_number,
                "programme_ref": n.programme_ref,
                "note": n.note,
                "indicators": [
                    {"kind": k, "ref": r, "label": lab, "direction": d}
                    for k, r, lab, d in n.indicators
                ],
            }
            for n in rec.nodes
        ],
        "links": [
            {"from": x.from_code, "to": x.to_code, "basis": x.basis, "inferred": x.inferred}
            for x in rec.links
        ],
    }


def record_from_dict(d: dict[str, Any]) -> LogicModelRecord:
    """The inverse of :func:`record_dict` (InputError on a malformed document)."""
    try:
        return LogicModelRecord(
            name=str(d["name"]),
            title=str(d.get("title", "")),
            note=str(d.get("note", "")),
            nodes=[
                NodeRecord(
                    level=str(n["level"]),
                    code=str(n["code"]),
                    label=str(n["label"]),
                    timeframe=str(n.get("timeframe", "")),
                    objective_number=n.get("objective_number"),
                    programme_ref=n.get("programme_ref"),
                    note=str(n.get("note", "")),
                    indicators=[
                        (
                            str(i["kind"]),
                            str(i["ref"]),
                            str(i["label"]),
                            str(i.get("direction", "down")),
                        )
                        for i in n.get("indicators", [])
                    ],
                )
                for n in d["nodes"]
            ],
            links=[
                LinkRecord(
                    str(x["from"]), str(x["to"]), str(x.get("basis", "")), bool(x.get("inferred"))
                )
                for x in d.get("links", [])
            ],
        )
    except (KeyError, TypeError) as exc:
        raise InputError(
            f"not a vrkit logic model document ({exc!r} missing or malformed)"
        ) from None


def model_record(s: Session, m: LogicModel) -> LogicModelRecord:
    refs = {p.id: p.ref for p in s.scalars(select(Programme))}
    return LogicModelRecord(
        name=m.name,
        title=m.title,
        note=m.note,
        nodes=[
            NodeRecord(
                level=n.level,
                code=n.code,
                label=n.label,
                timeframe=n.timeframe,
                objective_number=n.objective_number,
                programme_ref=refs.get(n.programme_id) if n.programme_id else None,
                note=n.note,
                indicators=[(i.kind, i.ref, i.label, i.direction) for i in n.indicators],
            )
            for n in m.nodes
        ],
        links=[LinkRecord(x.from_code, x.to_code, x.basis, x.inferred) for x in m.links],
    )


def latest(s: Session, name: str | None = None) -> LogicModel | None:
    q = select(LogicModel).options(
        selectinload(LogicModel.nodes).selectinload(LogicNode.indicators),
        selectinload(LogicModel.links),
    )
    if name:
        q = q.where(LogicModel.name == name)
    return s.scalar(q.order_by(LogicModel.created_at.desc(), LogicModel.version.desc()).limit(1))


def get_version(s: Session, name: str, version: int) -> LogicModel:
    m = s.scalar(
        select(LogicModel)
        .where(LogicModel.name == name, LogicModel.version == version)
        .options(
            selectinload(LogicModel.nodes).selectinload(LogicNode.indicators),
            selectinload(LogicModel.links),
        )
    )
    if m is None:
        raise InputError(f"no version {version} of the logic model {name!r}")
    return m


def versions(s: Session, name: str | None = None) -> list[LogicModel]:
    q = select(LogicModel).order_by(LogicModel.name, LogicModel.version)
    if name:
        q = q.where(LogicModel.name == name)
    return list(s.scalars(q))


def diff(old: LogicModelRecord | None, new: LogicModelRecord) -> list[str]:
    """What changed between two versions, in words."""
    if old is None:
        return [f"first version: {len(new.nodes)} nodes, {len(new.links)} links"]
    a = {n["code"]: n for n in record_dict(old)["nodes"]}
    b = {n["code"]: n for n in record_dict(new)["nodes"]}
    out = [f"node {c} added: {b[c]['label']}" for c in b if c not in a]
    out += [f"node {c} removed: {a[c]['label']}" for c in a if c not in b]
    for c in a.keys() & b.keys():
        for k in ("label", "level", "timeframe", "programme_ref", "indicators", "note"):
            if a[c][k] != b[c][k]:
                out.append(f"node {c}: {k} changed")
    la = {(x.from_code, x.to_code) for x in old.links}
    lb = {(x.from_code, x.to_code) for x in new.links}
    out += [f"link {x} → {y} added" for x, y in sorted(lb - la)]
    out += [f"link {x} → {y} removed" for x, y in sorted(la - lb)]
    if old.title != new.title or old.note != new.note:
        out.append("title or note changed")
    return out


def save_version(
    s: Session, actor: Principal, rec: LogicModelRecord
) -> tuple[LogicModel, bool, list[str]]:
    """Store ``rec`` as the next version of its model unless identical to the newest.

    Returns (model, created, changes in words).
    """
    _check(rec)
    current = latest(s, rec.name)
    old = model_record(s, current) if current is not None else None
    if old is not None and record_dict(old) == record_dict(rec):
        assert current is not None
        return current, False, []
    changes = diff(old, rec)
    number = (
        s.scalar(select(func.max(LogicModel.version)).where(LogicModel.name == rec.name)) or 0
    ) + 1
    ids = {p.ref: p.id for p in s.scalars(select(Programme))}
    m = LogicModel(
        name=rec.name,
        version=number,
        title=rec.title,
        note=rec.note,
        created_by=actor.email,
        created_at=utcnow(),
    )
    for pos, n in enumerate(rec.nodes):
        if n.programme_ref and n.programme_ref not in ids:
            raise InputError(
                f"logic model node {n.code}: no programme {n.programme_ref!r} in the register"
            )
        node = LogicNode(
            level=n.level,
            code=n.code,
            label=n.label,
            timeframe=n.timeframe,
            objective_number=n.objective_number,
            programme_id=ids.get(n.programme_ref) if n.programme_ref else None,
            note=n.note,
            position=pos,
        )
        node.indicators = [
            LogicIndicator(kind=k, ref=r, label=lab, direction=d) for k, r, lab, d in n.indicators
        ]
        m.nodes.append(node)
    m.links = [
        LogicLink(from_code=x.from_code, to_code=x.to_code, basis=x.basis, inferred=x.inferred)
        for x in rec.links
    ]
    s.add(m)
    s.flush()
    audit.record(
        s,
        actor,
        "logic_model_versioned",
        target=f"logic_model:{rec.name}:v{number}",
        detail={"changes": changes[:50]},
    )
    return m, True, changes

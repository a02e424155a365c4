"""The Strategic Needs Assessment tracker: recommendations, research commitments and priority
areas with owner, status, evidence of progress, and links to plan actions and programmes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vrkit.errors import InputError
from vrkit.ops import audit
from vrkit.ops.models import utcnow
from vrkit.ops.plans.models import PlanAction, SnaActionLink, SnaEvidence, SnaItem
from vrkit.ops.roles import Principal

STATUSES: dict[str, str] = {
    "not_stated": "No status stated",
    "planned": "Planned",
    "commissioned": "Commissioned",
    "in_progress": "In progress",
    "in_delivery": "In delivery",
    "complete": "Complete",
    "escalated": "Raised with others",
}
ITEM_TYPES: dict[str, str] = {
    "sna_recommendation": "Recommendation",
    "research_commitment": "Research commitment",
    "priority_area": "Priority area",
    "research_strategy_goal": "Research strategy goal",
    "programme_of_work": "Programme of work",
    "homicide_review_recommendation": "Homicide review recommendation",
    "sna_effect": "Effect of the assessment",
    "commitment": "Commitment",
    "review_conclusion": "Review conclusion",
    "scope": "Scope",
}


@dataclass
class ItemRecord:
    """One item as read from a source (see :mod:`vrkit.sources.london_vru_plans`)."""

    ref: str
    section: str
    item_type: str
    label: str
    response: str = ""
    owner: str = ""
    status: str = "not_stated"
    status_stated: str = ""
    due: str = ""
    due_date: date | None = None
    related_programmes_stated: str = ""
    flags: list[str] = field(default_factory=list)
    note: str = ""
    source_ref: str = ""


def items(s: Session) -> list[SnaItem]:
    q = (
        select(SnaItem)
        .options(
            selectinload(SnaItem.evidence),
            selectinload(SnaItem.action_links)
            .selectinload(SnaActionLink.action)
            .selectinload(PlanAction.plan),
        )
        .order_by(SnaItem.ref)
    )
    return list(s.scalars(q).unique())


def get_item(s: Session, ref: str) -> SnaItem | None:
    return next((x for x in items(s) if x.ref == ref), None)


def import_items(
    s: Session,
    who: Principal,
    records: list[ItemRecord],
    *,
    programme_refs: dict[str, str] | None = None,
    source: str = "",
) -> dict[str, int]:
    """Insert or update items by ``ref`` (re-running changes nothing); the stated progress of
    each becomes its first evidence entry. ``programme_refs`` maps stated programme names to
    register refs (names the register does not know stay as stated text)."""
    created = updated = 0
    for r in records:
        item = s.scalar(select(SnaItem).where(SnaItem.ref == r.ref))
        if item is None:
            item = SnaItem(ref=r.ref)
            s.add(item)
            created += 1
        else:
            updated += 1
        for k in (
            "section",
            "item_type",
            "label",
            "response",
            "status",
            "status_stated",
            "due",
            "due_date",
            "related_programmes_stated",
            "flags",
            "note",
            "source_ref",
        ):
            setattr(item, k, getattr(r, k))
        if not item.owner:
            item.owner = r.owner
        names = [x.strip() for x in r.related_programmes_stated.split(";") if x.strip()]
        refs = [programme_refs[n] for n in names if programme_refs and n in programme_refs]
        item.programme_refs = sorted(set(item.programme_refs or []) | set(refs))
        item.updated_at = utcnow()
        item.updated_by = who.email
        s.flush()
        if r.response and not any(e.source_ref == r.source_ref for e in item.evidence):
            item.evidence.append(
                SnaEvidence(
                    text=r.response,
                    status=r.status,
                    recorded_by=who.email,
                    recorded_at=utcnow(),
                    source_ref=r.source_ref,
                )
            )
    s.flush()
    audit.record(
        s,
        who,
        "tracker_imported",
        target="tracker",
        detail={"source": source, "created": created, "updated": updated},
    )
    return {"created": created, "updated": updated}


def update_item(
    s: Session,
    who: Principal,
    item: SnaItem,
    *,
    owner: str | None = None,
    status: str | None = None,
    due_date: date | str | None = None,
    programme_refs: list[str] | None = None,
    ip: str | None = None,
) -> SnaItem:
    changed: dict[str, Any] = {}
    if owner is not None:
        item.owner = owner.strip()[:200]
        changed["owner"] = item.owner
    if status is not None:
        if status not in STATUSES:
            raise InputError(f"unknown status {status!r}", hint="One of: " + ", ".join(STATUSES))
        item.status = status
        changed["status"] = status
    if isinstance(due_date, str):
        try:
            due_date = date.fromisoformat(due_date) if due_date.strip() else None
        except ValueError:
            raise InputError("a due date is written YYYY-MM-DD") from None
        item.due_date = due_date
        changed["due_date"] = str(due_date) if due_date else None
    elif due_date is not None:
        item.due_date = due_date
        changed["due_date"] = str(due_date)
    if programme_refs is not None:
        item.programme_refs = sorted({r.strip().upper()[:40] for r in programme_refs if r.strip()})
        changed["programme_refs"] = item.programme_refs
    item.updated_at = utcnow()
    item.updated_by = who.email
    s.flush()
    audit.record(s, who, "tracker_changed", target=f"tracker/{item.ref}", ip=ip, detail=changed)
    return item


def add_evidence(
    s: Session,
    who: Principal,
    item: SnaItem,
    text: str,
    *,
    on: date | None = None,
    link: str | None = None,
    status: str | None = None,
    ip: str | None = None,
) -> SnaEvidence:
    """Evidence of progress; with a status, the item's status moves to it."""
    if not text.strip():
        raise InputError("evidence needs a description of what happened")
    if link and not link.startswith(("https://", "http://", "/")):
        raise InputError("a link must be a web address (https://...) or a page of this site")
    if status is not None and status not in STATUSES:
        raise InputError(f"unknown status {status!r}")
    ev = SnaEvidence(
        text=text.strip()[:4000],
        on=on,
        link=link or None,
        status=status,
        recorded_by=who.email,
        recorded_at=utcnow(),
    )
    item.evidence.append(ev)
    if status:
        item.status = status
    item.updated_at = utcnow()
    item.updated_by = who.email
    s.flush()
    audit.record(
        s,
        who,
        "tracker_changed",
        target=f"tracker/{item.ref}",
        ip=ip,
        detail={"evidence": ev.id, "status": status},
    )
    return ev


def link_action(
    s: Session,
    who: Principal,
    item: SnaItem,
    action_id: int,
    *,
    unlink: bool = False,
    ip: str | None = None,
) -> None:
    action = s.get(PlanAction, action_id)
    if action is None:
        raise InputError(f"no plan action {action_id}")
    existing = next((x for x in item.action_links if x.action_id == action_id), None)
    if unlink:
        if existing is not None:
            item.action_links.remove(existing)
    elif existing is None:
        item.action_links.append(SnaActionLink(action_id=action_id))
    s.flush()
    audit.record(
        s,
        who,
        "tracker_changed",
        target=f"tracker/{item.ref}",
        ip=ip,
        detail={"unlink" if unlink else "link": action_id},
    )

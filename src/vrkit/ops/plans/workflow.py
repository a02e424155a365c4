"""Local violence reduction action plans: writing, the review workflow and the public edition.

Workflow (who may move a plan, and when)::

    draft ──submit (CSP)──▶ submitted ──start review (VRU)──▶ in_review ──publish (VRU)──▶ published
                                              ▲                   │
                                              │          ask for changes (VRU, with comments)
                                   start review (VRU)             ▼
                                          revised ◀──resubmit (CSP)── changes_requested

The partnership edits its plan only in ``draft`` and ``changes_requested``. Submitting checks
the plan against the template (required fields, at least the minimum priorities and actions,
each action with an owner, theme, status and due date, a profile computed by vrkit). Every
change and every move is written to the audit log (``target`` = ``plan/<id>``) in the same
transaction; the plan page shows that history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vrkit.catalog.action_plans import Template, template
from vrkit.errors import InputError
from vrkit.ops import audit
from vrkit.ops.models import AuditEvent, utcnow
from vrkit.ops.plans.models import ActionPlan, PlanAction, PlanComment, PlanPriority
from vrkit.ops.plans.policy import PLANS_EDIT, PLANS_REVIEW
from vrkit.ops.roles import Principal

STATUSES: dict[str, str] = {
    "draft": "Draft",
    "submitted": "Submitted",
    "in_review": "In VRU review",
    "changes_requested": "Returned with comments",
    "revised": "Revised and resubmitted",
    "published": "Published",
}
EDITABLE = ("draft", "changes_requested")


@dataclass(frozen=True)
class Move:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    permission: str
    audit_action: str
    needs_comment: bool = False
    checks_complete: bool = False


MOVES: dict[str, Move] = {
    m.name: m
    for m in (
        Move(
            "submit",
            "Submit to the VRU",
            ("draft",),
            "submitted",
            PLANS_EDIT,
            "plan_submitted",
            checks_complete=True,
        ),
        Move(
            "start_review",
            "Start the review",
            ("submitted", "revised"),
            "in_review",
            PLANS_REVIEW,
            "plan_review_started",
        ),
        Move(
            "request_changes",
            "Return with comments",
            ("in_review",),
            "changes_requested",
            PLANS_REVIEW,
            "plan_changes_requested",
            needs_comment=True,
        ),
        Move(
            "resubmit",
            "Resubmit the revised plan",
            ("changes_requested",),
            "revised",
            PLANS_EDIT,
            "plan_revised",
            checks_complete=True,
        ),
        Move("publish", "Publish", ("in_review",), "published", PLANS_REVIEW, "plan_published"),
    )
}


def fy_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def target(plan: ActionPlan) -> str:
    return f"plan/{plan.id}"


def _plan_query() -> Any:
    return select(ActionPlan).options(
        selectinload(ActionPlan.priorities),
        selectinload(ActionPlan.actions),
        selectinload(ActionPlan.comments),
    )


def get_plan(s: Session, borough_code: str, year: int) -> ActionPlan | None:
    return s.scalar(
        _plan_query().where(ActionPlan.borough_code == borough_code, ActionPlan.year == year)
    )


def all_plans(s: Session, year: int | None = None) -> list[ActionPlan]:
    q = _plan_query().order_by(ActionPlan.year.desc(), ActionPlan.borough_name)
    if year is not None:
        q = q.where(ActionPlan.year == year)
    return list(s.scalars(q).unique())


def plan_years(s: Session) -> list[int]:
    return sorted({int(y) for y in s.scalars(select(ActionPlan.year))}, reverse=True)


def create_plan(
    s: Session,
    who: Principal,
    borough_code: str,
    borough_name: str,
    year: int,
    *,
    data_label: str = "",
    ip: str | None = None,
) -> ActionPlan:
    if get_plan(s, borough_code, year) is not None:
        raise InputError(f"{borough_name} already has a plan for {fy_label(year)}")
    t = template()
    plan = ActionPlan(
        borough_code=borough_code,
        borough_name=borough_name,
        year=year,
        template_id=t.id,
        template_version=t.version,
        status="draft",
        sections={},
        data_label=data_label,
        created_at=utcnow(),
        updated_at=utcnow(),
        updated_by=who.email,
    )
    s.add(plan)
    s.flush()
    audit.record(
        s,
        who,
        "plan_created",
        target=target(plan),
        ip=ip,
        detail={"borough": borough_code, "year": year},
    )
    return plan


def _editable(plan: ActionPlan) -> None:
    if plan.status not in EDITABLE:
        raise InputError(
            f"the plan is {STATUSES[plan.status].lower()}: it can be changed only as a draft or "
            "when the VRU has returned it with comments"
        )


def _check_version(plan: ActionPlan, base_version: int | None) -> None:
    if base_version is not None and plan.version != base_version:
        raise InputError(
            "the plan was changed by someone else since you opened it",
            hint="Open it again to see their change, then make yours.",
        )


def _touch(s: Session, who: Principal, plan: ActionPlan, what: str, ip: str | None) -> None:
    plan.updated_at = utcnow()
    plan.updated_by = who.email
    s.flush()
    audit.record(s, who, "plan_edited", target=target(plan), ip=ip, detail={"what": what})


def set_fields(
    s: Session,
    who: Principal,
    plan: ActionPlan,
    section_id: str,
    values: dict[str, str],
    *,
    base_version: int | None = None,
    ip: str | None = None,
) -> None:
    """Write one section's fields (unknown fields refused; numbers and dates checked)."""
    _editable(plan)
    _check_version(plan, base_version)
    sec = template().section(section_id)
    known = {f.id: f for f in sec.fields}
    out = dict((plan.sections or {}).get(section_id, {}))
    for k, v in values.items():
        if k not in known:
            raise InputError(f"section {section_id!r} has no field {k!r}")
        v = v.strip()
        f = known[k]
        if v and f.type == "number":
            try:
                float(v.replace(",", ""))
            except ValueError:
                raise InputError(f"{f.label}: not a number ({v!r})") from None
        if v and f.type == "date":
            try:
                date.fromisoformat(v)
            except ValueError:
                raise InputError(f"{f.label}: not a date (write YYYY-MM-DD)") from None
        if v and f.type == "choice" and v not in f.choices:
            raise InputError(f"{f.label}: choose one of {', '.join(f.choices)}")
        out[k] = v
    plan.sections = {**(plan.sections or {}), section_id: out}
    _touch(s, who, plan, f"section {section_id}", ip)


def add_priority(
    s: Session,
    who: Principal,
    plan: ActionPlan,
    title: str,
    rationale: str = "",
    *,
    ip: str | None = None,
) -> PlanPriority:
    _editable(plan)
    if not title.strip():
        raise InputError("a priority needs a title")
    p = PlanPriority(
        title=title.strip()[:300], rationale=rationale.strip(), position=len(plan.priorities)
    )
    plan.priorities.append(p)
    _touch(s, who, plan, "priority added", ip)
    return p


def remove_priority(
    s: Session, who: Principal, plan: ActionPlan, priority_id: int, *, ip: str | None = None
) -> None:
    _editable(plan)
    p = next((x for x in plan.priorities if x.id == priority_id), None)
    if p is None:
        raise InputError("this plan has no such priority")
    for a in plan.actions:
        if a.priority_id == priority_id:
            a.priority_id = None
    plan.priorities.remove(p)
    _touch(s, who, plan, "priority removed", ip)


def _action_fields(t: Template, plan: ActionPlan, f: dict[str, Any]) -> dict[str, Any]:
    themes = dict(t.themes)
    statuses = dict(t.action_statuses)
    title = str(f.get("title", "")).strip()
    owner = str(f.get("owner", "")).strip()
    theme = str(f.get("theme", "")).strip()
    status = str(f.get("status", "not_started")).strip() or "not_started"
    problems = []
    if not title:
        problems.append("a title")
    if not owner:
        problems.append("an owner (a role or an organisation)")
    if theme not in themes:
        problems.append("a theme from the template")
    if status not in statuses:
        problems.append("a status from the template")
    due = f.get("due_date")
    if isinstance(due, str):
        due = due.strip()
        try:
            due = date.fromisoformat(due) if due else None
        except ValueError:
            problems.append("a due date written YYYY-MM-DD")
            due = None
    if problems:
        raise InputError("an action needs " + ", ".join(problems))
    pid = f.get("priority_id")
    if pid in ("", None):
        pid = None
    else:
        pid = int(pid)
        if pid not in {p.id for p in plan.priorities}:
            raise InputError("the action's priority is not one of this plan's")

    def listed(v: Any) -> list[str]:
        if isinstance(v, str):
            v = [x for x in (y.strip() for y in v.replace("\n", ";").split(";")) if x]
        return [str(x)[:200] for x in (v or [])]

    return {
        "title": title[:300],
        "description": str(f.get("description", "")).strip(),
        "owner": owner[:200],
        "theme": theme,
        "status": status,
        "due_date": due,
        "priority_id": pid,
        "partners": listed(f.get("partners")),
        "programme_refs": [x.upper()[:40] for x in listed(f.get("programme_refs"))],
        "measures": listed(f.get("measures")),
    }


def add_action(
    s: Session, who: Principal, plan: ActionPlan, fields: dict[str, Any], *, ip: str | None = None
) -> PlanAction:
    _editable(plan)
    vals = _action_fields(template(), plan, fields)
    a = PlanAction(position=len(plan.actions), updated_at=utcnow(), **vals)
    plan.actions.append(a)
    _touch(s, who, plan, "action added", ip)
    return a


def update_action(
    s: Session,
    who: Principal,
    plan: ActionPlan,
    action_id: int,
    fields: dict[str, Any],
    *,
    ip: str | None = None,
) -> PlanAction:
    """Change an action. Its status may be updated in any state (progress is reported on
    published plans too); other fields only while the plan is editable."""
    a = next((x for x in plan.actions if x.id == action_id), None)
    if a is None:
        raise InputError("this plan has no such action")
    if set(fields) - {"status"}:
        _editable(plan)
        vals = _action_fields(template(), plan, fields)
    else:
        vals = {"status": _action_fields(template(), plan, _as_fields(a) | fields)["status"]}
    for k, v in vals.items():
        setattr(a, k, v)
    a.updated_at = utcnow()
    _touch(s, who, plan, f"action {action_id}", ip)
    return a


def _as_fields(a: PlanAction) -> dict[str, Any]:
    return {
        "title": a.title,
        "description": a.description,
        "owner": a.owner,
        "theme": a.theme,
        "status": a.status,
        "due_date": a.due_date,
        "priority_id": a.priority_id,
        "partners": a.partners,
        "programme_refs": a.programme_refs,
        "measures": a.measures,
    }


def remove_action(
    s: Session, who: Principal, plan: ActionPlan, action_id: int, *, ip: str | None = None
) -> None:
    _editable(plan)
    a = next((x for x in plan.actions if x.id == action_id), None)
    if a is None:
        raise InputError("this plan has no such action")
    plan.actions.remove(a)
    _touch(s, who, plan, "action removed", ip)


def set_profile(
    s: Session,
    who: Principal,
    plan: ActionPlan,
    full: dict[str, Any],
    public: dict[str, Any],
    *,
    ip: str | None = None,
) -> None:
    """Store a freshly computed profile (both editions). Allowed in any state but published:
    a published plan keeps the profile it was published with."""
    if plan.status == "published" and plan.profile_full is not None:
        raise InputError("a published plan keeps the profile it was published with")
    plan.profile_full = full
    plan.profile_public = public
    plan.profile_refreshed_at = utcnow()
    plan.profile_refreshed_by = who.email
    s.flush()
    audit.record(
        s,
        who,
        "plan_profile_refreshed",
        target=target(plan),
        ip=ip,
        detail={"data_version": full.get("data_version")},
    )


def problems(plan: ActionPlan) -> list[str]:
    """What stops the plan being submitted (empty: complete)."""
    t = template()
    out = []
    for sec in t.sections:
        vals = (plan.sections or {}).get(sec.id, {})
        for f in sec.fields:
            if f.required and not str(vals.get(f.id, "")).strip():
                out.append(f"{sec.title}: “{f.label}” is required")
        if sec.kind == "priorities" and len(plan.priorities) < sec.min_items:
            out.append(f"{sec.title}: at least {sec.min_items} needed")
        if sec.kind == "actions":
            if len(plan.actions) < sec.min_items:
                out.append(f"{sec.title}: at least {sec.min_items} needed")
            for a in plan.actions:
                if a.due_date is None:
                    out.append(f"Action “{a.title}”: a due date is required")
        if sec.kind == "profile" and not plan.profile_full:
            out.append(f"{sec.title}: refresh it from vrkit before submitting")
    return out


def move(
    s: Session,
    who: Principal,
    plan: ActionPlan,
    name: str,
    *,
    comment: str = "",
    ip: str | None = None,
    require_profile: bool = True,
) -> ActionPlan:
    """Take one workflow step (see the module docstring). ``require_profile=False`` lets a
    DEMO plan move before its profile is computed (``make serve`` computes it in the job queue
    after start); real plans always need it."""
    m = MOVES.get(name)
    if m is None:
        raise InputError(f"unknown step {name!r}", hint="One of: " + ", ".join(MOVES))
    if not who.has(m.permission):
        raise InputError(f"your role cannot {m.label.lower()}")
    if plan.status not in m.sources:
        raise InputError(
            f"a plan that is {STATUSES[plan.status].lower()} cannot be moved by “{m.label}”"
        )
    if m.needs_comment and not comment.strip():
        raise InputError("say what needs to change: a comment is required")
    if m.checks_complete:
        todo = problems(plan)
        if not require_profile:
            todo = [x for x in todo if "refresh it from vrkit" not in x]
        if todo:
            raise InputError("the plan is not complete: " + "; ".join(todo[:8]))
    if name == "publish" and not plan.profile_public and require_profile:
        raise InputError("the plan has no public edition of its profile: refresh it first")
    before = plan.status
    if comment.strip():
        plan.comments.append(
            PlanComment(
                author=who.email,
                author_role=who.role,
                body=comment.strip()[:8000],
                status_at=before,
                created_at=utcnow(),
            )
        )
    plan.status = m.target
    now = utcnow()
    if m.target in ("submitted", "revised"):
        plan.submitted_at = now
    if m.target == "published":
        plan.published_at = now
        plan.published_by = who.email
    plan.updated_at = now
    plan.updated_by = who.email
    s.flush()
    audit.record(
        s, who, m.audit_action, target=target(plan), ip=ip, detail={"from": before, "to": m.target}
    )
    return plan


def add_comment(
    s: Session,
    who: Principal,
    plan: ActionPlan,
    body: str,
    *,
    section_id: str | None = None,
    ip: str | None = None,
) -> PlanComment:
    if not body.strip():
        raise InputError("a comment cannot be empty")
    if section_id:
        template().section(section_id)
    c = PlanComment(
        author=who.email,
        author_role=who.role,
        body=body.strip()[:8000],
        section_id=section_id or None,
        status_at=plan.status,
        created_at=utcnow(),
    )
    plan.comments.append(c)
    s.flush()
    audit.record(s, who, "plan_comment", target=target(plan), ip=ip, detail={"section": section_id})
    return c


def history(s: Session, plan: ActionPlan) -> list[AuditEvent]:
    """Who did what to the plan and when, from the audit log (oldest first)."""
    q = (
        select(AuditEvent)
        .where(AuditEvent.target == target(plan))
        .where(AuditEvent.action.like("plan_%"))
        .order_by(AuditEvent.id)
    )
    return list(s.scalars(q))


def is_overdue(a: PlanAction, today: date | None = None) -> bool:
    today = today or date.today()
    return (
        a.due_date is not None and a.due_date < today and a.status not in ("complete", "cancelled")
    )

"""The append-only audit log: who, role, scope, what, when, outcome.

Written for every sign-in, failed sign-in, read of non-public data (page or API), download,
upload and permission change. Rows are only ever inserted: the database refuses UPDATE and
DELETE on ``audit_event`` (triggers in the first migration), and this module has no function
that changes a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vrkit.ops.models import AuditEvent, utcnow
from vrkit.ops.roles import Principal

#: actions written to the log (the audit viewer offers them as a filter)
ACTIONS: dict[str, str] = {
    "sign_in": "Signed in",
    "sign_in_failed": "Failed sign-in",
    "sign_out": "Signed out",
    "account_locked": "Account locked after failed sign-ins",
    "password_changed": "Password changed",
    "read": "Read non-public data",
    "download": "Downloaded a file",
    "upload": "Uploaded a file",
    "denied": "Access denied",
    "user_created": "User created",
    "user_changed": "User role, scope or status changed",
    "organisation_changed": "Organisation created or changed",
    "password_reset": "Initial password set by an administrator",
    "token_created": "API token created",
    "token_revoked": "API token revoked",
    "audit_read": "Audit log read",
}


def record(
    s: Session,
    who: Principal,
    action: str,
    *,
    target: str = "",
    outcome: str = "ok",
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
    email: str | None = None,
) -> AuditEvent:
    """Append one event (in the caller's transaction)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    ev = AuditEvent(
        at=utcnow(),
        user_id=who.user_id,
        user_email=email or who.email,
        role=who.role,
        scope=who.scope_text[:400],
        action=action,
        target=target[:1000],
        outcome=outcome,
        ip=ip,
        detail=detail,
    )
    s.add(ev)
    return ev


@dataclass(frozen=True)
class AuditFilter:
    user: str | None = None  # email, exact or prefix
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    target: str | None = None  # substring


def query(
    s: Session, f: AuditFilter, *, offset: int = 0, limit: int = 50
) -> tuple[int, list[AuditEvent]]:
    """Events matching ``f``, newest first, and how many match in all."""
    q = select(AuditEvent)
    if f.user:
        q = q.where(AuditEvent.user_email.like(f.user.replace("%", "") + "%"))
    if f.action:
        q = q.where(AuditEvent.action == f.action)
    if f.outcome:
        q = q.where(AuditEvent.outcome == f.outcome)
    if f.since:
        q = q.where(AuditEvent.at >= f.since)
    if f.until:
        q = q.where(AuditEvent.at < f.until)
    if f.target:
        q = q.where(AuditEvent.target.contains(f.target.replace("%", "")))
    total = s.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = s.scalars(q.order_by(AuditEvent.id.desc()).offset(offset).limit(limit)).all()
    return int(total), list(rows)

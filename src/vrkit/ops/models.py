"""SQLAlchemy models of the operational database (one Alembic revision chain in ``migrations/``).

Later features add their own tables here (programmes, money, directory, plans) with a new Alembic
revision; the audit log, users and scopes are shared by all of them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

#: SQLite has no 64-bit autoincrement through BigInteger; use INTEGER there
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every operational table."""


class InstanceSecret(Base):
    """Random per-installation key material generated at first migration (never in the repo):
    signs CSRF tokens when ``VRKIT_SECRET_KEY`` is not set."""

    __tablename__ = "instance_secret"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Organisation(Base):
    """A partner organisation (a CSP, the police, an NHS trust, the VRU...)."""

    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), default="partner")
    #: an external identifier (ODS code, GSS code, charity number, 360Giving org id)
    identifier: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    users: Mapped[list[User]] = relationship(back_populates="organisation")


class User(Base):
    """A person who signs in. ``role`` names a role of :mod:`vrkit.ops.roles`."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: bumped on role/scope/password changes: sessions and tokens issued before are re-checked
    version: Mapped[int] = mapped_column(Integer, default=1)
    organisation: Mapped[Organisation | None] = relationship(back_populates="users")
    scopes: Mapped[list[Scope]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Scope.id"
    )


class Scope(Base):
    """One unit of a user's area scope: ``kind`` (``borough``, ``department``, later
    ``organisation``...) and a ``code`` (GSS code, ODS site code, organisation id)."""

    __tablename__ = "user_scope"
    __table_args__ = (UniqueConstraint("user_id", "kind", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(40))
    user: Mapped[User] = relationship(back_populates="scopes")


class ApiToken(Base):
    """A per-user API token. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: first characters, shown in lists so a user can tell tokens apart
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    user: Mapped[User] = relationship()


class WebSession(Base):
    """A signed-in browser session (server side; the cookie holds a random id whose SHA-256 is
    the key). Idle and absolute timeouts are checked on every request."""

    __tablename__ = "web_session"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """One row of the append-only audit log (UPDATE and DELETE are refused by triggers)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_at", "at"),
        Index("ix_audit_user", "user_id"),
        Index("ix_audit_action", "action"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(Integer)  # no FK: the log outlives users
    user_email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(40))
    #: the scope in force, as text (``borough:E09000022``; ``all``; ``none``)
    scope: Mapped[str] = mapped_column(String(400), default="")
    action: Mapped[str] = mapped_column(String(60))
    #: what was acted on: route path, resource id, area, edition
    target: Mapped[str] = mapped_column(String(1000), default="")
    outcome: Mapped[str] = mapped_column(String(20))  # ok | denied | failed | error
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Submission(Base):
    """An ISTV file uploaded through the portal: who, which department and month, the stored
    file's content hash, the validation result and its job. Re-submissions of a department-month
    are revisions (``revision`` counts up; the warehouse keeps the newest)."""

    __tablename__ = "istv_upload"
    __table_args__ = (Index("ix_upload_site_month", "site_code", "month"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    site_code: Mapped[str | None] = mapped_column(String(12))
    month: Mapped[str | None] = mapped_column(String(7))  # YYYY-MM
    revision: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    file_type: Mapped[str] = mapped_column(String(10))  # csv | xlsx
    #: queued | running | loaded | rejected | unchanged | error
    status: Mapped[str] = mapped_column(String(20), default="queued")
    #: validation result: rows read/loaded/rejected, rejections by row and field (no values)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    dataset_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Job(Base):
    """A unit of work for the server's job queue (the one writer to the warehouse)."""

    __tablename__ = "job"
    __table_args__ = (Index("ix_job_status", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # istv_upload | ingest
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued|running|done|failed
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    message: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(Integer)

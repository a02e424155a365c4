"""Tables of the local violence reduction action plans and of the Strategic Needs Assessment
tracker (issue #17). Created by the Alembic revision ``0003_directory_plans``.

Links to the programme register are by programme ``ref`` (the register's stable key), so they
hold whether or not the register is installed (see :mod:`vrkit.ops.programme_links`).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vrkit.ops.models import Base, UtcDateTime, utcnow


class ActionPlan(Base):
    """One Community Safety Partnership's plan for one financial year (``year`` 2021 = 2021/22).

    ``status``: draft → submitted → in_review → changes_requested → revised → in_review →
    published (see :mod:`vrkit.ops.plans.workflow`). ``sections`` holds the narrative fields by
    section and field id. The local violence profile is a snapshot computed by vrkit, kept in two
    editions (``profile_full`` and the disclosure-controlled ``profile_public``)."""

    __tablename__ = "action_plan"
    __table_args__ = (UniqueConstraint("borough_code", "year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    borough_code: Mapped[str] = mapped_column(String(9))
    borough_name: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    template_id: Mapped[str] = mapped_column(String(60))
    template_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(30), default="draft")
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    profile_full: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    profile_public: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    profile_refreshed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    profile_refreshed_by: Mapped[str | None] = mapped_column(String(254))
    data_label: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254))
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    published_by: Mapped[str | None] = mapped_column(String(254))
    version: Mapped[int] = mapped_column(Integer, default=1)
    priorities: Mapped[list[PlanPriority]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanPriority.position"
    )
    actions: Mapped[list[PlanAction]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanAction.position"
    )
    comments: Mapped[list[PlanComment]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanComment.id"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class PlanPriority(Base):
    __tablename__ = "plan_priority"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    rationale: Mapped[str] = mapped_column(Text, default="")
    plan: Mapped[ActionPlan] = relationship(back_populates="priorities")


class PlanAction(Base):
    """An action: owner (a role or organisation), partners, due date, status, theme, linked
    programmes (refs) and measures (warehouse measure ids or described measures)."""

    __tablename__ = "plan_action"
    __table_args__ = (Index("ix_plan_action_plan", "plan_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id", ondelete="CASCADE"))
    priority_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_priority.id", ondelete="SET NULL")
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[str] = mapped_column(String(60))
    owner: Mapped[str] = mapped_column(String(200))
    partners: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    programme_refs: Mapped[list[str]] = mapped_column(JSON, default=list)
    measures: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    plan: Mapped[ActionPlan] = relationship(back_populates="actions")


class PlanComment(Base):
    """A reviewer's (or the partnership's) comment on a plan, optionally on one section."""

    __tablename__ = "plan_comment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plan.id", ondelete="CASCADE"))
    section_id: Mapped[str | None] = mapped_column(String(60))
    author: Mapped[str | None] = mapped_column(String(254))
    author_role: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    #: the plan status when the comment was made (review round)
    status_at: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    plan: Mapped[ActionPlan] = relationship(back_populates="comments")


class SnaItem(Base):
    """A Strategic Needs Assessment recommendation, research commitment or priority area, with
    its owner, status and the evidence of progress; ``status_stated`` keeps the source's words
    and ``status`` the controlled value."""

    __tablename__ = "sna_item"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    section: Mapped[str] = mapped_column(String(100), default="")
    item_type: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(Text)
    response: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(30), default="not_stated")
    status_stated: Mapped[str] = mapped_column(Text, default="")
    due: Mapped[str] = mapped_column(String(200), default="")
    due_date: Mapped[date | None] = mapped_column(Date)
    related_programmes_stated: Mapped[str] = mapped_column(Text, default="")
    programme_refs: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: flags the source raises: "duplicate", "inconsistent date"...
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    source_ref: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254))
    evidence: Mapped[list[SnaEvidence]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="SnaEvidence.id"
    )
    action_links: Mapped[list[SnaActionLink]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="SnaActionLink.id"
    )


class SnaEvidence(Base):
    """Evidence of progress on an item: what, when, by whom, and the status it supports."""

    __tablename__ = "sna_evidence"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("sna_item.id", ondelete="CASCADE"))
    on: Mapped[date | None] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str | None] = mapped_column(String(30))
    recorded_by: Mapped[str | None] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    source_ref: Mapped[str] = mapped_column(String(200), default="")
    item: Mapped[SnaItem] = relationship(back_populates="evidence")


class SnaActionLink(Base):
    """An SNA item served by an action of a local plan."""

    __tablename__ = "sna_action_link"
    __table_args__ = (UniqueConstraint("item_id", "action_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("sna_item.id", ondelete="CASCADE"))
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_action.id", ondelete="CASCADE"))
    item: Mapped[SnaItem] = relationship(back_populates="action_links")
    action: Mapped[PlanAction] = relationship()

"""Tables of the delivery side (issue #15), on the operational database's declarative base.

Organisations are the portal's :class:`~vrkit.ops.models.Organisation` (``identifier`` holds a
360Giving organisation id such as ``GB-CHC-1234567``). Money columns end in ``_pence`` and are
integers; nothing is a float. Created by the Alembic revision ``0002_delivery``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vrkit.ops.models import Base, Organisation, UtcDateTime, utcnow


class FundingSource(Base):
    """Where money comes from (Home Office, Mayoral core...), with the funder's rule."""

    __tablename__ = "funding_source"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    funder_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    #: money not spent by 31 March is lost: no reprofiling into a later year
    must_spend_in_year: Mapped[bool] = mapped_column(Boolean, default=False)
    rule: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Budget(Base):
    """The budget of a funding source for a financial year (``amount_pence`` None: stated to
    exist but no amount given — never zero)."""

    __tablename__ = "budget"
    __table_args__ = (UniqueConstraint("funding_source_id", "financial_year"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    funding_source_id: Mapped[int] = mapped_column(ForeignKey("funding_source.id"))
    financial_year: Mapped[int] = mapped_column(Integer)
    amount_pence: Mapped[int | None] = mapped_column(BigInteger)
    #: confirmed | committed | published | indicative | not stated
    basis: Mapped[str] = mapped_column(String(20), default="confirmed")
    note: Mapped[str] = mapped_column(Text, default="")
    source_ref: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    source: Mapped[FundingSource] = relationship()


class ThemeAllocation(Base):
    """The year's budget planned by theme (the published "expenditure by theme" table)."""

    __tablename__ = "theme_allocation"
    __table_args__ = (UniqueConstraint("financial_year", "theme"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    financial_year: Mapped[int] = mapped_column(Integer)
    theme: Mapped[str] = mapped_column(String(40))
    amount_pence: Mapped[int | None] = mapped_column(BigInteger)
    basis: Mapped[str] = mapped_column(String(20), default="confirmed")
    note: Mapped[str] = mapped_column(Text, default="")
    source_ref: Mapped[str] = mapped_column(String(200), default="")


class Programme(Base):
    """A programme or project in the register. ``version`` is the optimistic lock: a save
    names the version it started from and is refused if another save came first."""

    __tablename__ = "programme"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(120), default="programme")
    description: Mapped[str] = mapped_column(Text, default="")
    theme: Mapped[str] = mapped_column(String(40))
    #: strategy objective numbers served (1-8)
    objectives: Mapped[list[int]] = mapped_column(JSON, default=list)
    objectives_inferred: Mapped[bool] = mapped_column(Boolean, default=False)
    target_cohort: Mapped[str] = mapped_column(Text, default="")
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    #: places served: [{"kind": "borough|ward|custody_suite|school|area", "code": ..., "name": ...}]
    places: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    #: the period as the source states it, when it gives no dates
    period_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    #: False for context rows (e.g. police funding named in a report, not the unit's programme)
    in_portfolio: Mapped[bool] = mapped_column(Boolean, default=True)
    evidence_approach: Mapped[str] = mapped_column(Text, default="")
    evaluation_status: Mapped[str] = mapped_column(String(20), default="not stated")
    evaluation_text: Mapped[str] = mapped_column(Text, default="")
    reach_stated: Mapped[str] = mapped_column(Text, default="")
    outcomes_stated: Mapped[str] = mapped_column(Text, default="")
    economics: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    source_ref: Mapped[str] = mapped_column(String(200), default="")
    #: "" for real data, "SYNTHETIC" for generated data (shown wherever it appears)
    data_label: Mapped[str] = mapped_column(String(20), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254))
    organisations: Mapped[list[ProgrammeOrganisation]] = relationship(
        back_populates="programme", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ProgrammeOrganisation(Base):
    """An organisation's part in a programme: ``lead`` or ``delivery`` (both see its returns)."""

    __tablename__ = "programme_organisation"
    __table_args__ = (UniqueConstraint("programme_id", "organisation_id", "role"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    role: Mapped[str] = mapped_column(String(20), default="lead")
    programme: Mapped[Programme] = relationship(back_populates="organisations")
    organisation: Mapped[Organisation] = relationship()


class GrantAward(Base):
    """An award (a 360Giving grant): who received how much from which source, when."""

    __tablename__ = "grant_award"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the 360Giving grant identifier (prefix + internal id)
    ref: Mapped[str] = mapped_column(String(200), unique=True)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id", ondelete="SET NULL")
    )
    recipient_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    funder_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    funding_source_id: Mapped[int | None] = mapped_column(ForeignKey("funding_source.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    amount_pence: Mapped[int | None] = mapped_column(BigInteger)
    award_date: Mapped[date | None] = mapped_column(Date)
    planned_start: Mapped[date | None] = mapped_column(Date)
    planned_end: Mapped[date | None] = mapped_column(Date)
    grant_programme: Mapped[str] = mapped_column(String(300), default="")
    beneficiary_location: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source_ref: Mapped[str] = mapped_column(String(200), default="")
    data_label: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class _QuarterAmount:
    """Columns shared by profiles, spend and forecasts: programme × source × year × quarter."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    funding_source_id: Mapped[int] = mapped_column(ForeignKey("funding_source.id"))
    financial_year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    amount_pence: Mapped[int] = mapped_column(BigInteger)


def _quarter_key() -> tuple[Any, ...]:
    return (UniqueConstraint("programme_id", "funding_source_id", "financial_year", "quarter"),)


class Commitment(_QuarterAmount, Base):
    """A programme's committed budget (its spend profile) for a source, year and quarter."""

    __tablename__ = "commitment"
    __table_args__ = (*_quarter_key(), Index("ix_commitment_year", "financial_year"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Spend(_QuarterAmount, Base):
    """Actual spend of a programme from a source in a quarter (the current figure; every change
    is in the audit log). ``origin``: ``import``, ``manual`` or ``return:<id>``."""

    __tablename__ = "spend_actual"
    __table_args__ = (*_quarter_key(), Index("ix_spend_year", "financial_year"))
    origin: Mapped[str] = mapped_column(String(40), default="manual")
    recorded_by: Mapped[str | None] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Forecast(_QuarterAmount, Base):
    """Expected spend for a quarter not yet reported (replaces the profile in the outturn)."""

    __tablename__ = "spend_forecast"
    __table_args__ = _quarter_key()
    recorded_by: Mapped[str | None] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Reprofile(Base):
    """A recorded change moving committed budget between quarters, years or programmes.

    Its lines add up to zero. It changes nothing until approved (by someone other than the
    person who proposed it); an approved reprofile can be reversed, with a reason. The profile in
    force is the commitments plus every approved, unreversed reprofile, so a reversal restores
    the earlier figures exactly and the history stays in these rows and the audit log.
    """

    __tablename__ = "reprofile"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    #: proposed | approved | rejected | reversed
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    requested_by: Mapped[str] = mapped_column(String(254))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(254))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    reversed_by: Mapped[str | None] = mapped_column(String(254))
    reversed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reverse_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    lines: Mapped[list[ReprofileLine]] = relationship(
        back_populates="reprofile", cascade="all, delete-orphan", order_by="ReprofileLine.id"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ReprofileLine(Base):
    __tablename__ = "reprofile_line"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reprofile_id: Mapped[int] = mapped_column(ForeignKey("reprofile.id", ondelete="CASCADE"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    funding_source_id: Mapped[int] = mapped_column(ForeignKey("funding_source.id"))
    financial_year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    delta_pence: Mapped[int] = mapped_column(BigInteger)
    reprofile: Mapped[Reprofile] = relationship(back_populates="lines")


class ProgrammeMeasure(Base):
    """A programme-specific output measure (in addition to the standard ones)."""

    __tablename__ = "programme_measure"
    __table_args__ = (UniqueConstraint("programme_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(300))


class Target(Base):
    """A target for an output measure in a financial year: of one programme, or of a portfolio
    (every programme, or those funded by one source). ``stated_value`` holds an achievement the
    source states when vrkit has no returns to compute it from (shown as stated, not computed).
    """

    __tablename__ = "delivery_target"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    funding_source_id: Mapped[int | None] = mapped_column(ForeignKey("funding_source.id"))
    measure_code: Mapped[str] = mapped_column(String(60))
    financial_year: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(300), default="")
    target_value: Mapped[int] = mapped_column(BigInteger)
    due: Mapped[str] = mapped_column(String(100), default="")
    stated_value: Mapped[int | None] = mapped_column(BigInteger)
    stated_as_of: Mapped[str] = mapped_column(String(100), default="")
    source_ref: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class MonitoringReturn(Base):
    """One submitted quarterly return of a programme. Re-submissions are new revisions; the
    newest is ``current`` and earlier ones ``superseded`` (kept, never deleted)."""

    __tablename__ = "monitoring_return"
    __table_args__ = (
        UniqueConstraint("programme_id", "financial_year", "quarter", "revision"),
        Index("ix_return_programme", "programme_id", "financial_year", "quarter"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programme.id", ondelete="CASCADE"))
    financial_year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="current")
    template_version: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(200), default="")
    submitted_by: Mapped[str | None] = mapped_column(String(254))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    contact: Mapped[str] = mapped_column(String(200), default="")
    comments: Mapped[str] = mapped_column(Text, default="")
    data_label: Mapped[str] = mapped_column(String(20), default="")
    values: Mapped[list[ReturnValue]] = relationship(
        back_populates="ret", cascade="all, delete-orphan"
    )
    reach: Mapped[list[ReturnReach]] = relationship(
        back_populates="ret", cascade="all, delete-orphan"
    )
    spend: Mapped[list[ReturnSpend]] = relationship(
        back_populates="ret", cascade="all, delete-orphan"
    )


class ReturnValue(Base):
    __tablename__ = "return_value"
    __table_args__ = (UniqueConstraint("return_id", "measure_code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("monitoring_return.id", ondelete="CASCADE"))
    measure_code: Mapped[str] = mapped_column(String(60))
    value: Mapped[int] = mapped_column(BigInteger)
    ret: Mapped[MonitoringReturn] = relationship(back_populates="values")


class ReturnReach(Base):
    __tablename__ = "return_reach"
    __table_args__ = (UniqueConstraint("return_id", "dimension", "category"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("monitoring_return.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(100))
    count: Mapped[int] = mapped_column(BigInteger)
    ret: Mapped[MonitoringReturn] = relationship(back_populates="reach")


class ReturnSpend(Base):
    __tablename__ = "return_spend"
    __table_args__ = (UniqueConstraint("return_id", "funding_source_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("monitoring_return.id", ondelete="CASCADE"))
    funding_source_id: Mapped[int] = mapped_column(ForeignKey("funding_source.id"))
    amount_pence: Mapped[int] = mapped_column(BigInteger)
    ret: Mapped[MonitoringReturn] = relationship(back_populates="spend")


class StatedFigure(Base):
    """A headline figure a published source states (the report's snapshot box), kept with how it
    was printed and where; reports compare it with what vrkit computes."""

    __tablename__ = "stated_figure"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    financial_year: Mapped[int | None] = mapped_column(Integer)
    figure_group: Mapped[str] = mapped_column(String(60))
    metric: Mapped[str] = mapped_column(String(300))
    value: Mapped[Any] = mapped_column(Numeric(20, 4))
    unit: Mapped[str] = mapped_column(String(60), default="")
    as_printed: Mapped[str] = mapped_column(String(100), default="")
    period: Mapped[str] = mapped_column(String(100), default="")
    source_ref: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class LogicModel(Base):
    """One version of a logic model. Versions are never edited: a change is a new version."""

    __tablename__ = "logic_model"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    nodes: Mapped[list[LogicNode]] = relationship(
        back_populates="model", cascade="all, delete-orphan", order_by="LogicNode.position"
    )
    links: Mapped[list[LogicLink]] = relationship(
        back_populates="model", cascade="all, delete-orphan", order_by="LogicLink.id"
    )


class LogicNode(Base):
    """A node: an intervention, objective (2–3 years), outcome (5 years), impact or aim."""

    __tablename__ = "logic_node"
    __table_args__ = (UniqueConstraint("model_id", "code"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("logic_model.id", ondelete="CASCADE"))
    level: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(Text)
    timeframe: Mapped[str] = mapped_column(String(40), default="")
    #: strategy objective number this node stands for (objectives), for programme roll-up
    objective_number: Mapped[int | None] = mapped_column(Integer)
    programme_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[LogicModel] = relationship(back_populates="nodes")
    indicators: Mapped[list[LogicIndicator]] = relationship(
        back_populates="node", cascade="all, delete-orphan", order_by="LogicIndicator.id"
    )


class LogicLink(Base):
    """A link between two nodes, with its basis (stated, or inferred and marked so)."""

    __tablename__ = "logic_link"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("logic_model.id", ondelete="CASCADE"))
    from_code: Mapped[str] = mapped_column(String(40))
    to_code: Mapped[str] = mapped_column(String(40))
    basis: Mapped[str] = mapped_column(Text, default="")
    inferred: Mapped[bool] = mapped_column(Boolean, default=False)
    model: Mapped[LogicModel] = relationship(back_populates="links")


class LogicIndicator(Base):
    """An indicator of a node: ``warehouse`` (a measure in the warehouse, e.g.
    ``measure:violence_with_injury``), ``outputs`` (programme outputs rolled up, e.g.
    ``people_reached_new``) or ``local`` (a local indicator still to be set)."""

    __tablename__ = "logic_indicator"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("logic_node.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    ref: Mapped[str] = mapped_column(String(120))
    label: Mapped[str] = mapped_column(String(300))
    direction: Mapped[str] = mapped_column(String(10), default="down")
    node: Mapped[LogicNode] = relationship(back_populates="indicators")


__all__ = [
    "Budget",
    "Commitment",
    "Forecast",
    "FundingSource",
    "GrantAward",
    "LogicIndicator",
    "LogicLink",
    "LogicModel",
    "LogicNode",
    "MonitoringReturn",
    "Programme",
    "ProgrammeMeasure",
    "ProgrammeOrganisation",
    "Reprofile",
    "ReprofileLine",
    "ReturnReach",
    "ReturnSpend",
    "ReturnValue",
    "StatedFigure",
    "Target",
]

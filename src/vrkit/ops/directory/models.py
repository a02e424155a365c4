"""Tables of the diversion directory (issue #17), in Open Referral UK (HSDS 3, UK profile) shape.

Every record that the standard gives an id keeps it: a UUID string, so that an import followed
by an export gives the same ids (round trip). vrkit adds what the standard has no field for:
where a location lies (borough and ward codes, derived from its coordinates), whether a service
is published, the restricted referral details that only police and partnership users see, links
to the programme register (by programme ``ref``), proposed changes awaiting review, and referral
counts per month. Created by the Alembic revision ``0003_directory_plans``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vrkit.ops.models import Base, Organisation, UtcDateTime, utcnow

Uuid = String(36)


class DirOrganisation(Base):
    """An ORUK organization; ``portal_organisation_id`` ties it to the portal organisation whose
    provider users may edit its services."""

    __tablename__ = "dir_organisation"
    id: Mapped[str] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(500))
    uri: Mapped[str | None] = mapped_column(String(500))
    #: ORUK organization_identifiers as given (charity/company numbers, 360Giving ids)
    identifiers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    portal_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )
    #: "" for real data, "SYNTHETIC" for generated records (shown wherever they appear)
    data_label: Mapped[str] = mapped_column(String(20), default="")
    #: ORUK fields vrkit does not model (logo, parent, attributes...), kept as given
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    portal_organisation: Mapped[Organisation | None] = relationship()


class DirService(Base):
    """An ORUK service, with vrkit's publication state and restricted referral details.

    ``state``: ``published`` (the public sees it), ``pending`` (proposed by a provider, awaiting
    a commissioner), ``withdrawn`` (kept, not shown). ``version`` is an optimistic lock."""

    __tablename__ = "dir_service"
    __table_args__ = (Index("ix_dir_service_org", "organisation_id"),)
    id: Mapped[str] = mapped_column(Uuid, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("dir_organisation.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(20), default="active")
    fees: Mapped[str | None] = mapped_column(Text)
    accreditations: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[float | None] = mapped_column(Float)
    maximum_age: Mapped[float | None] = mapped_column(Float)
    assured_date: Mapped[date | None] = mapped_column(Date)
    assurer_email: Mapped[str | None] = mapped_column(String(254))
    alert: Mapped[str | None] = mapped_column(Text)
    #: how to refer, for everyone (e.g. "Young people can refer themselves by phone")
    referral_public: Mapped[str] = mapped_column(Text, default="")
    #: restricted referral route: instructions, secure email, referral form, phone line
    referral_details: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="published")
    data_label: Mapped[str] = mapped_column(String(20), default="")
    #: where the record came from (file and row, or "portal")
    source_ref: Mapped[str] = mapped_column(String(300), default="")
    #: ORUK fields and lists vrkit does not model (funding, languages, cost options...), kept
    #: as given so that an import followed by an export loses nothing
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_modified: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254))
    version: Mapped[int] = mapped_column(Integer, default=1)
    organisation: Mapped[DirOrganisation] = relationship()
    locations: Mapped[list[DirServiceAtLocation]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="DirServiceAtLocation.id"
    )
    schedules: Mapped[list[DirSchedule]] = relationship(
        cascade="all, delete-orphan", order_by="DirSchedule.id"
    )
    contacts: Mapped[list[DirContact]] = relationship(
        cascade="all, delete-orphan", order_by="DirContact.id"
    )
    areas: Mapped[list[DirServiceArea]] = relationship(
        cascade="all, delete-orphan", order_by="DirServiceArea.id"
    )
    attributes: Mapped[list[DirAttribute]] = relationship(
        cascade="all, delete-orphan", order_by="DirAttribute.id"
    )
    programmes: Mapped[list[DirServiceProgramme]] = relationship(
        cascade="all, delete-orphan", order_by="DirServiceProgramme.programme_ref"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class DirLocation(Base):
    """An ORUK location. ``borough_code``/``ward_code`` are derived from the coordinates (or
    given); ``coordinates_note`` says when the point is approximate (e.g. a borough centroid)."""

    __tablename__ = "dir_location"
    id: Mapped[str] = mapped_column(Uuid, primary_key=True)
    location_type: Mapped[str] = mapped_column(String(20), default="physical")
    name: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    external_identifier: Mapped[str | None] = mapped_column(String(100))
    external_identifier_type: Mapped[str | None] = mapped_column(String(100))
    #: ORUK address objects as given (id, address_1, city, postal_code...)
    addresses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    postcode: Mapped[str | None] = mapped_column(String(10))
    borough_code: Mapped[str | None] = mapped_column(String(9))
    ward_code: Mapped[str | None] = mapped_column(String(9))
    coordinates_note: Mapped[str] = mapped_column(Text, default="")
    data_label: Mapped[str] = mapped_column(String(20), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DirServiceAtLocation(Base):
    __tablename__ = "dir_service_at_location"
    id: Mapped[str] = mapped_column(Uuid, primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("dir_service.id", ondelete="CASCADE"))
    location_id: Mapped[str] = mapped_column(ForeignKey("dir_location.id", ondelete="CASCADE"))
    service: Mapped[DirService] = relationship(back_populates="locations")
    location: Mapped[DirLocation] = relationship()


class DirSchedule(Base):
    """An ORUK schedule (RFC 5545 recurrence: freq, interval, byday...)."""

    __tablename__ = "dir_schedule"
    id: Mapped[str] = mapped_column(Uuid, primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("dir_service.id", ondelete="CASCADE"))
    service_at_location_id: Mapped[str | None] = mapped_column(Uuid)
    #: the ORUK schedule fields other than the ids, as given
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DirContact(Base):
    """A named contact of a service (restricted: part of the referral details). ``phones`` are
    ORUK phone objects (id, number, description)."""

    __tablename__ = "dir_contact"
    id: Mapped[str] = mapped_column(Uuid, primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("dir_service.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phones: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DirServiceArea(Base):
    """An ORUK service_area; ``area_code`` is the GSS code when the area is a borough or ward."""

    __tablename__ = "dir_service_area"
    id: Mapped[str] = mapped_column(Uuid, primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("dir_service.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(String(300))
    area_code: Mapped[str | None] = mapped_column(String(9))
    #: the ORUK service_area object as given (name, uri, extent...)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DirAttribute(Base):
    """An ORUK attribute: a service classified by a taxonomy term (need, referral route)."""

    __tablename__ = "dir_attribute"
    __table_args__ = (UniqueConstraint("service_id", "taxonomy_term_id"),)
    id: Mapped[str] = mapped_column(Uuid, primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("dir_service.id", ondelete="CASCADE"))
    taxonomy_term_id: Mapped[str] = mapped_column(Uuid)
    link_type: Mapped[str] = mapped_column(String(60), default="need")
    #: the ORUK taxonomy_term object as given (terms of other taxonomies are kept, not dropped)
    term: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DirServiceProgramme(Base):
    """A service funded through a programme of the register (``programme.ref``, e.g. LVRU-002):
    a reference by the register's stable key, so the link holds whether or not the register
    is installed."""

    __tablename__ = "dir_service_programme"
    __table_args__ = (UniqueConstraint("service_id", "programme_ref"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("dir_service.id", ondelete="CASCADE"))
    programme_ref: Mapped[str] = mapped_column(String(40))


class DirServiceChange(Base):
    """A change proposed by a provider (or a new service), held for a commissioner's review.

    ``proposal`` is the whole service as an ORUK document plus vrkit's fields, exactly what
    applying it would store; ``base_version`` is the service version it was made from."""

    __tablename__ = "dir_service_change"
    __table_args__ = (Index("ix_dir_change_status", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(Uuid)
    organisation_id: Mapped[str] = mapped_column(Uuid)
    base_version: Mapped[int | None] = mapped_column(Integer)
    proposal: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(Text, default="")
    #: pending | approved | rejected
    status: Mapped[str] = mapped_column(String(20), default="pending")
    proposed_by: Mapped[str | None] = mapped_column(String(254))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(String(254))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    review_comment: Mapped[str] = mapped_column(Text, default="")


class DirReferralCount(Base):
    """How many referrals a service received in a month: a count, never a person. A new
    figure for the same service-month replaces the old one (``revision`` counts up)."""

    __tablename__ = "dir_referral_count"
    __table_args__ = (UniqueConstraint("service_id", "month"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("dir_service.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    referrals: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    recorded_by: Mapped[str | None] = mapped_column(String(254))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    data_label: Mapped[str] = mapped_column(String(20), default="")

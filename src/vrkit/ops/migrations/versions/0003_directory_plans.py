"""The diversion directory (Open Referral UK), local violence reduction action plans and the
Strategic Needs Assessment tracker (issue #17).

Revision ID: 0003_directory_plans
Revises: 0002_delivery
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from vrkit.ops.models import UtcDateTime

revision = "0003_directory_plans"
down_revision = "0002_delivery"
branch_labels = None
depends_on = None

U = sa.String(36)


def _fk(table: str, *, ondelete: str = "CASCADE", type_: Any = U) -> Any:
    name = table.split(".")[0]
    col = {
        "dir_service": "service_id",
        "dir_location": "location_id",
        "action_plan": "plan_id",
    }.get(name, f"{name}_id")
    return sa.Column(col, type_, sa.ForeignKey(table, ondelete=ondelete), nullable=False)


def upgrade() -> None:
    op.create_table(
        "dir_organisation",
        sa.Column("id", U, primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("email", sa.String(254)),
        sa.Column("website", sa.String(500)),
        sa.Column("uri", sa.String(500)),
        sa.Column("identifiers", sa.JSON, nullable=False),
        sa.Column(
            "portal_organisation_id",
            sa.Integer,
            sa.ForeignKey("organisation.id", ondelete="SET NULL"),
        ),
        sa.Column("data_label", sa.String(20), nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "dir_service",
        sa.Column("id", U, primary_key=True),
        sa.Column(
            "organisation_id",
            U,
            sa.ForeignKey("dir_organisation.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("url", sa.String(500)),
        sa.Column("email", sa.String(254)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("fees", sa.Text),
        sa.Column("accreditations", sa.Text),
        sa.Column("minimum_age", sa.Float),
        sa.Column("maximum_age", sa.Float),
        sa.Column("assured_date", sa.Date),
        sa.Column("assurer_email", sa.String(254)),
        sa.Column("alert", sa.Text),
        sa.Column("referral_public", sa.Text, nullable=False),
        sa.Column("referral_details", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("data_label", sa.String(20), nullable=False),
        sa.Column("source_ref", sa.String(300), nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("last_modified", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(254)),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_dir_service_org", "dir_service", ["organisation_id"])
    op.create_table(
        "dir_location",
        sa.Column("id", U, primary_key=True),
        sa.Column("location_type", sa.String(20), nullable=False),
        sa.Column("name", sa.String(300)),
        sa.Column("description", sa.Text),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("external_identifier", sa.String(100)),
        sa.Column("external_identifier_type", sa.String(100)),
        sa.Column("addresses", sa.JSON, nullable=False),
        sa.Column("postcode", sa.String(10)),
        sa.Column("borough_code", sa.String(9)),
        sa.Column("ward_code", sa.String(9)),
        sa.Column("coordinates_note", sa.Text, nullable=False),
        sa.Column("data_label", sa.String(20), nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
    )
    op.create_table(
        "dir_service_at_location",
        sa.Column("id", U, primary_key=True),
        _fk("dir_service.id"),
        _fk("dir_location.id"),
    )
    op.create_table(
        "dir_schedule",
        sa.Column("id", U, primary_key=True),
        _fk("dir_service.id"),
        sa.Column("service_at_location_id", U),
        sa.Column("fields", sa.JSON, nullable=False),
    )
    op.create_table(
        "dir_contact",
        sa.Column("id", U, primary_key=True),
        _fk("dir_service.id"),
        sa.Column("name", sa.String(200)),
        sa.Column("title", sa.String(200)),
        sa.Column("email", sa.String(254)),
        sa.Column("phones", sa.JSON, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
    )
    op.create_table(
        "dir_service_area",
        sa.Column("id", U, primary_key=True),
        _fk("dir_service.id"),
        sa.Column("name", sa.String(300)),
        sa.Column("area_code", sa.String(9)),
        sa.Column("fields", sa.JSON, nullable=False),
    )
    op.create_table(
        "dir_attribute",
        sa.Column("id", U, primary_key=True),
        _fk("dir_service.id"),
        sa.Column("taxonomy_term_id", U, nullable=False),
        sa.Column("link_type", sa.String(60), nullable=False),
        sa.Column("term", sa.JSON),
        sa.UniqueConstraint("service_id", "taxonomy_term_id"),
    )
    op.create_table(
        "dir_service_programme",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("dir_service.id"),
        sa.Column("programme_ref", sa.String(40), nullable=False),
        sa.UniqueConstraint("service_id", "programme_ref"),
    )
    op.create_table(
        "dir_service_change",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("service_id", U, nullable=False),
        sa.Column("organisation_id", U, nullable=False),
        sa.Column("base_version", sa.Integer),
        sa.Column("proposal", sa.JSON, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("proposed_by", sa.String(254)),
        sa.Column("proposed_at", UtcDateTime, nullable=False),
        sa.Column("reviewed_by", sa.String(254)),
        sa.Column("reviewed_at", UtcDateTime),
        sa.Column("review_comment", sa.Text, nullable=False),
    )
    op.create_index("ix_dir_change_status", "dir_service_change", ["status"])
    op.create_table(
        "dir_referral_count",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("dir_service.id"),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("referrals", sa.Integer, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("recorded_by", sa.String(254)),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("data_label", sa.String(20), nullable=False),
        sa.UniqueConstraint("service_id", "month"),
    )
    # -- action plans -------------------------------------------------------------------------
    op.create_table(
        "action_plan",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("borough_code", sa.String(9), nullable=False),
        sa.Column("borough_name", sa.String(100), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("template_id", sa.String(60), nullable=False),
        sa.Column("template_version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("sections", sa.JSON, nullable=False),
        sa.Column("profile_full", sa.JSON),
        sa.Column("profile_public", sa.JSON),
        sa.Column("profile_refreshed_at", UtcDateTime),
        sa.Column("profile_refreshed_by", sa.String(254)),
        sa.Column("data_label", sa.String(20), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(254)),
        sa.Column("submitted_at", UtcDateTime),
        sa.Column("published_at", UtcDateTime),
        sa.Column("published_by", sa.String(254)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("borough_code", "year"),
    )
    op.create_table(
        "plan_priority",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("action_plan.id", type_=sa.Integer()),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("rationale", sa.Text, nullable=False),
    )
    op.create_table(
        "plan_action",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("action_plan.id", type_=sa.Integer()),
        sa.Column(
            "priority_id", sa.Integer, sa.ForeignKey("plan_priority.id", ondelete="SET NULL")
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("theme", sa.String(60), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("partners", sa.JSON, nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("programme_refs", sa.JSON, nullable=False),
        sa.Column("measures", sa.JSON, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_plan_action_plan", "plan_action", ["plan_id"])
    op.create_table(
        "plan_comment",
        sa.Column("id", sa.Integer, primary_key=True),
        _fk("action_plan.id", type_=sa.Integer()),
        sa.Column("section_id", sa.String(60)),
        sa.Column("author", sa.String(254)),
        sa.Column("author_role", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status_at", sa.String(30), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    # -- Strategic Needs Assessment tracker ---------------------------------------------------
    op.create_table(
        "sna_item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ref", sa.String(20), nullable=False, unique=True),
        sa.Column("section", sa.String(100), nullable=False),
        sa.Column("item_type", sa.String(60), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("status_stated", sa.Text, nullable=False),
        sa.Column("due", sa.String(200), nullable=False),
        sa.Column("due_date", sa.Date),
        sa.Column("related_programmes_stated", sa.Text, nullable=False),
        sa.Column("programme_refs", sa.JSON, nullable=False),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("source_ref", sa.String(200), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(254)),
    )
    op.create_table(
        "sna_evidence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "item_id", sa.Integer, sa.ForeignKey("sna_item.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("on", sa.Date),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("link", sa.String(500)),
        sa.Column("status", sa.String(30)),
        sa.Column("recorded_by", sa.String(254)),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.Column("source_ref", sa.String(200), nullable=False),
    )
    op.create_table(
        "sna_action_link",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "item_id", sa.Integer, sa.ForeignKey("sna_item.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "action_id",
            sa.Integer,
            sa.ForeignKey("plan_action.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.UniqueConstraint("item_id", "action_id"),
    )


def downgrade() -> None:
    for t in (
        "sna_action_link",
        "sna_evidence",
        "sna_item",
        "plan_comment",
        "plan_action",
        "plan_priority",
        "action_plan",
        "dir_referral_count",
        "dir_service_change",
        "dir_service_programme",
        "dir_attribute",
        "dir_service_area",
        "dir_contact",
        "dir_schedule",
        "dir_service_at_location",
        "dir_location",
        "dir_service",
        "dir_organisation",
    ):
        op.drop_table(t)

"""Delivery (issue #15): funding sources, budgets, theme allocations, programmes and their
organisations, grants (360Giving), commitments, spend, forecasts, reprofiles, programme measures,
targets, monitoring returns, stated figures and the logic model.

Revision ID: 0002_delivery
Revises: 0001_portal
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from vrkit.ops.models import UtcDateTime

revision = "0002_delivery"
down_revision = "0001_portal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logic_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name", "version"),
    )
    op.create_table(
        "programme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("theme", sa.String(length=40), nullable=False),
        sa.Column("objectives", sa.JSON(), nullable=False),
        sa.Column("objectives_inferred", sa.Boolean(), nullable=False),
        sa.Column("target_cohort", sa.Text(), nullable=False),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column("places", sa.JSON(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("period_text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("in_portfolio", sa.Boolean(), nullable=False),
        sa.Column("evidence_approach", sa.Text(), nullable=False),
        sa.Column("evaluation_status", sa.String(length=20), nullable=False),
        sa.Column("evaluation_text", sa.Text(), nullable=False),
        sa.Column("reach_stated", sa.Text(), nullable=False),
        sa.Column("outcomes_stated", sa.Text(), nullable=False),
        sa.Column("economics", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.Column("data_label", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    op.create_table(
        "reprofile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("requested_at", UtcDateTime, nullable=False),
        sa.Column("decided_by", sa.String(length=254), nullable=True),
        sa.Column("decided_at", UtcDateTime, nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("reversed_by", sa.String(length=254), nullable=True),
        sa.Column("reversed_at", UtcDateTime, nullable=True),
        sa.Column("reverse_reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "stated_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=True),
        sa.Column("figure_group", sa.String(length=60), nullable=False),
        sa.Column("metric", sa.String(length=300), nullable=False),
        sa.Column("value", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("unit", sa.String(length=60), nullable=False),
        sa.Column("as_printed", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=100), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "theme_allocation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("theme", sa.String(length=40), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=True),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "amount_pence IS NULL OR amount_pence >= 0", name="ck_theme_allocation_amount"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("financial_year", "theme"),
    )
    op.create_table(
        "funding_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("funder_organisation_id", sa.Integer(), nullable=True),
        sa.Column("must_spend_in_year", sa.Boolean(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["funder_organisation_id"],
            ["organisation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "logic_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("from_code", sa.String(length=40), nullable=False),
        sa.Column("to_code", sa.String(length=40), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("inferred", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["logic_model.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "logic_node",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("timeframe", sa.String(length=40), nullable=False),
        sa.Column("objective_number", sa.Integer(), nullable=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["logic_model.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("model_id", "code"),
    )
    op.create_table(
        "monitoring_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("template_version", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("submitted_by", sa.String(length=254), nullable=True),
        sa.Column("submitted_at", UtcDateTime, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("data_label", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="ck_monitoring_return_quarter"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "financial_year", "quarter", "revision"),
    )
    op.create_index(
        "ix_return_programme",
        "monitoring_return",
        ["programme_id", "financial_year", "quarter"],
        unique=False,
    )
    op.create_table(
        "programme_measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "code"),
    )
    op.create_table(
        "programme_organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "organisation_id", "role"),
    )
    op.create_table(
        "budget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("funding_source_id", sa.Integer(), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=True),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["funding_source_id"],
            ["funding_source.id"],
        ),
        sa.CheckConstraint("amount_pence IS NULL OR amount_pence >= 0", name="ck_budget_amount"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("funding_source_id", "financial_year"),
    )
    op.create_table(
        "commitment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("funding_source_id", sa.Integer(), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["funding_source_id"],
            ["funding_source.id"],
        ),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="ck_commitment_quarter"),
        sa.CheckConstraint("amount_pence >= 0", name="ck_commitment_amount"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "funding_source_id", "financial_year", "quarter"),
    )
    op.create_index("ix_commitment_year", "commitment", ["financial_year"], unique=False)
    op.create_table(
        "delivery_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("funding_source_id", sa.Integer(), nullable=True),
        sa.Column("measure_code", sa.String(length=60), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("target_value", sa.BigInteger(), nullable=False),
        sa.Column("due", sa.String(length=100), nullable=False),
        sa.Column("stated_value", sa.BigInteger(), nullable=True),
        sa.Column("stated_as_of", sa.String(length=100), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["funding_source_id"],
            ["funding_source.id"],
        ),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.CheckConstraint("target_value >= 0", name="ck_delivery_target_target"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "grant_award",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("recipient_organisation_id", sa.Integer(), nullable=True),
        sa.Column("funder_organisation_id", sa.Integer(), nullable=True),
        sa.Column("funding_source_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=True),
        sa.Column("award_date", sa.Date(), nullable=True),
        sa.Column("planned_start", sa.Date(), nullable=True),
        sa.Column("planned_end", sa.Date(), nullable=True),
        sa.Column("grant_programme", sa.String(length=300), nullable=False),
        sa.Column("beneficiary_location", sa.JSON(), nullable=False),
        sa.Column("source_ref", sa.String(length=200), nullable=False),
        sa.Column("data_label", sa.String(length=20), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["funder_organisation_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["funding_source_id"],
            ["funding_source.id"],
        ),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["recipient_organisation_id"],
            ["organisation.id"],
        ),
        sa.CheckConstraint(
            "amount_pence IS NULL OR amount_pence >= 0", name="ck_grant_award_amount"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ref"),
    )
    op.create_table(
        "logic_indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("ref", sa.String(length=120), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("direction", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(["node_id"], ["logic_node.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "reprofile_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reprofile_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("funding_source_id", sa.Integer(), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("delta_pence", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["funding_source_id"],
            ["funding_source.id"],
        ),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reprofile_id"], ["reprofile.id"], ondelete="CASCADE"),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="ck_reprofile_line_quarter"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "return_reach",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["return_id"], ["monitoring_return.id"], ondelete="CASCADE"),
        sa.CheckConstraint("count >= 0", name="ck_return_reach_count"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("return_id", "dimension", "category"),
    )
    op.create_table(
        "return_spend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("funding_source_id", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["funding_source_id"],
            ["funding_source.id"],
        ),
        sa.ForeignKeyConstraint(["return_id"], ["monitoring_return.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("return_id", "funding_source_id"),
    )
    op.create_table(
        "return_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("measure_code", sa.String(length=60), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["return_id"], ["monitoring_return.id"], ondelete="CASCADE"),
        sa.CheckConstraint("value >= 0", name="ck_return_value_value"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("return_id", "measure_code"),
    )
    op.create_table(
        "spend_actual",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("funding_source_id", sa.Integer(), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.Column("recorded_by", sa.String(length=254), nullable=True),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["funding_source_id"],
            ["funding_source.id"],
        ),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="ck_spend_actual_quarter"),
        sa.CheckConstraint("amount_pence >= 0", name="ck_spend_actual_amount"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "funding_source_id", "financial_year", "quarter"),
    )
    op.create_index("ix_spend_year", "spend_actual", ["financial_year"], unique=False)
    op.create_table(
        "spend_forecast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("funding_source_id", sa.Integer(), nullable=False),
        sa.Column("financial_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.BigInteger(), nullable=False),
        sa.Column("recorded_by", sa.String(length=254), nullable=True),
        sa.Column("recorded_at", UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["funding_source_id"],
            ["funding_source.id"],
        ),
        sa.ForeignKeyConstraint(["programme_id"], ["programme.id"], ondelete="CASCADE"),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="ck_spend_forecast_quarter"),
        sa.CheckConstraint("amount_pence >= 0", name="ck_spend_forecast_amount"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "funding_source_id", "financial_year", "quarter"),
    )


def downgrade() -> None:
    op.drop_table("spend_forecast")
    op.drop_index("ix_spend_year", table_name="spend_actual")
    op.drop_table("spend_actual")
    op.drop_table("return_value")
    op.drop_table("return_spend")
    op.drop_table("return_reach")
    op.drop_table("reprofile_line")
    op.drop_table("logic_indicator")
    op.drop_table("grant_award")
    op.drop_table("delivery_target")
    op.drop_index("ix_commitment_year", table_name="commitment")
    op.drop_table("commitment")
    op.drop_table("budget")
    op.drop_table("programme_organisation")
    op.drop_table("programme_measure")
    op.drop_index("ix_return_programme", table_name="monitoring_return")
    op.drop_table("monitoring_return")
    op.drop_table("logic_node")
    op.drop_table("logic_link")
    op.drop_table("funding_source")
    op.drop_table("theme_allocation")
    op.drop_table("stated_figure")
    op.drop_table("reprofile")
    op.drop_table("programme")
    op.drop_table("logic_model")

"""Alembic environment: runs on the connection handed over by :func:`vrkit.ops.db.migrate`, or on
``sqlalchemy.url`` when Alembic's own command line is used."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import vrkit.ops.delivery.models
import vrkit.ops.directory.models
import vrkit.ops.plans.models  # noqa: F401 - every feature's tables, for autogenerate
from vrkit.ops.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as con:
        context.configure(connection=con, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run()

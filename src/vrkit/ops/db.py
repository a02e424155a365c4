"""Engine, sessions and migrations of the operational database.

``VRKIT_DATABASE_URL`` (or ``vrkit serve --database-url``) names it: a SQLAlchemy URL such as
``postgresql+psycopg://vrkit@db.example/vrkit`` in production, or the embedded default, a SQLite
file (``sqlite:///vrkit-portal.sqlite3``). :func:`migrate` brings it to the newest Alembic revision.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from vrkit.errors import StorageError

#: Alembic's script location inside the installed package
SCRIPT_LOCATION = "vrkit.ops:migrations"


def _sqlite_pragmas(dbapi_con: Any, _record: Any) -> None:
    cur = dbapi_con.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout."""
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    except Exception as exc:  # a malformed URL or a missing driver
        raise StorageError(
            f"cannot use the operational database URL: {exc}",
            hint="Set VRKIT_DATABASE_URL to e.g. sqlite:///vrkit-portal.sqlite3 or "
            "postgresql+psycopg://user@host/db.",
        ) from exc
    return engine


class Database:
    """The operational database: an engine and a session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success, rolled back on error."""
        s = self.sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def migrate(self) -> None:
        """Upgrade to the newest revision (idempotent), then make sure the instance key exists."""
        migrate(self.engine)
        self.instance_secret()

    def is_current(self) -> bool:
        """Whether the schema is at the newest revision."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        with self.engine.connect() as con:
            current = MigrationContext.configure(con).get_current_heads()
        return set(current) == set(ScriptDirectory.from_config(_config()).get_heads())

    def instance_secret(self, name: str = "csrf") -> str:
        """Random key material of this installation, created once and kept in the database."""
        from vrkit.ops.models import InstanceSecret

        with self.session() as s:
            row = s.get(InstanceSecret, name)
            if row is None:
                row = InstanceSecret(name=name, value=secrets.token_urlsafe(48))
                s.add(row)
            return row.value

    def dispose(self) -> None:
        self.engine.dispose()


def _config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Run Alembic's upgrade to ``revision`` on ``engine``."""
    from alembic import command

    cfg = _config()
    try:
        with engine.begin() as con:
            cfg.attributes["connection"] = con
            command.upgrade(cfg, revision)
    except Exception as exc:
        raise StorageError(
            f"cannot migrate the operational database: {exc}",
            hint="Check VRKIT_DATABASE_URL and that the server is running.",
        ) from exc


def table_names(engine: Engine) -> list[str]:
    """Tables present (for checks and tests)."""
    return sorted(inspect(engine).get_table_names())


__all__ = ["Database", "make_engine", "migrate", "select", "table_names"]

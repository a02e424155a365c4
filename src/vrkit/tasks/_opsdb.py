"""What the directory, action-plan and tracker tasks share: a session on the operational
database, the actor of command-line work, and a small result base with writers."""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from vrkit.ops.roles import Principal


def register_features() -> None:
    """Import the feature modules that register roles, permissions and audit actions."""
    import vrkit.ops.directory.policy
    import vrkit.ops.plans.policy  # noqa: F401


def cli_actor(role: str = "commissioner") -> Principal:
    """The principal of a command-line session, named after the OS user (audited as
    ``cli:<user>``). The command line is run by the VRU's own staff on its own database."""
    register_features()
    try:
        who = getpass.getuser()
    except Exception:  # no user name (containers): still audited
        who = "unknown"
    return Principal(role=role, email=f"cli:{who}", name=f"command line ({who})")


@contextmanager
def database_session(url: str | None = None) -> Iterator[Session]:
    """A session on the operational database (migrated first), committed on success."""
    from vrkit.config import get_settings
    from vrkit.ops.db import Database

    register_features()
    db = Database(url or get_settings().database_url)
    try:
        db.migrate()
        with db.session() as s:
            yield s
    finally:
        db.dispose()


def jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, datetime | date | pd.Timestamp):
        return v.isoformat()
    if isinstance(v, float) and v != v:
        return None
    return v


@dataclass
class TableResult:
    """A titled table with notes: ``to_frame()``, ``to_dict()``, ``write(path)`` (.csv/.json/
    .xlsx by suffix)."""

    title: str
    rows: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"title": self.title, "rows": self.rows, "notes": self.notes, **self.meta})

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        suffix = path.suffix.lower()
        if suffix == ".json":
            path.write_text(
                json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        elif suffix == ".csv":
            from vrkit.reports.tabular import write_csv

            write_csv(self.to_frame(), path)
        elif suffix == ".xlsx":
            from vrkit.reports.plans import write_table_xlsx

            write_table_xlsx({self.title[:31]: self.to_frame()}, path, notes=self.notes)
        else:
            raise ValueError(f"unknown format {suffix}")
        return path

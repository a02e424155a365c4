"""What the delivery tasks share: the result base class, JSON conversion and the actor used
for work done from the command line."""

from __future__ import annotations

import getpass
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from vrkit.errors import InputError
from vrkit.ops.roles import Principal


def cli_actor() -> Principal:
    """The principal of a command-line session: a commissioner named after the OS user."""
    try:
        who = getpass.getuser()
    except Exception:  # no user name (containers): still audited, as "cli"
        who = "unknown"
    return Principal(role="commissioner", email=f"cli:{who}", name=f"command line ({who})")


@contextmanager
def database_session(url: str | None = None) -> Iterator[Session]:
    """A session on the operational database (migrated first), committed on success."""
    import vrkit.ops.delivery  # noqa: F401 - registers the delivery roles and tables
    from vrkit.config import get_settings
    from vrkit.ops.db import Database

    db = Database(url or get_settings().database_url)
    try:
        db.migrate()
        with db.session() as s:
            yield s
    finally:
        db.dispose()


def jsonable(v: Any) -> Any:
    """``v`` with Decimals as exact numbers, dates as ISO text, NaN/NA as null."""
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, Decimal):
        if not v.is_finite():
            return None
        exp = v.as_tuple().exponent
        return int(v) if isinstance(exp, int) and exp >= 0 else float(v)
    if isinstance(v, datetime | date | pd.Timestamp):
        return v.isoformat()
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, float | np.floating):
        return None if math.isnan(v) else float(v)
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    return v


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [jsonable(r) for r in frame.astype(object).where(frame.notna(), None).to_dict("records")]


@dataclass
class DeliveryResult:
    """Base of the delivery task results: a titled main table, notes, and writers."""

    FORMATS: ClassVar[tuple[str, ...]] = ("json", "csv", "xlsx")
    title: str = ""
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "rows": frame_records(self.to_frame()), "notes": self.notes}

    def render(self, fmt: str) -> str:
        if fmt == "json":
            return json.dumps(self.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        if fmt == "csv":
            from vrkit.reports.delivery import csv_text

            return csv_text(self.to_frame())
        raise InputError(f"unknown format {fmt!r}", hint="Use " + ", ".join(self.FORMATS) + ".")

    def write(self, path: Path, fmt: str | None = None) -> Path:
        fmt = (fmt or path.suffix.lstrip(".") or "json").lower()
        if fmt not in self.FORMATS:
            raise InputError(f"unknown format {fmt!r}", hint="Use " + ", ".join(self.FORMATS) + ".")
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "xlsx":
            from vrkit.reports.delivery import write_sheets

            write_sheets(
                {"table": self.to_frame()}, path, about=[("Title", self.title)], notes=self.notes
            )
        else:
            path.write_text(self.render(fmt), encoding="utf-8")
        return path

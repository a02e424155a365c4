"""Catalogued events (COVID-19 restrictions, recording changes) drawn on trend charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from vrkit.catalog import load_toml


@dataclass(frozen=True)
class Event:
    """A dated event or period with its public source."""

    id: str
    label: str
    start: date
    end: date | None
    kind: str
    source: str


def events() -> list[Event]:
    """All catalogued events, in date order."""
    cat = load_toml("events.toml")
    return sorted(
        (
            Event(e["id"], e["label"], e["start"], e.get("end"), e["kind"], e["source"])
            for e in cat["event"]
        ),
        key=lambda e: e.start,
    )


def events_between(start: date, end: date) -> list[Event]:
    """Events that start or overlap the period [start, end]."""
    return [e for e in events() if e.start <= end and (e.end or e.start) >= start]


def events_frame(start: date, end: date) -> pd.DataFrame:
    """Events between two dates as a frame (for charts and tables)."""
    rows = [
        {
            "id": e.id,
            "label": e.label,
            "start": pd.Timestamp(e.start),
            "end": pd.Timestamp(e.end) if e.end else pd.NaT,
            "kind": e.kind,
            "source": e.source,
        }
        for e in events_between(start, end)
    ]
    return pd.DataFrame(rows, columns=["id", "label", "start", "end", "kind", "source"])

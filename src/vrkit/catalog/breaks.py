"""Series breaks of the measures (``catalog/breaks.toml``): recording or category changes from
which a measure's series is on a new basis. The analysis of breaks (comparability of periods,
fit windows) is :mod:`vrkit.analysis.breaks`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from vrkit.catalog import load_toml
from vrkit.errors import InputError


@dataclass(frozen=True)
class SeriesBreak:
    """A catalogued break: from ``start`` the measures are on a new basis in these sources."""

    id: str
    start: date
    measures: tuple[str, ...]
    source_kinds: tuple[str, ...]
    label: str
    reason: str
    source: str

    def applies(self, measure_id: str, source_kind: str | None = None) -> bool:
        """True for this measure (and source kind, when given)."""
        return measure_id in self.measures and (
            source_kind is None or source_kind in self.source_kinds
        )


@cache
def all_breaks() -> tuple[SeriesBreak, ...]:
    """Every catalogued break, in date order."""
    out = []
    for b in load_toml("breaks.toml").get("break", []):
        start = b["start"]
        if not isinstance(start, date) or start.day != 1:
            raise InputError(f"break {b.get('id')!r}: start must be the first day of a month")
        out.append(
            SeriesBreak(
                b["id"],
                start,
                tuple(b["measures"]),
                tuple(b["source_kinds"]),
                b["label"],
                " ".join(b["reason"].split()),
                b["source"],
            )
        )
    return tuple(sorted(out, key=lambda x: x.start))


def series_breaks(measure_id: str, source_kind: str | None = None) -> list[SeriesBreak]:
    """Breaks of a measure (in a source kind, when given), in date order."""
    return [b for b in all_breaks() if b.applies(measure_id, source_kind)]

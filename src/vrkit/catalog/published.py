"""Figures a partnership has published, for reports to state their own figures against."""

from __future__ import annotations

from dataclasses import dataclass

from vrkit.catalog import load_toml


@dataclass(frozen=True)
class PublishedChange:
    """A published %-change of one measure for an area between two years, with its source."""

    area: str
    year: int
    compare: int
    measure: str
    pct_change: float
    source: str


def published_changes(area: str, year: int, compare: int) -> list[PublishedChange]:
    """The catalogued published changes for ``area`` (by name), ``year`` against ``compare``."""
    return [
        PublishedChange(
            c["area"],
            int(c["year"]),
            int(c["compare"]),
            c["measure"],
            float(c["pct_change"]),
            c["source"],
        )
        for c in load_toml("published.toml")["change"]
        if c["area"] == area and int(c["year"]) == year and int(c["compare"]) == compare
    ]

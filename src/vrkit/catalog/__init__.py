"""Reference data that is ours, versioned with the code (TOML/CSV)."""

from __future__ import annotations

import csv
import importlib.resources as ilr
import tomllib
from functools import cache
from typing import Any


def catalog_text(name: str) -> str:
    """Text of a catalogue file shipped in this package."""
    return (ilr.files(__package__) / name).read_text(encoding="utf-8")


@cache
def load_toml(name: str) -> dict[str, Any]:
    """A parsed TOML catalogue file (cached; do not mutate)."""
    return tomllib.loads(catalog_text(name))


@cache
def load_csv(name: str) -> tuple[dict[str, str], ...]:
    """Rows of a CSV catalogue file (cached)."""
    return tuple(csv.DictReader(catalog_text(name).splitlines()))

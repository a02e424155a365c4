"""London borough names → GSS codes, including the pseudo-areas MPS files report."""

from __future__ import annotations

from functools import cache

from vrkit.catalog import load_csv


def _norm(name: str) -> str:
    return " ".join(name.replace("&", "and").lower().split())


@cache
def borough_lookup() -> dict[str, tuple[str, str, str]]:
    """normalised name or alias or code → (area_code, canonical name, area_type)."""
    out: dict[str, tuple[str, str, str]] = {}
    for row in load_csv("london_areas.csv"):
        entry = (row["area_code"], row["area_name"], row["area_type"])
        out[_norm(row["area_name"])] = entry
        out[row["area_code"].lower()] = entry
        for alias in filter(None, row["aliases"].split("|")):
            out[_norm(alias)] = entry
    return out


def resolve_borough(name_or_code: str) -> tuple[str, str, str] | None:
    """(area_code, name, area_type) of a London borough or MPS pseudo-area, else None."""
    return borough_lookup().get(_norm(name_or_code))


def borough_names() -> dict[str, str]:
    """area_code → canonical name for boroughs and pseudo-areas."""
    return {r["area_code"]: r["area_name"] for r in load_csv("london_areas.csv")}


def is_pseudo(area_code: str) -> bool:
    """True for MPS pseudo-areas (airports, unknown, SO18, unmapped)."""
    return area_code.startswith("MPS-")

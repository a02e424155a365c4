"""Indicator metadata of the core data set beyond police crime (issue #20).

``core_data_indicators.csv`` holds one row per indicator (``indicator_id, name, unit, polarity,
source, description, origin``) for:

- ``las_ambulance``: London Ambulance Service incidents by borough and month (2009–2013);
- ``mopac_pas``: MOPAC Public Attitude Survey trust and confidence measures by borough and quarter;
- ``dfe_exclusions``: DfE permanent and fixed-period exclusions (counts, pupils, rates), per
  school type (``dfe_<column>`` for all state-funded schools, ``_primary``, ``_secondary``,
  ``_special``);
- ``population_age``: ONS mid-year estimates by single year of age for local authorities
  (``pop_age_0`` … ``pop_age_89``, ``pop_age_90_plus``, and the exact band ``pop_age_10_24``);
- ``task``: rates that vrkit computes on demand from two sources (not stored), e.g. knife
  injury victims under 25 per 100,000 residents aged 10–24.

The source adapters write the ``indicator`` table from these rows, so the warehouse and the
catalogue cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from vrkit.catalog import load_csv

#: origins of indicators computed by tasks (not loaded from a file, not in the warehouse)
TASK_ORIGIN = "task"


@dataclass(frozen=True)
class IndicatorDef:
    """Metadata of one indicator (a row of the warehouse ``indicator`` table), as both indicator
    catalogues (``indicators.csv``, ``core_data_indicators.csv``) write it."""

    indicator_id: str
    name: str
    unit: str
    polarity: str  # "higher_is_worse" | "higher_is_better" | "neutral"
    source: str
    description: str
    origin: str = "user"


def read_indicator_catalogue(name: str) -> dict[str, IndicatorDef]:
    """The rows of an indicator catalogue CSV (columns as :class:`IndicatorDef`) by id."""
    return {
        r["indicator_id"]: IndicatorDef(
            r["indicator_id"],
            r["name"],
            r["unit"],
            r["polarity"],
            r["source"],
            r["description"],
            r["origin"],
        )
        for r in load_csv(name)
    }


@cache
def core_data_indicators() -> dict[str, IndicatorDef]:
    """Every core-data indicator by id, in catalogue order."""
    return read_indicator_catalogue("core_data_indicators.csv")


def core_data_indicator(indicator_id: str) -> IndicatorDef:
    """Metadata of one core-data indicator; ``KeyError`` names the catalogue gap (a bug)."""
    try:
        return core_data_indicators()[indicator_id]
    except KeyError:
        raise KeyError(
            f"indicator {indicator_id!r} is not in catalog/core_data_indicators.csv"
        ) from None


def indicators_of(origin: str) -> list[IndicatorDef]:
    """Core-data indicators of one origin (e.g. ``"mopac_pas"``), in catalogue order."""
    return [d for d in core_data_indicators().values() if d.origin == origin]

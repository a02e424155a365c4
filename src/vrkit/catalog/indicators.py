"""The built-in indicator catalogue: every indicator id a profile may name without a warehouse.

Three kinds:

- **loaded** indicators, read from files by source adapters (GLA ward profiles, IoD2019,
  population estimates): their metadata is data, ``catalog/indicators.csv`` (one row per
  indicator: id, name, unit, polarity, source, description, origin), which the adapters use to
  write the ``indicator`` table; ``catalog/ward_profile_columns.csv`` maps each GLA ward-profile
  column to its indicator and period;
- **derived** indicators, computed from the warehouse when a need index is built
  (:data:`DERIVED`): crime rates per 1,000 residents for every headline measure in
  ``measures.toml``, and age shares from the population estimates;
- **user** indicators, loaded from a user's CSV/XLSX (known only to the warehouse that holds
  them; pass them as ``extra`` to :func:`vrkit.catalog.profiles.load_profile`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

import pandas as pd

from vrkit.catalog import load_csv, load_toml
from vrkit.catalog.core_data import (
    TASK_ORIGIN,
    IndicatorDef,
    core_data_indicators,
    read_indicator_catalogue,
)

#: polarities an indicator may have in the catalogue
POLARITIES = ("higher_is_worse", "higher_is_better", "neutral")
CATALOGUE_COLUMNS = ["indicator_id", "name", "unit", "polarity", "source", "description", "origin"]


@dataclass(frozen=True)
class DerivedIndicator:
    """An indicator computed from warehouse tables when an index is built.

    ``recipe`` is ``"crime_rate"`` (``measure`` counts per 1,000 residents over the latest
    complete calendar year) or ``"ratio"`` (``numerator`` / ``denominator`` × ``multiplier``,
    both indicator ids of the same areas and period).
    """

    indicator_id: str
    name: str
    unit: str
    polarity: str
    description: str
    recipe: str
    measure: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    multiplier: float = 1.0


def _derived() -> dict[str, DerivedIndicator]:
    out: dict[str, DerivedIndicator] = {}
    for m in load_toml("measures.toml")["measure"]:
        if "mps" not in m:
            # crime rates are built from the MPS ward/LSOA/borough files; measures defined only
            # on the MPS flags file (knife crime, youth violence) exist for boroughs 2018-2020
            # only and are served by vrkit.tasks.core_data, not as need-index rates
            continue
        iid = f"crime_{m['id']}_rate"
        out[iid] = DerivedIndicator(
            iid,
            f"{m['label']} per 1,000 residents",
            "per 1,000 population",
            "higher_is_worse",
            f"Recorded offences of the headline measure '{m['label']}' in the latest complete "
            "calendar year in the warehouse, per 1,000 usual residents (mid-year estimate, or "
            "the GLA ward-profile 2015 population where no estimate links to the area). "
            "Recorded crime counts offences by where they were recorded, not where victims live.",
            "crime_rate",
            measure=m["id"],
        )
    for iid, num, den, label, src in (
        (
            "share_aged_0_15",
            "population_0_15",
            "population_all_ages",
            "aged 0-15",
            "ONS mid-year estimates",
        ),
        (
            "share_aged_16_29",
            "population_16_29",
            "population_all_ages",
            "aged 16-29",
            "ONS mid-year estimates",
        ),
        (
            "share_aged_10_24",
            "census2021_age_10_24",
            "census2021_population_total",
            "aged 10-24",
            "Census 2021 TS007A",
        ),
    ):
        out[iid] = DerivedIndicator(
            iid,
            f"% of residents {label}",
            "%",
            "neutral",
            f"Residents {label} as a percentage of all residents ({src}). Neutral: a profile "
            "for young people sets 'higher_is_worse' (more young residents = more need).",
            "ratio",
            numerator=num,
            denominator=den,
            multiplier=100.0,
        )
    return out


DERIVED: dict[str, DerivedIndicator] = _derived()


@dataclass(frozen=True)
class WardProfileColumn:
    """How one column of the GLA ward profiles maps to an indicator and its period."""

    header: str
    indicator_id: str
    name: str
    unit: str
    polarity: str
    period_start: date
    period_end: date


@cache
def loaded_indicators() -> dict[str, IndicatorDef]:
    """Indicators read from files by the source adapters, by id (``catalog/indicators.csv``)."""
    return read_indicator_catalogue("indicators.csv")


def indicator_def(indicator_id: str) -> IndicatorDef:
    """Metadata of a loaded indicator; ``KeyError`` names a catalogue gap (a bug)."""
    try:
        return loaded_indicators()[indicator_id]
    except KeyError:
        raise KeyError(f"indicator {indicator_id!r} is not in catalog/indicators.csv") from None


@cache
def ward_profile_columns() -> tuple[WardProfileColumn, ...]:
    """The GLA ward-profile columns read as indicators (``catalog/ward_profile_columns.csv``)."""
    out = []
    for r in load_csv("ward_profile_columns.csv"):
        d = indicator_def(r["indicator_id"])
        out.append(
            WardProfileColumn(
                r["header"],
                d.indicator_id,
                d.name,
                d.unit,
                d.polarity,
                date.fromisoformat(r["period_start"]),
                date.fromisoformat(r["period_end"]),
            )
        )
    return tuple(out)


@cache
def builtin_indicators() -> pd.DataFrame:
    """Every built-in indicator: ``indicator_id, name, unit, polarity, source, description,
    origin`` (``origin``: ``ward_profiles``, ``imd``, ``population``, ``derived``, or a
    core-data source: ``las_ambulance``, ``mopac_pas``, ``dfe_exclusions``, ``population_age``)."""
    loaded = pd.DataFrame(
        [
            (d.indicator_id, d.name, d.unit, d.polarity, d.source, d.description, d.origin)
            for d in [*loaded_indicators().values(), *core_data_indicators().values()]
            if d.origin != TASK_ORIGIN
        ],
        columns=CATALOGUE_COLUMNS,
    )
    derived = pd.DataFrame(
        [
            (
                d.indicator_id,
                d.name,
                d.unit,
                d.polarity,
                "vrkit (derived)",
                d.description,
                "derived",
            )
            for d in DERIVED.values()
        ],
        columns=CATALOGUE_COLUMNS,
    )
    out = pd.concat([loaded, derived], ignore_index=True).drop_duplicates("indicator_id")
    return out.reset_index(drop=True)

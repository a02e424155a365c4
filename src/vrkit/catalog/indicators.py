"""The built-in indicator catalogue: every indicator id a profile may name without a warehouse.

Three kinds:

- **loaded** indicators, read from files by source adapters (GLA ward profiles, IoD2019,
  population estimates): their metadata comes from the adapter modules;
- **derived** indicators, computed from the warehouse when a need index is built
  (:data:`DERIVED`): crime rates per 1,000 residents for every headline measure in
  ``measures.toml``, and age shares from the population estimates;
- **user** indicators, loaded from a user's CSV/XLSX (known only to the warehouse that holds
  them; pass them as ``extra`` to :func:`vrkit.catalog.profiles.load_profile`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache

import pandas as pd

from vrkit.catalog import load_toml
from vrkit.catalog.core_data import TASK_ORIGIN, core_data_indicators

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

#: (module, attribute, kind) of adapter-side indicator definitions, imported lazily.
_LOADED = (
    ("vrkit.sources.imd", "LSOA_INDICATORS", "pairs"),
    ("vrkit.sources.imd", "WARD_COLUMNS", "wardcols"),
    ("vrkit.sources.population", "MID_YEAR_INDICATORS", "pairs"),
    ("vrkit.sources.population", "CENSUS_INDICATORS", "defs"),
)


@cache
def builtin_indicators() -> pd.DataFrame:
    """Every built-in indicator: ``indicator_id, name, unit, polarity, source, description,
    origin`` (``origin``: ``ward_profiles``, ``imd2019``, ``population``, ``derived``, or a
    core-data source: ``las_ambulance``, ``mopac_pas``, ``dfe_exclusions``, ``population_age``)."""
    from vrkit.sources.indicators import INDICATOR_COLUMNS, ward_profile_definitions

    parts = [ward_profile_definitions()[INDICATOR_COLUMNS].assign(origin="ward_profiles")]
    rows = []
    for module, attr, kind in _LOADED:
        try:
            obj = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):  # adapter not installed in this checkout
            continue
        if kind == "pairs":
            defs = [d for _, d in obj.values()]
        elif kind == "wardcols":
            defs = [c.indicator for c in obj]
        else:
            defs = list(obj.values())
        origin = module.rsplit(".", 1)[1]
        rows += [
            (d.indicator_id, d.name, d.unit, d.polarity, d.source, d.description, origin)
            for d in defs
        ]
    rows += [
        (d.indicator_id, d.name, d.unit, d.polarity, d.source, d.description, d.origin)
        for d in core_data_indicators().values()
        if d.origin != TASK_ORIGIN
    ]
    parts.append(pd.DataFrame(rows, columns=CATALOGUE_COLUMNS))
    parts.append(
        pd.DataFrame(
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
    )
    out = pd.concat(parts, ignore_index=True).drop_duplicates("indicator_id")
    return out.reset_index(drop=True)

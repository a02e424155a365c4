"""Headline measures (``catalog/measures.toml``) and how they map onto each source taxonomy.

The SQL form of a measure (a predicate on a table's offence columns) is built by the store
(:func:`vrkit.store.sql.measure_condition`), which owns every query against the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from vrkit.catalog import load_toml
from vrkit.catalog._suggest import did_you_mean
from vrkit.errors import InputError


@dataclass(frozen=True)
class Rule:
    """One (major, minor) category rule; ``minor=None`` takes all minors, ``major='*'`` all."""

    major: str
    minor: str | None = None

    def matches(self, major: str, minor: str) -> bool:
        """Case-insensitive match of one category pair."""
        if self.major != "*" and major.strip().upper() != self.major.upper():
            return False
        return self.minor is None or minor.strip().upper() == self.minor.upper()


@dataclass(frozen=True)
class Measure:
    """A headline measure: id, labels, rules per taxonomy and comparability notes."""

    id: str
    label: str
    short: str
    rules: dict[str, tuple[Rule, ...]] = field(default_factory=dict)
    notes: str = ""

    def supports(self, taxonomy: str) -> bool:
        """True when the measure is defined on ``taxonomy``."""
        return taxonomy in self.rules

    def mask(self, frame: pd.DataFrame, taxonomy: str) -> pd.Series:
        """Boolean mask of rows of ``frame`` (offence_major, offence_minor) in this measure."""
        rules = self.rules_for(taxonomy)
        major = frame["offence_major"].astype(str).str.strip().str.upper()
        minor = frame["offence_minor"].astype(str).str.strip().str.upper()
        out = pd.Series(False, index=frame.index)
        for r in rules:
            m = pd.Series(True, index=frame.index) if r.major == "*" else major == r.major.upper()
            if r.minor is not None:
                m &= minor == r.minor.upper()
            out |= m
        return out

    def majors(self, taxonomy: str) -> list[str]:
        """The major categories (offence groups) the measure is drawn from (``*``: all)."""
        return sorted({r.major for r in self.rules_for(taxonomy)})

    def whole_groups(self, taxonomy: str) -> bool:
        """True when the measure is whole major categories (available wherever majors are)."""
        return all(r.minor is None for r in self.rules_for(taxonomy))

    def rules_for(self, taxonomy: str) -> tuple[Rule, ...]:
        """The category rules of this measure on ``taxonomy``; InputError if not defined."""
        if taxonomy not in self.rules:
            raise InputError(
                f"measure {self.id!r} is not defined for taxonomy {taxonomy!r}",
                hint=f"It is defined for: {', '.join(self.rules) or 'nothing'}.",
            )
        return self.rules[taxonomy]


@cache
def measures() -> dict[str, Measure]:
    """All headline measures, by id, in catalogue order."""
    cat = load_toml("measures.toml")
    out: dict[str, Measure] = {}
    for m in cat["measure"]:
        rules = {
            tax: tuple(Rule(r["major"], r.get("minor")) for r in m[tax])
            for tax in cat["taxonomies"]
            if tax in m
        }
        out[m["id"]] = Measure(
            m["id"],
            m["label"],
            m.get("short", m["label"]),
            rules,
            " ".join(m.get("notes", "").split()),
        )
    return out


def get_measure(measure_id: str) -> Measure:
    """Look up a measure by id, with a helpful error."""
    try:
        return measures()[measure_id]
    except KeyError:
        raise InputError(
            f"unknown measure {measure_id!r}",
            hint=did_you_mean(measure_id, measures()) + f"Known measures: {', '.join(measures())}.",
        ) from None


def taxonomy_of(source_kind: str) -> str:
    """Taxonomy used by a source kind (e.g. ``mps_borough_monthly`` → ``mps``)."""
    table: dict[str, str] = load_toml("measures.toml")["source_taxonomy"]
    if source_kind not in table:
        raise InputError(f"source kind {source_kind!r} has no offence taxonomy")
    return table[source_kind]


#: source kinds by geography, and whether they carry minor categories
GEOGRAPHY_SOURCES: dict[str, tuple[tuple[str, bool], ...]] = {
    "lsoa": (("mps_lsoa_annual_derived", False),),
    "ward": (("mps_ward_monthly", True), ("mps_ward_annual_derived", True)),
    "borough": (("mps_borough_monthly", True),),
    "grid": (("police_uk_street", True),),
}


def geographies_of(measure_id: str) -> list[str]:
    """Geographies at which a measure can exist: LSOA files carry whole offence groups only;
    grids need police.uk records, whose taxonomy must define the measure."""
    m = get_measure(measure_id)
    out = []
    for geo, sources in GEOGRAPHY_SOURCES.items():
        for kind, minors in sources:
            tax = taxonomy_of(kind)
            if m.supports(tax) and (minors or m.whole_groups(tax)):
                out.append(geo)
                break
    return out


def availability_message(measure_id: str, geography: str) -> str | None:
    """Why a measure cannot exist at a geography (None when it can)."""
    m = get_measure(measure_id)
    geos = geographies_of(measure_id)
    if geography in geos:
        return None
    if geography == "lsoa" and m.supports("mps"):
        why = (
            f"the LSOA files carry whole offence groups (major categories) only, and "
            f"{m.label.lower()} is part of {', '.join(m.majors('mps'))}"
        )
    elif geography == "grid":
        why = "police.uk street records (the only point data) do not define it"
    else:
        why = "no source at that geography defines it"
    return (
        f"{m.label} ({m.id}) is not available for {geography} areas: {why}. It exists at: "
        f"{', '.join(geos) or 'no geography'}"
    )

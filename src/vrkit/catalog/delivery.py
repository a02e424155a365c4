"""The delivery vocabulary (``delivery.toml``): themes, known funding sources and their rules,
the monitoring-return layout, standard output measures, reach categories, de-duplication rules,
risk thresholds and the logic model's default warehouse indicators."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from vrkit.catalog import load_toml
from vrkit.catalog.areas import borough_names
from vrkit.errors import InputError

#: programme statuses, in life-cycle order
STATUSES = ("proposed", "active", "paused", "completed", "closed")
#: evaluation statuses
EVALUATION_STATUSES = ("none", "planned", "underway", "reported", "not stated")
#: the levels of the logic model, from the work to its aims
LOGIC_LEVELS = ("intervention", "objective", "outcome", "impact", "aim")


@dataclass(frozen=True)
class Theme:
    code: str
    label: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class KnownSource:
    code: str
    name: str
    must_spend_in_year: bool
    rule: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Measure:
    code: str
    label: str
    reach_total: bool = False


@dataclass(frozen=True)
class DefaultIndicator:
    node: str
    ref: str
    label: str
    direction: str


def _raw() -> dict[str, Any]:
    return load_toml("delivery.toml")


@cache
def themes() -> tuple[Theme, ...]:
    return tuple(Theme(t["code"], t["label"], tuple(t.get("aliases", ()))) for t in _raw()["theme"])


def theme_labels() -> dict[str, str]:
    return {t.code: t.label for t in themes()}


def _norm(text: str) -> str:
    return " ".join(text.replace("&", "and").lower().split())


def resolve_theme(text: str) -> str:
    """A theme code from a code, label or alias (case-insensitive); InputError otherwise."""
    want = _norm(text)
    for t in themes():
        if want in {_norm(t.code), _norm(t.label), *(_norm(a) for a in t.aliases)}:
            return t.code
    raise InputError(
        f"unknown theme {text!r}", hint="Themes: " + ", ".join(t.label for t in themes()) + "."
    )


@cache
def known_sources() -> tuple[KnownSource, ...]:
    return tuple(
        KnownSource(
            s["code"],
            s["name"],
            bool(s["must_spend_in_year"]),
            s.get("rule", ""),
            tuple(s.get("aliases", ())),
        )
        for s in _raw()["funding_source"]
    )


def known_source(text: str) -> KnownSource | None:
    """The known funding source a name, code or alias refers to (case-insensitive)."""
    want = _norm(text)
    for s in known_sources():
        if want in {_norm(s.code), _norm(s.name), *(_norm(a) for a in s.aliases)}:
            return s
    return None


def template_version() -> str:
    return str(_raw()["returns"]["template_version"])


def return_sheets() -> tuple[str, ...]:
    return tuple(_raw()["returns"]["sheets"])


@cache
def standard_measures() -> tuple[Measure, ...]:
    return tuple(
        Measure(m["code"], m["label"], bool(m.get("reach_total", False)))
        for m in _raw()["returns"]["measure"]
    )


def reach_total_measure() -> str:
    return next(m.code for m in standard_measures() if m.reach_total)


@cache
def reach_categories() -> dict[str, tuple[str, ...]]:
    """dimension → categories, in template order (boroughs: the 33 London local authorities by
    name, then "Outside London" and "Not known")."""
    r = _raw()["returns"]["reach"]
    boroughs = sorted(
        n for c, n in borough_names().items() if c.startswith("E09") and not c.startswith("MPS")
    )
    return {
        "age_band": tuple(r["age_band"]),
        "sex": tuple(r["sex"]),
        "ethnicity": tuple(r["ethnicity"]),
        "borough": (*boroughs, *r["borough_extra"]),
    }


REACH_LABELS = {
    "age_band": "Age band",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "borough": "Borough",
}


def deduplication_rules() -> dict[str, str]:
    return dict(_raw()["returns"]["deduplication"])


def finance_rules() -> dict[str, int | str]:
    return dict(_raw()["finance"])


@cache
def default_indicators() -> tuple[DefaultIndicator, ...]:
    return tuple(
        DefaultIndicator(i["node"], i["ref"], i["label"], i["direction"])
        for i in _raw().get("logic_indicator", ())
    )

"""Intervention profiles: which indicators, with which weights and why (versioned TOML).

A profile is a TOML file (built-ins in ``catalog/profiles/``; users can write their own)::

    id = "sports"                      # file name without .toml for built-ins
    name = "Sports programmes"
    version = 1                        # bump when indicators or weights change
    description = "..."
    rationale = "..."                  # why these indicators and weights
    sources = ["...", "..."]           # evidence and precedent

    [domains]                          # optional: domain weights (indicators then need domain)
    violence = 0.5
    health = 0.3

    [[indicator]]
    id = "crime_violence_with_injury_rate"
    weight = 2                         # >= 0; normalised within the domain
    domain = "violence"
    polarity = "higher_is_worse"       # optional; default the catalogue's polarity
    why = "..."
    optional = true                    # optional; used when loaded, else left out and said

:func:`load_profile` validates every key and raises :class:`~vrkit.errors.InputError` naming
the profile and the key (``sports: indicator[2].weight``).
"""

from __future__ import annotations

import importlib.resources as ilr
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from vrkit.catalog._suggest import did_you_mean
from vrkit.catalog.indicators import builtin_indicators
from vrkit.errors import InputError

Polarity = Literal["higher_is_worse", "higher_is_better"]
#: polarities an indicator of a profile (or a need index) may have: a neutral catalogue
#: indicator must be given one
POLARITIES: tuple[str, ...] = ("higher_is_worse", "higher_is_better")
#: normalisation methods of the need index, in the order the sensitivity table shows them
NORMALISATIONS: tuple[str, ...] = ("zscore", "minmax", "percentile", "top_share")
#: aggregation methods of the need index
AGGREGATIONS: tuple[str, ...] = ("additive", "geometric")

_TOP_KEYS = {
    "id",
    "name",
    "version",
    "description",
    "rationale",
    "sources",
    "domains",
    "indicator",
    "normalisation",
    "aggregation",
    "approaches",
}
_IND_KEYS = {"id", "weight", "domain", "polarity", "why", "optional"}


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator of a need index.

    Parameters
    ----------
    indicator_id : str
        Column of the values frame (an ``indicator.indicator_id`` in the warehouse).
    weight : float, default 1
        Non-negative weight; normalised within the domain.
    polarity : {"higher_is_worse", "higher_is_better"}
        ``higher_is_worse``: a higher value means more need (crime rate, deprivation score).
    domain : str, optional
        Domain the indicator belongs to (e.g. ``"violence"``); ``None`` puts all indicators
        in one implicit domain.
    """

    indicator_id: str
    weight: float = 1.0
    polarity: Polarity = "higher_is_worse"
    domain: str | None = None


def effective_weights(
    indicators: Sequence[IndicatorSpec], domain_weights: Mapping[str, float] | None = None
) -> pd.Series:
    """Effective indicator weights (sum 1) from indicator weights and optional domain weights.

    Within each domain the indicator weights are normalised to sum to 1; domain weights
    (default: equal) are normalised to sum to 1; the effective weight is their product.
    Without any domains the indicator weights are simply normalised.

    Raises
    ------
    InputError
        Negative, non-finite or all-zero weights, duplicate indicators, a domain weight for a
        domain no indicator belongs to, or some indicators with a domain and others without.
    """
    check_specs(indicators)
    domains = [s.domain for s in indicators]
    w = np.array([float(s.weight) for s in indicators])
    if all(d is None for d in domains):
        if domain_weights:
            raise InputError(
                "domain weights were given but no indicator has a domain",
                hint="Set `domain` on each indicator or drop the domain weights.",
            )
        return pd.Series(w / w.sum(), index=[s.indicator_id for s in indicators], name="weight")
    if any(d is None for d in domains):
        missing = [s.indicator_id for s in indicators if s.domain is None]
        raise InputError(
            f"some indicators have a domain and some do not (no domain: {', '.join(missing)})",
            hint="Give every indicator a domain, or none.",
        )
    names = list(dict.fromkeys(d for d in domains if d is not None))
    dw = {d: 1.0 for d in names} if not domain_weights else dict(domain_weights)
    for d, v in dw.items():
        if d not in names:
            raise InputError(
                f"domain weight for {d!r}, which no indicator belongs to",
                hint=f"Domains in use: {', '.join(names)}.",
            )
        check_weight(v, f"domain weight {d!r}")
    for d in names:
        if d not in dw:
            raise InputError(
                f"domain {d!r} has no domain weight", hint="Give a weight for every domain."
            )
    total_dw = sum(dw.values())
    if total_dw <= 0:
        raise InputError("domain weights are all zero", hint="Give at least one domain weight > 0.")
    out = np.zeros(len(indicators))
    for d in names:
        idx = [i for i, dd in enumerate(domains) if dd == d]
        within = w[idx].sum()
        if within <= 0 and dw[d] > 0:
            raise InputError(
                f"indicator weights in domain {d!r} are all zero but the domain weight is {dw[d]}",
                hint="Give an indicator in the domain a weight > 0, or the domain weight 0.",
            )
        if within > 0:
            out[idx] = w[idx] / within * (dw[d] / total_dw)
    return pd.Series(out, index=[s.indicator_id for s in indicators], name="weight")


def check_weight(v: object, what: str) -> None:
    """Raise InputError unless ``v`` is a finite number ≥ 0 (``what`` names it)."""
    if isinstance(v, bool) or not isinstance(v, int | float | np.number):
        raise InputError(f"{what} must be a number (got {v!r})")
    if not np.isfinite(float(v)) or float(v) < 0:
        raise InputError(f"{what} must be a finite number ≥ 0 (got {v!r})")


def check_specs(indicators: Sequence[IndicatorSpec]) -> None:
    """Raise InputError for no indicators, a repeat, a bad weight or polarity, or all-zero weights."""
    if len(indicators) == 0:
        raise InputError("a need index needs at least one indicator")
    seen: set[str] = set()
    for s in indicators:
        if s.indicator_id in seen:
            raise InputError(f"indicator {s.indicator_id!r} is listed twice")
        seen.add(s.indicator_id)
        check_weight(s.weight, f"weight of indicator {s.indicator_id!r}")
        if s.polarity not in POLARITIES:
            raise InputError(
                f"polarity of indicator {s.indicator_id!r} must be one of "
                f"{', '.join(POLARITIES)} (got {s.polarity!r})",
                hint="A 'neutral' indicator cannot say which areas need more; choose one.",
            )
    if sum(float(s.weight) for s in indicators) <= 0:
        raise InputError(
            "indicator weights are all zero", hint="Give at least one indicator a weight > 0."
        )


@dataclass(frozen=True)
class Profile:
    """A validated intervention profile.

    Attributes
    ----------
    profile_id, name, version, description, rationale : as in the TOML.
    sources : tuple of str
        Evidence and precedent cited for the choice of indicators and weights.
    indicators : tuple of IndicatorSpec
        With polarity resolved from the catalogue where the profile does not set it.
    domain_weights : dict or None
    why : dict
        indicator id → the profile's reason for including it.
    normalisation, aggregation : str
        Defaults suggested by the profile (``zscore``/``additive`` unless set).
    origin : str
        File the profile was read from.
    approaches : tuple of str
        Evidence-catalogue approach ids (:mod:`vrkit.catalog.approaches`) the profile's
        intervention corresponds to, shown next to the ranking.
    optional : frozenset of str
        Indicators (``optional = true`` in the TOML) used when their source is loaded; when it
        is not, the ranking goes ahead without them and says so in its output (their domain
        keeps its weight, carried by its other indicators, which every such domain has).
    """

    profile_id: str
    name: str
    version: int
    description: str
    rationale: str
    sources: tuple[str, ...]
    indicators: tuple[IndicatorSpec, ...]
    domain_weights: dict[str, float] | None
    why: dict[str, str] = field(default_factory=dict)
    normalisation: str = "zscore"
    aggregation: str = "additive"
    origin: str = ""
    approaches: tuple[str, ...] = ()
    optional: frozenset[str] = frozenset()

    @property
    def indicator_ids(self) -> list[str]:
        """Indicator ids in profile order."""
        return [s.indicator_id for s in self.indicators]

    def without(self, ids: Iterable[str]) -> Profile:
        """The profile without some of its optional indicators (their source not loaded)."""
        drop = set(ids)
        if not drop <= self.optional:
            raise InputError(
                f"profile {self.profile_id!r}: only optional indicators can be left out "
                f"(not {', '.join(sorted(drop - self.optional))})"
            )
        return replace(
            self,
            indicators=tuple(s for s in self.indicators if s.indicator_id not in drop),
            why={k: v for k, v in self.why.items() if k not in drop},
            optional=self.optional - drop,
        )


def profile_names() -> list[str]:
    """Names of the built-in profiles."""
    root = ilr.files(__package__) / "profiles"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def _known_polarities() -> dict[str, str]:
    cat = builtin_indicators()
    return dict(zip(cat["indicator_id"], cat["polarity"], strict=True))


def load_profile(
    name_or_path: str | Path,
    *,
    known: Mapping[str, str] | None = None,
    extra: Mapping[str, str] | None = None,
) -> Profile:
    """Read and validate a built-in profile by name, or a user's profile TOML by path.

    Parameters
    ----------
    name_or_path : str or Path
        ``"sports"`` (see :func:`profile_names`) or a path to a ``.toml`` file.
    known : mapping, optional
        indicator id → catalogue polarity of every indicator the profile may use; default the
        built-in catalogue (:func:`vrkit.catalog.indicators.builtin_indicators`).
    extra : mapping, optional
        More known indicators (e.g. user indicators in a warehouse), id → polarity.

    Raises
    ------
    InputError
        Unknown profile, invalid TOML, an unknown key, an unknown indicator, a negative,
        non-numeric or all-zero weight, a neutral indicator without a polarity, inconsistent
        domains; the message names the profile and the key.
    """
    p = Path(str(name_or_path))
    if p.suffix == ".toml" or p.exists():
        if not p.exists():
            raise InputError(f"profile file {p} does not exist")
        text, origin, default_id = p.read_text(encoding="utf-8"), str(p), p.stem
    else:
        name = str(name_or_path)
        if name not in profile_names():
            raise InputError(
                f"unknown profile {name!r}",
                hint=did_you_mean(name, profile_names())
                + f"Built-in profiles: {', '.join(profile_names())}; or pass a .toml path.",
            )
        res = ilr.files(__package__) / "profiles" / f"{name}.toml"
        text, origin, default_id = (
            res.read_text(encoding="utf-8"),
            f"catalog/profiles/{name}.toml",
            name,
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"profile {origin}: not valid TOML: {exc}") from exc
    polarities = dict(known) if known is not None else _known_polarities()
    if extra:
        polarities.update(extra)
    return parse_profile(data, known=polarities, origin=origin, default_id=default_id)


def parse_profile(
    data: Mapping[str, Any],
    *,
    known: Mapping[str, str],
    origin: str = "<profile>",
    default_id: str | None = None,
) -> Profile:
    """Validate a parsed profile mapping (see :func:`load_profile`)."""
    pid = str(data.get("id", default_id or "")) or "<profile>"

    def fail(key: str, msg: str, hint: str | None = None) -> InputError:
        return InputError(f"profile {pid!r} ({origin}), key {key}: {msg}", hint=hint)

    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise fail(
            sorted(unknown)[0], "unknown key", hint=f"Allowed: {', '.join(sorted(_TOP_KEYS))}."
        )
    for key in ("name", "description", "rationale"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise fail(key, "required text is missing or empty")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise fail("version", f"must be a positive integer (got {version!r})")
    sources = data.get("sources", [])
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) for s in sources):
        raise fail("sources", "must be a non-empty list of citations")
    norm = data.get("normalisation", "zscore")
    if norm not in NORMALISATIONS:
        raise fail("normalisation", f"unknown {norm!r}; use one of {', '.join(NORMALISATIONS)}")
    agg = data.get("aggregation", "additive")
    if agg not in AGGREGATIONS:
        raise fail("aggregation", f"unknown {agg!r}; use one of {', '.join(AGGREGATIONS)}")
    items = data.get("indicator")
    if not isinstance(items, list) or not items:
        raise fail("indicator", "at least one [[indicator]] table is required")
    specs: list[IndicatorSpec] = []
    why: dict[str, str] = {}
    optional: set[str] = set()
    for i, item in enumerate(items):
        at = f"indicator[{i}]"
        if not isinstance(item, dict):
            raise fail(at, "must be a table")
        bad = set(item) - _IND_KEYS
        if bad:
            raise fail(
                f"{at}.{sorted(bad)[0]}",
                "unknown key",
                hint=f"Allowed: {', '.join(sorted(_IND_KEYS))}.",
            )
        iid = item.get("id")
        if not isinstance(iid, str) or not iid:
            raise fail(f"{at}.id", "missing indicator id")
        if iid not in known:
            raise fail(
                f"{at}.id",
                f"unknown indicator {iid!r}",
                hint="See `vrkit rank indicators` for the catalogue, or load it first.",
            )
        if any(s.indicator_id == iid for s in specs):
            raise fail(f"{at}.id", f"indicator {iid!r} is listed twice")
        weight = item.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise fail(f"{at}.weight", f"must be a number (got {weight!r})")
        if not weight >= 0 or weight == float("inf"):
            raise fail(f"{at}.weight", f"must be a finite number ≥ 0 (got {weight!r})")
        polarity = item.get("polarity", known[iid])
        if polarity == "neutral":
            raise fail(
                f"{at}.polarity",
                f"indicator {iid!r} is neutral in the catalogue",
                hint="Say whether higher values mean more need: higher_is_worse or higher_is_better.",
            )
        if polarity not in POLARITIES:
            raise fail(
                f"{at}.polarity", f"must be one of {', '.join(POLARITIES)} (got {polarity!r})"
            )
        domain = item.get("domain")
        if domain is not None and not isinstance(domain, str):
            raise fail(f"{at}.domain", "must be text")
        opt = item.get("optional", False)
        if not isinstance(opt, bool):
            raise fail(f"{at}.optional", f"must be true or false (got {opt!r})")
        if opt:
            optional.add(iid)
        specs.append(IndicatorSpec(iid, float(weight), polarity, domain))
        if isinstance(item.get("why"), str):
            why[iid] = item["why"]
    if sum(s.weight for s in specs) <= 0:
        raise fail(
            "indicator[*].weight", "all weights are zero", hint="Give at least one weight > 0."
        )
    domains = data.get("domains")
    dw: dict[str, float] | None = None
    if domains is not None:
        if not isinstance(domains, dict):
            raise fail("domains", "must be a table of domain = weight")
        dw = {}
        for d, v in domains.items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not v >= 0:
                raise fail(f"domains.{d}", f"must be a number ≥ 0 (got {v!r})")
            dw[str(d)] = float(v)
        if sum(dw.values()) <= 0:
            raise fail("domains", "all domain weights are zero")
    approaches = data.get("approaches", [])
    if not isinstance(approaches, list) or not all(isinstance(a, str) for a in approaches):
        raise fail("approaches", "must be a list of evidence approach ids")
    if approaches:
        from vrkit.catalog.approaches import builtin_approaches

        known_ids = set(builtin_approaches()["approach_id"])
        for a in approaches:
            if a not in known_ids:
                raise fail(
                    "approaches",
                    f"unknown evidence approach {a!r}",
                    hint="See catalog/evidence/*.csv for the approach ids.",
                )
    try:
        effective_weights(specs, dw)
    except InputError as exc:
        raise fail("domains", exc.message, hint=exc.hint) from None
    for s in specs:
        if s.indicator_id in optional and not any(
            o.domain == s.domain and o.indicator_id not in optional and o.weight > 0 for o in specs
        ):
            raise fail(
                "indicator[*].optional",
                f"optional indicator {s.indicator_id!r} is the only weighted indicator of its "
                f"domain {s.domain!r}",
                hint="An optional indicator needs a non-optional one beside it in its domain, "
                "so the profile still ranks when its source is not loaded.",
            )
    return Profile(
        profile_id=pid,
        name=data["name"].strip(),
        version=version,
        description=data["description"].strip(),
        rationale=data["rationale"].strip(),
        sources=tuple(sources),
        indicators=tuple(specs),
        domain_weights=dw,
        why=why,
        normalisation=norm,
        aggregation=agg,
        origin=origin,
        approaches=tuple(approaches),
        optional=frozenset(optional),
    )

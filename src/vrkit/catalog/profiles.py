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

:func:`load_profile` validates every key and raises :class:`~vrkit.errors.InputError` naming
the profile and the key (``sports: indicator[2].weight``).
"""

from __future__ import annotations

import importlib.resources as ilr
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vrkit.analysis.need_index import (
    AGGREGATIONS,
    NORMALISATIONS,
    POLARITIES,
    IndicatorSpec,
    effective_weights,
)
from vrkit.errors import InputError

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
_IND_KEYS = {"id", "weight", "domain", "polarity", "why"}


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

    @property
    def indicator_ids(self) -> list[str]:
        """Indicator ids in profile order."""
        return [s.indicator_id for s in self.indicators]


def profile_names() -> list[str]:
    """Names of the built-in profiles."""
    root = ilr.files(__package__) / "profiles"
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def _known_polarities() -> dict[str, str]:
    from vrkit.catalog.indicators import builtin_indicators

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
                hint=f"Built-in profiles: {', '.join(profile_names())}; or pass a .toml path.",
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
    )

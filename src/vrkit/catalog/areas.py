"""London's areas: borough names and GSS codes, the MPS pseudo-areas, and the one area resolver.

Every command and task that takes an ``area`` reads it with :func:`resolve_area`, so one
vocabulary holds everywhere: ``London`` (also ``MPS``, ``Metropolitan Police`` or the MPS
area code ``E61000001``) is the Metropolitan Police District — the 32 London boroughs, whose
figures are the sum of every row of the MPS files, pseudo-areas included — and a borough is
its name, an alias (``Barking & Dagenham``) or its GSS code (``E09000022``). The City of London
(``E09000001``) is refused with the reason: it has its own police force and is not in MPS data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from vrkit.catalog import load_csv
from vrkit.catalog._suggest import did_you_mean
from vrkit.errors import InputError

#: The area ``London`` means: the Metropolitan Police District (MPS area, 32 boroughs).
LONDON_CODE = "E61000001"
LONDON = "London"
#: GSS code of the City of London (its own police force: not in MPS data)
CITY_OF_LONDON = "E09000001"
#: the London region (ONS), which includes the City; accepted as ``London`` in old scripts
LONDON_REGION = "E12000007"
_LONDON_WORDS = {"london", "mps", "metropolitan police", LONDON_CODE.lower()}


@dataclass(frozen=True)
class Area:
    """A resolved area: GSS code, canonical name and kind (``"london"`` or ``"borough"``)."""

    code: str
    name: str
    kind: Literal["london", "borough"]

    @property
    def is_london(self) -> bool:
        """True for London (the MPS area)."""
        return self.kind == "london"


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


def mps_boroughs() -> dict[str, str]:
    """area_code → name of the 32 MPS boroughs (no City of London, no pseudo-areas)."""
    return {c: n for c, n in borough_names().items() if not is_pseudo(c) and c != CITY_OF_LONDON}


def is_pseudo(area_code: str) -> bool:
    """True for MPS pseudo-areas (airports, unknown, SO18, unmapped)."""
    return area_code.startswith("MPS-")


def area_choices() -> list[str]:
    """Every name :func:`resolve_area` accepts for an area, for hints: London and the boroughs."""
    return [LONDON, *sorted(mps_boroughs().values())]


def resolve_area(area: str) -> Area:
    """``"London"`` or an MPS borough (name, alias or GSS code) → :class:`Area`.

    Parameters
    ----------
    area : str
        ``London`` (or ``MPS``, ``Metropolitan Police``, ``E61000001``; the ONS London region
        code ``E12000007`` is read as London too), or a borough name, alias or ``E09`` code,
        in any case.

    Returns
    -------
    Area
        ``Area("E61000001", "London", "london")`` or ``Area(code, name, "borough")``.

    Raises
    ------
    InputError
        The City of London (it has its own police force and is not in MPS data), an MPS
        pseudo-area (no resident population, not a place a report covers), or an unknown name,
        with the closest names suggested.

    Examples
    --------
    >>> resolve_area("lambeth")
    Area(code='E09000022', name='Lambeth', kind='borough')
    >>> resolve_area("London").code
    'E61000001'
    """
    text = str(area).strip()
    if _norm(text) in _LONDON_WORDS or text.upper() == LONDON_REGION:
        return Area(LONDON_CODE, LONDON, "london")
    hit = resolve_borough(text)
    listing = "Use London or one of: " + ", ".join(area_choices()[1:]) + " (or a GSS code E09…)."
    if hit is not None and hit[0] == CITY_OF_LONDON:
        raise InputError(
            f"area {text!r} cannot be reported: the City of London has its own police force "
            "(City of London Police) and is not in the Metropolitan Police data vrkit reports on",
            hint=listing,
        )
    if hit is not None and hit[2] != "lad":
        raise InputError(
            f"area {text!r} is an MPS pseudo-area ({hit[1]}): it has no residents or boundary "
            "and is counted only within London's totals",
            hint=listing,
        )
    if hit is None:
        names = [*area_choices(), *(r["area_code"] for r in load_csv("london_areas.csv"))]
        raise InputError(
            f"unknown area {text!r}: not London or an MPS borough name or GSS code",
            hint=did_you_mean(text, names) + listing,
        )
    return Area(hit[0], hit[1], "borough")

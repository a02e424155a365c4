"""SQL building blocks shared by the named queries (the store owns every query)."""

from __future__ import annotations

from vrkit.catalog.measures import Measure


def quote(text: str) -> str:
    """A SQL string literal of ``text`` (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"


def measure_condition(
    measure: Measure,
    taxonomy: str,
    *,
    major_col: str = "offence_major",
    minor_col: str = "offence_minor",
) -> str:
    """SQL predicate selecting a measure's categories on ``taxonomy`` (values escaped).

    Categories compare case-insensitively and ignoring surrounding spaces, as
    :meth:`vrkit.catalog.measures.Measure.mask` does on frames.

    Raises
    ------
    InputError
        The measure is not defined on ``taxonomy``.
    """
    parts = []
    for r in measure.rules_for(taxonomy):
        cond = "TRUE" if r.major == "*" else f"upper(trim({major_col})) = {quote(r.major.upper())}"
        if r.minor is not None:
            cond += f" AND upper(trim({minor_col})) = {quote(r.minor.upper())}"
        parts.append(f"({cond})")
    return "(" + " OR ".join(parts) + ")"

"""'Did you mean …?' for names a user types (areas, measures, profiles, formats)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(text: str, choices: Iterable[str], *, n: int = 3) -> list[str]:
    """Up to ``n`` of ``choices`` closest to ``text`` (case-insensitive, best first)."""
    options = list(dict.fromkeys(choices))
    lowered = {c.lower(): c for c in options}
    hits = difflib.get_close_matches(text.strip().lower(), list(lowered), n=n, cutoff=0.6)
    if not hits:  # a prefix or a word of a longer name ("hammersmith", "barking")
        low = text.strip().lower()
        hits = [k for k in lowered if low and (k.startswith(low) or low in k.split())][:n]
    return [lowered[h] for h in hits]


def did_you_mean(text: str, choices: Iterable[str]) -> str:
    """``"Did you mean 'Lambeth'? "`` (or ``""``) to start a hint with."""
    hits = close_matches(text, choices)
    if not hits:
        return ""
    return "Did you mean " + " or ".join(repr(h) for h in hits) + "? "

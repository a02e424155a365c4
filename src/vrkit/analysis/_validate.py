"""Input checks shared by the analysis functions (one wording for every caller)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from vrkit.errors import InputError


def require_columns(frame: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    """Raise :class:`InputError` naming the columns ``frame`` lacks and those it has."""
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what} lacks column(s) {', '.join(map(str, missing))}",
            hint=f"It has: {', '.join(map(str, frame.columns))}.",
        )

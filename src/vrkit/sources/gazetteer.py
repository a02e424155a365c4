"""Gazetteer files: places that free-text locations are matched against (``name, easting,
northing`` in British National Grid metres, optional ``area_code``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vrkit.errors import InputError, SourceError


def read_gazetteer(path: str | Path) -> pd.DataFrame:
    """Read a gazetteer CSV as a frame (validated by
    :meth:`vrkit.analysis.health.Gazetteer.from_frame`).

    Raises
    ------
    InputError
        The file does not exist.
    SourceError
        The file cannot be read as CSV.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"gazetteer {p} does not exist")
    try:
        return pd.read_csv(p, dtype={"name": str, "area_code": str})
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise SourceError(p, f"cannot be read as a CSV gazetteer: {exc}") from None

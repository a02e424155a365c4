"""JSON-ready values from frames and result objects (one helper for every writer).

``jsonable`` turns NaN/NA/NaT into ``None``, numpy scalars into Python ones and dates into ISO
strings; ``records`` turns a frame into row dicts, expanding the ``suppressed``/``blanked``
columns of a disclosure-controlled table into flags.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd


def jsonable(x: Any, *, whole_floats_as_int: bool = True) -> Any:
    """Recursively make ``x`` JSON-safe: NaN/NA → None, numpy scalars → Python, dates → ISO.

    With ``whole_floats_as_int`` (default) a float with no fractional part becomes an ``int``
    (``2.0`` → ``2``), as the reports write counts; otherwise floats stay floats.
    """
    if isinstance(x, dict):
        return {str(k): jsonable(v, whole_floats_as_int=whole_floats_as_int) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [jsonable(v, whole_floats_as_int=whole_floats_as_int) for v in x]
    if isinstance(x, np.ndarray):
        return [jsonable(v, whole_floats_as_int=whole_floats_as_int) for v in x.tolist()]
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        f = float(x)
        if not math.isfinite(f):
            return None
        if whole_floats_as_int and f.is_integer() and abs(f) < 2**53:
            return int(f)
        return f
    if isinstance(x, pd.Timestamp | datetime | date):
        return x.isoformat()
    return x


def flag_public(
    dst: dict[str, Any], row: dict[str, Any], rename: dict[str, str] | None = None
) -> None:
    """Set ``suppressed`` (bool), ``suppressed_fields`` and ``blanked_fields`` in ``dst`` from a
    public row's comma-separated ``suppressed``/``blanked`` columns (field names renamed)."""
    ren = rename or {}
    sup = [ren.get(f, f) for f in str(row.get("suppressed") or "").split(",") if f]
    blank = [ren.get(f, f) for f in str(row.get("blanked") or "").split(",") if f]
    dst.pop("blanked", None)
    dst["suppressed"] = bool(sup)
    dst["suppressed_fields"] = sup
    dst["blanked_fields"] = blank


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Rows as dicts (dates as ``YYYY-MM-DD``, missing as None); in a public table the
    ``suppressed``/``blanked`` columns become a ``suppressed`` flag and the lists
    ``suppressed_fields``/``blanked_fields``."""
    if frame is None or frame.empty:
        return []
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    recs = out.astype(object).where(out.notna(), None).to_dict("records")
    if "suppressed" in out.columns:
        for r in recs:
            flag_public(r, r)
    return recs


def is_missing(x: object) -> bool:
    """True for None, NA, NaN or anything that is not a number."""
    try:
        return math.isnan(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return x is None or x is pd.NA

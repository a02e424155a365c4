"""Apply a disclosure-control result to a published table (shared by every public report).

:func:`mark_protected` blanks the suppressed counts of each row and every figure derived from
them, and records which columns were suppressed or blanked, so that HTML, XLSX, JSON and
GeoPackage writers can mark them ("*", null + flag).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from vrkit.disclosure.linked import LinkedResult

#: column listing, per row, the count columns that were suppressed
SUPPRESSED_COL = "suppressed"
#: column listing, per row, the derived columns blanked because a source count was suppressed
BLANKED_COL = "blanked"

KeyFn = Callable[[dict[str, Any]], Hashable | None]


def mark_protected(
    frame: pd.DataFrame,
    result: LinkedResult,
    counts: Mapping[str, KeyFn],
    derived: Mapping[str, tuple[Any, ...]],
    published: set[Any],
) -> pd.DataFrame:
    """Blank suppressed counts and what is derived from them; add ``suppressed``/``blanked``.

    Parameters
    ----------
    frame : DataFrame
        A table as the report would publish it.
    result : LinkedResult
        The outcome of :func:`vrkit.disclosure.linked.protect_linked`.
    counts : mapping
        Count column → function of the row giving the key of its figure (``None``: no figure).
    derived : mapping
        Derived column → the count columns (names) or keys (functions of the row) it is
        computed from; it is blanked when any of them is suppressed.
    published : set
        Collects the keys of every figure published (for audits).
    """
    if frame is None or frame.empty:
        return frame
    out = frame.copy()
    recs = out.to_dict("records")
    sup_rows: list[list[str]] = []
    blank_rows: list[list[str]] = []
    for rec in recs:
        sup = []
        for col, kf in counts.items():
            k = kf(rec)
            if k is None:
                continue
            published.add(k)
            if result.suppressed(k):
                sup.append(col)
        blank = []
        for col, srcs in derived.items():
            if col not in out.columns:
                continue
            for s_ in srcs:
                if (callable(s_) and result.suppressed(s_(rec))) or (
                    isinstance(s_, str) and s_ in sup
                ):
                    blank.append(col)
                    break
        sup_rows.append(sup)
        blank_rows.append(blank)
    for col in [*counts, *derived]:
        if col not in out.columns:
            continue
        hit = np.array([col in s or col in b for s, b in zip(sup_rows, blank_rows, strict=True)])
        if hit.any():
            if not pd.api.types.is_numeric_dtype(out[col]):  # text (object or str dtype)
                out[col] = out[col].astype(object).where(~hit, None)
            else:
                out[col] = out[col].astype("float64").where(~hit, np.nan)
    out[SUPPRESSED_COL] = [",".join(s) for s in sup_rows]
    out[BLANKED_COL] = [",".join(b) for b in blank_rows]
    return out


def add_blanked(frame: pd.DataFrame, rows: np.ndarray, cols: tuple[str, ...]) -> pd.DataFrame:
    """Blank ``cols`` in the rows ``rows`` (bool) and list them in ``blanked``."""
    cols = tuple(c for c in cols if c in frame.columns)
    if not rows.any() or not cols:
        return frame
    out = frame.copy()
    for c in cols:
        out[c] = out[c].astype("float64").where(~rows, np.nan)
    out[BLANKED_COL] = [
        ",".join(dict.fromkeys([*(b.split(",") if b else []), *cols])) if r else b
        for b, r in zip(out[BLANKED_COL], rows, strict=True)
    ]
    return out

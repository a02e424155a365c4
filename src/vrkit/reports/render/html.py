"""The one HTML table renderer of the reports (human labels, numbers formatted by kind).

:func:`table_html` renders a DataFrame as an accessible table: headers are the labels of the
label catalogue (:mod:`vrkit.reports.render.labels`), values are formatted by their kind (counts
with thousands separators, shares as percentages, p-values as ``< 0.001``, dates without a
time, lists as prose), numbers sit in right-aligned cells of class ``n``, and in a
disclosure-controlled table the suppressed counts listed in its ``suppressed`` column are shown
as ``*``. The table sits in a focusable region that scrolls on its own on a narrow screen, so the
page never grows wider than the window.
"""

from __future__ import annotations

import pandas as pd

from vrkit.disclosure.sdc import SUPPRESSED
from vrkit.disclosure.tables import BLANKED_COL, SUPPRESSED_COL
from vrkit.reports.render.labels import column, format_value, is_missing

#: kinds shown right-aligned
NUMERIC_KINDS = frozenset({"count", "rate", "share", "pct", "p_value", "stat", "label"})
#: a table with more columns than this prints on a landscape page
WIDE_COLUMNS = 7
NUM_ATTR = " class='n'"


def esc(text: str) -> str:
    """``text`` with ``&``, ``<``, ``>`` and ``"`` escaped for HTML."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def wrap_table(table: str, *, caption: str = "", n_columns: int = 0) -> str:
    """``table`` inside the house scroll container (focusable, labelled, landscape in print
    when it has more than :data:`WIDE_COLUMNS` columns)."""
    cls = "table-wrap wide" if n_columns > WIDE_COLUMNS else "table-wrap"
    name = esc(caption or "Table")
    return f'<div class="{cls}" role="region" aria-label="{name}" tabindex="0">{table}</div>'


def table_html(
    frame: pd.DataFrame | None,
    *,
    pct: tuple[str, ...] = (),
    digits: int | None = None,
    float_format: str | None = None,
    missing: str = "",
    empty: str = "<p>No data.</p>",
    caption: str = "",
    labels: dict[str, str] | None = None,
) -> str:
    """``frame`` as an HTML ``<table>`` in a scroll container.

    Parameters
    ----------
    pct : tuple of str
        Columns holding shares (0–1) that the catalogue does not already call shares.
    digits : int, optional
        Decimals of rates and statistics (default: by kind).
    float_format : str, optional
        Format of every non-label float, e.g. ``"{:,.3f}"`` (overrides the kind).
    missing : str
        Text of a missing value.
    empty : str
        HTML shown instead of an empty table.
    caption : str
        The table's caption (also names its scroll region).
    labels : dict, optional
        Column id → label overriding the catalogue for this table.
    """
    if frame is None or frame.empty:
        return empty
    sup_col = frame[SUPPRESSED_COL] if SUPPRESSED_COL in frame.columns else None
    frame = frame.drop(columns=[c for c in (SUPPRESSED_COL, BLANKED_COL) if c in frame.columns])
    specs = {c: column(c, frame[c]) for c in frame.columns}
    kinds = {c: ("share" if c in pct else specs[c].kind) for c in frame.columns}
    names = {**{str(c): specs[c].label for c in frame.columns}, **(labels or {})}
    head = "".join(
        f"<th scope='col'{NUM_ATTR if kinds[c] in NUMERIC_KINDS else ''}>{esc(names[str(c)])}</th>"
        for c in frame.columns
    )
    body = []
    for i, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = []
        starred = set(str(sup_col[i]).split(",")) if sup_col is not None else set()
        for c, v in zip(frame.columns, row, strict=True):
            kind = kinds[c]
            cls = "n" if kind in NUMERIC_KINDS else ""
            if c in starred:
                txt, cls = SUPPRESSED, "n"
            elif not isinstance(v, list | tuple) and is_missing(v):
                txt = missing
            elif (
                float_format is not None and kind not in ("label", "text") and isinstance(v, float)
            ):
                txt = float_format.format(v)
            else:
                txt = format_value(v, kind, digits=digits)
            attr = f" class='{cls}'" if cls else ""
            cells.append(f"<td{attr}>{esc(txt)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    table = f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return wrap_table(table, caption=caption, n_columns=len(frame.columns))

"""The one HTML table renderer of the reports (numbers right-aligned, suppressed cells starred).

:func:`table_html` renders a DataFrame as an accessible table: column headers scoped, numbers in
cells of class ``n`` (right-aligned by the stylesheets), counts with thousands separators,
shares as percentages, years, periods, ranks and deciles as plain labels, missing values as
``missing`` and, in a disclosure-controlled table, the suppressed counts listed in its
``suppressed`` column shown as ``*``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vrkit.disclosure.sdc import SUPPRESSED
from vrkit.disclosure.tables import BLANKED_COL, SUPPRESSED_COL

#: columns that hold labels, not quantities (no thousands separator, no decimals)
LABEL_COLUMNS = frozenset(
    {"year", "period", "period_from", "period_to", "rank", "rank_low", "rank_high", "decile"}
)


def esc(text: str) -> str:
    """``text`` with ``&``, ``<`` and ``>`` escaped for HTML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _is_nan(v: object) -> bool:
    return isinstance(v, float | np.floating) and bool(np.isnan(v))


def table_html(
    frame: pd.DataFrame | None,
    *,
    pct: tuple[str, ...] = (),
    digits: int = 3,
    float_format: str | None = None,
    missing: str = "",
    empty: str = "<p>No data.</p>",
) -> str:
    """``frame`` as an HTML ``<table>``.

    Parameters
    ----------
    pct : tuple of str
        Columns holding shares (0–1), shown as ``12.3 %``.
    digits : int
        Decimals of other non-integer numbers (``float_format`` overrides).
    float_format : str, optional
        Format of every float, e.g. ``"{:,.3f}"``.
    missing : str
        Text of a missing value.
    empty : str
        HTML shown instead of an empty table.
    """
    if frame is None or frame.empty:
        return empty
    sup_col = frame[SUPPRESSED_COL] if SUPPRESSED_COL in frame.columns else None
    frame = frame.drop(columns=[c for c in (SUPPRESSED_COL, BLANKED_COL) if c in frame.columns])
    head = "".join(f"<th scope='col'>{esc(str(c))}</th>" for c in frame.columns)
    body = []
    for i, row in frame.iterrows():
        cells = []
        starred = set(str(sup_col[i]).split(",")) if sup_col is not None else set()
        for c in frame.columns:
            v = row[c]
            if c in starred:
                txt, cls = SUPPRESSED, "n"
            elif c in LABEL_COLUMNS and not _is_nan(v) and v is not None:
                # labels, not quantities: no thousands separator (iterrows upcasts to float)
                txt, cls = str(int(v)) if isinstance(v, int | np.integer | float) else str(v), "n"
            elif isinstance(v, float | np.floating):
                if np.isnan(v):
                    txt, cls = missing, "n"
                elif float_format is not None:
                    txt, cls = float_format.format(v), "n"
                elif c in pct:
                    txt, cls = f"{100 * v:.1f} %", "n"
                elif float(v).is_integer() and abs(float(v)) > 10:
                    txt, cls = f"{v:,.0f}", "n"
                else:
                    txt, cls = f"{v:,.{digits}f}", "n"
            elif isinstance(v, int | np.integer):
                txt, cls = f"{v:,}", "n"
            else:
                txt, cls = ("" if v is None else str(v)), ""
            cells.append(f"<td class='{cls}'>{esc(txt)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"

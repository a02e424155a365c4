"""Statistical disclosure control (SDC) for published counts: suppression, rounding and audits.

Every output marked *public* passes its count tables through :func:`protect`, and every rate or
map value derived from those counts through :func:`blank_derived`.

Method
------
1. **Primary suppression** of small counts (rule ``"nhs"``: 1–7, the HES / NHS Digital rule;
   rule ``"lt10"``: 1–9, i.e. "fewer than 10"). Zero is published: it is not a small count of
   people. Margins (row, column and grand totals) are subject to the same rule.
2. **Secondary (complementary) suppression** for tables published with totals. The table with its
   margins is a bipartite graph: one node per row (the totals row included), one per column (the
   totals column included) and one edge per suppressed cell. A suppressed cell can be recovered
   exactly by adding and subtracting published cells *if and only if* its edge is a bridge of that
   graph (it lies on no cycle): cutting the bridge splits the lines into two groups whose
   equations sum to the cell's value. Conversely, every cell on a cycle of positive suppressed
   cells can move by ``±t`` around the cycle (alternating signs keep every line total) for some
   ``t > 0``, so its feasible interval has positive width. The algorithm therefore

   a. suppresses, in every line (row or column, margins included) holding exactly one suppressed
      cell, the smallest positive published cell of that line, preferring cells whose other line
      already holds a suppression (fewer cells lost); then
   b. finds the remaining bridges and closes each with the smallest positive published cell that
      joins the two sides of the bridge (a cycle through it);

   and repeats (a)–(b) until no line holds a single suppression and no bridge remains (a fixed
   point; each pass adds at least one cell, so it ends). Zero cells are used only when no positive
   cell can close a cycle. This is the classic "at least two suppressions per line" rule of the
   guidance, made sufficient for two-way tables by the bridge test (the rule alone is not: two
   protected blocks joined by one cell leak that cell).
3. **Rounding** (optional, ``round_to=5``): every published (unsuppressed) value is rounded to the
   nearest multiple of 5, after suppression, as in the HES rule "suppress 1–7, round the rest to
   the nearest 5". Rounded totals need not equal the sum of rounded cells.

:func:`feasible_intervals` is the attacker's view used to audit a result: for each suppressed
cell it solves two linear programmes (scipy's HiGHS) over all non-negative tables consistent with
the published cells and margins, giving the tightest interval an intruder can deduce.

References
----------
- NHS Digital, *Hospital Episode Statistics (HES) Analysis Guide*, section "Small numbers and
  suppression" (suppress 1–7, round others to the nearest 5).
- ONS (Government Statistical Service), *Disclosure control guidance for tables produced from
  administrative data sources* (2014) and *Policy on protecting confidentiality in tables of
  birth and death statistics*; secondary suppression "so that suppressed cells cannot be
  calculated by subtraction".
- Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Schulte Nordholt, E., Spicer,
  K. and de Wolf, P.-P. (2012). *Statistical Disclosure Control*. Wiley. Chapter 4
  (magnitude/frequency tables: primary and secondary suppression, audit by linear programming).
- Cox, L. H. (1980). Suppression methodology and statistical disclosure control. *JASA* 75(370),
  377–385 (complementary suppression in two-way tables; the cycle condition).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from vrkit.errors import InputError

Rule = Literal["nhs", "lt10"]

#: rule → inclusive range of counts suppressed primarily
RULES: dict[str, tuple[int, int]] = {"nhs": (1, 7), "lt10": (1, 9)}
#: text stated on public outputs for each rule
RULE_TEXT: dict[str, str] = {
    "nhs": "counts of 1 to 7 are suppressed (shown as *), as in the NHS Digital HES rule",
    "lt10": "counts below 10 (other than 0) are suppressed (shown as *)",
}
#: label of the margin row and column added by :func:`protect`
TOTAL = "Total"
#: marker of a suppressed cell in the published table
SUPPRESSED = "*"

Cell = tuple[Hashable, Hashable]


@dataclass(frozen=True)
class ProtectedTable:
    """A table ready to publish, and the record of what was suppressed and why.

    Attributes
    ----------
    published : DataFrame
        What may be shown: ints (rounded if asked) and ``"*"`` for suppressed cells; with a
        ``Total`` row and column when ``margins``.
    values : DataFrame
        The same as nullable integers (``Int64``), ``<NA>`` where suppressed; for charts and maps.
    flags : DataFrame
        ``"primary"``, ``"secondary"`` or ``""`` for every cell of ``published``.
    primary, secondary : list of (row, column)
        Cells suppressed by the small-count rule and to protect them, in the labels of
        ``published`` (margins are ``"Total"``).
    rule, round_to, margins : parameters used.
    statement : str
        The sentence public outputs print to say which rule was applied.
    method, reference : str
        What was done, and where the method comes from.
    """

    published: pd.DataFrame
    values: pd.DataFrame
    flags: pd.DataFrame
    primary: list[Cell]
    secondary: list[Cell]
    rule: str
    round_to: int | None
    margins: bool
    statement: str
    method: str = (
        "primary suppression of small counts; secondary suppression until no suppressed cell is a "
        "bridge of the row/column graph (no line with a single suppression); then rounding"
    )
    reference: str = (
        "NHS Digital HES Analysis Guide; ONS/GSS disclosure control guidance for tables; "
        "Hundepool et al. (2012) Statistical Disclosure Control, ch. 4"
    )
    params: dict[str, object] = field(default_factory=dict)
    #: unrounded table with margins (private: never publish); used by audits
    _true: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def suppressed(self) -> pd.DataFrame:
        """Boolean frame: True where the published cell is ``"*"``."""
        return self.flags != ""

    def to_frame(self) -> pd.DataFrame:
        """Long format: ``row, column, value, status`` (value ``<NA>`` when suppressed)."""
        v = self.values.stack(future_stack=True).rename("value")
        f = self.flags.stack(future_stack=True).rename("status")
        out = pd.concat([v, f], axis=1).reset_index()
        out.columns = ["row", "column", "value", "status"]
        return out


def _as_counts(table: pd.DataFrame | pd.Series) -> pd.DataFrame:
    frame = table.to_frame() if isinstance(table, pd.Series) else table
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"`table` must be a pandas DataFrame or Series, got {type(table).__name__}"
        )
    if frame.empty:
        raise InputError("`table` is empty: nothing to protect")
    if frame.isna().to_numpy().any():
        r, c = np.argwhere(frame.isna().to_numpy())[0]
        raise InputError(
            "`table` holds missing values: missing is not zero, so SDC cannot decide what is safe",
            hint=f"first at row {frame.index[r]!r}, column {frame.columns[c]!r}; fill or drop it "
            "explicitly before protecting",
        )
    try:
        arr = frame.to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError("`table` must hold counts (whole numbers ≥ 0)") from exc
    if (arr < 0).any() or (arr != np.round(arr)).any():
        raise InputError("`table` must hold counts (whole numbers ≥ 0)")
    if not (frame.index.is_unique and frame.columns.is_unique):
        raise InputError("`table` row and column labels must be unique")
    if TOTAL in frame.index or TOTAL in frame.columns:
        raise InputError(
            f"`table` already has a {TOTAL!r} row or column",
            hint="Pass the table without totals; protect() adds and protects the margins.",
        )
    return pd.DataFrame(arr.astype(np.int64), index=frame.index, columns=frame.columns)


def _with_margins(counts: pd.DataFrame) -> pd.DataFrame:
    out = counts.copy()
    out[TOTAL] = out.sum(axis=1)
    out.loc[TOTAL] = out.sum(axis=0)
    return out


def primary_mask(values: np.ndarray, rule: str) -> np.ndarray:
    """Cells suppressed by the small-count ``rule`` (see :data:`RULES`)."""
    if rule not in RULES:
        raise InputError(f"unknown SDC rule {rule!r}", hint=f"Use one of {', '.join(RULES)}.")
    lo, hi = RULES[rule]
    return (values >= lo) & (values <= hi)


def _bridges(mask: np.ndarray) -> list[tuple[int, int]]:
    """Suppressed cells that are bridges of the row/column bipartite graph (Tarjan, iterative)."""
    n_r, n_c = mask.shape
    adj: list[list[tuple[int, int]]] = [[] for _ in range(n_r + n_c)]
    cells = [(int(i), int(j)) for i, j in np.argwhere(mask)]
    for e, (i, j) in enumerate(cells):
        adj[i].append((n_r + j, e))
        adj[n_r + j].append((i, e))
    disc = [-1] * (n_r + n_c)
    low = [0] * (n_r + n_c)
    timer = 0
    out: list[tuple[int, int]] = []
    for root in range(n_r + n_c):
        if disc[root] != -1 or not adj[root]:
            continue
        disc[root] = low[root] = timer
        timer += 1
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]  # node, parent edge, next index
        while stack:
            node, pe, k = stack[-1]
            if k < len(adj[node]):
                stack[-1] = (node, pe, k + 1)
                nxt, e = adj[node][k]
                if e == pe:
                    continue
                if disc[nxt] == -1:
                    disc[nxt] = low[nxt] = timer
                    timer += 1
                    stack.append((nxt, e, 0))
                else:
                    low[node] = min(low[node], disc[nxt])
            else:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[node])
                    if low[node] > disc[parent]:
                        out.append(cells[pe])
    return out


def _component(mask: np.ndarray, start: int, cut: tuple[int, int]) -> set[int]:
    """Graph nodes reachable from ``start`` without using the edge ``cut``."""
    n_r = mask.shape[0]
    seen = {start}
    todo = [start]
    while todo:
        node = todo.pop()
        if node < n_r:
            nbrs = [n_r + int(j) for j in np.flatnonzero(mask[node]) if (node, int(j)) != cut]
        else:
            j = node - n_r
            nbrs = [int(i) for i in np.flatnonzero(mask[:, j]) if (int(i), j) != cut]
        for nb in nbrs:
            if nb not in seen:
                seen.add(nb)
                todo.append(nb)
    return seen


def _pick(
    values: np.ndarray,
    candidates: np.ndarray,
    score: np.ndarray,
    keep: np.ndarray | None = None,
) -> tuple[int, int] | None:
    """Smallest positive candidate (ties: higher ``score``, then position); a zero only if needed.

    With ``keep``, candidates of a lower keep weight are taken first (among positive cells),
    then the smallest.
    """
    ij = np.argwhere(candidates)
    if not len(ij):
        return None
    v = values[ij[:, 0], ij[:, 1]].astype(np.float64)
    s = score[ij[:, 0], ij[:, 1]].astype(np.float64)
    kw = np.zeros(len(ij)) if keep is None else keep[ij[:, 0], ij[:, 1]].astype(np.float64)
    k = int(np.lexsort((np.arange(len(ij)), -s, v, kw, v <= 0))[0])
    return int(ij[k, 0]), int(ij[k, 1])


def secondary_mask(
    values: np.ndarray, primary: np.ndarray, keep: np.ndarray | None = None
) -> np.ndarray:
    """Complementary suppressions so that no suppressed cell can be recovered (see module notes).

    Parameters
    ----------
    values : ndarray of int, shape (r, c)
        The whole table *including* its margins (last row and column are the totals) when the
        table is published with totals; any two-way table whose lines are all published sums.
    primary : ndarray of bool
        Cells already suppressed.
    keep : ndarray of float, optional
        Preference for publishing each cell: complementary suppressions are taken from the
        lowest keep weight first (then the smallest value). Default: all equal.

    Returns
    -------
    ndarray of bool
        Cells to suppress in addition to ``primary`` (never overlapping it).
    """
    mask = primary.copy()
    n_r, n_c = mask.shape
    while True:
        added = False
        # (a) lines with exactly one suppressed cell
        for axis in (0, 1):
            counts = mask.sum(axis=1 - axis)
            for line in np.flatnonzero(counts == 1):
                line_mask = mask[line] if axis == 0 else mask[:, line]
                if line_mask.sum() != 1:  # changed by an earlier addition in this pass
                    continue
                cand = np.zeros_like(mask)
                if axis == 0:
                    cand[line] = ~mask[line]
                else:
                    cand[:, line] = ~mask[:, line]
                # prefer cells whose crossing line already has a suppression
                score = np.zeros(mask.shape)
                score += (mask.sum(axis=1) > 0)[:, None] * (axis == 1)
                score += (mask.sum(axis=0) > 0)[None, :] * (axis == 0)
                hit = _pick(values, cand, score, keep)
                if hit is not None:
                    mask[hit] = True
                    added = True
        # (b) bridges (cells on no cycle), one at a time
        for i, j in _bridges(mask):
            if not mask[i, j]:
                continue
            side = _component(mask, i, (i, j))
            if n_r + j in side:  # closed by an earlier addition in this pass
                continue
            rows_a = np.array([k in side for k in range(n_r)])
            cols_a = np.array([n_r + k in side for k in range(n_c)])
            # a new edge from side A's rows to side B's columns, or B's rows to A's columns
            cand = (rows_a[:, None] & ~cols_a[None, :]) | (~rows_a[:, None] & cols_a[None, :])
            cand &= ~mask
            score = (mask.sum(axis=1) > 0)[:, None] * 1.0 + (mask.sum(axis=0) > 0)[None, :]
            hit = _pick(values, cand, score, keep)
            if hit is not None:
                mask[hit] = True
                added = True
        if not added:
            break
    if _bridges(mask):  # cannot happen: a bridge always has a closing candidate (see notes)
        raise RuntimeError("secondary suppression left a recoverable cell; please report")
    return mask & ~primary


def protect(
    table: pd.DataFrame | pd.Series,
    rule: Rule = "nhs",
    margins: bool = True,
    round_to: int | None = None,
    force: pd.DataFrame | None = None,
    keep: pd.DataFrame | None = None,
) -> ProtectedTable:
    """Suppress (and optionally round) a count table for publication.

    Parameters
    ----------
    table : DataFrame or Series
        Counts (whole numbers ≥ 0), without totals. A Series is a one-column table.
        Missing values are refused (missing is not zero).
    rule : {"nhs", "lt10"}
        Primary suppression: ``"nhs"`` suppresses 1–7 (NHS Digital HES rule); ``"lt10"``
        suppresses 1–9. Zero is published.
    margins : bool, default True
        Publish a ``Total`` row and column (and grand total). Secondary suppression then makes
        sure no suppressed cell (margins included) can be recovered from the published cells. With
        ``margins=False`` only primary suppression applies: publish no totals of such a table.
    round_to : int or None
        Round every published count to the nearest multiple (5 in the HES rule).
    force : DataFrame of bool, optional
        Cells to suppress whatever their value, in the labels of the table *with* its margins
        (``Total`` row/column when ``margins``); missing labels count as False. Used to keep
        linked tables consistent (a figure suppressed in one table must be suppressed wherever
        else it is published). Forced cells are flagged ``"secondary"`` unless the small-count
        rule suppresses them anyway, and secondary suppression protects them like any other.
    keep : DataFrame of float, optional
        Publication priority of each cell (labels of the table with margins; missing = 0):
        complementary suppressions are taken from the lowest weight first, e.g. to sacrifice an
        unpublished residual column or a less important measure before a headline one.

    Returns
    -------
    ProtectedTable
        ``published`` (with ``"*"``), ``values`` (``Int64`` with ``<NA>``), ``flags``, and the
        lists of ``primary`` and ``secondary`` cells.

    Raises
    ------
    InputError
        Unknown rule, non-count or missing values, or a table that already has totals.

    Notes
    -----
    See the module docstring for the method and references. :func:`feasible_intervals` audits the
    result.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"a": [3, 20], "b": [15, 12]}, index=["x", "y"])
    >>> r = protect(t)
    >>> r.published.loc["x", "a"], len(r.secondary) > 0
    ('*', True)
    """
    if round_to is not None and (not isinstance(round_to, int) or round_to < 2):
        raise InputError(f"`round_to` must be an integer ≥ 2 or None, got {round_to!r}")
    counts = _as_counts(table)
    full = _with_margins(counts) if margins else counts
    vals = full.to_numpy()
    prim = primary_mask(vals, rule)
    forced = np.zeros_like(prim)
    if force is not None:
        forced = (
            force.reindex(index=full.index, columns=full.columns)
            .fillna(False)
            .astype(bool)
            .to_numpy()
        )
    start = prim | forced
    kw = (
        None
        if keep is None
        else keep.reindex(index=full.index, columns=full.columns)
        .fillna(0.0)
        .astype(float)
        .to_numpy()
    )
    sec = (secondary_mask(vals, start, kw) if margins else np.zeros_like(prim)) | (forced & ~prim)
    supp = prim | sec
    shown = vals.copy()
    if round_to:
        shown = (np.floor(vals / round_to + 0.5) * round_to).astype(np.int64)
    values = pd.DataFrame(shown, index=full.index, columns=full.columns).astype("Int64")
    values = values.mask(supp)
    published = values.astype(object).where(~supp, SUPPRESSED)
    flags = pd.DataFrame(
        np.where(prim, "primary", np.where(sec, "secondary", "")),
        index=full.index,
        columns=full.columns,
    )

    def cells(m: np.ndarray) -> list[Cell]:
        return [(full.index[i], full.columns[j]) for i, j in np.argwhere(m)]

    statement = "Disclosure control: " + RULE_TEXT[rule]
    if margins:
        statement += "; further cells are suppressed so that none can be worked out from totals"
    if round_to:
        statement += f"; other figures are rounded to the nearest {round_to}"
    return ProtectedTable(
        published=published,
        values=values,
        flags=flags,
        primary=cells(prim),
        secondary=cells(sec),
        rule=rule,
        round_to=round_to,
        margins=margins,
        statement=statement + ".",
        params={"rule": rule, "margins": margins, "round_to": round_to},
        _true=full,
    )


def feasible_intervals(result: ProtectedTable) -> pd.DataFrame:
    """What an intruder can deduce: the tightest interval of every suppressed cell.

    Solves, for each suppressed cell, ``min`` and ``max`` of its value over all non-negative
    tables that agree with every published cell and satisfy every row and column equation of the
    table with margins (linear programmes, :func:`scipy.optimize.linprog`, HiGHS). Rounded
    results are audited as if unrounded (the intruder's knowledge is then an upper bound).

    Returns
    -------
    DataFrame
        ``row, column, status, true, lower, upper, width``; ``upper`` is ``inf`` when unbounded.
        A width of 0 means the cell can be recovered exactly.

    References
    ----------
    Hundepool et al. (2012), *Statistical Disclosure Control*, §4.3 (audit of a suppression
    pattern by linear programming).
    """
    from scipy.optimize import linprog

    if result._true is None:
        raise InputError("this ProtectedTable carries no values to audit")
    full = result._true.to_numpy().astype(float)
    supp = result.suppressed.to_numpy()
    cols = ["row", "column", "status", "true", "lower", "upper", "width"]
    if not supp.any():
        return pd.DataFrame(columns=cols)
    n_r, n_c = full.shape
    idx = {(int(c[0]), int(c[1])): k for k, c in enumerate(np.argwhere(supp))}
    n = len(idx)
    lines: list[tuple[list[tuple[int, int]], list[tuple[int, int]]]] = []
    if result.margins:
        for i in range(n_r):
            lines.append(([(i, j) for j in range(n_c - 1)], [(i, n_c - 1)]))
        for j in range(n_c):
            lines.append(([(i, j) for i in range(n_r - 1)], [(n_r - 1, j)]))
    a_rows: list[np.ndarray] = []
    b: list[float] = []
    for parts, totals in lines:
        row = np.zeros(n)
        rhs = 0.0
        for sign, group in ((1.0, parts), (-1.0, totals)):
            for c in group:
                if c in idx:
                    row[idx[c]] += sign
                else:
                    rhs -= sign * full[c]
        if row.any():
            a_rows.append(row)
            b.append(rhs)
    a_eq = np.array(a_rows) if a_rows else None
    b_eq = np.array(b) if b else None
    out = []
    for c, k in idx.items():
        obj = np.zeros(n)
        obj[k] = 1.0
        lo = linprog(obj, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-obj, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        lower = float(lo.fun) if lo.status == 0 else 0.0
        upper = float(-hi.fun) if hi.status == 0 else float("inf")
        out.append(
            (
                result.published.index[c[0]],
                result.published.columns[c[1]],
                result.flags.iat[c],
                int(full[c]),
                lower,
                upper,
                upper - lower,
            )
        )
    return pd.DataFrame(out, columns=cols)


def blank_derived(
    derived: pd.DataFrame | pd.Series,
    suppressed: pd.DataFrame | pd.Series,
) -> pd.DataFrame | pd.Series:
    """Blank rates (or any figure) whose numerator count is suppressed.

    A rate per 1,000 population, a share or a map class computed from a suppressed count would
    give the count back (rate × population). This returns a copy of ``derived`` with ``<NA>``
    wherever ``suppressed`` is True. The two must have the same labels: a derived value with no
    matching suppression flag is refused rather than published unchecked.

    Parameters
    ----------
    derived : DataFrame or Series
        Rates or other values computed from the counts.
    suppressed : DataFrame or Series of bool
        :attr:`ProtectedTable.suppressed` (or its column), aligned by labels.

    Returns
    -------
    Same type as ``derived``, never mutated in place.

    Raises
    ------
    InputError
        When a label of ``derived`` has no suppression flag.
    """
    if isinstance(derived, pd.Series) and isinstance(suppressed, pd.DataFrame):
        if derived.name in suppressed.columns:
            suppressed = suppressed[[derived.name]]
        suppressed = suppressed[[c for c in suppressed.columns if c != TOTAL]]
        if suppressed.shape[1] != 1:
            raise InputError("a Series of rates needs a one-column suppression frame or a Series")
        suppressed = suppressed.iloc[:, 0]
    missing_rows = derived.index.difference(suppressed.index)
    if len(missing_rows):
        raise InputError(
            f"{len(missing_rows)} derived value(s) have no suppression flag "
            f"(first: {missing_rows[0]!r})",
            hint="Derive rates only from counts that went through vrkit.disclosure.sdc.protect().",
        )
    if isinstance(derived, pd.DataFrame):
        assert isinstance(suppressed, pd.DataFrame)
        missing_cols = derived.columns.difference(suppressed.columns)
        if len(missing_cols):
            raise InputError(
                f"derived column(s) {list(missing_cols)} have no suppression flag",
                hint="Derive rates only from counts that went through vrkit.disclosure.sdc.protect().",
            )
        flags = suppressed.loc[derived.index, derived.columns].astype(bool)
    else:
        flags = suppressed.loc[derived.index].astype(bool)
    return derived.mask(flags)


def check_derived(
    derived: pd.DataFrame | pd.Series, suppressed: pd.DataFrame | pd.Series
) -> list[Hashable]:
    """Labels of derived values that are shown although their numerator is suppressed.

    An empty list means the derived output is safe to publish alongside the protected counts.
    """
    if isinstance(derived, pd.Series):
        if isinstance(suppressed, pd.DataFrame):
            col = derived.name if derived.name in suppressed.columns else suppressed.columns[0]
            s = suppressed[col]
        else:
            s = suppressed
        s = s.reindex(derived.index, fill_value=False).astype(bool)
        return list(derived.index[s.to_numpy() & derived.notna().to_numpy()])
    assert isinstance(suppressed, pd.DataFrame)
    f = suppressed.reindex(index=derived.index, columns=derived.columns, fill_value=False)
    leak = f.astype(bool).to_numpy() & derived.notna().to_numpy()
    return [(derived.index[i], derived.columns[j]) for i, j in np.argwhere(leak)]

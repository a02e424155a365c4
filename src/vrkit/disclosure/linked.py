"""Disclosure control for public report outputs: linked tables protected together.

A report publishes the same figure in several tables (a borough's annual count is a row of the
borough table, the total of its month-by-month table and the margin of its ward table), and
figures that add up across tables (violence against the person = homicide + violence with injury
+ violence without injury, exactly, in MPS data). Protecting each table on its own would let a
reader recover a suppressed cell from another table. :func:`protect_linked` therefore protects a
set of two-way tables whose cells (margins included) carry *keys*: the same key in two tables is
the same published figure. Each table goes through :func:`vrkit.disclosure.sdc.protect` (with its margins);
every key suppressed anywhere is forced in every other table holding it, and the tables are
protected again until no table adds a suppression (the set only grows, so this ends).

Within each table :func:`vrkit.disclosure.sdc.protect` guarantees that no suppressed cell can be worked out
from the published cells and margins; forcing shared keys makes all tables agree, so a figure is
either published everywhere or suppressed everywhere. Margins that a report does not actually
print (for example the sum of two years) are still treated as published: this only ever adds
suppressions (the protection is conservative).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from vrkit.disclosure import sdc
from vrkit.errors import InputError

Key = Hashable
#: rules offered on the command line (``--sdc-rule``)
SDC_RULES: tuple[str, ...] = tuple(sdc.RULES)
DEFAULT_RULE = "lt10"


def check_rule(rule: str) -> str:
    """Return ``rule`` if known, else raise :class:`~vrkit.errors.InputError`."""
    if rule not in sdc.RULES:
        raise InputError(f"unknown SDC rule {rule!r}", hint=f"Use one of {', '.join(sdc.RULES)}.")
    return rule


def rule_description(rule: str) -> str:
    """The sentence a public output prints to say which rule was applied."""
    check_rule(rule)
    return (
        f"Disclosure control ({rule}): {sdc.RULE_TEXT[rule]}. Further cells are suppressed "
        "(secondary suppression) so that no suppressed figure can be worked out from totals or "
        "from figures published elsewhere in the report, and rates, confidence intervals, "
        "changes, % changes and ranks derived from a suppressed figure are left blank "
        "(vrkit.disclosure; NHS Digital HES guidance, ONS/GSS disclosure control guidance, "
        "Hundepool et al. 2012)."
    )


@dataclass
class LinkedTable:
    """One two-way count table of a linked set.

    Attributes
    ----------
    name : str
        For messages and audits.
    counts : DataFrame
        Whole numbers ≥ 0 without totals, no missing values.
    keys : dict
        ``(row, column) → key`` for every cell of the table *with* margins (``"Total"`` row and
        column when ``margins``). Cells without a key are private to this table.
    margins : bool
        Whether the table is protected with its margins (row, column and grand totals).
    unknown : set of (row, column)
        Cells missing in the source (counted as 0 in ``counts``): never published, so they are
        suppressed from the start, but not reported as suppressed figures.
    keep : DataFrame of float, optional
        Publication priority per cell (see :func:`vrkit.disclosure.sdc.protect`).
    """

    name: str
    counts: pd.DataFrame
    keys: dict[tuple[Hashable, Hashable], Key]
    margins: bool = True
    unknown: set[tuple[Hashable, Hashable]] = field(default_factory=set)
    keep: pd.DataFrame | None = None


@dataclass
class LinkedResult:
    """Protected tables and the status of every key.

    Attributes
    ----------
    tables : dict
        Table name → :class:`vrkit.disclosure.sdc.ProtectedTable` of the last pass.
    status : dict
        Key → ``"primary"`` (small count) or ``"secondary"``, for every suppressed key.
    passes : int
        Protection passes until nothing changed.
    """

    tables: dict[str, sdc.ProtectedTable]
    status: dict[Key, str] = field(default_factory=dict)
    passes: int = 0

    def suppressed(self, key: Key) -> bool:
        """True when the figure with this key is suppressed."""
        return key in self.status

    @property
    def n_primary(self) -> int:
        """Distinct figures suppressed as small counts."""
        return sum(1 for v in self.status.values() if v == "primary")

    @property
    def n_secondary(self) -> int:
        """Distinct figures suppressed to protect others."""
        return sum(1 for v in self.status.values() if v == "secondary")


def protect_linked(tables: list[LinkedTable], rule: str, *, max_passes: int = 50) -> LinkedResult:
    """Protect linked tables together (see the module docstring).

    Parameters
    ----------
    tables : list of LinkedTable
    rule : {"nhs", "lt10"}
        Small-count rule of :func:`vrkit.disclosure.sdc.protect`.
    max_passes : int
        Safety limit on the passes (each pass adds at least one suppression or stops).

    Returns
    -------
    LinkedResult

    Raises
    ------
    InputError
        Unknown rule or a table :func:`vrkit.disclosure.sdc.protect` refuses.
    """
    check_rule(rule)
    status: dict[Key, str] = {}
    done: dict[str, sdc.ProtectedTable] = {}
    for n in range(1, max_passes + 1):
        before = len(status)
        for t in tables:
            force = None
            if status or t.unknown:
                rows = [*t.counts.index, *([sdc.TOTAL] if t.margins else [])]
                cols = [*t.counts.columns, *([sdc.TOTAL] if t.margins else [])]
                force = pd.DataFrame(False, index=rows, columns=cols)
                for (r, c), k in t.keys.items():
                    if k in status and r in force.index and c in force.columns:
                        force.loc[r, c] = True
                for r, c in t.unknown:
                    force.loc[r, c] = True
            res = sdc.protect(
                t.counts,
                rule=rule,  # type: ignore[arg-type]
                margins=t.margins,
                force=force,
                keep=t.keep,
            )
            done[t.name] = res
            for cells, kind in ((res.primary, "primary"), (res.secondary, "secondary")):
                for cell in cells:
                    k = t.keys.get(cell)
                    if k is None or cell in t.unknown:
                        continue
                    if kind == "primary" or k not in status:
                        status[k] = kind
        if len(status) == before and n > 1:
            return LinkedResult(done, status, n)
    raise RuntimeError(
        "linked disclosure control did not settle; please report"
    )  # pragma: no cover


def column_table(name: str, values: pd.Series, column: Any, key: Any, total: Any) -> LinkedTable:
    """One additive relation as a linked table: ``total`` = the sum of ``values``.

    ``key(label)`` is the key of each part, ``total`` the key of the sum. The table has one
    column; its row totals repeat the cells (same keys), so :func:`vrkit.disclosure.sdc.protect` applies
    the relation only. Complementary suppressions are taken among the parts, not the total.
    """
    t = values.to_frame(name=column)
    keys: dict[tuple[Any, Any], Any] = {}
    for r in t.index:
        keys[(r, column)] = keys[(r, sdc.TOTAL)] = key(r)
    keys[(sdc.TOTAL, column)] = keys[(sdc.TOTAL, sdc.TOTAL)] = total
    keep = pd.DataFrame(1.0, index=[*t.index, sdc.TOTAL], columns=[column, sdc.TOTAL])
    keep.loc[sdc.TOTAL, :] = 3.0
    return LinkedTable(name, t, keys, True, set(), keep)


def disclosure_record(rule: str, result: LinkedResult | None) -> dict[str, object]:
    """The ``disclosure_control`` JSON object of a public output."""
    return {
        "rule": rule,
        "description": rule_description(rule),
        "cells_suppressed_primary": 0 if result is None else result.n_primary,
        "cells_suppressed_secondary": 0 if result is None else result.n_secondary,
    }

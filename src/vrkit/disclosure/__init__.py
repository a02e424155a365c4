"""Statistical disclosure control (SDC): the one home of the method.

- :mod:`vrkit.disclosure.sdc` — small-count (primary) and complementary (secondary)
  suppression of a two-way table with its margins, rounding, and the attacker's audit
  (:func:`~vrkit.disclosure.sdc.feasible_intervals`);
- :mod:`vrkit.disclosure.linked` — several tables that share figures protected together
  (:func:`~vrkit.disclosure.linked.protect_linked`), the rules offered and the sentence a
  public output prints;
- :mod:`vrkit.disclosure.tables` — applying a protection to a published table (suppressed
  counts, derived figures blanked, ``suppressed``/``blanked`` columns);
- :mod:`vrkit.disclosure.rates` — rates from small-area counts (pooled replacement).

Each report's public edition (which of its tables are linked, by which keys) is in
:mod:`vrkit.reports.public`, which applies these functions; nothing else suppresses a figure.
"""

from vrkit.disclosure.linked import (
    DEFAULT_RULE,
    SDC_RULES,
    LinkedResult,
    LinkedTable,
    check_rule,
    disclosure_record,
    protect_linked,
    rule_description,
)
from vrkit.disclosure.sdc import ProtectedTable, feasible_intervals, protect

__all__ = [
    "DEFAULT_RULE",
    "SDC_RULES",
    "LinkedResult",
    "LinkedTable",
    "ProtectedTable",
    "check_rule",
    "disclosure_record",
    "feasible_intervals",
    "protect",
    "protect_linked",
    "rule_description",
]

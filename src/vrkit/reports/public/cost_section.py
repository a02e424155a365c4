"""The cost-of-violence section in the public (disclosure-controlled) Violent Crime Report.

A cost is a count times a published unit cost, so it discloses its count exactly; and the total
is a sum of counts with *different* known unit costs, from which one suppressed small count
(a few homicides at £3m each) can be read back even when the others are published. Suppressing
single cells therefore does not protect the section. The rule here is all or nothing:

- the section is published whole when every count it uses is outside the small-count range of
  the rule and the public headline suppressed nothing (so no count of the section is a
  secondary suppression of the headline either);
- otherwise its figures are withheld, and the section says why (never shown as zero).
"""

from __future__ import annotations

import pandas as pd

from vrkit.disclosure import sdc
from vrkit.disclosure.tables import SUPPRESSED_COL
from vrkit.reports.build.cost_section import CostSection, missing_cost_section


def withheld_reason(section: CostSection, rule: str, headline: pd.DataFrame) -> str | None:
    """Why the section's figures cannot be published under ``rule`` (None when they can)."""
    lo, hi = sdc.RULES[rule]
    counts = pd.to_numeric(section.counts_used.get("offences"), errors="coerce")
    small = int(((counts >= lo) & (counts <= hi)).sum()) if counts is not None else 0
    if small:
        return (
            f"Withheld in the public edition: {small} of the offence counts it uses "
            f"{'is' if small == 1 else 'are'} between {lo} and {hi} (rule {rule}); a cost is "
            "a count times a published unit cost, so it would reveal the count. The full "
            "edition has the figures."
        )
    sup = (
        headline[SUPPRESSED_COL].fillna("").astype(str).str.len().gt(0).any()
        if SUPPRESSED_COL in headline.columns
        else False
    )
    if sup:
        return (
            "Withheld in the public edition: the headline table suppresses figures, and the "
            "offence counts behind the costs could reveal them. The full edition has the figures."
        )
    return None


def make_public_cost(
    section: CostSection | None, rule: str, headline: pd.DataFrame
) -> CostSection | None:
    """``section`` as the public edition may show it (see the module docstring)."""
    if section is None or not section.available:
        return section
    why = withheld_reason(section, rule, headline)
    if why is None:
        return section
    return missing_cost_section(section.area, section.year, why)

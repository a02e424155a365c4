"""The "Cost of violence" section of the Violent Crime Report.

Built from the result of the cost-of-violence task (:func:`vrkit.tasks.costs.cost_of_violence`,
the same call as ``vrkit cost-of-violence --year Y --area A``), never recomputed here, so the
section's total is the command's total for the same area and year. The section adds what a
reader of the report needs around the figure:

- the cost by offence type and by cost category (anticipation, consequence, response) in the
  stated price year, with ``total`` where the unit-cost catalogue holds no breakdown;
- the recorded offences used (every MPS category counted, including the ones not costed);
- the unit-cost source table named for every offence type costed, and what was not costed;
- for London 2019, the comparison with the London VRU's published £3bn; for any other area or
  year, what is and is not costed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from vrkit._json import jsonable, records
from vrkit.analysis.cost_of_violence import CATEGORIES, CostOfViolenceResult
from vrkit.catalog.unit_costs import unit_costs

#: columns of :attr:`CostSection.by_category`
CATEGORY_COLUMNS = ("offence_type", "label", "offences", *CATEGORIES, "total", "status")


@dataclass
class CostSection:
    """The cost of recorded violence for the report's area and year.

    Attributes
    ----------
    area, year : the area costed and the calendar year of the offences.
    price_year, price_basis : prices of the figures, and of the unit costs before uprating.
    deflator_factor : ``deflator(price_year) / deflator(price_basis)``.
    total_cost : £ in ``price_year`` prices over the offence types costed (equals
        ``vrkit cost-of-violence``); None when the section could not be built or is withheld.
    table : one row per offence type and cost category (the task's table, unchanged).
    by_category : one row per offence type: ``offence_type, label, offences, anticipation,
        consequence, response, total, status`` (NaN where the catalogue has no figure).
    counts_used : every source category counted: ``offence_major, offence_minor, offences,
        offence_type, comparability``.
    uncosted : ``offence_type, label, offences, reason``.
    sources : ``offence_type, label, source_table, verified_from`` of every unit cost used.
    explanation : lines comparing the total with a published figure (London 2019), else [].
    notes : what is and is not costed, price basis and deflator, the warnings of the task.
    method, reference, deflator, unit_cost_file : as stated by the task.
    message : why the section has no figures (data not loaded, public edition withheld), or None.
    """

    area: str
    year: int
    price_year: str = ""
    price_basis: str = ""
    deflator_factor: float | None = None
    total_cost: float | None = None
    table: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_category: pd.DataFrame = field(default_factory=pd.DataFrame)
    counts_used: pd.DataFrame = field(default_factory=pd.DataFrame)
    uncosted: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: pd.DataFrame = field(default_factory=pd.DataFrame)
    explanation: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    method: str = ""
    reference: str = ""
    deflator: str = ""
    unit_cost_file: str = ""
    message: str | None = None

    @property
    def available(self) -> bool:
        """True when the section carries figures."""
        return self.message is None and self.total_cost is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the report's ``cost_of_violence`` key)."""
        if not self.available:
            return jsonable(
                {"area": self.area, "year": self.year, "available": False, "message": self.message}
            )
        return jsonable(
            {
                "area": self.area,
                "year": self.year,
                "available": True,
                "price_year": self.price_year,
                "price_basis": self.price_basis,
                "deflator_factor": self.deflator_factor,
                "total_cost_gbp": self.total_cost,
                "by_offence_and_category": records(self.by_category),
                "table": records(self.table),
                "counts_used": records(self.counts_used),
                "uncosted": records(self.uncosted),
                "unit_cost_sources": records(self.sources),
                "explanation": list(self.explanation),
                "notes": list(self.notes),
                "method": self.method,
                "reference": self.reference,
                "deflator": self.deflator,
                "unit_costs": self.unit_cost_file,
                "command": f"vrkit cost-of-violence --year {self.year} --area {self.area!r}",
            }
        )


def _by_category(table: pd.DataFrame) -> pd.DataFrame:
    """One row per offence type with a column per cost category (NaN where not available)."""
    rows = []
    for (otype, label), g in table.groupby(["offence_type", "label"], sort=False):
        row: dict[str, Any] = {"offence_type": otype, "label": label}
        row["offences"] = int(g["offences"].iloc[0])
        by = dict(zip(g["cost_category"], g["cost"], strict=True))
        for c in CATEGORIES:
            row[c] = by.get(c, float("nan"))
        parts = [by[c] for c in CATEGORIES if c in by]
        row["total"] = by["total"] if "total" in by else (sum(parts) if parts else float("nan"))
        row["status"] = str(g["status"].iloc[0])
        rows.append(row)
    out = pd.DataFrame(rows, columns=list(CATEGORY_COLUMNS))
    return out.sort_values("total", ascending=False, na_position="last").reset_index(drop=True)


def _sources(result: CostOfViolenceResult) -> pd.DataFrame:
    """The catalogue rows (source table, where verified) behind each offence type costed."""
    origin = str(result.params.get("unit_costs", ""))
    catalogue = unit_costs(None if origin.startswith("catalog/") or not origin else origin)
    used = result.table[result.table["cost"].notna()]
    keys = set(zip(used["offence_type"], used["cost_category"], strict=True))
    rows = [
        {
            "offence_type": r.offence_type,
            "label": r.label,
            "cost_category": r.cost_category,
            "unit_cost_base": r.unit_cost_gbp,
            "source_table": r.source_table,
            "verified_from": r.verified_from,
        }
        for r in catalogue.itertuples(index=False)
        if (r.offence_type, r.cost_category) in keys
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "offence_type",
            "label",
            "cost_category",
            "unit_cost_base",
            "source_table",
            "verified_from",
        ],
    )


def _what_is_costed(
    result: CostOfViolenceResult, by_category: pd.DataFrame, *, explained: bool
) -> list[str]:
    """What is and is not costed (``explained``: the comparison with a published figure says
    it already, offence by offence, so only the breakdown and prices are added)."""
    costed = by_category[by_category["total"].notna()]
    notes = []
    if not explained:
        notes.append(
            "Costed: "
            + ", ".join(str(x).lower() for x in costed["label"])
            + f" ({int(costed['offences'].sum()):,} recorded offences)."
            if not costed.empty
            else "No offence type could be costed."
        )
    if not result.uncosted.empty and not explained:
        notes.append(
            "Counted but NOT costed (never costed at zero): "
            + "; ".join(
                f"{r.label} ({int(r.offences):,} offences: {r.reason})"
                for r in result.uncosted.itertuples(index=False)
            )
            + ". The total is therefore a lower bound."
        )
    no_breakdown = by_category[
        by_category["total"].notna() & by_category[list(CATEGORIES)].isna().all(axis=1)
    ]
    if not no_breakdown.empty:
        notes.append(
            "The unit-cost catalogue holds only the total (anticipation + consequence + response) "
            "for "
            + ", ".join(str(x).lower() for x in no_breakdown["label"])
            + ", so those rows are not split by cost category; a unit-cost file with the "
            "breakdown (same columns as catalog/costs/unit_costs_ho2018.csv) splits them."
        )
    notes.append(
        f"Prices: unit costs in {result.price_basis} prices uprated to {result.price_year} "
        f"prices (× {result.deflator_factor:.4f}). Unit costs are England and Wales averages "
        "applied to recorded offences, with no multiplier for crime not recorded by the police."
    )
    return notes


def cost_section(result: CostOfViolenceResult, *, year: int) -> CostSection:
    """The section from a cost-of-violence result (the task's; nothing is recomputed)."""
    by_cat = _by_category(result.table)
    explanation = str(result.params.get("explanation", "") or "")
    return CostSection(
        area=result.area,
        year=year,
        price_year=result.price_year,
        price_basis=result.price_basis,
        deflator_factor=result.deflator_factor,
        total_cost=result.total_cost,
        table=result.table.copy(),
        by_category=by_cat,
        counts_used=result.counts_used.copy(),
        uncosted=result.uncosted.copy(),
        sources=_sources(result),
        explanation=[ln for ln in explanation.splitlines() if ln.strip()],
        # the task's per-type "counted but NOT costed" warnings are in the notes already
        notes=[
            *_what_is_costed(result, by_cat, explained=bool(explanation)),
            *(w for w in result.warnings if "NOT costed" not in w),
        ],
        method=result.method,
        reference=result.reference,
        deflator=str(result.params.get("deflator", "")),
        unit_cost_file=str(result.params.get("unit_costs", "")),
    )


def missing_cost_section(area: str, year: int, message: str) -> CostSection:
    """A section that says why it has no figures (never an empty table shown as zero)."""
    return CostSection(area=area, year=year, message=message)

"""Cost of violence: recorded offences × Home Office unit costs, uprated to a price year.

Method (Home Office Research Report 99, *The economic and social costs of crime*, 2nd edition,
2018): cost = Σ over offence types of (offences in the period) × (unit cost per offence), where
the unit cost covers costs in anticipation of crime, as a consequence of it and in response to
it. Unit costs are in 2015/16 prices and are uprated with the GDP deflator (HM Treasury Green
Book convention for real prices): ``unit cost × deflator(price year) / deflator(2015/16)``.

What this does *not* do, stated in every result: the unit costs are averages for England and
Wales (London's costs may differ); recorded crime undercounts violence (the Home Office report
scales recorded crime up to estimated incidence with multipliers; this applies unit costs to
recorded offences only, so it is a lower bound of the report's approach); offence types whose
unit cost is not in the catalogue are counted but left uncosted, never costed at zero silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vrkit.errors import InputError

REFERENCE = (
    "Heeks, M., Reed, S., Tafsiri, M. and Prince, S. (2018) The economic and social costs of "
    "crime, second edition. Home Office Research Report 99."
)
CATEGORIES = ("anticipation", "consequence", "response")


@dataclass(frozen=True)
class CostOfViolenceResult:
    """Cost of violence for one area and period.

    Attributes
    ----------
    table : DataFrame
        One row per offence type and cost category costed: ``offence_type, label, offences,
        cost_category`` (``anticipation``/``consequence``/``response``, or ``total`` when the
        catalogue has no breakdown for that type), ``unit_cost_base`` (2015/16 prices),
        ``unit_cost``, ``cost`` (price year); uncosted types have ``cost`` NaN and a ``status``.
    counts_used : DataFrame
        ``offence_major, offence_minor, offences, offence_type, comparability``: every source
        category counted, including the ones that could not be costed.
    total_cost : float
        Sum of ``cost`` over costed rows (price year).
    uncosted : DataFrame
        ``offence_type, label, offences, reason`` for offence types counted but not costed.
    price_year, price_basis : str
    deflator_factor : float
    area, period : str
    warnings : list of str
    method, reference : str
    params : dict
    """

    table: pd.DataFrame
    counts_used: pd.DataFrame
    total_cost: float
    uncosted: pd.DataFrame
    price_year: str
    price_basis: str
    deflator_factor: float
    area: str
    period: str
    warnings: list[str]
    method: str
    reference: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """The cost table (one row per offence type and category)."""
        return self.table.copy()

    def by_offence(self) -> pd.DataFrame:
        """``offence_type, label, offences, cost`` (cost NaN where uncosted)."""
        g = self.table.groupby(["offence_type", "label"], sort=False, as_index=False).agg(
            offences=("offences", "first"), cost=("cost", lambda s: s.sum(min_count=1))
        )
        return g.sort_values("cost", ascending=False, na_position="last").reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary with the tables as records."""
        return {
            "area": self.area,
            "period": self.period,
            "price_year": self.price_year,
            "price_basis": self.price_basis,
            "deflator_factor": self.deflator_factor,
            "total_cost_gbp": self.total_cost,
            "by_offence": self.by_offence().replace({np.nan: None}).to_dict("records"),
            "table": self.table.replace({np.nan: None}).to_dict("records"),
            "counts_used": self.counts_used.replace({np.nan: None}).to_dict("records"),
            "uncosted": self.uncosted.to_dict("records"),
            "warnings": list(self.warnings),
            "method": self.method,
            "reference": self.reference,
            "params": self.params,
        }


def map_categories(counts: pd.DataFrame, mapping: pd.DataFrame, taxonomy: str) -> pd.DataFrame:
    """Attach the unit-cost offence type to each source category (case-insensitive).

    ``counts`` has ``offence_major, offence_minor, offences``. A mapping row with an empty
    ``minor`` matches every minor category of the major. Categories without a mapping row are
    dropped (they are not violence, e.g. burglary); mapped-but-not-costable rows keep an empty
    ``offence_type`` and their comparability note.
    """
    for c in ("offence_major", "offence_minor", "offences"):
        if c not in counts.columns:
            raise InputError(f"counts lack column {c!r}")
    m = mapping[mapping["taxonomy"] == taxonomy]
    if m.empty:
        raise InputError(f"no offence mapping for taxonomy {taxonomy!r}")
    rows = []
    for r in counts.itertuples(index=False):
        major = str(r.offence_major).strip().upper()
        minor = str(r.offence_minor).strip().upper()
        hit = m[
            (m["major"].str.upper() == major)
            & ((m["minor"] == "") | (m["minor"].str.upper() == minor))
        ]
        if hit.empty:
            continue
        h = hit.iloc[0]
        rows.append(
            {
                "offence_major": r.offence_major,
                "offence_minor": r.offence_minor,
                "offences": r.offences,
                "offence_type": h["offence_type"],
                "comparability": h["comparability"],
            }
        )
    return pd.DataFrame(
        rows,
        columns=["offence_major", "offence_minor", "offences", "offence_type", "comparability"],
    )


def cost_of_violence(
    counts: pd.DataFrame,
    unit_costs: pd.DataFrame,
    mapping: pd.DataFrame,
    *,
    taxonomy: str,
    deflator_factor: float,
    price_year: str,
    price_basis: str = "2015/16",
    area: str = "",
    period: str = "",
    deflator_note: str = "",
    warnings: list[str] | None = None,
) -> CostOfViolenceResult:
    """Cost recorded violence with unit costs (see the module docstring).

    Parameters
    ----------
    counts : DataFrame
        ``offence_major, offence_minor, offences`` for the area and period (not modified).
    unit_costs : DataFrame
        :func:`vrkit.catalog.unit_costs.unit_costs` (NaN = not available).
    mapping : DataFrame
        :func:`vrkit.catalog.unit_costs.offence_map`.
    taxonomy : {"mps", "police_uk"}
    deflator_factor : float
        ``deflator(price year) / deflator(price basis)``, > 0.
    """
    if not deflator_factor > 0:
        raise InputError(f"deflator factor must be > 0 (got {deflator_factor!r})")
    offences = pd.to_numeric(counts.get("offences"), errors="coerce")
    if offences is None or offences.isna().any() or (offences < 0).any():
        raise InputError("offence counts must be numbers ≥ 0 with none missing")
    used = map_categories(counts, mapping, taxonomy)
    warn = list(warnings or [])
    per_type = (
        used[used["offence_type"] != ""]
        .groupby("offence_type", as_index=False)["offences"]
        .sum()
        .astype({"offences": "int64"})
    )
    rows: list[dict[str, Any]] = []
    uncosted: list[dict[str, Any]] = []
    for r in per_type.itertuples(index=False):
        uc = unit_costs[unit_costs["offence_type"] == r.offence_type]
        label = uc["label"].iloc[0] if not uc.empty else r.offence_type
        by_cat = {
            c: float(v) for c, v in zip(uc["cost_category"], uc["unit_cost_gbp"], strict=True)
        }
        parts = [c for c in CATEGORIES if not np.isnan(by_cat.get(c, np.nan))]
        if len(parts) == len(CATEGORIES):
            cats = list(CATEGORIES)
        elif not np.isnan(by_cat.get("total", np.nan)):
            cats = ["total"]
        else:
            cats = []
        if not cats:
            reason = (
                "no unit cost for this offence type in the catalogue"
                if uc.empty
                else "unit cost not available (empty in the catalogue: not verified)"
            )
            uncosted.append(
                {
                    "offence_type": r.offence_type,
                    "label": label,
                    "offences": r.offences,
                    "reason": reason,
                }
            )
            rows.append(
                {
                    "offence_type": r.offence_type,
                    "label": label,
                    "offences": r.offences,
                    "cost_category": "",
                    "unit_cost_base": np.nan,
                    "unit_cost": np.nan,
                    "cost": np.nan,
                    "status": "not costed: " + reason,
                }
            )
            continue
        for c in cats:
            base = by_cat[c]
            unit = base * deflator_factor
            rows.append(
                {
                    "offence_type": r.offence_type,
                    "label": label,
                    "offences": r.offences,
                    "cost_category": c,
                    "unit_cost_base": base,
                    "unit_cost": unit,
                    "cost": unit * r.offences,
                    "status": "costed"
                    if c != "total"
                    else "costed (total only: no anticipation/consequence/response breakdown in the catalogue)",
                }
            )
    not_costable = used[used["offence_type"] == ""]
    for r in not_costable.itertuples(index=False):
        uncosted.append(
            {
                "offence_type": "",
                "label": f"{r.offence_major} / {r.offence_minor}".strip(" /"),
                "offences": int(r.offences),
                "reason": "not costable: " + r.comparability,
            }
        )
    for u in uncosted:
        warn.append(
            f"{u['label']}: {u['offences']:,} offences counted but NOT costed ({u['reason']})."
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "offence_type",
            "label",
            "offences",
            "cost_category",
            "unit_cost_base",
            "unit_cost",
            "cost",
            "status",
        ],
    )
    total = float(table["cost"].sum(min_count=1)) if table["cost"].notna().any() else 0.0
    return CostOfViolenceResult(
        table=table,
        counts_used=used,
        total_cost=total,
        uncosted=pd.DataFrame(uncosted, columns=["offence_type", "label", "offences", "reason"]),
        price_year=str(price_year),
        price_basis=price_basis,
        deflator_factor=float(deflator_factor),
        area=area,
        period=period,
        warnings=warn,
        method=(
            "Recorded offences × Home Office unit cost per offence (anticipation + consequence + "
            f"response), uprated from {price_basis} to {price_year} prices with the GDP deflator"
            + (f" ({deflator_note})" if deflator_note else "")
            + ". Unit costs are England and Wales averages applied to recorded offences (no "
            "multiplier for unrecorded crime), so the total is a lower bound of the Home Office "
            "approach."
        ),
        reference=REFERENCE,
        params={"taxonomy": taxonomy, "price_basis": price_basis, "price_year": str(price_year)},
    )


def explain_against_published(
    result: CostOfViolenceResult, published_gbp: float, published_what: str
) -> str:
    """Plain-language comparison of a result with a published total (e.g. the VRU's £3bn).

    States the computed total, the difference, what was not costed and — when exactly one
    offence type is uncosted — the unit cost it would need to close the gap, so a reader can
    judge the gap rather than be told it away.
    """
    tot = result.total_cost
    diff = published_gbp - tot
    lines = [
        f"{published_what}: £{published_gbp / 1e9:.2f}bn. vrkit's figure for {result.area} "
        f"{result.period}, in {result.price_year} prices: £{tot / 1e9:.2f}bn from the offence "
        f"types it could cost ({100 * tot / published_gbp:.0f} % of the published figure; "
        f"difference £{diff / 1e9:+.2f}bn).",
    ]
    costed = result.by_offence().dropna(subset=["cost"])
    if not costed.empty:
        parts = ", ".join(
            f"{r.label} {r.offences:,} × £{r.cost / max(r.offences, 1):,.0f} = £{r.cost / 1e6:,.0f}m"
            for r in costed.itertuples(index=False)
        )
        lines.append(f"Costed: {parts}.")
    unc = result.uncosted
    if not unc.empty:
        lines.append(
            "Not costed: "
            + "; ".join(
                f"{r.label} ({r.offences:,} offences: {r.reason})" for r in unc.itertuples()
            )
            + "."
        )
        typed = unc[unc["offence_type"] != ""].sort_values("offences", ascending=False)
        if not typed.empty and diff > 0:
            n = int(typed["offences"].iloc[0])
            label = str(typed["label"].iloc[0]).lower()
            implied = diff / n
            alone = "" if len(typed) == 1 else f"If {label} alone closed the gap, it would need "
            lines.append(
                (alone or "Closing the gap would need ")
                + f"a unit cost of about £{implied:,.0f} per {label} offence in "
                f"{result.price_year} prices (£{implied / result.deflator_factor:,.0f} in "
                f"{result.price_basis} prices); supply the verified Home Office figure as a local "
                "unit-cost file to cost it."
            )
    lines.append(
        "Other reasons a published figure can differ: which offences it counts (homicide only, "
        "violence, or violence plus robbery and sexual offences), the price year, multipliers "
        "for unrecorded crime (the Home Office method scales recorded crime up to estimated "
        "incidence; vrkit does not), and the release of recorded crime used (MPS revises counts)."
    )
    return "\n".join(lines)

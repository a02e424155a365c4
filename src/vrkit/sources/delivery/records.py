"""Records the delivery readers return and :mod:`vrkit.ops.delivery.importer` stores.

Every record carries ``where`` (file and line or row) so that a rule broken at import names the
place it came from. Money is integer pence; dates are :class:`datetime.date`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Where:
    """A place in an input: file, row (1-based line or sheet row), column, sheet."""

    path: str
    row: int | None = None
    column: str | None = None
    sheet: str | None = None

    def text(self) -> str:
        out = self.path
        if self.sheet:
            out += f", sheet {self.sheet!r}"
        if self.row is not None:
            out += f", row {self.row}"
        if self.column:
            out += f", column {self.column!r}"
        return out


@dataclass
class OrgRecord:
    name: str
    identifier: str | None = None
    kind: str = "provider"


@dataclass
class SourceRecord:
    """A funding source (code, name, funder rule)."""

    code: str
    name: str
    must_spend_in_year: bool = False
    rule: str = ""
    funder: OrgRecord | None = None


@dataclass
class ProgrammeRecord:
    name: str
    theme: str
    where: Where
    ref: str | None = None
    kind: str = "programme"
    description: str = ""
    objectives: list[int] = field(default_factory=list)
    objectives_inferred: bool = False
    target_cohort: str = ""
    age_min: int | None = None
    age_max: int | None = None
    places: list[dict[str, Any]] = field(default_factory=list)
    start_date: date | None = None
    end_date: date | None = None
    period_text: str = ""
    status: str = "active"
    in_portfolio: bool = True
    evidence_approach: str = ""
    evaluation_status: str = "not stated"
    evaluation_text: str = ""
    reach_stated: str = ""
    outcomes_stated: str = ""
    economics: str = ""
    note: str = ""
    source_ref: str = ""
    lead: list[OrgRecord] = field(default_factory=list)
    delivery: list[OrgRecord] = field(default_factory=list)
    measures: list[tuple[str, str]] = field(default_factory=list)
    data_label: str = ""
    #: only create the programme if the register lacks it (grants data names programmes
    #: without their register details, which must not be wiped)
    create_only: bool = False


@dataclass
class GrantRecord:
    ref: str
    title: str
    where: Where
    recipient: OrgRecord | None
    funder: OrgRecord | None = None
    source: str | None = None
    programme_ref: str | None = None
    description: str = ""
    currency: str = "GBP"
    amount_pence: int | None = None
    award_date: date | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    grant_programme: str = ""
    locations: list[dict[str, Any]] = field(default_factory=list)
    source_ref: str = ""
    data_label: str = ""


@dataclass
class BudgetRecord:
    source: str
    financial_year: int
    amount_pence: int | None
    where: Where
    basis: str = "confirmed"
    note: str = ""
    source_ref: str = ""


@dataclass
class AllocationRecord:
    financial_year: int
    theme: str
    amount_pence: int | None
    where: Where
    basis: str = "confirmed"
    note: str = ""
    source_ref: str = ""


@dataclass
class QuarterRecord:
    """A programme × source × year × quarter amount (profile, spend or forecast)."""

    programme_ref: str
    source: str
    financial_year: int
    quarter: int
    amount_pence: int
    where: Where


@dataclass
class TargetRecord:
    measure_code: str
    financial_year: int
    target_value: int
    where: Where
    programme_ref: str | None = None
    source: str | None = None
    label: str = ""
    due: str = ""
    stated_value: int | None = None
    stated_as_of: str = ""
    source_ref: str = ""
    note: str = ""


@dataclass
class StatedRecord:
    group: str
    metric: str
    value: Any  # Decimal
    where: Where
    financial_year: int | None = None
    unit: str = ""
    as_printed: str = ""
    period: str = ""
    source_ref: str = ""
    note: str = ""


@dataclass
class NodeRecord:
    level: str
    code: str
    label: str
    timeframe: str = ""
    objective_number: int | None = None
    programme_ref: str | None = None
    note: str = ""
    indicators: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # kind, ref, label, dir


@dataclass
class LinkRecord:
    from_code: str
    to_code: str
    basis: str = ""
    inferred: bool = False


@dataclass
class LogicModelRecord:
    name: str
    title: str
    nodes: list[NodeRecord]
    links: list[LinkRecord]
    note: str = ""
    where: Where | None = None


@dataclass
class DeliveryBundle:
    """Everything one import brings, with the files it came from (path, sha256)."""

    kind: str
    files: list[tuple[Path, str]] = field(default_factory=list)
    organisations: list[OrgRecord] = field(default_factory=list)
    sources: list[SourceRecord] = field(default_factory=list)
    programmes: list[ProgrammeRecord] = field(default_factory=list)
    grants: list[GrantRecord] = field(default_factory=list)
    budgets: list[BudgetRecord] = field(default_factory=list)
    allocations: list[AllocationRecord] = field(default_factory=list)
    commitments: list[QuarterRecord] = field(default_factory=list)
    spend: list[QuarterRecord] = field(default_factory=list)
    forecasts: list[QuarterRecord] = field(default_factory=list)
    targets: list[TargetRecord] = field(default_factory=list)
    stated: list[StatedRecord] = field(default_factory=list)
    logic_model: LogicModelRecord | None = None
    notes: list[str] = field(default_factory=list)
    data_label: str = ""
    #: filled monitoring returns that come with the import (stored after the tables)
    return_files: list[Path] = field(default_factory=list)

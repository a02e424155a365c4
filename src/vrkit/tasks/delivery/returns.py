"""Monitoring-return tasks: the template of a programme's quarter, submitting a filled return,
the returns received, and progress against targets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from pydantic import BaseModel
from sqlalchemy.orm import Session

from vrkit.catalog.delivery import deduplication_rules
from vrkit.catalog.money import check_quarter, fmt_gbp, fy_label
from vrkit.errors import InputError
from vrkit.ops import audit
from vrkit.ops.delivery import register
from vrkit.ops.delivery import returns as ops_returns
from vrkit.ops.roles import Principal
from vrkit.reports.returns_template import TemplateSpec, build_template, template_file_name
from vrkit.sources.delivery.returns_xlsx import ReturnRejected, read_return
from vrkit.tasks.delivery._common import DeliveryResult


def template_spec(s: Session, ref: str, financial_year: int, quarter: int) -> TemplateSpec:
    check_quarter(quarter)
    p = register.require_programme(s, ref)
    lead = [po.organisation.name for po in p.organisations if po.role == "lead"]
    return TemplateSpec(
        programme_ref=p.ref,
        programme_name=p.name,
        organisation="; ".join(lead) or "(not recorded)",
        financial_year=financial_year,
        quarter=quarter,
        measures=ops_returns.expected_measures(s, p),
        sources=[(x.code, x.name) for x in ops_returns.programme_sources(s, p, financial_year)],
        synthetic=p.data_label == "SYNTHETIC",
    )


def return_template(s: Session, ref: str, financial_year: int, quarter: int) -> tuple[bytes, str]:
    """(XLSX bytes, file name) of the return template of a programme's quarter."""
    spec = template_spec(s, ref, financial_year, quarter)
    return build_template(spec), template_file_name(spec)


class Submitted(BaseModel):
    """What happened to a submitted return (also the API's response)."""

    status: str  # stored | unchanged
    return_id: int
    programme_ref: str
    financial_year: str
    quarter: int
    revision: int
    replaced_revision: int | None
    values: dict[str, int]
    spend: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()

    def message(self) -> str:
        if self.status == "unchanged":
            return (
                f"return for {self.programme_ref} {self.financial_year} Q{self.quarter} is identical "
                f"to revision {self.revision}: nothing changed"
            )
        extra = f", replacing revision {self.replaced_revision}" if self.replaced_revision else ""
        return (
            f"stored the return for {self.programme_ref} {self.financial_year} Q{self.quarter} as "
            f"revision {self.revision}{extra}"
        )


def submit_return(
    s: Session,
    actor: Principal,
    data: bytes,
    file_name: str,
    *,
    for_programme: str | None = None,
    org_codes: frozenset[str] | None = None,
) -> Submitted:
    """Check and store a filled return (all or nothing; :class:`ReturnRejected` names every
    problem by sheet, row and column, and nothing is stored)."""
    sha = hashlib.sha256(data).hexdigest()
    parsed = read_return(data, file_name)
    stored = ops_returns.store_return(
        s, actor, parsed, sha256=sha, for_programme=for_programme, org_codes=org_codes
    )
    r = stored.ret
    return Submitted(
        status="unchanged" if stored.unchanged else "stored",
        return_id=r.id,
        programme_ref=parsed.programme_ref,
        financial_year=fy_label(r.financial_year),
        quarter=r.quarter,
        revision=r.revision,
        replaced_revision=stored.replaced_revision,
        values={v.measure_code: int(v.value) for v in r.values},
        spend={str(x.funding_source_id): fmt_gbp(x.amount_pence) for x in r.spend},
    )


def record_rejection(
    s: Session, actor: Principal, file_name: str, data: bytes, exc: ReturnRejected
) -> None:
    """Audit a refused return (in its own transaction: the return itself stored nothing)."""
    audit.record(
        s,
        actor,
        "return_rejected",
        target=f"return-file:{hashlib.sha256(data).hexdigest()[:16]}",
        outcome="failed",
        detail={
            "file": "".join(ch for ch in file_name if ch.isprintable())[:200],
            "problems": len(exc.issues),
            "first": [i.text()[:300] for i in exc.issues[:5]],
        },
    )


@dataclass
class Returns(DeliveryResult):
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        return self.frame


def list_returns(
    s: Session,
    *,
    ref: str | None = None,
    financial_year: int | None = None,
    org_codes: frozenset[str] | None = None,
) -> Returns:
    progs = register.list_programmes(s, org_codes=org_codes)
    if ref is not None:
        progs = [p for p in progs if p.ref == ref]
        if not progs:
            raise InputError(f"no programme {ref!r} (in your scope)")
    by_id = {p.id: p for p in progs}
    rows = []
    for p in progs:
        for r in ops_returns.returns_of(s, p.id, financial_year=financial_year):
            values = {v.measure_code: int(v.value) for v in r.values}
            rows.append(
                {
                    "return_id": r.id,
                    "programme_ref": by_id[r.programme_id].ref,
                    "financial_year": fy_label(r.financial_year),
                    "quarter": r.quarter,
                    "revision": r.revision,
                    "status": r.status,
                    "submitted_by": r.submitted_by,
                    "submitted_at": r.submitted_at,
                    "people_reached_new": values.get("people_reached_new"),
                    "young_people_supported": values.get("young_people_supported"),
                    "sessions_delivered": values.get("sessions_delivered"),
                    "spend_pence": sum(int(x.amount_pence) for x in r.spend),
                    "data_label": r.data_label,
                }
            )
    return Returns(
        title="Monitoring returns",
        notes=list(deduplication_rules().values()),
        frame=pd.DataFrame(rows),
    )


@dataclass
class Progress(DeliveryResult):
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        return self.frame


def progress(
    s: Session, financial_year: int, *, org_codes: frozenset[str] | None = None
) -> Progress:
    """Targets of the year with progress (a provider: its own programmes' targets only)."""
    ids = None
    if org_codes is not None:
        ids = {p.id for p in register.list_programmes(s, org_codes=org_codes)}
    frame = ops_returns.progress_frame(s, financial_year, programme_ids=ids)
    return Progress(
        title=f"Progress against targets {fy_label(financial_year)}",
        notes=list(deduplication_rules().values()),
        frame=frame,
    )

"""The programme page: a programme's details, organisations and awards, its money by quarter,
its returns (every revision), outputs, reach, progress against targets and the objectives of
the logic model it serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrkit.catalog.approaches import TOOLKITS, builtin_approaches, get_approach, impact_label
from vrkit.catalog.delivery import (
    REACH_LABELS,
    deduplication_rules,
    standard_measures,
    theme_labels,
)
from vrkit.catalog.money import fmt_gbp, fy_label, fy_slug
from vrkit.errors import InputError
from vrkit.ops.delivery import finance, logic, register
from vrkit.ops.delivery import returns as ops_returns
from vrkit.ops.delivery.models import Forecast, FundingSource, Spend
from vrkit.tasks.delivery._common import DeliveryResult, frame_records, jsonable
from vrkit.tasks.delivery.register import programme_row
from vrkit.tasks.vfm import ProgrammeVfm, programme_vfm, write_vfm_xlsx


@dataclass
class ProgrammePage(DeliveryResult):
    ref: str = ""
    financial_year: int = 0
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    programme: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    organisations: list[dict[str, Any]] = field(default_factory=list)
    grants: list[dict[str, Any]] = field(default_factory=list)
    money: pd.DataFrame = field(default_factory=pd.DataFrame)
    with_finance: bool = True
    outputs: pd.DataFrame = field(default_factory=pd.DataFrame)
    reach: pd.DataFrame = field(default_factory=pd.DataFrame)
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    returns: list[dict[str, Any]] = field(default_factory=list)
    objectives: list[dict[str, Any]] = field(default_factory=list)
    measures: list[tuple[str, str]] = field(default_factory=list)
    #: value-for-money appraisals linked to the programme (``programme_ref`` in the input file;
    #: :func:`vrkit.tasks.vfm.programme_vfm`), as the task computes them; None when not shown
    vfm: ProgrammeVfm | None = None
    #: the evidence rating of the programme's approach (``evidence_approach``), or None
    evidence: dict[str, Any] | None = None

    @property
    def file_stem(self) -> str:
        return f"programme-{_safe(self.ref)}-{fy_slug(self.financial_year)}"

    def to_frame(self) -> pd.DataFrame:
        return self.outputs

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "programme": self.programme,
                "version": self.version,
                "financial_year": fy_label(self.financial_year),
                "organisations": self.organisations,
                "grants": self.grants,
                "money": frame_records(self.money) if self.with_finance else None,
                "outputs": frame_records(self.outputs),
                "reach": frame_records(self.reach),
                "targets": frame_records(self.targets),
                "returns": self.returns,
                "objectives": self.objectives,
                "evidence": self.evidence,
                "value_for_money": None if self.vfm is None else self.vfm.to_list(),
                "value_for_money_notes": [] if self.vfm is None else self.vfm.notes,
                "deduplication_rules": deduplication_rules(),
                "notes": self.notes,
            }
        )

    @property
    def vfm_file_names(self) -> list[str]:
        """``<stem>-vfm-<appraisal id>.xlsx`` for each linked appraisal."""
        if self.vfm is None:
            return []
        return [
            f"{self.file_stem}-vfm-{_safe(r.inputs.programme_id)}.xlsx" for r in self.vfm.results
        ]

    def write_vfm_xlsx(self, out_dir: Path) -> list[Path]:
        """Write each linked appraisal as XLSX (:func:`vrkit.tasks.vfm.write_vfm_xlsx`)."""
        if self.vfm is None:
            return []
        return [
            write_vfm_xlsx(r, out_dir / name)
            for r, name in zip(self.vfm.results, self.vfm_file_names, strict=True)
        ]

    def write_html(self, out_dir: Path) -> Path:
        """The page, with the XLSX of each linked value-for-money appraisal beside it."""
        from vrkit.reports.delivery import render_programme_html

        out_dir.mkdir(parents=True, exist_ok=True)
        self.write_vfm_xlsx(out_dir)
        p = out_dir / f"{self.file_stem}.html"
        p.write_text(render_programme_html(self), encoding="utf-8")
        return p


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text)


def evidence_rating(approach: str) -> dict[str, Any] | None:
    """The catalogue rating of a programme's ``evidence_approach`` (an id such as
    ``yef:mentoring``); text that is not a catalogue id is returned as stated, unrated."""
    text = (approach or "").strip()
    if not text:
        return None
    cat = builtin_approaches()
    hit = cat[cat["approach_id"] == text]
    if hit.empty:
        return {"approach_id": None, "stated": text, "rated": False}
    row = get_approach(text, cat)
    return jsonable(
        {
            **row,
            "stated": text,
            "rated": True,
            "toolkit_name": TOOLKITS.get(str(row.get("toolkit")), str(row.get("toolkit"))),
            "impact": impact_label(row),
        }
    )


def programme_page(
    s: Session, ref: str, financial_year: int, *, with_finance: bool = True
) -> ProgrammePage:
    """Everything about one programme for a year (``with_finance=False`` for a provider)."""
    p = register.require_programme(s, ref)
    srcs = {x.id: x for x in s.scalars(select(FundingSource))}
    money_rows = []
    if with_finance:
        prof = finance.profile(s, financial_year)
        act = finance.quarter_amounts(s, Spend, financial_year)
        fc = finance.quarter_amounts(s, Forecast, financial_year)
        sids = sorted({k[1] for k in (*prof, *act, *fc) if k[0] == p.id})
        for sid in sids:
            for q in (1, 2, 3, 4):
                k = (p.id, sid, financial_year, q)
                money_rows.append(
                    {
                        "source": srcs[sid].name,
                        "quarter": f"Q{q}",
                        "profile": prof.get(k, 0),
                        "actual": act.get(k),
                        "forecast": fc.get(k),
                    }
                )
    rets = ops_returns.returns_of(s, p.id, financial_year=financial_year)
    measures = ops_returns.expected_measures(s, p)
    out_rows = []
    for code, label in measures:
        row: dict[str, Any] = {"measure": code, "label": label}
        total = 0
        seen = False
        for q in (1, 2, 3, 4):
            cur = next((r for r in rets if r.quarter == q and r.status == "current"), None)
            v = (
                None
                if cur is None
                else next((int(x.value) for x in cur.values if x.measure_code == code), None)
            )
            row[f"Q{q}"] = v
            if v is not None:
                total += v
                seen = True
        row["year"] = total if seen else None
        out_rows.append(row)
    reach = ops_returns.reach_frame(s, financial_year, programme_ids={p.id})
    if not reach.empty:
        reach = reach.assign(dimension=reach["dimension"].map(REACH_LABELS))
    targets = ops_returns.progress_frame(s, financial_year, programme_ids={p.id})
    m = logic.latest(s)
    objectives = []
    if m is not None:
        for n in m.nodes:
            if n.objective_number in p.objectives:
                objectives.append(
                    {"code": n.code, "label": n.label, "model": f"{m.name} v{m.version}"}
                )
    grants = [
        {
            "ref": g.ref,
            "title": g.title,
            "amount": fmt_gbp(g.amount_pence) if g.amount_pence is not None else "not stated",
            "amount_pence": g.amount_pence,
            "award_date": g.award_date,
            "source": srcs[g.funding_source_id].name if g.funding_source_id else "",
        }
        for g in register.grants(s, programme_id=p.id)
    ]
    notes = []
    if p.data_label:
        notes.append(f"{p.data_label} data: not a real programme.")
    if not rets:
        notes.append(f"No monitoring returns for {fy_label(financial_year)} yet.")
    row = programme_row(p)
    row.update(
        {
            "description": p.description,
            "theme_code": p.theme,
            "theme": theme_labels().get(p.theme, p.theme),
            "objectives_list": list(p.objectives),
            "evidence_approach": p.evidence_approach,
            "evaluation_text": p.evaluation_text,
            "reach_stated": p.reach_stated,
            "outcomes_stated": p.outcomes_stated,
            "economics": p.economics,
            "note": p.note,
            "source_ref": p.source_ref,
            "places_list": list(p.places),
            "age_min": p.age_min,
            "age_max": p.age_max,
            "updated_by": p.updated_by,
            "updated_at": p.updated_at,
        }
    )
    vfm = programme_vfm(p.ref) if with_finance else None
    return ProgrammePage(
        title=f"{p.ref} {p.name}",
        notes=notes,
        ref=p.ref,
        financial_year=financial_year,
        programme=row,
        version=p.version,
        organisations=[
            {
                "id": po.organisation_id,
                "name": po.organisation.name,
                "identifier": po.organisation.identifier,
                "role": po.role,
            }
            for po in p.organisations
        ],
        grants=grants,
        money=pd.DataFrame(money_rows),
        with_finance=with_finance,
        outputs=pd.DataFrame(out_rows),
        reach=reach,
        targets=targets,
        returns=[
            {
                "id": r.id,
                "quarter": r.quarter,
                "revision": r.revision,
                "status": r.status,
                "submitted_by": r.submitted_by,
                "submitted_at": r.submitted_at,
                "file_name": r.file_name,
            }
            for r in rets
        ],
        objectives=objectives,
        measures=measures,
        vfm=vfm,
        evidence=evidence_rating(p.evidence_approach),
    )


def standard_measure_codes() -> list[str]:
    return [m.code for m in standard_measures()]


def require_year(text: str | int | None) -> int:
    from vrkit.catalog.money import parse_fy

    if text is None:
        raise InputError("a financial year is needed (e.g. 2020/21)")
    return parse_fy(text)

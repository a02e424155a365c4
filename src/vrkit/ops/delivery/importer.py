"""Store a :class:`~vrkit.sources.delivery.records.DeliveryBundle` in the operational database.

One import is one transaction (the caller's session): a record that breaks a rule raises a
:class:`~vrkit.errors.DataValidationError` naming its file, row and column, and the caller rolls
everything back, so nothing is half-stored. Re-running the same import changes nothing: records
are matched by their natural keys (programme reference, organisation identifier or name, source
code, budget source and year, quarter keys, target scope and measure, grant reference) and only
differences are written (and audited).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrkit.catalog.money import fy_label
from vrkit.errors import DataValidationError, InputError
from vrkit.ops import audit
from vrkit.ops.delivery import finance, logic, register
from vrkit.ops.delivery.models import (
    Commitment,
    Forecast,
    FundingSource,
    GrantAward,
    Programme,
    Spend,
    StatedFigure,
    Target,
)
from vrkit.ops.models import Organisation, utcnow
from vrkit.ops.roles import Principal
from vrkit.sources.delivery.records import DeliveryBundle, OrgRecord, QuarterRecord, Where


@dataclass
class ImportSummary:
    kind: str
    files: list[tuple[Path, str]]
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    logic_model: str | None = None
    data_label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "files": [{"path": str(p), "sha256": h} for p, h in self.files],
            "counts": dict(sorted(self.counts.items())),
            "logic_model": self.logic_model,
            "notes": self.notes,
            "data_label": self.data_label,
        }


def _fail(where: Where, reason: str, hint: str | None = None) -> DataValidationError:
    return DataValidationError(where.path, reason, row=where.row, column=where.column, hint=hint)


def _org(s: Session, actor: Principal, rec: OrgRecord, where: Where, column: str) -> Organisation:
    if rec.kind == "reference":  # an id that must already be known
        org = register.find_organisation(s, None, rec.identifier)
        if org is None:
            raise _fail(
                Where(where.path, where.row, column),
                f"unknown organisation id {rec.identifier!r}",
                hint="Add it to organisations.csv (or the portal's organisations) first.",
            )
        return org
    return register.ensure_organisation(s, actor, rec)


def load_bundle(s: Session, actor: Principal, bundle: DeliveryBundle) -> ImportSummary:
    """Store ``bundle`` (see the module docstring); returns what was created/changed."""
    summary = ImportSummary(
        bundle.kind, bundle.files, notes=list(bundle.notes), data_label=bundle.data_label
    )
    c = summary.counts
    for o in bundle.organisations:
        before = register.find_organisation(s, o.name, o.identifier)
        register.ensure_organisation(s, actor, o)
        c["organisations created" if before is None else "organisations known"] += 1
    for src_rec in bundle.sources:
        before_src = register.source_by_code(s, src_rec.code)
        register.ensure_source(s, actor, src_rec)
        c["funding sources created" if before_src is None else "funding sources known"] += 1

    def source(text: str, where: Where, column: str = "source") -> FundingSource:
        found = register.ensure_known_source(s, actor, text)
        if found is None:
            raise _fail(
                Where(where.path, where.row, column),
                f"unknown funding source {text!r}",
                hint="List it in funding_sources.csv, or use a known source code.",
            )
        return found

    # -- programmes ----------------------------------------------------------------------------
    refs_in_bundle = [p.ref for p in bundle.programmes if p.ref]
    dup = {r for r in refs_in_bundle if refs_in_bundle.count(r) > 1}
    if dup:
        first = next(p for p in bundle.programmes if p.ref in dup)
        raise _fail(
            Where(first.where.path, first.where.row, "ref"),
            f"programme reference {first.ref!r} appears twice",
        )
    for rec in bundle.programmes:
        lead = [_org(s, actor, o, rec.where, "lead_organisation") for o in rec.lead]
        delivery = [_org(s, actor, o, rec.where, "delivery_organisations") for o in rec.delivery]
        fields: dict[str, Any] = {
            "kind": rec.kind,
            "description": rec.description,
            "objectives": rec.objectives,
            "target_cohort": rec.target_cohort,
            "age_min": rec.age_min,
            "age_max": rec.age_max,
            "places": rec.places,
            "start_date": rec.start_date,
            "end_date": rec.end_date,
            "period_text": rec.period_text,
            "status": rec.status,
            "in_portfolio": rec.in_portfolio,
            "evaluation_status": rec.evaluation_status,
            "evaluation_text": rec.evaluation_text,
            "evidence_approach": rec.evidence_approach,
            "note": rec.note,
        }
        extra = {
            "objectives_inferred": rec.objectives_inferred,
            "reach_stated": rec.reach_stated,
            "outcomes_stated": rec.outcomes_stated,
            "economics": rec.economics,
            "source_ref": rec.source_ref,
            "data_label": rec.data_label,
        }
        ref = rec.ref or register.next_ref(s, "PRG")
        try:
            existing = register.get_programme(s, ref)
            if existing is None:
                p = register.create_programme(
                    s,
                    actor,
                    ref=ref,
                    name=rec.name,
                    theme=rec.theme,
                    lead=lead,
                    delivery=delivery,
                    **fields,
                )
                for k, v in extra.items():
                    setattr(p, k, v)
                c["programmes created"] += 1
            elif rec.create_only:
                p = existing
                c["programmes known"] += 1
            else:
                res = register.update_programme(
                    s,
                    actor,
                    ref,
                    expected_version=existing.version,
                    values={"name": rec.name, "theme": rec.theme, **fields},
                )
                changed = bool(res.changed)
                for k, v in extra.items():
                    if getattr(existing, k) != v:
                        setattr(existing, k, v)
                        changed = True
                before_orgs = {(po.organisation_id, po.role) for po in existing.organisations}
                register.set_organisations(s, existing, lead, delivery)
                changed |= before_orgs != {
                    (po.organisation_id, po.role) for po in existing.organisations
                }
                p = existing
                c["programmes changed" if changed else "programmes unchanged"] += 1
            if rec.measures:
                register.set_measures(s, p, rec.measures)
        except InputError as exc:
            raise _fail(rec.where, exc.message, exc.hint) from None
    s.flush()
    programmes = {p.ref: p for p in s.scalars(select(Programme))}

    def programme(ref: str, where: Where) -> Programme:
        p = programmes.get(ref)
        if p is None:
            raise _fail(
                Where(where.path, where.row, "programme_ref"),
                f"unknown programme reference {ref!r}",
                hint="The programme must be in the register (or in this import's programmes.csv).",
            )
        return p

    # -- grants --------------------------------------------------------------------------------
    for g in bundle.grants:
        recipient = _org(s, actor, g.recipient, g.where, "recipient") if g.recipient else None
        funder = _org(s, actor, g.funder, g.where, "funder") if g.funder else None
        g_src = source(g.source, g.where) if g.source else None
        prog = programme(g.programme_ref, g.where) if g.programme_ref else None
        row = s.scalar(select(GrantAward).where(GrantAward.ref == g.ref))
        values = {
            "programme_id": prog.id if prog else None,
            "recipient_organisation_id": recipient.id if recipient else None,
            "funder_organisation_id": funder.id if funder else None,
            "funding_source_id": g_src.id if g_src else None,
            "title": g.title[:300],
            "description": g.description,
            "currency": g.currency,
            "amount_pence": g.amount_pence,
            "award_date": g.award_date,
            "planned_start": g.planned_start,
            "planned_end": g.planned_end,
            "grant_programme": g.grant_programme[:300],
            "beneficiary_location": g.locations,
            "source_ref": g.source_ref,
            "data_label": g.data_label,
        }
        if row is None:
            s.add(GrantAward(ref=g.ref, created_at=utcnow(), **values))
            c["grants created"] += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            c["grants changed"] += 1
        else:
            c["grants unchanged"] += 1
    # -- budgets and allocations ---------------------------------------------------------------
    seen_budget: dict[tuple[str, int], Where] = {}
    for bgt in bundle.budgets:
        b_src = source(bgt.source, bgt.where)
        key = (b_src.code, bgt.financial_year)
        if key in seen_budget:
            raise _fail(
                bgt.where,
                f"a second {b_src.name} budget for {fy_label(bgt.financial_year)} (first at row {seen_budget[key].row})",
            )
        seen_budget[key] = bgt.where
        before_b = next(
            (x for x in finance.budgets(s, bgt.financial_year) if x.funding_source_id == b_src.id),
            None,
        )
        finance.set_budget(
            s,
            actor,
            b_src,
            bgt.financial_year,
            bgt.amount_pence,
            basis=bgt.basis,
            note=bgt.note,
            source_ref=bgt.source_ref,
        )
        c[
            "budgets unchanged"
            if before_b is not None and before_b.amount_pence == bgt.amount_pence
            else "budgets set"
        ] += 1
    for a in bundle.allocations:
        finance.set_allocation(
            s,
            actor,
            a.financial_year,
            a.theme,
            a.amount_pence,
            basis=a.basis,
            note=a.note,
            source_ref=a.source_ref,
        )
        c["theme allocations"] += 1

    # -- quarterly amounts ---------------------------------------------------------------------
    def keyed(
        records: list[QuarterRecord], what: str
    ) -> dict[tuple[int, int, int, int], tuple[int, QuarterRecord]]:
        out: dict[tuple[int, int, int, int], tuple[int, QuarterRecord]] = {}
        for r in records:
            q_prog = programme(r.programme_ref, r.where)
            q_src = source(r.source, r.where)
            k = (q_prog.id, q_src.id, r.financial_year, r.quarter)
            if k in out:
                raise _fail(
                    r.where,
                    f"a second {what} for {q_prog.ref}, {q_src.name}, {fy_label(r.financial_year)} Q{r.quarter} "
                    f"(first at row {out[k][1].where.row})",
                )
            if r.amount_pence < 0:
                raise _fail(
                    Where(r.where.path, r.where.row, "amount_gbp"), f"{what} cannot be negative"
                )
            out[k] = (r.amount_pence, r)
        return out

    commitments = keyed(bundle.commitments, "profile amount")
    spend = keyed(bundle.spend, "spend amount")
    forecasts = keyed(bundle.forecasts, "forecast")
    years = {k[2] for k in (*commitments, *spend)}
    if years:
        breaches = finance.check_money_rules(
            s,
            years,
            commitments={k: v for k, (v, _) in commitments.items()},
            spend={k: v for k, (v, _) in spend.items()},
        )
        if breaches:
            b = breaches[0]
            culprit = next(
                (r for k, (_, r) in spend.items() if (k[0], k[1], k[2]) == b.key),
                None,
            ) or next(
                (r for k, (_, r) in commitments.items() if k[1] == b.key[1] and k[2] == b.key[2]),
                None,
            )
            where = culprit.where if culprit else Where("import")
            more = f" ({len(breaches) - 1} more)" if len(breaches) > 1 else ""
            raise _fail(Where(where.path, where.row, "amount_gbp"), b.message + more)
    by_id = {p.id: p for p in programmes.values()}
    srcs = {x.id: x for x in s.scalars(select(FundingSource))}
    for table, data, label in (
        (Commitment, commitments, "profile"),
        (Spend, spend, "spend"),
        (Forecast, forecasts, "forecast"),
    ):
        for qk, (amount, _) in data.items():
            finance.set_quarter(
                s, actor, table, by_id[qk[0]], srcs[qk[1]], qk[2], qk[3], amount, origin="import"
            )
            c[f"{label} amounts"] += 1
    # -- targets -------------------------------------------------------------------------------
    for t in bundle.targets:
        prog = programme(t.programme_ref, t.where) if t.programme_ref else None
        t_src = source(t.source, t.where) if t.source else None
        if t.target_value < 0:
            raise _fail(Where(t.where.path, t.where.row, "target"), "a target cannot be negative")
        tq = select(Target).where(
            Target.measure_code == t.measure_code, Target.financial_year == t.financial_year
        )
        tq = (
            tq.where(Target.programme_id == prog.id)
            if prog
            else tq.where(Target.programme_id.is_(None))
        )
        tq = (
            tq.where(Target.funding_source_id == t_src.id)
            if t_src
            else tq.where(Target.funding_source_id.is_(None))
        )
        trow = s.scalar(tq)
        if trow is None:
            trow = Target(
                programme_id=prog.id if prog else None,
                funding_source_id=t_src.id if t_src else None,
                measure_code=t.measure_code,
                financial_year=t.financial_year,
            )
            s.add(trow)
            c["targets created"] += 1
        else:
            c["targets updated"] += 1
        trow.target_value, trow.label, trow.due = t.target_value, t.label, t.due
        trow.stated_value, trow.stated_as_of = t.stated_value, t.stated_as_of
        trow.source_ref, trow.note = t.source_ref, t.note
    # -- stated figures ------------------------------------------------------------------------
    for st in bundle.stated:
        sq = select(StatedFigure).where(
            StatedFigure.figure_group == st.group,
            StatedFigure.metric == st.metric,
            StatedFigure.source_ref == st.source_ref,
        )
        sq = (
            sq.where(StatedFigure.financial_year == st.financial_year)
            if st.financial_year is not None
            else sq.where(StatedFigure.financial_year.is_(None))
        )
        row_s = s.scalar(sq)
        if row_s is None:
            row_s = StatedFigure(
                figure_group=st.group,
                metric=st.metric,
                source_ref=st.source_ref,
                financial_year=st.financial_year,
            )
            s.add(row_s)
            c["stated figures"] += 1
        row_s.value, row_s.unit, row_s.as_printed = st.value, st.unit, st.as_printed
        row_s.period, row_s.note = st.period, st.note
    # -- logic model ---------------------------------------------------------------------------
    if bundle.logic_model is not None:
        try:
            m, created, changes = logic.save_version(s, actor, bundle.logic_model)
        except InputError as exc:
            where = bundle.logic_model.where or Where("logic model")
            raise _fail(where, exc.message, exc.hint) from None
        summary.logic_model = (
            f"{m.name} version {m.version} ({'created' if created else 'unchanged'})"
        )
        summary.notes.extend(changes[:20])
    s.flush()
    audit.record(
        s,
        actor,
        "delivery_imported",
        target=f"import:{bundle.kind}",
        detail={
            "files": [{"name": p.name, "sha256": h} for p, h in bundle.files],
            "counts": dict(c),
        },
    )
    return summary

"""Monitoring returns (stored whole, as revisions) and progress against targets.

A return that passed the file checks (:func:`vrkit.sources.delivery.returns_xlsx.read_return`)
is checked against the register before anything is stored: the programme exists (and is the one
the upload was for), its measures are the programme's, its funding sources are known and the
quarter's spend stays within the programme's profile unless an approved reprofile covers it.
Any problem refuses the whole return. A stored return becomes the ``current`` revision for its
programme and quarter; earlier revisions are kept as ``superseded``. The quarter's spend from a
return replaces that quarter's actual spend (origin ``return:<id>``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from vrkit.catalog.delivery import deduplication_rules, standard_measures, theme_labels
from vrkit.catalog.money import fy_label
from vrkit.ops import audit
from vrkit.ops.delivery.finance import check_money_rules, profile
from vrkit.ops.delivery.models import (
    Commitment,
    FundingSource,
    MonitoringReturn,
    Programme,
    ReprofileLine,
    ReturnReach,
    ReturnSpend,
    ReturnValue,
    Spend,
    Target,
)
from vrkit.ops.delivery.register import get_programme, programme_measures, programme_org_codes
from vrkit.ops.models import utcnow
from vrkit.ops.roles import Principal
from vrkit.sources.delivery.returns_xlsx import (
    ABOUT,
    OUTPUTS,
    SPEND,
    ReturnData,
    ReturnIssue,
    ReturnRejected,
)


@dataclass(frozen=True)
class StoredReturn:
    ret: MonitoringReturn
    unchanged: bool
    replaced_revision: int | None


def expected_measures(s: Session, programme: Programme) -> list[tuple[str, str]]:
    """(code, label) of the measures a programme's return reports: standard, then its own."""
    own = [(m.code, m.label) for m in programme_measures(s, programme.id)]
    return [(m.code, m.label) for m in standard_measures()] + own


def programme_sources(s: Session, programme: Programme, financial_year: int) -> list[FundingSource]:
    """Funding sources the programme has a profile (or spend) from in the year."""
    ids = set(
        s.scalars(
            select(Commitment.funding_source_id).where(
                Commitment.programme_id == programme.id,
                Commitment.financial_year == financial_year,
            )
        )
    ) | set(
        s.scalars(
            select(ReprofileLine.funding_source_id).where(
                ReprofileLine.programme_id == programme.id,
                ReprofileLine.financial_year == financial_year,
            )
        )
    )
    if not ids:
        return []
    return list(
        s.scalars(select(FundingSource).where(FundingSource.id.in_(ids)).order_by(FundingSource.id))
    )


def _refused(path: str, reason: str) -> ReturnRejected:
    return ReturnRejected(path, [ReturnIssue(ABOUT, None, "B", reason)])


def store_return(
    s: Session,
    actor: Principal,
    data: ReturnData,
    *,
    sha256: str,
    for_programme: str | None = None,
    org_codes: frozenset[str] | None = None,
    data_label: str = "",
) -> StoredReturn:
    """Check ``data`` against the register and store it as the next revision (all or nothing).

    ``for_programme``: the programme the upload was made for (a return for another programme
    is refused). ``org_codes``: the organisations whose programmes the submitter may report on
    (None: any).

    Raises
    ------
    ReturnRejected
        Every problem found, by sheet, row and column; nothing is stored.
    """
    issues: list[ReturnIssue] = []
    path = data.file_name
    p = get_programme(s, data.programme_ref)
    if p is None:
        raise _refused(
            path,
            f"no programme {data.programme_ref!r} in the register (unknown programme reference)",
        )
    if for_programme is not None and p.ref != for_programme:
        raise _refused(
            path,
            f"this return is for programme {p.ref}, not {for_programme}: upload it on that programme's page",
        )
    if org_codes is not None and not (programme_org_codes(p) & org_codes):
        raise _refused(path, f"programme {p.ref} is not one your organisation leads or delivers")
    want = dict(expected_measures(s, p))
    for code, row in sorted(data.value_rows.items(), key=lambda kv: kv[1]):
        if code not in want:
            issues.append(
                ReturnIssue(OUTPUTS, row, "Code", f"{code!r} is not a measure of programme {p.ref}")
            )
    for code in want:
        if code not in data.value_rows:
            issues.append(ReturnIssue(OUTPUTS, None, "Code", f"the row for {code} is missing"))
    srcs = {x.code: x for x in s.scalars(select(FundingSource))}
    spend_override: dict[tuple[int, int, int, int], int] = {}
    line_of: dict[int, int] = {}
    for line in data.spend:
        src = srcs.get(line.source_code)
        if src is None:
            issues.append(
                ReturnIssue(
                    SPEND, line.row, "Source code", f"unknown funding source {line.source_code!r}"
                )
            )
            continue
        spend_override[(p.id, src.id, data.financial_year, data.quarter)] = line.amount_pence
        line_of[src.id] = line.row
    # sources the earlier revision reported but this one does not: their spend goes
    for old_spend in s.scalars(
        select(Spend).where(
            Spend.programme_id == p.id,
            Spend.financial_year == data.financial_year,
            Spend.quarter == data.quarter,
            Spend.origin.like("return:%"),
        )
    ):
        spend_override.setdefault(
            (p.id, old_spend.funding_source_id, data.financial_year, data.quarter), 0
        )
    if spend_override and not issues:
        for b in check_money_rules(
            s, {data.financial_year}, spend=spend_override, programme_id=p.id
        ):
            pid, sid, _ = b.key
            if pid == p.id:
                issues.append(ReturnIssue(SPEND, line_of.get(sid), "Amount (£)", b.message))
    if issues:
        raise ReturnRejected(path, issues)
    q = select(MonitoringReturn).where(
        MonitoringReturn.programme_id == p.id,
        MonitoringReturn.financial_year == data.financial_year,
        MonitoringReturn.quarter == data.quarter,
    )
    current = s.scalar(q.where(MonitoringReturn.status == "current"))
    if current is not None and current.sha256 == sha256:
        return StoredReturn(current, True, None)
    revision = (
        s.scalar(
            select(func.max(MonitoringReturn.revision)).where(
                MonitoringReturn.programme_id == p.id,
                MonitoringReturn.financial_year == data.financial_year,
                MonitoringReturn.quarter == data.quarter,
            )
        )
        or 0
    ) + 1
    replaced = None
    if current is not None:
        current.status = "superseded"
        replaced = current.revision
    ret = MonitoringReturn(
        programme_id=p.id,
        financial_year=data.financial_year,
        quarter=data.quarter,
        revision=revision,
        status="current",
        template_version=data.template_version,
        sha256=sha256,
        file_name="".join(ch for ch in data.file_name if ch.isprintable())[:200],
        submitted_by=actor.email,
        submitted_at=utcnow(),
        period_start=data.period_start,
        period_end=data.period_end,
        contact=data.contact,
        comments=data.comments,
        data_label=data_label or p.data_label,
    )
    ret.values = [ReturnValue(measure_code=k, value=v) for k, v in data.values.items()]
    ret.reach = [ReturnReach(dimension=d, category=c, count=n) for (d, c), n in data.reach.items()]
    ret.spend = [
        ReturnSpend(funding_source_id=srcs[x.source_code].id, amount_pence=x.amount_pence)
        for x in data.spend
    ]
    s.add(ret)
    s.flush()
    for (pid, sid, fy, q_), amount in spend_override.items():
        srow = s.scalar(
            select(Spend).where(
                Spend.programme_id == pid,
                Spend.funding_source_id == sid,
                Spend.financial_year == fy,
                Spend.quarter == q_,
            )
        )
        if srow is None:
            srow = Spend(programme_id=pid, funding_source_id=sid, financial_year=fy, quarter=q_)
            s.add(srow)
        srow.amount_pence, srow.origin = amount, f"return:{ret.id}"
        srow.recorded_by, srow.recorded_at = actor.email, utcnow()
    s.flush()
    audit.record(
        s,
        actor,
        "return_submitted",
        target=f"return:{ret.id}",
        detail={
            "programme": p.ref,
            "financial_year": fy_label(data.financial_year),
            "quarter": data.quarter,
            "revision": revision,
            "replaces_revision": replaced,
            "sha256": sha256,
        },
    )
    return StoredReturn(ret, False, replaced)


def returns_of(
    s: Session, programme_id: int | None = None, *, financial_year: int | None = None
) -> list[MonitoringReturn]:
    q = select(MonitoringReturn).options(
        selectinload(MonitoringReturn.values),
        selectinload(MonitoringReturn.reach),
        selectinload(MonitoringReturn.spend),
    )
    if programme_id is not None:
        q = q.where(MonitoringReturn.programme_id == programme_id)
    if financial_year is not None:
        q = q.where(MonitoringReturn.financial_year == financial_year)
    return list(
        s.scalars(
            q.order_by(
                MonitoringReturn.financial_year,
                MonitoringReturn.quarter,
                MonitoringReturn.revision,
            )
        )
    )


def outputs_frame(
    s: Session, financial_year: int, *, programme_ids: set[int] | None = None
) -> pd.DataFrame:
    """Current returns' values: programme_id, quarter, measure_code, value."""
    q = (
        select(
            MonitoringReturn.programme_id,
            MonitoringReturn.quarter,
            ReturnValue.measure_code,
            ReturnValue.value,
        )
        .join(ReturnValue)
        .where(
            MonitoringReturn.financial_year == financial_year, MonitoringReturn.status == "current"
        )
    )
    rows = [tuple(r) for r in s.execute(q)]
    frame = pd.DataFrame(rows, columns=["programme_id", "quarter", "measure_code", "value"])
    if programme_ids is not None:
        frame = frame[frame["programme_id"].isin(programme_ids)]
    return frame


def reach_frame(
    s: Session, financial_year: int, *, programme_ids: set[int] | None = None
) -> pd.DataFrame:
    """Reach breakdowns of current returns summed over quarters and programmes:
    dimension, category, count (participations; see the de-duplication rules)."""
    q = (
        select(
            MonitoringReturn.programme_id,
            ReturnReach.dimension,
            ReturnReach.category,
            ReturnReach.count,
        )
        .join(ReturnReach)
        .where(
            MonitoringReturn.financial_year == financial_year, MonitoringReturn.status == "current"
        )
    )
    frame = pd.DataFrame(
        [tuple(r) for r in s.execute(q)], columns=["programme_id", "dimension", "category", "count"]
    )
    if programme_ids is not None:
        frame = frame[frame["programme_id"].isin(programme_ids)]
    if frame.empty:
        return pd.DataFrame(columns=["dimension", "category", "count"])
    return frame.groupby(["dimension", "category"], as_index=False, sort=False)["count"].sum()


def funded_by(s: Session, source_id: int, financial_year: int) -> set[int]:
    """Programmes with a profile from the source in the year."""
    return {k[0] for k, v in profile(s, financial_year).items() if k[1] == source_id and v > 0}


def progress_frame(
    s: Session, financial_year: int, *, programme_ids: set[int] | None = None
) -> pd.DataFrame:
    """Every target of the year with its progress.

    Achieved is the sum of the measure over the current returns of the programmes in the
    target's scope (the programme; or every programme, or those funded by the source, for a
    portfolio target). When no return exists for any of them and the source states an
    achievement, the stated figure is shown instead and ``basis`` says so.
    """
    progs = {p.id: p for p in s.scalars(select(Programme))}
    srcs = {x.id: x for x in s.scalars(select(FundingSource))}
    outputs = outputs_frame(s, financial_year)
    rows: list[dict[str, Any]] = []
    targets = list(
        s.scalars(select(Target).where(Target.financial_year == financial_year).order_by(Target.id))
    )
    for t in targets:
        if programme_ids is not None and (
            t.programme_id is None or t.programme_id not in programme_ids
        ):
            continue
        if t.programme_id is not None:
            scope = {t.programme_id}
            scope_label = f"{progs[t.programme_id].ref} {progs[t.programme_id].name}"
        elif t.funding_source_id is not None:
            scope = funded_by(s, t.funding_source_id, financial_year)
            scope_label = f"programmes funded by {srcs[t.funding_source_id].name}"
        else:
            scope = {pid for pid, p in progs.items() if p.in_portfolio}
            scope_label = "all programmes"
        sub = outputs[
            (outputs["programme_id"].isin(scope)) & (outputs["measure_code"] == t.measure_code)
        ]
        n_returns = len(sub)
        quarters = sorted({int(q) for q in sub["quarter"]})
        if n_returns:
            achieved: int | None = int(sub["value"].sum())
            basis = f"computed from {n_returns} current return(s), quarter(s) {', '.join(f'Q{q}' for q in quarters)}"
        elif t.stated_value is not None:
            achieved = int(t.stated_value)
            basis = f"as stated by the source ({t.stated_as_of or 'date not stated'}); no returns in vrkit"
        else:
            achieved = None
            basis = "no returns yet"
        pct = (
            None
            if achieved is None or not t.target_value
            else round(100.0 * achieved / t.target_value, 1)
        )
        rows.append(
            {
                "target_id": t.id,
                "scope": scope_label,
                "programme_ref": progs[t.programme_id].ref if t.programme_id else None,
                "measure_code": t.measure_code,
                "label": t.label or t.measure_code,
                "financial_year": fy_label(financial_year),
                "target": int(t.target_value),
                "due": t.due,
                "achieved": achieved,
                "pct_of_target": pct,
                "progress": "–" if achieved is None else f"{achieved:,} of {int(t.target_value):,}",
                "basis": basis,
                "programmes_in_scope": len(scope),
                "source_ref": t.source_ref,
                "note": t.note,
            }
        )
    cols = [
        "target_id", "scope", "programme_ref", "measure_code", "label", "financial_year", "target",
        "due", "achieved", "pct_of_target", "progress", "basis", "programmes_in_scope",
        "source_ref", "note",
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=cols)
    frame.attrs["deduplication"] = deduplication_rules()
    return frame


def programme_outputs(s: Session, financial_year: int) -> pd.DataFrame:
    """Per programme: theme, objectives, returns received and the year's totals of each
    standard measure (current revisions)."""
    out = outputs_frame(s, financial_year)
    labels = theme_labels()
    rows = []
    counts: dict[int, set[int]] = defaultdict(set)
    for pid, q in zip(out["programme_id"], out["quarter"], strict=True):
        counts[int(pid)].add(int(q))
    for p in s.scalars(select(Programme).order_by(Programme.ref)):
        sub = out[out["programme_id"] == p.id]
        totals = sub.groupby("measure_code")["value"].sum().to_dict()
        rows.append(
            {
                "programme_ref": p.ref,
                "programme": p.name,
                "theme": labels.get(p.theme, p.theme),
                "objectives": ";".join(str(o) for o in p.objectives),
                "quarters_returned": ",".join(f"Q{q}" for q in sorted(counts.get(p.id, ()))),
                **{
                    m.code: (int(totals[m.code]) if m.code in totals else None)
                    for m in standard_measures()
                },
                "data_label": p.data_label,
            }
        )
    return pd.DataFrame(rows)

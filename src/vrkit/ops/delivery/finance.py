"""Money: budgets by source and year, theme allocations, programme profiles (commitments),
actual spend, forecasts and reprofiles, and the finance views computed from them.

Definitions (stated in every output that uses them)
---------------------------------------------------
profile
    A programme's committed budget from a source, by quarter: the commitments plus every
    approved, unreversed reprofile.
actual
    Spend recorded for a quarter (from the finance system, a monitoring return or by hand).
forecast outturn
    Actual spend for the quarters reported, plus the recorded forecast (else the profile) for the
    quarters after; a quarter up to the "as of" quarter with no spend recorded is flagged and
    counted at its profile, never as zero.
variance
    Forecast outturn minus profile (negative: underspend).
underspend risk
    ``high`` when the forecast underspend is at least ``high_pct`` % of the profile, or at least
    ``in_year_pct`` % of a source that must be spent in-year; ``medium`` from ``medium_pct`` %;
    ``low`` otherwise (thresholds in ``catalog/delivery.toml``).

All amounts are integer pence; nothing here uses floats except percentages for display.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from vrkit.catalog.delivery import finance_rules, theme_labels
from vrkit.catalog.money import check_quarter, fmt_gbp, fy_label
from vrkit.errors import InputError
from vrkit.ops import audit
from vrkit.ops.delivery.models import (
    Budget,
    Commitment,
    Forecast,
    FundingSource,
    Programme,
    Reprofile,
    ReprofileLine,
    Spend,
    ThemeAllocation,
)
from vrkit.ops.delivery.register import EditConflict
from vrkit.ops.models import utcnow
from vrkit.ops.roles import Principal

Key = tuple[int, int, int, int]  # programme id, source id, financial year, quarter
QuarterTable = type[Commitment] | type[Spend] | type[Forecast]


# -- budgets and allocations -------------------------------------------------------------------
def set_budget(
    s: Session,
    actor: Principal,
    source: FundingSource,
    financial_year: int,
    amount_pence: int | None,
    *,
    basis: str = "confirmed",
    note: str = "",
    source_ref: str = "",
) -> Budget:
    if amount_pence is not None and amount_pence < 0:
        raise InputError(f"a budget cannot be negative ({fmt_gbp(amount_pence)})")
    b = s.scalar(
        select(Budget).where(
            Budget.funding_source_id == source.id, Budget.financial_year == financial_year
        )
    )
    if b is None:
        b = Budget(funding_source_id=source.id, financial_year=financial_year)
        s.add(b)
    before = b.amount_pence
    b.amount_pence, b.basis, b.note, b.source_ref = amount_pence, basis, note, source_ref
    b.updated_at = utcnow()
    s.flush()
    if before != amount_pence:
        audit.record(
            s,
            actor,
            "budget_changed",
            target=f"budget:{source.code}:{fy_label(financial_year)}",
            detail={"before_pence": before, "after_pence": amount_pence},
        )
    return b


def set_allocation(
    s: Session,
    actor: Principal,
    financial_year: int,
    theme: str,
    amount_pence: int | None,
    *,
    basis: str = "confirmed",
    note: str = "",
    source_ref: str = "",
) -> ThemeAllocation:
    a = s.scalar(
        select(ThemeAllocation).where(
            ThemeAllocation.financial_year == financial_year, ThemeAllocation.theme == theme
        )
    )
    if a is None:
        a = ThemeAllocation(financial_year=financial_year, theme=theme)
        s.add(a)
    before = a.amount_pence
    a.amount_pence, a.basis, a.note, a.source_ref = amount_pence, basis, note, source_ref
    s.flush()
    if before != amount_pence:
        audit.record(
            s,
            actor,
            "budget_changed",
            target=f"allocation:{theme}:{fy_label(financial_year)}",
            detail={"before_pence": before, "after_pence": amount_pence},
        )
    return a


def budgets(s: Session, financial_year: int | None = None) -> list[Budget]:
    q = select(Budget).order_by(Budget.financial_year, Budget.funding_source_id)
    if financial_year is not None:
        q = q.where(Budget.financial_year == financial_year)
    return list(s.scalars(q))


def allocations(s: Session, financial_year: int) -> list[ThemeAllocation]:
    return list(
        s.scalars(
            select(ThemeAllocation)
            .where(ThemeAllocation.financial_year == financial_year)
            .order_by(ThemeAllocation.id)
        )
    )


# -- quarterly amounts -------------------------------------------------------------------------
def quarter_amounts(
    s: Session, table: QuarterTable, financial_year: int, programme_id: int | None = None
) -> dict[Key, int]:
    q = select(
        table.programme_id,
        table.funding_source_id,
        table.financial_year,
        table.quarter,
        table.amount_pence,
    ).where(table.financial_year == financial_year)
    if programme_id is not None:
        q = q.where(table.programme_id == programme_id)
    rows = s.execute(q).all()
    return {(r[0], r[1], r[2], r[3]): int(r[4]) for r in rows}


def reprofile_deltas(
    s: Session, financial_year: int | None = None, programme_id: int | None = None
) -> dict[Key, int]:
    """Net change of every approved, unreversed reprofile, by key."""
    q = (
        select(
            ReprofileLine.programme_id,
            ReprofileLine.funding_source_id,
            ReprofileLine.financial_year,
            ReprofileLine.quarter,
            ReprofileLine.delta_pence,
        )
        .join(Reprofile)
        .where(Reprofile.status == "approved")
    )
    if financial_year is not None:
        q = q.where(ReprofileLine.financial_year == financial_year)
    if programme_id is not None:
        q = q.where(ReprofileLine.programme_id == programme_id)
    out: dict[Key, int] = defaultdict(int)
    for r in s.execute(q):
        out[(r[0], r[1], r[2], r[3])] += int(r[4])
    return dict(out)


def profile(s: Session, financial_year: int, programme_id: int | None = None) -> dict[Key, int]:
    """Commitments plus approved, unreversed reprofiles (see the module docstring)."""
    out = dict(quarter_amounts(s, Commitment, financial_year, programme_id))
    for k, d in reprofile_deltas(s, financial_year, programme_id).items():
        out[k] = out.get(k, 0) + d
    return out


def set_quarter(
    s: Session,
    actor: Principal,
    table: QuarterTable,
    programme: Programme,
    source: FundingSource,
    financial_year: int,
    quarter: int,
    amount_pence: int,
    *,
    origin: str = "manual",
) -> None:
    """Record a profile, spend or forecast amount (replacing the earlier one), audited."""
    check_quarter(quarter)
    if amount_pence < 0:
        raise InputError(f"an amount cannot be negative ({fmt_gbp(amount_pence)})")
    row: Commitment | Spend | Forecast | None = s.scalar(  # type: ignore[assignment]
        select(table).where(
            table.programme_id == programme.id,
            table.funding_source_id == source.id,
            table.financial_year == financial_year,
            table.quarter == quarter,
        )
    )
    before = None if row is None else row.amount_pence
    if row is None:
        row = table(
            programme_id=programme.id,
            funding_source_id=source.id,
            financial_year=financial_year,
            quarter=quarter,
            amount_pence=amount_pence,
        )
        s.add(row)
    row.amount_pence = amount_pence
    if isinstance(row, Spend):
        row.origin, row.recorded_by, row.recorded_at = origin, actor.email, utcnow()
    elif isinstance(row, Forecast):
        row.recorded_by, row.recorded_at = actor.email, utcnow()
    else:
        row.updated_at = utcnow()
    s.flush()
    if before != amount_pence:
        action = "budget_changed" if table is Commitment else "spend_recorded"
        audit.record(
            s,
            actor,
            action,
            target=f"{table.__tablename__}:{programme.ref}:{source.code}:{fy_label(financial_year)}:Q{quarter}",
            detail={"before_pence": before, "after_pence": amount_pence, "origin": origin},
        )


# -- rules -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleBreach:
    """A money rule a change would break; ``key`` names what (for errors by row)."""

    key: tuple[int, int, int]  # programme id (0 for a source-level rule), source id, year
    message: str


def check_money_rules(
    s: Session,
    financial_years: set[int],
    *,
    commitments: dict[Key, int] | None = None,
    spend: dict[Key, int] | None = None,
    extra_deltas: dict[Key, int] | None = None,
    programme_id: int | None = None,
) -> list[RuleBreach]:
    """Rules that the stored data, with ``commitments``/``spend`` overriding stored amounts and
    ``extra_deltas`` added to the profile (a reprofile being decided), would break:

    - a programme's actual spend from a source in a year above its profile for that year
      (spend beyond budget without an approved reprofile);
    - commitments from a source in a year above the source's budget for that year;
    - a quarter's profile below zero.

    ``programme_id`` limits the check to one programme's spend and profile (a change of its
    spend alone cannot break a source's budget).
    """
    breaches: list[RuleBreach] = []
    progs = select(Programme.id, Programme.ref)
    if programme_id is not None:
        progs = progs.where(Programme.id == programme_id)
    names = {int(r[0]): str(r[1]) for r in s.execute(progs)}
    srcs = {x.id: x for x in s.scalars(select(FundingSource))}
    for fy in sorted(financial_years):
        prof = profile(s, fy, programme_id)
        base = quarter_amounts(s, Commitment, fy, programme_id) if commitments else {}
        for k, v in (commitments or {}).items():
            if k[2] == fy:
                prof[k] = prof.get(k, 0) - base.get(k, 0) + v
        for k, d in (extra_deltas or {}).items():
            if k[2] == fy:
                prof[k] = prof.get(k, 0) + d
        spent = quarter_amounts(s, Spend, fy, programme_id)
        spent.update({k: v for k, v in (spend or {}).items() if k[2] == fy})
        for k, v in sorted(prof.items()):
            if v < 0:
                breaches.append(
                    RuleBreach(
                        (k[0], k[1], fy),
                        f"programme {names.get(k[0], k[0])}: the {srcs[k[1]].name} profile for "
                        f"{fy_label(fy)} Q{k[3]} would be negative ({fmt_gbp(v)})",
                    )
                )
        by_prog: dict[tuple[int, int], int] = defaultdict(int)
        for k, v in prof.items():
            by_prog[(k[0], k[1])] += v
        spent_prog: dict[tuple[int, int], int] = defaultdict(int)
        for k, v in spent.items():
            spent_prog[(k[0], k[1])] += v
        for (pid, sid), v in sorted(spent_prog.items()):
            budget = by_prog.get((pid, sid), 0)
            if v > budget:
                breaches.append(
                    RuleBreach(
                        (pid, sid, fy),
                        f"programme {names.get(pid, pid)}: spend from {srcs[sid].name} in "
                        f"{fy_label(fy)} would be {fmt_gbp(v)}, beyond its budget (profile) of "
                        f"{fmt_gbp(budget)} by {fmt_gbp(v - budget)}, and no approved reprofile "
                        "covers it",
                    )
                )
        if programme_id is not None:
            continue
        by_src: dict[int, int] = defaultdict(int)
        for k, v in prof.items():
            by_src[k[1]] += v
        for b in budgets(s, fy):
            committed = by_src.get(b.funding_source_id, 0)
            if b.amount_pence is not None and committed > b.amount_pence:
                breaches.append(
                    RuleBreach(
                        (0, b.funding_source_id, fy),
                        f"commitments from {srcs[b.funding_source_id].name} in {fy_label(fy)} "
                        f"would total {fmt_gbp(committed)}, more than its budget of "
                        f"{fmt_gbp(b.amount_pence)}",
                    )
                )
    return breaches


# -- reprofiling -------------------------------------------------------------------------------
def _check_lines(s: Session, lines: list[ReprofileLine]) -> None:
    if not lines:
        raise InputError("a reprofile moves money: give at least two lines that add up to zero")
    if any(x.delta_pence == 0 for x in lines):
        raise InputError("a reprofile line moves no money (its change is zero)")
    for x in lines:
        check_quarter(x.quarter)
    by_source: dict[int, int] = defaultdict(int)
    for x in lines:
        by_source[x.funding_source_id] += x.delta_pence
    srcs = {x.id: x for x in s.scalars(select(FundingSource))}
    for sid, total in by_source.items():
        if total != 0:
            raise InputError(
                f"the {srcs[sid].name} lines add up to {fmt_gbp(total)}, not zero: a reprofile "
                "moves money, it cannot add or remove it (change the budget instead)",
            )
    for sid in by_source:
        src = srcs[sid]
        years = {x.financial_year for x in lines if x.funding_source_id == sid}
        if src.must_spend_in_year and len(years) > 1:
            raise InputError(
                f"{src.name} money must be spent in the year it is awarded for, so it cannot be "
                f"moved between financial years ({', '.join(fy_label(y) for y in sorted(years))})",
                hint=src.rule or None,
            )


def _deltas(lines: list[ReprofileLine], sign: int = 1) -> dict[Key, int]:
    out: dict[Key, int] = defaultdict(int)
    for x in lines:
        out[(x.programme_id, x.funding_source_id, x.financial_year, x.quarter)] += (
            sign * x.delta_pence
        )
    return dict(out)


def _refuse_breaches(s: Session, deltas: dict[Key, int], what: str) -> None:
    breaches = check_money_rules(s, {k[2] for k in deltas}, extra_deltas=deltas)
    if breaches:
        raise InputError(
            f"{what} would break a money rule: " + "; ".join(b.message for b in breaches[:3])
        )


def propose_reprofile(
    s: Session,
    actor: Principal,
    *,
    reason: str,
    lines: list[tuple[Programme, FundingSource, int, int, int]],
) -> Reprofile:
    """Record a proposed reprofile (programme, source, year, quarter, change in pence)."""
    reason = reason.strip()
    if len(reason) < 10:
        raise InputError("give the reason for the reprofile (at least 10 characters)")
    objs = [
        ReprofileLine(
            programme_id=p.id,
            funding_source_id=src.id,
            financial_year=fy,
            quarter=q,
            delta_pence=d,
        )
        for p, src, fy, q, d in lines
    ]
    _check_lines(s, objs)
    _refuse_breaches(s, _deltas(objs), "this reprofile")
    rp = Reprofile(reason=reason, status="proposed", requested_by=actor.email or "unknown")
    rp.lines = objs
    rp.requested_at = utcnow()
    s.add(rp)
    s.flush()
    audit.record(
        s,
        actor,
        "reprofile_proposed",
        target=f"reprofile:{rp.id}",
        detail={"reason": reason[:500], "lines": len(objs)},
    )
    return rp


def get_reprofile(s: Session, reprofile_id: int) -> Reprofile:
    rp = s.get(Reprofile, reprofile_id)
    if rp is None:
        raise InputError(f"no reprofile {reprofile_id}")
    return rp


def _expect(rp: Reprofile, expected_version: int | None) -> None:
    if expected_version is not None and rp.version != expected_version:
        raise EditConflict(
            f"reprofile {rp.id} was changed (now {rp.status}) after you opened it; nothing was done",
            hint="Reload the page to see its current state.",
        )


def decide_reprofile(
    s: Session,
    actor: Principal,
    reprofile_id: int,
    *,
    approve: bool,
    note: str = "",
    expected_version: int | None = None,
) -> Reprofile:
    """Approve (applies it) or reject a proposed reprofile. The approver must not be the person
    who proposed it, and the rules are checked again against today's figures."""
    rp = get_reprofile(s, reprofile_id)
    _expect(rp, expected_version)
    if rp.status != "proposed":
        raise InputError(f"reprofile {rp.id} is {rp.status}, not awaiting a decision")
    if actor.email and actor.email == rp.requested_by:
        raise InputError(
            "you proposed this reprofile, so someone else must approve or reject it",
            hint="A second commissioner decides (separation of duties).",
        )
    if approve:
        _check_lines(s, rp.lines)
        _refuse_breaches(s, _deltas(rp.lines), "approving this reprofile")
    rp.status = "approved" if approve else "rejected"
    rp.decided_by, rp.decided_at, rp.decision_note = actor.email, utcnow(), note.strip()
    try:
        s.flush()
    except StaleDataError as exc:
        raise EditConflict(
            f"reprofile {rp.id} was decided by someone else at the same time"
        ) from exc
    audit.record(
        s,
        actor,
        "reprofile_approved" if approve else "reprofile_rejected",
        target=f"reprofile:{rp.id}",
        detail={"note": note[:500]},
    )
    return rp


def reverse_reprofile(
    s: Session,
    actor: Principal,
    reprofile_id: int,
    *,
    reason: str,
    expected_version: int | None = None,
) -> Reprofile:
    """Reverse an approved reprofile: the profile returns to what it was without it. Refused if
    spend recorded since would then be beyond budget."""
    rp = get_reprofile(s, reprofile_id)
    _expect(rp, expected_version)
    if rp.status != "approved":
        raise InputError(f"reprofile {rp.id} is {rp.status}; only an approved one can be reversed")
    reason = reason.strip()
    if len(reason) < 10:
        raise InputError("give the reason for reversing the reprofile (at least 10 characters)")
    _refuse_breaches(s, _deltas(rp.lines, -1), "reversing this reprofile")
    rp.status = "reversed"
    rp.reversed_by, rp.reversed_at, rp.reverse_reason = actor.email, utcnow(), reason
    try:
        s.flush()
    except StaleDataError as exc:
        raise EditConflict(
            f"reprofile {rp.id} was changed by someone else at the same time"
        ) from exc
    audit.record(
        s, actor, "reprofile_reversed", target=f"reprofile:{rp.id}", detail={"reason": reason[:500]}
    )
    return rp


def reprofiles(s: Session, financial_year: int | None = None) -> list[Reprofile]:
    q = select(Reprofile).order_by(Reprofile.id.desc())
    if financial_year is not None:
        q = q.where(
            Reprofile.id.in_(
                select(ReprofileLine.reprofile_id).where(
                    ReprofileLine.financial_year == financial_year
                )
            )
        )
    return list(s.scalars(q))


# -- the finance view --------------------------------------------------------------------------
def as_of_quarter(s: Session, financial_year: int) -> int:
    """The latest quarter of the year with any actual spend recorded (0: none yet)."""
    qs = [k[3] for k in quarter_amounts(s, Spend, financial_year)]
    return max(qs) if qs else 0


def risk_level(
    profile_pence: int, outturn_pence: int, *, must_spend_in_year: bool, of: str = "profile"
) -> tuple[str, str]:
    """(``high``/``medium``/``low``/``none``, reason) of a forecast underspend."""
    rules = finance_rules()
    if profile_pence <= 0:
        return "none", "no profile"
    under = profile_pence - outturn_pence
    if under <= 0:
        return "low", f"forecast to spend its {of}"
    pct = Decimal(under) * 100 / Decimal(profile_pence)
    text = f"forecast underspend {fmt_gbp(under)} ({pct:.1f} % of {of})"
    if must_spend_in_year and pct >= Decimal(int(rules["in_year_pct"])):
        return "high", text + "; must be spent in-year or lost"
    if pct >= Decimal(int(rules["high_pct"])):
        return "high", text
    if pct >= Decimal(int(rules["medium_pct"])):
        return "medium", text
    return "low", text


def finance_frame(s: Session, financial_year: int, *, as_of: int | None = None) -> pd.DataFrame:
    """One row per programme × source with a profile, spend or forecast in the year.

    Columns: programme_ref, programme, theme, theme_label, source_code, source, in_year_rule,
    profile_q1..q4, actual_q1..q4, forecast_q1..q4 (recorded forecasts), profile, actual_to_date,
    outturn, variance, risk, risk_reason, missing_quarters (quarters up to ``as_of`` with no
    spend recorded), data_label. Amounts in pence (int).
    """
    as_of = as_of_quarter(s, financial_year) if as_of is None else as_of
    prof = profile(s, financial_year)
    act = quarter_amounts(s, Spend, financial_year)
    fc = quarter_amounts(s, Forecast, financial_year)
    keys = {(k[0], k[1]) for k in (*prof, *act, *fc)}
    progs = {p.id: p for p in s.scalars(select(Programme))}
    srcs = {x.id: x for x in s.scalars(select(FundingSource))}
    labels = theme_labels()
    rows = []
    for pid, sid in sorted(keys, key=lambda k: (progs[k[0]].ref, srcs[k[1]].code)):
        p, src = progs[pid], srcs[sid]
        row: dict[str, object] = {
            "programme_ref": p.ref,
            "programme": p.name,
            "theme": p.theme,
            "theme_label": labels.get(p.theme, p.theme),
            "source_code": src.code,
            "source": src.name,
            "in_year_rule": src.must_spend_in_year,
        }
        outturn = 0
        actual_to_date = 0
        missing = []
        for q in (1, 2, 3, 4):
            k = (pid, sid, financial_year, q)
            pv, av, fv = prof.get(k, 0), act.get(k), fc.get(k)
            row[f"profile_q{q}"] = pv
            row[f"actual_q{q}"] = av
            row[f"forecast_q{q}"] = fv
            if av is not None:
                outturn += av
                actual_to_date += av
            elif q <= as_of:
                missing.append(f"Q{q}")
                outturn += pv
            else:
                outturn += fv if fv is not None else pv
        total_profile = sum(int(row[f"profile_q{q}"]) for q in (1, 2, 3, 4))  # type: ignore[call-overload]
        level, reason = risk_level(
            total_profile, outturn, must_spend_in_year=src.must_spend_in_year
        )
        if missing:
            reason += f"; no spend reported for {', '.join(missing)} (profile used)"
        row.update(
            {
                "profile": total_profile,
                "actual_to_date": actual_to_date,
                "outturn": outturn,
                "variance": outturn - total_profile,
                "risk": level,
                "risk_reason": reason,
                "missing_quarters": ",".join(missing),
                "data_label": p.data_label,
            }
        )
        rows.append(row)
    cols = [
        "programme_ref",
        "programme",
        "theme",
        "theme_label",
        "source_code",
        "source",
        "in_year_rule",
        *(f"{k}_q{q}" for k in ("profile", "actual", "forecast") for q in (1, 2, 3, 4)),
        "profile",
        "actual_to_date",
        "outturn",
        "variance",
        "risk",
        "risk_reason",
        "missing_quarters",
        "data_label",
    ]
    frame = pd.DataFrame(rows, columns=cols)
    frame.attrs["as_of_quarter"] = as_of
    return frame


def source_summary(s: Session, financial_year: int, frame: pd.DataFrame) -> pd.DataFrame:
    """Budget vs committed (profile) vs forecast outturn vs actual, by funding source, with the
    uncommitted budget (a risk for in-year money)."""
    rows = []
    bud = {b.funding_source_id: b for b in budgets(s, financial_year)}
    srcs = {x.id: x for x in s.scalars(select(FundingSource).order_by(FundingSource.id))}
    codes_in_frame = set(frame["source_code"]) if not frame.empty else set()
    for sid, src in srcs.items():
        b = bud.get(sid)
        if b is None and src.code not in codes_in_frame:
            continue
        sub = frame[frame["source_code"] == src.code] if not frame.empty else frame
        committed = int(sub["profile"].sum()) if not sub.empty else 0
        outturn = int(sub["outturn"].sum()) if not sub.empty else 0
        actual = int(sub["actual_to_date"].sum()) if not sub.empty else 0
        budget = None if b is None else b.amount_pence
        uncommitted = None if budget is None else budget - committed
        forecast_unspent = None if budget is None else budget - outturn
        level = "none"
        reason = ""
        if budget is not None and budget > 0 and forecast_unspent is not None:
            level, reason = risk_level(
                budget, outturn, must_spend_in_year=src.must_spend_in_year, of="budget"
            )
            if committed == 0:
                reason = "no programme profiles recorded against this budget"
                level = "none"
        rows.append(
            {
                "source_code": src.code,
                "source": src.name,
                "in_year_rule": src.must_spend_in_year,
                "budget": budget,
                "budget_basis": None if b is None else b.basis,
                "committed": committed,
                "uncommitted": uncommitted,
                "actual_to_date": actual,
                "outturn": outturn,
                "forecast_unspent": forecast_unspent,
                "risk": level,
                "risk_reason": reason,
            }
        )
    return pd.DataFrame(rows)

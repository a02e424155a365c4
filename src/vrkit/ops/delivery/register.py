"""The programme register: organisations, funding sources, programmes and grants.

Saving a programme is guarded by an optimistic lock: the caller says which version it started
from, and a save over a newer version is refused with who changed it and when (nothing is lost
silently). The database enforces the same through the ``version`` column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from vrkit.catalog.delivery import EVALUATION_STATUSES, STATUSES, known_source, resolve_theme
from vrkit.errors import InputError
from vrkit.ops import accounts, audit
from vrkit.ops.delivery.models import (
    FundingSource,
    GrantAward,
    Programme,
    ProgrammeMeasure,
    ProgrammeOrganisation,
)
from vrkit.ops.models import Organisation, utcnow
from vrkit.ops.roles import Principal
from vrkit.sources.delivery.records import OrgRecord, SourceRecord

#: fields of a programme a save may change (the form and the API use the same list)
EDITABLE = (
    "name",
    "kind",
    "description",
    "theme",
    "objectives",
    "target_cohort",
    "age_min",
    "age_max",
    "places",
    "start_date",
    "end_date",
    "period_text",
    "status",
    "in_portfolio",
    "evidence_approach",
    "evaluation_status",
    "evaluation_text",
    "note",
)
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


class EditConflict(InputError):
    """A save based on an older version of a record than the one stored."""


# -- organisations -----------------------------------------------------------------------------
def find_organisation(s: Session, name: str | None, identifier: str | None) -> Organisation | None:
    """An organisation by identifier (exact), else by name (case-insensitive)."""
    if identifier:
        org = s.scalar(select(Organisation).where(Organisation.identifier == identifier))
        if org is not None:
            return org
    if name:
        return s.scalar(
            select(Organisation).where(func.lower(Organisation.name) == name.strip().lower())
        )
    return None


def ensure_organisation(s: Session, actor: Principal, rec: OrgRecord) -> Organisation:
    """The organisation ``rec`` names, created if new; a missing identifier is filled in."""
    org = find_organisation(s, rec.name, rec.identifier)
    if org is None:
        return accounts.upsert_organisation(
            s, actor, rec.name, kind=rec.kind, identifier=rec.identifier
        )
    if rec.identifier and not org.identifier:
        org.identifier = rec.identifier
        audit.record(
            s,
            actor,
            "organisation_changed",
            target=f"organisation:{org.id}",
            detail={"identifier": rec.identifier},
        )
    return org


def organisation_code(org: Organisation) -> str:
    """The scope code of an organisation (its portal id, as text)."""
    return str(org.id)


# -- funding sources ---------------------------------------------------------------------------
def source_by_code(s: Session, code: str) -> FundingSource | None:
    return s.scalar(select(FundingSource).where(FundingSource.code == code))


def resolve_source(s: Session, text: str) -> FundingSource | None:
    """A funding source by code, name or a known alias."""
    t = text.strip()
    hit = s.scalar(
        select(FundingSource).where(
            (FundingSource.code == t) | (func.lower(FundingSource.name) == t.lower())
        )
    )
    if hit is not None:
        return hit
    known = known_source(t)
    return None if known is None else source_by_code(s, known.code)


def ensure_source(s: Session, actor: Principal, rec: SourceRecord) -> FundingSource:
    src = source_by_code(s, rec.code)
    if src is None:
        funder = ensure_organisation(s, actor, rec.funder) if rec.funder else None
        src = FundingSource(
            code=rec.code,
            name=rec.name,
            must_spend_in_year=rec.must_spend_in_year,
            rule=rec.rule,
            funder_organisation_id=funder.id if funder else None,
            created_at=utcnow(),
        )
        s.add(src)
        s.flush()
        audit.record(s, actor, "budget_changed", target=f"funding_source:{rec.code}")
    return src


def ensure_known_source(s: Session, actor: Principal, text: str) -> FundingSource | None:
    """A source by code/name, or created from the catalogue's known sources; None if unknown."""
    src = resolve_source(s, text)
    if src is not None:
        return src
    k = known_source(text)
    if k is None:
        return None
    return ensure_source(s, actor, SourceRecord(k.code, k.name, k.must_spend_in_year, k.rule))


def sources(s: Session) -> list[FundingSource]:
    return list(s.scalars(select(FundingSource).order_by(FundingSource.id)))


# -- programmes --------------------------------------------------------------------------------
def check_ref(ref: str) -> str:
    ref = ref.strip()
    if not _REF.match(ref):
        raise InputError(
            f"{ref!r} is not a programme reference",
            hint="Use letters, digits and . _ - (at most 40), e.g. LVRU-2021-014.",
        )
    return ref


def get_programme(s: Session, ref: str) -> Programme | None:
    return s.scalar(
        select(Programme)
        .where(Programme.ref == ref)
        .options(
            selectinload(Programme.organisations).selectinload(ProgrammeOrganisation.organisation)
        )
    )


def require_programme(s: Session, ref: str) -> Programme:
    p = get_programme(s, ref)
    if p is None:
        raise InputError(
            f"no programme {ref!r} in the register", hint="See `vrkit programmes register`."
        )
    return p


def programme_org_codes(p: Programme) -> frozenset[str]:
    """Scope codes of the organisations that lead or deliver ``p``."""
    return frozenset(str(po.organisation_id) for po in p.organisations)


def list_programmes(
    s: Session,
    *,
    org_codes: frozenset[str] | None = None,
    theme: str | None = None,
    status: str | None = None,
    portfolio_only: bool = False,
) -> list[Programme]:
    """Programmes by reference; ``org_codes`` limits them to those organisations' programmes."""
    q = select(Programme).options(
        selectinload(Programme.organisations).selectinload(ProgrammeOrganisation.organisation)
    )
    if org_codes is not None:
        ids = [int(c) for c in org_codes if c.isdigit()]
        q = q.where(
            Programme.id.in_(
                select(ProgrammeOrganisation.programme_id).where(
                    ProgrammeOrganisation.organisation_id.in_(ids)
                )
            )
        )
    if theme:
        q = q.where(Programme.theme == resolve_theme(theme))
    if status:
        q = q.where(Programme.status == status)
    if portfolio_only:
        q = q.where(Programme.in_portfolio.is_(True))
    return list(s.scalars(q.order_by(Programme.ref)))


def clean_programme_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise editable fields (InputError naming the field)."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        if k not in EDITABLE:
            raise InputError(f"{k!r} is not a field of a programme that can be changed")
        if k == "name":
            v = str(v).strip()
            if not v or len(v) > 300:
                raise InputError("a programme needs a name of at most 300 characters")
        elif k == "theme":
            v = resolve_theme(str(v))
        elif k == "status":
            if v not in STATUSES:
                raise InputError(f"unknown status {v!r}", hint="Statuses: " + ", ".join(STATUSES))
        elif k == "evaluation_status":
            if v not in EVALUATION_STATUSES:
                raise InputError(
                    f"unknown evaluation status {v!r}",
                    hint="Use one of: " + ", ".join(EVALUATION_STATUSES),
                )
        elif k == "objectives":
            nums = sorted({int(x) for x in v})
            if any(not 1 <= n <= 8 for n in nums):
                raise InputError("strategy objectives are numbered 1 to 8")
            v = nums
        elif k in ("age_min", "age_max"):
            if v is not None and not 0 <= int(v) <= 120:
                raise InputError(f"{k.replace('_', ' ')} must be between 0 and 120")
            v = None if v is None else int(v)
        elif k in ("start_date", "end_date") and v is not None and not isinstance(v, date):
            raise InputError(f"{k.replace('_', ' ')} must be a date")
        out[k] = v
    a, b = out.get("age_min"), out.get("age_max")
    if a is not None and b is not None and a > b:
        raise InputError("the lowest age is above the highest age")
    sd, ed = out.get("start_date"), out.get("end_date")
    if sd is not None and ed is not None and sd > ed:
        raise InputError("the programme ends before it starts")
    return out


@dataclass(frozen=True)
class SaveResult:
    programme: Programme
    created: bool
    changed: list[str]


def create_programme(
    s: Session,
    actor: Principal,
    *,
    ref: str,
    name: str,
    theme: str,
    lead: list[Organisation] | None = None,
    delivery: list[Organisation] | None = None,
    data_label: str = "",
    source_ref: str = "",
    **fields: Any,
) -> Programme:
    ref = check_ref(ref)
    if get_programme(s, ref) is not None:
        raise InputError(f"a programme {ref!r} already exists")
    values = clean_programme_fields({"name": name, "theme": theme, **fields})
    p = Programme(
        ref=ref,
        data_label=data_label,
        source_ref=source_ref,
        created_at=utcnow(),
        updated_at=utcnow(),
        updated_by=actor.email,
        **values,
    )
    s.add(p)
    s.flush()
    set_organisations(s, p, lead or [], delivery or [])
    audit.record(s, actor, "programme_changed", target=f"programme:{ref}", detail={"created": True})
    return p


def set_organisations(
    s: Session, p: Programme, lead: list[Organisation], delivery: list[Organisation]
) -> None:
    want = {(o.id, "lead") for o in lead} | {(o.id, "delivery") for o in delivery}
    have = {(po.organisation_id, po.role): po for po in p.organisations}
    for key, po in have.items():
        if key not in want:
            p.organisations.remove(po)
    for oid, role in sorted(want - set(have)):
        p.organisations.append(ProgrammeOrganisation(organisation_id=oid, role=role))
    s.flush()


def update_programme(
    s: Session,
    actor: Principal,
    ref: str,
    *,
    expected_version: int,
    values: dict[str, Any],
) -> SaveResult:
    """Change a programme, refusing the save if it was changed since ``expected_version``.

    Raises
    ------
    EditConflict
        Another save came first (the message says who and when; nothing is saved).
    """
    p = require_programme(s, ref)
    if p.version != expected_version:
        raise EditConflict(
            f"programme {ref} was changed by {p.updated_by or 'someone else'} at "
            f"{p.updated_at:%d %B %Y %H:%M} UTC after you opened it (version {expected_version}, "
            f"now {p.version}); your changes were not saved",
            hint="Reload the programme to see the current details, then make your change again.",
        )
    clean = clean_programme_fields(values)
    changed = [k for k, v in clean.items() if getattr(p, k) != v]
    if not changed:
        return SaveResult(p, False, [])
    for k in changed:
        setattr(p, k, clean[k])
    p.updated_at = utcnow()
    p.updated_by = actor.email
    try:
        s.flush()
    except StaleDataError as exc:  # a concurrent transaction saved between our read and write
        raise EditConflict(
            f"programme {ref} was changed by someone else while you were saving; "
            "your changes were not saved",
            hint="Reload the programme and make your change again.",
        ) from exc
    audit.record(
        s,
        actor,
        "programme_changed",
        target=f"programme:{ref}",
        detail={"fields": changed, "version": p.version},
    )
    return SaveResult(p, False, changed)


def set_measures(s: Session, p: Programme, measures: list[tuple[str, str]]) -> None:
    """Programme-specific output measures (code, label), replacing the earlier list."""
    have = {
        m.code: m
        for m in s.scalars(select(ProgrammeMeasure).where(ProgrammeMeasure.programme_id == p.id))
    }
    want = dict(measures)
    for code, m in have.items():
        if code not in want:
            s.delete(m)
        elif m.label != want[code]:
            m.label = want[code]
    for code, label in want.items():
        if code not in have:
            s.add(ProgrammeMeasure(programme_id=p.id, code=code, label=label))
    s.flush()


def programme_measures(s: Session, programme_id: int) -> list[ProgrammeMeasure]:
    return list(
        s.scalars(
            select(ProgrammeMeasure)
            .where(ProgrammeMeasure.programme_id == programme_id)
            .order_by(ProgrammeMeasure.code)
        )
    )


def grants(s: Session, *, programme_id: int | None = None) -> list[GrantAward]:
    q = select(GrantAward).order_by(GrantAward.ref)
    if programme_id is not None:
        q = q.where(GrantAward.programme_id == programme_id)
    return list(s.scalars(q))


def next_ref(s: Session, prefix: str) -> str:
    """The next free ``PREFIX-NNN`` reference."""
    refs = s.scalars(select(Programme.ref).where(Programme.ref.like(prefix + "-%"))).all()
    nums = [int(r.rsplit("-", 1)[1]) for r in refs if r.rsplit("-", 1)[1].isdigit()]
    return f"{prefix}-{(max(nums) + 1) if nums else 1:03d}"

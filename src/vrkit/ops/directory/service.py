"""The directory's operations on the operational database: search, curation, providers'
changes held for review, and referral counts. Called by :mod:`vrkit.tasks.directory`.

Search semantics (the web pages, the CLI and the Open Referral UK API share them):

- ``text``: every word must appear in the service's name, description, organisation or its
  taxonomy terms (case-insensitive).
- ``need`` / ``referral_route``: a term of vrkit's taxonomies (code or id); ``taxonomy_term_id``
  and ``taxonomy_id`` as in the ORUK API.
- ``age``: services a person of that age is eligible for (minimum ≤ age ≤ maximum, a missing
  bound being no bound). ``minimum_age`` / ``maximum_age``: as the ORUK API defines them
  (service minimum ≥ value; service maximum ≤ value).
- ``area``: a borough or ward code: services with a location there, or whose service area is
  that borough, the ward's borough, or London as a whole.
- ``origin`` (+ ``within_km``): distance from a point to each service's nearest location; with a
  radius, services further away are left out, except those whose service area covers the
  origin's borough (shown as serving the area, without a distance).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vrkit.analysis.gazetteer import haversine_km
from vrkit.catalog.directory import taxonomies, term, term_by_id
from vrkit.errors import InputError
from vrkit.ops import audit
from vrkit.ops.directory.models import (
    DirLocation,
    DirOrganisation,
    DirReferralCount,
    DirService,
    DirServiceAtLocation,
    DirServiceChange,
)
from vrkit.ops.directory.records import Locator, apply_service_doc, service_doc
from vrkit.ops.models import utcnow
from vrkit.ops.roles import Principal

LONDON_CODES = ("E12000007", "E61000001")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    need: str | None = None
    referral_route: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    age: float | None = None
    minimum_age: float | None = None
    maximum_age: float | None = None
    area: str | None = None
    area_parent: str | None = None
    origin: tuple[float, float] | None = None
    origin_borough: str | None = None
    within_km: float | None = None
    day: str | None = None
    start_time: str | None = None
    end_time: str | None = None
    organisation_ids: frozenset[str] | None = None
    include_unpublished: bool = False


@dataclass
class LocationHit:
    link: DirServiceAtLocation
    distance_km: float | None


@dataclass
class Hit:
    service: DirService
    distance_km: float | None
    locations: list[LocationHit] = field(default_factory=list)
    serves_area: bool = False


def _load(s: Session, q: SearchQuery) -> list[DirService]:
    stmt = (
        select(DirService)
        .options(
            selectinload(DirService.organisation),
            selectinload(DirService.locations).selectinload(DirServiceAtLocation.location),
            selectinload(DirService.attributes),
            selectinload(DirService.areas),
            selectinload(DirService.schedules),
            selectinload(DirService.programmes),
        )
        .order_by(DirService.name, DirService.id)
    )
    if not q.include_unpublished:
        stmt = stmt.where(DirService.state == "published")
    if q.organisation_ids is not None:
        stmt = stmt.where(DirService.organisation_id.in_(sorted(q.organisation_ids)))
    return list(s.scalars(stmt).unique())


def _terms_of(svc: DirService) -> set[str]:
    return {a.taxonomy_term_id for a in svc.attributes}


def _text_of(svc: DirService) -> str:
    names = []
    for a in svc.attributes:
        t = term_by_id(a.taxonomy_term_id)
        names.append(t.name if t else str((a.term or {}).get("name", "")))
    return " ".join(
        [svc.name, svc.description or "", svc.organisation.name, *names, svc.referral_public or ""]
    ).lower()


def _area_codes(svc: DirService) -> set[str]:
    return {a.area_code for a in svc.areas if a.area_code}


def _schedule_ok(svc: DirService, q: SearchQuery) -> bool:
    if not (q.day or q.start_time or q.end_time):
        return True
    for sch in svc.schedules:
        f = sch.fields or {}
        if q.day and q.day.upper()[:2] not in str(f.get("byday", "")).upper():
            continue
        if q.start_time and str(f.get("opens_at", ""))[:5] < q.start_time[:5]:
            continue
        if q.end_time and not (f.get("closes_at") and str(f["closes_at"])[:5] <= q.end_time[:5]):
            continue
        return True
    return False


def search(s: Session, q: SearchQuery) -> list[Hit]:
    """Services matching ``q`` (see the module docstring), nearest first when an origin is given,
    else by name."""
    need_ids: set[str] = set()
    if q.need:
        need_ids.add(term("need", q.need).id)
    if q.referral_route:
        need_ids.add(term("referral-route", q.referral_route).id)
    if q.taxonomy_term_id:
        need_ids.add(q.taxonomy_term_id)
    tax_terms: set[str] | None = None
    if q.taxonomy_id:
        tax = next((t for t in taxonomies() if t.id == q.taxonomy_id), None)
        tax_terms = {x.id for x in tax.terms} if tax else set()
    words = [w for w in q.text.lower().split() if w]
    hits: list[Hit] = []
    for svc in _load(s, q):
        terms = _terms_of(svc)
        if need_ids and not need_ids <= terms:
            continue
        if tax_terms is not None and not (
            terms & tax_terms
            or any((a.term or {}).get("taxonomy_id") == q.taxonomy_id for a in svc.attributes)
        ):
            continue
        if words:
            hay = _text_of(svc)
            if not all(w in hay for w in words):
                continue
        lo, hi = svc.minimum_age, svc.maximum_age
        if q.age is not None and (
            (lo is not None and lo > q.age) or (hi is not None and hi < q.age)
        ):
            continue
        if q.minimum_age is not None and not (lo is not None and lo >= q.minimum_age):
            continue
        if q.maximum_age is not None and not (hi is not None and hi <= q.maximum_age):
            continue
        if not _schedule_ok(svc, q):
            continue
        areas = _area_codes(svc)
        london = bool(areas & set(LONDON_CODES))
        if q.area:
            located = any(
                q.area in (x.location.borough_code, x.location.ward_code) for x in svc.locations
            )
            serves = q.area in areas or (q.area_parent in areas if q.area_parent else False)
            if not (located or serves or london):
                continue
        locs = []
        for x in svc.locations:
            loc = x.location
            d = None
            if q.origin and loc.latitude is not None and loc.longitude is not None:
                d = haversine_km(q.origin[0], q.origin[1], loc.latitude, loc.longitude)
            locs.append(LocationHit(x, d))
        dists = [h.distance_km for h in locs if h.distance_km is not None]
        best = min(dists) if dists else None
        serves_origin = london or (q.origin_borough in areas if q.origin_borough else False)
        if q.origin and q.within_km is not None and (best is None or best > q.within_km):
            if not serves_origin:
                continue
            best = None
        locs.sort(key=lambda h: (h.distance_km is None, h.distance_km or 0.0))
        hits.append(Hit(svc, best, locs, serves_area=serves_origin or bool(q.area)))
    if q.origin:
        hits.sort(key=lambda h: (h.distance_km is None, h.distance_km or 0.0, h.service.name))
    return hits


def get_service(s: Session, service_id: str) -> DirService | None:
    try:
        uuid.UUID(service_id)
    except ValueError:
        return None
    return s.get(DirService, service_id)


def portal_scope(s: Session, service_id: str) -> frozenset[str]:
    """The portal organisation(s) running a service (the ``organisation`` scope codes)."""
    svc = get_service(s, service_id)
    if svc is None or svc.organisation.portal_organisation_id is None:
        return frozenset()
    return frozenset({str(svc.organisation.portal_organisation_id)})


def organisations_of(s: Session, portal_ids: frozenset[str]) -> frozenset[str]:
    """Directory organisations linked to the given portal organisations."""
    ids = [int(x) for x in portal_ids if x.isdigit()]
    if not ids:
        return frozenset()
    rows = s.scalars(
        select(DirOrganisation.id).where(DirOrganisation.portal_organisation_id.in_(ids))
    )
    return frozenset(rows)


# -- changes: curators edit, providers propose -------------------------------------------------
def curate(
    s: Session,
    who: Principal,
    doc: dict[str, Any],
    *,
    base_version: int | None,
    locate: Locator | None = None,
    ip: str | None = None,
) -> DirService:
    """A curator's edit or new service, stored at once (optimistic lock on ``base_version``)."""
    existing = s.get(DirService, str(doc["id"]))
    if existing is not None and base_version is not None and existing.version != base_version:
        raise InputError(
            "this service was changed by someone else since you opened it",
            hint="Open it again to see the latest version, then make your change.",
        )
    svc = apply_service_doc(s, doc, who=who.email, locate=locate, keep_state=existing is not None)
    audit.record(s, who, "service_changed", target=f"directory/service/{svc.id}", ip=ip)
    return svc


def propose(
    s: Session,
    who: Principal,
    doc: dict[str, Any],
    *,
    summary: str,
    ip: str | None = None,
) -> DirServiceChange:
    """A provider's proposed change (or new service), held until a curator reviews it."""
    existing = s.get(DirService, str(doc["id"]))
    ch = DirServiceChange(
        service_id=str(doc["id"]),
        organisation_id=str(doc["organization"]["id"]),
        base_version=existing.version if existing else None,
        proposal=doc,
        summary=summary[:2000],
        status="pending",
        proposed_by=who.email,
        proposed_at=utcnow(),
    )
    s.add(ch)
    s.flush()
    audit.record(
        s,
        who,
        "service_change_proposed",
        target=f"directory/change/{ch.id}",
        ip=ip,
        detail={"service": ch.service_id},
    )
    return ch


def pending_changes(
    s: Session, organisation_ids: frozenset[str] | None = None
) -> list[DirServiceChange]:
    q = select(DirServiceChange).order_by(DirServiceChange.id.desc())
    if organisation_ids is not None:
        q = q.where(DirServiceChange.organisation_id.in_(sorted(organisation_ids)))
    return list(s.scalars(q))


def review(
    s: Session,
    who: Principal,
    change_id: int,
    *,
    approve: bool,
    comment: str = "",
    locate: Locator | None = None,
    ip: str | None = None,
) -> DirServiceChange:
    """Approve (publish) or reject a proposed change. A change made from a version that has
    since been superseded is refused, not applied over the newer one."""
    ch = s.get(DirServiceChange, change_id)
    if ch is None or ch.status != "pending":
        raise InputError("there is no pending change with this number")
    svc = s.get(DirService, ch.service_id)
    if approve:
        if svc is not None and ch.base_version is not None and svc.version != ch.base_version:
            raise InputError(
                "the service has changed since this change was proposed",
                hint="Reject it and ask the provider to propose the change again.",
            )
        doc = dict(ch.proposal)
        doc["x_vrkit"] = {**(doc.get("x_vrkit") or {}), "state": "published"}
        doc["last_modified"] = None
        apply_service_doc(s, doc, who=who.email, locate=locate)
    ch.status = "approved" if approve else "rejected"
    ch.reviewed_by = who.email
    ch.reviewed_at = utcnow()
    ch.review_comment = comment[:4000]
    audit.record(
        s,
        who,
        "service_change_approved" if approve else "service_change_rejected",
        target=f"directory/change/{ch.id}",
        ip=ip,
        detail={"service": ch.service_id},
    )
    return ch


# -- referral counts ---------------------------------------------------------------------------
def month_start(text: str) -> date:
    try:
        y, m = text.strip()[:7].split("-")
        return date(int(y), int(m), 1)
    except ValueError:
        raise InputError(
            f"not a month: {text!r}", hint="Write it as YYYY-MM, e.g. 2021-06."
        ) from None


def record_referrals(
    s: Session,
    who: Principal,
    service_id: str,
    month: date,
    referrals: int,
    *,
    note: str = "",
    data_label: str = "",
    ip: str | None = None,
) -> DirReferralCount:
    """Record how many referrals a service had in a month (a count, never a person). A second
    figure for the same month replaces the first as a revision."""
    if isinstance(referrals, bool) or not isinstance(referrals, int) or referrals < 0:
        raise InputError(f"a referral count must be a whole number ≥ 0 (got {referrals!r})")
    if month > date.today().replace(day=1):
        raise InputError(f"{month:%Y-%m} is in the future")
    if get_service(s, service_id) is None:
        raise InputError(f"no service with id {service_id}")
    row = s.scalar(
        select(DirReferralCount).where(
            DirReferralCount.service_id == service_id, DirReferralCount.month == month
        )
    )
    if row is None:
        row = DirReferralCount(service_id=service_id, month=month, revision=0)
        s.add(row)
    row.referrals = referrals
    row.revision = (row.revision or 0) + 1
    row.recorded_by = who.email
    row.recorded_at = utcnow()
    row.note = note[:2000]
    row.data_label = data_label
    s.flush()
    audit.record(
        s,
        who,
        "referrals_recorded",
        target=f"directory/service/{service_id}",
        ip=ip,
        detail={"month": f"{month:%Y-%m}", "referrals": referrals, "revision": row.revision},
    )
    return row


def referral_counts(
    s: Session, service_ids: frozenset[str] | None = None
) -> list[DirReferralCount]:
    q = select(DirReferralCount).order_by(DirReferralCount.month, DirReferralCount.service_id)
    if service_ids is not None:
        q = q.where(DirReferralCount.service_id.in_(sorted(service_ids)))
    return list(s.scalars(q))


def financial_quarter(d: date) -> tuple[int, int]:
    """(financial year starting in April, quarter 1-4) of a month."""
    fy = d.year if d.month >= 4 else d.year - 1
    return fy, (d.month - 4) % 12 // 3 + 1


def programme_referrals(s: Session, year: int | None = None) -> list[dict[str, Any]]:
    """Referrals per programme and financial quarter: the sum over the services linked to the
    programme. A service linked to two programmes counts in both (said in ``note``)."""
    links: dict[str, list[str]] = defaultdict(list)
    for svc in s.scalars(select(DirService).options(selectinload(DirService.programmes))):
        for p in svc.programmes:
            links[svc.id].append(p.programme_ref)
    sums: dict[tuple[str, int, int], int] = defaultdict(int)
    services: dict[tuple[str, int, int], set[str]] = defaultdict(set)
    for r in referral_counts(s):
        fy, q = financial_quarter(r.month)
        if year is not None and fy != year:
            continue
        for ref in links.get(r.service_id, []):
            sums[(ref, fy, q)] += r.referrals
            services[(ref, fy, q)].add(r.service_id)
    shared = {sid for sid, refs in links.items() if len(refs) > 1}
    return [
        {
            "programme_ref": ref,
            "financial_year": fy,
            "quarter": q,
            "referrals": n,
            "services": len(services[(ref, fy, q)]),
            "note": "includes services linked to more than one programme"
            if services[(ref, fy, q)] & shared
            else "",
        }
        for (ref, fy, q), n in sorted(sums.items())
    ]


def doc_for(s: Session, svc: DirService, *, full: bool) -> dict[str, Any]:
    from vrkit.ops.programme_links import programmes

    names = {k: v.name for k, v in programmes(s).items()}
    return service_doc(svc, edition="full" if full else "public", programme_names=names)


def locations_with_postcodes(s: Session) -> dict[str, tuple[float, float]]:
    """Postcodes of the directory's own addresses with their coordinates (for the gazetteer)."""
    out: dict[str, tuple[float, float]] = {}
    for loc in s.scalars(select(DirLocation).where(DirLocation.latitude.is_not(None))):
        if loc.postcode and loc.postcode.startswith("ZZ99"):
            continue  # the pseudo-postcode of synthetic addresses places nothing
        if loc.postcode and loc.latitude is not None and loc.longitude is not None:
            out[loc.postcode] = (loc.latitude, loc.longitude)
    return out


__all__ = [
    "DAYS",
    "Hit",
    "SearchQuery",
    "curate",
    "doc_for",
    "get_service",
    "pending_changes",
    "portal_scope",
    "programme_referrals",
    "propose",
    "record_referrals",
    "referral_counts",
    "review",
    "search",
]

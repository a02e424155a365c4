"""Directory records ↔ Open Referral UK documents.

:func:`service_doc` writes a fully nested ORUK service (``compiled/service.json``) from the
database in one of two editions: ``full`` (with contacts and the restricted referral details) or
``public`` (without them). :func:`apply_service_doc` stores such a document (an import, an
approved change, a curator's edit): it is the one write path, so the web, the CLI and the import
cannot drift apart. Everything in a document that vrkit does not model is kept in ``extra`` and
written back, so an import followed by an export gives the same documents.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from vrkit.catalog.directory import stable_id, taxonomies, term_by_id
from vrkit.ops.directory.models import (
    DirAttribute,
    DirContact,
    DirLocation,
    DirOrganisation,
    DirSchedule,
    DirService,
    DirServiceArea,
    DirServiceAtLocation,
    DirServiceProgramme,
)
from vrkit.ops.models import utcnow

Edition = Literal["full", "public"]
#: ``(lat, lon) → (borough code, ward code)``
Locator = Callable[[float, float], tuple[str | None, str | None]]

GSS_URI = "http://statistics.data.gov.uk/id/statistical-geography/"

#: a service's one-to-one fields (``compiled/service_list.json``)
_SERVICE_SCALARS = frozenset(
    {
        "id",
        "organization_id",
        "name",
        "description",
        "url",
        "email",
        "status",
        "fees",
        "accreditations",
        "minimum_age",
        "maximum_age",
        "assured_date",
        "assurer_email",
        "alert",
        "last_modified",
    }
)
_SERVICE_KEYS = _SERVICE_SCALARS | {
    "schedules",
    "service_areas",
    "service_at_locations",
    "organization",
    "contacts",
    "attributes",
    "application_process",
    "x_vrkit",
}
_ORG_KEYS = {
    "id",
    "name",
    "description",
    "email",
    "website",
    "uri",
    "organization_identifiers",
    "x_vrkit",
}
_LOC_KEYS = {
    "id",
    "location_type",
    "name",
    "description",
    "latitude",
    "longitude",
    "external_identifier",
    "external_identifier_type",
    "addresses",
    "x_vrkit",
}
_CONTACT_KEYS = {"id", "service_id", "name", "title", "email", "phones"}


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    """Drop absent values: the schemas type fields as strings or numbers, never null."""
    return {k: v for k, v in d.items() if v is not None and v != "" and v != [] and v != {}}


def _iso_ms(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _num(x: float | None) -> float | int | None:
    if x is None:
        return None
    return int(x) if float(x).is_integer() else x


def organisation_doc(o: DirOrganisation) -> dict[str, Any]:
    doc = _clean(
        {
            "id": o.id,
            "name": o.name,
            "description": o.description,
            "email": o.email,
            "website": o.website,
            "uri": o.uri,
            "organization_identifiers": list(o.identifiers or []),
            "x_vrkit": _clean({"data_label": o.data_label}),
        }
    )
    doc.setdefault("description", "")
    return {**(o.extra or {}), **doc}


def location_doc(loc: DirLocation) -> dict[str, Any]:
    doc = _clean(
        {
            "id": loc.id,
            "location_type": loc.location_type,
            "name": loc.name,
            "description": loc.description,
            "latitude": loc.latitude,
            "longitude": loc.longitude,
            "external_identifier": loc.external_identifier,
            "external_identifier_type": loc.external_identifier_type,
            "addresses": list(loc.addresses or []),
            "x_vrkit": _clean(
                {
                    "borough_code": loc.borough_code,
                    "ward_code": loc.ward_code,
                    "coordinates_note": loc.coordinates_note,
                    "data_label": loc.data_label,
                }
            ),
        }
    )
    return {**(loc.extra or {}), **doc}


def term_doc(term_id: str, given: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ORUK taxonomy_term object of a term: vrkit's catalogue for its own terms, the object
    as imported for others."""
    t = term_by_id(term_id)
    if t is None:
        return dict(given or {"id": term_id, "name": term_id, "description": ""})
    tax = next(x for x in taxonomies() if x.id == t.taxonomy_id)
    return {
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "taxonomy": tax.name,
        "taxonomy_id": t.taxonomy_id,
        "term_uri": t.uri,
        "term": t.code,
    }


def service_doc(
    s: DirService,
    *,
    edition: Edition = "public",
    programme_names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The fully nested ORUK service (``compiled/service.json``) in an edition."""
    full = edition == "full"
    extra = dict(s.extra or {})
    funding = list(extra.pop("funding", []))
    have = {f.get("id") for f in funding}
    for p in s.programmes:
        fid = stable_id("funding", s.id, p.programme_ref)
        if fid not in have:
            name = (programme_names or {}).get(p.programme_ref)
            label = f"programme {p.programme_ref}" + (f" ({name})" if name else "")
            funding.append({"id": fid, "service_id": s.id, "source": f"VRU {label}"})
    ext = _clean(
        {
            "state": s.state,
            "data_label": s.data_label,
            "programme_refs": [p.programme_ref for p in s.programmes],
            "source_ref": s.source_ref,
            "referral_details": s.referral_details if full else None,
        }
    )
    doc = _clean(
        {
            "id": s.id,
            "organization_id": s.organisation_id,
            "name": s.name,
            "description": s.description,
            "url": s.url,
            "email": s.email,
            "status": s.status,
            "fees": s.fees,
            "accreditations": s.accreditations,
            "minimum_age": _num(s.minimum_age),
            "maximum_age": _num(s.maximum_age),
            "assured_date": s.assured_date.isoformat() if s.assured_date else None,
            "assurer_email": s.assurer_email,
            "alert": s.alert,
            "last_modified": _iso_ms(s.last_modified),
            "application_process": s.referral_public,
            "organization": organisation_doc(s.organisation),
            "service_at_locations": [
                {
                    "id": x.id,
                    "service_id": s.id,
                    "location_id": x.location_id,
                    "location": location_doc(x.location),
                }
                for x in s.locations
            ],
            "schedules": [
                _clean(
                    {
                        "id": x.id,
                        "service_id": s.id,
                        "service_at_location_id": x.service_at_location_id,
                    }
                )
                | dict(x.fields or {})
                for x in s.schedules
            ],
            "service_areas": [
                {**(x.fields or {}), "id": x.id, "service_id": s.id} for x in s.areas
            ],
            "attributes": [
                {
                    "id": a.id,
                    "link_id": s.id,
                    "taxonomy_term_id": a.taxonomy_term_id,
                    "link_type": a.link_type,
                    "taxonomy_term": term_doc(a.taxonomy_term_id, a.term),
                }
                for a in s.attributes
            ],
            "funding": funding,
            "contacts": [
                {
                    **(c.extra or {}),
                    **_clean(
                        {
                            "id": c.id,
                            "service_id": s.id,
                            "name": c.name,
                            "title": c.title,
                            "email": c.email,
                            "phones": list(c.phones or []),
                        }
                    ),
                }
                for c in s.contacts
            ]
            if full
            else [],
            "x_vrkit": ext,
        }
    )
    doc.setdefault("description", "")
    return {**extra, **doc}


def service_list_doc(s: DirService) -> dict[str, Any]:
    """The one-to-one fields of a service (``compiled/service_list.json``) with its organisation."""
    d = service_doc(s, edition="public")
    out = {k: v for k, v in d.items() if k in _SERVICE_SCALARS}
    org = d["organization"]
    out["organization"] = {
        k: v
        for k, v in org.items()
        if k in ("id", "name", "description", "email", "website", "logo", "uri")
    }
    return out


# -- writing -----------------------------------------------------------------------------------
def _date(v: Any) -> date | None:
    return date.fromisoformat(str(v)[:10]) if v else None


def _dt(v: Any) -> datetime:
    if not v:
        return utcnow()
    t = datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _area_code(area: dict[str, Any]) -> str | None:
    uri = str(area.get("uri") or "")
    if uri.startswith(GSS_URI):
        return uri[len(GSS_URI) :][:9]
    return None


def apply_organisation(s: Session, doc: dict[str, Any]) -> DirOrganisation:
    o = s.get(DirOrganisation, str(doc["id"]))
    if o is None:
        o = DirOrganisation(id=str(doc["id"]))
        s.add(o)
    ext = doc.get("x_vrkit") or {}
    o.name = str(doc["name"])
    o.description = str(doc.get("description", ""))
    o.email = doc.get("email")
    o.website = doc.get("website")
    o.uri = doc.get("uri")
    o.identifiers = [
        {**x, "organization_id": o.id} for x in doc.get("organization_identifiers", [])
    ]
    o.data_label = str(ext.get("data_label", ""))
    o.extra = {k: v for k, v in doc.items() if k not in _ORG_KEYS}
    o.updated_at = utcnow()
    return o


def apply_location(s: Session, doc: dict[str, Any], locate: Locator | None) -> DirLocation:
    loc = s.get(DirLocation, str(doc["id"]))
    if loc is None:
        loc = DirLocation(id=str(doc["id"]))
        s.add(loc)
    ext = doc.get("x_vrkit") or {}
    loc.location_type = str(doc.get("location_type", "physical"))
    loc.name = doc.get("name")
    loc.description = doc.get("description")
    loc.latitude = doc.get("latitude")
    loc.longitude = doc.get("longitude")
    loc.external_identifier = doc.get("external_identifier")
    loc.external_identifier_type = doc.get("external_identifier_type")
    loc.addresses = [{**a, "location_id": loc.id} for a in doc.get("addresses", [])]
    loc.postcode = next(
        (str(a["postal_code"]).upper().strip() for a in loc.addresses if a.get("postal_code")),
        None,
    )
    loc.coordinates_note = str(ext.get("coordinates_note", ""))
    loc.data_label = str(ext.get("data_label", ""))
    loc.extra = {k: v for k, v in doc.items() if k not in _LOC_KEYS}
    b, w = ext.get("borough_code"), ext.get("ward_code")
    if locate is not None and loc.latitude is not None and loc.longitude is not None:
        found_b, found_w = locate(float(loc.latitude), float(loc.longitude))
        b, w = found_b or b, found_w or w
    loc.borough_code, loc.ward_code = b, w
    return loc


def apply_service_doc(
    s: Session,
    doc: dict[str, Any],
    *,
    who: str | None,
    locate: Locator | None = None,
    keep_state: bool = False,
    keep_referral_details: bool = False,
) -> DirService:
    """Store one validated, fully nested ORUK service (create or replace).

    ``keep_state``: leave an existing service's publication state alone (a curator's edit) —
    otherwise ``x_vrkit.state`` (default ``published``) is taken. ``keep_referral_details``:
    a public-edition document carries no contacts or referral details; keep the stored ones.
    """
    ext = doc.get("x_vrkit") or {}
    org = apply_organisation(s, doc["organization"]) if "organization" in doc else None
    svc = s.get(DirService, str(doc["id"]))
    new = svc is None
    if svc is None:
        svc = DirService(id=str(doc["id"]), version=1)
        s.add(svc)
    svc.organisation_id = org.id if org else str(doc["organization_id"])
    svc.name = str(doc["name"])
    svc.description = str(doc.get("description", ""))
    for key in ("url", "email", "fees", "accreditations", "assurer_email", "alert"):
        setattr(svc, key, doc.get(key))
    svc.status = str(doc["status"])
    svc.minimum_age = doc.get("minimum_age")
    svc.maximum_age = doc.get("maximum_age")
    svc.assured_date = _date(doc.get("assured_date"))
    svc.referral_public = str(doc.get("application_process", ""))
    if not (keep_referral_details and not new):
        svc.referral_details = str(ext.get("referral_details", ""))
    if new or not keep_state:
        svc.state = str(ext.get("state", "published"))
    svc.data_label = str(ext.get("data_label", ""))
    svc.source_ref = str(ext.get("source_ref", ""))[:300]
    svc.extra = {k: v for k, v in doc.items() if k not in _SERVICE_KEYS}
    svc.last_modified = _dt(doc.get("last_modified"))
    svc.updated_by = who
    s.flush()
    # children: replaced wholesale by what the document says
    sal_ids = []
    svc.locations.clear()
    s.flush()
    for x in doc.get("service_at_locations", []):
        loc = apply_location(s, x["location"], locate)
        svc.locations.append(DirServiceAtLocation(id=str(x["id"]), location_id=loc.id))
        sal_ids.append(str(x["id"]))
    svc.schedules.clear()
    svc.areas.clear()
    svc.attributes.clear()
    svc.programmes.clear()
    replace_contacts = new or not keep_referral_details or "contacts" in doc
    if replace_contacts:
        svc.contacts.clear()
    s.flush()
    for x in doc.get("schedules", []):
        fields = {
            k: v for k, v in x.items() if k not in ("id", "service_id", "service_at_location_id")
        }
        svc.schedules.append(
            DirSchedule(
                id=str(x["id"]),
                service_at_location_id=x.get("service_at_location_id"),
                fields=fields,
            )
        )
    for x in doc.get("service_areas", []):
        fields = {k: v for k, v in x.items() if k not in ("id", "service_id")}
        svc.areas.append(
            DirServiceArea(
                id=str(x["id"]), name=x.get("name"), area_code=_area_code(x), fields=fields
            )
        )
    seen_terms: set[str] = set()
    for a in doc.get("attributes", []):
        tid = str(a["taxonomy_term_id"])
        if tid in seen_terms:
            continue
        seen_terms.add(tid)
        known = term_by_id(tid)
        svc.attributes.append(
            DirAttribute(
                id=str(a["id"]),
                taxonomy_term_id=tid,
                link_type=str(a.get("link_type") or "need"),
                term=None if known else a.get("taxonomy_term"),
            )
        )
    for c in doc.get("contacts", []) if replace_contacts else []:
        svc.contacts.append(
            DirContact(
                id=str(c["id"]),
                name=c.get("name"),
                title=c.get("title"),
                email=c.get("email"),
                phones=[{**p, "contact_id": str(c["id"])} for p in c.get("phones", [])],
                extra={k: v for k, v in c.items() if k not in _CONTACT_KEYS},
            )
        )
    for ref in dict.fromkeys(ext.get("programme_refs", [])):
        svc.programmes.append(DirServiceProgramme(programme_ref=str(ref)[:40]))
    funding = list(doc.get("funding", []))
    derived = {stable_id("funding", svc.id, str(r)) for r in ext.get("programme_refs", [])}
    funding = [f for f in funding if f.get("id") not in derived]
    if funding:
        svc.extra = {**svc.extra, "funding": funding}
    else:
        svc.extra.pop("funding", None)
    s.flush()
    return svc


def services_query(*, published_only: bool) -> Any:
    q = select(DirService).order_by(DirService.name, DirService.id)
    if published_only:
        q = q.where(DirService.state == "published")
    return q

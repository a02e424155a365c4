"""Directory tasks (issue #17): what ``vrkit directory …``, the portal's directory pages and its
Open Referral UK API call.

=====================================  ======================================================
command                                task
=====================================  ======================================================
``vrkit directory import PATH``        :func:`import_directory`
``vrkit directory export --out DIR``   :func:`export_directory`
``vrkit directory search``             :func:`search_directory`
``vrkit directory show ID``            :func:`service_detail`
``vrkit directory seed``               :func:`seed_example_services`, :func:`synth_directory`
``vrkit directory referrals …``        :func:`record_referrals`, :func:`referral_summary`,
                                       :func:`programme_referral_outputs`
=====================================  ======================================================

Every task takes a SQLAlchemy session on the operational database and, where it changes
something, the acting :class:`~vrkit.ops.roles.Principal` (audited). Places (boroughs, wards,
distances) come from a :class:`~vrkit.analysis.gazetteer.Gazetteer` built from the warehouse's
boundaries (:func:`gazetteer`); without one, searches by area still work on stored codes, and
distances need coordinates (said so in the result).
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vrkit.analysis.gazetteer import Gazetteer, Point
from vrkit.catalog.directory import stable_id, taxonomies, term
from vrkit.errors import InputError
from vrkit.ops import audit
from vrkit.ops.directory import service as dirsvc
from vrkit.ops.directory.models import (
    DirOrganisation,
    DirReferralCount,
    DirService,
)
from vrkit.ops.directory.records import (
    GSS_URI,
    apply_organisation,
    apply_service_doc,
    service_doc,
)
from vrkit.ops.models import Organisation
from vrkit.ops.programme_links import find_by_names, programmes
from vrkit.ops.roles import Principal
from vrkit.tasks._opsdb import TableResult, jsonable, register_features

register_features()

Edition = Literal["full", "public"]
SYNTHETIC = "SYNTHETIC"
LONDON = ("E12000007", "London")


# -- places ------------------------------------------------------------------------------------
def gazetteer(wh: Any, s: Session | None = None) -> Gazetteer:
    """Boroughs and wards (2014 wards when loaded) from the warehouse's boundaries, plus the
    postcodes of the directory's own addresses (when a session is given)."""
    from vrkit.store.queries import area_geometries

    boroughs = area_geometries(wh, "lad")
    boroughs = boroughs[boroughs["area_code"].astype(str).str.startswith("E09")]
    wards = area_geometries(wh, "ward14")
    if boroughs.empty:
        raise InputError(
            "the warehouse holds no borough boundaries",
            hint="Load them: vrkit ingest .../London_Borough_Excluding_MHW.shp",
        )
    gz = Gazetteer(boroughs, wards if not wards.empty else None)
    if s is not None:
        gz.add_postcodes(dirsvc.locations_with_postcodes(s))
    return gz


def resolve_place(gz: Gazetteer | None, text: str) -> Point:
    if gz is None:
        raise InputError(
            "searching near a place needs the borough boundaries, and none are loaded",
            hint="Load the boundaries into the warehouse, or search by borough instead.",
        )
    pt = gz.resolve(text)
    if pt is None:
        raise InputError(
            f"no place found for {text!r}",
            hint="Give a borough or ward name, a postcode of a listed service, or "
            "'latitude,longitude' (e.g. 51.4613,-0.1156).",
        )
    return pt


# -- import / export ---------------------------------------------------------------------------
@dataclass
class ImportResult:
    path: str
    form: str
    created: int
    updated: int
    unchanged: int
    organisations: int
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _fingerprint(s: Session, sid: str) -> str | None:
    svc = s.get(DirService, sid)
    if svc is None:
        return None
    return json.dumps(service_doc(svc, edition="full"), sort_keys=True, default=str)


def import_directory(
    s: Session,
    who: Principal,
    path: str | Path,
    *,
    gz: Gazetteer | None = None,
    portal_organisation: str | None = None,
    ip: str | None = None,
) -> ImportResult:
    """Import Open Referral UK JSON or CSV (validated whole first, then stored in the caller's
    transaction: all or nothing). Records are matched by id: re-importing the same file changes
    nothing. ``portal_organisation`` (a portal organisation name) ties the file's organisations
    to it, so that its provider users may edit their services."""
    from vrkit.sources.oruk import read_oruk

    read = read_oruk(path)
    link_to: Organisation | None = None
    if portal_organisation:
        link_to = s.scalar(select(Organisation).where(Organisation.name == portal_organisation))
        if link_to is None:
            raise InputError(f"no portal organisation named {portal_organisation!r}")
    locate = gz.locate if gz is not None else None
    created = updated = unchanged = 0
    for doc in read.services:
        before = _fingerprint(s, str(doc["id"]))
        ext = dict(doc.get("x_vrkit") or {})
        ext.setdefault("source_ref", read.where.get(str(doc["id"]), read.path)[:300])
        doc = {**doc, "x_vrkit": ext}
        apply_service_doc(s, doc, who=who.email, locate=locate)
        after = _fingerprint(s, str(doc["id"]))
        if before is None:
            created += 1
        elif before == after:
            unchanged += 1
        else:
            updated += 1
    for odoc in read.organisations:
        apply_organisation(s, odoc)
    orgs = {str(d["organization"]["id"]) for d in read.services if "organization" in d}
    orgs |= {str(o["id"]) for o in read.organisations}
    if link_to is not None:
        for oid in orgs:
            org = s.get(DirOrganisation, oid)
            if org is not None:
                org.portal_organisation_id = link_to.id
    s.flush()
    warnings = []
    if gz is None:
        warnings.append(
            "no borough boundaries: locations were not placed in boroughs and wards "
            "(searches by area use the codes the file gives)"
        )
    else:
        nowhere = [
            x.location.name or x.location.id
            for d in read.services
            for x in s.get(DirService, str(d["id"])).locations  # type: ignore[union-attr]
            if x.location.latitude is not None and x.location.borough_code is None
        ]
        if nowhere:
            warnings.append(
                f"{len(nowhere)} location(s) lie outside the London boroughs: "
                + ", ".join(sorted(set(map(str, nowhere)))[:5])
            )
    audit.record(
        s,
        who,
        "directory_imported",
        target=str(path)[:1000],
        ip=ip,
        detail={"created": created, "updated": updated, "unchanged": unchanged},
    )
    return ImportResult(read.path, read.form, created, updated, unchanged, len(orgs), warnings)


@dataclass
class ExportResult:
    edition: str
    services: list[dict[str, Any]]
    files: list[Path]

    def to_dict(self) -> dict[str, Any]:
        return {
            "edition": self.edition,
            "services": len(self.services),
            "files": [str(p) for p in self.files],
        }


def taxonomy_docs() -> list[dict[str, Any]]:
    """vrkit's taxonomies as ORUK taxonomy objects (with their terms)."""
    out = []
    for t in taxonomies():
        out.append(
            {
                "id": t.id,
                "name": t.name,
                "description": t.description,
                "uri": t.uri,
                "version": t.version,
                "taxonomy_terms": [
                    {
                        "id": x.id,
                        "name": x.name,
                        "description": x.description,
                        "taxonomy": t.name,
                        "taxonomy_id": t.id,
                        "term_uri": x.uri,
                        "term": x.code,
                    }
                    for x in t.terms
                ],
            }
        )
    return out


def service_documents(
    s: Session, *, edition: Edition = "public", published_only: bool | None = None
) -> list[dict[str, Any]]:
    """Every service as a fully nested ORUK document. The public edition holds published
    services only and no referral details; the full edition every service with them."""
    only = edition == "public" if published_only is None else published_only
    q = select(DirService).order_by(DirService.name, DirService.id)
    if only:
        q = q.where(DirService.state == "published")
    names = {k: v.name for k, v in programmes(s).items()}
    return [service_doc(x, edition=edition, programme_names=names) for x in s.scalars(q)]


def export_directory(
    s: Session,
    out: str | Path,
    *,
    formats: tuple[str, ...] = ("json", "csv"),
    edition: Edition = "public",
    who: Principal | None = None,
) -> ExportResult:
    """Write the directory in Open Referral UK form: ``services.json`` (a service package) and
    ``csv/`` (the standard's tables, with a ``datapackage.json``). Every service is validated
    against the standard's schema before anything is written; an invalid one stops the export."""
    from vrkit.reports.oruk import write_oruk_csv, write_oruk_json
    from vrkit.sources.oruk import validation_errors

    docs = service_documents(s, edition=edition)
    for d in docs:
        errs = validation_errors(d)
        if errs:
            raise InputError(
                f"service {d['id']} ({d['name']}) would not be valid Open Referral UK: "
                f"{errs[0][0]}: {errs[0][1]}"
            )
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    if "json" in formats:
        files.append(write_oruk_json(docs, folder / "services.json"))
    if "csv" in formats:
        files += write_oruk_csv(docs, folder / "csv", taxonomy_docs())
    if who is not None:
        audit.record(
            s,
            who,
            "directory_exported",
            target=str(folder)[:1000],
            detail={"edition": edition, "services": len(docs)},
        )
    return ExportResult(edition, docs, files)


# -- search ------------------------------------------------------------------------------------
@dataclass
class SearchResult:
    hits: list[dirsvc.Hit]
    origin: Point | None
    area: Any | None
    notes: list[str]
    full: bool

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.records())

    def records(self) -> list[dict[str, Any]]:
        out = []
        for h in self.hits:
            svc = h.service
            near = h.locations[0].link.location if h.locations else None
            out.append(
                {
                    "id": svc.id,
                    "name": svc.name,
                    "organisation": svc.organisation.name,
                    "minimum_age": svc.minimum_age,
                    "maximum_age": svc.maximum_age,
                    "needs": "; ".join(needs_of(svc)),
                    "referral_routes": "; ".join(routes_of(svc)),
                    "distance_km": None if h.distance_km is None else round(h.distance_km, 2),
                    "nearest_location": near.name if near else None,
                    "borough": near.borough_code if near else None,
                    "state": svc.state,
                    "data_label": svc.data_label,
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "origin": None if self.origin is None else self.origin.__dict__,
                "notes": self.notes,
                "services": self.records(),
            }
        )


def needs_of(svc: DirService, link_type: str = "need") -> list[str]:
    from vrkit.catalog.directory import term_by_id

    out = []
    for a in svc.attributes:
        if a.link_type != link_type:
            continue
        t = term_by_id(a.taxonomy_term_id)
        out.append(t.name if t else str((a.term or {}).get("name", a.taxonomy_term_id)))
    return out


def routes_of(svc: DirService) -> list[str]:
    return needs_of(svc, "referral_route")


def search_directory(
    s: Session,
    *,
    text: str = "",
    need: str | None = None,
    referral_route: str | None = None,
    age: float | None = None,
    area: str | None = None,
    near: str | None = None,
    within_km: float | None = None,
    gz: Gazetteer | None = None,
    include_unpublished: bool = False,
    organisation_ids: frozenset[str] | None = None,
    full: bool = False,
) -> SearchResult:
    """Find services (see :mod:`vrkit.ops.directory.service` for the rules)."""
    notes: list[str] = []
    place = None
    area_code = area_parent = None
    if area:
        if gz is not None:
            place = gz.find(area)
            if place is None:
                raise InputError(f"no borough or ward called {area!r}")
            area_code, area_parent = place.code, place.parent_code
        else:
            from vrkit.catalog.areas import resolve_borough

            hit = resolve_borough(area)
            if hit is None:
                raise InputError(f"no borough called {area!r}")
            area_code = hit[0]
    origin = None
    origin_borough = None
    if near:
        origin = resolve_place(gz, near)
        origin_borough = gz.locate(origin.lat, origin.lon)[0] if gz else None
        if origin.how == "outward code":
            notes.append(f"Distances are from {origin.label}: vrkit has no postcode directory.")
    elif place is not None:
        origin = Point(place.lat, place.lon, place.name, place.kind, place.code)
        notes.append(f"Distances are from the centre of {place.name}.")
    if within_km is not None and within_km <= 0:
        raise InputError("the distance must be more than 0 km")
    if age is not None and not 0 <= age <= 120:
        raise InputError("an age is between 0 and 120")
    q = dirsvc.SearchQuery(
        text=text,
        need=need or None,
        referral_route=referral_route or None,
        age=age,
        area=area_code,
        area_parent=area_parent,
        origin=(origin.lat, origin.lon) if origin else None,
        origin_borough=origin_borough or (area_code if place and place.kind == "borough" else None),
        within_km=within_km if near else None,
        include_unpublished=include_unpublished,
        organisation_ids=organisation_ids,
    )
    hits = dirsvc.search(s, q)
    no_coords = sum(1 for h in hits if origin and h.distance_km is None)
    if no_coords:
        notes.append(
            f"{no_coords} service(s) have no located site near the search point and are listed "
            "because they serve the area (or London as a whole)."
        )
    return SearchResult(hits, origin, place, notes, full)


def service_detail(s: Session, service_id: str, *, full: bool) -> dict[str, Any]:
    """One service as ORUK (edition by ``full``) with the programme pages it links to."""
    svc = dirsvc.get_service(s, service_id)
    if svc is None:
        raise InputError(f"no service with id {service_id}")
    progs = programmes(s)
    return {
        "service": dirsvc.doc_for(s, svc, full=full),
        "programmes": [
            {
                "ref": p.programme_ref,
                "name": progs[p.programme_ref].name if p.programme_ref in progs else None,
                "url": progs[p.programme_ref].url if p.programme_ref in progs else None,
            }
            for p in svc.programmes
        ],
        "register_installed": bool(progs),
    }


# -- editing (the portal's forms) --------------------------------------------------------------
EDIT_FIELDS = (
    "name",
    "description",
    "url",
    "email",
    "status",
    "minimum_age",
    "maximum_age",
    "application_process",
    "referral_details",
    "alert",
    "needs",
    "routes",
    "programme_refs",
    "contact_name",
    "contact_title",
    "contact_email",
    "contact_phone",
)


def form_from_doc(doc: dict[str, Any]) -> dict[str, Any]:
    """The edit form's values for a (full edition) service document."""
    ext = doc.get("x_vrkit") or {}
    contact = (doc.get("contacts") or [{}])[0]
    needs: list[str] = []
    routes: list[str] = []
    for a in doc.get("attributes", []):
        code = (a.get("taxonomy_term") or {}).get("term")
        if code:
            (routes if a.get("link_type") == "referral_route" else needs).append(str(code))
    return {
        "name": doc.get("name", ""),
        "description": doc.get("description", ""),
        "url": doc.get("url", ""),
        "email": doc.get("email", ""),
        "status": doc.get("status", "active"),
        "minimum_age": "" if doc.get("minimum_age") is None else str(doc["minimum_age"]),
        "maximum_age": "" if doc.get("maximum_age") is None else str(doc["maximum_age"]),
        "application_process": doc.get("application_process", ""),
        "referral_details": ext.get("referral_details", ""),
        "alert": doc.get("alert", ""),
        "needs": [n for n in needs if n],
        "routes": [r for r in routes if r],
        "programme_refs": "; ".join(ext.get("programme_refs", [])),
        "contact_name": contact.get("name", ""),
        "contact_title": contact.get("title", ""),
        "contact_email": contact.get("email", ""),
        "contact_phone": ((contact.get("phones") or [{}])[0]).get("number", ""),
    }


def _age(text: str, label: str) -> float | None:
    t = str(text).strip()
    if not t:
        return None
    try:
        v = float(t)
    except ValueError:
        raise InputError(f"{label}: not a number") from None
    if not 0 <= v <= 120:
        raise InputError(f"{label}: between 0 and 120")
    return int(v) if v.is_integer() else v


def doc_from_form(
    base: dict[str, Any] | None, form: dict[str, Any], *, org: dict[str, Any]
) -> dict[str, Any]:
    """A service document from the edit form, on top of ``base`` (the current full document,
    or None for a new service): what the form does not show (locations, schedules, areas...)
    is kept as it was."""
    from vrkit.sources.oruk import validation_errors

    name = str(form.get("name", "")).strip()
    if not name:
        raise InputError("a service needs a name")
    doc = dict(base or {"id": str(uuid.uuid4())})
    sid = doc["id"]
    lo = _age(form.get("minimum_age", ""), "Minimum age")
    hi = _age(form.get("maximum_age", ""), "Maximum age")
    if lo is not None and hi is not None and lo > hi:
        raise InputError("the minimum age is above the maximum age")
    status = str(form.get("status", "active"))
    if status not in ("active", "inactive", "defunct", "temporarily closed"):
        raise InputError("status: active, inactive, defunct or temporarily closed")
    doc.update(
        {
            "name": name[:300],
            "description": str(form.get("description", "")).strip(),
            "status": status,
            "organization": org,
            "organization_id": org["id"],
            "last_modified": None,
        }
    )
    for key in ("url", "email", "alert", "application_process"):
        text = str(form.get(key, "")).strip()
        if text:
            doc[key] = text
        else:
            doc.pop(key, None)
    for key, v in (("minimum_age", lo), ("maximum_age", hi)):
        if v is None:
            doc.pop(key, None)
        else:
            doc[key] = v
    attrs = []
    for code in form.get("needs", []) or []:
        t = term("need", code)
        attrs.append(
            {
                "id": stable_id("attribute", sid, t.id),
                "link_id": sid,
                "taxonomy_term_id": t.id,
                "link_type": "need",
            }
        )
    for code in form.get("routes", []) or []:
        t = term("referral-route", code)
        attrs.append(
            {
                "id": stable_id("attribute", sid, t.id),
                "link_id": sid,
                "taxonomy_term_id": t.id,
                "link_type": "referral_route",
            }
        )
    keep = [
        a for a in doc.get("attributes", []) if a.get("link_type") not in ("need", "referral_route")
    ]
    doc["attributes"] = keep + attrs
    ext = dict(doc.get("x_vrkit") or {})
    ext["referral_details"] = str(form.get("referral_details", "")).strip()
    refs = str(form.get("programme_refs", "") or "")
    ext["programme_refs"] = [
        r.strip().upper() for r in refs.replace(",", ";").split(";") if r.strip()
    ]
    ext.setdefault("source_ref", "portal")
    doc["x_vrkit"] = ext
    cname = str(form.get("contact_name", "")).strip()
    cemail = str(form.get("contact_email", "")).strip()
    cphone = str(form.get("contact_phone", "")).strip()
    ctitle = str(form.get("contact_title", "")).strip()
    if cname or cemail or cphone or ctitle:
        cid = (doc.get("contacts") or [{}])[0].get("id") or stable_id("contact", sid)
        c: dict[str, Any] = {"id": cid, "service_id": sid}
        if cname:
            c["name"] = cname
        if ctitle:
            c["title"] = ctitle
        if cemail:
            c["email"] = cemail
        if cphone:
            c["phones"] = [{"id": stable_id("phone", cid), "number": cphone}]
        doc["contacts"] = [c]
    else:
        doc["contacts"] = []
    check = {k: v for k, v in doc.items() if v is not None}
    errs = validation_errors(check)
    if errs:
        where, why = errs[0]
        raise InputError(f"{where.replace('_', ' ')}: {why}")
    return doc


# -- seeds: the services named in the example data, and a SYNTHETIC set -----------------------
def _org_doc(name: str, description: str, data_label: str = "") -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": stable_id("organisation", name.lower()),
        "name": name,
        "description": description,
    }
    if data_label:
        d["x_vrkit"] = {"data_label": data_label}
    return d


def _attributes(sid: str, needs: list[str], routes: list[str]) -> list[dict[str, Any]]:
    out = []
    for tax, link, codes in (("need", "need", needs), ("referral-route", "referral_route", routes)):
        for c in codes:
            t = term(tax, c)
            out.append(
                {
                    "id": stable_id("attribute", sid, t.id),
                    "link_id": sid,
                    "taxonomy_term_id": t.id,
                    "link_type": link,
                }
            )
    return out


def _area(sid: str, code: str, name: str) -> dict[str, Any]:
    return {
        "id": stable_id("area", sid, code),
        "service_id": sid,
        "name": name,
        "uri": GSS_URI + code,
    }


def seed_example_services(
    s: Session, who: Principal, data_dir: str | Path, *, gz: Gazetteer | None
) -> dict[str, Any]:
    """The services named in the London VRU's 2020/21 report (``programmes.csv``) as directory
    records, linked to the programme register where it is installed. Places the source names
    (custody suites, boroughs) become locations at the centre of their borough, marked as
    approximate; what the source does not state (addresses, contacts) is left empty."""
    from vrkit.catalog.areas import resolve_borough
    from vrkit.sources.london_vru_plans import STATION_BOROUGH, read_named_services

    folder = Path(data_dir) / "london_vru_2020_21"
    records = read_named_services(folder)
    refs = find_by_names(s, [r.name for r in records])
    n = 0
    for r in records:
        sid = stable_id("example-service", r.name.lower())
        org = _org_doc(
            r.organisation,
            f"{r.organisation}: named in the London VRU's 2020/21 report as leading or delivering "
            f"{r.name}.",
        )
        locs = []
        areas = []
        for place in r.places:
            borough = STATION_BOROUGH.get(place.lower(), place)
            hit = resolve_borough(borough)
            if hit is None or hit[2] != "lad":
                continue
            code, bname = hit[0], hit[1]
            areas.append(_area(sid, code, bname))
            bp = gz.places.get(code) if gz else None
            if r.place_kind == "custody_suite":
                lname = f"{place} custody suite"
            else:
                lname = f"{r.name}, {bname}"
            loc: dict[str, Any] = {
                "id": stable_id("example-location", sid, place.lower()),
                "location_type": "physical",
                "name": lname,
                "x_vrkit": {
                    "borough_code": code,
                    "coordinates_note": f"Approximate: the centre of {bname}. The source names "
                    "the place, not its address.",
                },
            }
            if bp is not None:
                loc["latitude"], loc["longitude"] = round(bp.lat, 6), round(bp.lon, 6)
            locs.append(
                {
                    "id": stable_id("example-sal", sid, place.lower()),
                    "service_id": sid,
                    "location_id": loc["id"],
                    "location": loc,
                }
            )
        if not areas:
            areas.append(_area(sid, *LONDON))
        how = {
            "police": "Police officers refer young people in custody; the programme's coaches "
            "meet them there.",
            "school": "Schools and pupil referral units refer pupils.",
            "health": "Health professionals refer.",
            "self": "People can contact the programme themselves.",
            "professional": "Professionals working with a young person refer.",
        }
        doc: dict[str, Any] = {
            "id": sid,
            "name": r.name,
            "description": r.description,
            "status": "active",
            "organization": org,
            "organization_id": org["id"],
            "application_process": " ".join(how[x] for x in r.routes if x in how)
            + " Contact details are not stated in the source.",
            "attributes": _attributes(sid, r.needs, r.routes),
            "service_areas": areas,
            "service_at_locations": locs,
            "x_vrkit": {
                "state": "published",
                "source_ref": r.source_ref[:300],
                "programme_refs": [refs[r.name]] if r.name in refs else [],
            },
        }
        if r.minimum_age is not None:
            doc["minimum_age"] = r.minimum_age
        if r.maximum_age is not None:
            doc["maximum_age"] = r.maximum_age
        apply_service_doc(s, doc, who=who.email, locate=gz.locate if gz else None)
        n += 1
    audit.record(
        s,
        who,
        "directory_imported",
        target=str(folder / "programmes.csv"),
        detail={"services": n, "linked": len(refs)},
    )
    return {"services": n, "linked_to_register": len(refs)}


_SYN_PREFIX = (
    "Riverside",
    "Northgate",
    "Eastfield",
    "Hillcrest",
    "Parkside",
    "Westway",
    "Southbank",
    "Oakwood",
    "Brookside",
    "Meadow",
    "Harbour",
    "Kingsway",
)
_SYN_KIND = (
    "Youth Trust",
    "Community Project",
    "Boxing Club",
    "Mentoring Network",
    "Family Service",
    "Futures",
    "Arts Collective",
    "Football Foundation",
)
_SYN_SERVICE = {
    "mentoring": ("One-to-one mentoring", ["mentoring"]),
    "sport": ("Evening sports sessions", ["sport", "youth-work"]),
    "youth": ("Youth club and detached outreach", ["youth-work", "community"]),
    "education": ("Inclusion and re-engagement support", ["education", "mentoring"]),
    "employment": ("Training and jobs coaching", ["employment"]),
    "family": ("Parents and carers support group", ["family"]),
    "trauma": ("Trauma-informed counselling", ["mental-health", "victims"]),
    "exploitation": ("Exploitation and county lines support", ["exploitation", "mentoring"]),
    "hospital": ("Hospital youth work after injury", ["victims", "youth-work"]),
    "weapons": ("Knife crime awareness workshops", ["weapons", "education"]),
    "online": ("Online safety coaching", ["online-safety"]),
    "drugs": ("Young people's drug and alcohol service", ["substance-misuse"]),
}
_SYN_AGES = ((10, 18), (11, 25), (16, 25), (18, 25), (8, 16), (13, 19), (None, None), (10, 25))
_SYN_ROUTES = {
    "hospital": ["health"],
    "education": ["school", "professional"],
    "exploitation": ["professional", "police", "youth-justice"],
    "family": ["self", "professional"],
}
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA")


def synth_directory(
    s: Session,
    who: Principal,
    *,
    gz: Gazetteer,
    organisations: int = 40,
    seed: int = 17,
    months: int = 12,
    until: date | None = None,
) -> dict[str, Any]:
    """A SYNTHETIC directory (seeded): organisations across the 32 boroughs, each with one to
    four services, located at random points inside their borough (uniform by rejection in the
    borough's boundary), with needs, ages, schedules, referral routes and contacts, and monthly
    referral counts. Every record is labelled SYNTHETIC; phone numbers are in Ofcom's range
    reserved for drama (020 7946 0000–0999), e-mail addresses at example.org, postcodes ZZ99."""
    import shapely

    rng = random.Random(seed)
    boroughs = gz.boroughs()
    prog_refs = sorted(programmes(s))
    until = until or date.today().replace(day=1)
    n_services = n_counts = 0
    for i in range(organisations):
        b = boroughs[i % len(boroughs)]
        oname = f"{_SYN_PREFIX[i % len(_SYN_PREFIX)]} {_SYN_KIND[(i * 7) % len(_SYN_KIND)]} {b.name} (SYNTHETIC)"
        org = _org_doc(
            oname,
            f"A synthetic organisation in {b.name}, for demonstrations and tests. "
            "Not a real organisation.",
            SYNTHETIC,
        )
        org["email"] = f"info@org-{i + 1:02d}.example.org"
        geom = gz._geoms["borough"][gz._codes["borough"].index(b.code)]
        minx, miny, maxx, maxy = geom.bounds
        keys = rng.sample(sorted(_SYN_SERVICE), rng.randint(1, 4))
        for j, key in enumerate(keys):
            title, needs = _SYN_SERVICE[key]
            sid = stable_id("synthetic-service", str(seed), str(i), str(j))
            while True:
                x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                if geom.contains(shapely.Point(x, y)):
                    break
            lon, lat = gz._to_wgs.transform(x, y)
            lo, hi = _SYN_AGES[rng.randrange(len(_SYN_AGES))]
            lid = stable_id("synthetic-location", sid)
            sal = stable_id("synthetic-sal", sid)
            days = sorted(rng.sample(_DAYS, rng.randint(1, 3)), key=_DAYS.index)
            opens = rng.choice(("09:00", "10:00", "15:30", "16:00", "17:00", "18:00"))
            closes = {
                "09:00": "17:00",
                "10:00": "16:00",
                "15:30": "18:00",
                "16:00": "19:00",
                "17:00": "20:00",
                "18:00": "21:00",
            }[opens]
            routes = _SYN_ROUTES.get(key, ["self", "professional"])
            doc: dict[str, Any] = {
                "id": sid,
                "name": f"{title} ({b.name})",
                "description": f"SYNTHETIC service for demonstrations: {title.lower()} for young "
                f"people in {b.name}. Not a real service.",
                "status": "active",
                "email": f"hello@org-{i + 1:02d}.example.org",
                "organization": org,
                "organization_id": org["id"],
                "application_process": "Young people and families can get in touch directly; "
                "professionals use the referral route below."
                if "self" in routes
                else "Referral by a professional (see the referral route).",
                "attributes": _attributes(sid, needs, routes),
                "service_areas": [_area(sid, b.code, b.name)],
                "service_at_locations": [
                    {
                        "id": sal,
                        "service_id": sid,
                        "location_id": lid,
                        "location": {
                            "id": lid,
                            "location_type": "physical",
                            "name": f"{_SYN_PREFIX[(i + j) % len(_SYN_PREFIX)]} Centre (SYNTHETIC)",
                            "latitude": round(lat, 6),
                            "longitude": round(lon, 6),
                            "addresses": [
                                {
                                    "id": stable_id("synthetic-address", sid),
                                    "location_id": lid,
                                    "address_1": f"{rng.randint(1, 200)} Synthetic Street",
                                    "city": "London",
                                    "state_province": b.name,
                                    "postal_code": f"ZZ99 {rng.randint(1, 9)}{rng.choice('ABDEFGHJ')}{rng.choice('LNPQRSTU')}",
                                    "country": "GB",
                                    "address_type": "physical",
                                }
                            ],
                            "x_vrkit": {"data_label": SYNTHETIC},
                        },
                    }
                ],
                "schedules": [
                    {
                        "id": stable_id("synthetic-schedule", sid),
                        "service_id": sid,
                        "freq": "WEEKLY",
                        "byday": ",".join(days),
                        "opens_at": opens,
                        "closes_at": closes,
                        "description": f"Weekly, {', '.join(days)} {opens}–{closes}",
                    }
                ],
                "contacts": [
                    {
                        "id": stable_id("synthetic-contact", sid),
                        "service_id": sid,
                        "name": "Referral coordinator (SYNTHETIC)",
                        "title": "Referrals",
                        "email": f"referrals@org-{i + 1:02d}.example.org",
                        "phones": [
                            {
                                "id": stable_id("synthetic-phone", sid),
                                "number": f"020 7946 0{rng.randint(0, 999):03d}",
                            }
                        ],
                    }
                ],
                "x_vrkit": {
                    "state": "published",
                    "data_label": SYNTHETIC,
                    "source_ref": f"vrkit directory seed --synthetic (seed {seed})",
                    "referral_details": "Email the referral form to the coordinator, or phone "
                    "the referral line; urgent safeguarding concerns go to the borough's MASH "
                    "first. (SYNTHETIC)",
                    "programme_refs": [rng.choice(prog_refs)]
                    if prog_refs and rng.random() < 0.3
                    else [],
                },
            }
            if lo is not None:
                doc["minimum_age"], doc["maximum_age"] = lo, hi
            apply_service_doc(s, doc, who=who.email, locate=gz.locate)
            n_services += 1
            rate = rng.uniform(2, 25)
            for k in range(months):
                y, m = divmod(until.year * 12 + until.month - 1 - k, 12)
                count = _poisson(rng, rate)
                dirsvc.record_referrals(s, who, sid, date(y, m + 1, 1), count, data_label=SYNTHETIC)
                n_counts += 1
    return {"organisations": organisations, "services": n_services, "referral_counts": n_counts}


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method (small means only)
    import math

    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# -- referral counts ---------------------------------------------------------------------------
def record_referrals(
    s: Session,
    who: Principal,
    service_id: str,
    month: str,
    referrals: int,
    *,
    note: str = "",
    ip: str | None = None,
) -> DirReferralCount:
    return dirsvc.record_referrals(
        s, who, service_id, dirsvc.month_start(month), referrals, note=note, ip=ip
    )


def referral_summary(s: Session, service_ids: frozenset[str] | None = None) -> TableResult:
    """Referral counts per service and month (counts only)."""
    names = dict(s.execute(select(DirService.id, DirService.name)).tuples().all())
    rows = [
        {
            "service_id": r.service_id,
            "service": names.get(r.service_id, r.service_id),
            "month": f"{r.month:%Y-%m}",
            "referrals": r.referrals,
            "revision": r.revision,
            "data_label": r.data_label,
        }
        for r in dirsvc.referral_counts(s, service_ids)
    ]
    return TableResult(
        "Referrals by service and month",
        rows,
        ["Counts of referrals recorded by services; no personal data."],
    )


def programme_referral_outputs(s: Session, year: int | None = None) -> TableResult:
    """Directory referrals per programme and financial quarter: what flows into the programme
    register's outputs (the sum over each programme's services)."""
    progs = programmes(s)
    rows = [
        r | {"programme": progs[r["programme_ref"]].name if r["programme_ref"] in progs else None}
        for r in dirsvc.programme_referrals(s, year)
    ]
    notes = [
        "Referrals recorded in the diversion directory, summed over the services linked to each "
        "programme, by financial quarter (April–June = Q1).",
        "A service linked to two programmes counts in both (see the note column).",
    ]
    if not progs:
        notes.append("The programme register is not installed: programmes are shown by ref only.")
    return TableResult("Directory referrals by programme and quarter", rows, notes)


def directory_counts(s: Session) -> dict[str, int]:
    by_state = dict(
        s.execute(select(DirService.state, func.count()).group_by(DirService.state)).tuples().all()
    )
    return {str(k): int(v) for k, v in by_state.items()}

"""The diversion directory's pages (issue #17): search with a map, a service page with how to
refer, editing (a curator's edits publish at once; a provider's wait for review), the review
queue, referral counts and Open Referral UK downloads.

Access: everyone finds published services; the referral details are the ``directory`` family
(full for police, partnership and VRU users; providers for their own organisation's services);
an organisation's own records (editing, proposals, referral counts) are the ``directory_own``
family. Every route carries its guard; handlers build what the edition allows.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path as FsPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from vrkit.catalog.directory import taxonomy
from vrkit.errors import InputError
from vrkit.ops.directory import service as dirsvc
from vrkit.ops.directory.models import DirOrganisation, DirServiceChange
from vrkit.ops.directory.policy import (
    CURATE,
    DIRECTORY,
    DIRECTORY_OWN,
    EDIT,
    REFERRALS_RECORD,
    REFERRALS_VIEW,
)
from vrkit.ops.roles import PUBLIC_VIEW, Principal
from vrkit.web.authz import Access, access, guard
from vrkit.web.render import NAVIGATION, render
from vrkit.web.routes.common import client_ip, db, memo, see_other

router = APIRouter(include_in_schema=False)
NAVIGATION.insert(2, ("Directory", "/directory", PUBLIC_VIEW))
NAVIGATION.append(("Directory changes", "/directory/changes", EDIT))

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
ServiceId = Annotated[str, Path(pattern=UUID_PATTERN)]
PER_PAGE = 20


# -- scope resolvers ---------------------------------------------------------------------------
def service_scope(request: Request, value: str) -> frozenset[str]:
    """``{service_id}`` → the portal organisation running it (the ``organisation`` scope)."""
    with db(request).session() as s:
        return dirsvc.portal_scope(s, value)


def organisation_scope(request: Request, value: str) -> frozenset[str]:
    """A directory organisation id → the portal organisation it belongs to."""
    with db(request).session() as s:
        o = s.get(DirOrganisation, value) if value else None
        if o is None or o.portal_organisation_id is None:
            return frozenset()
        return frozenset({str(o.portal_organisation_id)})


# -- helpers -----------------------------------------------------------------------------------
def gazetteer(request: Request) -> Any:
    """Places from the warehouse (memoised per data version), with the directory's postcodes;
    None when the warehouse has no borough boundaries."""
    from vrkit.tasks.directory import gazetteer as build

    def compute(wh: Any) -> Any:
        try:
            return build(wh)
        except InputError:
            return None

    try:
        base = memo(request, "directory-gazetteer", (), compute)
    except Exception:  # no warehouse at all: the directory still works by codes
        base = None
    if base is None:
        return None
    with db(request).session() as s:
        return base.with_postcodes(dirsvc.locations_with_postcodes(s))


def _can(p: Principal, family: str, codes: frozenset[str]) -> bool:
    """Whether the policy gives ``p`` the full edition of ``family`` for these codes."""
    return p.edition(family, codes) == "full"


def _terms(code: str) -> list[tuple[str, str]]:
    return [(t.code, t.name) for t in taxonomy(code).terms]


def _org_choices(request: Request, acc: Access) -> list[tuple[str, str]]:
    from sqlalchemy import select

    with db(request).session() as s:
        q = select(DirOrganisation).order_by(DirOrganisation.name)
        orgs = list(s.scalars(q))
    if acc.codes is None:
        return [(o.id, o.name) for o in orgs]
    return [(o.id, o.name) for o in orgs if str(o.portal_organisation_id) in acc.codes]


# -- search ------------------------------------------------------------------------------------
@router.get("/directory", response_class=HTMLResponse, name="directory_search")
@guard(PUBLIC_VIEW)
def search_page(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    q: Annotated[str, Query(max_length=200)] = "",
    need: Annotated[str, Query(max_length=40)] = "",
    route: Annotated[str, Query(max_length=40)] = "",
    age: Annotated[str, Query(max_length=5)] = "",
    area: Annotated[str, Query(max_length=100)] = "",
    near: Annotated[str, Query(max_length=100)] = "",
    within_km: Annotated[str, Query(max_length=6)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    from vrkit.tasks.directory import needs_of, routes_of, search_directory
    from vrkit.web.directory_map import svg_map

    errors: list[str] = []
    res = None
    gz = gazetteer(request)

    def number(text: str, label: str, lo: float, hi: float) -> float | None:
        if not text.strip():
            return None
        try:
            v = float(text)
        except ValueError:
            errors.append(f"{label}: enter a number")
            return None
        if not lo <= v <= hi or math.isnan(v):
            errors.append(f"{label}: between {lo:g} and {hi:g}")
            return None
        return v

    age_v = number(age, "Age", 0, 120)
    km = number(within_km, "Distance", 0.1, 50)
    if not errors:
        try:
            with db(request).session() as s:
                res = search_directory(
                    s,
                    text=q,
                    need=need or None,
                    referral_route=route or None,
                    age=age_v,
                    area=area or None,
                    near=near or None,
                    within_km=km,
                    gz=gz,
                )
                hits = res.hits
                total = len(hits)
                pages = max(1, math.ceil(total / PER_PAGE))
                page = min(page, pages)
                shown = hits[(page - 1) * PER_PAGE : page * PER_PAGE]
                rows = []
                points = []
                for i, h in enumerate(shown, start=(page - 1) * PER_PAGE + 1):
                    loc = next(
                        (
                            x.link.location
                            for x in h.locations
                            if x.link.location.latitude is not None
                        ),
                        None,
                    )
                    if loc is not None and loc.latitude is not None and loc.longitude is not None:
                        points.append((i, loc.latitude, loc.longitude, h.service.name))
                    rows.append(
                        {
                            "n": i,
                            "id": h.service.id,
                            "name": h.service.name,
                            "organisation": h.service.organisation.name,
                            "description": h.service.description,
                            "ages": _ages(h.service.minimum_age, h.service.maximum_age),
                            "needs": needs_of(h.service),
                            "routes": routes_of(h.service),
                            "distance": None
                            if h.distance_km is None
                            else f"{h.distance_km:.1f} km",
                            "place": loc.name if loc else None,
                            "serves_area": h.serves_area and h.distance_km is None,
                            "synthetic": h.service.data_label == "SYNTHETIC",
                        }
                    )
        except InputError as exc:
            errors.append(exc.message + (f" {exc.hint}" if exc.hint else ""))
            res = None
    if res is None:
        rows, points, total, pages = [], [], 0, 1
    origin = (res.origin.lat, res.origin.lon, res.origin.label) if res and res.origin else None
    highlight = res.area.code if res and res.area is not None else None
    svg = svg_map(gz, points, origin=origin, highlight=highlight) if gz is not None else ""
    params = {
        k: v
        for k, v in (
            ("q", q),
            ("need", need),
            ("route", route),
            ("age", age),
            ("area", area),
            ("near", near),
            ("within_km", within_km),
        )
        if v
    }
    return render(
        request,
        "directory_search.html",
        {
            "title": "Find help: the diversion directory",
            "errors": errors,
            "form": {
                "q": q,
                "need": need,
                "route": route,
                "age": age,
                "area": area,
                "near": near,
                "within_km": within_km,
            },
            "needs": [("", "Any need"), *_terms("need")],
            "routes": [("", "Any referral route"), *_terms("referral-route")],
            "rows": rows,
            "total": total,
            "page": page,
            "pages": pages,
            "params": params,
            "map_svg": svg,
            "map_points": json.dumps(
                [{"n": n, "lat": a, "lon": b, "name": lab} for n, a, b, lab in points]
            ),
            "map_origin": json.dumps(origin[:2]) if origin else "null",
            "notes": res.notes if res else [],
            "origin_label": origin[2] if origin else None,
            "can_edit": acc.principal.has(EDIT),
            "places_loaded": gz is not None,
        },
        status=400 if errors else 200,
    )


def _ages(lo: float | None, hi: float | None) -> str:
    def n(x: float) -> str:
        return f"{x:g}"

    if lo is None and hi is None:
        return "All ages"
    if lo is None:
        return f"Up to {n(hi)}"  # type: ignore[arg-type]
    if hi is None:
        return f"{n(lo)} and over"
    return f"{n(lo)} to {n(hi)}"


@router.get("/directory/boroughs.geojson", name="directory_boroughs")
@guard(PUBLIC_VIEW)
def boroughs_geojson(request: Request) -> Response:
    """The borough outlines the map draws (no tiles: the portal's own boundaries)."""
    gz = gazetteer(request)
    body = json.dumps(
        gz.outlines_geojson() if gz else {"type": "FeatureCollection", "features": []}
    )
    return Response(body, media_type="application/geo+json")


# -- a service ---------------------------------------------------------------------------------
def _service_context(request: Request, acc: Access, service_id: str) -> dict[str, Any]:
    from vrkit.ops.programme_links import programmes
    from vrkit.tasks.directory import needs_of, routes_of

    p = acc.principal
    with db(request).session() as s:
        svc = dirsvc.get_service(s, service_id)
        if svc is None:
            raise HTTPException(404, "There is no service at this address.")
        codes = dirsvc.portal_scope(s, service_id)
        own = _can(p, DIRECTORY_OWN, codes)
        if svc.state != "published" and not own:
            raise HTTPException(404, "There is no service at this address.")
        progs = programmes(s)
        counts = []
        if p.has(REFERRALS_VIEW) and own:
            counts = [
                {"month": f"{r.month:%Y-%m}", "referrals": r.referrals, "revision": r.revision}
                for r in dirsvc.referral_counts(s, frozenset({service_id}))
            ][-12:]
        pending = (
            [
                c
                for c in dirsvc.pending_changes(s)
                if c.service_id == service_id and c.status == "pending"
            ]
            if own
            else []
        )
        return {
            "svc": svc,
            "title": svc.name,
            "full": acc.full,
            "own": own,
            "needs": needs_of(svc),
            "routes": routes_of(svc),
            "ages": _ages(svc.minimum_age, svc.maximum_age),
            "locations": [x.location for x in svc.locations],
            "schedules": [x.fields for x in svc.schedules],
            "areas": [a.name for a in svc.areas],
            "contacts": list(svc.contacts) if acc.full else [],
            "programmes": [
                {
                    "ref": x.programme_ref,
                    "name": progs[x.programme_ref].name if x.programme_ref in progs else None,
                    "url": progs[x.programme_ref].url if x.programme_ref in progs else None,
                }
                for x in svc.programmes
            ],
            "register": bool(progs),
            "counts": counts,
            "pending": len(pending),
            "can_edit": p.has(EDIT) and own,
            "can_record": p.has(REFERRALS_RECORD) and own,
        }


@router.get(
    "/directory/services/{service_id}", response_class=HTMLResponse, name="directory_service"
)
@guard(PUBLIC_VIEW, family=DIRECTORY, param="service_id", resolve=service_scope)
def service_page(
    request: Request, service_id: ServiceId, acc: Annotated[Access, Depends(access)]
) -> Response:
    return render(request, "directory_service.html", _service_context(request, acc, service_id))


@router.post(
    "/directory/services/{service_id}/referrals",
    response_class=HTMLResponse,
    name="directory_referrals_record",
)
@guard(REFERRALS_RECORD, family=DIRECTORY_OWN, param="service_id", resolve=service_scope)
def record_referrals(
    request: Request,
    service_id: ServiceId,
    acc: Annotated[Access, Depends(access)],
    month: Annotated[str, Form(max_length=7)] = "",
    referrals: Annotated[str, Form(max_length=9)] = "",
) -> Response:
    from vrkit.tasks.directory import record_referrals as record

    try:
        n = int(referrals)
    except ValueError:
        n = -1
    try:
        with db(request).session() as s:
            if n < 0:
                raise InputError("enter the number of referrals as a whole number (0 or more)")
            record(s, acc.principal, service_id, month, n, ip=client_ip(request))
    except InputError as exc:
        ctx = _service_context(request, acc, service_id)
        ctx["errors"] = [exc.message]
        return render(request, "directory_service.html", ctx, status=400)
    return see_other(f"/directory/services/{service_id}?recorded={month}")


# -- editing -----------------------------------------------------------------------------------
def _edit_context(doc: dict[str, Any] | None, form: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "form": form,
        "needs": _terms("need"),
        "routes": _terms("referral-route"),
        "statuses": [
            (x, x.capitalize()) for x in ("active", "inactive", "defunct", "temporarily closed")
        ],
        "doc": doc,
        **extra,
    }


@router.get(
    "/directory/services/{service_id}/edit", response_class=HTMLResponse, name="directory_edit"
)
@guard(EDIT, family=DIRECTORY_OWN, param="service_id", resolve=service_scope)
def edit_page(
    request: Request, service_id: ServiceId, acc: Annotated[Access, Depends(access)]
) -> Response:
    from vrkit.tasks.directory import form_from_doc

    with db(request).session() as s:
        svc = dirsvc.get_service(s, service_id)
        if svc is None:
            raise HTTPException(404, "There is no service at this address.")
        doc = dirsvc.doc_for(s, svc, full=True)
        version = svc.version
    return render(
        request,
        "directory_edit.html",
        _edit_context(
            doc,
            form_from_doc(doc),
            title=f"Edit {doc['name']}",
            action=f"/directory/services/{service_id}/edit",
            version=version,
            curator=acc.principal.has(CURATE),
        ),
    )


async def _form_values(request: Request) -> dict[str, Any]:
    from vrkit.tasks.directory import EDIT_FIELDS

    form = await request.form()
    out: dict[str, Any] = {}
    for k in (*(f for f in EDIT_FIELDS if f not in ("needs", "routes")), "summary"):
        v = form.get(k)
        out[k] = v[:8000] if isinstance(v, str) else ""
    out["needs"] = [str(v)[:40] for v in form.getlist("needs")][:20]
    out["routes"] = [str(v)[:40] for v in form.getlist("routes")][:10]
    return out


@router.post(
    "/directory/services/{service_id}/edit", response_class=HTMLResponse, name="directory_edit_post"
)
@guard(EDIT, family=DIRECTORY_OWN, param="service_id", resolve=service_scope)
async def edit_post(
    request: Request,
    service_id: ServiceId,
    acc: Annotated[Access, Depends(access)],
    version: Annotated[int, Form(ge=0, le=2_147_483_647)] = 0,
) -> Response:
    from fastapi.concurrency import run_in_threadpool

    values = await _form_values(request)
    gz = await run_in_threadpool(gazetteer, request)

    def save() -> tuple[str, dict[str, Any] | None]:
        from vrkit.ops.directory.records import organisation_doc
        from vrkit.tasks.directory import doc_from_form

        with db(request).session() as s:
            svc = dirsvc.get_service(s, service_id)
            if svc is None:
                raise HTTPException(404, "There is no service at this address.")
            base = dirsvc.doc_for(s, svc, full=True)
            try:
                doc = doc_from_form(base, values, org=organisation_doc(svc.organisation))
                if acc.principal.has(CURATE):
                    dirsvc.curate(
                        s,
                        acc.principal,
                        doc,
                        base_version=version,
                        locate=gz.locate if gz else None,
                        ip=client_ip(request),
                    )
                    return "saved", None
                dirsvc.propose(
                    s,
                    acc.principal,
                    doc,
                    summary=values["summary"] or "Edited in the portal",
                    ip=client_ip(request),
                )
                return "proposed", None
            except InputError as exc:
                s.rollback()
                return exc.message + (f" {exc.hint}" if exc.hint else ""), base

    outcome, base = await run_in_threadpool(save)
    if outcome in ("saved", "proposed"):
        return see_other(f"/directory/services/{service_id}?{outcome}=1")
    return render(
        request,
        "directory_edit.html",
        _edit_context(
            base,
            values,
            title="Edit the service",
            errors=[outcome],
            action=f"/directory/services/{service_id}/edit",
            version=version,
            curator=acc.principal.has(CURATE),
        ),
        status=400,
    )


@router.get("/directory/new", response_class=HTMLResponse, name="directory_new")
@guard(EDIT, family=DIRECTORY_OWN)
def new_page(request: Request, acc: Annotated[Access, Depends(access)]) -> Response:
    orgs = _org_choices(request, acc)
    return render(
        request,
        "directory_edit.html",
        _edit_context(
            None,
            {"status": "active", "needs": [], "routes": []},
            title="Add a service",
            action="/directory/new",
            version=0,
            orgs=orgs,
            curator=acc.principal.has(CURATE),
        ),
    )


@router.post("/directory/new", response_class=HTMLResponse, name="directory_new_post")
@guard(EDIT, family=DIRECTORY_OWN, param="organisation_id", resolve=organisation_scope)
async def new_post(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    organisation_id: Annotated[str, Form(max_length=36)] = "",
) -> Response:
    from fastapi.concurrency import run_in_threadpool

    values = await _form_values(request)

    def save() -> tuple[str, str]:
        from vrkit.ops.directory.records import organisation_doc
        from vrkit.tasks.directory import doc_from_form

        with db(request).session() as s:
            org = s.get(DirOrganisation, organisation_id)
            if org is None:
                return "error", "Choose the organisation that runs the service."
            try:
                doc = doc_from_form(None, values, org=organisation_doc(org))
                if acc.principal.has(CURATE):
                    dirsvc.curate(s, acc.principal, doc, base_version=None, ip=client_ip(request))
                    return "saved", doc["id"]
                dirsvc.propose(
                    s,
                    acc.principal,
                    doc,
                    summary=values["summary"] or "New service",
                    ip=client_ip(request),
                )
                return "proposed", doc["id"]
            except InputError as exc:
                s.rollback()
                return "error", exc.message

    outcome, detail = await run_in_threadpool(save)
    if outcome == "saved":
        return see_other(f"/directory/services/{detail}?saved=1")
    if outcome == "proposed":
        return see_other("/directory/changes?proposed=1")
    return render(
        request,
        "directory_edit.html",
        _edit_context(
            None,
            values,
            title="Add a service",
            errors=[detail],
            action="/directory/new",
            version=0,
            orgs=_org_choices(request, acc),
            curator=acc.principal.has(CURATE),
        ),
        status=400,
    )


# -- review queue ------------------------------------------------------------------------------
def _changes(request: Request, acc: Access) -> list[dict[str, Any]]:
    with db(request).session() as s:
        orgs = None if acc.codes is None else dirsvc.organisations_of(s, acc.codes)
        out = []
        for c in dirsvc.pending_changes(s, orgs)[:200]:
            svc = dirsvc.get_service(s, c.service_id)
            current = dirsvc.doc_for(s, svc, full=True) if svc else {}
            changed = sorted(
                k
                for k in set(c.proposal) | set(current)
                if k not in ("last_modified", "organization")
                and c.proposal.get(k) != current.get(k)
            )
            out.append(
                {
                    "id": c.id,
                    "service_id": c.service_id,
                    "name": c.proposal.get("name"),
                    "new": svc is None,
                    "summary": c.summary,
                    "status": c.status,
                    "by": c.proposed_by,
                    "at": c.proposed_at,
                    "changed": changed,
                    "comment": c.review_comment,
                    "reviewed_by": c.reviewed_by,
                }
            )
        return out


@router.get("/directory/changes", response_class=HTMLResponse, name="directory_changes")
@guard(EDIT, family=DIRECTORY_OWN)
def changes_page(request: Request, acc: Annotated[Access, Depends(access)]) -> Response:
    return render(
        request,
        "directory_changes.html",
        {
            "title": "Directory changes",
            "changes": _changes(request, acc),
            "curator": acc.principal.has(CURATE),
            "orgs": bool(_org_choices(request, acc)),
        },
    )


@router.post("/directory/changes/{change_id}", response_class=HTMLResponse, name="directory_review")
@guard(CURATE)
async def review_post(
    request: Request,
    change_id: Annotated[int, Path(ge=1, le=2_147_483_647)],
    acc: Annotated[Access, Depends(access)],
    decision: Annotated[str, Form(pattern="^(approve|reject)$")] = "reject",
    comment: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    from fastapi.concurrency import run_in_threadpool

    gz = await run_in_threadpool(gazetteer, request)

    def act() -> str | None:
        with db(request).session() as s:
            try:
                dirsvc.review(
                    s,
                    acc.principal,
                    change_id,
                    approve=decision == "approve",
                    comment=comment,
                    locate=gz.locate if gz else None,
                    ip=client_ip(request),
                )
            except InputError as exc:
                s.rollback()
                return exc.message + (f" {exc.hint}" if exc.hint else "")
        return None

    problem = await run_in_threadpool(act)
    if problem is None:
        return see_other(f"/directory/changes?{decision}d={change_id}")
    return render(
        request,
        "directory_changes.html",
        {
            "title": "Directory changes",
            "changes": _changes(request, acc),
            "curator": True,
            "errors": [problem],
            "orgs": True,
        },
        status=400,
    )


# -- referral counts ---------------------------------------------------------------------------
@router.get("/directory/referrals", response_class=HTMLResponse, name="directory_referrals")
@guard(REFERRALS_VIEW, family=DIRECTORY_OWN)
def referrals_page(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    from sqlalchemy import select

    from vrkit.ops.directory.models import DirService
    from vrkit.tasks.directory import programme_referral_outputs, referral_summary

    with db(request).session() as s:
        ids = None
        if acc.codes is not None:
            orgs = dirsvc.organisations_of(s, acc.codes)
            ids = frozenset(
                s.scalars(select(DirService.id).where(DirService.organisation_id.in_(sorted(orgs))))
            )
        table = referral_summary(s, ids)
        progs = programme_referral_outputs(s, year) if acc.codes is None else None
    months = sorted({r["month"] for r in table.rows})[-12:]
    by_service: dict[str, dict[str, Any]] = {}
    for r in table.rows:
        row = by_service.setdefault(
            r["service_id"],
            {
                "id": r["service_id"],
                "service": r["service"],
                "label": r["data_label"],
                "months": {},
            },
        )
        row["months"][r["month"]] = r["referrals"]
    return render(
        request,
        "directory_referrals.html",
        {
            "title": "Referrals by service and month",
            "months": months,
            "services": sorted(by_service.values(), key=lambda x: x["service"]),
            "programmes": progs,
            "notes": table.notes,
        },
    )


# -- downloads ---------------------------------------------------------------------------------
@router.get("/directory/download/{fmt}", name="directory_download")
@guard(PUBLIC_VIEW, family=DIRECTORY, audit="download")
def download(
    request: Request,
    fmt: Annotated[str, Path(pattern="^(json|csv)$")],
    acc: Annotated[Access, Depends(access)],
) -> Response:
    """The directory in Open Referral UK form: ``services.json``, or the CSV tables (zip). The
    public edition for everyone; with referral details for the roles that see them."""
    import tempfile

    from vrkit.reports.oruk import write_oruk_csv
    from vrkit.tasks.directory import service_documents, taxonomy_docs

    edition = "full" if acc.full else "public"
    with db(request).session() as s:
        docs = service_documents(s, edition=edition, published_only=True)  # type: ignore[arg-type]
    name = f"vrkit-directory-{edition}"
    if fmt == "json":
        body = json.dumps(docs, indent=2, ensure_ascii=False).encode()
        return Response(
            body,
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}.json"'},
        )
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_oruk_csv(docs, FsPath(tmp) / "csv", taxonomy_docs())
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for p in paths:
                z.write(p, p.name)
    return Response(
        buf.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}-csv.zip"'},
    )


__all__ = ["DirServiceChange", "router"]

"""The Open Referral UK API (``/api/oruk``), following the standard's published OpenAPI
document (Open Referral UK profile of HSDS 3.0; served at ``/api/oruk/openapi.json``).

- ``GET /api/oruk/`` — about this API.
- ``GET /api/oruk/services`` — paged services (one-to-one fields and the organisation), with
  ``search``, ``taxonomy_term_id``, ``taxonomy_id``, ``minimum_age``, ``maximum_age``,
  ``start_time``, ``end_time``, ``day``.
- ``GET /api/oruk/services/{id}`` — one fully nested service.
- ``GET /api/oruk/service_at_locations`` — paged service-at-locations, with the same filters and
  proximity search: ``postcode`` (a postcode of a listed service, or a borough or ward) and
  ``proximity`` (metres from it); vrkit also takes ``latitude``/``longitude`` instead of a
  postcode. With a point, results come nearest first with ``x_vrkit.distance_m``.
- ``GET /api/oruk/service_at_locations/{id}`` — one fully nested service-at-location.
- ``GET /api/oruk/taxonomies[/{id}]``, ``/api/oruk/taxonomy_terms[/{id}]``.

Paging as the standard says: ``page`` (from 1) and ``per_page`` (default 50, at most 500); each
page carries ``total_items, total_pages, page_number, size, first_page, last_page, empty,
contents``. Published services only; referral contacts and details appear in a service for the
roles that see them (the ``directory`` family), as on the pages. Not in the portal's own OpenAPI
(``/api/v1/openapi.json``): this API's contract is the standard's.
"""

from __future__ import annotations

import copy
import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response

from vrkit.catalog.directory import taxonomies
from vrkit.errors import InputError
from vrkit.ops.directory import service as dirsvc
from vrkit.ops.directory.policy import DIRECTORY
from vrkit.ops.directory.records import location_doc, service_list_doc
from vrkit.ops.roles import PUBLIC_VIEW
from vrkit.web.authz import Access, access, guard
from vrkit.web.routes.api import json_response
from vrkit.web.routes.common import db
from vrkit.web.routes.directory import UUID_PATTERN, gazetteer, service_scope

router = APIRouter(prefix="/api/oruk", include_in_schema=False)
MAX_PER_PAGE = 500
PROFILE_URL = "https://openreferraluk.org/"

PageNo = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1")]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="Results per page")]
Text = Annotated[str | None, Query(max_length=200)]


def page_of(contents: list[Any], page: int, per_page: int) -> dict[str, Any]:
    total = len(contents)
    pages = max(1, math.ceil(total / per_page))
    items = contents[(page - 1) * per_page : page * per_page]
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(items),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": not items,
        "contents": items,
    }


def _time(text: str | None, name: str) -> str | None:
    if not text:
        return None
    t = text.strip()
    if len(t) < 5 or t[2] != ":" or not (t[:2] + t[3:5]).isdigit():
        raise HTTPException(400, f"{name}: write the time as HH:MM")
    return t[:5]


def _day(text: str | None) -> str | None:
    if not text:
        return None
    t = text.strip().upper()[:2]
    if t not in dirsvc.DAYS:
        raise HTTPException(400, "day: a day of the week (MO, TU, ... or Monday, Tuesday, ...)")
    return t


def _query(
    search: str | None,
    taxonomy_term_id: str | None,
    taxonomy_id: str | None,
    minimum_age: float | None,
    maximum_age: float | None,
    start_time: str | None,
    end_time: str | None,
    day: str | None,
    origin: tuple[float, float] | None = None,
) -> dirsvc.SearchQuery:
    """The standard's filters (shared by ``/services`` and ``/service_at_locations``)."""
    kw: dict[str, Any] = {
        "text": search or "",
        "taxonomy_term_id": taxonomy_term_id,
        "taxonomy_id": taxonomy_id,
        "minimum_age": minimum_age,
        "maximum_age": maximum_age,
        "day": _day(day),
        "start_time": _time(start_time, "start_time"),
        "end_time": _time(end_time, "end_time"),
        "origin": origin,
    }
    return dirsvc.SearchQuery(**{k: v for k, v in kw.items() if v is not None})


@router.get("/", name="oruk_meta")
@guard(PUBLIC_VIEW)
def meta(request: Request) -> Response:
    """Retrieve information about this API and its relationship with HSDS."""
    base = str(request.base_url).rstrip("/")
    return json_response(
        request,
        {
            "version": "3.0",
            "profile": PROFILE_URL,
            "openapi_url": f"{base}/api/oruk/openapi.json",
        },
    )


@router.get("/openapi.json", name="oruk_openapi")
@guard(PUBLIC_VIEW)
def openapi(request: Request) -> Response:
    """The standard's published OpenAPI document, with this server named."""
    from vrkit.sources.oruk import load_schema

    try:
        spec = copy.deepcopy(load_schema("openapi.json"))
    except InputError as exc:
        raise HTTPException(404, exc.message) from exc
    spec["servers"] = [{"url": "/api/oruk", "description": "vrkit diversion directory"}]
    return json_response(request, spec)


@router.get("/services", name="oruk_services")
@guard(PUBLIC_VIEW)
def services(
    request: Request,
    search: Text = None,
    page: PageNo = 1,
    per_page: PerPage = 50,
    taxonomy_term_id: Text = None,
    taxonomy_id: Text = None,
    minimum_age: Annotated[float | None, Query(ge=0, le=200)] = None,
    maximum_age: Annotated[float | None, Query(ge=0, le=200)] = None,
    start_time: Text = None,
    end_time: Text = None,
    day: Text = None,
) -> Response:
    """Paginated listings of services with their one-to-one fields."""
    q = _query(
        search, taxonomy_term_id, taxonomy_id, minimum_age, maximum_age, start_time, end_time, day
    )
    with db(request).session() as s:
        rows = [service_list_doc(h.service) for h in dirsvc.search(s, q)]
    return json_response(request, page_of(rows, page, per_page))


@router.get("/services/{service_id}", name="oruk_service")
@guard(PUBLIC_VIEW, family=DIRECTORY, param="service_id", resolve=service_scope)
def service(
    request: Request,
    service_id: Annotated[str, Path(max_length=64)],
    acc: Annotated[Access, Depends(access)],
) -> Response:
    """A fully nested service; contacts and referral details for the roles that see them."""
    with db(request).session() as s:
        svc = dirsvc.get_service(s, service_id)
        if svc is None or svc.state != "published":
            raise HTTPException(404, "no published service with this id")
        return json_response(request, dirsvc.doc_for(s, svc, full=acc.full))


def _origin(
    request: Request, postcode: str | None, latitude: float | None, longitude: float | None
) -> tuple[float, float] | None:
    if latitude is not None or longitude is not None:
        if latitude is None or longitude is None:
            raise HTTPException(400, "give both latitude and longitude")
        return latitude, longitude
    if not postcode:
        return None
    gz = gazetteer(request)
    pt = gz.resolve(postcode) if gz is not None else None
    if pt is None:
        raise HTTPException(
            400,
            "postcode: not a known place (a postcode of a listed service, a borough or a ward; "
            "vrkit has no national postcode directory); or give latitude and longitude",
        )
    return pt.lat, pt.lon


def _sal_list(link: Any, svc: Any, distance_km: float | None) -> dict[str, Any]:
    loc = location_doc(link.location)
    out = {
        "id": link.id,
        "service_id": svc.id,
        "location_id": link.location_id,
        "location": {
            k: v for k, v in loc.items() if k not in ("addresses", "accessibility", "attributes")
        },
        "service": service_list_doc(svc),
    }
    if distance_km is not None:
        out["x_vrkit"] = {"distance_m": round(distance_km * 1000)}
    return out


@router.get("/service_at_locations", name="oruk_service_at_locations")
@guard(PUBLIC_VIEW)
def service_at_locations(
    request: Request,
    search: Text = None,
    page: PageNo = 1,
    per_page: PerPage = 50,
    taxonomy_term_id: Text = None,
    taxonomy_id: Text = None,
    minimum_age: Annotated[float | None, Query(ge=0, le=200)] = None,
    maximum_age: Annotated[float | None, Query(ge=0, le=200)] = None,
    start_time: Text = None,
    end_time: Text = None,
    day: Text = None,
    postcode: Annotated[str | None, Query(max_length=100)] = None,
    proximity: Annotated[str | None, Query(max_length=12)] = None,
    latitude: Annotated[float | None, Query(ge=-90, le=90)] = None,
    longitude: Annotated[float | None, Query(ge=-180, le=180)] = None,
) -> Response:
    """Paginated service-at-locations, nearest first with a point (proximity in metres)."""
    metres = None
    if proximity:
        try:
            metres = float(proximity)
        except ValueError:
            raise HTTPException(400, "proximity: a distance in metres") from None
        if not 0 < metres <= 1_000_000 or math.isnan(metres):
            raise HTTPException(400, "proximity: between 0 and 1,000,000 metres")
    origin = _origin(request, postcode, latitude, longitude)
    q = _query(
        search,
        taxonomy_term_id,
        taxonomy_id,
        minimum_age,
        maximum_age,
        start_time,
        end_time,
        day,
        origin=origin,
    )
    rows: list[tuple[float | None, dict[str, Any]]] = []
    with db(request).session() as s:
        for h in dirsvc.search(s, q):
            for lh in h.locations:
                d = lh.distance_km
                if metres is not None and origin is not None and (d is None or d * 1000 > metres):
                    continue
                rows.append((d, _sal_list(lh.link, h.service, d)))
    if origin is not None:
        rows.sort(key=lambda r: (r[0] is None, r[0] or 0.0))
    return json_response(request, page_of([r for _, r in rows], page, per_page))


@router.get("/service_at_locations/{sal_id}", name="oruk_service_at_location")
@guard(PUBLIC_VIEW)
def service_at_location(request: Request, sal_id: Annotated[str, Path(max_length=64)]) -> Response:
    """A fully nested service-at-location (its location and its service, public edition)."""
    import re

    from vrkit.ops.directory.models import DirServiceAtLocation

    if not re.match(UUID_PATTERN, sal_id):
        raise HTTPException(404, "no service at location with this id")
    with db(request).session() as s:
        link = s.get(DirServiceAtLocation, sal_id)
        if link is None or link.service.state != "published":
            raise HTTPException(404, "no service at location with this id")
        svc_doc = dirsvc.doc_for(s, link.service, full=False)
        svc_doc.pop("service_at_locations", None)
        return json_response(
            request,
            {
                "id": link.id,
                "service_id": link.service_id,
                "location_id": link.location_id,
                "location": location_doc(link.location),
                "service": svc_doc,
            },
        )


def _taxonomy_docs(request: Request) -> list[dict[str, Any]]:
    from vrkit.tasks.directory import taxonomy_docs

    return taxonomy_docs()


def _terms(request: Request) -> list[dict[str, Any]]:
    out = []
    for t in _taxonomy_docs(request):
        out += t["taxonomy_terms"]
    return out


@router.get("/taxonomies", name="oruk_taxonomies")
@guard(PUBLIC_VIEW)
def taxonomy_list(request: Request, page: PageNo = 1, per_page: PerPage = 50) -> Response:
    """The directory's taxonomies (needs, referral routes) with their terms."""
    return json_response(request, page_of(_taxonomy_docs(request), page, per_page))


@router.get("/taxonomies/{taxonomy_id}", name="oruk_taxonomy")
@guard(PUBLIC_VIEW)
def taxonomy_one(request: Request, taxonomy_id: Annotated[str, Path(max_length=64)]) -> Response:
    for t in _taxonomy_docs(request):
        if t["id"] == taxonomy_id:
            return json_response(request, t)
    raise HTTPException(404, "no taxonomy with this id")


@router.get("/taxonomy_terms", name="oruk_taxonomy_terms")
@guard(PUBLIC_VIEW)
def term_list(request: Request, page: PageNo = 1, per_page: PerPage = 50) -> Response:
    return json_response(request, page_of(_terms(request), page, per_page))


@router.get("/taxonomy_terms/{term_id}", name="oruk_taxonomy_term")
@guard(PUBLIC_VIEW)
def term_one(request: Request, term_id: Annotated[str, Path(max_length=64)]) -> Response:
    for t in _terms(request):
        if t["id"] == term_id:
            return json_response(request, t)
    raise HTTPException(404, "no taxonomy term with this id")


__all__ = ["router", "taxonomies"]

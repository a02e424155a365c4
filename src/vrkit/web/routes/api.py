"""``/api/v1``: JSON for the portal's resources, with the same authorisation as the pages.

Authentication: ``Authorization: Bearer <token>`` (or the browser session). Lists are paged
(``page`` from 1, ``page_size`` up to 500) and give ``total`` and a ``next`` link. Every
response carries an ``ETag``; a request with a matching ``If-None-Match`` gets 304. Figures come
in the edition the caller's role and scope allow, stated in ``edition``.
"""

from __future__ import annotations

import hashlib
import json
import math
from enum import Enum
from typing import Annotated, Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from vrkit.errors import InputError
from vrkit.ops import accounts
from vrkit.ops import audit as audit_log
from vrkit.ops.models import Submission
from vrkit.ops.roles import (
    ADMIN_AUDIT,
    ADMIN_USERS,
    ALERTS,
    DATASETS,
    HEALTH,
    ISTV,
    ISTV_VIEW,
    POLICE,
    PUBLIC_VIEW,
    ROLES,
)
from vrkit.web import tasks
from vrkit.web.authz import Access, access, guard
from vrkit.web.routes.common import Id, boroughs, db, gate, memo
from vrkit.web.routes.istv import upload_site, visible_upload, visible_uploads

MAX_PAGE = 500

#: the schema states the valid areas and measures, so a schema-valid request is never refused
AreaName = Enum("AreaName", {n: n for n in ["London", *(n for _, n in boroughs())]}, type=str)  # type: ignore[misc]
MeasureId = Enum("MeasureId", {i: i for i, _ in tasks.measures()}, type=str)  # type: ignore[misc]


def _no_data(exc: InputError) -> HTTPException:
    """A schema-valid request for which the warehouse holds no data: 404 with the reason."""
    return HTTPException(404, exc.message)


class Error(BaseModel):
    error: str
    detail: list[dict[str, Any]] | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Error, "description": "Invalid choice (unknown measure, area or year)"},
    401: {"model": Error, "description": "Not signed in, or the token is not valid"},
    403: {"model": Error, "description": "Not allowed for this role or scope"},
    404: {"model": Error, "description": "No such resource"},
    422: {"model": Error, "description": "Malformed request"},
    503: {"model": Error, "description": "The warehouse is being updated or has no data yet"},
}

router = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)


# -- response models ---------------------------------------------------------------------------
class Links(BaseModel):
    next: str | None = None


class Scope(BaseModel):
    kind: str
    code: str


class Me(BaseModel):
    role: str
    role_label: str
    email: str | None
    name: str | None
    scopes: list[Scope]
    permissions: list[str]


class Measure(BaseModel):
    id: str
    label: str


class MeasurePage(BaseModel):
    data: list[Measure]
    page: int
    page_size: int
    total: int
    links: Links


class Area(BaseModel):
    code: str
    name: str


class AreaPage(BaseModel):
    data: list[Area]
    page: int
    page_size: int
    total: int
    links: Links


class TrendTotal(BaseModel):
    period: str
    months: int
    total: float | None
    change: float | None
    pct_change: float | None
    suppressed: bool


class TrendMonth(BaseModel):
    month: str
    count: float | None
    suppressed: bool


class TrendOut(BaseModel):
    measure: str
    label: str
    area: str
    period: str
    edition: str
    disclosure_rule: str | None
    totals: list[TrendTotal]
    monthly: list[TrendMonth]


class ReportOut(BaseModel):
    edition: str
    report: dict[str, Any]


class Alert(BaseModel):
    area_code: str
    area_name: str | None
    observed: float | None
    expected: float | None
    threshold: float | None
    alert: bool
    alert_fdr: bool


class AlertsOut(BaseModel):
    measure: str
    month: str
    n_tested: int
    n_alerts: int
    data: list[Alert]


class Dataset(BaseModel):
    dataset_id: int
    source_kind: str
    file_name: str
    covers_from: str | None
    covers_to: str | None
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    sha256: str


class DatasetPage(BaseModel):
    data: list[Dataset]
    page: int
    page_size: int
    total: int
    links: Links


class Upload(BaseModel):
    id: int
    site_code: str | None
    month: str | None
    revision: int | None
    status: str
    created_at: str
    result: dict[str, Any] | None


class UploadPage(BaseModel):
    data: list[Upload]
    page: int
    page_size: int
    total: int
    links: Links


class CompletenessPage(BaseModel):
    data: list[dict[str, Any]]
    page: int
    page_size: int
    total: int
    links: Links


class AuditEvent(BaseModel):
    id: int
    at: str
    user_email: str | None
    role: str
    scope: str
    action: str
    target: str
    outcome: str


class AuditPage(BaseModel):
    data: list[AuditEvent]
    page: int
    page_size: int
    total: int
    links: Links


class User(BaseModel):
    id: int
    email: str
    name: str
    role: str
    scopes: list[Scope]
    active: bool


class UserPage(BaseModel):
    data: list[User]
    page: int
    page_size: int
    total: int
    links: Links


# -- helpers -----------------------------------------------------------------------------------
def _clean(x: Any) -> Any:
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if x is pd.NA or x is pd.NaT:
        return None
    if hasattr(x, "isoformat"):
        return x.isoformat()
    if hasattr(x, "item"):
        return _clean(x.item())
    return x


def json_body(payload: Any) -> tuple[bytes, str]:
    """(JSON body, its ETag: a hash of the body)."""
    body = json.dumps(_clean(payload), separators=(",", ":"), ensure_ascii=False).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def json_response(
    request: Request, payload: Any = None, *, encoded: tuple[bytes, str] | None = None
) -> Response:
    """JSON with an ETag; 304 when the client already has it. ``encoded``: a body and ETag
    made earlier by :func:`json_body` (a cached read serves those bytes as they are)."""
    body, etag = encoded if encoded is not None else json_body(payload)
    headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def paged(request: Request, rows: list[Any], page: int, page_size: int) -> dict[str, Any]:
    total = len(rows)
    start = (page - 1) * page_size
    data = rows[start : start + page_size]
    nxt = None
    if start + page_size < total:
        q = dict(request.query_params)
        q.update(page=str(page + 1), page_size=str(page_size))
        nxt = f"{request.url.path}?{urlencode(q)}"
    return {
        "data": data,
        "page": page,
        "page_size": page_size,
        "total": total,
        "links": {"next": nxt},
    }


Page = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1")]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page")]


# -- routes ------------------------------------------------------------------------------------
@router.get("/me", response_model=Me, name="api_me")
@guard(PUBLIC_VIEW)
def me(request: Request, acc: Annotated[Access, Depends(access)]) -> Response:
    """Who the API sees: role, scopes and permissions."""
    p = acc.principal
    role = ROLES[p.role]
    return json_response(
        request,
        {
            "role": p.role,
            "role_label": role.label,
            "email": p.email,
            "name": p.name,
            "scopes": [{"kind": k, "code": c} for k, c in sorted(p.scopes)],
            "permissions": sorted(role.permissions),
        },
    )


@router.get("/measures", response_model=MeasurePage, name="api_measures")
@guard(PUBLIC_VIEW)
def measures(request: Request, page: Page = 1, page_size: PageSize = 100) -> Response:
    """Headline measures (``vrkit measures``)."""
    rows = [{"id": i, "label": label} for i, label in tasks.measures()]
    return json_response(request, paged(request, rows, page, page_size))


@router.get("/areas", response_model=AreaPage, name="api_areas")
@guard(PUBLIC_VIEW)
def areas(request: Request, page: Page = 1, page_size: PageSize = 100) -> Response:
    """London's boroughs (GSS code and name)."""
    rows = [{"code": c, "name": n} for c, n in boroughs()]
    return json_response(request, paged(request, rows, page, page_size))


@router.get("/trend", response_model=TrendOut, name="api_trend")
@guard(PUBLIC_VIEW, family=POLICE, param="area")
def trend(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    measure: Annotated[MeasureId, Query()] = MeasureId("violence_with_injury"),
    area: Annotated[AreaName, Query()] = AreaName("London"),
    period: Annotated[str, Query(pattern="^(calendar|financial)$")] = "calendar",
) -> Response:
    """Yearly totals with change, and the monthly series (``vrkit trend``)."""
    m, a = measure.value, area.value

    def build(wh: Any) -> tuple[bytes, str]:
        t = tasks.trend(wh, measure=m, area=a, period=period, public=acc.public)
        return json_body(_trend_payload(t, a, period, acc.edition))

    try:
        encoded = memo(request, "trend.json", (m, a, period, acc.public, acc.edition), build)
    except InputError as exc:
        raise _no_data(exc) from exc
    return json_response(request, encoded=encoded)


def _trend_payload(t: tasks.Trend, area: str, period: str, edition: str | None) -> dict[str, Any]:
    sup_m = t.monthly["suppressed"] if "suppressed" in t.monthly else [False] * len(t.monthly)
    sup_t = t.totals["suppressed"] if "suppressed" in t.totals else [False] * len(t.totals)
    return {
        "measure": t.measure,
        "label": t.label,
        "area": area,
        "period": period,
        "edition": edition,
        "disclosure_rule": t.rule,
        "totals": [
            {
                "period": str(r.period),
                "months": int(r.months),
                "total": r.total,
                "change": r.change,
                "pct_change": r.pct_change,
                "suppressed": bool(s),
            }
            for r, s in zip(t.totals.itertuples(), sup_t, strict=True)
        ],
        "monthly": [
            {"month": str(m)[:7], "count": c, "suppressed": bool(s)}
            for m, c, s in zip(t.monthly["month"], t.monthly["count"], sup_m, strict=True)
        ],
    }


@router.get("/reports/violent-crime", response_model=ReportOut, name="api_vcr")
@guard(PUBLIC_VIEW, family=(POLICE, HEALTH), param="area", audit="download")
def violent_crime(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    area: Annotated[str, Query(max_length=80)] = "London",
    year: Annotated[int, Query(ge=2000, le=2100)] = 2020,
) -> Response:
    """The Violent Crime Report as JSON (the same document as ``--format json``)."""
    from vrkit.web.routes.reports import _vcr_files

    _, files = _vcr_files(request, acc, area, year)
    report = json.loads(files["json"].read_text(encoding="utf-8"))
    return json_response(request, {"edition": acc.edition, "report": report})


@router.get("/alerts", response_model=AlertsOut, name="api_alerts")
@guard(ALERTS, family=POLICE)
def alerts(
    request: Request,
    measure: Annotated[MeasureId, Query()] = MeasureId("violence_with_injury"),
    month: Annotated[str, Query(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")] = "2021-06",
) -> Response:
    """Boroughs whose count exceeds what season and trend explain (``vrkit alerts``)."""
    m = measure.value
    try:
        res, records = memo(
            request, "alerts", (m, month), lambda wh: tasks.alerts(wh, measure=m, month=month)
        )
    except InputError as exc:
        raise _no_data(exc) from exc
    data = [
        {k: r.get(k) for k in ("area_code", "area_name", "observed", "expected", "threshold")}
        | {"alert": bool(r.get("alert")), "alert_fdr": bool(r.get("alert_fdr"))}
        for r in records
    ]
    return json_response(
        request,
        {
            "measure": m,
            "month": month,
            "n_tested": int(res.n_tested),
            "n_alerts": int(res.n_alerts),
            "data": data,
        },
    )


@router.get("/datasets", response_model=DatasetPage, name="api_datasets")
@guard(DATASETS)
def datasets(request: Request, page: Page = 1, page_size: PageSize = 100) -> Response:
    """Datasets loaded (``vrkit datasets``), A&E submissions excepted."""
    with gate(request).read() as wh:
        frame = tasks.datasets(wh)
    rows = [
        {
            "dataset_id": int(r.dataset_id),
            "source_kind": r.source_kind,
            "file_name": r.file_name,
            "covers_from": None if pd.isna(r.covers_from) else str(r.covers_from)[:10],
            "covers_to": None if pd.isna(r.covers_to) else str(r.covers_to)[:10],
            "rows_read": int(r.rows_read),
            "rows_loaded": int(r.rows_loaded),
            "rows_rejected": int(r.rows_rejected),
            "sha256": r.sha256,
        }
        for r in frame.itertuples()
        if r.source_kind != "istv"
    ]
    return json_response(request, paged(request, rows, page, page_size))


def _upload(sub: Submission) -> dict[str, Any]:
    return {
        "id": sub.id,
        "site_code": sub.site_code,
        "month": sub.month,
        "revision": sub.revision,
        "status": sub.status,
        "created_at": sub.created_at.isoformat(),
        "result": sub.result,
    }


@router.get("/istv/uploads", response_model=UploadPage, name="api_istv_uploads")
@guard(ISTV_VIEW, family=ISTV, param="department")
def istv_uploads(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    department: Annotated[str | None, Query(max_length=12)] = None,
    page: Page = 1,
    page_size: PageSize = 100,
) -> Response:
    """ISTV uploads the caller may see (its own departments, or all for the VRU)."""
    with db(request).session() as s:
        subs = visible_uploads(s, acc)
    return json_response(request, paged(request, [_upload(x) for x in subs], page, page_size))


@router.get("/istv/uploads/{upload_id}", response_model=Upload, name="api_istv_upload")
@guard(ISTV_VIEW, family=ISTV, param="upload_id", resolve=upload_site)
def istv_upload(
    request: Request, upload_id: Id, acc: Annotated[Access, Depends(access)]
) -> Response:
    """One upload and its validation result (rows and fields, never values)."""
    with db(request).session() as s:
        return json_response(request, _upload(visible_upload(s, acc, upload_id)))


@router.get("/istv/completeness", response_model=CompletenessPage, name="api_istv_completeness")
@guard(ISTV_VIEW, family=ISTV, param="department")
def istv_completeness(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    department: Annotated[str | None, Query(max_length=12)] = None,
    page: Page = 1,
    page_size: PageSize = 100,
) -> Response:
    """Completeness per department and month (``vrkit quality --source istv``)."""
    with gate(request).read() as wh:
        try:
            records = tasks.istv_completeness(wh, acc.codes)
        except InputError:
            records = []
    return json_response(request, paged(request, records, page, page_size))


@router.get("/audit", response_model=AuditPage, name="api_audit")
@guard(ADMIN_AUDIT, audit="audit_read")
def audit(
    request: Request,
    user: Annotated[str | None, Query(max_length=254)] = None,
    action: Annotated[str | None, Query(max_length=60)] = None,
    outcome: Annotated[str | None, Query(max_length=20)] = None,
    page: Page = 1,
    page_size: PageSize = 100,
) -> Response:
    """The audit log, newest first, filtered."""
    f = audit_log.AuditFilter(user=user, action=action, outcome=outcome)
    with db(request).session() as s:
        total, events = audit_log.query(s, f, offset=(page - 1) * page_size, limit=page_size)
    data = [
        {
            "id": e.id,
            "at": e.at.isoformat(),
            "user_email": e.user_email,
            "role": e.role,
            "scope": e.scope,
            "action": e.action,
            "target": e.target,
            "outcome": e.outcome,
        }
        for e in events
    ]
    nxt = None
    if page * page_size < total:
        q = dict(request.query_params)
        q.update(page=str(page + 1), page_size=str(page_size))
        nxt = f"{request.url.path}?{urlencode(q)}"
    return json_response(
        request,
        {
            "data": data,
            "page": page,
            "page_size": page_size,
            "total": total,
            "links": {"next": nxt},
        },
    )


@router.get("/users", response_model=UserPage, name="api_users")
@guard(ADMIN_USERS)
def users(request: Request, page: Page = 1, page_size: PageSize = 100) -> Response:
    """Users, their roles and scopes."""
    with db(request).session() as s:
        rows = [
            {
                "id": u.id,
                "email": u.email,
                "name": u.name,
                "role": u.role,
                "scopes": [{"kind": x.kind, "code": x.code} for x in u.scopes],
                "active": u.active,
            }
            for u in accounts.list_users(s)
        ]
    return json_response(request, paged(request, rows, page, page_size))

"""Administration: users (roles, scopes, status, initial passwords), organisations, and the
audit log viewer. Every change is audited by :mod:`vrkit.ops.accounts` in its transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from vrkit.catalog.areas import resolve_borough
from vrkit.errors import InputError
from vrkit.ops import accounts
from vrkit.ops import audit as audit_log
from vrkit.ops.models import Organisation
from vrkit.ops.roles import ADMIN_AUDIT, ADMIN_USERS, ROLES, SCOPE_KINDS
from vrkit.web.authz import Access, access, guard
from vrkit.web.render import render
from vrkit.web.routes.common import Id, boroughs, db, see_other

router = APIRouter(include_in_schema=False)
PAGE = 50


def parse_scopes(boroughs_: list[str], departments: str) -> list[tuple[str, str]]:
    """Scopes from the form: borough checkboxes (GSS codes) and department codes (text)."""
    out: list[tuple[str, str]] = []
    for b in boroughs_:
        hit = resolve_borough(b)
        if hit is None or hit[2] != "lad":
            raise InputError(f"unknown borough {b!r}")
        out.append(("borough", hit[0]))
    for code in departments.replace(";", ",").split(","):
        code = code.strip().upper()
        if code:
            if not code.isalnum() or not 3 <= len(code) <= 9:
                raise InputError(f"{code!r} is not an ODS site code (3–9 letters or digits)")
            out.append(("department", code))
    return out


def _roles() -> list[tuple[str, str]]:
    return [(r.name, r.label) for r in ROLES.values() if r.signed_in]


def _orgs(request: Request) -> list[Organisation]:
    with db(request).session() as s:
        return list(s.scalars(select(Organisation).order_by(Organisation.name)))


@router.get("/admin/users", response_class=HTMLResponse, name="admin_users")
@guard(ADMIN_USERS)
def users(request: Request) -> Response:
    with db(request).session() as s:
        rows = accounts.list_users(s)
        orgs = {o.id: o.name for o in s.scalars(select(Organisation))}
    return render(
        request, "admin_users.html", {"title": "Users", "users": rows, "orgs": orgs, "roles": ROLES}
    )


@router.get("/admin/users/new", response_class=HTMLResponse, name="admin_user_new")
@guard(ADMIN_USERS)
def new_user_form(request: Request) -> Response:
    return render(
        request,
        "admin_user_form.html",
        {
            "title": "Add a user",
            "user": None,
            "roles": _roles(),
            "boroughs": boroughs(),
            "orgs": _orgs(request),
            "mine": set(),
            "departments": "",
        },
    )


@router.post("/admin/users", response_class=HTMLResponse, name="admin_user_create")
@guard(ADMIN_USERS)
async def create_user(request: Request, acc: Annotated[Access, Depends(access)]) -> Response:
    form = await request.form()
    email = str(form.get("email", ""))[:254]
    name = str(form.get("name", ""))[:200]
    role = str(form.get("role", ""))[:40]
    org = str(form.get("organisation_id", "") or "")
    b = [str(x) for x in form.getlist("boroughs")][:40]
    d = str(form.get("departments", ""))[:400]
    try:
        scopes = parse_scopes(b, d)
        with db(request).session() as s:
            user, initial = accounts.create_user(
                s,
                acc.principal,
                email=email,
                name=name,
                role=role,
                scopes=scopes,
                organisation_id=int(org) if org.isdigit() else None,
            )
    except InputError as exc:
        return render(
            request,
            "admin_user_form.html",
            {
                "title": "Add a user",
                "user": None,
                "roles": _roles(),
                "boroughs": boroughs(),
                "orgs": _orgs(request),
                "errors": [exc.message],
                "mine": set(b),
                "departments": d,
                "email": email,
                "name": name,
                "role": role,
            },
            status=400,
        )
    return render(
        request, "admin_password.html", {"title": "User added", "user": user, "initial": initial}
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse, name="admin_user")
@guard(ADMIN_USERS)
def user_form(request: Request, user_id: Id) -> Response:
    with db(request).session() as s:
        user = accounts.get_user(s, user_id)
        if user is None:
            raise InputError(f"no user {user_id}")
        mine = {sc.code for sc in user.scopes if sc.kind == "borough"}
        depts = ", ".join(sc.code for sc in user.scopes if sc.kind == "department")
    return render(
        request,
        "admin_user_form.html",
        {
            "title": f"User {user.email}",
            "user": user,
            "roles": _roles(),
            "boroughs": boroughs(),
            "orgs": _orgs(request),
            "mine": mine,
            "departments": depts,
        },
    )


@router.post("/admin/users/{user_id}", response_class=HTMLResponse, name="admin_user_update")
@guard(ADMIN_USERS)
async def update_user(
    request: Request, user_id: Id, acc: Annotated[Access, Depends(access)]
) -> Response:
    form = await request.form()
    role = str(form.get("role", ""))[:40]
    active = form.get("active") == "yes"
    org = str(form.get("organisation_id", "") or "")
    b = [str(x) for x in form.getlist("boroughs")][:40]
    d = str(form.get("departments", ""))[:400]
    try:
        scopes = [
            (k, c)
            for k, c in parse_scopes(b, d)
            if k in ROLES.get(role, ROLES["public"]).scope_kinds
        ]
        with db(request).session() as s:
            accounts.change_user(
                s,
                acc.principal,
                user_id,
                role=role,
                scopes=scopes,
                active=active,
                organisation_id=int(org) if org.isdigit() else None,
            )
    except InputError as exc:
        with db(request).session() as s:
            user = accounts.get_user(s, user_id)
        return render(
            request,
            "admin_user_form.html",
            {
                "title": "Change user",
                "user": user,
                "roles": _roles(),
                "boroughs": boroughs(),
                "orgs": _orgs(request),
                "errors": [exc.message],
                "mine": set(b),
                "departments": d,
            },
            status=400,
        )
    return see_other("/admin/users?changed=" + str(user_id))


@router.post(
    "/admin/users/{user_id}/password", response_class=HTMLResponse, name="admin_user_password"
)
@guard(ADMIN_USERS)
def reset_password(
    request: Request, user_id: Id, acc: Annotated[Access, Depends(access)]
) -> Response:
    with db(request).session() as s:
        initial = accounts.reset_password(s, acc.principal, user_id)
        user = accounts.get_user(s, user_id)
    return render(
        request,
        "admin_password.html",
        {"title": "Initial password set", "user": user, "initial": initial},
    )


@router.get("/admin/organisations", response_class=HTMLResponse, name="admin_orgs")
@guard(ADMIN_USERS)
def organisations(request: Request) -> Response:
    return render(request, "admin_orgs.html", {"title": "Organisations", "orgs": _orgs(request)})


@router.post("/admin/organisations", response_class=HTMLResponse, name="admin_org_create")
@guard(ADMIN_USERS)
def create_org(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=40)] = "partner",
    identifier: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    try:
        with db(request).session() as s:
            accounts.upsert_organisation(
                s, acc.principal, name, kind=kind, identifier=identifier or None
            )
    except InputError as exc:
        return render(
            request,
            "admin_orgs.html",
            {"title": "Organisations", "orgs": _orgs(request), "errors": [exc.message]},
            status=400,
        )
    return see_other("/admin/organisations")


@router.get("/admin/audit", response_class=HTMLResponse, name="admin_audit")
@guard(ADMIN_AUDIT, audit="audit_read")
def audit_viewer(
    request: Request,
    user: Annotated[str, Query(max_length=254)] = "",
    action: Annotated[str, Query(max_length=60)] = "",
    outcome: Annotated[str, Query(max_length=20)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    target: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100000)] = 1,
) -> Response:
    def day(text: str) -> datetime | None:
        if not text:
            return None
        try:
            return datetime.fromisoformat(text).astimezone()
        except ValueError as exc:
            raise InputError(f"{text!r} is not a date (YYYY-MM-DD)") from exc

    until_dt = day(until)
    f = audit_log.AuditFilter(
        user=user or None,
        action=action or None,
        outcome=outcome or None,
        since=day(since),
        until=until_dt + timedelta(days=1) if until_dt else None,
        target=target or None,
    )
    with db(request).session() as s:
        total, events = audit_log.query(s, f, offset=(page - 1) * PAGE, limit=PAGE)
    pages = max(1, -(-total // PAGE))
    return render(
        request,
        "admin_audit.html",
        {
            "title": "Audit log",
            "events": events,
            "total": total,
            "page": page,
            "pages": pages,
            "f": f,
            "actions": audit_log.ACTIONS,
            "query": {
                "user": user,
                "action": action,
                "outcome": outcome,
                "since": since,
                "until": until,
                "target": target,
            },
        },
    )


__all__ = ["SCOPE_KINDS", "router"]

"""Home, sign in and out, the account page, password change and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vrkit.errors import InputError
from vrkit.ops import accounts
from vrkit.ops.roles import ACCOUNT, PUBLIC_VIEW, ROLES
from vrkit.web.authz import SESSION_COOKIE, Access, access, guard
from vrkit.web.render import render
from vrkit.web.routes.common import Id, client_ip, db, safe_next, see_other

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse, name="home")
@guard(PUBLIC_VIEW)
def home(request: Request, acc: Annotated[Access, Depends(access)]) -> Response:
    p = acc.principal
    role = ROLES[p.role]
    return render(
        request,
        "home.html",
        {"title": "Home", "role": role, "scopes": sorted(p.scopes)},
    )


@router.get("/sign-in", response_class=HTMLResponse, name="sign_in")
@guard(PUBLIC_VIEW)
def sign_in_page(request: Request, next: str | None = None) -> Response:
    return render(request, "sign_in.html", {"title": "Sign in", "next": safe_next(next)})


GENERIC = "Enter a correct email address and password. After 5 wrong attempts an account is locked for 15 minutes."


@router.post("/sign-in", response_class=HTMLResponse, name="sign_in_post")
@guard(PUBLIC_VIEW)
def sign_in(
    request: Request,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    security = request.app.state.security
    ip = client_ip(request)
    if not security.allow_login(ip):
        return render(
            request,
            "sign_in.html",
            {
                "title": "Sign in",
                "next": safe_next(next),
                "errors": [
                    "Too many sign-in attempts from your address. Wait a minute and try again."
                ],
                "email": email,
            },
            status=429,
            headers={"Retry-After": "60"},
        )
    with db(request).session() as s:
        result = accounts.authenticate(s, email, password, ip=ip)
        token = accounts.start_session(s, result.user) if result.user else None
        must_change = bool(result.user and result.user.must_change_password)
    if token is None:
        return render(
            request,
            "sign_in.html",
            {"title": "Sign in", "next": safe_next(next), "errors": [GENERIC], "email": email},
            status=401,
        )
    cfg = request.app.state.settings
    resp = see_other("/account/password" if must_change else safe_next(next))
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=cfg.cookie_secure,
        samesite="lax",
        max_age=int(cfg.absolute.total_seconds()),
        path="/",
    )
    return resp


@router.post("/sign-out", name="sign_out")
@guard(ACCOUNT)
def sign_out(request: Request, acc: Annotated[Access, Depends(access)]) -> Response:
    from vrkit.ops import audit

    token = request.cookies.get(SESSION_COOKIE, "")
    with db(request).session() as s:
        accounts.end_session(s, token)
        audit.record(s, acc.principal, "sign_out", ip=client_ip(request))
    resp = see_other("/")
    cfg = request.app.state.settings
    resp.delete_cookie(SESSION_COOKIE, httponly=True, secure=cfg.cookie_secure, samesite="lax")
    return resp


@router.get("/account", response_class=HTMLResponse, name="account")
@guard(ACCOUNT)
def account(request: Request, acc: Annotated[Access, Depends(access)]) -> Response:
    with db(request).session() as s:
        tokens = accounts.user_tokens(s, acc.principal.user_id or -1)
    return render(
        request,
        "account.html",
        {"title": "Your account", "tokens": tokens, "role": ROLES[acc.principal.role]},
    )


@router.get("/account/password", response_class=HTMLResponse, name="account_password")
@guard(ACCOUNT)
def password_page(request: Request) -> Response:
    return render(request, "password.html", {"title": "Change your password"})


@router.post("/account/password", response_class=HTMLResponse, name="account_password_post")
@guard(ACCOUNT)
async def password_change(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    current: Annotated[str, Form(max_length=256)] = "",
    new: Annotated[str, Form(max_length=256)] = "",
    confirm: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    errors: list[str] = []
    if new != confirm:
        errors.append("The new passwords do not match.")
    else:

        def change() -> str:
            with db(request).session() as s:
                accounts.change_password(s, acc.principal, current, new)
                accounts.end_sessions(s, acc.principal.user_id or -1)
                from vrkit.ops.models import User

                user = s.get(User, acc.principal.user_id)
                assert user is not None
                return accounts.start_session(s, user)

        try:
            token = await run_in_threadpool(change)
        except InputError as exc:
            errors.append(exc.message + (f" {exc.hint}" if exc.hint else ""))
    if errors:
        return render(
            request,
            "password.html",
            {"title": "Change your password", "errors": errors},
            status=400,
        )
    cfg = request.app.state.settings
    resp = see_other("/?password=changed")
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=cfg.cookie_secure,
        samesite="lax",
        max_age=int(cfg.absolute.total_seconds()),
    )
    return resp


@router.post("/account/tokens", response_class=HTMLResponse, name="token_create")
@guard(ACCOUNT)
def token_create(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    name: Annotated[str, Form(max_length=100)] = "API token",
) -> Response:
    with db(request).session() as s:
        tok, secret = accounts.create_token(s, acc.principal, name)
    return render(
        request,
        "token_created.html",
        {"title": "Your new API token", "token": tok, "secret": secret},
    )


@router.post("/account/tokens/{token_id}/revoke", name="token_revoke")
@guard(ACCOUNT)
def token_revoke(
    request: Request, token_id: Id, acc: Annotated[Access, Depends(access)]
) -> Response:
    with db(request).session() as s:
        accounts.revoke_token(s, acc.principal, token_id)
    return see_other("/account")

"""Authorisation in one place, below every page and API route.

Every route's endpoint carries a :class:`Guard` (set with :func:`guard`): the permission it
needs, and, when it serves data, the data family and the request parameter naming the area or
department. :func:`authorize` is installed as an app-wide dependency, so it runs before every
route, including routes added later; a route without a guard is refused (and
:func:`check_routes` refuses to start an app that has one). It

1. identifies the principal (session cookie, or ``Authorization: Bearer`` API token on
   ``/api/``; otherwise the anonymous public);
2. checks CSRF on every state-changing request made with a cookie;
3. checks the permission; signed-in users who must change their password are sent to do so;
4. resolves the scope parameter to codes and the edition (``full``/``public``/``none``) from
   :meth:`vrkit.ops.roles.Principal.edition`; ``none`` is refused;
5. writes the audit entry for denials at once, and for reads of non-public data once the
   response has been sent (:class:`AuditAfterResponse`: the entry keeps the time of the
   request; the reader does not wait for the database commit);

and leaves an :class:`Access` on ``request.state.access`` for the handler, which must build its
response for that edition and nothing more.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute

from vrkit.catalog.areas import resolve_borough
from vrkit.ops import accounts, audit
from vrkit.ops.models import utcnow
from vrkit.ops.roles import ANONYMOUS, FAMILIES, PUBLIC_VIEW, Edition, Principal

F = TypeVar("F", bound=Callable[..., Any])

SESSION_COOKIE = "vrkit_session"
ANON_COOKIE = "vrkit_anon"
#: routes a user who must change their password may still use
PASSWORD_CHANGE_OK = {"account_password", "account_password_post", "sign_out"}


@dataclass(frozen=True)
class Guard:
    """What a route needs.

    permission : a permission of :mod:`vrkit.ops.roles`.
    family : the data family served (``police``, ``health``, ``istv``...), or None. A route
        serving several families (the Violent Crime Report: police and A&E linkage) names them
        all and gets the most restrictive of their editions.
    param : the path/query/form parameter naming the area or department the request is about.
        When absent from the request the scope is "everything" (``None`` codes).
    resolve : maps (request, value) to the scope codes it covers; default by scope kind.
    audit : the audit action for a read (default ``read`` for non-public data).
    """

    permission: str
    family: tuple[str, ...] | None = None
    param: str | None = None
    resolve: Callable[[Request, str], frozenset[str] | None] | None = None
    audit: str | None = None


def guard(
    permission: str,
    *,
    family: str | tuple[str, ...] | None = None,
    param: str | None = None,
    resolve: Callable[[Request, str], frozenset[str] | None] | None = None,
    audit: str | None = None,
) -> Callable[[F], F]:
    """Declare what an endpoint needs (see :class:`Guard`)."""
    fams = (family,) if isinstance(family, str) else family
    for f in fams or ():
        if f not in FAMILIES:
            raise ValueError(f"unknown data family {f!r}")
        if FAMILIES[f][0] != FAMILIES[fams[0]][0]:  # type: ignore[index]
            raise ValueError("families of one route must share their scope kind")

    def deco(fn: F) -> F:
        fn.__vrkit_guard__ = Guard(permission, fams, param, resolve, audit)  # type: ignore[attr-defined]
        return fn

    return deco


def guard_of(route: APIRoute) -> Guard | None:
    return getattr(route.endpoint, "__vrkit_guard__", None)


@dataclass(frozen=True)
class RouteInfo:
    """One entry of the app's route table (what the role-matrix test enumerates)."""

    path: str
    methods: frozenset[str]
    name: str
    route: APIRoute

    @property
    def guard(self) -> Guard | None:
        return guard_of(self.route)


def route_table(app: Any) -> list[RouteInfo]:
    """Every API route of ``app`` with its effective path, however routers were included."""
    from fastapi.routing import iter_route_contexts

    out = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute):
            out.append(
                RouteInfo(ctx.path or route.path, frozenset(route.methods or ()), route.name, route)
            )
    return out


def check_routes(app: Any) -> None:
    """Refuse an app with a route that declares no guard (fail closed at start-up)."""
    missing = [r.path for r in route_table(app) if r.guard is None]
    if missing:
        raise RuntimeError(f"routes without an authorisation guard: {missing}")


@dataclass(frozen=True)
class Access:
    """The decision for one request, for the handler to honour."""

    principal: Principal
    guard: Guard
    edition: Edition | None = None
    codes: frozenset[str] | None = None
    value: str | None = None

    def visible(self, code: str) -> bool:
        """Whether a unit (area or department code) is within this decision's codes."""
        return self.codes is None or code in self.codes

    @property
    def full(self) -> bool:
        return self.edition == "full"

    @property
    def public(self) -> bool:
        return self.edition != "full"


class Denied(Exception):
    """Refused: 401 (not signed in), 403 (not allowed) or 303 to the password page."""

    def __init__(self, status: int, message: str, *, location: str | None = None) -> None:
        self.status = status
        self.message = message
        self.location = location
        super().__init__(message)


# -- scope resolution --------------------------------------------------------------------------
def resolve_area(_request: Request, value: str) -> frozenset[str] | None:
    """``London`` (or empty) → None (all of London); a borough name or GSS code → its code;
    anything else → an empty set (in nobody's scope, so the public edition or a refusal)."""
    v = value.strip()
    if not v or v.lower() == "london" or v in ("E12000007", "E61000001"):
        return None
    hit = resolve_borough(v)
    if hit is None or hit[2] != "lad":
        return frozenset({"?unknown"})
    return frozenset({hit[0]})


def resolve_code(_request: Request, value: str) -> frozenset[str] | None:
    v = value.strip().upper()
    return frozenset({v}) if v else None


_DEFAULT_RESOLVERS = {"borough": resolve_area, "department": resolve_code}


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _param(request: Request, name: str) -> str | None:
    if name in request.path_params:
        return str(request.path_params[name])
    if name in request.query_params:
        return request.query_params[name]
    if request.method in ("POST", "PUT", "PATCH") and _is_form(request):
        form = await request.form()
        v = form.get(name)
        return v if isinstance(v, str) else None
    return None


def _is_form(request: Request) -> bool:
    ct = request.headers.get("content-type", "")
    return ct.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


_RANK = {"none": 0, "public": 1, "full": 2}
_BEARER = re.compile(r"^Bearer\s+(\S+)$", re.IGNORECASE)


def _identify(request: Request) -> tuple[Principal, str | None]:
    """(principal, session cookie value or None). Runs in a worker thread (database)."""
    db = request.app.state.db
    settings = request.app.state.settings
    header = request.headers.get("authorization")
    if header is not None:
        m = _BEARER.match(header)
        if not request.url.path.startswith("/api/") or not m:
            raise Denied(401, "API tokens are accepted on /api/ only, as 'Bearer <token>'")
        with db.session() as s:
            user = accounts.token_user(s, m.group(1))
            if user is not None:
                return accounts.principal_of(user, "token"), None
            audit.record(
                s,
                ANONYMOUS,
                "denied",
                target=request.url.path,
                outcome="denied",
                ip=_client_ip(request),
                detail={"reason": "invalid, expired or revoked API token"},
            )
        raise Denied(401, "the API token is not valid (revoked, expired or mistyped)")
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return ANONYMOUS, None
    with db.session() as s:
        found = accounts.resume_session(s, token, idle=settings.idle, absolute=settings.absolute)
        if found is None:
            request.state.clear_session = True
            return ANONYMOUS, None
        return accounts.principal_of(found[0], "session"), token


def _audit(request: Request, who: Principal, action: str, **kw: Any) -> None:
    with request.app.state.db.session() as s:
        audit.record(s, who, action, ip=_client_ip(request), **kw)


class AuditAfterResponse:
    """Pure ASGI middleware: writes the read audit entry :func:`authorize` left in the request
    state after the response has gone out, whatever the handler did (answered, failed or
    raised). The entry is stamped with the time the request was authorised."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            pending = (scope.get("state") or {}).pop("audit_after", None)
            if pending is not None:
                await run_in_threadpool(_write_pending, *pending)


def _write_pending(db: Any, who: Principal, action: str, at: Any, kw: dict[str, Any]) -> None:
    with db.session() as s:
        ev = audit.record(s, who, action, **kw)
        ev.at = at


async def authorize(request: Request) -> None:
    """The app-wide dependency: see the module docstring."""
    route = request.scope.get("route")
    endpoint = request.scope.get("endpoint")
    g: Guard | None = getattr(endpoint, "__vrkit_guard__", None)
    if g is None:
        raise Denied(403, "this route declares no access rule, so it is refused")
    principal, session_token = await run_in_threadpool(_identify, request)
    request.state.principal = principal
    request.state.session_token = session_token
    security = request.app.state.security
    if request.method not in ("GET", "HEAD", "OPTIONS") and principal.via != "token":
        await security.check_csrf(request, session_token)
    if not principal.has(g.permission):
        if not principal.signed_in:
            raise Denied(401, "sign in to see this page")
        await run_in_threadpool(
            _audit,
            request,
            principal,
            "denied",
            target=request.url.path,
            outcome="denied",
            detail={"permission": g.permission},
        )
        raise Denied(403, "your role does not allow this")
    name = getattr(route, "name", "")
    if (
        principal.must_change_password
        and principal.via == "session"
        and name not in PASSWORD_CHANGE_OK
    ):
        raise Denied(303, "change your initial password first", location="/account/password")
    edition: Edition | None = None
    codes: frozenset[str] | None = None
    value: str | None = None
    if g.family is not None:
        kind = FAMILIES[g.family[0]][0]
        value = await _param(request, g.param) if g.param else None
        resolver = g.resolve or _DEFAULT_RESOLVERS.get(kind, resolve_code)
        codes = await run_in_threadpool(resolver, request, value) if value is not None else None
        if codes is None and any(principal.role_def.rule(f) == "own" for f in g.family):
            # a listing with no unit named: what the principal may see is its own scope; the
            # handler filters to ``access.codes``
            codes = principal.scope_codes(kind)
        editions: list[Edition] = [principal.edition(f, codes) for f in g.family]
        edition = min(editions, key=lambda e: _RANK[str(e)])
        if edition == "none":
            await run_in_threadpool(
                _audit,
                request,
                principal,
                "denied",
                target=request.url.path,
                outcome="denied",
                detail={"family": list(g.family), "scope": sorted(codes or [])},
            )
            raise Denied(403, "this is outside your scope")
    request.state.access = Access(principal, g, edition, codes, value)
    non_public = edition == "full" or (g.family is None and g.permission != PUBLIC_VIEW)
    action = g.audit or ("read" if non_public and request.method == "GET" else None)
    if action and principal.signed_in:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        request.state.audit_after = (
            request.app.state.db,
            principal,
            action,
            utcnow(),
            {
                "target": target,
                "ip": _client_ip(request),
                "detail": {"edition": edition, "family": list(g.family)} if g.family else None,
            },
        )


def access(request: Request) -> Access:
    """The handler's view of the decision (use as ``Depends(access)``)."""
    acc: Access | None = getattr(request.state, "access", None)
    if acc is None:  # cannot happen: authorize runs first; fail closed anyway
        raise Denied(403, "no access decision")
    return acc

"""The portal's app factory: ``create_app()`` (what ``vrkit serve`` runs under uvicorn).

Everything is wired here: the operational database (migrated at start), the warehouse gate, the
job queue worker, security headers, the one authorisation dependency (app-wide, so every route
added to any router is covered), error pages, static assets and the routers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from vrkit._version import __version__
from vrkit.config import Settings, get_settings
from vrkit.errors import InputError, StorageError, VrkitError
from vrkit.ops.db import Database
from vrkit.web.authz import (
    ANON_COOKIE,
    SESSION_COOKIE,
    AuditAfterResponse,
    Denied,
    authorize,
    check_routes,
)
from vrkit.web.cache import Memo, ReportCache
from vrkit.web.jobs import JobRunner
from vrkit.web.render import render, templates
from vrkit.web.security import Security, SecurityHeaders
from vrkit.web.warehouse import WarehouseBusy, WarehouseGate

log = logging.getLogger("vrkit.web")
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class WebConfig:
    """Settings the handlers read (from :class:`vrkit.config.Settings`)."""

    store: Path
    idle: timedelta
    absolute: timedelta
    cookie_secure: bool
    upload_max_bytes: int
    upload_dir: Path
    cache_dir: Path
    web_lock_wait: float
    lock_wait: float


class SessionCookies:
    """Pure ASGI middleware: sets the pre-session cookie a form handed out (CSRF binding) and
    clears a session cookie that timed out, from what the request left in ``request.state``."""

    def __init__(self, app: Any, *, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_cookies(message: Any) -> None:
            if message["type"] == "http.response.start":
                state = scope.get("state") or {}
                extra = Response()
                anon = state.get("new_anon")
                if anon and ANON_COOKIE + "=" not in _cookie_header(scope):
                    extra.set_cookie(
                        ANON_COOKIE,
                        anon,
                        httponly=True,
                        secure=self.secure,
                        samesite="strict",
                        max_age=3600 * 12,
                    )
                if state.get("clear_session"):
                    extra.delete_cookie(
                        SESSION_COOKIE, httponly=True, secure=self.secure, samesite="lax"
                    )
                cookies = [(k, v) for k, v in extra.raw_headers if k == b"set-cookie"]
                if cookies:
                    message["headers"] = list(message.get("headers", [])) + cookies
            await send(message)

        await self.app(scope, receive, send_cookies)


def _cookie_header(scope: Any) -> str:
    for k, v in scope.get("headers", []):
        if k == b"cookie":
            return str(v.decode("latin-1"))
    return ""


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def create_app(
    settings: Settings | None = None,
    *,
    store: Path | None = None,
    database_url: str | None = None,
    run_jobs: bool = True,
) -> FastAPI:
    """Build the portal app.

    Parameters
    ----------
    settings : Settings, optional
        Default from the ``VRKIT_*`` environment.
    store : Path, optional
        The warehouse (default ``VRKIT_STORE``).
    database_url : str, optional
        The operational database (default ``VRKIT_DATABASE_URL``); migrated on creation.
    run_jobs : bool
        Start the job queue's worker thread with the app (tests may run jobs by hand).
    """
    settings = settings or get_settings()
    db = Database(database_url or settings.database_url)
    db.migrate()
    cfg = WebConfig(
        store=Path(store or settings.store),
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
        cookie_secure=settings.cookie_secure,
        upload_max_bytes=int(settings.upload_max_mb * 1024 * 1024),
        upload_dir=Path(settings.upload_dir),
        cache_dir=Path(settings.cache_dir),
        web_lock_wait=settings.web_lock_wait,
        lock_wait=settings.lock_wait,
    )
    cfg.upload_dir.mkdir(parents=True, exist_ok=True)
    gate = WarehouseGate(cfg.store, settings)
    jobs = JobRunner(db, gate, cfg.upload_dir)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if run_jobs:
            jobs.start()
        yield
        jobs.stop()
        gate.close()
        db.dispose()

    app = FastAPI(
        title="vrkit partner portal API",
        version=__version__,
        description=(
            "The core data set of a Violence Reduction Unit, shared by role and area. "
            "Authenticate with `Authorization: Bearer <token>` (create a token under "
            "Account → API tokens). Lists are paged (`page`, `page_size`); every JSON response "
            "carries an ETag and honours `If-None-Match`. What a response holds depends on the "
            "caller's role and scope: outside it, the public (disclosure-controlled) edition."
        ),
        dependencies=[Depends(authorize)],
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = cfg
    app.state.vrkit_settings = settings
    app.state.db = db
    app.state.gate = gate
    app.state.jobs = jobs
    app.state.security = Security(
        settings.secret_key or db.instance_secret(), login_per_minute=settings.login_rate_per_minute
    )
    app.state.cache = ReportCache(cfg.cache_dir)
    app.state.memo = Memo()
    app.add_middleware(SecurityHeaders, hsts=cfg.cookie_secure)

    app.add_middleware(SessionCookies, secure=cfg.cookie_secure)
    app.add_middleware(AuditAfterResponse)
    _errors(app)
    from vrkit.web.routes import ROUTERS

    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # GOV.UK Frontend's CSS refers to its fonts and images under /assets/
    app.mount("/assets", StaticFiles(directory=STATIC / "govuk" / "assets"), name="assets")
    check_routes(app)
    return app


def _errors(app: FastAPI) -> None:
    def page(request: Request, status: int, title: str, message: str, **headers: str) -> Response:
        if _is_api(request):
            return JSONResponse({"error": message}, status_code=status, headers=headers or None)
        return render(
            request,
            "error.html",
            {"title": title, "message": message, "status": status},
            status=status,
            headers=headers or None,
        )

    @app.exception_handler(Denied)
    async def denied(request: Request, exc: Denied) -> Response:
        response = await _denied(request, exc)
        # tells clients (and the role-matrix test) that the authorisation layer refused
        response.headers["X-Access-Decision"] = "denied"
        return response

    async def _denied(request: Request, exc: Denied) -> Response:
        if exc.status == 303 and exc.location:
            return RedirectResponse(exc.location, status_code=303)
        if (
            exc.status == 401
            and not _is_api(request)
            and request.method == "GET"
            and "authorization" not in request.headers
        ):
            nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            from urllib.parse import quote

            return RedirectResponse(f"/sign-in?next={quote(nxt)}", status_code=303)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 and _is_api(request) else {}
        title = {401: "Sign in", 403: "Not allowed", 404: "Not found"}.get(exc.status, "Error")
        return page(request, exc.status, title, exc.message, **headers)

    @app.exception_handler(WarehouseBusy)
    async def busy(request: Request, exc: WarehouseBusy) -> Response:
        return page(
            request,
            503,
            "The data are being updated",
            "A load is running; this page will be ready in a minute or two. Try again shortly.",
            **{"Retry-After": "30"},
        )

    @app.exception_handler(StorageError)
    async def storage(request: Request, exc: StorageError) -> Response:
        log.warning("storage: %s", exc.message)
        return page(
            request,
            503,
            "No data yet",
            "The warehouse has no data loaded yet.",
            **{"Retry-After": "60"},
        )

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> Response:
        return page(
            request, 400, "Check your choices", exc.message + (f" {exc.hint}" if exc.hint else "")
        )

    @app.exception_handler(VrkitError)
    async def vrkit_error(request: Request, exc: VrkitError) -> Response:
        return page(request, 422, "This cannot be shown", exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse(
                {
                    "error": "invalid request",
                    "detail": [
                        {"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))}
                        for e in exc.errors()
                    ],
                },
                status_code=422,
            )
        return page(request, 400, "Check your choices", "Some of the values given are not valid.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            detail = (
                exc.detail if isinstance(exc.detail, str) and exc.detail != "Not Found" else None
            )
            return page(request, 404, "Not found", detail or "There is no page at this address.")
        if exc.status_code == 405:
            return page(request, 405, "Not allowed", "This address does not accept this method.")
        return page(request, exc.status_code, "Error", str(exc.detail))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return page(request, 500, "Sorry, something went wrong", "The error has been logged.")


__all__ = ["create_app", "templates"]

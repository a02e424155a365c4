"""Jinja2 templates (GOV.UK Frontend markup) and the one render helper."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from vrkit._version import __version__
from vrkit.ops.roles import (
    ADMIN_AUDIT,
    ADMIN_USERS,
    ALERTS,
    ANONYMOUS,
    DATASETS,
    ISTV_UPLOAD,
    ISTV_VIEW,
    PUBLIC_VIEW,
    ROLES,
    Principal,
)

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["version"] = __version__
templates.env.globals["years_pairs"] = lambda years: [(y, str(y)) for y in years]

#: the service navigation: (label, path, permission); later features append to it
NAVIGATION: list[tuple[str, str, str]] = [
    ("Reports", "/reports", PUBLIC_VIEW),
    ("Trends", "/trends", PUBLIC_VIEW),
    ("Data tool", "/datatool", PUBLIC_VIEW),
    ("Hot spots", "/hotspots", PUBLIC_VIEW),
    ("Alerts", "/alerts", ALERTS),
    ("Datasets", "/datasets", DATASETS),
    ("ISTV returns", "/istv", ISTV_UPLOAD),
    ("ISTV returns", "/istv", ISTV_VIEW),
    ("Users", "/admin/users", ADMIN_USERS),
    ("Audit log", "/admin/audit", ADMIN_AUDIT),
]


def nav_for(principal: Principal, path: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for label, href, perm in NAVIGATION:
        if href in seen or not principal.has(perm):
            continue
        seen.add(href)
        out.append({"label": label, "href": href, "active": path.startswith(href)})
    return out


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    principal: Principal = getattr(request.state, "principal", ANONYMOUS)
    security = request.app.state.security
    ctx = {
        "principal": principal,
        "role_label": ROLES[principal.role].label,
        "nav": nav_for(principal, request.url.path),
        "csrf_token": security.token(request),
        "path": request.url.path,
    }
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status, headers=headers)

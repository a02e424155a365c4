"""The portal's routers. A feature adds its router to :data:`ROUTERS`; the app-wide
authorisation dependency covers it, and the role-matrix test enumerates its routes."""

from __future__ import annotations

from fastapi import APIRouter

from vrkit.web.routes import admin, api, explore, istv, pages, reports

ROUTERS: list[APIRouter] = [
    pages.router,
    reports.router,
    explore.router,
    istv.router,
    admin.router,
    api.router,
]

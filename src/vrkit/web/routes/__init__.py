"""The portal's routers. A feature adds its router to :data:`ROUTERS`; the app-wide
authorisation dependency covers it, and the role-matrix test enumerates its routes."""

from __future__ import annotations

from fastapi import APIRouter

from vrkit.web.routes import (
    admin,
    api,
    datatool,
    delivery,
    delivery_api,
    directory,
    explore,
    hotspots,
    istv,
    oruk_api,
    pages,
    plans,
    plans_api,
    reports,
    tracker,
)

ROUTERS: list[APIRouter] = [
    pages.router,
    reports.router,
    explore.router,
    datatool.router,  # the data tool (need index ranking)
    datatool.api,
    hotspots.router,  # the hot spot map
    istv.router,
    admin.router,
    api.router,
    delivery.router,  # issue #15: commissioners and providers
    delivery_api.router,
    directory.router,  # issue #17: the diversion directory
    oruk_api.router,  # issue #17: the Open Referral UK API
    plans.router,  # issue #17: local action plans
    tracker.router,  # issue #17: the needs-assessment tracker
    plans_api.router,
]

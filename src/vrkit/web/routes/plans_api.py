"""``/api/v1`` JSON for the action plans and the needs-assessment tracker (issue #17), with the
same authorisation as the pages: a plan in the caller's edition (the public edition exists only
for a published plan), the 32 plans of a year, the tracker."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from vrkit.ops.plans import workflow as wf
from vrkit.ops.plans.policy import PLAN
from vrkit.ops.roles import PUBLIC_VIEW
from vrkit.web.authz import Access, access, guard
from vrkit.web.routes.api import ERRORS, json_response
from vrkit.web.routes.common import db

router = APIRouter(prefix="/api/v1", tags=["plans"], responses=ERRORS)


class PlanSummary(BaseModel):
    borough_code: str
    borough_name: str
    year: int
    financial_year: str
    status: str | None
    actions: int | None
    url: str | None


class PlanList(BaseModel):
    year: int
    data: list[PlanSummary]


class PlanOut(BaseModel):
    borough_code: str
    borough_name: str
    year: int
    financial_year: str
    status: str
    edition: str
    sections: list[dict[str, Any]]
    priorities: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    profile: dict[str, Any] | None


class TrackerOut(BaseModel):
    source: str
    items: list[dict[str, Any]]
    by_status: list[dict[str, Any]]


@router.get("/plans", response_model=PlanList, name="api_plans")
@guard(PUBLIC_VIEW)
def plans(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    """The 32 boroughs' plans for a year: the state of each plan the caller may see (published
    plans for everyone; others for their partnership and the reviewers)."""
    from vrkit.tasks.action_plans import plans_for

    with db(request).session() as s:
        y, _, found = plans_for(s, acc.principal, year)
        rows = [
            {
                "borough_code": code,
                "borough_name": name,
                "year": y,
                "financial_year": wf.fy_label(y),
                "status": plan.status if plan else None,
                "actions": len(plan.actions) if plan else None,
                "url": f"/api/v1/plans/{code}/{y}" if plan else None,
            }
            for code, name, plan in found
        ]
    return json_response(request, {"year": y, "data": rows})


@router.get("/plans/{area}/{year}", response_model=PlanOut, name="api_plan")
@guard(PUBLIC_VIEW, family=PLAN, param="area")
def plan(
    request: Request,
    area: Annotated[str, Path(max_length=80)],
    year: Annotated[int, Path(ge=2000, le=2100)],
    acc: Annotated[Access, Depends(access)],
) -> Response:
    """One plan, in the edition the caller's role and scope allow."""
    from vrkit.web.routes.plans import _doc

    doc = _doc(request, acc, area, year)
    return json_response(request, doc)


@router.get("/tracker", response_model=TrackerOut, name="api_tracker")
@guard(PUBLIC_VIEW)
def tracker(request: Request) -> Response:
    """The needs-assessment tracker (public edition)."""
    from vrkit.tasks.sna_tracker import tracker_document

    with db(request).session() as s:
        doc = tracker_document(s, public=True)
    return json_response(
        request, {"source": doc["source"], "items": doc["items"], "by_status": doc["by_status"]}
    )


__all__ = ["HTTPException", "router"]

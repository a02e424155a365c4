"""Local violence reduction action plans in the portal (issue #17): the 32 plans, a plan page
(full edition for its partnership and the VRU/MPS reviewers, the public edition of a published
plan for everyone else), writing (sections, priorities, actions), the profile refreshed from the
warehouse through the job queue, the review workflow with comments, progress across the plans,
and downloads (printable HTML, XLSX, JSON).

Reads are the ``plan`` family (borough scope, public edition); changes are the ``plan_work``
family (a partnership's own borough; the reviewers everywhere), each route with one permission.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vrkit.catalog.action_plans import template
from vrkit.errors import InputError
from vrkit.ops.plans import workflow as wf
from vrkit.ops.plans.models import ActionPlan
from vrkit.ops.plans.policy import (
    PLAN,
    PLAN_WORK,
    PLANS_COMMENT,
    PLANS_EDIT,
    PLANS_PROGRESS,
    PLANS_REFRESH,
    PLANS_REVIEW,
)
from vrkit.ops.roles import PUBLIC_VIEW
from vrkit.web.authz import Access, access, guard
from vrkit.web.jobs import JOB_KINDS
from vrkit.web.render import NAVIGATION, render
from vrkit.web.routes.common import client_ip, db, see_other

router = APIRouter(include_in_schema=False)
NAVIGATION.insert(3, ("Action plans", "/plans", PUBLIC_VIEW))
NAVIGATION.append(("Plan progress", "/plans/progress", PLANS_PROGRESS))

Area = Annotated[str, Path(max_length=80)]
Year = Annotated[int, Path(ge=2000, le=2100)]
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
MEDIA = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def _plan(s: Any, area: str, year: int) -> ActionPlan:
    from vrkit.tasks.action_plans import resolve_borough_code

    try:
        code, name = resolve_borough_code(area)
    except InputError as exc:
        raise HTTPException(404, exc.message) from exc
    plan = wf.get_plan(s, code, year)
    if plan is None:
        raise HTTPException(404, f"{name} has no plan for {wf.fy_label(year)}.")
    return plan


def _doc(request: Request, acc: Access, area: str, year: int) -> dict[str, Any]:
    """The plan in the caller's edition; a plan that is not published has no public edition."""
    from vrkit.tasks.action_plans import plan_document

    with db(request).session() as s:
        plan = _plan(s, area, year)
        if acc.public and plan.status != "published":
            raise HTTPException(404, f"The {plan.borough_name} plan is not published yet.")
        return plan_document(s, plan, public=acc.public)


def _profile_job(request: Request, plan_id: int) -> dict[str, Any] | None:
    """The newest profile job of a plan (queued, running, done or failed)."""
    from sqlalchemy import select

    from vrkit.ops.models import Job

    with db(request).session() as s:
        jobs = s.scalars(
            select(Job).where(Job.kind == "plan_profile").order_by(Job.id.desc()).limit(200)
        )
        for j in jobs:
            if j.payload.get("plan_id") == plan_id:
                return {"status": j.status, "message": j.message, "at": j.created_at}
    return None


# -- the 32 plans ------------------------------------------------------------------------------
@router.get("/plans", response_class=HTMLResponse, name="plans")
@guard(PUBLIC_VIEW)
def plans_index(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    """Every borough's plan for a year: published plans for everyone; the others only where the
    policy gives the caller the plan's full edition (its partnership, the reviewers)."""
    from vrkit.tasks.action_plans import plans_for

    p = acc.principal
    with db(request).session() as s:
        year, years, found = plans_for(s, p, year)
        rows = [
            {
                "code": code,
                "name": name,
                "status": wf.STATUSES[plan.status] if plan else None,
                "raw": plan.status if plan else None,
                "link": plan is not None,
                "mine": code in p.scope_codes("borough"),
                "demo": bool(plan and plan.data_label),
                "actions": len(plan.actions) if plan else None,
            }
            for code, name, plan in found
        ]
    return render(
        request,
        "plans_index.html",
        {
            "title": "Local violence reduction action plans",
            "year": year,
            "fy": wf.fy_label(year),
            "years": years,
            "rows": rows,
            "can_create": p.has(PLANS_REVIEW),
            "can_progress": p.has(PLANS_PROGRESS),
        },
    )


@router.post("/plans/create", name="plans_create")
@guard(PLANS_REVIEW)
def plans_create(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    year: Annotated[int, Form(ge=2000, le=2100)] = 2021,
) -> Response:
    """A draft plan for each borough that has none for the year (the VRU opens a round)."""
    from vrkit.tasks.action_plans import create_plans

    with db(request).session() as s:
        create_plans(s, acc.principal, year)
    return see_other(f"/plans?year={year}")


# -- one plan ----------------------------------------------------------------------------------
def _page_context(request: Request, acc: Access, area: str, year: int) -> dict[str, Any]:
    from vrkit.web.charts import line_chart

    doc = _doc(request, acc, area, year)
    p = acc.principal
    t = template()
    code = doc["borough_code"]
    work = p.edition(PLAN_WORK, frozenset({code})) == "full"
    prof = doc.get("profile") or {}
    charts = []
    for m in ("violence_with_injury", "violence_against_the_person"):
        rows = [r for r in prof.get("monthly", []) if r.get("measure") == m]
        if rows:
            months = [date(int(r["year"]), int(r["month_num"]), 1) for r in rows]
            values = [r.get("count") for r in rows]
            charts.append(line_chart(months, values, title=f"{rows[0]['label']}, by month"))
    job = _profile_job(request, doc["id"]) if "id" in doc else None
    moves = [
        m for m in wf.MOVES.values() if doc["status"] in m.sources and p.has(m.permission) and work
    ]
    return {
        "title": f"{doc['borough_name']} action plan {doc['financial_year']}",
        "p": doc,
        "t": t,
        "prof": prof,
        "charts": charts,
        "full": acc.full,
        "can_edit": p.has(PLANS_EDIT) and work and doc["status"] in wf.EDITABLE,
        "can_refresh": p.has(PLANS_REFRESH) and work and doc["status"] != "published",
        "can_comment": p.has(PLANS_COMMENT) and work and doc["status"] != "published",
        "can_status": p.has(PLANS_EDIT) and work,
        "moves": moves,
        "job": job,
        "area": code,
        "year": year,
        "statuses": list(t.action_statuses),
    }


@router.get("/plans/{area}/{year}", response_class=HTMLResponse, name="plan_page")
@guard(PUBLIC_VIEW, family=PLAN, param="area")
def plan_page(
    request: Request, area: Area, year: Year, acc: Annotated[Access, Depends(access)]
) -> Response:
    return render(request, "plan_page.html", _page_context(request, acc, area, year))


@router.get("/plans/{area}/{year}/print", response_class=HTMLResponse, name="plan_print")
@guard(PUBLIC_VIEW, family=PLAN, param="area")
def plan_print(
    request: Request, area: Area, year: Year, acc: Annotated[Access, Depends(access)]
) -> Response:
    """The plan laid out for printing (the browser's print stylesheet drops the navigation)."""
    ctx = _page_context(request, acc, area, year)
    ctx["printing"] = True
    return render(request, "plan_page.html", ctx)


@router.get("/plans/{area}/{year}/download/{fmt}", name="plan_download")
@guard(PUBLIC_VIEW, family=PLAN, param="area", audit="download")
def plan_download(
    request: Request,
    area: Area,
    year: Year,
    fmt: Annotated[str, Path(pattern="^(html|xlsx|json)$")],
    acc: Annotated[Access, Depends(access)],
) -> Response:
    """The plan as a self-contained printable HTML file, an XLSX workbook or JSON."""
    import tempfile
    from pathlib import Path as FsPath

    from vrkit.reports.plans import plan_html, plan_xlsx

    doc = _doc(request, acc, area, year)
    stem = f"action-plan-{doc['borough_name'].lower().replace(' ', '-')}-{year}-{doc['edition']}"
    if fmt == "json":
        body = json.dumps(doc, indent=2, ensure_ascii=False).encode()
    elif fmt == "html":
        body = plan_html(doc, template()).encode()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            body = plan_xlsx(doc, FsPath(tmp) / "plan.xlsx").read_bytes()
    return Response(
        body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )


@router.get("/plans/{area}/{year}/edit", response_class=HTMLResponse, name="plan_edit")
@guard(PLANS_EDIT, family=PLAN_WORK, param="area")
def plan_edit(
    request: Request, area: Area, year: Year, acc: Annotated[Access, Depends(access)]
) -> Response:
    return render(request, "plan_edit.html", _edit_context(request, acc, area, year))


def _edit_context(
    request: Request, acc: Access, area: str, year: int, **extra: Any
) -> dict[str, Any]:
    doc = _doc(request, acc, area, year)
    t = template()
    return {
        "title": f"Write the {doc['borough_name']} plan",
        "p": doc,
        "t": t,
        "area": doc["borough_code"],
        "year": year,
        "themes": list(t.themes),
        "statuses": list(t.action_statuses),
        "priorities": [(str(x["id"]), x["title"]) for x in doc["priorities"]],
        "editable": doc["status"] in wf.EDITABLE,
        **extra,
    }


async def _guarded(
    request: Request,
    acc: Access,
    area: str,
    year: int,
    fn: Any,
    *,
    ok: str | None = None,
    on_plan_page: bool = False,
) -> Response:
    """Run a change ``fn(session, plan)``; then see ``ok`` (default the edit page). On a rule
    broken, the edit page (or the plan page) again with the message (400), nothing stored."""

    def run() -> str | None:
        with db(request).session() as s:
            plan = _plan(s, area, year)
            try:
                fn(s, plan)
            except InputError as exc:
                s.rollback()
                return exc.message + (f" {exc.hint}" if exc.hint else "")
        return None

    problem = await run_in_threadpool(run)
    if problem is None:
        return see_other(ok or f"/plans/{area}/{year}/edit?saved=1")
    if on_plan_page:
        ctx = await run_in_threadpool(_page_context, request, acc, area, year)
        ctx["errors"] = [problem]
        return render(request, "plan_page.html", ctx, status=400)
    ctx = await run_in_threadpool(_edit_context, request, acc, area, year, errors=[problem])
    return render(request, "plan_edit.html", ctx, status=400)


@router.post("/plans/{area}/{year}/sections/{section_id}", name="plan_section_post")
@guard(PLANS_EDIT, family=PLAN_WORK, param="area")
async def plan_section(
    request: Request,
    area: Area,
    year: Year,
    section_id: Annotated[str, Path(pattern="^[a-z_]{1,40}$")],
    acc: Annotated[Access, Depends(access)],
    version: Annotated[int, Form(ge=0, le=2_147_483_647)] = 0,
) -> Response:
    form = await request.form()
    try:
        sec = template().section(section_id)
    except InputError as exc:
        raise HTTPException(404, exc.message) from exc
    values = {f.id: str(form.get(f.id, ""))[:20000] for f in sec.fields if f.id in form}
    return await _guarded(
        request,
        acc,
        area,
        year,
        lambda s, plan: wf.set_fields(
            s,
            acc.principal,
            plan,
            section_id,
            values,
            base_version=version or None,
            ip=client_ip(request),
        ),
    )


@router.post("/plans/{area}/{year}/priorities", name="plan_priority_add")
@guard(PLANS_EDIT, family=PLAN_WORK, param="area")
async def plan_priority_add(
    request: Request,
    area: Area,
    year: Year,
    acc: Annotated[Access, Depends(access)],
    title: Annotated[str, Form(max_length=300)] = "",
    rationale: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    return await _guarded(
        request,
        acc,
        area,
        year,
        lambda s, plan: wf.add_priority(
            s, acc.principal, plan, title, rationale, ip=client_ip(request)
        ),
    )


@router.post("/plans/{area}/{year}/priorities/{priority_id}/delete", name="plan_priority_delete")
@guard(PLANS_EDIT, family=PLAN_WORK, param="area")
async def plan_priority_delete(
    request: Request,
    area: Area,
    year: Year,
    priority_id: Id,
    acc: Annotated[Access, Depends(access)],
) -> Response:
    return await _guarded(
        request,
        acc,
        area,
        year,
        lambda s, plan: wf.remove_priority(
            s, acc.principal, plan, priority_id, ip=client_ip(request)
        ),
    )


async def _action_form(request: Request) -> dict[str, Any]:
    form = await request.form()
    keys = (
        "title",
        "description",
        "theme",
        "owner",
        "partners",
        "due_date",
        "status",
        "priority_id",
        "programme_refs",
        "measures",
    )
    return {k: str(form.get(k, ""))[:4000] for k in keys if k in form}


@router.post("/plans/{area}/{year}/actions", name="plan_action_add")
@guard(PLANS_EDIT, family=PLAN_WORK, param="area")
async def plan_action_add(
    request: Request, area: Area, year: Year, acc: Annotated[Access, Depends(access)]
) -> Response:
    fields = await _action_form(request)
    return await _guarded(
        request,
        acc,
        area,
        year,
        lambda s, plan: wf.add_action(s, acc.principal, plan, fields, ip=client_ip(request)),
    )


@router.post("/plans/{area}/{year}/actions/{action_id}", name="plan_action_update")
@guard(PLANS_EDIT, family=PLAN_WORK, param="area")
async def plan_action_update(
    request: Request, area: Area, year: Year, action_id: Id, acc: Annotated[Access, Depends(access)]
) -> Response:
    """Change an action (only its status once the plan is submitted or published)."""
    fields = await _action_form(request)
    return await _guarded(
        request,
        acc,
        area,
        year,
        lambda s, plan: wf.update_action(
            s, acc.principal, plan, action_id, fields, ip=client_ip(request)
        ),
    )


@router.post("/plans/{area}/{year}/actions/{action_id}/delete", name="plan_action_delete")
@guard(PLANS_EDIT, family=PLAN_WORK, param="area")
async def plan_action_delete(
    request: Request, area: Area, year: Year, action_id: Id, acc: Annotated[Access, Depends(access)]
) -> Response:
    return await _guarded(
        request,
        acc,
        area,
        year,
        lambda s, plan: wf.remove_action(s, acc.principal, plan, action_id, ip=client_ip(request)),
    )


# -- profile, workflow, comments ---------------------------------------------------------------
@router.post("/plans/{area}/{year}/refresh", name="plan_refresh")
@guard(PLANS_REFRESH, family=PLAN_WORK, param="area")
def plan_refresh(
    request: Request, area: Area, year: Year, acc: Annotated[Access, Depends(access)]
) -> Response:
    """Queue a recomputation of the plan's profile from the warehouse (it takes a minute)."""
    from vrkit.web.jobs import enqueue

    with db(request).session() as s:
        plan = _plan(s, area, year)
        if plan.status == "published":
            raise HTTPException(409, "A published plan keeps the profile it was published with.")
        plan_id = plan.id
    enqueue(
        db(request),
        "plan_profile",
        {"plan_id": plan_id, "by": acc.principal.email, "role": acc.principal.role},
        user_id=acc.principal.user_id,
    )
    request.app.state.jobs.wake()
    return see_other(f"/plans/{area}/{year}?refresh=queued")


async def _move(
    request: Request, acc: Access, area: str, year: int, step: str, comment: str
) -> Response:
    return await _guarded(
        request,
        acc,
        area,
        year,
        lambda s, plan: wf.move(
            s, acc.principal, plan, step, comment=comment, ip=client_ip(request)
        ),
        ok=f"/plans/{area}/{year}?moved={step}",
        on_plan_page=True,
    )


@router.post("/plans/{area}/{year}/submit", name="plan_submit")
@guard(PLANS_EDIT, family=PLAN_WORK, param="area")
async def plan_submit(
    request: Request,
    area: Area,
    year: Year,
    acc: Annotated[Access, Depends(access)],
    step: Annotated[str, Form(pattern="^(submit|resubmit)$")] = "submit",
    comment: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    return await _move(request, acc, area, year, step, comment)


@router.post("/plans/{area}/{year}/review", name="plan_review")
@guard(PLANS_REVIEW, family=PLAN_WORK, param="area")
async def plan_review(
    request: Request,
    area: Area,
    year: Year,
    acc: Annotated[Access, Depends(access)],
    step: Annotated[str, Form(pattern="^(start_review|request_changes|publish)$")] = "start_review",
    comment: Annotated[str, Form(max_length=8000)] = "",
) -> Response:
    return await _move(request, acc, area, year, step, comment)


@router.post("/plans/{area}/{year}/comments", name="plan_comment")
@guard(PLANS_COMMENT, family=PLAN_WORK, param="area")
async def plan_comment(
    request: Request,
    area: Area,
    year: Year,
    acc: Annotated[Access, Depends(access)],
    body: Annotated[str, Form(max_length=8000)] = "",
    section_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    return await _guarded(
        request,
        acc,
        area,
        year,
        lambda s, plan: wf.add_comment(
            s, acc.principal, plan, body, section_id=section_id or None, ip=client_ip(request)
        ),
        ok=f"/plans/{area}/{year}#comments",
        on_plan_page=True,
    )


# -- progress across the plans -----------------------------------------------------------------
def _progress(request: Request, year: int | None) -> Any:
    from vrkit.tasks.action_plans import progress

    with db(request).session() as s:
        years = wf.plan_years(s)
        y = year or (years[0] if years else date.today().year)
        return progress(s, y), years


@router.get("/plans/progress", response_class=HTMLResponse, name="plans_progress")
@guard(PLANS_PROGRESS)
def progress_page(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    pr, years = _progress(request, year)
    return render(
        request,
        "plans_progress.html",
        {
            "title": "Action plans: progress",
            "pr": pr,
            "fy": wf.fy_label(pr.year),
            "years": years,
            "statuses": [lab for _, lab in template().action_statuses],
        },
    )


@router.get("/plans/progress/download/{fmt}", name="plans_progress_download")
@guard(PLANS_PROGRESS, audit="download")
def progress_download(
    request: Request,
    fmt: Annotated[str, Path(pattern="^(xlsx|json)$")],
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    import tempfile
    from pathlib import Path as FsPath

    from vrkit.reports.plans import progress_xlsx

    pr, _ = _progress(request, year)
    name = f"action-plans-progress-{pr.year}.{fmt}"
    if fmt == "json":
        body = json.dumps(pr.to_dict(), indent=2, ensure_ascii=False).encode()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            body = progress_xlsx(pr.tables(), pr.notes, FsPath(tmp) / name).read_bytes()
    return Response(
        body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# -- the job that refreshes a profile ----------------------------------------------------------
def profile_job(runner: Any, job: Any) -> str:
    """Job kind ``plan_profile``: recompute a plan's profile, reading the warehouse through the
    shared read gate (not the writer's lock), and store it, audited as the user who asked."""
    from vrkit.ops.roles import Principal
    from vrkit.tasks.action_plans import refresh_profile

    with runner.db.session() as s:
        plan = s.get(ActionPlan, int(job.payload["plan_id"]))
        if plan is None:
            return "plan gone"
        who = Principal(
            role=str(job.payload.get("role", "vru_analyst")),
            user_id=job.created_by,
            email=job.payload.get("by"),
        )
        with runner.gate.read() as wh:
            refresh_profile(s, who, wh, plan)
        return f"profile of {plan.borough_name} {wf.fy_label(plan.year)} refreshed"


JOB_KINDS["plan_profile"] = profile_job

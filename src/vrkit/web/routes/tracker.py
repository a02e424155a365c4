"""The Strategic Needs Assessment tracker in the portal (issue #17): the review page (public:
the review of a public report), an item page, and the VRU's updates (owner, status, due date,
programmes, evidence of progress, links to plan actions), each audited."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from vrkit.errors import InputError
from vrkit.ops.plans import tracker as tr
from vrkit.ops.plans.policy import TRACKER_EDIT
from vrkit.ops.roles import PUBLIC_VIEW
from vrkit.web.authz import Access, access, guard
from vrkit.web.render import NAVIGATION, render
from vrkit.web.routes.common import client_ip, db, see_other

router = APIRouter(include_in_schema=False)
NAVIGATION.insert(4, ("Needs assessment", "/tracker", PUBLIC_VIEW))
Ref = Annotated[str, Path(pattern=r"^[A-Z]{2,6}-\d{1,4}$")]


def _doc(request: Request, acc: Access) -> dict[str, Any]:
    from vrkit.tasks.sna_tracker import tracker_document

    with db(request).session() as s:
        return tracker_document(s, public=not acc.principal.has(TRACKER_EDIT))


@router.get("/tracker", response_class=HTMLResponse, name="tracker")
@guard(PUBLIC_VIEW)
def tracker_page(request: Request, acc: Annotated[Access, Depends(access)]) -> Response:
    return render(
        request,
        "tracker.html",
        {
            "title": "Strategic Needs Assessment tracker",
            "d": _doc(request, acc),
            "can_edit": acc.principal.has(TRACKER_EDIT),
        },
    )


@router.get("/tracker/review.html", name="tracker_download")
@guard(PUBLIC_VIEW, audit="download")
def tracker_download(request: Request, acc: Annotated[Access, Depends(access)]) -> Response:
    """The review page as one self-contained HTML file (the public edition)."""
    from vrkit.reports.plans import tracker_html
    from vrkit.tasks.sna_tracker import tracker_document

    with db(request).session() as s:
        body = tracker_html(tracker_document(s, public=True))
    return Response(
        body,
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="sna-tracker.html"'},
    )


def _item_context(request: Request, acc: Access, ref: str, **extra: Any) -> dict[str, Any]:
    doc = _doc(request, acc)
    item = next((x for x in doc["items"] if x["ref"] == ref), None)
    if item is None:
        raise HTTPException(404, f"There is no tracker item {ref}.")
    return {
        "title": f"{item['ref']}: {item['label']}",
        "it": item,
        "statuses": list(tr.STATUSES.items()),
        "can_edit": acc.principal.has(TRACKER_EDIT),
        **extra,
    }


@router.get("/tracker/{ref}", response_class=HTMLResponse, name="tracker_item")
@guard(PUBLIC_VIEW)
def item_page(request: Request, ref: Ref, acc: Annotated[Access, Depends(access)]) -> Response:
    return render(request, "tracker_item.html", _item_context(request, acc, ref))


async def _change(request: Request, acc: Access, ref: str, fn: Any) -> Response:
    def run() -> str | None:
        with db(request).session() as s:
            item = tr.get_item(s, ref)
            if item is None:
                raise HTTPException(404, f"There is no tracker item {ref}.")
            try:
                fn(s, item)
            except InputError as exc:
                s.rollback()
                return exc.message
        return None

    problem = await run_in_threadpool(run)
    if problem is None:
        return see_other(f"/tracker/{ref}?saved=1")
    ctx = await run_in_threadpool(_item_context, request, acc, ref, errors=[problem])
    return render(request, "tracker_item.html", ctx, status=400)


@router.post("/tracker/{ref}", name="tracker_update")
@guard(TRACKER_EDIT)
async def item_update(
    request: Request,
    ref: Ref,
    acc: Annotated[Access, Depends(access)],
    owner: Annotated[str, Form(max_length=200)] = "",
    status: Annotated[str, Form(max_length=30)] = "not_stated",
    due_date: Annotated[str, Form(max_length=10)] = "",
    programme_refs: Annotated[str, Form(max_length=400)] = "",
) -> Response:
    refs = [x for x in programme_refs.replace(",", ";").split(";") if x.strip()]
    return await _change(
        request,
        acc,
        ref,
        lambda s, item: tr.update_item(
            s,
            acc.principal,
            item,
            owner=owner,
            status=status,
            due_date=due_date,
            programme_refs=refs,
            ip=client_ip(request),
        ),
    )


@router.post("/tracker/{ref}/evidence", name="tracker_evidence")
@guard(TRACKER_EDIT)
async def item_evidence(
    request: Request,
    ref: Ref,
    acc: Annotated[Access, Depends(access)],
    text: Annotated[str, Form(max_length=4000)] = "",
    link: Annotated[str, Form(max_length=500)] = "",
    status: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    return await _change(
        request,
        acc,
        ref,
        lambda s, item: tr.add_evidence(
            s,
            acc.principal,
            item,
            text,
            on=date.today(),
            link=link or None,
            status=status or None,
            ip=client_ip(request),
        ),
    )


@router.post("/tracker/{ref}/actions", name="tracker_link_action")
@guard(TRACKER_EDIT)
async def item_link(
    request: Request,
    ref: Ref,
    acc: Annotated[Access, Depends(access)],
    action_id: Annotated[int, Form(ge=1, le=2_147_483_647)] = 1,
    unlink: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    return await _change(
        request,
        acc,
        ref,
        lambda s, item: tr.link_action(
            s, acc.principal, item, action_id, unlink=bool(unlink), ip=client_ip(request)
        ),
    )

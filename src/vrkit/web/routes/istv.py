"""ISTV returns: upload by emergency departments, the per-file result, and completeness.

Uploads are checked here (size, type by content, the department in the file within the
uploader's scope), stored under a content-hash name outside the static tree, and queued; the
job queue validates and loads them (:mod:`vrkit.web.jobs`). A re-submission for the same
department and month is a new revision that replaces the earlier one in the warehouse.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from vrkit.errors import InputError, VrkitError
from vrkit.ops import audit
from vrkit.ops.models import Submission, utcnow
from vrkit.ops.roles import ISTV, ISTV_UPLOAD, ISTV_VIEW
from vrkit.web import tasks
from vrkit.web.authz import Access, Denied, access, guard
from vrkit.web.jobs import enqueue, error_result
from vrkit.web.render import render
from vrkit.web.routes.common import MAX_ID, Id, client_ip, db, gate, see_other

router = APIRouter(include_in_schema=False)


def upload_site(request: Request, value: str) -> frozenset[str] | None:
    """Scope resolver for ``/istv/uploads/{upload_id}``: the upload's department."""
    try:
        upload_id = int(value)
    except ValueError:
        return frozenset({"?"})
    if not 1 <= upload_id <= MAX_ID:
        return frozenset({"?missing"})
    with request.app.state.db.session() as s:
        sub = s.get(Submission, upload_id)
        # unknown ids and uploads refused before their department was known are the
        # uploader's own: visible to them (below) and to full-scope roles only
        if sub is None:
            return frozenset({"?missing"})
        if sub.site_code is None:
            me = getattr(request.state, "principal", None)
            if me is not None and me.user_id is not None and sub.user_id == me.user_id:
                return me.scope_codes("department") or frozenset({"?own"})
            return frozenset({"?other"})
        return frozenset({sub.site_code})


def sniff_type(data: bytes) -> str:
    """``csv`` or ``xlsx`` from the bytes themselves (never from the name or the browser's
    content type); :class:`InputError` otherwise."""
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile as exc:
            raise InputError("the file is not a valid XLSX workbook") from exc
        if "xl/workbook.xml" not in names:
            raise InputError("the file is a zip archive but not an XLSX workbook")
        return "xlsx"
    head = data[:4096]
    if b"\x00" in head:
        raise InputError("the file is not text (CSV) or an XLSX workbook")
    try:
        text = (
            head.decode("utf-8-sig", errors="strict")
            if len(data) <= 4096
            else data[:4096].decode("utf-8-sig", errors="ignore")
        )
    except UnicodeDecodeError as exc:
        raise InputError("the CSV file is not UTF-8 text") from exc
    if not text.lstrip().lower().startswith("istv submission"):
        raise InputError(
            "the file does not start with 'ISTV submission'",
            hint="Export the return with the ISTV template (CSV or XLSX).",
        )
    return "csv"


def _visible(acc: Access, sub: Submission) -> bool:
    if acc.codes is None:
        return True
    if sub.site_code is None:
        return sub.user_id == acc.principal.user_id
    return sub.site_code in acc.codes


def visible_uploads(s: Any, acc: Access, limit: int | None = None) -> list[Submission]:
    """Uploads the decision lets the caller see, newest first."""
    q = select(Submission).order_by(Submission.id.desc())
    return [x for x in s.scalars(q) if _visible(acc, x)][:limit]


def visible_upload(s: Any, acc: Access, upload_id: int) -> Submission:
    """One upload the caller may see; 404 otherwise (whether it exists or not)."""
    sub = s.get(Submission, upload_id)
    if sub is None or not _visible(acc, sub):
        raise Denied(404, "no such upload")
    return sub


def _departments(request: Request, acc: Access) -> list[str]:
    if acc.codes is not None:
        return sorted(acc.codes)
    with db(request).session() as s:
        rows = s.scalars(select(Submission.site_code).distinct()).all()
    return sorted(r for r in rows if r)


@router.get("/istv", response_class=HTMLResponse, name="istv_home")
@guard(ISTV_VIEW, family=ISTV, param="department")
def istv_home(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    department: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    with db(request).session() as s:
        subs = visible_uploads(s, acc, limit=100)
    return render(
        request,
        "istv_home.html",
        {
            "title": "ISTV returns",
            "uploads": subs,
            "departments": _departments(request, acc),
            "can_upload": acc.principal.has(ISTV_UPLOAD),
        },
    )


@router.get("/istv/upload", response_class=HTMLResponse, name="istv_upload_form")
@guard(ISTV_UPLOAD, family=ISTV, param="department")
def upload_form(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    department: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    return render(
        request,
        "istv_upload.html",
        {"title": "Upload an ISTV return", "departments": _departments(request, acc)},
    )


@router.post("/istv/upload", response_class=HTMLResponse, name="istv_upload")
@guard(ISTV_UPLOAD, family=ISTV, param="department")
async def upload(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    file: Annotated[UploadFile, File()],
    department: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    cfg = request.app.state.settings
    limit = cfg.upload_max_bytes
    data = await file.read(limit + 1)
    await file.close()
    depts = _departments(request, acc)

    def fail(message: str, status: int = 400) -> Response:
        return render(
            request,
            "istv_upload.html",
            {"title": "Upload an ISTV return", "departments": depts, "errors": [message]},
            status=status,
        )

    if len(data) > limit:
        return fail(f"The file is larger than {limit // (1024 * 1024)} MB.", 413)
    if not data:
        return fail("The file is empty.")
    try:
        ftype = sniff_type(data)
    except InputError as exc:
        return fail(exc.message + (f" {exc.hint}" if exc.hint else ""))
    sha = hashlib.sha256(data).hexdigest()
    path = cfg.upload_dir / f"{sha}.{ftype}"  # the uploaded name is never used as a path
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)

    def check() -> tuple[int, bool]:
        try:
            head = tasks.istv_header(path)
            site, month, problem = head.site_code, head.month.strftime("%Y-%m"), None
        except VrkitError as exc:
            site, month, problem = None, None, exc
        if site is not None and not acc.visible(site):
            with db(request).session() as s:
                audit.record(
                    s,
                    acc.principal,
                    "upload",
                    target="/istv/upload",
                    outcome="denied",
                    ip=client_ip(request),
                    detail={"reason": "department outside scope", "sha256": sha},
                )
            raise Denied(403, "the file is for a department outside your scope")
        if department and site is not None and department.upper() != site:
            problem = InputError(
                f"the file's site code is not the department chosen ({department.upper()})",
                hint="Choose the department the return is for, or check the file's site_code line.",
            )
        with db(request).session() as s:
            revision = None
            if site and month and problem is None:
                revision = (
                    s.scalar(
                        select(func.count()).where(
                            Submission.site_code == site,
                            Submission.month == month,
                            Submission.status.in_(("queued", "running", "loaded")),
                        )
                    )
                    or 0
                ) + 1
            sub = Submission(
                user_id=acc.principal.user_id,
                site_code=site,
                month=month,
                revision=revision,
                sha256=sha,
                size_bytes=len(data),
                file_type=ftype,
                status="queued" if problem is None else "rejected",
                result=None if problem is None else error_result(problem),
                created_at=utcnow(),
                finished_at=None if problem is None else utcnow(),
            )
            s.add(sub)
            s.flush()
            audit.record(
                s,
                acc.principal,
                "upload",
                target=f"istv_upload:{sub.id}",
                outcome="ok" if problem is None else "failed",
                ip=client_ip(request),
                detail={
                    "site_code": site,
                    "month": month,
                    "sha256": sha,
                    "bytes": len(data),
                    "type": ftype,
                },
            )
            return sub.id, problem is None

    upload_id, queued = await run_in_threadpool(check)
    if queued:
        enqueue(db(request), "istv_upload", {"upload_id": upload_id}, user_id=acc.principal.user_id)
        request.app.state.jobs.wake()
    return see_other(f"/istv/uploads/{upload_id}")


@router.get("/istv/uploads/{upload_id}", response_class=HTMLResponse, name="istv_result")
@guard(ISTV_VIEW, family=ISTV, param="upload_id", resolve=upload_site)
def upload_result(
    request: Request, upload_id: Id, acc: Annotated[Access, Depends(access)]
) -> Response:
    with db(request).session() as s:
        sub = visible_upload(s, acc, upload_id)
        earlier = []
        if sub.site_code and sub.month:
            earlier = list(
                s.scalars(
                    select(Submission)
                    .where(
                        Submission.site_code == sub.site_code,
                        Submission.month == sub.month,
                        Submission.id != sub.id,
                    )
                    .order_by(Submission.id)
                )
            )
    return render(
        request,
        "istv_result.html",
        {"title": f"Upload {upload_id}", "sub": sub, "earlier": earlier},
    )


@router.get("/istv/completeness", response_class=HTMLResponse, name="istv_completeness")
@guard(ISTV_VIEW, family=ISTV, param="department")
def completeness(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    department: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    try:
        with gate(request).read() as wh:
            records = tasks.istv_completeness(wh, acc.codes)
    except VrkitError:
        records = []
    return render(
        request, "istv_completeness.html", {"title": "ISTV completeness", "records": records}
    )


def stored_path(upload_dir: Path, sub: Submission) -> Path:
    return upload_dir / f"{sub.sha256}.{sub.file_type}"

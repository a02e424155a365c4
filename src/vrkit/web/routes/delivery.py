"""Delivery pages (issue #15) for commissioners and providers: the programme register and a
page per programme (edit with an optimistic lock; return templates and uploads), the finance
dashboard with spend recording and reprofiling, the delivery tables and the logic model.

Every route carries a guard. Routes about one programme name the ``programme`` family with the
``ref`` parameter, so a provider reaches only the programmes its organisation leads or delivers
(:func:`programme_scope`); listings filter to ``access.codes``. Everything calls
:mod:`vrkit.tasks.delivery`, the same functions as ``vrkit programmes …``.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from vrkit.catalog.delivery import EVALUATION_STATUSES, STATUSES, themes
from vrkit.catalog.money import fy_label, fy_of, parse_fy
from vrkit.errors import InputError, VrkitError
from vrkit.ops.delivery import register as reg
from vrkit.ops.delivery.policy import (
    DELIVERY_REPORTS,
    FINANCE_EDIT,
    FINANCE_VIEW,
    PROGRAMME,
    PROGRAMMES_EDIT,
    PROGRAMMES_VIEW,
    RETURNS_SUBMIT,
)
from vrkit.ops.delivery.register import EditConflict
from vrkit.reports.delivery import vfm_view
from vrkit.sources.delivery.returns_xlsx import ReturnRejected, is_xlsx
from vrkit.tasks import delivery as tasks
from vrkit.tasks.delivery.returns import record_rejection
from vrkit.tasks.delivery.tables import latest_year
from vrkit.tasks.vfm import programme_vfm_workbook
from vrkit.web.authz import Access, Denied, access, guard
from vrkit.web.render import NAVIGATION, render
from vrkit.web.report_html import split_styles
from vrkit.web.routes.common import Id, db, see_other

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {
    "html": "text/html; charset=utf-8",
    "xlsx": XLSX,
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}
YearQ = Annotated[str | None, Query(max_length=9, pattern=r"^\d{4}(/\d{2})?$")]
_KEY = re.compile(r"^[0-9a-f]{32}$")
RefP = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$", max_length=40)]

NAVIGATION.extend(
    [
        ("Programmes", "/programmes", PROGRAMMES_VIEW),
        ("Finance", "/finance", FINANCE_VIEW),
        ("Delivery tables", "/delivery", DELIVERY_REPORTS),
        ("Logic model", "/logic-model", DELIVERY_REPORTS),
    ]
)


def programme_scope(request: Request, value: str) -> frozenset[str] | None:
    """Scope resolver of ``{ref}``: the organisations of the programme the caller belongs to
    (else all of the programme's organisations, which a provider's scope does not cover)."""
    ref = value.strip()
    with request.app.state.db.session() as s:
        p = reg.get_programme(s, ref) if ref and len(ref) <= 40 else None
        if p is None:
            return frozenset({"?missing"})
        codes = reg.programme_org_codes(p)
    me = getattr(request.state, "principal", None)
    mine = me.scope_codes("organisation") if me is not None else frozenset()
    return (codes & mine) or codes or frozenset({"?none"})


def _year(s: Any, text: str | None) -> int:
    if text:
        return parse_fy(text)
    return latest_year(s) or fy_of(date.today())


# -- register ------------------------------------------------------------------------------------
@router.get("/programmes", response_class=HTMLResponse, name="programmes")
@guard(PROGRAMMES_VIEW, family=PROGRAMME)
def programmes_page(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    theme: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    with db(request).session() as s:
        try:
            r = tasks.programme_register(s, org_codes=acc.codes, theme=theme or None)
        except InputError:
            r = tasks.programme_register(s, org_codes=acc.codes)
        year = latest_year(s)
    rows = r.frame.to_dict("records") if not r.frame.empty else []
    return render(
        request,
        "delivery_programmes.html",
        {
            "title": "Programmes" if acc.codes is None else "Your programmes",
            "rows": rows,
            "themes": [(t.code, t.label) for t in themes()],
            "theme": theme or "",
            "notes": r.notes,
            "year": fy_label(year) if year else "",
        },
    )


@router.get("/programmes/{ref}", response_class=HTMLResponse, name="programme_page")
@guard(PROGRAMMES_VIEW, family=PROGRAMME, param="ref", resolve=programme_scope)
def programme_view(
    request: Request,
    ref: RefP,
    acc: Annotated[Access, Depends(access)],
    year: YearQ = None,
    saved: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    with db(request).session() as s:
        if reg.get_programme(s, ref) is None:
            raise Denied(404, "no such programme")
        fy = _year(s, year)
        pg = tasks.programme_page(s, ref, fy, with_finance=acc.principal.has(FINANCE_VIEW))
    d = pg.to_dict()
    return render(
        request,
        "delivery_programme.html",
        {
            "title": pg.title,
            "pg": pg,
            "d": d,
            "vfm": None if pg.vfm is None else vfm_view(d["value_for_money"]),
            "vfm_notes": d["value_for_money_notes"],
            "evidence": d["evidence"],
            "fy": fy,
            "year": fy_label(fy),
            "quarters": [1, 2, 3, 4],
            "can_edit": acc.principal.has(PROGRAMMES_EDIT),
            "can_submit": acc.principal.has(RETURNS_SUBMIT),
            "saved": saved,
        },
    )


def _edit_context(pg: Any, **extra: Any) -> dict[str, Any]:
    return {
        "title": f"Edit {pg.ref}",
        "p": pg.programme,
        "version": pg.version,
        "ref": pg.ref,
        "themes": [(t.code, t.label) for t in themes()],
        "status_pairs": [(x, x) for x in STATUSES],
        "evaluation_pairs": [(x, x) for x in EVALUATION_STATUSES],
        **extra,
    }


@router.get("/programmes/{ref}/edit", response_class=HTMLResponse, name="programme_edit")
@guard(PROGRAMMES_EDIT, family=PROGRAMME, param="ref", resolve=programme_scope)
def programme_edit(request: Request, ref: RefP) -> Response:
    with db(request).session() as s:
        if reg.get_programme(s, ref) is None:
            raise Denied(404, "no such programme")
        pg = tasks.programme_page(s, ref, _year(s, None), with_finance=False)
    return render(request, "delivery_programme_edit.html", _edit_context(pg))


def _opt_int(text: str) -> int | None:
    t = text.strip()
    if not t:
        return None
    if not t.isdigit():
        raise InputError(f"{t!r} is not a whole number")
    return int(t)


def _opt_date(text: str, label: str) -> date | None:
    t = text.strip()
    if not t:
        return None
    try:
        return date.fromisoformat(t)
    except ValueError as exc:
        raise InputError(f"the {label} {t!r} is not a date (YYYY-MM-DD)") from exc


@router.post("/programmes/{ref}/edit", response_class=HTMLResponse, name="programme_update")
@guard(PROGRAMMES_EDIT, family=PROGRAMME, param="ref", resolve=programme_scope)
def programme_update(
    request: Request,
    ref: RefP,
    acc: Annotated[Access, Depends(access)],
    version: Annotated[int, Form(ge=1, le=2_000_000_000)],
    name: Annotated[str, Form(max_length=300)] = "",
    theme: Annotated[str, Form(max_length=60)] = "",
    status: Annotated[str, Form(max_length=20)] = "active",
    evaluation_status: Annotated[str, Form(max_length=20)] = "not stated",
    objectives: Annotated[str, Form(max_length=40)] = "",
    target_cohort: Annotated[str, Form(max_length=2000)] = "",
    age_min: Annotated[str, Form(max_length=3)] = "",
    age_max: Annotated[str, Form(max_length=3)] = "",
    start_date: Annotated[str, Form(max_length=10)] = "",
    end_date: Annotated[str, Form(max_length=10)] = "",
    description: Annotated[str, Form(max_length=10_000)] = "",
    evidence_approach: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    errors: list[str] = []
    status_code = 400
    with db(request).session() as s:
        if reg.get_programme(s, ref) is None:
            raise Denied(404, "no such programme")
        try:
            nums = [int(x) for x in re.split(r"[;,\s]+", objectives.strip()) if x]
        except ValueError:
            nums = []
            errors.append("Strategy objectives are numbers 1 to 8, separated by commas.")
        try:
            values = {
                "name": name,
                "theme": theme,
                "status": status,
                "evaluation_status": evaluation_status,
                "objectives": nums,
                "target_cohort": target_cohort.strip(),
                "age_min": _opt_int(age_min),
                "age_max": _opt_int(age_max),
                "start_date": _opt_date(start_date, "start date"),
                "end_date": _opt_date(end_date, "end date"),
                "description": description.strip(),
                "evidence_approach": evidence_approach.strip(),
            }
            if not errors:
                reg.update_programme(s, acc.principal, ref, expected_version=version, values=values)
        except EditConflict as exc:
            errors.append(exc.message + (f". {exc.hint}" if exc.hint else ""))
            status_code = 409
        except InputError as exc:
            errors.append(exc.message + (f" {exc.hint}" if exc.hint else ""))
        if errors:
            s.rollback()
    if not errors:
        return see_other(f"/programmes/{ref}?saved=yes")
    with db(request).session() as s:
        pg = tasks.programme_page(s, ref, _year(s, None), with_finance=False)
    return render(
        request,
        "delivery_programme_edit.html",
        _edit_context(pg, errors=errors),
        status=status_code,
    )


# -- returns -------------------------------------------------------------------------------------
@router.get("/programmes/{ref}/value-for-money.xlsx", name="programme_vfm_download")
@guard(FINANCE_VIEW, family=PROGRAMME, param="ref", resolve=programme_scope, audit="download")
def programme_vfm_download(request: Request, ref: RefP) -> Response:
    """The programme's value-for-money appraisal as XLSX (``vrkit vfm FILE --xlsx``)."""
    with db(request).session() as s:
        if reg.get_programme(s, ref) is None:
            raise Denied(404, "no such programme")
    data, name = programme_vfm_workbook(ref)
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/programmes/{ref}/returns/template", name="return_template")
@guard(RETURNS_SUBMIT, family=PROGRAMME, param="ref", resolve=programme_scope, audit="download")
def return_template(
    request: Request,
    ref: RefP,
    year: YearQ = None,
    quarter: Annotated[int, Query(ge=1, le=4)] = 1,
) -> Response:
    with db(request).session() as s:
        if reg.get_programme(s, ref) is None:
            raise Denied(404, "no such programme")
        data, name = tasks.return_template(s, ref, _year(s, year), quarter)
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post("/programmes/{ref}/returns", response_class=HTMLResponse, name="return_upload")
@guard(RETURNS_SUBMIT, family=PROGRAMME, param="ref", resolve=programme_scope)
async def return_upload(
    request: Request,
    ref: RefP,
    acc: Annotated[Access, Depends(access)],
    file: Annotated[UploadFile, File()],
) -> Response:
    limit = request.app.state.settings.upload_max_bytes
    data = await file.read(limit + 1)
    name = "".join(ch for ch in (file.filename or "return.xlsx") if ch.isprintable())[:200]
    await file.close()

    def refuse(message: str, status: int = 400) -> Response:
        return render(
            request,
            "delivery_return_result.html",
            {"title": "Return refused", "ref": ref, "ok": False, "problems": [message]},
            status=status,
        )

    if len(data) > limit:
        return refuse(f"The file is larger than {limit // (1024 * 1024)} MB.", 413)
    if not data or not is_xlsx(data):
        return refuse(
            "The file is not an XLSX workbook: fill in the template downloaded from this page."
        )
    full = acc.principal.role_def.rule(PROGRAMME) == "full"
    codes = None if full else acc.principal.scope_codes("organisation")

    def submit() -> tuple[Any, Any]:
        try:
            with db(request).session() as s:
                res = tasks.submit_return(
                    s, acc.principal, data, name, for_programme=ref, org_codes=codes
                )
            return res, None
        except ReturnRejected as exc:
            with db(request).session() as s:
                record_rejection(s, acc.principal, name, data, exc)
            return None, exc

    res, rejected = await run_in_threadpool(submit)
    if rejected is not None:
        return render(
            request,
            "delivery_return_result.html",
            {
                "title": "Return refused",
                "ref": ref,
                "ok": False,
                "issues": rejected.issues,
                "file": name,
            },
            status=400,
        )
    return render(
        request,
        "delivery_return_result.html",
        {"title": "Return received", "ref": ref, "ok": True, "res": res, "message": res.message()},
    )


# -- finance -------------------------------------------------------------------------------------
@router.get("/finance", response_class=HTMLResponse, name="finance")
@guard(FINANCE_VIEW)
def finance_page(
    request: Request,
    year: YearQ = None,
    done: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    with db(request).session() as s:
        fy = _year(s, year)
        try:
            d = tasks.finance_dashboard(s, fy, chart=False)
            problem = None
        except InputError as exc:
            d, problem = None, exc.message
        reprofiles = tasks.reprofile_list(s, fy)
        sources = [(x.code, x.name) for x in reg.sources(s)]
        progs = [(p.ref, f"{p.ref} {p.name}") for p in reg.list_programmes(s, portfolio_only=True)]
    return render(
        request,
        "delivery_finance.html",
        {
            "title": f"Finance {fy_label(fy)}",
            "year": fy_label(fy),
            "d": d,
            "by_source": [] if d is None else d.by_source.to_dict("records"),
            "high": []
            if d is None or d.programmes.empty
            else d.programmes[d.programmes["risk"] == "high"].head(50).to_dict("records"),
            "problem": problem,
            "reprofiles": reprofiles,
            "sources": sources,
            "programmes": progs,
            "done": done,
            "can_edit": request.state.access.principal.has(FINANCE_EDIT),
        },
    )


def _document(request: Request, kind: str, html: str) -> Response:
    key = hashlib.sha256(html.encode()).hexdigest()[:32]
    cache = request.app.state.cache
    css = cache.extra(kind, key, "portal.css")
    body, style = split_styles(html, f"/delivery/style/{kind}/{key}.css")
    css.parent.mkdir(parents=True, exist_ok=True)
    if not css.exists():
        css.write_text(style, encoding="utf-8")
    return HTMLResponse(body)


def _dashboard(request: Request, fy: int) -> Any:
    with db(request).session() as s:
        return tasks.finance_dashboard(s, fy)


@router.get("/finance/dashboard", response_class=HTMLResponse, name="finance_dashboard")
@guard(FINANCE_VIEW)
def finance_dashboard(request: Request, year: YearQ = None) -> Response:
    from vrkit.reports.delivery import render_finance_html

    with db(request).session() as s:
        fy = _year(s, year)
    return _document(request, "finance", render_finance_html(_dashboard(request, fy)))


def _file(result: Any, fmt: str) -> Response:
    """A document written by its task result's writer, as a download."""
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        (p,) = result.write_all(Path(tmp), [fmt])
        data, name = p.read_bytes(), p.name
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/finance/download", name="finance_download")
@guard(FINANCE_VIEW, audit="download")
def finance_download(
    request: Request,
    year: YearQ = None,
    format: Annotated[str, Query(pattern="^(xlsx|json)$")] = "xlsx",
) -> Response:
    with db(request).session() as s:
        fy = _year(s, year)
    return _file(_dashboard(request, fy), format)


@router.post("/finance/spend", response_class=HTMLResponse, name="spend_record")
@guard(FINANCE_EDIT)
def spend_record(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    programme: Annotated[str, Form(max_length=40)] = "",
    source: Annotated[str, Form(max_length=40)] = "",
    year: Annotated[str, Form(max_length=9)] = "",
    quarter: Annotated[int, Form(ge=1, le=4)] = 1,
    amount: Annotated[str, Form(max_length=20)] = "",
    kind: Annotated[str, Form(pattern="^(spend|forecast)$")] = "spend",
) -> Response:
    try:
        with db(request).session() as s:
            tasks.record_amount(
                s, acc.principal, kind=kind, programme_ref=programme, source=source,
                financial_year=parse_fy(year), quarter=quarter, amount=amount,
            )  # fmt: skip
    except InputError as exc:
        return _finance_error(request, year, exc)
    return see_other(f"/finance?year={year}&done={kind}+recorded")


def _finance_error(request: Request, year: str, exc: VrkitError) -> Response:
    return render(
        request,
        "delivery_message.html",
        {
            "title": "Not saved",
            "message": exc.message + (f" {exc.hint}" if exc.hint else "") + " Nothing was changed.",
            "status": 400,
            "back": f"/finance?year={year}" if re.match(r"^\d{4}(/\d{2})?$", year) else "/finance",
        },
        status=400,
    )


@router.post("/finance/reprofiles", response_class=HTMLResponse, name="reprofile_propose")
@guard(FINANCE_EDIT)
def reprofile_propose(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    lines: Annotated[str, Form(max_length=10_000)] = "",
    year: Annotated[str, Form(max_length=9)] = "",
) -> Response:
    try:
        with db(request).session() as s:
            rp = tasks.propose_reprofile(
                s,
                acc.principal,
                reason=reason,
                lines=[x.strip() for x in lines.splitlines() if x.strip()],
            )
    except InputError as exc:
        return _finance_error(request, year, exc)
    return see_other(f"/finance?year={year}&done=reprofile+{rp['id']}+proposed")


@router.post(
    "/finance/reprofiles/{reprofile_id}/decide",
    response_class=HTMLResponse,
    name="reprofile_decide",
)
@guard(FINANCE_EDIT)
def reprofile_decide(
    request: Request,
    reprofile_id: Id,
    acc: Annotated[Access, Depends(access)],
    decision: Annotated[str, Form(pattern="^(approve|reject|reverse)$")] = "approve",
    note: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[int | None, Form(ge=1, le=2_000_000_000)] = None,
    year: Annotated[str, Form(max_length=9)] = "",
) -> Response:
    try:
        with db(request).session() as s:
            if decision == "reverse":
                tasks.reverse_reprofile(
                    s, acc.principal, reprofile_id, reason=note, expected_version=version
                )
            else:
                tasks.decide_reprofile(
                    s,
                    acc.principal,
                    reprofile_id,
                    approve=decision == "approve",
                    note=note,
                    expected_version=version,
                )
    except InputError as exc:
        return _finance_error(request, year, exc)
    word = {"approve": "approved", "reject": "rejected", "reverse": "reversed"}[decision]
    return see_other(f"/finance?year={year}&done=reprofile+{reprofile_id}+{word}")


# -- reports -------------------------------------------------------------------------------------
@router.get("/delivery", response_class=HTMLResponse, name="delivery_report_page")
@guard(DELIVERY_REPORTS)
def delivery_page(request: Request, year: YearQ = None) -> Response:
    with db(request).session() as s:
        fy = _year(s, year)
        try:
            t = tasks.delivery_tables(s, fy)
            problem = None
        except InputError as exc:
            t, problem = None, exc.message
    return render(
        request,
        "delivery_report.html",
        {
            "title": f"Delivery tables {fy_label(fy)}",
            "t": t,
            "problem": problem,
            "year": fy_label(fy),
        },
    )


def _tables(request: Request, year: str | None) -> Any:
    with db(request).session() as s:
        return tasks.delivery_tables(s, _year(s, year))


@router.get("/delivery/report", response_class=HTMLResponse, name="delivery_report")
@guard(DELIVERY_REPORTS)
def delivery_report(request: Request, year: YearQ = None) -> Response:
    from vrkit.reports.delivery import render_delivery_html

    return _document(request, "delivery", render_delivery_html(_tables(request, year)))


@router.get("/delivery/download", name="delivery_download")
@guard(DELIVERY_REPORTS, audit="download")
def delivery_download(
    request: Request,
    year: YearQ = None,
    format: Annotated[str, Query(pattern="^(html|xlsx|json)$")] = "xlsx",
) -> Response:
    return _file(_tables(request, year), format)


@router.get("/delivery/style/{kind}/{key}.css", name="delivery_style")
@guard(PROGRAMMES_VIEW)
def delivery_style(request: Request, kind: str, key: str) -> Response:
    """The stylesheet extracted from a delivery document (styles only, no data)."""
    path = request.app.state.cache.extra(kind, key, "portal.css")
    if kind not in ("delivery", "finance") or not _KEY.match(key) or not path.exists():
        raise StarletteHTTPException(404, "no such stylesheet")
    return Response(
        path.read_text(encoding="utf-8"),
        media_type="text/css",
        headers={"Cache-Control": "private, max-age=3600"},
    )


@router.get("/delivery/360giving", name="giving_export")
@guard(DELIVERY_REPORTS, audit="download")
def giving_export(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    format: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json",
) -> Response:
    from vrkit.reports.giving360 import package_csv, package_xlsx

    try:
        with db(request).session() as s:
            r = tasks.export_360giving(s, acc.principal)
    except VrkitError as exc:
        return render(
            request,
            "delivery_message.html",
            {"title": "Nothing to export", "message": exc.message, "back": "/delivery"},
            status=400,
        )
    if format == "xlsx":
        body: str | bytes = package_xlsx(r.package)
    elif format == "csv":
        body = package_csv(r.package)
    else:
        body = json.dumps(r.package, indent=2, ensure_ascii=False)
    return Response(
        body,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="grants-360giving.{format}"'},
    )


@router.get("/logic-model", response_class=HTMLResponse, name="logic_model")
@guard(DELIVERY_REPORTS)
def logic_model(
    request: Request,
    year: YearQ = None,
    version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> Response:
    with db(request).session() as s:
        fy = _year(s, year)
        try:
            with request.app.state.gate.read() as wh:
                v = tasks.logic_model_view(s, wh, fy, version=version)
            problem = None
        except InputError as exc:
            v, problem = None, exc.message
        except VrkitError:
            v, problem = tasks.logic_model_view(s, None, fy, version=version), None
    return render(
        request,
        "delivery_logic_model.html",
        {"title": "Logic model", "v": v, "problem": problem, "year": fy_label(fy)},
    )

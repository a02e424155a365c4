"""``/api/v1`` for the delivery side: programmes, returns (read and submit), progress, finance,
the delivery tables and the logic model, with the same guards as the pages (a provider sees and
submits for its own programmes only). JSON, paged lists, ETags, as the rest of the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from vrkit.catalog.money import fy_label
from vrkit.errors import InputError, VrkitError
from vrkit.ops.delivery import register as reg
from vrkit.ops.delivery.policy import (
    DELIVERY_REPORTS,
    FINANCE_VIEW,
    PROGRAMME,
    PROGRAMMES_VIEW,
    RETURNS_SUBMIT,
    RETURNS_VIEW,
)
from vrkit.sources.delivery.returns_xlsx import ReturnRejected, is_xlsx
from vrkit.tasks import delivery as tasks
from vrkit.tasks.delivery._common import frame_records, jsonable
from vrkit.tasks.delivery.returns import Submitted, record_rejection
from vrkit.web.authz import Access, Denied, access, guard
from vrkit.web.routes.api import ERRORS, Links, Page, PageSize, json_response, paged
from vrkit.web.routes.common import db
from vrkit.web.routes.delivery import _year, programme_scope

router = APIRouter(prefix="/api/v1", tags=["delivery"], responses=ERRORS)
REF = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$"
RefP = Annotated[str, PathParam(pattern=REF, max_length=40, description="Programme reference")]
YearQ = Annotated[
    str | None,
    Query(
        max_length=7, pattern=r"^(19|20)\d{2}(/\d{2})?$", description="Financial year, e.g. 2020/21"
    ),
]


class ProgrammeOut(BaseModel):
    ref: str
    name: str
    kind: str
    theme: str
    objectives: str
    lead_organisations: str
    delivery_organisations: str
    status: str
    in_portfolio: bool
    evaluation_status: str
    version: int
    data_label: str


class ProgrammeList(BaseModel):
    data: list[ProgrammeOut]
    page: int
    page_size: int
    total: int
    links: Links


class ProgrammeDetail(BaseModel):
    programme: dict[str, Any]
    version: int
    financial_year: str
    organisations: list[dict[str, Any]]
    grants: list[dict[str, Any]]
    money: list[dict[str, Any]] | None
    outputs: list[dict[str, Any]]
    reach: list[dict[str, Any]]
    targets: list[dict[str, Any]]
    returns: list[dict[str, Any]]
    objectives: list[dict[str, Any]]
    deduplication_rules: dict[str, str]
    notes: list[str]


class ReturnsOut(BaseModel):
    data: list[dict[str, Any]]
    page: int
    page_size: int
    total: int
    links: Links


class Problem(BaseModel):
    sheet: str | None
    row: int | None
    column: str | None
    reason: str


class Refused(BaseModel):
    error: str
    problems: list[Problem]


class TableOut(BaseModel):
    financial_year: str
    data: list[dict[str, Any]]
    notes: list[str]


class Document(BaseModel):
    financial_year: str
    document: dict[str, Any]


@router.get("/programmes", response_model=ProgrammeList, name="api_programmes")
@guard(PROGRAMMES_VIEW, family=PROGRAMME)
def programmes(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    page: Page = 1,
    page_size: PageSize = 100,
) -> Response:
    """The programme register (a provider: its own programmes)."""
    with db(request).session() as s:
        r = tasks.programme_register(s, org_codes=acc.codes)
    rows = [
        {k: row[k] for k in ProgrammeOut.model_fields}
        for row in (r.frame.to_dict("records") if not r.frame.empty else [])
    ]
    return json_response(request, paged(request, rows, page, page_size))


def _existing(s: Any, ref: str) -> None:
    if reg.get_programme(s, ref) is None:
        raise Denied(404, "no such programme")


@router.get("/programmes/{ref}", response_model=ProgrammeDetail, name="api_programme")
@guard(PROGRAMMES_VIEW, family=PROGRAMME, param="ref", resolve=programme_scope)
def programme(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    ref: RefP,
    year: YearQ = None,
) -> Response:
    """One programme: details, money (commissioners), outputs, reach, targets and returns."""
    with db(request).session() as s:
        _existing(s, ref)
        pg = tasks.programme_page(
            s, ref, _year(s, year), with_finance=acc.principal.has(FINANCE_VIEW)
        )
    return json_response(request, pg.to_dict())


@router.get("/programmes/{ref}/returns", response_model=ReturnsOut, name="api_returns")
@guard(RETURNS_VIEW, family=PROGRAMME, param="ref", resolve=programme_scope)
def returns(
    request: Request,
    ref: RefP,
    page: Page = 1,
    page_size: PageSize = 100,
) -> Response:
    """Every revision of the programme's monitoring returns."""
    with db(request).session() as s:
        _existing(s, ref)
        r = tasks.list_returns(s, ref=ref)
    return json_response(request, paged(request, frame_records(r.frame), page, page_size))


@router.post(
    "/programmes/{ref}/returns",
    response_model=Submitted,
    status_code=201,
    name="api_return_submit",
    responses={
        413: {"model": Refused},
        400: {"model": Refused, "description": "The return was refused: nothing stored"},
    },
)
@guard(RETURNS_SUBMIT, family=PROGRAMME, param="ref", resolve=programme_scope)
async def submit(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    ref: RefP,
    file: Annotated[UploadFile, File(description="The filled return (XLSX)")],
) -> Response:
    """Submit a filled monitoring return: all or nothing, problems named by sheet, row, column."""
    limit = request.app.state.settings.upload_max_bytes
    data = await file.read(limit + 1)
    name = "".join(ch for ch in (file.filename or "return.xlsx") if ch.isprintable())[:200]
    await file.close()
    if len(data) > limit:
        return JSONResponse({"error": "the file is too large", "problems": []}, status_code=413)
    if not is_xlsx(data):
        return JSONResponse(
            {"error": "the file is not an XLSX workbook", "problems": []}, status_code=400
        )
    codes = (
        None
        if acc.principal.role_def.rule(PROGRAMME) == "full"
        else acc.principal.scope_codes("organisation")
    )

    def run() -> Response:
        try:
            with db(request).session() as s:
                _existing(s, ref)
                res = tasks.submit_return(
                    s, acc.principal, data, name, for_programme=ref, org_codes=codes
                )
        except ReturnRejected as exc:
            with db(request).session() as s:
                record_rejection(s, acc.principal, name, data, exc)
            return JSONResponse(
                {
                    "error": "the return was refused: nothing was stored",
                    "problems": [
                        {"sheet": i.sheet, "row": i.row, "column": i.column, "reason": i.reason}
                        for i in exc.issues
                    ],
                },
                status_code=400,
            )
        return JSONResponse(jsonable(res.to_dict()), status_code=201)

    return await run_in_threadpool(run)


@router.get("/progress", response_model=TableOut, name="api_progress")
@guard(PROGRAMMES_VIEW, family=PROGRAMME)
def progress(
    request: Request, acc: Annotated[Access, Depends(access)], year: YearQ = None
) -> Response:
    """Progress against the year's targets (a provider: its own programmes' targets)."""
    with db(request).session() as s:
        fy = _year(s, year)
        r = tasks.progress(s, fy, org_codes=acc.codes)
    return json_response(
        request, {"financial_year": fy_label(fy), "data": frame_records(r.frame), "notes": r.notes}
    )


def _document(request: Request, build: Any, year: str | None) -> Response:
    with db(request).session() as s:
        fy = _year(s, year)
        try:
            doc = build(s, fy)
        except InputError as exc:
            raise Denied(404, exc.message) from None
    return json_response(request, {"financial_year": fy_label(fy), "document": doc})


@router.get("/finance", response_model=Document, name="api_finance")
@guard(FINANCE_VIEW)
def finance(request: Request, year: YearQ = None) -> Response:
    """The finance dashboard: budget vs forecast vs actual by source, theme, quarter, programme."""
    return _document(
        request, lambda s, fy: tasks.finance_dashboard(s, fy, chart=False).to_dict(), year
    )


@router.get("/delivery/tables", response_model=Document, name="api_delivery_tables")
@guard(DELIVERY_REPORTS)
def delivery_tables(request: Request, year: YearQ = None) -> Response:
    """The annual-report delivery tables (the same document as ``--format json``)."""
    return _document(request, lambda s, fy: tasks.delivery_tables(s, fy).to_dict(), year)


@router.get("/logic-model", response_model=Document, name="api_logic_model")
@guard(DELIVERY_REPORTS)
def logic_model(request: Request, year: YearQ = None) -> Response:
    """The newest logic model with live progress."""

    def build(s: Any, fy: int) -> dict[str, Any]:
        try:
            with request.app.state.gate.read() as wh:
                return tasks.logic_model_view(s, wh, fy).to_dict()
        except InputError:
            raise
        except VrkitError:  # no warehouse yet: indicators say so
            return tasks.logic_model_view(s, None, fy).to_dict()

    return _document(request, build, year)

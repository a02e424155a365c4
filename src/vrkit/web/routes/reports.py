"""The Violent Crime Report and the needs assessment, browsable by area and year, with
downloads, in the edition the role allows (the same files as ``vrkit report …``, cached)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from vrkit.errors import InputError
from vrkit.ops.roles import HEALTH, POLICE, PUBLIC_VIEW
from vrkit.web import tasks
from vrkit.web.authz import Access, access, guard
from vrkit.web.render import render
from vrkit.web.report_html import split_styles
from vrkit.web.routes.common import area_choices, gate, report_years

router = APIRouter(include_in_schema=False)

MEDIA = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "gpkg": "application/geopackage+sqlite3",
}
_KEY = re.compile(r"^[0-9a-f]{32}$")
_YEARS = re.compile(r"^(\d{4})-(\d{4})$")


def _check_area(area: str) -> str:
    names = {v.lower(): v for v, _ in area_choices()}
    if area.strip().lower() not in names:
        raise InputError(f"unknown area {area!r}", hint="Choose London or a London borough.")
    return names[area.strip().lower()]


def _vcr_files(request: Request, acc: Access, area: str, year: int) -> tuple[str, dict[str, Path]]:
    area = _check_area(area)
    years = report_years(request)
    if year not in years:
        raise InputError(
            f"no complete year {year} of data", hint=f"Years: {', '.join(map(str, years))}."
        )
    cache = request.app.state.cache
    g = gate(request)
    with g.read() as wh:
        key = cache.key("vcr", {"area": area, "year": year}, acc.edition or "public", g.version(wh))
        files = cache.get(
            "vcr",
            key,
            lambda d: tasks.violent_crime_report(wh, d, area=area, year=year, public=acc.public),
        )
    return key, files


def _na_files(request: Request, acc: Access, area: str, years: str) -> tuple[str, dict[str, Path]]:
    area = _check_area(area)
    m = _YEARS.match(years.strip())
    if not m or not 2011 <= int(m.group(1)) < int(m.group(2)) <= 2021:
        raise InputError("years must be a range like 2015-2021 within 2011-2021")
    cache = request.app.state.cache
    g = gate(request)
    with g.read() as wh:
        key = cache.key(
            "na", {"area": area, "years": years}, acc.edition or "public", g.version(wh)
        )
        files = cache.get(
            "na",
            key,
            lambda d: tasks.needs_assessment_report(
                wh, d, area=area, years=years, public=acc.public
            ),
        )
    return key, files


def _conditional(request: Request, etag: str) -> Response | None:
    """304 when the client already holds this cached file (its ETag: the cache key, which
    names the report, its parameters, the edition and the data version)."""
    sent = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if etag in sent:
        return Response(status_code=304, headers=_validators(etag))
    return None


def _validators(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Authorization, Cookie"}


def _serve_html(request: Request, kind: str, key: str, path: Path) -> Response:
    etag = f'"{key}"'
    if (hit := _conditional(request, etag)) is not None:
        return hit
    cache = request.app.state.cache
    doc = cache.extra(kind, key, "portal.html")
    css = cache.extra(kind, key, "portal.css")
    if not doc.exists():
        body, style = split_styles(
            path.read_text(encoding="utf-8"), f"/reports/style/{kind}/{key}.css"
        )
        css.write_text(style, encoding="utf-8")
        doc.write_text(body, encoding="utf-8")
    return HTMLResponse(doc.read_bytes(), headers=_validators(etag))


def _download(
    path: Path, fmt: str, name: str, request: Request | None = None, key: str | None = None
) -> Response:
    etag = f'"{key}-{fmt}"' if key else None
    if request is not None and etag and (hit := _conditional(request, etag)) is not None:
        return hit
    return FileResponse(
        path,
        media_type=MEDIA[fmt],
        filename=name,
        content_disposition_type="attachment",
        headers=_validators(etag) if etag else None,
    )


@router.get("/reports", response_class=HTMLResponse, name="reports")
@guard(PUBLIC_VIEW)
def reports_index(request: Request, acc: Annotated[Access, Depends(access)]) -> Response:
    return render(
        request,
        "reports.html",
        {"title": "Reports", "years": report_years(request), "areas": area_choices(acc)},
    )


@router.get("/reports/violent-crime", response_class=HTMLResponse, name="vcr_page")
@guard(PUBLIC_VIEW, family=(POLICE, HEALTH), param="area")
def vcr_page(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    area: Annotated[str, Query(max_length=80)] = "London",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Response:
    years = report_years(request)
    year = year or (years[0] if years else 0)
    _, files = _vcr_files(request, acc, area, year)
    return render(
        request,
        "report_page.html",
        {
            "title": f"Violent Crime Report: {area} {year}",
            "kind": "violent-crime",
            "edition": acc.edition,
            "areas": area_choices(acc),
            "area": area,
            "years": years,
            "year": year,
            "formats": [f for f in ("html", "xlsx", "json") if f in files],
            "query": f"area={area}&year={year}",
        },
    )


@router.get("/reports/violent-crime/report", response_class=HTMLResponse, name="vcr_report")
@guard(PUBLIC_VIEW, family=(POLICE, HEALTH), param="area")
def vcr_report(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    area: Annotated[str, Query(max_length=80)] = "London",
    year: Annotated[int, Query(ge=2000, le=2100)] = 2020,
) -> Response:
    key, files = _vcr_files(request, acc, area, year)
    return _serve_html(request, "vcr", key, files["html"])


@router.get("/reports/violent-crime/download", name="vcr_download")
@guard(PUBLIC_VIEW, family=(POLICE, HEALTH), param="area", audit="download")
def vcr_download(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    area: Annotated[str, Query(max_length=80)] = "London",
    year: Annotated[int, Query(ge=2000, le=2100)] = 2020,
    format: Annotated[str, Query(pattern="^(html|xlsx|json)$")] = "xlsx",
) -> Response:
    key, files = _vcr_files(request, acc, area, year)
    suffix = "" if acc.full else "-public"
    name = f"{files[format].stem}{suffix}.{format}"
    return _download(files[format], format, name, request, key)


@router.get("/reports/needs-assessment", response_class=HTMLResponse, name="na_page")
@guard(PUBLIC_VIEW, family=POLICE, param="area")
def na_page(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    area: Annotated[str, Query(max_length=80)] = "London",
    years: Annotated[str, Query(max_length=9)] = "2015-2021",
) -> Response:
    _na_files(request, acc, area, years)
    return render(
        request,
        "report_page.html",
        {
            "title": f"Needs assessment: {area} {years}",
            "kind": "needs-assessment",
            "edition": acc.edition,
            "areas": area_choices(acc),
            "area": area,
            "years_range": years,
            "formats": ["html", "xlsx", "gpkg"],
            "query": f"area={area}&years={years}",
        },
    )


@router.get("/reports/needs-assessment/report", response_class=HTMLResponse, name="na_report")
@guard(PUBLIC_VIEW, family=POLICE, param="area")
def na_report(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    area: Annotated[str, Query(max_length=80)] = "London",
    years: Annotated[str, Query(max_length=9)] = "2015-2021",
) -> Response:
    key, files = _na_files(request, acc, area, years)
    return _serve_html(request, "na", key, files["html"])


@router.get("/reports/needs-assessment/download", name="na_download")
@guard(PUBLIC_VIEW, family=POLICE, param="area", audit="download")
def na_download(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    area: Annotated[str, Query(max_length=80)] = "London",
    years: Annotated[str, Query(max_length=9)] = "2015-2021",
    format: Annotated[str, Query(pattern="^(html|xlsx|gpkg)$")] = "xlsx",
) -> Response:
    key, files = _na_files(request, acc, area, years)
    suffix = "" if acc.full else "-public"
    name = f"{files[format].stem}{suffix}.{format}"
    return _download(files[format], format, name, request, key)


@router.get("/reports/style/{kind}/{key}.css", name="report_style")
@guard(PUBLIC_VIEW)
def report_style(request: Request, kind: str, key: str) -> Response:
    """The stylesheet extracted from a report (styles only, no data)."""
    if kind not in ("vcr", "na") or not _KEY.match(key):
        raise InputError("no such stylesheet")
    path = request.app.state.cache.extra(kind, key, "portal.css")
    if not path.exists():
        raise InputError("no such stylesheet")
    return Response(
        path.read_text(encoding="utf-8"),
        media_type="text/css",
        headers={"Cache-Control": "private, max-age=3600"},
    )

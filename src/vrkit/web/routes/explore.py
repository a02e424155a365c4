"""Trend explorer, alerts for a month, datasets and quality."""

from __future__ import annotations

import math
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from vrkit.ops.roles import ALERTS, DATASETS, POLICE, PUBLIC_VIEW
from vrkit.web import tasks
from vrkit.web.authz import Access, access, guard
from vrkit.web.charts import line_chart
from vrkit.web.render import render
from vrkit.web.routes.common import area_choices, gate, memo

router = APIRouter(include_in_schema=False)


def _num(v: object, digits: int = 0, signed: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or pd.isna(v):
        return ""
    f = float(v)  # type: ignore[arg-type]
    return f"{f:+,.{digits}f}" if signed else f"{f:,.{digits}f}"


@router.get("/trends", response_class=HTMLResponse, name="trends")
@guard(PUBLIC_VIEW, family=POLICE, param="area")
def trends_page(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    measure: Annotated[str, Query(max_length=60)] = "violence_with_injury",
    area: Annotated[str, Query(max_length=80)] = "London",
    period: Annotated[str, Query(pattern="^(calendar|financial)$")] = "calendar",
) -> Response:
    t = memo(
        request,
        "trend",
        (measure, area, period, acc.public),
        lambda wh: tasks.trend(wh, measure=measure, area=area, period=period, public=acc.public),
    )
    monthly = t.monthly
    months = [pd.Timestamp(m).date() for m in monthly["month"]]
    values = [None if pd.isna(v) else float(v) for v in monthly["count"]]
    rows = [
        {
            "period": str(r.period),
            "months": int(r.months),
            "total": _num(r.total)
            or ("suppressed" if getattr(r, "suppressed", False) else "missing"),
            "change": _num(r.change, signed=True),
            "pct": (_num(r.pct_change, 1, signed=True) + " %") if _num(r.pct_change) else "",
        }
        for r in t.totals.itertuples()
    ]
    return render(
        request,
        "trends.html",
        {
            "title": "Trends",
            "measures": tasks.measures(),
            "measure": measure,
            "areas": area_choices(acc),
            "area": area,
            "period": period,
            "label": t.label,
            "chart": line_chart(months, values, title=f"{t.label}, {area}, by month"),
            "rows": rows,
            "edition": acc.edition,
            "rule": t.rule,
            "suppressed": int(monthly.get("suppressed", pd.Series(dtype=bool)).sum()),
        },
    )


@router.get("/alerts", response_class=HTMLResponse, name="alerts")
@guard(ALERTS, family=POLICE)
def alerts_page(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    measure: Annotated[str, Query(max_length=60)] = "violence_with_injury",
    month: Annotated[str, Query(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")] = "2021-06",
) -> Response:
    res, records = memo(
        request,
        "alerts",
        (measure, month),
        lambda wh: tasks.alerts(wh, measure=measure, month=month),
    )
    records = [dict(r) for r in records]
    records = sorted(records, key=lambda r: (not r.get("alert"), -(r.get("score") or 0)))
    return render(
        request,
        "alerts.html",
        {
            "title": "Alerts",
            "measures": tasks.measures(),
            "measure": measure,
            "month": month,
            "records": records,
            "res": res,
        },
    )


@router.get("/datasets", response_class=HTMLResponse, name="datasets")
@guard(DATASETS)
def datasets_page(request: Request) -> Response:
    with gate(request).read() as wh:
        frame = tasks.datasets(wh)
    rows = [
        {
            "id": int(r.dataset_id),
            "kind": r.source_kind,
            "file": r.file_name,
            "covers": f"{str(r.covers_from)[:7]} to {str(r.covers_to)[:7]}"
            if r.covers_from is not None and not pd.isna(r.covers_from)
            else "",
            "read": f"{int(r.rows_read):,}",
            "loaded": f"{int(r.rows_loaded):,}",
            "rejected": f"{int(r.rows_rejected):,}",
            "sha": str(r.sha256)[:12],
        }
        for r in frame.itertuples()
        if r.source_kind != "istv"  # health submissions: see the ISTV pages (by department)
    ]
    return render(request, "datasets.html", {"title": "Datasets", "rows": rows})

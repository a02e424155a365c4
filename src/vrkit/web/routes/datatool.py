"""The data tool: rank the areas of London for an intervention profile (``vrkit rank``), with
reasons, rank intervals, the areas not ranked and those ranked on partial data; page, download
and ``/api/v1/rank``.

What each role sees (the decision is :func:`vrkit.web.authz.authorize`'s, family ``police``
because the index's disclosive inputs are recorded-crime counts; the other indicators are
published statistics):

- **full edition** (VRU analyst; police partner; a CSP analyst for its own borough): the ranking
  ``vrkit rank`` computes from the unprotected counts. A CSP analyst gets it only with its own
  borough chosen, and then only the rows of that borough's areas: their London-wide rank, score,
  interval, rates and reasons. (A rank is a place among all London's areas by nature; no row,
  rate or score of an area outside the borough is shown.)
- **public edition** (everyone else, and a CSP analyst for London or another borough): the
  ranking ``vrkit rank --public`` computes, in which no score, rank or interval depends on a
  suppressed count (crime rates of small counts protected, globally smoothed; blanked cells
  listed per row).

The ranking is computed once per (profile, geography, weights, edition, data version) and kept
in memory; a borough filter only selects rows of it.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from vrkit.disclosure.tables import BLANKED_COL
from vrkit.ops.roles import POLICE, PUBLIC_VIEW
from vrkit.reports.render.need_index import not_ranked, partial_data
from vrkit.reports.tabular import csv_text, write_xlsx
from vrkit.tasks.ranking import RankResult, parse_weights
from vrkit.web import tasks
from vrkit.web.authz import Access, access, guard
from vrkit.web.render import render
from vrkit.web.routes.api import ERRORS, AreaName, json_body, json_response
from vrkit.web.routes.common import area_choices, memo
from vrkit.web.routes.reports import MEDIA, _check_area

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)

GEOGRAPHIES = (("ward", "Wards"), ("borough", "Boroughs"), ("lsoa", "LSOAs (2011)"))
ProfileId = Enum("ProfileId", {i: i for i, _ in tasks.profiles()}, type=str)  # type: ignore[misc]
Geography = Enum("Geography", {g: g for g, _ in GEOGRAPHIES}, type=str)  # type: ignore[misc]
WEIGHTS_HELP = "Replace some of the profile's indicator weights: indicator=weight comma list"
Weights = Annotated[
    str,
    Query(
        max_length=400,
        pattern=r"^([A-Za-z0-9_]+=[0-9]+(\.[0-9]+)?(,[A-Za-z0-9_]+=[0-9]+(\.[0-9]+)?)*)?$",
        description=WEIGHTS_HELP,
    ),
]


@dataclass(frozen=True)
class Ranking:
    """A ranking cut to what the request may see."""

    result: RankResult
    area: str
    ranked: pd.DataFrame
    not_ranked: pd.DataFrame
    partial: pd.DataFrame

    @property
    def names(self) -> dict[str, str]:
        meta = self.result.report.inputs.meta
        return dict(zip(meta["indicator_id"], meta["name"], strict=True))

    def rows(self) -> pd.DataFrame:
        """The ranked rows followed by the areas not ranked (rank blank, the reason given)."""
        nr = self.not_ranked.rename(columns={"reason": "data_note"})
        if nr.empty:
            return self.ranked
        nr = nr.assign(data_note="not ranked: " + nr["data_note"].astype(str))
        out = pd.concat([self.ranked, nr], ignore_index=True)
        out["rank"] = out["rank"].astype("Int64")
        return out


def _weights(request: Request, profile: str, weights: str) -> dict[str, float]:
    """``weights`` (``id=w,...``), overridden by the page form's ``w_<id>`` inputs when the form
    was for this profile (a form for another profile names other indicators)."""
    out = parse_weights(weights)
    q = request.query_params
    if q.get("weights_for") == profile:
        for key, value in q.items():
            if key.startswith("w_") and value.strip():
                out.update(parse_weights(f"{key[2:]}={value.strip()}"))
    return out


def ranking(
    request: Request,
    acc: Access,
    profile: str,
    geography: str,
    area: str,
    weights: dict[str, float],
) -> Ranking:
    area = _check_area(area)
    key = (profile, geography, tuple(sorted(weights.items())), acc.public)
    res: RankResult = memo(
        request,
        "rank",
        key,
        lambda wh: tasks.rank(
            wh, profile=profile, geography=geography, weights=weights, public=acc.public
        ),
    )
    rep = res.report
    col = "area_code" if geography == "borough" else "borough_code"

    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        if acc.codes is None:
            return frame.reset_index(drop=True)
        return frame[frame[col].isin(acc.codes)].reset_index(drop=True)

    return Ranking(res, area, keep(rep.table), keep(not_ranked(rep)), keep(partial_data(rep)))


def _fmt(v: Any, digits: int) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    return f"{float(v):,.{digits}f}"


def _reasons(row: pd.Series, names: dict[str, str], n: int = 3) -> list[str]:
    """The indicators that push the area up most (largest positive contributions)."""
    contrib = {
        c[len("contrib_") :]: float(row[c])
        for c in row.index
        if c.startswith("contrib_") and pd.notna(row[c]) and float(row[c]) > 0
    }
    top = sorted(contrib.items(), key=lambda kv: -kv[1])[:n]
    return [f"{names.get(i, i)} (+{v:.2f})" for i, v in top]


def _page_rows(r: Ranking) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    rep = r.result.report
    names = r.names
    rate_ids = list(rep.inputs.raw_rates)
    rows = []
    for _, row in r.ranked.iterrows():
        blanked = str(row.get(BLANKED_COL, "") or "")
        rows.append(
            {
                "rank": int(row["rank"]),
                "code": row["area_code"],
                "name": row["area_name"],
                "borough": row.get("borough_name") or "",
                "score": _fmt(row["score"], 3),
                "interval": f"{int(row['rank_low'])}–{int(row['rank_high'])}",
                "p_top": _fmt(row["p_top_n"], 2),
                "reasons": _reasons(row, names),
                "rates": [
                    (
                        "suppressed"
                        if f"rate_{i}" in blanked.split(",")
                        else _fmt(row[f"rate_{i}"], 1),
                        _fmt(row[f"raw_rate_{i}"], 1),
                    )
                    for i in rate_ids
                ],
                "used": int(row["indicators_used"]),
                "note": "; ".join(
                    x
                    for x in (str(row["data_note"] or ""), str(row["denominator_flag"] or ""))
                    if x
                ),
            }
        )
    return rows, [(i, names.get(i, i)) for i in rate_ids]


def _plain(v: float) -> str:
    """A weight as the ``weights`` parameter accepts it (no exponent, no sign)."""
    return f"{v:.6f}".rstrip("0").rstrip(".") or "0"


def _query(profile: str, geography: str, area: str, weights: dict[str, float]) -> str:
    q = {"profile": profile, "geography": geography, "area": area}
    if weights:
        q["weights"] = ",".join(f"{k}={_plain(v)}" for k, v in sorted(weights.items()))
    return urlencode(q)


@router.get("/datatool", response_class=HTMLResponse, name="datatool")
@guard(PUBLIC_VIEW, family=POLICE, param="area")
def datatool_page(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    profile: Annotated[ProfileId, Query()] = ProfileId("sports"),
    geography: Annotated[Geography, Query()] = Geography("ward"),
    area: Annotated[str, Query(max_length=80)] = "London",
    weights: Weights = "",
) -> Response:
    p, g = profile.value, geography.value
    w = _weights(request, p, weights)
    r = ranking(request, acc, p, g, area, w)
    rep = r.result.report
    rows, rate_cols = _page_rows(r)
    names = r.names
    ind = [
        {
            "id": s.indicator_id,
            "name": names.get(s.indicator_id, s.indicator_id),
            "weight": f"{s.weight:g}",
            "domain": s.domain or "",
            "why": rep.profile.why.get(s.indicator_id, ""),
        }
        for s in rep.profile.indicators
    ]
    return render(
        request,
        "datatool.html",
        {
            "title": "Data tool",
            "profiles": tasks.profiles(),
            "profile": p,
            "profile_name": rep.profile.name,
            "profile_description": rep.profile.description,
            "geographies": list(GEOGRAPHIES),
            "geography": g,
            "geography_label": dict(GEOGRAPHIES)[g],
            "areas": area_choices(acc),
            "area": r.area,
            "indicators": ind,
            "custom": bool(w),
            "rows": rows,
            "rate_cols": rate_cols,
            "not_ranked": r.not_ranked.to_dict("records"),
            "partial": r.partial.to_dict("records"),
            "top_n": rep.top_n,
            "params": rep.params,
            "edition": acc.edition,
            "disclosure": rep.disclosure,
            "notes": list(rep.inputs.notes),
            "query": _query(p, g, r.area, w),
            "mine": bool(acc.principal.scope_codes("borough")),
        },
    )


@router.get("/datatool/download", name="datatool_download")
@guard(PUBLIC_VIEW, family=POLICE, param="area", audit="download")
def datatool_download(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    profile: Annotated[ProfileId, Query()] = ProfileId("sports"),
    geography: Annotated[Geography, Query()] = Geography("ward"),
    area: Annotated[str, Query(max_length=80)] = "London",
    weights: Weights = "",
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
) -> Response:
    """The ranking as shown (ranked areas, then those not ranked) through the safe writers."""
    p, g = profile.value, geography.value
    r = ranking(request, acc, p, g, area, parse_weights(weights))
    frame = r.rows()
    stem = f"need_index_{p}_{g}_{r.area.lower().replace(' ', '_')}" + (
        "" if acc.full else "_public"
    )
    if format == "csv":
        body = csv_text(frame).encode("utf-8")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{stem}.xlsx"
            starred = BLANKED_COL if BLANKED_COL in frame.columns else None
            write_xlsx(path, {"ranking": frame}, starred_column=starred)
            body = path.read_bytes()
    return Response(
        body,
        media_type=MEDIA.get(format, "text/csv; charset=utf-8"),
        headers={"Content-Disposition": f'attachment; filename="{stem}.{format}"'},
    )


class RankOut(BaseModel):
    profile: str
    profile_name: str
    profile_version: int
    geography: str
    area: str
    edition: str
    top_n: int
    params: dict[str, Any]
    disclosure_control: dict[str, Any] | None
    ranking: list[dict[str, Any]]
    not_ranked: list[dict[str, Any]]
    partial_data: list[dict[str, Any]]


@api.get("/rank", response_model=RankOut, name="api_rank")
@guard(PUBLIC_VIEW, family=POLICE, param="area")
def rank_api(
    request: Request,
    acc: Annotated[Access, Depends(access)],
    profile: Annotated[ProfileId, Query()] = ProfileId("sports"),
    geography: Annotated[Geography, Query()] = Geography("ward"),
    area: Annotated[AreaName, Query()] = AreaName("London"),
    weights: Weights = "",
) -> Response:
    """The data tool's ranking (``vrkit rank``): ranked areas with score, rank interval,
    P(top N), contributions, smoothed and crude crime rates and data notes; the areas not ranked
    and why; those ranked on partial data. The edition is the caller's (see ``edition``); with a
    borough, only its areas' rows."""
    p, g = profile.value, geography.value
    w = parse_weights(weights)
    r = ranking(request, acc, p, g, area.value, w)

    def build() -> tuple[Any, tuple[bytes, str]]:
        rep = r.result.report
        payload = {
            "profile": p,
            "profile_name": rep.profile.name,
            "profile_version": rep.profile.version,
            "geography": g,
            "area": r.area,
            "edition": acc.edition,
            "top_n": rep.top_n,
            "params": rep.params,
            "disclosure_control": rep.disclosure,
            "ranking": r.ranked.to_dict("records"),
            "not_ranked": r.not_ranked.to_dict("records"),
            "partial_data": r.partial.to_dict("records"),
        }
        return r.result, json_body(payload)

    # the encoded body is kept beside the ranking it was made from (same object: same data)
    key = ("rank.json", p, g, tuple(sorted(w.items())), r.area, acc.edition, acc.codes)
    made, encoded = request.app.state.memo.get(key, build)
    if made is not r.result:
        made, encoded = build()
        request.app.state.memo.put(key, (made, encoded))
    return json_response(request, encoded=encoded)

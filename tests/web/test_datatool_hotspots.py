"""The data tool (need index ranking) and the hot spot map: the same task functions as
``vrkit rank`` and ``vrkit hotspots``, cut to the caller's edition and scope, downloads through
the safe writers, audit entries for non-public reads, the API in the OpenAPI schema."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from vrkit.ops.models import AuditEvent
from vrkit.store.warehouse import Warehouse

from .conftest import IN_BOROUGH_CODE, Portal


@pytest.fixture(scope="module")
def task_ranking(warehouse_path: Any) -> Any:
    """What ``vrkit rank --profile sports --geography ward`` computes (full edition)."""
    from vrkit.tasks.ranking import rank

    with Warehouse(warehouse_path, read_only=True) as wh:
        return rank(wh, "sports", geography="ward").table


def _as(portal: Portal, role: str) -> Any:
    """A client signed in as ``role`` through a fresh session (no sign-in form: the form's
    per-address rate limit is for people, and this module signs in often)."""
    from vrkit.web.authz import SESSION_COOKIE

    c = portal.client()
    c.cookies.set(SESSION_COOKIE, portal.session_cookie(role))
    return c


def _events(portal: Portal, path: str) -> list[AuditEvent]:
    with portal.app.state.db.session() as s:
        return list(
            s.scalars(
                select(AuditEvent).where(AuditEvent.target.startswith(path)).order_by(AuditEvent.id)
            )
        )


def test_ranking_is_the_rank_task_cut_to_the_borough(
    module_portal: Portal, task_ranking: Any
) -> None:
    vru = _as(module_portal, "vru_analyst")
    body = vru.get("/api/v1/rank", params={"area": "Lambeth"}).json()
    assert body["edition"] == "full" and body["profile"] == "sports"
    want = task_ranking[task_ranking["borough_code"] == IN_BOROUGH_CODE]
    got = body["ranking"]
    assert len(got) == len(want) > 15
    assert [r["area_code"] for r in got] == want["area_code"].tolist()
    assert [r["rank"] for r in got] == want["rank"].tolist()
    assert [r["score"] for r in got] == pytest.approx(want["score"].tolist())
    assert {r["borough_name"] for r in got} == {"Lambeth"}
    # ranks are London-wide: Lambeth's wards are not numbered 1..n
    assert max(r["rank"] for r in got) > len(got)
    assert body["params"]["n_draws"] == 1000 and body["params"]["n_areas"] == len(task_ranking)
    assert all(r["rank_low"] <= r["rank"] <= r["rank_high"] and 0 <= r["p_top_n"] <= 1 for r in got)
    # smoothed and crude crime rates side by side
    assert {
        "rate_crime_violence_with_injury_rate",
        "raw_rate_crime_violence_with_injury_rate",
    } <= set(got[0])
    london = vru.get("/api/v1/rank").json()
    assert len(london["ranking"]) == len(task_ranking)
    assert isinstance(london["not_ranked"], list) and isinstance(london["partial_data"], list)


def test_page_shows_reasons_intervals_and_the_lists(module_portal: Portal) -> None:
    vru = _as(module_portal, "vru_analyst")
    html = vru.get("/datatool", params={"area": "Lambeth"}).text
    assert "Full edition" in html and 'id="ranking-table"' in html
    assert "Rank interval" in html and "Main reasons" in html
    assert re.search(r"\d+–\d+</td>", html), "rank intervals"
    assert "Violence with injury per 1,000 residents (+" in html, "reasons name indicators"
    assert 'id="not-ranked"' in html and 'id="partial-data"' in html
    rows = re.findall(r"<td class=\"govuk-table__cell\">([^<]*)</td>", html)
    assert "Lambeth" in rows and "Hackney" not in rows
    # the page works without JavaScript: a plain GET form with one input per weight
    assert '<form method="get" action="/datatool">' in html
    assert (
        'name="w_imd2019_score"' in html
        and "<script" not in html.split("<main")[1].split("</main>")[0]
    )


def test_editions_by_role_and_scope(module_portal: Portal) -> None:
    anon = module_portal.client()
    csp = _as(module_portal, "csp_analyst")
    vru = _as(module_portal, "vru_analyst")

    def get(c: Any, area: str) -> dict[str, Any]:
        r = c.get("/api/v1/rank", params={"area": area})
        assert r.status_code == 200, r.text[:300]
        return dict(r.json())

    pub_hackney = get(anon, "Hackney")
    assert pub_hackney["edition"] == "public" and pub_hackney["disclosure_control"]
    assert get(csp, "Hackney") == pub_hackney, "outside its borough: the public edition"
    assert get(csp, "London")["edition"] == "public"
    own = get(csp, "Lambeth")
    assert own == get(vru, "Lambeth") and own["edition"] == "full"
    # the public edition is computed from protected rates: it differs from the full one
    pub_lambeth = get(anon, "Lambeth")
    assert pub_lambeth["ranking"] != own["ranking"]
    assert all("blanked" in r for r in pub_lambeth["ranking"])
    # no row of another borough in a borough's response
    assert {r["borough_code"] for r in own["ranking"]} == {IN_BOROUGH_CODE}


def test_weights_change_the_ranking_and_are_recorded(module_portal: Portal) -> None:
    vru = _as(module_portal, "vru_analyst")
    base = vru.get("/api/v1/rank", params={"area": "Lambeth"}).json()
    w = vru.get(
        "/api/v1/rank",
        params={"area": "Lambeth", "weights": "crime_violence_against_the_person_rate=4"},
    ).json()
    assert w["params"]["weights"]["crime_violence_against_the_person_rate"] == 4.0
    assert [r["score"] for r in w["ranking"]] != [r["score"] for r in base["ranking"]]
    bad = vru.get("/api/v1/rank", params={"weights": "nope=1"})
    assert bad.status_code == 400 and "no indicator 'nope'" in bad.json()["error"]
    # the page's form: w_<id> inputs apply to the profile they were shown for only
    page = vru.get(
        "/datatool",
        params={
            "area": "Lambeth",
            "weights_for": "sports",
            "w_crime_violence_against_the_person_rate": "4",
        },
    ).text
    assert (
        "Your own weights" in page and "weights=crime_violence_against_the_person_rate%3D4" in page
    )
    other = vru.get(
        "/datatool",
        params={
            "area": "Lambeth",
            "weights_for": "mentoring",
            "w_crime_violence_against_the_person_rate": "4",
        },
    ).text
    assert "Your own weights" not in other


def test_downloads_are_scoped_and_safe(module_portal: Portal) -> None:
    csp = _as(module_portal, "csp_analyst")
    r = csp.get("/datatool/download", params={"area": "Lambeth", "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    lines = r.text.splitlines()
    assert lines[0].startswith("area_code,area_name,rank,score,rank_low,rank_high")
    assert all(",Lambeth," in ln for ln in lines[1:])
    x = csp.get("/datatool/download", params={"area": "Hackney", "format": "xlsx"})
    assert "_public.xlsx" in x.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    header = [c.value for c in ws[1]]
    assert header[:4] == ["area_code", "area_name", "rank", "score"]
    boroughs = {
        row[header.index("borough_name")] for row in ws.iter_rows(min_row=2, values_only=True)
    }
    assert boroughs == {"Hackney"}
    events = _events(module_portal, "/datatool/download")
    assert [e.action for e in events][-2:] == ["download", "download"]


def test_audit_of_non_public_reads(module_portal: Portal) -> None:
    before = len(_events(module_portal, "/datatool"))
    module_portal.client().get("/datatool", params={"area": "Lambeth"})
    assert len(_events(module_portal, "/datatool")) == before, "public reads are not audited"
    _as(module_portal, "csp_analyst").get("/datatool", params={"area": "Lambeth"})
    _as(module_portal, "police_partner").get("/hotspots", params={"area": "Hackney", "year": 2019})
    new = _events(module_portal, "/datatool")[before:]
    assert [(e.action, e.role) for e in new] == [("read", "csp_analyst")]
    assert "area=Lambeth" in new[0].target
    hs = _events(module_portal, "/hotspots")
    assert hs and hs[-1].role == "police_partner" and hs[-1].action == "read"


def test_rank_api_is_in_the_openapi_schema(module_portal: Portal) -> None:
    spec = module_portal.client().get("/api/v1/openapi.json").json()
    op = spec["paths"]["/api/v1/rank"]["get"]
    names = {p["name"] for p in op["parameters"]}
    assert {"profile", "geography", "area", "weights"} <= names
    assert "/datatool" not in spec["paths"] and "/hotspots" not in spec["paths"]
    # a response parses as its documented model (schemathesis leaves this operation out: each
    # case would compute a ranking)
    from vrkit.web.routes.datatool import RankOut

    body = _as(module_portal, "vru_analyst").get("/api/v1/rank", params={"area": "Lambeth"})
    assert RankOut.model_validate(body.json()).edition == "full"
    assert module_portal.client().get("/api/v1/rank", params={"weights": "x=1;"}).status_code == 422


def test_hot_spot_map_is_the_hotspots_task(module_portal: Portal, warehouse_path: Any) -> None:
    from vrkit.tasks.places import hotspots

    with Warehouse(warehouse_path, read_only=True) as wh:
        res = hotspots(
            wh, measure="violence_against_the_person", geography="lsoa", year=2019,
            area="Lambeth", statistic="gi",
        )  # fmt: skip
    frame = res.to_frame()
    assert len(frame) == 178 and (frame["hotspot_class"] == "hot").any()
    vru = _as(module_portal, "vru_analyst")
    html = vru.get("/hotspots", params={"area": "Lambeth", "year": 2019}).text
    assert html.count('<path class="vrkit-hs-') == 178
    body = html.split('id="hotspot-table"')[1]
    rows = re.findall(
        r'<span class="govuk-hint govuk-!-display-inline">(E01\d+)</span></th>'
        r'<td class="govuk-table__cell">([^<]+)</td><td[^>]*>([\d,]+)</td><td[^>]*>(-?[\d.]+)</td>',
        body,
    )
    assert len(rows) == 178
    want = frame.set_index("area_code")
    for code, cls, count, z in rows:
        assert cls.lower().startswith(str(want.loc[code, "hotspot_class"]).split()[0])
        assert int(count.replace(",", "")) == want.loc[code, "count"]
        assert float(z) == pytest.approx(want.loc[code, "gi_z"], abs=0.006)
    # ordered by z-score, highest first
    zs = [float(z) for *_, z in rows]
    assert zs == sorted(zs, reverse=True)


def test_hot_spot_public_edition_has_classes_only(module_portal: Portal) -> None:
    anon = module_portal.client()
    csp = _as(module_portal, "csp_analyst")
    pub = anon.get("/hotspots", params={"area": "Hackney", "year": 2019}).text
    assert "Public edition" in pub and "Gi* z" not in pub and "Adjusted p" not in pub
    assert "Hot spot" in pub
    # the CSP analyst outside its borough gets exactly the public page's figures
    out = csp.get("/hotspots", params={"area": "Hackney", "year": 2019}).text

    # (from the heading under the form, whose area list marks the analyst's own borough)
    def body(html: str) -> str:
        return html.split('<h2 class="govuk-heading-m">', 1)[1].split("</main>")[0]

    assert body(out) == body(pub)
    own = csp.get("/hotspots", params={"area": "Lambeth", "year": 2019}).text
    assert "Full edition" in own and "Gi* z" in own


def test_nav_links_per_role(module_portal: Portal) -> None:
    home = module_portal.client().get("/").text
    assert 'href="/datatool"' in home and 'href="/hotspots"' in home


def test_cached_reads_answer_304_and_audit_after_the_response(module_portal: Portal) -> None:
    """Cached report HTML and downloads carry an ETag (the cache key) and answer 304; the read
    is audited even when answered with 304 (after the response, stamped with its time)."""
    csp = _as(module_portal, "csp_analyst")
    url = "/reports/violent-crime/report"
    first = csp.get(url, params={"area": "Lambeth", "year": 2020})
    assert first.status_code == 200 and first.headers["etag"].startswith('"')
    again = csp.get(
        url,
        params={"area": "Lambeth", "year": 2020},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert again.status_code == 304 and again.content == b""
    other = csp.get(
        url,
        params={"area": "Hackney", "year": 2020},
        headers={"If-None-Match": first.headers["etag"]},
    )
    assert other.status_code == 200 and other.headers["etag"] != first.headers["etag"]
    reads = [e for e in _events(module_portal, url) if e.role == "csp_analyst"]
    assert len(reads) == 2 and all(e.action == "read" for e in reads), "full-edition reads"
    assert reads[0].at <= reads[1].at

"""Commissioners and providers in the portal and the API: a provider's returns round trip
(template → filled → uploaded → shown), refusals by sheet/row/column, scope, the optimistic
lock on the edit form, reprofiling from the finance page, and the audit trail."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from vrkit.ops.models import AuditEvent
from vrkit.ops.roles import Principal
from vrkit.tasks import delivery as tasks

from .conftest import IN_ORG, OUT_ORG, Portal, csrf_of, make_portal
from .delivery_helpers import EXAMPLE, fill, write_tables

SEED = {
    "programmes.csv": "ref,name,theme,objectives,lead_organisation\n"
    f"P-IN,Provider's own programme,VCS/community,1,{IN_ORG}\n"
    f"P-OUT,Another organisation's programme,Health,2,{OUT_ORG}\n",
    "budgets.csv": "source,financial_year,amount_gbp\nhome_office,2020/21,10000\n",
    "profile.csv": "programme_ref,source,financial_year,quarter,amount_gbp\n"
    "P-IN,home_office,2020/21,1,1000\nP-IN,home_office,2020/21,2,1000\nP-OUT,home_office,2020/21,1,500\n",
    "targets.csv": "programme_ref,source,measure,financial_year,target\nP-IN,,people_reached_new,2020/21,80\n",
}


@pytest.fixture(scope="module")
def dp(
    module_database_url: str, warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Portal]:
    root = tmp_path_factory.mktemp("delivery-portal")
    # this module signs in more than the default 10 times a minute from one address; the
    # sign-in rate limit itself is tested in test_security.py
    p = make_portal(module_database_url, warehouse_path, root, login_rate_per_minute=10_000)
    actor = Principal(role="commissioner", email="seed@test.vrkit.invalid")
    with tempfile.TemporaryDirectory() as tmp, p.app.state.db.session() as s:
        tasks.import_delivery(s, actor, [write_tables(Path(tmp), SEED)])
        tasks.import_logic_model(s, actor, EXAMPLE / "logic_model.json")
    yield p
    p.app.state.gate.close()
    p.app.state.db.dispose()


def upload(client: Any, ref: str, data: bytes, name: str = "return.xlsx") -> Any:
    token = csrf_of(client.get(f"/programmes/{ref}").text)
    return client.post(
        f"/programmes/{ref}/returns",
        data={"csrf_token": token},
        files={
            "file": (
                name,
                data,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        },
    )


def test_provider_returns_round_trip_in_the_portal(dp: Portal) -> None:
    c = dp.client("provider")
    listing = c.get("/programmes").text
    assert "P-IN" in listing and "P-OUT" not in listing
    t = c.get("/programmes/P-IN/returns/template", params={"year": "2020/21", "quarter": 1})
    assert t.status_code == 200 and t.content[:2] == b"PK"
    assert 'filename="return-P-IN-2020-21-Q1.xlsx"' in t.headers["content-disposition"]
    # a mistake: the sex breakdown adds up to 11, not 12
    reach = {
        ("age_band", "10-13"): 12,
        ("sex", "Female"): 11,
        ("ethnicity", "White"): 12,
        ("borough", "Lambeth"): 12,
    }
    bad = upload(
        c,
        "P-IN",
        fill(
            t.content,
            {"people_reached_new": 12, "young_people_supported": 12},
            reach=reach,
            spend={"home_office": 900},
        ),
    )
    assert bad.status_code == 400
    assert "The return was refused: nothing was stored" in bad.text
    row = re.search(
        r"<td class=\"govuk-table__cell\">Reach</td><td[^>]*>(\d+)</td><td[^>]*>Count</td><td[^>]*>([^<]+)</td>",
        bad.text,
    )
    assert row and row.group(1) == "9" and "the sex counts (rows 9–12) add up to 11" in row.group(2)
    assert "No returns for 2020/21 yet" in c.get("/programmes/P-IN?year=2020/21").text
    reach[("sex", "Female")] = 12
    ok = upload(
        c,
        "P-IN",
        fill(
            t.content,
            {"people_reached_new": 12, "young_people_supported": 12},
            reach=reach,
            spend={"home_office": 900},
        ),
    )
    assert (
        ok.status_code == 200 and "stored the return for P-IN 2020/21 Q1 as revision 1" in ok.text
    )
    page = c.get("/programmes/P-IN?year=2020/21").text
    assert "12 of 80" in page and "Money" not in page  # providers see progress, not finance
    # a corrected return is a new revision
    again = upload(
        c,
        "P-IN",
        fill(
            t.content,
            {"people_reached_new": 15, "young_people_supported": 15},
            reach={k: 15 for k in reach},
            spend={"home_office": 950},
        ),
    )
    assert "as revision 2, replacing revision 1" in again.text
    api = c.get("/api/v1/programmes/P-IN/returns").json()
    assert [(r["revision"], r["status"]) for r in api["data"]] == [
        (1, "superseded"),
        (2, "current"),
    ]
    with dp.app.state.db.session() as s:
        actions = [
            e.action
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.user_email == dp.users["provider"][1])
            )
        ]
    assert actions.count("return_submitted") == 2 and actions.count("return_rejected") == 1
    assert "download" in actions


def test_a_provider_cannot_reach_another_organisations_programme(dp: Portal) -> None:
    c = dp.client("provider")
    for path in (
        "/programmes/P-OUT",
        "/programmes/P-OUT/returns/template",
        "/api/v1/programmes/P-OUT",
        "/finance",
        "/delivery",
        "/logic-model",
    ):
        r = c.get(path)
        assert r.status_code == 403 and r.headers["x-access-decision"] == "denied", path
    r = c.post(
        "/programmes/P-OUT/returns",
        data={"csrf_token": csrf_of(c.get("/programmes/P-IN").text)},
        files={"file": ("x.xlsx", b"PK", "application/octet-stream")},
    )
    assert r.status_code == 403
    # a file for another programme uploaded on its own programme's page is refused whole
    cm = dp.client("commissioner")
    other = cm.get(
        "/programmes/P-OUT/returns/template", params={"year": "2020/21", "quarter": 1}
    ).content
    r = upload(c, "P-IN", fill(other, {"people_reached_new": 1}))
    assert r.status_code == 400 and "this return is for programme P-OUT, not P-IN" in r.text
    api = c.get("/api/v1/programmes").json()
    assert [p["ref"] for p in api["data"]] == ["P-IN"]
    assert "P-OUT" not in c.get("/api/v1/progress", params={"year": "2020/21"}).text


def test_the_second_of_two_concurrent_edits_is_refused(dp: Portal) -> None:
    ana, ben = dp.client("commissioner"), dp.client("commissioner")
    form_a, form_b = ana.get("/programmes/P-OUT/edit").text, ben.get("/programmes/P-OUT/edit").text
    version = re.search(r'name="version" value="(\d+)"', form_a)
    assert version and version.group(1) == re.search(r'name="version" value="(\d+)"', form_b).group(
        1
    )  # type: ignore[union-attr]
    base = {
        "theme": "health",
        "status": "active",
        "evaluation_status": "planned",
        "version": version.group(1),
    }
    r1 = ana.post(
        "/programmes/P-OUT/edit",
        data=base | {"name": "Renamed by Ana", "csrf_token": csrf_of(form_a)},
    )
    assert r1.status_code == 303
    r2 = ben.post(
        "/programmes/P-OUT/edit",
        data=base | {"name": "Renamed by Ben", "csrf_token": csrf_of(form_b)},
    )
    assert r2.status_code == 409
    assert (
        "was changed by commissioner@test.vrkit.invalid" in r2.text
        and "your changes were not saved" in r2.text
    )
    assert "Renamed by Ana" in ana.get("/programmes/P-OUT").text


def test_reprofiling_from_the_finance_page(dp: Portal, tmp_path: Path) -> None:
    from vrkit.ops import accounts

    from .conftest import password_hash, sign_in

    with dp.app.state.db.session() as s:
        accounts.create_user(
            s, Principal(role="admin", email="system:tests"), email="second.commissioner@test.vrkit.invalid",
            name="Second", role="commissioner", password_hash=password_hash(), must_change_password=False,
        )  # fmt: skip
    ana = dp.client("commissioner")
    page = ana.get("/finance", params={"year": "2020/21"})
    assert page.status_code == 200 and "Home Office" in page.text
    r = ana.post(
        "/finance/reprofiles",
        data={"csrf_token": csrf_of(page.text), "year": "2020/21", "reason": "P-IN starts its second cohort early",
              "lines": "P-IN:home_office:2020/21:Q2:-300\nP-IN:home_office:2020/21:Q1:300"},
    )  # fmt: skip
    assert r.status_code == 303
    page = ana.get("/finance", params={"year": "2020/21"}).text
    rid = re.search(r"Reprofile (\d+): proposed", page)
    assert rid
    version = re.search(
        rf'action="/finance/reprofiles/{rid.group(1)}/decide".*?name="version" value="(\d+)"',
        page,
        re.S,
    )
    assert version
    same = ana.post(
        f"/finance/reprofiles/{rid.group(1)}/decide",
        data={
            "csrf_token": csrf_of(page),
            "decision": "approve",
            "version": version.group(1),
            "year": "2020/21",
        },
    )
    assert same.status_code == 400 and "someone else must approve" in same.text
    from starlette.testclient import TestClient

    ben = TestClient(dp.app, base_url="https://testserver", follow_redirects=False)
    sign_in(ben, "second.commissioner@test.vrkit.invalid")
    page_b = ben.get("/finance", params={"year": "2020/21"}).text
    ok = ben.post(
        f"/finance/reprofiles/{rid.group(1)}/decide",
        data={
            "csrf_token": csrf_of(page_b),
            "decision": "approve",
            "version": version.group(1),
            "year": "2020/21",
            "note": "fine",
        },
    )
    assert ok.status_code == 303
    assert (
        f"Reprofile {rid.group(1)}: approved"
        in ben.get("/finance", params={"year": "2020/21"}).text
    )
    fin = ana.get("/api/v1/finance", params={"year": "2020/21"}).json()["document"]
    row = next(p for p in fin["programmes"] if p["programme_ref"] == "P-IN")
    assert (row["profile_q1"], row["profile_q2"]) == (130000, 70000)
    assert fin["reprofiles"][0]["decided_by"] == "second.commissioner@test.vrkit.invalid"


def test_commissioner_pages_and_documents(dp: Portal) -> None:
    c = dp.client("commissioner")
    for path in (
        "/delivery?year=2020/21",
        "/logic-model?year=2020/21",
        "/programmes",
        "/finance/dashboard?year=2020/21",
        "/delivery/report?year=2020/21",
    ):
        r = c.get(path)
        assert r.status_code == 200, (path, r.text[:300])
    doc = c.get("/delivery/report?year=2020/21").text
    css = re.search(r'href="(/delivery/style/delivery/[0-9a-f]{32}\.css)"', doc)
    assert css and "<style" not in doc, "the document's styles are served under the CSP"
    assert c.get(css.group(1)).headers["content-type"].startswith("text/css")
    logic = c.get("/logic-model?year=2020/21").text
    assert "Violence in London is stable and reduced" in logic and "Violence with injury" in logic
    x = c.get("/delivery/download", params={"year": "2020/21", "format": "xlsx"})
    assert x.status_code == 200 and x.content[:2] == b"PK"
    for role in ("vru_analyst", "csp_analyst", "public"):
        assert dp.client(role).get("/delivery").status_code in (401, 403, 303)


def test_programme_page_shows_linked_value_for_money(
    dp: Portal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vrkit.tasks.vfm import example_path, value_for_money

    text = example_path().read_text(encoding="utf-8")
    (tmp_path / "p-in.toml").write_text(
        text.replace('programme_ref = "LVRU-004"', 'programme_ref = "P-IN"', 1), encoding="utf-8"
    )
    monkeypatch.setenv("VRKIT_VFM_DIR", str(tmp_path))
    want = value_for_money(tmp_path / "p-in.toml").summary
    page = dp.client("commissioner").get("/programmes/P-IN")
    assert page.status_code == 200
    html = page.text
    assert f"£{want['net_budget_impact']:,.0f}" == "£515,836"
    assert "£515,836" in html
    assert f"{100 * want['roi']:,.0f} %" in html and f"{want['bcr']:.2f}" in html
    assert "ILLUSTRATIVE" in html and "/programmes/P-IN/value-for-money.xlsx" in html
    xl = dp.client("commissioner").get("/programmes/P-IN/value-for-money.xlsx")
    assert xl.status_code == 200 and xl.content[:2] == b"PK"
    # a provider sees neither the appraisal nor its download (finance roles only)
    prov = dp.client("provider")
    assert "£515,836" not in prov.get("/programmes/P-IN").text
    assert prov.get("/programmes/P-IN/value-for-money.xlsx").status_code == 403

"""Issue #17 on a real portal database: the Open Referral UK directory (export validated against
the standard's own schema files, read back and re-imported unchanged; the API's paging and
proximity search; editions by role; providers' changes held for review), local action plans
(workflow, audit, public edition, progress) and the needs-assessment tracker."""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from vrkit.config import get_settings
from vrkit.errors import InputError
from vrkit.ops.roles import Principal
from vrkit.store.warehouse import Warehouse

from .conftest import IN_BOROUGH_CODE, Portal, csrf_of, make_portal

STANDARD = get_settings().data_dir.parent / "standards" / "open-referral-uk" / "schema"
COMMISSIONER = Principal(role="commissioner", email="commissioner@tests")
VRU = Principal(role="vru_analyst", email="vru@tests")
CSP = Principal(role="csp_analyst", email="csp@tests", scopes=frozenset({("borough", "x")}))


def _schema(name: str) -> dict[str, Any]:
    return dict(json.loads((STANDARD / "compiled" / name).read_text(encoding="utf-8")))


def _check(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Validation errors of ``instance`` by jsonschema itself (not vrkit's reader), formats
    checked where jsonschema can (uuid, email, date)."""
    v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in v.iter_errors(instance)]


@pytest.fixture(scope="module")
def seeded(
    module_database_url: str, warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Portal, Any]]:
    """A portal with the report's named services, a SYNTHETIC directory and the tracker."""
    from vrkit.tasks import directory
    from vrkit.tasks.sna_tracker import import_tracker

    with Warehouse(warehouse_path, read_only=True) as wh:
        gz = directory.gazetteer(wh)
    p = make_portal(module_database_url, warehouse_path, tmp_path_factory.mktemp("dir"))
    with p.app.state.db.session() as s:
        directory.seed_example_services(s, COMMISSIONER, get_settings().data_dir, gz=gz)
        directory.synth_directory(s, COMMISSIONER, gz=gz, organisations=12, months=3)
        import_tracker(s, COMMISSIONER, get_settings().data_dir)
    yield p, gz
    p.app.state.gate.close()
    p.app.state.db.dispose()


def test_oruk_export_validates_against_the_standard_and_round_trips(
    seeded: tuple[Portal, Any], tmp_path: Path
) -> None:
    from vrkit.sources.oruk import read_oruk
    from vrkit.tasks.directory import export_directory, import_directory

    portal, gz = seeded
    with portal.app.state.db.session() as s:
        res = export_directory(s, tmp_path / "full", edition="full")
        pub = export_directory(s, tmp_path / "public", edition="public")
    docs = res.services
    assert len(docs) >= 20 and len(pub.services) <= len(docs)
    # the JSON file is a service package as the standard defines it
    exported = json.loads((tmp_path / "full" / "services.json").read_text(encoding="utf-8"))
    errors = _check(exported, _schema("service_package.json"))
    assert not errors, errors[:5]
    # a broken record is caught by the same check (the check can fail)
    broken = [{**exported[0], "id": "not-a-uuid", "minimum_age": "ten"}]
    assert len(_check(broken, _schema("service_package.json"))) >= 2
    # CSV: every table's columns are the schema's fields (vrkit's extensions as x_vrkit_*)
    tables = {p.name: p for p in (tmp_path / "full" / "csv").glob("*.csv")}
    assert {
        "services.csv",
        "organizations.csv",
        "locations.csv",
        "service_at_location.csv",
    } <= set(tables)
    # HSDS 3 core fields the UK profile's schemas omit (sources/oruk.py: EXTRA_COLUMNS)
    hsds_core = {"application_process", "email", "link_entity"}
    checked = 0
    for f in STANDARD.glob("*.json"):
        sch = json.loads(f.read_text(encoding="utf-8"))
        if sch.get("path") in tables:
            header = tables[sch["path"]].read_text(encoding="utf-8").splitlines()[0].split(",")
            unknown = {c for c in header if c not in sch["properties"] and not c.startswith("x_")}
            assert unknown <= hsds_core, (sch["path"], unknown)
            checked += 1
    assert checked == len(tables), sorted(tables)
    # round trips: JSON and CSV read back equal to what was exported
    for path in (tmp_path / "full" / "services.json", tmp_path / "full" / "csv"):
        back = read_oruk(path)
        assert {d["id"]: d for d in back.services} == {d["id"]: d for d in docs}, path
    # re-importing the export changes nothing
    with portal.app.state.db.session() as s:
        again = import_directory(s, COMMISSIONER, tmp_path / "full" / "services.json", gz=gz)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(docs))
    # the public edition carries no referral details
    assert all("referral_details" not in (d.get("x_vrkit") or {}) for d in pub.services)


def test_oruk_api_pages_and_proximity(seeded: tuple[Portal, Any]) -> None:
    portal, _ = seeded
    c = portal.client("public")
    first = c.get("/api/oruk/services", params={"per_page": 5}).json()
    assert first["page_number"] == 1 and first["first_page"] and first["size"] == 5
    assert first["total_pages"] == math.ceil(first["total_items"] / 5)
    last = c.get("/api/oruk/services", params={"per_page": 5, "page": first["total_pages"]}).json()
    assert last["last_page"] and last["size"] == first["total_items"] - 5 * (
        first["total_pages"] - 1
    )
    for item in first["contents"]:
        assert not _check(item, _schema("service_list.json")), item["id"]
    one = c.get(f"/api/oruk/services/{first['contents'][0]['id']}").json()
    assert not _check(one, _schema("service.json"))
    # proximity: within the radius and nearest first
    near = c.get(
        "/api/oruk/service_at_locations",
        params={"latitude": 51.4613, "longitude": -0.1156, "proximity": 4000, "per_page": 500},
    ).json()
    dist = [x["x_vrkit"]["distance_m"] for x in near["contents"]]
    assert dist and dist == sorted(dist) and max(dist) <= 4000
    for x in near["contents"][:5]:
        assert not _check(x, _schema("service_at_location_list.json"))
    assert c.get("/api/oruk/services", params={"per_page": 501}).status_code in (400, 422)


def test_search_page_and_referral_details_by_role(seeded: tuple[Portal, Any]) -> None:
    portal, _ = seeded
    with portal.app.state.db.session() as s:
        from vrkit.tasks.directory import service_documents

        full = [
            d
            for d in service_documents(s, edition="full")
            if d["x_vrkit"].get("referral_details") and d["x_vrkit"].get("state") == "published"
        ]
    assert full
    sid, secret = full[0]["id"], full[0]["x_vrkit"]["referral_details"]
    page = portal.client("public").get("/directory", params={"near": "Lambeth", "age": "16"})
    assert page.status_code == 200
    assert re.search(r"<strong>\d+\.\d km</strong>", page.text), "no distances shown"
    public = portal.client("public").get(f"/directory/services/{sid}")
    police = portal.client("police_partner").get(f"/directory/services/{sid}")
    assert public.status_code == police.status_code == 200
    assert secret in html.unescape(police.text)
    assert secret not in html.unescape(public.text)
    assert "Referral details (partners only)" not in public.text


def test_a_providers_change_is_published_only_after_review(seeded: tuple[Portal, Any]) -> None:
    from vrkit.ops.directory import service as dirsvc
    from vrkit.tasks.directory import service_documents

    portal, _ = seeded
    provider = Principal(role="provider", email="provider@tests")
    with portal.app.state.db.session() as s:
        doc = service_documents(s, edition="full")[0]
        ch = dirsvc.propose(s, provider, {**doc, "name": "Renamed by provider"}, summary="t")
        names = {d["id"]: d["name"] for d in service_documents(s, edition="public")}
        assert names[doc["id"]] == doc["name"]
        with pytest.raises(InputError):
            dirsvc.review(s, COMMISSIONER, ch.id + 999, approve=True)
        dirsvc.review(s, COMMISSIONER, ch.id, approve=True)
        names = {d["id"]: d["name"] for d in service_documents(s, edition="public")}
        assert names[doc["id"]] == "Renamed by provider"


def test_plan_workflow_audit_and_public_edition(seeded: tuple[Portal, Any]) -> None:
    from vrkit.ops.plans import workflow as wf
    from vrkit.tasks.action_plans import _demo_sections, plan_document

    portal, _ = seeded
    with portal.app.state.db.session() as s:
        plan = wf.create_plan(s, VRU, IN_BOROUGH_CODE, "Lambeth", 2019)
        with pytest.raises(InputError, match="not complete"):
            wf.move(s, CSP, plan, "submit", require_profile=False)
        for sec, vals in _demo_sections("Lambeth").items():
            wf.set_fields(s, CSP, plan, sec, vals)
        pr = wf.add_priority(s, CSP, plan, "Reduce knife crime")
        wf.add_action(
            s, CSP, plan,
            {"title": "Knife arches", "theme": "weapons", "owner": "BCU",
             "due_date": "2020-01-31", "status": "on_track", "priority_id": pr.id},
        )  # fmt: skip
        wf.move(s, CSP, plan, "submit", require_profile=False)
        with pytest.raises(InputError):  # a CSP cannot review its own plan
            wf.move(s, CSP, plan, "start_review", require_profile=False)
        wf.move(s, VRU, plan, "start_review", require_profile=False)
        with pytest.raises(InputError, match="comment"):
            wf.move(s, VRU, plan, "request_changes", require_profile=False)
        wf.move(s, VRU, plan, "request_changes", comment="Add a measure", require_profile=False)
        wf.move(s, CSP, plan, "resubmit", require_profile=False)
        wf.move(s, VRU, plan, "start_review", require_profile=False)
        wf.move(s, VRU, plan, "publish", require_profile=False)
        steps = [(h.action, (h.detail or {}).get("to")) for h in wf.history(s, plan)]
        for to in ("submitted", "in_review", "changes_requested", "revised", "published"):
            assert any(t == to for _, t in steps), (to, steps)
        public = plan_document(s, plan, public=True)
        full = plan_document(s, plan, public=False)
    assert public["status"] == "published"
    assert any(c["body"] == "Add a measure" for c in full["comments"])
    assert "Add a measure" not in json.dumps(public, default=str)
    assert wf.is_overdue(plan.actions[0]) is True


def test_demo_plans_cover_every_state_and_progress_counts_them(
    seeded: tuple[Portal, Any],
) -> None:
    from vrkit.ops.plans import workflow as wf
    from vrkit.tasks.action_plans import progress, seed_demo_plans

    portal, _ = seeded
    with portal.app.state.db.session() as s:
        r = seed_demo_plans(s, COMMISSIONER, 2021, profiles=False)
        assert sum(r["created"].values()) == 32
        plans = wf.all_plans(s, 2021)
        assert {p.status for p in plans} == set(wf.STATUSES)
        prog = progress(s, 2021)
        n_actions = sum(len(p.actions) for p in plans)
    assert len(prog.actions) == n_actions > 0
    assert int(prog.by_status["actions"].sum()) == n_actions
    again = portal.client("vru_analyst").get("/plans/progress", params={"year": 2021})
    assert again.status_code == 200 and "overdue" in again.text.lower()


def test_tracker_import_is_idempotent_and_its_page_renders(seeded: tuple[Portal, Any]) -> None:
    from vrkit.ops.plans import tracker as tr
    from vrkit.tasks.sna_tracker import import_tracker, tracker_document

    portal, _ = seeded
    with portal.app.state.db.session() as s:
        before = len(tr.items(s))
        r = import_tracker(s, COMMISSIONER, get_settings().data_dir)
        assert len(tr.items(s)) == before > 0 and r["created"] == 0
        doc = tracker_document(s, public=True)
    page = portal.client("public").get("/tracker")
    assert page.status_code == 200
    refs = [it["ref"] for it in doc["items"]]
    assert len(refs) == before and all(ref in page.text for ref in refs)


def test_make_serve_seeds_the_demo_once(database_url: str, warehouse_path: Path) -> None:
    """``make serve``'s seeding: DEMO users (a commissioner and a provider among them), the
    directory (named and SYNTHETIC services), a plan per borough in every state with its profile
    queued, and the tracker; run again, nothing is duplicated and passwords are new."""
    from sqlalchemy import func, select

    from vrkit.ops.db import Database
    from vrkit.ops.directory.models import DirService
    from vrkit.ops.models import Job
    from vrkit.ops.plans.models import ActionPlan, SnaItem
    from vrkit.web.demo_local import seed_local_demo
    from vrkit.web.serve import seed_demo

    def counts() -> dict[str, Any]:
        db = Database(database_url)
        try:
            with db.session() as s:
                labels = [x or "" for x in s.scalars(select(DirService.data_label))]
                return {
                    "synthetic": labels.count("SYNTHETIC"),
                    "named": sum(1 for x in labels if x != "SYNTHETIC"),
                    "states": set(s.scalars(select(ActionPlan.status))),
                    "plans": s.scalar(select(func.count()).select_from(ActionPlan)),
                    "tracker": s.scalar(select(func.count()).select_from(SnaItem)),
                    "jobs": s.scalar(
                        select(func.count()).select_from(Job).where(Job.kind == "plan_profile")
                    ),
                }
        finally:
            db.dispose()

    first = seed_demo(database_url) + seed_local_demo(database_url, warehouse_path)
    assert {"commissioner", "provider", "vru_analyst"} <= {r[0] for r in first}
    c1 = counts()
    assert c1["synthetic"] > 0 and c1["named"] > 0 and c1["tracker"] > 0
    assert c1["plans"] == 32 and c1["jobs"] == 32
    from vrkit.ops.plans import workflow as wf

    assert c1["states"] == set(wf.STATUSES)
    second = seed_demo(database_url) + seed_local_demo(database_url, warehouse_path)
    assert counts() == c1
    assert [r[1] for r in first] == [r[1] for r in second]
    assert all(a[2] != b[2] for a, b in zip(first, second, strict=True))


def test_plan_pages_refuse_a_broken_rule_with_the_reason(seeded: tuple[Portal, Any]) -> None:
    """A CSP submits an incomplete draft: the plan page again, 400, saying what is missing, and
    the plan stays a draft; a comment is stored and shown."""
    from vrkit.ops.plans import workflow as wf

    portal, _ = seeded
    with portal.app.state.db.session() as s:
        wf.create_plan(s, VRU, IN_BOROUGH_CODE, "Lambeth", 2018)
    c = portal.client("csp_analyst")
    url = f"/plans/{IN_BOROUGH_CODE}/2018"
    token = csrf_of(c.get(url).text)
    r = c.post(f"{url}/submit", data={"step": "submit", "csrf_token": token})
    assert r.status_code == 400 and "not complete" in r.text
    r = c.post(f"{url}/comments", data={"body": "Draft comment", "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].endswith("#comments")
    page = c.get(url).text
    assert "Draft comment" in page
    with portal.app.state.db.session() as s:
        plan = wf.get_plan(s, IN_BOROUGH_CODE, 2018)
        assert plan is not None and plan.status == "draft"

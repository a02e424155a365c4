"""The role matrix, generated from the app's route table: every route × every role × an
in-scope and an out-of-scope area or department, asserting allowed/denied as the policy says and
that no response carries a row or figure from outside the caller's scope. 0 leaks is the only
pass.

A new route is covered automatically: it is enumerated from the app, its expectation comes from
its guard and the role definitions, and a request parameter this file has no example for fails
the test (add it to ``EXAMPLES``).

Leak checks (per route and role, on the out-of-scope variant):
- a role whose edition there is *public* must get exactly what the anonymous public gets: the
  same JSON, the same file bytes, and in HTML no number the public page lacks;
- a role whose edition is *full* in scope gets what the VRU analyst gets;
- department data: a response to anyone but the VRU never names a department outside the
  caller's scope (``SYN02``), and non-ISTV roles never see any department;
- the detector can fail: the VRU's full edition of an out-of-scope area shows figures that the
  public edition suppresses (negative control).
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from vrkit.catalog.directory import taxonomy
from vrkit.ops.models import Submission, utcnow
from vrkit.ops.roles import FAMILIES, ROLES, Principal
from vrkit.web.authz import ANON_COOKIE, SESSION_COOKIE, RouteInfo, route_table

from .conftest import (
    IN_BOROUGH,
    IN_BOROUGH_CODE,
    IN_DEPT,
    IN_ORG,
    OUT_BOROUGH,
    OUT_DEPT,
    OUT_ORG,
    ROLES_UNDER_TEST,
    Portal,
)

_NEED_TAXONOMY = taxonomy("need")
#: portal organisation ids of the in- and out-of-scope providers (set by the ``state`` fixture)
ORG_CODES: dict[str, str] = {}

#: example values of request parameters: (in-scope, out-of-scope) for scope parameters, one
#: value otherwise. Callables receive the fixture state.
EXAMPLES: dict[str, Any] = {
    "area": (IN_BOROUGH, OUT_BOROUGH),
    "department": (IN_DEPT, OUT_DEPT),
    "upload_id": ("in_upload", "out_upload"),
    "year": 2020,
    "years": "2019-2020",
    "measure": "homicide",
    "period": "calendar",
    "month": "2021-06",
    "format": "json",
    "kind": "vcr",
    "key": "0" * 32,
    "user_id": "target_user",
    "token_id": 999999,
    "next": "/",
    "page": 1,
    "page_size": 50,
    # audit log filters (empty: no filter)
    "user": "",
    "action": "",
    "outcome": "",
    "since": "",
    "until": "",
    "target": "",
    # delivery (issue #15): programmes of the provider's organisation and of another one
    "ref": ("in_programme", "out_programme"),
    "quarter": 1,
    "theme": "",
    "saved": "",
    "done": "",
    "version": 1,
    "reprofile_id": "reprofile",
    # issue #17: the directory (scope: the organisation running a service), plans, tracker
    "service_id": ("in_service", "out_service"),
    "organisation_id": ("in_dir_org", "out_dir_org"),
    "change_id": "change",
    "sal_id": "in_sal",
    "taxonomy_id": _NEED_TAXONOMY.id,
    "term_id": _NEED_TAXONOMY.terms[1].id,
    "taxonomy_term_id": _NEED_TAXONOMY.terms[1].id,
    "q": "",
    "search": "mentoring",
    "need": "",
    "route": "",
    "age": "",
    "near": "",
    "within_km": "",
    "minimum_age": 10,
    "maximum_age": 25,
    "start_time": "09:00",
    "end_time": "21:00",
    "day": "MO",
    "postcode": "Lambeth",
    "proximity": "5000",
    "latitude": 51.46,
    "longitude": -0.11,
    "per_page": 20,
    "fmt": "json",
    "section_id": "partnership",
    "priority_id": "in_priority",
    "action_id": "in_action",
    # the data tool (need index ranking)
    "profile": "sports",
    "geography": "ward",
    "weights": "",
}
#: per-route overrides of EXAMPLES (route name → parameter → value)
ROUTE_EXAMPLES: dict[str, dict[str, Any]] = {
    "na_download": {"format": "xlsx"},
    "datatool_download": {"format": "csv"},
    # LSOA counts of the major categories (2020 is the year the LSOA file marks as faulty)
    "hotspots": {"measure": "violence_against_the_person", "year": 2019},
    # {ref} is a programme's reference in the delivery routes, a tracker item's in the tracker's
    **{r: {"ref": "SNA-01"} for r in ("tracker_item", "tracker_update", "tracker_evidence")},
    "tracker_link_action": {"ref": "SNA-01"},
}
#: form bodies of the state-changing routes (every one also gets its CSRF token)
FORMS: dict[str, Any] = {
    "sign_in_post": {"email": "nobody@test.vrkit.invalid", "password": "not the password"},
    "sign_out": {},
    "account_password_post": {"current": "x", "new": "y", "confirm": "z"},
    "token_create": {"name": "matrix"},
    "token_revoke": {},
    "istv_upload": "istv_file",
    "admin_user_create": lambda *_: {
        "email": f"m{uuid.uuid4().hex[:8]}@test.vrkit.invalid",
        "name": "M",
        "role": "vru_analyst",
    },
    "admin_user_update": {"role": "csp_analyst", "boroughs": "E09000012", "active": "yes"},
    "admin_user_password": {},
    "admin_org_create": lambda *_: {"name": f"Org {uuid.uuid4().hex[:8]}", "kind": "partner"},
    "programme_update": {"version": "1", "name": "Matrix programme", "theme": "other"},
    "return_upload": "return_file",
    "api_return_submit": "return_file",
    "spend_record": {
        "programme": "M-IN",
        "source": "home_office",
        "year": "2020/21",
        "quarter": "1",
        "amount": "1.00",
    },
    "reprofile_propose": {
        "reason": "matrix test reprofile",
        "lines": "M-IN:home_office:2020/21:Q1:-1\nM-IN:home_office:2020/21:Q2:1",
        "year": "2020/21",
    },
    "reprofile_decide": {"decision": "reject", "note": "matrix", "year": "2020/21"},
    # issue #17: the directory, action plans and the tracker
    "directory_referrals_record": {"month": "2021-06", "referrals": "7"},
    "directory_edit_post": lambda *_: {
        "name": "Matrix edited service",
        "description": "Edited by the role matrix.",
        "status": "active",
        "needs": "mentoring",
        "routes": "professional",
        "version": "0",
    },
    "directory_new_post": lambda variant, state: {
        "organisation_id": state["in_dir_org" if variant == "in" else "out_dir_org"],
        "name": f"Matrix new service {uuid.uuid4().hex[:6]}",
        "status": "active",
    },
    "directory_review": {"decision": "approve", "comment": "matrix"},
    "plans_create": {"year": "2020"},
    "plan_section_post": {"lead": "Head of Community Safety"},
    "plan_priority_add": {"title": "Matrix priority"},
    "plan_priority_delete": {},
    "plan_action_add": {
        "title": "Matrix action",
        "theme": "weapons",
        "owner": "Matrix owner",
        "status": "on_track",
        "due_date": "2021-09-30",
    },
    "plan_action_update": {"status": "complete"},
    "plan_action_delete": {},
    "plan_refresh": {},
    "plan_submit": {"step": "submit"},
    "plan_review": {"step": "start_review"},
    "plan_comment": {"body": "Matrix comment"},
    "tracker_update": {"owner": "VRU research lead", "status": "in_progress"},
    "tracker_evidence": {"text": "Matrix evidence"},
    "tracker_link_action": lambda _variant, state: {"action_id": str(state["in_action"])},
}
_NUM = re.compile(r"(?<![\w#.-])\d[\d,]*(?:\.\d+)?(?![\w-])")


@dataclass
class Result:
    route: RouteInfo
    role: str
    variant: str
    status: int
    denied: bool
    ctype: str
    body: bytes


def istv_csv(site: str) -> bytes:
    return (
        "ISTV submission,ISB 1594\n"
        f"site_code,{site}\n"
        "department,Matrix test ED\n"
        "reporting_period_start,2023-05-01\n"
        "reporting_period_end,2023-05-31\n"
        "record_count,1\n"
        "synthetic,yes\n"
        "\n"
        "arrival_datetime,assault_datetime,assault_method,assault_method_other_description,assault_location_type,assault_location_description\n"
        "2023-05-03 22:15,2023-05-03 21:40,01,,02,high street\n"
    ).encode()


def _params(route: RouteInfo) -> list[str]:
    names = [p.name for p in route.route.dependant.path_params + route.route.dependant.query_params]
    return names


def _scope_param(route: RouteInfo) -> str | None:
    g = route.guard
    return g.param if g and g.family else None


def expected_allowed(route: RouteInfo, role: str, variant: str) -> bool:
    g = route.guard
    assert g is not None
    rdef = ROLES[role]
    if g.permission not in rdef.permissions:
        return False
    if not g.family:
        return True
    p = Principal(
        role=role,
        user_id=1 if rdef.signed_in else None,
        scopes=frozenset(
            {
                "csp_analyst": {("borough", IN_BOROUGH_CODE)},
                "ed_submitter": {("department", IN_DEPT)},
                "provider": {("organisation", ORG_CODES["in"])},
            }.get(role, set())
        ),
    )
    kind = FAMILIES[g.family[0]][0]
    if _scope_param(route) is None:
        codes = None if not any(rdef.rule(f) == "own" for f in g.family) else p.scope_codes(kind)
    elif kind == "borough":
        codes = frozenset({IN_BOROUGH_CODE}) if variant == "in" else frozenset({"E09000012"})
    elif kind == "organisation":
        codes = frozenset({ORG_CODES["in" if variant == "in" else "out"]})
    else:
        codes = frozenset({IN_DEPT}) if variant == "in" else frozenset({OUT_DEPT})
    return all(p.edition(f, codes) != "none" for f in g.family)


@pytest.fixture(scope="module")
def state(module_portal: Portal) -> dict[str, Any]:
    """Uploads for the in- and out-of-scope departments, and a user the admin routes change."""
    from vrkit.ops import accounts

    app = module_portal.app
    with app.state.db.session() as s:
        subs = {}
        for name, site in (("in_upload", IN_DEPT), ("out_upload", OUT_DEPT)):
            sub = Submission(
                user_id=None,
                site_code=site,
                month="2023-01",
                revision=1,
                sha256="0" * 64,
                size_bytes=1,
                file_type="csv",
                status="loaded",
                result={"rows_read": 1},
                created_at=utcnow(),
            )
            s.add(sub)
            s.flush()
            subs[name] = sub.id
        target, _ = accounts.create_user(
            s,
            Principal(role="admin", email="system:tests"),
            email="target@test.vrkit.invalid",
            name="Target",
            role="vru_analyst",
            password="quiet lamp river stone",
        )
        subs["target_user"] = target.id
    subs.update(_delivery_state(module_portal))
    assert module_portal.orgs is not None
    ORG_CODES.update({k: str(v) for k, v in module_portal.orgs.items()})
    subs.update(local_state(app, module_portal.orgs))
    return subs


def _delivery_state(portal: Portal) -> dict[str, Any]:
    """Two programmes (one led by the provider's organisation, one by another), money, targets,
    a grant with an award date, the logic model and a proposed reprofile."""
    import tempfile
    from pathlib import Path

    from vrkit.tasks import delivery as tasks

    from .delivery_helpers import EXAMPLE, write_tables

    actor = Principal(role="commissioner", email="matrix@test.vrkit.invalid")
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_tables(
            Path(tmp),
            {
                "programmes.csv": "ref,name,theme,objectives,lead_organisation\n"
                f"M-IN,Matrix in-scope programme,VCS/community,1,{IN_ORG}\n"
                f"M-OUT,Matrix out-of-scope programme,VCS/community,2,{OUT_ORG}\n",
                "budgets.csv": "source,financial_year,amount_gbp\nhome_office,2020/21,1000\n",
                "profile.csv": "programme_ref,source,financial_year,quarter,amount_gbp\n"
                "M-IN,home_office,2020/21,1,100\nM-IN,home_office,2020/21,2,100\n"
                "M-OUT,home_office,2020/21,1,100\n",
                "targets.csv": "programme_ref,source,measure,financial_year,target\n"
                "M-IN,,people_reached_new,2020/21,50\nM-OUT,,people_reached_new,2020/21,60\n",
            },
        )
        grants = Path(tmp) / "grants.json"
        grants.write_text(
            '{"grants": [{"id": "360G-matrix-1", "title": "Matrix grant", "description": "d", '
            '"currency": "GBP", "amountAwarded": 100, "awardDate": "2020-04-01", '
            '"recipientOrganization": [{"id": "GB-MATRIX-IN", "name": "Matrix recipient"}], '
            '"fundingOrganization": [{"id": "GB-MATRIX-VRU", "name": "Matrix VRU"}], '
            '"grantProgramme": [{"code": "M-IN", "title": "Matrix in-scope programme"}]}]}'
        )
        with portal.app.state.db.session() as s:
            tasks.import_delivery(s, actor, [folder, grants])
            tasks.import_logic_model(s, actor, EXAMPLE / "logic_model.json")
            rp = tasks.propose_reprofile(
                s,
                actor,
                reason="matrix reprofile to decide",
                lines=["M-IN:home_office:2020/21:Q1:-10", "M-IN:home_office:2020/21:Q2:10"],
            )
    return {"in_programme": "M-IN", "out_programme": "M-OUT", "reprofile": rp["id"]}


def local_state(app: Any, orgs: dict[str, int]) -> dict[str, Any]:
    """Issue #17: a published service of the in-scope and of the out-of-scope provider (each
    at a location), a pending change, published 2020 plans of the in- and out-of-scope boroughs
    with a priority and an action, and the needs-assessment tracker."""
    from vrkit.config import get_settings
    from vrkit.ops.directory import service as dirsvc
    from vrkit.ops.directory.models import DirOrganisation
    from vrkit.ops.plans import workflow as wf
    from vrkit.tasks.action_plans import _demo_sections
    from vrkit.tasks.directory import _attributes, _org_doc
    from vrkit.tasks.sna_tracker import import_tracker

    out: dict[str, Any] = {}
    who = Principal(role="commissioner", email="system:tests")
    with app.state.db.session() as s:
        for variant in ("in", "out"):
            org = _org_doc(f"Matrix {variant} provider", "A test organisation (SYNTHETIC).")
            sid = str(uuid.uuid4())
            lid, sal = str(uuid.uuid4()), str(uuid.uuid4())
            doc = {
                "id": sid,
                "name": f"Matrix {variant}-scope mentoring service",
                "description": "Test service (SYNTHETIC).",
                "status": "active",
                "organization": org,
                "organization_id": org["id"],
                "minimum_age": 11,
                "maximum_age": 25,
                "application_process": "Professionals refer.",
                "attributes": _attributes(sid, ["mentoring"], ["professional"]),
                "service_at_locations": [
                    {"id": sal, "service_id": sid, "location_id": lid,
                     "location": {"id": lid, "location_type": "physical",
                                  "name": f"Matrix {variant} centre",
                                  "latitude": 51.4613, "longitude": -0.1156}}
                ],
                "contacts": [{"id": str(uuid.uuid4()), "service_id": sid,
                              "name": f"Referral desk {variant.upper()}-SECRET"}],
                "x_vrkit": {"state": "published", "data_label": "SYNTHETIC",
                            "referral_details": f"MATRIX-REFERRAL-{variant.upper()}-SECRET"},
            }  # fmt: skip
            dirsvc.curate(s, who, doc, base_version=None)
            s.get(DirOrganisation, org["id"]).portal_organisation_id = orgs[variant]  # type: ignore[union-attr]
            out[f"{variant}_service"] = sid
            out[f"{variant}_dir_org"] = org["id"]
            if variant == "in":
                out["in_sal"] = sal
                change = dirsvc.propose(s, who, {**doc, "name": "Proposed name"}, summary="test")
                out["change"] = change.id
        csp = Principal(role="csp_analyst", email="csp@tests", scopes=frozenset({("borough", "x")}))
        vru = Principal(role="vru_analyst", email="vru@tests")
        for code, name in (("E09000022", "Lambeth"), ("E09000012", "Hackney")):
            plan = wf.create_plan(s, vru, code, name, 2020)
            for sec, vals in _demo_sections(name).items():
                wf.set_fields(s, csp, plan, sec, vals)
            pr = wf.add_priority(s, csp, plan, "Reduce violence with injury")
            act = wf.add_action(
                s, csp, plan,
                {"title": "Weapons sweeps", "theme": "weapons", "owner": "BCU",
                 "due_date": "2021-03-31", "status": "on_track", "priority_id": pr.id},
            )  # fmt: skip
            if code == "E09000022":
                out["in_priority"], out["in_action"] = pr.id, act.id
            for step in ("submit", "start_review", "publish"):
                wf.move(s, csp if step == "submit" else vru, plan, step, require_profile=False)
        import_tracker(s, who, get_settings().data_dir)
    return out


def _value(name: str, variant: str, state: dict[str, Any], route: str = "") -> Any:
    if name in ROUTE_EXAMPLES.get(route, {}):
        return ROUTE_EXAMPLES[route][name]
    if name not in EXAMPLES:
        pytest.fail(f"no example value for request parameter {name!r}: add it to EXAMPLES")
    v = EXAMPLES[name]
    if isinstance(v, tuple):
        v = v[0] if variant == "in" else v[1]
    return state.get(v, v) if isinstance(v, str) else v


def request(
    portal: Portal, route: RouteInfo, role: str, variant: str, state: dict[str, Any]
) -> Result:
    from starlette.testclient import TestClient

    client = TestClient(portal.app, base_url="https://testserver", follow_redirects=False)
    security = portal.app.state.security
    if role == "public":
        client.cookies.set(ANON_COOKIE, "matrix-anon")
        binding = "a:matrix-anon"
    else:
        cookie = portal.session_cookie(role)
        client.cookies.set(SESSION_COOKIE, cookie)
        binding = "s:" + cookie
    path = route.path
    query: dict[str, Any] = {}
    for name in _params(route):
        value = _value(name, variant, state, route.name)
        if "{" + name + "}" in path:
            path = path.replace("{" + name + "}", str(value))
        else:
            query[name] = value
    method = sorted(route.methods)[0]
    if method == "GET":
        r = client.get(path, params=query)
    else:
        form = FORMS.get(route.name)
        if form is None:
            pytest.fail(
                f"no form example for {method} {route.path} ({route.name}): add it to FORMS"
            )
        files = None
        if form == "return_file":
            files = {
                "file": ("return.xlsx", io.BytesIO(b"not a workbook"), "application/octet-stream")
            }
            form = {}
        elif form == "istv_file":
            site = IN_DEPT if variant == "in" else OUT_DEPT
            files = {"file": ("return.csv", io.BytesIO(istv_csv(site)), "text/csv")}
            form = {"department": site}
        elif callable(form):
            form = form(variant, state)
        data = {**form, "csrf_token": security.csrf_for(binding)}
        r = client.post(path, params=query, data=data, files=files)
    return Result(
        route,
        role,
        variant,
        r.status_code,
        r.headers.get("x-access-decision") == "denied",
        r.headers.get("content-type", ""),
        r.content,
    )


def _numbers(body: bytes) -> Counter[str]:
    text = body.decode("utf-8", errors="replace")
    text = re.sub(r'name="csrf_token" value="[0-9a-f]+"', "", text)
    text = re.sub(r'<span class="vrkit-header-user">.*?</span>', "", text)
    text = re.sub(r"/reports/style/\w+/[0-9a-f]+\.css", "", text)
    # a form's target names the record it changes (e.g. an action's id on a plan page where the
    # role may update its status): a control, not data
    text = re.sub(r'<form method="post" action="[^"]*"', "<form", text)
    return Counter(_NUM.findall(text))


def _same_data(a: Result, b: Result) -> bool:
    """Whether ``a`` carries no data beyond ``b`` (same JSON, same bytes, or no extra number)."""
    if "application/json" in a.ctype:
        return json.loads(a.body) == json.loads(b.body)
    if "text/html" in a.ctype:
        extra = _numbers(a.body) - _numbers(b.body)
        return not extra
    return a.body == b.body


@pytest.fixture(scope="module")
def matrix(module_portal: Portal, state: dict[str, Any]) -> list[Result]:
    results = []
    for route in route_table(module_portal.app):
        variants = ("in", "out") if _scope_param(route) else ("-",)
        for role in ROLES_UNDER_TEST:
            for variant in variants:
                results.append(request(module_portal, route, role, variant, state))
    return results


def test_every_route_has_a_guard_and_examples(module_portal: Portal) -> None:
    routes = route_table(module_portal.app)
    assert len(routes) > 40
    for r in routes:
        assert r.guard is not None, r.path
        for name in _params(r):
            assert name in EXAMPLES, f"{r.path}: no example for {name}"
        if "GET" not in r.methods:
            assert r.name in FORMS, f"{r.path}: no form example"
        elif _scope_param(r):
            assert _scope_param(r) in _params(r), f"{r.path}: the scope parameter is not declared"


def test_allowed_and_denied_as_the_policy_says(matrix: list[Result]) -> None:
    wrong = []
    for res in matrix:
        assert res.status < 500, (
            f"{res.role} {res.route.path} ({res.variant}): {res.status} {res.body[:300]!r}"
        )
        want = expected_allowed(res.route, res.role, res.variant)
        if want == res.denied:
            wrong.append(
                f"{res.role:15s} {res.variant:3s} {sorted(res.route.methods)[0]} {res.route.path}: expected {'allowed' if want else 'denied'}, got {res.status}"
            )
    assert not wrong, "\n".join(wrong)
    # an allowed page or API read must really answer (a 400 for every role would make the leak
    # check vacuous); the stylesheet route is asked for a key that does not exist
    not_ok = [
        f"{r.role} {r.variant} {r.route.path}: {r.status} {r.body[:200]!r}"
        for r in matrix
        if not r.denied
        and "GET" in r.route.methods
        and r.status != 200
        and r.route.name not in ("report_style", "delivery_style")
    ]
    assert not not_ok, "\n".join(not_ok)
    counts = Counter((r.role, r.denied) for r in matrix)
    assert (
        counts[("vru_analyst", False)]
        > counts[("csp_analyst", False)]
        > counts[("public", False)]
        > 0
    )


def test_no_leaks(matrix: list[Result]) -> None:
    by = {(r.route.path, sorted(r.route.methods)[0], r.role, r.variant): r for r in matrix}
    leaks: list[str] = []
    compared = 0
    for res in matrix:
        route, g = res.route, res.route.guard
        key = (route.path, sorted(route.methods)[0])
        body = res.body.decode("utf-8", errors="replace")
        # departments: never a department outside the caller's scope (the administrator's user
        # list and audit log name departments as scopes and request targets, by design: they
        # carry no figure from a department)
        admin_route = g is not None and g.permission.startswith("admin.")
        if res.role != "vru_analyst" and OUT_DEPT in body and not admin_route:
            leaks.append(f"{res.role} {route.path} ({res.variant}) names {OUT_DEPT}")
        if (
            res.role not in ("vru_analyst", "ed_submitter")
            and re.search(r"SYN\d\d", body)
            and not admin_route
        ):
            leaks.append(f"{res.role} {route.path} ({res.variant}) names an emergency department")
        if res.denied or g is None or not g.family or "GET" not in route.methods:
            continue
        if (
            FAMILIES[g.family[0]][0] != "borough"
            or res.variant == "-"
            or res.role in ("public", "vru_analyst")
        ):
            continue
        from .test_role_matrix import expected_edition

        edition = expected_edition(res.role, g.family, res.variant)
        ref = by.get((*key, "public" if edition == "public" else "vru_analyst", res.variant))
        if ref is None or ref.denied or ref.status != res.status:
            continue
        compared += 1
        if not _same_data(res, ref):
            leaks.append(
                f"{res.role} {route.path} ({res.variant}): differs from the {ref.role} response (edition {edition})"
            )
    assert compared >= 20, f"only {compared} comparisons: the leak check covers too little"
    assert not leaks, f"{len(leaks)} leak(s):\n" + "\n".join(leaks)


def expected_edition(role: str, families: tuple[str, ...], variant: str) -> str:
    p = Principal(
        role=role,
        user_id=1,
        scopes=frozenset({("borough", IN_BOROUGH_CODE)}) if role == "csp_analyst" else frozenset(),
    )
    codes = frozenset({IN_BOROUGH_CODE}) if variant == "in" else frozenset({"E09000012"})
    eds = [p.edition(f, codes) for f in families]
    return "public" if "public" in eds else eds[0]


def test_the_leak_detector_can_fail(matrix: list[Result]) -> None:
    """Negative control: the VRU's full edition of an out-of-scope borough differs from the
    public edition on the trend API (homicide months are small counts), so a leak would show."""
    vru = next(
        r
        for r in matrix
        if r.route.path == "/api/v1/trend" and r.role == "vru_analyst" and r.variant == "out"
    )
    pub = next(
        r
        for r in matrix
        if r.route.path == "/api/v1/trend" and r.role == "public" and r.variant == "out"
    )
    assert not _same_data(vru, pub)
    full = json.loads(vru.body)
    public = json.loads(pub.body)
    assert full["edition"] == "full" and public["edition"] == "public"
    assert any(m["suppressed"] for m in public["monthly"]) and not any(
        m["suppressed"] for m in full["monthly"]
    )
    html_vru = next(
        r
        for r in matrix
        if r.route.path == "/trends" and r.role == "vru_analyst" and r.variant == "out"
    )
    html_pub = next(
        r for r in matrix if r.route.path == "/trends" and r.role == "public" and r.variant == "out"
    )
    assert not _same_data(html_vru, html_pub)


def test_scope_grants_full_detail_in_scope(matrix: list[Result]) -> None:
    csp = next(
        r
        for r in matrix
        if r.route.path == "/api/v1/trend" and r.role == "csp_analyst" and r.variant == "in"
    )
    vru = next(
        r
        for r in matrix
        if r.route.path == "/api/v1/trend" and r.role == "vru_analyst" and r.variant == "in"
    )
    assert json.loads(csp.body) == json.loads(vru.body)
    police = next(
        r
        for r in matrix
        if r.route.path == "/api/v1/trend" and r.role == "police_partner" and r.variant == "out"
    )
    assert json.loads(police.body)["edition"] == "full", "police data: full detail everywhere"
    police_vcr = next(
        r
        for r in matrix
        if r.route.path == "/api/v1/reports/violent-crime"
        and r.role == "police_partner"
        and r.variant == "out"
    )
    assert json.loads(police_vcr.body)["edition"] == "public", (
        "the report carries A&E data: public edition"
    )


def test_denied_bodies_carry_no_data(matrix: list[Result], module_portal: Portal) -> None:
    for res in matrix:
        if res.denied:
            assert len(res.body) < 20_000, f"{res.route.path}: a refusal should be short"
            assert b"SYN0" not in res.body


def test_providers_see_their_own_programmes_only(matrix: list[Result]) -> None:
    """Programme data (family ``programme``): a provider's responses never carry another
    organisation's programme; roles without delivery permissions never see a programme."""
    leaks = []
    seen_own = 0
    for res in matrix:
        if res.denied:
            continue
        body = res.body.decode("utf-8", errors="replace")
        g = res.route.guard
        admin_route = g is not None and g.permission.startswith("admin.")
        if res.role == "provider":
            if "M-OUT" in body or "Matrix out-of-scope" in body or OUT_ORG in body:
                leaks.append(
                    f"provider {res.route.path} ({res.variant}) shows another organisation's programme"
                )
            seen_own += "M-IN" in body
        elif (
            res.role not in ("commissioner",)
            and not admin_route
            and ("M-IN" in body or "M-OUT" in body)
        ):
            leaks.append(f"{res.role} {res.route.path} ({res.variant}) shows a programme")
        if res.role not in ("commissioner", "provider", "admin") and IN_ORG in body:
            leaks.append(f"{res.role} {res.route.path} names a provider organisation")
    assert seen_own >= 4, "the provider should see its own programme on several routes"
    assert not leaks, "\n".join(leaks)

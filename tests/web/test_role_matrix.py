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

from vrkit.ops.models import Submission, utcnow
from vrkit.ops.roles import FAMILIES, ROLES, Principal
from vrkit.web.authz import ANON_COOKIE, SESSION_COOKIE, RouteInfo, route_table

from .conftest import (
    IN_BOROUGH,
    IN_BOROUGH_CODE,
    IN_DEPT,
    OUT_BOROUGH,
    OUT_DEPT,
    ROLES_UNDER_TEST,
    Portal,
)

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
}
#: per-route overrides of EXAMPLES (route name → parameter → value)
ROUTE_EXAMPLES: dict[str, dict[str, Any]] = {"na_download": {"format": "xlsx"}}
#: form bodies of the state-changing routes (every one also gets its CSRF token)
FORMS: dict[str, Any] = {
    "sign_in_post": {"email": "nobody@test.vrkit.invalid", "password": "not the password"},
    "sign_out": {},
    "account_password_post": {"current": "x", "new": "y", "confirm": "z"},
    "token_create": {"name": "matrix"},
    "token_revoke": {},
    "istv_upload": "istv_file",
    "admin_user_create": lambda: {
        "email": f"m{uuid.uuid4().hex[:8]}@test.vrkit.invalid",
        "name": "M",
        "role": "vru_analyst",
    },
    "admin_user_update": {"role": "csp_analyst", "boroughs": "E09000012", "active": "yes"},
    "admin_user_password": {},
    "admin_org_create": lambda: {"name": f"Org {uuid.uuid4().hex[:8]}", "kind": "partner"},
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
            }.get(role, set())
        ),
    )
    kind = FAMILIES[g.family[0]][0]
    if _scope_param(route) is None:
        codes = None if not any(rdef.rule(f) == "own" for f in g.family) else p.scope_codes(kind)
    elif kind == "borough":
        codes = frozenset({IN_BOROUGH_CODE}) if variant == "in" else frozenset({"E09000012"})
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
    return subs


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
        if form == "istv_file":
            site = IN_DEPT if variant == "in" else OUT_DEPT
            files = {"file": ("return.csv", io.BytesIO(istv_csv(site)), "text/csv")}
            form = {"department": site}
        elif callable(form):
            form = form()
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
        and r.route.name != "report_style"
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

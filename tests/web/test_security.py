"""Sessions, CSRF, sign-in lockout and rate limit, API tokens, headers and the audit entries of
each audited action — against the app on a real PostgreSQL database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from vrkit.ops.accounts import MAX_FAILURES
from vrkit.ops.models import AuditEvent, WebSession, utcnow

from .conftest import PASSWORD, Portal, csrf_of, sign_in


def _events(portal: Portal, action: str) -> list[AuditEvent]:
    with portal.app.state.db.session() as s:
        return list(
            s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        )


def test_runs_on_postgresql(portal: Portal) -> None:
    assert portal.app.state.db.engine.dialect.name == "postgresql"


def test_sign_in_sets_hardened_cookie_and_audits(portal: Portal) -> None:
    c = portal.client()
    r = sign_in(c, portal.users["vru_analyst"][1])
    cookie = r.headers["set-cookie"]
    assert "vrkit_session=" in cookie
    for flag in ("HttpOnly", "Secure", "SameSite=lax"):
        assert flag.lower() in cookie.lower()
    ev = _events(portal, "sign_in")[-1]
    assert (
        ev.user_email == portal.users["vru_analyst"][1]
        and ev.role == "vru_analyst"
        and ev.outcome == "ok"
    )
    assert c.get("/api/v1/me").json()["role"] == "vru_analyst"


def test_security_headers(portal: Portal) -> None:
    r = portal.client().get("/")
    csp = r.headers["content-security-policy"]
    assert (
        "unsafe-inline" not in csp
        and "frame-ancestors 'none'" in csp
        and "script-src 'self'" in csp
    )
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"


def test_csrf_required_on_every_form(portal: Portal) -> None:
    c = portal.client("vru_analyst")
    r = c.post("/account/tokens", data={"name": "x"})
    assert r.status_code == 403
    r = c.post("/account/tokens", data={"name": "x", "csrf_token": "0" * 64})
    assert r.status_code == 403
    token = csrf_of(c.get("/account").text)
    assert c.post("/account/tokens", data={"name": "x", "csrf_token": token}).status_code == 200
    # the sign-in form too: a token bound to another browser's pre-session cookie is refused
    other = portal.client()
    foreign = csrf_of(other.get("/sign-in").text)
    fresh = portal.client()
    fresh.get("/sign-in")
    r = fresh.post(
        "/sign-in",
        data={"email": portal.users["admin"][1], "password": PASSWORD, "csrf_token": foreign},
    )
    assert r.status_code == 403


def test_lockout_after_failures(portal: Portal) -> None:
    email = portal.users["police_partner"][1]
    c = portal.client()
    for _ in range(MAX_FAILURES):
        t = csrf_of(c.get("/sign-in").text)
        r = c.post(
            "/sign-in", data={"email": email, "password": "wrong password!!", "csrf_token": t}
        )
        assert r.status_code == 401
    t = csrf_of(c.get("/sign-in").text)
    r = c.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": t})
    assert r.status_code == 401, "a locked account must refuse even the right password"
    assert "Enter a correct email address and password" in r.text  # same message: no account oracle
    assert _events(portal, "account_locked")[-1].user_email == email
    assert (
        len([e for e in _events(portal, "sign_in_failed") if e.user_email == email])
        == MAX_FAILURES + 1
    )
    with portal.app.state.db.session() as s:  # the lock expires
        s.execute(
            text("UPDATE app_user SET locked_until = :t WHERE email = :e"),
            {"t": utcnow() - timedelta(seconds=1), "e": email},
        )
    sign_in(portal.client(), email)


def test_login_rate_limit_per_address(database_url: str, warehouse_path, tmp_path) -> None:
    from .conftest import make_portal

    p = make_portal(database_url, warehouse_path, tmp_path, login_rate_per_minute=3)
    c = p.client()
    codes = []
    for _ in range(4):
        t = csrf_of(c.get("/sign-in").text)
        codes.append(
            c.post(
                "/sign-in",
                data={"email": "nobody@x.invalid", "password": "x" * 12, "csrf_token": t},
            ).status_code
        )
    assert codes == [401, 401, 401, 429]
    p.app.state.gate.close()
    p.app.state.db.dispose()


def test_idle_and_absolute_timeouts(portal: Portal) -> None:
    c = portal.client("csp_analyst")
    assert c.get("/api/v1/me").json()["role"] == "csp_analyst"
    with portal.app.state.db.session() as s:
        s.execute(
            text("UPDATE web_session SET last_seen_at = :t"),
            {"t": utcnow() - timedelta(minutes=31)},
        )
    assert c.get("/api/v1/me").json()["role"] == "public", "idle 31 minutes: signed out"
    c2 = portal.client("csp_analyst")
    with portal.app.state.db.session() as s:
        s.execute(
            text("UPDATE web_session SET created_at = :t WHERE ended_at IS NULL"),
            {"t": utcnow() - timedelta(hours=12, minutes=1)},
        )
    assert c2.get("/api/v1/me").json()["role"] == "public", "12 hours after sign-in: signed out"


def test_sign_out_ends_the_session(portal: Portal) -> None:
    c = portal.client("admin")
    cookie = c.cookies.get("vrkit_session")
    t = csrf_of(c.get("/account").text)
    assert c.post("/sign-out", data={"csrf_token": t}).status_code == 303
    replay = portal.client()
    replay.cookies.set("vrkit_session", cookie)
    assert replay.get("/api/v1/me").json()["role"] == "public"
    assert _events(portal, "sign_out")[-1].user_email == portal.users["admin"][1]
    with portal.app.state.db.session() as s:
        assert (
            s.scalar(
                select(WebSession).where(
                    WebSession.ended_at.is_(None), WebSession.user_id == portal.users["admin"][0]
                )
            )
            is None
        )


def test_api_token_shown_once_hashed_and_revocable(portal: Portal) -> None:
    c = portal.client("vru_analyst")
    t = csrf_of(c.get("/account").text)
    page = c.post("/account/tokens", data={"name": "Power BI", "csrf_token": t}).text
    import re

    secret = re.search(r'id="token">(vrk_[^<]+)<', page).group(1)
    with portal.app.state.db.session() as s:
        stored = s.execute(text("SELECT token_hash, prefix FROM api_token")).all()
    assert all(secret not in (h, p) for h, p in stored), "the token itself is never stored"
    api = portal.client()
    h = {"Authorization": f"Bearer {secret}"}
    assert api.get("/api/v1/me", headers=h).json()["role"] == "vru_analyst"
    assert secret not in c.get("/account").text, "shown once only"
    assert api.get("/account", headers=h).status_code == 401, "tokens work on /api/ only"
    tok_id = re.findall(r"/account/tokens/(\d+)/revoke", c.get("/account").text)[-1]
    t = csrf_of(c.get("/account").text)
    assert c.post(f"/account/tokens/{tok_id}/revoke", data={"csrf_token": t}).status_code == 303
    r = api.get("/api/v1/me", headers=h)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert _events(portal, "token_created") and _events(portal, "token_revoked")
    assert _events(portal, "denied")[-1].outcome == "denied"


def test_initial_password_must_be_changed(portal: Portal) -> None:
    admin = portal.client("admin")
    t = csrf_of(admin.get("/admin/users/new").text)
    r = admin.post(
        "/admin/users",
        data={
            "email": "new.analyst@test.vrkit.invalid",
            "name": "New",
            "role": "csp_analyst",
            "boroughs": "E09000012",
            "csrf_token": t,
        },
    )
    assert r.status_code == 200
    import re

    initial = re.search(r'id="initial-password">([^<]+)<', r.text).group(1)
    assert _events(portal, "user_created")[-1].detail["scopes"] == ["borough:E09000012"]
    u = portal.client()
    r = sign_in(u, "new.analyst@test.vrkit.invalid", initial)
    assert r.headers["location"] == "/account/password"
    assert u.get("/trends").headers["location"] == "/account/password", "nothing else until changed"
    t = csrf_of(u.get("/account/password").text)
    r = u.post(
        "/account/password",
        data={"current": initial, "new": "short", "confirm": "short", "csrf_token": t},
    )
    assert r.status_code == 400 and "at least 12" in r.text
    t = csrf_of(u.get("/account/password").text)
    new = "quiet river orange lamp"
    r = u.post(
        "/account/password", data={"current": initial, "new": new, "confirm": new, "csrf_token": t}
    )
    assert r.status_code == 303
    assert u.get("/api/v1/me").json()["email"] == "new.analyst@test.vrkit.invalid"
    assert _events(portal, "password_changed")[-1].user_email == "new.analyst@test.vrkit.invalid"


def test_audit_log_is_append_only(portal: Portal) -> None:
    sign_in(portal.client(), portal.users["admin"][1])
    with pytest.raises(Exception, match="append-only"), portal.app.state.db.session() as s:
        s.execute(text("UPDATE audit_event SET outcome = 'ok'"))
    with pytest.raises(Exception, match="append-only"), portal.app.state.db.session() as s:
        s.execute(text("DELETE FROM audit_event"))
    assert _events(portal, "sign_in")


def test_reads_of_non_public_data_are_audited(portal: Portal) -> None:
    c = portal.client("csp_analyst")
    assert (
        c.get("/api/v1/trend", params={"measure": "homicide", "area": "Lambeth"}).status_code == 200
    )
    ev = _events(portal, "read")[-1]
    assert ev.user_email == portal.users["csp_analyst"][1] and ev.scope == "borough:E09000022"
    assert "/api/v1/trend" in ev.target and ev.detail["edition"] == "full"
    n = len(_events(portal, "read"))
    assert (
        c.get("/api/v1/trend", params={"measure": "homicide", "area": "Hackney"}).status_code == 200
    )
    assert len(_events(portal, "read")) == n, "the public edition is not a read of non-public data"
    assert (
        c.get(
            "/reports/violent-crime/download",
            params={"area": "Lambeth", "year": 2020, "format": "json"},
        ).status_code
        == 200
    )
    assert _events(portal, "download")[-1].detail["edition"] == "full"

"""HTTP security: response headers, CSRF tokens and the sign-in rate limit.

Headers (every response): a Content-Security-Policy with no ``unsafe-inline`` (scripts, styles,
fonts and images only from the portal itself; ``frame-ancestors 'none'``; ``form-action
'self'``), ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy:
same-origin``, ``Cross-Origin-Opener-Policy``, a restrictive ``Permissions-Policy``,
``Cache-Control: no-store`` on everything but the static assets, and HSTS over HTTPS.

CSRF (synchroniser token, ASVS 4.2.2): the token is an HMAC of the session id (signed in) or of a
random pre-session cookie (signing in) with the instance key; every form carries it in
``csrf_token`` and every state-changing request made with a cookie must present it (form field
or ``X-CSRF-Token`` header). API calls authenticated by a bearer token carry no cookie and need
none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from typing import Any

from fastapi import Request

from vrkit.web.authz import ANON_COOKIE, Denied

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


class SecurityHeaders:
    """Pure ASGI middleware adding the headers above to every HTTP response."""

    def __init__(self, app: Any, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(("/static/", "/assets/"))

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for k, v in _HEADERS:
                    if k not in present:
                        headers.append((k, v))
                if not static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                if self.hsts and scope.get("scheme") == "https":
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Security:
    """CSRF tokens and the per-address sign-in rate limit of one app."""

    def __init__(self, key: str, *, login_per_minute: int) -> None:
        self._key = hashlib.sha256(key.encode()).digest()
        self.login_per_minute = login_per_minute
        self._attempts: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    # -- CSRF --------------------------------------------------------------------------------
    def csrf_for(self, binding: str) -> str:
        return hmac.new(self._key, b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()

    def binding(self, request: Request, session_token: str | None) -> str:
        """What a CSRF token is bound to: the session, or the pre-session cookie (created on
        first use and set on the response by the app's middleware)."""
        if session_token:
            return "s:" + session_token
        anon = request.cookies.get(ANON_COOKIE) or getattr(request.state, "new_anon", None)
        if not anon:
            anon = secrets.token_urlsafe(24)
            request.state.new_anon = anon
        return "a:" + anon

    def token(self, request: Request) -> str:
        return self.csrf_for(self.binding(request, getattr(request.state, "session_token", None)))

    async def check_csrf(self, request: Request, session_token: str | None) -> None:
        sent = request.headers.get("x-csrf-token")
        if sent is None:
            ct = request.headers.get("content-type", "")
            if ct.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                form = await request.form()
                v = form.get("csrf_token")
                sent = v if isinstance(v, str) else None
        if session_token:
            binding = "s:" + session_token
        else:
            anon = request.cookies.get(ANON_COOKIE)
            if not anon:
                raise Denied(403, "the form has expired; reload the page and try again")
            binding = "a:" + anon
        if not sent or not hmac.compare_digest(sent, self.csrf_for(binding)):
            raise Denied(403, "the form has expired or was not sent from this site; reload it")

    # -- sign-in rate limit ------------------------------------------------------------------
    def allow_login(self, ip: str | None) -> bool:
        """False if ``ip`` made :attr:`login_per_minute` attempts in the last minute."""
        now = time.monotonic()
        key = ip or "?"
        with self._lock:
            q = self._attempts[key]
            while q and now - q[0] > 60:
                q.popleft()
            if len(q) >= self.login_per_minute:
                return False
            q.append(now)
            if len(self._attempts) > 10_000:  # bound memory under a spray of addresses
                for k in [k for k, v in self._attempts.items() if not v][:5000]:
                    del self._attempts[k]
            return True

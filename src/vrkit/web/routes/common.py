"""Helpers shared by the routers: choices for forms, warehouse reads, redirects."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Path as PathParam
from fastapi import Request
from fastapi.responses import RedirectResponse

from vrkit.catalog.areas import borough_names
from vrkit.web.authz import Access

#: a database id in a path: a positive 32-bit integer (larger values are refused with 422
#: before they reach the database)
MAX_ID = 2_147_483_647
Id = Annotated[int, PathParam(ge=1, le=MAX_ID)]


def boroughs() -> list[tuple[str, str]]:
    """(GSS code, name) of the 32 London boroughs, by name."""
    return sorted(
        ((c, n) for c, n in borough_names().items() if c.startswith("E09") and c != "E09000001"),
        key=lambda cn: cn[1],
    )


def area_choices(acc: Access | None = None) -> list[tuple[str, str]]:
    """London and the boroughs; the user's own boroughs first, marked."""
    mine = acc.principal.scope_codes("borough") if acc else frozenset()
    rows = [("London", "London (all boroughs)")]
    own = [(n, f"{n} (your area)") for c, n in boroughs() if c in mine]
    rest = [(n, n) for c, n in boroughs() if c not in mine]
    return rows + own + rest


def safe_next(value: str | None) -> str:
    """A post-sign-in destination: only a path on this site (no scheme, host or //)."""
    if not value:
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        return "/"
    return value


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def gate(request: Request) -> Any:
    return request.app.state.gate


def db(request: Request) -> Any:
    return request.app.state.db


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def memo(request: Request, name: str, params: tuple[Any, ...], compute: Any) -> Any:
    """A task result computed once per warehouse data version (``compute(wh)``)."""
    g = gate(request)
    with g.read() as wh:
        key = (name, params, g.version(wh))
        return request.app.state.memo.get(key, lambda: compute(wh))


def report_years(request: Request) -> list[int]:
    """Complete calendar years of MPS borough data in the warehouse (newest first)."""
    import pandas as pd

    from vrkit.store.queries import months_available

    def compute(wh: Any) -> list[int]:
        months = months_available(wh, "mps_borough_monthly")
        if months.empty:
            return []
        counts = pd.to_datetime(months["month"]).dt.year.value_counts()
        return sorted((int(y) for y, n in counts.items() if n == 12), reverse=True)

    return list(memo(request, "years", (), compute))

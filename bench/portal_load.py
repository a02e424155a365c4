"""Portal load benchmark (issue #14): concurrent users on loopback against `vrkit serve`'s app.

Starts the portal under uvicorn on a free 127.0.0.1 port (its own SQLite operational database in
a temporary folder, the warehouse given with --store), warms the caches once (each report
edition is built once per data version, as in production), then runs USERS concurrent users for
SECONDS seconds, each waiting THINK seconds (default 1) between requests. Each user loops over, in
turn:

- the Violent Crime Report page (anonymous: public edition of a borough),
- the report document itself (the cached HTML),
- the trend API (a signed-in CSP analyst's API token, its own borough: full edition),
- a download (the report's XLSX),

and every request's latency and status are recorded. Prints p50/p95/p99 per request kind and in
all, requests per second and errors, as the markdown table kept in docs/performance.md. The run is
bounded in time and count and only ever talks to 127.0.0.1.

Run::

    make demo   # or make serve once: builds out/vrkit.duckdb
    .venv/bin/python bench/portal_load.py --store out/vrkit.duckdb [--users 50 --seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx2

KINDS = ("report page", "report HTML", "trend API", "download XLSX")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(store: Path, tmp: Path) -> tuple[object, str, str]:
    """The portal in a thread; returns (server, base URL, an API token of a CSP analyst)."""
    import uvicorn

    from vrkit.config import Settings
    from vrkit.ops import accounts
    from vrkit.ops.roles import Principal
    from vrkit.web.app import create_app

    url = f"sqlite:///{tmp / 'ops.sqlite3'}"
    settings = Settings(database_url=url, upload_dir=tmp / "uploads", cache_dir=tmp / "cache")
    app = create_app(settings, store=store, database_url=url)
    with app.state.db.session() as s:
        user, _ = accounts.create_user(
            s,
            Principal(role="admin", email="system:bench"),
            email="bench.csp@bench.invalid",
            name="Bench",
            role="csp_analyst",
            scopes=[("borough", "E09000022")],
            password="bench password quiet lamp",
            must_change_password=False,
        )
        _, token = accounts.create_token(s, accounts.principal_of(user, "session"), "bench")
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}", token


def requests_for(token: str) -> list[tuple[str, str, dict[str, str]]]:
    auth = {"Authorization": f"Bearer {token}"}
    return [
        ("report page", "/reports/violent-crime?area=Lambeth&year=2020", {}),
        ("report HTML", "/reports/violent-crime/report?area=Hackney&year=2020", {}),
        ("trend API", "/api/v1/trend?measure=violence_with_injury&area=Lambeth", auth),
        ("download XLSX", "/reports/violent-crime/download?area=Lambeth&year=2020&format=xlsx", {}),
    ]


async def user(
    base: str,
    plan: list[tuple[str, str, dict[str, str]]],
    until: float,
    out: list[tuple[str, float, int]],
    offset: int,
    think: float,
) -> None:
    async with httpx2.AsyncClient(base_url=base, timeout=60.0) as client:
        k = offset
        while time.monotonic() < until:
            kind, path, headers = plan[k % len(plan)]
            t0 = time.perf_counter()
            try:
                r = await client.get(path, headers=headers)
                status = r.status_code
            except httpx2.HTTPError:
                status = 0
            out.append((kind, time.perf_counter() - t0, status))
            k += 1
            if think:
                await asyncio.sleep(think)


def pct(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


async def run(
    base: str, token: str, users: int, seconds: float, think: float
) -> list[tuple[str, float, int]]:
    plan = requests_for(token)
    async with httpx2.AsyncClient(base_url=base, timeout=600.0) as warm:  # build each edition once
        for kind, path, headers in plan:
            r = await warm.get(path, headers=headers)
            assert r.status_code == 200, (kind, r.status_code, r.text[:300])
    out: list[tuple[str, float, int]] = []
    until = time.monotonic() + seconds
    await asyncio.gather(*(user(base, plan, until, out, i, think) for i in range(users)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, default=Path("out/vrkit.duckdb"))
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="Seconds a user waits between requests (0: flat out).",
    )
    a = ap.parse_args()
    if not a.store.exists():
        raise SystemExit(f"no warehouse at {a.store}: run `make demo` (or `make serve`) first")
    with tempfile.TemporaryDirectory() as tmp:
        server, base, token = start(a.store, Path(tmp))
        t0 = time.monotonic()
        res = asyncio.run(run(base, token, a.users, a.seconds, a.think))
        wall = time.monotonic() - t0
        server.should_exit = True  # type: ignore[attr-defined]
    print(
        f"{a.users} users, {a.seconds:.0f} s, think time {a.think:g} s, on 127.0.0.1; "
        f"{len(res):,} requests ({wall:.0f} s with the warm-up)"
    )
    print("| request | n | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind in (*KINDS, "all"):
        rows = [r for r in res if kind == "all" or r[0] == kind]
        lat = [r[1] * 1000 for r in rows]
        errors = sum(1 for r in rows if r[2] != 200)
        print(
            f"| {kind} | {len(rows):,} | {pct(lat, 50):.0f} | {pct(lat, 95):.0f} | {pct(lat, 99):.0f} | {errors} |"
        )
    print(f"throughput: {len(res) / a.seconds:.0f} requests/s")


if __name__ == "__main__":
    main()

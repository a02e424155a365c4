"""Running the portal: migrate the operational database, optionally seed demo users and load
the shared data, and serve under uvicorn (the ``vrkit serve`` command, :mod:`vrkit.cli.serve`,
calls :func:`run`).

``make serve`` runs ``vrkit serve --demo --ingest-if-empty``: one demo user per role (fresh
random passwords printed on every start, marked DEMO), the shared open data ingested if the
warehouse is empty, plus a SYNTHETIC set of ISTV returns so the ED and completeness pages have
something to show.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from vrkit.config import get_settings
from vrkit.web.demo_users import demo_user

#: (role, email, name, scopes) of the demo users
DEMO_USERS: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    ("vru_analyst", "vru.analyst@demo.vrkit.invalid", "Demo VRU analyst", []),
    (
        "csp_analyst",
        "lambeth.csp@demo.vrkit.invalid",
        "Demo Lambeth CSP analyst",
        [("borough", "E09000022")],
    ),
    ("police_partner", "police.partner@demo.vrkit.invalid", "Demo police partner", []),
    (
        "ed_submitter",
        "ed.syn01@demo.vrkit.invalid",
        "Demo ED submitter (SYN01)",
        [("department", "SYN01")],
    ),
    ("admin", "admin@demo.vrkit.invalid", "Demo administrator", []),
    # issue #15: a commissioner, and a provider scoped to an organisation of the London example
    ("commissioner", "commissioner@demo.vrkit.invalid", "Demo commissioner", []),
    (
        "provider",
        "provider.elba@demo.vrkit.invalid",
        "Demo provider (East London Business Alliance)",
        [("organisation", "East London Business Alliance")],
    ),
]


def seed_demo(database_url: str) -> list[tuple[str, str, str, str]]:
    """Create (or reset) the demo users with new random passwords; returns
    (role, email, password, scope) for printing. Idempotent."""

    from vrkit.ops import accounts
    from vrkit.ops.db import Database
    from vrkit.ops.roles import Principal

    db = Database(database_url)
    db.migrate()
    system = Principal(role="admin", email="system:make-serve", name="make serve")
    out = []
    try:
        with db.session() as s:
            org = accounts.upsert_organisation(
                s, system, "Demo Violence Reduction Unit (DEMO)", kind="vru"
            )
            seed_delivery_demo(s, system)
            for role, email, name, named_scopes in DEMO_USERS:
                scopes, own_org = _organisation_scopes(s, named_scopes)
                password = demo_user(
                    s, system, email, name, role, scopes, organisation_id=own_org or org.id
                )
                out.append(
                    (role, email, password, ", ".join(f"{k} {c}" for k, c in scopes) or "all")
                )
    finally:
        db.dispose()
    return out


def seed_delivery_demo(s: Any, system: Any) -> None:
    """The London VRU 2020/21 delivery example (programmes, money, targets, logic model) in the
    operational database, so commissioners and providers have something to work on (idempotent;
    skipped with a message when the example folder is not in the data directory)."""
    from vrkit.tasks.delivery import import_delivery

    folder = get_settings().data_dir / "london_vru_2020_21"
    if not folder.is_dir():
        print(f"no delivery example at {folder}: the delivery pages start empty", file=sys.stderr)
        return
    import_delivery(s, system, [folder])


def _organisation_scopes(
    s: Any, scopes: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], int | None]:
    """Demo scopes naming an organisation by name → its id (and that organisation)."""
    from vrkit.ops.delivery.register import find_organisation

    out, own = [], None
    for kind, code in scopes:
        if kind == "organisation" and not code.isdigit():
            found = find_organisation(s, code, None)
            if found is None:
                continue
            code, own = str(found.id), found.id
        out.append((kind, code))
    return out, own


def ingest_if_empty(store: Path) -> None:
    """Load the shared data (``vrkit ingest --all``) and a SYNTHETIC ISTV set into an empty
    warehouse, through the same code as the CLI."""
    from vrkit.store.warehouse import Warehouse
    from vrkit.tasks.health import ingest_istv
    from vrkit.tasks.ingestion import ingest
    from vrkit.tasks.synth import synth_istv
    from vrkit.web import tasks

    if not tasks.warehouse_empty(store):
        print(f"warehouse {store} already has data: not ingesting", file=sys.stderr)
        return
    data_dir = get_settings().data_dir
    print(f"warehouse {store} is empty: ingesting {data_dir} (about a minute)…", file=sys.stderr)
    with Warehouse(store) as wh:
        summary = ingest(wh, all_=True, data_dir=data_dir)
        with tempfile.TemporaryDirectory() as tmp:
            man = synth_istv(Path(tmp) / "istv", departments=29, months=12, seed=1)
            ingest_istv(wh, sorted(man.files))
    print(
        f"ingested {len(summary.files) - len(summary.failed)} files ({len(summary.failed)} "
        "failed) and a SYNTHETIC ISTV set",
        file=sys.stderr,
    )


def run(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    store: Path,
    database_url: str | None = None,
    demo: bool = False,
    ingest_empty: bool = False,
    workers_threads: int = 40,
) -> None:
    """Run the partner portal (web pages and /api/v1)."""
    import uvicorn

    from vrkit.web.app import create_app

    settings = get_settings()
    store_path = Path(store)
    url = database_url or settings.database_url
    if ingest_empty:
        ingest_if_empty(store_path)
    if demo:
        rows = seed_demo(url)
        from vrkit.web.demo_local import seed_local_demo  # issue #17's demo content

        rows += seed_local_demo(url, store_path)
        print("\nDEMO users (demo only: new random passwords at every start):")
        for role, email, password, scope in rows:
            print(f"  DEMO {role:15s} {email:38s} password {password}   scope: {scope}")
        print()
    app = create_app(settings, store=store_path, database_url=url)
    print(
        f"vrkit portal on http://{host}:{port}/  (warehouse {store_path}, database {_redact(url)})"
    )
    import anyio.to_thread

    async def _threads() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = workers_threads

    config = uvicorn.Config(app, host=host, port=port, log_level="warning", proxy_headers=False)
    server = uvicorn.Server(config)
    import asyncio

    async def main() -> None:
        await _threads()
        await server.serve()

    asyncio.run(main())


def _redact(url: str) -> str:
    """A database URL without its password."""
    import re

    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)

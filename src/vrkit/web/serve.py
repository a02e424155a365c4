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

from vrkit.config import get_settings

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
]


def seed_demo(database_url: str) -> list[tuple[str, str, str, str]]:
    """Create (or reset) the demo users with new random passwords; returns
    (role, email, password, scope) for printing. Idempotent."""
    import secrets

    from vrkit.ops import accounts
    from vrkit.ops.db import Database
    from vrkit.ops.passwords import hash_password
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
            for role, email, name, scopes in DEMO_USERS:
                password = "demo-" + secrets.token_urlsafe(9)
                from sqlalchemy import select

                from vrkit.ops.models import User

                user = s.scalar(select(User).where(User.email == email))
                if user is None:
                    user, _ = accounts.create_user(
                        s,
                        system,
                        email=email,
                        name=name,
                        role=role,
                        scopes=scopes,
                        organisation_id=org.id,
                        password=password,
                        must_change_password=False,
                    )
                else:
                    user.password_hash = hash_password(password)
                    user.must_change_password, user.active = False, True
                    user.failed_logins, user.locked_until = 0, None
                    accounts.change_user(s, system, user.id, role=role, scopes=scopes)
                out.append(
                    (role, email, password, ", ".join(f"{k} {c}" for k, c in scopes) or "all")
                )
    finally:
        db.dispose()
    return out


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

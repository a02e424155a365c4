"""``vrkit serve``: migrate the operational database, optionally seed demo users and load the
shared data, and run the portal under uvicorn.

``make serve`` runs ``vrkit serve --demo --ingest-if-empty``: one demo user per role (fresh
random passwords printed on every start, marked DEMO), the shared open data ingested if the
warehouse is empty, plus a SYNTHETIC set of ISTV returns so the ED and completeness pages have
something to show.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from vrkit.config import get_settings
from vrkit.errors import VrkitError

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


def demo_user(
    s: Any,
    actor: Any,
    email: str,
    name: str,
    role: str,
    scopes: list[tuple[str, str]],
    *,
    organisation_id: int | None,
) -> str:
    """Create a DEMO user, or reset it (active, unlocked, role and scopes as given), with a new
    random password, which is returned for printing."""
    import secrets

    from sqlalchemy import select

    from vrkit.ops import accounts
    from vrkit.ops.models import User
    from vrkit.ops.passwords import hash_password

    password = "demo-" + secrets.token_urlsafe(9)
    user = s.scalar(select(User).where(User.email == email))
    if user is None:
        accounts.create_user(
            s,
            actor,
            email=email,
            name=name,
            role=role,
            scopes=scopes,
            organisation_id=organisation_id,
            password=password,
            must_change_password=False,
        )
    else:
        user.password_hash = hash_password(password)
        user.must_change_password, user.active = False, True
        user.failed_logins, user.locked_until = 0, None
        accounts.change_user(s, actor, user.id, role=role, scopes=scopes)
    return password


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
    from vrkit.errors import SourceError
    from vrkit.sources.registry import detect_adapter, expand_paths
    from vrkit.store.derived import derive_lsoa_ward_links
    from vrkit.store.health import ingest_istv
    from vrkit.store.warehouse import Warehouse
    from vrkit.synth import synth_istv
    from vrkit.web import tasks

    if not tasks.warehouse_empty(store):
        print(f"warehouse {store} already has data: not ingesting", file=sys.stderr)
        return
    data_dir = get_settings().data_dir
    print(f"warehouse {store} is empty: ingesting {data_dir} (about a minute)…", file=sys.stderr)
    paths = []
    for p in expand_paths([data_dir]):
        try:
            detect_adapter(p)
            paths.append(p)
        except SourceError:
            pass
    with Warehouse(store) as wh:
        results = wh.ingest_many(paths)
        failed = [r for r in results if isinstance(r, VrkitError)]
        derive_lsoa_ward_links(wh)
        with tempfile.TemporaryDirectory() as tmp:
            man = synth_istv(Path(tmp), departments=29, months=12, seed=1)
            ingest_istv(wh, sorted(man.files))
    print(
        f"ingested {len(results) - len(failed)} files ({len(failed)} failed) and a SYNTHETIC ISTV set",
        file=sys.stderr,
    )


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    store: Annotated[
        Path | None, typer.Option("--store", help="Warehouse file (default VRKIT_STORE).")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", help="Operational database URL (default VRKIT_DATABASE_URL)."
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option("--demo", help="Seed one DEMO user per role and print their sign-in details."),
    ] = False,
    ingest_empty: Annotated[
        bool,
        typer.Option("--ingest-if-empty", help="Load the shared data if the warehouse is empty."),
    ] = False,
    workers_threads: Annotated[int, typer.Option("--threads", help="Request worker threads.")] = 40,
) -> None:
    """Run the partner portal (web pages and /api/v1)."""
    import uvicorn

    from vrkit.web.app import create_app

    settings = get_settings()
    store_path = Path(store or _cli_store() or settings.store)
    url = database_url or settings.database_url
    try:
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
    except VrkitError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        raise typer.Exit(exc.exit_code) from None
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


def _cli_store() -> Path | None:
    try:
        from vrkit.cli import (
            _state,  # the global --store option, when run as `vrkit --store F serve`
        )

        v = _state.get("store")
        return Path(v) if v else None
    except Exception:
        return None


def _redact(url: str) -> str:
    """A database URL without its password."""
    import re

    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)

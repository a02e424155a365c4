"""Fixtures of the portal tests: a real PostgreSQL (throwaway cluster, one per session), a
warehouse built once from the shared data, apps on fresh databases, users of every role, and
clients signed in as them.

PostgreSQL: ``VRKIT_TEST_DATABASE_URL`` if set (a server you run; each test app gets a fresh
database created through it), else ``scripts/pg_test_server.sh`` starts a cluster on a free port
for the session. There is no fallback to SQLite: if PostgreSQL cannot start, the tests fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from vrkit.config import get_settings
from vrkit.store.warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
PG_SCRIPT = ROOT / "scripts" / "pg_test_server.sh"
DATA = get_settings().data_dir

#: the shared files the portal tests load (London borough monthly counts, homicide, LSOA
#: annual violence with its boundaries, IMD and population for the needs assessment; wards, their
#: profiles and monthly ward counts for the data tool's ranking)
FILES = [
    "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv",
    "mps_homicide/original_homicide.xlsx - dataset.csv",
    "boundaries/statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp",
    "boundaries/statistical-gis-boundaries-london/ESRI/London_Borough_Excluding_MHW.shp",
    "mps_crime_lsoa_annual_derived/london-2011-2021-major-violence.csv",
    "deprivation_iod2019/ID 2019 for London.xlsx",
    "population/london-mid2019-pop.csv",
    "boundaries/statistical-gis-boundaries-london/ESRI/London_Ward_CityMerged.shp",
    "other_london/ward-profiles-excel-version.csv",
    "mps_crime_ward/2020-01_to_2021-12/MPS Ward Level_Crime_2020-2021.csv.gz",
]
#: scope of the test users: in-scope and out-of-scope units
IN_BOROUGH, OUT_BOROUGH = "Lambeth", "Hackney"
IN_BOROUGH_CODE = "E09000022"
IN_DEPT, OUT_DEPT = "SYN01", "SYN02"
#: providers (issue #15): the organisation in the provider's scope, and one outside it
IN_ORG, OUT_ORG = "In-scope provider (test)", "Out-of-scope provider (test)"
ROLES_UNDER_TEST = (
    "public",
    "vru_analyst",
    "csp_analyst",
    "police_partner",
    "ed_submitter",
    "admin",
    "commissioner",
    "provider",
)
PASSWORD = "correct horse battery staple"
_HASH: list[str] = []


def password_hash() -> str:
    """The test password's Argon2id hash, computed once (hashing is deliberately slow)."""
    if not _HASH:
        from vrkit.ops.passwords import hash_password

        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """URL of a PostgreSQL server for the session (its ``postgres`` maintenance database)."""
    given = os.environ.get("VRKIT_TEST_DATABASE_URL")
    if given:
        yield given
        return
    subprocess.run([str(PG_SCRIPT), "ensure"], check=True)
    base = Path(tempfile.mkdtemp(prefix="vrkit-pg-"))
    port = _free_port()
    try:
        subprocess.run([str(PG_SCRIPT), "start", str(base), str(port)], check=True, timeout=120)
    except subprocess.CalledProcessError:
        log = base / "server.log"
        raise RuntimeError(
            "the test PostgreSQL did not start: "
            + (log.read_text()[-2000:] if log.exists() else "")
        ) from None
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/vrkit_test"
    finally:
        subprocess.run([str(PG_SCRIPT), "stop", str(base)], check=False, timeout=60)


@pytest.fixture
def database_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    yield from _fresh_database(pg_server)


def _fresh_database(server: str) -> Iterator[str]:
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as con:
        con.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as con:
            con.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            con.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="module")
def module_database_url(pg_server: str) -> Iterator[str]:
    yield from _fresh_database(pg_server)


@pytest.fixture(scope="session")
def warehouse_path(tmp_path_factory: pytest.TempPathFactory, warehouses: Any) -> Path:
    """The portal tests' warehouse, built once (real shared data + SYNTHETIC ISTV returns)."""
    from vrkit.store.health import ingest_istv
    from vrkit.tasks.ingestion import derive_all_lsoa_ward_links
    from vrkit.tasks.synth import synth_istv

    root = tmp_path_factory.mktemp("portal-wh")
    path = warehouses.copy([DATA / f for f in FILES], root / "vrkit.duckdb")
    with Warehouse(path) as wh:
        derive_all_lsoa_ward_links(wh)
        man = synth_istv(root / "istv", departments=3, months=3, seed=1)
        ingest_istv(wh, sorted(man.files))
    return path


@dataclass
class Portal:
    """A test app on its own database and cache, with users of every role."""

    app: Any
    url: str
    users: dict[str, tuple[int | None, str]]  # role -> (user id, email)
    root: Path
    orgs: dict[str, int] | None = None  # "in"/"out" -> organisation id (providers)

    def client(self, role: str = "public", **kw: Any) -> Any:
        from starlette.testclient import TestClient

        c = TestClient(self.app, base_url="https://testserver", follow_redirects=False, **kw)
        if role != "public":
            sign_in(c, self.users[role][1])
        return c

    def session_cookie(self, role: str) -> str:
        """A fresh session for ``role`` without going through the sign-in form."""
        from vrkit.ops import accounts

        with self.app.state.db.session() as s:
            user = accounts.get_user(s, self.users[role][0] or -1)
            assert user is not None
            return accounts.start_session(s, user)


def sign_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    page = client.get("/sign-in")
    token = csrf_of(page.text)
    r = client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": token, "next": "/"}
    )
    assert r.status_code == 303, r.text[:500]
    return r


def csrf_of(html: str) -> str:
    import re

    m = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


#: rendered reports are shared by every test app of the session (same warehouse, same data
#: version): each report edition is built once
_CACHE: list[Path] = []


def shared_cache() -> Path:
    if not _CACHE:
        _CACHE.append(Path(tempfile.mkdtemp(prefix="vrkit-report-cache-")))
    return _CACHE[0]


@pytest.fixture(scope="session", autouse=True)
def _remove_shared_cache() -> Iterator[None]:
    yield
    if _CACHE:
        shutil.rmtree(_CACHE[0], ignore_errors=True)


def make_portal(database_url: str, store: Path, root: Path, **settings_kw: Any) -> Portal:
    from vrkit.config import Settings
    from vrkit.ops import accounts
    from vrkit.ops.roles import Principal
    from vrkit.web.app import create_app

    settings = Settings(
        upload_dir=root / "uploads",
        cache_dir=shared_cache(),
        database_url=database_url,
        store=store,
        web_lock_wait=5.0,
        **settings_kw,
    )
    app = create_app(settings, store=store, database_url=database_url, run_jobs=False)
    system = Principal(role="admin", email="system:tests")
    with app.state.db.session() as s:
        orgs = {
            variant: accounts.upsert_organisation(s, system, name, kind="provider").id
            for variant, name in (("in", IN_ORG), ("out", OUT_ORG))
        }
    scopes = {
        "csp_analyst": [("borough", IN_BOROUGH_CODE)],
        "ed_submitter": [("department", IN_DEPT)],
        "provider": [("organisation", str(orgs["in"]))],
    }
    users: dict[str, tuple[int | None, str]] = {"public": (None, "")}
    with app.state.db.session() as s:
        for role in ROLES_UNDER_TEST[1:]:
            email = f"{role.replace('_', '.')}@test.vrkit.invalid"
            u, _ = accounts.create_user(
                s,
                system,
                email=email,
                name=f"Test {role}",
                role=role,
                scopes=scopes.get(role, []),
                password_hash=password_hash(),
                must_change_password=False,
                organisation_id=orgs["in"] if role == "provider" else None,
            )
            users[role] = (u.id, email)
    return Portal(app, database_url, users, root, orgs)


@pytest.fixture
def portal(database_url: str, warehouse_path: Path, tmp_path: Path) -> Iterator[Portal]:
    p = make_portal(database_url, warehouse_path, tmp_path)
    yield p
    p.app.state.gate.close()
    p.app.state.db.dispose()


@pytest.fixture(scope="module")
def module_portal(
    module_database_url: str, warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Portal]:
    root = tmp_path_factory.mktemp("portal")
    p = make_portal(module_database_url, warehouse_path, root)
    yield p
    p.app.state.gate.close()
    p.app.state.db.dispose()
    shutil.rmtree(root, ignore_errors=True)

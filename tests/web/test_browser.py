"""The portal in a real browser: Playwright driving Debian's Chromium (``/usr/bin/chromium``,
installed by ``make test`` when missing) against the app served by uvicorn on a free loopback
port. Journeys: sign in as each role, open a report, download a file, an ED uploads a file with
an error then a corrected one, an administrator changes a scope and the change takes effect.
axe-core (vendored from npm, ``tests/web/vendor``) checks every page visited: 0 serious or
critical violations."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import IN_DEPT, PASSWORD, Portal, make_portal

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def served(
    module_database_url: str, warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Portal, str]]:
    import uvicorn

    root = tmp_path_factory.mktemp("browser")
    store = root / "wh.duckdb"
    shutil.copy(warehouse_path, store)  # uploads write to it
    portal = make_portal(module_database_url, store, root)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(portal.app, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield portal, f"http://localhost:{port}"
    server.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing: `make test` installs Debian's chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


class Visit:
    """A browser context that checks every page it loads with axe-core and records requests
    leaving the portal (there must be none)."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.context = browser.new_context(
            viewport={"width": 1100, "height": 900}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.outside: list[str] = []
        self.page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(base) or r.url.startswith("data:")
                else self.outside.append(r.url)
            ),
        )
        self.checked: list[str] = []

    def axe(self) -> None:
        # injected through the DevTools protocol: the page's own CSP (no inline script) stays on
        self.page.evaluate(AXE + "\n;0")
        result = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, f"axe on {self.page.url}:\n" + "\n".join(bad)
        self.checked.append(self.page.url)

    def goto(self, path: str) -> Any:
        r = self.page.goto(self.base + path)
        self.axe()
        return r

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        self.goto("/sign-in")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        self.page.click("button:has-text('Sign in')")
        self.page.wait_for_load_state()
        self.axe()

    def close(self) -> None:
        assert not self.outside, f"requests left the portal: {self.outside}"
        self.context.close()


def test_each_role_signs_in_and_sees_its_home(served: tuple[Portal, str], browser: Any) -> None:
    portal, base = served
    # the public pages (issue #17 added the directory, published plans and the tracker)
    public = {
        "Reports",
        "Trends",
        "Data tool",
        "Hot spots",
        "Directory",
        "Action plans",
        "Needs assessment",
    }
    expected_nav = {
        "vru_analyst": public | {"Alerts", "Datasets", "ISTV returns", "Plan progress"},
        "csp_analyst": public | {"Datasets"},
        "police_partner": public | {"Datasets", "Plan progress"},
        "ed_submitter": public | {"ISTV returns"},
        "admin": public | {"Users", "Audit log"},
    }
    anon = Visit(browser, base)
    anon.goto("/")
    assert "public, disclosure-controlled" in anon.page.content()
    anon.goto("/reports")
    anon.goto("/trends?measure=homicide&area=Hackney")
    assert "Public edition" in anon.page.content()
    anon.close()
    for role, nav in expected_nav.items():
        v = Visit(browser, base)
        v.sign_in(portal.users[role][1])
        links = set(v.page.locator("#navigation a").all_inner_texts()) - {"Home", "Account"}
        assert links == nav, role
        v.goto("/account")
        v.close()


def test_open_a_report_and_download(served: tuple[Portal, str], browser: Any) -> None:
    portal, base = served
    v = Visit(browser, base)
    v.sign_in(portal.users["csp_analyst"][1])
    v.goto("/reports/violent-crime?area=Lambeth&year=2020")
    assert "Full edition" in v.page.content()
    with v.page.expect_download() as dl:
        v.page.click("a:has-text('XLSX')")
    path = dl.value.path()
    assert path and Path(path).read_bytes()[:2] == b"PK"
    assert (
        dl.value.suggested_filename.endswith(".xlsx")
        and "-public" not in dl.value.suggested_filename
    )
    v.page.click("#open-report")
    v.page.wait_for_load_state()
    assert "Lambeth" in v.page.title() or "Lambeth" in v.page.content()
    # the report's own stylesheet applied under the CSP: its headings are styled, not default
    v.axe()
    v.goto("/reports/violent-crime?area=Hackney&year=2020")
    assert "Public edition" in v.page.content(), "outside the scope: public edition"
    v.goto("/trends?measure=violence_with_injury&area=Lambeth")
    assert v.page.locator("svg.vrkit-chart").count() == 1
    v.close()


def test_data_tool_and_hot_spot_map(served: tuple[Portal, str], browser: Any) -> None:
    """A CSP analyst ranks its borough's wards with its own weights (the form works as plain
    HTML), downloads the table, and opens the hot spot map of its borough; axe on each page."""
    portal, base = served
    v = Visit(browser, base)
    v.sign_in(portal.users["csp_analyst"][1])
    v.goto("/datatool?area=Lambeth")
    assert "Full edition" in v.page.content()
    assert v.page.locator("#ranking-table tbody tr").count() >= 20
    v.page.click("summary:has-text('Weights')")
    v.page.fill("#w_crime_violence_against_the_person_rate", "4")
    v.page.click("button:has-text('Rank')")
    v.page.wait_for_load_state()
    v.axe()
    assert (
        "Your own weights" in v.page.content()
        and "w_crime_violence_against_the_person_rate=4" in v.page.url
    )
    with v.page.expect_download() as dl:
        v.page.click("a:has-text('CSV')")
    path = dl.value.path()
    text = Path(path).read_text(encoding="utf-8") if path else ""
    assert text.startswith("area_code,") and "Lambeth" in text and "Hackney" not in text
    v.goto("/hotspots?area=Lambeth&year=2019")
    assert v.page.locator("svg.vrkit-map path").count() == 178
    assert v.page.locator("#hotspot-table th:has-text('Gi* z')").count() == 1
    v.goto("/hotspots?area=Hackney&year=2019")
    assert "Public edition" in v.page.content()
    assert v.page.locator("#hotspot-table th:has-text('Gi* z')").count() == 0
    v.close()


def _istv(site: str, rows: list[str], month: str = "2023-08") -> str:
    head = [
        "ISTV submission,ISB 1594",
        f"site_code,{site}",
        "department,Browser ED",
        f"reporting_period_start,{month}-01",
        f"reporting_period_end,{month}-31",
        f"record_count,{len(rows)}",
        "synthetic,yes",
        "",
        "arrival_datetime,assault_datetime,assault_method,assault_method_other_description,assault_location_type,assault_location_description",
    ]
    return "\n".join(head + rows) + "\n"


def test_ed_uploads_an_error_then_a_correction(
    served: tuple[Portal, str], browser: Any, tmp_path: Path
) -> None:
    portal, base = served
    v = Visit(browser, base)
    v.sign_in(portal.users["ed_submitter"][1])
    bad = tmp_path / "bad.csv"
    bad.write_text(
        _istv(
            IN_DEPT,
            [
                "2023-08-03 22:15,2023-08-03 21:40,77,,02,high street",
                "2023-08-04 02:05,2023-08-04 01:30,04,,03,pub",
            ],
        )
    )
    good = tmp_path / "good.csv"
    good.write_text(
        _istv(
            IN_DEPT,
            [
                "2023-08-03 22:15,2023-08-03 21:40,01,,02,high street",
                "2023-08-04 02:05,2023-08-04 01:30,04,,03,pub",
            ],
        )
    )
    for f, rejected in ((bad, "1"), (good, "0")):
        v.goto("/istv/upload")
        v.page.set_input_files("#file", str(f))
        v.page.click("button:has-text('Upload')")
        v.page.wait_for_load_state()
        portal.app.state.jobs.run_pending()
        v.page.reload()
        v.axe()
        assert v.page.inner_text("#status") == "loaded"
        assert v.page.inner_text("#rejected") == rejected
        if rejected == "1":
            assert "assault method is not a code of the list" in v.page.inner_text("#rejections")
    assert "revision 2" in v.page.content()
    v.goto("/istv/completeness")
    assert "SYN02" not in v.page.content()
    v.close()


def test_admin_changes_a_scope_and_it_takes_effect(
    served: tuple[Portal, str], browser: Any
) -> None:
    portal, base = served
    analyst = Visit(browser, base)
    analyst.sign_in(portal.users["csp_analyst"][1])
    analyst.goto("/trends?measure=homicide&area=Hackney")
    assert "Public edition" in analyst.page.content()
    admin = Visit(browser, base)
    admin.sign_in(portal.users["admin"][1])
    admin.goto("/admin/users")
    admin.page.click(f"a:has-text('{portal.users['csp_analyst'][1]}')")
    admin.page.wait_for_load_state()
    admin.axe()
    admin.page.check("#b-E09000012")  # Hackney
    admin.page.click("button:has-text('Save changes')")
    admin.page.wait_for_load_state()
    admin.axe()
    assert "The user was changed" in admin.page.content()
    admin.goto("/admin/audit?action=user_changed")
    assert "borough:E09000012" in admin.page.content() or "user_changed" in admin.page.url
    admin.close()
    # the change ended the analyst's sessions: sign in again and Hackney is in scope
    analyst.goto("/trends?measure=homicide&area=Hackney")
    assert "Sign in" in analyst.page.content()
    analyst.sign_in(portal.users["csp_analyst"][1])
    analyst.goto("/trends?measure=homicide&area=Hackney")
    assert "Full edition" in analyst.page.content()
    analyst.close()

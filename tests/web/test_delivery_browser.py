"""The delivery pages in a real browser (Debian's Chromium through Playwright), checked by
axe-core on every page: a provider downloads its return template, uploads it with a mistake,
then corrected; a commissioner opens the finance dashboard, the delivery tables, the logic model
and edits a programme."""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vrkit.ops.roles import Principal
from vrkit.tasks import delivery as tasks

from .conftest import Portal, make_portal
from .delivery_helpers import EXAMPLE, fill, write_tables
from .test_browser import Visit, browser  # noqa: F401 - the browser fixture
from .test_delivery_portal import SEED


@pytest.fixture(scope="module")
def served_delivery(
    module_database_url: str, warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Portal, str]]:
    import uvicorn

    root = tmp_path_factory.mktemp("delivery-browser")
    store = root / "wh.duckdb"
    shutil.copy(warehouse_path, store)
    portal = make_portal(module_database_url, store, root)
    actor = Principal(role="commissioner", email="seed@test.vrkit.invalid")
    with tempfile.TemporaryDirectory() as tmp, portal.app.state.db.session() as s:
        tasks.import_delivery(s, actor, [write_tables(Path(tmp), SEED)])
        tasks.import_logic_model(s, actor, EXAMPLE / "logic_model.json")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
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


def test_provider_sends_a_return(
    served_delivery: tuple[Portal, str], browser: Any, tmp_path: Path
) -> None:  # noqa: F811
    portal, base = served_delivery
    v = Visit(browser, base)
    v.sign_in(portal.users["provider"][1])
    links = set(v.page.locator("#navigation a").all_inner_texts()) - {"Home", "Account"}
    assert links == {"Reports", "Trends", "Programmes"}
    v.goto("/programmes")
    assert "P-OUT" not in v.page.content()
    v.page.click("a:has-text('P-IN')")
    v.page.wait_for_load_state()
    v.axe()
    with v.page.expect_download() as dl:
        v.page.click("#download-template")
    template = Path(dl.value.path()).read_bytes()
    assert dl.value.suggested_filename.startswith("return-P-IN-")
    wrong = tmp_path / "wrong.xlsx"
    wrong.write_bytes(fill(template, {"people_reached_new": 10, "young_people_supported": 12}))
    right = tmp_path / "right.xlsx"
    right.write_bytes(
        fill(
            template,
            {"people_reached_new": 10, "young_people_supported": 8},
            spend={"home_office": 700},
        )
    )
    v.page.set_input_files("#file", str(wrong))
    v.page.click("#send-return")
    v.page.wait_for_load_state()
    v.axe()
    assert "nothing was stored" in v.page.content()
    assert (
        "young people supported (12) is more than the new participants (10)"
        in v.page.inner_text("#problems")
    )
    v.page.click("a:has-text('Back to the programme')")
    v.page.wait_for_load_state()
    v.page.set_input_files("#file", str(right))
    v.page.click("#send-return")
    v.page.wait_for_load_state()
    v.axe()
    assert "Return received" in v.page.content()
    v.close()


def test_commissioner_pages(served_delivery: tuple[Portal, str], browser: Any) -> None:  # noqa: F811
    portal, base = served_delivery
    v = Visit(browser, base)
    v.sign_in(portal.users["commissioner"][1])
    links = set(v.page.locator("#navigation a").all_inner_texts()) - {"Home", "Account"}
    assert {"Programmes", "Finance", "Delivery tables", "Logic model"} <= links
    v.goto("/finance?year=2020/21")
    v.page.click("#open-dashboard")
    v.page.wait_for_load_state()
    v.axe()
    assert "Finance dashboard 2020/21" in v.page.content()
    v.goto("/delivery?year=2020/21")
    v.page.click("#open-report")
    v.page.wait_for_load_state()
    v.axe()
    v.goto("/logic-model?year=2020/21")
    assert "Impacts" in v.page.content()
    v.goto("/programmes/P-IN/edit")
    v.page.fill("#name", "Provider's own programme (renamed)")
    v.page.click("#save-programme")
    v.page.wait_for_load_state()
    v.axe()
    assert "The programme has been saved" in v.page.content()
    v.close()

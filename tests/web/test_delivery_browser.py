"""The delivery pages in a real browser (Debian's Chromium through Playwright), checked by
axe-core on every page: a provider downloads its return template, uploads it with a mistake,
then corrected; a commissioner opens the finance dashboard, the delivery tables, the logic model
and edits a programme."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from vrkit.ops.roles import Principal
from vrkit.tasks import delivery as tasks

from .conftest import Portal
from .delivery_helpers import EXAMPLE, fill, write_tables
from .test_browser import Visit, browser, served  # noqa: F401 - fixtures
from .test_delivery_portal import SEED


@pytest.fixture(scope="module")
def served_delivery(served: tuple[Portal, str]) -> tuple[Portal, str]:  # noqa: F811
    """The browser tests' portal (served by uvicorn) with a small delivery portfolio."""
    portal, base = served
    actor = Principal(role="commissioner", email="seed@test.vrkit.invalid")
    with tempfile.TemporaryDirectory() as tmp, portal.app.state.db.session() as s:
        tasks.import_delivery(s, actor, [write_tables(Path(tmp), SEED)])
        tasks.import_logic_model(s, actor, EXAMPLE / "logic_model.json")
    return portal, base


def test_provider_sends_a_return(
    served_delivery: tuple[Portal, str],
    browser: Any,  # noqa: F811 - the fixture imported above
    tmp_path: Path,
) -> None:
    portal, base = served_delivery
    v = Visit(browser, base)
    v.sign_in(portal.users["provider"][1])
    links = set(v.page.locator("#navigation a").all_inner_texts()) - {"Home", "Account"}
    public = {"Reports", "Trends", "Data tool", "Hot spots", "Directory", "Action plans",
              "Needs assessment"}  # fmt: skip
    assert links == public | {"Programmes", "Directory changes"}
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


def test_commissioner_pages(
    served_delivery: tuple[Portal, str],
    browser: Any,  # noqa: F811 - the fixture imported above
) -> None:
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

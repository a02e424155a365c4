"""Value for money and evidence on the programme page (issue #16 items 1 and 5).

The register is the REAL one imported from the London VRU's 2020/21 report (shared data); the
appraisal is the shipped worked example, linked to Stepping Stones (LVRU-004) by
``programme_ref`` in its input file. The page shows exactly the VfM task's figures, which are
the published headline (£515,836 net budget impact, 212 % ROI) by the example's calibration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import vrkit
from vrkit.cli import app
from vrkit.tasks.delivery import database_session, programme_page
from vrkit.tasks.delivery.programme import evidence_rating
from vrkit.tasks.vfm import (
    example_path,
    programme_vfm,
    programme_vfm_workbook,
    value_for_money,
)

DATA = vrkit.get_settings().data_dir
FY = 2020  # financial year 2020/21


@pytest.fixture(scope="module")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = DATA / "london_vru_2020_21"
    assert folder.is_dir(), f"shared data missing: {folder}"
    url = f"sqlite:///{tmp_path_factory.mktemp('reg') / 'ops.sqlite3'}"
    r = CliRunner().invoke(app, ["programmes", "import", str(folder), "--database-url", url])
    assert r.exit_code == 0, r.output
    return url


def test_the_link_finds_the_shipped_example_by_programme_ref() -> None:
    found = programme_vfm("LVRU-004")
    assert found.notes == []
    assert [r.inputs.programme_id for r in found.results] == ["stepping-stones-illustrative"]
    assert found.results[0].inputs.programme_ref == "LVRU-004"
    assert programme_vfm("LVRU-001").results == []


def test_unreadable_and_invalid_files_are_named_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text("[programme\n", encoding="utf-8")
    bad = (
        example_path().read_text(encoding="utf-8").replace("deadweight = 0.3", "deadweight = 3", 1)
    )
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    shutil.copy(example_path(), tmp_path / "good.toml")
    found = programme_vfm("LVRU-004", [tmp_path, tmp_path / "absent"])
    assert len(found.results) == 1
    text = "\n".join(found.notes)
    assert "broken.toml: not read" in text
    assert "bad.toml names LVRU-004 but is not valid" in text and "deadweight" in text
    assert "absent does not exist" in text


def test_programme_page_shows_the_vfm_task_figures(db_url: str, tmp_path: Path) -> None:
    task = value_for_money("stepping-stones-illustrative")
    with database_session(db_url) as s:
        pg = programme_page(s, "LVRU-004", FY)
    assert pg.programme["name"] == "Stepping Stones"
    d = pg.to_dict()
    (v,) = d["value_for_money"]
    for k in ("net_budget_impact", "bcr", "roi", "roi_fiscal", "payback_years", "pv_costs"):
        assert v[k] == pytest.approx(task.summary[k], rel=1e-12), k
    # the published headline follows from the (calibrated, illustrative) inputs
    assert round(v["net_budget_impact"]) == 515_836 and round(100 * v["roi"]) == 212
    assert v["illustrative"] and v["label"] == "ILLUSTRATIVE"
    assert len(v["sensitivity"]) == len(task.sensitivity)
    html_path = pg.write_html(tmp_path)
    html = html_path.read_text(encoding="utf-8")
    assert "£515,836" in html and "212 %" in html and "3.12" in html
    assert "ILLUSTRATIVE" in html and "Sensitivity" in html and "Optimism bias" in html
    # the XLSX of the appraisal is written beside the page and linked from it
    (xlsx,) = pg.vfm_file_names
    assert f'href="{xlsx}"' in html
    wb = load_workbook(tmp_path / xlsx)
    assert {"summary", "benefits", "sensitivity", "derivation"} <= set(wb.sheetnames)
    cells = [c for row in wb["summary"].iter_rows(values_only=True) for c in row]
    assert any(isinstance(c, float) and round(c) == 515_836 for c in cells)


def test_page_without_finance_or_without_appraisal_says_so(db_url: str) -> None:
    from vrkit.reports.delivery import render_programme_html

    with database_session(db_url) as s:
        provider = programme_page(s, "LVRU-004", FY, with_finance=False)
        other = programme_page(s, "LVRU-001", FY)
    assert provider.vfm is None and provider.to_dict()["value_for_money"] is None
    assert "shown to roles that see the programme" in render_programme_html(provider)
    assert other.vfm is not None and other.vfm.results == []
    assert "No value-for-money appraisal is linked" in render_programme_html(other)


def test_portal_download_workbook() -> None:
    data, name = programme_vfm_workbook("LVRU-004")
    assert name == "programme-LVRU-004-vfm-stepping-stones-illustrative.xlsx" and data[:2] == b"PK"
    data, name = programme_vfm_workbook("LVRU-001")
    assert name.endswith("vfm-none.xlsx") and data[:2] == b"PK"


def test_evidence_rating_from_the_catalogue() -> None:
    r = evidence_rating("yef:mentoring")
    assert r is not None and r["rated"] and r["impact"].startswith("Moderate")
    assert r["toolkit_name"] == "Youth Endowment Fund Toolkit"
    free = evidence_rating("peer mentoring (local design)")
    assert free == {"approach_id": None, "stated": "peer mentoring (local design)", "rated": False}
    assert evidence_rating("") is None

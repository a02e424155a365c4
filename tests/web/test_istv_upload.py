"""ISTV upload by an emergency department: content checks, per-file results by row and field
(values never echoed), revisions through the job queue, completeness, and the audit trail."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from vrkit.ops.models import AuditEvent, Submission
from vrkit.store.warehouse import Warehouse

from .conftest import IN_DEPT, OUT_DEPT, Portal, csrf_of, make_portal

NHS_NUMBER = "943 476 5919"  # a valid-checksum NHS number used as the personal identifier


def istv(
    site: str, rows: list[str], *, declared: int | None = None, month: str = "2023-06"
) -> bytes:
    head = [
        "ISTV submission,ISB 1594",
        f"site_code,{site}",
        "department,Test ED",
        f"reporting_period_start,{month}-01",
        f"reporting_period_end,{month}-30",
        f"record_count,{len(rows) if declared is None else declared}",
        "synthetic,yes",
        "",
        "arrival_datetime,assault_datetime,assault_method,assault_method_other_description,assault_location_type,assault_location_description",
    ]
    return ("\n".join(head + rows) + "\n").encode()


GOOD = [
    "2023-06-03 22:15,2023-06-03 21:40,01,,02,high street",
    "2023-06-04 02:05,2023-06-04 01:30,04,,03,outside a pub",
    "2023-06-10 23:00,2023-06-10 22:30,02,,02,bus stop",
]


@pytest.fixture
def ed_portal(database_url: str, warehouse_path: Path, tmp_path: Path):
    store = tmp_path / "wh.duckdb"
    shutil.copy(warehouse_path, store)  # this test writes to the warehouse
    p = make_portal(database_url, store, tmp_path)
    yield p
    p.app.state.gate.close()
    p.app.state.db.dispose()


def upload(client, data: bytes, *, name: str = "return.csv", department: str = IN_DEPT):
    token = csrf_of(client.get("/istv/upload").text)
    return client.post(
        "/istv/upload",
        data={"department": department, "csrf_token": token},
        files={"file": (name, io.BytesIO(data), "text/csv")},
    )


def test_upload_error_then_corrected_revision(ed_portal: Portal) -> None:
    c = ed_portal.client("ed_submitter")
    # a record with a bad method code holding an NHS number, and one outside the month
    bad = [
        *GOOD[:2],
        f"2023-06-10 23:00,2023-06-10 22:30,{NHS_NUMBER},,02,bus stop",
        "2023-07-02 01:00,2023-07-02 00:30,01,,02,park",
    ]
    r = upload(c, istv(IN_DEPT, bad), name="../../etc/passwd")
    assert r.status_code == 303
    first = int(r.headers["location"].rsplit("/", 1)[1])
    page = c.get(f"/istv/uploads/{first}").text
    assert 'id="status">queued' in page
    assert ed_portal.app.state.jobs.run_pending() == 1
    page = c.get(f"/istv/uploads/{first}").text
    assert 'id="status">loaded' in page and 'id="rejected">2<' in page
    rows = re.findall(
        r"<tr class=\"govuk-table__row\"><td class=\"govuk-table__cell\">(\d+)</td><td class=\"govuk-table__cell\">([^<]*)</td>",
        page,
    )
    assert (("12", "assault_method") in rows and ("13", "arrival_datetime") in rows) or len(
        rows
    ) == 2
    assert NHS_NUMBER not in page and "9434765919" not in page, "identifiers are never echoed"
    api = c.get(f"/api/v1/istv/uploads/{first}").json()
    assert api["revision"] == 1 and api["result"]["rows_rejected"] == 2
    assert NHS_NUMBER not in str(api)
    # corrected: a new revision of the same department-month replaces the first
    r = upload(c, istv(IN_DEPT, GOOD))
    second = int(r.headers["location"].rsplit("/", 1)[1])
    ed_portal.app.state.jobs.run_pending()
    page = c.get(f"/istv/uploads/{second}").text
    assert 'id="status">loaded' in page and 'id="rejected">0<' in page and "revision 2" in page
    assert f"/istv/uploads/{first}" in page, "earlier uploads of the month are listed"
    with Warehouse(ed_portal.app.state.settings.store, read_only=True) as wh:
        n = wh.con.execute(
            "SELECT count(*) FROM istv_attendance WHERE site_code = ? AND month = DATE '2023-06-01'",
            [IN_DEPT],
        ).fetchone()[0]
    assert n == 3, "the corrected return replaced the first (2 loaded) in the warehouse"
    comp = c.get("/api/v1/istv/completeness").json()["data"]
    assert {r["department"] for r in comp} == {IN_DEPT}, "an ED sees its own department only"
    june = [r for r in comp if r["month"] == "2023-06"]
    assert june and june[0]["received"] == 3
    with ed_portal.app.state.db.session() as s:
        stored = s.get(Submission, second)
        assert stored is not None
        path = ed_portal.app.state.settings.upload_dir / f"{stored.sha256}.csv"
        ups = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "upload")))
    assert path.exists() and not any("passwd" in str(p) for p in path.parent.iterdir())
    assert len(ups) == 2 and {u.detail["site_code"] for u in ups} == {IN_DEPT}


def test_whole_file_error_names_line_and_column(ed_portal: Portal) -> None:
    c = ed_portal.client("ed_submitter")
    r = upload(c, istv(IN_DEPT, GOOD, declared=7))
    page = c.get(r.headers["location"]).text
    assert 'id="status">rejected' in page
    assert "record_count" in page and "Nothing from this file was stored" in page
    assert ed_portal.app.state.jobs.run_pending() == 0, "a refused file is never queued"


def test_content_checks_and_scope(ed_portal: Portal, tmp_path: Path) -> None:
    c = ed_portal.client("ed_submitter")
    r = upload(c, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, name="return.csv")
    assert r.status_code == 400 and "not text" in r.text
    r = upload(c, b"hello,world\n1,2\n")
    assert r.status_code == 400 and "ISTV submission" in r.text
    r = upload(c, b"PK\x03\x04garbage")
    assert r.status_code == 400 and "XLSX" in r.text
    r = upload(c, istv(OUT_DEPT, GOOD), department=IN_DEPT)
    assert r.status_code == 403 and r.headers["x-access-decision"] == "denied"
    r = upload(c, istv(IN_DEPT, GOOD), department=OUT_DEPT)
    assert r.status_code == 403, "the department chosen must be in scope"
    with ed_portal.app.state.db.session() as s:
        denied = list(
            s.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "upload", AuditEvent.outcome == "denied"
                )
            )
        )
    assert len(denied) == 1


def test_upload_size_limit(database_url: str, warehouse_path: Path, tmp_path: Path) -> None:
    p = make_portal(database_url, warehouse_path, tmp_path, upload_max_mb=0.001)
    c = p.client("ed_submitter")
    r = upload(c, istv(IN_DEPT, GOOD * 20))
    assert r.status_code == 413
    p.app.state.gate.close()
    p.app.state.db.dispose()


def test_vru_sees_every_department(ed_portal: Portal) -> None:
    vru = ed_portal.client("vru_analyst")
    comp = vru.get("/api/v1/istv/completeness").json()
    assert {r["department"] for r in comp["data"]} >= {"SYN01", "SYN02", "SYN03"}
    assert vru.get("/istv/upload").status_code == 403, "the VRU reviews, EDs upload"

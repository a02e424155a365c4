"""Every reachable ``raise`` of the Open Referral UK reader (`vrkit directory import`), fed a
small hostile JSON file or CSV folder (issue #21; verdicts in docs/testing-raises.md). Each
asserts the error class and that the message names the file (the table's file for CSV
folders), the line and column where the reader knows them, and the reason.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from vrkit.errors import DataValidationError, InputError, SourceError
from vrkit.sources.oruk import load_schema, read_oruk

S1 = "3f3f0a8e-6b1c-4c43-9a57-4c7f2d0c0001"
S2 = "3f3f0a8e-6b1c-4c43-9a57-4c7f2d0c0002"
O1 = "7a7a0a8e-6b1c-4c43-9a57-4c7f2d0c0001"
L9 = "9c9c0a8e-6b1c-4c43-9a57-4c7f2d0c0009"


def _service(sid: str = S1, **change: object) -> dict[str, object]:
    return {"id": sid, "name": "Mentoring", "status": "active", **change}


def _json(tmp: Path, doc: object, name: str = "services.json") -> Path:
    p = tmp / name
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


def test_the_valid_file_used_below_is_read(tmp_path: Path) -> None:
    assert [s["id"] for s in read_oruk(_json(tmp_path, [_service(), _service(S2)])).services] == [
        S1,
        S2,
    ]


def test_json_files_refused(tmp_path: Path) -> None:
    cases: list[tuple[Path, type[Exception], str]] = [
        (tmp_path / "gone.json", SourceError, "no such file or folder"),
        (_json(tmp_path, [], "services.txt"), SourceError, "not an Open Referral UK file"),
        (_json(tmp_path, 42, "scalar.json"), SourceError, "expected a list of services or one"),
        (_json(tmp_path, [_service(), 7], "item.json"), DataValidationError,
         "line 2: a service must be a JSON object"),
        (_json(tmp_path, [_service(status="maybe")], "schema.json"), DataValidationError,
         "record 1 breaks the Open Referral UK service schema: "),
        (_json(tmp_path, [_service(), _service()], "twice.json"), DataValidationError,
         "service id appears twice (records 1 and 2)"),
    ]  # fmt: skip
    bad = tmp_path / "syntax.json"
    bad.write_text('[{"id": ', encoding="utf-8")
    cases.append((bad, SourceError, "not valid JSON: "))
    for path, error, reason in cases:
        with pytest.raises(error) as info:
            read_oruk(path)
        assert type(info.value) is error
        assert str(info.value).startswith(f"{path}") and reason in str(info.value), str(info.value)


def _folder(tmp: Path, **tables: str) -> Path:
    d = tmp / "oruk"
    d.mkdir()
    for name, text in tables.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


SERVICES = "id,organization_id,name,status\n"
ORGS = f"id,name,description\n{O1},Youth Trust,Mentoring charity\n"


@pytest.mark.parametrize(
    ("tables", "file", "reason", "row", "column"),
    [
        ({"organizations.csv": ORGS}, None, "no services.csv found", None, None),
        ({"services.csv": "id,name,colour\n1,x,red\n"}, "services.csv",
         "unknown column(s) colour", 1, None),
        ({"services.csv": f"{SERVICES}{S1},{O1},Mentoring,active,extra\n",
          "organizations.csv": ORGS}, "services.csv", "more cells than columns", 2, None),
        ({"services.csv": "id,organization_id,name,status,minimum_age\n"
          f"{S1},{O1},Mentoring,active,ten\n", "organizations.csv": ORGS}, "services.csv",
         "not a number", 2, "minimum_age"),
        ({"services.csv": f"{SERVICES}{S1},{O1},Mentoring,active\n{S2},nobody,Boxing,active\n",
          "organizations.csv": ORGS}, "services.csv",
         "organization_id names no row of organizations.csv", 3, "organization_id"),
        ({"services.csv": f"{SERVICES}{S1},{O1},Mentoring,active\n", "organizations.csv": ORGS,
          "service_at_location.csv": f"id,service_id,location_id\n{S2},{S1},{L9}\n"},
         "service_at_location.csv", "location_id names no row of locations.csv", None,
         "location_id"),
        ({"services.csv": f"{SERVICES}{S1},{O1},Mentoring,maybe\n", "organizations.csv": ORGS},
         "services.csv", "the service breaks the Open Referral UK schema: ", 2, None),
    ],
    ids=["no_services", "unknown_column", "more_cells", "not_a_number", "unknown_organisation",
         "unknown_location", "schema"],
)  # fmt: skip
def test_csv_folders_refused(
    tmp_path: Path,
    tables: dict[str, str],
    file: str | None,
    reason: str,
    row: int | None,
    column: str | None,
) -> None:
    d = _folder(tmp_path, **tables)
    with pytest.raises((SourceError, DataValidationError)) as info:
        read_oruk(d)
    msg = str(info.value)
    named = d / file if file else d
    assert msg.startswith(f"{named}"), msg
    assert reason in msg, msg
    if row is not None:
        assert isinstance(info.value, DataValidationError) and info.value.row == row, msg
    if column is not None:
        assert isinstance(info.value, DataValidationError) and info.value.column == column, msg


def test_csv_table_not_utf8_and_a_zip_that_is_not_one(tmp_path: Path) -> None:
    d = _folder(tmp_path)
    (d / "services.csv").write_bytes(SERVICES.encode() + b"\xff\xfe,x,y,active\n")
    with pytest.raises(SourceError) as info:
        read_oruk(d)
    assert str(info.value) == f"{d / 'services.csv'}: not UTF-8 text"
    z = tmp_path / "oruk.zip"
    z.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(SourceError) as info:
        read_oruk(z)
    assert str(info.value) == f"{z}: not a zip file"
    assert not zipfile.is_zipfile(z)


def test_schema_folder_missing_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_schema("service.json", tmp_path)
    assert str(info.value).startswith(
        f"Open Referral UK schema not found: {tmp_path / 'service.json'}"
    )
    assert "VRKIT_STANDARDS_DIR" in str(info.value)

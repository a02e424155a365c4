"""360Giving grants data (JSON packages and CSV): read, and validate against the standard's schema.

The schema files are not shipped with vrkit: :func:`schema_dir` finds them under
``VRKIT_STANDARDS_DIR`` (default: the ``standards`` folder beside ``VRKIT_DATA_DIR``), in
``360giving/360-giving-package-schema.json`` and ``360-giving-schema.json``. Validation uses
``jsonschema`` (Draft 2020-12, formats checked), with the package schema's reference to the
grant schema resolved to the local file (nothing is fetched). When the schema is not found the
caller is told so; nothing is reported as validated that was not.

CSV files use the standard's column titles for the fields that roll up into one row
(``Identifier``, ``Amount Awarded``, ``Recipient Org:Identifier``…), one grant per row. vrkit adds
two namespaced columns the standard allows as additional data: ``vrkit:Theme`` and
``vrkit:Funding Source``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from vrkit.catalog.delivery import resolve_theme
from vrkit.errors import DataValidationError, InputError, SourceError
from vrkit.sources.delivery.records import (
    DeliveryBundle,
    GrantRecord,
    OrgRecord,
    ProgrammeRecord,
    Where,
)

KIND = "360giving"
PACKAGE_SCHEMA = "360-giving-package-schema.json"
GRANT_SCHEMA = "360-giving-schema.json"
#: CSV column title → JSON path (list index 0 for the rolled-up arrays)
CSV_COLUMNS: dict[str, tuple[str | int, ...]] = {
    "Identifier": ("id",),
    "Title": ("title",),
    "Description": ("description",),
    "Currency": ("currency",),
    "Amount Awarded": ("amountAwarded",),
    "Award Date": ("awardDate",),
    "Planned Dates:Start Date": ("plannedDates", 0, "startDate"),
    "Planned Dates:End Date": ("plannedDates", 0, "endDate"),
    "Recipient Org:Identifier": ("recipientOrganization", 0, "id"),
    "Recipient Org:Name": ("recipientOrganization", 0, "name"),
    "Funding Org:Identifier": ("fundingOrganization", 0, "id"),
    "Funding Org:Name": ("fundingOrganization", 0, "name"),
    "Grant Programme:Code": ("grantProgramme", 0, "code"),
    "Grant Programme:Title": ("grantProgramme", 0, "title"),
    "Beneficiary Location:Name": ("beneficiaryLocation", 0, "name"),
    "Beneficiary Location:Geographic Code": ("beneficiaryLocation", 0, "geoCode"),
    "Beneficiary Location:Geographic Code Type": ("beneficiaryLocation", 0, "geoCodeType"),
    "Last Modified": ("dateModified",),
    "vrkit:Theme": ("vrkit", "theme"),
    "vrkit:Funding Source": ("vrkit", "fundingSource"),
}
NUMERIC = {"amountAwarded"}


def schema_dir() -> Path:
    """Where the 360Giving schema files are expected (see the module docstring)."""
    from vrkit.config import get_settings

    st = get_settings()
    base = st.standards_dir or (Path(st.data_dir).parent / "standards")
    return Path(base) / "360giving"


def validator(folder: Path | None = None) -> Any:
    """A jsonschema validator of 360Giving packages, from the local schema files.

    Raises
    ------
    SourceError
        The schema files are not there.
    """
    import jsonschema
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    folder = folder or schema_dir()
    paths = [folder / PACKAGE_SCHEMA, folder / GRANT_SCHEMA]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise SourceError(
            folder,
            f"the 360Giving schema is not there ({', '.join(Path(m).name for m in missing)} missing)",
            hint="Set VRKIT_STANDARDS_DIR to the folder holding 360giving/ (the shared standards).",
        )
    package = json.loads(paths[0].read_text(encoding="utf-8"))
    grant = json.loads(paths[1].read_text(encoding="utf-8"))
    # the files name their dialect as http://…/draft/2020-12/schema, which `referencing` does
    # not recognise by itself: both are Draft 2020-12 schemas
    res = DRAFT202012.create_resource(grant)
    uris = {grant.get("$id", "")}
    # the package schema may name another patch release of the grant schema
    uris |= {
        str(item.get("$ref", ""))
        for item in [package.get("properties", {}).get("grants", {}).get("items", {})]
    }
    registry: Registry[Any] = Registry().with_resources([(u, res) for u in uris if u])
    cls = jsonschema.Draft202012Validator
    if "date-time" not in cls.FORMAT_CHECKER.checkers:  # pragma: no cover - a broken install
        raise SourceError(
            folder,
            "cannot check the schema's date-time format (rfc3339-validator is not installed), "
            "so its award dates cannot be validated",
        )
    return cls(package, registry=registry, format_checker=cls.FORMAT_CHECKER)


def schema_version(folder: Path | None = None) -> str:
    folder = folder or schema_dir()
    grant = json.loads((folder / GRANT_SCHEMA).read_text(encoding="utf-8"))
    uri = str(grant.get("$id", ""))
    parts = [p for p in uri.split("/") if p[:1].isdigit()]
    return parts[0] if parts else "unknown"


def validation_errors(
    package: dict[str, Any], folder: Path | None = None, limit: int = 50
) -> list[str]:
    """Problems of ``package`` against the schema, as ``grants/3/awardDate: reason`` lines."""
    v = validator(folder)
    out = []
    for e in sorted(v.iter_errors(package), key=lambda e: list(map(str, e.absolute_path))):
        path = "/".join(str(x) for x in e.absolute_path) or "(package)"
        out.append(f"{path}: {e.message[:300]}")
        if len(out) >= limit:
            break
    return out


def csv_rows_to_package(text: str, path: Path) -> dict[str, Any]:
    """360Giving CSV (one grant per row, the titles above) → a JSON package."""
    reader = csv.DictReader(io.StringIO(text))
    cols = reader.fieldnames or []
    if "Identifier" not in cols:
        raise DataValidationError(
            path,
            "column 'Identifier' is missing: not a 360Giving CSV file",
            row=1,
            column="Identifier",
        )
    grants = []
    for i, row in enumerate(reader, start=2):
        g: dict[str, Any] = {}
        for title, value in row.items():
            if title is None:
                raise DataValidationError(path, "more cells than columns", row=i)
            value = (value or "").strip()
            if title not in CSV_COLUMNS or value == "":
                continue
            keys = CSV_COLUMNS[title]
            if keys[-1] in NUMERIC:
                try:
                    num = Decimal(value.replace(",", ""))
                except InvalidOperation:
                    raise DataValidationError(
                        path, "not a number", row=i, column=title, value=value
                    ) from None
                out_value: Any = int(num) if num == num.to_integral_value() else float(num)
            else:
                out_value = value
            node: Any = g
            for k, nxt in itertools.pairwise(keys):
                if isinstance(nxt, int):
                    node = node.setdefault(k, [{}])[0]
                elif isinstance(k, str):
                    node = node.setdefault(k, {})
            node[keys[-1]] = out_value
        g["_row"] = i
        grants.append(g)
    return {"grants": grants}


def _xlsx_as_csv(path: Path, raw: bytes) -> str:
    """The first sheet of a 360Giving spreadsheet as CSV text (same titles as the CSV)."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise SourceError(path, f"is not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        ws = wb.worksheets[0]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for row in ws.iter_rows(values_only=True):
            w.writerow(
                [
                    ""
                    if v is None
                    else (v.date().isoformat() if hasattr(v, "date") and hasattr(v, "hour") else v)
                    for v in row
                ]
            )
        return buf.getvalue()
    finally:
        wb.close()


def _day(v: Any) -> date | None:
    if not v:
        return None
    try:
        return date.fromisoformat(str(v)[:10])
    except ValueError:
        return None


def read_360giving(
    path: Path, *, validate: bool = True, schema: Path | None = None
) -> DeliveryBundle:
    """A 360Giving file (``.json`` package, ``.csv`` or ``.xlsx``) as programmes and grants.

    Each grant programme code becomes (or updates) the programme of that reference; grants are
    linked to it. Only GBP amounts are accepted. With ``validate`` the data must pass the
    standard's schema first (the first problems are named, nothing is imported otherwise).
    """
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix.lower() == ".xlsx":
        text = _xlsx_as_csv(path, raw)
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SourceError(path, "is not UTF-8 text") from exc
    rows: dict[int, int] = {}
    if path.suffix.lower() in (".csv", ".xlsx"):
        package = csv_rows_to_package(text, path)
        for n, g in enumerate(package["grants"]):
            rows[n] = g.pop("_row")
    else:
        try:
            package = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SourceError(path, f"is not valid JSON (line {exc.lineno}: {exc.msg})") from None
        if isinstance(package, list):
            package = {"grants": package}
        if not isinstance(package, dict) or not isinstance(package.get("grants"), list):
            raise DataValidationError(path, "not a 360Giving package (no 'grants' list)")
    if validate:
        errors = validation_errors(package, schema)
        if errors:
            first = errors[0]
            idx = first.split("/")[1] if first.startswith("grants/") else None
            row = rows.get(int(idx)) if idx is not None and idx.isdigit() else None
            raise DataValidationError(
                path,
                f"does not validate against the 360Giving schema: {first}"
                + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
                row=row,
                hint="Nothing was imported. Correct the file (the 360Giving Data Quality Tool explains each rule).",
            )
    b = DeliveryBundle(kind=KIND)
    b.files.append((path, hashlib.sha256(raw).hexdigest()))
    programmes: dict[str, ProgrammeRecord] = {}
    for n, g in enumerate(package["grants"]):
        where = Where(str(path), rows.get(n, n + 1))
        gid = str(g.get("id", "")).strip()
        if not gid:
            raise DataValidationError(
                path, "a grant without an identifier", row=where.row, column="Identifier"
            )
        currency = str(g.get("currency", "GBP"))
        if currency != "GBP":
            raise DataValidationError(
                path,
                f"grant {gid} is in {currency}: vrkit holds money in pounds",
                row=where.row,
                column="Currency",
            )
        try:
            amount = Decimal(str(g["amountAwarded"])) * 100
        except (KeyError, InvalidOperation):
            raise DataValidationError(
                path, f"grant {gid}: no amount awarded", row=where.row, column="Amount Awarded"
            ) from None
        if amount != amount.to_integral_value():
            raise DataValidationError(
                path,
                f"grant {gid}: the amount is not a whole number of pence",
                row=where.row,
                column="Amount Awarded",
            )
        if amount < 0:
            raise DataValidationError(
                path, f"grant {gid}: the amount is negative", row=where.row, column="Amount Awarded"
            )
        rec = (g.get("recipientOrganization") or [{}])[0]
        fund = (g.get("fundingOrganization") or [{}])[0]
        recipient = (
            OrgRecord(str(rec["name"]), str(rec["id"]))
            if rec.get("id") and rec.get("name")
            else None
        )
        funder = (
            OrgRecord(str(fund["name"]), str(fund["id"]), "funder")
            if fund.get("id") and fund.get("name")
            else None
        )
        prog = (g.get("grantProgramme") or [{}])[0]
        extra = g.get("vrkit") or {}
        theme_text = str(extra.get("theme") or "other")
        try:
            theme = resolve_theme(theme_text)
        except InputError as exc:
            raise DataValidationError(
                path, exc.message, row=where.row, column="vrkit:Theme"
            ) from None
        code = str(prog.get("code") or "").strip() or None
        if code and code not in programmes:
            programmes[code] = ProgrammeRecord(
                name=str(prog.get("title") or g.get("title") or code),
                theme=theme,
                where=where,
                ref=code,
                kind="programme",
                description=str(g.get("description") or ""),
                lead=[recipient] if recipient else [],
                create_only=True,
            )
        planned = (g.get("plannedDates") or [{}])[0]
        loc = [
            {k: v for k, v in x.items() if k in ("name", "geoCode", "geoCodeType")}
            for x in g.get("beneficiaryLocation") or []
        ]
        b.grants.append(
            GrantRecord(
                ref=gid,
                title=str(g.get("title") or gid),
                where=where,
                recipient=recipient,
                funder=funder,
                source=str(extra["fundingSource"]) if extra.get("fundingSource") else None,
                programme_ref=code,
                description=str(g.get("description") or ""),
                currency="GBP",
                amount_pence=int(amount),
                award_date=_day(g.get("awardDate")),
                planned_start=_day(planned.get("startDate")),
                planned_end=_day(planned.get("endDate")),
                grant_programme=str(prog.get("title") or ""),
                locations=loc,
            )
        )
    b.programmes = list(programmes.values())
    return b

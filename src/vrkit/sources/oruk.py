"""Open Referral UK (HSDS 3, UK profile): read and validate directory data in JSON or CSV.

The schemas are the standard's own files (``VRKIT_STANDARDS_DIR``, default the ``standards``
folder beside ``VRKIT_DATA_DIR``: ``open-referral-uk/schema/``), read offline. The published
OpenAPI document names them by their ``raw.githubusercontent.com`` URLs; :func:`registry` maps
those URLs to the local files, so every reference resolves without a network.

Accepted input
--------------
- JSON: a list of fully nested services (``compiled/service_package.json``), one service, or a
  page of the API (``{"contents": [...]}``) holding fully nested services.
- CSV: a folder (or ``.zip``) of the standard's tables, named as the schemas' ``path``
  (``services.csv``, ``organizations.csv``, ``locations.csv``, ``service_at_location.csv``,
  ``address.csv``, ``schedule.csv``, ``contacts.csv``, ``phones.csv``, ``service_areas.csv``,
  ``attribute.csv``, ``taxonomy_terms.csv``, ``funding.csv``, ``organization_identifiers.csv``).
  Rows are nested into services and validated exactly as JSON is.

Every service is validated against ``compiled/service.json`` (JSON Schema, formats checked:
uuid, email, uri, date-time, date). The file is refused whole at the first invalid record, with
the file, record (JSON) or line (CSV), the field and the reason; nothing is half-loaded.

Extensions: fields the standard has no place for travel under ``x_vrkit`` (JSON) or
``x_vrkit_*`` columns (CSV); the schemas allow additional properties, so such files stay valid.
``application_process`` (how to access the service), contacts' ``email`` and ``phones`` and
attributes' ``link_entity`` (CSV) are HSDS 3 core fields that the UK profile's schemas omit.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vrkit.errors import DataValidationError, InputError, SourceError

#: where the published OpenAPI document says the schemas live
PUBLISHED_BASE = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"

#: the tables of the tabular (CSV) form, by the schema that defines each
TABLE_SCHEMAS = (
    "organization",
    "organization_identifier",
    "service",
    "location",
    "address",
    "service_at_location",
    "schedule",
    "contact",
    "phone",
    "service_area",
    "taxonomy",
    "taxonomy_term",
    "attribute",
    "funding",
)
#: vrkit's extension columns per table (CSV) and keys under ``x_vrkit`` (JSON)
EXTRA_COLUMNS = {
    "service": (
        "application_process",
        "x_vrkit_state",
        "x_vrkit_data_label",
        "x_vrkit_programme_refs",
        "x_vrkit_referral_details",
        "x_vrkit_source_ref",
    ),
    "organization": ("x_vrkit_data_label",),
    "location": (
        "x_vrkit_borough_code",
        "x_vrkit_ward_code",
        "x_vrkit_coordinates_note",
        "x_vrkit_data_label",
    ),
    "contact": ("email",),
    "attribute": ("link_entity",),
}


def schema_dir() -> Path:
    """The folder of the ORUK schema files."""
    from vrkit.config import get_settings

    st = get_settings()
    base = st.standards_dir or (Path(st.data_dir).parent / "standards")
    return Path(base) / "open-referral-uk" / "schema"


@cache
def _load(folder: Path, rel: str) -> dict[str, Any]:
    path = folder / rel
    if not path.exists():
        raise InputError(
            f"Open Referral UK schema not found: {path}",
            hint="Set VRKIT_STANDARDS_DIR to the folder holding open-referral-uk/ "
            "(the shared standards).",
        )
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def load_schema(rel: str, folder: Path | None = None) -> dict[str, Any]:
    """A schema file by its path under ``schema/`` (``compiled/service.json``, ``openapi.json``)."""
    return _load(folder or schema_dir(), rel)


def registry(folder: Path | None = None) -> Any:
    """A :class:`referencing.Registry` holding every schema file under its published URL (and
    the relative names the uncompiled files use between themselves)."""
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    folder = folder or schema_dir()
    pairs = []
    for path in sorted(folder.rglob("*.json")):
        rel = path.relative_to(folder).as_posix()
        if rel == "openapi.json":
            continue
        res: Any = Resource(_load(folder, rel), DRAFT202012)  # type: ignore[call-arg]
        pairs.append((PUBLISHED_BASE + rel, res))
    return Registry().with_resources(pairs)


def format_checker() -> Any:
    """JSON Schema formats, all checked (jsonschema leaves ``uri`` and ``date-time`` unchecked
    unless optional packages are installed; these checks need none)."""
    import jsonschema

    fc = jsonschema.FormatChecker()

    @fc.checks("uri", raises=ValueError)
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme) and bool(parts.netloc or parts.path) and " " not in value

    @fc.checks("date-time", raises=ValueError)
    def _dt(value: object) -> bool:
        if not isinstance(value, str):
            return True
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        return "T" in value

    @fc.checks("date", raises=ValueError)
    def _date(value: object) -> bool:
        if not isinstance(value, str):
            return True
        date.fromisoformat(value)
        return True

    return fc


@cache
def _validator(folder: Path, rel: str) -> Any:
    import jsonschema

    schema = dict(_load(folder, rel))
    schema["$id"] = PUBLISHED_BASE + rel
    return jsonschema.Draft202012Validator(
        schema, registry=registry(folder), format_checker=format_checker()
    )


def validator(rel: str = "compiled/service.json", folder: Path | None = None) -> Any:
    """A Draft 2020-12 validator of one ORUK schema (formats checked)."""
    return _validator(folder or schema_dir(), rel)


def validation_errors(
    doc: Any, rel: str = "compiled/service.json", folder: Path | None = None
) -> list[tuple[str, str]]:
    """``(json path, message)`` of every way ``doc`` breaks the schema ``rel`` (empty: valid)."""
    out = []
    for e in sorted(validator(rel, folder).iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path)
        out.append((where.lstrip(".") or "(record)", _message(e)))
    return out


def _message(e: Any) -> str:
    if e.validator == "required":
        return str(e.message).replace("is a required property", "is required")
    if e.validator == "format":
        return f"not a valid {e.validator_value}"
    if e.validator == "enum":
        return "must be one of " + ", ".join(map(str, e.validator_value))
    if e.validator == "type":
        return f"must be of type {e.validator_value}"
    return str(e.message)[:200]


# -- reading -----------------------------------------------------------------------------------
@dataclass
class OrukRead:
    """Services read from one file or folder, validated, fully nested (as in the JSON form)."""

    path: str
    form: str  # json | csv
    services: list[dict[str, Any]]
    #: organisations named in the file that run no service in it (kept, not dropped)
    organisations: list[dict[str, Any]] = field(default_factory=list)
    #: where each service came from (``file, record 3`` / ``services.csv, line 4``)
    where: dict[str, str] = field(default_factory=dict)


def read_oruk(path: str | Path) -> OrukRead:
    """Read ORUK JSON (a file) or CSV (a folder or zip of tables); validate every service."""
    p = Path(path)
    if not p.exists():
        raise SourceError(p, "no such file or folder")
    if p.is_dir() or p.suffix.lower() == ".zip":
        return _read_tables(p)
    if p.suffix.lower() != ".json":
        raise SourceError(
            p,
            "not an Open Referral UK file",
            hint="Give a .json file of services, or a folder/.zip of the standard's CSV tables.",
        )
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(p, f"not valid JSON: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("contents"), list):
        items = doc["contents"]
    elif isinstance(doc, list):
        items = doc
    elif isinstance(doc, dict):
        items = [doc]
    else:
        raise SourceError(p, "expected a list of services or one service")
    where = {}
    for i, svc in enumerate(items, start=1):
        if not isinstance(svc, dict):
            raise DataValidationError(p, "a service must be a JSON object", row=i)
        errs = validation_errors(svc)
        if errs:
            field_, why = errs[0]
            more = f" ({len(errs) - 1} more problem(s) in this record)" if len(errs) > 1 else ""
            raise DataValidationError(
                p,
                f"record {i} breaks the Open Referral UK service schema: {why}{more}",
                column=field_,
                hint="Records are numbered from 1 in the order of the file.",
            )
        where[str(svc["id"])] = f"{p.name}, record {i}"
    _check_unique(p, items)
    return OrukRead(str(p), "json", list(items), where=where)


def _check_unique(p: Path, services: list[dict[str, Any]]) -> None:
    seen: dict[str, int] = {}
    for i, s in enumerate(services, start=1):
        sid = str(s["id"])
        if sid in seen:
            raise DataValidationError(
                p, f"service id appears twice (records {seen[sid]} and {i})", column="id"
            )
        seen[sid] = i


def table_files(folder: Path | None = None) -> dict[str, str]:
    """Schema name → CSV file name of the tabular form (from each schema's ``path``)."""
    return {name: str(load_schema(f"{name}.json", folder)["path"]) for name in TABLE_SCHEMAS}


def table_columns(name: str, folder: Path | None = None) -> list[str]:
    """The scalar columns of one table, in the schema's order, then vrkit's extensions."""
    props = load_schema(f"{name}.json", folder)["properties"]
    cols = [k for k, v in props.items() if v.get("type") in ("string", "number", "integer")]
    return cols + [c for c in EXTRA_COLUMNS.get(name, ()) if c not in cols]


def _column_types(name: str) -> dict[str, str]:
    props = load_schema(f"{name}.json")["properties"]
    return {k: str(v.get("type")) for k, v in props.items()}


_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _tables(p: Path) -> dict[str, tuple[str, list[tuple[int, dict[str, str]]]]]:
    """name → (file name, [(line, row)]) for the tables present."""
    files = table_files()
    texts: dict[str, str] = {}
    if p.is_dir():
        for name, fname in files.items():
            f = p / fname
            if f.exists():
                texts[name] = _text(f, f.read_bytes())
    else:
        try:
            with zipfile.ZipFile(p) as z:
                members = {Path(n).name: n for n in z.namelist() if not n.endswith("/")}
                for name, fname in files.items():
                    if fname in members:
                        texts[name] = _text(p / fname, z.read(members[fname]))
        except zipfile.BadZipFile:
            raise SourceError(p, "not a zip file") from None
    if "service" not in texts:
        raise SourceError(
            p,
            f"no {files['service']} found",
            hint="A CSV directory needs at least services.csv and organizations.csv.",
        )
    out = {}
    for name, text in texts.items():
        reader = csv.DictReader(io.StringIO(text))
        known = set(table_columns(name))
        unknown = [c for c in reader.fieldnames or [] if c not in known]
        if unknown:
            raise DataValidationError(
                p / files[name],
                f"unknown column(s) {', '.join(unknown)}",
                row=1,
                hint="Columns must be the standard's fields (see the schema) or vrkit's x_vrkit_*.",
            )
        out[name] = (files[name], [(i, r) for i, r in enumerate(reader, start=2)])
    return out


def _text(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceError(path, "not UTF-8 text") from None


def _typed(name: str, row: dict[str, str], path: Path, line: int) -> dict[str, Any]:
    types = _column_types(name)
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k is None:
            raise DataValidationError(path, "more cells than columns", row=line)
        if v is None or v == "":
            continue
        if types.get(k) == "number":
            if not _NUMBER.match(v.strip()):
                raise DataValidationError(path, "not a number", row=line, column=k, value=v)
            num = float(v)
            out[k] = int(num) if num.is_integer() and "." not in v else num
        else:
            # the safe CSV writer puts an apostrophe before text a spreadsheet would run as a
            # formula; take it off again so that a round trip gives back the same text
            out[k] = v[1:] if v.startswith("'") and v[1:2] in _FORMULA else v
    return out


def _read_tables(p: Path) -> OrukRead:
    tables = _tables(p)
    rows: dict[str, list[tuple[Path, int, dict[str, Any]]]] = {}
    for name, (fname, raw) in tables.items():
        fp = p / fname
        rows[name] = [(fp, line, _typed(name, r, fp, line)) for line, r in raw]

    def by(name: str, key: str) -> dict[str, list[dict[str, Any]]]:
        d: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for _fp, _line, r in rows.get(name, []):
            if key in r:
                d[str(r[key])].append(r)
        return d

    def index(name: str) -> dict[str, dict[str, Any]]:
        return {str(r["id"]): r for _fp, _line, r in rows.get(name, []) if "id" in r}

    orgs = index("organization")
    idents = by("organization_identifier", "organization_id")
    locations = index("location")
    addresses = by("address", "location_id")
    sals = by("service_at_location", "service_id")
    schedules = by("schedule", "service_id")
    contacts = by("contact", "service_id")
    phones = by("phone", "contact_id")
    areas = by("service_area", "service_id")
    terms = index("taxonomy_term")
    attrs = by("attribute", "link_id")
    funding = by("funding", "service_id")

    def org_doc(oid: str) -> dict[str, Any]:
        o = dict(orgs[oid])
        ids = [dict(x) for x in idents.get(oid, [])]
        if ids:
            o["organization_identifiers"] = ids
        return _extensions(o, "organization")

    services = []
    where = {}
    used_orgs: set[str] = set()
    for fp, line, r in rows["service"]:
        svc = dict(r)
        sid = str(svc.get("id", ""))
        oid = str(svc.get("organization_id", ""))
        if oid not in orgs:
            raise DataValidationError(
                fp,
                "organization_id names no row of organizations.csv",
                row=line,
                column="organization_id",
                value=oid or None,
            )
        used_orgs.add(oid)
        svc["organization"] = org_doc(oid)
        sl = []
        for x in sals.get(sid, []):
            lid = str(x.get("location_id", ""))
            if lid not in locations:
                raise DataValidationError(
                    p / table_files()["service_at_location"],
                    "location_id names no row of locations.csv",
                    column="location_id",
                    value=lid or None,
                )
            loc = dict(locations[lid])
            adds = [dict(a) for a in addresses.get(lid, [])]
            if adds:
                loc["addresses"] = adds
            sl.append(dict(x) | {"location": _extensions(loc, "location")})
        if sl:
            svc["service_at_locations"] = sl
        for key, src in (("schedules", schedules), ("service_areas", areas), ("funding", funding)):
            if src.get(sid):
                svc[key] = [dict(x) for x in src[sid]]
        cs = []
        for c in contacts.get(sid, []):
            c = dict(c)
            ph = [dict(x) for x in phones.get(str(c.get("id")), [])]
            if ph:
                c["phones"] = ph
            cs.append(c)
        if cs:
            svc["contacts"] = cs
        at = []
        for a in attrs.get(sid, []):
            a = dict(a)
            a.pop("link_entity", None)
            t = terms.get(str(a.get("taxonomy_term_id", "")))
            if t is not None:
                a["taxonomy_term"] = dict(t)
            at.append(a)
        if at:
            svc["attributes"] = at
        svc = _extensions(svc, "service")
        errs = validation_errors(svc)
        if errs:
            field_, why = errs[0]
            raise DataValidationError(
                fp,
                f"the service breaks the Open Referral UK schema: {why} (at {field_}, after "
                "joining its related tables)",
                row=line,
                column=field_.split(".")[0].split("[")[0],
            )
        services.append(svc)
        where[sid] = f"{fp.name}, line {line}"
    _check_unique(p / table_files()["service"], services)
    spare = [org_doc(o) for o in orgs if o not in used_orgs]
    return OrukRead(str(p), "csv", services, spare, where)


def _extensions(doc: dict[str, Any], table: str) -> dict[str, Any]:
    """``x_vrkit_*`` CSV columns → the JSON form's ``x_vrkit`` object."""
    ext = {k[len("x_vrkit_") :]: doc.pop(k) for k in list(doc) if k.startswith("x_vrkit_")}
    if table == "service" and "programme_refs" in ext:
        ext["programme_refs"] = [x for x in str(ext["programme_refs"]).split(";") if x]
    if ext:
        doc["x_vrkit"] = ext
    return doc


def flatten_services(
    services: Iterable[dict[str, Any]], organisations: Iterable[dict[str, Any]] = ()
) -> dict[str, list[dict[str, Any]]]:
    """Fully nested services → the tabular form's rows per table (the inverse of reading CSV;
    shared records such as organisations, locations and terms appear once)."""
    out: dict[str, dict[str, dict[str, Any]]] = {n: {} for n in TABLE_SCHEMAS}

    def put(name: str, rec: dict[str, Any], **extra: Any) -> None:
        row = {k: v for k, v in rec.items() if not isinstance(v, list | dict)} | extra
        ext = rec.get("x_vrkit") or {}
        for k, v in ext.items():
            row["x_vrkit_" + k] = ";".join(v) if isinstance(v, list) else v
        out[name].setdefault(str(rec["id"]), row)

    def org(o: dict[str, Any]) -> None:
        put("organization", o)
        for x in o.get("organization_identifiers", []):
            put("organization_identifier", x, organization_id=o["id"])

    for o in organisations:
        org(o)
    for s in services:
        sid = s["id"]
        if "organization" in s:
            org(s["organization"])
        put("service", s, organization_id=s.get("organization_id") or s["organization"]["id"])
        for x in s.get("service_at_locations", []):
            loc = x["location"]
            put("location", loc)
            for a in loc.get("addresses", []):
                put("address", a, location_id=loc["id"])
            put("service_at_location", x, service_id=sid, location_id=loc["id"])
        for key, table in (
            ("schedules", "schedule"),
            ("service_areas", "service_area"),
            ("funding", "funding"),
        ):
            for x in s.get(key, []):
                put(table, x, service_id=sid)
        for c in s.get("contacts", []):
            put("contact", c, service_id=sid)
            for ph in c.get("phones", []):
                put("phone", ph, contact_id=c["id"])
        for a in s.get("attributes", []):
            t = a.get("taxonomy_term")
            if t:
                put("taxonomy_term", t)
            put("attribute", a, link_id=sid, link_entity="service")
    return {n: list(rows.values()) for n, rows in out.items()}

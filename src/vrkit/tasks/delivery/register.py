"""Register tasks: import delivery data, list the register, export grants as 360Giving."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrkit.catalog.delivery import theme_labels
from vrkit.errors import InputError, SourceError
from vrkit.ops import audit
from vrkit.ops.delivery import register
from vrkit.ops.delivery.importer import ImportSummary, load_bundle
from vrkit.ops.delivery.models import FundingSource, GrantAward, Programme
from vrkit.ops.models import Organisation
from vrkit.ops.roles import Principal
from vrkit.sources.delivery import giving360, london_example, tables
from vrkit.sources.delivery.records import DeliveryBundle
from vrkit.tasks.delivery._common import DeliveryResult, jsonable

IMPORT_FORMATS = ("auto", "london-vru", "tables", "360giving")


def read_delivery(path: Path, fmt: str = "auto") -> DeliveryBundle:
    """Read a delivery import: the London VRU example folder, a folder of vrkit delivery tables,
    or a 360Giving JSON/CSV file (``fmt='auto'`` recognises which)."""
    path = Path(path)
    if fmt not in IMPORT_FORMATS:
        raise InputError(
            f"unknown import format {fmt!r}", hint="Use " + ", ".join(IMPORT_FORMATS) + "."
        )
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if fmt == "london-vru" or (fmt == "auto" and london_example.sniff(path)):
        return london_example.read_london_example(path)
    if fmt == "tables" or (fmt == "auto" and tables.sniff(path)):
        return tables.read_tables(path)
    if fmt == "360giving" or (
        fmt == "auto" and path.is_file() and path.suffix.lower() in (".json", ".csv", ".xlsx")
    ):
        return giving360.read_360giving(path)
    raise SourceError(
        path,
        "is not a delivery import vrkit knows",
        hint="Give the London VRU example folder, a folder of vrkit delivery tables "
        "(programmes.csv, budgets.csv, …) or a 360Giving .json/.csv/.xlsx file.",
    )


def import_delivery(
    s: Session, actor: Principal, paths: list[Path], fmt: str = "auto"
) -> list[ImportSummary]:
    """Import every path in one transaction (all or nothing across the paths), including the
    filled monitoring returns of a tables folder (``returns/*.xlsx``)."""
    from vrkit.tasks.delivery.returns import submit_return

    out = []
    for p in paths:
        bundle = read_delivery(p, fmt)
        summary = load_bundle(s, actor, bundle)
        for f in bundle.return_files:
            res = submit_return(s, actor, f.read_bytes(), f.name)
            summary.counts["returns " + res.status] += 1
        out.append(summary)
    return out


# -- the register ------------------------------------------------------------------------------
@dataclass
class Register(DeliveryResult):
    frame: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        return self.frame


def programme_row(p: Programme) -> dict[str, Any]:
    lead = [po.organisation.name for po in p.organisations if po.role == "lead"]
    delivery = [po.organisation.name for po in p.organisations if po.role == "delivery"]
    return {
        "ref": p.ref,
        "name": p.name,
        "kind": p.kind,
        "theme": theme_labels().get(p.theme, p.theme),
        "objectives": ";".join(map(str, p.objectives)),
        "objectives_inferred": p.objectives_inferred,
        "lead_organisations": "; ".join(lead),
        "delivery_organisations": "; ".join(delivery),
        "target_cohort": p.target_cohort,
        "age_range": (
            f"{p.age_min}-{p.age_max}" if p.age_min is not None and p.age_max is not None else ""
        ),
        "places": "; ".join(str(x.get("name", "")) for x in p.places),
        "start_date": p.start_date,
        "end_date": p.end_date,
        "period": p.period_text,
        "status": p.status,
        "in_portfolio": p.in_portfolio,
        "evaluation_status": p.evaluation_status,
        "version": p.version,
        "data_label": p.data_label,
    }


def programme_register(
    s: Session,
    *,
    org_codes: frozenset[str] | None = None,
    theme: str | None = None,
    status: str | None = None,
    portfolio_only: bool = False,
) -> Register:
    """The register (optionally only some organisations' programmes, a theme or a status)."""
    progs = register.list_programmes(
        s, org_codes=org_codes, theme=theme, status=status, portfolio_only=portfolio_only
    )
    frame = pd.DataFrame([programme_row(p) for p in progs])
    notes = []
    labels = sorted({p.data_label for p in progs if p.data_label})
    if labels:
        notes.append(f"Contains {', '.join(labels)} data.")
    return Register(title="Programme register", notes=notes, frame=frame)


# -- 360Giving export --------------------------------------------------------------------------
@dataclass
class GivingExport(DeliveryResult):
    FORMATS: ClassVar[tuple[str, ...]] = ("json", "csv", "xlsx")
    package: dict[str, Any] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    validated: bool = False
    schema_version: str | None = None
    validation_errors: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "id": g["id"],
                    "title": g["title"],
                    "amount_awarded": g["amountAwarded"],
                    "award_date": g["awardDate"],
                    "recipient": g["recipientOrganization"][0]["name"],
                }
                for g in self.package.get("grants", [])
            ]
        )

    def write(self, path: Path, fmt: str | None = None) -> Path:
        from vrkit.reports.giving360 import write_package

        fmt = (fmt or path.suffix.lstrip(".") or "json").lower()
        if fmt not in self.FORMATS:
            raise InputError(f"unknown 360Giving format {fmt!r}", hint="Use json, csv or xlsx.")
        return write_package(self.package, path, fmt)


def _org_id(org: Organisation, prefix: str) -> str:
    return org.identifier or f"{prefix}-ORG-{org.id}"


def _number(pence: int) -> int | float:
    d = Decimal(pence) / 100
    return int(d) if d == d.to_integral_value() else float(d)


def export_360giving(
    s: Session,
    actor: Principal,
    *,
    prefix: str = "360G-vrkit",
    funder_name: str | None = None,
    funder_id: str | None = None,
    validate: bool = True,
    schema: Path | None = None,
    programme_ids: set[int] | None = None,
) -> GivingExport:
    """Every grant with what 360Giving requires (award date, amount, recipient, funder) as a
    360Giving package; the others are listed in ``skipped`` with the reason. With ``validate``
    the package is checked against the standard's schema (a failure is an error)."""
    if not prefix.startswith("360G-") or len(prefix) < 6:
        raise InputError(
            f"{prefix!r} is not a 360Giving prefix", hint="Prefixes look like 360G-yourorg."
        )
    default_funder: dict[str, str] | None = None
    if funder_name or funder_id:
        if not (funder_name and funder_id):
            raise InputError("give both --funder-name and --funder-id")
        default_funder = {"id": funder_id, "name": funder_name}
    else:
        vru = s.scalar(
            select(Organisation).where(Organisation.kind == "vru").order_by(Organisation.id)
        )
        if vru is not None:
            default_funder = {"id": _org_id(vru, prefix), "name": vru.name}
    progs = {p.id: p for p in s.scalars(select(Programme))}
    srcs = {x.id: x for x in s.scalars(select(FundingSource))}
    labels = theme_labels()
    grants: list[dict[str, Any]] = []
    skipped: list[tuple[str, str]] = []
    for g in s.scalars(select(GrantAward).order_by(GrantAward.ref)):
        if programme_ids is not None and g.programme_id not in programme_ids:
            continue
        why = []
        if g.award_date is None:
            why.append("no award date")
        if g.amount_pence is None:
            why.append("no amount")
        recipient = (
            s.get(Organisation, g.recipient_organisation_id)
            if g.recipient_organisation_id
            else None
        )
        if recipient is None:
            why.append("no recipient organisation")
        funder = s.get(Organisation, g.funder_organisation_id) if g.funder_organisation_id else None
        fund = {"id": _org_id(funder, prefix), "name": funder.name} if funder else default_funder
        if fund is None:
            why.append("no funder (record one, or give --funder-name and --funder-id)")
        if why:
            skipped.append((g.ref, "; ".join(why)))
            continue
        assert recipient is not None and fund is not None and g.amount_pence is not None
        assert g.award_date is not None
        prog = progs.get(g.programme_id) if g.programme_id else None
        item: dict[str, Any] = {
            "id": g.ref if g.ref.startswith(prefix) else f"{prefix}-{g.ref}",
            "title": g.title,
            "description": g.description or (prog.description if prog else "") or g.title,
            "currency": g.currency,
            "amountAwarded": _number(g.amount_pence),
            "awardDate": g.award_date.isoformat(),
            "recipientOrganization": [{"id": _org_id(recipient, prefix), "name": recipient.name}],
            "fundingOrganization": [fund],
        }
        if g.planned_start or g.planned_end:
            ev: dict[str, str] = {}
            if g.planned_start:
                ev["startDate"] = g.planned_start.isoformat()
            if g.planned_end:
                ev["endDate"] = g.planned_end.isoformat()
            item["plannedDates"] = [ev]
        if prog is not None:
            item["grantProgramme"] = [{"code": prog.ref, "title": prog.name}]
            locs = [
                {"name": p["name"], "geoCode": p["code"], "geoCodeType": "LAD"}
                for p in prog.places
                if p.get("kind") == "borough" and p.get("code")
            ]
            if locs:
                item["beneficiaryLocation"] = locs
        extra = {}
        if prog is not None:
            extra["theme"] = labels.get(prog.theme, prog.theme)
        if g.funding_source_id:
            extra["fundingSource"] = srcs[g.funding_source_id].code
        if extra:
            item["vrkit"] = extra
        grants.append(item)
    if not grants:
        raise InputError(
            "no grant has what 360Giving requires (award date, amount, recipient and funder)"
            + (
                f": {len(skipped)} grant(s) lack them, e.g. {skipped[0][0]} ({skipped[0][1]})"
                if skipped
                else ""
            ),
            hint="Record award dates and recipients, or import 360Giving data.",
        )
    package: dict[str, Any] = {
        "grants": grants,
        "version": "1.4",
        "title": "Grants of the Violence Reduction Unit (exported by vrkit)",
        "issued": datetime.now(UTC).date().isoformat(),
    }
    notes = [f"{len(grants)} grant(s) exported."]
    if skipped:
        notes.append(
            f"{len(skipped)} grant(s) not exported because they lack a field 360Giving requires: "
            + "; ".join(f"{r} ({w})" for r, w in skipped[:10])
            + (" …" if len(skipped) > 10 else "")
        )
    result = GivingExport(title="360Giving export", notes=notes, package=package, skipped=skipped)
    if validate:
        errors = giving360.validation_errors(package, schema)
        result.validation_errors = errors
        if errors:
            raise InputError(
                f"the export does not validate against the 360Giving schema: {errors[0]}",
                hint="This is a vrkit bug if the data came from vrkit; please report it.",
            )
        result.validated = True
        result.schema_version = giving360.schema_version(schema)
        notes.append(
            f"Validated against the 360Giving schema {result.schema_version} (jsonschema)."
        )
    else:
        notes.append("Not validated against the 360Giving schema (validation was turned off).")
    audit.record(
        s,
        actor,
        "export",
        target="360giving",
        detail={"grants": len(grants), "skipped": len(skipped)},
    )
    return result


__all__ = [
    "GivingExport",
    "Register",
    "export_360giving",
    "import_delivery",
    "jsonable",
    "programme_register",
    "read_delivery",
]

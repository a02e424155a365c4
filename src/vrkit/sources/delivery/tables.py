"""vrkit's own delivery tables: a folder of CSV files a VRU keeps or exports from its finance
system, and what ``vrkit synth programmes`` writes.

Files (each optional; at least one): ``organisations.csv``, ``funding_sources.csv``,
``programmes.csv``, ``budgets.csv``, ``allocations.csv``, ``profile.csv`` (commitments by
quarter), ``spend.csv``, ``forecast.csv`` and ``targets.csv``; columns in :data:`COLUMNS`.
Filled monitoring returns in a ``returns/`` subfolder are submitted after the tables, in the
same transaction. Money is in pounds with up to two decimal places; financial years are written ``2020/21``;
quarters 1–4 (April–June is quarter 1). A ``date`` in a quarterly file must fall in the year and
quarter given (or gives the quarter when it is blank). A folder holding ``SYNTHETIC.txt`` is
SYNTHETIC data and every record says so.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import date
from pathlib import Path
from typing import Any

from vrkit.catalog.delivery import resolve_theme
from vrkit.catalog.money import fy_label, parse_fy, pence, quarter_of
from vrkit.errors import DataValidationError, InputError, SourceError
from vrkit.sources.delivery.records import (
    AllocationRecord,
    BudgetRecord,
    DeliveryBundle,
    OrgRecord,
    ProgrammeRecord,
    QuarterRecord,
    SourceRecord,
    TargetRecord,
    Where,
)

KIND = "vrkit_delivery_tables"
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # file: (required columns, optional columns)
    "organisations.csv": (("name",), ("identifier", "kind")),
    "funding_sources.csv": (("code", "name"), ("must_spend_in_year", "rule")),
    "programmes.csv": (
        ("ref", "name", "theme"),
        (
            "kind",
            "objectives",
            "lead_organisation",
            "lead_identifier",
            "delivery_organisations",
            "target_cohort",
            "age_min",
            "age_max",
            "boroughs",
            "start_date",
            "end_date",
            "status",
            "evidence_approach",
            "evaluation_status",
            "description",
            "measures",
        ),
    ),
    "budgets.csv": (("source", "financial_year", "amount_gbp"), ("basis", "note")),
    "allocations.csv": (("financial_year", "theme", "amount_gbp"), ("note",)),
    "profile.csv": (
        ("programme_ref", "source", "financial_year", "amount_gbp"),
        ("quarter", "date"),
    ),
    "spend.csv": (("programme_ref", "source", "financial_year", "amount_gbp"), ("quarter", "date")),
    "forecast.csv": (
        ("programme_ref", "source", "financial_year", "amount_gbp"),
        ("quarter", "date"),
    ),
    "targets.csv": (
        ("measure", "financial_year", "target"),
        ("programme_ref", "source", "label", "due"),
    ),
}
SYNTHETIC_MARK = "SYNTHETIC.txt"


def sniff(folder: Path) -> bool:
    """Whether ``folder`` holds vrkit delivery tables (a known file with vrkit's columns)."""
    if not folder.is_dir():
        return False
    p = folder / "programmes.csv"
    if p.exists():
        with p.open(encoding="utf-8-sig") as f:
            head = f.readline()
        return head.startswith("ref,") or ",ref," in head
    return any((folder / f).exists() for f in COLUMNS if f != "programmes.csv")


def _read(path: Path) -> list[tuple[int, dict[str, str]]]:
    req, opt = COLUMNS[path.name]
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            cols = [c.strip() for c in reader.fieldnames or []]
            missing = [c for c in req if c not in cols]
            if missing:
                raise DataValidationError(
                    path, f"column {missing[0]!r} is missing or renamed", row=1, column=missing[0],
                    hint=f"{path.name} needs the columns {', '.join(req)} (optional: {', '.join(opt)}).",
                )  # fmt: skip
            unknown = [c for c in cols if c not in req and c not in opt]
            if unknown:
                raise DataValidationError(
                    path, f"unknown column {unknown[0]!r}", row=1, column=unknown[0],
                    hint=f"Columns of {path.name}: {', '.join(req + opt)}.",
                )  # fmt: skip
            rows = []
            for i, row in enumerate(reader, start=2):
                if None in row:
                    raise DataValidationError(path, "more cells than columns", row=i)
                rows.append((i, {k.strip(): (v or "").strip() for k, v in row.items()}))
            return rows
    except UnicodeDecodeError as exc:
        raise SourceError(path, "is not UTF-8 text") from exc


def _err(path: Path, row: int, col: str, reason: str, value: object = None) -> DataValidationError:
    return DataValidationError(path, reason, row=row, column=col, value=value)


def _money(path: Path, i: int, col: str, text: str, *, required: bool = True) -> int | None:
    if not text:
        if required:
            raise _err(path, i, col, "an amount is needed")
        return None
    try:
        p = pence(text)
    except InputError as exc:
        raise _err(path, i, col, exc.message.split(" (")[0]) from None
    if p < 0:
        raise _err(path, i, col, "an amount cannot be negative", text)
    return p


def _fy(path: Path, i: int, text: str) -> int:
    try:
        return parse_fy(text)
    except InputError as exc:
        raise _err(path, i, "financial_year", exc.message) from None


def _int(path: Path, i: int, col: str, text: str, *, lo: int = 0, hi: int = 10**12) -> int | None:
    if not text:
        return None
    t = text.replace(",", "")
    if not t.lstrip("-").isdigit():
        raise _err(path, i, col, "not a whole number", text)
    n = int(t)
    if n < lo:
        raise _err(
            path, i, col, "cannot be negative" if lo == 0 else f"must be at least {lo}", text
        )
    if n > hi:
        raise _err(path, i, col, f"must be at most {hi}", text)
    return n


def _date(path: Path, i: int, col: str, text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _err(path, i, col, "not a date (YYYY-MM-DD)", text) from None


def read_tables(folder: Path) -> DeliveryBundle:
    """Read every known file of ``folder`` into one bundle (DataValidationError on a bad cell)."""
    folder = Path(folder)
    present = [f for f in COLUMNS if (folder / f).exists()]
    returns = sorted((folder / "returns").glob("*.xlsx")) if (folder / "returns").is_dir() else []
    if not present and not returns:
        raise SourceError(
            folder, "holds none of the vrkit delivery tables", hint=", ".join(COLUMNS)
        )
    label = "SYNTHETIC" if (folder / SYNTHETIC_MARK).exists() else ""
    b = DeliveryBundle(kind=KIND, data_label=label)
    if label:
        b.notes.append(
            "SYNTHETIC data (generated by vrkit synth programmes): not real programmes or money."
        )
    for f in present:
        p = folder / f
        b.files.append((p, hashlib.sha256(p.read_bytes()).hexdigest()))
    b.return_files = returns
    if "organisations.csv" in present:
        p = folder / "organisations.csv"
        for _i, r in _read(p):
            b.organisations.append(
                OrgRecord(r["name"], r.get("identifier") or None, r.get("kind") or "provider")
            )
    if "funding_sources.csv" in present:
        p = folder / "funding_sources.csv"
        for i, r in _read(p):
            flag = (r.get("must_spend_in_year") or "no").lower()
            if flag not in ("yes", "no", "true", "false"):
                raise _err(p, i, "must_spend_in_year", "write yes or no", flag)
            b.sources.append(
                SourceRecord(r["code"], r["name"], flag in ("yes", "true"), r.get("rule", ""))
            )
    if "programmes.csv" in present:
        _programmes(folder / "programmes.csv", b, label)
    if "budgets.csv" in present:
        p = folder / "budgets.csv"
        for i, r in _read(p):
            b.budgets.append(
                BudgetRecord(
                    r["source"],
                    _fy(p, i, r["financial_year"]),
                    _money(p, i, "amount_gbp", r["amount_gbp"], required=False),
                    Where(str(p), i),
                    basis=r.get("basis") or "confirmed",
                    note=r.get("note", ""),
                )
            )
    if "allocations.csv" in present:
        p = folder / "allocations.csv"
        for i, r in _read(p):
            try:
                theme = resolve_theme(r["theme"])
            except InputError as exc:
                raise _err(p, i, "theme", exc.message) from None
            b.allocations.append(
                AllocationRecord(
                    _fy(p, i, r["financial_year"]),
                    theme,
                    _money(p, i, "amount_gbp", r["amount_gbp"]),
                    Where(str(p), i),
                    note=r.get("note", ""),
                )
            )
    for name, target in (
        ("profile.csv", b.commitments),
        ("spend.csv", b.spend),
        ("forecast.csv", b.forecasts),
    ):
        if name in present:
            target.extend(_quarterly(folder / name))
    if "targets.csv" in present:
        p = folder / "targets.csv"
        for i, r in _read(p):
            value = _int(p, i, "target", r["target"])
            if value is None:
                raise _err(p, i, "target", "a target is needed")
            b.targets.append(
                TargetRecord(
                    r["measure"],
                    _fy(p, i, r["financial_year"]),
                    value,
                    Where(str(p), i),
                    programme_ref=r.get("programme_ref") or None,
                    source=r.get("source") or None,
                    label=r.get("label", ""),
                    due=r.get("due", ""),
                )
            )
    return b


def _quarterly(p: Path) -> list[QuarterRecord]:
    out = []
    for i, r in _read(p):
        fy = _fy(p, i, r["financial_year"])
        q = _int(p, i, "quarter", r.get("quarter", ""), lo=1, hi=4)
        d = _date(p, i, "date", r.get("date", ""))
        if d is not None:
            dfy, dq = quarter_of(d)
            if dfy != fy:
                raise _err(
                    p,
                    i,
                    "date",
                    f"{d.isoformat()} is outside the financial year {fy_label(fy)}",
                    d.isoformat(),
                )
            if q is not None and dq != q:
                raise _err(
                    p,
                    i,
                    "date",
                    f"{d.isoformat()} is outside quarter {q} (it is in quarter {dq})",
                    d.isoformat(),
                )
            q = dq
        if q is None:
            raise _err(p, i, "quarter", "a quarter (1-4) or a date is needed")
        amount = _money(p, i, "amount_gbp", r["amount_gbp"])
        assert amount is not None
        out.append(QuarterRecord(r["programme_ref"], r["source"], fy, q, amount, Where(str(p), i)))
    return out


def _programmes(p: Path, b: DeliveryBundle, label: str) -> None:
    from vrkit.catalog.areas import resolve_borough

    for i, r in _read(p):
        where = Where(str(p), i)
        try:
            theme = resolve_theme(r["theme"])
        except InputError as exc:
            raise _err(p, i, "theme", exc.message) from None
        objectives = []
        for part in (r.get("objectives") or "").replace(",", ";").split(";"):
            if part.strip():
                n = _int(p, i, "objectives", part.strip(), lo=1, hi=8)
                assert n is not None
                objectives.append(n)
        places: list[dict[str, Any]] = []
        for name in (r.get("boroughs") or "").split(";"):
            if name.strip():
                hit = resolve_borough(name.strip())
                if hit is None or hit[2] != "lad":
                    raise _err(p, i, "boroughs", "not a London borough", name.strip())
                places.append({"kind": "borough", "code": hit[0], "name": hit[1]})
        lead: list[OrgRecord] = []
        if r.get("lead_organisation"):
            lead.append(OrgRecord(r["lead_organisation"], r.get("lead_identifier") or None))
        elif r.get("lead_identifier"):
            lead.append(OrgRecord("", r["lead_identifier"], "reference"))
        delivery = [
            OrgRecord(x.strip())
            for x in (r.get("delivery_organisations") or "").split(";")
            if x.strip()
        ]
        measures = []
        for item in (r.get("measures") or "").split("|"):
            if item.strip():
                code, _, mlabel = item.partition("=")
                if not code.strip().replace("_", "").isalnum():
                    raise _err(p, i, "measures", "a measure code is letters, digits and _", code)
                measures.append((code.strip(), mlabel.strip() or code.strip()))
        status = r.get("status") or "active"
        b.programmes.append(
            ProgrammeRecord(
                name=r["name"],
                theme=theme,
                where=where,
                ref=r["ref"],
                kind=r.get("kind") or "programme",
                description=r.get("description", ""),
                objectives=objectives,
                target_cohort=r.get("target_cohort", ""),
                age_min=_int(p, i, "age_min", r.get("age_min", ""), hi=120),
                age_max=_int(p, i, "age_max", r.get("age_max", ""), hi=120),
                places=places,
                start_date=_date(p, i, "start_date", r.get("start_date", "")),
                end_date=_date(p, i, "end_date", r.get("end_date", "")),
                status=status,
                evidence_approach=r.get("evidence_approach", ""),
                evaluation_status=r.get("evaluation_status") or "not stated",
                lead=lead,
                delivery=delivery,
                measures=measures,
                data_label=label,
            )
        )

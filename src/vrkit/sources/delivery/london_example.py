"""The London VRU 2020/21 example folder (``london_vru_2020_21/``: facts transcribed from the
unit's March 2021 report to the Home Office) as delivery records.

What is read, and how
---------------------
- ``funding_2020_21.csv``: the 2020/21 budget of each funding source, as published (£m to one
  decimal place, stored exactly as printed). The total row is kept as a stated figure.
- ``expenditure_by_theme_2020_21.csv``: the 2020/21 budget by theme (stated figures: the parts
  add up to 19.6 against a published total of 19.7; the reports say so).
- ``funding_history.csv``: budgets of other years (2018/19 to 2021/22) received by the VRU
  itself. For 2020/21 the published table wins; every other 2020/21 statement is checked against
  it and any disagreement is noted (the Mayoral growth funding is £4m in the text, 5.0 in the
  table). Totals and money to others (the MPS, pooled funds) become stated figures, not budgets.
  A budget the report says exists without an amount is kept with no amount (never zero).
- ``programmes.csv``: the register. Themes and objectives are kept, with ``objectives_inferred``
  where the note says the objective is inferred or implied. Rows the report names as context
  (police funding, governance, internal reviews) are kept outside the portfolio. Stated amounts
  become awards without dates (the report gives none).
- ``snapshot_2020_21.csv``: stated headline figures; the Home Office young-people figures become
  a portfolio target (5,100 by March 2021) with its stated achievement (3,884).
- ``logic_model.json``: impacts, outcomes, the eight strategy objectives (the figure shows
  seven), aims and the priority intervention programmes, with the stated level links and the
  inferred aim–impact links marked inferred.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from vrkit.catalog.areas import resolve_borough
from vrkit.catalog.delivery import default_indicators, known_source, resolve_theme
from vrkit.catalog.money import millions, parse_fy, pence
from vrkit.errors import DataValidationError, InputError, SourceError
from vrkit.sources.delivery.records import (
    AllocationRecord,
    BudgetRecord,
    DeliveryBundle,
    GrantRecord,
    LinkRecord,
    LogicModelRecord,
    NodeRecord,
    OrgRecord,
    ProgrammeRecord,
    SourceRecord,
    StatedRecord,
    TargetRecord,
    Where,
)

KIND = "london_vru_example"
FILES = (
    "funding_2020_21.csv",
    "expenditure_by_theme_2020_21.csv",
    "funding_history.csv",
    "programmes.csv",
    "snapshot_2020_21.csv",
    "logic_model.json",
)
TABLE_YEAR = 2020
REF_PREFIX = "LVRU"
VRU = OrgRecord("London Violence Reduction Unit", None, "vru")
#: register rows outside the delivery portfolio (the report includes them as context)
_NOT_PORTFOLIO = re.compile(r"^(context|governance|internal review)", re.IGNORECASE)
_INFERRED = re.compile(r"objective is (inferred|strongly implied|implied)", re.IGNORECASE)
_LEVELS = {
    "interventions": "intervention",
    "objectives": "objective",
    "outcomes": "outcome",
    "impacts": "impact",
    "strategic_aims": "aim",
}
_AGES = re.compile(r"aged\s+(\d{1,2})\s*[-–]\s*(\d{1,2})", re.IGNORECASE)


def sniff(folder: Path) -> bool:
    """Whether ``folder`` is the London VRU example folder (its funding table and register)."""
    if not folder.is_dir():
        return False
    if not (folder / "funding_2020_21.csv").exists() or not (folder / "programmes.csv").exists():
        return False
    with (folder / "programmes.csv").open(encoding="utf-8-sig") as f:
        header = f.readline()
    return "lead_or_delivery_org" in header


def _rows(
    path: Path, required: tuple[str, ...], notes: list[str]
) -> list[tuple[int, dict[str, str]]]:
    """The rows of a table with their line numbers; a note cut by unquoted commas is joined back
    (and said so in ``notes``)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            cols = reader.fieldnames or []
            missing = [c for c in required if c not in cols]
            if missing:
                raise DataValidationError(
                    path, f"column {missing[0]!r} is missing or renamed", row=1, column=missing[0]
                )
            rows = []
            for i, row in enumerate(reader, start=2):
                extra = row.pop(None, None)
                if extra:
                    if cols and cols[-1] == "note":
                        # a free-text note written with an unquoted comma: the extra cells can
                        # only be the rest of the note (its text was cut at the first comma)
                        row["note"] = ",".join([row.get("note") or "", *extra])
                        notes.append(
                            f"{path.name} line {i}: the note holds unquoted commas; the "
                            f"{len(extra)} cell(s) after it are read as the rest of the note"
                        )
                    else:
                        raise DataValidationError(
                            path,
                            f"{len(cols) + len(extra)} cells but {len(cols)} columns",
                            row=i,
                            hint="Quote a value holding a comma.",
                        )
                rows.append((i, row))
            return rows
    except UnicodeDecodeError as exc:
        raise SourceError(path, "is not UTF-8 text") from exc


def _m(path: Path, row: int, col: str, text: str) -> int | None:
    """£m text → pence (None when empty)."""
    t = (text or "").strip()
    if not t:
        return None
    try:
        return pence(t, unit="GBP m")
    except InputError as exc:
        raise DataValidationError(path, exc.message, row=row, column=col, value=t) from None


def _gbp(path: Path, row: int, col: str, text: str) -> int | None:
    t = (text or "").strip()
    if not t:
        return None
    try:
        return pence(t)
    except InputError as exc:
        raise DataValidationError(path, exc.message, row=row, column=col, value=t) from None


def _lines(text: str) -> str:
    t = (text or "").strip()
    return f"report line(s) {t}" if t else ""


def read_london_example(folder: Path) -> DeliveryBundle:
    """All six files of the folder as one bundle (SourceError if a file is missing)."""
    folder = Path(folder)
    missing = [f for f in FILES if not (folder / f).exists()]
    if missing:
        raise SourceError(
            folder, f"not the London VRU example folder: {', '.join(missing)} missing"
        )
    b = DeliveryBundle(kind=KIND)
    for f in FILES:
        p = folder / f
        b.files.append((p, hashlib.sha256(p.read_bytes()).hexdigest()))
    b.organisations.append(VRU)
    for k in ("home_office", "mayor_core", "mayor_growth", "lcpf", "reserves", "not_stated"):
        ks = known_source(k)
        assert ks is not None
        b.sources.append(SourceRecord(ks.code, ks.name, ks.must_spend_in_year, ks.rule))
    _published_table(folder / "funding_2020_21.csv", b, "source", "funding table")
    _published_table(
        folder / "expenditure_by_theme_2020_21.csv", b, "theme", "expenditure by theme"
    )
    _history(folder / "funding_history.csv", b)
    _programmes(folder / "programmes.csv", b)
    _snapshot(folder / "snapshot_2020_21.csv", b)
    b.logic_model = _logic_model(folder / "logic_model.json", b)
    return b


def _source_code(path: Path, row: int, col: str, name: str) -> str:
    ks = known_source(name)
    if ks is None:
        raise DataValidationError(
            path,
            "unknown funding source",
            row=row,
            column=col,
            value=name,
            hint="Known sources and their spellings are in vrkit/catalog/delivery.toml.",
        )
    return ks.code


def _published_table(path: Path, b: DeliveryBundle, key: str, what: str) -> None:
    """A published 2020/21 table (``key``: ``source`` or ``theme``): its rows become budgets or
    theme allocations as printed, its total row a stated figure."""
    for i, r in _rows(path, (key, "amount_gbp_m", "is_total", "source_line", "note"), b.notes):
        where = Where(str(path), i)
        if r["is_total"].strip().lower() == "true":
            b.stated.append(
                StatedRecord(
                    what,
                    "Total VRU budget (published total of the funding table)"
                    if key == "source"
                    else "Expenditure by theme: published total",
                    Decimal(r["amount_gbp_m"]),
                    where,
                    financial_year=TABLE_YEAR,
                    unit="GBP m",
                    as_printed=f"{r[key]} {r['amount_gbp_m']}",
                    source_ref=_lines(r["source_line"]),
                    note=r["note"],
                )
            )
            continue
        amount = _m(path, i, "amount_gbp_m", r["amount_gbp_m"])
        common = {"basis": "published", "note": r["note"], "source_ref": _lines(r["source_line"])}
        if key == "source":
            code = _source_code(path, i, "source", r["source"])
            b.budgets.append(BudgetRecord(code, TABLE_YEAR, amount, where, **common))
            continue
        try:
            theme = resolve_theme(r["theme"])
        except InputError as exc:
            raise DataValidationError(path, exc.message, row=i, column="theme") from None
        b.allocations.append(AllocationRecord(TABLE_YEAR, theme, amount, where, **common))


def _history(path: Path, b: DeliveryBundle) -> None:
    table = {(x.source, x.financial_year): x for x in b.budgets}
    #: 2020/21 statements by (source, kind), checked against the published table
    checks: dict[tuple[str, str], list[tuple[int, str, int]]] = {}
    cols = (
        "financial_year",
        "funder_source",
        "recipient",
        "amount_gbp_m",
        "kind",
        "source_line",
        "note",
    )
    for i, r in _rows(path, cols, b.notes):
        where = Where(str(path), i)
        kind = r["kind"].strip()
        fy_text = r["financial_year"].strip()
        amount = _m(path, i, "amount_gbp_m", r["amount_gbp_m"])
        fy: int | None = None
        if re.fullmatch(r"\d{4}/\d{2}", fy_text):
            fy = parse_fy(fy_text)
        is_vru = r["recipient"].strip() == "VRU"
        ks = known_source(r["funder_source"])
        if (
            is_vru
            and fy is not None
            and kind in ("budget", "award", "commitment")
            and ks is not None
        ):
            if fy == TABLE_YEAR:
                if amount is not None:
                    checks.setdefault((ks.code, kind), []).append((i, r["source_line"], amount))
                continue  # the published table gives 2020/21
            if any(x.source == ks.code and x.financial_year == fy for x in b.budgets):
                b.notes.append(
                    f"{path.name} line {i}: a second {ks.name} budget for {fy_text} ignored"
                )
                continue
            b.budgets.append(
                BudgetRecord(
                    ks.code,
                    fy,
                    amount,
                    where,
                    basis={"budget": "confirmed", "award": "confirmed", "commitment": "committed"}[
                        kind
                    ]
                    if amount is not None
                    else "not stated",
                    note=r["note"],
                    source_ref=_lines(r["source_line"]),
                )
            )
            continue
        if amount is None:
            b.notes.append(
                f"{path.name} line {i}: {r['funder_source']} to {r['recipient']} "
                f"({kind}, {fy_text or 'no year'}): no amount stated"
            )
            continue
        b.stated.append(
            StatedRecord(
                "funding history" if is_vru else "funding to others (not VRU budget)",
                f"{r['funder_source']} → {r['recipient']} ({kind})",
                Decimal(r["amount_gbp_m"]),
                where,
                financial_year=fy,
                unit="GBP m",
                as_printed=r["amount_gbp_m"],
                period=fy_text,
                source_ref=_lines(r["source_line"]),
                note=r["note"],
            )
        )
    for (code, kind), items in sorted(checks.items()):
        t = table.get((code, TABLE_YEAR))
        total = sum(a for _, _, a in items)
        lines = "; ".join(_lines(x) for _, x, _ in items)
        if t is None or t.amount_pence is None:
            continue
        if total == t.amount_pence:
            b.notes.append(
                f"{code} {kind}s stated for 2020/21 ({lines}) add up to £{millions(total)}m, "
                "as in the funding table."
            )
        else:
            b.notes.append(
                f"INCONSISTENT: {code} {kind}s stated for 2020/21 ({lines}) add up to "
                f"£{millions(total)}m but the funding table gives £{millions(t.amount_pence)}m; "
                "the published table is used."
            )


def _orgs(text: str) -> list[OrgRecord]:
    """Organisation names from a free-text list ("A; B (role); delivered through …")."""
    out = []
    for part in re.split(r";", text or ""):
        name = re.sub(r"\s*\(.*?\)\s*", " ", part).strip(" .,")
        if not name or not name[0].isupper() or len(name) > 120:
            continue
        if name in ("VRU",):
            out.append(VRU)
            continue
        if name.lower().startswith(("supported by", "overseen", "chaired", "co-chaired", "led by")):
            continue
        out.append(OrgRecord(name, None, "provider"))
    return out


def _places(text: str) -> list[dict[str, Any]]:
    t = (text or "").strip()
    if not t:
        return []
    if "custody" in t.lower() and ":" in t:
        return [
            {"kind": "custody_suite", "name": x.strip()}
            for x in t.split(":", 1)[1].split(";")
            if x.strip()
        ]
    hit = resolve_borough(t)
    if hit is not None and hit[2] == "lad":
        return [{"kind": "borough", "code": hit[0], "name": hit[1]}]
    return [{"kind": "area", "name": t}]


def _programmes(path: Path, b: DeliveryBundle) -> None:
    cols = (
        "programme", "type", "lead_or_delivery_org", "funder", "amount_gbp", "theme",
        "strategy_objective", "target_group", "places", "reach", "outcomes_stated", "economics",
        "evaluation", "start_or_period", "related_to", "source_line", "note",
    )  # fmt: skip
    for n, (i, r) in enumerate(_rows(path, cols, b.notes), start=1):
        where = Where(str(path), i)
        try:
            theme = resolve_theme(r["theme"])
        except InputError as exc:
            raise DataValidationError(path, exc.message, row=i, column="theme") from None
        objectives = [int(m) for m in re.findall(r"(?:^|;\s*)(\d)\.", r["strategy_objective"])]
        ages = _AGES.search(r["target_group"])
        orgs = _orgs(r["lead_or_delivery_org"])
        evaluation = r["evaluation"].strip()
        status = "active"
        if r["type"].startswith("research") and "published" in r["start_or_period"]:
            status = "completed"
        ref = f"{REF_PREFIX}-{n:03d}"
        note = r["note"].strip()
        if r["lead_or_delivery_org"].strip():
            note = (
                note + " " if note else ""
            ) + f"Organisations as stated: {r['lead_or_delivery_org'].strip()}."
        if r["related_to"].strip():
            note += f" Related: {r['related_to'].strip()}."
        b.programmes.append(
            ProgrammeRecord(
                name=r["programme"].strip(),
                theme=theme,
                where=where,
                ref=ref,
                kind=r["type"].strip() or "programme",
                objectives=objectives,
                objectives_inferred=bool(objectives) and bool(_INFERRED.search(r["note"])),
                target_cohort=r["target_group"].strip(),
                age_min=int(ages.group(1)) if ages else None,
                age_max=int(ages.group(2)) if ages else None,
                places=_places(r["places"]),
                period_text=r["start_or_period"].strip(),
                status=status,
                in_portfolio=not _NOT_PORTFOLIO.match(r["type"].strip()),
                evaluation_status=(
                    "not stated"
                    if not evaluation
                    else "underway"
                    if "due" in evaluation
                    else "reported"
                ),
                evaluation_text=evaluation,
                reach_stated=r["reach"].strip(),
                outcomes_stated=r["outcomes_stated"].strip(),
                economics=r["economics"].strip(),
                note=note.strip(),
                source_ref=_lines(r["source_line"]),
                lead=orgs[:1],
                delivery=orgs[1:],
            )
        )
        amount = _gbp(path, i, "amount_gbp", r["amount_gbp"])
        if amount is not None:
            funder = r["funder"].strip()
            ks = known_source(funder.split("(")[0].strip()) if funder else None
            b.grants.append(
                GrantRecord(
                    ref=f"{ref}-A1",
                    title=r["programme"].strip(),
                    where=where,
                    recipient=orgs[0] if orgs else None,
                    funder=VRU if funder.startswith("VRU") else None,
                    source=ks.code if ks else None,
                    programme_ref=ref,
                    description=(r["related_to"].strip() or r["note"].strip())[:2000],
                    amount_pence=amount,
                    grant_programme=r["type"].strip(),
                    source_ref=_lines(r["source_line"]),
                )
            )


def _snapshot(path: Path, b: DeliveryBundle) -> None:
    cols = ("group", "metric", "value", "unit", "value_as_printed", "period", "source_line", "note")
    target = achieved = None
    for i, r in _rows(path, cols, b.notes):
        try:
            value = Decimal(r["value"].strip())
        except InvalidOperation:
            raise DataValidationError(
                path, "not a number", row=i, column="value", value=r["value"]
            ) from None
        rec = StatedRecord(
            r["group"].strip(),
            r["metric"].strip(),
            value,
            Where(str(path), i),
            financial_year=TABLE_YEAR,
            unit=r["unit"].strip(),
            as_printed=r["value_as_printed"].strip(),
            period=r["period"].strip(),
            source_ref=_lines(r["source_line"]),
            note=r["note"].strip(),
        )
        b.stated.append(rec)
        m = rec.metric.lower()
        if m.startswith("young people supported") and "home office funded" in m:
            if "anticipated" in m:
                target = rec
            else:
                achieved = rec
    if target is not None:
        b.targets.append(
            TargetRecord(
                measure_code="young_people_supported",
                financial_year=TABLE_YEAR,
                target_value=int(target.value),
                where=target.where,
                source="home_office",
                label="Young people supported through a positive intervention by Home Office funded projects",
                due=target.period,
                stated_value=int(achieved.value) if achieved is not None else None,
                stated_as_of=achieved.period if achieved is not None else "",
                source_ref="; ".join(x.source_ref for x in (target, achieved) if x is not None),
                note="The target is the number the report anticipated; the achievement is as stated "
                "in the report (no returns behind it in vrkit).",
            )
        )


def _logic_model(path: Path, b: DeliveryBundle) -> LogicModelRecord:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(path, f"is not valid JSON ({exc})") from None
    where = Where(str(path))
    nodes: list[NodeRecord] = []
    defaults: dict[str, list[tuple[str, str, str, str]]] = {}
    for d in default_indicators():
        defaults.setdefault(d.node, []).append(("warehouse", d.ref, d.label, d.direction))
    try:
        for n, label in enumerate(data["impacts"]["items"], start=1):
            nodes.append(NodeRecord("impact", f"I{n}", label, indicators=defaults.get(label, [])))
        outcomes = data["outcomes"]
        for n, label in enumerate(outcomes["items"], start=1):
            nodes.append(
                NodeRecord(
                    "outcome",
                    f"O{n}",
                    label,
                    timeframe=outcomes.get("timeframe", ""),
                    note=f"Monitoring: {outcomes.get('monitoring', '')}",
                    indicators=defaults.get(label, [])
                    or [
                        (
                            "local",
                            "not_set",
                            "Home Office data to monitor progress (indicator not yet set)",
                            "up",
                        )
                    ],
                )
            )
        objs = data["objectives"]
        for so in data["strategy_objectives"]["items"]:
            num = int(so["number"])
            fig = so.get("logic_model_figure_label")
            note = (
                ""
                if fig
                else "Not in the logic model figure (the figure shows seven objectives; the text eight)."
            )
            if fig and fig != so["label"]:
                note = f"Strategy wording: {so['label']!r}."
            nodes.append(
                NodeRecord(
                    "objective",
                    f"SO{num}",
                    fig or so["label"],
                    timeframe=objs.get("timeframe", ""),
                    objective_number=num,
                    note=note,
                    indicators=[
                        (
                            "outputs",
                            "people_reached_new",
                            "Participants of programmes serving this objective",
                            "up",
                        ),
                        (
                            "outputs",
                            "young_people_supported",
                            "Young people supported by those programmes",
                            "up",
                        ),
                    ],
                )
            )
        for n, label in enumerate(data["strategic_aims"]["items"], start=1):
            nodes.append(NodeRecord("aim", f"A{n}", label))
        interventions = data["interventions"]
        for n, item in enumerate(
            interventions.get("priority_intervention_programmes_stated_elsewhere", {}).get(
                "items", []
            ),
            start=1,
        ):
            match = next(
                (
                    g.programme_ref
                    for g in b.grants
                    if g.amount_pence == item["amount_gbp"] * 100
                    and any(
                        p.ref == g.programme_ref and p.kind.startswith("investment line")
                        for p in b.programmes
                    )
                ),
                None,
            )
            nodes.append(
                NodeRecord(
                    "intervention",
                    f"P{n}",
                    item["label"],
                    programme_ref=match,
                    note="Priority intervention programme of the first 18 months (not in the figure).",
                    indicators=[
                        (
                            "local",
                            "not_set",
                            interventions.get("monitoring", "Local indicator to be set"),
                            "up",
                        )
                    ],
                )
            )
        links: list[LinkRecord] = []
        extra_notes: list[str] = []
        for link in data["links"]:
            basis = link["basis"]
            inferred = basis.upper().startswith("INFERRED")
            items = link.get("item_level_links")
            if not items:
                a, z = _LEVELS.get(link["from"]), _LEVELS.get(link["to"])
                if a and z:
                    links.append(LinkRecord(f"*{a}", f"*{z}", basis, inferred))
                else:
                    extra_notes.append(f"{link['from']} → {link['to']}: {basis}")
                continue
            code = {x.label: x.code for x in nodes}
            for a, z in items:
                if a in code and z in code:
                    links.append(LinkRecord(code[a], code[z], basis, inferred))
    except (KeyError, TypeError, ValueError) as exc:
        raise DataValidationError(
            path, f"unexpected logic model structure ({exc!r} missing or malformed)"
        ) from None
    return LogicModelRecord(
        name="london-vru",
        title=str(data.get("title", "Logic model")),
        nodes=nodes,
        links=links,
        note=" ".join([str(objs.get("note", "")), *extra_notes]).strip(),
        where=where,
    )

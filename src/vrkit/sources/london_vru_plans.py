"""The London VRU 2020/21 example data (``london_vru_2020_21/``) as read for issue #17: the
Strategic Needs Assessment review (``sna_recommendations.csv``), what the report says about the
local action plans (``action_plans.csv``), and the services it names (``programmes.csv``).

Only what the files state is used; every record keeps its ``source_line``. Where vrkit
classifies (a status in its controlled list, a service's needs and referral route), the rule is
here and the record says it was inferred.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vrkit.errors import DataValidationError, SourceError

SNA_COLUMNS = (
    "section",
    "item_type",
    "label",
    "vru_response_or_progress",
    "status",
    "due",
    "related_programmes",
    "source_line",
    "note",
)
PLAN_COLUMNS = ("aspect", "label", "value", "unit", "source_line", "note")
PROGRAMME_COLUMNS = (
    "programme",
    "type",
    "lead_or_delivery_org",
    "funder",
    "amount_gbp",
    "theme",
    "strategy_objective",
    "target_group",
    "places",
    "reach",
    "outcomes_stated",
    "economics",
    "evaluation",
    "start_or_period",
    "related_to",
    "source_line",
    "note",
)

#: the report's own status words → the tracker's controlled statuses (first match wins)
STATUS_RULES: tuple[tuple[str, str], ...] = (
    (r"^done$|produced", "complete"),
    (r"raised with government", "escalated"),
    (r"^launched|in delivery", "in_delivery"),
    (r"in progress|^allocated", "in_progress"),
    (r"commissioned", "commissioned"),
    (r"planned", "planned"),
)
_TYPES = {
    "priority_area (workplan 2021/22 list)": "priority_area",
    "sna_recommendation (duplicate row)": "sna_recommendation",
}


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    if not path.exists():
        raise SourceError(path, "not found", hint="Set VRKIT_DATA_DIR to the shared data folder.")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise DataValidationError(path, f"column {missing[0]!r} is missing or renamed", row=1)
        return [(i, {k: (v or "") for k, v in r.items()}) for i, r in enumerate(reader, start=2)]


def tracker_status(stated: str) -> str:
    t = stated.strip().lower()
    for pattern, status in STATUS_RULES:
        if re.search(pattern, t):
            return status
    return "not_stated"


@dataclass
class SnaRecord:
    ref: str
    section: str
    item_type: str
    label: str
    response: str
    status: str
    status_stated: str
    due: str
    related_programmes: str
    flags: list[str]
    note: str
    source_ref: str


def read_sna(folder: Path) -> list[SnaRecord]:
    """The needs-assessment review rows, in file order (``SNA-01``...). Flags: ``duplicate`` for
    the row the source marks DUPLICATE, ``inconsistent date`` where it says INCONSISTENT,
    ``status not recognised`` where a stated status maps to none of the tracker's."""
    path = folder / "sna_recommendations.csv"
    out = []
    for n, (line, r) in enumerate(_rows(path, SNA_COLUMNS), start=1):
        note = r["note"].strip()
        stated = r["status"].strip()
        status = tracker_status(stated)
        flags = []
        if "DUPLICATE" in note:
            flags.append("duplicate")
        if "INCONSISTENT" in note:
            flags.append("inconsistent date")
        if stated and status == "not_stated":
            flags.append("status not recognised")
        kind = r["item_type"].strip()
        out.append(
            SnaRecord(
                ref=f"SNA-{n:02d}",
                section=r["section"].strip(),
                item_type=_TYPES.get(kind, kind),
                label=r["label"].strip(),
                response=r["vru_response_or_progress"].strip(),
                status=status,
                status_stated=stated,
                due=r["due"].strip(),
                related_programmes=r["related_programmes"].strip(),
                flags=flags,
                note=note,
                source_ref=f"{path.name} line {line}; report lines {r['source_line'].strip()}",
            )
        )
    return out


@dataclass
class PlanFact:
    aspect: str
    label: str
    value: str
    unit: str
    note: str
    source_ref: str


def read_plan_facts(folder: Path) -> list[PlanFact]:
    """What the report states about the 32 local plans (template, focus areas, review...)."""
    path = folder / "action_plans.csv"
    return [
        PlanFact(
            r["aspect"].strip(),
            r["label"].strip(),
            r["value"].strip(),
            r["unit"].strip(),
            r["note"].strip(),
            f"{path.name} line {line}; report lines {r['source_line'].strip()}",
        )
        for line, r in _rows(path, PLAN_COLUMNS)
    ]


# -- services named in the report ----------------------------------------------------------------
#: needs (vrkit taxonomy codes) recognised in a programme's type, name and target group
NEED_RULES: tuple[tuple[str, str], ...] = (
    (r"custody", "custody-diversion"),
    (r"mentor|coach", "mentoring"),
    (r"school|pupil|\bPRU|exclusion|education|year 6", "education"),
    (r"employ|enterprise|into work|filmmaking|industry", "employment"),
    (r"parent|carer|famil", "family"),
    (r"trauma|therapeutic", "mental-health"),
    (r"domestic abuse|domestic violence", "domestic-abuse"),
    (r"online", "online-safety"),
    (r"communit|neighbourhood|grassroots", "community"),
    (r"sport", "sport"),
    (r"youth work|activities|after-school", "youth-work"),
)
#: referral routes recognised the same way; "professional" when none is
ROUTE_RULES: tuple[tuple[str, str], ...] = (
    (r"custody", "police"),
    (r"school|pupil|\bPRU", "school"),
    (r"\bGP|doctor|hospital", "health"),
    (r"parents and carers|communit", "self"),
)
#: custody suites named by their station: the borough each lies in
STATION_BOROUGH = {"brixton": "Lambeth", "wood green": "Haringey", "holborn": "Camden"}
VRU_NAME = "London Violence Reduction Unit"
_AGES = re.compile(r"aged (\d{1,2})\s*[-–]\s*(\d{1,2})")


@dataclass
class ServiceRecord:
    name: str
    organisation: str
    description: str
    needs: list[str]
    routes: list[str]
    minimum_age: int | None
    maximum_age: int | None
    places: list[str]
    place_kind: str  # custody_suite | borough | area | none
    target_group: str
    source_ref: str
    notes: list[str] = field(default_factory=list)


def _is_service(kind: str) -> bool:
    k = kind.strip().lower()
    return k.startswith("programme") and not any(
        w in k for w in ("umbrella", "workforce development")
    )


def _matches(rules: tuple[tuple[str, str], ...], text: str) -> list[str]:
    return list(dict.fromkeys(code for pat, code in rules if re.search(pat, text, re.IGNORECASE)))


def _places(text: str) -> tuple[list[str], str]:
    t = text.strip()
    if not t:
        return [], "none"
    if "custody" in t.lower():
        body = t.split(":", 1)[1] if ":" in t else t.replace("custody", "")
        parts = re.split(r";|\band\b", body)
        return [p.strip() for p in parts if p.strip()], "custody_suite"
    return [t], "area"


def read_named_services(folder: Path) -> list[ServiceRecord]:
    """The programmes of ``programmes.csv`` that a person can be referred to (type
    ``programme…``, not an umbrella or a workforce programme), as directory records."""
    path = folder / "programmes.csv"
    out = []
    for line, r in _rows(path, PROGRAMME_COLUMNS):
        if not _is_service(r["type"]):
            continue
        text = " ".join((r["programme"], r["type"], r["target_group"], r["outcomes_stated"]))
        needs = _matches(NEED_RULES, text) or ["youth-work"]
        routes = _matches(ROUTE_RULES, text) or ["professional"]
        ages = _AGES.search(r["target_group"])
        orgs = [x.strip() for x in r["lead_or_delivery_org"].split(";") if x.strip()]
        org = re.sub(r"\s*\(.*\)$", "", orgs[0]).strip() if orgs else ""
        if org in ("", "VRU"):
            org = VRU_NAME
        places, kind = _places(r["places"])
        desc = r["target_group"].strip()
        extra: list[str] = []
        if r["reach"].strip():
            extra.append(f"Reach stated: {r['reach'].strip()}.")
        if r["outcomes_stated"].strip():
            extra.append(f"Outcomes stated: {r['outcomes_stated'].strip()}.")
        description = (
            f"{r['programme'].strip()} ({r['type'].strip()}), as described in the London VRU's "
            f"2020/21 report. For: {desc or 'not stated'}. " + " ".join(extra)
        ).strip()
        out.append(
            ServiceRecord(
                name=r["programme"].strip(),
                organisation=org,
                description=description,
                needs=needs,
                routes=routes,
                minimum_age=int(ages.group(1)) if ages else None,
                maximum_age=int(ages.group(2)) if ages else None,
                places=places,
                place_kind=kind,
                target_group=desc,
                source_ref=f"{path.name} line {line}; report lines {r['source_line'].strip()}",
                notes=[
                    "Needs and referral route inferred by vrkit from the programme's type and "
                    "target group; contact details are not stated in the source."
                ],
            )
        )
    return out


def as_dict(x: Any) -> dict[str, Any]:
    return dict(x.__dict__)

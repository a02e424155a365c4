"""Strategic Needs Assessment tracker tasks (issue #17): what ``vrkit tracker …`` and the
portal's tracker pages call.

==========================================  ===================================================
command                                     task
==========================================  ===================================================
``vrkit tracker import [FOLDER]``           :func:`import_tracker`
``vrkit tracker list``                      :func:`tracker_document`
``vrkit tracker update REF …``              :func:`vrkit.ops.plans.tracker.update_item`
``vrkit tracker evidence REF TEXT``         :func:`vrkit.ops.plans.tracker.add_evidence`
``vrkit tracker review --out FILE``         :func:`write_review` (the review page, HTML)
==========================================  ===================================================
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from vrkit.ops.plans import tracker as tr
from vrkit.ops.plans.workflow import fy_label
from vrkit.ops.programme_links import find_by_names, programmes
from vrkit.ops.roles import Principal
from vrkit.tasks._opsdb import jsonable, register_features

register_features()

SOURCE = "the London VRU 2020/21 report, Appendix 1 and Section 1D (sna_recommendations.csv)"
#: the review page's groups, in order
GROUPS = (
    (
        "recommendations",
        "Recommendations",
        ("sna_recommendation", "homicide_review_recommendation"),
    ),
    (
        "research",
        "Research commitments and strategy",
        ("research_commitment", "research_strategy_goal"),
    ),
    ("priorities", "Priority areas and programmes of work", ("priority_area", "programme_of_work")),
    (
        "other",
        "Commitments, effects and conclusions",
        ("commitment", "sna_effect", "review_conclusion", "scope"),
    ),
)


def import_tracker(s: Session, who: Principal, data_dir: str | Path) -> dict[str, int]:
    """Read ``london_vru_2020_21/sna_recommendations.csv`` into the tracker (idempotent), linking
    the programmes it names to the register where the register knows them."""
    from vrkit.sources.london_vru_plans import read_sna

    folder = Path(data_dir) / "london_vru_2020_21"
    rows = read_sna(folder)
    names = sorted({n.strip() for r in rows for n in r.related_programmes.split(";") if n.strip()})
    refs = find_by_names(s, names)
    records = [
        tr.ItemRecord(
            ref=r.ref,
            section=r.section,
            item_type=r.item_type,
            label=r.label,
            response=r.response,
            status=r.status,
            status_stated=r.status_stated,
            due=r.due,
            related_programmes_stated=r.related_programmes,
            flags=r.flags,
            note=r.note,
            source_ref=r.source_ref,
        )
        for r in rows
    ]
    return tr.import_items(s, who, records, programme_refs=refs, source=str(folder))


def tracker_document(s: Session, *, public: bool = True) -> dict[str, Any]:
    """Every item with its evidence and links, grouped for the review page. The public edition
    links only actions of published plans."""
    progs = programmes(s)
    items = []
    for it in tr.items(s):
        actions = [
            {
                "id": ln.action.id,
                "title": ln.action.title,
                "borough": ln.action.plan.borough_name,
                "year": fy_label(ln.action.plan.year),
                "status": ln.action.status,
                "url": f"/plans/{ln.action.plan.borough_code}/{ln.action.plan.year}",
            }
            for ln in it.action_links
            if not public or ln.action.plan.status == "published"
        ]
        items.append(
            {
                "ref": it.ref,
                "section": it.section,
                "item_type": it.item_type,
                "type_label": tr.ITEM_TYPES.get(it.item_type, it.item_type),
                "label": it.label,
                "response": it.response,
                "owner": it.owner,
                "status": it.status,
                "status_label": tr.STATUSES.get(it.status, it.status),
                "status_stated": it.status_stated,
                "due": it.due,
                "due_date": it.due_date,
                "flags": it.flags,
                "note": it.note,
                "source_ref": it.source_ref,
                "related_programmes_stated": it.related_programmes_stated,
                "programmes": [
                    {
                        "ref": r,
                        "name": progs[r].name if r in progs else None,
                        "url": progs[r].url if r in progs else None,
                    }
                    for r in it.programme_refs
                ],
                "evidence": [
                    {
                        "on": e.on,
                        "text": e.text,
                        "link": e.link,
                        "status": e.status,
                        "recorded_by": None if public else e.recorded_by,
                        "at": e.recorded_at,
                        "source_ref": e.source_ref,
                    }
                    for e in it.evidence
                ],
                "actions": actions,
                "updated_at": it.updated_at,
            }
        )
    groups = defaultdict(list)
    for x in items:
        key = next((k for k, _, types in GROUPS if x["item_type"] in types), "other")
        groups[key].append(x)
    counts = Counter(x["status"] for x in items)
    return jsonable(
        {
            "source": SOURCE,
            "items": items,
            "groups": [
                {"key": k, "label": label, "items": groups[k]}
                for k, label, _ in GROUPS
                if groups[k]
            ],
            "by_status": [
                {"status": k, "label": v, "items": counts.get(k, 0)}
                for k, v in tr.STATUSES.items()
                if counts.get(k)
            ],
            "register_installed": bool(progs),
        }
    )


def write_review(s: Session, out: Path) -> Path:
    from vrkit.reports.plans import tracker_html

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(tracker_html(tracker_document(s, public=True)), encoding="utf-8")
    return out

"""Local violence reduction action plan tasks (issue #17): what ``vrkit plans …`` and the
portal's plan pages call.

==========================================  ==================================================
command                                     task
==========================================  ==================================================
``vrkit plans create --year Y``             :func:`create_plans`
``vrkit plans profile --area A --year Y``   :func:`local_profile` / :func:`refresh_profile`
``vrkit plans move --area A --year Y STEP`` :func:`vrkit.ops.plans.workflow.move`
``vrkit plans show --area A --year Y``      :func:`plan_document`
``vrkit plans progress --year Y``           :func:`progress`
``vrkit plans export --area A --year Y``    :func:`write_plan` (printable HTML, XLSX, JSON)
``vrkit plans seed --year Y``               :func:`seed_demo_plans`
==========================================  ==================================================

The local violence profile is computed by the functions the rest of vrkit uses, never copied:
the Violent Crime Report builder (headline figures, rates, monthly series, with its disclosure
control for the public edition), the needs-assessment builder (hot spots: Gi* and Emerging Hot
Spot classes, top places; the IMD gradient: rates by deprivation decile and the decile 1 vs 10
rate ratio), and early warning (``vrkit alerts``: the improved Farrington test across boroughs).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from sqlalchemy.orm import Session

from vrkit.catalog.action_plans import template
from vrkit.errors import InputError, VrkitError
from vrkit.ops.plans import workflow as wf
from vrkit.ops.plans.models import ActionPlan
from vrkit.ops.roles import Principal
from vrkit.tasks._opsdb import TableResult, jsonable, register_features

register_features()

#: measures of the profile's headline table, alerts and monthly series
PROFILE_MEASURES = ("violence_with_injury", "violence_against_the_person")
ALERT_MEASURES = ("violence_with_injury", "violence_against_the_person", "robbery")
#: permutations and bootstrap replicates of the profile's hot spot and concentration figures
PROFILE_PERMUTATIONS = 999
PROFILE_BOOTSTRAP = 200
SDC_RULE: Literal["lt10"] = "lt10"


def boroughs() -> list[tuple[str, str]]:
    """(GSS code, name) of the 32 London boroughs (the 32 Community Safety Partnerships)."""
    from vrkit.catalog.areas import borough_names

    return sorted(
        ((c, n) for c, n in borough_names().items() if c.startswith("E09") and c != "E09000001"),
        key=lambda cn: cn[1],
    )


def resolve_borough_code(area: str) -> tuple[str, str]:
    from vrkit.catalog.areas import resolve_borough

    hit = resolve_borough(area)
    if hit is None or hit[2] != "lad" or hit[0] == "E09000001":
        raise InputError(
            f"{area!r} is not one of the 32 London boroughs",
            hint="Give a borough name or its GSS code (E09...).",
        )
    return hit[0], hit[1]


# -- the local violence profile ----------------------------------------------------------------
def _records(frame: pd.DataFrame, cols: list[str]) -> list[dict[str, Any]]:
    have = [c for c in cols if c in frame.columns]
    out = []
    for r in frame[have].to_dict("records"):
        out.append(
            {
                k: (None if isinstance(v, float) and math.isnan(v) else jsonable(v))
                for k, v in r.items()
            }
        )
    return out


#: alert tests of all boroughs, by (data version, measure, month): one test serves 32 profiles
_ALERTS: dict[tuple[str, str, str], list[dict[str, Any]] | str] = {}


def _alerts(wh: Any, borough_code: str, month: str, public: bool) -> dict[str, Any]:
    """Early warning for the borough in ``month``: the improved Farrington test across the 32
    boroughs (as ``vrkit alerts --geography borough``), the borough's rows kept."""
    from vrkit.analysis.early_warning import detect_exceedances
    from vrkit.store.queries import monthly_by_geography

    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for m in ALERT_MEASURES:
        key = (_data_version(wh), m, month)
        if key not in _ALERTS:
            try:
                counts, _names = monthly_by_geography(wh, m, "borough")
                _ALERTS[key] = detect_exceedances(counts, month).records()
            except VrkitError as exc:
                _ALERTS[key] = exc.message
        found = _ALERTS[key]
        if isinstance(found, str):
            notes.append(f"{m}: not tested ({found})")
            continue
        for r in found:
            if r["area_code"] == borough_code:
                rows.append(
                    {
                        "measure": m,
                        "month": r["month"],
                        "observed": r["observed"],
                        "expected": r["expected"],
                        "threshold": r.get("threshold"),
                        "alert": bool(r.get("alert")),
                        "alert_fdr": bool(r.get("alert_fdr")),
                    }
                )
    if public and rows:
        from vrkit.disclosure.sdc import protect

        obs = pd.Series([r["observed"] for r in rows], dtype="int64")
        pt = protect(obs, rule=SDC_RULE, margins=False)
        for i, r in enumerate(rows):
            if str(pt.published.iloc[i, 0]) == "*":
                r["observed"] = None
                r["suppressed"] = True
    return {
        "month": month,
        "method": "Improved Farrington (Noufaily et al. 2013) across the 32 boroughs, "
        "99 % threshold, Benjamini–Hochberg FDR 5 %; as `vrkit alerts --geography borough`.",
        "rows": rows,
        "notes": notes,
    }


def _data_version(wh: Any) -> str:
    """The warehouse's data version (as the portal's report cache keys it): the newest dataset
    id and the number of datasets loaded."""
    row = wh.con.execute("SELECT coalesce(max(dataset_id), 0), count(*) FROM dataset").fetchone()
    return f"{row[0]}-{row[1]}" if row else "0-0"


def local_profile(wh: Any, area: str, year: int, *, public: bool) -> dict[str, Any]:
    """The local violence profile of a borough for a plan year ``year`` (2021 = 2021/22): the
    latest complete calendar year before the plan starts (``year − 1``) against the year before,
    five years of trend, hot spots and the IMD gradient, and early-warning alerts for the March
    before the plan starts. ``public``: the disclosure-controlled edition (rule ``lt10``)."""
    from vrkit.reports.build.needs_assessment import build_needs_assessment
    from vrkit.reports.build.violent_crime import build_violent_crime_report
    from vrkit.reports.public.needs_assessment import make_public as public_needs_assessment
    from vrkit.reports.public.violent_crime import make_public as public_violent_crime

    code, name = resolve_borough_code(area)
    data_year = year - 1
    warnings: list[str] = []
    out: dict[str, Any] = {
        "edition": "public" if public else "full",
        "borough_code": code,
        "borough_name": name,
        "plan_year": year,
        "data_year": data_year,
        "compare_year": data_year - 1,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_version": _data_version(wh),
        "disclosure": None,
    }
    # headline figures and monthly trend (the Violent Crime Report's own tables)
    try:
        vcr = build_violent_crime_report(wh, year=data_year, area=code)
        if public:
            vcr = public_violent_crime(vcr, SDC_RULE)
        out["headline"] = _records(
            vcr.headline,
            [
                "measure",
                "label",
                "current",
                "previous",
                "change",
                "pct_change",
                "rate",
                "rate_lower",
                "rate_upper",
                "commentary",
                "suppressed",
                "blanked",
            ],
        )
        monthly = vcr.monthly[vcr.monthly["measure"].isin(PROFILE_MEASURES)]
        out["monthly"] = _records(
            monthly, ["measure", "label", "year", "month_num", "count", "suppressed"]
        )
        out["population_year"] = vcr.population_year
        warnings += list(vcr.caveats[:3])
        if public and vcr.disclosure:
            out["disclosure"] = vcr.disclosure.get("description")
        out["datasets"] = _records(vcr.datasets, ["file_name", "sha256", "used_for"])
    except VrkitError as exc:
        out["headline"], out["monthly"] = [], []
        warnings.append(f"Headline figures not computed: {exc.message}")
    # hot spots, concentration trend and the deprivation gradient (needs assessment)
    try:
        na = build_needs_assessment(
            wh,
            area=code,
            years=f"{data_year - 5}-{data_year}",
            permutations=PROFILE_PERMUTATIONS,
            n_bootstrap=PROFILE_BOOTSTRAP,
        )
        if public:
            na = public_needs_assessment(na, SDC_RULE)
        out["trend"] = _records(
            na.concentration, ["year", "crimes", "top_5pct_share", "gini", "suppressed", "blanked"]
        )
        hot = na.hotspots
        out["hotspots"] = {
            "measure": na.measure_label,
            "year": na.latest_year,
            "places": len(hot),
            "classes": {str(k): int(v) for k, v in hot["gi_class"].value_counts().items()},
            "top_places": _records(
                na.top_places,
                [
                    "rank",
                    "area_code",
                    "area_name",
                    "count",
                    "share",
                    "hotspot_class",
                    "ehsa_category",
                    "imd2019_decile",
                    "suppressed",
                    "blanked",
                ],
            ),
        }
        gap = {k: jsonable(v) for k, v in na.gap_summary.items()}
        for k, v in list(gap.items()):
            if isinstance(v, float) and math.isnan(v):
                gap[k] = None
        out["imd"] = {
            "by_decile": _records(
                na.deprivation,
                [
                    "decile",
                    "places",
                    "count",
                    "population",
                    "rate",
                    "rate_lower",
                    "rate_upper",
                    "suppressed",
                    "blanked",
                ],
            ),
            "summary": gap,
        }
        if gap.get("rate_ratio") is None:
            warnings.append(
                f"{name} has no LSOA in IMD decile 1 or 10 (or their counts are suppressed), "
                "so the decile 1 vs 10 rate ratio is not given; the table shows the gradient "
                "over the deciles present."
            )
        warnings += list(na.warnings)
        if public and na.disclosure and not out["disclosure"]:
            out["disclosure"] = na.disclosure.get("description")
        out["methods"] = [
            {"item": k, "value": v}
            for k, v in na.methods
            if k in ("Gi*", "Multiple testing", "Hot spot classes", "Deprivation", "Population")
        ]
    except VrkitError as exc:
        out["trend"], out["hotspots"], out["imd"] = [], None, None
        warnings.append(f"Hot spots and deprivation not computed: {exc.message}")
    out["alerts"] = _alerts(wh, code, f"{year}-03", public)
    out["warnings"] = list(dict.fromkeys(str(w) for w in warnings))
    return jsonable(out)


def refresh_profile(
    s: Session, who: Principal, wh: Any, plan: ActionPlan, *, ip: str | None = None
) -> ActionPlan:
    """Recompute both editions of the plan's profile from the warehouse and store them."""
    full = local_profile(wh, plan.borough_code, plan.year, public=False)
    public = local_profile(wh, plan.borough_code, plan.year, public=True)
    wf.set_profile(s, who, plan, full, public, ip=ip)
    return plan


# -- plans -------------------------------------------------------------------------------------
def create_plans(
    s: Session, who: Principal, year: int, *, areas: list[str] | None = None
) -> list[ActionPlan]:
    """A draft plan for each borough (or those given) that has none for ``year``."""
    out = []
    wanted = [resolve_borough_code(a) for a in areas] if areas else boroughs()
    for code, name in wanted:
        if wf.get_plan(s, code, year) is None:
            out.append(wf.create_plan(s, who, code, name, year))
    return out


def plans_for(
    s: Session, who: Principal, year: int | None
) -> tuple[int, list[int], list[tuple[str, str, ActionPlan | None]]]:
    """The 32 boroughs' plans for ``year`` (default the latest year with plans) as the caller may
    see them: (year, every year with plans, [(borough code, name, plan or None)]). A plan is
    given when it is published, or when the policy gives the caller its full edition (its
    partnership, the reviewers); otherwise None, as if there were none."""
    from vrkit.ops.plans.policy import PLAN, PLANS_VIEW

    years = wf.plan_years(s)
    y = year or (years[0] if years else date.today().year)
    found = {x.borough_code: x for x in wf.all_plans(s, y)}
    out: list[tuple[str, str, ActionPlan | None]] = []
    for code, name in boroughs():
        plan = found.get(code)
        full = who.has(PLANS_VIEW) and who.edition(PLAN, frozenset({code})) == "full"
        out.append((code, name, plan if plan and (plan.status == "published" or full) else None))
    return y, years, out


def get_plan(s: Session, area: str, year: int) -> ActionPlan:
    code, name = resolve_borough_code(area)
    plan = wf.get_plan(s, code, year)
    if plan is None:
        raise InputError(f"{name} has no plan for {wf.fy_label(year)}")
    return plan


def plan_document(s: Session, plan: ActionPlan, *, public: bool) -> dict[str, Any]:
    """The plan as one document in an edition. The public edition exists only for a published
    plan: its public fields, priorities and actions, and the disclosure-controlled profile (no
    comments, no internal fields)."""
    from vrkit.ops.programme_links import programmes

    if public and plan.status != "published":
        raise InputError(f"the {plan.borough_name} plan is not published")
    t = template()
    progs = programmes(s)
    sections = []
    for sec in t.sections:
        vals = (plan.sections or {}).get(sec.id, {})
        fields = [
            {
                "id": f.id,
                "label": f.label,
                "type": f.type,
                "required": f.required,
                "public": f.public,
                "value": vals.get(f.id, ""),
                "guidance": f.guidance,
            }
            for f in sec.fields
            if f.public or not public
        ]
        sections.append(
            {
                "id": sec.id,
                "title": sec.title,
                "kind": sec.kind,
                "guidance": sec.guidance,
                "fields": fields,
            }
        )
    prio = {p.id: p.title for p in plan.priorities}
    today = date.today()
    doc: dict[str, Any] = {
        "borough_code": plan.borough_code,
        "borough_name": plan.borough_name,
        "year": plan.year,
        "financial_year": wf.fy_label(plan.year),
        "status": plan.status,
        "status_label": wf.STATUSES[plan.status],
        "template": {"id": plan.template_id, "version": plan.template_version},
        "edition": "public" if public else "full",
        "data_label": plan.data_label,
        "published_at": plan.published_at,
        "updated_at": plan.updated_at,
        "sections": sections,
        "priorities": [
            {"id": p.id, "title": p.title, "rationale": p.rationale} for p in plan.priorities
        ],
        "actions": [
            {
                "id": a.id,
                "title": a.title,
                "description": a.description,
                "priority": prio.get(a.priority_id) if a.priority_id else None,
                "priority_id": a.priority_id,
                "theme": a.theme,
                "theme_label": t.theme_label(a.theme),
                "owner": a.owner,
                "partners": a.partners,
                "due_date": a.due_date,
                "status": a.status,
                "status_label": t.status_label(a.status),
                "overdue": wf.is_overdue(a, today),
                "programmes": [
                    {
                        "ref": r,
                        "name": progs[r].name if r in progs else None,
                        "url": progs[r].url if r in progs else None,
                    }
                    for r in a.programme_refs
                ],
                "measures": a.measures,
            }
            for a in plan.actions
        ],
        "profile": plan.profile_public if public else plan.profile_full,
        "profile_refreshed_at": plan.profile_refreshed_at,
    }
    if not public:
        doc["id"] = plan.id
        doc["version"] = plan.version
        doc["comments"] = [
            {
                "id": c.id,
                "author": c.author,
                "role": c.author_role,
                "section": c.section_id,
                "body": c.body,
                "status_at": c.status_at,
                "at": c.created_at,
            }
            for c in plan.comments
        ]
        doc["problems"] = wf.problems(plan)
        doc["history"] = [
            {
                "at": e.at,
                "who": e.user_email,
                "role": e.role,
                "action": e.action,
                "detail": e.detail,
            }
            for e in wf.history(s, plan)
        ]
    return jsonable(doc)


@dataclass
class Progress:
    year: int
    plans: pd.DataFrame
    actions: pd.DataFrame
    by_status: pd.DataFrame
    by_theme: pd.DataFrame
    overdue: pd.DataFrame
    notes: list[str]

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "year": self.year,
                "financial_year": wf.fy_label(self.year),
                "plans": self.plans.to_dict("records"),
                "actions_by_status": self.by_status.to_dict("records"),
                "actions_by_theme": self.by_theme.to_dict("records"),
                "overdue": self.overdue.to_dict("records"),
                "notes": self.notes,
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "plans": self.plans,
            "actions by status": self.by_status,
            "actions by theme": self.by_theme,
            "overdue actions": self.overdue,
            "all actions": self.actions,
        }


def progress(s: Session, year: int, *, today: date | None = None) -> Progress:
    """Across the 32 plans of a year: each plan's state, actions by status and theme, overdue
    actions. Boroughs without a plan are listed as such, never left out."""
    t = template()
    today = today or date.today()
    plans = {p.borough_code: p for p in wf.all_plans(s, year)}
    rows, actions = [], []
    for code, name in boroughs():
        p = plans.get(code)
        acts = p.actions if p else []
        st = Counter(a.status for a in acts)
        rows.append(
            {
                "borough_code": code,
                "borough": name,
                "status": wf.STATUSES[p.status] if p else "No plan",
                "actions": len(acts),
                **{t.status_label(c): st.get(c, 0) for c, _ in t.action_statuses},
                "overdue": sum(wf.is_overdue(a, today) for a in acts),
                "published": p.published_at.date().isoformat() if p and p.published_at else None,
                "data_label": p.data_label if p else "",
            }
        )
        for a in acts:
            actions.append(
                {
                    "borough": name,
                    "plan_status": wf.STATUSES[p.status] if p else "",
                    "action": a.title,
                    "theme": t.theme_label(a.theme),
                    "owner": a.owner,
                    "partners": "; ".join(a.partners),
                    "due_date": a.due_date,
                    "status": t.status_label(a.status),
                    "overdue": wf.is_overdue(a, today),
                    "programmes": "; ".join(a.programme_refs),
                    "measures": "; ".join(a.measures),
                }
            )
    plan_frame = pd.DataFrame(rows)
    act = pd.DataFrame(actions)
    labels = [lab for _, lab in t.action_statuses]
    if act.empty:
        by_status = pd.DataFrame({"status": labels, "actions": [0] * len(labels)})
        by_theme = pd.DataFrame({"theme": [lab for _, lab in t.themes]})
        overdue = pd.DataFrame(columns=["borough", "action", "owner", "due_date", "status"])
    else:
        by_status = (
            act["status"]
            .value_counts()
            .reindex(labels, fill_value=0)
            .rename_axis("status")
            .reset_index(name="actions")
        )
        by_theme = (
            pd.crosstab(act["theme"], act["status"])
            .reindex(index=[lab for _, lab in t.themes], columns=labels, fill_value=0)
            .rename_axis(index="theme", columns=None)
            .reset_index()
        )
        by_theme["total"] = by_theme[labels].sum(axis=1)
        by_theme["overdue"] = [
            int(act[(act["theme"] == th) & act["overdue"]].shape[0]) for th in by_theme["theme"]
        ]
        overdue = act[act["overdue"]][["borough", "action", "theme", "owner", "due_date", "status"]]
        overdue = overdue.sort_values(["due_date", "borough"]).reset_index(drop=True)
    notes = [
        f"Overdue: due before {today:%d %B %Y} and neither complete nor cancelled.",
        f"{sum(1 for r in rows if r['status'] == 'No plan')} borough(s) have no plan for "
        f"{wf.fy_label(year)}.",
    ]
    if any(r["data_label"] for r in rows):
        notes.append("Plans marked DEMO are demonstration content, not any borough's real plan.")
    return Progress(year, plan_frame, act, by_status, by_theme, overdue, notes)


def write_plan(
    s: Session,
    plan: ActionPlan,
    out: Path,
    *,
    public: bool,
    formats: tuple[str, ...] = ("html", "xlsx", "json"),
) -> list[Path]:
    """The plan as printable HTML, XLSX and JSON (edition by ``public``)."""
    import json

    from vrkit.reports.plans import plan_html, plan_xlsx

    doc = plan_document(s, plan, public=public)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"action-plan-{plan.borough_name.lower().replace(' ', '-')}-{plan.year}"
    paths = []
    if "html" in formats:
        p = out / f"{stem}.html"
        p.write_text(plan_html(doc, template()), encoding="utf-8")
        paths.append(p)
    if "xlsx" in formats:
        paths.append(plan_xlsx(doc, out / f"{stem}.xlsx"))
    if "json" in formats:
        p = out / f"{stem}.json"
        p.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
        paths.append(p)
    return paths


def progress_table(s: Session, year: int) -> TableResult:
    pr = progress(s, year)
    return TableResult(
        f"Action plans {wf.fy_label(year)}: progress", pr.plans.to_dict("records"), pr.notes
    )


# -- demonstration plans -----------------------------------------------------------------------
DEMO = "DEMO"
#: the workflow state of each demonstration plan, cycling over the boroughs
DEMO_STATES = ("published", "draft", "submitted", "in_review", "changes_requested", "revised")

_DEMO_ACTIONS = {
    "analysis-enforcement": (
        "Monthly partnership problem-solving on the borough's hot spots",
        "Community Safety analyst",
        ["Metropolitan Police BCU"],
    ),
    "weapons": (
        "Weapons sweeps and knife-bin review in the hot spot LSOAs",
        "Metropolitan Police BCU",
        ["Council parks and estates teams"],
    ),
    "safeguarding-education": (
        "Inclusion support for pupils at risk of exclusion",
        "Head of Inclusion, Children's Services",
        ["Schools", "PRU"],
    ),
    "communities": (
        "Community grants for grassroots youth groups in priority wards",
        "Community Safety Manager",
        ["Voluntary and community sector forum"],
    ),
    "victims": (
        "Hospital-based youth work referral pathway from the emergency department",
        "NHS Trust violence reduction lead",
        ["Youth service"],
    ),
    "diversion-prevention": (
        "Custody and street diversion referrals to mentoring",
        "Youth Offending Service",
        ["Metropolitan Police BCU", "Mentoring provider"],
    ),
    "strategic-links": (
        "Joint reporting to the Safeguarding Children Partnership",
        "Head of Community Safety",
        ["Safeguarding Children Partnership"],
    ),
}


def _demo_sections(name: str) -> dict[str, dict[str, str]]:
    d = "DEMO text for {0}: a demonstration of the template, not the borough's plan."
    return {
        "profile": {
            "interpretation": d.format(name) + " Violence concentrates in a few "
            "neighbourhoods and in the evening economy; see the profile above."
        },
        "partnership": {
            "lead": "Head of Community Safety",
            "board": f"{name} Community Safety Partnership board",
            "strategic_links": d.format(name) + " Reports go to the Safeguarding Children "
            "Partnership, the Safeguarding Adults Board and the Health and Wellbeing Board.",
            "internal_notes": "DEMO internal note: not published.",
        },
        "approach": {f.id: d.format(name) for f in template().section("approach").fields},
        "funding": {"vru_allocation": "250000", "other_funding": "DEMO: council match funding."},
    }


def seed_demo_plans(
    s: Session,
    who: Principal,
    year: int,
    *,
    wh: Any | None = None,
    profiles: bool = True,
    seed: int = 17,
    programme_refs: list[str] | None = None,
) -> dict[str, Any]:
    """A DEMO plan for every borough for ``year``, cycling through the workflow states (each
    state reached through the workflow itself, so the audit log holds every step), with
    priorities, actions (some overdue), comments from the review, linked programmes and, where
    a warehouse is given and ``profiles``, the computed profile (needed before submission);
    without, the DEMO plans move through the workflow first and their profiles are computed
    later (``make serve`` queues them). Plans that already exist are left alone."""
    from vrkit.ops.programme_links import programmes

    rng = random.Random(seed)
    t = template()
    vru = Principal(role="vru_analyst", email="demo-reviewer@vru.example", name="DEMO reviewer")
    refs = programme_refs if programme_refs is not None else sorted(programmes(s))
    made: Counter[str] = Counter()
    for i, (code, name) in enumerate(boroughs()):
        if wf.get_plan(s, code, year) is not None:
            continue
        target = DEMO_STATES[i % len(DEMO_STATES)]
        csp = Principal(
            role="csp_analyst",
            email=f"demo-csp@{code.lower()}.example",
            name=f"DEMO {name} partnership",
            scopes=frozenset({("borough", code)}),
        )
        plan = wf.create_plan(s, who, code, name, year, data_label=DEMO)
        for sid, vals in _demo_sections(name).items():
            wf.set_fields(s, csp, plan, sid, vals)
        pr = [
            wf.add_priority(s, csp, plan, title, f"DEMO: from the {name} profile.")
            for title in (
                "Reduce violence with injury in the hot spot neighbourhoods",
                "Keep young people in education and away from exploitation",
                "Support victims and break cycles of violence",
            )
        ]
        themes = [c for c, _ in t.themes]
        for j, theme in enumerate(rng.sample(themes, 4)):
            title, owner, partners = _DEMO_ACTIONS[theme]
            start = date(year, 4, 1) + timedelta(days=60)
            span = max((date.today() + timedelta(days=365) - start).days, 60)
            due = start + timedelta(days=rng.randint(0, span))
            status = rng.choice(
                ("not_started", "on_track", "on_track", "at_risk", "delayed", "complete")
            )
            wf.add_action(
                s,
                csp,
                plan,
                {
                    "title": title,
                    "description": f"DEMO action for {name}.",
                    "theme": theme,
                    "owner": owner,
                    "partners": partners,
                    "due_date": due.isoformat(),
                    "status": status,
                    "priority_id": pr[j % len(pr)].id,
                    "programme_refs": [rng.choice(refs)] if refs and rng.random() < 0.5 else [],
                    "measures": ["violence_with_injury"] if j == 0 else ["Referrals to mentoring"],
                },
            )
        if wh is not None and profiles and target != "draft":
            refresh_profile(s, csp, wh, plan)
        _walk(s, csp, vru, plan, target, need_profile=profiles and wh is not None)
        made[target] += 1
    return {"year": year, "created": dict(made)}


def _walk(
    s: Session, csp: Principal, vru: Principal, plan: ActionPlan, target: str, *, need_profile: bool
) -> None:
    """Take a DEMO plan through the workflow to ``target`` (each step audited)."""
    if target == "draft":
        return
    steps = {
        "submitted": [("submit", "")],
        "in_review": [("submit", ""), ("start_review", "")],
        "changes_requested": [
            ("submit", ""),
            ("start_review", ""),
            (
                "request_changes",
                "DEMO review: please link the actions to the "
                "hot spots named in the profile, and add measures.",
            ),
        ],
        "revised": [
            ("submit", ""),
            ("start_review", ""),
            ("request_changes", "DEMO review: the weapons section needs owners."),
            ("resubmit", ""),
        ],
        "published": [("submit", ""), ("start_review", ""), ("publish", "")],
    }[target]
    for name, comment in steps:
        actor = csp if name in ("submit", "resubmit") else vru
        wf.move(s, actor, plan, name, comment=comment, require_profile=need_profile)

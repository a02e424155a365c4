"""The annual-report delivery tables of a financial year: funding by source, expenditure by
theme, programmes by theme and objective, reach against targets, the year's snapshot and the
multi-year view (``vrkit programmes report``; the portal's delivery report)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from vrkit.catalog.delivery import deduplication_rules, theme_labels
from vrkit.catalog.money import (
    RoundedTable,
    fy_label,
    fy_slug,
    millions,
    rounded_table,
)
from vrkit.errors import InputError
from vrkit.ops.delivery import finance, returns
from vrkit.ops.delivery.models import FundingSource, Programme, StatedFigure
from vrkit.tasks.delivery._common import DeliveryResult, frame_records, jsonable

#: published tables: £m to one decimal place
DP = 1


def _rounded_frame(t: RoundedTable, key: str) -> pd.DataFrame:
    rows = [
        {
            key: r.label,
            "amount_pence": r.pence,
            "amount_gbp_m": r.rounded,
        }
        for r in t.rows
    ]
    return pd.DataFrame(rows, columns=[key, "amount_pence", "amount_gbp_m"])


def _total_dict(t: RoundedTable) -> dict[str, Any]:
    return {
        "total_pence": t.total_pence,
        "total_gbp_m": t.total_rounded,
        "parts_sum_pence": t.parts_sum_pence,
        "parts_sum_gbp_m": t.parts_sum_rounded,
        "adds_up": t.adds_up,
        "unattributed_pence": t.unattributed_pence,
        "note": t.note,
    }


@dataclass
class DeliveryTables(DeliveryResult):
    """The delivery tables of one financial year (see the module docstring)."""

    FORMATS: ClassVar[tuple[str, ...]] = ("html", "xlsx", "json")
    financial_year: int = 0
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    funding: pd.DataFrame = field(default_factory=pd.DataFrame)
    funding_total: RoundedTable | None = None
    themes: pd.DataFrame = field(default_factory=pd.DataFrame)
    themes_total: RoundedTable | None = None
    themes_basis: str = ""
    by_theme_objective: pd.DataFrame = field(default_factory=pd.DataFrame)
    portfolio: pd.DataFrame = field(default_factory=pd.DataFrame)
    targets: pd.DataFrame = field(default_factory=pd.DataFrame)
    reach: pd.DataFrame = field(default_factory=pd.DataFrame)
    snapshot: pd.DataFrame = field(default_factory=pd.DataFrame)
    multi_year: pd.DataFrame = field(default_factory=pd.DataFrame)
    deduplication: dict[str, str] = field(default_factory=dict)
    data_labels: list[str] = field(default_factory=list)

    @property
    def year_label(self) -> str:
        return fy_label(self.financial_year)

    @property
    def file_stem(self) -> str:
        return f"delivery-{fy_slug(self.financial_year)}"

    def to_frame(self) -> pd.DataFrame:
        return self.funding

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "report": "Delivery tables",
                "financial_year": self.year_label,
                "generated_at": self.generated_at,
                "unit": "GBP m, rounded half up to one decimal place (exact pence alongside)",
                "data_labels": self.data_labels,
                "funding_by_source": {
                    "rows": frame_records(self.funding),
                    **(_total_dict(self.funding_total) if self.funding_total else {}),
                },
                "expenditure_by_theme": {
                    "basis": self.themes_basis,
                    "rows": frame_records(self.themes),
                    **(_total_dict(self.themes_total) if self.themes_total else {}),
                },
                "programmes_by_theme_and_objective": frame_records(self.by_theme_objective),
                "programmes": frame_records(self.portfolio),
                "reach_against_targets": frame_records(self.targets),
                "reach_breakdown": frame_records(self.reach),
                "snapshot": frame_records(self.snapshot),
                "multi_year": frame_records(self.multi_year),
                "deduplication_rules": self.deduplication,
                "notes": self.notes,
            }
        )

    def write_all(self, out_dir: Path, formats: list[str]) -> list[Path]:
        from vrkit.reports.delivery import write_delivery_tables

        bad = [f for f in formats if f not in self.FORMATS]
        if bad:
            raise InputError(f"unknown format(s) {', '.join(bad)}", hint="Use html, xlsx, json.")
        return write_delivery_tables(self, out_dir, formats)


def _funding(s: Session, fy: int) -> tuple[pd.DataFrame, RoundedTable | None]:
    rows = []
    srcs = {x.id: x for x in s.scalars(select(FundingSource))}
    for b in finance.budgets(s, fy):
        rows.append((srcs[b.funding_source_id], b))
    if not rows:
        return pd.DataFrame(columns=["source", "amount_pence", "amount_gbp_m"]), None
    t = rounded_table([(src.name, b.amount_pence) for src, b in rows], dp=DP, what="sources")
    frame = _rounded_frame(t, "source")
    frame["source_code"] = [src.code for src, _ in rows]
    frame["basis"] = [b.basis for _, b in rows]
    frame["in_year_rule"] = [src.must_spend_in_year for src, _ in rows]
    frame["note"] = [b.note for _, b in rows]
    frame["source_ref"] = [b.source_ref for _, b in rows]
    return frame, t


def _themes(
    s: Session, fy: int, total: int | None
) -> tuple[pd.DataFrame, RoundedTable | None, str]:
    labels = theme_labels()
    allocs = finance.allocations(s, fy)
    if allocs:
        parts = [(labels.get(a.theme, a.theme), a.amount_pence) for a in allocs]
        t = rounded_table(parts, total=total, dp=DP, what="themes")
        frame = _rounded_frame(t, "theme")
        frame["theme_code"] = [a.theme for a in allocs]
        frame["basis"] = [a.basis for a in allocs]
        frame["note"] = [a.note for a in allocs]
        frame["source_ref"] = [a.source_ref for a in allocs]
        return frame, t, "theme allocations of the year's budget (as recorded)"
    prof = finance.profile(s, fy)
    if not prof:
        return (
            pd.DataFrame(columns=["theme", "amount_pence", "amount_gbp_m"]),
            None,
            "no allocations or programme profiles recorded",
        )
    progs = {p.id: p for p in s.scalars(select(Programme))}
    by: dict[str, int] = defaultdict(int)
    for k, v in prof.items():
        by[progs[k[0]].theme] += v
    order = [c for c in labels if c in by]
    t = rounded_table([(labels[c], by[c]) for c in order], total=total, dp=DP, what="themes")
    frame = _rounded_frame(t, "theme")
    frame["theme_code"] = order
    return frame, t, "programme profiles (committed budget) by the programme's theme"


def _by_theme_objective(progs: list[Programme]) -> pd.DataFrame:
    labels = theme_labels()
    rows = []
    for code, label in labels.items():
        sub = [p for p in progs if p.theme == code]
        if not sub:
            continue
        row: dict[str, Any] = {"theme": label, "programmes": len(sub)}
        for n in range(1, 9):
            row[f"objective_{n}"] = sum(1 for p in sub if n in p.objectives)
        row["objective_not_stated"] = sum(1 for p in sub if not p.objectives)
        row["objective_inferred"] = sum(1 for p in sub if p.objectives and p.objectives_inferred)
        rows.append(row)
    if rows:
        total: dict[str, Any] = {"theme": "All themes"}
        for k in rows[0]:
            if k != "theme":
                total[k] = sum(r[k] for r in rows)
        rows.append(total)
    return pd.DataFrame(rows)


def _multi_year(s: Session, first: int = 2018) -> pd.DataFrame:
    rows = []
    stated = {
        (f.financial_year, f.metric): f
        for f in s.scalars(
            select(StatedFigure).where(StatedFigure.metric.like("Total VRU budget%"))
        )
    }
    srcs = {x.id: x for x in s.scalars(select(FundingSource))}
    by_year: dict[int, list[Any]] = defaultdict(list)
    for b in finance.budgets(s):
        if b.financial_year >= first:
            by_year[b.financial_year].append(b)
    for fy in sorted(by_year):
        bs = by_year[fy]
        known = [b.amount_pence for b in bs if b.amount_pence is not None]
        unknown = [srcs[b.funding_source_id].name for b in bs if b.amount_pence is None]
        for b in bs:
            rows.append(
                {
                    "financial_year": fy_label(fy),
                    "source": srcs[b.funding_source_id].name,
                    "amount_pence": b.amount_pence,
                    "amount_gbp_m": None
                    if b.amount_pence is None
                    else millions(b.amount_pence, DP),
                    "basis": b.basis,
                    "note": b.note,
                }
            )
        st = next((f for (y, _), f in stated.items() if y == fy), None)
        rows.append(
            {
                "financial_year": fy_label(fy),
                "source": "Total" + (" (incomplete)" if unknown else ""),
                "amount_pence": sum(known),
                "amount_gbp_m": millions(sum(known), DP),
                "basis": "sum of the sources"
                + (f"; no amount recorded for {', '.join(unknown)}" if unknown else ""),
                "note": ""
                if st is None
                else f"stated total {st.value.normalize()} {st.unit} ({st.source_ref})",
            }
        )
    return pd.DataFrame(rows)


def _snapshot(
    s: Session, fy: int, funding_total: RoundedTable | None, n_portfolio: int, targets: pd.DataFrame
) -> pd.DataFrame:
    out = returns.outputs_frame(s, fy)
    reached_new = (
        out[out["measure_code"] == "people_reached_new"]["value"].sum() if not out.empty else None
    )
    reached_ind = (
        out[out["measure_code"] == "people_reached_indirect"]["value"].sum()
        if not out.empty
        else None
    )
    rows = []
    figures = list(
        s.scalars(
            select(StatedFigure)
            .where(
                StatedFigure.financial_year == fy,
                StatedFigure.figure_group.in_(("snapshot box", "headline")),
            )
            .order_by(StatedFigure.id)
        )
    )
    for f in figures:
        m = f.metric.lower()
        computed: Any = None
        basis = ""
        if (
            m.startswith("total vru invested")
            and funding_total is not None
            and funding_total.total_rounded is not None
        ):
            computed = funding_total.total_rounded
            basis = "sum of the year's budgets by funding source (£m)"
        elif m.startswith("programmes and projects commissioned"):
            computed = n_portfolio
            basis = "delivery items in vrkit's register (the published figure is not broken down)"
        elif m.startswith("people reached directly and indirectly"):
            if reached_new is not None:
                computed = int(reached_new) + int(reached_ind or 0)
                basis = "participants plus people reached indirectly, from current returns"
            else:
                basis = "no returns in vrkit"
        elif m.startswith("young people supported") and "home office" in m and not targets.empty:
            t = targets[targets["measure_code"] == "young_people_supported"]
            if not t.empty:
                row = t.iloc[0]
                computed = row["target"] if "anticipated" in m else row["achieved"]
                basis = "target" if "anticipated" in m else str(row["basis"])
        stated = Decimal(f.value).normalize()
        agrees = None if computed is None else Decimal(str(computed)) == stated
        rows.append(
            {
                "group": f.figure_group,
                "metric": f.metric,
                "stated": stated,
                "unit": f.unit,
                "as_printed": f.as_printed,
                "period": f.period,
                "vrkit": computed,
                "vrkit_basis": basis,
                "agrees": agrees,
                "source_ref": f.source_ref,
                "note": f.note,
            }
        )
    return pd.DataFrame(rows)


def latest_year(s: Session) -> int | None:
    """The latest financial year with a profile, return, target or theme allocation (else with a
    budget; None: nothing recorded)."""
    from sqlalchemy import func

    from vrkit.ops.delivery.models import (
        Budget,
        Commitment,
        MonitoringReturn,
        Target,
        ThemeAllocation,
    )

    for group in ((Commitment, MonitoringReturn, Target, ThemeAllocation), (Budget,)):
        years = [s.scalar(select(func.max(t.financial_year))) for t in group]
        known = [int(y) for y in years if y is not None]
        if known:
            return max(known)
    return None


def delivery_tables(s: Session, financial_year: int) -> DeliveryTables:
    """Build the delivery tables of ``financial_year`` from the operational database.

    Raises
    ------
    InputError
        Nothing is recorded for the year (no budget, allocation, programme profile or target).
    """
    fy = financial_year
    funding, ft = _funding(s, fy)
    total = ft.total_pence if ft is not None else None
    themes, tt, basis = _themes(s, fy, total)
    progs = [p for p in s.scalars(select(Programme).order_by(Programme.ref)) if p.in_portfolio]
    targets = returns.progress_frame(s, fy)
    if ft is None and tt is None and targets.empty:
        raise InputError(
            f"nothing is recorded for {fy_label(fy)}: no budgets, allocations, programme profiles or targets",
            hint="Import the year's data first (`vrkit programmes import`).",
        )
    portfolio = pd.DataFrame(
        [
            {
                "ref": p.ref,
                "programme": p.name,
                "kind": p.kind,
                "theme": theme_labels().get(p.theme, p.theme),
                "objectives": ";".join(map(str, p.objectives)),
                "objectives_inferred": p.objectives_inferred,
                "status": p.status,
                "evaluation_status": p.evaluation_status,
                "data_label": p.data_label,
            }
            for p in progs
        ]
    )
    notes = []
    if ft is not None and ft.note:
        notes.append("Funding by source: " + ft.note)
    if tt is not None and tt.note:
        notes.append("Expenditure by theme: " + tt.note)
    stated_theme_total = s.scalar(
        select(StatedFigure).where(
            StatedFigure.financial_year == fy,
            StatedFigure.metric == "Expenditure by theme: published total",
        )
    )
    if stated_theme_total is not None and tt is not None and tt.total_rounded is not None:
        pub = Decimal(stated_theme_total.value).normalize()
        if pub != tt.total_rounded:
            notes.append(
                f"The published expenditure-by-theme total is {pub}, not the year's budget {tt.total_rounded}."
            )
    labels = sorted({p.data_label for p in progs if p.data_label})
    if labels:
        notes.insert(0, f"Contains {', '.join(labels)} data: not real programmes or money.")
    reach = returns.reach_frame(s, fy)
    n_returns = int(returns.outputs_frame(s, fy)["programme_id"].nunique())
    notes.append(
        f"Outputs come from the current revision of each monitoring return ({n_returns} programme(s) "
        f"with returns in {fy_label(fy)})."
    )
    return DeliveryTables(
        title=f"Delivery tables {fy_label(fy)}",
        notes=notes,
        financial_year=fy,
        funding=funding,
        funding_total=ft,
        themes=themes,
        themes_total=tt,
        themes_basis=basis,
        by_theme_objective=_by_theme_objective(progs),
        portfolio=portfolio,
        targets=targets,
        reach=reach,
        snapshot=_snapshot(s, fy, ft, len(progs), targets),
        multi_year=_multi_year(s),
        deduplication=deduplication_rules(),
        data_labels=labels,
    )


__all__ = ["DeliveryTables", "delivery_tables"]

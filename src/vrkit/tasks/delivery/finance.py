"""Money tasks: budgets, the finance dashboard (budget vs forecast vs actual by source, theme
and quarter, with underspend risk), recording spend and forecasts, and reprofiling."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from sqlalchemy.orm import Session

from vrkit.catalog.money import fmt_gbp, fy_label, fy_slug, millions, pence
from vrkit.errors import InputError
from vrkit.ops.delivery import finance, register
from vrkit.ops.delivery.models import Forecast, Reprofile, Spend
from vrkit.ops.roles import Principal
from vrkit.tasks.delivery._common import DeliveryResult, frame_records, jsonable

RISK_ORDER = {"high": 0, "medium": 1, "low": 2, "none": 3}


@dataclass
class Budgets(DeliveryResult):
    """Budgets by funding source and year (the multi-year view when no year is given)."""

    frame: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_frame(self) -> pd.DataFrame:
        return self.frame


def budgets(s: Session, financial_year: int | None = None) -> Budgets:
    rows = []
    srcs = {x.id: x for x in register.sources(s)}
    for b in finance.budgets(s, financial_year):
        src = srcs[b.funding_source_id]
        rows.append(
            {
                "financial_year": fy_label(b.financial_year),
                "source_code": src.code,
                "source": src.name,
                "amount_pence": b.amount_pence,
                "amount_gbp": None if b.amount_pence is None else fmt_gbp(b.amount_pence),
                "amount_gbp_m": None if b.amount_pence is None else millions(b.amount_pence),
                "basis": b.basis,
                "must_spend_in_year": src.must_spend_in_year,
                "note": b.note,
            }
        )
    title = "Budgets" + (f" {fy_label(financial_year)}" if financial_year else ", every year")
    return Budgets(title=title, frame=pd.DataFrame(rows))


def reprofile_dict(rp: Reprofile, names: dict[int, str], srcs: dict[int, str]) -> dict[str, Any]:
    return {
        "id": rp.id,
        "status": rp.status,
        "reason": rp.reason,
        "requested_by": rp.requested_by,
        "requested_at": rp.requested_at,
        "decided_by": rp.decided_by,
        "decided_at": rp.decided_at,
        "decision_note": rp.decision_note,
        "reversed_by": rp.reversed_by,
        "reversed_at": rp.reversed_at,
        "reverse_reason": rp.reverse_reason,
        "version": rp.version,
        "lines": [
            {
                "programme_ref": names.get(x.programme_id, str(x.programme_id)),
                "source": srcs.get(x.funding_source_id, str(x.funding_source_id)),
                "financial_year": fy_label(x.financial_year),
                "quarter": x.quarter,
                "change_pence": x.delta_pence,
                "change": fmt_gbp(x.delta_pence),
            }
            for x in rp.lines
        ],
    }


@dataclass
class FinanceDashboard(DeliveryResult):
    """Budget vs forecast vs actual for a year, by source, theme, quarter and programme."""

    FORMATS: ClassVar[tuple[str, ...]] = ("html", "xlsx", "json", "csv")
    financial_year: int = 0
    as_of: int = 0
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    by_source: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_theme: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_quarter: pd.DataFrame = field(default_factory=pd.DataFrame)
    programmes: pd.DataFrame = field(default_factory=pd.DataFrame)
    reprofiles: list[dict[str, Any]] = field(default_factory=list)
    chart_svg: str = ""

    @property
    def file_stem(self) -> str:
        return f"finance-{fy_slug(self.financial_year)}"

    def to_frame(self) -> pd.DataFrame:
        return self.programmes

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "report": "Finance dashboard",
                "financial_year": fy_label(self.financial_year),
                "actual_reported_to_quarter": self.as_of,
                "generated_at": self.generated_at,
                "amounts": "pence",
                "by_source": frame_records(self.by_source),
                "by_theme": frame_records(self.by_theme),
                "by_quarter": frame_records(self.by_quarter),
                "programmes": frame_records(self.programmes),
                "reprofiles": self.reprofiles,
                "definitions": finance.__doc__.split("Definitions", 1)[1].strip()
                if finance.__doc__
                else "",
                "notes": self.notes,
            }
        )

    def write_all(self, out_dir: Path, formats: list[str]) -> list[Path]:
        from vrkit.reports.delivery import write_finance_dashboard

        bad = [f for f in formats if f not in ("html", "xlsx", "json")]
        if bad:
            raise InputError(f"unknown format(s) {', '.join(bad)}", hint="Use html, xlsx, json.")
        return write_finance_dashboard(self, out_dir, formats)


def _chart(by_source: pd.DataFrame, year: str) -> str:
    import altair as alt

    from vrkit.reports.render.charts import OKABE_ITO, base_config, to_svg

    if by_source.empty:
        return ""
    rows = []
    for r in by_source.to_dict("records"):
        for key, label in (
            ("budget", "Budget"),
            ("committed", "Committed (profile)"),
            ("outturn", "Forecast outturn"),
            ("actual_to_date", "Actual to date"),
        ):
            v = r.get(key)
            if v is not None and not pd.isna(v):
                rows.append(
                    {"source": r["source"], "measure": label, "gbp_m": float(millions(int(v), 2))}
                )
    data = pd.DataFrame(rows)
    order = ["Budget", "Committed (profile)", "Forecast outturn", "Actual to date"]
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("source:N", title=None, sort=None, axis=alt.Axis(labelLimit=320)),
            yOffset=alt.YOffset("measure:N", sort=order),
            x=alt.X("gbp_m:Q", title="£ million"),
            color=alt.Color(
                "measure:N",
                sort=order,
                title=None,
                scale=alt.Scale(
                    domain=order,
                    range=[
                        OKABE_ITO["black"],
                        OKABE_ITO["sky"],
                        OKABE_ITO["orange"],
                        OKABE_ITO["blue"],
                    ],
                ),
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=300),
            ),
            tooltip=["source", "measure", alt.Tooltip("gbp_m:Q", format=",.2f")],
        )
        .properties(
            width=560,
            title={
                "text": f"Budget, commitments, forecast and actual spend, {year}",
                "subtitle": "By funding source, £ million",
            },
        )
        .configure(**base_config())
    )
    return to_svg(
        chart,
        description=f"Bar chart of budget, committed, forecast outturn and actual spend by funding source, {year}",
    )


def finance_dashboard(
    s: Session,
    financial_year: int,
    *,
    as_of: int | None = None,
    programme_ids: set[int] | None = None,
    chart: bool = True,
) -> FinanceDashboard:
    """The finance dashboard of ``financial_year`` (see :mod:`vrkit.ops.delivery.finance` for
    the definitions of profile, forecast outturn, variance and underspend risk)."""
    if as_of is not None and as_of not in (0, 1, 2, 3, 4):
        raise InputError("--as-of must be a quarter, 0 to 4")
    frame = finance.finance_frame(s, financial_year, as_of=as_of)
    if programme_ids is not None:
        refs = {p.ref for p in register.list_programmes(s) if p.id in programme_ids}
        frame = frame[frame["programme_ref"].isin(refs)]
    by_source = finance.source_summary(s, financial_year, frame)
    if frame.empty and by_source.empty:
        raise InputError(
            f"no budgets, profiles or spend are recorded for {fy_label(financial_year)}",
            hint="Import budgets and programme profiles first (`vrkit programmes import`).",
        )
    q = int(frame.attrs.get("as_of_quarter", 0)) if as_of is None else as_of
    if not frame.empty:
        by_theme = (
            frame.groupby("theme_label", as_index=False)
            .agg(
                programmes=("programme_ref", "nunique"),
                profile=("profile", "sum"),
                actual_to_date=("actual_to_date", "sum"),
                outturn=("outturn", "sum"),
                variance=("variance", "sum"),
                high_risk=("risk", lambda r: int((r == "high").sum())),
            )
            .rename(columns={"theme_label": "theme"})
        )
        quarters = []
        cum_p = cum_a = 0
        for n in (1, 2, 3, 4):
            prof = int(frame[f"profile_q{n}"].sum())
            act_col = frame[f"actual_q{n}"]
            has_actual = bool(act_col.notna().any())
            actual = int(act_col.fillna(0).sum()) if has_actual else None
            if n <= q:
                expected = int(
                    sum(
                        a if pd.notna(a) else p
                        for a, p in zip(act_col, frame[f"profile_q{n}"], strict=True)
                    )
                )
                kind = "actual"
            else:
                fc = frame[f"forecast_q{n}"]
                expected = int(
                    sum(
                        f if pd.notna(f) else p
                        for f, p in zip(fc, frame[f"profile_q{n}"], strict=True)
                    )
                )
                kind = "forecast"
            cum_p += prof
            cum_a += expected
            quarters.append(
                {
                    "quarter": f"Q{n}",
                    "profile": prof,
                    "actual": actual,
                    "actual_or_forecast": expected,
                    "basis": kind,
                    "cumulative_profile": cum_p,
                    "cumulative_actual_or_forecast": cum_a,
                }
            )
        by_quarter = pd.DataFrame(quarters)
        programmes = (
            frame.assign(_o=frame["risk"].map(RISK_ORDER))
            .sort_values(["_o", "variance", "programme_ref"])
            .drop(columns="_o")
        )
    else:
        by_theme = by_quarter = programmes = pd.DataFrame()
    names = {p.id: p.ref for p in register.list_programmes(s)}
    srcs = {x.id: x.name for x in register.sources(s)}
    reprofiles = [reprofile_dict(rp, names, srcs) for rp in finance.reprofiles(s, financial_year)]
    notes = [
        f"Actual spend is reported up to Q{q}."
        if q
        else "No actual spend is reported for the year yet.",
        "Forecast outturn: actual spend for quarters reported, then recorded forecasts (else the profile).",
    ]
    if not frame.empty:
        missing = frame[frame["missing_quarters"] != ""]
        if not missing.empty:
            notes.append(
                f"{len(missing)} programme/source line(s) have no spend reported for a quarter up to Q{q}; "
                "their profile is used for it (flagged in the risk reason)."
            )
        high = int((frame["risk"] == "high").sum())
        notes.append(f"{high} programme/source line(s) at high risk of underspend.")
    labels = sorted(set(frame["data_label"]) - {""}) if not frame.empty else []
    if labels:
        notes.insert(0, f"Contains {', '.join(labels)} data: not real programmes or money.")
    d = FinanceDashboard(
        title=f"Finance dashboard {fy_label(financial_year)}",
        notes=notes,
        financial_year=financial_year,
        as_of=q,
        by_source=by_source,
        by_theme=by_theme,
        by_quarter=by_quarter,
        programmes=programmes,
        reprofiles=reprofiles,
    )
    if chart:
        d.chart_svg = _chart(by_source, fy_label(financial_year))
    return d


# -- recording -----------------------------------------------------------------------------------
def record_amount(
    s: Session,
    actor: Principal,
    *,
    kind: str,
    programme_ref: str,
    source: str,
    financial_year: int,
    quarter: int,
    amount: str,
) -> None:
    """Record actual spend (``kind='spend'``) or a forecast for a quarter, amount in pounds.
    Spend beyond the programme's budget for the year is refused unless a reprofile covers it."""
    p = register.require_programme(s, programme_ref)
    src = register.resolve_source(s, source)
    if src is None:
        raise InputError(f"unknown funding source {source!r}")
    value = pence(amount)
    if value < 0:
        raise InputError("an amount cannot be negative")
    if kind == "spend":
        breaches = finance.check_money_rules(
            s,
            {financial_year},
            spend={(p.id, src.id, financial_year, quarter): value},
            programme_id=p.id,
        )
        mine = [b for b in breaches if b.key[0] == p.id]
        if mine:
            raise InputError(
                mine[0].message, hint="Propose a reprofile first, and have it approved."
            )
        finance.set_quarter(s, actor, Spend, p, src, financial_year, quarter, value)
    elif kind == "forecast":
        finance.set_quarter(s, actor, Forecast, p, src, financial_year, quarter, value)
    else:
        raise InputError(f"unknown amount kind {kind!r}", hint="spend or forecast")


def parse_reprofile_line(s: Session, text: str) -> tuple[Any, Any, int, int, int]:
    """``REF:SOURCE:2020/21:Q2:-1500.00`` → (programme, source, year, quarter, pence)."""
    from vrkit.catalog.money import parse_fy

    parts = text.split(":")
    if len(parts) != 5:
        raise InputError(
            f"{text!r} is not a reprofile line",
            hint="Write PROGRAMME:SOURCE:YEAR:QUARTER:CHANGE, e.g. LVRU-001:home_office:2020/21:Q2:-1500.00",
        )
    ref, src_text, fy_text, q_text, amount = (x.strip() for x in parts)
    p = register.require_programme(s, ref)
    src = register.resolve_source(s, src_text)
    if src is None:
        raise InputError(f"unknown funding source {src_text!r}")
    q = q_text.upper().lstrip("Q")
    if q not in ("1", "2", "3", "4"):
        raise InputError(f"{q_text!r} is not a quarter (Q1 to Q4)")
    return p, src, parse_fy(fy_text), int(q), pence(amount)


def propose_reprofile(
    s: Session, actor: Principal, *, reason: str, lines: list[str]
) -> dict[str, Any]:
    parsed = [parse_reprofile_line(s, x) for x in lines]
    rp = finance.propose_reprofile(s, actor, reason=reason, lines=parsed)
    return _rp(s, rp)


def _rp(s: Session, rp: Reprofile) -> dict[str, Any]:
    names = {p.id: p.ref for p in register.list_programmes(s)}
    srcs = {x.id: x.name for x in register.sources(s)}
    return jsonable(reprofile_dict(rp, names, srcs))


def decide_reprofile(
    s: Session,
    actor: Principal,
    reprofile_id: int,
    *,
    approve: bool,
    note: str = "",
    expected_version: int | None = None,
) -> dict[str, Any]:
    return _rp(
        s,
        finance.decide_reprofile(
            s, actor, reprofile_id, approve=approve, note=note, expected_version=expected_version
        ),
    )


def reverse_reprofile(
    s: Session,
    actor: Principal,
    reprofile_id: int,
    *,
    reason: str,
    expected_version: int | None = None,
) -> dict[str, Any]:
    return _rp(
        s,
        finance.reverse_reprofile(
            s, actor, reprofile_id, reason=reason, expected_version=expected_version
        ),
    )


def reprofile_list(s: Session, financial_year: int | None = None) -> list[dict[str, Any]]:
    return [_rp(s, rp) for rp in finance.reprofiles(s, financial_year)]

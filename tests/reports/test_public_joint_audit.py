"""Joint audit of the public Violent Crime Report: every published count and relation at once.

:func:`vrkit.sdc.feasible_intervals` audits one protected table at a time. A reader of the
report sees all of its tables together, so this test collects, from the *published* report
frames (never from the protection's own model), every count and every additive relation a reader
can check:

- each figure by what it is (area, measure, year, month): the same figure printed in two tables
  (headline, months, boroughs, wards, alerts, linkage) is one unknown, and a figure printed in
  one table cannot be suppressed in another;
- violence against the person = homicide + violence with injury + violence without injury (exact
  in MPS data) for every area, year and month; total crime ≥ VAP + robbery + sexual offences +
  possession of weapons;
- the 12 months add up to the year; London = its boroughs + pseudo-areas; a borough ≥ the sum of
  its wards (the report says wards exclude unlocated offences, so not equal);
- published changes = current − previous;
- homicide victims: domestic + non-domestic = total, firearms + knives ≤ total,
  teenagers ≤ under 25 ≤ total;

and bounds every suppressed figure with :func:`scipy.optimize.linprog` over all unknowns at once
(non-negative; small-count suppressions within the rule's 1–9 range, as if the reader knew which
suppressions are primary). No suppressed figure may be pinned to one value.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

import vrkit
from vrkit.disclosure import sdc
from vrkit.reports import build_violent_crime_report
from vrkit.tasks import violent_crime_report

DATA = vrkit.get_settings().data_dir
GLA = "boundaries/statistical-gis-boundaries-london/ESRI"
FILES = (
    "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv",
    "mps_crime_borough/2019-01_to_2020-12/MPS Borough Level Crime (most recent 24 months).csv",
    "mps_crime_ward/2020-01_to_2021-12/MPS Ward Level_Crime_2020-2021.csv.gz",
    "mps_crime_ward_annual_derived/London.Crime.ByWard_2011-2022.csv.gz",
    "mps_homicide/original_homicide.xlsx - dataset.csv",
    f"{GLA}/LSOA_2011_London_gen_MHW.shp",
    f"{GLA}/London_Borough_Excluding_MHW.shp",
    f"{GLA}/London_Ward.shp",
    "boundaries/London-wards-2018/London-wards-2018_ESRI/London_Ward.shp",
    "population/london-mid2019-pop.csv",
    "population/london-mid2020-pop.csv",
)
H, VWI, W, V = (
    "homicide",
    "violence_with_injury",
    "violence_without_injury",
    ("violence_against_the_person"),
)
CRIME_PARTS = (V, "robbery", "sexual_offences", "possession_of_weapons")
DERIVED_CURRENT = ("rate", "rate_lower", "rate_upper", "rank")
DERIVED_BOTH = ("change", "pct_change")

Key = Hashable
Term = tuple[Key, float]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, warehouses) -> Path:
    paths = [DATA / f for f in FILES]
    # the first five files are test_public_and_sections.py's warehouse: built once for both
    return warehouses.copy(paths, tmp_path_factory.mktemp("joint") / "wh.duckdb", shared_prefix=5)


@pytest.fixture(scope="module")
def reports(store: Path) -> dict[str, tuple[Any, Any]]:
    out = {}
    with vrkit.Warehouse(store, read_only=True) as w:
        for area in ("Lambeth", "London"):
            out[area] = (
                build_violent_crime_report(w, year=2020, area=area),
                violent_crime_report(w, year=2020, area=area, public=True).report,
            )
    return out


@dataclass
class Reader:
    """What a reader of the public report knows, plus the truth (for checks only)."""

    rule: str
    status: dict[Key, str]
    known: dict[Key, float] = field(default_factory=dict)
    hidden: set[Key] = field(default_factory=set)  # suppressed: audited
    missing: set[Key] = field(default_factory=set)  # missing in the source: unknown, not audited
    truth: dict[Key, float] = field(default_factory=dict)
    eqs: list[tuple[list[Term], float]] = field(default_factory=list)
    les: list[tuple[list[Term], float]] = field(default_factory=list)
    conflicts: list[Key] = field(default_factory=list)

    def figure(self, key: Key, shown: Any, suppressed: bool, true: Any) -> None:
        """A figure printed somewhere: its value, or ``*`` (suppressed), or missing."""
        if not _nan(true):
            assert self.truth.setdefault(key, float(true)) == float(true), key
        if suppressed:
            self.hidden.add(key)
        elif _nan(shown):
            self.missing.add(key)
        else:
            assert float(shown) == float(true), f"{key}: published {shown} != {true}"
            self.known[key] = float(shown)

    def finish(self) -> None:
        self.conflicts = sorted((k for k in self.hidden if k in self.known), key=str)
        self.hidden -= set(self.known)
        self.missing -= set(self.known) | self.hidden

    def relation(self, terms: Iterable[Term], op: str = "==", rhs: float = 0.0) -> None:
        """``Σ coef·figure (== or <=) rhs`` over figures the report prints."""
        terms = list(terms)
        if any(k not in self.truth and k not in self.missing for k, _ in terms):
            return  # a figure the report does not print
        if op == "<=":
            # an inequality holds for some places and not others (wards vs boroughs): kept
            # only where it holds, as if the reader knew where (a figure missing in the source
            # could be anything: no check, no relation)
            if any(k not in self.truth for k, _ in terms):
                return
            if sum(c * self.truth[k] for k, c in terms) > rhs + 1e-9:
                return
        elif all(k in self.truth for k, _ in terms):
            lhs = sum(c * self.truth[k] for k, c in terms)
            assert abs(lhs - rhs) < 1e-9, f"relation fails on the truth: {terms}"
        (self.eqs if op == "==" else self.les).append((terms, rhs))

    def bounds(self, key: Key) -> tuple[float, float | None]:
        """A suppressed small count is within the rule's range (as if the reader knew which
        suppressions are primary); any other unknown is only ≥ 0."""
        lo, hi = sdc.RULES[self.rule]
        if key in self.hidden and lo <= self.truth.get(key, -1.0) <= hi:
            return (float(lo), float(hi))
        return (0.0, None)


def _nan(x: Any) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def _sup(rec: dict[str, Any], field_: str) -> bool:
    return field_ in str(rec.get("suppressed") or "").split(",")


def _frame_figures(
    reader: Reader,
    pub: pd.DataFrame,
    priv: pd.DataFrame,
    key_of: Any,
    fields: dict[str, int],
) -> None:
    """Register ``fields`` (column → year) of every row, with change = current − previous."""
    assert len(pub) == len(priv)
    for p, t in zip(pub.to_dict("records"), priv.to_dict("records"), strict=True):
        for f, y in fields.items():
            reader.figure(key_of(p, y), p[f], _sup(p, f), t[f])
        # derived figures of a suppressed count must be blank
        sup = [f for f in fields if _sup(p, f)]
        for d in [*DERIVED_BOTH, *(DERIVED_CURRENT if "current" in sup else ())]:
            if d in p and sup:
                assert _nan(p[d]), f"{d} published for suppressed {key_of(p, fields[sup[0]])}"
        if "change" in p and not _nan(p["change"]) and len(fields) == 2:
            (_, yc), (_, yp) = fields.items()
            reader.relation([(key_of(p, yc), 1.0), (key_of(p, yp), -1.0)], "==", p["change"])


def collect(private: Any, public: Any) -> Reader:
    """Every figure and relation of one public report (``private``: the same report, unprotected,
    for the truth only)."""
    rule = public.sdc_rule
    reader = Reader(rule, dict(public.sdc_result.status))
    x, y1, y0 = public.area_code, public.year, public.compare_year
    years = (y1, y0)
    cur_prev = {"current": y1, "previous": y0}
    measures = list(public.measures)

    def yk(area: str, m: str, y: int) -> Key:
        return ("y", area, m, y)

    # headline and months of the report area
    _frame_figures(
        reader,
        public.headline,
        private.headline,
        lambda r, y: yk(x, r["measure"], y),
        cur_prev,
    )
    _frame_figures(
        reader,
        public.monthly,
        private.monthly,
        lambda r, y: ("m", x, r["measure"], int(r["year"]), int(r["month_num"])),
        {"count": 0},
    )
    areas: set[str] = {x}
    months = sorted(public.monthly["month_num"].unique())
    # boroughs (London)
    if not public.boroughs.empty:
        _frame_figures(
            reader,
            public.boroughs,
            private.boroughs,
            lambda r, y: yk(r["area_code"], r["measure"], y),
            cur_prev,
        )
        parts = sorted(public.boroughs["area_code"].unique())
        areas |= set(parts)
        for m in measures:
            for y in years:
                reader.relation([(yk(x, m, y), -1.0), *((yk(b, m, y), 1.0) for b in parts)])
    # wards, each at most its borough's figure
    if not public.wards.empty:
        _frame_figures(
            reader,
            public.wards,
            private.wards,
            lambda r, y: yk(r["area_code"], r["measure"], y),
            cur_prev,
        )
        areas |= set(public.wards["area_code"])
        for b, g in public.wards.groupby("borough_code"):
            wards = sorted(g["area_code"].unique())
            for m in measures:
                for y in years:
                    reader.relation(
                        [(yk(b, m, y), -1.0), *((yk(w, m, y), 1.0) for w in wards)], "<="
                    )
    # homicide victims
    if not public.homicide.empty:
        cols = ["total", "firearms", "knives", "teenagers", "under_25", "domestic", "non_domestic"]
        for p, t in zip(
            public.homicide.to_dict("records"), private.homicide.to_dict("records"), strict=True
        ):
            yr = int(p["year"])
            for c in cols:
                reader.figure(("h", x, c, yr), p[c], _sup(p, c), t[c])

            def hk(c: str, yr: int = yr) -> Key:
                return ("h", x, c, yr)

            reader.relation([(hk("domestic"), 1), (hk("non_domestic"), 1), (hk("total"), -1)])
            reader.relation([(hk("firearms"), 1), (hk("knives"), 1), (hk("total"), -1)], "<=")
            reader.relation([(hk("under_25"), 1), (hk("total"), -1)], "<=")
            reader.relation([(hk("teenagers"), 1), (hk("under_25"), 1)], "<=")
    # early warning: observed December counts of violence with injury
    al = public.alerts
    if al is not None and not al.table.empty:
        mo = int(pd.Timestamp(al.month).month)
        for p, t in zip(
            al.table.to_dict("records"), private.alerts.table.to_dict("records"), strict=True
        ):
            k = ("m", p["area_code"], VWI, y1, mo)
            reader.figure(k, p["observed"], _sup(p, "observed"), t["observed"])
            areas.add(p["area_code"])
    # linkage: police = violence with injury; A&E and ambulance months add up to the year
    lk = public.linkage
    if lk is not None and lk.loaded and not lk.monthly.empty:
        srcs = ("ae", "ambulance")
        for p, t in zip(
            lk.monthly.to_dict("records"),
            private.linkage.monthly.to_dict("records"),
            strict=True,
        ):
            yr, mo = int(p["year"]), int(pd.Timestamp(p["month"]).month)
            reader.figure(("m", x, VWI, yr, mo), p["police"], _sup(p, "police"), t["police"])
            for s in srcs:
                reader.figure(("lm", x, s, yr, mo), p[s], _sup(p, s), t[s])
        for p, t in zip(
            lk.yearly.to_dict("records"), private.linkage.yearly.to_dict("records"), strict=True
        ):
            yr = int(p["year"])
            reader.figure(yk(x, VWI, yr), p["police"], _sup(p, "police"), t["police"])
            for s in srcs:
                reader.figure(("ly", x, s, yr), p[s], _sup(p, s), t[s])
                reader.relation(
                    [(("ly", x, s, yr), -1.0), *((("lm", x, s, yr, mo), 1.0) for mo in months)]
                )
        for s, v in lk.totals.items():  # two-year totals
            if v is not None:
                tk = [yk(x, VWI, y) if s == "police" else ("ly", x, s, y) for y in years]
                reader.relation([(k, 1.0) for k in tk], "==", float(v))
    # within every area and year (and month of the report area): VAP = its three parts,
    # total crime ≥ its listed parts
    for a in sorted(areas, key=str):
        for y in years:
            for mo in [None, *(months if a == x else [])]:

                def fk(m: str, a: str = a, y: int = y, mo: Any = mo) -> Key:
                    return yk(a, m, y) if mo is None else ("m", a, m, y, int(mo))

                reader.relation([(fk(V), -1.0), (fk(H), 1.0), (fk(VWI), 1.0), (fk(W), 1.0)])
                reader.relation(
                    [(fk("total_crime"), -1.0), *((fk(m), 1.0) for m in CRIME_PARTS)], "<="
                )
    # months add up to the year (report area)
    for m in measures:
        for y in years:
            reader.relation(
                [(yk(x, m, y), -1.0), *((("m", x, m, y, int(mo)), 1.0) for mo in months)]
            )
    reader.finish()
    return reader


def intervals(reader: Reader) -> pd.DataFrame:
    """Tightest interval of every suppressed figure given everything published, all at once.

    The unknowns are split into independent groups (connected by some relation) and each
    group is solved on its own: the same optimum as one programme, in a fraction of the time.
    """
    unknown = sorted(reader.hidden | reader.missing, key=str)
    idx = {k: i for i, k in enumerate(unknown)}
    n = len(unknown)

    def matrix(rels: list[tuple[list[Term], float]]) -> tuple[sparse.csr_array, np.ndarray]:
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        rhs: list[float] = []
        for terms, b in rels:
            coef: dict[int, float] = {}
            for k, c in terms:
                if k in idx:
                    coef[idx[k]] = coef.get(idx[k], 0.0) + c
                else:
                    b -= c * reader.known[k]
            coef = {i: c for i, c in coef.items() if c != 0}
            if not coef:
                continue
            r = len(rhs)
            for i, c in coef.items():
                rows.append(r)
                cols.append(i)
                vals.append(c)
            rhs.append(b)
        a = sparse.csr_array((vals, (rows, cols)), shape=(len(rhs), n))
        return a, np.array(rhs, dtype=float)

    a_eq, b_eq = matrix(reader.eqs)
    a_ub, b_ub = matrix(reader.les)
    a_all = sparse.vstack([a_eq, a_ub]).tocsr()
    pattern = (a_all != 0).astype(np.int8)
    adj = (pattern.T @ pattern).tocsr()
    _, label = connected_components(adj, directed=False)
    bounds = [reader.bounds(k) for k in unknown]
    out = []
    for comp in np.unique(label):
        members = np.flatnonzero(label == comp)
        targets = [i for i in members if unknown[i] in reader.hidden]
        if not targets:
            continue
        sub_eq = a_eq[:, members]
        keep_eq = np.flatnonzero(np.abs(sub_eq).sum(axis=1) > 0)
        sub_ub = a_ub[:, members]
        keep_ub = np.flatnonzero(np.abs(sub_ub).sum(axis=1) > 0)
        kw: dict[str, Any] = {"bounds": [bounds[i] for i in members], "method": "highs"}
        if len(keep_eq):
            kw |= {"A_eq": sub_eq[keep_eq], "b_eq": b_eq[keep_eq]}
        if len(keep_ub):
            kw |= {"A_ub": sub_ub[keep_ub], "b_ub": b_ub[keep_ub]}
        pos = {int(i): j for j, i in enumerate(members)}
        for i in targets:
            c = np.zeros(len(members))
            c[pos[int(i)]] = 1.0
            lo = linprog(c, **kw)
            hi = linprog(-c, **kw)
            assert lo.status == 0, f"infeasible audit model at {unknown[i]}: {lo.message}"
            upper = -hi.fun if hi.status == 0 else math.inf
            k = unknown[i]
            out.append(
                {
                    "key": k,
                    "status": reader.status.get(k, "?"),
                    "true": reader.truth.get(k, math.nan),
                    "lower": lo.fun,
                    "upper": upper,
                    "group": len(members),
                }
            )
    frame = pd.DataFrame(out, columns=["key", "status", "true", "lower", "upper", "group"])
    frame["width"] = frame["upper"] - frame["lower"]
    return frame


@pytest.mark.parametrize("area", ["Lambeth", "London"])
def test_no_suppressed_figure_pinned_by_all_tables_at_once(
    reports: dict[str, tuple[Any, Any]], area: str
) -> None:
    private, public = reports[area]
    reader = collect(private, public)
    # a figure is either published everywhere or suppressed everywhere
    assert not reader.conflicts, (
        f"published in one table, suppressed in another: {reader.conflicts}"
    )
    assert len(reader.hidden) > (100 if area == "Lambeth" else 1000)  # the data need protection
    iv = intervals(reader)
    assert set(iv["key"]) == reader.hidden  # every suppressed figure is bounded
    # the model is right: every true value lies within its interval
    has = iv["true"].notna()
    outside = iv[has & ((iv["true"] < iv["lower"] - 1e-6) | (iv["true"] > iv["upper"] + 1e-6))]
    assert outside.empty, outside.to_string()
    pinned = iv[iv["width"] <= 0.5]
    assert pinned.empty, f"{len(pinned)} suppressed figure(s) recoverable:\n{pinned.to_string()}"

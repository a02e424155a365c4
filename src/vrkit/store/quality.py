"""Data-quality review of what is loaded: coverage, locations, rejections, revisions.

Used by ``vrkit quality`` and by the reports' caveats section.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from vrkit.catalog.measures import measures, taxonomy_of
from vrkit.store.sql import measure_condition
from vrkit.store.warehouse import Warehouse

#: tables that carry a monthly ``month`` column per dataset
_MONTHLY_TABLES = ("crime_count_release", "crime_record", "crime_outcome", "stop_search")


@dataclass
class DatasetQuality:
    """Quality facts for one dataset."""

    dataset_id: int
    source_kind: str
    file_name: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    covers_from: date | None
    covers_to: date | None
    months_present: int = 0
    months_missing: list[date] = field(default_factory=list)
    pct_with_location: float | None = None
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    exclusions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    superseded_months: int = 0

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly dict."""
        d = dict(self.__dict__)
        d["covers_from"] = self.covers_from.isoformat() if self.covers_from else None
        d["covers_to"] = self.covers_to.isoformat() if self.covers_to else None
        d["months_missing"] = [m.isoformat() for m in self.months_missing]
        return d


def _month_range(start: date, end: date) -> list[date]:
    return [d.date() for d in pd.date_range(start, end, freq="MS")]


def dataset_quality(wh: Warehouse) -> list[DatasetQuality]:
    """One :class:`DatasetQuality` per registered dataset, in load order."""
    ds = wh.datasets()
    months: dict[int, set[date]] = {}
    for table in _MONTHLY_TABLES:
        for row in wh.query(f"SELECT DISTINCT dataset_id, month FROM {table}").itertuples():
            months.setdefault(int(row.dataset_id), set()).add(pd.Timestamp(row.month).date())
    loc = {
        int(r.dataset_id): float(r.pct)
        for r in wh.query(
            """SELECT dataset_id, 100.0 * avg((longitude IS NOT NULL)::INT) AS pct
               FROM crime_record GROUP BY 1"""
        ).itertuples()
    }
    loc.update(
        {
            int(r.dataset_id): float(r.pct)
            for r in wh.query(
                """SELECT dataset_id, 100.0 * avg((longitude IS NOT NULL)::INT) AS pct
                   FROM stop_search GROUP BY 1"""
            ).itertuples()
        }
    )
    rej: dict[int, dict[str, int]] = {}
    for r in wh.query(
        "SELECT dataset_id, reason, count(*) AS n FROM rejection GROUP BY 1, 2 ORDER BY 3 DESC"
    ).itertuples():
        rej.setdefault(int(r.dataset_id), {})[str(r.reason)] = int(r.n)
    used = {
        int(r.dataset_id): int(r.n)
        for r in wh.query(
            "SELECT dataset_id, count(DISTINCT (scope_code, month)) AS n FROM crime_count GROUP BY 1"
        ).itertuples()
    }
    total = {
        int(r.dataset_id): int(r.n)
        for r in wh.query(
            """SELECT dataset_id, count(DISTINCT (scope_code, month)) AS n
               FROM crime_count_release GROUP BY 1"""
        ).itertuples()
    }
    coverage, indicator_months = _indicator_coverage(wh)
    for did, ms in indicator_months.items():
        months.setdefault(did, set()).update(ms)
    out: list[DatasetQuality] = []
    for row in ds.itertuples():
        did = int(row.dataset_id)
        cf = pd.Timestamp(row.covers_from).date() if pd.notna(row.covers_from) else None
        ct = pd.Timestamp(row.covers_to).date() if pd.notna(row.covers_to) else None
        present = months.get(did, set())
        missing: list[date] = []
        if present and cf and ct:
            missing = [m for m in _month_range(cf, ct) if m not in present]
        q = DatasetQuality(
            dataset_id=did,
            source_kind=str(row.source_kind),
            file_name=str(row.file_name),
            rows_read=int(row.rows_read),
            rows_loaded=int(row.rows_loaded),
            rows_rejected=int(row.rows_rejected),
            covers_from=cf,
            covers_to=ct,
            months_present=len(present),
            months_missing=missing,
            pct_with_location=loc.get(did),
            rejected_by_reason=rej.get(did, {}),
            exclusions=list(row.exclusions) if row.exclusions is not None else [],
            notes=[*(list(row.notes) if row.notes is not None else []), *coverage.get(did, [])],
            superseded_months=total.get(did, 0) - used.get(did, 0),
        )
        out.append(q)
    return out


_CADENCES = ((20, 40, 1, "months"), (80, 100, 3, "quarters"), (350, 380, 12, "years"))


def _cadence(periods: list[date]) -> tuple[int, str] | None:
    """(months between periods, name) from the spacing of sorted distinct periods, if regular."""
    if len(periods) < 2:
        return None
    gaps = sorted((b - a).days for a, b in itertools.pairwise(periods))
    typical = gaps[len(gaps) // 2]
    for lo, hi, step, name in _CADENCES:
        if lo <= typical <= hi:
            return step, name
    return None


def _fmt_period(d: date, step: int) -> str:
    if step == 1:
        return f"{d:%Y-%m}"
    if step == 3:
        return f"{d:%Y-%m-%d}"
    # a year starting in September is an academic year, in April a financial year
    return f"{d.year}/{(d.year + 1) % 100:02d}" if d.month in (4, 9) else f"{d:%Y}"


def _indicator_coverage(wh: Warehouse) -> tuple[dict[int, list[str]], dict[int, set[date]]]:
    """Coverage lines of every dataset holding indicator values, and the months present of
    those stored by month (LAS, synthetic ambulance), for :func:`dataset_quality`.

    Indicators of one dataset with the same areas and periods share a line, e.g. ``coverage:
    las_assaults_women: 33 areas × 49 months (2009-06 … 2013-06), no gaps``.
    """
    from vrkit.store.core_data import indicator_coverage

    cov = indicator_coverage(wh)
    lines: dict[int, list[str]] = {}
    monthly: dict[int, set[date]] = {}
    if cov.empty:
        return lines, monthly
    cov["period_start"] = pd.to_datetime(cov["period_start"]).dt.date
    for did, g in cov.groupby("dataset_id", sort=True):
        groups: dict[tuple[tuple[date, ...], tuple[int, str] | None], list[tuple[str, int, int]]]
        groups = {}
        for iid, h in g.groupby("indicator_id", sort=False):
            starts: list[date] = sorted(h["period_start"])
            cad = _cadence(starts)
            groups.setdefault((tuple(starts), cad), []).append(
                (str(iid), int(h["areas"].min()), int(h["areas"].max()))
            )
            if cad is not None and cad[0] == 1:
                monthly.setdefault(int(did), set()).update(starts)
        out = []
        for (periods, cad), members in groups.items():
            ids = [m[0] for m in members]
            a_lo, a_hi = min(m[1] for m in members), max(m[2] for m in members)
            who = ids[0] if len(ids) == 1 else f"{len(ids)} indicators ({ids[0]} … {ids[-1]})"
            areas = f"{a_lo:,} areas" if a_lo == a_hi else f"{a_lo:,}–{a_hi:,} areas per period"
            if len(ids) > 1 and a_lo != a_hi:
                fewest = min(members, key=lambda m: m[1])
                areas += f" (fewest: {fewest[0]}, {fewest[1]:,})"
            if cad is None:
                span = (
                    f"{len(periods)} period ({periods[0]})"
                    if len(periods) == 1
                    else f"{len(periods)} irregular periods ({periods[0]} … {periods[-1]})"
                )
                out.append(f"coverage: {who}: {areas} × {span}")
                continue
            step, name = cad
            expected = []
            d = periods[0]
            while d <= periods[-1]:
                expected.append(d)
                m = d.month - 1 + step
                d = _same_day(d, d.year + m // 12, m % 12 + 1)
            have = set(periods)
            gaps = [e for e in expected if e not in have]
            gap_text = (
                "no gaps"
                if not gaps
                else f"{len(gaps)} missing: "
                + ", ".join(_fmt_period(x, step) for x in gaps[:6])
                + (" …" if len(gaps) > 6 else "")
            )
            out.append(
                f"coverage: {who}: {areas} × {len(periods)} {name} "
                f"({_fmt_period(periods[0], step)} … {_fmt_period(periods[-1], step)}), {gap_text}"
            )
        lines[int(did)] = out
    return lines, monthly


def _same_day(d: date, year: int, month: int) -> date:
    """``d``'s day in another month, clamped to month end (quarter ends: 31 Mar → 30 Jun)."""
    last = (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)).day
    end_of_month = d.day == (pd.Timestamp(d) + pd.offsets.MonthEnd(0)).day
    return date(year, month, last if end_of_month else min(d.day, last))


def revisions(
    wh: Warehouse, source_kind: str, *, measure_ids: list[str] | None = None
) -> pd.DataFrame:
    """Revisions between consecutive releases of an aggregate source, per measure and month.

    For each pair of releases (ordered by the last month they cover) and each month both
    cover, compares London-wide measure totals (every area, pseudo-areas included).

    Returns
    -------
    DataFrame
        ``older_dataset, newer_dataset, older_file, newer_file, measure, month, older, newer,
        revision`` for months where the two releases differ (``revision = newer - older``).
    """
    ids = measure_ids or [m for m in measures() if measures()[m].supports(taxonomy_of(source_kind))]
    rel = wh.query(
        """SELECT dataset_id, file_name, covers_to, loaded_at FROM dataset
           WHERE source_kind = ? ORDER BY covers_to, loaded_at, dataset_id""",
        [source_kind],
    )
    cols = [
        "older_dataset",
        "newer_dataset",
        "older_file",
        "newer_file",
        "measure",
        "month",
        "older",
        "newer",
        "revision",
    ]
    frames: list[pd.DataFrame] = []
    tax = taxonomy_of(source_kind)
    pairs = list(zip(rel.itertuples(), rel.iloc[1:].itertuples(), strict=False))
    for old, new in pairs:
        for mid in ids:
            cond = measure_condition(measures()[mid], tax)
            df = wh.query(
                f"""WITH o AS (SELECT month, sum("count") AS v FROM crime_count_release
                               WHERE dataset_id = $o AND {cond} GROUP BY month),
                         n AS (SELECT month, sum("count") AS v FROM crime_count_release
                               WHERE dataset_id = $n AND {cond} GROUP BY month)
                    SELECT o.month, o.v AS older, n.v AS newer FROM o JOIN n USING (month)
                    WHERE o.v <> n.v ORDER BY month""",
                {"o": int(old.dataset_id), "n": int(new.dataset_id)},
            )
            if df.empty:
                continue
            df["revision"] = df["newer"] - df["older"]
            df["measure"] = mid
            df["older_dataset"] = int(old.dataset_id)
            df["newer_dataset"] = int(new.dataset_id)
            df["older_file"] = old.file_name
            df["newer_file"] = new.file_name
            frames.append(df[cols])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)

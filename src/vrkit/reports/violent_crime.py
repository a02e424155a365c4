"""The Violent Crime Report: a calendar year against a comparison year, for London or a borough.

:func:`build_violent_crime_report` reads everything it needs from the warehouse through the named
queries in :mod:`vrkit.store.queries` and returns a :class:`ViolentCrimeReport` whose tables are
DataFrames; :func:`write_report` renders it to one self-contained HTML file, an XLSX workbook and
JSON.

Figures come from ``crime_count`` for source kind ``mps_borough_monthly``: for each borough and
month the newest MPS release loaded. The London figure is the sum of **every** row, pseudo-areas
(airports, "Unknown") included, so London totals equal the source file's totals. Sections whose
data are not loaded (population, boundaries, wards, homicide victims) are kept in the report
with a message saying what is missing and how to load it; nothing is shown as a silent zero.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vrkit._version import __version__
from vrkit.analysis.changes import METHOD as CHANGE_METHOD
from vrkit.analysis.changes import change_sentence as honest_sentence
from vrkit.analysis.changes import compare_count_frame, compare_counts
from vrkit.analysis.events import events_frame
from vrkit.analysis.measures import get_measure
from vrkit.analysis.trends import add_rank, change, rates_per_1000
from vrkit.catalog.areas import borough_names, is_pseudo, resolve_borough
from vrkit.errors import InputError
from vrkit.reports.sections import AlertsSection, LinkageSection, alerts_section, linkage_section
from vrkit.store import queries
from vrkit.store.warehouse import Warehouse

#: Headline measures of the report, in display order.
HEADLINE_MEASURES: tuple[str, ...] = (
    "violence_against_the_person",
    "violence_with_injury",
    "violence_without_injury",
    "homicide",
    "robbery",
    "sexual_offences",
    "possession_of_weapons",
    "total_crime",
)
#: Measures given a borough/ward table in the HTML (every measure is in the XLSX/JSON).
TABLE_MEASURES: tuple[str, ...] = ("violence_against_the_person", "violence_with_injury")
#: Measure mapped by borough and ward (violence with injury has no NA cells in the derived
#: ward file, unlike VAP whose 2019 homicide cells are NA for some wards).
MAP_MEASURE = "violence_with_injury"

#: counts-aware change classes of the change maps: only a significant change has a colour
CHANGE_COLOURS: tuple[tuple[str, str], ...] = (
    ("significant fall", "#2166ac"),
    ("no significant change", "#f0f0f0"),
    ("significant rise", "#e66101"),
)
SOURCE_KIND = "mps_borough_monthly"
WARD_MONTHLY = "mps_ward_monthly"
WARD_ANNUAL = "mps_ward_annual_derived"
LONDON = "London"
LONDON_CODE = "E61000001"  # MPS area: the 32 boroughs (City of London has its own force)
FIRST_HOMICIDE_YEAR = 2012
DATA_HINT = "run `vrkit ingest --all` (or `vrkit ingest` on the file) to load it"


@dataclass
class ViolentCrimeReport:
    """Every table and fact of one Violent Crime Report.

    Attributes
    ----------
    area_code, area_name : the area reported (``E61000001``/"London" for the MPS area).
    area_kind : ``"london"`` or ``"borough"``.
    year, compare_year : the report year and the comparison year.
    generated_at : UTC time the report was built.
    measures : headline measure ids used, in order.
    headline : one row per measure: ``measure, label, current, previous, change, pct_change,
        population, rate, rate_lower, rate_upper, commentary``.
    monthly : ``measure, label, year, month, month_num, count`` for both years.
    boroughs : London report: ``measure, label, area_code, area_name, kind`` (``borough`` or
        ``pseudo``), ``current, previous, change, pct_change, population, rate, rate_lower,
        rate_upper, rank``; empty for a borough report.
    wards : the same per ward (with ``borough_code, borough_name``); empty if not loaded.
    homicide : ``year, total, firearms, knives, teenagers, under_25, domestic, non_domestic,
        partial``; empty if the victims file is not loaded.
    datasets : registry rows of every dataset used, with ``used_for``.
    events : catalogued events within the two years.
    caveats : statements a reader must see (comparability, derived data, pseudo-areas...).
    notes : method notes (population year, ward layer, CIs...).
    missing : section → message for every section whose data are not loaded.
    population_year : year of the mid-year population estimate used, or None.
    ward_source : ``"mps_ward_monthly"`` or ``"mps_ward_annual_derived"`` or None.
    ward_layer : boundary layer matched to the ward codes (``ward18``/``ward14``) or None.
    borough_geometry, ward_geometry : ``area_code, area_name, geometry`` (WKB, EPSG:27700) of the
        mapped areas, or empty frames.
    alerts : early warning for violence with injury in December of ``year``
        (:func:`vrkit.reports.sections.alerts_section`).
    linkage : police vs A&E vs ambulance ("hidden violence",
        :func:`vrkit.reports.sections.linkage_section`).
    public : whether disclosure control was applied
        (:func:`vrkit.reports.violent_crime_public.make_public`); then every table has
        ``suppressed`` (count fields suppressed) and ``blanked`` (derived fields left blank)
        columns, ``sdc_rule`` is the rule, ``disclosure`` the ``disclosure_control`` JSON object
        and ``sdc_result`` the linked protection (for audits).
    """

    area_code: str
    area_name: str
    area_kind: str
    year: int
    compare_year: int
    generated_at: datetime
    measures: list[str]
    headline: pd.DataFrame
    monthly: pd.DataFrame
    boroughs: pd.DataFrame
    wards: pd.DataFrame
    homicide: pd.DataFrame
    datasets: pd.DataFrame
    events: pd.DataFrame
    caveats: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    population_year: int | None = None
    ward_source: str | None = None
    ward_layer: str | None = None
    borough_geometry: pd.DataFrame = field(default_factory=pd.DataFrame)
    ward_geometry: pd.DataFrame = field(default_factory=pd.DataFrame)
    alerts: AlertsSection | None = None
    linkage: LinkageSection | None = None
    public: bool = False
    sdc_rule: str | None = None
    disclosure: dict[str, Any] | None = None
    sdc_result: Any = field(default=None, repr=False)

    @property
    def slug(self) -> str:
        """File-name form of the area name (``london``, ``barking-and-dagenham``)."""
        return re.sub(r"[^a-z0-9]+", "-", self.area_name.lower()).strip("-")

    @property
    def file_stem(self) -> str:
        """``violent-crime-<area-slug>-<year>``."""
        return f"violent-crime-{self.slug}-{self.year}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN → None, dates → ISO strings)."""
        measures = [
            {
                "measure": r["measure"],
                "label": r["label"],
                "current": r["current"],
                "previous": r["previous"],
                "change": r["change"],
                "pct_change": r["pct_change"],
                "population": r["population"],
                "rate_per_1000": r["rate"],
                "rate_lower": r["rate_lower"],
                "rate_upper": r["rate_upper"],
                "commentary": r["commentary"],
                "change_test": {
                    "method": "exact conditional test of two Poisson counts",
                    "p_value": r.get("p_value"),
                    "significant": r.get("significant"),
                    "change_class": r.get("change_class"),
                    "pct_change_lower": r.get("pct_lower"),
                    "pct_change_upper": r.get("pct_upper"),
                },
            }
            for r in self.headline.to_dict("records")
        ]
        if self.public:
            for m, r in zip(measures, self.headline.to_dict("records"), strict=True):
                _flag(m, r, rename={"rate": "rate_per_1000"})
        out: dict[str, Any] = {
            "report": "violent_crime",
            "area": self.area_name,
            "area_code": self.area_code,
            "area_kind": self.area_kind,
            "year": self.year,
            "compare_year": self.compare_year,
            "generated_at": self.generated_at.isoformat(timespec="seconds") + "Z",
            "vrkit_version": __version__,
            "population_year": self.population_year,
            "measures": measures,
            "monthly": _records(self.monthly),
            "boroughs": _records(self.boroughs),
            "wards": _records(self.wards),
            "ward_source": self.ward_source,
            "ward_layer": self.ward_layer,
            "homicide_table": _records(self.homicide),
            "datasets": _records(self.datasets),
            "events": _records(self.events),
            "caveats": list(self.caveats),
            "notes": list(self.notes),
            "missing": dict(self.missing),
            "alerts": _alerts_records(self.alerts),
            "alerts_summary": _alerts_summary(self.alerts),
            "linkage": _linkage_dict(self.linkage),
            "public": self.public,
        }
        if self.public:
            out["disclosure_control"] = self.disclosure
        return _clean(out)


# -- sentences ----------------------------------------------------------------------------------


def change_sentence(label: str, current: float, previous: float, year: int, compare: int) -> str:
    """One honest sentence about the change in a count between two years.

    The change is tested (:func:`vrkit.analysis.changes.compare_counts`: exact conditional test
    of two Poisson counts); a rise or fall is claimed only when the test is significant at 5 %,
    with the 95 % interval of the % change; otherwise the sentence says "no significant
    change".

    Examples
    --------
    >>> change_sentence("Homicide", 8, 7, 2020, 2019)
    'Homicide: no significant change in 2020 compared with 2019 (8 offences against 7; p = 1.00).'
    """
    if current is None or previous is None or _isnan(current) or _isnan(previous):
        return f"{label}: figures for {year} or {compare} are not available."
    return honest_sentence(label, compare_counts(current, previous), year, compare)


def _isnan(x: object) -> bool:
    try:
        return math.isnan(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return x is None or x is pd.NA


# -- months ---------------------------------------------------------------------------------------


def _month_ranges(months: Sequence[date]) -> str:
    """``Jan–Mar 2010, Dec 2010`` for a sorted list of first-of-month dates."""
    ms = sorted(months)
    parts: list[str] = []
    i = 0
    while i < len(ms):
        j = i
        while j + 1 < len(ms) and _next_month(ms[j]) == ms[j + 1]:
            j += 1
        a, b = ms[i], ms[j]
        if a == b:
            parts.append(a.strftime("%b %Y"))
        elif a.year == b.year:
            parts.append(f"{a.strftime('%b')}–{b.strftime('%b %Y')}")
        else:
            parts.append(f"{a.strftime('%b %Y')}–{b.strftime('%b %Y')}")
        i = j + 1
    return ", ".join(parts)


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def _year_months(year: int) -> list[date]:
    return [date(year, m, 1) for m in range(1, 13)]


# -- the builder ----------------------------------------------------------------------------------


def _resolve_area(area: str) -> tuple[str, str, str]:
    if area.strip().lower() in {"london", "mps", LONDON_CODE.lower(), "metropolitan police"}:
        return LONDON_CODE, LONDON, "london"
    hit = resolve_borough(area)
    if hit is None or hit[2] != "lad" or hit[0] == "E09000001":
        names = sorted(
            n for c, n in borough_names().items() if not is_pseudo(c) and c != "E09000001"
        )
        why = (
            "the City of London has its own police force and is not in MPS data"
            if hit is not None and hit[0] == "E09000001"
            else "it is not London or an MPS borough name or GSS code"
        )
        raise InputError(
            f"unknown area {area!r}: {why}",
            hint="Use London or one of: " + ", ".join(names) + " (or a GSS code E09…).",
        )
    return hit[0], hit[1], "borough"


def _check_coverage(wh: Warehouse, area_code: str, kind: str, years: Sequence[int]) -> None:
    present = wh.query(
        """SELECT month, count(DISTINCT scope_code) FILTER (WHERE scope_code LIKE 'E09%') AS boroughs,
                  bool_or(scope_code = $code) AS has_area
           FROM crime_count WHERE source_kind = $kind AND year(month) IN (SELECT unnest($years))
           GROUP BY month""",
        {"kind": SOURCE_KIND, "code": area_code, "years": [int(y) for y in years]},
    )
    ok: set[date] = set()
    for r in present.itertuples():
        m = pd.Timestamp(r.month).date()
        if (kind == "london" and r.boroughs >= 32) or (kind == "borough" and r.has_area):
            ok.add(m)
    missing = [m for y in years for m in _year_months(y) if m not in ok]
    if missing:
        span = wh.query(
            "SELECT min(month) AS a, max(month) AS b FROM crime_count WHERE source_kind = ?",
            [SOURCE_KIND],
        )
        loaded = (
            "no MPS borough monthly data are loaded"
            if span.empty or pd.isna(span.iloc[0]["a"])
            else "the loaded MPS borough monthly data cover "
            + _month_ranges([pd.Timestamp(span.iloc[0]["a"]).date()])
            + " to "
            + _month_ranges([pd.Timestamp(span.iloc[0]["b"]).date()])
        )
        years_txt = " and ".join(str(y) for y in years)
        raise InputError(
            f"{years_txt} not fully covered by the MPS borough monthly data: missing months "
            f"{_month_ranges(missing)} ({len(missing)} month{'s' if len(missing) != 1 else ''}); "
            f"{loaded}",
            hint="Pick years inside the loaded range, or load an MPS borough file covering them "
            "(`vrkit ingest PATH`).",
        )


def _population_years(wh: Warehouse) -> list[date]:
    df = wh.query(
        """SELECT DISTINCT period_start FROM indicator_value
           WHERE indicator_id = 'population_all_ages' AND area_code LIKE 'E01%'
           ORDER BY 1"""
    )
    return [pd.Timestamp(x).date() for x in df["period_start"]]


def _population(wh: Warehouse, period: date, link_type: str) -> pd.DataFrame:
    """Population of parents of LSOAs via links of one type: ``area_code, population, lsoas``."""
    return wh.query(
        """SELECT l.parent_code AS area_code, sum(p.value) AS population, count(*) AS lsoas
           FROM indicator_value p JOIN area_link l ON l.child_code = p.area_code
           WHERE p.indicator_id = 'population_all_ages' AND p.period_start = ?
             AND l.link_type = ?
           GROUP BY 1 ORDER BY 1""",
        [period, link_type],
    )


def _link_types(wh: Warehouse, like: str) -> list[str]:
    df = wh.query(
        "SELECT DISTINCT link_type FROM area_link WHERE link_type LIKE ? ORDER BY 1", [like]
    )
    return [str(x) for x in df["link_type"]]


def _yearly(counts: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Long monthly counts → ``area_code, area_type, year, count`` for the given years."""
    c = counts.assign(year=pd.to_datetime(counts["month"]).dt.year)
    c = c[c["year"].isin(list(years))]
    return c.groupby(["area_code", "area_type", "year"], as_index=False)["count"].sum()


def _compare_table(per_year: pd.DataFrame, year: int, compare: int, key: list[str]) -> pd.DataFrame:
    """``key + [current, previous, change, pct_change]`` from ``key + [year, count]`` rows.

    A year with no row, or only missing counts, stays missing (NaN), never zero.
    """
    grouped = per_year.groupby([*key, "year"])["count"].sum(min_count=1)
    wide = grouped.unstack("year").reindex(columns=[year, compare])
    out = pd.DataFrame(index=wide.index)
    out["current"] = wide[year].astype(float)
    out["previous"] = wide[compare].astype(float)
    out["change"] = out["current"] - out["previous"]
    prev = out["previous"].where(out["previous"] > 0)
    out["pct_change"] = 100.0 * out["change"] / prev
    return compare_count_frame(out.reset_index())


def build_violent_crime_report(
    wh: Warehouse,
    *,
    year: int,
    compare: int | None = None,
    area: str = LONDON,
    public: bool = False,
    sdc_rule: str = "lt10",
) -> ViolentCrimeReport:
    """Build the Violent Crime Report for ``year`` against ``compare`` for London or a borough.

    Parameters
    ----------
    wh : Warehouse
        The warehouse holding at least the MPS borough monthly data.
    year : int
        Calendar year of the report.
    compare : int, optional
        Comparison year; default ``year - 1``.
    area : str
        ``"London"`` (the MPS area, all rows including pseudo-areas) or a borough name or GSS code.
    public : bool, default False
        Apply disclosure control (:func:`vrkit.reports.violent_crime_public.make_public`): small
        counts and the figures that would reveal them are suppressed, derived figures blanked,
        and the report states the rule. ``False`` leaves every figure as computed.
    sdc_rule : {"lt10", "nhs"}
        Small-count rule when ``public``: ``lt10`` suppresses 1–9, ``nhs`` 1–7.

    Returns
    -------
    ViolentCrimeReport

    Raises
    ------
    InputError
        Unknown area, or a year not fully covered by the loaded MPS borough monthly data (the
        message lists the missing months).

    Notes
    -----
    Rates per 1,000 residents use the mid-year LSOA population estimate nearest to ``year``,
    summed to boroughs (``lsoa11_lad`` links) or wards (best-fit ``lsoa11_ward…`` links), with
    Byar's approximation to the exact Poisson 95 % interval
    (:func:`vrkit.analysis.trends.rates_per_1000`).
    """
    compare = year - 1 if compare is None else compare
    if compare == year:
        raise InputError(
            f"the comparison year equals the report year ({year})",
            hint="Pick another --compare year.",
        )
    code, name, kind = _resolve_area(area)
    if public:
        from vrkit.reports.public import check_rule

        check_rule(sdc_rule)
    _check_coverage(wh, code, kind, [compare, year])
    generated = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    caveats: list[str] = []
    notes: list[str] = []
    missing: dict[str, str] = {}
    used: dict[int, set[str]] = {}

    def use(ids: Sequence[Any], what: str) -> None:
        for i in pd.unique(pd.Series(list(ids), dtype="Int64").dropna()):
            used.setdefault(int(i), set()).add(what)

    start, end = date(min(year, compare), 1, 1), date(max(year, compare), 12, 1)
    labels = {m: get_measure(m).label for m in HEADLINE_MEASURES}

    # counts per measure (all areas, both years)
    counts: dict[str, pd.DataFrame] = {}
    for m in HEADLINE_MEASURES:
        c = queries.measure_counts(wh, m, source_kind=SOURCE_KIND, start=start, end=end)
        c = c[pd.to_datetime(c["month"]).dt.year.isin([year, compare])]
        counts[m] = c
    mine = {m: (c if kind == "london" else c[c["area_code"] == code]) for m, c in counts.items()}
    for c in mine.values():
        use(c["dataset_id"], "headline and monthly figures")

    # population
    pop_period: date | None = None
    borough_pop = pd.DataFrame(columns=["area_code", "population", "lsoas"])
    periods = _population_years(wh)
    mid = [p for p in periods if p.month == 6] or periods
    if not mid:
        missing["population"] = (
            "Population not loaded: rates per 1,000 residents and ranks are not shown — run "
            "`vrkit ingest` on population/london-mid2019-pop.csv and "
            "population/london-mid2020-pop.csv (and the LSOA 2011 boundaries, which link LSOAs "
            "to boroughs)."
        )
    else:
        pop_period = min(mid, key=lambda p: (abs(p.year - year), -p.year))
        borough_pop = _population(wh, pop_period, "lsoa11_lad")
        if borough_pop.empty:
            missing["population"] = (
                f"Population for mid-{pop_period.year} is loaded but no LSOA→borough links are: "
                "rates are not shown — run `vrkit ingest` on the LSOA 2011 boundary layer "
                "(boundaries/statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp)."
            )
            pop_period = None
        else:
            ids = wh.query(
                """SELECT DISTINCT dataset_id FROM indicator_value
                   WHERE indicator_id = 'population_all_ages' AND period_start = ?""",
                [pop_period],
            )["dataset_id"]
            use(ids, "population (rates)")
            use(
                wh.query(
                    "SELECT DISTINCT dataset_id FROM area_link WHERE link_type = 'lsoa11_lad'"
                )["dataset_id"],
                "LSOA→borough links (rates)",
            )
            notes.append(
                f"Rates per 1,000 residents use the ONS mid-{pop_period.year} LSOA population "
                f"estimates (the nearest available to {year}), summed to boroughs; 95 % "
                "confidence intervals use Byar's approximation to the exact Poisson interval."
            )
            if pop_period.year != year:
                caveats.append(
                    f"No mid-{year} population estimate is loaded: rates for {year} use "
                    f"mid-{pop_period.year} population."
                )
    pop_year = pop_period.year if pop_period else None
    mps_boroughs = borough_pop[
        borough_pop["area_code"].str.startswith("E09") & (borough_pop["area_code"] != "E09000001")
    ]
    area_pop = (
        float(mps_boroughs["population"].sum())
        if kind == "london" and not mps_boroughs.empty
        else float(borough_pop.loc[borough_pop["area_code"] == code, "population"].sum())
        if not borough_pop.empty
        else float("nan")
    )
    if not area_pop or area_pop <= 0:
        area_pop = float("nan")

    # headline
    rows = []
    for m in HEADLINE_MEASURES:
        c = mine[m]
        yr = pd.to_datetime(c["month"]).dt.year
        cur = float(c.loc[yr == year, "count"].sum())
        prev = float(c.loc[yr == compare, "count"].sum())
        diff, pct = change(cur, prev)
        rows.append(
            {
                "measure": m,
                "label": labels[m],
                "current": cur,
                "previous": prev,
                "change": diff,
                "pct_change": pct,
                "population": area_pop,
                "commentary": change_sentence(labels[m], cur, prev, year, compare),
            }
        )
    headline = rates_per_1000(compare_count_frame(pd.DataFrame(rows)), count="current")
    notes.append(
        f"Changes: {CHANGE_METHOD}. A rise or fall is reported only when significant; "
        "maps colour only significant changes."
    )

    # monthly
    mrows = []
    for m in HEADLINE_MEASURES:
        c = mine[m].assign(month=pd.to_datetime(mine[m]["month"]))
        g = c.groupby("month", as_index=False)["count"].sum()
        full = pd.DataFrame({"month": pd.to_datetime(_year_months(compare) + _year_months(year))})
        g = full.merge(g, on="month", how="left")
        g.insert(0, "label", labels[m])
        g.insert(0, "measure", m)
        mrows.append(g)
    monthly = pd.concat(mrows, ignore_index=True)
    monthly["year"] = monthly["month"].dt.year
    monthly["month_num"] = monthly["month"].dt.month
    monthly = monthly[["measure", "label", "year", "month", "month_num", "count"]]

    # boroughs (London report)
    names = borough_names()
    boroughs = pd.DataFrame()
    if kind == "london":
        parts = []
        for m in HEADLINE_MEASURES:
            t = _compare_table(
                _yearly(counts[m], [year, compare]), year, compare, ["area_code", "area_type"]
            )
            t.insert(0, "label", labels[m])
            t.insert(0, "measure", m)
            parts.append(t)
        boroughs = pd.concat(parts, ignore_index=True)
        boroughs["area_name"] = boroughs["area_code"].map(names).fillna(boroughs["area_code"])
        boroughs["kind"] = np.where(boroughs["area_type"] == "pseudo", "pseudo", "borough")
        boroughs = boroughs.merge(
            borough_pop[["area_code", "population"]], on="area_code", how="left"
        )
        boroughs.loc[boroughs["kind"] == "pseudo", "population"] = np.nan
        boroughs = _rates_and_ranks(boroughs, "kind", "borough")
        boroughs = boroughs[
            [
                "measure",
                "label",
                "area_code",
                "area_name",
                "kind",
                "current",
                "previous",
                "change",
                "pct_change",
                "pct_lower",
                "pct_upper",
                "p_value",
                "change_class",
                "population",
                "rate",
                "rate_lower",
                "rate_upper",
                "rank",
            ]
        ]
        pseudo_names = sorted(boroughs.loc[boroughs["kind"] == "pseudo", "area_name"].unique())
        caveats.append(
            "London figures are the sum of every row of the MPS borough file, including the "
            f"pseudo-areas ({', '.join(pseudo_names) or 'none in these years'}), so London "
            "totals equal the source file's totals. The pseudo-areas are listed separately "
            "below the boroughs, without a rate (they have no resident population)."
        )
        caveats.append(
            "The City of London is not included: it has its own police force (City of London "
            "Police). London rates use the resident population of the 32 MPS boroughs."
        )

    # wards
    wards, ward_source, ward_ids, ward_notes, ward_missing = _ward_table(
        wh, year, compare, labels, code if kind == "borough" else None
    )
    if ward_missing:
        missing["wards"] = ward_missing
    caveats.extend(ward_notes)
    use(ward_ids, "ward table and maps")

    # boundaries
    borough_geom = queries.area_geometries(wh, "lad")
    if borough_geom.empty:
        missing["borough_map"] = (
            "Borough boundaries not loaded: borough maps are not shown — run `vrkit ingest` on "
            "boundaries/statistical-gis-boundaries-london/ESRI/London_Borough_Excluding_MHW.shp."
        )
    else:
        use(_geom_dataset_ids(wh, "lad"), "borough boundaries (maps)")
    ward_layer = None
    ward_geom = pd.DataFrame()
    if not wards.empty:
        ward_layer, ward_geom, unmatched, n_codes = _match_ward_layer(wh, wards)
        if ward_layer is None:
            missing["ward_map"] = (
                "Ward boundaries not loaded: ward maps are not shown — run `vrkit ingest` on "
                "boundaries/London-wards-2018/London-wards-2018_ESRI/London_Ward.shp and "
                "boundaries/statistical-gis-boundaries-london/ESRI/London_Ward.shp."
            )
        else:
            use(_geom_dataset_ids(wh, ward_layer), "ward boundaries (maps)")
            notes.append(
                f"Ward maps use the {ward_layer} boundary layer, which matches "
                f"{n_codes - unmatched:,} of the {n_codes:,} ward codes in the ward data"
                + (
                    f"; {unmatched:,} codes have no polygon and are not mapped."
                    if unmatched
                    else "."
                )
            )
        if kind == "borough" and not ward_geom.empty:
            ward_geom = ward_geom[ward_geom["area_code"].isin(wards["area_code"])]
        wards, wnote = _ward_rates(wh, wards, pop_period, ward_layer)
        if wnote:
            notes.append(wnote)
    if kind == "borough" and not borough_geom.empty:
        borough_geom = borough_geom[borough_geom["area_code"] == code]

    # homicide
    homicide, hom_ids, hom_msg = _homicide(wh, code if kind == "borough" else None)
    if hom_msg:
        missing["homicide"] = hom_msg
    else:
        use(hom_ids, "homicide table")
        caveats.append(
            "The homicide table counts victims by the year recorded (MPS homicide victims file); "
            "the headline Homicide figure counts recorded offences, and the two can differ by a "
            "few a year."
        )
        if "partial" in homicide.columns and homicide["partial"].any():
            py = ", ".join(str(int(y)) for y in homicide.loc[homicide["partial"], "year"])
            caveats.append(f"Homicide figures for {py} cover part of the year only.")

    # caveats from the catalogue and the data
    connect = max(year, compare) >= 2024
    for m in HEADLINE_MEASURES:
        note = _relevant_note(get_measure(m).notes, connect)
        if note:
            caveats.append(f"{labels[m]}: {note}")
    if max(year, compare) >= 2024:
        caveats.insert(
            0,
            "From about February/March 2024 MPS data come from its CONNECT recording system: "
            "violence against the person then also includes stalking and harassment and death or "
            "serious injury by illegal driving, so figures for 2024 on are not comparable with "
            "earlier years.",
        )
    releases = wh.query(
        "SELECT file_name, covers_to FROM dataset WHERE dataset_id IN (SELECT unnest(?))",
        [sorted(i for i, w in used.items() if "headline and monthly figures" in w)],
    )
    if not releases.empty:
        caveats.append(
            "Police figures are revised between releases; each borough-month comes from the "
            "newest MPS release loaded: "
            + "; ".join(
                f"{r.file_name} (release to {pd.Timestamp(r.covers_to):%b %Y})"
                for r in releases.itertuples()
            )
            + "."
        )

    # datasets
    ds = queries.datasets_used(wh, sorted(used))
    if not ds.empty:
        ds = ds.copy()
        ds["months_covered"] = [
            _month_ranges([pd.Timestamp(a).date()])
            + " – "
            + _month_ranges([pd.Timestamp(b).date()])
            if pd.notna(a) and pd.notna(b)
            else ""
            for a, b in zip(ds["covers_from"], ds["covers_to"], strict=True)
        ]
        ds["release"] = [f"{pd.Timestamp(b):%b %Y}" if pd.notna(b) else "" for b in ds["covers_to"]]
        ds["used_for"] = [", ".join(sorted(used[int(i)])) for i in ds["dataset_id"]]
        for col in ("exclusions", "notes"):
            ds[col] = [
                "; ".join(map(str, v)) if isinstance(v, list | tuple | np.ndarray) else (v or "")
                for v in ds[col]
            ]
        for r in ds.itertuples():
            if r.exclusions and ("derived" in str(r.source_kind) or r.source_kind == WARD_ANNUAL):
                caveats.append(f"{r.file_name} (derived): {r.exclusions}.")
        ds = ds[
            [
                "dataset_id",
                "source_kind",
                "file_name",
                "months_covered",
                "covers_from",
                "covers_to",
                "release",
                "sha256",
                "rows_loaded",
                "used_for",
                "exclusions",
                "notes",
            ]
        ]

    evs = events_frame(date(min(year, compare), 1, 1), date(max(year, compare), 12, 31))
    if missing.get("population"):
        notes.append(missing["population"])

    # early warning and linkage
    alerts = alerts_section(wh, area_kind=kind, area_code=code, year=year)
    vwi = monthly[monthly["measure"] == "violence_with_injury"]
    linkage = linkage_section(
        wh,
        area_kind=kind,
        area_code=code,
        area_name=name,
        year=year,
        compare=compare,
        police=vwi[["month", "count"]],
    )
    if linkage.loaded and linkage.synthetic:
        caveats.insert(
            0,
            "The A&E and/or ambulance figures in the hidden-violence section are SYNTHETIC "
            "(written by `vrkit synth`): they are not real attendances or call-outs.",
        )
    report = ViolentCrimeReport(
        area_code=code,
        area_name=name,
        area_kind=kind,
        year=year,
        compare_year=compare,
        generated_at=generated,
        measures=list(HEADLINE_MEASURES),
        headline=headline,
        monthly=monthly,
        boroughs=boroughs,
        wards=wards,
        homicide=homicide,
        datasets=ds,
        events=evs,
        caveats=caveats,
        notes=notes,
        missing=missing,
        population_year=pop_year,
        ward_source=ward_source,
        ward_layer=ward_layer,
        borough_geometry=borough_geom,
        ward_geometry=ward_geom,
        alerts=alerts,
        linkage=linkage,
    )
    if public:
        from vrkit.reports.violent_crime_public import make_public

        report = make_public(report, sdc_rule)
    return report


def _relevant_note(note: str, connect: bool) -> str:
    """The sentences of a catalogue note that apply to this report (MPS new categories only:
    drop old-category and police.uk sentences, and CONNECT ones before 2024)."""
    keep = []
    for sent in re.split(r"(?<=\.)\s+", note):
        low = sent.lower()
        if "old" in low.split() or "old-category" in low or "pre-2019" in low:
            continue
        if "police.uk" in low:
            continue
        if ("connect" in low or "2024" in low) and not connect:
            continue
        keep.append(sent)
    return " ".join(keep).strip()


def _rates_and_ranks(frame: pd.DataFrame, kind_col: str, rankable: str) -> pd.DataFrame:
    out = rates_per_1000(frame, count="current")
    parts = []
    for _, g in out.groupby("measure", sort=False):
        ranked = add_rank(g[g[kind_col] == rankable], "rate")
        g = g.assign(rank=ranked["rank"].reindex(g.index).astype("Int64"))
        parts.append(g)
    return pd.concat(parts).sort_index() if parts else out.assign(rank=pd.NA)


def _geom_dataset_ids(wh: Warehouse, area_type: str) -> list[int]:
    df = wh.query(
        "SELECT DISTINCT dataset_id FROM area WHERE area_type = ? AND geometry IS NOT NULL",
        [area_type],
    )
    return [int(x) for x in df["dataset_id"].dropna()]


def _ward_lookup(wh: Warehouse) -> pd.DataFrame:
    """``area_code, area_name, borough_code`` for every ward the warehouse knows."""
    df = wh.query(
        """SELECT area_code, any_value(area_name) AS area_name,
                  any_value(parent_code) AS borough_code
           FROM (SELECT area_code, area_name, parent_code,
                        CASE area_type WHEN 'ward_mps' THEN 0 WHEN 'ward18' THEN 1 ELSE 2 END AS p
                 FROM area WHERE area_type IN ('ward_mps', 'ward18', 'ward14')
                 QUALIFY row_number() OVER (PARTITION BY area_code ORDER BY p) = 1)
           GROUP BY area_code"""
    )
    return df


def _ward_table(
    wh: Warehouse,
    year: int,
    compare: int,
    labels: dict[str, str],
    borough: str | None,
) -> tuple[pd.DataFrame, str | None, list[int], list[str], str | None]:
    """Ward counts for both years: (table, source kind, dataset ids, caveats, missing message)."""
    months = wh.query(
        "SELECT DISTINCT month FROM crime_count WHERE source_kind = ? AND year(month) IN (?, ?)",
        [WARD_MONTHLY, year, compare],
    )
    have = {pd.Timestamp(m).date() for m in months["month"]}
    need = set(_year_months(year) + _year_months(compare))
    caveats: list[str] = []
    parts = []
    ids: list[int] = []
    if need <= have:
        source = WARD_MONTHLY
        for m in HEADLINE_MEASURES:
            c = queries.measure_counts(
                wh,
                m,
                source_kind=WARD_MONTHLY,
                start=date(min(year, compare), 1, 1),
                end=date(max(year, compare), 12, 1),
            )
            c = c[c["area_type"] == "ward"]
            ids += [int(x) for x in c["dataset_id"].unique()]
            t = _compare_table(_yearly(c, [year, compare]), year, compare, ["area_code"])
            t.insert(0, "label", labels[m])
            t.insert(0, "measure", m)
            parts.append(t)
        caveats.append(
            "Ward figures come from the MPS ward monthly files (newest release per borough and "
            "month). They exclude offences recorded at airports or without a usable location, "
            "so wards do not sum to the borough or London totals."
        )
    else:
        source = WARD_ANNUAL
        years_in = wh.query(
            """SELECT DISTINCT year FROM crime_count_annual
               WHERE source_kind = ? AND year IN (?, ?) AND NOT excluded""",
            [WARD_ANNUAL, year, compare],
        )
        got = {int(y) for y in years_in["year"]}
        if got != {year, compare}:
            lacking = sorted({year, compare} - got)
            mmiss = sorted(need - have)
            return (
                pd.DataFrame(),
                None,
                [],
                [],
                f"Ward data not loaded for {' and '.join(map(str, lacking))}: the ward table and "
                f"ward maps are not shown. The MPS ward monthly data lack "
                f"{_month_ranges(mmiss)} and the derived ward-annual file "
                f"({WARD_ANNUAL}) does not cover those years — {DATA_HINT}.",
            )
        for m in HEADLINE_MEASURES:
            a = queries.annual_counts(wh, m, source_kind=WARD_ANNUAL)
            a = a[a["year"].isin([year, compare])]
            ids += [int(x) for x in a["dataset_id"].dropna().unique()]
            t = _compare_table(a, year, compare, ["area_code"])
            t.insert(0, "label", labels[m])
            t.insert(0, "measure", m)
            parts.append(t)
        caveats.append(
            f"No MPS ward monthly data cover both {compare} and {year} "
            f"(missing {_month_ranges(sorted(need - have))}): ward figures come from the DERIVED "
            "ward-annual file (London.Crime.ByWard_2011-2022, third-party annual sums of the MPS "
            "ward files). Cells that are NA in that file are shown as missing, never as zero; "
            "ward figures exclude airports and unknown-location offences, so wards do not sum to "
            "borough or London totals."
        )
    table = pd.concat(parts, ignore_index=True)
    lookup = _ward_lookup(wh)
    table = table.merge(lookup, on="area_code", how="left")
    table["area_name"] = table["area_name"].fillna(table["area_code"])
    table["borough_name"] = table["borough_code"].map(borough_names())
    if borough is not None:
        if lookup.empty:
            return (
                pd.DataFrame(),
                None,
                [],
                [],
                "Ward names and boroughs not loaded: the ward table is not shown — load the MPS "
                f"ward monthly file or the ward boundaries ({DATA_HINT}).",
            )
        table = table[table["borough_code"] == borough]
        if table.empty:
            return (
                pd.DataFrame(),
                None,
                [],
                [],
                f"No wards of this borough in the ward data for {compare}–{year}.",
            )
    na = table[table["current"].isna() | table["previous"].isna()]
    if not na.empty:
        per = na.groupby("label", sort=False)["area_code"].nunique()
        caveats.append(
            "Ward figures missing in the source (NA, shown as missing, never zero) for: "
            + "; ".join(
                f"{lab.lower()} ({n:,} ward{'s' if n != 1 else ''})" for lab, n in per.items()
            )
            + "."
        )
    return table.reset_index(drop=True), source, sorted(set(ids)), caveats, None


def _match_ward_layer(
    wh: Warehouse, wards: pd.DataFrame
) -> tuple[str | None, pd.DataFrame, int, int]:
    """Pick the ward boundary layer matching most ward codes: (layer, geometry, unmatched, n)."""
    codes = set(wards["area_code"])
    best: tuple[str | None, pd.DataFrame, int] = (None, pd.DataFrame(), -1)
    for layer in ("ward18", "ward14"):
        g = queries.area_geometries(wh, layer)
        hits = len(codes & set(g["area_code"])) if not g.empty else 0
        if hits > best[2] and hits > 0:
            best = (layer, g, hits)
    if best[0] is None:
        return None, pd.DataFrame(), len(codes), len(codes)
    return best[0], best[1], len(codes) - best[2], len(codes)


def _ward_rates(
    wh: Warehouse, wards: pd.DataFrame, pop_period: date | None, layer: str | None
) -> tuple[pd.DataFrame, str | None]:
    note = None
    pop = pd.DataFrame(columns=["area_code", "population"])
    if pop_period is not None:
        links = _link_types(wh, "lsoa11_ward%")
        pick = [t for t in links if layer and layer in t] or (links if len(links) == 1 else [])
        if pick:
            pop = _population(wh, pop_period, pick[0])[["area_code", "population"]]
            note = (
                f"Ward populations are mid-{pop_period.year} LSOA estimates assigned to wards by "
                f"best-fit LSOA→ward links ({pick[0]}): indicative only where LSOAs straddle "
                "ward boundaries."
            )
        else:
            note = (
                "No LSOA→ward links are loaded: ward rates are not shown (ward boundaries and the "
                "LSOA 2011 boundaries are needed to derive them)."
            )
    out = wards.merge(pop, on="area_code", how="left")
    out["kind"] = "ward"
    out = _rates_and_ranks(out, "kind", "ward")
    cols = [
        "measure",
        "label",
        "area_code",
        "area_name",
        "borough_code",
        "borough_name",
        "current",
        "previous",
        "change",
        "pct_change",
        "pct_lower",
        "pct_upper",
        "p_value",
        "change_class",
        "population",
        "rate",
        "rate_lower",
        "rate_upper",
        "rank",
    ]
    return out[[c for c in cols if c in out.columns]], note


def _homicide(wh: Warehouse, area_code: str | None) -> tuple[pd.DataFrame, list[int], str | None]:
    msg = (
        "Homicide victims not loaded: the homicide table is not shown — run `vrkit ingest` on "
        "mps_homicide/original_homicide.xlsx - dataset.csv."
    )
    n = wh.query("SELECT count(*) AS n FROM homicide_victim")["n"].iloc[0]
    if not n:
        return pd.DataFrame(), [], msg
    try:
        from vrkit.analysis.homicide import homicide_table
    except ImportError:
        return pd.DataFrame(), [], msg.replace("not loaded", "cannot be tabulated by this vrkit")
    victims = queries.homicide_victims(wh)
    latest = int(victims["recorded_year"].max())
    years = list(range(FIRST_HOMICIDE_YEAR, latest + 1))
    table = homicide_table(victims, area_code=area_code, years=years)
    ids = [int(x) for x in victims["dataset_id"].unique()]
    return table.reset_index(drop=True), ids, None


# -- output ---------------------------------------------------------------------------------------


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts; in a public table the ``suppressed``/``blanked`` columns become a
    ``suppressed`` flag and the lists ``suppressed_fields``/``blanked_fields``."""
    if frame is None or frame.empty:
        return []
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m-%d")
    recs = out.astype(object).where(out.notna(), None).to_dict("records")
    if "suppressed" in out.columns:
        for r in recs:
            _flag(r, r)
    return recs


def _flag(dst: dict[str, Any], row: dict[str, Any], rename: dict[str, str] | None = None) -> None:
    """Set ``suppressed`` (bool), ``suppressed_fields`` and ``blanked_fields`` in ``dst`` from a
    public row's comma-separated ``suppressed``/``blanked`` columns (field names renamed)."""
    ren = rename or {}
    sup = [ren.get(f, f) for f in str(row.get("suppressed") or "").split(",") if f]
    blank = [ren.get(f, f) for f in str(row.get("blanked") or "").split(",") if f]
    dst.pop("blanked", None)
    dst["suppressed"] = bool(sup)
    dst["suppressed_fields"] = sup
    dst["blanked_fields"] = blank


def _alerts_records(a: AlertsSection | None) -> list[dict[str, Any]]:
    if a is None or a.table.empty:
        return []
    recs = []
    for r in _records(a.table):
        r["month"] = str(r["month"])[:7]
        recs.append(r)
    return recs


def _alerts_summary(a: AlertsSection | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "measure": a.params.get("measure"),
        "geography": a.geography,
        "month": None if a.month is None else f"{a.month:%Y-%m}",
        "level": a.params.get("level"),
        "fdr": a.params.get("fdr"),
        "n_tested": a.n_tested,
        "n_alerts": a.n_alerts,
        "n_alerts_fdr": a.n_alerts_fdr,
        "n_not_tested": a.n_skipped,
        "expected_by_chance": a.expected_by_chance,
        "by_month": [{**r, "month": str(r["month"])[:7]} for r in _records(a.by_month)],
        "message": a.message,
        "method": a.method,
        "reference": a.reference,
    }


def _linkage_dict(lk: LinkageSection | None) -> dict[str, Any] | None:
    if lk is None:
        return None
    if not lk.loaded:
        return {"loaded": False, "message": lk.message}
    return {
        "loaded": True,
        "synthetic": lk.synthetic,
        "yearly": _records(lk.yearly),
        "monthly": _records(lk.monthly),
        "totals": lk.totals,
        "trend": lk.trend,
        "notes": lk.notes,
        "method": lk.method,
        "reference": lk.reference,
    }


def _clean(x: Any) -> Any:
    """Recursively make ``x`` JSON-safe: NaN/NA → None, numpy scalars → Python, dates → ISO."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.ndarray):
        return [_clean(v) for v in x.tolist()]
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, np.bool_ | bool):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, float | np.floating):
        f = float(x)
        if not math.isfinite(f):
            return None
        return int(f) if f.is_integer() and abs(f) < 2**53 else f
    if isinstance(x, pd.Timestamp | datetime | date):
        return x.isoformat()
    return x


def write_report(
    report: ViolentCrimeReport,
    out_dir: Path,
    formats: Sequence[str] = ("html", "xlsx", "json"),
) -> list[Path]:
    """Write the report as ``violent-crime-<area-slug>-<year>.<format>`` files in ``out_dir``.

    Parameters
    ----------
    report : ViolentCrimeReport
    out_dir : Path
        Created if missing.
    formats : sequence of str
        Any of ``html``, ``xlsx``, ``json``.

    Returns
    -------
    list of Path
        The files written, in the order of ``formats``.
    """
    known = ("html", "xlsx", "json")
    bad = [f for f in formats if f not in known]
    if bad:
        raise InputError(
            f"unknown report format(s) {', '.join(bad)}", hint=f"Use any of {', '.join(known)}."
        )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for fmt in formats:
        p = out_dir / f"{report.file_stem}.{fmt}"
        if fmt == "json":
            text = json.dumps(report.to_dict(), indent=2, allow_nan=False, ensure_ascii=False)
            p.write_text(text + "\n", encoding="utf-8")
        elif fmt == "xlsx":
            from vrkit.reports.xlsx import write_xlsx

            write_xlsx(report, p)
        else:
            p.write_text(render_html(report), encoding="utf-8")
        paths.append(p)
    return paths


# -- HTML -----------------------------------------------------------------------------------------


def _sup(r: dict[str, Any], field: str) -> bool:
    """True when ``field`` of a public row is suppressed."""
    return field in str(r.get("suppressed") or "").split(",")


def _star(r: dict[str, Any], field: str, text: str) -> str:
    """``"*"`` for a suppressed count, else ``text``."""
    return "*" if _sup(r, field) else text


def _num(x: Any, digits: int = 0) -> str:
    if _isnan(x):
        return "–"
    return f"{float(x):,.{digits}f}"


def _signed(x: Any, digits: int = 0, suffix: str = "") -> str:
    if _isnan(x):
        return "–"
    v = float(x)
    s = f"{abs(v):,.{digits}f}{suffix}"
    if round(v, digits) == 0:
        return f"0{suffix}" if digits == 0 else f"{0:.{digits}f}{suffix}"
    return ("+" if v > 0 else "−") + s


def _rate_digits(x: Any) -> int:
    """Decimals for a rate: 2, or enough for 2 significant figures below 0.1."""
    if _isnan(x) or float(x) == 0 or abs(float(x)) >= 0.1:
        return 2
    return min(4, 1 - math.floor(math.log10(abs(float(x)))))


def _rate(x: Any) -> str:
    return _num(x, _rate_digits(x))


def _ci(lo: Any, hi: Any, ref: Any = None) -> str:
    if _isnan(lo) or _isnan(hi):
        return "–"
    d = _rate_digits(ref if ref is not None else hi)
    return f"{float(lo):,.{d}f} to {float(hi):,.{d}f}"


def _charts(report: ViolentCrimeReport) -> list[dict[str, str]]:
    from vrkit.reports.charts import monthly_chart, to_svg

    out = []
    src = _source_line(report)
    for m in report.measures:
        d = report.monthly[report.monthly["measure"] == m]
        label = d["label"].iloc[0]
        chart = monthly_chart(
            d,
            label=label,
            year=report.year,
            compare=report.compare_year,
            events=report.events,
            area=report.area_name,
            source=src,
        )
        h = report.headline.set_index("measure").loc[m]
        desc = (
            f"Line chart of monthly {label.lower()} offences in {report.area_name}, "
            f"{report.compare_year} and {report.year}. {h['commentary']}"
        )
        out.append(
            {
                "measure": m,
                "label": label,
                "svg": to_svg(chart, description=desc),
                "description": desc,
            }
        )
    return out


def _source_line(report: ViolentCrimeReport) -> str:
    rel = (
        report.datasets[report.datasets["source_kind"] == SOURCE_KIND]
        if not (report.datasets.empty)
        else pd.DataFrame()
    )
    tail = ""
    if not rel.empty:
        tail = " Release to " + ", ".join(sorted(set(rel["release"]))) + "."
    return "Source: Metropolitan Police Service recorded crime (London Datastore)." + tail


def _map_measure_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of the mapped measure with ``suppressed_map`` (1 where a count behind the value is
    suppressed: the map shows "suppressed", not a colour)."""
    if frame is None or frame.empty:
        return pd.DataFrame(
            columns=["area_code", "rate", "pct_change", "change_class", "suppressed_map"]
        )
    f = frame[frame["measure"] == MAP_MEASURE]
    sup = (
        f["suppressed"].astype(str).str.len().gt(0).astype(float)
        if "suppressed" in f.columns
        else pd.Series(0.0, index=f.index)
    )
    return f.assign(suppressed_map=sup)


def _maps(report: ViolentCrimeReport) -> list[dict[str, str]]:
    from vrkit.reports.maps import choropleth, geojson_features, map_svg

    label = get_measure(MAP_MEASURE).label
    out: list[dict[str, str]] = []
    layers: list[tuple[str, pd.DataFrame, pd.DataFrame, float]] = []
    if report.area_kind == "london" and not report.borough_geometry.empty:
        layers.append(
            ("borough", report.borough_geometry, _map_measure_rows(report.boroughs), 40.0)
        )
    if not report.ward_geometry.empty and not report.wards.empty:
        layers.append(
            (
                "ward",
                report.ward_geometry,
                _map_measure_rows(report.wards),
                20.0 if report.area_kind == "london" else 5.0,
            )
        )
    src = "Source: MPS recorded crime; ONS population; GLA boundaries (OGL)."
    for level, geom, vals, tol in layers:
        feats = geojson_features(
            geom,
            vals,
            fields=("rate", "pct_change", "change_class", "suppressed_map"),
            tolerance=tol,
        )
        n_sup = sum(1 for f in feats if f["properties"]["suppressed_map"])
        has_rate = any(f["properties"]["rate"] is not None for f in feats)
        specs = []
        if has_rate:
            specs.append(
                (
                    "rate",
                    f"{label}: rate per 1,000 residents, {report.year}",
                    "Rate per 1,000",
                    False,
                    ",.1f",
                )
            )
        specs.append(
            (
                "change_class",
                f"{label}: change, {report.compare_year} to {report.year}",
                "Change (exact test, 5 %)",
                True,
                "",
            )
        )
        for fld, title, legend, div, fmt in specs:
            src_txt = {
                WARD_MONTHLY: " (MPS ward monthly data)",
                WARD_ANNUAL: " (derived ward-annual file)",
            }
            sub = [
                f"By {level}, {report.area_name}"
                + (src_txt.get(report.ward_source or "", "") if level == "ward" else ""),
                "Grey: no data"
                + (
                    "; only changes that an exact test finds significant are coloured"
                    if div
                    else ""
                )
                + (f"; dark grey: suppressed ({n_sup})" if n_sup else ""),
            ]
            chart = choropleth(
                feats,
                field=fld,
                title=title,
                subtitle=sub,
                legend_title=legend,
                classes=CHANGE_COLOURS if fld == "change_class" else None,
                value_format=fmt or ",.1f",
                source=src,
                suppressed_field="suppressed_map" if n_sup else None,
            )
            desc = f"Map of {title.lower()} by {level} in {report.area_name}." + (
                f" {n_sup} areas are marked suppressed (disclosure control)." if n_sup else ""
            )
            out.append(
                {
                    "level": level,
                    "field": fld,
                    "title": title,
                    "description": desc,
                    "svg": map_svg(chart, feats, description=desc),
                }
            )
        if not has_rate:
            out.append(
                {
                    "level": level,
                    "field": "rate",
                    "title": "",
                    "description": "",
                    "svg": "",
                    "message": report.missing.get("population")
                    or next(
                        (n for n in report.notes if "ward rates are not shown" in n),
                        "rates are not available for this layer.",
                    ),
                }
            )
    return out


def _sig(r: dict[str, Any]) -> str:
    """``rise``/``fall`` for a significant change (coloured), else ``""``."""
    cls = r.get("change_class")
    return {"significant rise": "rise", "significant fall": "fall"}.get(str(cls), "")


def _pct_cell(r: dict[str, Any]) -> str:
    """% change with "n.s." where its exact test is not significant."""
    txt = _signed(r["pct_change"], 1, " %")
    if r.get("change_class") == "no significant change" and txt not in ("", "–"):
        txt += " (n.s.)"
    return txt


def _table_rows(frame: pd.DataFrame, measure: str, kind_col: str | None = None) -> list[dict]:
    if frame is None or frame.empty:
        return []
    f = frame[frame["measure"] == measure]
    rows = []
    for r in f.to_dict("records"):
        rows.append(
            {
                "name": r["area_name"],
                "code": r["area_code"],
                "kind": r.get(kind_col) if kind_col else "",
                "borough": r.get("borough_name") or "",
                "current": _star(r, "current", _num(r["current"])),
                "previous": _star(r, "previous", _num(r["previous"])),
                "change": _signed(r["change"]),
                "pct": _pct_cell(r),
                "sig": _sig(r),
                "rate": _rate(r["rate"]),
                "ci": _ci(r["rate_lower"], r["rate_upper"], r["rate"]),
                "rank": "–" if _isnan(r["rank"]) else str(int(r["rank"])),
                "sort_rate": -1.0 if _isnan(r["rate"]) else float(r["rate"]),
            }
        )
    return rows


def render_html(report: ViolentCrimeReport) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no external reference)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vrkit.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    tpl = env.get_template("violent_crime.html.j2")
    headline = []
    for r in report.headline.to_dict("records"):
        headline.append(
            {
                "label": r["label"],
                "measure": r["measure"],
                "current": _star(r, "current", _num(r["current"])),
                "previous": _star(r, "previous", _num(r["previous"])),
                "change": _signed(r["change"]),
                "pct": _pct_cell(r),
                "sig": _sig(r),
                "rate": _rate(r["rate"]),
                "ci": _ci(r["rate_lower"], r["rate_upper"], r["rate"]),
                "commentary": r["commentary"],
            }
        )
    area_tables: list[dict[str, Any]] = []
    for m in TABLE_MEASURES:
        label = get_measure(m).label
        if report.area_kind == "london" and not report.boroughs.empty:
            rows = _table_rows(report.boroughs, m, "kind")
            main = sorted(
                (r for r in rows if r["kind"] == "borough"),
                key=lambda r: (-r["sort_rate"], r["name"]),
            )
            if all(r["rate"] == "–" for r in main):
                main = sorted(main, key=lambda r: r["name"])
            pseudo = [r for r in rows if r["kind"] == "pseudo"]
            h = report.headline.set_index("measure").loc[m]
            hd = h.to_dict()
            total = {
                "name": "London (all MPS rows)",
                "current": _star(hd, "current", _num(h["current"])),
                "previous": _star(hd, "previous", _num(h["previous"])),
                "change": _signed(h["change"]),
                "pct": _pct_cell(hd),
                "rate": _rate(h["rate"]),
                "ci": _ci(h["rate_lower"], h["rate_upper"], h["rate"]),
                "rank": "",
            }
            area_tables.append(
                {
                    "measure": m,
                    "label": label,
                    "level": "borough",
                    "rows": main,
                    "pseudo": pseudo,
                    "total": total,
                }
            )
        if report.area_kind == "borough" and not report.wards.empty:
            rows = sorted(_table_rows(report.wards, m), key=lambda r: (-r["sort_rate"], r["name"]))
            if all(r["rate"] == "–" for r in rows):
                rows = sorted(rows, key=lambda r: r["name"])
            area_tables.append(
                {
                    "measure": m,
                    "label": label,
                    "level": "ward",
                    "rows": rows,
                    "pseudo": [],
                    "total": None,
                }
            )
    homicide = []
    if not report.homicide.empty:
        for r in report.homicide.to_dict("records"):
            homicide.append(
                {
                    k: _star(r, k, "–" if _isnan(v) else f"{int(v):,}")
                    if k not in ("year", "partial", "suppressed", "blanked")
                    else v
                    for k, v in r.items()
                }
            )
    datasets = []
    for r in report.datasets.to_dict("records") if not report.datasets.empty else []:
        datasets.append({**r, "sha12": str(r["sha256"])[:12]})
    ward_source_txt = {
        WARD_MONTHLY: "MPS ward monthly files",
        WARD_ANNUAL: "the derived ward-annual file (third-party annual sums; see caveats)",
    }.get(report.ward_source or "", "")
    alerts_rows = []
    if report.alerts is not None:
        for a in report.alerts.table.to_dict("records"):
            alerts_rows.append(
                {
                    "name": a["area_name"],
                    "observed": _star(a, "observed", _num(a["observed"])),
                    "expected": _num(a["expected"], 1),
                    "threshold": _num(a["threshold"]),
                    "p": "" if _isnan(a["p_value"]) else f"{float(a['p_value']):.4f}",
                    "q": "" if _isnan(a["q_value"]) else f"{float(a['q_value']):.3f}",
                    "fdr": bool(a["alert_fdr"]) if not _isnan(a["q_value"]) else False,
                    "method": a["method"],
                }
            )
    link_rows = []
    lk = report.linkage
    if lk is not None and lk.loaded:
        for y in lk.yearly.to_dict("records"):
            link_rows.append(
                {
                    "year": int(y["year"]),
                    **{s: _star(y, s, _num(y[s])) for s in ("police", "ae", "ambulance")},
                    "ae_ratio": _num(y["ae_per_police"], 2),
                    "amb_ratio": _num(y["ambulance_per_police"], 2),
                }
            )
    return tpl.render(
        r=report,
        alerts_rows=alerts_rows,
        link_rows=link_rows,
        headline=headline,
        charts=_charts(report),
        maps=_maps(report),
        area_tables=area_tables,
        homicide=homicide,
        datasets=datasets,
        ward_source_txt=ward_source_txt,
        map_label=get_measure(MAP_MEASURE).label,
        generated=report.generated_at.strftime("%d %B %Y %H:%M UTC"),
        version=__version__,
    )

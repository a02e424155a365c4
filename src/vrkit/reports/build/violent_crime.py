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

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd

from vrkit._json import flag_public, is_missing, jsonable, records
from vrkit._version import __version__
from vrkit.analysis.changes import METHOD as CHANGE_METHOD
from vrkit.analysis.changes import change_sentence as honest_sentence
from vrkit.analysis.changes import compare_count_frame, compare_counts
from vrkit.analysis.homicide import homicide_table
from vrkit.analysis.trends import add_rank, change, rates_per_1000
from vrkit.analysis.young_people import RateResult
from vrkit.catalog.areas import (
    CITY_OF_LONDON,
    LONDON,
    Area,
    borough_names,
    resolve_area,
)
from vrkit.catalog.events import events_frame
from vrkit.catalog.measures import get_measure
from vrkit.catalog.published import published_changes
from vrkit.errors import InputError
from vrkit.reports.build.cost_section import CostSection
from vrkit.reports.build.sections import (
    AlertsSection,
    LinkageSection,
    alerts_section,
    linkage_section,
)
from vrkit.store import queries
from vrkit.store.core_data import KNIFE_KIND, knife_counts
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

SOURCE_KIND = "mps_borough_monthly"
#: Knife crime and youth violence measures added to the headline when the MPS/MOPAC knife-crime
#: file (source kind ``mps_knife_borough_monthly``, 2018-2020) covers both years (issue #12).
KNIFE_MEASURES: tuple[str, ...] = (
    "knife_crime",
    "knife_crime_with_injury",
    "knife_injury_victims_u25",
    "serious_youth_violence",
)
#: the knife measure given a rate per 100,000 residents aged 10-24 (issue #20)
KNIFE_RATE_MEASURE = "knife_injury_victims_u25"
KNIFE_FILE = "mps_knife_crime/Borough Monthly 2018-20.xlsx"
WARD_MONTHLY = "mps_ward_monthly"
WARD_ANNUAL = "mps_ward_annual_derived"
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
    knife_rates : knife injury victims under 25 per 100,000 residents aged 10-24 (when the knife
        file and the ONS single-year population are loaded): ``area_code, area_name, kind``
        (``borough``, ``pseudo`` or ``london``), ``year, count, population, rate, rate_lower,
        rate_upper, rank`` for both years; empty otherwise (``missing["knife_rates"]`` says why).
    knife_rate_method : how ``knife_rates`` was computed (numerator, denominator and its year).
    cost : the cost of recorded violence in the area and year
        (:mod:`vrkit.reports.build.cost_section`), set by the task
        :func:`vrkit.tasks.violent_crime_report` from ``vrkit cost-of-violence``; None when the
        report was built without it.
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
    knife_rates: pd.DataFrame = field(default_factory=pd.DataFrame)
    knife_rate_method: str = ""
    cost: CostSection | None = None
    public: bool = False
    sdc_rule: str | None = None
    disclosure: dict[str, Any] | None = None
    sdc_result: Any = field(default=None, repr=False)

    @property
    def slug(self) -> str:
        """File-name form of the area name (``london``, ``barking-and-dagenham``)."""
        return area_slug(self.area_name)

    @property
    def file_stem(self) -> str:
        """``violent-crime-<area-slug>-<year>``."""
        return report_stem(self.area_name, self.year)

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
                "source_kind": r.get("source_kind"),
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
                flag_public(m, r, rename={"rate": "rate_per_1000"})
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
            "monthly": records(self.monthly),
            "boroughs": records(self.boroughs),
            "wards": records(self.wards),
            "ward_source": self.ward_source,
            "ward_layer": self.ward_layer,
            "homicide_table": records(self.homicide),
            "datasets": records(self.datasets),
            "events": records(self.events),
            "caveats": list(self.caveats),
            "notes": list(self.notes),
            "missing": dict(self.missing),
            "alerts": _alerts_records(self.alerts),
            "alerts_summary": _alerts_summary(self.alerts),
            "linkage": _linkage_dict(self.linkage),
            "knife_rates": records(self.knife_rates),
            "knife_rate_method": self.knife_rate_method,
            "cost_of_violence": None if self.cost is None else self.cost.to_dict(),
            "public": self.public,
        }
        if self.public:
            out["disclosure_control"] = self.disclosure
        return jsonable(out)


def area_slug(name: str) -> str:
    """File-name form of an area name (``london``, ``barking-and-dagenham``)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def report_stem(area_name: str, year: int) -> str:
    """``violent-crime-<area-slug>-<year>``: the file name of a report without its suffix."""
    return f"violent-crime-{area_slug(area_name)}-{year}"


# -- sentences ----------------------------------------------------------------------------------


#: what a measure counts, when not offences (for the sentences)
NOUNS: dict[str, tuple[str, str]] = {
    "knife_injury_victims_u25": ("victim", "victims"),
    "serious_youth_violence": ("victim or offence", "victims or offences"),
}


def noun_of(measure: str) -> tuple[str, str]:
    """What ``measure`` counts, singular and plural (``offence``/``offences`` by default)."""
    return NOUNS.get(measure, ("offence", "offences"))


def change_sentence(
    label: str,
    current: float,
    previous: float,
    year: int,
    compare: int,
    *,
    noun: tuple[str, str] = ("offence", "offences"),
) -> str:
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
    if current is None or previous is None or is_missing(current) or is_missing(previous):
        return f"{label}: figures for {year} or {compare} are not available."
    return honest_sentence(label, compare_counts(current, previous), year, compare, noun=noun)


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


@dataclass
class _Build:
    """What the steps of :func:`build_violent_crime_report` share: the request, the statements
    collected for the reader (in the order they are shown) and the datasets used."""

    area: Area
    year: int
    compare: int
    caveats: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)
    used: dict[int, set[str]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.area.kind

    @property
    def borough(self) -> str | None:
        """The borough code of a borough report, None for London."""
        return None if self.area.is_london else self.area.code

    @property
    def years(self) -> list[int]:
        return [self.year, self.compare]

    @property
    def start(self) -> date:
        return date(min(self.year, self.compare), 1, 1)

    @property
    def end(self) -> date:
        return date(max(self.year, self.compare), 12, 1)

    def use(self, ids: Sequence[Any], what: str) -> None:
        """Record that datasets ``ids`` supply ``what`` (listed under Sources)."""
        for i in pd.unique(pd.Series(list(ids), dtype="Int64").dropna()):
            self.used.setdefault(int(i), set()).add(what)


@dataclass
class _Population:
    """Population used for rates: the estimate period, per-borough figures, the area's total."""

    period: date | None
    boroughs: pd.DataFrame
    area_total: float

    @property
    def year(self) -> int | None:
        return self.period.year if self.period else None


def _uncovered_months(wh: Warehouse, kind: str, area: Area, years: Sequence[int]) -> list[date]:
    """Months of ``years`` that source ``kind`` does not cover for ``area`` (London: fewer than
    the 32 boroughs)."""
    present = queries.month_coverage(wh, kind, area.code, list(years))
    ok: set[date] = set()
    for r in present.itertuples():
        m = pd.Timestamp(r.month).date()
        if (area.is_london and r.boroughs >= 32) or (not area.is_london and r.has_area):
            ok.add(m)
    return [m for y in years for m in _year_months(y) if m not in ok]


def _check_coverage(wh: Warehouse, area: Area, years: Sequence[int]) -> None:
    """Refuse years not fully covered by the MPS borough monthly data (months listed)."""
    missing = _uncovered_months(wh, SOURCE_KIND, area, years)
    if missing:
        span = queries.month_span(wh, SOURCE_KIND)
        loaded = (
            "no MPS borough monthly data are loaded"
            if span is None
            else "the loaded MPS borough monthly data cover "
            + _month_ranges([span[0]])
            + " to "
            + _month_ranges([span[1]])
        )
        years_txt = " and ".join(str(y) for y in years)
        raise InputError(
            f"{years_txt} not fully covered by the MPS borough monthly data: missing months "
            f"{_month_ranges(missing)} ({len(missing)} month{'s' if len(missing) != 1 else ''}); "
            f"{loaded}",
            hint="Pick years inside the loaded range, or load an MPS borough file covering them "
            "(`vrkit ingest PATH`).",
        )


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
    knife_rates: RateResult | str | None = None,
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
        ``"London"`` (the MPS area, all rows including pseudo-areas) or a borough name or GSS code
        (:func:`vrkit.catalog.areas.resolve_area`).
    knife_rates : RateResult or str, optional
        Knife injury victims under 25 per 100,000 residents aged 10-24 for every borough and
        London (:func:`vrkit.tasks.core_data.knife_victim_rates`, which the task
        :func:`vrkit.tasks.violent_crime_report` passes), or why it could not be computed; the
        report shows the rows of its area and years, or says why there are none.

    Returns
    -------
    ViolentCrimeReport
        Every figure as computed; the public edition is
        :func:`vrkit.reports.public.violent_crime.make_public` of it (the task
        :func:`vrkit.tasks.violent_crime_report` with ``public=True`` does both).

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
    b = _Build(resolve_area(area), year, compare)
    _check_coverage(wh, b.area, [compare, year])
    generated = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    labels = {m: get_measure(m).label for m in HEADLINE_MEASURES}
    counts = _measure_counts(wh, b)
    mine = {
        m: (c if b.area.is_london else c[c["area_code"] == b.area.code]) for m, c in counts.items()
    }
    for c in mine.values():
        b.use(c["dataset_id"], "headline and monthly figures")
    pop = _population(wh, b)
    headline = _headline(b, mine, labels, pop)
    knife = _knife_headline(wh, b, pop)
    if not knife.empty:
        headline = pd.concat([headline, knife], ignore_index=True)
    k_rates, k_method = _knife_rates(wh, b, knife_rates)
    monthly = _monthly(b, mine, labels)
    boroughs = _borough_table(b, counts, labels, pop) if b.area.is_london else pd.DataFrame()
    wards, ward_source, ward_layer, ward_geom = _ward_section(wh, b, labels, pop)
    borough_geom = _borough_geometry(wh, b)
    homicide = _homicide_section(wh, b)
    _catalogue_caveats(b, labels)
    _release_caveat(wh, b)
    linkage = _linkage(wh, b, monthly)  # before _datasets: it may use the LAS files
    ds = _datasets(wh, b)
    evs = events_frame(b.start, date(max(year, compare), 12, 31))
    if b.missing.get("population"):
        b.notes.append(b.missing["population"])
    alerts = alerts_section(wh, area_kind=b.kind, area_code=b.area.code, year=year)
    return ViolentCrimeReport(
        area_code=b.area.code,
        area_name=b.area.name,
        area_kind=b.kind,
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
        caveats=b.caveats,
        notes=b.notes,
        missing=b.missing,
        population_year=pop.year,
        ward_source=ward_source,
        ward_layer=ward_layer,
        borough_geometry=borough_geom,
        ward_geometry=ward_geom,
        alerts=alerts,
        linkage=linkage,
        knife_rates=k_rates,
        knife_rate_method=k_method,
    )


def _measure_counts(wh: Warehouse, b: _Build) -> dict[str, pd.DataFrame]:
    """Monthly counts of every headline measure, every area, both years."""
    counts: dict[str, pd.DataFrame] = {}
    for m in HEADLINE_MEASURES:
        c = queries.measure_counts(wh, m, source_kind=SOURCE_KIND, start=b.start, end=b.end)
        counts[m] = c[pd.to_datetime(c["month"]).dt.year.isin(b.years)]
    return counts


def _population(wh: Warehouse, b: _Build) -> _Population:
    """The mid-year estimate nearest the report year, summed to boroughs (or a message saying
    why rates are not shown)."""
    borough_pop = pd.DataFrame(columns=["area_code", "population", "lsoas"])
    period: date | None = None
    periods = queries.population_periods(wh)
    mid = [p for p in periods if p.month == 6] or periods
    if not mid:
        b.missing["population"] = (
            "Population not loaded: rates per 1,000 residents and ranks are not shown — run "
            "`vrkit ingest` on population/london-mid2019-pop.csv and "
            "population/london-mid2020-pop.csv (and the LSOA 2011 boundaries, which link LSOAs "
            "to boroughs)."
        )
    else:
        period = min(mid, key=lambda p: (abs(p.year - b.year), -p.year))
        borough_pop = queries.population_by_link(wh, period, "lsoa11_lad")
        if borough_pop.empty:
            b.missing["population"] = (
                f"Population for mid-{period.year} is loaded but no LSOA→borough links are: "
                "rates are not shown — run `vrkit ingest` on the LSOA 2011 boundary layer "
                "(boundaries/statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp)."
            )
            period = None
        else:
            b.use(
                queries.indicator_dataset_ids(wh, "population_all_ages", period),
                "population (rates)",
            )
            b.use(queries.link_dataset_ids(wh, "lsoa11_lad"), "LSOA→borough links (rates)")
            b.notes.append(
                f"Rates per 1,000 residents use the ONS mid-{period.year} LSOA population "
                f"estimates (the nearest available to {b.year}), summed to boroughs; 95 % "
                "confidence intervals use Byar's approximation to the exact Poisson interval."
            )
            if period.year != b.year:
                b.caveats.append(
                    f"No mid-{b.year} population estimate is loaded: rates for {b.year} use "
                    f"mid-{period.year} population."
                )
    mps_boroughs = borough_pop[
        borough_pop["area_code"].str.startswith("E09")
        & (borough_pop["area_code"] != CITY_OF_LONDON)
    ]
    area_pop = (
        float(mps_boroughs["population"].sum())
        if b.area.is_london and not mps_boroughs.empty
        else float(borough_pop.loc[borough_pop["area_code"] == b.area.code, "population"].sum())
        if not borough_pop.empty
        else float("nan")
    )
    if not area_pop or area_pop <= 0:
        area_pop = float("nan")
    return _Population(period, borough_pop, area_pop)


def _headline(
    b: _Build, mine: dict[str, pd.DataFrame], labels: dict[str, str], pop: _Population
) -> pd.DataFrame:
    """One row per measure: both years, change, rate with CI and the commentary sentence."""
    headline = _headline_rows(b, mine, labels, pop, HEADLINE_MEASURES, SOURCE_KIND)
    b.notes.append(
        f"Changes: {CHANGE_METHOD}. A rise or fall is reported only when significant; "
        "maps colour only significant changes."
    )
    return headline


def _headline_rows(
    b: _Build,
    mine: dict[str, pd.DataFrame],
    labels: dict[str, str],
    pop: _Population,
    measures: Sequence[str],
    source_kind: str,
) -> pd.DataFrame:
    rows = []
    for m in measures:
        c = mine[m]
        yr = pd.to_datetime(c["month"]).dt.year
        cur = float(c.loc[yr == b.year, "count"].sum())
        prev = float(c.loc[yr == b.compare, "count"].sum())
        diff, pct = change(cur, prev)
        rows.append(
            {
                "measure": m,
                "label": labels[m],
                "current": cur,
                "previous": prev,
                "change": diff,
                "pct_change": pct,
                "population": pop.area_total,
                "commentary": change_sentence(
                    labels[m], cur, prev, b.year, b.compare, noun=noun_of(m)
                ),
                "source_kind": source_kind,
            }
        )
    return rates_per_1000(compare_count_frame(pd.DataFrame(rows)), count="current")


def _knife_headline(wh: Warehouse, b: _Build, pop: _Population) -> pd.DataFrame:
    """Headline rows of the knife crime and youth violence measures from the MPS/MOPAC knife
    file, when it covers every month of both years for the area; otherwise empty, with
    ``missing["knife"]`` saying why."""
    what = (
        "knife crime, knife crime with injury, knife injury victims under 25 and serious youth "
        "violence are not in the headline"
    )
    span = queries.month_span(wh, KNIFE_KIND)
    if span is None:
        b.missing["knife"] = f"Knife crime not loaded: {what} — run `vrkit ingest` on {KNIFE_FILE}."
        return pd.DataFrame()
    lacking = _uncovered_months(wh, KNIFE_KIND, b.area, b.years)
    if lacking:
        b.missing["knife"] = (
            f"Knife crime not covered for {b.compare} and {b.year}: {what}. The MPS knife-crime "
            f"file loaded covers {_month_ranges([span[0]])} to {_month_ranges([span[1]])} and "
            f"lacks {_month_ranges(lacking)} for {b.area.name}; no other loaded source has "
            "these measures."
        )
        return pd.DataFrame()
    mine: dict[str, pd.DataFrame] = {}
    for m in KNIFE_MEASURES:
        c = knife_counts(wh, m, start=b.start, end=b.end)
        c = c[pd.to_datetime(c["month"]).dt.year.isin(b.years)]
        mine[m] = c if b.area.is_london else c[c["area_code"] == b.area.code]
        b.use(mine[m]["dataset_id"], "knife crime and youth violence (headline)")
    labels = {m: get_measure(m).label for m in KNIFE_MEASURES}
    rows = _headline_rows(b, mine, labels, pop, KNIFE_MEASURES, KNIFE_KIND)
    b.caveats.append(
        "Knife crime, knife crime with injury, knife injury victims under 25 and serious youth "
        "violence come from the MPS/MOPAC flagged-measures file (borough × month, 2018–2020"
        + (", Heathrow counted in London" if b.area.is_london else "")
        + "), not from the MPS borough file behind the other headline figures. Knife injury "
        "victims under 25 counts victims aged 1–24 of knife crime with injury, excluding domestic "
        "abuse (the London VRU's headline measure); serious youth violence is the MPS definition "
        "(victims aged 1–19)."
    )
    # changes the London VRU published (catalog/published.toml), stated against ours
    got = rows.set_index("measure")["pct_change"]
    published = [
        c
        for c in published_changes("London", b.year, b.compare)
        if b.area.is_london and c.measure in got.index
    ]
    if published:
        b.notes.append(
            f"Against the London VRU's published {b.compare}→{b.year} changes: "
            + "; ".join(
                f"{labels[c.measure].lower()} {got[c.measure]:+.1f} % here, "
                f"{c.pct_change:+.0f} % published"
                for c in published
            )
            + " (published figures are rounded and may come from an earlier MPS extract; "
            + "source: "
            + "; ".join(sorted({c.source for c in published}))
            + ")."
        )
    return rows


def _knife_rates(
    wh: Warehouse, b: _Build, rates: RateResult | str | None
) -> tuple[pd.DataFrame, str]:
    """The report's rows of the knife-victim rate per 100,000 aged 10-24 (both years; London:
    every borough, Heathrow without a rate and London; a borough: the borough and London)."""
    if "knife" in b.missing:  # not loaded or not covering these years: said once
        return pd.DataFrame(), ""
    if isinstance(rates, str) or rates is None:
        b.missing["knife_rates"] = (
            "Knife injury victims under 25 per 100,000 residents aged 10–24 not shown: "
            + (rates or "not computed (build the report through `vrkit.violent_crime_report`).")
        )
        return pd.DataFrame(), ""
    t = rates.table[rates.table["year"].isin(b.years)]
    if set(t.loc[t["rate"].notna(), "year"]) != set(b.years):
        have = sorted(int(y) for y in t.loc[t["rate"].notna(), "year"].unique())
        b.missing["knife_rates"] = (
            "Knife injury victims under 25 per 100,000 residents aged 10–24 not shown: the "
            f"knife file and the ONS single-year population together cover "
            f"{', '.join(map(str, have)) or 'no year'} of {b.compare} and {b.year}."
        )
        return pd.DataFrame(), ""
    london_code = rates.table.loc[~rates.table["area_code"].str.startswith("E09"), "area_code"]
    lon = str(london_code.iloc[0]) if len(london_code) else ""
    t = t.assign(kind=np.where(t["area_code"] == lon, "london", "borough"))
    ranked = []
    for _, g in t.groupby("year", sort=True):  # rank among all 32 boroughs, before any filter
        r = add_rank(g[g["kind"] == "borough"], "rate")
        ranked.append(g.assign(rank=r["rank"].reindex(g.index).astype("Int64")))
    t = pd.concat(ranked, ignore_index=True)
    if b.area.is_london:
        counts = knife_counts(wh, KNIFE_RATE_MEASURE, start=b.start, end=b.end)
        counts = counts[counts["area_type"] == "pseudo"]
        pseudo = _yearly(counts, b.years)
        if not pseudo.empty:
            pseudo = pseudo.assign(
                area_name=pseudo["area_code"].map(borough_names()).fillna("Heathrow Airport"),
                kind="pseudo",
            )
            t = pd.concat([t, pseudo.drop(columns=["area_type"])], ignore_index=True)
    else:
        t = t[t["area_code"].isin([b.area.code, lon])]
    out = t.reset_index(drop=True)
    out["measure"] = KNIFE_RATE_MEASURE
    ids = [
        i for y in b.years for i in queries.indicator_dataset_ids(wh, "pop_age_15", date(y, 6, 30))
    ]
    b.use(ids, "residents aged 10–24 (knife-victim rate)")
    method = (
        rates.method
        + f" Denominator: ONS mid-year population estimates by single year of age for local "
        f"authorities (population/la_pop_estimates.csv), mid-{b.compare} and mid-{b.year}. "
        "London = the 32 MPS boroughs' residents; Heathrow victims are in London's count only."
    )
    b.notes.append(method)
    cols = [
        "measure",
        "area_code",
        "area_name",
        "kind",
        "year",
        "count",
        "population",
        "rate",
        "rate_lower",
        "rate_upper",
        "rank",
    ]
    order = {"london": 0, "borough": 1, "pseudo": 2}
    out = out.sort_values(
        ["year", "kind", "rate"], key=lambda s: s.map(order) if s.name == "kind" else s
    )
    return out[cols].reset_index(drop=True), method


def _monthly(b: _Build, mine: dict[str, pd.DataFrame], labels: dict[str, str]) -> pd.DataFrame:
    """Every month of both years per measure (a month without data stays missing)."""
    mrows = []
    for m in HEADLINE_MEASURES:
        c = mine[m].assign(month=pd.to_datetime(mine[m]["month"]))
        g = c.groupby("month", as_index=False)["count"].sum()
        full = pd.DataFrame(
            {"month": pd.to_datetime(_year_months(b.compare) + _year_months(b.year))}
        )
        g = full.merge(g, on="month", how="left")
        g.insert(0, "label", labels[m])
        g.insert(0, "measure", m)
        mrows.append(g)
    monthly = pd.concat(mrows, ignore_index=True)
    monthly["year"] = monthly["month"].dt.year
    monthly["month_num"] = monthly["month"].dt.month
    return monthly[["measure", "label", "year", "month", "month_num", "count"]]


def _borough_table(
    b: _Build, counts: dict[str, pd.DataFrame], labels: dict[str, str], pop: _Population
) -> pd.DataFrame:
    """London report: every borough and pseudo-area, with rates and ranks of the boroughs."""
    parts = []
    for m in HEADLINE_MEASURES:
        t = _compare_table(
            _yearly(counts[m], b.years), b.year, b.compare, ["area_code", "area_type"]
        )
        t.insert(0, "label", labels[m])
        t.insert(0, "measure", m)
        parts.append(t)
    boroughs = pd.concat(parts, ignore_index=True)
    boroughs["area_name"] = boroughs["area_code"].map(borough_names()).fillna(boroughs["area_code"])
    boroughs["kind"] = np.where(boroughs["area_type"] == "pseudo", "pseudo", "borough")
    boroughs = boroughs.merge(pop.boroughs[["area_code", "population"]], on="area_code", how="left")
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
    b.caveats.append(
        "London figures are the sum of every row of the MPS borough file, including the "
        f"pseudo-areas ({', '.join(pseudo_names) or 'none in these years'}), so London "
        "totals equal the source file's totals. The pseudo-areas are listed separately "
        "below the boroughs, without a rate (they have no resident population)."
    )
    b.caveats.append(
        "The City of London is not included: it has its own police force (City of London "
        "Police). London rates use the resident population of the 32 MPS boroughs."
    )
    return boroughs


def _ward_section(
    wh: Warehouse, b: _Build, labels: dict[str, str], pop: _Population
) -> tuple[pd.DataFrame, str | None, str | None, pd.DataFrame]:
    """Ward table with rates, its source kind, the boundary layer mapped and its geometry."""
    wards, ward_source, ward_ids, ward_notes, ward_missing = _ward_table(
        wh, b.year, b.compare, labels, b.borough
    )
    if ward_missing:
        b.missing["wards"] = ward_missing
    b.caveats.extend(ward_notes)
    b.use(ward_ids, "ward table and maps")
    ward_layer = None
    ward_geom = pd.DataFrame()
    if wards.empty:
        return wards, ward_source, ward_layer, ward_geom
    ward_layer, ward_geom, unmatched, n_codes = _match_ward_layer(wh, wards)
    if ward_layer is None:
        b.missing["ward_map"] = (
            "Ward boundaries not loaded: ward maps are not shown — run `vrkit ingest` on "
            "boundaries/London-wards-2018/London-wards-2018_ESRI/London_Ward.shp and "
            "boundaries/statistical-gis-boundaries-london/ESRI/London_Ward.shp."
        )
    else:
        b.use(queries.geometry_dataset_ids(wh, ward_layer), "ward boundaries (maps)")
        b.notes.append(
            f"Ward maps use the {ward_layer} boundary layer, which matches "
            f"{n_codes - unmatched:,} of the {n_codes:,} ward codes in the ward data"
            + (f"; {unmatched:,} codes have no polygon and are not mapped." if unmatched else ".")
        )
    if b.borough is not None and not ward_geom.empty:
        ward_geom = ward_geom[ward_geom["area_code"].isin(wards["area_code"])]
    wards, wnote = _ward_rates(wh, wards, pop.period, ward_layer)
    if wnote:
        b.notes.append(wnote)
    return wards, ward_source, ward_layer, ward_geom


def _borough_geometry(wh: Warehouse, b: _Build) -> pd.DataFrame:
    """Borough polygons to map (the report's borough only for a borough report)."""
    geom = queries.area_geometries(wh, "lad")
    if geom.empty:
        b.missing["borough_map"] = (
            "Borough boundaries not loaded: borough maps are not shown — run `vrkit ingest` on "
            "boundaries/statistical-gis-boundaries-london/ESRI/London_Borough_Excluding_MHW.shp."
        )
        return geom
    b.use(queries.geometry_dataset_ids(wh, "lad"), "borough boundaries (maps)")
    if b.borough is not None:
        geom = geom[geom["area_code"] == b.borough]
    return geom


def _homicide_section(wh: Warehouse, b: _Build) -> pd.DataFrame:
    """Homicide victims table from 2012 (with its caveats), or a message if not loaded."""
    homicide, hom_ids, hom_msg = _homicide(wh, b.borough)
    if hom_msg:
        b.missing["homicide"] = hom_msg
        return homicide
    b.use(hom_ids, "homicide table")
    b.caveats.append(
        "The homicide table counts victims by the year recorded (MPS homicide victims file); "
        "the headline Homicide figure counts recorded offences, and the two can differ by a "
        "few a year."
    )
    if "partial" in homicide.columns and homicide["partial"].any():
        py = ", ".join(str(int(y)) for y in homicide.loc[homicide["partial"], "year"])
        b.caveats.append(f"Homicide figures for {py} cover part of the year only.")
    return homicide


def _catalogue_caveats(b: _Build, labels: dict[str, str]) -> None:
    """Comparability notes of the measures that apply to these years (CONNECT from 2024)."""
    connect = max(b.year, b.compare) >= 2024
    for m in HEADLINE_MEASURES:
        note = _relevant_note(get_measure(m).notes, connect)
        if note:
            b.caveats.append(f"{labels[m]}: {note}")
    if connect:
        b.caveats.insert(
            0,
            "From about February/March 2024 MPS data come from its CONNECT recording system: "
            "violence against the person then also includes stalking and harassment and death or "
            "serious injury by illegal driving, so figures for 2024 on are not comparable with "
            "earlier years.",
        )


def _release_caveat(wh: Warehouse, b: _Build) -> None:
    """Which MPS release each borough-month comes from."""
    releases = queries.release_files(
        wh, sorted(i for i, w in b.used.items() if "headline and monthly figures" in w)
    )
    if not releases.empty:
        b.caveats.append(
            "Police figures are revised between releases; each borough-month comes from the "
            "newest MPS release loaded: "
            + "; ".join(
                f"{r.file_name} (release to {pd.Timestamp(r.covers_to):%b %Y})"
                for r in releases.itertuples()
            )
            + "."
        )


def _datasets(wh: Warehouse, b: _Build) -> pd.DataFrame:
    """Registry rows of every dataset used (file, release, sha256, what it was used for)."""
    ds = queries.datasets_used(wh, sorted(b.used))
    if ds.empty:
        return ds
    ds = ds.copy()
    ds["months_covered"] = [
        _month_ranges([pd.Timestamp(a).date()]) + " – " + _month_ranges([pd.Timestamp(z).date()])
        if pd.notna(a) and pd.notna(z)
        else ""
        for a, z in zip(ds["covers_from"], ds["covers_to"], strict=True)
    ]
    ds["release"] = [f"{pd.Timestamp(z):%b %Y}" if pd.notna(z) else "" for z in ds["covers_to"]]
    ds["used_for"] = [", ".join(sorted(b.used[int(i)])) for i in ds["dataset_id"]]
    for col in ("exclusions", "notes"):
        ds[col] = [
            "; ".join(map(str, v)) if isinstance(v, list | tuple | np.ndarray) else (v or "")
            for v in ds[col]
        ]
    for r in ds.itertuples():
        if r.exclusions and ("derived" in str(r.source_kind) or r.source_kind == WARD_ANNUAL):
            b.caveats.append(f"{r.file_name} (derived): {r.exclusions}.")
    return ds[
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


def _linkage(wh: Warehouse, b: _Build, monthly: pd.DataFrame) -> LinkageSection:
    """Police vs A&E vs ambulance for the report area (SYNTHETIC health data said first)."""
    vwi = monthly[monthly["measure"] == "violence_with_injury"]
    linkage = linkage_section(
        wh,
        area_kind=b.kind,
        area_code=b.area.code,
        area_name=b.area.name,
        year=b.year,
        compare=b.compare,
        police=vwi[["month", "count"]],
    )
    b.use(linkage.dataset_ids, "hidden violence (LAS ambulance incidents)")
    if linkage.loaded and linkage.synthetic:
        b.caveats.insert(
            0,
            "The A&E and/or ambulance figures in the hidden-violence section are SYNTHETIC "
            "(written by `vrkit synth`): they are not real attendances or call-outs.",
        )
    return linkage


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


def _ward_table(
    wh: Warehouse,
    year: int,
    compare: int,
    labels: dict[str, str],
    borough: str | None,
) -> tuple[pd.DataFrame, str | None, list[int], list[str], str | None]:
    """Ward counts for both years: (table, source kind, dataset ids, caveats, missing message)."""
    have = queries.months_present(wh, WARD_MONTHLY, [year, compare])
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
        got = queries.annual_years_present(wh, WARD_ANNUAL, [year, compare])
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
    lookup = queries.ward_lookup(wh)
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
        links = queries.link_types(wh, "lsoa11_ward")
        pick = [t for t in links if layer and layer in t] or (links if len(links) == 1 else [])
        if pick:
            pop = queries.population_by_link(wh, pop_period, pick[0])[["area_code", "population"]]
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
    if not queries.table_rows(wh, "homicide_victim"):
        return pd.DataFrame(), [], msg
    victims = queries.homicide_victims(wh)
    latest = int(victims["recorded_year"].max())
    years = list(range(FIRST_HOMICIDE_YEAR, latest + 1))
    table = homicide_table(victims, area_code=area_code, years=years)
    ids = [int(x) for x in victims["dataset_id"].unique()]
    return table.reset_index(drop=True), ids, None


# -- JSON -----------------------------------------------------------------------------------------


def _alerts_records(a: AlertsSection | None) -> list[dict[str, Any]]:
    if a is None or a.table.empty:
        return []
    recs = []
    for r in records(a.table):
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
        "by_month": [{**r, "month": str(r["month"])[:7]} for r in records(a.by_month)],
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
        "ambulance_label": lk.ambulance_label,
        "yearly": records(lk.yearly),
        "monthly": records(lk.monthly),
        "totals": lk.totals,
        "trend": lk.trend,
        "notes": lk.notes,
        "method": lk.method,
        "reference": lk.reference,
    }

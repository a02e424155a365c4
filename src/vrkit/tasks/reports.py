"""The reports as tasks: build, apply the public edition when asked, write the files.

Each returns a result whose ``report`` is the built report (every table a DataFrame) and whose
``write(out_dir, formats)`` renders the files through the one output check
(:func:`vrkit.outputs.output_folder`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit.analysis.young_people import RateResult
from vrkit.catalog.areas import resolve_area
from vrkit.disclosure.linked import check_rule
from vrkit.errors import InputError
from vrkit.outputs import output_folder
from vrkit.reports.build.cost_section import CostSection, cost_section, missing_cost_section
from vrkit.reports.build.needs_assessment import FORMATS as NA_FORMATS
from vrkit.reports.build.needs_assessment import NeedsAssessment, build_needs_assessment
from vrkit.reports.build.violent_crime import (
    ViolentCrimeReport,
    build_violent_crime_report,
    report_stem,
)
from vrkit.reports.public.needs_assessment import make_public as public_needs_assessment
from vrkit.reports.public.violent_crime import make_public as public_violent_crime
from vrkit.reports.render.needs_assessment import tables as na_tables
from vrkit.reports.render.needs_assessment import write_needs_assessment
from vrkit.reports.render.violent_crime import write_report
from vrkit.store.warehouse import Warehouse
from vrkit.tasks._result import TaskResult, check_formats
from vrkit.tasks.core_data import knife_victim_rates

VC_FORMATS = ("html", "xlsx", "json")


def violent_crime_file_names(
    area: str, year: int, formats: Sequence[str] = VC_FORMATS
) -> list[str]:
    """The files a Violent Crime Report of ``area`` and ``year`` is written as."""
    return [f"{report_stem(resolve_area(area).name, year)}.{f}" for f in formats]


@dataclass
class ViolentCrimeReportResult(TaskResult):
    """A Violent Crime Report (``vrkit report violent-crime``).

    ``report``: the :class:`~vrkit.reports.build.violent_crime.ViolentCrimeReport` (public
    edition when asked).
    """

    report: ViolentCrimeReport

    FORMATS = VC_FORMATS

    def to_frame(self) -> pd.DataFrame:
        """The headline table (one row per measure)."""
        return self.report.headline

    def to_dict(self) -> dict[str, Any]:
        """The report's JSON document."""
        return self.report.to_dict()

    def file_names(self, formats: Sequence[str] = VC_FORMATS) -> list[str]:
        """The files :meth:`write` writes."""
        return [f"{self.report.file_stem}.{f}" for f in formats]

    def write(  # type: ignore[override]
        self, out_dir: str | Path, formats: Sequence[str] = VC_FORMATS, *, force: bool = False
    ) -> list[Path]:
        """Write ``violent-crime-<area>-<year>.<format>`` files into ``out_dir`` (created)."""
        fmts = check_formats(formats, VC_FORMATS)
        output_folder(out_dir, self.file_names(fmts), force=force)
        return write_report(self.report, Path(out_dir), fmts)


def violent_crime_report(
    wh: Warehouse,
    *,
    year: int,
    compare: int | None = None,
    area: str = "London",
    public: bool = False,
    sdc_rule: str = "lt10",
) -> ViolentCrimeReportResult:
    """The calendar-year Violent Crime Report for London or a borough.

    Parameters
    ----------
    year : int
        Calendar year of the report.
    compare : int, optional
        Year compared with (default ``year - 1``).
    area : str
        London or a borough (:func:`vrkit.catalog.areas.resolve_area`).
    public : bool
        Disclosure-controlled edition (small counts and what reveals them suppressed; rule
        stated): :func:`vrkit.reports.public.violent_crime.make_public`.
    sdc_rule : {"lt10", "nhs"}
        Small-count rule of the public edition.

    Returns
    -------
    ViolentCrimeReportResult
    """
    if public:
        check_rule(sdc_rule)
    try:
        knife: RateResult | str = knife_victim_rates(wh)
    except InputError as exc:  # a source not loaded: the report says which
        knife = exc.message
    rep = build_violent_crime_report(wh, year=year, compare=compare, area=area, knife_rates=knife)
    rep.cost = report_cost_section(wh, rep.area_name, year)
    if public:
        rep = public_violent_crime(rep, sdc_rule)
    return ViolentCrimeReportResult(rep)


def report_cost_section(wh: Warehouse, area: str, year: int) -> CostSection:
    """The report's "Cost of violence" section: the task behind ``vrkit cost-of-violence
    --year YEAR --area AREA`` (:func:`vrkit.tasks.costs.cost_of_violence`, default unit costs
    and deflator, prices of ``year``), so the section's total is the command's."""
    from vrkit.tasks.costs import cost_of_violence

    try:
        result = cost_of_violence(wh, year, area=area)
    except InputError as exc:
        return missing_cost_section(
            area,
            year,
            f"The cost of violence could not be computed: {exc.message}"
            + (f" {exc.hint}" if exc.hint else ""),
        )
    return cost_section(result, year=year)


@dataclass
class NeedsAssessmentResult(TaskResult):
    """A needs assessment (``vrkit report needs-assessment``).

    ``report``: the :class:`~vrkit.reports.build.needs_assessment.NeedsAssessment`.
    """

    report: NeedsAssessment

    FORMATS = NA_FORMATS

    def to_frame(self) -> pd.DataFrame:
        """Concentration by year."""
        return self.report.concentration

    def to_dict(self) -> dict[str, Any]:
        """Every table of the report as records, by sheet name."""
        from vrkit._json import jsonable

        return {k: jsonable(v.to_dict("records")) for k, v in na_tables(self.report).items()}

    def write(  # type: ignore[override]
        self, out_dir: str | Path, formats: Sequence[str] = NA_FORMATS, *, force: bool = False
    ) -> list[Path]:
        """Write ``needs-assessment.{html,xlsx,gpkg}`` into ``out_dir`` (created)."""
        fmts = check_formats(formats, NA_FORMATS)
        output_folder(out_dir, [f"needs-assessment.{f}" for f in fmts], force=force)
        return write_needs_assessment(self.report, Path(out_dir), formats=tuple(fmts))


def needs_assessment(
    wh: Warehouse,
    *,
    area: str = "London",
    years: list[int] | str = "2015-2021",
    measure: str = "violence_against_the_person",
    geography: str = "lsoa",
    permutations: int = 0,
    seed: int = 1,
    adjust: str = "fdr",
    public: bool = False,
    sdc_rule: str = "lt10",
) -> NeedsAssessmentResult:
    """Needs-assessment analytics: concentration, hot spots, persistence, deprivation.

    Parameters
    ----------
    area : str
        London or a borough.
    years : str or list of int
        ``"2015-2021"``, ``"2019"`` or ``"2015,2017"``.
    measure : str
    geography : {"lsoa", "ward"}
    permutations : int
        Gi*/LISA conditional permutations; 0 (default): analytic z-scores with FDR
        (:data:`vrkit.analysis.hotspots.DEFAULT_INFERENCE`).
    seed : int
    adjust : {"fdr", "holm", "none"}
    public : bool
        Disclosure-controlled edition
        (:func:`vrkit.reports.public.needs_assessment.make_public`).
    sdc_rule : {"lt10", "nhs"}
    """
    if public:
        check_rule(sdc_rule)
    rep = build_needs_assessment(
        wh,
        area=area,
        years=years,
        measure=measure,
        geography=geography,
        permutations=permutations,
        seed=seed,
        adjust=adjust,
    )
    if public:
        rep = public_needs_assessment(rep, sdc_rule)
    return NeedsAssessmentResult(rep)

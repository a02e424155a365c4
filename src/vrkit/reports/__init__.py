"""Reports: built from task inputs, given a public edition, rendered in one house style.

- :mod:`vrkit.reports.build` — the report objects (every table a DataFrame):
  :func:`~vrkit.reports.build.violent_crime.build_violent_crime_report`,
  :func:`~vrkit.reports.build.needs_assessment.build_needs_assessment`,
  :func:`~vrkit.reports.build.need_index.build_need_index_report`; figures come from named
  warehouse queries (:mod:`vrkit.store`) and pure analysis (:mod:`vrkit.analysis`);
- :mod:`vrkit.reports.public` — disclosure-controlled editions of built reports (the method is
  :mod:`vrkit.disclosure`);
- :mod:`vrkit.reports.render` — HTML (self-contained, inline SVG charts and maps, no
  JavaScript, no CDN), XLSX, JSON and GeoPackage writers.

The task layer (:mod:`vrkit.tasks`) chains them: ``vrkit.violent_crime_report(...)`` builds,
applies the public edition when asked and returns a result whose ``write`` renders the files.
"""

from vrkit.reports.build.violent_crime import (
    HEADLINE_MEASURES,
    ViolentCrimeReport,
    build_violent_crime_report,
    change_sentence,
)
from vrkit.reports.render.violent_crime import render_html, write_report

__all__ = [
    "HEADLINE_MEASURES",
    "ViolentCrimeReport",
    "build_violent_crime_report",
    "change_sentence",
    "render_html",
    "write_report",
]

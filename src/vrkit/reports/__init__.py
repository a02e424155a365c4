"""Reports built from the warehouse: the Violent Crime Report (HTML, XLSX, JSON).

Builders return plain result objects (:class:`ViolentCrimeReport`, every table a DataFrame);
:mod:`vrkit.reports.charts` and :mod:`vrkit.reports.maps` render charts and maps to inline SVG
with altair + vl-convert (offline, no JavaScript, no CDN); :func:`write_report` writes the files.
"""

from vrkit.reports.violent_crime import (
    HEADLINE_MEASURES,
    ViolentCrimeReport,
    build_violent_crime_report,
    change_sentence,
    write_report,
)

__all__ = [
    "HEADLINE_MEASURES",
    "ViolentCrimeReport",
    "build_violent_crime_report",
    "change_sentence",
    "write_report",
]

"""The house page of every report: one base template (``templates/base.html.j2``) and one
stylesheet (``templates/house.css``, inlined so a report opens offline).

Every report page has the same masthead, caption, title, metadata strip, links to its own
downloads, main points, contents, numbered sections, methods, sources and caveats, and the
licence and attribution footer. A report's template extends ``base.html.j2`` and is given a
:class:`Page` as ``page``; section headings come from ``page.sections`` (macro ``h2``), so
the contents list and the section numbers always agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

#: the licence and attribution every report carries (OGL v3.0 and Ordnance Survey)
ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(Metropolitan Police Service, Office for National Statistics, Greater London Authority, "
    "Ministry of Housing, Communities and Local Government).",
    "Contains OS data © Crown copyright and database right.",
)
#: what each download format is, for the download links
DOWNLOAD_NAMES = {
    "xlsx": "Spreadsheet (XLSX)",
    "json": "Data (JSON)",
    "csv": "Table (CSV)",
    "gpkg": "Map layers (GeoPackage)",
}


@dataclass
class Page:
    """What the base template needs besides the report's own body.

    Attributes
    ----------
    kind : the kind of report, for the caption ("Needs assessment").
    title : the page's ``<h1>`` and ``<title>``.
    meta : (term, value) pairs of the metadata strip.
    sections : (id, heading) of the numbered sections, in order.
    downloads : file names written alongside the page (``.xlsx``, ``.json`` …); linked by name.
    """

    kind: str
    title: str
    meta: Sequence[tuple[str, str]]
    sections: Sequence[tuple[str, str]]
    downloads: Sequence[str] = ()
    generated: str = ""
    version: str = ""
    extra_footer: Sequence[str] = field(default_factory=tuple)

    def number(self, section_id: str) -> int:
        """The number of section ``section_id`` (1-based)."""
        return [s for s, _ in self.sections].index(section_id) + 1

    def heading(self, section_id: str) -> str:
        """``"3. Maps"`` for section ``section_id``."""
        return f"{self.number(section_id)}. {dict(self.sections)[section_id]}"

    @property
    def download_links(self) -> list[tuple[str, str]]:
        """(file name, description) of each download."""
        out = []
        for name in self.downloads:
            ext = Path(name).suffix.lstrip(".").lower()
            out.append((Path(name).name, DOWNLOAD_NAMES.get(ext, ext.upper())))
        return out


def downloads_for(stem: str, formats: Iterable[str], *, exclude: str = "html") -> list[str]:
    """The file names ``<stem>.<fmt>`` written alongside a page (not the page itself)."""
    return [f"{stem}.{f}" for f in formats if f != exclude]


@cache
def stylesheet() -> str:
    """The house stylesheet (``templates/house.css``)."""
    return (resources.files("vrkit.reports") / "templates" / "house.css").read_text("utf-8")


def environment() -> Any:
    """The Jinja environment of the report templates (autoescaped)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("vrkit.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["house_css"] = stylesheet
    env.globals["attribution"] = ATTRIBUTION
    return env


def render(template: str, page: Page, **context: Any) -> str:
    """Render report template ``template`` (which extends ``base.html.j2``) with ``page``."""
    return str(environment().get_template(template).render(page=page, **context))

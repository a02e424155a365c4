"""London Ambulance Service incidents by borough and month (kind ``las_ambulance_borough_monthly``).

Format
------
The London Datastore's wide layout, one row per borough and one column per month::

    Code,Borough,Jun 2009,Jul 2009,…,Jun 2013
    E09000002,Barking and Dagenham,31,33,…
    …
    ,Total,1225,1128,…

and the variant in the shared copy (PROVENANCE §17), re-saved with a leading index column whose
header is ``0``, a ``Total`` row shifted one column left (its values start under ``Borough``) and a
trailing row holding only its index number::

    0,Code,Borough,Jun 2009,…
    1,E09000002,Barking and Dagenham,31,…
    34,Total,1225,1128,…
    35

Both load. What a file counts is stated only by its name (the source has no other label):
``assaults-women`` → :data:`INDICATOR_BY_NAME` ``las_assaults_women`` (LAS incidents: assaults
involving women), ``injuries-knife`` → ``las_knife_injuries`` (LAS incidents: knife injuries).

Rules (aggregate file, all or nothing): every borough row has a GSS code (E09) whose name agrees
with it, whole-number counts ≥ 0 in every month, no borough twice, consecutive months; the
``Total`` row must equal the sum of the boroughs in every month, and it is **not** stored as an
area (London is the sum of the boroughs). Stored as ``indicator_value`` rows, one per borough and
month, under the catalogue ids above. These are **real** LAS figures: they never share an
indicator id with the synthetic ``ambulance_assault_callouts`` written by ``vrkit synth``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

from vrkit.catalog.areas import borough_names, resolve_borough
from vrkit.errors import DataValidationError
from vrkit.sources._core_data import (
    catalogue_indicator_frame,
    check_width,
    iter_data_lines,
    month_end,
    read_rows,
    value_frame,
)
from vrkit.sources.base import LoadReport, Probe, SourceAdapter, SourceFrames

KIND = "las_ambulance_borough_monthly"
#: words in the file name → indicator id (the file name is the only statement of what is counted)
INDICATOR_BY_NAME: tuple[tuple[tuple[str, ...], str], ...] = (
    (("knife",), "las_knife_injuries"),
    (("assault", "women"), "las_assaults_women"),
)
INDICATORS = tuple(iid for _, iid in INDICATOR_BY_NAME)
_BOROUGH_CODE = re.compile(r"^E09\d{6}$")


def parse_month_label(label: str) -> date | None:
    """``'Jun 2009'`` (or ``'June 2009'``) → ``date(2009, 6, 1)``; anything else → None."""
    for fmt in ("%b %Y", "%B %Y"):
        try:
            d = datetime.strptime(label.strip(), fmt)
        except ValueError:
            continue
        return date(d.year, d.month, 1)
    return None


def layout_offset(header: tuple[str, ...] | list[str]) -> int | None:
    """Column of ``Code`` (0: Datastore layout; 1: with a leading index column), or None when
    the header is not this format (``Code, Borough`` then at least one ``Mon YYYY`` column)."""
    h = [c.strip() for c in header]
    for off in (0, 1):
        if len(h) < off + 3 or h[off : off + 2] != ["Code", "Borough"]:
            continue
        if off == 1 and not (h[0] == "" or h[0].isdigit()):
            continue
        if all(parse_month_label(c) is not None for c in h[off + 2 :]):
            return off
    return None


def indicator_for(path: Path) -> str:
    """The indicator a file holds, from its name; refuses a name that says nothing."""
    name = path.name.lower()
    for words, iid in INDICATOR_BY_NAME:
        if all(w in name for w in words):
            return iid
    raise DataValidationError(
        path,
        "cannot tell what this LAS incidents file counts: the source states it only in the file "
        "name, and this name matches neither 'assaults-women' nor 'injuries-knife'",
        hint="Keep the published file name (assaults-women.csv, injuries-knife.csv).",
    )


def _months(path: Path, labels: list[str]) -> list[date]:
    months: list[date] = []
    for label in labels:
        m = parse_month_label(label)
        if m is None:
            raise DataValidationError(
                path, "month columns must be like 'Jun 2009'", row=1, column=label
            )
        if months:
            prev = months[-1]
            expect = date(prev.year + prev.month // 12, prev.month % 12 + 1, 1)
            if m != expect:
                raise DataValidationError(
                    path,
                    f"months must be consecutive: expected {expect:%b %Y} after {prev:%b %Y}",
                    row=1,
                    column=label,
                )
        months.append(m)
    return months


def _counts(path: Path, line: int, cells: list[str], labels: list[str]) -> list[int]:
    out = []
    for label, cell in zip(labels, cells, strict=True):
        if not cell.isdigit():
            raise DataValidationError(
                path,
                "counts must be whole numbers ≥ 0 (a blank is missing, not zero); an aggregate "
                "file is refused whole when one cell is bad",
                row=line,
                column=label,
                value=cell,
            )
        out.append(int(cell))
    return out


class LasAmbulanceAdapter(SourceAdapter):
    """LAS incidents by borough × month, Datastore layout or the shared re-saved copy."""

    kind = KIND
    description = (
        "London Ambulance Service incidents by borough and month (csv): [index,] Code, Borough, "
        "Jun 2009 … (file name says what is counted: assaults-women, injuries-knife)"
    )
    record_level = False

    def sniff(self, probe: Probe) -> bool:
        return probe.header is not None and layout_offset(probe.header) is not None

    def read(self, path: Path) -> SourceFrames:
        iid = indicator_for(path)
        rows = read_rows(path)
        header = [c.strip() for c in rows[0]]
        off = layout_offset(header)
        if off is None:
            raise DataValidationError(
                path,
                "the header is not 'Code, Borough, Mon YYYY, …' (optionally after an index column)",
                row=1,
                hint="Use the London Datastore file as published.",
            )
        labels = header[off + 2 :]
        months = _months(path, labels)
        width = len(header)
        boroughs: list[tuple[int, str, str, list[int]]] = []  # line, code, name, counts
        seen: dict[str, int] = {}
        total: tuple[int, list[int]] | None = None
        notes: list[str] = []
        data_lines = 0
        for line, cells in iter_data_lines(rows):
            data_lines += 1
            if off == 1 and cells[0].isdigit() and not any(cells[1:]):
                notes.append(
                    f"line {line} holds only the row number {cells[0]!r} and no data; ignored"
                )
                continue
            lowered = [c.lower() for c in cells]
            if "total" in lowered:
                if total is not None:
                    raise DataValidationError(
                        path, f"a second Total row (the first is on line {total[0]})", row=line
                    )
                aligned = len(cells) == width and (
                    (lowered[off + 1] == "total" and lowered[off] in ("", "total"))
                    or (lowered[off] == "total" and cells[off + 1] == "")
                )
                if aligned:
                    values = cells[off + 2 :]
                elif len(cells) == width - 1 and lowered[off] == "total":
                    values = cells[off + 1 :]
                    notes.append(
                        f"the Total row (line {line}) is shifted one column left (its values "
                        "start under 'Borough'); read as shifted"
                    )
                else:
                    raise DataValidationError(
                        path,
                        f"a Total row that fits neither layout ({len(cells)} fields; the header "
                        f"has {width})",
                        row=line,
                    )
                total = (line, _counts(path, line, values, labels))
                continue
            check_width(path, line, cells, width)
            code, name = cells[off], cells[off + 1]
            if not _BOROUGH_CODE.fullmatch(code):
                raise DataValidationError(
                    path,
                    "Code must be a London borough GSS code (E09 + 6 digits)",
                    row=line,
                    column="Code",
                    value=code,
                )
            hit = resolve_borough(name)
            if hit is None or hit[0] != code:
                raise DataValidationError(
                    path,
                    f"the borough name does not match code {code}"
                    + (f" (that name is {hit[0]})" if hit else " (unknown name)"),
                    row=line,
                    column="Borough",
                    value=name,
                )
            if code in seen:
                raise DataValidationError(
                    path,
                    f"borough {code} appears twice (first on line {seen[code]}); it would be "
                    "double counted",
                    row=line,
                    column="Code",
                    value=code,
                )
            seen[code] = line
            boroughs.append((line, code, hit[1], _counts(path, line, cells[off + 2 :], labels)))
        if not boroughs:
            raise DataValidationError(path, "the file has a header but no borough rows")
        sums = [sum(b[3][k] for b in boroughs) for k in range(len(months))]
        if total is not None:
            t_line, t_values = total
            for k, (t, s) in enumerate(zip(t_values, sums, strict=True)):
                if t != s:
                    raise DataValidationError(
                        path,
                        f"the Total row says {t:,} but the {len(boroughs)} boroughs sum to {s:,}",
                        row=t_line,
                        column=labels[k],
                        hint="A borough row or the Total row was edited; use the published file.",
                    )
            notes.insert(
                0,
                f"Total row (line {t_line}) equals the sum of the {len(boroughs)} boroughs in "
                f"all {len(months)} months; it is checked, not stored as an area",
            )
        else:
            notes.insert(0, "no Total row: nothing to check the boroughs against")
        missing = sorted(
            n for c, n in borough_names().items() if c not in seen and c.startswith("E09")
        )
        notes.append(
            f"{len(boroughs)} areas (London boroughs and the City of London)"
            + (f"; not in the file: {', '.join(missing)}" if missing else "; none missing")
        )
        grand = sum(sums)
        notes.append(
            f"{iid}: {grand:,} incidents in {len(months)} months, "
            f"{months[0]:%b %Y} – {months[-1]:%b %Y}"
        )
        n = len(months)
        values = value_frame(
            area_code=[b[1] for b in boroughs for _ in range(n)],
            indicator_id=[iid] * (len(boroughs) * n),
            period_start=[m for _ in boroughs for m in months],
            period_end=[month_end(m) for _ in boroughs for m in months],
            value=[float(v) for b in boroughs for v in b[3]],
        )
        if data_lines > len(boroughs):  # the Total row (checked above) and empty lines
            notes.append(
                f"{data_lines - len(boroughs)} line(s) that are not a borough (the Total row, "
                "empty lines) read and not stored"
            )
        report = LoadReport(
            path=path,
            source_kind=KIND,
            # the area rows: every one is loaded or the whole file is refused
            rows_read=len(boroughs),
            rows_loaded=len(boroughs),
            covers_from=months[0],
            covers_to=months[-1],
            notes=notes,
        )
        return SourceFrames(
            report=report,
            tables={"indicator": catalogue_indicator_frame([iid]), "indicator_value": values},
        )


def read_las_ambulance(path: str | Path) -> SourceFrames:
    """Read and validate a LAS incidents-by-borough file (no store involved)."""
    return LasAmbulanceAdapter().read(Path(path))


ADAPTERS: list[SourceAdapter] = [LasAmbulanceAdapter()]

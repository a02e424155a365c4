"""Format detection: which adapter reads a file, decided from its header, sheets or fields.

Adapters live in the modules listed in :data:`ADAPTER_MODULES`; each module exposes a list
``ADAPTERS`` of adapter instances. Detection asks each adapter in order; the first that
recognises the probe wins, so specific formats come before general ones.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from vrkit.errors import DataValidationError, SourceError
from vrkit.sources.base import (
    VECTOR_SUFFIXES,
    WORKBOOK_SUFFIXES,
    Probe,
    SourceAdapter,
    SourceFrames,
    logical_name,
    read_header,
)
from vrkit.sources.files import NulByteError, check_regular_file, open_workbook

#: Modules that provide adapters, in detection order.
ADAPTER_MODULES: tuple[str, ...] = (
    "vrkit.sources.mps",
    "vrkit.sources.police_uk",
    "vrkit.sources.homicide",
    "vrkit.sources.indicators",
    "vrkit.sources.boundaries",
    "vrkit.sources.imd",
    "vrkit.sources.population",
    "vrkit.sources.lookups",
    "vrkit.sources.istv",
    "vrkit.sources.ambulance",
)

#: Files that accompany data but are not data; `ingest --all` skips them (and says so).
SKIPPED_SUFFIXES = (".md", ".pdf", ".txt", ".dbf", ".shx", ".prj", ".cpg", ".xml", ".qpj", ".sbn")


@cache
def _adapters() -> tuple[SourceAdapter, ...]:
    found: list[SourceAdapter] = []
    for module_name in ADAPTER_MODULES:
        module = importlib.import_module(module_name)
        found.extend(module.ADAPTERS)
    return tuple(found)


class _AdapterList:
    """Lazy, read-only view of every registered adapter (imports adapter modules on first use)."""

    def __iter__(self) -> Iterator[SourceAdapter]:
        return iter(_adapters())

    def __len__(self) -> int:
        return len(_adapters())


ADAPTERS = _AdapterList()


def known_formats() -> list[tuple[str, str]]:
    """(kind, description) of every format vrkit can read."""
    return [(a.kind, a.description) for a in _adapters()]


def make_probe(path: Path) -> Probe:
    """Look at a file just enough to decide its format."""
    name = logical_name(path)
    suffix = Path(name).suffix
    if suffix in WORKBOOK_SUFFIXES:
        with open_workbook(path, data_only=False) as wb:
            sheets = tuple(wb.sheetnames)
        return Probe(path=path, name=name, sheets=sheets)
    if suffix in VECTOR_SUFFIXES and not (suffix == ".json" and "geo" not in name):
        import pyogrio

        try:
            info = pyogrio.read_info(path)
        except Exception as exc:  # pyogrio raises DataSourceError and friends
            raise SourceError(path, f"not a readable vector layer: {exc}") from exc
        return Probe(path=path, name=name, fields=tuple(str(f) for f in info["fields"]))
    if suffix == ".zip":
        return Probe(path=path, name=name)
    try:
        return Probe(path=path, name=name, header=read_header(path))
    except NulByteError as exc:  # binary or UTF-16: not any text format
        return Probe(path=path, name=name, nul_line=exc.line)


def detect_adapter(path: str | Path) -> SourceAdapter:
    """Return the adapter for ``path`` or raise :class:`SourceError` listing known formats."""
    p = Path(path)
    check_regular_file(p)
    probe = make_probe(p)
    for adapter in _adapters():
        if adapter.sniff(probe):
            return adapter
    for adapter in _adapters():
        missing = adapter.missing_columns(probe)
        if missing:
            raise DataValidationError(
                p,
                f"looks like a {adapter.kind} file ({adapter.description}) but column(s) "
                f"{', '.join(repr(m) for m in missing)} are missing or renamed",
                row=1,
                column=missing[0],
                hint="Use the file as published; do not rename or delete its columns.",
            )
    what = (
        f"header {', '.join(probe.header[:6])}{', …' if len(probe.header) > 6 else ''}"
        if probe.header
        else (
            f"sheets {', '.join(probe.sheets)}"
            if probe.sheets
            else (
                f"fields {', '.join(probe.fields)}"
                if probe.fields
                else f"no CSV header: line {probe.nul_line} holds a NUL byte, not a CSV text file"
                if probe.nul_line
                else "no CSV header (not a CSV file?)"
            )
        )
    )
    formats = "\n".join(f"  - {kind}: {desc}" for kind, desc in known_formats())
    raise SourceError(
        p,
        f"unrecognised format ({what}). Known formats:\n{formats}",
        hint="Check the file is one of these, unmodified (column names must match).",
    )


def detect_adapters(path: str | Path) -> list[SourceAdapter]:
    """Every adapter that reads part of ``path``.

    A data.police.uk download zip can hold street, outcomes and stop-and-search files together;
    each kind is read by its own adapter (and registered as its own dataset). Any other file
    has exactly one adapter (:func:`detect_adapter`).
    """
    p = Path(path)
    first = detect_adapter(p)
    if logical_name(p).endswith(".zip"):
        probe = make_probe(p)
        return [first, *(a for a in _adapters() if a is not first and a.sniff(probe))]
    return [first]


def read_file(path: str | Path) -> SourceFrames:
    """Detect the format of ``path`` and read it (no store involved)."""
    p = Path(path)
    return detect_adapter(p).read(p)


def expand_paths(paths: Iterable[str | Path], *, skip_unknown: bool = False) -> list[Path]:
    """Files to ingest from files and folders: folders are walked in sorted order.

    Sidecar files (``.dbf``, ``.prj``…) and documentation (``.md``, ``.pdf``) inside folders are
    skipped. ``skip_unknown`` is unused here; detection errors are raised by the caller.
    """
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and not f.name.startswith(".") and not _is_skipped(f):
                    out.append(f)
        else:
            out.append(p)
    return out


def _is_skipped(path: Path) -> bool:
    return logical_name(path).endswith(SKIPPED_SUFFIXES)

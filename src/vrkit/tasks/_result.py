"""The shape every task result shares: a frame, a dict, and writers through one output check."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from vrkit._json import jsonable
from vrkit.errors import InputError
from vrkit.outputs import output_file
from vrkit.reports.tabular import csv_text, write_xlsx


def check_formats(
    formats: Sequence[str], allowed: Sequence[str], *, what: str = "--format"
) -> list[str]:
    """Normalise output formats (lower case, comma lists split, repeats dropped) and refuse an
    unknown one, naming the formats allowed."""
    out: list[str] = []
    for item in formats:
        for f in str(item).split(","):
            f = f.strip().lower()
            if f and f not in out:
                out.append(f)
    bad = [f for f in out if f not in allowed]
    if bad:
        raise InputError(
            f"unknown {what} value{'s' if len(bad) > 1 else ''} {', '.join(map(repr, bad))}",
            hint=f"Allowed: {', '.join(allowed)}.",
        )
    if not out:
        raise InputError(f"no {what} given", hint=f"Allowed: {', '.join(allowed)}.")
    return out


class TaskResult:
    """Base of task results: ``to_frame()``, ``to_dict()``, ``render(fmt)`` and ``write(path)``.

    Subclasses set :attr:`FORMATS` (the file formats :meth:`write` and :meth:`render` take) and
    implement :meth:`to_frame` and :meth:`to_dict`; ``json`` renders :meth:`to_dict`, ``csv``
    and ``xlsx`` render :meth:`to_frame`. Other formats (``md``, ``gpkg``...) override
    :meth:`render` or :meth:`write`.
    """

    FORMATS: ClassVar[tuple[str, ...]] = ("json", "csv", "xlsx")
    #: sheet name of the ``xlsx`` file
    SHEET: ClassVar[str] = "Sheet1"

    def to_frame(self) -> pd.DataFrame:
        """The result as one table."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any] | list[Any]:
        """The result as JSON-ready data."""
        return jsonable(self.to_frame().to_dict("records"), whole_floats_as_int=False)

    def render(self, fmt: str) -> str:
        """The result as text in a text format (``json``, ``csv``...)."""
        fmt = check_formats([fmt], [f for f in self.FORMATS if f != "xlsx"])[0]
        if fmt == "json":
            return json.dumps(self.to_dict(), indent=2) + "\n"
        if fmt == "csv":
            return csv_text(self.to_frame())
        raise NotImplementedError(fmt)  # pragma: no cover - subclasses render their formats

    def write(self, path: str | Path, fmt: str | None = None, *, force: bool = False) -> Path:
        """Write the result to ``path`` (format from ``fmt`` or the file's suffix).

        Refuses to replace an existing file unless ``force``, and never writes over a DuckDB
        database (:func:`vrkit.outputs.output_file`).
        """
        p = Path(path)
        fmt = check_formats([fmt or p.suffix.lstrip(".") or "?"], self.FORMATS)[0]
        output_file(p, force=force)
        if fmt == "xlsx":
            write_xlsx(p, {self.SHEET: self.to_frame()}, empty_note=None)
        else:
            p.write_text(self.render(fmt), encoding="utf-8")
        return p


@dataclass
class Listing(TaskResult):
    """A titled table (formats, measures, datasets, profiles, indicators...)."""

    title: str
    frame: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The table."""
        return self.frame

    def to_dict(self) -> list[Any]:
        """Rows as records (dates ISO, missing as null)."""
        return jsonable(self.frame.to_dict("records"), whole_floats_as_int=False)


@dataclass
class ResultView(TaskResult):
    """The writers of a task result for an analysis result with ``to_frame()``/``to_dict()``
    (impact estimates, cost of violence, value for money, prioritisation)."""

    result: Any

    FORMATS = ("json", "csv", "xlsx")

    def to_frame(self) -> pd.DataFrame:
        """The result's table."""
        return self.result.to_frame()

    def to_dict(self) -> dict[str, Any]:
        """The result's JSON document."""
        return jsonable(self.result.to_dict(), whole_floats_as_int=False)

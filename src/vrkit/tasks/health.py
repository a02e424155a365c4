"""A&E (ISTV) and ambulance data: bulk ingest, completeness review, location matching."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit.analysis.health import (
    Gazetteer,
    completeness_records,
    istv_completeness,
    match_summary,
)
from vrkit.analysis.health import (
    match_locations as match_texts,
)
from vrkit.errors import InputError
from vrkit.sources.gazetteer import read_gazetteer
from vrkit.sources.istv import read_istv
from vrkit.sources.registry import expand_paths
from vrkit.store import health as istv_store
from vrkit.store.warehouse import Warehouse
from vrkit.tasks._result import TaskResult
from vrkit.tasks.ingestion import IngestSummary, collect, derive_all_lsoa_ward_links


@dataclass(frozen=True)
class IstvCheck:
    """The header facts of an ISTV file, read (and the whole file validated) before loading."""

    site_code: str
    month: date
    department: str | None


def istv_header(path: str | Path) -> IstvCheck:
    """Validate an ISTV file with the adapter (the whole-file rules) without loading it.

    Raises
    ------
    SourceError, DataValidationError
        The file is not an ISTV submission or breaks a rule.
    """
    frames = read_istv(path)
    sub = frames.tables["istv_submission"]
    row = sub.to_pylist()[0] if hasattr(sub, "to_pylist") else sub.iloc[0].to_dict()
    month = row["month"]
    if isinstance(month, pd.Timestamp):
        month = month.date()
    return IstvCheck(str(row["site_code"]), month, row.get("department_name"))


def ingest_istv(wh: Warehouse, paths: Sequence[str | Path]) -> IngestSummary:
    """Load many ISTV submissions in one transaction (``vrkit health ingest-istv``).

    Same rules as :func:`vrkit.tasks.ingestion.ingest` (each file validated whole; a refused file
    loads nothing; re-submissions replace earlier files of the same department and month), but
    the good files are written together, which is much faster for thousands of small files.
    Other files among ``paths`` are loaded one by one.
    """
    files = expand_paths([Path(p) for p in paths])
    results = istv_store.ingest_istv(wh, files)
    summary = collect(str(wh.path), files, results)
    summary.derived_links = derive_all_lsoa_ward_links(wh)
    return summary


@dataclass
class IstvQuality(TaskResult):
    """Completeness per department and month (``vrkit quality --source istv``).

    ``table``: ``department, month, received, expected, missing, pct_location_usable, flag``
    and the other columns of :func:`vrkit.analysis.health.istv_completeness`.
    """

    table: pd.DataFrame

    FORMATS = ("json", "csv", "xlsx")

    def to_frame(self) -> pd.DataFrame:
        """The completeness table."""
        return self.table

    def to_dict(self) -> list[dict[str, object]]:
        """Rows with ``month`` as ``YYYY-MM`` and missing values as null."""
        return completeness_records(self.table)

    def render(self, fmt: str) -> str:
        """``json`` (records) or ``csv``."""
        if fmt == "json":
            return json.dumps(self.to_dict(), indent=2, default=str) + "\n"
        return super().render(fmt)


def istv_quality(wh: Warehouse, **kwargs: Any) -> IstvQuality:
    """Completeness review of the ISTV data loaded, per department and month.

    Keyword arguments go to :func:`vrkit.analysis.health.istv_completeness` (``until``,
    ``window``, ``min_history``, ``low_share``, ``quality_drop_points``).
    """
    frame = istv_completeness(
        istv_store.istv_submissions(wh), istv_store.istv_records(wh), **kwargs
    )
    return IstvQuality(frame)


@dataclass
class LocationMatches(TaskResult):
    """ISTV free-text locations matched to a gazetteer (``vrkit health match-locations``).

    Attributes
    ----------
    summary : per department: ``department, records, matched, unmatched, pct_matched``.
    matches : per record: ``matched, place, easting, northing, confidence`` (and ``area_code``
        when the gazetteer has it), aligned with the records.
    threshold : minimum confidence of a match.
    """

    summary: pd.DataFrame
    matches: pd.DataFrame
    threshold: float

    FORMATS = ("json", "csv", "xlsx")

    def to_frame(self) -> pd.DataFrame:
        """The per-department summary."""
        return self.summary

    def render(self, fmt: str) -> str:
        """``json`` (records) or ``csv`` of the summary."""
        if fmt == "json":
            return self.summary.to_json(orient="records", indent=2) + "\n"
        return super().render(fmt)


def match_locations(
    wh: Warehouse, gazetteer: str | Path | pd.DataFrame, *, threshold: float = 0.85
) -> LocationMatches:
    """Match the ISTV location texts in the warehouse to a gazetteer.

    Parameters
    ----------
    gazetteer : path or DataFrame
        CSV (or frame) with ``name, easting, northing`` (British National Grid metres).
    threshold : float
        Minimum confidence (0–1) of a match.
    """
    if not 0 < threshold <= 1:
        raise InputError(f"threshold must be in (0, 1], got {threshold}")
    frame = gazetteer if isinstance(gazetteer, pd.DataFrame) else read_gazetteer(gazetteer)
    where = "gazetteer" if isinstance(gazetteer, pd.DataFrame) else str(gazetteer)
    gaz = Gazetteer.from_frame(frame, where=where)
    recs = istv_store.istv_records(wh)
    matches = match_texts(recs["location_description"], gaz, threshold=threshold)
    return LocationMatches(match_summary(recs["site_code"], matches), matches, threshold)

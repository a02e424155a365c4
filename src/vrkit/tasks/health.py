"""A&E (ISTV) and ambulance data: bulk ingest, completeness review, location matching.

Locations are matched at ingest, on the free text in memory, and only the match is stored
(:mod:`vrkit.sources.istv`); :func:`match_locations` summarises the stored matches.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit.analysis.health import completeness_records, istv_completeness, match_summary
from vrkit.catalog.gazetteer import Gazetteer
from vrkit.errors import InputError
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


def ingest_istv(
    wh: Warehouse,
    paths: Sequence[str | Path],
    *,
    gazetteer: Gazetteer | str | Path | None = None,
    force: bool = False,
) -> IngestSummary:
    """Load many ISTV submissions in one transaction (``vrkit health ingest-istv``).

    Same rules as :func:`vrkit.tasks.ingestion.ingest` (each file validated whole; a refused file
    loads nothing; re-submissions replace earlier files of the same department and month), but
    the good files are written together, which is much faster for thousands of small files.
    Other files among ``paths`` are loaded one by one. ``gazetteer`` (default the
    ``VRKIT_GAZETTEER`` setting) is what location texts are matched against, in memory;
    ``force`` re-reads submissions already loaded (e.g. to match them against a new gazetteer).
    """
    files = expand_paths([Path(p) for p in paths])
    gaz = Gazetteer.from_csv(gazetteer) if isinstance(gazetteer, str | Path) else gazetteer
    results = istv_store.ingest_istv(wh, files, gazetteer=gaz, force=force)
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
    """ISTV locations matched to a gazetteer at ingest (``vrkit health match-locations``).

    Attributes
    ----------
    summary : per department: ``department, records, matched, unmatched, pct_matched``.
    threshold : minimum confidence of a match.
    """

    summary: pd.DataFrame
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


def location_match_summary(
    wh: Warehouse,
    *,
    threshold: float = 0.85,
    gazetteer: Gazetteer | str | Path | None = None,
) -> pd.DataFrame:
    """Matched and unmatched ISTV records per department (site code).

    Parameters
    ----------
    wh : Warehouse
    threshold : float, default 0.85
        Minimum confidence (0–1) of a match.
    gazetteer : Gazetteer or path, optional
        The gazetteer the caller expects the records to have been matched against. The text is
        not stored, so records cannot be matched again here: if any current submission was
        ingested without it (with another gazetteer, or none), an :class:`InputError` says
        which and how to match them (ingest again with ``VRKIT_GAZETTEER`` and ``--force``).

    Returns
    -------
    DataFrame
        ``department, records, matched, unmatched, pct_matched`` (records of submissions
        ingested without a gazetteer count as unmatched; see ``gazetteer``).
    """
    if not 0.0 <= threshold <= 1.0:
        raise InputError(f"threshold must be between 0 and 1, got {threshold}")
    matches = istv_store.istv_place_matches(wh)
    if gazetteer is not None:
        gaz = gazetteer if isinstance(gazetteer, Gazetteer) else Gazetteer.from_csv(gazetteer)
        other = matches[matches["gazetteer_sha256"].fillna("") != gaz.sha256]
        if len(other):
            months = other[["site_code", "month"]].drop_duplicates()
            none = int(other["gazetteer_sha256"].isna().sum())
            raise InputError(
                f"{len(months):,} department-month(s) ({len(other):,} records) were not matched "
                f"against this gazetteer at ingest ({none:,} records with no gazetteer at all); "
                "A&E free text is never stored, so they cannot be matched now",
                hint="Ingest those files again with VRKIT_GAZETTEER set to this gazetteer and "
                "--force.",
            )
    conf = matches["place_confidence"].astype("Float64").fillna(0.0)
    matched = (conf >= threshold).to_numpy(dtype=bool)
    return match_summary(matches["site_code"], pd.DataFrame({"matched": matched}))


def match_locations(
    wh: Warehouse,
    gazetteer: Gazetteer | str | Path | None = None,
    *,
    threshold: float = 0.85,
) -> LocationMatches:
    """Matched and unmatched ISTV locations per department (:func:`location_match_summary`)."""
    return LocationMatches(
        location_match_summary(wh, threshold=threshold, gazetteer=gazetteer), threshold
    )

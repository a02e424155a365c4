"""What vrkit knows and what the warehouse holds: formats, measures, datasets, quality, version."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from vrkit._version import __version__
from vrkit._versions import versions
from vrkit.catalog.breaks import series_breaks
from vrkit.catalog.measures import geographies_of
from vrkit.catalog.measures import measures as all_measures
from vrkit.errors import InputError
from vrkit.sources.registry import known_formats
from vrkit.store.quality import DatasetQuality, dataset_quality, revisions
from vrkit.store.warehouse import Warehouse
from vrkit.tasks._result import Listing, TaskResult


def version(*, full: bool = False) -> Listing:
    """vrkit's version (``full``: also Python, the platform and key libraries, for bug reports).

    Examples
    --------
    >>> version().frame["version"].iloc[0] == __version__
    True
    """
    items = versions() if full else {"vrkit": __version__}
    return Listing(
        "vrkit version", pd.DataFrame({"name": list(items), "version": list(items.values())})
    )


def formats() -> Listing:
    """The file formats vrkit recognises: ``kind, description``."""
    return Listing("Known formats", pd.DataFrame(known_formats(), columns=["kind", "description"]))


def measures() -> Listing:
    """The headline measures: ``id, label, taxonomies, notes, geographies, series_breaks``
    (the geographies each is published for, and its catalogued series breaks)."""
    rows = [
        (
            m.id,
            m.label,
            ", ".join(m.rules),
            m.notes,
            ", ".join(geographies_of(m.id)),
            "; ".join(f"{b.start:%Y-%m} {b.label}" for b in series_breaks(m.id)),
        )
        for m in all_measures().values()
    ]
    cols = ["id", "label", "taxonomies", "notes", "geographies", "series_breaks"]
    return Listing("Headline measures", pd.DataFrame(rows, columns=cols))


@dataclass
class DatasetsResult(Listing):
    """The dataset registry: one row per file loaded (release coverage, rows, sha256)."""

    def render(self, fmt: str) -> str:
        """``json`` (ISO dates) or ``csv``."""
        if fmt == "json":
            return self.frame.to_json(orient="records", date_format="iso", indent=2) + "\n"
        return super().render(fmt)


def datasets(wh: Warehouse) -> DatasetsResult:
    """The datasets loaded, in load order (``vrkit datasets``)."""
    return DatasetsResult(f"Datasets in {wh.path}", wh.datasets())


@dataclass
class QualityReview(TaskResult):
    """Data-quality review per dataset and revisions between releases (``vrkit quality``).

    Attributes
    ----------
    datasets : one :class:`~vrkit.store.quality.DatasetQuality` per dataset.
    revisions : source kind → revisions between its consecutive releases (MPS monthly sources).
    """

    datasets: list[DatasetQuality]
    revisions: dict[str, pd.DataFrame] = field(default_factory=dict)

    FORMATS = ("json", "csv")

    def to_frame(self) -> pd.DataFrame:
        """One row per dataset (lists joined with ``; ``)."""
        rows = []
        for q in self.datasets:
            d = q.as_dict()
            for k, v in d.items():
                if isinstance(v, list):
                    d[k] = "; ".join(map(str, v))
                elif isinstance(v, dict):
                    d[k] = "; ".join(f"{a}: {b}" for a, b in v.items())
            rows.append(d)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """``datasets`` and ``revisions`` (the ``--format json`` document)."""
        return {
            "datasets": [q.as_dict() for q in self.datasets],
            "revisions": {
                k: json.loads(v.to_json(orient="records", date_format="iso"))
                for k, v in self.revisions.items()
            },
        }


def quality(wh: Warehouse, *, dataset: int | None = None) -> QualityReview:
    """Data-quality review of the datasets loaded (or of one), with revisions between releases.

    Raises
    ------
    InputError
        ``dataset`` is not a dataset id of this warehouse.
    """
    qs = [q for q in dataset_quality(wh) if dataset is None or q.dataset_id == dataset]
    if dataset is not None and not qs:
        raise InputError(
            f"no dataset {dataset} in the warehouse", hint="See `vrkit datasets` for the ids."
        )
    kinds = sorted({q.source_kind for q in qs})
    revs = {k: revisions(wh, k) for k in kinds if k.startswith("mps_") and "monthly" in k}
    if dataset is not None:
        revs = {
            k: v[(v["older_dataset"] == dataset) | (v["newer_dataset"] == dataset)]
            for k, v in revs.items()
        }
    return QualityReview(qs, revs)

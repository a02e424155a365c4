"""Loading files into the warehouse: choosing the files, loading them, the post-ingest steps.

``vrkit ingest PATH… / --all`` and ``vrkit health ingest-istv`` are :func:`ingest` and
:func:`vrkit.tasks.health.ingest_istv`; both return an :class:`IngestSummary`.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from vrkit.analysis.geography import WARD_TYPES, best_fit_links
from vrkit.config import get_settings
from vrkit.errors import InputError, SourceError, VrkitError
from vrkit.sources.base import LoadReport, SourceFrames
from vrkit.sources.registry import detect_adapter, expand_paths
from vrkit.store import derived
from vrkit.store.derived import DERIVED_KIND
from vrkit.store.warehouse import IngestResult, Warehouse, result_label
from vrkit.tasks._result import TaskResult

#: called after each file with its path and outcome (an IngestResult or the error)
OnFile = Callable[[Path, IngestResult | VrkitError], None]


@dataclass
class FileOutcome:
    """One file of an ingest: its result (or error) and the seconds it took."""

    path: Path
    result: IngestResult | VrkitError
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """True when the file was refused (nothing of it loaded)."""
        return isinstance(self.result, VrkitError)

    @property
    def label(self) -> str:
        """How to name the file in outputs (an A&E file by its label, never its own name)."""
        return result_label(self.path, self.result)


@dataclass
class IngestSummary(TaskResult):
    """What an ingest did, file by file.

    Attributes
    ----------
    store : path of the warehouse written.
    files : one :class:`FileOutcome` per file, in load order.
    skipped : files of ``--all`` in formats vrkit does not know, with the reason.
    seconds : wall time of the whole ingest.
    derived_links : ward type → LSOA→ward best-fit links in the warehouse after the post-ingest
        step (0 where a boundary layer is not loaded).
    """

    store: str
    files: list[FileOutcome] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    seconds: float = 0.0
    derived_links: dict[str, int] = field(default_factory=dict)

    FORMATS = ("json", "csv")

    @property
    def failed(self) -> list[FileOutcome]:
        """Files refused."""
        return [f for f in self.files if f.failed]

    @property
    def loaded(self) -> list[FileOutcome]:
        """Files loaded (new or changed)."""
        return [
            f for f in self.files if not f.failed and getattr(f.result, "status", "") == "loaded"
        ]

    def to_frame(self) -> pd.DataFrame:
        """One row per file: ``file, kind, status, rows_read, rows_loaded, rows_rejected,
        seconds, error``."""
        rows: list[tuple[Any, ...]] = []
        for f in self.files:
            res = f.result
            if isinstance(res, VrkitError):
                rows.append((f.label, "", "error", None, None, None, f.seconds, res.message))
                continue
            rep = res.report
            rows.append(
                (
                    f.label,
                    res.source_kind,
                    res.status,
                    rep.rows_read if rep else None,
                    rep.rows_loaded if rep else None,
                    rep.rows_rejected if rep else None,
                    f.seconds,
                    None,
                )
            )
        cols = ["file", "kind", "status", "rows_read", "rows_loaded", "rows_rejected"]
        return pd.DataFrame(rows, columns=[*cols, "seconds", "error"])

    def to_dict(self) -> dict[str, Any]:
        """``store``, ``files`` (records), ``skipped``, ``failed`` and timings."""
        from vrkit._json import jsonable

        return {
            "store": self.store,
            "files": jsonable(self.to_frame().to_dict("records"), whole_floats_as_int=False),
            "skipped": [{"file": str(p), "reason": r} for p, r in self.skipped],
            "failed": len(self.failed),
            "seconds": round(self.seconds, 3),
            "derived_links": self.derived_links,
        }


def check_request(
    paths: Sequence[str | Path] = (), *, all_: bool = False, data_dir: str | Path | None = None
) -> Path | None:
    """Refuse an ingest that cannot select anything (before a warehouse is opened); return the
    data directory of ``all_``.

    Raises
    ------
    InputError
        Neither paths nor ``all_``, or the data directory does not exist.
    """
    if not paths and not all_:
        raise InputError("nothing to ingest", hint="Give file or folder paths, or --all.")
    if not all_:
        return None
    root = Path(data_dir) if data_dir is not None else get_settings().data_dir
    if not root.is_dir():
        raise InputError(
            f"data directory {root} does not exist",
            hint="Set VRKIT_DATA_DIR to the folder holding the shared data.",
        )
    return root


def select_files(
    paths: Sequence[str | Path] = (), *, all_: bool = False, data_dir: str | Path | None = None
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files an ingest loads, and the files of ``all_`` it skips (unknown formats).

    Parameters
    ----------
    paths : sequence of paths
        Files or folders (folders, ``.gz`` and zips are expanded); with explicit paths a file
        in an unknown format is an error at load time.
    all_ : bool
        Also everything under ``data_dir`` (default the ``VRKIT_DATA_DIR`` setting); files in
        formats vrkit does not know are skipped and listed with the reason.

    Raises
    ------
    InputError
        The data directory does not exist, or there is nothing to ingest.
    """
    targets: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    root = check_request(paths, all_=all_, data_dir=data_dir)
    if root is not None:
        for p in expand_paths([root]):
            try:
                detect_adapter(p)
                targets.append(p)
            except SourceError as exc:
                skipped.append((p, exc.message.split(". Known formats")[0]))
    targets += expand_paths([Path(p) for p in paths])
    if not targets:
        raise InputError("nothing to ingest", hint="Give file or folder paths, or --all.")
    return targets, skipped


def ingest(
    wh: Warehouse,
    paths: Sequence[str | Path] = (),
    *,
    all_: bool = False,
    data_dir: str | Path | None = None,
    force: bool = False,
    on_file: OnFile | None = None,
    on_start: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Load files into the warehouse, each file atomically; re-runs change nothing.

    The format of each file is detected from its header. A file that fails is reported in the
    summary and the other files still load. After the files, links that need several sources
    (LSOA 2011 → ward best fit for every ward vintage, :func:`derive_all_lsoa_ward_links`) are
    derived when both boundary layers are loaded.

    Parameters
    ----------
    wh : Warehouse
        Open for writing.
    paths, all_, data_dir :
        Which files (:func:`select_files`).
    force : bool
        Re-read files already loaded.
    on_file : callable, optional
        Called after each file (progress bars).
    on_start : callable, optional
        Called with the number of files before the first is loaded.

    Returns
    -------
    IngestSummary
    """
    targets, skipped = select_files(paths, all_=all_, data_dir=data_dir)
    if on_start is not None:
        on_start(len(targets))
    summary = IngestSummary(store=str(wh.path), skipped=skipped)
    t0 = clock = time.perf_counter()

    def done(p: Path, res: IngestResult | VrkitError) -> None:
        nonlocal clock
        now = time.perf_counter()
        summary.files.append(FileOutcome(p, res, now - clock))
        clock = now
        if on_file is not None:
            on_file(p, res)

    wh.ingest_many(targets, force=force, on_file=done)
    summary.derived_links = derive_all_lsoa_ward_links(wh)
    summary.seconds = time.perf_counter() - t0
    return summary


def collect(
    store: str, paths: Iterable[Path], results: Iterable[IngestResult | VrkitError]
) -> IngestSummary:
    """An :class:`IngestSummary` of results obtained another way (bulk loaders)."""
    summary = IngestSummary(store=store)
    for p, r in zip(paths, results, strict=True):
        summary.files.append(FileOutcome(p, r))
    return summary


def derive_lsoa_ward_links(
    wh: Warehouse,
    ward_type: str = "ward18",
    *,
    method: Literal["centroid", "area"] = "centroid",
    require_layers: bool = False,
    force: bool = False,
) -> int:
    """Derive LSOA 2011 → ward best-fit links from loaded boundaries and load them.

    Reads the ``lsoa11`` and ``ward_type`` layers from ``area`` (WKB in EPSG:27700), applies
    :func:`best_fit_links` and loads the links (``link_type`` ``lsoa11_<ward_type>``) through
    :meth:`Warehouse.load` as a pseudo-dataset of kind :data:`DERIVED_KIND` whose path is the
    ward boundary file. One transaction; re-running replaces the same links and the same
    dataset row (idempotent). The pseudo-dataset's ``sha256`` hashes both layers' file hashes
    and the method, so when neither layer nor the method changed nothing is recomputed (as for
    a file loaded twice) unless ``force``.

    Parameters
    ----------
    wh : Warehouse
        A writable warehouse.
    ward_type : str
        ``ward14``, ``ward18`` or a ``*_citymerged`` variant.
    method : {"centroid", "area"}
        Passed to :func:`best_fit_links`.
    require_layers : bool
        If False (default; ``vrkit ingest`` calls this after every load), return 0 when either
        layer is not loaded yet; if True, raise :class:`~vrkit.errors.InputError`.
    force : bool
        Recompute and replace even when the inputs are unchanged.

    Returns
    -------
    int
        Number of ``lsoa11_<ward_type>`` links in the warehouse (0 if not derived).
    """
    if ward_type not in WARD_TYPES:
        raise InputError(f"unknown ward type {ward_type!r}; use one of {', '.join(WARD_TYPES)}")
    link_type = f"lsoa11_{ward_type}"
    lsoa_ds, ward_ds = derived.layer_dataset(wh, "lsoa11"), derived.layer_dataset(wh, ward_type)
    if lsoa_ds is None or ward_ds is None:
        if not require_layers:
            return 0
        missing = "lsoa11" if lsoa_ds is None else ward_type
        raise InputError(
            f"no {missing} boundaries in the warehouse",
            hint="Ingest the boundary files first, e.g. `vrkit ingest "
            "boundaries/statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp` "
            "and the 2018 London_Ward.shp.",
        )
    info = derived.dataset_files(wh, [lsoa_ds, ward_ds])
    parts = [DERIVED_KIND, link_type, method, info.loc[lsoa_ds, "sha256"]]
    sha = hashlib.sha256("|".join([*parts, info.loc[ward_ds, "sha256"]]).encode()).hexdigest()
    replace = derived.derived_dataset(wh, sha, link_type)
    if replace is not None and not force:
        same = derived.derived_links_unchanged(wh, replace, sha, link_type)
        if same:
            return same
    links = best_fit_links(
        derived.boundary_layer(wh, "lsoa11"),
        derived.boundary_layer(wh, ward_type),
        method=method,
        link_type=link_type,
    )
    attrs = links.attrs
    if attrs["unmatched"]:
        raise InputError(
            f"{len(attrs['unmatched'])} LSOAs overlap no {ward_type} polygon "
            f"(e.g. {', '.join(attrs['unmatched'][:3])})",
            hint="Are both layers for the same region? Links are all or nothing.",
        )
    w = links["weight"]
    notes = [
        f"best-fit LSOA 2011 → {ward_type}, method {method!r}: "
        + (
            "ward containing the LSOA's point on surface (stand-in for the ONS "
            "population-weighted centroid)"
            if method == "centroid"
            else "ward with the largest share of the LSOA's area"
        ),
        f"weight = share of the LSOA's area inside its ward: median {w.median():.3f}, "
        f"{(w >= 0.9).mean():.1%} of LSOAs ≥ 0.9, minimum {w.min():.3f}",
        f"{attrs['fallback_area']} LSOAs assigned by largest overlap (point in no ward); "
        f"{attrs['differs_from_area']} differ from the largest-overlap ward",
        f"inputs: {Path(info.loc[lsoa_ds, 'file_path']).name} (dataset {lsoa_ds}), "
        f"{Path(info.loc[ward_ds, 'file_path']).name} (dataset {ward_ds})",
    ]
    report = LoadReport(
        path=Path(info.loc[ward_ds, "file_path"]),
        source_kind=DERIVED_KIND,
        rows_read=int(attrs["n_children"]),
        rows_loaded=len(links),
        notes=notes,
    )
    wh.load(
        SourceFrames(report=report, tables={"area_link": links}),
        sha256=sha,
        replace_dataset=replace,
    )
    return len(links)


def derive_all_lsoa_ward_links(wh: Warehouse) -> dict[str, int]:
    """:func:`derive_lsoa_ward_links` for every ward vintage whose boundaries are loaded.

    Every ward vintage gets its own LSOA 2011 best fit, so crime counts can be built for any
    vintage from LSOA counts (the need index's "complete geography"). Returns ward type →
    number of links (0 where a layer is not loaded).
    """
    return {t: derive_lsoa_ward_links(wh, t) for t in WARD_TYPES}

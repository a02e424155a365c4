"""vrkit: an open data platform for Violence Reduction Units.

Key components
--------------
- :mod:`vrkit.sources` — one adapter per input format; ``read_*`` functions return a frame and a
  :class:`~vrkit.sources.base.LoadReport` without touching the store.
- :mod:`vrkit.store` — the DuckDB warehouse (:class:`~vrkit.store.Warehouse`): atomic, idempotent
  loads, a dataset registry and data-quality review.
- :mod:`vrkit.analysis` — pure functions on frames: headline measures, trends, rates with exact
  Poisson intervals, the homicide table.
- :mod:`vrkit.reports` — the Violent Crime Report (HTML, XLSX, JSON).

Example
-------
>>> import vrkit
>>> wh = vrkit.Warehouse(":memory:")
>>> wh.datasets().empty
True
"""

from vrkit._version import __version__
from vrkit._versions import show_versions, versions
from vrkit.config import Settings, get_settings
from vrkit.errors import DataValidationError, InputError, SourceError, StorageError, VrkitError
from vrkit.sources.base import LoadReport, Rejection, SourceFrames
from vrkit.sources.registry import detect_adapter, known_formats, read_file
from vrkit.store.warehouse import Warehouse

__all__ = [
    "DataValidationError",
    "InputError",
    "LoadReport",
    "Rejection",
    "Settings",
    "SourceError",
    "SourceFrames",
    "StorageError",
    "VrkitError",
    "Warehouse",
    "__version__",
    "detect_adapter",
    "get_settings",
    "known_formats",
    "read_file",
    "show_versions",
    "versions",
]

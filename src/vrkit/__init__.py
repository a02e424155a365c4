"""vrkit: an open data platform for Violence Reduction Units.

vrkit turns the data a Violence Reduction Unit already has — police recorded crime (MPS,
data.police.uk), A&E (ISTV) and ambulance data, deprivation, population and boundaries — into
one validated warehouse and the answers a partnership needs: trends, the Violent Crime Report,
needs assessments with hot spots and concentration, need indices that rank areas for an
intervention, early-warning alerts, forecasts and their backtests.

Every task is a function here, the same one each ``vrkit`` command calls::

    import vrkit
    wh = vrkit.Warehouse("out/vrkit.duckdb")
    vrkit.ingest(wh, ["../shared/data/mps_crime_borough"])          # vrkit ingest PATH
    vrkit.trend(wh, "violence_with_injury", area="Lambeth").to_frame()
    vrkit.violent_crime_report(wh, year=2020, area="London").write("out/london-2020")
    vrkit.alerts(wh, measure="violence_with_injury", month="2021-06").alerts

Results have ``to_frame()``, ``to_dict()`` and writers (``render``, ``write``). The layers
underneath (``vrkit.catalog``, ``vrkit.sources``, ``vrkit.store``, ``vrkit.analysis``,
``vrkit.disclosure``, ``vrkit.reports``) are importable on their own; ``docs/architecture.md``
says where each capability lives.

Names are imported on first use, so ``import vrkit`` stays light.

Example
-------
>>> import vrkit
>>> wh = vrkit.Warehouse(":memory:")
>>> wh.datasets().empty
True
"""

from typing import TYPE_CHECKING

from vrkit import tasks as _tasks
from vrkit._lazy import lazy_exports
from vrkit._version import __version__
from vrkit.errors import DataValidationError, InputError, SourceError, StorageError, VrkitError

_CORE: dict[str, str] = {
    "show_versions": "vrkit._versions",
    "versions": "vrkit._versions",
    "Settings": "vrkit.config",
    "get_settings": "vrkit.config",
    "LoadReport": "vrkit.sources.base",
    "Rejection": "vrkit.sources.base",
    "SourceFrames": "vrkit.sources.base",
    "detect_adapter": "vrkit.sources.registry",
    "known_formats": "vrkit.sources.registry",
    "read_file": "vrkit.sources.registry",
    "Warehouse": "vrkit.store.warehouse",
    "IngestResult": "vrkit.store.warehouse",
    "Area": "vrkit.catalog.areas",
    "resolve_area": "vrkit.catalog.areas",
}
_EXPORTS = {**_CORE, **_tasks._EXPORTS}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from vrkit._versions import show_versions, versions
    from vrkit.catalog.areas import Area, resolve_area
    from vrkit.config import Settings, get_settings
    from vrkit.sources.base import LoadReport, Rejection, SourceFrames
    from vrkit.sources.registry import detect_adapter, known_formats, read_file
    from vrkit.store.warehouse import IngestResult, Warehouse
    from vrkit.tasks import *  # noqa: F403  (every task and result type)

__all__ = [
    "Area",
    "DataValidationError",
    "IngestResult",
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
    "resolve_area",
    "show_versions",
    "versions",
    *_tasks.__all__,
]

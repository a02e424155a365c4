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
_TASKS = (
    "AlertsResult",
    "BacktestOutcome",
    "ConcentrationResult",
    "DatasetsResult",
    "ForecastOutcome",
    "HotspotsResult",
    "IngestSummary",
    "IstvQuality",
    "Listing",
    "LocationMatches",
    "NeedsAssessmentResult",
    "QualityReview",
    "RankResult",
    "SynthManifest",
    "TaskResult",
    "TrendResult",
    "ViolentCrimeReportResult",
    "add_indicator",
    "alerts",
    "area_monthly",
    "backtest",
    "concentration",
    "datasets",
    "forecast",
    "formats",
    "hotspots",
    "indicators",
    "ingest",
    "ingest_istv",
    "istv_quality",
    "match_locations",
    "measures",
    "needs_assessment",
    "profiles",
    "quality",
    "rank",
    "synth_ambulance",
    "synth_istv",
    "trend",
    "version",
    "violent_crime_report",
)
_EXPORTS = {**_CORE, **dict.fromkeys(_TASKS, "vrkit.tasks")}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from vrkit._versions import show_versions, versions
    from vrkit.catalog.areas import Area, resolve_area
    from vrkit.config import Settings, get_settings
    from vrkit.sources.base import LoadReport, Rejection, SourceFrames
    from vrkit.sources.registry import detect_adapter, known_formats, read_file
    from vrkit.store.warehouse import IngestResult, Warehouse
    from vrkit.tasks import (
        AlertsResult,
        BacktestOutcome,
        ConcentrationResult,
        DatasetsResult,
        ForecastOutcome,
        HotspotsResult,
        IngestSummary,
        IstvQuality,
        Listing,
        LocationMatches,
        NeedsAssessmentResult,
        QualityReview,
        RankResult,
        SynthManifest,
        TaskResult,
        TrendResult,
        ViolentCrimeReportResult,
        add_indicator,
        alerts,
        area_monthly,
        backtest,
        concentration,
        datasets,
        forecast,
        formats,
        hotspots,
        indicators,
        ingest,
        ingest_istv,
        istv_quality,
        match_locations,
        measures,
        needs_assessment,
        profiles,
        quality,
        rank,
        synth_ambulance,
        synth_istv,
        trend,
        version,
        violent_crime_report,
    )

__all__ = [
    "AlertsResult",
    "Area",
    "BacktestOutcome",
    "ConcentrationResult",
    "DataValidationError",
    "DatasetsResult",
    "ForecastOutcome",
    "HotspotsResult",
    "IngestResult",
    "IngestSummary",
    "InputError",
    "IstvQuality",
    "Listing",
    "LoadReport",
    "LocationMatches",
    "NeedsAssessmentResult",
    "QualityReview",
    "RankResult",
    "Rejection",
    "Settings",
    "SourceError",
    "SourceFrames",
    "StorageError",
    "SynthManifest",
    "TaskResult",
    "TrendResult",
    "ViolentCrimeReportResult",
    "VrkitError",
    "Warehouse",
    "__version__",
    "add_indicator",
    "alerts",
    "area_monthly",
    "backtest",
    "concentration",
    "datasets",
    "detect_adapter",
    "forecast",
    "formats",
    "get_settings",
    "hotspots",
    "indicators",
    "ingest",
    "ingest_istv",
    "istv_quality",
    "known_formats",
    "match_locations",
    "measures",
    "needs_assessment",
    "profiles",
    "quality",
    "rank",
    "read_file",
    "resolve_area",
    "show_versions",
    "synth_ambulance",
    "synth_istv",
    "trend",
    "version",
    "versions",
    "violent_crime_report",
]

"""Tasks: one function per thing a user does, what the CLI, the web app and notebooks call.

Each takes a :class:`~vrkit.store.warehouse.Warehouse` (where it needs data) and plain
arguments, and returns a result object with ``to_frame()``, ``to_dict()`` and writers
(``render(fmt)``, ``write(path)``). Every ``vrkit`` command is one of these calls.

========================================  =============================================
command                                   task
========================================  =============================================
``vrkit ingest``                          :func:`ingest`
``vrkit datasets`` / ``quality``          :func:`datasets` / :func:`quality`
``vrkit measures`` / ``formats``          :func:`measures` / :func:`formats`
``vrkit version``                         :func:`version`
``vrkit trend``                           :func:`trend`
``vrkit hotspots`` / ``concentration``    :func:`hotspots` / :func:`concentration`
``vrkit report violent-crime``            :func:`violent_crime_report`
``vrkit report needs-assessment``         :func:`needs_assessment`
``vrkit alerts`` / ``forecast``           :func:`alerts` / :func:`forecast`
``vrkit backtest``                        :func:`backtest`
``vrkit rank`` (+ ``profiles``, …)        :func:`rank`, :func:`profiles`, :func:`indicators`,
                                          :func:`add_indicator`
``vrkit health ingest-istv``              :func:`ingest_istv`
``vrkit health quality-istv``             :func:`istv_quality`
``vrkit health match-locations``          :func:`match_locations`
``vrkit synth istv`` / ``ambulance``      :func:`synth_istv` / :func:`synth_ambulance`
``vrkit export parquet``                  :func:`export_parquet`
``vrkit evaluate did|staggered|scm``      :func:`evaluate_did`, :func:`evaluate_staggered`,
                                          :func:`evaluate_scm`
``vrkit evaluate prioritise``             :func:`prioritise_programmes`
``vrkit evidence list``                   :func:`evidence_catalogue`
``vrkit cost-of-violence``                :func:`cost_of_violence`
``vrkit vfm``                             :func:`value_for_money`
``vrkit serve``                           the portal (:mod:`vrkit.web`) over these tasks
========================================  =============================================
"""

from typing import TYPE_CHECKING

from vrkit._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "AlertsResult": "vrkit.tasks.anticipate",
    "BacktestOutcome": "vrkit.tasks.anticipate",
    "ConcentrationResult": "vrkit.tasks.places",
    "DatasetsResult": "vrkit.tasks.data",
    "ExportResult": "vrkit.tasks.export",
    "ForecastOutcome": "vrkit.tasks.anticipate",
    "HotspotsResult": "vrkit.tasks.places",
    "IngestSummary": "vrkit.tasks.ingestion",
    "IstvQuality": "vrkit.tasks.health",
    "Listing": "vrkit.tasks._result",
    "LocationMatches": "vrkit.tasks.health",
    "NeedsAssessmentResult": "vrkit.tasks.reports",
    "QualityReview": "vrkit.tasks.data",
    "RankResult": "vrkit.tasks.ranking",
    "SynthManifest": "vrkit.tasks.synth",
    "TaskResult": "vrkit.tasks._result",
    "TrendResult": "vrkit.tasks.trends",
    "ViolentCrimeReportResult": "vrkit.tasks.reports",
    "add_indicator": "vrkit.tasks.ranking",
    "alerts": "vrkit.tasks.anticipate",
    "area_monthly": "vrkit.tasks.trends",
    "backtest": "vrkit.tasks.anticipate",
    "check_formats": "vrkit.tasks._result",
    "concentration": "vrkit.tasks.places",
    "cost_of_violence": "vrkit.tasks.costs",
    "datasets": "vrkit.tasks.data",
    "derive_lsoa_ward_links": "vrkit.tasks.ingestion",
    "evaluate_did": "vrkit.tasks.impact",
    "evaluate_scm": "vrkit.tasks.impact",
    "evaluate_staggered": "vrkit.tasks.impact",
    "export_parquet": "vrkit.tasks.export",
    "forecast": "vrkit.tasks.anticipate",
    "formats": "vrkit.tasks.data",
    "hotspots": "vrkit.tasks.places",
    "indicators": "vrkit.tasks.ranking",
    "ingest": "vrkit.tasks.ingestion",
    "ingest_istv": "vrkit.tasks.health",
    "istv_quality": "vrkit.tasks.health",
    "match_locations": "vrkit.tasks.health",
    "measures": "vrkit.tasks.data",
    "needs_assessment": "vrkit.tasks.reports",
    "prioritise_programmes": "vrkit.tasks.prioritise",
    "evidence_catalogue": "vrkit.tasks.prioritise",
    "profiles": "vrkit.tasks.ranking",
    "quality": "vrkit.tasks.data",
    "rank": "vrkit.tasks.ranking",
    "select_files": "vrkit.tasks.ingestion",
    "synth_ambulance": "vrkit.tasks.synth",
    "synth_istv": "vrkit.tasks.synth",
    "trend": "vrkit.tasks.trends",
    "value_for_money": "vrkit.tasks.vfm",
    "version": "vrkit.tasks.data",
    "violent_crime_report": "vrkit.tasks.reports",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from vrkit.tasks._result import Listing, TaskResult, check_formats
    from vrkit.tasks.anticipate import (
        AlertsResult,
        BacktestOutcome,
        ForecastOutcome,
        alerts,
        backtest,
        forecast,
    )
    from vrkit.tasks.costs import cost_of_violence
    from vrkit.tasks.data import (
        DatasetsResult,
        QualityReview,
        datasets,
        formats,
        measures,
        quality,
        version,
    )
    from vrkit.tasks.export import ExportResult, export_parquet
    from vrkit.tasks.health import (
        IstvQuality,
        LocationMatches,
        ingest_istv,
        istv_quality,
        match_locations,
    )
    from vrkit.tasks.impact import evaluate_did, evaluate_scm, evaluate_staggered
    from vrkit.tasks.ingestion import IngestSummary, derive_lsoa_ward_links, ingest, select_files
    from vrkit.tasks.places import ConcentrationResult, HotspotsResult, concentration, hotspots
    from vrkit.tasks.prioritise import evidence_catalogue, prioritise_programmes
    from vrkit.tasks.ranking import RankResult, add_indicator, indicators, profiles, rank
    from vrkit.tasks.reports import (
        NeedsAssessmentResult,
        ViolentCrimeReportResult,
        needs_assessment,
        violent_crime_report,
    )
    from vrkit.tasks.synth import SynthManifest, synth_ambulance, synth_istv
    from vrkit.tasks.trends import TrendResult, area_monthly, trend
    from vrkit.tasks.vfm import value_for_money

__all__ = [
    "AlertsResult",
    "BacktestOutcome",
    "ConcentrationResult",
    "DatasetsResult",
    "ExportResult",
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
    "check_formats",
    "concentration",
    "cost_of_violence",
    "datasets",
    "derive_lsoa_ward_links",
    "evaluate_did",
    "evaluate_scm",
    "evaluate_staggered",
    "evidence_catalogue",
    "export_parquet",
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
    "prioritise_programmes",
    "profiles",
    "quality",
    "rank",
    "select_files",
    "synth_ambulance",
    "synth_istv",
    "trend",
    "value_for_money",
    "version",
    "violent_crime_report",
]

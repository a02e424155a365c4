"""Source adapters: one per input format. Each ``read_*`` returns frames and a LoadReport.

Adapters never touch the warehouse; :class:`vrkit.store.Warehouse` loads what they return.
"""

from vrkit.sources.base import LoadReport, Probe, Rejection, SourceAdapter, SourceFrames
from vrkit.sources.registry import ADAPTERS, detect_adapter, known_formats, read_file

__all__ = [
    "ADAPTERS",
    "LoadReport",
    "Probe",
    "Rejection",
    "SourceAdapter",
    "SourceFrames",
    "detect_adapter",
    "known_formats",
    "read_file",
]

"""The warehouse: one DuckDB file with canonical tables (DESIGN.md §3)."""

from vrkit.store.warehouse import IngestResult, Warehouse

__all__ = ["IngestResult", "Warehouse"]

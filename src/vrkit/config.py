"""Typed settings, read from ``VRKIT_*`` environment variables (one place, no hard-coded paths)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ByteSize, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """vrkit settings.

    Every field can be set with an environment variable of the same name prefixed ``VRKIT_``
    (for example ``VRKIT_DATA_DIR=/data/vru``).
    """

    model_config = SettingsConfigDict(env_prefix="VRKIT_", extra="ignore")

    data_dir: Path = Field(
        default=Path("../shared/data"),
        description="Folder holding the shared open data; `vrkit ingest --all` loads everything here.",
    )
    store: Path = Field(
        default=Path("vrkit.duckdb"),
        description="Path of the DuckDB warehouse file (CLI: --store).",
    )
    threads: int = Field(
        default=2, ge=1, description="Threads DuckDB may use (the reference machine has 2 cores)."
    )
    memory_limit: str = Field(
        default="8GB", description="DuckDB memory limit, e.g. '8GB'. Large loads spill to disk."
    )
    max_decompressed_size: ByteSize = Field(
        default=ByteSize(4 << 30),
        description="Largest content vrkit will decompress from one .gz file, zip archive or "
        "workbook, e.g. '4GiB' or '16GB'; larger files are refused before anything is written.",
    )
    max_compression_ratio: float = Field(
        default=100.0,
        gt=1,
        description="A compressed file (over 64 MiB when decompressed) that expands more than "
        "this many times is refused as a likely decompression bomb (real CSVs expand 3-15 times).",
    )
    gazetteer: Path | None = Field(
        default=None,
        description="CSV of places (name, easting, northing[, area_code]) that free-text A&E "
        "(ISTV) locations are matched against at ingest; only the match is stored, never the text.",
    )


def get_settings() -> Settings:
    """Return settings read from the environment now (not cached, so tests can change it)."""
    return Settings()

"""Typed settings, read from ``VRKIT_*`` environment variables (one place, no hard-coded paths)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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


def get_settings() -> Settings:
    """Return settings read from the environment now (not cached, so tests can change it)."""
    return Settings()

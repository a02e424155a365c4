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
    standards_dir: Path | None = Field(
        default=None,
        description="Folder holding the data standards' schemas (360giving/...); default: "
        "the 'standards' folder beside the data directory.",
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
    lock_wait: float = Field(
        default=900.0,
        ge=0,
        description="Seconds a command waits for the warehouse while another process (a load, "
        "the portal) holds it; it says so while waiting.",
    )
    # -- the partner portal (vrkit serve) ------------------------------------------------------
    database_url: str = Field(
        default="sqlite:///vrkit-portal.sqlite3",
        description="Operational database (users, scopes, audit, uploads) as a SQLAlchemy URL; "
        "PostgreSQL in production (postgresql+psycopg://user@host/db).",
    )
    secret_key: str | None = Field(
        default=None,
        description="Key signing CSRF tokens; default a random key generated once and kept in "
        "the operational database. Never commit it.",
    )
    cookie_secure: bool = Field(
        default=True,
        description="Send cookies only over HTTPS (browsers treat http://localhost as secure).",
    )
    session_idle_minutes: int = Field(default=30, ge=1, description="Sign out after idle time.")
    session_absolute_hours: int = Field(
        default=12, ge=1, description="Sign out this long after sign-in, used or not."
    )
    upload_max_mb: float = Field(default=20.0, gt=0, description="Largest upload accepted.")
    upload_dir: Path = Field(
        default=Path("vrkit-uploads"),
        description="Folder for uploaded files (outside the static tree; names are content "
        "hashes, never the uploaded name).",
    )
    cache_dir: Path = Field(
        default=Path("vrkit-cache"), description="Rendered reports and downloads, by edition."
    )
    web_lock_wait: float = Field(
        default=60.0,
        ge=0,
        description="Seconds a portal page waits for the warehouse during a load before "
        "showing 'being updated, try again shortly'.",
    )
    login_rate_per_minute: int = Field(
        default=10, ge=1, description="Sign-in attempts per minute from one address."
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
    vfm_dir: Path | None = Field(
        default=None,
        description="Folder of value-for-money input files (*.toml, docs/evaluation.md); a file "
        "whose [programme] programme_ref names a register programme is shown on that "
        "programme's page. The shipped worked example (ILLUSTRATIVE) is always searched too.",
    )
    gazetteer: Path | None = Field(
        default=None,
        description="CSV of places (name, easting, northing[, area_code]) that free-text A&E "
        "(ISTV) locations are matched against at ingest; only the match is stored, never the text.",
    )


def get_settings() -> Settings:
    """Return settings read from the environment now (not cached, so tests can change it)."""
    return Settings()

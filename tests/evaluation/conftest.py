"""Shared fixtures for the evaluation tests: a warehouse built from REAL shared data at test time."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from vrkit import Warehouse, get_settings

BOROUGH_FILE = (
    "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv"
)
WARD_FILE = "mps_crime_ward/2020-01_to_2021-12/MPS Ward Level_Crime_2020-2021.csv.gz"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    d = get_settings().data_dir
    assert d.is_dir(), f"shared data not found at {d}; set VRKIT_DATA_DIR"
    return d


@pytest.fixture(scope="session")
def borough_wh(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Warehouse:
    """Warehouse holding the MPS borough monthly file (Apr 2010 – Sep 2023)."""
    wh = Warehouse(tmp_path_factory.mktemp("eval") / "w.duckdb")
    res = wh.ingest_many([data_dir / BOROUGH_FILE, data_dir / WARD_FILE])
    assert not [r for r in res if isinstance(r, Exception)]
    return wh


@pytest.fixture(scope="session")
def borough_file(data_dir: Path) -> pd.DataFrame:
    """The borough source file itself, for direct sums independent of vrkit."""
    return pd.read_csv(data_dir / BOROUGH_FILE)

"""Versions of vrkit and the libraries it relies on, for bug reports."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

#: distributions whose versions matter for results (statistics, storage, geometry)
_PACKAGES = (
    "duckdb",
    "duckdb-extension-spatial",
    "pandas",
    "numpy",
    "pyarrow",
    "scipy",
    "statsmodels",
    "esda",
    "libpysal",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "altair",
    "vl-convert-python",
    "openpyxl",
    "typer",
)


def versions() -> dict[str, str]:
    """``{name: version}`` for vrkit, Python, the platform and the key dependencies."""
    from vrkit._version import __version__

    out = {
        "vrkit": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def show_versions() -> None:
    """Print :func:`versions` one per line (paste this into a bug report)."""
    for name, version in versions().items():
        print(f"{name:26s} {version}")

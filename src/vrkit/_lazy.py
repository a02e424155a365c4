"""Lazy re-exports: ``import vrkit`` stays light; a name is imported when first used.

``vrkit`` and ``vrkit.tasks`` re-export the task functions and result types, which pull in
pandas, DuckDB, geopandas, SciPy and altair. Importing them eagerly would make every command
(even ``vrkit --help``) and every ``import vrkit`` pay for all of them, so the packages map each
public name to the module defining it and import it on first access (PEP 562).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package re-exporting ``name → module`` lazily."""

    def __getattr__(name: str) -> Any:
        try:
            module = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        globals_ = importlib.import_module(package).__dict__
        globals_[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*importlib.import_module(package).__dict__, *exports})

    return __getattr__, __dir__

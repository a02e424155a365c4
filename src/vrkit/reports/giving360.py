"""Write grants as 360Giving data: a JSON package or a one-row-per-grant CSV with the
standard's column titles (the same titles :mod:`vrkit.sources.delivery.giving360` reads)."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit.reports.tabular import write_csv_rows, write_xlsx
from vrkit.sources.delivery.giving360 import CSV_COLUMNS


def _get(g: dict[str, Any], keys: tuple[str | int, ...]) -> Any:
    node: Any = g
    for k in keys:
        if isinstance(k, int):
            if not isinstance(node, list) or len(node) <= k:
                return None
            node = node[k]
        else:
            if not isinstance(node, dict) or k not in node:
                return None
            node = node[k]
    return node


def _rows(package: dict[str, Any]) -> list[list[Any]]:
    """One row per grant in the CSV's columns (None where a field is absent)."""
    return [[_get(g, CSV_COLUMNS[c]) for c in CSV_COLUMNS] for g in package["grants"]]


def package_csv(package: dict[str, Any]) -> str:
    """The grants of ``package`` as 360Giving CSV text (through
    :func:`vrkit.reports.tabular.write_csv_rows`: text cells never start a formula)."""
    buf = io.StringIO()
    rows = [["" if v is None else v for v in r] for r in _rows(package)]
    write_csv_rows([list(CSV_COLUMNS), *rows], buf)
    return buf.getvalue()


def package_xlsx(package: dict[str, Any]) -> bytes:
    """The grants as a 360Giving spreadsheet (sheet ``grants``, the CSV's columns; through
    :func:`vrkit.reports.tabular.write_xlsx`: strings are always text)."""
    frame = pd.DataFrame(_rows(package), columns=list(CSV_COLUMNS), dtype=object)
    with tempfile.TemporaryDirectory() as tmp:
        p = write_xlsx(Path(tmp) / "grants.xlsx", {"grants": frame}, empty_note=None)
        return p.read_bytes()


def write_package(package: dict[str, Any], path: Path, fmt: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        path.write_bytes(package_xlsx(package))
    elif fmt == "csv":
        path.write_text(package_csv(package), encoding="utf-8")
    else:
        path.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path

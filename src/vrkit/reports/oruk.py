"""Write the directory in Open Referral UK form: JSON (a service package: a list of fully
nested services) and CSV (the standard's tables, one file per schema ``path``, with a
``datapackage.json`` describing them). Text cells go through the safe CSV writer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit.reports.tabular import write_csv
from vrkit.sources.oruk import flatten_services, table_columns, table_files


def write_oruk_json(services: list[dict[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(services, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_oruk_csv(
    services: list[dict[str, Any]], folder: Path, taxonomies: list[dict[str, Any]] | None = None
) -> list[Path]:
    """One CSV per table (only tables with rows, plus services and organisations always) and a
    ``datapackage.json`` naming them."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = flatten_services(services)
    if taxonomies:
        tables["taxonomy"] = [
            {k: v for k, v in t.items() if not isinstance(v, list)} for t in taxonomies
        ]
    files = table_files()
    written: list[Path] = []
    resources = []
    for name, rows in tables.items():
        if not rows and name not in ("service", "organization"):
            continue
        cols = table_columns(name)
        used = [c for c in cols if any(c in r for r in rows)] or cols[:1]
        if "id" not in used:
            used.insert(0, "id")
        frame = pd.DataFrame([{c: r.get(c) for c in used} for r in rows], columns=used)
        for c in frame.columns:  # integers stay integers (no "12.0"), missing stays empty
            if frame[c].map(lambda v: isinstance(v, float) and v.is_integer()).any():
                frame[c] = frame[c].map(
                    lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else v
                )
        path = folder / files[name]
        write_csv(frame, path)
        written.append(path)
        resources.append(
            {"name": name, "path": files[name], "schema": {"fields": [{"name": c} for c in used]}}
        )
    dp = folder / "datapackage.json"
    dp.write_text(
        json.dumps(
            {
                "name": "vrkit-diversion-directory",
                "profile": "tabular-data-package",
                "description": "Open Referral UK (HSDS 3) tables written by vrkit.",
                "resources": resources,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return [*written, dp]

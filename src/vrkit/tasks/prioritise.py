"""Task: rank funded programmes for evaluation (``vrkit evaluate prioritise``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from vrkit.analysis.prioritise import VRU_CRITERIA, PrioritisationResult, prioritise
from vrkit.catalog.approaches import builtin_approaches, load_local_entries, merge_entries
from vrkit.errors import InputError, SourceError


def read_programme_table(path: str | Path) -> pd.DataFrame:
    """Read a programme table from CSV or XLSX (first sheet); schema in
    :mod:`vrkit.analysis.prioritise`."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"programme table {p} does not exist")
    try:
        if p.suffix.lower() in (".xlsx", ".xlsm"):
            return pd.read_excel(p, sheet_name=0)
        return pd.read_csv(p)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(p, f"cannot read the programme table: {exc}") from exc


def prioritise_programmes(
    programmes: pd.DataFrame | str | Path,
    *,
    weights: Mapping[str, float] | None = None,
    evidence_file: str | Path | None = None,
    **kwargs: Any,
) -> PrioritisationResult:
    """Score and rank programmes with the London VRU's criteria.

    Parameters
    ----------
    programmes : DataFrame or path
        The programme table (CSV/XLSX path or frame).
    weights : mapping, optional
        Criterion id → weight (others keep weight 1); unknown ids are refused.
    evidence_file : path, optional
        Local evidence entries merged with the built-in catalogue for the evaluability notes.
    **kwargs
        Passed to :func:`vrkit.analysis.prioritise.prioritise` (``n_draws``, ``seed``,
        ``top_n``, ``missing``…).
    """
    table = programmes if isinstance(programmes, pd.DataFrame) else read_programme_table(programmes)
    criteria = list(VRU_CRITERIA)
    if weights:
        known = {c.criterion_id for c in criteria}
        bad = [k for k in weights if k not in known]
        if bad:
            raise InputError(
                f"unknown criterion {bad[0]!r}", hint=f"Criteria: {', '.join(sorted(known))}."
            )
        criteria = [
            replace(c, weight=float(weights.get(c.criterion_id, c.weight))) for c in criteria
        ]
    catalogue = builtin_approaches()
    if evidence_file is not None:
        catalogue = merge_entries(load_local_entries(evidence_file))
    return prioritise(table, criteria, evidence=catalogue, **kwargs)


def evidence_catalogue(
    *, toolkit: str | None = None, local: str | Path | None = None
) -> pd.DataFrame:
    """The evidence catalogue of approaches (``vrkit evidence list``).

    Parameters
    ----------
    toolkit : {"yef", "crt", "local"}, optional
        Only the entries of one toolkit: the Youth Endowment Fund Toolkit, the College of
        Policing Crime Reduction Toolkit, or the local file's entries.
    local : path, optional
        A local evidence file (the columns of :data:`vrkit.catalog.approaches.COLUMNS`, every
        row ``toolkit = local``), merged over the shipped toolkits.

    Returns
    -------
    DataFrame
        One row per approach (:data:`vrkit.catalog.approaches.COLUMNS`).

    Examples
    --------
    >>> cat = evidence_catalogue(toolkit="yef")
    >>> set(cat["toolkit"])
    {'yef'}
    """
    from vrkit.catalog.approaches import TOOLKITS

    cat = builtin_approaches()
    if local is not None:
        cat = merge_entries(load_local_entries(local), base=cat)
    if toolkit is not None:
        if toolkit not in TOOLKITS:
            raise InputError(f"unknown toolkit {toolkit!r}", hint=f"Use {', '.join(TOOLKITS)}.")
        cat = cat[cat["toolkit"] == toolkit].reset_index(drop=True)
    return cat

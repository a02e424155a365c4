"""Health data tasks: how well A&E (ISTV) locations matched the partnership's gazetteer.

Locations are matched at ingest, on the free text in memory, and only the match is stored
(:mod:`vrkit.sources.istv`); this task summarises the stored matches.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vrkit.analysis.health import match_summary
from vrkit.catalog.gazetteer import Gazetteer
from vrkit.errors import InputError
from vrkit.store.health import istv_place_matches
from vrkit.store.warehouse import Warehouse


def location_match_summary(
    wh: Warehouse,
    *,
    threshold: float = 0.85,
    gazetteer: Gazetteer | str | Path | None = None,
) -> pd.DataFrame:
    """Matched and unmatched ISTV records per department (site code).

    Parameters
    ----------
    wh : Warehouse
    threshold : float, default 0.85
        Minimum confidence (0–1) of a match.
    gazetteer : Gazetteer or path, optional
        The gazetteer the caller expects the records to have been matched against. The text is
        not stored, so records cannot be matched again here: if any current submission was
        ingested without it (with another gazetteer, or none), an :class:`InputError` says
        which and how to match them (ingest again with ``VRKIT_GAZETTEER`` and ``--force``).

    Returns
    -------
    DataFrame
        ``department, records, matched, unmatched, pct_matched`` (records of submissions
        ingested without a gazetteer count as unmatched; see ``gazetteer``).
    """
    if not 0.0 <= threshold <= 1.0:
        raise InputError(f"threshold must be between 0 and 1, got {threshold}")
    matches = istv_place_matches(wh)
    if gazetteer is not None:
        gaz = gazetteer if isinstance(gazetteer, Gazetteer) else Gazetteer.from_csv(gazetteer)
        other = matches[matches["gazetteer_sha256"].fillna("") != gaz.sha256]
        if len(other):
            months = other[["site_code", "month"]].drop_duplicates()
            none = int(other["gazetteer_sha256"].isna().sum())
            raise InputError(
                f"{len(months):,} department-month(s) ({len(other):,} records) were not matched "
                f"against this gazetteer at ingest ({none:,} records with no gazetteer at all); "
                "A&E free text is never stored, so they cannot be matched now",
                hint="Ingest those files again with VRKIT_GAZETTEER set to this gazetteer and "
                "--force.",
            )
    conf = matches["place_confidence"].astype("Float64").fillna(0.0)
    matched = (conf >= threshold).to_numpy(dtype=bool)
    return match_summary(matches["site_code"], pd.DataFrame({"matched": matched}))

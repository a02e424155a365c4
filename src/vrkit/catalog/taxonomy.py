"""MPS offence taxonomy (major → minor categories) as published in the MPS files.

``taxonomy_mps.csv`` lists every (major, minor) pair seen in the MPS new-category files,
in their original spelling (title case before 2023, upper case after).
"""

from __future__ import annotations

from functools import cache

from vrkit.catalog import load_csv


@cache
def _minor_to_major() -> dict[str, str]:
    out: dict[str, str] = {}
    for row in load_csv("taxonomy_mps.csv"):
        key = row["offence_minor"].upper()
        major = row["offence_major"]
        # prefer the title-case spelling when both codings list the minor
        if key not in out or out[key].isupper():
            out[key] = major
    return out


def major_for_minor(minor: str) -> str:
    """Major category of an MPS minor category (case-insensitive).

    Raises
    ------
    KeyError
        If the minor category is not in the taxonomy.
    """
    try:
        return _minor_to_major()[minor.strip().upper()]
    except KeyError:
        raise KeyError(f"unknown MPS minor category {minor!r}") from None

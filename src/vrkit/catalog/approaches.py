"""Evidence catalogue: intervention approaches and their ratings (``catalog/evidence/*.csv``).

Two public toolkits ship as versioned data, one row per approach with a source page and a check
date (see ``catalog/evidence/README.md``):

- the **Youth Endowment Fund (YEF) Toolkit**: impact on violence as a band (high = 30 %+ less
  violence, moderate = 10–30 %, low = 2–9 %, as YEF states them) and a percentage where YEF gives
  one, evidence security 1–5 and a cost rating 1–5;
- the **College of Policing Crime Reduction Toolkit**: the EMMIE dimensions (Effect, Mechanism,
  Moderators, Implementation, Economic cost) as text.

A value that could not be verified from the cited page is empty (never guessed) and ``note`` says
why. Users add local entries (their own evaluations, a regional evidence review) with a CSV of the
same columns: :func:`load_local_entries` validates such a file whole and :func:`merge_entries`
adds it to the built-in catalogue, refusing silent replacement of a built-in entry.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pandas as pd

from vrkit.catalog import catalog_text
from vrkit.errors import DataValidationError, InputError

#: Columns of every evidence file, in order.
COLUMNS: tuple[str, ...] = (
    "approach_id",
    "toolkit",
    "name",
    "impact_band",
    "impact_pct",
    "evidence_security",
    "evidence_confidence",
    "cost_rating",
    "emmie_effect",
    "emmie_mechanism",
    "emmie_moderators",
    "emmie_implementation",
    "emmie_economic",
    "summary",
    "source_url",
    "source_title",
    "source_date",
    "checked",
    "note",
)
REQUIRED: tuple[str, ...] = ("approach_id", "toolkit", "name", "source_url", "checked")
TOOLKITS: dict[str, str] = {
    "yef": "Youth Endowment Fund Toolkit",
    "crt": "College of Policing Crime Reduction Toolkit (EMMIE)",
    "local": "Local entry (user-supplied)",
}
#: YEF impact bands and the percentage ranges YEF attaches to them (inclusive bounds).
IMPACT_BANDS: dict[str, tuple[float, float] | None] = {
    "high": (30.0, 100.0),
    "moderate": (10.0, 30.0),
    "low": (2.0, 9.999),
    "no_effect": None,
    "harmful": None,
}
BUILTIN_FILES: tuple[str, ...] = (
    "evidence/yef_toolkit.csv",
    "evidence/crime_reduction_toolkit.csv",
)
_ID = re.compile(r"^[a-z]+:[a-z0-9][a-z0-9-]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _validate_rows(rows: list[dict[str, str]], origin: str, *, local: bool) -> pd.DataFrame:
    """Check every row of an evidence file; raise naming file, line and column."""
    seen: set[str] = set()
    out = []
    for i, raw in enumerate(rows):
        line = i + 2  # header is line 1

        def fail(
            column: str, reason: str, value: object = None, hint: str | None = None, at: int = line
        ) -> None:
            raise DataValidationError(origin, reason, row=at, column=column, value=value, hint=hint)

        row = {c: (raw.get(c) or "").strip() for c in COLUMNS}
        for c in REQUIRED:
            if not row[c]:
                fail(c, "required value is empty")
        aid = row["approach_id"]
        if not _ID.match(aid):
            fail("approach_id", "must look like 'toolkit:name-in-kebab-case'", aid)
        if aid in seen:
            fail("approach_id", "listed twice", aid)
        seen.add(aid)
        tk = row["toolkit"]
        if tk not in TOOLKITS:
            fail("toolkit", f"unknown toolkit; use one of {', '.join(TOOLKITS)}", tk)
        if local and tk != "local":
            fail("toolkit", "a local entry must have toolkit = local", tk)
        if not aid.startswith(tk + ":"):
            fail("approach_id", f"must start with '{tk}:'", aid)
        band = row["impact_band"]
        if band and band not in IMPACT_BANDS:
            fail("impact_band", f"unknown band; use one of {', '.join(IMPACT_BANDS)}", band)
        pct = _number(row["impact_pct"], fail, "impact_pct", lo=-100.0, hi=100.0)
        if pct is not None and band:
            rng = IMPACT_BANDS[band]
            if rng is not None and not rng[0] <= pct <= rng[1]:
                fail(
                    "impact_pct",
                    f"{pct:g} % is outside the {band} band ({rng[0]:g}–{min(rng[1], 100):g} %)",
                )
        sec = _number(row["evidence_security"], fail, "evidence_security", lo=1, hi=5, whole=True)
        cost = _number(row["cost_rating"], fail, "cost_rating", lo=1, hi=5, whole=True)
        for c in ("checked", "source_date"):
            if row[c] and not _DATE.match(row[c]):
                fail(c, "must be a date YYYY-MM-DD", row[c])
        if not row["source_url"].startswith(("http://", "https://")) and not local:
            fail("source_url", "must be a web address", row["source_url"])
        out.append(
            {
                **row,
                "impact_pct": pct,
                "evidence_security": sec,
                "cost_rating": cost,
                "origin": origin,
            }
        )
    frame = pd.DataFrame(out, columns=[*COLUMNS, "origin"])
    for c in ("impact_pct",):
        frame[c] = frame[c].astype("Float64")
    for c in ("evidence_security", "cost_rating"):
        frame[c] = frame[c].astype("Int64")
    return frame


def _number(
    text: str, fail: object, column: str, *, lo: float, hi: float, whole: bool = False
) -> float | int | None:
    if not text:
        return None
    try:
        v = float(text)
    except ValueError:
        fail(column, "not a number", text)  # type: ignore[operator]
        raise AssertionError from None  # unreachable: fail raises
    if whole and v != int(v):
        fail(column, "must be a whole number", text)  # type: ignore[operator]
    if not lo <= v <= hi:
        fail(column, f"must be between {lo:g} and {hi:g}", text)  # type: ignore[operator]
    return int(v) if whole else v


def _read_csv_text(text: str, origin: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise DataValidationError(
            origin,
            f"column {missing[0]!r} is missing",
            row=1,
            hint=f"Evidence files have the columns: {', '.join(COLUMNS)}.",
        )
    extra = [c for c in header if c not in COLUMNS]
    if extra:
        raise DataValidationError(origin, f"unknown column {extra[0]!r}", row=1)
    return list(reader)


@cache
def _builtin() -> pd.DataFrame:
    frames = [
        _validate_rows(_read_csv_text(catalog_text(f), f"catalog/{f}"), f"catalog/{f}", local=False)
        for f in BUILTIN_FILES
    ]
    out = pd.concat(frames, ignore_index=True)
    dup = out["approach_id"][out["approach_id"].duplicated()]
    if not dup.empty:  # pragma: no cover - guarded by tests of the shipped data
        raise DataValidationError("catalog/evidence", "approach listed twice", value=dup.iloc[0])
    return out


def builtin_approaches() -> pd.DataFrame:
    """Every built-in approach (a copy): the columns of :data:`COLUMNS` plus ``origin``."""
    return _builtin().copy()


def load_local_entries(path: str | Path) -> pd.DataFrame:
    """Read and validate a user's evidence CSV (all-or-nothing).

    The file has the columns of :data:`COLUMNS`; every row has ``toolkit = local`` and an
    ``approach_id`` like ``local:my-programme-evaluation``. ``source_url`` may be a web address or
    a document reference (e.g. an internal report title).

    Raises
    ------
    SourceError-like DataValidationError
        Naming the file, line, column and reason for the first bad cell; nothing is returned.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"evidence file {p} does not exist")
    text = p.read_text(encoding="utf-8-sig")
    return _validate_rows(_read_csv_text(text, str(p)), str(p), local=True)


def merge_entries(
    local: pd.DataFrame, *, base: pd.DataFrame | None = None, replace: Iterable[str] = ()
) -> pd.DataFrame:
    """Built-in catalogue plus local entries.

    A local id that already exists is refused unless listed in ``replace`` (so a local
    re-rating is a stated decision, never silent). Inputs are not modified.
    """
    base = builtin_approaches() if base is None else base.copy()
    allowed = set(replace)
    clash = sorted(set(local["approach_id"]) & set(base["approach_id"]) - allowed)
    if clash:
        raise InputError(
            f"local evidence entry {clash[0]!r} already exists in the catalogue",
            hint="Use a new id, or pass it in `replace` to supersede the entry on purpose.",
        )
    kept = base[~base["approach_id"].isin(set(local["approach_id"]))]
    return pd.concat([kept, local], ignore_index=True)


def get_approach(approach_id: str, catalogue: pd.DataFrame | None = None) -> dict[str, object]:
    """One approach as a dict; InputError naming close ids when unknown."""
    cat = builtin_approaches() if catalogue is None else catalogue
    hit = cat[cat["approach_id"] == approach_id]
    if hit.empty:
        raise InputError(
            f"unknown evidence approach {approach_id!r}",
            hint="Known: " + ", ".join(cat["approach_id"].tolist()[:20]),
        )
    return {k: (None if pd.isna(v) else v) for k, v in hit.iloc[0].to_dict().items()}


def impact_label(row: dict[str, object]) -> str:
    """Human label of a YEF-style rating: ``"High (33 % less violence)"``, or 'not rated'."""
    band = row.get("impact_band") or ""
    if not band:
        return "not rated in this catalogue"
    label = str(band).replace("_", " ").capitalize()
    pct = row.get("impact_pct")
    return f"{label} ({pct:g} % less violence)" if pct is not None else label

"""Places to match free-text locations against (a gazetteer), and the matching.

A gazetteer is reference data a partnership keeps (place names with British National Grid
coordinates, optionally the area each lies in). A&E (ISTV) submissions describe where an assault
happened in free text, which can hold anything, names included; the ISTV adapter reduces that
text, in memory and before anything is written, to what the analysis needs: whether it names a
place at all (:func:`place_text_usable`) and its best gazetteer match with a confidence
(:func:`match_locations`). The text itself is never stored.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from vrkit.errors import InputError

#: free-text location values that say nothing about the place
UNUSABLE_TEXT = frozenset(
    {"", "unknown", "n/k", "nk", "not known", "?", "declined", "n/a", "na", "none", "unk", "-"}
)


def place_text_usable(text: str | None) -> bool:
    """Whether a free-text location says anything about the place: lower-cased and stripped,
    not one of :data:`UNUSABLE_TEXT`, and at least three letters."""
    if text is None:
        return False
    t = str(text).strip().lower()
    return t not in UNUSABLE_TEXT and len(re.findall(r"[a-z]", t)) >= 3


_ABBREV = {
    "st": "street",
    "rd": "road",
    "ln": "lane",
    "ave": "avenue",
    "av": "avenue",
    "sq": "square",
    "pk": "park",
    "stn": "station",
    "ph": "pub",
    "hs": "high street",
}
_STOP = frozenset(
    {
        "outside",
        "near",
        "nr",
        "in",
        "at",
        "the",
        "by",
        "on",
        "opp",
        "opposite",
        "fight",
        "of",
        "and",
        "a",
    }
)
_SECTOR_RE = re.compile(r"\b[a-z]{1,2}\d[a-z\d]?( \d)?\b")


def normalise_place(text: str) -> str:
    """Lower-case tokens with abbreviations expanded and filler words removed.

    ``"nr Walworth Rd, SE5 - fight"`` → ``"walworth road"``.
    """
    t = str(text).lower()
    t = _SECTOR_RE.sub(" ", t)
    t = re.sub(r"[^a-z0-9 ]+", " ", t)
    toks: list[str] = []
    for tok in t.split():
        tok = _ABBREV.get(tok, tok)
        toks.extend(w for w in tok.split() if w not in _STOP)
    return " ".join(toks)


@dataclass(frozen=True)
class Gazetteer:
    """Places to match free text against: ``name, easting, northing`` (+ optional columns).

    ``sha256`` identifies the gazetteer a match was made with (of the CSV's bytes, or of the
    frame's content).
    """

    places: pd.DataFrame
    sha256: str = ""

    @classmethod
    def from_csv(cls, path: str | Path) -> Gazetteer:
        """Read a gazetteer CSV; ``name, easting, northing`` required (BNG metres).

        Optional ``area_code`` (e.g. the LSOA the place lies in) is carried to matches.
        """
        p = Path(path)
        if not p.is_file():
            raise InputError(f"gazetteer {p} does not exist", hint="Set VRKIT_GAZETTEER to a CSV.")
        try:
            data = p.read_bytes()
            frame = pd.read_csv(p, dtype={"name": str, "area_code": str})
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise InputError(f"gazetteer {p} cannot be read as CSV: {exc}") from exc
        return cls.from_frame(frame, where=str(p), sha256=hashlib.sha256(data).hexdigest())

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, *, where: str = "gazetteer", sha256: str | None = None
    ) -> Gazetteer:
        """Validate a gazetteer frame."""
        need = {"name", "easting", "northing"}
        if need - set(frame.columns):
            raise InputError(
                f"{where}: columns name, easting, northing are required",
                hint=f"found: {', '.join(map(str, frame.columns))}",
            )
        f = frame.copy()
        for c in ("easting", "northing"):
            f[c] = pd.to_numeric(f[c], errors="coerce")
        bad = f["name"].isna() | f["easting"].isna() | f["northing"].isna()
        if bad.any():
            raise InputError(
                f"{where}: row {int(np.flatnonzero(bad.to_numpy())[0]) + 2} has no name or a "
                "non-numeric easting/northing"
            )
        f["key"] = f["name"].map(normalise_place)
        f["sorted"] = f["key"].map(lambda k: " ".join(sorted(k.split())))
        if sha256 is None:
            cols = [c for c in ("name", "easting", "northing", "area_code") if c in f.columns]
            content = f[cols].to_csv(index=False).encode()
            sha256 = hashlib.sha256(content).hexdigest()
        return cls(places=f.reset_index(drop=True), sha256=sha256)


def match_locations(
    descriptions: pd.Series, gazetteer: Gazetteer, *, threshold: float = 0.85
) -> pd.DataFrame:
    """Match free-text locations to gazetteer places, with a confidence in [0, 1].

    Method: both sides are normalised (:func:`normalise_place`: lower case, postcode sectors and
    punctuation dropped, ``st``/``rd``/``ln``/``ave`` … expanded, filler words such as
    "outside"/"nr" removed). An identical normalised name scores 1. Otherwise candidates are
    the places sharing at least one token with the text (a token index), and each scores the
    larger of :class:`difflib.SequenceMatcher` ratio on the token-sorted strings and on the
    strings as written (Ratcliff/Obershelp similarity; tolerant of a dropped letter); a
    candidate whose tokens are all contained in the text scores at least 0.9. The best candidate
    above ``threshold`` is the match. Unmatched texts are kept, with their best score.

    Returns
    -------
    DataFrame
        Indexed like ``descriptions``: ``matched`` (bool), ``place``, ``easting``, ``northing``,
        ``area_code`` (when the gazetteer has it), ``confidence``.

    References
    ----------
    Ratcliff, J. W. & Metzener, D. (1988), Pattern matching: the Gestalt approach, Dr Dobb's
    Journal (the algorithm of :mod:`difflib`); Christen, P. (2012), *Data Matching*, Springer,
    ch. 5 (token-based comparison of names and addresses).
    """
    g = gazetteer.places
    index: dict[str, set[int]] = defaultdict(set)
    for k, key in enumerate(g["key"]):
        for tok in key.split():
            index[tok].add(k)
    exact = {key: k for k, key in enumerate(g["key"])}
    keys, sorted_keys = list(g["key"]), list(g["sorted"])
    token_sets = [set(k.split()) for k in keys]
    cache: dict[str, tuple[int, float]] = {}

    def best(text: str) -> tuple[int, float]:
        key = normalise_place(text)
        if key in cache:
            return cache[key]
        if not key:
            cache[key] = (-1, 0.0)
        elif key in exact:
            cache[key] = (exact[key], 1.0)
        else:
            toks = key.split()
            cands = set().union(*(index.get(t, set()) for t in toks)) if toks else set()
            if not cands:  # typos in every token: compare with all places
                cands = set(range(len(g)))
            sorted_key = " ".join(sorted(toks))
            tok_set = set(toks)
            top, score = -1, 0.0
            for c in cands:
                pk = keys[c]
                s = 0.9 if token_sets[c] <= tok_set and len(token_sets[c]) >= 2 else 0.0
                for a, b in ((sorted_key, sorted_keys[c]), (key, pk)):
                    sm = difflib.SequenceMatcher(None, a, b)
                    if sm.real_quick_ratio() > max(s, score) and sm.quick_ratio() > max(s, score):
                        s = max(s, sm.ratio())
                if s > score:
                    top, score = c, s
            cache[key] = (top, score)
        return cache[key]

    hits = [best(t) if isinstance(t, str) else (-1, 0.0) for t in descriptions]
    idx = np.array([h[0] for h in hits], dtype=int)
    conf = np.array([h[1] for h in hits], dtype=float)
    matched = (idx >= 0) & (conf >= threshold)
    take = np.where(matched, idx, 0)
    out = pd.DataFrame(index=descriptions.index)
    out["matched"] = matched
    out["place"] = np.where(matched, g["name"].to_numpy()[take], None)
    out["easting"] = np.where(matched, g["easting"].to_numpy()[take], np.nan)
    out["northing"] = np.where(matched, g["northing"].to_numpy()[take], np.nan)
    if "area_code" in g.columns:
        out["area_code"] = np.where(matched, g["area_code"].to_numpy()[take], None)
    out["confidence"] = conf.round(3)
    return out

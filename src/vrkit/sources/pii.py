"""Detection of personal identifiers in health submissions, to report them (never their values).

Pattern matching cannot find every identifier — an untitled name is just words — so vrkit does
not rely on it to keep identifiers out of storage: the ISTV adapter stores no free text at all
(:mod:`vrkit.sources.istv`). This module tells a department *what kind* of identifier its file
held and where (column, header line), so it can stop sending them, and reduces a full postcode in
a postcode-sector column to its sector. Two complementary tests, run in memory:

- **by column name**: a header that names an identifier (NHS number, name, date of birth, postcode,
  phone, e-mail, address, hospital/patient number) — the whole column is dropped unread;
- **by value pattern**: cells that look like one — an NHS number (10 digits, optionally spaced,
  dotted or hyphenated 3-3-4, e.g. ``401.023.2137``; valid Modulus 11 check digit or not, to err
  on the safe side), an e-mail address, a UK phone number, a full UK postcode (reduced to its
  *sector*, e.g. ``SE5 9RS`` → ``SE5 9``, which is not an identifier and keeps the location
  useful), a date of birth flagged by ``DOB``/``born`` (``12/03/1985``, ``1985-03-12`` or
  ``12 March 1985``), a hospital or case number (``H1234567``, ``RJ1-000777``), or a name after a
  title (``Mr``, ``Mrs``, ``Ms``, ``Miss``, ``Dr``, ``Mx``) or ``name:``.

Nothing here returns or logs a detected value: callers get the kind of identifier and the cleaned
text only.

References
----------
- NHS Data Dictionary, *Information Sharing to Tackle Violence Minimum Data Set* (ISB 1594): "no
  personal identifiers"; NHS number format and Modulus 11 check digit (*NHS NUMBER* attribute).
- ICO, *Anonymisation: managing data protection risk code of practice* (2012): postcode sectors
  and districts as non-identifying geography.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

#: identifier kind → regex on a normalised column name (lower case, non-alphanumerics → ``_``)
NAME_PATTERNS: dict[str, re.Pattern[str]] = {
    "NHS number": re.compile(r"nhs_?(no|num|number)?$|^nhs_|nhsno|chi_?(no|number)"),
    "name": re.compile(
        r"(^|_)(name|names|forename|forenames|first_?name|surname|last_?name|given_?name|"
        r"family_?name|full_?name|patient_?name|initials|contact|submitted_?by|clinician)($|_)"
    ),
    "date of birth": re.compile(
        r"(^|_)(dob|d_o_b|birth|birth_?date|date_?of_?birth|age_?dob)($|_)"
    ),
    "postcode": re.compile(r"(^|_)(post_?code|postal_?code|zip|home_?postcode)($|_)"),
    "phone": re.compile(
        r"(^|_)(phone|telephone|tel|mobile|tel_?no|phone_?no|contact_?number)($|_)"
    ),
    "email": re.compile(r"(^|_)(e_?mail|email_?address)($|_)"),
    "address": re.compile(r"(^|_)(address|home_?address|address_?line\d*|street_?address)($|_)"),
    "hospital number": re.compile(
        r"(^|_)(mrn|hospital_?(no|num|number)|patient_?(id|no|number)|case_?(no|number))($|_)"
    ),
}

#: column names that look like identifiers but are allowed (coarse, non-identifying)
ALLOWED_NAMES = frozenset({"postcode_sector", "postcode_district", "department", "department_name"})

_POSTCODE = re.compile(r"(?i:\b([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9])[ABD-HJLNP-UW-Z]{2}\b)")
_VALUE_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "NHS number": re.compile(r"(?<![\d.])\d{3}[ .-]?\d{3}[ .-]?\d{4}(?![\d])"),
    "phone": re.compile(
        r"(?<![\w])(?:\+44\s?\(?0?\)?\s?|0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}(?![\d])"
    ),
    "date of birth": re.compile(
        r"(?i:\b(?:dob|d\.o\.b\.?|date of birth|born(?: on)?)\b[\s:=-]*"
        r"(?:\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}"
        r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
        r",?\s+\d{2,4}))"
    ),
    # a hospital (MRN) or case number: a letter, up to two more letters or digits, an optional
    # hyphen, then six to eight digits (H1234567, RJ1-000777)
    "hospital number": re.compile(r"\b[A-Z][A-Z0-9]{0,2}-?\d{6,8}\b"),
    # titles are case-sensitive so that "dr" (drive) or "ms" in lower case do not match
    "name": re.compile(
        r"\b(?:(?:Mr|Mrs|Ms|Miss|Dr|Mx)\.?\s+[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?"
        r"|(?i:name)\s*[:=]\s*\S+(?:\s+[A-Z][a-z'-]+)?)"
    ),
}
#: one combined pattern for a fast first pass over a whole line
_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in [*_VALUE_PATTERNS.values(), _POSTCODE]))


def normalise_name(name: str) -> str:
    """``'NHS Number '`` → ``'nhs_number'``."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def identifier_kind_of_name(name: str) -> str | None:
    """The kind of identifier a column name announces, or None."""
    n = normalise_name(name)
    if n in ALLOWED_NAMES:
        return None
    for kind, pat in NAME_PATTERNS.items():
        if pat.search(n):
            return kind
    return None


#: every identifier pattern needs a digit, an "@", a title or one of these words
_PREFILTER = re.compile(r"[\d@]|M[rsx]\b|Mrs|Miss|Dr\b|(?i:name|dob|d\.o\.b|born|birth)")


def may_contain(text: str) -> bool:
    """Cheap first pass: could ``text`` hold any identifier (or a full postcode)?"""
    return _PREFILTER.search(text) is not None and _ANY.search(text) is not None


def identifier_kinds(text: str) -> list[str]:
    """Kinds of identifier found in ``text`` (full postcodes included), without the values."""
    kinds = [k for k, p in _VALUE_PATTERNS.items() if p.search(text)]
    if _POSTCODE.search(text):
        kinds.append("full postcode")
    return kinds


def scrub(text: str) -> tuple[str, Counter[str]]:
    """Remove identifiers from free text; full postcodes become their sector.

    Returns the cleaned text and a count of removals by kind (never the removed values).
    """
    found: Counter[str] = Counter()
    out = text
    for kind, pat in _VALUE_PATTERNS.items():
        out, n = pat.subn(f"[{kind} removed]", out)
        if n:
            found[kind] += n
    out, n = _POSTCODE.subn(lambda m: f"{m.group(1).upper()} {m.group(2)}", out)
    if n:
        found["full postcode → sector"] += n
    return out, found


def column_looks_identifying(values: Iterable[str], *, share: float = 0.2) -> str | None:
    """The identifier kind most cells of a column match (at least ``share`` of non-blank cells)."""
    counts: Counter[str] = Counter()
    n = 0
    for v in values:
        v = v.strip()
        if not v:
            continue
        n += 1
        for k in identifier_kinds(v):
            counts[k] += 1
    if not n or not counts:
        return None
    kind, hits = counts.most_common(1)[0]
    return kind if hits / n >= share else None


def nhs_number_is_valid(digits: str) -> bool:
    """Modulus 11 check of a 10-digit NHS number (NHS Data Dictionary, *NHS NUMBER*)."""
    d = re.sub(r"\D", "", digits)
    if len(d) != 10:
        return False
    total = sum(int(c) * w for c, w in zip(d[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(d[9])

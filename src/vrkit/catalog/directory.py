"""The diversion directory's taxonomies (needs and referral routes), as Open Referral UK
taxonomies with stable UUIDs (``directory_taxonomy.toml``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache

from vrkit.catalog import load_toml
from vrkit.errors import InputError

#: namespace of every id vrkit derives for directory records (uuid5)
NAMESPACE = uuid.UUID("6f1c8c0e-3f0a-5b8e-9a53-7d1f6a2b9c41")
#: the taxonomy URI prefix: these taxonomies are vrkit's own, not an external standard
URI = "https://vrkit.invalid/taxonomy/"


def stable_id(*parts: str) -> str:
    """A UUID derived from ``parts`` (the same on every installation)."""
    return str(uuid.uuid5(NAMESPACE, ":".join(("vrkit", "directory", *parts))))


@dataclass(frozen=True)
class Term:
    id: str
    code: str
    name: str
    description: str
    taxonomy_id: str
    taxonomy_code: str

    @property
    def uri(self) -> str:
        return f"{URI}{self.taxonomy_code}/{self.code}"


@dataclass(frozen=True)
class Taxonomy:
    id: str
    code: str
    name: str
    description: str
    version: str
    link_type: str
    terms: tuple[Term, ...]

    @property
    def uri(self) -> str:
        return f"{URI}{self.code}"


@cache
def taxonomies() -> tuple[Taxonomy, ...]:
    out = []
    for t in load_toml("directory_taxonomy.toml")["taxonomy"]:
        tid = stable_id(t["code"])
        terms = tuple(
            Term(
                stable_id(t["code"], x["code"]),
                x["code"],
                x["name"],
                x["description"],
                tid,
                t["code"],
            )
            for x in t["term"]
        )
        out.append(
            Taxonomy(
                tid,
                t["code"],
                t["name"],
                t["description"],
                str(t["version"]),
                t["link_type"],
                terms,
            )
        )
    return tuple(out)


def taxonomy(code: str) -> Taxonomy:
    for t in taxonomies():
        if t.code == code:
            return t
    raise InputError(f"unknown taxonomy {code!r}", hint="Known: need, referral-route.")


def term(taxonomy_code: str, code_or_id: str) -> Term:
    """A term by its code (``mentoring``), id or name (case-insensitive)."""
    key = code_or_id.strip().lower()
    for x in taxonomy(taxonomy_code).terms:
        if key in (x.code, x.id, x.name.lower()):
            return x
    known = ", ".join(x.code for x in taxonomy(taxonomy_code).terms)
    raise InputError(f"unknown {taxonomy_code} term {code_or_id!r}", hint=f"Known: {known}.")


def term_by_id(term_id: str) -> Term | None:
    for t in taxonomies():
        for x in t.terms:
            if x.id == term_id:
                return x
    return None

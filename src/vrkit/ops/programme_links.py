"""Links to the programme register (issue #15) by its stable key, the programme ``ref``.

Directory services, plan actions and needs-assessment items name the programmes they belong to
by ``ref`` (e.g. ``LVRU-002``). This module is the one place that reads the register for them:
names and pages of linked programmes, and finding programmes by the names a source states. It
reads the register's ``programme`` table when the register is installed; without it, links are
kept and shown by their ref alone (said so on the pages), and nothing else changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ProgrammeInfo:
    ref: str
    name: str
    url: str


def register_installed(s: Session) -> bool:
    return bool(inspect(s.connection()).has_table("programme"))


def programmes(s: Session) -> dict[str, ProgrammeInfo]:
    """ref → programme, from the register (empty when it is not installed)."""
    if not register_installed(s):
        return {}
    rows = s.execute(text("SELECT ref, name FROM programme ORDER BY ref")).all()
    return {str(r): ProgrammeInfo(str(r), str(n), f"/programmes/{r}") for r, n in rows}


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower().replace("'", "")).strip()


def find_by_names(s: Session, names: list[str]) -> dict[str, str]:
    """Stated name → ref for the names that match a programme of the register exactly (after
    case and punctuation are ignored) or by the name before a parenthesis ("DIVERT" matches
    "DIVERT"; "Rise Up" matches "Youth Practitioners' Leadership Programme (Rise Up)")."""
    found: dict[str, str] = {}
    progs = programmes(s)
    if not progs:
        return found
    index: dict[str, str] = {}
    for p in progs.values():
        n = _norm(p.name)
        index.setdefault(n, p.ref)
        base, _, inner = p.name.partition("(")
        if inner:
            index.setdefault(_norm(base), p.ref)
            index.setdefault(_norm(inner.rstrip(")")), p.ref)
    for name in names:
        ref = index.get(_norm(name))
        if ref:
            found[name] = ref
    return found

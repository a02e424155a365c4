"""The local violence reduction action plan template, as data (``action_plan_template.toml``):
sections, fields (type, required, public, guidance), themes and action statuses."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from vrkit.catalog import load_toml
from vrkit.errors import InputError

FIELD_TYPES = ("text", "longtext", "date", "number", "choice")
SECTION_KINDS = ("profile", "narrative", "priorities", "actions")


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    type: str
    required: bool
    public: bool
    guidance: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    kind: str
    guidance: str
    fields: tuple[Field, ...]
    min_items: int = 0


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    version: int
    provenance: str
    sections: tuple[Section, ...]
    themes: tuple[tuple[str, str], ...]
    action_statuses: tuple[tuple[str, str], ...]

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise InputError(f"the template has no section {section_id!r}")

    def theme_label(self, code: str) -> str:
        return dict(self.themes).get(code, code)

    def status_label(self, code: str) -> str:
        return dict(self.action_statuses).get(code, code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "provenance": self.provenance,
            "themes": [{"code": c, "label": lab} for c, lab in self.themes],
            "action_statuses": [{"code": c, "label": lab} for c, lab in self.action_statuses],
            "sections": [
                {
                    "id": s.id,
                    "title": s.title,
                    "kind": s.kind,
                    "guidance": s.guidance,
                    "min_items": s.min_items,
                    "fields": [f.__dict__ | {"choices": list(f.choices)} for f in s.fields],
                }
                for s in self.sections
            ],
        }


def _parse(raw: dict[str, Any]) -> Template:
    sections = []
    for i, s in enumerate(raw["section"]):
        if s.get("kind") not in SECTION_KINDS:
            raise InputError(f"action plan template: section[{i}].kind {s.get('kind')!r}")
        fields = []
        for j, f in enumerate(s.get("field", [])):
            if f.get("type") not in FIELD_TYPES:
                raise InputError(f"action plan template: section[{i}].field[{j}].type")
            fields.append(
                Field(
                    f["id"],
                    f["label"],
                    f["type"],
                    bool(f.get("required", False)),
                    bool(f.get("public", True)),
                    f.get("guidance", ""),
                    tuple(f.get("choices", ())),
                )
            )
        sections.append(
            Section(
                s["id"],
                s["title"],
                s["kind"],
                s.get("guidance", ""),
                tuple(fields),
                int(s.get("min_items", 0)),
            )
        )
    return Template(
        raw["id"],
        raw["name"],
        int(raw["version"]),
        raw.get("provenance", ""),
        tuple(sections),
        tuple((t["code"], t["label"]) for t in raw["themes"]),
        tuple((t["code"], t["label"]) for t in raw["action_statuses"]),
    )


@cache
def template() -> Template:
    """The shipped template (cached)."""
    return _parse(load_toml("action_plan_template.toml"))

"""Read a programme's value-for-money input file (TOML) into :class:`vrkit.analysis.vfm.VfmInputs`.

The format (documented in ``docs/vfm.md``; a worked example ships as
``catalog/examples/vfm_stepping_stones_illustrative.toml``)::

    [programme]
    id = "my-programme"
    name = "My programme"
    programme_ref = "LVRU-004"      # optional: the programme register's reference; links the
                                    # results to that programme's page (docs/evaluation.md)
    label = "ILLUSTRATIVE"          # optional; shown on every output when set
    notes = "..."                   # optional
    price_base = "2017/18"          # real prices of every amount below
    discount_rate = 0.035           # Green Book STPR (default 0.035)
    horizon_years = 10              # appraisal period (default 10)
    cost_optimism_bias = 0.0        # uplift on costs (default 0)

    [optimism_bias]                 # confidence grade -> correction on benefits, in [0, 1)
    1 = 0.0
    2 = 0.1

    [[cost]]
    name = "Delivery"
    year = 0                        # 0 = first year of the appraisal
    amount = 100000

    [[benefit]]
    name = "Avoided exclusions"
    value_type = "fiscal"           # fiscal | economic | social
    agency = "Local authority"      # who gains (fiscal)
    beneficiaries = 20
    unit_value = 1200               # £ per beneficiary per year (price base)
    start_year = 0
    duration_years = 3
    decay = 0.1                     # share of the effect lost each later year
    deadweight = 0.3
    displacement = 0.0
    attribution = 0.8
    confidence_grade = 3
    source = "Unit Cost Database row …"

Every key is checked; an unknown key, a missing value or a fraction outside [0, 1] is refused
with the file and the key named, and nothing is returned.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from vrkit.analysis.vfm import BenefitLine, CostLine, VfmInputs, validate_inputs
from vrkit.errors import DataValidationError, InputError

_PROGRAMME = {
    "id",
    "programme_ref",
    "name",
    "label",
    "notes",
    "price_base",
    "discount_rate",
    "horizon_years",
    "cost_optimism_bias",
}
_COST = {"name", "year", "amount"}
_BENEFIT = {
    "name",
    "value_type",
    "agency",
    "beneficiaries",
    "unit_value",
    "start_year",
    "duration_years",
    "decay",
    "deadweight",
    "displacement",
    "attribution",
    "confidence_grade",
    "source",
}


def parse_vfm_inputs(data: dict[str, Any], origin: str = "<vfm inputs>") -> VfmInputs:
    """Validate a parsed TOML mapping (see the module docstring)."""

    def fail(key: str, reason: str, value: object = None) -> DataValidationError:
        return DataValidationError(origin, reason, column=key, value=value)

    unknown = set(data) - {"programme", "optimism_bias", "cost", "benefit"}
    if unknown:
        raise fail(sorted(unknown)[0], "unknown top-level table")
    prog = data.get("programme")
    if not isinstance(prog, dict):
        raise fail("programme", "a [programme] table is required")
    bad = set(prog) - _PROGRAMME
    if bad:
        raise fail(f"programme.{sorted(bad)[0]}", "unknown key")
    for k in ("id", "name", "price_base"):
        if not isinstance(prog.get(k), str) or not prog[k].strip():
            raise fail(f"programme.{k}", "required text is missing")

    def num(table: dict[str, Any], key: str, where: str, default: Any = None) -> float:
        v = table.get(key, default)
        if v is None:
            raise fail(f"{where}.{key}", "required number is missing")
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise fail(f"{where}.{key}", "must be a number", v)
        return float(v)

    def whole(table: dict[str, Any], key: str, where: str, default: Any = None) -> int:
        v = table.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int):
            raise fail(f"{where}.{key}", "must be a whole number", v)
        return int(v)

    ob_raw = data.get("optimism_bias")
    if not isinstance(ob_raw, dict) or not ob_raw:
        raise fail("optimism_bias", "an [optimism_bias] table (grade = fraction) is required")
    ob: dict[int, float] = {}
    for g in ob_raw:
        try:
            grade = int(g)
        except ValueError:
            raise fail(f"optimism_bias.{g}", "grade must be a whole number") from None
        ob[grade] = num(ob_raw, g, "optimism_bias")
    costs = []
    for i, c in enumerate(data.get("cost", [])):
        where = f"cost[{i}]"
        if not isinstance(c, dict):
            raise fail(where, "must be a table")
        if set(c) - _COST:
            raise fail(f"{where}.{sorted(set(c) - _COST)[0]}", "unknown key")
        costs.append(
            CostLine(
                name=str(c.get("name") or f"cost {i + 1}"),
                year=whole(c, "year", where),
                amount=num(c, "amount", where),
            )
        )
    benefits = []
    for i, b in enumerate(data.get("benefit", [])):
        where = f"benefit[{i}]"
        if not isinstance(b, dict):
            raise fail(where, "must be a table")
        if set(b) - _BENEFIT:
            raise fail(f"{where}.{sorted(set(b) - _BENEFIT)[0]}", "unknown key")
        if not isinstance(b.get("name"), str) or not isinstance(b.get("value_type"), str):
            raise fail(where, "name and value_type are required")
        benefits.append(
            BenefitLine(
                name=b["name"],
                value_type=b["value_type"],
                beneficiaries=num(b, "beneficiaries", where),
                unit_value=num(b, "unit_value", where),
                start_year=whole(b, "start_year", where, 0),
                duration_years=whole(b, "duration_years", where, 1),
                decay=num(b, "decay", where, 0.0),
                deadweight=num(b, "deadweight", where, 0.0),
                displacement=num(b, "displacement", where, 0.0),
                attribution=num(b, "attribution", where, 1.0),
                confidence_grade=whole(b, "confidence_grade", where, 1),
                agency=str(b.get("agency", "")),
                source=str(b.get("source", "")),
            )
        )
    inp = VfmInputs(
        programme_id=prog["id"].strip(),
        name=prog["name"].strip(),
        price_base=prog["price_base"].strip(),
        costs=tuple(costs),
        benefits=tuple(benefits),
        optimism_bias=ob,
        discount_rate=num(prog, "discount_rate", "programme", 0.035),
        horizon_years=whole(prog, "horizon_years", "programme", 10),
        cost_optimism_bias=num(prog, "cost_optimism_bias", "programme", 0.0),
        label=str(prog.get("label", "")),
        programme_ref=str(prog.get("programme_ref", "")).strip(),
        notes=str(prog.get("notes", "")).strip(),
        origin=origin,
    )
    try:
        validate_inputs(inp)
    except InputError as exc:
        raise DataValidationError(origin, exc.message, hint=exc.hint) from None
    return inp


def read_vfm_inputs(path: str | Path) -> VfmInputs:
    """Read and validate a VfM input TOML file."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"value-for-money input file {p} does not exist")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DataValidationError(p, f"not valid TOML: {exc}") from exc
    return parse_vfm_inputs(data, str(p))

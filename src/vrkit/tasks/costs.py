"""Task: the cost of violence for London, a borough or a ward (``vrkit cost-of-violence``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vrkit.analysis.cost_of_violence import (
    CostOfViolenceResult,
    explain_against_published,
)
from vrkit.analysis.cost_of_violence import (
    cost_of_violence as _cost,
)
from vrkit.catalog.areas import resolve_borough
from vrkit.catalog.unit_costs import gdp_deflator, offence_map, unit_costs
from vrkit.errors import InputError
from vrkit.store import evaluation_queries as q
from vrkit.store.warehouse import Warehouse

#: The London VRU's published figure (March 2021 report to the Home Office; see
#: shared/data/london_vru_2020_21/snapshot_2020_21.csv): "financial cost of violence to London £3bn"
#: for 2019. The report does not give its method or price year.
LONDON_VRU_2019_GBP = 3.0e9
LONDON_VRU_2019_WHAT = (
    "The London VRU's published cost of violence to London in 2019 (report to the Home Office, "
    "March 2021; method and price year not stated)"
)


def _resolve(wh: Warehouse, area: str) -> tuple[str, str, str]:
    """(level, code, name) for ``London``, a borough name/code or a ward code."""
    a = area.strip()
    if a.lower() == "london":
        return "london", "E12000007", "London"
    hit = resolve_borough(a)
    if hit is not None and hit[2] == "lad":
        return "borough", hit[0], hit[1]
    rows = q.area_lookup(wh, a)
    rows = rows[rows["area_type"].astype(str).str.startswith("ward")]
    if not rows.empty:
        return "ward", str(rows["area_code"].iloc[0]), str(rows["area_name"].iloc[0])
    raise InputError(
        f"unknown area {area!r}",
        hint="Use London, a borough name or code (Lambeth, E09000022) or a ward code (E05…).",
    )


def cost_of_violence(
    wh: Warehouse,
    year: int,
    area: str = "London",
    price_year: str | int | None = None,
    *,
    unit_cost_file: str | Path | None = None,
    deflator_file: str | Path | None = None,
) -> CostOfViolenceResult:
    """Cost of recorded violence in ``area`` in calendar ``year``, in ``price_year`` prices.

    Counts come from the MPS monthly files (borough file for London and boroughs; ward file for
    wards, or the derived ward-annual file for years the monthly ward file does not cover, with
    excluded cells stated). A year with fewer than 12 months loaded is refused. The explanation
    against the VRU's published £3bn is in ``result.params["explanation"]`` for London 2019.

    Parameters
    ----------
    wh : Warehouse
    year : int
    area : str
        ``London``, a borough (name or GSS code) or a ward code.
    price_year : int or str, optional
        Calendar year (``2019``) or financial year (``"2019/20"``); default ``year``.
    unit_cost_file, deflator_file : path, optional
        Replace the shipped unit costs / GDP deflator (same columns; see ``catalog/costs``).
    """
    if not isinstance(year, int) or isinstance(year, bool):
        raise InputError(f"year must be a whole year such as 2019 (got {year!r})")
    level, code, name = _resolve(wh, area)
    warnings: list[str] = []
    if level in ("london", "borough"):
        kind = "mps_borough_monthly"
        months = q.months_in_year(wh, kind, year)
        if months < 12:
            raise InputError(
                f"the MPS borough file covers {months} of the 12 months of {year}",
                hint="Load a release covering the whole year (vrkit ingest) or choose another year.",
            )
        totals = q.category_totals(wh, kind, year, area_codes=None if level == "london" else [code])
        if level == "london":
            warnings.append(
                "London = every row of the MPS borough file, including the airports and "
                "'Unknown' pseudo-areas, so it equals the file's London total."
            )
    else:
        kind = "mps_ward_monthly"
        if q.months_in_year(wh, kind, year) == 12:
            totals = q.category_totals(wh, kind, year, area_codes=[code])
        else:
            kind = "mps_ward_annual_derived"
            totals = q.annual_category_totals(wh, kind, year, area_codes=[code])
            if totals.empty:
                raise InputError(
                    f"no ward counts for {year}: neither the monthly ward file nor the derived "
                    "annual ward file covers it",
                    hint="Load the MPS ward files (vrkit ingest --all).",
                )
            bad = totals[totals["excluded_cells"] > 0]
            for r in bad.itertuples(index=False):
                warnings.append(
                    f"{r.offence_minor}: {r.excluded_cells} cell(s) excluded in the derived ward "
                    f"file ({r.exclusion_reason}); that category is undercounted."
                )
            warnings.append(
                f"{year} ward counts come from the DERIVED ward-annual file (annual sums made by a "
                "third party from the MPS ward file), not an MPS release."
            )
    if totals.empty:
        raise InputError(f"no {kind} counts for {name} in {year}", hint="Run vrkit ingest first.")
    counts = totals.rename(columns={"count": "offences"})
    counts["offences"] = counts["offences"].fillna(0).astype("int64")
    costs = unit_costs(unit_cost_file)
    defl = gdp_deflator(deflator_file)
    py = str(price_year) if price_year is not None else str(year)
    basis = str(costs["price_basis"].iloc[0])
    if (costs["price_basis"] != basis).any():
        raise InputError("the unit-cost table mixes price bases; give one price basis per file")
    factor, how = defl.factor(basis, py)
    result = _cost(
        counts[["offence_major", "offence_minor", "offences"]],
        costs,
        offence_map(),
        taxonomy="mps",
        deflator_factor=factor,
        price_year=py,
        price_basis=basis,
        area=name,
        period=str(year),
        deflator_note=f"{how}; {defl.source}, vintage {defl.vintage}",
        warnings=warnings,
    )
    ids = sorted({int(i) for lst in totals["dataset_ids"] for i in lst})
    result.params.update(
        {
            "area_code": code,
            "level": level,
            "source_kind": kind,
            "dataset_ids": ids,
            "unit_costs": str(costs["origin"].iloc[0]),
            "deflator": f"{defl.source} (vintage {defl.vintage}; {defl.origin})",
        }
    )
    if level == "london" and year == 2019:
        result.params["explanation"] = explain_against_published(
            result, LONDON_VRU_2019_GBP, LONDON_VRU_2019_WHAT
        )
    return result


def counts_frame(result: CostOfViolenceResult) -> pd.DataFrame:
    """The source categories and counts a cost-of-violence result used (for reports)."""
    return result.counts_used.copy()

"""Named queries for the evaluation tasks (cost of violence, impact estimates)."""

from __future__ import annotations

import pandas as pd

from vrkit.store.warehouse import Warehouse


def category_totals(
    wh: Warehouse, source_kind: str, year: int, *, area_codes: list[str] | None = None
) -> pd.DataFrame:
    """Calendar-year totals per offence category from a monthly aggregate source.

    Parameters
    ----------
    area_codes : list of str, optional
        Areas to sum (a borough's code, a ward's code); ``None`` sums every row (London:
        pseudo-areas such as the airports and "Unknown" included, so the total equals the file's).

    Returns
    -------
    DataFrame
        ``offence_major, offence_minor, months, count, dataset_ids`` where ``months`` is the
        number of distinct months of ``year`` with rows and ``dataset_ids`` a list.
    """
    where = ["source_kind = $kind", "year(month) = $year"]
    params: dict[str, object] = {"kind": source_kind, "year": int(year)}
    if area_codes is not None:
        where.append("area_code IN (SELECT unnest($codes))")
        params["codes"] = list(area_codes)
    return wh.query(
        f"""SELECT offence_major, offence_minor, count(DISTINCT month) AS months,
                   sum("count")::BIGINT AS "count", list(DISTINCT dataset_id) AS dataset_ids
            FROM crime_count WHERE {" AND ".join(where)}
            GROUP BY 1, 2 ORDER BY 1, 2""",
        params,
    )


def months_in_year(wh: Warehouse, source_kind: str, year: int) -> int:
    """Distinct months of ``year`` present for a monthly source (all areas)."""
    row = wh.con.execute(
        "SELECT count(DISTINCT month) FROM crime_count WHERE source_kind = ? AND year(month) = ?",
        [source_kind, int(year)],
    ).fetchone()
    return int(row[0]) if row else 0


def annual_category_totals(
    wh: Warehouse, source_kind: str, year: int, *, area_codes: list[str]
) -> pd.DataFrame:
    """Annual totals per offence category from a derived annual source, with exclusions.

    Returns ``offence_major, offence_minor, count, excluded_cells, exclusion_reason,
    dataset_ids``; ``count`` sums only the cells not excluded (known faults, NA) and
    ``excluded_cells`` says how many were left out, so the caller can state it.
    """
    return wh.query(
        """SELECT offence_major, offence_minor,
                  sum("count") FILTER (WHERE NOT excluded)::BIGINT AS "count",
                  count(*) FILTER (WHERE excluded) AS excluded_cells,
                  string_agg(DISTINCT exclusion_reason, '; ') AS exclusion_reason,
                  list(DISTINCT dataset_id) AS dataset_ids
           FROM crime_count_annual
           WHERE source_kind = $kind AND year = $year AND area_code IN (SELECT unnest($codes))
           GROUP BY 1, 2 ORDER BY 1, 2""",
        {"kind": source_kind, "year": int(year), "codes": list(area_codes)},
    )


def area_lookup(wh: Warehouse, code: str) -> pd.DataFrame:
    """``area_code, area_name, area_type, parent_code`` rows matching a code or a name."""
    return wh.query(
        """SELECT area_code, area_name, area_type, parent_code FROM area
           WHERE area_code = $c OR lower(area_name) = lower($c) ORDER BY area_type""",
        {"c": code},
    )


def monthly_panel(wh: Warehouse, source_kind: str, condition_sql: str) -> pd.DataFrame:
    """Monthly counts per area for a measure (``condition_sql`` from the measure catalogue).

    Returns ``area_code, area_type, month, count`` over the current releases, pseudo-areas
    included (callers drop them).
    """
    return wh.query(
        f"""SELECT area_code, area_type, month, sum("count")::BIGINT AS "count"
            FROM crime_count WHERE source_kind = $kind AND {condition_sql}
            GROUP BY ALL ORDER BY area_code, month""",
        {"kind": source_kind},
    )

"""Named queries: the only place analysis inputs are read from the warehouse.

Each returns a pandas frame that the pure functions in :mod:`vrkit.analysis` take.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from vrkit.analysis.measures import get_measure, taxonomy_of
from vrkit.store.warehouse import Warehouse


def measure_counts(
    wh: Warehouse,
    measure_id: str,
    *,
    source_kind: str = "mps_borough_monthly",
    start: date | None = None,
    end: date | None = None,
) -> pd.DataFrame:
    """Monthly counts of a headline measure per area from the current releases.

    Returns
    -------
    DataFrame
        ``area_code, area_type, scope_code, month, count, dataset_id`` (one row per area,
        month and source dataset), including pseudo-areas, so London totals equal the sum
        of every row of the source release.
    """
    measure = get_measure(measure_id)
    cond = measure.sql_condition(taxonomy_of(source_kind))
    where = ["source_kind = $kind", cond]
    params: dict[str, object] = {"kind": source_kind}
    if start:
        where.append("month >= $start")
        params["start"] = start
    if end:
        where.append("month <= $end")
        params["end"] = end
    return wh.query(
        f"""SELECT area_code, area_type, scope_code, month, sum("count")::BIGINT AS "count",
                   dataset_id
            FROM crime_count WHERE {" AND ".join(where)}
            GROUP BY ALL ORDER BY area_code, month""",
        params,
    )


def record_monthly(
    wh: Warehouse,
    crime_type: str,
    *,
    lsoa_code: str | None = None,
    lad_code: str | None = None,
    link_type: str = "lsoa11_lad",
    start: date | None = None,
    end: date | None = None,
) -> pd.DataFrame:
    """Monthly counts of one data.police.uk crime type for an LSOA or a local authority.

    For one LSOA the only WHERE condition is the LSOA code, so DuckDB answers from the ART
    index on ``crime_record.lsoa_code``; the crime type and period are applied as aggregate
    filters. A local authority sums its LSOAs (``area_link`` of ``link_type``); because rows
    are stored sorted by LSOA within each load (``CLUSTER_KEYS``), DuckDB reads only the row
    groups whose LSOA range overlaps the borough's.

    Returns
    -------
    DataFrame
        ``month, count`` for every month with at least one record of that area (months with
        no record at all are absent: missing, not zero; complete them with
        :func:`vrkit.analysis.trends.monthly_series`).
    """
    if (lsoa_code is None) == (lad_code is None):
        raise ValueError("give exactly one of lsoa_code and lad_code")
    lo = start or date(1900, 1, 1)
    hi = end or date(2999, 12, 1)
    agg = 'count(*) FILTER (WHERE crime_type = $t AND month BETWEEN $lo AND $hi) AS "count"'
    if lsoa_code is not None:
        sql = f"""SELECT month, {agg} FROM crime_record WHERE lsoa_code = $code
                  GROUP BY month HAVING month BETWEEN $lo AND $hi ORDER BY month"""
        return wh.query(sql, {"code": lsoa_code, "t": crime_type, "lo": lo, "hi": hi})
    # rows are stored sorted by LSOA within each load (CLUSTER_KEYS) and a borough's LSOA
    # codes are a narrow range, so DuckDB's join filter skips most row groups by min/max
    sql = f"""SELECT month, {agg} FROM crime_record
              WHERE lsoa_code IN (SELECT child_code FROM area_link
                                  WHERE parent_code = $code AND link_type = $lt)
              GROUP BY month HAVING month BETWEEN $lo AND $hi ORDER BY month"""
    return wh.query(sql, {"code": lad_code, "lt": link_type, "t": crime_type, "lo": lo, "hi": hi})


def months_available(wh: Warehouse, source_kind: str) -> pd.DataFrame:
    """Months present for a source kind, with the dataset each comes from."""
    return wh.query(
        """SELECT month, count(DISTINCT scope_code) AS scopes, any_value(dataset_id) AS dataset_id
           FROM crime_count WHERE source_kind = ? GROUP BY month ORDER BY month""",
        [source_kind],
    )


def annual_counts(
    wh: Warehouse, measure_id: str, *, source_kind: str = "mps_ward_annual_derived"
) -> pd.DataFrame:
    """Annual counts of a measure per area from a derived annual source.

    Cells flagged ``excluded`` (known faults, NA) are returned with ``count`` NaN and their
    reason, never as if true.
    """
    measure = get_measure(measure_id)
    cond = measure.sql_condition(taxonomy_of(source_kind))
    return wh.query(
        f"""SELECT area_code, area_type, year,
                   CASE WHEN bool_or(excluded) THEN NULL ELSE sum("count") END AS "count",
                   string_agg(DISTINCT exclusion_reason, '; ') AS exclusion_reason,
                   any_value(dataset_id) AS dataset_id
            FROM crime_count_annual WHERE source_kind = ? AND {cond}
            GROUP BY area_code, area_type, year ORDER BY area_code, year""",
        [source_kind],
    )


def annual_major_counts(
    wh: Warehouse, majors: list[str], *, source_kind: str = "mps_lsoa_annual_derived"
) -> pd.DataFrame:
    """Annual counts of whole offence groups (major categories) per area.

    The LSOA annual files carry major categories only: this is the finest count of the group a
    minor-category measure (e.g. violence with injury) belongs to. Excluded cells are NaN.
    Returns ``area_code, year, count``.
    """
    if not majors:
        return pd.DataFrame(columns=["area_code", "year", "count"])
    marks = ", ".join("?" for _ in majors)
    return wh.query(
        f"""SELECT area_code, year,
                   CASE WHEN bool_or(excluded) THEN NULL ELSE sum("count") END AS "count"
            FROM crime_count_annual
            WHERE source_kind = ? AND upper(trim(offence_major)) IN ({marks})
            GROUP BY area_code, year ORDER BY area_code, year""",
        [source_kind, *[m.upper() for m in majors]],
    )


def best_fit_links(wh: Warehouse, link_type: str) -> pd.DataFrame:
    """``child_code, parent_code, weight`` of one link type (empty if not derived)."""
    return wh.query(
        "SELECT child_code, parent_code, weight FROM area_link WHERE link_type = ? ORDER BY 1",
        [link_type],
    )


def population(
    wh: Warehouse, *, year: int, level: str = "lad", ward_type: str = "ward18"
) -> pd.DataFrame:
    """Resident population (all ages, mid-year) of each area at ``level``.

    LSOA (2011) mid-year estimates are summed to boroughs through the LSOA→LAD links
    (``level="lad"``), or to wards of one boundary vintage (``ward_type``) through the
    best-fit LSOA→ward links (``level="ward"``). Returns ``area_code, population, lsoas``;
    empty if not loaded.
    """
    base = """SELECT area_code AS lsoa, value FROM indicator_value
              WHERE indicator_id = 'population_all_ages' AND year(period_start) = ?
                AND area_code LIKE 'E01%'"""
    if level == "lsoa":
        sql = f"SELECT lsoa AS area_code, value AS population, 1 AS lsoas FROM ({base}) p"
    elif level == "lad":
        sql = f"""SELECT l.parent_code AS area_code, sum(p.value) AS population,
                         count(*) AS lsoas
                  FROM ({base}) p JOIN area_link l ON l.child_code = p.lsoa
                  WHERE l.link_type = 'lsoa11_lad' GROUP BY 1"""
    elif level == "ward":
        sql = f"""SELECT l.parent_code AS area_code, sum(p.value) AS population,
                         count(*) AS lsoas
                  FROM ({base}) p JOIN area_link l ON l.child_code = p.lsoa
                  WHERE l.link_type = 'lsoa11_' || ? GROUP BY 1"""
    else:
        raise ValueError(f"unknown level {level!r}")
    params: list[object] = [year, ward_type] if level == "ward" else [year]
    return wh.query(sql + " ORDER BY 1", params)


def area_names(wh: Warehouse, area_types: tuple[str, ...] | None = None) -> pd.DataFrame:
    """``area_code, area_name, area_type, parent_code`` for areas (optionally of some types)."""
    if area_types:
        marks = ", ".join("?" for _ in area_types)
        return wh.query(
            f"SELECT area_code, area_name, area_type, parent_code FROM area "
            f"WHERE area_type IN ({marks}) ORDER BY 1",
            list(area_types),
        )
    return wh.query("SELECT area_code, area_name, area_type, parent_code FROM area ORDER BY 1")


def area_geometries(wh: Warehouse, area_type: str) -> pd.DataFrame:
    """Areas of one type with WKB geometry (EPSG:27700): ``area_code, area_name, parent_code,
    geometry`` (bytes). Empty if no boundary of that type is loaded."""
    return wh.query(
        """SELECT area_code, area_name, parent_code, geometry FROM area
           WHERE area_type = ? AND geometry IS NOT NULL ORDER BY area_code""",
        [area_type],
    )


def homicide_victims(wh: Warehouse) -> pd.DataFrame:
    """All homicide victim rows (current releases)."""
    return wh.query("SELECT * FROM homicide_victim ORDER BY recorded_year, recorded_month")


def datasets_used(wh: Warehouse, dataset_ids: list[int]) -> pd.DataFrame:
    """Registry rows for the datasets behind a set of figures (file, release, sha256)."""
    if not dataset_ids:
        return wh.datasets().iloc[0:0]
    marks = ", ".join("?" for _ in dataset_ids)
    return wh.query(
        f"""SELECT dataset_id, source_kind, file_name, covers_from, covers_to, sha256,
                   rows_loaded, exclusions, notes
            FROM dataset WHERE dataset_id IN ({marks}) ORDER BY dataset_id""",
        [int(i) for i in dataset_ids],
    )

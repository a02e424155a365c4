"""Named queries: the only place analysis and report inputs are read from the warehouse.

Each returns a pandas frame (or plain values) that the pure functions in :mod:`vrkit.analysis`
and the report builders in :mod:`vrkit.reports` take; nothing outside :mod:`vrkit.store` runs
SQL against the warehouse.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from vrkit.catalog.areas import borough_names
from vrkit.catalog.measures import get_measure, taxonomy_of
from vrkit.errors import InputError
from vrkit.store.schema import TABLES
from vrkit.store.sql import measure_condition
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
    cond = measure_condition(measure, taxonomy_of(source_kind))
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


def national_monthly(
    wh: Warehouse,
    crime_type: str | None = None,
    *,
    force: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> pd.DataFrame:
    """Monthly counts of data.police.uk street records for all forces (or one force).

    Parameters
    ----------
    wh : Warehouse
        The warehouse.
    crime_type : str, optional
        A police.uk crime type (``"Violence and sexual offences"``); all types if None.
    force : str, optional
        One force, as ``falls_within`` names it (``"Leicestershire Police"``).
    start, end : date, optional
        First and last month.

    Returns
    -------
    DataFrame
        ``month, count, forces``: records per month and the number of forces with at least
        one record that month (of any type), so a month where a force is missing can be told
        from a fall. Months with no record at all are absent (missing, not zero).
    """
    lo = start or date(1900, 1, 1)
    hi = end or date(2999, 12, 1)
    where = ["month BETWEEN $lo AND $hi"]
    params: dict[str, object] = {"lo": lo, "hi": hi}
    if force is not None:
        where.append("falls_within = $force")
        params["force"] = force
    if crime_type is None:
        agg = 'count(*) AS "count"'
    else:
        agg = 'count(*) FILTER (WHERE crime_type = $t) AS "count"'
        params["t"] = crime_type
    return wh.query(
        f"""SELECT month, {agg}, count(DISTINCT falls_within) AS forces
            FROM crime_record WHERE {" AND ".join(where)}
            GROUP BY month ORDER BY month""",
        params,
    )


#: ``area_link.link_type`` of the ONS LSOA 2011 → LSOA 2021 best-fit lookup.
LSOA_BESTFIT = "lsoa11_lsoa21"

#: Code sets behind the 2011 → 2021 harmonisation: the 2011 LSOAs of the best-fit lookup and
#: every known 2021 LSOA (lookup targets, LSOA21 → LAD/ward links, ``lsoa21`` areas).
_LSOA_SETS = f"""
    bf AS (SELECT child_code AS lsoa11, parent_code AS lsoa21 FROM area_link
           WHERE link_type = '{LSOA_BESTFIT}'),
    known21 AS (SELECT parent_code AS code FROM area_link WHERE link_type = '{LSOA_BESTFIT}'
                UNION SELECT child_code FROM area_link WHERE link_type LIKE 'lsoa21\\_%' ESCAPE '\\'
                UNION SELECT area_code FROM area WHERE area_type = 'lsoa21')"""


def _require_bestfit(wh: Warehouse) -> None:
    (n,) = wh.con.execute(
        "SELECT count(*) FROM area_link WHERE link_type = ?", [LSOA_BESTFIT]
    ).fetchone() or (0,)
    if not n:
        raise InputError(
            "no LSOA 2011 → 2021 best-fit lookup in the warehouse",
            hint="Ingest the ONS 'LSOA (2011) to LSOA (2021) to Local Authority District (2022) "
            "Best Fit Lookup for EW' CSV first (vrkit ingest FILE).",
        )


def lsoa21_counts(
    wh: Warehouse,
    crime_type: str | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
    by_month: bool = True,
) -> pd.DataFrame:
    """Street records per 2021 LSOA (and month), whichever LSOA vintage each record carries.

    data.police.uk files give each record's LSOA in the boundaries current when they were
    published: 2011 LSOAs in older files, 2021 LSOAs in newer ones. A record's code is mapped
    with the ONS best-fit lookup when it is a 2011 LSOA (an unchanged LSOA keeps its code and
    maps to itself) and kept when it is a 2021 LSOA, so one series crosses the boundary
    change. Records whose code is in neither set are not assigned; their number is in
    ``attrs["unmatched_records"]`` (records without a location in ``attrs["no_location"]``).

    Parameters
    ----------
    wh : Warehouse
        A warehouse with the best-fit lookup loaded (link type :data:`LSOA_BESTFIT`).
    crime_type : str, optional
        A police.uk crime type; all types if None.
    start, end : date, optional
        First and last month.
    by_month : bool
        One row per LSOA and month (default) or per LSOA over the whole period.

    Returns
    -------
    DataFrame
        ``lsoa21_code, [month,] count``. An (LSOA, month) with no record is absent.
    """
    _require_bestfit(wh)
    params: dict[str, object] = {"lo": start or date(1900, 1, 1), "hi": end or date(2999, 12, 1)}
    type_cond = ""
    if crime_type is not None:
        type_cond = " AND r.crime_type = $t"
        params["t"] = crime_type
    month = ", r.month" if by_month else ""
    sql = f"""
        WITH {_LSOA_SETS},
        rec AS (
            SELECT r.lsoa_code{month},
                   coalesce(bf.lsoa21, CASE WHEN k.code IS NOT NULL THEN r.lsoa_code END) AS code
            FROM crime_record r
            LEFT JOIN bf ON bf.lsoa11 = r.lsoa_code
            LEFT JOIN known21 k ON k.code = r.lsoa_code
            WHERE r.month BETWEEN $lo AND $hi{type_cond}
        )
        SELECT code AS lsoa21_code{month.replace("r.", "")}, count(*) AS "count"
        FROM rec GROUP BY ALL ORDER BY ALL"""
    frame = wh.query(sql, params)
    located = frame["lsoa21_code"].notna()
    out = frame[located].reset_index(drop=True)
    out["count"] = out["count"].astype("int64")
    # the NULL group holds both unmatched codes and records without an LSOA
    nulls = wh.query(
        f"""WITH {_LSOA_SETS}
            SELECT count(*) FILTER (WHERE r.lsoa_code IS NULL) AS no_location,
                   count(*) FILTER (WHERE r.lsoa_code IS NOT NULL AND bf.lsoa11 IS NULL
                                    AND k.code IS NULL) AS unmatched
            FROM crime_record r LEFT JOIN bf ON bf.lsoa11 = r.lsoa_code
            LEFT JOIN known21 k ON k.code = r.lsoa_code
            WHERE r.month BETWEEN $lo AND $hi{type_cond}""",
        params,
    ).iloc[0]
    out.attrs["no_location"] = int(nulls["no_location"])
    out.attrs["unmatched_records"] = int(nulls["unmatched"])
    return out


def lsoa_vintage_by_month(wh: Warehouse) -> pd.DataFrame:
    """Which LSOA boundaries the street records of each month use.

    Returns
    -------
    DataFrame
        ``month, records, lsoa11_only, lsoa21_only, unchanged, unmatched, no_location``:
        records whose code is only a 2011 LSOA, only a 2021 LSOA, an LSOA unchanged in 2021
        (the same code in both), in neither set, or blank. Shows the month a force's files
        switched to 2021 boundaries, and anything that could not be placed.
    """
    _require_bestfit(wh)
    return wh.query(
        f"""WITH {_LSOA_SETS}
            SELECT r.month, count(*) AS records,
                   count(*) FILTER (WHERE bf.lsoa11 IS NOT NULL AND k.code IS NULL) AS lsoa11_only,
                   count(*) FILTER (WHERE bf.lsoa11 IS NULL AND k.code IS NOT NULL) AS lsoa21_only,
                   count(*) FILTER (WHERE bf.lsoa11 IS NOT NULL AND k.code IS NOT NULL)
                       AS unchanged,
                   count(*) FILTER (WHERE r.lsoa_code IS NOT NULL AND bf.lsoa11 IS NULL
                                    AND k.code IS NULL) AS unmatched,
                   count(*) FILTER (WHERE r.lsoa_code IS NULL) AS no_location
            FROM crime_record r LEFT JOIN bf ON bf.lsoa11 = r.lsoa_code
            LEFT JOIN known21 k ON k.code = r.lsoa_code
            GROUP BY r.month ORDER BY r.month"""
    )


def lsoa21_change(wh: Warehouse) -> pd.DataFrame:
    """How each 2021 LSOA relates to the 2011 LSOAs under the best-fit lookup.

    Returns
    -------
    DataFrame
        ``lsoa21_code, lsoa11_parents, status`` where status is ``unchanged`` (one 2011 LSOA
        with the same code), ``merged`` (several 2011 LSOAs), ``recoded`` (one 2011 LSOA with
        another code: usually the part of a split 2011 LSOA that received it whole, so its
        counts before the change include its sibling parts) or ``no_2011_lsoa`` (a part of a
        split LSOA: before the change its records sit in a sibling, so its months before the
        change are missing, not zero).
    """
    _require_bestfit(wh)
    return wh.query(
        f"""WITH {_LSOA_SETS},
            parents AS (SELECT lsoa21, count(*) AS n, bool_or(lsoa11 = lsoa21) AS same
                        FROM bf GROUP BY lsoa21)
            SELECT k.code AS lsoa21_code, coalesce(p.n, 0) AS lsoa11_parents,
                   CASE WHEN p.n IS NULL THEN 'no_2011_lsoa'
                        WHEN p.n > 1 THEN 'merged'
                        WHEN p.same THEN 'unchanged' ELSE 'recoded' END AS status
            FROM known21 k LEFT JOIN parents p ON p.lsoa21 = k.code
            ORDER BY 1"""
    )


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
    cond = measure_condition(measure, taxonomy_of(source_kind))
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


# -- coverage and the registry ---------------------------------------------------------------------


def month_coverage(
    wh: Warehouse, source_kind: str, area_code: str, years: list[int]
) -> pd.DataFrame:
    """Per month of ``years`` with data of ``source_kind``: ``month, boroughs`` (distinct E09
    scopes) and ``has_area`` (whether ``area_code`` has a row)."""
    return wh.query(
        """SELECT month, count(DISTINCT scope_code) FILTER (WHERE scope_code LIKE 'E09%') AS boroughs,
                  bool_or(scope_code = $code) AS has_area
           FROM crime_count WHERE source_kind = $kind AND year(month) IN (SELECT unnest($years))
           GROUP BY month""",
        {"kind": source_kind, "code": area_code, "years": [int(y) for y in years]},
    )


def month_span(wh: Warehouse, source_kind: str) -> tuple[date, date] | None:
    """First and last month of ``source_kind`` in ``crime_count``, or None if none is loaded."""
    span = wh.query(
        "SELECT min(month) AS a, max(month) AS b FROM crime_count WHERE source_kind = ?",
        [source_kind],
    )
    if span.empty or pd.isna(span.iloc[0]["a"]):
        return None
    return pd.Timestamp(span.iloc[0]["a"]).date(), pd.Timestamp(span.iloc[0]["b"]).date()


def months_present(wh: Warehouse, source_kind: str, years: list[int]) -> set[date]:
    """Months of ``years`` for which ``source_kind`` has any row in ``crime_count``."""
    marks = ", ".join("?" for _ in years)
    months = wh.query(
        f"SELECT DISTINCT month FROM crime_count WHERE source_kind = ? AND year(month) IN ({marks})",
        [source_kind, *[int(y) for y in years]],
    )
    return {pd.Timestamp(m).date() for m in months["month"]}


def annual_years_present(wh: Warehouse, source_kind: str, years: list[int]) -> set[int]:
    """Years of ``years`` with counts (not flagged excluded) in ``crime_count_annual``."""
    marks = ", ".join("?" for _ in years)
    got = wh.query(
        f"""SELECT DISTINCT year FROM crime_count_annual
            WHERE source_kind = ? AND year IN ({marks}) AND NOT excluded""",
        [source_kind, *[int(y) for y in years]],
    )
    return {int(y) for y in got["year"]}


def data_version(wh: Warehouse) -> str:
    """A token that changes whenever a file is loaded (the portal's cache key)."""
    row = wh.con.execute("SELECT coalesce(max(dataset_id), 0), count(*) FROM dataset").fetchone()
    return f"{row[0]}-{row[1]}" if row else "0-0"


def table_rows(wh: Warehouse, table: str) -> int:
    """Rows in one warehouse table (``table`` must be a name from the schema)."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}")
    return int(wh.query(f"SELECT count(*) AS n FROM {table}")["n"].iloc[0])


def release_files(wh: Warehouse, dataset_ids: list[int]) -> pd.DataFrame:
    """``file_name, covers_to`` of datasets (the releases behind figures), by dataset id."""
    if not dataset_ids:
        return pd.DataFrame(columns=["file_name", "covers_to"])
    return datasets_used(wh, dataset_ids)[["file_name", "covers_to"]]


# -- population and links --------------------------------------------------------------------------


def population_periods(wh: Warehouse) -> list[date]:
    """Periods (``period_start``) of the LSOA population estimates loaded, in order."""
    df = wh.query(
        """SELECT DISTINCT period_start FROM indicator_value
           WHERE indicator_id = 'population_all_ages' AND area_code LIKE 'E01%'
           ORDER BY 1"""
    )
    return [pd.Timestamp(x).date() for x in df["period_start"]]


def population_by_link(wh: Warehouse, period: date, link_type: str) -> pd.DataFrame:
    """Population of the parents of LSOAs through links of one type, for one estimate period:
    ``area_code, population, lsoas``."""
    return wh.query(
        """SELECT l.parent_code AS area_code, sum(p.value) AS population, count(*) AS lsoas
           FROM indicator_value p JOIN area_link l ON l.child_code = p.area_code
           WHERE p.indicator_id = 'population_all_ages' AND p.period_start = ?
             AND l.link_type = ?
           GROUP BY 1 ORDER BY 1""",
        [period, link_type],
    )


def link_types(wh: Warehouse, prefix: str) -> list[str]:
    """Link types in ``area_link`` starting with ``prefix`` (e.g. ``lsoa11_ward``)."""
    df = wh.query(
        "SELECT DISTINCT link_type FROM area_link WHERE link_type LIKE ? ORDER BY 1",
        [prefix.replace("%", "") + "%"],
    )
    return [str(x) for x in df["link_type"]]


def indicator_dataset_ids(wh: Warehouse, indicator_id: str, period_start: date) -> list[int]:
    """Datasets holding values of an indicator for one period."""
    df = wh.query(
        """SELECT DISTINCT dataset_id FROM indicator_value
           WHERE indicator_id = ? AND period_start = ?""",
        [indicator_id, period_start],
    )
    return [int(x) for x in df["dataset_id"].dropna()]


def link_dataset_ids(wh: Warehouse, link_type: str) -> list[int]:
    """Datasets holding links of one type."""
    df = wh.query("SELECT DISTINCT dataset_id FROM area_link WHERE link_type = ?", [link_type])
    return [int(x) for x in df["dataset_id"].dropna()]


def geometry_dataset_ids(wh: Warehouse, area_type: str) -> list[int]:
    """Datasets holding boundaries (geometry) of one area type."""
    df = wh.query(
        "SELECT DISTINCT dataset_id FROM area WHERE area_type = ? AND geometry IS NOT NULL",
        [area_type],
    )
    return [int(x) for x in df["dataset_id"].dropna()]


def ward_lookup(wh: Warehouse) -> pd.DataFrame:
    """``area_code, area_name, borough_code`` of every ward the warehouse knows (MPS ward names
    first, then the 2018 and 2014 boundary layers)."""
    return wh.query(
        """SELECT area_code, any_value(area_name) AS area_name,
                  any_value(parent_code) AS borough_code
           FROM (SELECT area_code, area_name, parent_code,
                        CASE area_type WHEN 'ward_mps' THEN 0 WHEN 'ward18' THEN 1 ELSE 2 END AS p
                 FROM area WHERE area_type IN ('ward_mps', 'ward18', 'ward14')
                 QUALIFY row_number() OVER (PARTITION BY area_code ORDER BY p) = 1)
           GROUP BY area_code"""
    )


def ward_boroughs(wh: Warehouse) -> pd.DataFrame:
    """``area_code, borough_code`` of the wards in the MPS ward monthly data."""
    return wh.query(
        """SELECT DISTINCT area_code, scope_code AS borough_code FROM crime_count
           WHERE source_kind = 'mps_ward_monthly' AND area_type = 'ward'"""
    )


def population_years(wh: Warehouse) -> list[int]:
    """Years of the LSOA population estimates loaded, in order."""
    return sorted({p.year for p in population_periods(wh)})


def indicator_values_wide(wh: Warehouse, indicator_ids: list[str]) -> pd.DataFrame:
    """``area_code`` and one column per indicator (its values; mean over periods where an area
    has several), for the areas with any of them; only ``area_code`` when none is loaded."""
    marks = ", ".join("?" for _ in indicator_ids)
    long = wh.query(
        f"""SELECT area_code, indicator_id, value FROM indicator_value
            WHERE indicator_id IN ({marks})""",
        list(indicator_ids),
    )
    if long.empty:
        return pd.DataFrame(columns=["area_code"])
    return long.pivot_table(index="area_code", columns="indicator_id", values="value").reset_index()


# -- records ---------------------------------------------------------------------------------------


def record_points(wh: Warehouse, measure_id: str, year: int) -> pd.DataFrame:
    """``easting, northing`` (BNG metres; NaN without a location) of the data.police.uk street
    records of a measure in a year."""
    cond = measure_condition(
        get_measure(measure_id), "police_uk", major_col="crime_type", minor_col="crime_type"
    )
    return wh.query(
        f"SELECT easting, northing FROM crime_record WHERE year(month) = ? AND {cond}", [year]
    )


# -- monthly series for early warning ---------------------------------------------------------------

#: geography → monthly MPS source used by early warning (``vrkit alerts`` and the reports)
MONTHLY_SOURCES = {"borough": "mps_borough_monthly", "ward": "mps_ward_monthly"}


def monthly_by_geography(
    wh: Warehouse, measure_id: str, geography: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Monthly counts of every area of a geography, as early warning reads them.

    Parameters
    ----------
    wh : Warehouse
    measure_id : str
        Catalogue measure (``violence_with_injury``...).
    geography : {"borough", "ward"}
        ``borough``: MPS borough monthly files; ``ward``: MPS ward monthly files.

    Returns
    -------
    counts : DataFrame
        ``area_code, month, count`` without pseudo-areas (airports, "Unknown").
    names : DataFrame
        ``area_code, area_name`` of the areas the warehouse knows, boroughs included.

    Raises
    ------
    InputError
        ``lsoa`` (no monthly LSOA source), an unknown geography, or no data for the measure.
    """
    if geography == "lsoa":
        raise InputError(
            "no monthly LSOA source: the LSOA figures available are annual "
            "(mps_lsoa_annual_derived, 2011–2021), which cannot be tested month by month",
            hint="Use --geography borough or ward, or load monthly LSOA data first.",
        )
    if geography not in MONTHLY_SOURCES:
        raise InputError(f"unknown geography {geography!r}", hint="Use borough, ward or lsoa.")
    counts = measure_counts(wh, measure_id, source_kind=MONTHLY_SOURCES[geography])
    if counts.empty:
        raise InputError(
            f"no {MONTHLY_SOURCES[geography]} data for measure {measure_id!r}",
            hint="Run `vrkit ingest --all` first.",
        )
    counts = counts[counts["area_type"] != "pseudo"]
    names = area_names(wh)[["area_code", "area_name"]]
    boroughs = pd.DataFrame(list(borough_names().items()), columns=["area_code", "area_name"])
    names = pd.concat([names, boroughs]).drop_duplicates("area_code").dropna()
    return counts[["area_code", "month", "count"]], names

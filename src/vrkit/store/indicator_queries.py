"""Named queries for the need index: indicator catalogue, values, links, areas.

Each returns a pandas frame for the pure functions in :mod:`vrkit.analysis.need_index` and
:mod:`vrkit.analysis.harmonise`.
"""

from __future__ import annotations

import pandas as pd

from vrkit.store.warehouse import Warehouse


def indicator_catalogue(wh: Warehouse) -> pd.DataFrame:
    """Indicators loaded in the warehouse with their value counts and latest period.

    Returns ``indicator_id, name, unit, polarity, source, description, areas, period_start,
    period_end`` (latest period), one row per indicator.
    """
    return wh.query(
        """WITH latest AS (
               SELECT indicator_id, max(period_start) AS period_start FROM indicator_value
               GROUP BY 1)
           SELECT i.indicator_id, any_value(i.name) AS name, any_value(i.unit) AS unit,
                  any_value(i.polarity) AS polarity, any_value(i.source) AS source,
                  any_value(i.description) AS description,
                  count(DISTINCT v.area_code) AS areas, l.period_start,
                  max(v.period_end) AS period_end
           FROM indicator i JOIN latest l USING (indicator_id)
           JOIN indicator_value v ON v.indicator_id = i.indicator_id
                AND v.period_start = l.period_start
           GROUP BY i.indicator_id, l.period_start ORDER BY 1"""
    )


def latest_values(wh: Warehouse, indicator_id: str) -> pd.DataFrame:
    """``area_code, value, period_start, period_end, dataset_id`` of an indicator's latest period."""
    return wh.query(
        """SELECT area_code, value, period_start, period_end, dataset_id FROM indicator_value
           WHERE indicator_id = $i AND period_start = (
               SELECT max(period_start) FROM indicator_value WHERE indicator_id = $i)
           ORDER BY area_code""",
        {"i": indicator_id},
    )


def areas_of_type(wh: Warehouse, area_type: str) -> pd.DataFrame:
    """``area_code, area_name, parent_code, has_geometry`` of one area type."""
    return wh.query(
        """SELECT area_code, area_name, parent_code, geometry IS NOT NULL AS has_geometry
           FROM area WHERE area_type = ? ORDER BY area_code""",
        [area_type],
    )


def area_types(wh: Warehouse) -> list[str]:
    """Area types present."""
    return wh.query("SELECT DISTINCT area_type FROM area ORDER BY 1")["area_type"].tolist()


def links_between(wh: Warehouse, children: list[str], parents: list[str]) -> pd.DataFrame:
    """The link type that best joins ``children`` codes to ``parents`` codes, and its links.

    Returns ``child_code, parent_code, link_type, weight`` for the link type whose links cover
    the most of ``children`` with a parent in ``parents`` (empty if none).
    """
    wh.con.register("_ch", pd.DataFrame({"c": children}))
    wh.con.register("_pa", pd.DataFrame({"p": parents}))
    try:
        best = wh.query(
            """SELECT link_type, count(*) AS n FROM area_link
               WHERE child_code IN (SELECT c FROM _ch) AND parent_code IN (SELECT p FROM _pa)
               GROUP BY 1 ORDER BY n DESC, link_type LIMIT 1"""
        )
    finally:
        wh.con.unregister("_ch")
        wh.con.unregister("_pa")
    if best.empty:
        return pd.DataFrame(columns=["child_code", "parent_code", "link_type", "weight"])
    return wh.query(
        "SELECT child_code, parent_code, link_type, weight FROM area_link WHERE link_type = ?",
        [best["link_type"].iloc[0]],
    )


def area_geometries(wh: Warehouse, area_type: str) -> pd.DataFrame:
    """``area_code, area_name, geometry`` (WKB, EPSG:27700) of one area type."""
    return wh.query(
        """SELECT area_code, area_name, geometry FROM area
           WHERE area_type = ? AND geometry IS NOT NULL ORDER BY area_code""",
        [area_type],
    )


def area_codes(wh: Warehouse) -> list[str]:
    """Every area code in the warehouse (any type)."""
    return wh.query("SELECT DISTINCT area_code FROM area")["area_code"].tolist()

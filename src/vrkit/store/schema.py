"""Warehouse schema, declared once. Bump :data:`SCHEMA_VERSION` with every change.

Tables follow DESIGN.md §3. Two additions:

- ``crime_count_release`` keeps every release of an aggregate source as loaded; ``crime_count`` is
  rebuilt from it after each load and holds, for each (source kind, scope, month), the rows of the
  newest release covering it. Revisions between releases are therefore always answerable.
- ``crime_count_annual`` holds the derived annual files, with an ``excluded`` flag for cells known
  to be wrong (they are kept and shown, never used as if true).
"""

from __future__ import annotations

SCHEMA_VERSION = 2
#: what changed in each version (shown when an older warehouse is opened)
SCHEMA_CHANGES: dict[int, str] = {
    2: "A&E (ISTV) tables hold no free text, department names or file names any more "
    "(issue #10): location descriptions are reduced at ingest to a usable-text flag and a "
    "gazetteer match",
}

#: table -> column definitions (dataset_id is always first and added by the loader)
TABLES: dict[str, str] = {
    "meta": "key VARCHAR PRIMARY KEY, value VARCHAR",
    "dataset": """
        dataset_id INTEGER PRIMARY KEY,
        source_kind VARCHAR NOT NULL,
        file_name VARCHAR NOT NULL,
        file_path VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        rows_read BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL,
        rows_rejected BIGINT NOT NULL,
        covers_from DATE,
        covers_to DATE,
        loaded_at TIMESTAMP NOT NULL,
        vrkit_version VARCHAR NOT NULL,
        exclusions VARCHAR[],
        notes VARCHAR[],
        UNIQUE (source_kind, sha256)
    """,
    "rejection": """
        dataset_id INTEGER NOT NULL, row_number BIGINT NOT NULL, "column" VARCHAR,
        reason VARCHAR NOT NULL, raw VARCHAR
    """,
    "area": """
        dataset_id INTEGER, area_code VARCHAR NOT NULL, area_name VARCHAR, area_type VARCHAR NOT NULL,
        parent_code VARCHAR, geometry BLOB, area_ha DOUBLE
    """,
    "area_link": """
        dataset_id INTEGER, child_code VARCHAR NOT NULL, parent_code VARCHAR NOT NULL,
        link_type VARCHAR NOT NULL, weight DOUBLE
    """,
    "crime_count_release": """
        dataset_id INTEGER NOT NULL, source_kind VARCHAR NOT NULL, scope_code VARCHAR NOT NULL,
        area_code VARCHAR NOT NULL, area_type VARCHAR NOT NULL, month DATE NOT NULL,
        offence_major VARCHAR NOT NULL, offence_minor VARCHAR NOT NULL, "count" BIGINT NOT NULL
    """,
    "crime_count": """
        dataset_id INTEGER NOT NULL, source_kind VARCHAR NOT NULL, scope_code VARCHAR NOT NULL,
        area_code VARCHAR NOT NULL, area_type VARCHAR NOT NULL, month DATE NOT NULL,
        offence_major VARCHAR NOT NULL, offence_minor VARCHAR NOT NULL, "count" BIGINT NOT NULL
    """,
    "crime_count_annual": """
        dataset_id INTEGER NOT NULL, source_kind VARCHAR NOT NULL, area_code VARCHAR NOT NULL,
        area_type VARCHAR NOT NULL, year INTEGER NOT NULL, offence_major VARCHAR NOT NULL,
        offence_minor VARCHAR NOT NULL, "count" BIGINT, excluded BOOLEAN NOT NULL,
        exclusion_reason VARCHAR
    """,
    "crime_record": """
        dataset_id INTEGER NOT NULL, crime_id VARCHAR, month DATE NOT NULL, reported_by VARCHAR,
        falls_within VARCHAR NOT NULL, longitude DOUBLE, latitude DOUBLE, easting DOUBLE,
        northing DOUBLE, location VARCHAR, lsoa_code VARCHAR, lsoa_name VARCHAR,
        crime_type VARCHAR NOT NULL, last_outcome VARCHAR, context VARCHAR
    """,
    "crime_outcome": """
        dataset_id INTEGER NOT NULL, crime_id VARCHAR, month DATE NOT NULL, reported_by VARCHAR,
        falls_within VARCHAR NOT NULL, longitude DOUBLE, latitude DOUBLE, location VARCHAR,
        lsoa_code VARCHAR, lsoa_name VARCHAR, outcome_type VARCHAR
    """,
    "stop_search": """
        dataset_id INTEGER NOT NULL, force VARCHAR NOT NULL, month DATE NOT NULL,
        search_type VARCHAR, searched_at TIMESTAMPTZ, part_of_operation BOOLEAN,
        operation VARCHAR, latitude DOUBLE, longitude DOUBLE, gender VARCHAR, age_range VARCHAR,
        self_defined_ethnicity VARCHAR, officer_defined_ethnicity VARCHAR, legislation VARCHAR,
        object_of_search VARCHAR, outcome VARCHAR, outcome_linked_to_object BOOLEAN,
        outer_clothing_removed BOOLEAN
    """,
    "homicide_victim": """
        dataset_id INTEGER NOT NULL, row_number BIGINT NOT NULL, recorded_year INTEGER NOT NULL,
        recorded_month INTEGER, month DATE, victims INTEGER NOT NULL, age_group VARCHAR,
        sex VARCHAR, method VARCHAR, domestic_abuse BOOLEAN, offence_type VARCHAR,
        solved_status VARCHAR, borough_name VARCHAR, area_code VARCHAR, ethnicity VARCHAR
    """,
    "indicator": """
        dataset_id INTEGER, indicator_id VARCHAR NOT NULL, name VARCHAR NOT NULL, unit VARCHAR,
        polarity VARCHAR, source VARCHAR, description VARCHAR
    """,
    "indicator_value": """
        dataset_id INTEGER NOT NULL, area_code VARCHAR NOT NULL, indicator_id VARCHAR NOT NULL,
        period_start DATE NOT NULL, period_end DATE NOT NULL, value DOUBLE NOT NULL
    """,
    "istv_submission": """
        dataset_id INTEGER NOT NULL, site_code VARCHAR NOT NULL, month DATE NOT NULL,
        period_start DATE NOT NULL, period_end DATE NOT NULL,
        submitted_on DATE, late BOOLEAN NOT NULL, declared_records BIGINT NOT NULL,
        records_loaded BIGINT NOT NULL, records_rejected BIGINT NOT NULL,
        pii_columns_stripped INTEGER NOT NULL, pii_values_removed INTEGER NOT NULL,
        synthetic BOOLEAN NOT NULL, file_format VARCHAR NOT NULL, gazetteer_sha256 VARCHAR
    """,
    "istv_attendance": """
        dataset_id INTEGER NOT NULL, site_code VARCHAR NOT NULL, month DATE NOT NULL,
        row_number BIGINT NOT NULL, arrival_at TIMESTAMP, assault_at TIMESTAMP NOT NULL,
        assault_method VARCHAR NOT NULL, location_type VARCHAR NOT NULL,
        location_text_usable BOOLEAN NOT NULL, postcode_sector VARCHAR,
        easting DOUBLE, northing DOUBLE, place_name VARCHAR, place_easting DOUBLE,
        place_northing DOUBLE, place_area_code VARCHAR, place_confidence DOUBLE
    """,
}

#: Rows of a new load replace existing rows that share these columns (a newer release wins).
#: ``crime_count_release`` is append-only (key includes dataset_id); see the module docstring.
REPLACE_KEYS: dict[str, tuple[str, ...]] = {
    "area": ("area_code", "area_type"),
    "area_link": ("child_code", "link_type"),
    "crime_count_annual": ("source_kind", "area_code", "year", "offence_major", "offence_minor"),
    "crime_record": ("falls_within", "month"),
    "crime_outcome": ("falls_within", "month"),
    "stop_search": ("force", "month"),
    "homicide_victim": ("recorded_year",),
    "indicator": ("indicator_id",),
    "indicator_value": ("area_code", "indicator_id", "period_start"),
    "istv_submission": ("site_code", "month"),
    "istv_attendance": ("site_code", "month"),
}

#: Rows of each load (a file or a batch of files) are written sorted by these columns, so each
#: row group covers a narrow range of them and DuckDB skips the others by min/max. ONS numbers
#: LSOAs in blocks by local authority, so a borough's LSOAs are a narrow code range.
CLUSTER_KEYS: dict[str, tuple[str, ...]] = {"crime_record": ("lsoa_code",)}

#: Secondary indexes. The ART index on ``crime_record.lsoa_code`` turns a 10-year monthly series
#: for one LSOA into an index lookup (see bench/query_trend.py); it costs about 10 % on inserts.
INDEXES: tuple[str, ...] = (
    "CREATE INDEX IF NOT EXISTS crime_record_lsoa ON crime_record (lsoa_code)",
)

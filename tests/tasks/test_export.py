"""``export_parquet``: the lake holds exactly the warehouse's rows, the manifest describes it,
exports are incremental, and Apache Spark reproduces vrkit's series from the lake."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from vrkit import Warehouse, get_settings
from vrkit.errors import InputError
from vrkit.sources.base import sha256_file
from vrkit.store import queries
from vrkit.store.lake import LAKE_TABLES
from vrkit.tasks.export import MANIFEST_NAME, export_parquet

VSO = "Violence and sexual offences"
DATA = get_settings().data_dir
CITY = DATA / "police_uk_street/city-of-london"
LEICS = DATA / "police_uk_street/leicestershire"


def _city_2020() -> list[Path]:
    return sorted(CITY.glob("2020-*/*.csv"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A warehouse of real data (City 2020 and Leicestershire 2020 street files, one MPS
    borough release, the London LSOA 2011 layer) and a first export of it."""
    assert DATA.is_dir(), f"shared data not found at {DATA}"
    root = tmp_path_factory.mktemp("lake")
    store = root / "w.duckdb"
    files = [
        DATA / "boundaries/statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp",
        DATA
        / "mps_crime_borough/2019-01_to_2020-12/MPS Borough Level Crime (most recent 24 months).csv",
        *_city_2020(),
        *sorted(LEICS.glob("2020-*/*.csv.gz")),
    ]
    with Warehouse(store) as wh:
        results = wh.ingest_many(files)
        assert not [r for r in results if isinstance(r, Exception)]
        export_parquet(wh, root / "lake")
    return store, root / "lake"


def _copy_lake(built: tuple[Path, Path], dest: Path) -> tuple[Path, Path]:
    store, lake = built
    shutil.copy(store, dest / "w.duckdb")
    shutil.copytree(lake, dest / "lake")
    return dest / "w.duckdb", dest / "lake"


def _read(lake: Path, table: str) -> duckdb.DuckDBPyRelation:
    con = duckdb.connect()
    spec = LAKE_TABLES[table]
    pattern = "/*" * len(spec.partitions) + "/*.parquet"
    return con.sql(
        f"SELECT * FROM read_parquet('{lake / table}{pattern}', hive_partitioning = "
        f"{'true' if spec.partitions else 'false'}, hive_types_autocast = true)"
    )


@pytest.mark.parametrize("table", ["crime_record", "crime_count", "area", "dataset"])
def test_lake_rows_equal_the_warehouse_rows(built: tuple[Path, Path], table: str) -> None:
    store, lake = built
    with Warehouse(store, read_only=True) as wh:
        cols = [c for c in wh.query(f"SELECT * FROM {table} LIMIT 0").columns if c != "file_path"]
        want = wh.query(f"SELECT {', '.join(cols)} FROM {table}")
    got = _read(lake, table).df()[cols]
    assert len(want) > 0 and len(got) == len(want)
    key = [c for c in cols if c not in ("geometry", "exclusions", "notes")]
    a = want.astype(str).sort_values(key).reset_index(drop=True)
    b = got.astype(str).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_partition_layout_and_types(built: tuple[Path, Path]) -> None:
    _, lake = built
    folders = sorted(p.relative_to(lake).as_posix() for p in lake.glob("crime_record/*/*/*"))
    assert "crime_record/force=city-of-london-police/year=2020/month=2020-04-01" in folders
    assert "crime_record/force=leicestershire-police/year=2020/month=2020-12-01" in folders
    assert len(folders) == 24  # two forces × 12 months
    # one file per partition (every partition of a year is written by one COPY)
    assert all(len(list((lake / f).glob("*.parquet"))) == 1 for f in folders)
    rel = _read(lake, "crime_record")
    types = dict(zip(rel.columns, [str(t) for t in rel.types], strict=True))
    assert types["month"] == "DATE" and types["year"] in ("BIGINT", "INTEGER")
    assert types["falls_within"] == "VARCHAR" and types["easting"] == "DOUBLE"


def test_manifest_lists_every_file_with_rows_and_sha256(built: tuple[Path, Path]) -> None:
    store, lake = built
    manifest = json.loads((lake / MANIFEST_NAME).read_text())
    assert manifest["format"] == "vrkit-lake" and manifest["vrkit_version"]
    assert "istv_attendance" in manifest["not_exported"]
    with Warehouse(store, read_only=True) as wh:
        for name, entry in manifest["tables"].items():
            (n,) = wh.con.execute(f"SELECT count(*) FROM {name}").fetchone() or (0,)
            assert entry["rows"] == n, name
            assert sum(p["rows"] for p in entry["partitions"]) == n
        n_datasets = len(wh.datasets())
    assert len(manifest["datasets"]) == n_datasets
    assert all("file_path" not in d for d in manifest["datasets"])
    files = [f for e in manifest["tables"].values() for p in e["partitions"] for f in p["files"]]
    on_disk = {p.relative_to(lake).as_posix() for p in lake.rglob("*.parquet")}
    assert {f["path"] for f in files} == on_disk
    for f in files[:40]:
        assert sha256_file(lake / f["path"]) == f["sha256"]
    rec = manifest["tables"]["crime_record"]
    assert rec["partition_by"] == ["force", "year", "month"]
    by_name = {c["name"]: c for c in rec["schema"]}
    assert by_name["month"]["partition"] and by_name["month"]["type"] == "DATE"
    assert by_name["force"]["derived_from"].startswith("trim(regexp_replace")


def test_unchanged_export_rewrites_nothing(built: tuple[Path, Path], tmp_path: Path) -> None:
    store, lake = _copy_lake(built, tmp_path)
    before = {p: p.stat().st_mtime_ns for p in lake.rglob("*.parquet")}
    with Warehouse(store, read_only=True) as wh:
        res = export_parquet(wh, lake)
    assert res.written_paths == []
    assert all(t.written == 0 and t.removed == 0 for t in res.tables)
    assert {p: p.stat().st_mtime_ns for p in lake.rglob("*.parquet")} == before


def test_a_new_release_of_one_month_rewrites_only_that_partition(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    store, lake = _copy_lake(built, tmp_path)
    before = {p: p.stat().st_mtime_ns for p in lake.rglob("*.parquet")}
    # a re-issued City file for 2020-05 with its last row withdrawn
    src = CITY / "2020-05/2020-05-city-of-london-street.csv"
    lines = src.read_text().splitlines(keepends=True)
    newer = tmp_path / "2020-05-city-of-london-street.csv"
    newer.write_text("".join(lines[:-1]))
    with Warehouse(store) as wh:
        wh.ingest(newer)
        res = export_parquet(wh, lake)
        n = wh.con.execute("SELECT count(*) FROM crime_record").fetchone()
    changed = "crime_record/force=city-of-london-police/year=2020/month=2020-05-01"
    # the registry is one reference file: a new dataset row changes it too
    assert sorted(res.written_paths) == sorted([changed, "dataset"])
    after = {p: p.stat().st_mtime_ns for p in lake.rglob("*.parquet")}
    touched = {p.relative_to(lake).parent.as_posix() for p in after if before.get(p) != after[p]}
    assert touched == {changed, "dataset"}
    assert _read(lake, "crime_record").count("*").fetchone() == n
    got = _read(lake, "crime_record").filter(
        "force = 'city-of-london-police' AND month = DATE '2020-05-01'"
    )
    assert got.count("*").fetchone() == (len(lines) - 2,)


def test_a_damaged_file_is_rewritten_and_a_vanished_partition_removed(
    built: tuple[Path, Path], tmp_path: Path
) -> None:
    store, lake = _copy_lake(built, tmp_path)
    victim = next((lake / "crime_record/force=leicestershire-police/year=2020").glob("*/*.parquet"))
    victim.write_bytes(b"not parquet")
    with Warehouse(store) as wh:
        wh.con.execute(
            "DELETE FROM crime_record WHERE falls_within = 'City of London Police' "
            "AND month = DATE '2020-01-01'"
        )
        res = export_parquet(wh, lake)
    rec = next(t for t in res.tables if t.table == "crime_record")
    assert (rec.written, rec.removed) == (1, 1)
    assert res.written_paths == [victim.parent.relative_to(lake).as_posix()]
    assert not (
        lake / "crime_record/force=city-of-london-police/year=2020/month=2020-01-01"
    ).exists()
    assert pd.read_parquet(victim).shape[0] > 0


def test_refuses_a_folder_that_is_not_an_export(built: tuple[Path, Path], tmp_path: Path) -> None:
    store, _ = built
    (tmp_path / "notes.txt").write_text("mine")
    with Warehouse(store, read_only=True) as wh, pytest.raises(InputError, match="not empty"):
        export_parquet(wh, tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


# ----------------------------------------------------------------------------------------------
# Apache Spark reads the lake


@pytest.fixture(scope="module")
def spark():  # type: ignore[no-untyped-def]
    """One local Spark session for the module, tuned to start fast on small data (C1 JIT only,
    no adaptive planning or whole-stage code generation, one shuffle partition)."""
    assert shutil.which("java"), "Java is needed for the Spark test: `make test` installs it"
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("vrkit-lake-test")
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .config("spark.driver.memory", "1g")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def _series(frame) -> list[tuple[date, int]]:  # type: ignore[no-untyped-def]
    """``(month, count)`` rows of a Spark aggregate, in month order."""
    return [(r["month"], int(r["count"])) for r in frame.orderBy("month").collect()]


@pytest.mark.slow
def test_spark_reproduces_the_national_and_an_lsoa_series(built, spark) -> None:  # type: ignore[no-untyped-def]
    from pyspark.sql import functions as F

    store, lake = built
    records = spark.read.parquet(str(lake / "crime_record"))
    types = dict(records.dtypes)
    assert types["month"] == "date" and types["force"] == "string" and types["year"] == "int"
    vso = records.filter(F.col("crime_type") == VSO)
    national = _series(vso.groupBy("month").agg(F.count("*").alias("count")))
    lsoa = _series(
        vso.filter(F.col("lsoa_code") == "E01000005")
        .groupBy("month")
        .agg(F.count("*").alias("count"))
    )
    with Warehouse(store, read_only=True) as wh:
        want_nat = queries.national_monthly(wh, VSO)
        want_lsoa = queries.record_monthly(wh, VSO, lsoa_code="E01000005")
        (want_vap,) = wh.con.execute(
            "SELECT sum(count) FROM crime_count WHERE year(month) = 2020 AND "
            "source_kind = 'mps_borough_monthly' AND offence_major = 'Violence Against the Person'"
        ).fetchone() or (None,)
    want_lsoa = want_lsoa[want_lsoa["count"] > 0]
    assert len(want_nat) == 12 and (want_nat["forces"] == 2).all()
    assert national == [
        (pd.Timestamp(m).date(), int(c))
        for m, c in zip(want_nat["month"], want_nat["count"], strict=True)
    ]
    # City of London, April 2020: 23 "Violence and sexual offences" rows (PROVENANCE.md)
    assert national[3][1] > 23
    assert lsoa == [
        (pd.Timestamp(m).date(), int(c))
        for m, c in zip(want_lsoa["month"], want_lsoa["count"], strict=True)
    ]
    assert sum(c for _, c in lsoa) > 0

    # the count tables too: London's 2020 violence against the person from the MPS release
    counts = spark.read.parquet(str(lake / "crime_count"))
    assert dict(counts.dtypes)["source_kind"] == "string"
    vap = (
        counts.filter(
            (F.col("year") == 2020)
            & (F.col("source_kind") == "mps_borough_monthly")
            & (F.col("offence_major") == "Violence Against the Person")
        )
        .agg(F.sum("count"))
        .collect()[0][0]
    )
    assert vap == want_vap and vap > 200_000

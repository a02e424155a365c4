"""Fuzzing harness for every source adapter (issue #10).

For each registered format, a seed file (a real shared-data file cut to a few rows at test
time, or a synthetic health file) is mutated at the byte, row and cell level
(:mod:`tests.fuzz._mutate`), and the result must keep the invariant:

- reading it (with its own adapter, and through format detection) gives a clear
  :class:`~vrkit.errors.VrkitError`, or a load whose counts add up:
  ``rows_read = rows_loaded + rows_rejected``;
- ingesting it either raises a VrkitError and leaves the warehouse exactly as it was, or
  stores the whole file: every table holds exactly the rows the adapter produced for it.

``make test`` runs a few deterministic examples per adapter; ``make fuzz`` many random ones.
"""

from __future__ import annotations

import contextlib
import gzip
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import vrkit
from vrkit.errors import VrkitError
from vrkit.sources.base import SourceAdapter, SourceFrames
from vrkit.sources.registry import ADAPTERS, known_formats, read_file
from vrkit.store.schema import TABLES
from vrkit.store.warehouse import Warehouse

from ._mutate import Seed, cut_workbook, mutated

DATA = vrkit.get_settings().data_dir
#: per format: a shared-data file, how many of its lines (or workbook rows) to keep, the sheet
CSV_SEEDS: dict[str, tuple[str, int]] = {
    "mps_ward_monthly": (
        "mps_crime_ward/2024-01_to_2025-12/MPS Ward Level Crime (most recent 24 months).csv.gz",
        30,
    ),
    "mps_borough_monthly": (
        "mps_crime_borough/2023-03_to_2025-02/MPS Borough Level Crime (most recent 24 months).csv",
        30,
    ),
    "mps_borough_monthly_old": (
        "mps_crime_borough/2008-01_to_2018-12_old_categories/MPS_Borough_Level_Crime_Historic.csv",
        30,
    ),
    "mps_ward_annual_derived": (
        "mps_crime_ward_annual_derived/London.Crime.ByWard_2011-2022.csv.gz",
        30,
    ),
    "mps_lsoa_annual_derived": (
        "mps_crime_lsoa_annual_derived/london-2011-2021-major-sexual.csv",
        30,
    ),
    "police_uk_street": (
        "police_uk_street/city-of-london/2020-05/2020-05-city-of-london-street.csv",
        40,
    ),
    "police_uk_outcomes": (
        "police_uk_outcomes/city-of-london/2016-12/2016-12-city-of-london-outcomes.csv",
        40,
    ),
    "police_uk_stop_search": (
        "police_uk_stop_and_search/city-of-london/2017-03/2017-03-city-of-london-stop-and-search.csv",
        40,
    ),
    "mps_homicide_victims": ("mps_homicide/original_homicide.xlsx - dataset.csv", 40),
    "ward_profiles": ("other_london/ward-profiles-excel-version.csv", 30),
    "population_lsoa_mid_year": ("population/london-mid2019-pop.csv", 30),
    "population_census2021_ts007a": ("population/census2021-ts007a-lsoa.csv.gz", 30),
    "lookup_lsoa21_ward25_lad25": (
        "lookups/LSOA_(2021)_to_Electoral_Ward_(2025)_to_LAD_(2025)_Best_Fit_Lookup_in_EW_v2.csv.gz",
        30,
    ),
    # the rest of the core data set (issue #20)
    "las_ambulance_borough_monthly": ("las_ambulance/assaults-women.csv", 40),
    "mopac_pas_borough": ("mopac_pas/PAS_Dashboard_Borough.csv", 40),
    "population_lad_single_year": ("population/la_pop_estimates.csv", 30),
    "lookup_ward23_lad23": (
        "lookups/Ward_to_Local_Authority_District_(December_2023)_Lookup_in_the_United_Kingdom.csv",
        30,
    ),
}
WORKBOOK_SEEDS: dict[str, tuple[str, int, str]] = {
    "imd2019_london": ("deprivation_iod2019/ID 2019 for London.xlsx", 30, "IMD 2019"),
    "imd2019_file1": (
        "deprivation_iod2019/File_1_-_IMD2019_Index_of_Multiple_Deprivation.xlsx",
        30,
        "IMD2019",
    ),
    "imd2019_london_wards": (
        "deprivation_iod2019/London wards id2019 summary measures.xlsx",
        30,
        "wards_id_summary",
    ),
}
WORKBOOK_SEEDS.update(
    {
        "mps_knife_borough_monthly": ("mps_knife_crime/Borough Monthly 2018-20.xlsx", 40, "Sheet1"),
        "gla_state_of_london_monthly": ("mps_knife_crime/State_Of_London_Crime.xlsx", 30, "TNO"),
    }
)
#: the DfE exclusions come as a zip of one large CSV; the seed is its first lines as a plain CSV
DFE_SEED = ("dfe_exclusions/exclusions_by_geographic_level.zip", 40)
BOUNDARY_SEED = "boundaries/statistical-gis-boundaries-london/ESRI/London_Borough_Excluding_MHW.shp"
KINDS = [k for k, _ in known_formats()]


def _cut_csv(path: Path, lines: int) -> bytes:
    data = gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()
    return b"\n".join(data.split(b"\n")[:lines]) + b"\n"


@cache
def seed(kind: str, tmp: Path) -> Seed:
    """The seed of one format (built once per session)."""
    if kind in CSV_SEEDS:
        rel, lines = CSV_SEEDS[kind]
        p = DATA / rel
        gz = p.name.endswith(".gz")
        return Seed(kind, p.name, _cut_csv(p, lines), gz=gz)
    if kind in WORKBOOK_SEEDS:
        rel, rows, sheet = WORKBOOK_SEEDS[kind]
        p = DATA / rel
        return Seed(kind, p.name, cut_workbook(p, rows), workbook_sheet=sheet)
    if kind == "boundary":
        import geopandas as gpd

        gdf = gpd.read_file(DATA / BOUNDARY_SEED).head(3).to_crs("EPSG:4326")
        out = tmp / "London_Borough_Excluding_MHW.geojson"
        gdf.to_file(out, driver="GeoJSON")
        return Seed(kind, out.name, out.read_bytes())
    if kind == "istv":
        from vrkit.tasks.synth import write_submission

        recs = [
            [f"2023-01-{d:02d} 22:15", f"2023-01-{d:02d} 21:40", "04", "", "02", "Walworth Rd"]
            for d in range(1, 9)
        ]
        rows = [
            ["ISTV submission", "ISB 1594"],
            ["site_code", "RJ122"],
            ["reporting_period_start", "2023-01-01"],
            ["reporting_period_end", "2023-01-31"],
            ["record_count", str(len(recs))],
            [],
            [
                "arrival_datetime",
                "assault_datetime",
                "assault_method",
                "assault_method_other_description",
                "assault_location_type",
                "assault_location_description",
            ],
            *recs,
        ]
        p = write_submission(tmp / "RJ122_2023-01.csv", rows)
        return Seed(kind, p.name, p.read_bytes())
    if kind == "ambulance_assaults":
        from vrkit.tasks.synth import synth_ambulance

        p = synth_ambulance(tmp, lsoas=6, months=3, seed=1)
        return Seed(kind, p.name, p.read_bytes())
    if kind == "dfe_exclusions":
        import zipfile

        rel, lines = DFE_SEED
        with zipfile.ZipFile(DATA / rel) as zf:
            name = next(n for n in zf.namelist() if not n.endswith(".meta.csv"))
            with zf.open(name) as fh:  # the header and the first national/regional/LA rows
                header = fh.readline()
                level = header.decode().strip().split(",").index("geographic_level")
                rows = []
                for raw in fh:
                    if raw.decode().split(",")[level] != "School":
                        rows.append(raw)
                    if len(rows) == lines:
                        break
                head = header + b"".join(rows)
        return Seed(kind, Path(name).name, head)
    if kind == "lookup_lsoa11_lsoa21_lad22":
        # not in the shared data (ONS download): eight best-fit rows in the published layout,
        # including a 2011 LSOA that was renumbered in 2021
        lines = ["FID,LSOA11CD,LSOA11NM,LSOA21CD,LSOA21NM,LAD22CD,LAD22NM,LAD22NMW"]
        for i in range(1, 9):
            c21 = f"E0103{2000 + i}" if i == 8 else f"E0100000{i}"
            lines.append(
                f"{i},E0100000{i},City of London 00{i}A,{c21},City of London 00{i}A,"
                "E09000001,City of London,"
            )
        return Seed(kind, "LSOA11_LSOA21_LAD22_best_fit.csv", ("\n".join(lines) + "\n").encode())
    raise AssertionError(f"no fuzzing seed for format {kind!r}: add one to {__file__}")


def _adapter(kind: str) -> SourceAdapter:
    return next(a for a in ADAPTERS if a.kind == kind)


def _snapshot(wh: Warehouse) -> dict[str, int]:
    return {t: int(wh.query(f"SELECT count(*) AS n FROM {t}")["n"][0]) for t in TABLES}


def _adds_up(frames: SourceFrames) -> None:
    rep = frames.report
    assert rep.rows_read == rep.rows_loaded + rep.rows_rejected, rep.summary()


def check_invariant(adapter: SourceAdapter, path: Path, wh: Warehouse) -> str:
    """Read and ingest ``path``; assert the harness invariant. Returns what happened."""
    with contextlib.suppress(VrkitError):
        _adds_up(adapter.read(path))  # the format's own adapter, no detection
    try:
        frames: SourceFrames | None = read_file(path)  # detection, as ingest does
    except VrkitError:
        frames = None
    else:
        _adds_up(frames)
    before = _snapshot(wh)
    try:
        res = wh.ingest(path, force=True)
    except VrkitError:
        assert _snapshot(wh) == before, "a refused file changed the warehouse"
        return "refused"
    assert frames is not None, "ingest loaded a file that read_file refused"
    for table, frame in frames.tables.items():
        n = frame.num_rows if hasattr(frame, "num_rows") else len(frame)
        got = wh.query(f"SELECT count(*) AS n FROM {table} WHERE dataset_id = ?", [res.dataset_id])
        assert int(got["n"][0]) == n, f"{table}: {int(got['n'][0])} rows stored of {n}"
    return res.status


def test_every_format_has_a_seed_and_the_seeds_load(tmp_path: Path) -> None:
    """The unmutated seeds are valid files of their format (so mutations start from valid)."""
    with Warehouse(":memory:") as wh:
        for kind in KINDS:
            s = seed(kind, tmp_path)
            p = tmp_path / "seeds" / s.name
            p.parent.mkdir(exist_ok=True)
            p.write_bytes(gzip.compress(s.content, mtime=0) if s.gz else s.content)
            assert read_file(p).report.source_kind == kind
            assert check_invariant(_adapter(kind), p, wh) == "loaded"


@pytest.fixture(scope="module")
def seed_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-seeds")


@pytest.mark.parametrize("kind", KINDS)
def test_fuzz_adapter(kind: str, seed_dir: Path, tmp_path: Path) -> None:
    s = seed(kind, seed_dir)
    adapter = _adapter(kind)
    wh = Warehouse(":memory:")
    counter = iter(range(10**9))

    @given(data=mutated(s))
    def run(data: bytes) -> None:
        folder = tmp_path / str(next(counter))
        folder.mkdir()
        p = folder / s.name
        p.write_bytes(data)
        check_invariant(adapter, p, wh)

    try:
        run()
    finally:
        wh.close()


@given(name=st.text(min_size=1, max_size=40).filter(lambda n: "/" not in n and "\x00" not in n))
def test_fuzz_file_names(
    name: str, seed_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Any file name (glob characters, control characters, a formula) names only that file."""
    s = seed("police_uk_street", seed_dir)
    folder = tmp_path_factory.mktemp("names")
    p = folder / (name.strip(".") or "x")
    try:
        p.write_bytes(s.content)
    except OSError:  # a name the file system refuses (too long in bytes, ...)
        return
    (folder / "2020-06-city-of-london-street.csv").write_bytes(s.content)  # a glob could read it
    with Warehouse(":memory:") as wh:
        status = check_invariant(_adapter("police_uk_street"), p, wh)
        if status == "loaded":
            assert wh.query("SELECT count(*) AS n FROM crime_record")["n"][0] == 39

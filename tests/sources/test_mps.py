"""Tests of the MPS aggregate adapters on the real shared data and on bad inputs.

Sums are checked against an independent reading of each file with the :mod:`csv` module, and
London totals against the figures verified in ``shared/data/PROVENANCE.md`` §1–4.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import vrkit
from vrkit.errors import DataValidationError, SourceError
from vrkit.sources.base import SourceFrames
from vrkit.sources.mps import ADAPTERS as MPS_ADAPTERS
from vrkit.sources.registry import detect_adapter
from vrkit.store.schema import TABLES
from vrkit.store.warehouse import Warehouse

REPO_ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    d = vrkit.get_settings().data_dir
    return d if d.is_absolute() else (REPO_ROOT / d).resolve()


DATA = _data_dir()
FOLDERS = (
    "mps_crime_borough",
    "mps_crime_ward",
    "mps_crime_ward_annual_derived",
    "mps_crime_lsoa_annual_derived",
)
MPS_FILES = sorted(f for folder in FOLDERS for f in (DATA / folder).rglob("*.csv*"))
needs_data = pytest.mark.skipif(not MPS_FILES, reason=f"shared data not found under {DATA}")

HIST_2023 = (
    DATA
    / "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv"
)
REL_2021 = (
    DATA / "mps_crime_borough/2010-04_to_2021-09_historical_2021_release/BoroughLevelCrime.csv"
)
F_1218 = DATA / "mps_crime_borough/2018-12_to_2020-11/MPS Borough Level Crime 1218-1120.csv"
F_24M = (
    DATA
    / "mps_crime_borough/2019-01_to_2020-12/MPS Borough Level Crime (most recent 24 months).csv"
)
WARD_2020 = DATA / "mps_crime_ward/2020-01_to_2021-12/MPS Ward Level_Crime_2020-2021.csv.gz"
WARD_2021_09 = (
    DATA / "mps_crime_ward/2021-09_to_2023-08/MPS Ward Level Crime (most recent 24 months).csv.gz"
)
WARD_ANNUAL = DATA / "mps_crime_ward_annual_derived/London.Crime.ByWard_2011-2022.csv.gz"
LSOA = DATA / "mps_crime_lsoa_annual_derived"


def expected_kind(path: Path) -> str:
    """The adapter kind a shared-data file must be detected as, from its folder."""
    rel = path.relative_to(DATA).as_posix()
    if rel.startswith("mps_crime_borough/2008-01_to_2018-12_old_categories/"):
        return "mps_borough_monthly_old"
    return {
        "mps_crime_borough": "mps_borough_monthly",
        "mps_crime_ward": "mps_ward_monthly",
        "mps_crime_ward_annual_derived": "mps_ward_annual_derived",
        "mps_crime_lsoa_annual_derived": "mps_lsoa_annual_derived",
    }[rel.split("/")[0]]


def _rows(path: Path) -> Iterator[list[str]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:  # type: ignore[operator]
        yield from csv.reader(fh)


def file_count_sum(path: Path) -> int:
    """Sum of every count cell, read independently with the csv module.

    Count cells are the ``YYYYMM`` columns (monthly files), the ``YYYY`` columns (derived LSOA)
    or the ``YearYYYY_<minor>`` columns (derived ward; ``TotalYYYY`` and ``NA`` cells skipped).
    """
    rows = _rows(path)
    header = next(rows)
    idx = [
        i
        for i, c in enumerate(header)
        if (c.isdigit() and len(c) in (4, 6)) or c.startswith("Year")
    ]
    total = 0
    for row in rows:
        for i in idx:
            v = row[i].strip()
            if v not in ("", "NA"):
                total += int(float(v))
    return total


@pytest.fixture(scope="module")
def frames() -> dict[Path, SourceFrames]:
    """Every MPS file read once (no store)."""
    if not MPS_FILES:
        pytest.skip(f"shared data not found under {DATA}")
    return {p: detect_adapter(p).read(p) for p in MPS_FILES}


def _long(fr: SourceFrames) -> pd.DataFrame:
    return fr.tables.get("crime_count_release", fr.tables.get("crime_count_annual"))


def london(
    fr: SourceFrames, year: int, *, major: str | None = None, minor: str | None = None
) -> int:
    """London total for a calendar year (sum of every area, incl. pseudo-areas)."""
    t = _long(fr)
    if "month" in t.columns:
        t = t[pd.to_datetime(t["month"]).dt.year == year]
    else:
        t = t[t["year"] == year]
    if major is not None:
        t = t[t["offence_major"].str.lower() == major.lower()]
    if minor is not None:
        t = t[t["offence_minor"].str.lower() == minor.lower()]
    return int(t["count"].sum())


# -- every real file -------------------------------------------------------------------------------


@needs_data
def test_all_expected_files_are_present() -> None:
    assert len(MPS_FILES) == 8 + 4 + 1 + 13


@needs_data
@pytest.mark.parametrize("path", MPS_FILES, ids=lambda p: p.relative_to(DATA).as_posix())
def test_detected_loaded_and_summing_to_the_file(
    path: Path, frames: dict[Path, SourceFrames]
) -> None:
    assert detect_adapter(path).kind == expected_kind(path)
    fr = frames[path]
    rows = sum(1 for _ in _rows(path)) - 1
    assert fr.report.source_kind == expected_kind(path)
    assert fr.report.rows_read == fr.report.rows_loaded == rows
    assert fr.report.rows_rejected == 0
    long = _long(fr)
    assert int(long["count"].sum()) == file_count_sum(path)
    if "month" in long.columns:  # every row × every month, zeros kept
        n_months = long["month"].nunique()
        assert len(long) == rows * n_months


# -- London totals (PROVENANCE §1–4) ---------------------------------------------------------------

VAP = "Violence Against the Person"


@needs_data
def test_historical_2023_london_totals(frames: dict[Path, SourceFrames]) -> None:
    fr = frames[HIST_2023]
    assert london(fr, 2019, major=VAP) == 222_064
    assert london(fr, 2019, minor="Violence with Injury") == 77_500
    assert london(fr, 2019, minor="Violence without Injury") == 144_411
    assert london(fr, 2019, minor="Homicide") == 153
    assert london(fr, 2019, major="Robbery") == 39_933
    assert london(fr, 2019, major="Possession of Weapons") == 7_374
    assert london(fr, 2019) == 920_606
    assert london(fr, 2020, major=VAP) == 220_134
    # caveat: excluding the airports and "Unknown", 2019 VAP is 217,863
    t = _long(fr)
    real = fr.tables["crime_count_release"][~t["area_code"].str.startswith("MPS-")]
    sub = SourceFrames(report=fr.report, tables={"crime_count_release": real})
    assert london(sub, 2019, major=VAP) == 217_863


@needs_data
def test_other_release_london_totals(frames: dict[Path, SourceFrames]) -> None:
    assert london(frames[REL_2021], 2019, major=VAP) == 222_108
    assert london(frames[REL_2021], 2020, minor="Homicide") == 133
    assert london(frames[F_1218], 2019, major=VAP) == 222_046
    ward = frames[WARD_2020]
    assert london(ward, 2020, major=VAP) == 216_943
    assert london(ward, 2020) == 780_197
    assert set(_long(ward)["area_type"]) == {"ward"}  # wards only, no airport rows


@needs_data
def test_derived_ward_annual(frames: dict[Path, SourceFrames]) -> None:
    fr = frames[WARD_ANNUAL]
    assert london(fr, 2019, major=VAP) == 217_873
    assert london(fr, 2019, major="Robbery") == 39_126
    t = _long(fr)
    y2022 = t[t["year"] == 2022]
    assert len(y2022) and y2022["excluded"].all()
    # cells with a count carry the partial-year reason (NA cells carry the NA reason)
    assert y2022["count"].notna().sum() > 0
    assert (
        y2022.loc[y2022["count"].notna(), "exclusion_reason"].str.contains("only Jan–Mar")
    ).all()
    assert any("2022 is a partial year" in e for e in fr.report.exclusions)
    na = t[t["count"].isna()]
    assert len(na) and na["excluded"].all()  # NA is missing, not zero
    assert not t.loc[(t["year"] == 2019) & t["count"].notna(), "excluded"].any()


@needs_data
def test_derived_lsoa_annual(frames: dict[Path, SourceFrames]) -> None:
    violence = frames[LSOA / "london-2011-2021-major-violence.csv"]
    robbery = frames[LSOA / "london-2011-2021-major-robbery.csv"]
    assert london(violence, 2019) == 217_874
    assert london(robbery, 2019) == 38_607
    for path in LSOA.glob("*.csv"):
        t = _long(frames[path])
        y2020 = t[t["year"] == 2020]
        assert len(y2020) == 4829 and y2020["excluded"].all()
        assert y2020["exclusion_reason"].notna().all()
    v = _long(violence)
    assert v.loc[v["year"] == 2020, "exclusion_reason"].str.contains("2020 column is wrong").all()
    assert london(violence, 2020) == 247_802  # the known-wrong figure, kept but flagged
    assert not v.loc[v["year"] != 2020, "excluded"].any()


@needs_data
def test_all_zero_derived_file_is_flagged(frames: dict[Path, SourceFrames]) -> None:
    sexual = frames[LSOA / "london-2011-2021-major-sexual.csv"]
    t = _long(sexual)
    assert int(t["count"].sum()) == 0 and t["excluded"].all()
    assert any("every cell is 0" in e for e in sexual.report.exclusions)


@needs_data
def test_pseudo_areas_are_kept_as_areas(frames: dict[Path, SourceFrames]) -> None:
    hist = frames[HIST_2023]
    areas = hist.tables["area"].set_index("area_code")["area_name"].to_dict()
    assert areas == {
        "MPS-AIRPORTS": "London Heathrow and London City Airports",
        "MPS-UNKNOWN": "Unknown",
    }
    t = _long(hist)
    assert t["area_code"].nunique() == 34
    assert london(hist, 2019) == int(
        t.loc[pd.to_datetime(t["month"]).dt.year == 2019, "count"].sum()
    )
    ward = frames[WARD_2021_09]
    wt = _long(ward)
    so18 = wt[wt["scope_code"] == "MPS-SO18"]
    assert len(so18) and set(so18["area_code"]) == {"MPS-SO18"}
    assert set(so18["area_type"]) == {"pseudo"}
    assert "MPS-SO18" in set(ward.tables["area"]["area_code"])
    assert int(wt["count"].sum()) == file_count_sum(WARD_2021_09)  # SO18 rows count


# -- bad inputs ------------------------------------------------------------------------------------

HEADER = "MajorText,MinorText,LookUp_BoroughName,201901,201902,201903"
GOOD = [
    "Robbery,Robbery of Personal Property,Camden,10,12,9",
    "Violence Against the Person,Homicide,Camden,0,1,0",
    "Robbery,Robbery of Personal Property,Barking and Dagenham,3,4,5",
    "Robbery,Robbery of Personal Property,London Heathrow and London City Airports,1,0,2",
]
WARD_HEADER = "MajorText,MinorText,WardName,WardCode,LookUp_BoroughName,202001,202002"
WARD_GOOD = "Robbery,Robbery of Personal Property,Abbey,E05000026,Barking and Dagenham,1,2"


def _csv(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def snapshot(wh: Warehouse) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent content hash of every table."""
    out = {}
    for table in TABLES:
        n, h = wh.con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} t"
        ).fetchone()
        out[table] = (int(n), int(h))
    return out


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """A warehouse file holding one small valid MPS file (bad inputs must leave it unchanged)."""
    d = tmp_path_factory.mktemp("bad_inputs")
    good = d / "good.csv"
    good.write_bytes(_csv([HEADER, *GOOD]))
    wh = Warehouse(d / "wh.duckdb")
    assert wh.ingest(good).status == "loaded"
    yield wh
    wh.close()


def _gz_truncated() -> bytes:
    big = [HEADER] + [f"Robbery,Minor {i},Camden,1,2,3" for i in range(30_000)]
    gz = gzip.compress(_csv(big))
    return gz[: len(gz) * 2 // 3]


BAD_INPUTS: list[tuple[str, str, bytes, type[Exception], str]] = [
    (
        "truncated",
        "trunc.csv",
        _csv([HEADER, *GOOD])[:-6],
        DataValidationError,
        r"trunc\.csv, line 5: expected 6 fields as in the header, found 4",
    ),
    (
        "wrong_encoding",
        "cp1252.csv",
        _csv([HEADER, GOOD[0]]) + "Robbery,Theft £5,Camden,1,2,3\n".encode("cp1252"),
        SourceError,
        r"cp1252\.csv: line 3: not valid utf-8",
    ),
    (
        "renamed_column",
        "renamed.csv",
        _csv([HEADER.replace("LookUp_BoroughName", "Borough Name"), *GOOD]),
        DataValidationError,
        r"renamed\.csv, line 1, column 'LookUp_BoroughName\|BoroughName': looks like a "
        r"mps_borough_monthly file .* missing or renamed",
    ),
    (
        "non_numeric_count",
        "nonnum.csv",
        _csv([HEADER, GOOD[0], "Robbery,Business,Camden,1,x,3"]),
        DataValidationError,
        r"nonnum\.csv, line 3, column '201902': counts must be whole numbers.*\(got 'x'\)",
    ),
    (
        "negative_count",
        "neg.csv",
        _csv([HEADER, GOOD[0], "Robbery,Business,Camden,1,2,-3"]),
        DataValidationError,
        r"neg\.csv, line 3, column '201903': counts must be whole numbers",
    ),
    (
        "month_not_yyyymm",
        "month.csv",
        _csv([HEADER.replace("201902", "Feb-19"), *GOOD]),
        DataValidationError,
        r"month\.csv, line 1, column 'Feb-19': month columns must be YYYYMM",
    ),
    (
        "month_13",
        "month13.csv",
        _csv([HEADER.replace("201902", "201913"), *GOOD]),
        DataValidationError,
        r"month13\.csv, line 1, column '201913': month columns must be YYYYMM",
    ),
    (
        "unknown_borough",
        "borough.csv",
        _csv([HEADER, *GOOD, "Robbery,Business,Gotham,1,2,3"]),
        DataValidationError,
        r"borough\.csv, line 6, column 'LookUp_BoroughName': unknown London borough.*'Gotham'",
    ),
    (
        "unknown_ward_code",
        "ward.csv",
        _csv([WARD_HEADER, WARD_GOOD, "Robbery,Business,Nowhere,X0500002,Barnet,1,2"]),
        DataValidationError,
        r"ward\.csv, line 3, column 'WardCode': ward code must be an ONS ward code.*'X0500002'",
    ),
    (
        "duplicated_row",
        "dup.csv",
        _csv([HEADER, *GOOD, GOOD[1]]),
        DataValidationError,
        r"dup\.csv, line 6, column 'MinorText': duplicated row: the same LookUp_BoroughName \+ MajorText \+ MinorText appears again \(first on line \d\).*Violence Against the Person \| Homicide",
    ),
    ("empty", "empty.csv", b"", SourceError, r"empty\.csv: the file is empty"),
    (
        "header_only",
        "header.csv",
        _csv([HEADER]),
        SourceError,
        r"header\.csv: the file has a header but no data rows",
    ),
    (
        "png",
        "image.csv",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
        SourceError,
        r"image\.csv: unrecognised format \(no CSV header: line 3 holds a NUL byte, not a CSV",
    ),
    (
        "text_not_csv",
        "notes.csv",
        b"Dear colleague\nplease find attached\n",
        SourceError,
        r"notes\.csv: unrecognised format",
    ),
    (
        "truncated_gz",
        "big.csv.gz",
        _gz_truncated(),
        SourceError,
        r"big\.csv\.gz: cannot read file: Compressed file ended",
    ),
]


@needs_data
@pytest.mark.parametrize(
    ("name", "data", "error", "match"),
    [(f, d, e, m) for _, f, d, e, m in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_is_refused_and_warehouse_unchanged(
    name: str,
    data: bytes,
    error: type[Exception],
    match: str,
    loaded: Warehouse,
    tmp_path: Path,
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    before = snapshot(loaded)
    with pytest.raises(error, match=match):
        loaded.ingest(path)
    assert snapshot(loaded) == before


def test_missing_column_after_detection_names_it(tmp_path: Path) -> None:
    """Read directly, a borough file without its borough column names the missing column."""
    path = tmp_path / "noborough.csv"
    path.write_bytes(_csv([HEADER.replace("LookUp_BoroughName", "Borough Name"), *GOOD]))
    adapter = next(a for a in MPS_ADAPTERS if a.kind == "mps_borough_monthly")
    with pytest.raises(
        DataValidationError,
        match=r"noborough\.csv, line 1, column 'LookUp_BoroughName': a required column is missing",
    ):
        adapter.read(path)


def test_small_valid_file_reads_long_with_zeros(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_bytes(_csv([HEADER, *GOOD]))
    fr = detect_adapter(path).read(path)
    t = fr.tables["crime_count_release"]
    assert len(t) == 4 * 3 and int(t["count"].sum()) == 47 == file_count_sum(path)
    assert (t["count"] == 0).sum() == 3  # zeros are real counts, kept
    assert set(t["area_code"]) == {"E09000007", "E09000002", "MPS-AIRPORTS"}
    assert fr.replace_key == ("scope_code", "month")


def test_renamed_ward_code_column_is_named(tmp_path: Path) -> None:
    """A ward file whose WardCode column was renamed is explained, not 'unrecognised'."""
    f = tmp_path / "ward.csv"
    f.write_text(
        "MajorText,MinorText,WardName,Ward Code,LookUp_BoroughName,202001\n"
        "Robbery,Robbery of Personal Property,Abbey,E05000026,Barking and Dagenham,3\n"
    )
    with pytest.raises(
        DataValidationError,
        match=r"ward\.csv, line 1, column 'WardCode': looks like a mps_ward_monthly file",
    ):
        detect_adapter(f)

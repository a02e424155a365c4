"""Tests of the DuckDB warehouse with the real MPS borough files: release replacement,
idempotency and atomicity (including a load killed part-way)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import vrkit
from vrkit.errors import DataValidationError
from vrkit.sources.registry import detect_adapter
from vrkit.store.schema import TABLES
from vrkit.store.warehouse import Warehouse

REPO_ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    d = vrkit.get_settings().data_dir
    return d if d.is_absolute() else (REPO_ROOT / d).resolve()


BOROUGH = _data_dir() / "mps_crime_borough"
BOROUGH_FILES = sorted(BOROUGH.rglob("*.csv"))
HIST_2023 = BOROUGH / "2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv"
F_24M = BOROUGH / "2019-01_to_2020-12/MPS Borough Level Crime (most recent 24 months).csv"
F_2023_03 = BOROUGH / "2023-03_to_2025-02/MPS Borough Level Crime (most recent 24 months).csv"
F_2024 = BOROUGH / "2024-01_to_2025-12/MPS Borough Level Crime (most recent 24 months).csv"

pytestmark = pytest.mark.skipif(not BOROUGH_FILES, reason=f"shared data not found at {BOROUGH}")

KIND = "mps_borough_monthly"


def snapshot(wh: Warehouse) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent content hash of every table."""
    out = {}
    for table in TABLES:
        row = wh.con.execute(
            f"SELECT count(*), coalesce(sum(hash(t)), 0) FROM {table} t"
        ).fetchone()
        assert row is not None
        out[table] = (int(row[0]), int(row[1]))
    return out


def current_counts(wh: Warehouse) -> pd.DataFrame:
    """crime_count with the file each figure comes from (dataset ids depend on load order)."""
    return wh.query(
        """SELECT c.source_kind, c.scope_code, c.area_code, c.area_type, c.month,
                  c.offence_major, c.offence_minor, c.count, d.file_path
           FROM crime_count c JOIN dataset d USING (dataset_id)
           ORDER BY ALL"""
    )


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """Every borough file loaded, in sorted order, into one warehouse file."""
    w = Warehouse(tmp_path_factory.mktemp("wh") / "borough.duckdb")
    for p in BOROUGH_FILES:
        assert w.ingest(p).status == "loaded"
    yield w
    w.close()


# -- release replacement ---------------------------------------------------------------------------


def test_2019_comes_from_the_newest_release_covering_it(wh: Warehouse) -> None:
    got = wh.query(
        """SELECT area_code, month, offence_major, offence_minor, count FROM crime_count
           WHERE source_kind = ? AND year(month) = 2019 ORDER BY ALL""",
        [KIND],
    )
    frame = detect_adapter(HIST_2023).read(HIST_2023).tables["crime_count_release"]
    frame = frame[pd.to_datetime(frame["month"]).dt.year == 2019]
    want = (
        frame[["area_code", "month", "offence_major", "offence_minor", "count"]]
        .assign(month=lambda f: pd.to_datetime(f["month"]))
        .sort_values(["area_code", "month", "offence_major", "offence_minor", "count"])
        .reset_index(drop=True)
    )
    got["month"] = pd.to_datetime(got["month"])
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert int(got.loc[got["offence_major"] == "VIOLENCE AGAINST THE PERSON", "count"].sum()) == (
        222_064
    )


def test_registry_shows_which_release_each_month_comes_from(wh: Warehouse) -> None:
    src = wh.query(
        """SELECT strftime(month, '%Y-%m') AS m, list(DISTINCT d.file_path) AS files
           FROM crime_count c JOIN dataset d USING (dataset_id)
           WHERE c.source_kind = ? GROUP BY 1 ORDER BY 1""",
        [KIND],
    ).set_index("m")["files"]
    assert all(len(f) == 1 for f in src)
    owner = src.map(lambda f: Path(f[0]).name + "@" + Path(f[0]).parent.name)
    hist = f"{HIST_2023.name}@{HIST_2023.parent.name}"
    assert owner.index[0] == "2010-04" and owner.index[-1] == "2025-12"
    assert set(owner["2010-04":"2023-02"]) == {hist}
    assert set(owner["2023-03":"2023-12"]) == {f"{F_2023_03.name}@{F_2023_03.parent.name}"}
    assert set(owner["2024-01":"2025-12"]) == {f"{F_2024.name}@{F_2024.parent.name}"}
    assert len(owner) == 189  # Apr 2010 to Dec 2025, continuous
    old = wh.query(
        "SELECT min(month) lo, max(month) hi FROM crime_count WHERE source_kind = ?",
        ["mps_borough_monthly_old"],
    ).iloc[0]
    assert (str(old["lo"])[:7], str(old["hi"])[:7]) == ("2008-01", "2018-12")


def test_reverse_load_order_gives_the_same_crime_count(
    wh: Warehouse, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with Warehouse(tmp_path_factory.mktemp("rev") / "rev.duckdb") as rev:
        for p in reversed(BOROUGH_FILES):
            rev.ingest(p)
        pd.testing.assert_frame_equal(current_counts(rev), current_counts(wh))


def test_release_table_keeps_every_release(wh: Warehouse) -> None:
    per = wh.query(
        """SELECT d.file_path, sum(r.count) AS n FROM crime_count_release r
           JOIN dataset d USING (dataset_id) GROUP BY 1"""
    )
    assert len(per) == len(BOROUGH_FILES) == len(wh.datasets())
    # revisions between releases are computable: 2019 VAP per release (PROVENANCE §1)
    rev = wh.query(
        """SELECT d.file_name, sum(r.count) AS vap FROM crime_count_release r
           JOIN dataset d USING (dataset_id)
           WHERE year(r.month) = 2019 AND upper(r.offence_major) = 'VIOLENCE AGAINST THE PERSON'
             AND d.covers_from <= DATE '2019-01-01' AND d.covers_to >= DATE '2019-12-01'
           GROUP BY 1"""
    ).set_index("file_name")["vap"]
    assert rev["MPS Borough Level Crime (Historical).csv"] == 222_064
    assert rev["BoroughLevelCrime.csv"] == 222_108
    assert rev["MPS Borough Level Crime 1218-1120.csv"] == 222_046
    assert rev["MPS Borough Level Crime 0918-0820.csv"] == 222_017


# -- idempotency -----------------------------------------------------------------------------------


def test_same_file_twice_changes_nothing(wh: Warehouse) -> None:
    before = snapshot(wh)
    n_datasets = len(wh.datasets())
    res = wh.ingest(F_24M)
    assert res.status == "unchanged" and res.report is None
    assert snapshot(wh) == before
    assert len(wh.datasets()) == n_datasets


# -- atomicity -------------------------------------------------------------------------------------


def test_bad_cell_in_row_500_refuses_the_file(wh: Warehouse, tmp_path: Path) -> None:
    lines = F_24M.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    col = header.index("201906")
    fields = lines[500].split(",")  # data row 500 = physical line 501
    assert len(fields) == len(header)  # no quoted commas on this row
    fields[col] = "n/a"
    lines[500] = ",".join(fields)
    bad = tmp_path / "row500.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = snapshot(wh)
    with pytest.raises(DataValidationError, match=r"row500\.csv, line 501, column '201906'") as exc:
        wh.ingest(bad)
    assert exc.value.row == 501 and exc.value.column == "201906"
    assert snapshot(wh) == before


_KILLED_LOAD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from vrkit.store.warehouse import Warehouse

    store, big, marker = sys.argv[1:4]
    name = "_replace_rows" if hasattr(Warehouse, "_replace_rows") else "_insert"
    original = getattr(Warehouse, name)

    def slow(self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        Path(marker).write_text("inserted")
        time.sleep(120)
        return result

    setattr(Warehouse, name, slow)
    Warehouse(store).ingest(big)
    """
)


def _big_ward_file(path: Path, rows: int = 20_000, months: int = 48) -> None:
    cols = [f"{2018 + m // 12}{m % 12 + 1:02d}" for m in range(months)]
    header = "MajorText,MinorText,WardName,WardCode,LookUp_BoroughName," + ",".join(cols)
    counts = ",".join(str(m % 7) for m in range(months))
    body = [
        f"Theft,Minor {i % 40},Ward {i // 40},E05{100000 + i // 40:06d},Camden,{counts}"
        for i in range(rows)
    ]
    path.write_text(header + "\n" + "\n".join(body) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_load_killed_part_way_leaves_the_warehouse_as_before(tmp_path: Path) -> None:
    store = tmp_path / "killed.duckdb"
    with Warehouse(store) as w:
        w.ingest(F_24M)
        before = snapshot(w)
    big = tmp_path / "big ward.csv"
    _big_ward_file(big)
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_LOAD, str(store), str(big), str(marker)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while not marker.exists():
            if proc.poll() is not None:
                _out, err = proc.communicate()
                pytest.fail(f"loader exited early ({proc.returncode}): {err.decode()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("loader never reached its first insert")
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with Warehouse(store) as w:
        assert snapshot(w) == before
        assert (
            w.query("SELECT count(*) n FROM crime_count_release WHERE area_type='ward'").n[0] == 0
        )
        # and the warehouse still works: the same file now loads completely
        res = w.ingest(big)
        assert res.status == "loaded"
        assert w.query("SELECT sum(count) s FROM crime_count_release WHERE area_type='ward'").s[
            0
        ] == (20_000 * sum(m % 7 for m in range(48)))

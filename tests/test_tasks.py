"""The task layer from a notebook: every command is one call of ``vrkit``; results have frames,
dicts and writers that go through the one output check."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import vrkit
from vrkit import get_settings
from vrkit.errors import InputError, StorageError
from vrkit.outputs import is_duckdb_file, output_file, output_folder

BOROUGH_FILE = (
    "mps_crime_borough/2019-01_to_2020-12/MPS Borough Level Crime (most recent 24 months).csv"
)


@pytest.fixture(scope="module")
def wh_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tasks") / "w.duckdb"
    with vrkit.Warehouse(path) as wh:
        summary = vrkit.ingest(wh, [get_settings().data_dir / BOROUGH_FILE])
    assert not summary.failed and len(summary.loaded) == 1
    return path


def test_ingest_summary_frame_and_dict(tmp_path: Path) -> None:
    with vrkit.Warehouse(tmp_path / "w.duckdb") as wh:
        s = vrkit.ingest(wh, [get_settings().data_dir / BOROUGH_FILE])
        again = vrkit.ingest(wh, [get_settings().data_dir / BOROUGH_FILE])
    f = s.to_frame()
    assert f[["status", "rows_read", "rows_loaded", "rows_rejected"]].iloc[0].tolist() == [
        "loaded",
        1556,
        1556,
        0,
    ]
    assert again.to_frame()["status"].tolist() == ["unchanged"]
    d = s.to_dict()
    assert d["failed"] == 0 and d["files"][0]["kind"] == "mps_borough_monthly"
    with vrkit.Warehouse(tmp_path / "w2.duckdb") as wh, pytest.raises(InputError, match="nothing"):
        vrkit.ingest(wh, [])


def test_trend_is_the_same_call_as_the_command(wh_path: Path) -> None:
    with vrkit.Warehouse(wh_path, read_only=True) as wh:
        res = vrkit.trend(wh, "violence_with_injury", area="lambeth")
    assert isinstance(res, vrkit.TrendResult) and res.area.name == "Lambeth"
    frame = res.to_frame()
    y2020 = frame.set_index("period").loc["2020"]
    assert y2020["months"] == 12 and y2020["total"] > 0
    assert json.loads(res.render("json"))[1]["period"] == "2020"
    assert res.render("csv").splitlines()[0].startswith("area_code,period,total")


def test_write_goes_through_the_output_check(wh_path: Path, tmp_path: Path) -> None:
    with vrkit.Warehouse(wh_path, read_only=True) as wh:
        res = vrkit.trend(wh, "robbery")
    out = res.write(tmp_path / "t.json")
    assert json.loads(out.read_text())[0]["area_code"] == "E61000001"
    with pytest.raises(InputError, match="already exists"):
        res.write(out)
    res.write(out, force=True)
    with pytest.raises(InputError, match="never writes over"):
        res.write(wh_path, "csv", force=True)
    with pytest.raises(InputError, match="unknown --format value 'pdf'"):
        res.write(tmp_path / "t.pdf")
    assert res.write(tmp_path / "t.xlsx").stat().st_size > 0
    assert pd.read_excel(tmp_path / "t.xlsx")["area_code"].iloc[0] == "E61000001"


def test_output_checks(tmp_path: Path) -> None:
    with vrkit.Warehouse(tmp_path / "w.duckdb"):
        pass
    assert is_duckdb_file(tmp_path / "w.duckdb")
    (tmp_path / "w.duckdb.wal").write_bytes(b"log")
    for target in (tmp_path / "w.duckdb", tmp_path / "w.duckdb.wal"):
        with pytest.raises(InputError, match="DuckDB database"):
            output_file(target, force=True)
    with pytest.raises(InputError, match="is a folder"):
        output_file(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        output_file(tmp_path / "no" / "x.csv")
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(InputError, match="is a file, not a folder"):
        output_folder(tmp_path / "a.txt", [])
    folder = output_folder(tmp_path / "new" / "deep", ["r.html"], create=False)
    assert not folder.exists()
    assert output_folder(tmp_path / "new" / "deep", ["r.html"]).is_dir()


def test_warehouse_open_checks(tmp_path: Path) -> None:
    csv = tmp_path / "data.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(StorageError, match="not a DuckDB database"):
        vrkit.Warehouse(csv)
    assert csv.read_text() == "a,b\n1,2\n"
    with pytest.raises(StorageError, match="looks like a data file"):
        vrkit.Warehouse(tmp_path / "new.parquet")
    with pytest.raises(StorageError, match="no warehouse at"):
        vrkit.Warehouse(tmp_path / "none.duckdb", read_only=True)
    with pytest.raises(StorageError, match="is a folder"):
        vrkit.Warehouse(tmp_path)


def test_alerts_result(wh_path: Path) -> None:
    with vrkit.Warehouse(wh_path, read_only=True) as wh:
        res = vrkit.alerts(wh, measure="violence_with_injury", month="2020-02")
    recs = res.to_dict()
    assert len(recs) == res.result.n_tested == 32
    assert {"area_code", "area_name", "sparkline", "p_value", "alert"} <= set(recs[0])
    assert len(res.to_frame()) == 32 and res.to_frame()["month"].iloc[0] == "2020-02"
    assert res.explanation is None  # every borough could be tested


def test_backtest_refuses_bad_spacing_before_reading(wh_path: Path) -> None:
    with vrkit.Warehouse(wh_path, read_only=True) as wh:
        with pytest.raises(InputError, match="--every must be at least 1"):
            vrkit.backtest(wh, every=0)
        with pytest.raises(InputError, match="--horizon must be 1–12"):
            vrkit.backtest(wh, horizon=13)


def test_listings() -> None:
    assert "mps_borough_monthly" in set(vrkit.formats().to_frame()["kind"])
    assert "violence_with_injury" in {r["id"] for r in vrkit.measures().to_dict()}
    assert "sports" in set(vrkit.profiles().to_frame()["profile"])
    assert vrkit.version().to_frame()["version"].iloc[0] == vrkit.__version__
    cat = vrkit.indicators().to_frame()
    assert cat.loc[cat["origin"] == "derived", "areas_loaded"].isna().all()


def test_synth_manifest_frame(tmp_path: Path) -> None:
    man = vrkit.synth_istv(tmp_path / "s", departments=2, months=2, seed=4, monthly_total=30)
    f = man.to_frame()
    assert len(f) == len(man.files) and f["malformed"].sum() == len(man.malformed)
    assert man.to_dict()["files"] == len(man.files)

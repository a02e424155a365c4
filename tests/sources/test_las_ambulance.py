"""LAS incidents by borough and month: both layouts, the Total row check, broken copies."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import vrkit
from vrkit.errors import DataValidationError
from vrkit.sources.las_ambulance import layout_offset, parse_month_label, read_las_ambulance
from vrkit.sources.registry import detect_adapter
from vrkit.store.warehouse import Warehouse

REPO_ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    d = vrkit.get_settings().data_dir
    return d if d.is_absolute() else (REPO_ROOT / d).resolve()


LAS = _data_dir() / "las_ambulance"
WOMEN = LAS / "assaults-women.csv"
KNIFE = LAS / "injuries-knife.csv"
needs_data = pytest.mark.skipif(not WOMEN.exists(), reason=f"shared data not found at {LAS}")


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return path


def _independent_totals(path: Path) -> dict[str, int]:
    """Month label → the file's own Total row (shifted one column left in the shared copy)."""
    rows = _rows(path)
    total = next(r for r in rows if len(r) > 1 and r[1] == "Total")
    return dict(zip(rows[0][3:], (int(v) for v in total[2:]), strict=True))


# -- the real files ------------------------------------------------------------------------------


@needs_data
@pytest.mark.parametrize(
    ("path", "iid", "grand"),
    [(WOMEN, "las_assaults_women", 49_250), (KNIFE, "las_knife_injuries", 7_345)],
)
def test_real_files_load_and_equal_their_total_row(path: Path, iid: str, grand: int) -> None:
    assert detect_adapter(path).kind == "las_ambulance_borough_monthly"
    fr = read_las_ambulance(path)
    v = fr.tables["indicator_value"]
    assert set(v["indicator_id"]) == {iid}
    assert v["area_code"].nunique() == 33 and set(v["area_code"].str[:3]) == {"E09"}
    assert "Total" not in set(v["area_code"])
    by_month = v.groupby("period_start")["value"].sum()
    want = _independent_totals(path)
    assert len(by_month) == len(want) == 49
    for (m, got), (label, total) in zip(by_month.items(), want.items(), strict=True):
        assert m.date() == parse_month_label(label)
        assert got == total
    assert int(v["value"].sum()) == grand
    rep = fr.report
    assert (rep.covers_from, rep.covers_to) == (date(2009, 6, 1), date(2013, 6, 1))
    assert rep.rows_loaded == 33 and rep.rows_rejected == 0
    assert any("shifted one column left" in n for n in rep.notes)
    assert any("holds only the row number '35'" in n for n in rep.notes)
    assert any("equals the sum of the 33 boroughs in all 49 months" in n for n in rep.notes)
    ind = fr.tables["indicator"]
    assert ind["indicator_id"].tolist() == [iid]
    assert "only through that name" in ind["description"].iloc[0]


@needs_data
def test_real_values_spot_check() -> None:
    v = read_las_ambulance(WOMEN).tables["indicator_value"]
    bd = v[(v["area_code"] == "E09000002") & (v["period_start"] == pd.Timestamp(2009, 6, 1))]
    assert bd["value"].tolist() == [31.0]  # Barking and Dagenham, Jun 2009 (line 2)
    assert bd["period_end"].tolist() == [pd.Timestamp(2009, 6, 30)]
    city = v[(v["area_code"] == "E09000001") & (v["period_start"] == pd.Timestamp(2009, 6, 1))]
    assert city["value"].tolist() == [5.0]


@needs_data
def test_datastore_layout_loads_the_same(tmp_path: Path) -> None:
    """The London Datastore layout: no index column, the Total row aligned under Borough."""
    rows = _rows(WOMEN)
    out = [rows[0][1:]]
    for r in rows[1:]:
        if len(r) > 1 and r[1] == "Total":
            out.append(["", "Total", *r[2:]])
        elif len(r) > 1:
            out.append(r[1:])
    p = _write(tmp_path / "assaults-women.csv", out)
    assert layout_offset(out[0]) == 0
    assert detect_adapter(p).kind == "las_ambulance_borough_monthly"
    got = read_las_ambulance(p)
    want = read_las_ambulance(WOMEN)
    assert got.tables["indicator_value"].equals(want.tables["indicator_value"])
    assert not any("shifted" in n for n in got.report.notes)


@needs_data
def test_real_files_into_warehouse_real_never_mixed_with_synthetic(tmp_path: Path) -> None:
    from vrkit.tasks.synth import synth_ambulance

    syn = synth_ambulance(tmp_path, lsoas=2, months=3, seed=1)
    with Warehouse(":memory:") as wh:
        for p in (WOMEN, KNIFE, syn):
            assert wh.ingest(p).status == "loaded"
        assert wh.ingest(WOMEN).status == "unchanged"
        ids = wh.query("SELECT indicator_id, source FROM indicator ORDER BY 1").values.tolist()
        assert [i for i, _ in ids] == [
            "ambulance_assault_callouts",
            "las_assaults_women",
            "las_knife_injuries",
        ]
        sources = dict(ids)
        assert "synthetic" in sources["ambulance_assault_callouts"].lower()
        assert "London Ambulance Service" in sources["las_assaults_women"]
        assert "synthetic" not in sources["las_knife_injuries"].lower()
        n = wh.query(
            "SELECT count(*) n, sum(value) s FROM indicator_value "
            "WHERE indicator_id = 'las_assaults_women'"
        ).iloc[0]
        assert (int(n["n"]), int(n["s"])) == (33 * 49, 49_250)
        assert wh.query("SELECT count(*) n FROM area WHERE area_code = 'Total'")["n"][0] == 0


# -- broken copies --------------------------------------------------------------------------------


@needs_data
def test_borough_edited_so_total_disagrees(tmp_path: Path) -> None:
    rows = _rows(WOMEN)
    rows[3][5] = str(int(rows[3][5]) + 1)  # Bexley, Aug 2009
    p = _write(tmp_path / "assaults-women.csv", rows)
    with pytest.raises(
        DataValidationError, match=r"line 35, column 'Aug 2009'.*Total row says"
    ) as e:
        read_las_ambulance(p)
    assert e.value.row == 35 and e.value.column == "Aug 2009"


@needs_data
@pytest.mark.parametrize(
    ("edit", "line", "column", "reason"),
    [
        (lambda r: r[6].__setitem__(10, ""), 7, "Jan 2010", "whole numbers"),
        (lambda r: r[6].__setitem__(10, "4.5"), 7, "Jan 2010", "whole numbers"),
        (lambda r: r[2].__setitem__(2, "Bexley"), 3, "Borough", "does not match code"),
        (lambda r: r[2].__setitem__(1, "E0900003"), 3, "Code", "GSS code"),
        (lambda r: r.__setitem__(3, [r[3][0], *r[2][1:]]), 4, "Code", "appears twice"),
        (lambda r: r[4].pop(), 5, None, "expected 52 fields"),
    ],
)
def test_broken_copy_is_refused_naming_line_and_column(
    tmp_path: Path, edit, line: int, column: str | None, reason: str
) -> None:
    rows = _rows(WOMEN)
    edit(rows)
    p = _write(tmp_path / "assaults-women.csv", rows)
    with pytest.raises(DataValidationError, match=reason) as e:
        read_las_ambulance(p)
    assert e.value.row == line and e.value.column == column
    assert str(p) in str(e.value)


@needs_data
def test_month_gap_in_header_is_refused(tmp_path: Path) -> None:
    rows = _rows(WOMEN)
    rows[0][5] = "Sep 2010"
    p = _write(tmp_path / "injuries-knife.csv", rows)
    with pytest.raises(DataValidationError, match="consecutive: expected Aug 2009") as e:
        read_las_ambulance(p)
    assert (e.value.row, e.value.column) == (1, "Sep 2010")


@needs_data
def test_a_name_that_does_not_say_what_is_counted_is_refused(tmp_path: Path) -> None:
    p = _write(tmp_path / "las-borough.csv", _rows(WOMEN))
    with pytest.raises(DataValidationError, match="only in the file name"):
        read_las_ambulance(p)


def test_small_file_without_total_row_loads_and_says_so(tmp_path: Path) -> None:
    p = _write(
        tmp_path / "injuries-knife.csv",
        [
            ["Code", "Borough", "Jan 2012", "Feb 2012"],
            ["E09000022", "Lambeth", "3", "0"],
            ["E09000028", "Southwark", "1", "2"],
        ],
    )
    fr = read_las_ambulance(p)
    assert fr.tables["indicator_value"]["value"].tolist() == [3.0, 0.0, 1.0, 2.0]
    assert any("no Total row" in n for n in fr.report.notes)
    assert any("not in the file: " in n and "Barnet" in n for n in fr.report.notes)

"""DfE exclusions by geographic level: the zip read directly, school rows kept out unless asked,
London = Inner + Outer London, broken copies refused."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import vrkit
from vrkit.errors import DataValidationError, SourceError
from vrkit.sources.dfe_exclusions import (
    COLUMNS,
    DfeExclusionsSchoolsAdapter,
    read_dfe_exclusions,
)
from vrkit.sources.registry import detect_adapter
from vrkit.store.warehouse import Warehouse
from vrkit.tasks.core_data import ingest_exclusion_schools

REPO_ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    d = vrkit.get_settings().data_dir
    return d if d.is_absolute() else (REPO_ROOT / d).resolve()


ZIP = _data_dir() / "dfe_exclusions" / "exclusions_by_geographic_level.zip"
needs_data = pytest.mark.skipif(not ZIP.exists(), reason=f"shared data not found at {ZIP}")


@pytest.fixture(scope="module")
def raw_rows() -> list[dict[str, str]]:
    """Every row of the zip's CSV, read independently with the csv module."""
    if not ZIP.exists():
        pytest.skip(f"shared data not found at {ZIP}")
    with zipfile.ZipFile(ZIP) as zf:
        text = zf.read("exclusions_by_geographic_level.csv").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def real() -> vrkit.SourceFrames:
    if not ZIP.exists():
        pytest.skip(f"shared data not found at {ZIP}")
    return read_dfe_exclusions(ZIP)


def _small_copy(tmp_path: Path, raw: list[dict[str, str]], schools: int = 20) -> list[list[str]]:
    """Header + every non-school row + the first ``schools`` school rows (a plain CSV)."""
    keep = [r for r in raw if r["geographic_level"] != "School"]
    keep += [r for r in raw if r["geographic_level"] == "School"][:schools]
    return [list(COLUMNS), *([r[c] for c in COLUMNS] for r in keep)]


def _write(tmp_path: Path, rows: list[list[str]], name: str = "exclusions.csv") -> Path:
    p = tmp_path / name
    with p.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    return p


# -- the real zip ----------------------------------------------------------------------------------


@needs_data
def test_zip_is_detected_and_read_directly(real: vrkit.SourceFrames) -> None:
    assert detect_adapter(ZIP).kind == "dfe_exclusions"
    rep = real.report
    assert rep.rows_read == 242_170
    assert rep.rows_loaded == 44 + 440 + 6636 - 24  # national, regional, LA with a GSS code
    assert (rep.covers_from, rep.covers_to) == (date(2006, 9, 1), date(2017, 8, 1))
    assert any("235,050 school-level rows not stored" in n for n in rep.notes)
    assert any("Bedfordshire (Pre LGR 2009)" in e for e in rep.exclusions)
    assert any("Cheshire (Pre LGR 2009)" in e for e in rep.exclusions)
    assert "school" not in set(real.tables)  # no area rows for schools
    assert not real.tables["indicator_value"]["area_code"].str.fullmatch(r"\d{7}").any()


@needs_data
def test_values_equal_the_csv(real: vrkit.SourceFrames, raw_rows: list[dict[str, str]]) -> None:
    v = real.tables["indicator_value"].set_index(["area_code", "indicator_id", "period_start"])
    checked = 0
    for r in raw_rows:
        if r["geographic_level"] != "Local authority" or not r["new_la_code"].startswith("E09"):
            continue
        suffix = {"Total": "", "State-funded secondary": "_secondary"}.get(r["school_type"])
        if suffix is None:
            continue
        start = pd.Timestamp(int(r["time_period"][:4]), 9, 1)
        for col in ("headcount", "perm_excl", "perm_excl_rate", "fixed_excl_rate"):
            key = (r["new_la_code"], f"dfe_{col}{suffix}", start)
            if r[col] in ("x", "."):
                assert key not in v.index  # suppressed: missing, not zero
            else:
                assert v.loc[key, "value"] == float(r[col])
            checked += 1
    assert checked == (33 + 32) * 11 * 4  # the City of London has no secondary school


@needs_data
def test_london_is_inner_plus_outer(
    real: vrkit.SourceFrames, raw_rows: list[dict[str, str]]
) -> None:
    reg = {
        (r["region_code"], r["time_period"]): r
        for r in raw_rows
        if r["geographic_level"] == "Regional" and r["school_type"] == "Total"
    }
    inner, outer = reg[("E13000001", "201617")], reg[("E13000002", "201617")]
    perm = int(inner["perm_excl"]) + int(outer["perm_excl"])
    pupils = int(inner["headcount"]) + int(outer["headcount"])
    v = real.tables["indicator_value"]
    lon = v[(v["area_code"] == "E12000007") & (v["period_start"] == pd.Timestamp(2016, 9, 1))]
    got = dict(zip(lon["indicator_id"], lon["value"], strict=True))
    assert got["dfe_perm_excl"] == perm == 1090
    assert got["dfe_headcount"] == pupils
    assert got["dfe_perm_excl_rate"] == pytest.approx(100 * perm / pupils)
    eng = v[(v["area_code"] == "E92000001") & (v["indicator_id"] == "dfe_perm_excl_rate")]
    assert eng.set_index("period_start")["value"][pd.Timestamp(2016, 9, 1)] == 0.10


@needs_data
def test_into_warehouse_and_schools_only_on_request(
    tmp_path: Path, raw_rows: list[dict[str, str]]
) -> None:
    p = _write(tmp_path, _small_copy(tmp_path, raw_rows, schools=30))
    with Warehouse(":memory:") as wh:
        assert wh.ingest(p).source_kind == "dfe_exclusions"
        n_school = wh.query("SELECT count(*) n FROM area WHERE area_type = 'school'")["n"][0]
        assert n_school == 0
        res = ingest_exclusion_schools(wh, p)
        assert (res.source_kind, res.status) == ("dfe_exclusions_schools", "loaded")
        areas = wh.query("SELECT area_code, parent_code FROM area WHERE area_type = 'school'")
        schools = [r for r in raw_rows if r["geographic_level"] == "School"][:30]
        assert sorted(areas["area_code"]) == sorted({r["laestab"] for r in schools})
        stored = wh.query(
            "SELECT sum(value) s FROM indicator_value WHERE indicator_id LIKE 'dfe_headcount%' "
            "AND area_code IN (SELECT area_code FROM area WHERE area_type = 'school')"
        )["s"][0]
        assert stored == pytest.approx(
            sum(float(r["headcount"]) for r in schools if r["headcount"] != "x")
        )
        assert ingest_exclusion_schools(wh, p).status == "unchanged"
        kinds = wh.query("SELECT source_kind FROM dataset ORDER BY 1")["source_kind"].tolist()
        assert kinds == ["dfe_exclusions", "dfe_exclusions_schools"]


def test_schools_adapter_is_never_chosen_by_detection() -> None:
    from vrkit.sources.base import Probe

    probe = Probe(path=Path("x.csv"), name="x.csv", header=COLUMNS)
    assert DfeExclusionsSchoolsAdapter().sniff(probe) is False


# -- broken copies --------------------------------------------------------------------------------

Edit = Callable[[list[list[str]]], None]
COL = {c: k for k, c in enumerate(COLUMNS)}


def _set(line: int, col: str, value: str) -> Edit:
    return lambda rows: rows[line - 1].__setitem__(COL[col], value)


def _first_line(rows: list[list[str]], level: str, school_type: str = "Total") -> int:
    return next(
        k + 1
        for k, r in enumerate(rows)
        if r[COL["geographic_level"]] == level
        and r[COL["school_type"]] == school_type
        and r[COL["perm_excl"]] not in ("x", "0")
    )


@needs_data
@pytest.mark.parametrize(
    ("level", "col", "value", "reason"),
    [
        ("Local authority", "perm_excl_rate", "9.99", "is not perm_excl ÷ headcount × 100"),
        ("Local authority", "perm_excl", "abc", "must be a number ≥ 0"),
        ("Local authority", "new_la_code", "E0900002x", "local authority GSS code"),
        ("Local authority", "time_period", "2016", "academic year like 201617"),
        ("Regional", "region_code", "London", "region GSS code"),
        ("National", "geographic_level", "Ward", "geographic_level must be one of"),
        ("National", "school_type", "Nursery", "school_type must be one of"),
        ("National", "num_schools", "12.5", "whole number"),
    ],
)
def test_broken_copy_is_refused_naming_line_and_column(
    tmp_path: Path, raw_rows: list[dict[str, str]], level: str, col: str, value: str, reason: str
) -> None:
    rows = _small_copy(tmp_path, raw_rows)
    line = _first_line(rows, level)
    _set(line, col, value)(rows)
    p = _write(tmp_path, rows)
    with pytest.raises(DataValidationError, match=reason) as e:
        read_dfe_exclusions(p)
    assert (e.value.row, e.value.column) == (line, col)
    assert str(p) in str(e.value)


@needs_data
def test_duplicated_row_and_ragged_row_are_refused(
    tmp_path: Path, raw_rows: list[dict[str, str]]
) -> None:
    rows = _small_copy(tmp_path, raw_rows)
    line = _first_line(rows, "Local authority")
    dup = [*rows, rows[line - 1]]
    with pytest.raises(DataValidationError, match="appear twice") as e:
        read_dfe_exclusions(_write(tmp_path, dup))
    assert e.value.row == len(dup)
    ragged = [*rows[:5], [*rows[5], "extra"], *rows[6:]]
    with pytest.raises(DataValidationError, match="cannot be parsed"):
        read_dfe_exclusions(_write(tmp_path, ragged, "ragged.csv"))


@needs_data
def test_truncated_zip_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "exclusions_by_geographic_level.zip"
    bad.write_bytes(ZIP.read_bytes()[:200_000])
    with pytest.raises(SourceError, match="zip"):
        read_dfe_exclusions(bad)

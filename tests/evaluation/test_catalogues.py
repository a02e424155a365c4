"""Evidence catalogue, unit costs, GDP deflator and offence mapping: shipped data is valid and
sourced, bad user files are refused with file/line/column, nothing unverified is a number."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from vrkit.catalog import approaches as A
from vrkit.catalog import unit_costs as U
from vrkit.catalog.profiles import load_profile, profile_names
from vrkit.errors import DataValidationError, InputError

# ---- evidence catalogue ------------------------------------------------------------------------


def test_every_builtin_entry_has_a_source_and_a_check_date() -> None:
    cat = A.builtin_approaches()
    assert len(cat) >= 10
    assert cat["source_url"].str.startswith("https://").all()
    assert cat["checked"].str.match(r"^\d{4}-\d{2}-\d{2}$").all()
    assert set(cat["toolkit"]) == {"yef", "crt"}
    # every empty rating carries a note saying why
    unrated = cat[cat["impact_band"].eq("") & cat["toolkit"].eq("yef")]
    assert (unrated["note"].str.len() > 20).all()


def test_yef_ratings_match_the_cited_pages() -> None:
    cat = A.builtin_approaches().set_index("approach_id")
    assert cat.loc["yef:mentoring", "impact_band"] == "moderate"
    assert cat.loc["yef:mentoring", "impact_pct"] == 21
    assert cat.loc["yef:focused-deterrence", "impact_pct"] == 33
    assert cat.loc["yef:sports-programmes", "evidence_confidence"] == "low"
    assert cat.loc["yef:adventure-and-wilderness-therapy", "impact_band"] == "low"
    # graphics-only ratings are missing, never a guessed number
    assert cat["evidence_security"].isna().all()


def test_impact_label() -> None:
    row = A.get_approach("yef:focused-deterrence")
    assert A.impact_label(row) == "High (33 % less violence)"
    assert "not rated" in A.impact_label(
        A.get_approach("yef:interventions-to-prevent-school-exclusion")
    )


def _write(tmp_path: Path, rows: list[dict[str, str]], name: str = "local.csv") -> Path:
    df = pd.DataFrame(rows)
    for c in A.COLUMNS:
        if c not in df.columns:
            df[c] = ""
    p = tmp_path / name
    df[list(A.COLUMNS)].to_csv(p, index=False)
    return p


GOOD = {
    "approach_id": "local:divert-evaluation",
    "toolkit": "local",
    "name": "DIVERT custody diversion (local evaluation)",
    "impact_band": "moderate",
    "impact_pct": "20",
    "source_url": "College of Policing emerging findings, 2021",
    "checked": "2026-12-01",
}


def test_local_entries_validate_and_merge(tmp_path: Path) -> None:
    local = A.load_local_entries(_write(tmp_path, [GOOD]))
    merged = A.merge_entries(local)
    assert "local:divert-evaluation" in set(merged["approach_id"])
    assert len(merged) == len(A.builtin_approaches()) + 1
    assert (
        merged.loc[merged["approach_id"] == "local:divert-evaluation", "impact_pct"].iloc[0] == 20
    )


@pytest.mark.parametrize(
    ("change", "column", "reason"),
    [
        ({"impact_pct": "45"}, "impact_pct", "outside the moderate band"),
        ({"impact_band": "huge"}, "impact_band", "unknown band"),
        ({"evidence_security": "7"}, "evidence_security", "between 1 and 5"),
        ({"cost_rating": "2.5"}, "cost_rating", "whole number"),
        ({"toolkit": "yef"}, "toolkit", "toolkit = local"),
        ({"checked": "1/12/2026"}, "checked", "YYYY-MM-DD"),
        ({"source_url": ""}, "source_url", "required value is empty"),
    ],
)
def test_bad_local_entry_names_line_and_column(
    tmp_path: Path, change: dict[str, str], column: str, reason: str
) -> None:
    second = {**GOOD, "approach_id": "local:other", **change}
    with pytest.raises(DataValidationError, match=reason) as exc:
        A.load_local_entries(_write(tmp_path, [GOOD, second]))
    assert exc.value.row == 3 and exc.value.column == column


def test_local_entry_cannot_silently_replace_a_builtin(tmp_path: Path) -> None:
    p = _write(tmp_path, [{**GOOD, "approach_id": "local:x"}])
    local = A.load_local_entries(p)
    base = pd.concat([A.builtin_approaches(), local], ignore_index=True)
    with pytest.raises(InputError, match="already exists"):
        A.merge_entries(local, base=base)
    out = A.merge_entries(local, base=base, replace=["local:x"])
    assert (out["approach_id"] == "local:x").sum() == 1


def test_missing_column_is_named(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text("approach_id,toolkit\nlocal:a,local\n")
    with pytest.raises(DataValidationError, match="column 'name' is missing"):
        A.load_local_entries(p)


def test_profiles_link_to_known_approaches() -> None:
    ids = set(A.builtin_approaches()["approach_id"])
    linked = 0
    for name in profile_names():
        prof = load_profile(name)
        assert set(prof.approaches) <= ids
        linked += len(prof.approaches)
    assert load_profile("mentoring").approaches == ("yef:mentoring", "crt:mentoring-juvenile")
    assert linked >= 4


def test_profile_with_unknown_approach_is_refused(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "src/vrkit/catalog/profiles/sports.toml").read_text()
    p = tmp_path / "x.toml"
    p.write_text(text.replace('["yef:sports-programmes"]', '["yef:nonexistent"]'))
    with pytest.raises(InputError, match="unknown evidence approach 'yef:nonexistent'"):
        load_profile(p)


# ---- unit costs, deflator, mapping --------------------------------------------------------------


def test_unit_costs_verified_values_and_gaps() -> None:
    uc = U.unit_costs().set_index(["offence_type", "cost_category"])["unit_cost_gbp"]
    assert uc[("violence_with_injury", "total")] == 14050
    assert uc[("rape", "total")] == 39360
    assert uc[("robbery", "total")] == 11320
    assert uc[("other_sexual_offences", "total")] == 6520
    assert uc[("homicide", "total")] == 3_200_000
    # not verified: missing, never zero
    assert math.isnan(uc[("violence_without_injury", "total")])


def test_user_unit_cost_file_is_validated(tmp_path: Path) -> None:
    src = U.unit_costs()
    bad = src.drop(columns="origin").copy()
    bad.loc[0, "cost_category"] = "victim"
    p = tmp_path / "uc.csv"
    bad.to_csv(p, index=False)
    with pytest.raises(DataValidationError, match="unknown cost category") as exc:
        U.unit_costs(p)
    assert exc.value.row == 2


def test_deflator_provenance_and_hand_computed_factor() -> None:
    d = U.gdp_deflator()
    assert "HM Treasury" in d.source and d.vintage == "2025-12"
    f, how = d.factor("2015/16", 2019)
    fy = 0.75 * 75.1536 + 0.25 * 76.4554
    assert f == pytest.approx(81.1085 / fy, rel=1e-12)
    assert "0.75 × 2015 + 0.25 × 2016" in how
    with pytest.raises(InputError, match="no value for 2031"):
        d.value(2031)
    with pytest.raises(InputError, match="neither a year"):
        d.value("last year")


def test_user_deflator_needs_source_and_vintage(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("# source: my series\nyear,index\n2019,100\n")
    with pytest.raises(DataValidationError, match="vintage"):
        U.gdp_deflator(p)
    p.write_text("# source: my series\n# vintage: 2026-01\nyear,index\n2019,100\n2020,-1\n")
    with pytest.raises(DataValidationError, match="index must be > 0"):
        U.gdp_deflator(p)


def test_offence_map_states_comparability_for_every_row() -> None:
    m = U.offence_map()
    assert (m["comparability"].str.len() > 10).all()
    vso = m[(m["taxonomy"] == "police_uk") & (m["major"] == "Violence and sexual offences")]
    assert vso["offence_type"].iloc[0] == ""  # not costable, stated

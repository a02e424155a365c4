"""The Violent Crime Report on the real shared data (fails, never skips, if the data are missing).

One warehouse is built per module from the MPS borough files (an older release and the newest,
so that release replacement is exercised), the 2020–21 ward monthly file, the derived ward-annual
file, and, when their adapters are registered, homicide victims, boundaries and population.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import openpyxl
import pytest

import vrkit
from vrkit.errors import InputError
from vrkit.reports import build_violent_crime_report, change_sentence, write_report
from vrkit.sources.registry import known_formats

DATA = vrkit.get_settings().data_dir
HIST = (
    DATA
    / "mps_crime_borough/2010-04_to_2023-09_historical/MPS Borough Level Crime (Historical).csv"
)
BOROUGH_FILES = [
    DATA
    / "mps_crime_borough/2019-01_to_2020-12/MPS Borough Level Crime (most recent 24 months).csv",
    DATA / "mps_crime_borough/2010-04_to_2021-09_historical_2021_release/BoroughLevelCrime.csv",
    HIST,
]
WARD_FILES = [
    DATA / "mps_crime_ward/2020-01_to_2021-12/MPS Ward Level_Crime_2020-2021.csv.gz",
    DATA / "mps_crime_ward_annual_derived/London.Crime.ByWard_2011-2022.csv.gz",
]
HOMICIDE = DATA / "mps_homicide/original_homicide.xlsx - dataset.csv"
GLA = DATA / "boundaries/statistical-gis-boundaries-london/ESRI"
BOUNDARIES = [
    GLA / "LSOA_2011_London_gen_MHW.shp",
    GLA / "London_Borough_Excluding_MHW.shp",
    GLA / "London_Ward.shp",
    DATA / "boundaries/London-wards-2018/London-wards-2018_ESRI/London_Ward.shp",
]
POPULATION = [
    DATA / "population/london-mid2019-pop.csv",
    DATA / "population/london-mid2020-pop.csv",
]

KINDS = {k for k, _ in known_formats()}
HAS_HOMICIDE = "mps_homicide_victims" in KINDS
HAS_BOUNDARIES = "boundary" in KINDS
HAS_POPULATION = "population_lsoa_mid_year" in KINDS and HAS_BOUNDARIES


@pytest.fixture(scope="module")
def wh(tmp_path_factory: pytest.TempPathFactory, warehouses) -> vrkit.Warehouse:
    files = BOROUGH_FILES + WARD_FILES
    if HAS_HOMICIDE:
        files.append(HOMICIDE)
    if HAS_BOUNDARIES:
        files += BOUNDARIES
    if HAS_POPULATION:
        files += POPULATION
    return vrkit.Warehouse(warehouses.copy(files, tmp_path_factory.mktemp("vcr") / "wh.duckdb"))


@pytest.fixture(scope="module")
def london(wh: vrkit.Warehouse):
    return build_violent_crime_report(wh, year=2020, area="London")


@pytest.fixture(scope="module")
def london_files(london, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("out")
    paths = write_report(london, out)
    return {p.suffix.lstrip("."): p for p in paths}


def _file_year_totals(path: Path, year: int, area: str | None = None) -> dict[tuple[str, str], int]:
    """Independent sums with the csv module: (major, minor) → total over the year's 12 months."""
    out: dict[tuple[str, str], int] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        cols = [c for c in reader.fieldnames or [] if re.fullmatch(rf"{year}\d\d", c)]
        assert len(cols) == 12
        for row in reader:
            if area and row["BoroughName"].strip() != area:
                continue
            key = (row["MajorText"].strip().upper(), row["MinorText"].strip().upper())
            out[key] = out.get(key, 0) + sum(int(row[c]) for c in cols)
    return out


def _measure(report_json: dict, measure: str) -> dict:
    return next(m for m in report_json["measures"] if m["measure"] == measure)


def test_london_2020_headline_json(london_files: dict[str, Path]) -> None:
    j = json.loads(london_files["json"].read_text(encoding="utf-8"))
    assert j["area"] == "London" and j["year"] == 2020 and j["compare_year"] == 2019
    expected = {
        "violence_against_the_person": (220_134, 222_064),
        "violence_with_injury": (69_252, 77_500),
        "homicide": (134, 153),
        "robbery": (27_635, 39_933),
    }
    for measure, (cur, prev) in expected.items():
        m = _measure(j, measure)
        assert (m["current"], m["previous"]) == (cur, prev), measure
        assert m["change"] == cur - prev
        assert m["pct_change"] == pytest.approx(100 * (cur - prev) / prev)
        assert m["label"]
    assert j["homicide_table"], "the homicide victims file is loaded, so the table has rows"
    assert {
        "year",
        "total",
        "firearms",
        "knives",
        "teenagers",
        "under_25",
        "domestic",
        "non_domestic",
    } <= set(j["homicide_table"][0])
    assert j["datasets"] and all(len(d["sha256"]) == 64 for d in j["datasets"])
    assert any(d["file_name"] == HIST.name for d in j["datasets"])
    text = london_files["json"].read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text


def test_london_totals_equal_source_file(london) -> None:
    sums = _file_year_totals(HIST, 2020)
    h = london.headline.set_index("measure")
    assert h.loc["total_crime", "current"] == sum(sums.values())
    vap = sum(v for (major, _), v in sums.items() if major == "VIOLENCE AGAINST THE PERSON")
    assert h.loc["violence_against_the_person", "current"] == vap
    assert h.loc["robbery", "current"] == sum(v for (mj, _), v in sums.items() if mj == "ROBBERY")
    # borough table: boroughs + pseudo-areas add up to London
    b = london.boroughs[london.boroughs["measure"] == "total_crime"]
    assert b["current"].sum() == sum(sums.values())
    assert set(b.loc[b["kind"] == "pseudo", "area_name"]) >= {"Unknown"}
    assert b.loc[b["kind"] == "pseudo", "rate"].isna().all()
    assert b.loc[b["kind"] == "pseudo", "rank"].isna().all()
    assert any("pseudo-areas" in c for c in london.caveats)


def test_borough_report_lambeth(wh: vrkit.Warehouse, tmp_path: Path) -> None:
    rep = build_violent_crime_report(wh, year=2020, compare=2019, area="Lambeth")
    assert rep.area_code == "E09000022" and rep.area_kind == "borough"
    sums = _file_year_totals(HIST, 2020, "Lambeth")
    prev = _file_year_totals(HIST, 2019, "Lambeth")
    vap = rep.headline.set_index("measure").loc["violence_against_the_person"]
    assert vap["current"] == sum(v for (mj, _), v in sums.items() if mj.startswith("VIOLENCE"))
    assert vap["previous"] == sum(v for (mj, _), v in prev.items() if mj.startswith("VIOLENCE"))
    assert rep.boroughs.empty
    assert not rep.wards.empty and (rep.wards["borough_code"] == "E09000022").all()
    assert rep.ward_source == "mps_ward_annual_derived"  # no ward monthly file covers 2019
    assert any("DERIVED" in c for c in rep.caveats)
    paths = write_report(rep, tmp_path, ("json", "html"))
    assert [p.name for p in paths] == [
        "violent-crime-lambeth-2020.json",
        "violent-crime-lambeth-2020.html",
    ]
    html = paths[1].read_text(encoding="utf-8")
    assert "Wards of Lambeth" in html
    # a GSS code resolves to the same borough
    assert build_violent_crime_report(wh, year=2020, area="E09000022").area_name == "Lambeth"


def test_change_arithmetic(london) -> None:
    h = london.headline
    assert (h["change"] == h["current"] - h["previous"]).all()
    assert ((h["pct_change"] - 100 * h["change"] / h["previous"]).abs() < 1e-9).all()
    b = london.boroughs.dropna(subset=["current", "previous"])
    assert (b["change"] == b["current"] - b["previous"]).all()


def test_commentary_sentences() -> None:
    assert change_sentence("Violence with injury", 69_252, 77_500, 2020, 2019) == (
        "Violence with injury fell by 11 % (8,248 fewer offences; 95 % CI of the change "
        "−12 % to −9.7 %) in 2020 compared with 2019."
    )
    assert change_sentence("Robbery", 1_100, 1_000, 2021, 2020).startswith(
        "Robbery rose by 10 % (100 more offences; 95 % CI of the change +0.9 % to"
    )
    # one more homicide is not a rise: the exact test says so
    assert change_sentence("Homicide", 5, 4, 2020, 2019) == (
        "Homicide: no significant change in 2020 compared with 2019 (5 offences against 4; "
        "p = 1.00)."
    )
    assert change_sentence("Homicide", 153, 153, 2020, 2019) == (
        "Homicide was unchanged in 2020 compared with 2019 (153 offences in both years)."
    )
    assert "by 0.9 %" in change_sentence("VAP", 220_134, 222_064, 2020, 2019)
    assert "from 0 to 12 offences" in change_sentence("X", 12, 0, 2020, 2019)
    assert "no significant change" in change_sentence("X", 3, 0, 2020, 2019)


def test_no_main_point_claims_an_insignificant_change(wh: vrkit.Warehouse) -> None:
    """Issue #12: "Homicide rose by 14 % (1 more offence)" must not be a Lambeth main point."""
    from vrkit.analysis.changes import compare_counts

    rep = build_violent_crime_report(wh, year=2020, compare=2019, area="Lambeth")
    h = rep.headline.set_index("measure")
    assert (h.loc["homicide", ["current", "previous"]] == [8, 7]).all()
    assert "no significant change" in h.loc["homicide", "commentary"]
    for m, r in h.iterrows():
        test = compare_counts(r["current"], r["previous"])
        assert r["p_value"] == pytest.approx(test.p_value)
        claims = " rose " in r["commentary"] or " fell " in r["commentary"]
        assert claims == bool(test.significant), (m, r["commentary"])
    assert h.loc["violence_with_injury", "change_class"] == "significant fall"
    wards = rep.wards
    assert {"p_value", "change_class", "pct_lower", "pct_upper"} <= set(wards.columns)
    tiny = wards[(wards["current"] + wards["previous"]) <= 3]
    assert (tiny["change_class"] != "significant rise").all()


def test_html_self_contained(london_files: dict[str, Path], london) -> None:
    html = london_files["html"].read_text(encoding="utf-8")
    low = html.lower()
    assert "<script" not in low
    assert "<link" not in low
    assert "url(http" not in low
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", low)
    assert "@import" not in low
    assert html.count("<svg") >= len(london.measures)
    assert "Violence against the person by borough" in html
    assert "Westminster" in html and "Other MPS areas" in html
    assert "Sources and caveats" in html and "pseudo-areas" in html
    assert HIST.name in html
    for msg in london.missing.values():  # every degraded section says so
        assert msg.split(":")[0] in html


def test_degraded_sections_are_explicit(london) -> None:
    if HAS_POPULATION:
        assert "population" not in london.missing
        assert london.population_year == 2020
        assert london.headline["rate"].notna().all()
        b = london.boroughs[(london.boroughs["kind"] == "borough")]
        assert b["rank"].notna().all() and b["rank"].min() == 1
    else:
        assert london.missing["population"].startswith("Population not loaded")
        assert london.headline["rate"].isna().all()
    if HAS_HOMICIDE:
        assert "homicide" not in london.missing
        assert london.homicide["year"].min() == 2012
    else:
        assert london.missing["homicide"].startswith("Homicide victims not loaded")
    if HAS_BOUNDARIES:
        assert "borough_map" not in london.missing and london.ward_layer in ("ward14", "ward18")
    else:
        assert "borough_map" in london.missing


def test_xlsx_opens_with_sheets(london_files: dict[str, Path]) -> None:
    from vrkit.reports.render.workbook import HEADER_ROW

    wb = openpyxl.load_workbook(london_files["xlsx"])
    assert wb.sheetnames[0] == "Contents" and wb.sheetnames[-1] == "Notes"
    for sheet in ("headline", "monthly_grid", "monthly", "boroughs", "wards", "datasets"):
        assert sheet in wb.sheetnames
    ws = wb["headline"]
    assert ws["A1"].value.startswith("Headline figures, London") and ws.freeze_panes == "A6"
    header = [c.value for c in ws[HEADER_ROW]]
    first = {h: c for h, c in zip(header, ws[HEADER_ROW + 1], strict=True)}
    assert first["Offences, report year"].value == 220_134
    # % change stored as a fraction with a % format (the review read −0.869 as a number)
    pct = first["% change"]
    assert pct.number_format == "0.0%" and pct.value == pytest.approx(-1930 / 222_064, abs=1e-6)
    grid = wb["monthly_grid"]
    assert [c.value for c in grid[HEADER_ROW]][:4] == ["Measure", "Year", "Jan", "Feb"]


def test_unknown_area(wh: vrkit.Warehouse) -> None:
    with pytest.raises(InputError, match="unknown area 'Atlantis'") as exc:
        build_violent_crime_report(wh, year=2020, area="Atlantis")
    assert "Lambeth" in str(exc.value)
    with pytest.raises(InputError, match="City of London"):
        build_violent_crime_report(wh, year=2020, area="City of London")


def test_year_not_covered(wh: vrkit.Warehouse) -> None:
    with pytest.raises(InputError, match=r"missing months Jan–Mar 2010"):
        build_violent_crime_report(wh, year=2011, compare=2010)
    with pytest.raises(InputError, match=r"missing months Oct 2023–Dec 2024 \(15 months\)"):
        build_violent_crime_report(wh, year=2024)

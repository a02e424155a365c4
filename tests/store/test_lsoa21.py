"""National series across the 2021 LSOA boundary change (ONS LSOA11 → LSOA21 best fit).

The lookup and the street files are written by the test in the published formats, with a
hand-made change history: an unchanged LSOA, two merged into one, one split in two (the best
fit gives it whole to one part), plus an unknown code; expected counts are worked out by hand.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from vrkit import Warehouse
from vrkit.errors import DataValidationError, InputError
from vrkit.sources.police_uk import STREET_COLUMNS
from vrkit.store import queries

HEADER = ["FID", "LSOA11CD", "LSOA11NM", "LSOA21CD", "LSOA21NM", "LAD22CD", "LAD22NM", "LAD22NMW"]
LOOKUP = [
    # 2011 code, 2021 code: A unchanged; B + C merged into M; S split into S1 (best fit) + S2
    ("E01000001", "E01000001", "E09000001"),
    ("E01000002", "E01035000", "E09000001"),
    ("E01000003", "E01035000", "E09000001"),
    ("E01000005", "E01035001", "E09000001"),
    ("W01000010", "W01000010", "W06000015"),
]
NAMES = {"E09000001": "City of London", "W06000015": "Cardiff"}
VSO = "Violence and sexual offences"


def _lookup(path: Path, rows: list[tuple[str, str, str]] = LOOKUP, header=HEADER) -> Path:  # type: ignore[no-untyped-def]
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i, (c11, c21, lad) in enumerate(rows, 1):
            row = {
                "FID": str(i),
                "LSOA11CD": c11,
                "LSOA11NM": f"Area {c11}",
                "LSOA21CD": c21,
                "LSOA21NM": f"Area {c21}",
                "LAD22CD": lad,
                "LAD22NM": NAMES[lad],
                "LAD22NMW": "",
                "CHGIND": "U",
            }
            w.writerow([row[h] for h in header])
    return path


def _street(folder: Path, month: str, codes: list[str | None]) -> Path:
    path = folder / f"{month}-city-of-london-street.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(STREET_COLUMNS)
        for i, code in enumerate(codes):
            located = code is not None
            w.writerow(
                [
                    f"{month}-{i:060d}"[-64:],
                    month,
                    "City of London Police",
                    "City of London Police",
                    "-0.09" if located else "",
                    "51.51" if located else "",
                    "On or near Somewhere" if located else "No Location",
                    code or "",
                    f"Area {code}" if located else "",
                    VSO if i % 2 == 0 else "Burglary",
                    "Under investigation",
                    "",
                ]
            )
    return path


@pytest.fixture()
def wh(tmp_path: Path) -> Warehouse:
    w = Warehouse(tmp_path / "w.duckdb")
    files = [
        _lookup(tmp_path / "LSOA11_LSOA21_LAD22_EW_LU.csv"),
        # before the change: 2011 codes
        _street(tmp_path, "2021-11", ["E01000001", "E01000002", "E01000003", "E01000005", None]),
        _street(tmp_path, "2021-12", ["E01000001"] * 3 + ["E01000005"] * 2 + ["E01099999"]),
        # after: 2021 codes (E01035002 is the other part of the split E01000005)
        _street(tmp_path, "2022-01", ["E01000001", "E01035000", "E01035001", "E01035002"]),
    ]
    results = w.ingest_many(files)
    assert not [r for r in results if isinstance(r, Exception)], results
    # the second part of the split is a 2021 LSOA the warehouse knows from another lookup
    w.con.execute(
        "INSERT INTO area_link VALUES (NULL, 'E01035002', 'E05009999', 'lsoa21_ward25', NULL)"
    )
    return w


def test_lookup_loads_links_and_districts(wh: Warehouse) -> None:
    links = wh.query(
        "SELECT child_code, parent_code, weight FROM area_link "
        "WHERE link_type = 'lsoa11_lsoa21' ORDER BY 1"
    )
    assert links["child_code"].tolist() == [c for c, _, _ in sorted(LOOKUP)]
    assert links["weight"].isna().all()  # a best fit publishes no share
    lads = wh.query("SELECT area_code, area_name FROM area WHERE area_type = 'lad22' ORDER BY 1")
    assert lads.values.tolist() == [["E09000001", "City of London"], ["W06000015", "Cardiff"]]
    n = wh.query("SELECT count(*) AS n FROM area_link WHERE link_type = 'lsoa21_lad22'")["n"]
    assert n.iloc[0] == 4  # E01000001, E01035000, E01035001, W01000010


def test_series_cross_the_boundary_change(wh: Warehouse) -> None:
    got = queries.lsoa21_counts(wh)
    table = {(r.lsoa21_code, str(r.month)[:7]): r.count for r in got.itertuples()}
    assert table == {
        ("E01000001", "2021-11"): 1,
        ("E01035000", "2021-11"): 2,  # E01000002 + E01000003 merged
        ("E01035001", "2021-11"): 1,  # the split E01000005 goes whole to its best fit
        ("E01000001", "2021-12"): 3,
        ("E01035001", "2021-12"): 2,
        ("E01000001", "2022-01"): 1,
        ("E01035000", "2022-01"): 1,
        ("E01035001", "2022-01"): 1,
        ("E01035002", "2022-01"): 1,
    }
    assert got.attrs == {"no_location": 1, "unmatched_records": 1}  # None and E01099999
    # every located, matched record is counted once: national totals are unchanged
    assert got["count"].sum() == 5 + 6 + 4 - 1 - 1

    vso = queries.lsoa21_counts(wh, VSO, by_month=False, start=date(2021, 12, 1))
    # even rows are violence: 2021-12 rows 0, 2 (E01000001) and 4 (E01000005 → E01035001);
    # 2022-01 rows 0 (E01000001) and 2 (E01035001); odd rows and earlier months are left out
    assert dict(zip(vso["lsoa21_code"], vso["count"], strict=True)) == {
        "E01000001": 3,
        "E01035001": 2,
    }


def test_vintage_by_month_shows_the_switch(wh: Warehouse) -> None:
    got = queries.lsoa_vintage_by_month(wh)
    rows = {str(m)[:7]: r for m, (_, r) in zip(got["month"], got.iterrows(), strict=True)}
    assert (rows["2021-11"]["lsoa11_only"], rows["2021-11"]["unchanged"]) == (3, 1)
    assert rows["2021-11"]["no_location"] == 1
    assert (rows["2021-12"]["unchanged"], rows["2021-12"]["lsoa11_only"]) == (3, 2)
    assert rows["2021-12"]["unmatched"] == 1
    assert (rows["2022-01"]["lsoa21_only"], rows["2022-01"]["unchanged"]) == (3, 1)


def test_change_status_of_each_2021_lsoa(wh: Warehouse) -> None:
    got = queries.lsoa21_change(wh)
    assert dict(zip(got["lsoa21_code"], got["status"], strict=True)) == {
        "E01000001": "unchanged",
        "E01035000": "merged",
        "E01035001": "recoded",
        "E01035002": "no_2011_lsoa",
        "W01000010": "unchanged",
    }


def test_without_the_lookup_the_query_says_what_to_load(tmp_path: Path) -> None:
    with Warehouse(tmp_path / "w.duckdb") as w, pytest.raises(InputError, match="best-fit"):
        queries.lsoa21_counts(w)


def test_bad_lookups_are_refused_whole(tmp_path: Path) -> None:
    dup = _lookup(tmp_path / "dup.csv", [*LOOKUP, ("E01000001", "E01035000", "E09000001")])
    two_lads = _lookup(
        tmp_path / "lads.csv", [*LOOKUP[:2], ("E01000009", "E01000001", "W06000015")]
    )
    exact = _lookup(tmp_path / "exact.csv", LOOKUP, header=[*HEADER[:5], "CHGIND", *HEADER[5:]])
    with Warehouse(tmp_path / "w.duckdb") as w:
        with pytest.raises(DataValidationError, match="duplicated LSOA") as e:
            w.ingest(dup)
        assert e.value.row == 7 and e.value.column == "LSOA11CD"
        with pytest.raises(DataValidationError, match="two different districts"):
            w.ingest(two_lads)
        with pytest.raises(DataValidationError, match="exact-fit") as e:
            w.ingest(exact)
        assert e.value.column == "CHGIND"
        assert w.query("SELECT count(*) AS n FROM area_link")["n"].iloc[0] == 0

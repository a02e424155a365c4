"""Which MPS release each month's figure comes from, on a hand-built release sequence.

``crime_count`` keeps, for every (borough, month), the figure of the release that runs to the
latest month (the MPS publishes rolling windows: a file ending later is the newer release), not
the file loaded last. The files here are written by the test, so the expected owner of every
month is known by hand, and the load order is chosen to disagree with the release order.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from vrkit.store.warehouse import Warehouse

KIND = "mps_borough_monthly"
MONTHS = [f"2019{m:02d}" for m in range(1, 13)]


def _release(folder: Path, months: list[str], base: int) -> Path:
    """A borough file for Camden robbery over ``months``; the count of month k is base + k."""
    folder.mkdir(parents=True)
    path = folder / "MPS Borough Level Crime (most recent 24 months).csv"
    cells = ",".join(str(base + int(m[4:])) for m in months)
    path.write_text(
        "MajorText,MinorText,LookUp_BoroughName," + ",".join(months) + "\n"
        f"Robbery,Robbery of Personal Property,Camden,{cells}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def releases(tmp_path: Path) -> dict[str, Path]:
    return {
        "jan_jun": _release(tmp_path / "a", MONTHS[:6], 100),  # runs to June
        "apr_dec": _release(tmp_path / "b", MONTHS[3:], 200),  # runs to December: newest
        "jan_mar": _release(tmp_path / "c", MONTHS[:3], 300),  # runs to March: oldest
    }


# month (1–12) → the release that must own it: the one running to the latest month among those
# covering it (Jan–Mar: jan_jun, not jan_mar; Apr–Dec: apr_dec)
OWNER = {m: ("jan_jun" if m <= 3 else "apr_dec") for m in range(1, 13)}
BASE = {"jan_jun": 100, "apr_dec": 200, "jan_mar": 300}


def _counts(wh: Warehouse) -> pd.Series:
    got = wh.query(
        """SELECT month(month) AS m, sum("count") AS n FROM crime_count
           WHERE source_kind = ? AND area_code = 'E09000007' GROUP BY 1 ORDER BY 1""",
        [KIND],
    )
    return got.set_index("m")["n"].astype(int)


@pytest.mark.parametrize(
    "order",
    [
        ("apr_dec", "jan_mar", "jan_jun"),  # newest first, the oldest in the middle
        ("jan_jun", "apr_dec", "jan_mar"),  # the oldest release loaded last
        ("jan_mar", "jan_jun", "apr_dec"),  # release order
    ],
)
def test_each_month_comes_from_the_release_running_latest(
    releases: dict[str, Path], tmp_path: Path, order: tuple[str, ...]
) -> None:
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        for name in order:
            assert wh.ingest(releases[name]).status == "loaded"
        want = pd.Series({m: BASE[OWNER[m]] + m for m in range(1, 13)})
        pd.testing.assert_series_equal(_counts(wh), want, check_names=False, check_dtype=False)
        # every release is kept: the revisions stay answerable
        kept = wh.query(
            "SELECT count(*) AS n FROM crime_count_release WHERE area_code = 'E09000007'"
        )
        assert int(kept["n"].iloc[0]) == 6 + 9 + 3


def test_a_rerun_of_an_older_release_does_not_take_months_back(
    releases: dict[str, Path], tmp_path: Path
) -> None:
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        for name in ("jan_jun", "apr_dec"):
            wh.ingest(releases[name])
        before = _counts(wh)
        assert wh.ingest(releases["jan_jun"]).status == "unchanged"
        pd.testing.assert_series_equal(_counts(wh), before)
        assert int(before[5]) == 205 and int(before[2]) == 102

"""Concentration: Gini (standard and generalised), Lorenz curve, top shares, persistence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vrkit import get_settings
from vrkit.analysis import concentration as conc
from vrkit.errors import InputError

LSOA_VIOLENCE = "mps_crime_lsoa_annual_derived/london-2011-2021-major-violence.csv"


# ---- inputs -------------------------------------------------------------------------------


def test_too_few_places_and_missing_counts() -> None:
    with pytest.raises(InputError, match="at least 2 places"):
        conc.gini([5])
    with pytest.raises(InputError, match="1 missing value"):
        conc.concentration([1, np.nan, 3])
    with pytest.raises(InputError, match="no crimes"):
        conc.gini([0, 0, 0])


# ---- Gini and Lorenz ----------------------------------------------------------------------


def test_gini_hand_computed() -> None:
    # (1, 2, 3, 4): G = Σ(2i − n − 1)x_i / (n Σx) = (−3·1 − 1·2 + 1·3 + 3·4)/(4·10) = 0.25
    assert conc.gini([4, 1, 3, 2], generalised=False) == pytest.approx(0.25)
    assert conc.gini([5, 5, 5, 5], generalised=False) == 0.0


@pytest.mark.parametrize(
    ("crimes", "standard", "generalised"),
    [
        ([10, 8, 2] + [0] * 7, 0.78, 0.78),  # lorenzgini ?gini example 1 (C ≥ n: equal)
        ([5, 2, 1] + [0] * 7, 0.80, 0.75),  # lorenzgini ?gini example 2
        (
            [3, 1, 1] + [0] * 7,
            0.78,
            0.56,
        ),  # Bernasco & Steenbeek Figure 2 data (10 places, 5 crimes)
        ([10] + [0] * 9, 0.90, 0.90),
        ([10] + [0] * 99, 0.99, 0.90),  # all in one place: G' = 10·(0.99 − 1) + 1
    ],
)
def test_published_small_count_examples(crimes, standard, generalised) -> None:
    assert conc.gini(crimes, generalised=False) == pytest.approx(standard)
    assert conc.gini(crimes) == pytest.approx(generalised)


def test_unbiased_factor() -> None:
    assert conc.gini([10] + [0] * 9, generalised=False, unbiased=True) == pytest.approx(1.0)


def test_lorenz_curve_points() -> None:
    lc = conc.lorenz_curve([3, 1, 1] + [0] * 7)
    assert lc["share_crimes"].tolist()[:4] == pytest.approx([0, 0.6, 0.8, 1.0])
    # maximal-equality line reaches 1 at C/n = 0.5
    assert lc.loc[lc["share_places"] == 0.5, "equality_generalised"].item() == 1.0


def test_top_share_and_places_for_share() -> None:
    x = [50, 20, 10, 10, 5, 5] + [0] * 14  # 20 places, 100 crimes
    assert conc.top_share(x, 0.05) == (0.5, 1)
    assert conc.top_share(x, 0.10) == (0.7, 2)
    assert conc.places_for_share(x, 0.5) == (0.05, 1)
    assert conc.places_for_share(x, 0.75) == (0.15, 3)


def test_bootstrap_ci_is_seeded_and_covers_estimate() -> None:
    x = np.random.default_rng(0).negative_binomial(1, 0.3, 800)
    a = conc.concentration(x, n_bootstrap=500, seed=3)
    b = conc.concentration(x, n_bootstrap=500, seed=3)
    assert a.gini_ci == b.gini_ci
    assert a.gini_ci[0] < a.gini_adjusted < a.gini_ci[1]
    d = a.to_dict()
    for key in (
        "places",
        "crimes",
        "top_5pct_share",
        "places_for_50pct",
        "gini",
        "gini_adjusted",
        "gini_ci",
    ):
        assert key in d


def test_sparse_data_warns_and_adjusts() -> None:
    r = conc.concentration([3, 1, 1] + [0] * 7, n_bootstrap=0)
    assert r.gini == pytest.approx(0.78) and r.gini_adjusted == pytest.approx(0.56)
    assert "fewer crimes" in r.warnings[0]


# ---- persistence --------------------------------------------------------------------------


def test_persistence_overlap_and_spearman() -> None:
    rows = []
    for year, vals in ((2018, [9, 8, 1, 1, 0]), (2019, [9, 1, 8, 1, 0]), (2020, [9, 8, 1, 1, 0])):
        rows += [{"area_code": f"A{i}", "year": year, "count": v} for i, v in enumerate(vals)]
    p = conc.persistence(pd.DataFrame(rows), top=0.4)
    first = p.iloc[0]
    assert (
        first["top_places"] == 2
        and first["overlap"] == 0.5
        and first["jaccard"] == pytest.approx(1 / 3)
    )
    last = p[(p.period_from == 2018) & (p.period_to == 2020)].iloc[0]
    assert last["overlap"] == 1.0 and last["spearman"] == pytest.approx(1.0)


def test_real_london_top5_share_equals_direct_computation() -> None:
    path = get_settings().data_dir / LSOA_VIOLENCE
    if not path.exists():
        pytest.skip("shared London data not available")
    df = pd.read_csv(path)
    for year in ("2015", "2019", "2021"):  # never the faulty 2020 column
        x = df[year].to_numpy(float)
        r = conc.concentration(x, n_bootstrap=0)
        k = int(np.ceil(0.05 * x.size))
        assert r.top_counts[0.05] == k == 242
        assert r.top_shares[0.05] == pytest.approx(np.sort(x)[::-1][:k].sum() / x.sum())
        assert r.crimes == x.sum()
    assert conc.concentration(df["2019"], n_bootstrap=0).crimes == 217874  # PROVENANCE.md

"""Hotspots: Gi* and Local Moran against esda, permutation inference, counts, grids, KDE."""

from __future__ import annotations

import itertools
import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
import shapely
from libpysal.graph import Graph
from scipy import sparse, stats
from statsmodels.stats import multitest

from vrkit import get_settings
from vrkit.analysis import _inference, hotspots
from vrkit.errors import InputError

LSOA_SHP = "boundaries/statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp"
LSOA_VIOLENCE = "mps_crime_lsoa_annual_derived/london-2011-2021-major-violence.csv"


@pytest.fixture(scope="module")
def lattice() -> tuple[np.ndarray, libpysal.weights.W]:
    rng = np.random.default_rng(0)
    w = libpysal.weights.lat2W(20, 20, rook=False)
    y = rng.poisson(3, 400).astype(float)
    y[:30] += 6  # a cluster in the first rows
    return y, w


@pytest.fixture(scope="module")
def london() -> tuple[gpd.GeoDataFrame, np.ndarray, sparse.csr_matrix]:
    """4,835 London LSOAs joined to 2019 violence (never the faulty 2020 column); the six City of
    London LSOAs have no MPS figure and are dropped (4,829 places)."""
    data = get_settings().data_dir
    shp = data / LSOA_SHP
    if not shp.exists():
        pytest.fail(f"shared London data missing: {shp} (set VRKIT_DATA_DIR)")
    g = gpd.read_file(shp)
    assert len(g) == 4835
    v = pd.read_csv(data / LSOA_VIOLENCE, usecols=["LSOA11CD", "2019"])
    g = g.merge(v, on="LSOA11CD", how="left")
    return g, g["2019"].to_numpy(), hotspots.contiguity_weights(g[g["2019"].notna()])


def _esda_gi(y, w, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return esda.G_Local(y, w, transform="B", star=True, **kw)


# ---- inputs -------------------------------------------------------------------------------


def test_nan_in_y_is_refused_on_real_data(london) -> None:
    _g, y, _ = london
    w = sparse.identity(len(y), format="csr")
    with pytest.raises(InputError, match="6 missing or infinite"):
        hotspots.gi_star(y, w, permutations=0)


def test_too_few_places_names_the_minimum() -> None:
    with pytest.raises(InputError, match="at least 5"):
        hotspots.gi_star([1, 2, 3], sparse.identity(3, format="csr"), permutations=0)
    with pytest.raises(InputError, match="at least 5"):
        hotspots.moran_local([1, 2], sparse.identity(2, format="csr"), permutations=0)


def test_weights_must_match_y_and_seed_is_required(lattice) -> None:
    y, w = lattice
    with pytest.raises(InputError, match="weights cover 400 places but y has 399"):
        hotspots.gi_star(y[:-1], w, permutations=0)
    with pytest.raises(InputError, match="seed is required"):
        hotspots.gi_star(y, w, permutations=99)
    with pytest.raises(InputError, match="constant"):
        hotspots.gi_star(np.ones(400), w, permutations=0)
    with pytest.raises(InputError, match="unknown p-value adjustment"):
        hotspots.gi_star(y, w, permutations=0, adjust="bonferonni")


def test_series_in_another_order_than_the_weights_is_refused(lattice) -> None:
    y, w = lattice
    s = pd.Series(y, index=w.id_order)
    with pytest.raises(InputError, match="not in the order of the weights"):
        hotspots.gi_star(s.iloc[::-1], w, permutations=0)
    assert hotspots.gi_star(s, w, permutations=0).ids[0] == w.id_order[0]


def test_crs_mismatch_names_both_crs() -> None:
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0.1, -0.1], [51.5, 51.4]), crs="EPSG:4326")
    places = gpd.GeoDataFrame(
        {"area_code": ["A"]},
        geometry=[shapely.box(500000, 170000, 510000, 180000)],
        crs="EPSG:27700",
    )
    with pytest.raises(
        InputError, match=r"CRS mismatch: points are in EPSG:4326 .* places are in EPSG:27700"
    ):
        hotspots.count_points(pts, places=places)


def test_esri_prj_of_bng_is_not_a_mismatch(london) -> None:
    g, _, _ = london
    sub = g.iloc[:50]
    c = sub.geometry.representative_point()
    pts = gpd.GeoDataFrame(geometry=c.to_numpy(), crs="EPSG:27700")
    res = hotspots.count_points(pts, places=sub, id_column="LSOA11CD")
    assert res.n_counted == 50 and res.places["count"].sum() == 50


def test_inputs_are_not_mutated(lattice) -> None:
    y, w = lattice
    y0, m0 = y.copy(), w.sparse.copy()
    hotspots.gi_star(y, w, permutations=9, seed=1)
    hotspots.moran_local(y, w, permutations=9, seed=1)
    assert np.array_equal(y, y0) and (w.sparse != m0).nnz == 0 and w.transform == "O"


# ---- Gi* and Local Moran against esda --------------------------------------------------------


@pytest.mark.parametrize("kind", ["W", "Graph", "sparse"])
def test_gi_star_equals_esda_on_lattice(lattice, kind) -> None:
    y, w = lattice
    weights = {"W": w, "Graph": Graph.from_W(w), "sparse": w.sparse}[kind]
    ours = hotspots.gi_star(y, weights, permutations=0)
    ref = _esda_gi(y, libpysal.weights.lat2W(20, 20, rook=False), permutations=0)
    np.testing.assert_allclose(ours.statistic, ref.Gs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.z, ref.Zs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.p_norm, 2 * ref.p_norm, rtol=0, atol=1e-10)
    assert ours.params["self_weight"] == 1.0


def test_moran_local_equals_esda_on_lattice(lattice) -> None:
    y, w = lattice
    ours = hotspots.moran_local(y, w, permutations=0)
    ref = esda.Moran_Local(y, libpysal.weights.lat2W(20, 20, rook=False), permutations=0)
    np.testing.assert_allclose(ours.statistic, ref.Is, rtol=0, atol=1e-10)
    z_ref = (ref.Is - ref.EI) / np.sqrt(ref.VI)
    np.testing.assert_allclose(ours.z, z_ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.p_norm, 2 * stats.norm.sf(np.abs(z_ref)), rtol=0, atol=1e-10)
    quads = np.array(["", "HH", "LH", "LL", "HL"])[ref.q]
    assert (ours.quadrant == quads).all()


def test_gi_star_and_moran_equal_esda_on_london_lsoas(london) -> None:
    _g, y_all, m = london
    y = y_all[~np.isnan(y_all)]
    assert y.size == 4829 and m.shape == (4829, 4829)
    graph = Graph.from_sparse(m)
    ours = hotspots.gi_star(y, graph, permutations=0)
    ref = _esda_gi(y, graph, permutations=0)
    np.testing.assert_allclose(ours.statistic, ref.Gs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.z, ref.Zs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.p_norm, 2 * ref.p_norm, rtol=0, atol=1e-10)
    lm = hotspots.moran_local(y, graph, permutations=0)
    rm = esda.Moran_Local(y, graph, permutations=0)
    np.testing.assert_allclose(lm.statistic, rm.Is, rtol=0, atol=1e-10)
    np.testing.assert_allclose(lm.z, (rm.Is - rm.EI) / np.sqrt(rm.VI), rtol=0, atol=1e-10)


def test_row_standardised_weights_equal_esda(lattice) -> None:
    """Non-binary weights: row-standardised (self included, w_ij = 1/(k_i + 1)).

    The statistic equals esda's ``G_Local(transform="R", star=True)``. The Ord & Getis (1995)
    z-score is invariant to scaling a row's weights, so for every row it equals esda's binary
    ``Zs`` (esda's own R z-score assumes binary moments and is not this reference). The self
    weight is one number per call, so each neighbour count k (3, 5, 8 on the lattice) is its
    own call with ``self_weight = 1/(k + 1)``.
    """
    y, w = lattice
    k = np.asarray(w.sparse.sum(axis=1)).ravel()
    assert set(k) == {3.0, 5.0, 8.0}
    scaled = sparse.diags(1.0 / (k + 1)) @ w.sparse.astype(float)
    ref_b = _esda_gi(y, libpysal.weights.lat2W(20, 20, rook=False), permutations=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_r = esda.G_Local(
            y, libpysal.weights.lat2W(20, 20, rook=False), transform="R", star=True, permutations=0
        )
    for kk in (3.0, 5.0, 8.0):
        rows = k == kk
        ours = hotspots.gi_star(y, scaled, permutations=0, binary=False, self_weight=1 / (kk + 1))
        assert ours.params["weights"] == "as given"
        np.testing.assert_allclose(ours.statistic[rows], ref_r.Gs[rows], rtol=0, atol=1e-12)
        np.testing.assert_allclose(ours.z[rows], ref_b.Zs[rows], rtol=0, atol=1e-10)
    # scaling every weight (self included) by one constant changes nothing either
    a = hotspots.gi_star(y, w.sparse * 2.5, permutations=0, binary=False, self_weight=2.5)
    np.testing.assert_allclose(a.z, ref_b.Zs, rtol=0, atol=1e-10)


def test_general_weights_z_equals_exact_permutation_moments() -> None:
    """Distance-decay weights (1/d within 2 units, self weight 0.5) on 8 places: the z-score
    is (G*_i − E)/√Var with E and Var the exact moments of Σ_j w_ij y_j over all 8! = 40,320
    permutations of y, enumerated here (the randomisation null of Ord & Getis 1995)."""
    xy = np.array(
        [[0, 0], [1, 0], [2, 0.5], [0, 1.5], [1.2, 1.1], [2.5, 2], [0.3, 2.6], [1.7, 2.9]]
    )
    y = np.array([3.0, 0, 7, 1, 4, 9, 2, 5])
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2)
    w = np.where((d > 0) & (d < 2.0), 1 / np.where(d > 0, d, 1), 0.0)
    full = w + 0.5 * np.eye(8)
    sums = np.array(list(itertools.permutations(y))) @ full.T  # 40,320 × 8
    z_ref = (full @ y - sums.mean(axis=0)) / sums.std(axis=0)
    ours = hotspots.gi_star(
        y, sparse.csr_matrix(w), permutations=0, binary=False, self_weight=0.5, adjust="none"
    )
    np.testing.assert_allclose(ours.statistic, full @ y / y.sum(), rtol=0, atol=1e-15)
    np.testing.assert_allclose(ours.z, z_ref, rtol=0, atol=1e-10)
    assert (np.abs(ours.z) > 0.2).all()  # no z-score silently 0


# ---- permutation inference ----------------------------------------------------------------


def test_permutation_is_reproducible_with_a_seed(lattice) -> None:
    y, w = lattice
    a = hotspots.gi_star(y, w, permutations=199, seed=7)
    b = hotspots.gi_star(y, w, permutations=199, seed=7)
    c = hotspots.gi_star(y, w, permutations=199, seed=8)
    assert np.array_equal(a.p_sim, b.p_sim)
    assert not np.array_equal(a.p_sim, c.p_sim)
    assert a.seed == 7 and a.n_permutations == 199


def test_permutation_p_values_consistent_with_esda(london) -> None:
    _, y_all, m = london
    y = y_all[~np.isnan(y_all)]
    graph = Graph.from_sparse(m)
    ours = hotspots.gi_star(y, graph, permutations=999, seed=1, alternative="directed")
    ref = _esda_gi(y, graph, permutations=999, seed=1, n_jobs=1)
    diff = np.abs(ours.p_sim - ref.p_sim)
    assert diff.mean() < 0.015  # Monte Carlo noise only: sd of a p near 0.5 is ~0.016
    assert ((ours.p_sim <= 0.05) == (ref.p_sim <= 0.05)).mean() > 0.95
    lm = hotspots.moran_local(y, graph, permutations=999, seed=1, alternative="directed")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The alternative hypothesis", DeprecationWarning)
        rm = esda.Moran_Local(y, graph, permutations=999, seed=1)
    assert np.abs(lm.p_sim - rm.p_sim).mean() < 0.015


def test_conditional_permutation_null_is_exact_for_small_case() -> None:
    """Each place's reference sum is a uniform k-subset of the *other* places' values."""
    rng = np.random.default_rng(3)
    v = np.array([1.0, 10.0, 100.0, 1000.0, 10000.0, 100000.0])
    w = sparse.csr_matrix(np.ones((6, 6)) - np.eye(6))[:, :]
    w = sparse.csr_matrix(w.multiply(np.array([[0, 1, 1, 0, 0, 0]] * 6)))
    w.setdiag(0)
    w.eliminate_zeros()
    out = _inference.conditional_permutation(
        v, w, np.zeros(6), scale=np.ones(6), offset=np.zeros(6), n_permutations=4000, rng=rng
    )
    # place 0 sums two of {10, ..., 100000}: mean = 2 × mean(others)
    assert out.sim_mean[0] == pytest.approx(2 * v[1:].mean(), rel=0.05)
    assert out.sim_mean[5] == pytest.approx(2 * v[:5].mean(), rel=0.05)


def test_adjustments_match_textbook_values() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(_inference.adjust_pvalues(p, "holm"), [0.03, 0.06, 0.06, 0.02])
    np.testing.assert_allclose(_inference.adjust_pvalues(p, "fdr"), [0.02, 0.04, 0.04, 0.02])
    np.testing.assert_allclose(_inference.adjust_pvalues(p, "none"), p)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adjustments_equal_statsmodels_on_non_monotone_p_values(seed: int) -> None:
    """BH and Holm against statsmodels' ``multipletests`` where the raw ``p·m/i`` (BH) and
    ``p·(m − i + 1)`` (Holm) sequences are not monotone, so the monotonicity step matters;
    ties and 0/1 included."""
    rng = np.random.default_rng(seed)
    p = np.concatenate([rng.uniform(size=150) ** 3, [0.0, 1.0, 0.02, 0.02, 0.02]])
    rng.shuffle(p)
    ranked = np.sort(p)
    m = p.size
    assert (np.diff(ranked * m / np.arange(1, m + 1)) < 0).any()  # BH raw values not monotone
    assert (np.diff(ranked * (m - np.arange(m))) < 0).any()  # nor Holm's
    for ours, theirs in (("fdr", "fdr_bh"), ("holm", "holm")):
        ref = multitest.multipletests(p, method=theirs)[1]
        np.testing.assert_allclose(_inference.adjust_pvalues(p, ours), ref, rtol=0, atol=1e-15)


def test_adjustment_of_a_short_non_monotone_vector_by_hand() -> None:
    # sorted p = .01 .011 .04 .041: p·m/i = .04 .022 .0533 .041 → step-up minimum from the top:
    # .022 .022 .041 .041 (R: p.adjust(c(.04, .01, .041, .011), "BH"))
    p = np.array([0.04, 0.01, 0.041, 0.011])
    np.testing.assert_allclose(_inference.adjust_pvalues(p, "fdr"), [0.041, 0.022, 0.041, 0.022])


def test_floor_warning_when_holm_cannot_flag_anything(lattice) -> None:
    y, w = lattice
    res = hotspots.gi_star(y, w, permutations=999, seed=1, adjust="holm")
    assert any("Holm adjustment over 400 places cannot flag anything" in m for m in res.warnings)
    assert not res.significant.any()
    ok = hotspots.gi_star(y, w, permutations=0, adjust="holm")
    assert ok.warnings == () and ok.significant.any()
    msg = _inference.floor_warning(10, 9, "none", 0.05)
    assert msg is not None and "no place can be significant" in msg


def test_classes_and_frame_columns(lattice) -> None:
    y, w = lattice
    res = hotspots.gi_star(y, w, permutations=99, seed=1)
    f = res.to_frame(id_name="cell_id")
    assert list(f.columns[:2]) == ["cell_id", "count"]
    for col in ("gi_z", "p_value", "p_adjusted", "hotspot_class"):
        assert col in f.columns
    assert set(f["hotspot_class"]) <= {"hot", "cold", "not significant"}
    assert (f.loc[f["hotspot_class"] == "hot", "gi_z"] > 0).all()
    lm = hotspots.moran_local(y, w, permutations=99, seed=1).to_frame()
    assert {"lisa_i", "lisa_quadrant", "lisa_class"} <= set(lm.columns)


# ---- counts, grids, neighbours, KDE -------------------------------------------------------


def test_points_without_coordinates_and_outside_are_reported() -> None:
    x = np.array([500050.0, 500150.0, np.nan, 600000.0, 500250.0])
    y = np.array([170050.0, 170050.0, 170000.0, 170000.0, np.nan])
    boundary = gpd.GeoDataFrame(
        geometry=[shapely.box(500000, 170000, 500300, 170300)], crs="EPSG:27700"
    )
    res = hotspots.count_points(x=x, y=y, cell_size=100, boundary=boundary)
    assert (res.n_points, res.n_counted, res.n_no_coordinates, res.n_outside) == (5, 2, 2, 1)
    assert len(res.places) == 9 and res.places["count"].sum() == 2  # zero cells kept
    assert (res.places["count"] == 0).sum() == 7


def test_auto_cell_size_follows_sfhotspot_rule() -> None:
    assert hotspots.auto_cell_size(np.array([0.0, 30000.0]), np.array([0.0, 12345.0])) == 200.0
    assert hotspots.auto_cell_size(np.array([0.0, 3000.0]), np.array([0.0, 1000.0])) == 20.0


def test_square_grid_neighbours_are_the_eight_adjacent_cells() -> None:
    rng = np.random.default_rng(0)
    res = hotspots.count_points(
        x=rng.uniform(0, 1000, 100), y=rng.uniform(0, 1000, 100), cell_size=100, crs="EPSG:27700"
    )
    w, info = hotspots.neighbours_for(res)
    card = np.diff(w.indptr)
    assert card.max() == 8 and card.min() == 3
    assert "sfhotspot" in info["neighbour_rule"]


def test_hex_grid_counts_every_point_once() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 5000, 3000), rng.uniform(0, 5000, 3000)
    res = hotspots.count_points(x=x, y=y, cell_size=500, grid_type="hex")
    assert res.n_counted == 3000 and res.places["count"].sum() == 3000
    w, _ = hotspots.neighbours_for(res)
    assert np.diff(w.indptr).max() == 6


def test_london_lsoa_contiguity_needs_tolerance(london) -> None:
    g, _y_all, m = london
    assert np.diff(m.indptr).min() >= 1  # no islands with the 1 m tolerance
    exact = hotspots.contiguity_weights(g.iloc[:300], tolerance=0)
    fuzzy = hotspots.contiguity_weights(g.iloc[:300])
    assert fuzzy.nnz >= exact.nnz


def test_kde_integrates_to_point_count_and_bandwidth_rule() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(0, 1000, 500), rng.normal(0, 1000, 500)
    cells = hotspots.make_grid((-20000, -20000, 20000, 20000), cell_size=200)
    k = hotspots.kde(x=x, y=y, cells=cells, bandwidth=800)
    assert (k.density * 0.2**2).sum() == pytest.approx(500, rel=0.01)
    bw = hotspots.kde_bandwidth(x, y)

    def nrd(v):
        q = np.subtract(*np.quantile(v, [0.75, 0.25])) / 1.34
        return 4 * 1.06 * min(v.std(ddof=1), q) * v.size**-0.2

    assert bw == pytest.approx((nrd(x) + nrd(y)) / 2)
    auto = hotspots.kde(x=x, y=y)
    assert (
        "bandwidth.nrd" in auto.params["bandwidth_rule"]
        and "set_cell_size" in auto.params["cell_size_rule"]
    )


def test_dual_kde_ratio_and_undefined_cells_counted() -> None:
    rng = np.random.default_rng(4)
    a = (rng.normal(0, 500, 300), rng.normal(0, 500, 300))
    b = (rng.normal(0, 500, 300), rng.normal(0, 500, 300))
    ga = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*a), crs="EPSG:27700")
    gb = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*b), crs="EPSG:27700")
    d = hotspots.dual_kde(ga, gb, cell_size=200, bandwidth=600)
    ok = ~np.isnan(d.value)
    np.testing.assert_allclose(d.value[ok], d.first.density[ok] / d.second.density[ok])
    assert d.params["cells_undefined"] == int((~ok).sum())

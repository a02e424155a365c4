"""Public (disclosure-controlled) needs assessment and need-index ranking, on real London data.

Lambeth LSOAs (178 places; violence against the person, 2015–2021 without the faulty 2020)
have a handful of counts below 10: they must be suppressed everywhere, with their derived
figures, and no suppressed count may be recoverable from what is published.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
from scipy.optimize import linprog
from typer.testing import CliRunner

from vrkit import get_settings
from vrkit.catalog.profiles import parse_profile
from vrkit.disclosure import sdc
from vrkit.reports.render.workbook import read_rows
from vrkit.store.warehouse import Warehouse

FILES = (
    "boundaries/statistical-gis-boundaries-london/ESRI/LSOA_2011_London_gen_MHW.shp",
    "boundaries/statistical-gis-boundaries-london/ESRI/London_Borough_Excluding_MHW.shp",
    "mps_crime_lsoa_annual_derived/london-2011-2021-major-violence.csv",
    "deprivation_iod2019/ID 2019 for London.xlsx",
    "population/london-mid2019-pop.csv",
)
VAP_RATE = "crime_violence_against_the_person_rate"
KW: dict[str, Any] = {
    "area": "Lambeth",
    "years": "2015-2021",
    "permutations": 99,
    "n_bootstrap": 50,
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, warehouses) -> Path:
    paths = [get_settings().data_dir / f for f in FILES]
    return warehouses.copy(paths, tmp_path_factory.mktemp("pubna") / "vrkit.duckdb")


@pytest.fixture(scope="module")
def reports(store: Path):
    from vrkit.reports.build.needs_assessment import _deciles, build_needs_assessment
    from vrkit.reports.public.needs_assessment import make_public

    with Warehouse(store, read_only=True) as wh:
        private = build_needs_assessment(wh, **KW)
        public = make_public(private)
        dec = _deciles(wh, private.data.places["area_code"].tolist()).set_index("area_code")
    return private, public, dec


def _sup(frame: pd.DataFrame, field: str) -> pd.Series:
    return frame["suppressed"].str.split(",").apply(lambda fs: field in fs)


def test_small_counts_suppressed_and_derived_blank(reports) -> None:
    private, public, _ = reports
    true = private.data.counts
    pub = public.published_counts.set_index("area_code")
    small = true.apply(lambda s: s.between(1, 9))
    assert small.to_numpy().sum() >= 5  # the data has small counts to protect
    assert (pub[small] == sdc.SUPPRESSED).to_numpy()[small.to_numpy()].all()
    shown = pub != sdc.SUPPRESSED
    assert (pub[shown].astype(float) == true[shown]).to_numpy()[shown.to_numpy()].all()
    latest = private.latest_year
    # hot spot layer: counts of the latest year; local statistics of suppressed places blank
    hot = public.hotspots.set_index("area_code")
    s = _sup(hot, "count")
    assert set(s[s].index) == set(pub.index[pub[latest] == sdc.SUPPRESSED])
    assert hot.loc[s, "count"].isna().all()
    for col in ("gi_z", "p_value", "lisa_i"):
        assert sdc.check_derived(hot[col], s) == []
    assert hot["gi_class"].notna().all()  # classes kept (they bound, never give, a count)
    # deprivation deciles: a suppressed decile count has no rate or share
    dep = public.deprivation
    ds = _sup(dep, "count")
    shown_dec = ~ds & dep["count"].notna()
    assert (dep.loc[shown_dec, "count"] == private.deprivation.loc[shown_dec, "count"]).all()
    for col in ("rate", "rate_lower", "rate_upper", "share_of_count"):
        assert sdc.check_derived(dep[col], ds) == []
    # top places: a suppressed place is listed last, without rank, share or cumulative share
    top = public.top_places
    ts = _sup(top, "count")
    if ts.any():
        first = int(np.flatnonzero(ts.to_numpy())[0])
        assert ts.iloc[first:].all()
        assert top.loc[ts, ["rank", "share"]].isna().all().all()
        assert top["cumulative_share"].iloc[first:].isna().all()
    # aggregate statistics stay (rounded); the Lorenz curve is published at 5 % steps only
    assert public.concentration["gini"].round(2).equals(public.concentration["gini"])
    assert len(public.lorenz) == 21 and len(private.lorenz) > 100


def test_nothing_suppressed_is_recoverable(reports) -> None:
    private, public, dec = reports
    res = public.sdc_result
    for name, t in res.tables.items():
        if t.suppressed.to_numpy().any():
            iv = sdc.feasible_intervals(t)
            assert (iv["width"] > 0).all(), f"{name}: {iv[iv['width'] <= 0]}"
    # all relations of the latest year at once (yearly total = sum of places; each printed
    # decile count = sum of its places, IMD and domains): LP bounds of every suppressed place
    latest = private.latest_year
    x = private.data.counts[latest].round()
    pub = public.published_counts.set_index("area_code")[latest]
    unknown = list(pub.index[pub == sdc.SUPPRESSED])
    assert unknown
    idx = {p: i for i, p in enumerate(unknown)}
    rows, rhs = [], []

    def relation(places: pd.Index, total: float | None) -> None:
        nonlocal rows, rhs
        if total is None:  # an unpublished group total: no relation for the reader
            return
        a = np.zeros(len(unknown))
        b = total
        for p in places:
            if p in idx:
                a[idx[p]] = 1.0
            else:
                b -= x[p]
        if a.any():
            rows.append(a)
            rhs.append(b)

    relation(x.index, float(x.sum()))
    imd = public.deprivation.set_index("decile")
    deciles = dec["imd2019_decile"].reindex(x.index)
    for d in range(1, 11):
        places = x.index[deciles == d]
        shown = len(places) and not pd.isna(imd.loc[d, "count"])
        relation(places, float(x[places].sum()) if shown else None)
    dom = public.deprivation_domains.set_index("decile_column")
    for col in dom.index:
        dd = dec[col].reindex(x.index)
        for d, rate_col in ((1, "rate_most_deprived"), (10, "rate_least_deprived")):
            places = x.index[dd == d]
            shown = len(places) and not pd.isna(dom.loc[col, rate_col])
            relation(places, float(x[places].sum()) if shown else None)
    a_eq, b_eq = np.array(rows), np.array(rhs)
    for p, i in idx.items():
        c = np.zeros(len(unknown))
        c[i] = 1.0
        lo = linprog(c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        hi = linprog(-c, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
        assert lo.status == 0 and x[p] >= lo.fun - 1e-6
        width = (-hi.fun if hi.status == 0 else np.inf) - lo.fun
        assert width > 0.5, f"{p} recoverable: {lo.fun}–{-hi.fun}"


def test_rule_stated_in_every_file_and_private_unchanged(reports, tmp_path: Path) -> None:
    import pyogrio

    from vrkit.reports.render.needs_assessment import write_needs_assessment

    private, public, _ = reports
    assert not private.public and "suppressed" not in private.hotspots.columns
    assert private.published_counts is None and private.methods[0][0] == "Area"
    pd.testing.assert_frame_equal(
        private.hotspots[["area_code", "gi_class"]], public.hotspots[["area_code", "gi_class"]]
    )
    d = public.disclosure
    assert d["rule"] == "lt10" and "below 10" in d["description"]
    assert d["cells_suppressed_primary"] > 0
    assert public.methods[0] == ("Disclosure control", d["description"])
    write_needs_assessment(public, tmp_path / "pub")
    html = (tmp_path / "pub" / "needs-assessment.html").read_text(encoding="utf-8")
    assert "Public edition" in html and d["description"][:60] in html
    if (public.top_places["suppressed"] != "").any():
        assert "<td class='n'>*</td>" in html
    pub_xlsx = tmp_path / "pub" / "needs-assessment.xlsx"
    rows = dict(read_rows(pub_xlsx, "disclosure_control")[1:])
    assert rows["rule"] == "lt10" and rows["description"] == d["description"]
    assert any("*" in r for r in read_rows(pub_xlsx, "counts"))
    gpkg = tmp_path / "pub" / "needs-assessment.gpkg"
    assert "disclosure_control" in {n for n, _ in pyogrio.list_layers(gpkg)}
    layer = pyogrio.read_dataframe(gpkg, layer="hotspots")
    assert (
        "suppressed" in layer.columns
        and layer.loc[layer["suppressed"] == "count", "count"].isna().all()
    )
    write_needs_assessment(private, tmp_path / "priv")
    html = (tmp_path / "priv" / "needs-assessment.html").read_text(encoding="utf-8")
    assert "Public edition" not in html and "Disclosure control" not in html
    wb = openpyxl.load_workbook(tmp_path / "priv" / "needs-assessment.xlsx", read_only=True)
    assert "disclosure_control" not in wb.sheetnames


def _cli(store: Path, *args: str):
    from vrkit.cli import app

    return CliRunner().invoke(app, ["--store", str(store), *args])


def test_needs_assessment_cli_public_nhs(store: Path, tmp_path: Path) -> None:
    r = _cli(
        store,
        *("report", "needs-assessment", "--area", "Lambeth", "--years", "2019-2021"),
        *("--perms", "99", "--format", "xlsx", "--public", "--sdc-rule", "nhs"),
        *("--out", str(tmp_path)),
    )
    assert r.exit_code == 0, r.output
    assert "public edition (nhs)" in r.output
    rows = dict(read_rows(tmp_path / "needs-assessment.xlsx", "disclosure_control")[1:])
    assert rows["rule"] == "nhs" and "1 to 7" in rows["description"]
    bad = _cli(
        store,
        *("report", "needs-assessment", "--area", "Lambeth", "--public", "--sdc-rule", "lt5"),
        *("--out", str(tmp_path / "bad")),
    )
    assert bad.exit_code != 0 and "lt5" in bad.output


# ---------------------------------------------------------------------------------------------
# vrkit rank --public


def _profile():
    return parse_profile(
        {
            "id": "t",
            "name": "Test",
            "version": 1,
            "description": "d",
            "rationale": "r",
            "sources": ["s"],
            "indicator": [{"id": VAP_RATE, "weight": 1}, {"id": "imd2019_score", "weight": 1}],
        },
        known={VAP_RATE: "higher_is_worse", "imd2019_score": "higher_is_worse"},
    )


@pytest.fixture(scope="module")
def ranks(store: Path):
    from vrkit.reports.build.need_index import build_need_index_report

    with Warehouse(store, read_only=True) as wh:
        kw: dict[str, Any] = {"geography": "lsoa", "top_n": 20, "n_draws": 20}
        return (
            build_need_index_report(wh, _profile(), **kw),
            build_need_index_report(wh, _profile(), **kw, public=True),
        )


def test_rank_public_blanks_small_count_rates(ranks, tmp_path: Path) -> None:
    private, public = ranks
    counts = private.inputs.counts[VAP_RATE]
    small = set(counts.index[counts.between(1, 9)])
    assert len(small) > 20
    t = public.table.set_index("area_code")
    blanked = set(t.index[t["blanked"] != ""])
    assert small <= blanked  # every small count, plus complements within the borough
    col = f"contrib_{VAP_RATE}"
    assert t.loc[list(blanked), col].isna().all()
    assert t.loc[~t.index.isin(blanked), col].notna().all()
    assert t["score"].notna().all() and t["rank"].notna().all()  # scores and ranks stay
    # the values used for blanked areas come from published figures only (pooled by borough)
    v = public.inputs.values[VAP_RATE]
    assert not np.allclose(v[list(small)], private.inputs.values.loc[list(small), VAP_RATE])
    for name, tb in public.sdc_result.tables.items():
        if tb.suppressed.to_numpy().any():
            assert (sdc.feasible_intervals(tb)["width"] > 0).all(), name
    # non-public ranking unchanged: no blanked column, all contributions shown
    assert "blanked" not in private.table.columns and private.table[col].notna().all()
    d = public.disclosure
    assert d["rule"] == "lt10" and d["values_blanked"] == len(blanked)


def test_rank_cli_public(store: Path, tmp_path: Path) -> None:
    prof = tmp_path / "p.toml"
    prof.write_text(
        'name = "T"\nversion = 1\ndescription = "d"\nrationale = "r"\nsources = ["s"]\n'
        f'[[indicator]]\nid = "{VAP_RATE}"\nweight = 1\n'
        '[[indicator]]\nid = "imd2019_score"\nweight = 1\n',
        encoding="utf-8",
    )
    out = tmp_path / "o"
    r = _cli(
        store,
        *("rank", "--profile", str(prof), "--geography", "lsoa", "--draws", "20"),
        *("--format", "csv", "--format", "xlsx", "--format", "html", "--public"),
        *("--out", str(out)),
    )
    assert r.exit_code == 0, r.output
    assert "public edition (lt10)" in r.output
    csv = pd.read_csv(out / "need_index_p_lsoa.csv")
    assert csv["blanked"].notna().sum() > 20
    assert csv.loc[csv["blanked"].notna(), f"contrib_{VAP_RATE}"].isna().all()
    rows = dict(read_rows(out / "need_index_p_lsoa.xlsx", "disclosure_control")[1:])
    assert rows["rule"] == "lt10" and "below 10" in rows["description"]
    method = dict(read_rows(out / "need_index_p_lsoa.xlsx", "method")[1:])
    assert "below 10" in method["disclosure_control"]
    html = (out / "need_index_p_lsoa.html").read_text(encoding="utf-8")
    assert "Public edition" in html and "pooled rate" in html
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in rows.items())  # plain text

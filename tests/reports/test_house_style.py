"""One house style (issue #13): the label catalogue, formatting by kind, the HTML table, the
workbook layout, event markers, SVG tooltips and quantile map classes.

Unit tests on small hand-made inputs whose right answers are worked out in the test; the
rendered reports are checked in a real browser by ``test_report_browser.py``.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest

from vrkit.catalog.events import events_frame
from vrkit.reports.render.charts import (
    MARKER_PX,
    _add_titles,
    _event_layers,
    event_key,
    forecast_chart,
    monthly_chart,
    to_svg,
)
from vrkit.reports.render.html import table_html
from vrkit.reports.render.labels import (
    CATALOGUE,
    column,
    excel_format,
    format_p,
    format_value,
    humanise,
    prose_list,
)
from vrkit.reports.render.maps import is_skewed, outline_data, quantile_breaks, short_name
from vrkit.reports.render.violent_crime import offences_phrase
from vrkit.reports.render.workbook import HEADER_ROW, Table, with_area_names, write_workbook
from vrkit.reports.render.xlsx import monthly_grid

EVIL = '=HYPERLINK("http://x","y")'

# -- labels and formatting --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (12345, "count", "12,345"),
        (12345.0, "count", "12,345"),
        (-42, "count", "−42"),
        (0.1983405636284558, "share", "19.8 %"),
        (-0.869, "pct", "−0.9 %"),
        (12.34, "pct", "+12.3 %"),
        (0.0, "pct", "0.0 %"),
        (0.0, "p_value", "< 0.001"),
        (0.00049, "p_value", "< 0.001"),
        (0.0321, "p_value", "0.032"),
        (pd.Timestamp("2011-01-01 00:00:00"), "date", "1 January 2011"),
        ("2011-01-01 00:00:00", "date", "1 January 2011"),
        (date(2021, 6, 1), "month", "June 2021"),
        ("2021-06", "month", "June 2021"),
        (2020.0, "label", "2020"),
        (["The 2020 column", "IMD"], "text", "The 2020 column and IMD"),
        (12.3456, "rate", "12.35"),
        (0.12345, "stat", "0.123"),
        (float("nan"), "count", ""),
        (None, "share", ""),
    ],
)
def test_format_by_kind(value: object, kind: str, text: str) -> None:
    assert format_value(value, kind) == text  # type: ignore[arg-type]


def test_prose_list_and_p_values() -> None:
    assert prose_list([]) == "" and prose_list(["a"]) == "a"
    assert prose_list(["a", "b"]) == "a and b"
    assert prose_list(["a", None, "b", "c"]) == "a, b and c"
    assert format_p(1e-12) == "< 0.001" and format_p(0.001) == "0.001"


def test_catalogue_labels_kinds_and_fallback() -> None:
    for cid in ("top_5pct_share", "gini_ci_lower", "indicators_used", "spearman_p"):
        spec = CATALOGUE[cid]
        assert "_" not in spec.label and spec.label[0].isupper()
    assert column("spearman_p").kind == "p_value"
    assert column("top_5pct_share").kind == "share"
    assert column("pct_change").kind == "pct"
    # unknown ids still read as words, with a kind from the dtype or the name
    assert humanise("top_10pct_share") == "Top 10 % share"
    assert column("top_30pct_share").kind == "share"
    assert column("n_things", pd.Series([1, 2])).kind == "count"
    assert column("contrib_imd2019_score").label.startswith("Contribution: IMD 2019")
    assert excel_format("share") == "0.0%" and excel_format("count") == "#,##0"
    assert excel_format("text") is None


def test_table_html_labels_alignment_and_scroll_region() -> None:
    frame = pd.DataFrame(
        {
            "area_name": ["Lambeth", "<b>Camden</b>"],
            "top_5pct_share": [0.1983405636284558, 0.25],
            "spearman_p": [0.0, 0.0432],
            "year": [2019, 2020],
            "crimes": [217874, 1000],
            "indicators_used": [["a", "b", "c"], ["d"]],
            "period_start": pd.to_datetime(["2011-01-01", "2012-04-01"]),
        }
    )
    html = table_html(frame, caption="Test table")
    heads = re.findall(r"<th scope='col'[^>]*>([^<]*)</th>", html)
    assert heads == [
        "Area",
        "Share in top 5 % of places",
        "Spearman p-value",
        "Year",
        "Offences",
        "Indicators used",
        "Period start",
    ]
    assert not [h for h in heads if "_" in h]
    assert "<td class='n'>19.8 %</td>" in html and "<td class='n'>&lt; 0.001</td>" in html
    assert "<td class='n'>217,874</td>" in html and "<td class='n'>2019</td>" in html
    assert "a, b and c" in html and "['a'" not in html
    assert "1 January 2011" in html and "00:00:00" not in html
    assert "&lt;b&gt;Camden" in html  # data text is escaped
    assert html.startswith('<div class="table-wrap" role="region" aria-label="Test table"')
    assert 'tabindex="0"' in html
    wide = table_html(pd.DataFrame({f"c{i}": [1] for i in range(9)}))
    assert 'class="table-wrap wide"' in wide  # prints on a landscape page


def test_offences_phrase_never_doubles() -> None:
    assert offences_phrase("Sexual offences") == "sexual offences"
    assert offences_phrase("Robbery") == "robbery offences"
    assert offences_phrase("Violence with injury") == "violence with injury offences"


# -- charts -------------------------------------------------------------------------------------


def test_event_markers_never_overlap_and_are_keyed() -> None:
    ev = events_frame(date(2019, 1, 1), date(2021, 12, 31))
    for year in (2020, 2021):
        _, _, labels = _event_layers(ev, year, year - 1, 660)
        assert not labels.empty
        # same lane ⇒ centres at least one marker apart
        for _, lane in labels.groupby("row"):
            xs = sorted(lane["x"])
            assert all(b - a >= MARKER_PX for a, b in itertools.pairwise(xs))
        key = event_key(ev, year, year - 1)
        assert [k["n"] for k in key] == list(range(1, len(key) + 1))
        assert len(key) == len(labels)
    texts = [k["text"] for k in event_key(ev, 2020, 2019)]
    # the London 2020 case of the issue: both lockdowns and the rule of six, each its own entry
    assert any(t.startswith("Rule of six") for t in texts)
    assert any(t.startswith("Second national lockdown") for t in texts)
    assert any(t.startswith("Three-tier system") for t in texts)


def test_monthly_chart_legend_below_and_point_tooltips() -> None:
    monthly = pd.DataFrame(
        {
            "year": [2019] * 12 + [2020] * 12,
            "month_num": list(range(1, 13)) * 2,
            "count": np.arange(24, dtype=float) * 100 + 1000,
        }
    )
    chart = monthly_chart(
        monthly,
        label="Violence with injury",
        year=2020,
        compare=2019,
        events=events_frame(date(2019, 1, 1), date(2020, 12, 31)),
    )
    spec = chart.to_dict(validate=False)
    legends = [
        lay["encoding"]["color"].get("legend")
        for lay in spec["layer"]
        if "color" in lay.get("encoding", {}) and lay["encoding"]["color"].get("legend")
    ]
    assert legends and all(lg["orient"] == "bottom" for lg in legends)
    svg = to_svg(chart, description="test")
    titles = re.findall(r"<title>([^<]*)</title>", svg)
    assert "January 2020: 2,200 offences" in titles
    assert any(t.startswith("1. ") for t in titles)  # the event markers


def test_add_titles_only_on_data_items() -> None:
    svg = (
        '<svg><g role="graphics-symbol" aria-label="axis"><path d="M0"/></g>'
        '<path aria-label="Lambeth: 12.3" role="graphics-symbol" d="M1"/>'
        '<text role="graphics-symbol" aria-label="3">3</text></svg>'
    )
    out = _add_titles(svg)
    assert '<path aria-label="Lambeth: 12.3" role="graphics-symbol" d="M1"><title>' in out
    assert "<title>Lambeth: 12.3</title></path>" in out
    assert '<text role="graphics-symbol" aria-label="3"><title>3</title>3</text>' in out
    assert out.count("<title>") == 2  # the axis group is left alone


def test_forecast_chart_title_is_the_label() -> None:
    months = pd.date_range("2019-01-01", periods=24, freq="MS")
    res = SimpleNamespace(
        history=pd.DataFrame({"month": months, "count": np.arange(24.0)}),
        table=pd.DataFrame(
            {
                "month": pd.date_range("2021-01-01", periods=3, freq="MS"),
                **{c: [1.0, 2.0, 3.0] for c in ("mean", "lower_80", "upper_80")},
                **{c: [0.5, 1.0, 4.0] for c in ("lower_95", "upper_95")},
            }
        ),
    )
    spec = forecast_chart(res, label="Lambeth", measure_label="Violence with injury").to_dict(
        validate=False
    )
    assert spec["title"]["text"] == "Violence with injury, Lambeth: history and forecast"
    assert "violence_with_injury" not in str(spec["title"])


def test_quantile_breaks_and_skew() -> None:
    assert quantile_breaks([float(v) for v in range(1, 11)], 5) == [2.8, 4.6, 6.4, 8.2]
    assert quantile_breaks([1.0] * 8 + [2.0, 3.0], 5) == [
        1.0,
        1.2,
    ]  # duplicates dropped (q80: 1 + 0.2 × (2 − 1))
    # the ward rates: most wards 2–10 per 1,000, the West End 55
    rates = [2.0 + 0.1 * i for i in range(80)] + [55.2]
    assert is_skewed(rates)
    assert not is_skewed([float(v) for v in range(10, 30)])


# -- workbooks ----------------------------------------------------------------------------------


def test_workbook_layout(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "area_code": ["E05000001", "E05000002", "E05000003"],
            "area_name": [EVIL, "Bishop's", "Coldharbour"],
            "current": [1200, 5, 340],
            "pct_change": [-0.869, 12.5, np.nan],
            "share": [0.1983405636284558, 0.5, 0.3],
            "p_value": [0.0001, 0.2, 0.05],
            "period_start": pd.to_datetime(["2011-01-01", "2012-01-01", "2013-01-01"]),
            "suppressed": ["", "current", ""],
        }
    )
    path = write_workbook(
        tmp_path / "w.xlsx",
        title="Test report",
        about=[("Area", "Lambeth (E09000022)")],
        tables=[
            Table("wards", "Wards of Lambeth", frame, "MPS"),
            Table("boroughs", "Boroughs", pd.DataFrame(), empty_reason="not applicable here"),
        ],
        notes=[("caveat", "Counts are provisional.")],
    )
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Contents", "wards", "Notes"]  # no empty sheet
    contents = [c.value for row in wb["Contents"].iter_rows() for c in row if c.value]
    assert "Test report" in contents and "Wards of Lambeth" in contents
    ws = wb["wards"]
    assert ws["A1"].value == "Wards of Lambeth" and ws["A1"].font.b
    assert ws["A2"].value.startswith("Units:") and ws["A3"].value == "Source: MPS"
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    header = [c.value for c in ws[HEADER_ROW]]
    assert header == [
        "Area code",
        "Area",
        "Offences, report year",
        "% change",
        "Share",
        "p-value",
        "Period start",
    ]
    row = {h: ws.cell(HEADER_ROW + 1, i + 1) for i, h in enumerate(header)}
    assert row["Area"].value == EVIL and row["Area"].data_type == "s"  # never a formula
    assert row["Offences, report year"].number_format == "#,##0"
    assert row["% change"].value == pytest.approx(-0.00869)  # a fraction …
    assert row["% change"].number_format == "0.0%"  # … shown as −0.9 %
    assert (
        row["Share"].value == pytest.approx(0.19834, abs=1e-5)
        and row["Share"].number_format == "0.0%"
    )
    assert row["p-value"].number_format == "0.000"
    assert row["Period start"].number_format == "d mmm yyyy"
    assert ws.cell(HEADER_ROW + 2, 3).value == "*"  # suppressed count starred
    assert ws.cell(HEADER_ROW + 3, 4).value is None  # missing is blank, never zero
    assert ws.column_dimensions["B"].width >= len(EVIL)
    assert ws.auto_filter.ref == f"A{HEADER_ROW}:G{HEADER_ROW + 3}"
    notes = [c.value for row in wb["Notes"].iter_rows() for c in row if c.value]
    assert "Counts are provisional." in notes
    assert "Boroughs: not applicable here." in notes


def test_area_names_and_boroughs_beside_codes() -> None:
    f = pd.DataFrame({"area_code": ["W1", "W2"], "count": [3, 4]})
    out = with_area_names(
        f,
        {"W1": "North", "W2": "South"},
        parents={"W1": "E09000022", "W2": "E09000028"},
        parent_names={"E09000022": "Lambeth", "E09000028": "Southwark"},
    )
    assert list(out.columns) == ["area_code", "area_name", "borough", "count"]
    assert out["borough"].tolist() == ["Lambeth", "Southwark"]
    assert "area_name" not in f.columns  # input not modified


def test_monthly_grid_month_by_year() -> None:
    rows = [("Robbery", y, m, 10.0 * m) for y in (2019, 2020) for m in range(1, 13)]
    monthly = pd.DataFrame(rows, columns=["label", "year", "month_num", "count"])
    monthly = monthly[~((monthly["year"] == 2020) & (monthly["month_num"] == 12))]
    g = monthly_grid(monthly)
    assert list(g.columns[:4]) == ["label", "year", "Jan", "Feb"]
    assert g.loc[g["year"] == 2019, "total"].item() == 780.0
    assert pd.isna(g.loc[g["year"] == 2020, "Dec"].item())
    assert pd.isna(g.loc[g["year"] == 2020, "total"].item())  # a missing month is never 0


def test_outline_labels_never_overlap() -> None:
    import shapely

    # a row of 1 km squares: long names cannot all fit side by side on a 420 px map
    boxes = [shapely.box(i * 1000, 0, (i + 1) * 1000, 1000) for i in range(40)]
    geo = pd.DataFrame(
        {
            "area_code": [f"E0900{i:04d}" for i in range(40)],
            "area_name": [f"Borough number {i}" for i in range(40)],
            "geometry": [shapely.to_wkb(b) for b in boxes],
        }
    )
    feats, labels = outline_data(geo)
    assert len(feats) == 40 and 0 < len(labels) < 40
    lons = sorted(lab["lon"] for lab in labels)
    # 40 km over 420 px: ≈ 10.5 px/km; a 14-character label at 7 px ≈ 69 px ≈ 6.5 km apart
    assert all(b - a > 0.08 for a, b in itertools.pairwise(lons))  # ≈ 5.5 km in longitude
    assert short_name("Richmond upon Thames") == "Richmond"
    assert short_name("Barking and Dagenham") == "Barking"
    assert short_name("Waltham Forest") == "Waltham Forest"

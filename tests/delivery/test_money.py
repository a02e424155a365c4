"""Money and the financial calendar: exact pence, financial years and quarters, and the £m
tables that state when the printed parts do not add up to the printed total."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from vrkit.catalog.money import (
    fmt_gbp,
    fmt_m,
    fy_bounds,
    fy_label,
    millions,
    parse_fy,
    pence,
    quarter_bounds,
    quarter_of,
    rounded_table,
)
from vrkit.errors import InputError

# -- inputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2020/21", "2020-21", "2020/2021", "FY2020/21", 2020, "2020"])
def test_financial_years_parse(text: object) -> None:
    assert parse_fy(text) == 2020  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["2020/22", "20/21", "abc", "2020/2022", "1800/01"])
def test_bad_financial_years_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="financial year"):
        parse_fy(text)


def test_pence_is_exact() -> None:
    assert pence("7.6", unit="GBP m") == 760_000_000
    assert pence("£1,234.56") == 123_456
    assert pence(Decimal("0.1")) == 10
    # 0.1 + 0.2 in floats is 0.30000000000000004; in pence it is 30
    assert pence("0.1") + pence("0.2") == pence("0.3") == 30
    with pytest.raises(InputError, match="whole number of pence"):
        pence("1.005")
    with pytest.raises(InputError, match="not an amount"):
        pence("12,5a")
    with pytest.raises(TypeError):
        pence(1.5)  # type: ignore[arg-type]


# -- calendar ----------------------------------------------------------------------------------


def test_quarters_of_the_financial_year() -> None:
    assert fy_bounds(2020) == (date(2020, 4, 1), date(2021, 3, 31))
    assert quarter_bounds(2020, 1) == (date(2020, 4, 1), date(2020, 6, 30))
    assert quarter_bounds(2020, 3) == (date(2020, 10, 1), date(2020, 12, 31))
    assert quarter_bounds(2019, 4) == (date(2020, 1, 1), date(2020, 3, 31))  # leap year
    assert quarter_of(date(2021, 3, 31)) == (2020, 4)
    assert quarter_of(date(2020, 4, 1)) == (2020, 1)
    assert fy_label(2020) == "2020/21" and fy_label(1999) == "1999/00"


# -- published tables --------------------------------------------------------------------------


def test_rounding_is_half_up_as_published() -> None:
    # banker's rounding would print 0.2 for 0.25; published tables round half up
    assert millions(25_000_000) == Decimal("0.3")
    assert millions(15_000_000) == Decimal("0.2")
    assert fmt_m(760_000_000) == "7.6"
    assert fmt_gbp(123_456) == "£1,234.56" and fmt_gbp(-50) == "-£0.50"
    assert fmt_gbp(None) == "–"


def test_funding_table_adds_up_when_the_parts_do() -> None:
    parts = [
        (n, pence(v, unit="GBP m"))
        for n, v in [
            ("HO", "7.6"),
            ("Core", "5.0"),
            ("Growth", "5.0"),
            ("LCPF", "1.6"),
            ("Reserves", "0.5"),
        ]
    ]
    t = rounded_table(parts)
    assert t.total_rounded == Decimal("19.7") and t.adds_up and t.note is None


def test_theme_table_states_that_parts_do_not_add_to_the_total() -> None:
    """The published 2020/21 themes: 8.0 + 5.7 + 5.9 = 19.6 against a total of 19.7."""
    parts = [
        (n, pence(v, unit="GBP m"))
        for n, v in [("VCS", "8.0"), ("LA", "5.7"), ("Education", "5.9")]
    ]
    t = rounded_table(parts, total=pence("19.7", unit="GBP m"), what="themes")
    assert t.parts_sum_rounded == Decimal("19.6")
    assert t.total_rounded == Decimal("19.7")
    assert not t.adds_up
    assert t.unattributed_pence == 10_000_000
    assert t.note is not None
    assert "add up to 19.6 but the total is 19.7" in t.note
    assert "within what rounding of 3 figures can produce" in t.note


def test_rounding_alone_can_break_the_sum() -> None:
    """Exact parts 1.04 + 1.04 + 1.04 = 3.12 print as 1.0 + 1.0 + 1.0 = 3.0 against 3.1."""
    t = rounded_table([("a", 104_000_000)] * 3)
    assert [r.rounded for r in t.rows] == [Decimal("1.0")] * 3
    assert t.total_rounded == Decimal("3.1") and not t.adds_up
    assert t.unattributed_pence == 0
    assert t.note is not None and "not attributed" not in t.note


def test_a_missing_amount_is_never_zero() -> None:
    t = rounded_table([("a", 100_000_000), ("b", None)])
    assert t.total_pence is None and t.total_rounded is None
    assert t.note is not None and "No amount is recorded for b" in t.note

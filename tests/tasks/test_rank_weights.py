"""Weights chosen by the user (``vrkit rank --weights``, the portal's data tool)."""

from __future__ import annotations

import pytest

from vrkit.catalog.profiles import effective_weights, load_profile
from vrkit.errors import InputError
from vrkit.tasks.ranking import parse_weights, with_weights


def test_with_weights_replaces_only_the_named_weights() -> None:
    prof = load_profile("sports")
    new = with_weights(prof, {"imd2019_score": 3.0})
    before = {s.indicator_id: s.weight for s in prof.indicators}
    after = {s.indicator_id: s.weight for s in new.indicators}
    assert after["imd2019_score"] == 3.0 and before["imd2019_score"] != 3.0
    assert {k: v for k, v in after.items() if k != "imd2019_score"} == {
        k: v for k, v in before.items() if k != "imd2019_score"
    }
    assert new.domain_weights == prof.domain_weights
    # the profile itself is untouched (frozen dataclasses, a new object)
    assert {s.indicator_id: s.weight for s in prof.indicators} == before
    # the deprivation domain holds imd2019_score alone: its effective weight is the domain's
    assert effective_weights(new.indicators, new.domain_weights)["imd2019_score"] == pytest.approx(
        effective_weights(prof.indicators, prof.domain_weights)["imd2019_score"]
    )


def test_with_weights_refuses_unknown_negative_and_all_zero() -> None:
    prof = load_profile("mentoring")
    with pytest.raises(InputError, match="no indicator 'nope'"):
        with_weights(prof, {"nope": 1.0})
    with pytest.raises(InputError, match="≥ 0"):
        with_weights(prof, {"imd2019_score": -1.0})
    with pytest.raises(InputError, match="all zero"):
        with_weights(prof, dict.fromkeys(prof.indicator_ids, 0.0))


def test_parse_weights() -> None:
    assert parse_weights(" a=2, b=0.5 ,") == {"a": 2.0, "b": 0.5}
    assert parse_weights(None) == {} == parse_weights("")
    for bad in ("a", "a=", "=2", "a=x", "a=nan"):
        with pytest.raises(InputError, match="indicator=weight"):
            parse_weights(bad)

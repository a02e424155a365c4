"""Measures catalogue: every headline measure resolves on the real MPS taxonomies."""

from __future__ import annotations

import pandas as pd
import pytest

from vrkit.catalog import load_csv
from vrkit.catalog.events import events, events_between
from vrkit.catalog.measures import get_measure, measures, taxonomy_of
from vrkit.errors import InputError
from vrkit.store.sql import measure_condition

REQUIRED = [
    "violence_against_the_person",
    "violence_with_injury",
    "violence_without_injury",
    "homicide",
    "robbery",
    "sexual_offences",
    "possession_of_weapons",
    "total_crime",
    "violence_and_sexual_offences",
]


def test_required_measures_exist() -> None:
    assert set(REQUIRED) <= set(measures())
    assert get_measure("violence_and_sexual_offences").supports("police_uk")


def test_unknown_measure_and_taxonomy() -> None:
    with pytest.raises(InputError, match="unknown measure 'knives'"):
        get_measure("knives")
    with pytest.raises(InputError, match="not defined for taxonomy 'police_uk'"):
        measure_condition(get_measure("violence_with_injury"), "police_uk")
    with pytest.raises(InputError, match="no offence taxonomy"):
        taxonomy_of("boundary")


def test_every_mps_rule_names_a_real_category() -> None:
    """A typo in measures.toml would silently count nothing: every rule must match the taxonomy."""
    tax = pd.DataFrame(load_csv("taxonomy_mps.csv"))
    for m in measures().values():
        for rule in m.rules.get("mps", ()):
            hit = tax.apply(
                lambda r, rule=rule: rule.matches(r.offence_major, r.offence_minor), axis=1
            )
            assert hit.any(), f"{m.id}: {rule} matches no MPS category"


def test_mask_is_case_insensitive_and_sql_agrees() -> None:
    f = pd.DataFrame(
        {
            "offence_major": [
                "VIOLENCE AGAINST THE PERSON",
                "Violence Against the Person",
                "Robbery",
            ],
            "offence_minor": ["VIOLENCE WITH INJURY", "Homicide", "Robbery of Personal Property"],
        }
    )
    assert get_measure("violence_with_injury").mask(f, "mps").tolist() == [True, False, False]
    assert get_measure("violence_against_the_person").mask(f, "mps").tolist() == [True, True, False]
    assert get_measure("total_crime").mask(f, "mps").all()
    import duckdb

    con = duckdb.connect()
    con.register("f", f)
    cond = measure_condition(get_measure("violence_with_injury"), "mps")
    assert con.execute(f"SELECT count(*) FROM f WHERE {cond}").fetchone() == (1,)


def test_events_catalogue_has_the_2020_restrictions() -> None:
    ids = {e.id for e in events()}
    assert {"lockdown_1", "easing_2020_07", "lockdown_2", "lockdown_3"} <= ids
    from datetime import date

    in_2020 = events_between(date(2020, 1, 1), date(2020, 12, 31))
    assert all(e.source for e in in_2020)
    lock2 = next(e for e in in_2020 if e.id == "lockdown_2")
    assert (lock2.start, lock2.end) == (date(2020, 11, 5), date(2020, 12, 2))

"""Published figures are catalogue data with a source (catalog/published.toml)."""

from vrkit.catalog.published import published_changes


def test_published_london_knife_changes_have_sources() -> None:
    got = {c.measure: c for c in published_changes("London", 2020, 2019)}
    assert {m: c.pct_change for m, c in got.items()} == {
        "knife_crime": -25.0,
        "knife_injury_victims_u25": -28.0,
    }
    assert all(c.source.startswith("London VRU") for c in got.values())
    assert published_changes("London", 2021, 2020) == []
    assert published_changes("Lambeth", 2020, 2019) == []

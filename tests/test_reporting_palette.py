"""One palette: a site keeps its colour across variants, trips cycle through distinct colours."""

from __future__ import annotations

from wasteopt.reporting import palette
from wasteopt.scenario import apply_variant


def test_site_colours_stable_across_variants(tiny_scenario):
    """Applying a variant (which closes and opens stations) changes no site's colour, and the
    sites of one scenario get distinct colours."""
    base = palette.site_colours(tiny_scenario)
    assert palette.site_colours(apply_variant(tiny_scenario, "east")) == base
    assert len(set(base.values())) == len(base) == 4


def test_stream_and_trip_colours():
    """A stream uses its scenario colour (a fixed one when unknown); trips 1–8 differ, 9 is 1."""
    assert len({palette.trip_colour(k) for k in range(1, 9)}) == 8
    assert palette.trip_colour(9) == palette.trip_colour(1)


def test_stream_colour_is_the_scenarios(tiny_scenario):
    """stream_colour returns the streams table's colour, and a fixed one for an unknown id."""
    assert palette.stream_colour(tiny_scenario, "kitchen") == tiny_scenario.stream("kitchen").color
    assert palette.stream_colour(tiny_scenario, "nope") == palette.UNKNOWN_STREAM

"""Tests for wasteopt.stopids: the ids of twice-daily stops."""

from wasteopt.stopids import TWICE_SUFFIX, point_of, split_stop_id, stop_id


def test_first_visit_keeps_the_point_id_second_gets_the_suffix():
    """Visit 0 is the point id itself; visit 1 is the point id plus the suffix."""
    assert stop_id("P-1", 0) == "P-1"
    assert stop_id("P-1", 1) == "P-1" + TWICE_SUFFIX


def test_split_inverts_stop_id():
    """split_stop_id gives back the point and the 1-based visit number."""
    assert split_stop_id(stop_id("P-1", 0)) == ("P-1", 1)
    assert split_stop_id(stop_id("P-1", 1)) == ("P-1", 2)
    assert point_of("P-1" + TWICE_SUFFIX) == "P-1"
    assert point_of("ST-CENTRAL") == "ST-CENTRAL"

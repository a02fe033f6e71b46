"""WGS-84 ↔ GCJ-02 ↔ BD-09 against published reference pairs, and the inverses' round trips.

Reference pairs, as published with two widely used open implementations of the same algorithm:
- googollee/eviltransform, ``python/test.py`` (and ``go/transform_test.go``): WGS-84 → GCJ-02 of
  points in Shanghai, Shenzhen and Beijing (wgsLat, wgsLng, gcjLat, gcjLng);
- wandergis/coordtransform, ``test/app.js``: the results printed for (116.404, 39.915) by
  wgs84togcj02, gcj02tobd09 and bd09togcj02.
"""

from __future__ import annotations

import numpy as np
import pytest

from wasteopt.coordinates import (
    CRS_NAMES,
    bd09_to_gcj02,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_china,
    parse_crs,
    transform,
    wgs84_to_gcj02,
)

TOL = 1e-6  # degrees (about 0.1 m)

# eviltransform: (wgs lat, wgs lng, gcj lat, gcj lng)
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
# coordtransform: input (lng, lat) → published output (lng, lat)
COORDTRANSFORM_IN = (116.404, 39.915)
COORDTRANSFORM = {
    "wgs84_to_gcj02": (116.41024449916938, 39.91640428150164),
    "gcj02_to_bd09": (116.41036949371029, 39.92133699351021),
    "bd09_to_gcj02": (116.39762729119315, 39.90865673957631),
}


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_eviltransform(wlat, wlng, glat, glng):
    """The forward offset reproduces eviltransform's published GCJ-02 points within 1e-6°."""
    lon, lat = wgs84_to_gcj02(wlng, wlat)
    assert abs(lon - glng) < TOL and abs(lat - glat) < TOL


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM)
def test_gcj02_to_wgs84_inverts_to_the_reference(wlat, wlng, glat, glng):
    """GCJ-02 → WGS-84 of the published GCJ-02 point returns its WGS-84 point within 1e-6°."""
    lon, lat = gcj02_to_wgs84(glng, glat)
    assert abs(lon - wlng) < TOL and abs(lat - wlat) < TOL


@pytest.mark.parametrize(
    ("name", "function"),
    [
        ("wgs84_to_gcj02", wgs84_to_gcj02),
        ("gcj02_to_bd09", gcj02_to_bd09),
        ("bd09_to_gcj02", bd09_to_gcj02),
    ],
)
def test_matches_coordtransform(name, function):
    """Each published coordtransform result for (116.404, 39.915) is reproduced within 1e-6°."""
    lon, lat = function(*COORDTRANSFORM_IN)
    want = COORDTRANSFORM[name]
    assert abs(lon - want[0]) < TOL and abs(lat - want[1]) < TOL


def test_offset_is_hundreds_of_metres_in_jintan():
    """In Jintan GCJ-02 lies a few hundred metres from WGS-84 (the error the option removes)."""
    lon, lat = wgs84_to_gcj02(119.56, 31.74)
    metres = np.hypot((lon - 119.56) * 94_700, (lat - 31.74) * 111_000)
    assert 300 < metres < 800


def test_round_trips_over_china():
    """WGS-84 → GCJ-02 → WGS-84 is exact to 1e-9° and GCJ-02 → BD-09 → GCJ-02 to the published
    inverse's 2e-6° over 2,000 random points, as arrays."""
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(75, 135, 2000), rng.uniform(5, 53, 2000)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.abs(back[0] - lon).max() < 1e-9 and np.abs(back[1] - lat).max() < 1e-9
    again = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert np.abs(again[0] - lon).max() < 2e-6 and np.abs(again[1] - lat).max() < 2e-6
    for source in CRS_NAMES:
        for target in CRS_NAMES:
            x, _ = transform(*transform(lon[:50], lat[:50], source, target), target, source)
            assert np.abs(x - lon[:50]).max() < 3e-6, (source, target)


def test_outside_china_gcj02_is_wgs84():
    """Outside China's box GCJ-02 equals WGS-84 (Paris stays put); inside it does not."""
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert in_china(np.array([2.35, 119.5]), np.array([48.85, 31.7])).tolist() == [False, True]


def test_parse_crs_accepts_spellings_and_names_the_choices():
    """GCJ-02, gcj02 and gcj_02 all mean gcj02; an unknown name lists the accepted ones."""
    assert {parse_crs(t) for t in ("GCJ-02", "gcj02", "gcj_02")} == {"gcj02"}
    with pytest.raises(ValueError, match="wgs84"):
        parse_crs("utm50n")

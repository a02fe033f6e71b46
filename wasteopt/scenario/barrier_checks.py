"""Checks of barriers against the sites: no site inside a barrier, no site cut off, every
crossing starting and ending outside the barriers; and a hint when the sites look shifted.

A site inside a water polygon is most often a coordinate-system slip: points copied from an
AMap/Tencent (GCJ-02) or Baidu (BD-09) map read as WGS-84 land some hundreds of metres off.
When at least 3 sites lie inside barriers and fewer than half as many would with the tables
read in another system, one more problem says so and names the ``[network] crs`` to try.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from wasteopt.barriers import BarrierModel
from wasteopt.coordinates import CRS_LABELS, CRS_NAMES, Crs, parse_crs, transform
from wasteopt.errors import Problem
from wasteopt.scenario.geography import barrier_model
from wasteopt.scenario.model import Scenario
from wasteopt.scenario.report import ProblemReport

__all__ = ["check_barriers"]

_SITE_TABLES = ("depots", "stations", "facilities", "points")
# Sites inside barriers needed before a shift is suspected: one or two are more often a
# misplaced site or a coarse outline, and any shift moves a few sites out of a narrow river.
_HINT_SITES = 3


def check_barriers(s: Scenario, r: ProblemReport) -> None:
    """Sites and crossings against the barriers of ``s.network`` (nothing without barriers)."""
    net = s.network
    if not net.barriers:
        return
    model = barrier_model(net.barriers, net.crossings)
    owner = [b for b in net.barriers for _ in b.polygons]  # polygon index → its barrier
    fname = net.barriers_file or "barriers"
    for c in net.crossings:
        ends = model.inside([c.line[0][0], c.line[-1][0]], [c.line[0][1], c.line[-1][1]])
        for end, k in zip(("first", "last"), ends.tolist(), strict=True):
            if k >= 0:
                r.problems.append(
                    Problem(
                        file=fname,
                        where=f"feature {c.feature} (id={c.id})",
                        field="geometry.coordinates",
                        message=f"the {end} position lies inside barrier {owner[k].id}",
                        value=f"{c.line[0] if end == 'first' else c.line[-1]}",
                        expected="a crossing from one bank to the other, both ends on land",
                    )
                )
    tables = [t for t in _SITE_TABLES for _ in getattr(s, t)]
    sites = [x for t in _SITE_TABLES for x in getattr(s, t)]
    lon = np.array([x.lon for x in sites], dtype=np.float64)
    lat = np.array([x.lat for x in sites], dtype=np.float64)
    inside = model.inside(lon, lat)
    for k in np.flatnonzero(inside >= 0)[:100].tolist():  # the loader lists 20 of each anyway
        b = owner[int(inside[k])]
        r.add(
            tables[k],
            sites[k].id,
            "lon, lat",
            f"inside barrier {b.id} ({b.kind}, {fname} feature {b.feature})",
            f"{lon[k]:.6f}, {lat[k]:.6f}",
            "a site outside every barrier (move the site or the outline)",
        )
    if np.any(inside >= 0):
        _shift_hint(s, model, lon, lat, int(np.count_nonzero(inside >= 0)), r)
        return  # a site inside a barrier also looks cut off: one problem is enough
    for k in model.unreachable(lon, lat).tolist():
        r.add(
            tables[k],
            sites[k].id,
            "lon, lat",
            "cut off by barriers: no way to the other sites around them or over a crossing",
            f"{lon[k]:.6f}, {lat[k]:.6f}",
            "a bridge or ferry (a LineString crossing) reaching it, or no barrier enclosing it",
        )


def _shift_hint(
    s: Scenario,
    model: BarrierModel,
    lon: npt.NDArray[np.float64],
    lat: npt.NDArray[np.float64],
    found: int,
    r: ProblemReport,
) -> None:
    """One problem naming a coordinate system in which far fewer sites lie inside barriers."""
    declared = parse_crs(s.network.crs)
    raw_lon, raw_lat = transform(lon, lat, "wgs84", declared)  # as written in the tables
    best: tuple[int, Crs] | None = None
    for name in CRS_NAMES:
        alt = parse_crs(name)
        if alt == declared:
            continue
        x, y = transform(raw_lon, raw_lat, alt, "wgs84")
        n = int(np.count_nonzero(model.inside(x, y) >= 0))
        if best is None or n < best[0]:
            best = (n, alt)
    if best is not None and found >= _HINT_SITES and best[0] * 2 < found:
        r.add(
            "network",
            "",
            "crs",
            f"the sites look shifted: {found} lie inside barriers with the tables read as "
            f"{declared}, {best[0]} would with {best[1]} ({CRS_LABELS[best[1]]})",
            declared,
            f'crs = "{best[1]}" if the coordinates were copied from such a map',
        )

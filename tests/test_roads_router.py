"""Local searches and the tie rule of wasteopt.roads.router, against whole-graph searches and an
independent lexicographic Dijkstra, on synthetic grids (river, bridges, one-way streets)."""

from __future__ import annotations

import heapq
import itertools
import math
import pickle
from typing import Any

import numpy as np
import pytest

from wasteopt.roads import Profile, RoadGraph, Router
from wasteopt.roads import local as local_module
from wasteopt.roads import router as router_module
from wasteopt.roads.snap import legs

DEG_M = math.radians(1.0) * 6_371_008.8


def _grid(
    nx: int,
    ny: int,
    spacing_m: float,
    rng: np.random.Generator | None = None,
    *,
    speeds: tuple[float, ...] = (20.0, 40.0),
    fast: dict[tuple[int, int], float] | None = None,
) -> RoadGraph:
    """An nx × ny street grid near the equator; with ``rng``: jittered lengths, random speeds,
    a river between rows ny/2 - 1 and ny/2 crossed by 3 bridges, and 15% one-way streets.
    ``fast`` sets the speed of the streets between given node pairs (both ways)."""
    node = np.arange(nx * ny).reshape(ny, nx)
    pairs = [(a, b) for a, b in zip(node[:, :-1].ravel(), node[:, 1:].ravel(), strict=True)]
    pairs += [(a, b) for a, b in zip(node[:-1, :].ravel(), node[1:, :].ravel(), strict=True)]
    tail: list[int] = []
    head: list[int] = []
    for a, b in pairs:
        if rng is not None:
            crosses = a // nx == ny // 2 - 1 and b // nx == ny // 2
            if crosses and a % nx not in (2, nx // 2, nx - 3):
                continue  # the river, but for 3 bridges
            if rng.random() < 0.15 and not crosses:
                tail.append(int(a) if rng.random() < 0.5 else int(b))
                head.append(int(b) if tail[-1] == a else int(a))
                continue
        tail += [int(a), int(b)]
        head += [int(b), int(a)]
    t, h = np.array(tail, np.int64), np.array(head, np.int64)
    m = t.size
    if rng is None:
        length = np.full(m, spacing_m)
        speed = np.full(m, speeds[0])
    else:
        length = spacing_m * rng.uniform(1.0, 1.4, m)
        speed = rng.choice(np.array(speeds), m)
    for (a, b), kmh in (fast or {}).items():
        speed[((t == a) & (h == b)) | ((t == b) & (h == a))] = kmh
    gx, gy = np.meshgrid(np.arange(nx) * spacing_m / DEG_M, np.arange(ny) * spacing_m / DEG_M)
    return RoadGraph(
        lon=gx.ravel().astype(np.float64),
        lat=gy.ravel().astype(np.float64),
        tail=t,
        head=h,
        length_m=length.astype(np.float64),
        speed_kmh=speed.astype(np.float64),
        road_class=("residential",) * m,
        max_weight_t=np.full(m, np.inf),
        road=np.arange(m, dtype=np.int64),
        road_ids=tuple(str(i) for i in range(m)),
    )


def _whole(
    graph: RoadGraph, src: np.ndarray, dst: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> tuple[np.ndarray, np.ndarray]:
    """The same block searched on the whole graph only (no box is small enough)."""
    with monkeypatch.context() as m:
        m.setattr(router_module, "_LOCAL_SHARE", 0.0)
        router = Router(graph)
        out = router.gather(src, dst)
        assert router.local_roots == 0
    return out


def _canonical(graph: RoadGraph, root: int) -> dict[int, tuple[float, float]]:
    """(seconds, metres) from ``root`` to every reached node by the documented rule, computed
    plainly: heapq Dijkstra for the seconds, then each node's predecessor is its tight
    in-neighbour of least seconds, then largest id, and metres add up in order of seconds."""
    secs = np.maximum(graph.edge_seconds(Profile()), 1e-9)
    arcs = [
        (int(t), int(h), float(w), float(m))
        for t, h, w, m in zip(graph.tail, graph.head, secs, graph.length_m, strict=True)
    ]
    out: dict[int, list[tuple[int, float]]] = {}
    for t, h, w, _ in arcs:
        out.setdefault(t, []).append((h, w))
    best: dict[int, float] = {}
    heap = [(0.0, root)]
    while heap:
        s, x = heapq.heappop(heap)
        if x not in best:
            best[x] = s
            heap += [(s + w, y) for y, w in out.get(x, []) if y not in best]
            heapq.heapify(heap)
    pred: dict[int, tuple[int, float]] = {}
    for t, h, w, m in sorted(arcs, key=lambda a: (best.get(a[0], math.inf), -a[0])):
        if h != root and h not in pred and t in best and best[t] + w == best.get(h):
            pred[h] = (t, m)  # the tight arc of least seconds, then largest tail
    metres = {root: 0.0}
    for x in sorted(best, key=best.__getitem__):
        if x != root:
            metres[x] = metres[pred[x][0]] + pred[x][1]
    return {x: (best[x], metres[x]) for x in best}


@pytest.mark.parametrize("climb_cols", [2048, 0])
def test_local_blocks_equal_whole_graph_answers(
    monkeypatch: pytest.MonkeyPatch, climb_cols: int
) -> None:
    """Blocks in the middle, at the city's edge and across the river, forwards and backwards,
    give the whole graph's seconds and metres exactly, searched locally (metres climbed from
    the columns, or summed over whole trees)."""
    monkeypatch.setattr(local_module, "_CLIMB_COLS", climb_cols)
    graph = _grid(100, 100, 100.0, np.random.default_rng(5))
    ids = np.arange(graph.node_count).reshape(100, 100)
    blocks = {
        "middle": (slice(45, 51), slice(45, 52)),
        "corner": (slice(0, 5), slice(0, 6)),
        "edge": (slice(60, 66), slice(94, 100)),
        "river": (slice(46, 54), slice(10, 16)),  # the river runs between rows 49 and 50
    }
    for name, (rows, cols) in blocks.items():
        block = ids[rows, cols].ravel()
        around = ids[
            max(0, rows.start - 3) : rows.stop + 3, max(0, cols.start - 3) : cols.stop + 3
        ].ravel()
        router = Router(graph)
        for src, dst in ((block, block), (around, block[:3])):
            got = router.gather(src, dst)
            want = _whole(graph, src, dst, monkeypatch)
            assert np.array_equal(got[0], want[0]), name
            assert np.array_equal(got[1], want[1]), name
        assert router.local_roots == block.size + 3, name  # every root, both ways


def test_fast_ring_outside_the_box_makes_the_fallback_fire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 120 km/h ring beyond both local boxes beats the direct 10 km/h street: the proof fails,
    the whole graph gives the ring's time; a plain block needs no fallback."""
    nx, ny, spacing = 80, 100, 100.0
    ids = np.arange(nx * ny).reshape(ny, nx)
    a, b, row, low = 20, 26, 60, 40  # block: nodes (60, 20..26), span 600 m; boxes reach 1.8 km
    ring = [ids[r, a] for r in range(row, low, -1)] + [ids[low, c] for c in range(a, b + 1)]
    ring += [ids[r, b] for r in range(low + 1, row + 1)]  # 4.6 km at 120 km/h: 138 s < 216 s
    fast = {(int(p), int(q)): 120.0 for p, q in itertools.pairwise(ring)}
    graph = _grid(nx, ny, spacing, speeds=(10.0,), fast=fast)
    block = ids[row, a : b + 1]
    router = Router(graph)
    secs, metres = router.gather(block, block)
    want = _whole(graph, block, block, monkeypatch)
    assert np.array_equal(secs, want[0]) and np.array_equal(metres, want[1])
    assert router.fallback_roots > 0
    assert secs[0, -1] < (b - a) * spacing * 3.6 / 10.0  # the ring, not the street
    assert metres[0, -1] == pytest.approx((2 * (row - low) + b - a) * spacing)
    plain = _grid(nx, ny, spacing, speeds=(10.0,))
    compact = ids[35:41, 20:27].ravel()
    quiet = Router(plain)
    got = quiet.gather(compact, compact)
    want = _whole(plain, compact, compact, monkeypatch)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert quiet.local_roots == compact.size and quiet.fallback_roots == 0


@pytest.mark.parametrize("climb_cols", [2048, 0])
def test_ties_follow_one_rule_everywhere(monkeypatch: pytest.MonkeyPatch, climb_cols: int) -> None:
    """With exact ties of different metres (whole seconds: 10 m at 36 km/h or 20 m at 72 km/h
    per second) local, whole-graph and drawn paths all follow the documented canonical path."""
    monkeypatch.setattr(local_module, "_CLIMB_COLS", climb_cols)
    rng = np.random.default_rng(7)
    graph = _grid(30, 30, 10.0, rng, speeds=(36.0, 72.0))
    unit = np.where(graph.speed_kmh == 72.0, 20.0, 10.0)
    graph = RoadGraph(
        lon=graph.lon,
        lat=graph.lat,
        tail=graph.tail,
        head=graph.head,
        length_m=unit * rng.integers(1, 4, graph.edge_count),
        speed_kmh=graph.speed_kmh,
        road_class=graph.road_class,
        max_weight_t=graph.max_weight_t,
        road=graph.road,
        road_ids=graph.road_ids,
    )
    ids = np.arange(graph.node_count).reshape(30, 30)
    block = ids[10:17, 12:18].ravel()
    router = Router(graph)
    secs, metres = router.gather(block, block)
    want = _whole(graph, block, block, monkeypatch)
    assert np.array_equal(secs, want[0]) and np.array_equal(metres, want[1])
    for i in (0, 7, 20):
        ref = _canonical(graph, int(block[i]))
        ref_s = [ref.get(int(t), (math.inf, math.inf)) for t in block]
        assert [tuple(v) for v in zip(secs[i], metres[i], strict=True)] == ref_s
        far = int(block[-1])
        path = router.node_path(int(block[i]), far)
        assert float(np.sum(graph.length_m[path])) == pytest.approx(ref[far][1])


def test_a_pickled_router_searches_backwards() -> None:
    """A router sent to a worker process (pickled, caches left behind) answers many sources to
    one target (a backwards search) as the original does."""
    graph = _grid(20, 20, 100.0, np.random.default_rng(3))
    every = np.arange(graph.node_count)
    router = Router(graph)
    copy = pickle.loads(pickle.dumps(router))
    got, want = copy.gather(every, every[:1]), router.gather(every, every[:1])
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


@pytest.mark.parametrize("jitter", [True, False])
def test_paths_drawn_on_a_leg_box_are_the_whole_graph_paths(monkeypatch, jitter) -> None:
    """node_path on the leg's box (one small search per leg) gives the edges the whole-graph
    search gives, over a grid with a river, bridges and one-way streets, and over a plain grid
    (every leg a tie of many equally fast paths); most legs are proved on their box (else this
    proves nothing)."""
    graph = _grid(80, 80, 100.0, np.random.default_rng(11) if jitter else None)
    rng = np.random.default_rng(5)
    col, row = rng.integers(0, 80, (2, 60))  # legs of up to 6 blocks each way, as on a route
    ends = np.clip(np.column_stack([col, row]) + rng.integers(-6, 7, (60, 2)), 0, 79)
    pairs = [
        (int(r * 80 + c), int(e[1] * 80 + e[0])) for c, r, e in zip(col, row, ends, strict=True)
    ]
    boxed = Router(graph)
    local = boxed._local_path
    proved: list[bool] = []

    def counted(u: int, v: int) -> list[int] | None:
        out = local(u, v)
        proved.append(out is not None)
        return out

    monkeypatch.setattr(boxed, "_local_path", counted)
    whole = Router(graph)
    monkeypatch.setattr(whole, "_local_path", lambda u, v: None)
    for u, v in pairs:
        assert boxed.node_path(u, v) == whole.node_path(u, v)
    assert sum(proved) >= 0.7 * len(pairs)


@pytest.mark.parametrize("climb_cols", [2048, 0])
def test_points_searched_from_virtual_roots_equal_the_four_ways_through_their_ends(
    monkeypatch: pytest.MonkeyPatch, climb_cols: int
) -> None:
    """Router.point_legs (one search per point, from a node joined to both ends of its street)
    gives the seconds and metres of legs() over searches from each end, forwards and
    backwards, locally and on the whole graph, with metres climbed or summed over trees."""
    monkeypatch.setattr(local_module, "_CLIMB_COLS", climb_cols)
    jittered = _grid(60, 60, 100.0, np.random.default_rng(11))
    # A street's two directions get one length and one speed, as on a real map: the grid's
    # independent jitter makes a join to the far end of a point's street (its piece of road)
    # as fast as the join to the near end plus the arc back, but of other metres, an exact
    # tie that the two searches break differently.
    key = np.minimum(jittered.tail, jittered.head) * jittered.node_count + np.maximum(
        jittered.tail, jittered.head
    )
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    graph = RoadGraph(
        lon=jittered.lon,
        lat=jittered.lat,
        tail=jittered.tail,
        head=jittered.head,
        length_m=jittered.length_m[first][inverse],
        speed_kmh=jittered.speed_kmh[first][inverse],
        road_class=jittered.road_class,
        max_weight_t=jittered.max_weight_t,
        road=jittered.road,
        road_ids=jittered.road_ids,
    )
    router = Router(graph)
    rng = np.random.default_rng(3)
    lon = rng.uniform(graph.lon.min(), graph.lon.max(), 120)
    lat = rng.uniform(graph.lat.min(), graph.lat.max(), 120)
    snap = router.snap(lon, lat)
    x, y = router.plane(lon, lat)
    calls: list[bool] = []
    real = local_module.local_rows

    def spy(*args: Any) -> Any:
        calls.append(len(args) > 5 and args[5] is not None)  # joins given: virtual roots
        return real(*args)

    for a, b in ((np.arange(20), np.arange(20, 60)), (np.arange(100), np.arange(100, 118))):
        one, two = snap.take(a), snap.take(b)
        straight = np.hypot(x[a][:, None] - x[b][None, :], y[a][:, None] - y[b][None, :])
        want = legs(one, two, router.gather, router.snap_kmh, straight)
        calls.clear()
        with monkeypatch.context() as m:
            m.setattr(router_module, "local_rows", spy)
            got = router.point_legs(one, two, straight)
        assert calls and all(calls)  # searched from the points, not their ends
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
        np.testing.assert_allclose(got[1], want[1], rtol=1e-12)

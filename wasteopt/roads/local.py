"""The router's searches: a graph with two weights per arc, metres along the canonical fastest
paths, and Dijkstra on the part of the graph around a block, bounded by the block itself.

Model
-----
* :class:`Arcs`: a directed graph in CSR form whose arcs carry seconds (what Dijkstra
  minimises) and metres (aligned with the seconds).
* **Which fastest path** (:func:`climb_metres`, :func:`tree_metres`): an arc ``u → x`` is *tight*
  for a root when ``secs[u] + seconds == secs[x]`` (floating point, the seconds Dijkstra gives).
  Every reached node but the root has one, and the *canonical* path reaches ``x`` by its tight arc
  of least ``secs[u]``, then of largest ``u`` (node ids keep their order in a subgraph). That is the
  arc scipy's Dijkstra keeps as predecessor (the first scanned node to give ``x`` its seconds)
  unless two tight tails have equal seconds, where its heap's order decides; on the benchmark's
  grids the largest id gave every metre the heap gave (the smallest changed 7 to 15% of them, by up
  to four blocks). Dijkstra's seconds are the minimum over paths of their sums from the root,
  whatever order the search met the nodes in, so the path depends on the graph alone: not on a
  search bound, nor on which part of the graph was searched (below). Its metres are summed from each
  column up to the root, all (root, column) pairs together, one vectorised step per hop looking only
  at the in-arcs of the nodes being climbed (measured faster than summing whole trees, below); with
  thousands of columns (points to unload sites) whole trees are summed by pointer doubling instead.
  The two sum in different orders, so one call's choice (by its number of columns, the same for
  every search of the call) keeps its local and whole-graph answers bit-equal; calls with other
  columns may differ in the last bit.
* **Local search** (:class:`Region`, :func:`induced`): Dijkstra on the subgraph induced by the
  nodes inside a box (the block's nodes plus a margin), renumbered so every array has the
  subgraph's size. A *boundary* node has an arc to a node outside, the cheapest in ``exit_s``.
  Every path from root ``s`` that leaves the subgraph first crosses such an arc, so it takes at
  least ``bound(s) = min_b secs_sub(s, b) + exit_s(b)``. Where ``secs_sub(s, t) < bound(s)``
  (or ``bound`` is inf: nothing leaves) every path to ``t`` as fast, and every node with a
  tight arc into a node on one, lies inside (seconds > 0): the subgraph's seconds, canonical
  path and metres of ``t`` are the whole graph's, bit for bit (:func:`local_rows`). The caller
  searches the other roots again on the whole graph (a :class:`Subgraph` with no way out).
* **Bounded searches** (:func:`local_rows`): a probe column ``p`` near the block's middle gives
  every root a bound ``secs(s, p) + max_t secs(p, t)`` on its farthest column (triangle
  inequality), so a root explores about its block's neighbourhood, not the box or the city.

Measured on the 150 m benchmark grid (territory 2's box of 81k nodes, its 16 farthest-reaching
roots, 28k nodes reached each, 371 columns; CPU shared with another process): their bounded
Dijkstra 69 ms; the climb 25 ms; summing whole trees instead (tight arcs of every reached node,
then pointer doubling) 158 ms; a csgraph Dijkstra on the forest of tight arcs, weighted by
metres, 133 ms on top of the pass that finds that forest (both alternatives timed with a
cheaper tie rule than this one).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from wasteopt.roads.graph import BoolArray, FloatArray, IntArray

__all__ = [
    "Arcs",
    "Joins",
    "Region",
    "Subgraph",
    "climb_metres",
    "induced",
    "local_rows",
    "tree_metres",
]

_ROW_CELLS = 1 << 23  # roots × nodes per Dijkstra call: 64 MB of float64 seconds
_ROOTS_PER_CALL = 16  # roots sharing one bounded call (and its largest bound)
_CLIMB_COLS = 2048  # more columns than this: metres by whole trees, not by climbing
_TREE_ARCS = 1 << 22  # reached in-arcs per whole-tree pass: ~200 MB of temporaries


class Arcs:
    """A directed graph in CSR form, ``seconds`` and ``length`` (metres) per arc (module
    docstring)."""

    __slots__ = ("csr", "length")

    def __init__(
        self, indptr: IntArray, head: IntArray, seconds: FloatArray, length: FloatArray
    ) -> None:
        n = indptr.size - 1
        self.csr = csr_matrix((seconds, head, indptr), shape=(n, n))
        self.length = length

    @classmethod
    def from_pairs(
        cls, n: int, tail: IntArray, head: IntArray, seconds: FloatArray, length: FloatArray
    ) -> Arcs:
        """The graph of arcs ``tail → head`` on nodes ``0..n-1`` (at most one per pair)."""
        order = np.argsort(tail.astype(np.int64) * n + head, kind="stable")  # fast if sorted
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(tail, minlength=n), out=indptr[1:])
        return cls(indptr, head[order], seconds[order], length[order])

    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return int(self.csr.shape[0])

    @property
    def seconds(self) -> FloatArray:
        """Seconds of each arc, in CSR order."""
        out: FloatArray = self.csr.data
        return out

    @property
    def head(self) -> npt.NDArray[np.integer]:
        """Head of each arc, in CSR order."""
        out: npt.NDArray[np.integer] = self.csr.indices
        return out


def _ranges(start: IntArray, count: IntArray) -> IntArray:
    """Concatenated ``arange(start[i], start[i] + count[i])`` (no loop)."""
    first = np.cumsum(count) - count
    return np.repeat(start - first, count) + np.arange(int(count.sum()), dtype=np.int64)


def _chosen(
    into: Arcs, flat: FloatArray, n: int, r: IntArray, x: IntArray
) -> tuple[IntArray, IntArray]:
    """The canonical arc into each node ``x[i]`` (reached, not its root) of root row ``r[i]``
    (``flat``: the rows' seconds, raveled, ``n`` per row): of its tight arcs ``u → x`` the one
    of least ``secs[u]``, then of largest ``u``. Returns the arcs' positions in ``into`` and
    their tails."""
    indptr = into.csr.indptr
    start = indptr[x].astype(np.int64)
    count = indptr[x + 1] - start
    pos = _ranges(start, count)
    seg = np.repeat(np.arange(x.size, dtype=np.int64), count)
    u = into.head[pos].astype(np.int64)
    su = flat[r[seg] * n + u]
    hit = np.flatnonzero(su + into.seconds[pos] == flat[r * n + x][seg])  # >= 1 per node
    if hit.size > x.size:  # some node has tight arcs from several tails
        group, low_su = seg[hit], su[hit]
        new = np.ones(hit.size, dtype=bool)
        np.not_equal(group[1:], group[:-1], out=new[1:])
        low = np.minimum.reduceat(low_su, np.flatnonzero(new))
        hit = hit[low_su == low[np.cumsum(new) - 1]]
        last = np.ones(hit.size, dtype=bool)
        np.not_equal(seg[hit[1:]], seg[hit[:-1]], out=last[:-1])
        hit = hit[last]  # u ascending within a node: the largest
    return pos[hit], u[hit]


class Joins(NamedTuple):
    """Virtual roots (points off the graph): row ``r`` joins the graph at nodes ``ends[r]``
    (equal when it joins at one node) by arcs of ``secs[r]`` seconds and ``metres[r]``
    metres, one per end (:func:`local_rows`)."""

    ends: IntArray
    secs: FloatArray
    metres: FloatArray

    def take(self, idx: IntArray) -> Joins:
        """Rows ``idx``."""
        return Joins(self.ends[idx], self.secs[idx], self.metres[idx])


def _terminal(
    flat: FloatArray, width: int, r: IntArray, x: IntArray, roots: IntArray, joins: Joins | None
) -> tuple[BoolArray, FloatArray]:
    """Which nodes ``x[i]`` end the climb of row ``r[i]``, and the metres that adds: the root
    itself (0 m), or an end of a virtual root reached by its join arc (tight: its seconds are
    the arc's; the root's seconds, 0, are the least a tail can have, so the canonical rule
    takes that arc whenever it is tight)."""
    stop = x == roots[r]
    add = np.zeros(x.size)
    if joins is not None:
        sx = flat[r * width + x]
        for k in (1, 0):  # end 0 last: it wins where both ends are one node
            hit = (x == joins.ends[r, k]) & (sx == joins.secs[r, k])
            add[hit] = joins.metres[r[hit], k]
            stop |= hit
    return stop, add


def climb_metres(
    into: Arcs, secs: FloatArray, roots: IntArray, cols: IntArray, joins: Joins | None = None
) -> FloatArray:
    """Metres (k, len(cols)) from each root to each column along its canonical fastest path
    (module docstring); ``secs`` (k, width) are the roots' Dijkstra seconds on the graph whose
    reversal is ``into`` (row ``x`` lists the arcs ``u → x``, ``u`` ascending); inf where
    unreached. All (root, column) pairs climb together, one vectorised step per hop of the
    longest path, each step looking only at the in-arcs of the nodes being climbed. With
    ``joins`` (local ends) the roots are virtual nodes past the graph's (:func:`local_rows`)."""
    k, width = secs.shape
    flat = secs.ravel()
    row = np.repeat(np.arange(k, dtype=np.int64), cols.size)
    cur = np.tile(cols.astype(np.int64), k)
    acc = np.zeros(cur.size)
    acc[~np.isfinite(flat[row * width + cur])] = np.inf
    live = np.flatnonzero(np.isfinite(acc))
    while live.size:
        r = row[live]
        stop, add = _terminal(flat, width, r, cur[live], roots, joins)
        acc[live[stop]] += add[stop]
        live, r = live[~stop], r[~stop]
        if not live.size:
            break
        pos, u = _chosen(into, flat, width, r, cur[live])
        acc[live] += into.length[pos]
        cur[live] = u
    return acc.reshape(k, cols.size)


def tree_metres(
    into: Arcs, secs: FloatArray, roots: IntArray, joins: Joins | None = None
) -> FloatArray:
    """Metres (k, width) from each root to every node along the canonical fastest paths, as
    :func:`climb_metres` but for every reached node at once: each node's canonical arc, then
    sums by pointer doubling (one pass per doubling of the depth). Cheaper than climbing when
    the columns are many more than the nodes (one path per column re-walks shared hops)."""
    k, width = secs.shape
    n = into.node_count
    out = np.full((k, width), np.inf)
    arcs_per_row = np.isfinite(secs).sum(axis=1) * (into.length.size / max(1, n))
    step = max(1, int(_TREE_ARCS // max(1.0, float(arcs_per_row.max(initial=1.0)))))
    for r0 in range(0, k, step):
        s = secs[r0 : r0 + step]
        rr, nn = np.nonzero(np.isfinite(s))  # row-major: rr * width + nn ascending
        keys = rr * width + nn
        sub_joins = None if joins is None else joins.take(np.arange(r0, r0 + s.shape[0]))
        stop, add = _terminal(s.ravel(), width, rr, nn, roots[r0:], sub_joins)
        stop |= nn >= n  # other virtual roots (unreached) and the root itself
        inner = np.flatnonzero(~stop)
        pos, u = _chosen(into, s.ravel(), width, rr[inner], nn[inner])
        up = np.full(nn.size, -1, dtype=np.int64)
        acc = np.where(stop, add, 0.0)
        up[inner] = np.searchsorted(keys, rr[inner] * width + u)
        acc[inner] = into.length[pos]
        live = inner
        while live.size:
            parent = up[live]
            acc[live] += acc[parent]
            up[live] = up[parent]
            live = live[up[live] >= 0]
        out[r0 : r0 + step].ravel()[keys] = acc
    return out


class Region:
    """Box queries on node positions (local plane metres): nodes sorted by x, so a box is one
    binary search and a mask over the nodes of its x strip."""

    __slots__ = ("order", "xs", "ys")

    def __init__(self, x: FloatArray, y: FloatArray) -> None:
        self.order = np.argsort(x, kind="stable")
        self.xs, self.ys = x[self.order], y[self.order]

    def box(self, x0: float, x1: float, y0: float, y1: float) -> IntArray:
        """Sorted ids of the nodes with ``x0 <= x <= x1`` and ``y0 <= y <= y1``."""
        a, b = np.searchsorted(self.xs, x0, "left"), np.searchsorted(self.xs, x1, "right")
        ys = self.ys[a:b]
        return np.sort(self.order[a:b][(ys >= y0) & (ys <= y1)])


class Subgraph:
    """The subgraph induced by ``nodes`` (sorted ids of the whole graph), renumbered
    ``0..len(nodes)-1``: its arcs, the same reversed (``into``), and each node's cheapest arc
    leaving the subgraph (``exit_s``, inf if none)."""

    __slots__ = ("arcs", "exit_s", "into", "nodes", "probes")

    def __init__(self, nodes: IntArray, arcs: Arcs, into: Arcs, exit_s: FloatArray) -> None:
        self.nodes, self.arcs, self.into, self.exit_s = nodes, arcs, into, exit_s
        self.probes: dict[int, tuple[FloatArray, FloatArray]] = {}

    def probe(self, node: int) -> tuple[FloatArray, FloatArray]:
        """Seconds from and to local node ``node``, kept for the block's next call."""
        if node not in self.probes:
            if len(self.probes) >= 4:
                self.probes.clear()
            self.probes[node] = (
                dijkstra(self.arcs.csr, indices=node),
                dijkstra(self.into.csr, indices=node),
            )
        return self.probes[node]


def induced(arcs: Arcs, nodes: IntArray) -> Subgraph:
    """The subgraph of ``arcs`` induced by the sorted ``nodes`` (no loop over nodes or arcs)."""
    k = nodes.size
    indptr = arcs.csr.indptr
    start = indptr[nodes].astype(np.int64)
    count = indptr[nodes + 1] - start
    pos = _ranges(start, count)
    local = np.full(arcs.node_count, -1, dtype=np.int64)
    local[nodes] = np.arange(k, dtype=np.int64)
    head = local[arcs.head[pos]]
    row = np.repeat(np.arange(k, dtype=np.int64), count)
    inside = head >= 0
    exit_s = np.full(k, np.inf)
    out = ~inside
    np.minimum.at(exit_s, row[out], arcs.seconds[pos[out]])
    sub_ptr = np.zeros(k + 1, dtype=np.int64)
    np.cumsum(np.bincount(row[inside], minlength=k), out=sub_ptr[1:])
    keep = pos[inside]
    w, length = arcs.seconds[keep], arcs.length[keep]
    sub = Arcs(sub_ptr, head[inside], w, length)
    into = Arcs.from_pairs(k, head[inside], row[inside], w, length)
    return Subgraph(nodes, sub, into, exit_s)


def local_rows(
    sub: Subgraph,
    roots: IntArray,
    cols: IntArray,
    probe: int | None = None,
    cap: float = math.inf,
    joins: Joins | None = None,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Seconds, metres and a proof mask (len(roots), len(cols)) from each distinct root to each
    column (ids of the whole graph, all in ``sub.nodes``) searched on ``sub``; where the mask is
    False the value is not proved the whole graph's (module docstring).

    With ``joins`` the roots are points off the graph (``roots`` is ignored; one row per row
    of ``joins``, whose ends are ids of the whole graph in ``sub.nodes``): each is searched from
    a virtual node whose arcs reach its ends, so the seconds of a node are those of the faster
    end, joins included, in one search instead of one per end (metres likewise: the climb ends
    on a join arc, :func:`climb_metres`).

    With ``probe`` (a position in ``cols``) each search is bounded: Dijkstra to and from the
    probe gives ``L(s) = secs(s, probe) + max_t secs(probe, t)``, no less than the seconds from
    ``s`` to any column it can reach in the subgraph (triangle inequality), and root ``s``
    explores only that far, or ``cap`` (roots of similar bounds share a call and its largest
    bound). A boundary node beyond the bound is further than every column reached, so the proof
    stands for them; a column left unreached is unproved."""
    n = sub.nodes.size
    lc = np.searchsorted(sub.nodes, cols)
    arcs, local = sub.arcs.csr, None
    if joins is None:
        lr = np.searchsorted(sub.nodes, roots)
    else:
        # a join arc weighs at least a nanosecond, as the graph's zero-length edges do
        secs_in = np.maximum(joins.secs, 1e-9)
        local = Joins(np.searchsorted(sub.nodes, joins.ends), secs_in, joins.metres)
        arcs = _with_joins(arcs, local)
        lr = n + np.arange(local.ends.shape[0], dtype=np.int64)
    limits = np.full(lr.size, cap)
    if probe is not None:
        out_row, in_row = sub.probe(int(lc[probe]))
        out_s = out_row[lc]
        # a virtual root reaches the probe through the faster of its ends
        in_s = in_row[lr] if local is None else np.min(local.secs + in_row[local.ends], axis=1)
        far = out_s[np.isfinite(out_s)]
        if far.size:  # widened by a hair: the sums' rounding may differ from the paths'
            limits = np.minimum((in_s + far.max()) * (1.0 + 1e-9) + 1e-6, cap)
    exit_s = sub.exit_s if local is None else np.concatenate([sub.exit_s, np.full(lr.size, np.inf)])
    secs = np.empty((lr.size, cols.size))
    dist = np.empty((lr.size, cols.size))
    ok = np.empty((lr.size, cols.size), dtype=bool)
    order = np.argsort(limits, kind="stable")
    step = max(1, min(_ROOTS_PER_CALL, _ROW_CELLS // max(1, n)))
    for r0 in range(0, lr.size, step):
        at = order[r0 : r0 + step]
        limit = float(limits[at].max())
        d = np.atleast_2d(dijkstra(arcs, indices=lr[at], limit=limit))
        bound = np.min(d + exit_s, axis=1, initial=np.inf)
        dc = d[:, lc]
        secs[at] = dc
        ok[at] = dc < bound[:, None]
        if math.isinf(limit):  # nothing leaves what the search reached: all exact
            ok[at] |= np.isinf(bound)[:, None]
        part = None if local is None else local.take(at)
        if cols.size <= _CLIMB_COLS:
            dist[at] = climb_metres(sub.into, d, lr[at], lc, part)
        else:
            dist[at] = tree_metres(sub.into, d, lr[at], part)[:, lc]
    return secs, dist, ok


def _with_joins(arcs: csr_matrix, joins: Joins) -> csr_matrix:
    """``arcs`` with one virtual node per row of ``joins`` (local ends) after its nodes: its
    arcs go to its ends (one arc when both are one node), no arc comes in."""
    n, k = arcs.shape[0], joins.ends.shape[0]
    use = np.column_stack([np.ones(k, dtype=bool), joins.ends[:, 1] != joins.ends[:, 0]])
    indptr = np.concatenate([arcs.indptr, arcs.indptr[-1] + np.cumsum(use.sum(axis=1))])
    indices = np.concatenate([arcs.indices, joins.ends[use]])  # row-major: by virtual node
    data = np.concatenate([arcs.data, joins.secs[use]])
    return csr_matrix((data, indices, indptr), shape=(n + k, n + k))


def climb_path(into: Arcs, secs: FloatArray, root: int, node: int) -> list[int]:
    """Nodes of the canonical fastest path ``root`` → ``node`` (both included) in a search
    from ``root`` whose seconds are ``secs``: back from ``node`` along the tight arc whose tail
    has the least seconds, then the largest id (:mod:`wasteopt.roads.router`, Ties)."""
    ptr, tails, w = into.csr.indptr, into.head, into.seconds
    out = [node]
    while node != root:
        k = slice(ptr[node], ptr[node + 1])
        prev = tails[k]
        tight = prev[secs[prev] + w[k] == secs[node]]
        node = int(tight[secs[tight] == secs[tight].min()].max())
        out.append(node)
    return out[::-1]

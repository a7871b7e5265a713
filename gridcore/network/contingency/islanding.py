"""Islanding from the graph: the buses each branch outage cuts off from the slack.

Found before any power flow, from the bridges of a depth-first tree of the supplied grid rooted at the slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import depth_first_order

from gridcore.network.contingency.lightsim_model import _LsModel

if TYPE_CHECKING:
    from pandapower.auxiliary import pandapowerNet


@dataclass
class _Islands:
    """Per branch: the buses its outage cuts off from the slack (a slice of a depth-first order)."""

    order: np.ndarray  # model buses in depth-first preorder from the slack
    start: np.ndarray  # per branch: start of its island in ``order``, -1 if none
    size: np.ndarray  # per branch: number of model buses in its island

    def buses(self, branch: int) -> np.ndarray:
        s = self.start[branch]
        return self.order[s : s + self.size[branch]] if s >= 0 else self.order[:0]


def _islands(m: _LsModel) -> _Islands:
    """Find, for every in-service branch, the part of the grid its outage separates from the slack.

    Bridges of the supplied graph are the edges of a depth-first tree rooted at the slack whose subtree
    has no back edge above it; the island of a bridge is the subtree below it (contiguous in preorder).
    A branch in parallel with another is never a bridge.
    """
    n = len(m.vn_kv)
    on = np.flatnonzero(m.br_on)
    f, t = m.br_from[on], m.br_to[on]
    adj = coo_matrix((np.ones(len(on)), (f, t)), shape=(n, n)).tocsr()
    order, pred = depth_first_order(adj + adj.T, m.slack, directed=True, return_predecessors=True)
    pos = np.full(n, n, dtype=np.int64)
    pos[order] = np.arange(len(order))
    size = np.zeros(n, dtype=np.int64)
    size[order] = 1
    low = pos.copy()
    # branches that are not the tree edge of their child: back edges (incl. parallel copies)
    child = np.where(pred[t] == f, t, np.where(pred[f] == t, f, -1))
    pair = np.minimum(f, t) * n + np.maximum(f, t)
    _, first, counts = np.unique(pair, return_index=True, return_counts=True)
    is_tree = np.zeros(len(on), bool)
    is_tree[first] = child[first] >= 0
    back = ~is_tree
    np.minimum.at(low, f[back], pos[t[back]])
    np.minimum.at(low, t[back], pos[f[back]])
    for v in order[:0:-1]:
        p = pred[v]
        size[p] += size[v]
        if low[v] < low[p]:
            low[p] = low[v]
    multiplicity = dict(zip(pair[first], counts, strict=True))
    start = np.full(len(m.br_on), -1, dtype=np.int64)
    sizes = np.zeros(len(m.br_on), dtype=np.int64)
    for k in np.flatnonzero(is_tree):
        c = child[k]
        if low[c] >= pos[c] and multiplicity[pair[k]] == 1:
            start[on[k]] = pos[c]
            sizes[on[k]] = size[c]
    return _Islands(order, start, sizes)


def _original_buses(m: _LsModel, net: pandapowerNet) -> list[np.ndarray]:
    """Original bus ids per model bus (empty for auxiliary buses)."""
    ids = net.bus.index.to_numpy()
    on = np.flatnonzero(m.bus_map >= 0)
    order = on[np.argsort(m.bus_map[on], kind="stable")]
    bounds = np.searchsorted(m.bus_map[order], np.arange(len(m.vn_kv) + 1))
    return [ids[order[bounds[k] : bounds[k + 1]]] for k in range(len(m.vn_kv))]

"""Linearised (DC) network data for optimisation: nodes, branches, susceptances, ratings, units.

Two representations share one class:

* **bus level** (``kvl=True``): every bus a node, every in-service branch a link whose flow obeys
  Kirchhoff's voltage law. Susceptances come from pandapower's own DC model (``rundcpp``'s
  branch matrix: ``b = 1/(x·tap)`` in per unit on ``sn_mva``), so flows match ``rundcpp`` for the
  same injections. Phase-shift angles are ignored.
* **zonal** (``kvl=False``, :meth:`DcNetwork.zonal`): one node per area, one link per pair of
  areas joined by branches, with the sum of the tie branches' ratings as the transfer limit - a
  transport model whose limits are an upper bound on what the meshed network can move.

KVL is written over a cycle basis (one row per independent loop, L - N + 1 per hour) rather
than with voltage angles: fewer rows and columns, as in Hörsch et al., "Linear optimal power flow
using cycle flows", Electric Power Systems Research 158 (2018).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.networks import Network
from gridmodel.powerflow.dispatch import Fleet


@dataclass(frozen=True)
class DcNetwork:
    """Nodes, links and dispatchable units of a linear network model.

    ``link_x`` is the per-unit reactance on ``base_mva`` (flow MW = base·Δθ/x); ``link_rate_mw`` is
    inf where there is no rating. Unit arrays are in-service units only; ``unit_cost`` in $/MWh.
    """

    node: pd.Index  # case bus numbers, or area names
    node_area: np.ndarray
    link_from: np.ndarray
    link_to: np.ndarray
    link_x: np.ndarray
    link_rate_mw: np.ndarray
    link_name: np.ndarray
    kvl: bool
    base_mva: float
    unit_node: np.ndarray
    unit_p_min_mw: np.ndarray
    unit_p_max_mw: np.ndarray
    unit_cost: np.ndarray
    unit_name: np.ndarray

    @property
    def n_node(self) -> int:
        return len(self.node)

    @property
    def n_link(self) -> int:
        return len(self.link_from)

    def incidence(self) -> np.ndarray:
        """Node x link incidence (+1 at the from node, -1 at the to node)."""
        k = np.zeros((self.n_node, self.n_link))
        k[self.link_from, np.arange(self.n_link)] = 1.0
        k[self.link_to, np.arange(self.n_link)] = -1.0
        return k

    def cycles(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """A cycle basis: per independent loop, its links and their orientation (+1 along the
        link's from->to direction). Built from a breadth-first spanning forest: each link outside
        the forest closes one fundamental cycle."""
        adj: list[list[tuple[int, int]]] = [[] for _ in range(self.n_node)]
        for li, (a, b) in enumerate(zip(self.link_from, self.link_to, strict=True)):
            adj[a].append((b, li))
            adj[b].append((a, li))
        parent = np.full(self.n_node, -1)
        parent_link = np.full(self.n_node, -1)
        depth = np.full(self.n_node, -1)
        tree = np.zeros(self.n_link, dtype=bool)
        for root in range(self.n_node):
            if depth[root] >= 0:
                continue
            depth[root] = 0
            queue = deque([root])
            while queue:
                u = queue.popleft()
                for v, li in adj[u]:
                    if depth[v] < 0:
                        depth[v], parent[v], parent_link[v] = depth[u] + 1, u, li
                        tree[li] = True
                        queue.append(v)
        basis = []
        for li in np.flatnonzero(~tree):
            # walk both ends up to their common ancestor; orientation = direction of travel
            # around the loop from -> to along the chord, then back through the tree
            a, b = int(self.link_to[li]), int(self.link_from[li])
            links, signs = [int(li)], [1.0]
            up_a, up_b = [], []
            while a != b:
                if depth[a] >= depth[b]:
                    up_a.append(a)
                    a = parent[a]
                else:
                    up_b.append(b)
                    b = parent[b]
            for node in up_a:  # travelling from node up to its parent
                pl = parent_link[node]
                links.append(int(pl))
                signs.append(1.0 if self.link_from[pl] == node else -1.0)
            for node in up_b:  # travelling from the parent down to node
                pl = parent_link[node]
                links.append(int(pl))
                signs.append(1.0 if self.link_to[pl] == node else -1.0)
            basis.append((np.asarray(links), np.asarray(signs)))
        return basis

    def zonal(self) -> DcNetwork:
        """One node per area; links = area pairs with tie branches, limit = sum of tie ratings."""
        areas = pd.Index(pd.unique(self.node_area))
        za = areas.get_indexer(self.node_area[self.link_from])
        zb = areas.get_indexer(self.node_area[self.link_to])
        tie = za != zb
        lo, hi = np.minimum(za, zb)[tie], np.maximum(za, zb)[tie]
        rate = pd.Series(self.link_rate_mw[tie]).groupby([lo, hi]).sum()
        pairs = np.array(rate.index.tolist(), dtype=int).reshape(-1, 2)
        return DcNetwork(
            node=areas,
            node_area=areas.to_numpy(),
            link_from=pairs[:, 0],
            link_to=pairs[:, 1],
            link_x=np.ones(len(pairs)),
            link_rate_mw=rate.to_numpy(dtype=float),
            link_name=np.array([f"{areas[a]} - {areas[b]}" for a, b in pairs]),
            kvl=False,
            base_mva=self.base_mva,
            unit_node=areas.get_indexer(self.node_area[self.unit_node]),
            unit_p_min_mw=self.unit_p_min_mw,
            unit_p_max_mw=self.unit_p_max_mw,
            unit_cost=self.unit_cost,
            unit_name=self.unit_name,
        )

    def node_of_bus(self, case_bus: int, area: str) -> int:
        """Position of the node holding case bus ``case_bus`` (in ``area`` when zonal)."""
        key = case_bus if self.kvl else area
        pos = self.node.get_indexer([key])[0]
        if pos < 0:
            raise KeyError(f"{key} is not a node of this network model")
        return int(pos)


def dc_network(network: Network, net=None) -> DcNetwork:
    """Bus-level model of ``network`` (or of ``net``, a copy with extra loads, if given)."""
    import pandapower as pp
    from pandapower.pypower.idx_brch import BR_STATUS, BR_X, F_BUS, T_BUS, TAP

    net = network.net if net is None else net
    pp.rundcpp(net)
    ppc = net._ppc
    lookup = net._pd2ppc_lookups
    branch = ppc["branch"]
    # case branch order -> ppc rows (lines first, then trafos)
    line0 = lookup["branch"]["line"][0] if "line" in lookup["branch"] else 0
    trafo0 = lookup["branch"]["trafo"][0] if "trafo" in lookup["branch"] else 0
    line_pos = pd.Series(np.arange(len(net.line)), index=net.line.index)
    trafo_pos = pd.Series(np.arange(len(net.trafo)), index=net.trafo.index)
    br = network.branches
    is_line = (br.element == "line").to_numpy()
    rows = np.where(
        is_line,
        line0 + line_pos.reindex(br.element_index).fillna(0).to_numpy(int),
        trafo0 + trafo_pos.reindex(br.element_index).fillna(0).to_numpy(int),
    )
    tap = branch[rows, TAP].real.copy()
    tap[tap == 0] = 1.0
    x = branch[rows, BR_X].real * tap
    on = br.in_service.to_numpy() & (branch[rows, BR_STATUS].real > 0)
    # ppc bus rows -> network bus positions
    ppc_of_bus = lookup["bus"][network.buses.index.to_numpy()]
    bus_of_ppc = np.full(ppc["bus"].shape[0], -1)
    bus_of_ppc[ppc_of_bus] = np.arange(len(network.buses))
    f = bus_of_ppc[branch[rows, F_BUS].real.astype(int)]
    t = bus_of_ppc[branch[rows, T_BUS].real.astype(int)]
    rate = br.rate_a_mva.to_numpy(dtype=float)

    fleet = Fleet.from_net(net)
    names = np.concatenate(
        [[f"gen {i}" for i in net.gen.index], [f"sgen {i}" for i in net.sgen.index]]
    )
    keep = fleet.in_service
    return DcNetwork(
        node=pd.Index(network.buses.bus.to_numpy(), name="bus"),
        node_area=network.buses.area.to_numpy().astype(str),
        link_from=f[on],
        link_to=t[on],
        link_x=x[on],
        link_rate_mw=np.where(np.isnan(rate), np.inf, rate)[on],
        link_name=np.asarray(br.index[on].astype(str)),
        kvl=True,
        base_mva=float(ppc["baseMVA"]),
        unit_node=unit_nodes(network, net)[keep],
        unit_p_min_mw=fleet.p_min_mw[keep],
        unit_p_max_mw=fleet.p_max_mw[keep],
        unit_cost=fleet.dispatch_cost[keep],
        unit_name=names[keep],
    )


def branch_reactive_flow_mvar(network: Network) -> np.ndarray:
    """Reactive flow of every case branch in the case's own AC base case (MVAr, the larger of
    the two ends; NaN where the power flow does not converge)."""
    import copy

    import pandapower as pp

    net = copy.deepcopy(network.net)
    try:
        pp.runpp(net, init="dc", numba=True)
    except pp.LoadflowNotConverged:
        return np.full(len(network.branches), np.nan)
    br = network.branches
    is_line = (br.element == "line").to_numpy()
    idx = br.element_index.to_numpy()
    line, trafo = net.res_line, net.res_trafo
    q1 = np.where(is_line, line.q_from_mvar.reindex(idx), trafo.q_hv_mvar.reindex(idx))
    q2 = np.where(is_line, line.q_to_mvar.reindex(idx), trafo.q_lv_mvar.reindex(idx))
    return np.maximum(np.abs(q1), np.abs(q2))


def bus_loads(network: Network, net, load_p: np.ndarray) -> np.ndarray:
    """Hourly MW per bus (hours x buses, network bus order) from per-``net.load`` MW."""
    cols = load_nodes(network, net)
    out = np.zeros((load_p.shape[0], len(network.buses)))
    np.add.at(out.T, cols, (load_p * net.load.in_service.to_numpy()).T)
    return out


def _node_positions(network: Network, buses: np.ndarray) -> np.ndarray:
    """Positions (network bus order, the bus-level nodes) of pandapower bus indices."""
    return network.buses.index.get_indexer(buses)


def unit_nodes(network: Network, net) -> np.ndarray:
    """Node of every unit in :class:`Fleet` order (``gen`` rows, then ``sgen`` rows)."""
    return _node_positions(
        network, np.concatenate([net.gen.bus.to_numpy(), net.sgen.bus.to_numpy()])
    )


def load_nodes(network: Network, net) -> np.ndarray:
    """Node of every ``net.load`` row."""
    return _node_positions(network, net.load.bus.to_numpy())

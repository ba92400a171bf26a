"""Hourly economic dispatch: a DC optimal power flow for every hour, behind the grid-stress
dispatch interface (:class:`gridmodel.powerflow.dispatch.DispatchRule`).

For each hour t, over the units the merit-order commitment runs in that hour::

    min  Σ_u c_u p_u + VOLL·Σ_i (shed_i + spill_i) + π·Σ_l (over_l + under_l)
    s.t. Σ_{u∈i} p_u + shed_i - spill_i = Σ_{n∈i} d_n(t)                 (balance, per island)
         -R_l - under_l <= Σ_n PTDF_ln (g_n - d_n(t)) <= R_l + over_l    (branch limits)
         on_u(t)·Pmin_u <= p_u <= on_u(t)·Pmax_u(t)
         Σ_{u∈S} on_u·Pmin_u + ρD - r⁻ <= Σ_{u∈S} p_u <= Σ_{u∈S} on_u·Pmax_u(t) - ρD + r⁺

``c_u`` is the unit's marginal cost from the case's cost curve (``Fleet.marginal_cost``), ``d_n``
the bus loads scaled up by the loss estimate (losses are served where the load is), ``PTDF``
the bus-level DC model of :mod:`gridmodel.optimize.dcnetwork` (the susceptances of pandapower's
``rundcpp``), ``R_l`` the branch rating (RATE_A) times ``limit_fraction``. The last row keeps room
``ρD`` (``slack_reserve_fraction`` of the hour's demand D) above and below the units S that carry
the AC distributed slack (``Fleet.carries_slack``), so the slack can absorb the error of the loss
estimate within their limits; its shortfall ``r`` is priced at the overload penalty. Overload and balance
slacks keep every hour solvable; what they carry is reported, never hidden.

Branch rows enter lazily (constraint generation): an hour is solved with the rows found so far,
the flows on every rated branch are computed from the PTDF, and the violated branches are added
until none is. The final point of every hour therefore satisfies every branch limit (or pays the
penalty on it), exactly as the full problem would. The LP is passed to HiGHS once as arrays and
re-solved hour after hour from the previous basis, changing only bounds.

Locational marginal prices come from the duals: ``LMP_n = λ_i + Σ_l μ_l PTDF_ln`` with λ the
balance dual of the bus's island and μ the branch-row duals.

Network-aware commitment (``DispatchOptions.network_commitment``): the merit order commits
against demand alone, so a pocket behind a congested branch may have too few units running. In
every hour whose solution still pays an overload or sheds load, the off units whose marginal cost
is below the LMP at their bus (each would lower the hour's cost, and each relieves the binding
constraint) are started and the hour is solved again, up to ``COMMITMENT_ROUNDS`` times. This is
the price-based unit commitment heuristic of market clearing engines, applied only where the
merit order fails; it only adds units, so the merit order's cover of demand plus reserve stays.
Units started this way stay on in the next hour (congestion lasts for hours, and carrying the
fix saves re-solving every one of them).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla
from threadpoolctl import threadpool_limits

from gridmodel.optimize.dcnetwork import (
    DcNetwork,
    branch_reactive_flow_mvar,
    dc_network,
    load_nodes,
    unit_nodes,
)
from gridmodel.optimize.solver import MatrixLP, highs_model
from gridmodel.powerflow.dispatch import DispatchResult, Fleet, commit, hourly_limits

VIOLATION_TOL_MW = 1e-3
HOURS_PER_BLOCK = 256
COMMITMENT_ROUNDS = 4


@dataclass(frozen=True)
class DispatchOptions:
    """Penalties ($/MWh), the share of each branch rating the dispatch may use, whether the
    commitment looks at the network, and the room (share of demand) kept on the units that carry
    the AC distributed slack, above and below their output (see the module docstring)."""

    voll_usd_per_mwh: float = 5000.0
    overload_usd_per_mwh: float = 1000.0
    limit_fraction: float = 1.0
    network_commitment: bool = True
    slack_reserve_fraction: float = 0.0
    reactive_derating: bool = False


def ptdf(grid: DcNetwork) -> tuple[np.ndarray, np.ndarray]:
    """Power transfer distribution factors (link x node) and the island of every node.

    ``PTDF[l, n]`` is the flow (MW) on link l per MW injected at node n and withdrawn at its
    island's reference node (the island's first node). Built from ``B = K diag(b) Kᵀ`` with the
    reference rows and columns removed, ``b = base/x``.
    """
    n, m = grid.n_node, grid.n_link
    b = grid.base_mva / grid.link_x
    K = sp.csc_array(
        (
            np.r_[np.ones(m), -np.ones(m)],
            (np.r_[grid.link_from, grid.link_to], np.r_[np.arange(m), np.arange(m)]),
        ),
        shape=(n, m),
    )
    B = (K @ sp.diags_array(b) @ K.T).tocsc()
    n_island, island = csgraph.connected_components(abs(B) > 0, directed=False)
    reference = np.array([np.flatnonzero(island == i)[0] for i in range(n_island)])
    keep = np.setdiff1d(np.arange(n), reference)
    theta = np.zeros((n, n))
    theta[np.ix_(keep, keep)] = spla.splu(B[keep][:, keep].tocsc()).solve(np.eye(len(keep)))
    return (b[:, None] * (K.T @ theta)), island


class EconomicDispatch:
    """A :class:`DispatchRule` that dispatches each hour by DC optimal power flow.

    ``unit_node`` is the node of every unit in :class:`Fleet` order (``gen`` rows, then ``sgen``
    rows; out-of-service units stay at 0) and ``load_node`` the node of every ``net.load`` row.
    """

    def __init__(
        self,
        grid: DcNetwork,
        unit_node: np.ndarray,
        load_node: np.ndarray,
        options: DispatchOptions = DispatchOptions(),
    ):
        self.grid, self.options = grid, options
        self.unit_node = np.asarray(unit_node)
        self.load_node = np.asarray(load_node)
        self.ptdf, self.island = ptdf(grid)
        self.n_island = int(self.island.max()) + 1
        rate = grid.link_rate_mw * options.limit_fraction
        self.rated = np.flatnonzero(np.isfinite(rate) & (rate > 0))
        self.rate = rate
        self.ptdf_units = self.ptdf[:, self.unit_node]
        self.ptdf_rated = np.ascontiguousarray(self.ptdf_units[self.rated])

    # -- the LP ---------------------------------------------------------------------------------

    def _model(self, fleet: Fleet):
        """HiGHS model with the unit, shed and spill columns, one balance row per island, and the
        slack-reserve row (row ``n_island``) with its two shortfall columns."""
        n_u, n_i = len(self.unit_node), self.n_island
        n_col = n_u + 2 * n_i + 2
        slack = np.flatnonzero(fleet.slack_units)
        cols = np.r_[np.arange(n_u), n_u + np.arange(2 * n_i), slack, n_u + 2 * n_i + np.arange(2)]
        rows = np.r_[
            self.island[self.unit_node],
            np.arange(n_i),
            np.arange(n_i),
            np.full(len(slack) + 2, n_i),
        ]
        vals = np.r_[np.ones(n_u), np.ones(n_i), -np.ones(n_i), np.ones(len(slack)), 1.0, -1.0]
        balance = MatrixLP(
            c=np.r_[
                fleet.dispatch_cost,
                np.full(2 * n_i, self.options.voll_usd_per_mwh),
                np.full(2, self.options.overload_usd_per_mwh),
            ],
            offset=0.0,
            A=sp.csc_array((vals, (rows, cols)), shape=(n_i + 1, n_col)),
            row_lo=np.r_[np.zeros(n_i), -np.inf],
            row_hi=np.r_[np.zeros(n_i), np.inf],
            col_lo=np.zeros(n_col),
            col_hi=np.r_[fleet.p_max_mw, np.full(2 * n_i + 2, np.inf)],
            integer=np.zeros(n_col, dtype=bool),
            row_family=np.r_[np.zeros(n_i, dtype=np.int32), 1],
            families=["balance", "slack_reserve"],
            row_slices={},
            col_slices={},
        )
        return highs_model(balance)

    def _add_branch_rows(self, h, branches: np.ndarray, flow_load: np.ndarray) -> None:
        """Rows ``PTDF_l,units · p - over_l + under_l`` for ``branches`` (bounds of this hour)."""
        n_u = len(self.unit_node)
        coef = self.ptdf_units[branches]
        starts = np.arange(len(branches)) * n_u
        lo = -self.rate[branches] + flow_load[branches]
        hi = self.rate[branches] + flow_load[branches]
        h.addRows(
            len(branches), lo, hi, coef.size, starts, np.tile(np.arange(n_u), len(branches)),
            coef.ravel(),
        )  # fmt: skip
        first = h.getNumRow() - len(branches)
        k = len(branches)
        row = first + np.repeat(np.arange(k), 2)
        h.addCols(
            2 * k, np.full(2 * k, self.options.overload_usd_per_mwh), np.zeros(2 * k),
            np.full(2 * k, np.inf), 2 * k, np.arange(2 * k), row, np.tile([-1.0, 1.0], k),
        )  # fmt: skip

    # -- the rule -------------------------------------------------------------------------------

    def __call__(
        self,
        fleet: Fleet,
        demand_mw: np.ndarray,
        commit_mw: np.ndarray | None = None,
        load_p: np.ndarray | None = None,
        p_max_mw: np.ndarray | None = None,
    ) -> DispatchResult:
        """Dispatch every hour; ``load_p`` is MW per ``net.load`` row, scaled to ``demand_mw``;
        ``p_max_mw`` (time x unit) is each unit's available output in the hour."""
        if load_p is None:
            raise ValueError("economic dispatch needs the load of every bus (load_p)")
        demand_mw = np.asarray(demand_mw, dtype=float)
        n_t, n_u, n_i = len(demand_mw), len(self.unit_node), self.n_island
        committed = commit(fleet, demand_mw, commit_mw, p_max_mw) & fleet.in_service[None, :]
        p_lo, p_hi = hourly_limits(fleet, n_t, p_max_mw)
        startable = fleet.in_service & ~fleet.must_run
        reserve = self.options.slack_reserve_fraction * demand_mw
        total = load_p.sum(axis=1)
        scale = np.divide(demand_mw, total, out=np.ones(n_t), where=total > 0)
        # bus loads (MW) block by block: a year of them would hold 8·hours·buses bytes
        to_node = sp.csr_array(
            (np.ones(len(self.load_node)), (self.load_node, np.arange(len(self.load_node)))),
            shape=(self.grid.n_node, len(self.load_node)),
        )

        h = self._model(fleet)
        unit_cost = fleet.dispatch_cost
        monitored = np.zeros(0, dtype=int)
        ptdf_monitored = np.zeros((0, self.grid.n_node))
        p = np.zeros((n_t, n_u))
        lmp = np.zeros((n_t, self.grid.n_node), dtype=np.float32)
        shed, spill = np.zeros(n_t), np.zeros(n_t)
        overload, cost = np.zeros(n_t), np.zeros(n_t)
        started = np.zeros(n_u, dtype=bool)
        units = np.arange(n_u, dtype=np.int32)
        balance_rows = np.arange(n_i, dtype=np.int32)
        for b0 in range(0, n_t, HOURS_PER_BLOCK):
            block = slice(b0, min(b0 + HOURS_PER_BLOCK, n_t))
            node_load = (to_node @ (load_p[block] * scale[block, None]).T).T
            flow_load_block = node_load @ self.ptdf.T
            island_load_block = np.stack(
                [node_load[:, self.island == i].sum(axis=1) for i in range(n_i)], axis=1
            )
            # one BLAS thread: the hourly products are small, and threads cost more than
            # they give (8x slower with two threads on a busy 2-core machine)
            with threadpool_limits(limits=1, user_api="blas"):
                for k, t in enumerate(range(block.start, block.stop)):
                    flow_load = flow_load_block[k]
                    h.changeRowsBounds(
                        n_i, balance_rows, island_load_block[k], island_load_block[k]
                    )
                    if len(monitored):
                        h.changeRowsBounds(
                            len(monitored),
                            n_i + 1 + np.arange(len(monitored), dtype=np.int32),
                            -self.rate[monitored] + flow_load[monitored],
                            self.rate[monitored] + flow_load[monitored],
                        )
                    merit = committed[t].copy()
                    # units the network rule started in the hour before stay on
                    committed[t] = merit | (started & startable & (p_hi[t] > 0))
                    for round_ in range(COMMITMENT_ROUNDS + 1):
                        on = committed[t]
                        h.changeColsBounds(
                            n_u, units, np.where(on, p_lo[t], 0.0), np.where(on, p_hi[t], 0.0)
                        )
                        carrying = on & fleet.slack_units
                        lo_s, hi_s = p_lo[t][carrying].sum(), p_hi[t][carrying].sum()
                        room = min(reserve[t], 0.5 * (hi_s - lo_s))
                        h.changeRowBounds(n_i, lo_s + room, hi_s - room)
                        while True:
                            h.run()
                            sol = h.getSolution()
                            x = np.asarray(sol.col_value)
                            flow = self.ptdf_rated @ x[:n_u] - flow_load[self.rated]
                            excess = np.abs(flow) - self.rate[self.rated]
                            new = self.rated[excess > VIOLATION_TOL_MW]
                            new = np.setdiff1d(new, monitored)
                            if not len(new):
                                break
                            self._add_branch_rows(h, new, flow_load)
                            monitored = np.r_[monitored, new]
                            ptdf_monitored = np.vstack([ptdf_monitored, self.ptdf[new]])
                        y = np.asarray(sol.row_dual)
                        # shed, spill or overload (a reserve shortfall alone is not insecure)
                        insecure = (
                            x[n_u : n_u + 2 * n_i].sum() + x[n_u + 2 * n_i + 2 :].sum()
                            > VIOLATION_TOL_MW
                        )
                        if (
                            not (self.options.network_commitment and insecure)
                            or round_ == COMMITMENT_ROUNDS
                        ):
                            break
                        price = (
                            y[self.island[self.unit_node]]
                            + ptdf_monitored[:, self.unit_node].T @ y[n_i + 1 :]
                        )
                        start = startable & ~on & (p_hi[t] > 0) & (unit_cost < price - 1e-6)
                        if not start.any():
                            break
                        committed[t] = on | start
                    started = committed[t] & ~merit
                    p[t] = x[:n_u]
                    shed[t] = x[n_u : n_u + n_i].sum()
                    spill[t] = x[n_u + n_i : n_u + 2 * n_i].sum()
                    overload[t] = x[n_u + 2 * n_i + 2 :].sum()
                    cost[t] = float(unit_cost @ x[:n_u])
                    lmp[t] = y[self.island] + ptdf_monitored.T @ y[n_i + 1 :]
        return DispatchResult(
            p_mw=p,
            committed=committed,
            shortfall_mw=shed,
            surplus_mw=spill,
            lmp_usd_per_mwh=lmp,
            overload_mw=overload,
            cost_usd=cost,
        )


def economic_dispatch_rule(network, net, options: DispatchOptions) -> EconomicDispatch:
    """The economic dispatch of ``net`` (a study copy of ``network``, campus loads included);
    with ``options.reactive_derating`` the DC limits leave room for each branch's reactive flow
    (:func:`derated_limits`)."""
    grid = dc_network(network, net)
    if options.reactive_derating:
        q = branch_reactive_flow_mvar(network)[grid.link_name.astype(int)]
        grid = dataclasses.replace(grid, link_rate_mw=derated_limits(grid.link_rate_mw, q))
    return EconomicDispatch(grid, unit_nodes(network, net), load_nodes(network, net), options)


def derated_limits(rate_mva: np.ndarray, q_mvar: np.ndarray, floor: float = 0.25) -> np.ndarray:
    """Active-power limit that keeps ``|S| = sqrt(P² + Q²)`` within the MVA rating for a branch
    carrying ``q_mvar``: ``sqrt(R² - Q²)``, at least ``floor·R`` (MW)."""
    q = np.nan_to_num(np.abs(q_mvar))
    return np.sqrt(np.maximum(rate_mva**2 - q**2, (floor * rate_mva) ** 2))

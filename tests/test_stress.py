"""Hosting capacity and N-1 screening on the real Texas grid."""

from __future__ import annotations

import numpy as np
import pandapower as pp

from gridmodel.powerflow.batch import SolverOptions
from gridmodel.powerflow.reference import hour_net
from gridmodel.stress.contingency import run_contingencies
from gridmodel.stress.hosting import Limits, hosting_capacity, n0_violation_check
from gridmodel.stress.violations import resolve_hours


def test_hosting_capacity_is_consistent(summer_study):
    """No new violation at the hosting capacity, a new violation 1 % above it."""
    _, case, inj = summer_study
    rows = resolve_hours(4, inj.load_p.sum(axis=1))
    limits = Limits(
        100.0, case.network.buses.min_vm_pu.to_numpy(), case.network.buses.max_vm_pu.to_numpy()
    )
    violates = n0_violation_check(case, inj, 0, rows, limits, SolverOptions(), top_mw=4000.0)
    result = hosting_capacity(violates, "N-0", 4000.0, 0.5)
    assert result.mw_violating is not None and 0 < result.mw < 4000
    assert not violates(result.mw)
    assert violates(result.mw * 1.01)


def test_contingency_flows_equal_pandapower_with_the_branch_out(summer_study, peak_row):
    """Post-contingency loadings from the lightsim2grid analysis match pandapower's runpp."""
    _, case, inj = summer_study
    row = peak_row(inj)
    branches = case.network.branches
    import networkx as nx
    from pandapower.topology import create_nxgraph

    graph = create_nxgraph(case.net)
    bridges = {frozenset(e) for e in nx.bridges(nx.Graph(graph))}
    meshed = [
        b
        for b in branches.index[branches.in_service]
        if frozenset(
            case.network.buses.index[
                case.network.buses.bus.isin([branches.from_bus.iloc[b], branches.to_bus.iloc[b]])
            ]
        )
        not in bridges
    ]
    outages = [[int(b)] for b in meshed[::300]]  # outages that do not split the grid
    res = run_contingencies(case, inj, np.array([row]), outages, SolverOptions())
    for k, (b,) in enumerate(outages):
        if not res.converged[0, k]:
            continue
        net = hour_net(case, inj, row)
        element, idx = branches.element.iloc[b], branches.element_index.iloc[b]
        net[element].loc[idx, "in_service"] = False
        pp.runpp(
            net,
            init="dc",
            distributed_slack=True,
            numba=True,
            lightsim2grid=False,
            tolerance_mva=1e-6,
        )
        line, trafo = net.res_line, net.res_trafo
        is_line = (branches.element == "line").to_numpy()
        idxs = branches.element_index.to_numpy()
        s1 = np.where(
            is_line,
            np.hypot(line.p_from_mw.reindex(idxs), line.q_from_mvar.reindex(idxs)),
            np.hypot(trafo.p_hv_mw.reindex(idxs), trafo.q_hv_mvar.reindex(idxs)),
        )
        s2 = np.where(
            is_line,
            np.hypot(line.p_to_mw.reindex(idxs), line.q_to_mvar.reindex(idxs)),
            np.hypot(trafo.p_lv_mw.reindex(idxs), trafo.q_lv_mvar.reindex(idxs)),
        )
        ref = np.maximum(s1, s2) / branches.rate_a_mva.to_numpy() * 100.0
        ours = res.loading_percent[0, k]
        ok = np.isfinite(ref) & np.isfinite(ours)
        assert np.max(np.abs(ours[ok] - ref[ok])) < 1e-3
        assert ours[b] == 0.0


def test_hosting_capacity_stops_where_the_fleet_cannot_serve_the_campus(summer_study):
    """With the network's limits lifted, the search stops at the fleet: at the hosting capacity
    every hour's committed units serve demand; just above it some hour falls short, and by no
    more than the campus MW added between the two sizes (plus losses): supply is the limit."""
    from gridmodel.stress.hosting import _sized

    _, case, inj = summer_study
    rows = resolve_hours(4, inj.load_p.sum(axis=1))
    n_bus = len(case.network.buses)
    lifted = Limits(1e9, np.zeros(n_bus), np.full(n_bus, 1e9))
    top = 40000.0
    violates = n0_violation_check(case, inj, 0, rows, lifted, SolverOptions(), top_mw=top)
    result = hosting_capacity(violates, "N-0", top, 0.5)
    assert result.mw_violating is not None and 0 < result.mw < top
    assert "supply" in result.limited_by, result.limited_by
    sized = _sized(case, inj.take(rows), 0, top)
    at, above = sized(result.mw), sized(result.mw_violating)
    assert at.dispatch_feasible.all()
    assert not above.dispatch_feasible.all()
    added = (result.mw_violating - result.mw) * (1.0 + case.loss_factor)
    assert 0 < above.shortfall_mw.max() <= added + 1e-6

"""The warm-started Newton-Raphson against pandapower's runpp: commitment changes, the robustness
ladder, reactive limits, N-1 on a non-converged hour, and a net left as it was."""

from __future__ import annotations

import copy

import numpy as np
import pandapower.toolbox as tb
import pytest

from gridmodel.networks import load_network
from gridmodel.powerflow.batch import SolverOptions, solve, solve_timeseries
from gridmodel.powerflow.case import with_campus_mw
from gridmodel.powerflow.newton import NewtonModel
from gridmodel.powerflow.reference import solve_hour_pandapower
from gridmodel.schema import parse_scenario
from gridmodel.stress.contingency import contingency_table, run_contingencies
from gridmodel.stress.hosting import Limits
from gridmodel.stress.run import build_study


def _assert_equal_to_pandapower(ds_hour, ref):
    assert np.max(np.abs(ds_hour.vm_pu.to_numpy() - ref["vm_pu"])) < 1e-6
    rated = np.isfinite(ref["loading_percent"])
    loading = ds_hour.loading_percent.to_numpy()[rated]
    assert np.max(np.abs(loading - ref["loading_percent"][rated])) < 1e-4


def test_hours_after_a_commitment_change_equal_pandapower(summer_study, summer_results):
    _, case, inj = summer_study
    changed = np.flatnonzero((inj.gen_off[1:] != inj.gen_off[:-1]).any(axis=1)) + 1
    assert len(changed) >= 2  # the summer days start and stop units
    for row in changed[[0, -1]]:
        ds = summer_results.isel(time=int(row))
        assert bool(ds.converged) and int(ds.solve_step) == 0
        _assert_equal_to_pandapower(ds, solve_hour_pandapower(case, inj, int(row))[1])


def test_an_hour_the_warm_start_cannot_solve_climbs_the_ladder(summer_study):
    """A warm start at 0.3 pu everywhere diverges; the base-case rung solves the hour, and the
    solution is pandapower's."""
    _, case, inj = summer_study
    sub = inj.take([30])
    model = NewtonModel.from_case(case)
    bad = np.full((1, model.n_bus), 0.3 + 0j)
    sol = solve(case, sub, model=model, v_start=bad)
    assert sol.converged[0] and sol.hour["solve_step"][0] >= 1
    ds = solve_timeseries(case, sub)  # the same hour from the ordinary warm start
    ref = solve_hour_pandapower(case, sub, 0)[1]
    assert np.max(np.abs(sol.store["vm_pu"][0] - ref["vm_pu"])) < 1e-6
    _assert_equal_to_pandapower(ds.isel(time=0), ref)


def test_reactive_limits_equal_pandapower_enforce_q_lims(summer_study):
    """Summer evening hours where about 215 units end at a reactive limit: pandapower's
    runpp(enforce_q_lims=True) and ours agree bus by bus."""
    _, case, inj = summer_study
    sub = inj.take([10, 14])
    options = SolverOptions(enforce_q_lims=True)
    ds = solve_timeseries(case, sub, options)
    assert ds.converged.all() and (ds.units_at_q_limit > 100).all()
    for row in range(2):
        net, ref = solve_hour_pandapower(case, sub, row, options)
        _assert_equal_to_pandapower(ds.isel(time=row), ref)
        on = net.gen.in_service.to_numpy()
        q = net.res_gen.q_mvar.to_numpy()[on]
        assert np.all(q <= net.gen.max_q_mvar.to_numpy()[on] + 1e-3)
        assert np.all(q >= net.gen.min_q_mvar.to_numpy()[on] - 1e-3)


@pytest.fixture(scope="module")
def illinois():
    scenario = parse_scenario(
        {
            "name": "t",
            "network": "illinois200",
            "period": {"hours": 3},
            "campuses": [{"name": "c", "site": "bartonville-230", "mw": 100.0}],
        }
    )
    network = load_network("illinois200")
    return network, *build_study(network, scenario)


def test_solving_leaves_the_study_net_unchanged(illinois):
    network, case, inj = illinois
    study_net = copy.deepcopy(case.net)
    network_net = copy.deepcopy(network.net)
    solve_timeseries(case, inj)
    run_contingencies(case, inj, np.array([0]), [[0], [5]])
    assert tb.nets_equal(case.net, study_net, check_only_results=False)
    assert tb.nets_equal(network.net, network_net, check_only_results=False)
    assert case.net.gen.slack.sum() == 1


def test_n1_on_an_hour_without_a_solution_is_reported(illinois):
    """A 20 GW campus on a 200-bus grid: no N-0 solution, so its outages are not screened and
    the table says so instead of failing."""
    _, case, inj = illinois
    hard = with_campus_mw(case, inj, 0, np.array([100.0, 20_000.0, 100.0]))
    res = run_contingencies(case, hard, np.array([0, 1]), [[0], [5]])
    assert res.base_converged.tolist() == [True, False]
    assert not res.converged[1].any()
    buses = case.network.buses
    limits = Limits(100.0, buses.min_vm_pu.to_numpy(), buses.max_vm_pu.to_numpy())
    pre = np.zeros((2, len(case.network.branches)))
    table = contingency_table(res, case, hard.hour[[0, 1]], pre, np.ones((2, len(buses))), limits)
    base_lines = table[table.outage == "base case"]
    assert base_lines.hour.tolist() == [int(hard.hour[1])]
    assert not base_lines.converged.any()

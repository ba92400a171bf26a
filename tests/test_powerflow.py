"""Batched lightsim2grid time series against pandapower, physical balances, dispatch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridmodel.powerflow.batch import solve_timeseries
from gridmodel.powerflow.case import with_campus_mw
from gridmodel.powerflow.dispatch import Fleet, participation_dispatch
from gridmodel.powerflow.reference import solve_hour_pandapower


@pytest.mark.parametrize("which", ["first", "peak", "last"])
def test_batched_hours_equal_pandapower_runpp(summer_study, summer_results, which, peak_row):
    _, case, inj = summer_study
    row = {"first": 0, "peak": peak_row(inj), "last": len(inj.hour) - 1}[which]
    ds = summer_results.isel(time=row)
    assert bool(ds.converged)
    _, ref = solve_hour_pandapower(case, inj, row)
    assert np.max(np.abs(ds.vm_pu.to_numpy() - ref["vm_pu"])) < 1e-6
    assert np.max(np.abs(ds.va_degree.to_numpy() - ref["va_degree"])) < 1e-4
    rated = np.isfinite(ref["loading_percent"])
    assert (
        np.max(np.abs(ds.loading_percent.to_numpy()[rated] - ref["loading_percent"][rated])) < 1e-4
    )
    assert np.max(np.abs(ds.p_from_mw.to_numpy() - ref["p_from_mw"])) < 1e-3


def _shunt_p_q(case, vm):
    """Shunt consumption at the solved voltages (MW, MVAr per bus), pandapower's V^2 law."""
    net = case.net
    pos = pd.Series(np.arange(len(net.bus)), index=net.bus.index).loc[net.shunt.bus].to_numpy()
    p = np.zeros(vm.shape)
    q = np.zeros(vm.shape)
    on = net.shunt.in_service.to_numpy()
    np.add.at(
        p.T,
        pos[on],
        (net.shunt.p_mw.to_numpy()[on] * net.shunt.step.to_numpy()[on])[:, None]
        * vm.T[pos[on]] ** 2,
    )
    np.add.at(
        q.T,
        pos[on],
        (net.shunt.q_mvar.to_numpy()[on] * net.shunt.step.to_numpy()[on])[:, None]
        * vm.T[pos[on]] ** 2,
    )
    return p, q


def test_kcl_at_every_bus_every_hour(summer_study, summer_results):
    """Net injection minus shunt consumption equals the sum of branch flows leaving the bus."""
    _, case, _ = summer_study
    ds = summer_results
    bus_pos = pd.Series(np.arange(ds.sizes["bus"]), index=ds.bus.to_numpy())
    f = bus_pos.loc[ds.from_bus.to_numpy()].to_numpy()
    t = bus_pos.loc[ds.to_bus.to_numpy()].to_numpy()
    p_out = np.zeros((ds.sizes["time"], ds.sizes["bus"]))
    q_out = np.zeros_like(p_out)
    for out, a, b in ((p_out, "p_from_mw", "p_to_mw"), (q_out, "q_from_mvar", "q_to_mvar")):
        np.add.at(out.T, f, ds[a].to_numpy().astype(float).T)
        np.add.at(out.T, t, ds[b].to_numpy().astype(float).T)
    p_sh, q_sh = _shunt_p_q(case, ds.vm_pu.to_numpy().astype(float))
    p_res = ds.p_inj_mw.to_numpy() - p_sh - p_out
    q_res = ds.q_inj_mvar.to_numpy() - q_sh - q_out
    assert np.abs(p_res).max() < 0.05  # float32 storage of flows up to ~2 GW
    assert np.abs(q_res).max() < 0.05


def test_power_balance_every_hour(summer_study, summer_results):
    """Generation = demand + series losses + shunt losses, hour by hour."""
    _, case, inj = summer_study
    ds = summer_results
    losses = (ds.p_from_mw + ds.p_to_mw).sum("branch").to_numpy()
    p_sh, _ = _shunt_p_q(case, ds.vm_pu.to_numpy().astype(float))
    np.testing.assert_allclose(
        ds.p_inj_mw.sum("bus").to_numpy(), losses + p_sh.sum(axis=1), atol=0.5
    )
    # losses are a few percent of demand, as the case's own base flow says
    share = losses / inj.load_p.sum(axis=1)
    assert np.all((share > 0.005) & (share < 0.08))


def test_a_diverging_hour_is_reported_and_the_others_are_kept(summer_study):
    _, case, inj = summer_study
    sub = inj.take(np.arange(6))
    p = np.full(6, 1200.0)
    p[3] = 60_000.0  # 60 GW at one bus: no solution exists
    ds = solve_timeseries(case, with_campus_mw(case, sub, 0, p))
    assert ds.converged.to_numpy().tolist() == [True, True, True, False, True, True]
    assert np.isnan(ds.vm_pu.isel(time=3)).all()
    assert np.isfinite(ds.vm_pu.isel(time=[0, 1, 2, 4, 5])).all()
    assert ds.sizes["time"] == 6


def test_participation_dispatch_closed_form():
    """Two units, both running: each takes its range's share of demand above total Pmin."""
    fleet = Fleet(
        p_min_mw=np.array([100.0, 50.0]),
        p_max_mw=np.array([500.0, 250.0]),
        is_gen=np.array([True, True]),
        in_service=np.array([True, True]),
        marginal_cost=np.array([np.nan, np.nan]),
        must_run=np.array([True, True]),
    )
    res = participation_dispatch(fleet, np.array([150.0, 450.0, 750.0, 900.0]))
    np.testing.assert_allclose(res.p_mw[1], [100 + 400 * 0.5, 50 + 200 * 0.5])
    np.testing.assert_allclose(res.p_mw.sum(axis=1)[:3], [150.0, 450.0, 750.0])
    assert res.shortfall_mw.tolist() == [0.0, 0.0, 0.0, 150.0]


def test_dispatch_meets_demand_plus_losses(summer_study):
    _, case, inj = summer_study
    total = inj.gen_p.sum(axis=1) + inj.sgen_p.sum(axis=1)
    assert np.all(inj.gen_p[inj.gen_off] == 0.0)
    np.testing.assert_allclose(total, inj.load_p.sum(axis=1) * (1 + case.loss_factor), rtol=1e-9)
    # committed capacity covers demand plus the largest unit (BAL-002 reserve)
    cap = np.where(inj.gen_off, 0.0, case.fleet.p_max_mw[: case.fleet.n_gen]).sum(axis=1)
    cap += case.fleet.p_max_mw[case.fleet.n_gen :].sum()
    assert np.all(
        cap >= inj.load_p.sum(axis=1) * (1 + case.loss_factor) + case.fleet.p_max_mw.max() - 1e-6
    )


@pytest.mark.parametrize(
    ("network", "site", "mw"),
    [
        ("case118", "bus-9-345", 300.0),
        ("illinois200", "bartonville-230", 100.0),
        ("carolinas500", "clemson-345", 500.0),
    ],
)
def test_other_networks_agree_with_pandapower(network, site, mw):
    from gridmodel.networks import load_network
    from gridmodel.schema import parse_scenario
    from gridmodel.stress.run import build_study

    scenario = parse_scenario(
        {
            "name": "t",
            "network": network,
            "period": {"hours": 2},
            "campuses": [{"name": "c", "site": site, "mw": mw}],
        }
    )
    case, inj = build_study(load_network(network), scenario)
    ds = solve_timeseries(case, inj)
    _, ref = solve_hour_pandapower(case, inj, 1)
    assert bool(ds.converged[1])
    assert np.max(np.abs(ds.vm_pu.isel(time=1).to_numpy() - ref["vm_pu"])) < 1e-6
    rated = np.isfinite(ref["loading_percent"])
    assert (
        np.max(
            np.abs(
                ds.loading_percent.isel(time=1).to_numpy()[rated] - ref["loading_percent"][rated]
            )
        )
        < 1e-4
    )

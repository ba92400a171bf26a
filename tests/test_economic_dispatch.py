"""Hourly economic dispatch (DC optimal power flow behind the grid-stress dispatch interface):
agreement with the expansion LP built in Pyomo, prices as the cost of one more MW, flows against
pandapower's DC power flow, and the grid-stress run and campus sizing that use it."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.networks import load_network
from gridmodel.optimize.dcnetwork import bus_loads, dc_network
from gridmodel.optimize.economic_dispatch import DispatchOptions, economic_dispatch_rule
from gridmodel.optimize.expansion import (
    ExpansionOptions,
    ExpansionProblem,
    Snapshots,
    solve_expansion,
)
from gridmodel.powerflow.dispatch import Fleet
from gridmodel.schema import ScenarioError, parse_scenario

HOURS = 6


@pytest.fixture(scope="module")
def illinois():
    return load_network("illinois200")


@pytest.fixture(scope="module")
def congested(illinois):
    """illinois200 at 1.2x its summer loads with a 600 MW campus at Springfield 230 kV, the fleet
    on continuously with Pmin 0 (as in the expansion LP): the Springfield branches bind."""
    import pandapower as pp

    net = copy.deepcopy(illinois.net)
    shape = illinois.region_loads.sum(axis=1).to_numpy()[4800 : 4800 + HOURS]
    load_p = 1.2 * (shape / shape.max())[:, None] * net.load.p_mw.to_numpy()[None, :]
    site = illinois.descriptor.site("springfield-230")
    pp.create_load(net, bus=illinois.bus_index(site.bus), p_mw=0.0)
    load_p = np.hstack([load_p, np.full((HOURS, 1), 600.0)])
    rule = economic_dispatch_rule(illinois, net, DispatchOptions())
    fleet = Fleet.from_net(net)
    fleet = dataclasses.replace(
        fleet, p_min_mw=np.zeros_like(fleet.p_min_mw), must_run=np.ones_like(fleet.must_run)
    )
    result = rule(fleet, load_p.sum(axis=1), None, load_p)
    return net, rule, fleet, load_p, result


def test_economic_dispatch_equals_the_expansion_lp(illinois, congested):
    """The same hourly DC-OPF built a second way - Pyomo, flow variables with Kirchhoff's law over
    a cycle basis, nodal balances - gives the same cost every hour and the same nodal prices."""
    net, rule, fleet, load_p, result = congested
    assert np.all(result.overload_mw < 1e-9) and np.all(result.shortfall_mw < 1e-9)
    spread = result.lmp_usd_per_mwh.max(axis=1) - result.lmp_usd_per_mwh.min(axis=1)
    assert spread.max() > 1.0  # congestion binds, so the prices are a real test
    grid = dc_network(illinois, net)
    load = bus_loads(illinois, net, load_p)
    snap = Snapshots(load, np.full(HOURS, 8760.0 / HOURS), np.zeros(HOURS), load.sum(1).max())
    ds = solve_expansion(ExpansionProblem(grid, snap, [], {}, ExpansionOptions()))
    cost = (ds.p_unit_mw.values * grid.unit_cost[:, None]).sum(axis=0)
    np.testing.assert_allclose(result.cost_usd, cost, rtol=1e-6)
    np.testing.assert_allclose(
        result.lmp_usd_per_mwh, ds.price_usd_per_mwh.values.T, rtol=1e-5, atol=1e-4
    )


def test_price_is_the_cost_of_one_more_mw_at_the_bus(illinois, congested):
    net, rule, fleet, load_p, result = congested
    hour = int(np.argmax(result.lmp_usd_per_mwh.max(axis=1) - result.lmp_usd_per_mwh.min(1)))
    one = load_p[[hour]]
    base = rule(fleet, one.sum(axis=1), None, one)
    node_of = {b: k for k, b in enumerate(illinois.buses.index)}
    loads = net.load.bus.to_numpy()
    lmp = base.lmp_usd_per_mwh[0]
    checked = set()
    for row in np.argsort(lmp[[node_of[b] for b in loads]])[[0, len(loads) // 2, -1]]:
        more = one.copy()
        more[0, row] += 0.01
        cost = rule(fleet, more.sum(axis=1), None, more).cost_usd[0]
        assert (cost - base.cost_usd[0]) / 0.01 == pytest.approx(
            lmp[node_of[loads[row]]], rel=1e-4, abs=1e-3
        )
        checked.add(round(float(lmp[node_of[loads[row]]]), 3))
    assert len(checked) > 1  # at least two different prices were checked


def test_dispatch_flows_match_pandapower_and_respect_the_limits(illinois, congested):
    """pandapower's DC power flow with the dispatch's set-points puts every rated branch within
    its rating (the limits the dispatch enforced), and its slack unit where the dispatch did."""
    import pandapower as pp

    net, rule, fleet, load_p, result = congested
    hour = int(np.argmax(load_p.sum(axis=1)))
    dc = copy.deepcopy(net)
    dc.load["p_mw"] = load_p[hour]
    n_gen = len(dc.gen)
    dc.gen["p_mw"] = result.p_mw[hour, :n_gen]
    dc.sgen["p_mw"] = result.p_mw[hour, n_gen:]
    pp.rundcpp(dc)
    slack = np.flatnonzero(dc.gen.slack.to_numpy())[0]
    assert dc.res_gen.p_mw.iloc[slack] == pytest.approx(result.p_mw[hour, slack], abs=1e-6)
    br = illinois.branches
    flow = np.where(
        br.element == "line",
        dc.res_line.p_from_mw.reindex(br.element_index).to_numpy(),
        dc.res_trafo.p_hv_mw.reindex(br.element_index).to_numpy(),
    )
    rate = br.rate_a_mva.to_numpy()
    rated = np.isfinite(rate) & (rate > 0)
    assert np.all(np.abs(flow[rated]) <= rate[rated] + 1e-3)
    assert np.any(np.abs(flow[rated]) >= rate[rated] - 1e-3)  # and some limit binds


def test_uncongested_price_is_the_marginal_units_cost(illinois, congested):
    net, _, fleet, load_p, _ = congested
    loose = economic_dispatch_rule(illinois, net, DispatchOptions(limit_fraction=2.0))
    res = loose(fleet, load_p.sum(axis=1), None, load_p)
    cost = fleet.marginal_cost
    for t in range(HOURS):
        assert np.ptp(res.lmp_usd_per_mwh[t]) < 1e-6
        between = (res.p_mw[t] > 1e-6) & (res.p_mw[t] < fleet.p_max_mw - 1e-6)
        assert np.any(np.abs(cost[between] - res.lmp_usd_per_mwh[t, 0]) < 1e-6)
        # merit order: every cheaper unit is full, every dearer unit is off
        price = res.lmp_usd_per_mwh[t, 0]
        assert np.allclose(res.p_mw[t][cost < price - 1e-6], fleet.p_max_mw[cost < price - 1e-6])
        assert np.allclose(res.p_mw[t][cost > price + 1e-6], 0.0)


# ---------------------------------------------------------------------------------------------
# Grid-stress run and campus sizing


RUN = {
    "name": "ed",
    "network": "illinois200",
    "period": {"start_hour": 4800, "hours": 12},
    "campuses": [{"name": "c", "site": "bartonville-230", "mw": 300}],
    "dispatch": {"rule": "economic"},
    "study": {"hosting_capacity": None, "contingencies": None},
}


def test_run_with_economic_dispatch_writes_prices_and_balances(tmp_path):
    spec = copy.deepcopy(RUN)
    path = tmp_path / "ed.yaml"
    path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    tree = xr.open_datatree(out / "stress" / "results.nc")
    assert tree.attrs["dispatch_rule"] == "economic"
    ds = tree["timeseries"].to_dataset()
    assert bool(ds.converged.all())
    lmp = ds.lmp_usd_per_mwh.values
    assert lmp.shape == (12, ds.sizes["bus"]) and np.all(np.isfinite(lmp))
    # AC balance: generation = demand + losses (losses small and positive)
    gen = ds.p_inj_mw.sum("bus").values + ds.load_mw.values
    assert np.all(gen > ds.load_mw.values) and np.all(gen < 1.05 * ds.load_mw.values)

    # the campus sized against those prices: its grid-only twin pays the run's LMP at its bus
    spec["optimize"] = {
        "campus": {"technologies": ["battery"], "grid": {"price_usd_per_mwh": "lmp"}}
    }
    path.write_text(yaml.safe_dump(spec))
    res = CliRunner().invoke(app, ["optimize", str(path), "--out", str(tmp_path / "opt")])
    assert res.exit_code == 0, res.output
    costs = pd.read_csv(tmp_path / "opt" / "optimize" / "costs.csv", comment="#")
    costs = costs.set_index(["result", "component"])
    lmp_campus = ds.lmp_usd_per_mwh.sel(bus=int(ds.campus_bus[0])).values
    energy = 8760.0 / 12 * float((lmp_campus * ds.campus_p_mw.values[:, 0]).sum())
    assert costs.usd_per_yr["business_as_usual", "grid_energy"] == pytest.approx(energy, rel=1e-5)


def test_lmp_campus_price_needs_economic_dispatch():
    spec = copy.deepcopy(RUN)
    spec["dispatch"] = {"rule": "participation"}
    spec["optimize"] = {"campus": {"grid": {"price_usd_per_mwh": "lmp"}}}
    with pytest.raises(ScenarioError, match="optimize.campus.grid.price_usd_per_mwh"):
        parse_scenario(spec)
    spec["dispatch"] = {"rule": "economic"}
    parse_scenario(spec)

"""Optimiser: closed-form sizing cases, storage physics, nodal prices, the PyPSA cross-check,
agreement of DC flows with pandapower, infeasibility reports and the `optimize` command."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridmodel.networks import load_network
from gridmodel.optimize.campus import (
    CampusProblem,
    GridTerms,
    built_fleet,
    capacity_outage_table,
    served_probability,
    solve_campus,
)
from gridmodel.optimize.costs import Prices, capital_recovery_factor, technology_costs
from gridmodel.optimize.dcnetwork import DcNetwork, bus_loads, dc_network
from gridmodel.optimize.expansion import (
    Candidate,
    ExpansionOptions,
    ExpansionProblem,
    Snapshots,
    solve_expansion,
)
from gridmodel.optimize.solver import InfeasibleError
from gridmodel.schema import ScenarioError, parse_scenario
from gridmodel.schema.bills import MONTHLY_SALES

PRICES = Prices(gas_usd_per_mmbtu=4.0, co2_usd_per_t=0.0, wacc=0.08)


def grid_terms(n, price=50.0, available=True, **kw):
    return GridTerms(
        price_usd_per_mwh=np.broadcast_to(np.asarray(price, float), (n,)).copy(),
        available=np.full(n, available),
        month=np.ones(n, dtype=int),
        cp_hours=np.array([], dtype=int),
        **kw,
    )


def test_capital_recovery_factor_matches_atb_figures():
    # rates_and_costs.md section 6: CRF 0.102 (20 yr), 0.089 (30 yr), 0.084 (40 yr) at WACC 7.99 %
    for life, crf in ((20, 0.102), (30, 0.089), (40, 0.084)):
        assert capital_recovery_factor(0.0799, life) == pytest.approx(crf, abs=6e-4)
    with pytest.raises(ValueError, match="wacc"):
        capital_recovery_factor(-0.01, 30)


def test_flat_load_served_by_one_technology_sizes_to_the_load():
    n = 48
    costs = technology_costs(["frame_ct"], 2030, PRICES)
    p = CampusProblem(np.full(n, 100.0), costs, grid_terms(n, available=False))
    ds = solve_campus(p)
    ct = costs["frame_ct"]
    assert float(ds.gas_capacity_mw.sel(gas="frame_ct")) == pytest.approx(100.0, rel=1e-9)
    expected = 100.0 * ct.fixed_usd_per_mw_yr + 100.0 * 8760.0 * ct.marginal_usd_per_mwh
    assert ds.attrs["objective_usd_per_yr"] == pytest.approx(expected, rel=1e-9)


def test_n_plus_1_fleet_carries_the_load_with_its_largest_unit_out():
    n = 48
    load = 100.0 + 20.0 * np.sin(np.arange(n) / 24 * 2 * np.pi)
    costs = technology_costs(["recip", "aero_ct"], 2030, PRICES)
    p = CampusProblem(load, costs, grid_terms(n, available=False), redundancy="n+1")
    ds = solve_campus(p)
    cap = ds.gas_capacity_mw.values
    sizes = np.array([costs[g].unit_mw for g in ds.gas.values])
    largest = sizes[cap > 1e-6].max()
    assert cap.sum() - largest >= load.max() - 1e-6
    # without the redundancy rule the fleet stops at the peak
    plain = solve_campus(CampusProblem(load, costs, grid_terms(n, available=False)))
    assert float(plain.gas_capacity_mw.sum()) == pytest.approx(load.max(), rel=1e-9)
    assert ds.attrs["objective_usd_per_yr"] > plain.attrs["objective_usd_per_yr"]


def test_capacity_outage_table_matches_enumeration_of_unit_states():
    """The COPT of 3 x 10 MW (q = 0.1) and 1 x 30 MW (q = 0.2) against all 16 unit states."""
    fleet = [(3, 10.0, 0.1), (1, 30.0, 0.2)]
    outage, prob = capacity_outage_table(fleet)
    by_hand: dict[float, float] = {}
    for state in range(16):
        out = [(state >> k) & 1 for k in range(4)]
        mw = 10.0 * sum(out[:3]) + 30.0 * out[3]
        p = np.prod([0.1 if o else 0.9 for o in out[:3]]) * (0.2 if out[3] else 0.8)
        by_hand[mw] = by_hand.get(mw, 0.0) + p
    np.testing.assert_allclose(outage, sorted(by_hand))
    np.testing.assert_allclose(prob, [by_hand[k] for k in sorted(by_hand)], rtol=1e-12)
    # 60 MW installed carries 40 MW unless 30 MW or more is out
    assert served_probability(fleet, 40.0)[0] == pytest.approx(
        sum(v for k, v in by_hand.items() if k <= 20.0), rel=1e-12
    )


def test_reliability_target_fleet_carries_the_campus_when_unit_outages_are_sampled():
    """The fleet sized for a reliability target serves the campus in at least the target share
    of hours when every unit's outages are drawn at random (Monte Carlo, independent of the COPT),
    and one unit fewer of its largest type would miss the target."""
    n, target = 24, 0.9997
    load = np.full(n, 1000.0)
    costs = technology_costs(["recip", "aero_ct"], 2030, PRICES)
    p = CampusProblem(
        load, costs, grid_terms(n, available=False), redundancy="reliability",
        reliability_target=target,
    )  # fmt: skip
    ds = solve_campus(p)
    fleet = built_fleet(p, ds.gas_capacity_mw.to_numpy())
    assert ds.attrs["gas_served_probability_at_peak"] >= target
    rng = np.random.default_rng(0)
    draws = 400_000
    available = np.zeros(draws)
    for units, size, q in fleet:
        available += size * (units - rng.binomial(units, q, size=draws))
    served = float((available >= load.max() - 1e-9).mean())
    sigma = np.sqrt(target * (1 - target) / draws)
    assert served >= target - 3 * sigma, (served, fleet)
    assert served == pytest.approx(ds.attrs["gas_served_probability_at_peak"], abs=4 * sigma)
    largest = max(fleet, key=lambda f: f[1])
    fewer = [(u - 1, s, q) if (u, s, q) == largest else (u, s, q) for u, s, q in fleet]
    assert served_probability(fewer, load.max())[0] < target
    # a plain N+1 fleet of 10 MW engines (one spare) misses the same target
    n1 = solve_campus(replace(p, redundancy="n+1"))
    assert n1.attrs["gas_served_probability_at_peak"] < target


def test_battery_losses_match_round_trip_efficiency_and_no_simultaneous_charging():
    n = 96
    hour = np.arange(n) % 24
    price = np.where((hour >= 16) & (hour < 21), 400.0, 20.0)
    costs = technology_costs(["battery"], 2030, PRICES)
    ds = solve_campus(CampusProblem(np.full(n, 50.0), costs, grid_terms(n, price)))
    p_bat = ds.p_battery_mw.values
    charged = -p_bat[p_bat < 0].sum()
    discharged = p_bat[p_bat > 0].sum()
    assert float(ds.battery_mw) > 1.0  # the price spread pays for a battery
    # cyclic state of charge: what comes out is exactly the round trip of what went in
    assert discharged == pytest.approx(costs["battery"].round_trip_efficiency * charged, rel=1e-7)
    # grid + battery meet the load every hour
    np.testing.assert_allclose(ds.grid_mw.values + p_bat, 50.0, atol=1e-6)


def test_infeasible_campus_names_the_binding_family_and_voll_makes_it_feasible():
    n = 24
    costs = technology_costs(["battery"], 2030, PRICES)
    p = CampusProblem(np.full(n, 10.0), costs, grid_terms(n, available=False))
    with pytest.raises(InfeasibleError, match="balance") as err:
        solve_campus(p)
    assert err.value.families[0] == "balance"
    p.voll_usd_per_mwh = 5000.0
    ds = solve_campus(p)
    assert float(ds.unserved_mw.sum()) == pytest.approx(10.0 * n, rel=1e-9)
    assert float(ds.cost_usd_per_yr.sel(cost="unserved_energy")) == pytest.approx(
        5000.0 * 10.0 * 8760.0, rel=1e-9
    )


# ---------------------------------------------------------------------------------------------
# Nodal prices on a three-bus triangle (equal reactances)


def triangle(rate_02: float) -> DcNetwork:
    return DcNetwork(
        node=pd.Index([1, 2, 3], name="bus"),
        node_area=np.array(["A", "A", "A"]),
        link_from=np.array([0, 0, 1]),
        link_to=np.array([2, 1, 2]),
        link_x=np.full(3, 0.1),
        link_rate_mw=np.array([rate_02, np.inf, np.inf]),
        link_name=np.array(["0-2", "0-1", "1-2"]),
        kvl=True,
        base_mva=100.0,
        unit_node=np.array([0, 1]),
        unit_p_min_mw=np.zeros(2),
        unit_p_max_mw=np.array([1000.0, 1000.0]),
        unit_cost=np.array([10.0, 30.0]),
        unit_name=np.array(["cheap", "dear"]),
    )


def triangle_problem(rate_02: float) -> ExpansionProblem:
    load = np.zeros((2, 3))
    load[:, 2] = 300.0
    snap = Snapshots(load, np.ones(2), np.zeros(2), 300.0)
    return ExpansionProblem(triangle(rate_02), snap, [], {})


def test_nodal_prices_equal_marginal_cost_when_uncongested():
    ds = solve_expansion(triangle_problem(1e4))
    np.testing.assert_allclose(ds.price_usd_per_mwh.values, 10.0, atol=1e-7)


def test_nodal_prices_separate_across_a_congested_line():
    ds = solve_expansion(triangle_problem(160.0))
    # flow on 0-2 = 2/3 P_cheap + 1/3 P_dear = 160 with P_cheap + P_dear = 300
    np.testing.assert_allclose(ds.p_unit_mw.values[:, 0], [180.0, 120.0], atol=1e-6)
    # one more MW at bus 3 needs -1 MW cheap and +2 MW dear: 2 x 30 - 10 = 50 $/MWh
    np.testing.assert_allclose(ds.price_usd_per_mwh.values[:, 0], [10.0, 30.0, 50.0], atol=1e-6)


# ---------------------------------------------------------------------------------------------
# Real networks


@pytest.fixture(scope="module")
def case118():
    return load_network("case118")


def case118_problem(case118, texas, hours: int, sequence=None, scale=2.0) -> ExpansionProblem:
    grid = dc_network(case118)
    base = bus_loads(case118, case118.net, case118.net.load.p_mw.to_numpy()[None, :])[0]
    shape = texas.region_loads.sum(axis=1).to_numpy()[:hours]
    load = scale * (shape / shape.max())[:, None] * base[None, :]
    campus = np.full(hours, 1500.0)
    load[:, grid.node_of_bus(9, "System")] += campus
    costs = technology_costs(["gas_cc", "frame_ct", "battery"], 2030, PRICES)
    cands = [
        Candidate(t, grid.node_of_bus(b, "System"))
        for b in (9, 65)
        for t in ("gas_cc", "frame_ct", "battery")
    ]
    snap = Snapshots(
        load, np.ones(hours), campus, float(load.sum(axis=1).max()),
        period_hours=24 if sequence is not None else None, sequence=sequence,
    )  # fmt: skip
    options = ExpansionOptions(reserve_margin=0.15, operating_reserves=True)
    return ExpansionProblem(grid, snap, cands, costs, options)


def test_expansion_matches_pypsa_on_case118(case118, texas):
    pytest.importorskip("pypsa")
    from gridmodel.optimize.pypsa_twin import solve_pypsa

    logging.getLogger("linopy").setLevel(logging.ERROR)
    logging.getLogger("pypsa").setLevel(logging.ERROR)
    p = case118_problem(case118, texas, 24)
    ours = solve_expansion(p)
    assert float(ours.capacity_mw.sum()) > 1.0  # something is built
    theirs, _, _ = solve_pypsa(p)
    assert ours.attrs["objective_usd_per_yr"] == pytest.approx(theirs, rel=1e-6)


def test_inter_period_storage_link_is_exact_when_every_day_is_its_own_period(case118, texas):
    """Kotzur's inter-period formulation with the identity sequence is the chronological model."""
    chrono = solve_expansion(case118_problem(case118, texas, 48))
    linked = solve_expansion(case118_problem(case118, texas, 48, sequence=np.array([0, 1])))
    assert linked.attrs["objective_usd_per_yr"] == pytest.approx(
        chrono.attrs["objective_usd_per_yr"], rel=1e-8
    )


def test_optimal_flows_match_pandapower_dc_power_flow(case118, texas):
    import copy

    import pandapower as pp

    p = case118_problem(case118, texas, 24, scale=1.2)
    p = ExpansionProblem(p.grid, p.snapshots, [], {}, ExpansionOptions())  # existing fleet only
    ds = solve_expansion(p)
    hour = int(np.argmax(p.snapshots.load_mw.sum(axis=1)))
    net = copy.deepcopy(case118.net)
    # the hour's bus loads as one load per bus, the optimised set-points on the units
    net.load.drop(net.load.index, inplace=True)
    for pos, bus in enumerate(case118.buses.index):
        pp.create_load(net, bus=bus, p_mw=float(p.snapshots.load_mw[hour, pos]))
    n_gen = len(net.gen)
    net.gen["p_mw"] = ds.p_unit_mw.values[:n_gen, hour]
    pp.rundcpp(net)
    line = case118.branches.element == "line"
    ours = ds.flow_mw.values[: line.sum(), hour]
    np.testing.assert_allclose(net.res_line.p_from_mw.to_numpy(), ours, atol=1e-6)
    # the slack unit lands where the optimiser put it: the DC balance has no losses
    slack = net.gen.index[net.gen.slack][0]
    assert net.res_gen.p_mw[slack] == pytest.approx(ds.p_unit_mw.values[slack, hour], abs=1e-6)


# ---------------------------------------------------------------------------------------------
# Scenario and command


SIZING = {
    "name": "t",
    "network": "case118",
    "period": {"hours": 48},
    "campuses": [{"name": "c", "site": "bus-9-345", "mw": 400}],
    "optimize": {
        "expansion": {"network": "bus", "typical_periods": None},
        "campus": {
            "technologies": ["recip", "battery"],
            "grid": {"ramp_mw_per_min": 5, "region": "texas"},
        },
    },
}


def test_optimize_command_writes_results(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from gridmodel.cli import app

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(SIZING))
    res = CliRunner().invoke(app, ["optimize", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out" / "optimize"
    campus = xr.open_dataset(out / "optimization.nc", group="campus", engine="h5netcdf")
    bau = xr.open_dataset(out / "optimization.nc", group="business_as_usual", engine="h5netcdf")
    # the sized supply never costs more than the grid-only twin it could have chosen
    assert campus.attrs["objective_usd_per_yr"] <= bau.attrs["objective_usd_per_yr"] * (1 + 1e-9)
    # the ramp limit holds on the grid import (5 MW/min = 300 MW/h)
    assert np.abs(np.diff(campus.grid_mw.values)).max() <= 300.0 + 1e-6
    # the grid-only twin pays the Texas industrial price: EIA-861M 2024 revenue over sales
    tx = pd.read_csv(MONTHLY_SALES, comment="#").query("state == 'TX' and sector == 'IND'")
    price = 10 * 100 * tx.revenue_musd.sum() / tx.sales_gwh.sum()  # $/MWh
    energy = float(bau.grid_mw.sum()) * 8760 / bau.sizes["time"]
    # (regions.csv keeps the price to 0.001 c/kWh)
    assert float(bau.cost_usd_per_yr.sel(cost="grid_energy")) == pytest.approx(energy * price, rel=1e-4)  # fmt: skip
    # the saving at the corners of the uncertain inputs brackets the central case
    r = xr.open_dataset(out / "optimization.nc", group="campus_range", engine="h5netcdf")
    saving = r.saving_usd_per_yr.to_series()
    assert saving["low_saving"] <= saving["central"] <= saving["high_saving"]
    central = campus.cost_usd_per_yr.sum() - bau.cost_usd_per_yr.sum()
    assert float(saving["central"]) == pytest.approx(-float(central), rel=1e-9)
    costs = pd.read_csv(out / "costs.csv", comment="#")
    results = {"expansion", "expansion_without_campus", "campus", "business_as_usual"}
    assert set(costs.result) == results
    for stem in ("capacity_mix", "peak_week_dispatch", "cost_breakdown"):
        for ext in ("png", "svg", "pdf"):
            assert (out / "figures" / f"{stem}.{ext}").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"optimize": {"costs": {"wacc": -0.1}}}, "optimize.costs.wacc"),
        (
            {"optimize": {"expansion": {"technologies": ["fusion"]}}},
            "optimize.expansion.technologies",
        ),
        ({"optimize": {"campus": {"redundancy": "n+2"}}}, "optimize.campus.redundancy"),
    ],
)
def test_bad_optimize_fields_are_named(change, field):
    data = {**SIZING, **change}
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        parse_scenario(data)


def test_industrial_price_without_a_region_names_the_field(tmp_path):
    from gridmodel.study import Study

    data = {**SIZING, "optimize": {"campus": {"technologies": ["recip"]}}}
    with pytest.raises(ScenarioError, match=r"optimize\.campus\.grid\.region"):
        Study.from_dict(data, cache=tmp_path).run("optimize")


def test_unknown_site_and_missing_solar_profile_are_reported(tmp_path):
    from gridmodel.study import Study

    bad_site = {
        **SIZING,
        "optimize": {"expansion": {"sites": ["nowhere"], "typical_periods": None}},
    }
    with pytest.raises(ScenarioError, match=r"optimize\.expansion\.sites\.0"):
        Study.from_dict(bad_site, cache=tmp_path).run("optimize")
    no_cf = {**SIZING, "optimize": {"campus": {"technologies": ["solar"]}}}
    with pytest.raises(ScenarioError, match=r"optimize\.campus\.solar_cf_csv"):
        Study.from_dict(no_cf, cache=tmp_path).run("optimize")
    assert not list(tmp_path.iterdir())

"""The same grid-expansion problem in gridmodel (Pyomo -> matrices -> HiGHS) and in PyPSA (linopy ->
HiGHS), end to end and split into parts, on two cases:

* case118, bus level with cycle-based KVL, 720 hours (2016 Texas system-load shape scaled so that
  new capacity is needed), reserve margin and operating reserves;
* texas2000 zonal (8 areas), 12 typical days + the peak day (312 weighted hours) of summer-peaking
  2016 loads with a 1,000 MW campus, the typical days in one cyclic sequence (PyPSA has no
  inter-period storage link).

Prints the times, the objective agreement and the ratio ours / PyPSA. Run:
``.venv/bin/python benchmarks/optimize_pypsa.py [--hours 720]``.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import pandas as pd

from gridmodel.networks import load_network
from gridmodel.optimize.costs import Prices, technology_costs
from gridmodel.optimize.dcnetwork import bus_loads, dc_network
from gridmodel.optimize.expansion import (
    Candidate,
    ExpansionOptions,
    ExpansionProblem,
    Snapshots,
    solve_expansion,
)
from gridmodel.optimize.periods import typical_periods
from gridmodel.optimize.pypsa_twin import solve_pypsa

PRICES = Prices(gas_usd_per_mmbtu=4.28, co2_usd_per_t=0.0, wacc=0.0799)
TECHS = ["gas_cc", "frame_ct", "battery"]


def case118(hours: int) -> ExpansionProblem:
    net, texas = load_network("case118"), load_network("texas2000")
    grid = dc_network(net)
    base = bus_loads(net, net.net, net.net.load.p_mw.to_numpy()[None, :])[0]
    shape = texas.region_loads.sum(axis=1).to_numpy()[:hours]
    load = 2.0 * (shape / shape.max())[:, None] * base[None, :]
    campus = np.full(hours, 1500.0)
    load[:, grid.node_of_bus(9, "System")] += campus
    cands = [Candidate(t, grid.node_of_bus(b, "System")) for b in (9, 65) for t in TECHS]
    snap = Snapshots(load, np.ones(hours), campus, float(load.sum(axis=1).max()))
    return ExpansionProblem(
        grid, snap, cands, technology_costs(TECHS, 2030, PRICES),
        ExpansionOptions(reserve_margin=0.15, operating_reserves=True),
    )  # fmt: skip


def texas_zonal() -> ExpansionProblem:
    texas = load_network("texas2000")
    grid = dc_network(texas).zonal()
    load = texas.region_loads[list(grid.node)].to_numpy() * 1.15
    campus = np.full(len(load), 1000.0)
    west = grid.node_of_bus(3048, "West")
    load[:, west] += campus
    tp = typical_periods(pd.DataFrame(load, columns=list(grid.node)), 12, 24, "2016-01-01")
    idx = tp.snapshot_hours()
    snap = Snapshots(load[idx], tp.weight(), campus[idx], float(load.sum(axis=1).max()))
    nodes = sorted({grid.node_of_bus(s.bus, s.area) for s in texas.descriptor.sites})
    cands = [Candidate(t, n) for n in nodes for t in TECHS]
    return ExpansionProblem(
        grid, snap, cands, technology_costs(TECHS, 2030, PRICES),
        ExpansionOptions(reserve_margin=0.178, operating_reserves=True),
    )  # fmt: skip


def compare(name: str, problem: ExpansionProblem) -> None:
    t0 = time.perf_counter()
    ours = solve_expansion(problem)
    ours_total = time.perf_counter() - t0
    t0 = time.perf_counter()
    obj, parts, _ = solve_pypsa(problem)
    pypsa_total = time.perf_counter() - t0
    a = ours.attrs
    highs = a["time_solve_s"]
    print(f"\n{name}: {problem.snapshots.n} snapshots")
    print(
        f"  ours : total {ours_total:7.2f} s = build {a['time_build_s']:.2f} + compile (hand-off) "
        f"{a['time_compile_s']:.2f} + HiGHS {highs:.2f} + results {a['time_results_s'] + a['time_label_s']:.2f}"
    )
    print(
        f"  PyPSA: total {pypsa_total:7.2f} s = build {parts['build']:.2f} + hand-off, solve and results {parts['solve']:.2f}"
    )
    print(
        f"  objective: ours {a['objective_usd_per_yr']:.6e}, PyPSA {obj:.6e}, relative difference {a['objective_usd_per_yr'] / obj - 1:.1e}"
    )
    print(f"  ratio ours / PyPSA end to end: {ours_total / pypsa_total:.2f}x; "
          f"non-HiGHS share of ours: {(ours_total - highs) / ours_total:.0%}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=int, default=720)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    compare("case118 bus level", case118(args.hours))
    compare("texas2000 zonal, typical days", texas_zonal())


if __name__ == "__main__":
    main()

"""8,784-hour AC time series on texas2000: gridmodel vs pandapower run_timeseries vs raw lightsim2grid.

All three solve the same hourly injections (the default scenario: 2016 area loads, 1,200 MW West
campus, participation dispatch, uncommitted units out of service). pandapower is timed on
``--pp-steps`` hours (>= 200) and extrapolated to the year.

    python benchmarks/timeseries_texas2000.py [--pp-steps 200]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from gridmodel.networks import load_network
from gridmodel.powerflow import batch
from gridmodel.schema import load_scenario
from gridmodel.stress.run import build_study


def ours(case, inj) -> float:
    start = time.perf_counter()
    ds = batch.solve_timeseries(case, inj)
    elapsed = time.perf_counter() - start
    print(f"  converged {int(ds.converged.sum())}/{ds.sizes['time']} hours")
    return elapsed


def raw_lightsim2grid(case, inj) -> float:
    """One ScenarioSweepCPP over all hours from the base-case voltage, no post-processing."""
    from lightsim2grid.lightsim2grid_cpp import ScenarioSweepCPP

    options = batch.SolverOptions()
    lsgrid = batch.build_lsgrid(case.net)
    v0 = batch.base_voltage(lsgrid, case.net, options)
    start = time.perf_counter()
    sweep = ScenarioSweepCPP(lsgrid)
    sweep.nb_thread = options.n_threads()
    sweep.modify_gen_p(np.ascontiguousarray(inj.gen_p))
    sweep.modify_sgen_p(np.ascontiguousarray(inj.sgen_p))
    sweep.modify_load_p(np.ascontiguousarray(inj.load_p))
    sweep.modify_load_q(np.ascontiguousarray(inj.load_q))
    sweep.set_contingency_gens(np.ascontiguousarray(inj.gen_off))
    sweep.compute(v0, options.max_iter, options.tolerance_mva / case.net.sn_mva)
    sweep.compute_branch_results()
    elapsed = time.perf_counter() - start
    print(f"  converged {int(np.sum(sweep.converged_mask()))}/{len(inj.hour)} hours")
    return elapsed


def pandapower_timeseries(case, inj, steps: int, use_lightsim2grid: bool) -> float:
    """pandapower's own run_timeseries with ConstControl data sources and an OutputWriter."""
    import copy

    import pandapower as pp
    from pandapower.control import ConstControl
    from pandapower.timeseries import DFData, OutputWriter, run_timeseries

    net = copy.deepcopy(case.net)
    rows = np.arange(steps)
    frames = {
        ("load", "p_mw"): inj.load_p[rows],
        ("load", "q_mvar"): inj.load_q[rows],
        ("gen", "p_mw"): inj.gen_p[rows],
        ("gen", "in_service"): ~inj.gen_off[rows],
        ("sgen", "p_mw"): inj.sgen_p[rows],
    }
    for (element, variable), values in frames.items():
        table = getattr(net, element)
        frame = pd.DataFrame(values, columns=[f"{element}_{i}" for i in table.index])
        ConstControl(
            net,
            element=element,
            variable=variable,
            element_index=table.index,
            data_source=DFData(frame),
            profile_name=frame.columns,
        )
    writer = OutputWriter(net, time_steps=rows, output_path=None)
    for table, column in (
        ("res_bus", "vm_pu"),
        ("res_bus", "va_degree"),
        ("res_line", "loading_percent"),
        ("res_trafo", "loading_percent"),
    ):
        writer.log_variable(table, column)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # one solve first, so numba compilation is not counted in the per-step time
        pp.runpp(
            copy.deepcopy(net),
            distributed_slack=True,
            init="dc",
            numba=True,
            lightsim2grid=use_lightsim2grid,
        )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_timeseries(
            net,
            time_steps=rows,
            distributed_slack=True,
            init="results",
            numba=True,
            lightsim2grid=use_lightsim2grid,
            continue_on_divergence=True,
            verbose=False,
        )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pp-steps", type=int, default=200)
    args = parser.parse_args()
    scenario = load_scenario()
    case, inj = build_study(load_network(scenario.network), scenario)
    n = len(inj.hour)
    print(f"texas2000, {n} hours, {len(case.net.bus)} buses, {len(case.network.branches)} branches")

    print("gridmodel (lightsim2grid ScenarioSweep, chunked warm start, labelled Dataset):")
    t_ours = ours(case, inj)
    print(f"  {t_ours:8.1f} s")
    print("raw lightsim2grid ScenarioSweepCPP batch:")
    t_raw = raw_lightsim2grid(case, inj)
    print(f"  {t_raw:8.1f} s")
    results = {}
    for label, flag in (
        ("pandapower run_timeseries", False),
        ("pandapower run_timeseries, lightsim2grid=True", True),
    ):
        try:
            t = pandapower_timeseries(case, inj, args.pp_steps, flag)
        except Exception as err:  # report a peer that cannot run this case, keep the others
            print(f"{label}: failed ({type(err).__name__}: {err})")
            continue
        results[label] = t / args.pp_steps * n
        print(
            f"{label}: {t:.1f} s for {args.pp_steps} steps -> {results[label]:.0f} s extrapolated to {n}"
        )

    print("\nratios (time of the other / time of gridmodel):")
    for label, t in results.items():
        print(f"  {label:48s} {t / t_ours:6.1f}x  (goal >= 20x)")
    print(f"  {'gridmodel / raw lightsim2grid batch':48s} {t_ours / t_raw:6.2f}x  (goal <= 1.3x)")


if __name__ == "__main__":
    main()

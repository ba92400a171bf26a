"""Year of hourly AC power flows: gridmodel vs pandapower run_timeseries vs the raw lightsim2grid batch.

All solve the same hourly injections of the default scenario (2016 area loads, 1,200 MW West
campus, participation dispatch, uncommitted units out of service) on ``--network``. gridmodel runs
on one core and on all cores; pandapower is timed on ``--pp-steps`` hours and extrapolated;
gridmodel and lightsim2grid are timed on ``--hours`` hours (default: the whole year on
texas2000, 500 on western10k) and extrapolated to the year. Also printed: KLU against SciPy's
SuperLU on the Jacobian of one hour, and N-1 of every branch (the first ``--outages``) at the
peak hour against lightsim2grid's ContingencyAnalysis.

    .venv/bin/python benchmarks/timeseries_texas2000.py [--network western10k] [--hours 500] [--pp-steps 200]
        [--outages 1000]
"""

from __future__ import annotations

import argparse
import copy
import time
import warnings

import numpy as np
import pandas as pd

from gridmodel.networks import load_network
from gridmodel.powerflow import newton_kernels
from gridmodel.powerflow.batch import SolverOptions, solve_timeseries
from gridmodel.powerflow.newton import NewtonModel, base_voltage
from gridmodel.schema import load_scenario
from gridmodel.stress.contingency import outage_set, run_contingencies
from gridmodel.stress.run import build_study


def build_lsgrid(net):
    """lightsim2grid model of a copy of ``net`` (its converter writes slack flags to the net)."""
    from lightsim2grid.network import init_from_pandapower

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return init_from_pandapower(copy.deepcopy(net), pp_orig_file="pandapower_v3")


def lightsim_base_voltage(lsgrid, net, options) -> np.ndarray:
    """lightsim2grid's solution of the case's own state from DC angles (the batch's start)."""
    n_bus, tol = len(net.bus), options.tolerance_mva / net.sn_mva
    flat = np.ones(n_bus, dtype=complex) * net.gen.vm_pu.max()
    return lsgrid.ac_pf(lsgrid.dc_pf(flat, options.max_iter, tol), 30, tol)


def ours(case, inj, options) -> float:
    start = time.perf_counter()
    ds = solve_timeseries(case, inj, options)
    elapsed = time.perf_counter() - start
    steps = dict(zip(*np.unique(ds.solve_step.to_numpy(), return_counts=True), strict=True))
    print(
        f"  {elapsed:8.1f} s, {elapsed / len(inj.hour) * 1e3:6.2f} ms/hour; "
        f"{float(ds.iterations.mean()):.2f} iterations/hour, "
        f"{float(ds.factorisations.mean()):.2f} factorisations/hour, "
        f"not converged {int((~ds.converged).sum())}/{len(inj.hour)}; "
        f"solve steps {{{', '.join(f'{int(k)}: {int(v)}' for k, v in steps.items())}}}"
    )
    return elapsed


def raw_lightsim2grid(case, inj, options) -> float:
    """One ScenarioSweepCPP over all hours from the base-case voltage, branch flows computed."""
    from lightsim2grid.lightsim2grid_cpp import ScenarioSweepCPP

    lsgrid = build_lsgrid(case.net)
    v0 = lightsim_base_voltage(lsgrid, case.net, options)
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
    iterations = np.asarray(sweep.get_row_nb_iter()).ravel()
    print(
        f"  {elapsed:8.1f} s, {elapsed / len(inj.hour) * 1e3:6.2f} ms/hour; "
        f"{iterations.mean():.2f} iterations/hour, "
        f"not converged {len(inj.hour) - int(np.sum(sweep.converged_mask()))}/{len(inj.hour)}"
    )
    return elapsed


def pandapower_timeseries(case, inj, steps: int) -> float:
    """pandapower's own run_timeseries with ConstControl data sources and an OutputWriter."""
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
    options = {"distributed_slack": True, "numba": True, "lightsim2grid": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # one solve first, so numba compilation is not counted in the per-step time
        pp.runpp(copy.deepcopy(net), init="dc", **options)
        start = time.perf_counter()
        run_timeseries(
            net,
            time_steps=rows,
            init="results",
            continue_on_divergence=True,
            verbose=False,
            **options,
        )
    return time.perf_counter() - start


def linear_solvers(case, inj, options) -> None:
    """KLU (lightsim2grid's SuiteSparse) against SciPy's SuperLU on one hour's Jacobian."""
    import scipy.sparse as sp
    import scipy.sparse.linalg as spl

    from gridmodel.powerflow.newton import _Segment

    model = NewtonModel.from_case(case)
    v = base_voltage(model, options)
    p, q, on = model.specified(inj.take([0]))
    n = model.n_bus
    bus = (p[0], q[0].copy(), np.zeros(n), np.zeros(n, bool), np.ones(n), np.ones(n, bool))
    newton_kernels.hour_state(
        model.gen_bus, model.gen_vm, model.gen_q_min, model.gen_q_max, model.gen_weight,
        on[0], model.ref, bus[5], bus,
    )  # fmt: skip
    state = _Segment(model)
    jac = state.jac
    newton_kernels.fill_jacobian(
        model.ybus_arrays(), v, bus, jac, model.ybus @ v, np.empty(n, complex), jac[10]
    )
    matrix = sp.csc_matrix((jac[10].copy(), jac[1], jac[0]), shape=(2 * n - 1, 2 * n - 1))
    rhs = np.random.default_rng(0).random(2 * n - 1)

    def best(f, repeat=20):
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            f()
            times.append(time.perf_counter() - t)
        return min(times) * 1e3

    fns, common, lu = state.fns, state.common, state.lu
    full = best(lambda: newton_kernels._factorise(fns, common, lu, jac, jac[10], bus[3], True))
    re = best(lambda: newton_kernels._factorise(fns, common, lu, jac, jac[10], bus[3], False))
    work = rhs.copy()  # kept alive while KLU writes the solution into it
    handles = int(lu[0]), int(lu[1])
    solve = best(lambda: fns[3](*handles, 2 * n - 1, 1, work.ctypes.data, common.ctypes.data))
    state.close()
    symmetric = {"permc_spec": "MMD_AT_PLUS_A", "diag_pivot_thresh": 0.0}
    superlu_ordered = best(lambda: spl.splu(matrix, **symmetric, options={"SymmetricMode": True}))
    # the ordering analysed once and applied to rows and columns, reused for every factor
    order = np.argsort(spl.splu(matrix, **symmetric, options={"SymmetricMode": True}).perm_c)
    permuted = matrix[order][:, order].tocsc()
    reused = {"permc_spec": "NATURAL", "diag_pivot_thresh": 0.0, "options": {"SymmetricMode": True}}
    superlu = best(lambda: spl.splu(permuted, **reused))
    factor = spl.splu(permuted, **reused)
    superlu_solve = best(lambda: factor.solve(rhs))
    print(
        f"  Jacobian {2 * n - 1} x {2 * n - 1}, {matrix.nnz} non-zeros\n"
        f"  KLU: factor {full:.2f} ms, refactor {re:.2f} ms, solve {solve:.3f} ms\n"
        f"  SuperLU: factor {superlu_ordered:.2f} ms (minimum-degree ordering each time), "
        f"{superlu:.2f} ms (ordering reused), solve {superlu_solve:.3f} ms"
    )


def contingencies(case, inj, options, count: int | None) -> None:
    """N-1 of the first ``count`` in-service branches (all if None) at the peak hour: ours
    against ContingencyAnalysisCPP."""
    from lightsim2grid.lightsim2grid_cpp import ContingencyAnalysisCPP

    from gridmodel.powerflow.reference import hour_net

    row = int(np.argmax(inj.load_p.sum(axis=1)))
    outages = outage_set(case, "all_branches")[:count]
    start = time.perf_counter()
    res = run_contingencies(case, inj, np.array([row]), outages, options)
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    net = hour_net(case, inj, row)
    lsgrid = build_lsgrid(net)
    v0 = lightsim_base_voltage(lsgrid, net, options)
    analysis = ContingencyAnalysisCPP(lsgrid)
    analysis.nb_thread = options.n_threads()
    analysis.handle_disconnected_grid = True
    line_pos = pd.Series(np.arange(len(net.line)), index=net.line.index)
    trafo_pos = pd.Series(np.arange(len(net.trafo)) + len(net.line), index=net.trafo.index)
    branches = case.network.branches
    for (b,) in outages:
        kind, idx = branches.element.iloc[b], branches.element_index.iloc[b]
        analysis.add_nk([int((line_pos if kind == "line" else trafo_pos)[idx])])
    analysis.compute(v0, options.max_iter, options.tolerance_mva / net.sn_mva)
    analysis.compute_branch_results()
    t_ls = time.perf_counter() - start
    print(
        f"  {len(outages)} outages at hour {int(inj.hour[row])}: gridmodel {t_ours:.1f} s "
        f"({int(res.converged.sum())} converged), lightsim2grid ContingencyAnalysis {t_ls:.1f} s "
        f"({int(np.sum(analysis.converged_mask()))} converged) -> ratio {t_ls / t_ours:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="texas2000")
    parser.add_argument("--hours", type=int, default=None)
    parser.add_argument("--pp-steps", type=int, default=200)
    parser.add_argument(
        "--outages",
        type=int,
        default=None,
        help="N-1 outages timed (default: all; 1,000 above 5,000 buses)",
    )
    args = parser.parse_args()
    scenario = load_scenario()
    if args.network != scenario.network:  # the same campus at the network's first site
        data = scenario.model_dump(mode="json") | {"network": args.network}
        data["campuses"][0] |= {"site": load_network(args.network).descriptor.sites[0].name}
        scenario = type(scenario).model_validate(data)
    network = load_network(scenario.network)
    case, inj = build_study(network, scenario)
    n_year = len(inj.hour)
    large = len(case.net.bus) > 5000
    hours = args.hours or (500 if large else n_year)
    outages = args.outages or (1000 if large else None)
    sub = inj.take(np.arange(hours))
    study = scenario.study
    options = SolverOptions(
        max_iter=study.max_iter,
        tolerance_mva=study.tolerance_mva,
        enforce_q_lims=study.enforce_q_lims,
    )
    print(
        f"{args.network}: {hours} of {n_year} hours, {len(case.net.bus)} buses, "
        f"{len(case.network.branches)} branches, reactive limits "
        f"{'enforced' if options.enforce_q_lims else 'not enforced'} (study default); "
        "timings on a shared 2-core machine"
    )
    scale = n_year / hours
    print(f"gridmodel, all {options.n_threads()} cores:")
    t_all = ours(case, sub, options) * scale
    print("gridmodel, one core:")
    t_one = ours(case, sub, SolverOptions(**{**options.__dict__, "threads": 1})) * scale
    print("raw lightsim2grid ScenarioSweepCPP batch, all cores:")
    t_raw = raw_lightsim2grid(case, sub, options) * scale
    print(f"pandapower run_timeseries ({args.pp_steps} steps):")
    t_pp = pandapower_timeseries(case, inj, args.pp_steps)
    print(f"  {t_pp:.1f} s, {t_pp / args.pp_steps * 1e3:.1f} ms/step")
    t_pp = t_pp / args.pp_steps * n_year
    print("linear solvers on one Jacobian:")
    linear_solvers(case, inj, options)
    print("N-1 at the peak hour:")
    contingencies(case, inj, options, outages)

    print(f"\nyear of {n_year} hours (extrapolated where fewer were timed):")
    for label, t in (
        ("pandapower run_timeseries", t_pp),
        ("raw lightsim2grid batch", t_raw),
        ("gridmodel, one core", t_one),
        ("gridmodel, all cores", t_all),
    ):
        print(f"  {label:32s} {t:8.1f} s")
    print("ratios:")
    print(f"  pandapower / gridmodel, all cores      {t_pp / t_all:6.1f}x  (goal >= 20x)")
    print(f"  pandapower / gridmodel, one core       {t_pp / t_one:6.1f}x  (goal >= 15x)")
    print(f"  gridmodel all cores / raw lightsim2grid {t_all / t_raw:6.2f}x  (goal <= 1.0x)")


if __name__ == "__main__":
    main()

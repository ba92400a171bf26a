"""N-1 branch screening: every hour x outage pair solved in one lightsim2grid sweep.

A contingency that splits the grid is solved on its largest island (lightsim2grid's
``handle_disconnected_grid``); buses of the lost island read 0 pu and are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lightsim2grid.lightsim2grid_cpp import ContingencyAnalysisCPP

from gridmodel.powerflow.batch import (
    GridIndex,
    SolverOptions,
    base_voltage,
    build_lsgrid,
    loading_percent,
)
from gridmodel.powerflow.case import Injections, StudyCase
from gridmodel.powerflow.reference import hour_net


@dataclass(frozen=True)
class ContingencyResult:
    """Post-contingency state per (hour row, contingency): branch loading (%) and bus voltage (pu)."""

    rows: np.ndarray
    outages: list[list[int]]
    loading_percent: np.ndarray  # (hour, contingency, branch)
    vm_pu: np.ndarray  # (hour, contingency, bus)
    converged: np.ndarray  # (hour, contingency)


def outage_set(case: StudyCase, which: str) -> list[list[int]]:
    """Branch outages: every in-service branch alone, or the case's contingency table."""
    branches = case.network.branches
    if which == "case_table":
        if case.network.contingencies is None:
            raise ValueError(f"network '{case.network.name}' has no contingency table")
        live = set(branches.index[branches.in_service])
        return [c for c in case.network.contingencies if set(c) <= live]
    return [[int(b)] for b in branches.index[branches.in_service]]


def run_contingencies(
    case: StudyCase,
    inj: Injections,
    rows: np.ndarray,
    outages: list[list[int]],
    options: SolverOptions = SolverOptions(),
) -> ContingencyResult:
    """Solve every entry of ``outages`` at each study row in ``rows``.

    Each hour's state is set in a pandapower copy (uncommitted units out of service), converted
    to lightsim2grid, and its contingencies solved with ``ContingencyAnalysisCPP`` starting from
    that hour's own N-0 solution.
    """
    index = GridIndex.from_case(case)
    n_br, n_bus, n_c = len(case.network.branches), len(case.net.bus), len(outages)
    rate = case.network.branches.rate_a_mva.to_numpy()
    ls_outages = [[int(index.branch_pos[b]) for b in out] for out in outages]
    loading = np.full((len(rows), n_c, n_br), np.nan, np.float32)
    vm = np.zeros((len(rows), n_c, n_bus), np.float32)
    converged = np.zeros((len(rows), n_c), bool)
    for i, row in enumerate(rows):
        net = hour_net(case, inj, int(row))
        lsgrid = build_lsgrid(net)
        v_n = base_voltage(lsgrid, net, options)
        analysis = ContingencyAnalysisCPP(lsgrid)
        analysis.nb_thread = options.n_threads()
        analysis.handle_disconnected_grid = True
        for out in ls_outages:
            analysis.add_nk(out)
        analysis.compute(v_n, options.max_iter, options.tolerance_mva / net.sn_mva)
        # the analysis keeps its own order (and drops duplicates): map its rows back to ours
        order = {tuple(sorted(c)): k for k, c in enumerate(analysis.my_defaults())}
        pick = np.array([order[tuple(sorted(out))] for out in ls_outages])
        ok = np.asarray(analysis.converged_mask(), bool)[pick]
        flows = analysis.compute_branch_results()[np.ix_(pick, index.branch_pos)]
        pct = loading_percent(flows[..., 0], flows[..., 1], flows[..., 2], flows[..., 3], rate)
        loading[i] = np.where(ok[:, None], pct, np.nan)
        vm[i] = np.where(ok[:, None], np.abs(analysis.get_voltages()[pick]), 0.0)
        converged[i] = ok
    return ContingencyResult(np.asarray(rows), outages, loading, vm, converged)


def contingency_table(
    res: ContingencyResult,
    case: StudyCase,
    hours: np.ndarray,
    pre_loading: np.ndarray,
    pre_vm: np.ndarray,
    limits,
) -> pd.DataFrame:
    """One line per (hour, outage) that causes a violation or does not converge, worst first.

    A post-contingency violation is charged to the outage when it is new against the same hour's
    pre-contingency state (``pre_loading``/``pre_vm``, rows x element), under the worsening rule
    of :class:`gridmodel.stress.hosting.Limits`.
    """
    branches = case.network.branches
    bus_no = case.network.buses.bus.to_numpy()
    over = limits.new_overload(
        np.nan_to_num(res.loading_percent), np.nan_to_num(pre_loading)[:, None, :]
    )
    volt = limits.new_voltage(np.nan_to_num(res.vm_pu), np.nan_to_num(pre_vm, nan=1.0)[:, None, :])
    flagged = ~res.converged | over.any(-1) | volt.any(-1)
    lines = []
    for i, k in zip(*np.nonzero(flagged), strict=True):
        line = {
            "hour": int(hours[i]),
            "outage": "+".join(map(str, res.outages[k])),
            "converged": bool(res.converged[i, k]),
        }
        if res.converged[i, k]:
            load = np.nan_to_num(res.loading_percent[i, k])
            worst = (
                int(np.argmax(np.where(over[i, k], load, -1.0)))
                if over[i, k].any()
                else int(np.argmax(load))
            )
            vm = res.vm_pu[i, k]
            live = vm > 0
            line |= {
                "new_overloads": int(over[i, k].sum()),
                "new_voltage_violations": int(volt[i, k].sum()),
                "worst_branch": worst,
                "worst_from_bus": int(branches.from_bus.iloc[worst]),
                "worst_to_bus": int(branches.to_bus.iloc[worst]),
                "worst_loading_percent": float(load[worst]),
                "min_vm_pu": float(vm[live].min()),
                "min_vm_bus": int(bus_no[live][np.argmin(vm[live])]),
            }
        lines.append(line)
    frame = pd.DataFrame(lines)
    if frame.empty:
        return frame
    return frame.sort_values(
        "worst_loading_percent", ascending=False, na_position="first", ignore_index=True
    )

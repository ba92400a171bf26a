"""N-1 branch screening: every outage of every screened hour, warm-started from that hour's
solved state, on the time series' own Newton-Raphson (same Jacobian pattern, reactive limits
as the study's).

A contingency that splits the grid is solved on the island of the reference bus; buses of the
lost island read 0 pu and are not checked. An hour whose own (N-0) power flow does not
converge is reported as such and its outages are not screened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.powerflow.batch import SolverOptions, solve
from gridmodel.powerflow.injections import Injections, StudyCase
from gridmodel.powerflow.newton import NewtonModel, base_voltage, run_outages


@dataclass(frozen=True)
class ContingencyResult:
    """Post-contingency state per (hour row, contingency): branch loading (%) and bus voltage
    (pu); ``base_converged`` per hour row (False: the hour's N-0 state has no solution and its
    outages were not screened)."""

    rows: np.ndarray
    outages: list[list[int]]
    loading_percent: np.ndarray  # (hour, contingency, branch)
    vm_pu: np.ndarray  # (hour, contingency, bus)
    converged: np.ndarray  # (hour, contingency)
    base_converged: np.ndarray  # (hour,)

    def take(self, rows=slice(None), outages=slice(None)) -> ContingencyResult:
        """The same result restricted to hour ``rows`` and contingency positions ``outages``."""
        kept = np.arange(len(self.outages))[outages]
        return ContingencyResult(
            self.rows[rows],
            [self.outages[k] for k in kept],
            self.loading_percent[rows][:, outages],
            self.vm_pu[rows][:, outages],
            self.converged[rows][:, outages],
            self.base_converged[rows],
        )


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
    model: NewtonModel | None = None,
) -> ContingencyResult:
    """Solve every entry of ``outages`` at each study row in ``rows``, each from that row's
    own N-0 solution (solved here with the same options)."""
    model = model or NewtonModel.from_case(case)
    rows = np.asarray(rows)
    n_br, n_bus, n_c = len(case.network.branches), len(case.net.bus), len(outages)
    rate = case.network.branches.rate_a_mva.to_numpy()
    sub = inj.take(rows)
    base = solve(case, sub, options, ("vm_pu",), model=model, keep_voltage=True)
    v_base = base_voltage(model, options)
    cols = model.bus_of_net
    loading = np.full((len(rows), n_c, n_br), np.nan, np.float32)
    vm = np.zeros((len(rows), n_c, n_bus), np.float32)
    converged = np.zeros((len(rows), n_c), bool)
    for i in np.flatnonzero(base.converged):
        vm_i, loading[i], hour = run_outages(
            model, sub.take([i]), base.v[i], outages, rate, options, v_base
        )
        vm[i] = np.where(cols >= 0, vm_i[:, np.maximum(cols, 0)], 0.0)
        converged[i] = hour[:, 4].astype(bool)
    return ContingencyResult(rows, outages, loading, vm, converged, base.converged)


def contingency_table(
    res: ContingencyResult,
    case: StudyCase,
    hours: np.ndarray,
    pre_loading: np.ndarray,
    pre_vm: np.ndarray,
    limits,
) -> pd.DataFrame:
    """One line per (hour, outage) that causes a violation or does not converge, worst first;
    one line (outage ``base case``) per hour whose own power flow did not converge.

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
    flagged = (~res.converged | over.any(-1) | volt.any(-1)) & res.base_converged[:, None]
    lines = [
        {"hour": int(hours[i]), "outage": "base case", "converged": False}
        for i in np.flatnonzero(~res.base_converged)
    ]
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
    if "worst_loading_percent" not in frame:
        return frame
    return frame.sort_values(
        "worst_loading_percent", ascending=False, na_position="first", ignore_index=True
    )

"""Reference path: one hour solved with pandapower's own ``runpp`` (distributed slack).

Used to check the batched solver and to re-solve a single hour in full pandapower detail.
"""

from __future__ import annotations

import copy

import numpy as np

from gridmodel.powerflow.batch import SolverOptions, loading_percent
from gridmodel.powerflow.injections import Injections, StudyCase
from gridmodel.powerflow.newton import branch_from_is_side1


def hour_net(case: StudyCase, inj: Injections, row: int):
    """A pandapower net holding the injections of study row ``row``."""
    net = copy.deepcopy(case.net)
    net.load["p_mw"] = inj.load_p[row]
    net.load["q_mvar"] = inj.load_q[row]
    net.gen["p_mw"] = inj.gen_p[row]
    net.gen["in_service"] = net.gen.in_service.to_numpy() & ~inj.gen_off[row]
    net.sgen["p_mw"] = inj.sgen_p[row]
    return net


def solve_hour_pandapower(
    case: StudyCase, inj: Injections, row: int, options: SolverOptions = SolverOptions()
):
    """Solve study row ``row`` with ``pandapower.runpp``; return (net, results dict).

    ``options.enforce_q_lims`` is passed on (pandapower's numba Jacobian is switched off then:
    with distributed slack and reactive limits it corrupts memory in pandapower 3.5). Results use the batched solver's names and orientation: ``vm_pu``/``va_degree`` per bus (net
    order), ``p_from_mw`` ... per case branch, ``loading_percent`` on RATE_A in MVA.
    """
    import pandapower as pp

    net = hour_net(case, inj, row)
    pp.runpp(
        net,
        algorithm="nr",
        distributed_slack=True,
        init="dc",
        calculate_voltage_angles=True,
        max_iteration=options.max_iter,
        tolerance_mva=options.tolerance_mva,
        enforce_q_lims=options.enforce_q_lims,
        numba=not options.enforce_q_lims,
        lightsim2grid=False,
    )
    branches = case.network.branches
    is_line = (branches.element == "line").to_numpy()
    idx = branches.element_index.to_numpy()
    line, trafo = net.res_line, net.res_trafo
    p1 = np.where(
        is_line, line.p_from_mw.reindex(idx).to_numpy(), trafo.p_hv_mw.reindex(idx).to_numpy()
    )
    q1 = np.where(
        is_line, line.q_from_mvar.reindex(idx).to_numpy(), trafo.q_hv_mvar.reindex(idx).to_numpy()
    )
    p2 = np.where(
        is_line, line.p_to_mw.reindex(idx).to_numpy(), trafo.p_lv_mw.reindex(idx).to_numpy()
    )
    q2 = np.where(
        is_line, line.q_to_mvar.reindex(idx).to_numpy(), trafo.q_lv_mvar.reindex(idx).to_numpy()
    )
    side1 = branch_from_is_side1(case.network, case.net)
    res = {
        "vm_pu": net.res_bus.vm_pu.to_numpy(),
        "va_degree": net.res_bus.va_degree.to_numpy(),
        "p_from_mw": np.where(side1, p1, p2),
        "q_from_mvar": np.where(side1, q1, q2),
        "p_to_mw": np.where(side1, p2, p1),
        "q_to_mvar": np.where(side1, q2, q1),
    }
    res["loading_percent"] = loading_percent(
        res["p_from_mw"],
        res["q_from_mvar"],
        res["p_to_mw"],
        res["q_to_mvar"],
        branches.rate_a_mva.to_numpy(),
    )
    res["gen_p_mw"] = net.res_gen.p_mw.to_numpy()
    return net, res

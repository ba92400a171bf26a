"""Batched time-series AC power flow through lightsim2grid.

Hours are solved in consecutive chunks with lightsim2grid's ``ScenarioSweepCPP`` (Newton-Raphson
with KLU, one symbolic factorisation per chunk, the chunk's hours split over OS threads). Every
hour of a chunk starts from the last converged voltage of the previous chunk - the neighbouring
hours, as pandapower's own time series starts each step from the previous one - and an hour that
does not converge from there is tried once more from the case's base-case voltage before it is
reported as not converged. One failing hour never stops the others. Uncommitted generators are
disconnected per hour (their bus turns PQ and they leave the distributed slack).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xarray as xr

import gridmodel
from gridmodel.inputs import hour_start

if TYPE_CHECKING:
    from gridmodel.powerflow.case import Injections, StudyCase


@dataclass(frozen=True)
class SolverOptions:
    """Newton-Raphson settings: iteration limit, mismatch tolerance (MVA), threads, hours per chunk."""

    max_iter: int = 30
    tolerance_mva: float = 1e-6
    threads: int = 0  # 0 = $GRIDMODEL_THREADS, else every core the process may use
    chunk_hours: int = 192

    def n_threads(self) -> int:
        """Threads of the solve: ``threads``, else ``$GRIDMODEL_THREADS`` (a sweep's workers run
        one member per core and set it to 1), else every core the process may use."""
        env = os.environ.get("GRIDMODEL_THREADS", "")
        return self.threads or (int(env) if env else 0) or max(1, len(os.sched_getaffinity(0)))


@dataclass(frozen=True)
class GridIndex:
    """Maps between the case's tables and lightsim2grid's element order."""

    branch_pos: np.ndarray  # lightsim2grid branch position of each case branch
    from_is_side1: np.ndarray  # the case's from-bus is lightsim2grid's side 1
    bus_gen: sp.csr_matrix  # bus x gen incidence
    bus_sgen: sp.csr_matrix
    bus_load: sp.csr_matrix
    sgen_q: np.ndarray  # fixed sgen Q set-points (MVAr)

    @classmethod
    def from_case(cls, case: StudyCase) -> GridIndex:
        net, branches = case.net, case.network.branches
        line_pos = pd.Series(np.arange(len(net.line)), index=net.line.index)
        trafo_pos = pd.Series(np.arange(len(net.trafo)) + len(net.line), index=net.trafo.index)
        is_line = (branches.element == "line").to_numpy()
        pos = np.where(
            is_line,
            line_pos.reindex(branches.element_index).to_numpy(),
            trafo_pos.reindex(branches.element_index).to_numpy(),
        ).astype(int)
        # side 1 is a line's from_bus and a transformer's hv_bus
        bus_no = case.network.buses.bus
        hv_bus = bus_no.reindex(net.trafo.hv_bus.reindex(branches.element_index)).to_numpy()
        side1 = np.where(is_line, True, branches.from_bus.to_numpy() == hv_bus)
        n_bus = len(net.bus)
        bus_pos = pd.Series(np.arange(n_bus), index=net.bus.index)

        def incidence(table):
            rows = bus_pos.loc[table.bus].to_numpy()
            ones = table.in_service.to_numpy(float)
            return sp.csr_matrix((ones, (rows, np.arange(len(table)))), shape=(n_bus, len(table)))

        return cls(
            branch_pos=pos,
            from_is_side1=side1,
            bus_gen=incidence(net.gen),
            bus_sgen=incidence(net.sgen),
            bus_load=incidence(net.load),
            sgen_q=net.sgen.q_mvar.to_numpy(float),
        )


def build_lsgrid(net):
    """lightsim2grid model of a pandapower net (pandapower 3 transformer equations)."""
    import warnings

    from lightsim2grid.network import init_from_pandapower

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return init_from_pandapower(net, pp_orig_file="pandapower_v3")


def solve_base_case(lsgrid, net, options: SolverOptions) -> np.ndarray | None:
    """The grid's own state solved by AC Newton-Raphson, from a flat start or, failing that,
    from DC angles; None if neither converges. Leaves the results in ``lsgrid``."""
    n_bus, tol = len(net.bus), options.tolerance_mva / net.sn_mva
    flat = np.ones(n_bus, dtype=complex) * net.gen.vm_pu.max()
    for start in (flat, lambda: lsgrid.dc_pf(flat, options.max_iter, tol)):
        v0 = start() if callable(start) else start
        if v0.size != n_bus:
            continue
        v = lsgrid.ac_pf(v0, max(options.max_iter, 30), tol)
        if v.size == n_bus and np.all(np.isfinite(v)):
            return v
    return None


def measured_loss_factor(net) -> float | None:
    """Losses / demand of the case's own base power flow (lightsim2grid Newton-Raphson); None
    when the base case does not converge."""
    lsgrid = build_lsgrid(net)
    if solve_base_case(lsgrid, net, SolverOptions()) is None:
        return None
    gen = np.sum(lsgrid.get_gen_res()[0]) + np.sum(lsgrid.get_sgens_res()[0])
    load = np.sum(lsgrid.get_loads_res()[0])
    return float((gen - load) / load)


def base_voltage(lsgrid, net, options: SolverOptions) -> np.ndarray:
    """Starting voltage for every hour: the case's own solved state (flat start if it fails)."""
    v = solve_base_case(lsgrid, net, options)
    return v if v is not None else np.ones(len(net.bus), dtype=complex)


def _sweep(lsgrid, inj: Injections, v0: np.ndarray, options: SolverOptions):
    """Run one ScenarioSweep over the rows of ``inj``, every row starting from ``v0``."""
    from lightsim2grid.lightsim2grid_cpp import ScenarioSweepCPP

    sweep = ScenarioSweepCPP(lsgrid)
    sweep.nb_thread = options.n_threads()
    sweep.compute_gen_results = True
    sweep.modify_gen_p(np.ascontiguousarray(inj.gen_p))
    if inj.sgen_p.shape[1]:
        sweep.modify_sgen_p(np.ascontiguousarray(inj.sgen_p))
    sweep.modify_load_p(np.ascontiguousarray(inj.load_p))
    sweep.modify_load_q(np.ascontiguousarray(inj.load_q))
    if inj.gen_off.any():
        sweep.set_contingency_gens(np.ascontiguousarray(inj.gen_off))
    sweep.compute(v0, options.max_iter, options.tolerance_mva / lsgrid.get_sn_mva())
    return sweep


def solve_chunk(
    case: StudyCase,
    index: GridIndex,
    lsgrid,
    v0,
    inj: Injections,
    options: SolverOptions,
) -> dict:
    """Solve the rows of ``inj``; return arrays keyed by result name, NaN where a row did not
    converge."""
    sweep = _sweep(lsgrid, inj, v0, options)
    converged = np.asarray(sweep.converged_mask(), dtype=bool)
    v = np.array(sweep.get_voltages())
    branch = sweep.compute_branch_results()[:, index.branch_pos, :]
    gen = sweep.get_gen_results()
    s1, s2 = branch[..., 0] + 1j * branch[..., 1], branch[..., 2] + 1j * branch[..., 3]
    side1 = index.from_is_side1[None, :]
    s_from, s_to = np.where(side1, s1, s2), np.where(side1, s2, s1)
    gen_p, gen_q = gen[..., 0], gen[..., 1]
    sgen_q = np.broadcast_to(index.sgen_q, inj.sgen_p.shape)
    p_inj = (
        index.bus_gen @ gen_p.T + index.bus_sgen @ inj.sgen_p.T - index.bus_load @ inj.load_p.T
    ).T
    q_inj = (index.bus_gen @ gen_q.T + index.bus_sgen @ sgen_q.T - index.bus_load @ inj.load_q.T).T
    # hours that did not converge keep their specified active injections (set-points - loads)
    p_spec = (
        index.bus_gen @ np.where(inj.gen_off, 0.0, inj.gen_p).T
        + index.bus_sgen @ inj.sgen_p.T
        - index.bus_load @ inj.load_p.T
    ).T
    bad = ~converged
    out = {
        "vm_pu": np.abs(v),
        "va_degree": np.degrees(np.angle(v)),
        "p_from_mw": s_from.real,
        "q_from_mvar": s_from.imag,
        "p_to_mw": s_to.real,
        "q_to_mvar": s_to.imag,
        "p_inj_mw": np.where(bad[:, None], p_spec, p_inj),
        "q_inj_mvar": q_inj,
        "iterations": np.asarray(sweep.get_row_nb_iter()).ravel(),
        "v": v,
    }
    for name in (
        "vm_pu",
        "va_degree",
        "p_from_mw",
        "q_from_mvar",
        "p_to_mw",
        "q_to_mvar",
        "q_inj_mvar",
    ):
        out[name][bad] = np.nan
    out["converged"] = converged
    return out


def loading_percent(p_from, q_from, p_to, q_to, rate_mva) -> np.ndarray:
    """max(|S_from|, |S_to|) / RATE_A · 100 (MATPOWER's MVA rating convention)."""
    s = np.maximum(np.hypot(p_from, q_from), np.hypot(p_to, q_to))
    return s / rate_mva * 100.0


_BUS_VARS = {
    "vm_pu": ("pu", "voltage magnitude"),
    "va_degree": ("degree", "voltage angle"),
    "p_inj_mw": ("MW", "net active injection (generation - load, shunts excluded)"),
    "q_inj_mvar": ("MVAr", "net reactive injection (generation - load, shunts excluded)"),
}
_BRANCH_VARS = {
    "p_from_mw": ("MW", "active power entering the branch at its from-bus"),
    "q_from_mvar": ("MVAr", "reactive power entering the branch at its from-bus"),
    "p_to_mw": ("MW", "active power entering the branch at its to-bus"),
    "q_to_mvar": ("MVAr", "reactive power entering the branch at its to-bus"),
}


def solve_timeseries(
    case: StudyCase,
    inj: Injections,
    options: SolverOptions = SolverOptions(),
    progress: Callable[[int], None] | None = None,
    variables: tuple[str, ...] | None = None,
) -> xr.Dataset:
    """AC power flow for every hour of ``inj``; an xarray Dataset over (time, bus, branch).

    ``variables`` limits the stored (time x bus/branch) results, e.g. ``("vm_pu",
    "loading_percent")``, to save memory; by default all are kept.
    """
    index = GridIndex.from_case(case)
    lsgrid = build_lsgrid(case.net)
    v0 = base_voltage(lsgrid, case.net, options)
    n_t, n_bus, n_br = len(inj.hour), len(case.net.bus), len(case.network.branches)
    rate = case.network.branches.rate_a_mva.to_numpy()
    keep = variables or (*_BUS_VARS, *_BRANCH_VARS)
    store = {name: np.empty((n_t, n_bus), np.float32) for name in _BUS_VARS if name in keep}
    store |= {name: np.empty((n_t, n_br), np.float32) for name in _BRANCH_VARS if name in keep}
    store["loading_percent"] = np.empty((n_t, n_br), np.float32)
    converged = np.zeros(n_t, bool)
    iterations = np.zeros(n_t, np.int32)
    v_start = v0
    for start in range(0, n_t, options.chunk_hours):
        rows = np.arange(start, min(start + options.chunk_hours, n_t))
        out = solve_chunk(case, index, lsgrid, v_start, inj.take(rows), options)
        failed = np.flatnonzero(~out["converged"])
        if len(failed) and v_start is not v0:
            retry = solve_chunk(case, index, lsgrid, v0, inj.take(rows[failed]), options)
            for name, values in retry.items():
                out[name][failed] = values
        out["loading_percent"] = loading_percent(
            out["p_from_mw"], out["q_from_mvar"], out["p_to_mw"], out["q_to_mvar"], rate
        )
        for name in store:
            store[name][rows] = out[name]
        converged[rows] = out["converged"]
        iterations[rows] = out["iterations"]
        if out["converged"][-1]:
            v_start = out["v"][-1]
        if progress is not None:
            progress(len(rows))
    return to_dataset(case, inj, store, converged, iterations, options)


def to_dataset(
    case: StudyCase, inj: Injections, store: dict, converged, iterations, options
) -> xr.Dataset:
    """Label solver output: dims ``time``, ``bus`` (case numbers), ``branch``, ``campus``."""
    network = case.network
    buses, branches = network.buses, network.branches
    rate = branches.rate_a_mva.to_numpy()
    coords = {
        "time": (
            "time",
            hour_start(case.load_year, inj.hour),
            {"long_name": "start of the hour"},
        ),
        "hour": ("time", inj.hour, {"long_name": "hour of the load year"}),
        "bus": ("bus", buses.bus.to_numpy(), {"long_name": "case bus number"}),
        "bus_name": ("bus", buses.name.to_numpy().astype(str)),
        "area": ("bus", buses.area.to_numpy().astype(str)),
        "vn_kv": ("bus", buses.vn_kv.to_numpy(), {"units": "kV"}),
        "min_vm_pu": ("bus", buses.min_vm_pu.to_numpy(), {"units": "pu"}),
        "max_vm_pu": ("bus", buses.max_vm_pu.to_numpy(), {"units": "pu"}),
        "branch": ("branch", branches.index.to_numpy(), {"long_name": "case branch row (0-based)"}),
        "from_bus": ("branch", branches.from_bus.to_numpy()),
        "to_bus": ("branch", branches.to_bus.to_numpy()),
        "element": ("branch", branches.element.to_numpy().astype(str)),
        "rate_a_mva": ("branch", rate, {"units": "MVA"}),
        "campus": ("campus", np.array(case.campus_names, dtype=str)),
        "campus_bus": ("campus", np.array(case.campus_buses, dtype=int)),
    }
    data = {
        name: (("time", "bus"), store[name], {"units": u, "long_name": d})
        for name, (u, d) in _BUS_VARS.items()
        if name in store
    }
    data |= {
        name: (("time", "branch"), store[name], {"units": u, "long_name": d})
        for name, (u, d) in _BRANCH_VARS.items()
        if name in store
    }
    data["loading_percent"] = (
        ("time", "branch"),
        store["loading_percent"],
        {"units": "%", "long_name": "max(|S_from|,|S_to|)/RATE_A"},
    )
    data["converged"] = ("time", converged, {"long_name": "Newton-Raphson converged"})
    data["iterations"] = ("time", iterations)
    data["load_mw"] = (
        "time",
        inj.load_p.sum(axis=1),
        {"units": "MW", "long_name": "total demand incl. campuses"},
    )
    data["campus_p_mw"] = (
        ("time", "campus"),
        inj.load_p[:, case.campus_load_index],
        {"units": "MW"},
    )
    data["dispatch_shortfall_mw"] = ("time", inj.shortfall_mw, {"units": "MW"})
    data["dispatch_surplus_mw"] = ("time", inj.surplus_mw, {"units": "MW"})
    data["dispatch_cost_usd"] = (
        "time",
        inj.cost_usd,
        {"units": "$", "long_name": "generation cost of the set-points at marginal cost"},
    )
    if inj.lmp.shape[1]:
        data["lmp_usd_per_mwh"] = (
            ("time", "bus"),
            inj.lmp,
            {"units": "$/MWh", "long_name": "locational marginal price of the DC dispatch"},
        )
        data["dispatch_overload_mw"] = (
            "time",
            inj.overload_mw,
            {"units": "MW", "long_name": "branch flow above the DC limits the dispatch paid for"},
        )
    attrs = {
        "network": network.name,
        "gridmodel_version": gridmodel.__version__,
        "solver": "lightsim2grid ScenarioSweepCPP, Newton-Raphson (KLU), warm start from the previous chunk",
        "tolerance_mva": options.tolerance_mva,
        "max_iter": options.max_iter,
        "loss_factor": case.loss_factor,
        "dispatch_rule": case.dispatch_rule,
        "p_inj_note": "hours that did not converge hold specified injections in p_inj_mw and NaN elsewhere",
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)

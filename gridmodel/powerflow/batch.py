"""Time-series AC power flow: every hour of a study solved by the warm-started Newton-Raphson of
:mod:`gridmodel.powerflow.newton`, labelled as an xarray Dataset.

Each hour starts from the previous solved hour (hours split into one contiguous segment per
core), reuses the last Jacobian factorisation while it contracts and, when it fails, climbs the
robustness ladder (base-case start, DC start, damped Newton) before it is reported as not
converged; ``solve_step`` records which rung solved it. One failing hour never stops the
others. Uncommitted generators are disconnected per hour (their bus turns PQ and they leave the
distributed slack).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import xarray as xr

import gridmodel
from gridmodel.inputs import hour_start
from gridmodel.powerflow import newton_kernels
from gridmodel.powerflow.injections import Injections, StudyCase
from gridmodel.powerflow.newton import HourResults, NewtonModel, run_hours
from gridmodel.resources import solver_threads


@dataclass(frozen=True)
class SolverOptions:
    """Newton-Raphson settings: iteration limit (Newton steps with a fresh Jacobian), mismatch
    tolerance (MVA), threads, hours per chunk, and whether generator reactive limits are
    enforced (pandapower's ``enforce_q_lims``; off in pandapower's ``runpp`` and here, the study
    schema sets it)."""

    max_iter: int = 30
    tolerance_mva: float = 1e-6
    threads: int = (
        0  # 0 = gridmodel.set_options(threads=...) or $GRIDMODEL_THREADS, else every core
    )
    chunk_hours: int = 192
    enforce_q_lims: bool = False

    def n_threads(self) -> int:
        """Threads of the solve: ``threads``, else the ``threads`` option (``$GRIDMODEL_THREADS``;
        a sweep's workers run one member per core and set it to 1), else every core the
        process may use."""
        return self.threads or solver_threads() or max(1, len(os.sched_getaffinity(0)))


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


_HOUR_VARS = {
    "iterations": ("", "Newton-Raphson steps (fresh and chord) over every rung tried"),
    "factorisations": ("", "Jacobian factorisations over every rung tried"),
    "solve_step": (
        "",
        "rung of the robustness ladder that solved the hour: "
        + "; ".join(f"{k} = {name}" for k, name in newton_kernels.STEP_NAMES.items()),
    ),
    "units_at_q_limit": ("", "running generators held at a reactive-power limit"),
}


@dataclass
class Solution:
    """Solver output over the rows of an ``Injections``: float32 results by name (hours x
    bus or branch), per-hour ``converged`` and :data:`_HOUR_VARS`, and the complex voltages
    (hours x solver bus) when asked for."""

    store: dict[str, np.ndarray]
    converged: np.ndarray
    hour: dict[str, np.ndarray]
    v: np.ndarray | None = None


def solve(
    case: StudyCase,
    inj: Injections,
    options: SolverOptions = SolverOptions(),
    variables: tuple[str, ...] | None = None,
    progress: Callable[[int], None] | None = None,
    model: NewtonModel | None = None,
    keep_voltage: bool = False,
    v_start: np.ndarray | None = None,
) -> Solution:
    """AC power flow for every row of ``inj`` (see :func:`solve_timeseries`); ``v_start``
    (rows x solver bus) warm-starts each row from a voltage of its own (NaN rows: the previous
    solved row), e.g. the same hour at the previous size of a hosting-capacity search."""
    model = model or NewtonModel.from_case(case)
    n_t, n_bus, n_br = len(inj.hour), len(case.net.bus), len(case.network.branches)
    rate = case.network.branches.rate_a_mva.to_numpy()
    keep = variables or (*_BUS_VARS, *_BRANCH_VARS)
    store = {name: np.empty((n_t, n_bus), np.float32) for name in _BUS_VARS if name in keep}
    store |= {name: np.empty((n_t, n_br), np.float32) for name in _BRANCH_VARS if name in keep}
    store["loading_percent"] = np.empty((n_t, n_br), np.float32)
    hour = {name: np.zeros(n_t, np.int32) for name in _HOUR_VARS}
    converged = np.zeros(n_t, bool)
    voltages = np.empty((n_t, model.n_bus), complex) if keep_voltage else None
    cols = model.bus_of_net
    ybus = model.ybus_arrays()
    yf = (model.yf.indptr, model.yf.indices, model.yf.data)
    yt = (model.yt.indptr, model.yt.indices, model.yt.data)

    def sink(res: HourResults) -> None:
        rows, v = res.rows, res.v
        flows = np.empty((4, len(rows), n_br))
        newton_kernels.branch_flows(
            yf, yt, model.f_bus, model.t_bus, v, model.base_mva, tuple(flows)
        )
        inj_pq = np.empty((2, len(rows), model.n_bus))
        newton_kernels.bus_injections(ybus, v, model.base_mva, inj_pq[0], inj_pq[1])
        bad = ~res.converged
        if bad.any():  # hours that did not converge keep their specified active injections
            inj_pq[0][bad] = model.specified(inj.take(rows[bad]))[0] * model.base_mva
        out = dict(zip(_BRANCH_VARS, flows, strict=True))
        out["loading_percent"] = loading_percent(*flows, rate)
        out["vm_pu"] = np.abs(v)
        out["va_degree"] = np.degrees(np.angle(v))
        out["p_inj_mw"], out["q_inj_mvar"] = inj_pq
        for name in store:
            values = out[name]
            if values.shape[1] == model.n_bus:
                values = np.where(cols >= 0, values[:, np.maximum(cols, 0)], np.nan)
            store[name][rows] = values
        converged[rows] = res.converged
        for name, values in (
            ("iterations", res.iterations),
            ("factorisations", res.factorisations),
            ("solve_step", res.step),
            ("units_at_q_limit", res.units_at_q_limit),
        ):
            hour[name][rows] = values
        if voltages is not None:
            voltages[rows] = v

    run_hours(model, inj, options, sink, progress, v_start=v_start)
    return Solution(store, converged, hour, voltages)


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
    return to_dataset(case, inj, solve(case, inj, options, variables, progress), options)


def to_dataset(case: StudyCase, inj: Injections, sol: Solution, options) -> xr.Dataset:
    """Label solver output: dims ``time``, ``bus`` (case numbers), ``branch``, ``campus``."""
    network, store = case.network, sol.store
    buses, branches = network.buses, network.branches
    rate = branches.rate_a_mva.to_numpy()
    coords = {
        "time": ("time", hour_start(case.load_year, inj.hour), {"long_name": "start of the hour"}),
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
    data["converged"] = ("time", sol.converged, {"long_name": "Newton-Raphson converged"})
    for name, (unit, description) in _HOUR_VARS.items():
        data[name] = ("time", sol.hour[name], {"units": unit, "long_name": description})
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
        "solver": "gridmodel Newton-Raphson (one Jacobian pattern for all hours, KLU, chord "
        "steps while contracting), warm start from the previous solved hour, robustness ladder",
        "tolerance_mva": options.tolerance_mva,
        "max_iter": options.max_iter,
        "enforce_q_lims": int(options.enforce_q_lims),
        "loss_factor": case.loss_factor,
        "dispatch_rule": case.dispatch_rule,
        "p_inj_note": "hours that did not converge hold specified injections in p_inj_mw and NaN elsewhere",
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def measured_loss_factor(network) -> float | None:
    """Losses / demand of the case's own base power flow (Newton-Raphson, single slack); None
    when the base case does not converge."""
    from gridmodel.powerflow.newton import solve_base_case

    model = NewtonModel.from_net(network, network.net)
    v = solve_base_case(model, SolverOptions(threads=1))
    if v is None:
        return None
    losses = (v * np.conj(model.ybus @ v)).real.sum() * model.base_mva
    load = model.load_p_base @ model.inj_load.sum(axis=0).A1
    return float(losses / load)

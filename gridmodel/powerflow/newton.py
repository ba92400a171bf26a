"""Warm-started Newton-Raphson power flow over many hours on the case's own Jacobian structure.

:class:`NewtonModel` is built once per study from pandapower's own conversion of the net
(``to_ppc``: the Ybus ``runpp`` solves, the same transformer model and shunts) and holds the
fixed Jacobian layout of :mod:`gridmodel.powerflow.newton_kernels`. :func:`run_hours` solves
hours in contiguous segments, one per thread (the numba kernels and KLU run without the GIL):
every hour starts from the previous solved hour of its segment, keeps the last Jacobian
factorisation while it contracts, and falls back along the robustness ladder when it fails.

Distributed slack as pandapower's ``runpp(distributed_slack=True)``: every running ``gen`` with
a slack weight (``case.fleet.slack_weight``) takes the share ``weight / Σ weights`` of the
power the set-points miss; uncommitted units are off (their bus loses voltage control and
slack share). Switched shunts are the case's fixed shunts.
"""

from __future__ import annotations

import copy
import queue
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gridmodel.networks import Network
from gridmodel.powerflow import klu
from gridmodel.powerflow import newton_kernels as kernels
from gridmodel.powerflow.injections import Injections, StudyCase


def branch_from_is_side1(network: Network, net) -> np.ndarray:
    """True where a case branch's from-bus is pandapower's side 1 (line ``from_bus``,
    transformer ``hv_bus``)."""
    branches = network.branches
    is_line = (branches.element == "line").to_numpy()
    bus_no = network.buses.bus
    hv_bus = bus_no.reindex(net.trafo.hv_bus.reindex(branches.element_index)).to_numpy()
    return np.where(is_line, True, branches.from_bus.to_numpy() == hv_bus)


def _ppc(net):
    """pandapower's own conversion of ``net`` (on a copy: the conversion writes to the net),
    with the full branch matrix ``runpp`` builds its Ybus from."""
    from pandapower.converter.pypower.to_ppc import to_ppc
    from pandapower.pypower import idx_brch

    work = copy.deepcopy(net)
    with warnings.catch_warnings():
        # converted MATPOWER cases carry no tap-changer table; to_ppc says so for every net
        warnings.filterwarnings(
            "ignore", "tap_dependency_table is missing", DeprecationWarning, "pandapower"
        )
        ppc = to_ppc(work, calculate_voltage_angles=True, init="flat", mode="pf")
    # to_ppc moves the asymmetric and conductance columns out of the branch matrix
    moved = {
        idx_brch.BR_R_ASYM: "branch_r_asym",
        idx_brch.BR_G: "branch_g",
        idx_brch.BR_G_ASYM: "branch_g_asym",
        idx_brch.BR_B_ASYM: "branch_b_asym",
    }
    n_br = len(ppc["branch"])
    branch = np.zeros((n_br, idx_brch.branch_cols), ppc["branch"].dtype)
    kept = [c for c in range(idx_brch.branch_cols) if c not in moved]
    branch[:, kept] = ppc["branch"]
    for col, name in moved.items():
        branch[:, col] = ppc.get(name, 0.0)
    ppc["branch"] = branch
    return ppc, work._pd2ppc_lookups


@dataclass(frozen=True)
class NewtonModel:
    """A study's network in the solver's form (per unit on ``base_mva``, solver bus order).

    ``bus_of_net`` gives the solver bus of every ``net.bus`` row (-1: out of service); ``yf``/
    ``yt`` are in case branch order with the case's from side; ``inj_*`` are bus x element
    incidences (in-service x scaling) of loads, static generators and generators.
    """

    base_mva: float
    bus_of_net: np.ndarray
    ybus: sp.csr_matrix
    yf: sp.csr_matrix
    yt: sp.csr_matrix
    f_bus: np.ndarray
    t_bus: np.ndarray
    ref: int
    v_ref: complex
    gen_bus: np.ndarray
    gen_vm: np.ndarray
    gen_q_min: np.ndarray
    gen_q_max: np.ndarray
    gen_weight: np.ndarray
    gen_in_service: np.ndarray
    inj_gen: sp.csr_matrix
    inj_sgen: sp.csr_matrix
    inj_load: sp.csr_matrix
    sgen_q_mvar: np.ndarray
    jac: tuple
    dc: tuple
    gen_p_base: np.ndarray
    sgen_p_base: np.ndarray
    load_p_base: np.ndarray
    load_q_base: np.ndarray
    solved_base: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_bus(self) -> int:
        return self.ybus.shape[0]

    @classmethod
    def from_case(cls, case: StudyCase) -> NewtonModel:
        """The model of a study (its net with the campus loads and slack weights)."""
        return cls.from_net(case.network, case.net)

    @classmethod
    def from_net(cls, network: Network, net) -> NewtonModel:
        """The model of ``net``, a pandapower net of ``network`` (``net`` is not modified)."""
        from pandapower.pypower.idx_brch import F_BUS, T_BUS
        from pandapower.pypower.idx_bus import BUS_TYPE, NONE
        from pandapower.pypower.makeYbus import makeYbus

        ppc, lookups = _ppc(net)
        live = ppc["bus"][:, BUS_TYPE] != NONE
        n = int(live.sum())
        if not live[:n].all():
            raise ValueError("pandapower placed out-of-service buses before in-service ones")
        bus_of_net = np.asarray(lookups["bus"], dtype=np.int64)[net.bus.index.to_numpy()]
        bus_of_net = np.where((bus_of_net >= 0) & (bus_of_net < n), bus_of_net, -1)
        base = float(ppc["baseMVA"])
        ybus, yf, yt = makeYbus(base, ppc["bus"][:n], ppc["branch"])
        ybus = _with_diagonal(sp.csr_matrix(ybus)[:n, :n])
        # case branch -> ppc branch row (lines first, then transformers) and orientation
        branches = network.branches
        start = {kind: lookups["branch"][kind][0] for kind in ("line", "trafo")}
        pos = {
            kind: pd.Series(np.arange(len(net[kind])) + start[kind], index=net[kind].index)
            for kind in ("line", "trafo")
        }
        rows = np.array(
            [pos[e][i] for e, i in zip(branches.element, branches.element_index, strict=True)]
        )
        side1 = branch_from_is_side1(network, net)
        yf, yt = sp.csr_matrix(yf)[:, :n][rows], sp.csr_matrix(yt)[:, :n][rows]
        keep, swap = sp.diags(side1.astype(float)), sp.diags((~side1).astype(float))
        y_from, y_to = keep @ yf + swap @ yt, keep @ yt + swap @ yf
        f_ppc = ppc["branch"][rows, F_BUS].real.astype(np.int64)
        t_ppc = ppc["branch"][rows, T_BUS].real.astype(np.int64)

        gens = net.gen
        gen_bus = bus_of_net[_positions(net, gens.bus)]
        is_ref = gens.slack.to_numpy(bool) & gens.in_service.to_numpy(bool)
        if is_ref.sum() != 1:
            raise ValueError(f"expected one in-service slack generator, found {is_ref.sum()}")
        ref = int(gen_bus[is_ref][0])
        weight = gens.get("slack_weight", pd.Series(0.0, index=gens.index)).fillna(0.0)
        layout = _jacobian_layout(ybus, ref, np.unique(gen_bus[weight.to_numpy() > 0]))

        def incidence(table):
            on = table.in_service.to_numpy(float) * table.scaling.to_numpy(float)
            return sp.csr_matrix(
                (on, (bus_of_net[_positions(net, table.bus)], np.arange(len(table)))),
                shape=(n, len(table)),
            )

        sgen_scale = net.sgen.scaling.to_numpy(float)
        return cls(
            base_mva=base,
            bus_of_net=bus_of_net,
            ybus=ybus,
            yf=y_from.tocsr(),
            yt=y_to.tocsr(),
            f_bus=np.where(side1, f_ppc, t_ppc),
            t_bus=np.where(side1, t_ppc, f_ppc),
            ref=ref,
            v_ref=complex(gens.vm_pu.to_numpy()[is_ref][0]),
            gen_bus=gen_bus,
            gen_vm=gens.vm_pu.to_numpy(float),
            gen_q_min=gens.min_q_mvar.fillna(-1e9).to_numpy(float) / base,
            gen_q_max=gens.max_q_mvar.fillna(1e9).to_numpy(float) / base,
            gen_weight=weight.to_numpy(float),
            gen_in_service=gens.in_service.to_numpy(bool),
            inj_gen=incidence(gens),
            inj_sgen=incidence(net.sgen),
            inj_load=incidence(net.load),
            sgen_q_mvar=net.sgen.q_mvar.to_numpy(float) * sgen_scale,
            jac=layout,
            dc=_dc_model(ppc, n, ref),
            gen_p_base=gens.p_mw.to_numpy(float),
            sgen_p_base=net.sgen.p_mw.to_numpy(float),
            load_p_base=net.load.p_mw.to_numpy(float),
            load_q_base=net.load.q_mvar.to_numpy(float),
        )

    def ybus_arrays(self) -> tuple:
        y = self.ybus
        return y.indptr.astype(np.int64), y.indices.astype(np.int64), y.data

    def branch_admittances(self) -> tuple[np.ndarray, np.ndarray]:
        """Where each case branch sits in the Ybus data (slots of its ff, ft, tf, tt entries)
        and what it adds there (pu): ``Y_ff = Yf[b, f]``, ``Y_ft = Yf[b, t]``, ``Y_tf = Yt[b,
        f]``, ``Y_tt = Yt[b, t]``."""
        f, t = self.f_bus, self.t_bus
        y = self.ybus
        pairs = ((f, f), (f, t), (t, f), (t, t))
        slots = np.stack(
            [
                np.array(
                    [
                        y.indptr[r] + np.searchsorted(y.indices[y.indptr[r] : y.indptr[r + 1]], c)
                        for r, c in zip(rows, cols, strict=True)
                    ]
                )
                for rows, cols in pairs
            ],
            axis=1,
        ).astype(np.int64)
        values = np.stack(
            [
                np.asarray(self.yf[np.arange(len(f)), f]).ravel(),
                np.asarray(self.yf[np.arange(len(f)), t]).ravel(),
                np.asarray(self.yt[np.arange(len(f)), f]).ravel(),
                np.asarray(self.yt[np.arange(len(f)), t]).ravel(),
            ],
            axis=1,
        )
        return slots, values

    def specified(self, inj: Injections) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per hour: P and Q specified at each bus without the generators' Q (pu), and which
        generators run."""
        gen_on = ~inj.gen_off & self.gen_in_service[None, :]
        p = (
            self.inj_gen @ np.where(gen_on, inj.gen_p, 0.0).T
            + self.inj_sgen @ inj.sgen_p.T
            - self.inj_load @ inj.load_p.T
        )
        sgen_q = self.inj_sgen @ np.broadcast_to(self.sgen_q_mvar, inj.sgen_p.shape).T
        q = sgen_q - self.inj_load @ inj.load_q.T
        return (
            np.ascontiguousarray(p.T) / self.base_mva,
            np.ascontiguousarray(q.T) / self.base_mva,
            np.ascontiguousarray(gen_on),
        )

    def base_injections(self) -> Injections:
        """The case's own set-points and loads as one hour."""
        one = np.zeros(1)
        return Injections(
            hour=np.zeros(1, int),
            load_p=self.load_p_base[None, :],
            load_q=self.load_q_base[None, :],
            gen_p=self.gen_p_base[None, :],
            sgen_p=self.sgen_p_base[None, :],
            gen_off=np.zeros((1, len(self.gen_p_base)), bool),
            shortfall_mw=one,
            surplus_mw=one,
            cost_usd=one,
            lmp=np.zeros((1, 0)),
            overload_mw=one,
            dispatch_feasible=np.ones(1, bool),
        )


def _positions(net, buses: pd.Series) -> np.ndarray:
    """Row positions in ``net.bus`` of the bus indices ``buses``."""
    return pd.Index(net.bus.index).get_indexer(buses.to_numpy())


def _with_diagonal(y: sp.csr_matrix) -> sp.csr_matrix:
    """``y`` with every diagonal entry stored (an explicit zero where it had none)."""
    n = y.shape[0]
    coo = y.tocoo()
    full = sp.coo_matrix(
        (
            np.r_[coo.data, np.zeros(n, complex)],
            (np.r_[coo.row, np.arange(n)], np.r_[coo.col, np.arange(n)]),
        ),
        shape=y.shape,
    ).tocsr()
    full.sum_duplicates()
    full.sort_indices()
    return full


def _jacobian_layout(ybus: sp.csr_matrix, ref: int, slack_buses: np.ndarray) -> tuple:
    """The fixed CSC layout of the Jacobian (kernel module docstring) and where each
    derivative goes: ``(jp, ji, pos, s_pos, diag, p_row, q_row, va_col, vm_col, s_col, jx)``."""
    n = ybus.shape[0]
    others = np.flatnonzero(np.arange(n) != ref)
    # pair each equation with its own unknown on the diagonal (P_i-Va_i, Q_i-Vm_i, P_ref-s) so
    # KLU's block-triangular matching keeps the network's symmetric pattern for AMD
    va_col = np.arange(n, dtype=np.int64)
    va_col[ref] = -1
    s_col = ref
    p_row = np.arange(n, dtype=np.int64)
    q_row = np.full(n, -1, np.int64)
    q_row[others] = n + np.arange(n - 1)
    vm_col = q_row.copy()
    slack_buses = np.union1d(slack_buses, [ref])
    row_of = np.repeat(np.arange(n), np.diff(ybus.indptr))
    col_of = ybus.indices.astype(np.int64)
    nnz = len(col_of)
    # entry k of Ybus -> 4 candidate Jacobian entries, then the slack column
    rows = np.stack([p_row[row_of], p_row[row_of], q_row[row_of], q_row[row_of]], axis=1).ravel()
    cols = np.stack([va_col[col_of], vm_col[col_of], va_col[col_of], vm_col[col_of]], axis=1)
    cols = cols.ravel()
    rows = np.r_[rows, p_row[slack_buses]]
    cols = np.r_[cols, np.full(len(slack_buses), s_col)]
    valid = (rows >= 0) & (cols >= 0)
    ids = np.flatnonzero(valid)
    size = 2 * n - 1
    pattern = sp.csc_matrix(
        (ids.astype(float) + 1.0, (rows[valid], cols[valid])), shape=(size, size)
    )
    pattern.sort_indices()
    slot = np.full(len(rows), -1, np.int64)
    slot[pattern.data.astype(np.int64) - 1] = np.arange(pattern.nnz)
    pos = slot[: 4 * nnz].reshape(nnz, 4)
    s_pos = np.full(n, -1, np.int64)
    s_pos[slack_buses] = slot[4 * nnz :]
    diag = np.array(
        [
            ybus.indptr[i] + np.searchsorted(ybus.indices[ybus.indptr[i] : ybus.indptr[i + 1]], i)
            for i in range(n)
        ],
        np.int64,
    )
    return (
        pattern.indptr.astype(np.int32),
        pattern.indices.astype(np.int32),
        pos,
        s_pos,
        diag,
        p_row,
        q_row,
        va_col,
        vm_col,
        s_col,
        np.zeros(pattern.nnz),
    )


def _dc_model(ppc, n: int, ref: int) -> tuple:
    """pandapower's DC power flow (``makeBdc``: ``P = B·θ + P_shift``, plus shunt conductance)
    over the non-reference buses: (Bp, Bi, Bx, bus of each row, P_shift + G_sh per bus, pu)."""
    from pandapower.pypower.idx_bus import GS
    from pandapower.pypower.makeBdc import makeBdc

    bus = ppc["bus"][:n]
    b, _, p_shift, *_ = makeBdc(bus, ppc["branch"], return_csr=False)
    keep = np.flatnonzero(np.arange(n) != ref)
    b = sp.csc_matrix(b)[keep][:, keep].tocsc()
    b.sort_indices()
    p0 = np.asarray(p_shift, float).ravel() + bus[:, GS] / ppc["baseMVA"]
    return b.indptr.astype(np.int32), b.indices.astype(np.int32), b.data.copy(), keep, p0


@dataclass
class HourResults:
    """What :func:`run_hours` hands a sink for consecutive rows ``rows`` of the injections:
    the voltage (rows x solver bus, NaN where not converged) and per hour the solve step,
    iterations, factorisations, units at a reactive limit and convergence."""

    rows: np.ndarray
    v: np.ndarray
    step: np.ndarray
    iterations: np.ndarray
    factorisations: np.ndarray
    units_at_q_limit: np.ndarray
    converged: np.ndarray


class _Segment:
    """KLU state of one thread: its own control block, symbolic analysis and factors."""

    def __init__(self, model: NewtonModel):
        jac = model.jac
        self.fns = klu.functions()
        self.common = klu.new_common()
        n = model.n_bus
        self.lu = np.zeros(3 + n + 3, np.uint64)
        self.lu[0] = self.fns[0](
            2 * n - 1, jac[0].ctypes.data, jac[1].ctypes.data, self.common.ctypes.data
        )
        if self.lu[0] == 0:
            raise RuntimeError("KLU could not analyse the Jacobian pattern")
        self.jac = jac[:10] + (np.zeros_like(jac[10]),)

    def close(self) -> None:
        free_symbolic, free_numeric = self.fns[4], self.fns[5]
        k = len(self.lu) - 3
        for slot, free in (
            (1, free_numeric),
            (k + 1, free_numeric),
            (0, free_symbolic),
            (k, free_symbolic),
        ):
            if self.lu[slot] != 0:
                handle = np.array([self.lu[slot]], np.uint64)
                free(handle.ctypes.data, self.common.ctypes.data)
                self.lu[slot] = 0


def run_hours(
    model: NewtonModel,
    inj: Injections,
    options,
    sink: Callable[[HourResults], None],
    progress: Callable[[int], None] | None = None,
    v_start: np.ndarray | None = None,
    v_base: np.ndarray | None = None,
) -> None:
    """Solve every row of ``inj``; hand each solved chunk of rows to ``sink`` (called from the
    worker threads, rows of different calls never overlap).

    Rows are split into ``options.n_threads()`` contiguous segments, each solved in chunks of
    ``options.chunk_hours`` on its own thread. ``v_start`` (rows x solver bus, complex) gives
    each row its own warm start (rows of NaN: the previous solved row); ``v_base`` is the
    ladder's base-case voltage (default: :func:`base_voltage`).
    """
    if v_base is None:
        v_base = base_voltage(model, options)

    def segment(lo: int, hi: int, report: Callable[[int], None]) -> None:
        state = _Segment(model)
        try:
            v_warm = v_base.copy()
            warm_is_base = True
            s = np.zeros(1)
            for start in range(lo, hi, options.chunk_hours):
                rows = np.arange(start, min(start + options.chunk_hours, hi))
                warm_is_base = _solve_chunk(
                    model,
                    state,
                    inj.take(rows),
                    options,
                    v_start,
                    rows,
                    v_warm,
                    warm_is_base,
                    v_base,
                    s,
                    sink,
                )
                report(len(rows))
        finally:
            state.close()

    _in_threads(segment, len(inj.hour), options.n_threads(), progress)


def _solve_chunk(model, state, inj, options, v_start, rows, v_warm, warm_is_base, v_base, s, sink):
    p_spec, q_spec, gen_on = model.specified(inj)
    n = model.n_bus
    given = (
        np.ascontiguousarray(v_start[rows]) if v_start is not None else np.zeros((0, n), complex)
    )
    out_v = np.empty((len(rows), n), np.complex128)
    out_hour = np.zeros((len(rows), 5), np.int32)
    warm_is_base = kernels.solve_hours(
        state.fns,
        state.common,
        state.lu,
        model.ybus_arrays(),
        state.jac,
        model.dc,
        (model.gen_bus, model.gen_vm, model.gen_q_min, model.gen_q_max, model.gen_weight),
        p_spec,
        q_spec,
        gen_on,
        given,
        np.ones(n, np.bool_),
        model.ref,
        model.v_ref,
        v_warm,
        warm_is_base,
        v_base,
        s,
        options.max_iter,
        options.tolerance_mva / model.base_mva,
        options.enforce_q_lims,
        out_v,
        out_hour,
    )
    sink(
        HourResults(
            rows=rows,
            v=out_v,
            step=out_hour[:, 0],
            iterations=out_hour[:, 1],
            factorisations=out_hour[:, 2],
            units_at_q_limit=out_hour[:, 3],
            converged=out_hour[:, 4].astype(bool),
        )
    )
    return warm_is_base


def solve_base_case(model: NewtonModel, options) -> np.ndarray | None:
    """The case's own state (its set-points and loads) solved from a flat start (set-points at
    voltage-controlled buses) along the ladder; None if it does not converge. Kept on the model
    per solver setting."""
    key = (options.max_iter, options.tolerance_mva, options.enforce_q_lims)
    if key not in model.solved_base:
        found = {}

        def keep(res: HourResults) -> None:
            found["v"] = res.v[0] if res.converged[0] else None

        run_hours(model, model.base_injections(), options, keep, v_base=_flat_start(model))
        model.solved_base[key] = found["v"]
    return model.solved_base[key]


def base_voltage(model: NewtonModel, options) -> np.ndarray:
    """The ladder's base-case start: :func:`solve_base_case`, else the flat start."""
    v = solve_base_case(model, options)
    return v if v is not None else _flat_start(model)


def _flat_start(model: NewtonModel) -> np.ndarray:
    """1 pu, zero angle; generator set-points at their buses."""
    flat = np.ones(model.n_bus, np.complex128)
    flat[model.gen_bus[model.gen_in_service]] = model.gen_vm[model.gen_in_service]
    return flat


def run_outages(
    model: NewtonModel,
    inj: Injections,
    v0: np.ndarray,
    outages: list[list[int]],
    rate_mva: np.ndarray,
    options,
    v_base: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every outage (a list of case branch rows) of the one hour in ``inj``, warm-started from
    that hour's solved voltage ``v0``; outages are split over the threads.

    Returns ``vm`` (outage x solver bus, pu; 0 at buses cut off), ``loading`` (outage x case
    branch, % of ``rate_mva``; 0 for the branches out, NaN where not converged) and the
    per-outage (solve step, iterations, factorisations, units at a limit, converged).
    """
    p_spec, q_spec, gen_on = model.specified(inj)
    width = max((len(o) for o in outages), default=1)
    table = np.full((len(outages), width), -1, np.int64)
    for k, out in enumerate(outages):
        table[k, : len(out)] = out
    vm = np.zeros((len(outages), model.n_bus), np.float32)
    loading = np.full((len(outages), len(model.f_bus)), np.nan, np.float32)
    hour = np.zeros((len(outages), 5), np.int32)
    branch_y = model.branch_admittances()
    live = (np.diff(model.yf.indptr) > 0) & (model.f_bus != model.t_bus)
    gen_static = (model.gen_bus, model.gen_vm, model.gen_q_min, model.gen_q_max, model.gen_weight)
    yf = (model.yf.indptr, model.yf.indices, model.yf.data)
    yt = (model.yt.indptr, model.yt.indices, model.yt.data)
    rate = np.asarray(rate_mva, float)

    def work(lo: int, hi: int, _report) -> None:
        state = _Segment(model)
        try:
            kernels.solve_outages(
                state.fns,
                state.common,
                state.lu,
                model.ybus_arrays(),
                state.jac,
                model.dc,
                gen_static,
                p_spec[0],
                q_spec[0],
                gen_on[0],
                model.ref,
                model.v_ref,
                v0,
                0.0,
                v_base,
                branch_y,
                model.f_bus,
                model.t_bus,
                live,
                yf,
                yt,
                table[lo:hi],
                rate,
                options.max_iter,
                options.tolerance_mva / model.base_mva,
                options.enforce_q_lims,
                model.base_mva,
                vm[lo:hi],
                loading[lo:hi],
                hour[lo:hi],
            )
        finally:
            state.close()

    _in_threads(work, len(outages), options.n_threads())
    return vm, loading, hour


def _in_threads(
    work: Callable[[int, int, Callable[[int], None]], None],
    n: int,
    n_threads: int,
    progress: Callable[[int], None] | None = None,
) -> None:
    """``work(lo, hi, report)`` on ``n_threads`` threads over contiguous slices of ``range(n)``;
    what the workers ``report`` reaches ``progress`` on the calling thread; errors re-raised."""
    bounds = np.linspace(0, n, max(1, min(n_threads, n)) + 1).astype(int)
    done: queue.Queue = queue.Queue()
    errors: list[BaseException] = []

    def guarded(lo: int, hi: int) -> None:
        try:
            work(lo, hi, done.put)
        except BaseException as err:  # handed to the calling thread
            errors.append(err)
        finally:
            done.put(None)

    threads = [
        threading.Thread(target=guarded, args=(int(lo), int(hi)), daemon=True)
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
        if hi > lo
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    while running:
        item = done.get()
        if item is None:
            running -= 1
        elif progress is not None:
            progress(item)
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]

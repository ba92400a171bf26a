"""Hosting capacity: the largest campus at a site with no new N-0 (or N-1) violation.

A violation is charged to the campus when the campus causes it: a branch above its limit whose
loading the campus raised by at least ``Limits.worsening_percent`` of its rating (PJM's 5 %
contribution cut-off: a system-wide redispatch nudges every branch, and a branch that the
background grid already holds at its limit is not the campus's doing); a bus outside its voltage
limits that the campus moved outward by at least ``Limits.worsening_vm_pu``; a power flow (or
contingency) that converged without the campus and does not with it; or an hour whose committed
units serve demand without the campus and cannot with it (supply: the fleet, not the network,
is the limit). Hours the fleet cannot serve even without the campus are left out of the search.

The search is a bisection on campus MW between 0 and an upper size; the campus keeps its hourly
shape (MW scaled). Units are committed once, for the campus at the upper size, and re-dispatched
at every size: a commitment that jumped with the campus size would move flows by whole units
and make the answer depend on the merit order rather than on the network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmodel.powerflow.batch import SolverOptions, solve
from gridmodel.powerflow.case import with_campus_mw
from gridmodel.powerflow.injections import Injections, StudyCase
from gridmodel.powerflow.newton import NewtonModel
from gridmodel.stress.contingency import ContingencyResult, run_contingencies


@dataclass(frozen=True)
class Limits:
    """Branch loading limit (%), per-bus voltage bounds (pu), and the smallest change charged to a
    cause (percentage points of rating, pu)."""

    loading_percent: float
    vmin: np.ndarray
    vmax: np.ndarray
    worsening_percent: float = 5.0
    worsening_vm_pu: float = 0.01

    def new_overload(self, loading, base_loading):
        """Above the limit, and raised by at least ``worsening_percent`` from ``base_loading``."""
        return (loading > self.loading_percent) & (loading - base_loading >= self.worsening_percent)

    def new_voltage(self, vm, base_vm):
        """Outside [vmin, vmax], and moved outward by at least ``worsening_vm_pu`` (0 pu = islanded)."""
        tol = self.worsening_vm_pu
        low = (vm < self.vmin) & (base_vm - vm >= tol)
        high = (vm > self.vmax) & (vm - base_vm >= tol)
        return (vm > 0) & (low | high)


@dataclass(frozen=True)
class HostingResult:
    """``mw``: largest size found without a new violation; ``mw_violating``: smallest size found
    with one (None when even ``max_mw`` has none); ``limited_by``: the kinds of violation at
    ``mw_violating``; ``evaluations``: (MW, violated) pairs tried."""

    criterion: str
    mw: float
    mw_violating: float | None
    evaluations: list[tuple[float, bool]]
    limited_by: tuple[str, ...] = ()


N0_KINDS = ("branch loading", "bus voltage", "convergence")
N1_KINDS = (
    "post-contingency loading",
    "post-contingency voltage",
    "post-contingency convergence",
)


@dataclass(frozen=True)
class HourVerdict:
    """Per row (an hour, or an hour and an outage): which new violations the campus causes
    (``overload``, ``voltage``, ``lost``: converged without the campus, not with it; ``supply``:
    dispatch feasible without it, not with it), the newly overloaded branch with the highest
    loading (branch row, -1: none) and the bus moved furthest outside its limits (bus position,
    -1: none). ``names``: the kinds reported for overload, voltage and lost."""

    overload: np.ndarray
    voltage: np.ndarray
    lost: np.ndarray
    supply: np.ndarray
    branch: np.ndarray
    bus: np.ndarray
    names: tuple[str, str, str] = N0_KINDS

    @property
    def violated(self) -> np.ndarray:
        return self.overload | self.voltage | self.lost | self.supply

    def kinds(self) -> tuple[str, ...]:
        """The kinds of violation found in any row (empty: none)."""
        flags = (self.overload, self.voltage, self.lost, self.supply)
        names = (*self.names, "supply")
        return tuple(name for name, f in zip(names, flags, strict=True) if f.any())


def hour_verdicts(
    loading, vm, converged, base_loading, base_vm, base_converged, limits: Limits, supply=None
) -> HourVerdict:
    """:class:`HourVerdict` of every leading index under the rule of the module docstring;
    arrays share leading dims, last = element; ``supply`` (leading dims) defaults to none."""
    ok = converged[..., None]
    over = limits.new_overload(loading, base_loading) & ok
    volt = limits.new_voltage(vm, base_vm) & ok
    has_over, has_volt = over.any(-1), volt.any(-1)
    branch = np.where(has_over, np.argmax(np.where(over, loading, -np.inf), -1), -1)
    bus = np.where(has_volt, np.argmax(np.where(volt, np.abs(vm - base_vm), -np.inf), -1), -1)
    lost = base_converged & ~converged
    supply = np.zeros_like(lost) if supply is None else supply
    return HourVerdict(has_over, has_volt, lost, supply, branch, bus)


def _shape(case: StudyCase, inj: Injections, campus: int) -> np.ndarray:
    """Campus hourly profile as a fraction of its peak (1 for a constant campus)."""
    p = inj.load_p[:, case.campus_load_index[campus]]
    peak = p.max()
    return p / peak if peak > 0 else np.ones_like(p)


def _sized(
    case: StudyCase,
    inj: Injections,
    campus: int,
    top_mw: float,
    shape: np.ndarray | None = None,
):
    """A function (MW, rows=None) -> injections of ``rows`` (default: all) with the campus at
    MW x its shape (MW: one value, or one per row), committed for the campus at top_mw."""
    shape = _shape(case, inj, campus) if shape is None else shape
    others = inj.load_p.sum(axis=1) - inj.load_p[:, case.campus_load_index[campus]]
    commit = others + top_mw * shape

    def sized(mw, rows=None) -> Injections:
        if rows is None:
            return with_campus_mw(case, inj, campus, mw * shape, commit)
        return with_campus_mw(case, inj.take(rows), campus, mw * shape[rows], commit[rows])

    return sized


def feasible_rows(
    case: StudyCase,
    inj: Injections,
    campus: int,
    rows: np.ndarray,
    top_mw: float,
    shape: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` split into the hours whose dispatch is feasible without the campus (committed
    for it at ``top_mw``, as the search commits) and those the fleet cannot serve even so;
    ``shape`` (per study row) defaults to the campus's own profile over its peak."""
    sub = None if shape is None else shape[rows]
    ok = _sized(case, inj.take(rows), campus, top_mw, sub)(0.0).dispatch_feasible.astype(bool)
    return rows[ok], rows[~ok]


class HourlyN0:
    """New N-0 violations hour by hour: ``check(mw, rows)`` solves ``rows`` (positions in
    ``rows`` given here; default all) with the campus at ``mw`` (one value, or one per row)
    times its shape and returns their :class:`HourVerdict`.

    The base state (campus at 0 MW, committed for ``top_mw``) is solved once (or passed in as
    ``base``: loading, vm, converged, voltages and dispatch feasibility of the same hours and
    commitment); every later solve of a row starts from that row's solution at its previously
    evaluated size. ``shape`` (per row) defaults to the campus's profile over its peak.
    """

    def __init__(
        self,
        case: StudyCase,
        inj: Injections,
        campus: int,
        rows: np.ndarray,
        limits: Limits,
        options: SolverOptions,
        top_mw: float,
        shape: np.ndarray | None = None,
        base: tuple | None = None,
        model: NewtonModel | None = None,
    ):
        self.case, self.limits, self.options = case, limits, options
        self.model = model or NewtonModel.from_case(case)
        self.sized = _sized(case, inj.take(rows), campus, top_mw, shape)
        self.n = len(rows)
        if base is None:
            inj0 = self.sized(np.zeros(self.n))
            sol = self._solve(inj0, None)
            base = (sol.store["loading_percent"], sol.store["vm_pu"], sol.converged, sol.v,
                    inj0.dispatch_feasible.astype(bool))  # fmt: skip
        self.base = base
        self.v = base[3].copy()

    def _solve(self, inj: Injections, v_start):
        return solve(
            self.case,
            inj,
            self.options,
            ("vm_pu", "loading_percent"),
            model=self.model,
            keep_voltage=True,
            v_start=v_start,
        )

    def __call__(self, mw, rows=None) -> HourVerdict:
        rows = np.arange(self.n) if rows is None else np.asarray(rows)
        inj = self.sized(np.broadcast_to(mw, rows.shape), rows)
        sol = self._solve(inj, self.v[rows])
        self.v[rows] = sol.v
        loading, vm, converged, _, feasible = (b[rows] for b in self.base)
        supply = feasible & ~inj.dispatch_feasible.astype(bool)
        return hour_verdicts(sol.store["loading_percent"], sol.store["vm_pu"], sol.converged,
                             loading, vm, converged, self.limits, supply)  # fmt: skip


def n0_violation_check(
    case: StudyCase,
    inj: Injections,
    campus: int,
    rows: np.ndarray,
    limits: Limits,
    options: SolverOptions,
    top_mw: float,
):
    """A function MW (<= top_mw) -> the kinds of new N-0 violation the campus at MW causes in
    ``rows`` (empty: none), ``supply`` among them when its dispatch is infeasible in an hour
    that is feasible without it (see :class:`HourlyN0`)."""
    check = HourlyN0(case, inj, campus, rows, limits, options, top_mw)
    return lambda mw: check(mw).kinds()


class HourlyN1:
    """New post-contingency violations hour by hour (see :class:`HourlyN0`): ``check(mw, rows)``
    returns, per row, the kinds of violation some outage brings that the same outage does not
    bring without the campus, and the branch (or bus) of the first such outage.

    Outages are screened once at ``top_mw``: those with no new violation in any row there are
    dropped, since a smaller campus stresses the grid less; the rest are re-solved at every size.
    """

    def __init__(
        self,
        case: StudyCase,
        inj: Injections,
        campus: int,
        rows: np.ndarray,
        outages: list[list[int]],
        limits: Limits,
        options: SolverOptions,
        top_mw: float,
        shape: np.ndarray | None = None,
        model: NewtonModel | None = None,
    ):
        self.case, self.limits, self.options = case, limits, options
        self.model = model or NewtonModel.from_case(case)
        self.sized = _sized(case, inj.take(rows), campus, top_mw, shape)
        self.n = len(rows)
        every = np.arange(self.n)
        base_all = self._state(np.zeros(self.n), every, outages)
        screened = self._verdicts(self._state(np.full(self.n, top_mw), every, outages), base_all)
        self.base = base_all.take(outages=np.flatnonzero(screened.violated.any(axis=0)))
        self.outages = self.base.outages

    def _state(self, mw, rows, outages) -> ContingencyResult:
        inj = self.sized(mw, rows)
        return run_contingencies(
            self.case, inj, np.arange(len(rows)), outages, self.options, self.model
        )

    def _verdicts(self, res: ContingencyResult, base: ContingencyResult) -> HourVerdict:
        """Verdict per (row, outage)."""
        return hour_verdicts(
            res.loading_percent,
            res.vm_pu,
            res.converged,
            base.loading_percent,
            base.vm_pu,
            base.converged,
            self.limits,
        )

    def __call__(self, mw, rows=None) -> HourVerdict:
        rows = np.arange(self.n) if rows is None else np.asarray(rows)
        none, no = np.full(len(rows), -1), np.zeros(len(rows), bool)
        if not self.outages:
            return HourVerdict(no, no, no, no, none, none, N1_KINDS)
        res = self._state(np.broadcast_to(mw, rows.shape), rows, self.outages)
        per = self._verdicts(res, self.base.take(rows))
        k = np.argmax(per.violated, axis=1)  # the first outage with a new violation in the row
        at = np.arange(len(rows))
        return HourVerdict(per.overload.any(1), per.voltage.any(1), per.lost.any(1), no,
                           per.branch[at, k], per.bus[at, k], N1_KINDS)  # fmt: skip


def n1_violation_check(
    case: StudyCase,
    inj: Injections,
    campus: int,
    rows: np.ndarray,
    outages: list[list[int]],
    limits: Limits,
    options: SolverOptions,
    top_mw: float,
):
    """A function MW (<= top_mw) -> the kinds of new post-contingency violation the campus at MW
    causes in ``rows`` (empty: none; see :class:`HourlyN1`)."""
    check = HourlyN1(case, inj, campus, rows, outages, limits, options, top_mw)
    return lambda mw: check(mw).kinds()


def hosting_capacity(
    violates, criterion: str, max_mw: float, tolerance_percent: float
) -> HostingResult:
    """Bisection for the largest MW at which ``violates(MW)`` finds no violation kind (0 MW never
    violates)."""
    evaluations: list[tuple[float, bool]] = []
    kinds: dict[float, tuple[str, ...]] = {}

    def check(mw: float) -> bool:
        kinds[float(mw)] = tuple(violates(mw))
        evaluations.append((float(mw), bool(kinds[float(mw)])))
        return evaluations[-1][1]

    if not check(max_mw):
        return HostingResult(criterion, max_mw, None, evaluations)
    lo, hi = 0.0, max_mw
    while hi - lo > tolerance_percent / 100.0 * hi:
        mid = 0.5 * (lo + hi)
        if check(mid):
            hi = mid
        else:
            lo = mid
    return HostingResult(criterion, lo, hi, evaluations, kinds[hi])

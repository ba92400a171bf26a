"""Hosting capacity: the largest campus at a site with no new N-0 (or N-1) violation.

A violation is charged to the campus when the campus causes it: a branch above its limit whose
loading the campus raised by at least ``Limits.worsening_percent`` of its rating (PJM's 5 %
contribution cut-off: a system-wide redispatch nudges every branch, and a branch that the
background grid already holds at its limit is not the campus's doing); a bus outside its voltage
limits that the campus moved outward by at least ``Limits.worsening_vm_pu``; or a power flow (or
contingency) that converged without the campus and does not with it.

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
    with one (None when even ``max_mw`` has none); ``evaluations``: (MW, violated) pairs tried."""

    criterion: str
    mw: float
    mw_violating: float | None
    evaluations: list[tuple[float, bool]]


@dataclass(frozen=True)
class HourVerdict:
    """Per row (hour): a new violation, and what it is: the newly overloaded branch with the
    highest loading (branch row, -1: none), the bus moved furthest outside its limits (bus
    position, -1: none), and whether the power flow was lost (converged without the campus,
    not with it)."""

    violated: np.ndarray
    branch: np.ndarray
    bus: np.ndarray
    lost: np.ndarray


def violation_masks(loading, vm, converged, base_loading, base_vm, base_converged, limits: Limits):
    """New overloads and voltage violations (element masks) and lost power flows (rows) under
    the rule of the module docstring; arrays share leading dims, last = element."""
    ok = converged[..., None]
    over = limits.new_overload(loading, base_loading) & ok
    volt = limits.new_voltage(vm, base_vm) & ok
    lost = base_converged & ~converged
    return over, volt, lost


def new_violations(
    loading, vm, converged, base_loading, base_vm, base_converged, limits: Limits
) -> int:
    """Count of new violations (see module docstring); arrays share leading dims, last = element."""
    over, volt, lost = violation_masks(
        loading, vm, converged, base_loading, base_vm, base_converged, limits
    )
    return int(over.sum() + volt.sum() + lost.sum())


def hour_verdicts(
    loading, vm, converged, base_loading, base_vm, base_converged, limits: Limits
) -> HourVerdict:
    """:class:`HourVerdict` of every leading index (an hour, or an hour and an outage)."""
    over, volt, lost = violation_masks(
        loading, vm, converged, base_loading, base_vm, base_converged, limits
    )
    has_over, has_volt = over.any(-1), volt.any(-1)
    branch = np.where(has_over, np.argmax(np.where(over, loading, -np.inf), -1), -1)
    bus = np.where(has_volt, np.argmax(np.where(volt, np.abs(vm - base_vm), -np.inf), -1), -1)
    return HourVerdict(has_over | has_volt | lost, branch, bus, lost)


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
    """``rows`` split into the hours whose dispatch is feasible with the campus at ``top_mw``
    (committed for it, as the search commits) and those whose committed units cannot serve it;
    ``shape`` (per study row) defaults to the campus's own profile over its peak."""
    sub = None if shape is None else shape[rows]
    ok = _sized(case, inj.take(rows), campus, top_mw, sub)(top_mw).dispatch_feasible.astype(bool)
    return rows[ok], rows[~ok]


class HourlyN0:
    """New N-0 violations hour by hour: ``check(mw, rows)`` solves ``rows`` (positions in
    ``rows`` given here; default all) with the campus at ``mw`` (one value, or one per row)
    times its shape and returns their :class:`HourVerdict`.

    The base state (campus at 0 MW, committed for ``top_mw``) is solved once (or passed in as
    ``base``: loading, vm, converged and voltages of a check of the same hours and commitment);
    every later solve of a row starts from that row's solution at its previously evaluated size.
    ``shape`` (per row) defaults to the campus's profile over ``rows`` divided by its peak.
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
            sol = self._solve(np.zeros(self.n), np.arange(self.n), None)
            base = (sol.store["loading_percent"], sol.store["vm_pu"], sol.converged, sol.v)
        self.base = base
        self.v = base[3].copy()

    def _solve(self, mw, rows, v_start):
        return solve(
            self.case,
            self.sized(mw, rows),
            self.options,
            ("vm_pu", "loading_percent"),
            model=self.model,
            keep_voltage=True,
            v_start=v_start,
        )

    def __call__(self, mw, rows=None) -> HourVerdict:
        rows = np.arange(self.n) if rows is None else np.asarray(rows)
        sol = self._solve(np.broadcast_to(mw, rows.shape), rows, self.v[rows])
        self.v[rows] = sol.v
        base = [b[rows] for b in self.base[:3]]
        return hour_verdicts(
            sol.store["loading_percent"], sol.store["vm_pu"], sol.converged, *base, self.limits
        )


def n0_violation_check(
    case: StudyCase,
    inj: Injections,
    campus: int,
    rows: np.ndarray,
    limits: Limits,
    options: SolverOptions,
    top_mw: float,
):
    """A function MW (<= top_mw) -> True if the campus at MW causes a new N-0 violation in ``rows``.

    Each evaluation starts every hour from its solution at the previously evaluated size.
    """
    check = HourlyN0(case, inj, campus, rows, limits, options, top_mw)
    return lambda mw: bool(check(mw).violated.any())


class HourlyN1:
    """New post-contingency violations hour by hour (see :class:`HourlyN0`): ``check(mw, rows)``
    returns, per row, whether some outage brings a violation the same outage does not bring
    without the campus, and the branch it overloads (or the bus it moves).

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
        keep = np.flatnonzero(screened.violated.any(axis=0))
        self.outages = [outages[k] for k in keep]
        self.base = ContingencyResult(
            base_all.rows,
            self.outages,
            base_all.loading_percent[:, keep],
            base_all.vm_pu[:, keep],
            base_all.converged[:, keep],
            base_all.base_converged,
        )

    def _state(self, mw, rows, outages) -> ContingencyResult:
        inj = self.sized(mw, rows)
        return run_contingencies(
            self.case, inj, np.arange(len(rows)), outages, self.options, self.model
        )

    def _verdicts(self, res: ContingencyResult, base: ContingencyResult) -> HourVerdict:
        """Verdict per (row, outage); an outage whose power flow converged without the campus
        and not with it is a violation."""
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
        if not self.outages:
            none = np.full(len(rows), -1)
            return HourVerdict(np.zeros(len(rows), bool), none, none, np.zeros(len(rows), bool))
        res = self._state(np.broadcast_to(mw, rows.shape), rows, self.outages)
        base = ContingencyResult(
            self.base.rows[rows],
            self.outages,
            self.base.loading_percent[rows],
            self.base.vm_pu[rows],
            self.base.converged[rows],
            self.base.base_converged[rows],
        )
        per = self._verdicts(res, base)
        # the outage that binds: the first with a new violation in the row
        k = np.argmax(per.violated, axis=1)
        at = np.arange(len(rows))
        return HourVerdict(
            per.violated.any(axis=1), per.branch[at, k], per.bus[at, k], per.lost[at, k]
        )


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
    """A function MW (<= top_mw) -> True if the campus at MW causes a new post-contingency
    violation in ``rows`` (see :class:`HourlyN1`)."""
    check = HourlyN1(case, inj, campus, rows, outages, limits, options, top_mw)
    return lambda mw: bool(check(mw).violated.any())


def hosting_capacity(
    violates, criterion: str, max_mw: float, tolerance_percent: float
) -> HostingResult:
    """Bisection for the largest MW with ``violates(MW) is False`` (0 MW never violates)."""
    evaluations: list[tuple[float, bool]] = []

    def check(mw: float) -> bool:
        evaluations.append((float(mw), bool(violates(mw))))
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
    return HostingResult(criterion, lo, hi, evaluations)

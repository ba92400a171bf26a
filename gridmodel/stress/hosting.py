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


def new_violations(
    loading, vm, converged, base_loading, base_vm, base_converged, limits: Limits
) -> tuple[str, ...]:
    """The kinds of new violation (see module docstring) among ``branch loading``, ``bus voltage``
    and ``convergence``; arrays share leading dims, last = element."""
    ok = converged[..., None]
    found = {
        "branch loading": (limits.new_overload(loading, base_loading) & ok).any(),
        "bus voltage": (limits.new_voltage(vm, base_vm) & ok).any(),
        "convergence": (base_converged & ~converged).any(),
    }
    return tuple(kind for kind, hit in found.items() if hit)


def _shape(case: StudyCase, inj: Injections, campus: int) -> np.ndarray:
    """Campus hourly profile as a fraction of its peak (1 for a constant campus)."""
    p = inj.load_p[:, case.campus_load_index[campus]]
    peak = p.max()
    return p / peak if peak > 0 else np.ones_like(p)


def _sized(case: StudyCase, inj: Injections, campus: int, top_mw: float):
    """A function MW -> injections with the campus at MW, committed for the campus at top_mw."""
    shape = _shape(case, inj, campus)
    others = inj.load_p.sum(axis=1) - inj.load_p[:, case.campus_load_index[campus]]
    commit = others + top_mw * shape
    return lambda mw: with_campus_mw(case, inj, campus, mw * shape, commit)


def feasible_rows(
    case: StudyCase, inj: Injections, campus: int, rows: np.ndarray, top_mw: float
) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` split into the hours whose dispatch is feasible without the campus (committed
    for it at ``top_mw``, as the search commits) and those the fleet cannot serve even so."""
    ok = _sized(case, inj.take(rows), campus, top_mw)(0.0).dispatch_feasible.astype(bool)
    return rows[ok], rows[~ok]


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
    that is feasible without it.

    Each evaluation starts every hour from its solution at the previously evaluated size.
    """
    model = NewtonModel.from_case(case)
    sized = _sized(case, inj.take(rows), campus, top_mw)
    last: dict[str, np.ndarray] = {}

    def solve_at(mw):
        inj_mw = sized(mw)
        sol = solve(
            case,
            inj_mw,
            options,
            ("vm_pu", "loading_percent"),
            model=model,
            keep_voltage=True,
            v_start=last.get("v"),
        )
        last["v"] = sol.v
        flows = sol.store["loading_percent"], sol.store["vm_pu"], sol.converged
        return flows, inj_mw.dispatch_feasible.astype(bool)

    base, base_feasible = solve_at(0.0)

    def violates(mw: float) -> tuple[str, ...]:
        flows, feasible = solve_at(mw)
        supply = ("supply",) if (base_feasible & ~feasible).any() else ()
        return new_violations(*flows, *base, limits) + supply

    return violates


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
    causes (empty: none).

    Contingencies are screened once at ``top_mw``: those with no new violation there are dropped,
    since a smaller campus stresses the grid less; the rest are re-solved at every size.
    """
    model = NewtonModel.from_case(case)
    sub = inj.take(rows)
    sized = _sized(case, sub, campus, top_mw)

    def state(mw, outs) -> ContingencyResult:
        return run_contingencies(case, sized(mw), np.arange(len(rows)), outs, options, model)

    def per_contingency(res: ContingencyResult, base: ContingencyResult) -> dict[str, np.ndarray]:
        """Kind of violation -> (contingency,) flags, any hour."""
        over = limits.new_overload(res.loading_percent, base.loading_percent).any(-1)
        volt = limits.new_voltage(res.vm_pu, base.vm_pu).any(-1)
        found = {
            "post-contingency loading": res.converged & over,
            "post-contingency voltage": res.converged & volt,
            "post-contingency convergence": base.converged & ~res.converged,
        }
        return {kind: bad.any(axis=0) for kind, bad in found.items()}

    base_all = state(0.0, outages)
    screened = np.logical_or.reduce(
        list(per_contingency(state(top_mw, outages), base_all).values())
    )
    keep = np.flatnonzero(screened)
    outs = [outages[k] for k in keep]
    base = ContingencyResult(
        base_all.rows,
        outs,
        base_all.loading_percent[:, keep],
        base_all.vm_pu[:, keep],
        base_all.converged[:, keep],
        base_all.base_converged,
    )

    def violates(mw: float) -> tuple[str, ...]:
        if not outs:
            return ()
        found = per_contingency(state(mw, outs), base)
        return tuple(kind for kind, bad in found.items() if bad.any())

    return violates


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

"""Nodal flexible hosting capacity: at each site, the largest campus that curtails at most a budget
of its energy, hour by hour where the network binds, with no new N-0 (or N-1) violation.

**Hourly capacity.** For every hour h studied, ``x_h``: the campus peak (MW, the campus keeping its
hourly shape) at which the hour's first new violation appears, under the rule of
:mod:`gridmodel.stress.hosting` (same commitment for the search's top size, the same re-dispatch
at every size, the same AC power flow). Hours are searched together, each at its own size, by
one batched solve per step. Only the hours that can bind need a narrow bracket:

1. the ``SCREEN_HOURS`` highest-load hours are bisected to the tolerance;
2. ``U``, the flexible capacity at the largest budget computed with every hour's upper bracket
   (an hour not yet solved counts as never binding), is an upper bound of every capacity
   reported; every hour not yet solved is solved once with the campus at ``U``: an hour without
   a new violation there is never curtailed at any size reported (violations grow with size);
3. the hours that fail are bisected, each step recomputing ``U`` (which only falls) and dropping
   the hours whose lower bracket has reached it, until every remaining hour is within the
   tolerance.

The result is exact to the tolerance for every hour that is curtailed at some budget; the others
are known to host at least ``U``. The capacities use the lower brackets (sizes solved without a
new violation), so each reported schedule serves, in every hour, at most what a solve showed
the hour can take; the upper brackets give an upper bound of each capacity (``upper_bound_mw``).

**Firm and flexible.** :mod:`gridmodel.headroom.flexible` turns the hourly capacities into the
firm hosting capacity (``min_h x_h``, the whole-period bisection of the stress stage over the
same hours) and the flexible one at each budget, with its curtailment schedule.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gridmodel.headroom.flexible import FlexibilityLimits, flexible_capacity
from gridmodel.powerflow.injections import Injections, StudyCase
from gridmodel.stress.hosting import HourVerdict

#: Highest-load hours bisected first, to bound the capacities before the whole period is solved.
SCREEN_HOURS = 48


@dataclass
class HourlyCapacity:
    """Per hour: the largest campus peak solved without a new violation (``lo_mw``), the smallest
    solved with one (``hi_mw``, inf: none up to the top), and at ``hi_mw`` the binding branch
    (row, -1: none), bus (position, -1: none), lost power flow and supply shortfall; hour
    solves spent."""

    lo_mw: np.ndarray
    hi_mw: np.ndarray
    branch: np.ndarray
    bus: np.ndarray
    lost: np.ndarray
    supply: np.ndarray
    solves: int = 0

    def update(self, rows: np.ndarray, mw: np.ndarray, verdict: HourVerdict) -> None:
        bad = verdict.violated
        self.lo_mw[rows[~bad]] = np.maximum(self.lo_mw[rows[~bad]], mw[~bad])
        worse = rows[bad]
        self.hi_mw[worse] = mw[bad]
        self.branch[worse] = verdict.branch[bad]
        self.bus[worse] = verdict.bus[bad]
        self.lost[worse] = verdict.lost[bad]
        self.supply[worse] = verdict.supply[bad]
        self.solves += len(rows)


def hourly_capacity(
    check: Callable[[np.ndarray, np.ndarray], HourVerdict],
    shape: np.ndarray,
    load_mw: np.ndarray,
    top_mw: float,
    tolerance_percent: float,
    upper: Callable[[np.ndarray], float],
    progress: Callable[[int], None] = lambda n: None,
) -> HourlyCapacity:
    """The hourly capacities of the module docstring. ``check(mw, rows)`` solves ``rows`` with
    the campus peak at ``mw`` (one per row); ``upper(hi_mw)`` is the flexible capacity at the
    largest budget with those hourly capacities (an upper bound of every capacity reported)."""
    n = len(shape)
    cap = HourlyCapacity(np.zeros(n), np.full(n, np.inf), np.full(n, -1), np.full(n, -1),
                         np.zeros(n, bool), np.zeros(n, bool))  # fmt: skip
    tol = tolerance_percent / 100.0
    live = shape > 0
    cap.lo_mw[~live] = top_mw  # the campus draws nothing: the hour never binds
    solved = ~live
    order = np.argsort(-np.where(live, load_mw, -np.inf), kind="stable")
    first = np.sort(order[: min(SCREEN_HOURS, int(live.sum()))])
    rows, mw = first, np.full(len(first), top_mw)
    while len(rows):
        cap.update(rows, mw, check(mw, rows))
        solved[rows] = True
        progress(cap.solves)
        screening = not solved[first].all() or _wide(cap, first, tol, top_mw).any()
        bound = top_mw if screening else min(top_mw, upper(cap.hi_mw))
        if screening:
            wide = np.zeros(n, bool)
            wide[first] = _wide(cap, first, tol, top_mw)
            probe = np.zeros(n, bool)
        else:
            wide = _wide(cap, np.arange(n), tol, top_mw) & (cap.lo_mw < bound) & solved
            probe = ~solved
        mid = _next_size(cap, top_mw)
        rows = np.flatnonzero(wide | probe)
        mw = np.where(probe[rows], bound, mid[rows])
    return cap


def _wide(cap: HourlyCapacity, rows: np.ndarray, tol: float, top_mw: float) -> np.ndarray:
    """Rows whose bracket is wider than the tolerance (an open bracket below the top is wide;
    a bracket below ``tol·top_mw`` is closed: such an hour hosts nothing to that resolution)."""
    lo, hi = cap.lo_mw[rows], cap.hi_mw[rows]
    return np.where(np.isfinite(hi), (hi - lo > tol * hi) & (hi > tol * top_mw), lo < top_mw)


def _next_size(cap: HourlyCapacity, top_mw: float) -> np.ndarray:
    """Next size of each bracket: the midpoint; the top for an open one; for a bracket still at
    zero, the smallest size any hour passed, when that lies inside it (the hours that bind
    cluster near the firm capacity, and a first step there usually halves the work)."""
    lo, hi = cap.lo_mw, cap.hi_mw
    passed = lo[(lo > 0) & (lo < top_mw)]
    guess = passed.min() if len(passed) else np.nan
    mid = np.where(np.isfinite(hi), 0.5 * (lo + hi), top_mw)
    use_guess = (lo == 0) & np.isfinite(hi) & (guess < hi)
    return np.where(use_guess, guess, mid)


def with_site_loads(
    case: StudyCase,
    inj: Injections,
    campus: int,
    buses: list[int],
    names: list[str],
    make_rule: Callable,
) -> tuple[StudyCase, Injections]:
    """The case with one more campus load (0 MW) at each of ``buses`` and campus ``campus`` taken
    off its own bus: the other campuses stay as background. The dispatch rule is rebuilt for the
    new loads by ``make_rule(network, net)``."""
    import pandapower as pp

    net = copy.deepcopy(case.net)
    first = len(net.load)
    for bus, name in zip(buses, names, strict=True):
        pp.create_load(net, bus=case.network.bus_index(bus), p_mw=0.0, q_mvar=0.0, name=name)
    cols = np.arange(first, len(net.load))
    pf = case.campus_power_factor[campus]
    site_case = dataclasses.replace(
        case,
        net=net,
        dispatch=make_rule(case.network, net),
        campus_names=[*case.campus_names, *names],
        campus_buses=[*case.campus_buses, *buses],
        campus_load_index=np.r_[case.campus_load_index, cols],
        campus_power_factor=np.r_[case.campus_power_factor, np.full(len(buses), pf)],
    )
    zeros = np.zeros((len(inj.hour), len(buses)))
    load_p = np.hstack([inj.load_p, zeros])
    load_q = np.hstack([inj.load_q, zeros])
    own = case.campus_load_index[campus]
    load_p[:, own] = load_q[:, own] = 0.0
    return site_case, dataclasses.replace(inj, load_p=load_p, load_q=load_q)


@dataclass(frozen=True)
class SiteResult:
    """One site and criterion: hourly capacities, and per budget the flexible capacity found
    from the lower brackets (``capacity``) and from the upper ones (``upper``)."""

    hourly: HourlyCapacity
    capacity: list
    upper: list


def site_capacities(
    hourly: HourlyCapacity,
    shape: np.ndarray,
    hours: np.ndarray,
    budgets: list[float],
    limits: FlexibilityLimits,
    top_mw: float,
) -> SiteResult:
    """Flexible capacity at each budget (fractions) from the hourly brackets."""
    hi = np.where(np.isfinite(hourly.hi_mw), hourly.hi_mw, np.inf)
    return SiteResult(
        hourly,
        [flexible_capacity(hourly.lo_mw, shape, hours, b, limits, top_mw) for b in budgets],
        [flexible_capacity(hi, shape, hours, b, limits, top_mw) for b in budgets],
    )

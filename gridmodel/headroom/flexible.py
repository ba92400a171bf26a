"""Flexible hosting capacity from hourly capacities: the largest campus whose curtailment, hour by
hour where the network binds, stays within a budget and the campus's flexibility limits.

A campus of peak ``L`` (MW) with hourly shape ``s_h`` (its profile over its peak, ``0 <= s_h <=
1``) is served in full in hour h while ``L <= x_h``, the hour's capacity (the campus peak at which
the hour's first new violation appears; the hour itself hosts ``x_h·s_h`` MW). The least
curtailment that keeps every hour within it is

    c_h = s_h·max(0, L - x_h)   (MW, each hour)

and no other schedule does better: curtailing more in some hour adds at least as much energy as
it can save on ramps (below). The campus of size ``L`` fits when, with ``n = floor(duration_h)``:

- **depth**: ``c_h <= depth·L·s_h`` in every hour, i.e. ``x_h >= (1 - depth)·L``;
- **duration**: every event (a run of consecutive curtailed hours) lasts at most ``n`` hours;
- **ramp**: each change of the curtailed power ramps linearly over ``ramp_s`` (at most 3,600 s,
  so a ramp fits in the hour next to the change, before a rise and after a fall: the binding
  hours themselves are curtailed in full), adding ``ramp_s/7,200 h × Σ|Δc|`` MWh (``c = 0``
  outside events and across hours not studied);
- **budget**: ``(Σ c_h·1 h + ramp energy) / (L·Σ s_h·1 h) <= budget``.

Each condition holds for every ``L`` below one that meets it (``c_h/L`` grows with ``L`` in
every hour, and with ``ramp_s <= 3,600 s`` the energy of a schedule grows with each of its
hours, ramps included), so the flexible hosting capacity is found by bisection on ``L``; with a
budget of 0 it is the firm hosting capacity ``min_h x_h``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmodel.schema import Flexibility

#: Longest ramp the hourly schedule can place in the hour next to a change (s).
MAX_RAMP_S = 3600.0


@dataclass(frozen=True)
class FlexibilityLimits:
    """Largest share of the hour's demand curtailed, longest event (whole hours), ramp (s)."""

    depth: float
    max_event_h: int
    ramp_s: float

    @classmethod
    def of(cls, flex: Flexibility) -> FlexibilityLimits:
        """The limits of a campus's flexibility: events of ``floor(duration_h)`` whole hours."""
        if flex.ramp_s > MAX_RAMP_S:
            raise ValueError(
                f"ramp_s {flex.ramp_s:g} s is longer than an hour; the hourly schedule places "
                f"each ramp in the hour next to a change (at most {MAX_RAMP_S:g} s)"
            )
        return cls(flex.depth, int(np.floor(flex.duration_h + 1e-9)), flex.ramp_s)


@dataclass(frozen=True)
class Schedule:
    """The least curtailment of a campus of peak ``mw``: per hour ``curtailed_mw``; the ramp
    energy (MWh); the curtailed share of the campus's energy (``rate``, ramps included); events
    and the longest (h); whether every hour stays within the depth limit."""

    mw: float
    curtailed_mw: np.ndarray
    ramp_mwh: float
    rate: float
    events: int
    longest_event_h: int
    within_depth: bool


def _runs(on: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Lengths of the runs of consecutive hours (consecutive hour numbers) where ``on``."""
    if not on.any():
        return np.zeros(0, int)
    idx = np.flatnonzero(on)
    breaks = np.flatnonzero(np.diff(hours[idx]) != 1)
    starts = np.r_[0, breaks + 1]
    ends = np.r_[breaks + 1, len(idx)]
    return ends - starts


def schedule(
    capacity_mw: np.ndarray, shape: np.ndarray, hours: np.ndarray, mw: float, limits
) -> Schedule:
    """The least curtailment of a campus of peak ``mw`` against the hourly capacities
    ``capacity_mw`` (``x_h``, campus-peak MW; ``inf`` = none found), see the module docstring."""
    c = shape * np.maximum(0.0, mw - capacity_mw)
    gaps = np.r_[True, np.diff(hours) != 1, True]
    padded = np.r_[0.0, c, 0.0]
    step = np.abs(np.diff(padded))
    # a gap in the hours studied ends one event and starts the next: both ramps count
    step = np.where(gaps, np.abs(padded[:-1]) + np.abs(padded[1:]), step)
    ramp_mwh = float(step.sum()) * limits.ramp_s / 7200.0
    energy = mw * float(shape.sum())
    runs = _runs(c > 0, hours)
    return Schedule(
        mw=float(mw),
        curtailed_mw=c,
        ramp_mwh=ramp_mwh,
        rate=(float(c.sum()) + ramp_mwh) / energy if energy > 0 else 0.0,
        events=len(runs),
        longest_event_h=int(runs.max()) if len(runs) else 0,
        within_depth=bool((c <= limits.depth * mw * shape * (1 + 1e-12) + 1e-9).all()),
    )


def failed_limits(sched: Schedule, budget: float, limits: FlexibilityLimits) -> list[str]:
    """The limits a schedule breaks: ``depth``, ``duration``, ``budget``."""
    failed = []
    if not sched.within_depth:
        failed.append("depth")
    if sched.longest_event_h > limits.max_event_h:
        failed.append("duration")
    if sched.rate > budget * (1 + 1e-12):
        failed.append("budget")
    return failed


@dataclass(frozen=True)
class FlexibleCapacity:
    """The largest campus peak (MW) that fits, its schedule, and what stops a larger one
    (``budget``, ``depth``, ``duration``, or ``search top``: none up to the search's top)."""

    mw: float
    schedule: Schedule
    limited_by: str


def flexible_capacity(
    capacity_mw: np.ndarray,
    shape: np.ndarray,
    hours: np.ndarray,
    budget: float,
    limits: FlexibilityLimits,
    top_mw: float,
) -> FlexibleCapacity:
    """Largest ``L <= top_mw`` whose least curtailment meets ``limits`` and ``budget`` (a
    fraction of the campus's energy); bisection to 1e-9 of ``L`` above the firm capacity."""
    live = shape > 0
    firm = float(min(np.min(capacity_mw[live], initial=np.inf), top_mw))

    def fails(mw: float) -> list[str]:
        return failed_limits(schedule(capacity_mw, shape, hours, mw, limits), budget, limits)

    if budget <= 0 or firm <= 0:
        lo = firm
    elif not fails(top_mw):
        lo = top_mw
    else:
        lo, hi = firm, top_mw
        while hi - lo > 1e-9 * hi:
            mid = 0.5 * (lo + hi)
            if fails(mid):
                hi = mid
            else:
                lo = mid
    if lo >= top_mw:
        limited_by = "search top"
    else:
        limited_by = "+".join(fails(lo * (1 + 1e-6) + 1e-9)) or "budget"
    return FlexibleCapacity(lo, schedule(capacity_mw, shape, hours, lo, limits), limited_by)

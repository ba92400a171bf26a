"""Curtailment events: the campus cuts IT power on the system's highest-load days."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridmodel.loads.signal import PiecewiseLinear
from gridmodel.schema import Flexibility


def curtailment_events(
    flex: Flexibility, system_load_mw: np.ndarray, campus_mw: float
) -> pd.DataFrame:
    """Events (start_s of full depth, duration_s, depth) on the days of highest system load.

    Each event is centred on its day's peak hour; events are added, highest day first, while the
    curtailed energy (depth x ``campus_mw`` x (duration + ramp)) fits the budget
    ``budget_fraction`` x ``campus_mw`` x hours.
    """
    hours = len(system_load_mw)
    budget_mwh = flex.budget_fraction * campus_mw * hours
    per_event_mwh = flex.depth * campus_mw * (flex.duration_h + flex.ramp_s / 3600.0)
    n_events = int(budget_mwh // per_event_mwh) if per_event_mwh > 0 else 0
    days = pd.Series(system_load_mw).groupby(np.arange(hours) // 24)
    peak_hour = days.idxmax()
    ranked = days.max().sort_values(ascending=False).index[:n_events]
    rows = []
    for day in sorted(ranked):
        centre_s = (peak_hour[day] + 0.5) * 3600.0
        start = centre_s - flex.duration_h * 1800.0
        start = min(max(start, flex.ramp_s), hours * 3600.0 - flex.duration_h * 3600 - flex.ramp_s)
        rows.append((start, flex.duration_h * 3600.0, flex.depth))
    return pd.DataFrame(rows, columns=["start_s", "duration_s", "depth"])


def curtailment_multiplier(
    events: pd.DataFrame, ramp_s: float, horizon_s: float
) -> PiecewiseLinear:
    """1 - depth during events (linear ramps of ``ramp_s`` either side), 1 elsewhere."""
    t, v = [0.0], [1.0]
    for start, duration, depth in events.itertuples(index=False):
        t += [start - ramp_s, start, start + duration, start + duration + ramp_s]
        v += [1.0, 1.0 - depth, 1.0 - depth, 1.0]
    t.append(max(horizon_s, t[-1]))
    v.append(1.0)
    return PiecewiseLinear(np.array(t), np.array(v))

"""Job lifecycle: when each training job runs, checkpoints, is interrupted and restarts.

The timeline is drawn once for the whole horizon from the scenario seed, at event level (never per
sample), so every resolution and every chunking of a profile sees the same events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from gridmodel.schema import Gpu, Lifecycle, Mitigation

DAY_S = 86400.0


@dataclass(frozen=True)
class Levels:
    """Per-GPU IT power (W) in each job state, and the transition-time rule."""

    run_w: float
    stall_w: float
    idle_w: float
    ramp_up_w_per_s: float | None
    ramp_down_w_per_s: float | None
    edge_s: float

    def ramp_s(self, before_w: float, after_w: float, nominal_s: float) -> float:
        """Transition time: the nominal time, stretched by the GPU ramp limits if slower."""
        rate = self.ramp_up_w_per_s if after_w > before_w else self.ramp_down_w_per_s
        limited = abs(after_w - before_w) / rate if rate else 0.0
        return max(nominal_s, limited, 1e-3)


def job_levels(gpu: Gpu, lifecycle: Lifecycle, mitigation: Mitigation, run_w: float, edge_s: float):
    floor_w = mitigation.gpu_smoothing.floor_frac * gpu.tdp_w if mitigation.gpu_smoothing else 0.0
    smoothing = mitigation.gpu_smoothing
    return Levels(
        run_w=run_w + gpu.other_it_w,
        stall_w=max(lifecycle.checkpoint_power_frac * gpu.tdp_w, floor_w) + gpu.other_it_w,
        idle_w=gpu.idle_frac * gpu.tdp_w + gpu.other_it_w,
        ramp_up_w_per_s=smoothing.ramp_up_w_per_s if smoothing else None,
        ramp_down_w_per_s=smoothing.ramp_down_w_per_s if smoothing else None,
        edge_s=edge_s,
    )


@dataclass
class JobTimeline:
    """One job over the horizon: run segments, power level (W per GPU) and swing envelope."""

    gpus: int
    seg_start: list[float] = field(default_factory=list)
    seg_end: list[float] = field(default_factory=list)
    level_t: list[float] = field(default_factory=list)
    level_w: list[float] = field(default_factory=list)
    env_t: list[float] = field(default_factory=list)
    env_v: list[float] = field(default_factory=list)
    events: list[tuple[float, str, float]] = field(default_factory=list)

    def _point(self, t: float, w: float) -> None:
        self.level_t.append(t)
        self.level_w.append(w)

    def leave(self, t: float, to_w: float, ramp_s: float, hold_until: float, kind: str) -> None:
        """End the running segment at t, ramp to ``to_w`` and hold it until ``hold_until``."""
        self.seg_end.append(t)
        self._point(t, self.level_w[-1])
        self._point(min(t + ramp_s, hold_until), to_w)
        self._point(hold_until, to_w)
        self.events.append((t, kind, hold_until - t))

    def resume(self, t: float, run_w: float, ramp_s: float) -> float:
        """Start a running segment at t with a ramp; returns when the ramp ends."""
        self.seg_start.append(t)
        self._point(t, self.level_w[-1])
        self._point(t + ramp_s, run_w)
        self.env_t += [t, t, t + ramp_s]
        self.env_v += [1.0, 0.0, 1.0]
        return t + ramp_s


def interruption_hazard_per_s(lifecycle: Lifecycle, gpus: int) -> float:
    """Hazard while the job is up such that interruptions per training day equal the rate × GPUs.

    With mean time to interrupt 1/λ and down time ``restart_s``, the renewal rate is
    1 / (1/λ + restart_s); solving for λ keeps the calendar rate at the calibrated value.
    """
    per_s = lifecycle.interruptions_per_gpu_day * gpus / DAY_S
    if per_s == 0:
        return 0.0
    mean_gap = 1 / per_s - lifecycle.restart_s
    if mean_gap <= 0:
        raise ValueError(
            f"lifecycle.interruptions_per_gpu_day x {gpus} GPUs leaves no time between "
            f"interruptions with restart_s = {lifecycle.restart_s} s"
        )
    return 1 / mean_gap


def job_timeline(
    gpus: int, lifecycle: Lifecycle, levels: Levels, horizon_s: float, rng: np.random.Generator
) -> JobTimeline:
    """Draw one job's lifecycle over [0, horizon_s]; the job is mid-campaign at t = 0."""
    job = JobTimeline(gpus)
    hazard = interruption_hazard_per_s(lifecycle, gpus)
    campaign_s = lifecycle.campaign_days * DAY_S
    end = horizon_s + 2 * DAY_S  # events past the horizon keep the last samples exact

    def next_interruption(t: float) -> float:
        return t + rng.exponential(1 / hazard) if hazard > 0 else np.inf

    job._point(0.0, levels.run_w)
    job.seg_start.append(0.0)
    job.env_t += [0.0]
    job.env_v += [1.0]
    t = 0.0
    campaign_end = rng.uniform(0, campaign_s)
    next_ckpt = rng.uniform(0, lifecycle.checkpoint_interval_s)
    next_int = next_interruption(0.0)
    while t < end:
        first = min(next_ckpt, next_int, campaign_end)
        when = max(first, t)  # an event due during a stall or restart waits for the job
        if first == campaign_end:
            down = levels.ramp_s(levels.run_w, levels.idle_w, lifecycle.planned_ramp_down_s)
            back = when + down + lifecycle.campaign_gap_h * 3600.0
            job.leave(when, levels.idle_w, down, back, "campaign_end")
            up = levels.ramp_s(levels.idle_w, levels.run_w, lifecycle.planned_ramp_up_s)
            t = job.resume(back, levels.run_w, up)
            job.events.append((back, "campaign_start", up))
            campaign_end = back + campaign_s
            next_ckpt = t + lifecycle.checkpoint_interval_s
            next_int = next_interruption(t)
        elif first == next_int:
            planned = rng.uniform() < lifecycle.planned_share
            nominal_down = lifecycle.planned_ramp_down_s if planned else levels.edge_s
            nominal_up = lifecycle.planned_ramp_up_s if planned else levels.edge_s
            down = levels.ramp_s(levels.run_w, levels.idle_w, nominal_down)
            back = when + max(lifecycle.restart_s, down)
            kind = "planned_interruption" if planned else "interruption"
            job.leave(when, levels.idle_w, down, back, kind)
            t = job.resume(
                back, levels.run_w, levels.ramp_s(levels.idle_w, levels.run_w, nominal_up)
            )
            next_ckpt = t + lifecycle.checkpoint_interval_s
            next_int = next_interruption(back)
        else:
            down = levels.ramp_s(levels.run_w, levels.stall_w, levels.edge_s)
            back = when + max(lifecycle.checkpoint_stall_s, down)
            job.leave(when, levels.stall_w, down, back, "checkpoint")
            t = job.resume(
                back, levels.run_w, levels.ramp_s(levels.stall_w, levels.run_w, levels.edge_s)
            )
            next_ckpt = when + lifecycle.checkpoint_interval_s
    job.seg_end.append(np.inf)  # the loop always ends with a resumed segment
    return job


def events_table(jobs: list[JobTimeline], horizon_s: float) -> pd.DataFrame:
    """All lifecycle events within the horizon: time_s, job, kind, duration_s."""
    rows = [
        (t, j, kind, duration)
        for j, job in enumerate(jobs)
        for t, kind, duration in job.events
        if t < horizon_s
    ]
    frame = pd.DataFrame(rows, columns=["time_s", "job", "kind", "duration_s"])
    return frame.sort_values(["time_s", "job"], ignore_index=True)

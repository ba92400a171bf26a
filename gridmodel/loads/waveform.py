"""The power of one GPU over one training iteration, after mitigation.

An iteration is a compute phase near TDP and a communication phase at a fraction of it, joined by
linear edges. Mitigation reshapes it: a power floor or a software burner lifts the communication
phase, ramp limits (with hysteresis) slow the edges, and storage supplies the part of the swing
above a cut-off frequency. The result is a periodic piecewise-linear shape in W per GPU over the
iteration fraction x in [0, 1]; its mean is the job's running power and its zero-mean part is the
swing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmodel.schema import Gpu, GpuSmoothing, Mitigation, StorageSmoothing, Waveform

SAMPLES_PER_ITERATION = 2000  # resolution of numerically reshaped iterations (3 ms at 6 s)


@dataclass(frozen=True)
class IterationShape:
    """Power of one GPU (W) at iteration fractions ``x`` (0 … 1); ``period_s`` nominal."""

    x: np.ndarray
    p_w: np.ndarray
    period_s: float
    storage_cutoff_hz: float | None = None
    storage_loss_w: float = 0.0

    @property
    def mean_w(self) -> float:
        """Mean power over the iteration (W), storage losses included."""
        return float(np.sum(np.diff(self.x) * 0.5 * (self.p_w[1:] + self.p_w[:-1])))

    @property
    def swing_w(self) -> np.ndarray:
        """Zero-mean part of the shape (W)."""
        return self.p_w - self.mean_w

    @property
    def swing_integral(self) -> np.ndarray:
        """Integral of the swing from x = 0 to each breakpoint (W x iteration fraction)."""
        w = self.swing_w
        return np.concatenate([[0.0], np.cumsum(np.diff(self.x) * 0.5 * (w[1:] + w[:-1]))])

    @property
    def peak_to_peak_w(self) -> float:
        return float(self.p_w.max() - self.p_w.min())


def raw_shape(gpu: Gpu, waveform: Waveform) -> tuple[np.ndarray, np.ndarray]:
    """Trapezoid: rise at x = 0, compute until ``duty``, fall, communicate until 1 (W per GPU)."""
    high, low = gpu.compute_frac * gpu.tdp_w, gpu.comm_frac * gpu.tdp_w
    e, d = waveform.edge_s / waveform.period_s, waveform.duty
    x = np.array([0.0, e, d, d + e, 1.0])
    return x, np.array([low, high, high, low, low])


def _sampled(x: np.ndarray, p: np.ndarray, n: int) -> np.ndarray:
    return np.interp(np.arange(n) / n, x, p)


def rate_limited(target: np.ndarray, dt_s: float, smoothing: GpuSmoothing) -> np.ndarray:
    """Periodic steady state of the NVML ramp controller following ``target`` (W, sampled).

    Rises are limited to ``ramp_up_w_per_s``; falls wait ``ramp_down_hysteresis_s`` of lower demand
    and are then limited to ``ramp_down_w_per_s``.
    """
    up = (smoothing.ramp_up_w_per_s or np.inf) * dt_s
    down = (smoothing.ramp_down_w_per_s or np.inf) * dt_s
    hold = smoothing.ramp_down_hysteresis_s
    n = len(target)
    y = np.empty(n)
    level, below_s = float(target[0]), 0.0
    for _ in range(4):  # a few periods reach the periodic steady state
        for i in range(n):
            u = target[i]
            if u >= level:
                below_s = 0.0
                level = min(u, level + up)
            else:
                below_s += dt_s
                if below_s > hold:
                    level = max(u, level - down)
            y[i] = level
    return y


def high_pass_split(
    p: np.ndarray, period_s: float, storage: StorageSmoothing, power_w: float, energy_j: float
) -> tuple[np.ndarray, float, float]:
    """Grid-side shape, the cut-off used (Hz) and storage losses (W) for a store per GPU.

    The store supplies the high-pass part of the periodic swing, clipped to its power; when the
    state-of-charge swing exceeds its energy the cut-off is raised until it fits.
    """
    n = len(p)
    dt = period_s / n
    freqs = np.fft.rfftfreq(n, dt)
    spectrum = np.fft.rfft(p - p.mean())

    def store_output(cutoff_hz: float) -> np.ndarray:
        hp = np.fft.irfft(spectrum * (1j * freqs / cutoff_hz) / (1 + 1j * freqs / cutoff_hz), n)
        b = np.clip(hp, -power_w, power_w)
        return b - b.mean()

    def fits(cutoff_hz: float) -> bool:
        soc = np.cumsum(store_output(cutoff_hz)) * dt
        return soc.max() - soc.min() <= energy_j

    cutoff = storage.cutoff_hz
    if not fits(cutoff):
        lo, hi = cutoff, cutoff
        while not fits(hi):
            lo, hi = hi, hi * 2
            if hi > 1e4 / period_s:
                break
        for _ in range(40):
            mid = np.sqrt(lo * hi)
            lo, hi = (lo, mid) if fits(mid) else (mid, hi)
        cutoff = hi
    b = store_output(cutoff)
    loss_w = float(np.mean(np.clip(b, 0, None))) * (1 / storage.round_trip_efficiency - 1)
    return p - b + loss_w, float(cutoff), loss_w


def iteration_shape(
    gpu: Gpu,
    waveform: Waveform,
    mitigation: Mitigation,
    storage_w_per_gpu: float = 0.0,
    storage_j_per_gpu: float = 0.0,
) -> IterationShape:
    """Grid-side iteration shape of one GPU after the scenario's mitigation."""
    x, p = raw_shape(gpu, waveform)
    period = waveform.period_s
    floor_w = 0.0
    if mitigation.gpu_smoothing is not None:
        floor_w = mitigation.gpu_smoothing.floor_frac * gpu.tdp_w
    if mitigation.power_burn is not None:
        floor_w = max(floor_w, mitigation.power_burn.target_frac * gpu.tdp_w)
        period *= 1 + mitigation.power_burn.slowdown
    p = np.maximum(p, floor_w)
    smoothing = mitigation.gpu_smoothing
    ramped = smoothing is not None and (
        smoothing.ramp_up_w_per_s or smoothing.ramp_down_w_per_s or smoothing.ramp_down_hysteresis_s
    )
    if not ramped and mitigation.storage is None:
        return IterationShape(x, p, period)
    n = SAMPLES_PER_ITERATION
    sampled = _sampled(x, p, n)
    if ramped:
        sampled = rate_limited(sampled, period / n, smoothing)
    cutoff, loss_w = None, 0.0
    if mitigation.storage is not None and storage_w_per_gpu > 0:
        sampled, cutoff, loss_w = high_pass_split(
            sampled, period, mitigation.storage, storage_w_per_gpu, storage_j_per_gpu
        )
    xs = np.arange(n + 1) / n
    return IterationShape(xs, np.append(sampled, sampled[0]), period, cutoff, loss_w)

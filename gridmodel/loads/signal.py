"""Piecewise-linear signals of time with exact integrals and an exact first-order lag.

A signal is given by breakpoints ``t`` (s, non-decreasing; a repeated time is a step) and values
``v``; it is linear between breakpoints and constant outside them. Integrals over any interval are
exact, so bin means at every resolution come from one function and aggregate without loss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@njit(cache=True)
def _value(t, v, j, x):
    """Value on segment j (t[j] <= x <= t[j+1]) at x."""
    if j < 0:
        return v[0]
    if j >= len(t) - 1:
        return v[-1]
    span = t[j + 1] - t[j]
    if span <= 0.0:
        return v[j + 1]
    return v[j] + (v[j + 1] - v[j]) * (x - t[j]) / span


@njit(cache=True)
def _integrals(t, v, edges, out):
    """out[i] = integral of the signal from edges[0] to edges[i] (edges sorted)."""
    n = len(edges)
    if n == 0:
        return out
    out[0] = 0.0
    last = len(t) - 1
    j = np.searchsorted(t, edges[0], side="right") - 1  # t[j] <= x < t[j+1]; -1 before t[0]
    x = edges[0]
    acc = 0.0
    for i in range(1, n):
        target = edges[i]
        while True:
            nxt = t[j + 1] if j < last else np.inf
            stop = min(nxt, target)
            if stop > x:
                acc += (stop - x) * 0.5 * (_value(t, v, j, x) + _value(t, v, j, stop))
                x = stop
            if j < last and nxt <= target:
                j += 1
            else:
                break
        out[i] = acc
    return out


@njit(cache=True)
def _lag_at_breakpoints(t, v, tau):
    """First-order lag y' = (x - y)/tau of the signal, exactly at each breakpoint (y0 = x0)."""
    n = len(t)
    y = np.empty(n)
    y[0] = v[0]
    for j in range(n - 1):
        h = t[j + 1] - t[j]
        if h <= 0.0:
            y[j + 1] = y[j]
            continue
        s = (v[j + 1] - v[j]) / h
        decay = np.exp(-h / tau)
        y[j + 1] = v[j + 1] - s * tau + (y[j] - v[j] + s * tau) * decay
    return y


@njit(cache=True)
def _lag_at(t, v, y, tau, edges, out):
    """Lag output at sorted ``edges`` (into ``out``) from its values ``y`` at the breakpoints."""
    last = len(t) - 1
    j = np.searchsorted(t, edges[0], side="right") - 1
    seg = -2  # segment of the cached decay factor
    h_prev, decay, step_prev, factor = 0.0, 1.0, -1.0, 1.0
    for i in range(len(edges)):
        x = edges[i]
        while j < last and t[j + 1] <= x:
            j += 1
        if j < 0:
            out[i] = v[0]
            continue
        h = x - t[j]
        # exp(-h/τ) by recurrence along a segment; exact again every 1024 samples
        step = h - h_prev
        if seg != j or step < 0.0 or (i & 1023) == 0:
            decay = np.exp(-h / tau)
        else:
            if abs(step - step_prev) > 1e-9:
                step_prev = step
                factor = np.exp(-step / tau)
            decay *= factor
        seg, h_prev = j, h
        if j == last:
            out[i] = v[-1] + (y[-1] - v[-1]) * decay
            continue
        span = t[j + 1] - t[j]
        s = (v[j + 1] - v[j]) / span if span > 0.0 else 0.0
        out[i] = v[j] + s * h - s * tau + (y[j] - v[j] + s * tau) * decay
    return out


@dataclass(frozen=True)
class PiecewiseLinear:
    """A signal ``f(t)``: breakpoint times ``t`` (s) and values ``v`` (any unit, e.g. MW)."""

    t: np.ndarray
    v: np.ndarray

    @staticmethod
    def constant(value: float, start_s: float, end_s: float) -> PiecewiseLinear:
        return PiecewiseLinear(np.array([start_s, end_s], float), np.array([value, value], float))

    def __post_init__(self) -> None:
        if len(self.t) != len(self.v) or len(self.t) == 0:
            raise ValueError("a signal needs as many values as breakpoints, at least one")
        if np.any(np.diff(self.t) < 0):
            raise ValueError("signal breakpoints must be in time order")

    def at(self, x: np.ndarray, side: str = "right") -> np.ndarray:
        """Values at times ``x``; at a step, ``side='left'`` gives the value before it."""
        x = np.asarray(x, float)
        j = np.searchsorted(self.t, x, side=side) - 1
        j = np.clip(j, -1, len(self.t) - 1)
        lo = np.clip(j, 0, len(self.t) - 1)
        hi = np.clip(j + 1, 0, len(self.t) - 1)
        span = self.t[hi] - self.t[lo]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(span > 0, (x - self.t[lo]) / np.where(span > 0, span, 1.0), 1.0)
        out = self.v[lo] + (self.v[hi] - self.v[lo]) * np.clip(frac, 0.0, 1.0)
        out = np.where(j < 0, self.v[0], out)
        return np.where(j >= len(self.t) - 1, self.v[-1], out)

    def integrals(self, edges: np.ndarray) -> np.ndarray:
        """Integral from ``edges[0]`` to each edge (unit·s); ``edges`` sorted."""
        edges = np.ascontiguousarray(edges, dtype=float)
        return _integrals(self.t, self.v, edges, np.empty(len(edges)))

    def lagged(self, tau_s: float, edges: np.ndarray) -> np.ndarray:
        """Output of the lag ``tau_s·y' = f - y`` at the edges, started in steady state."""
        y = _lag_at_breakpoints(self.t, self.v, tau_s)
        edges = np.ascontiguousarray(edges, dtype=float)
        return _lag_at(self.t, self.v, y, tau_s, edges, np.empty(len(edges)))


def combine(signals: list[PiecewiseLinear], op=np.add) -> PiecewiseLinear:
    """Apply ``op`` (e.g. ``np.add``, ``np.multiply``) pointwise on the merged breakpoints.

    Sums are exact; a product of two sloped pieces is replaced by its linear interpolant between
    merged breakpoints, which then *is* the model signal (every resolution integrates it alike).
    """
    times = np.unique(np.concatenate([s.t for s in signals]))
    left = [s.at(times, side="left") for s in signals]
    right = [s.at(times, side="right") for s in signals]
    vl = left[0]
    vr = right[0]
    for a, b in zip(left[1:], right[1:], strict=True):
        vl, vr = op(vl, a), op(vr, b)
    step = vl != vr
    t = np.repeat(times, np.where(step, 2, 1))
    v = np.empty(len(t))
    pos = np.cumsum(np.where(step, 2, 1)) - np.where(step, 2, 1)
    v[pos] = np.where(step, vl, vr)
    v[pos[step] + 1] = vr[step]
    return PiecewiseLinear(t, v)

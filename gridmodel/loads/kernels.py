"""Compiled inner loops: counter-based random numbers, swing and fluctuation integrals.

Random numbers come from a hash of (key, a, b) rather than a sequential generator, so any
iteration or second can be drawn on its own: a profile evaluated in chunks, or at any resolution,
sees the same draws.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from gridmodel.loads.signal import _value

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_LOW_16 = np.uint64(0xFFFF)


@njit(cache=True)
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def _bits(key, a, b):
    """64 random bits, draw number (a, b) of stream ``key`` (splitmix64 finaliser)."""
    z = _mix(np.uint64(key) + np.uint64(a) * _GOLDEN)
    return _mix(z + np.uint64(b) * _GOLDEN + np.uint64(1))


@njit(cache=True)
def uniform(key, a, b):
    """Uniform [0, 1) draw number (a, b) of stream ``key``."""
    return float(_bits(key, a, b) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _normal_block(key, b, out):
    """Unit-variance draws for block ``b`` into ``out``, one hash each: the sum of the four
    16-bit uniforms in the hash (Irwin-Hall), centred and scaled by sqrt(3). Near-normal, and
    bounded at ±2·sqrt(3) standard deviations, as a physical fluctuation is."""
    scale = np.sqrt(3.0) / 65536.0
    for m in range(len(out)):
        z = _bits(key, b, m)
        total = (
            float(z & _LOW_16)
            + float((z >> np.uint64(16)) & _LOW_16)
            + float((z >> np.uint64(32)) & _LOW_16)
            + float(z >> np.uint64(48))
        )
        out[m] = (total + 2.0 - 131072.0) * scale
    return out


@njit(cache=True)
def _start(seg_start, s, k, period, jitter_s, key):
    """Start of iteration k of run segment s: nominal grid plus a straggler delay."""
    if k <= 0:
        return seg_start + k * period
    return seg_start + k * period + jitter_s * uniform(key, s, k)


@njit(cache=True)
def _shape_integral(x, w, big_w, tau):
    """Integral of the piecewise-linear shape (x, w) from 0 to ``tau`` (a handful of points,
    so a linear scan)."""
    i = 0
    last = len(x) - 2
    while i < last and x[i + 1] <= tau:
        i += 1
    h = tau - x[i]
    span = x[i + 1] - x[i]
    slope = (w[i + 1] - w[i]) / span if span > 0.0 else 0.0
    return big_w[i] + h * (w[i] + 0.5 * slope * h)


@njit(cache=True)
def swing_integrals(
    edges, seg_start, seg_end, period, jitter_s, key, env_t, env_v, x, w, big_w, out
):
    """Integral of a job's swing from edges[0] to each edge (MW·s).

    Within run segment s, iteration k spans [t_k, t_k+1) and contributes
    a(t_k)·(t_k+1 - t_k)·∫ w over the elapsed fraction, with ``w`` the zero-mean shape; complete
    iterations contribute nothing, so only the iteration under each edge and the truncated last
    iteration of each segment are evaluated. Adds into ``out``.
    """
    n = len(edges)
    nseg = len(seg_start)
    s = np.searchsorted(seg_end, edges[0], side="right")
    cache_s = -1
    t_k, span_k, a_k = 0.0, 1.0, 0.0
    j_env, last_env = -1, len(env_t) - 1
    acc = 0.0
    for i in range(n):
        e = edges[i]
        while s < nseg and seg_end[s] <= e:
            acc += _iteration_integral(
                seg_end[s], seg_start[s], s, period, jitter_s, key, env_t, env_v, x, w, big_w
            )
            s += 1
        g = 0.0
        if s < nseg and seg_start[s] <= e:
            if s != cache_s or not (t_k <= e < t_k + span_k):
                t_k, span_k = _iteration(e, seg_start[s], s, period, jitter_s, key)
                if j_env < 0 or t_k < env_t[j_env]:
                    j_env = np.searchsorted(env_t, t_k, side="right") - 1
                while j_env < last_env and env_t[j_env + 1] <= t_k:
                    j_env += 1
                a_k = _value(env_t, env_v, j_env, t_k)
                cache_s = s
            g = a_k * span_k * _shape_integral(x, w, big_w, (e - t_k) / span_k)
        if i == 0:
            acc = -g
        out[i] += acc + g
    return out


@njit(cache=True)
def _iteration(t, seg_start, s, period, jitter_s, key):
    """Start and length of the iteration of segment s under time t."""
    k = int(np.floor((t - seg_start) / period))
    tk = _start(seg_start, s, k, period, jitter_s, key)
    if t < tk:
        k -= 1
        tk = _start(seg_start, s, k, period, jitter_s, key)
    return tk, _start(seg_start, s, k + 1, period, jitter_s, key) - tk


@njit(cache=True)
def _iteration_integral(t, seg_start, s, period, jitter_s, key, env_t, env_v, x, w, big_w):
    """Swing integral from the start of the iteration under t to t (MW·s)."""
    tk, span = _iteration(t, seg_start, s, period, jitter_s, key)
    a = _value(env_t, env_v, np.searchsorted(env_t, tk, side="right") - 1, tk)
    return a * span * _shape_integral(x, w, big_w, (t - tk) / span)


@njit(cache=True)
def fluctuation_integrals(edges, key, step_s, steps_per_block, scale, out):
    """Integral of a unit fluctuation from edges[0] to each edge (s·unit).

    The fluctuation is piecewise constant on steps of ``step_s``, of unit variance
    (:func:`_normal_block`), and each block of ``steps_per_block`` steps is shifted to sum to
    zero, so a block always integrates to nothing. Adds ``scale`` times the integral into
    ``out``. Edges are taken block by block: draw the block, then integrate to every edge in it.
    """
    n = len(edges)
    if n == 0:
        return out
    block_len = step_s * steps_per_block
    cum = np.zeros(steps_per_block + 1)
    zb = np.zeros(steps_per_block)
    base = 0.0
    i = 0
    while i < n:
        b = int(np.floor(edges[i] / block_len))
        block_end = (b + 1) * block_len
        stop = i + np.searchsorted(edges[i:], block_end, side="left")
        _normal_block(key, b, zb)
        zb -= zb.mean()
        for m in range(steps_per_block):
            cum[m + 1] = cum[m] + zb[m] * step_s
        if i == 0:  # integrals count from edges[0]
            offset = edges[0] - b * block_len
            m = min(int(offset / step_s), steps_per_block - 1)
            base = cum[m] + (offset - m * step_s) * zb[m]
        _block_integrals(edges, i, stop, b * block_len, step_s, cum, zb, scale, base, out)
        i = stop
    return out


@njit(cache=True)
def _block_integrals(edges, start, stop, block_start, step_s, cum, zb, scale, base, out):
    """Add ``scale`` × (integral from the block start to each edge − ``base``) into ``out``."""
    last = len(zb) - 1
    for i in range(start, stop):
        offset = edges[i] - block_start
        m = min(int(offset / step_s), last)
        out[i] += scale * (cum[m] + (offset - m * step_s) * zb[m] - base)

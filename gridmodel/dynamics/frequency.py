"""Aggregated system frequency response to a sudden power imbalance, vectorised over events.

The low-order model of Anderson and Mirheydar (IEEE Trans. Power Systems 5(3), 1990), in MW:

    (2 H / f0) dΔf/dt = ΔPm - ΔPe - D Δf
    governor:   dx_g/dt  = (clip(-K Δf, -reserve_down, reserve_up) - x_g) / T_g
    reheat:     dx_rh/dt = (x_g - x_rh) / T_rh,       ΔPm = F_hp x_g + (1 - F_hp) x_rh

with H the stored kinetic energy (MW·s), D = load damping (MW/Hz), K = governor MW / (droop f0)
(MW/Hz); each governor block saturates at its own reserve. ΔPe is the event: minus the MW of load lost (frequency rises), plus the MW of generation
tripped (frequency falls), less the load shed by under-frequency relays. Closed forms: initial
RoCoF = -ΔP f0 / (2 H); settling deviation = -ΔP / (D + K) while the governors are not limited.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from numba import njit

SYSTEMS = Path(__file__).with_name("systems.csv")


@dataclass(frozen=True)
class SystemFrequency:
    """Aggregated frequency-response parameters of an interconnection (MW, s, Hz)."""

    name: str
    f0_hz: float
    inertia_mws: float
    load_mw: float
    load_damping_pct_per_pct: float
    droop: float
    governor_mw: float
    reserve_up_mw: float
    reserve_down_mw: float
    governor_s: float
    hp_fraction: float
    reheat_s: float
    ufls_hz: tuple[float, ...] = ()
    ufls_cumulative_shed: tuple[float, ...] = ()
    #: per-unit governors (gain MW/Hz, reserve up MW, reserve down MW); empty = one block
    #: from ``governor_mw``, ``droop`` and the reserves
    governor_blocks: tuple[tuple[float, float, float], ...] = ()

    @property
    def damping_mw_per_hz(self) -> float:
        """D: load change per Hz (MW/Hz) from the load's % change per % frequency change."""
        return self.load_damping_pct_per_pct * self.load_mw / self.f0_hz

    @property
    def governor_mw_per_hz(self) -> float:
        """K: governor response per Hz of deviation (MW/Hz), all units within their limits."""
        if self.governor_blocks:
            return float(sum(b[0] for b in self.governor_blocks))
        return self.governor_mw / (self.droop * self.f0_hz)

    def blocks(self) -> np.ndarray:
        """Governor blocks as an array (block, [gain MW/Hz, reserve up MW, reserve down MW])."""
        if self.governor_blocks:
            return np.asarray(self.governor_blocks, float)
        return np.array([[self.governor_mw_per_hz, self.reserve_up_mw, self.reserve_down_mw]])


@cache
def system_table() -> pd.DataFrame:
    """``systems.csv``: parameter sets with their sources."""
    return pd.read_csv(SYSTEMS).set_index("system")


def system(name: str, **overrides) -> SystemFrequency:
    """Parameter set ``name`` from ``systems.csv`` with ``overrides``."""
    table = system_table()
    if name not in table.index:
        raise ValueError(f"unknown system '{name}' (known: {', '.join(table.index)})")
    row = table.loc[name]
    scalars = [k for k in SystemFrequency.__dataclass_fields__ if k in row.index and k != "ufls_hz"]
    scalars = [k for k in scalars if k != "ufls_cumulative_shed"]
    params = SystemFrequency(
        name=name,
        inertia_mws=1000.0 * float(row.inertia_gws),
        **{k: float(row[k]) for k in scalars},
        ufls_hz=tuple(float(x) for x in str(row.ufls_hz).split()),
        ufls_cumulative_shed=tuple(float(x) for x in str(row.ufls_cumulative_shed).split()),
    )
    return replace(params, **overrides)


@njit(cache=True)
def _integrate(dp, n_t, dt, f0, h2, d, blocks, a_g, a_r, f_hp, stages, step_shed):
    n = len(dp)
    freq = np.empty((n, n_t))
    p_mech = np.empty((n, n_t))
    shed = np.empty((n, n_t))
    for e in range(n):
        df = 0.0
        x_g = 0.0
        x_r = 0.0
        shed_mw = 0.0
        tripped = np.zeros(len(stages), np.bool_)
        for i in range(n_t):
            freq[e, i] = f0 + df
            pm = f_hp * x_g + (1.0 - f_hp) * x_r
            p_mech[e, i] = pm
            for s in range(len(stages)):
                if not tripped[s] and f0 + df < stages[s]:
                    tripped[s] = True
                    shed_mw += step_shed[s]
            shed[e, i] = shed_mw
            # semi-implicit step: the lags advance exactly for a held input
            df = df + dt * f0 * (pm - (dp[e] - shed_mw) - d * df) / h2
            target = 0.0
            for b in range(blocks.shape[0]):
                target += min(max(-blocks[b, 0] * df, -blocks[b, 2]), blocks[b, 1])
            x_g = target + (x_g - target) * a_g
            x_r = x_g + (x_r - x_g) * a_r
    return freq, p_mech, shed


def simulate(
    params: SystemFrequency,
    imbalance_mw: np.ndarray,
    t_end_s: float = 30.0,
    dt_s: float = 0.005,
) -> xr.Dataset:
    """Frequency of each event (dim ``event``) over time.

    ``imbalance_mw``: ΔPe at t = 0+ per event: negative for load lost, positive for generation
    tripped (MW). Returns ``f_hz`` (event, time), the governor response ``p_mech_mw`` and the load
    shed by UFLS ``ufls_shed_mw``.
    """
    dp = np.atleast_1d(np.asarray(imbalance_mw, float))
    n_t = int(round(t_end_s / dt_s)) + 1
    step_shed = np.diff(np.concatenate([[0.0], params.ufls_cumulative_shed])) * params.load_mw
    freq, p_mech, shed = _integrate(
        dp,
        n_t,
        dt_s,
        params.f0_hz,
        2.0 * params.inertia_mws,
        params.damping_mw_per_hz,
        params.blocks(),
        np.exp(-dt_s / params.governor_s),
        np.exp(-dt_s / params.reheat_s),
        params.hp_fraction,
        np.asarray(params.ufls_hz, float),
        step_shed.astype(float),
    )
    time = np.arange(n_t) * dt_s
    return xr.Dataset(
        {
            "f_hz": (("event", "time"), freq, {"units": "Hz"}),
            "p_mech_mw": (("event", "time"), p_mech, {"units": "MW"}),
            "ufls_shed_mw": (("event", "time"), shed, {"units": "MW"}),
            "imbalance_mw": ("event", dp, {"units": "MW"}),
        },
        coords={"time": ("time", time, {"units": "s"})},
        attrs={"system": params.name, "f0_hz": params.f0_hz, "inertia_mws": params.inertia_mws},
    )


def metrics(ds: xr.Dataset, thresholds_hz: dict[str, float]) -> xr.Dataset:
    """Nadir, zenith and their times, initial RoCoF, settling frequency, time to each threshold.

    RoCoF is the mean rate over the first 100 ms (the window ERCOT-style relays measure over);
    settling frequency is the mean of the last 2 s; a threshold is reached when the frequency
    crosses it in the direction away from nominal (NaN: never).
    """
    f = ds.f_hz.to_numpy()
    t = ds.time.to_numpy()
    f0 = float(ds.attrs["f0_hz"])
    k100 = int(np.searchsorted(t, 0.1))
    tail = t >= t[-1] - 2.0
    out = {
        "nadir_hz": ("event", f.min(axis=1)),
        "nadir_s": ("event", t[f.argmin(axis=1)]),
        "zenith_hz": ("event", f.max(axis=1)),
        "zenith_s": ("event", t[f.argmax(axis=1)]),
        "rocof_hz_per_s": ("event", (f[:, k100] - f[:, 0]) / t[k100]),
        "settling_hz": ("event", f[:, tail].mean(axis=1)),
        "ufls_shed_mw": ("event", ds.ufls_shed_mw.to_numpy()[:, -1]),
    }
    for name, level in thresholds_hz.items():
        crossed = f < level if level < f0 else f > level
        first = np.where(crossed.any(axis=1), t[crossed.argmax(axis=1)], np.nan)
        out[f"time_to_{name}_s"] = ("event", first)
    return xr.Dataset(out, coords={"event": ds.event} if "event" in ds.coords else None)

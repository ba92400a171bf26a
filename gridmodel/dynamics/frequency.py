"""Aggregated system frequency response to a sudden power imbalance, vectorised over events.

The low-order model of Anderson and Mirheydar (IEEE Trans. Power Systems 5(3), 1990), in MW:

    (2 H / f0) dΔf/dt = ΔPm - ΔPe - D Δf
    governor:   dx_g/dt  = (clip(-K Δf, -reserve_down, reserve_up) - x_g) / T_g
    reheat:     dx_rh/dt = (x_g - x_rh) / T_rh,       ΔPm = F_hp x_g + (1 - F_hp) x_rh

with H the stored kinetic energy (MW·s), D = load damping (MW/Hz), K = governor MW / (droop f0)
(MW/Hz); each governor block saturates at its own reserve. ΔPe is the event: minus the MW of load lost (frequency rises), plus the MW of generation
tripped (frequency falls), less the load shed by under-frequency relays, plus the generation
tripped by over-frequency relays; it may vary in time (a cascade of campus trips, a reconnection
ramp). Closed forms: initial
RoCoF = -ΔP f0 / (2 H); settling deviation = -ΔP / (D + K) while the governors are not limited.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import numpy as np
import pandas as pd
import xarray as xr
from numba import njit

from gridmodel.schema.events import SYSTEMS


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
    #: over-frequency generator trip stages (Hz) and cumulative generation tripped (share of load)
    oft_hz: tuple[float, ...] = ()
    oft_cumulative_trip: tuple[float, ...] = ()
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

    def relays(self) -> pd.DataFrame:
        """Relay stages: name, set point (Hz) and the net-load change when they act (MW).

        Under-frequency load shedding removes load (negative change); over-frequency generator
        tripping removes generation, which acts on the balance like added load (positive).
        """
        ufls = -np.diff([0.0, *self.ufls_cumulative_shed]) * self.load_mw
        oft = np.diff([0.0, *self.oft_cumulative_trip]) * self.load_mw
        return pd.DataFrame(
            {
                "relay": [f"UFLS {hz:.1f} Hz" for hz in self.ufls_hz]
                + [f"OF trip {hz:.1f} Hz" for hz in self.oft_hz],
                "hz": [*self.ufls_hz, *self.oft_hz],
                "delta_load_mw": [*ufls, *oft],
            }
        )


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
    stages = ("ufls_hz", "ufls_cumulative_shed", "oft_hz", "oft_cumulative_trip")
    fields = [k for k in SystemFrequency.__dataclass_fields__ if k in row.index]
    params = SystemFrequency(
        name=name,
        inertia_mws=1000.0 * float(row.inertia_gws),
        **{k: float(row[k]) for k in fields if k not in stages},
        **{k: tuple(float(x) for x in str(row[k]).split()) for k in stages},
    )
    return replace(params, **overrides)


@njit(cache=True)
def _integrate(dp, dt, f0, h2, d, blocks, a_g, a_r, f_hp, stage_hz, stage_mw):
    n, n_t = dp.shape
    freq = np.empty((n, n_t))
    p_mech = np.empty((n, n_t))
    relay_mw = np.empty((n, n_t))
    acted_s = np.full((n, len(stage_hz)), np.nan)
    for e in range(n):
        df = 0.0
        x_g = 0.0
        x_r = 0.0
        relays = 0.0
        for i in range(n_t):
            freq[e, i] = f0 + df
            pm = f_hp * x_g + (1.0 - f_hp) * x_r
            p_mech[e, i] = pm
            for s in range(len(stage_hz)):
                if np.isnan(acted_s[e, s]):
                    below = stage_hz[s] < f0
                    if (below and f0 + df < stage_hz[s]) or (not below and f0 + df > stage_hz[s]):
                        acted_s[e, s] = i * dt
                        relays += stage_mw[s]
            relay_mw[e, i] = relays
            # semi-implicit step: the lags advance exactly for a held input
            df = df + dt * f0 * (pm - (dp[e, i] + relays) - d * df) / h2
            target = 0.0
            for b in range(blocks.shape[0]):
                target += min(max(-blocks[b, 0] * df, -blocks[b, 2]), blocks[b, 1])
            x_g = target + (x_g - target) * a_g
            x_r = x_g + (x_r - x_g) * a_r
    return freq, p_mech, relay_mw, acted_s


def simulate(
    params: SystemFrequency,
    imbalance_mw: np.ndarray,
    t_end_s: float = 30.0,
    dt_s: float = 0.005,
) -> xr.Dataset:
    """Frequency of each event (dim ``event``) over time.

    ``imbalance_mw``: ΔPe per event (MW): negative for load lost, positive for generation
    tripped; shape (event,) for a step at t = 0+, or (event, time) on the output time grid for
    an imbalance that varies in time (stored with the shape given). Returns ``f_hz`` (event, time), the governor response
    ``p_mech_mw``, the net-load change made by relays ``relay_mw`` (UFLS negative, over-frequency
    generator trips positive) and the time each relay acts ``relay_s`` (event, relay; NaN: never).
    """
    n_t = int(round(t_end_s / dt_s)) + 1
    given = np.atleast_1d(np.asarray(imbalance_mw, float))
    dims = ("event",) if given.ndim == 1 else ("event", "time")
    dp = np.broadcast_to(given[:, None], (len(given), n_t)) if given.ndim == 1 else given
    if dp.shape[1] != n_t:
        raise ValueError(f"imbalance_mw has {dp.shape[1]} time steps, the time grid {n_t}")
    relays = params.relays()
    freq, p_mech, relay_mw, acted = _integrate(
        dp,
        dt_s,
        params.f0_hz,
        2.0 * params.inertia_mws,
        params.damping_mw_per_hz,
        params.blocks(),
        np.exp(-dt_s / params.governor_s),
        np.exp(-dt_s / params.reheat_s),
        params.hp_fraction,
        relays.hz.to_numpy(float),
        relays.delta_load_mw.to_numpy(float),
    )
    time = np.arange(n_t) * dt_s
    return xr.Dataset(
        {
            "f_hz": (("event", "time"), freq, {"units": "Hz"}),
            "p_mech_mw": (("event", "time"), p_mech, {"units": "MW"}),
            "relay_mw": (("event", "time"), relay_mw, {"units": "MW"}),
            "relay_s": (("event", "relay"), acted, {"units": "s"}),
            "imbalance_mw": (dims, given, {"units": "MW"}),
        },
        coords={
            "time": ("time", time, {"units": "s"}),
            "relay": relays.relay.to_numpy(),
            "relay_hz": ("relay", relays.hz.to_numpy(float), {"units": "Hz"}),
            "relay_delta_mw": ("relay", relays.delta_load_mw.to_numpy(float), {"units": "MW"}),
        },
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
    acted = ~np.isnan(ds.relay_s.to_numpy())
    step = ds.relay_delta_mw.to_numpy()
    out = {
        "nadir_hz": ("event", f.min(axis=1)),
        "nadir_s": ("event", t[f.argmin(axis=1)]),
        "zenith_hz": ("event", f.max(axis=1)),
        "zenith_s": ("event", t[f.argmax(axis=1)]),
        "rocof_hz_per_s": ("event", (f[:, k100] - f[:, 0]) / t[k100]),
        "settling_hz": ("event", f[:, tail].mean(axis=1)),
        "ufls_shed_mw": ("event", -(acted * np.minimum(step, 0.0)).sum(axis=1)),
        "generation_tripped_mw": ("event", (acted * np.maximum(step, 0.0)).sum(axis=1)),
    }
    for name, level in thresholds_hz.items():
        crossed = f < level if level < f0 else f > level
        first = np.where(crossed.any(axis=1), t[crossed.argmax(axis=1)], np.nan)
        out[f"time_to_{name}_s"] = ("event", first)
    return xr.Dataset(out, coords={"event": ds.event} if "event" in ds.coords else None)

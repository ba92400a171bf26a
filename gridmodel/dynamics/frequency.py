"""Aggregated system frequency response to a sudden power imbalance, vectorised over events.

The low-order model of Anderson and Mirheydar (IEEE Trans. Power Systems 5(3), 1990), in MW,
with the fast resources of a modern interconnection added:

    (2 H / f0) dΔf/dt = ΔPm + P_ffr - ΔPe - ΔP_relays - D Δf
    governor block b:  dx_b/dt = (clip(-K_b dead(Δf), -down_b, up_b) - x_b) / T_g
    reheat:            ΔPm = F_hp Σx + (1 - F_hp) · lag(Σx, T_rh)
    dead(Δf) = sign(Δf) · max(|Δf| - deadband, 0)
    fast frequency response: P_ffr = P_ffr,max · clip((t - t_trig) / T_ffr, 0, 1) once the
        frequency first falls below the trigger at t_trig (ERCOT RRS-FFR: full response within
        0.25 s below 59.85 Hz)

with H the stored kinetic energy (MW·s), D = load damping (MW/Hz), K_b the governor gain of block
b (MW/Hz), each block saturating at its own headroom. ΔPe is the event: minus the MW of load lost
(frequency rises), plus the MW of generation tripped (frequency falls); it may vary in time.
ΔP_relays is the net-load change made by relay stages: under-frequency load shedding and load
resources (load removed, negative), over-frequency generator trips (generation removed, positive).
A stage picks up when the frequency passes its set point and acts ``delay`` later; a stage with
``reset`` drops out if the frequency returns before then (definite-time over-frequency protection).

Closed forms (no relay, no FFR, no deadband): initial RoCoF = -ΔP f0 / (2 H); settling deviation
= -ΔP / (D + ΣK) while no governor is at its limit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from numba import njit

from gridmodel.datafiles import read_csv_columns
from gridmodel.schema.events import preset_table

#: Relay stage kinds, in the order :meth:`SystemFrequency.relays` lists them.
RELAY_KINDS = ("ufls", "load_resource", "of_trip")


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
    #: governor deadband (Hz): no primary response inside ±deadband
    governor_deadband_hz: float = 0.0
    ufls_hz: tuple[float, ...] = ()
    ufls_cumulative_shed: tuple[float, ...] = ()
    ufls_delay_s: float = 0.0
    #: over-frequency generator trip stages (Hz), their delays (s, definite time with reset) and
    #: cumulative generation tripped (share of load)
    oft_hz: tuple[float, ...] = ()
    oft_delay_s: tuple[float, ...] = ()
    oft_cumulative_trip: tuple[float, ...] = ()
    #: fast frequency response (batteries, RRS-FFR): MW, trigger (Hz), time to full output (s)
    ffr_mw: float = 0.0
    ffr_trigger_hz: float = 59.85
    ffr_full_s: float = 0.25
    #: load resources on under-frequency relays: MW, relay setting (Hz), relay and breaker time (s)
    lr_mw: float = 0.0
    lr_trip_hz: float = 59.7
    lr_delay_s: float = 0.0
    #: frequency range (Hz) inside which the model holds: outside it protection the model does
    #: not represent (instantaneous trips of generators and loads) may act
    valid_low_hz: float = 0.0
    valid_high_hz: float = np.inf
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
        """Governor blocks (block, [gain MW/Hz, reserve up MW, reserve down MW, deadband Hz])."""
        if self.governor_blocks:
            b = np.asarray(self.governor_blocks, float)
        else:
            b = np.array([[self.governor_mw_per_hz, self.reserve_up_mw, self.reserve_down_mw]])
        return np.column_stack([b, np.full(len(b), self.governor_deadband_hz)])

    def relays(self) -> pd.DataFrame:
        """Relay stages: name, kind, set point (Hz), delay (s), reset, net-load change (MW).

        Under-frequency load shedding and load resources remove load (negative change);
        over-frequency generator tripping removes generation, which acts on the balance like
        added load (positive).
        """
        ufls = -np.diff([0.0, *self.ufls_cumulative_shed]) * self.load_mw
        oft = np.diff([0.0, *self.oft_cumulative_trip]) * self.load_mw
        n_u, n_o = len(self.ufls_hz), len(self.oft_hz)
        lr = [self.lr_trip_hz] if self.lr_mw > 0 else []
        delays = self.oft_delay_s or (0.0,) * n_o
        return pd.DataFrame(
            {
                "relay": [f"UFLS {hz:.1f} Hz" for hz in self.ufls_hz]
                + [f"load resources {hz:.2f} Hz" for hz in lr]
                + [
                    f"OF trip {hz:.1f} Hz" + (f" after {d:g} s" if d else "")
                    for hz, d in zip(self.oft_hz, delays, strict=True)
                ],
                "kind": ["ufls"] * n_u + ["load_resource"] * len(lr) + ["of_trip"] * n_o,
                "hz": [*self.ufls_hz, *lr, *self.oft_hz],
                "delay_s": [self.ufls_delay_s] * n_u + [self.lr_delay_s] * len(lr) + list(delays),
                "reset": [False] * (n_u + len(lr)) + [True] * n_o,
                "delta_load_mw": [*ufls, *[-self.lr_mw] * len(lr), *oft],
            }
        )


#: Columns of ``systems.csv`` holding a list of stages (space separated).
STAGE_COLUMNS = ("ufls_hz", "ufls_cumulative_shed", "oft_hz", "oft_delay_s", "oft_cumulative_trip")


def system(name: str, **overrides) -> SystemFrequency:
    """Parameter set ``name`` from ``systems.csv`` with ``overrides``."""
    table = preset_table()
    if name not in table.index:
        raise ValueError(f"unknown system '{name}' (known: {', '.join(table.index)})")
    row = table.loc[name]
    fields = [k for k in SystemFrequency.__dataclass_fields__ if k in row.index]
    params = SystemFrequency(
        name=name,
        inertia_mws=1000.0 * float(row.inertia_gws),
        **{k: float(row[k]) for k in fields if k not in STAGE_COLUMNS},
        **{k: tuple(float(x) for x in str(row[k]).split()) for k in STAGE_COLUMNS},
    )
    return replace(params, **overrides)


@njit(cache=True)
def _integrate(
    dp, dt, f0, h2, d, blocks, a_g, a_r, f_hp, stage_hz, stage_delay, stage_reset, stage_mw,
    ffr_mw, ffr_hz, ffr_full_s,
):  # fmt: skip
    # h2 (2H), d (damping) and stage_mw (relay MW) are per event: events may start from hours
    # with different inertia and load
    n, n_t = dp.shape
    n_s = len(stage_hz)
    freq = np.empty((n, n_t))
    p_mech = np.empty((n, n_t))
    p_ffr = np.empty((n, n_t))
    relay_mw = np.empty((n, n_t))
    acted_s = np.full((n, n_s), np.nan)
    for e in range(n):
        df = 0.0
        x_g = 0.0
        x_r = 0.0
        relays = 0.0
        t_ffr = np.nan
        picked = np.full(n_s, np.nan)
        for i in range(n_t):
            t = i * dt
            f = f0 + df
            freq[e, i] = f
            pm = f_hp * x_g + (1.0 - f_hp) * x_r
            p_mech[e, i] = pm
            for s in range(n_s):
                if not np.isnan(acted_s[e, s]):
                    continue
                below = stage_hz[s] < f0
                beyond = (below and f < stage_hz[s]) or (not below and f > stage_hz[s])
                if beyond and np.isnan(picked[s]):
                    picked[s] = t
                elif not beyond and stage_reset[s]:
                    picked[s] = np.nan
                if not np.isnan(picked[s]) and t - picked[s] >= stage_delay[s] - 1e-9:
                    acted_s[e, s] = t
                    relays += stage_mw[e, s]
            relay_mw[e, i] = relays
            if np.isnan(t_ffr) and ffr_mw > 0.0 and f < ffr_hz:
                t_ffr = t
            ffr = 0.0
            if not np.isnan(t_ffr):
                ffr = ffr_mw * min(max((t - t_ffr) / ffr_full_s, 0.0), 1.0)
            p_ffr[e, i] = ffr
            # semi-implicit step: the lags advance exactly for a held input
            df = df + dt * f0 * (pm + ffr - (dp[e, i] + relays) - d[e] * df) / h2[e]
            target = 0.0
            for b in range(blocks.shape[0]):
                dead = max(abs(df) - blocks[b, 3], 0.0)
                dev = dead if df > 0.0 else -dead
                target += min(max(-blocks[b, 0] * dev, -blocks[b, 2]), blocks[b, 1])
            x_g = target + (x_g - target) * a_g
            x_r = x_g + (x_r - x_g) * a_r
    return freq, p_mech, p_ffr, relay_mw, acted_s


def simulate(
    params: SystemFrequency,
    imbalance_mw: np.ndarray,
    t_end_s: float = 30.0,
    dt_s: float = 0.005,
    inertia_mws: np.ndarray | None = None,
    load_mw: np.ndarray | None = None,
) -> xr.Dataset:
    """Frequency of each event (dim ``event``) over time.

    ``imbalance_mw``: ΔPe per event (MW): negative for load lost, positive for generation
    tripped; shape (event,) for a step at t = 0+, or (event, time) on the output time grid for
    an imbalance that varies in time (stored with the shape given). ``inertia_mws``, ``load_mw``:
    per event, the stored kinetic energy (MW·s) and the online load (MW; load damping and the
    relay stages scale with it) of the hour each event starts from; empty = the preset's.
    Returns ``f_hz`` (event, time), the governor response ``p_mech_mw``, the fast frequency
    response ``p_ffr_mw``, the net-load change made by relays ``relay_mw`` (load shed and load
    resources negative, over-frequency generator trips positive), the time each relay acts
    ``relay_s`` (event, relay; NaN: never) and the ``inertia_mws`` of each event.
    """
    n_t = int(round(t_end_s / dt_s)) + 1
    given = np.atleast_1d(np.asarray(imbalance_mw, float))
    dims = ("event",) if given.ndim == 1 else ("event", "time")
    n_e = len(given)
    dp = np.broadcast_to(given[:, None], (n_e, n_t)) if given.ndim == 1 else given
    if dp.shape[1] != n_t:
        raise ValueError(f"imbalance_mw has {dp.shape[1]} time steps, the time grid {n_t}")
    inertia = np.broadcast_to(
        np.asarray(params.inertia_mws if inertia_mws is None else inertia_mws, float), (n_e,)
    )
    load = np.broadcast_to(
        np.asarray(params.load_mw if load_mw is None else load_mw, float), (n_e,)
    )
    relays = params.relays()
    # relay stages are shares of the online load (load resources are MW): scale per event
    per_load = relays.kind.isin(["ufls", "of_trip"]).to_numpy()
    stage_mw = np.where(
        per_load, relays.delta_load_mw.to_numpy(float) * (load[:, None] / params.load_mw),
        relays.delta_load_mw.to_numpy(float),
    )  # fmt: skip
    freq, p_mech, p_ffr, relay_mw, acted = _integrate(
        dp,
        dt_s,
        params.f0_hz,
        2.0 * inertia,
        params.load_damping_pct_per_pct * load / params.f0_hz,
        params.blocks(),
        np.exp(-dt_s / params.governor_s),
        np.exp(-dt_s / params.reheat_s),
        params.hp_fraction,
        relays.hz.to_numpy(float),
        relays.delay_s.to_numpy(float),
        relays.reset.to_numpy(bool),
        np.ascontiguousarray(stage_mw),
        params.ffr_mw,
        params.ffr_trigger_hz,
        params.ffr_full_s,
    )
    time = np.arange(n_t) * dt_s
    return xr.Dataset(
        {
            "f_hz": (("event", "time"), freq, {"units": "Hz"}),
            "p_mech_mw": (("event", "time"), p_mech, {"units": "MW"}),
            "p_ffr_mw": (("event", "time"), p_ffr, {"units": "MW"}),
            "relay_mw": (("event", "time"), relay_mw, {"units": "MW"}),
            "relay_s": (("event", "relay"), acted, {"units": "s"}),
            "relay_step_mw": (("event", "relay"), stage_mw, {"units": "MW"}),
            "imbalance_mw": (dims, given, {"units": "MW"}),
            "event_inertia_mws": ("event", inertia.copy(), {"units": "MW s"}),
        },
        coords={
            "time": ("time", time, {"units": "s"}),
            "relay": relays.relay.to_numpy(),
            "relay_kind": ("relay", relays.kind.to_numpy()),
            "relay_hz": ("relay", relays.hz.to_numpy(float), {"units": "Hz"}),
            "relay_delta_mw": ("relay", relays.delta_load_mw.to_numpy(float), {"units": "MW"}),
        },
        attrs={
            "system": params.name,
            "f0_hz": params.f0_hz,
            "inertia_mws": params.inertia_mws,
            "valid_low_hz": params.valid_low_hz,
            "valid_high_hz": params.valid_high_hz,
        },
    )


def metrics(ds: xr.Dataset, thresholds_hz: dict[str, float]) -> xr.Dataset:
    """Nadir, zenith and their times, initial RoCoF, settling frequency, relay actions, time to
    each threshold, and whether the event stays inside the range the model holds for.

    RoCoF is the mean rate over the first 100 ms (the window ERCOT-style relays measure over);
    settling frequency is the mean of the last 2 s; a threshold is reached when the frequency
    crosses it in the direction away from nominal (NaN: never). ``valid`` is false when the
    frequency leaves [valid_low_hz, valid_high_hz]; ``validity`` says why.
    """
    f = ds.f_hz.to_numpy()
    t = ds.time.to_numpy()
    f0 = float(ds.attrs["f0_hz"])
    k100 = int(np.searchsorted(t, 0.1))
    tail = t >= t[-1] - 2.0
    acted = ~np.isnan(ds.relay_s.to_numpy())
    step = ds.relay_step_mw.to_numpy() if "relay_step_mw" in ds else ds.relay_delta_mw.to_numpy()
    kind = ds.relay_kind.to_numpy()
    low, high = float(ds.attrs["valid_low_hz"]), float(ds.attrs["valid_high_hz"])
    nadir, zenith = f.min(axis=1), f.max(axis=1)
    reason = np.where(
        nadir < low,
        f"frequency falls below {low:g} Hz, where protection the model does not represent acts",
        np.where(
            zenith > high,
            f"frequency rises above {high:g} Hz, where protection the model does not represent "
            "acts",
            "",
        ),
    )
    out = {
        "nadir_hz": ("event", nadir),
        "nadir_s": ("event", t[f.argmin(axis=1)]),
        "zenith_hz": ("event", zenith),
        "zenith_s": ("event", t[f.argmax(axis=1)]),
        "rocof_hz_per_s": ("event", (f[:, k100] - f[:, 0]) / t[k100]),
        "settling_hz": ("event", f[:, tail].mean(axis=1)),
        "ufls_shed_mw": ("event", -(acted * step * (kind == "ufls")).sum(axis=1)),
        "load_resources_tripped_mw": (
            "event",
            -(acted * step * (kind == "load_resource")).sum(axis=1),
        ),
        "generation_tripped_mw": ("event", (acted * step * (kind == "of_trip")).sum(axis=1)),
        "ffr_deployed_mw": ("event", ds.p_ffr_mw.to_numpy().max(axis=1)),
        "valid": ("event", reason == ""),
        "validity": ("event", reason.astype(str)),
    }
    for name, level in thresholds_hz.items():
        crossed = f < level if level < f0 else f > level
        first = np.where(crossed.any(axis=1), t[crossed.argmax(axis=1)], np.nan)
        out[f"time_to_{name}_s"] = ("event", first)
    return xr.Dataset(out, coords={"event": ds.event} if "event" in ds.coords else None)


def inertia_at_hour(path: Path, hour: int, field: str) -> float:
    """Inertia (MW·s) at ``hour`` of the load year from a CSV with columns ``hour, inertia_gws``."""
    from gridmodel.errors import ScenarioError

    table = read_csv_columns(path, ["hour", "inertia_gws"], field)
    row = table[table[:, 0] == hour, 1]
    if len(row) == 0:
        raise ScenarioError(f"field '{field}': {path} has no row for hour {hour}")
    if not row[0] > 0:
        raise ScenarioError(f"field '{field}': inertia at hour {hour} must be > 0, got {row[0]}")
    return 1000.0 * float(row[0])


def resolve(spec, hour: int | None = None, field: str = "events.systems") -> SystemFrequency:
    """Parameters of a scenario's `FrequencySystem` ``spec``: its preset with every parameter the
    scenario sets, and the inertia at ``hour`` (of the load year) when ``inertia_csv`` is given."""
    values = spec.model_dump(exclude={"preset", "name", "inertia_gws", "inertia_csv"})
    overrides = {
        k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if v is not None
    }
    if spec.inertia_gws is not None:
        overrides["inertia_mws"] = 1000.0 * spec.inertia_gws
    if spec.inertia_csv is not None and hour is not None:
        overrides["inertia_mws"] = inertia_at_hour(spec.inertia_csv, hour, f"{field}.inertia_csv")
    if "oft_hz" in overrides and "oft_delay_s" not in overrides:
        overrides["oft_delay_s"] = (0.0,) * len(overrides["oft_hz"])
    return replace(system(spec.preset, **overrides), name=spec.label)

"""Grid-fault response: ride through a voltage dip, or transfer to backup and reconnect later.

Given the voltage at the site and the campus load on the same time grid, the campus either rides
through (drawing from its UPS while the voltage is below the cessation level, then recovering to
the grid) or transfers to backup when the voltage stays below a ride-through curve point for too
long, or — with a sag-counting scheme, the July 2024 Virginia behaviour — after N dips in a window.
After a transfer it stays on backup for ``stay_off_s`` and returns at the reconnection ramp.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from numba import njit

from gridmodel.schema import FaultResponse

ON_GRID, RIDING_THROUGH, ON_BACKUP, RECONNECTING = 0, 1, 2, 3
STATES = {ON_GRID: "on_grid", RIDING_THROUGH: "riding_through", ON_BACKUP: "on_backup",
          RECONNECTING: "reconnecting"}  # fmt: skip


@njit(cache=True)
def _respond(
    t, vm, load, curve_v, curve_s, cessation_pu, recovery_s, dip_pu, dip_count, dip_window_s,
    stay_off_s, ramp_mw_per_s,
):  # fmt: skip
    n = len(t)
    grid = np.empty(n)
    state = np.zeros(n, np.int8)
    below_since = np.full(len(curve_v), np.nan)
    dips = np.full(max(dip_count, 1), -np.inf)  # start times of the last dips (ring buffer)
    n_dips = 0
    in_dip = False
    mode = ON_GRID
    off_until = 0.0
    reconnect_start = 0.0
    restored_at = -np.inf  # when the voltage last came back above the cessation level
    for i in range(n):
        now = t[i]
        v = vm[i]
        # ride-through curve: time continuously below each point
        trip = False
        for c in range(len(curve_v)):
            if v < curve_v[c]:
                if np.isnan(below_since[c]):
                    below_since[c] = now
                if now - below_since[c] > curve_s[c]:
                    trip = True
            else:
                below_since[c] = np.nan
        if dip_count > 0:
            if v < dip_pu and not in_dip:
                in_dip = True
                dips[n_dips % dip_count] = now
                n_dips += 1
                oldest = dips[n_dips % dip_count] if n_dips >= dip_count else -np.inf
                if n_dips >= dip_count and now - oldest <= dip_window_s:
                    trip = True
            elif v >= dip_pu:
                in_dip = False
        if mode == ON_GRID or mode == RIDING_THROUGH:
            if trip:
                mode = ON_BACKUP
                off_until = now + stay_off_s
            elif v < cessation_pu:
                mode = RIDING_THROUGH
                restored_at = np.inf
            elif mode == RIDING_THROUGH and restored_at == np.inf:
                restored_at = now
        elif mode == ON_BACKUP and now >= off_until:
            mode = RECONNECTING
            reconnect_start = now
        if mode == ON_BACKUP:
            grid[i] = 0.0
        elif mode == RECONNECTING:
            grid[i] = min(load[i], ramp_mw_per_s * (now - reconnect_start))
            if grid[i] >= load[i]:
                mode = ON_GRID
        elif mode == RIDING_THROUGH:
            if restored_at == np.inf:
                grid[i] = 0.0
            else:
                # back to 90 % within recovery_s, i.e. a linear ramp over recovery_s / 0.9
                frac = (now - restored_at) * 0.9 / recovery_s if recovery_s > 0 else 1.0
                grid[i] = load[i] * min(frac, 1.0)
                if frac >= 1.0:
                    mode = ON_GRID
        else:
            grid[i] = load[i]
        state[i] = mode
    return grid, state


def fault_response(load_mw: xr.DataArray, vm_pu: xr.DataArray, params: FaultResponse) -> xr.Dataset:
    """Grid-side and backup-supplied load (MW) for a voltage series at the site.

    ``load_mw`` and ``vm_pu`` share the ``time`` coordinate; the load is what the campus would draw
    on an undisturbed grid. Returns ``p_grid_mw``, ``p_backup_mw`` (their sum is the load) and
    ``state`` (0 on grid, 1 riding through, 2 on backup, 3 reconnecting).
    """
    if load_mw.sizes["time"] != vm_pu.sizes["time"]:
        raise ValueError("load_mw and vm_pu need the same time steps")
    seconds = (load_mw.time - load_mw.time[0]).to_numpy() / np.timedelta64(1, "s")
    curve = sorted(params.ride_through_curve, reverse=True)
    dip = params.dip_counting
    grid, state = _respond(
        seconds.astype(float),
        vm_pu.to_numpy().astype(float),
        load_mw.to_numpy().astype(float),
        np.array([c[0] for c in curve], float),
        np.array([c[1] for c in curve], float),
        params.cessation_pu,
        params.recovery_s,
        dip.threshold_pu if dip else 0.0,
        dip.count if dip else 0,
        dip.window_s if dip else 0.0,
        params.stay_off_s,
        params.reconnect_ramp_mw_per_min / 60.0,
    )
    load = load_mw.to_numpy()
    return xr.Dataset(
        {
            "p_grid_mw": ("time", grid, {"units": "MW"}),
            "p_backup_mw": ("time", load - grid, {"units": "MW"}),
            "state": (
                "time",
                state,
                {"flag_values": list(STATES), "flag_meanings": " ".join(STATES.values())},
            ),
        },
        coords={"time": load_mw.time},
    )

"""Fault → trip cascade: the dips a fault sequence leaves at each campus and what each campus does.

The retained voltage at every campus bus during the fault comes from
:func:`gridmodel.dynamics.short_circuit.fault_voltages`; between faults the voltage is back at
its pre-fault value (the fault is cleared each time, and reclosing onto it repeats the dip).
Each campus then applies its own ride-through or transfer logic
(:func:`gridmodel.loads.fault.fault_response`), which gives its grid-side load over time.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from gridmodel.loads.fault import ON_BACKUP, fault_response
from gridmodel.schema import FaultResponse


def site_voltage(
    t_s: np.ndarray,
    vm_pre_pu: np.ndarray,
    vm_fault_pu: np.ndarray,
    fault_times_s: list[float],
    duration_s: float,
) -> np.ndarray:
    """Voltage (pu) at each site (rows) over ``t_s``: retained during each fault, pre-fault
    otherwise."""
    during = np.zeros(len(t_s), bool)
    for start in fault_times_s:
        during |= (t_s >= start) & (t_s < start + duration_s)
    return np.where(during[None, :], vm_fault_pu[:, None], vm_pre_pu[:, None])


def trip_cascade(
    t_s: np.ndarray,
    names: list[str],
    load_mw: np.ndarray,
    vm_pu: np.ndarray,
    responses: list[FaultResponse],
) -> xr.Dataset:
    """Grid-side load of each campus (dim ``campus``) over ``t_s`` (s) for the site voltages
    ``vm_pu`` (campus, time); ``load_mw`` is each campus's undisturbed load.

    Returns ``p_grid_mw`` and ``p_backup_mw`` (campus, time), ``state``, ``trip_s`` (first time
    on backup, NaN: rode through), ``tripped_mw`` and ``load_reduction_mw`` (time), the load
    missing from the grid at each instant.
    """
    time = xr.DataArray(np.round(np.asarray(t_s) * 1e9).astype("timedelta64[ns]"), dims="time")
    per_campus = []
    for k in range(len(names)):
        load = xr.DataArray(np.full(len(t_s), float(load_mw[k])), dims="time").assign_coords(
            time=time
        )
        vm = xr.DataArray(vm_pu[k], dims="time").assign_coords(time=time)
        per_campus.append(fault_response(load, vm, responses[k]))
    ds = xr.concat(per_campus, dim="campus").assign_coords(
        campus=names, time=("time", np.asarray(t_s, float), {"units": "s"})
    )
    on_backup = (ds.state == ON_BACKUP).to_numpy()
    trip = np.where(on_backup.any(axis=1), np.asarray(t_s)[on_backup.argmax(axis=1)], np.nan)
    ds["trip_s"] = ("campus", trip, {"units": "s"})
    ds["load_mw"] = ("campus", np.asarray(load_mw, float), {"units": "MW"})
    ds["load_reduction_mw"] = (ds.load_mw - ds.p_grid_mw).sum("campus")
    ds["load_reduction_mw"].attrs["units"] = "MW"
    ds["tripped_mw"] = ("campus", np.where(np.isnan(trip), 0.0, load_mw), {"units": "MW"})
    return ds

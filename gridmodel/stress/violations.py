"""Limit checks over a time-series result Dataset (dims ``time``, ``bus``, ``branch``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.schema import Study


def voltage_bounds(ds: xr.Dataset, study: Study) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper voltage limit of every bus (pu): the case's VMIN/VMAX or the study's pair."""
    if study.voltage_limits == "case":
        return ds.min_vm_pu.to_numpy(), ds.max_vm_pu.to_numpy()
    lo, hi = study.voltage_limits
    n = ds.sizes["bus"]
    return np.full(n, lo), np.full(n, hi)


def branch_overloads(ds: xr.Dataset, limit_percent: float) -> pd.DataFrame:
    """Branches above ``limit_percent`` in any hour: hours over, worst loading and when, sorted."""
    loading = ds.loading_percent.to_numpy()
    over = loading > limit_percent
    hit = np.flatnonzero(over.any(axis=0))
    worst_row = np.nanargmax(np.where(np.isnan(loading[:, hit]), -np.inf, loading[:, hit]), axis=0)
    frame = pd.DataFrame(
        {
            "branch": ds.branch.to_numpy()[hit],
            "from_bus": ds.from_bus.to_numpy()[hit],
            "to_bus": ds.to_bus.to_numpy()[hit],
            "element": ds.element.to_numpy()[hit],
            "rate_a_mva": ds.rate_a_mva.to_numpy()[hit],
            "hours_over": over[:, hit].sum(axis=0),
            "worst_loading_percent": loading[worst_row, hit],
            "worst_hour": ds.time.to_numpy()[worst_row],
        }
    )
    return frame.sort_values(["worst_loading_percent"], ascending=False, ignore_index=True)


def voltage_violations(ds: xr.Dataset, vmin: np.ndarray, vmax: np.ndarray) -> pd.DataFrame:
    """Buses outside [vmin, vmax] in any hour: hours low/high, extreme values and when."""
    vm = ds.vm_pu.to_numpy()
    low, high = vm < vmin[None, :], vm > vmax[None, :]
    hit = np.flatnonzero(low.any(axis=0) | high.any(axis=0))
    filled_lo = np.where(np.isnan(vm[:, hit]), np.inf, vm[:, hit])
    filled_hi = np.where(np.isnan(vm[:, hit]), -np.inf, vm[:, hit])
    frame = pd.DataFrame(
        {
            "bus": ds.bus.to_numpy()[hit],
            "bus_name": ds.bus_name.to_numpy()[hit],
            "area": ds.area.to_numpy()[hit],
            "vn_kv": ds.vn_kv.to_numpy()[hit],
            "hours_low": low[:, hit].sum(axis=0),
            "hours_high": high[:, hit].sum(axis=0),
            "min_vm_pu": filled_lo.min(axis=0),
            "min_hour": ds.time.to_numpy()[filled_lo.argmin(axis=0)],
            "max_vm_pu": filled_hi.max(axis=0),
            "max_hour": ds.time.to_numpy()[filled_hi.argmax(axis=0)],
        }
    )
    return frame.sort_values(["min_vm_pu"], ignore_index=True)


def nonconverged_hours(ds: xr.Dataset) -> np.ndarray:
    """Hours (of the load year) whose power flow did not converge."""
    return ds.time.to_numpy()[~ds.converged.to_numpy()]


def resolve_hours(spec, load_mw: np.ndarray) -> np.ndarray:
    """Study-row positions named by hour specs: ``peak``/``valley``/row index, or N = top-N load."""
    order = np.argsort(-load_mw, kind="stable")
    if isinstance(spec, int):
        return np.sort(order[: min(spec, len(load_mw))])
    rows = []
    for item in spec:
        if item == "peak":
            rows.append(int(order[0]))
        elif item == "valley":
            rows.append(int(order[-1]))
        elif 0 <= item < len(load_mw):
            rows.append(int(item))
        else:
            raise ValueError(f"hour {item} is outside the study's {len(load_mw)} hours")
    return np.array(sorted(set(rows)), dtype=int)

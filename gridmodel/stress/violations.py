"""Limit checks over a time-series result Dataset (dims ``time``, ``bus``, ``branch``)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from gridmodel.schema import Study


def voltage_bounds(ds: xr.Dataset, study: Study) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper voltage limit of every bus (pu): the case's VMIN/VMAX or the study's pair;
    ``ds`` holds ``min_vm_pu`` and ``max_vm_pu`` per bus (a result Dataset or the bus table)."""
    if study.voltage_limits == "case":
        return ds.min_vm_pu.to_numpy(), ds.max_vm_pu.to_numpy()
    lo, hi = study.voltage_limits
    n = len(ds.min_vm_pu)
    return np.full(n, lo), np.full(n, hi)


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

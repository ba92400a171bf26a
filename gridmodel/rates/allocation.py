"""Cost allocators: each class's share of a cost from hourly class loads.

Definitions (NARUC Electric Utility Cost Allocation Manual, 1992, chapters 4-6):

- ``energy``: annual energy E_i / sum E.
- ``1cp``: class demand in the system's annual peak hour.
- ``4cp``: mean class demand in the system's peak hour of each of June-September (ERCOT).
- ``12cp``: mean class demand in the system's peak hour of each month.
- ``ncp``: class maximum demand, whenever it occurs.
- ``average_and_excess``: LF·E_i/sum E + (1 - LF)·(NCP_i - avg_i)/sum(NCP - avg), with LF the
  system load factor (mean / peak).

Large loads may be billed on more demand than they draw (a minimum take): ``floor_mw`` raises a
class's demand determinant (CP or NCP), never its energy. ``cp_scale`` lowers a class's
coincident-peak demand (behind-the-meter supply in the peak hours).
"""

from __future__ import annotations

import numpy as np

METHODS = ("energy", "1cp", "4cp", "12cp", "average_and_excess", "ncp")
SUMMER_MONTHS = (6, 7, 8, 9)


def peak_hours(system_mw: np.ndarray, month: np.ndarray, months) -> np.ndarray:
    """Index of the system's peak hour in each of ``months`` (1-12) present in ``month``."""
    hours = []
    for m in months:
        in_month = np.flatnonzero(month == m)
        if len(in_month):
            hours.append(in_month[np.argmax(system_mw[in_month])])
    return np.asarray(hours, dtype=int)


def determinants(
    method: str,
    loads_mw: np.ndarray,
    month: np.ndarray,
    floor_mw: np.ndarray | None = None,
    cp_scale: np.ndarray | None = None,
) -> np.ndarray:
    """Billing determinant per class (MW, or MWh for ``energy``) from loads (class, hour)."""
    n_class = loads_mw.shape[0]
    floor = np.zeros(n_class) if floor_mw is None else floor_mw
    scale = np.ones(n_class) if cp_scale is None else cp_scale
    if method == "energy":
        return loads_mw.sum(axis=1)
    if method == "ncp":
        return np.maximum(loads_mw.max(axis=1), floor)
    if method == "average_and_excess":
        system = loads_mw.sum(axis=0)
        lf = system.mean() / system.max()
        avg = loads_mw.mean(axis=1)
        excess = np.maximum(loads_mw.max(axis=1), floor) - avg
        energy = loads_mw.sum(axis=1)
        return lf * energy / energy.sum() + (1 - lf) * excess / excess.sum()
    hours = cp_hours(method, loads_mw.sum(axis=0), month)
    return np.maximum(loads_mw[:, hours].mean(axis=1) * scale, floor)


def cp_hours(method: str, system_mw: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Positions of the coincident-peak hours of ``method`` (``1cp``: the annual peak; ``4cp``:
    the peak of each of June-September; ``12cp``: the peak of each month) in ``system_mw``."""
    if method == "1cp":
        hours = np.array([int(np.argmax(system_mw))])
    elif method == "4cp":
        hours = peak_hours(system_mw, month, SUMMER_MONTHS)
    elif method == "12cp":
        hours = peak_hours(system_mw, month, range(1, 13))
    else:
        raise ValueError(f"unknown allocation method '{method}' (allowed: {', '.join(METHODS)})")
    if len(hours) == 0:
        raise ValueError(f"allocation method '{method}': the load year has none of its months")
    return hours


def shares(
    method: str,
    loads_mw: np.ndarray,
    month: np.ndarray,
    floor_mw: np.ndarray | None = None,
    cp_scale: np.ndarray | None = None,
) -> np.ndarray:
    """Class shares of a cost under ``method``; they sum to one."""
    det = determinants(method, loads_mw, month, floor_mw, cp_scale)
    total = det.sum()
    if not total > 0:
        raise ValueError(f"allocation method '{method}': every class determinant is zero")
    return det / total

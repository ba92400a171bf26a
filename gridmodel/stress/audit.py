"""Base-case audit and the planners' rule for charging violations to the campus.

The base case is the study without any campus. Its N-0 violations are *pre-existing*: the
campus is charged only for violations that are **new** (over the limit with the campus, within
it without) or **worsened** (over the limit in both, and the campus raised the loading by at
least ``worsening_percent`` points of the rating, or moved the voltage outward by at least
``worsening_vm_pu``); a violation that appears with the campus but moved by less than that is
*below threshold* (a re-dispatch nudge, as in the hosting-capacity search). This is how PJM splits transmission needs (Manual 14B, RTEP process):
violations of the system without the new request are *baseline* needs, paid for as such; a new
service request is assigned only the *network upgrades* for violations it causes or contributes
to, a contribution counting from 5 % of the rating (the cut-off the hosting-capacity search and
N-1 screening already use, ``study.worsening_percent``).

Every function reads two time-series result Datasets - with campus (``ds``) and without
(``base``), dims ``time``, ``bus``, ``branch`` - and returns a table. Hours are compared only
where both power flows converged and, unless ``include_infeasible`` is set, where both
dispatches were feasible (``dispatch_feasible``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

STATUS_ORDER = {"new": 0, "worsened": 1, "below threshold": 2, "pre-existing": 3}


def counted_hours(ds: xr.Dataset, base: xr.Dataset, include_infeasible: bool) -> np.ndarray:
    """Mask of the hours the audit counts: converged in both, feasible in both (unless asked)."""
    ok = ds.converged.to_numpy() & base.converged.to_numpy()
    if not include_infeasible:
        for d in (ds, base):
            if "dispatch_feasible" in d:
                ok &= d.dispatch_feasible.to_numpy().astype(bool)
    return ok


def _timestamps(ds: xr.Dataset, rows: np.ndarray):
    return (ds.timestamp if "timestamp" in ds.coords else ds.time).to_numpy()[rows]


def _extreme(values: np.ndarray, hours: np.ndarray, reduce) -> np.ndarray:
    """Per column, ``np.fmax``/``np.fmin`` over the counted ``hours`` (NaN skipped; no copy of
    the whole array when every hour counts)."""
    if not hours.any():
        return np.full(values.shape[1], np.nan)
    return reduce.reduce(values if hours.all() else values[hours], axis=0)


def _arg(values: np.ndarray, pick) -> np.ndarray:
    """Row of the extreme per column (``np.argmax``/``np.argmin``); no rows -> no columns."""
    return pick(values, axis=0) if values.shape[0] else np.zeros(values.shape[1], dtype=int)


def _status(new: np.ndarray, worsened: np.ndarray, only_with: np.ndarray) -> np.ndarray:
    """new > worsened > below threshold (over only with the campus, which moved it less than
    the threshold: a re-dispatch nudge) > pre-existing."""
    return np.where(
        new > 0,
        "new",
        np.where(
            worsened > 0, "worsened", np.where(only_with > 0, "below threshold", "pre-existing")
        ),
    )


def _sorted(frame: pd.DataFrame, worst: str, ascending: bool) -> pd.DataFrame:
    order = frame.status.map(STATUS_ORDER)
    return (
        frame.assign(_order=order)
        .sort_values(["_order", worst], ascending=[True, ascending])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def overload_audit(
    ds: xr.Dataset,
    base: xr.Dataset,
    limit_percent: float,
    worsening_percent: float,
    include_infeasible: bool = False,
) -> pd.DataFrame:
    """One row per branch above ``limit_percent`` in a counted hour, with or without the campus.

    Columns: hours over with / without campus, worst loading with / without and when,
    ``hours_new`` (over with the campus only, raised by at least ``worsening_percent``),
    ``hours_worsened`` (over in both and raised by as much), ``status`` (new / worsened / below
    threshold / pre-existing); new first.
    """
    hours = counted_hours(ds, base, include_infeasible)
    loading_w, loading_wo = ds.loading_percent.to_numpy(), base.loading_percent.to_numpy()
    hit = np.flatnonzero(
        (_extreme(loading_w, hours, np.fmax) > limit_percent)
        | (_extreme(loading_wo, hours, np.fmax) > limit_percent)
    )
    with_ = np.nan_to_num(loading_w[:, hit][hours])
    without = np.nan_to_num(loading_wo[:, hit][hours])
    over_w, over_wo = with_ > limit_percent, without > limit_percent
    rows = np.flatnonzero(hours)
    raised = with_ - without >= worsening_percent
    only_with = (over_w & ~over_wo).sum(axis=0)
    new = (over_w & ~over_wo & raised).sum(axis=0)
    worsened = (over_w & over_wo & raised).sum(axis=0)
    worst_w, worst_wo = _arg(with_, np.argmax), _arg(without, np.argmax)
    names = pd.Series(ds.bus_name.to_numpy(), index=ds.bus.to_numpy())
    frame = pd.DataFrame(
        {
            "branch": ds.branch.to_numpy()[hit],
            "from_bus": ds.from_bus.to_numpy()[hit],
            "to_bus": ds.to_bus.to_numpy()[hit],
            "from_name": names.loc[ds.from_bus.to_numpy()[hit]].to_numpy(),
            "to_name": names.loc[ds.to_bus.to_numpy()[hit]].to_numpy(),
            "element": ds.element.to_numpy()[hit],
            "rate_a_mva": ds.rate_a_mva.to_numpy()[hit],
            "status": _status(new, worsened, only_with),
            "hours_over_with_campus": over_w.sum(axis=0),
            "hours_over_without_campus": over_wo.sum(axis=0),
            "hours_new": new,
            "hours_worsened": worsened,
            "worst_loading_percent_with_campus": with_[worst_w, np.arange(len(hit))],
            "worst_hour_with_campus": _timestamps(ds, rows[worst_w]),
            "worst_loading_percent_without_campus": without[worst_wo, np.arange(len(hit))],
            "worst_hour_without_campus": _timestamps(ds, rows[worst_wo]),
        }
    )
    return _sorted(frame, "worst_loading_percent_with_campus", ascending=False)


def voltage_audit(
    ds: xr.Dataset,
    base: xr.Dataset,
    vmin: np.ndarray,
    vmax: np.ndarray,
    worsening_vm_pu: float,
    include_infeasible: bool = False,
) -> pd.DataFrame:
    """One row per bus outside [vmin, vmax] in a counted hour, with or without the campus.

    Columns as :func:`overload_audit`: hours outside with / without, lowest and highest voltage
    with / without, ``hours_new``, ``hours_worsened`` (moved outward by ``worsening_vm_pu``),
    ``status``; new first, then by lowest voltage.
    """
    hours = counted_hours(ds, base, include_infeasible)
    vm_all, vb_all = ds.vm_pu.to_numpy(), base.vm_pu.to_numpy()
    # candidates first (a bus cut off, at 0 pu, is a candidate the exact test below drops)
    hit = np.flatnonzero(
        (_extreme(vm_all, hours, np.fmin) < vmin)
        | (_extreme(vm_all, hours, np.fmax) > vmax)
        | (_extreme(vb_all, hours, np.fmin) < vmin)
        | (_extreme(vb_all, hours, np.fmax) > vmax)
    )
    vm, vb, vmin, vmax = vm_all[:, hit][hours], vb_all[:, hit][hours], vmin[hit], vmax[hit]
    live_w, live_wo = vm > 0, vb > 0  # 0 pu = a bus cut off
    out_w = live_w & ((vm < vmin) | (vm > vmax))
    out_wo = live_wo & ((vb < vmin) | (vb > vmax))
    keep = out_w.any(axis=0) | out_wo.any(axis=0)
    hit, vm, vb, live_w, live_wo = (
        hit[keep],
        vm[:, keep],
        vb[:, keep],
        live_w[:, keep],
        live_wo[:, keep],
    )
    out_w, out_wo, vmin = out_w[:, keep], out_wo[:, keep], vmin[keep]
    moved = np.where(vm < vmin, vb - vm, vm - vb) >= worsening_vm_pu
    only_with = (out_w & ~out_wo).sum(axis=0)
    new = (out_w & ~out_wo & moved).sum(axis=0)
    worsened = (out_w & out_wo & moved).sum(axis=0)
    lo_w = np.where(live_w, vm, np.inf)
    lo_wo = np.where(live_wo, vb, np.inf)
    rows = np.flatnonzero(hours)
    frame = pd.DataFrame(
        {
            "bus": ds.bus.to_numpy()[hit],
            "bus_name": ds.bus_name.to_numpy()[hit],
            "area": ds.area.to_numpy()[hit],
            "vn_kv": ds.vn_kv.to_numpy()[hit],
            "status": _status(new, worsened, only_with),
            "hours_outside_with_campus": out_w.sum(axis=0),
            "hours_outside_without_campus": out_wo.sum(axis=0),
            "hours_new": new,
            "hours_worsened": worsened,
            "min_vm_pu_with_campus": lo_w.min(axis=0, initial=np.inf),
            "min_hour_with_campus": _timestamps(ds, rows[_arg(lo_w, np.argmin)]),
            "min_vm_pu_without_campus": lo_wo.min(axis=0, initial=np.inf),
            "max_vm_pu_with_campus": np.where(live_w, vm, -np.inf).max(axis=0, initial=-np.inf),
            "max_vm_pu_without_campus": np.where(live_wo, vb, -np.inf).max(axis=0, initial=-np.inf),
        }
    )
    return _sorted(frame, "min_vm_pu_with_campus", ascending=True)


def base_case_by_hour(
    base: xr.Dataset, limit_percent: float, vmin: np.ndarray, vmax: np.ndarray
) -> pd.DataFrame:
    """The base-case audit: per hour, the N-0 violations without any campus - branches over
    ``limit_percent``, worst loading, buses outside [vmin, vmax], lowest voltage - with the
    hour's convergence and dispatch feasibility."""
    loading = base.loading_percent.to_numpy()
    vm = base.vm_pu.to_numpy()
    live = vm > 0
    frame = pd.DataFrame(
        {
            "hour": base.hour.to_numpy(),
            "timestamp": _timestamps(base, np.arange(base.sizes["time"])),
            "converged": base.converged.to_numpy(),
            "dispatch_feasible": (
                base.dispatch_feasible.to_numpy()
                if "dispatch_feasible" in base
                else np.ones(base.sizes["time"], bool)
            ),
            "branches_overloaded": (loading > limit_percent).sum(axis=1),
            "worst_loading_percent": np.fmax.reduce(loading, axis=1),
            "buses_outside_limits": (live & ((vm < vmin) | (vm > vmax))).sum(axis=1),
            "min_vm_pu": np.where(live, vm, np.inf).min(axis=1),
        }
    )
    frame["secure"] = (
        frame.converged
        & (frame.branches_overloaded == 0)
        & (frame.buses_outside_limits == 0)
        & frame.dispatch_feasible
    )
    return frame


def charged_to_campus(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of an audit table the campus is charged for: new or worsened."""
    return table[table.status.isin(["new", "worsened"])]


def hosting_sentence(hosting_mw: float, campus_mw: float, criterion: str = "N-0") -> str:
    """The site's hosting capacity against the campus, in words."""
    if not np.isfinite(hosting_mw):
        return (
            f"no {criterion} hosting capacity: the committed units cannot serve demand in any "
            "hour of the search, even without the campus"
        )
    head = f"the site hosts {hosting_mw:,.0f} MW without new {criterion} violations"
    if campus_mw <= 0:
        return head
    gap = campus_mw - hosting_mw
    if gap > 0:
        return f"{head}; the {campus_mw:,.0f} MW campus exceeds it by {gap:,.0f} MW"
    return f"{head}; the {campus_mw:,.0f} MW campus fits, with {-gap:,.0f} MW to spare"

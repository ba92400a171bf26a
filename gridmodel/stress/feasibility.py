"""Is an hour's dispatch feasible? Demand within the committed fleet, and the slack within it.

Two things can make an hour infeasible, and neither stops the power flow (the slack takes the
difference), so both are flagged rather than left to the slack:

* the dispatch itself: demand above what the committed units can give, or must-run output
  above demand (``Injections.dispatch_feasible``, shortfall or surplus above
  :data:`gridmodel.powerflow.case.SHORTFALL_TOL_MW`);
* the AC power flow: the distributed slack moves the units that carry it by the error of the
  loss estimate, ``r(t) = Σ P_gen,AC(t) - Σ P_set(t)``; the hour is infeasible when ``r`` exceeds
  the headroom ``Σ (Pmax,u(t) - P_u(t))`` of the running slack units, or ``-r`` their footroom
  ``Σ (P_u(t) - Pmin,u)``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from gridmodel.inputs import StudyInputs
from gridmodel.powerflow.case import SHORTFALL_TOL_MW, unit_availability
from gridmodel.powerflow.dispatch import Fleet, hourly_limits
from gridmodel.powerflow.injections import Injections, StudyCase
from gridmodel.schema import ScenarioError


def dispatch_margins(case: StudyCase, inj: Injections) -> xr.Dataset:
    """Per hour: set-point total, the slack units' headroom and footroom (MW), and the dispatch's
    own feasibility flag, as a Dataset over ``time`` (the hours of ``inj``)."""
    fleet, n_gen = case.fleet, case.fleet.n_gen
    n_t = len(inj.hour)
    p_max = None if case.availability is None else fleet.p_max_mw * case.availability[inj.hour]
    lo, hi = hourly_limits(fleet, n_t, p_max)
    running = ~inj.gen_off & (case.net.gen.slack_weight.to_numpy() > 0)[None, :]
    p = inj.gen_p
    up = np.where(running, hi[:, :n_gen] - p, 0.0).sum(axis=1)
    down = np.where(running, p - lo[:, :n_gen], 0.0).sum(axis=1)
    setpoint = np.where(inj.gen_off, 0.0, p).sum(axis=1) + inj.sgen_p.sum(axis=1)
    return xr.Dataset(
        {
            "generation_setpoint_mw": ("time", setpoint, {"units": "MW"}),
            "slack_headroom_mw": ("time", up, {"units": "MW"}),
            "slack_footroom_mw": ("time", down, {"units": "MW"}),
            "dispatch_feasible_setpoints": ("time", inj.dispatch_feasible),
        },
        coords={"time": inj.hour},
    )


def slack_mw(ds: xr.Dataset) -> xr.DataArray:
    """What the AC slack added to the set-points (MW): ``Σ p_inj + load - Σ P_set``."""
    return ds.p_inj_mw.sum("bus") + ds.load_mw - ds.generation_setpoint_mw


def dispatch_feasible(ds: xr.Dataset) -> xr.DataArray:
    """True in hours whose dispatch and slack stay within the committed fleet (module docstring);
    hours that did not converge keep the dispatch's own flag."""
    r = slack_mw(ds)
    within = (r <= ds.slack_headroom_mw + SHORTFALL_TOL_MW) & (
        -r <= ds.slack_footroom_mw + SHORTFALL_TOL_MW
    )
    ok = ds.dispatch_feasible_setpoints & (within | ~ds.converged)
    ok.attrs = {"long_name": "committed units serve demand and carry the slack within their limits"}
    return ok.rename("dispatch_feasible")


def infeasible_hours(ds: xr.Dataset, variable: str = "dispatch_feasible") -> np.ndarray:
    """Hours of the load year flagged infeasible in ``ds[variable]``."""
    return ds.hour.to_numpy()[~ds[variable].to_numpy().astype(bool)]


def hours_text(hours, limit: int = 12) -> str:
    """``[12, 13, 14, ...]`` naming at most ``limit`` hours and how many more."""
    hours = [int(h) for h in hours]
    head = ", ".join(map(str, hours[:limit]))
    more = f", ... ({len(hours) - limit} more)" if len(hours) > limit else ""
    return f"[{head}{more}]"


def with_feasibility(ds: xr.Dataset, case: StudyCase, inj: Injections) -> xr.Dataset:
    """``ds`` (a time-series result holding ``p_inj_mw``) with the dispatch margins of ``inj``
    and the ``dispatch_feasible`` flag of every hour."""
    out = ds.assign(dispatch_margins(case, inj).drop_vars("time").variables)
    return out.assign(dispatch_feasible=dispatch_feasible(out))


def check_fleet_serves_demand(study: StudyInputs) -> None:
    """Refuse, before any solve, a study whose fleet cannot serve demand in any hour: when for
    every studied hour t ``Σ_u avail_u(t)·Pmax_u < Σ area load(t) + Σ campus load(t)`` (MW; in-
    service units at their hourly availability, losses left out), no dispatch can serve any hour
    and the stress solve would only report every hour infeasible."""
    period = study.period
    fleet = Fleet.from_net(study.network.net)
    p_max = np.where(fleet.in_service, fleet.p_max_mw, 0.0)
    availability = unit_availability(study)
    capacity = p_max.sum() if availability is None else availability[period] @ p_max
    campus = np.nansum(study.inputs.campus_p_mw.to_numpy()[period], axis=1)
    demand = study.inputs.system_load_mw.to_numpy()[period] + campus
    if (capacity < demand).all():
        field = "campuses" if campus.max() > 0 else "load_growth"
        raise ScenarioError(
            f"field '{field}': the generating fleet of network '{study.network.name}' "
            f"({np.max(capacity):,.0f} MW available at most) cannot serve demand in any studied "
            f"hour (network load and campuses: {demand.min():,.0f} MW at least, "
            f"{campus.max():,.0f} MW of it campuses); lower the campuses' MW or the load growth"
        )

"""What the bills take from other stages. Each link is a documented rule; the field named in its
docstring, given in the scenario, replaces it with an explicit input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.io import dataset_table
from gridmodel.rates import allocation
from gridmodel.schema import Bills, Scenario, ScenarioError
from gridmodel.stress.audit import charged_to_campus
from gridmodel.stress.feasibility import hours_text

#: Allocators whose determinant is the demand in the system's coincident-peak hours.
CP_METHODS = ("1cp", "4cp", "12cp")


# ---------------------------------------------------------------------------------------------
# Which links a scenario uses


def new_generation_source(scenario: Scenario) -> str:
    """`bills.procurement.new_generation`, or its rule: `expansion` when the scenario has
    `optimize.expansion`, else `technology`."""
    chosen = scenario.bills.procurement.new_generation
    has_expansion = scenario.optimize is not None and scenario.optimize.expansion is not None
    if chosen == "expansion" and not has_expansion:
        raise ScenarioError(
            "field 'bills.procurement.new_generation': value 'expansion' needs an "
            "`optimize.expansion` section"
        )
    if chosen is not None:
        return chosen
    return "expansion" if has_expansion else "technology"


def sized_campuses(scenario: Scenario) -> list[str]:
    """Large loads whose coincident-peak avoidance comes from the campus dispatch: those left
    empty whose campus `optimize.campus` sizes."""
    sizing = scenario.optimize.campus if scenario.optimize is not None else None
    if sizing is None or not scenario.campuses:
        return []
    sized = sizing.campus or scenario.campuses[0].name
    return [
        load.campus
        for load in scenario.bills.large_loads
        if load.btm_peak_avoidance is None and load.campus == sized
    ]


def prices_from_stress(scenario: Scenario, stress_asked: bool) -> bool:
    """The energy price change comes from the stress stage's prices: the field is empty, the
    study runs grid stress, and its dispatch gives locational prices (`economic`)."""
    return (
        scenario.bills.procurement.energy_price_change_usd_per_mwh is None
        and stress_asked
        and scenario.dispatch.rule == "economic"
    )


def bills_upstream(scenario: Scenario, stress_asked: bool) -> tuple[str, ...]:
    """The stages the bills read under the scenario's links."""
    b: Bills = scenario.bills
    out = []
    if b.transmission.reinforce_overloads or prices_from_stress(scenario, stress_asked):
        out.append("stress")
    uses_expansion = (
        b.procurement.market == "vertically_integrated"
        and new_generation_source(scenario) == "expansion"
    )
    if uses_expansion or sized_campuses(scenario):
        out.append("optimize")
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# stress -> bills


def _refuse_infeasible_hours(stress: xr.DataTree, what: str) -> None:
    """ScenarioError naming the hours whose dispatch (with or without the campuses) could not
    serve demand, unless the scenario allows unserved energy: their overloads and prices are
    the fleet's shortfall, not a transmission need or a price."""
    if stress.attrs.get("allow_unserved_energy", 0):
        return
    ts = stress["timeseries"]
    flags = [v for v in ("dispatch_feasible", "dispatch_feasible_without_campus") if v in ts]
    bad = np.zeros(ts.sizes["time"], bool)
    for flag in flags:
        bad |= ~ts[flag].to_numpy().astype(bool)
    if bad.any():
        first = pd.Timestamp(ts.time.values[bad][0])
        raise ScenarioError(
            f"{what}: the grid-stress run could not serve demand (or carry the slack) in "
            f"{int(bad.sum())} hours of the load year {hours_text(ts.hour.values[bad])} (from "
            f"{first:%Y-%m-%d %H:%M}); its overloads and prices are the fleet's shortfall. Fix "
            "the fleet or set 'dispatch.allow_unserved_energy: true'"
        )


def campus_overloads(stress: xr.DataTree) -> pd.DataFrame:
    """Branches the grid-stress audit charges to the campuses (its `overloads` table, the rows
    :func:`gridmodel.stress.audit.charged_to_campus` keeps), each sized by how much the campuses
    overload it: at its worst counted hour, the flow above the study's own loading limit, or
    above the branch's loading without the campuses where that is higher:
    max_t (loading - max(limit, loading without)) / 100 x RATE_A, MW (hours counted as the audit
    counts them). One rule decides which branches are the campus's: the audit's.

    Override: `bills.transmission.reinforce_overloads: false` and a `projects` list.
    """
    ts = stress["timeseries"]
    if "loading_percent_without_campus" not in ts:
        raise ScenarioError(
            "field 'bills.transmission.reinforce_overloads': the grid-stress run has no campus"
        )
    _refuse_infeasible_hours(stress, "field 'bills.transmission.reinforce_overloads'")
    charged = charged_to_campus(dataset_table(stress["overloads"].to_dataset()))
    columns = ["branch", "from_bus", "to_bus", "status", "overload_mw"]
    if charged.empty:
        return pd.DataFrame(columns=columns)
    limit = float(stress.attrs["loading_limit_percent"])
    rows = pd.Index(ts.branch.to_numpy()).get_indexer(charged.branch.to_numpy())
    hours = ts.converged.to_numpy().astype(bool)
    if "converged_without_campus" in ts:
        hours &= ts.converged_without_campus.to_numpy().astype(bool)
    loading = ts.loading_percent.to_numpy()[hours][:, rows]
    without = ts.loading_percent_without_campus.to_numpy()[hours][:, rows]
    caused = np.nan_to_num(loading - np.maximum(limit, without), nan=0.0).max(axis=0, initial=0.0)
    table = pd.DataFrame(
        {
            "branch": charged.branch.to_numpy(),
            "from_bus": charged.from_bus.to_numpy(),
            "to_bus": charged.to_bus.to_numpy(),
            "status": charged.status.to_numpy().astype(str),
            "overload_mw": np.clip(caused, 0.0, None) / 100.0 * ts.rate_a_mva.to_numpy()[rows],
        }
    )
    return table[table.overload_mw > 0].reset_index(drop=True)


def energy_price_change(stress: xr.DataTree, bus_load_mw: np.ndarray, campus_bus_load_mw: np.ndarray) -> float:  # fmt: skip
    """Change of the load-weighted average energy price ($/MWh) the campuses cause:
    Σ LMP·(load + campus) / Σ (load + campus) with the campuses, minus Σ LMP'·load / Σ load
    without them (LMP' the prices of the no-campus twin), over the stress period's hours;
    ``bus_load_mw``/``campus_bus_load_mw`` are hours x buses in the stress result's bus order.

    Override: `bills.procurement.energy_price_change_usd_per_mwh`.
    """
    ts = stress["timeseries"]
    _refuse_infeasible_hours(stress, "field 'bills.procurement.energy_price_change_usd_per_mwh'")
    with_campus = bus_load_mw + campus_bus_load_mw
    price = np.nan_to_num(ts.lmp_usd_per_mwh.to_numpy())
    price0 = np.nan_to_num(ts.lmp_usd_per_mwh_without_campus.to_numpy())
    return float(
        (price * with_campus).sum() / with_campus.sum() - (price0 * bus_load_mw).sum() / bus_load_mw.sum()
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# optimize -> bills


def expansion_build(optimize: xr.DataTree) -> tuple[float, float]:
    """(MW, $/yr) of new generation the campuses cause: the regional expansion's build and its
    annualised fixed cost with the campuses minus its no-campus twin's (every technology;
    storage counted by its power). Without a twin, the whole build.

    Override: `bills.procurement.new_generation: technology`.
    """
    with_campus = optimize["expansion"]
    mw = float(with_campus.capacity_mw.sum())
    cost = float(with_campus.fixed_cost_usd_per_yr.sum())
    if "expansion_without_campus" in optimize:
        twin = optimize["expansion_without_campus"]
        mw -= float(twin.capacity_mw.sum())
        cost -= float(twin.fixed_cost_usd_per_yr.sum())
    return max(mw, 0.0), max(cost, 0.0)


def cp_method(bills: Bills) -> str | None:
    """The coincident-peak allocator the avoidance applies to: transmission's when it is one
    (4CP is the charge behind-the-meter supply avoids in ERCOT), else generation's, else None."""
    for method in (bills.allocation.transmission, bills.allocation.generation):
        if method in CP_METHODS:
            return method
    return None


def coincident_peak_avoidance(
    campus: xr.Dataset, method: str, system_mw: np.ndarray, time: np.ndarray
) -> float:
    """Share of the campus's demand at the allocator's peak hours that on-site supply served:
    1 - Σ grid import / Σ campus demand over the peak hours of ``system_mw`` (system load with
    the campuses, hourly at ``time``), from the campus dispatch of `optimize.campus`.

    Override: `bills.large_loads[].btm_peak_avoidance`.
    """
    month = pd.DatetimeIndex(time).month.to_numpy()
    cp = time[allocation.cp_hours(method, system_mw, month)]
    missing = np.setdiff1d(cp, campus.time.values)
    if len(missing):
        shown = ", ".join(f"{pd.Timestamp(t):%Y-%m-%d %H:%M}" for t in missing[:4])
        raise ScenarioError(
            f"field 'bills.large_loads.btm_peak_avoidance': the {method} peak hours ({shown}) "
            "are outside the period the campus dispatch covers; extend `period` or give the "
            "share explicitly"
        )
    at_peak = campus.sel(time=cp)
    demand = float(at_peak.load_mw.sum())
    return 0.0 if demand <= 0 else float(np.clip(1.0 - at_peak.grid_mw.sum() / demand, 0.0, 1.0))

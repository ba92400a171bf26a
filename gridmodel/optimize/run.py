"""The optimize stage: regional expansion (with its no-campus twin) and campus sizing."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.datafiles import read_csv_columns
from gridmodel.inputs import StudyInputs
from gridmodel.optimize.campus import CampusProblem, GridTerms, solve_campus
from gridmodel.optimize.costs import Prices, technology_costs
from gridmodel.optimize.dcnetwork import bus_loads, dc_network
from gridmodel.optimize.expansion import (
    Candidate,
    ExpansionOptions,
    ExpansionProblem,
    Snapshots,
    solve_expansion,
)
from gridmodel.optimize.links import campus_lmp
from gridmodel.optimize.periods import aggregation_error, typical_periods
from gridmodel.optimize.solver import InfeasibleError
from gridmodel.powerflow.case import StudyLoads, study_loads
from gridmodel.progress import Progress, no_progress
from gridmodel.schema import CampusSizing, Expansion, Scenario, ScenarioError
from gridmodel.schema.bills import monthly_sales, region_row, region_value, regions

ZONAL_ABOVE_BUSES = 500
GROUPS = ("expansion", "expansion_without_campus", "campus", "business_as_usual")
#: The corners of `optimize.campus.ranges`: every uncertain input at the end that favours grid
#: supply (the smallest saving), then at the end that favours on-site supply (the largest).
RANGE_CASES = ("low_saving", "high_saving")

log = logging.getLogger(__name__)


def _prices(scenario: Scenario) -> Prices:
    c = scenario.optimize.costs
    return Prices(gas_usd_per_mmbtu=c.gas_usd_per_mmbtu, co2_usd_per_t=c.co2_usd_per_t, wacc=c.wacc)


# ---------------------------------------------------------------------------------------------
# Regional expansion


def expansion_problem(
    study: StudyInputs, loads: StudyLoads, with_campus: bool = True
) -> tuple[ExpansionProblem, dict, np.ndarray]:
    """The expansion problem of the study (campuses at 0 MW when not ``with_campus``), the
    aggregation error (empty for every hour) and the period position of every snapshot."""
    network, scenario = study.network, study.scenario
    spec: Expansion = scenario.optimize.expansion
    grid = dc_network(network, loads.net)
    zonal = spec.network == "zonal" or (spec.network == "auto" and grid.n_node > ZONAL_ABOVE_BUSES)
    load_p = loads.load_p.copy()
    if not with_campus:
        load_p[:, loads.campus_cols] = 0.0
    load = bus_loads(network, loads.net, load_p)
    if zonal:
        grid = grid.zonal()
        areas = network.buses.area.to_numpy().astype(str)
        load = (
            pd.DataFrame(load, columns=areas).T.groupby(level=0).sum().T[list(grid.node)].to_numpy()
        )
    campus = (
        load_p[:, loads.campus_cols].max(axis=1)
        if len(loads.campus_cols)
        else np.zeros(len(loads.hours))
    )
    error: dict = {}
    if spec.typical_periods is None:
        idx = np.arange(len(load))
        snap = Snapshots(load, np.ones(len(load)), campus, float(load.sum(axis=1).max()))
    else:
        features = pd.DataFrame(load, columns=[str(n) for n in grid.node])
        if not zonal:  # cluster on area totals, take every bus from the medoid periods
            features = features.T.groupby(grid.node_area).sum().T
        start = pd.Timestamp(study.inputs.time.values[loads.hours[0]])
        try:
            tp = typical_periods(features, spec.typical_periods, spec.hours_per_period, str(start))
        except ValueError as err:
            raise ScenarioError(f"field 'optimize.expansion.typical_periods': {err}") from None
        idx = tp.snapshot_hours()
        snap = Snapshots(
            load[idx], tp.weight(), campus[idx], float(load.sum(axis=1).max()),
            period_hours=tp.hours_per_period, sequence=tp.sequence,
        )  # fmt: skip
        error = aggregation_error(load, tp)
    nodes = []
    for name in expansion_sites(study):
        site = network.descriptor.site(name)
        node = grid.node_of_bus(site.bus, network.area_of_bus(site.bus))
        if node not in nodes:
            nodes.append(node)
    limit = spec.max_mw_per_site or np.inf
    candidates = [Candidate(t, n, limit) for n in nodes for t in spec.technologies]
    costs = technology_costs(
        list(spec.technologies), scenario.optimize.costs.year, _prices(scenario)
    )
    options = ExpansionOptions(
        reserve_margin=spec.reserve_margin,
        operating_reserves=spec.operating_reserves,
        voll_usd_per_mwh=spec.voll_usd_per_mwh,
        time_limit_s=scenario.optimize.time_limit_s,
    )
    return ExpansionProblem(grid, snap, candidates, costs, options), error, idx


def expansion_sites(study: StudyInputs) -> list[str]:
    """Sites where new capacity may go (ScenarioError naming an unknown one)."""
    network, spec = study.network, study.scenario.optimize.expansion
    names = spec.sites if spec.sites is not None else [s.name for s in network.descriptor.sites]
    known = [s.name for s in network.descriptor.sites]
    for k, name in enumerate(names):
        if name not in known:
            raise ScenarioError(
                f"field 'optimize.expansion.sites.{k}': value '{name}' is not a site of network "
                f"'{network.name}' (sites: {', '.join(known)})"
            )
    return names


# ---------------------------------------------------------------------------------------------
# Campus sizing


def _hourly_csv(
    path: Path,
    column: str,
    hours: np.ndarray,
    field: str,
    lo: float | None = None,
    hi: float | None = None,
) -> np.ndarray:
    """``column`` of an hourly CSV (one row per hour of the load year) at ``hours``."""
    values = read_csv_columns(path, [column], field, min_rows=int(hours.max()) + 1, lo=lo, hi=hi)
    return values[hours, 0]


def grid_region(scenario: Scenario) -> str:
    """The region whose industrial price the campus pays: `optimize.campus.grid.region`, else
    `bills.baseline.region` (ScenarioError naming the field when neither is given)."""
    g = scenario.optimize.campus.grid
    if g.region is not None:
        if g.region not in regions():
            raise ScenarioError(
                f"field 'optimize.campus.grid.region': value '{g.region}' is not a region of "
                f"gridmodel/schema/regions.csv; allowed: {regions()}"
            )
        return g.region
    if scenario.bills is not None:
        return scenario.bills.baseline.region
    raise ScenarioError(
        "field 'optimize.campus.grid.region': the grid price `industrial` needs a region (or a "
        "`bills.baseline.region`); give one, or a price"
    )


def industrial_price(scenario: Scenario) -> float:
    """Average industrial price ($/MWh) of the campus's region (regions.csv)."""
    field = "optimize.campus.grid.price_usd_per_mwh"
    try:
        return 10.0 * region_value(grid_region(scenario), "industrial", "cents_per_kwh", field)
    except ValueError as err:
        raise ScenarioError(str(err)) from None


def industrial_price_range(scenario: Scenario) -> tuple[float, float]:
    """Lowest and highest monthly average industrial price of the region's state over its
    annual average (EIA-861M 2024); (1, 1) for a region without monthly rows."""
    state = region_row(grid_region(scenario)).state
    rows = monthly_sales()
    rows = rows[(rows.state == state) & (rows.sector == "IND")]
    if rows.empty:
        return 1.0, 1.0
    annual = rows.revenue_musd.sum() / rows.sales_gwh.sum()
    monthly = rows.revenue_musd / rows.sales_gwh
    return float(monthly.min() / annual), float(monthly.max() / annual)


def grid_price(study: StudyInputs, spec: CampusSizing, stress, bus: int) -> np.ndarray:
    """Hourly energy price ($/MWh) of a campus at case bus ``bus`` over the study period."""
    g = spec.grid
    hours = study.period
    if g.price_usd_per_mwh == "industrial":
        return np.full(len(hours), industrial_price(study.scenario))
    if g.price_usd_per_mwh == "lmp":
        return campus_lmp(stress, bus, study.inputs.time.values[hours])
    if isinstance(g.price_usd_per_mwh, float | int):
        return np.full(len(hours), float(g.price_usd_per_mwh))
    field = "optimize.campus.grid.price_usd_per_mwh"
    return _hourly_csv(g.price_usd_per_mwh, "price_usd_per_mwh", hours, field)


def grid_available(study: StudyInputs, spec: CampusSizing) -> np.ndarray:
    """Hours of the study period with grid supply: from `available_from_hour`, outside every
    `outage_hours` range."""
    hours = study.period
    available = hours >= spec.grid.available_from_hour
    for start, end in spec.grid.outage_hours:
        available &= ~((hours >= start) & (hours < end))
    return available


def grid_terms(study: StudyInputs, spec: CampusSizing, stress, bus: int) -> GridTerms:
    """Hourly grid terms of a campus at case bus ``bus`` over the study period."""
    hours = study.period
    g = spec.grid
    available = grid_available(study, spec)
    # a campus with no grid in any hour never pays a grid price
    price = grid_price(study, spec, stress, bus) if available.any() else np.zeros(len(hours))
    period = study.period_inputs()
    month = pd.DatetimeIndex(period.time.values).month.to_numpy()
    system = period.system_load_mw.to_numpy() + period.campus_p_mw.sum("campus").to_numpy()
    cp = [
        int(np.flatnonzero(month == m)[np.argmax(system[month == m])])
        for m in (6, 7, 8, 9)
        if (month == m).any()
    ]
    return GridTerms(
        price_usd_per_mwh=price,
        available=available,
        month=month,
        cp_hours=np.asarray(cp, dtype=int),
        contract_mw=g.contract_mw,
        contract_usd_per_kw_yr=g.contract_usd_per_kw_yr,
        demand_charge_usd_per_kw_month=g.demand_charge_usd_per_kw_month,
        transmission_4cp_usd_per_kw_yr=g.transmission_4cp_usd_per_kw_yr,
        ramp_mw_per_h=None if g.ramp_mw_per_min is None else 60.0 * g.ramp_mw_per_min,
    )


def sized_campus(study: StudyInputs) -> int:
    """Position of the campus `optimize.campus` sizes (ScenarioError naming a wrong one)."""
    spec: CampusSizing = study.scenario.optimize.campus
    names = [c.name for c in study.scenario.campuses]
    if not names:
        raise ScenarioError("field 'optimize.campus': the scenario has no campuses to size")
    name = spec.campus or names[0]
    if name not in names:
        raise ScenarioError(
            f"field 'optimize.campus.campus': value '{name}' is not a campus (campuses: {names})"
        )
    return names.index(name)


def campus_problem(study: StudyInputs, stress) -> CampusProblem:
    """The behind-the-meter sizing problem of the campus `optimize.campus` names."""
    scenario = study.scenario
    spec: CampusSizing = scenario.optimize.campus
    k = sized_campus(study)
    period = study.period_inputs()
    load = period.campus_p_mw.isel(campus=k).to_numpy()
    costs = technology_costs(
        list(spec.technologies), scenario.optimize.costs.year, _prices(scenario)
    )
    solar = None
    if "solar" in spec.technologies:
        if spec.solar_cf_csv is None:
            raise ScenarioError(
                "field 'optimize.campus.solar_cf_csv': required when 'solar' is offered"
            )
        solar = _hourly_csv(
            spec.solar_cf_csv, "cf", study.period, "optimize.campus.solar_cf_csv", 0.0, 1.0
        )
    return CampusProblem(
        load_mw=load,
        costs=costs,
        grid=grid_terms(study, spec, stress, int(period.campus_bus.values[k])),
        redundancy=spec.redundancy,
        reliability_target=spec.reliability_target,
        solar_cf=solar,
        emissions_cap_t=spec.emissions_cap_t,
        voll_usd_per_mwh=spec.voll_usd_per_mwh,
        options={"time_limit": float(scenario.optimize.time_limit_s)},
    )


# ---------------------------------------------------------------------------------------------
# The stage


def check(study: StudyInputs) -> None:
    """Refuse, before any solve, what the optimize stage could only refuse later."""
    spec = study.scenario.optimize
    if spec is None or (spec.expansion is None and spec.campus is None):
        raise ScenarioError(
            "field 'optimize': the scenario asks for nothing to optimise (give 'expansion' "
            "and/or 'campus')"
        )
    if spec.expansion is not None:
        expansion_sites(study)
    if spec.campus is not None:
        sized_campus(study)
        if "solar" in spec.campus.technologies and spec.campus.solar_cf_csv is None:
            raise ScenarioError(
                "field 'optimize.campus.solar_cf_csv': required when 'solar' is offered"
            )
        if spec.campus.grid.price_usd_per_mwh == "industrial" and grid_available(study, spec.campus).any():  # fmt: skip
            industrial_price(study.scenario)
        for path, column, field, lo, hi in (
            (spec.campus.solar_cf_csv, "cf", "optimize.campus.solar_cf_csv", 0.0, 1.0),
            (spec.campus.grid.price_usd_per_mwh, "price_usd_per_mwh",
             "optimize.campus.grid.price_usd_per_mwh", None, None),
        ):  # fmt: skip
            if isinstance(path, Path):
                _hourly_csv(path, column, study.period, field, lo, hi)


def range_inputs(study: StudyInputs) -> dict[str, dict[str, float]]:
    """The uncertain inputs of the campus sizing at the central case and at each corner of
    `optimize.campus.ranges` (:data:`RANGE_CASES`)."""
    spec: CampusSizing = study.scenario.optimize.campus
    r, g = spec.ranges, spec.grid
    grid_factor = r.grid_price_factor or (
        industrial_price_range(study.scenario)
        if g.price_usd_per_mwh == "industrial"
        else (1.0, 1.0)
    )
    tcp = r.transmission_4cp_usd_per_kw_yr or (g.transmission_4cp_usd_per_kw_yr,) * 2
    central = {
        "capex_factor": 1.0,
        "gas_usd_per_mmbtu": study.scenario.optimize.costs.gas_usd_per_mmbtu,
        "grid_price_factor": 1.0,
        "transmission_4cp_usd_per_kw_yr": g.transmission_4cp_usd_per_kw_yr,
    }
    ends = {"capex_factor": r.capex_factor, "gas_usd_per_mmbtu": r.gas_usd_per_mmbtu,
            "grid_price_factor": grid_factor, "transmission_4cp_usd_per_kw_yr": tcp}  # fmt: skip
    # on-site supply gains from cheap capital and gas, dear grid energy and transmission
    onsite_gains_when_high = {"capex_factor": False, "gas_usd_per_mmbtu": False,
                              "grid_price_factor": True, "transmission_4cp_usd_per_kw_yr": True}  # fmt: skip
    out = {"central": central}
    for case, favour_onsite in zip(RANGE_CASES, (False, True), strict=True):
        out[case] = {k: v[int(onsite_gains_when_high[k] == favour_onsite)] for k, v in ends.items()}
    return out


def problem_at(study: StudyInputs, problem: CampusProblem, values: dict) -> CampusProblem:
    """``problem`` with the uncertain inputs ``values`` (see :func:`range_inputs`)."""
    scenario = study.scenario
    prices = replace(_prices(scenario), gas_usd_per_mmbtu=values["gas_usd_per_mmbtu"])
    costs = technology_costs(
        list(problem.costs), scenario.optimize.costs.year, prices, values["capex_factor"]
    )
    grid = replace(
        problem.grid,
        price_usd_per_mwh=problem.grid.price_usd_per_mwh * values["grid_price_factor"],
        transmission_4cp_usd_per_kw_yr=values["transmission_4cp_usd_per_kw_yr"],
    )
    return replace(problem, costs=costs, grid=grid)


def grid_only(problem: CampusProblem) -> CampusProblem:
    """The grid-only twin of a campus problem: the same load and grid terms, nothing on site."""
    return CampusProblem(
        load_mw=problem.load_mw, costs={}, grid=problem.grid,
        voll_usd_per_mwh=problem.voll_usd_per_mwh, options=problem.options,
    )  # fmt: skip


def campus_ranges(
    study: StudyInputs, problem: CampusProblem, campus: xr.Dataset, bau: xr.Dataset
) -> xr.Dataset:
    """Build, annual cost and saving against the grid-only twin at the central case (``campus``,
    ``bau``) and at each corner of the ranges (dims ``range_case``, ``gas``)."""
    inputs = range_inputs(study)
    results = {"central": (campus, bau)}
    for case in RANGE_CASES:
        at = problem_at(study, problem, inputs[case])
        results[case] = (solve_campus(at), solve_campus(grid_only(at)))
    cases = list(results)
    onsite = np.array([float(c.cost_usd_per_yr.sum()) for c, _ in results.values()])
    grid = np.array([float(b.cost_usd_per_yr.sum()) for _, b in results.values()])
    ds = xr.Dataset(
        {
            "gas_capacity_mw": (("range_case", "gas"),
                                np.array([c.gas_capacity_mw.to_numpy() for c, _ in results.values()]),
                                {"units": "MW"}),
            "battery_mw": ("range_case", [float(c.battery_mw) for c, _ in results.values()], {"units": "MW"}),
            "cost_usd_per_yr": ("range_case", onsite, {"units": "USD/yr", "long_name": "with on-site supply"}),
            "grid_only_usd_per_yr": ("range_case", grid, {"units": "USD/yr", "long_name": "grid-only twin"}),
            "saving_usd_per_yr": ("range_case", grid - onsite, {"units": "USD/yr"}),
        },
        coords={"range_case": cases, "gas": campus.gas.values},
    )  # fmt: skip
    for name in inputs["central"]:
        ds[name] = ("range_case", [inputs[c][name] for c in cases])
    return ds


def _on_time_axis(ds: xr.Dataset, dim: str, time: np.ndarray) -> xr.Dataset:
    """``ds`` with its hourly dimension ``dim`` labelled by the hours' start (``time``)."""
    return ds.rename({dim: "time"}).assign_coords(time=("time", time, {"long_name": "start of the hour"}))  # fmt: skip


def optimize(
    study: StudyInputs, stress: xr.DataTree | None = None, progress: Progress = no_progress
) -> xr.DataTree:
    """Regional expansion (and its no-campus twin) and behind-the-meter campus sizing with its
    grid-only twin, as the scenario's `optimize` section asks.

    Groups: ``expansion``, ``expansion_without_campus``, ``campus``, ``business_as_usual``,
    ``campus_range`` (build, cost and saving at the ends of `optimize.campus.ranges`).
    """
    check(study)
    spec = study.scenario.optimize
    time = study.inputs.time.values[study.period]
    groups: dict[str, xr.Dataset] = {}
    root = xr.Dataset()
    steps = 2 * (spec.campus is not None)
    if spec.expansion is not None:
        steps += 2 if spec.expansion.twin else 1
    progress("optimise", 0, steps)
    if spec.expansion is not None:
        loads = study_loads(study)
        twins = {"expansion": True}
        if spec.expansion.twin and len(loads.campus_cols):
            twins["expansion_without_campus"] = False
        for name, with_campus in twins.items():
            problem, error, idx = expansion_problem(study, loads, with_campus)
            log.info("optimize: %s over %d snapshots", name, problem.snapshots.n)
            ds = solve_expansion(problem)
            ds.attrs.update({f"aggregation_{k}": v for k, v in error.items()})
            groups[name] = _on_time_axis(ds, "snapshot", time[idx])
            progress("optimise", 1, steps)
    if spec.campus is not None:
        problem = campus_problem(study, stress)
        log.info("optimize: campus sizing over %d hours", len(problem.load_mw))
        campus = solve_campus(problem)
        campus.attrs["campus"] = study.scenario.campuses[sized_campus(study)].name
        groups["campus"] = _on_time_axis(campus, "hour", time)
        progress("optimise", 1, steps)
        log.info("optimize: the campus's grid-only twin")
        try:
            bau = solve_campus(grid_only(problem))
            groups["business_as_usual"] = _on_time_axis(bau, "hour", time)
        except InfeasibleError as err:
            bau = None
            root.attrs["business_as_usual_note"] = f"grid-only supply is infeasible: {err}"
        progress("optimise", 1, steps)
        if spec.campus.ranges is not None and bau is not None:
            groups["campus_range"] = campus_ranges(study, problem, campus, bau)
    return xr.DataTree.from_dict({"/": root, **{f"/{k}": v for k, v in groups.items()}})


def cost_table(tree: xr.DataTree) -> pd.DataFrame:
    """Annual cost by component ($/yr) for every result."""
    rows = []
    for group in GROUPS:
        if group in tree:
            ds = tree[group]
            for comp, value in zip(ds.cost.values, ds.cost_usd_per_yr.values, strict=True):
                rows.append({"result": group, "component": str(comp), "usd_per_yr": float(value)})
    return pd.DataFrame(rows, columns=["result", "component", "usd_per_yr"])

"""`gridmodel optimize`: regional expansion and campus sizing from a scenario, with outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.io import write_csv, write_netcdf_groups
from gridmodel.networks import Network, load_network
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
from gridmodel.optimize.periods import aggregation_error, typical_periods
from gridmodel.optimize.solver import InfeasibleError
from gridmodel.powerflow.case import build_study
from gridmodel.schema import CampusSizing, Expansion, Scenario, ScenarioError

ZONAL_ABOVE_BUSES = 500


@dataclass
class OptimizeResult:
    expansion: xr.Dataset | None = None
    campus: xr.Dataset | None = None
    business_as_usual: xr.Dataset | None = None
    bau_note: str = ""
    written: list[Path] = field(default_factory=list)


def _prices(scenario: Scenario) -> Prices:
    c = scenario.optimize.costs
    return Prices(gas_usd_per_mmbtu=c.gas_usd_per_mmbtu, co2_usd_per_t=c.co2_usd_per_t, wacc=c.wacc)


# ---------------------------------------------------------------------------------------------
# Regional expansion


def expansion_problem(
    network: Network, scenario: Scenario, case, inj
) -> tuple[ExpansionProblem, dict]:
    """The expansion problem of ``scenario`` and the aggregation error (empty for every hour)."""
    spec: Expansion = scenario.optimize.expansion
    grid = dc_network(network, case.net)
    zonal = spec.network == "zonal" or (spec.network == "auto" and grid.n_node > ZONAL_ABOVE_BUSES)
    load = bus_loads(network, case.net, inj.load_p)
    if zonal:
        grid = grid.zonal()
        areas = network.buses.area.to_numpy().astype(str)
        load = (
            pd.DataFrame(load, columns=areas).T.groupby(level=0).sum().T[list(grid.node)].to_numpy()
        )
    campus = (
        inj.load_p[:, case.campus_load_index].max(axis=1)
        if len(case.campus_load_index)
        else np.zeros(len(inj.hour))
    )
    error: dict = {}
    if spec.typical_periods is None:
        snap = Snapshots(load, np.ones(len(load)), campus, float(load.sum(axis=1).max()))
    else:
        features = pd.DataFrame(load, columns=[str(n) for n in grid.node])
        if not zonal:  # cluster on area totals, take every bus from the medoid periods
            features = features.T.groupby(grid.node_area).sum().T
        start = pd.Timestamp(f"{network.load_year}-01-01") + pd.Timedelta(hours=int(inj.hour[0]))
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
    names = spec.sites if spec.sites is not None else [s.name for s in network.descriptor.sites]
    nodes = []
    for k, name in enumerate(names):
        try:
            site = network.descriptor.site(name)
        except KeyError:
            known = ", ".join(s.name for s in network.descriptor.sites)
            raise ScenarioError(
                f"field 'optimize.expansion.sites.{k}': value '{name}' is not a site of network "
                f"'{network.name}' (sites: {known})"
            ) from None
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
    )
    return ExpansionProblem(grid, snap, candidates, costs, options), error


# ---------------------------------------------------------------------------------------------
# Campus sizing


def _hourly_csv(path: Path, column: str, hours: np.ndarray, field: str) -> np.ndarray:
    if not Path(path).exists():
        raise ScenarioError(f"field '{field}': file {path} does not exist")
    table = pd.read_csv(path)
    if column not in table:
        raise ScenarioError(
            f"field '{field}': {path} has no column '{column}' (columns: {list(table.columns)})"
        )
    values = table[column].to_numpy(dtype=float)
    if len(values) < hours.max() + 1:
        raise ScenarioError(
            f"field '{field}': {path} has {len(values)} rows, the study needs {hours.max() + 1}"
        )
    return values[hours]


def grid_price(network: Network, spec: CampusSizing, inj, bus: int) -> np.ndarray:
    """Hourly energy price ($/MWh) of a campus at case bus ``bus`` over the study hours."""
    g = spec.grid
    if g.price_usd_per_mwh == "lmp":
        return inj.lmp[:, network.buses.index.get_loc(network.bus_index(bus))].astype(float)
    if isinstance(g.price_usd_per_mwh, float | int):
        return np.full(len(inj.hour), float(g.price_usd_per_mwh))
    field = "optimize.campus.grid.price_usd_per_mwh"
    return _hourly_csv(g.price_usd_per_mwh, "price_usd_per_mwh", inj.hour, field)


def grid_terms(network: Network, spec: CampusSizing, inj, bus: int) -> GridTerms:
    """Hourly grid terms of a campus at case bus ``bus`` over the study hours."""
    hours = inj.hour
    g = spec.grid
    price = grid_price(network, spec, inj, bus)
    available = hours >= g.available_from_hour
    for start, end in g.outage_hours:
        available &= ~((hours >= start) & (hours < end))
    stamps = pd.Timestamp(f"{network.load_year}-01-01") + pd.to_timedelta(hours, unit="h")
    month = stamps.month.to_numpy()
    system = inj.load_p.sum(axis=1)
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


def campus_problem(network: Network, scenario: Scenario, case, inj) -> CampusProblem:
    spec: CampusSizing = scenario.optimize.campus
    names = case.campus_names
    if not names:
        raise ScenarioError("field 'optimize.campus': the scenario has no campuses to size")
    name = spec.campus or names[0]
    if name not in names:
        raise ScenarioError(
            f"field 'optimize.campus.campus': value '{name}' is not a campus (campuses: {names})"
        )
    k = names.index(name)
    load = inj.load_p[:, case.campus_load_index[k]]
    costs = technology_costs(
        list(spec.technologies), scenario.optimize.costs.year, _prices(scenario)
    )
    solar = None
    if "solar" in spec.technologies:
        if spec.solar_cf_csv is None:
            raise ScenarioError(
                "field 'optimize.campus.solar_cf_csv': required when 'solar' is offered"
            )
        solar = _hourly_csv(spec.solar_cf_csv, "cf", inj.hour, "optimize.campus.solar_cf_csv")
    return CampusProblem(
        load_mw=load,
        costs=costs,
        grid=grid_terms(network, spec, inj, case.campus_buses[k]),
        redundancy=spec.redundancy,
        solar_cf=solar,
        emissions_cap_t=spec.emissions_cap_t,
        voll_usd_per_mwh=spec.voll_usd_per_mwh,
    )


# ---------------------------------------------------------------------------------------------
# Run and write


def run_optimize(scenario: Scenario, out: Path, progress=None) -> OptimizeResult:
    """Solve what ``scenario.optimize`` asks for and write optimization.nc, costs.csv, figures."""
    from gridmodel.report.optimize_figures import optimize_figures

    if scenario.optimize is None or (
        scenario.optimize.expansion is None and scenario.optimize.campus is None
    ):
        raise ScenarioError(
            "field 'optimize': the scenario asks for nothing to optimise (give 'expansion' and/or 'campus')"
        )
    report = progress or (lambda *a: None)
    network = load_network(scenario.network)
    case, inj = build_study(network, scenario)
    result = OptimizeResult()
    steps = (scenario.optimize.expansion is not None) + 2 * (scenario.optimize.campus is not None)
    if scenario.optimize.expansion is not None:
        problem, error = expansion_problem(network, scenario, case, inj)
        result.expansion = solve_expansion(problem)
        result.expansion.attrs.update({f"aggregation_{k}": v for k, v in error.items()})
        report("optimise", 1, steps)
    if scenario.optimize.campus is not None:
        problem = campus_problem(network, scenario, case, inj)
        result.campus = solve_campus(problem)
        report("optimise", 1, steps)
        bau = CampusProblem(
            load_mw=problem.load_mw, costs={}, grid=problem.grid,
            voll_usd_per_mwh=problem.voll_usd_per_mwh,
        )  # fmt: skip
        try:
            result.business_as_usual = solve_campus(bau)
        except InfeasibleError as err:
            result.bau_note = f"grid-only supply is infeasible: {err}"
        report("optimise", 1, steps)
    for ds in (result.expansion, result.campus, result.business_as_usual):
        if ds is not None:
            ds.attrs.update({"scenario": scenario.name, "scenario_digest": scenario.digest()})
    out = Path(out)
    result.written.append(write_optimization(result, out / "optimization.nc"))
    result.written.append(write_csv(cost_table(result), out / "costs.csv", index=False))
    result.written.extend(optimize_figures(result, out))
    return result


def write_optimization(result: OptimizeResult, path: Path) -> Path:
    """One NetCDF file, one group per result (``expansion``, ``campus``, ``business_as_usual``)."""
    groups = ("expansion", "campus", "business_as_usual")
    return write_netcdf_groups({g: getattr(result, g) for g in groups}, path)


def cost_table(result: OptimizeResult) -> pd.DataFrame:
    """Annual cost by component ($/yr) for every result."""
    rows = []
    for group in ("expansion", "campus", "business_as_usual"):
        ds = getattr(result, group)
        if ds is not None:
            for comp, value in zip(ds.cost.values, ds.cost_usd_per_yr.values, strict=True):
                rows.append({"result": group, "component": str(comp), "usd_per_yr": float(value)})
    return pd.DataFrame(rows)

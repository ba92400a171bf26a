"""Behind-the-meter sizing for one campus: gas units, battery, solar and the grid contract.

A linear programme over every hour of the campus profile; dispatch uses a linearised
commitment (online capacity between 0 and the built capacity, output between minimum load and the
online capacity). The grid is one more supplier: energy at an hourly price, a contract level,
monthly demand charges, an ERCOT-style 4CP transmission charge on the import in the four summer
peak hours, a ramp limit, and hours with no grid at all (faults, or bridge-power years before the
interconnection). One function per constraint family; names are what infeasibility reports show.

Redundancy of the gas fleet is either deterministic (N+1: the fleet carries the peak with its
largest unit out) or a reliability target checked on a capacity outage probability table (COPT):
with every unit out independently at its forced-outage rate, the fleet alone carries the peak
load with at least the target probability.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from gridmodel.optimize.costs import GAS_CO2_T_PER_MMBTU, TechnologyCost
from gridmodel.optimize.solver import InfeasibleError, solve

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class GridTerms:
    """How the campus may use the grid. Prices in $/MWh, charges in $/kW-month or $/kW-yr.

    ``available`` marks hours with grid supply; ``cp_hours`` are positions of the 4CP hours;
    ``month`` is the calendar month (1-12) of every hour, for demand charges;
    ``contract_mw`` fixes the contract level (None: the optimiser chooses it).
    """

    price_usd_per_mwh: np.ndarray
    available: np.ndarray
    month: np.ndarray
    cp_hours: np.ndarray
    contract_mw: float | None = None
    contract_usd_per_kw_yr: float = 0.0
    demand_charge_usd_per_kw_month: float = 0.0
    transmission_4cp_usd_per_kw_yr: float = 0.0
    ramp_mw_per_h: float | None = None


@dataclass
class CampusProblem:
    """Hourly load (MW), technologies on offer, grid terms and design rules (``options`` go to
    HiGHS).

    ``solar_cf`` is the hourly PV capacity factor (required when ``solar`` is offered);
    ``emissions_cap_t`` caps annual CO2 of the gas units; ``voll_usd_per_mwh`` allows unserved
    energy at that price; ``redundancy`` ``"n+1"`` makes the gas fleet carry the peak load with its
    largest unit out, ``"reliability"`` with probability ``reliability_target`` given its units'
    forced outages (:func:`served_probability`).
    """

    load_mw: np.ndarray
    costs: dict[str, TechnologyCost]
    grid: GridTerms
    redundancy: str = "none"
    reliability_target: float = 0.9997
    solar_cf: np.ndarray | None = None
    emissions_cap_t: float | None = None
    voll_usd_per_mwh: float | None = None
    options: dict = field(default_factory=dict)

    @property
    def thermal(self) -> list[str]:
        return [n for n, c in self.costs.items() if c.kind == "thermal"]

    def technology(self, kind: str) -> TechnologyCost | None:
        """The offered technology of ``kind`` (``storage``, ``variable``), or None."""
        return next((c for c in self.costs.values() if c.kind == kind), None)

    def offers(self, kind: str) -> bool:
        return self.technology(kind) is not None

    @property
    def year_scale(self) -> float:
        return HOURS_PER_YEAR / len(self.load_mw)


def _variables(m, p: CampusProblem) -> None:
    n_t = len(p.load_mw)
    m.T = pyo.Set(initialize=range(n_t))
    m.G = pyo.Set(initialize=p.thermal)
    m.gas_mw = pyo.Var(m.G, bounds=(0.0, None))
    m.p = pyo.Var(m.G, m.T, bounds=(0.0, None))
    m.online = pyo.Var(m.G, m.T, bounds=(0.0, None))
    avail = p.grid.available.tolist()
    m.grid = pyo.Var(m.T, bounds=lambda _, t: (0.0, None if avail[t] else 0.0))
    m.contract = pyo.Var(bounds=(0.0, None))
    if p.grid.contract_mw is not None:
        m.contract.fix(p.grid.contract_mw)
    m.M = pyo.Set(initialize=sorted(set(p.grid.month.tolist())))
    m.monthly_peak = pyo.Var(m.M, bounds=(0.0, None))
    store = (0.0, None if p.offers("storage") else 0.0)
    m.battery_mw = pyo.Var(bounds=store)
    m.battery_mwh = pyo.Var(bounds=store)
    m.charge = pyo.Var(m.T, bounds=store)
    m.discharge = pyo.Var(m.T, bounds=store)
    m.soc = pyo.Var(m.T, bounds=store)
    pv = (0.0, None if p.offers("variable") else 0.0)
    m.solar_mw = pyo.Var(bounds=pv)
    m.solar = pyo.Var(m.T, bounds=pv)
    if p.voll_usd_per_mwh is not None:
        m.unserved = pyo.Var(m.T, bounds=(0.0, None))


def add_balance(m, p: CampusProblem) -> None:
    """Supply meets the campus load every hour (its dual is the campus's marginal cost)."""
    load = p.load_mw.tolist()
    shed = p.voll_usd_per_mwh is not None
    m.balance = pyo.Constraint(
        m.T,
        rule=lambda m, t: (
            sum(m.p[g, t] for g in m.G)
            + m.solar[t]
            + m.discharge[t]
            - m.charge[t]
            + m.grid[t]
            + (m.unserved[t] if shed else 0.0)
            == load[t]
        ),
    )


def add_unit_limits(m, p: CampusProblem) -> None:
    """Linearised commitment: min load x online <= output <= online <= built capacity."""
    pmin = {g: p.costs[g].min_load_frac for g in p.thermal}
    m.unit_online = pyo.Constraint(m.G, m.T, rule=lambda m, g, t: m.online[g, t] <= m.gas_mw[g])
    m.unit_max = pyo.Constraint(m.G, m.T, rule=lambda m, g, t: m.p[g, t] <= m.online[g, t])
    m.unit_min = pyo.Constraint(
        m.G, m.T, rule=lambda m, g, t: m.p[g, t] >= pmin[g] * m.online[g, t]
    )


def add_redundancy(m, p: CampusProblem, largest: str | None, reserve_mw: float = 0.0) -> None:
    """Gas capacity covers the peak load plus ``reserve_mw`` (N+1: one unit of ``largest``, the
    biggest unit type allowed; a reliability target: the spare units its COPT asks for); unit
    types bigger than ``largest`` are not built."""
    if largest is None:
        return
    size = {g: p.costs[g].unit_mw for g in p.thermal}
    for g in p.thermal:
        if size[g] > size[largest]:
            m.gas_mw[g].setub(0.0)
    peak = float(p.load_mw.max())
    m.redundancy = pyo.Constraint(expr=sum(m.gas_mw[g] for g in m.G) >= peak + reserve_mw)


# ---------------------------------------------------------------------------------------------
# Capacity outage probability table


def capacity_outage_table(fleet: list[tuple[int, float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Capacity outage probability table of a fleet of independent two-state units, given as
    (units, unit MW, forced-outage rate q) per unit type: the outage levels (MW, ascending) and
    their probabilities. Each type's outages are binomial, P(k out) = C(n, k) q^k (1-q)^(n-k);
    the types combine by convolution (Billinton and Allan, Reliability Evaluation of Power
    Systems, 2nd ed., 1996, ch. 2)."""
    from scipy.stats import binom

    outage, prob = np.zeros(1), np.ones(1)
    for n, size, q in fleet:
        k = np.arange(int(n) + 1)
        pk = binom.pmf(k, int(n), q)
        outage = (outage[:, None] + k[None, :] * size).ravel()
        prob = (prob[:, None] * pk[None, :]).ravel()
        levels, inverse = np.unique(np.round(outage, 6), return_inverse=True)
        outage, prob = levels, np.bincount(inverse, weights=prob)
    return outage, prob


def served_probability(fleet: list[tuple[int, float, float]], load_mw: np.ndarray) -> np.ndarray:
    """Probability that the fleet's available capacity (installed - outage) carries each load:
    P(outage <= installed - load), from :func:`capacity_outage_table`."""
    installed = sum(n * size for n, size, _ in fleet)
    outage, prob = capacity_outage_table(fleet)
    cumulative = np.cumsum(prob)
    margin = installed - np.atleast_1d(np.asarray(load_mw, float))
    idx = np.searchsorted(outage, margin + 1e-6, side="right") - 1
    return np.where(idx >= 0, cumulative[np.clip(idx, 0, None)], 0.0)


def spare_units(units_for_peak: int, q: float, target: float) -> int:
    """Fewest spare units k of one type such that at most k of the units_for_peak + k units are
    out with probability >= ``target`` (binomial)."""
    from scipy.stats import binom

    k = 0
    while binom.cdf(k, units_for_peak + k, q) < target:
        k += 1
    return k


def built_fleet(p: CampusProblem, gas_mw: np.ndarray) -> list[tuple[int, float, float]]:
    """The built gas fleet as (units, unit MW, forced-outage rate) per type: capacity in whole
    units (rounded up)."""
    fleet = []
    for g, mw in zip(p.thermal, gas_mw, strict=True):
        c = p.costs[g]
        units = int(np.ceil(mw / c.unit_mw - 1e-6)) if c.unit_mw > 0 else 0
        if units:
            fleet.append((units, c.unit_mw, c.forced_outage_rate))
    return fleet


def add_storage(m, p: CampusProblem) -> None:
    """Battery power limits and cyclic state of charge (sqrt(round-trip) each way)."""
    if not p.offers("storage"):
        return
    eff = float(np.sqrt(p.technology("storage").round_trip_efficiency))
    last = len(p.load_mw) - 1
    m.battery_charge = pyo.Constraint(m.T, rule=lambda m, t: m.charge[t] <= m.battery_mw)
    m.battery_discharge = pyo.Constraint(m.T, rule=lambda m, t: m.discharge[t] <= m.battery_mw)
    m.battery_energy = pyo.Constraint(m.T, rule=lambda m, t: m.soc[t] <= m.battery_mwh)
    m.battery_soc = pyo.Constraint(
        m.T,
        rule=lambda m, t: (
            m.soc[t] == m.soc[last if t == 0 else t - 1] + eff * m.charge[t] - m.discharge[t] / eff
        ),
    )


def add_solar(m, p: CampusProblem) -> None:
    """PV output up to capacity x hourly capacity factor (curtailment free)."""
    if not p.offers("variable"):
        return
    cf = p.solar_cf.tolist()
    m.solar_limit = pyo.Constraint(m.T, rule=lambda m, t: m.solar[t] <= cf[t] * m.solar_mw)


def add_grid_limits(m, p: CampusProblem) -> None:
    """Import within the contract, monthly peaks for demand charges, and the utility ramp limit."""
    month = p.grid.month.tolist()
    m.grid_contract = pyo.Constraint(m.T, rule=lambda m, t: m.grid[t] <= m.contract)
    m.grid_monthly_peak = pyo.Constraint(
        m.T, rule=lambda m, t: m.grid[t] <= m.monthly_peak[month[t]]
    )
    r = p.grid.ramp_mw_per_h
    if r is not None:
        m.T1 = pyo.Set(initialize=range(1, len(p.load_mw)))
        m.grid_ramp_up = pyo.Constraint(m.T1, rule=lambda m, t: m.grid[t] - m.grid[t - 1] <= r)
        m.grid_ramp_down = pyo.Constraint(m.T1, rule=lambda m, t: m.grid[t - 1] - m.grid[t] <= r)


def add_emissions(m, p: CampusProblem) -> None:
    """Annual CO2 of the gas units within the cap (t/yr)."""
    if p.emissions_cap_t is None:
        return
    rate = {g: p.costs[g].heat_rate_mmbtu_per_mwh * GAS_CO2_T_PER_MMBTU for g in p.thermal}
    m.emissions_cap = pyo.Constraint(
        expr=p.year_scale * sum(rate[g] * m.p[g, t] for g in m.G for t in m.T) <= p.emissions_cap_t
    )


def add_objective(m, p: CampusProblem) -> None:
    """Annual cost: fixed costs of what is built, fuel and O&M, grid energy and grid charges."""
    ys = p.year_scale
    price = p.grid.price_usd_per_mwh.tolist()
    c = p.costs
    storage, solar = p.technology("storage"), p.technology("variable")
    fixed = sum(c[g].fixed_usd_per_mw_yr * m.gas_mw[g] for g in m.G)
    if storage is not None:
        fixed += (
            storage.fixed_usd_per_mw_yr * m.battery_mw
            + storage.fixed_usd_per_mwh_yr * m.battery_mwh
        )
    if solar is not None:
        fixed += solar.fixed_usd_per_mw_yr * m.solar_mw
    energy = ys * sum(
        sum(c[g].marginal_usd_per_mwh * m.p[g, t] for g in m.G)
        + price[t] * m.grid[t]
        + (p.voll_usd_per_mwh * m.unserved[t] if p.voll_usd_per_mwh is not None else 0.0)
        for t in m.T
    )
    cp = p.grid.cp_hours.tolist()
    charges = (
        1e3
        * p.grid.demand_charge_usd_per_kw_month
        * sum(m.monthly_peak[k] for k in m.M)
        * 12
        / len(m.M)
        + 1e3 * p.grid.contract_usd_per_kw_yr * m.contract
        + (
            1e3 * p.grid.transmission_4cp_usd_per_kw_yr * sum(m.grid[t] for t in cp) / len(cp)
            if cp
            else 0.0
        )
    )
    m.cost = pyo.Objective(expr=fixed + energy + charges, sense=pyo.minimize)


FAMILIES = (
    add_balance,
    add_unit_limits,
    add_storage,
    add_solar,
    add_grid_limits,
    add_emissions,
    add_objective,
)


def build_model(
    p: CampusProblem, largest: str | None = None, reserve_mw: float = 0.0
) -> pyo.ConcreteModel:
    """The campus LP; with a redundancy rule, ``largest`` is the biggest gas unit type allowed
    and ``reserve_mw`` the gas capacity required above the peak."""
    if p.offers("variable") and p.solar_cf is None:
        raise ValueError("solar is offered but no hourly capacity factor (solar_cf) was given")
    m = pyo.ConcreteModel(name="campus")
    _variables(m, p)
    for family in FAMILIES:
        family(m, p)
    add_redundancy(m, p, largest, reserve_mw)
    return m


#: Most extra spare units tried per candidate largest unit type before a reliability target is
#: reported as not met.
MAX_SPARE_STEPS = 50


def _initial_reserve(p: CampusProblem, largest: str) -> float:
    """Reserve (MW) that N+1 or the reliability target asks of a fleet of ``largest`` alone."""
    c = p.costs[largest]
    if p.redundancy == "n+1":
        return c.unit_mw
    for_peak = int(np.ceil(float(p.load_mw.max()) / c.unit_mw - 1e-9))
    return spare_units(for_peak, c.forced_outage_rate, p.reliability_target) * c.unit_mw


def _solve_with_largest(p: CampusProblem, largest: str | None, timings: dict):
    """Cheapest solution whose gas fleet meets the redundancy rule with ``largest`` the biggest
    unit type: N+1 directly; a reliability target by adding one spare unit of ``largest`` at a
    time until the COPT of the built fleet meets it (a mixed fleet may need more spares than a
    fleet of ``largest`` alone)."""
    reserve = 0.0 if largest is None else _initial_reserve(p, largest)
    for _ in range(MAX_SPARE_STEPS):
        t0 = time.perf_counter()
        m = build_model(p, largest, reserve)
        timings["build"] += time.perf_counter() - t0
        sol = solve(m, p.options)
        for k, v in sol.timings.items():
            timings[k] += v
        if p.redundancy != "reliability":
            return sol, reserve
        fleet = built_fleet(p, np.atleast_1d(sol.values["gas_mw"]))
        if float(served_probability(fleet, p.load_mw.max())[0]) >= p.reliability_target:
            return sol, reserve
        reserve += p.costs[largest].unit_mw
    raise InfeasibleError(
        f"reliability target {p.reliability_target} not met with {MAX_SPARE_STEPS} spare "
        f"{largest} units beyond the first estimate"
    )


def solve_campus(p: CampusProblem) -> xr.Dataset:
    """Build, solve and label the campus problem (costs in $/yr, timings in ``attrs``).

    N+1 ("the campus runs with its largest unit out") and a reliability target depend on which
    unit type is the largest built; rather than a big-M binary per type, one LP is solved per
    candidate largest type (unit types bigger than it excluded) and the cheapest is kept - exact,
    and each LP stays an LP.
    """
    rule = p.redundancy in ("n+1", "reliability")
    if rule and not p.thermal:
        raise ValueError(f"redundancy '{p.redundancy}' needs at least one gas technology")
    choices = [None] if not rule else sorted(p.thermal, key=lambda g: p.costs[g].unit_mw)
    best, failure = None, None
    timings = {"build": 0.0, "compile": 0.0, "solve": 0.0, "results": 0.0}
    for largest in choices:
        try:
            sol, reserve = _solve_with_largest(p, largest, timings)
        except InfeasibleError as err:
            failure = err
            continue
        if best is None or sol.objective < best[0].objective:
            best = (sol, largest, reserve)
    if best is None:
        raise failure
    ds = campus_dataset(p, best[0])
    ds.attrs.update(largest_unit=best[1] or "", reserve_mw=best[2])
    ds.attrs.update({f"time_{k}_s": float(v) for k, v in timings.items()})
    return ds


def campus_dataset(p: CampusProblem, sol) -> xr.Dataset:
    """Capacities, hourly dispatch by source and the annual cost breakdown."""
    n_t = len(p.load_mw)
    # variables that appear in no row or cost (technologies not offered) are not compiled
    v = {
        "battery_mw": np.zeros(1),
        "battery_mwh": np.zeros(1),
        "solar_mw": np.zeros(1),
        "contract": np.zeros(1),
        "monthly_peak": np.zeros(1),
        "solar": np.zeros(n_t),
        "charge": np.zeros(n_t),
        "discharge": np.zeros(n_t),
        "soc": np.zeros(n_t),
        "unserved": np.zeros(n_t),
        "grid": np.zeros(n_t),
        **sol.values,
    }
    ys = p.year_scale
    thermal = p.thermal
    gas_mw = v["gas_mw"] if thermal else np.zeros(0)
    units = np.ceil(gas_mw / np.array([p.costs[g].unit_mw for g in thermal]) - 1e-6)
    p_g = v["p"].reshape(len(thermal), n_t) if thermal else np.zeros((0, n_t))
    grid = v["grid"]
    c = p.costs
    storage, solar = p.technology("storage"), p.technology("variable")
    bat_mw, bat_mwh, solar_mw = (
        float(v["battery_mw"][0]),
        float(v["battery_mwh"][0]),
        float(v["solar_mw"][0]),
    )
    unserved = v["unserved"]
    cp = p.grid.cp_hours
    months = sorted(set(p.grid.month.tolist()))
    cost = {
        "gas_fixed": float(
            sum(c[g].fixed_usd_per_mw_yr * gas_mw[i] for i, g in enumerate(thermal))
        ),
        "battery_fixed": (
            storage.fixed_usd_per_mw_yr * bat_mw + storage.fixed_usd_per_mwh_yr * bat_mwh
        )
        if storage
        else 0.0,
        "solar_fixed": solar.fixed_usd_per_mw_yr * solar_mw if solar else 0.0,
        "gas_fuel_and_vom": float(
            ys * sum(c[g].marginal_usd_per_mwh * p_g[i].sum() for i, g in enumerate(thermal))
        ),
        "grid_energy": float(ys * (p.grid.price_usd_per_mwh * grid).sum()),
        "demand_charges": float(
            1e3 * p.grid.demand_charge_usd_per_kw_month * v["monthly_peak"].sum() * 12 / len(months)
        ),
        "transmission_4cp": float(1e3 * p.grid.transmission_4cp_usd_per_kw_yr * grid[cp].mean())
        if len(cp)
        else 0.0,
        "contract": float(1e3 * p.grid.contract_usd_per_kw_yr * v["contract"][0]),
        "unserved_energy": float(ys * (p.voll_usd_per_mwh or 0.0) * unserved.sum()),
    }
    co2 = float(
        ys
        * sum(
            c[g].heat_rate_mmbtu_per_mwh * GAS_CO2_T_PER_MMBTU * p_g[i].sum()
            for i, g in enumerate(thermal)
        )
    )
    ds = xr.Dataset(
        {
            "gas_capacity_mw": (("gas",), gas_mw, {"units": "MW"}),
            "units": (("gas",), units, {"long_name": "units needed for the capacity (rounded up)"}),
            "p_gas_mw": (("gas", "hour"), p_g, {"units": "MW"}),
            "grid_mw": (("hour",), grid, {"units": "MW"}),
            "battery_mw": ((), bat_mw, {"units": "MW"}),
            "battery_mwh": ((), bat_mwh, {"units": "MWh"}),
            "solar_mw": ((), solar_mw, {"units": "MW"}),
            "p_solar_mw": (("hour",), v["solar"], {"units": "MW"}),
            "p_battery_mw": (
                ("hour",),
                v["discharge"] - v["charge"],
                {"units": "MW", "long_name": "discharge - charge"},
            ),
            "soc_mwh": (("hour",), v["soc"], {"units": "MWh"}),
            "unserved_mw": (("hour",), unserved, {"units": "MW"}),
            "load_mw": (("hour",), p.load_mw, {"units": "MW"}),
            "marginal_cost_usd_per_mwh": (
                ("hour",),
                sol.duals["balance"] / ys,
                {"units": "USD/MWh"},
            ),
            "contract_mw": ((), float(v["contract"][0]), {"units": "MW"}),
            "cost_usd_per_yr": (("cost",), np.array(list(cost.values())), {"units": "USD/yr"}),
        },
        coords={"gas": thermal, "hour": np.arange(n_t), "cost": list(cost)},
        attrs={
            "objective_usd_per_yr": sol.objective,
            "co2_t_per_yr": co2,
            "redundancy": p.redundancy,
            **_reliability_attrs(p, gas_mw),
        },
    )
    ds["unit_mw"] = ("gas", [p.costs[g].unit_mw for g in thermal], {"units": "MW"})
    ds["forced_outage_rate"] = ("gas", [p.costs[g].forced_outage_rate for g in thermal])
    return ds


def _reliability_attrs(p: CampusProblem, gas_mw: np.ndarray) -> dict:
    """How reliably the built gas fleet alone carries the campus: at the peak load, and the
    share of hours on average (COPT of the built units)."""
    fleet = built_fleet(p, gas_mw)
    if not fleet:
        return {}
    served = served_probability(fleet, p.load_mw)
    out = {
        "gas_served_probability_at_peak": float(served_probability(fleet, p.load_mw.max())[0]),
        "gas_served_share_of_hours": float(served.mean()),
    }
    if p.redundancy == "reliability":
        out["reliability_target"] = p.reliability_target
    return out

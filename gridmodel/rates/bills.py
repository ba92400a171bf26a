"""Year-by-year revenue requirement, class allocation, rate cases and the residential bill.

Each year: the cost pools (today's costs, new supply for forecast load, capacity, energy,
transmission, exit-fee credits) are allocated to the classes, retail and one row per campus,
with the campuses' minimum-take floors and behind-the-meter peak avoidance. A constant
rate-design adjustment per class (summing to zero) makes today's allocation reproduce today's
class revenues. Rates are reset at rate cases from a lagged test year; the difference between
what the rates collect and the allocated revenue is deferred, carried at the WACC and amortised
at the next rate case.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import xarray as xr

from gridmodel.rates import allocation
from gridmodel.rates.capacity import CapacityTerms, class_plc_mw
from gridmodel.rates.revenue import MW_DAYS_PER_YEAR, ExistingCosts, vintage_cost
from gridmodel.rates.tariff import LargeLoadCase, exit_fee_usd
from gridmodel.schema import RETAIL_CLASSES

CLASSES = (*RETAIL_CLASSES, "large_load")
COMPONENTS = (
    "existing_generation",
    "new_generation",
    "capacity",
    "energy",
    "energy_price_change",
    "existing_transmission",
    "new_transmission",
    "distribution",
    "customer",
    "exit_fee_credit",
    "rate_design",
)
#: Components that scale with energy delivered (no cost is stranded when the energy is not used).
ENERGY_COMPONENTS = ("energy", "energy_price_change")
#: Components recovered through demand (billed on the minimum take).
DEMAND_COMPONENTS = (
    "existing_generation",
    "new_generation",
    "capacity",
    "existing_transmission",
    "new_transmission",
)


@dataclass(frozen=True)
class RetailSystem:
    """Retail classes: hourly MW (class, hour), month of each hour, customers, today's revenue,
    and the hours of the five summer coincident peaks (PJM 5CP)."""

    loads_mw: np.ndarray
    month: np.ndarray
    customers: np.ndarray
    revenue_usd: np.ndarray
    household_kwh_per_month: float
    five_cp: np.ndarray

    @property
    def energy_mwh(self) -> np.ndarray:
        return self.loads_mw.sum(axis=1)

    def plc_mw(self, residential_plc_kw: float | None = None) -> np.ndarray:
        """Peak-load contribution of each retail class (MW): its mean load at the 5CP hours, or
        for the residential class ``residential_plc_kw`` per customer when given."""
        plc = class_plc_mw(self.loads_mw, self.five_cp)
        if residential_plc_kw is not None:
            plc[0] = residential_plc_kw * self.customers[0] / 1000.0
        return plc


@dataclass(frozen=True)
class TransmissionCost:
    """A transmission cost stream: $/yr from ``first_year`` for ``life_yr`` years."""

    name: str
    annual_usd: float
    first_year: int
    life_yr: int
    direct_assignment: float


@dataclass(frozen=True)
class Supply:
    """How capacity for forecast load is supplied and paid for."""

    market: str
    reserve_margin: float
    lead_years: int
    new_generation_usd_per_mw_yr: float
    new_generation_mw: float | None  # built for the full forecast; None = contract x (1 + RM)
    generation_life_yr: int
    energy_price_change_usd_per_mwh: float
    capacity: CapacityTerms | None = None


@dataclass(frozen=True)
class Methods:
    """Allocator per function."""

    generation: str
    transmission: str
    distribution: str


@dataclass(frozen=True)
class BillModel:
    """Everything a bill simulation needs except the campuses."""

    years: np.ndarray
    retail: RetailSystem
    existing: ExistingCosts
    supply: Supply
    transmission: tuple[TransmissionCost, ...]
    methods: Methods
    wacc: float
    rate_case_interval: int
    rate_case_lag: int

    def with_methods(self, generation: str, transmission: str) -> BillModel:
        return replace(
            self,
            methods=Methods(generation, transmission, self.methods.distribution),
        )


# ---------------------------------------------------------------------------------------------
# Allocation of one year


def _shares(model: BillModel, loads: np.ndarray, floors_td, floors_gen, cp_scale) -> dict:
    """Class shares (rows of ``loads``) for each allocator of one year."""
    n_retail = len(RETAIL_CLASSES)
    month = model.retail.month
    dist = np.zeros(len(loads))
    dist[:n_retail] = allocation.shares(model.methods.distribution, loads[:n_retail], month)
    cust = np.zeros(len(loads))
    cust[:n_retail] = model.retail.customers / model.retail.customers.sum()
    retail_tr = allocation.shares(model.methods.transmission, loads[:n_retail], month)
    return {
        "generation": allocation.shares(
            model.methods.generation, loads, month, floors_gen, cp_scale
        ),
        "transmission": allocation.shares(
            model.methods.transmission, loads, month, floors_td, cp_scale
        ),
        "energy": allocation.shares("energy", loads, month),
        "distribution": dist,
        "customer": cust,
        "retail_transmission": np.concatenate([retail_tr, np.zeros(len(loads) - n_retail)]),
    }


_ALLOCATOR = {
    "existing_generation": "generation",
    "new_generation": "generation",
    "energy": "energy",
    "energy_price_change": "energy",
    "existing_transmission": "transmission",
    "distribution": "distribution",
    "customer": "customer",
    "exit_fee_credit": "retail_transmission",
}


def todays_capacity_usd(model: BillModel) -> float:
    """Capacity cost in today's rates ($/yr): today's price × retail PLC × today's FPR × 365."""
    if model.supply.market != "capacity_market":
        return 0.0
    return float(delivery_year_capacity(model, -1, [])[0].sum())


def delivery_year_capacity(model: BillModel, y: int, campuses) -> tuple[np.ndarray, float, float]:
    """Cost of the delivery year of model year ``y`` by row (retail classes, then campuses; $),
    its clearing price ($/MW-day) and the zone's UCAP obligation (MW).

    obligation = (retail PLC + forecast campus demand at the 5CP hours) × FPR; cost = price ×
    obligation × days, shared by the PLCs measured on year ``y - 1`` (campuses at their realised
    load, floored at their generation minimum take, less behind-the-meter peak avoidance).
    ``y = -1`` is the delivery year in today's rates (no campus, today's price and FPR).
    """
    cm = model.supply.capacity
    retail = model.retail.plc_mw(cm.residential_plc_kw)
    if y < 0:
        rows = np.concatenate([retail, np.zeros(len(campuses))])
        cost = cm.baseline_price * retail.sum() * cm.baseline_fpr * MW_DAYS_PER_YEAR
        return cost * rows / rows.sum(), cm.baseline_price, retail.sum() * cm.baseline_fpr
    hours = model.retail.five_cp
    at_peak = np.array([c.shape[hours].mean() * (1 - c.btm_peak_avoidance) for c in campuses])
    forecast = float(sum(c.forecast_mw(y) * a for c, a in zip(campuses, at_peak, strict=True)))
    obligation = (retail.sum() + forecast) * cm.fpr[y]
    price = cm.price(y, retail.sum(), forecast)
    measured = np.array([c.realised_mw(y - 1) * a for c, a in zip(campuses, at_peak, strict=True)])
    floors = np.array([c.floors_mw(y)[1] for c in campuses])
    rows = np.concatenate([retail, np.maximum(measured, floors)]) if campuses else retail
    cost = price * obligation * cm.days[y]
    return cost * rows / rows.sum(), price, obligation


def _capacity_rows(model: BillModel, year: int, campuses, today: bool) -> tuple:
    """Capacity cost recovered in calendar ``year`` by row ($): the share of the billing cycles of
    the delivery year starting that June and of the one before; with the price and obligation
    of the delivery year starting in ``year``."""
    n_rows = len(RETAIL_CLASSES) + len(campuses)
    if model.supply.market != "capacity_market":
        return np.zeros(n_rows), np.nan, np.nan
    if today:
        return delivery_year_capacity(model, -1, campuses)
    first, second = model.supply.capacity.recovery
    current, price, obligation = delivery_year_capacity(model, year, campuses)
    previous, *_ = delivery_year_capacity(model, year - 1, campuses)
    return first * current + second * previous, price, obligation


def _new_generation(model: BillModel, campuses: list[LargeLoadCase]) -> tuple:
    """(yearly cost, MW in service) of generation built for forecast campus load."""
    s = model.supply
    n = len(model.years)
    if s.market != "vertically_integrated":
        return np.zeros(n), np.zeros(n)
    built = np.zeros(n)
    contract = sum(c.contract_mw for c in campuses)
    for y in range(n):
        need = sum(c.contract_mw * c.ramp(y + s.lead_years) * c.present(y) for c in campuses)
        if s.new_generation_mw is None:
            target = need * (1 + s.reserve_margin)
        else:  # the optimiser's build, in service as the forecast needs it
            target = s.new_generation_mw * (need / contract if contract else 0.0)
        built[y] = max(built[y - 1] if y else 0.0, target)
    additions = np.diff(built, prepend=0.0)
    return vintage_cost(additions, s.new_generation_usd_per_mw_yr, s.generation_life_yr), built


def _year_amounts(model: BillModel, gen_cost: float, campuses, realised):
    """Cost pools of a year ($) allocated by class shares (capacity, transmission projects and
    exit fees come separately). Today's capacity cost leaves the existing generation cost: it is
    paid through the capacity component."""
    e = model.existing
    retail_energy = model.retail.energy_mwh.sum()
    campus_energy = sum(r * c.shape.sum() for r, c in zip(realised, campuses, strict=True))
    total_energy = retail_energy + campus_energy
    contract = sum(c.contract_mw for c in campuses)
    realised_share = sum(realised) / contract if contract else 0.0
    amounts = {
        "existing_generation": e.generation_demand_usd - todays_capacity_usd(model),
        "new_generation": gen_cost,
        "energy": e.energy_usd_per_mwh * total_energy,
        "energy_price_change": model.supply.energy_price_change_usd_per_mwh
        * realised_share
        * total_energy,
        "existing_transmission": e.transmission_usd,
        "distribution": e.distribution_demand_usd,
        "customer": e.distribution_customer_usd,
    }
    return amounts


def _campus_rows(campuses, realised):
    if not campuses:
        return np.zeros((0, 0))
    return np.vstack([r * c.shape for r, c in zip(realised, campuses, strict=True)])


def _allocate_year(
    model: BillModel, year: int, campuses, gen_cost: float, credit: float, today: bool = False
):
    """Allocated $ (row, component) for ``year`` plus reporting figures; ``today``: with the
    capacity cost in today's rates."""
    realised = [c.realised_mw(year) for c in campuses]
    forecast = [c.forecast_mw(year) for c in campuses]
    rows = _campus_rows(campuses, realised)
    loads = np.vstack([model.retail.loads_mw, rows]) if campuses else model.retail.loads_mw
    floors = [c.floors_mw(year) for c in campuses]
    n_retail = len(RETAIL_CLASSES)
    pad = np.zeros(n_retail)
    floors_td = np.concatenate([pad, [f[0] for f in floors]])
    floors_gen = np.concatenate([pad, [f[1] for f in floors]])
    cp_scale = np.concatenate([np.ones(n_retail), [1 - c.btm_peak_avoidance for c in campuses]])
    shares = _shares(model, loads, floors_td, floors_gen, cp_scale)
    amounts = _year_amounts(model, gen_cost, campuses, realised)
    amounts["exit_fee_credit"] = -credit
    out = np.zeros((len(loads), len(COMPONENTS)))
    for name, amount in amounts.items():
        out[:, COMPONENTS.index(name)] = amount * shares[_ALLOCATOR[name]]
    out[:, COMPONENTS.index("new_transmission")] = _transmission(
        model, year, campuses, shares["transmission"]
    )
    capacity, price, obligation = _capacity_rows(model, year, campuses, today)
    out[:, COMPONENTS.index("capacity")] = capacity
    energy = loads.sum(axis=1)
    return out, energy, (price, obligation), sum(realised), sum(forecast)


def _transmission(model: BillModel, year: int, campuses, shares: np.ndarray) -> np.ndarray:
    """New transmission $ by row: direct assignment to campuses in contract, rest allocated."""
    n_retail = len(RETAIL_CLASSES)
    paying = np.array(
        [c.contract_mw * (c.present(year) and year >= c.first_year) for c in campuses]
    )
    out = np.zeros(len(shares))
    for t in model.transmission:
        if not t.first_year <= year < t.first_year + t.life_yr:
            continue
        direct = t.annual_usd * t.direct_assignment if paying.sum() > 0 else 0.0
        if direct:
            out[n_retail:] += direct * paying / paying.sum()
        out += (t.annual_usd - direct) * shares
    return out


def _minimum_bill(model: BillModel, year: int, campuses, k: int, gen_cost: float) -> float:
    """Annual demand charges campus ``k`` would pay at its full-contract minimum take in ``year``."""
    c = campuses[k]
    staying = replace(c, leaves_after_years=None, materialisation=0.0, ramp_years=1)
    others = [staying if j == k else o for j, o in enumerate(campuses)]
    out, *_ = _allocate_year(model, year, others, gen_cost, 0.0)
    row = len(RETAIL_CLASSES) + k
    return float(sum(out[row, COMPONENTS.index(n)] for n in DEMAND_COMPONENTS))


# ---------------------------------------------------------------------------------------------
# Rate cases


def _baseline_adjustment(model: BillModel) -> np.ndarray:
    """Per retail class: today's revenue minus today's allocated cost ($/yr; sums to zero)."""
    out, *_ = _allocate_year(model, 0, [], 0.0, 0.0, today=True)
    return model.retail.revenue_usd - out.sum(axis=1)


def _rate_cases(model: BillModel, revenue: np.ndarray, energy: np.ndarray):
    """Charged retail rates ($/MWh), collections and deferral balance (year, retail class)."""
    n = len(model.years)
    today = model.retail.revenue_usd / model.retail.energy_mwh
    rate = np.zeros((n, len(RETAIL_CLASSES)))
    collected = np.zeros_like(rate)
    balance = np.zeros_like(rate)
    carried = np.zeros(len(RETAIL_CLASSES))
    current = today
    for y in range(n):
        if y % model.rate_case_interval == 0:
            test = y - model.rate_case_lag
            base = today if test < 0 else revenue[test] / energy[test]
            e_test = model.retail.energy_mwh if test < 0 else energy[test]
            current = base + carried / (model.rate_case_interval * e_test)
        rate[y] = current
        collected[y] = current * energy[y]
        carried = carried * (1 + model.wacc) + revenue[y] - collected[y]
        balance[y] = carried
    return rate, collected, balance


# ---------------------------------------------------------------------------------------------
# Simulation


def simulate(model: BillModel, campuses: list[LargeLoadCase]) -> xr.Dataset:
    """Revenue requirement, allocation, rates and bills for every year with ``campuses``."""
    n = len(model.years)
    n_retail = len(RETAIL_CLASSES)
    gen_cost, built = _new_generation(model, campuses)
    adjustment = _baseline_adjustment(model)
    credit = np.zeros(n)
    fees = np.zeros(n)
    for k, c in enumerate(campuses):
        exit_year = c.exit_year()
        if exit_year is None or exit_year >= n or c.years_left_at_exit() == 0:
            continue
        fee = exit_fee_usd(c, _minimum_bill(model, exit_year, campuses, k, gen_cost[exit_year]))
        fees[exit_year] += fee
        spread = max(1, c.years_left_at_exit())
        credit[exit_year : exit_year + spread] += fee / spread
    allocated = np.zeros((n, len(CLASSES), len(COMPONENTS)))
    energy = np.zeros((n, len(CLASSES)))
    price = np.zeros(n)
    obligation = np.zeros(n)
    realised_mw = np.zeros(n)
    forecast_mw = np.zeros(n)
    for y in range(n):
        out, e, (price[y], obligation[y]), realised_mw[y], forecast_mw[y] = _allocate_year(
            model, y, campuses, gen_cost[y], credit[y]
        )
        out[:n_retail, COMPONENTS.index("rate_design")] = adjustment
        allocated[y, :n_retail] = out[:n_retail]
        allocated[y, n_retail] = out[n_retail:].sum(axis=0)
        energy[y, :n_retail] = e[:n_retail]
        energy[y, n_retail] = e[n_retail:].sum()
    revenue = allocated.sum(axis=2)
    rate, collected, balance = _rate_cases(model, revenue[:, :n_retail], energy[:, :n_retail])
    kwh = model.retail.household_kwh_per_month
    retail = list(RETAIL_CLASSES)
    coords = {"year": model.years, "class": list(CLASSES), "component": list(COMPONENTS)}
    ds = xr.Dataset(
        {
            "allocated_usd": (("year", "class", "component"), allocated),
            "revenue_requirement_usd": ("year", revenue.sum(axis=1)),
            "revenue_usd": (("year", "class"), revenue),
            "energy_mwh": (("year", "class"), energy),
            "cost_of_service_usd_per_mwh": (
                ("year", "retail_class"),
                revenue[:, :n_retail] / energy[:, :n_retail],
            ),
            "rate_usd_per_mwh": (("year", "retail_class"), rate),
            "collected_usd": (("year", "retail_class"), collected),
            "deferral_usd": (("year", "retail_class"), balance),
            "residential_cents_per_kwh": ("year", rate[:, 0] / 10.0),
            "residential_bill_usd_per_month": ("year", rate[:, 0] * kwh / 1000.0),
            "large_load_forecast_mw": ("year", forecast_mw),
            "large_load_realised_mw": ("year", realised_mw),
            "new_generation_mw": ("year", built),
            "capacity_price_usd_per_mw_day": ("year", price),
            "ucap_obligation_mw": ("year", obligation),
            "exit_fee_usd": ("year", fees),
        },
        coords={**coords, "retail_class": retail},
    )
    units = {
        "allocated_usd": "$/yr",
        "revenue_requirement_usd": "$/yr",
        "revenue_usd": "$/yr",
        "energy_mwh": "MWh/yr",
        "cost_of_service_usd_per_mwh": "$/MWh",
        "rate_usd_per_mwh": "$/MWh",
        "collected_usd": "$/yr",
        "deferral_usd": "$",
        "residential_cents_per_kwh": "c/kWh",
        "residential_bill_usd_per_month": "$/month",
        "large_load_forecast_mw": "MW",
        "large_load_realised_mw": "MW",
        "new_generation_mw": "MW",
        "capacity_price_usd_per_mw_day": "$/MW-day",
        "ucap_obligation_mw": "MW",
        "exit_fee_usd": "$",
    }
    for name, unit in units.items():
        ds[name].attrs["units"] = unit
    ds.capacity_price_usd_per_mw_day.attrs["long_name"] = (
        "capacity price of the delivery year starting in June of the year"
    )
    ds.ucap_obligation_mw.attrs["long_name"] = "UCAP obligation of the zone in that delivery year"
    return ds


def at_todays_prices(model: BillModel) -> BillModel:
    """``model`` with today's capacity price and FPR in every delivery year (no price change)."""
    if model.supply.capacity is None:
        return model
    return replace(model, supply=replace(model.supply, capacity=model.supply.capacity.at_todays_price()))  # fmt: skip


def residential_plc_kw_per_customer(model: BillModel, basis: str = "5cp") -> float:
    """Residential peak-load contribution per customer (kW): the residential class's mean load at
    the coincident-peak hours of ``basis`` (``5cp``: PJM's five summer peaks; ``1cp``, ``4cp``,
    ``12cp``: the allocators' peaks of the retail system load) over the residential customers;
    with ``5cp`` in a capacity market, ``residential_plc_kw`` when the scenario gives it."""
    retail = model.retail
    if basis == "5cp":
        cm = model.supply.capacity
        given = cm.residential_plc_kw if cm is not None else None
        mw = retail.plc_mw(given)[0]
    else:
        hours = allocation.cp_hours(basis, retail.loads_mw.sum(axis=0), retail.month)
        mw = retail.loads_mw[0, hours].mean()
    return float(mw * 1000.0 / retail.customers[0])

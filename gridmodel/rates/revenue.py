"""Revenue requirement pieces: fixed charge rates, today's costs by function, new supply.

Fixed charge rate (NREL ATB 2024, 'Equations & Variables',
https://atb.nrel.gov/electricity/2024/equations_&_variables):
FCR = CRF · ProFinFactor, ProFinFactor = (1 - TR·PVD) / (1 - TR), with PVD the present value of
straight-line book depreciation over the asset life at the WACC, PVD = 1 / (life · CRF).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmodel.optimize.costs import capital_recovery_factor, technologies

MW_DAYS_PER_YEAR = 365.0


def fixed_charge_rate(wacc: float, life_yr: float, tax_rate: float) -> float:
    """Annual revenue requirement per $ of capex (fraction/yr)."""
    if wacc < 0:
        raise ValueError(f"wacc must be >= 0, got {wacc}")
    crf = capital_recovery_factor(wacc, life_yr)
    pvd = 1.0 / (life_yr * crf)
    return crf * (1.0 - tax_rate * pvd) / (1.0 - tax_rate)


@dataclass(frozen=True)
class ExistingCosts:
    """Today's revenue requirement split by function and classification ($/yr, $/MWh)."""

    generation_demand_usd: float
    energy_usd_per_mwh: float
    transmission_usd: float
    distribution_demand_usd: float
    distribution_customer_usd: float


def existing_costs(
    revenue_usd: float,
    energy_mwh: float,
    function_share: dict[str, float],
    generation_energy_share: float,
    distribution_customer_share: float,
) -> ExistingCosts:
    """Split today's revenue ``revenue_usd`` over ``energy_mwh`` of sales into cost pools."""
    gen = revenue_usd * function_share["generation"]
    dist = revenue_usd * function_share["distribution"]
    return ExistingCosts(
        generation_demand_usd=gen * (1 - generation_energy_share),
        energy_usd_per_mwh=gen * generation_energy_share / energy_mwh,
        transmission_usd=revenue_usd * function_share["transmission"],
        distribution_demand_usd=dist * (1 - distribution_customer_share),
        distribution_customer_usd=dist * distribution_customer_share,
    )


def new_generation_usd_per_mw_yr(
    technology: str, cost_year: int, wacc: float, life_yr: float, tax_rate: float
) -> float:
    """Annual revenue requirement of 1 MW of new ``technology``: capex·FCR + fixed O&M ($/MW-yr)."""
    row = technologies(cost_year).loc[technology]
    fcr = fixed_charge_rate(wacc, life_yr, tax_rate)
    return 1000.0 * (float(row.capex_usd_per_kw) * fcr + float(row.fom_usd_per_kw_yr))


def vintage_cost(additions: np.ndarray, annual_per_unit: float, life_yr: int) -> np.ndarray:
    """Yearly cost of capacity added each year (units) that each cost for ``life_yr`` years."""
    years = len(additions)
    cost = np.zeros(years)
    for y, added in enumerate(additions):
        cost[y : y + life_yr] += added * annual_per_unit
    return cost


def capacity_price(
    supply_mw: float, requirement_mw: float, cap: float, floor: float, surplus_at_floor: float
) -> float:
    """Sloped demand curve ($/MW-day): the cap at or below the requirement, the floor at
    ``surplus_at_floor`` above it, linear between."""
    surplus = supply_mw / requirement_mw - 1.0
    return float(cap - (cap - floor) * np.clip(surplus / surplus_at_floor, 0.0, 1.0))


def calibrated_supply(
    requirement_mw: float, price: float, cap: float, floor: float, surplus_at_floor: float
) -> float:
    """Offered capacity at which the demand curve clears at ``price`` for ``requirement_mw``."""
    if cap == floor:
        return requirement_mw
    frac = np.clip((cap - price) / (cap - floor), 0.0, 1.0)
    return requirement_mw * (1.0 + surplus_at_floor * frac)

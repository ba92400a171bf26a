"""Technology costs and their annualisation.

The table ``technologies.csv`` (next to this module) carries one row per technology and cost year
with its source: NREL ATB 2025 Moderate (2023 US$) for gas turbines, batteries, PV and wind;
reciprocating engines at the ATB aeroderivative cost scaled by the Danish Energy Agency's ratio of
engine to aeroderivative-turbine costs; unit sizes, minimum loads and forced-outage rates of the
gas units from the DEA technology data (which cite the ORNL distributed-generation reliability
database) and permit filings; the few values no source gives labelled "Assumption".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

TABLE = Path(__file__).with_name("technologies.csv")

#: kg CO2 per MMBtu of pipeline natural gas: US EPA, "Emission Factors for Greenhouse Gas
#: Inventories" (2024), Table 1, natural gas 53.06 kg CO2/mmBtu.
GAS_CO2_T_PER_MMBTU = 53.06e-3


@cache
def technology_table() -> pd.DataFrame:
    """All rows of ``technologies.csv`` (technology, year, costs in 2023 US$, source)."""
    return pd.read_csv(TABLE)


def technologies(year: int) -> pd.DataFrame:
    """Technologies of one cost year, indexed by technology name."""
    table = technology_table()
    years = sorted(table.year.unique())
    if year not in years:
        raise ValueError(f"cost year {year} is not in the technology table (years: {years})")
    return table[table.year == year].set_index("technology")


def capital_recovery_factor(wacc: float, life_yr: float) -> float:
    """CRF = WACC / (1 - (1 + WACC)^-life) (NREL ATB equations); 1/life when WACC is 0."""
    if wacc < 0:
        raise ValueError(f"wacc must be >= 0, got {wacc}")
    if wacc == 0:
        return 1.0 / life_yr
    return wacc / (1.0 - (1.0 + wacc) ** -life_yr)


@dataclass(frozen=True)
class Prices:
    """Fuel and emissions prices and financing: $/MMBtu, $/t CO2, WACC (fraction)."""

    gas_usd_per_mmbtu: float
    co2_usd_per_t: float
    wacc: float


@dataclass(frozen=True)
class TechnologyCost:
    """One technology's costs in model units.

    ``fixed_usd_per_mw_yr``: annualised capex + fixed O&M per MW of power;
    ``fixed_usd_per_mwh_yr``: the same per MWh of energy (storage only);
    ``marginal_usd_per_mwh``: fuel + CO2 + variable O&M per MWh produced;
    ``forced_outage_rate``: probability that a unit is out in an hour (0 when not given).
    """

    name: str
    kind: str
    fixed_usd_per_mw_yr: float
    fixed_usd_per_mwh_yr: float
    marginal_usd_per_mwh: float
    heat_rate_mmbtu_per_mwh: float
    unit_mw: float
    min_load_frac: float
    round_trip_efficiency: float
    forced_outage_rate: float = 0.0


def technology_cost(row: pd.Series, prices: Prices, capex_factor: float = 1.0) -> TechnologyCost:
    """Model costs of one row of :func:`technologies` at ``prices``, its capital costs times
    ``capex_factor``."""
    crf = capital_recovery_factor(prices.wacc, float(row.lifetime_yr)) * capex_factor
    heat_rate = float(np.nan_to_num(row.heat_rate_mmbtu_per_mwh))
    fuel = heat_rate * (prices.gas_usd_per_mmbtu + prices.co2_usd_per_t * GAS_CO2_T_PER_MMBTU)
    return TechnologyCost(
        name=str(row.name),
        kind=str(row.kind),
        fixed_usd_per_mw_yr=1e3 * (crf * row.capex_usd_per_kw + row.fom_usd_per_kw_yr),
        fixed_usd_per_mwh_yr=1e3 * (crf * row.capex_usd_per_kwh + row.fom_usd_per_kwh_yr),
        marginal_usd_per_mwh=fuel + float(row.vom_usd_per_mwh),
        heat_rate_mmbtu_per_mwh=heat_rate,
        unit_mw=float(np.nan_to_num(row.unit_mw)),
        min_load_frac=float(np.nan_to_num(row.min_load_frac)),
        round_trip_efficiency=float(np.nan_to_num(row.round_trip_efficiency, nan=1.0)),
        forced_outage_rate=float(np.nan_to_num(row.forced_outage_rate)),
    )


def technology_costs(
    names: list[str], year: int, prices: Prices, capex_factor: float = 1.0
) -> dict[str, TechnologyCost]:
    """Costs of the named technologies (capital costs times ``capex_factor``); unknown names raise
    a ValueError listing the known ones."""
    table = technologies(year)
    unknown = [n for n in names if n not in table.index]
    if unknown:
        raise ValueError(f"unknown technologies {unknown} (known: {', '.join(table.index)})")
    return {n: technology_cost(table.loc[n], prices, capex_factor) for n in names}

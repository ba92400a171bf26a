"""`bills`: residential pass-through (gridmodel.rates).

Regional defaults (household use, class prices and energy shares, class load shapes) are the
tables next to this module, each row with its public source: ``regions.csv`` (derived from the
EIA-861M 2024 rows of ``eia861m_2024.csv``), ``class_shapes.csv`` (DOE Commercial Reference
Buildings) and ``capacity_prices.csv``. Other sources: the public documents of
``gridmodel.schema.sources``, named in each field."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import field_validator, model_validator

from gridmodel.schema.base import Section, param, reserve_margin_param, wacc_param
from gridmodel.schema.optimize import Technology
from gridmodel.schema.sources import (
    AEP_OHIO_DCT,
    ATB_2024_COSTS,
    ATB_2024_FINANCING,
    BGE_RESHAPING,
    DOMINION_GS5,
    DOMINION_HVDC,
    EIA_STEO_2025_09,
    ERCOT_4CP,
    IM_PROPOSAL,
    IMM_DATA_CENTRES_2027,
    MD_OPC_2025,
    NCP_DISTRIBUTION,
    PJM_BRA_2025,
    PJM_BRA_2026,
    PJM_BRA_2027,
    PJM_COLLAR,
    RAP_2020,
    TURBINE_WAITS,
    UCS_2025,
    VIRGINIA_BIENNIAL,
)

RETAIL_CLASSES = ("residential", "commercial", "industrial")
AllocationMethod = Literal["energy", "1cp", "4cp", "12cp", "average_and_excess", "ncp"]

#: Capacity prices load pays ($/MW-day) by delivery year and zone, each row with its source.
CAPACITY_PRICES = Path(__file__).with_name("capacity_prices.csv")
#: Household use, class prices, energy shares and customer ratios by region and retail class.
REGIONS = Path(__file__).with_name("regions.csv")
#: EIA-861M monthly sales, revenue and customers of the states in ``regions.csv`` (2024).
MONTHLY_SALES = Path(__file__).with_name("eia861m_2024.csv")
#: Typical-day class load shapes by reference city, month and day type.
CLASS_SHAPES = Path(__file__).with_name("class_shapes.csv")
#: EIA sector codes of the retail classes.
EIA_SECTORS = {"residential": "RES", "commercial": "COM", "industrial": "IND"}


@cache
def price_table() -> pd.DataFrame:
    """``capacity_prices.csv``: price load pays ($/MW-day) by delivery year and zone, sources."""
    return pd.read_csv(CAPACITY_PRICES)


@cache
def region_table() -> pd.DataFrame:
    """``regions.csv``: one row per region and retail class (c/kWh, energy share, kWh per
    customer-month, customers per residential customer, year, reference city of the class load
    shapes, source)."""
    return pd.read_csv(REGIONS)


@cache
def monthly_sales() -> pd.DataFrame:
    """``eia861m_2024.csv``: the EIA-861M monthly rows the state rows of ``regions.csv`` come from
    (customers, c/kWh, $M, GWh by state, sector and month)."""
    return pd.read_csv(MONTHLY_SALES, comment="#")


@cache
def class_shape_table() -> pd.DataFrame:
    """``class_shapes.csv``: hourly load / annual mean of the residential and commercial classes
    by reference city, month (1-12), day type (weekday, weekend) and hour (columns h00-h23)."""
    return pd.read_csv(CLASS_SHAPES, comment="#")


def regions() -> list[str]:
    """Regions of ``regions.csv``."""
    return list(dict.fromkeys(region_table().region))


def region_row(region: str) -> pd.Series:
    """The first row of ``region`` in ``regions.csv`` (its state, load-shape city and year)."""
    table = region_table()
    return table[table.region == region].iloc[0]


def region_value(region: str, retail_class: str, column: str, field: str) -> float:
    """``column`` of ``region``'s ``retail_class`` row; a missing value is a ValueError naming the
    field to give it in (no national fallback)."""
    table = region_table()
    row = table[(table.region == region) & (table.retail_class == retail_class)]
    value = float(row[column].iloc[0]) if len(row) else float("nan")
    if not value == value:  # NaN
        raise ValueError(
            f"field '{field}': region '{region}' has no {column} for the {retail_class} class in "
            "gridmodel/schema/regions.csv; give the value in the scenario"
        )
    return value


def zones() -> list[str]:
    """Zones of the capacity price table."""
    return sorted(price_table().zone.unique())


class Baseline(Section):
    """Today's rates and how today's revenue requirement splits by function and classification."""

    region: str = param(
        "us",
        description="Region of the household, class prices, energy shares and class load shapes "
        "(a region of `gridmodel/schema/regions.csv`: `texas`, `maryland`, `ohio` from EIA-861M "
        "2024; `us`).",
    )
    household_kwh_per_month: float | None = param(
        None,
        description="Typical household use; empty = the region's (EIA-861M 2024 residential sales "
        "over the mean number of residential customers).",
        unit="kWh/month",
        gt=0,
    )
    residential_cents_per_kwh: float | None = param(
        None,
        description="Today's residential price; empty = the region's average residential revenue.",
        unit="c/kWh",
        gt=0,
    )
    function_share: dict[str, float] = param(
        {"generation": 0.56, "transmission": 0.13, "distribution": 0.31},
        description="Shares of today's revenue requirement by function (sum to 1).",
        source="EIA, Electricity Explained: factors affecting electricity prices (US average "
        "price: generation 56 %, transmission 13 %, distribution 31 %)",
    )
    generation_energy_share: float = param(
        0.45,
        description="Share of generation cost classified as energy (fuel, variable O&M); the rest "
        "is demand-related (plant).",
        source="Derived: ATB 2024 gas CC at 50 % capacity factor, fixed 35 $/MWh (1,224 $/kW x FCR "
        "0.098 + 33.8 $/kW-yr) vs fuel and VOM 29 $/MWh (6.33 MMBtu/MWh x 4.28 $/MMBtu + 2.14) "
        f"({ATB_2024_COSTS}; FCR from {ATB_2024_FINANCING}; gas price {EIA_STEO_2025_09})",
        ge=0,
        le=1,
    )
    distribution_customer_share: float = param(
        0.10,
        description="Share of distribution cost classified as customer-related (meters, service "
        "drops, billing); the rest is demand-related.",
        source=f"Assumption following {RAP_2020}, which classifies only meters, services and "
        "billing as customer-related; no share was read",
        ge=0,
        le=1,
    )

    @field_validator("region")
    @classmethod
    def _known_region(cls, v: str) -> str:
        if v not in regions():
            raise ValueError(
                f"region '{v}' is not in gridmodel/schema/regions.csv; allowed: {regions()}"
            )
        return v

    @field_validator("function_share")
    @classmethod
    def _functions(cls, v: dict[str, float]) -> dict[str, float]:
        need = {"generation", "transmission", "distribution"}
        if set(v) != need:
            raise ValueError(f"give exactly the functions {sorted(need)}, got {sorted(v)}")
        return _shares_sum_to_one(v)


def _shares_sum_to_one(v: dict[str, float]) -> dict[str, float]:
    if any(not x >= 0 for x in v.values()):
        raise ValueError(f"shares must be >= 0, got {v}")
    if abs(sum(v.values()) - 1.0) > 1e-6:
        raise ValueError(f"shares must sum to 1, they sum to {sum(v.values()):.6g}")
    return v


class ClassLoads(Section):
    """Hourly loads of the retail classes, split from the network's hourly system load by the
    region's class load shapes."""

    energy_share: dict[str, float] | None = param(
        None,
        description="Annual energy share of each retail class (sum to 1); empty = the region's "
        "(EIA-861M 2024 sales by sector).",
    )
    csv: Path | None = param(
        None,
        description="CSV with hourly MW columns residential, commercial, industrial for the load "
        "year; replaces the split (shares are then taken from the file).",
    )
    customers_per_residential: dict[str, float] | None = param(
        None,
        description="Commercial and industrial customers per residential customer; empty = the "
        "region's (EIA-861M 2024 mean customer counts).",
    )

    @field_validator("energy_share")
    @classmethod
    def _classes(cls, v: dict[str, float] | None) -> dict[str, float] | None:
        if v is None:
            return v
        if set(v) != set(RETAIL_CLASSES):
            raise ValueError(f"give exactly the classes {list(RETAIL_CLASSES)}, got {sorted(v)}")
        return _shares_sum_to_one(v)


class Allocation(Section):
    """Allocator of each function's demand-related cost (energy costs go by energy, customer
    costs by customer count)."""

    generation: AllocationMethod = param(
        "12cp",
        description="Generation demand allocator.",
        source="NARUC Cost Allocation Manual (1992)",
    )
    transmission: AllocationMethod = param(
        "4cp",
        description="Transmission allocator.",
        source=ERCOT_4CP,
    )
    distribution: AllocationMethod = param(
        "ncp",
        description="Distribution demand allocator (large loads at transmission voltage take "
        "no distribution cost).",
        source=NCP_DISTRIBUTION,
    )
    compare: list[AllocationMethod] = param(
        ["energy", "1cp", "4cp", "12cp", "average_and_excess"],
        description="Methods compared side by side for generation and transmission.",
    )


class LargeLoadTariff(Section):
    """Protections in a large-load tariff."""

    min_take_td: float = param(
        0.85,
        description="Minimum billed T&D demand as a share of contract demand.",
        source=f"85 %: {AEP_OHIO_DCT}; {DOMINION_GS5}",
        ge=0,
        le=1,
    )
    min_take_generation: float = param(
        0.60,
        description="Minimum billed generation demand as a share of contract demand.",
        source=f"60 % generation: {DOMINION_GS5}",
        ge=0,
        le=1,
    )
    term_years: int = param(
        14,
        description="Contract term from the first year of service.",
        unit="yr",
        source=f"14-year agreements: {DOMINION_GS5}",
        ge=1,
    )
    exit_fee_years: float = param(
        5.0,
        description="Exit fee as years of minimum bills (capped by the years left in the term).",
        unit="yr",
        source=IM_PROPOSAL,
        ge=0,
    )
    collateral_musd: float | None = param(
        None,
        description="Collateral that secures the exit fee; only this much is recovered if "
        "given (empty = the fee is paid in full).",
        unit="$M",
        source=f"Assumption: no collateral amount is published ({DOMINION_GS5}; {AEP_OHIO_DCT})",
        ge=0,
    )


class LargeLoad(Section):
    """A data-centre campus as a retail customer: forecast, realised load and tariff."""

    campus: str = param(description="Campus name from `campuses` (its hourly profile and MW).")
    first_year: int = param(0, description="Year of first service (0 = `start_year`).", ge=0)
    ramp_years: int = param(
        4,
        description="Years from first service to full contract demand.",
        unit="yr",
        source=f"Ramp of up to 4 years: {AEP_OHIO_DCT}",
        ge=1,
    )
    materialisation: float = param(
        1.0,
        description="Realised load as a fraction of the forecast.",
        source=f"Scenario input; range 0.5-1.0 since most of the forecast may not be built ({IMM_DATA_CENTRES_2027})",
        ge=0,
        le=1,
    )
    leaves_after_years: int | None = param(
        None, description="Years of service after which the campus leaves (empty = stays).", ge=0
    )
    btm_peak_avoidance: float | None = param(
        None,
        description="Share of the campus's demand at the allocator's coincident-peak hours "
        "served behind the meter. Empty = from the campus dispatch of `optimize.campus` when "
        "the scenario sizes this campus (the share of its demand in the peak hours that on-site "
        "supply served), else 0.",
        ge=0,
        le=1,
    )
    tariff: LargeLoadTariff | None = param(
        default_factory=LargeLoadTariff,
        description="Large-load tariff protections; empty = standard tariff, no minimum take.",
    )


class CapacityMarket(Section):
    """PJM capacity market in PJM's terms: the zone's price per delivery year (June-May), the
    UCAP obligation = peak-load contributions (5CP) × forecast pool requirement, recovery over
    the delivery year's billing cycles."""

    zone: str = param(
        "RTO",
        description="Zone whose price load pays, as named in `gridmodel/schema/capacity_prices.csv` "
        "(`RTO` for the zones that clear at the RTO price, `BGE`, `DOM`).",
    )
    price_usd_per_mw_day: float | list[float] | None = param(
        None,
        description="Price of the zone for each delivery year from `start_year` (one value, or "
        "one per year); empty = the published prices of `capacity_prices.csv` for the delivery "
        "years they cover and the sloped demand curve after, anchored at the last published "
        "price.",
        unit="$/MW-day",
    )
    forecast_pool_requirement: float | dict[int, float] = param(
        {2025: 0.95, 2026: 0.92},
        description="Forecast pool requirement (UCAP obligation per MW of peak-load "
        "contribution): one value, or one per delivery year (keyed by its first year; years not "
        "listed take the nearest).",
        source="Derived: cleared UCAP + FRR over the forecast peak, (135,684 + 10,886) / 153,883 "
        f"= 0.95 for 2025/26 ({PJM_BRA_2025}) and (134,311 + 11,933) / 159,329 = 0.92 for "
        f"2026/27 ({PJM_BRA_2026})",
    )
    residential_plc_kw: float | None = param(
        None,
        description="Residential peak-load contribution per customer; empty = from the "
        "residential class load at the five summer coincident peaks (5CP).",
        unit="kW",
        gt=0,
    )
    recovery_months: list[int] = param(
        [6, 7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5],
        description="Billing cycles (months) over which a delivery year's cost is recovered "
        "evenly, e.g. [9, 10, 11, 3, 4, 5] for BGE's shoulder-month recovery of 2025/26.",
        source=f"12 billing cycles of the delivery year ({MD_OPC_2025}); BGE's recovery shifted to "
        f"September-November and March-May ({BGE_RESHAPING})",
    )
    baseline_price_usd_per_mw_day: float = param(
        269.92,
        description="Price already in today's rates.",
        unit="$/MW-day",
        source=f"{PJM_BRA_2025}: RTO price",
        ge=0,
    )
    baseline_delivery_year: int = param(
        2025,
        description="Delivery year of the price in today's rates (its FPR sets today's "
        "obligation).",
        source=PJM_BRA_2025,
        ge=2000,
    )
    market_peak_mw: float | None = param(
        None,
        description="Forecast peak of the whole market the demand curve clears (e.g. the RTO); "
        "the campuses add to it. Empty = the zone's own 5CP peak.",
        unit="MW",
        source=f"{PJM_BRA_2026}: peak forecast 159,329 MW",
        gt=0,
    )
    supply_ucap_mw: float | None = param(
        None,
        description="Offered capacity for the demand curve; empty = calibrated so that the "
        "market's requirement clears at the anchor price (the last published price, or today's).",
        unit="MW",
        gt=0,
    )
    cap_usd_per_mw_day: float = param(
        333.44,
        description="Price cap of the demand curve.",
        unit="$/MW-day",
        source=f"{PJM_BRA_2027}: the cap as realised; {PJM_COLLAR}",
        gt=0,
    )
    floor_usd_per_mw_day: float = param(
        177.24,
        description="Price floor.",
        unit="$/MW-day",
        source=f"2026/27 floor $177.24 ({PJM_BRA_2026}); {PJM_COLLAR}",
        ge=0,
    )
    surplus_at_floor: float = param(
        0.05,
        description="Supply above the requirement (fraction) at which the price reaches the "
        "floor; the price is at the cap at or below the requirement and linear between.",
        source="Assumption: PJM cleared at the cap when 6,623 MW (about 5 %) short "
        f"({PJM_BRA_2027}) and near the old cap 0.7 points above target ({PJM_BRA_2025}); the "
        "VRR curve's points were not read",
        gt=0,
    )

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, v):
        if v not in zones():
            raise ValueError(
                f"zone '{v}' is not in gridmodel/schema/capacity_prices.csv; allowed: {zones()}"
            )
        return v

    @field_validator("forecast_pool_requirement")
    @classmethod
    def _fpr_range(cls, v):
        if isinstance(v, dict) and not v:
            raise ValueError("give one value or one per delivery year")
        values = v.values() if isinstance(v, dict) else [v]
        bad = [x for x in values if not 0 < x <= 2]
        if bad:
            raise ValueError(f"must be in (0, 2], got {bad}")
        return v

    @field_validator("recovery_months")
    @classmethod
    def _months(cls, v):
        if not v or len(set(v)) != len(v) or any(not 1 <= m <= 12 for m in v):
            raise ValueError(f"give distinct months 1-12, got {v}")
        return v

    @model_validator(mode="after")
    def _collar(self) -> CapacityMarket:
        if self.floor_usd_per_mw_day > self.cap_usd_per_mw_day:
            raise ValueError("the floor must not exceed the cap")
        return self


class Procurement(Section):
    """How the utility supplies capacity for forecast load."""

    market: Literal["vertically_integrated", "capacity_market", "energy_only"] = param(
        "vertically_integrated",
        description="`vertically_integrated`: the utility builds `technology` for the forecast "
        "load plus reserve margin and recovers it in rates; `capacity_market`: load pays the "
        "zone's capacity price on its UCAP obligation (PJM); `energy_only`: no capacity cost "
        "(ERCOT).",
    )
    technology: Technology = param(
        "frame_ct", description="Technology built for forecast load (vertically integrated)."
    )
    reserve_margin: float = reserve_margin_param(
        "Reserve margin procured over forecast peak (vertically integrated); a capacity market "
        "uses the forecast pool requirement instead."
    )
    lead_years: int = param(
        2,
        description="Capacity is committed this many years ahead of the forecast need.",
        unit="yr",
        source=TURBINE_WAITS,
        ge=0,
    )
    cost_year: Literal[2025, 2030] = param(
        2030, description="Cost year of the technology table.", source="NREL ATB 2025 Moderate"
    )
    energy_price_change_usd_per_mwh: float | None = param(
        None,
        description="Change of the average energy cost at full realised campus load, scaled with "
        "the realised share. Empty = the load-weighted change of the locational prices between "
        "the grid-stress runs with and without the campuses when the study runs `study` with "
        "`dispatch.rule: economic`, else 0.",
        unit="$/MWh",
    )
    new_generation: Literal["expansion", "technology"] | None = param(
        None,
        description="Generation built for forecast load (vertically integrated): `expansion` = "
        "the MW and annualised cost the regional expansion of `optimize.expansion` builds for "
        "the campuses (with-campus build minus the no-campus twin, by technology); `technology` "
        "= contract MW x (1 + reserve margin) of `technology` at ATB cost. Empty = `expansion` "
        "when the scenario has `optimize.expansion`, else `technology`.",
    )
    capacity_market: CapacityMarket | None = param(
        None, description="Capacity market terms (market `capacity_market`)."
    )

    @model_validator(mode="after")
    def _market_terms(self) -> Procurement:
        if self.market == "capacity_market" and self.capacity_market is None:
            raise ValueError("market 'capacity_market' needs a `capacity_market` block")
        return self


class TransmissionProject(Section):
    """A transmission project recovered in rates."""

    name: str = param(description="Label.")
    capex_musd: float = param(description="Capital cost.", unit="$M", ge=0)
    in_service_year: int = param(0, description="Year in service (0 = `start_year`).", ge=0)
    direct_assignment: float = param(
        0.05,
        description="Share paid directly by the large loads (by contract demand); the rest is "
        "allocated to all classes.",
        source=UCS_2025,
        ge=0,
        le=1,
    )


class Transmission(Section):
    """Transmission upgrades: a project list and/or the campus-caused overloads of grid stress."""

    projects: list[TransmissionProject] = param([], description="Projects.")
    reinforce_overloads: bool = param(
        False,
        description="Reinforce every branch the grid-stress stage finds overloaded because of "
        "the campuses: by its overload (MW above the study's own loading limit, or above its "
        "loading without the campuses where that is higher) at its worst hour.",
    )
    usd_per_kw_overload: float = param(
        1600.0,
        description="Cost per kW of reinforcement.",
        unit="$/kW",
        source=f"Derived: $4.8 B / 3,000 MW; {DOMINION_HVDC}",
        gt=0,
    )
    overload_in_service_year: int = param(
        3, description="Year the reinforcements enter service.", ge=0
    )
    overload_direct_assignment: float = param(
        0.05,
        description="Share of the reinforcements paid directly by the large loads.",
        source=UCS_2025,
        ge=0,
        le=1,
    )


class RateCase(Section):
    """When rates are reset."""

    interval_years: int = param(
        2,
        description="Years between rate cases.",
        source=VIRGINIA_BIENNIAL,
        ge=1,
    )
    lag_years: int = param(
        1, description="Test year = rate-case year minus this lag.", unit="yr", ge=0
    )


class MonteCarlo(Section):
    """Uncertainty over whether forecast campus load materialises."""

    draws: int = param(400, description="Number of draws.", ge=1)
    materialisation: tuple[float, float] = param(
        (0.5, 1.0),
        description="Uniform range of realised/forecast load, drawn per campus.",
        source=f"Range 0.5-1.0 since most of the forecast may not be built ({IMM_DATA_CENTRES_2027})",
    )
    exit_probability_per_year: float = param(
        0.03,
        description="Yearly probability that a campus in service leaves.",
        source="Assumption: no exit rate was read; 3 %/yr gives about a 1-in-3 chance of leaving "
        "within a 14-year contract",
        ge=0,
        le=1,
    )

    @field_validator("materialisation")
    @classmethod
    def _range(cls, v):
        if not 0 <= v[0] <= v[1] <= 1:
            raise ValueError(f"need 0 <= low <= high <= 1, got {list(v)}")
        return v


class Bills(Section):
    """Residential price pass-through (`gridmodel bills`)."""

    start_year: int = param(2027, description="First calendar year.", ge=2000)
    years: int = param(20, description="Horizon.", unit="yr", ge=1, le=60)
    wacc: float = wacc_param(
        "Nominal after-tax WACC: financing of new assets and the NPV discount rate."
    )
    tax_rate: float = param(
        0.2574,
        description="Combined income tax rate in the fixed charge rate.",
        source=ATB_2024_FINANCING,
        ge=0,
        lt=1,
    )
    generation_life_years: int = param(
        30,
        description="Book life of new generation.",
        unit="yr",
        source=f"Assumption: 30-year book life of new generation, the CRF horizon of {ATB_2024_FINANCING}",
        ge=1,
    )
    transmission_life_years: int = param(
        40,
        description="Book life of transmission.",
        unit="yr",
        source=f"Assumption: 40 years, the lower end of a 40-50-year transmission book life; CRF by {ATB_2024_FINANCING}",
        ge=1,
    )
    baseline: Baseline = param(default_factory=Baseline, description="Today's rates.")
    classes: ClassLoads = param(default_factory=ClassLoads, description="Retail class loads.")
    allocation: Allocation = param(default_factory=Allocation, description="Cost allocation.")
    large_loads: list[LargeLoad] = param([], description="Data-centre campuses as customers.")
    procurement: Procurement = param(
        default_factory=Procurement, description="Supply for forecast load."
    )
    transmission: Transmission = param(
        default_factory=Transmission, description="Transmission upgrades."
    )
    rate_case: RateCase = param(default_factory=RateCase, description="Rate-case timing.")
    monte_carlo: MonteCarlo | None = param(
        default_factory=MonteCarlo, description="Materialisation uncertainty; empty to skip."
    )

"""`optimize`: regional expansion and behind-the-meter campus sizing (gridmodel.optimize)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import field_validator

from gridmodel.schema.base import Section, param, reserve_margin_param, wacc_param
from gridmodel.schema.sources import (
    ATB_2025,
    EIA_STEO_2025_09,
    ERCOT_4CP,
    LBNL_PRICES_2025,
    TURBINE_WAITS,
)

Technology = Literal["gas_cc", "frame_ct", "aero_ct", "recip", "battery", "solar"]


class Costs(Section):
    """Cost year, fuel and CO2 prices and financing shared by every optimisation."""

    year: Literal[2025, 2030] = param(
        2030,
        description="Cost year of the technology table (`gridmodel/optimize/technologies.csv`).",
        source=f"{ATB_2025}; 2030 = the first year new gas ordered now can run ({TURBINE_WAITS})",
    )
    gas_usd_per_mmbtu: float = param(
        4.28,
        description="Delivered gas price.",
        unit="$/MMBtu",
        source=f"{EIA_STEO_2025_09}: 2026",
        gt=0,
    )
    co2_usd_per_t: float = param(0.0, description="CO2 price (0 = none).", unit="$/t", ge=0)
    wacc: float = wacc_param("Nominal after-tax weighted average cost of capital.")


class Expansion(Section):
    """Regional generation and storage expansion on the scenario's network."""

    network: Literal["auto", "bus", "zonal"] = param(
        "auto",
        description="`bus`: every bus with DC power-flow limits; `zonal`: one node per area with "
        "transfer limits from the tie branches; `auto`: zonal above 500 buses.",
    )
    technologies: list[Technology] = param(
        ["gas_cc", "frame_ct", "battery"], description="Technologies that may be built."
    )
    sites: list[str] | None = param(
        None,
        description="Descriptor site names where new capacity may go; empty = every site of the "
        "network descriptor (zonal: their areas).",
    )
    max_mw_per_site: float | None = param(
        None, description="Build limit per technology and site.", unit="MW", gt=0
    )
    typical_periods: int | None = param(
        12,
        description="Typical periods chosen by tsam (plus the peak-load period); empty = every "
        "hour in sequence.",
        ge=1,
    )
    hours_per_period: int = param(24, description="Length of a typical period.", unit="h", ge=1)
    reserve_margin: float | None = reserve_margin_param(
        "Planning reserve margin over the peak (empty = off)."
    )
    operating_reserves: bool = param(
        True,
        description="Upward reserve for the largest unit and downward reserve for the largest "
        "campus load loss, every snapshot.",
    )
    voll_usd_per_mwh: float | None = param(
        None,
        description="Value of lost load; empty = no unserved energy allowed.",
        unit="$/MWh",
        gt=0,
    )
    twin: bool = param(
        True,
        description="Also solve the expansion without the campuses, so that what the campuses "
        "cause is the difference of the two (what `bills` prices as new generation).",
        source="REopt (NREL) solves a business-as-usual case beside every sizing run so that results "
        "read as differences (https://github.com/NREL/REopt.jl); attributing the whole build to "
        "the campus would also charge it for builds the background load alone makes economic.",
    )


class GridSupply(Section):
    """Terms on which a campus draws from the grid."""

    price_usd_per_mwh: float | Literal["industrial", "lmp"] | Path = param(
        "industrial",
        description="Energy price: `industrial` = the average industrial price of `region` "
        "(`gridmodel/schema/regions.csv`, EIA-861M 2024 for the states), a number, a CSV with one "
        "`price_usd_per_mwh` value per hour of the load year, or `lmp`: the hourly locational "
        "marginal price at the campus's bus from the economic dispatch (needs "
        "`dispatch.rule: economic`).",
        unit="$/MWh",
        source="The `industrial` row of the region in gridmodel/schema/regions.csv, each row with "
        f"its public source (EIA-861M 2024 for the states; US 8.1 c/kWh in 2024: {LBNL_PRICES_2025})",
    )
    region: str | None = param(
        None,
        description="Region whose industrial price `industrial` means; empty = "
        "`bills.baseline.region` (a scenario without bills must name it).",
    )
    contract_mw: float | None = param(
        None, description="Fixed contract level; empty = chosen by the optimiser.", unit="MW", ge=0
    )
    contract_usd_per_kw_yr: float = param(
        0.0, description="Charge per kW of contract level.", unit="$/kW-yr", ge=0
    )
    demand_charge_usd_per_kw_month: float = param(
        0.0, description="Charge on each month's peak import.", unit="$/kW-month", ge=0
    )
    transmission_4cp_usd_per_kw_yr: float = param(
        0.0,
        description="ERCOT-style 4CP transmission charge on the mean import in the four summer "
        "system-peak hours (June-September).",
        unit="$/kW-yr",
        source=f"{ERCOT_4CP}; 0 = off",
        ge=0,
    )
    ramp_mw_per_min: float | None = param(
        None,
        description="Utility ramp limit on the import (empty = none).",
        unit="MW/min",
        gt=0,
    )
    available_from_hour: int = param(
        0,
        description="First hour of grid supply (bridge power before the interconnection).",
        unit="h",
        ge=0,
    )
    outage_hours: list[tuple[int, int]] = param(
        [], description="Hour ranges [start, end) with no grid (faults, islanding)."
    )

    @field_validator("outage_hours")
    @classmethod
    def _ranges(cls, v):
        bad = [list(r) for r in v if not 0 <= r[0] < r[1]]
        if bad:
            raise ValueError(f"each range needs 0 <= start < end, got {bad}")
        return v


def _range(v: tuple[float, float]) -> tuple[float, float]:
    if not 0 <= v[0] <= v[1]:
        raise ValueError(f"need 0 <= low <= high, got {list(v)}")
    return v


class CampusRanges(Section):
    """Uncertain inputs of the campus sizing: the build, cost and saving are solved again at the
    two corners of these ranges (every input at the end that favours the grid, then every input
    at the end that favours on-site supply)."""

    capex_factor: tuple[float, float] = param(
        (0.8, 1.2),
        description="Capital costs of every technology times this factor.",
        source="Danish Energy Agency and Energinet, Technology Data for Generation of Electricity "
        "and District Heating, sheets 51 and 52: investment uncertainty +/-20 % in 2020 "
        "(https://ens.dk/en/our-services/technology-catalogues)",
    )
    gas_usd_per_mmbtu: tuple[float, float] = param(
        (3.97, 4.80),
        description="Delivered gas price.",
        unit="$/MMBtu",
        source="EIA Short-Term Energy Outlook, January-September 2025 editions: Henry Hub 2026 "
        "forecasts of $3.97-4.80/MMBtu (https://www.eia.gov/outlooks/steo/)",
    )
    grid_price_factor: tuple[float, float] | None = param(
        None,
        description="Grid energy price times this factor; empty = the region's lowest and highest "
        "monthly average industrial price of 2024 over its annual average (EIA-861M).",
    )
    transmission_4cp_usd_per_kw_yr: tuple[float, float] | None = param(
        (50.0, 150.0),
        description="4CP transmission charge (empty = the scenario's value at both ends).",
        unit="$/kW-yr",
        source=ERCOT_4CP,
    )

    @field_validator("capex_factor", "gas_usd_per_mmbtu", "grid_price_factor",
                     "transmission_4cp_usd_per_kw_yr")  # fmt: skip
    @classmethod
    def _ordered(cls, v):
        return v if v is None else _range(v)


class CampusSizing(Section):
    """Behind-the-meter sizing for one campus, reported beside its grid-only twin."""

    campus: str | None = param(None, description="Campus name; empty = the first campus.")
    technologies: list[Technology] = param(
        ["recip", "aero_ct", "battery"], description="Technologies that may be built on site."
    )
    redundancy: Literal["none", "n+1", "reliability"] = param(
        "none",
        description="`n+1`: the gas fleet alone carries the peak with its largest unit out; "
        "`reliability`: it carries the peak with probability `reliability_target` when each unit "
        "is out independently at its forced-outage rate (capacity outage probability table).",
    )
    reliability_target: float = param(
        0.9997,
        description="Probability that the gas fleet alone carries the campus's peak load "
        "(`redundancy: reliability`).",
        source="Assumption: the one-day-in-ten-years loss-of-load criterion of North American "
        "resource adequacy (0.1 day/yr, 1 - 0.1/365 = 0.9997; NERC, Long-Term Reliability "
        "Assessment, https://www.nerc.com/pa/RAPA/ra/Pages/default.aspx) applied to every hour",
        gt=0,
        lt=1,
    )
    solar_cf_csv: Path | None = param(
        None,
        description="CSV with an hourly `cf` column (0-1) for the load year; needed for solar.",
    )
    grid: GridSupply = param(default_factory=GridSupply, description="Grid supply terms.")
    emissions_cap_t: float | None = param(
        None, description="Annual CO2 cap on the gas units.", unit="t/yr", ge=0
    )
    voll_usd_per_mwh: float | None = param(
        None,
        description="Value of lost load; empty = no unserved energy allowed.",
        unit="$/MWh",
        gt=0,
    )
    ranges: CampusRanges | None = param(
        default_factory=CampusRanges,
        description="Uncertain inputs solved at their ends; empty = the central case only.",
    )


class Optimize(Section):
    """What `gridmodel optimize` sizes."""

    costs: Costs = param(default_factory=Costs, description="Costs and financing.")
    time_limit_s: float = param(
        1800.0,
        description="Time limit of each HiGHS solve; a solve that reaches it stops the stage as a "
        "numerical failure (exit code 4) reporting what it had reached.",
        unit="s",
        source="Assumption: 30 minutes, six times the slowest bundled solve on a 2-core machine "
        "(texas2000 zonal expansion, 12 typical days).",
        gt=0,
    )
    expansion: Expansion | None = param(None, description="Regional expansion.")
    campus: CampusSizing | None = param(None, description="Behind-the-meter campus sizing.")

"""Large-load customers: forecast and realised demand by year, minimum take and exit fees.

- Contract demand ramps linearly to the contract MW over ``ramp_years`` (AEP Ohio DCT).
- Billed demand = max(actual demand, minimum take × contract demand) while the contract runs;
  the T&D and generation minimums differ (Dominion GS-5: 85 % and 60 %).
- A campus that leaves before its term ends pays an exit fee of min(years left, ``exit_fee_years``)
  × its annual minimum bill, limited to the collateral when a collateral is given; the fee is
  credited to the other classes evenly over the years the contract had left.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmodel.schema import LargeLoadTariff


@dataclass(frozen=True)
class LargeLoadCase:
    """One campus as a customer: contract, hourly shape (pu of contract) and what happens."""

    name: str
    contract_mw: float
    shape: np.ndarray
    first_year: int
    ramp_years: int
    materialisation: float
    leaves_after_years: int | None
    btm_peak_avoidance: float
    tariff: LargeLoadTariff | None

    def ramp(self, year: int) -> float:
        """Contract demand in ``year`` as a fraction of the contract MW."""
        if year < self.first_year:
            return 0.0
        return min(1.0, (year - self.first_year + 1) / self.ramp_years)

    def exit_year(self) -> int | None:
        """Year the campus leaves (no longer served), or None."""
        if self.leaves_after_years is None:
            return None
        return self.first_year + self.leaves_after_years

    def present(self, year: int) -> bool:
        """The campus has not left by ``year``."""
        exit_year = self.exit_year()
        return exit_year is None or year < exit_year

    def forecast_mw(self, year: int) -> float:
        """Demand the utility plans for in ``year`` (MW)."""
        return self.contract_mw * self.ramp(year) * self.present(year)

    def realised_mw(self, year: int) -> float:
        """Demand the campus actually draws at full shape in ``year`` (MW)."""
        return self.forecast_mw(year) * self.materialisation

    def in_contract(self, year: int) -> bool:
        """Minimum-take terms bind in ``year``."""
        if self.tariff is None or not self.present(year) or year < self.first_year:
            return False
        return year < self.first_year + self.tariff.term_years

    def floors_mw(self, year: int) -> tuple[float, float]:
        """Minimum billed (T&D, generation) demand in ``year`` (MW)."""
        if not self.in_contract(year):
            return 0.0, 0.0
        contract = self.contract_mw * self.ramp(year)
        return self.tariff.min_take_td * contract, self.tariff.min_take_generation * contract

    def years_left_at_exit(self) -> int:
        """Contract years remaining when the campus leaves (0 without a tariff or exit)."""
        exit_year = self.exit_year()
        if self.tariff is None or exit_year is None:
            return 0
        return max(0, self.first_year + self.tariff.term_years - exit_year)


def exit_fee_usd(case: LargeLoadCase, annual_minimum_bill_usd: float) -> float:
    """Exit fee recovered when ``case`` leaves, given its annual minimum bill ($)."""
    years_left = case.years_left_at_exit()
    if years_left == 0:
        return 0.0
    fee = min(years_left, case.tariff.exit_fee_years) * annual_minimum_bill_usd
    if case.tariff.collateral_musd is not None:
        fee = min(fee, case.tariff.collateral_musd * 1e6)
    return fee

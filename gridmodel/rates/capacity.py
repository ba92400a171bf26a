"""PJM capacity costs in PJM's own terms: zonal prices per delivery year, UCAP obligations from
peak-load contributions, recovery over the delivery year's billing cycles.

- Delivery year (DY) d runs 1 June d to 31 May d+1; its cost is price_zone,d ($/MW-day) ×
  UCAP obligation_d (MW) × days in the DY.
- UCAP obligation_d = zone peak_d × FPR_d, the forecast pool requirement of the DY; the zone
  peak is the sum of the customers' peak-load contributions (PLC) at the five summer coincident
  peaks (5CP) plus the forecast large-load demand at those hours (PJM scales the PLCs to the
  zone's forecast peak, so a forecast that does not materialise is still paid for).
- Each class pays the DY cost in proportion to its PLC, measured on the previous summer's load.
- The cost of a DY is recovered evenly over its billing cycles (`recovery_months`); a calendar
  year pays the cycles of the DY starting in June of that year that fall in June-December and
  those of the previous DY that fall in January-May.
- Price: published prices (`capacity_prices.csv`, what load pays per zone and DY), given prices,
  or, after the last published DY, a sloped demand curve with the collar, anchored so that the
  market's requirement clears at the last published price.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace

import numpy as np

from gridmodel.rates.revenue import calibrated_supply, capacity_price
from gridmodel.schema import CapacityMarket, ScenarioError
from gridmodel.schema.bills import price_table

#: Months of the first calendar year of a delivery year (June-December).
FIRST_YEAR_MONTHS = (6, 7, 8, 9, 10, 11, 12)
FIELD = "bills.procurement.capacity_market"


def delivery_year_days(delivery_year: int) -> int:
    """Days from 1 June ``delivery_year`` to 31 May of the next year (366 with a 29 February)."""
    return 366 if calendar.isleap(delivery_year + 1) else 365


def recovery_weights(months: list[int]) -> tuple[float, float]:
    """Shares of a delivery year's cost recovered in its first (June-December) and second
    (January-May) calendar year, for equal recovery over the billing cycles ``months``."""
    first = sum(m in FIRST_YEAR_MONTHS for m in months) / len(months)
    return first, 1.0 - first


def forecast_pool_requirement(fpr: float | dict[int, float], delivery_year: int) -> float:
    """FPR of ``delivery_year``: the value given, or that of the nearest delivery year listed."""
    if isinstance(fpr, int | float):
        return float(fpr)
    nearest = min(fpr, key=lambda d: (abs(d - delivery_year), -d))
    return float(fpr[nearest])


def five_cp_hours(system_mw: np.ndarray, month: np.ndarray) -> np.ndarray:
    """PJM's 5CP: the peak hour of each of the five days with the highest daily peak in June-
    September (hourly data from 1 January; index of each hour)."""
    n = len(system_mw) // 24 * 24
    daily = system_mw[:n].reshape(-1, 24)
    summer = np.isin(month[:n:24], (6, 7, 8, 9))
    if summer.sum() < 5:
        raise ValueError("the load year has fewer than five summer days (June-September)")
    days = np.flatnonzero(summer)
    top = days[np.argsort(daily[days].max(axis=1))[::-1][:5]]
    return np.sort(top * 24 + daily[top].argmax(axis=1))


@dataclass(frozen=True)
class CapacityTerms:
    """Capacity-market terms of a study, per model year (= the DY starting in June of it)."""

    zone: str
    delivery_years: np.ndarray
    prices: np.ndarray  # $/MW-day; NaN: from the demand curve
    fpr: np.ndarray
    days: np.ndarray
    baseline_price: float
    baseline_fpr: float
    recovery: tuple[float, float]
    anchor_price: float
    anchor_fpr: float
    market_peak_mw: float | None
    supply_mw: float | None
    cap: float
    floor: float
    surplus_at_floor: float
    residential_plc_kw: float | None

    def price(self, y: int, zone_peak_mw: float, forecast_mw: float) -> float:
        """Clearing price of model year ``y``: given or published, else the demand curve for the
        market's forecast peak (``market_peak_mw``, or the zone's own ``zone_peak_mw``) plus the
        forecast large-load demand at the peak ``forecast_mw``, both × FPR."""
        if np.isfinite(self.prices[y]):
            return float(self.prices[y])
        market = self.market_peak_mw or zone_peak_mw
        supply = self.supply_mw or calibrated_supply(
            market * self.anchor_fpr, self.anchor_price, self.cap, self.floor, self.surplus_at_floor
        )
        requirement = (market + forecast_mw) * self.fpr[y]
        return capacity_price(supply, requirement, self.cap, self.floor, self.surplus_at_floor)

    def at_todays_price(self) -> CapacityTerms:
        """The same terms with today's price and FPR in every delivery year."""
        n = len(self.prices)
        return replace(
            self, prices=np.full(n, self.baseline_price), fpr=np.full(n, self.baseline_fpr)
        )


def published_prices(zone: str, delivery_years: np.ndarray) -> np.ndarray:
    """Published price of ``zone`` per delivery year ($/MW-day; NaN after the last one)."""
    table = price_table()
    rows = table[table.zone == zone].set_index("delivery_year").price_usd_per_mw_day
    last = int(rows.index.max())
    out = np.full(len(delivery_years), np.nan)
    for k, d in enumerate(delivery_years):
        if d in rows.index:
            out[k] = float(rows[d])
        elif d <= last:
            raise ScenarioError(
                f"field '{FIELD}.zone': no published price for zone '{zone}' in delivery year "
                f"{d}/{(d + 1) % 100:02d}; give `price_usd_per_mw_day`"
            )
    return out


def capacity_terms(spec: CapacityMarket, start_year: int, years: int) -> CapacityTerms:
    """Terms of ``spec`` for the delivery years starting in ``start_year`` … ``+ years - 1``."""
    dys = start_year + np.arange(years)
    given = spec.price_usd_per_mw_day
    if given is None:
        prices = published_prices(spec.zone, dys)
    else:
        values = np.atleast_1d(np.asarray(given, float))
        if len(values) not in (1, years):
            raise ScenarioError(
                f"field '{FIELD}.price_usd_per_mw_day': give one price or one per year "
                f"({years}), got {len(values)}"
            )
        prices = np.broadcast_to(values, (years,)).copy()
    table = price_table()
    zone_rows = table[table.zone == spec.zone].set_index("delivery_year")
    known = zone_rows.index[zone_rows.index < start_year + years]
    if given is None and len(known):
        anchor_dy = int(known.max())
        anchor = float(zone_rows.price_usd_per_mw_day[anchor_dy])
    else:
        anchor_dy, anchor = spec.baseline_delivery_year, spec.baseline_price_usd_per_mw_day
    fpr = spec.forecast_pool_requirement
    return CapacityTerms(
        zone=spec.zone,
        delivery_years=dys,
        prices=prices,
        fpr=np.array([forecast_pool_requirement(fpr, d) for d in dys]),
        days=np.array([delivery_year_days(d) for d in dys], float),
        baseline_price=spec.baseline_price_usd_per_mw_day,
        baseline_fpr=forecast_pool_requirement(fpr, spec.baseline_delivery_year),
        recovery=recovery_weights(spec.recovery_months),
        anchor_price=anchor,
        anchor_fpr=forecast_pool_requirement(fpr, anchor_dy),
        market_peak_mw=spec.market_peak_mw,
        supply_mw=spec.supply_ucap_mw,
        cap=spec.cap_usd_per_mw_day,
        floor=spec.floor_usd_per_mw_day,
        surplus_at_floor=spec.surplus_at_floor,
        residential_plc_kw=spec.residential_plc_kw,
    )


def class_plc_mw(loads_mw: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Peak-load contribution of each row of ``loads_mw`` (row, hour): mean MW at the 5CP hours."""
    return loads_mw[:, hours].mean(axis=1)

"""Customer classes: today's class prices and household use, hourly class loads from the region's
class load shapes, and customer counts.

Class loads follow the load-research practice of splitting a system's metered load by class
shares: in each hour, class c takes

    L_c(t) = L(t) · w_c · s_c(t) / Σ_k w_k · s_k(t)

of the system load L(t), where s_c(t) is the region's typical-day shape of class c for the
month, day type (weekday, weekend) and hour of t (DOE Commercial Reference Buildings, levelled
month by month to the state's EIA-861M 2024 class sales; industrial flat within a month), and the
weights w_c are scaled until each class's share of the year's energy equals the region's
(iterative proportional fitting). The classes add up to the system load in every hour, and each
class's share of any peak follows from the shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.datafiles import read_csv_columns
from gridmodel.schema import RETAIL_CLASSES, Baseline, ClassLoads, ScenarioError
from gridmodel.schema.bills import (
    EIA_SECTORS,
    class_shape_table,
    monthly_sales,
    region_row,
    region_value,
)

#: Iterations and tolerance of the proportional fitting of the class weights.
FIT_ITERATIONS = 200
FIT_TOLERANCE = 1e-10


@dataclass(frozen=True)
class RetailBaseline:
    """Today's retail terms of a region: household kWh/month, class prices ($/MWh), class energy
    shares and customers per residential customer."""

    household_kwh_per_month: float
    price_usd_per_mwh: dict[str, float]
    energy_share: dict[str, float]
    customers_per_residential: dict[str, float]


def _value(region: str, cls: str, column: str, field: str) -> float:
    try:
        return region_value(region, cls, column, field)
    except ValueError as err:
        raise ScenarioError(str(err)) from None


def retail_baseline(baseline: Baseline, classes: ClassLoads) -> RetailBaseline:
    """Household use, class prices, energy shares and customer ratios of ``baseline.region``,
    each replaced by the scenario's value where it gives one."""
    region = baseline.region
    kwh = baseline.household_kwh_per_month or _value(
        region, "residential", "kwh_per_customer_month", "bills.baseline.household_kwh_per_month"
    )
    cents = {
        c: _value(region, c, "cents_per_kwh", f"bills.baseline.{c}_cents_per_kwh")
        for c in RETAIL_CLASSES
    }
    if baseline.residential_cents_per_kwh is not None:
        cents["residential"] = baseline.residential_cents_per_kwh
    shares = classes.energy_share or {
        c: _value(region, c, "energy_share", "bills.classes.energy_share") for c in RETAIL_CLASSES
    }
    ratios = classes.customers_per_residential or {
        c: _value(region, c, "customers_per_residential", "bills.classes.customers_per_residential")
        for c in RETAIL_CLASSES[1:]
    }
    return RetailBaseline(kwh, {c: 10.0 * v for c, v in cents.items()}, shares, ratios)


def monthly_levels(region: str) -> dict[str, np.ndarray] | None:
    """Per retail class, the mean hourly load of each month (1-12) over the year's mean (EIA-861M
    2024 sales of the region's state / hours of the month); None for a region without monthly
    rows (its shapes keep the reference city's seasons)."""
    state = region_row(region).state
    sales = monthly_sales()
    rows = sales[sales.state == state]
    if rows.empty:
        return None
    hours = np.array([pd.Period(p, "M").days_in_month * 24 for p in sorted(rows.period.unique())])
    out = {}
    for cls, sector in EIA_SECTORS.items():
        gwh = rows[rows.sector == sector].sort_values("period").sales_gwh.to_numpy()
        mean_mw = gwh / hours
        out[cls] = mean_mw / (gwh.sum() / hours.sum())
    return out


def class_shapes(region: str, time: np.ndarray) -> np.ndarray:
    """Shape (class, hour) of each retail class at the timestamps ``time``: the reference city's
    typical day for the month and day type, its monthly level replaced by the state's EIA-861M
    monthly level where the region has one; industrial flat within each month."""
    city = region_row(region).shape_city
    table = class_shape_table()
    table = table[table.city == city]
    if table.empty:
        raise ScenarioError(
            f"field 'bills.baseline.region': region '{region}' names load-shape city '{city}', "
            "which gridmodel/schema/class_shapes.csv does not hold"
        )
    stamp = pd.DatetimeIndex(time)
    month = stamp.month.to_numpy()
    daytype = np.where(stamp.dayofweek.to_numpy() >= 5, "weekend", "weekday")
    hour = stamp.hour.to_numpy()
    hours = [f"h{h:02d}" for h in range(24)]
    levels = monthly_levels(region)
    out = np.ones((len(RETAIL_CLASSES), len(stamp)))
    for k, cls in enumerate(RETAIL_CLASSES):
        if cls != "industrial":
            rows = table[table.retail_class == cls].set_index(["month", "daytype"])[hours]
            day = rows.to_numpy()
            flat = pd.Index(rows.index).get_indexer(list(zip(month, daytype, strict=True)))
            shape = day[flat, hour]
            if levels is not None:  # typical-day shape within the month x the state's level
                by_month = rows.groupby(level="month").mean().mean(axis=1).to_numpy()
                shape = shape / by_month[month - 1] * levels[cls][month - 1]
            out[k] = shape
        elif levels is not None:
            out[k] = levels[cls][month - 1]
    return out


def split_system_load(
    system_mw: np.ndarray, time: np.ndarray, region: str, shares: dict[str, float]
) -> np.ndarray:
    """Hourly retail class loads (class, hour) in MW that sum to ``system_mw`` every hour, each
    class with its energy share of the year (see the module docstring)."""
    shape = class_shapes(region, time)
    target = np.array([shares[c] for c in RETAIL_CLASSES])
    weight = target.copy()
    for _ in range(FIT_ITERATIONS):
        split = weight[:, None] * shape
        loads = system_mw * split / split.sum(axis=0)
        got = loads.sum(axis=1) / system_mw.sum()
        if np.max(np.abs(got - target)) < FIT_TOLERANCE:
            break
        weight = weight * np.divide(target, got, out=np.ones_like(got), where=got > 0)
    else:
        raise ScenarioError(
            "field 'bills.classes.energy_share': the class shares cannot be met by splitting the "
            f"system load with the shapes of region '{region}' (reached {np.round(got, 4)} for "
            f"{np.round(target, 4)}); give class loads as a CSV"
        )
    return loads


def read_class_csv(path, n_hours: int) -> np.ndarray:
    """Hourly retail class loads (class, hour) in MW from a CSV with one column per class."""
    values = read_csv_columns(
        path, list(RETAIL_CLASSES), "bills.classes.csv", min_rows=n_hours, lo=0.0
    )
    return values[:n_hours].T


def customer_counts(
    residential_mwh: float, household_kwh_per_month: float, per_residential: dict[str, float]
) -> dict[str, float]:
    """Customers per retail class: residential from energy and household use, others by ratio."""
    n_res = residential_mwh * 1000.0 / (12.0 * household_kwh_per_month)
    return {
        "residential": n_res,
        "commercial": n_res * per_residential.get("commercial", 0.0),
        "industrial": n_res * per_residential.get("industrial", 0.0),
    }

"""Customer classes: hourly class loads, customer counts and today's class prices."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from gridmodel.datafiles import read_csv_columns
from gridmodel.schema import RETAIL_CLASSES, Baseline, ClassLoads, ScenarioError

REGIONS = Path(__file__).with_name("regions.csv")

#: LBNL/EIA 2024 US average commercial and industrial prices (c/kWh; schema.sources.LBNL_PRICES_2025);
#: their ratio splits a region's non-residential price between the two classes.
US_COMMERCIAL_CENTS, US_INDUSTRIAL_CENTS = 12.8, 8.1


@cache
def region_table() -> pd.DataFrame:
    """``regions.csv``: household use and prices by region, with sources."""
    return pd.read_csv(REGIONS).set_index("region")


@dataclass(frozen=True)
class RetailBaseline:
    """Today's retail terms: household kWh/month and class prices in $/MWh."""

    household_kwh_per_month: float
    price_usd_per_mwh: dict[str, float]


def class_prices(
    residential_cents: float, all_sector_cents: float, shares: dict[str, float]
) -> dict[str, float]:
    """Class prices ($/MWh) that reproduce the all-sector average at the class energy shares.

    Commercial and industrial keep the US ratio of their prices (12.8 : 8.1).
    """
    rest = all_sector_cents - shares["residential"] * residential_cents
    k = rest / (
        shares["commercial"] * US_COMMERCIAL_CENTS + shares["industrial"] * US_INDUSTRIAL_CENTS
    )
    if not k > 0:
        raise ScenarioError(
            f"field 'bills.baseline': an all-sector price of {all_sector_cents} c/kWh is not above "
            f"the residential share ({shares['residential']}) of the residential price "
            f"{residential_cents} c/kWh; the commercial and industrial prices would be negative"
        )
    cents = {
        "residential": residential_cents,
        "commercial": k * US_COMMERCIAL_CENTS,
        "industrial": k * US_INDUSTRIAL_CENTS,
    }
    return {c: 10.0 * v for c, v in cents.items()}


def retail_baseline(baseline: Baseline, shares: dict[str, float]) -> RetailBaseline:
    """Household use and class prices of ``baseline`` (region figures unless overridden)."""
    row = region_table().loc[baseline.region]
    kwh = baseline.household_kwh_per_month or float(row.household_kwh_per_month)
    res = baseline.residential_cents_per_kwh or float(row.residential_cents_per_kwh)
    total = baseline.all_sector_cents_per_kwh or float(row.all_sector_cents_per_kwh)
    return RetailBaseline(kwh, class_prices(res, total, shares))


def split_system_load(system_mw: np.ndarray, spec: ClassLoads) -> np.ndarray:
    """Hourly retail class loads (class, hour) in MW that sum to ``system_mw`` every hour.

    Industrial load is flat; commercial load follows the system's deviation from its mean at
    ``commercial_weather_sensitivity``; residential load is the rest (it carries the weather).
    """
    s = spec.energy_share
    mean = system_mw.mean()
    industrial = np.full_like(system_mw, s["industrial"] * mean)
    commercial = s["commercial"] * (mean + spec.commercial_weather_sensitivity * (system_mw - mean))
    residential = system_mw - industrial - commercial
    if residential.min() < 0:
        raise ScenarioError(
            "field 'bills.classes': with these shares the residential load would be negative in "
            f"some hours (min {residential.min():,.0f} MW); lower the commercial weather "
            "sensitivity or give class loads as a CSV"
        )
    return np.vstack([residential, commercial, industrial])


def read_class_csv(path: Path, n_hours: int) -> np.ndarray:
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

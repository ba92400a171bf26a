"""Monte Carlo over whether forecast campus load materialises and whether campuses stay.

Per draw and campus: realised/forecast load ~ Uniform(low, high); the campus leaves after a
number of years of service drawn from a geometric law with the yearly exit probability (or stays
past the horizon). Each draw is simulated with the scenario's tariff and without protections;
the as-forecast case (full load, no exit) is the reference for what the campuses were expected
to pay.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import xarray as xr

from gridmodel.progress import Progress, no_progress
from gridmodel.rates.bills import ENERGY_COMPONENTS, BillModel, simulate
from gridmodel.rates.tariff import LargeLoadCase
from gridmodel.schema import MonteCarlo

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def draw_cases(
    campuses: list[LargeLoadCase], spec: MonteCarlo, horizon: int, seed: int
) -> list[list[LargeLoadCase]]:
    """``spec.draws`` realisations of ``campuses`` (same seed, same draws)."""
    rng = np.random.default_rng(seed)
    low, high = spec.materialisation
    draws = []
    for _ in range(spec.draws):
        cases = []
        for c in campuses:
            m = rng.uniform(low, high)
            p = spec.exit_probability_per_year
            stay = rng.geometric(p) - 1 if p > 0 else horizon
            leaves = int(stay) if c.first_year + stay < horizon else None
            cases.append(replace(c, materialisation=float(m), leaves_after_years=leaves))
        draws.append(cases)
    return draws


def _fixed_paid(ds: xr.Dataset) -> np.ndarray:
    """Per year: what the campuses pay toward costs that do not scale with energy ($)."""
    fixed = [c for c in ds.component.values if c not in ENERGY_COMPONENTS]
    return (
        ds.allocated_usd.sel({"class": "large_load", "component": fixed})
        .sum("component")
        .to_numpy()
    )


def stranded_and_recovered(
    as_forecast: xr.Dataset, protected: xr.Dataset, unprotected: xr.Dataset
) -> tuple[np.ndarray, np.ndarray]:
    """Per year: stranded cost (fixed costs the campuses were expected to carry but, on a
    standard tariff, do not) and what minimum take and exit fees recover of it ($)."""
    exit_credit = -protected.allocated_usd.sel(component="exit_fee_credit").sum("class").to_numpy()
    stranded = _fixed_paid(as_forecast) - _fixed_paid(unprotected)
    return stranded, _fixed_paid(protected) + exit_credit - _fixed_paid(unprotected)


def monte_carlo(
    model: BillModel,
    campuses: list[LargeLoadCase],
    spec: MonteCarlo,
    seed: int,
    as_forecast: xr.Dataset,
    progress: Progress = no_progress,
) -> xr.Dataset:
    """Residential bills, stranded cost and recovery over the draws (dims draw, year)."""
    draws = draw_cases(campuses, spec, len(model.years), seed)
    names = ("bill_protected", "bill_unprotected", "stranded", "recovered")
    out = {k: np.zeros((len(draws), len(model.years))) for k in names}
    materialisation = np.zeros((len(draws), len(campuses)))
    progress("Monte Carlo", 0, len(draws))
    for i, cases in enumerate(draws):
        protected = simulate(model, cases)
        unprotected = simulate(model, [replace(c, tariff=None) for c in cases])
        out["bill_protected"][i] = protected.residential_bill_usd_per_month
        out["bill_unprotected"][i] = unprotected.residential_bill_usd_per_month
        out["stranded"][i], out["recovered"][i] = stranded_and_recovered(
            as_forecast, protected, unprotected
        )
        materialisation[i] = [c.materialisation for c in cases]
        progress("Monte Carlo", 1, len(draws))
    ds = xr.Dataset(
        {
            "residential_bill_usd_per_month": (("draw", "year"), out["bill_protected"]),
            "residential_bill_unprotected_usd_per_month": (
                ("draw", "year"),
                out["bill_unprotected"],
            ),
            "stranded_cost_usd": (("draw", "year"), out["stranded"]),
            "recovered_usd": (("draw", "year"), out["recovered"]),
            "materialisation": (("draw", "campus"), materialisation),
        },
        coords={"year": model.years, "campus": [c.name for c in campuses]},
    )
    ds.attrs.update(seed=seed, draws=spec.draws)
    return ds

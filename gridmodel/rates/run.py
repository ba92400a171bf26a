"""`gridmodel bills`: residential price pass-through of a scenario's campuses, with outputs."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.io import write_csv, write_netcdf_groups
from gridmodel.networks import Network, load_network
from gridmodel.powerflow.case import (
    campus_load_model,
    campus_profile_mw,
    system_load_mw,
)
from gridmodel.rates.bills import (
    BillModel,
    Methods,
    RetailSystem,
    Supply,
    TransmissionCost,
    simulate,
)
from gridmodel.rates.classes import (
    customer_counts,
    read_class_csv,
    retail_baseline,
    split_system_load,
)
from gridmodel.rates.revenue import (
    existing_costs,
    fixed_charge_rate,
    new_generation_usd_per_mw_yr,
)
from gridmodel.rates.tariff import LargeLoadCase
from gridmodel.rates.uncertainty import QUANTILES, monte_carlo
from gridmodel.schema import RETAIL_CLASSES, Bills, ModelProfile, Scenario, ScenarioError

#: Cases every run reports (besides the scenario's own): the name and how campuses change.
NO_SHOW = "no_show"


@dataclass
class BillsResult:
    cases: xr.Dataset
    methods: xr.Dataset
    monte_carlo: xr.Dataset | None
    report_year: int
    written: list[Path] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Model inputs from the scenario


def _month_of_hour(year: int, n_hours: int) -> np.ndarray:
    return pd.date_range(f"{year}-01-01", periods=n_hours, freq="h").month.to_numpy()


def _campus_hourly(network: Network, scenario: Scenario, k: int, n_hours: int) -> np.ndarray:
    campus = scenario.campuses[k]
    model_hourly = None
    if isinstance(campus.profile, ModelProfile):
        load = campus_load_model(network, scenario, k)
        model_hourly = load.profile(0.0, n_hours * 3600.0, 3600.0).p_mw.values
    return campus_profile_mw(campus, n_hours, f"campuses.{k}", model_hourly)


def _campus_cases(network: Network, scenario: Scenario, n_hours: int) -> list[LargeLoadCase]:
    names = [c.name for c in scenario.campuses]
    cases = []
    for load in scenario.bills.large_loads:
        k = names.index(load.campus)
        hourly = _campus_hourly(network, scenario, k, n_hours)
        contract = float(hourly.max())
        cases.append(
            LargeLoadCase(
                name=load.campus,
                contract_mw=contract,
                shape=hourly / contract,
                first_year=load.first_year,
                ramp_years=load.ramp_years,
                materialisation=load.materialisation,
                leaves_after_years=load.leaves_after_years,
                btm_peak_avoidance=load.btm_peak_avoidance,
                tariff=load.tariff,
            )
        )
    return cases


def _stress_reinforcements(
    spec: Bills, fcr: float, allow_unserved_energy: bool = False
) -> list[TransmissionCost]:
    """One cost stream per branch a grid-stress run found overloaded because of the campuses.

    A run with hours whose dispatch was infeasible (``dispatch_feasible`` false, with or without
    the campuses) is refused, naming the hours, unless ``allow_unserved_energy``."""
    t = spec.transmission
    path = t.stress_results / "results.nc"
    if not path.exists():
        raise ScenarioError(
            f"field 'bills.transmission.stress_results': {path} not found (run `gridmodel run "
            f"SCENARIO --out {t.stress_results}` first)"
        )
    with xr.open_dataset(path) as ds:
        if "loading_percent_without_campus" not in ds:
            raise ScenarioError(
                f"field 'bills.transmission.stress_results': {path} has no run without campuses"
            )
        _refuse_infeasible_run(ds, path, allow_unserved_energy)
        limit = float(ds.attrs.get("loading_limit_percent", 100.0))
        loading = ds.loading_percent.to_numpy()
        without = ds.loading_percent_without_campus.to_numpy()
        caused = np.nan_to_num(loading - np.maximum(limit, without), nan=0.0).max(axis=0)
        mw = np.clip(caused, 0, None) / 100.0 * ds.rate_a_mva.to_numpy()
        branches = ds.branch.to_numpy()
    return [
        TransmissionCost(
            name=f"reinforce branch {b}",
            annual_usd=m * 1000.0 * t.usd_per_kw_overload * fcr,
            first_year=t.overload_in_service_year,
            life_yr=spec.transmission_life_years,
            direct_assignment=t.overload_direct_assignment,
        )
        for b, m in zip(branches, mw, strict=True)
        if m > 0
    ]


def _refuse_infeasible_run(ds: xr.Dataset, path: Path, allow_unserved_energy: bool) -> None:
    from gridmodel.stress.feasibility import hours_text, infeasible_hours

    field = "field 'bills.transmission.stress_results'"
    if "dispatch_feasible" not in ds:
        raise ScenarioError(
            f"{field}: {path} has no dispatch_feasible flag (written by an older gridmodel); "
            "run `gridmodel run` again"
        )
    flags = [v for v in ("dispatch_feasible", "dispatch_feasible_without_campus") if v in ds]
    bad = sorted(set().union(*(set(infeasible_hours(ds, v).tolist()) for v in flags)))
    if bad and not allow_unserved_energy:
        raise ScenarioError(
            f"{field}: {path} has hours whose dispatch cannot serve demand (or carry the slack): "
            f"{hours_text(bad)}; its overloads are not a transmission need. Fix the fleet or "
            "set 'dispatch.allow_unserved_energy: true' to price it anyway"
        )


def _supply(spec: Bills, n_years: int) -> Supply:
    p = spec.procurement
    gen = new_generation_usd_per_mw_yr(
        p.technology, p.cost_year, spec.wacc, spec.generation_life_years, spec.tax_rate
    )
    base = {
        "market": p.market,
        "reserve_margin": p.reserve_margin,
        "lead_years": p.lead_years,
        "new_generation_usd_per_mw_yr": gen,
        "generation_life_yr": spec.generation_life_years,
        "energy_price_change_usd_per_mwh": p.energy_price_change_usd_per_mwh,
    }
    cm = p.capacity_market
    if cm is None:
        return Supply(**base)
    prices = cm.price_usd_per_mw_day
    if isinstance(prices, list) and len(prices) not in (1, n_years):
        raise ScenarioError(
            "field 'bills.procurement.capacity_market.price_usd_per_mw_day': give one price or "
            f"one per year ({n_years}), got {len(prices)}"
        )
    return Supply(
        **base,
        capacity_prices=None if prices is None else np.atleast_1d(np.asarray(prices, float)),
        baseline_price=cm.baseline_price_usd_per_mw_day,
        supply_mw=cm.supply_ucap_mw,
        market_peak_mw=cm.market_peak_mw,
        cap=cm.cap_usd_per_mw_day,
        floor=cm.floor_usd_per_mw_day,
        surplus_at_floor=cm.surplus_at_floor,
    )


def bill_model(network: Network, scenario: Scenario) -> tuple[BillModel, list[LargeLoadCase]]:
    """The bill model of ``scenario`` on ``network``'s load year, and its campuses."""
    spec = scenario.bills
    system = system_load_mw(network, scenario)
    n_hours = len(system)
    if spec.classes.csv is not None:
        loads = read_class_csv(spec.classes.csv, n_hours)
        shares = dict(zip(RETAIL_CLASSES, loads.sum(axis=1) / loads.sum(), strict=True))
    else:
        loads = split_system_load(system, spec.classes)
        shares = spec.classes.energy_share
    retail = retail_baseline(spec.baseline, shares)
    energy = loads.sum(axis=1)
    revenue = np.array([retail.price_usd_per_mwh[c] for c in RETAIL_CLASSES]) * energy
    customers = customer_counts(
        energy[0], retail.household_kwh_per_month, spec.classes.customers_per_residential
    )
    b = spec.baseline
    existing = existing_costs(
        revenue.sum(),
        energy.sum(),
        b.function_share,
        b.generation_energy_share,
        b.distribution_customer_share,
    )
    fcr_t = fixed_charge_rate(spec.wacc, spec.transmission_life_years, spec.tax_rate)
    transmission = [
        TransmissionCost(
            p.name,
            p.capex_musd * 1e6 * fcr_t,
            p.in_service_year,
            spec.transmission_life_years,
            p.direct_assignment,
        )
        for p in spec.transmission.projects
    ]
    if spec.transmission.stress_results is not None:
        transmission += _stress_reinforcements(spec, fcr_t, scenario.dispatch.allow_unserved_energy)
    a = spec.allocation
    model = BillModel(
        years=spec.start_year + np.arange(spec.years),
        retail=RetailSystem(
            loads_mw=loads,
            month=_month_of_hour(network.load_year, n_hours),
            customers=np.array([customers[c] for c in RETAIL_CLASSES]),
            revenue_usd=revenue,
            household_kwh_per_month=retail.household_kwh_per_month,
        ),
        existing=existing,
        supply=_supply(spec, spec.years),
        transmission=tuple(transmission),
        methods=Methods(a.generation, a.transmission, a.distribution),
        wacc=spec.wacc,
        rate_case_interval=spec.rate_case.interval_years,
        rate_case_lag=spec.rate_case.lag_years,
    )
    return model, _campus_cases(network, scenario, n_hours)


# ---------------------------------------------------------------------------------------------
# Cases


def named_cases(campuses: list[LargeLoadCase]) -> dict[str, list[LargeLoadCase]]:
    """The cases every run reports: no campuses (simulated without the transmission built for
    them), as forecast, the scenario, and the forecast load never arriving with and without the
    tariff's protections."""
    return {
        "baseline": [],
        "as_forecast": [replace(c, materialisation=1.0, leaves_after_years=None) for c in campuses],
        "scenario": campuses,
        f"{NO_SHOW}_protected": [replace(c, materialisation=0.0) for c in campuses],
        f"{NO_SHOW}_unprotected": [replace(c, materialisation=0.0, tariff=None) for c in campuses],
    }


def npv_per_household(bill: np.ndarray, baseline: np.ndarray, rate: float) -> float:
    """Present value ($, at the start) of the monthly bill change, paid yearly in arrears."""
    discount = (1 + rate) ** -np.arange(1, len(bill) + 1)
    return float(((bill - baseline) * 12 * discount).sum())


def report_year(model: BillModel, campuses: list[LargeLoadCase]) -> int:
    """Index of the first year every campus is at full contract plus the rate-case lag."""
    full = max((c.first_year + c.ramp_years - 1 for c in campuses), default=0)
    return min(len(model.years) - 1, full + model.rate_case_lag)


def compare_methods(model: BillModel, campuses, methods: list[str]) -> xr.Dataset:
    """Residential bill and class revenues with each method for generation and transmission."""
    runs = [simulate(model.with_methods(m, m), campuses) for m in methods]
    ds = xr.concat(
        [
            r[["residential_bill_usd_per_month", "revenue_usd", "cost_of_service_usd_per_mwh"]]
            for r in runs
        ],  # fmt: skip
        dim=pd.Index(methods, name="method"),
    )
    return ds


def run_bills(scenario: Scenario, out: Path, progress=None) -> BillsResult:
    """Simulate the scenario's bill cases, Monte Carlo and method comparison; write outputs."""
    if scenario.bills is None:
        raise ScenarioError("field 'bills': the scenario has no `bills` block")
    if not scenario.bills.large_loads:
        raise ScenarioError("field 'bills.large_loads': name at least one campus")
    network = load_network(scenario.network)
    model, campuses = bill_model(network, scenario)
    cases = {
        name: simulate(replace(model, transmission=()) if name == "baseline" else model, c)
        for name, c in named_cases(campuses).items()
    }
    ds = xr.concat(list(cases.values()), dim=pd.Index(list(cases), name="case"))
    baseline = ds.residential_bill_usd_per_month.sel(case="baseline").to_numpy()
    npv = [
        npv_per_household(
            ds.residential_bill_usd_per_month.sel(case=c).to_numpy(), baseline, model.wacc
        )  # fmt: skip
        for c in ds.case.values
    ]
    ds["residential_bill_npv_usd"] = ("case", npv)
    ds.residential_bill_npv_usd.attrs.update(
        units="$", long_name="present value of the residential bill change per household"
    )
    ds.attrs.update(
        scenario=scenario.name,
        scenario_digest=scenario.digest(),
        household_kwh_per_month=model.retail.household_kwh_per_month,
        residential_customers=float(model.retail.customers[0]),
        wacc=model.wacc,
    )
    methods = compare_methods(model, campuses, scenario.bills.allocation.compare)
    mc = None
    if scenario.bills.monte_carlo is not None:
        mc = monte_carlo(
            model,
            campuses,
            scenario.bills.monte_carlo,
            scenario.seed,
            cases["as_forecast"],
            progress,
        )
    result = BillsResult(ds, methods, mc, report_year(model, campuses))
    result.written = write_bills(result, out)
    return result


# ---------------------------------------------------------------------------------------------
# Outputs


def bills_table(result: BillsResult) -> pd.DataFrame:
    """One row per year: residential c/kWh and $/month per case, change against the baseline."""
    ds = result.cases
    frame = pd.DataFrame({"year": ds.year.values})
    base = ds.residential_bill_usd_per_month.sel(case="baseline").to_numpy()
    for case in ds.case.values:
        bill = ds.residential_bill_usd_per_month.sel(case=case).to_numpy()
        frame[f"{case}_cents_per_kwh"] = ds.residential_cents_per_kwh.sel(case=case).to_numpy()
        frame[f"{case}_usd_per_month"] = bill
        if case != "baseline":
            frame[f"{case}_change_usd_per_month"] = bill - base
    if result.monte_carlo is not None:
        q = result.monte_carlo.residential_bill_usd_per_month.quantile(list(QUANTILES), "draw")
        for qq in QUANTILES:
            frame[f"monte_carlo_p{int(qq * 100):02d}_usd_per_month"] = q.sel(quantile=qq).to_numpy()
    return frame


def write_bills(result: BillsResult, out: Path) -> list[Path]:
    """bills.nc (groups cases, methods, monte_carlo), bills.csv and figures, each atomic."""
    from gridmodel.report import bill_figures as fig

    groups = {"cases": result.cases, "methods": result.methods, "monte_carlo": result.monte_carlo}
    written = [
        write_netcdf_groups(groups, out / "bills.nc"),
        write_csv(bills_table(result), out / "bills.csv", index=False),
    ]
    folder = out / "figures"
    written += fig.bill_waterfall(result.cases, result.report_year, folder)
    written += fig.bill_trajectories(result.cases, folder)
    written += fig.allocation_methods(result.methods, result.cases, result.report_year, folder)
    if result.monte_carlo is not None:
        written += fig.materialisation_fan(result.monte_carlo, result.cases, folder)
    return written

"""The bills stage: residential price pass-through of a study's campuses."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.inputs import StudyInputs
from gridmodel.io import table_dataset
from gridmodel.progress import Progress, no_progress
from gridmodel.rates import links
from gridmodel.rates.bills import (
    BillModel,
    Methods,
    RetailSystem,
    Supply,
    TransmissionCost,
    at_todays_prices,
    residential_plc_kw_per_customer,
    simulate,
    todays_capacity_usd,
)
from gridmodel.rates.capacity import capacity_terms, five_cp_hours
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
from gridmodel.schema import RETAIL_CLASSES, Bills, ScenarioError

#: Cases every run reports (besides the scenario's own): the name and how campuses change.
NO_SHOW = "no_show"


# ---------------------------------------------------------------------------------------------
# Model inputs from the study and the links

log = logging.getLogger(__name__)


def _campus_cases(study: StudyInputs, avoidance: dict[str, float]) -> list[LargeLoadCase]:
    """The scenario's large loads with their hourly shape over the whole load year."""
    cases = []
    for load in study.scenario.bills.large_loads:
        hourly = study.inputs.campus_p_mw.sel(campus=load.campus).to_numpy()
        contract = float(hourly.max())
        given = load.btm_peak_avoidance
        cases.append(
            LargeLoadCase(
                name=load.campus,
                contract_mw=contract,
                shape=hourly / contract,
                first_year=load.first_year,
                ramp_years=load.ramp_years,
                materialisation=load.materialisation,
                leaves_after_years=load.leaves_after_years,
                btm_peak_avoidance=given if given is not None else avoidance.get(load.campus, 0.0),
                tariff=load.tariff,
            )
        )
    return cases


def _reinforcements(overloads: pd.DataFrame, spec: Bills, fcr: float) -> list[TransmissionCost]:
    """One cost stream per branch the campuses overload, sized by its overload."""
    t = spec.transmission
    return [
        TransmissionCost(
            name=f"reinforce branch {row.branch}",
            annual_usd=row.overload_mw * 1000.0 * t.usd_per_kw_overload * fcr,
            first_year=t.overload_in_service_year,
            life_yr=spec.transmission_life_years,
            direct_assignment=t.overload_direct_assignment,
        )
        for row in overloads.itertuples(index=False)
    ]


def _bus_loads(study: StudyInputs) -> tuple[np.ndarray, np.ndarray]:
    """Hourly MW per bus (network bus order) of the period: the network's loads, the campuses."""
    from gridmodel.optimize.dcnetwork import bus_loads
    from gridmodel.powerflow.case import study_loads

    loads = study_loads(study)
    campus = np.zeros_like(loads.load_p)
    campus[:, loads.campus_cols] = loads.load_p[:, loads.campus_cols]
    return (
        bus_loads(study.network, loads.net, loads.load_p - campus),
        bus_loads(study.network, loads.net, campus),
    )


def link_inputs(study: StudyInputs, stress, optimize, stress_asked: bool) -> dict:
    """What the links of the chain give the bills (empty entries where a link is not used)."""
    scenario = study.scenario
    spec = scenario.bills
    out: dict = {"overloads": pd.DataFrame(), "energy_price_change": None,
                 "new_generation": None, "avoidance": {}}  # fmt: skip
    if spec.transmission.reinforce_overloads:
        out["overloads"] = links.campus_overloads(stress)
    if links.prices_from_stress(scenario, stress_asked):
        out["energy_price_change"] = links.energy_price_change(stress, *_bus_loads(study))
    if spec.procurement.market == "vertically_integrated" and links.new_generation_source(scenario) == "expansion":  # fmt: skip
        out["new_generation"] = links.expansion_build(optimize)
    sized = links.sized_campuses(scenario)
    method = links.cp_method(spec)
    if sized and method is not None:
        system = study.inputs.system_load_mw + study.inputs.campus_p_mw.sum("campus")
        share = links.coincident_peak_avoidance(
            optimize["campus"].to_dataset(), method, system.to_numpy(), study.inputs.time.values
        )
        out["avoidance"] = {name: share for name in sized}
    return out


def _supply(spec: Bills, linked: dict) -> Supply:
    p = spec.procurement
    gen = new_generation_usd_per_mw_yr(
        p.technology, p.cost_year, spec.wacc, spec.generation_life_years, spec.tax_rate
    )
    built_mw = None
    if linked["new_generation"] is not None:
        built_mw, cost = linked["new_generation"]
        gen = cost / built_mw if built_mw > 0 else 0.0
    price_change = p.energy_price_change_usd_per_mwh
    if price_change is None:
        price_change = linked["energy_price_change"] or 0.0
    base = {
        "market": p.market,
        "reserve_margin": p.reserve_margin,
        "lead_years": p.lead_years,
        "new_generation_usd_per_mw_yr": gen,
        "new_generation_mw": built_mw,
        "generation_life_yr": spec.generation_life_years,
        "energy_price_change_usd_per_mwh": price_change,
    }
    cm = p.capacity_market
    if cm is None:
        return Supply(**base)
    return Supply(**base, capacity=capacity_terms(cm, spec.start_year, spec.years))


def bill_model(
    study: StudyInputs, linked: dict | None = None
) -> tuple[BillModel, list[LargeLoadCase]]:
    """The bill model of the study on its network's load year, and its campuses, with what the
    links of the chain give (None: a study whose bills use no link)."""
    if linked is None:
        linked = link_inputs(study, None, None, False)
    spec = study.scenario.bills
    system = study.inputs.system_load_mw.to_numpy()
    time = study.inputs.time.values
    n_hours = len(system)
    retail = retail_baseline(spec.baseline, spec.classes)
    if spec.classes.csv is not None:
        loads = read_class_csv(spec.classes.csv, n_hours)
    else:
        loads = split_system_load(system, time, spec.baseline.region, retail.energy_share)
    energy = loads.sum(axis=1)
    revenue = np.array([retail.price_usd_per_mwh[c] for c in RETAIL_CLASSES]) * energy
    customers = customer_counts(
        energy[0], retail.household_kwh_per_month, retail.customers_per_residential
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
    transmission += _reinforcements(linked["overloads"], spec, fcr_t)
    a = spec.allocation
    month = pd.DatetimeIndex(time).month.to_numpy()
    model = BillModel(
        years=spec.start_year + np.arange(spec.years),
        retail=RetailSystem(
            loads_mw=loads,
            month=month,
            customers=np.array([customers[c] for c in RETAIL_CLASSES]),
            revenue_usd=revenue,
            household_kwh_per_month=retail.household_kwh_per_month,
            five_cp=five_cp_hours(loads.sum(axis=0), month),
        ),
        existing=existing,
        supply=_supply(spec, linked),
        transmission=tuple(transmission),
        methods=Methods(a.generation, a.transmission, a.distribution),
        wacc=spec.wacc,
        rate_case_interval=spec.rate_case.interval_years,
        rate_case_lag=spec.rate_case.lag_years,
    )
    if todays_capacity_usd(model) > existing.generation_demand_usd:
        raise ScenarioError(
            "field 'bills.procurement.capacity_market': today's capacity cost "
            f"(${todays_capacity_usd(model) / 1e6:,.0f}M/yr) exceeds the demand-related generation "
            f"cost in today's rates (${existing.generation_demand_usd / 1e6:,.0f}M/yr); check "
            "`baseline_price_usd_per_mw_day` and `bills.baseline.function_share`"
        )
    return model, _campus_cases(study, linked["avoidance"])


# ---------------------------------------------------------------------------------------------
# Cases


def named_cases(campuses: list[LargeLoadCase]) -> dict[str, list[LargeLoadCase]]:
    """The cases every run reports: no campuses (simulated without the transmission built for
    them), as forecast, the scenario, and the forecast load never arriving with and without the
    tariff's protections. With no campus (a price change alone): today's prices and the
    scenario."""
    if not campuses:
        return {"today": [], "scenario": []}
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


def reference_case(ds: xr.Dataset) -> str:
    """The case the others are compared with: no campus, or today's prices without campuses."""
    return "baseline" if "baseline" in ds.case.values else "today"


def _case_model(model: BillModel, name: str) -> BillModel:
    if name == "baseline":
        return replace(model, transmission=())
    if name == "today":
        return at_todays_prices(replace(model, transmission=()))
    return model


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


def _links_dataset(linked: dict, model: BillModel, campuses: list[LargeLoadCase]) -> xr.Dataset:
    """What the links gave the bills, for the record (and the tests)."""
    ds = table_dataset(linked["overloads"], "reinforcement")
    ds.attrs["energy_price_change_usd_per_mwh"] = model.supply.energy_price_change_usd_per_mwh
    ds.attrs["energy_price_change_from_stress"] = int(linked["energy_price_change"] is not None)
    if linked["new_generation"] is not None:
        mw, cost = linked["new_generation"]
        ds.attrs.update(expansion_new_generation_mw=mw, expansion_new_generation_usd_per_yr=cost)
    for c in campuses:
        ds.attrs[f"btm_peak_avoidance_{c.name}"] = c.btm_peak_avoidance
    return ds


def plc_basis(spec: Bills) -> str:
    """The peaks a household's peak-load contribution is measured at: PJM's five summer
    coincident peaks in a capacity market, else the coincident-peak allocator the campus's
    avoidance applies to (transmission's, then generation's), else the annual peak."""
    if spec.procurement.market == "capacity_market":
        return "5cp"
    return links.cp_method(spec) or "1cp"


def check(study: StudyInputs) -> None:
    """Refuse, before any solve, what the bills stage could only refuse later."""
    spec = study.scenario.bills
    if spec is None:
        raise ScenarioError("field 'bills': the scenario has no `bills` block")
    links.new_generation_source(study.scenario)
    if spec.classes.csv is not None:
        read_class_csv(spec.classes.csv, len(study.inputs.time))
    if spec.procurement.capacity_market is not None:
        capacity_terms(spec.procurement.capacity_market, spec.start_year, spec.years)
    for k, load in enumerate(spec.large_loads):
        if study.inputs.campus_p_mw.sel(campus=load.campus).isnull().any():
            raise ScenarioError(
                f"field 'bills.large_loads.{k}.campus': the profile of campus '{load.campus}' "
                "does not cover the whole load year the bills need (a CSV profile needs a row "
                "for every hour of the year and `first_hour: 0`)"
            )


def bills(
    study: StudyInputs,
    stress: xr.DataTree | None = None,
    optimize: xr.DataTree | None = None,
    progress: Progress = no_progress,
) -> xr.DataTree:
    """The scenario's bill cases, method comparison and Monte Carlo over materialisation.

    ``stress``/``optimize``: the upstream results the links read (see :mod:`gridmodel.rates.links`;
    a study that runs grid stress passes its result).
    Groups: ``cases``, ``methods``, ``monte_carlo``, ``links``.
    """
    check(study)
    spec = study.scenario.bills
    linked = link_inputs(study, stress, optimize, stress is not None)
    model, campuses = bill_model(study, linked)
    log.info("bills: %d campuses, cases %s", len(campuses), ", ".join(named_cases(campuses)))
    cases = {
        name: simulate(_case_model(model, name), c) for name, c in named_cases(campuses).items()
    }
    ds = xr.concat(list(cases.values()), dim=pd.Index(list(cases), name="case"))
    baseline = ds.residential_bill_usd_per_month.sel(case=reference_case(ds)).to_numpy()
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
        household_kwh_per_month=model.retail.household_kwh_per_month,
        residential_customers=float(model.retail.customers[0]),
        wacc=model.wacc,
        report_year_index=report_year(model, campuses),
        reference_case=reference_case(ds),
    )
    basis = plc_basis(spec)
    ds.attrs.update(
        region=spec.baseline.region,
        residential_plc_basis=basis,
        residential_plc_kw_per_customer=residential_plc_kw_per_customer(model, basis),
        residential_mean_kw_per_customer=model.retail.household_kwh_per_month * 12.0 / 8760.0,
        residential_share_of_energy=float(
            model.retail.energy_mwh[0] / model.retail.energy_mwh.sum()
        ),
    )
    if model.supply.capacity is not None:
        ds.attrs["capacity_zone"] = model.supply.capacity.zone
    groups = {
        "cases": ds,
        "methods": compare_methods(model, campuses, spec.allocation.compare),
        "links": _links_dataset(linked, model, campuses),
    }
    if spec.monte_carlo is not None and campuses:
        log.info("bills: Monte Carlo over the materialisation draws")
        groups["monte_carlo"] = monte_carlo(
            model, campuses, spec.monte_carlo, study.scenario.seed, cases["as_forecast"], progress
        )
    return xr.DataTree.from_dict({f"/{k}": v for k, v in groups.items()})


# ---------------------------------------------------------------------------------------------
# Outputs


def bills_table(tree: xr.DataTree) -> pd.DataFrame:
    """One row per year: residential c/kWh and $/month per case, change against the baseline."""
    ds = tree["cases"]
    frame = pd.DataFrame({"year": ds.year.values})
    reference = reference_case(ds)
    base = ds.residential_bill_usd_per_month.sel(case=reference).to_numpy()
    for case in ds.case.values:
        bill = ds.residential_bill_usd_per_month.sel(case=case).to_numpy()
        frame[f"{case}_cents_per_kwh"] = ds.residential_cents_per_kwh.sel(case=case).to_numpy()
        frame[f"{case}_usd_per_month"] = bill
        if case != reference:
            frame[f"{case}_change_usd_per_month"] = bill - base
    if "monte_carlo" in tree:
        q = tree["monte_carlo"].residential_bill_usd_per_month.quantile(list(QUANTILES), "draw")
        for qq in QUANTILES:
            frame[f"monte_carlo_p{int(qq * 100):02d}_usd_per_month"] = q.sel(quantile=qq).to_numpy()
    return frame


def headline_table(tree: xr.DataTree) -> pd.DataFrame:
    """Per case: the typical household's bill in the report year, its change and NPV."""
    ds = tree["cases"]
    k = int(ds.attrs["report_year_index"])
    bill = ds.residential_bill_usd_per_month.isel(year=k)
    base = float(bill.sel(case=ds.attrs["reference_case"]))
    return pd.DataFrame(
        {
            "case": [str(c) for c in ds.case.values],
            "year": int(ds.year[k]),
            "usd_per_month": bill.to_numpy(),
            "change_usd_per_month": bill.to_numpy() - base,
            "npv_change_usd": ds.residential_bill_npv_usd.to_numpy(),
        }
    )

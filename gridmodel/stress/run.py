"""The grid-stress run: time-series AC power flow, limit checks, N-1 and hosting capacity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import xarray as xr

from gridmodel.networks import load_network
from gridmodel.powerflow.batch import SolverOptions, solve_timeseries
from gridmodel.powerflow.case import Injections, StudyCase, build_study, without_campuses
from gridmodel.schema import Scenario, ScenarioError
from gridmodel.stress.contingency import contingency_table, outage_set, run_contingencies
from gridmodel.stress.hosting import (
    HostingResult,
    Limits,
    hosting_capacity,
    n0_violation_check,
    n1_violation_check,
)
from gridmodel.stress.violations import (
    branch_overloads,
    nonconverged_hours,
    resolve_hours,
    voltage_bounds,
    voltage_violations,
)


@dataclass
class StressResult:
    """Everything a grid-stress run produces."""

    scenario: Scenario
    case: StudyCase
    injections: Injections
    timeseries: xr.Dataset
    baseline: xr.Dataset | None
    overloads: pd.DataFrame
    voltage: pd.DataFrame
    contingencies: pd.DataFrame | None
    hosting: list[HostingResult] = field(default_factory=list)


def prepare(scenario: Scenario, hours: int | None = None) -> tuple[StudyCase, Injections]:
    """Validate the scenario against its network and build the study (raises ScenarioError)."""
    try:
        network = load_network(scenario.network)
    except KeyError as err:
        raise ScenarioError(f"field 'network': {err.args[0]}") from None
    if hours is not None:
        scenario = scenario.model_copy(
            update={"period": scenario.period.model_copy(update={"hours": hours})}
        )
    case, inj = build_study(network, scenario)
    hc = scenario.study.hosting_capacity
    if hc is not None:
        _hosting_campus(case, scenario)
    return case, inj


def _hosting_campus(case: StudyCase, scenario: Scenario) -> int:
    """Position of the campus whose size the hosting-capacity search varies."""
    hc = scenario.study.hosting_capacity
    if not case.campus_names:
        raise ScenarioError(
            "field 'study.hosting_capacity': needs at least one campus in 'campuses'"
        )
    if hc.site is None:
        return 0
    try:
        bus = case.network.descriptor.site(hc.site).bus
    except KeyError as err:
        raise ScenarioError(f"field 'study.hosting_capacity.site': {err.args[0]}") from None
    if bus not in case.campus_buses:
        raise ScenarioError(
            f"field 'study.hosting_capacity.site': value '{hc.site}' (bus {bus}) has no campus; "
            f"campuses are at buses {case.campus_buses}"
        )
    return case.campus_buses.index(bus)


def run_stress(
    scenario: Scenario,
    hours: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    threads: int = 0,
) -> StressResult:
    """Run the whole grid-stress study; ``progress(task, advance, total)`` reports work done."""
    report = progress or (lambda task, advance, total: None)
    case, inj = prepare(scenario, hours)
    study = scenario.study
    options = SolverOptions(
        max_iter=study.max_iter,
        tolerance_mva=study.tolerance_mva,
        threads=threads,
        enforce_q_lims=study.enforce_q_lims,
    )
    n = len(inj.hour)

    report("AC power flow", 0, n)
    ds = solve_timeseries(case, inj, options, progress=lambda k: report("AC power flow", k, n))
    ds.attrs["scenario"] = scenario.name
    ds.attrs["scenario_digest"] = scenario.digest()
    ds.attrs["nonconverged_hours"] = len(nonconverged_hours(ds))

    baseline = None
    if case.campus_names:
        report("Without campuses", 0, n)
        twin = solve_timeseries(
            case,
            without_campuses(case, inj),
            options,
            progress=lambda k: report("Without campuses", k, n),
            variables=("vm_pu", "loading_percent"),
        )
        keep = ["loading_percent", "vm_pu", "converged", "dispatch_cost_usd"]
        baseline = twin[keep + (["lmp_usd_per_mwh"] if "lmp_usd_per_mwh" in twin else [])]

    vmin, vmax = voltage_bounds(ds, study)
    limits = Limits(
        study.loading_limit_percent, vmin, vmax, study.worsening_percent, study.worsening_vm_pu
    )
    overloads = branch_overloads(ds, study.loading_limit_percent)
    voltage = voltage_violations(ds, vmin, vmax)
    load = ds.load_mw.to_numpy()

    contingencies = None
    cont = study.contingencies
    n1_limits = Limits(
        study.loading_limit_percent * (cont.rating_factor if cont else 1.0),
        vmin,
        vmax,
        study.worsening_percent,
        study.worsening_vm_pu,
    )
    n1_rows = resolve_hours(cont.hours if cont else ["peak"], load)
    outages = outage_set(case, cont.set if cont else "all_branches")
    if cont is not None:
        report("N-1 screening", 0, len(n1_rows))
        n1_result = run_contingencies(case, inj, n1_rows, outages, options)
        report("N-1 screening", len(n1_rows), len(n1_rows))
        contingencies = contingency_table(
            n1_result,
            case,
            inj.hour[n1_rows],
            ds.loading_percent.to_numpy()[n1_rows],
            ds.vm_pu.to_numpy()[n1_rows],
            n1_limits,
        )

    hosting = []
    hc = study.hosting_capacity
    if hc is not None:
        campus = _hosting_campus(case, scenario)
        rows = resolve_hours(hc.hours, load)
        steps = 2 if hc.n1 else 1
        report("Hosting capacity", 0, steps)
        n0 = hosting_capacity(
            n0_violation_check(case, inj, campus, rows, limits, options, hc.max_mw),
            "N-0",
            hc.max_mw,
            hc.tolerance_percent,
        )
        hosting.append(n0)
        report("Hosting capacity", 1, steps)
        if hc.n1:
            # the N-1 capacity is at most the N-0 one: search below it, screening there
            top = max(n0.mw, 1.0)
            check = n1_violation_check(
                case, inj, campus, n1_rows, outages, n1_limits, options, top_mw=top
            )
            hosting.append(hosting_capacity(check, "N-1", top, hc.tolerance_percent))
            report("Hosting capacity", 1, steps)
    return StressResult(
        scenario, case, inj, ds, baseline, overloads, voltage, contingencies, hosting
    )


def campus_price(ds: xr.Dataset, prices: xr.Dataset) -> float:
    """Campus-energy-weighted mean of ``prices``' LMP at the campus buses ($/MWh): what the
    campuses' energy costs at those prices (``ds`` gives the campus loads)."""
    lmp = prices.lmp_usd_per_mwh.sel(bus=ds.campus_bus.values)  # time x campus
    p = ds.campus_p_mw.values
    return float((lmp.values * p).sum() / max(p.sum(), 1e-9))


def summary_table(result: StressResult) -> pd.DataFrame:
    """One row per metric: what a policy reader asks first."""
    ds, base = result.timeseries, result.baseline
    rows = [
        ("network", result.case.network.name, ""),
        ("hours studied", ds.sizes["time"], "h"),
        (
            "campus demand (peak)",
            float(ds.campus_p_mw.sum("campus").max()) if ds.sizes["campus"] else 0.0,
            "MW",
        ),
        ("system peak demand", float(ds.load_mw.max()), "MW"),
        ("hours not converged", int((~ds.converged).sum()), "h"),
        ("branches overloaded (any hour)", len(result.overloads), ""),
        (
            "branch-hours overloaded",
            int(result.overloads.hours_over.sum()) if len(result.overloads) else 0,
            "h",
        ),
        ("buses outside voltage limits (any hour)", len(result.voltage), ""),
        ("worst branch loading", float(ds.loading_percent.max()), "%"),
        ("lowest bus voltage", float(ds.vm_pu.min()), "pu"),
    ]
    if base is not None:
        lim = result.scenario.study.loading_limit_percent
        rows.append(
            (
                "branches overloaded without campuses",
                int((base.loading_percent > lim).any("time").sum()),
                "",
            )
        )
        rows.append(
            ("worst branch loading without campuses", float(base.loading_percent.max()), "%")
        )
    rows.append(("generation cost", float(ds.dispatch_cost_usd.sum()) / 1e6, "M$"))
    if base is not None:
        rows.append(
            ("generation cost without campuses", float(base.dispatch_cost_usd.sum()) / 1e6, "M$")
        )
    if "lmp_usd_per_mwh" in ds and ds.sizes["campus"]:
        rows.append(("price at campus buses", campus_price(ds, ds), "$/MWh"))
        rows.append(("price at campus buses without campuses", campus_price(ds, base), "$/MWh"))
    if result.contingencies is not None:
        c = result.contingencies
        n_viol = int(c.converged.sum()) if len(c) else 0
        rows.append(("N-1 outages with a violation", n_viol, ""))
        rows.append(("N-1 outages not converged", int((~c.converged).sum()) if len(c) else 0, ""))
    for h in result.hosting:
        rows.append((f"hosting capacity {h.criterion}", h.mw, "MW"))
    return pd.DataFrame(rows, columns=["metric", "value", "unit"])

"""The grid-stress run: time-series AC power flow, limit checks, N-1 and hosting capacity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.networks import load_network
from gridmodel.powerflow.batch import SolverOptions, solve_timeseries
from gridmodel.powerflow.case import Injections, StudyCase, build_study, without_campuses
from gridmodel.schema import Scenario, ScenarioError
from gridmodel.stress.audit import (
    base_case_by_hour,
    charged_to_campus,
    hosting_sentence,
    overload_audit,
    voltage_audit,
)
from gridmodel.stress.contingency import contingency_table, outage_set, run_contingencies
from gridmodel.stress.feasibility import hours_text, infeasible_hours, with_feasibility
from gridmodel.stress.hosting import (
    HostingResult,
    Limits,
    hosting_capacity,
    n0_violation_check,
    n1_violation_check,
)
from gridmodel.stress.violations import nonconverged_hours, resolve_hours, voltage_bounds


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
    base_case: pd.DataFrame | None = None  # the base-case audit, hour by hour


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
        max_iter=study.max_iter, tolerance_mva=study.tolerance_mva, threads=threads
    )
    n = len(inj.hour)

    hc = study.hosting_capacity
    if hc is not None:
        _refuse_infeasible(scenario, inj.hour[resolve_hours(hc.hours, inj.load_p.sum(axis=1))],
                           inj.hour[~inj.dispatch_feasible])  # fmt: skip

    report("AC power flow", 0, n)
    ds = solve_timeseries(case, inj, options, progress=lambda k: report("AC power flow", k, n))
    ds = with_feasibility(ds, case, inj)
    ds.attrs["allow_unserved_energy"] = int(scenario.dispatch.allow_unserved_energy)
    ds.attrs["loading_limit_percent"] = study.loading_limit_percent
    ds.attrs["scenario"] = scenario.name
    ds.attrs["scenario_digest"] = scenario.digest()
    ds.attrs["nonconverged_hours"] = len(nonconverged_hours(ds))

    baseline = None
    if case.campus_names:
        report("Without campuses", 0, n)
        twin_inj = without_campuses(case, inj)
        twin = solve_timeseries(
            case,
            twin_inj,
            options,
            progress=lambda k: report("Without campuses", k, n),
            variables=("vm_pu", "loading_percent", "p_inj_mw"),
        )
        twin = with_feasibility(twin, case, twin_inj)
        keep = ["loading_percent", "vm_pu", "converged", "dispatch_cost_usd", "dispatch_feasible"]
        baseline = twin[keep + (["lmp_usd_per_mwh"] if "lmp_usd_per_mwh" in twin else [])]

    vmin, vmax = voltage_bounds(ds, study)
    limits = Limits(
        study.loading_limit_percent, vmin, vmax, study.worsening_percent, study.worsening_vm_pu
    )
    base = baseline if baseline is not None else ds
    everything = study.include_infeasible_hours
    overloads = overload_audit(
        ds, base, study.loading_limit_percent, study.worsening_percent, everything
    )
    voltage = voltage_audit(ds, base, vmin, vmax, study.worsening_vm_pu, everything)
    base_case = base_case_by_hour(base, study.loading_limit_percent, vmin, vmax)
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
    if hc is not None:
        campus = _hosting_campus(case, scenario)
        rows = resolve_hours(hc.hours, load)
        _refuse_infeasible(scenario, ds.time.values[rows], infeasible_hours(ds))
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
        scenario, case, inj, ds, baseline, overloads, voltage, contingencies, hosting, base_case
    )


def _refuse_infeasible(scenario: Scenario, used_hours, infeasible) -> None:
    """ScenarioError naming the ``used_hours`` whose dispatch is infeasible, unless the scenario
    allows unserved energy."""
    bad = sorted(set(map(int, used_hours)) & set(map(int, infeasible)))
    if bad and not scenario.dispatch.allow_unserved_energy:
        raise ScenarioError(
            "field 'study.hosting_capacity': the committed units cannot serve demand (or carry "
            f"the slack) in hour(s) {hours_text(bad)} of the load year, which the search would "
            "use; add capacity, shorten the hours, or set 'dispatch.allow_unserved_energy: true'"
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
    study = result.scenario.study
    campus_mw = float(ds.campus_p_mw.sum("campus").max()) if ds.sizes["campus"] else 0.0
    ref = base if base is not None else ds
    feasible = ds.dispatch_feasible.to_numpy()
    counted = _counted(ds, study.include_infeasible_hours)
    counted_ref = _counted(ref, study.include_infeasible_hours)
    audit = result.base_case
    rows = [
        ("network", result.case.network.name, ""),
        ("hours studied", ds.sizes["time"], "h"),
        ("campus demand (peak)", campus_mw, "MW"),
        ("system peak demand", float(ds.load_mw.max()), "MW"),
        ("hours not converged", int((~ds.converged).sum()), "h"),
        ("hours with infeasible dispatch", int((~feasible).sum()), "h"),
        ("unserved demand (sum over hours)", float(ds.dispatch_shortfall_mw.sum()), "MWh"),
        ("base case: hours with an N-0 violation", int((~audit.secure).sum()), "h"),
        ("base case: branches overloaded", _count(result.overloads, "hours_over_without_campus"), ""),
        ("base case: buses outside voltage limits",
         _count(result.voltage, "hours_outside_without_campus"), ""),
        ("base case: worst branch loading", _worst(ref, "loading_percent", counted_ref, max), "%"),
        ("base case: lowest bus voltage", _worst(ref, "vm_pu", counted_ref, min), "pu"),
    ]  # fmt: skip
    if base is not None:
        new = charged_to_campus(result.overloads)
        volt = charged_to_campus(result.voltage)
        rows += [
            ("overloads caused by the campus (new)", int((new.status == "new").sum()), ""),
            ("overloads worsened by the campus", int((new.status == "worsened").sum()), ""),
            ("voltage violations caused or worsened by the campus", len(volt), ""),
            ("worst branch loading with campuses", _worst(ds, "loading_percent", counted, max), "%"),
            ("lowest bus voltage with campuses", _worst(ds, "vm_pu", counted, min), "pu"),
        ]  # fmt: skip
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
        rows.append((f"verdict {h.criterion}", hosting_sentence(h.mw, campus_mw, h.criterion), ""))
    return pd.DataFrame(rows, columns=["metric", "value", "unit"])


def _counted(ds: xr.Dataset, include_infeasible: bool) -> np.ndarray:
    """Hours that count in limit statistics: converged, and feasible unless asked otherwise."""
    feasible = ds.dispatch_feasible.to_numpy().astype(bool) | include_infeasible
    return ds.converged.to_numpy() & feasible


def _count(table: pd.DataFrame, column: str) -> int:
    return int((table[column] > 0).sum()) if len(table) else 0


def _worst(ds: xr.Dataset, name: str, hours, pick) -> float:
    """Largest (``pick=max``) or smallest live value of ``ds[name]`` over the counted hours."""
    values = ds[name].to_numpy()[hours]
    if name == "vm_pu":
        values = values[values > 0]
    values = values[np.isfinite(values)]
    return float(pick(values)) if values.size else float("nan")

"""The grid-stress stage: time-series AC power flow, limit checks, N-1 and hosting capacity."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.inputs import StudyInputs, build_inputs
from gridmodel.io import dataset_table, table_dataset
from gridmodel.networks import Network
from gridmodel.networks.layout import geographic_positions, network_positions
from gridmodel.powerflow.batch import SolverOptions, solve_timeseries
from gridmodel.powerflow.case import (
    Injections,
    StudyCase,
    build_case,
    resolved_rule,
    without_campuses,
)
from gridmodel.powerflow.dispatch import DispatchRule, participation_dispatch
from gridmodel.progress import Progress, no_progress
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
    feasible_rows,
    hosting_capacity,
    n0_violation_check,
    n1_violation_check,
)
from gridmodel.stress.violations import resolve_hours, voltage_bounds

#: Variables of the no-campus twin kept beside the campus run, suffixed ``_without_campus``.
TWIN_VARIABLES = (
    "loading_percent",
    "vm_pu",
    "converged",
    "dispatch_cost_usd",
    "lmp_usd_per_mwh",
    "dispatch_feasible",
)

log = logging.getLogger(__name__)


def dispatch_rule(scenario: Scenario):
    """A function (network, net) -> the scenario's dispatch rule for ``net`` (the study copy,
    campus loads attached)."""
    spec = scenario.dispatch

    def make(network: Network, net) -> DispatchRule:
        if resolved_rule(network, scenario) == "participation":
            return participation_dispatch
        from gridmodel.optimize.economic_dispatch import DispatchOptions, economic_dispatch_rule

        return economic_dispatch_rule(
            network,
            net,
            DispatchOptions(
                voll_usd_per_mwh=spec.voll_usd_per_mwh,
                overload_usd_per_mwh=spec.overload_usd_per_mwh,
                limit_fraction=spec.limit_fraction,
                network_commitment=spec.commitment == "network",
                slack_reserve_fraction=spec.slack_reserve_fraction,
                reactive_derating=spec.reactive_derating,
            ),
        )

    return make


def stress_case(study: StudyInputs) -> tuple[StudyCase, Injections]:
    """The study's case and its dispatched injections under the scenario's dispatch rule."""
    return build_case(study, dispatch_rule(study.scenario))


def build_study(network: Network, scenario: Scenario) -> tuple[StudyCase, Injections]:
    """:func:`stress_case` of ``scenario`` on an already loaded ``network``."""
    return stress_case(build_inputs(scenario, network))


def hosting_campus(study: StudyInputs) -> int:
    """Position of the campus whose size the hosting-capacity search varies."""
    hc = study.scenario.study.hosting_capacity
    buses = study.inputs.campus_bus.to_numpy().tolist()
    if not buses:
        raise ScenarioError(
            "field 'study.hosting_capacity': needs at least one campus in 'campuses'"
        )
    if hc.site is None:
        return 0
    try:
        bus = study.network.descriptor.site(hc.site).bus
    except KeyError as err:
        raise ScenarioError(f"field 'study.hosting_capacity.site': {err.args[0]}") from None
    if bus not in buses:
        raise ScenarioError(
            f"field 'study.hosting_capacity.site': value '{hc.site}' (bus {bus}) has no campus; "
            f"campuses are at buses {buses}"
        )
    return buses.index(bus)


def check(study: StudyInputs) -> None:
    """Refuse, before any solve, what the stress stage could only refuse later."""
    scenario = study.scenario
    sizing = scenario.optimize.campus if scenario.optimize else None
    lmp = sizing is not None and sizing.grid.price_usd_per_mwh == "lmp"
    if lmp and resolved_rule(study.network, scenario) == "participation":
        raise ScenarioError(
            "field 'optimize.campus.grid.price_usd_per_mwh': 'lmp' needs the economic dispatch, "
            f"which 'dispatch.rule: {scenario.dispatch.rule}' does not give on network "
            f"'{study.network.name}' ({len(study.network.buses)} buses); set "
            "'dispatch.rule: economic'"
        )
    if study.scenario.study.hosting_capacity is not None:
        hosting_campus(study)
    cont = study.scenario.study.contingencies
    if cont is not None and cont.set == "case_table" and study.network.contingencies is None:
        raise ScenarioError(
            "field 'study.contingencies.set': value 'case_table', but network "
            f"'{study.network.name}' has no contingency table (use 'all_branches')"
        )
    n = int(study.inputs.in_period.sum())
    specs = list(cont.hours) if cont is not None else []
    hc = study.scenario.study.hosting_capacity
    if hc is not None and not isinstance(hc.hours, int):
        specs += list(hc.hours)
    late = [h for h in specs if isinstance(h, int) and h >= n]
    if late:
        raise ScenarioError(
            f"field 'study': hour index {late[0]} is outside the study's {n} hours "
            "(hour specs count from the period's first hour)"
        )


def _generator_setpoints(case: StudyCase, inj: Injections, ds: xr.Dataset) -> xr.Dataset:
    """Each unit's dispatched set-point and commitment per hour (what the AC flow was given)."""
    gen, sgen = case.net.gen, case.net.sgen
    bus_no = case.network.buses.bus
    return xr.Dataset(
        {
            "gen_p_mw": (("time", "gen"), inj.gen_p, {"units": "MW",
                         "long_name": "dispatched active power set-point of each generator"}),
            "gen_committed": (("time", "gen"), ~inj.gen_off,
                              {"long_name": "generator committed (in service) in the hour"}),
            "sgen_p_mw": (("time", "sgen"), inj.sgen_p, {"units": "MW",
                          "long_name": "active power set-point of each static generator"}),
        },
        coords={"time": ds.time, "gen": gen.index.to_numpy(),
                "gen_bus": ("gen", bus_no.reindex(gen.bus).to_numpy()),
                "sgen": sgen.index.to_numpy(),
                "sgen_bus": ("sgen", bus_no.reindex(sgen.bus).to_numpy())},
    )  # fmt: skip


def with_layout(ds: xr.Dataset, network: Network) -> xr.Dataset:
    """``ds`` with each bus's position for maps (``bus_x``, ``bus_y``): the case's coordinates
    where it has them, else a layout of its topology (computed once, cached with the network)."""
    xy = network_positions(network)
    out = ds.assign_coords(bus_x=("bus", xy[:, 0]), bus_y=("bus", xy[:, 1]))
    geographic = geographic_positions(network.net) is not None
    out.attrs["bus_layout"] = "case coordinates" if geographic else "schematic layout"
    return out


def without_campus(ts: xr.Dataset) -> xr.Dataset:
    """The no-campus twin of a stress time series as a Dataset of its own (the campus run itself
    when the study has no campus)."""
    names = [n for n in TWIN_VARIABLES if f"{n}_without_campus" in ts]
    if not names:
        return ts
    data = {n: ts[f"{n}_without_campus"] for n in names}
    return xr.Dataset(data, coords=ts.coords, attrs=ts.attrs)


def _hosting_table(results: list[HostingResult]) -> xr.Dataset:
    frame = pd.DataFrame(
        [
            {
                "criterion": h.criterion,
                "hosting_capacity_mw": h.mw,
                "first_violating_mw": np.nan if h.mw_violating is None else h.mw_violating,
                "limited_by": "; ".join(h.limited_by),
                "evaluations": len(h.evaluations),
            }
            for h in results
        ]
    )
    ds = table_dataset(frame, "criterion_row")
    ds.hosting_capacity_mw.attrs["units"] = ds.first_violating_mw.attrs["units"] = "MW"
    return ds


def stress(study: StudyInputs, progress: Progress = no_progress, threads: int = 0) -> xr.DataTree:
    """Grid stress of the study period: hourly AC power flow with and without the campuses,
    branch and voltage violations, N-1 screening and the hosting capacity of the site.

    Groups: ``timeseries`` (time, bus, branch, campus, gen), ``overloads`` and
    ``voltage_violations`` (one row per element in violation), ``contingencies`` and
    ``hosting_capacity`` when the scenario asks for them.
    """
    check(study)
    scenario = study.scenario
    spec = scenario.study
    case, inj = stress_case(study)
    options = SolverOptions(
        max_iter=spec.max_iter,
        tolerance_mva=spec.tolerance_mva,
        threads=threads,
        enforce_q_lims=spec.enforce_q_lims,
    )
    n = len(inj.hour)

    progress("AC power flow", 0, n)
    log.info("stress: AC power flow of %d hours on %s", n, case.network.name)
    log.debug("stress: %s, %d threads", options, options.n_threads())
    ds = solve_timeseries(case, inj, options, progress=lambda k: progress("AC power flow", k, n))
    log.info("stress: %d of %d hours converged", int(ds.converged.sum()), n)
    ds = with_feasibility(ds, case, inj).merge(_generator_setpoints(case, inj, ds))
    ds = with_layout(ds, study.network)
    if case.campus_names:
        progress("Without campuses", 0, n)
        log.info("stress: the no-campus twin, %d hours", n)
        twin_inj = without_campuses(case, inj)
        twin = solve_timeseries(
            case,
            twin_inj,
            options,
            progress=lambda k: progress("Without campuses", k, n),
            variables=("vm_pu", "loading_percent", "p_inj_mw"),
        )
        twin = with_feasibility(twin, case, twin_inj)
        for name in TWIN_VARIABLES:
            if name in twin:
                ds[f"{name}_without_campus"] = twin[name]

    vmin, vmax = voltage_bounds(ds, spec)
    limits = Limits(spec.loading_limit_percent, vmin, vmax, spec.worsening_percent, spec.worsening_vm_pu)  # fmt: skip
    load = ds.load_mw.to_numpy()
    base = without_campus(ds)
    everything = spec.include_infeasible_hours
    overloads = overload_audit(ds, base, spec.loading_limit_percent, spec.worsening_percent, everything)  # fmt: skip
    voltage = voltage_audit(ds, base, vmin, vmax, spec.worsening_vm_pu, everything)
    groups = {
        "timeseries": ds,
        "overloads": table_dataset(overloads, "overload"),
        "voltage_violations": table_dataset(voltage, "violation"),
        "base_case_audit": table_dataset(
            base_case_by_hour(base, spec.loading_limit_percent, vmin, vmax), "hour_row"
        ),
    }

    cont = spec.contingencies
    n1_limits = Limits(
        spec.loading_limit_percent * (cont.rating_factor if cont else 1.0),
        vmin,
        vmax,
        spec.worsening_percent,
        spec.worsening_vm_pu,
    )
    n1_rows = resolve_hours(cont.hours if cont else ["peak"], load)
    outages = outage_set(case, cont.set if cont else "all_branches")
    if cont is not None:
        progress("N-1 screening", 0, len(n1_rows))
        log.info("stress: N-1 screening of %d outages at %d hours", len(outages), len(n1_rows))
        n1_result = run_contingencies(case, inj, n1_rows, outages, options)
        progress("N-1 screening", len(n1_rows), len(n1_rows))
        table = contingency_table(
            n1_result,
            case,
            inj.hour[n1_rows],
            ds.loading_percent.to_numpy()[n1_rows],
            ds.vm_pu.to_numpy()[n1_rows],
            n1_limits,
        )
        groups["contingencies"] = table_dataset(table, "contingency").assign_attrs(
            outages=len(outages)
        )

    hc = spec.hosting_capacity
    if hc is not None:
        campus = hosting_campus(study)
        rows = resolve_hours(hc.hours, load)
        left_out = np.zeros(0, int)
        if not scenario.dispatch.allow_unserved_energy:
            rows, left_out = feasible_rows(case, inj, campus, rows, hc.max_mw)
        steps = 2 if hc.n1 else 1
        progress("Hosting capacity", 0, steps)
        log.info("stress: hosting capacity over %d hours (N-1: %s)", len(rows), bool(hc.n1))
        if len(rows):
            n0 = hosting_capacity(
                n0_violation_check(case, inj, campus, rows, limits, options, hc.max_mw),
                "N-0",
                hc.max_mw,
                hc.tolerance_percent,
            )
        else:  # no hour the fleet can serve even without the campus: nothing to search
            n0 = HostingResult("N-0", float("nan"), None, [])
        hosting = [n0]
        progress("Hosting capacity", 1, steps)
        if hc.n1 and len(rows):
            # the N-1 capacity is at most the N-0 one: search below it, screening there
            top = max(n0.mw, 1.0)
            n1_check = n1_violation_check(
                case, inj, campus, n1_rows, outages, n1_limits, options, top_mw=top
            )
            hosting.append(hosting_capacity(n1_check, "N-1", top, hc.tolerance_percent))
            progress("Hosting capacity", 1, steps)
        for result in hosting:
            log.info("stress: %s hosting capacity %.0f MW", result.criterion, result.mw)
        groups["hosting_capacity"] = _hosting_table(hosting).assign_attrs(
            campus=case.campus_names[campus],
            site_bus=int(case.campus_buses[campus]),
            hours_searched=ds.hour.values[rows].astype(int),
            hours_left_out=ds.hour.values[left_out].astype(int),
        )
    root = xr.Dataset(
        attrs={
            "partial": "\n".join(partial_notes(groups, scenario.dispatch.allow_unserved_energy)),
            "network": case.network.name,
            "loading_limit_percent": spec.loading_limit_percent,
            "worsening_percent": spec.worsening_percent,
            "dispatch_rule": case.dispatch_rule,
            "loss_factor": case.loss_factor,
            "worst_branches": spec.worst_branches,
            "include_infeasible_hours": int(spec.include_infeasible_hours),
            "allow_unserved_energy": int(scenario.dispatch.allow_unserved_energy),
        }
    )
    return xr.DataTree.from_dict({"/": root, **{f"/{k}": v for k, v in groups.items()}})


def partial_notes(groups: dict[str, xr.Dataset], allow_unserved_energy: bool) -> list[str]:
    """What of the study the stress run could not solve: hours with infeasible dispatch (unless
    the scenario allows unserved energy), non-converged hours, outages that could not be
    screened (empty when everything was solved)."""
    notes = []
    ts = groups["timeseries"]
    infeasible = infeasible_hours(ts)
    if len(infeasible) and not allow_unserved_energy:
        notes.append(
            f"{len(infeasible)} hour(s) with infeasible dispatch, demand above the committed "
            f"units or the slack beyond them: {hours_text(infeasible)} (dispatch_feasible)"
        )
    bad = int((~ts.converged.values.astype(bool)).sum())
    if bad:
        notes.append(
            f"{bad} of {ts.sizes['time']} hours of the AC power flow did not converge "
            "(nonconverged_hours.csv); the statistics use the other hours"
        )
    hosting = groups.get("hosting_capacity")
    left_out = np.atleast_1d(hosting.attrs["hours_left_out"]) if hosting is not None else []
    if len(left_out):
        notes.append(
            f"the hosting-capacity search left out {len(left_out)} hour(s) whose committed units "
            f"cannot serve demand even without the campus: "
            f"{hours_text(left_out)} (hosting_capacity attribute hours_left_out)"
        )
    table = groups.get("contingencies")
    if table is not None and "converged" in table:
        failed = ~table.converged.values.astype(bool)
        whole = failed & (table.outage.values.astype(str) == "base case")
        if whole.any():
            notes.append(
                f"N-1 screening at hour(s) {hours_text(table.hour.values[whole])} could not "
                f"start: the hour's own power flow did not converge, so none of its "
                f"{table.attrs['outages']} outages was screened (contingencies.csv, outage = "
                "base case)"
            )
        if (failed & ~whole).any():
            notes.append(
                f"{int((failed & ~whole).sum())} outage(s) could not be screened: the "
                "post-contingency power flow did not converge (contingencies.csv, converged = "
                "false)"
            )
    return notes


# ---------------------------------------------------------------------------------------------
# Statistics over a stored result


def campus_price(ts: xr.Dataset, lmp: xr.DataArray) -> float:
    """Campus-energy-weighted mean of ``lmp`` (time x bus, $/MWh) at the campus buses: what the
    campuses' energy costs at those prices."""
    at_campus = lmp.sel(bus=ts.campus_bus.values)  # time x campus
    p = ts.campus_p_mw.values
    return float((at_campus.values * p).sum() / max(p.sum(), 1e-9))


def summary_table(tree: xr.DataTree) -> pd.DataFrame:
    """One row per metric of a stress result: what a policy reader asks first. Limit statistics
    count only the hours whose power flow converged and whose dispatch was feasible (unless the
    study counts infeasible hours too); the hours left out are counted."""
    ts = tree["timeseries"].to_dataset()
    base = without_campus(ts)
    has_twin = "loading_percent_without_campus" in ts
    include = bool(tree.attrs.get("include_infeasible_hours", 0))
    counted, counted_ref = _counted(ts, include), _counted(base, include)
    overloads = dataset_table(tree["overloads"].to_dataset())
    voltage = dataset_table(tree["voltage_violations"].to_dataset())
    audit = dataset_table(tree["base_case_audit"].to_dataset())
    campus_mw = float(ts.campus_p_mw.sum("campus").max()) if ts.sizes["campus"] else 0.0
    feasible = ts.dispatch_feasible.to_numpy().astype(bool)
    rows = [
        ("hours studied", ts.sizes["time"], "h"),
        ("hours counted in the statistics", int(counted.sum()), "h"),
        ("campus demand (peak)", campus_mw, "MW"),
        ("system peak demand", float(ts.load_mw.max()), "MW"),
        ("hours not converged", int((~ts.converged.values.astype(bool)).sum()), "h"),
        ("hours with infeasible dispatch", int((~feasible).sum()), "h"),
        ("unserved demand (sum over hours)", float(ts.dispatch_shortfall_mw.sum()), "MWh"),
        ("base case: hours with an N-0 violation", int((~audit.secure.astype(bool)).sum()), "h"),
        ("base case: branches overloaded", _count(overloads, "hours_over_without_campus"), ""),
        ("base case: buses outside voltage limits",
         _count(voltage, "hours_outside_without_campus"), ""),
        ("base case: worst branch loading", _worst(base, "loading_percent", counted_ref, max), "%"),
        ("base case: lowest bus voltage", _worst(base, "vm_pu", counted_ref, min), "pu"),
    ]  # fmt: skip
    if has_twin:
        new = charged_to_campus(overloads)
        rows += [
            ("overloads caused by the campus (new)", int((new.status == "new").sum()), ""),
            ("overloads worsened by the campus", int((new.status == "worsened").sum()), ""),
            ("voltage violations caused or worsened by the campus",
             len(charged_to_campus(voltage)), ""),
            ("worst branch loading with campuses", _worst(ts, "loading_percent", counted, max), "%"),
            ("lowest bus voltage with campuses", _worst(ts, "vm_pu", counted, min), "pu"),
        ]  # fmt: skip
    rows.append(("generation cost", float(ts.dispatch_cost_usd.values[counted].sum()) / 1e6, "M$"))
    if has_twin:
        cost = float(ts.dispatch_cost_usd_without_campus.values[counted_ref].sum()) / 1e6
        rows.append(("generation cost without campuses", cost, "M$"))
    if "lmp_usd_per_mwh" in ts and ts.sizes["campus"]:
        rows.append(("price at campus buses", campus_price(ts, ts.lmp_usd_per_mwh), "$/MWh"))
        rows.append(
            (
                "price at campus buses without campuses",
                campus_price(ts, ts.lmp_usd_per_mwh_without_campus),
                "$/MWh",
            )
        )
    if "contingencies" in tree:
        c = tree["contingencies"].to_dataset()
        done = c.converged.to_numpy().astype(bool) if "converged" in c else np.zeros(0, bool)
        rows.append(("N-1 outages with a violation", int(done.sum()), ""))
        rows.append(("N-1 outages not converged", int((~done).sum()), ""))
    if "hosting_capacity" in tree:
        h = tree["hosting_capacity"].to_dataset()
        limits = h.limited_by.values if "limited_by" in h else [""] * h.sizes["criterion_row"]
        for crit, mw, by in zip(
            h.criterion.values, h.hosting_capacity_mw.values, limits, strict=True
        ):
            rows.append((f"hosting capacity {crit}", float(mw), "MW"))
            top = "the search's top size" if np.isfinite(mw) else "no hour searched"
            rows.append((f"hosting capacity {crit} limited by", str(by) or top, ""))
            rows.append((f"verdict {crit}", hosting_sentence(float(mw), campus_mw, str(crit)), ""))
    return pd.DataFrame(rows, columns=["metric", "value", "unit"])


def _counted(ds: xr.Dataset, include_infeasible: bool) -> np.ndarray:
    """Hours that count in limit statistics: converged, and feasible unless asked otherwise."""
    feasible = ds.dispatch_feasible.to_numpy().astype(bool) | include_infeasible
    return ds.converged.to_numpy().astype(bool) & feasible


def _count(table: pd.DataFrame, column: str) -> int:
    return int((table[column] > 0).sum()) if len(table) else 0


def _worst(ds: xr.Dataset, name: str, hours, pick) -> float:
    """Largest (``pick=max``) or smallest live value of ``ds[name]`` over the counted hours."""
    values = ds[name].to_numpy()[hours]
    if name == "vm_pu":
        values = values[values > 0]
    values = values[np.isfinite(values)]
    return float(pick(values)) if values.size else float("nan")

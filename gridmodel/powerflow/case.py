"""A study case: the network with its campuses attached and every hour's injections.

Separates *what changes each hour* (``Injections``: loads, set-points, commitment) from the
network itself (``StudyCase.net``), as pandapower's time series separates controllers from the
grid. Both the batched solver and the pandapower reference path read the same ``StudyCase``.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.inputs import StudyInputs
from gridmodel.loads.campus import reactive_mvar
from gridmodel.networks import Network
from gridmodel.powerflow.batch import measured_loss_factor
from gridmodel.powerflow.dispatch import (
    DispatchResult,
    DispatchRule,
    Fleet,
)
from gridmodel.powerflow.injections import Injections, StudyCase
from gridmodel.schema import ScenarioError

#: Demand the committed units may leave unserved (or must-run output above demand) before an
#: hour's dispatch counts as infeasible (MW): well above solver round-off, well below a unit.
SHORTFALL_TOL_MW = 1.0

# ---------------------------------------------------------------------------------------------
# Background load


def background_loads(network: Network, area_mw: pd.DataFrame):
    """Per-load hourly P and Q (MW, MVAr) of the network's own loads for the hours (rows) of
    ``area_mw`` (MW per area name).

    MATPOWER ``CT_TAREALOAD``/``CT_LOAD_ALL_P`` semantics: the real power of every load of an area
    is scaled by (area target / area base), reactive power stays at its base value.
    """
    net = network.net
    load_area = network.buses.area.loc[net.load.bus].to_numpy()
    p0 = net.load.p_mw.to_numpy(dtype=float) * net.load.in_service.to_numpy()
    base = pd.Series(p0).groupby(load_area).sum()
    missing = sorted(set(base.index) - set(area_mw.columns))
    if missing:
        raise ValueError(f"network '{network.name}': no hourly loads for area(s) {missing}")
    scale = area_mw[base.index].to_numpy() / np.where(base.to_numpy() != 0, base.to_numpy(), 1.0)
    col = pd.Index(base.index).get_indexer(load_area)
    load_p = p0[None, :] * scale[:, col]
    load_q = np.repeat(
        (net.load.q_mvar.to_numpy(float) * net.load.in_service.to_numpy())[None, :], len(area_mw), 0
    )
    return load_p, load_q


# ---------------------------------------------------------------------------------------------
# Assembly


@dataclass(frozen=True)
class StudyLoads:
    """The study's network with its campuses attached and the hourly loads of the period.

    ``load_p``/``load_q`` (hours x ``net.load`` rows, MW/MVAr) cover every load, campus loads
    last at ``campus_cols``; ``hours`` are hours of the load year.
    """

    net: object
    hours: np.ndarray
    load_p: np.ndarray
    load_q: np.ndarray
    campus_cols: np.ndarray
    campus_buses: list[int]
    campus_power_factor: np.ndarray


def study_loads(study: StudyInputs) -> StudyLoads:
    """Attach the study's campuses to a copy of its network; loads of every period hour."""
    import pandapower as pp

    network, scenario = study.network, study.scenario
    period = study.period_inputs()
    load_p, load_q = background_loads(network, period.area_load_mw.to_pandas())
    campus_p = period.campus_p_mw.to_numpy()
    if np.isnan(campus_p).any():
        k = int(np.flatnonzero(np.isnan(campus_p).any(axis=0))[0])
        raise ScenarioError(
            f"field 'campuses.{k}.profile': the profile has no value for some study hours"
        )
    pf = period.campus_power_factor.to_numpy()
    net = copy.deepcopy(network.net)
    first_campus = len(net.load)
    buses = [int(b) for b in period.campus_bus.to_numpy()]
    for campus, bus in zip(scenario.campuses, buses, strict=True):
        pp.create_load(net, bus=network.bus_index(bus), p_mw=0.0, q_mvar=0.0, name=campus.name)
    if scenario.campuses:
        load_p = np.hstack([load_p, campus_p])
        load_q = np.hstack([load_q, reactive_mvar(campus_p, pf[None, :])])
    return StudyLoads(
        net,
        period.hour.to_numpy(),
        load_p,
        load_q,
        np.arange(first_campus, len(net.load)),
        buses,
        pf,
    )


def study_case(
    study: StudyInputs, loads: StudyLoads, dispatch: DispatchRule | None, loss_factor: float
) -> StudyCase:
    """The case of ``loads`` (campuses attached; units that follow a resource limited to their
    hourly availability; slack weights set on the units that carry the slack)."""
    availability = unit_availability(study)
    fleet = availability_fleet(Fleet.from_net(loads.net), availability)
    loads.net.gen["slack_weight"] = fleet.slack_weight
    return StudyCase(
        network=study.network,
        net=loads.net,
        fleet=fleet,
        dispatch=dispatch,
        campus_names=[c.name for c in study.scenario.campuses],
        campus_buses=loads.campus_buses,
        campus_load_index=loads.campus_cols,
        campus_power_factor=loads.campus_power_factor,
        loss_factor=loss_factor,
        dispatch_rule=resolved_rule(study.network, study.scenario),
        load_year=int(study.inputs.attrs["load_year"]),
        availability=availability,
    )


def unit_availability(study: StudyInputs) -> np.ndarray | None:
    """Hourly availability (hours of the load year x units, per unit of Pmax) of the study: the
    bundled table and the user's file on top (see :mod:`gridmodel.networks.renewables`)."""
    from gridmodel.networks.renewables import (
        bundled_availability_path,
        read_availability,
        unit_availability,
    )

    network, spec = study.network, study.scenario.dispatch
    n_year = len(study.inputs.time)
    tables, field = [], "dispatch.availability"
    bundled = bundled_availability_path(network.name)
    try:
        if spec.availability == "bundled" and bundled.exists():
            tables.append(read_availability(bundled, n_year))
        if spec.availability_csv is not None:
            field = "dispatch.availability_csv"
            tables.append(read_availability(spec.availability_csv, n_year))
        if not tables:
            return None
        return unit_availability(network.units, tables, n_year)
    except ValueError as err:
        raise ScenarioError(f"field '{field}': {err}") from None


def variable_units(availability: np.ndarray) -> np.ndarray:
    """Units whose availability changes or drops below 1 in some hour (wind, solar, hydro)."""
    return availability.min(axis=0) < 1.0


def availability_fleet(fleet: Fleet, availability: np.ndarray | None) -> Fleet:
    """The fleet with Pmin 0 for units that follow a resource - they can be curtailed to zero
    (the case's Pmin of wind and solar units is the output of its one snapshot) - and without
    them in the distributed slack, which could otherwise push them above what is available."""
    if availability is None:
        return fleet
    variable = variable_units(availability)
    p_min = np.where(variable, 0.0, fleet.p_min_mw)
    # at Pmin 0 a voltage-controlling unit stays on at no cost (see Fleet.from_net)
    must_run = fleet.must_run | (variable & fleet.is_gen)
    return dataclasses.replace(
        fleet, p_min_mw=p_min, must_run=must_run, carries_slack=fleet.is_gen & ~variable
    )


#: Largest network (buses) the ``auto`` dispatch rule gives the economic dispatch: its dense
#: PTDF takes 8·buses·branches bytes (0.05 GB for texas2000, about 1 GB for western10k, twice
#: that while it is built).
ECONOMIC_MAX_BUSES = 5000


def resolved_rule(network: Network, scenario) -> str:
    """The scenario's dispatch rule with ``auto`` resolved by the network's size."""
    rule = scenario.dispatch.rule
    if rule != "auto":
        return rule
    return "economic" if len(network.buses) <= ECONOMIC_MAX_BUSES else "participation"


def build_case(
    study: StudyInputs, make_rule: Callable[[Network, object], DispatchRule]
) -> tuple[StudyCase, Injections]:
    """The study's case and every period hour's injections, committed and dispatched by the
    rule ``make_rule(network, net)`` returns."""
    network, scenario = study.network, study.scenario
    loads = study_loads(study)
    loss_factor = scenario.dispatch.loss_factor
    if loss_factor is None:
        loss_factor = measured_loss_factor(network)
        if loss_factor is None:
            raise ScenarioError(
                "field 'dispatch.loss_factor': the network's own base case does not converge, "
                "so losses cannot be measured; give a loss factor (e.g. 0.02)"
            )
    case = study_case(study, loads, make_rule(network, loads.net), loss_factor)
    return case, dispatch_injections(case, loads.hours, loads.load_p, loads.load_q)


def dispatch_injections(
    case: StudyCase,
    hours: np.ndarray,
    load_p: np.ndarray,
    load_q: np.ndarray,
    commit_load_mw: np.ndarray | None = None,
) -> Injections:
    """Commit and dispatch the fleet against the loads (plus the loss estimate) of every hour;
    commitment follows ``commit_load_mw`` (MW per hour, before losses) when given."""
    demand = load_p.sum(axis=1) * (1.0 + case.loss_factor)
    commit = None if commit_load_mw is None else commit_load_mw * (1.0 + case.loss_factor)
    p_max = None if case.availability is None else case.fleet.p_max_mw * case.availability[hours]
    dispatch: DispatchResult = case.dispatch(case.fleet, demand, commit, load_p, p_max)
    n_gen = case.fleet.n_gen
    n_t = len(hours)
    return Injections(
        hour=hours,
        load_p=load_p,
        load_q=load_q,
        gen_p=dispatch.p_mw[:, :n_gen],
        sgen_p=dispatch.p_mw[:, n_gen:],
        gen_off=~dispatch.committed[:, :n_gen],
        shortfall_mw=dispatch.shortfall_mw,
        surplus_mw=dispatch.surplus_mw,
        cost_usd=dispatch.cost_usd,
        lmp=(
            np.zeros((n_t, 0), np.float32)
            if dispatch.lmp_usd_per_mwh is None
            else dispatch.lmp_usd_per_mwh
        ),
        overload_mw=(
            np.full(n_t, np.nan) if dispatch.overload_mw is None else dispatch.overload_mw
        ),
        dispatch_feasible=(dispatch.shortfall_mw <= SHORTFALL_TOL_MW)
        & (dispatch.surplus_mw <= SHORTFALL_TOL_MW),
    )


def with_campus_mw(
    case: StudyCase,
    inj: Injections,
    campus: int,
    p_mw: np.ndarray,
    commit_load_mw: np.ndarray | None = None,
) -> Injections:
    """Injections re-dispatched after setting campus ``campus`` (position) to ``p_mw`` per hour
    (commitment against ``commit_load_mw`` when given, see :func:`dispatch_injections`)."""
    load_p, load_q = inj.load_p.copy(), inj.load_q.copy()
    col = case.campus_load_index[campus]
    load_p[:, col] = p_mw
    load_q[:, col] = reactive_mvar(p_mw, case.campus_power_factor[campus])
    return dispatch_injections(case, inj.hour, load_p, load_q, commit_load_mw)


def without_campuses(case: StudyCase, inj: Injections) -> Injections:
    """The same hours with every campus at 0 MW, re-dispatched: the no-campus twin."""
    load_p, load_q = inj.load_p.copy(), inj.load_q.copy()
    load_p[:, case.campus_load_index] = 0.0
    load_q[:, case.campus_load_index] = 0.0
    return dispatch_injections(case, inj.hour, load_p, load_q)

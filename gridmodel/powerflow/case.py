"""A study case: the network with its campuses attached and every hour's injections.

Separates *what changes each hour* (``Injections``: loads, set-points, commitment) from the
network itself (``StudyCase.net``), as pandapower's time series separates controllers from the
grid. Both the batched solver and the pandapower reference path read the same ``StudyCase``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.networks import Network
from gridmodel.powerflow.dispatch import (
    DispatchResult,
    DispatchRule,
    Fleet,
    participation_dispatch,
)
from gridmodel.schema import (
    Campus,
    CsvProfile,
    LoadGrowth,
    ModelProfile,
    Scenario,
    ScenarioError,
)


@dataclass(frozen=True)
class Injections:
    """Hourly injections (MW, MVAr), rows = hours of the study.

    ``load_p``/``load_q`` cover every ``net.load`` row (campus loads last); ``gen_p``/``sgen_p``
    are set-points; ``gen_off`` marks uncommitted generators; ``cost_usd`` is the hour's
    generation cost. ``lmp`` (hours x buses, $/MWh) and ``overload_mw`` come from a
    network-aware dispatch rule and have no columns / NaN otherwise.
    """

    hour: np.ndarray
    load_p: np.ndarray
    load_q: np.ndarray
    gen_p: np.ndarray
    sgen_p: np.ndarray
    gen_off: np.ndarray
    shortfall_mw: np.ndarray
    surplus_mw: np.ndarray
    cost_usd: np.ndarray
    lmp: np.ndarray
    overload_mw: np.ndarray

    def take(self, rows) -> Injections:
        """The same injections restricted to ``rows`` (positions, not hours)."""
        rows = np.asarray(rows)
        return Injections(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


@dataclass
class StudyCase:
    """Network with campus loads added (slack weights set), the fleet and the campus columns."""

    network: Network
    net: object
    fleet: Fleet
    campus_names: list[str]
    campus_buses: list[int]
    campus_load_index: np.ndarray  # positions of campus loads in net.load
    campus_power_factor: np.ndarray
    loss_factor: float
    dispatch_rule: str
    dispatch: DispatchRule


# ---------------------------------------------------------------------------------------------
# Background load


def study_hours(network: Network, scenario: Scenario) -> np.ndarray:
    """Hours of the load year covered by the scenario's period."""
    n_year = len(network.region_loads) if network.region_loads is not None else 8760
    start = scenario.period.start_hour
    if start >= n_year:
        raise ScenarioError(
            f"field 'period.start_hour': value {start} is beyond the {n_year}-hour load year "
            f"of network '{network.name}'"
        )
    hours = scenario.period.hours if scenario.period.hours is not None else n_year - start
    if start + hours > n_year:
        raise ScenarioError(
            f"field 'period.hours': value {hours} from hour {start} runs past the {n_year}-hour "
            f"load year of network '{network.name}'"
        )
    return np.arange(start, start + hours)


def _region_totals(network: Network, growth: LoadGrowth) -> pd.DataFrame:
    """Hourly MW per area after growth (whole load year)."""
    base = network.net.load.groupby(
        network.buses.area.loc[network.net.load.bus].to_numpy()
    ).p_mw.sum()
    table = (
        network.region_loads.copy()
        if network.region_loads is not None
        else pd.DataFrame([base.to_dict()] * 8760)
    )
    unknown = sorted(set(growth.area_factors) - set(table.columns))
    if unknown:
        raise ScenarioError(
            f"field 'load_growth.area_factors': area(s) {unknown} not in network "
            f"'{network.name}' (areas: {', '.join(map(str, table.columns))})"
        )
    if growth.kind == "factor":
        table = table * growth.factor
    elif growth.kind == "scale_to_peak":
        table = table * (growth.peak_mw / table.sum(axis=1).max())
    for area, factor in growth.area_factors.items():
        table[area] = table[area] * factor
    return table


def background_loads(network: Network, scenario: Scenario, hours: np.ndarray):
    """Per-load hourly P and Q (MW, MVAr) of the network's own loads.

    MATPOWER ``CT_TAREALOAD``/``CT_LOAD_ALL_P`` semantics: the real power of every load of an area
    is scaled by (area target / area base), reactive power stays at its base value.
    """
    net = network.net
    load_area = network.buses.area.loc[net.load.bus].to_numpy()
    p0 = net.load.p_mw.to_numpy(dtype=float) * net.load.in_service.to_numpy()
    base = pd.Series(p0).groupby(load_area).sum()
    totals = _region_totals(network, scenario.load_growth).iloc[hours]
    missing = sorted(set(base.index) - set(totals.columns))
    if missing:
        raise ValueError(f"network '{network.name}': no hourly loads for area(s) {missing}")
    scale = totals[base.index].to_numpy() / np.where(base.to_numpy() != 0, base.to_numpy(), 1.0)
    col = pd.Index(base.index).get_indexer(load_area)
    load_p = p0[None, :] * scale[:, col]
    load_q = np.repeat(
        (net.load.q_mvar.to_numpy(float) * net.load.in_service.to_numpy())[None, :], len(hours), 0
    )
    return load_p, load_q


# ---------------------------------------------------------------------------------------------
# Campuses


def campus_bus(network: Network, campus: Campus, field: str) -> int:
    """Case bus number of a campus; ScenarioError naming the field when it is not in the network."""
    if campus.site is not None:
        try:
            return network.descriptor.site(campus.site).bus
        except KeyError as err:
            raise ScenarioError(f"field '{field}.site': {err.args[0]}") from None
    try:
        network.bus_index(campus.bus)
    except KeyError:
        raise ScenarioError(
            f"field '{field}.bus': bus {campus.bus} is not in network '{network.name}'"
        ) from None
    return int(campus.bus)


def system_load_mw(network: Network, scenario: Scenario) -> np.ndarray:
    """Hourly system load (MW, network's own loads after growth) over the whole load year."""
    return _region_totals(network, scenario.load_growth).sum(axis=1).to_numpy(float)


def campus_load_model(
    network: Network, scenario: Scenario, k: int, model: ModelProfile | None = None
):
    """The load model of campus ``k`` (or ``model``, a variant of its profile with the same
    random draws) over the network's whole load year.

    Drawing the whole year whatever the study period keeps a study hour's campus load, and the
    annual curtailment budget, the same in every study that contains that hour.
    """
    from gridmodel.loads.profile import build_campus_load, read_temperature

    model = scenario.campuses[k].profile if model is None else model
    field = f"campuses.{k}.profile"
    system = system_load_mw(network, scenario)
    try:
        temperature = (
            read_temperature(model.facility.temperature_csv)
            if model.facility.temperature_csv is not None
            else None
        )
        return build_campus_load(
            model,
            len(system),
            seed=scenario.seed * 1000 + k,
            year=network.load_year,
            system_load_mw=system,
            temperature_c=temperature,
        )
    except ValueError as err:
        raise ScenarioError(f"field '{field}': {err}") from None


def campus_profile_mw(
    campus: Campus, n_hours: int, field: str, model_hourly: np.ndarray | None = None
) -> np.ndarray:
    """Hourly campus demand (MW) for the study's ``n_hours``."""
    profile = campus.profile
    if isinstance(profile, ModelProfile):
        return model_hourly
    if not isinstance(profile, CsvProfile):
        return np.full(n_hours, campus.mw)
    if not profile.path.exists():
        raise ScenarioError(f"field '{field}.profile.path': file {profile.path} not found")
    frame = pd.read_csv(profile.path)
    if profile.column not in frame.columns:
        raise ScenarioError(
            f"field '{field}.profile.column': value '{profile.column}' is not a column of "
            f"{profile.path} (columns: {', '.join(frame.columns)})"
        )
    values = frame[profile.column].to_numpy(dtype=float)
    if len(values) < n_hours:
        raise ScenarioError(
            f"field '{field}.profile.path': {profile.path} has {len(values)} rows, the study "
            f"needs {n_hours} hours"
        )
    values = values[:n_hours]
    if np.any(~np.isfinite(values)) or np.any(values < 0):
        raise ScenarioError(
            f"field '{field}.profile.path': {profile.path} has negative or missing values"
        )
    return values * campus.mw if profile.unit == "pu" else values


def reactive_mvar(p_mw: np.ndarray, power_factor: float) -> np.ndarray:
    """Q = P·tan(arccos(pf)), lagging."""
    return p_mw * np.tan(np.arccos(power_factor))


# ---------------------------------------------------------------------------------------------
# Assembly


def measured_loss_factor(network: Network) -> float:
    """Losses / demand of the case's own base power flow (Newton-Raphson, single slack)."""
    from gridmodel.powerflow.batch import SolverOptions
    from gridmodel.powerflow.newton import NewtonModel, solve_base_case

    model = NewtonModel.from_net(network, network.net)
    v = solve_base_case(model, SolverOptions(threads=1))
    if v is None:
        raise ScenarioError(
            "field 'dispatch.loss_factor': the network's own base case does not converge, "
            "so losses cannot be measured; give a loss factor (e.g. 0.02)"
        )
    losses = (v * np.conj(model.ybus @ v)).real.sum() * model.base_mva
    load = model.load_p_base @ model.inj_load.sum(axis=0).A1
    return float(losses / load)


def build_study(network: Network, scenario: Scenario) -> tuple[StudyCase, Injections]:
    """Attach the scenario's campuses to a copy of the network and build every hour's injections."""
    import pandapower as pp

    hours = study_hours(network, scenario)
    net = copy.deepcopy(network.net)
    buses, profiles_p, profiles_q = [], [], []
    for k, campus in enumerate(scenario.campuses):
        field = f"campuses.{k}"
        bus = campus_bus(network, campus, field)
        model_hourly = None
        if isinstance(campus.profile, ModelProfile):
            load = campus_load_model(network, scenario, k)
            model_hourly = load.profile(hours[0] * 3600.0, len(hours) * 3600.0, 3600.0).p_mw.values
        p = campus_profile_mw(campus, len(hours), field, model_hourly)
        buses.append(bus)
        profiles_p.append(p)
        profiles_q.append(reactive_mvar(p, campus.power_factor))
    load_p, load_q = background_loads(network, scenario, hours)
    loss_factor = (
        scenario.dispatch.loss_factor
        if scenario.dispatch.loss_factor is not None
        else measured_loss_factor(network)
    )
    first_campus = len(net.load)
    for campus, bus in zip(scenario.campuses, buses, strict=True):
        pp.create_load(net, bus=network.bus_index(bus), p_mw=0.0, q_mvar=0.0, name=campus.name)
    campus_cols = np.arange(first_campus, len(net.load))
    if scenario.campuses:
        load_p = np.hstack([load_p, np.column_stack(profiles_p)])
        load_q = np.hstack([load_q, np.column_stack(profiles_q)])

    case = StudyCase(
        network=network,
        net=net,
        fleet=Fleet.from_net(net),
        dispatch=dispatch_rule(network, net, scenario),
        campus_names=[c.name for c in scenario.campuses],
        campus_buses=buses,
        campus_load_index=campus_cols,
        campus_power_factor=np.array([c.power_factor for c in scenario.campuses]),
        loss_factor=loss_factor,
        dispatch_rule=scenario.dispatch.rule,
    )
    case.net.gen["slack_weight"] = case.fleet.slack_weight
    return case, dispatch_injections(case, hours, load_p, load_q)


def dispatch_rule(network: Network, net, scenario: Scenario) -> DispatchRule:
    """The scenario's dispatch rule for ``net`` (the study copy, campus loads attached)."""
    spec = scenario.dispatch
    if spec.rule == "participation":
        return participation_dispatch
    from gridmodel.optimize.economic_dispatch import DispatchOptions, economic_dispatch_rule

    return economic_dispatch_rule(
        network,
        net,
        DispatchOptions(
            voll_usd_per_mwh=spec.voll_usd_per_mwh,
            overload_usd_per_mwh=spec.overload_usd_per_mwh,
            limit_fraction=spec.limit_fraction,
        ),
    )


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
    dispatch: DispatchResult = case.dispatch(case.fleet, demand, commit, load_p)
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

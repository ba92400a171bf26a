"""The nodal part of the headroom stage: firm and flexible hosting capacity at each site, the
curtailment schedules that achieve them, and the siting frontier (method: :mod:`.nodal`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from gridmodel.headroom.flexible import FlexibilityLimits, flexible_capacity
from gridmodel.headroom.nodal import (
    SCREEN_HOURS,
    HourlyCapacity,
    SiteResult,
    hourly_capacity,
    site_capacities,
    with_site_loads,
)
from gridmodel.inputs import StudyInputs, hour_start
from gridmodel.networks.layout import map_layout
from gridmodel.powerflow.batch import SolverOptions
from gridmodel.powerflow.injections import Injections, StudyCase
from gridmodel.powerflow.newton import NewtonModel
from gridmodel.progress import Progress, no_progress
from gridmodel.schema import Flexibility, ModelProfile, NodalHosting, ScenarioError
from gridmodel.stress.contingency import outage_set
from gridmodel.stress.feasibility import hours_text
from gridmodel.stress.hosting import HourlyN0, HourlyN1, Limits, feasible_rows
from gridmodel.stress.run import dispatch_rule, stress_case
from gridmodel.stress.violations import resolve_hours, voltage_bounds

FIELD = "headroom.nodal"


@dataclass(frozen=True)
class Site:
    name: str
    bus: int
    kv: float
    area: str


def _spec(study: StudyInputs) -> NodalHosting:
    spec = study.scenario.headroom.nodal if study.scenario.headroom else None
    if spec is None:
        raise ScenarioError(f"field '{FIELD}': the scenario has no `headroom.nodal` section")
    return spec


def hosted_campus(study: StudyInputs) -> int:
    """Position of the campus whose shape and flexibility are hosted at the sites."""
    spec = _spec(study)
    names = [c.name for c in study.scenario.campuses]
    if not names:
        raise ScenarioError(f"field '{FIELD}': needs a campus in 'campuses' (its shape is hosted)")
    if spec.campus is None:
        return 0
    if spec.campus not in names:
        raise ScenarioError(
            f"field '{FIELD}.campus': value '{spec.campus}' is not a campus of the scenario "
            f"(campuses: {', '.join(names)})"
        )
    return names.index(spec.campus)


def flexibility_limits(study: StudyInputs, k: int) -> tuple[Flexibility, FlexibilityLimits]:
    """The campus's own flexibility (a `model` profile's), else the schema's defaults."""
    profile = study.scenario.campuses[k].profile
    own = isinstance(profile, ModelProfile) and profile.flexibility is not None
    flex = profile.flexibility if own else Flexibility()
    try:
        return flex, FlexibilityLimits.of(flex)
    except ValueError as err:
        raise ScenarioError(f"field 'campuses.{k}.profile.flexibility.ramp_s': {err}") from None


def resolve_sites(study: StudyInputs) -> list[Site]:
    """The sites of ``headroom.nodal``: names and buses, then the buses of its kV level."""
    spec, network = _spec(study), study.network
    buses = network.buses
    descriptor = network.descriptor

    def at_bus(name: str, bus: int) -> Site:
        row = buses.loc[network.bus_index(bus)]
        return Site(name, int(bus), float(row.vn_kv), str(row.area))

    if spec.sites == "campus":
        k = hosted_campus(study)
        bus = int(study.inputs.campus_bus.to_numpy()[k])
        campus = study.scenario.campuses[k]
        sites = [at_bus(campus.site or f"bus-{bus}", bus)]
    else:
        names = [s.name for s in descriptor.sites] if spec.sites == "candidates" else spec.sites
        if not names:
            raise ScenarioError(
                f"field '{FIELD}.sites': network '{network.name}' has no candidate sites"
            )
        sites = []
        for name in names:
            try:
                sites.append(at_bus(name, descriptor.site(name).bus))
            except KeyError as err:
                raise ScenarioError(f"field '{FIELD}.sites': {err.args[0]}") from None
    if spec.kv is not None:
        in_service = network.net.bus.in_service.astype(bool)
        level = buses[buses.vn_kv == spec.kv]
        live = level[[bool(in_service.loc[network.bus_index(int(b))]) for b in level.bus]]
        if not len(live):
            levels = ", ".join(f"{v:g}" for v in sorted(buses.vn_kv.unique()))
            raise ScenarioError(
                f"field '{FIELD}.kv': value {spec.kv:g} kV has no bus in network "
                f"'{network.name}' (levels: {levels} kV)"
            )
        taken = {s.bus for s in sites}
        sites += [at_bus(f"bus-{b}", int(b)) for b in live.bus if int(b) not in taken]
    return sites


def _rows(spec, load_mw: np.ndarray, field: str) -> np.ndarray:
    if spec is None:
        return np.arange(len(load_mw))
    if isinstance(spec, int) and spec == 0:
        return np.zeros(0, int)
    try:
        return resolve_hours(spec, load_mw)
    except ValueError as err:
        raise ScenarioError(
            f"field '{field}': {err} (hour specs count from the period's first hour)"
        ) from None


def check(study: StudyInputs) -> None:
    """Refuse, before any solve, a nodal section that names what is not there."""
    spec = _spec(study)
    k = hosted_campus(study)
    flexibility_limits(study, k)
    resolve_sites(study)
    load = study.period_inputs().area_load_mw.sum("area").to_numpy()
    _rows(spec.hours, load, f"{FIELD}.hours")
    _rows(spec.n1_hours, load, f"{FIELD}.n1_hours")
    cont = study.scenario.study.contingencies
    if spec.n1_hours and cont is not None and cont.set == "case_table":
        if study.network.contingencies is None:
            raise ScenarioError(
                "field 'study.contingencies.set': value 'case_table', but network "
                f"'{study.network.name}' has no contingency table (use 'all_branches')"
            )


def _combined(n0: HourlyCapacity, n1: HourlyCapacity, at: np.ndarray) -> HourlyCapacity:
    """N-0 capacities with the N-1 ones of the hours ``at`` where those are lower."""
    out = HourlyCapacity(*(np.array(a, copy=True) for a in (n0.lo_mw, n0.hi_mw, n0.branch,
                                                             n0.bus, n0.lost, n0.supply)),
                         n0.solves)  # fmt: skip
    lower = n1.hi_mw < out.hi_mw[at]
    for name in ("hi_mw", "branch", "bus", "lost", "supply"):
        getattr(out, name)[at[lower]] = getattr(n1, name)[lower]
    out.lo_mw[at] = np.minimum(out.lo_mw[at], n1.lo_mw)
    out.solves += n1.solves
    return out


@dataclass(frozen=True)
class SiteProblem:
    """What every site's search shares: the case with a 0 MW campus load at each site (columns
    ``first_site`` on), the hours studied (``rows``, feasible without the campus) and those
    left out, the hosted campus's shape (per row of ``inj``), total load (MW), limits (N-0,
    N-1), solver options and the Newton model."""

    case: StudyCase
    inj: Injections
    first_site: int
    rows: np.ndarray
    infeasible: np.ndarray
    shape: np.ndarray
    load: np.ndarray
    limits: Limits
    n1_limits: Limits
    options: SolverOptions
    model: NewtonModel


def site_problem(study: StudyInputs, sites: list[Site], campus: int) -> SiteProblem:
    """The shared problem of :func:`nodal_hosting` (the grid-stress stage's case, dispatch,
    limits and solver settings)."""
    spec, scenario = _spec(study), study.scenario
    case, inj = stress_case(study)
    profile = inj.load_p[:, case.campus_load_index[campus]]
    shape = profile / profile.max() if profile.max() > 0 else np.ones(len(profile))
    names = [s.name for s in sites]
    case, inj = with_site_loads(case, inj, campus, [s.bus for s in sites], names,
                                dispatch_rule(scenario))  # fmt: skip
    first_site = len(case.campus_names) - len(sites)
    load = inj.load_p.sum(axis=1)
    rows = _rows(spec.hours, load, f"{FIELD}.hours")
    rows, infeasible = feasible_rows(case, inj, first_site, rows, spec.max_mw, shape)
    st = scenario.study
    vmin, vmax = voltage_bounds(case.network.buses, st)
    cont = st.contingencies
    factor = cont.rating_factor if cont else 1.0
    return SiteProblem(
        case, inj, first_site, rows, infeasible, shape, load,
        Limits(st.loading_limit_percent, vmin, vmax, st.worsening_percent, st.worsening_vm_pu),
        Limits(st.loading_limit_percent * factor, vmin, vmax, st.worsening_percent,
               st.worsening_vm_pu),
        SolverOptions(max_iter=st.max_iter, tolerance_mva=st.tolerance_mva,
                      enforce_q_lims=st.enforce_q_lims),
        NewtonModel.from_case(case),
    )  # fmt: skip


def nodal_hosting(study: StudyInputs, progress: Progress = no_progress) -> xr.Dataset:
    """Firm and flexible hosting capacity (N-0, and N-1 on ``n1_hours``) at every site.

    Dims ``criterion`` (N-0, N-1), ``site``, ``budget`` (curtailment budget, %, 0 = firm) and
    ``time`` (the hours studied); the network's bus positions for the siting map.
    """
    check(study)
    spec, scenario = _spec(study), study.scenario
    k = hosted_campus(study)
    flex, flex_limits = flexibility_limits(study, k)
    sites = resolve_sites(study)
    budgets = sorted({0.0, *spec.budgets_percent})
    top = spec.max_mw

    progress("Nodal hosting: dispatch", 0, 1)
    p = site_problem(study, sites, k)
    case, inj, rows, shape, load = p.case, p.inj, p.rows, p.shape, p.load
    fractions = [b / 100.0 for b in budgets]
    cont = scenario.study.contingencies
    outages = outage_set(case, cont.set if cont else "all_branches")
    results: dict[str, list[SiteResult]] = {"N-0": [], "N-1": []}
    base = n1_at = None
    for j, site in enumerate(sites):
        col = p.first_site + j
        progress(f"Nodal hosting: {site.name}", j, len(sites))
        n0 = HourlyN0(case, inj, col, rows, p.limits, p.options, top, shape[rows], base, p.model)
        if base is None:
            base = n0.base
            ok = np.flatnonzero(base[2])  # hours whose base power flow converged
            s_ok, hours_ok, load_ok = shape[rows][ok], inj.hour[rows][ok], load[rows][ok]
            n1_at = np.flatnonzero(np.isin(ok, _rows(spec.n1_hours, load_ok, f"{FIELD}.n1_hours")))
            search = _Search(s_ok, hours_ok, load_ok, fractions, flex_limits, top,
                             spec.tolerance_percent)  # fmt: skip
        hourly0 = search.hourly(lambda mw, r, c=n0, at=ok: c(mw, at[r]))
        results["N-0"].append(search.capacities(hourly0))
        if len(n1_at):
            top1 = float(np.max(hourly0.lo_mw[n1_at]))
            n1 = HourlyN1(case, inj, col, rows[ok][n1_at], outages, p.n1_limits, p.options,
                          top1, s_ok[n1_at], p.model)  # fmt: skip
            n1_hourly = search.hourly(n1, at=n1_at, top_mw=top1)
            results["N-1"].append(search.capacities(_combined(hourly0, n1_hourly, n1_at)))
    progress("Nodal hosting", len(sites), len(sites))
    criteria = [c for c in ("N-0", "N-1") if results[c]]
    ds = _dataset(results, criteria, sites, budgets, search.hours, search.shape, case, study)
    not_converged = inj.hour[rows][~base[2]].astype(int)
    own = scenario.campuses[k].profile
    ds.attrs.update({
        "campus": case.campus_names[k],
        "campus_peak_mw": float(inj.load_p[:, case.campus_load_index[k]].max()),
        "flexibility_source": f"campuses.{k}.profile.flexibility"
        if isinstance(own, ModelProfile) and own.flexibility is not None else "schema defaults",
        "depth": flex.depth, "duration_h": flex.duration_h, "ramp_s": flex.ramp_s,
        "max_event_h": flex_limits.max_event_h,
        "max_mw": top, "tolerance_percent": spec.tolerance_percent,
        "screen_hours": SCREEN_HOURS,
        "dispatch_rule": case.dispatch_rule,
        "hours_studied": len(search.hours),
        "hours_left_out_infeasible": inj.hour[p.infeasible].astype(int),
        "hours_left_out_not_converged": not_converged,
        "n1_hours": search.hours[n1_at].astype(int),
        "partial": "\n".join(_notes(inj.hour[p.infeasible], not_converged)),
    })  # fmt: skip
    return ds


@dataclass(frozen=True)
class _Search:
    """The hours studied at every site: campus shape, hours, load; budgets and limits."""

    shape: np.ndarray
    hours: np.ndarray
    load: np.ndarray
    fractions: list[float]
    limits: FlexibilityLimits
    top_mw: float
    tolerance_percent: float

    def hourly(self, check, at: np.ndarray | None = None, top_mw: float | None = None):
        """Hourly capacities over the hours ``at`` (default all) up to ``top_mw``: the N-1
        search runs below the N-0 capacities, on its few hours, bisecting each fully."""
        if at is None:
            return hourly_capacity(check, self.shape, self.load, self.top_mw,
                                   self.tolerance_percent, self.upper)  # fmt: skip
        top = max(top_mw, 1e-6)
        return hourly_capacity(check, self.shape[at], self.load[at], top,
                               self.tolerance_percent, lambda hi: top)  # fmt: skip

    def upper(self, hi_mw: np.ndarray) -> float:
        """Flexible capacity at the largest budget with the hourly capacities ``hi_mw``."""
        return flexible_capacity(hi_mw, self.shape, self.hours, self.fractions[-1],
                                 self.limits, self.top_mw).mw  # fmt: skip

    def capacities(self, hourly: HourlyCapacity) -> SiteResult:
        return site_capacities(hourly, self.shape, self.hours, self.fractions, self.limits,
                               self.top_mw)  # fmt: skip


def _notes(infeasible: np.ndarray, not_converged: np.ndarray) -> list[str]:
    notes = []
    if len(infeasible):
        notes.append(
            f"the nodal search left out {len(infeasible)} hour(s) whose committed units cannot "
            f"serve demand with the campus at the search's top size: {hours_text(infeasible)}"
        )
    if len(not_converged):
        notes.append(
            f"the nodal search left out {len(not_converged)} hour(s) whose power flow without "
            f"the campus does not converge: {hours_text(not_converged)}"
        )
    return notes


def _dataset(results, criteria, sites, budgets, hours, shape, case, study) -> xr.Dataset:
    """The results as labelled arrays (see :func:`nodal_hosting`)."""
    n_c, n_s, n_b, n_t = len(criteria), len(sites), len(budgets), len(hours)
    per_budget = {name: np.full((n_c, n_s, n_b), np.nan) for name in (
        "hosting_capacity_mw", "upper_bound_mw", "curtailment_rate_percent", "curtailed_hours",
        "events", "longest_event_h", "ramp_mwh", "curtailed_mwh")}  # fmt: skip
    limited = np.full((n_c, n_s, n_b), "", dtype=object)
    curtailed = np.zeros((n_c, n_s, n_b, n_t), np.float32)
    hour_cap = np.zeros((n_c, n_s, n_t))
    hour_hi = np.zeros((n_c, n_s, n_t))
    branch = np.full((n_c, n_s, n_t), -1)
    bus = np.full((n_c, n_s, n_t), -1)
    lost = np.zeros((n_c, n_s, n_t), bool)
    supply = np.zeros((n_c, n_s, n_t), bool)
    solves = np.zeros((n_c, n_s), int)
    bus_no = case.network.buses.bus.to_numpy()
    for c, crit in enumerate(criteria):
        for j, res in enumerate(results[crit]):
            h = res.hourly
            hour_cap[c, j], hour_hi[c, j] = h.lo_mw, h.hi_mw
            branch[c, j], lost[c, j], solves[c, j] = h.branch, h.lost, h.solves
            supply[c, j] = h.supply
            bus[c, j] = np.where(h.bus >= 0, bus_no[np.maximum(h.bus, 0)], -1)
            for b, (cap, up) in enumerate(zip(res.capacity, res.upper, strict=True)):
                s = cap.schedule
                on = s.curtailed_mw > 0
                for name, value in (
                    ("hosting_capacity_mw", cap.mw), ("upper_bound_mw", up.mw),
                    ("curtailment_rate_percent", 100 * s.rate), ("curtailed_hours", on.sum()),
                    ("events", s.events), ("longest_event_h", s.longest_event_h),
                    ("ramp_mwh", s.ramp_mwh), ("curtailed_mwh", s.curtailed_mw.sum()),
                ):  # fmt: skip
                    per_budget[name][c, j, b] = value
                limited[c, j, b] = cap.limited_by
                curtailed[c, j, b] = s.curtailed_mw
    dims3, dimt = ("criterion", "site", "budget"), ("criterion", "site", "time")
    firm = per_budget["hosting_capacity_mw"][:, :, :1]
    units = {"hosting_capacity_mw": "MW", "upper_bound_mw": "MW", "curtailment_rate_percent": "%",
             "curtailed_hours": "h", "events": "", "longest_event_h": "h", "ramp_mwh": "MWh",
             "curtailed_mwh": "MWh"}  # fmt: skip
    data = {name: (dims3, v, {"units": units[name]}) for name, v in per_budget.items()}
    with np.errstate(divide="ignore", invalid="ignore"):  # a firm capacity of 0: no gain defined
        gain = np.where(firm > 0, 100 * (per_budget["hosting_capacity_mw"] / firm - 1), np.nan)
    data |= {
        "gain_percent": (dims3, gain, {"units": "%", "long_name": "flexible over firm hosting "
                                       "capacity - 1 (NaN: firm capacity 0)"}),
        "limited_by": (dims3, limited.astype(str)),
        "curtailed_mw": (("criterion", "site", "budget", "time"), curtailed, {"units": "MW"}),
        "hour_capacity_mw": (dimt, hour_cap, {"units": "MW", "long_name":
            "largest campus peak solved without a new violation in the hour (lower bracket)"}),
        "hour_violating_mw": (dimt, hour_hi, {"units": "MW", "long_name":
            "smallest campus peak solved with a new violation in the hour (inf: none)"}),
        "binding_branch": (dimt, branch, {"long_name": "branch row newly overloaded at "
                                          "hour_violating_mw (-1: none)"}),
        "binding_bus": (dimt, bus, {"long_name": "case bus newly outside its voltage limits "
                                    "at hour_violating_mw (-1: none)"}),
        "binding_lost": (dimt, lost, {"long_name": "power flow lost at hour_violating_mw"}),
        "binding_supply": (dimt, supply, {"long_name": "committed units short of demand at "
                                          "hour_violating_mw, not without the campus"}),
        "hour_solves": (("criterion", "site"), solves, {"long_name": "hours solved by AC "
                                                        "power flow in the search"}),
        "campus_shape": ("time", shape, {"long_name": "campus load over its peak"}),
    }  # fmt: skip
    ds = xr.Dataset(
        data,
        coords={
            "criterion": np.array(criteria, dtype=str),
            "site": np.array([s.name for s in sites], dtype=str),
            "site_bus": ("site", np.array([s.bus for s in sites], dtype=int)),
            "site_kv": ("site", np.array([s.kv for s in sites]), {"units": "kV"}),
            "site_area": ("site", np.array([s.area for s in sites], dtype=str)),
            "budget": (
                "budget",
                np.array(budgets),
                {"units": "%", "long_name": "curtailment budget, share of the campus's energy"},
            ),
            "time": ("time", hour_start(case.load_year, hours), {"long_name": "start of the hour"}),
            "hour": ("time", hours.astype(int), {"long_name": "hour of the load year"}),
        },
    )
    return ds.merge(map_layout(study.network))

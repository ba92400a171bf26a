"""Regional grid expansion: new generation and storage, existing fleet dispatch, DC network limits.

One linear programme over weighted snapshots (every hour, or typical periods from
:mod:`gridmodel.optimize.periods`). Costs are annual: fixed costs of new capacity (annualised capex
+ fixed O&M) plus every snapshot's operating cost times the hours it stands for, scaled to a year.
Each constraint family is one function below; its Pyomo component carries the family's name, which
is what an infeasibility message reports.

Modelling choices, stated once:

* existing units dispatch between 0 and Pmax at the case's marginal cost (no commitment, so
  minimum loads do not bind in the LP);
* storage is sized in MW and MWh separately, charges and discharges at sqrt(round-trip) each way,
  and its state of charge is linked across typical periods as in Kotzur et al., "Time series
  aggregation for energy system design: modeling seasonal storage", Applied Energy 213 (2018):
  an intra-period level that starts each typical period at zero plus an inter-period level per
  original period, bounded through the intra-period maximum and minimum (exact without
  self-discharge). With one period covering all snapshots this is the usual cyclic balance;
* the planning reserve margin counts existing Pmax, new thermal capacity and storage power up to
  its energy over four hours (the four-hour duration rule of resource-adequacy programmes);
* operating reserves: upward headroom on thermal units covers the largest unit; downward room
  (output that can be backed off) covers the largest campus load, whose sudden loss is the
  contingency a large data-centre campus brings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from gridmodel.optimize.costs import TechnologyCost
from gridmodel.optimize.dcnetwork import DcNetwork
from gridmodel.optimize.solver import Solution, solve

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class Snapshots:
    """Load per snapshot and node (MW) and how the snapshots stand for the year.

    ``weight`` is the hours each snapshot represents (summing to the hours studied);
    ``period_hours`` the length of a typical period and ``sequence`` the typical period of every
    original period, in order (None: one period spanning all snapshots, cyclic). ``peak_mw`` is the
    system peak of the original series and ``campus_mw`` the largest campus load per snapshot.
    """

    load_mw: np.ndarray
    weight: np.ndarray
    campus_mw: np.ndarray
    peak_mw: float
    period_hours: int | None = None
    sequence: np.ndarray | None = None

    @property
    def n(self) -> int:
        return self.load_mw.shape[0]

    def periods(self) -> tuple[int, np.ndarray]:
        """(hours per period, typical period of every original period)."""
        if self.sequence is None:
            return self.n, np.zeros(1, dtype=int)
        return int(self.period_hours), np.asarray(self.sequence, dtype=int)


@dataclass(frozen=True)
class Candidate:
    """A technology that may be built at a node, up to ``max_mw``."""

    technology: str
    node: int
    max_mw: float = np.inf


@dataclass(frozen=True)
class ExpansionOptions:
    """Planning reserve margin (fraction, None = off), operating reserves, value of lost load
    ($/MWh, None = no unserved energy allowed), storage firm duration (h), HiGHS time limit (s,
    None = none)."""

    reserve_margin: float | None = None
    operating_reserves: bool = False
    voll_usd_per_mwh: float | None = None
    storage_firm_hours: float = 4.0
    time_limit_s: float | None = None


@dataclass
class ExpansionProblem:
    grid: DcNetwork
    snapshots: Snapshots
    candidates: list[Candidate]
    costs: dict[str, TechnologyCost]
    options: ExpansionOptions = field(default_factory=ExpansionOptions)

    def kind(self, k: int) -> str:
        return self.costs[self.candidates[k].technology].kind

    @property
    def generators(self) -> list[int]:
        return [k for k in range(len(self.candidates)) if self.kind(k) != "storage"]

    @property
    def storage(self) -> list[int]:
        return [k for k in range(len(self.candidates)) if self.kind(k) == "storage"]

    @property
    def year_scale(self) -> float:
        """Operating cost multiplier from the hours studied to a year."""
        return HOURS_PER_YEAR / float(self.snapshots.weight.sum())


# ---------------------------------------------------------------------------------------------
# Model: sets and variables, then one function per constraint family


def _variables(m, p: ExpansionProblem) -> None:
    g, s = p.grid, p.snapshots
    m.T = pyo.Set(initialize=range(s.n))
    m.U = pyo.Set(initialize=range(len(g.unit_node)))
    m.K = pyo.Set(initialize=p.generators)
    m.S = pyo.Set(initialize=p.storage)
    m.L = pyo.Set(initialize=range(g.n_link))
    m.N = pyo.Set(initialize=range(g.n_node))
    hours, sequence = s.periods()
    m.P = pyo.Set(initialize=range(int(sequence.max()) + 1))
    m.D = pyo.Set(initialize=range(len(sequence)))
    pmax = g.unit_p_max_mw.tolist()
    rate = g.link_rate_mw.tolist()
    cap_max = [c.max_mw for c in p.candidates]
    m.p = pyo.Var(m.U, m.T, bounds=lambda _, u, t: (0.0, pmax[u]))
    m.cap = pyo.Var(m.K, bounds=lambda _, k: (0.0, None if np.isinf(cap_max[k]) else cap_max[k]))
    m.p_new = pyo.Var(m.K, m.T, bounds=(0.0, None))
    m.store_mw = pyo.Var(
        m.S, bounds=lambda _, k: (0.0, None if np.isinf(cap_max[k]) else cap_max[k])
    )
    m.store_mwh = pyo.Var(m.S, bounds=(0.0, None))
    m.charge = pyo.Var(m.S, m.T, bounds=(0.0, None))
    m.discharge = pyo.Var(m.S, m.T, bounds=(0.0, None))
    m.soc_intra = pyo.Var(m.S, m.T)
    m.soc_inter = pyo.Var(m.S, m.D, bounds=(0.0, None))
    m.soc_intra_max = pyo.Var(m.S, m.P)
    m.soc_intra_min = pyo.Var(m.S, m.P)
    m.flow = pyo.Var(
        m.L,
        m.T,
        bounds=lambda _, li, t: (None, None) if np.isinf(rate[li]) else (-rate[li], rate[li]),
    )
    if p.options.voll_usd_per_mwh is not None:
        m.unserved = pyo.Var(m.N, m.T, bounds=(0.0, None))


def add_balance(m, p: ExpansionProblem) -> None:
    """Power balance at every node and snapshot (its dual is the nodal price)."""
    g = p.grid
    units = [[] for _ in range(g.n_node)]
    for u, n in enumerate(g.unit_node):
        units[n].append(u)
    new = [[] for _ in range(g.n_node)]
    for k in p.generators:
        new[p.candidates[k].node].append(k)
    stores = [[] for _ in range(g.n_node)]
    for k in p.storage:
        stores[p.candidates[k].node].append(k)
    out_links = [[] for _ in range(g.n_node)]
    in_links = [[] for _ in range(g.n_node)]
    for li, (a, b) in enumerate(zip(g.link_from, g.link_to, strict=True)):
        out_links[a].append(li)
        in_links[b].append(li)
    load = p.snapshots.load_mw.tolist()
    shed = p.options.voll_usd_per_mwh is not None

    def rule(m, n, t):
        return (
            sum(m.p[u, t] for u in units[n])
            + sum(m.p_new[k, t] for k in new[n])
            + sum(m.discharge[k, t] - m.charge[k, t] for k in stores[n])
            - sum(m.flow[li, t] for li in out_links[n])
            + sum(m.flow[li, t] for li in in_links[n])
            + (m.unserved[n, t] if shed else 0.0)
            == load[t][n]
        )

    m.balance = pyo.Constraint(m.N, m.T, rule=rule)


def add_kirchhoff(m, p: ExpansionProblem) -> None:
    """Kirchhoff's voltage law around every independent loop (bus-level models only)."""
    if not p.grid.kvl:
        return
    cycles = [
        (links.tolist(), (signs * p.grid.link_x[links]).tolist())
        for links, signs in p.grid.cycles()
    ]
    m.C = pyo.Set(initialize=range(len(cycles)))

    def rule(m, c, t):
        links, coef = cycles[c]
        return sum(a * m.flow[li, t] for li, a in zip(links, coef, strict=True)) == 0.0

    m.kirchhoff = pyo.Constraint(m.C, m.T, rule=rule)


def add_new_capacity(m, p: ExpansionProblem) -> None:
    """Output of new units within their built capacity."""
    m.new_capacity = pyo.Constraint(m.K, m.T, rule=lambda m, k, t: m.p_new[k, t] <= m.cap[k])


def add_storage(m, p: ExpansionProblem) -> None:
    """Storage power limits, state-of-charge balance and the inter-period link."""
    hours, sequence = p.snapshots.periods()
    eff = {
        k: float(np.sqrt(p.costs[p.candidates[k].technology].round_trip_efficiency))
        for k in p.storage
    }
    m.storage_charge = pyo.Constraint(
        m.S, m.T, rule=lambda m, k, t: m.charge[k, t] <= m.store_mw[k]
    )
    m.storage_discharge = pyo.Constraint(
        m.S, m.T, rule=lambda m, k, t: m.discharge[k, t] <= m.store_mw[k]
    )

    def soc(m, k, t):
        prev = 0.0 if t % hours == 0 else m.soc_intra[k, t - 1]
        return m.soc_intra[k, t] == prev + eff[k] * m.charge[k, t] - m.discharge[k, t] / eff[k]

    m.storage_soc = pyo.Constraint(m.S, m.T, rule=soc)
    m.storage_intra_max = pyo.Constraint(
        m.S, m.T, rule=lambda m, k, t: m.soc_intra[k, t] <= m.soc_intra_max[k, t // hours]
    )
    m.storage_intra_min = pyo.Constraint(
        m.S, m.T, rule=lambda m, k, t: m.soc_intra[k, t] >= m.soc_intra_min[k, t // hours]
    )
    n_d = len(sequence)
    seq = sequence.tolist()

    def link(m, k, d):
        end = seq[d] * hours + hours - 1
        return m.soc_inter[k, (d + 1) % n_d] == m.soc_inter[k, d] + m.soc_intra[k, end]

    m.storage_link = pyo.Constraint(m.S, m.D, rule=link)
    m.storage_energy = pyo.Constraint(
        m.S,
        m.D,
        rule=lambda m, k, d: m.soc_inter[k, d] + m.soc_intra_max[k, seq[d]] <= m.store_mwh[k],
    )
    m.storage_empty = pyo.Constraint(
        m.S, m.D, rule=lambda m, k, d: m.soc_inter[k, d] + m.soc_intra_min[k, seq[d]] >= 0.0
    )


def add_reserve_margin(m, p: ExpansionProblem) -> None:
    """Firm capacity covers the peak plus the planning reserve margin."""
    margin = p.options.reserve_margin
    if margin is None:
        return
    m.store_firm = pyo.Var(m.S, bounds=(0.0, None))
    m.storage_firm_power = pyo.Constraint(m.S, rule=lambda m, k: m.store_firm[k] <= m.store_mw[k])
    hours = p.options.storage_firm_hours
    m.storage_firm_energy = pyo.Constraint(
        m.S, rule=lambda m, k: hours * m.store_firm[k] <= m.store_mwh[k]
    )
    thermal = [k for k in p.generators if p.kind(k) == "thermal"]
    existing = float(p.grid.unit_p_max_mw.sum())
    m.reserve_margin = pyo.Constraint(
        expr=existing + sum(m.cap[k] for k in thermal) + sum(m.store_firm[k] for k in p.storage)
        >= (1.0 + margin) * p.snapshots.peak_mw
    )


def largest_unit_mw(p: ExpansionProblem) -> float:
    """Largest single unit, existing or buildable (MW): the upward contingency."""
    new = [
        p.costs[p.candidates[k].technology].unit_mw for k in p.generators if p.kind(k) == "thermal"
    ]
    return float(max([p.grid.unit_p_max_mw.max(initial=0.0), *new]))


def add_operating_reserves(m, p: ExpansionProblem) -> None:
    """Upward headroom covers the largest unit; downward room covers the largest campus load."""
    if not p.options.operating_reserves:
        return
    thermal = [k for k in p.generators if p.kind(k) == "thermal"]
    m.KT = pyo.Set(initialize=thermal)
    pmax = p.grid.unit_p_max_mw.tolist()
    m.r_up = pyo.Var(m.U, m.T, bounds=(0.0, None))
    m.r_down = pyo.Var(m.U, m.T, bounds=(0.0, None))
    m.r_up_new = pyo.Var(m.KT, m.T, bounds=(0.0, None))
    m.r_down_new = pyo.Var(m.KT, m.T, bounds=(0.0, None))
    m.unit_headroom = pyo.Constraint(
        m.U, m.T, rule=lambda m, u, t: m.p[u, t] + m.r_up[u, t] <= pmax[u]
    )
    m.unit_footroom = pyo.Constraint(m.U, m.T, rule=lambda m, u, t: m.r_down[u, t] <= m.p[u, t])
    m.new_headroom = pyo.Constraint(
        m.KT, m.T, rule=lambda m, k, t: m.p_new[k, t] + m.r_up_new[k, t] <= m.cap[k]
    )
    m.new_footroom = pyo.Constraint(
        m.KT, m.T, rule=lambda m, k, t: m.r_down_new[k, t] <= m.p_new[k, t]
    )
    up = largest_unit_mw(p)
    down = p.snapshots.campus_mw.tolist()
    m.reserve_up = pyo.Constraint(
        m.T,
        rule=lambda m, t: (
            sum(m.r_up[u, t] for u in m.U) + sum(m.r_up_new[k, t] for k in m.KT) >= up
        ),
    )
    m.reserve_down = pyo.Constraint(
        m.T,
        rule=lambda m, t: (
            sum(m.r_down[u, t] for u in m.U) + sum(m.r_down_new[k, t] for k in m.KT) >= down[t]
        ),
    )


def add_objective(m, p: ExpansionProblem) -> None:
    """Annual cost: fixed costs of new capacity + weighted operating cost scaled to a year."""
    w = (p.snapshots.weight * p.year_scale).tolist()
    cost = p.grid.unit_cost.tolist()
    tech = [p.costs[c.technology] for c in p.candidates]
    voll = p.options.voll_usd_per_mwh
    fixed = sum(tech[k].fixed_usd_per_mw_yr * m.cap[k] for k in p.generators) + sum(
        tech[k].fixed_usd_per_mw_yr * m.store_mw[k] + tech[k].fixed_usd_per_mwh_yr * m.store_mwh[k]
        for k in p.storage
    )
    operating = sum(
        w[t]
        * (
            sum(cost[u] * m.p[u, t] for u in m.U if cost[u] != 0.0)
            + sum(tech[k].marginal_usd_per_mwh * m.p_new[k, t] for k in p.generators)
            + (sum(voll * m.unserved[n, t] for n in m.N) if voll is not None else 0.0)
        )
        for t in m.T
    )
    m.cost = pyo.Objective(expr=fixed + operating, sense=pyo.minimize)


FAMILIES = (
    add_balance,
    add_kirchhoff,
    add_new_capacity,
    add_storage,
    add_reserve_margin,
    add_operating_reserves,
    add_objective,
)


def build_model(p: ExpansionProblem) -> pyo.ConcreteModel:
    m = pyo.ConcreteModel(name="expansion")
    _variables(m, p)
    for family in FAMILIES:
        family(m, p)
    return m


# ---------------------------------------------------------------------------------------------
# Solve and label


def solve_expansion(p: ExpansionProblem) -> xr.Dataset:
    """Build, solve and label the expansion problem; timings (s) in ``attrs``."""
    t0 = time.perf_counter()
    m = build_model(p)
    t1 = time.perf_counter()
    limit = p.options.time_limit_s
    sol = solve(m, None if limit is None else {"time_limit": float(limit)})
    t2 = time.perf_counter()
    ds = expansion_dataset(p, sol)
    t3 = time.perf_counter()
    timings = {"build": t1 - t0, **sol.timings, "label": t3 - t2}
    ds.attrs.update({f"time_{k}_s": float(v) for k, v in timings.items()})
    return ds


def expansion_dataset(p: ExpansionProblem, sol: Solution) -> xr.Dataset:
    """Capacities, dispatch, flows, state of charge, nodal prices and the cost breakdown."""
    g, s = p.grid, p.snapshots
    n_t = s.n
    v = sol.values
    gens, stores = p.generators, p.storage
    cand = p.candidates
    tech = [p.costs[c.technology] for c in cand]
    w = s.weight * p.year_scale
    p_unit = v["p"].reshape(len(g.unit_node), n_t)
    p_new = v["p_new"].reshape(len(gens), n_t) if gens else np.zeros((0, n_t))
    charge = v["charge"].reshape(len(stores), n_t) if stores else np.zeros((0, n_t))
    discharge = v["discharge"].reshape(len(stores), n_t) if stores else np.zeros((0, n_t))
    hours, sequence = s.periods()
    soc = np.zeros((len(stores), n_t))
    if stores:
        intra = v["soc_intra"].reshape(len(stores), n_t)
        inter = v["soc_inter"].reshape(len(stores), len(sequence))
        # level in the first original period that each typical period stands for
        first = {int(k): d for d, k in reversed(list(enumerate(sequence)))}
        for t in range(n_t):
            d = first.get(t // hours)
            soc[:, t] = intra[:, t] + (inter[:, d] if d is not None else np.nan)
    price = sol.duals["balance"].reshape(g.n_node, n_t) / w[None, :]
    cap_mw = np.zeros(len(cand))
    cap_mwh = np.zeros(len(cand))
    for i, k in enumerate(gens):
        cap_mw[k] = v["cap"][i]
    for i, k in enumerate(stores):
        cap_mw[k] = v["store_mw"][i]
        cap_mwh[k] = v["store_mwh"][i]
    fixed = np.array(
        [
            tech[k].fixed_usd_per_mw_yr * cap_mw[k] + tech[k].fixed_usd_per_mwh_yr * cap_mwh[k]
            for k in range(len(cand))
        ]
    )
    existing_energy = float((p_unit * g.unit_cost[:, None] * w[None, :]).sum())
    new_energy = float(
        sum((p_new[i] * w).sum() * tech[k].marginal_usd_per_mwh for i, k in enumerate(gens))
    )
    unserved = (
        v["unserved"].reshape(g.n_node, n_t) if "unserved" in v else np.zeros((g.n_node, n_t))
    )
    voll = p.options.voll_usd_per_mwh or 0.0
    cost = {
        "new_capacity_fixed": float(fixed.sum()),
        "existing_fleet_energy": existing_energy,
        "new_fleet_energy": new_energy,
        "unserved_energy": float((unserved.sum(axis=0) * w).sum() * voll),
    }
    new_p = np.zeros((len(cand), n_t))
    for i, k in enumerate(gens):
        new_p[k] = p_new[i]
    for i, k in enumerate(stores):
        new_p[k] = discharge[i] - charge[i]
    ds = xr.Dataset(
        {
            "capacity_mw": (("candidate",), cap_mw, {"units": "MW"}),
            "capacity_mwh": (("candidate",), cap_mwh, {"units": "MWh"}),
            "fixed_cost_usd_per_yr": (("candidate",), fixed, {"units": "USD/yr"}),
            "p_new_mw": (
                ("candidate", "snapshot"),
                new_p,
                {
                    "units": "MW",
                    "long_name": "output of new capacity (storage: discharge - charge)",
                },
            ),
            "soc_mwh": (("storage", "snapshot"), soc, {"units": "MWh"}),
            "p_unit_mw": (("unit", "snapshot"), p_unit, {"units": "MW"}),
            "flow_mw": (("link", "snapshot"), v["flow"].reshape(g.n_link, n_t), {"units": "MW"}),
            "price_usd_per_mwh": (
                ("node", "snapshot"),
                price,
                {"units": "USD/MWh", "long_name": "nodal price (balance dual)"},
            ),
            "load_mw": (("node", "snapshot"), s.load_mw.T, {"units": "MW"}),
            "unserved_mw": (("node", "snapshot"), unserved, {"units": "MW"}),
            "weight_h": (
                ("snapshot",),
                s.weight,
                {"units": "h", "long_name": "hours each snapshot represents"},
            ),
            "cost_usd_per_yr": (("cost",), np.array(list(cost.values())), {"units": "USD/yr"}),
        },
        coords={
            "candidate": np.arange(len(cand)),
            "technology": ("candidate", [c.technology for c in cand]),
            "candidate_node": ("candidate", [str(g.node[c.node]) for c in cand]),
            "storage": [str(g.node[cand[k].node]) + f" {cand[k].technology}" for k in stores],
            "unit": g.unit_name,
            "unit_node": ("unit", [str(g.node[n]) for n in g.unit_node]),
            "link": g.link_name,
            "node": [str(n) for n in g.node],
            "snapshot": np.arange(n_t),
            "cost": list(cost),
        },
        attrs={
            "objective_usd_per_yr": sol.objective,
            "status": sol.status,
            "network": "bus" if g.kvl else "zonal",
            "year_scale": p.year_scale,
        },
    )
    return ds

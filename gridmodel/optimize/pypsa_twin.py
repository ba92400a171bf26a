"""The same expansion problem built in PyPSA, as an independent cross-check and a speed peer.

PyPSA (with linopy) is a test and benchmark dependency, not a runtime one. The twin mirrors
:mod:`gridmodel.optimize.expansion` component by component: existing units and thermal candidates
are Generators, bus-level branches are Lines (PyPSA's cycle-based KVL) and zonal links are Links,
storage with separate MW and MWh is a Store with charger and discharger Links whose ratings are
tied, and the planning reserve margin and operating reserves are added to PyPSA's linopy model.
Only one cyclic storage period (``Snapshots.sequence is None``) has a PyPSA counterpart.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from gridmodel.optimize.expansion import ExpansionProblem, largest_unit_mw


def build_network(p: ExpansionProblem):
    """A ``pypsa.Network`` holding the problem ``p``."""
    import pypsa

    if p.snapshots.sequence is not None:
        raise ValueError("the PyPSA twin covers one cyclic period of snapshots only")
    g, s = p.grid, p.snapshots
    n = pypsa.Network()
    n.set_snapshots(pd.RangeIndex(s.n, name="snapshot"))
    n.snapshot_weightings.loc[:, "objective"] = s.weight * p.year_scale
    n.snapshot_weightings.loc[:, "stores"] = 1.0
    n.snapshot_weightings.loc[:, "generators"] = 1.0
    nodes = [f"n{i}" for i in range(g.n_node)]
    n.add("Bus", nodes, v_nom=1.0)
    rate = np.where(np.isinf(g.link_rate_mw), 1e7, g.link_rate_mw)
    links = [f"l{i}" for i in range(g.n_link)]
    if g.kvl:
        n.add(
            "Line",
            links,
            bus0=[nodes[i] for i in g.link_from],
            bus1=[nodes[i] for i in g.link_to],
            x=g.link_x / g.base_mva,
            r=0.0,
            s_nom=rate,
        )
    else:
        n.add(
            "Link",
            links,
            bus0=[nodes[i] for i in g.link_from],
            bus1=[nodes[i] for i in g.link_to],
            p_nom=rate,
            p_min_pu=-1.0,
        )
    loads = pd.DataFrame(s.load_mw, index=n.snapshots, columns=[f"d{i}" for i in range(g.n_node)])
    n.add("Load", loads.columns, bus=nodes)
    n.loads_t.p_set = loads
    units = [f"u{i}" for i in range(len(g.unit_node))]
    n.add(
        "Generator",
        units,
        bus=[nodes[i] for i in g.unit_node],
        p_nom=g.unit_p_max_mw,
        marginal_cost=g.unit_cost,
    )
    for k in p.generators:
        c = p.candidates[k]
        t = p.costs[c.technology]
        n.add(
            "Generator",
            f"k{k}",
            bus=nodes[c.node],
            p_nom_extendable=True,
            p_nom_max=c.max_mw,
            capital_cost=t.fixed_usd_per_mw_yr,
            marginal_cost=t.marginal_usd_per_mwh,
        )
    for k in p.storage:
        c = p.candidates[k]
        t = p.costs[c.technology]
        eff = float(np.sqrt(t.round_trip_efficiency))
        n.add("Bus", f"s{k}", v_nom=1.0)
        n.add(
            "Store",
            f"s{k}",
            bus=f"s{k}",
            e_nom_extendable=True,
            e_cyclic=True,
            capital_cost=t.fixed_usd_per_mwh_yr,
        )
        n.add(
            "Link",
            f"s{k} charger",
            bus0=nodes[c.node],
            bus1=f"s{k}",
            efficiency=eff,
            p_nom_extendable=True,
            p_nom_max=c.max_mw,
            capital_cost=t.fixed_usd_per_mw_yr,
        )
        n.add(
            "Link",
            f"s{k} discharger",
            bus0=f"s{k}",
            bus1=nodes[c.node],
            efficiency=eff,
            p_nom_extendable=True,
        )
    if p.options.voll_usd_per_mwh is not None:
        n.add(
            "Generator",
            [f"shed{i}" for i in range(g.n_node)],
            bus=nodes,
            p_nom=float(s.load_mw.max()) + 1.0,
            marginal_cost=p.options.voll_usd_per_mwh,
        )
    return n


def _extra(p: ExpansionProblem):
    """Constraints PyPSA lacks natively: storage rating tie, reserve margin, operating reserves."""

    def extra(n, snapshots):
        m = n.model
        gp = m["Generator-p"]
        p_nom = m["Generator-p_nom"]
        link_nom = m["Link-p_nom"]
        firm = []
        for k in p.storage:
            eff = float(np.sqrt(p.costs[p.candidates[k].technology].round_trip_efficiency))
            m.add_constraints(
                link_nom.loc[f"s{k} discharger"] * eff - link_nom.loc[f"s{k} charger"] == 0,
                name=f"storage_tie_{k}",
            )
        if p.options.reserve_margin is not None:
            for k in p.storage:
                f = m.add_variables(lower=0, name=f"firm_{k}")
                m.add_constraints(f - link_nom.loc[f"s{k} charger"] <= 0, name=f"firm_p_{k}")
                m.add_constraints(
                    p.options.storage_firm_hours * f - m["Store-e_nom"].loc[f"s{k}"] <= 0,
                    name=f"firm_e_{k}",
                )
                firm.append(f)
            thermal = [f"k{k}" for k in p.generators if p.kind(k) == "thermal"]
            lhs = p_nom.loc[thermal].sum() + sum(f.sum() for f in firm)
            m.add_constraints(
                lhs
                >= (1.0 + p.options.reserve_margin) * p.snapshots.peak_mw
                - float(p.grid.unit_p_max_mw.sum()),
                name="reserve_margin",
            )
        if p.options.operating_reserves:
            units = [f"u{i}" for i in range(len(p.grid.unit_node))]
            new = [f"k{k}" for k in p.generators if p.kind(k) == "thermal"]
            sn = pd.Index(snapshots, name="snapshot")
            r_up = m.add_variables(lower=0, coords=[sn, pd.Index(units, name="unit")], name="r_up")
            r_dn = m.add_variables(lower=0, coords=[sn, pd.Index(units, name="unit")], name="r_dn")
            pmax = pd.Series(p.grid.unit_p_max_mw, index=pd.Index(units, name="unit"))
            gp_u = gp.loc[:, units].rename(name="unit")
            m.add_constraints(gp_u + r_up <= pmax.to_xarray(), name="unit_headroom")
            m.add_constraints(r_dn - gp_u <= 0, name="unit_footroom")
            up_sum, dn_sum = r_up.sum("unit"), r_dn.sum("unit")
            if new:
                idx = pd.Index(new, name="new")
                ru = m.add_variables(lower=0, coords=[sn, idx], name="r_up_new")
                rd = m.add_variables(lower=0, coords=[sn, idx], name="r_dn_new")
                gp_n = gp.loc[:, new].rename(name="new")
                nom_n = p_nom.loc[new].rename(name="new")
                m.add_constraints(gp_n + ru - nom_n <= 0, name="new_headroom")
                m.add_constraints(rd - gp_n <= 0, name="new_footroom")
                up_sum, dn_sum = up_sum + ru.sum("new"), dn_sum + rd.sum("new")
            m.add_constraints(up_sum >= largest_unit_mw(p), name="reserve_up")
            down = pd.Series(p.snapshots.campus_mw, index=sn).to_xarray()
            m.add_constraints(dn_sum >= down, name="reserve_down")

    return extra


def solve_pypsa(p: ExpansionProblem) -> tuple[float, dict[str, float], object]:
    """Objective ($/yr), timings (s: ``build``, ``solve`` with hand-off, ``results``) and the
    solved network."""
    t0 = time.perf_counter()
    n = build_network(p)
    n.optimize.create_model(include_objective_constant=False)
    _extra(p)(n, n.snapshots)
    t1 = time.perf_counter()
    status, condition = n.optimize.solve_model(solver_name="highs")
    t2 = time.perf_counter()
    if status != "ok":
        raise RuntimeError(f"PyPSA/HiGHS: {status} {condition}")
    return float(n.objective), {"build": t1 - t0, "solve": t2 - t1}, n

"""Nodal flexible hosting capacity on case118 at its constant case loads: every hour's network
state depends only on the campus MW, so an hour whose campus shape is ``s`` binds at ``X / s``
(``X``: the firm capacity of the peak hours) and the flexible capacity has a closed form."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.schema import parse_scenario

HOURS = 48
PEAK = [10, 11]  # the campus at its peak: two consecutive hours, half its peak otherwise
BUDGETS = [0.25, 0.5, 1.0, 5.0]
SITE = "bus-65-345"


def nodal_data(tmp_path, **nodal) -> dict:
    shape = np.full(HOURS, 0.5)
    shape[PEAK] = 1.0
    pd.DataFrame({"p_mw": shape}).to_csv(tmp_path / "shape.csv", index=False)
    spec = {"sites": [SITE], "budgets_percent": BUDGETS, "max_mw": 3000.0}
    spec.update(nodal)
    return {
        "name": "nodal-test",
        "network": "case118",
        "period": {"start_hour": 0, "hours": HOURS},
        "campuses": [{"name": "dc", "site": "bus-9-345", "mw": 100,
                      "profile": {"kind": "csv", "path": "shape.csv", "unit": "pu"}}],
        "dispatch": {"rule": "participation"},
        "study": {"contingencies": None, "hosting_capacity": None},
        "headroom": {"nodal": spec},
    }  # fmt: skip


@pytest.fixture(scope="module")
def nodal(tmp_path_factory) -> tuple[xr.Dataset, object]:
    from gridmodel.headroom.siting import nodal_hosting
    from gridmodel.inputs import build_inputs

    folder = tmp_path_factory.mktemp("nodal")
    study = build_inputs(parse_scenario(nodal_data(folder), base_dir=folder))
    return nodal_hosting(study), study


def closed_form(firm: float, budget: float, depth: float, ramp_s: float) -> float:
    """Two peak hours curtailed by c = L - X each, ramps c·ramp_s/7,200 h in and out, over an
    energy L·(2 + 46·0.5) h: rate = (2 + 2·ramp_s/7,200)·(L - X) / (25·L) = budget, capped by
    the depth limit L - X <= depth·L."""
    k = (2 + 2 * ramp_s / 7200.0) / (2 + (HOURS - len(PEAK)) * 0.5)
    return min(firm / (1 - budget / k), firm / (1 - depth))


def test_binding_hours_and_element_are_the_peak_hours(nodal):
    ds, _ = nodal
    n0 = ds.sel(criterion="N-0", site=SITE)
    x = n0.hour_capacity_mw.to_numpy()
    firm = float(n0.hosting_capacity_mw.sel(budget=0))
    # the peak hours bind, at the firm capacity, on one branch; every other hour hosts the
    # largest flexible capacity (it is solved there without a violation), and would bind only
    # at twice the firm capacity
    assert x[PEAK].tolist() == [firm, firm]
    off = np.delete(np.arange(HOURS), PEAK)
    largest = float(n0.hosting_capacity_mw.max())
    assert (x[off] >= largest).all() and largest < 2 * firm
    tol = ds.attrs["tolerance_percent"] / 100
    hi = n0.hour_violating_mw.to_numpy()
    assert (hi[PEAK] <= firm * (1 + tol)).all()
    assert (hi[off] >= 2 * firm * (1 - tol)).all()
    # one element binds both peak hours (here a bus pushed outside its voltage limits)
    element = list(zip(n0.binding_branch.to_numpy()[PEAK], n0.binding_bus.to_numpy()[PEAK],
                       strict=True))  # fmt: skip
    assert element[0] == element[1] and max(element[0]) >= 0
    assert 0 < firm < 3000


def test_flexible_capacity_has_the_closed_form_and_curtails_the_peak_hours(nodal):
    ds, study = nodal
    n0 = ds.sel(criterion="N-0", site=SITE)
    firm = float(n0.hosting_capacity_mw.sel(budget=0))
    depth, ramp_s = ds.attrs["depth"], ds.attrs["ramp_s"]
    for budget in BUDGETS:
        one = n0.sel(budget=budget)
        expected = closed_form(firm, budget / 100, depth, ramp_s)
        assert float(one.hosting_capacity_mw) == pytest.approx(expected, rel=1e-6), budget
        cut = one.curtailed_mw.to_numpy()
        assert np.flatnonzero(cut > 0).tolist() == PEAK
        np.testing.assert_allclose(cut[PEAK], expected - firm, rtol=1e-6)
        assert float(one.curtailment_rate_percent) <= budget * (1 + 1e-9)
    assert n0.limited_by.sel(budget=5.0) == "depth"
    assert n0.limited_by.sel(budget=0.5) == "budget"


def shaped_problem(study, shape: np.ndarray):
    """The nodal search's case with the site's campus column drawing ``shape`` (MW per hour),
    so the grid-stress stage's own checks size the campus with that shape."""
    from gridmodel.headroom.siting import resolve_sites, site_problem

    p = site_problem(study, resolve_sites(study), 0)
    load_p = p.inj.load_p.copy()
    load_p[:, p.case.campus_load_index[p.first_site]] = shape
    return p, dataclasses.replace(p.inj, load_p=load_p)


def test_zero_budget_is_the_firm_bisection_and_more_budget_never_hosts_less(nodal):
    """The 0 % capacity equals the grid-stress stage's whole-period bisection over the same hours
    (to the tolerance), and capacity never falls as the budget grows."""
    from gridmodel.stress.hosting import hosting_capacity, n0_violation_check

    ds, study = nodal
    caps = ds.hosting_capacity_mw.sel(criterion="N-0", site=SITE).to_numpy()
    assert (np.diff(caps) >= 0).all() and caps[-1] > caps[0]
    p, inj = shaped_problem(study, ds.campus_shape.to_numpy())
    violates = n0_violation_check(p.case, inj, p.first_site, np.arange(HOURS), p.limits,
                                  p.options, 3000.0)  # fmt: skip
    firm = hosting_capacity(violates, "N-0", 3000.0, ds.attrs["tolerance_percent"])
    assert caps[0] == pytest.approx(firm.mw, rel=ds.attrs["tolerance_percent"] / 100)
    peak = ds.sel(criterion="N-0", site=SITE).isel(time=PEAK[0])
    assert firm.limited_by == (("bus voltage",) if peak.binding_bus >= 0 else ("branch loading",))


def test_the_schedule_serves_the_campus_without_a_new_violation(nodal):
    """The campus at its flexible capacity, less the curtailment schedule, solved hour by hour:
    no new violation in any hour; without the curtailment, the peak hours violate."""
    from gridmodel.stress.hosting import HourlyN0

    ds, study = nodal
    one = ds.sel(criterion="N-0", site=SITE, budget=1.0)
    mw = float(one.hosting_capacity_mw)
    shape = ds.campus_shape.to_numpy()
    p, inj = shaped_problem(study, shape)
    check = HourlyN0(p.case, inj, p.first_site, np.arange(HOURS), p.limits, p.options, 3000.0)
    served = mw - one.curtailed_mw.to_numpy() / shape  # campus peak equivalent per hour
    assert not check(served).violated.any()
    assert check(np.full(HOURS, mw)).violated[PEAK].all()


def test_n1_capacity_is_below_n0_and_equals_the_n1_bisection(tmp_path):
    """N-1 on a peak hour and an off-peak hour: the off-peak hour binds at twice the peak's size,
    the N-1 firm capacity is the stress stage's N-1 bisection over those hours, below N-0, and
    it never falls as the budget grows."""
    from gridmodel.headroom.siting import nodal_hosting
    from gridmodel.inputs import build_inputs
    from gridmodel.stress.contingency import outage_set
    from gridmodel.stress.hosting import hosting_capacity, n1_violation_check

    data = nodal_data(tmp_path, n1_hours=[PEAK[0], 20])
    data["study"]["contingencies"] = {"set": "all_branches"}
    study = build_inputs(parse_scenario(data, base_dir=tmp_path))
    ds = nodal_hosting(study).sel(site=SITE)
    n0, n1 = (ds.hosting_capacity_mw.sel(criterion=c).to_numpy() for c in ("N-0", "N-1"))
    assert (n1 < n0).all() and (np.diff(n1) >= 0).all()
    x = ds.hour_capacity_mw.sel(criterion="N-1").to_numpy()
    tol = ds.attrs["tolerance_percent"] / 100
    assert x[20] / x[PEAK[0]] == pytest.approx(2.0, rel=2 * tol)
    assert n1[0] == x[PEAK[0]]
    p, inj = shaped_problem(study, ds.campus_shape.to_numpy())
    rows = np.array([PEAK[0], 20])
    violates = n1_violation_check(p.case, inj, p.first_site, rows, outage_set(p.case, "all_branches"),
                                  p.n1_limits, p.options, 3000.0)  # fmt: skip
    firm = hosting_capacity(violates, "N-1", 3000.0, ds.attrs["tolerance_percent"])
    assert n1[0] == pytest.approx(firm.mw, rel=tol)


def _write(tmp_path, data) -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_headroom_command_writes_the_siting_frontier(tmp_path):
    data = nodal_data(tmp_path, sites="candidates", budgets_percent=[1.0])
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["headroom", _write(tmp_path, data), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "bus-9-345" in res.output and "bus-65-345" in res.output
    table = pd.read_csv(out / "headroom" / "siting_frontier.csv", comment="#")
    assert set(table.site) == {"bus-9-345", "bus-65-345"}
    assert sorted(set(table.budget_percent)) == [0.0, 1.0]
    schedule = pd.read_csv(out / "headroom" / "curtailment_schedule.csv", comment="#")
    assert (schedule.curtailed_mw > 0).all()
    for stem in ("siting_frontier", "feasible_sites", "siting_map"):
        for ext in ("png", "svg"):
            assert (out / "headroom" / "figures" / f"{stem}.{ext}").exists()
    # the brief's finding quotes the best site's firm and flexible capacity from the table
    from gridmodel.brief.findings import headroom_findings

    tree = xr.open_datatree(out / "headroom" / "headroom.nc", engine="h5netcdf")
    (finding,) = headroom_findings(tree)
    tree.close()
    best = table[(table.budget_percent == 1.0)].sort_values("hosting_capacity_mw").iloc[-1]
    firm = table[(table.site == best.site) & (table.budget_percent == 0)].hosting_capacity_mw
    values = sorted(n.value for n in finding.numbers.values())
    assert values == pytest.approx(sorted([float(firm.iloc[0]), best.hosting_capacity_mw]))
    assert best.site in finding.text()


def test_sites_of_a_voltage_level_follow_the_named_sites(tmp_path):
    """``kv`` adds every in-service bus of that level after the named sites, none twice."""
    from gridmodel.headroom.siting import resolve_sites
    from gridmodel.inputs import build_inputs

    data = nodal_data(tmp_path, kv=345.0)
    study = build_inputs(parse_scenario(data, base_dir=tmp_path))
    sites = resolve_sites(study)
    net = study.network.net
    level = net.bus.index[(net.bus.vn_kv == 345.0) & net.bus.in_service]
    level = [int(study.network.buses.bus.loc[i]) for i in level]
    assert sites[0].name == SITE and sites[0].bus == 65
    assert sorted(s.bus for s in sites) == sorted(level) and len(level) > 2
    assert all(s.kv == 345.0 for s in sites)

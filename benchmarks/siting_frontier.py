"""Siting frontier on texas2000: firm and flexible N-0 hosting capacity at the 8 candidate sites.

Goal (issue 19): under 10 minutes on this machine. The work (scenarios/texas2000-siting-frontier.yaml): a flat
campus at each candidate site of ACTIVSg2000, July-August 2016 (1,488 hours), curtailment budgets
0.25 / 0.5 / 1 % of its energy over those hours, the flexibility limits of the schema's defaults,
hourly capacities to 0.5 %. Ours: :func:`gridmodel.headroom.siting.nodal_hosting` (only the hours that can bind are
bisected, :mod:`gridmodel.headroom.nodal`). The peer is the plain per-hour search on the same
case, checks and hours: every hour bisected to the same tolerance, all hours of a site in
lockstep (one batched AC solve per step), then the same flexible capacity from the lower
brackets. Both give the same capacities (to the tolerance); the ratio is the peer's time over
ours. Run: .venv/bin/python benchmarks/siting_frontier.py
"""

from __future__ import annotations

import time

import numpy as np

from gridmodel.headroom.flexible import flexible_capacity
from gridmodel.headroom.siting import (
    flexibility_limits,
    hosted_campus,
    nodal_hosting,
    resolve_sites,
    site_problem,
)
from gridmodel.inputs import build_inputs
from gridmodel.schema import load_scenario
from gridmodel.stress.hosting import HourlyN0

SCENARIO = "texas2000-siting-frontier"  # scenarios/texas2000-siting-frontier.yaml


def peer(study) -> tuple[np.ndarray, int]:
    """Capacities (site x budget, MW; budget 0 first) by a full bisection of every hour."""
    spec = study.scenario.headroom.nodal
    budgets = [0.0, *spec.budgets_percent]
    sites, k = resolve_sites(study), hosted_campus(study)
    _, limits = flexibility_limits(study, k)
    p = site_problem(study, sites, k)
    top, tol = spec.max_mw, spec.tolerance_percent / 100
    out, solves, base = np.zeros((len(sites), len(budgets))), 0, None
    for j in range(len(sites)):
        shape = p.shape[p.rows]
        check = HourlyN0(p.case, p.inj, p.first_site + j, p.rows, p.limits, p.options, top,
                         shape, base, p.model)  # fmt: skip
        base = check.base
        ok = np.flatnonzero(base[2])
        lo, hi = np.zeros(len(ok)), np.full(len(ok), np.inf)
        while True:
            wide = np.where(np.isfinite(hi), (hi - lo > tol * hi) & (hi > tol * top), lo < top)
            if not wide.any():
                break
            rows = np.flatnonzero(wide)
            mw = np.where(np.isfinite(hi[rows]), 0.5 * (lo[rows] + hi[rows]), top)
            bad = check(mw, ok[rows]).violated
            solves += len(rows)
            hi[rows[bad]] = mw[bad]
            lo[rows[~bad]] = mw[~bad]
        hours = p.inj.hour[p.rows][ok]
        out[j] = [flexible_capacity(lo, shape[ok], hours, b / 100, limits, top).mw
                  for b in budgets]  # fmt: skip
    return out, solves


def feasible(caps: np.ndarray, mw: float) -> np.ndarray:
    """Sites hosting at least ``mw``, per budget column."""
    return (caps >= mw).sum(axis=0)


def main() -> None:
    started = time.perf_counter()  # cold: network, dispatch and compilation included
    study = build_inputs(load_scenario(SCENARIO))
    ds = nodal_hosting(study)
    ours_s = time.perf_counter() - started
    caps = ds.hosting_capacity_mw.sel(criterion="N-0").to_numpy()
    ours_solves = int(ds.hour_solves.sum())
    started = time.perf_counter()
    peer_caps, peer_solves = peer(study)
    peer_s = time.perf_counter() - started

    print(f"texas2000, {ds.attrs['hours_studied']} hours (July-August 2016), "
          f"{ds.sizes['site']} candidate sites, N-0, dispatch {ds.attrs['dispatch_rule']}, "
          f"flexibility: depth {ds.attrs['depth']:g}, events <= {ds.attrs['max_event_h']} h, "
          f"ramp {ds.attrs['ramp_s']:g} s")  # fmt: skip
    header = "site".ljust(18) + "".join(
        f"{'firm' if b == 0 else f'{b:g} %':>10}" for b in ds.budget.values
    )
    top_b = float(ds.budget.values[-1])
    print(header + f"{f'gain at {top_b:g} %':>13}{f'limited by ({top_b:g} %)':>20}{'binding':>10}")
    for j, site in enumerate(ds.site.values):
        row = ds.sel(criterion="N-0", site=site)
        gain = float(row.gain_percent.sel(budget=top_b))
        x = row.hour_violating_mw.to_numpy()
        first = int(np.argmin(x))
        binding = (f"br {int(row.binding_branch[first])}" if row.binding_branch[first] >= 0
                   else f"bus {int(row.binding_bus[first])}")  # fmt: skip
        print(str(site).ljust(18) + "".join(f"{v:10.0f}" for v in caps[j])
              + f"{gain:12.1f}%{str(row.limited_by.sel(budget=top_b).values):>20}{binding:>10}")  # fmt: skip
    for mw in (1000.0, 2000.0):
        counts = feasible(caps, mw)
        cells = ", ".join(f"{'firm' if b == 0 else f'{b:g} %'} {c}"
                          for b, c in zip(ds.budget.values, counts, strict=True))  # fmt: skip
        print(f"sites hosting {mw / 1e3:g} GW: {cells}")
    agree = np.allclose(caps, peer_caps, rtol=2 * ds.attrs["tolerance_percent"] / 100, atol=1e-6)
    print(f"ours: {ours_s:.1f} s, {ours_solves} hour solves; peer (every hour bisected): "
          f"{peer_s:.1f} s, {peer_solves} hour solves; ratio peer/ours {peer_s / ours_s:.1f}x; "
          f"same capacities (to 2 x tolerance): {agree}")  # fmt: skip
    if not agree:
        print("max relative difference:", float(np.max(np.abs(caps / np.maximum(peer_caps, 1e-9) - 1))))  # fmt: skip
    print(f"goal: under 600 s -> {'met' if ours_s < 600 else 'NOT met'}")


if __name__ == "__main__":
    main()

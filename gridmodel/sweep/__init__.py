"""Scenario sweeps and Monte Carlo over scenario fields, run on a Dask cluster.

plan = load_sweep("scenarios/ohio-bill-drivers-sweep.yaml")   # every member validated
with dask_client(workers=2) as client:
    ds = run_sweep(plan, "results", client)                    # DIR/members/, DIR/sweep/
"""

from __future__ import annotations

from pathlib import Path

import xarray as xr

from gridmodel.progress import Progress, no_progress
from gridmodel.sweep.design import Member, SweepPlan, load_sweep
from gridmodel.sweep.run import MemberResult, combine, dask_client, run_members
from gridmodel.sweep.tables import sweep_tables


def run_sweep(plan: SweepPlan, out: str | Path, client, progress: Progress = no_progress,
              figures: bool = True) -> xr.Dataset:  # fmt: skip
    """Run (or resume) every member of ``plan`` on ``client`` into ``out/members/`` and write
    the combined result into ``out/sweep/``; returns it, read back from the store. The folder's
    lock is held throughout (a second sweep into it waits), and what killed runs left in it is
    removed first."""
    from gridmodel import output

    output.check_out_folder(out, ours=output.SWEEP_PARTS)
    out = output.resolved_out(out)
    with output.out_lock(out):
        output.remove_debris(out)
        results, shared = run_members(plan, out, client, progress)
        ds = combine(plan, results, shared)
        output.write_sweep(ds, out, sweep_tables(ds), store=plan.sweep.format, figures=figures)
    return output.read_sweep(out)


__all__ = [
    "Member",
    "MemberResult",
    "SweepPlan",
    "combine",
    "dask_client",
    "load_sweep",
    "run_members",
    "run_sweep",
]

"""Running a sweep's members on a Dask cluster and combining their metrics.

Each member is one task: a :class:`gridmodel.study.Study` with ``cache=DIR/members/<id>/``, so
its stage results are written atomically and a re-run reads back every stage whose key is
unchanged. The network and the study inputs are built once on the client per distinct network
and input key (:func:`gridmodel.study.input_key`) and scattered to every worker; members that
share them receive them as task arguments.

A member that raises is a result, not an error of the sweep: its error is recorded and the others
go on. A member whose worker dies is rescheduled by the scheduler on another worker (up to
``distributed.scheduler.allowed-failures`` times, then recorded as failed); a re-run of the sweep
picks up whatever was not finished.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import xarray as xr

from gridmodel.progress import Progress, no_progress
from gridmodel.resources import options_environment
from gridmodel.sweep.design import Member, SweepPlan
from gridmodel.sweep.metrics import member_metrics, stack


@dataclass
class MemberResult:
    """What a member task returns: its metrics, or the error it raised."""

    id: str
    ok: bool
    metrics: xr.Dataset | None = None
    error: str = ""
    error_type: str = ""
    traceback: str = ""
    ran: list[str] = field(default_factory=list)  # stages computed (the rest read back)
    timings: dict[str, float] = field(default_factory=dict)  # the study's own timings (s)
    seconds: float = 0.0
    worker: str = ""


def member_folder(out: Path, member_id: str) -> Path:
    return Path(out) / "members" / member_id


def run_member(member_id: str, scenario, folder: Path, stages: list[str], figures: bool,
               network=None, inputs=None) -> MemberResult:  # fmt: skip
    """One member: its study's stages (read back where unchanged) and its metrics.

    ``network``/``inputs``: the shared network and study inputs (without the network) when the
    client built them; without them the study builds its own.
    """
    from gridmodel.study import Study

    started = time.perf_counter()
    where = f"{socket.gethostname()}:{os.getpid()}"
    study = None
    try:
        if inputs is not None:
            inputs = replace(inputs, network=network)
        study = Study(scenario, cache=folder, figures=figures, network=network, inputs=inputs)
        results = study.run_all(stages)
        try:
            metrics = member_metrics(results).load()
        finally:
            for tree in results.values():
                tree.close()
        return MemberResult(member_id, True, metrics, ran=list(study.ran), timings=study.timings,
                            seconds=time.perf_counter() - started, worker=where)  # fmt: skip
    except Exception as err:  # a member's failure is its result: the sweep goes on
        return MemberResult(
            member_id,
            False,
            error=str(err).strip().splitlines()[0] if str(err).strip() else repr(err),
            error_type=type(err).__name__,
            traceback=traceback.format_exc(),
            ran=list(study.ran) if study is not None else [],
            seconds=time.perf_counter() - started,
            worker=where,
        )


def finished(member: Member, out: Path, stages: list[str]) -> bool:
    """Every stage the member needs is stored in its folder with its current key (the rule the
    study's cache reads a result back by)."""
    import gridmodel
    from gridmodel import output
    from gridmodel.study import Study

    study = Study(member.scenario)
    folder = member_folder(out, member.id)
    return all(
        output.stored_key(folder, stage) == (study.key(stage), gridmodel.__version__)
        for stage in study.plan(stages)
    )


@dataclass
class Shared:
    """What the client built once and scattered: futures of the networks (by name) and of the
    study inputs without their network (by input key), and the members that use them."""

    networks: dict[str, object] = field(default_factory=dict)
    inputs: dict[str, object] = field(default_factory=dict)
    key_of: dict[str, str] = field(default_factory=dict)  # member id -> input key
    loaded: dict[str, object] = field(default_factory=dict)  # network name -> Network


def build_shared(members: list[Member]) -> tuple[dict, dict, dict]:
    """Load each distinct network and build each distinct set of study inputs once (raising
    ScenarioError, before anything runs, for a member whose site or profile file is wrong).
    Returns (networks by name, inputs by input key, input key by member id)."""
    from gridmodel.inputs import build_inputs, scenario_network
    from gridmodel.study import input_key

    networks, inputs, key_of = {}, {}, {}
    for member in members:
        scenario = member.scenario
        if scenario.network not in networks:
            networks[scenario.network] = scenario_network(scenario)
        key = input_key(scenario)
        key_of[member.id] = key
        if key not in inputs:
            built = build_inputs(scenario, networks[scenario.network])
            inputs[key] = replace(built, network=None)  # the network travels once, on its own
    return networks, inputs, key_of


def share(client, members: list[Member]) -> Shared:
    """:func:`build_shared` and scatter the results to every worker."""
    networks, inputs, key_of = build_shared(members)
    shared = Shared(key_of=key_of, loaded=networks)
    # every worker holds a copy: a worker's death loses none of them
    if networks:
        shared.networks = client.scatter(networks, broadcast=True, hash=False)
        shared.inputs = client.scatter(inputs, broadcast=True, hash=False)
    return shared


def _killed(member_id: str, err: Exception) -> MemberResult:
    return MemberResult(member_id, False, error=str(err).splitlines()[0] if str(err) else repr(err),
                        error_type=type(err).__name__)  # fmt: skip


def run_members(plan: SweepPlan, out: Path, client, progress: Progress = no_progress
                ) -> tuple[dict[str, MemberResult], Shared]:  # fmt: skip
    """Run every distinct member of ``plan`` on ``client``; members already finished are only
    read back. Returns each member's result by id and what was shared."""
    from distributed import as_completed

    out = Path(out)
    distinct = plan.distinct
    todo = [m for m in distinct.values() if not finished(m, out, plan.stages)]
    shared = share(client, todo)
    figures = plan.sweep.member_figures
    futures = {}
    for member in distinct.values():
        key = shared.key_of.get(member.id)
        args = (member.id, member.scenario, member_folder(out, member.id), plan.stages, figures)
        if key is not None:
            args += (shared.networks[member.scenario.network], shared.inputs[key])
        future = client.submit(run_member, *args, key=f"member-{member.id}-{time.time_ns()}")
        futures[future] = member.id
    total = len(futures)
    progress("sweep members", 0, total)
    results = {}
    for future in as_completed(futures):
        member_id = futures[future]
        try:
            results[member_id] = future.result()
        except Exception as err:  # the scheduler gave up (KilledWorker) or the task was lost
            results[member_id] = _killed(member_id, err)
        progress("sweep members", 1, total)
    return results, shared


# ---------------------------------------------------------------------------------------------
# The combined result


def _axis_coord(values: list) -> np.ndarray:
    """An axis's values as one array: numbers stay numbers, anything else is written as text."""
    if all(isinstance(v, bool | int | float) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=float if any(isinstance(v, float) for v in values) else int)
    return np.asarray([v if isinstance(v, str) else repr(v) for v in values], dtype=str)


def _site_layout(plan: SweepPlan, shared: Shared) -> xr.Dataset | None:
    """The sites swept and the network's branches (for the siting map), when an axis sets a
    campus site and every member is on one network."""
    from gridmodel.inputs import scenario_network
    from gridmodel.networks.layout import map_layout

    site_axes = [a for a in plan.sweep.axes if any(p.endswith(".site") for p in a.paths)]
    names = {m.scenario.network for m in plan.members}
    if not site_axes or len(names) != 1:
        return None
    (name,) = names
    network = shared.loaded.get(name) or scenario_network(plan.base)
    sites = sorted({str(m.values[a.label]) for m in plan.members for a in site_axes})
    site_bus = xr.DataArray(
        [network.descriptor.site(s).bus for s in sites],
        dims="network_site",
        coords={"network_site": np.asarray(sites, dtype=str)},
        attrs={"long_name": "case bus number of the site"},
    )
    return map_layout(network).assign(network_site_bus=site_bus).assign_attrs(network=name)


def combine(plan: SweepPlan, results: dict[str, MemberResult], shared: Shared) -> xr.Dataset:
    """One Dataset along ``member`` (the design's draws, in order): each axis's values and the
    member's id as coordinates, its status and error, and every metric of its stage results."""
    import yaml

    import gridmodel

    rows = [results[m.id] for m in plan.members]
    ds = stack([r.metrics if r.ok else None for r in rows])
    coords = {"member_id": ("member", np.asarray([m.id for m in plan.members], dtype=str))}
    for axis in plan.sweep.axes:
        values = [m.values[axis.label] for m in plan.members]
        coords[axis.label] = ("member", _axis_coord(values), {"path": ", ".join(axis.paths)})
    ds = ds.assign_coords(coords)
    ds["status"] = ("member", np.asarray(["ok" if r.ok else "failed" for r in rows], dtype=str))
    ds["error"] = ("member", np.asarray([f"{r.error_type}: {r.error}" if not r.ok else "" for r in rows], dtype=str))  # fmt: skip
    ds["seconds"] = ("member", np.asarray([r.seconds for r in rows], float), {"units": "s", "long_name": "wall time of the member task"})  # fmt: skip
    ds["stages_run"] = ("member", np.asarray([",".join(r.ran) for r in rows], dtype=str),
                        {"long_name": "stages computed in this run (the others read back)"})  # fmt: skip
    layout = _site_layout(plan, shared)
    if layout is not None:
        ds = ds.merge(layout)
    sweep = plan.sweep
    ds.attrs.update(
        {
            "Conventions": "CF-1.10",
            "title": f"gridmodel sweep: {sweep.name}",
            "description": sweep.description,
            "scenario": sweep.name,
            "scenario_hash": _text_hash(plan.text),
            "sweep_text": plan.text,
            "base_scenario": plan.base.name,
            "base_scenario_text": yaml.safe_dump(
                plan.base.model_dump(mode="json"), sort_keys=False
            ),
            "design": sweep.design.kind,
            "design_seed": sweep.design.seed,
            "stages": ",".join(plan.stages),
            "network": ",".join(sorted({m.scenario.network for m in plan.members})),
            "axes": ",".join(a.label for a in sweep.axes),
            "gridmodel_version": gridmodel.__version__,
            "stage": "sweep",
            "input_hash": _text_hash(plan.text),
        }
    )
    return ds


def _text_hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------
# Clusters


@contextmanager
def dask_client(workers: int | None = None, scheduler: str | None = None) -> Iterator:
    """A Dask client: of the cluster at ``scheduler``, else of a new local cluster of ``workers``
    processes (one thread each: a member's solvers use one core, ``GRIDMODEL_THREADS=1``; the
    other options of :func:`gridmodel.set_options` passed on) on the loopback interface."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler) as client:
            client.wait_for_workers(1, timeout=120)
            yield client
        return
    n = workers or max(1, len(os.sched_getaffinity(0)))
    with (
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            env={**options_environment(), "GRIDMODEL_THREADS": "1"},
            silence_logs=logging.ERROR,
        ) as cluster,  # fmt: skip
        Client(cluster) as client,
    ):
        yield client

"""The profile stage: campus load profiles at a fine resolution, their metrics and compliance.

The fine profile is returned lazily (a dask array generated chunk by chunk, each chunk an exact
integral of the load model), so a year at 1 s is written without ever being whole in memory;
the metrics stream over the same chunks.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import dask
import dask.array as dsa
import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.io import table_dataset
from gridmodel.loads.metrics import ProfileMetrics, coincidence_factor, compliance_report
from gridmodel.loads.profile import HOUR_S, CampusLoad, build_campus_load
from gridmodel.progress import Progress, no_progress
from gridmodel.schema import Mitigation, ScenarioError
from gridmodel.schema.profile import ProfileOutput

if TYPE_CHECKING:
    from gridmodel.inputs import StudyInputs

SPECTRUM_S = 600.0  # profile length behind the spectrum figure, at 10 ms
WEEK_S = 7 * 24 * HOUR_S

log = logging.getLogger(__name__)


def chunk_seconds(resolution_s: float) -> float:
    """About a million samples per chunk, in whole hours, at most a day."""
    return min(24 * HOUR_S, max(HOUR_S, (resolution_s * 2**20) // HOUR_S * HOUR_S))


def _chunk(load: CampusLoad, start_s: float, duration_s: float, resolution_s: float):
    """Grid-side and IT MW of one chunk as float32 copies (the model reuses its work arrays)."""
    return tuple(a.astype(np.float32) for a in load.arrays(start_s, duration_s, resolution_s))


def _lazy_profile(load: CampusLoad, start_s: float, duration_s: float, resolution_s: float):
    """Grid-side and IT MW per interval as dask arrays, one chunk per :func:`chunk_seconds`."""
    chunk_s = chunk_seconds(resolution_s)
    starts = np.arange(start_s, start_s + duration_s - 1e-9, chunk_s)
    parts = {"p_mw": [], "p_it_mw": []}
    for t in starts:
        length = min(chunk_s, start_s + duration_s - t)
        n = round(length / resolution_s)
        pair = dask.delayed(_chunk, pure=False, nout=2)(load, t, length, resolution_s)
        for name, values in zip(parts, pair, strict=True):
            parts[name].append(dsa.from_delayed(values, (n,), dtype=np.float32))
    return {name: dsa.concatenate(chunks) for name, chunks in parts.items()}


def _stream_metrics(load, start_s, duration_s, resolution_s, progress, task, total):
    acc = ProfileMetrics(resolution_s)
    for _, p_mw, _ in load.chunk_arrays(
        start_s, duration_s, resolution_s, chunk_seconds(resolution_s)
    ):
        acc.update(p_mw)
        progress(task, len(p_mw), total)
    return acc  # fmt: skip


def _zoom_hour(load: CampusLoad, start_s: float, end_s: float) -> float:
    """Start of the first hour in [start_s, end_s) with an unplanned interruption, else start_s."""
    ev = load.events
    hit = ev[(ev.kind == "interruption") & (ev.time_s >= start_s) & (ev.time_s < end_s)]
    return float(hit.time_s.iloc[0] // HOUR_S * HOUR_S) if len(hit) else start_s


def zoom_views(load: CampusLoad, start_s: float, duration_s: float) -> xr.DataTree:
    """Period (hourly) → week (1 min) → hour (1 s) → 10 s (10 ms), each inside the last."""
    week_s = min(WEEK_S, duration_s)
    hour_s = _zoom_hour(load, start_s, start_s + week_s)
    windows = {
        "period": (start_s, duration_s, HOUR_S),
        "week": (start_s, week_s, 60.0),
        "hour": (hour_s, HOUR_S, 1.0),
        "ten_seconds": (hour_s + 60.0, 10.0, 0.01),
    }
    return xr.DataTree.from_dict(
        {
            name: load.profile(t, length, step)[["p_mw"]].assign_attrs(resolution_s=step)
            for name, (t, length, step) in windows.items()
        }
    )


def _without_mitigation(load: CampusLoad) -> CampusLoad:
    # same seed and events; flexibility is left out (the spectrum compares mitigation only)
    model = load.model.model_copy(update={"mitigation": Mitigation(), "flexibility": None})
    hours = int(np.ceil(load.horizon_s / HOUR_S))
    return build_campus_load(model, hours, seed=load.seed, year=load.year)


def spectra(load: CampusLoad, start_s: float) -> xr.Dataset:
    """10-ms spectra over the first minutes of the period, with and without mitigation."""
    cases = {"as configured": load}
    if load.model.mitigation != Mitigation():
        cases = {"no mitigation": _without_mitigation(load), "with mitigation": load}
    out = []
    for case in cases.values():
        acc = ProfileMetrics(0.01)
        acc.update(case.profile(start_s, SPECTRUM_S, 0.01).p_mw.to_numpy())
        out.append(acc.spectrum())
    psd = xr.concat(out, dim=pd.Index(list(cases), name="case"))
    return psd.to_dataset(name="psd_mw2_per_hz").assign(
        psd_mw2_per_hz=lambda d: d.psd_mw2_per_hz.assign_attrs(units="MW2/Hz")
    )


def _events_table(load: CampusLoad, name: str, start_s: float, end_s: float) -> pd.DataFrame:
    ev = load.events[(load.events.time_s >= start_s) & (load.events.time_s < end_s)]
    parts = [ev.assign(campus=name)]
    if len(load.curtailments):
        cur = load.curtailments.rename(columns={"start_s": "time_s"})
        parts.append(cur.assign(campus=name, kind="curtailment", job=-1))
    return pd.concat(parts, ignore_index=True)


def check(study: StudyInputs) -> None:
    """Refuse, before any work, a profile stage with nothing to profile."""
    if not study.campus_loads:
        raise ScenarioError(
            "field 'campuses': no campus has `profile: {kind: model}`; nothing to profile"
        )


def profile(study: StudyInputs, progress: Progress = no_progress) -> xr.DataTree:
    """Fine-resolution profiles of every ``model`` campus over the scenario's `profile` window.

    Groups: ``profile`` (campus, time; lazy), ``hourly`` (campus, time), ``metrics``,
    ``compliance`` and ``events`` tables, ``views/<campus>`` (zoomed windows) and
    ``spectra/<campus>``.
    """
    check(study)
    spec = study.scenario.profile or ProfileOutput()
    loads = study.campus_loads
    period = study.period
    hours = len(period) if spec.hours is None else min(spec.hours, len(period))
    resolution_s = spec.resolution_s
    start_s, duration_s = period[0] * HOUR_S, hours * HOUR_S
    n = round(duration_s / resolution_s)
    task = f"profile at {resolution_s:g} s"
    system = study.inputs.system_load_mw.to_numpy()[period[0] : period[0] + hours]
    names = list(loads)
    rows, compliance, events, views, psd, fine = [], [], [], {}, {}, []
    for name, load in loads.items():
        log.info("profile: %s, %d samples at %g s", name, n, resolution_s)
        acc = _stream_metrics(load, start_s, duration_s, resolution_s, progress, task, n * len(loads))  # fmt: skip
        metrics = acc.result()
        hourly = load.profile(start_s, duration_s, HOUR_S).p_mw.to_numpy()
        metrics["hourly_load_factor"] = float(hourly.mean() / hourly.max())
        metrics["coincidence_system_peak"] = coincidence_factor(hourly, system, top=1)
        metrics["coincidence_top10_system_hours"] = coincidence_factor(hourly, system, top=10)
        ev = _events_table(load, name, start_s, start_s + duration_s)
        days = duration_s / 86400.0
        metrics["interruptions_per_day"] = float(ev.kind.str.contains("interruption").sum() / days)  # fmt: skip
        metrics["checkpoints_per_day"] = float((ev.kind == "checkpoint").sum() / days)
        metrics["rated_mw"] = load.rated_mw
        rows += [{"campus": name, "metric": k, "value": v} for k, v in metrics.items()]
        compliance.append(compliance_report(metrics, load.model.compliance).assign(campus=name))
        events.append(ev)
        views[name] = zoom_views(load, start_s, duration_s)
        psd[name] = spectra(load, start_s)
        fine.append(_lazy_profile(load, start_s, duration_s, resolution_s))
    step = np.timedelta64(round(resolution_s * 1000), "ms")
    time = study.inputs.time.values[period[0]] + step * np.arange(n)
    fine_ds = xr.Dataset(
        {
            "p_mw": (("campus", "time"), dsa.stack([f["p_mw"] for f in fine]),
                     {"units": "MW", "long_name": "grid-side campus load, mean over the interval"}),
            "p_it_mw": (("campus", "time"), dsa.stack([f["p_it_mw"] for f in fine]),
                        {"units": "MW", "long_name": "IT load, mean over the interval"}),
        },
        coords={"campus": names, "time": ("time", time, {"long_name": "start of interval"})},
        attrs={"resolution_s": resolution_s,
               "rated_mw": [loads[c].rated_mw for c in names],
               "seed": [loads[c].seed for c in names]},
    )  # fmt: skip
    hourly_ds = (
        study.inputs.campus_p_mw.sel(campus=names)
        .isel(time=slice(period[0], period[0] + hours))
        .T.to_dataset(name="p_mw")
    )
    tables = {
        "metrics": pd.DataFrame(rows),
        "compliance": pd.concat(compliance, ignore_index=True),
        "events": pd.concat(events, ignore_index=True),
    }
    tree = {
        "/": xr.Dataset(attrs={"resolution_s": resolution_s, "start_s": start_s,
                               "duration_s": duration_s, "jobs": [loads[c].model.jobs for c in names]}),
        "/profile": fine_ds,
        "/hourly": hourly_ds,
        **{f"/{k}": table_dataset(v, "row") for k, v in tables.items()},
        **{f"/spectra/{name}": ds for name, ds in psd.items()},
    }  # fmt: skip
    out = xr.DataTree.from_dict(tree)
    for name, view in views.items():
        out[f"views/{name}"] = view
    return out

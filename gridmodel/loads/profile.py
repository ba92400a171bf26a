"""Campus electrical load at any resolution from 10 ms to 1 h.

The campus load is a function of continuous time: per job, a piecewise-linear power level plus the
iteration swing; inference load by hour plus a second-by-second fluctuation; facility losses,
auxiliaries and cooling that lags IT power. Every layer has an exact integral, and a sample is the
integral over its interval divided by its length. The hourly mean of a 10 ms profile is therefore
the hourly profile with the same seed, by construction.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from numba import njit

from gridmodel import __version__
from gridmodel.datafiles import read_csv_columns
from gridmodel.loads.flexibility import curtailment_events, curtailment_multiplier
from gridmodel.loads.kernels import fluctuation_integrals, swing_integrals
from gridmodel.loads.signal import (
    PiecewiseLinear,
    _integrals,
    _lag_at,
    _lag_at_breakpoints,
    combine,
)
from gridmodel.loads.timeline import JobTimeline, events_table, job_levels, job_timeline
from gridmodel.loads.waveform import IterationShape, iteration_shape
from gridmodel.schema import ModelProfile

HOUR_S = 3600.0


@dataclass(frozen=True)
class JobSwing:
    """What the compiled swing integral needs for one job (arrays in s and MW)."""

    seg_start: np.ndarray
    seg_end: np.ndarray
    period_s: float
    jitter_s: float
    key: int
    env: PiecewiseLinear  # MW per unit of the per-GPU zero-mean shape, i.e. gpus/1e6 x envelope
    shape: IterationShape

    def add_integrals(self, edges: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Add the swing's integral from edges[0] to each edge into ``out`` (MW·s)."""
        sh = self.shape
        return swing_integrals(
            edges,
            self.seg_start,
            self.seg_end,
            self.period_s,
            self.jitter_s,
            self.key,
            self.env.t,
            self.env.v,
            sh.x,
            sh.swing_w,
            sh.swing_integral,
            out,
        )


@dataclass(frozen=True)
class CampusLoad:
    """A campus's load drawn for one seed over ``horizon_s``; evaluate with :meth:`profile`."""

    model: ModelProfile
    seed: int
    horizon_s: float
    year: int
    it_level: PiecewiseLinear  # MW, jobs and inference, curtailment applied
    lag_state: np.ndarray  # cooling lag of it_level at its breakpoints (MW)
    swings: tuple[JobSwing, ...]
    fluctuation_mw: float
    fluctuation_key: int
    cooling_per_hour: np.ndarray  # cooling MW per MW of lagged IT, by hour
    design_it_mw: float
    events: pd.DataFrame
    curtailments: pd.DataFrame
    shape: IterationShape | None
    _workspace: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def rated_mw(self) -> float:
        """Grid-side design peak: design IT x PUE (MW)."""
        return self.design_it_mw * self.model.facility.pue

    def energy(self, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """IT and facility energy in each interval between ``edges`` (MW·s)."""
        edges = np.ascontiguousarray(edges, dtype=float)
        level, it, lagged = self._buffers(len(edges))
        _integrals(self.it_level.t, self.it_level.v, edges, level)
        it[:] = level
        for swing in self.swings:
            swing.add_integrals(edges, it)
        if self.fluctuation_mw > 0:
            fluctuation_integrals(edges, self.fluctuation_key, 1.0, 3600, self.fluctuation_mw, it)
        fac = self.model.facility
        _lag_at(self.it_level.t, self.it_level.v, self.lag_state, fac.cooling_lag_s, edges, lagged)
        return _bin_energy(
            edges,
            it,
            level,
            lagged,
            self.cooling_per_hour,
            fac.cooling_lag_s,
            fac.distribution_loss_frac,
            fac.auxiliary_frac * self.design_it_mw,
        )

    def _space(self) -> dict:
        """This thread's work arrays (chunks may be evaluated on several threads at once)."""
        return self._workspace.setdefault(threading.get_ident(), {})

    def _buffers(self, n: int) -> list[np.ndarray]:
        """Work arrays reused across calls of the same length (no page faults per chunk)."""
        space = self._space()
        if space.get("n") != n:
            space.update(n=n, arrays=[np.empty(n) for _ in range(3)])
        return space["arrays"]

    def _edges(self, start_s: float, resolution_s: float, n: int) -> np.ndarray:
        space = self._space()
        ticks = space.get("ticks")
        if ticks is None or len(ticks) != n:
            ticks = space["ticks"] = np.arange(n, dtype=float)
        return start_s + resolution_s * ticks

    def arrays(
        self, start_s: float, duration_s: float, resolution_s: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Mean grid-side and IT power per interval (MW, MW) as plain arrays."""
        n = round(duration_s / resolution_s)
        it_e, fac_e = self.energy(self._edges(start_s, resolution_s, n + 1))
        it_e /= resolution_s
        fac_e /= resolution_s
        return fac_e, it_e

    def profile(
        self, start_s: float, duration_s: float, resolution_s: float, name: str = "campus"
    ) -> xr.Dataset:
        """Mean grid-side (``p_mw``) and IT (``p_it_mw``) power per interval, MW."""
        p_mw, it_mw = self.arrays(start_s, duration_s, resolution_s)
        return self._dataset(start_s, it_mw, p_mw, resolution_s, name)

    def chunk_arrays(
        self, start_s: float, duration_s: float, resolution_s: float, chunk_s: float = HOUR_S
    ) -> Iterator[tuple[float, np.ndarray, np.ndarray]]:
        """(chunk start, p_mw, p_it_mw) over consecutive chunks of about ``chunk_s``."""
        chunk_s = max(resolution_s, round(chunk_s / resolution_s) * resolution_s)
        t = start_s
        end = start_s + duration_s
        while t < end - 1e-9:
            length = min(chunk_s, end - t)
            yield (t, *self.arrays(t, length, resolution_s))
            t += length

    def chunks(
        self, start_s: float, duration_s: float, resolution_s: float, chunk_s: float = HOUR_S
    ) -> Iterator[xr.Dataset]:
        """The profile as consecutive Datasets of about ``chunk_s`` each."""
        for t, p_mw, it_mw in self.chunk_arrays(start_s, duration_s, resolution_s, chunk_s):
            yield self._dataset(t, it_mw, p_mw, resolution_s, "campus")

    def _dataset(self, start_s, it_mw, p_mw, resolution_s, name) -> xr.Dataset:
        step_ms = round(resolution_s * 1e3)
        offset_ms = round(start_s * 1e3) + step_ms * np.arange(len(p_mw), dtype="int64")
        time = np.datetime64(f"{self.year}-01-01", "ns") + offset_ms.astype("timedelta64[ms]")
        ds = xr.Dataset(
            {
                "p_mw": ("time", p_mw, {"units": "MW", "long_name": "grid-side campus load"}),
                "p_it_mw": ("time", it_mw, {"units": "MW", "long_name": "IT load"}),
            },
            coords={"time": time},
        )
        ds["time"].attrs["long_name"] = "start of interval"
        ds.attrs.update(self.attrs(resolution_s, name))
        return ds

    @cached_property
    def parameters_json(self) -> str:
        return json.dumps(self.model.model_dump(mode="json"), sort_keys=True)

    def attrs(self, resolution_s: float, name: str) -> dict:
        return {
            "campus": name,
            "resolution_s": resolution_s,
            "seed": self.seed,
            "rated_mw": self.rated_mw,
            "design_it_mw": self.design_it_mw,
            "parameters": self.parameters_json,
            "gridmodel_version": __version__,
        }


@njit(cache=True)
def _bin_energy(edges, it, level, lagged, cooling_per_hour, tau, loss, aux_mw):
    """IT and facility energy per bin (MW·s) from integrals at the edges.

    Facility = (1 + loss)·IT + c_h·∫y + aux, with y the cooling lag of the IT level
    (τ·y' = x - y, so ∫y = ∫x - τ·Δy) and c_h the cooling coefficient of the bin's hour.
    """
    n = len(edges) - 1
    it_e = np.empty(n)
    fac_e = np.empty(n)
    last_hour = len(cooling_per_hour) - 1
    for i in range(n):
        dt = edges[i + 1] - edges[i]
        e_it = it[i + 1] - it[i]
        cooled = level[i + 1] - level[i] - tau * (lagged[i + 1] - lagged[i])
        hour = min(int(edges[i] * (1.0 / 3600.0)), last_hour)
        it_e[i] = e_it
        fac_e[i] = (1 + loss) * e_it + cooling_per_hour[hour] * cooled + aux_mw * dt
    return it_e, fac_e


def _inference_level(model: ModelProfile, horizon_s: float, year: int) -> PiecewiseLinear:
    """Inference IT power (MW) at hour midpoints: diurnal raised cosine, weekend factor."""
    inf, gpu = model.inference, model.gpu
    hours = np.arange(int(np.ceil(horizon_s / HOUR_S)) + 2)
    mid = hours + 0.5
    diurnal = 0.5 * (1 + np.cos(2 * np.pi * ((mid % 24) - inf.peak_hour) / 24))
    weekday = (pd.Timestamp(f"{year}-01-01").dayofweek + hours // 24) % 7
    swing = np.where(weekday >= 5, inf.weekend_factor, 1.0) * diurnal
    utilisation = inf.utilisation_min + (inf.utilisation_max - inf.utilisation_min) * swing
    idle = gpu.idle_frac * gpu.tdp_w
    per_gpu_w = gpu.other_it_w + idle + (gpu.tdp_w - idle) * utilisation
    return PiecewiseLinear(mid * HOUR_S, inf.gpus * per_gpu_w / 1e6)


def _cooling_per_hour(model: ModelProfile, hours: int, temperature_c: np.ndarray | None):
    fac = model.facility
    base = fac.pue - 1 - fac.distribution_loss_frac - fac.auxiliary_frac
    if temperature_c is None:
        return np.full(hours, base)
    rel = 1 + fac.cooling_temp_coeff * (np.asarray(temperature_c[:hours]) - fac.reference_temp_c)
    return base * np.clip(rel, 0, None)


def _stream_key(seed: int, *labels: int) -> int:
    state = np.random.SeedSequence([seed, *labels]).generate_state(1, np.uint64)[0]
    return int(state) & (2**63 - 1)  # passes to compiled code as int64


def build_campus_load(
    model: ModelProfile,
    hours: int,
    seed: int = 0,
    year: int = 2016,
    system_load_mw: np.ndarray | None = None,
    temperature_c: np.ndarray | None = None,
) -> CampusLoad:
    """Draw the campus's events for hours [0, ``hours``) of ``year`` from ``seed``.

    ``system_load_mw`` (hourly, same hours) places flexibility events on the highest-load days;
    ``temperature_c`` (hourly) drives cooling.
    """
    if temperature_c is not None and len(temperature_c) < hours:
        raise ValueError(
            f"facility.temperature_csv has {len(temperature_c)} hours, the profile needs {hours}"
        )
    horizon_s = hours * HOUR_S
    end_s = horizon_s + 2 * 86400.0
    gpu, wf, mit = model.gpu, model.waveform, model.mitigation
    gpus_per_job = [
        model.gpus // model.jobs + (j < model.gpus % model.jobs) for j in range(model.jobs)
    ]
    storage_w = storage_j = 0.0
    if mit.storage is not None and model.gpus > 0:
        storage_w = mit.storage.power_mw * 1e6 / model.gpus
        storage_j = mit.storage.energy_mwh * 3.6e9 / model.gpus
    shape = iteration_shape(gpu, wf, mit, storage_w, storage_j) if model.gpus else None

    jobs: list[JobTimeline] = []
    for j, n in enumerate(gpus_per_job if model.gpus else []):
        levels = job_levels(gpu, model.lifecycle, mit, shape.mean_w, wf.edge_s)
        rng = np.random.default_rng([seed, 1, j])
        jobs.append(job_timeline(n, model.lifecycle, levels, horizon_s, rng))

    design_it_mw = (model.gpus + model.inference.gpus) * (gpu.tdp_w + gpu.other_it_w) / 1e6
    parts = [
        PiecewiseLinear(np.asarray(job.level_t), np.asarray(job.level_w) * job.gpus / 1e6)
        for job in jobs
    ]
    if model.inference.gpus:
        parts.append(_inference_level(model, end_s, year))
    level = combine(parts) if len(parts) > 1 else parts[0]

    curtail = pd.DataFrame(columns=["start_s", "duration_s", "depth"])
    multiplier = None
    if model.flexibility is not None:
        if system_load_mw is None:
            raise ValueError("flexibility needs the system's hourly load (the scenario's network)")
        mean_it = level.integrals(np.array([0.0, horizon_s]))[1] / horizon_s
        curtail = curtailment_events(model.flexibility, np.asarray(system_load_mw)[:hours], mean_it)
        multiplier = curtailment_multiplier(curtail, model.flexibility.ramp_s, end_s)
        level = combine([level, multiplier], np.multiply)

    swings = []
    for j, job in enumerate(jobs):
        env = PiecewiseLinear(np.asarray(job.env_t), np.asarray(job.env_v) * job.gpus / 1e6)
        if multiplier is not None:
            env = combine([env, multiplier], np.multiply)
        swings.append(
            JobSwing(
                np.asarray(job.seg_start),
                np.asarray(job.seg_end),
                shape.period_s,
                wf.jitter * shape.period_s,
                _stream_key(seed, 2, j),
                env,
                shape,
            )
        )
    fluct = (
        model.inference.noise_frac * model.inference.gpus * gpu.tdp_w * (1 - gpu.idle_frac) / 1e6
    )
    lag_state = _lag_at_breakpoints(level.t, level.v, model.facility.cooling_lag_s)
    return CampusLoad(
        model=model,
        seed=seed,
        horizon_s=horizon_s,
        year=year,
        it_level=level,
        lag_state=lag_state,
        swings=tuple(swings),
        fluctuation_mw=fluct,
        fluctuation_key=_stream_key(seed, 3),
        cooling_per_hour=_cooling_per_hour(model, hours + 49, _extend(temperature_c, hours + 49)),
        design_it_mw=design_it_mw,
        events=events_table(jobs, horizon_s),
        curtailments=curtail,
        shape=shape,
    )


def _extend(values: np.ndarray | None, n: int) -> np.ndarray | None:
    """Hourly values padded with the last one to n hours (events reach past the horizon)."""
    if values is None:
        return None
    values = np.asarray(values, float)
    return np.concatenate([values, np.full(max(0, n - len(values)), values[-1])])


def read_temperature(path: Path, field: str = "facility.temperature_csv") -> np.ndarray:
    """Hourly ambient temperature (°C) from a CSV with a ``temp_c`` column (-60 to 60 °C)."""
    return read_csv_columns(path, ["temp_c"], field, lo=-60.0, hi=60.0)[:, 0]

"""Write long campus profiles to NetCDF chunk by chunk, with memory bounded by the chunk."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import h5netcdf
import h5py
import numpy as np

from gridmodel.io import atomic_path
from gridmodel.loads.profile import HOUR_S, CampusLoad


def write_profiles(
    loads: dict[str, CampusLoad],
    target: Path,
    start_s: float,
    duration_s: float,
    resolution_s: float,
    chunk_s: float = HOUR_S,
    on_chunk: Callable[[str, np.ndarray, np.ndarray], None] | None = None,
) -> Path:
    """``p_mw`` and ``p_it_mw`` (campus, time) at ``resolution_s`` into ``target`` (atomic).

    Chunks of ``chunk_s`` are generated and written one at a time; ``on_chunk(campus, p_mw,
    p_it_mw)`` sees each chunk (for streaming metrics and progress).
    """
    n = round(duration_s / resolution_s)
    names = list(loads)
    first = next(iter(loads.values()))
    step_ms = round(resolution_s * 1e3)
    with atomic_path(target) as tmp, h5netcdf.File(tmp, "w") as f:
        f.dimensions = {"time": n, "campus": len(names)}
        time = f.create_variable(
            "time", ("time",), "i8", chunks=(min(n, 1 << 20),), compression="gzip", shuffle=True
        )
        time.attrs.update(
            units=f"milliseconds since {first.year}-01-01 00:00:00",
            calendar="proleptic_gregorian",
            long_name="start of interval",
        )
        campus = f.create_variable("campus", ("campus",), h5py.string_dtype())
        campus[:] = np.array(names, dtype=object)
        chunks = (1, min(n, 1 << 18))
        out = {
            var: f.create_variable(
                var, ("campus", "time"), "f4", chunks=chunks, compression="gzip", shuffle=True
            )
            for var in ("p_mw", "p_it_mw")
        }
        out["p_mw"].attrs.update(units="MW", long_name="grid-side campus load")
        out["p_it_mw"].attrs.update(units="MW", long_name="IT load")
        f.attrs.update(
            {k: v for k, v in first.attrs(resolution_s, names[0]).items() if k != "campus"}
        )
        f.attrs["parameters"] = json.dumps(
            {
                name: json.loads(load.attrs(resolution_s, name)["parameters"])
                for name, load in loads.items()
            }
        )
        f.attrs["rated_mw"] = json.dumps({name: load.rated_mw for name, load in loads.items()})
        f.attrs["seed"] = json.dumps({name: load.seed for name, load in loads.items()})
        pos = 0
        streams = {
            name: load.chunk_arrays(start_s, duration_s, resolution_s, chunk_s)
            for name, load in loads.items()
        }
        while pos < n:
            length = 0
            for c, name in enumerate(names):
                _, p_mw, it_mw = next(streams[name])
                length = len(p_mw)
                out["p_mw"][c, pos : pos + length] = p_mw.astype("f4")
                out["p_it_mw"][c, pos : pos + length] = it_mw.astype("f4")
                if on_chunk is not None:
                    on_chunk(name, p_mw, it_mw)
            start_ms = round(start_s * 1e3)
            time[pos : pos + length] = start_ms + step_ms * np.arange(pos, pos + length, dtype="i8")
            pos += length
    return target

"""Campus load generation speed and memory: one hour at 10 ms and a year at 1 s in chunks.

Goal (issue 3): >= 20 million samples/s on one core, memory bounded by the chunk size.
The reference line is NumPy's ``np.interp`` of the campus's IT level at the same sample times:
one vectorised pass with no swing, lifecycle, facility or exact integration, i.e. a floor for
any sampled implementation. Run: .venv/bin/python benchmarks/load_profile.py
"""

from __future__ import annotations

import os
import time
import tracemalloc

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from gridmodel.loads.profile import build_campus_load  # noqa: E402
from gridmodel.schema import ModelProfile  # noqa: E402

GPUS = 100_000
HOUR = 3600.0


def timed(fn, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    model = ModelProfile(gpus=GPUS, inference={"gpus": 10_000})
    start = time.perf_counter()
    load = build_campus_load(model, 8784, seed=0)
    print(
        f"100,000-GPU campus, 8,784-h event timeline drawn in {time.perf_counter() - start:.2f} s"
    )
    load.profile(HOUR, HOUR, 0.01)  # compile

    n = 360_000
    edges = HOUR * 100 + 0.01 * np.arange(n + 1)
    ours = timed(lambda: load.arrays(HOUR * 100, HOUR, 0.01))
    labelled = timed(lambda: load.profile(HOUR * 100, HOUR, 0.01))
    floor = timed(lambda: np.interp(edges, load.it_level.t, load.it_level.v))
    print(f"one hour at 10 ms ({n:,} samples): {ours * 1e3:.1f} ms = {n / ours / 1e6:.1f} M samples/s"
          f" as arrays, {n / labelled / 1e6:.1f} M samples/s as an xarray Dataset; np.interp of "
          f"the level alone: {n / floor / 1e6:.0f} M samples/s (ours {ours / floor:.1f}x slower)")  # fmt: skip

    for chunk_h in (1, 6, 24):
        tracemalloc.start()
        samples = 0
        start = time.perf_counter()
        for _, p_mw, _ in load.chunk_arrays(0, 8784 * HOUR, 1.0, chunk_h * HOUR):
            samples += len(p_mw)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"year at 1 s in {chunk_h:>2}-h chunks: {samples:,} samples in {elapsed:.1f} s = "
              f"{samples / elapsed / 1e6:.1f} M samples/s, peak traced memory {peak / 2**20:.1f} MiB "
              f"(chunk {chunk_h * 3600 * 8 * 2 / 2**20:.2f} MiB of output)")  # fmt: skip


if __name__ == "__main__":
    main()

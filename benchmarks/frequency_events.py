"""Benchmark: aggregated load-loss events (vectorised) against one ANDES time-domain event.

Goal (issue): 1,000 aggregated load-loss events in under 1 s. The peer is ANDES on its IEEE
14-bus dynamic case (GENROU + TGOV1): its runtime per event, and the ratio per event.

    .venv/bin/python benchmarks/frequency_events.py
"""

from __future__ import annotations

import time

import numpy as np

from gridmodel.dynamics.andes_twin import load_loss, matched_system
from gridmodel.dynamics.frequency import metrics, simulate, system


def main() -> None:
    ercot = system("ercot")
    simulate(ercot, [-1.0], t_end_s=1.0)  # compile the kernel
    lost = np.linspace(50.0, 3000.0, 1000)
    started = time.perf_counter()
    m = metrics(simulate(ercot, -lost, t_end_s=30.0, dt_s=0.005), {"61.2": 61.2})
    ours = time.perf_counter() - started
    print(f"ours: 1,000 ERCOT load-loss events, 30 s at 5 ms: {ours:.3f} s "
          f"({1e3 * ours / len(lost):.2f} ms per event); zenith {float(m.zenith_hz.min()):.3f}-"
          f"{float(m.zenith_hz.max()):.3f} Hz")  # fmt: skip

    started = time.perf_counter()
    event = load_loss(1, t_end_s=21.0)
    andes_total = time.perf_counter() - started
    agg = matched_system(event.system)
    started = time.perf_counter()
    simulate(agg, [-event.lost_mw], t_end_s=20.0)
    ours_one = time.perf_counter() - started
    print(
        f"ANDES IEEE 14-bus, one {event.lost_mw:.0f} MW load loss, 20 s: setup "
        f"{event.setup_s:.2f} s + time domain {event.simulate_s:.2f} s = {andes_total:.2f} s"
    )
    print(f"ours, same event on the matched aggregated model: {1e3 * ours_one:.2f} ms")
    print(
        f"per-event ratio ANDES / ours (batch of 1,000): {andes_total / (ours / len(lost)):,.0f}x"
    )
    print(f"goal 1,000 events < 1 s: {'met' if ours < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()

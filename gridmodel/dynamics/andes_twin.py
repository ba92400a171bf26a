"""Time-domain twin in ANDES: the same load-loss event on a dynamic case ANDES ships.

The IEEE 14-bus case with machine dynamics (`ieee14/ieee14_full.xlsx`: five GENROU machines with
TGOV1 governors) loses one load at t = 1 s; loads are held at constant power. The frequency compared is the centre-of-inertia frequency,
f0 · sum(M_i S_i ω_i) / sum(M_i S_i). :func:`matched_system` reads the aggregated parameters
from the same case: H = sum(M_i / 2 · S_i), governor gain sum(K_i S_i) (K = 1/R on machine base),
governor and reheat time constants and HP fraction as gain-weighted means of T1 + T3 + T4, T7
and K1 + K3 + K5,
each governor a block limited by its VMAX/VMIN and its dispatch, damping from the machines' D
and the governors' Dt (the ANDES loads are voltage- but not frequency-dependent).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from gridmodel.dynamics.frequency import SystemFrequency

CASE = "ieee14/ieee14_full.xlsx"


@dataclass
class AndesEvent:
    """ANDES result: COI frequency (Hz) over time (s), MW lost, runtimes (s)."""

    time_s: np.ndarray
    f_coi_hz: np.ndarray
    lost_mw: float
    setup_s: float
    simulate_s: float
    system: object


def open_case(case_file: str, edit=None):
    """ANDES system from its bundled ``case_file`` with loads held at constant power (ANDES
    converts them to impedances by default); ``edit(ss)`` adds devices before setup."""
    import andes

    andes.config_logger(stream_level=40)
    ss = andes.load(andes.get_case(case_file), setup=False, no_output=True, default_config=True)
    if edit is not None:
        edit(ss)
    ss.PQ.config.p2p, ss.PQ.config.p2z, ss.PQ.config.q2q, ss.PQ.config.q2z = 1.0, 0.0, 1.0, 0.0
    ss.setup()
    return ss


def coi_weights(ss) -> tuple[np.ndarray, np.ndarray]:
    """State addresses of the GENROU speeds and their centre-of-inertia weights M·S / Σ M·S."""
    gen = ss.GENROU
    w = np.asarray(gen.M.v) * np.asarray(gen.Sn.v)
    return np.asarray(gen.omega.a), w / w.sum()


def load_loss(load_index: int, t_end_s: float = 20.0, t_event_s: float = 1.0) -> AndesEvent:
    """Disconnect ANDES load ``load_index`` of the case at ``t_event_s``; COI frequency."""
    started = time.perf_counter()

    def toggle(ss):
        ss.add("Toggle", {"model": "PQ", "dev": ss.PQ.idx.v[load_index], "t": t_event_s})

    ss = open_case(CASE, toggle)
    ss.PFlow.run()
    lost = float(ss.PQ.p0.v[load_index] * ss.config.mva)
    ss.TDS.config.tf = t_end_s
    ss.TDS.config.criteria = 0
    ss.TDS.config.no_tqdm = 1
    setup = time.perf_counter() - started
    ss.TDS.run()
    simulate = time.perf_counter() - started - setup
    omega, weight = coi_weights(ss)
    f_coi = ss.config.freq * (ss.dae.ts.x[:, omega] @ weight)
    return AndesEvent(ss.dae.ts.t.copy(), f_coi, lost, setup, simulate, ss)


def matched_system(ss) -> SystemFrequency:
    """Aggregated parameters read from the ANDES case ``ss`` (after its power flow).

    ANDES holds machine and governor parameters on the system base (``config.mva``), so MW follow
    by multiplying by it. TGOV1's turbine lead-lag (1 + s T2)/(1 + s T3) equals
    T2/T3 + (1 - T2/T3)/(1 + s T3): an immediate fraction T2/T3 and a lag T3, which is the
    aggregated model's HP fraction and reheat time constant.
    """
    gen, gov = ss.GENROU, ss.TGOV1
    f0, mva = ss.config.freq, ss.config.mva
    p0_gen = dict(zip(gen.idx.v, np.asarray(gen.tm0.v) * mva, strict=True))
    p0 = np.array([p0_gen[g] for g in gov.syn.v])
    gain = mva / np.asarray(gov.R.v)  # MW per pu speed
    w = gain / gain.sum()
    load_mw = float(np.sum(ss.PQ.p0.v) * mva)
    damping = (float(np.sum(gen.D.v)) + float(np.sum(gov.Dt.v))) * mva / f0  # MW/Hz
    t2, t3 = np.asarray(gov.T2.v), np.asarray(gov.T3.v)
    up = np.clip(np.asarray(gov.VMAX.v) * mva - p0, 0, None)
    down = np.clip(p0 - np.asarray(gov.VMIN.v) * mva, 0, None)
    return SystemFrequency(
        name=f"andes-{CASE.split('/')[0]}",
        f0_hz=f0,
        inertia_mws=float(np.sum(gen.M.v)) / 2.0 * mva,
        load_mw=load_mw,
        load_damping_pct_per_pct=damping * f0 / load_mw,
        droop=1.0,  # with governor_mw = the summed gain, K = gain / f0 MW/Hz
        governor_mw=float(gain.sum()),
        reserve_up_mw=float(up.sum()),
        reserve_down_mw=float(down.sum()),
        governor_blocks=tuple(zip(gain / f0, up, down, strict=True)),
        governor_s=float(w @ np.asarray(gov.T1.v)),
        hp_fraction=float(w @ (t2 / t3)),
        reheat_s=float(w @ t3),
    )

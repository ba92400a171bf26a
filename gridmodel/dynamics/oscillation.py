"""Forced-oscillation screening: campus swings against the grid's electromechanical modes.

An ANDES dynamic case is linearised at its operating point (the Jacobians ANDES builds for its
own eigenvalue analysis). With the differential equations T ẋ = f(x, y) and the algebraic ones
0 = g(x, y) + e_a ΔP (ΔP: the campus load at the bus, which enters the bus's active-power
balance), the response to a swing at angular frequency ω solves the descriptor system

    [ jωT − f_x   −f_y ] [X]   [ 0  ]
    [ −g_x        −g_y ] [Y] = [ e_a] ΔP

without reducing it, so states with T = 0 need no special care. Outputs per MW of swing: the
speed of every synchronous machine (as a frequency, f0 Δω), the voltage magnitude at the campus
bus and the centre-of-inertia frequency. Machine speeds, not the bus angle's derivative, are the
frequency observable: the angle of a bus with a constant-power load steps with the load, so its
derivative grows without bound with the swing frequency. A campus profile is screened by filtering its swing (mean removed) through these
responses; the ANDES time domain with the same swing injected checks the linearisation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import xarray as xr

from gridmodel.dynamics.andes_twin import coi_weights, open_case

CASES = {"kundur": "kundur/kundur_full.xlsx", "ieee14": "ieee14/ieee14_full.xlsx"}
CAMPUS = "campus"
#: electromechanical modes (Kundur 1994, s.12.1: local 0.7-2 Hz, inter-area 0.1-0.8 Hz)
MODE_BAND_HZ = (0.1, 2.5)


@dataclass
class DynamicCase:
    """An ANDES system with a zero-MW constant-power load named ``campus`` at ``bus``."""

    system: object
    name: str
    bus: int

    @property
    def load_mw(self) -> float:
        """Total load of the case (MW)."""
        return float(np.sum(self.system.PQ.p0.v) * self.system.config.mva)


def load_case(name: str, bus: int) -> DynamicCase:
    """ANDES case ``name`` (see ``CASES``) with the campus load at ``bus``, power flow solved.

    Loads are held at constant power; the case's own scripted events (``Toggle``) are disabled.
    """

    def add_campus(ss):
        if bus not in ss.Bus.idx.v:
            raise ValueError(f"bus {bus} is not a bus of the ANDES case '{name}' ({ss.Bus.idx.v})")
        ss.add("PQ", {"idx": CAMPUS, "name": CAMPUS, "bus": bus, "p0": 0.0, "q0": 0.0})

    ss = open_case(CASES[name], add_campus)
    if ss.Toggle.n:
        ss.Toggle.u.v[:] = 0.0
    ss.PFlow.run()
    if not ss.PFlow.converged:
        raise RuntimeError(f"ANDES power flow of '{name}' did not converge")
    return DynamicCase(ss, name, bus)


def _scipy(m) -> sp.csc_matrix:
    i, j, v = (np.asarray(a).ravel() for a in (m.I, m.J, m.V))
    return sp.csc_matrix((v, (i, j)), shape=m.size)


def linearise(case: DynamicCase) -> tuple[pd.DataFrame, dict]:
    """Electromechanical modes (frequency Hz, damping ratio) and the Jacobians at the operating
    point. Runs ANDES's eigenvalue analysis (which initialises the time domain)."""
    ss = case.system
    ss.EIG.run()
    mu = np.asarray(ss.EIG.mu)
    f = mu.imag / (2 * np.pi)
    zeta = -mu.real / np.abs(mu)
    keep = (f >= MODE_BAND_HZ[0]) & (f <= MODE_BAND_HZ[1])
    modes = (
        pd.DataFrame({"frequency_hz": f[keep], "damping_ratio": zeta[keep]})
        .sort_values("frequency_hz")
        .reset_index(drop=True)
    )
    dae = ss.dae
    jac = {k: _scipy(getattr(dae, k)) for k in ("fx", "fy", "gx", "gy")}
    jac["Tf"] = np.asarray(dae.Tf, float).ravel()
    return modes, jac


def bus_response(case: DynamicCase, jac: dict, freqs_hz: np.ndarray) -> xr.Dataset:
    """Complex response per MW of campus load at each frequency (dim ``swing_hz``): machine
    speeds ``f_gen_hz_per_mw`` (swing_hz, gen), ``v_bus_pu_per_mw`` and ``f_coi_hz_per_mw``."""
    ss = case.system
    n, m = len(jac["Tf"]), jac["gy"].shape[0]
    uid = ss.Bus.idx2uid(case.bus)
    a, v = int(ss.Bus.a.a[uid]), int(ss.Bus.v.a[uid])
    omega, w = coi_weights(ss)
    f0, mva = float(ss.config.freq), float(ss.config.mva)
    rhs = np.zeros(n + m, complex)
    rhs[n + a] = 1.0 / mva
    static = -sp.bmat([[jac["fx"], jac["fy"]], [jac["gx"], jac["gy"]]], format="csc")
    storage = sp.diags(np.concatenate([jac["Tf"], np.zeros(m)]), format="csc")
    gen = np.empty((len(freqs_hz), len(omega)), complex)
    bus_v = np.empty(len(freqs_hz), complex)
    for i, f in enumerate(freqs_hz):
        z = spla.spsolve((static + 2j * np.pi * f * storage).tocsc(), rhs)
        gen[i] = f0 * z[omega]
        bus_v[i] = z[n + v]
    return xr.Dataset(
        {
            "f_gen_hz_per_mw": (("swing_hz", "gen"), gen),
            "v_bus_pu_per_mw": ("swing_hz", bus_v),
            "f_coi_hz_per_mw": ("swing_hz", gen @ w),
        },
        coords={
            "swing_hz": ("swing_hz", np.asarray(freqs_hz, float), {"units": "Hz"}),
            "gen": [str(g) for g in ss.GENROU.idx.v],
        },
        attrs={"case": case.name, "bus": case.bus},
    )


def filter_swing(
    case: DynamicCase, jac: dict, p_mw: np.ndarray, dt_s: float, band_hz: tuple[float, float]
) -> xr.Dataset:
    """Machine speed (Hz) and bus voltage (pu) deviations caused by the swing ``p_mw`` (time,
    or record × time; each record's mean removed and the record treated as periodic), from
    its components inside ``band_hz``. The response is solved once for all records."""
    p = np.atleast_2d(np.asarray(p_mw, float))
    n = p.shape[1]
    spectrum = np.fft.rfft(p - p.mean(axis=1, keepdims=True), axis=1)
    bins = np.fft.rfftfreq(n, dt_s)
    use = (bins > max(band_hz[0], 0.0)) & (bins <= band_hz[1])
    resp = bus_response(case, jac, bins[use])
    gen = np.zeros((len(p), resp.sizes["gen"], len(bins)), complex)
    gen[:, :, use] = spectrum[:, None, use] * resp.f_gen_hz_per_mw.to_numpy().T[None]
    volt = np.zeros_like(spectrum)
    volt[:, use] = spectrum[:, use] * resp.v_bus_pu_per_mw.to_numpy()
    out = xr.Dataset(
        {
            "f_gen_hz": (("record", "gen", "time"), np.fft.irfft(gen, n, axis=2)),
            "v_bus_pu": (("record", "time"), np.fft.irfft(volt, n, axis=1)),
        },
        coords={"time": ("time", np.arange(n) * dt_s, {"units": "s"}), "gen": resp.gen},
    )
    return out.isel(record=0) if np.ndim(p_mw) == 1 else out


def time_domain(
    case_name: str, bus: int, p_mw: np.ndarray, dt_s: float, step_s: float = 0.01
) -> xr.Dataset:
    """ANDES time domain with the campus load following ``p_mw`` (deviation from its mean;
    sampled at ``dt_s``): machine speeds as frequency deviations, bus voltage deviation,
    runtime in attrs."""
    case = load_case(case_name, bus)
    ss = case.system
    dev = np.asarray(p_mw, float) - np.mean(p_mw)
    row = ss.PQ.idx2uid(CAMPUS)
    mva = float(ss.config.mva)

    def pert(t, system):
        k = min(int(max(t, 0.0) / dt_s), len(dev) - 1)
        system.PQ.Ppf.v[row] = dev[k] / mva

    ss.TDS.config.tf = (len(dev) - 1) * dt_s
    ss.TDS.config.tstep = step_s
    ss.TDS.config.fixt = 1
    ss.TDS.config.criteria = 0
    ss.TDS.config.no_tqdm = 1
    started = time.perf_counter()
    ss.TDS.init()
    ss.TDS.callpert = pert
    ss.TDS.run()
    t = np.asarray(ss.dae.ts.t)
    uid = ss.Bus.idx2uid(bus)
    vm = np.asarray(ss.dae.ts.y[:, ss.Bus.v.a[uid]])
    omega = np.asarray(ss.dae.ts.x[:, ss.GENROU.omega.a])
    f0 = float(ss.config.freq)
    return xr.Dataset(
        {
            "f_gen_hz": (("gen", "time"), (f0 * (omega - omega[0])).T),
            "v_bus_pu": ("time", vm - vm[0]),
        },
        coords={"time": ("time", t, {"units": "s"}), "gen": [str(g) for g in ss.GENROU.idx.v]},
        attrs={"runtime_s": time.perf_counter() - started, "step_s": step_s},
    )


def sinusoid_amplitude(t: np.ndarray, y: np.ndarray, f_hz: float) -> float:
    """Amplitude of the ``f_hz`` component of ``y(t)`` (least squares with offset and trend)."""
    basis = np.column_stack(
        [np.sin(2 * np.pi * f_hz * t), np.cos(2 * np.pi * f_hz * t), np.ones_like(t), t]
    )
    c = np.linalg.lstsq(basis, y, rcond=None)[0]
    return float(np.hypot(c[0], c[1]))

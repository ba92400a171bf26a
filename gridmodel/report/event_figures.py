"""Figures of `gridmodel events`: frequency trajectories, extremes against MW lost, the fault
cascade timeline and the forced-oscillation screen."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.dynamics.run import LEL_BAND_HZ
from gridmodel.report.style import PALETTE, TWO_COLUMN_IN, figure, save

KIND_STYLE = {"load_loss": "-", "generator_trip": "--"}
KIND_LABEL = {"load_loss": "load lost", "generator_trip": "generation tripped"}


def _thresholds(ax, sweep: xr.Dataset, name: str, f_range: tuple[float, float]) -> None:
    """Relay set points of system ``name`` (from the sweep) and the large-load ride-through band
    inside ``f_range``."""
    setpoints = sweep.relay_setpoint_hz.sel(system=name)
    setpoints = setpoints.isel({d: 0 for d in setpoints.dims if d != "relay"})
    lines = [
        (float(hz), str(relay), PALETTE[3])
        for relay, hz in zip(setpoints.relay.values, setpoints.values, strict=True)
        if np.isfinite(hz)
    ]
    lines += [(hz, f"LEL band {hz:g} Hz", PALETTE[7]) for hz in LEL_BAND_HZ.values()]
    for hz, label, color in lines:
        if f_range[0] <= hz <= f_range[1]:
            ax.axhline(hz, color=color, lw=0.6, ls=":")
            ax.text(ax.get_xlim()[1], hz, f" {label}", fontsize=5, va="center", color=color)


def frequency_trajectories(traj: xr.Dataset, sweep: xr.Dataset, folder: Path) -> list[Path]:
    """Frequency after sudden losses of several sizes, per system, relay thresholds drawn."""
    systems = list(traj.system.values)
    fig, axes = figure((TWO_COLUMN_IN[0], 2.8), ncols=len(systems), sharey=True, squeeze=False)
    t = traj.time_s.to_numpy()
    for ax, name in zip(axes[0], systems, strict=True):
        for i, mw in enumerate(traj.mw.values):
            for kind in traj.kind.values:
                f = traj.f_hz.sel(system=name, kind=kind, mw=mw)
                ax.plot(t, f, color=PALETTE[i % 7], ls=KIND_STYLE[str(kind)], lw=1,
                        label=f"{mw:,.0f} MW" if kind == "load_loss" else None)  # fmt: skip
        ax.set_xlim(t[0], t[-1])
        lo, hi = float(traj.f_hz.sel(system=name).min()), float(traj.f_hz.sel(system=name).max())
        pad = 0.1 * (hi - lo)
        ax.set_ylim(lo - pad, hi + pad)
        _thresholds(ax, sweep, str(name), (lo - pad, hi + pad))
        ax.axhline(60.0, color="0.6", lw=0.5)
        ax.set_title(f"{name}: solid = load lost, dashed = generation tripped")
        ax.set_xlabel("Time after the event (s)")
    axes[0][0].set_ylabel("System frequency (Hz)")
    axes[0][0].legend(frameon=False, fontsize=6, title="MW", title_fontsize=6)
    return save(fig, folder, "frequency_trajectories")


def extreme_vs_mw(sweep: xr.Dataset, folder: Path) -> list[Path]:
    """Zenith after load loss and nadir after generator trip against MW, per system."""
    fig, ax = figure()
    mw = sweep.mw.to_numpy()
    for i, name in enumerate(sweep.system.values):
        one = sweep.sel(system=name)
        ax.plot(mw, one.zenith_hz.sel(kind="load_loss") - 60.0, color=PALETTE[i], marker="o", ms=3, label=f"{name}: zenith after load lost")  # fmt: skip
        ax.plot(mw, one.nadir_hz.sel(kind="generator_trip") - 60.0, color=PALETTE[i], ls="--", marker="s", ms=3, label=f"{name}: nadir after generation tripped")  # fmt: skip
    for hz, label in ((61.2, "LEL continuous limit 61.2 Hz"), (59.3, "first UFLS stage (ERCOT) 59.3 Hz")):  # fmt: skip
        ax.axhline(hz - 60.0, color=PALETTE[7], lw=0.6, ls=":")
        ax.text(mw[0], hz - 60.0, label, fontsize=6, va="bottom")
    ax.axhline(0.0, color="0.6", lw=0.5)
    ax.set_xlabel("Sudden loss (MW)")
    ax.set_ylabel("Frequency deviation at the extreme (Hz)")
    ax.set_title("Frequency extreme against the size of the sudden loss")
    ax.legend(frameon=False, fontsize=6)
    return save(fig, folder, "frequency_extreme_vs_mw")


def cascade_timeline(cascade: xr.Dataset, frequency: xr.Dataset, folder: Path) -> list[Path]:
    """Site voltages, grid-side campus load and system frequency through the fault sequence."""
    fig, axes = figure((TWO_COLUMN_IN[0], 5.2), nrows=3, sharex=True)
    t = cascade.time_s.to_numpy()
    for i, name in enumerate(cascade.campus.values):
        c = PALETTE[i % 7]
        axes[0].plot(t, cascade.vm_pu.sel(campus=name), color=c, lw=0.8, label=str(name))
        axes[1].plot(t, cascade.p_grid_mw.sel(campus=name), color=c, lw=1)
    axes[1].plot(t, cascade.load_mw.sum() - cascade.load_reduction_mw, color="k", lw=1.2,
                 label="all campuses")  # fmt: skip
    for i, name in enumerate(frequency.system.values):
        f = frequency.f_hz.sel(system=name, event="cascade")
        axes[2].plot(frequency.time_s, f, color=PALETTE[i], label=str(name))
    axes[0].set_ylabel("Campus bus voltage (pu)")
    axes[1].set_ylabel("Grid-side load (MW)")
    axes[2].set_ylabel("Frequency (Hz)")
    axes[2].set_xlabel("Time (s)")
    axes[0].legend(frameon=False, fontsize=6, ncol=3)
    axes[1].legend(frameon=False, fontsize=6)
    axes[2].legend(frameon=False, fontsize=6)
    tripped = float(cascade.tripped_mw.sum())
    axes[0].set_title(f"Fault at bus {cascade.attrs['fault_bus']}: {len(cascade.attrs['fault_times_s'])} dips, {tripped:,.0f} MW transferred to backup")  # fmt: skip
    return save(fig, folder, "fault_cascade")


def oscillation_screen(osc: xr.Dataset, modes: pd.DataFrame, folder: Path) -> list[Path]:
    """Machine speed and bus voltage oscillation against swing frequency, with the modes."""
    fig, axes = figure(ncols=2)
    f = osc.swing_hz.to_numpy()
    axes[0].semilogy(
        f, osc.f_gen_mhz_per_mw, color=PALETTE[0], label="largest machine speed (mHz/MW)"
    )
    axes[0].semilogy(f, osc.v_bus_pct_per_mw * 10, color=PALETTE[1], ls="--", label="bus voltage (0.1 %/MW)")  # fmt: skip
    axes[0].set_ylabel("Oscillation per MW of swing (mHz/MW; 0.1 %/MW)")
    axes[0].set_title(f"Response per MW (ANDES {osc.attrs['case']}, bus {osc.attrs['bus']})")
    if "floor" in osc.coords:
        for i, floor in enumerate(osc.floor.values):
            one = osc.sel(floor=floor)
            label = "no smoothing" if floor == 0 else f"floor {floor:g} x TDP"
            axes[1].semilogy(f, np.maximum(one.sweep_f_gen_mhz, 1e-6), color=PALETTE[i % 7], label=label)  # fmt: skip
            axes[1].plot(float(one.fundamental_hz), float(one.campus_f_gen_mhz), "o", color=PALETTE[i % 7], ms=4)  # fmt: skip
        axes[1].axhline(osc.attrs["limit_mhz"], color=PALETTE[7], ls=":", lw=0.8)
        axes[1].text(f[0], osc.attrs["limit_mhz"], f" limit {osc.attrs['limit_mhz']:g} mHz", fontsize=6, va="bottom")  # fmt: skip
        axes[1].set_ylabel("Machine speed oscillation (mHz, peak)")
        axes[1].set_title(f"'{osc.attrs['campus']}' swing (dots: own period)")
        axes[1].legend(frameon=False, fontsize=6)
    for ax in axes:
        for m in modes.itertuples():
            ax.axvline(m.frequency_hz, color="0.5", lw=0.5, ls=":")
        ax.set_xlabel("Swing frequency (Hz)")
        ax.set_xlim(f[0], f[-1])
    weakest = modes.loc[modes.damping_ratio.idxmin()] if len(modes) else None
    if weakest is not None:
        axes[0].text(weakest.frequency_hz, axes[0].get_ylim()[1], f"{weakest.frequency_hz:.2f} Hz, ζ = {weakest.damping_ratio:.3f}", fontsize=6, ha="center", va="top")  # fmt: skip
    axes[0].legend(frameon=False, fontsize=6)
    return save(fig, folder, "oscillation_screen")


def draw(tree: xr.DataTree, folder: Path) -> list[Path]:
    """Every figure of a stored events result."""
    traj, sweep = tree["trajectories"].to_dataset(), tree["sweep"].to_dataset()
    written = frequency_trajectories(traj, sweep, folder)
    written += extreme_vs_mw(sweep, folder)
    if "cascade" in tree:
        written += cascade_timeline(tree["cascade"].to_dataset(), tree["frequency"].to_dataset(), folder)  # fmt: skip
    if "oscillation" in tree:
        modes = tree["modes"].to_dataset().to_dataframe()
        written += oscillation_screen(tree["oscillation"].to_dataset(), modes, folder)
    return written

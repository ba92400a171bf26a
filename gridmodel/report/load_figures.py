"""Figures of a campus load profile: multi-scale view, spectrum, event timeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.io import dataset_table
from gridmodel.loads.metrics import BAND_HZ
from gridmodel.report.style import ONE_COLUMN_IN, PALETTE, TWO_COLUMN_IN, figure, save


def multiscale(views: xr.DataTree, name: str, folder: Path):
    """Period (hourly) → week (1 min) → hour (1 s) → 10 s (10 ms), each zoom inside the last."""
    panels = [
        ("period", "period, hourly mean", "D"),
        ("week", "one week, 1-min mean", "h"),
        ("hour", "one hour, 1-s mean", "min"),
        ("ten_seconds", "10 seconds, 10-ms mean", "s"),
    ]
    fig, axes = figure((TWO_COLUMN_IN[0], 6.4), nrows=4)
    for ax, (key, title, unit) in zip(axes, panels, strict=True):
        p = views[key].p_mw
        t0 = p.time.values[0]
        x = (p.time.values - t0) / np.timedelta64(1, unit if unit != "min" else "m")
        ax.plot(x, p.values, color=PALETTE[0], lw=0.8)
        ax.set_title(f"{name}: {title} from {pd.Timestamp(t0):%Y-%m-%d %H:%M:%S}", loc="left")
        ax.set_ylabel("Load (MW)")
        ax.set_xlabel({"D": "Time (days)", "h": "Time (hours)", "min": "Time (minutes)",
                       "s": "Time (seconds)"}[unit])  # fmt: skip
    fig.tight_layout()
    return save(fig, folder, f"profile_multiscale_{name}")


def spectrum(spectra: xr.Dataset, name: str, folder: Path):
    """Power spectral density of the profile for each labelled case, 0.1-20 Hz band shaded."""
    fig, ax = figure(ONE_COLUMN_IN)
    ax.axvspan(*BAND_HZ, color="0.9", label="0.1-20 Hz band")
    for k, label in enumerate(spectra.case.values):
        psd = spectra.psd_mw2_per_hz.sel(case=label)
        f = psd.frequency_hz.values
        keep = f > 0
        ax.loglog(f[keep], psd.values[keep], color=PALETTE[k], lw=0.9, label=label)
    ax.set_xlabel("Frequency (Hz)")
    ax.set_ylabel("Power spectral density (MW²/Hz)")
    ax.set_title(f"{name}: load spectrum", loc="left")
    ax.legend(frameon=False)
    return save(fig, folder, f"profile_spectrum_{name}")


KIND_STYLE = {
    "checkpoint": (PALETTE[2], "|"),
    "interruption": (PALETTE[3], "x"),
    "planned_interruption": (PALETTE[1], "o"),
    "campaign_end": (PALETTE[7], "v"),
    "campaign_start": (PALETTE[7], "^"),
}


def timeline(events: pd.DataFrame, jobs: int, name: str, start_s: float, folder: Path):
    """Lifecycle events per job and curtailment events over the period (``events``: the
    campus's rows of the profile's events table)."""
    fig, ax = figure(TWO_COLUMN_IN)
    for kind, (colour, marker) in KIND_STYLE.items():
        sel = events[events.kind == kind]
        if len(sel):
            ax.scatter((sel.time_s - start_s) / 86400.0, sel.job, s=10, marker=marker,
                       color=colour, label=f"{kind.replace('_', ' ')} ({len(sel)})", lw=0.8)  # fmt: skip
    curtail = events[events.kind == "curtailment"]
    for k, row in enumerate(curtail.itertuples(index=False)):
        x0 = (row.time_s - start_s) / 86400.0
        ax.axvspan(x0, x0 + row.duration_s / 86400.0, color=PALETTE[4], alpha=0.3,
                   label="curtailment" if k == 0 else None)  # fmt: skip
    ax.set_xlabel("Time from start of period (days)")
    ax.set_ylabel("Training job (number)")
    ax.set_yticks(range(max(1, jobs)))
    ax.set_title(f"{name}: interruptions, checkpoints and campaigns", loc="left")
    ax.legend(frameon=False, fontsize=6, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    return save(fig, folder, f"profile_timeline_{name}")


def draw(tree: xr.DataTree, folder: Path) -> list[Path]:
    """Every figure of a stored profile result."""
    events = dataset_table(tree["events"].to_dataset())
    start_s = float(tree.attrs["start_s"])
    jobs = np.atleast_1d(tree.attrs["jobs"])
    written = []
    for k, name in enumerate(tree["profile"].campus.values):
        name = str(name)
        written += multiscale(tree[f"views/{name}"], name, folder)
        written += timeline(events[events.campus == name], int(jobs[k]), name, start_s, folder)
        written += spectrum(tree[f"spectra/{name}"].to_dataset(), name, folder)
    return written

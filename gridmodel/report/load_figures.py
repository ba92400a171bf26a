"""Figures of a campus load profile: multi-scale view, spectrum, event timeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.loads.metrics import BAND_HZ
from gridmodel.loads.profile import HOUR_S, CampusLoad
from gridmodel.report.style import ONE_COLUMN_IN, PALETTE, TWO_COLUMN_IN, figure, save

WEEK_S = 7 * 24 * HOUR_S


def _zoom_hour(load: CampusLoad, start_s: float, end_s: float) -> float:
    """Start of the first hour in [start_s, end_s) with an unplanned interruption, else start_s."""
    ev = load.events
    hit = ev[(ev.kind == "interruption") & (ev.time_s >= start_s) & (ev.time_s < end_s)]
    return float(hit.time_s.iloc[0] // HOUR_S * HOUR_S) if len(hit) else start_s


def multiscale(load: CampusLoad, name: str, start_s: float, duration_s: float, folder: Path):
    """Period (hourly) → week (1 min) → hour (1 s) → 10 s (10 ms), each zoom inside the last."""
    week_s = min(WEEK_S, duration_s)
    hour_s = _zoom_hour(load, start_s, start_s + week_s)
    ten_s = hour_s + 60.0
    panels = [
        (load.profile(start_s, duration_s, HOUR_S).p_mw, "period, hourly mean", "D"),
        (load.profile(start_s, week_s, 60.0).p_mw, "one week, 1-min mean", "h"),
        (load.profile(hour_s, HOUR_S, 1.0).p_mw, "one hour, 1-s mean", "min"),
        (load.profile(ten_s, 10.0, 0.01).p_mw, "10 seconds, 10-ms mean", "s"),
    ]
    fig, axes = figure((TWO_COLUMN_IN[0], 6.4), nrows=4)
    for ax, (p, title, unit) in zip(axes, panels, strict=True):
        t0 = p.time.values[0]
        x = (p.time.values - t0) / np.timedelta64(1, unit if unit != "min" else "m")
        ax.plot(x, p.values, color=PALETTE[0], lw=0.8)
        ax.set_title(f"{name}: {title} from {pd.Timestamp(t0):%Y-%m-%d %H:%M:%S}", loc="left")
        ax.set_ylabel("Load (MW)")
        ax.set_xlabel({"D": "Time (days)", "h": "Time (hours)", "min": "Time (minutes)",
                       "s": "Time (seconds)"}[unit])  # fmt: skip
    fig.tight_layout()
    return save(fig, folder, f"profile_multiscale_{name}")


def spectrum(spectra: dict[str, xr.DataArray], name: str, folder: Path):
    """Power spectral density of the profile for each labelled case, 0.1-20 Hz band shaded."""
    fig, ax = figure(ONE_COLUMN_IN)
    ax.axvspan(*BAND_HZ, color="0.9", label="0.1-20 Hz band")
    for k, (label, psd) in enumerate(spectra.items()):
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


def timeline(load: CampusLoad, name: str, start_s: float, duration_s: float, folder: Path):
    """Lifecycle events per job and curtailment events over the period."""
    ev = load.events[(load.events.time_s >= start_s) & (load.events.time_s < start_s + duration_s)]
    fig, ax = figure(TWO_COLUMN_IN)
    for kind, (colour, marker) in KIND_STYLE.items():
        sel = ev[ev.kind == kind]
        if len(sel):
            ax.scatter((sel.time_s - start_s) / 86400.0, sel.job, s=10, marker=marker,
                       color=colour, label=f"{kind.replace('_', ' ')} ({len(sel)})", lw=0.8)  # fmt: skip
    for k, row in enumerate(load.curtailments.itertuples(index=False)):
        if start_s <= row.start_s < start_s + duration_s:
            x0 = (row.start_s - start_s) / 86400.0
            ax.axvspan(x0, x0 + row.duration_s / 86400.0, color=PALETTE[4], alpha=0.3,
                       label="curtailment" if k == 0 else None)  # fmt: skip
    ax.set_xlabel("Time from start of period (days)")
    ax.set_ylabel("Training job")
    ax.set_yticks(range(max(1, load.model.jobs)))
    ax.set_title(f"{name}: interruptions, checkpoints and campaigns", loc="left")
    ax.legend(frameon=False, fontsize=6, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    return save(fig, folder, f"profile_timeline_{name}")

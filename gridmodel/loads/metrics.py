"""Metrics of a campus load profile and a compliance report against grid-operator limits.

Metrics accumulate chunk by chunk (:class:`ProfileMetrics`), so a year at 1 s never needs to be
in memory; :func:`profile_metrics` is the one-shot form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr
from scipy import signal
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from gridmodel.schema import Compliance

BAND_HZ = (0.1, 20.0)
P2P_WINDOW_S = 5.0
P2P_FILTER_HZ = (0.1, 55.0)  # ERCOT filters the variation to 0.1-55 Hz
WELCH_SEGMENT_S = 60.0


def _windowed_range(x: np.ndarray, n: int) -> float:
    """Largest max - min over any n consecutive samples."""
    if len(x) < n:
        return float(x.max() - x.min()) if len(x) else 0.0
    hi = maximum_filter1d(x, n, origin=-(n // 2))[: len(x) - n + 1]
    lo = minimum_filter1d(x, n, origin=-(n // 2))[: len(x) - n + 1]
    return float(np.max(hi - lo))


@dataclass
class ProfileMetrics:
    """Streaming metrics over consecutive chunks of one profile at resolution ``dt_s``."""

    dt_s: float
    energy_mws: float = 0.0
    samples: int = 0
    peak_mw: float = -np.inf
    ramp_mw_per_s: float = 0.0
    ramp_mw_per_min: float = 0.0
    p2p_5s_mw: float = 0.0
    _tail: np.ndarray = field(default_factory=lambda: np.empty(0))
    _filtered_tail: np.ndarray = field(default_factory=lambda: np.empty(0))
    _minute_tail: np.ndarray = field(default_factory=lambda: np.empty(0))
    _psd: np.ndarray | None = None
    _freqs: np.ndarray | None = None
    _psd_count: int = 0
    _sos: np.ndarray | None = None
    _zi: np.ndarray | None = None
    _welch_buffer: np.ndarray = field(default_factory=lambda: np.empty(0))
    _last_minute: float | None = None

    def update(self, p_mw: np.ndarray) -> None:
        p = np.asarray(p_mw, float)
        self.energy_mws += float(p.sum()) * self.dt_s
        self.samples += len(p)
        self.peak_mw = max(self.peak_mw, float(p.max()))
        per_s = round(1.0 / self.dt_s)
        if self.dt_s <= 1.0:
            joined = np.concatenate([self._tail, p])
            if len(joined) > per_s:
                self.ramp_mw_per_s = max(
                    self.ramp_mw_per_s, float(np.max(np.abs(joined[per_s:] - joined[:-per_s])))
                )
            self._p2p(p)
            self._welch(p)
            self._tail = joined[-per_s:]
        if self.dt_s <= 60.0:
            self._minutes(p)

    def _p2p(self, p: np.ndarray) -> None:
        nyquist = 0.5 / self.dt_s
        if self._sos is None:
            low, high = P2P_FILTER_HZ[0], min(P2P_FILTER_HZ[1], 0.99 * nyquist)
            self._sos = (
                signal.butter(2, [low, high], "bandpass", fs=1 / self.dt_s, output="sos")
                if high > low
                else signal.butter(2, low, "highpass", fs=1 / self.dt_s, output="sos")
            )
            # start in the steady state of the first sample, not from zero
            self._zi = signal.sosfilt_zi(self._sos) * p[0]
        filtered, self._zi = signal.sosfilt(self._sos, p, zi=self._zi)
        n = round(P2P_WINDOW_S / self.dt_s)
        joined = np.concatenate([self._filtered_tail, filtered])
        self.p2p_5s_mw = max(self.p2p_5s_mw, _windowed_range(joined, n))
        self._filtered_tail = joined[-(n - 1) :] if n > 1 else np.empty(0)

    def _welch(self, p: np.ndarray) -> None:
        nper = round(WELCH_SEGMENT_S / self.dt_s)
        buffer = np.concatenate([self._welch_buffer, p])
        usable = (len(buffer) // nper) * nper
        if usable:
            freqs, psd = signal.welch(buffer[:usable], fs=1 / self.dt_s, nperseg=nper,
                                      noverlap=0, detrend="constant")  # fmt: skip
            count = usable // nper
            if self._psd is None:
                self._psd, self._freqs = psd * count, freqs
            else:
                self._psd += psd * count
            self._psd_count += count
        self._welch_buffer = buffer[usable:]

    def _minutes(self, p: np.ndarray) -> None:
        per_min = round(60.0 / self.dt_s)
        joined = np.concatenate([self._minute_tail, p])
        whole = (len(joined) // per_min) * per_min
        means = joined[:whole].reshape(-1, per_min).mean(axis=1) if whole else np.empty(0)
        if self._last_minute is not None and len(means):
            means = np.concatenate([[self._last_minute], means])
        if len(means) > 1:
            self.ramp_mw_per_min = max(self.ramp_mw_per_min, float(np.max(np.abs(np.diff(means)))))
        if len(means):
            self._last_minute = means[-1]
        self._minute_tail = joined[whole:]

    @property
    def band_energy_share(self) -> float:
        """Share of fluctuation energy (DC excluded) in 0.1-20 Hz; NaN if unresolved."""
        if self._psd is None:
            return float("nan")
        f, psd = self._freqs, self._psd
        total = psd[f > 0].sum()
        band = psd[(f >= BAND_HZ[0]) & (f <= BAND_HZ[1])].sum()
        return float(band / total) if total > 0 else 0.0

    def spectrum(self) -> xr.DataArray:
        """Mean power spectral density of the profile (MW²/Hz)."""
        if self._psd is None:
            raise ValueError("the spectrum needs a resolution of 1 s or finer and 60 s of profile")
        return xr.DataArray(
            self._psd / self._psd_count, coords={"frequency_hz": self._freqs}, dims="frequency_hz",
            attrs={"units": "MW^2/Hz"},
        )  # fmt: skip

    def result(self) -> dict[str, float]:
        mean = self.energy_mws / (self.samples * self.dt_s) if self.samples else float("nan")
        fine = self.dt_s <= 1.0
        return {
            "mean_mw": mean,
            "peak_mw": self.peak_mw,
            "load_factor": mean / self.peak_mw if self.peak_mw > 0 else float("nan"),
            "energy_mwh": self.energy_mws / 3600.0,
            "max_ramp_mw_per_s": self.ramp_mw_per_s if fine else float("nan"),
            "max_ramp_mw_per_min": self.ramp_mw_per_min if self.dt_s <= 60 else float("nan"),
            "max_p2p_5s_mw": self.p2p_5s_mw if fine else float("nan"),
            "band_energy_share": self.band_energy_share,
        }


def profile_metrics(p_mw: xr.DataArray) -> dict[str, float]:
    """Metrics of one profile held in memory (see :class:`ProfileMetrics`)."""
    dt = float(p_mw.attrs.get("resolution_s") or _resolution(p_mw))
    acc = ProfileMetrics(dt)
    acc.update(p_mw.to_numpy())
    return acc.result()


def _resolution(p: xr.DataArray) -> float:
    return float((p.time[1] - p.time[0]).to_numpy() / np.timedelta64(1, "s"))


def coincidence_factor(campus_hourly_mw: np.ndarray, system_hourly_mw: np.ndarray, top: int = 1):
    """Campus load in the system's ``top`` peak hours, as a fraction of the campus peak."""
    campus = np.asarray(campus_hourly_mw, float)
    peaks = np.argsort(np.asarray(system_hourly_mw, float)[: len(campus)])[-top:]
    return float(campus[peaks].mean() / campus.max())


def compliance_report(metrics: dict[str, float], limits: Compliance) -> pd.DataFrame:
    """One row per limit: metric, value, limit, unit, compliant (None when unresolved)."""
    rows = [
        ("max_p2p_5s_mw", limits.p2p_5s_mw, "MW", "peak-to-peak in any 5 s (0.1-55 Hz)"),
        ("band_energy_share", limits.band_energy_share, "-", "share of energy in 0.1-20 Hz"),
        ("max_ramp_mw_per_min", limits.ramp_mw_per_min, "MW/min", "1-min mean power ramp"),
    ]
    out = []
    for metric, limit, unit, label in rows:
        value = metrics[metric]
        passed = bool(value <= limit) if np.isfinite(value) else None
        out.append({"metric": metric, "description": label, "value": value, "limit": limit,
                    "unit": unit, "compliant": passed})  # fmt: skip
    return pd.DataFrame(out)

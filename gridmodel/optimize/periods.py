"""Representative periods: typical days (or weeks) chosen by tsam, with the error they bring.

Periods are clustered with tsam (hierarchical clustering, medoid representation) on chosen
features (area loads), and the day of peak system load is kept as a period of its own. A medoid is
an actual original period, so every column of the model (bus loads, campus loads) is taken from
that period unchanged; the aggregation error is then reported as the energy and peak the typical
periods miss against the full series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class TypicalPeriods:
    """``medoid``: original period standing for each typical period; ``sequence``: typical period
    of every original period; ``count``: original periods per typical period."""

    hours_per_period: int
    medoid: np.ndarray
    sequence: np.ndarray
    count: np.ndarray
    rmse: float

    def snapshot_hours(self) -> np.ndarray:
        """Original hour (position in the series) of every snapshot, typical period by period."""
        h = self.hours_per_period
        return (self.medoid[:, None] * h + np.arange(h)[None, :]).ravel()

    def snapshot_of_hour(self, n_hours: int) -> np.ndarray:
        """Snapshot standing for each of the first ``n_hours`` original hours."""
        hour = np.arange(n_hours)
        h = self.hours_per_period
        period = np.minimum(hour // h, len(self.sequence) - 1)
        return self.sequence[period] * h + hour % h

    def weight(self) -> np.ndarray:
        """Hours each snapshot represents."""
        return np.repeat(self.count.astype(float), self.hours_per_period)


def typical_periods(
    features: pd.DataFrame, n_periods: int, hours_per_period: int, start: str
) -> TypicalPeriods:
    """Cluster whole periods of ``features`` (hours x columns, MW) into ``n_periods`` typical
    periods plus the period holding the peak of the column sum. Trailing hours that do not fill
    a period are left out."""
    import tsam

    n_full = len(features) // hours_per_period
    if n_periods + 1 > n_full:
        raise ValueError(
            f"{n_periods} typical periods of {hours_per_period} h need more than {n_full} "
            "whole periods of data"
        )
    frame = features.iloc[: n_full * hours_per_period].copy()
    frame["system"] = frame.sum(axis=1)
    frame.index = pd.date_range(start, periods=len(frame), freq="h")
    result = tsam.aggregate(
        frame,
        n_periods,
        period_duration=hours_per_period,
        cluster=tsam.ClusterConfig(method="hierarchical", representation="medoid"),
        extremes=tsam.ExtremeConfig(method="append", max_value=["system"]),
        preserve_column_means=False,
    )
    sequence = np.asarray(result.cluster_assignments, dtype=int)
    blocks = frame.to_numpy().reshape(n_full, hours_per_period, -1)
    reps = result.cluster_representatives[frame.columns].to_numpy()
    n_typical = int(sequence.max()) + 1
    reps = reps.reshape(n_typical, hours_per_period, -1)
    medoid = np.empty(n_typical, dtype=int)
    for k in range(n_typical):
        members = np.flatnonzero(sequence == k)
        err = np.abs(blocks[members] - reps[k][None]).sum(axis=(1, 2))
        medoid[k] = members[int(np.argmin(err))]
    return TypicalPeriods(
        hours_per_period=hours_per_period,
        medoid=medoid,
        sequence=sequence,
        count=np.bincount(sequence, minlength=n_typical),
        rmse=float(result.accuracy.rmse.mean()),
    )


def aggregation_error(load_mw: np.ndarray, periods: TypicalPeriods) -> dict[str, float]:
    """Relative energy and peak error (fractions) of the typical periods against ``load_mw``
    (hours x nodes), plus tsam's normalised RMSE."""
    n = len(periods.sequence) * periods.hours_per_period
    total = load_mw[:n].sum(axis=1)
    rep = total[periods.snapshot_hours()]
    energy = float((rep * periods.weight()).sum())
    return {
        "energy_error": energy / float(total.sum()) - 1.0,
        "peak_error": float(rep.max()) / float(total.max()) - 1.0,
        "rmse_normalised": periods.rmse,
    }

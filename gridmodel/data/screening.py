"""Screening and gap filling of hourly demand, after Ruggles et al. (2020).

The screening rules and their thresholds are those of T.H. Ruggles, D.J. Farnham, D. Tong,
K. Caldeira, "Developing reliable hourly electricity demand data through screening and
imputation", Scientific Data 7, 155 (2020), doi:10.1038/s41597-020-0483-x, the method behind the
cleaned EIA-930 files (github.com/truggles/EIA_Cleaned_Hourly_Electricity_Demand_Code). Each hour
gets the category of the first rule that flags it; the names are the paper's:

Step 1 (on the reported values):

- ``MISSING``: no value (EIA writes ``MISSING`` or ``EMPTY``), or no row for the hour at all;
- ``NEG_OR_ZERO``: ``d_t <= 0``;
- ``IDENTICAL_RUN``: ``d_t = d_{t-1} = d_{t-2}`` (the third and later hours of a run);
- ``GLOBAL_DEM``: ``d_t >= 10 · median(d)`` (absurd spikes such as 2.1e9 MW);
- ``GLOBAL_DEM_PLUS_MINUS``: an unflagged hour next to a ``GLOBAL_DEM`` hour.

Step 2 (statistics of the step-1 series ``d``, computed once):
``M48_t``/``M480_t`` centred 48-h/480-h moving medians; ``e_t = d_t - M48_t``; the diurnal
template ``h_t = 1 + median_k(e_{t+24k}) / M480_t`` over k = -10..10 days;
``IQR_e,t``/``IQR_Δ,t`` the centred 240-h interquartile ranges of ``e`` and of the hourly step
``Δ_t = d_t - d_{t-1}``; ``r_t = d_t / (M48_t h_t)``, ``r'_t = d_t / (M480_t h_t)`` and
``IQR_r`` the interquartile range of ``r_t - r_{t-1}`` over the whole series.

- ``LOCAL_DEM_UP``: ``d_t >= M48_t h_t + 3.5 IQR_e,t`` (erroneous peaks);
- ``LOCAL_DEM_DOWN``: ``d_t <= M48_t h_t - 2.5 IQR_e,t``;
- ``DELTA``: a spike, ``d_t - d_{t-1}`` and ``d_t - d_{t+1}`` both above ``2 IQR_Δ,t`` or both
  below ``-2 IQR_Δ,t``;
- ``SINGLE_DELTA``: a step from the last accepted hour larger than ``5 IQR_Δ,t`` in MW and
  ``15 IQR_r`` in ``r``, scanned forwards (keeping whichever side is closer to its template)
  and then backwards;
- ``ANOMALOUS_REGION``: short runs (at most 24 h) of unflagged hours inside a 49-h window where
  more than 15 % of the hours are flagged (missing hours count as good here).

``USER``: hours the user lists as erroneous (e.g. a reporting error the rules miss).

Filling (ours; the paper imputes with MICE across neighbouring balancing authorities, which a
single file cannot do): a run of at most ``LINEAR_MAX_HOURS`` flagged hours is interpolated
linearly between the good hours on either side (``linear``); a longer run takes, hour by hour,
the mean of the nearest good values at the same hour on earlier and later days, up to
``SAME_HOUR_MAX_DAYS`` days away (``same_hour_neighbouring_days``), which keeps the daily cycle.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

OKAY = "OKAY"
MISSING = "MISSING"
USER = "USER"

# Thresholds of Ruggles et al. (2020), as in their published screening code.
GLOBAL_MEDIANS = 10.0
SHORT_WINDOW_H = 48
LONG_WINDOW_H = 480
IQR_WINDOW_H = 240
TEMPLATE_DAYS = 10
LOCAL_UP_IQR = 3.5
LOCAL_DOWN_IQR = 2.5
DELTA_IQR = 2.0
SINGLE_DELTA_IQR = 5.0
SINGLE_DELTA_REL_IQR = 15.0
REGION_HALF_WIDTH_H = 24
REGION_MAX_FLAGGED = 0.15

# Filling rules (ours, see the module docstring).
LINEAR_MAX_HOURS = 3
SAME_HOUR_MAX_DAYS = 14


def _rolling(values: np.ndarray, window: int):
    return pd.Series(values).rolling(window, center=True, min_periods=1)


def _rolling_iqr(values: np.ndarray, window: int) -> np.ndarray:
    roll = _rolling(values, window)
    return (roll.quantile(0.75) - roll.quantile(0.25)).to_numpy()


def _shifted(values: np.ndarray, lag: int) -> np.ndarray:
    """``out[t] = values[t - lag]`` with NaN where ``t - lag`` is outside the series."""
    out = np.full(len(values), np.nan)
    if lag >= 0:
        out[lag:] = values[: len(values) - lag]
    else:
        out[:lag] = values[-lag:]
    return out


def _flag(category: np.ndarray, d: np.ndarray, mask: np.ndarray, name: str) -> None:
    """Give ``name`` to the unflagged hours of ``mask`` and remove their values from ``d``."""
    mask = mask & (category == OKAY) & ~np.isnan(d)
    category[mask] = name
    d[mask] = np.nan


def _single_delta_pass(
    d: np.ndarray, r: np.ndarray, r_long: np.ndarray, iqr_delta: np.ndarray, iqr_r: float,
    order: np.ndarray, keep_closer: bool,
) -> np.ndarray:  # fmt: skip
    """Hours flagged by one pass of the single-sided delta rule (in ``order``)."""
    flagged = np.zeros(len(d), dtype=bool)
    prev = -1
    for t in order:
        if np.isnan(d[t]):
            continue
        if prev < 0:
            prev = t
            continue
        big = (
            abs(d[prev] - d[t]) > SINGLE_DELTA_IQR * iqr_delta[t]
            and abs(r[prev] - r[t]) > SINGLE_DELTA_REL_IQR * iqr_r
        )
        if not big:
            prev = t
            continue
        if keep_closer:
            off_prev = max(abs(1.0 - r[prev]), abs(1.0 - r_long[prev]))
            off_here = max(abs(1.0 - r[t]), abs(1.0 - r_long[t]))
            if off_here < off_prev:  # the earlier hour was the odd one: the backward pass sees it
                prev = t
                continue
        flagged[t] = True
    return flagged


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """Length of the run of equal ``mask`` values that each hour belongs to."""
    if len(mask) == 0:
        return np.zeros(0, dtype=int)
    edges = np.flatnonzero(np.diff(mask.astype(np.int8))) + 1
    starts = np.r_[0, edges]
    lengths = np.diff(np.r_[starts, len(mask)])
    return np.repeat(lengths, lengths)


def screen(demand_mw: np.ndarray, user_flagged: np.ndarray | None = None) -> np.ndarray:
    """Category of every hour of an hourly series (MW, NaN where nothing was reported).

    ``user_flagged`` marks hours to reject whatever their value (category ``USER``). Returns an
    array of category names (``OKAY`` for accepted hours), see the module docstring.
    """
    d = np.array(demand_mw, dtype=float)
    n = len(d)
    category = np.full(n, OKAY, dtype=object)
    category[np.isnan(d)] = MISSING
    if user_flagged is not None:
        _flag(category, d, np.asarray(user_flagged, dtype=bool), USER)
    with np.errstate(invalid="ignore"):
        _flag(category, d, d <= 0, "NEG_OR_ZERO")
        same = (d == _shifted(d, 1)) & (d == _shifted(d, 2))
        _flag(category, d, same, "IDENTICAL_RUN")
        if np.isnan(d).all():
            return category
        _flag(category, d, d >= GLOBAL_MEDIANS * np.nanmedian(d), "GLOBAL_DEM")
    spike = category == "GLOBAL_DEM"
    _flag(category, d, _shifted(spike, 1) > 0, "GLOBAL_DEM_PLUS_MINUS")
    _flag(category, d, _shifted(spike, -1) > 0, "GLOBAL_DEM_PLUS_MINUS")

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        m48 = _rolling(d, SHORT_WINDOW_H).median().to_numpy()
        m480 = _rolling(d, LONG_WINDOW_H).median().to_numpy()
        e = d - m48
        iqr_e = _rolling_iqr(e, IQR_WINDOW_H)
        step_in = d - _shifted(d, 1)
        step_out = d - _shifted(d, -1)
        iqr_delta = _rolling_iqr(step_in, IQR_WINDOW_H)
        days = range(-TEMPLATE_DAYS, TEMPLATE_DAYS + 1)
        template = (
            1.0 + np.nanmedian(np.column_stack([_shifted(e, 24 * k) for k in days]), 1) / m480
        )
        expected = m48 * template
        r = d / expected
        r_long = d / (m480 * template)
        dr = r - _shifted(r, 1)
        iqr_r = float(np.nanpercentile(dr, 75) - np.nanpercentile(dr, 25))

        _flag(category, d, d >= expected + LOCAL_UP_IQR * iqr_e, "LOCAL_DEM_UP")
        _flag(category, d, d <= expected - LOCAL_DOWN_IQR * iqr_e, "LOCAL_DEM_DOWN")
        limit = DELTA_IQR * iqr_delta
        spike = ((step_in > limit) & (step_out > limit)) | (
            (step_in < -limit) & (step_out < -limit)
        )
        _flag(category, d, spike, "DELTA")
    hours = np.arange(n)
    for order, keep_closer in ((hours, True), (hours[::-1], False)):
        jump = _single_delta_pass(d, r, r_long, iqr_delta, iqr_r, order, keep_closer)
        _flag(category, d, jump, "SINGLE_DELTA")

    w = REGION_HALF_WIDTH_H
    good = np.isin(category, (OKAY, MISSING))
    flagged_share = 1.0 - _rolling(good.astype(float), 2 * w + 1).mean().to_numpy()
    bad_window = flagged_share > REGION_MAX_FLAGGED
    near_bad = (
        pd.Series(_shifted(bad_window.astype(float), -w))
        .rolling(2 * w, min_periods=1)
        .max()
        .to_numpy()
        > 0
    )  # some window centre t with j in [t - w, t + w)
    all_good_before = pd.Series(good).rolling(w + 1, min_periods=1).min().to_numpy() > 0
    all_good_after = _shifted(all_good_before.astype(float), -w) > 0
    short_run = (_run_lengths(good) <= w) & good
    region = near_bad & short_run & ~all_good_before & ~all_good_after
    _flag(category, d, region & (category == OKAY), "ANOMALOUS_REGION")
    return category


def fill(demand_mw: np.ndarray, rejected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Replace the ``rejected`` hours of an hourly series; returns (values MW, rule per hour).

    The rule is ``""`` for kept hours, ``linear`` or ``same_hour_neighbouring_days`` for filled
    ones (see the module docstring). Raises ValueError when the series has no good hour.
    """
    d = np.array(demand_mw, dtype=float)
    bad = np.asarray(rejected, dtype=bool) | np.isnan(d)
    d[bad] = np.nan
    rule = np.full(len(d), "", dtype=object)
    if not bad.any():
        return d, rule
    if bad.all():
        raise ValueError("no valid hour to fill the gaps from")
    run = _run_lengths(bad)
    short = bad & (run <= LINEAR_MAX_HOURS)
    hours = np.arange(len(d))
    known = ~bad
    interior = short & (hours > hours[known][0]) & (hours < hours[known][-1])
    out = d.copy()
    out[interior] = np.interp(hours[interior], hours[known], d[known])
    rule[interior] = "linear"
    rest = np.flatnonzero(bad & ~interior)
    before = np.full(len(rest), np.nan)
    after = np.full(len(rest), np.nan)
    for k in range(1, SAME_HOUR_MAX_DAYS + 1):
        for side, lag in ((before, 24 * k), (after, -24 * k)):
            source = rest - lag
            inside = (source >= 0) & (source < len(d))
            value = np.full(len(rest), np.nan)
            value[inside] = d[source[inside]]
            take = np.isnan(side) & ~np.isnan(value)
            side[take] = value[take]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        estimate = np.nanmean(np.column_stack([before, after]), axis=1)
    if np.isnan(estimate).any():
        t = rest[np.isnan(estimate)][0]
        raise ValueError(
            f"hour {t} has no good value at the same hour within {SAME_HOUR_MAX_DAYS} days"
        )
    out[rest] = estimate
    rule[rest] = "same_hour_neighbouring_days"
    return out, rule

"""Curtailment-enabled headroom of a balancing area (Norris et al., Duke, Feb 2025).

A new load ``L·s_t`` (``s_t = 1`` for a flat load, or a shape with maximum 1) is added to the
measured demand ``d_t``. In every hour the total must stay under the seasonal threshold
``θ_t`` (the highest summer or winter demand over all the years studied), so the new load is
curtailed by

    c_t(L) = min(L·s_t, max(0, d_t + L·s_t - θ_t))                       [MW]

(the ``min`` only binds where the measured demand alone exceeds its threshold, which Duke's
season definitions allow in shoulder months; it never does in the ERCOT and PJM data). The
curtailment rate of year y is ``ρ_y(L) = Σ_t c_t / (L·Σ_t s_t)``, and the headroom at limit
``r`` solves ``mean_y ρ_y(L) = r`` (Norris et al., Appendix C).

Solving it exactly: ``c_t = s_t·(L - b_t)⁺`` with the breakpoint ``b_t = max(0, (θ_t - d_t)/s_t)``,
so ``ρ_y(L) = (W_y(L) - V_y(L)/L)/E_y`` with ``W_y = Σ_{b_t<L} s_t``, ``V_y = Σ_{b_t<L} s_t·b_t``,
``E_y = Σ_t s_t``: a function ``A - B/L`` between consecutive breakpoints, nondecreasing in L
(``Σ c_t`` is convex and zero at L = 0). The solver finds the bracketing breakpoints by binary
search on sorted cumulative sums and returns ``L = B/(A - r)`` in that bracket: exact, with no
iteration tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from gridmodel.schema.headroom import Seasons

DUKE_SOURCE = (
    "Norris et al., 'Rethinking Load Growth', Duke Nicholas Institute NI R 25-01 (Feb 2025)"
)


def seasonal_thresholds(demand: xr.DataArray, seasons: Seasons) -> xr.Dataset:
    """Threshold of every hour (``threshold_mw``, time) and of each season (``season_peak_mw``).

    ``demand`` has dim ``time`` and a local ``month`` coordinate (see
    :meth:`gridmodel.data.eia930.MeasuredDemand.to_dataarray`).
    """
    month = demand.month
    peaks = {}
    for season, months in (
        ("summer", seasons.summer_peak_months),
        ("winter", seasons.winter_peak_months),
    ):
        within = demand.where(month.isin(months))
        if not bool(within.notnull().any()):
            raise ValueError(f"no demand in the {season} peak months {months}")
        peaks[season] = float(within.max())
    summer = month.isin(seasons.summer_threshold_months)
    threshold = xr.where(summer, peaks["summer"], peaks["winter"]).rename("threshold_mw")
    return xr.Dataset(
        {
            "threshold_mw": threshold.assign_attrs(units="MW"),
            "season_peak_mw": xr.DataArray(
                [peaks["summer"], peaks["winter"]],
                dims="season",
                coords={"season": ["summer", "winter"]},
                attrs={"units": "MW", "description": "highest demand in the season's peak months"},
            ),
        }
    )


@dataclass(frozen=True)
class CurtailmentCurve:
    """Per year, the sorted breakpoints ``b`` with cumulative ``W`` and ``V`` (see the module
    docstring) and the potential energy per MW ``E``; evaluates and inverts ``mean_y ρ_y(L)``."""

    breakpoints: list[np.ndarray]
    cum_weight: list[np.ndarray]
    cum_weighted_b: list[np.ndarray]
    energy_per_mw: np.ndarray

    @classmethod
    def build(cls, demand_mw, threshold_mw, shape, year) -> CurtailmentCurve:
        """From hourly demand, threshold and shape (MW, MW, pu) and the year of each hour."""
        demand_mw, threshold_mw = np.asarray(demand_mw, float), np.asarray(threshold_mw, float)
        shape, year = np.asarray(shape, float), np.asarray(year)
        b_all, w_all, v_all, energy = [], [], [], []
        for y in np.unique(year):
            here = (year == y) & (shape > 0)
            s = shape[here]
            b = np.maximum(0.0, (threshold_mw[here] - demand_mw[here]) / s)
            order = np.argsort(b, kind="stable")
            b, s = b[order], s[order]
            b_all.append(b)
            w_all.append(np.r_[0.0, np.cumsum(s)])
            v_all.append(np.r_[0.0, np.cumsum(s * b)])
            energy.append(shape[year == y].sum())
        energy = np.asarray(energy)
        if (energy <= 0).any():
            raise ValueError("the new load's shape is zero for a whole year")
        return cls(b_all, w_all, v_all, energy)

    def _sums(self, load_mw: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray]:
        """``A = mean_y W_y/E_y`` and ``B = mean_y V_y/E_y`` over breakpoints below ``load_mw``
        (``side='left'``: b < L; ``'right'``: b <= L)."""
        a = np.zeros_like(load_mw)
        b = np.zeros_like(load_mw)
        for bp, w, v, e in zip(
            self.breakpoints, self.cum_weight, self.cum_weighted_b, self.energy_per_mw, strict=True
        ):
            k = np.searchsorted(bp, load_mw, side=side)
            a += w[k] / e
            b += v[k] / e
        n = len(self.energy_per_mw)
        return a / n, b / n

    def rate(self, load_mw) -> np.ndarray:
        """Mean curtailment rate (fraction) at each new-load size ``load_mw`` (MW, > 0)."""
        load = np.atleast_1d(np.asarray(load_mw, float))
        a, b = self._sums(load, "left")
        return a - b / load

    def load_for_rate(self, rates) -> np.ndarray:
        """The new loads (MW) whose mean curtailment rate is each of ``rates`` (fractions in
        (0, 1)); 0 where any load at all would exceed the rate."""
        rates = np.atleast_1d(np.asarray(rates, float))
        if ((rates <= 0) | (rates >= 1)).any():
            raise ValueError(f"curtailment rates must be in (0, 1), got {rates.tolist()}")
        grid = np.unique(np.concatenate(self.breakpoints))
        grid = grid[grid > 0]
        i = np.searchsorted(self.rate(grid), rates, side="left")  # first point at >= rate
        below = np.where(i > 0, grid[np.maximum(i - 1, 0)], 0.0)
        a, b = self._sums(below, "right")  # the breakpoints below L in (grid[i-1], grid[i]]
        # b = 0: hours the measured demand alone fills reach the rate for any L > 0
        return np.where(b > 0, b / np.where(b > 0, a - rates, 1.0), 0.0)


def _as_shape(shape, demand: xr.DataArray) -> np.ndarray:
    if shape is None:
        return np.ones(demand.sizes["time"])
    values = np.asarray(getattr(shape, "values", shape), dtype=float)
    if values.shape != (demand.sizes["time"],):
        raise ValueError(
            f"the shape has {values.shape[0]} hours, the demand {demand.sizes['time']}"
        )
    if not np.isfinite(values).all() or (values < 0).any() or values.max() <= 0:
        raise ValueError("the shape must be finite, non-negative and not all zero")
    return values / values.max()


def annual_shape(shape_1y, demand: xr.DataArray) -> np.ndarray:
    """A one-year hourly shape laid on every year of ``demand`` (by hour of the local year;
    a year longer than the shape repeats the shape's last day, a shorter one drops its end)."""
    values = np.asarray(shape_1y, dtype=float)
    if len(values) < 24 * 365:
        raise ValueError(f"a one-year shape needs at least 8,760 hours, got {len(values)}")
    out = np.empty(demand.sizes["time"])
    year = demand.year.values
    for y in np.unique(year):
        where = np.flatnonzero(year == y)
        position = np.arange(len(where))
        while (position >= len(values)).any():
            position[position >= len(values)] -= 24
        out[where] = values[position]
    return out


def _events(curtailed: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Lengths (hours) of runs of curtailed hours; a run is cut at a year boundary."""
    starts = curtailed & ~np.r_[False, curtailed[:-1] & (year[1:] == year[:-1])]
    run_id = np.cumsum(starts)[curtailed]
    return np.bincount(run_id)[1:] if len(run_id) else np.zeros(0, dtype=int)


def _curtailed_mw(demand_mw: np.ndarray, threshold_mw: np.ndarray, new_mw: np.ndarray):
    """``c_t = min(new_t, max(0, d_t + new_t - θ_t))`` (MW)."""
    return np.minimum(new_mw, np.maximum(0.0, demand_mw + new_mw - threshold_mw))


def curtailment(
    demand: xr.DataArray, threshold_mw: xr.DataArray, load_mw: float, shape=None
) -> xr.DataArray:
    """Hourly curtailment ``c_t`` (MW) of a new load ``load_mw·s_t`` (see the module docstring)."""
    new = load_mw * _as_shape(shape, demand)
    return xr.DataArray(
        _curtailed_mw(demand.values, threshold_mw.values, new),
        coords=demand.coords,
        dims="time",
        attrs={"units": "MW"},
    )


def balancing_headroom(
    demand: xr.DataArray,
    rates_percent,
    seasons: Seasons | None = None,
    shape=None,
    served_fraction: float = 0.5,
    curve_points: int = 200,
) -> xr.Dataset:
    """Curtailment-enabled headroom of one balancing area at each curtailment limit.

    ``demand`` (MW, dim ``time``, local ``year`` and ``month`` coordinates) holds the years
    studied; ``rates_percent`` the limits (% of the new load's potential energy, mean over
    years); ``shape`` (same hours, any scale) replaces the flat new load. Returns, by ``rate``:
    ``headroom_mw``; by ``rate`` and ``year``: ``curtailment_rate_percent``,
    ``curtailed_mwh``, ``curtailed_hours``, ``events``; pooled over years:
    ``mean_event_hours`` (curtailed hours / events), ``served_share_percent`` (share of
    curtailed hours still serving ``served_fraction`` of the new load), seasonal shares of
    curtailed energy; ``event_count`` by event duration; the thresholds; and the rate against
    load curve ``curve_rate_percent`` on ``load_mw``.
    """
    seasons = Seasons() if seasons is None else seasons
    rates = np.asarray(rates_percent, dtype=float)
    if ((rates <= 0) | (rates >= 100)).any():
        raise ValueError(f"curtailment limits must be in (0, 100) %, got {rates.tolist()}")
    s = _as_shape(shape, demand)
    thresholds = seasonal_thresholds(demand, seasons)
    theta = thresholds.threshold_mw.values
    d = demand.values
    year = demand.year.values
    month = demand.month.values
    years = np.unique(year)
    curve = CurtailmentCurve.build(d, theta, s, year)
    headroom = curve.load_for_rate(rates / 100.0)

    per_year = {k: np.zeros((len(rates), len(years))) for k in ("rate", "mwh", "hours", "events")}
    pooled = {k: np.zeros(len(rates)) for k in ("mean_h", "served", "winter", "summer")}
    durations = []
    for i, load in enumerate(headroom):
        c = _curtailed_mw(d, theta, load * s)
        curtailed = c > 1e-9 * max(load, 1.0)
        lengths = _events(curtailed, year)
        durations.append(lengths)
        for j, y in enumerate(years):
            here = year == y
            per_year["mwh"][i, j] = c[here].sum()
            per_year["rate"][i, j] = 100.0 * c[here].sum() / (load * s[here].sum()) if load else 0
            per_year["hours"][i, j] = curtailed[here].sum()
            per_year["events"][i, j] = len(_events(curtailed[here], year[here]))
        total = c.sum()
        pooled["mean_h"][i] = curtailed.sum() / len(lengths) if len(lengths) else 0.0
        served = (load * s - c)[curtailed] >= served_fraction * (load * s)[curtailed] - 1e-9
        pooled["served"][i] = 100.0 * served.mean() if curtailed.any() else 0.0
        for season, months in (
            ("winter", seasons.winter_peak_months),
            ("summer", seasons.summer_peak_months),
        ):
            share = c[np.isin(month, months)].sum() / total if total > 0 else 0.0
            pooled[season][i] = 100.0 * share
    max_len = max((int(x.max()) for x in durations if len(x)), default=1)
    duration = np.arange(1, max_len + 1)
    event_count = np.array([np.bincount(x, minlength=max_len + 1)[1:] for x in durations])

    top = max(float(headroom.max()), 1.0) * 1.25
    load_grid = np.linspace(top / curve_points, top, curve_points)
    annual_peak = demand.groupby("year").max().values
    return xr.Dataset(
        {
            "headroom_mw": ("rate", headroom, {"units": "MW"}),
            "headroom_percent_of_peak": (
                "rate",
                100.0 * headroom / annual_peak.max(),
                {"units": "%", "description": "headroom / highest demand of the years studied"},
            ),
            "curtailment_rate_percent": (("rate", "year"), per_year["rate"], {"units": "%"}),
            "curtailed_mwh": (("rate", "year"), per_year["mwh"], {"units": "MWh"}),
            "curtailed_hours": (("rate", "year"), per_year["hours"], {"units": "h"}),
            "events": (("rate", "year"), per_year["events"], {"units": "1"}),
            "curtailed_hours_per_year": (
                "rate",
                per_year["hours"].mean(axis=1),
                {"units": "h/yr"},
            ),
            "events_per_year": ("rate", per_year["events"].mean(axis=1), {"units": "1/yr"}),
            "mean_event_hours": (
                "rate",
                pooled["mean_h"],
                {"units": "h", "description": "curtailed hours / curtailment events, all years"},
            ),
            "served_share_percent": (
                "rate",
                pooled["served"],
                {
                    "units": "%",
                    "description": "share of curtailed hours in which at least "
                    f"{served_fraction:g} of the new load is still served",
                },
            ),
            "winter_share_percent": (
                "rate",
                pooled["winter"],
                {"units": "%", "description": "share of curtailed energy in the winter months"},
            ),
            "summer_share_percent": (
                "rate",
                pooled["summer"],
                {"units": "%", "description": "share of curtailed energy in the summer months"},
            ),
            "event_count": (
                ("rate", "duration_h"),
                event_count,
                {"units": "1", "description": "curtailment events of each length, all years"},
            ),
            "curve_rate_percent": (
                "load_mw",
                100.0 * curve.rate(load_grid),
                {"units": "%", "description": "mean curtailment rate of a new load of load_mw"},
            ),
            "annual_peak_mw": ("year", annual_peak, {"units": "MW"}),
            "hours_demand_above_threshold": (
                "year",
                np.array([(d[year == y] > theta[year == y]).sum() for y in years]),
                {
                    "units": "h",
                    "description": "hours the measured demand alone exceeds its season's "
                    "threshold (shoulder months); the new load is fully curtailed in them",
                },
            ),
            "hours_in_year": ("year", np.bincount(np.searchsorted(years, year)), {"units": "h"}),
            "season_peak_mw": thresholds.season_peak_mw,
        },
        coords={
            "rate": ("rate", rates, {"units": "%", "long_name": "curtailment limit"}),
            "year": years,
            "duration_h": ("duration_h", duration, {"units": "h"}),
            "load_mw": ("load_mw", load_grid, {"units": "MW"}),
        },
        attrs={
            "method": "curtailment-enabled headroom, seasonal peak thresholds",
            "source": DUKE_SOURCE,
            "new_load": "flat" if shape is None else "shaped (normalised to its maximum)",
            "served_fraction": served_fraction,
        },
    )

"""Figures of a grid-stress run: loading-duration curves, the campus's effect on branch loading
and bus voltages (with minus without), network map. Branches and buses are labelled with the
case's names; hours are shown as dates when the network has a load year."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.report.style import (
    DIVERGING_CMAP,
    ONE_COLUMN_IN,
    PALETTE,
    SEQUENTIAL_CMAP,
    TWO_COLUMN_IN,
    figure,
    save,
)


def _date_axis(ax, ds: xr.Dataset, axis: str = "x") -> str:
    """Format ``axis`` as dates; return its label."""
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator()
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(locator)
    target.set_major_formatter(mdates.ConciseDateFormatter(locator))
    return "Date (local standard time)"


def branch_label(ds: xr.Dataset, branch) -> str:
    """``FROM NAME - TO NAME`` of a branch (bus numbers where the case has no names)."""
    names = dict(zip(ds.bus.to_numpy().tolist(), ds.bus_name.to_numpy().tolist(), strict=True))
    f, t = int(ds.from_bus.sel(branch=branch)), int(ds.to_bus.sel(branch=branch))
    return f"{names.get(f) or f} - {names.get(t) or t}"


def loading_duration(ds: xr.Dataset, n: int, limit: float, folder: Path):
    """Sorted hourly loading of the ``n`` worst branches, with (solid) and without (dashed) campuses."""
    peak = ds.loading_percent.max("time").fillna(0)
    worst = peak.sortby(peak, ascending=False).branch.to_numpy()[:n]
    fig, ax = figure(TWO_COLUMN_IN)
    hours = np.arange(1, ds.sizes["time"] + 1)
    share = hours / hours[-1] * 100.0
    for k, b in enumerate(worst):
        colour = PALETTE[k % len(PALETTE)]
        series = np.sort(ds.loading_percent.sel(branch=b).to_numpy())[::-1]
        label = branch_label(ds, b)
        ax.plot(share, series, color=colour, lw=1.2, label=label)
        if "loading_percent_without_campus" in ds:
            ax.plot(
                share,
                np.sort(ds.loading_percent_without_campus.sel(branch=b).to_numpy())[::-1],
                color=colour,
                lw=0.9,
                ls="--",
            )
    ax.axhline(limit, color="black", lw=0.8, ls=":")
    ax.set_xlabel("Share of hours (%)")
    ax.set_ylabel("Branch loading (% of RATE_A)")
    ax.set_title(
        "Loading-duration curves of the most loaded branches (solid: with campuses, dashed: without)"
    )
    ax.legend(title="branch (from - to)", ncol=2, frameon=False, fontsize="small")
    return save(fig, folder, "loading_duration")


def network_map(
    ds: xr.Dataset, hour_row: int, positions: np.ndarray, geographic: bool, folder: Path
):
    """Branches coloured by loading at one hour, campus buses marked; buses at ``positions``
    (rows of ``ds.bus``: the case's coordinates when ``geographic``, else a force-directed
    layout of the topology, see :mod:`gridmodel.networks.layout`)."""
    pos = dict(zip(ds.bus.to_numpy().tolist(), map(tuple, positions), strict=True))
    loading = ds.loading_percent.isel(time=hour_row).to_numpy()
    fig, ax = figure((7.2, 6.0))
    order = np.argsort(np.nan_to_num(loading))
    segments = np.array(
        [
            [pos[f], pos[t]]
            for f, t in zip(ds.from_bus.to_numpy()[order], ds.to_bus.to_numpy()[order], strict=True)
        ]
    )
    from matplotlib.collections import LineCollection

    lc = LineCollection(
        segments,
        cmap=SEQUENTIAL_CMAP,
        linewidths=0.5 + np.clip(np.nan_to_num(loading[order]), 0, 150) / 60,
    )
    lc.set_array(np.nan_to_num(loading[order]))
    lc.set_clim(0, 120)
    ax.add_collection(lc)
    campus = ds.campus_bus.to_numpy()
    if len(campus):
        xy = np.array([pos[b] for b in campus])
        ax.scatter(xy[:, 0], xy[:, 1], marker="*", s=120, color="#D55E00", zorder=3, label="campus")
        ax.legend(frameon=False, loc="lower right")
    ax.autoscale()
    ax.set_axis_off()
    bar = fig.colorbar(lc, ax=ax, shrink=0.7)
    bar.set_label("Branch loading (% of RATE_A)")
    when = pd.Timestamp(ds.time.values[hour_row])
    layout = "case coordinates" if geographic else "schematic layout"
    ax.set_title(f"Branch loading at {when:%Y-%m-%d %H:%M} ({layout})")
    return save(fig, folder, "network_loading_map")


def campus_loading_change(ds: xr.Dataset, baseline: xr.Dataset, n: int, folder: Path):
    """Change in branch loading the campuses cause (with minus without, percentage points of
    RATE_A), daily mean over the study, for the ``n`` branches with the largest mean change
    (hour-to-hour changes of commitment make single hours noisy; the mean is the campus's
    lasting effect)."""
    mean = (ds.loading_percent.mean("time") - baseline.loading_percent.mean("time")).fillna(-np.inf)
    worst = mean.sortby(mean, ascending=False).branch.to_numpy()[:n]
    daily = ds.loading_percent.sel(branch=worst) - baseline.loading_percent.sel(branch=worst)
    if ds.sizes["time"] > 72:
        daily = daily.resample(time="1D").mean()
        x = daily.time.to_numpy()
    else:
        x = ds.time.to_numpy()
    fig, ax = figure(TWO_COLUMN_IN)
    for k, b in enumerate(worst):
        ax.plot(x, daily.sel(branch=b), color=PALETTE[k % 8], lw=1.0, label=branch_label(ds, b))
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_xlabel(_date_axis(ax, ds))
    ax.set_ylabel("Loading change, daily mean (% points)")
    ax.set_title("Branch loading added by the campuses (with minus without)")
    ax.legend(
        title="branch (from - to)",
        ncol=2,
        frameon=False,
        fontsize="small",
        loc="upper center",
        bbox_to_anchor=(0.5, -0.22),
    )
    return save(fig, folder, "campus_loading_change")


def voltage_heatmap(ds: xr.Dataset, baseline: xr.Dataset | None, area: str, folder: Path):
    """Bus voltages of ``area`` over the study (dates x buses): the change the campuses cause
    (with minus without, pu) when ``baseline`` is given, else the voltage itself."""
    vm = ds.vm_pu if baseline is None else ds.vm_pu - baseline.vm_pu
    sub = vm.where(ds.area == area, drop=True)
    sub = sub.sortby(sub.vn_kv, ascending=False)
    span = float(np.nanmax(np.abs(sub.to_numpy()))) if baseline is not None else 0.1
    span = span if np.isfinite(span) and span > 0 else 0.01
    centre = 0.0 if baseline is not None else 1.0
    fig, ax = figure(TWO_COLUMN_IN)
    times = ds.time.to_numpy()
    edges = np.append(times, times[-1] + (times[-1] - times[0]) / max(len(times) - 1, 1))
    mesh = ax.pcolormesh(
        np.arange(sub.sizes["bus"] + 1),
        edges,
        sub.to_numpy(),
        cmap=DIVERGING_CMAP,
        vmin=centre - span,
        vmax=centre + span,
        shading="flat",
        rasterized=True,
    )
    ax.set_xlabel(f"Bus of the {area} area (by nominal voltage, high to low)")
    ax.set_ylabel(_date_axis(ax, ds, axis="y"))
    bar = fig.colorbar(mesh, ax=ax)
    if baseline is not None:
        bar.set_label("Voltage change (pu, with minus without campuses)")
        ax.set_title(f"Bus voltage change caused by the campuses in the {area} area")
    else:
        bar.set_label("Voltage magnitude (pu)")
        ax.set_title(f"Bus voltages in the {area} area")
    return save(fig, folder, "voltage_heatmap")


def hosting_capacity_bars(table: xr.Dataset, folder: Path):
    """Hosting capacity (MW) for each criterion."""
    fig, ax = figure(ONE_COLUMN_IN)
    names = [str(c) for c in table.criterion.values]
    values = table.hosting_capacity_mw.to_numpy()
    ax.bar(names, values, color=["#0072B2", "#E69F00"][: len(values)])
    ax.set_ylabel("Hosting capacity (MW)")
    ax.set_xlabel("Criterion")
    ax.set_title("Largest campus without a new violation")
    return save(fig, folder, "hosting_capacity")


def draw(tree: xr.DataTree, folder: Path) -> list[Path]:
    """Every figure of a stored stress result."""
    from gridmodel.stress.run import without_campus

    ds = tree["timeseries"].to_dataset()
    n = min(int(tree.attrs.get("worst_branches", 8)), 8)
    written = loading_duration(ds, n, float(tree.attrs["loading_limit_percent"]), folder)
    positions = np.column_stack([ds.bus_x.to_numpy(), ds.bus_y.to_numpy()])
    geographic = ds.attrs.get("bus_layout") == "case coordinates"
    peak = int(np.nanargmax(ds.load_mw.to_numpy()))
    written += network_map(ds, peak, positions, geographic, folder)
    buses = ds.campus_bus.to_numpy()
    area = str(ds.area.sel(bus=buses[0]).values) if len(buses) else str(ds.area.values[0])
    baseline = without_campus(ds) if "vm_pu_without_campus" in ds else None
    written += voltage_heatmap(ds, baseline, area, folder)
    if baseline is not None:
        written += campus_loading_change(ds, baseline, min(n, 6), folder)
    if "hosting_capacity" in tree:
        written += hosting_capacity_bars(tree["hosting_capacity"].to_dataset(), folder)
    return written

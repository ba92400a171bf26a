"""Figures of a grid-stress run: loading-duration curves, network map, voltage heat map."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.report.style import (
    DIVERGING_CMAP,
    ONE_COLUMN_IN,
    SEQUENTIAL_CMAP,
    TWO_COLUMN_IN,
    figure,
    save,
)


def loading_duration(ds: xr.Dataset, n: int, limit: float, folder: Path):
    """Sorted hourly loading of the ``n`` worst branches, with (solid) and without (dashed) campuses."""
    peak = ds.loading_percent.max("time").fillna(0)
    worst = peak.sortby(peak, ascending=False).branch.to_numpy()[:n]
    fig, ax = figure(TWO_COLUMN_IN)
    hours = np.arange(1, ds.sizes["time"] + 1)
    share = hours / hours[-1] * 100.0
    for k, b in enumerate(worst):
        colour = f"C{k % 8}"
        series = np.sort(ds.loading_percent.sel(branch=b).to_numpy())[::-1]
        label = f"{int(ds.from_bus.sel(branch=b))}-{int(ds.to_bus.sel(branch=b))}"
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
    ax.legend(title="branch (from-to bus)", ncol=2, frameon=False)
    return save(fig, folder, "loading_duration")


def schematic_layout(buses, from_bus, to_bus) -> dict:
    """Bus positions {case bus: (x, y)} from a spring layout of the topology (the ACTIVSg cases
    ship no coordinates); the same network always gets the same layout."""
    graph = nx.Graph()
    graph.add_nodes_from(np.asarray(buses).tolist())
    graph.add_edges_from(zip(np.asarray(from_bus).tolist(), np.asarray(to_bus).tolist(), strict=True))  # fmt: skip
    return nx.spring_layout(graph, seed=0, iterations=60)


def network_map(ds: xr.Dataset, hour_row: int, folder: Path):
    """Branches coloured by loading at one hour; buses placed by :func:`schematic_layout`,
    campus buses marked."""
    pos = schematic_layout(ds.bus.to_numpy(), ds.from_bus.to_numpy(), ds.to_bus.to_numpy())
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
    ax.set_title(f"Branch loading at {when:%Y-%m-%d %H:%M} (schematic layout)")
    return save(fig, folder, "network_loading_map")


def voltage_heatmap(ds: xr.Dataset, area: str, folder: Path):
    """Bus voltage magnitude over hours for the buses of ``area`` (hours x buses)."""
    sub = ds.vm_pu.where(ds.area == area, drop=True)
    sub = sub.sortby(sub.vn_kv, ascending=False)
    fig, ax = figure(TWO_COLUMN_IN)
    mesh = ax.pcolormesh(
        np.arange(sub.sizes["bus"] + 1),
        np.arange(sub.sizes["time"] + 1),
        sub.to_numpy(),
        cmap=DIVERGING_CMAP,
        vmin=0.9,
        vmax=1.1,
        shading="flat",
        rasterized=True,
    )
    ax.set_xlabel(f"Bus of the {area} area (by nominal voltage, high to low)")
    ax.set_ylabel("Hour of the study")
    bar = fig.colorbar(mesh, ax=ax)
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
    ds = tree["timeseries"].to_dataset()
    written = loading_duration(ds, 8, float(tree.attrs["loading_limit_percent"]), folder)
    written += network_map(ds, int(np.nanargmax(ds.load_mw.to_numpy())), folder)
    buses = ds.campus_bus.to_numpy()
    area = str(ds.area.sel(bus=buses[0]).values) if len(buses) else str(ds.area.values[0])
    written += voltage_heatmap(ds, area, folder)
    if "hosting_capacity" in tree:
        written += hosting_capacity_bars(tree["hosting_capacity"].to_dataset(), folder)
    return written

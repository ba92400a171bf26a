"""Sites on a network map: the branches in grey, each site a dot coloured by a value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from gridmodel.report.style import SEQUENTIAL_CMAP, figure, save


def site_map(
    ds: xr.Dataset,
    site_bus: np.ndarray,
    names: np.ndarray,
    values: np.ndarray,
    label: str,
    title: str,
    folder: Path,
    stem: str,
    sizes: np.ndarray | None = None,
) -> list[Path]:
    """Sites at their buses on the map of ``ds`` (``network_bus_x``/``_y`` on ``network_bus``,
    ``network_from_bus``/``_to_bus``: :func:`gridmodel.networks.layout.map_layout`), coloured by
    ``values`` (colour bar ``label``), dot areas ``sizes`` (points², default 90)."""
    from matplotlib.collections import LineCollection

    xy = np.column_stack([ds.network_bus_x.to_numpy(), ds.network_bus_y.to_numpy()])
    pos = dict(zip(ds.network_bus.to_numpy().tolist(), map(tuple, xy), strict=True))
    segments = [[pos[f], pos[t]] for f, t in zip(ds.network_from_bus.to_numpy().tolist(),
                                                 ds.network_to_bus.to_numpy().tolist(), strict=True)]  # fmt: skip
    fig, ax = figure((7.2, 6.0))
    ax.add_collection(LineCollection(segments, colors="#999999", linewidths=0.4, zorder=1))
    at = np.array([pos[int(b)] for b in site_bus])
    points = ax.scatter(at[:, 0], at[:, 1], c=values, cmap=SEQUENTIAL_CMAP,
                        s=90 if sizes is None else sizes, edgecolors="black", linewidths=0.6,
                        zorder=3)  # fmt: skip
    if len(names) <= 20:
        for (x, y), name in zip(at, names, strict=True):
            ax.annotate(str(name), (x, y), xytext=(5, 5), textcoords="offset points",
                        fontsize="x-small")  # fmt: skip
    ax.autoscale()
    ax.set_axis_off()
    bar = fig.colorbar(points, ax=ax, shrink=0.7)
    bar.formatter.set_useOffset(False)
    bar.set_label(label)
    layout = ds.network_bus_x.attrs.get("layout", "schematic layout")
    ax.set_title(f"{title} ({layout})")
    return save(fig, folder, stem)

"""Bus positions for network maps, computed once per network and cached beside it.

A case that carries bus coordinates (pandapower's ``net.bus.geo``, GeoJSON points) is drawn
where it says. The ACTIVSg cases carry none, so their buses are placed by a force-directed
layout of the topology: Fruchterman & Reingold (1991) with the grid variant of their paper
(repulsion only from buses within two ideal edge lengths, found through a cell grid), started
from the spectral layout (the two Laplacian eigenvectors after the constant one, each replaced
by its ranks so that the buses start evenly spread) so that few iterations untangle it. Each iteration costs O(buses + branches), which keeps western10k to
seconds where networkx's all-pairs spring layout took 327 s.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import scipy.sparse as sp
from numba import njit

from gridmodel.io import write_atomic
from gridmodel.resources import cache_dir

LAYOUT_VERSION = "1"  # bump when the layout changes, so cached positions are recomputed


def map_layout(network):
    """The network as a map in an xarray Dataset: bus positions (``network_bus_x``/``_y`` on
    ``network_bus``, the case's numbers; attribute ``layout``) and each branch's end buses
    (``network_from_bus``/``network_to_bus`` on ``network_branch``, the case's branch rows)."""
    import xarray as xr

    branches = network.branches
    xy = network_positions(network)
    geographic = geographic_positions(network.net) is not None
    layout = {"layout": "case coordinates" if geographic else "schematic layout"}
    return xr.Dataset(
        {
            "network_from_bus": ("network_branch", branches.from_bus.to_numpy(int)),
            "network_to_bus": ("network_branch", branches.to_bus.to_numpy(int)),
            "network_bus_x": ("network_bus", xy[:, 0], layout),
            "network_bus_y": ("network_bus", xy[:, 1], layout),
        },
        coords={"network_bus": network.buses.bus.to_numpy(int)},
    )


def network_positions(network) -> np.ndarray:
    """(x, y) of every bus of ``network`` (rows of ``network.buses``); cached on disk."""
    buses, branches = network.buses, network.branches
    text = "|".join(
        [
            LAYOUT_VERSION,
            network.name,
            ",".join(map(str, buses.bus)),
            ",".join(f"{f}-{t}" for f, t in zip(branches.from_bus, branches.to_bus, strict=True)),
        ]
    )
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = cache_dir() / f"{network.name}-layout-{digest}.npy"
    if path.exists():
        try:
            return np.load(path)
        except (OSError, ValueError):  # an unreadable cache entry is recomputed
            path.unlink(missing_ok=True)
    geo = geographic_positions(network.net)
    if geo is None:
        position = row_positions(buses.bus.to_numpy())
        edges = np.column_stack(
            [position(branches.from_bus.to_numpy()), position(branches.to_bus.to_numpy())]
        )
        geo = force_layout(len(buses), edges)

    def writer(tmp):
        with tmp.open("wb") as fh:
            np.save(fh, geo)

    write_atomic(path, writer)
    return geo


def row_positions(bus_numbers: np.ndarray):
    """A function mapping case bus numbers to their row positions."""
    order = np.argsort(bus_numbers)
    return lambda numbers: order[np.searchsorted(bus_numbers[order], numbers)]


def geographic_positions(net) -> np.ndarray | None:
    """(longitude, latitude) from ``net.bus.geo`` when every bus has one, else None."""
    geo = net.bus.get("geo")
    if geo is None or geo.isna().any():
        return None
    return np.array([json.loads(g)["coordinates"][:2] for g in geo], dtype=float)


def force_layout(n: int, edges: np.ndarray, iterations: int = 200, seed: int = 0) -> np.ndarray:
    """Positions (n x 2, in [0, 1]²) of a graph with ``edges`` (m x 2 node positions)."""
    edges = edges[edges[:, 0] != edges[:, 1]]
    adjacency = sp.coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
    adjacency = ((adjacency + adjacency.T) > 0).astype(float)
    pos = _spectral(adjacency, seed)
    k = 1.0 / np.sqrt(n)  # ideal edge length in the unit square
    pos = _fruchterman_reingold(pos, edges.astype(np.int64), k, iterations)
    pos -= pos.min(axis=0)
    return pos / max(pos.max(), 1e-12)


def _spectral(adjacency: sp.spmatrix, seed: int) -> np.ndarray:
    """Ranks (scaled to [0, 1]) of the Laplacian eigenvectors of the second and third smallest
    eigenvalues."""
    from scipy.sparse.linalg import eigsh

    n = adjacency.shape[0]
    rng = np.random.default_rng(seed)
    if n < 4:
        return rng.random((n, 2))
    laplacian = sp.diags(np.asarray(adjacency.sum(axis=1)).ravel()) - adjacency
    # shift-invert just below zero finds the smallest eigenvalues of the (singular) Laplacian
    _, vectors = eigsh(laplacian.tocsc(), k=3, sigma=-1e-3, v0=rng.random(n))
    # ranks spread the eigenvectors' dense core evenly over the square (order is kept)
    ranks = np.argsort(np.argsort(vectors[:, 1:3] + 1e-9 * rng.random((n, 2)), axis=0), axis=0)
    return ranks / (n - 1.0)


@njit(cache=True)
def _fruchterman_reingold(pos, edges, k, iterations):
    """Forces: attraction d²/k along edges, repulsion k²/d between buses closer than 2k
    (cell grid of side 2k); each step moves a bus by at most the temperature, which cools
    linearly from 0.1 to 0."""
    n = pos.shape[0]
    pos = pos.copy()
    cell = 2.0 * k
    for it in range(iterations):
        temperature = 0.1 * (1.0 - it / iterations)
        disp = np.zeros((n, 2))
        lo_x, lo_y = pos[:, 0].min(), pos[:, 1].min()
        nx = int((pos[:, 0].max() - lo_x) / cell) + 1
        ny = int((pos[:, 1].max() - lo_y) / cell) + 1
        cx = ((pos[:, 0] - lo_x) / cell).astype(np.int64)
        cy = ((pos[:, 1] - lo_y) / cell).astype(np.int64)
        key = cx * ny + cy
        order = np.argsort(key)
        start = np.searchsorted(key[order], np.arange(nx * ny + 1))
        for i in range(n):
            for dx in range(-1, 2):
                for dy in range(-1, 2):
                    gx, gy = cx[i] + dx, cy[i] + dy
                    if gx < 0 or gy < 0 or gx >= nx or gy >= ny:
                        continue
                    c = gx * ny + gy
                    for q in range(start[c], start[c + 1]):
                        j = order[q]
                        if j == i:
                            continue
                        ddx = pos[i, 0] - pos[j, 0]
                        ddy = pos[i, 1] - pos[j, 1]
                        d2 = ddx * ddx + ddy * ddy
                        if d2 < cell * cell:
                            d2 = max(d2, 1e-12)
                            f = k * k / d2
                            disp[i, 0] += ddx * f
                            disp[i, 1] += ddy * f
        for e in range(edges.shape[0]):
            i, j = edges[e, 0], edges[e, 1]
            ddx = pos[i, 0] - pos[j, 0]
            ddy = pos[i, 1] - pos[j, 1]
            d = np.sqrt(ddx * ddx + ddy * ddy)
            f = d / k
            disp[i, 0] -= ddx * f
            disp[i, 1] -= ddy * f
            disp[j, 0] += ddx * f
            disp[j, 1] += ddy * f
        for i in range(n):
            length = np.sqrt(disp[i, 0] ** 2 + disp[i, 1] ** 2)
            if length > 0:
                step = min(length, temperature) / length
                pos[i, 0] += disp[i, 0] * step
                pos[i, 1] += disp[i, 1] * step
    return pos

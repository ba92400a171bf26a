"""Figures of `gridmodel optimize`: capacity mix, peak-week dispatch stack, cost breakdown."""

from __future__ import annotations

from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import xarray as xr

from gridmodel.report.style import PALETTE, figure, save


def capacity_mix(tree: xr.DataTree, folder: Path) -> list[Path]:
    """New capacity by technology: regional expansion (with and without the campuses) and the
    campus's on-site fleet."""
    bars: dict[str, dict[str, float]] = {}
    for group, label in (("expansion", "Regional expansion"),
                         ("expansion_without_campus", "Regional expansion, no campus")):  # fmt: skip
        if group not in tree:
            continue
        ds = tree[group]
        mw = ds.capacity_mw.groupby("technology").sum()
        bars[label] = {
            str(t): float(v) for t, v in zip(mw.technology.values, mw.values, strict=True)
        }
    if "campus" in tree:
        ds = tree["campus"]
        campus = {
            str(g): float(v) for g, v in zip(ds.gas.values, ds.gas_capacity_mw.values, strict=True)
        }
        campus.update({"battery": float(ds.battery_mw), "solar": float(ds.solar_mw)})
        bars["Campus (behind the meter)"] = campus
    techs = sorted({t for b in bars.values() for t, v in b.items() if v > 1e-6})
    fig, ax = figure()
    left = np.zeros(len(bars))
    rows = np.arange(len(bars))
    for i, tech in enumerate(techs):
        values = np.array([b.get(tech, 0.0) for b in bars.values()])
        ax.barh(rows, values, left=left, color=PALETTE[i % len(PALETTE)], label=tech)
        left += values
    ax.set_yticks(rows, list(bars))  # the rows named even when nothing is built
    ax.set_xlabel("New capacity (MW; battery as power)")
    ax.set_ylabel("Where it is built")
    ax.set_title("Capacity built")
    if techs:
        ax.legend(frameon=False, loc="lower right")
    return save(fig, folder, "capacity_mix")


def peak_week_dispatch(ds: xr.Dataset, folder: Path) -> list[Path]:
    """Campus supply by source over the week holding its peak load."""
    n = ds.sizes["time"]
    peak = int(np.argmax(ds.load_mw.values))
    start = int(np.clip(peak - 84, 0, max(n - 168, 0)))
    week = slice(start, min(start + 168, n))
    hours = ds.time.values[week]
    layers = [(f"gas: {g}", ds.p_gas_mw.sel(gas=g).values[week]) for g in ds.gas.values]
    layers += [
        ("solar", ds.p_solar_mw.values[week]),
        ("battery discharge", np.maximum(ds.p_battery_mw.values[week], 0.0)),
        ("grid import", ds.grid_mw.values[week]),
        ("unserved", ds.unserved_mw.values[week]),
    ]
    layers = [(name, v) for name, v in layers if np.abs(v).max() > 1e-6]
    fig, ax = figure()
    ax.stackplot(
        hours, *[v for _, v in layers], labels=[n for n, _ in layers], colors=PALETTE[: len(layers)]
    )
    ax.plot(hours, ds.load_mw.values[week], color="black", lw=1.2, label="campus load")
    charge = np.maximum(-ds.p_battery_mw.values[week], 0.0)
    if charge.max() > 1e-6:
        ax.plot(
            hours,
            ds.load_mw.values[week] + charge,
            color="black",
            lw=0.8,
            ls="--",
            label="load + charging",
        )
    ax.set_xlabel("Date")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.set_ylabel("Power (MW)")
    ax.set_title("Campus supply in the peak-load week")
    ax.legend(frameon=False, ncols=2, fontsize="small", loc="lower left")
    return save(fig, folder, "peak_week_dispatch")


def cost_breakdown(tree: xr.DataTree, folder: Path) -> list[Path]:
    """Annual campus supply cost by component: sized fleet against the grid-only twin."""
    cases = {"With on-site fleet": tree["campus"]}
    if "business_as_usual" in tree:
        cases["Grid only"] = tree["business_as_usual"]
    comps = [str(c) for c in tree["campus"].cost.values]
    fig, ax = figure()
    bottom = np.zeros(len(cases))
    shown = 0
    for comp in comps:
        values = np.array([float(ds.cost_usd_per_yr.sel(cost=comp)) for ds in cases.values()]) / 1e6
        if np.abs(values).max() < 1e-9:
            continue
        ax.bar(
            list(cases),
            values,
            bottom=bottom,
            color=PALETTE[shown % len(PALETTE)],
            label=comp.replace("_", " "),
        )
        bottom += values
        shown += 1
    ax.set_ylabel("Annual cost (million $ / yr, 2023 $)")
    ax.set_xlabel("Supply case")
    ax.set_title("Campus supply cost")
    ax.legend(frameon=False, fontsize="small")
    return save(fig, folder, "cost_breakdown")


def draw(tree: xr.DataTree, folder: Path) -> list[Path]:
    """Every figure of a stored optimize result."""
    paths = capacity_mix(tree, folder)
    if "campus" in tree:
        paths += peak_week_dispatch(tree["campus"].to_dataset(), folder)
        paths += cost_breakdown(tree, folder)
    return paths

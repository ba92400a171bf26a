"""Figures of a headroom result: headroom against curtailment limit, curtailment events; firm
and flexible hosting capacity by site, feasible sites against campus size, the siting map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.ticker import MaxNLocator

from gridmodel.report.maps import site_map
from gridmodel.report.style import ONE_COLUMN_IN, PALETTE, TWO_COLUMN_IN, figure, save


def headroom_against_rate(ds: xr.Dataset, folder: Path, label: str) -> list[Path]:
    """Mean curtailment rate against new-load size (GW), with the solved limits marked and any
    published headroom beside them."""
    fig, ax = figure(ONE_COLUMN_IN)
    ax.plot(ds.curve_rate_percent, ds.load_mw / 1e3, color=PALETTE[0], label="This model")
    ax.scatter(ds.rate, ds.headroom_mw / 1e3, color=PALETTE[0], zorder=3, s=12)
    for rate, mw in zip(ds.rate.values, ds.headroom_mw.values, strict=True):
        ax.annotate(f"{mw / 1e3:.1f}", (rate, mw / 1e3), xytext=(4, -8),
                    textcoords="offset points", fontsize=6)  # fmt: skip
    if "published_headroom_mw" in ds:
        pub = ds.published_headroom_mw
        ok = np.isfinite(pub.values)
        ax.scatter(ds.rate.values[ok], pub.values[ok] / 1e3, marker="x", color=PALETTE[3],
                   zorder=4, s=18, label=f"Published ({pub.attrs.get('source', '')[:40]})")  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlabel("Curtailment limit (% of the new load's energy, mean over years)")
    flat = ds.attrs.get("new_load") == "flat"
    ax.set_ylabel("Flat new load (GW)" if flat else "New load, peak of its shape (GW)")
    years = ds.year.values
    ax.set_title(f"{label}\ncurtailment-enabled headroom, {years.min()}-{years.max()}")
    ax.legend(frameon=False, fontsize=6, loc="upper left")
    return save(fig, folder, "headroom_against_rate")


def curtailment_event_durations(ds: xr.Dataset, folder: Path, label: str) -> list[Path]:
    """Curtailment events per year lasting at least d hours, one line per limit."""
    fig, ax = figure(ONE_COLUMN_IN)
    n_years = ds.sizes["year"]
    for i, rate in enumerate(ds.rate.values):
        count = ds.event_count.sel(rate=rate).values
        at_least = count[::-1].cumsum()[::-1] / n_years
        keep = at_least > 0
        mean = float(ds.mean_event_hours.sel(rate=rate))
        ax.step(ds.duration_h.values[keep], at_least[keep], where="post",
                color=PALETTE[i % len(PALETTE)], label=f"{rate:g} % (mean {mean:.1f} h)")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Curtailment event duration d (h)")
    ax.set_ylabel("Events per year lasting at least d")
    ax.set_title(f"{label}\nduration of curtailment events")
    ax.legend(frameon=False, fontsize=6, title="Curtailment limit", title_fontsize=6)
    return save(fig, folder, "curtailment_event_durations")


def siting_frontier(ds: xr.Dataset, folder: Path, label: str) -> list[Path]:
    """Firm and flexible hosting capacity (GW) of every site, one bar per curtailment budget,
    one panel per criterion (N-0, N-1)."""
    crits = ds.criterion.values
    fig, axes = figure((TWO_COLUMN_IN[0], 1.2 + 0.25 * ds.sizes["site"] * len(crits)),
                       nrows=len(crits), sharex=True, squeeze=False)  # fmt: skip
    n_b = ds.sizes["budget"]
    height = 0.8 / n_b
    y = np.arange(ds.sizes["site"])
    for ax, crit in zip(axes[:, 0], crits, strict=True):
        for b, budget in enumerate(ds.budget.values):
            gw = ds.hosting_capacity_mw.sel(criterion=crit, budget=budget).values / 1e3
            name = "firm" if budget == 0 else f"flexible, {budget:g} % budget"
            ax.barh(y + (b - (n_b - 1) / 2) * height, gw, height=height,
                    color=PALETTE[b % len(PALETTE)], label=name)  # fmt: skip
        ax.set_yticks(y, ds.site.values)
        ax.invert_yaxis()
        ax.set_ylabel(f"Site ({crit})")
    axes[-1, 0].set_xlabel("Hosting capacity, campus peak (GW)")
    axes[0, 0].legend(frameon=False, fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes[0, 0].set_title(f"{label}\nfirm and flexible hosting capacity by site")
    return save(fig, folder, "siting_frontier")


def feasible_sites(ds: xr.Dataset, folder: Path, label: str) -> list[Path]:
    """Number of sites that host a campus of at least a given size (N-0), firm and at each
    curtailment budget: the set of feasible sites against campus size."""
    fig, ax = figure(ONE_COLUMN_IN)
    caps = ds.hosting_capacity_mw.sel(criterion=ds.criterion.values[0])
    top = float(ds.attrs.get("max_mw", caps.max())) / 1e3
    size = np.linspace(0.0, top, 601)
    for b, budget in enumerate(ds.budget.values):
        gw = caps.sel(budget=budget).values / 1e3
        count = (gw[None, :] >= size[:, None]).sum(axis=1)
        name = "firm" if budget == 0 else f"{budget:g} % budget"
        ax.step(size, count, where="post", color=PALETTE[b % len(PALETTE)], label=name)
    ax.set_xlabel("Campus peak (GW)")
    ax.set_ylabel("Sites that host it (count)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"{label}\nfeasible sites, {ds.criterion.values[0]}")
    ax.legend(frameon=False, fontsize=6)
    return save(fig, folder, "feasible_sites")


def siting_map(ds: xr.Dataset, folder: Path, label: str) -> list[Path]:
    """The sites on the network, coloured by the gain from flexibility (N-0) at the largest
    budget."""
    budget = float(ds.budget.values[-1])
    gain = ds.gain_percent.sel(criterion=ds.criterion.values[0], budget=budget).values
    return site_map(ds, ds.site_bus.values, ds.site.values, gain,
                    f"Flexible over firm hosting capacity at {budget:g} % budget (%)",
                    f"{label}: gain from flexibility", folder, "siting_map")  # fmt: skip


def draw(tree: xr.DataTree, folder: Path) -> list[Path]:
    """Every figure of a stored headroom result (the balancing area's and the nodal part's)."""
    label = str(tree.attrs.get("scenario", ""))
    paths = []
    if "headroom" in tree:
        ds = tree["headroom"].to_dataset()
        paths += headroom_against_rate(ds, folder, label)
        paths += curtailment_event_durations(ds, folder, label)
    if "nodal" in tree:
        ds = tree["nodal"].to_dataset()
        paths += siting_frontier(ds, folder, label) + feasible_sites(ds, folder, label)
        paths += siting_map(ds, folder, label)
    return paths

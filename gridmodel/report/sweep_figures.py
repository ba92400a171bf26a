"""Figures of a sweep's combined result (drawn from the stored dataset only): the household bill
over years across members (fan chart), the drivers of the bill change (tornado), hosting
capacity and bill change across sites (a siting map on the network and bars), and how the grid
stress metrics respond to a numeric axis.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.ticker import MaxNLocator

from gridmodel.report.maps import site_map
from gridmodel.report.style import (
    PALETTE,
    TWO_COLUMN_IN,
    figure,
    save,
)

BILL = "bills_scenario_usd_per_month"
BASELINE = "bills_baseline_usd_per_month"
BILL_CASE = "scenario"


def axes(ds: xr.Dataset) -> list[str]:
    """The sweep's axis names (coordinates along ``member``), as its attributes list them."""
    return [a for a in str(ds.attrs.get("axes", "")).split(",") if a]


def _ok(ds: xr.Dataset) -> xr.Dataset:
    """The members that finished."""
    return ds.isel(member=np.flatnonzero(ds.status.to_numpy() == "ok"))


def _bill_change(ds: xr.Dataset) -> xr.DataArray | None:
    """Household bill change in the report year, the scenario's own case (USD/month)."""
    if "bills_change_usd_per_month" not in ds or BILL_CASE not in ds.case:
        return None
    return ds.bills_change_usd_per_month.sel(case=BILL_CASE)


def bill_fan(ds: xr.Dataset, folder: Path) -> list[Path]:
    """Household bill over years: median and 50 %/90 % bands across members, with the baseline
    (no campus) median dashed."""
    bill = ds[BILL]
    years = ds.year.to_numpy()
    q = bill.quantile([0.05, 0.25, 0.5, 0.75, 0.95], dim="member").to_numpy()
    fig, ax = figure(TWO_COLUMN_IN)
    ax.fill_between(years, q[0], q[4], color=PALETTE[0], alpha=0.2, lw=0, label="5-95 % of members")  # fmt: skip
    ax.fill_between(years, q[1], q[3], color=PALETTE[0], alpha=0.4, lw=0, label="25-75 % of members")  # fmt: skip
    ax.plot(years, q[2], color=PALETTE[0], lw=1.5, label="median member")
    if BASELINE in ds:
        base = ds[BASELINE].median("member").to_numpy()
        ax.plot(years, base, color="black", lw=1.0, ls="--", label="without the campus (median)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("Year")
    ax.set_ylabel("Household bill (USD/month)")
    ax.set_title(f"Typical household bill across {ds.sizes['member']} sweep members")
    ax.legend(frameon=False, loc="upper left", fontsize="x-small")
    return save(fig, folder, "bill_fan")


def _levels(values: np.ndarray) -> np.ndarray:
    """Group labels of an axis: its values, or five equal-count bins of a many-valued number."""
    if values.dtype.kind in "fiu" and len(np.unique(values)) > 6:
        bins = pd.qcut(values, 5, duplicates="drop")
        return np.asarray([f"{b.left:.3g} to {b.right:.3g}" for b in bins])
    return values


def main_effects(ds: xr.Dataset, metric: xr.DataArray) -> pd.DataFrame:
    """Per axis: the mean of ``metric`` over the members at each of its values (or value bins),
    lowest and highest, and the values where they fall (one row per axis, widest first)."""
    rows = []
    for name in axes(ds):
        levels = _levels(ds[name].to_numpy())
        means = pd.Series(metric.to_numpy()).groupby(levels).mean().dropna()
        if len(means) < 2:
            continue
        rows.append({"axis": name, "low": means.min(), "high": means.max(),
                     "at_low": str(means.idxmin()), "at_high": str(means.idxmax())})  # fmt: skip
    frame = pd.DataFrame(rows, columns=["axis", "low", "high", "at_low", "at_high"])
    return frame.assign(width=frame.high - frame.low).sort_values("width").reset_index(drop=True)


def bill_tornado(ds: xr.Dataset, folder: Path) -> list[Path]:
    """Drivers of the household bill change: per axis, the range of the members' mean bill change
    from its least to its most costly value (main effects), widest on top."""
    change = _bill_change(ds)
    effects = main_effects(ds, change)
    if effects.empty:
        return []
    mean = float(change.mean())
    fig, ax = figure((TWO_COLUMN_IN[0], 0.6 + 0.45 * len(effects)))
    y = np.arange(len(effects))
    ax.barh(y, effects.high - mean, left=mean, color=PALETTE[3], height=0.6, label="raises the bill")  # fmt: skip
    ax.barh(y, effects.low - mean, left=mean, color=PALETTE[0], height=0.6, label="lowers the bill")  # fmt: skip
    for k, row in effects.iterrows():
        ax.annotate(row.at_high, (row.high, k), xytext=(3, 0), textcoords="offset points",
                    va="center", fontsize="x-small")  # fmt: skip
        ax.annotate(row.at_low, (row.low, k), xytext=(-3, 0), textcoords="offset points",
                    va="center", ha="right", fontsize="x-small")  # fmt: skip
    ax.axvline(mean, color="black", lw=0.8)
    ax.set_yticks(y, effects.axis)
    ax.set_ylabel("Sweep axis")
    ax.margins(x=0.25)
    year = int(ds.bills_report_year.max()) if "bills_report_year" in ds else ""
    ax.set_xlabel(f"Mean household bill change in {year} (USD/month)")
    ax.set_title("Drivers of the bill change (members' mean at each axis value)")
    ax.legend(frameon=False, loc="lower right", fontsize="x-small")
    return save(fig, folder, "bill_tornado")


def _site_axis(ds: xr.Dataset) -> str | None:
    sites = set(ds.network_site.to_numpy().tolist())
    names = [a for a in axes(ds) if set(ds[a].to_numpy().tolist()) <= sites]
    return names[0] if names else None


def _by_site(ds: xr.Dataset, axis: str, metric: xr.DataArray) -> pd.Series:
    """Median of ``metric`` over the members at each site, in the order of ``ds.site``."""
    series = pd.Series(metric.to_numpy()).groupby(ds[axis].to_numpy()).median()
    return series.reindex(ds.network_site.to_numpy())


def _site_metrics(ds: xr.Dataset, axis: str) -> dict[str, tuple[pd.Series, str]]:
    found = {}
    for name in ("stress_hosting_capacity_n_0", "stress_hosting_capacity_n_1"):
        if name in ds:
            label = "Hosting capacity " + name[-3:].upper().replace("_", "-") + " (MW)"
            found[name] = (_by_site(ds, axis, ds[name]), label)
    change = _bill_change(ds)
    if change is not None:
        found["bill"] = (_by_site(ds, axis, change), "Household bill change (USD/month)")
    return found


def siting_map(ds: xr.Dataset, axis: str, folder: Path) -> list[Path]:
    """The swept sites on the network (the case's coordinates or a layout of its topology,
    :mod:`gridmodel.networks.layout`), coloured by their median hosting
    capacity (or bill change) over the members at each site."""
    metrics = _site_metrics(ds, axis)
    if not metrics:
        return []
    values, label = next(iter(metrics.values()))
    title = f"Swept sites on {ds.attrs.get('network', 'the network')}"
    return site_map(ds, ds.network_site_bus.to_numpy(), ds.network_site.to_numpy(),
                    values.to_numpy(), f"{label}, median over members", title, folder,
                    "siting_map")  # fmt: skip


def site_bars(ds: xr.Dataset, axis: str, folder: Path) -> list[Path]:
    """Hosting capacity and bill change by site (median over the members at each site)."""
    metrics = _site_metrics(ds, axis)
    if not metrics:
        return []
    panels = [("hosting", [(n, m) for n, m in metrics.items() if n != "bill"])]
    panels += [("bill", [("bill", metrics["bill"])])] if "bill" in metrics else []
    panels = [(kind, items) for kind, items in panels if items]
    fig, axs = figure((TWO_COLUMN_IN[0], 2.6 * len(panels)), nrows=len(panels), squeeze=False)
    sites = [str(s) for s in ds.network_site.to_numpy()]
    x = np.arange(len(sites))
    for ax, (_, items) in zip(axs[:, 0], panels, strict=True):
        width = 0.8 / len(items)
        for k, (_, (values, label)) in enumerate(items):
            ax.bar(x + (k - (len(items) - 1) / 2) * width, values.to_numpy(), width,
                   color=PALETTE[k], label=label.split(" (")[0])  # fmt: skip
        ax.set_ylabel(items[0][1][1].replace("Hosting capacity N-0", "Hosting capacity"))
        ax.set_xticks(x, sites, rotation=30, ha="right")
        if len(items) > 1:
            ax.legend(frameon=False, fontsize="x-small")
    axs[-1, 0].set_xlabel("Site")
    axs[0, 0].set_title("By site (median over the members at each site)")
    return save(fig, folder, "sites")


STRESS_RESPONSE = (
    ("stress_worst_branch_loading_with_campuses", "Worst branch loading (%)"),
    ("stress_overloads_caused_by_the_campus_new", "Branches newly overloaded (count)"),
)


def stress_response(ds: xr.Dataset, folder: Path) -> list[Path]:
    """Worst branch loading and branches newly overloaded by the campus against the first
    numeric axis, one line per value of the next axis (median over the other axes)."""
    names = axes(ds)
    numeric = [a for a in names if ds[a].dtype.kind in "fiu" and len(np.unique(ds[a])) > 1]
    shown = [(v, label) for v, label in STRESS_RESPONSE if v in ds]
    if not numeric or not shown:
        return []
    x_axis = numeric[0]
    group = next((a for a in names if a != x_axis), None)
    fig, axs = figure(TWO_COLUMN_IN, ncols=len(shown), squeeze=False)
    frame = pd.DataFrame({x_axis: ds[x_axis].to_numpy(),
                          "group": ds[group].to_numpy() if group else ""})  # fmt: skip
    for ax, (var, label) in zip(axs[0], shown, strict=True):
        table = frame.assign(y=ds[var].to_numpy()).groupby(["group", x_axis]).y.median()
        for k, (name, line) in enumerate(table.groupby(level="group")):
            ax.plot(line.index.get_level_values(x_axis), line.to_numpy(), marker="o", ms=3,
                    color=PALETTE[k % len(PALETTE)], label=str(name))  # fmt: skip
        ax.set_xlabel(f"{x_axis} ({ds[x_axis].attrs.get('path', '')})")
        ax.set_ylabel(label)
    if group:
        axs[0, -1].legend(title=group, frameon=False, fontsize="x-small", loc="upper left",
                          bbox_to_anchor=(1.02, 1.0))  # fmt: skip
    fig.suptitle("Grid stress across the sweep", fontsize="medium")
    return save(fig, folder, "stress_response")


def draw(ds: xr.Dataset, folder: Path) -> list[Path]:
    """Every figure the sweep's result supports."""
    ds = _ok(ds)
    if ds.sizes["member"] == 0:
        return []
    written = []
    if BILL in ds and ds.sizes["member"] > 1:
        written += bill_fan(ds, folder)
    if _bill_change(ds) is not None:
        written += bill_tornado(ds, folder)
    if "network_site" in ds.dims:
        axis = _site_axis(ds)
        if axis is not None:
            written += siting_map(ds, axis, folder) + site_bars(ds, axis, folder)
    written += stress_response(ds, folder)
    return written

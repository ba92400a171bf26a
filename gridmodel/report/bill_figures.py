"""Figures of `gridmodel bills`: bill waterfall, trajectories, allocation methods, fan chart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr
from matplotlib.ticker import MaxNLocator

from gridmodel.report.style import PALETTE, figure, save

CASE_LABELS = {
    "baseline": "No campus",
    "today": "Today's capacity price",
    "as_forecast": "Campus arrives as forecast",
    "scenario": "Scenario",
    "no_show_protected": "Load never arrives, with tariff protections",
    "no_show_unprotected": "Load never arrives, standard tariff",
}
COMPONENT_LABELS = {
    "existing_generation": "Existing generation",
    "new_generation": "New generation",
    "capacity": "Capacity market",
    "energy": "Energy",
    "energy_price_change": "Energy price change",
    "existing_transmission": "Existing transmission",
    "new_transmission": "New transmission",
    "distribution": "Distribution",
    "customer": "Customer costs",
    "exit_fee_credit": "Exit-fee credit",
    "rate_design": "Rate design",
}


def _per_household(cases: xr.Dataset) -> float:
    return 12.0 * float(cases.attrs["residential_customers"])


def bill_waterfall(cases: xr.Dataset, year_index: int, folder: Path) -> list[Path]:
    """Residential cost-of-service bill change by component, scenario against the reference
    case (no campus, or today's capacity price when the study has no campus)."""
    year = int(cases.year[year_index])
    reference = cases.attrs["reference_case"]
    res = cases.allocated_usd.sel({"class": "residential"}).isel(year=year_index)
    delta = (res.sel(case="scenario") - res.sel(case=reference)) / _per_household(cases)
    base = float(res.sel(case=reference).sum()) / _per_household(cases)
    items = [(COMPONENT_LABELS[str(c)], float(v)) for c, v in zip(delta.component.values, delta.values, strict=True) if abs(v) > 0.005]  # fmt: skip
    fig, ax = figure()
    labels = [CASE_LABELS[reference], *[k for k, _ in items], "Scenario"]
    level = base
    ax.bar(0, base, color=PALETTE[7], width=0.6)
    for i, (_, v) in enumerate(items, start=1):
        ax.bar(i, v, bottom=level, color=PALETTE[3] if v > 0 else PALETTE[2], width=0.6)
        ax.text(i, level + max(v, 0.0), f"{v:+.2f}", ha="center", va="bottom", fontsize=6)
        level += v
    ax.bar(len(items) + 1, level, color=PALETTE[0], width=0.6)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    span = max(abs(level - base), 1.0)
    ax.set_ylim(min(base, level) - 1.5 * span, max(base, level) + 1.5 * span)
    ax.set_ylabel("Residential bill, cost of service ($/month)")
    ax.set_xlabel("Bill component")
    ax.set_title(f"Residential bill change by component, {year}")
    return save(fig, folder, "bill_waterfall")


def bill_trajectories(cases: xr.Dataset, folder: Path) -> list[Path]:
    """Residential bill every year in each case (rates reset at rate cases)."""
    fig, ax = figure()
    styles = {"baseline": (PALETTE[7], "-"), "today": (PALETTE[7], "-"), "as_forecast": (PALETTE[0], "-"), "scenario": (PALETTE[1], "--"), "no_show_protected": (PALETTE[2], "-"), "no_show_unprotected": (PALETTE[3], "-")}  # fmt: skip
    for case in cases.case.values:
        color, ls = styles.get(str(case), (PALETTE[4], ":"))
        ax.step(cases.year, cases.residential_bill_usd_per_month.sel(case=case), where="post", color=color, linestyle=ls, label=CASE_LABELS.get(str(case), str(case)))  # fmt: skip
    ax.set_xlabel("Year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Residential bill ($/month)")
    ax.set_title("Typical household bill with and without tariff protections")
    ax.legend(frameon=False, fontsize=6)
    return save(fig, folder, "bill_trajectories")


def allocation_methods(methods: xr.Dataset, cases: xr.Dataset, year_index: int, folder: Path) -> list[Path]:  # fmt: skip
    """Residential bill change and large-load share of revenue under each allocation method."""
    year = int(methods.year[year_index])
    reference = cases.attrs["reference_case"]
    base = float(cases.residential_bill_usd_per_month.sel(case=reference).isel(year=year_index))
    bill = methods.residential_bill_usd_per_month.isel(year=year_index) - base
    rev = methods.revenue_usd.isel(year=year_index)
    share = 100 * rev.sel({"class": "large_load"}) / rev.sum("class")
    fig, (ax1, ax2) = figure(ncols=2)
    names = [str(m) for m in methods.method.values]
    x = np.arange(len(names))
    ax1.bar(x, bill, color=PALETTE[0])
    ax1.axhline(0, color="black", lw=0.6)
    ax1.set_xticks(x, names, rotation=30, ha="right")
    ax1.set_ylabel("Residential bill change ($/month)")
    ax1.set_title(f"Residential bill change, {year}")
    ax2.bar(x, share, color=PALETTE[1])
    ax2.set_xticks(x, names, rotation=30, ha="right")
    ax2.set_ylabel("Large-load share of revenue (%)")
    ax2.set_title("Share paid by the data centres")
    fig.supxlabel("Allocation method (generation and transmission)", fontsize=8)
    return save(fig, folder, "allocation_methods")


def materialisation_fan(mc: xr.Dataset, cases: xr.Dataset, folder: Path) -> list[Path]:
    """Residential bill quantiles over the Monte Carlo draws, with and without protections."""
    fig, ax = figure()
    years = mc.year.values
    for var, color, label in (
        ("residential_bill_unprotected_usd_per_month", PALETTE[3], "standard tariff"),
        ("residential_bill_usd_per_month", PALETTE[0], "with tariff protections"),
    ):
        q = mc[var].quantile([0.05, 0.25, 0.5, 0.75, 0.95], "draw").to_numpy()
        ax.fill_between(years, q[0], q[4], step="post", color=color, alpha=0.12, lw=0)
        ax.fill_between(years, q[1], q[3], step="post", color=color, alpha=0.25, lw=0)
        ax.step(
            years, q[2], where="post", color=color, label=f"median, {label} (bands 5-25-75-95 %)"
        )
    ax.step(years, cases.residential_bill_usd_per_month.sel(case="baseline"), where="post", color=PALETTE[7], lw=0.8, label="no campus")  # fmt: skip
    ax.set_xlabel("Year")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Residential bill ($/month)")
    ax.set_title(f"Residential bill over {mc.sizes['draw']} materialisation draws")
    ax.legend(frameon=False, fontsize=6)
    return save(fig, folder, "bill_fan_chart")


def draw(tree: xr.DataTree, folder: Path) -> list[Path]:
    """Every figure of a stored bills result."""
    cases = tree["cases"].to_dataset()
    year = int(cases.attrs["report_year_index"])
    written = bill_waterfall(cases, year, folder)
    written += bill_trajectories(cases, folder)
    written += allocation_methods(tree["methods"].to_dataset(), cases, year, folder)
    if "monte_carlo" in tree:
        written += materialisation_fan(tree["monte_carlo"].to_dataset(), cases, folder)
    return written

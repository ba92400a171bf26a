"""Figures of a headroom result: headroom against curtailment limit, curtailment events."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from gridmodel.report.style import ONE_COLUMN_IN, PALETTE, figure, save


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


def draw(tree: xr.DataTree, folder: Path) -> list[Path]:
    """Every figure of a stored headroom result."""
    ds = tree["headroom"].to_dataset()
    label = str(tree.attrs.get("scenario", ""))
    return headroom_against_rate(ds, folder, label) + curtailment_event_durations(ds, folder, label)

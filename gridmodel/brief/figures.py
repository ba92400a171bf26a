"""The brief's figures: the chain figure (campus load → grid stress → what gets built → who
pays), and a caption and alt text for every stage figure, written from the stored results.

Stage figures are the files :func:`gridmodel.output.write_stage` drew from the stored datasets;
a figure the catalogue does not know (a stage that gained one) is shown with a plain caption.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.patches import FancyArrowPatch

from gridmodel.brief.findings import overload_counts
from gridmodel.report.bill_figures import CASE_LABELS
from gridmodel.report.style import PALETTE, TWO_COLUMN_IN, figure, house_style, save

CHAIN_STEM = "chain"


@dataclass(frozen=True)
class FigureText:
    """What a figure shows, in a caption and in alt text for readers who cannot see it."""

    caption: str
    alt: str


# ---------------------------------------------------------------------------------------------
# The chain figure


def _empty_panel(ax, note: str, xlabel: str = " ", ylabel: str = " ") -> None:
    """A panel with no data: ``note`` in its middle, the axis labels kept for the layout."""
    ax.text(0.5, 0.5, note, ha="center", va="center", transform=ax.transAxes, fontsize=7,
            color="0.4")  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def _not_studied(ax, what: str) -> None:
    _empty_panel(ax, f"{what}\nnot studied\nin this scenario")


def _dates(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=2, maxticks=4)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, show_offset=False))
    ax.set_xlabel("Date")


def _campus_panel(ax, results: dict) -> None:
    """Hourly campus load from the first result that holds it; the bills' forecast and
    realised MW by year when only the bills ran."""
    series = None
    if "stress" in results and results["stress"]["timeseries"].sizes.get("campus", 0):
        ts = results["stress"]["timeseries"]
        series = ts.time.values, ts.campus_p_mw.sum("campus").values
    elif "profile" in results:
        hourly = results["profile"]["hourly"]
        series = hourly.time.values, hourly.p_mw.sum("campus").values
    elif "optimize" in results and "campus" in results["optimize"]:
        ds = results["optimize"]["campus"]
        series = ds.time.values, ds.load_mw.values
    if series is not None:
        ax.plot(*series, color=PALETTE[0], lw=0.5)
        _dates(ax)
    elif "bills" in results:
        cases = results["bills"]["cases"].sel(case="scenario")
        ax.step(
            cases.year,
            cases.large_load_forecast_mw,
            where="post",
            color=PALETTE[0],
            label="forecast",
        )
        ax.step(
            cases.year,
            cases.large_load_realised_mw,
            where="post",
            color=PALETTE[3],
            ls="--",
            label="arrives",
        )
        ax.set_xlabel("Year")
        ax.legend(frameon=False, fontsize=6)
    else:
        return _not_studied(ax, "Campus load")
    ax.set_ylabel("Campus load (MW)")
    ax.set_ylim(bottom=0)


def _stress_panel(ax, results: dict) -> None:
    if "stress" not in results:
        return _not_studied(ax, "Grid stress")
    found = overload_counts(results["stress"])
    labels = {
        "with": "with\ncampus",
        "without": "without\ncampus",
        "charged": "caused or\nworsened by\nthe campus",
    }
    counts = {labels[k]: v for k, v in found.items()}
    ax.bar(
        range(len(counts)),
        list(counts.values()),
        width=0.6,
        color=[PALETTE[3], PALETTE[7], PALETTE[1]][: len(counts)],
    )
    ax.set_xticks(range(len(counts)), list(counts))
    ax.set_xlabel("Study")
    ax.set_ylabel("Branches over rating (count)")


def built_mw(results: dict) -> dict[str, float]:
    """MW of what the study builds for the campuses: on-site gas, battery and solar; regional
    capacity the campuses add (expansion minus its no-campus twin); branch overload the bills
    price as transmission reinforcement."""
    out: dict[str, float] = {}
    if "optimize" in results and "campus" in results["optimize"]:
        ds = results["optimize"]["campus"]
        out["On-site gas"] = float(ds.gas_capacity_mw.sum())
        out["On-site battery"] = float(ds.battery_mw)
        out["On-site solar"] = float(ds.solar_mw)
    if "optimize" in results and "expansion" in results["optimize"]:
        opt = results["optimize"]
        added = float(opt["expansion"].capacity_mw.sum())
        if "expansion_without_campus" in opt:
            added -= float(opt["expansion_without_campus"].capacity_mw.sum())
        out["Regional supply"] = added
    if "bills" in results and "links" in results["bills"]:
        links = results["bills"]["links"]
        if links.sizes.get("reinforcement", 0):
            out["Transmission"] = float(links.overload_mw.sum())
    return {k: v for k, v in out.items() if abs(v) > 0.5}


def _built_panel(ax, results: dict) -> None:
    built = built_mw(results)
    if not built:
        studied = "optimize" in results or "bills" in results
        return _not_studied(ax, "New capacity") if not studied else _nothing_built(ax)
    names = [name.replace(" ", "\n", 1) for name in built]
    ax.bar(
        range(len(names)),
        list(built.values()),
        width=0.6,
        color=[PALETTE[(2 + k) % 7] for k in range(len(names))],
    )
    ax.set_xticks(range(len(names)), names)
    ax.set_xlabel("Built for the campus")
    ax.set_ylabel("Capacity (MW)")


def _nothing_built(ax) -> None:
    _empty_panel(ax, "nothing built\nfor the campus", "Built for the campus", "Capacity (MW)")


def _bills_panel(ax, results: dict) -> None:
    if "bills" not in results:
        return _not_studied(ax, "Household bills")
    cases = results["bills"]["cases"]
    k = int(cases.attrs["report_year_index"])
    bill = cases.residential_bill_usd_per_month.isel(year=k)
    base = float(bill.sel(case="baseline"))
    shown = [
        c for c in ("as_forecast", "no_show_protected", "no_show_unprotected") if c in bill.case
    ]
    labels = {
        "as_forecast": "arrives",
        "no_show_protected": "never arrives,\nprotected",
        "no_show_unprotected": "never arrives,\nstandard tariff",
    }
    change = [float(bill.sel(case=c)) - base for c in shown]
    ax.bar(
        range(len(shown)),
        change,
        width=0.6,
        color=[PALETTE[0], PALETTE[2], PALETTE[3]][: len(shown)],
    )
    if "monte_carlo" in results["bills"] and "as_forecast" in shown:
        q = results["bills"]["monte_carlo"].residential_bill_usd_per_month.isel(year=k)
        lo, hi = (float(v) - base for v in q.quantile([0.05, 0.95], "draw").values)
        ax.vlines(0, lo, hi, color="black", lw=0.8)
        ax.plot([0, 0], [lo, hi], "_", color="black", ms=5)
    ax.axhline(0, color="black", lw=0.5)
    ax.set_xticks(range(len(shown)), [labels[c] for c in shown])
    ax.set_xlabel(f"Campus load, {int(cases.year[k])}")
    ax.set_ylabel("Bill change ($/month)")


def chain_figure(results: dict[str, xr.DataTree], folder: Path) -> list[Path]:
    """Four panels read as a chain: campus load → grid stress (top row), what gets built → who
    pays (bottom row); SVG only (it lives inside the brief and its PDF)."""
    with house_style():
        return _draw_chain(results, folder)


def _draw_chain(results: dict[str, xr.DataTree], folder: Path) -> list[Path]:
    fig, axes = figure((TWO_COLUMN_IN[0], 4.6), nrows=2, ncols=2)
    panels = (
        ("1  Campus load", _campus_panel),
        ("2  Grid stress", _stress_panel),
        ("3  What gets built", _built_panel),
        ("4  Who pays", _bills_panel),
    )
    for ax, (title, draw) in zip(axes.flat, panels, strict=True):
        draw(ax, results)
        ax.set_title(title, fontweight="bold")
    fig.subplots_adjust(left=0.09, right=0.98, top=0.93, bottom=0.11, wspace=0.45, hspace=0.75)
    pos = [ax.get_position() for ax in axes.flat]
    arrows = (
        ((pos[0].x1 + 0.01, pos[0].y1 - 0.1), (pos[1].x0 - 0.07, pos[1].y1 - 0.1)),
        ((pos[1].x0 + 0.1, pos[1].y0 - 0.09), (pos[2].x1 - 0.05, pos[2].y1 + 0.05)),
        ((pos[2].x1 + 0.01, pos[2].y1 - 0.1), (pos[3].x0 - 0.07, pos[3].y1 - 0.1)),
    )
    for start, end in arrows:
        fig.patches.append(
            FancyArrowPatch(
                start,
                end,
                transform=fig.transFigure,
                arrowstyle="-|>",
                mutation_scale=10,
                color="0.35",
                lw=1.0,
            )
        )
    return save(fig, folder, CHAIN_STEM, formats=("svg",))


def chain_text(results: dict[str, xr.DataTree]) -> FigureText:
    studied = [
        name
        for name, stage in (
            ("campus load", "stress"),
            ("grid stress", "stress"),
            ("new capacity", "optimize"),
            ("household bills", "bills"),
        )
        if stage in results
    ]
    built = built_mw(results)
    alt = (
        "Four small charts joined by arrows: the campus's hourly load, the number of "
        "branches above their rating with and without the campus, the capacity built "
        "for the campus ("
        + (", ".join(f"{k} {v:,.0f} MW" for k, v in built.items()) or "none")
        + ") and the change in a typical household's monthly bill if the campus arrives or never "
        "arrives."
    )
    caption = (
        "The chain from the campus to the household bill: hourly campus load; branches loaded "
        "above their rating in at least one hour, with the campus, without it and only with it; "
        "what is built "
        "for it (on-site supply, regional supply it adds, and the branch overload priced as "
        "transmission reinforcement); and the typical household's bill change in the report "
        "year (bar: campus arrives, whisker: 5th-95th percentile over the materialisation draws; "
        "the other bars: the forecast load never arrives). "
        + ("" if len(studied) == 4 else "Panels the scenario does not study say so.")
    )
    return FigureText(caption.strip(), alt)


# ---------------------------------------------------------------------------------------------
# Captions of the stage figures


def _stress_text(stem: str, tree: xr.DataTree) -> FigureText | None:
    ts = tree["timeseries"]
    limit = float(tree.attrs["loading_limit_percent"])
    hours = ts.sizes["time"]
    if stem == "loading_duration":
        worst = float(ts.loading_percent.max())
        return FigureText(
            f"Loading-duration curves of the most loaded branches over the {hours:,} hours "
            f"studied: each branch's hourly loading sorted from highest to lowest, with the "
            f"campus (solid) and without it (dashed); dotted line: {limit:g} % of RATE_A.",
            f"Line chart of branch loading in percent of rating against the share of hours; the "
            f"highest loading is {worst:.0f} %, and the curves cross the {limit:g} % line where "
            "branches are overloaded.",
        )
    if stem == "network_loading_map":
        peak = pd.Timestamp(ts.time.values[int(np.nanargmax(ts.load_mw.values))])
        return FigureText(
            f"Branch loading at the system peak ({peak:%d %B %Y %H:%M}), every branch of the "
            "network drawn on a schematic layout of its topology (the synthetic cases carry no "
            "coordinates); the campus bus is starred.",
            "Network diagram with branches coloured from dark (lightly loaded) to yellow "
            "(overloaded) and a star at the campus bus.",
        )
    if stem == "voltage_heatmap":
        return FigureText(
            "Bus voltages of the campus's area, hour by hour (rows) and bus by bus (columns, "
            "highest nominal voltage first); blue below 1 pu, red above.",
            f"Heat map of voltage magnitude between 0.9 and 1.1 pu over {hours:,} hours; the "
            f"lowest voltage anywhere is {float(ts.vm_pu.min()):.3f} pu.",
        )
    if stem == "hosting_capacity" and "hosting_capacity" in tree:
        h = tree["hosting_capacity"]
        values = ", ".join(
            f"{c} {v:,.0f} MW"
            for c, v in zip(h.criterion.values, h.hosting_capacity_mw.values, strict=True)
        )
        return FigureText(
            "Hosting capacity of the site: the largest campus that adds no new violation (N-0: "
            "intact grid; N-1: also after any single branch outage).",
            f"Bar chart of hosting capacity: {values}.",
        )
    return None


def _events_text(stem: str, tree: xr.DataTree) -> FigureText | None:
    if stem == "frequency_trajectories":
        return FigureText(
            "System frequency after sudden losses of load (solid) and generation (dashed) of "
            "several sizes, for each frequency-response parameter set, with the relay set points "
            "and the large-electronic-load ride-through band.",
            "Line charts of frequency in hertz over the first seconds after each loss; larger "
            "losses move frequency further from 60 Hz.",
        )
    if stem == "frequency_extreme_vs_mw":
        return FigureText(
            "Frequency extreme against the size of the sudden loss: the highest frequency after "
            "a load loss and the lowest after a generator trip, as a deviation from 60 Hz.",
            "Line chart of frequency deviation in hertz against loss size in megawatts, rising "
            "with the loss for load losses and falling for generator trips.",
        )
    if stem == "fault_cascade" and "cascade" in tree:
        c = tree["cascade"]
        return FigureText(
            f"The fault at bus {c.attrs.get('fault_bus')} and its reclosures: campus bus "
            "voltages, grid-side campus load and system frequency over time.",
            f"Three stacked line charts over time; {float(c.tripped_mw.sum()):,.0f} MW of "
            "campus load transfers to backup.",
        )
    if stem == "oscillation_screen":
        return FigureText(
            "Forced-oscillation screen: machine speed and bus voltage response per MW of campus "
            "swing across swing frequencies (left), and the campus's own swing for each GPU "
            "power-smoothing floor against the screening limit (right); dotted lines: the "
            "electromechanical modes of the dynamic case.",
            "Two log-scale line charts of oscillation amplitude against swing frequency with a "
            "horizontal limit line.",
        )
    return None


def _optimize_text(stem: str, tree: xr.DataTree) -> FigureText | None:
    if stem == "capacity_mix":
        return FigureText(
            "New capacity by technology: the regional expansion (with and without the campus) "
            "and the campus's on-site fleet (batteries by power).",
            "Horizontal stacked bar chart of new capacity in megawatts by technology.",
        )
    if stem == "peak_week_dispatch" and "campus" in tree:
        return FigureText(
            "How the campus is supplied in the week of its peak load, hour by hour, by source; "
            "black line: campus load.",
            "Stacked area chart of power in megawatts by source (gas units, battery, grid "
            "import) over one week.",
        )
    if stem == "cost_breakdown":
        return FigureText(
            "Annual supply cost of the campus by component: the sized on-site fleet against the "
            "grid-only twin (2023 dollars).",
            "Stacked bar chart of annual cost in million dollars for the two cases.",
        )
    return None


def _bills_text(stem: str, tree: xr.DataTree) -> FigureText | None:
    cases = tree["cases"]
    year = int(cases.year[int(cases.attrs["report_year_index"])])
    if stem == "bill_waterfall":
        return FigureText(
            f"The typical household's cost-of-service bill in {year}, from no campus to the "
            "scenario, component by component.",
            "Waterfall chart of monthly bill changes in dollars by cost component.",
        )
    if stem == "bill_trajectories":
        labels = "; ".join(CASE_LABELS.get(str(c), str(c)) for c in cases.case.values)
        return FigureText(
            "The typical household's monthly bill each year in each case, rates reset at rate "
            f"cases ({labels}).",
            "Step line chart of the monthly bill in dollars over the years, one line per case.",
        )
    if stem == "allocation_methods":
        return FigureText(
            f"The household bill change in {year} (left) and the data centres' share of revenue "
            "(right) when generation and transmission costs are allocated by each method.",
            "Two bar charts, one bar per allocation method.",
        )
    if stem == "bill_fan_chart":
        return FigureText(
            "Household bill over the Monte Carlo draws of how much of the forecast load arrives "
            "and whether campuses leave early: median and 5-25-75-95 % bands, with and without "
            "the tariff's protections.",
            "Fan chart of the monthly bill in dollars over the years.",
        )
    return None


def _profile_text(stem: str, tree: xr.DataTree) -> FigureText | None:
    for prefix, make in (
        (
            "profile_multiscale_",
            lambda c: FigureText(
                f"Load of campus {c} at four zooms, each inside the last: the period (hourly), a "
                "week (1-min), an hour (1-s) and ten seconds (10-ms).",
                "Four stacked line charts of campus load in megawatts at decreasing time spans.",
            ),
        ),
        (
            "profile_timeline_",
            lambda c: FigureText(
                f"Interruptions, checkpoints and campaign starts and ends of each training job of "
                f"campus {c}, with curtailment events shaded.",
                "Scatter chart of events per training job over days.",
            ),
        ),
        (
            "profile_spectrum_",
            lambda c: FigureText(
                f"Power spectral density of campus {c}'s load with and without mitigation; the "
                "0.1-20 Hz band is shaded.",
                "Log-log line chart of spectral density against frequency.",
            ),
        ),
    ):
        if stem.startswith(prefix):
            return make(stem.removeprefix(prefix))
    return None


def _headroom_text(stem: str, tree: xr.DataTree) -> FigureText | None:
    if stem == "headroom_against_rate":
        return FigureText(
            "New load the balancing area could connect with no new supply against how much of "
            "its energy it curtails; published values marked where given.",
            "Line chart of new load in gigawatts against curtailment limit in percent (log).",
        )
    if stem == "curtailment_event_durations":
        return FigureText(
            "Curtailment events per year lasting at least a given duration, one line per limit.",
            "Log-log step chart of events per year against duration in hours.",
        )
    return None


TEXTS: dict[str, Callable[[str, xr.DataTree], FigureText | None]] = {
    "stress": _stress_text,
    "events": _events_text,
    "optimize": _optimize_text,
    "bills": _bills_text,
    "profile": _profile_text,
    "headroom": _headroom_text,
}


#: The order a reader meets each stage's figures in (stems, or their prefix for per-campus
#: figures); a figure not listed comes after, by name.
ORDER = {
    "stress": ("loading_duration", "network_loading_map", "voltage_heatmap", "hosting_capacity"),
    "events": ("fault_cascade", "frequency_trajectories", "frequency_extreme_vs_mw",
               "oscillation_screen"),
    "optimize": ("cost_breakdown", "capacity_mix", "peak_week_dispatch"),
    "bills": ("bill_waterfall", "bill_trajectories", "bill_fan_chart", "allocation_methods"),
    "profile": ("profile_multiscale_", "profile_timeline_", "profile_spectrum_"),
    "headroom": ("headroom_against_rate", "curtailment_event_durations"),
}  # fmt: skip


def figure_rank(stage: str, stem: str) -> tuple[int, str]:
    """Sort key of a stage figure: its place in :data:`ORDER`, then its name."""
    known = ORDER.get(stage, ())
    places = [
        k for k, s in enumerate(known) if stem == s or (s.endswith("_") and stem.startswith(s))
    ]
    return (places[0] if places else len(known), stem)


def stage_figure_text(stage: str, stem: str, tree: xr.DataTree) -> FigureText:
    """Caption and alt text of the stage figure ``stem`` (a plain one for an unknown figure)."""
    known = TEXTS.get(stage)
    text = known(stem, tree) if known is not None else None
    if text is not None:
        return text
    words = stem.replace("_", " ")
    return FigureText(f"{words[:1].upper()}{words[1:]} ({stage} stage).", f"Chart: {words}.")

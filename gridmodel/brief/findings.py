"""Key findings: sentences filled from stored stage results, each number traced to its file.

Each function reads one or more stage results (xarray DataTrees as :mod:`gridmodel.output`
stores them) and returns :class:`~gridmodel.brief.numbers.Finding` objects; none computes a
model quantity the stage did not store, beyond counting, summing and picking extremes.
A finding with ``level="problem"`` (a non-converged hour, a stage that failed) is shown in the
brief's status box and makes ``gridmodel brief`` exit non-zero; ``level="warning"`` (the
no-campus twin not converging) is shown there too, with exit 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from gridmodel.brief.numbers import Finding, count, money, musd, quantity, sentence
from gridmodel.io import dataset_table

SYSTEM_LABELS = {"ercot": "ERCOT-like", "eastern": "Eastern-Interconnection-like"}
TECH_LABELS = {
    "recip": "reciprocating engines",
    "aero_ct": "aeroderivative turbines",
    "frame_ct": "frame combustion turbines",
    "gas_cc": "combined-cycle plants",
    "battery": "batteries",
    "solar": "solar",
}
NUMBER_WORDS = {2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six"}
METHOD_LABELS = {"energy": "energy", "average_and_excess": "average-and-excess", "ncp": "NCP"}


def scenario_of(tree: xr.DataTree) -> dict:
    """The validated scenario a result was computed from (stored in its attributes)."""
    return yaml.safe_load(tree.attrs.get("scenario_text", "")) or {}


def _s(n: int, one: str, many: str) -> str:
    """The noun that agrees with the count ``n``."""
    return one if n == 1 else many


def _method(name: str) -> str:
    return METHOD_LABELS.get(name, name.upper())


def _listing(items: list) -> list:
    """Text parts joined as "a, b and c" (items are strings or Numbers or lists of parts)."""
    out: list = []
    for k, item in enumerate(items):
        if k:
            out.append(" and " if k == len(items) - 1 else ", ")
        out += item if isinstance(item, list) else [item]
    return out


# ---------------------------------------------------------------------------------------------
# The campus


def campus_place(scenario: dict, stress: xr.DataTree | None) -> str:
    """Where the campuses connect: the case's bus names when the stress result has them."""
    campuses = scenario.get("campuses", [])
    if stress is not None and "timeseries" in stress:
        ts = stress["timeseries"]
        buses = [int(b) for b in ts.campus_bus.values]
        if "bus_name" in ts.coords:
            names = [str(ts.bus_name.sel(bus=b).values).strip() for b in buses]
        else:
            names = [f"bus {b}" for b in buses]
    else:
        names = [c.get("site") or f"bus {c.get('bus')}" for c in campuses]
    unique = list(dict.fromkeys(names))
    if len(unique) > 3:
        return f"{len(unique)} buses"
    return "".join(str(p) for p in _listing(unique))


# ---------------------------------------------------------------------------------------------
# Grid stress


def _branch_name(ts: xr.Dataset, branch) -> str:
    f, t = int(ts.from_bus.sel(branch=branch)), int(ts.to_bus.sel(branch=branch))
    return f"branch {f}\u2013{t}"


def stress_findings(tree: xr.DataTree) -> list[Finding]:
    """Non-converged hours (a problem), overloads with and without the campuses, voltages,
    N-1 at the peak and the hosting capacity of the site."""
    ts = tree["timeseries"]
    src = "stress/results.nc, group timeseries"
    hours = ts.sizes["time"]
    out = []
    converged = ts.converged.to_numpy().astype(bool)
    if not converged.all():
        out.append(
            sentence(
                "stress",
                "nonconverged",
                "The AC power flow did not converge in ",
                count("stress.nonconverged_hours", int((~converged).sum()), f"{src}: converged"),
                " of the ",
                count("stress.hours", hours, f"{src}: time"),
                " hours studied (listed in stress/nonconverged_hours.csv); those hours are left "
                "out of every count below, so the counts are lower bounds.",
                level="problem",
            )
        )
    if "converged_without_campus" in ts:
        twin_ok = ts.converged_without_campus.to_numpy().astype(bool)
        if not twin_ok.all():
            out.append(
                sentence(
                    "stress",
                    "nonconverged_without_campus",
                    "Without the campus, the AC power flow did not converge in ",
                    count(
                        "stress.nonconverged_hours_without_campus",
                        int((~twin_ok).sum()),
                        f"{src}: converged_without_campus",
                    ),
                    " hours; the comparisons with and without the campus use only the ",
                    count(
                        "stress.hours_both_converged",
                        int((twin_ok & converged).sum()),
                        f"{src}: converged and converged_without_campus",
                    ),
                    " hours where both converged.",
                    level="warning",
                )
            )
    out += _overload_findings(tree, ts, src, hours)
    out += _voltage_findings(tree, ts, src)
    if "contingencies" in tree:
        out.append(_contingency_finding(tree))
    if "hosting_capacity" in tree:
        out.append(_hosting_finding(tree, ts))
    return out


def _overload_findings(tree, ts, src, hours) -> list[Finding]:
    limit = float(tree.attrs["loading_limit_percent"])
    table = dataset_table(tree["overloads"].to_dataset())
    osrc = "stress/overloads.csv"
    with_campus = table[table.hours_over_with_campus > 0] if len(table) else table
    n = len(with_campus)
    over = (ts.loading_percent > limit).to_numpy()
    parts = [
        "With the campus, ",
        count("stress.branches_overloaded", n, f"{osrc}: rows with hours_over_with_campus > 0"),
        f" {_s(n, 'branch loads', 'branches load')} above {limit:g} % of their rating in ",
        count(
            "stress.hours_with_overload",
            int(over.any(axis=1).sum()),
            f"{src}: loading_percent > {limit:g}",
        ),
        " of the ",
        count("stress.hours", hours, f"{src}: time"),
        " hours studied (",
        count(
            "stress.branch_hours_overloaded",
            int(with_campus.hours_over_with_campus.sum()) if n else 0,
            f"{osrc}: sum of hours_over_with_campus",
        ),
        " branch-hours in all)",
    ]
    if n:
        worst = with_campus.loc[with_campus.worst_loading_percent_with_campus.idxmax()]
        parts += [
            f"; the most loaded, {_branch_name(ts, int(worst.branch))}, reaches ",
            quantity(
                "stress.worst_loading_percent",
                float(worst.worst_loading_percent_with_campus),
                "%",
                f"{osrc}: max of worst_loading_percent_with_campus",
                1,
            ),
            " of its rating",
        ]
    out = [sentence("stress", "overloads", *parts, ".")]
    if "loading_percent_without_campus" in ts:
        without = (ts.loading_percent_without_campus > limit).to_numpy()
        pre = int((table.hours_over_without_campus > 0).sum()) if len(table) else 0
        new = int((table.status == "new").sum()) if len(table) else 0
        worse = int((table.status == "worsened").sum()) if len(table) else 0
        tsrc = f"{src}: loading_percent_without_campus > {limit:g}"
        out.append(
            sentence(
                "stress",
                "overloads_without_campus",
                "Without the campus, ",
                count("stress.branches_overloaded_without_campus", pre,
                      f"{osrc}: rows with hours_over_without_campus > 0"),
                f" {_s(pre, 'branch already overloads', 'branches already overload')} in ",
                count("stress.hours_with_overload_without_campus",
                      int(without.any(axis=1).sum()), tsrc),
                " hours (pre-existing, not the campus's). The campus causes ",
                count("stress.overloads_new", new, f"{osrc}: status new"),
                f" new {_s(new, 'overload', 'overloads')} and worsens ",
                count("stress.overloads_worsened", worse, f"{osrc}: status worsened"),
                f" {_s(worse, 'other', 'others')} by at least "
                f"{float(tree.attrs.get('worsening_percent', 5.0)):g} % of the rating: the "
                "ones it is charged for.",
            )
        )  # fmt: skip
    return out


def overload_counts(tree: xr.DataTree) -> dict[str, int]:
    """Branches above the study's loading limit in a counted hour (the audit's table):
    ``with`` the campuses, ``without`` them, and those the campuses are charged for
    (``charged``: new or worsened)."""
    table = dataset_table(tree["overloads"].to_dataset())
    if not len(table):
        return {"with": 0, "without": 0, "charged": 0}
    out = {"with": int((table.hours_over_with_campus > 0).sum())}
    if "loading_percent_without_campus" in tree["timeseries"]:
        out["without"] = int((table.hours_over_without_campus > 0).sum())
        out["charged"] = int(table.status.isin(["new", "worsened"]).sum())
    return out


def _voltage_findings(tree, ts, src) -> list[Finding]:
    from gridmodel.stress.run import summary_table

    n = tree["voltage_violations"].sizes.get("violation", 0)
    summary = summary_table(tree).set_index("metric").value
    metric = (
        "lowest bus voltage with campuses"
        if "lowest bus voltage with campuses" in summary
        else "base case: lowest bus voltage"
    )
    return [
        sentence(
            "stress",
            "voltages",
            count("stress.buses_outside_limits", n, "stress/voltage_violations.csv: rows"),
            f" {_s(n, 'bus leaves its', 'buses leave their')} voltage limits in at least one hour; "
            "the lowest voltage is ",
            quantity("stress.lowest_vm_pu", float(summary[metric]), "pu",
                     f"stress/summary.csv: {metric}", 3),
            ".",
        )
    ]  # fmt: skip


def _contingency_finding(tree) -> Finding:
    c = tree["contingencies"].to_dataset()
    csrc = "stress/contingencies.csv"
    done = c.converged.to_numpy().astype(bool)
    hours = sorted({int(h) for h in c.hour.values}) if c.sizes.get("contingency", 0) else []
    spec = ((scenario_of(tree).get("study") or {}).get("contingencies") or {}).get("hours")
    when = "the peak hour" if spec == ["peak"] else "the hours screened"
    if hours:
        ts = tree["timeseries"]
        times = pd.DatetimeIndex(ts.time.values[np.isin(ts.hour.values, hours)])
        when += " (" + ", ".join(f"{t:%d %B %Y %H:%M}" for t in times) + ")"
    hit = int(done.sum())
    return sentence(
        "stress",
        "contingencies",
        f"Screening every single branch outage (N-1) at {when}: ",
        count("stress.n1_outages_with_violation", hit, f"{csrc}: rows with converged"),
        f" {_s(hit, 'outage causes', 'outages cause')} a new overload or voltage violation, and ",
        count(
            "stress.n1_outages_not_converged", int((~done).sum()), f"{csrc}: rows without converged"
        ),
        " leave a power flow that does not converge.",
    )


def _hosting_finding(tree, ts) -> Finding:
    h = tree["hosting_capacity"].to_dataset()
    hsrc = "stress/hosting_capacity.csv"
    spec = (scenario_of(tree).get("study") or {}).get("hosting_capacity") or {}
    hours = spec.get("hours")
    over = f"the {hours} highest-load hours" if isinstance(hours, int) else "the hours screened"
    crit = [str(c) for c in h.criterion.values]
    mw = dict(zip(crit, h.hosting_capacity_mw.to_numpy().astype(float), strict=True))
    mw = {c: v for c, v in mw.items() if np.isfinite(v)}
    if not mw:
        return sentence(
            "stress", "hosting_capacity",
            "The hosting capacity of the site was not searched: the committed units cannot serve "
            f"demand with the campus at the search's top size in any of {over} ({hsrc}).",
        )  # fmt: skip
    parts = ["The site could host "]
    if "N-0" in mw:
        parts += [
            quantity("stress.hosting_capacity_n0_mw", mw["N-0"], "MW", f"{hsrc}: N-0"),
            f" of campus load with no new violation over {over}",
        ]
    if "N-1" in mw:
        parts += [
            "; " if "N-0" in mw else "",
            quantity("stress.hosting_capacity_n1_mw", mw["N-1"], "MW", f"{hsrc}: N-1"),
            " if the grid must also withstand any single branch outage",
        ]
    rated = float(ts.campus_p_mw.sum("campus").max()) if ts.sizes.get("campus", 0) else 0.0
    if rated > 0 and min(mw.values()) < rated:
        parts += [
            " \u2014 less than the campus's peak of ",
            quantity(
                "stress.campus_peak_mw",
                rated,
                "MW",
                "stress/results.nc, group timeseries: max of campus_p_mw summed",
            ),
            ", so the site needs reinforcement or a flexible campus",
        ]
    return sentence("stress", "hosting_capacity", *parts, ".")


# ---------------------------------------------------------------------------------------------
# Grid events


def events_findings(tree: xr.DataTree) -> list[Finding]:
    """The fault and what it trips, the frequency that follows, the loss sweep and the
    oscillation screen."""
    out = []
    if "cascade" in tree and "frequency" in tree:
        out += _cascade_findings(tree)
    if "hourly" in tree:
        out.append(_hourly_finding(tree))
    if "sweep" in tree:
        out.append(_sweep_finding(tree))
    if "oscillation" in tree and "floor" in tree["oscillation"].coords:
        out.append(_oscillation_finding(tree["oscillation"].to_dataset()))
    return out


def _by_system(values: xr.DataArray, key: str, unit: str, src: str, decimals: int) -> list:
    """Parts "60.13 Hz (ERCOT-like) and 60.02 Hz (Eastern-...)" for a value per system."""
    items = []
    for name in values.system.values:
        label = SYSTEM_LABELS.get(str(name), str(name))
        items.append(
            [
                quantity(
                    f"{key}.{name}",
                    float(values.sel(system=name)),
                    unit,
                    f"{src}, system {name}",
                    decimals,
                ),
                f" ({label})",
            ]
        )
    return _listing(items)


def _cascade_findings(tree) -> list[Finding]:
    cascade, freq = tree["cascade"].to_dataset(), tree["frequency"].to_dataset()
    esrc = "events/events.nc"
    tripped = float(cascade.tripped_mw.sum())
    load = float(cascade.load_mw.sum())
    dips = len(np.atleast_1d(cascade.attrs.get("fault_times_s", [])))
    parts = [
        f"A bolted fault at bus {cascade.attrs.get('fault_bus')}, reclosed onto "
        f"{dips} times, leaves ",
        quantity(
            "events.deepest_retained_vm_pu",
            float(cascade.vm_fault_pu.min()),
            "pu",
            f"{esrc}, group cascade: min of vm_fault_pu",
            2,
        ),
        " at the campus bus" if cascade.sizes["campus"] == 1 else " at the worst campus bus",
    ]
    if tripped > 0:
        zenith = freq.zenith_hz.sel(event="cascade")
        parts += [
            "; ",
            quantity(
                "events.tripped_mw", tripped, "MW", f"{esrc}, group cascade: sum of tripped_mw"
            ),
            " of the ",
            quantity("events.campus_load_mw", load, "MW", f"{esrc}, group cascade: sum of load_mw"),
            " of campus load transfer to backup, and losing it lifts frequency to ",
            *_by_system(
                zenith,
                "events.zenith_hz",
                "Hz",
                f"{esrc}, group frequency: zenith_hz, event cascade",
                2,
            ),
        ]
    else:
        parts += [
            "; all ",
            quantity("events.campus_load_mw", load, "MW", f"{esrc}, group cascade: sum of load_mw"),
            " of campus load stay on the grid",
        ]
    out = [sentence("events", "fault", *parts, ".")]
    if tripped <= 0:
        out.append(_ride_through_assumption(tree, cascade))
    if tripped > 0 and "post_event" in tree:
        post = tree["post_event"].to_dataset()
        if bool(post.converged.all()):
            dv = post.vm_pu.sel(state="post_event") - post.vm_pu.sel(state="pre_event")
            high = int((post.vm_pu.sel(state="post_event") > post.max_vm_pu + 1e-9).sum())
            psrc = f"{esrc}, group post_event"
            out.append(
                sentence(
                    "events",
                    "post_event",
                    "After the trip, bus voltages rise by up to ",
                    quantity(
                        "events.largest_voltage_rise_pu",
                        float(dv.max()),
                        "pu",
                        f"{psrc}: vm_pu post_event - pre_event",
                        3,
                    ),
                    " and ",
                    count(
                        "events.buses_above_limit_after_trip", high, f"{psrc}: vm_pu > max_vm_pu"
                    ),
                    " buses end above their upper limit.",
                )
            )
        else:
            bad = [
                str(s)
                for s, ok in zip(post.state.values, post.converged.values, strict=True)
                if not ok
            ]
            out.append(
                sentence(
                    "events",
                    "post_event_nonconverged",
                    f"The power flow after the trip did not converge ({', '.join(bad)}).",
                    level="problem",
                )
            )
    return out


def _ride_through_assumption(tree, cascade: xr.Dataset) -> Finding:
    """Why the campus stayed on: the ride-through setting the scenario gives it (an input)."""
    campuses = scenario_of(tree).get("campuses", [])
    curve = ((campuses[0] if campuses else {}).get("fault_response") or {}).get(
        "ride_through_curve", []
    )
    deepest = min(curve, key=lambda point: point[0]) if curve else None
    setting = (
        f"it stays on through {deepest[1]:g} s below {deepest[0]:g} pu"
        if deepest
        else "its ride-through setting"
    )
    clear = float(cascade.attrs.get("fault_duration_s", float("nan")))
    return sentence(
        "events",
        "ride_through",
        f"The campus stays on because the scenario gives it a ride-through setting ({setting}, "
        f"and each fault clears in {1000 * clear:.0f} ms): that is an input, not a result. ERCOT "
        "has logged ride-through failures of large electronic loads since 2023; a campus that "
        "drops off instead loses its whole load, which the hourly frequency finding evaluates.",
        level="assumption",
        basis="campuses[].fault_response.ride_through_curve, default ERCOT NOGRR282 large "
        "electronic load ride-through; ERCOT Board of Directors, item 6.2 (December 2025): 26 "
        "LEL ride-through events since the beginning of 2023",
    )


def _hourly_finding(tree) -> Finding:
    """Losing the campus in every hour of the study, with each hour's dispatch inertia: the
    median and the worst hour, each with its hour."""
    from gridmodel.dynamics.run import hour_statistic

    hourly = tree["hourly"].to_dataset()
    src = "events/events.nc, group hourly"
    one = hourly.sel(kind="campus_loss")
    (t_mid, z_mid), (t_max, z_max) = hour_statistic(one.zenith_hz, one.converged)
    inertia = float(hourly.inertia_mws.sel(time=np.datetime64(t_max))) / 1e3
    lost = float(one.lost_mw.sel(time=np.datetime64(t_max)))
    label = SYSTEM_LABELS.get(str(hourly.attrs.get("system")), str(hourly.attrs.get("system")))
    counted = int(one.converged.sum())
    return sentence(
        "events",
        "hourly_frequency",
        "Losing the campus's load at once (",
        quantity("events.hourly_lost_mw", lost, "MW", f"{src}: lost_mw, campus_loss, worst hour"),
        ") lifts frequency to ",
        quantity("events.hourly_zenith_median_hz", z_mid, "Hz",
                 f"{src}: median of zenith_hz, campus_loss", 2),
        f" in the median hour ({t_mid:%d %B %Y %H:%M}) and to ",
        quantity("events.hourly_zenith_worst_hz", z_max, "Hz",
                 f"{src}: max of zenith_hz, campus_loss", 2),
        f" in the worst ({t_max:%d %B %Y %H:%M}, when the units the dispatch committed held ",
        quantity("events.hourly_inertia_worst_gws", inertia, "GW\u00b7s",
                 f"{src}: inertia_mws / 1000 at the worst hour"),
        f" of inertia), over the {counted:,d} hours studied ({label} response).",
    )  # fmt: skip


#: Upper edge of the large-electronic-load continuous frequency band (NOGRR282), Hz.
LEL_HIGH_HZ = 61.2


def _sweep_finding(tree) -> Finding:
    """The loss of the campus's size from the sweep (when a fault study gives that size), and
    the smallest loss that leaves the ride-through band."""
    sweep = tree["sweep"].to_dataset()
    src = "events/events.nc, group sweep"
    mw = sweep.mw.to_numpy().astype(float)
    zenith = sweep.zenith_hz.sel(kind="load_loss")
    load = float(tree["cascade"].load_mw.sum()) if "cascade" in tree else 0.0
    parts: list = []
    if load > 0:
        k = int(np.argmin(np.abs(mw - load)))
        which = (
            "the campus's size"
            if abs(mw[k] - load) < 0.5
            else "the sweep size nearest the campus's load"
        )
        parts += [
            "Losing ",
            quantity("events.sweep_loss_mw", mw[k], "MW", f"{src}: mw"),
            f" of load at once ({which}) at each system's preset inertia (for the ERCOT-like "
            "system the lowest ERCOT has recorded, a worst case) lifts frequency to ",
            *_by_system(
                zenith.isel(mw=k),
                "events.sweep_zenith_hz",
                "Hz",
                f"{src}: zenith_hz, load_loss, mw {mw[k]:g}",
                2,
            ),
            "; ",
        ]
    above = (zenith >= LEL_HIGH_HZ).to_numpy().any(axis=0)  # any system, per loss size
    if above.any():
        parts += [
            "sudden load losses of " if parts else "Sudden load losses of ",
            quantity(
                "events.smallest_loss_above_61_2_mw",
                float(mw[above].min()),
                "MW",
                f"{src}: smallest mw with zenith_hz >= {LEL_HIGH_HZ}",
            ),
            f" or more push frequency above the {LEL_HIGH_HZ} Hz ride-through band in at least "
            "one system",
        ]
    else:
        parts += [
            "no " if parts else "No ",
            "sudden load loss in the sweep (up to ",
            quantity("events.largest_loss_mw", float(mw.max()), "MW", f"{src}: max of mw"),
            f") pushes frequency above {LEL_HIGH_HZ} Hz",
        ]
    return sentence("events", "loss_sweep", *parts, ".")


def _oscillation_finding(osc: xr.Dataset) -> Finding:
    src = "events/events.nc, group oscillation"
    floors = [float(f) for f in osc.floor.values]
    low, high = min(floors), max(floors)
    one = osc.sel(floor=low)
    label = (
        "without GPU power smoothing"
        if low == 0
        else f"with a smoothing floor of {low:g} \u00d7 TDP"
    )
    parts = [
        "The campus's training swing ("
        + (
            f"scaled to the {osc.attrs.get('case')} case: "
            if float(osc.attrs.get("scale", 1.0)) != 1.0
            else ""
        ),
        quantity(
            "events.swing_mw",
            float(one.fundamental_mw),
            "MW",
            f"{src}: fundamental_mw, floor {low:g}",
            2,
        ),
        " at ",
        quantity(
            "events.swing_hz",
            float(one.fundamental_hz),
            "Hz",
            f"{src}: fundamental_hz, floor {low:g}",
            3,
        ),
        ") moves machine speeds by ",
        quantity(
            "events.swing_f_gen_mhz",
            float(one.campus_f_gen_mhz),
            "mHz",
            f"{src}: campus_f_gen_mhz, floor {low:g}",
            1,
        ),
        f" {label}",
    ]
    if high != low:
        parts += [
            " and ",
            quantity(
                "events.swing_f_gen_mhz_smoothed",
                float(osc.campus_f_gen_mhz.sel(floor=high)),
                "mHz",
                f"{src}: campus_f_gen_mhz, floor {high:g}",
                1,
            ),
            f" with a floor of {high:g} \u00d7 TDP",
        ]
    worst = float(one.sweep_f_gen_mhz.max())
    limit = float(osc.attrs["limit_mhz"])
    parts += [
        "; at the most sensitive swing frequency the same swing would give ",
        quantity(
            "events.swing_worst_f_gen_mhz",
            worst,
            "mHz",
            f"{src}: max of sweep_f_gen_mhz, floor {low:g}",
            1,
        ),
        f" against a screening limit of {limit:g} mHz",
    ]
    return sentence("events", "oscillation", *parts, ".")


# ---------------------------------------------------------------------------------------------
# Sizing


def _cost(ds: xr.Dataset) -> float:
    return float(ds.cost_usd_per_yr.sum())


def optimize_findings(tree: xr.DataTree) -> list[Finding]:
    """The campus's behind-the-meter build and cost against its grid-only twin; the regional
    expansion with and without the campuses."""
    out = []
    if "campus" in tree:
        out.append(_campus_finding(tree))
    if "expansion" in tree:
        out.append(_expansion_finding(tree))
    return out


def _campus_finding(tree) -> Finding:
    ds = tree["campus"].to_dataset()
    src = "optimize/optimization.nc, group campus"
    built = []
    for gas, mw in zip(ds.gas.values, ds.gas_capacity_mw.to_numpy(), strict=True):
        if mw > 0.5:
            unit = float(ds.unit_mw.sel(gas=gas)) if "unit_mw" in ds else 0.0
            item = [
                quantity(f"optimize.campus_{gas}_mw", float(mw), "MW", f"{src}: gas_capacity_mw, {gas}"),
                f" of {TECH_LABELS.get(str(gas), str(gas))}",
            ]  # fmt: skip
            if unit > 0:
                item += [
                    " (",
                    count(f"optimize.campus_{gas}_units", int(ds.units.sel(gas=gas)), f"{src}: units, {gas}"),
                    f" units of {unit:g} MW)",
                ]  # fmt: skip
            built.append(item)
    if float(ds.battery_mw) > 0.5:
        built.append(
            [
                "a ",
                quantity(
                    "optimize.campus_battery_mw", float(ds.battery_mw), "MW", f"{src}: battery_mw"
                ),
                " / ",
                quantity(
                    "optimize.campus_battery_mwh",
                    float(ds.battery_mwh),
                    "MWh",
                    f"{src}: battery_mwh",
                ),
                " battery",
            ]
        )
    if float(ds.solar_mw) > 0.5:
        built.append(
            [
                quantity("optimize.campus_solar_mw", float(ds.solar_mw), "MW", f"{src}: solar_mw"),
                " of solar",
            ]
        )
    csrc = "optimize/costs.csv"
    parts = [
        "On site, the campus is best served by ",
        *(_listing(built) if built else ["grid supply alone"]),
    ]
    if "reliability_target" in ds.attrs:
        parts += [
            ", enough for the gas fleet alone to carry the campus with probability ",
            quantity("optimize.campus_served_probability",
                     float(ds.attrs["gas_served_probability_at_peak"]), "",
                     f"{src}: attribute gas_served_probability_at_peak", 4),
            f" given its units' forced outages (target {float(ds.attrs['reliability_target']):g})",
        ]  # fmt: skip
    parts += [
        ", at ",
        musd("optimize.campus_cost_usd_per_yr", _cost(ds), f"{csrc}: sum of campus"),
        " a year",
    ]
    if "business_as_usual" in tree:
        bau = _cost(tree["business_as_usual"].to_dataset())
        diff = _cost(ds) - bau
        parts += [
            " against ",
            musd("optimize.grid_only_cost_usd_per_yr", bau, f"{csrc}: sum of business_as_usual"),
            " for grid supply alone (on-site supply costs ",
            musd(
                "optimize.cost_difference_usd_per_yr",
                abs(diff),
                f"{csrc}: |campus - business_as_usual|",
            ),
            " a year more" if diff > 0 else " a year less",
        ]
        if "campus_range" in tree:
            parts += _saving_range(tree["campus_range"].to_dataset())
        parts.append(")")
    else:
        note = tree.attrs.get("business_as_usual_note", "no grid-only twin was solved")
        parts += [f"; there is no grid-only comparison ({note})"]
    return sentence("optimize", "campus_sizing", *parts, ".")


def _saving_range(r: xr.Dataset) -> list:
    """ ", a saving of -$48 million to $292 million a year over ..." from the range corners."""
    src = "optimize/optimization.nc, group campus_range: saving_usd_per_yr"
    low = float(r.saving_usd_per_yr.sel(range_case="low_saving"))
    high = float(r.saving_usd_per_yr.sel(range_case="high_saving"))
    capex = r.capex_factor.sel(range_case=["high_saving", "low_saving"]).to_numpy()
    gas = r.gas_usd_per_mmbtu.sel(range_case=["high_saving", "low_saving"]).to_numpy()
    tcp = r.transmission_4cp_usd_per_kw_yr.sel(range_case=["low_saving", "high_saving"]).to_numpy()
    grid = r.grid_price_factor.sel(range_case=["low_saving", "high_saving"]).to_numpy()
    return [
        "; the saving ranges from ",
        money("optimize.saving_low_usd_per_yr", low / 1e6, f"{src}, low_saving / 1e6", 1, signed=True),
        " to ",
        money("optimize.saving_high_usd_per_yr", high / 1e6, f"{src}, high_saving / 1e6", 1, signed=True),
        f" million a year with capital costs \u00d7{capex[0]:g}-{capex[1]:g}, gas at "
        f"${gas[0]:.2f}-{gas[1]:.2f}/MMBtu, grid energy \u00d7{grid[0]:.2f}-{grid[1]:.2f} and a 4CP "
        f"charge of ${tcp[0]:g}-{tcp[1]:g}/kW-yr",
    ]  # fmt: skip


def _expansion_finding(tree) -> Finding:
    src = "optimize/optimization.nc"

    def by_tech(group):
        mw = tree[group].capacity_mw.groupby("technology").sum()
        return {str(t): float(v) for t, v in zip(mw.technology.values, mw.values, strict=True)}

    with_campus = by_tech("expansion")
    total = sum(with_campus.values())
    twin = (
        sum(by_tech("expansion_without_campus").values())
        if "expansion_without_campus" in tree
        else None
    )
    if total < 0.5 and (twin is None or twin < 0.5):
        return sentence(
            "optimize",
            "expansion",
            "Over the period studied, the regional expansion "
            "builds no new capacity, with or without the campus.",
        )
    parts = [
        "Over the period studied, the regional expansion builds ",
        quantity(
            "optimize.expansion_mw", total, "MW", f"{src}, group expansion: sum of capacity_mw"
        ),
    ]
    shown = [
        [
            quantity(
                f"optimize.expansion_{t}_mw", mw, "MW", f"{src}, group expansion: capacity_mw, {t}"
            ),
            f" of {TECH_LABELS.get(t, t)}",
        ]
        for t, mw in with_campus.items()
        if mw > 0.5
    ]
    if shown:
        parts += [" (", *_listing(shown), ")"]
    if twin is not None:
        parts += [
            " with the campus, against ",
            quantity(
                "optimize.expansion_without_campus_mw",
                twin,
                "MW",
                f"{src}, group expansion_without_campus: sum of capacity_mw",
            ),
            " without it",
        ]
    return sentence("optimize", "expansion", *parts, ".")


# ---------------------------------------------------------------------------------------------
# Bills


def bills_findings(tree: xr.DataTree, stress: xr.DataTree | None = None) -> list[Finding]:
    """The typical household's bill change in the report year, its range over the
    materialisation draws and the allocation methods, and the load that never arrives."""
    cases = tree["cases"].to_dataset()
    scenario = scenario_of(tree)
    k = int(cases.attrs["report_year_index"])
    year = int(cases.year[k])
    bill = cases.residential_bill_usd_per_month.isel(year=k)
    base = float(bill.sel(case="baseline"))
    src = f"bills/bills.csv, year {year}"
    csrc = "bills/bills.nc, group cases"
    forecast = float(cases.large_load_forecast_mw.sel(case="as_forecast").max())
    realised = float(cases.large_load_realised_mw.sel(case="scenario").isel(year=k))
    n = len(scenario.get("campuses", [])) or 1
    transmission = ((scenario.get("bills") or {}).get("allocation") or {}).get("transmission", "")
    change = float(bill.sel(case="scenario")) - base
    mw = quantity(
        "bills.campus_forecast_mw",
        forecast,
        "MW",
        f"{csrc}: max of large_load_forecast_mw, as_forecast",
    )
    where = campus_place(scenario, stress)
    allocation = f" under {_method(transmission)} transmission allocation"
    if abs(realised - forecast) < 0.5:
        parts = [
            f"{'A training campus' if n == 1 else f'{NUMBER_WORDS.get(n, n)} campuses'} of ",
            mw,
            f"{' in all' if n > 1 else ''} at {where} {'adds' if change >= 0 else 'takes'} ",
            money(
                "bills.scenario_change_usd_per_month",
                abs(change),
                f"{src}: |scenario_change_usd_per_month|",
            ),
            f" {'to' if change >= 0 else 'off'} a typical household's monthly bill by {year}{allocation}",
        ]
    else:
        parts = [
            "With ",
            mw,
            f" of campuses in the utility's forecast at {where} and ",
            quantity(
                "bills.campus_realised_mw",
                realised,
                "MW",
                f"{csrc}: large_load_realised_mw, scenario, {year}",
            ),
            f" arriving, a typical household's monthly bill in {year} changes by ",
            money(
                "bills.scenario_change_usd_per_month",
                change,
                f"{src}: scenario_change_usd_per_month",
                signed=True,
            ),
            allocation,
        ]
    if "monte_carlo" in tree:
        mc = tree["monte_carlo"].residential_bill_usd_per_month.isel(year=k)
        q = mc.quantile([0.05, 0.95], "draw").to_numpy() - base
        low, high = (float(v) for v in q)
        draws = tree["monte_carlo"].sizes["draw"]
        parts += [
            " (",
            money(
                "bills.monte_carlo_p05_change_usd_per_month",
                low,
                f"{src}: monte_carlo_p05_usd_per_month - baseline_usd_per_month",
                signed=True,
            ),
            " to ",
            money(
                "bills.monte_carlo_p95_change_usd_per_month",
                high,
                f"{src}: monte_carlo_p95_usd_per_month - baseline_usd_per_month",
                signed=True,
            ),
            f", 5th to 95th percentile over {draws} draws of how much of the forecast load arrives)",
        ]
    protected = float(bill.sel(case="no_show_protected")) - base
    unprotected = float(bill.sel(case="no_show_unprotected")) - base
    parts += [
        "; if the forecast load never arrives, the bill changes by ",
        money(
            "bills.no_show_protected_change_usd_per_month",
            protected,
            f"{src}: no_show_protected_change_usd_per_month",
            signed=True,
        ),
        " a month with the large-load tariff's protections and by ",
        money(
            "bills.no_show_unprotected_change_usd_per_month",
            unprotected,
            f"{src}: no_show_unprotected_change_usd_per_month",
            signed=True,
        ),
        " without them",
    ]
    out = [sentence("bills", "household_bill", *parts, "."), _household_finding(cases)]
    if "capacity_zone" in cases.attrs:
        out.append(_capacity_price_assumption(cases, scenario))
    npv = float(cases.residential_bill_npv_usd.sel(case="scenario"))
    years = cases.sizes["year"]
    out.append(
        sentence(
            "bills",
            "household_npv",
            f"Over the {years} years from {int(cases.year[0])}, the bill change adds up to ",
            money(
                "bills.scenario_npv_usd",
                npv,
                "bills/bills.nc, group cases: residential_bill_npv_usd, scenario",
                0,
                signed=True,
            ),
            " per household in present value.",
        )
    )
    if "methods" in tree and tree["methods"].sizes.get("method", 0) > 1:
        methods = tree["methods"].residential_bill_usd_per_month.isel(year=k) - base
        lo, hi = int(np.argmin(methods.to_numpy())), int(np.argmax(methods.to_numpy()))
        msrc = (
            f"bills/bills.nc, group methods, year {year}: residential_bill_usd_per_month - baseline"
        )
        names = [str(m) for m in methods.method.values]
        out.append(
            sentence(
                "bills",
                "allocation_methods",
                f"With the same method for generation and transmission, the change in {year} "
                "ranges from ",
                money(
                    "bills.method_min_change_usd_per_month",
                    float(methods[lo]),
                    f"{msrc}, {names[lo]}",
                    signed=True,
                ),
                f" ({_method(names[lo])}) to ",
                money(
                    "bills.method_max_change_usd_per_month",
                    float(methods[hi]),
                    f"{msrc}, {names[hi]}",
                    signed=True,
                ),
                f" ({_method(names[hi])}).",
            )
        )
    return out


def _household_finding(cases: xr.Dataset) -> Finding:
    """The region's typical household and what it contributes to the peaks that allocate cost."""
    a = cases.attrs
    src = "bills/bills.nc, group cases: attribute"
    basis = str(a["residential_plc_basis"]).upper()
    return sentence(
        "bills",
        "household",
        f"The typical household ({str(a['region']).title()}, EIA-861M 2024) uses ",
        quantity("bills.household_kwh_per_month", float(a["household_kwh_per_month"]),
                 "kWh", f"{src} household_kwh_per_month"),
        " a month, an average load of ",
        quantity("bills.household_mean_kw", float(a["residential_mean_kw_per_customer"]), "kW",
                 f"{src} residential_mean_kw_per_customer", 2),
        "; split from the system load by the region's class load shapes, it contributes ",
        quantity("bills.household_plc_kw", float(a["residential_plc_kw_per_customer"]), "kW",
                 f"{src} residential_plc_kw_per_customer", 2),
        f" to the {basis} peaks the cost shares are measured at.",
    )  # fmt: skip


def _capacity_price_assumption(cases: xr.Dataset, scenario: dict) -> Finding:
    """The capacity price path is an input: published prices, then the demand curve."""
    market = ((scenario.get("bills") or {}).get("procurement") or {}).get("capacity_market") or {}
    given = market.get("price_usd_per_mw_day")
    how = (
        "the prices the scenario gives"
        if given is not None
        else "PJM's published prices for the delivery years they cover, then a sloped demand "
        "curve with the collar anchored at the last published price"
    )
    return sentence(
        "bills",
        "capacity_price_path",
        f"The capacity prices of the {cases.attrs['capacity_zone']} zone behind these bills are "
        f"{how}: an input, not a forecast the model makes.",
        level="assumption",
        basis="gridmodel/schema/capacity_prices.csv (PJM Base Residual Auction results, each row "
        "with its source) and bills.procurement.capacity_market",
    )


# ---------------------------------------------------------------------------------------------
# Campus load profile and headroom


def profile_findings(tree: xr.DataTree) -> list[Finding]:
    """Each campus's fine-resolution load against the proposed variation limits."""
    table = tree["compliance"].to_dataset()
    src = "profile/compliance.csv"
    out = []
    for campus in dict.fromkeys(str(c) for c in table.campus.values):
        rows = table.where(table.campus == campus, drop=True)
        items = []
        for r in range(rows.sizes["row"]):
            row = rows.isel(row=r)
            unit = "" if str(row.unit.values) == "-" else str(row.unit.values)
            items.append(
                [
                    f"{row.description.values} ",
                    quantity(
                        f"profile.{campus}.{row.metric.values}",
                        float(row.value),
                        unit,
                        f"{src}: {row.metric.values}, {campus}",
                        2 if float(row.value) < 10 else 0,
                    ),
                    f" (limit {float(row.limit):g}{' ' + unit if unit else ''})",
                ]
            )
        met = int(rows.compliant.astype(bool).sum())
        out.append(
            sentence(
                "profile",
                f"compliance_{campus}",
                f"Campus {campus}: ",
                *_listing(items),
                "; it meets ",
                count(f"profile.{campus}.limits_met", met, f"{src}: compliant"),
                f" of {rows.sizes['row']} limits.",
            )
        )
    return out


def headroom_findings(tree: xr.DataTree) -> list[Finding]:
    """The balancing area's headroom and the nodal siting frontier, whichever the result has."""
    found = balancing_findings(tree) if "headroom" in tree else []
    return found + (nodal_findings(tree) if "nodal" in tree else [])


def nodal_findings(tree: xr.DataTree) -> list[Finding]:
    """Firm and flexible N-0 hosting capacity: the best site, and the largest gain from
    flexibility at the largest curtailment budget."""
    ds = tree["nodal"].to_dataset().sel(criterion="N-0")
    src = "headroom/siting_frontier.csv"
    budget = float(ds.budget.values[-1])
    firm = ds.hosting_capacity_mw.sel(budget=0.0).to_numpy()
    flex = ds.hosting_capacity_mw.sel(budget=budget).to_numpy()
    best = int(np.argmax(flex))
    site = str(ds.site.values[best])
    return [sentence(
        "headroom", "nodal",
        f"Of {ds.sizes['site']} sites, {site} hosts the largest campus without a new N-0 "
        "violation: ",
        quantity("headroom.nodal_firm_mw", firm[best], "MW",
                 f"{src}: hosting_capacity_mw, N-0, {site}, budget 0"),
        " firm and ",
        quantity("headroom.nodal_flexible_mw", flex[best], "MW",
                 f"{src}: hosting_capacity_mw, N-0, {site}, budget {budget:g}"),
        f" if it curtails up to {budget:g} % of its energy where the network binds.",
    )]  # fmt: skip


def balancing_findings(tree: xr.DataTree) -> list[Finding]:
    """The balancing area's curtailment-enabled headroom at the lowest and highest limits."""
    ds = tree["headroom"].to_dataset()
    src = "headroom/headroom.csv"
    rates = ds.rate.to_numpy().astype(float)
    mw = ds.headroom_mw.to_numpy().astype(float)
    lo, hi = int(np.argmin(rates)), int(np.argmax(rates))
    years = ds.year.values
    parts = [
        f"With no new supply, {tree.attrs.get('scenario', 'the area')} could connect ",
        quantity(
            "headroom.headroom_low_gw",
            mw[lo] / 1e3,
            "GW",
            f"{src}: headroom_mw / 1000, rate {rates[lo]:g}",
            2,
        ),
        f" of new load that curtails {rates[lo]:g} % of its energy",
    ]
    if hi != lo:
        parts += [
            ", and ",
            quantity(
                "headroom.headroom_high_gw",
                mw[hi] / 1e3,
                "GW",
                f"{src}: headroom_mw / 1000, rate {rates[hi]:g}",
                2,
            ),
            f" at {rates[hi]:g} %",
        ]
    parts.append(f" (demand of {int(years.min())}-{int(years.max())}).")
    return [sentence("headroom", "headroom", *parts)]


FINDINGS = {
    "stress": lambda results: stress_findings(results["stress"]),
    "events": lambda results: events_findings(results["events"]),
    "optimize": lambda results: optimize_findings(results["optimize"]),
    "bills": lambda results: bills_findings(results["bills"], results.get("stress")),
    "profile": lambda results: profile_findings(results["profile"]),
    "headroom": lambda results: headroom_findings(results["headroom"]),
}

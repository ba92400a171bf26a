"""The events stage: fault → campus trips → frequency response → post-event power flow, the
load-loss sweep, and forced-oscillation screening of the campus swing."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.dynamics.cascade import site_voltage, trip_cascade
from gridmodel.dynamics.frequency import metrics, resolve, simulate
from gridmodel.dynamics.links import dispatch_inertia, solved_hour
from gridmodel.inputs import StudyInputs
from gridmodel.loads.campus import campus_load_model
from gridmodel.networks import Network
from gridmodel.powerflow.injections import Injections, StudyCase
from gridmodel.powerflow.reference import solve_hour_pandapower
from gridmodel.progress import Progress, no_progress
from gridmodel.schema import Events, GpuSmoothing, ModelProfile, Scenario, ScenarioError
from gridmodel.stress.violations import resolve_hours

#: Relay-free thresholds reported for every event: the NOGRR282 large-electronic-load
#: continuous frequency range (58.8-61.2 Hz; ERCOT NOGRR282, Board item 6.2, December 2025).
LEL_BAND_HZ = {"lel_low_58.8": 58.8, "lel_high_61.2": 61.2}
#: Time-series step kept in the output for the frequency trajectories (s).
TRAJECTORY_STEP_S = 0.05
#: Share of the tripped load back on the grid at each reconnection power flow.
RECONNECT_FRACTIONS = (0.25, 0.5, 0.75)
#: Length of the campus swing record screened for oscillations (s).
SWING_RECORD_S = 300.0
SWING_STEP_S = 0.01
#: Hours scanned for the training swing (every n-th hour of the year).
SCAN_EVERY_H = 24


# ---------------------------------------------------------------------------------------------
# Fault → trips → frequency → power flow

log = logging.getLogger(__name__)


def fault_bus(network: Network, events: Events) -> int:
    """Case bus number of the faulted bus (ScenarioError naming the field when unknown)."""
    fault = events.fault
    if fault.site is not None:
        try:
            return network.descriptor.site(fault.site).bus
        except KeyError as err:
            raise ScenarioError(f"field 'events.fault.site': {err.args[0]}") from None
    try:
        network.bus_index(fault.bus)
    except KeyError:
        raise ScenarioError(
            f"field 'events.fault.bus': value {fault.bus} is not a bus of '{network.name}'"
        ) from None
    return fault.bus


def _time_grid(events: Events) -> np.ndarray:
    return np.arange(int(round(events.window_s / events.dt_s)) + 1) * events.dt_s


def fault_cascade(
    case: StudyCase, net, scenario: Scenario, campus_mw: np.ndarray
) -> tuple[xr.Dataset, np.ndarray]:
    """Retained voltages at the campus buses and each campus's response; also the retained
    voltage at every bus (pu, pandapower bus order)."""
    from gridmodel.dynamics.short_circuit import fault_voltages

    events = scenario.events
    fault = events.fault
    bus = fault_bus(case.network, events)
    pd_fault = case.network.bus_index(bus)
    retained = fault_voltages(
        net, [pd_fault], complex(fault.r_ohm, fault.x_ohm), x_dss_pu=fault.x_dss_pu
    ).isel(fault=0)
    sites = [case.network.bus_index(b) for b in case.campus_buses]
    t = _time_grid(events)
    vm_pre = net.res_bus.vm_pu.loc[sites].to_numpy()
    vm = site_voltage(
        t, vm_pre, retained.sel(bus=sites).to_numpy(), fault.times_s, fault.duration_s
    )
    responses = [c.fault_response for c in scenario.campuses]
    ds = trip_cascade(t, case.campus_names, campus_mw, vm, responses)
    ds["vm_pu"] = (("campus", "time"), vm, {"units": "pu"})
    ds["vm_fault_pu"] = ("campus", retained.sel(bus=sites).to_numpy(), {"units": "pu"})
    ds["bus"] = ("campus", np.asarray(case.campus_buses))
    ds.attrs.update(fault_bus=bus, fault_times_s=list(fault.times_s), fault_duration_s=fault.duration_s)  # fmt: skip
    return ds, retained.to_numpy()


def cascade_frequency(
    cascade: xr.Dataset, events: Events, hour: int | None = None, inertia: dict | None = None
) -> xr.Dataset:
    """Frequency of each system (dim ``system``) as the campuses drop off the grid; and, for
    comparison, the tripped load reconnecting all at once. ``hour``: hour of the load year (for
    an hourly inertia record); ``inertia``: MW·s by system label, replacing the preset's (the
    dispatch's inertia of the event hour)."""
    lost = cascade.load_reduction_mw.to_numpy()
    tripped = float(cascade.tripped_mw.sum())
    step = np.full_like(lost, tripped)  # block reconnection: the whole load back at t = 0+
    runs = []
    for k, spec in enumerate(events.systems):
        params = resolve(spec, hour, f"events.systems.{k}")
        if inertia and spec.label in inertia:
            params = dataclasses.replace(params, inertia_mws=inertia[spec.label])
        ds = simulate(params, np.vstack([-lost, step]), events.window_s, events.dt_s)
        ds = ds.assign_coords(event=["cascade", "block_reconnection"])
        runs.append(xr.merge([ds, metrics(ds, LEL_BAND_HZ)]))
    labels = [s.label for s in events.systems]
    return xr.concat(runs, dim=pd.Index(labels, name="system"), join="outer")


def _with_loads(inj: Injections, row: int, load_p: np.ndarray, load_q: np.ndarray) -> Injections:
    one = inj.take([row])
    return dataclasses.replace(one, load_p=load_p[None, :], load_q=load_q[None, :])


def post_event_flows(
    case: StudyCase, inj: Injections, row: int, tripped_mw: np.ndarray
) -> xr.Dataset:
    """AC power flow before the event, after the tripped campuses left (generation set-points
    unchanged, the distributed slack takes up the surplus as the governors do), and with 25,
    50 and 75 % of the tripped load reconnected (dim ``state``)."""
    from pandapower.powerflow import LoadflowNotConverged

    cols = case.campus_load_index
    base_p, base_q = inj.load_p[row].copy(), inj.load_q[row].copy()
    share = np.divide(tripped_mw, base_p[cols], out=np.zeros(len(cols)), where=base_p[cols] > 0)
    states = {"pre_event": 1.0, "post_event": 0.0}
    states |= {f"reconnected_{int(f * 100)}pct": f for f in RECONNECT_FRACTIONS}
    vm, loading, converged = [], [], []
    for back in states.values():
        p, q = base_p.copy(), base_q.copy()
        keep = 1.0 - share * (1.0 - back)
        p[cols] *= keep
        q[cols] *= keep
        try:
            _, res = solve_hour_pandapower(case, _with_loads(inj, row, p, q), 0)
            vm.append(res["vm_pu"])
            loading.append(res["loading_percent"])
            converged.append(True)
        except LoadflowNotConverged:  # reported per state
            vm.append(np.full(len(case.net.bus), np.nan))
            loading.append(np.full(len(case.network.branches), np.nan))
            converged.append(False)
    net = case.net
    return xr.Dataset(
        {
            "vm_pu": (("state", "bus"), np.array(vm), {"units": "pu"}),
            "loading_percent": (("state", "branch"), np.array(loading), {"units": "%"}),
            "converged": ("state", np.array(converged)),
            "max_vm_pu": ("bus", net.bus.max_vm_pu.to_numpy(float), {"units": "pu"}),
            "min_vm_pu": ("bus", net.bus.min_vm_pu.to_numpy(float), {"units": "pu"}),
        },
        coords={
            "state": list(states),
            "reconnected_share": ("state", list(states.values())),
            "bus": case.network.buses.bus.to_numpy(),
            "branch": case.network.branches.index.to_numpy(),
        },
    )


# ---------------------------------------------------------------------------------------------
# The events in every hour

#: Hours simulated at once by :func:`hourly_frequency` (bounds the memory of the trajectories).
HOURS_PER_BATCH = 256
#: Metrics kept per hour and event.
HOURLY_METRICS = ("zenith_hz", "nadir_hz", "rocof_hz_per_s", "settling_hz", "ufls_shed_mw",
                  "generation_tripped_mw", "valid")  # fmt: skip


def hourly_system(events: Events) -> int:
    """Position in `events.systems` of the system the hourly events use."""
    labels = [s.label for s in events.systems]
    label = events.hourly.system or labels[0]
    return labels.index(label)


def hourly_frequency(
    study: StudyInputs, stress: xr.DataTree, cascade: xr.Dataset | None
) -> xr.Dataset:
    """Frequency after losing the whole campus load (``campus_loss``), and after the fault's
    campus trips (``fault``: the cascade's trips as a share of the campus load at the event hour,
    applied to each hour's campus load), in every hour of the grid-stress run (dims ``kind``,
    ``time``), each hour with its committed units' inertia (:func:`dispatch_inertia`) and its
    load; the other parameters are those of `events.hourly.system`."""
    events = study.scenario.events
    k = hourly_system(events)
    params = resolve(events.systems[k], None, f"events.systems.{k}")
    ts = stress["timeseries"]
    inertia = dispatch_inertia(study.network, stress, events.hourly)
    load = ts.load_mw.to_numpy().astype(float)
    campus = ts.campus_p_mw.sum("campus").to_numpy().astype(float)
    kinds = {"campus_loss": -campus[:, None] * np.ones((1, 1))}
    if cascade is not None and float(cascade.tripped_mw.sum()) > 0:
        shape = cascade.load_reduction_mw.to_numpy() / float(cascade.load_mw.sum())
        kinds["fault"] = -campus[:, None] * shape[None, :]
    out = {name: {m: [] for m in HOURLY_METRICS} for name in kinds}
    for name, dp in kinds.items():
        for start in range(0, len(load), HOURS_PER_BATCH):
            rows = slice(start, start + HOURS_PER_BATCH)
            block = dp[rows] if dp.shape[1] > 1 else dp[rows, 0]
            ds = simulate(params, block, events.window_s, events.dt_s, inertia[rows], load[rows])
            m = metrics(ds, {})
            for metric in HOURLY_METRICS:
                out[name][metric].append(m[metric].to_numpy())
    time = ts.time.values
    data = {
        metric: (("kind", "time"), np.array([np.concatenate(out[n][metric]) for n in kinds]))
        for metric in HOURLY_METRICS
    }
    lost = np.array([-dp.min(axis=1) for dp in kinds.values()])
    ds = xr.Dataset(
        {**data,
         "lost_mw": (("kind", "time"), lost, {"units": "MW"}),
         "inertia_mws": ("time", inertia, {"units": "MW s", "long_name": "sum of H x S of the committed synchronous units, floored"}),
         "load_mw": ("time", load, {"units": "MW"}),
         "converged": ("time", ts.converged.to_numpy().astype(bool))},
        coords={"kind": list(kinds), "time": time},
        attrs={"system": events.systems[k].label, "floor_gws": events.hourly.floor_gws},
    )  # fmt: skip
    for name in ("zenith_hz", "nadir_hz", "settling_hz"):
        ds[name].attrs["units"] = "Hz"
    ds["rocof_hz_per_s"].attrs["units"] = "Hz/s"
    return ds


# ---------------------------------------------------------------------------------------------
# Sweep of sudden losses


def loss_sweep(events: Events, hour: int | None = None) -> tuple[xr.Dataset, xr.Dataset]:
    """Metrics of sudden load losses and generator trips of each size (dims system, kind, mw),
    with each system's relay set points (``relay_setpoint_hz``); trajectories for
    ``trajectories_mw`` (resampled to ``TRAJECTORY_STEP_S``). ``hour``: hour of the load year."""
    mw = np.array(sorted(set(events.lost_mw) | set(events.trajectories_mw)), float)
    every = max(1, int(round(TRAJECTORY_STEP_S / events.dt_s)))
    stats, paths = [], []
    for k, spec in enumerate(events.systems):
        params = resolve(spec, hour, f"events.systems.{k}")
        per_kind, per_kind_f = [], []
        for sign in (-1.0, 1.0):
            ds = simulate(params, sign * mw, events.window_s, events.dt_s)
            ds = ds.assign_coords(event=mw)
            per_kind.append(
                metrics(ds, LEL_BAND_HZ).assign(relay_s=ds.relay_s, relay_setpoint_hz=ds.relay_hz)
            )
            per_kind_f.append(ds.f_hz.sel(event=list(events.trajectories_mw)).isel(time=slice(None, None, every)))  # fmt: skip
        kinds = pd.Index(["load_loss", "generator_trip"], name="kind")
        stats.append(xr.concat(per_kind, dim=kinds))
        paths.append(xr.concat(per_kind_f, dim=kinds))
    sysdim = pd.Index([s.label for s in events.systems], name="system")
    sweep = xr.concat(stats, dim=sysdim, join="outer").rename(event="mw")
    trajectories = xr.concat(paths, dim=sysdim).rename(event="mw").to_dataset(name="f_hz")
    sweep = sweep.sel(mw=list(events.lost_mw))
    sweep["mw"].attrs["units"] = trajectories["mw"].attrs["units"] = "MW"
    return sweep, trajectories


# ---------------------------------------------------------------------------------------------
# Forced oscillations


def _screened_campus(scenario: Scenario) -> int | None:
    osc = scenario.events.oscillation
    for k, campus in enumerate(scenario.campuses):
        if isinstance(campus.profile, ModelProfile) and (osc.campus in (None, campus.name)):
            return k
    if osc.campus is not None:
        raise ScenarioError(
            f"field 'events.oscillation.campus': campus '{osc.campus}' needs a `model` profile"
        )
    return None


def _with_floor(model: ModelProfile, floor: float) -> ModelProfile:
    mit = model.mitigation
    smoothing = None
    if floor > 0:
        base = mit.gpu_smoothing or GpuSmoothing()
        smoothing = base.model_copy(update={"floor_frac": floor})
    return model.model_copy(
        update={"mitigation": mit.model_copy(update={"gpu_smoothing": smoothing})}
    )


def training_hour(load, n_hours: int, band_hz: tuple[float, float]) -> int:
    """Hour of the year (every ``SCAN_EVERY_H``-th) whose swing record of the campus ``load``
    (unsmoothed) has the largest spectral line in ``band_hz``: the screen asks what the campus
    does while it trains."""
    hours = np.arange(0, n_hours, SCAN_EVERY_H)
    swing = [_band_amplitudes(load.arrays(h * 3600.0, SWING_RECORD_S, SWING_STEP_S)[0], band_hz)[1].max() for h in hours]  # fmt: skip
    return int(hours[int(np.argmax(swing))])


def campus_swings(study: StudyInputs, k: int, scale: float) -> xr.DataArray:
    """Campus ``k``'s grid-side load over ``SWING_RECORD_S`` for each smoothing floor (dims
    floor, time; MW, times ``scale``), from the start of its :func:`training_hour`."""
    scenario = study.scenario
    osc = scenario.events.oscillation
    base = scenario.campuses[k].profile
    system = study.inputs.system_load_mw.to_numpy()
    loads = {
        floor: campus_load_model(
            _with_floor(base, floor), system, scenario.seed * 1000 + k,
            int(study.inputs.attrs["load_year"]), f"campuses.{k}.profile",
        )
        for floor in {0.0, *osc.smoothing_floors}
    }  # fmt: skip
    hour = training_hour(loads[0.0], len(system), osc.band_hz)
    rows = [
        loads[floor].arrays(hour * 3600.0, SWING_RECORD_S, SWING_STEP_S)[0] * scale
        for floor in osc.smoothing_floors
    ]
    t = np.arange(len(rows[0])) * SWING_STEP_S
    return xr.DataArray(
        np.array(rows),
        dims=("floor", "time"),
        coords={"floor": list(osc.smoothing_floors), "time": t},
        attrs={"units": "MW", "scale": scale, "record_hour": hour},
    )


def _band_amplitudes(p: np.ndarray, band_hz: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (Hz) and line amplitudes (MW) of the swing spectrum inside ``band_hz``
    (sampled at ``SWING_STEP_S``)."""
    dev = p - p.mean()
    spec = np.abs(np.fft.rfft(dev)) * 2.0 / len(dev)
    f = np.fft.rfftfreq(len(dev), SWING_STEP_S)
    inside = (f >= band_hz[0]) & (f <= band_hz[1])
    return f[inside], spec[inside]


def _fundamental(p: np.ndarray, band_hz: tuple[float, float]) -> tuple[float, float]:
    """Frequency (Hz) and amplitude (MW) of the largest line of the swing inside the band."""
    f, amp = _band_amplitudes(p, band_hz)
    k = int(np.argmax(amp))
    return float(f[k]), float(amp[k])


def screen_oscillations(
    study: StudyInputs, system_mw: float, progress: Progress = no_progress
) -> tuple[xr.Dataset, pd.DataFrame]:
    """Modes of the ANDES case, response per MW across the band, and the campus's forced
    oscillation for each smoothing floor, with a time-domain check of the worst."""
    from gridmodel.dynamics import oscillation as osc_mod

    scenario = study.scenario
    osc = scenario.events.oscillation
    dyn = osc_mod.load_case(osc.case, osc.bus)
    modes, jac = osc_mod.linearise(dyn)
    grid = np.linspace(*osc.band_hz, osc.points)
    in_band = modes.frequency_hz[(modes.frequency_hz >= osc.band_hz[0]) & (modes.frequency_hz <= osc.band_hz[1])]  # fmt: skip
    freqs = np.unique(np.concatenate([grid, in_band.to_numpy()]))
    resp = osc_mod.bus_response(dyn, jac, freqs)
    ds = xr.Dataset(
        {
            "f_gen_mhz_per_mw": ("swing_hz", 1e3 * np.abs(resp.f_gen_hz_per_mw).max("gen").to_numpy()),  # fmt: skip
            "v_bus_pct_per_mw": ("swing_hz", 1e2 * np.abs(resp.v_bus_pu_per_mw.to_numpy())),
            "f_coi_mhz_per_mw": ("swing_hz", 1e3 * np.abs(resp.f_coi_hz_per_mw.to_numpy())),
        },
        coords={"swing_hz": resp.swing_hz},
        attrs={"case": osc.case, "bus": osc.bus, "case_load_mw": dyn.load_mw,
               "limit_mhz": osc.limit_mhz},
    )  # fmt: skip
    k = _screened_campus(scenario)
    if k is None:
        return ds, modes
    scale = dyn.load_mw / system_mw if osc.scale == "system_share" else 1.0
    swings = campus_swings(study, k, scale)
    lines = np.array([_fundamental(p, osc.band_hz) for p in swings.to_numpy()])
    y = osc_mod.filter_swing(dyn, jac, swings.to_numpy(), SWING_STEP_S, osc.band_hz)
    f_peak = 1e3 * np.abs(y.f_gen_hz).max(("gen", "time")).to_numpy()
    v_peak = 1e2 * np.abs(y.v_bus_pu).max("time").to_numpy()
    ds = ds.assign_coords(floor=swings.floor)
    ds["swing_mw"] = swings.rename(time="swing_time")
    ds["fundamental_hz"] = ("floor", lines[:, 0], {"units": "Hz"})
    ds["fundamental_mw"] = ("floor", lines[:, 1], {"units": "MW"})
    at_line = osc_mod.bus_response(dyn, jac, lines[:, 0])
    ds["campus_f_gen_mhz"] = ("floor", 1e3 * lines[:, 1] * np.abs(at_line.f_gen_hz_per_mw).max("gen").to_numpy(), {"units": "mHz", "long_name": "largest machine speed oscillation at the swing line"})  # fmt: skip
    ds["campus_v_bus_pct"] = ("floor", 1e2 * lines[:, 1] * np.abs(at_line.v_bus_pu_per_mw.to_numpy()), {"units": "%", "long_name": "bus voltage oscillation at the swing line"})  # fmt: skip
    ds["record_f_gen_mhz"] = ("floor", f_peak, {"units": "mHz", "long_name": "largest machine speed deviation over the whole record (checkpoints, restarts included)"})  # fmt: skip
    ds["record_v_bus_pct"] = ("floor", v_peak, {"units": "%"})
    # any iteration period: the same fundamental amplitude at every swing frequency
    ds["sweep_f_gen_mhz"] = ds.fundamental_mw * ds.f_gen_mhz_per_mw
    ds["sweep_v_bus_pct"] = ds.fundamental_mw * ds.v_bus_pct_per_mw
    ds.attrs.update(
        campus=scenario.campuses[k].name, scale=scale, record_hour=swings.attrs["record_hour"]
    )
    if osc.time_domain_check:
        progress("ANDES time domain", 0, 1)
        worst = int(np.argmax(ds.campus_f_gen_mhz.to_numpy()))
        record = swings.isel(floor=worst).to_numpy()[: int(60.0 / SWING_STEP_S) + 1]
        td = osc_mod.time_domain(osc.case, osc.bus, record, SWING_STEP_S)
        lin = osc_mod.filter_swing(dyn, jac, record, SWING_STEP_S, (0.0, osc_mod.MODE_BAND_HZ[1]))
        tail_td = td.time.to_numpy() >= 30.0
        tail_lin = lin.time.to_numpy() >= 30.0
        p2p_td = float(np.ptp(td.v_bus_pu.to_numpy()[tail_td]))
        p2p_lin = float(np.ptp(lin.v_bus_pu.to_numpy()[tail_lin]))
        ds.attrs.update(
            time_domain_floor=float(swings.floor[worst]),
            time_domain_v_p2p_pct=100 * p2p_td,
            linear_v_p2p_pct=100 * p2p_lin,
            time_domain_runtime_s=float(td.attrs["runtime_s"]),
        )
        progress("ANDES time domain", 1, 1)
    return ds, modes


# ---------------------------------------------------------------------------------------------
# The stage


def check(study: StudyInputs) -> None:
    """Refuse, before any solve, what the events stage could only refuse later."""
    events = study.scenario.events
    if events is None:
        raise ScenarioError("field 'events': the scenario has no `events` block")
    if events.fault is not None and not study.scenario.campuses:
        raise ScenarioError("field 'events.fault': needs at least one campus in 'campuses'")
    if events.fault is not None:
        fault_bus(study.network, events)
    if events.oscillation is not None:
        _screened_campus(study.scenario)
    period = study.period_inputs()
    load = (period.system_load_mw + period.campus_p_mw.sum("campus")).to_numpy()
    try:
        row = int(resolve_hours([events.hour], load)[0])
    except ValueError as err:
        raise ScenarioError(f"field 'events.hour': {err}") from None
    for k, spec in enumerate(events.systems):  # reads each system's inertia record
        resolve(spec, int(period.hour.values[row]), f"events.systems.{k}")


def _in_seconds(ds: xr.Dataset | None) -> xr.Dataset | None:
    """An event record with its seconds-after-the-event axis named ``time_s`` (``time`` is the
    hour of the load year in every result)."""
    if ds is None:
        return None
    out = ds.rename({"time": "time_s"}) if "time" in ds.dims else ds
    if "swing_time" in out.dims:
        out = out.rename({"swing_time": "swing_time_s"})
    return out


def events(
    study: StudyInputs, stress: xr.DataTree | None = None, progress: Progress = no_progress
) -> xr.DataTree:
    """The scenario's `events`: a fault and the campus trips it causes, from the grid-stress run's
    solved hour (``stress``, needed with a fault), the frequency after the trips, the power flow
    after them; a sweep of sudden losses; the oscillation screen of the campus swing.

    Groups: ``cascade``, ``frequency``, ``post_event``, ``hourly`` (the campus-loss and fault
    events in every hour, with the hour's dispatch inertia), ``sweep``, ``trajectories``,
    ``oscillation``, ``modes`` (as the scenario asks).
    """
    check(study)
    scenario = study.scenario
    events = scenario.events
    period = study.period_inputs()
    load = (period.system_load_mw + period.campus_p_mw.sum("campus")).to_numpy()
    row = int(resolve_hours([events.hour], load)[0])
    hour = period.time.values[row]
    hour_of_year = int(period.hour.values[row])
    system_mw = float(load[row])
    progress("events", 0, 4)
    groups: dict[str, xr.Dataset | None] = {}
    root = xr.Dataset(attrs={"event_time": str(np.datetime_as_string(hour, unit="m"))})
    if events.fault is not None:
        if stress is None:
            raise ScenarioError("field 'events.fault': needs the grid-stress stage's solved hour")
        case, inj, row = solved_hour(study, stress, events.hour)
        log.info("events: fault at the stress stage's hour %d, campus trips and frequency", row)
        campus_mw = inj.load_p[0, case.campus_load_index]
        net, res = solve_hour_pandapower(case, inj, 0)
        vm_stress = stress["timeseries"].vm_pu.values[row]
        root.attrs["pre_event_vm_mismatch_pu"] = float(np.nanmax(np.abs(res["vm_pu"] - vm_stress)))
        cascade, _ = fault_cascade(case, net, scenario, campus_mw)
        groups["cascade"] = cascade
        at_hour = None
        if events.hourly is not None:
            inertia = dispatch_inertia(study.network, stress, events.hourly)[row]
            at_hour = {events.systems[hourly_system(events)].label: float(inertia)}
        groups["frequency"] = cascade_frequency(cascade, events, hour_of_year, at_hour)
        groups["post_event"] = post_event_flows(case, inj, 0, cascade.tripped_mw.to_numpy())
    if events.hourly is not None:
        if stress is None:
            raise ScenarioError("field 'events.hourly': needs the grid-stress stage's dispatch")
        groups["hourly"] = hourly_frequency(study, stress, groups.get("cascade"))
    progress("events", 1, 4)
    log.info("events: sweep of sudden load losses and generator trips")
    groups["sweep"], groups["trajectories"] = loss_sweep(events, hour_of_year)
    progress("events", 1, 4)
    if events.oscillation is not None:
        log.info("events: forced-oscillation screening against the ANDES case's modes")
        osc, modes = screen_oscillations(study, system_mw, progress)
        groups["oscillation"] = osc
        groups["modes"] = xr.Dataset.from_dataframe(modes.rename_axis("mode"))
    progress("events", 2, 4)
    # every group but `hourly` (hours of the load year) is a record in seconds after the event
    tree = {"/": root, **{f"/{k}": v if k == "hourly" else _in_seconds(v)
                          for k, v in groups.items() if v is not None}}  # fmt: skip
    return xr.DataTree.from_dict(tree)


def hour_statistic(values: xr.DataArray, counted: xr.DataArray) -> tuple:
    """((hour, value) of the median, (hour, value) of the largest) of an hourly metric over the
    counted hours; the median hour is the counted hour whose value is the lower median."""
    series = values.where(counted.astype(bool), drop=True).to_series().sort_values()
    mid = series.index[(len(series) - 1) // 2]
    return (pd.Timestamp(mid), float(series[mid])), (
        pd.Timestamp(series.index[-1]),
        float(series.iloc[-1]),
    )


def summary_table(tree: xr.DataTree) -> pd.DataFrame:
    """One row per reported quantity of a stored events result: name, value, unit; events that
    leave the range the frequency model holds for are listed with the reason."""

    def group(name):
        return tree[name].to_dataset() if name in tree else None

    cascade, frequency, post = group("cascade"), group("frequency"), group("post_event")
    oscillation, sweep = group("oscillation"), group("sweep")
    rows = [("event hour", tree.attrs["event_time"], "")]
    if cascade is not None:
        rows += [
            ("campus load at the event", float(cascade.load_mw.sum()), "MW"),
            ("tripped to backup", float(cascade.tripped_mw.sum()), "MW"),
            ("campuses tripped", int(np.isfinite(cascade.trip_s).sum()), "-"),
            (
                "first trip",
                float(np.nanmin(cascade.trip_s)) if np.isfinite(cascade.trip_s).any() else np.nan,
                "s",
            ),  # fmt: skip
            ("deepest retained voltage at a campus", float(cascade.vm_fault_pu.min()), "pu"),
        ]
    if frequency is not None:
        for name in frequency.system.values:
            one = frequency.sel(system=name)
            rows += [
                (f"{name}: zenith", float(one.zenith_hz.sel(event="cascade")), "Hz"),
                (f"{name}: settling", float(one.settling_hz.sel(event="cascade")), "Hz"),
                (
                    f"{name}: nadir, block reconnection",
                    float(one.nadir_hz.sel(event="block_reconnection")),
                    "Hz",
                ),  # fmt: skip
            ]
            for event in one.event.values:
                if not bool(one.valid.sel(event=event)):
                    rows.append((f"{name}: {event} outside the model's range", str(one.validity.sel(event=event)), "-"))  # fmt: skip
    if post is not None and post.converged.all():
        dv = post.vm_pu.sel(state="post_event") - post.vm_pu.sel(state="pre_event")
        high = post.vm_pu.sel(state="post_event") > post.max_vm_pu + 1e-9
        at_campus = dv.sel(
            bus=cascade.bus.where(cascade.tripped_mw > 0, drop=True).astype(int).values
        )
        rows += [
            (
                "largest voltage rise at a tripped campus",
                float(at_campus.max()) if at_campus.size else 0.0,
                "pu",
            ),  # fmt: skip
            ("largest voltage rise anywhere", float(dv.max()), "pu"),
            ("at bus", int(post.bus.values[int(np.nanargmax(dv.values))]), "-"),
            ("buses above their limit after the trip", int(high.sum()), "-"),
            (
                "largest branch loading before the trip",
                float(post.loading_percent.sel(state="pre_event").max()),
                "%",
            ),  # fmt: skip
            (
                "largest branch loading after the trip",
                float(post.loading_percent.sel(state="post_event").max()),
                "%",
            ),  # fmt: skip
        ]
    elif post is not None:
        bad = [str(s) for s, ok in zip(post.state.values, post.converged.values, strict=True) if not ok]  # fmt: skip
        rows.append(("post-event power flows not converged", ", ".join(bad), "-"))
    if oscillation is not None and "floor" in oscillation.coords:
        limit = oscillation.attrs["limit_mhz"]
        for floor in oscillation.floor.values:
            one = oscillation.sel(floor=floor)
            rows += [
                (
                    f"floor {floor:g}: swing line",
                    f"{float(one.fundamental_mw):.2f} MW at {float(one.fundamental_hz):.3f} Hz",
                    "-",
                ),  # fmt: skip
                (
                    f"floor {floor:g}: machine speed oscillation at the swing line",
                    float(one.campus_f_gen_mhz),
                    "mHz",
                ),  # fmt: skip
                (
                    f"floor {floor:g}: largest machine speed deviation over the record",
                    float(one.record_f_gen_mhz),
                    "mHz",
                ),  # fmt: skip
                (
                    f"floor {floor:g}: worst over swing frequencies",
                    float(one.sweep_f_gen_mhz.max()),
                    "mHz",
                ),  # fmt: skip
            ]
        safe = [float(f) for f in oscillation.floor.values if float(oscillation.sweep_f_gen_mhz.sel(floor=f).max()) <= limit]  # fmt: skip
        rows.append(("lowest floor below the limit at any swing frequency", min(safe) if safe else "none", "fraction of TDP"))  # fmt: skip
        if "time_domain_v_p2p_pct" in oscillation.attrs:
            a = oscillation.attrs
            rows += [
                (
                    "ANDES time domain: bus voltage swing (peak to peak)",
                    a["time_domain_v_p2p_pct"],
                    "%",
                ),  # fmt: skip
                ("linearised model: the same", a["linear_v_p2p_pct"], "%"),
                ("ANDES time-domain runtime (60 s)", a["time_domain_runtime_s"], "s"),
            ]
    hourly = group("hourly")
    if hourly is not None:
        for kind in hourly.kind.values:
            one = hourly.sel(kind=kind)
            median, worst = hour_statistic(one.zenith_hz, one.converged)
            rows += [
                (f"{kind}: zenith in the median hour ({median[0]:%Y-%m-%d %H:%M})", median[1], "Hz"),
                (f"{kind}: zenith in the worst hour ({worst[0]:%Y-%m-%d %H:%M})", worst[1], "Hz"),
                (f"{kind}: inertia in the worst hour",
                 float(hourly.inertia_mws.sel(time=np.datetime64(worst[0]))) / 1e3, "GW s"),
            ]  # fmt: skip
    if sweep is not None:
        for name in sweep.system.values:
            for kind in sweep.kind.values:
                one = sweep.sel(system=name, kind=kind)
                bad = one.mw.values[~one.valid.values.astype(bool)]
                if len(bad):
                    rows.append((f"{name}: {kind} outside the model's range from", float(bad.min()), "MW"))  # fmt: skip
    return pd.DataFrame(rows, columns=["quantity", "value", "unit"])

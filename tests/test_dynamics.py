"""Aggregated frequency response: closed forms, monotonicity, relays, and the ANDES twin."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import xarray as xr

from gridmodel.dynamics.frequency import metrics, resolve, simulate, system
from gridmodel.networks import load_network


@pytest.fixture(scope="module")
def ercot():
    return system("ercot")


@pytest.fixture(scope="module")
def linear(ercot):
    """The ERCOT preset with no FFR, no load resources and no governor deadband: every response
    is linear below the governor limits."""
    return replace(ercot, ffr_mw=0.0, lr_mw=0.0, governor_deadband_hz=0.0)


def test_initial_rocof_is_the_closed_form(ercot):
    lost = np.array([500.0, 1500.0])
    ds = simulate(replace(ercot, ffr_mw=0.0), -lost, t_end_s=0.02, dt_s=0.001)
    rocof = (ds.f_hz.isel(time=1) - ds.f_hz.isel(time=0)) / 0.001
    # ΔP·f0 / (2 H) with H in MW·s; a load loss makes the frequency rise
    np.testing.assert_allclose(rocof, lost * 60.0 / (2 * ercot.inertia_mws), rtol=1e-9)


def test_events_with_their_own_inertia_and_load_equal_separate_runs(ercot):
    """Per-event inertia and load (the hours' dispatch) give the trajectories of separate runs
    with those parameters; the relay stages scale with the load."""
    lost = -np.array([1200.0, 3000.0])
    inertia, load = np.array([180e3, 320e3]), np.array([40000.0, 70000.0])
    both = simulate(ercot, lost, t_end_s=20.0, inertia_mws=inertia, load_mw=load)
    for e in range(2):
        one = simulate(replace(ercot, inertia_mws=inertia[e], load_mw=load[e]), lost[e : e + 1], t_end_s=20.0)  # fmt: skip
        np.testing.assert_allclose(both.f_hz[e], one.f_hz[0], rtol=0, atol=1e-12)
        np.testing.assert_allclose(both.relay_step_mw[e], one.relay_step_mw[0], rtol=1e-12)


def test_settling_deviation_is_the_closed_form_with_and_without_deadband(ercot, linear):
    lost = np.array([200.0, 1000.0, 2000.0])  # all within the 2,750 MW governor reserve
    d, k = ercot.damping_mw_per_hz, ercot.governor_mw_per_hz
    ds = simulate(linear, -lost, t_end_s=120.0, dt_s=0.01)
    np.testing.assert_allclose(ds.f_hz.isel(time=-1) - 60.0, lost / (d + k), rtol=1e-4)
    # outside the deadband db the governors answer K (Δf - db): Δf = (ΔP + K db) / (D + K)
    db = ercot.governor_deadband_hz
    ds = simulate(replace(ercot, ffr_mw=0.0), -lost, t_end_s=120.0, dt_s=0.01)
    np.testing.assert_allclose(ds.f_hz.isel(time=-1) - 60.0, (lost + k * db) / (d + k), rtol=1e-4)


def test_zenith_and_nadir_grow_with_the_mw_lost(linear):
    mw = np.linspace(100, 4000, 40)
    # without relays: they arrest large excursions in whole stages
    bare = replace(linear, ufls_hz=(), ufls_cumulative_shed=(), oft_hz=(), oft_delay_s=(), oft_cumulative_trip=())  # fmt: skip
    up = metrics(simulate(bare, -mw), {})
    down = metrics(simulate(bare, mw), {})
    assert np.all(np.diff(up.zenith_hz) > 0) and np.all(np.diff(down.nadir_hz) < 0)
    assert np.all(up.zenith_hz > 60.0) and np.all(down.nadir_hz < 60.0)


def test_saturated_governors_settle_on_damping_alone(linear):
    lost = 5000.0  # beyond a 2,750 MW downward reserve
    bare = replace(linear, reserve_down_mw=2750.0, oft_hz=(), oft_delay_s=(), oft_cumulative_trip=())  # fmt: skip
    ds = simulate(bare, [-lost], t_end_s=200.0, dt_s=0.01)
    expected = (lost - bare.reserve_down_mw) / bare.damping_mw_per_hz
    assert float(ds.f_hz[0, -1]) - 60.0 == pytest.approx(expected, rel=1e-4)


def test_ufls_stages_shed_their_steps_and_arrest_the_fall(ercot):
    no_relays = replace(ercot, ufls_hz=(), ufls_cumulative_shed=())
    trip = np.array([9000.0])
    with_ufls = metrics(simulate(ercot, trip), {"59.3": 59.3, "58.9": 58.9})
    without = metrics(simulate(no_relays, trip), {})
    assert float(with_ufls.nadir_hz[0]) > float(without.nadir_hz[0])
    shed = float(with_ufls.ufls_shed_mw[0])
    steps = np.diff([0.0, *ercot.ufls_cumulative_shed]) * ercot.load_mw
    assert shed in set(np.cumsum(steps).round(6))  # whole stages only
    assert float(with_ufls["time_to_59.3_s"][0]) < float(with_ufls["time_to_58.9_s"][0])


def test_load_resources_trip_their_delay_after_the_relay_setting(ercot):
    ds = simulate(ercot, [2750.0, 500.0], t_end_s=20.0, dt_s=0.001)
    m = metrics(ds, {"lr": ercot.lr_trip_hz})
    lr = ds.relay_s.sel(relay=ds.relay[ds.relay_kind == "load_resource"]).to_numpy()[:, 0]
    crossed = float(m.time_to_lr_s[0])
    assert lr[0] == pytest.approx(crossed + ercot.lr_delay_s, abs=0.001 + 1e-9)
    assert float(m.load_resources_tripped_mw[0]) == ercot.lr_mw
    assert np.isnan(lr[1]) and float(m.load_resources_tripped_mw[1]) == 0.0  # never reached
    # once tripped, the 1,400 MW are off the balance: the nadir is above the one without them
    bare = metrics(simulate(replace(ercot, lr_mw=0.0), [2750.0], 20.0, 0.001), {})
    assert float(m.nadir_hz[0]) > float(bare.nadir_hz[0])


def test_over_frequency_trip_acts_once_at_its_set_point(ercot):
    lost = np.array([1000.0, 7500.0])
    ds = simulate(ercot, -lost, t_end_s=20.0)
    m = metrics(ds, {"61.8": 61.8})
    acted = ds.relay_s.sel(relay="OF trip 61.8 Hz").to_numpy()
    assert np.isnan(acted[0]) and float(m.generation_tripped_mw[0]) == 0.0
    # the relay acts on the first step above its set point and trips its whole stage
    assert acted[1] == pytest.approx(float(m["time_to_61.8_s"][1]), abs=0.005 + 1e-9)
    assert float(m.generation_tripped_mw[1]) == pytest.approx(0.02 * ercot.load_mw)
    bare = metrics(simulate(replace(ercot, oft_hz=(), oft_delay_s=(), oft_cumulative_trip=()), -lost[1:]), {})  # fmt: skip
    assert float(m.settling_hz[1]) < float(bare.settling_hz[0])


def test_definite_time_over_frequency_stage_resets_if_the_frequency_returns(linear):
    """A PRC-024-style stage at 60.3 Hz with a 2 s delay: a brief excursion above 60.3 Hz does not
    trip it; one that stays above does, 2 s after it crossed."""
    staged = replace(linear, oft_hz=(60.3,), oft_delay_s=(2.0,), oft_cumulative_trip=(0.01,))
    brief, lasting = 1200.0, 2800.0  # above 60.3 Hz for less than 2 s; settles above it
    ds = simulate(staged, [-brief, -lasting], t_end_s=40.0, dt_s=0.002)
    above = (ds.f_hz > 60.3).to_numpy()
    dt = 0.002
    acted = ds.relay_s.sel(relay="OF trip 60.3 Hz after 2 s").to_numpy()
    assert 0 < above[0].sum() * dt < 2.0 and np.isnan(acted[0])
    first = np.argmax(above[1]) * dt
    assert acted[1] == pytest.approx(first + 2.0, abs=dt + 1e-9)


def test_events_outside_the_valid_range_are_flagged(ercot):
    m = metrics(simulate(ercot, [-500.0, -7500.0, 20000.0], t_end_s=30.0), {})
    assert list(m.valid.values) == [True, False, False]
    assert "61.8 Hz" in str(m.validity[1].values) and "57 Hz" in str(m.validity[2].values)
    assert str(m.validity[0].values) == ""


def _reference_ivp(p, dp_mw: float, t_end: float) -> float:
    """Nadir (Hz) of a step generation loss from the same equations written out for
    scipy's solve_ivp, with the FFR trigger found as an event and the ramp after it."""
    from scipy.integrate import solve_ivp

    f0, h2, d = p.f0_hz, 2.0 * p.inertia_mws, p.damping_mw_per_hz
    k, up, down, db = p.blocks()[0]

    def rhs(t, x, t_trig):
        df, xg, xr = x
        dead = max(abs(df) - db, 0.0) * np.sign(df)
        target = min(max(-k * dead, -down), up)
        pm = p.hp_fraction * xg + (1 - p.hp_fraction) * xr
        ffr = 0.0 if t_trig is None else p.ffr_mw * min(max((t - t_trig) / p.ffr_full_s, 0.0), 1.0)
        return [f0 * (pm + ffr - dp_mw - d * df) / h2, (target - xg) / p.governor_s, (xg - xr) / p.reheat_s]  # fmt: skip

    def trigger(t, x, t_trig):
        return f0 + x[0] - p.ffr_trigger_hz

    trigger.terminal, trigger.direction = True, -1
    opts = {"rtol": 1e-10, "atol": 1e-12, "max_step": 0.01}
    first = solve_ivp(rhs, (0, t_end), [0, 0, 0], args=(None,), events=trigger, **opts)
    t_trig = float(first.t_events[0][0])
    rest = solve_ivp(rhs, (t_trig, t_end), first.y[:, -1], args=(t_trig,), **opts)
    return f0 + min(first.y[0].min(), rest.y[0].min())


def test_nadir_with_ffr_matches_an_independent_solve_ivp(linear):
    params = replace(linear, ffr_mw=600.0, governor_deadband_hz=0.017, ufls_hz=(), ufls_cumulative_shed=())  # fmt: skip
    for lost in (1500.0, 2750.0):
        ours = float(metrics(simulate(params, [lost], t_end_s=20.0), {}).nadir_hz[0])
        assert ours == pytest.approx(_reference_ivp(params, lost, 20.0), abs=1e-3)
    no_ffr = float(metrics(simulate(replace(params, ffr_mw=0.0), [2750.0], 20.0), {}).nadir_hz[0])  # fmt: skip
    assert ours > no_ffr + 0.02  # 600 MW within 0.25 s lift the nadir


def test_a_time_varying_imbalance_equals_the_sum_of_its_steps(linear):
    """Below every relay and governor limit the model is linear: two campuses tripping 5 s apart
    give the sum of the two single-trip responses, shifted."""
    t_end, dt = 30.0, 0.005
    n = int(round(t_end / dt)) + 1
    shift = int(round(5.0 / dt))
    staged = np.zeros((1, n))
    staged[0, :] = -300.0
    staged[0, shift:] -= 500.0
    f = simulate(linear, staged, t_end_s=t_end, dt_s=dt).f_hz.to_numpy()[0] - 60.0
    single = simulate(linear, [-300.0, -500.0], t_end_s=t_end, dt_s=dt).f_hz.to_numpy() - 60.0
    expected = single[0].copy()
    expected[shift:] += single[1, : n - shift]
    np.testing.assert_allclose(f, expected, atol=1e-9)


def test_scenario_settings_override_the_preset_and_hourly_inertia_is_read(tmp_path):
    from gridmodel.schema import FrequencySystem

    csv = tmp_path / "inertia.csv"
    csv.write_text("hour,inertia_gws\n10,210\n11,250\n")
    spec = FrequencySystem(preset="ercot", name="ercot-2022", inertia_csv=csv, ffr_mw=450, lr_mw=0)
    p = resolve(spec, hour=11)
    assert (p.name, p.inertia_mws, p.ffr_mw, p.lr_mw) == ("ercot-2022", 250e3, 450.0, 0.0)
    assert p.load_mw == system("ercot").load_mw  # not set: the preset's
    assert resolve(FrequencySystem(preset="ercot", inertia_gws=180)).inertia_mws == 180e3


def test_aggregated_model_matches_andes_time_domain():
    """The IEEE 14-bus dynamic case in ANDES (GENROU + TGOV1) loses a load; the aggregated model
    with parameters read from the same case agrees on zenith and its time, and on settling."""
    pytest.importorskip("andes")
    from gridmodel.dynamics.andes_twin import load_loss, matched_system

    for load in (1, 5):
        event = load_loss(load, t_end_s=21.0)
        after = event.time_s >= 1.0
        t, f = event.time_s[after] - 1.0, event.f_coi_hz[after]
        agg = simulate(matched_system(event.system), [-event.lost_mw], t_end_s=20.0)
        m = metrics(agg, {})
        zenith = f.max() - 60.0
        assert float(m.zenith_hz[0]) - 60.0 == pytest.approx(zenith, rel=0.05)
        assert float(m.zenith_s[0]) == pytest.approx(t[f.argmax()], abs=0.1)
        assert float(agg.f_hz[0, -1]) - 60.0 == pytest.approx(f[-1] - 60.0, rel=0.05)


# ---------------------------------------------------------------------------------------------
# Fault → trips


def test_retained_voltages_match_pandapower_iec60909():
    """Bus impedance method against pandapower's IEC 60909 short-circuit calculation on case9
    with three external-grid sources, loads and line charging removed (as IEC 60909 neglects
    them): pandapower's voltages carry the voltage factor c = 1.1 and its source impedance is
    c·Un²/S''k, so its S''k is scaled by c to describe the same source."""
    import pandapower as pp
    import pandapower.networks as pn
    import pandapower.shortcircuit as sc

    from gridmodel.dynamics.short_circuit import fault_voltages

    net = pn.case9()
    for g in net.gen.itertuples():
        pp.create_ext_grid(net, g.bus, s_sc_max_mva=500.0, rx_max=0.1)
    net.gen.drop(net.gen.index, inplace=True)
    net.ext_grid["s_sc_max_mva"], net.ext_grid["rx_max"] = 500.0, 0.1
    net.load.drop(net.load.index, inplace=True)
    net.line["c_nf_per_km"] = 0.0
    pp.runpp(net)
    ours = fault_voltages(net, [4, 7], include_loads=False, prefault="flat")
    net.ext_grid["s_sc_max_mva"] *= 1.1
    for fault in (4, 7):
        sc.calc_sc(net, bus=fault, case="max", branch_results=True)
        res = net.res_line_sc
        theirs = np.zeros(len(net.bus))
        theirs[net.line.from_bus] = res.vm_from_pu
        theirs[net.line.to_bus] = res.vm_to_pu
        np.testing.assert_allclose(ours.sel(fault=fault), theirs / 1.1, atol=1e-6)
        assert float(ours.sel(fault=fault, bus=fault)) == pytest.approx(0.0, abs=1e-12)


def test_fault_impedance_and_loaded_prefault_raise_the_retained_voltage():
    import pandapower as pp
    import pandapower.networks as pn

    from gridmodel.dynamics.short_circuit import fault_voltages

    net = pn.case9()
    net.ext_grid["s_sc_max_mva"], net.ext_grid["rx_max"] = 5000.0, 0.1
    pp.runpp(net)
    bolted = fault_voltages(net, [4])
    through = fault_voltages(net, [4], z_fault_ohm=20j)
    assert np.all(through.to_numpy() >= bolted.to_numpy() - 1e-12)
    assert float(through.sel(fault=4, bus=4)) > 0.05
    # far from the fault the voltage stays near its pre-fault value; no bus exceeds it much
    assert np.all(bolted.to_numpy() <= net.res_bus.vm_pu.to_numpy() + 0.05)


def test_cascade_reproduces_the_july_2024_pattern():
    """Six 54 ms dips to 0.3 pu in 82 s: the sag-counting campuses transfer at the third dip and
    stay off; the NOGRR282 campus rides through every dip and is back within its recovery."""
    from gridmodel.dynamics.cascade import site_voltage, trip_cascade
    from gridmodel.schema import DipCounting, FaultResponse

    t = np.arange(0, 100.0, 0.005)
    times = [1.0, 17.4, 33.8, 50.2, 66.6, 83.0]
    vm = site_voltage(t, np.ones(3), np.array([0.3, 0.35, 0.3]), times, 0.054)
    legacy = FaultResponse(dip_counting=DipCounting(threshold_pu=0.7, count=3, window_s=60))
    ds = trip_cascade(t, ["a", "b", "c"], np.array([400.0, 860.0, 240.0]), vm,
                      [legacy, legacy, FaultResponse()])  # fmt: skip
    assert ds.trip_s.sel(campus="a") == pytest.approx(times[2], abs=0.005)
    assert ds.trip_s.sel(campus="b") == pytest.approx(times[2], abs=0.005)
    assert np.isnan(ds.trip_s.sel(campus="c"))
    assert float(ds.tripped_mw.sum()) == pytest.approx(1260.0)
    # energy: grid-side plus backup is the load at every instant
    np.testing.assert_allclose(ds.p_grid_mw + ds.p_backup_mw, ds.load_mw.broadcast_like(ds.p_grid_mw))  # fmt: skip
    end = ds.isel(time=-1)
    assert float(end.load_reduction_mw) == pytest.approx(1260.0)
    assert float(end.p_grid_mw.sel(campus="c")) == pytest.approx(240.0)


# ---------------------------------------------------------------------------------------------
# Forced oscillations


@pytest.fixture(scope="module")
def kundur():
    pytest.importorskip("andes")
    from gridmodel.dynamics.oscillation import linearise, load_case

    case = load_case("kundur", 7)
    modes, jac = linearise(case)
    return case, modes, jac


def test_linearised_response_matches_the_andes_time_domain(kundur):
    """A 20 MW sinusoidal swing at the weakest electromechanical mode, simulated by ANDES, gives
    the machine-speed and voltage amplitudes the linearised descriptor model predicts."""
    from gridmodel.dynamics.oscillation import bus_response, sinusoid_amplitude, time_domain

    case, modes, jac = kundur
    weakest = modes.loc[modes.damping_ratio.idxmin()]
    assert weakest.damping_ratio < 0.05  # Kundur's two-area inter-area mode
    f = float(weakest.frequency_hz)
    dt = 0.02
    t = np.arange(0, 36.0, dt)
    td = time_domain("kundur", 7, 20.0 * np.sin(2 * np.pi * f * t), dt, step_s=dt)
    lin = bus_response(case, jac, [f])
    tail = td.time.to_numpy() > 18.0
    tt = td.time.to_numpy()[tail]
    v = sinusoid_amplitude(tt, td.v_bus_pu.to_numpy()[tail], f)
    assert v == pytest.approx(20.0 * abs(complex(lin.v_bus_pu_per_mw[0])), rel=0.03)
    for g in td.gen.values:
        speed = sinusoid_amplitude(tt, td.f_gen_hz.sel(gen=g).to_numpy()[tail], f)
        assert speed == pytest.approx(20.0 * abs(complex(lin.f_gen_hz_per_mw.sel(gen=g)[0])), rel=0.03)  # fmt: skip


def test_the_voltage_response_peaks_at_the_inter_area_mode(kundur):
    from gridmodel.dynamics.oscillation import bus_response

    case, modes, jac = kundur
    weakest = float(modes.frequency_hz[modes.damping_ratio.idxmin()])
    f = np.linspace(0.4, 0.95, 221)
    v = np.abs(bus_response(case, jac, f).v_bus_pu_per_mw.to_numpy())
    assert f[int(np.argmax(v))] == pytest.approx(weakest, rel=0.05)
    assert v.max() > 1.5 * max(v[0], v[-1])


# ---------------------------------------------------------------------------------------------
# The command


def test_events_command_end_to_end(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from gridmodel.cli import app

    data = {
        "name": "events-test",
        "network": "illinois200",
        "period": {"start_hour": 4000, "hours": 48},
        "campuses": [
            {
                "name": "legacy",
                "site": "bartonville-230",
                "mw": 300,
                "fault_response": {
                    "dip_counting": {"threshold_pu": 0.7, "count": 3, "window_s": 60}
                },
            },
            {"name": "compliant", "site": "springfield-230", "mw": 200},
        ],  # fmt: skip
        "study": {"contingencies": None, "hosting_capacity": None},
        "events": {
            "systems": [
                "ercot",
                {"preset": "eastern", "name": "eastern-db0", "governor_deadband_hz": 0},
            ],
            "fault": {"site": "bartonville-230"},
            "window_s": 100,
            "oscillation": None,
            "lost_mw": [100, 300, 1000],
            "trajectories_mw": [300],
            "hourly": {"system": "ercot"},
        },  # fmt: skip
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["events", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.rglob("*") if p.is_file()}
    for stem in ("frequency_trajectories", "frequency_extreme_vs_mw", "fault_cascade"):
        assert {f"{stem}.png", f"{stem}.svg"} <= names
    cascade = xr.open_dataset(out / "events" / "events.nc", group="cascade")
    assert float(cascade.vm_fault_pu.sel(campus="legacy")) == pytest.approx(0.0, abs=1e-9)
    assert float(cascade.tripped_mw.sel(campus="legacy")) == pytest.approx(300.0)
    assert np.isnan(float(cascade.trip_s.sel(campus="compliant")))
    freq = xr.open_dataset(out / "events" / "events.nc", group="frequency")
    # the step left after the trip settles where the closed form says
    ercot = system("ercot")
    k = ercot.governor_mw_per_hz  # outside the deadband: Δf = (ΔP + K db) / (D + K)
    settle = (300.0 + k * ercot.governor_deadband_hz) / (ercot.damping_mw_per_hz + k)
    f_end = float(freq.f_hz.sel(system="ercot", event="cascade").isel(time_s=-1))
    assert f_end - 60.0 == pytest.approx(settle, rel=0.02)
    # a system set in the scenario: the Eastern preset without its deadband settles on ΔP/(D + K)
    eastern = system("eastern")
    settle = 300.0 / (eastern.damping_mw_per_hz + eastern.governor_mw_per_hz)
    f_end = float(freq.f_hz.sel(system="eastern-db0", event="cascade").isel(time_s=-1))
    assert f_end - 60.0 == pytest.approx(settle, rel=0.02)
    # every hour, with the inertia of the units the stress dispatch committed: Σ H_fuel x S
    hourly = xr.open_dataset(out / "events" / "events.nc", group="hourly")
    stress = xr.open_dataset(out / "stress" / "results.nc", group="timeseries")
    network = load_network("illinois200")
    units = network.units[network.units.element == "gen"]
    h = units.fuel.map({"coal": 4.25, "ng": 4.25, "nuclear": 7.0, "hydro": 3.0}).fillna(0.0)
    mva = network.net.gen.sn_mva.fillna(network.net.gen.max_p_mw).to_numpy()
    by_hand = stress.gen_committed.to_numpy().astype(float) @ (h.to_numpy() * mva)
    np.testing.assert_allclose(hourly.inertia_mws, np.maximum(by_hand, 130e3), rtol=1e-12)
    # the first 100 ms rise at each hour's inertia: ΔP f0 / (2 H) (governors inside the deadband)
    loss = hourly.sel(kind="campus_loss")
    expected = loss.lost_mw * 60.0 / (2 * hourly.inertia_mws)
    np.testing.assert_allclose(loss.rocof_hz_per_s, expected, rtol=0.02)
    # the fault's trips (300 of the 500 MW at the event hour) as a share of each hour's campus
    fault = hourly.sel(kind="fault")
    np.testing.assert_allclose(fault.lost_mw, 0.6 * loss.lost_mw, rtol=1e-9)
    post = xr.open_dataset(out / "events" / "events.nc", group="post_event")
    assert bool(post.converged.all())
    # the full reconnection is the pre-event state: the 75 % step lies between the two
    site = int(cascade.bus.sel(campus="legacy"))
    vm = post.vm_pu.sel(bus=site)
    assert float(vm.sel(state="post_event")) > float(vm.sel(state="reconnected_75pct")) > float(vm.sel(state="pre_event"))  # fmt: skip

    data["events"]["systems"] = ["ercot", "atlantis"]
    path.write_text(yaml.safe_dump(data))
    bad = CliRunner().invoke(app, ["events", str(path), "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "events.systems" in bad.output and "atlantis" in bad.output
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize(
    ("system", "field"),
    [
        ({"preset": "ercot", "inertia_gws": -130}, "events.systems.0.inertia_gws"),
        ({"preset": "ercot", "ffr_trigger_hz": 60.2}, "events.systems.0.ffr_trigger_hz"),
        ({"preset": "atlantis"}, "events.systems.0.preset"),
    ],
)
def test_bad_frequency_settings_fail_through_the_cli_naming_the_field(tmp_path, system, field):
    import yaml
    from typer.testing import CliRunner

    from gridmodel.cli import app

    data = {"name": "bad", "network": "illinois200", "events": {"systems": [system]}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(app, ["events", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and field in result.output, result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()

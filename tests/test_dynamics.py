"""Aggregated frequency response: closed forms, monotonicity, relays, and the ANDES twin."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gridmodel.dynamics.frequency import metrics, simulate, system


@pytest.fixture(scope="module")
def ercot():
    return system("ercot")


def test_initial_rocof_is_the_closed_form(ercot):
    lost = np.array([500.0, 1500.0])
    ds = simulate(ercot, -lost, t_end_s=0.02, dt_s=0.001)
    rocof = (ds.f_hz.isel(time=1) - ds.f_hz.isel(time=0)) / 0.001
    # ΔP·f0 / (2 H) with H in MW·s; a load loss makes the frequency rise
    np.testing.assert_allclose(rocof, lost * 60.0 / (2 * ercot.inertia_mws), rtol=1e-9)


def test_settling_deviation_is_the_closed_form(ercot):
    lost = np.array([200.0, 1000.0, 2000.0])  # all within the 2,750 MW governor reserve
    ds = simulate(ercot, -lost, t_end_s=120.0, dt_s=0.01)
    d, k = ercot.damping_mw_per_hz, ercot.governor_mw_per_hz
    np.testing.assert_allclose(ds.f_hz.isel(time=-1) - 60.0, lost / (d + k), rtol=1e-4)


def test_zenith_and_nadir_grow_with_the_mw_lost(ercot):
    mw = np.linspace(100, 4000, 40)
    up = metrics(simulate(ercot, -mw), {})
    # without relays: under-frequency load shedding arrests large falls in whole stages
    down = metrics(simulate(replace(ercot, ufls_hz=(), ufls_cumulative_shed=()), mw), {})
    assert np.all(np.diff(up.zenith_hz) > 0) and np.all(np.diff(down.nadir_hz) < 0)
    assert np.all(up.zenith_hz > 60.0) and np.all(down.nadir_hz < 60.0)


def test_saturated_governors_settle_on_damping_alone(ercot):
    lost = 5000.0  # beyond the 2,750 MW downward reserve
    ds = simulate(ercot, [-lost], t_end_s=200.0, dt_s=0.01)
    expected = (lost - ercot.reserve_down_mw) / ercot.damping_mw_per_hz
    assert float(ds.f_hz[0, -1]) - 60.0 == pytest.approx(expected, rel=1e-4)


def test_ufls_stages_shed_their_steps_and_arrest_the_fall(ercot):
    no_relays = replace(ercot, ufls_hz=(), ufls_cumulative_shed=())
    trip = np.array([6000.0])
    with_ufls = metrics(simulate(ercot, trip), {"59.3": 59.3, "58.9": 58.9})
    without = metrics(simulate(no_relays, trip), {})
    assert float(with_ufls.nadir_hz[0]) > float(without.nadir_hz[0])
    shed = float(with_ufls.ufls_shed_mw[0])
    steps = np.diff([0.0, *ercot.ufls_cumulative_shed]) * ercot.load_mw
    assert shed in set(np.cumsum(steps).round(6))  # whole stages only
    assert float(with_ufls["time_to_59.3_s"][0]) < float(with_ufls["time_to_58.9_s"][0])


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

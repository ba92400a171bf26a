"""Curtailment-enabled headroom (Norris et al. 2025): closed forms, the shaped variant, bad
input, the command line, and the published ERCOT and PJM figures."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.headroom.balancing import (
    annual_shape,
    balancing_headroom,
    curtailment,
    seasonal_thresholds,
)
from gridmodel.schema import ScenarioError, Seasons, parse_scenario

HOURS_2023 = pd.date_range("2023-01-01", "2024-01-01", freq="h", inclusive="left")
SUMMER_CAPPED = np.isin(HOURS_2023.month, [4, 5, 6, 7, 8, 9, 10])


def demand_array(mw: np.ndarray, hours: pd.DatetimeIndex = HOURS_2023) -> xr.DataArray:
    return xr.DataArray(mw, dims="time", coords={
        "time": hours.to_numpy(), "year": ("time", hours.year), "month": ("time", hours.month)
    })  # fmt: skip


def test_thresholds_are_the_season_peaks_over_all_years():
    hours = pd.date_range("2021-01-01", "2023-01-01", freq="h", inclusive="left")
    mw = np.full(len(hours), 50_000.0)
    mw[hours.get_loc(pd.Timestamp("2021-07-20 17:00"))] = 80_000  # summer peak, year 1
    mw[hours.get_loc(pd.Timestamp("2022-01-10 08:00"))] = 70_000  # winter peak, year 2
    mw[hours.get_loc(pd.Timestamp("2022-09-05 17:00"))] = 90_000  # September sets no peak
    ds = seasonal_thresholds(demand_array(mw, hours), Seasons())
    assert ds.season_peak_mw.sel(season="summer") == 80_000
    assert ds.season_peak_mw.sel(season="winter") == 70_000
    summer = np.isin(hours.month, [4, 5, 6, 7, 8, 9, 10])
    np.testing.assert_array_equal(ds.threshold_mw.values, np.where(summer, 80_000, 70_000))


def ladder_demand(delta: float = 10.0, seed: int = 0) -> np.ndarray:
    """Demand whose distance below its season's threshold is a ladder 0, δ, 2δ, ... in each
    threshold season, in random order, the top rung in July and in January."""
    rng = np.random.default_rng(seed)
    mw = np.empty(len(HOURS_2023))
    for capped, theta, peak in ((True, 80_000.0, "2023-07-15 17:00"),
                                (False, 70_000.0, "2023-01-15 08:00")):  # fmt: skip
        where = np.flatnonzero(SUMMER_CAPPED == capped)
        rung = rng.permutation(len(where))
        top = where.tolist().index(HOURS_2023.get_loc(pd.Timestamp(peak)))
        rung[[top, int(np.argmin(rung))]] = rung[[int(np.argmin(rung)), top]]
        mw[where] = theta - delta * rung
    return mw


def ladder_headroom(rate: float, hours: int, delta: float) -> float:
    """Closed form for two ladders of breakpoints 0, δ, 2δ, ...: with k rungs of each below L,
    Σc = 2(kL - δk(k-1)/2), so rate·H·L = 2kL - δk(k-1) and L = δk(k-1) / (2k - rate·H),
    valid for the k that puts L in ((k-1)δ, kδ]."""
    for k in range(1, hours):
        load = delta * k * (k - 1) / (2 * k - rate * hours) if 2 * k > rate * hours else np.inf
        if (k - 1) * delta < load <= k * delta:
            return load
    raise AssertionError("no bracket")


@pytest.mark.parametrize("rate_percent", [0.25, 0.5, 1.0, 5.0])
def test_headroom_matches_the_closed_form_of_a_linear_duration_curve(rate_percent):
    ds = balancing_headroom(demand_array(ladder_demand()), [rate_percent])
    expected = ladder_headroom(rate_percent / 100, len(HOURS_2023), 10.0)
    assert float(ds.headroom_mw[0]) == pytest.approx(expected, rel=1e-12)
    assert float(ds.curtailment_rate_percent[0, 0]) == pytest.approx(rate_percent, rel=1e-12)
    # the hours curtailed are the rungs below L in both seasons
    assert int(ds.curtailed_hours[0, 0]) == 2 * int(np.ceil(expected / 10.0 - 1e-6))


def block_demand() -> np.ndarray:
    """50 GW all year; five July afternoons at 60 GW for 3 h; one January hour at 55 GW."""
    mw = np.full(len(HOURS_2023), 50_000.0)
    for day in (3, 10, 17, 24, 31):
        start = HOURS_2023.get_loc(pd.Timestamp(f"2023-07-{day:02d} 15:00"))
        mw[start : start + 3] = 60_000.0
    mw[HOURS_2023.get_loc(pd.Timestamp("2023-01-20 08:00"))] = 55_000.0
    return mw


def test_events_durations_and_served_share_by_hand():
    """Thresholds 60 GW (Apr-Oct) and 55 GW (Nov-Mar). At 0.25 %, L sits just above 5 GW: the
    16 peak hours lose all of L, every other winter hour loses L - 5 GW, summer base hours
    nothing. rate·H·L = 16L + n(L - 5000) with n the other winter hours, so
    L = 5000 n / (n + 16 - rate·H)."""
    ds = balancing_headroom(demand_array(block_demand()), [0.25])
    winter = int((~SUMMER_CAPPED).sum())
    n = winter - 1
    load = 5000 * n / (n + 16 - 0.0025 * 8760)
    assert float(ds.headroom_mw[0]) == pytest.approx(load, rel=1e-12)
    # events: five 3-h July blocks, and January-March and November-December in one run each
    assert int(ds.events[0, 0]) == 7
    assert int(ds.curtailed_hours[0, 0]) == 15 + winter
    assert float(ds.mean_event_hours[0]) == pytest.approx((15 + winter) / 7)
    assert int(ds.event_count.sel(rate=0.25, duration_h=3)) == 5
    # served: only the winter base hours still get more than half of L
    assert float(ds.served_share_percent[0]) == pytest.approx(100 * n / (15 + winter))
    hourly = curtailment(demand_array(block_demand()), seasonal_thresholds(
        demand_array(block_demand()), Seasons()).threshold_mw, load)  # fmt: skip
    assert float(hourly.sum()) == pytest.approx(0.0025 * 8760 * load, rel=1e-9)


def test_shaped_new_load_by_hand():
    """The same demand with a new load at full size in winter (Nov-Mar) and half in summer:
    c = s·(L - b/s)⁺ with b/s = 20 GW in summer base hours, so for L in (5, 20) GW
    Σc = 7.5L (the summer blocks, half load) + L (the January hour) + n(L - 5000) and
    E = 0.5·(summer hours) + (winter hours): L = 5000 n / (n + 8.5 - rate·E)."""
    shape = np.where(SUMMER_CAPPED, 0.5, 1.0) * 300.0  # any scale: normalised to its maximum
    ds = balancing_headroom(demand_array(block_demand()), [1.0], shape=shape)
    n = int((~SUMMER_CAPPED).sum()) - 1
    energy = 0.5 * SUMMER_CAPPED.sum() + (~SUMMER_CAPPED).sum()
    load = 5000 * n / (n + 8.5 - 0.01 * energy)
    assert float(ds.headroom_mw[0]) == pytest.approx(load, rel=1e-12)
    flat = balancing_headroom(demand_array(block_demand()), [1.0], shape=np.ones(8760))
    assert float(flat.headroom_mw[0]) == pytest.approx(
        float(balancing_headroom(demand_array(block_demand()), [1.0]).headroom_mw[0]), rel=1e-12
    )


def test_one_year_shape_is_laid_on_every_year():
    hours = pd.date_range("2023-01-01", "2025-01-01", freq="h", inclusive="left")
    shape = np.arange(8760.0)
    out = annual_shape(shape, demand_array(np.zeros(len(hours)), hours))
    np.testing.assert_array_equal(out[:8760], shape)
    np.testing.assert_array_equal(out[8760 : 8760 + 8760], shape)  # 2024 starts over
    np.testing.assert_array_equal(out[-24:], shape[-24:])  # its extra day repeats the last


def test_rate_outside_zero_to_hundred_is_refused():
    with pytest.raises(ValueError, match=r"\(0, 100\)"):
        balancing_headroom(demand_array(block_demand()), [0.5, 100.0])


# --------------------------------------------------------------------------------------------
# Scenario and command line


def headroom_scenario(tmp_path, **headroom) -> dict:
    hours = pd.date_range("2022-01-01 00:00", "2024-01-01 06:00", freq="h")
    rng = np.random.default_rng(3)
    mw = 45_000 + 9_000 * np.abs(np.cos(2 * np.pi * (hours.dayofyear - 200) / 365))
    mw = mw + 6_000 * np.sin(2 * np.pi * (hours.hour - 12) / 24) + rng.normal(0, 300, len(hours))
    pd.DataFrame({"date_time": hours.strftime("%Y-%m-%d %H:%M:%S"),
                  "demand (MW)": np.round(mw).astype(int)}).to_csv(tmp_path / "ba.csv", index=False)  # fmt: skip
    spec = {"demand": {"files": ["ba.csv"]}, "years": [2022, 2023]}
    spec.update(headroom)
    return {"name": "test-headroom", "network": "texas2000", "headroom": spec}


def run_headroom(scenario) -> xr.Dataset:
    """The headroom stage of ``scenario``, its ``headroom`` group."""
    from gridmodel.headroom.run import headroom
    from gridmodel.inputs import build_inputs

    return headroom(build_inputs(scenario))["headroom"].to_dataset()


def _write(tmp_path, data) -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_headroom_command_writes_tables_and_figures(tmp_path):
    data = headroom_scenario(tmp_path, shape={"path": "shape.csv"})
    pd.DataFrame({"p_mw": np.ones(8760)}).to_csv(tmp_path / "shape.csv", index=False)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["headroom", _write(tmp_path, data), "--out", str(out)])
    assert res.exit_code == 0, res.output
    out = out / "headroom"
    table = pd.read_csv(out / "headroom.csv", comment="#")
    assert table.rate_percent.tolist() == [0.25, 0.5, 1.0, 5.0]
    assert (np.diff(table.headroom_mw) > 0).all()
    by_year = pd.read_csv(out / "headroom_by_year.csv", comment="#")
    mean = by_year.groupby("rate_percent").curtailment_rate_percent.mean()
    np.testing.assert_allclose(mean.to_numpy(), [0.25, 0.5, 1.0, 5.0], rtol=1e-9)
    tree = xr.open_datatree(out / "headroom.nc", engine="h5netcdf")
    assert tree["demand"].sizes["time"] == 8760 * 2 and tree.attrs["stage"] == "headroom"
    tree.close()
    for stem in ("headroom_against_rate", "curtailment_event_durations"):
        for ext in ("png", "svg", "pdf"):
            assert (out / "figures" / f"{stem}.{ext}").exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"rates_percent": [0.5, 120]}, r"headroom\.rates_percent.*between 0 and 100"),
        ({"rates_percent": [0.0]}, r"headroom\.rates_percent.*between 0 and 100"),
        ({"years": [2015, 2023]}, r"headroom\.years.*ba\.csv.*year 2015 has 0 of its"),
        ({"demand": {"files": ["nothere.csv"]}}, r"headroom\.demand.*nothere\.csv not found"),
        (
            {"demand": {"files": ["bad.csv"]}},
            r"headroom\.demand.*bad\.csv.*columns \['time', 'mw'\]",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_file_or_field(tmp_path, change, expected):
    pd.DataFrame({"time": ["2022-01-01 00:00"], "mw": [1.0]}).to_csv(
        tmp_path / "bad.csv", index=False
    )
    data = headroom_scenario(tmp_path, **change)
    res = CliRunner().invoke(
        app, ["headroom", _write(tmp_path, data), "--out", str(tmp_path / "o")]
    )
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    squashed = "".join(res.output.split())  # the console wraps long paths anywhere
    assert re.search(expected.replace(" ", ""), squashed), res.output


def test_bundled_scenarios_point_at_missing_data_with_exit_2(tmp_path):
    res = CliRunner().invoke(
        app, ["headroom", "ercot-headroom", "--out", str(tmp_path), "--data-dir", str(tmp_path)]
    )
    assert res.exit_code == 2 and "ERCO_2016_2019.csvnotfound" in "".join(res.output.split())


def test_constant_campus_shape_is_the_flat_load(tmp_path):
    flat = parse_scenario(headroom_scenario(tmp_path), base_dir=tmp_path)
    data = headroom_scenario(tmp_path, shape={"campus": "c"})
    data["campuses"] = [{"name": "c", "site": "roscoe-500", "mw": 500}]
    shaped = parse_scenario(data, base_dir=tmp_path)
    np.testing.assert_allclose(run_headroom(shaped).headroom_mw, run_headroom(flat).headroom_mw)


def test_shape_campus_must_exist():
    with pytest.raises(ScenarioError, match=r"headroom\.shape\.campus.*'nowhere'"):
        parse_scenario({"name": "x", "network": "texas2000", "headroom": {
            "demand": {"files": ["a.csv"]}, "shape": {"campus": "nowhere"}}})  # fmt: skip

"""Measured demand: EIA-930 files, the screening and filling rules, local time, and driving a
network's area loads with it."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridmodel.data import screening
from gridmodel.data.eia930 import (
    DemandDataError,
    DemandYearsError,
    measured_demand,
    read_demand_file,
)
from gridmodel.datasets import data_file
from gridmodel.inputs import area_loads_mw, load_year, study_hours
from gridmodel.powerflow.case import background_loads
from gridmodel.schema import DemandSeries, MeasuredSource, ScenarioError, parse_scenario

ZONES = {
    "Far West": "ERCO-FWES",
    "North": "ERCO-NRTH",
    "West": "ERCO-WEST",
    "South": "ERCO-SOUT",
    "North Central": "ERCO-NCEN",
    "South Central": "ERCO-SCEN",
    "Coast": "ERCO-COAS",
    "East": "ERCO-EAST",
}


def synthetic_mw(hours: pd.DatetimeIndex, seed: int = 0) -> np.ndarray:
    """A smooth daily and seasonal demand (MW) with a little noise."""
    rng = np.random.default_rng(seed)
    day = 2 * np.pi * (hours.hour - 6) / 24
    season = np.cos(2 * np.pi * (hours.dayofyear - 200) / 365)
    mw = 40_000 + 8_000 * season + 5_000 * np.sin(day) + rng.normal(0, 150, len(hours))
    return np.round(np.asarray(mw, dtype=float))


# --------------------------------------------------------------------------------------------
# Cleaning rules on a raw file with injected gaps and spikes

RAW_HOURS = pd.date_range("2023-01-01 00:00", "2024-01-01 06:00", freq="h")  # UTC hour ending


def _injected_raw_file(tmp_path: Path) -> tuple[Path, dict, pd.Series]:
    """A raw EIA-930 file of 2023 (Chicago) with known defects; returns the path, the expected
    category of each defective hour, and the clean values before the defects."""
    clean = pd.Series(synthetic_mw(RAW_HOURS), index=RAW_HOURS)
    text = clean.astype(int).astype(str)
    t = RAW_HOURS
    expect = {
        t[1000]: "MISSING",  # 'MISSING'
        t[1001]: "MISSING",  # 'EMPTY': a two-hour gap, filled linearly
        t[2000]: "GLOBAL_DEM",  # absurd spike
        t[1999]: "GLOBAL_DEM_PLUS_MINUS",
        t[2001]: "GLOBAL_DEM_PLUS_MINUS",
        t[3000]: "NEG_OR_ZERO",
        t[3500]: "NEG_OR_ZERO",
        t[4002]: "IDENTICAL_RUN",  # third of three equal values
        t[5000]: "LOCAL_DEM_UP",  # erroneous peak, +60 %
        t[6000]: "LOCAL_DEM_DOWN",  # reporting dip, -60 %
    }
    text[t[1000]] = "MISSING"
    text[t[1001]] = "EMPTY"
    text[t[2000]] = "2147480000"
    text[t[3000]] = "0"
    text[t[3500]] = "-1200"
    text[t[4001]] = text[t[4000]]
    text[t[4002]] = text[t[4000]]
    text[t[5000]] = str(int(clean[t[5000]] * 1.6))
    text[t[6000]] = str(int(clean[t[6000]] * 0.4))
    gap = t[7000:7030]  # 30 hours with no rows at all
    for hour in gap:
        expect[hour] = "MISSING"
    path = tmp_path / "raw.csv"
    frame = pd.DataFrame({"date_time": t.strftime("%Y-%m-%d %H:%M:%S"), "demand (MW)": text})
    frame[~t.isin(gap)].to_csv(path, index=False, lineterminator="\r\n")
    return path, expect, clean


def test_screening_lists_every_injected_defect_and_changes_nothing_else(tmp_path):
    path, expect, clean = _injected_raw_file(tmp_path)
    source = MeasuredSource(data_dir=tmp_path, time_zone="America/Chicago")
    result = measured_demand(DemandSeries(files=["raw.csv"], cleaning="screen"), source, [2023])
    changes = result.changes.set_index(pd.DatetimeIndex(result.changes.date_time))
    assert dict(changes.category) == {k: expect[k] for k in sorted(expect)}
    assert len(result.p_mw) == 8760 and result.p_mw.notna().all()
    # every hour the file reported and the rules kept is passed through as reported
    reported = pd.read_csv(path, index_col="date_time", parse_dates=True)["demand (MW)"]
    utc_end = result.p_mw.index.tz_convert("UTC").tz_localize(None) + pd.Timedelta(hours=1)
    kept = ~utc_end.isin(changes.index)
    assert kept.sum() == 8760 - len(changes)
    np.testing.assert_array_equal(
        result.p_mw[kept].to_numpy(), reported[utc_end[kept]].astype(float).to_numpy()
    )
    # raw text is kept for every changed hour; rows the file lacks are marked 'absent'
    assert changes.loc[RAW_HOURS[1001], "raw"] == "EMPTY"
    assert (changes.loc[RAW_HOURS[7000:7030], "raw"] == "absent").all()


def test_fill_rules_by_hand(tmp_path):
    path, _, clean = _injected_raw_file(tmp_path)
    result = measured_demand(
        DemandSeries(files=[path]), MeasuredSource(time_zone="America/Chicago"), [2023]
    )
    c = result.changes.set_index(pd.DatetimeIndex(result.changes.date_time))
    t = RAW_HOURS
    # two-hour gap: straight line between the good hours on either side
    step = (clean[t[1002]] - clean[t[999]]) / 3
    assert c.loc[t[1000], "fill"] == "linear"
    assert c.loc[t[1000], "cleaned_mw"] == pytest.approx(clean[t[999]] + step)
    assert c.loc[t[1001], "cleaned_mw"] == pytest.approx(clean[t[999]] + 2 * step)
    # 30-hour gap: the same hour on the nearest good days before and after
    first = t[7000]
    assert c.loc[first, "fill"] == "same_hour_neighbouring_days"
    day = pd.Timedelta(hours=24)
    assert c.loc[first, "cleaned_mw"] == pytest.approx(
        (clean[first - day] + clean[first + 2 * day]) / 2
    )
    # the absurd spike and its neighbours are replaced by values of the same order as the day's
    assert c.loc[t[2000], "cleaned_mw"] == pytest.approx(clean[t[2000]], rel=0.1)


def test_user_rejected_hour_is_listed_and_filled(tmp_path):
    path, _, clean = _injected_raw_file(tmp_path)
    hour = RAW_HOURS[3200]
    series = DemandSeries(files=[path], reject_hours=[hour.to_pydatetime()])
    result = measured_demand(series, MeasuredSource(time_zone="America/Chicago"), [2023])
    row = result.changes[pd.DatetimeIndex(result.changes.date_time) == hour]
    assert row.category.tolist() == ["USER"] and row.raw_mw.iloc[0] == clean[hour]


def test_local_hour_beginning_across_both_dst_changes(tmp_path):
    path, _, clean = _injected_raw_file(tmp_path)
    result = measured_demand(
        DemandSeries(files=[path]), MeasuredSource(time_zone="America/Chicago"), [2023]
    )
    p = result.p_mw
    assert str(p.index[0]) == "2023-01-01 00:00:00-06:00"  # the hour ending 07:00 UTC
    assert p.iloc[0] == clean[pd.Timestamp("2023-01-01 07:00")]
    # spring forward: 01:00 CST is followed by 03:00 CDT, both one hour apart
    march = p["2023-03-12 00:00":"2023-03-12 04:00"]
    assert [str(x.time()) for x in march.index] == ["00:00:00", "01:00:00", "03:00:00", "04:00:00"]
    assert march.iloc[2] == clean[pd.Timestamp("2023-03-12 09:00")]
    # fall back: 01:00 occurs twice (CDT then CST) with the two UTC hours' values
    nov = p[p.index.strftime("%m-%d %H") == "11-05 01"]
    assert len(nov) == 2
    assert nov.to_numpy().tolist() == [
        clean[pd.Timestamp("2023-11-05 07:00")],
        clean[pd.Timestamp("2023-11-05 08:00")],
    ]
    assert len(p) == 8760


def test_published_file_changes_are_listed_with_their_flags(tmp_path):
    hours = pd.date_range("2022-01-01 00:00", "2023-01-01 06:00", freq="h")
    raw = synthetic_mw(hours, seed=1)
    cleaned = raw.copy()
    category = np.full(len(hours), "OKAY", dtype=object)
    cleaned[100], category[100] = raw[99], "DELTA"
    raw_text = raw.astype(int).astype(str).astype(object)
    raw_text[200], category[200] = "", "MISSING"
    pd.DataFrame({
        "date_time": hours.strftime("%Y-%m-%d %H:%M:%S"), "raw demand (MW)": raw_text,
        "category": category, "cleaned demand (MW)": cleaned,
    }).to_csv(tmp_path / "zone.csv", index=False)  # fmt: skip
    result = measured_demand(
        DemandSeries(files=["zone.csv"], cleaning="published"),
        MeasuredSource(data_dir=tmp_path, time_zone="America/New_York"),
    )
    assert result.changes.category.tolist() == ["DELTA", "MISSING"]
    assert result.changes.cleaned_mw.tolist() == [raw[99], cleaned[200]]
    assert result.p_mw.index.year.unique().tolist() == [2022]


# --------------------------------------------------------------------------------------------
# Bad files and requests


def test_wrong_columns_name_the_file(tmp_path):
    path = tmp_path / "load.csv"
    pd.DataFrame({"time": ["2020-01-01 00:00"], "load_mw": [1.0]}).to_csv(path, index=False)
    with pytest.raises(DemandDataError, match=r"load\.csv.*'date_time'.*'demand \(MW\)'"):
        read_demand_file(path)


def test_years_without_data_name_the_files_and_the_years(tmp_path):
    path, _, _ = _injected_raw_file(tmp_path)
    with pytest.raises(
        DemandYearsError, match=r"raw\.csv.*year 2019 has 0 of its 8760 hours.*2023"
    ):
        measured_demand(DemandSeries(files=[path]), MeasuredSource(), [2019, 2023])


def test_overlapping_files_are_refused(tmp_path):
    path, _, _ = _injected_raw_file(tmp_path)
    with pytest.raises(DemandDataError, match="overlap"):
        measured_demand(DemandSeries(files=[path, path]), MeasuredSource(), [2023])


def test_published_cleaning_of_a_raw_file_is_refused(tmp_path):
    path, _, _ = _injected_raw_file(tmp_path)
    with pytest.raises(DemandDataError, match="cleaning: published.*cleaned demand"):
        measured_demand(DemandSeries(files=[path], cleaning="published"), MeasuredSource())


# --------------------------------------------------------------------------------------------
# Driving a network with measured demand


def _measured_scenario(default_data, growth: dict, **changes):
    data = copy.deepcopy(default_data)
    data["load_growth"] = growth
    data["study"] = {"contingencies": None, "hosting_capacity": None}
    data.update(changes)
    return parse_scenario(data)


def test_measured_total_drives_the_network_and_the_year_follows(tmp_path, default_data, texas):
    """A user's raw file as the system total: every hour's area loads add up to the cleaned
    series times `factor`, and the study's load year becomes 2023 (8,760 h, not the case's
    8,784 h of 2016)."""
    path, _, _ = _injected_raw_file(tmp_path)
    growth = {"kind": "measured", "factor": 1.1, "measured": {
        "data_dir": str(tmp_path), "year": 2023, "total": {"files": ["raw.csv"]}}}  # fmt: skip
    scenario = _measured_scenario(default_data, growth, period={"start_hour": 0})
    table = area_loads_mw(texas, scenario.load_growth)
    cleaned = measured_demand(
        DemandSeries(files=[path]), MeasuredSource(time_zone="America/Chicago"), [2023]
    ).p_mw.to_numpy()
    np.testing.assert_allclose(table.sum(axis=1), 1.1 * cleaned, rtol=1e-12)
    assert (
        load_year(texas, scenario) == 2023
        and len(study_hours(len(area_loads_mw(texas, scenario.load_growth)), scenario, "texas2000"))
        == 8760
    )
    hours = np.array([0, 5000])
    load_p, _ = background_loads(texas, table.iloc[hours])
    np.testing.assert_allclose(load_p.sum(axis=1), 1.1 * cleaned[hours], rtol=1e-9)
    shares = (
        texas.region_loads.iloc[hours]
        / texas.region_loads.iloc[hours].sum(axis=1).to_numpy()[:, None]
    )
    np.testing.assert_allclose(
        table.iloc[hours] / table.iloc[hours].sum(axis=1).to_numpy()[:, None], shares
    )


def test_measured_area_map_must_cover_every_area(tmp_path, default_data, texas):
    growth = {"kind": "measured", "measured": {
        "data_dir": str(tmp_path), "year": 2023, "areas": {"West": "x.csv", "Panhandle": "y.csv"}}}  # fmt: skip
    scenario = _measured_scenario(default_data, growth)
    with pytest.raises(ScenarioError, match=r"load_growth\.measured\.areas.*Panhandle.*Far West"):
        area_loads_mw(texas, scenario.load_growth)


def test_texas2000_areas_follow_the_ercot_weather_zones(default_data, texas):
    """Each area is its zone's cleaned demand at local hour-beginning (read here with pandas
    alone), and the areas add up to the Texas Interconnection file (the zones' sum)."""
    growth = {"kind": "measured", "measured": {
        "dataset": "eia930", "year": 2024, "areas": {a: f"cleaned/{z}.csv" for a, z in ZONES.items()}}}  # fmt: skip
    scenario = _measured_scenario(default_data, growth, period={"start_hour": 8700})
    table = area_loads_mw(texas, scenario.load_growth)
    assert (
        len(table) == 8784
        and len(study_hours(len(area_loads_mw(texas, scenario.load_growth)), scenario, "texas2000"))
        == 84
    )  # leap year
    frame = pd.read_csv(data_file("eia930/cleaned/ERCO-COAS.csv"))
    local = (pd.to_datetime(frame.date_time) - pd.Timedelta(hours=1)).dt.tz_localize("UTC")
    local = local.dt.tz_convert("America/Chicago")
    coast = frame["cleaned demand (MW)"][(local.dt.year == 2024).to_numpy()].to_numpy()
    np.testing.assert_array_equal(table["Coast"].to_numpy()[: len(coast)], coast)
    assert len(coast) == 8784 - 7  # the last value is the hour ending 23:00 UTC (17:00 CST)
    texas_ic = pd.read_csv(data_file("eia930/cleaned/TEXAS_IC.csv"))["cleaned demand (MW)"]
    np.testing.assert_allclose(
        table.sum(axis=1).to_numpy()[: len(coast)],
        texas_ic[(local.dt.year == 2024).to_numpy()].to_numpy(),
    )


def test_texas2000_scaled_to_measured_ercot_total_solves(default_data, texas):
    """texas2000 with ERCOT's 2020 hourly total (case area shares kept): the AC power flow of the
    2020 peak hour converges and carries the measured load plus the campus."""
    from gridmodel.powerflow.batch import solve_timeseries
    from gridmodel.stress.run import build_study

    growth = {"kind": "measured", "measured": {
        "dataset": "eia930", "year": 2020, "total": "cleaned/TEXAS_IC.csv"}}  # fmt: skip
    scenario = _measured_scenario(default_data, growth, period={"start_hour": 0})
    peak = int(area_loads_mw(texas, scenario.load_growth).sum(axis=1).argmax())
    scenario = _measured_scenario(default_data, growth, period={"start_hour": peak, "hours": 1})
    case, inj = build_study(texas, scenario)
    ds = solve_timeseries(case, inj)
    assert bool(ds.converged.all())
    background = inj.load_p[0, : len(texas.net.load)].sum()
    assert background == pytest.approx(74_165, abs=1)  # ERCOT's 2020 peak (SOURCE.md table)


@pytest.mark.parametrize(
    "name", ["cleaned/PJM_2016_2019.csv", "cleaned/ERCO-FWES.csv", "cleaned/PJM-DOM.csv"]
)
def test_screening_reproduces_the_published_flags(name):
    """Our implementation of the rules flags the same hours, with the same categories, as the
    published Ruggles et al. files (their own code's output), apart from the last day of a file
    (their anomalous-region scan leaves its edge windows uninitialised)."""
    data = read_demand_file(data_file(f"eia930/{name}"))
    ours = screening.screen(data.raw_mw)
    theirs = data.published_category
    body = slice(0, len(ours) - 24)
    np.testing.assert_array_equal(ours[body], theirs[body])
    assert (ours != "OKAY").sum() >= 50

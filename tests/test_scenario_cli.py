"""Scenario validation and the `gridmodel` command line, end to end on texas2000."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import xarray as xr
import yaml
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.inputs import build_inputs
from gridmodel.schema import ScenarioError, load_scenario, parse_scenario

runner = CliRunner()


def _write(tmp_path, data) -> str:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_bundled_scenarios_validate():
    from gridmodel.resources import bundled_dir

    for path in bundled_dir("scenarios").glob("*.yaml"):
        if not path.name.endswith("-sweep.yaml"):  # sweep files: tests/test_sweep.py
            assert load_scenario(path).network


def test_misspelt_field_names_the_field_and_the_allowed_ones(default_data):
    data = copy.deepcopy(default_data)
    data["campuses"][0]["megawatts"] = 900
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    text = str(err.value)
    assert "campuses.0.megawatts" in text and "900" in text
    assert "allowed fields: name, site, bus, mw, power_factor, profile" in text


def test_bad_values_name_the_field_and_the_value(default_data):
    data = copy.deepcopy(default_data)
    data["campuses"][0]["mw"] = -5
    data["study"]["voltage_limits"] = [1.1, 0.9]
    with pytest.raises(ScenarioError) as err:
        parse_scenario(data)
    text = str(err.value)
    assert "campuses.0.mw" in text and "-5" in text and "greater than 0" in text
    assert "study.voltage_limits" in text


def test_unknown_site_is_rejected_with_the_known_sites(default_data):
    data = copy.deepcopy(default_data)
    data["campuses"][0]["site"] = "abilene-345"
    with pytest.raises(ScenarioError, match=r"campuses\.0\.site.*abilene-345.*roscoe-500"):
        build_inputs(parse_scenario(data))


def test_failed_run_writes_nothing(tmp_path, default_data):
    data = copy.deepcopy(default_data)
    data["campuses"][0]["site"] = "nowhere"
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", _write(tmp_path, data), "--out", str(out)])
    assert result.exit_code == 2
    assert "nowhere" in result.output
    assert not out.exists()


def test_csv_profile_too_short_is_rejected(tmp_path, default_data):
    data = copy.deepcopy(default_data)
    (tmp_path / "campus.csv").write_text("p_mw\n100\n200\n")
    data["campuses"][0]["profile"] = {"kind": "csv", "path": "campus.csv"}
    data["period"] = {"start_hour": 0, "hours": 24}
    scenario = load_scenario(_write(tmp_path, data))
    with pytest.raises(ScenarioError, match=r"campuses\.0\.profile\.path.*2 rows.*hours 0-23"):
        build_inputs(scenario)


def test_run_writes_results_summary_and_figures(tmp_path, default_data, texas):
    data = copy.deepcopy(default_data)
    data["period"] = {"start_hour": 5350, "hours": 24}
    data["study"] = {
        "contingencies": None,
        "hosting_capacity": {"hours": 3, "max_mw": 3000, "n1": False},
    }
    result = runner.invoke(app, ["run", _write(tmp_path, data), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / "stress"
    for name in (
        "results.nc",
        "summary.csv",
        "overloads.csv",
        "voltage_violations.csv",
        "hosting_capacity.csv",
    ):
        assert (out / name).exists(), name
    for stem in ("loading_duration", "network_loading_map", "voltage_heatmap", "hosting_capacity"):
        for ext in ("png", "svg", "pdf"):
            assert (out / "figures" / f"{stem}.{ext}").stat().st_size > 0
    ds = xr.open_dataset(out / "results.nc", engine="h5netcdf", group="timeseries")
    assert ds.sizes["time"] == 24 and ds.sizes["bus"] == 2000 and ds.sizes["branch"] == 3206
    assert int(ds.bus[0]) == 1001 and ds.vm_pu.attrs["units"] == "pu"
    np.testing.assert_allclose(ds.campus_p_mw.sel(campus="west-training-campus"), 1200.0)
    # demand = the 2016 area loads of the change table + the 1,200 MW campus, hour by hour
    area_total = texas.region_loads.iloc[5350:5374].sum(axis=1).to_numpy()
    np.testing.assert_allclose(ds.load_mw.to_numpy(), area_total + 1200.0, rtol=1e-9)
    assert str(ds.time.values[0]).startswith("2016-08-10T22")  # hour 5350 of leap-year 2016
    assert not list((tmp_path / "out").rglob(".*"))  # no temporary files or folders left behind
    ds.close()


def test_same_scenario_same_numbers(summer_study):
    from gridmodel.powerflow.batch import solve_timeseries

    _, case, inj = summer_study
    sub = inj.take(np.arange(4))
    a, b = solve_timeseries(case, sub), solve_timeseries(case, sub)
    xr.testing.assert_identical(a, b)


def test_scenario_reference_is_generated_from_the_schema():
    from pathlib import Path

    from gridmodel.schema.docs import markdown

    doc = Path(__file__).resolve().parents[1] / "docs" / "scenarios.md"
    assert doc.read_text() == markdown(), "run: python -m gridmodel.schema.docs > docs/scenarios.md"


def test_load_growth_scales_to_the_target_peak_and_by_area(texas):
    from gridmodel.inputs import area_loads_mw
    from gridmodel.powerflow.case import background_loads

    base = parse_scenario({"name": "b", "network": "texas2000"})
    grown = parse_scenario(
        {
            "name": "g",
            "network": "texas2000",
            "load_growth": {
                "kind": "scale_to_peak",
                "peak_mw": 80_000,
                "area_factors": {"West": 2.0},
            },
        }
    )
    p0, q0 = background_loads(texas, area_loads_mw(texas, base.load_growth))
    p1, q1 = background_loads(texas, area_loads_mw(texas, grown.load_growth))
    factor = 80_000 / texas.region_loads.sum(axis=1).max()
    west = (texas.buses.area.loc[texas.net.load.bus] == "West").to_numpy()
    np.testing.assert_allclose(p1[:, ~west], p0[:, ~west] * factor, rtol=1e-12)
    np.testing.assert_allclose(p1[:, west], p0[:, west] * factor * 2.0, rtol=1e-12)
    np.testing.assert_array_equal(q1, q0)  # MATPOWER CT_LOAD_ALL_P: reactive power unchanged
    # the un-scaled loads reproduce the change table's area totals every hour
    np.testing.assert_allclose(p0.sum(axis=1), texas.region_loads.sum(axis=1).to_numpy(), rtol=1e-9)


def test_unknown_area_in_load_growth_is_named(texas):
    from gridmodel.inputs import area_loads_mw

    scenario = parse_scenario(
        {"name": "g", "network": "texas2000", "load_growth": {"area_factors": {"Panhandle": 1.1}}}
    )
    with pytest.raises(ScenarioError, match=r"load_growth\.area_factors.*Panhandle.*Far West"):
        area_loads_mw(texas, scenario.load_growth)

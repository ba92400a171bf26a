"""Shared fixtures: real networks (converted once per session) and small studies on them."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

from gridmodel.networks import load_network
from gridmodel.schema import default_scenario_path, parse_scenario
from gridmodel.stress.run import build_study


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory):
    """Keep converted networks in a per-session cache so tests never depend on a user's cache."""
    import os

    os.environ["GRIDMODEL_CACHE"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def texas():
    return load_network("texas2000")


@pytest.fixture(scope="session")
def default_data() -> dict:
    return yaml.safe_load(default_scenario_path().read_text())


def scenario_from(data: dict, **changes):
    """The default scenario with top-level fields replaced."""
    d = copy.deepcopy(data)
    d.update(changes)
    return parse_scenario(d)


@pytest.fixture(scope="session")
def summer_study(texas, default_data):
    """48 summer hours around the 2016 peak with the 1,200 MW West campus."""
    scenario = scenario_from(
        default_data,
        period={"start_hour": 5340, "hours": 48},
        study={"contingencies": None, "hosting_capacity": None},
    )
    case, inj = build_study(texas, scenario)
    return scenario, case, inj


@pytest.fixture(scope="session")
def summer_results(summer_study):
    from gridmodel.powerflow.batch import solve_timeseries

    _, case, inj = summer_study
    return solve_timeseries(case, inj)


@pytest.fixture(scope="session")
def peak_row():
    """Study row of the highest total demand."""
    return lambda inj: int(np.argmax(inj.load_p.sum(axis=1)))


@pytest.fixture(scope="session")
def eia930_dir():
    """The shared EIA-930 files (../shared/data/eia930, or $GRIDMODEL_SHARED_DATA/eia930);
    tests that use them skip when they are absent."""
    import os
    from pathlib import Path

    root = os.environ.get("GRIDMODEL_SHARED_DATA")
    base = Path(root) if root else Path(__file__).resolve().parents[1].parent / "shared" / "data"
    folder = base / "eia930"
    if not (folder / "cleaned").is_dir():
        pytest.skip(f"EIA-930 files not found at {folder} (set GRIDMODEL_SHARED_DATA)")
    return folder

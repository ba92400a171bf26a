"""Shared fixtures: real networks (converted once per session) and small studies on them."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pytest
import yaml

from gridmodel.networks import load_network
from gridmodel.schema import default_scenario_path, parse_scenario
from gridmodel.stress.run import build_study

#: A local copy of the data files laid out like the registry (DATASET/FILE): the project's shared
#: folder beside the repository, when it is there. Files not shipped are copied from it instead of
#: downloaded (each checked against the registry's SHA-256); without it they are downloaded.
LOCAL_MIRROR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def _cache_dir(tmp_path_factory):
    """Keep converted networks and data files in a per-session cache so tests never depend on
    a user's cache; data files come through gridmodel.datasets like a user's."""
    os.environ["GRIDMODEL_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    if not os.environ.get("GRIDMODEL_DATA_MIRROR") and LOCAL_MIRROR.is_dir():
        os.environ["GRIDMODEL_DATA_MIRROR"] = str(LOCAL_MIRROR)


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

"""The study inputs: what every stage reads, built once from a scenario.

``StudyInputs.inputs`` is one labelled Dataset over the whole load year:

- ``time``: datetime64, hour-beginning, the load year's calendar (8,784 hours in 2016);
  ``hour`` the hour of the load year (0 = 1 January 00:00); ``in_period`` marks the study period;
- ``area_load_mw`` (time, area) and ``system_load_mw`` (time): the network's own demand after
  the scenario's load growth;
- ``campus_p_mw`` (time, campus): each campus's hourly demand, the load model run once;
  ``campus_bus`` the case bus number of each campus, ``campus_power_factor``.

Stages select the period with :meth:`StudyInputs.period`; the bills stage reads the whole year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.data.eia930 import scenario_area_loads
from gridmodel.loads.campus import campus_hourly_mw, campus_load_model
from gridmodel.loads.profile import CampusLoad
from gridmodel.networks import Network, load_network
from gridmodel.schema import Campus, LoadGrowth, ModelProfile, Scenario, ScenarioError


@dataclass
class StudyInputs:
    """A scenario, its network and the labelled hourly inputs every stage reads."""

    scenario: Scenario
    network: Network
    inputs: xr.Dataset
    campus_loads: dict[str, CampusLoad] = field(default_factory=dict)

    @property
    def period(self) -> np.ndarray:
        """Hours of the load year in the study period."""
        return self.inputs.hour.to_numpy()[self.inputs.in_period.to_numpy()]

    def period_inputs(self) -> xr.Dataset:
        """The inputs over the study period only."""
        return self.inputs.isel(time=self.inputs.in_period.to_numpy())

    def campus_index(self, name: str) -> int:
        return [c.name for c in self.scenario.campuses].index(name)


def hour_start(year: int, hours: np.ndarray) -> np.ndarray:
    """datetime64 start of each hour of the load ``year`` (0 = 1 January 00:00)."""
    return (pd.Timestamp(f"{year}-01-01") + pd.to_timedelta(np.asarray(hours), unit="h")).to_numpy()


def study_hours(n_year: int, scenario: Scenario, network_name: str) -> np.ndarray:
    """Hours of the load year covered by the scenario's period."""
    start = scenario.period.start_hour
    if start >= n_year:
        raise ScenarioError(
            f"field 'period.start_hour': value {start} is beyond the {n_year}-hour load year "
            f"of network '{network_name}'"
        )
    hours = scenario.period.hours if scenario.period.hours is not None else n_year - start
    if start + hours > n_year:
        raise ScenarioError(
            f"field 'period.hours': value {hours} from hour {start} runs past the {n_year}-hour "
            f"load year of network '{network_name}'"
        )
    return np.arange(start, start + hours)


def area_loads_mw(network: Network, growth: LoadGrowth) -> pd.DataFrame:
    """Hourly MW per area after growth (whole load year; columns = area names)."""
    base = network.net.load.groupby(
        network.buses.area.loc[network.net.load.bus].to_numpy()
    ).p_mw.sum()
    table = (
        network.region_loads.copy()
        if network.region_loads is not None
        else pd.DataFrame([base.to_dict()] * network.n_hours)
    )
    unknown = sorted(set(growth.area_factors) - set(table.columns))
    if unknown:
        raise ScenarioError(
            f"field 'load_growth.area_factors': area(s) {unknown} not in network "
            f"'{network.name}' (areas: {', '.join(map(str, table.columns))})"
        )
    if growth.kind == "measured":
        table = scenario_area_loads(growth, table, network.name)
    elif growth.kind == "factor":
        table = table * growth.factor
    elif growth.kind == "scale_to_peak":
        table = table * (growth.peak_mw / table.sum(axis=1).max())
    for area, factor in growth.area_factors.items():
        table[area] = table[area] * factor
    return table


def load_year(network: Network, scenario: Scenario) -> int:
    """Calendar year of the background loads: the measured year, else the network's own."""
    growth = scenario.load_growth
    return growth.measured.year if growth.kind == "measured" else network.load_year


def campus_bus(network: Network, campus: Campus, field: str) -> int:
    """Case bus number of a campus; ScenarioError naming the field when it is not in the network."""
    if campus.site is not None:
        try:
            return network.descriptor.site(campus.site).bus
        except KeyError as err:
            raise ScenarioError(f"field '{field}.site': {err.args[0]}") from None
    try:
        network.bus_index(campus.bus)
    except KeyError:
        raise ScenarioError(
            f"field '{field}.bus': bus {campus.bus} is not in network '{network.name}'"
        ) from None
    return int(campus.bus)


def scenario_network(scenario: Scenario) -> Network:
    """The scenario's network (ScenarioError naming the field when it is unknown)."""
    try:
        return load_network(scenario.network)
    except KeyError as err:
        raise ScenarioError(f"field 'network': {err.args[0]}") from None


def campus_model_loads(
    scenario: Scenario, system_mw: np.ndarray, year: int
) -> dict[str, CampusLoad]:
    """The campus load model of every ``model`` campus, drawn over the whole load year."""
    return {
        c.name: campus_load_model(
            c.profile, system_mw, scenario.seed * 1000 + k, year, f"campuses.{k}.profile"
        )
        for k, c in enumerate(scenario.campuses)
        if isinstance(c.profile, ModelProfile)
    }


def build_inputs(scenario: Scenario, network: Network | None = None) -> StudyInputs:
    """Load the network, check the scenario against it and build the hourly inputs."""
    network = network if network is not None else scenario_network(scenario)
    areas = area_loads_mw(network, scenario.load_growth)
    n_year = len(areas)
    period = study_hours(n_year, scenario, network.name)
    system = areas.sum(axis=1).to_numpy(float)
    buses = [campus_bus(network, c, f"campuses.{k}") for k, c in enumerate(scenario.campuses)]
    year = load_year(network, scenario)
    loads = campus_model_loads(scenario, system, year)
    campus_mw = [
        campus_hourly_mw(c, n_year, period, f"campuses.{k}", loads.get(c.name))
        for k, c in enumerate(scenario.campuses)
    ]
    time = hour_start(year, np.arange(n_year))
    in_period = np.zeros(n_year, bool)
    in_period[period] = True
    names = [c.name for c in scenario.campuses]
    ds = xr.Dataset(
        {
            "area_load_mw": (
                ("time", "area"),
                areas.to_numpy(float),
                {"units": "MW", "long_name": "demand of the network's own loads by area"},
            ),
            "system_load_mw": (
                "time",
                system,
                {"units": "MW", "long_name": "demand of the network's own loads"},
            ),
            "campus_p_mw": (
                ("time", "campus"),
                np.column_stack(campus_mw) if campus_mw else np.zeros((n_year, 0)),
                {"units": "MW", "long_name": "campus demand (hourly mean)"},
            ),
            "campus_power_factor": (
                "campus",
                np.array([c.power_factor for c in scenario.campuses], float),
                {"units": "1", "long_name": "lagging power factor of the campus demand"},
            ),
            "in_period": ("time", in_period, {"long_name": "hour is in the study period"}),
        },
        coords={
            "time": ("time", time, {"long_name": "start of the hour"}),
            "hour": ("time", np.arange(n_year), {"long_name": "hour of the load year"}),
            "area": ("area", [str(a) for a in areas.columns]),
            "campus": ("campus", np.array(names, dtype=str)),
            "campus_bus": ("campus", np.array(buses, dtype=int), {"long_name": "case bus number"}),
        },
        attrs={"network": network.name, "load_year": year},
    )
    return StudyInputs(scenario, network, ds, loads)

"""`gridmodel headroom`: the balancing-area stage, from a scenario's `headroom` section to data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.data.eia930 import (
    DemandDataError,
    DemandYearsError,
    MeasuredDemand,
    measured_demand,
)
from gridmodel.headroom.balancing import annual_shape, balancing_headroom, seasonal_thresholds
from gridmodel.schema import (
    ConstantProfile,
    CsvProfile,
    Headroom,
    ModelProfile,
    Scenario,
    ScenarioError,
)


@dataclass(frozen=True)
class HeadroomResult:
    """``headroom`` (by rate, year, ...), ``demand`` (hourly demand and threshold, MW) and
    ``changes`` (every hour the cleaning changed) of one scenario."""

    scenario: Scenario
    headroom: xr.Dataset
    demand: xr.Dataset
    changes: pd.DataFrame


def _campus_shape(scenario: Scenario, name: str) -> np.ndarray:
    """Hourly MW of campus ``name`` over its network's load year."""
    from gridmodel.networks import load_network
    from gridmodel.powerflow.case import campus_load_model, campus_profile_mw, system_load_mw

    k = [c.name for c in scenario.campuses].index(name)
    campus = scenario.campuses[k]
    if isinstance(campus.profile, ConstantProfile):
        return np.ones(8760)
    network = load_network(scenario.network)
    n_year = len(system_load_mw(network, scenario))
    field = f"campuses.{k}"
    if isinstance(campus.profile, ModelProfile):
        load = campus_load_model(network, scenario, k)
        return load.profile(0.0, n_year * 3600.0, 3600.0).p_mw.to_numpy()
    assert isinstance(campus.profile, CsvProfile)
    return campus_profile_mw(campus, n_year, field)


def new_load_shape(spec: Headroom, scenario: Scenario, demand: xr.DataArray) -> np.ndarray | None:
    """The hourly shape of the new load on ``demand``'s hours (None = flat)."""
    shape = spec.shape
    if shape is None:
        return None
    if shape.campus is not None:
        values = _campus_shape(scenario, shape.campus)
        field = "headroom.shape.campus"
    else:
        field = "headroom.shape.path"
        if not shape.path.exists():
            raise ScenarioError(f"field '{field}': file {shape.path} not found")
        frame = pd.read_csv(shape.path)
        if shape.column not in frame.columns:
            raise ScenarioError(
                f"field 'headroom.shape.column': '{shape.column}' is not a column of "
                f"{shape.path} (columns: {', '.join(frame.columns)})"
            )
        values = frame[shape.column].to_numpy(float)
    if not np.isfinite(values).all() or (values < 0).any() or values.max() <= 0:
        raise ScenarioError(f"field '{field}': the shape must be finite, >= 0 and not all zero")
    if len(values) == demand.sizes["time"]:
        return values
    if 8760 <= len(values) <= 8784:
        return annual_shape(values, demand)
    raise ScenarioError(
        f"field '{field}': the shape has {len(values)} hours; give one year (8,760 or 8,784) "
        f"or every hour studied ({demand.sizes['time']})"
    )


def read_headroom_demand(spec: Headroom) -> MeasuredDemand:
    """The balancing area's cleaned demand over the years of ``spec``."""
    try:
        return measured_demand(spec.demand, spec, spec.years)
    except DemandYearsError as err:
        field = "headroom.years" if spec.years else "headroom.demand.files"
        raise ScenarioError(f"field '{field}': {err}") from None
    except DemandDataError as err:
        raise ScenarioError(f"field 'headroom.demand': {err}") from None


def run_headroom(scenario: Scenario) -> HeadroomResult:
    """Measured demand → seasonal thresholds → headroom at each curtailment limit."""
    spec = scenario.headroom
    if spec is None:
        raise ScenarioError("field 'headroom': the scenario has no `headroom` section")
    measured = read_headroom_demand(spec)
    demand = measured.to_dataarray()
    shape = new_load_shape(spec, scenario, demand)
    try:
        ds = balancing_headroom(
            demand,
            spec.rates_percent,
            spec.seasons,
            shape=shape,
            served_fraction=spec.served_fraction,
            curve_points=spec.curve_points,
        )
    except ValueError as err:
        raise ScenarioError(f"field 'headroom': {err}") from None
    if spec.published_mw:
        published = [spec.published_mw.get(r, np.nan) for r in ds.rate.values]
        ds["published_headroom_mw"] = ("rate", np.array(published, float), {
            "units": "MW", "source": spec.published_source
        })  # fmt: skip
    thresholds = seasonal_thresholds(demand, spec.seasons)
    hourly = xr.Dataset({"demand_mw": demand, "threshold_mw": thresholds.threshold_mw})
    provenance = {
        "scenario": scenario.name,
        "scenario_digest": scenario.digest(),
        "stage": "headroom",
        "time_zone": spec.time_zone,
        "demand_files": ", ".join(str(f) for f in spec.demand.files),
    }
    ds.attrs.update(provenance)
    hourly.attrs.update(provenance)
    return HeadroomResult(scenario, ds, hourly, measured.changes)

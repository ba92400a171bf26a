"""The headroom stage: curtailment-enabled headroom of a balancing area from measured demand."""

from __future__ import annotations

import logging

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
from gridmodel.inputs import StudyInputs
from gridmodel.io import table_dataset
from gridmodel.progress import Progress, no_progress
from gridmodel.schema import ConstantProfile, Headroom, ScenarioError

log = logging.getLogger(__name__)


def _campus_shape(study: StudyInputs, name: str) -> np.ndarray:
    """Hourly MW of campus ``name`` over the study's load year (the study inputs)."""
    k = study.campus_index(name)
    if isinstance(study.scenario.campuses[k].profile, ConstantProfile):
        return np.ones(8760)
    values = study.inputs.campus_p_mw.isel(campus=k).to_numpy()
    if np.isnan(values).any():
        raise ScenarioError(
            f"field 'headroom.shape.campus': the profile of campus '{name}' does not cover the "
            "whole load year"
        )
    return values


def new_load_shape(spec: Headroom, study: StudyInputs, demand: xr.DataArray) -> np.ndarray | None:
    """The hourly shape of the new load on ``demand``'s hours (None = flat)."""
    shape = spec.shape
    if shape is None:
        return None
    if shape.campus is not None:
        if shape.campus not in [c.name for c in study.scenario.campuses]:
            raise ScenarioError(
                f"field 'headroom.shape.campus': value '{shape.campus}' is not a campus of the "
                "scenario"
            )
        values = _campus_shape(study, shape.campus)
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


def _spec(study: StudyInputs) -> Headroom:
    spec = study.scenario.headroom
    if spec is None:
        raise ScenarioError("field 'headroom': the scenario has no `headroom` section")
    return spec


def check(study: StudyInputs) -> None:
    """Refuse, before any work, a headroom section whose files, shape or sites cannot be used."""
    spec = _spec(study)
    if spec.demand is not None:
        new_load_shape(spec, study, read_headroom_demand(spec).to_dataarray())
    if spec.nodal is not None:
        from gridmodel.headroom.siting import check as check_nodal

        check_nodal(study)


def headroom(study: StudyInputs, progress: Progress = no_progress) -> xr.DataTree:
    """The parts the scenario asks for: the balancing area's headroom from measured demand
    (groups ``headroom``, ``demand``, ``changes``) and flexible hosting capacity at network
    sites (group ``nodal``, :mod:`gridmodel.headroom.siting`)."""
    spec = _spec(study)
    groups = {}
    if spec.demand is not None:
        groups |= balancing_groups(study, spec, progress)
    if spec.nodal is not None:
        from gridmodel.headroom.siting import nodal_hosting

        log.info("headroom: flexible hosting capacity at network sites")
        groups["nodal"] = nodal_hosting(study, progress)
    root = xr.Dataset(attrs={"time_zone": spec.time_zone})
    if spec.demand is not None:
        root.attrs["demand_files"] = ", ".join(str(f) for f in spec.demand.files)
    if "nodal" in groups:
        root.attrs["partial"] = groups["nodal"].attrs["partial"]
    return xr.DataTree.from_dict({"/": root, **{f"/{k}": v for k, v in groups.items()}})


def balancing_groups(study: StudyInputs, spec: Headroom, progress: Progress) -> dict:
    """Measured demand → seasonal thresholds → headroom at each curtailment limit.

    Groups: ``headroom`` (by limit, year, ...), ``demand`` (hourly demand and threshold, MW),
    ``changes`` (every hour the cleaning changed).
    """
    progress("headroom", 0, 2)
    log.info("headroom: reading %s", ", ".join(str(f) for f in spec.demand.files))
    measured = read_headroom_demand(spec)
    demand = measured.to_dataarray()
    log.debug("headroom: %d hours of measured demand", demand.sizes["time"])
    shape = new_load_shape(spec, study, demand)
    progress("headroom", 1, 2)
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
    progress("headroom", 1, 2)
    return {"headroom": ds, "demand": hourly, "changes": table_dataset(measured.changes, "change")}

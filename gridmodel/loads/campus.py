"""Hourly demand of one campus from its profile: constant, a CSV file, or the campus load model."""

from __future__ import annotations

import numpy as np

from gridmodel.datafiles import read_csv_columns
from gridmodel.loads.profile import HOUR_S, CampusLoad, build_campus_load, read_temperature
from gridmodel.schema import Campus, CsvProfile, ModelProfile, ScenarioError
from gridmodel.schema.campus import MAX_CAMPUS_MW


def campus_load_model(
    model: ModelProfile,
    system_load_mw: np.ndarray,
    seed: int,
    year: int,
    field: str,
) -> CampusLoad:
    """The campus load model of ``model`` drawn over the whole load year (``system_load_mw``,
    hourly, gives its length and places flexibility events).

    Drawing the whole year whatever the study period keeps a study hour's campus load, and the
    annual curtailment budget, the same in every study that contains that hour.
    """
    temperature = (
        read_temperature(model.facility.temperature_csv, f"{field}.facility.temperature_csv")
        if model.facility.temperature_csv is not None
        else None
    )
    try:
        return build_campus_load(
            model,
            len(system_load_mw),
            seed=seed,
            year=year,
            system_load_mw=system_load_mw,
            temperature_c=temperature,
        )
    except ValueError as err:
        raise ScenarioError(f"field '{field}': {err}") from None


def _csv_rows(profile: CsvProfile, rated_mw: float | None, field: str) -> np.ndarray:
    """The profile column of a campus CSV (MW or pu): finite, not negative and at most
    ``MAX_CAMPUS_MW`` (in pu: of the campus rating ``rated_mw``)."""
    hi = MAX_CAMPUS_MW if profile.unit == "mw" else MAX_CAMPUS_MW / rated_mw
    path_field = f"{field}.profile.path"
    return read_csv_columns(profile.path, [profile.column], path_field, lo=0.0, hi=hi)[:, 0]


def campus_hourly_mw(
    campus: Campus,
    n_year: int,
    period: np.ndarray,
    field: str,
    load: CampusLoad | None = None,
) -> np.ndarray:
    """Hourly campus demand (MW) over the ``n_year`` hours of the load year.

    ``constant``: the rating every hour. ``model``: the hourly mean of ``load``. ``csv``: row k is
    hour ``first_hour + k`` (``first_hour`` defaults to the period's first hour); the file must
    cover the study ``period`` (hours of the year), and hours it does not cover are NaN, which a
    stage that needs them refuses.
    """
    profile = campus.profile
    if isinstance(profile, ModelProfile):
        return load.profile(0.0, n_year * HOUR_S, HOUR_S).p_mw.to_numpy()
    if not isinstance(profile, CsvProfile):
        return np.full(n_year, float(campus.mw))
    values = _csv_rows(profile, campus.mw, field)
    first = int(period[0]) if profile.first_hour is None else profile.first_hour
    if first + len(values) < period[-1] + 1 or first > period[0]:
        raise ScenarioError(
            f"field '{field}.profile.path': {profile.path} has {len(values)} rows from hour "
            f"{first}; the study needs hours {int(period[0])}-{int(period[-1])}"
        )
    out = np.full(n_year, np.nan)
    end = min(n_year, first + len(values))
    out[first:end] = values[: end - first]
    return out * campus.mw if profile.unit == "pu" else out


def reactive_mvar(p_mw: np.ndarray, power_factor: float) -> np.ndarray:
    """Q = P·tan(arccos(pf)), lagging (MVAr)."""
    return p_mw * np.tan(np.arccos(power_factor))

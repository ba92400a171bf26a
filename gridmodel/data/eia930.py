"""Measured hourly demand from EIA-930 files, on the balancing authority's local clock.

Two layouts are read (``data/eia930/SOURCE.md`` lists the files gridmodel ships or fetches,
``gridmodel data list`` shows them):

- the raw EIA download: ``date_time``, ``demand (MW)`` (text ``MISSING``/``EMPTY`` where the
  balancing authority reported nothing, and unphysical spikes);
- the cleaned files of Ruggles et al. (2020): ``date_time``, ``raw demand (MW)``, optionally
  ``category``, ``cleaned demand (MW)``.

Time convention. EIA stamps each value with the UTC hour at which the hour *ends* (the value is
the mean MW of that hour). gridmodel labels it with the hour it *begins*, on the local clock:
``local = tz_convert(date_time - 1 h, time_zone)``. Hours are instants, so the repeated 01:00 of
a November DST change is two distinct hours and the skipped 02:00 of March has no value; a local
calendar year therefore holds exactly 8,760 (8,784 in a leap year) hours, hour 0 beginning on
1 January at 00:00 local. In xarray the time axis is stored as UTC hour-beginning (``time``)
with the local ``year``, ``month`` and ``hour_of_day`` as coordinates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel.data import screening
from gridmodel.datasets import data_file
from gridmodel.schema.base import ScenarioError
from gridmodel.schema.demand import DemandSeries, MeasuredLoads, MeasuredSource
from gridmodel.schema.grid import LoadGrowth

TIME = "date_time"
RAW = "demand (MW)"
PUBLISHED_RAW = "raw demand (MW)"
PUBLISHED = "cleaned demand (MW)"
CATEGORY = "category"
HOUR = pd.Timedelta(hours=1)


class DemandDataError(ValueError):
    """A demand file that cannot be used; the message names the file."""


class DemandYearsError(DemandDataError):
    """Years the demand files do not cover; the message names the files and the years."""


@dataclass(frozen=True)
class DemandFile:
    """One file on a complete hourly axis (rows the file lacks are added with text ``absent``).

    ``time`` is the UTC hour ending (naive); ``raw_text`` the reported value as written;
    ``raw_mw`` it as a number (NaN where not numeric); ``published_mw``/``published_category``
    the cleaned column and its flags where the file has them.
    """

    path: Path
    time: pd.DatetimeIndex
    raw_text: np.ndarray
    raw_mw: np.ndarray
    published_mw: np.ndarray | None
    published_category: np.ndarray | None


@dataclass(frozen=True)
class MeasuredDemand:
    """A cleaned series on complete local years and every hour cleaning changed.

    ``p_mw`` is indexed by local hour-beginning (tz-aware). ``changes`` has one row per changed
    hour: ``file``, ``date_time`` (UTC hour ending, as in the file), ``local_hour_beginning``,
    ``raw`` (as written), ``raw_mw``, ``cleaned_mw``, ``category`` (the screening rule or the
    published flag) and ``fill`` (how the value was replaced).
    """

    p_mw: pd.Series
    changes: pd.DataFrame
    time_zone: str

    def to_dataarray(self) -> xr.DataArray:
        """``p_mw`` as a DataArray on UTC hour-beginning ``time`` with local coordinates."""
        local = self.p_mw.index
        utc = local.tz_convert("UTC").tz_localize(None)
        return xr.DataArray(
            self.p_mw.to_numpy(float),
            dims="time",
            coords={
                "time": utc.to_numpy(),
                "year": ("time", local.year.to_numpy()),
                "month": ("time", local.month.to_numpy()),
                "hour_of_day": ("time", local.hour.to_numpy()),
            },
            name="demand_mw",
            attrs={
                "units": "MW",
                "time_convention": "time = UTC hour beginning; year, month, hour_of_day local",
                "time_zone": self.time_zone,
            },
        )


def read_demand_file(path: Path, column: str | None = None) -> DemandFile:
    """Read one EIA-930 layout file (see the module docstring); DemandDataError names it."""
    if not path.exists():
        raise DemandDataError(f"demand file {path} not found")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DemandDataError(f"demand file {path} is not a readable CSV: {err}") from None
    cols = list(frame.columns)
    raw_col = column or (RAW if RAW in cols else PUBLISHED_RAW)
    if TIME not in cols or raw_col not in cols:
        wanted = f"'{TIME}' and '{column}'" if column else (
            f"'{TIME}' with '{RAW}' (raw EIA-930) or '{PUBLISHED_RAW}' and '{PUBLISHED}' "
            "(Ruggles et al. cleaned files)"
        )  # fmt: skip
        raise DemandDataError(
            f"demand file {path}: columns {cols} are not an EIA-930 demand layout; expected "
            f"{wanted}"
        )
    time = pd.to_datetime(frame[TIME], errors="coerce", format="mixed")
    if time.isna().any():
        row = int(np.flatnonzero(time.isna())[0])
        raise DemandDataError(
            f"demand file {path}: row {row + 2} has date_time '{frame[TIME].iloc[row]}', not a time"
        )
    if getattr(time.dt, "tz", None) is not None:
        time = time.dt.tz_convert("UTC").dt.tz_localize(None)
    if time.duplicated().any():
        dup = time[time.duplicated()].iloc[0]
        raise DemandDataError(f"demand file {path}: hour {dup} appears more than once")
    if ((time - time.dt.floor("h")) != pd.Timedelta(0)).any():
        raise DemandDataError(f"demand file {path}: date_time values must be whole hours")
    if not time.is_monotonic_increasing:
        raise DemandDataError(f"demand file {path}: date_time is not in increasing order")
    if len(time) == 0:
        raise DemandDataError(f"demand file {path} has no rows")
    axis = pd.date_range(time.iloc[0], time.iloc[-1], freq="h")
    position = axis.get_indexer(pd.DatetimeIndex(time))
    text = np.full(len(axis), "absent", dtype=object)
    text[position] = frame[raw_col].str.strip().to_numpy()

    def numbers(values: pd.Series) -> np.ndarray:
        out = np.full(len(axis), np.nan)
        out[position] = pd.to_numeric(values, errors="coerce").to_numpy(float)
        return out

    published = category = None
    if PUBLISHED in cols and column is None:
        published = numbers(frame[PUBLISHED])
        if CATEGORY in cols:
            category = np.full(len(axis), screening.MISSING, dtype=object)
            category[position] = frame[CATEGORY].to_numpy()
    return DemandFile(path, axis, text, numbers(frame[raw_col]), published, category)


def _resolve(path: Path, source: MeasuredSource) -> Path:
    """The file to read: a file of ``source.dataset`` (unpacked or fetched on first use), else
    ``path`` read from ``source.data_dir``."""
    if source.dataset is not None:
        return data_file(f"{source.dataset}/{path.as_posix()}")
    folder = source.data_dir
    return Path(os.path.normpath(path if folder is None else folder / path))


def _clean_file(data: DemandFile, series: DemandSeries) -> pd.DataFrame:
    """One file's hours with value, category and fill rule (UTC hour ending index)."""
    rejected_by_user = data.time.isin(pd.DatetimeIndex(series.reject_hours))
    mode = series.cleaning
    if mode == "auto":
        mode = "published" if data.published_mw is not None else "screen"
    if mode == "published" and data.published_mw is None and series.column is None:
        raise DemandDataError(
            f"demand file {data.path}: `cleaning: published` needs a '{PUBLISHED}' column; use "
            "`cleaning: screen` (or `auto`) for a raw EIA-930 file"
        )
    try:
        if mode == "screen":
            category = screening.screen(data.raw_mw, rejected_by_user)
            values, fill = screening.fill(data.raw_mw, category != screening.OKAY)
        else:
            published = data.raw_mw if data.published_mw is None else data.published_mw
            category = (
                data.published_category.copy()
                if data.published_category is not None
                else np.full(len(published), screening.OKAY, dtype=object)
            )
            with np.errstate(invalid="ignore"):
                differs = ~(np.abs(published - data.raw_mw) <= 0.5)
            category[(category == screening.OKAY) & differs] = "published_imputed"
            category[np.isnan(published)] = screening.MISSING
            category[rejected_by_user] = screening.USER
            values, fill = screening.fill(published, np.isnan(published) | rejected_by_user)
            fill[(fill == "") & (category != screening.OKAY)] = "published"
    except ValueError as err:
        raise DemandDataError(f"demand file {data.path}: {err}") from None
    return pd.DataFrame(
        {
            "file": str(data.path),
            "raw": data.raw_text,
            "raw_mw": data.raw_mw,
            "cleaned_mw": values,
            "category": category,
            "fill": fill,
        },
        index=data.time,
    )


def _year_span_utc(year: int, zone: str) -> pd.DatetimeIndex:
    """UTC hour-ending stamps of every hour of local calendar ``year``."""
    start = pd.Timestamp(year, 1, 1).tz_localize(zone).tz_convert("UTC").tz_localize(None)
    end = pd.Timestamp(year + 1, 1, 1).tz_localize(zone).tz_convert("UTC").tz_localize(None)
    return pd.date_range(start + HOUR, end, freq="h")


def measured_demand(
    series: DemandSeries, source: MeasuredSource, years: list[int] | None = None
) -> MeasuredDemand:
    """The cleaned series of ``series`` on the complete local years ``years`` (None = every
    local year the files cover to ``source.min_year_coverage``). DemandDataError names the file
    or the years when they cannot be served."""
    parts = [
        _clean_file(read_demand_file(_resolve(f, source), series.column), series)
        for f in series.files
    ]
    table = pd.concat(parts)
    if table.index.duplicated().any():
        dup = table.index[table.index.duplicated()][0]
        owners = table.loc[[dup], "file"].tolist()
        raise DemandDataError(f"demand files {owners} overlap (both have hour {dup} UTC)")
    table = table.sort_index()
    zone = source.time_zone
    local = (table.index - HOUR).tz_localize("UTC").tz_convert(zone)
    present = pd.Series(1, index=local).groupby(local.year).size()
    names = ", ".join(str(f) for f in series.files)
    if years is None:
        hours_in = {y: len(_year_span_utc(y, zone)) for y in present.index}
        years = [y for y, n in present.items() if n >= source.min_year_coverage * hours_in[y]]
        if not years:
            raise DemandYearsError(f"demand files {names} hold no complete local year")
    for year in years:
        need = len(_year_span_utc(year, zone))
        have = int(present.get(year, 0))
        if have < source.min_year_coverage * need:
            covered = f"{present.index.min()}-{present.index.max()}" if len(present) else "none"
            raise DemandYearsError(
                f"demand files {names}: year {year} has {have} of its {need} hours (local years "
                f"with data: {covered}; at least {source.min_year_coverage:.0%} needed)"
            )
    axis = pd.DatetimeIndex(np.concatenate([_year_span_utc(y, zone) for y in sorted(years)]))
    on_axis = table.reindex(axis)
    absent = on_axis["cleaned_mw"].isna().to_numpy()
    if absent.any():
        values, fill = screening.fill(on_axis["cleaned_mw"].to_numpy(), absent)
        on_axis["cleaned_mw"] = values
        on_axis.loc[absent, "fill"] = fill[absent]
        on_axis.loc[absent, "category"] = screening.MISSING
        on_axis.loc[absent & on_axis["raw"].isna().to_numpy(), "raw"] = "absent"
        on_axis.loc[absent & on_axis["file"].isna().to_numpy(), "file"] = names
    local_axis = (axis - HOUR).tz_localize("UTC").tz_convert(zone)
    changed = (on_axis["category"] != screening.OKAY).to_numpy()
    changes = on_axis[changed].rename_axis(TIME).reset_index()
    changes.insert(1, "local_hour_beginning", local_axis[changed].astype(str))
    changes = changes[["file", *changes.columns.drop("file")]]
    p_mw = pd.Series(on_axis["cleaned_mw"].to_numpy(float), index=local_axis, name="demand_mw")
    return MeasuredDemand(p_mw, changes, zone)


def measured_area_loads(spec: MeasuredLoads, case_loads: pd.DataFrame) -> pd.DataFrame:
    """Hourly MW per area (rows = hours of local year ``spec.year`` from 1 January 00:00).

    ``areas``: each area's own series. ``total``: the measured total split in the shares of the
    case's own area loads ``case_loads`` at the same position in the year (the case's last day
    repeated when the measured year is one day longer).
    """
    if spec.areas:
        columns = {
            area: measured_demand(series, spec, [spec.year]).p_mw.to_numpy()
            for area, series in spec.areas.items()
        }
        return pd.DataFrame(columns)
    total = measured_demand(spec.total, spec, [spec.year]).p_mw.to_numpy()
    position = np.arange(len(total))
    while (position >= len(case_loads)).any():
        position[position >= len(case_loads)] -= 24
    case = case_loads.to_numpy(float)[position]
    shares = case / case.sum(axis=1, keepdims=True)
    return pd.DataFrame(shares * total[:, None], columns=case_loads.columns)


def scenario_area_loads(growth: LoadGrowth, case_loads: pd.DataFrame, network: str) -> pd.DataFrame:
    """The hours × areas MW table of a ``load_growth`` of kind ``measured`` (before
    ``area_factors``); ScenarioError names the field."""
    spec = growth.measured
    unknown = sorted(set(spec.areas) - set(case_loads.columns))
    missing = sorted(set(case_loads.columns) - set(spec.areas)) if spec.areas else []
    if unknown or missing:
        raise ScenarioError(
            f"field 'load_growth.measured.areas': every area of network '{network}' needs one "
            f"series (unknown: {unknown}, missing: {missing}; areas: "
            f"{', '.join(map(str, case_loads.columns))})"
        )
    try:
        table = measured_area_loads(spec, case_loads)
    except DemandYearsError as err:
        raise ScenarioError(f"field 'load_growth.measured.year': {err}") from None
    except DemandDataError as err:
        raise ScenarioError(f"field 'load_growth.measured': {err}") from None
    return table[list(case_loads.columns)] * growth.factor

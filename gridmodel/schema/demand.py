"""Measured hourly demand (EIA-930 files): the series, and the area loads built from it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator, model_validator

from gridmodel.datasets import entry
from gridmodel.schema.base import Section, param

EIA930_SOURCE = (
    "U.S. EIA Form EIA-930 hourly demand; cleaned files: Ruggles et al., Sci. Data 7, 155 "
    "(2020), doi:10.1038/s41597-020-0483-x, github.com/truggles/EIA_Cleaned_Hourly_Electricity_"
    "Demand_Data (CC BY 4.0)"
)


class DemandSeries(Section):
    """One hourly demand series, from one or more files joined in time."""

    files: list[Path] = param(
        description="CSV files in the EIA-930 layout: `date_time` in UTC, each value the mean "
        "MW of the hour ending then; the demand in `demand (MW)` (the raw EIA download) or in "
        "`raw demand (MW)` and `cleaned demand (MW)` (the cleaned files of Ruggles et al.). "
        "Joined in time; they must not overlap. Relative paths are read from `data_dir`.",
        source=EIA930_SOURCE,
        min_length=1,
    )
    cleaning: Literal["auto", "published", "screen"] = param(
        "auto",
        description="`published`: the file's `cleaned demand (MW)` (screened and imputed by "
        "Ruggles et al.); `screen`: the raw values, screened and filled by gridmodel's rules "
        "(docs/headroom.md); `auto`: `published` where a file has the cleaned column, else "
        "`screen`.",
    )
    column: str | None = param(
        None,
        description="Column holding the demand (MW) in files of another layout (still with "
        "`date_time`); its values are screened unless `cleaning` is `published`. Empty = the "
        "EIA-930 columns.",
    )
    reject_hours: list[datetime] = param(
        default_factory=list,
        description="Hours to treat as erroneous whatever their value (`date_time` as in the "
        "files: UTC, hour ending), e.g. a reporting error the screening misses; they are filled "
        "like any rejected hour.",
    )

    @field_validator("files", mode="before")
    @classmethod
    def _one_file(cls, v):
        return [v] if isinstance(v, str | Path) else v


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"'{name}' is not an IANA time zone (e.g. America/Chicago, America/New_York)"
        ) from None
    return name


class MeasuredSource(Section):
    """Where measured demand files are and which clock they are read on."""

    dataset: str | None = param(
        None,
        description="A dataset gridmodel ships or fetches (`gridmodel data list`): the file "
        "names are its files (e.g. `cleaned/TEXAS_IC.csv` of `eia930`), unpacked or downloaded "
        "with a SHA-256 check on first use. Give this or `data_dir`.",
    )
    data_dir: Path | None = param(
        None,
        description="Folder that relative file paths are read from; a relative folder is read "
        "from the scenario's folder; empty = the scenario's folder.",
    )
    time_zone: str = param(
        "America/Chicago",
        description="The balancing authority's time zone (IANA name). Hours are moved from UTC "
        "hour-ending to local hour-beginning; years, months and seasons are local.",
        source="ERCOT operates on Central Prevailing Time (ERCOT Nodal Protocols, section 2)",
    )
    min_year_coverage: float = param(
        0.99,
        description="Share of a year's hours the files must hold for the year to be used; the "
        "hours missing are filled and listed. Lets a UTC-dated file that stops at 23:00 UTC on "
        "31 December cover the local year (6 hours short in Eastern, 7 in Central time).",
        source="Assumption",
        gt=0,
        le=1,
    )

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, v: str) -> str:
        return _check_zone(v)

    @model_validator(mode="after")
    def _registered_files(self) -> MeasuredSource:
        if self.dataset is None:
            return self
        if self.data_dir is not None:
            raise ValueError("give `dataset` or `data_dir`, not both")
        for series in _series_in(self):
            for f in series.files:
                entry(f"{self.dataset}/{f.as_posix()}")  # names the files it holds
        return self


def _series_in(section: MeasuredSource) -> list[DemandSeries]:
    """The demand series a section names (its own fields, one level down)."""
    found = []
    for value in section.__dict__.values():
        values = value.values() if isinstance(value, dict) else [value]
        found += [v for v in values if isinstance(v, DemandSeries)]
    return found


class MeasuredLoads(MeasuredSource):
    """The network's hourly area loads from one year of measured demand: per area, or a total."""

    year: int = param(description="Calendar year (local) of the measured demand.", ge=1990)
    areas: dict[str, DemandSeries] = param(
        default_factory=dict,
        description="Series per area name (every area of the network); a file name (or list) "
        "stands for `{files: ...}`.",
    )
    total: DemandSeries | None = param(
        None, description="One series for the whole network (or a file name, or a list)."
    )

    @field_validator("areas", mode="before")
    @classmethod
    def _area_files(cls, v):
        if isinstance(v, dict):
            return {k: {"files": f} if isinstance(f, str | list) else f for k, f in v.items()}
        return v

    @field_validator("total", mode="before")
    @classmethod
    def _total_files(cls, v):
        return {"files": v} if isinstance(v, str | list) else v

    @model_validator(mode="after")
    def _one_kind(self) -> MeasuredLoads:
        if bool(self.areas) == (self.total is not None):
            raise ValueError("give exactly one of `areas` (a series per area) or `total`")
        return self

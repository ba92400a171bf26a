"""`headroom`: curtailment-enabled headroom of a balancing area (gridmodel.headroom)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import field_validator, model_validator

from gridmodel.schema.base import Section, param
from gridmodel.schema.demand import DemandSeries, MeasuredSource
from gridmodel.schema.study import HourSpec

DUKE = (
    "Norris, Profeta, Patino-Echeverri, Cowie-Haskell, 'Rethinking Load Growth', Duke Nicholas "
    "Institute NI R 25-01 (Feb 2025), hdl.handle.net/10161/32077"
)


def _months(description: str, default: list[int], where: str):
    return param(default, description=description, source=f"{DUKE}, {where}", min_length=1)


class Seasons(Section):
    """Seasonal peak thresholds: which months set each peak, and which months it caps."""

    summer_peak_months: list[int] = _months(
        "Months whose highest hourly demand (over all years studied) is the summer threshold.",
        [6, 7, 8],
        "note 20: summer June-August",
    )
    winter_peak_months: list[int] = _months(
        "Months whose highest hourly demand is the winter threshold.",
        [12, 1, 2],
        "note 20: winter December-February",
    )
    summer_threshold_months: list[int] = _months(
        "Months capped by the summer threshold (every other month: the winter threshold).",
        [4, 5, 6, 7, 8, 9, 10],
        "note 20: the summer peak also applies to April-May and September-October, the winter "
        "peak to November and March",
    )

    @field_validator("summer_peak_months", "winter_peak_months", "summer_threshold_months")
    @classmethod
    def _calendar(cls, v: list[int]) -> list[int]:
        bad = [m for m in v if not 1 <= m <= 12]
        if bad:
            raise ValueError(f"months are 1-12, got {bad}")
        return v


class LoadShape(Section):
    """An hourly shape of the new load instead of a flat one (normalised by its maximum)."""

    path: Path | None = param(
        None,
        description="CSV with one row per hour from 1 January 00:00 local: one year (applied to "
        "every year; a leap year repeats the last day of an 8,760-row shape) or every hour of "
        "the years studied. Relative paths are read from the scenario's folder.",
    )
    column: str = param("p_mw", description="Column of `path` holding the shape.")
    campus: str | None = param(
        None,
        description="Instead of `path`: a campus of the scenario whose hourly load (its "
        "profile over the network's load year) is the shape.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> LoadShape:
        if (self.path is None) == (self.campus is None):
            raise ValueError("give exactly one of `path` or `campus`")
        return self


class NodalHosting(Section):
    """Flexible hosting capacity at network sites: the largest campus that curtails at most a
    budget of its energy where the network binds, with no new N-0 (or N-1) violation. Limits,
    solver settings and the attribution rule are the grid-stress stage's (`study`, `dispatch`)."""

    campus: str | None = param(
        None,
        description="Campus of the scenario whose hourly shape and flexibility (its `model` "
        "profile's `flexibility`, else the defaults of that section) are hosted; it is taken "
        "off its own bus, the other campuses stay. Empty = the first campus.",
    )
    sites: Literal["campus", "candidates"] | list[str] = param(
        "campus",
        description="`campus`: the campus's own bus; `candidates`: every candidate site of the "
        "network (`gridmodel networks`); or a list of site names.",
    )
    kv: float | None = param(
        None, description="Also every in-service bus of this nominal voltage.", unit="kV", gt=0
    )
    budgets_percent: list[float] = param(
        [0.25, 0.5, 1.0],
        description="Curtailment budgets, each in (0, 100) %: curtailed energy (ramps included) "
        "as a share of the campus's energy over the hours studied; the firm hosting capacity "
        "(0 %) is always computed beside them.",
        unit="%",
        source=f"{DUKE}: 0.25 / 0.5 / 1 %",
        min_length=1,
    )
    hours: int | list[HourSpec] | None = param(
        None,
        description="Hours studied: empty = every hour of the period; N = the N highest-load "
        "hours; or a list of hour specs.",
    )
    n1_hours: int | list[HourSpec] = param(
        0,
        description="Hours also screened for N-1 (every outage of `study.contingencies.set`, "
        "limit times its `rating_factor`): N = the N highest-load hours, or hour specs; 0 = "
        "N-0 only.",
    )
    max_mw: float = param(
        3000.0,
        description="Upper end of the search.",
        unit="MW",
        source="above the 1 and 2 GW campuses of the ACTIVSg2000 siting study of Le Xie's group "
        "(arXiv 2605.14714)",
        gt=0,
    )
    tolerance_percent: float = param(
        0.5,
        description="Each hour's capacity is bracketed to this share of its size (an hour "
        "hosting less than this share of `max_mw` counts as hosting nothing).",
        unit="%",
        source="the grid-stress stage's `study.hosting_capacity.tolerance_percent`",
        gt=0,
        lt=50,
    )

    @field_validator("budgets_percent")
    @classmethod
    def _budgets(cls, v: list[float]) -> list[float]:
        bad = [b for b in v if not 0 < b < 100]
        if bad:
            raise ValueError(
                f"curtailment budgets must lie in (0, 100) % (the firm capacity, 0 %, is always "
                f"computed), got {bad}"
            )
        if len(set(v)) != len(v):
            raise ValueError(f"curtailment budgets must be distinct, got {v}")
        return sorted(v)

    @field_validator("sites")
    @classmethod
    def _some_sites(cls, v):
        if isinstance(v, list) and (not v or len(set(v)) != len(v)):
            raise ValueError(f"give distinct site names, 'campus' or 'candidates'; got {v}")
        return v


class Headroom(MeasuredSource):
    """Curtailment-enabled headroom of a balancing area (Norris et al. 2025) and flexible hosting
    capacity at network sites (docs/headroom.md); at least one of `demand` and `nodal`."""

    demand: DemandSeries | None = param(
        None, description="The balancing area's hourly demand; empty = no balancing-area part."
    )
    nodal: NodalHosting | None = param(
        None, description="Flexible hosting capacity at network sites; empty = none."
    )
    years: list[int] | None = param(
        None,
        description="Local calendar years studied (thresholds and rates over these years); "
        "empty = every year the files cover.",
        source=f"{DUKE}: 2016-2024",
    )
    rates_percent: list[float] = param(
        [0.25, 0.5, 1.0, 5.0],
        description="Curtailment limits: curtailed energy as a share of the new load's potential "
        "energy, averaged over the years.",
        unit="%",
        source=f"{DUKE}, Data and Method",
        min_length=1,
    )
    seasons: Seasons = param(default_factory=Seasons, description="Seasonal thresholds.")
    served_fraction: float = param(
        0.5,
        description="Reports the share of curtailed hours in which at least this fraction of "
        "the new load is still served.",
        source=f"{DUKE}, Curtailment Hours (50 %, 75 %, 90 % of the new load)",
        gt=0,
        lt=1,
    )
    shape: LoadShape | None = param(None, description="Hourly shape; empty = flat new load.")
    curve_points: int = param(
        200, description="Load additions evaluated for the rate-against-load curve.", ge=10
    )
    published_mw: dict[float, float] = param(
        default_factory=dict,
        description="Published headroom to compare with, MW by curtailment limit (%).",
        unit="MW",
    )
    published_source: str = param("", description="Where `published_mw` comes from.")

    @field_validator("rates_percent")
    @classmethod
    def _rates(cls, v: list[float]) -> list[float]:
        bad = [r for r in v if not 0 < r < 100]
        if bad:
            raise ValueError(
                f"curtailment limits must be between 0 and 100 % (exclusive), got {bad}"
            )
        if len(set(v)) != len(v):
            raise ValueError(f"curtailment limits must be distinct, got {v}")
        return sorted(v)

    @model_validator(mode="after")
    def _some_part(self) -> Headroom:
        if self.demand is None and self.nodal is None:
            raise ValueError(
                "give `demand` (balancing-area headroom) or `nodal` (flexible hosting capacity "
                "at network sites), or both"
            )
        return self

    @field_validator("years")
    @classmethod
    def _years(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and (not v or len(set(v)) != len(v)):
            raise ValueError(f"give distinct years, or leave empty for all; got {v}")
        return None if v is None else sorted(v)

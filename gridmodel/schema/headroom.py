"""`headroom`: curtailment-enabled headroom of a balancing area (gridmodel.headroom)."""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator, model_validator

from gridmodel.schema.base import Section, param
from gridmodel.schema.demand import DemandSeries, MeasuredSource

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


class Headroom(MeasuredSource):
    """Curtailment-enabled headroom of a balancing area (Norris et al. 2025, docs/headroom.md)."""

    demand: DemandSeries = param(description="The balancing area's hourly demand.")
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

    @field_validator("years")
    @classmethod
    def _years(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and (not v or len(set(v)) != len(v)):
            raise ValueError(f"give distinct years, or leave empty for all; got {v}")
        return None if v is None else sorted(v)

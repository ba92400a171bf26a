"""`period`, `load_growth`, `dispatch`: which hours, how the background load grows, how units are dispatched."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from gridmodel.schema.base import Section, param
from gridmodel.schema.demand import MeasuredLoads


class Period(Section):
    """Which hours of the network's load year are studied."""

    start_hour: int = param(0, description="First hour (0 = 1 January 00:00).", unit="h", ge=0)
    hours: int | None = param(
        None, description="Number of hours; empty = to the end of the load year.", unit="h", gt=0
    )


class LoadGrowth(Section):
    """Scaling of the network's own (non-campus) hourly loads."""

    kind: Literal["none", "factor", "scale_to_peak", "measured"] = param(
        "none",
        description="`factor`: multiply every hour by `factor`; `scale_to_peak`: scale so the "
        "system peak over the whole load year equals `peak_mw`; `measured`: replace the case's "
        "loads by measured demand (`measured`) of another year, times `factor`; the load year "
        "(and its length, 8,760 or 8,784 hours) becomes the measured year.",
    )
    factor: float = param(
        1.0, description="Multiplier for `kind: factor` (and on `measured` loads).", gt=0
    )
    peak_mw: float | None = param(
        None, description="Target system peak for `kind: scale_to_peak`.", unit="MW", gt=0
    )
    area_factors: dict[str, float] = param(
        default_factory=dict, description="Extra multiplier per area name, applied after `kind`."
    )
    measured: MeasuredLoads | None = param(
        None, description="Measured demand for `kind: measured`."
    )

    @model_validator(mode="after")
    def _peak_given(self) -> LoadGrowth:
        if self.kind == "scale_to_peak" and self.peak_mw is None:
            raise ValueError("`peak_mw` is required when kind is 'scale_to_peak'")
        if (self.kind == "measured") != (self.measured is not None):
            raise ValueError("`measured` is required when kind is 'measured', and only then")
        return self

    @field_validator("area_factors")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: f for k, f in v.items() if not f > 0}
        if bad:
            raise ValueError(f"area factors must be > 0, got {bad}")
        return v


class Dispatch(Section):
    """How generators meet each hour's demand (see ``gridmodel.powerflow.dispatch``)."""

    rule: Literal["participation", "economic"] = param(
        "participation",
        description="`participation`: every unit moves from Pmin toward Pmax in proportion to "
        "its range (Pmax - Pmin); the same factors carry the distributed slack. `economic`: "
        "a DC optimal power flow every hour (merit order within the branch ratings), which also "
        "gives locational marginal prices. Both commit units in merit order first.",
    )
    voll_usd_per_mwh: float = param(
        5000.0,
        description="`economic`: price of demand the running units cannot meet (or must-run "
        "output above demand).",
        unit="$/MWh",
        source="ERCOT's value of lost load in the operating reserve demand curve, equal to the "
        "high system-wide offer cap of $5,000/MWh (PUCT 16 TAC §25.505, from 2022)",
        gt=0,
    )
    overload_usd_per_mwh: float = param(
        1000.0,
        description="`economic`: penalty per MW of branch flow above its DC limit in an hour; "
        "it caps the congestion part of the prices.",
        unit="$/MWh",
        source="Assumption: above the spread of the fleet's marginal costs, so the dispatch "
        "redispatches before it overloads, and below the value of lost load, so it overloads "
        "before it sheds load",
        gt=0,
    )
    limit_fraction: float = param(
        1.0,
        description="`economic`: share of each branch's RATE_A the DC dispatch may load; below "
        "1 leaves room for reactive flow and losses, which the DC model does not see.",
        gt=0,
        le=2,
    )
    loss_factor: float | None = param(
        None,
        description="Network losses as a fraction of demand, added to the dispatch target; "
        "empty = measured on the case's own base power flow.",
        ge=0,
        lt=0.2,
    )

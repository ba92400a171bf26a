"""`period`, `load_growth`, `dispatch`: which hours, how the background load grows, how units are dispatched."""

from __future__ import annotations

from pathlib import Path
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

    rule: Literal["auto", "participation", "economic"] = param(
        "auto",
        description="`auto`: `economic` on networks of up to 5,000 buses, `participation` on "
        "larger ones (the economic rule's dense PTDF of western10k alone would take about 2 GB). "
        "`economic`: a DC optimal power flow every hour (merit order within the "
        "branch ratings), which also gives locational marginal prices. `participation`: every "
        "unit moves from Pmin toward Pmax in proportion to its range (Pmax - Pmin); the same "
        "factors carry the distributed slack. Both dispatch wind, solar and hydro within their "
        "hourly availability.",
        source="A planning base case is a secure dispatch: generation re-dispatched within "
        "branch ratings before any transmission need is charged (NERC TPL-001-5 R2, steady-state "
        "analysis of the planned system in its base case)",
    )
    commitment: Literal["network", "merit_order"] = param(
        "network",
        description="`network` (with `rule: economic`): units start in merit order, then every "
        "hour in which the DC dispatch still overloads a branch or sheds load starts the "
        "off units whose marginal cost is below the price at their bus (they relieve "
        "the constraint), until the hour is secure or no such unit is left. `merit_order`: "
        "merit order alone, blind to the network.",
    )
    availability: Literal["bundled", "none"] = param(
        "bundled",
        description="Hourly availability of wind, solar and hydro units: `bundled` = the "
        "network's table in `networks/renewables/` (see its README for sources); `none` = "
        "every unit at Pmax every hour.",
    )
    availability_csv: Path | None = param(
        None,
        description="Your own hourly availability: one row per hour of the network's load year, "
        "one column `gen <n>` per unit (n = the case's generator row, from 1), values = "
        "available MW / Pmax in [0, 1]. Its columns replace the bundled ones.",
    )
    allow_unserved_energy: bool = param(
        False,
        description="Accept hours in which the committed fleet cannot serve demand (or the "
        "slack leaves the fleet's limits) where the run is used: the hosting-capacity search "
        "and `bills`. The power flow still serves that demand through the slack; by default the "
        "search leaves those hours out (and names them) and `bills` refuses such a run.",
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
        0.95,
        description="`economic`: share of each branch's (derated, see `reactive_derating`) "
        "limit the DC dispatch may load; below 1 leaves room for losses and the reactive flow "
        "the DC model does not see.",
        source="Measured on texas2000 (2016, 144 hours sampled over the year, no campus): with "
        "reactive derating, hours with an AC loading above 100 % fall from 76 % at 1.0 to 19 % "
        "at 0.95 (7 % at 0.9, where the DC limits can no longer be met in 60 % of hours)",
        gt=0,
        le=2,
    )
    reactive_derating: bool = param(
        True,
        description="`economic`: lower each branch's DC limit to sqrt(RATE_A² - Q0²), Q0 its "
        "reactive flow in the case's own AC base case (at least a quarter of RATE_A), so that "
        "the MVA loading of the AC power flow, not only its MW, stays within the rating. Loads "
        "keep their base reactive power every hour, so Q0 is a fair estimate.",
        source="RATE_A is an MVA rating (MATPOWER); the DC model sees MW only",
    )
    slack_reserve_fraction: float = param(
        0.015,
        description="`economic`: room kept above and below the output of the units that carry "
        "the AC distributed slack, as a share of the hour's demand, so the slack can take up the "
        "error of the loss estimate within their limits (the DC dispatch sees no losses).",
        source="Modelling choice from the AC slack the default run needs: on texas2000 over "
        "2016 the power flow moved the slack units by -352 to +227 MW (1 % of 30 GW off-peak "
        "load) from the dispatch's set-points; 1.5 % covers that",
        ge=0,
        lt=0.2,
    )
    loss_factor: float | None = param(
        None,
        description="Network losses as a fraction of demand, added to the dispatch target; "
        "empty = measured on the case's own base power flow.",
        ge=0,
        lt=0.2,
    )

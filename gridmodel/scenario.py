"""Scenario schema: the only place a scenario parameter and its default are defined.

A scenario is a YAML file read by :func:`load_scenario`. Every field is validated; a wrong field
raises :class:`ScenarioError` naming the field, the value given and what is allowed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gridmodel.resources import bundled_dir


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message names the field and what is allowed."""


def _field(
    default: Any = ...,
    *,
    description: str,
    unit: str | None = None,
    source: str | None = None,
    **kw,
):
    extra = {k: v for k, v in (("unit", unit), ("source", source)) if v is not None}
    return Field(default, description=description, json_schema_extra=extra or None, **kw)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------------------------------------
# Campus load profiles


class ConstantProfile(_Strict):
    """The campus draws its rated power every hour."""

    kind: Literal["constant"] = "constant"


class CsvProfile(_Strict):
    """Hourly campus load read from a CSV file (one row per hour, from the study's first hour)."""

    kind: Literal["csv"] = "csv"
    path: Path = _field(description="CSV file; relative paths are read from the scenario's folder.")
    column: str = _field("p_mw", description="Column holding the load.")
    unit: Literal["mw", "pu"] = _field(
        "mw", description="`mw`: values are MW; `pu`: values are fractions of the campus `mw`."
    )


# ----------------------------------------------------------------------------------------------
# Campus load model (gridmodel.loads). Sources: ../shared/reference/ai_loads_and_grid_events.md.

_LLAMA3 = "Llama 3 Herd of Models (Meta, arXiv:2407.21783)"
_LLTF = "NERC LLTF white paper 'Characteristics and Risks of Emerging Large Loads' (Jul 2025)"


class Gpu(_Strict):
    """Power of one accelerator and the IT equipment that goes with it."""

    tdp_w: float = _field(
        700.0, description="Thermal design power.", unit="W", source=f"H100 SXM, {_LLAMA3}", gt=0
    )
    compute_frac: float = _field(
        1.0,
        description="Power in the compute phase of an iteration, as a fraction of TDP.",
        unit="-",
        source="GPUs run 'near TDP' in compute (Choukse et al., arXiv:2508.14318, via reviews).",
        gt=0,
        le=1.2,
    )
    comm_frac: float = _field(
        0.56,
        description="Power in the communication phase, as a fraction of TDP.",
        unit="-",
        source="Vertiv H100 test load: 2 s at 90 % then 2 s at 50 % of rating (50/90 = 0.56).",
        ge=0,
        le=1.2,
    )
    idle_frac: float = _field(
        0.09,
        description="Power of an idle GPU (job stopped, restarting), as a fraction of TDP.",
        unit="-",
        source=f"A training site fell from about 450 to about 40 MW when its job stopped ({_LLTF}).",
        ge=0,
        le=1,
    )
    other_it_w: float = _field(
        350.0,
        description="Non-GPU IT power per GPU (CPUs, memory, NICs, switches), constant.",
        unit="W",
        source="8 x H100 HGX node measured at 8.4 kW max (Latif et al., arXiv:2412.08602): "
        "8,400/8 - 700 W.",
        ge=0,
    )

    @model_validator(mode="after")
    def _ordered(self) -> Gpu:
        if not self.idle_frac <= self.comm_frac <= self.compute_frac:
            raise ValueError("need idle_frac <= comm_frac <= compute_frac")
        return self


class Waveform(_Strict):
    """The synchronous compute/communication swing of a training job."""

    period_s: float = _field(
        6.0,
        description="Iteration period.",
        unit="s",
        source=f"6 x 405e9 x 16e6 FLOP / (16,384 GPUs x 400 TFLOP/s) = 5.9 s ({_LLAMA3}); "
        "production periods are 1-10 s (arXiv:2606.22096).",
        ge=0.05,
        le=60,
    )
    duty: float = _field(
        0.5,
        description="Share of the period in the compute phase.",
        unit="-",
        source="Vertiv H100 test load, 2 s high / 2 s low.",
        gt=0,
        lt=1,
    )
    edge_s: float = _field(
        0.25,
        description="Time of each compute/communication transition at campus level.",
        unit="s",
        source="A 50 MW block of a 200 MW training site ramped at 1.9 pu/s for about 250 ms "
        "(NERC LLTF, via awesome-compute-power-coordination).",
        ge=0.001,
    )
    jitter: float = _field(
        0.02,
        description="Straggler delay of each iteration's start, uniform in [0, jitter x period).",
        unit="-",
        source="Assumption (no published value; the reference notes 'small'); it spreads the "
        "spectrum into harmonics.",
        ge=0,
        le=0.5,
    )

    @model_validator(mode="after")
    def _edges_fit(self) -> Waveform:
        shortest = min(self.duty, 1 - self.duty) * self.period_s
        if self.edge_s > shortest:
            raise ValueError(
                f"edge_s = {self.edge_s} s does not fit in the shorter phase ({shortest:g} s)"
            )
        return self


class Lifecycle(_Strict):
    """Checkpoints, interruptions, restarts and training campaigns of each job."""

    checkpoint_interval_s: float = _field(
        3600.0,
        description="Time between checkpoints (counted from each (re)start).",
        unit="s",
        source="Hourly checkpoints are typical for large jobs on Meta's RSC clusters "
        "(Kokolis et al., HPCA 2025).",
        gt=0,
    )
    checkpoint_stall_s: float = _field(
        10.0,
        description="Time the GPUs wait while a checkpoint is taken.",
        unit="s",
        source="PyTorch asynchronous DCP: 6-14 s GPU-visible downtime for 7B-13B models.",
        ge=0,
    )
    checkpoint_power_frac: float = _field(
        0.09,
        description="GPU power while stalled on a checkpoint, as a fraction of TDP.",
        unit="-",
        source=f"GPUs wait on storage, taken at the idle level ({_LLTF}).",
        ge=0,
        le=1,
    )
    interruptions_per_gpu_day: float = _field(
        466 / (54 * 16384),
        description="Job interruptions per GPU per day of training; a job's rate scales with "
        "its GPU count.",
        unit="1/(GPU*day)",
        source=f"466 interruptions in 54 days on 16,384 GPUs ({_LLAMA3}).",
        ge=0,
    )
    planned_share: float = _field(
        47 / 466,
        description="Share of interruptions that are planned (controlled stop and start).",
        unit="-",
        source=f"47 of 466 interruptions were planned ({_LLAMA3}).",
        ge=0,
        le=1,
    )
    restart_s: float = _field(
        600.0,
        description="Time from an interruption to the job computing again.",
        unit="s",
        source="Failover often > 10 min at 10,000 GPUs (ByteRobust); 5-min restarts assumed by "
        "Kokolis et al.",
        gt=0,
    )
    planned_ramp_down_s: float = _field(
        36.0,
        description="Duration of a controlled stop (planned interruption, end of campaign).",
        unit="s",
        source=f"About 450 to about 40 MW within 36 s ({_LLTF}).",
        ge=0,
    )
    planned_ramp_up_s: float = _field(
        180.0,
        description="Duration of a controlled start.",
        unit="s",
        source=f"'ramps back up to 450 MW over the course of a few minutes' ({_LLTF}).",
        ge=0,
    )
    campaign_days: float = _field(
        54.0,
        description="Length of a training campaign (one run of a job).",
        unit="d",
        source=f"The 54-day pre-training snapshot of {_LLAMA3}.",
        gt=0,
    )
    campaign_gap_h: float = _field(
        4.0,
        description="Idle time between campaigns.",
        unit="h",
        source=f"After the stop the site held about 7 MW for about 4 hours ({_LLTF}).",
        ge=0,
    )


class Inference(_Strict):
    """Inference GPUs: load follows users, by hour of day and day of week."""

    gpus: int = _field(0, description="Number of inference GPUs.", unit="GPU", ge=0)
    utilisation_min: float = _field(
        0.35,
        description="GPU utilisation at the nightly minimum.",
        unit="-",
        source="Assumption; shape from the Microsoft O365 LLM serving traces, working-hours "
        "peaks and quieter weekends (SageServe, arXiv:2502.14617).",
        ge=0,
        le=1,
    )
    utilisation_max: float = _field(
        0.85, description="GPU utilisation at the weekday peak.", unit="-", ge=0, le=1
    )
    peak_hour: float = _field(
        13.0,
        description="Local hour of the daily peak.",
        unit="h",
        source="US weekday peak of hosted LLM endpoints between 8 am and 2 pm Eastern.",
        ge=0,
        lt=24,
    )
    weekend_factor: float = _field(
        0.8,
        description="Weekend swing above the minimum, as a fraction of the weekday swing.",
        unit="-",
        source="Assumption (quieter weekends, SageServe).",
        ge=0,
        le=1,
    )
    noise_frac: float = _field(
        0.03,
        description="Standard deviation of second-to-second fluctuation, as a fraction of the "
        "inference GPUs' dynamic range; each hour's fluctuation sums to zero.",
        unit="-",
        source="Assumption.",
        ge=0,
        le=0.5,
    )

    @model_validator(mode="after")
    def _range(self) -> Inference:
        if self.utilisation_min > self.utilisation_max:
            raise ValueError("need utilisation_min <= utilisation_max")
        return self


class Facility(_Strict):
    """Power drawn by the site beyond the IT equipment."""

    pue: float = _field(
        1.3,
        description="Power usage effectiveness at design IT load and the reference temperature.",
        unit="-",
        source="New large builds reach 1.3 or better (Uptime Institute 2024 survey); the "
        "industry average is 1.58 (Uptime Intelligence, 2023).",
        ge=1,
        le=3,
    )
    distribution_loss_frac: float = _field(
        0.04,
        description="Transformer, UPS and distribution losses, as a fraction of IT power.",
        unit="-",
        source="ENERGY STAR UPS specification: large UPS efficiency about 96 %.",
        ge=0,
        lt=0.5,
    )
    auxiliary_frac: float = _field(
        0.02,
        description="Lighting, offices and controls, constant, as a fraction of design IT power.",
        unit="-",
        source="Assumption.",
        ge=0,
        lt=0.5,
    )
    cooling_lag_s: float = _field(
        600.0,
        description="Time constant of cooling power following IT power.",
        unit="s",
        source="Minutes-scale first-order lag recommended by the reference notes; not sourced.",
        gt=0,
    )
    reference_temp_c: float = _field(
        25.0, description="Ambient temperature at which `pue` holds.", unit="degC"
    )
    cooling_temp_coeff: float = _field(
        0.02,
        description="Relative change of cooling power per degree of ambient temperature.",
        unit="1/degC",
        source="Assumption (chiller and dry-cooler efficiency falls with ambient temperature).",
        ge=0,
        le=0.2,
    )
    temperature_csv: Path | None = _field(
        None,
        description="Hourly ambient temperature (column `temp_c`, one row per hour from hour 0 "
        "of the load year); empty = the reference temperature throughout.",
    )

    @model_validator(mode="after")
    def _cooling_left(self) -> Facility:
        if self.pue - 1 - self.distribution_loss_frac - self.auxiliary_frac < 0:
            raise ValueError("pue must be at least 1 + distribution_loss_frac + auxiliary_frac")
        return self


class GpuSmoothing(_Strict):
    """GPU power smoothing: the settings NVIDIA exposes through NVML (Blackwell and newer)."""

    floor_frac: float = _field(
        0.0,
        description="Minimum power floor while a job runs, as a fraction of TDP "
        "(NVML PERCENT_TMP_FLOOR).",
        unit="-",
        source="Bounding-box controller, minimum power floor 20-90 % of TDP (Choukse et al. "
        "slides).",
        ge=0,
        le=1,
    )
    ramp_up_w_per_s: float | None = _field(
        None,
        description="Ramp-up limit per GPU (NVML RAMP_UP_RATE); empty = none.",
        unit="W/s",
        gt=0,
    )
    ramp_down_w_per_s: float | None = _field(
        None,
        description="Ramp-down limit per GPU (NVML RAMP_DOWN_RATE); empty = none.",
        unit="W/s",
        gt=0,
    )
    ramp_down_hysteresis_s: float = _field(
        0.0,
        description="Delay before ramping down (NVML RAMP_DOWN_HYSTERESIS).",
        unit="s",
        ge=0,
    )


class PowerBurn(_Strict):
    """Software power burn: a secondary workload fills the communication phase."""

    target_frac: float = _field(
        0.9,
        description="Power the burner fills up to, as a fraction of TDP.",
        unit="-",
        source="'Ability to increase consumption up to 100 % of the TDP' (Choukse et al. slides).",
        gt=0,
        le=1,
    )
    slowdown: float = _field(
        0.05,
        description="Relative lengthening of each iteration.",
        unit="-",
        source="'5 % impact achieved using MPS' (Choukse et al. slides).",
        ge=0,
        lt=1,
    )


class StorageSmoothing(_Strict):
    """Battery or supercapacitor that supplies the fast part of the swing (high-pass)."""

    power_mw: float = _field(description="Power rating.", unit="MW", gt=0)
    energy_mwh: float = _field(description="Usable energy.", unit="MWh", gt=0)
    cutoff_hz: float = _field(
        0.01,
        description="High-pass cut-off: the store supplies the swing above this frequency; raised "
        "automatically when the energy is too small.",
        unit="Hz",
        gt=0,
    )
    round_trip_efficiency: float = _field(
        0.85,
        description="Round-trip efficiency.",
        unit="-",
        source="NREL ATB 2025 moderate, utility Li-ion battery (rte = 0.85).",
        gt=0,
        le=1,
    )


class Mitigation(_Strict):
    """Swing mitigation at the GPUs, in software and in storage."""

    gpu_smoothing: GpuSmoothing | None = _field(None, description="GPU power smoothing.")
    power_burn: PowerBurn | None = _field(None, description="Software power burn.")
    storage: StorageSmoothing | None = _field(None, description="Storage smoothing.")


class Flexibility(_Strict):
    """Curtailment events at the system's highest-load days."""

    budget_fraction: float = _field(
        0.005,
        description="Curtailed energy as a fraction of the campus's energy over the period.",
        unit="-",
        source="Duke Nicholas Institute 'Rethinking Load Growth' (2025): 0.25 / 0.5 / 1 %.",
        gt=0,
        lt=0.2,
    )
    depth: float = _field(
        0.25,
        description="Reduction of IT power during an event.",
        unit="-",
        source="EPRI DCFlex Phoenix trial: 25 % for three hours (arXiv:2507.00909).",
        gt=0,
        le=1,
    )
    duration_h: float = _field(
        2.1,
        description="Time at full depth per event.",
        unit="h",
        source="Duke (2025): mean event 2.1 h at a 0.5 % budget.",
        gt=0,
        le=24,
    )
    ramp_s: float = _field(
        900.0,
        description="Ramp into and out of an event.",
        unit="s",
        source="DCFlex trial: ramp down and up gracefully over 15 minutes.",
        ge=0,
    )


class DipCounting(_Strict):
    """Transfer to backup after N voltage dips within a window (prohibited by NOGRR282)."""

    threshold_pu: float = _field(
        0.7,
        description="A dip is the voltage falling below this.",
        unit="pu",
        source="Threshold not published; the July 2024 dips reached 0.25-0.40 pu (NERC incident "
        "review, via secondary sources).",
        gt=0,
        lt=1,
    )
    count: int = _field(
        3,
        description="Dips that trigger the transfer.",
        source="'three voltage disturbances within one minute cause the load to transfer to "
        "backup' (NERC incident review, Jan 2025).",
        ge=1,
    )
    window_s: float = _field(60.0, description="Counting window.", unit="s", gt=0)


class FaultResponse(_Strict):
    """Ride-through or transfer to backup when the site voltage dips."""

    ride_through_curve: list[tuple[float, float]] = _field(
        [(0.9, 2.0), (0.8, 0.5), (0.5, 0.25), (0.2, 0.15)],
        description="[v_pu, s] pairs: the campus transfers to backup when the voltage stays "
        "below v_pu for longer than s.",
        source="ERCOT NOGRR282 LEL ride-through: 2.0 s at 0.80-0.90, 0.5 s at 0.50-0.80, "
        "0.25 s at 0.20-0.50, 0.15 s below 0.20 pu.",
    )
    cessation_pu: float = _field(
        0.9,
        description="Below this voltage a riding-through campus draws from its UPS, not the grid.",
        unit="pu",
        source="NOGRR282 continuous range 0.90-1.10 pu.",
        gt=0,
        le=1,
    )
    recovery_s: float = _field(
        2.0,
        description="Time to return to 90 % of the pre-dip load after the voltage recovers.",
        unit="s",
        source="NOGRR282: 90 % within 2 s of voltage above 0.9 pu.",
        ge=0,
    )
    dip_counting: DipCounting | None = _field(
        None, description="Sag-counting transfer scheme (the July 2024 Virginia behaviour)."
    )
    stay_off_s: float = _field(
        14400.0,
        description="Time on backup after a transfer before reconnecting.",
        unit="s",
        source=f"1,260 of 1,500 MW 'did not return for hours' (July 2024); about 4 h ({_LLTF}).",
        ge=0,
    )
    reconnect_ramp_mw_per_min: float = _field(
        20.0,
        description="Ramp of grid-side load when reconnecting.",
        unit="MW/min",
        source="NERC Level 2 alert (Sep 2025): most ramp limits between 10 and 30 MW/min.",
        gt=0,
    )

    @field_validator("ride_through_curve")
    @classmethod
    def _curve(cls, v):
        if any(not (0 < p <= 1.2 and s >= 0) for p, s in v):
            raise ValueError("each point needs 0 < v_pu <= 1.2 and s >= 0")
        return v


class Compliance(_Strict):
    """Limits the profile is checked against (``gridmodel.loads.metrics``)."""

    p2p_5s_mw: float = _field(
        10.0,
        description="Peak-to-peak power in any rolling 5 s, filtered to 0.1-55 Hz.",
        unit="MW",
        source="ERCOT proposed power-variation limit (LCL discussion, Jun 2026).",
        gt=0,
    )
    band_energy_share: float = _field(
        0.2,
        description="Share of fluctuation energy allowed in 0.1-20 Hz.",
        unit="-",
        source="Choukse et al. (arXiv:2508.14318): 20 % of harmonic energy in 0.1-20 Hz.",
        gt=0,
        le=1,
    )
    ramp_mw_per_min: float = _field(
        20.0,
        description="Change of the 1-minute mean power from one minute to the next.",
        unit="MW/min",
        source="CAISO straw proposal, IESO, Southern Co.: 20 MW/min (NERC alert: 10-30).",
        gt=0,
    )


class ModelProfile(_Strict):
    """Campus load from the AI campus load model (``gridmodel.loads``)."""

    kind: Literal["model"] = "model"
    gpus: int = _field(description="Training GPUs.", unit="GPU", ge=0)
    jobs: int = _field(1, description="Training jobs sharing the GPUs equally.", ge=1)
    gpu: Gpu = _field(default_factory=Gpu, description="Accelerator power.")
    waveform: Waveform = _field(default_factory=Waveform, description="Iteration swing.")
    lifecycle: Lifecycle = _field(default_factory=Lifecycle, description="Job lifecycle.")
    inference: Inference = _field(default_factory=Inference, description="Inference GPUs.")
    facility: Facility = _field(default_factory=Facility, description="PUE, cooling, losses.")
    mitigation: Mitigation = _field(default_factory=Mitigation, description="Swing mitigation.")
    flexibility: Flexibility | None = _field(None, description="Curtailment events.")
    compliance: Compliance = _field(default_factory=Compliance, description="Checked limits.")

    @model_validator(mode="after")
    def _some_gpus(self) -> ModelProfile:
        if self.gpus + self.inference.gpus == 0:
            raise ValueError("need gpus > 0 or inference.gpus > 0")
        if self.gpus and self.gpus < self.jobs:
            raise ValueError(f"{self.jobs} jobs need at least as many GPUs (gpus = {self.gpus})")
        return self


Profile = Annotated[ConstantProfile | CsvProfile | ModelProfile, Field(discriminator="kind")]


class Campus(_Strict):
    """An AI campus connected at one bus."""

    name: str = _field(description="Label used in results.")
    site: str | None = _field(None, description="Site name from the network descriptor.")
    bus: int | None = _field(None, description="Case bus number (instead of `site`).")
    mw: float | None = _field(
        None,
        description="Rated grid-side demand; required for `constant` and `csv` profiles, derived "
        "from the GPUs for `model`.",
        unit="MW",
        gt=0,
    )
    power_factor: float = _field(
        0.95,
        description="Lagging power factor of the campus demand.",
        unit="-",
        source="80 PLUS Platinum/Titanium server power supplies must reach PF >= 0.95 at 50 % "
        "load (80 PLUS programme, CLEAResult); taken as the campus aggregate.",
        gt=0,
        le=1,
    )
    profile: Profile = _field(default_factory=ConstantProfile, description="Hourly load shape.")
    fault_response: FaultResponse = _field(
        default_factory=FaultResponse,
        description="Ride-through or transfer to backup on a voltage dip (`gridmodel events`).",
    )

    @model_validator(mode="after")
    def _one_location(self) -> Campus:
        if (self.site is None) == (self.bus is None):
            raise ValueError("give exactly one of `site` or `bus`")
        if isinstance(self.profile, ModelProfile) and self.mw is not None:
            raise ValueError("`mw` is derived from the GPUs for a `model` profile; remove it")
        if not isinstance(self.profile, ModelProfile) and self.mw is None:
            raise ValueError("`mw` is required for a constant or csv profile")
        return self


# ----------------------------------------------------------------------------------------------
# Background load, dispatch and study options


class Period(_Strict):
    """Which hours of the network's load year are studied."""

    start_hour: int = _field(0, description="First hour (0 = 1 January 00:00).", unit="h", ge=0)
    hours: int | None = _field(
        None, description="Number of hours; empty = to the end of the load year.", unit="h", gt=0
    )


class LoadGrowth(_Strict):
    """Scaling of the network's own (non-campus) hourly loads."""

    kind: Literal["none", "factor", "scale_to_peak"] = _field(
        "none",
        description="`factor`: multiply every hour by `factor`; `scale_to_peak`: scale so the "
        "system peak over the whole load year equals `peak_mw`.",
    )
    factor: float = _field(1.0, description="Multiplier for `kind: factor`.", gt=0)
    peak_mw: float | None = _field(
        None, description="Target system peak for `kind: scale_to_peak`.", unit="MW", gt=0
    )
    area_factors: dict[str, float] = _field(
        default_factory=dict, description="Extra multiplier per area name, applied after `kind`."
    )

    @model_validator(mode="after")
    def _peak_given(self) -> LoadGrowth:
        if self.kind == "scale_to_peak" and self.peak_mw is None:
            raise ValueError("`peak_mw` is required when kind is 'scale_to_peak'")
        return self

    @field_validator("area_factors")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        bad = {k: f for k, f in v.items() if not f > 0}
        if bad:
            raise ValueError(f"area factors must be > 0, got {bad}")
        return v


class Dispatch(_Strict):
    """How generators meet each hour's demand (see ``gridmodel.powerflow.dispatch``)."""

    rule: Literal["participation", "economic"] = _field(
        "participation",
        description="`participation`: every unit moves from Pmin toward Pmax in proportion to "
        "its range (Pmax - Pmin); the same factors carry the distributed slack. `economic`: "
        "a DC optimal power flow every hour (merit order within the branch ratings), which also "
        "gives locational marginal prices. Both commit units in merit order first.",
    )
    voll_usd_per_mwh: float = _field(
        5000.0,
        description="`economic`: price of demand the running units cannot meet (or must-run "
        "output above demand).",
        unit="$/MWh",
        source="ERCOT's value of lost load in the operating reserve demand curve, equal to the "
        "high system-wide offer cap of $5,000/MWh (PUCT 16 TAC §25.505, from 2022)",
        gt=0,
    )
    overload_usd_per_mwh: float = _field(
        1000.0,
        description="`economic`: penalty per MW of branch flow above its DC limit in an hour; "
        "it caps the congestion part of the prices.",
        unit="$/MWh",
        source="Assumption: above the spread of the fleet's marginal costs, so the dispatch "
        "redispatches before it overloads, and below the value of lost load, so it overloads "
        "before it sheds load",
        gt=0,
    )
    limit_fraction: float = _field(
        1.0,
        description="`economic`: share of each branch's RATE_A the DC dispatch may load; below "
        "1 leaves room for reactive flow and losses, which the DC model does not see.",
        gt=0,
        le=2,
    )
    loss_factor: float | None = _field(
        None,
        description="Network losses as a fraction of demand, added to the dispatch target; "
        "empty = measured on the case's own base power flow.",
        ge=0,
        lt=0.2,
    )


HourSpec = Annotated[int, Field(ge=0)] | Literal["peak", "valley"]


class Contingencies(_Strict):
    """N-1 branch screening."""

    hours: list[HourSpec] = _field(
        ["peak"],
        description="Study hours screened: `peak`, `valley` or hour indices in the period.",
    )
    set: Literal["all_branches", "case_table"] = _field(
        "all_branches",
        description="`all_branches`: every in-service branch; `case_table`: the case's own "
        "contingency table (branch outages).",
    )
    rating_factor: float = _field(
        1.0,
        description="Post-contingency limit as a multiple of RATE_A.",
        source="The ACTIVSg cases carry RATE_A only (RATE_B = RATE_C = 0), so emergency "
        "ratings default to the normal rating.",
        gt=0,
    )


class HostingCapacity(_Strict):
    """Largest campus size at a site with no new violation over the chosen hours."""

    site: str | None = _field(None, description="Site name; empty = the first campus's location.")
    hours: list[HourSpec] | int = _field(
        24,
        description="Hours checked: a list of hour specs, or N = the N highest-load hours.",
    )
    max_mw: float = _field(5000.0, description="Upper end of the search.", unit="MW", gt=0)
    tolerance_percent: float = _field(
        0.5, description="Bisection stops when the bracket is this narrow.", unit="%", gt=0
    )
    n1: bool = _field(True, description="Also compute the N-1 hosting capacity (peak hour).")


class Study(_Strict):
    """What the grid-stress run analyses and reports."""

    loading_limit_percent: float = _field(
        100.0, description="Branch loading above which a branch is overloaded.", unit="%", gt=0
    )
    voltage_limits: Literal["case"] | tuple[float, float] = _field(
        "case",
        description="`case`: each bus's VMIN/VMAX from the case file; or [vmin, vmax] in pu.",
    )
    worst_branches: int = _field(10, description="Branches shown in tables and figures.", gt=0)
    contingencies: Contingencies | None = _field(
        default_factory=Contingencies, description="N-1 screening; empty to skip."
    )
    hosting_capacity: HostingCapacity | None = _field(
        default_factory=HostingCapacity, description="Hosting capacity search; empty to skip."
    )
    worsening_percent: float = _field(
        5.0,
        description="A branch overload is charged to a campus (hosting capacity) or to an outage "
        "(N-1) only if that cause raised the branch's loading by at least this many percentage "
        "points of its rating.",
        unit="%",
        source="5 % contribution cut-off of PJM's deliverability tests (PJM Manual 14B, "
        "generator and load deliverability procedures).",
        ge=0,
    )
    worsening_vm_pu: float = _field(
        0.01,
        description="The same for voltages: a bus outside its limits is charged to the cause only "
        "if the cause moved it outward by at least this much.",
        unit="pu",
        source="Modelling choice: a little more than one step (0.625 %) of a standard "
        "+/-10 %, 32-step load tap changer, i.e. a change an operator would notice; no planning "
        "standard fixes this value.",
        ge=0,
    )
    max_iter: int = _field(
        15,
        description="Newton-Raphson iteration limit per hour.",
        source="An hour not converged in 15 iterations from the base-case voltage is reported as "
        "not converged (pandapower's own NR default is 10).",
        gt=0,
    )
    tolerance_mva: float = _field(
        1e-6, description="Newton-Raphson mismatch tolerance.", unit="MVA", gt=0
    )

    @field_validator("voltage_limits")
    @classmethod
    def _ordered(cls, v):
        if v != "case" and not (0 < v[0] < v[1]):
            raise ValueError(f"need 0 < vmin < vmax, got {list(v)}")
        return v


# ----------------------------------------------------------------------------------------------
# Grid events (gridmodel.dynamics)

_JULY_2024 = (
    "NERC incident review of the 10 July 2024 Virginia event, as quoted in "
    "ai_loads_and_grid_events.md s.3"
)


class FaultSequence(_Strict):
    """A three-phase fault that is cleared and reclosed onto again: the dips at every campus."""

    site: str | None = _field(None, description="Faulted bus, as a site of the network.")
    bus: int | None = _field(None, description="Faulted bus, as a case bus number.")
    times_s: list[float] = _field(
        [1.0, 17.4, 33.8, 50.2, 66.6, 83.0],
        description="Inception time of each fault (initial fault and reclosures).",
        unit="s",
        source=f"Six faults in 82 s from three reclosing attempts at each end ({_JULY_2024}); "
        "even spacing is an assumption (the intervals were not published).",
    )
    duration_s: float = _field(
        0.054,
        description="Time to clear each fault.",
        unit="s",
        source=f"Each fault lasted 42-66 ms ({_JULY_2024}); midpoint.",
        gt=0,
    )
    r_ohm: float = _field(0.0, description="Fault resistance (0 = bolted).", unit="ohm", ge=0)
    x_ohm: float = _field(0.0, description="Fault reactance.", unit="ohm", ge=0)
    x_dss_pu: float = _field(
        0.2,
        description="Generator subtransient reactance on machine base.",
        unit="pu",
        source="Kundur, Power System Stability and Control (1994), Table 4.2: round-rotor "
        "x''d 0.12-0.25 pu.",
        gt=0,
    )

    @model_validator(mode="after")
    def _one_location(self) -> FaultSequence:
        if (self.site is None) == (self.bus is None):
            raise ValueError("give exactly one of `site` or `bus`")
        if not self.times_s or any(t < 0 for t in self.times_s):
            raise ValueError(f"times_s needs one or more times >= 0, got {self.times_s}")
        return self


class Oscillation(_Strict):
    """Forced-oscillation screening of campus swings against ANDES electromechanical modes."""

    case: Literal["kundur", "ieee14"] = _field(
        "kundur",
        description="ANDES dynamic case: `kundur` (two-area system, GENROU + TGOV1 + EXDC2, "
        "a lightly damped inter-area mode) or `ieee14`.",
    )
    bus: int = _field(7, description="ANDES bus (idx) where the campus swing is injected.", ge=1)
    campus: str | None = _field(
        None,
        description="Campus (with a `model` profile) whose swing is screened; empty = the first.",
    )
    band_hz: tuple[float, float] = _field(
        (0.05, 2.5), description="Swing frequencies swept.", unit="Hz"
    )
    points: int = _field(150, description="Frequencies in the sweep.", ge=10)
    smoothing_floors: list[float] = _field(
        [0.0, 0.5, 0.7, 0.9],
        description="GPU power-smoothing floors compared (fraction of TDP; 0 = none).",
        source="NVIDIA GB200/GB300 power smoothing exposes a floor as a fraction of TDP "
        "(see `mitigation.gpu_smoothing`).",
    )
    scale: Literal["system_share", "none"] = _field(
        "system_share",
        description="`system_share`: the swing is scaled so the campus has the same share of the "
        "ANDES case's load as of the network's load at the event hour; `none`: injected as is "
        "(the case stands for the campus's own region).",
    )
    limit_mhz: float = _field(
        17.0,
        description="Frequency oscillation (peak) above which the swing is a risk.",
        unit="mHz",
        source="NERC BAL-001-TRE governor deadband of +/-0.017 Hz: a larger forced oscillation "
        "exercises every governor (standard not among the shared sources; screening choice).",
        gt=0,
    )
    time_domain_check: bool = _field(
        True, description="Run the worst swing in the ANDES time domain and compare."
    )

    @field_validator("band_hz")
    @classmethod
    def _band(cls, v):
        if not 0 < v[0] < v[1] <= 10:
            raise ValueError(f"need 0 < low < high <= 10 Hz, got {list(v)}")
        return v


class Events(_Strict):
    """Fault-triggered campus trips, frequency response and post-event power flow."""

    hour: HourSpec = _field(
        "peak", description="Study hour of the event: `peak`, `valley` or an index in the period."
    )
    systems: list[str] = _field(
        ["ercot", "eastern"],
        description="Frequency-response parameter sets (`gridmodel/dynamics/systems.csv`).",
    )
    fault: FaultSequence | None = _field(None, description="The fault; empty = no cascade.")
    window_s: float = _field(120.0, description="Simulated time.", unit="s", gt=0)
    dt_s: float = _field(0.005, description="Time step.", unit="s", gt=0, le=0.02)
    lost_mw: list[float] = _field(
        [250, 500, 750, 1000, 1500, 2000, 2750, 3500, 5000, 7500],
        description="Sweep of sudden load losses (and generator trips of the same size).",
        unit="MW",
    )
    trajectories_mw: list[float] = _field(
        [500, 1500, 2750, 5000], description="Losses drawn as frequency trajectories.", unit="MW"
    )
    oscillation: Oscillation | None = _field(
        default_factory=Oscillation, description="Forced-oscillation screening; empty to skip."
    )

    @field_validator("systems")
    @classmethod
    def _known_systems(cls, v):
        from gridmodel.dynamics.frequency import system_table

        known = list(system_table().index)
        bad = [x for x in v if x not in known]
        if bad or not v:
            raise ValueError(f"unknown system(s) {bad}; allowed: {known}")
        return v

    @field_validator("lost_mw", "trajectories_mw")
    @classmethod
    def _positive(cls, v):
        if not v or any(x <= 0 for x in v):
            raise ValueError(f"need one or more MW values > 0, got {v}")
        return sorted(v)


# ----------------------------------------------------------------------------------------------
# Optimisation (gridmodel.optimize)

Technology = Literal["gas_cc", "frame_ct", "aero_ct", "recip", "battery", "solar"]


class Costs(_Strict):
    """Cost year, fuel and CO2 prices and financing shared by every optimisation."""

    year: Literal[2025, 2030] = _field(
        2030,
        description="Cost year of the technology table (`gridmodel/optimize/technologies.csv`).",
        source="NREL ATB 2025 Moderate; 2030 = first year new gas ordered now can run "
        "(turbine waits of 1-7 years, S&P Global 2025, rates_and_costs.md section 8)",
    )
    gas_usd_per_mmbtu: float = _field(
        4.28,
        description="Delivered gas price.",
        unit="$/MMBtu",
        source="EIA STEO Sept 2025, Henry Hub 2026 (rates_and_costs.md section 8)",
        gt=0,
    )
    co2_usd_per_t: float = _field(0.0, description="CO2 price (0 = none).", unit="$/t", ge=0)
    wacc: float = _field(
        0.0799,
        description="Nominal after-tax weighted average cost of capital.",
        source="Derived from ATB 2024 financing in ReEDS: 8 % debt, 10.5 % ROE, 55 % debt, "
        "25.74 % tax (rates_and_costs.md section 6)",
        ge=0,
        lt=0.3,
    )


class Expansion(_Strict):
    """Regional generation and storage expansion on the scenario's network."""

    network: Literal["auto", "bus", "zonal"] = _field(
        "auto",
        description="`bus`: every bus with DC power-flow limits; `zonal`: one node per area with "
        "transfer limits from the tie branches; `auto`: zonal above 500 buses.",
    )
    technologies: list[Technology] = _field(
        ["gas_cc", "frame_ct", "battery"], description="Technologies that may be built."
    )
    sites: list[str] | None = _field(
        None,
        description="Descriptor site names where new capacity may go; empty = every site of the "
        "network descriptor (zonal: their areas).",
    )
    max_mw_per_site: float | None = _field(
        None, description="Build limit per technology and site.", unit="MW", gt=0
    )
    typical_periods: int | None = _field(
        12,
        description="Typical periods chosen by tsam (plus the peak-load period); empty = every "
        "hour in sequence.",
        ge=1,
    )
    hours_per_period: int = _field(24, description="Length of a typical period.", unit="h", ge=1)
    reserve_margin: float | None = _field(
        0.178,
        description="Planning reserve margin over the peak (empty = off).",
        source="PJM 2025/26 BRA reserve-margin target 17.8 % (rates_and_costs.md section 1a)",
        ge=0,
    )
    operating_reserves: bool = _field(
        True,
        description="Upward reserve for the largest unit and downward reserve for the largest "
        "campus load loss, every snapshot.",
    )
    voll_usd_per_mwh: float | None = _field(
        None,
        description="Value of lost load; empty = no unserved energy allowed.",
        unit="$/MWh",
        gt=0,
    )


class GridSupply(_Strict):
    """Terms on which a campus draws from the grid."""

    price_usd_per_mwh: float | Literal["lmp"] | Path = _field(
        81.0,
        description="Energy price: a number, a CSV with one `price_usd_per_mwh` value per "
        "hour of the load year, or `lmp`: the hourly locational marginal price at the campus's "
        "bus from the economic dispatch (needs `dispatch.rule: economic`).",
        unit="$/MWh",
        source="US industrial average 8.1 cents/kWh in 2024 (LBNL/EIA, rates_and_costs.md section 2)",
    )
    contract_mw: float | None = _field(
        None, description="Fixed contract level; empty = chosen by the optimiser.", unit="MW", ge=0
    )
    contract_usd_per_kw_yr: float = _field(
        0.0, description="Charge per kW of contract level.", unit="$/kW-yr", ge=0
    )
    demand_charge_usd_per_kw_month: float = _field(
        0.0, description="Charge on each month's peak import.", unit="$/kW-month", ge=0
    )
    transmission_4cp_usd_per_kw_yr: float = _field(
        0.0,
        description="ERCOT-style 4CP transmission charge on the mean import in the four summer "
        "system-peak hours (June-September).",
        unit="$/kW-yr",
        source="ERCOT TSP charges are $50-150+/kW-yr (rates_and_costs.md section 6); 0 = off",
        ge=0,
    )
    ramp_mw_per_min: float | None = _field(
        None,
        description="Utility ramp limit on the import (empty = none).",
        unit="MW/min",
        gt=0,
    )
    available_from_hour: int = _field(
        0,
        description="First hour of grid supply (bridge power before the interconnection).",
        unit="h",
        ge=0,
    )
    outage_hours: list[tuple[int, int]] = _field(
        [], description="Hour ranges [start, end) with no grid (faults, islanding)."
    )


class CampusSizing(_Strict):
    """Behind-the-meter sizing for one campus, reported beside its grid-only twin."""

    campus: str | None = _field(None, description="Campus name; empty = the first campus.")
    technologies: list[Technology] = _field(
        ["recip", "aero_ct", "battery"], description="Technologies that may be built on site."
    )
    redundancy: Literal["none", "n+1"] = _field(
        "none", description="`n+1`: the gas fleet alone carries the peak with its largest unit out."
    )
    solar_cf_csv: Path | None = _field(
        None,
        description="CSV with an hourly `cf` column (0-1) for the load year; needed for solar.",
    )
    grid: GridSupply = _field(default_factory=GridSupply, description="Grid supply terms.")
    emissions_cap_t: float | None = _field(
        None, description="Annual CO2 cap on the gas units.", unit="t/yr", ge=0
    )
    voll_usd_per_mwh: float | None = _field(
        None,
        description="Value of lost load; empty = no unserved energy allowed.",
        unit="$/MWh",
        gt=0,
    )


class Optimize(_Strict):
    """What `gridmodel optimize` sizes."""

    costs: Costs = _field(default_factory=Costs, description="Costs and financing.")
    expansion: Expansion | None = _field(None, description="Regional expansion.")
    campus: CampusSizing | None = _field(None, description="Behind-the-meter campus sizing.")


# ----------------------------------------------------------------------------------------------
# Bills (gridmodel.rates). Sources: ../shared/reference/rates_and_costs.md (sections cited).

RETAIL_CLASSES = ("residential", "commercial", "industrial")
AllocationMethod = Literal["energy", "1cp", "4cp", "12cp", "average_and_excess", "ncp"]
Region = Literal["us", "texas", "virginia", "maryland", "ohio"]


class Baseline(_Strict):
    """Today's rates and how today's revenue requirement splits by function and classification."""

    region: Region = _field(
        "us",
        description="Region of the household and rate figures in `gridmodel/rates/regions.csv`.",
    )
    household_kwh_per_month: float | None = _field(
        None,
        description="Typical household use; empty = the region's figure.",
        unit="kWh/month",
        gt=0,
    )
    residential_cents_per_kwh: float | None = _field(
        None, description="Today's residential price; empty = the region's.", unit="c/kWh", gt=0
    )
    all_sector_cents_per_kwh: float | None = _field(
        None,
        description="Today's all-sector average price; empty = the region's.",
        unit="c/kWh",
        gt=0,
    )
    function_share: dict[str, float] = _field(
        {"generation": 0.56, "transmission": 0.13, "distribution": 0.31},
        description="Shares of today's revenue requirement by function (sum to 1).",
        source="EIA, Electricity Explained: factors affecting electricity prices (US average "
        "price: generation 56 %, transmission 13 %, distribution 31 %)",
    )
    generation_energy_share: float = _field(
        0.45,
        description="Share of generation cost classified as energy (fuel, variable O&M); the rest "
        "is demand-related (plant).",
        source="Derived: ATB 2024 gas CC at 50 % capacity factor, fixed 35 $/MWh (1,224 $/kW x FCR "
        "0.098 + 33.8 $/kW-yr) vs fuel and VOM 29 $/MWh (6.33 MMBtu/MWh x 4.28 $/MMBtu + 2.14) "
        "(rates_and_costs.md sections 6, 8)",
        ge=0,
        le=1,
    )
    distribution_customer_share: float = _field(
        0.10,
        description="Share of distribution cost classified as customer-related (meters, service "
        "drops, billing); the rest is demand-related.",
        source="Assumption following RAP, Electric Cost Allocation for a New Era (2020), which "
        "classifies only meters, services and billing as customer-related (rates_and_costs.md "
        "section 6); no share was read",
        ge=0,
        le=1,
    )

    @field_validator("function_share")
    @classmethod
    def _functions(cls, v: dict[str, float]) -> dict[str, float]:
        need = {"generation", "transmission", "distribution"}
        if set(v) != need:
            raise ValueError(f"give exactly the functions {sorted(need)}, got {sorted(v)}")
        return _shares_sum_to_one(v)


def _shares_sum_to_one(v: dict[str, float]) -> dict[str, float]:
    if any(not x >= 0 for x in v.values()):
        raise ValueError(f"shares must be >= 0, got {v}")
    if abs(sum(v.values()) - 1.0) > 1e-6:
        raise ValueError(f"shares must sum to 1, they sum to {sum(v.values()):.6g}")
    return v


class ClassLoads(_Strict):
    """Hourly loads of the retail classes, split from the network's hourly system load."""

    energy_share: dict[str, float] = _field(
        {"residential": 0.38, "commercial": 0.36, "industrial": 0.26},
        description="Annual energy share of each retail class (sum to 1).",
        source="EIA Electric Power Annual, retail sales by sector, US 2022-2023 (rounded)",
    )
    commercial_weather_sensitivity: float = _field(
        0.5,
        description="Commercial load follows the system's swing around its mean at this "
        "fraction; industrial load is flat and residential takes the rest.",
        source="Calibration: gives a residential share of the summer peak of 0.50-0.60 on the "
        "Texas case, the range of residential shares of demand-related cost "
        "(MD OPC 51 %, JLARC 55 %; rates_and_costs.md section 6)",
        ge=0,
        le=1,
    )
    csv: Path | None = _field(
        None,
        description="CSV with hourly MW columns residential, commercial, industrial for the load "
        "year; replaces the split (shares are then taken from the file).",
    )
    customers_per_residential: dict[str, float] = _field(
        {"commercial": 0.133, "industrial": 0.0074},
        description="Commercial and industrial customers per residential customer.",
        source="EIA-861 2022 US customer counts (about 142.6 M residential, 19.0 M commercial, "
        "1.05 M industrial)",
    )

    @field_validator("energy_share")
    @classmethod
    def _classes(cls, v: dict[str, float]) -> dict[str, float]:
        if set(v) != set(RETAIL_CLASSES):
            raise ValueError(f"give exactly the classes {list(RETAIL_CLASSES)}, got {sorted(v)}")
        return _shares_sum_to_one(v)


class Allocation(_Strict):
    """Allocator of each function's demand-related cost (energy costs go by energy, customer
    costs by customer count)."""

    generation: AllocationMethod = _field(
        "12cp",
        description="Generation demand allocator.",
        source="NARUC Cost Allocation Manual (1992)",
    )
    transmission: AllocationMethod = _field(
        "4cp",
        description="Transmission allocator.",
        source="ERCOT 4CP transmission charges (rates_and_costs.md section 6)",
    )
    distribution: AllocationMethod = _field(
        "ncp",
        description="Distribution demand allocator (large loads at transmission voltage take "
        "no distribution cost).",
        source="1NCP for local system demand (rates_and_costs.md section 6)",
    )
    compare: list[AllocationMethod] = _field(
        ["energy", "1cp", "4cp", "12cp", "average_and_excess"],
        description="Methods compared side by side for generation and transmission.",
    )


class LargeLoadTariff(_Strict):
    """Protections in a large-load tariff."""

    min_take_td: float = _field(
        0.85,
        description="Minimum billed T&D demand as a share of contract demand.",
        source="AEP Ohio DCT 85 %; Dominion GS-5 85 % T&D (rates_and_costs.md section 5)",
        ge=0,
        le=1,
    )
    min_take_generation: float = _field(
        0.60,
        description="Minimum billed generation demand as a share of contract demand.",
        source="Dominion GS-5 60 % generation (rates_and_costs.md section 5)",
        ge=0,
        le=1,
    )
    term_years: int = _field(
        14,
        description="Contract term from the first year of service.",
        unit="yr",
        source="Dominion GS-5 14-year agreements (rates_and_costs.md section 5)",
        ge=1,
    )
    exit_fee_years: float = _field(
        5.0,
        description="Exit fee as years of minimum bills (capped by the years left in the term).",
        unit="yr",
        source="I&M proposal: termination fee of 5 years' minimum bills (rates_and_costs.md "
        "section 5)",
        ge=0,
    )
    collateral_musd: float | None = _field(
        None,
        description="Collateral that secures the exit fee; only this much is recovered if "
        "given (empty = the fee is paid in full).",
        unit="$M",
        source="Collateral amounts NOT FOUND in the sources read (rates_and_costs.md section 5)",
        ge=0,
    )


class LargeLoad(_Strict):
    """A data-centre campus as a retail customer: forecast, realised load and tariff."""

    campus: str = _field(description="Campus name from `campuses` (its hourly profile and MW).")
    first_year: int = _field(0, description="Year of first service (0 = `start_year`).", ge=0)
    ramp_years: int = _field(
        4,
        description="Years from first service to full contract demand.",
        unit="yr",
        source="AEP Ohio DCT ramp of up to 4 years (rates_and_costs.md section 5)",
        ge=1,
    )
    materialisation: float = _field(
        1.0,
        description="Realised load as a fraction of the forecast.",
        source="Scenario input; 0.5-1.0 range (rates_and_costs.md, implications table)",
        ge=0,
        le=1,
    )
    leaves_after_years: int | None = _field(
        None, description="Years of service after which the campus leaves (empty = stays).", ge=0
    )
    btm_peak_avoidance: float = _field(
        0.0,
        description="Share of the campus's coincident-peak demand served behind the meter "
        "(4CP avoidance).",
        ge=0,
        le=1,
    )
    tariff: LargeLoadTariff | None = _field(
        default_factory=LargeLoadTariff,
        description="Large-load tariff protections; empty = standard tariff, no minimum take.",
    )


class CapacityMarket(_Strict):
    """PJM-style capacity market: a zonal price from given prices or a sloped demand curve."""

    price_usd_per_mw_day: float | list[float] | None = _field(
        None,
        description="Clearing price, one value or one per year; empty = from the demand curve.",
        unit="$/MW-day",
    )
    baseline_price_usd_per_mw_day: float = _field(
        269.92,
        description="Price already in today's rates.",
        unit="$/MW-day",
        source="PJM 2025/26 BRA RTO price (rates_and_costs.md section 1a)",
        ge=0,
    )
    market_peak_mw: float | None = _field(
        None,
        description="Forecast peak of the whole market the curve clears (e.g. the RTO); the "
        "campuses add to it. Empty = the scenario's own system.",
        unit="MW",
        source="PJM 2026/27 peak forecast 159,329 MW (rates_and_costs.md section 1a)",
        gt=0,
    )
    supply_ucap_mw: float | None = _field(
        None,
        description="Offered capacity for the demand curve; empty = calibrated so that today's "
        "market requirement clears at the baseline price.",
        unit="MW",
        gt=0,
    )
    cap_usd_per_mw_day: float = _field(
        329.17,
        description="Price cap.",
        unit="$/MW-day",
        source="PJM 2026/27 collar as realised (rates_and_costs.md section 1a)",
        gt=0,
    )
    floor_usd_per_mw_day: float = _field(
        177.24,
        description="Price floor.",
        unit="$/MW-day",
        source="PJM 2026/27 collar floor (rates_and_costs.md section 1a)",
        ge=0,
    )
    surplus_at_floor: float = _field(
        0.05,
        description="Supply above the requirement (fraction) at which the price reaches the "
        "floor; the price is at the cap at or below the requirement and linear between.",
        source="Assumption: PJM cleared at the cap when 6,623 MW (about 5 %) short and near the "
        "old cap 0.7 points above target (rates_and_costs.md section 1a); the VRR points were "
        "not read",
        gt=0,
    )

    @model_validator(mode="after")
    def _collar(self) -> CapacityMarket:
        if self.floor_usd_per_mw_day > self.cap_usd_per_mw_day:
            raise ValueError("the floor must not exceed the cap")
        return self


class Procurement(_Strict):
    """How the utility supplies capacity for forecast load."""

    market: Literal["vertically_integrated", "capacity_market", "energy_only"] = _field(
        "vertically_integrated",
        description="`vertically_integrated`: the utility builds `technology` for the forecast "
        "load plus reserve margin and recovers it in rates; `capacity_market`: load pays the "
        "capacity price on its forecast obligation; `energy_only`: no capacity cost (ERCOT).",
    )
    technology: Technology = _field(
        "frame_ct", description="Technology built for forecast load (vertically integrated)."
    )
    reserve_margin: float = _field(
        0.178,
        description="Reserve margin procured over forecast peak.",
        source="PJM 2025/26 reserve-margin target 17.8 % (rates_and_costs.md section 1a)",
        ge=0,
    )
    lead_years: int = _field(
        2,
        description="Capacity is committed this many years ahead of the forecast need.",
        unit="yr",
        source="Turbine waits of 1-7 years (S&P Global 2025, rates_and_costs.md section 8)",
        ge=0,
    )
    cost_year: Literal[2025, 2030] = _field(
        2030, description="Cost year of the technology table.", source="NREL ATB 2025 Moderate"
    )
    energy_price_change_usd_per_mwh: float = _field(
        0.0,
        description="Change of the average energy cost at full realised campus load (e.g. the "
        "load-weighted LMP difference of `gridmodel optimize`), scaled with the realised share.",
        unit="$/MWh",
    )
    capacity_market: CapacityMarket | None = _field(
        None, description="Capacity market terms (market `capacity_market`)."
    )

    @model_validator(mode="after")
    def _market_terms(self) -> Procurement:
        if self.market == "capacity_market" and self.capacity_market is None:
            raise ValueError("market 'capacity_market' needs a `capacity_market` block")
        return self


class TransmissionProject(_Strict):
    """A transmission project recovered in rates."""

    name: str = _field(description="Label.")
    capex_musd: float = _field(description="Capital cost.", unit="$M", ge=0)
    in_service_year: int = _field(0, description="Year in service (0 = `start_year`).", ge=0)
    direct_assignment: float = _field(
        0.05,
        description="Share paid directly by the large loads (by contract demand); the rest is "
        "allocated to all classes.",
        source="UCS 2025: 6 of 130 PJM data-centre projects (about 5 %) paid directly "
        "(rates_and_costs.md section 9)",
        ge=0,
        le=1,
    )


class Transmission(_Strict):
    """Transmission upgrades: a project list and/or the overloads of a grid-stress run."""

    projects: list[TransmissionProject] = _field([], description="Projects.")
    stress_results: Path | None = _field(
        None,
        description="Folder of a `gridmodel run`: each branch it finds overloaded is reinforced "
        "by its overload (MW above rating at its worst hour).",
    )
    usd_per_kw_overload: float = _field(
        1600.0,
        description="Cost per kW of reinforcement.",
        unit="$/kW",
        source="Derived: Dominion 525 kV HVDC, $4.8 B for 3,000 MW (rates_and_costs.md section 8)",
        gt=0,
    )
    overload_in_service_year: int = _field(
        3, description="Year the reinforcements enter service.", ge=0
    )
    overload_direct_assignment: float = _field(
        0.05,
        description="Share of the reinforcements paid directly by the large loads.",
        source="UCS 2025 (rates_and_costs.md section 9)",
        ge=0,
        le=1,
    )


class RateCase(_Strict):
    """When rates are reset."""

    interval_years: int = _field(
        2,
        description="Years between rate cases.",
        source="Biennial reviews in Virginia (rates_and_costs.md section B.8)",
        ge=1,
    )
    lag_years: int = _field(
        1, description="Test year = rate-case year minus this lag.", unit="yr", ge=0
    )


class MonteCarlo(_Strict):
    """Uncertainty over whether forecast campus load materialises."""

    draws: int = _field(400, description="Number of draws.", ge=1)
    materialisation: tuple[float, float] = _field(
        (0.5, 1.0),
        description="Uniform range of realised/forecast load, drawn per campus.",
        source="0.5-1.0 range (rates_and_costs.md, implications table)",
    )
    exit_probability_per_year: float = _field(
        0.03,
        description="Yearly probability that a campus in service leaves.",
        source="Assumption: no exit rate was read; 3 %/yr gives about a 1-in-3 chance of leaving "
        "within a 14-year contract",
        ge=0,
        le=1,
    )

    @field_validator("materialisation")
    @classmethod
    def _range(cls, v):
        if not 0 <= v[0] <= v[1] <= 1:
            raise ValueError(f"need 0 <= low <= high <= 1, got {list(v)}")
        return v


class Bills(_Strict):
    """Residential price pass-through (`gridmodel bills`)."""

    start_year: int = _field(2027, description="First calendar year.", ge=2000)
    years: int = _field(20, description="Horizon.", unit="yr", ge=1, le=60)
    wacc: float = _field(
        0.0799,
        description="Nominal after-tax WACC: financing of new assets and the NPV discount rate.",
        source="Derived from ATB 2024 financing in ReEDS (rates_and_costs.md section 6)",
        ge=0,
        lt=0.3,
    )
    tax_rate: float = _field(
        0.2574,
        description="Combined income tax rate in the fixed charge rate.",
        source="ATB 2024 financing in ReEDS (rates_and_costs.md section 6)",
        ge=0,
        lt=1,
    )
    generation_life_years: int = _field(
        30,
        description="Book life of new generation.",
        unit="yr",
        source="Gen 30 yr (rates_and_costs.md implications table)",
        ge=1,
    )
    transmission_life_years: int = _field(
        40,
        description="Book life of transmission.",
        unit="yr",
        source="Transmission 40-50 yr (rates_and_costs.md implications table)",
        ge=1,
    )
    baseline: Baseline = _field(default_factory=Baseline, description="Today's rates.")
    classes: ClassLoads = _field(default_factory=ClassLoads, description="Retail class loads.")
    allocation: Allocation = _field(default_factory=Allocation, description="Cost allocation.")
    large_loads: list[LargeLoad] = _field([], description="Data-centre campuses as customers.")
    procurement: Procurement = _field(
        default_factory=Procurement, description="Supply for forecast load."
    )
    transmission: Transmission = _field(
        default_factory=Transmission, description="Transmission upgrades."
    )
    rate_case: RateCase = _field(default_factory=RateCase, description="Rate-case timing.")
    monte_carlo: MonteCarlo | None = _field(
        default_factory=MonteCarlo, description="Materialisation uncertainty; empty to skip."
    )


class Scenario(_Strict):
    """A grid-stress scenario."""

    name: str = _field(description="Short label used in results.")
    description: str = _field("", description="The question the scenario answers.")
    network: str = _field(description="Bundled network name (see `gridmodel networks`).")
    period: Period = _field(default_factory=Period, description="Studied hours.")
    load_growth: LoadGrowth = _field(default_factory=LoadGrowth, description="Background growth.")
    campuses: list[Campus] = _field(default_factory=list, description="Data-centre campuses.")
    dispatch: Dispatch = _field(default_factory=Dispatch, description="Generator dispatch rule.")
    study: Study = _field(default_factory=Study, description="Analyses and limits.")
    optimize: Optimize | None = _field(
        None, description="Sizing and expansion (`gridmodel optimize`)."
    )
    bills: Bills | None = _field(None, description="Bill impacts (`gridmodel bills`).")
    events: Events | None = _field(None, description="Grid events (`gridmodel events`).")
    seed: int = _field(0, description="Seed of every random draw in the run.", ge=0)

    @model_validator(mode="after")
    def _unique_campus_names(self) -> Scenario:
        names = [c.name for c in self.campuses]
        if len(set(names)) != len(names):
            raise ValueError(f"campus names must be unique, got {names}")
        osc = self.events.oscillation if self.events else None
        if osc is not None and osc.campus is not None and osc.campus not in names:
            raise ValueError(
                f"events.oscillation.campus: '{osc.campus}' is not a campus of the scenario "
                f"(campuses: {names})"
            )
        sizing = self.optimize.campus if self.optimize else None
        if sizing is not None and sizing.grid.price_usd_per_mwh == "lmp":
            if self.dispatch.rule != "economic":
                raise ValueError(
                    "optimize.campus.grid.price_usd_per_mwh: 'lmp' needs locational prices; "
                    f"set dispatch.rule to 'economic' (it is '{self.dispatch.rule}')"
                )
        for k, load in enumerate(self.bills.large_loads if self.bills else []):
            if load.campus not in names:
                raise ValueError(
                    f"bills.large_loads.{k}.campus: '{load.campus}' is not a campus of the "
                    f"scenario (campuses: {names})"
                )
        return self

    def digest(self) -> str:
        """Stable hash of the validated scenario (stored in result attributes)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------------------------
# Loading and error messages


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model class reached by following ``loc`` from ``model``."""
    current: Any = model
    for part in loc:
        if isinstance(current, list):  # a discriminated union: the next part is its tag
            tagged = [
                c
                for c in current
                if c.model_fields.get("kind") and c.model_fields["kind"].default == part
            ]
            current = tagged[0] if tagged else current[0]
            continue
        is_model = isinstance(current, type) and issubclass(current, BaseModel)
        if isinstance(part, int) or not is_model or part not in current.model_fields:
            continue
        ann = current.model_fields[part].annotation
        candidates = [a for a in _flatten(ann) if isinstance(a, type) and issubclass(a, BaseModel)]
        current = candidates if len(candidates) > 1 else (candidates[0] if candidates else None)
    if isinstance(current, list):
        current = current[0]
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _flatten(ann) -> list:
    from typing import get_args

    args = get_args(ann)
    if not args:
        return [ann]
    out = []
    for a in args:
        out.extend(_flatten(a))
    return out


def _format_errors(err: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid scenario"]
    for e in err.errors():
        loc = tuple(e["loc"])
        name = ".".join(str(p) for p in loc) or "(top level)"
        value = e.get("input")
        if e["type"] == "extra_forbidden":
            parent = _model_at(Scenario, loc[:-1])
            allowed = ", ".join(parent.model_fields) if parent else "see docs/scenarios.md"
            lines.append(
                f"  - field '{name}' is not allowed (value {value!r}); allowed fields: {allowed}"
            )
        else:
            msg = e["msg"].removeprefix("Value error, ")
            lines.append(f"  - field '{name}': {msg} (value {value!r})")
    return "\n".join(lines)


def parse_scenario(data: dict, source: str = "scenario", base_dir: Path | None = None) -> Scenario:
    """Validate a scenario mapping; relative CSV paths are resolved against ``base_dir``."""
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{source}: a scenario must be a mapping of fields, got {type(data).__name__}"
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_errors(err, source)) from None
    if base_dir is not None:
        campuses = []
        for campus in scenario.campuses:
            profile = campus.profile
            if isinstance(profile, CsvProfile) and not profile.path.is_absolute():
                profile = profile.model_copy(update={"path": base_dir / profile.path})
            temperature = getattr(getattr(profile, "facility", None), "temperature_csv", None)
            if temperature is not None and not temperature.is_absolute():
                facility = profile.facility.model_copy(
                    update={"temperature_csv": base_dir / temperature}
                )
                profile = profile.model_copy(update={"facility": facility})
            campuses.append(campus.model_copy(update={"profile": profile}))
        scenario = scenario.model_copy(update={"campuses": campuses})
        sizing = scenario.optimize.campus if scenario.optimize else None
        if sizing is not None:

            def resolve(path):
                return (
                    base_dir / path if isinstance(path, Path) and not path.is_absolute() else path
                )

            grid = sizing.grid.model_copy(
                update={"price_usd_per_mwh": resolve(sizing.grid.price_usd_per_mwh)}
            )
            sizing = sizing.model_copy(
                update={"grid": grid, "solar_cf_csv": resolve(sizing.solar_cf_csv)}
            )
            scenario = scenario.model_copy(
                update={"optimize": scenario.optimize.model_copy(update={"campus": sizing})}
            )
        if scenario.bills is not None:
            scenario = scenario.model_copy(
                update={"bills": _resolve_bills(scenario.bills, base_dir)}
            )
    return scenario


def _resolve_bills(bills: Bills, base_dir: Path) -> Bills:
    """``bills`` with its relative paths read from ``base_dir``."""

    def resolve(path):
        return base_dir / path if path is not None and not path.is_absolute() else path

    classes = bills.classes.model_copy(update={"csv": resolve(bills.classes.csv)})
    transmission = bills.transmission.model_copy(
        update={"stress_results": resolve(bills.transmission.stress_results)}
    )
    return bills.model_copy(update={"classes": classes, "transmission": transmission})


def default_scenario_path() -> Path:
    return bundled_dir("scenarios") / "default.yaml"


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Read and validate a scenario YAML file (the bundled default when ``path`` is None)."""
    path = Path(path) if path is not None else default_scenario_path()
    if not path.exists():
        bundled = bundled_dir("scenarios") / f"{path.name}"
        bundled_yaml = bundled_dir("scenarios") / f"{path}.yaml"
        for candidate in (bundled, bundled_yaml):
            if candidate.exists():
                path = candidate
                break
        else:
            raise ScenarioError(f"scenario file {path} not found")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ScenarioError(f"{path}: not valid YAML: {err}") from None
    return parse_scenario(data, source=str(path), base_dir=path.parent)

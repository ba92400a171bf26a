"""`campuses[].profile` of kind `model`: parameters of the campus load model (gridmodel.loads).

Sources: the public documents named in each field."""

from __future__ import annotations

from pathlib import Path

from pydantic import field_validator, model_validator

from gridmodel.schema.base import Section, param

_LLAMA3 = "Llama 3 Herd of Models (Meta, arXiv:2407.21783)"
_LLTF = "NERC LLTF white paper 'Characteristics and Risks of Emerging Large Loads' (Jul 2025)"


class Gpu(Section):
    """Power of one accelerator and the IT equipment that goes with it."""

    tdp_w: float = param(
        700.0, description="Thermal design power.", unit="W", source=f"H100 SXM, {_LLAMA3}", gt=0
    )
    compute_frac: float = param(
        1.0,
        description="Power in the compute phase of an iteration, as a fraction of TDP.",
        unit="-",
        source="GPUs run 'near TDP' in compute: Choukse et al., 'Power Stabilization for AI "
        "Training Datacenters', arXiv:2508.14318 (2025), as summarised by the themoonlight.io "
        "review of it (the full text was not read).",
        gt=0,
        le=1.2,
    )
    comm_frac: float = param(
        0.56,
        description="Power in the communication phase, as a fraction of TDP.",
        unit="-",
        source="Vertiv H100 test load: 2 s at 90 % then 2 s at 50 % of rating (50/90 = 0.56).",
        ge=0,
        le=1.2,
    )
    idle_frac: float = param(
        0.09,
        description="Power of an idle GPU (job stopped, restarting), as a fraction of TDP.",
        unit="-",
        source=f"A training site fell from about 450 to about 40 MW when its job stopped ({_LLTF}).",
        ge=0,
        le=1,
    )
    other_it_w: float = param(
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


class Waveform(Section):
    """The synchronous compute/communication swing of a training job."""

    period_s: float = param(
        6.0,
        description="Iteration period.",
        unit="s",
        source=f"6 x 405e9 x 16e6 FLOP / (16,384 GPUs x 400 TFLOP/s) = 5.9 s ({_LLAMA3}); "
        "production periods are 1-10 s (arXiv:2606.22096).",
        ge=0.05,
        le=60,
    )
    duty: float = param(
        0.5,
        description="Share of the period in the compute phase.",
        unit="-",
        source="Vertiv H100 test load, 2 s high / 2 s low.",
        gt=0,
        lt=1,
    )
    edge_s: float = param(
        0.25,
        description="Time of each compute/communication transition at campus level.",
        unit="s",
        source="A 50 MW block of a 200 MW training site ramped at 1.9 pu/s for about 250 ms "
        "(NERC LLTF, via awesome-compute-power-coordination).",
        ge=0.001,
    )
    jitter: float = param(
        0.02,
        description="Straggler delay of each iteration's start, uniform in [0, jitter x period).",
        unit="-",
        source="Assumption (no published value); it spreads the spectrum into harmonics.",
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


class Lifecycle(Section):
    """Checkpoints, interruptions, restarts and training campaigns of each job."""

    checkpoint_interval_s: float = param(
        3600.0,
        description="Time between checkpoints (counted from each (re)start).",
        unit="s",
        source="Hourly checkpoints are typical for large jobs on Meta's RSC clusters "
        "(Kokolis et al., HPCA 2025).",
        gt=0,
    )
    checkpoint_stall_s: float = param(
        10.0,
        description="Time the GPUs wait while a checkpoint is taken.",
        unit="s",
        source="PyTorch asynchronous DCP: 6-14 s GPU-visible downtime for 7B-13B models.",
        ge=0,
    )
    checkpoint_power_frac: float = param(
        0.09,
        description="GPU power while stalled on a checkpoint, as a fraction of TDP.",
        unit="-",
        source=f"GPUs wait on storage, taken at the idle level ({_LLTF}).",
        ge=0,
        le=1,
    )
    interruptions_per_gpu_day: float = param(
        466 / (54 * 16384),
        description="Job interruptions per GPU per day of training; a job's rate scales with "
        "its GPU count.",
        unit="1/(GPU*day)",
        source=f"466 interruptions in 54 days on 16,384 GPUs ({_LLAMA3}).",
        ge=0,
    )
    planned_share: float = param(
        47 / 466,
        description="Share of interruptions that are planned (controlled stop and start).",
        unit="-",
        source=f"47 of 466 interruptions were planned ({_LLAMA3}).",
        ge=0,
        le=1,
    )
    restart_s: float = param(
        600.0,
        description="Time from an interruption to the job computing again.",
        unit="s",
        source="Failover often > 10 min at 10,000 GPUs (ByteRobust); 5-min restarts assumed by "
        "Kokolis et al.",
        gt=0,
    )
    planned_ramp_down_s: float = param(
        36.0,
        description="Duration of a controlled stop (planned interruption, end of campaign).",
        unit="s",
        source=f"About 450 to about 40 MW within 36 s ({_LLTF}).",
        ge=0,
    )
    planned_ramp_up_s: float = param(
        180.0,
        description="Duration of a controlled start.",
        unit="s",
        source=f"'ramps back up to 450 MW over the course of a few minutes' ({_LLTF}).",
        ge=0,
    )
    campaign_days: float = param(
        54.0,
        description="Length of a training campaign (one run of a job).",
        unit="d",
        source=f"The 54-day pre-training snapshot of {_LLAMA3}.",
        gt=0,
    )
    campaign_gap_h: float = param(
        4.0,
        description="Idle time between campaigns.",
        unit="h",
        source=f"After the stop the site held about 7 MW for about 4 hours ({_LLTF}).",
        ge=0,
    )


class Inference(Section):
    """Inference GPUs: load follows users, by hour of day and day of week."""

    gpus: int = param(0, description="Number of inference GPUs.", unit="GPU", ge=0)
    utilisation_min: float = param(
        0.35,
        description="GPU utilisation at the nightly minimum.",
        unit="-",
        source="Assumption; shape from the Microsoft O365 LLM serving traces, working-hours "
        "peaks and quieter weekends (SageServe, arXiv:2502.14617).",
        ge=0,
        le=1,
    )
    utilisation_max: float = param(
        0.85, description="GPU utilisation at the weekday peak.", unit="-", ge=0, le=1
    )
    peak_hour: float = param(
        13.0,
        description="Local hour of the daily peak.",
        unit="h",
        source="US weekday peak of hosted LLM endpoints between 8 am and 2 pm Eastern.",
        ge=0,
        lt=24,
    )
    weekend_factor: float = param(
        0.8,
        description="Weekend swing above the minimum, as a fraction of the weekday swing.",
        unit="-",
        source="Assumption (quieter weekends, SageServe).",
        ge=0,
        le=1,
    )
    noise_frac: float = param(
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


class Facility(Section):
    """Power drawn by the site beyond the IT equipment."""

    pue: float = param(
        1.3,
        description="Power usage effectiveness at design IT load and the reference temperature.",
        unit="-",
        source="New large builds reach 1.3 or better (Uptime Institute 2024 survey); the "
        "industry average is 1.58 (Uptime Intelligence, 2023).",
        ge=1,
        le=3,
    )
    distribution_loss_frac: float = param(
        0.04,
        description="Transformer, UPS and distribution losses, as a fraction of IT power.",
        unit="-",
        source="ENERGY STAR UPS specification: large UPS efficiency about 96 %.",
        ge=0,
        lt=0.5,
    )
    auxiliary_frac: float = param(
        0.02,
        description="Lighting, offices and controls, constant, as a fraction of design IT power.",
        unit="-",
        source="Assumption.",
        ge=0,
        lt=0.5,
    )
    cooling_lag_s: float = param(
        600.0,
        description="Time constant of cooling power following IT power.",
        unit="s",
        source="Assumption: a minutes-scale first-order lag; no published value.",
        gt=0,
    )
    reference_temp_c: float = param(
        25.0, description="Ambient temperature at which `pue` holds.", unit="degC"
    )
    cooling_temp_coeff: float = param(
        0.02,
        description="Relative change of cooling power per degree of ambient temperature.",
        unit="1/degC",
        source="Assumption (chiller and dry-cooler efficiency falls with ambient temperature).",
        ge=0,
        le=0.2,
    )
    temperature_csv: Path | None = param(
        None,
        description="Hourly ambient temperature (column `temp_c`, one row per hour from hour 0 "
        "of the load year); empty = the reference temperature throughout.",
    )

    @model_validator(mode="after")
    def _cooling_left(self) -> Facility:
        if self.pue - 1 - self.distribution_loss_frac - self.auxiliary_frac < 0:
            raise ValueError("pue must be at least 1 + distribution_loss_frac + auxiliary_frac")
        return self


class GpuSmoothing(Section):
    """GPU power smoothing: the settings NVIDIA exposes through NVML (Blackwell and newer)."""

    floor_frac: float = param(
        0.0,
        description="Minimum power floor while a job runs, as a fraction of TDP "
        "(NVML PERCENT_TMP_FLOOR).",
        unit="-",
        source="Bounding-box controller, minimum power floor 20-90 % of TDP (Choukse et al. "
        "slides).",
        ge=0,
        le=1,
    )
    ramp_up_w_per_s: float | None = param(
        None,
        description="Ramp-up limit per GPU (NVML RAMP_UP_RATE); empty = none.",
        unit="W/s",
        gt=0,
    )
    ramp_down_w_per_s: float | None = param(
        None,
        description="Ramp-down limit per GPU (NVML RAMP_DOWN_RATE); empty = none.",
        unit="W/s",
        gt=0,
    )
    ramp_down_hysteresis_s: float = param(
        0.0,
        description="Delay before ramping down (NVML RAMP_DOWN_HYSTERESIS).",
        unit="s",
        ge=0,
    )


class PowerBurn(Section):
    """Software power burn: a secondary workload fills the communication phase."""

    target_frac: float = param(
        0.9,
        description="Power the burner fills up to, as a fraction of TDP.",
        unit="-",
        source="'Ability to increase consumption up to 100 % of the TDP' (Choukse et al. slides).",
        gt=0,
        le=1,
    )
    slowdown: float = param(
        0.05,
        description="Relative lengthening of each iteration.",
        unit="-",
        source="'5 % impact achieved using MPS' (Choukse et al. slides).",
        ge=0,
        lt=1,
    )


class StorageSmoothing(Section):
    """Battery or supercapacitor that supplies the fast part of the swing (high-pass)."""

    power_mw: float = param(description="Power rating.", unit="MW", gt=0)
    energy_mwh: float = param(description="Usable energy.", unit="MWh", gt=0)
    cutoff_hz: float = param(
        0.01,
        description="High-pass cut-off: the store supplies the swing above this frequency; raised "
        "automatically when the energy is too small.",
        unit="Hz",
        gt=0,
    )
    round_trip_efficiency: float = param(
        0.85,
        description="Round-trip efficiency.",
        unit="-",
        source="NREL ATB 2025 moderate, utility Li-ion battery (rte = 0.85).",
        gt=0,
        le=1,
    )


class Mitigation(Section):
    """Swing mitigation at the GPUs, in software and in storage."""

    gpu_smoothing: GpuSmoothing | None = param(None, description="GPU power smoothing.")
    power_burn: PowerBurn | None = param(None, description="Software power burn.")
    storage: StorageSmoothing | None = param(None, description="Storage smoothing.")


class Flexibility(Section):
    """Curtailment events at the system's highest-load days."""

    budget_fraction: float = param(
        0.005,
        description="Curtailed energy as a fraction of the campus's energy over the period.",
        unit="-",
        source="Duke Nicholas Institute 'Rethinking Load Growth' (2025): 0.25 / 0.5 / 1 %.",
        gt=0,
        lt=0.2,
    )
    depth: float = param(
        0.25,
        description="Reduction of IT power during an event.",
        unit="-",
        source="EPRI DCFlex Phoenix trial: 25 % for three hours (arXiv:2507.00909).",
        gt=0,
        le=1,
    )
    duration_h: float = param(
        2.1,
        description="Time at full depth per event.",
        unit="h",
        source="Duke (2025): mean event 2.1 h at a 0.5 % budget.",
        gt=0,
        le=24,
    )
    ramp_s: float = param(
        900.0,
        description="Ramp into and out of an event.",
        unit="s",
        source="DCFlex trial: ramp down and up gracefully over 15 minutes.",
        ge=0,
    )


class DipCounting(Section):
    """Transfer to backup after N voltage dips within a window (prohibited by NOGRR282)."""

    threshold_pu: float = param(
        0.7,
        description="A dip is the voltage falling below this.",
        unit="pu",
        source="Threshold not published; the July 2024 dips reached 0.25-0.40 pu (NERC incident "
        "review, via secondary sources).",
        gt=0,
        lt=1,
    )
    count: int = param(
        3,
        description="Dips that trigger the transfer.",
        source="'three voltage disturbances within one minute cause the load to transfer to "
        "backup' (NERC incident review, Jan 2025).",
        ge=1,
    )
    window_s: float = param(60.0, description="Counting window.", unit="s", gt=0)


class FaultResponse(Section):
    """Ride-through or transfer to backup when the site voltage dips."""

    ride_through_curve: list[tuple[float, float]] = param(
        [(0.9, 2.0), (0.8, 0.5), (0.5, 0.25), (0.2, 0.15)],
        description="[v_pu, s] pairs: the campus transfers to backup when the voltage stays "
        "below v_pu for longer than s.",
        source="ERCOT NOGRR282 LEL ride-through: 2.0 s at 0.80-0.90, 0.5 s at 0.50-0.80, "
        "0.25 s at 0.20-0.50, 0.15 s below 0.20 pu.",
    )
    cessation_pu: float = param(
        0.9,
        description="Below this voltage a riding-through campus draws from its UPS, not the grid.",
        unit="pu",
        source="NOGRR282 continuous range 0.90-1.10 pu.",
        gt=0,
        le=1,
    )
    recovery_s: float = param(
        2.0,
        description="Time to return to 90 % of the pre-dip load after the voltage recovers.",
        unit="s",
        source="NOGRR282: 90 % within 2 s of voltage above 0.9 pu.",
        ge=0,
    )
    dip_counting: DipCounting | None = param(
        None, description="Sag-counting transfer scheme (the July 2024 Virginia behaviour)."
    )
    stay_off_s: float = param(
        14400.0,
        description="Time on backup after a transfer before reconnecting.",
        unit="s",
        source=f"1,260 of 1,500 MW 'did not return for hours' (July 2024); about 4 h ({_LLTF}).",
        ge=0,
    )
    reconnect_ramp_mw_per_min: float = param(
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


class Compliance(Section):
    """Limits the profile is checked against (``gridmodel.loads.metrics``)."""

    p2p_5s_mw: float = param(
        10.0,
        description="Peak-to-peak power in any rolling 5 s, filtered to 0.1-55 Hz.",
        unit="MW",
        source="ERCOT proposed power-variation limit (LCL discussion, Jun 2026).",
        gt=0,
    )
    band_energy_share: float = param(
        0.2,
        description="Share of fluctuation energy allowed in 0.1-20 Hz.",
        unit="-",
        source="Choukse et al. (arXiv:2508.14318): 20 % of harmonic energy in 0.1-20 Hz.",
        gt=0,
        le=1,
    )
    ramp_mw_per_min: float = param(
        20.0,
        description="Change of the 1-minute mean power from one minute to the next.",
        unit="MW/min",
        source="CAISO straw proposal, IESO, Southern Co.: 20 MW/min (NERC alert: 10-30).",
        gt=0,
    )

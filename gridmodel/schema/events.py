"""`events`: fault, campus trips, frequency response and oscillation screening (gridmodel.dynamics)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import field_validator, model_validator

from gridmodel.schema.base import Section, param
from gridmodel.schema.study import HourSpec

_JULY_2024 = (
    "NERC incident review of the 10 July 2024 Virginia event, as quoted in "
    "ai_loads_and_grid_events.md s.3"
)

#: Parameter sets of the aggregated frequency model, each value with its source.
SYSTEMS = Path(__file__).with_name("systems.csv")


class FaultSequence(Section):
    """A three-phase fault that is cleared and reclosed onto again: the dips at every campus."""

    site: str | None = param(None, description="Faulted bus, as a site of the network.")
    bus: int | None = param(None, description="Faulted bus, as a case bus number.")
    times_s: list[float] = param(
        [1.0, 17.4, 33.8, 50.2, 66.6, 83.0],
        description="Inception time of each fault (initial fault and reclosures).",
        unit="s",
        source=f"Six faults in 82 s from three reclosing attempts at each end ({_JULY_2024}); "
        "even spacing is an assumption (the intervals were not published).",
    )
    duration_s: float = param(
        0.054,
        description="Time to clear each fault.",
        unit="s",
        source=f"Each fault lasted 42-66 ms ({_JULY_2024}); midpoint.",
        gt=0,
    )
    r_ohm: float = param(0.0, description="Fault resistance (0 = bolted).", unit="ohm", ge=0)
    x_ohm: float = param(0.0, description="Fault reactance.", unit="ohm", ge=0)
    x_dss_pu: float = param(
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


class Oscillation(Section):
    """Forced-oscillation screening of campus swings against ANDES electromechanical modes."""

    case: Literal["kundur", "ieee14"] = param(
        "kundur",
        description="ANDES dynamic case: `kundur` (two-area system, GENROU + TGOV1 + EXDC2, "
        "a lightly damped inter-area mode) or `ieee14`.",
    )
    bus: int = param(7, description="ANDES bus (idx) where the campus swing is injected.", ge=1)
    campus: str | None = param(
        None,
        description="Campus (with a `model` profile) whose swing is screened; empty = the first.",
    )
    band_hz: tuple[float, float] = param(
        (0.05, 2.5), description="Swing frequencies swept.", unit="Hz"
    )
    points: int = param(150, description="Frequencies in the sweep.", ge=10)
    smoothing_floors: list[float] = param(
        [0.0, 0.5, 0.7, 0.9],
        description="GPU power-smoothing floors compared (fraction of TDP; 0 = none).",
        source="NVIDIA GB200/GB300 power smoothing exposes a floor as a fraction of TDP "
        "(see `mitigation.gpu_smoothing`).",
    )
    scale: Literal["system_share", "none"] = param(
        "system_share",
        description="`system_share`: the swing is scaled so the campus has the same share of the "
        "ANDES case's load as of the network's load at the event hour; `none`: injected as is "
        "(the case stands for the campus's own region).",
    )
    limit_mhz: float = param(
        17.0,
        description="Frequency oscillation (peak) above which the swing is a risk.",
        unit="mHz",
        source="NERC BAL-001-TRE governor deadband of +/-0.017 Hz: a larger forced oscillation "
        "exercises every governor (standard not among the shared sources; screening choice).",
        gt=0,
    )
    time_domain_check: bool = param(
        True, description="Run the worst swing in the ANDES time domain and compare."
    )

    @field_validator("band_hz")
    @classmethod
    def _band(cls, v):
        if not 0 < v[0] < v[1] <= 10:
            raise ValueError(f"need 0 < low < high <= 10 Hz, got {list(v)}")
        return v


class Events(Section):
    """Fault-triggered campus trips, frequency response and post-event power flow."""

    hour: HourSpec = param(
        "peak", description="Study hour of the event: `peak`, `valley` or an index in the period."
    )
    systems: list[str] = param(
        ["ercot", "eastern"],
        description="Frequency-response parameter sets (`gridmodel/schema/systems.csv`).",
    )
    fault: FaultSequence | None = param(None, description="The fault; empty = no cascade.")
    window_s: float = param(120.0, description="Simulated time.", unit="s", gt=0)
    dt_s: float = param(0.005, description="Time step.", unit="s", gt=0, le=0.02)
    lost_mw: list[float] = param(
        [250, 500, 750, 1000, 1500, 2000, 2750, 3500, 5000, 7500],
        description="Sweep of sudden load losses (and generator trips of the same size).",
        unit="MW",
    )
    trajectories_mw: list[float] = param(
        [500, 1500, 2750, 5000], description="Losses drawn as frequency trajectories.", unit="MW"
    )
    oscillation: Oscillation | None = param(
        default_factory=Oscillation, description="Forced-oscillation screening; empty to skip."
    )

    @field_validator("systems")
    @classmethod
    def _known_systems(cls, v):
        known = list(pd.read_csv(SYSTEMS).system)
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

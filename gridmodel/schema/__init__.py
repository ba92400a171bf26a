"""Scenario schema: the only place a scenario parameter and its default are defined.

A scenario is a YAML file read by :func:`load_scenario`. Every field is validated; a wrong field
raises :class:`ScenarioError` naming the field, the value given and what is allowed. One module
per scenario section; the package imports no stage.
"""

from gridmodel.schema.base import ScenarioError, Section, param
from gridmodel.schema.bills import (
    RETAIL_CLASSES,
    Allocation,
    Baseline,
    Bills,
    CapacityMarket,
    ClassLoads,
    LargeLoad,
    LargeLoadTariff,
    MonteCarlo,
    Procurement,
    RateCase,
    Transmission,
    TransmissionProject,
)
from gridmodel.schema.campus import Campus, ConstantProfile, CsvProfile, ModelProfile
from gridmodel.schema.demand import DemandSeries, MeasuredLoads, MeasuredSource
from gridmodel.schema.events import (
    Events,
    FaultSequence,
    FrequencySystem,
    HourlyFrequency,
    Oscillation,
)
from gridmodel.schema.grid import Dispatch, LoadGrowth, Period
from gridmodel.schema.headroom import Headroom, LoadShape, NodalHosting, Seasons
from gridmodel.schema.loading import default_scenario_path, load_scenario, parse_scenario
from gridmodel.schema.loads import (
    Compliance,
    DipCounting,
    Facility,
    FaultResponse,
    Flexibility,
    Gpu,
    GpuSmoothing,
    Inference,
    Lifecycle,
    Mitigation,
    PowerBurn,
    StorageSmoothing,
    Waveform,
)
from gridmodel.schema.optimize import CampusSizing, Costs, Expansion, GridSupply, Optimize
from gridmodel.schema.scenario import Scenario
from gridmodel.schema.study import Contingencies, HostingCapacity, Study

__all__ = [
    "RETAIL_CLASSES",
    "Allocation",
    "Baseline",
    "Bills",
    "Campus",
    "CampusSizing",
    "CapacityMarket",
    "ClassLoads",
    "Compliance",
    "ConstantProfile",
    "Contingencies",
    "Costs",
    "CsvProfile",
    "DemandSeries",
    "DipCounting",
    "Dispatch",
    "Events",
    "Expansion",
    "Facility",
    "FaultResponse",
    "FaultSequence",
    "FrequencySystem",
    "Flexibility",
    "Gpu",
    "GpuSmoothing",
    "GridSupply",
    "HourlyFrequency",
    "Headroom",
    "NodalHosting",
    "HostingCapacity",
    "Inference",
    "LargeLoad",
    "LargeLoadTariff",
    "Lifecycle",
    "LoadGrowth",
    "LoadShape",
    "MeasuredLoads",
    "MeasuredSource",
    "Mitigation",
    "ModelProfile",
    "MonteCarlo",
    "Optimize",
    "Oscillation",
    "Period",
    "PowerBurn",
    "Procurement",
    "RateCase",
    "Scenario",
    "ScenarioError",
    "Seasons",
    "Section",
    "StorageSmoothing",
    "Study",
    "Transmission",
    "TransmissionProject",
    "Waveform",
    "default_scenario_path",
    "load_scenario",
    "param",
    "parse_scenario",
]

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


Profile = Annotated[ConstantProfile | CsvProfile, Field(discriminator="kind")]


class Campus(_Strict):
    """An AI campus connected at one bus."""

    name: str = _field(description="Label used in results.")
    site: str | None = _field(None, description="Site name from the network descriptor.")
    bus: int | None = _field(None, description="Case bus number (instead of `site`).")
    mw: float = _field(description="Rated grid-side demand of the campus.", unit="MW", gt=0)
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

    @model_validator(mode="after")
    def _one_location(self) -> Campus:
        if (self.site is None) == (self.bus is None):
            raise ValueError("give exactly one of `site` or `bus`")
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

    rule: Literal["participation"] = _field(
        "participation",
        description="`participation`: every unit moves from Pmin toward Pmax in proportion to "
        "its range (Pmax - Pmin); the same factors carry the distributed slack.",
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
    seed: int = _field(0, description="Seed of every random draw in the run.", ge=0)

    @model_validator(mode="after")
    def _unique_campus_names(self) -> Scenario:
        names = [c.name for c in self.campuses]
        if len(set(names)) != len(names):
            raise ValueError(f"campus names must be unique, got {names}")
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
            if isinstance(campus.profile, CsvProfile) and not campus.profile.path.is_absolute():
                profile = campus.profile.model_copy(update={"path": base_dir / campus.profile.path})
                campus = campus.model_copy(update={"profile": profile})
            campuses.append(campus)
        scenario = scenario.model_copy(update={"campuses": campuses})
    return scenario


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

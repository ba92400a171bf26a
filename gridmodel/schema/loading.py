"""Reading a scenario from YAML or a mapping, with error messages that name the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from gridmodel.resources import bundled_dir
from gridmodel.schema.base import ScenarioError
from gridmodel.schema.bills import Bills
from gridmodel.schema.campus import CsvProfile
from gridmodel.schema.scenario import Scenario


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
        candidates = [
            a for a in annotation_types(ann) if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        current = candidates if len(candidates) > 1 else (candidates[0] if candidates else None)
    if isinstance(current, list):
        current = current[0]
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def annotation_types(ann) -> list:
    """Every type inside an annotation (unions and generics unpacked)."""
    args = get_args(ann)
    return [ann] if not args else [a for arg in args for a in annotation_types(arg)]


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
        if scenario.events is not None:
            systems = [
                s.model_copy(update={"inertia_csv": base_dir / s.inertia_csv})
                if s.inertia_csv is not None and not s.inertia_csv.is_absolute()
                else s
                for s in scenario.events.systems
            ]
            events = scenario.events.model_copy(update={"systems": systems})
            scenario = scenario.model_copy(update={"events": events})
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

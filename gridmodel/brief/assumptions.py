"""The assumptions table: every input value a run used, with its unit and source from the schema.

The schema (``gridmodel.schema``) is the only place a parameter, its default, unit and source are
written; this module reads them back from the pydantic field metadata, so the table cannot drift
from what the run used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from gridmodel.schema import Scenario

REQUIRED = "required"


@dataclass(frozen=True)
class Assumption:
    """One input value: where it sits in the scenario, what the run used and where it comes from."""

    field: str  # dotted path, e.g. "bills.allocation.transmission"
    value: str
    default: str
    unit: str
    description: str
    source: str
    changed: bool  # the scenario sets a value other than the schema's default (or a required one)


def show(value: Any) -> str:
    """A value as a scenario file would write it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, BaseModel):
        return f"{type(value).__name__} defaults"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple | list | dict):
        return json.dumps(value, default=str)
    return str(value)


def _default(field) -> Any:
    return field.default_factory() if field.default_factory is not None else field.default


def _same(value: Any, default: Any) -> bool:
    if isinstance(value, BaseModel) or isinstance(default, BaseModel):
        return value == default
    return json.dumps(value, default=str, sort_keys=True) == json.dumps(
        default, default=str, sort_keys=True
    )


def _rows(model: BaseModel, names: list[str], prefix: str, defaults: Any) -> list[Assumption]:
    """Rows of the leaf fields ``names`` of ``model``. ``defaults``: the section the schema puts
    in its place, whose values are the defaults (None: each field's own default)."""
    rows = []
    for name in names:
        field = type(model).model_fields[name]
        path, value = f"{prefix}{name}", getattr(model, name)
        default = _default(field)
        if isinstance(defaults, BaseModel) and type(defaults) is type(model):
            default = getattr(defaults, name)
        if isinstance(value, BaseModel):
            rows += _rows(value, list(type(value).model_fields), f"{path}.", default)
            continue
        if isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
            for k, item in enumerate(value):
                rows += _rows(item, list(type(item).model_fields), f"{path}.{k}.", None)
            continue
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        required = default is PydanticUndefined
        rows.append(
            Assumption(
                field=path,
                value=show(value),
                default=REQUIRED if required else show(default),
                unit=str(extra.get("unit", "")),
                description=field.description or "",
                source=str(extra.get("source", "")),
                changed=required or not _same(value, default),
            )
        )
    return rows


def assumptions(scenario: Scenario, sections: list[str]) -> list[Assumption]:
    """Every leaf value of the scenario ``sections`` the run read, in schema order (a section
    the scenario turned off, such as ``study.contingencies: null``, is one row "none")."""
    names = [name for name in Scenario.model_fields if name in sections]
    return _rows(scenario, names, "", None)

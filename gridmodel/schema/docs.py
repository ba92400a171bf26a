"""Generate ``docs/scenarios.md`` and ``docs/scenario.schema.json`` from the scenario schema, so
the reference cannot drift.

python -m gridmodel.schema.docs > docs/scenarios.md
gridmodel schema --json > docs/scenario.schema.json
"""

from __future__ import annotations

import json

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from gridmodel import schema as sc
from gridmodel.schema.loading import annotation_types
from gridmodel.schema.sweep import Sweep


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def walk(model):
        if model in seen:
            return
        seen.append(model)
        for field in model.model_fields.values():
            for arg in annotation_types(field.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    walk(arg)

    walk(root)
    return seen


def _default(field) -> str:
    if field.default_factory is not None:
        value = field.default_factory()
        return (
            f"{type(value).__name__} defaults"
            if isinstance(value, BaseModel)
            else json.dumps(value)
        )
    if field.default is PydanticUndefined:
        return "required"
    return json.dumps(field.default, default=str)


def markdown() -> str:
    lines = [
        "# Scenario reference",
        "",
        "Generated from `gridmodel/schema/` by `python -m gridmodel.schema.docs`; do not edit.",
        "",
    ]
    lines += _tables(sc.Scenario)
    lines += [
        "# Sweep file",
        "",
        "A sweep file (`gridmodel sweep SWEEP.yaml`, see `docs/sweeps.md`): a base scenario and "
        "axes over its fields.",
        "",
    ]
    lines += _tables(Sweep)
    return "\n".join(lines)


def json_schema() -> dict:
    """The JSON schema (draft 2020-12) of a scenario file: YAML editors check and complete
    scenarios with it (``# yaml-language-server: $schema=...`` at the top of a file)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **sc.Scenario.model_json_schema(),
    }


def _tables(root: type[BaseModel]) -> list[str]:
    """One table of fields per model reached from ``root``."""
    lines = []
    for model in _models(root):
        lines += [f"## {model.__name__}", "", (model.__doc__ or "").strip(), ""]
        lines += ["| field | default | unit | description | source |", "|---|---|---|---|---|"]
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            desc = (field.description or "").replace("|", "/")
            lines.append(
                f"| `{name}` | {_default(field)} | {extra.get('unit', '')} | {desc} | {extra.get('source', '')} |"
            )
        lines.append("")
    return lines


if __name__ == "__main__":
    print(markdown(), end="")

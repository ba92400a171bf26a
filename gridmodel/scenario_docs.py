"""Generate ``docs/scenarios.md`` from the scenario schema, so the reference cannot drift.

python -m gridmodel.scenario_docs > docs/scenarios.md
"""

from __future__ import annotations

import json
from typing import get_args

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from gridmodel import scenario as sc


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    seen: list[type[BaseModel]] = []

    def walk(model):
        if model in seen:
            return
        seen.append(model)
        for field in model.model_fields.values():
            for arg in _flatten(field.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    walk(arg)

    walk(root)
    return seen


def _flatten(ann) -> list:
    args = get_args(ann)
    return [ann] if not args else [a for arg in args for a in _flatten(arg)]


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
        "Generated from `gridmodel/scenario.py` by `python -m gridmodel.scenario_docs`; do not edit.",
        "",
    ]
    for model in _models(sc.Scenario):
        lines += [f"## {model.__name__}", "", (model.__doc__ or "").strip(), ""]
        lines += ["| field | default | unit | description | source |", "|---|---|---|---|---|"]
        for name, field in model.model_fields.items():
            extra = field.json_schema_extra or {}
            desc = (field.description or "").replace("|", "/")
            lines.append(
                f"| `{name}` | {_default(field)} | {extra.get('unit', '')} | {desc} | {extra.get('source', '')} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")

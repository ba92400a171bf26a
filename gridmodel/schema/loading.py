"""Reading a scenario from YAML or a mapping, with error messages that name the field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from gridmodel.resources import bundled_dir
from gridmodel.schema.base import ScenarioError
from gridmodel.schema.demand import DemandSeries
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


def shown(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, so a huge value never floods the message."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 15]}... ({len(text):,} chars)"


def _format_errors(
    err: ValidationError, source: str, model: type[BaseModel] = Scenario, what: str = "scenario"
) -> str:
    """One line per wrong field of ``model`` (the scenario, or a sweep file): its name, what is
    wrong or allowed, and the value given."""
    lines = []
    for e in err.errors():
        loc = tuple(e["loc"])
        name = ".".join(str(p) for p in loc) or "(top level)"
        value = e.get("input")
        if e["type"] == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            allowed = ", ".join(parent.model_fields) if parent else "see docs/scenarios.md"
            lines.append(
                f"field '{name}' is not allowed (value {shown(value)}); allowed fields: {allowed}"
            )
        else:
            msg = e["msg"].removeprefix("Value error, ")
            lines.append(f"field '{name}': {msg} (value {shown(value)})")
    if len(lines) == 1:
        return f"{source}: invalid {what}: {lines[0]}"
    return "\n".join([f"{source}: invalid {what}", *(f"  - {line}" for line in lines)])


#: Marks the files of a section that names a `dataset`: they are the dataset's, not paths.
IN_DATASET = Path("<dataset>")


def with_paths_from(value: Any, base_dir: Path, data_dir: Path | None = None) -> Any:
    """``value`` (a scenario or any part of it) with every relative file path read from
    ``base_dir``; parts without a relative path are returned as they are.

    A section with a ``data_dir`` field reads it from ``base_dir`` (empty = ``base_dir``) and the
    files of its measured-demand series (``DemandSeries``) from it; a section that names a
    ``dataset`` keeps them as they are (names of the dataset's files).
    """
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        if isinstance(value, DemandSeries) and data_dir == IN_DATASET:
            return value
        if "data_dir" in fields:
            named = getattr(value, "dataset", None)
            folder = getattr(value, "data_dir", None)
            data_dir = IN_DATASET if named else base_dir / (folder or Path("."))
        base = data_dir if isinstance(value, DemandSeries) and data_dir is not None else base_dir
        update = {}
        for name in fields:
            old = getattr(value, name)
            if name == "data_dir":
                new = None if data_dir == IN_DATASET else data_dir
            else:
                new = with_paths_from(old, base, data_dir)
            if new is not old and new != old:
                update[name] = new
        return value.model_copy(update=update) if update else value
    if isinstance(value, dict):
        items = {k: with_paths_from(v, base_dir, data_dir) for k, v in value.items()}
        changed = any(items[k] is not value[k] for k in value)
        return items if changed else value
    if isinstance(value, list | tuple):
        members = [with_paths_from(v, base_dir, data_dir) for v in value]
        changed = any(new is not old for new, old in zip(members, value, strict=True))
        return type(value)(members) if changed else value
    if isinstance(value, Path) and not value.is_absolute():
        return base_dir / value
    return value


def parse_scenario(data: dict, source: str = "scenario", base_dir: Path | None = None) -> Scenario:
    """Validate a scenario mapping; relative file paths are resolved against ``base_dir``."""
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{source}: a scenario must be a mapping of fields, got {type(data).__name__}"
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(_format_errors(err, source)) from None
    return scenario if base_dir is None else with_paths_from(scenario, base_dir)


def default_scenario_path() -> Path:
    return bundled_dir("scenarios") / "default.yaml"


#: Largest scenario a YAML file may expand to (nodes, aliases counted each time they are used);
#: the bundled scenarios have a few hundred, a file of anchors referring to anchors (a "billion
#: laughs") would expand without bound.
MAX_YAML_NODES = 100_000


class _ScenarioLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice in one mapping."""

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise ScenarioError(
                    f"field '{key}' is given twice (lines {seen[key]} and "
                    f"{key_node.start_mark.line + 1}); YAML keeps only the last, so give it once"
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def _expanded_size(node, sizes: dict) -> int:
    """Nodes of a composed YAML document with every alias expanded (memoised per node)."""
    if id(node) in sizes:
        return sizes[id(node)]
    sizes[id(node)] = 1  # a node that refers to itself counts once
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(v, sizes) for v in node.value)
    else:
        size = 1
    sizes[id(node)] = size
    return size


def scenario_path(path: str | Path | None = None) -> Path:
    """The scenario file ``path`` names: a file, a bundled scenario's name, or the default."""
    path = Path(path) if path is not None else default_scenario_path()
    if path.is_dir():
        raise ScenarioError(f"scenario {path} is a folder, not a YAML file")
    if path.is_file():
        return path
    for candidate in (
        bundled_dir("scenarios") / path.name,
        bundled_dir("scenarios") / f"{path}.yaml",
    ):
        if candidate.is_file():
            return candidate
    raise ScenarioError(f"scenario file {path} not found")


def read_mapping(path: Path) -> Any:
    """The raw content of a scenario file (not yet validated): UTF-8 YAML, no key given twice,
    at most ``MAX_YAML_NODES`` nodes once aliases are expanded."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte {err.start}); save it as UTF-8"
        ) from None
    except OSError as err:
        raise ScenarioError(f"{path}: cannot be read ({err.strerror})") from None
    try:
        loader = _ScenarioLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            size = _expanded_size(node, {})
            if size > MAX_YAML_NODES:
                raise ScenarioError(
                    f"{path}: the YAML expands to {size:,} nodes with its aliases (at most "
                    f"{MAX_YAML_NODES:,}); a scenario needs no nested anchors"
                )
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except ScenarioError as err:
        raise ScenarioError(
            f"{path}: {err}" if not str(err).startswith(str(path)) else str(err)
        ) from None
    except yaml.YAMLError as err:
        raise ScenarioError(f"{path}: not valid YAML: {shown(str(err), 300)}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: the YAML nests too deeply") from None


def load_scenario(path: str | Path | None = None, changes: dict | None = None) -> Scenario:
    """Read and validate a scenario YAML file (the bundled default when ``path`` is None);
    ``changes`` ({dotted.field: value}) replace fields before validation."""
    path = scenario_path(path)
    data = with_changes(read_mapping(path), changes)
    return parse_scenario(data, source=str(path), base_dir=path.parent)


def with_changes(data: Any, changes: dict | None) -> Any:
    """A copy of the scenario mapping ``data`` with ``changes`` ({dotted.field: value}) set."""
    if not changes or not isinstance(data, dict):
        return data
    data = copy.deepcopy(data)
    for dotted, value in changes.items():
        set_field(data, dotted, copy.deepcopy(value))
    return data


def set_field(data: dict, dotted: str, value: Any) -> None:
    """Set ``data[a][b]...`` for ``dotted`` = "a.b...", creating mappings on the way (list
    items by index; the index just past the end appends)."""
    *parents, last = dotted.split(".")
    node = data
    for part in parents:
        if isinstance(node, list):
            node = node[int(part)]
            continue
        if not isinstance(node.get(part), dict | list):
            node[part] = {}
        node = node[part]
    if isinstance(node, list) and int(last) == len(node):
        node.append(value)
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def check_field_path(scenario: BaseModel, dotted: str) -> None:
    """ScenarioError unless ``dotted`` names a field of the validated ``scenario`` (list items by
    index). Inside a section the scenario leaves empty, or a free mapping, the rest of the path is
    left to the validation of the changed scenario."""
    node: Any = scenario
    done: list[str] = []
    for part in dotted.split("."):
        where = f"'{'.'.join(done)}'" if done else "the scenario"
        if isinstance(node, BaseModel):
            fields = type(node).model_fields
            if part not in fields:
                raise ScenarioError(
                    f"'{dotted}' is not a scenario field: {where} has no field '{part}' "
                    f"(fields: {', '.join(fields)})"
                )
            node = getattr(node, part)
        elif isinstance(node, list | tuple):
            if not part.isdigit() or int(part) >= len(node):
                raise ScenarioError(
                    f"'{dotted}' is not a scenario field: {where} is a list of {len(node)} "
                    f"item(s) and '{part}' is not an index of it"
                )
            node = node[int(part)]
        elif node is None or isinstance(node, dict):
            return
        else:
            raise ScenarioError(
                f"'{dotted}' is not a scenario field: {where} is a value ({node!r}) with no "
                f"field '{part}'"
            )
        done.append(part)

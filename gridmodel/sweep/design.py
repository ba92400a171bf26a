"""A sweep file read and expanded into members, every member's scenario validated.

A member is the base scenario with the sweep's fixed ``changes`` and one value of every axis set
(:func:`gridmodel.schema.loading.with_changes`). Its id is the hash of its axis values, so the
same member keeps its folder ``DIR/members/<id>/`` when the sweep is edited or re-run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import qmc

from gridmodel.schema import Scenario, ScenarioError, parse_scenario
from gridmodel.schema.loading import (
    check_field_path,
    check_files,
    read_mapping,
    scenario_path,
    validate,
    with_changes,
)
from gridmodel.schema.sweep import Axis, Design, Sweep


@dataclass(frozen=True)
class Member:
    """One member of a sweep: its axis values, the field changes they make and its scenario."""

    id: str
    values: dict[str, Any]  # axis name -> value
    changes: dict[str, Any]  # dotted field path -> value (the fixed changes and the axes)
    scenario: Scenario


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep: the file, its base scenario, its members (in design order; a member
    drawn twice appears twice with one id) and the stages each runs."""

    sweep: Sweep
    source: Path
    text: str
    base: Scenario
    members: list[Member]
    stages: list[str]

    @property
    def distinct(self) -> dict[str, Member]:
        """Each member once, by id."""
        return {m.id: m for m in self.members}


def _native(value: Any) -> Any:
    """numpy scalars as Python ones (for YAML, JSON and pydantic)."""
    return value.item() if isinstance(value, np.generic) else value


def grid_values(axis: Axis, k: int) -> list[Any]:
    """The values an axis takes in a grid: its ``values``, or ``steps`` evenly spaced over its
    ``range`` (ends included)."""
    if axis.values is not None:
        return list(axis.values)
    if axis.steps is None:
        raise ScenarioError(f"field 'axes.{k}.steps': a `range` in a grid design needs `steps`")
    values = np.linspace(axis.range[0], axis.range[1], axis.steps)
    return [int(round(v)) if axis.integer else float(v) for v in values]


def sampled_value(axis: Axis, u: float) -> Any:
    """The value of an axis at the unit-interval coordinate ``u`` of a sample: one of its
    ``values`` (equal probabilities), or ``low + u (high - low)`` over its ``range`` (integers:
    each whole number of [low, high] equally likely)."""
    if axis.values is not None:
        return axis.values[min(int(u * len(axis.values)), len(axis.values) - 1)]
    low, high = axis.range
    if axis.integer:
        return int(min(np.floor(low + u * (np.floor(high) - np.ceil(low) + 1)), np.floor(high)))
    return float(low + u * (high - low))


def unit_sample(design: Design, n_axes: int) -> np.ndarray:
    """``samples`` x ``n_axes`` points in [0, 1): a Latin hypercube (one point in each of the
    ``samples`` strata of every axis) or independent uniform draws, from the design's seed."""
    rng = np.random.default_rng(design.seed)
    if design.kind == "latin_hypercube":
        return qmc.LatinHypercube(d=n_axes, rng=rng).random(design.samples)
    return rng.random((design.samples, n_axes))


def design_points(sweep: Sweep) -> list[tuple]:
    """Every member's axis values, in design order."""
    if sweep.design.kind == "grid":
        return list(itertools.product(*(grid_values(a, k) for k, a in enumerate(sweep.axes))))
    u = unit_sample(sweep.design, len(sweep.axes))
    return [tuple(sampled_value(a, x) for a, x in zip(sweep.axes, row, strict=True)) for row in u]


def member_id(values: dict[str, Any]) -> str:
    """A member's folder name: the hash of its axis values."""
    text = json.dumps(values, sort_keys=True, default=str)
    return "m-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def read_sweep(path: str | Path) -> tuple[Sweep, str]:
    """The sweep file at ``path``, read by the scenario files' loader and validated
    (ScenarioError naming the file and the wrong field)."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"sweep file {path} not found")
    sweep = validate(read_mapping(path, "sweep"), Sweep, str(path), "sweep")
    return sweep, path.read_text(encoding="utf-8-sig")


def _base_mapping(sweep: Sweep, path: Path) -> tuple[dict, str, Path]:
    """The base scenario's raw mapping, the name its errors carry and the folder its relative
    file paths are read from."""
    if isinstance(sweep.scenario, dict):
        return sweep.scenario, f"{path} (scenario)", path.parent
    local = Path(sweep.scenario)
    local = local if local.is_absolute() else path.parent / local
    try:
        base = scenario_path(local if local.exists() else sweep.scenario)
    except ScenarioError as err:
        raise ScenarioError(f"{path}: field 'scenario': {err}") from None
    return read_mapping(base), str(base), base.parent


def _check_paths(scenario: Scenario, paths: list[str], where: str) -> None:
    for dotted in paths:
        try:
            check_field_path(scenario, dotted)
        except ScenarioError as err:
            raise ScenarioError(f"{where}: {err}") from None


def member_keys(scenario: Scenario, stages: list[str]) -> tuple[str, ...]:
    """What a member computes, checked without running it: the network and every campus site
    known, every file its stages read present, and the key of each stage it runs
    (ScenarioError naming the field otherwise)."""
    from gridmodel.study import INPUT_SECTIONS, STAGES, Study

    study = Study(scenario)
    study.check_scenario()
    plan = study.plan(stages)
    sections = {*INPUT_SECTIONS, *(s for name in plan for s in STAGES[name].sections)}
    check_files(scenario, sections)
    return tuple(study.key(stage) for stage in plan)


def _axis_changes_nothing(sweep: Sweep, first: dict[str, Any],
                          keys_of: Callable[[dict[str, Any]], tuple[str, ...]], where: str,
                          stages: list[str]) -> None:  # fmt: skip
    """Refuse an axis whose values all give one member: from the ``first`` member's axis values,
    members that differ in this axis alone would compute the same thing (``keys_of``: the stage
    keys of the member with these axis values) - the axis sets a field no stage run reads, or
    takes one value."""
    for k, axis in enumerate(sweep.axes):
        if axis.values is not None or sweep.design.kind == "grid":
            values = grid_values(axis, k)
        else:  # the ends of a sampled range
            values = [sampled_value(axis, 0.0), sampled_value(axis, 1.0)]
        keys = set()
        for value in values:
            keys.add(keys_of({**first, axis.label: _native(value)}))
            if len(keys) > 1:
                break
        else:
            shown_values = ", ".join(repr(v) for v in values[:4]) + (", ..." if len(values) > 4 else "")  # fmt: skip
            raise ScenarioError(
                f"{where}: field 'axes.{k}' ({axis.label}: {shown_values}) changes nothing the "
                f"stages run ({', '.join(stages)}) compute: every value gives the same member. "
                "Put a single value in `changes`, or sweep a field these stages read"
            )


def load_sweep(path: str | Path) -> SweepPlan:
    """Read a sweep file and validate every member's scenario before any runs: a wrong axis path
    or value, an unknown network, site or stage, a file a member's stages read that is missing,
    an axis that changes nothing raise ScenarioError naming it."""
    from gridmodel.study import Study

    path = Path(path)
    sweep, text = read_sweep(path)
    data, source, base_dir = _base_mapping(sweep, path)
    raw = parse_scenario(data, source=source, base_dir=base_dir)
    _check_paths(raw, list(sweep.changes), f"{path}: field 'changes'")
    fixed = with_changes(data, sweep.changes)
    base = parse_scenario(fixed, source=f"{source} with the sweep's changes", base_dir=base_dir)
    for k, axis in enumerate(sweep.axes):
        _check_paths(base, axis.paths, f"{path}: field 'axes.{k}.path'")

    if sweep.format == "zarr" and importlib.util.find_spec("zarr") is None:
        raise ScenarioError(f"{path}: field 'format': 'zarr' needs the zarr package (pip install zarr)")  # fmt: skip
    stages = list(sweep.stages) if sweep.stages is not None else Study(base).asked()
    if not stages:
        raise ScenarioError(
            f"{path}: the base scenario asks for no stage; write `stages` or a stage's section"
        )
    built: dict[str, tuple[Member, tuple[str, ...]]] = {}

    def build(values: dict[str, Any]) -> tuple[Member, tuple[str, ...]]:
        """The member of these axis values, validated, and its stage keys (each built once)."""
        mid = member_id(values)
        if mid not in built:
            changes = {p: values[a.label] for a in sweep.axes for p in a.paths}
            where = f"{path}: member {mid} ({describe(values)})"
            try:
                named = with_changes(fixed, {**changes, "name": f"{sweep.name}-{mid}"})
                scenario = parse_scenario(named, source=where, base_dir=base_dir)
                keys = member_keys(scenario, stages)
            except ScenarioError as err:
                raise ScenarioError(str(err) if str(err).startswith(where) else f"{where}: {err}") from None  # fmt: skip
            built[mid] = Member(mid, values, {**sweep.changes, **changes}, scenario), keys
        return built[mid]

    members = [
        build({a.label: _native(v) for a, v in zip(sweep.axes, point, strict=True)})[0]
        for point in design_points(sweep)
    ]
    _axis_changes_nothing(sweep, members[0].values, lambda v: build(v)[1], str(path), stages)
    return SweepPlan(sweep, path, text, base, members, stages)

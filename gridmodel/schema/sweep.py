"""A sweep file: a base scenario, parameter axes over its fields and how members are drawn.

    # which site and size? every site x every size
    name: texas2000-sites
    scenario: texas2000-west-n1-hosting     # a file (relative to this one), a bundled name,
    changes: {period.hours: 24}             # ... or an inline mapping; fixed changes for all
    axes:
      - path: campuses.0.site
        values: [roscoe-500, odessa-500]
      - path: campuses.0.mw
        values: [500, 1000]
    design: {kind: grid}                    # or latin_hypercube / random with samples and seed

Each axis sets one scenario field (or several together) by its dotted path, as
``gridmodel run --hours`` does; every member's scenario is validated before any member runs.
A sweep has at most ``MAX_SWEEP_MEMBERS`` members, and every axis must change what a member's
stages compute.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import field_validator, model_validator

from gridmodel.schema.base import Section, param

#: Most members a sweep may have: each is validated before any runs (300 members of a bills
#: sweep in 4 s on a shared two-core machine) and stored in its own folder; a larger study is
#: several sweeps.
MAX_SWEEP_MEMBERS = 10_000


class Axis(Section):
    """One swept parameter: the scenario field(s) it sets and the values it takes."""

    path: str | list[str] = param(
        description="Dotted path of the scenario field (e.g. `campuses.0.mw`, `bills.wacc`, "
        "`seed`); a list sets several fields to the same value together."
    )
    values: list[Any] | None = param(
        None,
        description="The values taken: every one in a grid, drawn with equal probability in a "
        "sample. Any YAML value the field accepts (numbers, names, mappings).",
    )
    range: tuple[float, float] | None = param(
        None,
        description="Instead of `values`, a range [low, high]: `steps` evenly spaced values "
        "(ends included) in a grid, uniform draws in a sample.",
    )
    steps: int | None = param(
        None,
        description="Values of a `range` in a grid design (ends included).",
        ge=2,
        le=MAX_SWEEP_MEMBERS,
    )
    integer: bool = param(
        False, description="Round the values of a `range` to whole numbers (seeds, hours, MW)."
    )
    name: str | None = param(
        None,
        description="Name of the axis in the combined result (a coordinate along `member`); "
        "empty = its (first) path.",
    )

    @field_validator("path")
    @classmethod
    def _paths_written(cls, value):
        paths = [value] if isinstance(value, str) else value
        if not paths or any(not p or p != p.strip() or ".." in p for p in paths):
            raise ValueError("give a dotted field path such as 'campuses.0.mw'")
        return value

    @model_validator(mode="after")
    def _values_or_range(self) -> Axis:
        if (self.values is None) == (self.range is None):
            raise ValueError("give either `values` or `range` (not both)")
        if self.values is not None and not self.values:
            raise ValueError("`values` is empty")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"`range` must be [low, high] with low < high, got {self.range}")
        if self.range is None and (self.steps is not None or self.integer):
            raise ValueError("`steps` and `integer` apply to a `range` only")
        return self

    @property
    def paths(self) -> list[str]:
        return [self.path] if isinstance(self.path, str) else list(self.path)

    @property
    def label(self) -> str:
        return self.name or self.paths[0]


class Design(Section):
    """How members are drawn from the axes."""

    kind: Literal["grid", "latin_hypercube", "random"] = param(
        "grid",
        description="`grid`: every combination of the axes' values; `latin_hypercube`: "
        "`samples` members stratified along every axis (McKay, Beckman & Conover 1979); "
        "`random`: `samples` independent uniform draws.",
    )
    samples: int | None = param(
        None,
        description=f"Members of a sampled design (at most {MAX_SWEEP_MEMBERS:,}).",
        ge=1,
        le=MAX_SWEEP_MEMBERS,
    )
    seed: int = param(0, description="Seed of the sampled design's draws.", ge=0)

    @model_validator(mode="after")
    def _samples_for_samples(self) -> Design:
        if self.kind == "grid" and self.samples is not None:
            raise ValueError("`samples` applies to `latin_hypercube` and `random` designs")
        if self.kind != "grid" and self.samples is None:
            raise ValueError(f"a `{self.kind}` design needs `samples`")
        return self


class Sweep(Section):
    """A sweep: members are the base scenario with the axes' values set, run on a Dask cluster.

    Members run the stages of `stages` (default: those the base scenario asks for) and each
    writes its results under `DIR/members/<member>/`; the combined result is one dataset along
    a `member` dimension under `DIR/sweep/`.
    """

    name: str = param(description="Short label used in results.")
    description: str = param("", description="The question the sweep answers.")
    scenario: str | dict[str, Any] = param(
        description="Base scenario: a file path (relative to the sweep file), a bundled "
        "scenario's name, or the scenario written inline as a mapping."
    )
    changes: dict[str, Any] = param(
        default_factory=dict,
        description="Fixed changes applied to every member before the axes: {dotted.path: value} "
        "(e.g. a shorter `period.hours`).",
    )
    axes: list[Axis] = param(
        description=f"The swept parameters; a grid has at most {MAX_SWEEP_MEMBERS:,} members, and "
        "every axis must change what the members' stages compute.",
        min_length=1,
    )
    design: Design = param(default_factory=Design, description="How members are drawn.")
    stages: list[str] | None = param(
        None,
        description="Stages each member runs (and what they need); empty = those the base "
        "scenario asks for.",  # fmt: skip
    )
    format: Literal["netcdf", "zarr"] = param(
        "netcdf",
        description="Store of the combined result: NetCDF-4 (`sweep.nc`), or Zarr (`sweep.zarr`, "
        "chunked along `member`, for sweeps of many members).",
    )
    member_figures: bool = param(
        False,
        description="Draw every member's stage figures too (slow for large sweeps; the sweep's "
        "own summary figures are always drawn).",
    )

    @model_validator(mode="after")
    def _unique_axes(self) -> Sweep:
        labels = [a.label for a in self.axes]
        if len(set(labels)) != len(labels):
            raise ValueError(f"axis names must be unique, got {labels} (set `name`)")
        paths = [p for a in self.axes for p in a.paths]
        if len(set(paths)) != len(paths):
            raise ValueError(f"a field is set by two axes: {paths}")
        if self.design.kind == "grid":
            size = 1
            for axis in self.axes:
                size *= len(axis.values) if axis.values is not None else (axis.steps or 1)
            if size > MAX_SWEEP_MEMBERS:
                raise ValueError(
                    f"the grid has {size:,} members, at most {MAX_SWEEP_MEMBERS:,}: fewer values "
                    "or steps, or a `latin_hypercube` design with `samples`"
                )
        return self

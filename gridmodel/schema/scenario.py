"""The scenario: every section together, and its hash."""

from __future__ import annotations

import hashlib
import json

from pydantic import model_validator

from gridmodel.schema.base import Section, param
from gridmodel.schema.bills import Bills
from gridmodel.schema.campus import Campus
from gridmodel.schema.events import Events
from gridmodel.schema.grid import Dispatch, LoadGrowth, Period
from gridmodel.schema.headroom import Headroom
from gridmodel.schema.optimize import Optimize
from gridmodel.schema.profile import ProfileOutput
from gridmodel.schema.study import Study


class Scenario(Section):
    """A study: a network, its campuses and the stages to run.

    A stage runs in `gridmodel study` when its section is written in the scenario: `profile`,
    `study` (grid stress), `events`, `optimize`, `bills`; a stage another one needs runs too.
    """

    name: str = param(description="Short label used in results.")
    description: str = param("", description="The question the scenario answers.")
    network: str = param(description="Bundled network name (see `gridmodel networks`).")
    period: Period = param(default_factory=Period, description="Studied hours.")
    load_growth: LoadGrowth = param(default_factory=LoadGrowth, description="Background growth.")
    campuses: list[Campus] = param(default_factory=list, description="Data-centre campuses.")
    dispatch: Dispatch = param(default_factory=Dispatch, description="Generator dispatch rule.")
    profile: ProfileOutput | None = param(
        None, description="Fine-resolution campus load profiles (`gridmodel profile`)."
    )
    study: Study = param(
        default_factory=Study, description="Grid stress: analyses and limits (`gridmodel run`)."
    )
    optimize: Optimize | None = param(
        None, description="Sizing and expansion (`gridmodel optimize`)."
    )
    bills: Bills | None = param(None, description="Bill impacts (`gridmodel bills`).")
    events: Events | None = param(None, description="Grid events (`gridmodel events`).")
    headroom: Headroom | None = param(
        None,
        description="Balancing-area headroom and flexible hosting capacity at network sites "
        "(`gridmodel headroom`).",
    )
    seed: int = param(0, description="Seed of every random draw in the run.", ge=0)

    @model_validator(mode="after")
    def _unique_campus_names(self) -> Scenario:
        names = [c.name for c in self.campuses]
        if len(set(names)) != len(names):
            raise ValueError(f"campus names must be unique, got {names}")
        osc = self.events.oscillation if self.events else None
        if osc is not None and osc.campus is not None and osc.campus not in names:
            raise ValueError(
                f"events.oscillation.campus: '{osc.campus}' is not a campus of the scenario "
                f"(campuses: {names})"
            )
        sizing = self.optimize.campus if self.optimize else None
        if sizing is not None and sizing.grid.price_usd_per_mwh == "lmp":
            if self.dispatch.rule not in ("economic", "auto"):
                raise ValueError(
                    "optimize.campus.grid.price_usd_per_mwh: 'lmp' needs locational prices; "
                    f"set dispatch.rule to 'economic' (it is '{self.dispatch.rule}')"
                )
        shape = self.headroom.shape if self.headroom else None
        if shape is not None and shape.campus is not None and shape.campus not in names:
            raise ValueError(
                f"headroom.shape.campus: '{shape.campus}' is not a campus of the scenario "
                f"(campuses: {names})"
            )
        profiled = self.profile.hours if self.profile else None
        if profiled is not None and self.period.hours is not None and profiled > self.period.hours:
            raise ValueError(
                f"profile.hours: {profiled} hours is longer than the study period "
                f"(period.hours: {self.period.hours}); give at most {self.period.hours}"
            )
        for k, load in enumerate(self.bills.large_loads if self.bills else []):
            if load.campus not in names:
                raise ValueError(
                    f"bills.large_loads.{k}.campus: '{load.campus}' is not a campus of the "
                    f"scenario (campuses: {names})"
                )
        return self

    def digest(self) -> str:
        """Stable hash of the validated scenario (stored in result attributes)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

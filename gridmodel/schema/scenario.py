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
from gridmodel.schema.optimize import Optimize
from gridmodel.schema.study import Study


class Scenario(Section):
    """A grid-stress scenario."""

    name: str = param(description="Short label used in results.")
    description: str = param("", description="The question the scenario answers.")
    network: str = param(description="Bundled network name (see `gridmodel networks`).")
    period: Period = param(default_factory=Period, description="Studied hours.")
    load_growth: LoadGrowth = param(default_factory=LoadGrowth, description="Background growth.")
    campuses: list[Campus] = param(default_factory=list, description="Data-centre campuses.")
    dispatch: Dispatch = param(default_factory=Dispatch, description="Generator dispatch rule.")
    study: Study = param(default_factory=Study, description="Analyses and limits.")
    optimize: Optimize | None = param(
        None, description="Sizing and expansion (`gridmodel optimize`)."
    )
    bills: Bills | None = param(None, description="Bill impacts (`gridmodel bills`).")
    events: Events | None = param(None, description="Grid events (`gridmodel events`).")
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

"""`study`: the limits, N-1 screening and hosting-capacity search of the grid-stress stage."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from gridmodel.schema.base import Section, param

HourSpec = Annotated[int, Field(ge=0)] | Literal["peak", "valley"]

ENFORCE_Q_LIMS_DEFAULT = False
ENFORCE_Q_LIMS_SOURCE = (
    "Off, as in pandapower's runpp. Measured on the default scenario (texas2000, every 24th "
    "hour of 2016, 366 hours): with the limits enforced 186 hours have no power-flow solution "
    "and the others reach 0.30 pu, against 1 hour without a solution otherwise. The ACTIVSg "
    "cases give the units narrow reactive ranges and keep the switched shunts at their "
    "base-case steps, and the merit-order commitment runs fewer units than the case, so a "
    "year-long study with the limits held reports reactive shortfalls of the data rather "
    "than of the campus; switch it on for single hours or to compare with tools that hold "
    "them."
)


class Contingencies(Section):
    """N-1 branch screening."""

    hours: list[HourSpec] = param(
        ["peak"],
        description="Study hours screened: `peak`, `valley` or hour indices in the period.",
    )
    set: Literal["all_branches", "case_table"] = param(
        "all_branches",
        description="`all_branches`: every in-service branch; `case_table`: the case's own "
        "contingency table (branch outages).",
    )
    rating_factor: float = param(
        1.0,
        description="Post-contingency limit as a multiple of RATE_A.",
        source="The ACTIVSg cases carry RATE_A only (RATE_B = RATE_C = 0), so emergency "
        "ratings default to the normal rating.",
        gt=0,
    )


class HostingCapacity(Section):
    """Largest campus size at a site with no new violation over the chosen hours."""

    site: str | None = param(None, description="Site name; empty = the first campus's location.")
    hours: list[HourSpec] | int = param(
        24,
        description="Hours checked: a list of hour specs, or N = the N highest-load hours.",
    )
    max_mw: float = param(5000.0, description="Upper end of the search.", unit="MW", gt=0)
    tolerance_percent: float = param(
        0.5, description="Bisection stops when the bracket is this narrow.", unit="%", gt=0
    )
    n1: bool = param(True, description="Also compute the N-1 hosting capacity (peak hour).")


class Study(Section):
    """What the grid-stress run analyses and reports."""

    loading_limit_percent: float = param(
        100.0, description="Branch loading above which a branch is overloaded.", unit="%", gt=0
    )
    voltage_limits: Literal["case"] | tuple[float, float] = param(
        "case",
        description="`case`: each bus's VMIN/VMAX from the case file; or [vmin, vmax] in pu.",
    )
    worst_branches: int = param(10, description="Branches shown in tables and figures.", gt=0)
    contingencies: Contingencies | None = param(
        default_factory=Contingencies, description="N-1 screening; empty to skip."
    )
    hosting_capacity: HostingCapacity | None = param(
        default_factory=HostingCapacity, description="Hosting capacity search; empty to skip."
    )
    worsening_percent: float = param(
        5.0,
        description="A branch overload is charged to a campus (hosting capacity) or to an outage "
        "(N-1) only if that cause raised the branch's loading by at least this many percentage "
        "points of its rating.",
        unit="%",
        source="5 % contribution cut-off of PJM's deliverability tests (PJM Manual 14B, "
        "generator and load deliverability procedures).",
        ge=0,
    )
    worsening_vm_pu: float = param(
        0.01,
        description="The same for voltages: a bus outside its limits is charged to the cause only "
        "if the cause moved it outward by at least this much.",
        unit="pu",
        source="Modelling choice: a little more than one step (0.625 %) of a standard "
        "+/-10 %, 32-step load tap changer, i.e. a change an operator would notice; no planning "
        "standard fixes this value.",
        ge=0,
    )
    include_infeasible_hours: bool = param(
        False,
        description="Count hours whose dispatch is infeasible (`dispatch_feasible` false: "
        "demand above the committed fleet, or the slack beyond the fleet's limits) in the "
        "overload and voltage tables; by default they are listed apart and left out.",
    )
    max_iter: int = param(
        15,
        description="Newton-Raphson iteration limit per hour.",
        source="An hour not converged in 15 iterations from the base-case voltage is reported as "
        "not converged (pandapower's own NR default is 10).",
        gt=0,
    )
    tolerance_mva: float = param(
        1e-6, description="Newton-Raphson mismatch tolerance.", unit="MVA", gt=0
    )
    enforce_q_lims: bool = param(
        ENFORCE_Q_LIMS_DEFAULT,
        description="Hold generators within their reactive limits [min_q_mvar, max_q_mvar]: "
        "after each solve, every unit whose reactive output lies outside them gives up voltage "
        "control and is held at the violated limit, and the hour is solved again, until no "
        "new violation (pandapower's runpp(enforce_q_lims=True) rule; the reference unit is "
        "never limited and a unit does not return to voltage control). The case's voltage "
        "set-points and its switched shunts, fixed at their base-case steps, are kept.",
        source=ENFORCE_Q_LIMS_SOURCE,
    )

    @field_validator("voltage_limits")
    @classmethod
    def _ordered(cls, v):
        if v != "case" and not (0 < v[0] < v[1]):
            raise ValueError(f"need 0 < vmin < vmax, got {list(v)}")
        return v

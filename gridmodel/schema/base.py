"""Building blocks of the scenario schema: the error type, strict sections, documented fields."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from gridmodel.errors import ScenarioError
from gridmodel.schema.sources import ATB_2024_FINANCING, PJM_BRA_2025

__all__ = ["ScenarioError", "Section", "param", "reserve_margin_param", "wacc_param"]


def param(
    default: Any = ...,
    *,
    description: str,
    unit: str | None = None,
    source: str | None = None,
    **kw,
):
    """A scenario field with its description, unit and the source of its default."""
    extra: JsonDict = {k: v for k, v in (("unit", unit), ("source", source)) if v is not None}
    return Field(default, description=description, json_schema_extra=extra or None, **kw)


class Section(BaseModel):
    """A scenario section: unknown fields refused, numbers finite (no NaN or infinity), values
    frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def wacc_param(description: str):
    """The weighted average cost of capital, one default for every section that finances assets."""
    return param(
        0.0799,
        description=description,
        source=f"Derived: nominal after-tax WACC 7.99 % from {ATB_2024_FINANCING}",
        ge=0,
        lt=0.3,
    )


def reserve_margin_param(description: str):
    """The planning reserve margin over the forecast peak, one default for every section."""
    return param(
        0.178,
        description=description,
        source=f"{PJM_BRA_2025}: reserve-margin target 17.8 %",
        ge=0,
    )

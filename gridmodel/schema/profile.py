"""`profile`: the campus load profiles at a fine resolution (`gridmodel profile`)."""

from __future__ import annotations

import pandas as pd
from pydantic import field_validator

from gridmodel.schema.base import Section, param

#: Finest resolution: every resolution is a whole number of 10 ms ticks dividing an hour.
TICK_S = 0.01
TICKS_PER_HOUR = 360_000


def parse_resolution(value: str | float) -> float:
    """Resolution in seconds from '10ms', '1s', '15min', '1h' or a number of seconds.

    It must be a whole number of 10 ms ticks that divides one hour.
    """
    try:
        seconds = float(value) if not isinstance(value, str) else None
        if seconds is None:
            seconds = pd.Timedelta(value).total_seconds()
    except ValueError:
        raise ValueError(
            f"resolution {value!r} is not a duration (use e.g. 10ms, 1s, 1min, 1h)"
        ) from None
    ticks = round(seconds / TICK_S)
    if ticks < 1 or abs(ticks * TICK_S - seconds) > 1e-9 or TICKS_PER_HOUR % ticks:
        raise ValueError(
            f"resolution {value!r} ({seconds:g} s) must be a multiple of 10 ms that divides one "
            "hour (e.g. 10ms, 100ms, 1s, 5s, 1min, 15min, 1h)"
        )
    return ticks * TICK_S


class ProfileOutput(Section):
    """Fine-resolution profiles, metrics and compliance of every `model` campus."""

    resolution: str = param(
        "1s",
        description="Sample interval, 10ms ... 1h; a whole number of 10 ms dividing one hour.",
        source="1 s: the resolution of ERCOT's proposed large-load ramp rule (10 MW per 5 s) "
        "checks; 10 ms resolves the 0.1-20 Hz band the NERC LLTF flags.",
    )
    hours: int | None = param(
        None,
        description="Hours profiled from the study period's first hour; empty = the whole period.",
        unit="h",
        gt=0,
    )

    @field_validator("resolution")
    @classmethod
    def _resolution(cls, v: str) -> str:
        parse_resolution(v)
        return v

    @property
    def resolution_s(self) -> float:
        return parse_resolution(self.resolution)

"""What the optimiser takes from other stages: each link a documented rule a scenario overrides
with an explicit input."""

from __future__ import annotations

import numpy as np
import xarray as xr

from gridmodel.schema import ScenarioError


def campus_lmp(stress: xr.DataTree | None, bus: int, time: np.ndarray) -> np.ndarray:
    """Hourly price ($/MWh) of a campus at case bus ``bus``: the locational marginal price at its
    bus from the grid-stress stage's economic dispatch (with the campuses), for the hours
    ``time``. No second dispatch: the prices are those the stress run wrote.

    Override: give `optimize.campus.grid.price_usd_per_mwh` a number or a CSV instead of `lmp`.
    """
    ts = None if stress is None else stress["timeseries"]
    if ts is None or "lmp_usd_per_mwh" not in ts:
        raise ScenarioError(
            "field 'optimize.campus.grid.price_usd_per_mwh': 'lmp' needs the locational prices "
            "of the grid-stress stage; set dispatch.rule to 'economic'"
        )
    return ts.lmp_usd_per_mwh.sel(bus=bus, time=time).to_numpy().astype(float)

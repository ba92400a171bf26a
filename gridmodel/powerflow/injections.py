"""What changes each hour (``Injections``) and the network it changes on (``StudyCase``).

As pandapower's time series separates controllers from the grid, the hourly injections - loads,
set-points, commitment - are kept apart from the network; the batched solver, the pandapower
reference path and the N-1 screening all read the same two objects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmodel.networks import Network
from gridmodel.powerflow.dispatch import DispatchRule, Fleet


@dataclass(frozen=True)
class Injections:
    """Hourly injections (MW, MVAr), rows = hours of the study.

    ``load_p``/``load_q`` cover every ``net.load`` row (campus loads last); ``gen_p``/``sgen_p``
    are set-points; ``gen_off`` marks uncommitted generators; ``cost_usd`` is the hour's
    generation cost. ``lmp`` (hours x buses, $/MWh) and ``overload_mw`` come from a
    network-aware dispatch rule and have no columns / NaN otherwise. ``dispatch_feasible`` is
    False in hours whose committed units cannot serve demand (or must run above it).
    """

    hour: np.ndarray
    load_p: np.ndarray
    load_q: np.ndarray
    gen_p: np.ndarray
    sgen_p: np.ndarray
    gen_off: np.ndarray
    shortfall_mw: np.ndarray
    surplus_mw: np.ndarray
    cost_usd: np.ndarray
    lmp: np.ndarray
    overload_mw: np.ndarray
    dispatch_feasible: np.ndarray

    def take(self, rows) -> Injections:
        """The same injections restricted to ``rows`` (positions, not hours)."""
        rows = np.asarray(rows)
        return Injections(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


@dataclass
class StudyCase:
    """Network with campus loads added (slack weights set), the fleet and the campus columns.
    ``availability`` is each unit's available output per unit of Pmax for every hour of the load
    year (hours x units; None = always at Pmax)."""

    network: Network
    net: object
    fleet: Fleet
    campus_names: list[str]
    campus_buses: list[int]
    campus_load_index: np.ndarray  # positions of campus loads in net.load
    campus_power_factor: np.ndarray
    loss_factor: float
    dispatch_rule: str
    dispatch: DispatchRule | None  # None: injections come from a stored dispatch
    load_year: int  # calendar year of hour 0 of the loads
    availability: np.ndarray | None = None

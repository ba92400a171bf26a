"""What the events stage takes from grid stress: the solved hour it starts from, and the
inertia of every hour's committed units."""

from __future__ import annotations

import numpy as np
import xarray as xr

from gridmodel.inputs import StudyInputs
from gridmodel.networks import Network
from gridmodel.powerflow.case import study_case, study_loads
from gridmodel.powerflow.injections import Injections, StudyCase
from gridmodel.schema import HourlyFrequency, ScenarioError
from gridmodel.stress.violations import resolve_hours


def solved_hour(
    study: StudyInputs, stress: xr.DataTree, hour_spec
) -> tuple[StudyCase, Injections, int]:
    """The events start from the grid-stress run's solved hour named by ``hour_spec`` (`peak`,
    `valley` or a position in the period): that hour's loads, and the set-points and commitment
    the stress dispatch gave its units - no second dispatch. Returns the case, that one hour's
    injections and its position in the stress period.

    Override: `events.hour` chooses the hour; the stress run must have solved it.
    """
    ts = stress["timeseries"]
    try:
        row = int(resolve_hours([hour_spec], ts.load_mw.to_numpy())[0])
    except ValueError as err:
        raise ScenarioError(f"field 'events.hour': {err}") from None
    if not bool(ts.converged.values[row]):
        raise ScenarioError(
            f"field 'events.hour': the grid-stress power flow of {ts.time.values[row]} did not "
            "converge, so no event can start from it; choose another hour"
        )
    loads = study_loads(study)
    case = study_case(study, loads, None, float(stress.attrs["loss_factor"]))
    one = [row]
    inj = Injections(
        hour=loads.hours[one],
        load_p=loads.load_p[one],
        load_q=loads.load_q[one],
        gen_p=ts.gen_p_mw.values[one],
        sgen_p=ts.sgen_p_mw.values[one],
        gen_off=~ts.gen_committed.values[one].astype(bool),
        shortfall_mw=ts.dispatch_shortfall_mw.values[one],
        surplus_mw=ts.dispatch_surplus_mw.values[one],
        cost_usd=ts.dispatch_cost_usd.values[one],
        lmp=np.zeros((1, 0), np.float32),
        overload_mw=np.full(1, np.nan),
        dispatch_feasible=ts.dispatch_feasible.values[one].astype(bool),
    )
    return case, inj, row


def dispatch_inertia(network: Network, stress: xr.DataTree, spec: HourlyFrequency) -> np.ndarray:
    """Stored kinetic energy (MW·s) in each hour of the grid-stress run: Σ H_fuel · S over the
    synchronous units its dispatch committed (``gen_committed``; H by the unit's fuel from
    ``spec.inertia_constant_s``, S its MVA rating in the case, its maximum output where the case
    gives none), not below ``spec.floor_gws``. Inverter-based units (wind, solar) and fuels
    without a constant add nothing. No second dispatch: the commitment is the one stored.

    Override: `events.hourly: null` and an `inertia_csv` (or `inertia_gws`) per system.
    """
    ts = stress["timeseries"]
    units = network.units[network.units.element == "gen"]
    if not np.array_equal(units.bus.to_numpy(), ts.gen_bus.to_numpy()):
        raise ScenarioError(
            "field 'events.hourly': the grid-stress result's generators do not match the "
            "network's; rerun the grid-stress stage"
        )
    gen = network.net.gen
    mva = np.where(np.isfinite(gen.sn_mva.to_numpy(float)), gen.sn_mva.to_numpy(float),
                   gen.max_p_mw.to_numpy(float))  # fmt: skip
    h = np.array([spec.inertia_constant_s.get(str(f), 0.0) for f in units.fuel])
    committed = ts.gen_committed.to_numpy().astype(bool)
    return np.maximum(committed.astype(float) @ (h * mva), 1000.0 * spec.floor_gws)

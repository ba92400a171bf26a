"""Retained voltages during a balanced three-phase fault: the bus impedance method.

The network's bus admittance matrix is completed with the sources and the loads as they stand
in the first cycles of the fault (Grainger and Stevenson, Power System Analysis, 1994, ch. 10):

- synchronous generators: an EMF behind the subtransient reactance x''d on the machine base
  (``sn_mva``; ``max_p_mw`` / 0.85 where the case gives none);
- external grids: their short-circuit power ``s_sc_max_mva`` with ``rx_max``;
- loads: constant impedances at their pre-fault voltage (optional);
- converter-interfaced generators (``sgen``) are current-limited and left out, which makes the
  dips slightly deeper than with their fault current.

With Z = Y⁻¹ and the pre-fault voltages V⁰ (the solved power flow, or a flat 1 pu), a fault of
impedance z_f at bus k leaves V_i = V⁰_i − Z_ik V⁰_k / (Z_kk + z_f) at every bus i.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import xarray as xr

#: Subtransient reactance (pu on machine base) where the case gives none: typical round-rotor
#: turbo-generator value, Kundur, Power System Stability and Control (1994), Table 4.2
#: (x''d 0.12-0.25 pu); the midpoint of the upper half, so dips are not understated.
X_DSS_PU = 0.2
#: Rated power factor used to derive a machine base from ``max_p_mw`` (Kundur Table 4.2 ranges
#: 0.85-0.9 for large turbo-generators).
RATED_POWER_FACTOR = 0.85


def _ppc_bus(net, pd_bus: np.ndarray) -> np.ndarray:
    return net._pd2ppc_lookups["bus"][np.asarray(pd_bus, int)]


def _shunt_admittance(net, x_dss_pu: float, include_loads: bool, v0: np.ndarray) -> np.ndarray:
    """Admittance (pu on the system base) added at each ppc bus by sources and loads."""
    base = net.sn_mva
    y = np.zeros(len(v0), complex)
    gen = net.gen[net.gen.in_service]
    sn = gen.sn_mva.to_numpy(float)
    sn = np.where(np.isfinite(sn) & (sn > 0), sn, gen.max_p_mw.to_numpy(float) / RATED_POWER_FACTOR)
    np.add.at(y, _ppc_bus(net, gen.bus), (sn / base) / (1j * x_dss_pu))
    grid = net.ext_grid[net.ext_grid.in_service]
    if len(grid):
        if "s_sc_max_mva" not in grid or grid.s_sc_max_mva.isna().any():
            raise ValueError("every in-service ext_grid needs s_sc_max_mva for a fault study")
        rx = grid.rx_max.to_numpy(float) if "rx_max" in grid else np.zeros(len(grid))
        z = (base / grid.s_sc_max_mva.to_numpy(float)) * (rx + 1j) / np.sqrt(1.0 + rx**2)
        np.add.at(y, _ppc_bus(net, grid.bus), 1.0 / z)
    if include_loads:
        load = net.load[net.load.in_service]
        rows = _ppc_bus(net, load.bus)
        s = (load.p_mw.to_numpy(float) + 1j * load.q_mvar.to_numpy(float)) * load.scaling
        np.add.at(y, rows, np.conj(s / base) / np.abs(v0[rows]) ** 2)
    return y


def fault_voltages(
    net,
    fault_buses,
    z_fault_ohm: complex = 0.0,
    x_dss_pu: float = X_DSS_PU,
    include_loads: bool = True,
    prefault: str = "power_flow",
) -> xr.DataArray:
    """Voltage magnitude (pu) at every bus during a three-phase fault at each of ``fault_buses``.

    ``net`` is a pandapower net solved by ``runpp`` (its ppc and ``res_bus`` are used);
    ``fault_buses`` are pandapower bus indices; ``z_fault_ohm`` the fault impedance;
    ``prefault`` "power_flow" (the solved voltages) or "flat" (1 pu, as IEC 60909 with c = 1).
    Returns dims (fault, bus) with pandapower bus indices as coordinates.
    """
    from pandapower.pypower.makeYbus import makeYbus

    if prefault not in ("power_flow", "flat"):
        raise ValueError(f"prefault must be 'power_flow' or 'flat', got {prefault!r}")
    ppc = net._ppc
    n = ppc["bus"].shape[0]
    rows = _ppc_bus(net, net.bus.index)
    v0 = np.ones(n, complex)
    if prefault == "power_flow":
        res = net.res_bus
        v0[rows] = res.vm_pu.to_numpy() * np.exp(1j * np.deg2rad(res.va_degree.to_numpy()))
        v0[~np.isfinite(v0)] = 0.0
    ybus, _, _ = makeYbus(ppc["baseMVA"], ppc["bus"], ppc["branch"])
    y = sp.csc_matrix(ybus) + sp.diags(_shunt_admittance(net, x_dss_pu, include_loads, v0))
    # isolated or out-of-service buses: pin them to earth so the matrix stays regular
    dead = np.abs(y.diagonal()) == 0
    y = y + sp.diags(dead.astype(float))
    lu = spla.splu(sp.csc_matrix(y))
    fault_buses = np.atleast_1d(np.asarray(fault_buses, int))
    k = _ppc_bus(net, fault_buses)
    rhs = np.zeros((n, len(k)), complex)
    rhs[k, np.arange(len(k))] = 1.0
    z_cols = lu.solve(rhs)  # column j: Z[:, k_j]
    z_kk = z_cols[k, np.arange(len(k))]
    vn = net.bus.vn_kv.loc[fault_buses].to_numpy(float)
    z_f = complex(z_fault_ohm) / (vn**2 / net.sn_mva)
    v = v0[:, None] - z_cols * (v0[k] / (z_kk + z_f))[None, :]
    vm = np.abs(v[rows, :]).T
    vm[:, dead[rows]] = 0.0
    return xr.DataArray(
        vm,
        dims=("fault", "bus"),
        coords={"fault": fault_buses, "bus": net.bus.index.to_numpy()},
        attrs={"units": "pu", "x_dss_pu": x_dss_pu, "prefault": prefault},
    )

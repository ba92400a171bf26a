"""Numba kernels of the time-series Newton-Raphson power flow (:mod:`gridmodel.powerflow.newton`).

Unknowns ``x = [Va (non-reference buses), Vm (non-reference buses), s]``, equations
``F = [P mismatch (every bus), Q mismatch or Vm - Vset (non-reference buses)]``, all per unit:

    P_i(V) - P_spec,i - w_i·s = 0          every bus (s: power the distributed slack picks up)
    Q_i(V) - Q_spec,i = 0                  a bus without voltage control this iteration
    |V_i| - Vset,i = 0                     a voltage-controlled bus

with ``S_i(V) = V_i·conj(Σ_j Y_ij V_j)``. Every bus keeps its magnitude unknown whatever its type,
so the Jacobian has one sparsity pattern for every hour, commitment and reactive-limit state: one
KLU symbolic analysis serves a whole year. A Jacobian factorisation is reused (a chord step)
while the mismatch keeps shrinking by :data:`CONTRACTION` per step, and refreshed when it does not
or when a bus changes type. Buses cut off from the reference (an outage that splits the grid)
are "dead": their rows read ``ΔVa = 0``, ``ΔVm = 0`` and they carry no slack share.

Solve steps of an hour (:data:`STEP_NAMES`): from the warm start, from the base-case voltage,
from a DC power flow, damped Newton (Iwamoto's optimal multiplier) from the DC start, or not
converged. A warm-started solution with a bus below :data:`LOW_VOLTAGE` is compared with the
one from the base-case start and the higher-voltage one is kept. Generator reactive limits follow pandapower's ``runpp(enforce_q_lims=True)``: solve,
switch every voltage-controlled bus whose units' reactive output lies outside the sum of their
[Qmin, Qmax] to PQ at the violated limit, solve again, until no new violation (the reference bus
is never limited, a bus never switches back).
"""

from __future__ import annotations

import numpy as np
from numba import njit

CONTRACTION = 0.25
CHORD_BUDGET = 4  # steps allowed per Newton step of the iteration limit (chord steps are cheap)
LOW_VOLTAGE = 0.8  # pu; a warm-started solution with a bus below it is checked from the base case
STEP_NAMES = {
    0: "warm start (previous solved hour)",
    1: "base-case start",
    2: "DC power-flow start",
    3: "damped Newton (Iwamoto multiplier) from the DC start",
    -1: "not converged",
}
NOT_CONVERGED = -1


@njit(nogil=True, cache=True)
def mismatch(ybus, v, bus, s, jac, F, ibus, sbus):
    """Fill F (see module docstring), the bus currents and complex injections; return max|F|."""
    yp, yi, yx = ybus
    p_spec, q_eff, w, pv, vset, alive = bus
    p_row, q_row = jac[5], jac[6]
    n = v.shape[0]
    for i in range(n):
        acc = 0j
        for k in range(yp[i], yp[i + 1]):
            acc += yx[k] * v[yi[k]]
        ibus[i] = acc
        sbus[i] = v[i] * np.conj(acc)
    norm = 0.0
    for i in range(n):
        f = sbus[i].real - p_spec[i] - w[i] * s if alive[i] else 0.0
        F[p_row[i]] = f
        norm = max(norm, abs(f))
        r = q_row[i]
        if r >= 0:
            if not alive[i]:
                f = 0.0
            elif pv[i]:
                f = abs(v[i]) - vset[i]
            else:
                f = sbus[i].imag - q_eff[i]
            F[r] = f
            norm = max(norm, abs(f))
    return norm


@njit(nogil=True, cache=True)
def fill_jacobian(ybus, v, bus, jac, ibus, unit, jx):
    """Jacobian values in the fixed CSC layout (``pos``: P-Va, P-Vm, Q-Va, Q-Vm slot of every
    Ybus entry; ``s_pos``: the slack column's slot in each P row; ``diag``: Ybus diagonal):
    ``∂S_i/∂Va_j = -j·V_i·conj(Y_ij V_j)``, ``∂S_i/∂Vm_j = V_i·conj(Y_ij V_j/|V_j|)`` (j ≠ i),
    plus ``j·V_i·conj(I_i)`` and ``conj(I_i)·V_i/|V_i|`` on the diagonal."""
    yp, yi, yx = ybus
    w, pv, alive = bus[2], bus[3], bus[5]
    pos, s_pos, diag = jac[2], jac[3], jac[4]
    n = v.shape[0]
    for i in range(n):
        unit[i] = v[i] / abs(v[i])
    for i in range(n):
        vi = v[i]
        q_active = alive[i] and not pv[i]
        for k in range(yp[i], yp[i + 1]):
            if alive[i]:
                j = yi[k]
                yv = yx[k] * v[j]
                dva = -1j * vi * np.conj(yv)
                dvm = vi * np.conj(yx[k] * unit[j])
                if j == i:
                    dva += 1j * vi * np.conj(ibus[i])
                    dvm += np.conj(ibus[i]) * unit[i]
            else:
                dva = 0j
                dvm = 0j
            if pos[k, 0] >= 0:
                jx[pos[k, 0]] = dva.real
            if pos[k, 1] >= 0:
                jx[pos[k, 1]] = dvm.real
            if pos[k, 2] >= 0:
                jx[pos[k, 2]] = dva.imag if q_active else 0.0
            if pos[k, 3] >= 0:
                jx[pos[k, 3]] = dvm.imag if q_active else 0.0
        d = diag[i]
        if not alive[i]:
            if pos[d, 0] >= 0:
                jx[pos[d, 0]] = 1.0
            if pos[d, 3] >= 0:
                jx[pos[d, 3]] = 1.0
        elif pv[i] and pos[d, 3] >= 0:
            jx[pos[d, 3]] = 1.0
        if s_pos[i] >= 0:
            jx[s_pos[i]] = -w[i] if alive[i] else 0.0


@njit(nogil=True, cache=True)
def _factorise(fns, common, lu, jac, jx, pv, full):
    """Numeric KLU factorisation of the current Jacobian values: a refactorisation on the
    pivot order of the existing factor unless ``full`` (or it fails); False if singular."""
    factor, refactor, free_numeric = fns[1], fns[2], fns[5]
    jp, ji = jac[0], jac[1]
    ok = False
    if lu[1] != 0 and not full:
        ok = refactor(jp.ctypes, ji.ctypes, jx.ctypes, lu[0], lu[1], common.ctypes) == 1
    if not ok:
        if lu[1] != 0:
            handle = np.empty(1, np.uint64)
            handle[0] = lu[1]
            free_numeric(handle.ctypes, common.ctypes)
        lu[1] = factor(jp.ctypes, ji.ctypes, jx.ctypes, lu[0], common.ctypes)
        ok = lu[1] != 0
    lu[2] = 1 if ok else 0
    for i in range(pv.shape[0]):
        lu[3 + i] = 1 if pv[i] else 0
    return ok


@njit(nogil=True, cache=True)
def _apply_step(v, vm, va, s, dx, mu, jac):
    """x += μ·dx; V = Vm·e^(j·Va) (a negative magnitude turns into a half-turn of angle)."""
    va_col, vm_col, s_col = jac[7], jac[8], jac[9]
    for i in range(v.shape[0]):
        if va_col[i] >= 0:
            va[i] += mu * dx[va_col[i]]
        if vm_col[i] >= 0:
            vm[i] += mu * dx[vm_col[i]]
            if vm[i] < 0.0:
                vm[i] = -vm[i]
                va[i] += np.pi
        v[i] = complex(vm[i] * np.cos(va[i]), vm[i] * np.sin(va[i]))
    s[0] += mu * dx[s_col]


@njit(nogil=True, cache=True)
def _polar(v, vm, va):
    for i in range(v.shape[0]):
        vm[i] = abs(v[i])
        va[i] = np.angle(v[i])


@njit(nogil=True, cache=True)
def _iwamoto(F0, F1):
    """Optimal multiplier μ in (0, 1] of a full step dx (J·dx = -F0, F1 = F(x + dx)):
    argmin ||(1 - μ)·F0 + μ²·F1||² (Iwamoto & Tamura 1981)."""
    a = np.dot(F0, F0)
    b = np.dot(F0, F1)
    c = np.dot(F1, F1)

    def slope(mu):
        return -2.0 * (1.0 - mu) * a + 2.0 * b * (2.0 * mu - 3.0 * mu * mu) + 4.0 * c * mu**3

    if slope(1.0) <= 0.0:
        return 1.0
    lo, hi = 0.0, 1.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if slope(mid) > 0.0:
            hi = mid
        else:
            lo = mid
    return max(hi, 1e-3)


@njit(nogil=True, cache=True)
def newton(fns, common, lu, ybus, jac, bus, v, s, work, max_iter, tol, damped, full):
    """Newton-Raphson for fixed bus types from ``v``/``s`` (updated in place).

    ``max_iter`` limits the fresh Newton steps (factorisations); chord steps in between are
    cheap and count against ``CHORD_BUDGET·max_iter``. Returns (converged, iterations,
    factorisations). ``lu`` = [symbolic, numeric, numeric valid, bus types the numeric factor
    was built for (one per bus), DC symbolic, DC numeric, DC made]. A chord step reuses the
    factor; a fresh one is taken when the factor is missing, was built for other bus types, or
    the last chord step did not contract. ``damped`` takes a fresh Jacobian every step and
    scales it by Iwamoto's multiplier; ``full`` factorises afresh instead of refactorising.
    """
    solve = fns[3]
    F, dx, ibus, sbus, vm, va, v_old, F_old, unit = work
    jx = jac[10]
    pv = bus[3]
    n_x = F.shape[0]
    _polar(v, vm, va)
    norm = mismatch(ybus, v, bus, s[0], jac, F, ibus, sbus)
    stale = lu[2] == 0
    if not stale:
        for i in range(pv.shape[0]):
            if (lu[3 + i] != 0) != pv[i]:
                stale = True
                break
    iterations = 0
    factorisations = 0
    while norm >= tol:
        fresh = stale or damped
        if not np.isfinite(norm) or iterations >= CHORD_BUDGET * max_iter:
            return False, iterations, factorisations
        if fresh and factorisations >= max_iter:
            return False, iterations, factorisations
        if fresh:
            fill_jacobian(ybus, v, bus, jac, ibus, unit, jx)
            factorisations += 1
            if not _factorise(fns, common, lu, jac, jx, pv, full):
                return False, iterations, factorisations
            stale = False
        for r in range(n_x):
            dx[r] = -F[r]
            F_old[r] = F[r]
        if solve(lu[0], lu[1], n_x, 1, dx.ctypes, common.ctypes) != 1:
            return False, iterations, factorisations
        v_old[:] = v
        s_old = s[0]
        _apply_step(v, vm, va, s, dx, 1.0, jac)
        iterations += 1
        new_norm = mismatch(ybus, v, bus, s[0], jac, F, ibus, sbus)
        if damped:
            mu = _iwamoto(F_old, F)
            if mu < 1.0:
                v[:] = v_old
                s[0] = s_old
                _polar(v, vm, va)
                _apply_step(v, vm, va, s, dx, mu, jac)
                new_norm = mismatch(ybus, v, bus, s[0], jac, F, ibus, sbus)
        elif not fresh and not new_norm < CONTRACTION * norm:
            stale = True
            if not new_norm < norm:  # the stale step made things worse: take it back
                v[:] = v_old
                s[0] = s_old
                _polar(v, vm, va)
                new_norm = mismatch(ybus, v, bus, s[0], jac, F, ibus, sbus)
        norm = new_norm
    return True, iterations, factorisations


@njit(nogil=True, cache=True)
def solve_with_q_limits(
    fns,
    common,
    lu,
    ybus,
    jac,
    bus,
    units,
    limit,
    v,
    s,
    work,
    max_iter,
    tol,
    damped,
    full,
    enforce,
):
    """Newton-Raphson from every unit controlling its voltage, then pandapower's reactive-limit
    loop (module docstring) when ``enforce``.

    ``units`` = (q_spec, q_min, q_max, controls) per bus, per unit (``controls``: the bus has a
    running unit and is not the reference). Sets the bus types ``pv``, the reactive set-points
    ``q_eff`` and ``limit`` (per bus: 0 voltage control, +1 held at Qmax, -1 held at Qmin).
    ``damped``/``full`` as :func:`newton`. Returns (converged, iterations, factorisations).
    """
    q_spec, q_min, q_max, controls = units
    q_eff, pv, alive = bus[1], bus[3], bus[5]
    sbus = work[3]
    n = v.shape[0]
    for i in range(n):
        limit[i] = 0
        pv[i] = controls[i] and alive[i]
        q_eff[i] = q_spec[i]
    iterations = 0
    factorisations = 0
    while True:
        ok, it, nf = newton(
            fns, common, lu, ybus, jac, bus, v, s, work, max_iter, tol, damped, full
        )
        iterations += it
        factorisations += nf
        if not ok or not enforce:
            return ok, iterations, factorisations
        new = 0
        for i in range(n):
            if pv[i]:
                q_gen = sbus[i].imag - q_spec[i]
                if q_gen > q_max[i]:
                    limit[i] = 1
                    q_eff[i] = q_spec[i] + q_max[i]
                elif q_gen < q_min[i]:
                    limit[i] = -1
                    q_eff[i] = q_spec[i] + q_min[i]
                else:
                    continue
                pv[i] = False
                new += 1
        if new == 0:
            return True, iterations, factorisations


@njit(nogil=True, cache=True)
def hour_state(gen_bus, gen_vm, gen_q_min, gen_q_max, gen_weight, gen_on, ref, alive, bus):
    """Per-bus state of one hour from the units that run: voltage control and set-point
    (the last running unit's, as pandapower), slack weights (normalised over the live buses),
    reactive limits (sums over the bus's running units). Returns (q_min, q_max) per bus."""
    p_spec, q_eff, w, pv, vset, _ = bus
    n = p_spec.shape[0]
    q_min = np.zeros(n)
    q_max = np.zeros(n)
    w[:] = 0.0
    pv[:] = False
    total = 0.0
    for g in range(gen_bus.shape[0]):
        i = gen_bus[g]
        if gen_on[g] and alive[i]:
            pv[i] = i != ref
            vset[i] = gen_vm[g]
            w[i] += gen_weight[g]
            total += gen_weight[g]
            q_min[i] += gen_q_min[g]
            q_max[i] += gen_q_max[g]
    if total > 0.0:
        w /= total
    else:
        w[ref] = 1.0
    return q_min, q_max


@njit(nogil=True, cache=True)
def _start(v, v_from, vset, pv, ref, v_ref):
    """``v_from`` with the voltage-controlled buses at their set-points, the reference fixed."""
    for i in range(v.shape[0]):
        if pv[i]:
            v[i] = vset[i] * np.exp(1j * np.angle(v_from[i]))
        else:
            v[i] = v_from[i]
    v[ref] = v_ref


@njit(nogil=True, cache=True)
def _dc_start(fns, common, lu, dc, p_spec, w, vset, pv, alive, ref, v_ref, v):
    """Angles of pandapower's DC power flow, flat magnitudes (set-points at voltage-controlled
    buses): ``B·θ = P_spec - P0 - w·Σ(P_spec - P0)`` with ``P0`` the phase-shift injections
    and shunt conductances, the imbalance shared by the slack weights. ``dc`` = (Bp, Bi, Bx,
    bus of each row, P0); its KLU factors live in ``lu[-3:]`` (made on first use)."""
    analyze, factor, solve = fns[0], fns[1], fns[3]
    bp, bi, bx, rows, p0 = dc
    m = rows.shape[0]
    k = lu.shape[0] - 3
    if lu[k + 2] == 0:
        lu[k] = analyze(m, bp.ctypes, bi.ctypes, common.ctypes)
        lu[k + 1] = factor(bp.ctypes, bi.ctypes, bx.ctypes, lu[k], common.ctypes)
        lu[k + 2] = 1
    if lu[k + 1] == 0:
        return False
    total = 0.0
    for i in range(p_spec.shape[0]):
        if alive[i]:
            total += p_spec[i] - p0[i]
    theta = np.empty(m)
    for r in range(m):
        i = rows[r]
        theta[r] = p_spec[i] - p0[i] - w[i] * total if alive[i] else 0.0
    if solve(lu[k], lu[k + 1], m, 1, theta.ctypes, common.ctypes) != 1:
        return False
    va_ref = np.angle(v_ref)
    for i in range(v.shape[0]):
        v[i] = vset[i] if pv[i] else 1.0
    for r in range(m):
        i = rows[r]
        v[i] = abs(v[i]) * np.exp(1j * (theta[r] + va_ref))
    v[ref] = v_ref
    return True


@njit(nogil=True, cache=True)
def solve_hour(
    fns,
    common,
    lu,
    ybus,
    jac,
    dc,
    bus,
    q_spec,
    gen,
    ref,
    v_ref,
    v_warm,
    warm_is_base,
    v_base,
    s,
    work,
    v,
    max_iter,
    tol,
    enforce,
):
    """One hour through the robustness ladder (module docstring).

    A warm-started solution with a bus below :data:`LOW_VOLTAGE` is checked against the
    base-case start, and the solution with the higher lowest voltage is kept: near the nose of
    the PV curve the equations have a second, low-voltage solution, and a warm start after a
    stressed hour can land on it. ``bus`` holds the hour's p_spec, q_eff, w, pv, vset, alive
    (set here); ``gen`` = (gen_bus, gen_vm, gen_q_min, gen_q_max, gen_weight, gen_on). Returns
    (solve step, iterations, factorisations, units at a reactive limit); the solution is left
    in ``v``/``s``.
    """
    gen_bus, gen_vm, gen_q_min, gen_q_max, gen_weight, gen_on = gen
    p_spec, q_eff, w, pv, vset, alive = bus
    q_min, q_max = hour_state(
        gen_bus, gen_vm, gen_q_min, gen_q_max, gen_weight, gen_on, ref, alive, bus
    )
    units = (q_spec, q_min, q_max, pv.copy())
    limit = np.zeros(pv.shape[0], np.int8)
    iterations = 0
    factorisations = 0
    s0 = s[0]
    best = NOT_CONVERGED
    best_vmin = -1.0
    best_v = np.empty_like(v)
    best_s = s0
    best_limited = 0
    for step in range(4):
        if (step == 1 and warm_is_base) or (best >= 0 and step >= 2):
            continue
        s[0] = s0
        if step == 0:
            _start(v, v_warm, vset, units[3], ref, v_ref)
        elif step == 1:
            _start(v, v_base, vset, units[3], ref, v_ref)
        elif not _dc_start(fns, common, lu, dc, p_spec, w, vset, units[3], alive, ref, v_ref, v):
            continue
        ok, it, nf = solve_with_q_limits(
            fns,
            common,
            lu,
            ybus,
            jac,
            bus,
            units,
            limit,
            v,
            s,
            work,
            max_iter,
            tol,
            step == 3,
            step >= 1,
            enforce,
        )
        iterations += it
        factorisations += nf
        if not ok:
            continue
        vmin = np.inf
        for i in range(v.shape[0]):
            if alive[i]:
                vmin = min(vmin, abs(v[i]))
        if vmin > best_vmin:
            best, best_vmin, best_s = step, vmin, s[0]
            best_v[:] = v
            best_limited = 0
            for g in range(gen_bus.shape[0]):
                if gen_on[g] and limit[gen_bus[g]] != 0:
                    best_limited += 1
        if vmin >= LOW_VOLTAGE:
            break
    if best >= 0:
        v[:] = best_v
        s[0] = best_s
    return best, iterations, factorisations, best_limited


@njit(nogil=True, cache=True)
def work_arrays(n_bus, n_x):
    """Scratch space of :func:`newton`: F, dx, bus currents, injections, |V|, angle, V and F
    before the step, V/|V|."""
    return (
        np.empty(n_x),
        np.empty(n_x),
        np.empty(n_bus, np.complex128),
        np.empty(n_bus, np.complex128),
        np.empty(n_bus),
        np.empty(n_bus),
        np.empty(n_bus, np.complex128),
        np.empty(n_x),
        np.empty(n_bus, np.complex128),
    )


@njit(nogil=True, cache=True)
def solve_hours(
    fns,
    common,
    lu,
    ybus,
    jac,
    dc,
    gen_static,
    p_spec,
    q_spec,
    gen_on,
    v_given,
    alive,
    ref,
    v_ref,
    v_warm,
    warm_is_base,
    v_base,
    s,
    max_iter,
    tol,
    enforce,
    out_v,
    out_hour,
):
    """Hours one after the other, each warm-started from the last converged one (or from
    ``v_given[t]`` when ``v_given`` has rows). ``v_warm``/``s`` carry the warm start in and out.

    ``out_hour`` (hours x 5, int32): solve step, iterations, factorisations, units at a reactive
    limit, and 1 if the hour converged; ``out_v`` gets the voltage (NaN if not converged) and
    ``v_warm`` the last converged one. Returns True if ``v_warm`` is still ``v_base``.
    """
    n = p_spec.shape[1]
    n_x = 2 * n - 1
    work = work_arrays(n, n_x)
    q_eff = np.empty(n)
    w = np.empty(n)
    pv = np.zeros(n, np.bool_)
    vset = np.ones(n)
    v = np.empty(n, np.complex128)
    gen_bus, gen_vm, gen_q_min, gen_q_max, gen_weight = gen_static
    for t in range(p_spec.shape[0]):
        bus = (p_spec[t], q_eff, w, pv, vset, alive)
        gen = (gen_bus, gen_vm, gen_q_min, gen_q_max, gen_weight, gen_on[t])
        start = v_warm
        given = v_given.shape[0] > 0 and np.isfinite(v_given[t, 0].real)
        if given:
            start = v_given[t]
        s_start = s[0]
        step, it, nf, lim = solve_hour(
            fns,
            common,
            lu,
            ybus,
            jac,
            dc,
            bus,
            q_spec[t],
            gen,
            ref,
            v_ref,
            start,
            warm_is_base and not given,
            v_base,
            s,
            work,
            v,
            max_iter,
            tol,
            enforce,
        )
        out_hour[t, 0] = step
        out_hour[t, 1] = it
        out_hour[t, 2] = nf
        out_hour[t, 3] = lim
        out_hour[t, 4] = 1 if step >= 0 else 0
        if step >= 0:
            out_v[t] = v
            v_warm[:] = v
            warm_is_base = False
        else:
            out_v[t] = np.nan
            s[0] = s_start
    return warm_is_base


@njit(nogil=True, cache=True)
def branch_flows(yf, yt, f_bus, t_bus, v, base_mva, out):
    """Complex power entering each branch at its from- and to-bus (MW, MVAr), rows of ``v``:
    ``S_f = V_f·conj(Yf·V)``, ``S_t = V_t·conj(Yt·V)``; ``out`` = (p_from, q_from, p_to, q_to)."""
    p_from, q_from, p_to, q_to = out
    fp, fi, fx = yf
    tp, ti, tx = yt
    for h in range(v.shape[0]):
        vh = v[h]
        for b in range(f_bus.shape[0]):
            i_f = 0j
            for k in range(fp[b], fp[b + 1]):
                i_f += fx[k] * vh[fi[k]]
            i_t = 0j
            for k in range(tp[b], tp[b + 1]):
                i_t += tx[k] * vh[ti[k]]
            s_f = vh[f_bus[b]] * np.conj(i_f) * base_mva
            s_t = vh[t_bus[b]] * np.conj(i_t) * base_mva
            p_from[h, b] = s_f.real
            q_from[h, b] = s_f.imag
            p_to[h, b] = s_t.real
            q_to[h, b] = s_t.imag


@njit(nogil=True, cache=True)
def bus_injections(ybus, v, base_mva, p_out, q_out):
    """Net injection ``S_i = V_i·conj(Σ_j Y_ij V_j)`` (MW, MVAr) of each bus, rows of ``v``."""
    yp, yi, yx = ybus
    for h in range(v.shape[0]):
        vh = v[h]
        for i in range(vh.shape[0]):
            acc = 0j
            for k in range(yp[i], yp[i + 1]):
                acc += yx[k] * vh[yi[k]]
            s_i = vh[i] * np.conj(acc) * base_mva
            p_out[h, i] = s_i.real
            q_out[h, i] = s_i.imag


@njit(nogil=True, cache=True)
def _root(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(nogil=True, cache=True)
def solve_outages(
    fns,
    common,
    lu,
    ybus,
    jac,
    dc,
    gen_static,
    p_spec,
    q_spec,
    gen_on,
    ref,
    v_ref,
    v0,
    s0,
    v_base,
    branch_y,
    f_bus,
    t_bus,
    branch_live,
    yf,
    yt,
    outages,
    rate,
    max_iter,
    tol,
    enforce,
    base_mva,
    out_vm,
    out_loading,
    out_hour,
):
    """Branch outages of one solved hour, each warm-started from that hour's voltage ``v0``.

    ``outages`` (k x m, -1 padded) lists the case branches of each outage; ``branch_y`` =
    (Ybus slots, admittances) of each branch's four entries (ff, ft, tf, tt), subtracted from
    the hour's Ybus. Buses cut off from the reference are dead (0 pu, no flow); an outage that
    cuts off the reference is reported as not converged. Fills ``out_vm`` (pu),
    ``out_loading`` (% of ``rate``) and ``out_hour`` (solve step, iterations, factorisations,
    units at a limit, converged) per outage.
    """
    yp, yi, yx0 = ybus
    slots, admittance = branch_y
    fp, fi, fx = yf
    tp, ti, tx = yt
    n = p_spec.shape[0]
    n_br = f_bus.shape[0]
    work = work_arrays(n, 2 * n - 1)
    yx = yx0.copy()
    q_eff = np.empty(n)
    w = np.empty(n)
    pv = np.zeros(n, np.bool_)
    vset = np.ones(n)
    alive = np.ones(n, np.bool_)
    out = np.zeros(n_br, np.bool_)
    parent = np.empty(n, np.int64)
    v = np.empty(n, np.complex128)
    s = np.empty(1)
    gen_bus, gen_vm, gen_q_min, gen_q_max, gen_weight = gen_static
    gen = (gen_bus, gen_vm, gen_q_min, gen_q_max, gen_weight, gen_on)
    for k in range(outages.shape[0]):
        yx[:] = yx0
        out[:] = False
        for b in outages[k]:
            if b < 0:
                continue
            out[b] = True
            for e in range(4):
                yx[slots[b, e]] -= admittance[b, e]
        for i in range(n):
            parent[i] = i
        for b in range(n_br):
            if branch_live[b] and not out[b]:
                ra, rb = _root(parent, f_bus[b]), _root(parent, t_bus[b])
                if ra != rb:
                    parent[ra] = rb
        main = _root(parent, ref)
        for i in range(n):
            alive[i] = _root(parent, i) == main
        s[0] = s0
        bus = (p_spec, q_eff, w, pv, vset, alive)
        step, it, nf, lim = solve_hour(
            fns,
            common,
            lu,
            (yp, yi, yx),
            jac,
            dc,
            bus,
            q_spec,
            gen,
            ref,
            v_ref,
            v0,
            False,
            v_base,
            s,
            work,
            v,
            max_iter,
            tol,
            enforce,
        )
        out_hour[k, 0] = step
        out_hour[k, 1] = it
        out_hour[k, 2] = nf
        out_hour[k, 3] = lim
        out_hour[k, 4] = 1 if step >= 0 else 0
        if step < 0:
            out_vm[k] = 0.0
            out_loading[k] = np.nan
            continue
        for i in range(n):
            if not alive[i]:
                v[i] = 0.0
            out_vm[k, i] = abs(v[i])
        for b in range(n_br):
            if out[b]:
                out_loading[k, b] = 0.0
                continue
            i_f = 0j
            for e in range(fp[b], fp[b + 1]):
                i_f += fx[e] * v[fi[e]]
            i_t = 0j
            for e in range(tp[b], tp[b + 1]):
                i_t += tx[e] * v[ti[e]]
            s_f = abs(v[f_bus[b]] * np.conj(i_f)) * base_mva
            s_t = abs(v[t_bus[b]] * np.conj(i_t)) * base_mva
            out_loading[k, b] = max(s_f, s_t) / rate[b] * 100.0

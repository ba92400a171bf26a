"""Solve a Pyomo model with HiGHS through its matrix form.

Pyomo's in-memory solver interfaces walk every expression object by object; here the model is
compiled once to sparse matrices by Pyomo's ``LinearStandardFormCompiler`` and handed to
``highspy`` as arrays. Values and duals come back as arrays per Pyomo component, so result
extraction never touches a Pyomo object either.

When HiGHS finds the problem infeasible, an elastic copy (every row may be violated at unit
cost) tells which *constraint families* - Pyomo constraint components - cannot hold together, and
the error names them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler


class NumericalError(RuntimeError):
    """The solver stopped without an answer (numerical trouble, a limit reached)."""


class InfeasibleError(RuntimeError):
    """The optimisation has no feasible point; ``families`` name the constraint components that
    cannot all hold."""

    def __init__(self, message: str, families: list[str]):
        super().__init__(message)
        self.families = families


@dataclass
class MatrixLP:
    """``min c·x + offset`` s.t. ``row_lo <= A x <= row_hi``, ``col_lo <= x <= col_hi``."""

    c: np.ndarray
    offset: float
    A: sp.csc_array
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    integer: np.ndarray
    row_family: np.ndarray  # family number of every row
    families: list[str]
    row_slices: dict[str, np.ndarray]  # constraint component -> its rows, in index order
    col_slices: dict[str, np.ndarray]  # variable component -> its columns, in index order


@dataclass
class Solution:
    """Objective, status, values and duals per component (flat, in each component's index order)
    and timings in seconds: ``compile`` (Pyomo to matrices), ``solve`` (HiGHS) and ``results``."""

    objective: float
    status: str
    values: dict[str, np.ndarray]
    duals: dict[str, np.ndarray]
    timings: dict[str, float] = field(default_factory=dict)
    mip_gap: float = 0.0


def compile_model(model: pyo.ConcreteModel) -> MatrixLP:
    """Matrix form of ``model`` (one minimised objective, linear rows, bounded columns)."""
    info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=pyo.minimize)
    A = sp.csc_array(info.A)
    n_row, n_col = A.shape
    rhs = np.asarray(info.rhs, dtype=float)
    kind = np.fromiter((r[1] for r in info.rows), dtype=np.int8, count=n_row)
    row_lo = np.where(kind == 1, -np.inf, rhs)
    row_hi = np.where(kind == -1, np.inf, rhs)
    # a ranged constraint compiles to two rows with the same coefficients; HiGHS takes both
    columns = info.columns
    bounds = np.array([v.bounds for v in columns], dtype=float).reshape(n_col, 2)
    col_lo = np.where(np.isnan(bounds[:, 0]), -np.inf, bounds[:, 0])
    col_hi = np.where(np.isnan(bounds[:, 1]), np.inf, bounds[:, 1])
    fixed = np.fromiter((v.fixed for v in columns), dtype=bool, count=n_col)
    if fixed.any():
        vals = np.array([v.value for v in np.asarray(columns, dtype=object)[fixed]], dtype=float)
        col_lo[fixed] = col_hi[fixed] = vals
    integer = np.fromiter((v.is_integer() for v in columns), dtype=bool, count=n_col)
    c = np.asarray(info.c.toarray()).ravel() if info.c.shape[0] else np.zeros(n_col)
    offset = float(info.c_offset[0]) if len(info.c_offset) else 0.0

    families: list[str] = []
    fam_of: dict[int, int] = {}
    row_family = np.empty(n_row, dtype=np.int32)
    row_lists: dict[str, list[int]] = {}
    for i, (con, _) in enumerate(info.rows):
        comp = con.parent_component()
        k = fam_of.get(id(comp))
        if k is None:
            k = fam_of[id(comp)] = len(families)
            families.append(comp.name)
            row_lists[comp.name] = []
        row_family[i] = k
        row_lists[comp.name].append(i)
    col_lists: dict[str, list[int]] = {}
    for j, v in enumerate(columns):
        col_lists.setdefault(v.parent_component().name, []).append(j)
    return MatrixLP(
        c=c,
        offset=offset,
        A=A,
        row_lo=row_lo,
        row_hi=row_hi,
        col_lo=col_lo,
        col_hi=col_hi,
        integer=integer,
        row_family=row_family,
        families=families,
        row_slices={k: np.asarray(v) for k, v in row_lists.items()},
        col_slices={k: np.asarray(v) for k, v in col_lists.items()},
    )


def highs_model(lp: MatrixLP, relax_integers: bool = False, options: dict | None = None):
    """A ``highspy.Highs`` holding ``lp`` (output off, ``options`` set), ready to run."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = lp.A.shape[1], lp.A.shape[0]
    model.col_cost_ = lp.c
    model.offset_ = lp.offset
    model.col_lower_, model.col_upper_ = lp.col_lo, lp.col_hi
    model.row_lower_, model.row_upper_ = lp.row_lo, lp.row_hi
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = lp.A.indptr
    model.a_matrix_.index_ = lp.A.indices
    model.a_matrix_.value_ = lp.A.data
    h.passModel(model)
    if not relax_integers:
        for j in np.flatnonzero(lp.integer):
            h.changeColIntegrality(int(j), highspy.HighsVarType.kInteger)
    return h


def solve_lp(lp: MatrixLP, options: dict | None = None) -> Solution:
    """Solve ``lp`` with HiGHS; raise :class:`InfeasibleError` naming the binding families."""
    import highspy

    t0 = time.perf_counter()
    h = highs_model(lp, options=options)
    h.run()
    status = h.getModelStatus()
    t1 = time.perf_counter()
    if status in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        families = infeasible_families(lp)
        raise InfeasibleError(
            "the optimisation is infeasible: the constraint families "
            + ", ".join(f"'{f}'" for f in families)
            + " cannot all hold (relaxing any one of them alone restores feasibility"
            " where listed first); add capacity, relax limits, or allow unserved energy"
            " (voll_usd_per_mwh)",
            families,
        )
    if status != highspy.HighsModelStatus.kOptimal:
        info = h.getInfo()
        reached = (
            f"; it had reached an objective of {info.objective_function_value:,.6g} after "
            f"{info.simplex_iteration_count + info.ipm_iteration_count:,} iterations in "
            f"{t1 - t0:,.0f} s"
        )
        raise NumericalError(
            f"HiGHS stopped with status '{h.modelStatusToString(status)}'{reached}; raise "
            "`optimize.time_limit_s` or shorten the problem (fewer typical periods or hours)"
        )
    sol = h.getSolution()
    x = np.asarray(sol.col_value)
    info = h.getInfo()
    if lp.integer.any():
        # duals of a mixed-integer problem: the LP with every integer fixed at its optimum
        fixed = highs_model(
            _with_fixed_integers(lp, np.rint(x[lp.integer])), relax_integers=True, options=options
        )
        fixed.run()
        sol_fixed = fixed.getSolution()
        y = (
            np.asarray(sol_fixed.row_dual)
            if sol_fixed.dual_valid
            else np.full(lp.A.shape[0], np.nan)
        )
    else:
        y = np.asarray(sol.row_dual)
    values = {k: x[v] for k, v in lp.col_slices.items()}
    duals = {k: y[v] for k, v in lp.row_slices.items()}
    t2 = time.perf_counter()
    return Solution(
        objective=float(info.objective_function_value),
        status="optimal",
        values=values,
        duals=duals,
        timings={"solve": t1 - t0, "results": t2 - t1},
        mip_gap=float(info.mip_gap) if lp.integer.any() else 0.0,
    )


def _with_fixed_integers(lp: MatrixLP, values: np.ndarray) -> MatrixLP:
    col_lo, col_hi = lp.col_lo.copy(), lp.col_hi.copy()
    col_lo[lp.integer] = col_hi[lp.integer] = values
    return MatrixLP(**{**lp.__dict__, "col_lo": col_lo, "col_hi": col_hi})


def solve(model: pyo.ConcreteModel, options: dict | None = None) -> Solution:
    """Compile ``model`` and solve it (see :func:`solve_lp`); timings include ``compile``."""
    t0 = time.perf_counter()
    lp = compile_model(model)
    t1 = time.perf_counter()
    solution = solve_lp(lp, options)
    solution.timings["compile"] = t1 - t0
    return solution


def _elastic_violation(lp: MatrixLP, relaxed: np.ndarray) -> np.ndarray | None:
    """Least total row violation when the rows of the families in ``relaxed`` (bool per family)
    may be violated; None if even that is infeasible. Returns violation per family."""
    import highspy

    rows = np.flatnonzero(relaxed[lp.row_family])
    n_row, n_col = lp.A.shape
    k = len(rows)
    # columns e+ (>= 0) and e- (>= 0) for every relaxed row: A x + e+ - e- within the row bounds
    E = sp.csc_array(
        (np.r_[np.ones(k), -np.ones(k)], (np.r_[rows, rows], np.arange(2 * k))),
        shape=(n_row, 2 * k),
    )
    elastic = MatrixLP(
        c=np.r_[np.zeros(n_col), np.ones(2 * k)],
        offset=0.0,
        A=sp.hstack([lp.A, E], format="csc"),
        row_lo=lp.row_lo,
        row_hi=lp.row_hi,
        col_lo=np.r_[lp.col_lo, np.zeros(2 * k)],
        col_hi=np.r_[lp.col_hi, np.full(2 * k, np.inf)],
        integer=np.zeros(n_col + 2 * k, dtype=bool),
        row_family=lp.row_family,
        families=lp.families,
        row_slices={},
        col_slices={},
    )
    h = highs_model(elastic, relax_integers=True)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    e = np.asarray(h.getSolution().col_value)[n_col:]
    per_row = e[:k] + e[k:]
    return np.bincount(lp.row_family[rows], weights=per_row, minlength=len(lp.families))


def infeasible_families(lp: MatrixLP, tol: float = 1e-6) -> list[str]:
    """Constraint families that cannot all hold.

    Families whose relaxation *alone* restores feasibility come first; then any others that the
    least-violation point of the fully relaxed problem violates. Variable bounds (capacity limits,
    availability) are never relaxed: they are the data the families are checked against.
    """
    n_fam = len(lp.families)
    alone = []
    for k in range(n_fam):
        relaxed = np.zeros(n_fam, dtype=bool)
        relaxed[k] = True
        if _elastic_violation(lp, relaxed) is not None:
            alone.append(lp.families[k])
    everything = _elastic_violation(lp, np.ones(n_fam, dtype=bool))
    others = []
    if everything is not None:
        others = [
            lp.families[k] for k in np.flatnonzero(everything > tol) if lp.families[k] not in alone
        ]
    return alone + others or ["variable bounds"]

"""KLU sparse LU factorisation (SuiteSparse, T. Davis) from the copy lightsim2grid ships.

lightsim2grid's wheels carry KLU inside ``liblightsim2grid_core`` and export its C functions.
They are bound here with ctypes so that numba kernels can call them without the GIL: a kernel
receives :func:`functions` as an argument (first-class functions keep the kernels cacheable),
analyses a matrix pattern once (``klu_analyze``: block triangular form and AMD ordering) and
factorises it numerically as often as its values change (``klu_factor``).

The ``klu_common`` control block is held in a float64 array of :data:`COMMON_WORDS` words;
:func:`new_common` fills it with KLU's defaults and checks that the defaults sit where the
layout of SuiteSparse's ``klu.h`` puts them, so a library with another layout is refused
rather than misread.
"""

from __future__ import annotations

import ctypes
from functools import cache
from pathlib import Path

import numpy as np

COMMON_WORDS = 64  # klu_common is 160 bytes in KLU 1.x and 2.x; 512 leaves room
STATUS_WORD = 19  # int32 index of klu_common.status (KLU_OK = 0, KLU_SINGULAR = 1)


@cache
def _library() -> ctypes.CDLL:
    """The shared library of the installed lightsim2grid that exports ``klu_analyze``."""
    import lightsim2grid

    folder = Path(lightsim2grid.__file__).parent
    for path in sorted(folder.glob("liblightsim2grid_core*")) + sorted(
        folder.glob("lightsim2grid_cpp*")
    ):
        try:
            lib = ctypes.CDLL(str(path))
        except OSError:
            continue
        if hasattr(lib, "klu_analyze"):
            return lib
    raise ImportError(
        f"lightsim2grid {lightsim2grid.__version__} at {folder} exports no KLU functions; "
        "the AC power flow needs a lightsim2grid wheel built with SuiteSparse (KLU)"
    )


@cache
def functions() -> tuple:
    """ctypes handles ``(analyze, factor, refactor, solve, free_symbolic, free_numeric)``.

    Pointers travel as ``size_t`` so numba can keep them in integer arrays:
    ``analyze(n, Ap, Ai, common) -> symbolic``, ``factor(Ap, Ai, Ax, symbolic, common) ->
    numeric`` (0 when singular), ``refactor(Ap, Ai, Ax, symbolic, numeric, common) -> ok`` (new
    values, the pivot order of ``numeric``: about half the time of ``factor``),
    ``solve(symbolic, numeric, n, nrhs, b, common) -> ok`` (b is overwritten with the
    solution), ``free_*(&handle, common)``.
    """
    lib = _library()
    ptr, size, i32 = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int32

    def bind(name, restype, *argtypes):
        f = getattr(lib, name)
        f.restype, f.argtypes = restype, list(argtypes)
        return f

    return (
        bind("klu_analyze", size, i32, ptr, ptr, ptr),
        bind("klu_factor", size, ptr, ptr, ptr, size, ptr),
        bind("klu_refactor", i32, ptr, ptr, ptr, size, size, ptr),
        bind("klu_solve", i32, size, size, i32, i32, ptr, ptr),
        bind("klu_free_symbolic", i32, ptr, ptr),
        bind("klu_free_numeric", i32, ptr, ptr),
    )


def new_common() -> np.ndarray:
    """A ``klu_common`` block with KLU's defaults (float64 words, see module docstring)."""
    lib = _library()
    defaults = lib.klu_defaults
    defaults.restype, defaults.argtypes = ctypes.c_int32, [ctypes.c_void_p]
    common = np.zeros(COMMON_WORDS, np.float64)
    defaults(common.ctypes.data)
    words = common.view(np.int32)
    # tol, memgrow, initmem_amd, initmem, maxwork; btf, ordering, scale; halt_if_singular
    if not (
        np.allclose(common[:5], [0.001, 1.2, 1.2, 10.0, 0.0])
        and list(words[10:13]) == [1, 0, 2]
        and words[18] == 1
    ):
        raise ImportError(
            "the KLU in lightsim2grid has a klu_common layout this module does not know"
        )
    return common

"""Hourly availability of wind, solar and hydro units: the MW each can produce, per unit of Pmax.

One file format serves the bundled tables (``networks/renewables/<network>.csv.gz``, derived by
``networks/renewables/derive.py``; sources in the README beside it) and a user's own file
(``dispatch.availability_csv``): one row per hour of the network's load year (local standard
time, hour beginning), one column ``gen <n>`` per unit, n being the 1-based row of the case's
generator table, values in [0, 1] = available MW / Pmax. Units without a column are available at
their Pmax every hour.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gridmodel.datafiles import read_csv_frame
from gridmodel.resources import bundled_dir

RENEWABLE_FUELS = ("wind", "solar", "hydro")


def bundled_availability_path(name: str) -> Path:
    """Where the bundled availability of network ``name`` lives (it may not exist)."""
    return bundled_dir("networks") / "renewables" / f"{name}.csv.gz"


def read_availability(path: Path, n_hours: int) -> pd.DataFrame:
    """Read an availability file; ValueError naming what is wrong (columns, rows, values)."""
    table = read_csv_frame(path)
    bad = [c for c in table.columns if not _gen_number(c)]
    if bad:
        raise ValueError(
            f"{path}: columns must be named 'gen <n>' (n = the case's generator row, from 1); "
            f"got {bad[:5]}"
        )
    if len(table) != n_hours:
        raise ValueError(f"{path} has {len(table)} rows; the load year has {n_hours} hours")
    values = table.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(values)) or values.min() < 0 or values.max() > 1:
        raise ValueError(f"{path}: values must be per-unit availabilities in [0, 1]")
    return pd.DataFrame(values, columns=[_gen_number(c) for c in table.columns])


def _gen_number(column: str) -> int:
    parts = str(column).split()
    if len(parts) == 2 and parts[0] == "gen" and parts[1].isdigit() and int(parts[1]) > 0:
        return int(parts[1])
    return 0


def unit_availability(units: pd.DataFrame, tables: list[pd.DataFrame], n_hours: int):
    """Per-unit availability (hours x units in ``units`` order, float32), 1 where no table has
    the unit; later tables override earlier ones. ValueError for a generator the case lacks."""
    out = np.ones((n_hours, len(units)), dtype=np.float32)
    position = {int(g): k for k, g in enumerate(units.case_gen) if g > 0}
    for table in tables:
        unknown = sorted(set(table.columns) - set(position))
        if unknown:
            raise ValueError(f"generator(s) {unknown[:5]} are not rows of the case's gen table")
        cols = [position[g] for g in table.columns]
        out[:, cols] = table.to_numpy(dtype=np.float32)
    return out


def renewable_units(units: pd.DataFrame) -> np.ndarray:
    """Mask of the units whose fuel is wind, solar or hydro."""
    return units.fuel.isin(RENEWABLE_FUELS).to_numpy()

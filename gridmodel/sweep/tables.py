"""Tables of a sweep's combined result (written by ``gridmodel.output.write_sweep``)."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from gridmodel.report.sweep_figures import axes


def members_table(ds: xr.Dataset) -> pd.DataFrame:
    """One row per member: its id, axis values, status and every scalar metric."""
    scalar = [n for n, v in ds.data_vars.items() if v.dims == ("member",)]
    frame = ds[scalar].reset_coords()[["member_id", *axes(ds), *scalar]].to_dataframe()
    return frame.reset_index()


def failures_table(ds: xr.Dataset) -> pd.DataFrame:
    """One row per distinct failed member: its id, axis values and error."""
    frame = members_table(ds)
    frame = frame[frame.status != "ok"].drop_duplicates("member_id")
    return frame[["member_id", *axes(ds), "error"]].reset_index(drop=True)


def sweep_tables(ds: xr.Dataset) -> dict[str, pd.DataFrame]:
    """The tables of a sweep result, by file stem."""
    return {"members": members_table(ds), "failures": failures_table(ds)}

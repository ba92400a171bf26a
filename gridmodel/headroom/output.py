"""Files of `gridmodel headroom`: NetCDF, CSV tables and figures, each written atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import gridmodel
from gridmodel.headroom.run import HeadroomResult
from gridmodel.io import write_csv, write_netcdf_groups

SUMMARY = (
    "headroom_mw",
    "headroom_percent_of_peak",
    "curtailed_hours_per_year",
    "events_per_year",
    "mean_event_hours",
    "served_share_percent",
    "winter_share_percent",
    "summer_share_percent",
    "published_headroom_mw",
)
BY_YEAR = ("curtailment_rate_percent", "curtailed_mwh", "curtailed_hours", "events")


def summary_table(result: HeadroomResult) -> pd.DataFrame:
    """One row per curtailment limit (``rate_percent``) with the pooled results."""
    ds = result.headroom
    table = ds[[v for v in SUMMARY if v in ds]].to_dataframe()
    return table.rename_axis("rate_percent").reset_index()


def write_headroom_outputs(result: HeadroomResult, out: Path) -> list[Path]:
    """headroom.nc (groups ``headroom``, ``demand``), headroom.csv, headroom_by_year.csv,
    cleaning_changes.csv and figures/ in ``out``."""
    from gridmodel.report import headroom_figures as fig

    ds, hourly = result.headroom.copy(), result.demand.copy()
    for data in (ds, hourly):
        data.attrs.update(Conventions="CF-1.8", gridmodel_version=gridmodel.__version__)
    written = [write_netcdf_groups({"headroom": ds, "demand": hourly}, out / "headroom.nc")]
    written.append(write_csv(summary_table(result), out / "headroom.csv", index=False))
    by_year = (
        ds[list(BY_YEAR)].to_dataframe().reset_index().rename(columns={"rate": "rate_percent"})
    )
    by_year = by_year.merge(ds.annual_peak_mw.to_dataframe().reset_index(), on="year")
    written.append(write_csv(by_year, out / "headroom_by_year.csv", index=False))
    written.append(write_csv(result.changes, out / "cleaning_changes.csv", index=False))
    figures = out / "figures"
    label = result.scenario.name
    written += fig.headroom_against_rate(ds, figures, label)
    written += fig.curtailment_event_durations(ds, figures, label)
    return written

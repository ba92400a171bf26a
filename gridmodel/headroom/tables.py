"""Tables of a headroom result (written by ``gridmodel.output``)."""

from __future__ import annotations

import pandas as pd
import xarray as xr

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


def summary_table(tree: xr.DataTree) -> pd.DataFrame:
    """One row per curtailment limit (``rate_percent``) with the pooled results."""
    ds = tree["headroom"].to_dataset()
    table = ds[[v for v in SUMMARY if v in ds]].to_dataframe()
    return table.rename_axis("rate_percent").reset_index()


def by_year_table(tree: xr.DataTree) -> pd.DataFrame:
    """One row per limit and year: curtailment rate, energy, hours and events."""
    ds = tree["headroom"].to_dataset()
    by_year = ds[list(BY_YEAR)].to_dataframe().reset_index().rename(columns={"rate": "rate_percent"})  # fmt: skip
    return by_year.merge(ds.annual_peak_mw.to_dataframe().reset_index(), on="year")

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


SITING = (
    "hosting_capacity_mw",
    "upper_bound_mw",
    "gain_percent",
    "curtailment_rate_percent",
    "curtailed_mwh",
    "ramp_mwh",
    "curtailed_hours",
    "events",
    "longest_event_h",
    "limited_by",
)


def siting_table(tree: xr.DataTree) -> pd.DataFrame:
    """The siting frontier: one row per criterion, site and curtailment budget (0 = firm)."""
    ds = tree["nodal"].to_dataset()
    table = ds[list(SITING)].to_dataframe().reset_index()
    table = table.rename(columns={"budget": "budget_percent"})
    first = ["criterion", "site", "site_bus", "site_kv", "site_area", "budget_percent"]
    return table[first + [c for c in table.columns if c not in first]]


def schedule_table(tree: xr.DataTree) -> pd.DataFrame:
    """The curtailment schedules: one row per criterion, site, budget and curtailed hour, with
    the campus's demand and what it draws (MW) at its flexible hosting capacity."""
    ds = tree["nodal"].to_dataset()
    cut = ds.curtailed_mw.to_dataframe().reset_index()[["criterion", "site", "budget", "time",
                                                        "curtailed_mw"]]  # fmt: skip
    cut = cut[cut.curtailed_mw > 0]
    mw = ds.hosting_capacity_mw.to_dataframe().reset_index()[["criterion", "site", "budget",
                                                             "hosting_capacity_mw"]]  # fmt: skip
    shape = ds[["campus_shape"]].to_dataframe().reset_index()[["time", "hour", "campus_shape"]]
    cut = cut.merge(mw, on=["criterion", "site", "budget"]).merge(shape, on="time")
    cut["demand_mw"] = cut.hosting_capacity_mw * cut.campus_shape
    cut["served_mw"] = cut.demand_mw - cut.curtailed_mw
    columns = ["criterion", "site", "budget", "time", "hour", "demand_mw", "curtailed_mw",
               "served_mw"]  # fmt: skip
    return cut[columns].rename(columns={"budget": "budget_percent"}).reset_index(drop=True)

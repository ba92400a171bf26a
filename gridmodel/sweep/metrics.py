"""What a sweep keeps of each member: the scalar metrics and per-year series of its stage results,
read from the stages' own tables (:func:`gridmodel.output.tables`), as one small Dataset.

Names are ``<stage>_<metric>`` (``stress_worst_branch_loading_with_campuses``,
``stress_hosting_capacity_n_0``, ``bills_scenario_usd_per_month`` over ``year``,
``bills_change_usd_per_month`` over ``case``),
units in ``attrs``; the sweep stacks them along ``member``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import xarray as xr

from gridmodel import output


def slug(text: str) -> str:
    """A metric name as a variable name: 'hosting capacity N-0' -> 'hosting_capacity_n_0'."""
    return re.sub(r"[^0-9a-z]+", "_", str(text).lower()).strip("_")


def _rows(frame: pd.DataFrame, name: str, prefix: str) -> dict[str, xr.DataArray]:
    """A (name, value, unit) table as one scalar per row (numeric values only)."""
    out = {}
    for row in frame.itertuples(index=False):
        value = pd.to_numeric(pd.Series([row.value]), errors="coerce").iloc[0]
        if pd.isna(value) and not isinstance(row.value, float):
            continue
        unit = str(row.unit) if isinstance(row.unit, str) and row.unit not in ("", "-") else "1"
        out[f"{prefix}_{slug(getattr(row, name))}"] = xr.DataArray(
            float(value), attrs={"units": unit, "long_name": str(getattr(row, name))}
        )
    return out


def _columns(frame: pd.DataFrame, index: str, dim: str, prefix: str) -> dict[str, xr.DataArray]:
    """Every numeric column of a table indexed by ``index`` as a series along ``dim``."""
    frame = frame.set_index(index)
    return {
        f"{prefix}_{slug(col)}": xr.DataArray(
            frame[col].to_numpy(float), dims=dim, coords={dim: frame.index.to_numpy()}
        )
        for col in frame.columns
        if pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])
    }


def stress_metrics(tree: xr.DataTree) -> dict[str, xr.DataArray]:
    """Every row of the stress summary (violations, worst loading, hosting capacity, cost)."""
    return _rows(output.tables("stress", tree)["summary"], "metric", "stress")


def events_metrics(tree: xr.DataTree) -> dict[str, xr.DataArray]:
    """The numeric rows of the events summary (frequency zenith and nadir, tripped MW ...)."""
    return _rows(output.tables("events", tree)["events_summary"], "quantity", "events")


def optimize_metrics(tree: xr.DataTree) -> dict[str, xr.DataArray]:
    """Annual cost by result and component, and each result's total ($/yr)."""
    costs = output.tables("optimize", tree)["costs"]
    if costs.empty:
        return {}
    table = costs.set_index(["result", "component"]).usd_per_yr.to_xarray()
    table = table.rename(result="optimize_result", component="cost_component")
    units = {"units": "USD/yr"}
    return {
        "optimize_cost_usd_per_yr": table.assign_attrs(units),
        "optimize_total_usd_per_yr": table.sum("cost_component").assign_attrs(units),
    }


def bills_metrics(tree: xr.DataTree) -> dict[str, xr.DataArray]:
    """The per-year bill series of every case (and Monte Carlo quantiles), the bill change in
    the report year and its present value per household, by case."""
    from gridmodel.rates.run import headline_table

    out = _columns(output.tables("bills", tree)["bills"], "year", "year", "bills")
    for name, var in out.items():
        unit = "cents/kWh" if name.endswith("cents_per_kwh") else "USD/month"
        var.attrs["units"] = unit
    head = headline_table(tree).set_index("case")
    case = head.index.to_numpy(str)
    out["bills_change_usd_per_month"] = xr.DataArray(
        head.change_usd_per_month.to_numpy(float), dims="case", coords={"case": case},
        attrs={"units": "USD/month", "long_name": "household bill change in the report year"},
    )  # fmt: skip
    out["bills_npv_change_usd"] = xr.DataArray(
        head.npv_change_usd.to_numpy(float), dims="case", coords={"case": case},
        attrs={"units": "USD", "long_name": "present value of the household bill change"},
    )  # fmt: skip
    out["bills_report_year"] = xr.DataArray(int(head.year.iloc[0]), attrs={"units": "1"})
    return out


def headroom_metrics(tree: xr.DataTree) -> dict[str, xr.DataArray]:
    """Headroom and curtailment per curtailment limit."""
    return _columns(output.tables("headroom", tree)["headroom"], "rate_percent", "rate_percent", "headroom")  # fmt: skip


def profile_metrics(tree: xr.DataTree) -> dict[str, xr.DataArray]:
    """The profile metrics of every campus (load factor, ramps, coincidence ...)."""
    return _columns(output.tables("profile", tree)["metrics"], "campus", "campus", "profile")


METRICS = {
    "profile": profile_metrics,
    "stress": stress_metrics,
    "events": events_metrics,
    "optimize": optimize_metrics,
    "bills": bills_metrics,
    "headroom": headroom_metrics,
}


def member_metrics(results: dict[str, xr.DataTree]) -> xr.Dataset:
    """The metrics of one member's stage results, as one Dataset without a ``member`` axis."""
    variables = {}
    for stage, tree in results.items():
        variables.update(METRICS[stage](tree))
    return xr.Dataset(variables)


def stack(metrics: list[xr.Dataset | None]) -> xr.Dataset:
    """Members' metrics along a new ``member`` axis (NaN where a member has none: it failed, or
    a label such as a case or a cost component is missing from its result)."""
    present = [m for m in metrics if m is not None]
    if not present:
        return xr.Dataset(coords={"member": np.arange(len(metrics))})
    # a missing member takes the first result's shape filled with NaN
    template = xr.full_like(present[0], np.nan, dtype=float)
    filled = [template if m is None else m for m in metrics]
    ds = xr.concat(filled, dim="member", join="outer", coords="minimal", compat="override",
                   fill_value=np.nan, combine_attrs="drop_conflicts")  # fmt: skip
    return ds.assign_coords(member=np.arange(len(metrics)))

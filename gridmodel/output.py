"""The one output module: stage results to files (NetCDF with groups, CSV tables, figures) and back.

Every stage result is written to its own folder ``DIR/<stage>/``: one NetCDF-4 file (one group per
part of the result), its tables as CSV and its figures (PNG and SVG, drawn from the stored
dataset only, so ``gridmodel figures DIR`` redraws them from the files). The folder is written in
a staging folder beside it and moved into place when complete. Every file carries the
provenance: the NetCDF root attributes (``Conventions``, scenario name, hash and text, package
version, stage, the hash of the stage's inputs, creation time), two ``#`` comment lines at the top
of each CSV (read them with ``pandas.read_csv(path, comment="#")``) and the figures' metadata.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import xarray as xr
import yaml

import gridmodel
from gridmodel.io import dataset_table, write_atomic
from gridmodel.schema import Scenario

#: The NetCDF file of each stage inside its folder.
STAGE_FILES = {
    "profile": "profile.nc",
    "stress": "results.nc",
    "events": "events.nc",
    "optimize": "optimization.nc",
    "bills": "bills.nc",
    "headroom": "headroom.nc",
}
PROVENANCE = (
    "Conventions",
    "scenario",
    "scenario_hash",
    "gridmodel_version",
    "stage",
    "input_hash",
)


def stamp(tree: xr.DataTree, scenario: Scenario, stage: str, input_hash: str) -> xr.DataTree:
    """Set the provenance attributes on the root of ``tree`` (in place) and return it."""
    tree.attrs.update(
        {
            "Conventions": "CF-1.10",
            "title": f"gridmodel {stage}: {scenario.name}",
            "scenario": scenario.name,
            "scenario_hash": scenario.digest(),
            "scenario_text": yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False),
            "gridmodel_version": gridmodel.__version__,
            "stage": stage,
            "input_hash": input_hash,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    return tree


def provenance_line(attrs: dict) -> str:
    """One line naming the result: stage, scenario and its hash, version, creation time."""
    return (
        f"gridmodel {attrs.get('gridmodel_version')} {attrs.get('stage')}; scenario "
        f"{attrs.get('scenario')} (hash {attrs.get('scenario_hash')}); inputs "
        f"{attrs.get('input_hash')}; created {attrs.get('created')}"
    )


# ---------------------------------------------------------------------------------------------
# Tables of each stage


def _stress_tables(tree: xr.DataTree) -> dict[str, pd.DataFrame]:
    from gridmodel.stress.run import summary_table

    ts = tree["timeseries"]
    bad = ~ts.converged.to_numpy().astype(bool)
    tables = {
        "summary": summary_table(tree),
        "overloads": dataset_table(tree["overloads"].to_dataset()),
        "voltage_violations": dataset_table(tree["voltage_violations"].to_dataset()),
        "nonconverged_hours": pd.DataFrame(
            {"time": ts.time.to_numpy()[bad], "hour": ts.hour.to_numpy()[bad]}
        ),
    }
    for group in ("contingencies", "hosting_capacity"):
        if group in tree:
            tables[group] = dataset_table(tree[group].to_dataset())
    return tables


def _events_tables(tree: xr.DataTree) -> dict[str, pd.DataFrame]:
    from gridmodel.dynamics.run import summary_table

    return {"events_summary": summary_table(tree)}


def _optimize_tables(tree: xr.DataTree) -> dict[str, pd.DataFrame]:
    from gridmodel.optimize.run import cost_table

    return {"costs": cost_table(tree)}


def _bills_tables(tree: xr.DataTree) -> dict[str, pd.DataFrame]:
    from gridmodel.rates.run import bills_table

    return {"bills": bills_table(tree)}


def _profile_tables(tree: xr.DataTree) -> dict[str, pd.DataFrame]:
    return {
        name: dataset_table(tree[name].to_dataset()) for name in ("metrics", "compliance", "events")
    }


def _headroom_tables(tree: xr.DataTree) -> dict[str, pd.DataFrame]:
    from gridmodel.headroom.tables import by_year_table, summary_table

    return {
        "headroom": summary_table(tree),
        "headroom_by_year": by_year_table(tree),
        "cleaning_changes": dataset_table(tree["changes"].to_dataset()),
    }


TABLES: dict[str, Callable[[xr.DataTree], dict[str, pd.DataFrame]]] = {
    "profile": _profile_tables,
    "stress": _stress_tables,
    "events": _events_tables,
    "optimize": _optimize_tables,
    "bills": _bills_tables,
    "headroom": _headroom_tables,
}


def tables(stage: str, tree: xr.DataTree) -> dict[str, pd.DataFrame]:
    """The tables of a stage result, by file stem."""
    return TABLES[stage](tree)


# ---------------------------------------------------------------------------------------------
# Sweeps

SWEEP_FOLDER = "sweep"
SWEEP_FILES = {"netcdf": "sweep.nc", "zarr": "sweep.zarr"}


def write_sweep(ds: xr.Dataset, root: Path, tables: dict[str, pd.DataFrame],
                store: str = "netcdf", figures: bool = True) -> Path:  # fmt: skip
    """Write a sweep's combined result into ``root/sweep/``: ``sweep.nc`` (or ``sweep.zarr``,
    chunked along ``member``), its ``tables`` as CSV (by file stem) and its figures; the folder
    is built beside it and moved into place whole. ``ds.attrs`` carry the provenance."""
    from gridmodel.report import sweep_figures
    from gridmodel.report.style import figure_metadata

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{SWEEP_FOLDER}.staging-", dir=root))
    ds = ds.assign_attrs(created=datetime.now(UTC).isoformat(timespec="seconds"))
    try:
        path = staging / SWEEP_FILES[store]
        if store == "zarr":
            # Zarr format 2: read by every Zarr implementation, text arrays included
            chunked = ds.chunk({"member": min(ds.sizes["member"], 1000)})
            chunked.to_zarr(path, mode="w", zarr_format=2, consolidated=True)
        else:
            ds.to_netcdf(path, engine="h5netcdf")
        for name, frame in tables.items():
            write_csv(frame, staging / f"{name}.csv", ds.attrs)
        if figures:
            with figure_metadata(provenance_line(ds.attrs)):
                sweep_figures.draw(ds, staging / "figures")
        install(staging, root / SWEEP_FOLDER)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return root / SWEEP_FOLDER


def read_sweep(root: Path) -> xr.Dataset:
    """A sweep result stored by :func:`write_sweep` under ``root``."""
    folder = Path(root) / SWEEP_FOLDER
    for store, name in SWEEP_FILES.items():
        if (folder / name).exists():
            if store == "zarr":
                return xr.open_zarr(folder / name)
            return xr.open_dataset(folder / name, engine="h5netcdf")
    raise FileNotFoundError(f"{root} holds no sweep result")


# ---------------------------------------------------------------------------------------------
# Figures


def draw_figures(stage: str, tree: xr.DataTree, folder: Path) -> list[Path]:
    """Every figure of a stage result into ``folder`` (PNG and SVG), from the stored data only."""
    from gridmodel.report import (
        bill_figures,
        event_figures,
        headroom_figures,
        load_figures,
        optimize_figures,
        stress_figures,
    )
    from gridmodel.report.style import figure_metadata

    draw = {
        "profile": load_figures.draw,
        "stress": stress_figures.draw,
        "events": event_figures.draw,
        "optimize": optimize_figures.draw,
        "bills": bill_figures.draw,
        "headroom": headroom_figures.draw,
    }[stage]
    with figure_metadata(provenance_line(tree.attrs)):
        return draw(tree, Path(folder))


# ---------------------------------------------------------------------------------------------
# Writing and reading


def write_csv(frame: pd.DataFrame, path: Path, attrs: dict) -> Path:
    """A table as CSV with the provenance in two ``#`` comment lines at the top (atomic)."""

    def writer(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(f"# {provenance_line(attrs)}\n")
            fh.write("# read with pandas.read_csv(path, comment='#')\n")
            frame.to_csv(fh, index=False)

    return write_atomic(path, writer)


def _encoding(tree: xr.DataTree) -> dict:
    """Compression for the large arrays (time x bus/branch, profiles)."""
    enc = {}
    for node in tree.subtree:
        group = {}
        for name, var in node.dataset.data_vars.items():
            if var.ndim >= 2 and var.size > 100_000 and var.dtype.kind in "fiub":
                group[name] = {"compression": "gzip", "compression_opts": 1, "shuffle": True}
        if group:
            enc[node.path] = group
    return enc


def write_stage(tree: xr.DataTree, root: Path, stage: str, figures: bool = True) -> Path:
    """Write a stage result into ``root/<stage>/`` (NetCDF, CSV tables, figures); the folder is
    built beside it and moved into place whole, replacing an earlier one."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    target = root / stage
    staging = Path(tempfile.mkdtemp(prefix=f".{stage}.staging-", dir=root))
    try:
        tree.to_netcdf(staging / STAGE_FILES[stage], engine="h5netcdf", encoding=_encoding(tree))
        for name, frame in tables(stage, tree).items():
            write_csv(frame, staging / f"{name}.csv", tree.attrs)
        if figures:
            draw_figures(stage, tree, staging / "figures")
        install(staging, target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def install(staging: Path, target: Path) -> None:
    """Move a complete ``staging`` folder onto ``target`` (an earlier ``target`` is replaced)."""
    os.chmod(staging, 0o755)
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.replace(target, old / target.name)
        os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target)


def read_stage(root: Path, stage: str) -> xr.DataTree:
    """A stage result stored by :func:`write_stage` (large arrays stay on disk until used)."""
    return xr.open_datatree(Path(root) / stage / STAGE_FILES[stage], engine="h5netcdf")


def stored_key(root: Path, stage: str) -> tuple[str, str] | None:
    """(input hash, package version) of the stored result of ``stage``, or None."""
    path = Path(root) / stage / STAGE_FILES[stage]
    if not path.is_file():
        return None
    import h5netcdf

    try:  # the root attributes only: opening every group would cost far more
        with h5netcdf.File(path, "r") as fh:
            return str(fh.attrs.get("input_hash")), str(fh.attrs.get("gridmodel_version"))
    except (OSError, ValueError):
        return None


def stored_stages(root: Path) -> list[str]:
    """Stages with a stored result under ``root``, in chain order."""
    return [s for s in STAGE_FILES if (Path(root) / s / STAGE_FILES[s]).is_file()]


def redraw(root: Path) -> list[Path]:
    """Redraw the figures of every stored stage result (and sweep result) under ``root`` from
    its files."""
    written = []
    for stage in stored_stages(root):
        with read_stage(root, stage) as tree:
            folder = Path(root) / stage / "figures"
            written += draw_figures(stage, tree, folder)
    if any((Path(root) / SWEEP_FOLDER / name).exists() for name in SWEEP_FILES.values()):
        from gridmodel.report import sweep_figures
        from gridmodel.report.style import figure_metadata

        with read_sweep(root) as ds, figure_metadata(provenance_line(ds.attrs)):
            written += sweep_figures.draw(ds, Path(root) / SWEEP_FOLDER / "figures")
    return written

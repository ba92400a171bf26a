"""Atomic output: every file is written to a temporary name in its folder, then renamed."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: str | os.PathLike):
    """Yield a temporary path beside ``target``; rename it onto ``target`` only on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_atomic(target: str | os.PathLike, writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``target``."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


def write_netcdf(ds, target: str | os.PathLike) -> Path:
    """Write an xarray Dataset to NetCDF-4 (h5netcdf engine) atomically."""
    return write_atomic(target, lambda tmp: ds.to_netcdf(tmp, engine="h5netcdf"))


def write_netcdf_groups(groups: dict, target: str | os.PathLike) -> Path:
    """Write several Datasets as NetCDF-4 groups of one file, atomically; None entries are skipped."""

    def writer(tmp: Path) -> None:
        mode = "w"
        for name, ds in groups.items():
            if ds is not None:
                ds.to_netcdf(tmp, group=name, mode=mode, engine="h5netcdf")
                mode = "a"

    return write_atomic(target, writer)


def write_csv(df, target: str | os.PathLike, **kwargs) -> Path:
    """Write a pandas DataFrame to CSV atomically."""
    return write_atomic(target, lambda tmp: df.to_csv(tmp, **kwargs))


def table_dataset(frame, dim: str):
    """A table (pandas DataFrame) as an xarray Dataset, one ``dim`` entry per row."""
    import pandas as pd
    import xarray as xr

    index = pd.RangeIndex(len(frame), name=dim)
    return xr.Dataset(
        {str(name): (dim, frame[name].to_numpy()) for name in frame.columns}, coords={dim: index}
    )


def dataset_table(ds):
    """The table a :func:`table_dataset` holds, columns in stored order."""
    import pandas as pd

    return pd.DataFrame({name: ds[name].to_numpy() for name in ds.data_vars})

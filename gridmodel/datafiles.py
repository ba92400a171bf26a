"""The one reader of the data files a scenario names: campus profiles, prices, capacity factors,
class loads, inertia tables, renewable availability and EIA-930 demand files.

Every file goes through :func:`read_csv_frame`, which refuses by name, before any value is used:
a missing file, a folder, an empty file, text that is not UTF-8 (a UTF-8 byte-order mark is
dropped), a row with more or fewer fields than the header (decimal commas, ``250,5``, split a
value in two: pandas would read the first part as a row label and keep the second), and a
separator other than the comma. :func:`read_csv_columns` adds numbers: every value finite and
within the physical range the caller states. :func:`utc_hours` reads time stamps: naive ones are
UTC, ones with a UTC offset (``-05:00``, ``-06:00`` across a DST change) are converted to UTC,
a file that mixes the two is refused. Each function takes a path, so a file that is shipped or
fetched on first use is read the same way as a user's own.
"""

from __future__ import annotations

import csv
import gzip
import re
import warnings
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from gridmodel.errors import ScenarioError

#: A decimal written with a comma (``250,5``), the usual cause of a row with an extra field.
_DECIMAL_COMMA = re.compile(r"^\s*-?\d+,\d+\s*$")
#: A time stamp with its UTC offset (``2022-03-13 03:00:00-05:00``, ``...Z``).
_UTC_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)\s*$")


def _where(path: Path, field: str | None) -> str:
    return f"field '{field}': {path}" if field else f"{path}"


def _field_counts(path: Path, where: str) -> None:
    """Refuse the first row whose number of fields differs from the header's (decimal commas)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        rows = csv.reader(line for line in fh if not line.startswith("#"))
        header = next(rows, [])
        for k, row in enumerate(rows, start=2):
            if row and len(row) != len(header):
                comma = any(_DECIMAL_COMMA.match(f"{a},{b}") for a, b in pairwise(row))
                hint = (
                    "; write decimals with a point (250.5), not a comma (250,5)"
                    if comma and len(row) > len(header)
                    else ""
                )
                raise ScenarioError(
                    f"{where}: row {k} has {len(row)} fields ({','.join(row)[:60]!r}) and the "
                    f"header {len(header)} ({','.join(header)[:60]!r}){hint}"
                )


def read_csv_frame(path: str | Path, field: str | None = None, text: bool = False) -> pd.DataFrame:
    """The CSV file ``path`` as a table (``#`` lines are comments; ``text``: every cell as it is
    written, empty cells as ""). ScenarioError naming ``field`` and the file: not found, a folder,
    empty, not UTF-8, a row with more fields than the header, or one column whose name holds a
    ``;`` or a tab (another separator)."""
    path = Path(path)
    where = _where(path, field)
    if not path.is_file():
        raise ScenarioError(f"{where} {'is a folder' if path.is_dir() else 'not found'}")
    kwargs = {"dtype": str, "keep_default_na": False} if text else {}
    try:
        with warnings.catch_warnings():
            # a first row longer than the header: pandas would take its first field as a label
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(path, comment="#", encoding="utf-8-sig", index_col=False, **kwargs)
    except UnicodeDecodeError as err:
        raise ScenarioError(f"{where} is not UTF-8 text (byte {err.start}); save it as UTF-8") from None  # fmt: skip
    except pd.errors.EmptyDataError:
        raise ScenarioError(f"{where} is empty") from None
    except (pd.errors.ParserWarning, pd.errors.ParserError, OSError, ValueError) as err:
        _field_counts(path, where)
        raise ScenarioError(f"{where} is not a readable CSV ({str(err)[:120]})") from None
    header = [str(c) for c in frame.columns]
    if len(header) == 1 and any(sep in header[0] for sep in ";\t"):
        raise ScenarioError(
            f"{where}: one column named {header[0][:60]!r}; separate the columns with commas"
        )
    return frame


def read_csv_columns(
    path: str | Path,
    columns: list[str],
    field: str | None,
    *,
    min_rows: int = 1,
    lo: float | None = None,
    hi: float | None = None,
) -> np.ndarray:
    """``columns`` of the CSV file ``path`` as a float array (rows x columns), every value a
    finite number in [``lo``, ``hi``]; ScenarioError naming ``field``, the file and the first
    offending row otherwise (what :func:`read_csv_frame` refuses, a missing column, too few rows,
    an empty or non-numeric cell, NaN or infinity, a value out of range)."""
    path = Path(path)
    where = _where(path, field)
    frame = read_csv_frame(path, field, text=True)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        shown = ", ".join(map(str, frame.columns[:12]))
        raise ScenarioError(f"{where} has no column {missing[0]!r} (columns: {shown})")
    if len(frame) < min_rows:
        raise ScenarioError(f"{where} has {len(frame)} rows; {min_rows} are needed")
    cells = frame[columns]
    values = cells.apply(lambda c: pd.to_numeric(c.str.strip(), errors="coerce")).to_numpy(float)
    bad = ~np.isfinite(values)
    with np.errstate(invalid="ignore"):
        if lo is not None:
            bad |= values < lo
        if hi is not None:
            bad |= values > hi
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        cell = cells.iloc[row, col]
        limits = f"{lo if lo is not None else '-inf'} to {hi if hi is not None else 'inf'}"
        allowed = f" (allowed {limits})" if lo is not None or hi is not None else ""
        comma = "; write decimals with a point" if _DECIMAL_COMMA.match(cell) else ""
        raise ScenarioError(
            f"{where}: column {columns[col]!r} row {row + 1} is {cell!r}, "
            f"not a finite number{allowed}{comma}"
        )
    return values


def utc_hours(values: pd.Series, where: str, column: str) -> pd.Series:
    """Time stamps as naive UTC datetimes: naive stamps are UTC, stamps with a UTC offset are
    converted (so the two offsets of a DST change give one continuous UTC axis). ScenarioError
    naming the row for a stamp that is not a time, or a column mixing naive and offset stamps."""
    text = values.astype(str).str.strip()
    offset = text.str.contains(_UTC_OFFSET)
    if offset.any() and not offset.all():
        row = int(np.flatnonzero(~offset.to_numpy())[0]) if offset.iloc[0] else int(np.flatnonzero(offset.to_numpy())[0])  # fmt: skip
        raise ScenarioError(
            f"{where}: {column} mixes stamps with and without a UTC offset (row {row + 2}: "
            f"'{text.iloc[row]}'); give every stamp in UTC, or every one with its offset"
        )
    time = pd.to_datetime(text, errors="coerce", format="mixed", utc=bool(offset.any()))
    if time.isna().any():
        row = int(np.flatnonzero(time.isna().to_numpy())[0])
        raise ScenarioError(f"{where}: row {row + 2} has {column} '{text.iloc[row]}', not a time")
    return time.dt.tz_localize(None) if offset.any() else time

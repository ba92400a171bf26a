"""The data files gridmodel reads beyond its networks: shipped inside the package, or fetched on
first use from their public address, each checked against its SHA-256.

``data/registry.csv`` lists every file: its dataset and name, size, SHA-256, licence, public URL
and whether it is ``shipped`` (an xz-compressed copy in ``data/DATASET/``, unpacked into the cache
on first use) or ``fetched`` (downloaded with pooch into the cache). Each dataset's folder holds
its ``SOURCE.md`` and licence. The cache is ``cache_dir()/data/DATASET/FILE``.

A folder laid out like the registry (``DATASET/FILE``), set with
``gridmodel.set_options(data_mirror=...)`` or ``$GRIDMODEL_DATA_MIRROR``, is copied from instead
of the network (a machine with no internet access, or a shared copy on a cluster); the copy is
checked against the same SHA-256.
"""

from __future__ import annotations

import csv
import lzma
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from gridmodel.errors import ScenarioError
from gridmodel.resources import bundled_dir, cache_dir, data_mirror

REGISTRY = "registry.csv"


class DataUnavailableError(ScenarioError):
    """A data file that is neither shipped, in the cache, in the mirror, nor downloadable now;
    the message says how to get it by hand."""


@dataclass(frozen=True)
class DataFile:
    """One registered file: ``dataset/file``, its size (bytes) and SHA-256, how it arrives
    (``shipped`` or ``fetched``), its licence and public URL."""

    dataset: str
    file: str
    bytes: int
    sha256: str
    how: str
    licence: str
    url: str
    description: str

    @property
    def key(self) -> str:
        return f"{self.dataset}/{self.file}"

    @property
    def cached(self) -> Path:
        """Where the file is kept once shipped-and-unpacked or fetched."""
        return cache_dir() / "data" / self.dataset / self.file

    @property
    def shipped_copy(self) -> Path:
        return bundled_dir("data") / self.dataset / f"{self.file}.xz"


@cache
def registry() -> dict[str, DataFile]:
    """Every registered file by ``dataset/file``."""
    with open(bundled_dir("data") / REGISTRY, newline="", encoding="utf-8") as fh:
        rows = [
            DataFile(
                dataset=row["dataset"],
                file=row["file"],
                bytes=int(row["bytes"]),
                sha256=row["sha256"],
                how=row["how"],
                licence=row["licence"],
                url=row["url"],
                description=row["description"],
            )
            for row in csv.DictReader(fh)
        ]
    return {row.key: row for row in rows}


def datasets() -> list[str]:
    """The registered datasets' names."""
    return sorted({entry.dataset for entry in registry().values()})


def entry(key: str) -> DataFile:
    """The registry entry of ``dataset/file``; ScenarioError naming what is registered."""
    found = registry().get(key)
    if found is None:
        dataset = key.split("/", 1)[0]
        names = [e.file for e in registry().values() if e.dataset == dataset]
        known = (
            f"files of '{dataset}': {', '.join(names)}"
            if names
            else f"datasets: {', '.join(datasets())}"
        )
        raise ScenarioError(f"'{key}' is not a registered data file ({known})")
    return found


def file_sha256(path: Path) -> str:
    """SHA-256 of a file (hex), pooch's own hash, as its downloads are checked."""
    import pooch

    return pooch.file_hash(str(path), alg="sha256")


def is_ready(item: DataFile) -> bool:
    """True when the file is in the cache (as written: every copy there was checked)."""
    return item.cached.is_file() and item.cached.stat().st_size == item.bytes


def data_file(key: str) -> Path:
    """Path of the registered file ``dataset/file`` in the cache, unpacking the shipped copy or
    fetching it first when it is not there yet."""
    item = entry(key)
    if not is_ready(item):
        if item.how == "shipped":
            _unpack(item)
        else:
            _fetch(item)
    return item.cached


def fetch(dataset: str | None = None) -> list[Path]:
    """Every file of ``dataset`` (None = of every dataset) made ready in the cache."""
    if dataset is not None and dataset not in datasets():
        raise ScenarioError(f"unknown dataset '{dataset}' (datasets: {', '.join(datasets())})")
    return [data_file(k) for k, e in registry().items() if dataset in (None, e.dataset)]


def _checked_into_place(item: DataFile, write) -> None:
    """Write the file with ``write(path)`` into a temporary file beside its place, check its
    SHA-256 and move it into place in one step."""
    item.cached.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{item.cached.name}.", dir=item.cached.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        write(tmp)
        got = file_sha256(tmp)
        if got != item.sha256:
            raise DataUnavailableError(
                f"data file {item.key}: SHA-256 {got} does not match the registered "
                f"{item.sha256}; not used"
            )
        os.replace(tmp, item.cached)
    finally:
        tmp.unlink(missing_ok=True)


def _unpack(item: DataFile) -> None:
    def write(path: Path) -> None:
        with lzma.open(item.shipped_copy) as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)

    _checked_into_place(item, write)


def _fetch(item: DataFile) -> None:
    mirror = data_mirror()
    if mirror is not None and (mirror / item.dataset / item.file).is_file():
        _checked_into_place(item, lambda path: shutil.copyfile(mirror / item.dataset / item.file, path))  # fmt: skip
        return
    _download(item)


def _download(item: DataFile) -> None:
    """Download with pooch (its own SHA-256 check), into the cache."""
    import pooch

    try:
        pooch.retrieve(
            item.url,
            known_hash=f"sha256:{item.sha256}",
            fname=item.cached.name,
            path=item.cached.parent,
            downloader=pooch.HTTPDownloader(timeout=60, progressbar=False),
        )
    except Exception as err:  # noqa: BLE001 - any failure: the same instructions
        raise DataUnavailableError(_manual(item, err)) from None


def _manual(item: DataFile, err: Exception) -> str:
    return (
        f"data file {item.key} ({item.bytes:,} bytes, {item.licence}) could not be downloaded "
        f"({type(err).__name__}: {str(err)[:160]}). Get it by hand: download {item.url} and "
        f"save it as {item.cached} (SHA-256 {item.sha256}); or put it at "
        f"MIRROR/{item.key} and set gridmodel.set_options(data_mirror=MIRROR) or "
        "$GRIDMODEL_DATA_MIRROR"
    )

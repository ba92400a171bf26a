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

import ctypes
import fnmatch
import hashlib
import json
import logging
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import xarray as xr
import yaml

import gridmodel
from gridmodel.io import dataset_table, write_atomic
from gridmodel.resources import writable
from gridmodel.schema import Scenario, ScenarioError

log = logging.getLogger(__name__)

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
        "base_case_audit": dataset_table(tree["base_case_audit"].to_dataset()),
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
    from gridmodel.headroom.tables import by_year_table, schedule_table, siting_table, summary_table

    tables = {}
    if "headroom" in tree:
        tables |= {
            "headroom": summary_table(tree),
            "headroom_by_year": by_year_table(tree),
            "cleaning_changes": dataset_table(tree["changes"].to_dataset()),
        }
    if "nodal" in tree:
        tables |= {"siting_frontier": siting_table(tree), "curtailment_schedule": schedule_table(tree)}  # fmt: skip
    return tables


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
#: What a sweep writes in its folder: each member's stage results, and the combined result.
SWEEP_PARTS = ("members", SWEEP_FOLDER)


def write_sweep(ds: xr.Dataset, root: Path, tables: dict[str, pd.DataFrame],
                store: str = "netcdf", figures: bool = True) -> Path:  # fmt: skip
    """Write a sweep's combined result into ``root/sweep/``: ``sweep.nc`` (or ``sweep.zarr``,
    chunked along ``member``), its ``tables`` as CSV (by file stem) and its figures; the folder
    is built beside it and moved into place whole. ``ds.attrs`` carry the provenance."""
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
            draw_sweep_figures(ds, staging / "figures")
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
    from gridmodel.report.style import figure_metadata, house_style

    draw = {
        "profile": load_figures.draw,
        "stress": stress_figures.draw,
        "events": event_figures.draw,
        "optimize": optimize_figures.draw,
        "bills": bill_figures.draw,
        "headroom": headroom_figures.draw,
    }[stage]
    with figure_metadata(provenance_line(tree.attrs)), house_style():
        return draw(tree, Path(folder))


def draw_sweep_figures(ds: xr.Dataset, folder: Path) -> list[Path]:
    """Every figure of a combined sweep result into ``folder``, from the stored data only."""
    from gridmodel.report import sweep_figures
    from gridmodel.report.style import figure_metadata, house_style

    with figure_metadata(provenance_line(ds.attrs)), house_style():
        return sweep_figures.draw(ds, Path(folder))


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


def stored_provenance(root: Path, stage: str) -> dict[str, str] | None:
    """The provenance attributes (:data:`PROVENANCE`) of the stored result of ``stage``, or None
    when there is none or it cannot be read."""
    import h5py

    path = Path(root) / stage / STAGE_FILES[stage]
    if not path.is_file():
        return None
    try:  # the root attributes alone (opening the whole tree reads every group's metadata)
        with h5py.File(path, "r") as fh:
            found = {k: fh.attrs.get(k) for k in PROVENANCE}
    except (OSError, ValueError):
        return None
    return {k: v.decode() if isinstance(v, bytes) else str(v) for k, v in found.items()}


def stored_key(root: Path, stage: str) -> tuple[str, str] | None:
    """(input hash, package version) of the stored result of ``stage``, or None."""
    found = stored_provenance(root, stage)
    return None if found is None else (found["input_hash"], found["gridmodel_version"])


def remove_stage(root: Path, stage: str) -> None:
    """Remove a stored stage result (a result of another scenario, or of a stage's old inputs)."""
    shutil.rmtree(Path(root) / stage, ignore_errors=True)


def stored_stages(root: Path) -> list[str]:
    """Stages with a stored result under ``root``, in chain order."""
    return [s for s in STAGE_FILES if (Path(root) / s / STAGE_FILES[s]).is_file()]


def redraw(root: Path) -> list[Path]:
    """Redraw the figures of every stored stage result (and sweep result) under ``root`` from
    its files (and list their new checksums in the manifest), holding the folder's lock."""
    written = []
    with out_lock(Path(root).resolve()):
        for stage in stored_stages(root):
            with read_stage(root, stage) as tree:
                folder = Path(root) / stage / "figures"
                written += draw_figures(stage, tree, folder)
        if any((Path(root) / SWEEP_FOLDER / name).exists() for name in SWEEP_FILES.values()):
            with read_sweep(root) as ds:
                written += draw_sweep_figures(ds, Path(root) / SWEEP_FOLDER / "figures")
        manifest = Path(root) / MANIFEST
        if manifest.is_file():
            old = json.loads(manifest.read_text())
            write_manifest(root, old["scenario"], old["scenario_hash"], old["status"], old["notes"])
    return written


# ---------------------------------------------------------------------------------------------
# Result sets: a whole --out folder replaced at once


MANIFEST = "manifest.json"
#: The files of a brief beside the stage folders of its result set.
BRIEF_FILES = ("brief.html", "brief.pdf")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False where the
    system has no such call."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return done == 0


def clean_leftovers(out: Path) -> list[Path]:
    """Remove the staging folders runs into ``out`` left when they were killed, and put back an
    earlier result a killed swap left aside; call it holding ``out``'s lock (no other run is
    then writing). Returns what was removed."""
    removed = []
    for path in out.parent.glob(f".{out.name}.*-*"):
        kind, _, pid = path.name.rpartition("-")
        if not pid.isdigit() or not path.is_dir() or path.is_symlink():
            continue
        if kind.endswith(".old") and not out.exists():
            os.replace(path, out)  # killed between the two renames: the earlier result is whole
            log.warning("%s: put back the earlier result a killed run had moved aside", out)
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
        log.warning("removed %s, left by a run that was killed", path)
    return removed


#: Folders and files a killed writer leaves inside a results folder (a stage or sweep folder
#: being built, an earlier one moved aside, a file being written).
DEBRIS = (".*.staging-*", ".*.old-*", ".*.tmp")


def _debris(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in DEBRIS)


def remove_debris(root: Path) -> list[Path]:
    """Remove what killed writers left in ``root`` and in its member folders (``root/members/*``):
    staging folders with half-written files, folders moved aside, temporary files. Call it
    holding ``root``'s lock. Returns what was removed."""
    root = Path(root)
    folders = [root, *sorted(p for p in (root / SWEEP_PARTS[0]).glob("*") if p.is_dir())]
    removed = []
    for folder in folders:
        for pattern in DEBRIS:
            for path in folder.glob(pattern):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                removed.append(path)
    if removed:
        log.warning("removed %d unfinished file(s) left in %s by a run that was killed", len(removed), root)  # fmt: skip
    return removed


#: Room a results folder's name leaves in a file name for what gridmodel adds beside it
#: (``.<name>.staging-<pid>``, ``.<name>.lock``).
NAME_ROOM = 24
#: Room a results folder's path leaves for what is written inside it
#: (``members/<id>/stress/figures/<figure>.png``).
PATH_ROOM = 200


def resolved_out(out: Path) -> Path:
    """``out`` as an absolute path with every symbolic link resolved: a link to a folder is
    written through (the link stays a link), never replaced by a folder."""
    return Path(os.path.realpath(Path(out).expanduser()))


def check_out_folder(
    out: Path, expected_bytes: int = 0, ours: tuple[str, ...] | None = None
) -> None:
    """Refuse an ``--out`` that is a file, that holds files gridmodel did not write (``ours``: the
    names it writes, default a stage result set's), whose name is too long for the files written
    beside and inside it, that cannot be written, or whose disk lacks the space the results need
    (ScenarioError naming it). ``out`` is resolved (:func:`resolved_out`) first."""
    given, out = out, resolved_out(out)
    shown = f"--out {given}" + (f" (-> {out})" if os.path.islink(given) else "")
    # os.path's look-ups, which answer False where a name is too long to look up
    parent, missing = out.parent, [out.name]
    while not os.path.exists(parent):
        missing.append(parent.name)
        parent = parent.parent
    if not os.path.isdir(parent):
        raise ScenarioError(f"{shown}: {parent} is a file, not a folder")
    name_max = os.pathconf(parent, "PC_NAME_MAX")
    path_max = os.pathconf(parent, "PC_PATH_MAX")
    longest = max(missing, key=lambda n: len(os.fsencode(n)))
    if len(os.fsencode(longest)) + NAME_ROOM > name_max:
        raise ScenarioError(
            f"--out: the folder name {shown_name(longest)} is {len(os.fsencode(longest))} bytes; "
            f"this file system allows {name_max - NAME_ROOM} for a results folder"
        )
    if len(os.fsencode(str(out))) + PATH_ROOM > path_max:
        raise ScenarioError(
            f"--out: the path is {len(os.fsencode(str(out)))} bytes; at most "
            f"{path_max - PATH_ROOM} leave room for the files written inside it"
        )
    if os.path.exists(out) and not os.path.isdir(out):
        raise ScenarioError(f"{shown}: is a file, not a folder")
    ours = (MANIFEST, *STAGE_FILES, *BRIEF_FILES) if ours is None else ours
    listed = sorted(out.iterdir()) if out.is_dir() else []
    # what a killed run of gridmodel left is removed by the next run (:func:`remove_debris`)
    foreign = [p.name for p in listed if p.name not in ours and not _debris(p.name)]
    if foreign:
        raise ScenarioError(
            f"{shown}: the folder holds files gridmodel did not write ({', '.join(foreign[:3])}"
            f"{', ...' if len(foreign) > 3 else ''}); choose a new or empty folder"
        )
    try:
        writable(parent)
    except OSError as err:
        raise ScenarioError(
            f"{shown}: {parent} is not a folder this user can write into ({err.strerror or err})"
        ) from None
    free = shutil.disk_usage(parent).free
    if expected_bytes > free:
        raise ScenarioError(
            f"{shown}: the results need about {expected_bytes / 1e9:,.1f} GB and "
            f"{parent} has {free / 1e9:,.1f} GB free"
        )


def shown_name(name: str, limit: int = 40) -> str:
    """A file name cut to ``limit`` characters for a message."""
    return repr(name) if len(name) <= limit else repr(f"{name[: limit - 3]}...")


def lock_path(out: Path) -> Path:
    """The lock file of the results folder ``out`` (resolved), beside it: it stays after a run,
    so runs that wait share one file."""
    return out.parent / f".{out.name}.lock"


@contextmanager
def out_lock(out: Path) -> Iterator[None]:
    """Hold the lock of the results folder ``out`` (resolved; :func:`lock_path`): one writer at
    a time. A second run into the same folder says so and waits for the first to finish, then
    works on what the first left."""
    from filelock import FileLock, Timeout

    out.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path(out))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("%s: another gridmodel run is writing into it; waiting for it to finish", out)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


#: Set by the CLI's termination handler: a result set is then never swapped in, even when library
#: code the signal interrupted swallowed the exception it raised (e.g. inside a finaliser).
TERMINATED = threading.Event()


@contextmanager
def result_set(out: Path, expected_bytes: int = 0) -> Iterator[Path]:
    """A staging folder beside ``out`` holding ``out``'s stage results (hard links, so nothing is
    copied); on leaving the block without an error it replaces ``out`` whole, in one atomic swap.
    On an error ``out`` is left as it was. The folder's lock (:func:`out_lock`) is held
    throughout, so concurrent runs into one folder follow one another; ``out`` is resolved
    (:func:`resolved_out`), so a symbolic link to a folder stays a link."""
    check_out_folder(out, expected_bytes)
    out = resolved_out(out)
    with out_lock(out):
        check_out_folder(out, expected_bytes)  # as the run before this one left it
        clean_leftovers(out)
        staging = out.parent / f".{out.name}.staging-{os.getpid()}"
        if staging.exists():
            shutil.rmtree(staging)
        if out.is_dir():
            shutil.copytree(out, staging, copy_function=os.link)
        else:
            staging.mkdir()
        remove_debris(staging)
        try:
            yield staging
            if TERMINATED.is_set():
                raise SystemExit(128 + signal.SIGTERM)
            os.chmod(staging, 0o755)
            if not out.exists():
                os.replace(staging, out)
            elif _exchange(staging, out):
                shutil.rmtree(staging)  # now the earlier result
            else:
                aside = out.parent / f".{out.name}.old-{os.getpid()}"
                os.replace(out, aside)
                os.replace(staging, out)
                shutil.rmtree(aside)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def _read_manifest(folder: Path) -> dict:
    try:
        return json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}


def _brief_record(folder: Path, old: dict, stages: dict, brief: dict | None) -> dict | None:
    """The brief's own entry: ``brief`` when one was just written, else the earlier brief's when
    every stage result it was written from is still there unchanged; an earlier brief whose
    stage results changed (or that no manifest vouches for) is removed, never listed as the
    current results' brief."""
    if brief is not None:
        return brief
    present = [name for name in BRIEF_FILES if (folder / name).is_file()]
    if not present:
        return None
    record = old.get("brief")
    kept = record is not None and all(
        stages.get(name, {}).get("input_hash") == key for name, key in record["stages"].items()
    )
    if kept:
        return record
    for name in present:
        (folder / name).unlink()
    log.warning("removed %s: written from stage results this run replaced", ", ".join(present))
    return None


def write_manifest(
    folder: Path,
    scenario: str,
    scenario_hash: str,
    status: str,
    notes: list[str],
    brief: dict | None = None,
) -> Path:
    """``manifest.json``: what every file of the result set is and where it comes from.

    ``stages``: each stored stage result with its input hash and the scenario (and hash) it was
    computed for - a result reused from another scenario with the same inputs names that
    scenario. ``brief``: the brief's scenario and the input hash of each stage result it was
    written from (``brief`` given: a brief was just written; else an earlier brief is kept only
    while those results are unchanged, and removed otherwise). ``files``: every file with its
    size, SHA-256 and the part it belongs to (a stage, ``brief``). Files already listed with the
    same size and modification time keep their checksum.
    """
    old = _read_manifest(folder)
    stages = {}
    for stage in stored_stages(folder):
        found = stored_provenance(folder, stage) or {}
        stages[stage] = {k: found.get(k) for k in ("input_hash", "scenario", "scenario_hash")}
    brief = _brief_record(folder, old, stages, brief)
    old_files = old.get("files", {})
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST):
        rel = path.relative_to(folder).as_posix()
        stat = path.stat()
        entry = old_files.get(rel, {})
        same = entry.get("size") == stat.st_size and entry.get("mtime_ns") == stat.st_mtime_ns
        part = "brief" if rel in BRIEF_FILES else rel.split("/")[0]
        files[rel] = {
            "part": part,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "sha256": entry["sha256"] if same and "sha256" in entry else _sha256(path),
        }
    manifest = {
        "gridmodel_version": gridmodel.__version__,
        "scenario": scenario,
        "scenario_hash": scenario_hash,
        "status": status,
        "notes": notes,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "stages": stages,
        **({"brief": brief} if brief is not None else {}),
        "files": files,
    }
    text = json.dumps(manifest, indent=1)
    return write_atomic(folder / MANIFEST, lambda tmp: tmp.write_text(text))

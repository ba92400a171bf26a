"""Location of the bundled network descriptors and scenarios, and of the on-disk cache."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gridmodel.errors import ScenarioError


def bundled_dir(kind: str) -> Path:
    """Folder holding the bundled ``networks`` or ``scenarios`` YAML files.

    A wheel carries them inside the package (``gridmodel/_bundled``); a source checkout or an
    editable install reads them from the repository's top-level folders.
    """
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "_bundled" / kind, package_dir.parent / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no bundled '{kind}' folder next to {package_dir}")


def cache_dir() -> Path:
    """Folder for converted networks: ``$GRIDMODEL_CACHE`` or ``~/.cache/gridmodel``, created
    when missing; ScenarioError naming it when it cannot be created or written."""
    given = os.environ.get("GRIDMODEL_CACHE")
    path = Path(given or Path.home() / ".cache" / "gridmodel").expanduser()
    name = f"GRIDMODEL_CACHE={given}" if given else f"the cache folder {path}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        writable(path)
    except OSError as err:
        raise ScenarioError(
            f"{name}: cannot be written ({err.strerror or err}); gridmodel keeps converted "
            "networks there: set GRIDMODEL_CACHE to a folder this user can write into"
        ) from None
    return path


def writable(folder: Path) -> None:
    """OSError unless a file can be created in ``folder`` (permissions, a read-only file system;
    the probe is an unnamed file where the system allows, and leaves nothing)."""
    with tempfile.TemporaryFile(dir=folder):
        pass

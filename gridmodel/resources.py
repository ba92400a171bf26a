"""Location of the bundled network descriptors and scenarios, and of the on-disk cache."""

from __future__ import annotations

import os
from pathlib import Path


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
    """Folder for converted networks: ``$GRIDMODEL_CACHE`` or ``~/.cache/gridmodel``."""
    root = os.environ.get("GRIDMODEL_CACHE") or Path.home() / ".cache" / "gridmodel"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path

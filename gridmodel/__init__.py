"""gridmodel: AI training campuses on regional power grids, from load profile to household bill.

>>> import gridmodel
>>> study = gridmodel.Study.from_yaml("default")        # a bundled scenario, or a YAML path
>>> stress = study.run("stress")                        # doctest: +SKIP

``gridmodel.set_options(threads=..., cache_dir=..., chromium=..., data_mirror=...)`` sets the
solver threads, the cache folder, the browser that prints briefs and a local mirror of the data
files, for the process or (``with gridmodel.set_options(...):``) a block.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from gridmodel.resources import get_options, set_options

if TYPE_CHECKING:
    from gridmodel.schema import Scenario
    from gridmodel.study import Study

__version__ = "0.1.0"
__all__ = ["Scenario", "Study", "__version__", "get_options", "set_options"]

# A library logs; the application (the CLI, a notebook) decides what is shown.
logging.getLogger(__name__).addHandler(logging.NullHandler())

#: Names served on first use, so `import gridmodel` stays light (no solver or network imports).
_LAZY = {"Study": "gridmodel.study", "Scenario": "gridmodel.schema"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gridmodel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

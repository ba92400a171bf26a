"""Where gridmodel finds and keeps things: the bundled files, the on-disk cache, the solver
threads, the browser that prints briefs and the local mirror of its data files.

Each is an option of :func:`set_options` (xarray's pattern: call it, or use it in a ``with``
block to change an option for the block only); an option left unset reads its environment
variable at the moment it is needed, so a value set in the shell still works.

| option | environment variable | when neither is set |
|---|---|---|
| ``threads`` | ``GRIDMODEL_THREADS`` | every core the process may use |
| ``cache_dir`` | ``GRIDMODEL_CACHE`` | the user cache folder (``~/.cache/gridmodel`` on Linux) |
| ``chromium`` | ``GRIDMODEL_CHROMIUM`` | the first of chromium, chromium-browser, google-chrome on ``PATH`` |
| ``data_mirror`` | ``GRIDMODEL_DATA_MIRROR`` | none: data files not shipped are downloaded |
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import TracebackType
from typing import Any

#: option name -> environment variable read when the option is unset
ENVIRONMENT = {
    "threads": "GRIDMODEL_THREADS",
    "cache_dir": "GRIDMODEL_CACHE",
    "chromium": "GRIDMODEL_CHROMIUM",
    "data_mirror": "GRIDMODEL_DATA_MIRROR",
}
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# The one piece of process state: the options set by `set_options` (None = unset).
_OPTIONS: dict[str, Any] = dict.fromkeys(ENVIRONMENT)


def _validated(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "threads":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"threads must be a whole number of at least 1, got {value!r}")
        return value
    if not isinstance(value, str | os.PathLike):
        raise ValueError(f"{name} must be a path, got {value!r}")
    return Path(value) if name in ("cache_dir", "data_mirror") else str(value)


class set_options:
    """Set gridmodel's options, for the process or (as a context manager) for a block.

    ``threads``: solver threads of the power flow (a sweep's workers run with 1);
    ``cache_dir``: folder of converted networks and data files; ``chromium``: the browser that
    prints briefs to PDF (a path or a name on ``PATH``); ``data_mirror``: a folder laid out like
    the data registry (``DATASET/FILE``) to copy data files from instead of downloading them.
    ``None`` unsets an option (its environment variable applies again).

    >>> import gridmodel
    >>> with gridmodel.set_options(threads=1):
    ...     gridmodel.get_options()["threads"]
    1
    """

    def __init__(self, **options: Any) -> None:
        unknown = sorted(set(options) - set(ENVIRONMENT))
        if unknown:
            raise ValueError(
                f"unknown option {unknown[0]!r}; the options are {', '.join(ENVIRONMENT)}"
            )
        new = {name: _validated(name, value) for name, value in options.items()}
        self._old = {name: _OPTIONS[name] for name in new}
        _OPTIONS.update(new)

    def __enter__(self) -> set_options:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        _OPTIONS.update(self._old)

    def __repr__(self) -> str:
        return f"set_options({', '.join(f'{k}={v!r}' for k, v in get_options().items())})"


def _environment(name: str) -> str | None:
    return os.environ.get(ENVIRONMENT[name]) or None


def get_options() -> dict[str, Any]:
    """The options in force: each set one, else its environment variable, else None."""
    return {name: option(name) for name in ENVIRONMENT}


def option(name: str) -> Any:
    """One option in force (see :func:`get_options`)."""
    value = _OPTIONS[name]
    if value is not None:
        return value
    env = _environment(name)
    if env is None:
        return None
    try:
        return _validated(name, int(env) if name == "threads" else env)
    except ValueError as err:
        raise ValueError(f"${ENVIRONMENT[name]}={env!r}: {err}") from None


def options_environment() -> dict[str, str]:
    """The options in force as environment variables, for processes gridmodel starts (a
    sweep's Dask workers read them as their defaults)."""
    return {ENVIRONMENT[k]: str(v) for k, v in get_options().items() if v is not None}


def bundled_dir(kind: str) -> Path:
    """Folder holding the bundled ``networks``, ``scenarios`` or ``data`` files.

    A wheel carries them inside the package (``gridmodel/_bundled``); a source checkout or an
    editable install reads them from the repository's top-level folders.
    """
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "_bundled" / kind, package_dir.parent / kind):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"no bundled '{kind}' folder next to {package_dir}")


def cache_dir() -> Path:
    """Folder for converted networks and data files (created): the ``cache_dir`` option, else
    ``$GRIDMODEL_CACHE``, else the user cache folder."""
    path = option("cache_dir")
    if path is None:
        from platformdirs import user_cache_dir

        path = Path(user_cache_dir("gridmodel", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def solver_threads() -> int | None:
    """Threads of a solve: the ``threads`` option, else ``$GRIDMODEL_THREADS``, else None
    (every core the process may use)."""
    return option("threads")


def chromium_path() -> str | None:
    """The Chromium binary: the ``chromium`` option, else ``$GRIDMODEL_CHROMIUM`` (a path or a
    name on ``PATH``; None when it names nothing), else the first known name on ``PATH``."""
    given = option("chromium")
    if given:
        return shutil.which(given) or (given if Path(given).is_file() else None)
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def data_mirror() -> Path | None:
    """The local mirror of the data files (``data_mirror`` option or ``$GRIDMODEL_DATA_MIRROR``)."""
    return option("data_mirror")

"""One progress protocol for every stage: ``progress(task, advance, total)``."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def no_progress(task: str, advance: int, total: int) -> None:
    """A progress callback that reports nothing."""

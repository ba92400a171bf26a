"""One progress protocol for every stage: ``progress(task, advance, total)``, and the bar that
shows it in a terminal or a notebook."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import rich.progress

Progress = Callable[[str, int, int], None]


def no_progress(task: str, advance: int, total: int) -> None:
    """A progress callback that reports nothing."""


def rich_bar(console: Any = None, disable: bool = False) -> rich.progress.Progress:
    """A rich progress display: one bar per task with its count and elapsed time (a live widget
    in a Jupyter notebook, lines on a terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    return Bar(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=disable,
    )


def rich_callback(bar: rich.progress.Progress) -> Progress:
    """The progress protocol drawn on ``bar``: a bar per task, created when first reported."""
    tasks: dict[str, Any] = {}

    def report(task: str, advance: int, total: int) -> None:
        if task not in tasks:
            tasks[task] = bar.add_task(task, total=total)
        bar.update(tasks[task], advance=advance, total=total)

    return report


@contextmanager
def progress_bar(console: Any = None) -> Iterator[Progress]:
    """A progress callback drawing a rich bar for the length of the block."""
    with rich_bar(console) as bar:
        yield rich_callback(bar)


def in_notebook() -> bool:
    """True inside a Jupyter kernel (where nothing else shows a long run's progress)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None  # type: ignore[attr-defined]
    return type(shell).__name__ == "ZMQInteractiveShell"
